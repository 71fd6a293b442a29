//! Assertions on kernel state as written in lab files (`"expect": KIND`):
//! what each one names and how it is described. Judging is in `check::judge`.

pub use crate::lab::inet6::Family;
use serde::Deserialize;

/// A `node:iface` reference, as written in lab files.
pub fn split_at(s: &str) -> Option<(&str, &str)> {
    s.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
}

/// A way to learn a veth peer's ifindex (seed 002 shows all three).
#[derive(Debug, Clone, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The link's IFLA_LINK attribute over netlink (what `ip link` shows as `@ifN`).
    Iflink,
    /// `/sys/class/net/DEV/iflink`.
    Sysfs,
    /// `ethtool -S DEV`: its `peer_ifindex` statistic.
    Ethtool,
}

/// An assertion on kernel state, as written in lab.json (`"expect": KIND`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(tag = "expect", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Expect {
    /// The exact set of links in a node.
    Links {
        /// The lab node (network namespace) to look in.
        node: String,
        /// Every interface name there, in any order (the kernel's fallback
        /// tunnels such as `tunl0` count only when named).
        names: Vec<String>,
    },
    /// One link's attributes; only the ones given are compared.
    Link {
        /// The lab node (network namespace) to look in.
        node: String,
        /// The interface name.
        dev: String,
        /// Its ifindex, as the article's `ip link` shows it.
        index: Option<u32>,
        /// MTU in bytes, as `ip link` prints it.
        mtu: Option<u32>,
        /// Operational state as `ip link` prints it (`UP`, `DOWN`, `LOWERLAYERDOWN`, ...).
        state: Option<String>,
        /// Flags that must be among those in `<…>` (`UP`, `LOWER_UP`, `NO-CARRIER`, ...).
        flags: Option<Vec<String>>,
        /// The MAC, literally or as a `{node.iface.mac}` placeholder.
        mac: Option<String>,
        /// The bridge it is enslaved to (`master br0`), or `none`.
        master: Option<String>,
        /// The link kind `ip -d link` prints (`veth`, `bridge`, `vxlan`, ...).
        kind: Option<String>,
        /// `veth1` (same node) or `node:dev`: IFLA_LINK (and link-netnsid) point there.
        peer: Option<String>,
        /// What iproute2 prints after `@`: `if3`, or a name in the same namespace.
        at: Option<String>,
    },
    /// The addresses of one interface (IPv4, IPv6 or both, see `family`).
    Addr {
        /// The lab node (network namespace) to look in.
        node: String,
        /// The interface name.
        dev: String,
        /// Every address of the compared families as `IP/PREFIX`, in any
        /// order (`{node.dev.ll6}/64` is the link-local address).
        #[serde(default)]
        exactly: Option<Vec<String>>,
        /// Addresses it must hold among others (`IP/PREFIX`), where the
        /// task does not say it holds nothing else.
        #[serde(default)]
        has: Vec<String>,
        /// The families `exactly` is exact in: `inet`, `inet6` or `all`.
        /// Default: those its addresses are of (IPv4 when it is empty), so
        /// the link-local `inet6` address every interface gets is listed
        /// only where the lab speaks of IPv6.
        #[serde(default)]
        family: Option<Family>,
    },
    /// Lines `ip route` (or `ip -6 route`) must and must not print in a node.
    Routes {
        /// The lab node (network namespace) to look in.
        node: String,
        /// `inet6`: the lines are `ip -6 route`'s (default `inet`, `ip route`).
        #[serde(default)]
        family: Option<Family>,
        /// Route lines that must be present (blanks need not match exactly).
        #[serde(default)]
        has: Vec<String>,
        /// Route lines that must be absent.
        #[serde(default)]
        lacks: Vec<String>,
    },
    /// One neighbour entry, as `ip neigh` (ARP) or `ip -6 neigh` (NDP) shows it.
    Neigh {
        /// The lab node (network namespace) to look in.
        node: String,
        /// The interface the entry is on.
        dev: String,
        /// The neighbour's IPv4 or IPv6 address (or `{node.dev.ll6}`).
        ip: String,
        /// States any one of which passes (`REACHABLE`, `STALE`, `PERMANENT`, ...).
        state: Vec<String>,
        /// The link-layer address it must hold, if given.
        lladdr: Option<String>,
    },
    /// A sysctl's value in a node (`net.ipv4.ip_forward` = `1`).
    Sysctl {
        /// The lab node (network namespace) to read it in.
        node: String,
        /// The dotted key, as `sysctl` names it.
        key: String,
        /// The value, as `sysctl` prints it.
        value: String,
    },
    /// The peer's ifindex by each of seed 002's methods.
    PeerIndex {
        /// The lab node (network namespace) of the veth end to ask.
        node: String,
        /// That veth end.
        dev: String,
        /// Its peer: `dev` (same node) or `node:dev`.
        peer: String,
        /// The methods to ask; each must give the peer's ifindex.
        methods: Vec<Method>,
    },
    /// Bridge membership, exactly (what `brctl show` lists).
    Bridge {
        /// The lab node (network namespace) to look in.
        node: String,
        /// The bridge.
        dev: String,
        /// Every interface enslaved to it, in any order.
        members: Vec<String>,
    },
    /// Two capture points saw byte-identical frames (needs both in `capture`).
    SameFrames {
        /// One capture point, as the step's `capture` names it.
        a: String,
        /// The other capture point.
        b: String,
    },
    /// A BIRD daemon runs in the node and one of its BGP sessions is
    /// Established (asked over its control socket): routes learned over BGP,
    /// not written by hand.
    Bgp {
        /// The lab node (network namespace) BIRD runs in.
        node: String,
    },
    /// The addresses host-local holds for a CNI network, exactly (in the
    /// run's scratch directory: after DEL, none).
    Ipam {
        /// The CNI network's name (`name` in its config).
        network: String,
        /// The addresses allocated, as IPs.
        allocated: Vec<String>,
    },
}

