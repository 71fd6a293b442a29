//! Every `Expect` kind judged against a [`Fake`] state: passing, and failing
//! with the message that says what differs.

use crate::check::fake::{addr, link, Fake};
use crate::lab::expect::bridge::brctl_show;
use crate::lab::expect::routes::route_lines;
use crate::lab::expect::{peer_index, Expect, Method};
use crate::model::{Neigh, Route};
use rtnetlink::packet_route::route::{RouteProtocol, RouteScope};
use serde_json::{json, Value};

pub(super) fn ex(v: Value) -> Expect {
    serde_json::from_value(v).unwrap()
}

/// Ok(shown) or Err(differs); an error reading state fails the test.
pub(super) fn judge(st: &Fake, v: Value) -> Result<String, String> {
    ex(v).check(st).unwrap()
}

/// What was seen where `v` holds; where it does not, the test fails
/// saying what differed.
#[track_caller]
pub(super) fn passes(st: &Fake, v: Value) -> String {
    judge(st, v.clone()).unwrap_or_else(|e| panic!("{v} should hold, yet: {e}"))
}

/// What differs where `v` does not hold; where it does, the test fails
/// saying what was seen.
#[track_caller]
pub(super) fn fails(st: &Fake, v: Value) -> String {
    match judge(st, v.clone()) {
        Err(e) => e,
        Ok(s) => panic!("{v} should not hold, yet it does: {s}"),
    }
}

/// host: veth0 (3) <-> pod:eth0 (2); host: br0 (4) bridge with veth0 in it.
pub(super) fn pod() -> Fake {
    let mut f = Fake::new().veth(("host", "veth0", 3), ("pod", "eth0", 2));
    let mut br = link(4, "br0", Some("bridge"));
    br.mac = Some([0x0a, 0x58, 0x0a, 0xf4, 0x05, 0x01]);
    f.node("host").links.push(br);
    f.node("host").links[1].master = Some(4);
    f
}

#[test]
fn links_exact_set_passes_in_any_order() {
    let s = judge(
        &pod(),
        json!({"expect": "links", "node": "host", "names": ["veth0", "lo", "br0"]}),
    );
    let s = s.unwrap();
    assert!(
        s.contains("3: veth0 <BROADCAST,MULTICAST,UP,LOWER_UP> state UP"),
        "{s}"
    );
}

#[test]
fn links_missing_or_extra_fails_with_what_is_there() {
    let e = judge(
        &pod(),
        json!({"expect": "links", "node": "host", "names": ["lo", "veth0"]}),
    )
    .unwrap_err();
    assert!(e.starts_with("host should not hold br0"), "{e}");
    let e = judge(
        &pod(),
        json!({"expect": "links", "node": "pod", "names": ["lo", "eth0", "eth1"]}),
    )
    .unwrap_err();
    assert!(e.starts_with("pod has no interface eth1\n1: lo"), "{e}");
}

#[test]
fn links_leave_out_fallback_devices_unless_named() {
    let mut f = pod().with_link("pod", link(5, "tunl0", Some("ipip")));
    f.fallback = vec!["tunl0".into()];
    passes(
        &f,
        json!({"expect": "links", "node": "pod", "names": ["lo", "eth0"]}),
    );
    passes(
        &f,
        json!({"expect": "links", "node": "pod", "names": ["lo", "eth0", "tunl0"]}),
    );
    // Not a fallback on this kernel: it counts.
    f.fallback.clear();
    fails(
        &f,
        json!({"expect": "links", "node": "pod", "names": ["lo", "eth0"]}),
    );
}

#[test]
fn links_of_an_unknown_node_is_an_error_not_a_verdict() {
    let r = ex(json!({"expect": "links", "node": "nowhere", "names": []})).check(&pod());
    let e = r.unwrap_err().to_string();
    assert!(e.contains("no node `nowhere`"), "{e}");
}

#[test]
fn addr_exactly_passes_in_any_order() {
    let mut f = pod();
    f.node("pod").addrs = vec![
        addr(2, "10.244.1.2", 24),
        addr(2, "10.0.0.1", 8),
        addr(1, "127.0.0.1", 8),
    ];
    let s = judge(&f, json!({"expect": "addr", "node": "pod", "dev": "eth0", "exactly": ["10.244.1.2/24", "10.0.0.1/8"]})).unwrap();
    assert_eq!(s, "eth0: inet 10.0.0.1/8, inet 10.244.1.2/24");
}

