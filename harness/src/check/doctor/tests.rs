//! Each finding over hand-built snapshots, fired and held quiet by its
//! near miss. Names, addresses and MACs no lab uses.

use super::fake::Fake;

fn has(f: &Fake, id: &str, ns: &str, dev: &str) -> bool {
    f.ids()
        .iter()
        .any(|(i, n, d)| i == id && n == ns && d == dev)
}

fn problems(f: &Fake) -> Vec<(String, String, String)> {
    super::diagnose(&f.0)
        .into_iter()
        .filter(|x| x.severity == super::Severity::Problem)
        .map(|x| (x.id.to_string(), x.netns, x.device))
        .collect()
}

/// rack7: bridge br-lab (10.77.0.1/24) with two pods on it, all healthy.
fn bridged() -> Fake {
    let mut f = Fake::default();
    let n = f.ns("rack7");
    f.link(n, 4, "br-lab", "bridge");
    f.addr(n, 4, "10.77.0.1/24");
    for (k, pod, ip) in [(10, "alpha", "10.77.0.2/24"), (11, "beta", "10.77.0.3/24")] {
        let p = f.ns(pod);
        f.veth(n, k, &format!("vp{k}"), p, 2, "eth0");
        f.get(n)
            .links
            .iter_mut()
            .find(|l| l.index == k)
            .unwrap()
            .master = Some(4);
        f.addr(p, 2, ip);
        f.route(p, "default", Some("10.77.0.1"), 2);
    }
    f
}

#[test]
fn a_healthy_bridge_node_has_no_finding() {
    assert_eq!(bridged().ids(), vec![]);
}

#[test]
fn an_address_on_a_bridge_port_is_a_problem_and_on_the_bridge_is_not() {
    let mut f = bridged();
    f.addr(0, 10, "10.77.0.9/24");
    assert!(has(&f, "bridge-port-address", "rack7", "vp10"));
    assert!(!has(&f, "bridge-port-address", "rack7", "br-lab"));
    let fnd = super::diagnose(&f.0);
    let x = fnd.iter().find(|x| x.id == "bridge-port-address").unwrap();
    assert!(
        x.fix.contains("ip addr add 10.77.0.9/24 dev br-lab"),
        "{}",
        x.fix
    );
    assert!(
        x.evidence.iter().any(|e| e.contains("master br-lab")),
        "{:?}",
        x.evidence
    );
}

#[test]
fn a_slash_32_on_a_bridge_port_is_still_a_problem() {
    // Decided: the bridge takes every frame arriving on its port, /32 or not.
    let mut f = bridged();
    f.addr(0, 11, "10.77.0.200/32");
    assert!(has(&f, "bridge-port-address", "rack7", "vp11"));
}

#[test]
fn a_veth_off_its_bridge_leaves_its_pod_unreachable() {
    let mut f = bridged();
    f.get(0)
        .links
        .iter_mut()
        .find(|l| l.index == 11)
        .unwrap()
        .master = None;
    assert_eq!(
        problems(&f),
        vec![("pod-unreachable".into(), "rack7".into(), "vp11".into())]
    );
    let fnd = super::diagnose(&f.0);
    assert!(
        fnd[0].fix.contains("ip link set vp11 master br-lab"),
        "{}",
        fnd[0].fix
    );
}

#[test]
fn a_bridge_down_leaves_its_ports_pods_unreachable() {
    let mut f = bridged();
    f.get(0)
        .links
        .iter_mut()
        .find(|l| l.index == 4)
        .unwrap()
        .flags = 0;
    assert!(has(&f, "pod-unreachable", "rack7", "vp10"));
    assert!(has(&f, "pod-unreachable", "rack7", "vp11"));
}

#[test]
fn a_pod_with_lo_down_and_a_default_route_is_a_problem() {
    let mut f = bridged();
    f.get(1).links[0].flags = 0;
    assert_eq!(
        problems(&f),
        vec![("loopback-down".into(), "alpha".into(), "lo".into())]
    );
}

#[test]
fn a_pod_whose_lo_never_came_up_is_info() {
    // The bridge and ptp plugins leave lo alone: no 127.0.0.1 on it at all.
    let mut f = bridged();
    f.get(1).links[0].flags = 0;
    f.get(1).addrs.retain(|a| a.index != 1);
    assert_eq!(problems(&f), vec![]);
    assert!(has(&f, "loopback-down", "alpha", "lo"));
}

#[test]
fn a_far_end_that_is_no_pod_is_not_judged() {
    // A namespace holding an address on a link, routing nothing out of it.
    let mut f = bridged();
    let lan = f.ns("lan-x");
    f.veth(0, 12, "up7", lan, 2, "l0");
    f.addr(lan, 2, "203.0.113.5/24");
    assert_eq!(problems(&f), vec![]);
    // Once it routes out of that link, it is a pod nobody reaches.
    f.route(lan, "default", Some("203.0.113.1"), 2);
    assert!(has(&f, "pod-unreachable", "rack7", "up7"));
}

