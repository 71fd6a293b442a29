//! `"expect": "link"` judged against a fake state: every attribute, the
//! `@ifN` iproute2 prints, the index plan, and the peer with its
//! link-netnsid.

use super::judge_tests::{ex, fails, judge, passes, pod};
use crate::check::fake::{link, Fake, RUNNING, UP};
use serde_json::json;

#[test]
fn link_every_attribute_passes_when_it_holds() {
    let s = judge(
        &pod(),
        json!({"expect": "link", "node": "host", "dev": "veth0", "index": 3, "mtu": 1500,
               "state": "UP", "flags": ["UP", "LOWER_UP"], "mac": "02:00:00:00:00:03",
               "master": "br0", "kind": "veth"}),
    )
    .unwrap();
    assert_eq!(
        s,
        "3: veth0@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master br0 state UP link/ether 02:00:00:00:00:03 link-netnsid 0"
    );
}

#[test]
fn link_wrong_index_fails() {
    let e = judge(
        &pod(),
        json!({"expect": "link", "node": "host", "dev": "veth0", "index": 4}),
    )
    .unwrap_err();
    assert!(
        e.starts_with("host: veth0: ifindex 3 (want 4)\n3: veth0@if2"),
        "{e}"
    );
}

#[test]
fn link_index_goes_through_the_index_plan() {
    // Fallback devices shifted the kernel's numbers by 3: lab 3 is kernel 6.
    let mut f = Fake::new().with_link("n", link(6, "eth0", Some("veth")));
    f.node("n");
    f.shift = 3;
    passes(
        &f,
        json!({"expect": "link", "node": "n", "dev": "eth0", "index": 3}),
    );
    let e = judge(
        &f,
        json!({"expect": "link", "node": "n", "dev": "eth0", "index": 6}),
    )
    .unwrap_err();
    assert!(e.contains("ifindex 6 (want 9)"), "{e}");
    // 1 and 2 are not shifted.
    let f2 = Fake {
        shift: 3,
        ..Fake::new().with_link("n", link(2, "eth0", None))
    };
    passes(
        &f2,
        json!({"expect": "link", "node": "n", "dev": "eth0", "index": 2}),
    );
}

#[test]
fn link_wrong_mtu_state_kind_fail_each_named() {
    let e = judge(
        &pod(),
        json!({"expect": "link", "node": "pod", "dev": "eth0", "mtu": 1450, "state": "DOWN", "kind": "bridge"}),
    )
    .unwrap_err();
    assert!(e.contains("mtu 1500 (want 1450)"), "{e}");
    assert!(e.contains("state UP (want DOWN)"), "{e}");
    assert!(e.contains("kind Some(\"veth\") (want bridge)"), "{e}");
}

#[test]
fn link_missing_flag_fails() {
    let mut f = pod();
    f.node("pod").links[1].flags = UP | libc::IFF_BROADCAST as u32;
    let e = judge(
        &f,
        json!({"expect": "link", "node": "pod", "dev": "eth0", "flags": ["UP", "LOWER_UP"]}),
    )
    .unwrap_err();
    assert!(e.starts_with("pod: eth0: flag LOWER_UP missing"), "{e}");
    assert!(e.contains("<NO-CARRIER,BROADCAST,UP>"), "{e}");
    // A flag that is a substring of another does not count.
    f.node("pod").links[1].flags = RUNNING;
    let e = judge(
        &f,
        json!({"expect": "link", "node": "pod", "dev": "eth0", "flags": ["LOWER"]}),
    )
    .unwrap_err();
    assert!(e.contains("flag LOWER missing"), "{e}");
}

#[test]
fn link_mac_placeholder_resolves_to_another_link() {
    let mut f = pod();
    f.node("pod").links[1].mac = Some([0xee; 6]);
    f.node("host").links[1].mac = Some([0xee; 6]);
    passes(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "mac": "{pod.eth0.mac}"}),
    );
    let e = judge(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "mac": "{host.br0.mac}"}),
    )
    .unwrap_err();
    assert!(
        e.contains("mac ee:ee:ee:ee:ee:ee (want 0a:58:0a:f4:05:01)"),
        "{e}"
    );
}

#[test]
fn link_master_absent_or_other_fails() {
    let e = judge(
        &pod(),
        json!({"expect": "link", "node": "pod", "dev": "eth0", "master": "br0"}),
    )
    .unwrap_err();
    assert!(e.contains("master none (want br0)"), "{e}");
    let e = judge(
        &pod(),
        json!({"expect": "link", "node": "host", "dev": "veth0", "master": "cni0"}),
    )
    .unwrap_err();
    assert!(e.contains("master br0 (want cni0)"), "{e}");
}

#[test]
fn link_at_names_the_peer_in_the_same_namespace() {
    let f = Fake::new().veth(("n", "veth0", 3), ("n", "veth1", 4));
    let s = judge(
        &f,
        json!({"expect": "link", "node": "n", "dev": "veth0", "at": "veth1"}),
    )
    .unwrap();
    assert!(s.starts_with("3: veth0@veth1: "), "{s}");
    assert!(!s.contains("link-netnsid"), "{s}");
    let e = judge(
        &f,
        json!({"expect": "link", "node": "n", "dev": "veth0", "at": "if4"}),
    )
    .unwrap_err();
    assert!(e.contains("shown as @veth1 (want @if4)"), "{e}");
}

