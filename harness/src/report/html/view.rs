//! The topology as a page draws it: each node's interfaces as `ip link`
//! names them, its routes, neighbours and the sysctls the lab reads, read
//! through [`State`] at the end of a step.

use crate::check::state::State;
use crate::error::Result;
use crate::iproute::cmd::Cmd;
use crate::lab::{Action, Lab};
use crate::model::{fmt_mac, link_local, Addr6, Link, Mac};

/// One interface of a node, as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct IfaceView {
    /// This interface's ifindex in its own namespace.
    pub index: u32,
    /// Interface name, as `ip link` prints it.
    pub name: String,
    /// What `ip link` prints after the name: `@if7` (a peer in another
    /// namespace, counted there), `@veth0` (a peer here), `@NONE`.
    pub at: String,
    /// Link kind (`veth`, `bridge`, ...); empty for plain devices.
    pub kind: String,
    /// MAC as `ip link` prints it; empty if it has none.
    pub mac: String,
    /// MTU in bytes, as `ip link` prints it.
    pub mtu: u32,
    /// The bridge it is enslaved to.
    pub master: Option<String>,
    /// Its IPv4 addresses as `IP/PREFIX`.
    pub addrs: Vec<String>,
    /// (node, interface) of a veth's other end.
    pub peer: Option<(String, String)>,
    /// A tunnel's underlay device in the same node (`dev eth0`), by name.
    pub lower: Option<String>,
}

/// A node (network namespace): its interfaces and the state steps assert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeView {
    /// The node's name in the lab.
    pub name: String,
    /// Its interfaces except `lo`, in `ip link` order.
    pub ifaces: Vec<IfaceView>,
    /// Its main table as `ip route` prints it (blackholes included).
    pub routes: Vec<String>,
    /// Its neighbour entries as `ip neigh` prints them.
    pub neigh: Vec<String>,
    /// The sysctls the lab sets or asserts here, as `KEY = VALUE`.
    pub sysctls: Vec<String>,
}

/// Is `kind` a tunnel device's kind?
pub fn is_tunnel(kind: &str) -> bool {
    matches!(kind, "vxlan" | "ipip" | "gre" | "geneve")
}

