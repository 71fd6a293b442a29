//! Node declarations: a name, or `{"name": N, "ipv6": false}`, each mistake
//! refused with its file:line:column.

use crate::lab::Lab;
use std::path::Path;

const P: &str = "/nonexistent/labs/t/lab.json";

/// A lab whose `nodes` is `nodes` (on line 2) and one step with a ping.
fn lab(nodes: &str) -> String {
    format!(
        "{{\"lab\": \"t\", \"title\": \"T\",\n \"nodes\": {nodes},\n \"steps\": [{{\"name\": \"s1\", \"title\": \"S\", \"do\": [{{\"ping\": \"10.0.0.9\", \"from\": \"host\"}}]}}]}}"
    )
}

fn err(nodes: &str) -> String {
    let e = Lab::parse(Path::new(P), &lab(nodes)).unwrap_err();
    assert!(e.is_usage(), "an input error: {e}");
    e.to_string()
}

#[test]
fn a_node_may_turn_ipv6_off_and_the_others_keep_it() {
    let l = Lab::parse(
        Path::new(P),
        &lab(r#"["host", {"name": "pod", "ipv6": false}, {"name": "gw"}, {"name": "r", "ipv6": true}]"#),
    )
    .unwrap();
    assert_eq!(l.nodes, vec!["host", "pod", "gw", "r"]);
    assert_eq!(l.ipv6_off, vec!["pod"]);
    assert!(!l.ipv6("pod"));
    assert!(l.ipv6("host") && l.ipv6("gw") && l.ipv6("r"));
    // A node made later by `ip netns add` has the kernel's default.
    assert!(l.ipv6("song"));
}

#[test]
fn a_wrong_ipv6_value_is_refused_where_it_is() {
    let e = err(r#"["host", {"name": "pod", "ipv6": "no"}]"#);
    assert!(e.starts_with(&format!("{P}:2:")), "{e}");
    assert!(e.contains("invalid type") && e.contains("boolean"), "{e}");
}

#[test]
fn an_unknown_node_setting_is_named() {
    let e = err(r#"["host", {"name": "pod", "ipv4": false}]"#);
    assert!(e.starts_with(&format!("{P}:2:")), "{e}");
    assert!(e.contains("unknown field `ipv4`"), "{e}");
}

#[test]
fn a_node_is_a_name_or_an_object() {
    let e = err(r#"["host", 7]"#);
    assert!(e.contains("a node is a name"), "{e}");
    let e = err(r#"["host", {"ipv6": false}]"#);
    assert!(e.contains("missing field `name`"), "{e}");
}

#[test]
fn a_node_declared_twice_either_way_is_refused() {
    let e = err(r#"["host", "pod", {"name": "pod", "ipv6": false}]"#);
    assert!(e.contains("node `pod` is declared twice"), "{e}");
}

#[test]
fn a_hostile_node_name_in_an_object_is_refused() {
    let e = err(r#"["host", {"name": "../etc", "ipv6": false}]"#);
    assert!(e.starts_with(&format!("{P}:2:")), "{e}");
}
