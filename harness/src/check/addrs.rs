//! Judging addresses and neighbours of either family: `addr` (what `ip addr`
//! lists as `inet` and `inet6`) and `neigh` (an ARP or an NDP entry).

use crate::check::judge::Verdict;
use crate::check::lines::resolve;
use crate::check::state::State;
use crate::error::Result;
use crate::lab::inet6::{entry_family, Family};
use crate::model::fmt_mac;
use std::net::IpAddr;

/// `dev`'s addresses in the families `exactly` (or `has`) compares, as
/// `ip addr` prints them (`IP/PREFIX`), IPv4 first.
fn held(st: &dyn State, node: &str, index: u32, fam: Family) -> Result<Vec<String>> {
    let mut got = vec![];
    if fam.covers(Family::Inet) {
        let mut v: Vec<String> = st
            .addrs(node)?
            .iter()
            .filter(|a| a.index == index)
            .map(|a| format!("{}/{}", a.ip, a.prefix))
            .collect();
        v.sort();
        got.extend(v);
    }
    if fam.covers(Family::Inet6) {
        let mut v: Vec<String> = st
            .addrs6(node)?
            .iter()
            .filter(|a| a.index == index)
            .map(|a| format!("{}/{}", a.ip, a.prefix))
            .collect();
        v.sort();
        got.extend(v);
    }
    Ok(got)
}

/// `addr`: `exactly` compares every address of its families; `has` only
/// those it lists. Placeholders (`{node.dev.ll6}`) are filled first.
pub fn addr(
    st: &dyn State,
    node: &str,
    dev: &str,
    exactly: Option<&[String]>,
    has: &[String],
    family: Option<Family>,
) -> Result<Verdict> {
    let l = st.link(node, dev)?;
    let (list, only) = match exactly {
        Some(x) => (x, true),
        None => (has, false),
    };
    let fam = match only {
        true => Family::of(list, family),
        false => Family::All,
    };
    let mut want = vec![];
    for w in list {
        want.push(canonical(&resolve(st, w)?));
    }
    want.sort();
    let got = held(st, node, l.index, fam)?;
    let shown = shown(dev, &got, fam);
    let ok = match only {
        true => {
            let mut g = got.clone();
            g.sort();
            g == want
        }
        false => want.iter().all(|w| got.contains(w)),
    };
    Ok(if ok {
        Ok(shown)
    } else {
        Err(format!("{}\n{shown}", addr_miss(node, dev, &got, &want)))
    })
}

/// An address as `ip addr` prints it (`2001:DB8:0::1/64` is `2001:db8::1/64`).
fn canonical(s: &str) -> String {
    match s.split_once('/') {
        Some((ip, p)) => match ip.parse::<IpAddr>() {
            Ok(a) => format!("{a}/{p}"),
            Err(_) => s.to_string(),
        },
        None => s.to_string(),
    }
}

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

/// `neigh`: the entry for `ip` on `dev` (ARP for IPv4, NDP for IPv6) in one
/// of `state`, with `lladdr` when given.
pub fn neigh(
    st: &dyn State,
    node: &str,
    dev: &str,
    ip: &str,
    state: &[String],
    lladdr: Option<&str>,
) -> Result<Verdict> {
    let l = st.link(node, dev)?;
    let ip = resolve(st, ip)?;
    let want: Option<IpAddr> = ip.parse().ok();
    let entry = match want {
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
    let shown = match &entry {
        Some((a, ll, s)) => format!(
            "{a} dev {dev}{} {s}",
            ll.map(|m| format!(" lladdr {}", fmt_mac(&m)))
                .unwrap_or_default(),
        ),
        None => format!("no entry for {ip} on {dev}"),
    };
    let mut ok = entry.as_ref().is_some_and(|e| state.contains(&e.2));
    if let (Some(w), Some(e)) = (lladdr, &entry) {
        ok &= e.1.map(|m| fmt_mac(&m)) == Some(resolve(st, w)?);
    }
    Ok(if ok {
        Ok(shown)
    } else {
        Err(format!(
            "{node}: {shown}, want {}{}",
            state.join("/"),
            lladdr.map(|m| format!(" lladdr {m}")).unwrap_or_default()
        ))
    })
}

/// `ip -6 route` of a node, one rendered line per route.
pub fn route6_lines(st: &dyn State, node: &str) -> Result<Vec<String>> {
    let routes = st.routes6(node)?;
    let links = st.links(node)?;
    let name = |i: u32| {
        links
            .iter()
            .find(|l| l.index == i)
            .map(|l| l.name.clone())
            .unwrap_or(format!("if{i}"))
    };
    Ok(routes.iter().map(|r| r.render(&name)).collect())
}
