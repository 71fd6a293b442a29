//! `ip addr`, `ip route`, `ip neigh`, `bridge fdb` and `ifconfig`.

use super::cmd::{cidr, ip4, mac, num, word, Cmd, RouteSpec, SetSpec, R};
use crate::model::route::parse_proto;
use rtnetlink::packet_route::route::{RouteScope, RouteType};
use std::net::Ipv4Addr;

pub(super) fn addr(t: &[&str]) -> R<Cmd> {
    const USAGE: &str = "expected `ip addr add|del A.B.C.D/N [brd B|+] [noprefixroute] dev DEV`";
    let (op, rest) = t.split_first().ok_or(USAGE)?;
    if !["add", "del", "delete"].contains(op) {
        return Err(USAGE.into());
    }
    let (mut a, mut dev, mut brd, mut noprefixroute) = (None, None, None, false);
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "dev" => {
                dev = Some(rest.get(i + 1).ok_or("`dev` needs a device")?.to_string());
                i += 1;
            }
            "brd" | "broadcast" => {
                brd = Some(*rest.get(i + 1).ok_or("`brd` needs an address or +")?);
                i += 1;
            }
            "noprefixroute" => noprefixroute = true,
            w if a.is_none() && w.contains('/') => a = Some(w),
            w => return Err(format!("unsupported `ip addr` word `{w}`; {USAGE}")),
        }
        i += 1;
    }
    let (ip, prefix) = cidr(a.ok_or(USAGE)?)?;
    let dev = dev.ok_or(USAGE)?;
    let brd = match brd {
        None => None,
        Some("+") => Some(broadcast(ip, prefix)),
        Some(b) => Some(
            b.parse()
                .map_err(|_| format!("brd `{b}` is not an IPv4 address"))?,
        ),
    };
    Ok(if *op == "add" {
        Cmd::AddrAdd {
            dev,
            ip,
            prefix,
            brd,
            noprefixroute,
        }
    } else {
        Cmd::AddrDel { dev, ip, prefix }
    })
}

/// The broadcast address of `ip/prefix`, as `brd +` and net-tools'
/// ifconfig compute it (for a /32 that is the address itself).
pub fn broadcast(ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(ip) | (u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0)))
}

pub(super) fn route(t: &[&str]) -> R<Cmd> {
    let (op, rest) = t.split_first().ok_or("`ip route` needs add|del")?;
    if !["add", "replace", "del", "delete"].contains(op) {
        return Err(format!(
            "unsupported `ip route {op}` (supported: add, replace, del)"
        ));
    }
    let mut r = RouteSpec::default();
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "blackhole" | "unreachable" | "prohibit" if r.dst.is_none() => {
                r.kind = Some(match rest[i] {
                    "blackhole" => RouteType::BlackHole,
                    "unreachable" => RouteType::Unreachable,
                    _ => RouteType::Prohibit,
                });
                i += 1;
                continue;
            }
            "default" if r.dst.is_none() => {
                r.dst = Some((Ipv4Addr::UNSPECIFIED, 0));
                i += 1;
                continue;
            }
            "via" => r.gw = Some(ip4("via", rest.get(i + 1))?),
            "dev" => r.dev = Some(word("dev", rest.get(i + 1))?),
            "proto" => {
                let p = word("proto", rest.get(i + 1))?;
                r.proto = Some(parse_proto(&p).ok_or(format!("unknown proto `{p}`"))?);
            }
            "scope" => {
                r.scope = Some(match rest.get(i + 1).copied() {
                    Some("link") => RouteScope::Link,
                    Some("host") => RouteScope::Host,
                    Some("global") => RouteScope::Universe,
                    s => return Err(format!("unknown scope `{}`", s.unwrap_or(""))),
                })
            }
            "src" => r.src = Some(ip4("src", rest.get(i + 1))?),
            "metric" => r.metric = Some(num("metric", rest.get(i + 1))?),
            "onlink" => {
                r.onlink = true;
                i += 1;
                continue;
            }
            w if r.dst.is_none() => {
                r.dst = Some(cidr(w)?);
                i += 1;
                continue;
            }
            w => return Err(format!("unsupported `ip route` option `{w}`")),
        }
        i += 2;
    }
    if r.dst.is_none() {
        return Err("`ip route` needs a destination (PREFIX or default)".into());
    }
    match *op {
        "add" => Ok(Cmd::RouteAdd(r)),
        "replace" => Ok(Cmd::RouteAdd(RouteSpec { replace: true, ..r })),
        _ => Ok(Cmd::RouteDel(r)),
    }
}

