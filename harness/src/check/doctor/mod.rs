//! `vethlab doctor`, the judging half: the seeds' misconfigurations named
//! over a plain snapshot of every namespace read ([`Snapshot`]). Pure: the
//! reading is `tools::doctor`, the text and JSON `report::doctor`.
//!
//! One rule a file; each returns findings with a stable id, a severity, the
//! namespace and device, the evidence (lines of state as `ip` prints them),
//! the seed it comes from and the fix in the seed's terms. A rule that
//! lacks a reading it needs (a sysctl it could not read) stays quiet: the
//! snapshot's `unread` says what was not seen, nothing is guessed.

mod bridge_port;
mod fallback;
mod forwarding;
mod loopback;
mod peer_index;
mod proxy_arp;
mod shared_gw;
mod unreachable;
mod vxlan;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_more;

use crate::model::{fmt_mac, Addr, Addr6, Fdb, Link, Neigh, Route};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// Every namespace read, and what could not be read.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// The namespaces, in the order found.
    pub namespaces: Vec<Ns>,
    /// What could not be looked at (/proc entries whose namespace is not
    /// known), and why.
    pub unread: Vec<String>,
    /// Namespaces found but not read (entering needs CAP_SYS_ADMIN), and why.
    pub missed: Vec<String>,
}

/// One network namespace's state.
#[derive(Debug, Default, Clone)]
pub struct Ns {
    /// How people name it (`ip netns` name, `host`, `pid N`).
    pub label: String,
    /// `ip link`.
    pub links: Vec<Link>,
    /// `ip -4 addr`.
    pub addrs: Vec<Addr>,
    /// `ip -6 addr`.
    pub addrs6: Vec<Addr6>,
    /// `ip route` (main table).
    pub routes: Vec<Route>,
    /// `ip neigh`.
    pub neighbours: Vec<Neigh>,
    /// `bridge fdb`.
    pub fdb: Vec<Fdb>,
    /// Sysctls by dotted key (`net.ipv4.ip_forward`,
    /// `net.ipv4.conf.DEV.proxy_arp`), those that could be read.
    pub sysctls: BTreeMap<String, String>,
    /// Listening TCP and bound UDP sockets, IPv4 and IPv6, when they could be counted.
    pub listening: Option<usize>,
    /// A veth's peer in another namespace: ifindex here -> (namespace
    /// index in the snapshot, its ifindex there).
    pub peers: BTreeMap<u32, (usize, u32)>,
    /// What of this namespace could not be read.
    pub unread: Vec<String>,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks traffic: exit 1.
    Problem,
    /// Explains something surprising; nothing to fix.
    Info,
}

/// One thing doctor saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id (`bridge-port-address`, ...).
    pub id: &'static str,
    /// `problem` or `info`.
    pub severity: Severity,
    /// The namespace's label.
    pub netns: String,
    /// The device it is about.
    pub device: String,
    /// The lines of state that show it.
    pub evidence: Vec<String>,
    /// The field note it comes from (`000`..`004`, or `kernel`).
    pub seed: &'static str,
    /// What to do, in the seed's terms.
    pub fix: String,
}

/// Every finding over `s`: problems first, then by namespace and device.
pub fn diagnose(s: &Snapshot) -> Vec<Finding> {
    let mut f = vec![];
    for rule in RULES {
        f.extend(rule(s));
    }
    f.sort_by(|a, b| {
        (a.severity, &a.netns, &a.device, a.id).cmp(&(b.severity, &b.netns, &b.device, b.id))
    });
    f
}

type Rule = fn(&Snapshot) -> Vec<Finding>;

const RULES: &[Rule] = &[
    bridge_port::check,
    unreachable::check,
    proxy_arp::check,
    loopback::check,
    vxlan::check,
    forwarding::check,
    peer_index::check,
    shared_gw::check,
    fallback::check,
];

/// The ids doctor can report, in the README's order.
pub const IDS: &[&str] = &[
    "bridge-port-address",
    "pod-unreachable",
    "proxy-arp-missing",
    "loopback-down",
    "vxlan-fdb-missing",
    "vxlan-one-way",
    "forwarding-off",
    "peer-index-elsewhere",
    "shared-gateway-32",
    "fallback-tunnel",
];

