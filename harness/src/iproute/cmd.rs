//! The subset of iproute2 (and sysctl, ifconfig, brctl) syntax the articles
//! use, parsed into typed commands. Lab steps read like the article; they run
//! over netlink, never by executing `ip`.

use crate::model::link::{parse_mac, LinkCommon, LinkKind as Kind, Mac};
use rtnetlink::packet_route::route::{RouteProtocol, RouteScope, RouteType};
use std::net::Ipv4Addr;

pub use super::addr::broadcast;
use super::addr::{addr, fdb, ifconfig, neigh, route};
use super::link::link;

/// What `ip link set DEV …` changes; `None` leaves an attribute as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetSpec {
    /// `up` (`Some(true)`) or `down` (`Some(false)`).
    pub up: Option<bool>,
    /// `mtu N`, in bytes.
    pub mtu: Option<u32>,
    /// `address MAC`.
    pub mac: Option<Mac>,
    /// Some(None) is `nomaster`.
    pub master: Option<Option<String>>,
    /// `netns NODE`: move the device into that node's namespace.
    pub netns: Option<String>,
    /// `name NEW`: rename the device.
    pub name: Option<String>,
    /// `txqueuelen N` (or `txqlen`, `qlen`), in packets.
    pub txqueuelen: Option<u32>,
}

/// The arguments of `ip route add|replace|del …`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteSpec {
    /// `blackhole`, `unreachable` or `prohibit` before the destination.
    pub kind: Option<RouteType>,
    /// Destination network and prefix length; `None` is `default`.
    pub dst: Option<(Ipv4Addr, u8)>,
    /// `via GW`: the next hop.
    pub gw: Option<Ipv4Addr>,
    /// `dev DEV`: the outgoing interface.
    pub dev: Option<String>,
    /// `proto P` (`kernel`, `static`, `bird`, a number, ...).
    pub proto: Option<RouteProtocol>,
    /// `scope S` (`link`, `host`, `global`).
    pub scope: Option<RouteScope>,
    /// `src IP`: the preferred source address.
    pub src: Option<Ipv4Addr>,
    /// `onlink`: the gateway is on the link even if no prefix covers it.
    pub onlink: bool,
    /// `metric N`: lower wins among routes to the same destination.
    pub metric: Option<u32>,
    /// `ip route replace`: create or overwrite.
    pub replace: bool,
}

/// One command of a lab step, as the article typed it (iproute2, brctl,
/// ifconfig, bridge, sysctl).
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// `ip netns add NAME`.
    NetnsAdd(String),
    /// `ip link add NAME … type KIND …` (also `brctl addbr BR`).
    LinkAdd {
        /// The new device's name and attributes (`address`, `mtu`, `index`, ...).
        link: LinkCommon,
        /// `type veth peer name …`, `bridge`, `vxlan …` or `ipip …`.
        kind: Kind,
        /// `peer … netns NODE`: the veth peer is created there.
        peer_netns: Option<String>,
    },
    /// `ip link set DEV …` (also `brctl addif BR DEV`, `ifconfig DEV up`).
    LinkSet {
        /// The device changed.
        dev: String,
        /// What changes.
        set: SetSpec,
    },
    /// `ip link del DEV` (a veth's peer goes with it).
    LinkDel {
        /// The device deleted.
        dev: String,
    },
    /// `ip addr add IP/PREFIX dev DEV` (also `ifconfig DEV IP/PREFIX`).
    AddrAdd {
        /// The interface that gets the address.
        dev: String,
        /// The IPv4 address.
        ip: Ipv4Addr,
        /// Its prefix length (`/24`); 32 when not given.
        prefix: u8,
        /// `brd X` (or `brd +`, computed); none unless asked, as iproute2.
        brd: Option<Ipv4Addr>,
        /// `noprefixroute`: no connected route (NetworkManager adds its own).
        noprefixroute: bool,
    },
    /// `ip addr del IP/PREFIX dev DEV`.
    AddrDel {
        /// The interface that loses the address.
        dev: String,
        /// The IPv4 address.
        ip: Ipv4Addr,
        /// Its prefix length; 32 when not given.
        prefix: u8,
    },
    /// `ip -6 addr add|del IP6/PREFIX dev DEV [nodad]` (or `ip addr` of an
    /// IPv6 address).
    Addr6 {
        /// `add` (else `del`).
        add: bool,
        /// The interface.
        dev: String,
        /// The IPv6 address.
        ip: std::net::Ipv6Addr,
        /// Its prefix length; 128 when not given.
        prefix: u8,
        /// `nodad`: usable at once, no duplicate address detection.
        nodad: bool,
    },
    /// `ip -6 route add|replace|del …`.
    Route6 {
        /// What is done with it.
        op: super::inet6::Route6Op,
        /// The route.
        route: super::inet6::Route6Spec,
    },
    /// `ip route add …` or `ip route replace …`.
    RouteAdd(RouteSpec),
    /// `ip route del …`.
    RouteDel(RouteSpec),
    /// `ip neigh add|replace IP lladdr MAC dev DEV [nud permanent]`.
    NeighAdd {
        /// The interface the entry belongs to.
        dev: String,
        /// The neighbour's IPv4 address.
        ip: Ipv4Addr,
        /// `lladdr MAC`: the neighbour's link-layer address.
        mac: Mac,
        /// `nud permanent`: the entry never expires.
        permanent: bool,
    },
    /// `ip neigh flush dev DEV`: forget what was learnt (permanent entries stay).
    NeighFlush {
        /// The interface whose entries are flushed.
        dev: String,
    },
    /// `bridge fdb add|append|replace MAC dev DEV dst IP`: where a VXLAN
    /// device sends frames for MAC.
    FdbAdd {
        /// The VXLAN device.
        dev: String,
        /// The destination MAC (`00:00:00:00:00:00` for flooding).
        mac: Mac,
        /// `dst IP`: the remote VTEP.
        dst: Ipv4Addr,
    },
    /// `sysctl -w KEY=VALUE` or `echo VALUE > /proc/sys/…`.
    Sysctl {
        /// The dotted key (`net.ipv4.ip_forward`); a dot inside an interface name
        /// is written `/`, as sysctl does.
        key: String,
        /// The value written, verbatim.
        value: String,
    },
}