/// Every (node, key) sysctl the lab sets (`sysctl -w`) or asserts, in the
/// order first named: what a page shows under each node.
pub fn sysctl_keys(lab: &Lab) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    let actions = lab
        .steps
        .iter()
        .flat_map(|s| s.given.iter().chain(&s.actions));
    for a in actions {
        let found: Vec<(String, String)> = match a {
            Action::Cmd { node, cmds, .. } => cmds
                .iter()
                .filter_map(|c| match c {
                    Cmd::Sysctl { key, .. } => Some((node.clone(), key.clone())),
                    _ => None,
                })
                .collect(),
            Action::Expect { e, .. } => e
                .sysctls()
                .into_iter()
                .map(|(n, k)| (n.to_string(), k.to_string()))
                .collect(),
            _ => vec![],
        };
        for k in found {
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
    out
}

/// The topology of `nodes` as `st` holds it now, with the sysctls of
/// `keys` that exist (an interface's key before the interface does not).
pub fn view(st: &dyn State, nodes: &[String], keys: &[(String, String)]) -> Result<Vec<NodeView>> {
    let mut out = vec![];
    for n in nodes {
        let links = st.links(n)?;
        let name_of = |i: u32| {
            links
                .iter()
                .find(|x| x.index == i)
                .map_or(format!("if{i}"), |x| x.name.clone())
        };
        let mut routes: Vec<String> = st.routes(n)?.iter().map(|r| r.render(&name_of)).collect();
        // `ip -6 route` after `ip route`, but not the fe80::/64 every link
        // gets by itself: the lab's own IPv6 routes.
        routes.extend(
            st.routes6(n)?
                .iter()
                .filter(|r| {
                    !r.dst
                        .is_some_and(|(a, p)| p == 64 && a.is_unicast_link_local())
                })
                .map(|r| r.render(&name_of)),
        );
        let entry = |ip: String, index: u32, ll: Option<Mac>, state: &str| {
            let ll = ll.map(|m| format!(" lladdr {}", fmt_mac(&m)));
            format!(
                "{ip} dev {}{} {state}",
                name_of(index),
                ll.unwrap_or_default()
            )
        };
        // ARP, then NDP; NOARP entries (multicast, broadcast, lo) are the kernel's own.
        let mut neigh: Vec<String> = st
            .neighbours(n)?
            .iter()
            .filter(|x| x.state != "NOARP")
            .map(|x| entry(x.ip.to_string(), x.index, x.lladdr, &x.state))
            .collect();
        neigh.extend(
            st.neighbours6(n)?
                .iter()
                .filter(|x| x.state != "NOARP")
                .map(|x| entry(x.ip.to_string(), x.index, x.lladdr, &x.state)),
        );
        let sysctls = keys
            .iter()
            .filter(|(kn, _)| kn == n)
            .filter_map(|(_, k)| st.sysctl(n, k).ok().map(|v| format!("{k} = {v}")))
            .collect();
        out.push(NodeView {
            name: n.clone(),
            ifaces: ifaces(st, n, &links)?,
            routes,
            neigh,
            sysctls,
        });
    }
    Ok(out)
}

/// A node's interfaces but `lo`, each with its peer, master and underlay.
fn ifaces(st: &dyn State, n: &str, links: &[Link]) -> Result<Vec<IfaceView>> {
    let addrs = st.addrs(n)?;
    let addrs6 = st.addrs6(n)?;
    let local = |i: u32| links.iter().find(|x| x.index == i).map(|x| x.name.clone());
    // The kernel's fallback devices (`tunl0`, `gre0`, …) sit in every
    // namespace; drawn only once a lab uses one (up, or addressed).
    let fallback = st.fallback_names();
    let unused = |l: &Link| {
        fallback.contains(&l.name) && !l.up() && !addrs.iter().any(|a| a.index == l.index)
    };
    let mut out = vec![];
    for l in links.iter().filter(|l| l.name != "lo" && !unused(l)) {
        let kind = l.kind.clone().unwrap_or_default();
        let peer = match (kind.as_str(), l.link, l.link_netnsid) {
            ("veth", Some(pi), Some(id)) => st.node_of_nsid(n, id)?.and_then(|pn| {
                let name = st
                    .links(&pn)
                    .ok()?
                    .into_iter()
                    .find(|x| x.index == pi)?
                    .name;
                Some((pn, name))
            }),
            ("veth", Some(pi), None) => local(pi).map(|x| (n.to_string(), x)),
            _ => None,
        };
        let lower = l.underlay.filter(|_| is_tunnel(&kind)).and_then(local);
        // As iproute2 prints it.
        let at = match (l.link, l.link_netnsid) {
            (Some(0), _) => "@NONE".to_string(),
            (Some(i), Some(_)) => format!("@if{i}"),
            (Some(i), None) => local(i).map_or(format!("@if{i}"), |x| format!("@{x}")),
            (None, _) => String::new(),
        };
        out.push(IfaceView {
            index: l.index,
            name: l.name.clone(),
            at,
            kind,
            mac: l.mac.map(|m| fmt_mac(&m)).unwrap_or_default(),
            mtu: l.mtu,
            master: l.master.and_then(local),
            addrs: addrs
                .iter()
                .filter(|a| a.index == l.index)
                .map(|a| format!("{}/{}", a.ip, a.prefix))
                .chain(shown6(&addrs6, l))
                .collect(),
            peer,
            lower,
        });
    }
    Ok(out)
}

/// `l`'s IPv6 addresses as the picture shows them: each the lab gave it, and
/// a link-local one only where it is not what the MAC shown derives (a
/// bridge keeps the one of the MAC it came up with, seed 004's br0): the
/// usual one says nothing the MAC beside it does not.
fn shown6<'a>(addrs6: &'a [Addr6], l: &'a Link) -> impl Iterator<Item = String> + 'a {
    let derived = l.mac.map(|m| link_local(&m));
    addrs6
        .iter()
        .filter(move |a| a.index == l.index && !(a.prefix == 64 && Some(a.ip) == derived))
        .map(|a| format!("{}/{}", a.ip, a.prefix))
}
