//! Every command form the labs use, parsed into the typed command, and the
//! message each kind of mistake gets.

use crate::iproute::cmd::{broadcast, cidr, parse, Cmd, Line, RouteSpec, SetSpec};
use crate::model::{LinkCommon, LinkKind};
use rtnetlink::packet_route::route::{RouteProtocol, RouteScope, RouteType};
use std::net::Ipv4Addr;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn one(s: &str) -> Cmd {
    let l = parse(s).unwrap();
    assert_eq!(l.cmds.len(), 1, "{s}: {l:?}");
    l.cmds.into_iter().next().unwrap()
}

fn err(s: &str) -> String {
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
fn link_add_veth_pair_with_peer_attributes() {
    match one("ip link add veth0 type veth peer name veth1") {
        Cmd::LinkAdd {
            link,
            kind: LinkKind::Veth { peer },
            peer_netns: None,
        } => {
            assert_eq!(
                link,
                LinkCommon {
                    name: "veth0".into(),
                    ..Default::default()
                }
            );
            assert_eq!(peer.name, "veth1");
        }
        c => panic!("{c:?}"),
    }
    match one("ip link add name v0 address 02:00:00:00:00:01 mtu 1450 txqueuelen 500 type veth peer name v1 address 02:00:00:00:00:02 netns pod") {
        Cmd::LinkAdd { link, kind: LinkKind::Veth { peer }, peer_netns } => {
            assert_eq!(link.mac, Some([2, 0, 0, 0, 0, 1]));
            assert_eq!((link.mtu, link.txqueuelen), (Some(1450), Some(500)));
            assert_eq!(peer.mac, Some([2, 0, 0, 0, 0, 2]));
            assert_eq!(peer_netns.as_deref(), Some("pod"));
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn link_add_veth_errors() {
    assert!(err("ip link add veth0 type veth peer").contains("`peer` needs `name NAME`"));
    assert!(
        err("ip link add veth0 type veth peer name v1 netns p extra")
            .contains("unexpected `extra` after the veth peer")
    );
    assert!(err("ip link add type bridge").contains("needs a name"));
    assert!(err("ip link add br0").contains("needs `type veth|bridge|vxlan|ipip`"));
}

#[test]
fn link_add_bridge_and_brctl_addbr_agree() {
    let want = Cmd::LinkAdd {
        link: LinkCommon {
            name: "br0".into(),
            ..Default::default()
        },
        kind: LinkKind::Bridge,
        peer_netns: None,
    };
    assert_eq!(one("ip link add br0 type bridge"), want);
    assert_eq!(one("ip link add name br0 type bridge"), want);
    assert_eq!(one("brctl addbr br0"), want);
}

#[test]
fn link_add_vxlan_options() {
    match one("ip link add flannel.1 type vxlan id 1 dstport 8472 local 192.168.26.103 dev ens33 nolearning") {
        Cmd::LinkAdd { kind: LinkKind::Vxlan { vni, port, local, dev, learning }, .. } => {
            assert_eq!((vni, port, local), (1, Some(8472), Some(ip("192.168.26.103"))));
            assert_eq!(dev.as_deref(), Some("ens33"));
            assert!(!learning);
        }
        c => panic!("{c:?}"),
    }
    match one("ip link add vx type vxlan vni 16777215") {
        Cmd::LinkAdd {
            kind:
                LinkKind::Vxlan {
                    vni,
                    learning,
                    port,
                    ..
                },
            ..
        } => {
            assert_eq!((vni, learning, port), (16_777_215, true, None));
        }
        c => panic!("{c:?}"),
    }
}

#[test]
fn link_add_vxlan_errors() {
    assert!(err("ip link add vx type vxlan dstport 4789").contains("vxlan needs `id VNI`"));
    assert!(err("ip link add vx type vxlan id 16777216")
        .contains("`id 16777216`: allowed: 0 to 16777215 (a 24-bit VNI)"));
    assert!(err("ip link add vx type vxlan id 1 group 239.1.1.1")
        .contains("unsupported vxlan option `group`"));
    assert!(err("ip link add vx type vxlan id 1 local fe80::1").contains("IPv6 is not supported"));
    assert!(err("ip link add vx type vxlan id 1 dstport 70000")
        .contains("`dstport 70000`: not a valid number"));
}

#[test]
fn link_add_ipip() {
    assert_eq!(
        one("ip link add tun0 type ipip local 10.0.0.1 remote 10.0.0.2"),
        Cmd::LinkAdd {
            link: LinkCommon {
                name: "tun0".into(),
                ..Default::default()
            },
            kind: LinkKind::IpIp {
                local: Some(ip("10.0.0.1")),
                remote: Some(ip("10.0.0.2"))
            },
            peer_netns: None,
        }
    );
    assert!(err("ip link add t type ipip ttl 64").contains("unsupported ipip option `ttl`"));
    assert!(err("ip link add t type ipip remote").contains("`remote` needs an address"));
}

#[test]
fn link_add_ranges_and_macs() {
    assert!(
        err("ip link add v mtu 67 type bridge").contains("`mtu 67`: allowed: 68 to 65535 (bytes)")
    );
    assert!(err("ip link add v mtu 65536 type bridge").contains("allowed: 68 to 65535"));
    assert!(err("ip link add v index 0 type bridge")
        .contains("`index 0`: allowed: 1 to 2147483647 (an ifindex)"));
    assert!(err("ip link add v mtu lots type bridge").contains("`mtu lots`: not a valid number"));
    assert!(err("ip link add v address 01:00:5e:00:00:01 type bridge").contains("multicast MAC"));
    assert!(err("ip link add v address 00:00:00:00:00:00 type bridge").contains("all-zero MAC"));
    assert!(err("ip link add v address 02:00:00:00:00 type bridge")
        .contains("not a MAC address (expected xx:xx:xx:xx:xx:xx)"));
    assert!(err("ip link add v type dummy").contains("supported: veth, bridge, vxlan, ipip"));
}

#[test]
fn link_set_every_attribute() {
    assert_eq!(
        one("ip link set dev veth0 up mtu 1450 address 02:aa:bb:cc:dd:ee master br0 name eth0 netns pod txqlen 100"),
        Cmd::LinkSet {
            dev: "veth0".into(),
            set: SetSpec {
                up: Some(true),
                mtu: Some(1450),
                mac: Some([2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]),
                master: Some(Some("br0".into())),
                netns: Some("pod".into()),
                name: Some("eth0".into()),
                txqueuelen: Some(100),
            }
        }
    );
}

#[test]
fn link_set_down_nomaster_and_bare_device() {
    assert_eq!(
        one("ip link set veth0 down nomaster"),
        Cmd::LinkSet {
            dev: "veth0".into(),
            set: SetSpec {
                up: Some(false),
                master: Some(None),
                ..Default::default()
            }
        }
    );
    assert_eq!(
        one("brctl addif br0 veth0"),
        Cmd::LinkSet {
            dev: "veth0".into(),
            set: SetSpec {
                master: Some(Some("br0".into())),
                ..Default::default()
            }
        }
    );
}

#[test]
fn link_set_errors() {
    assert!(
        err("ip link set up").contains("`ip link set` needs a device")
            || err("ip link set up").contains("something to change")
    );
    assert!(err("ip link set veth0 up promisc on")
        .contains("unsupported `ip link set` option `promisc`"));
    assert!(err("ip link set veth0 mtu").contains("`mtu` needs a value"));
    assert!(err("ip link set veth0 address ff:ff:ff:ff:ff:ff").contains("multicast"));
    assert!(err("ip link set veth0 master").contains("`master` needs a value"));
}

#[test]
fn link_del_forms_and_unsupported_ops() {
    assert_eq!(
        one("ip link del veth0"),
        Cmd::LinkDel {
            dev: "veth0".into()
        }
    );
    assert_eq!(
        one("ip link delete dev veth0"),
        Cmd::LinkDel {
            dev: "veth0".into()
        }
    );
    assert!(err("ip link show").contains("unsupported `ip link show` (supported: add, set, del)"));
    assert!(err("ip link").contains("needs add|set|del"));
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
    assert!(err("ip addr add fd00::1/64 dev e").contains("IPv6 is not supported here"));
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
    assert!(
        err("ip route show").contains("needs a destination")
            || err("ip route show").contains("unsupported")
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
