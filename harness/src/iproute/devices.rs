//! The devices each node holds at each point of a lab, as its commands say:
//! a lab file that names an interface that cannot exist there is refused at
//! load time, with the item's file:line:col, not when a step runs.

use crate::iproute::cmd::{Cmd, SetSpec};
use crate::model::LinkKind;
use std::collections::{BTreeMap, BTreeSet};

/// A character a shell reads as itself in a word, and the kernel takes in a
/// name: what a lab's names and command words are made of, so `vethlab
/// solution | sh` runs the commands the lab shows and nothing else.
pub fn shell_literal(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '=' | ',' | '%')
}

/// The kernel's rules for an interface name (`dev_valid_name`): 1 to 15
/// bytes, not `.` or `..`, no `/`, `:` or whitespace, not `all`/`default`;
/// and only characters a shell reads literally. Checked where a name is
/// written, so a bad one is a load error, not a netlink error mid-run.
pub fn check_ifname(n: &str) -> Result<(), String> {
    let why = if n.is_empty() {
        "is empty"
    } else if n.len() > 15 {
        "is longer than 15 bytes (IFNAMSIZ)"
    } else if n == "." || n == ".." {
        "cannot be `.` or `..`"
    } else if n.contains('/') {
        "contains `/`"
    } else if n.contains(':') {
        "contains `:` (alias syntax, not a device name)"
    } else if n.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "contains whitespace or a control character"
    } else if n == "all" || n == "default" {
        // /proc/sys/net/ipv4/conf/{all,default} exist: the kernel refuses these.
        "is reserved by the kernel (`all` and `default` name its sysctl directories)"
    } else if !n.is_ascii() {
        // Bytes >= 0x80 include what the kernel's isspace() takes for a blank (0xA0).
        "holds a byte >= 0x80 (the kernel refuses some; names are ASCII)"
    } else if n.starts_with('-') {
        "starts with `-` (commands would read it as an option)"
    } else if let Some(c) = n.chars().find(|c| !shell_literal(*c)) {
        return Err(format!(
            "interface name `{}` contains `{c}`, which a shell does not read literally (names use letters, digits and `_ - . + = , %`)",
            n.escape_debug()
        ));
    } else {
        return Ok(());
    };
    Err(format!("interface name `{}` {why}", n.escape_debug()))
}

/// The devices each node holds at a point of a lab, for checking a lab's
/// commands before anything runs.
#[derive(Default, Clone)]
pub struct Devices {
    by_node: BTreeMap<String, BTreeSet<String>>,
    /// veth ends: deleting one deletes the other.
    peers: BTreeMap<(String, String), (String, String)>,
    /// With the ipip module loaded, every namespace has its fallback `tunl0`.
    pub ipip: bool,
}

impl Devices {
    /// A new node (network namespace): it starts with `lo`.
    pub fn add_node(&mut self, node: &str) {
        self.by_node
            .entry(node.to_string())
            .or_default()
            .insert("lo".into());
    }

    /// Whether `dev` exists in `node` at this point.
    pub fn has(&self, node: &str, dev: &str) -> bool {
        (self.ipip && dev == "tunl0" && self.by_node.contains_key(node))
            || self.by_node.get(node).is_some_and(|d| d.contains(dev))
    }

    /// `Err` says which device does not exist (or already does).
    pub fn need(&self, node: &str, dev: &str) -> Result<(), String> {
        if self.has(node, dev) {
            return Ok(());
        }
        let known: Vec<&str> = self
            .by_node
            .get(node)
            .map(|d| d.iter().map(String::as_str).collect())
            .unwrap_or_default();
        Err(format!(
            "no interface `{dev}` in {node} at this point (it has: {})",
            known.join(", ")
        ))
    }

    fn insert(&mut self, node: &str, dev: &str) -> Result<(), String> {
        check_ifname(dev)?;
        if !self
            .by_node
            .entry(node.into())
            .or_default()
            .insert(dev.into())
        {
            return Err(format!("interface `{dev}` already exists in {node}"));
        }
        Ok(())
    }

