//! IPv4 routes as `ip route` shows them.

use rtnetlink::packet_route::route::{RouteProtocol, RouteScope, RouteType};
use std::fmt::Display;
use std::net::Ipv4Addr;

/// An IPv4 route of the main table, as `ip route` shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route {
    /// Route type; `blackhole`, `unreachable` and `prohibit` are printed first.
    pub kind: Option<RouteType>,
    /// Destination network and prefix length; `None` is `default`.
    pub dst: Option<(Ipv4Addr, u8)>,
    /// `via GW`: the next hop.
    pub gw: Option<Ipv4Addr>,
    /// `dev DEV`: ifindex of the outgoing interface.
    pub oif: Option<u32>,
    /// `proto P`: who installed it (`kernel`, `static`, `bird`, ...).
    pub proto: Option<RouteProtocol>,
    /// `scope S` (`link`, `host`, `global`).
    pub scope: Option<RouteScope>,
    /// `src IP`: the preferred source address.
    pub src: Option<Ipv4Addr>,
    /// `onlink`: the gateway is taken as on the link.
    pub onlink: bool,
    /// `linkdown`: the outgoing interface has no carrier.
    pub linkdown: bool,
    /// `metric N`.
    pub metric: Option<u32>,
}

/// A route protocol's name as `ip route` prints it (`proto kernel`).
pub fn proto_name(p: &RouteProtocol) -> String {
    match p {
        RouteProtocol::Kernel => "kernel".into(),
        RouteProtocol::Boot => "boot".into(),
        RouteProtocol::Static => "static".into(),
        RouteProtocol::Bird => "bird".into(),
        RouteProtocol::Dhcp => "dhcp".into(),
        RouteProtocol::Bgp => "bgp".into(),
        RouteProtocol::Other(n) => n.to_string(),
        p => format!("{p:?}").to_lowercase(),
    }
}

/// The protocol a name (or number) after `proto` stands for.
pub fn parse_proto(s: &str) -> Option<RouteProtocol> {
    Some(match s {
        "kernel" => RouteProtocol::Kernel,
        "boot" => RouteProtocol::Boot,
        "static" => RouteProtocol::Static,
        "bird" => RouteProtocol::Bird,
        "dhcp" => RouteProtocol::Dhcp,
        "bgp" => RouteProtocol::Bgp,
        n => RouteProtocol::Other(n.parse().ok()?),
    })
}

impl Route {
    /// One `ip route` line; `dev` names interfaces of this namespace.
    pub fn render(&self, dev: &dyn Fn(u32) -> String) -> String {
        let mut s = String::new();
        push_dst(&mut s, self.kind, self.dst, 32);
        push_next_hop(&mut s, self.gw, self.oif, dev);
        push_origin(&mut s, self.proto, self.scope, self.src);
        if let Some(m) = self.metric.filter(|m| *m != 0) {
            s.push_str(&format!(" metric {m}"));
        }
        push_flags(&mut s, self.onlink, self.linkdown);
        s
    }
}

// The words below are printed alike by `ip route` and `ip -6 route` (one
// iproute2 function for both), so `Route` and `Route6` share them.

/// The type (`blackhole`, `unreachable`, `prohibit` first) and destination:
/// `default`, a host route (prefix length `host`) bare, else `NET/LEN`.
pub(super) fn push_dst<A: Display>(
    s: &mut String,
    kind: Option<RouteType>,
    dst: Option<(A, u8)>,
    host: u8,
) {
    match kind {
        Some(RouteType::BlackHole) => s.push_str("blackhole "),
        Some(RouteType::Unreachable) => s.push_str("unreachable "),
        Some(RouteType::Prohibit) => s.push_str("prohibit "),
        _ => {}
    }
    match dst {
        None | Some((_, 0)) => s.push_str("default"),
        Some((ip, p)) if p == host => s.push_str(&ip.to_string()),
        Some((ip, p)) => s.push_str(&format!("{ip}/{p}")),
    }
}

/// ` via GW` and ` dev DEV`.
pub(super) fn push_next_hop<A: Display>(
    s: &mut String,
    gw: Option<A>,
    oif: Option<u32>,
    dev: &dyn Fn(u32) -> String,
) {
    if let Some(g) = gw {
        s.push_str(&format!(" via {g}"));
    }
    if let Some(o) = oif {
        s.push_str(&format!(" dev {}", dev(o)));
    }
}

/// ` proto P` (not `boot`, the default), ` scope link|host`, ` src IP`.
pub(super) fn push_origin<A: Display>(
    s: &mut String,
    proto: Option<RouteProtocol>,
    scope: Option<RouteScope>,
    src: Option<A>,
) {
    if let Some(p) = &proto {
        if *p != RouteProtocol::Boot && *p != RouteProtocol::Unspec {
            s.push_str(&format!(" proto {}", proto_name(p)));
        }
    }
    match scope {
        Some(RouteScope::Link) => s.push_str(" scope link"),
        Some(RouteScope::Host) => s.push_str(" scope host"),
        _ => {}
    }
    if let Some(src) = src {
        s.push_str(&format!(" src {src}"));
    }
}

/// ` onlink` and ` linkdown`.
pub(super) fn push_flags(s: &mut String, onlink: bool, linkdown: bool) {
    if onlink {
        s.push_str(" onlink");
    }
    if linkdown {
        s.push_str(" linkdown");
    }
}
