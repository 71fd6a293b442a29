//! What an expectation names, how it reads, and how lab JSON becomes one.

use crate::lab::expect::{split_at, Expect, Method};
use serde_json::json;

fn ex(v: serde_json::Value) -> Expect {
    serde_json::from_value(v).unwrap()
}

#[test]
fn split_at_needs_both_halves() {
    assert_eq!(split_at("pod1:eth0"), Some(("pod1", "eth0")));
    assert_eq!(split_at("eth0"), None);
    assert_eq!(split_at(":eth0"), None);
    assert_eq!(split_at("pod1:"), None);
    assert_eq!(split_at("a:b:c"), Some(("a", "b:c")));
}

#[test]
fn nodes_include_the_peers() {
    assert_eq!(
        ex(json!({"expect": "link", "node": "host", "dev": "v", "peer": "pod:eth0"})).nodes(),
        vec!["host", "pod"]
    );
    assert_eq!(
        ex(json!({"expect": "link", "node": "host", "dev": "v", "peer": "v2"})).nodes(),
        vec!["host"]
    );
    assert_eq!(
        ex(json!({"expect": "peer-index", "node": "a", "dev": "v", "peer": "b:x", "methods": []}))
            .nodes(),
        vec!["a", "b"]
    );
    assert_eq!(
        ex(json!({"expect": "same-frames", "a": "n1:e", "b": "n2:e"})).nodes(),
        vec!["n1", "n2"]
    );
    assert!(
        ex(json!({"expect": "ipam", "network": "x", "allocated": []}))
            .nodes()
            .is_empty()
    );
}

#[test]
fn devices_are_the_ones_read() {
    assert_eq!(
        ex(json!({"expect": "addr", "node": "n", "dev": "eth0", "exactly": []})).devices(),
        vec![("n", "eth0")]
    );
    assert!(ex(json!({"expect": "routes", "node": "n"}))
        .devices()
        .is_empty());
    assert!(
        ex(json!({"expect": "sysctl", "node": "n", "key": "k", "value": "1"}))
            .devices()
            .is_empty()
    );
}

#[test]
fn settles_only_for_announced_kernel_state() {
    assert!(ex(json!({"expect": "routes", "node": "n", "has": ["x"]})).settles());
    assert!(ex(json!({"expect": "links", "node": "n", "names": []})).settles());
    assert!(!ex(json!({"expect": "sysctl", "node": "n", "key": "k", "value": "1"})).settles());
    assert!(!ex(json!({"expect": "ipam", "network": "x", "allocated": []})).settles());
    assert!(!ex(json!({"expect": "same-frames", "a": "n:a", "b": "n:b"})).settles());
}

#[test]
fn describe_reads_like_the_observation() {
    assert_eq!(
        ex(json!({"expect": "addr", "node": "pod", "dev": "eth0", "exactly": []})).describe(),
        "eth0 in pod holds no IPv4 address"
    );
    assert_eq!(
        ex(json!({"expect": "neigh", "node": "n", "dev": "d", "ip": "1.2.3.4", "state": ["STALE", "REACHABLE"]})).describe(),
        "neighbour 1.2.3.4 on d in n is STALE or REACHABLE"
    );
    assert_eq!(
        ex(json!({"expect": "peer-index", "node": "p", "dev": "eth0", "peer": "h:v", "methods": ["iflink", "ethtool"]})).describe(),
        "peer of eth0 in p is h:v by iflink, ethtool"
    );
    assert_eq!(
        ex(json!({"expect": "bridge", "node": "n", "dev": "cni0", "members": ["a", "b"]}))
            .describe(),
        "bridge cni0 in n has exactly [a, b]"
    );
    assert_eq!(
        ex(json!({"expect": "sysctl", "node": "n", "key": "net.ipv4.ip_forward", "value": "1"}))
            .describe(),
        "net.ipv4.ip_forward = 1 in n"
    );
}

#[test]
fn unknown_fields_and_kinds_are_refused() {
    let e = serde_json::from_value::<Expect>(
        json!({"expect": "link", "node": "n", "dev": "d", "colour": "red"}),
    );
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("unknown field `colour`"));
    let e = serde_json::from_value::<Expect>(json!({"expect": "linkz", "node": "n"}));
    assert!(e
        .unwrap_err()
        .to_string()
        .contains("unknown variant `linkz`"));
    let e = serde_json::from_value::<Expect>(
        json!({"expect": "peer-index", "node": "n", "dev": "d", "peer": "p", "methods": ["guess"]}),
    );
    e.unwrap_err();
    match ex(
        json!({"expect": "peer-index", "node": "n", "dev": "d", "peer": "p", "methods": ["sysfs"]}),
    ) {
        Expect::PeerIndex(p) => assert_eq!(p.methods, vec![Method::Sysfs]),
        e => panic!("{e:?}"),
    }
}