impl Ns {
    /// The link of ifindex `i`.
    pub fn link(&self, i: u32) -> Option<&Link> {
        self.links.iter().find(|l| l.index == i)
    }

    /// Ifindex `i`'s name, or `ifN`.
    pub fn name(&self, i: u32) -> String {
        self.link(i)
            .map(|l| l.name.clone())
            .unwrap_or_else(|| format!("if{i}"))
    }

    /// The addresses on ifindex `i`.
    pub fn addrs_of(&self, i: u32) -> impl Iterator<Item = &Addr> {
        self.addrs.iter().filter(move |a| a.index == i)
    }

    /// A sysctl, if it was read.
    pub fn sysctl(&self, key: &str) -> Option<&str> {
        self.sysctls.get(key).map(|s| s.trim())
    }

    /// The route the kernel would pick for `ip` (longest prefix, then lowest metric).
    pub fn lookup(&self, ip: Ipv4Addr) -> Option<&Route> {
        self.routes
            .iter()
            .filter(|r| match r.dst {
                None => true,
                Some((d, p)) => within(ip, d, p),
            })
            .max_by_key(|r| {
                (
                    r.dst.map_or(0, |d| d.1),
                    std::cmp::Reverse(r.metric.unwrap_or(0)),
                )
            })
    }

    /// `ip -o addr` lines of ifindex `i`: `inet`, then `inet6`.
    pub fn addr_lines(&self, i: u32) -> Vec<String> {
        let v4 = self
            .addrs_of(i)
            .map(|a| format!("{}: {} inet {}/{}", i, self.name(i), a.ip, a.prefix));
        let v6 = self.addrs6.iter().filter(|a| a.index == i).map(|a| {
            let scope = if a.ip.is_unicast_link_local() {
                " scope link"
            } else {
                ""
            };
            format!("{}: {} inet6 {}/{}{scope}", i, self.name(i), a.ip, a.prefix)
        });
        v4.chain(v6).collect()
    }

    /// `ip link` line of `l`, with its master and peer as `ip` shows them.
    pub fn link_line(&self, l: &Link) -> String {
        let at = match (l.link, l.link_netnsid) {
            (Some(p), Some(_)) => format!("@if{p}"),
            (Some(p), None) if p != l.index => format!("@{}", self.name(p)),
            _ => String::new(),
        };
        let mut s = format!(
            "{}: {}{}: {} mtu {}",
            l.index,
            l.name,
            at,
            l.flag_names(),
            l.mtu
        );
        if let Some(m) = l.master {
            s.push_str(&format!(" master {}", self.name(m)));
        }
        s.push_str(&format!(" state {}", l.operstate));
        if let Some(mac) = l.mac {
            s.push_str(&format!(" link/ether {}", fmt_mac(&mac)));
        }
        s
    }

    /// A route as `ip route` prints it.
    pub fn route_line(&self, r: &Route) -> String {
        r.render(&|i| self.name(i))
    }
}

/// `ip` is inside `net`/`prefix`.
pub fn within(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Whether a link is of kind `k` (IFLA_INFO_KIND).
pub fn is(l: &Link, k: &str) -> bool {
    l.kind.as_deref() == Some(k)
}

/// `net.ipv4.conf.DEV.KEY`, with a dot in DEV written `/` as sysctl(8) does.
pub fn conf_key(dev: &str, key: &str) -> String {
    format!("net.ipv4.conf.{}.{key}", dev.replace('.', "/"))
}

/// A finding of `s`'s namespace `ns` about `device`.
pub(crate) fn finding(
    id: &'static str,
    severity: Severity,
    ns: &Ns,
    device: &str,
    seed: &'static str,
) -> Finding {
    Finding {
        id,
        severity,
        netns: ns.label.clone(),
        device: device.to_string(),
        evidence: vec![],
        seed,
        fix: String::new(),
    }
}

/// The veth end at the far side of `l` in namespace `i`, if it lives in
/// another namespace that was read: (namespace index, its link).
pub fn far_end<'a>(s: &'a Snapshot, i: usize, l: &Link) -> Option<(usize, &'a Link)> {
    let (j, idx) = *s.namespaces.get(i)?.peers.get(&l.index)?;
    let far = s.namespaces.get(j)?;
    Some((j, far.link(idx)?))
}
