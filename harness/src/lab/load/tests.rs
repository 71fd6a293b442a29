//! Loading lab files: what loads, and for each kind of mistake the message
//! and its file:line:column.

use crate::lab::{limits, Action, Lab};
use crate::model::LinkKind;
use std::path::Path;

pub(super) const P: &str = "/nonexistent/labs/t/lab.json";

pub(super) fn load(text: &str) -> crate::error::Result<Lab> {
    Lab::parse(Path::new(P), text)
}

pub(super) fn err(text: &str) -> String {
    let e = load(text).unwrap_err();
    assert!(e.is_usage(), "an input error: {e}");
    e.to_string()
}

/// A lab with nodes host and pod and one step `s1`; item k is on line 4+k,
/// column 4. `caps` is the step's capture map.
fn lab_with(items: &[&str], caps: &str) -> String {
    format!(
        "{{\"lab\": \"t\", \"title\": \"T\",\n \"nodes\": [\"host\", \"pod\"],\n \"steps\": [\n  {{\"name\": \"s1\", \"title\": \"S\", \"capture\": {caps}, \"do\": [\n{}\n  ]}}\n ]}}",
        items.iter().map(|i| format!("   {i}")).collect::<Vec<_>>().join(",\n")
    )
}

pub(super) fn lab(items: &[&str]) -> String {
    lab_with(items, "{}")
}

/// Something to judge: a step of commands alone could never fail.
pub(super) const PING: &str = r#"{"ping": "10.0.0.9", "from": "host"}"#;

pub(super) const PAIR: &str = r#""ip link add veth0 type veth peer name eth0 netns pod""#;

#[test]
fn a_good_lab_loads_with_its_actions_in_their_nodes() {
    let l = load(&lab(&[
        PAIR,
        r#""ip netns exec pod ip addr add 10.0.0.2/24 dev eth0""#,
        r#"{"ping": "10.0.0.2", "from": "host", "id": "O1.1"}"#,
        r#"{"expect": "link", "node": "pod", "dev": "eth0", "peer": "host:veth0", "id": "O1.2"}"#,
    ]))
    .unwrap();
    assert_eq!((l.name.as_str(), l.title.as_str()), ("t", "T"));
    assert_eq!(l.nodes, vec!["host", "pod"]);
    let s = &l.steps[0];
    assert_eq!(s.actions.len(), 4);
    assert_eq!(
        s.commands().map(|(n, _)| n).collect::<Vec<_>>(),
        vec!["host", "pod"]
    );
    assert_eq!(s.ids(), vec!["O1.1", "O1.2"]);
    assert!(s.requires.is_empty());
    assert_eq!(l.step_index("s1"), Some(0));
    assert_eq!(l.step_index("s2"), None);
}

#[test]
fn empty_and_non_object_files() {
    assert_eq!(
        err("  \n "),
        format!("{P}:1:1: the lab file is empty (see labs/veth-pair/lab.json for one)")
    );
    assert!(err("\n\n  [1, 2]").starts_with(&format!("{P}:3:3: a lab file is one JSON object")));
}

#[test]
fn syntax_errors_point_at_the_byte() {
    let e = err("{\"lab\": \"t\",\n \"title\": ,\n}");
    assert!(e.starts_with(&format!("{P}:2:11: ")), "{e}");
    assert!(!e.contains(" at line "), "position said once: {e}");
}

#[test]
fn unknown_and_missing_top_level_fields() {
    let e =
        err("{\"lab\": \"t\", \"title\": \"T\", \"nodes\": [\"a\"], \"steps\": [], \"colour\": 1}");
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = err("{\"lab\": \"t\", \"nodes\": [\"a\"], \"steps\": []}");
    assert!(e.contains("missing field `title`"), "{e}");
}

#[test]
fn nodes_declared_twice_or_none() {
    let e = err(
        "{\"lab\": \"t\", \"title\": \"T\",\n \"nodes\": [\"a\", \"b\",\n  \"a\"], \"steps\": []}",
    );
    assert_eq!(e, format!("{P}:3:3: node `a` is declared twice"));
    let e = err("{\"lab\": \"t\", \"title\": \"T\",\n \"nodes\": [], \"steps\": []}");
    assert!(
        e.starts_with(&format!("{P}:2:11: a lab needs at least one node")),
        "{e}"
    );
}

