//! `ip -6 addr` and `ip -6 route` (and `ip addr add` of an IPv6 address,
//! which iproute2 takes as `-6` by itself). Neighbours are left to NDP:
//! `ip -6 neigh add` is refused, saying so.

use super::cmd::{num, word, Cmd, R};
use crate::model::route::parse_proto;
use rtnetlink::packet_route::route::{RouteProtocol, RouteType};
use std::net::Ipv6Addr;

/// What `ip -6 route` does with a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route6Op {
    /// `add`.
    Add,
    /// `replace`.
    Replace,
    /// `del`.
    Del,
}

/// An IPv6 route as `ip -6 route add|replace|del` names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route6Spec {
    /// `blackhole`, `unreachable`, `prohibit`.
    pub kind: Option<RouteType>,
    /// Destination and prefix length (`default` is `::/0`).
    pub dst: Option<(Ipv6Addr, u8)>,
    /// `via GW`.
    pub gw: Option<Ipv6Addr>,
    /// `dev DEV`.
    pub dev: Option<String>,
    /// `proto P`.
    pub proto: Option<RouteProtocol>,
    /// `metric N` (the kernel's default for an added route is 1024).
    pub metric: Option<u32>,
}

/// Parses `IP6/PREFIX` (a bare IP is `/128`).
pub fn cidr6(s: &str) -> R<(Ipv6Addr, u8)> {
    let (ip, p) = match s.split_once('/') {
        Some((ip, p)) => (
            ip,
            p.parse::<u8>()
                .map_err(|_| format!("`{s}`: bad prefix length"))?,
        ),
        None => (s, 128),
    };
    if p > 128 {
        return Err(format!("`{s}`: prefix length over 128"));
    }
    let ip: Ipv6Addr = ip
        .parse()
        .map_err(|_| format!("`{s}`: not an IPv6 address"))?;
    Ok((ip, p))
}

/// Whether a word is an IPv6 address, with or without `/PREFIX`.
pub fn is_v6(s: &str) -> bool {
    let ip = s.split('/').next().unwrap_or(s);
    ip.contains(':') && ip.parse::<Ipv6Addr>().is_ok()
}

/// `ip -6 OBJ …`: `addr`, `route`; `neigh` and `link` say what to do instead.
pub(super) fn ip6(obj: &str, rest: &[&str]) -> R<Cmd> {
    if "address".starts_with(obj) || obj == "addr" {
        addr6(rest)
    } else if "route".starts_with(obj) {
        route6(rest)
    } else if "neighbour".starts_with(obj) || "neighbor".starts_with(obj) {
        Err("`ip -6 neigh` is not supported here: IPv6 neighbours are learnt by NDP (ping the address; assert them with `\"expect\": \"neigh\"`)".into())
    } else {
        Err(format!(
            "unsupported `ip -6 {obj}` (supported: ip -6 addr add|del, ip -6 route add|replace|del)"
        ))
    }
}

/// `ip -6 addr add|del IP6/N dev DEV [nodad]`.
pub(super) fn addr6(t: &[&str]) -> R<Cmd> {
    const USAGE: &str = "expected `ip -6 addr add|del IP6/N [nodad] dev DEV`";
    let (op, rest) = t.split_first().ok_or(USAGE)?;
    if !["add", "del", "delete"].contains(op) {
        return Err(USAGE.into());
    }
    let (mut a, mut dev, mut nodad) = (None, None, false);
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "dev" => {
                dev = Some(word("dev", rest.get(i + 1))?);
                i += 1;
            }
            "nodad" => nodad = true,
            w if a.is_none() && is_v6(w) => a = Some(w),
            w if a.is_none() => return Err(format!("`{w}`: not an IPv6 address; {USAGE}")),
            w => return Err(format!("unsupported `ip -6 addr` word `{w}`; {USAGE}")),
        }
        i += 1;
    }
    let (ip, prefix) = cidr6(a.ok_or(USAGE)?)?;
    let dev = dev.ok_or(USAGE)?;
    Ok(Cmd::Addr6 {
        add: *op == "add",
        dev,
        ip,
        prefix,
        nodad,
    })
}

