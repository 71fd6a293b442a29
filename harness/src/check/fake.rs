//! A [`State`] made of plain values, for unit tests: links, addresses,
//! routes and neighbours per node, as a test writes them.

use crate::check::state::State;
use crate::error::{Error, Result};
use crate::model::{Addr, Addr6, Fdb, Link, Neigh, Neigh6, Route, Route6};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

pub const UP: u32 = libc::IFF_UP as u32;
pub const BROADCAST: u32 = libc::IFF_BROADCAST as u32;
pub const MULTICAST: u32 = libc::IFF_MULTICAST as u32;
pub const LOOPBACK: u32 = libc::IFF_LOOPBACK as u32;
pub const LOWER_UP: u32 = 1 << 16;
/// `<BROADCAST,MULTICAST,UP,LOWER_UP>`.
pub const RUNNING: u32 = UP | BROADCAST | MULTICAST | LOWER_UP;

/// One node's state.
#[derive(Default, Clone)]
pub struct Node {
    pub links: Vec<Link>,
    pub addrs: Vec<Addr>,
    pub routes: Vec<Route>,
    pub neighs: Vec<Neigh>,
    pub fdb: Vec<Fdb>,
    pub addrs6: Vec<Addr6>,
    pub routes6: Vec<Route6>,
    pub neighs6: Vec<Neigh6>,
    /// Neighbour entries announced removed (`State::neighbours_gone`).
    pub neighs_gone: Vec<Neigh<std::net::IpAddr>>,
    pub sysctls: BTreeMap<String, String>,
    /// `/sys/class/net/DEV/iflink` by device.
    pub iflink: BTreeMap<String, u32>,
    /// ethtool's `peer_ifindex` by device.
    pub ethtool: BTreeMap<String, u32>,
    /// netns id (as this node sees it) -> node.
    pub nsids: BTreeMap<i32, String>,
}

#[derive(Default, Clone)]
pub struct Fake {
    pub nodes: BTreeMap<String, Node>,
    pub ipam: BTreeMap<String, Vec<String>>,
    /// Lab ifindexes 3 and up land this much higher (fallback devices).
    pub shift: u32,
    pub fallback: Vec<String>,
}

/// A link as a test writes it: index, name, kind; up with carrier, MTU 1500.
pub fn link(index: u32, name: &str, kind: Option<&str>) -> Link {
    Link {
        index,
        name: name.into(),
        kind: kind.map(str::to_string),
        mtu: 1500,
        mac: Some([0x02, 0, 0, 0, 0, index as u8]),
        flags: RUNNING,
        operstate: "UP".into(),
        ..Default::default()
    }
}

pub fn addr(index: u32, ip: &str, prefix: u8) -> Addr {
    Addr {
        index,
        ip: ip.parse().unwrap_or(Ipv4Addr::UNSPECIFIED),
        prefix,
        broadcast: None,
    }
}

pub fn addr6(index: u32, ip: &str, prefix: u8) -> Addr6 {
    Addr6 {
        index,
        ip: ip.parse().unwrap_or(std::net::Ipv6Addr::UNSPECIFIED),
        prefix,
        broadcast: None,
    }
}