impl Cmd {
    /// The `dev` a route command names, of either family.
    pub fn route_dev(&self) -> Option<&str> {
        match self {
            Cmd::RouteAdd(r) | Cmd::RouteDel(r) => r.dev.as_deref(),
            Cmd::Route6 { route, .. } => route.dev.as_deref(),
            _ => None,
        }
    }

    /// Node names this command refers to besides the one it runs in.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Cmd::LinkAdd {
                peer_netns: Some(n),
                ..
            } => vec![n],
            Cmd::LinkSet {
                set: SetSpec { netns: Some(n), .. },
                ..
            } => vec![n],
            _ => vec![],
        }
    }
}

/// A parsed line: the node it runs in (`ip netns exec X …`, `ip -n X …`), if
/// named, and the commands (ifconfig can mean two).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The node named by `ip netns exec X` or `ip -n X`; `None` runs it in the
    /// step's own node.
    pub node: Option<String>,
    /// The commands the line stands for.
    pub cmds: Vec<Cmd>,
}

pub(super) type R<T> = Result<T, String>;

/// Parses one command line of a lab step; `Err` says what is wrong or unsupported.
pub fn parse(text: &str) -> R<Line> {
    let toks: Vec<&str> = text.split_whitespace().collect();
    let mut t: &[&str] = &toks;
    let mut node = None;
    // Namespace prefixes, possibly with `sudo`.
    loop {
        match t {
            ["sudo", rest @ ..] => t = rest,
            ["ip", "netns", "exec", n, rest @ ..] => {
                node = Some(n.to_string());
                t = rest;
            }
            ["ip", "-n", n, rest @ ..] => {
                node = Some(n.to_string());
                let mut v = vec!["ip"];
                v.extend_from_slice(rest);
                return parse_words(&v).map(|cmds| Line { node, cmds });
            }
            _ => break,
        }
    }
    parse_words(t).map(|cmds| Line { node, cmds })
}

