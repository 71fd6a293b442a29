//! `addr`: the addresses of one interface, exactly or among others, in
//! IPv4 (`inet`), IPv6 (`inet6`) or both. `exactly` is exact in the
//! families its list names (IPv4 when it is empty, as before IPv6 was on in
//! lab namespaces), or in `family`: the link-local `inet6` address every
//! interface gets is listed only where a lab speaks of IPv6.

use super::{judged, Judgement, Kind};
use crate::error::Result;
use crate::lab::fill::resolve;
use crate::lab::inet6::{entry_family, placeholder_devices, Family};
use crate::model::{Addr, State};
use serde::Deserialize;
use std::fmt::Display;
use std::net::IpAddr;

/// The addresses of one interface (IPv4, IPv6 or both, see `family`).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectAddr {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// The interface name.
    pub dev: String,
    /// Every address of the compared families as `IP/PREFIX`, in any
    /// order (`{node.dev.ll6}/64` is the link-local address).
    #[serde(default)]
    pub exactly: Option<Vec<String>>,
    /// Addresses it must hold among others (`IP/PREFIX`), where the
    /// task does not say it holds nothing else.
    #[serde(default)]
    pub has: Vec<String>,
    /// The broadcast address every one of them holds: `brd` of
    /// `ip addr`, `broadcast` of `ifconfig` (`0.0.0.0`: none).
    pub brd: Option<String>,
    /// The families `exactly` is exact in: `inet`, `inet6` or `all`.
    /// Default: those its addresses are of (IPv4 when it is empty).
    #[serde(default)]
    pub family: Option<Family>,
}

impl Kind for ExpectAddr {
    fn nodes(&self) -> Vec<&str> {
        self.devices().into_iter().map(|(node, _)| node).collect()
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        let mut v = vec![(self.node.as_str(), self.dev.as_str())];
        v.extend(self.placeholders());
        v
    }

    fn mistake(&self) -> Option<String> {
        for a in self.exactly.iter().flatten().chain(&self.has) {
            // What a CNI ADD returns is known only once the step runs (it
            // is filled in and judged then).
            if a.contains("{cni:") {
                continue;
            }
            let Some(f) = entry_family(a) else {
                return Some(format!(
                    "`{a}` is not an address (IP/PREFIX, IPv4 or IPv6, or {{node.dev.ll6}}/64)"
                ));
            };
            if !a.contains('/') {
                return Some(format!("`{a}`: give its prefix length (`{a}/24`, `{a}/64`)"));
            }
            let listed = self.exactly.as_ref().is_some_and(|x| x.contains(a));
            if let Some(g) = self.family.filter(|g| listed && !g.covers(f)) {
                return Some(format!(
                    "`{a}` is an {} address but `family` is `{}`",
                    f.word(),
                    g.name()
                ));
            }
        }
        None
    }

    fn describe(&self) -> String {
        let (node, dev) = (&self.node, &self.dev);
        let brd = self.brd.as_ref().map(|b| format!(" brd {b}"));
        let brd = brd.unwrap_or_default();
        match &self.exactly {
            Some(x) if x.is_empty() => format!(
                "{dev} in {node} holds no {} address",
                Family::of(x, self.family).word()
            ),
            Some(x) => format!("{dev} in {node} holds {}{brd}", x.join(", ")),
            None => format!("{dev} in {node} holds {}{brd} (among others)", self.has.join(", ")),
        }
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev) = (&self.node, &self.dev);
        let l = st.link(node, dev)?;
        let (list, only) = match &self.exactly {
            Some(x) => (x.as_slice(), true),
            None => (self.has.as_slice(), false),
        };
        let fam = match only {
            true => Family::of(list, self.family),
            false => Family::All,
        };
        let mut want = vec![];
        for w in list {
            want.push(canonical(&resolve(st, w)?));
        }
        want.sort();
        let got = held(st, node, l.index, fam)?;
        let ok = match only {
            true => {
                let mut g = got.clone();
                g.sort();
                g == want
            }
            false => want.iter().all(|w| got.contains(w)),
        };
        let miss = (!ok).then(|| addr_miss(node, dev, &got, &want));
        // The broadcast is IPv4's: each address of `dev` must hold it, and
        // each is shown with it, as `ip addr` prints them.
        Ok(match (&self.brd, miss) {
            (Some(b), None) => {
                let mine: Vec<Addr> = st
                    .addrs(node)?
                    .into_iter()
                    .filter(|a| a.index == l.index)
                    .collect();
                let with: Vec<String> = mine.iter().map(with_brd).collect();
                let seen = format!("{dev}: inet {}", with.join(", inet "));
                judged(brd_miss(node, dev, &mine, b), seen)
            }
            (_, miss) => judged(miss, shown(dev, &got, fam)),
        })
    }
}

impl ExpectAddr {
    /// The devices its `{node.dev.ll6}` entries name.
    fn placeholders(&self) -> Vec<(&str, &str)> {
        let all = self.exactly.iter().flatten().chain(&self.has);
        placeholder_devices(all.map(String::as_str))
    }
}

/// `dev`'s addresses in the families compared, as `ip addr` prints them
/// (`IP/PREFIX`), IPv4 first.
fn held(st: &dyn State, node: &str, index: u32, fam: Family) -> Result<Vec<String>> {
    let mut got = vec![];
    if fam.covers(Family::Inet) {
        got.extend(of_dev(&st.addrs(node)?, index));
    }
    if fam.covers(Family::Inet6) {
        got.extend(of_dev(&st.addrs6(node)?, index));
    }
    Ok(got)
}

/// The addresses of ifindex `index` as `IP/PREFIX`, sorted.
fn of_dev<A: Display>(addrs: &[Addr<A>], index: u32) -> Vec<String> {
    let mut v: Vec<String> = addrs
        .iter()
        .filter(|a| a.index == index)
        .map(|a| format!("{}/{}", a.ip, a.prefix))
        .collect();
    v.sort();
    v
}

/// An address as `ip addr` prints it (`2001:DB8:0::1/64` is `2001:db8::1/64`).
fn canonical(s: &str) -> String {
    match s.split_once('/').map(|(ip, p)| (ip.parse::<IpAddr>(), p)) {
        Some((Ok(a), p)) => format!("{a}/{p}"),
        _ => s.to_string(),
    }
}

/// `veth0: inet 10.0.0.1/24, inet6 2001:db8::1/64`.
fn shown(dev: &str, got: &[String], fam: Family) -> String {
    if got.is_empty() {
        return format!("{dev}: no {} address", fam.word());
    }
    let words: Vec<String> = got
        .iter()
        .map(|a| match entry_family(a) {
            Some(Family::Inet6) => format!("inet6 {a}"),
            _ => format!("inet {a}"),
        })
        .collect();
    format!("{dev}: {}", words.join(", "))
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