pub(super) fn neigh(t: &[&str]) -> R<Cmd> {
    let (op, rest) = t.split_first().ok_or("`ip neigh` needs add")?;
    if *op == "flush" {
        return match rest {
            ["dev", d] => Ok(Cmd::NeighFlush { dev: d.to_string() }),
            _ => Err("expected `ip neigh flush dev DEV`".into()),
        };
    }
    if !["add", "replace"].contains(op) {
        return Err(format!(
            "unsupported `ip neigh {op}` (supported: add, replace, flush)"
        ));
    }
    let (mut ip, mut ll, mut dev, mut permanent) = (None, None, None, false);
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "lladdr" => ll = Some(mac(rest.get(i + 1))?),
            "dev" => dev = Some(word("dev", rest.get(i + 1))?),
            "nud" => permanent = rest.get(i + 1) == Some(&"permanent"),
            w if ip.is_none() => {
                ip = Some(ip4("neigh", Some(&w))?);
                i += 1;
                continue;
            }
            w => return Err(format!("unsupported `ip neigh` option `{w}`")),
        }
        i += 2;
    }
    Ok(Cmd::NeighAdd {
        ip: ip.ok_or("`ip neigh add` needs an address")?,
        mac: ll.ok_or("`ip neigh add` needs `lladdr MAC`")?,
        dev: dev.ok_or("`ip neigh add` needs `dev DEV`")?,
        permanent,
    })
}

pub(super) fn fdb(t: &[&str]) -> R<Cmd> {
    let m = mac(t.first())?;
    let (mut dev, mut dst) = (None, None);
    let mut i = 1;
    while i < t.len() {
        match t[i] {
            "dev" => dev = Some(word("dev", t.get(i + 1))?),
            "dst" => dst = Some(ip4("dst", t.get(i + 1))?),
            "self" | "permanent" => {
                i += 1;
                continue;
            }
            w => return Err(format!("unsupported `bridge fdb` option `{w}`")),
        }
        i += 2;
    }
    Ok(Cmd::FdbAdd {
        dev: dev.ok_or("`bridge fdb` needs `dev DEV`")?,
        mac: m,
        dst: dst.ok_or("`bridge fdb` needs `dst IP` (the remote VTEP)")?,
    })
}

pub(super) fn ifconfig(dev: &str, rest: &[&str]) -> R<Vec<Cmd>> {
    let mut out = vec![];
    let mut set = SetSpec::default();
    for w in rest {
        match *w {
            "up" => set.up = Some(true),
            "down" => set.up = Some(false),
            a if a.contains('/') => {
                let (ip, prefix) = cidr(a)?;
                out.push(Cmd::AddrAdd {
                    dev: dev.to_string(),
                    ip,
                    prefix,
                    // net-tools' ifconfig always sets the broadcast address.
                    brd: Some(broadcast(ip, prefix)),
                    noprefixroute: false,
                });
                // net-tools' ifconfig brings the device up when it sets an address.
                set.up.get_or_insert(true);
            }
            w => {
                return Err(format!(
                    "unsupported ifconfig word `{w}` (use ADDR/LEN, up, down)"
                ))
            }
        }
    }
    if set != SetSpec::default() {
        out.push(Cmd::LinkSet {
            dev: dev.to_string(),
            set,
        });
    }
    if out.is_empty() {
        return Err("ifconfig needs ADDR/LEN or up/down".into());
    }
    Ok(out)
}
