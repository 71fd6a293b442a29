//! `addr`, `neigh` and `routes` with IPv6: judged against a [`Fake`] state.

use crate::check::fake::{addr, addr6, Fake};
use crate::check::judge_tests::{judge, pod};
use crate::model::{link_local, Neigh, Neigh6, Route6};
use rtnetlink::packet_route::route::{RoutePreference, RouteProtocol};
use serde_json::json;

/// pod's eth0 (index 2, MAC 02:00:00:00:00:02) with 10.0.0.2/24,
/// 2001:db8::2/64 and its link-local address.
fn dual() -> Fake {
    let mut f = pod();
    let n = f.node("pod");
    n.addrs.push(addr(2, "10.0.0.2", 24));
    n.addrs6.push(addr6(2, "2001:db8::2", 64));
    n.addrs6.push(addr6(2, "fe80::ff:fe00:2", 64));
    f
}

#[test]
fn exactly_is_exact_in_the_families_it_names() {
    let e = |v: serde_json::Value| {
        let mut o = json!({"expect": "addr", "node": "pod", "dev": "eth0"});
        o.as_object_mut()
            .unwrap()
            .extend(v.as_object().unwrap().clone());
        judge(&dual(), o)
    };
    // IPv4 only named: the inet6 addresses are not counted (as before IPv6 was on).
    assert!(e(json!({"exactly": ["10.0.0.2/24"]})).is_ok());
    // IPv6 named: every inet6 address counts, the link-local one too.
    let miss = e(json!({"exactly": ["2001:db8::2/64"]})).unwrap_err();
    assert!(
        miss.starts_with("pod: eth0 should not hold fe80::ff:fe00:2/64"),
        "{miss}"
    );
    let ok = e(json!({"exactly": ["2001:DB8:0::2/64", "{pod.eth0.ll6}/64"]})).unwrap();
    assert_eq!(ok, "eth0: inet6 2001:db8::2/64, inet6 fe80::ff:fe00:2/64");
    // Both families named: both exact.
    assert!(e(json!({"exactly": ["10.0.0.2/24", "2001:db8::2/64", "fe80::ff:fe00:2/64"]})).is_ok());
    assert!(
        e(json!({"exactly": ["2001:db8::2/64", "fe80::ff:fe00:2/64", "10.0.0.9/24"]}))
            .unwrap_err()
            .starts_with("pod: eth0 holds no 10.0.0.9/24")
    );
    // `family` says which, even for an empty list.
    let none = e(json!({"family": "inet6", "exactly": []})).unwrap_err();
    assert!(none.contains("should not hold 2001:db8::2/64"), "{none}");
    assert!(e(json!({"family": "all", "exactly": ["10.0.0.2/24"]})).is_err());
    // `has`: any family, among others.
    assert!(e(json!({"has": ["2001:db8::2/64"]})).is_ok());
    assert!(e(json!({"has": ["2001:db8::3/64"]}))
        .unwrap_err()
        .starts_with("pod: eth0 holds no 2001:db8::3/64"));
}

#[test]
fn ll6_is_the_eui64_address_of_the_mac() {
    // Seed 004: veth0 3e:78:e0:5b:4a:85 holds fe80::3c78:e0ff:fe5b:4a85/64.
    let a = link_local(&[0x3e, 0x78, 0xe0, 0x5b, 0x4a, 0x85]);
    assert_eq!(a.to_string(), "fe80::3c78:e0ff:fe5b:4a85");
    let a = link_local(&[0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
    assert_eq!(a.to_string(), "fe80::ecee:eeff:feee:eeee");
}

#[test]
fn ndp_entries_are_judged_with_state_and_lladdr() {
    let mut f = dual();
    f.node("pod").neighs6.push(Neigh6 {
        index: 2,
        ip: "2001:db8::3".parse().unwrap(),
        lladdr: Some([0x02, 0, 0, 0, 0, 3]),
        state: "REACHABLE".into(),
    });
    let n = |ip: &str, state: &str, ll: &str| {
        judge(
            &f,
            json!({"expect": "neigh", "node": "pod", "dev": "eth0", "ip": ip,
                   "state": [state], "lladdr": ll}),
        )
    };
    assert_eq!(
        n("2001:db8::3", "REACHABLE", "{host.veth0.mac}").unwrap(),
        "2001:db8::3 dev eth0 lladdr 02:00:00:00:00:03 REACHABLE"
    );
    assert!(n("2001:db8::3", "STALE", "{host.veth0.mac}")
        .unwrap_err()
        .ends_with("REACHABLE, want STALE lladdr {host.veth0.mac}"));
    assert!(n("2001:db8::4", "REACHABLE", "{host.veth0.mac}")
        .unwrap_err()
        .contains("no entry for 2001:db8::4 on eth0"));
    // An ARP entry for the same host is not an NDP one.
    assert!(n("10.0.0.3", "REACHABLE", "{host.veth0.mac}").is_err());
}

#[test]
fn ipv6_routes_are_ip_6_routes_lines() {
    let mut f = dual();
    f.node("pod").routes6.push(Route6 {
        dst: Some(("2001:db8::".parse().unwrap(), 64)),
        oif: Some(2),
        proto: Some(RouteProtocol::Kernel),
        metric: Some(256),
        pref: Some(RoutePreference::Medium),
        ..Default::default()
    });
    let r = |has: &str| {
        judge(
            &f,
            json!({"expect": "routes", "node": "pod", "family": "inet6", "has": [has]}),
        )
    };
    let ok = r("2001:db8::/64 dev eth0 proto kernel").unwrap();
    assert!(
        ok.contains(
            "ip -6 route:\n      2001:db8::/64 dev eth0 proto kernel metric 256 pref medium"
        ),
        "{ok}"
    );
    assert!(r("2001:db8::/64 dev eth0 metric 256 pref medium").is_ok());
    assert!(r("2001:db8::/64 dev eth0 pref high").is_err());
    assert!(r("default via fe80::1 dev eth0")
        .unwrap_err()
        .starts_with("pod has no route default"));
}

/// An entry the kernel's garbage collection removed after it failed is
/// judged by the state the kernel announced it had (RTM_DELNEIGH); one
/// never announced is still missing, and an announced state not wanted fails.
#[test]
fn neigh_removed_by_gc_is_judged_by_its_announced_state() {
    let mut f = pod();
    f.node("pod").neighs_gone.push(Neigh {
        index: 2,
        ip: "10.244.1.1".parse().unwrap(),
        lladdr: None,
        state: "FAILED".into(),
    });
    let want = |ip: &str, st: &str| json!({"expect": "neigh", "node": "pod", "dev": "eth0", "ip": ip, "state": [st]});
    assert_eq!(
        judge(&f, want("10.244.1.1", "FAILED")),
        Ok("10.244.1.1 dev eth0 FAILED (since removed from the neighbour table)".into())
    );
    assert!(judge(&f, want("10.244.1.1", "REACHABLE")).is_err());
    // A resolved entry that was removed is missing, whoever removed it.
    f.node("pod").neighs_gone[0].state = "REACHABLE".into();
    assert_eq!(
        judge(&f, want("10.244.1.1", "REACHABLE")),
        Err("pod: no entry for 10.244.1.1 on eth0, want REACHABLE".into())
    );
    assert_eq!(
        judge(&f, want("10.244.1.9", "FAILED")),
        Err("pod: no entry for 10.244.1.9 on eth0, want FAILED".into())
    );
}