#[test]
fn an_empty_or_unrouted_namespace_with_lo_down_is_quiet() {
    let mut f = bridged();
    let e = f.ns("empty");
    f.get(e).links[0].flags = 0;
    // A /32 and no route: a namespace that sends nowhere (Calico's decor pods).
    let d = f.ns("decor");
    f.get(d).links[0].flags = 0;
    f.link(d, 2, "eth9", "");
    f.addr(d, 2, "10.77.9.9/32");
    assert_eq!(problems(&f), vec![]);
    f.get(d).listening = Some(1);
    assert!(has(&f, "loopback-down", "decor", "lo"));
}

/// kestrel: the ptp plugin's node, two pods routed by /32 behind 10.99.3.1/32.
pub(super) fn ptp() -> Fake {
    let mut f = Fake::default();
    let n = f.ns("kestrel");
    f.sysctl(n, "net.ipv4.ip_forward", "1");
    f.link(n, 2, "up0", "");
    f.addr(n, 2, "198.51.100.7/24");
    f.route(n, "default", Some("198.51.100.1"), 2);
    for (k, pod, ip) in [(20, "p-one", "10.99.3.2"), (21, "p-two", "10.99.3.3")] {
        let p = f.ns(pod);
        f.veth(n, k, &format!("vr{k}"), p, 3, "eth0");
        f.addr(n, k, "10.99.3.1/32");
        f.route(n, ip, None, k);
        f.addr(p, 3, &format!("{ip}/24"));
        f.del_route(p, "10.99.3.0/24");
        f.route(p, "10.99.3.1", None, 3);
        f.route(p, "10.99.3.0/24", Some("10.99.3.1"), 3);
        f.route(p, "default", Some("10.99.3.1"), 3);
    }
    f
}

#[test]
fn the_ptp_shared_gateway_is_info_only() {
    let f = ptp();
    assert_eq!(problems(&f), vec![]);
    assert!(has(&f, "shared-gateway-32", "kestrel", "vr20"));
}

#[test]
fn a_missing_slash_32_route_leaves_the_pod_unreachable() {
    let mut f = ptp();
    f.del_route(0, "10.99.3.3");
    assert_eq!(
        problems(&f),
        vec![("pod-unreachable".into(), "kestrel".into(), "vr21".into())]
    );
    let fnd = super::diagnose(&f.0);
    let x = fnd.iter().find(|x| x.id == "pod-unreachable").unwrap();
    assert!(
        x.fix.contains("ip route add 10.99.3.3 dev vr21 scope link"),
        "{}",
        x.fix
    );
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("default via 198.51.100.1")),
        "{:?}",
        x.evidence
    );
}

#[test]
fn routed_pods_without_ip_forward_is_a_problem() {
    let mut f = ptp();
    f.sysctl(0, "net.ipv4.ip_forward", "0");
    assert_eq!(
        problems(&f),
        vec![("forwarding-off".into(), "kestrel".into(), "all".into())]
    );
}

#[test]
fn bridged_pods_without_an_uplink_route_need_no_forwarding() {
    let mut f = bridged();
    f.link(0, 2, "up0", "");
    f.addr(0, 2, "198.51.100.8/24");
    assert_eq!(problems(&f), vec![]);
    // With a gateway beyond the node, its pods' traffic must be forwarded.
    f.route(0, "default", Some("198.51.100.1"), 2);
    assert!(has(&f, "forwarding-off", "rack7", "all"));
}

#[test]
fn an_ipv6_address_on_a_bridge_port_is_the_same_mistake_but_its_link_local_is_not() {
    use crate::model::Addr6;
    let six = |ip: &str, index: u32| Addr6 {
        index,
        ip: ip.parse().unwrap(),
        prefix: 64,
    };
    let mut f = bridged();
    // Every port has its link-local address: the kernel's, not a mistake.
    f.get(0).addrs6.push(six("fe80::1", 10));
    assert_eq!(problems(&f), vec![]);
    f.get(0).addrs6.push(six("2001:db8::10", 10));
    let fnd = super::diagnose(&f.0);
    let x = fnd.iter().find(|x| x.id == "bridge-port-address").unwrap();
    assert_eq!(x.device, "vp10");
    assert!(
        x.evidence
            .contains(&"10: vp10 inet6 fe80::1/64 scope link".to_string()),
        "{:?}",
        x.evidence
    );
    assert!(x
        .evidence
        .contains(&"10: vp10 inet6 2001:db8::10/64".to_string()));
    assert!(
        x.fix.ends_with(
            "ip -6 addr del 2001:db8::10/64 dev vp10; ip -6 addr add 2001:db8::10/64 dev br-lab"
        ),
        "{}",
        x.fix
    );
}
