//! IPv6 in lab files: what loads, and each mistake at its FILE:LINE:COL.

use super::load_tests::{err, lab, load, P, PAIR, PING};

#[test]
fn ipv6_in_commands_and_expectations_loads_and_its_mistakes_are_located() {
    load(&lab(&[
        PAIR,
        r#""ip netns exec pod ip -6 addr add 2001:db8::2/64 dev eth0""#,
        r#""ip -6 route add default via 2001:db8::2 dev veth0""#,
        r#"{"ping": "2001:db8::2", "from": "host"}"#,
        r#"{"expect": "addr", "node": "pod", "dev": "eth0", "exactly": ["2001:db8::2/64", "{pod.eth0.ll6}/64"]}"#,
        r#"{"expect": "routes", "node": "host", "family": "inet6", "has": ["default via 2001:db8::2 dev veth0"]}"#,
        r#"{"expect": "neigh", "node": "host", "dev": "veth0", "ip": "2001:db8::2", "state": ["REACHABLE"]}"#,
    ]))
    .unwrap();
    let e = err(&lab(&[
        PAIR,
        PING,
        r#"{"expect": "routes", "node": "host", "has": ["2001:db8::/64 dev veth0"]}"#,
    ]));
    assert!(
        e.starts_with(&format!("{P}:7:4: step `s1`, item 3: expect routes of host have `2001:db8::/64 dev veth0`: `2001:db8::/64 dev veth0` is an IPv6 route: add `\"family\": \"inet6\"`")),
        "{e}"
    );
    let e = err(&lab(&[
        PAIR,
        r#"{"expect": "addr", "node": "pod", "dev": "eth0", "family": "inet", "exactly": ["2001:db8::2/64"]}"#,
    ]));
    assert!(e.contains("item 2: expect eth0 in pod holds 2001:db8::2/64: `2001:db8::2/64` is an IPv6 address but `family` is `inet`"), "{e}");
    // A placeholder names a node and device that must exist there, as `dev` must.
    let e = err(&lab(&[
        PAIR,
        r#"{"expect": "addr", "node": "pod", "dev": "eth0", "exactly": ["{nobody.eth0.ll6}/64"]}"#,
    ]));
    assert!(
        e.starts_with(&format!(
            "{P}:6:4: step `s1`, item 2: unknown node `nobody`"
        )),
        "{e}"
    );
    let e = err(&lab(&[
        PAIR,
        r#"{"expect": "neigh", "node": "host", "dev": "veth0", "ip": "{pod.eth9.ll6}", "state": ["REACHABLE"]}"#,
    ]));
    assert!(e.contains("no interface `eth9` in pod"), "{e}");
    let e = err(&lab(&[
        PAIR,
        r#""ip -6 neigh add 2001:db8::2 lladdr 02:00:00:00:00:01 dev veth0""#,
    ]));
    assert!(
        e.starts_with(&format!("{P}:6:4: ")) && e.contains("learnt by NDP"),
        "{e}"
    );
}
