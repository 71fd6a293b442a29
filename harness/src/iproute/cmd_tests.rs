//! Every command form the labs use, parsed into the typed command, and the
//! message each kind of mistake gets.

use crate::iproute::cmd::{broadcast, cidr, parse, Cmd, Line, RouteSpec, SetSpec};
use rtnetlink::packet_route::route::{RouteProtocol, RouteScope, RouteType};
use std::net::Ipv4Addr;

pub(super) fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub(super) fn one(s: &str) -> Cmd {
    let l = parse(s).unwrap();
    assert_eq!(l.cmds.len(), 1, "{s}: {l:?}");
    l.cmds.into_iter().next().unwrap()
}

pub(super) fn err(s: &str) -> String {
    parse(s).unwrap_err()
}

fn route(s: &str) -> RouteSpec {
    match one(s) {
        Cmd::RouteAdd(r) | Cmd::RouteDel(r) => r,
        c => panic!("{c:?}"),
    }
}

#[test]
fn node_prefixes_netns_exec_dash_n_and_sudo() {
    assert_eq!(
        parse("ip netns exec pod1 ip link set lo up")
            .unwrap()
            .node
            .as_deref(),
        Some("pod1")
    );
    assert_eq!(
        parse("ip -n vms1 link set ens3 up")
            .unwrap()
            .node
            .as_deref(),
        Some("vms1")
    );
    assert_eq!(
        parse("sudo ip netns exec a ip link set lo up")
            .unwrap()
            .node
            .as_deref(),
        Some("a")
    );
    assert_eq!(parse("ip link set lo up").unwrap().node, None);
    // `ip -n` keeps its object: the same command as without it.
    assert_eq!(
        parse("ip -n vms1 addr add 10.0.0.1/24 dev ens3")
            .unwrap()
            .cmds,
        parse("ip addr add 10.0.0.1/24 dev ens3").unwrap().cmds
    );
}

#[test]
fn netns_add() {
    assert_eq!(one("ip netns add pod1"), Cmd::NetnsAdd("pod1".into()));
    assert!(err("ip netns del pod1").contains("supported: `ip netns add NAME`"));
    assert!(err("ip netns").contains("supported"));
}

#[test]
fn objects_may_be_abbreviated() {
    assert_eq!(one("ip l set lo up"), one("ip link set lo up"));
    assert_eq!(
        one("ip a add 1.2.3.4/8 dev x"),
        one("ip address add 1.2.3.4/8 dev x")
    );
    assert_eq!(
        one("ip r add default dev x"),
        one("ip route add default dev x")
    );
    assert_eq!(one("ip n flush dev x"), one("ip neighbour flush dev x"));
    assert_eq!(one("ip neighbor flush dev x"), one("ip neigh flush dev x"));
    assert!(err("ip xfrm state").contains("unsupported `ip xfrm`"));
}

#[test]
fn addr_add_with_brd_and_noprefixroute() {
    assert_eq!(
        one("ip addr add 172.17.0.1/16 brd + dev docker0"),
        Cmd::AddrAdd {
            dev: "docker0".into(),
            ip: ip("172.17.0.1"),
            prefix: 16,
            brd: Some(ip("172.17.255.255")),
            noprefixroute: false
        }
    );
    assert_eq!(
        one("ip addr add 10.1.1.1/24 broadcast 10.1.1.127 noprefixroute dev e"),
        Cmd::AddrAdd {
            dev: "e".into(),
            ip: ip("10.1.1.1"),
            prefix: 24,
            brd: Some(ip("10.1.1.127")),
            noprefixroute: true
        }
    );
    assert_eq!(
        one("ip addr del 10.1.1.1/24 dev e"),
        Cmd::AddrDel {
            dev: "e".into(),
            ip: ip("10.1.1.1"),
            prefix: 24
        }
    );
}

#[test]
fn addr_errors() {
    assert!(err("ip addr add 10.1.1.1 dev e").contains("unsupported `ip addr` word `10.1.1.1`"));
    assert!(err("ip addr add 10.1.1.1/24").contains("expected `ip addr add|del"));
    assert!(err("ip addr show").contains("expected `ip addr add|del"));
    assert!(err("ip addr add 10.1.1.1/24 brd x dev e").contains("brd `x` is not an IPv4 address"));
    assert!(err("ip addr add 10.1.1.1/24 dev").contains("`dev` needs a device"));
    // IPv6 goes to `ip -6 addr` (iproute2 infers -6); where only IPv4 goes, said so.
    assert!(err("ip addr add fd00::1/129 dev e").contains("prefix length over 128"));
    assert!(err("ip neigh add fd00::1 lladdr 02:00:00:00:00:01 dev e")
        .contains("IPv6 is not supported here"));
    assert!(err("ip addr add 10.1.1.1/x dev e").contains("bad prefix length"));
}

