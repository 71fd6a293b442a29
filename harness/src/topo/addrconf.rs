//! IPv6 address configuration, awaited: a device's link-local address is
//! made when the kernel's linkwatch takes in its carrier, and stays
//! `tentative` until the address work runs (at once with `accept_dad=0`,
//! but on a workqueue, after the command that caused it returned).

use super::Topo;
use crate::error::Result;
use crate::sys::netns::Netns;
use std::time::{Duration, Instant};

/// IFA_F_TENTATIVE in `/proc/net/if_inet6`'s flags column.
const TENTATIVE: u32 = 0x40;
/// IFA_F_DADFAILED: tentative for good, nothing to wait for.
const DADFAILED: u32 = 0x08;

/// How long IPv6 configuration the kernel is sure to finish (a carrier taken
/// in, a link-local address made, an address leaving `tentative`) is
/// awaited. It returns as soon as it is done, so the bound costs nothing on
/// an idle machine; on a starved one the kernel's addrconf work, which
/// takes the rtnl lock, ran late: well over 2 s with four whole runs on one
/// CPU, and over 20 s there with every tunnel module loaded (the kernel
/// matrix's mode all: `2001:db8:122::101/64` still tentative when
/// veth-pair-ipv6/dual-stack read it after 10 s).
pub const ADDRCONF_WAIT: Duration = Duration::from_secs(30);

impl Topo {
    /// Wait until every node's IPv6 addresses are configured: each link
    /// that is up with its carrier has had it taken in (its link-local
    /// address exists then), and no address is still tentative. Awaited on
    /// the node's announced changes, at most `within`; what is still
    /// pending then is left as it is (a read shows it as the kernel has it).
    pub fn await_addrconf(&self, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        for ns in self.nodes() {
            let pending = || -> Result<bool> {
                let links = self.links(ns.name())?;
                let carrier_pending = links.iter().any(|l| {
                    l.up()
                        && l.lower_up()
                        && matches!(l.operstate.as_str(), "DOWN" | "LOWERLAYERDOWN")
                });
                // Only where the address can leave `tentative`: an address
                // on a link that is down (or has no carrier) stays so until
                // the link comes up, which no wait here would bring.
                let live: Vec<u32> = links
                    .iter()
                    .filter(|l| l.up() && l.lower_up())
                    .map(|l| l.index)
                    .collect();
                Ok(carrier_pending || tentative(ns, &live)?)
            };
            if !pending()? {
                continue;
            }
            // Subscribed before the next look: no change between is missed.
            let changes = ns.changes()?;
            while pending()? && changes.wait(deadline) {}
        }
        Ok(())
    }
}

impl Topo {
    /// After a bridge comes up or gains a port: wait (at most `within`)
    /// until the kernel gave it its link-local address, as it has by the
    /// time a person types the next command. The address is made from the
    /// MAC the bridge has then, once its carrier is on and taken in by the
    /// kernel's linkwatch, later than the command; a MAC change right after
    /// (a port lending it, `ip link set br0 address`) would otherwise come
    /// first (seed 004's br0 shows the address from its own first MAC).
    /// Nothing to wait for while no carrier is coming (no port up) or
    /// without IPv6 on the device.
    pub(super) fn await_link_local(&self, node: &str, dev: &str, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        let ns = self.node(node)?;
        let pending = || -> Result<bool> {
            let links = self.links(node)?;
            let Some(br) = links.iter().find(|l| l.name == dev) else {
                return Ok(false);
            };
            let carrier = br.lower_up()
                || links
                    .iter()
                    .any(|p| p.master == Some(br.index) && p.up() && p.lower_up());
            if !(br.up() && carrier) {
                return Ok(false);
            }
            let name = dev.to_string();
            ns.run(move || !has_link_local(&name))
        };
        if !pending()? {
            return Ok(());
        }
        let changes = ns.changes()?;
        while pending()? && changes.wait(deadline) {}
        Ok(())
    }
}

/// Whether device `name` of the calling thread's namespace has a
/// link-local address, or never will (IPv6 off on it, or `addrgenmode
/// none`: no wait to its bound for what cannot come).
fn has_link_local(name: &str) -> bool {
    let conf = |f: &str| std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{name}/{f}"));
    if conf("disable_ipv6").map_or(true, |v| v.trim() != "0")
        || conf("addr_gen_mode").is_ok_and(|v| v.trim() == "1")
    {
        return true;
    }
    let text = std::fs::read_to_string("/proc/thread-self/net/if_inet6");
    text.unwrap_or_default().lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.first().is_some_and(|a| a.starts_with("fe80")) && f.get(5) == Some(&name)
    })
}

/// Whether an IPv6 address of `ns` on a link in `live` (up, with carrier)
/// is still tentative. `/proc/net` of the
/// reading thread's namespace (`thread-self`: `self` is the process's); a
/// kernel without IPv6 has no such file, and nothing pending.
fn tentative(ns: &Netns, live: &[u32]) -> Result<bool> {
    let text = ns.run(|| std::fs::read_to_string("/proc/thread-self/net/if_inet6"))?;
    Ok(text.unwrap_or_default().lines().any(|l| {
        // ADDRESS IFINDEX PREFIX SCOPE FLAGS NAME, in hex.
        let w: Vec<&str> = l.split_whitespace().collect();
        let hex = |i: usize| w.get(i).and_then(|f| u32::from_str_radix(f, 16).ok());
        let (index, f) = (hex(1).unwrap_or(0), hex(4).unwrap_or(0));
        live.contains(&index) && f & TENTATIVE != 0 && f & DADFAILED == 0
    }))
}