#[test]
fn addr_none_passes_only_when_empty() {
    let mut f = pod();
    assert_eq!(
        judge(
            &f,
            json!({"expect": "addr", "node": "pod", "dev": "eth0", "exactly": []})
        ),
        Ok("eth0: no IPv4 address".into())
    );
    f.node("pod").addrs.push(addr(2, "10.1.1.1", 24));
    assert_eq!(
        judge(
            &f,
            json!({"expect": "addr", "node": "pod", "dev": "eth0", "exactly": []})
        ),
        Err("pod: eth0 should not hold 10.1.1.1/24\neth0: inet 10.1.1.1/24".into())
    );
}

#[test]
fn addr_wrong_prefix_or_other_device_fails() {
    let mut f = pod();
    f.node("pod").addrs.push(addr(2, "10.1.1.1", 16));
    f.node("pod").addrs.push(addr(1, "10.1.1.2", 24));
    fails(
        &f,
        json!({"expect": "addr", "node": "pod", "dev": "eth0", "exactly": ["10.1.1.1/24"]}),
    );
    judge(&f, json!({"expect": "addr", "node": "pod", "dev": "eth0", "exactly": ["10.1.1.1/16", "10.1.1.2/24"]})).unwrap_err();
}

fn routed() -> Fake {
    let mut f = pod();
    f.node("pod").routes = vec![
        Route {
            dst: Some(("0.0.0.0".parse().unwrap(), 0)),
            gw: Some("10.244.1.1".parse().unwrap()),
            oif: Some(2),
            ..Default::default()
        },
        Route {
            dst: Some(("10.244.1.0".parse().unwrap(), 24)),
            oif: Some(2),
            proto: Some(RouteProtocol::Kernel),
            scope: Some(RouteScope::Link),
            src: Some("10.244.1.2".parse().unwrap()),
            ..Default::default()
        },
        Route {
            dst: Some(("10.9.0.0".parse().unwrap(), 16)),
            oif: Some(42),
            ..Default::default()
        },
    ];
    f
}

#[test]
fn routes_has_passes_whitespace_insensitive() {
    let s = judge(
        &routed(),
        json!({"expect": "routes", "node": "pod", "has": ["default via 10.244.1.1 dev eth0",
              "10.244.1.0/24  dev eth0 proto kernel scope link src 10.244.1.2"]}),
    )
    .unwrap();
    assert!(
        s.starts_with("ip route:\n      default via 10.244.1.1 dev eth0\n"),
        "{s}"
    );
}

#[test]
fn routes_missing_and_unexpected_fail() {
    let e = judge(
        &routed(),
        json!({"expect": "routes", "node": "pod", "has": ["default via 10.244.1.254 dev eth0"]}),
    )
    .unwrap_err();
    assert!(
        e.starts_with("pod: route default has via 10.244.1.1, not 10.244.1.254\n"),
        "{e}"
    );
    let e = judge(
        &routed(),
        json!({"expect": "routes", "node": "pod", "lacks": ["default via 10.244.1.1 dev eth0"]}),
    )
    .unwrap_err();
    assert!(
        e.starts_with("pod still has `default via 10.244.1.1 dev eth0`"),
        "{e}"
    );
    // A prefix of a line is not the line.
    fails(
        &routed(),
        json!({"expect": "routes", "node": "pod", "has": ["default via 10.244.1.1"]}),
    );
    passes(
        &routed(),
        json!({"expect": "routes", "node": "pod", "lacks": ["default via 10.244.1.1"]}),
    );
}

#[test]
fn route_lines_name_unknown_devices_by_index() {
    let l = route_lines(&routed(), "pod").unwrap();
    assert_eq!(l[2], "10.9.0.0/16 dev if42");
    assert_eq!(l.len(), 3);
}

fn neighboured(state: &str) -> Fake {
    let mut f = pod();
    f.node("pod").neighs.push(Neigh {
        index: 2,
        ip: "10.244.1.1".parse().unwrap(),
        lladdr: Some([0x02, 0, 0, 0, 0, 3]),
        state: state.into(),
    });
    f
}