#[test]
fn cidr_and_broadcast() {
    assert_eq!(cidr("10.244.1.0/24"), Ok((ip("10.244.1.0"), 24)));
    assert_eq!(cidr("169.254.1.1"), Ok((ip("169.254.1.1"), 32)));
    assert_eq!(cidr("0.0.0.0/0"), Ok((ip("0.0.0.0"), 0)));
    assert!(cidr("10.0.0.0/33")
        .unwrap_err()
        .contains("prefix length over 32"));
    assert!(cidr("10.0.0/8")
        .unwrap_err()
        .contains("not an IPv4 address"));
    assert_eq!(broadcast(ip("192.168.122.101"), 24), ip("192.168.122.255"));
    assert_eq!(broadcast(ip("10.0.0.1"), 32), ip("10.0.0.1"));
    assert_eq!(broadcast(ip("10.0.0.1"), 0), ip("255.255.255.255"));
    assert_eq!(broadcast(ip("10.244.1.65"), 26), ip("10.244.1.127"));
}

#[test]
fn route_default_via_dev() {
    assert_eq!(
        route("ip route add default via 10.244.1.1 dev eth0"),
        RouteSpec {
            dst: Some((ip("0.0.0.0"), 0)),
            gw: Some(ip("10.244.1.1")),
            dev: Some("eth0".into()),
            ..Default::default()
        }
    );
}

#[test]
fn route_scope_src_metric_proto() {
    let r = route(
        "ip route add 10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1 metric 100",
    );
    assert_eq!(r.proto, Some(RouteProtocol::Kernel));
    assert_eq!(r.scope, Some(RouteScope::Link));
    assert_eq!(r.src, Some(ip("10.244.1.1")));
    assert_eq!(r.metric, Some(100));
    assert_eq!(
        route("ip route add 1.2.3.4 dev e scope host").scope,
        Some(RouteScope::Host)
    );
    assert_eq!(
        route("ip route add 1.2.3.4 dev e scope global").scope,
        Some(RouteScope::Universe)
    );
    assert_eq!(
        route("ip route add 1.2.3.4 dev e proto 186").proto,
        Some(RouteProtocol::Other(186))
    );
}

#[test]
fn route_replace_del_and_kinds() {
    let r = one("ip route replace 10.244.2.0/24 via 192.168.26.104 dev ens33 proto bird");
    assert!(matches!(
        r,
        Cmd::RouteAdd(RouteSpec {
            replace: true,
            proto: Some(RouteProtocol::Bird),
            ..
        })
    ));
    assert!(matches!(
        one("ip route del 10.244.2.0/24 dev eth0"),
        Cmd::RouteDel(RouteSpec { replace: false, .. })
    ));
    assert!(matches!(one("ip route delete default"), Cmd::RouteDel(_)));
    assert_eq!(
        route("ip route add unreachable 10.9.0.0/16").kind,
        Some(RouteType::Unreachable)
    );
    assert_eq!(
        route("ip route add prohibit 10.9.0.0/16").kind,
        Some(RouteType::Prohibit)
    );
    // flannel's host-gw/vxlan route with onlink through flannel.1.
    let r = route("ip route add 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink");
    assert!(r.onlink);
    assert_eq!(r.dev.as_deref(), Some("flannel.1"));
}

#[test]
fn route_errors() {
    assert!(err("ip route add via 10.0.0.1 dev e").contains("needs a destination"));
    // A command labs cannot run says so before its options are read.
    assert_eq!(
        err("ip route show"),
        "unsupported `ip route show` (supported: add, replace, del)"
    );
    assert!(err("ip route get 1.2.3.4").contains("unsupported `ip route get`"));
    assert!(err("ip route add default via 10.0.0.1 table 5")
        .contains("unsupported `ip route` option `table`"));
    assert!(err("ip route add default proto madeup").contains("unknown proto `madeup`"));
    assert!(err("ip route add default scope site").contains("unknown scope `site`"));
    assert!(err("ip route add default via").contains("`via` needs an address"));
    assert!(err("ip route add default metric x").contains("`metric x`: not a valid number"));
    assert!(err("ip route").contains("needs add|del"));
}

#[test]
fn neigh_add_replace_flush() {
    assert_eq!(
        one("ip neigh add 10.244.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent"),
        Cmd::NeighAdd {
            dev: "eth0".into(),
            ip: ip("10.244.1.1"),
            mac: [0xee; 6],
            permanent: true
        }
    );
    assert!(matches!(
        one("ip neigh replace 10.0.0.2 lladdr 02:00:00:00:00:02 dev e nud reachable"),
        Cmd::NeighAdd {
            permanent: false,
            ..
        }
    ));
    assert_eq!(
        one("ip neigh flush dev eth0"),
        Cmd::NeighFlush { dev: "eth0".into() }
    );
}