fn parse_words(t: &[&str]) -> R<Vec<Cmd>> {
    match t {
        [] => Err("empty command".into()),
        ["ip", "-6", obj, rest @ ..] => super::inet6::ip6(obj, rest).map(|c| vec![c]),
        ["ip", obj, rest @ ..]
            if ("address".starts_with(*obj) || *obj == "addr" || "route".starts_with(*obj))
                && rest.iter().any(|w| super::inet6::is_v6(w)) =>
        {
            // iproute2 takes an IPv6 address as `-6` by itself.
            super::inet6::ip6(obj, rest).map(|c| vec![c])
        }
        ["ip", obj, rest @ ..] => {
            let obj = *obj;
            if "netns".starts_with(obj) && obj.len() >= 2 {
                match rest {
                    ["add", n] => Ok(vec![Cmd::NetnsAdd(n.to_string())]),
                    _ => Err("supported: `ip netns add NAME`, `ip netns exec NAME CMD`".into()),
                }
            } else if "link".starts_with(obj) {
                link(rest).map(|c| vec![c])
            } else if "address".starts_with(obj) || obj == "addr" {
                addr(rest).map(|c| vec![c])
            } else if "route".starts_with(obj) {
                route(rest).map(|c| vec![c])
            } else if "neighbour".starts_with(obj) || "neighbor".starts_with(obj) {
                neigh(rest).map(|c| vec![c])
            } else {
                Err(format!("unsupported `ip {obj}` (supported: ip link, ip addr, ip route, ip neigh, ip netns)"))
            }
        }
        ["bridge", "fdb", op, rest @ ..] if ["add", "append", "replace"].contains(op) => fdb(rest).map(|c| vec![c]),
        ["sysctl", "-w", kv] | ["sysctl", kv] if kv.contains('=') => {
            let (k, v) = kv.split_once('=').unwrap_or_default();
            Ok(vec![Cmd::Sysctl { key: k.to_string(), value: v.to_string() }])
        }
        ["echo", v, ">", path] => match path.strip_prefix("/proc/sys/") {
            Some(p) => Ok(vec![Cmd::Sysctl {
                key: p.split('/').map(|c| c.replace('.', "/")).collect::<Vec<_>>().join("."),
                value: v.to_string(),
            }]),
            None => Err("only `echo VALUE > /proc/sys/...` is supported".into()),
        },
        ["ifconfig", dev, rest @ ..] => ifconfig(dev, rest),
        ["brctl", "addbr", br] => Ok(vec![Cmd::LinkAdd {
            link: LinkCommon { name: br.to_string(), ..Default::default() },
            kind: Kind::Bridge,
            peer_netns: None,
        }]),
        ["brctl", "addif", br, dev] => Ok(vec![Cmd::LinkSet {
            dev: dev.to_string(),
            set: SetSpec { master: Some(Some(br.to_string())), ..Default::default() },
        }]),
        [w, ..] => Err(format!(
            "unsupported command `{w}` (supported: ip link|addr|route|neigh|netns, bridge fdb, sysctl -w, ifconfig, brctl addbr|addif, echo V > /proc/sys/...)"
        )),
    }
}

pub(super) fn num<T: std::str::FromStr>(what: &str, s: Option<&&str>) -> R<T> {
    let s = s.ok_or(format!("`{what}` needs a value"))?;
    s.parse()
        .map_err(|_| format!("`{what} {s}`: not a valid number"))
}

/// A number the kernel accepts only within `[lo, hi]`: refused at load
/// with the range, not by netlink mid-run.
pub(super) fn ranged(what: &str, s: Option<&&str>, lo: u64, hi: u64, why: &str) -> R<u32> {
    let v: u64 = num(what, s)?;
    if v < lo || v > hi {
        return Err(format!("`{what} {v}`: allowed: {lo} to {hi} ({why})"));
    }
    Ok(v as u32)
}

/// The MTUs a veth, bridge or tunnel takes: IPv4's minimum to Ethernet's maximum.
pub(super) const MTU: (u64, u64) = (68, 65535);

pub(super) fn ip4(what: &str, s: Option<&&str>) -> R<Ipv4Addr> {
    let s = s.ok_or(format!("`{what}` needs an address"))?;
    not_v6(s)?;
    s.parse().map_err(|_| format!("`{s}`: not an IPv4 address"))
}

/// Where only IPv4 goes (a tunnel's `local`, a neighbour, `ifconfig`): say
/// so, rather than "prefix over 32" or "not an IPv4 address".
pub(super) fn not_v6(s: &str) -> R<()> {
    if super::inet6::is_v6(s) {
        return Err(format!(
            "`{s}`: IPv6 is not supported here (IPv6 goes only in `ip -6 addr` and `ip -6 route`)"
        ));
    }
    Ok(())
}

/// A device's own address: the kernel refuses multicast and all-zero ones.
pub(super) fn dev_mac(s: Option<&&str>) -> R<Mac> {
    let m = mac(s)?;
    let t = s.copied().unwrap_or_default();
    if m[0] & 1 == 1 {
        return Err(format!(
            "`{t}`: a multicast MAC (first octet odd) cannot be a device's address"
        ));
    }
    if m == [0; 6] {
        return Err(format!(
            "`{t}`: the all-zero MAC cannot be a device's address"
        ));
    }
    Ok(m)
}

pub(super) fn mac(s: Option<&&str>) -> R<Mac> {
    let s = s.ok_or("a MAC address is missing")?;
    parse_mac(s).ok_or(format!(
        "`{s}`: not a MAC address (expected xx:xx:xx:xx:xx:xx)"
    ))
}

