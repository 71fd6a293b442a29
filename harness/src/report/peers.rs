//! The peers table of `vethlab peers` as values: namespaces, veths and
//! their peers, the consistency of the three ways to read a peer's ifindex,
//! and the table and explanations printed from them. Pure: reading the host
//! (namespaces, netlink, sysfs, ethtool) is `tools::peers`.

use crate::model::{fmt_mac, Addr, Link};
use serde::Serialize;
use std::collections::BTreeMap;

/// Every namespace's devices by its index in `Report::namespaces`, where
/// it could be read.
pub type Links<'a> = [Option<&'a [Link]>];

/// (namespace, netns id seen there) -> the namespace it names, if known.
pub type NsidMap = BTreeMap<(usize, i32), Option<usize>>;

/// A network namespace found on the host, and who holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Namespace {
    /// The namespace's inode number (`net:[N]` in /proc/PID/ns/net).
    pub inode: u64,
    /// Names under the netns directories (`ip netns` names).
    pub names: Vec<String>,
    /// The process holding it with the lowest pid, and how many hold it.
    pub pid: Option<u32>,
    /// That process's command name (/proc/PID/comm).
    pub command: Option<String>,
    /// How many processes hold it.
    pub processes: usize,
    /// This process's own namespace.
    pub current: bool,
    /// The namespace of pid 1: the host's.
    pub host: bool,
    /// A container id found in the holder's cgroup path, and that path.
    pub container_id: Option<String>,
    /// The holder's cgroup path.
    pub cgroup: Option<String>,
    /// /proc/PID/root/etc/hostname of the holder (a pod's name).
    pub hostname: Option<String>,
    /// Why this namespace could not be read, if it could not.
    pub error: Option<String>,
}

impl Namespace {
    /// How people name it: its `ip netns` name, else the host, else the holder.
    pub fn label(&self) -> String {
        if let Some(n) = self.names.first() {
            return n.clone();
        }
        if self.host {
            return "host".into();
        }
        if self.current {
            return "current".into();
        }
        match (&self.pid, &self.command) {
            (Some(p), Some(c)) => format!("pid {p} ({c})"),
            (Some(p), None) => format!("pid {p}"),
            _ => format!("netns:[{}]", self.inode),
        }
    }
}

/// A veth end found in some namespace, with its peer as three methods tell it.
#[derive(Debug, Clone, Serialize)]
pub struct Veth {
    /// Index into `Report::namespaces`.
    pub ns: usize,
    /// The namespace's label (see [`Namespace::label`]).
    pub namespace: String,
    /// Interface name.
    pub name: String,
    /// Its ifindex in its namespace.
    pub ifindex: u32,
    /// MAC as `ip link` prints it.
    pub mac: Option<String>,
    /// MTU in bytes, as `ip link` prints it.
    pub mtu: u32,
    /// The bridge it is enslaved to, by name.
    pub master: Option<String>,
    /// Its IPv4 addresses as `IP/PREFIX`.
    pub ipv4: Vec<String>,
    /// What `ip link` prints after `@`: `ifN` (peer elsewhere) or the peer's name.
    pub at: String,
    /// The other end, when it could be found.
    pub peer: Option<Peer>,
    /// The three ways to learn the peer's ifindex (seed 002).
    pub iflink_netlink: Option<u32>,
    /// `/sys/class/net/DEV/iflink`.
    pub iflink_sysfs: Option<u32>,
    /// `ethtool -S DEV`: `peer_ifindex`.
    pub ethtool_peer_ifindex: Option<u32>,
    /// Methods that could not be read, and why.
    pub unread: Vec<String>,
    /// The methods or the two ends disagree.
    pub disagreement: Option<String>,
}

/// The other end of a veth.
#[derive(Debug, Clone, Serialize)]
pub struct Peer {
    /// Index into `Report::namespaces`, when the peer's namespace is known.
    pub ns: Option<usize>,
    /// Its namespace's label (see [`Namespace::label`]).
    pub namespace: String,
    /// Its name, when its namespace could be read.
    pub name: Option<String>,
    /// Its ifindex, in its own namespace.
    pub ifindex: u32,
    /// The peer lives in another namespace than this end.
    pub elsewhere: bool,
}

/// What `vethlab peers` found: every namespace and every veth.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// Every network namespace found.
    pub namespaces: Vec<Namespace>,
    /// Every veth end in them.
    pub veths: Vec<Veth>,
    /// What could not be read (without privileges, most of /proc).
    pub unreadable: Vec<String>,
    /// Every device's name by (namespace, ifindex), veth or not.
    #[serde(skip)]
    names: BTreeMap<(usize, u32), String>,
}

impl Report {
    /// Record a device of namespace `ns` (veth or not), so an explanation
    /// can say what an ifindex is locally.
    pub fn add_name(&mut self, ns: usize, index: u32, name: String) {
        self.names.insert((ns, index), name);
    }
}

/// The first 64-hex-digit run in a cgroup path (docker, containerd, cri-o
/// and podman all name a container's cgroup with its id).
pub fn container_id(path: &str) -> Option<String> {
    path.split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 64)
        .map(str::to_string)
}