#[test]
fn neigh_in_an_allowed_state_passes() {
    let s = judge(
        &neighboured("STALE"),
        json!({"expect": "neigh", "node": "pod", "dev": "eth0", "ip": "10.244.1.1", "state": ["REACHABLE", "STALE"]}),
    )
    .unwrap();
    assert_eq!(s, "10.244.1.1 dev eth0 lladdr 02:00:00:00:00:03 STALE");
}

#[test]
fn neigh_in_another_state_or_absent_fails() {
    let e = judge(
        &neighboured("FAILED"),
        json!({"expect": "neigh", "node": "pod", "dev": "eth0", "ip": "10.244.1.1", "state": ["REACHABLE"]}),
    );
    assert_eq!(
        e,
        Err("pod: 10.244.1.1 dev eth0 lladdr 02:00:00:00:00:03 FAILED, want REACHABLE".into())
    );
    let e = judge(
        &neighboured("REACHABLE"),
        json!({"expect": "neigh", "node": "pod", "dev": "eth0", "ip": "10.244.1.9", "state": ["REACHABLE"]}),
    );
    assert_eq!(
        e,
        Err("pod: no entry for 10.244.1.9 on eth0, want REACHABLE".into())
    );
}

#[test]
fn neigh_lladdr_placeholder_must_match() {
    let f = neighboured("PERMANENT");
    passes(
        &f,
        json!({"expect": "neigh", "node": "pod", "dev": "eth0", "ip": "10.244.1.1",
                            "state": ["PERMANENT"], "lladdr": "{host.veth0.mac}"}),
    );
    fails(
        &f,
        json!({"expect": "neigh", "node": "pod", "dev": "eth0", "ip": "10.244.1.1",
                            "state": ["PERMANENT"], "lladdr": "{host.br0.mac}"}),
    );
}

#[test]
fn sysctl_equal_passes_other_fails() {
    let mut f = pod();
    f.node("host")
        .sysctls
        .insert("net.ipv4.ip_forward".into(), "1".into());
    assert_eq!(
        judge(
            &f,
            json!({"expect": "sysctl", "node": "host", "key": "net.ipv4.ip_forward", "value": "1"})
        ),
        Ok("net.ipv4.ip_forward = 1".into())
    );
    assert_eq!(
        judge(
            &f,
            json!({"expect": "sysctl", "node": "host", "key": "net.ipv4.ip_forward", "value": "0"})
        ),
        Err("host: net.ipv4.ip_forward = 1, not 0".into())
    );
}

fn three_methods(sysfs: u32, ethtool: u32) -> Fake {
    let mut f = pod();
    f.node("pod").iflink.insert("eth0".into(), sysfs);
    f.node("pod").ethtool.insert("eth0".into(), ethtool);
    f
}

#[test]
fn peer_index_by_every_method_agrees() {
    let s = judge(
        &three_methods(3, 3),
        json!({"expect": "peer-index", "node": "pod", "dev": "eth0", "peer": "host:veth0",
               "methods": ["iflink", "sysfs", "ethtool"]}),
    )
    .unwrap();
    assert_eq!(
        s,
        "IFLA_LINK 3, /sys/class/net/eth0/iflink 3, ethtool -S eth0: peer_ifindex: 3; veth0 in host is ifindex 3"
    );
}

#[test]
fn peer_index_one_method_disagreeing_fails() {
    let e = judge(
        &three_methods(3, 9),
        json!({"expect": "peer-index", "node": "pod", "dev": "eth0", "peer": "host:veth0",
               "methods": ["iflink", "ethtool"]}),
    )
    .unwrap_err();
    assert!(e.contains("peer_ifindex: 9"), "{e}");
    // The same with only the agreeing method passes.
    passes(
        &three_methods(3, 9),
        json!({"expect": "peer-index", "node": "pod", "dev": "eth0", "peer": "host:veth0", "methods": ["sysfs"]}),
    );
}

#[test]
fn peer_index_without_iflink_is_an_error() {
    let f = pod();
    let e = peer_index(&f, "host", "br0", &Method::Iflink).unwrap_err();
    assert_eq!(e.to_string(), "br0 in host has no IFLA_LINK");
    assert_eq!(peer_index(&f, "host", "veth0", &Method::Iflink).unwrap(), 2);
    peer_index(&f, "host", "veth0", &Method::Sysfs).unwrap_err();
}

