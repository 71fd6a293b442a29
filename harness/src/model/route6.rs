//! IPv6 routes as `ip -6 route` shows them. A type of their own: the kernel
//! reports what IPv4 routes lack (a router preference, `pref medium`) and
//! `ip -6 route` prints it, while scopes it prints for IPv4 never appear.

use super::route::{push_dst, push_flags, push_next_hop, push_origin};
use rtnetlink::packet_route::route::{RoutePreference, RouteProtocol, RouteScope, RouteType};
use std::net::Ipv6Addr;

/// An IPv6 route of the main table, as `ip -6 route` shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Route6 {
    /// Route type; `blackhole`, `unreachable` and `prohibit` are printed first.
    pub kind: Option<RouteType>,
    /// Destination network and prefix length; `None` is `default`.
    pub dst: Option<(Ipv6Addr, u8)>,
    /// `via GW`: the next hop.
    pub gw: Option<Ipv6Addr>,
    /// `dev DEV`: ifindex of the outgoing interface.
    pub oif: Option<u32>,
    /// `proto P`: who installed it (`kernel`, `static`, `ra`, ...).
    pub proto: Option<RouteProtocol>,
    /// `scope S`: printed only when not global (IPv6 routes rarely have one).
    pub scope: Option<RouteScope>,
    /// `src IP`: the preferred source address.
    pub src: Option<Ipv6Addr>,
    /// `metric N` (`ip -6 route` prints it always: 256 for the kernel's
    /// prefix routes, 1024 for added ones).
    pub metric: Option<u32>,
    /// `onlink`.
    pub onlink: bool,
    /// `linkdown`: the outgoing interface has no carrier.
    pub linkdown: bool,
    /// `pref low|medium|high` (RTA_PREF, RFC 4191).
    pub pref: Option<RoutePreference>,
}

impl Route6 {
    /// One `ip -6 route` line; `dev` names interfaces of this namespace.
    pub fn render(&self, dev: &dyn Fn(u32) -> String) -> String {
        let mut s = String::new();
        push_dst(&mut s, self.kind, self.dst, 128);
        push_next_hop(&mut s, self.gw, self.oif, dev);
        push_origin(&mut s, self.proto, self.scope, self.src);
        if let Some(m) = self.metric {
            s.push_str(&format!(" metric {m}"));
        }
        push_flags(&mut s, self.onlink, self.linkdown);
        match self.pref {
            Some(RoutePreference::Medium) => s.push_str(" pref medium"),
            Some(RoutePreference::High) => s.push_str(" pref high"),
            Some(RoutePreference::Low) => s.push_str(" pref low"),
            _ => {}
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(i: u32) -> String {
        format!("veth{i}")
    }

    /// The lines `ip -6 route` (iproute2 6.1) prints for a veth holding
    /// 2001:db8::1/64, and a static route through the peer.
    #[test]
    fn renders_as_ip_6_route() {
        let kernel = |net: &str| Route6 {
            dst: Some((net.parse().unwrap(), 64)),
            oif: Some(0),
            proto: Some(RouteProtocol::Kernel),
            metric: Some(256),
            pref: Some(RoutePreference::Medium),
            ..Default::default()
        };
        assert_eq!(
            kernel("2001:db8::").render(&name),
            "2001:db8::/64 dev veth0 proto kernel metric 256 pref medium"
        );
        assert_eq!(
            kernel("fe80::").render(&name),
            "fe80::/64 dev veth0 proto kernel metric 256 pref medium"
        );
        let r = Route6 {
            dst: None,
            gw: Some("2001:db8::2".parse().unwrap()),
            oif: Some(1),
            proto: Some(RouteProtocol::Boot),
            metric: Some(1024),
            linkdown: true,
            pref: Some(RoutePreference::Medium),
            ..Default::default()
        };
        assert_eq!(
            r.render(&name),
            "default via 2001:db8::2 dev veth1 metric 1024 linkdown pref medium"
        );
        let host = Route6 {
            dst: Some(("2001:db8::9".parse().unwrap(), 128)),
            kind: Some(RouteType::BlackHole),
            metric: Some(1024),
            ..Default::default()
        };
        assert_eq!(host.render(&name), "blackhole 2001:db8::9 metric 1024");
    }
}
