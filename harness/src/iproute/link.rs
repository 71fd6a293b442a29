//! `ip link add|set|del`: veth pairs (and their peer's namespace), bridges,
//! VXLAN and IP-in-IP devices, and what `ip link set` changes.

use super::cmd::{dev_mac, ip4, num, ranged, word, Cmd, SetSpec, MTU, R};
use crate::model::link::{LinkCommon, LinkKind as Kind};

/// Common `ip link add` attributes; returns the words it did not take.
fn link_common<'a>(t: &'a [&'a str], c: &mut LinkCommon) -> R<&'a [&'a str]> {
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            "name" => c.name = word("name", t.get(i + 1))?,
            "index" => {
                c.index = Some(ranged(
                    "index",
                    t.get(i + 1),
                    1,
                    i32::MAX as u64,
                    "an ifindex",
                )?)
            }
            "address" => c.mac = Some(dev_mac(t.get(i + 1))?),
            "mtu" => c.mtu = Some(ranged("mtu", t.get(i + 1), MTU.0, MTU.1, "bytes")?),
            "txqueuelen" | "txqlen" | "qlen" => {
                c.txqueuelen = Some(num("txqueuelen", t.get(i + 1))?)
            }
            w if c.name.is_empty() && !["type", "peer", "netns"].contains(&w) => {
                c.name = w.to_string();
                i += 1;
                continue;
            }
            _ => return Ok(&t[i..]),
        }
        i += 2;
    }
    Ok(&t[i..])
}

pub(super) fn link(t: &[&str]) -> R<Cmd> {
    match t {
        ["add", rest @ ..] => link_add(rest),
        ["set", rest @ ..] => link_set(rest),
        ["del" | "delete", "dev", d] | ["del" | "delete", d] => {
            Ok(Cmd::LinkDel { dev: d.to_string() })
        }
        [op, ..] => Err(format!(
            "unsupported `ip link {op}` (supported: add, set, del)"
        )),
        [] => Err("`ip link` needs add|set|del".into()),
    }
}

/// `ip link add NAME [common] type KIND [options]`.
fn link_add(rest: &[&str]) -> R<Cmd> {
    let mut c = LinkCommon::default();
    let rest = link_common(rest, &mut c)?;
    if c.name.is_empty() {
        return Err("`ip link add` needs a name".into());
    }
    let mut peer_netns = None;
    let kind = match rest {
        ["type", "veth", "peer", p @ ..] => {
            let mut peer = LinkCommon::default();
            let mut rest = link_common(p, &mut peer)?;
            if let ["netns", n, r @ ..] = rest {
                peer_netns = Some(n.to_string());
                rest = r;
            }
            if !rest.is_empty() {
                return Err(format!(
                    "unexpected `{}` after the veth peer",
                    rest.join(" ")
                ));
            }
            if peer.name.is_empty() {
                return Err("`peer` needs `name NAME`".into());
            }
            Kind::Veth { peer }
        }
        ["type", "bridge"] => Kind::Bridge,
        ["type", "vxlan", o @ ..] => vxlan(o)?,
        ["type", "ipip", o @ ..] => ipip(o)?,
        ["type", k, ..] => {
            return Err(format!(
                "unsupported link type `{k}` (supported: veth, bridge, vxlan, ipip)"
            ))
        }
        _ => return Err("`ip link add` needs `type veth|bridge|vxlan|ipip`".into()),
    };
    Ok(Cmd::LinkAdd {
        link: c,
        kind,
        peer_netns,
    })
}

/// `ip link set [dev] DEV options…`.
fn link_set(rest: &[&str]) -> R<Cmd> {
    let mut set = SetSpec::default();
    let mut dev = None;
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            "dev" => dev = Some(word("dev", rest.get(i + 1))?),
            "up" | "down" => {
                set.up = Some(rest[i] == "up");
                i += 1;
                continue;
            }
            "nomaster" => {
                set.master = Some(None);
                i += 1;
                continue;
            }
            "master" => set.master = Some(Some(word("master", rest.get(i + 1))?)),
            "netns" => set.netns = Some(word("netns", rest.get(i + 1))?),
            "mtu" => set.mtu = Some(ranged("mtu", rest.get(i + 1), MTU.0, MTU.1, "bytes")?),
            "txqueuelen" | "txqlen" | "qlen" => {
                set.txqueuelen = Some(num("txqueuelen", rest.get(i + 1))?)
            }
            "address" => set.mac = Some(dev_mac(rest.get(i + 1))?),
            "name" => set.name = Some(word("name", rest.get(i + 1))?),
            w if dev.is_none() => {
                dev = Some(w.to_string());
                i += 1;
                continue;
            }
            w => return Err(format!("unsupported `ip link set` option `{w}`")),
        }
        i += 2;
    }
    let dev = dev.ok_or("`ip link set` needs a device")?;
    if set == SetSpec::default() {
        return Err("`ip link set` needs something to change".into());
    }
    Ok(Cmd::LinkSet { dev, set })
}

/// `type vxlan id VNI [dstport P] [local IP] [dev DEV] [nolearning]`.
fn vxlan(o: &[&str]) -> R<Kind> {
    let (mut vni, mut port, mut local, mut dev, mut learning) = (None, None, None, None, true);
    let mut i = 0;
    while i < o.len() {
        match o[i] {
            "id" | "vni" => {
                vni = Some(ranged(
                    "id",
                    o.get(i + 1),
                    0,
                    (1 << 24) - 1,
                    "a 24-bit VNI",
                )?)
            }
            "dstport" => port = Some(num("dstport", o.get(i + 1))?),
            "local" => local = Some(ip4("local", o.get(i + 1))?),
            "dev" => dev = Some(word("dev", o.get(i + 1))?),
            "nolearning" => {
                learning = false;
                i += 1;
                continue;
            }
            w => return Err(format!("unsupported vxlan option `{w}`")),
        }
        i += 2;
    }
    Ok(Kind::Vxlan {
        vni: vni.ok_or("vxlan needs `id VNI`")?,
        port,
        local,
        dev,
        learning,
    })
}

/// `type ipip [local IP] [remote IP]`.
fn ipip(o: &[&str]) -> R<Kind> {
    let (mut local, mut remote) = (None, None);
    let mut i = 0;
    while i < o.len() {
        match o[i] {
            "local" => local = Some(ip4("local", o.get(i + 1))?),
            "remote" => remote = Some(ip4("remote", o.get(i + 1))?),
            w => return Err(format!("unsupported ipip option `{w}`")),
        }
        i += 2;
    }
    Ok(Kind::IpIp { local, remote })
}