#[test]
fn bridge_members_exactly_pass_and_show_brctl() {
    let s = judge(
        &pod(),
        json!({"expect": "bridge", "node": "host", "dev": "br0", "members": ["veth0"]}),
    )
    .unwrap();
    assert_eq!(
        s,
        "bridge name     bridge id               STP enabled     interfaces\n\
         br0             8000.0a580af40501       no              veth0"
    );
}

#[test]
fn bridge_wrong_members_or_not_a_bridge_fails() {
    fails(
        &pod(),
        json!({"expect": "bridge", "node": "host", "dev": "br0", "members": []}),
    );
    fails(
        &pod(),
        json!({"expect": "bridge", "node": "host", "dev": "br0", "members": ["veth0", "veth1"]}),
    );
    // veth0 has no members, and is no bridge: an empty list still fails.
    fails(
        &pod(),
        json!({"expect": "bridge", "node": "host", "dev": "veth0", "members": []}),
    );
}

#[test]
fn brctl_show_lists_members_one_per_line_and_stp() {
    let mut br = link(4, "cni0", Some("bridge"));
    br.mac = Some([0xaa, 0xbb, 0xcc, 0, 0, 1]);
    br.stp = Some(1);
    let s = brctl_show(&br, &["a".into(), "b".into()]);
    assert!(
        s.ends_with("cni0\t\t8000.aabbcc000001\tyes\t\ta\n\t\t\t\t\t\t\tb"),
        "{s:?}"
    );
}

#[test]
fn ipam_allocated_exactly() {
    let mut f = pod();
    f.ipam
        .insert("mynet".into(), vec!["10.22.0.3".into(), "10.22.0.2".into()]);
    assert_eq!(
        judge(
            &f,
            json!({"expect": "ipam", "network": "mynet", "allocated": ["10.22.0.2", "10.22.0.3"]})
        ),
        Ok("allocated: [10.22.0.2, 10.22.0.3]".into())
    );
    assert_eq!(
        judge(
            &f,
            json!({"expect": "ipam", "network": "mynet", "allocated": ["10.22.0.2"]})
        ),
        Err("allocated: [10.22.0.2, 10.22.0.3]".into())
    );
    passes(
        &f,
        json!({"expect": "ipam", "network": "other", "allocated": []}),
    );
}

#[test]
fn same_frames_is_left_to_the_step_runner() {
    assert_eq!(
        judge(
            &pod(),
            json!({"expect": "same-frames", "a": "host:veth0", "b": "pod:eth0"})
        ),
        Ok(String::new())
    );
}

#[test]
fn lo_flags_render_without_no_carrier() {
    let mut f = Fake::new();
    f.node("n");
    let s = judge(
        &f,
        json!({"expect": "link", "node": "n", "dev": "lo", "flags": ["LOOPBACK", "UP"]}),
    )
    .unwrap();
    assert!(s.contains("<LOOPBACK,UP,LOWER_UP> mtu 65536"), "{s}");
}

#[test]
fn peer_index_of_the_wrong_peer_names_what_the_index_is() {
    // eth0's peer is host:veth0 (ifindex 3); the lab claims host's ifindex 2.
    let mut f = pod();
    f.node("host").links.push(link(2, "cni0", Some("bridge")));
    let e = judge(
        &f,
        json!({"expect": "peer-index", "node": "pod", "dev": "eth0", "peer": "host:cni0",
               "methods": ["iflink"]}),
    )
    .unwrap_err();
    assert!(
        e.contains("IFLA_LINK 3; cni0 in host is ifindex 2; ifindex 3 there is veth0 in host"),
        "{e}"
    );
}

/// Issue 27: on a device that is not a veth, every method can read some
/// number (a bridge's own ifindex as its iflink) that may match by chance:
/// it fails, and says why.
#[test]
fn peer_index_on_a_bridge_fails() {
    let mut f = pod();
    f.node("host").iflink.insert("br0".into(), 1);
    let e = judge(
        &f,
        json!({"expect": "peer-index", "node": "host", "dev": "br0", "peer": "host:lo", "methods": ["sysfs"]}),
    )
    .unwrap_err();
    assert!(
        e.contains("br0 is bridge, not a veth: it has no peer"),
        "{e}"
    );
}
