//! Judging forms the kernel treats the same (onlink, proto, conf.all) and
//! one-line diagnoses.

use crate::check::fake::addr;
use crate::check::judge_tests::{fails, judge, passes, pod};
use crate::model::Route;
use rtnetlink::packet_route::route::RouteType;
use serde_json::json;

#[test]
fn route_forms_the_kernel_treats_the_same_match() {
    use crate::lab::expect::routes::route_matches;
    let want = "default via 169.254.1.1 dev eth0";
    assert!(route_matches(
        want,
        "default via 169.254.1.1 dev eth0 onlink"
    ));
    assert!(route_matches(
        want,
        "default via 169.254.1.1 dev eth0 proto static metric 5"
    ));
    assert!(!route_matches(want, "default via 169.254.1.2 dev eth0"));
    assert!(!route_matches(want, "default via 169.254.1.1 dev eth1"));
    assert!(!route_matches(want, "default dev eth0"));
    // A lab line that names `proto bird` wants it.
    let bird = "blackhole 10.244.38.128/26 proto bird";
    assert!(route_matches(bird, "blackhole 10.244.38.128/26 proto bird"));
    assert!(!route_matches(bird, "blackhole 10.244.38.128/26"));
    assert!(!route_matches(
        "10.244.38.128/26 via 1.1.1.1 dev ens32",
        "unreachable 10.244.38.128/26"
    ));
}

#[test]
fn route_miss_names_the_part_that_differs() {
    let mut f = pod();
    f.node("pod").routes = vec![Route {
        dst: Some(("10.244.38.128".parse().unwrap(), 26)),
        kind: Some(RouteType::BlackHole),
        ..Default::default()
    }];
    let e = judge(
        &f,
        json!({"expect": "routes", "node": "pod", "has": ["blackhole 10.244.38.128/26 proto bird"]}),
    )
    .unwrap_err();
    assert!(
        e.starts_with("pod: route blackhole 10.244.38.128/26 is proto boot, not bird\n"),
        "{e}"
    );
    let e = judge(
        &f,
        json!({"expect": "routes", "node": "pod", "has": ["10.188.2.6 dev eth0 scope link"]}),
    )
    .unwrap_err();
    assert!(e.starts_with("pod has no route 10.188.2.6\n"), "{e}");
}

#[test]
fn proxy_arp_of_conf_all_counts_for_every_device() {
    let mut f = pod();
    let key = "net.ipv4.conf.veth0.proxy_arp";
    f.node("host").sysctls.insert(key.into(), "0".into());
    f.node("host")
        .sysctls
        .insert("net.ipv4.conf.all.proxy_arp".into(), "1".into());
    let on = json!({"expect": "sysctl", "node": "host", "key": key, "value": "1"});
    let off = json!({"expect": "sysctl", "node": "host", "key": key, "value": "0"});
    passes(&f, on.clone());
    fails(&f, off.clone());
    f.node("host")
        .sysctls
        .insert("net.ipv4.conf.all.proxy_arp".into(), "0".into());
    fails(&f, on);
    passes(&f, off);
}

#[test]
fn addr_with_another_prefix_is_named() {
    let mut f = pod();
    f.node("pod").addrs.push(addr(2, "10.1.1.1", 16));
    let e = judge(
        &f,
        json!({"expect": "addr", "node": "pod", "dev": "eth0", "exactly": ["10.1.1.1/24"]}),
    )
    .unwrap_err();
    assert!(
        e.starts_with("pod: eth0 holds 10.1.1.1/16, not 10.1.1.1/24"),
        "{e}"
    );
}
