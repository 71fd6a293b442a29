//! `addr`: the IPv4 addresses of one interface, exactly or among others.

use super::{judged, Judgement, Kind};
use crate::error::Result;
use crate::model::{Addr, State};
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
    /// The broadcast address every one of them holds: `brd` of
    /// `ip addr`, `broadcast` of `ifconfig` (`0.0.0.0`: none).
    pub brd: Option<String>,
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
        let brd = self.brd.as_ref().map(|b| format!(" brd {b}"));
        let brd = brd.unwrap_or_default();
        match &self.exactly {
            Some(x) if x.is_empty() => format!("{dev} in {node} holds no IPv4 address"),
            Some(x) => format!("{dev} in {node} holds {}{brd}", x.join(", ")),
            None => format!("{dev} in {node} holds {}{brd} (among others)", self.has.join(", ")),
        }
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev) = (&self.node, &self.dev);
        let l = st.link(node, dev)?;
        let mine: Vec<Addr> = st
            .addrs(node)?
            .into_iter()
            .filter(|a| a.index == l.index)
            .collect();
        let mut got: Vec<String> = mine.iter().map(|a| format!("{}/{}", a.ip, a.prefix)).collect();
        got.sort();
        let (mut want, only) = match &self.exactly {
            Some(x) => (x.to_vec(), true),
            None => (self.has.to_vec(), false),
        };
        want.sort();
        let shown = match (got.is_empty(), &self.brd) {
            (true, _) => format!("{dev}: no IPv4 address"),
            (false, None) => format!("{dev}: inet {}", got.join(", inet ")),
            // Each address with its broadcast, as `ip addr` prints it.
            (false, Some(_)) => {
                let with: Vec<String> = mine.iter().map(with_brd).collect();
                format!("{dev}: inet {}", with.join(", inet "))
            }
        };
        let ok = match only {
            true => got == want,
            false => want.iter().all(|w| got.contains(w)),
        };
        let miss = match ok {
            false => Some(addr_miss(node, dev, &got, &want)),
            true => self.brd.as_deref().and_then(|b| brd_miss(node, dev, &mine, b)),
        };
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

/// `IP/PREFIX brd B`, `0.0.0.0` for none (as ifconfig shows it).
fn with_brd(a: &Addr) -> String {
    let b = a.broadcast.map_or("0.0.0.0".into(), |b| b.to_string());
    format!("{}/{} brd {b}", a.ip, a.prefix)
}

/// The first address of `dev` whose broadcast is not `want` (ifconfig shows
/// no IFA_BROADCAST as `0.0.0.0`), or that `dev` holds none to compare.
fn brd_miss(node: &str, dev: &str, mine: &[Addr], want: &str) -> Option<String> {
    if mine.is_empty() {
        return Some(format!("{node}: {dev} holds no address with broadcast {want}"));
    }
    mine.iter().map(with_brd).find_map(|a| {
        let b = a.rsplit(' ').next().unwrap_or_default();
        (b != want).then(|| format!("{node}: {dev} holds {a}, not broadcast {want}"))
    })
}
