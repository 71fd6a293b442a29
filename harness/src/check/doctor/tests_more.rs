//! Proxy ARP, VXLAN, peer indexes and fallback devices, fired and quiet.

use super::fake::FakeSnapshot;

fn has(f: &FakeSnapshot, id: &str, ns: &str, dev: &str) -> bool {
    f.ids()
        .iter()
        .any(|(i, n, d)| i == id && n == ns && d == dev)
}

/// wren: a Calico-like node; pod q routes via 169.254.1.1 that nobody holds.
fn calico() -> FakeSnapshot {
    let mut f = FakeSnapshot::default();
    let n = f.ns("wren");
    f.sysctl(n, "net.ipv4.ip_forward", "1");
    let p = f.ns("q");
    f.veth(n, 30, "calq0", p, 5, "eth0");
    f.route(n, "10.55.1.7", None, 30);
    f.addr(p, 5, "10.55.1.7/32");
    f.route(p, "169.254.1.1", None, 5);
    f.route(p, "default", Some("169.254.1.1"), 5);
    f
}

#[test]
fn proxy_arp_off_on_device_and_all_is_a_problem() {
    let f = calico();
    assert_eq!(
        f.ids(),
        vec![("proxy-arp-missing".into(), "wren".into(), "calq0".into())]
    );
}

#[test]
fn proxy_arp_on_for_the_device_or_for_all_is_quiet() {
    let mut f = calico();
    f.sysctl(0, "net.ipv4.conf.calq0.proxy_arp", "1");
    assert_eq!(f.ids(), vec![]);
    let mut f = calico();
    f.sysctl(0, "net.ipv4.conf.all.proxy_arp", "1");
    assert_eq!(f.ids(), vec![]);
}

#[test]
fn an_unread_proxy_arp_sysctl_is_not_guessed() {
    let mut f = calico();
    f.get(0).sysctls.remove("net.ipv4.conf.calq0.proxy_arp");
    assert_eq!(f.ids(), vec![]);
}

#[test]
fn a_gateway_on_the_pods_own_subnet_needs_no_proxy_arp() {
    // A node's LAN router, outside what was read: an ordinary gateway.
    let mut f = calico();
    f.addr(1, 5, "10.55.1.7/24");
    f.del_route(1, "10.55.1.0/24");
    f.del_route(1, "default");
    f.route(1, "default", Some("10.55.1.254"), 5);
    assert_eq!(f.ids(), vec![]);
}

#[test]
fn a_gateway_someone_holds_needs_no_proxy_arp() {
    let mut f = calico();
    f.addr(0, 30, "169.254.1.1/32");
    assert!(!has(&f, "proxy-arp-missing", "wren", "calq0"));
}

const MA: [u8; 6] = [0x06, 0xaa, 0, 0, 0, 1];
const MB: [u8; 6] = [0x06, 0xbb, 0, 0, 0, 2];

/// Two nodes, each with a VXLAN device `ov7`; `a` sends to `b`, and `b`
/// back to `a` when `both`.
fn vxlan(both: bool) -> FakeSnapshot {
    let mut f = FakeSnapshot::default();
    let a = f.ns("node-a");
    let b = f.ns("node-b");
    f.veth(a, 2, "u0", b, 2, "u0");
    f.addr(a, 2, "192.0.2.1/24");
    f.addr(b, 2, "192.0.2.2/24");
    for (n, mac, me) in [(a, MA, "10.60.1.0/32"), (b, MB, "10.60.2.0/32")] {
        f.link(n, 6, "ov7", "vxlan").mac = Some(mac);
        f.addr(n, 6, me);
    }
    f.route(a, "10.60.2.0/24", Some("10.60.2.0"), 6);
    f.neigh(a, 6, "10.60.2.0", MB);
    f.fdb(a, 6, MB, "192.0.2.2");
    if both {
        f.route(b, "10.60.1.0/24", Some("10.60.1.0"), 6);
        f.neigh(b, 6, "10.60.1.0", MA);
        f.fdb(b, 6, MA, "192.0.2.1");
    }
    f
}

#[test]
fn vxlan_both_ways_is_quiet() {
    assert_eq!(vxlan(true).ids(), vec![]);
}

#[test]
fn vxlan_one_way_names_the_node_without_a_way_back() {
    let f = vxlan(false);
    assert_eq!(
        f.ids(),
        vec![("vxlan-one-way".into(), "node-b".into(), "ov7".into())]
    );
    let x = super::diagnose(&f.0).remove(0);
    assert!(
        x.fix
            .contains("bridge fdb append 06:aa:00:00:00:01 dev ov7 dst 192.0.2.1"),
        "{}",
        x.fix
    );
}

#[test]
fn a_neighbour_without_its_fdb_entry_and_the_reverse_are_problems() {
    let mut f = vxlan(true);
    f.get(0).fdb.clear();
    assert!(has(&f, "vxlan-fdb-missing", "node-a", "ov7"));
    let mut f = vxlan(true);
    f.get(1).neighbours.clear();
    assert_eq!(
        f.ids(),
        vec![("vxlan-fdb-missing".into(), "node-b".into(), "ov7".into())]
    );
}

#[test]
fn a_peer_index_that_names_a_local_device_is_explained() {
    let mut f = FakeSnapshot::default();
    let n = f.ns("gull");
    let p = f.ns("chick");
    f.link(n, 3, "dock9", "bridge");
    f.veth(n, 8, "vq8", p, 3, "eth0");
    let x = super::diagnose(&f.0);
    assert_eq!(x.len(), 1, "{x:?}");
    assert_eq!(
        (x[0].id, x[0].device.as_str()),
        ("peer-index-elsewhere", "vq8")
    );
    assert!(
        x[0].fix.contains("eth0 (index 3) in namespace chick"),
        "{}",
        x[0].fix
    );
    // The pod's eth0@if8: no index 8 there, nothing confusing.
    assert!(!has(&f, "peer-index-elsewhere", "chick", "eth0"));
}

#[test]
fn fallback_tunnels_are_reported_once() {
    let mut f = FakeSnapshot::default();
    let a = f.ns("one");
    let b = f.ns("two");
    f.link(a, 2, "tunl0", "ipip");
    f.link(b, 2, "tunl0", "ipip");
    f.link(b, 3, "gre0", "gre");
    let x = super::diagnose(&f.0);
    assert_eq!(x.len(), 1);
    assert_eq!(
        (x[0].id, x[0].netns.as_str(), x[0].severity),
        ("fallback-tunnel", "one", super::Severity::Info)
    );
    assert!(
        x[0].evidence[0].contains("in 2 of 2 namespaces"),
        "{:?}",
        x[0].evidence
    );
    assert_eq!(FakeSnapshot::default().ids(), vec![]);
}

#[test]
fn every_id_is_listed_and_problems_sort_first() {
    let mut f = super::tests::ptp();
    f.sysctl(0, "net.ipv4.ip_forward", "0");
    let x = super::diagnose(&f.0);
    assert_eq!(x[0].severity, super::Severity::Problem);
    assert_eq!(x.last().unwrap().severity, super::Severity::Info);
    for x in &x {
        assert!(super::IDS.contains(&x.id), "{}", x.id);
    }
}
