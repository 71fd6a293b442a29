//! The articles' literal values judged against a fake state: txqueuelen,
//! an address's broadcast, a bridge's id, the number a peer-index method
//! prints (through the index plan).

use super::judge_tests::{judge, pod};
use crate::check::fake::{addr, Fake};
use serde_json::json;

#[test]
fn txqueuelen_is_compared() {
    let mut f = pod();
    f.node("host").links[1].txqueuelen = Some(1000);
    let want = |q: u32| json!({"expect": "link", "node": "host", "dev": "veth0", "txqueuelen": q});
    assert!(judge(&f, want(1000)).is_ok());
    let e = judge(&f, want(0)).unwrap_err();
    assert!(
        e.starts_with("host: veth0: txqueuelen 1000 (want 0)"),
        "{e}"
    );
}

#[test]
fn broadcast_of_every_address_is_compared() {
    let mut f = pod();
    let mut a = addr(3, "10.188.2.1", 32);
    a.broadcast = "10.188.2.1".parse().ok();
    f.node("host").addrs.push(a);
    let want = |b: &str| json!({"expect": "addr", "node": "host", "dev": "veth0", "exactly": ["10.188.2.1/32"], "brd": b});
    assert_eq!(
        judge(&f, want("10.188.2.1")).unwrap(),
        "veth0: inet 10.188.2.1/32 brd 10.188.2.1"
    );
    let e = judge(&f, want("0.0.0.0")).unwrap_err();
    assert!(
        e.starts_with("host: veth0 holds 10.188.2.1/32 brd 10.188.2.1, not broadcast 0.0.0.0"),
        "{e}"
    );
    // No IFA_BROADCAST is what ifconfig prints as 0.0.0.0.
    f.node("host").addrs[0].broadcast = None;
    assert!(judge(&f, want("0.0.0.0")).is_ok());
    // An address list that is wrong stays the first thing said.
    let e = judge(
        &f,
        json!({"expect": "addr", "node": "host", "dev": "veth0", "exactly": ["10.188.2.2/32"], "brd": "0.0.0.0"}),
    )
    .unwrap_err();
    assert!(e.starts_with("host: veth0 holds no 10.188.2.2/32"), "{e}");
}

#[test]
fn bridge_id_is_the_kernels() {
    let mut f = pod();
    f.node("host").links[2].bridge_id = Some("8000.0a580af40501".into());
    let want = |id: &str| json!({"expect": "bridge", "node": "host", "dev": "br0", "members": ["veth0"], "bridge_id": id});
    let shown = judge(&f, want("8000.0a580af40501")).unwrap();
    assert!(
        shown.contains("br0             8000.0a580af40501"),
        "{shown}"
    );
    let e = judge(&f, want("8000.0242dfd605c0")).unwrap_err();
    assert!(
        e.starts_with("host: br0's bridge id is 8000.0a580af40501 (want 8000.0242dfd605c0)"),
        "{e}"
    );
}

#[test]
fn peer_number_is_the_articles_mapped() {
    // pod:eth0's peer is host:veth0, ifindex 3.
    let mut f = pod();
    f.node("pod").ethtool.insert("eth0".into(), 3);
    let want = |i: u32| {
        json!({"expect": "peer-index", "node": "pod", "dev": "eth0", "peer": "host:veth0",
               "methods": ["ethtool"], "index": i})
    };
    assert!(judge(&f, want(3)).is_ok());
    let e = judge(&f, want(34)).unwrap_err();
    assert!(
        e.starts_with("pod: eth0: ethtool gives 3 (want peer_ifindex 34)"),
        "{e}"
    );
    // Fallback devices moved every lab index >= 3 by 2: the kernel's 5 is
    // the article's 3; the article's 5 would be the kernel's 7.
    let mut f = Fake::new().veth(("host", "veth0", 5), ("pod", "eth0", 2));
    f.node("pod").ethtool.insert("eth0".into(), 5);
    f.shift = 2;
    assert!(judge(&f, want(3)).is_ok());
    let e = judge(&f, want(5)).unwrap_err();
    assert!(
        e.contains("want peer_ifindex 7 (the article's 5 on this kernel)"),
        "{e}"
    );
}
