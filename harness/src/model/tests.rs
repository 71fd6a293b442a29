//! Plain values: MACs, link flags as iproute2 prints them, routes as
//! `ip route` lines.

use crate::model::addr::neigh_state_name;
use crate::model::link::OPTIONAL_KINDS;
use crate::model::route::{parse_proto, proto_name};
use crate::model::{fmt_mac, parse_mac, Link, LinkCommon, LinkKind, Route};
use rtnetlink::packet_route::neighbour::NeighbourState;
use rtnetlink::packet_route::route::{RouteProtocol, RouteScope, RouteType};
use std::net::Ipv4Addr;

const UP: u32 = libc::IFF_UP as u32;
const LOWER_UP: u32 = 1 << 16;

fn flags(f: u32) -> String {
    Link {
        flags: f,
        ..Default::default()
    }
    .flag_names()
}

#[test]
fn mac_format_is_lowercase_two_digits() {
    assert_eq!(
        fmt_mac(&[0xf2, 0x05, 0xc3, 0x82, 0xae, 0x5e]),
        "f2:05:c3:82:ae:5e"
    );
    assert_eq!(fmt_mac(&[0; 6]), "00:00:00:00:00:00");
    assert_eq!(fmt_mac(&[]), "");
}

#[test]
fn mac_parse_accepts_one_or_two_hex_digits_any_case() {
    assert_eq!(
        parse_mac("EE:ee:0:a:0B:ff"),
        Some([0xee, 0xee, 0, 0x0a, 0x0b, 0xff])
    );
    for bad in [
        "",
        "ee:ee:ee:ee:ee",
        "ee:ee:ee:ee:ee:ee:ee",
        "ee:ee:ee:ee:ee:",
        "eee:e:e:e:e:e",
        "gg:00:00:00:00:00",
        "ee-ee-ee-ee-ee-ee",
        "+e:00:00:00:00:00",
    ] {
        assert_eq!(parse_mac(bad), None, "{bad}");
    }
}

#[test]
fn mac_round_trips() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..200 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let m: [u8; 6] = x.to_be_bytes()[2..].try_into().unwrap();
        assert_eq!(parse_mac(&fmt_mac(&m)), Some(m));
    }
}

#[test]
fn flags_in_iproute2_order() {
    let all = UP | libc::IFF_BROADCAST as u32 | libc::IFF_MULTICAST as u32 | LOWER_UP;
    assert_eq!(flags(all), "<BROADCAST,MULTICAST,UP,LOWER_UP>");
    assert_eq!(flags(0), "<>");
    assert_eq!(
        flags(libc::IFF_BROADCAST as u32 | libc::IFF_MULTICAST as u32),
        "<BROADCAST,MULTICAST>"
    );
}

#[test]
fn up_without_carrier_is_no_carrier_except_loopback() {
    assert_eq!(
        flags(UP | libc::IFF_BROADCAST as u32),
        "<NO-CARRIER,BROADCAST,UP>"
    );
    assert_eq!(flags(UP | libc::IFF_LOOPBACK as u32), "<LOOPBACK,UP>");
    // Down: no carrier is not mentioned.
    assert_eq!(flags(libc::IFF_BROADCAST as u32), "<BROADCAST>");
}

#[test]
fn tunnel_flags() {
    // tunl0 up: <NOARP,UP,LOWER_UP>; a point-to-point device.
    assert_eq!(
        flags(libc::IFF_NOARP as u32 | UP | LOWER_UP),
        "<NOARP,UP,LOWER_UP>"
    );
    assert_eq!(
        flags(libc::IFF_POINTOPOINT as u32 | libc::IFF_NOARP as u32),
        "<POINTOPOINT,NOARP>"
    );
}

#[test]
fn up_and_lower_up_read_their_bits() {
    let l = Link {
        flags: UP,
        ..Default::default()
    };
    assert!(l.up() && !l.lower_up());
    let l = Link {
        flags: LOWER_UP,
        ..Default::default()
    };
    assert!(!l.up() && l.lower_up());
}