/// The readings of a veth's peer ifindex taken in its namespace besides
/// IFLA_LINK: sysfs `iflink`, ethtool's `peer_ifindex`, and what could not
/// be read (and why).
pub type Readings = (Option<u32>, Option<u32>, Vec<String>);

/// Veth `l` of namespace `i`, with its peer resolved through `nsid_map`
/// and checked against the peer's own view.
pub fn veth(
    r: &Report,
    i: usize,
    l: &Link,
    links: &Links,
    addrs: &[Addr],
    nsid_map: &NsidMap,
    (sysfs, eth, unread): Readings,
) -> Veth {
    let label = |i: usize| r.namespaces[i].label();
    let by_index = |ls: &[Link], x: u32| ls.iter().find(|m| m.index == x).cloned();
    let peer = l.link.map(|pidx| {
        let (pns, elsewhere) = match l.link_netnsid {
            Some(id) => (nsid_map.get(&(i, id)).copied().flatten(), true),
            None => (Some(i), false),
        };
        let name = pns
            .and_then(|j| links.get(j).copied().flatten())
            .and_then(|p| by_index(p, pidx))
            .map(|m| m.name);
        Peer {
            ns: pns,
            namespace: pns
                .map(label)
                .unwrap_or_else(|| "(a namespace no process or name holds)".into()),
            name,
            ifindex: pidx,
            elsewhere,
        }
    });
    let at = match (&peer, l.link_netnsid) {
        (Some(p), None) => p.name.clone().unwrap_or(format!("if{}", p.ifindex)),
        (Some(p), Some(_)) => format!("if{}", p.ifindex),
        (None, _) => "NONE".into(),
    };
    let own = links.get(i).copied().flatten().unwrap_or(&[]);
    let mut v = Veth {
        ns: i,
        namespace: label(i),
        name: l.name.clone(),
        ifindex: l.index,
        mac: l.mac.map(|m| fmt_mac(&m)),
        mtu: l.mtu,
        master: l.master.and_then(|m| by_index(own, m)).map(|m| m.name),
        ipv4: addrs
            .iter()
            .filter(|a| a.index == l.index)
            .map(|a| format!("{}/{}", a.ip, a.prefix))
            .collect(),
        at,
        peer,
        iflink_netlink: l.link,
        iflink_sysfs: sysfs,
        ethtool_peer_ifindex: eth,
        unread,
        disagreement: None,
    };
    v.disagreement = disagreement(&v, links, nsid_map);
    v
}

/// The three methods must give one number, and the peer must point back.
pub fn disagreement(v: &Veth, links: &Links, nsid_map: &NsidMap) -> Option<String> {
    let mut seen: Vec<String> = vec![];
    let mut vals = vec![];
    for (m, x) in [
        ("IFLA_LINK", v.iflink_netlink),
        ("sysfs iflink", v.iflink_sysfs),
        ("ethtool peer_ifindex", v.ethtool_peer_ifindex),
    ] {
        if let Some(x) = x {
            seen.push(format!("{m} {x}"));
            vals.push(x);
        }
    }
    if vals.windows(2).any(|w| w[0] != w[1]) {
        return Some(format!("the methods disagree: {}", seen.join(", ")));
    }
    let p = v.peer.as_ref()?;
    let pns = p.ns?;
    let po = links.get(pns).copied().flatten()?;
    let Some(pl) = po.iter().find(|m| m.index == p.ifindex) else {
        return Some(format!(
            "no device with ifindex {} in {}",
            p.ifindex, p.namespace
        ));
    };
    let back_ns = match pl.link_netnsid {
        Some(id) => nsid_map.get(&(pns, id)).copied().flatten(),
        None => Some(pns),
    };
    if pl.kind.as_deref() != Some("veth") || pl.link != Some(v.ifindex) || back_ns != Some(v.ns) {
        return Some(format!(
            "{} in {} does not point back at {} (ifindex {})",
            pl.name, p.namespace, v.name, v.ifindex
        ));
    }
    None
}

/// `ip link`-style `name@at`.
fn name_at(v: &Veth) -> String {
    format!("{}@{}", v.name, v.at)
}

/// The table `vethlab peers` prints.
pub fn render_table(r: &Report) -> String {
    let mut rows: Vec<[String; 8]> = vec![[
        "NAMESPACE".into(),
        "INTERFACE".into(),
        "IDX".into(),
        "MAC".into(),
        "MTU".into(),
        "MASTER".into(),
        "IPV4".into(),
        "PEER (namespace:name ifindex)".into(),
    ]];
    for v in &r.veths {
        let peer = match &v.peer {
            Some(p) => format!(
                "{}:{} {}",
                p.namespace,
                p.name.as_deref().unwrap_or("?"),
                p.ifindex
            ),
            None => "-".into(),
        };
        rows.push([
            v.namespace.clone(),
            name_at(v),
            v.ifindex.to_string(),
            v.mac.clone().unwrap_or_default(),
            v.mtu.to_string(),
            v.master.clone().unwrap_or("-".into()),
            if v.ipv4.is_empty() {
                "-".into()
            } else {
                v.ipv4.join(",")
            },
            peer,
        ]);
    }
    let mut w = [0usize; 8];
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if r.veths.is_empty() {
        out.push_str("(no veth devices found)\n");
    }
    let holders: Vec<&Namespace> = r
        .namespaces
        .iter()
        .filter(|n| r.veths.iter().any(|v| r.namespaces[v.ns].inode == n.inode))
        .collect();
    if !holders.is_empty() {
        out.push_str("\nNamespaces:\n");
        for n in holders {
            out.push_str(&format!("  {}", describe_ns(n)));
            out.push('\n');
        }
    }
    for v in r.veths.iter().filter(|v| v.disagreement.is_some()) {
        out.push_str(&format!(
            "\nDISAGREEMENT {}:{}: {}\n",
            v.namespace,
            v.name,
            v.disagreement.as_deref().unwrap_or("")
        ));
    }
    for u in &r.unreadable {
        out.push_str(&format!("could not read: {u}\n"));
    }
    out
}

