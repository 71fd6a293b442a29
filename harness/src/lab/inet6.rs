//! IPv6 in expectations: which address families an `addr` or `routes`
//! assertion compares, and of which family what it names is (each kind's
//! `mistake` refuses the wrong one at load, not as a puzzling miss at run).

use serde::Deserialize;
use std::net::IpAddr;

/// Address families, as `ip -4`/`ip -6`/`ip -0` choose them.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// IPv4 (`inet`, `ip -4`).
    Inet,
    /// IPv6 (`inet6`, `ip -6`).
    Inet6,
    /// Both.
    All,
}

/// The family of an `IP/PREFIX` entry, or of a placeholder (`ll6` is IPv6);
/// `None` when it is neither.
pub fn entry_family(s: &str) -> Option<Family> {
    let ip = s.split('/').next().unwrap_or(s);
    if ip.ends_with(".ll6}") {
        return Some(Family::Inet6);
    }
    match ip.parse::<IpAddr>().ok()? {
        IpAddr::V4(_) => Some(Family::Inet),
        IpAddr::V6(_) => Some(Family::Inet6),
    }
}

/// The (node, device) pairs the `{node.dev.mac|ifindex|ll6}` placeholders
/// of `texts` name: they must exist where the expectation is, as its own
/// device must (a misspelt node is refused at load, not at run).
pub fn placeholder_devices<'a>(texts: impl Iterator<Item = &'a str>) -> Vec<(&'a str, &'a str)> {
    let mut out = vec![];
    for t in texts {
        for (_, ph) in crate::lab::fixture::placeholders(t).unwrap_or_default() {
            let p: Vec<&str> = ph.split('.').collect();
            if let [n, d, "mac" | "ifindex" | "ll6"] = p[..] {
                out.push((n, d));
            }
        }
    }
    out
}

impl Family {
    /// The families an `addr` list is exact in: `given`, else those its
    /// entries are of (IPv4 for an empty list: what `exactly` meant
    /// before IPv6 was on).
    pub fn of(list: &[String], given: Option<Family>) -> Family {
        if let Some(f) = given {
            return f;
        }
        let fams: Vec<Family> = list.iter().filter_map(|e| entry_family(e)).collect();
        match (fams.contains(&Family::Inet), fams.contains(&Family::Inet6)) {
            (true, true) => Family::All,
            (false, true) => Family::Inet6,
            _ => Family::Inet,
        }
    }
    /// Whether an address of family `f` is compared.
    pub fn covers(self, f: Family) -> bool {
        self == Family::All || self == f
    }
    /// As a lab file writes it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
            Family::All => "all",
        }
    }
    /// `IPv4`, `IPv6`, `IPv4 or IPv6`.
    pub fn word(self) -> &'static str {
        match self {
            Family::Inet => "IPv4",
            Family::Inet6 => "IPv6",
            Family::All => "IPv4 or IPv6",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::expect::Expect;
    use serde_json::json;

    fn e(v: serde_json::Value) -> Expect {
        serde_json::from_value(v).unwrap()
    }

    fn check(e: &Expect) -> Result<(), String> {
        e.mistake().map_or(Ok(()), Err)
    }

    #[test]
    fn the_families_an_addr_list_is_exact_in() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(Family::of(&l(&[]), None), Family::Inet);
        assert_eq!(Family::of(&l(&["10.0.0.1/24"]), None), Family::Inet);
        assert_eq!(Family::of(&l(&["{a.b.ll6}/64"]), None), Family::Inet6);
        assert_eq!(
            Family::of(&l(&["10.0.0.1/24", "2001:db8::1/64"]), None),
            Family::All
        );
        assert_eq!(Family::of(&l(&[]), Some(Family::Inet6)), Family::Inet6);
    }

    #[test]
    fn what_cannot_be_compared_is_refused() {
        let bad = |v| check(&e(v)).unwrap_err();
        assert!(
            bad(json!({"expect": "addr", "node": "a", "dev": "e", "exactly": ["fe80::1"]}))
                .contains("prefix length")
        );
        assert!(
            bad(json!({"expect": "addr", "node": "a", "dev": "e", "has": ["nope/64"]}))
                .contains("not an address")
        );
        assert!(bad(
            json!({"expect": "addr", "node": "a", "dev": "e", "family": "inet",
                           "exactly": ["2001:db8::1/64"]})
        )
        .contains("`family` is `inet`"));
        assert!(
            bad(json!({"expect": "routes", "node": "a", "has": ["2001:db8::/64 dev e"]}))
                .contains("\"family\": \"inet6\"")
        );
        assert!(
            bad(json!({"expect": "routes", "node": "a", "family": "inet6",
                           "has": ["10.0.0.0/8 dev e"]}))
            .contains("IPv4")
        );
        assert!(bad(
            json!({"expect": "neigh", "node": "a", "dev": "e", "ip": "x",
                           "state": ["REACHABLE"]})
        )
        .contains("not an IPv4 or IPv6"));
        let ok = |v| check(&e(v)).is_ok();
        assert!(ok(
            json!({"expect": "routes", "node": "a", "family": "inet6",
                          "has": ["default via fe80::1 dev e"]})
        ));
        assert!(ok(
            json!({"expect": "addr", "node": "a", "dev": "e", "family": "all",
                          "exactly": ["10.0.0.1/24", "{a.e.ll6}/64"]})
        ));
    }
}