#[test]
fn a_lab_without_steps_could_never_fail() {
    let e = err("{\"lab\": \"t\", \"title\": \"T\", \"nodes\": [\"a\"],\n \"steps\": []}");
    assert!(
        e.starts_with(&format!("{P}:2:11: the lab has no steps")),
        "{e}"
    );
}

#[test]
fn step_names_twice_unknown_requirements_and_empty_steps() {
    let two = "{\"lab\": \"t\", \"title\": \"T\", \"nodes\": [\"a\"], \"steps\": [\n {\"name\": \"s\", \"title\": \"x\", \"do\": [{\"ping\": \"10.0.0.1\", \"from\": \"a\"}]},\n {\"name\": \"s\", \"title\": \"y\", \"do\": [{\"ping\": \"10.0.0.1\", \"from\": \"a\"}]}]}";
    assert_eq!(err(two), format!("{P}:3:2: step name `s` is used twice"));
    let req = "{\"lab\": \"t\", \"title\": \"T\", \"nodes\": [\"a\"], \"steps\": [\n {\"name\": \"s\", \"title\": \"x\", \"requires\": [\"wireguard\"], \"do\": [\"ip link set lo up\"]}]}";
    let e = err(req);
    assert!(
        e.starts_with(&format!(
            "{P}:2:2: step `s`: unknown requirement `wireguard` (known: ipip, gre, vxlan"
        )),
        "{e}"
    );
    let idle = "{\"lab\": \"t\", \"title\": \"T\", \"nodes\": [\"a\"], \"steps\": [\n {\"name\": \"s\", \"title\": \"x\", \"do\": []}]}";
    assert!(err(idle).contains("step `s` does nothing and expects nothing: it could never fail"));
}