/// `ip -6 route add|replace|del [blackhole|…] DST|default [via GW] [dev DEV] [proto P] [metric N]`.
pub(super) fn route6(t: &[&str]) -> R<Cmd> {
    let (op, rest) = t
        .split_first()
        .ok_or("`ip -6 route` needs add|replace|del")?;
    let op = match *op {
        "add" => Route6Op::Add,
        "replace" => Route6Op::Replace,
        "del" | "delete" => Route6Op::Del,
        o => {
            return Err(format!(
                "unsupported `ip -6 route {o}` (supported: add, replace, del)"
            ))
        }
    };
    let mut r = Route6Spec::default();
    let mut i = 0;
    while i < rest.len() {
        let next = rest.get(i + 1);
        match rest[i] {
            k @ ("blackhole" | "unreachable" | "prohibit") if r.dst.is_none() => {
                r.kind = Some(match k {
                    "blackhole" => RouteType::BlackHole,
                    "unreachable" => RouteType::Unreachable,
                    _ => RouteType::Prohibit,
                });
                i += 1;
                continue;
            }
            "default" if r.dst.is_none() => r.dst = Some((Ipv6Addr::UNSPECIFIED, 0)),
            "via" => {
                let g = word("via", next)?;
                r.gw = Some(
                    g.parse()
                        .map_err(|_| format!("via `{g}`: not an IPv6 address"))?,
                );
                i += 1;
            }
            "dev" => {
                r.dev = Some(word("dev", next)?);
                i += 1;
            }
            "proto" => {
                let p = word("proto", next)?;
                r.proto = Some(parse_proto(&p).ok_or(format!("unknown proto `{p}`"))?);
                i += 1;
            }
            "metric" => {
                r.metric = Some(num("metric", next)?);
                i += 1;
            }
            w if r.dst.is_none() => r.dst = Some(cidr6(w)?),
            w => return Err(format!("unsupported `ip -6 route` option `{w}`")),
        }
        i += 1;
    }
    if r.dst.is_none() {
        return Err("`ip -6 route` needs a destination (PREFIX or default)".into());
    }
    if op != Route6Op::Del && r.gw.is_none() && r.dev.is_none() && r.kind.is_none() {
        return Err("`ip -6 route add` needs `via GW` or `dev DEV`".into());
    }
    Ok(Cmd::Route6 { op, route: r })
}

#[cfg(test)]
mod tests {
    use super::super::cmd::parse;
    use super::*;

    fn one(s: &str) -> Cmd {
        parse(s).unwrap().cmds.remove(0)
    }

    #[test]
    fn addresses_parse_with_and_without_dash_6() {
        let want = Cmd::Addr6 {
            add: true,
            dev: "veth0".into(),
            ip: "2001:db8::1".parse().unwrap(),
            prefix: 64,
            nodad: false,
        };
        assert_eq!(one("ip -6 addr add 2001:db8::1/64 dev veth0"), want);
        assert_eq!(one("ip addr add 2001:db8::1/64 dev veth0"), want);
        assert_eq!(one("ip -6 address add 2001:db8::1/64 dev veth0"), want);
        let Cmd::Addr6 { nodad, add, .. } = one("ip -n a -6 addr del fd00::1/8 nodad dev e") else {
            panic!()
        };
        assert!(nodad && !add);
    }

    #[test]
    fn routes_parse() {
        let Cmd::Route6 { op, route } =
            one("ip -6 route add default via fe80::1 dev eth0 metric 5")
        else {
            panic!()
        };
        assert_eq!(op, Route6Op::Add);
        assert_eq!(route.dst, Some((Ipv6Addr::UNSPECIFIED, 0)));
        assert_eq!(route.gw, Some("fe80::1".parse().unwrap()));
        assert_eq!(
            (route.dev.as_deref(), route.metric),
            (Some("eth0"), Some(5))
        );
        let Cmd::Route6 { route, .. } = one("ip -6 route replace blackhole 2001:db8::/48") else {
            panic!()
        };
        assert_eq!(route.kind, Some(RouteType::BlackHole));
    }

    #[test]
    fn errors_say_what() {
        let err = |s: &str| parse(s).unwrap_err();
        assert!(err("ip -6 addr add 10.0.0.1/24 dev e").contains("not an IPv6 address"));
        assert!(err("ip -6 addr add fd00::1/129 dev e").contains("prefix length over 128"));
        assert!(err("ip -6 neigh add fd00::1 lladdr 02:00:00:00:00:01 dev e").contains("NDP"));
        assert!(err("ip -6 route add fd00::/8").contains("needs `via GW` or `dev DEV`"));
        assert!(err("ip -6 route add fd00::/8 via 10.0.0.1").contains("not an IPv6 address"));
        assert!(err("ip -6 link add x type dummy").contains("unsupported `ip -6 link`"));
    }
}