pub(super) fn word(what: &str, s: Option<&&str>) -> R<String> {
    s.map(|s| s.to_string())
        .ok_or(format!("`{what}` needs a value"))
}

/// Parses `IP/PREFIX` (a bare IP is `/32`); IPv6 is refused.
pub fn cidr(s: &str) -> R<(Ipv4Addr, u8)> {
    not_v6(s)?;
    let (ip, p) = match s.split_once('/') {
        Some((ip, p)) => (
            ip,
            p.parse::<u8>()
                .map_err(|_| format!("`{s}`: bad prefix length"))?,
        ),
        None => (s, 32),
    };
    if p > 32 {
        return Err(format!("`{s}`: prefix length over 32"));
    }
    Ok((
        ip.parse()
            .map_err(|_| format!("`{s}`: not an IPv4 address"))?,
        p,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_commands_parse() {
        let l = parse("ip netns exec song ip addr add 192.168.122.102/24 dev veth1").unwrap();
        assert_eq!(l.node.as_deref(), Some("song"));
        assert_eq!(
            l.cmds,
            vec![Cmd::AddrAdd {
                dev: "veth1".into(),
                ip: "192.168.122.102".parse().unwrap(),
                prefix: 24,
                brd: None,
                noprefixroute: false,
            }]
        );
        let l = parse("ip link add index 6 name veth61dfc48a mtu 1450 type veth peer index 3 name eth0 netns pod1").unwrap();
        match &l.cmds[0] {
            Cmd::LinkAdd {
                link,
                kind: Kind::Veth { peer },
                peer_netns,
            } => {
                assert_eq!(
                    (link.index, link.mtu, link.name.as_str()),
                    (Some(6), Some(1450), "veth61dfc48a")
                );
                assert_eq!((peer.index, peer.name.as_str()), (Some(3), "eth0"));
                assert_eq!(peer_netns.as_deref(), Some("pod1"));
            }
            c => panic!("{c:?}"),
        }
        let r =
            parse("ip route add 10.244.169.64/26 via 192.168.26.105 dev tunl0 proto bird onlink")
                .unwrap();
        match &r.cmds[0] {
            Cmd::RouteAdd(r) => {
                assert!(r.onlink);
                assert_eq!(r.dst, Some(("10.244.169.64".parse().unwrap(), 26)));
                assert_eq!(r.dev.as_deref(), Some("tunl0"));
            }
            c => panic!("{c:?}"),
        }
        let r = parse("ip route add blackhole 10.244.38.128/26 proto bird").unwrap();
        assert!(matches!(
            &r.cmds[0],
            Cmd::RouteAdd(RouteSpec {
                kind: Some(RouteType::BlackHole),
                ..
            })
        ));
        let r = parse("ip route add 169.254.1.1 dev eth0 scope link").unwrap();
        assert!(matches!(
            &r.cmds[0],
            Cmd::RouteAdd(RouteSpec {
                scope: Some(RouteScope::Link),
                dst: Some((_, 32)),
                ..
            })
        ));
        assert_eq!(
            parse("ifconfig veth0 192.168.122.101/24 up")
                .unwrap()
                .cmds
                .len(),
            2
        );
        assert_eq!(
            parse("sysctl -w net.ipv4.conf.flannel/1.forwarding=1")
                .unwrap()
                .cmds,
            vec![Cmd::Sysctl {
                key: "net.ipv4.conf.flannel/1.forwarding".into(),
                value: "1".into()
            }]
        );
        assert_eq!(
            parse("echo 1 > /proc/sys/net/ipv4/conf/flannel.1/proxy_arp")
                .unwrap()
                .cmds,
            vec![Cmd::Sysctl {
                key: "net.ipv4.conf.flannel/1.proxy_arp".into(),
                value: "1".into()
            }]
        );
    }

    #[test]
    fn errors_say_what() {
        assert!(parse("ip link add foo type dummy")
            .unwrap_err()
            .contains("unsupported link type `dummy`"));
        assert!(parse("ip addr add 10.0.0.300/24 dev x")
            .unwrap_err()
            .contains("not an IPv4 address"));
        assert!(parse("ip addr add 10.0.0.3/33 dev x")
            .unwrap_err()
            .contains("prefix length"));
        assert!(parse("iptables -A FORWARD")
            .unwrap_err()
            .contains("unsupported command"));
        assert!(parse("ip link set veth0")
            .unwrap_err()
            .contains("something to change"));
    }
}