#[test]
fn a_bad_command_names_step_item_and_place() {
    let e = err(&lab(&[PAIR, r#""ip link add x type dummy""#]));
    assert_eq!(
        e,
        format!("{P}:6:4: step `s1`, item 2: `ip link add x type dummy`: unsupported link type `dummy` (supported: veth, bridge, vxlan, ipip)")
    );
}

#[test]
fn unknown_nodes_and_nodes_used_too_early() {
    let e = err(&lab(&[r#""ip netns exec zzz ip link set lo up""#]));
    assert_eq!(
        e,
        format!("{P}:5:4: step `s1`, item 1: unknown node `zzz` (nodes: host, pod)")
    );
    let e = err(&lab(&[
        r#""ip link add a type veth peer name b netns nowhere""#,
    ]));
    assert!(e.contains("unknown node `nowhere`"), "{e}");
    let text = "{\"lab\": \"t\", \"title\": \"T\", \"nodes\": [\"a\"], \"steps\": [\n {\"name\": \"s\", \"title\": \"x\", \"do\": [\"ip netns exec p2 ip link set lo up\"]},\n {\"name\": \"s2\", \"title\": \"y\", \"do\": [\"ip netns add p2\"]}]}";
    assert!(
        err(text).contains("node `p2` is used before the step that creates it (`ip netns add p2`)")
    );
}

#[test]
fn netns_add_makes_a_node_once() {
    let l = load(&lab(&[
        r#""ip netns add pod2""#,
        r#""ip netns exec pod2 ip link set lo up""#,
        PING,
    ]))
    .unwrap();
    assert_eq!(l.steps[0].commands().nth(1).map(|c| c.0), Some("pod2"));
    assert!(err(&lab(&[r#""ip netns add pod""#]))
        .contains("`ip netns add pod`: node `pod` already exists"));
}

#[test]
fn devices_must_exist_when_named() {
    let e = err(&lab(&[r#""ip addr add 10.0.0.1/24 dev eth9""#]));
    assert!(e.ends_with("`ip addr add 10.0.0.1/24 dev eth9`: no interface `eth9` in host at this point (it has: lo)"), "{e}");
    // Made in the pod: not in the host.
    let e = err(&lab(&[PAIR, r#""ip link set eth0 up""#]));
    assert!(
        e.contains("no interface `eth0` in host at this point (it has: lo, veth0)"),
        "{e}"
    );
}

#[test]
fn link_kinds_beyond_veth_and_bridge_become_requirements() {
    let l = load(&lab(&[
        r#""ip link add vx type vxlan id 1 dstport 8472""#,
        PING,
    ]))
    .unwrap();
    assert_eq!(l.steps[0].requires, vec!["vxlan"]);
    let l = load(&lab(&[r#""ip link add br0 type bridge""#, PING])).unwrap();
    assert!(l.steps[0].requires.is_empty());
}

#[test]
fn indexes_the_lab_asks_for() {
    let l = load(&lab(&[
        r#""ip link add index 6 name veth0 type veth peer index 3 name eth0 netns pod""#,
        r#""ip link add index 9 name br0 type bridge""#,
        PING,
    ]))
    .unwrap();
    assert_eq!(l.indexes(), vec![6, 3, 9]);
    match &l.steps[0].actions[0] {
        Action::Cmd { cmds, .. } => assert!(matches!(
            &cmds[0],
            crate::iproute::cmd::Cmd::LinkAdd {
                kind: LinkKind::Veth { .. },
                ..
            }
        )),
        a => panic!("{a:?}"),
    }
}

#[test]
fn ping_ranges_are_located_at_the_field() {
    let e = err(&lab(&[
        r#"{"ping": "10.0.0.2", "from": "host", "count": 0}"#,
    ]));
    assert_eq!(e, format!("{P}:5:50: step `s1`, item 1: ping: `count` is 0; allowed: 1 to 1000 (zero pings assert nothing)"));
    let e = err(&lab(&[
        r#"{"ping": "10.0.0.2", "from": "host", "timeout_ms": 99}"#,
    ]));
    assert!(e.starts_with(&format!("{P}:5:55: ")), "{e}");
    assert!(
        e.contains("`timeout_ms` is 99; allowed: 100 to 60000"),
        "{e}"
    );
    let max = limits::PING_COUNT.1;
    load(&lab(&[&format!(
        r#"{{"ping": "10.0.0.2", "from": "host", "count": {max}}}"#
    )]))
    .unwrap();
}

#[test]
fn ping_mistakes() {
    let e = err(&lab(&[r#"{"ping": "fe80::1", "from": "host"}"#]));
    assert_eq!(e, format!("{P}:5:13: step `s1`, item 1: ping: `fe80::1` is link-local: name the interface it is on (`\"dev\"`), as `ping fe80::1%DEV` does"));
    load(&lab(&[r#"{"ping": "2001:db8::2", "from": "host"}"#])).unwrap();
    let e = err(&lab(&[r#"{"ping": "2001:db8::g", "from": "host"}"#]));
    assert!(e.starts_with(&format!("{P}:5:13: ")), "{e}");
    // An unknown field: the key is pointed at.
    let e = err(&lab(&[
        r#"{"ping": "10.0.0.2", "from": "host", "size": 9}"#,
    ]));
    assert!(
        e.starts_with(&format!(
            "{P}:5:41: step `s1`, item 1: ping: unknown field `size`"
        )),
        "{e}"
    );
    // A value of the wrong type: the value is pointed at.
    let e = err(&lab(&[
        r#"{"ping": "10.0.0.2", "from": "host", "count": "x"}"#,
    ]));
    assert!(e.starts_with(&format!("{P}:5:50: ")), "{e}");
    let e = err(&lab(&[r#"{"ping": "10.0.0.2", "from": "nobody"}"#]));
    assert!(e.contains("unknown node `nobody`"), "{e}");
    let e = err(&lab(&[
        r#"{"ping": "10.0.0.2", "from": "host", "dev": "eth7"}"#,
    ]));
    assert!(e.contains("ping -I: no interface `eth7` in host"), "{e}");
}

#[test]
fn udp_mistakes() {
    load(&lab(&[
        r#"{"udp": "10.0.0.2:9000", "server": "pod", "from": "host"}"#,
    ]))
    .unwrap();
    let e = err(&lab(&[
        r#"{"udp": "[fe80::1]:9000", "server": "pod", "from": "host"}"#,
    ]));
    assert!(
        e.contains("udp: `[fe80::1]:9000`: IPv6 is not supported here"),
        "{e}"
    );
    let e = err(&lab(&[
        r#"{"udp": "10.0.0.2:9000", "server": "pod", "from": "x"}"#,
    ]));
    assert!(e.contains("unknown node `x`"), "{e}");
    let e = err(&lab(&[
        r#"{"udp": "10.0.0.2", "server": "pod", "from": "host"}"#,
    ]));
    assert!(e.contains("step `s1`, item 1: udp: "), "{e}");
}

#[test]
fn expect_mistakes() {
    let e = err(&lab(&[
        r#"{"expect": "links", "node": "host", "names": ["lo"], "id": 7}"#,
    ]));
    assert!(e.ends_with("`id` must be a string such as \"O2.1\""), "{e}");
    let e = err(&lab(&[
        r#"{"expect": "links", "node": "host", "names": ["lo"], "within_ms": 0}"#,
    ]));
    assert!(e.starts_with(&format!("{P}:5:70: ")), "{e}");
    assert!(
        e.contains("`within_ms` is 0; allowed: 1 to 60000 (omit it to check once)"),
        "{e}"
    );
    let e = err(&lab(&[
        r#"{"expect": "links", "node": "host", "names": ["lo"], "within_ms": "soon"}"#,
    ]));
    assert!(
        e.contains("`within_ms` must be a number of milliseconds"),
        "{e}"
    );
    let e = err(&lab(&[
        r#"{"expect": "links", "node": "host", "names": ["lo"], "nmaes": 1}"#,
    ]));
    assert!(
        e.starts_with(&format!("{P}:5:57: ")),
        "the unknown key: {e}"
    );
    let e = err(&lab(&[
        r#"{"expect": "link", "node": "host", "dev": "veth9"}"#,
    ]));
    assert!(
        e.contains("expect link veth9 in host: no interface `veth9` in host"),
        "{e}"
    );
    let e = err(&lab(&[
        r#"{"expect": "link", "node": "host", "dev": "lo", "peer": "elsewhere:x"}"#,
    ]));
    assert!(e.contains("unknown node `elsewhere`"), "{e}");
}

#[test]
fn same_frames_needs_both_capture_points() {
    let e = err(&lab_with(
        &[
            PAIR,
            r#"{"expect": "same-frames", "a": "host:veth0", "b": "pod:eth0"}"#,
        ],
        r#"{"host:veth0": null}"#,
    ));
    assert!(
        e.contains("same-frames: `pod:eth0` is not among this step's capture points"),
        "{e}"
    );
    load(&lab_with(
        &[
            PAIR,
            r#"{"expect": "same-frames", "a": "host:veth0", "b": "pod:eth0"}"#,
        ],
        r#"{"host:veth0": null, "pod:eth0": null}"#,
    ))
    .unwrap();
}

#[test]
fn capture_points_must_be_real() {
    let e = err(&lab_with(&[PAIR], r#"{"veth0": null}"#));
    assert!(
        e.contains("step `s1`: capture point `veth0` must be NODE:IFACE"),
        "{e}"
    );
    let e = err(&lab_with(&[PAIR], r#"{"mars:veth0": null}"#));
    assert!(
        e.contains("capture point `mars:veth0`: unknown node `mars`"),
        "{e}"
    );
    // The device must exist at the first traffic, not only later.
    let e = err(&lab_with(
        &[
            r#"{"ping": "10.0.0.2", "from": "host", "result": "fail"}"#,
            PAIR,
        ],
        r#"{"host:veth0": null}"#,
    ));
    assert!(
        e.contains("capture point `host:veth0`: no interface `veth0` in host"),
        "{e}"
    );
    assert!(
        e.starts_with(&format!("{P}:4:44: ")),
        "at the capture key: {e}"
    );
}

#[test]
fn a_capture_with_an_id_needs_its_fixture() {
    let e = err(&lab_with(&[PAIR], r#"{"host:veth0": "O1.1"}"#));
    assert!(
        e.starts_with(&format!("{P}:4:44: "))
            && e.contains("/nonexistent/labs/t/fixtures/s1/host-veth0.txt is missing")
            && e.contains(&format!("`vethlab run {P} --bless`")),
        "{e}"
    );
}

#[test]
fn cni_and_daemon_mistakes() {
    let cni = |c: &str, conf: &str| {
        format!(
            r#"{{"cni": "{c}", "node": "host", "netns": "pod", "ifname": "eth0", "config": {conf}}}"#
        )
    };
    load(&lab(&[
        &cni("ADD", r#"{"type": "bridge", "name": "n"}"#),
        r#"{"expect": "link", "node": "host", "dev": "cni0"}"#,
    ]))
    .unwrap();
    assert!(
        err(&lab(&[&cni("UP", r#"{"type": "bridge", "name": "n"}"#)]))
            .contains("cni: `UP` is not a CNI command (ADD, CHECK, DEL)")
    );
    assert!(err(&lab(&[&cni("ADD", r#"{"name": "n"}"#)])).contains("the config needs a \"type\""));
    assert!(err(&lab(&[&cni("ADD", r#"{"type": "ptp"}"#)]))
        .contains("the config needs a network \"name\""));
    // After DEL, the pod's interface is gone.
    let e = err(&lab(&[
        &cni("ADD", r#"{"type": "ptp", "name": "n"}"#),
        &cni("DEL", r#"{"type": "ptp", "name": "n"}"#),
        r#"{"expect": "link", "node": "pod", "dev": "eth0"}"#,
    ]));
    assert!(e.contains("no interface `eth0` in pod"), "{e}");
    let e = err(&lab(&[
        r#"{"daemon": "frr", "node": "host", "config": []}"#,
    ]));
    assert!(
        e.contains("daemon: `frr` is not one vethlab runs (supported: bird)"),
        "{e}"
    );
    let e = err(&lab(&[r#"{"tcpdump": "-i any"}"#]));
    assert!(e.ends_with("expected an ip command (a string), or an object with `ping`, `udp`, `expect`, `cni`, `daemon` or `answer`"), "{e}");
}

#[test]
fn validation_refuses_names_and_keys_that_leave_the_lab() {
    let e = err(&lab(&[r#""sysctl -w kernel.hostname=x""#]));
    assert!(e.starts_with(&format!("{P}:5:4: ")), "{e}");
    assert!(e.contains("not a `net.*` key"), "{e}");
    let e = err("{\"lab\": \"../t\", \"title\": \"T\", \"nodes\": [\"a\"], \"steps\": []}");
    assert!(e.starts_with(&format!("{P}:1:9: lab name \"../t\"")), "{e}");
    let e = err(&lab(&[
        r#"{"cni": "ADD", "node": "host", "netns": "pod", "ifname": "eth0", "config": {"type": "../../bin/sh", "name": "n"}}"#,
    ]));
    assert!(e.contains("CNI plugin `../../bin/sh`"), "{e}");
    let e = err(&lab(&[
        r#"{"cni": "ADD", "node": "host", "netns": "pod", "ifname": "eth0", "config": {"type": "dhcp", "name": "n"}}"#,
    ]));
    assert!(
        e.contains("CNI `dhcp` hands the pod's namespace to a DHCP daemon"),
        "{e}"
    );
    let e = err(&lab(&[
        r#"{"daemon": "bird", "node": "host", "config": ["include \"/etc/shadow\";"]}"#,
    ]));
    assert!(e.contains("`include` reads files outside the lab"), "{e}");
    let e = err(&lab(&[r#""ip netns exec ../x ip link set lo up""#]));
    assert!(e.contains("`..` in a command"), "{e}");
    let e = err(&lab(&[
        r#"{"expect": "link", "node": "host", "dev": "a/b"}"#,
    ]));
    assert!(e.contains("interface name `a/b` contains `/`"), "{e}");
}

#[test]
fn within_ms_limits_hold_at_both_ends() {
    let w = |ms: u64| {
        load(&lab(&[&format!(
            r#"{{"expect": "links", "node": "host", "names": ["lo"], "within_ms": {ms}}}"#
        )]))
    };
    w(limits::WITHIN_MS.0).unwrap();
    w(limits::WITHIN_MS.1).unwrap();
    w(limits::WITHIN_MS.1 + 1).unwrap_err();
}

/// `"find": true` hides the cause behind the step's traffic: a step with no
/// traffic to name instead is refused where the step starts.
#[test]
fn a_find_step_needs_traffic() {
    let with = |items: &[&str]| {
        lab_with(items, "{}").replace("\"capture\": {}", "\"capture\": {}, \"find\": true")
    };
    let expect = r#"{"expect": "link", "node": "host", "dev": "lo", "state": "UNKNOWN"}"#;
    let e = err(&with(&[PAIR, expect]));
    assert!(e.contains("`find` needs a ping or udp"), "{e}");
    assert!(e.starts_with(&format!("{P}:4:")), "{e}");
    let l = load(&with(&[PAIR, PING])).unwrap_or_else(|e| panic!("{e}"));
    assert!(l.steps[0].find);
    assert!(
        !load(&lab(&[PAIR, PING]))
            .unwrap_or_else(|e| panic!("{e}"))
            .steps[0]
            .find
    );
}
