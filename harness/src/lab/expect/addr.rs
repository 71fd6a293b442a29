//! `addr`: the IPv4 addresses of one interface, exactly or among others.

use super::{judged, Judgement, Kind};
use crate::error::Result;
use crate::model::State;
use serde::Deserialize;

/// The IPv4 addresses of one interface, exactly.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectAddr {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// The interface name.
    pub dev: String,
    /// Every IPv4 address as `IP/PREFIX`, in any order.
    #[serde(default)]
    pub exactly: Option<Vec<String>>,
    /// Addresses it must hold among others (`IP/PREFIX`), where the
    /// task does not say it holds nothing else.
    #[serde(default)]
    pub has: Vec<String>,
}

impl Kind for ExpectAddr {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        vec![(&self.node, &self.dev)]
    }

    fn describe(&self) -> String {
        let (node, dev) = (&self.node, &self.dev);
        match &self.exactly {
            Some(x) if x.is_empty() => format!("{dev} in {node} holds no IPv4 address"),
            Some(x) => format!("{dev} in {node} holds {}", x.join(", ")),
            None => format!("{dev} in {node} holds {} (among others)", self.has.join(", ")),
        }
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev) = (&self.node, &self.dev);
        let l = st.link(node, dev)?;
        let mut got: Vec<String> = st
            .addrs(node)?
            .iter()
            .filter(|a| a.index == l.index)
            .map(|a| format!("{}/{}", a.ip, a.prefix))
            .collect();
        got.sort();
        let (mut want, only) = match &self.exactly {
            Some(x) => (x.to_vec(), true),
            None => (self.has.to_vec(), false),
        };
        want.sort();
        let shown = if got.is_empty() {
            format!("{dev}: no IPv4 address")
        } else {
            format!("{dev}: inet {}", got.join(", inet "))
        };
        let ok = match only {
            true => got == want,
            false => want.iter().all(|w| got.contains(w)),
        };
        let miss = (!ok).then(|| addr_miss(node, dev, &got, &want));
        Ok(judged(miss, shown))
    }
}

/// The first address part unmet, in one line ("song: veth1 has no 10.1.1.1/24").
fn addr_miss(node: &str, dev: &str, got: &[String], want: &[String]) -> String {
    if let Some(w) = want.iter().find(|w| !got.contains(w)) {
        let ip = w.split('/').next().unwrap_or(w);
        return match got.iter().find(|g| g.split('/').next() == Some(ip)) {
            Some(g) => format!("{node}: {dev} holds {g}, not {w}"),
            None => format!("{node}: {dev} holds no {w}"),
        };
    }
    match got.iter().find(|g| !want.contains(g)) {
        Some(g) => format!("{node}: {dev} should not hold {g}"),
        None => format!("{node}: {dev}'s addresses differ"),
    }
}
