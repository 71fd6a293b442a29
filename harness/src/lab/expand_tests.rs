//! `each` templates and step-level ids: what they expand to, and where
//! their mistakes are reported.

use crate::lab::{Action, Lab};
use std::path::Path;

const P: &str = "/nonexistent/labs/t/lab.json";

fn load(text: &str) -> crate::error::Result<Lab> {
    Lab::parse(Path::new(P), text)
}

/// A lab whose one step's `do` is `items`, with a step-level `id`.
fn lab(items: &str) -> String {
    format!(
        "{{\"lab\": \"t\", \"title\": \"T\", \"nodes\": [\"host\"],\n \"steps\": [{{\"name\": \"s\", \"title\": \"S\", \"id\": \"O9.1\", \"do\": [\n{items}\n]}}]}}"
    )
}

const PODS: &str = r#"{"each": [{"pod": "pod1", "veth": "veth1", "mtu": 1450},
          {"pod": "pod2", "veth": "veth2", "mtu": 1400}],
 "do": ["ip netns add ${pod}",
        "ip link add ${veth} mtu ${mtu} type veth peer name eth0 netns ${pod}",
        {"expect": "link", "node": "${pod}", "dev": "eth0", "mtu": "${mtu}"}]},
{"ping": "127.0.0.1", "from": "host", "id": "O9.2"},
{"ping": "127.0.0.1", "from": "host"}"#;

#[test]
fn each_repeats_its_items_per_row_in_order_and_the_step_id_fills_in() {
    let l = load(&lab(PODS)).unwrap();
    let s = &l.steps[0];
    let cmds: Vec<&str> = s.commands().map(|(_, t)| t).collect();
    assert_eq!(
        cmds,
        [
            "ip netns add pod1",
            "ip link add veth1 mtu 1450 type veth peer name eth0 netns pod1",
            "ip netns add pod2",
            "ip link add veth2 mtu 1400 type veth peer name eth0 netns pod2",
        ]
    );
    // `"${mtu}"` alone is the row's number; the step's id where none is given.
    let mtus: Vec<(Option<u32>, Option<String>)> = s
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Expect {
                e: crate::lab::expect::Expect::Link(l),
                id,
                ..
            } => Some((l.mtu, id.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        mtus,
        [
            (Some(1450), Some("O9.1".into())),
            (Some(1400), Some("O9.1".into()))
        ]
    );
    assert_eq!(s.ids(), ["O9.1", "O9.2"]);
    // The last ping names no id: it takes the step's.
    let last = s.actions.last();
    assert!(
        matches!(last, Some(Action::Ping(p)) if p.id.as_deref() == Some("O9.1")),
        "{last:?}"
    );
}

#[test]
fn a_mistake_in_a_row_points_at_the_template_and_names_the_row() {
    // Row 2's pod name is refused by the command parser once filled in.
    let t = lab(r#"{"each": [{"n": "1"}, {"n": "x y"}], "do": ["ip netns add pod${n}"]}"#);
    let e = load(&t).unwrap_err().to_string();
    assert!(e.starts_with(&format!("{P}:3:45")), "{e}");
    assert!(e.contains("item 1 (row 2 of its `each`)"), "{e}");
}

#[test]
fn rows_and_templates_must_agree_on_names() {
    let unknown = lab(r#"{"each": [{"pod": "a"}], "do": ["ip netns add ${pdo}"]}"#);
    let e = load(&unknown).unwrap_err().to_string();
    assert!(e.contains("names `pod`, which no item uses"), "{e}");
    let missing = lab(
        r#"{"each": [{"pod": "a", "mac": "x"}, {"pod": "b"}], "do": ["ip netns add ${pod}", "ip link set dev lo address ${mac}"]}"#,
    );
    let e = load(&missing).unwrap_err().to_string();
    assert!(e.contains("row 2 has no `mac`"), "{e}");
    assert!(e.starts_with(&format!("{P}:3:")), "{e}");
}

#[test]
fn an_each_that_says_nothing_is_refused() {
    for (t, want) in [
        (
            r#"{"each": [], "do": ["ip netns add a"]}"#,
            "at least one row",
        ),
        (
            r#"{"each": [{"a": "1"}], "do": []}"#,
            "at least one row and one item",
        ),
        (
            r#"{"each": [{"a": "1"}], "do": ["ip netns add b"]}"#,
            "use no `${name}`",
        ),
        (
            r#"{"each": [{"a": "1"}], "do": ["ip netns add ${a}"], "dp": 1}"#,
            "unknown field `dp`",
        ),
        (
            r#"{"each": [{"a": ["x"]}], "do": ["ip netns add ${a}"]}"#,
            "must be a string or a number",
        ),
        (
            r#"{"each": [{"a": "1"}], "do": [{"each": [{"a": "2"}], "do": ["ip netns add ${a}"]}]}"#,
            "inside an `each`",
        ),
    ] {
        let e = load(&lab(t)).unwrap_err().to_string();
        assert!(e.contains(want), "{t}: {e}");
    }
}

#[test]
fn an_expansion_past_the_lab_bound_is_refused_before_it_is_made() {
    // 600 rows of 500 items: 300 000 items from a few kilobytes of text.
    let rows = vec![r#"{"n": "1"}"#; 600].join(",");
    let tmpl = vec![r#""ip netns add p${n}""#; 500].join(",");
    let e = load(&lab(&format!(r#"{{"each": [{rows}], "do": [{tmpl}]}}"#)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("expands to over 250000 items"), "{e}");
}