#[test]
fn link_at_is_if_n_across_namespaces_and_mapped() {
    // seed 001: eth0@if3 in the pod even though the pod has its own ifindex 3.
    let mut f = Fake::new().veth(("host", "veth0", 6), ("pod", "eth0", 3));
    f.node("pod").links.push(link(6, "other", None));
    passes(
        &f,
        json!({"expect": "link", "node": "pod", "dev": "eth0", "at": "if6"}),
    );
    passes(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "at": "if3"}),
    );
    // With a shift of 3, a lab's `if3` is the kernel's if6.
    f.shift = 3;
    passes(
        &f,
        json!({"expect": "link", "node": "pod", "dev": "eth0", "at": "if3"}),
    );
    let e = judge(
        &f,
        json!({"expect": "link", "node": "pod", "dev": "eth0", "at": "if6"}),
    )
    .unwrap_err();
    assert!(e.contains("shown as @if6 (want @if9)"), "{e}");
}

#[test]
fn link_at_placeholder_is_the_kernels_own_index() {
    let mut f = Fake::new().veth(("host", "veth0", 7), ("pod", "eth0", 3));
    f.shift = 40; // a placeholder is not mapped again
    passes(
        &f,
        json!({"expect": "link", "node": "pod", "dev": "eth0", "at": "if{host.veth0.ifindex}"}),
    );
    passes(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "at": "if{pod.eth0.ifindex}"}),
    );
    fails(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "at": "if{host.veth0.ifindex}"}),
    );
}

#[test]
fn link_without_iflink_shows_no_at() {
    let e = judge(
        &pod(),
        json!({"expect": "link", "node": "host", "dev": "br0", "at": "if2"}),
    )
    .unwrap_err();
    assert!(e.contains("shown as @ (want @if2)"), "{e}");
    assert!(e.contains("\n4: br0: <"), "{e}");
}

#[test]
fn link_peer_in_another_node_by_nsid() {
    passes(
        &pod(),
        json!({"expect": "link", "node": "host", "dev": "veth0", "peer": "pod:eth0"}),
    );
    passes(
        &pod(),
        json!({"expect": "link", "node": "pod", "dev": "eth0", "peer": "host:veth0"}),
    );
}

#[test]
fn link_peer_in_the_same_node_by_name() {
    let f = Fake::new().veth(("n", "veth0", 3), ("n", "veth1", 4));
    passes(
        &f,
        json!({"expect": "link", "node": "n", "dev": "veth0", "peer": "veth1"}),
    );
    passes(
        &f,
        json!({"expect": "link", "node": "n", "dev": "veth1", "peer": "n:veth0"}),
    );
}

#[test]
fn link_peer_wrong_ifindex_fails() {
    let f = pod().with_link("pod", link(3, "eth1", None));
    let e = judge(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "peer": "pod:eth1"}),
    )
    .unwrap_err();
    assert!(
        e.contains("IFLA_LINK 2 is eth0 in pod, not eth1 in pod (ifindex 3)"),
        "{e}"
    );
}

#[test]
fn link_peer_nsid_of_another_node_fails() {
    let mut f = pod();
    f.node("other");
    f.node("other").links.push(link(2, "eth0", Some("veth")));
    // host's id 0 is pod, not other: same ifindex, wrong namespace.
    let e = judge(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "peer": "other:eth0"}),
    )
    .unwrap_err();
    assert!(e.contains("link-netnsid 0 is pod (want other)"), "{e}");
    // An id nobody maps.
    f.node("host").nsids.clear();
    let e = judge(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "peer": "pod:eth0"}),
    )
    .unwrap_err();
    assert!(e.contains("link-netnsid 0 is unknown (want pod)"), "{e}");
}

#[test]
fn link_peer_namespace_mismatch_both_ways() {
    // Peer said to be elsewhere, but the link has no link-netnsid.
    let mut f = Fake::new().veth(("n", "veth0", 3), ("n", "veth1", 4));
    f.node("m").links.push(link(4, "veth1", Some("veth")));
    let e = judge(
        &f,
        json!({"expect": "link", "node": "n", "dev": "veth0", "peer": "m:veth1"}),
    )
    .unwrap_err();
    assert!(
        e.contains("no link-netnsid, yet the peer should be in m"),
        "{e}"
    );
    // Peer said to be here, but the link has a link-netnsid.
    let mut f = pod();
    f.node("host").links.push(link(2, "eth0", None));
    let e = judge(
        &f,
        json!({"expect": "link", "node": "host", "dev": "veth0", "peer": "eth0"}),
    )
    .unwrap_err();
    assert!(
        e.contains("link-netnsid 0, yet the peer should be in the same namespace"),
        "{e}"
    );
}

#[test]
fn link_of_a_missing_device_fails_naming_its_node() {
    let r = ex(json!({"expect": "link", "node": "host", "dev": "nope"})).check(&pod());
    assert_eq!(r.unwrap(), Err("host has no interface nope".to_string()));
    let r = ex(json!({"expect": "link", "node": "host", "dev": "veth0", "peer": "pod:nope"}))
        .check(&pod());
    r.unwrap_err();
}
