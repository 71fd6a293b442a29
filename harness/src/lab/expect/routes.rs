//! `routes`: lines `ip route` must and must not print in a node, compared
//! as the kernel forwards (the lab's line against what `ip route` prints),
//! and what differs, in one line.

use super::{judged, Judgement, Kind};
use crate::error::Result;
use crate::lab::inet6::{entry_family, Family};
use crate::model::State;
use serde::Deserialize;

/// Lines `ip route` (or `ip -6 route`) must and must not print in a node.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectRoutes {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// Route lines that must be present (blanks need not match exactly).
    #[serde(default)]
    pub has: Vec<String>,
    /// Route lines that must be absent.
    #[serde(default)]
    pub lacks: Vec<String>,
    /// `inet6`: the lines are `ip -6 route`'s (default `inet`, `ip route`).
    #[serde(default)]
    pub family: Option<Family>,
}

impl ExpectRoutes {
    fn six(&self) -> bool {
        self.family == Some(Family::Inet6)
    }
}

impl Kind for ExpectRoutes {
    fn nodes(&self) -> Vec<&str> {
        vec![&self.node]
    }

    fn vacuous(&self) -> Option<&'static str> {
        (self.has.is_empty() && self.lacks.is_empty())
            .then_some("neither `has` nor `lacks`: nothing is compared, it could never fail")
    }

    fn mistake(&self) -> Option<String> {
        if self.family == Some(Family::All) {
            return Some("`family` of routes is `inet` (ip route) or `inet6` (ip -6 route), not `all`".into());
        }
        for l in self.has.iter().chain(&self.lacks) {
            let fams: Vec<_> = l.split_whitespace().filter_map(entry_family).collect();
            if fams.contains(&Family::Inet6) && !self.six() {
                return Some(format!("`{l}` is an IPv6 route: add `\"family\": \"inet6\"` (its lines are `ip -6 route`'s)"));
            }
            if fams.contains(&Family::Inet) && self.six() {
                return Some(format!(
                    "`{l}` names an IPv4 address, but `family` is `inet6` (`ip -6 route`)"
                ));
            }
        }
        None
    }

    fn describe(&self) -> String {
        let (has, lacks) = (&self.has, &self.lacks);
        let node = &match self.six() {
            true => format!("{} (IPv6)", self.node),
            false => self.node.clone(),
        };
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
            (false, false) => format!("routes of {node} have {}; lack {}", q(has), q(lacks)),
            (true, true) => format!("routes of {node}"),
        }
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let node = &self.node;
        let lines = match self.six() {
            true => route6_lines(st, node)?,
            false => route_lines(st, node)?,
        };
        let mut bad = vec![];
        for h in &self.has {
            if !lines.iter().any(|l| route_matches(h, l)) {
                bad.push(route_miss(node, h, &lines));
            }
        }
        for h in &self.lacks {
            if let Some(l) = lines.iter().find(|l| route_matches(h, l)) {
                bad.push(format!("{node} still has `{l}`"));
            }
        }
        let cmd = if self.six() { "ip -6 route" } else { "ip route" };
        let shown = format!("{cmd}:\n      {}", lines.join("\n      "));
        // The first line is the diagnosis; the listing follows.
        Ok(judged((!bad.is_empty()).then(|| bad.join("; ")), shown))
    }
}

/// `ip route` of a node, one rendered line per route.
pub fn route_lines(st: &dyn State, node: &str) -> Result<Vec<String>> {
    let routes = st.routes(node)?;
    let name = dev_names(st, node)?;
    Ok(routes.iter().map(|r| r.render(&name)).collect())
}

/// `ip -6 route` of a node, one rendered line per route.
pub fn route6_lines(st: &dyn State, node: &str) -> Result<Vec<String>> {
    let name = dev_names(st, node)?;
    Ok(st.routes6(node)?.iter().map(|r| r.render(&name)).collect())
}

/// A node's interface names by ifindex, as both print `dev` (`ifN` for one
/// not in its list).
fn dev_names(st: &dyn State, node: &str) -> Result<impl Fn(u32) -> String> {
    let links = st.links(node)?;
    Ok(move |i: u32| {
        links
            .iter()
            .find(|l| l.index == i)
            .map(|l| l.name.clone())
            .unwrap_or(format!("if{i}"))
    })
}

/// Attributes of `ip route` that take a value.
const ROUTE_KEYS: &[&str] = &["via", "dev", "proto", "scope", "src", "metric", "pref"];
/// Attributes a route line may carry beyond what a lab line names: the
/// kernel forwards the same way (`proto`, `metric`, `src`, `scope`, `onlink`;
/// an IPv6 route's router preference, `pref medium`).
const ROUTE_FREE: &[&str] = &[
    "proto", "metric", "src", "scope", "onlink", "linkdown", "pref",
];

/// A route line split into its destination (`default`, `blackhole 10.0.0.0/8`)
/// and its attributes (flags have an empty value).
pub fn route_parts(line: &str) -> (String, Vec<(String, String)>) {
    let w: Vec<&str> = line.split_whitespace().collect();
    let mut head = vec![];
    let mut attrs = vec![];
    let mut i = 0;
    while i < w.len() {
        if ROUTE_KEYS.contains(&w[i]) {
            attrs.push((w[i].to_string(), w.get(i + 1).unwrap_or(&"").to_string()));
            i += 2;
        } else if w[i] == "onlink" || w[i] == "linkdown" || !attrs.is_empty() {
            attrs.push((w[i].to_string(), String::new()));
            i += 1;
        } else {
            head.push(w[i]);
            i += 1;
        }
    }
    (head.join(" "), attrs)
}

/// Whether the kernel's route line `got` is the lab's `want`: the same
/// destination and every attribute `want` names; others only where they do
/// not change where packets go (a route written with `onlink`, or without
/// `proto X`, is the same route unless the lab line names it).
pub fn route_matches(want: &str, got: &str) -> bool {
    let (wh, wa) = route_parts(want);
    let (gh, ga) = route_parts(got);
    wh == gh
        && wa.iter().all(|a| ga.contains(a))
        && ga.iter().all(|a| {
            wa.contains(a) || (ROUTE_FREE.contains(&a.0.as_str()) && !wa.iter().any(|w| w.0 == a.0))
        })
}

/// What is wrong about `want` in one line: no route at all for its
/// destination, or the attribute that differs ("proto boot, not bird").
pub fn route_miss(node: &str, want: &str, lines: &[String]) -> String {
    let (wh, wa) = route_parts(want);
    let Some(got) = lines.iter().find(|l| route_parts(l).0 == wh) else {
        return format!("{node} has no route {wh}");
    };
    let (_, ga) = route_parts(got);
    for (k, v) in &wa {
        let g = ga.iter().find(|a| a.0 == *k);
        match (g, k.as_str()) {
            (Some(g), _) if g.1 == *v => {}
            (Some(g), _) => return format!("{node}: route {wh} has {k} {}, not {v}", g.1),
            (None, "proto") => return format!("{node}: route {wh} is proto boot, not {v}"),
            (None, _) if v.is_empty() => return format!("{node}: route {wh} is not {k}"),
            (None, _) => return format!("{node}: route {wh} has no {k} {v}"),
        }
    }
    format!("{node}: route {wh} is `{got}`, not `{want}`")
}