impl Fake {
    pub fn new() -> Fake {
        Fake::default()
    }
    /// The node `n`, made empty (with `lo`) on first use.
    pub fn node(&mut self, n: &str) -> &mut Node {
        self.nodes.entry(n.to_string()).or_insert_with(|| Node {
            links: vec![Link {
                index: 1,
                name: "lo".into(),
                mtu: 65536,
                flags: UP | LOOPBACK | LOWER_UP,
                operstate: "UNKNOWN".into(),
                mac: Some([0; 6]),
                ..Default::default()
            }],
            ..Default::default()
        })
    }
    /// Add `l` to node `n`, returning it for chaining.
    pub fn with_link(mut self, n: &str, l: Link) -> Fake {
        self.node(n).links.push(l);
        self
    }
    /// A veth pair: `a` (index ia) in node na, `b` (index ib) in nb; across
    /// namespaces each side knows the other by netns id 0.
    pub fn veth(mut self, (na, a, ia): (&str, &str, u32), (nb, b, ib): (&str, &str, u32)) -> Fake {
        let mut la = link(ia, a, Some("veth"));
        let mut lb = link(ib, b, Some("veth"));
        la.link = Some(ib);
        lb.link = Some(ia);
        if na != nb {
            la.link_netnsid = Some(0);
            lb.link_netnsid = Some(0);
            self.node(na).nsids.insert(0, nb.to_string());
            self.node(nb).nsids.insert(0, na.to_string());
        }
        self.node(na).links.push(la);
        self.node(nb).links.push(lb);
        self
    }
    fn get(&self, n: &str) -> Result<&Node> {
        self.nodes
            .get(n)
            .ok_or_else(|| Error::not_found(format!("no node `{n}` in this lab")))
    }
}

impl State for Fake {
    fn links(&self, node: &str) -> Result<Vec<Link>> {
        Ok(self.get(node)?.links.clone())
    }
    fn addrs(&self, node: &str) -> Result<Vec<Addr>> {
        Ok(self.get(node)?.addrs.clone())
    }
    fn routes(&self, node: &str) -> Result<Vec<Route>> {
        Ok(self.get(node)?.routes.clone())
    }
    fn neighbours(&self, node: &str) -> Result<Vec<Neigh>> {
        Ok(self.get(node)?.neighs.clone())
    }
    fn fdb(&self, node: &str) -> Result<Vec<Fdb>> {
        Ok(self.get(node)?.fdb.clone())
    }
    fn addrs6(&self, node: &str) -> Result<Vec<Addr6>> {
        Ok(self.get(node)?.addrs6.clone())
    }
    fn routes6(&self, node: &str) -> Result<Vec<Route6>> {
        Ok(self.get(node)?.routes6.clone())
    }
    fn neighbours6(&self, node: &str) -> Result<Vec<Neigh6>> {
        Ok(self.get(node)?.neighs6.clone())
    }
    fn neighbours_gone(&self, node: &str) -> Result<Vec<Neigh<std::net::IpAddr>>> {
        Ok(self.get(node)?.neighs_gone.clone())
    }
    fn sysctl(&self, node: &str, key: &str) -> Result<String> {
        self.get(node)?
            .sysctls
            .get(key)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no sysctl {key}")))
    }
    fn sysfs_iflink(&self, node: &str, dev: &str) -> Result<u32> {
        self.get(node)?
            .iflink
            .get(dev)
            .copied()
            .ok_or_else(|| Error::not_found(format!("no /sys/class/net/{dev}/iflink")))
    }
    fn ethtool_peer_ifindex(&self, node: &str, dev: &str) -> Result<u32> {
        self.get(node)?
            .ethtool
            .get(dev)
            .copied()
            .ok_or_else(|| Error::not_found(format!("ethtool -S {dev}: no peer_ifindex")))
    }
    fn node_of_nsid(&self, node: &str, id: i32) -> Result<Option<String>> {
        Ok(self.get(node)?.nsids.get(&id).cloned())
    }
    fn ipam(&self, network: &str) -> Result<Vec<String>> {
        Ok(self.ipam.get(network).cloned().unwrap_or_default())
    }
    fn map_index(&self, i: u32) -> u32 {
        if i >= 3 {
            i + self.shift
        } else {
            i
        }
    }
    fn map_at(&self, at: &str) -> String {
        match at.strip_prefix("if").and_then(|n| n.parse::<u32>().ok()) {
            Some(n) => format!("if{}", self.map_index(n)),
            None => at.to_string(),
        }
    }
    fn fallback_names(&self) -> Vec<String> {
        self.fallback.clone()
    }
}