    fn remove(&mut self, node: &str, dev: &str) {
        if let Some(d) = self.by_node.get_mut(node) {
            d.remove(dev);
        }
        let key = (node.to_string(), dev.to_string());
        if let Some(p) = self.peers.remove(&key) {
            self.peers.remove(&p);
            if let Some(d) = self.by_node.get_mut(&p.0) {
                d.remove(&p.1);
            }
        }
    }

    fn rekey(&mut self, from: (String, String), to: (String, String)) {
        if let Some(p) = self.peers.remove(&from) {
            self.peers.insert(p.clone(), to.clone());
            self.peers.insert(to, p);
        }
    }

    /// A device something else (a CNI plugin) creates: known from now on.
    pub fn adopt(&mut self, node: &str, dev: &str) {
        self.by_node
            .entry(node.into())
            .or_default()
            .insert(dev.into());
    }

    /// A device that went away without a command of ours (a CNI `DEL`), with
    /// its veth peer.
    pub fn forget(&mut self, node: &str, dev: &str) {
        self.remove(node, dev);
    }

    /// Apply one command run in `node`, checking every device it names.
    pub fn apply(&mut self, node: &str, cmd: &Cmd) -> Result<(), String> {
        match cmd {
            Cmd::NetnsAdd(n) => self.add_node(n),
            Cmd::LinkAdd {
                link,
                kind,
                peer_netns,
            } => {
                if let LinkKind::Vxlan { dev: Some(d), .. } = kind {
                    self.need(node, d)?;
                }
                self.insert(node, &link.name)?;
                if let LinkKind::Veth { peer } = kind {
                    let pn = peer_netns.as_deref().unwrap_or(node);
                    self.insert(pn, &peer.name)?;
                    let (a, b) = (
                        (node.to_string(), link.name.clone()),
                        (pn.to_string(), peer.name.clone()),
                    );
                    self.peers.insert(a.clone(), b.clone());
                    self.peers.insert(b, a);
                }
            }
            Cmd::LinkSet { dev, set } => {
                self.need(node, dev)?;
                let SetSpec {
                    master,
                    netns,
                    name,
                    ..
                } = set;
                if let Some(Some(m)) = master {
                    self.need(node, m)?;
                }
                let mut cur = (node.to_string(), dev.clone());
                if let Some(new) = name {
                    self.by_node.entry(node.into()).or_default().remove(dev);
                    self.insert(node, new)?;
                    let to = (node.to_string(), new.clone());
                    self.rekey(cur, to.clone());
                    cur = to;
                }
                if let Some(n) = netns {
                    self.by_node
                        .entry(cur.0.clone())
                        .or_default()
                        .remove(&cur.1);
                    self.insert(n, &cur.1)?;
                    let to = (n.clone(), cur.1.clone());
                    self.rekey(cur, to);
                }
            }
            Cmd::LinkDel { dev } => {
                self.need(node, dev)?;
                self.remove(node, dev);
            }
            Cmd::AddrAdd { dev, .. }
            | Cmd::AddrDel { dev, .. }
            | Cmd::Addr6 { dev, .. }
            | Cmd::NeighAdd { dev, .. }
            | Cmd::NeighFlush { dev }
            | Cmd::FdbAdd { dev, .. } => self.need(node, dev)?,
            Cmd::RouteAdd(_) | Cmd::RouteDel(_) | Cmd::Route6 { .. } => {
                cmd.route_dev().map_or(Ok(()), |d| self.need(node, d))?
            }
            Cmd::Sysctl { key, .. } => {
                // net.ipv4.conf.DEV.x, net.ipv4.neigh.DEV.x, net.ipv6.conf.DEV.x
                let parts: Vec<&str> = key.split('.').collect();
                if parts.len() >= 5
                    && parts[0] == "net"
                    && matches!(parts[2], "conf" | "neigh")
                    && !matches!(parts[3], "all" | "default")
                {
                    self.need(node, &parts[3].replace('/', "."))?;
                }
            }
        }
        Ok(())
    }
}
