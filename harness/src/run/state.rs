//! The live kernel state of a lab's namespaces, as the pure checks read it.

use crate::check::state::State;
use crate::error::{Error, Result};
use crate::model::{Addr, Addr6, Fdb, Link, Neigh, Neigh6, Route, Route6};
use crate::sys::netlink;
use crate::topo::Topo;

impl State for Topo {
    fn links(&self, node: &str) -> Result<Vec<Link>> {
        Topo::links(self, node)
    }
    fn link(&self, node: &str, dev: &str) -> Result<Link> {
        Topo::link(self, node, dev)
    }
    fn addrs(&self, node: &str) -> Result<Vec<Addr>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::addrs(ns.nl()))
    }
    fn routes(&self, node: &str) -> Result<Vec<Route>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::routes(ns.nl()))
    }
    fn neighbours(&self, node: &str) -> Result<Vec<Neigh>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::neighbours(ns.nl()))
    }
    fn fdb(&self, node: &str) -> Result<Vec<Fdb>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::fdb(ns.nl()))
    }
    fn addrs6(&self, node: &str) -> Result<Vec<Addr6>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::addrs6(ns.nl()))
    }
    fn routes6(&self, node: &str) -> Result<Vec<Route6>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::routes6(ns.nl()))
    }
    fn neighbours6(&self, node: &str) -> Result<Vec<Neigh6>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::neighbours6(ns.nl()))
    }
    fn neighbours_gone(&self, node: &str) -> Result<Vec<Neigh<std::net::IpAddr>>> {
        Topo::neighbours_gone(self, node)
    }
    fn sysctl(&self, node: &str, key: &str) -> Result<String> {
        self.sysctl_read(node, key)
    }
    fn sysfs_iflink(&self, node: &str, dev: &str) -> Result<u32> {
        let d = dev.to_string();
        self.node(node)?
            .with_sysfs(move || std::fs::read_to_string(format!("/sys/class/net/{d}/iflink")))?
            .map_err(|e| Error::io(format!("[{node}] read /sys/class/net/{dev}/iflink"), e))?
            .trim()
            .parse()
            .map_err(|e| Error::parse(format!("[{node}] /sys/class/net/{dev}/iflink"), e))
    }
    fn ethtool_peer_ifindex(&self, node: &str, dev: &str) -> Result<u32> {
        let d = dev.to_string();
        self.node(node)?
            .run(move || crate::sys::ethtool::peer_ifindex(&d))?
            .map_err(|e| Error::io(format!("[{node}] ethtool -S {dev}"), e))
    }
    fn bird_protocols(&self, node: &str) -> Result<Option<Vec<(String, String, String)>>> {
        match self.scratch_path() {
            Some(d) => {
                let ns = self.node(node)?.fd();
                crate::sys::bird::protocols(&d.join(format!("bird-{node}.ctl")), ns)
            }
            None => Ok(None),
        }
    }
    fn node_of_nsid(&self, node: &str, id: i32) -> Result<Option<String>> {
        Topo::node_of_nsid(self, node, id)
    }
    fn ipam(&self, network: &str) -> Result<Vec<String>> {
        let dir = self
            .scratch_path()
            .map(|p| p.join("ipam").join(network))
            .ok_or_else(|| Error::not_found("no CNI plugin ran in this lab"))?;

        // No directory yet: nothing allocated.
        Ok(std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| n.parse::<std::net::Ipv4Addr>().is_ok())
                    .collect()
            })
            .unwrap_or_default())
    }
    fn map_index(&self, i: u32) -> u32 {
        self.index_plan().map(i)
    }
    fn map_at(&self, at: &str) -> String {
        self.index_plan().map_at(at)
    }
    fn fallback_names(&self) -> Vec<String> {
        crate::sys::kernel::facts()
            .fallback_names()
            .map(str::to_string)
            .collect()
    }
}
