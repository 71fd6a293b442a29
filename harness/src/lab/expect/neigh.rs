//! `neigh`: one neighbour entry, as `ip neigh` (ARP) or `ip -6 neigh`
//! (NDP) shows it, by the family of its address.

use super::{Judgement, Kind};
use crate::error::Result;
use crate::lab::fill::resolve;
use crate::model::{fmt_mac, State};
use serde::Deserialize;
use std::net::IpAddr;

/// One neighbour entry, as `ip neigh` (ARP) or `ip -6 neigh` (NDP) shows it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectNeigh {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// The interface the entry is on.
    pub dev: String,
    /// The neighbour's IPv4 or IPv6 address (or `{node.dev.ll6}`).
    pub ip: String,
    /// States any one of which passes (`REACHABLE`, `STALE`, `PERMANENT`, ...).
    pub state: Vec<String>,
    /// The link-layer address it must hold, if given.
    pub lladdr: Option<String>,
}

impl Kind for ExpectNeigh {
    fn nodes(&self) -> Vec<&str> {
        self.devices().into_iter().map(|(node, _)| node).collect()
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        let mut v = vec![(self.node.as_str(), self.dev.as_str())];
        v.extend(self.placeholders());
        v
    }

    fn mistake(&self) -> Option<String> {
        let ip = &self.ip;
        (!ip.contains('{') && ip.parse::<IpAddr>().is_err()).then(|| {
            format!("`{ip}` is not an IPv4 or IPv6 address (the neighbour's, without a prefix)")
        })
    }

    fn describe(&self) -> String {
        let (node, dev, ip) = (&self.node, &self.dev, &self.ip);
        format!("neighbour {ip} on {dev} in {node} is {}", self.state.join(" or "))
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev, state) = (&self.node, &self.dev, &self.state);
        let l = st.link(node, dev)?;
        let ip = resolve(st, &self.ip)?;
        // ARP for an IPv4 address, NDP for an IPv6 one.
        let entry = match ip.parse::<IpAddr>().ok() {
            Some(IpAddr::V6(a)) => st
                .neighbours6(node)?
                .into_iter()
                .find(|n| n.index == l.index && n.ip == a)
                .map(|n| (IpAddr::V6(n.ip), n.lladdr, n.state)),
            Some(IpAddr::V4(a)) => st
                .neighbours(node)?
                .into_iter()
                .find(|n| n.index == l.index && n.ip == a)
                .map(|n| (IpAddr::V4(n.ip), n.lladdr, n.state)),
            None => None,
        };
        // Not there now, and announced removed FAILED: the kernel's garbage
        // collection takes such entries (see `State::neighbours_gone`); a
        // resolved entry removed is missing, whoever removed it.
        let removed = match (&entry, ip.parse::<IpAddr>()) {
            (None, Ok(a)) => st
                .neighbours_gone(node)?
                .into_iter()
                .find(|n| n.index == l.index && n.ip == a && n.state == "FAILED")
                .map(|n| (n.ip, n.lladdr, n.state)),
            _ => None,
        };
        let shown = match (&entry, &removed) {
            (Some((a, ll, s)), _) => format!(
                "{a} dev {dev}{} {s}",
                ll.map(|m| format!(" lladdr {}", fmt_mac(&m)))
                    .unwrap_or_default(),
            ),
            (None, Some((a, ll, s))) => format!(
                "{a} dev {dev}{} {s} (since removed from the neighbour table)",
                ll.map(|m| format!(" lladdr {}", fmt_mac(&m)))
                    .unwrap_or_default(),
            ),
            (None, None) => format!("no entry for {ip} on {dev}"),
        };
        let entry = entry.or(removed);
        let mut ok = entry.as_ref().is_some_and(|e| state.contains(&e.2));
        if let (Some(want), Some(e)) = (&self.lladdr, &entry) {
            ok &= e.1.map(|m| fmt_mac(&m)) == Some(resolve(st, want)?);
        }
        Ok(match ok {
            true => Ok(shown),
            false => Err(format!(
                "{node}: {shown}, want {}{}",
                state.join("/"),
                self.lladdr
                    .as_ref()
                    .map(|m| format!(" lladdr {m}"))
                    .unwrap_or_default()
            )),
        })
    }
}

impl ExpectNeigh {
    /// The devices its `ip` (`{node.dev.ll6}`) and `lladdr` placeholders name.
    fn placeholders(&self) -> Vec<(&str, &str)> {
        let texts = std::iter::once(self.ip.as_str()).chain(self.lladdr.as_deref());
        crate::lab::inet6::placeholder_devices(texts)
    }
}
