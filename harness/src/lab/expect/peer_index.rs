//! `peer-index`: a veth's peer ifindex by each of seed 002's methods.

use super::{split_at, Judgement, Kind, Untrusted};
use crate::error::{Error, Result};
use crate::model::State;
use serde::Deserialize;

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

/// The peer's ifindex by each of seed 002's methods.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectPeerIndex {
    /// The lab node (network namespace) of the veth end to ask.
    pub node: String,
    /// That veth end.
    pub dev: String,
    /// Its peer: `dev` (same node) or `node:dev`.
    pub peer: String,
    /// The methods to ask; each must give the peer's ifindex.
    pub methods: Vec<Method>,
}

impl Kind for ExpectPeerIndex {
    fn nodes(&self) -> Vec<&str> {
        let mut v = vec![self.node.as_str()];
        v.extend(split_at(&self.peer).map(|p| p.0));
        v
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        vec![(&self.node, &self.dev)]
    }

    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        vec![Untrusted::At(&self.peer)]
    }

    fn vacuous(&self) -> Option<&'static str> {
        self.methods.is_empty().then_some(
            "`methods` is empty: nothing is compared, it could never fail (give iflink, sysfs and/or ethtool)",
        )
    }

    fn describe(&self) -> String {
        let methods: Vec<String> = self
            .methods
            .iter()
            .map(|m| format!("{m:?}").to_lowercase())
            .collect();
        format!(
            "peer of {} in {} is {} by {}",
            self.dev,
            self.node,
            self.peer,
            methods.join(", ")
        )
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev) = (&self.node, &self.dev);
        let (pn, pd) = split_at(&self.peer).unwrap_or((node, &self.peer));
        let want = st.link(pn, pd)?.index;
        let mut seen = vec![];
        // Only a veth has a peer: on any other device the methods read its
        // own ifindex or nothing, which could match by chance.
        let kind = st.link(node, dev)?.kind;
        let mut bad = kind.as_deref() != Some("veth");
        if bad {
            seen.push(format!(
                "{dev} is {}, not a veth: it has no peer",
                kind.as_deref().unwrap_or("a device of no kind")
            ));
        }
        for m in &self.methods {
            let got = peer_index(st, node, dev, m)?;
            bad |= got != want;
            seen.push(match m {
                Method::Iflink => format!("IFLA_LINK {got}"),
                Method::Sysfs => format!("/sys/class/net/{dev}/iflink {got}"),
                Method::Ethtool => format!("ethtool -S {dev}: peer_ifindex: {got}"),
            });
        }
        let shown = format!("{}; {pd} in {pn} is ifindex {want}", seen.join(", "));
        if !bad {
            return Ok(Ok(shown));
        }
        // Name what the wrong index is: `IFLA_LINK 3` alone sends the
        // reader to count interfaces in every namespace.
        let l = st.link(node, dev)?;
        let what = match l.link {
            Some(i) if i != want => format!(
                "; ifindex {i} there is {}",
                name_at(st, node, l.link_netnsid, i)
            ),
            _ => String::new(),
        };
        Ok(Err(format!("{shown}{what}")))
    }
}

/// The peer ifindex of `dev` in `node` by one of seed 002's three methods.
pub fn peer_index(st: &dyn State, node: &str, dev: &str, m: &Method) -> Result<u32> {
    match m {
        // A missing attribute, named: `errors` gives "not found" its own variant.
        Method::Iflink => st
            .link(node, dev)?
            .link
            .ok_or_else(|| Error::other(format!("{dev} in {node} has no IFLA_LINK"))),
        Method::Sysfs => st.sysfs_iflink(node, dev),
        Method::Ethtool => st.ethtool_peer_ifindex(node, dev),
    }
}

/// The interface at ifindex `i` as `node`'s veth sees it: in `node` itself
/// without a link-netnsid, else in the namespace that id names there.
pub(super) fn name_at(st: &dyn State, node: &str, netnsid: Option<i32>, i: u32) -> String {
    let ns = match netnsid {
        None => Some(node.to_string()),
        Some(id) => st.node_of_nsid(node, id).ok().flatten(),
    };
    let Some(ns) = ns else {
        return format!("ifindex {i} in a namespace outside the lab");
    };
    match st.links(&ns) {
        Ok(ls) => match ls.iter().find(|l| l.index == i) {
            Some(l) => format!("{} in {ns}", l.name),
            None => format!("no interface in {ns}"),
        },
        Err(_) => format!("ifindex {i} in {ns}"),
    }
}