#[test]
fn neigh_errors() {
    assert!(err("ip neigh flush all").contains("expected `ip neigh flush dev DEV`"));
    assert!(err("ip neigh del 10.0.0.1 dev e").contains("unsupported `ip neigh del`"));
    assert!(err("ip neigh add 10.0.0.1 dev e").contains("needs `lladdr MAC`"));
    assert!(err("ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:01").contains("needs `dev DEV`"));
    assert!(err("ip neigh add lladdr 02:00:00:00:00:01 dev e").contains("needs an address"));
    assert!(
        err("ip neigh add 10.0.0.300 lladdr 02:00:00:00:00:01 dev e")
            .contains("not an IPv4 address")
    );
    assert!(
        err("ip neigh add 10.0.0.1 lladdr zz:00:00:00:00:01 dev e").contains("not a MAC address")
    );
    assert!(
        err("ip neigh add 10.0.0.1 10.0.0.2").contains("unsupported `ip neigh` option `10.0.0.2`")
    );
}

#[test]
fn bridge_fdb_for_vxlan() {
    for op in ["add", "append", "replace"] {
        assert_eq!(
            one(&format!(
                "bridge fdb {op} 0a:58:0a:f4:02:00 dev flannel.1 dst 192.168.26.104 self permanent"
            )),
            Cmd::FdbAdd {
                dev: "flannel.1".into(),
                mac: [0x0a, 0x58, 0x0a, 0xf4, 2, 0],
                dst: ip("192.168.26.104")
            }
        );
    }
    assert!(err("bridge fdb add 0a:58:0a:f4:02:00 dev flannel.1").contains("needs `dst IP`"));
    assert!(err("bridge fdb add 0a:58:0a:f4:02:00 dst 1.2.3.4").contains("needs `dev DEV`"));
    assert!(
        err("bridge fdb add 0a:58:0a:f4:02:00 dev x dst 1.2.3.4 vni 1")
            .contains("unsupported `bridge fdb` option `vni`")
    );
    assert!(err("bridge fdb del 0a:58:0a:f4:02:00 dev x").contains("unsupported command `bridge`"));
}

#[test]
fn sysctl_forms() {
    let want = Cmd::Sysctl {
        key: "net.ipv4.ip_forward".into(),
        value: "1".into(),
    };
    assert_eq!(one("sysctl -w net.ipv4.ip_forward=1"), want);
    assert_eq!(one("sysctl net.ipv4.ip_forward=1"), want);
    assert_eq!(one("echo 1 > /proc/sys/net/ipv4/ip_forward"), want);
    assert!(err("sysctl -w net.ipv4.ip_forward").contains("unsupported command `sysctl`"));
    assert!(err("echo 1 > /etc/passwd").contains("only `echo VALUE > /proc/sys/...`"));
}

#[test]
fn ifconfig_address_brings_the_device_up() {
    assert_eq!(
        parse("ifconfig veth0 192.168.122.101/24 up").unwrap(),
        Line {
            node: None,
            cmds: vec![
                Cmd::AddrAdd {
                    dev: "veth0".into(),
                    ip: ip("192.168.122.101"),
                    prefix: 24,
                    brd: Some(ip("192.168.122.255")),
                    noprefixroute: false
                },
                Cmd::LinkSet {
                    dev: "veth0".into(),
                    set: SetSpec {
                        up: Some(true),
                        ..Default::default()
                    }
                },
            ]
        }
    );
    // An explicit `down` after the address wins over the implied up.
    let l = parse("ifconfig veth0 10.0.0.1/8 down").unwrap();
    assert_eq!(
        l.cmds[1],
        Cmd::LinkSet {
            dev: "veth0".into(),
            set: SetSpec {
                up: Some(false),
                ..Default::default()
            }
        }
    );
    assert_eq!(parse("ifconfig veth0 up").unwrap().cmds.len(), 1);
}

#[test]
fn ifconfig_errors() {
    assert!(err("ifconfig veth0").contains("ifconfig needs ADDR/LEN or up/down"));
    assert!(err("ifconfig veth0 10.0.0.1 netmask 255.0.0.0")
        .contains("unsupported ifconfig word `10.0.0.1`"));
}

#[test]
fn empty_and_unknown_commands() {
    assert_eq!(err(""), "empty command");
    assert_eq!(err("sudo"), "empty command");
    assert!(err("tc qdisc add dev eth0 root netem").contains("unsupported command `tc`"));
    assert!(err("ip netns exec pod1").contains("empty command"));
}

#[test]
fn nodes_named_besides_the_running_one() {
    assert_eq!(
        one("ip link add v0 type veth peer name v1 netns pod").nodes(),
        vec!["pod"]
    );
    assert_eq!(one("ip link set v1 netns pod2").nodes(), vec!["pod2"]);
    assert!(one("ip link set v1 up").nodes().is_empty());
    assert!(one("ip link add v0 type veth peer name v1")
        .nodes()
        .is_empty());
}