impl Expect {
    /// The lab nodes this assertion reads, so a lab naming an unknown one is
    /// refused at load.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Expect::Links { node, .. }
            | Expect::Addr { node, .. }
            | Expect::Routes { node, .. }
            | Expect::Neigh { node, .. }
            | Expect::Sysctl { node, .. }
            | Expect::Bridge { node, .. }
            | Expect::Bgp { node } => vec![node],
            Expect::Ipam { .. } => vec![],
            Expect::Link { node, peer, .. } => {
                let mut v = vec![node.as_str()];
                if let Some((n, _)) = peer.as_deref().and_then(split_at) {
                    v.push(n);
                }
                v
            }
            Expect::PeerIndex { node, peer, .. } => {
                let mut v = vec![node.as_str()];
                if let Some((n, _)) = split_at(peer) {
                    v.push(n);
                }
                v
            }
            Expect::SameFrames { a, b } => [a, b]
                .iter()
                .filter_map(|s| split_at(s).map(|p| p.0))
                .collect(),
        }
    }

    /// The (node, device) pairs this expectation reads, which must exist.
    pub fn devices(&self) -> Vec<(&str, &str)> {
        match self {
            Expect::Link { node, dev, .. }
            | Expect::Addr { node, dev, .. }
            | Expect::Neigh { node, dev, .. }
            | Expect::PeerIndex { node, dev, .. }
            | Expect::Bridge { node, dev, .. } => vec![(node.as_str(), dev.as_str())],
            _ => vec![],
        }
    }

    /// Whether this is kernel state that may still be settling when read
    /// (and whose changes the kernel announces), so a miss is awaited.
    pub fn settles(&self) -> bool {
        !matches!(
            self,
            Expect::SameFrames { .. }
                | Expect::Ipam { .. }
                | Expect::Sysctl { .. }
                | Expect::Bgp { .. }
        )
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Expect::Links { node, names } => {
                format!("links in {node} are exactly {}", names.join(", "))
            }
            Expect::Link { node, dev, .. } => format!("link {dev} in {node}"),
            Expect::Addr {
                node,
                dev,
                exactly,
                has,
                family,
            } => match exactly {
                Some(x) if x.is_empty() => format!(
                    "{dev} in {node} holds no {} address",
                    Family::of(x, *family).word()
                ),
                Some(x) => format!("{dev} in {node} holds {}", x.join(", ")),
                None => format!("{dev} in {node} holds {} (among others)", has.join(", ")),
            },
            Expect::Routes {
                node, has, lacks, ..
            } => {
                // What is asserted, so four checks of one node read apart.
                let q = |v: &[String]| {
                    v.iter()
                        .map(|l| format!("`{l}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                match (has.is_empty(), lacks.is_empty()) {
                    (false, true) => format!("routes of {node} have {}", q(has)),
                    (true, false) => format!("routes of {node} lack {}", q(lacks)),
                    (false, false) => {
                        format!("routes of {node} have {}; lack {}", q(has), q(lacks))
                    }
                    (true, true) => format!("routes of {node}"),
                }
            }
            Expect::Neigh {
                node,
                dev,
                ip,
                state,
                ..
            } => format!(
                "neighbour {ip} on {dev} in {node} is {}",
                state.join(" or ")
            ),
            Expect::Sysctl { node, key, value } => format!("{key} = {value} in {node}"),
            Expect::PeerIndex {
                node,
                dev,
                peer,
                methods,
            } => format!(
                "peer of {dev} in {node} is {peer} by {}",
                methods
                    .iter()
                    .map(|m| format!("{m:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Expect::Bridge { node, dev, members } => format!(
                "bridge {dev} in {node} has exactly [{}]",
                members.join(", ")
            ),
            Expect::SameFrames { a, b } => format!("frames on {a} and {b} are byte-identical"),
            Expect::Bgp { node } => format!("BIRD in {node} has a BGP session Established"),
            Expect::Ipam { network, allocated } => format!(
                "host-local holds exactly [{}] for network {network}",
                allocated.join(", ")
            ),
        }
    }
}
