//! `ip link add|set|del` and `brctl` in every form labs use, and their errors.

use super::cmd_tests::{err, ip, one};
use crate::iproute::cmd::{Cmd, SetSpec};
use crate::model::{LinkCommon, LinkKind};

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
    assert_eq!(err("ip link set up"), "`ip link set` needs a device");
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