#[test]
fn link_kind_names() {
    assert_eq!(
        LinkKind::Veth {
            peer: LinkCommon::default()
        }
        .name(),
        "veth"
    );
    assert_eq!(LinkKind::Bridge.name(), "bridge");
    assert_eq!(
        LinkKind::IpIp {
            local: None,
            remote: None
        }
        .name(),
        "ipip"
    );
    assert_eq!(
        LinkKind::Vxlan {
            vni: 1,
            port: None,
            local: None,
            dev: None,
            learning: true
        }
        .name(),
        "vxlan"
    );
    // Every optional kind a lab can make has its module named.
    for k in ["ipip", "vxlan"] {
        assert!(OPTIONAL_KINDS.iter().any(|(n, _)| *n == k), "{k}");
    }
    assert!(!OPTIONAL_KINDS
        .iter()
        .any(|(n, _)| *n == "veth" || *n == "bridge"));
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn dev(i: u32) -> String {
    match i {
        2 => "eth0".into(),
        n => format!("if{n}"),
    }
}

fn render(r: Route) -> String {
    r.render(&dev)
}

#[test]
fn route_default_and_host_and_prefix() {
    assert_eq!(
        render(Route {
            gw: Some(ip("10.0.0.1")),
            oif: Some(2),
            ..Default::default()
        }),
        "default via 10.0.0.1 dev eth0"
    );
    assert_eq!(
        render(Route {
            dst: Some((ip("0.0.0.0"), 0)),
            oif: Some(2),
            ..Default::default()
        }),
        "default dev eth0"
    );
    assert_eq!(
        render(Route {
            dst: Some((ip("169.254.1.1"), 32)),
            oif: Some(2),
            scope: Some(RouteScope::Link),
            ..Default::default()
        }),
        "169.254.1.1 dev eth0 scope link"
    );
    assert_eq!(
        render(Route {
            dst: Some((ip("10.244.0.0"), 16)),
            oif: Some(7),
            ..Default::default()
        }),
        "10.244.0.0/16 dev if7"
    );
}

#[test]
fn route_kernel_line_in_iproute2_order() {
    let r = Route {
        dst: Some((ip("10.244.1.0"), 24)),
        oif: Some(2),
        proto: Some(RouteProtocol::Kernel),
        scope: Some(RouteScope::Link),
        src: Some(ip("10.244.1.2")),
        metric: Some(100),
        linkdown: true,
        ..Default::default()
    };
    assert_eq!(
        render(r),
        "10.244.1.0/24 dev eth0 proto kernel scope link src 10.244.1.2 metric 100 linkdown"
    );
}

#[test]
fn route_types_and_hidden_defaults() {
    assert_eq!(
        render(Route {
            kind: Some(RouteType::BlackHole),
            dst: Some((ip("10.244.38.128"), 26)),
            proto: Some(RouteProtocol::Bird),
            ..Default::default()
        }),
        "blackhole 10.244.38.128/26 proto bird"
    );
    assert_eq!(
        render(Route {
            kind: Some(RouteType::Unreachable),
            dst: Some((ip("10.9.0.0"), 16)),
            ..Default::default()
        }),
        "unreachable 10.9.0.0/16"
    );
    assert_eq!(
        render(Route {
            kind: Some(RouteType::Prohibit),
            dst: Some((ip("10.9.0.0"), 16)),
            ..Default::default()
        }),
        "prohibit 10.9.0.0/16"
    );
    // Unicast, proto boot, universe scope and metric 0 are what iproute2 leaves out.
    assert_eq!(
        render(Route {
            kind: Some(RouteType::Unicast),
            dst: Some((ip("10.1.0.0"), 16)),
            oif: Some(2),
            proto: Some(RouteProtocol::Boot),
            scope: Some(RouteScope::Universe),
            metric: Some(0),
            ..Default::default()
        }),
        "10.1.0.0/16 dev eth0"
    );
    assert_eq!(
        render(Route {
            dst: Some((ip("10.244.169.64"), 26)),
            gw: Some(ip("192.168.26.105")),
            oif: Some(2),
            proto: Some(RouteProtocol::Bird),
            onlink: true,
            ..Default::default()
        }),
        "10.244.169.64/26 via 192.168.26.105 dev eth0 proto bird onlink"
    );
}

#[test]
fn protocols_by_name_and_number() {
    for n in ["kernel", "boot", "static", "bird", "dhcp", "bgp"] {
        assert_eq!(proto_name(&parse_proto(n).unwrap()), n);
    }
    assert_eq!(parse_proto("42"), Some(RouteProtocol::Other(42)));
    assert_eq!(proto_name(&RouteProtocol::Other(42)), "42");
    assert_eq!(parse_proto("zebra!"), None);
    assert_eq!(parse_proto("300"), None);
}

#[test]
fn neighbour_states_as_ip_neigh_prints_them() {
    assert_eq!(neigh_state_name(NeighbourState::Reachable), "REACHABLE");
    assert_eq!(neigh_state_name(NeighbourState::Stale), "STALE");
    assert_eq!(neigh_state_name(NeighbourState::Permanent), "PERMANENT");
    assert_eq!(neigh_state_name(NeighbourState::Failed), "FAILED");
    assert_eq!(neigh_state_name(NeighbourState::Noarp), "NOARP");
    assert_eq!(neigh_state_name(NeighbourState::Incomplete), "INCOMPLETE");
}

#[test]
fn bridge_id_is_priority_then_mac_as_brctl_prints_it() {
    use crate::model::link::fmt_bridge_id;
    // docker0 of seed 001 and k8s-2's cni0 of seed 000, default priority.
    let docker0 = [0x02, 0x42, 0xdf, 0xd6, 0x05, 0xc0];
    assert_eq!(fmt_bridge_id(0x8000, &docker0), "8000.0242dfd605c0");
    let cni0 = [0x36, 0xda, 0xe4, 0x77, 0x63, 0x9c];
    assert_eq!(fmt_bridge_id(0x8000, &cni0), "8000.36dae477639c");
    // A lowered priority keeps its four digits, leading zeros included.
    assert_eq!(fmt_bridge_id(0x0100, &cni0), "0100.36dae477639c");
}

#[test]
fn settling_is_flags_and_operstate_disagreeing() {
    let l = |kind: &str, flags: u32, oper: &str| Link {
        kind: Some(kind.into()),
        flags,
        operstate: oper.into(),
        ..Link::default()
    };
    // Up with carrier, linkwatch not yet run: DOWN or UNKNOWN for a veth.
    assert!(l("veth", UP | LOWER_UP, "DOWN").settling());
    assert!(l("veth", UP | LOWER_UP, "UNKNOWN").settling());
    assert!(l("bridge", UP | LOWER_UP, "DOWN").settling());
    // A bridge that never had a port stays UNKNOWN with its carrier.
    assert!(!l("bridge", UP | LOWER_UP, "UNKNOWN").settling());
    assert!(l("veth", UP | LOWER_UP, "LOWERLAYERDOWN").settling());
    // A tunnel stays UNKNOWN for good.
    assert!(!l("ipip", UP | LOWER_UP, "UNKNOWN").settling());
    // Set down, or its peer set down: UP until linkwatch runs.
    assert!(l("veth", 0, "UP").settling());
    assert!(l("veth", UP, "UP").settling());
    // Up, its carrier lost: UNKNOWN until linkwatch makes it DOWN.
    assert!(l("bridge", UP, "UNKNOWN").settling());
    assert!(l("veth", UP, "UNKNOWN").settling());
    assert!(!l("ipip", UP, "UNKNOWN").settling());
    // Settled either way.
    assert!(!l("veth", UP | LOWER_UP, "UP").settling());
    assert!(!l("veth", UP, "LOWERLAYERDOWN").settling());
    assert!(!l("bridge", UP, "DOWN").settling());
    assert!(!l("veth", 0, "DOWN").settling());
}