fn describe_ns(n: &Namespace) -> String {
    let mut parts = vec![format!("{} = net:[{}]", n.label(), n.inode)];
    if n.host {
        parts.push("the init namespace".into());
    }
    if let (Some(p), Some(c)) = (n.pid, &n.command) {
        let others = n.processes.saturating_sub(1);
        parts.push(if others > 0 {
            format!("held by pid {p} ({c}) and {others} more")
        } else {
            format!("held by pid {p} ({c})")
        });
    }
    if let Some(id) = &n.container_id {
        parts.push(format!("container {}", &id[..12]));
    }
    if let Some(h) = &n.hostname {
        parts.push(format!("hostname {h}"));
    }
    if let Some(c) = &n.cgroup {
        parts.push(format!("cgroup {c}"));
    }
    parts.join(", ")
}

/// The veths matching IFACE: `name`, `name@ifN`, or `namespace:name`.
pub fn find<'a>(r: &'a Report, iface: &str) -> Vec<&'a Veth> {
    let (ns, name) = match iface.split_once(':') {
        Some((n, i)) => (Some(n), i),
        None => (None, iface),
    };
    let name = name.split('@').next().unwrap_or(name);
    r.veths
        .iter()
        .filter(|v| v.name == name && ns.is_none_or(|n| v.namespace == n))
        .collect()
}

/// The seed 001 answer for one interface, from what the kernel said.
pub fn explain(r: &Report, v: &Veth) -> String {
    let mut out = format!(
        "{} (ifindex {} in namespace {}) is one end of a veth pair; `ip link` shows it as {}.\n",
        v.name,
        v.ifindex,
        v.namespace,
        name_at(v)
    );
    match &v.peer {
        None => out.push_str("Its peer is gone (IFLA_LINK is absent).\n"),
        Some(p) => {
            out.push_str(&format!(
                "Its peer is {}, ifindex {}, in namespace {}",
                p.name.as_deref().unwrap_or("(unknown name)"),
                p.ifindex,
                p.namespace
            ));
            match p.ns {
                Some(j) => out.push_str(&format!(" ({}).\n", describe_ns(&r.namespaces[j]))),
                None => out.push_str(".\n"),
            }
            if p.elsewhere {
                out.push_str(&format!(
                    "The {} in @if{} is IFLA_LINK: the peer's ifindex counted in the peer's own namespace.\n",
                    p.ifindex, p.ifindex
                ));
                let here = r
                    .veths
                    .iter()
                    .find(|x| x.ns == v.ns && x.ifindex == p.ifindex)
                    .map(|x| x.name.clone())
                    .or_else(|| local_name(r, v.ns, p.ifindex));
                match here {
                    Some(n) => out.push_str(&format!(
                        "In {} itself, ifindex {} is {}, an unrelated device: every namespace numbers its devices on its own,\nand `ip link` prints @ifN without saying which namespace N belongs to (`ip -d link` shows link-netnsid).\n",
                        v.namespace, p.ifindex, n
                    )),
                    None => out.push_str(&format!(
                        "{} has no ifindex {} of its own: the number only means something inside {}.\n",
                        v.namespace, p.ifindex, p.namespace
                    )),
                }
            } else {
                out.push_str("Both ends are in the same namespace, so `ip link` names the peer.\n");
            }
        }
    }
    let mut m = vec![];
    if let Some(x) = v.iflink_netlink {
        m.push(format!("IFLA_LINK {x}"));
    }
    if let Some(x) = v.iflink_sysfs {
        m.push(format!("/sys/class/net/{}/iflink {x}", v.name));
    }
    if let Some(x) = v.ethtool_peer_ifindex {
        m.push(format!("ethtool -S peer_ifindex {x}"));
    }
    match &v.disagreement {
        Some(d) => out.push_str(&format!("DISAGREEMENT: {d}\n")),
        None => out.push_str(&format!("The methods agree: {}.\n", m.join(", "))),
    }
    for u in &v.unread {
        out.push_str(&format!("could not read {u}\n"));
    }
    out
}

fn local_name(r: &Report, ns: usize, idx: u32) -> Option<String> {
    r.names.get(&(ns, idx)).cloned()
}
