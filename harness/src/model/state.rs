//! The kernel state a check judges, handed to it: a trait the runner
//! implements over live namespaces and unit tests implement with plain values.
//! Here, below every pure folder, so the assertion kinds (`lab::expect`)
//! and the rest of `check` judge through the same trait without a cycle.

use super::{Addr, Addr6, Fdb, Link, Neigh, Neigh6, Route, Route6};
use crate::error::Result;

/// Read-only access to the state of a lab's nodes.
pub trait State {
    /// Every link of `node`, as `ip link` lists them.
    fn links(&self, node: &str) -> Result<Vec<Link>>;
    /// One link of `node` by name.
    fn link(&self, node: &str, dev: &str) -> Result<Link> {
        self.links(node)?
            .into_iter()
            .find(|l| l.name == dev)
            .ok_or_else(|| crate::error::Error::other(format!("Cannot find device \"{dev}\"")))
    }
    /// IPv4 addresses of `node`.
    fn addrs(&self, node: &str) -> Result<Vec<Addr>>;
    /// IPv4 routes of `node`'s main table.
    fn routes(&self, node: &str) -> Result<Vec<Route>>;
    /// IPv4 neighbour entries of `node`.
    fn neighbours(&self, node: &str) -> Result<Vec<Neigh>>;
    /// Bridge FDB entries of `node` (`bridge fdb show`).
    fn fdb(&self, node: &str) -> Result<Vec<Fdb>> {
        Err(crate::error::Error::Unsupported(format!(
            "no FDB can be read in {node} here"
        )))
    }
    /// IPv6 addresses of `node`, link-local ones included (`ip -6 addr`).
    fn addrs6(&self, node: &str) -> Result<Vec<Addr6>>;
    /// IPv6 routes of `node`'s main table (`ip -6 route`).
    fn routes6(&self, node: &str) -> Result<Vec<Route6>>;
    /// IPv6 neighbour (NDP) entries of `node` (`ip -6 neigh`).
    fn neighbours6(&self, node: &str) -> Result<Vec<Neigh6>>;
    /// Neighbour entries (ARP and NDP) of `node` the kernel announced
    /// removed (RTM_DELNEIGH) since traffic began, each in the state it had
    /// then: a FAILED entry the kernel's garbage collection took away once
    /// the machine holds `gc_thresh1` entries (128, every namespace's
    /// together). None where nobody listened.
    fn neighbours_gone(&self, node: &str) -> Result<Vec<Neigh<std::net::IpAddr>>> {
        let _ = node;
        Ok(vec![])
    }
    /// A sysctl of `node`, as `sysctl -n` prints it.
    fn sysctl(&self, node: &str, key: &str) -> Result<String>;
    /// `/sys/class/net/DEV/iflink` read inside `node`.
    fn sysfs_iflink(&self, node: &str, dev: &str) -> Result<u32>;
    /// `peer_ifindex` from `ethtool -S DEV` inside `node`.
    fn ethtool_peer_ifindex(&self, node: &str, dev: &str) -> Result<u32>;
    /// The node whose namespace `node` knows by netns id `id`.
    fn node_of_nsid(&self, node: &str, id: i32) -> Result<Option<String>>;
    /// The addresses host-local holds for CNI network `network`.
    fn ipam(&self, network: &str) -> Result<Vec<String>>;
    /// BIRD's protocols in `node` (name, protocol, state and info), from its
    /// control socket; `None` when no BIRD runs there.
    fn bird_protocols(&self, node: &str) -> Result<Option<Vec<(String, String, String)>>> {
        // A state with no daemons (a unit test's) lacks the capability.
        Err(crate::error::Error::Unsupported(format!(
            "no BIRD can run in {node} here"
        )))
    }
    /// Where the lab's ifindex `i` landed on this kernel (fallback devices
    /// such as `gre0` shift it).
    fn map_index(&self, i: u32) -> u32 {
        i
    }
    /// `at` (`ifN`, or a name) with a lab ifindex mapped as `map_index` does.
    fn map_at(&self, at: &str) -> String {
        at.to_string()
    }
    /// The kernel's fallback devices (`tunl0`, `gre0`, …) present in every
    /// namespace: not the lab's to list.
    fn fallback_names(&self) -> Vec<String> {
        vec![]
    }
}
