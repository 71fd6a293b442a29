//! Assertions on kernel state as written in lab files (`"expect": KIND`).
//! One kind is one file of this folder implementing [`Kind`] (its fields as
//! the lab file writes them, what it names, how it is judged through
//! [`State`] and described), registered once in the list below: the loader,
//! the judge, the step runner, the reports and the JSON schema all dispatch
//! through it. Adding a kind is its file and one line of the list.
//!
//! Here in `lab` rather than `check` because a lab's steps hold them and
//! `check` reads labs: one folder for both halves keeps the layers acyclic.

use crate::error::Result;
use crate::model::State;

#[macro_use]
mod registry;

// The list: `"tag" => Variant(file::Type),` per kind (a doc comment is
// optional), where `file.rs` in this folder holds `Type` and its
// `impl Kind`. Nothing else names a kind.
kinds! {
    /// The exact set of links in a node.
    "links" => Links(links::ExpectLinks),
    /// One link's attributes; only the ones given are compared.
    "link" => Link(link::ExpectLink),
    /// The addresses of one interface (IPv4, IPv6 or both, see `family`).
    "addr" => Addr(addr::ExpectAddr),
    /// Lines `ip route` (or `ip -6 route`) must and must not print in a node.
    "routes" => Routes(routes::ExpectRoutes),
    /// One neighbour entry, as `ip neigh` (ARP) or `ip -6 neigh` (NDP) shows it.
    "neigh" => Neigh(neigh::ExpectNeigh),
    /// A sysctl's value in a node (`net.ipv4.ip_forward` = `1`).
    "sysctl" => Sysctl(sysctl::ExpectSysctl),
    /// The peer's ifindex by each of seed 002's methods.
    "peer-index" => PeerIndex(peer_index::ExpectPeerIndex),
    /// Bridge membership, exactly (what `brctl show` lists).
    "bridge" => Bridge(bridge::ExpectBridge),
    /// Two capture points saw byte-identical frames (needs both in `capture`).
    "same-frames" => SameFrames(same_frames::ExpectSameFrames),
    /// A BIRD daemon runs in the node and one of its BGP sessions is
    /// Established (asked over its control socket): routes learned over BGP,
    /// not written by hand.
    "bgp" => Bgp(bgp::ExpectBgp),
    /// The addresses host-local holds for a CNI network, exactly (in the
    /// run's scratch directory: after DEL, none).
    "ipam" => Ipam(ipam::ExpectIpam),
}

pub use peer_index::{peer_index, Method};

/// A string a kind takes that `lab::validate` must find plain before it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untrusted<'a> {
    /// A per-namespace `net.*` sysctl key (read under /proc/sys).
    SysctlKey(&'a str),
    /// A name that becomes a file name: what it names, and the name.
    Name(&'static str, &'a str),
    /// An interface name (it becomes a sysfs path and a file name).
    Iface(&'a str),
    /// An interface as `dev` (in the kind's node) or `node:dev`.
    At(&'a str),
}

/// What a judge found: `Ok(what was seen)` or `Err(what differs)`, its
/// first line the diagnosis and the rest what was seen.
pub type Judgement = std::result::Result<String, String>;

/// One kind of assertion. Only `nodes`, `describe` and `judge` are required:
/// the rest says where a kind differs from reading settled kernel state.
pub trait Kind {
    /// The lab nodes it reads, so a lab naming an unknown one is refused at load.
    fn nodes(&self) -> Vec<&str>;

    /// The (node, device) pairs it reads, which must exist.
    fn devices(&self) -> Vec<(&str, &str)> {
        vec![]
    }

    /// Why it could never fail, if it could not: refused at load.
    fn vacuous(&self) -> Option<&'static str> {
        None
    }

    /// What it names that cannot be compared (an address of another family
    /// than it reads, an entry that is no address), refused at load.
    fn mistake(&self) -> Option<String> {
        None
    }

    /// The step's capture points it compares, each of which the step must capture.
    fn capture_points(&self) -> Vec<&str> {
        vec![]
    }

    /// The (node, sysctl key) pairs it reads, which reports show beside the topology.
    fn sysctls(&self) -> Vec<(&str, &str)> {
        vec![]
    }

    /// Strings it takes that become more than text (a sysctl key becomes a
    /// path under /proc/sys, a name a file name): refused at load unless
    /// plain. Its `node` and `dev` are checked as every item's are.
    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        vec![]
    }

    /// Whether this is kernel state that may still be settling when read
    /// (and whose changes the kernel announces), so a miss is awaited.
    fn settles(&self) -> bool {
        true
    }

    /// The node whose kernel announces changes of what it reads (a netlink
    /// notification ends a wait); `None`: looked at again on a short timer.
    fn announced_in(&self) -> Option<&str> {
        self.nodes().first().copied()
    }

    /// Whether a miss is final, nothing that time would change (no daemon at all).
    fn hopeless(&self, _differs: &str) -> bool {
        false
    }

    /// A short description for reports.
    fn describe(&self) -> String;

    /// Judged against kernel state now.
    fn judge(&self, st: &dyn State) -> Result<Judgement>;

    /// Judged on the step's captures instead of kernel state, for a kind that
    /// compares frames: `frames(POINT)` is what a capture point saw.
    fn judge_captures<'a>(
        &self,
        _frames: &dyn Fn(&str) -> Option<Vec<&'a [u8]>>,
    ) -> Option<Judgement> {
        None
    }
}

impl Expect {
    /// The assertion a lab item is, if it is one that parses: the loader
    /// takes an item's `id` and `within_ms` off before its kind reads the
    /// rest. A malformed one is `None` here, the loader's to report.
    pub fn of_item(item: &serde_json::Value) -> Option<Expect> {
        let mut m = item.as_object()?.clone();
        m.get("expect")?;
        m.remove("id");
        m.remove("within_ms");
        serde_json::from_value(serde_json::Value::Object(m)).ok()
    }

    /// Check against the kernel now. Ok(what was seen) or Err(what differs).
    pub fn check(&self, st: &dyn State) -> Result<Judgement> {
        let r = self.judge(st);
        // A device that is not there is a judgement, not an error: name it
        // with its node ("song has no interface veth1").
        if r.is_err() {
            for (node, dev) in self.devices() {
                if let Ok(links) = st.links(node) {
                    if !links.iter().any(|l| l.name == dev) {
                        return Ok(Err(format!("{node} has no interface {dev}")));
                    }
                }
            }
        }
        r
    }
}

/// The judgement of most kinds: passed with what was seen unless `miss`
/// says what differs, then shown above what was seen.
pub fn judged(miss: Option<String>, seen: String) -> Judgement {
    match miss {
        None => Ok(seen),
        Some(m) => Err(format!("{m}\n{seen}")),
    }
}

/// A `node:iface` reference, as written in lab files.
pub fn split_at(s: &str) -> Option<(&str, &str)> {
    s.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
}
