//! Sysctls of a node, and its neighbour-table tuning. Per-device
//! neighbour parameters (`net.ipv4.neigh.DEV.*`) fall back to netlink
//! (RTM_SETNEIGHTBL / RTM_GETNEIGHTBL) where the kernel does not export them
//! as files: Linux before 5.17 in a network namespace owned by a user
//! namespace, which every lab node is.

use super::Topo;
use crate::error::{Context, Error, Result};
use crate::sys::netlink;

impl Topo {
    /// Read sysctl `key` (dotted, as `sysctl` takes it) in `node`, trimmed.
    pub fn sysctl_read(&self, node: &str, key: &str) -> Result<String> {
        let path = netlink::sysctl_path(key);
        let k = key.to_string();
        let r = self.node(node)?.run(move || {
            std::fs::read_to_string(&path)
                .map(|s| s.trim().to_string())
                .context(|| format!("sysctl: cannot read {k}"))
        })?;
        match (r, netlink::neigh_key(key)) {
            (Ok(v), _) => Ok(v),
            // Not exported here (Linux < 5.17 in a user namespace's netns).
            (Err(e), Some((dev, name))) if e.errno() == Some(libc::ENOENT) => {
                let n = self.node(node)?;
                let h = n.nl().clone();
                n.block_on(async move {
                    let l = netlink::link_by_name(&h, &dev).await?;
                    netlink::neigh_param(&h, l.index, &name).await
                })
            }
            (Err(e), _) => Err(e),
        }
    }

    /// Set sysctl `key` (dotted, as `sysctl -w` takes it) to `value` in `node`.
    pub fn sysctl_write(&self, node: &str, key: &str, value: &str) -> Result<()> {
        let path = netlink::sysctl_path(key);
        let (k, v) = (key.to_string(), value.to_string());
        let r = self
            .node(node)?
            .run(move || std::fs::write(&path, &v).context(|| format!("sysctl: cannot set {k}")))?;
        match (r, netlink::neigh_key(key)) {
            (Ok(()), _) => Ok(()),
            // Not exported here (Linux < 5.17 in a user namespace's netns):
            // the same parameter over netlink, as `ip ntable change` sets it.
            (Err(e), Some((dev, name))) if e.errno() == Some(libc::ENOENT) => {
                self.set_neigh_param(node, &dev, &name, value)
            }
            (Err(e), _) => Err(e),
        }
    }

    /// Set neighbour parameter `name` (its sysctl name and unit) of `dev` in
    /// `node` over netlink (RTM_SETNEIGHTBL), on every kernel.
    pub fn set_neigh_param(&self, node: &str, dev: &str, name: &str, value: &str) -> Result<()> {
        let n = self.node(node)?;
        let h = n.nl().clone();
        let (dev, name, value) = (dev.to_string(), name.to_string(), value.to_string());
        n.block_on(async move {
            let l = netlink::link_by_name(&h, &dev).await?;
            netlink::set_neigh_param(&h, l.index, &name, &value).await
        })
    }

    /// Before a step's traffic, in every node: short ARP timers on every
    /// device (100 ms between probes), so an unanswered ARP fails in 300 ms
    /// instead of 3 s; and no IGMP reports of link-local groups (a bridge
    /// joins the all-snoopers group 224.0.0.106 and would report it at a
    /// random moment), so captures hold only the lab's traffic. Per device
    /// and per node: devices copy the caller's namespace's neighbour
    /// defaults, which we never touch. Set here, not when a namespace is
    /// made, because every lookup of /proc/sys/net/ipv4 walks past each live
    /// namespace's entry (~0.7 µs each): once per node per step, not per pod.
    pub fn tune_neigh(&self) -> Result<()> {
        for n in &self.nodes {
            let names: Vec<String> = self
                .links(n.name())?
                .into_iter()
                .filter(|l| l.name != "lo")
                .map(|l| l.name)
                .collect();
            let exported = n.run(move || {
                let Ok(ipv4) = std::fs::File::open("/proc/sys/net/ipv4") else {
                    return true;
                };
                let set = |rel: &str, v: &str| crate::sys::netns::write_at(&ipv4, rel, v);
                set("igmp_link_local_mcast_reports", "0");
                for d in &names {
                    set(&format!("neigh/{d}/retrans_time_ms"), "100");
                }
                let f = nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC;
                let mode = nix::sys::stat::Mode::empty();
                nix::fcntl::openat(&ipv4, "neigh/lo/retrans_time_ms", f, mode).is_ok()
            })?;
            // Linux < 5.17 exports no per-device neighbour sysctls in a user
            // namespace's netns: set the same over netlink there.
            if !exported {
                let h = n.nl().clone();
                n.block_on(async move {
                    for l in netlink::links(&h).await?.iter().filter(|l| l.name != "lo") {
                        netlink::set_neigh_param(&h, l.index, "retrans_time_ms", "100").await?;
                    }
                    Ok::<(), Error>(())
                })?;
            }
        }
        Ok(())
    }

    /// Forget every learnt neighbour entry (not permanent ones) in every
    /// node, as `ip neigh flush all` would.
    pub fn flush_neigh_all(&self) -> Result<()> {
        for n in &self.nodes {
            let h = n.nl().clone();
            n.block_on(async move { netlink::flush_neigh_where(&h, |_| true).await })?;
        }
        Ok(())
    }

    /// Read neighbour parameter `name` (in its sysctl unit) of `dev` in
    /// `node` over netlink (RTM_GETNEIGHTBL), on every kernel.
    pub fn neigh_param(&self, node: &str, dev: &str, name: &str) -> Result<String> {
        let n = self.node(node)?;
        let h = n.nl().clone();
        let (dev, name) = (dev.to_string(), name.to_string());
        n.block_on(async move {
            let l = netlink::link_by_name(&h, &dev).await?;
            netlink::neigh_param(&h, l.index, &name).await
        })
    }
}
