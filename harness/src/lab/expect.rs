//! Assertions on kernel state as written in lab files (`"expect": KIND`):
//! what each one names and how it is described. Judging is in `check::judge`.

use serde::Deserialize;

/// A `node:iface` reference, as written in lab files.
pub fn split_at(s: &str) -> Option<(&str, &str)> {
    s.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Iflink,
    Sysfs,
    Ethtool,
}

/// An assertion on kernel state, as written in lab.json (`"expect": KIND`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "expect", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Expect {
    /// The exact set of links in a node.
    Links { node: String, names: Vec<String> },
    Link {
        node: String,
        dev: String,
        index: Option<u32>,
        mtu: Option<u32>,
        state: Option<String>,
        flags: Option<Vec<String>>,
        mac: Option<String>,
        master: Option<String>,
        kind: Option<String>,
        /// `veth1` (same node) or `node:dev`: IFLA_LINK (and link-netnsid) point there.
        peer: Option<String>,
        /// What iproute2 prints after `@`: `if3`, or a name in the same namespace.
        at: Option<String>,
    },
    Addr {
        node: String,
        dev: String,
        exactly: Vec<String>,
    },
    Routes {
        node: String,
        #[serde(default)]
        has: Vec<String>,
        #[serde(default)]
        lacks: Vec<String>,
    },
    Neigh {
        node: String,
        dev: String,
        ip: String,
        state: Vec<String>,
        lladdr: Option<String>,
    },
    Sysctl {
        node: String,
        key: String,
        value: String,
    },
    /// The peer's ifindex by each of seed 002's methods.
    PeerIndex {
        node: String,
        dev: String,
        peer: String,
        methods: Vec<Method>,
    },
    /// Bridge membership, exactly (what `brctl show` lists).
    Bridge {
        node: String,
        dev: String,
        members: Vec<String>,
    },
    /// Two capture points saw byte-identical frames (needs both in `capture`).
    SameFrames { a: String, b: String },
    /// The addresses host-local holds for a CNI network, exactly (in the
    /// run's scratch directory: after DEL, none).
    Ipam {
        network: String,
        allocated: Vec<String>,
    },
}

impl Expect {
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Expect::Links { node, .. }
            | Expect::Addr { node, .. }
            | Expect::Routes { node, .. }
            | Expect::Neigh { node, .. }
            | Expect::Sysctl { node, .. }
            | Expect::Bridge { node, .. } => vec![node],
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
            Expect::SameFrames { .. } | Expect::Ipam { .. } | Expect::Sysctl { .. }
        )
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Expect::Links { node, names } => {
                format!("links in {node} are exactly {}", names.join(", "))
            }
            Expect::Link { node, dev, .. } => format!("link {dev} in {node}"),
            Expect::Addr { node, dev, exactly } => {
                format!(
                    "{dev} in {node} holds {}",
                    if exactly.is_empty() {
                        "no IPv4 address".into()
                    } else {
                        exactly.join(", ")
                    }
                )
            }
            Expect::Routes { node, .. } => format!("routes of {node}"),
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
            Expect::Ipam { network, allocated } => format!(
                "host-local holds exactly [{}] for network {network}",
                allocated.join(", ")
            ),
        }
    }
}
