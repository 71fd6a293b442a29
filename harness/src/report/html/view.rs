//! The topology as a page draws it: each node's interfaces as `ip link`
//! names them, read through [`State`].

use crate::check::state::State;
use crate::error::Result;
use crate::model::fmt_mac;

/// One interface of a node, as drawn.
#[derive(Debug, Clone)]
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
}

/// A node (network namespace) and its interfaces.
#[derive(Debug, Clone)]
pub struct NodeView {
    /// The node's name in the lab.
    pub name: String,
    /// Its interfaces except `lo`, in `ip link` order.
    pub ifaces: Vec<IfaceView>,
}

/// The topology of `nodes` as `st` holds it now.
pub fn view(st: &dyn State, nodes: &[String]) -> Result<Vec<NodeView>> {
    let mut out = vec![];
    for n in nodes {
        let links = st.links(n)?;
        let addrs = st.addrs(n)?;
        let mut ifaces = vec![];
        for l in &links {
            if l.name == "lo" {
                continue;
            }
            let peer = match (l.kind.as_deref(), l.link, l.link_netnsid) {
                (Some("veth"), Some(pi), Some(id)) => st.node_of_nsid(n, id)?.and_then(|pn| {
                    let name = st
                        .links(&pn)
                        .ok()?
                        .into_iter()
                        .find(|x| x.index == pi)?
                        .name;
                    Some((pn, name))
                }),
                (Some("veth"), Some(pi), None) => links
                    .iter()
                    .find(|x| x.index == pi)
                    .map(|x| (n.clone(), x.name.clone())),
                _ => None,
            };
            // As iproute2 prints it.
            let at = match (l.link, l.link_netnsid) {
                (Some(0), _) => "@NONE".to_string(),
                (Some(i), Some(_)) => format!("@if{i}"),
                (Some(i), None) => links
                    .iter()
                    .find(|x| x.index == i)
                    .map_or(format!("@if{i}"), |x| format!("@{}", x.name)),
                (None, _) => String::new(),
            };
            ifaces.push(IfaceView {
                index: l.index,
                name: l.name.clone(),
                at,
                kind: l.kind.clone().unwrap_or_default(),
                mac: l.mac.map(|m| fmt_mac(&m)).unwrap_or_default(),
                mtu: l.mtu,
                master: l
                    .master
                    .and_then(|m| links.iter().find(|x| x.index == m))
                    .map(|x| x.name.clone()),
                addrs: addrs
                    .iter()
                    .filter(|a| a.index == l.index)
                    .map(|a| format!("{}/{}", a.ip, a.prefix))
                    .collect(),
                peer,
            });
        }
        out.push(NodeView {
            name: n.clone(),
            ifaces,
        });
    }
    Ok(out)
}
