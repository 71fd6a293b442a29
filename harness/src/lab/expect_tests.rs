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
    let e = e.unwrap_err().to_string();
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = serde_json::from_value::<Expect>(json!({"expect": "linkz", "node": "n"}));
    let e = e.unwrap_err().to_string();
    assert!(e.contains("unknown variant `linkz`"), "{e}");
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

#[test]
fn every_listed_kind_is_read_by_its_tag_and_in_the_schema() {
    use crate::lab::expect::TAGS;
    for tag in TAGS {
        // No fields: refused for what is missing, never as an unknown kind.
        let e = serde_json::from_value::<Expect>(json!({ "expect": tag })).unwrap_err();
        assert!(e.to_string().contains("missing field"), "{tag}: {e}");
    }
    let schema = serde_json::to_value(schemars::schema_for!(Expect)).unwrap();
    let consts: Vec<&str> = schema["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["properties"]["expect"]["const"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        consts, TAGS,
        "one schema entry per kind, in the list's order"
    );
    for k in schema["oneOf"].as_array().unwrap() {
        assert_eq!(k["required"][0], "expect", "{k}");
        assert_eq!(k["additionalProperties"], false, "{k}");
    }
}

#[test]
fn a_parsed_kind_knows_its_tag() {
    let e =
        ex(json!({"expect": "peer-index", "node": "n", "dev": "d", "peer": "p", "methods": []}));
    assert_eq!(e.tag(), "peer-index");
    assert_eq!(
        e.vacuous().map(|w| w.contains("`methods` is empty")),
        Some(true)
    );
}

#[test]
fn an_item_is_read_without_the_fields_every_item_takes() {
    use crate::lab::expect::Untrusted;
    let item = json!({"expect": "sysctl", "node": "n", "key": "net.x", "value": "1", "id": "O1", "within_ms": 5});
    let e = Expect::of_item(&item).expect("a sysctl assertion");
    assert_eq!(e.untrusted(), vec![Untrusted::SysctlKey("net.x")]);
    assert_eq!(e.sysctls(), vec![("n", "net.x")]);
    let ipam = json!({"expect": "ipam", "network": "k8s-pod-network", "allocated": []});
    let e = Expect::of_item(&ipam).expect("an ipam assertion");
    assert_eq!(
        e.untrusted(),
        vec![Untrusted::Name("CNI network name", "k8s-pod-network")]
    );
    for other in [
        json!({"ping": "x"}),
        json!({"expect": "sysctl", "node": "n"}),
    ] {
        let e = Expect::of_item(&other);
        assert!(e.is_none(), "{other} read as {e:?}");
    }
}

#[test]
fn same_frames_is_judged_on_captures_and_bgp_without_notifications() {
    let e = ex(json!({"expect": "same-frames", "a": "n:a", "b": "m:b"}));
    assert_eq!(e.capture_points(), vec!["n:a", "m:b"]);
    let one: &[u8] = &[1, 2, 3];
    let two: &[u8] = &[4, 5, 6];
    let both = |_: &str| Some(vec![one]);
    assert_eq!(
        e.judge_captures(&both),
        Some(Ok("1 frames, byte for byte the same on both ends".into()))
    );
    let differ = |p: &str| Some(if p == "n:a" { vec![one] } else { vec![two] });
    assert_eq!(
        e.judge_captures(&differ),
        Some(Err("n:a: 1 frames, m:b: 1 frames, not identical".into()))
    );
    assert_eq!(
        e.judge_captures(&|_| None),
        Some(Err("capture missing".into()))
    );
    let routes = ex(json!({"expect": "routes", "node": "n", "has": ["x"]}));
    assert_eq!(routes.judge_captures(&both), None, "judged on kernel state");
    assert_eq!(routes.announced_in(), Some("n"));
    let bgp = ex(json!({"expect": "bgp", "node": "r"}));
    assert_eq!(
        bgp.announced_in(),
        None,
        "BIRD's sessions: no netlink message"
    );
    assert!(bgp.hopeless("no BIRD runs in r: its routes must be learned over BGP (routes written by hand do not count)"));
    assert!(!bgp.hopeless("BIRD in r: no BGP session is Established"));
}

#[test]
fn each_kind_names_what_validation_must_find_plain() {
    use crate::lab::expect::Untrusted::{At, Iface};
    let cases = [
        (
            json!({"expect": "links", "node": "n", "names": ["lo", "eth0"]}),
            vec![Iface("lo"), Iface("eth0")],
        ),
        (
            json!({"expect": "bridge", "node": "n", "dev": "br0", "members": ["v1"]}),
            vec![Iface("v1")],
        ),
        (
            json!({"expect": "link", "node": "n", "dev": "v", "peer": "pod:eth0"}),
            vec![At("pod:eth0")],
        ),
        (json!({"expect": "link", "node": "n", "dev": "v"}), vec![]),
        (
            json!({"expect": "peer-index", "node": "n", "dev": "d", "peer": "p", "methods": ["sysfs"]}),
            vec![At("p")],
        ),
        (
            json!({"expect": "same-frames", "a": "n:a", "b": "m:b"}),
            vec![At("n:a"), At("m:b")],
        ),
    ];
    for (v, want) in cases {
        assert_eq!(ex(v.clone()).untrusted(), want, "{v}");
    }
}
