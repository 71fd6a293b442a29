//! `neigh`: one neighbour (ARP) entry, as `ip neigh` shows it.

use super::{Judgement, Kind};
use crate::error::Result;
use crate::lab::fill::resolve;
use crate::model::{fmt_mac, State};
use serde::Deserialize;

/// One neighbour (ARP) entry, as `ip neigh` shows it.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectNeigh {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// The interface the entry is on.
    pub dev: String,
    /// The neighbour's IPv4 address.
    pub ip: String,
    /// States any one of which passes (`REACHABLE`, `STALE`, `PERMANENT`, ...).
    pub state: Vec<String>,
    /// The link-layer address it must hold, if given.
    pub lladdr: Option<String>,
}

impl Kind for ExpectNeigh {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        vec![(&self.node, &self.dev)]
    }

    fn describe(&self) -> String {
        let (node, dev, ip) = (&self.node, &self.dev, &self.ip);
        format!("neighbour {ip} on {dev} in {node} is {}", self.state.join(" or "))
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev, ip, state) = (&self.node, &self.dev, &self.ip, &self.state);
        let l = st.link(node, dev)?;
        let all = st.neighbours(node)?;
        let n = all
            .iter()
            .find(|n| n.index == l.index && n.ip.to_string() == *ip);
        let shown = match n {
            Some(n) => format!(
                "{} dev {dev}{} {}",
                n.ip,
                n.lladdr
                    .map(|m| format!(" lladdr {}", fmt_mac(&m)))
                    .unwrap_or_default(),
                n.state
            ),
            None => format!("no entry for {ip} on {dev}"),
        };
        let mut ok = n.is_some_and(|n| state.contains(&n.state));
        if let (Some(want), Some(n)) = (&self.lladdr, n) {
            ok &= n.lladdr.map(|m| fmt_mac(&m)) == Some(resolve(st, want)?);
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
