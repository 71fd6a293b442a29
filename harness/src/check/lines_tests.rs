//! Placeholders, globs and ordered matching of captured lines.

use crate::check::fake::{link, Fake};
use crate::check::lines::{glob, match_lines, resolve};
use crate::lab::fixture::placeholders;
use crate::lab::fixture::FixtureLine;

fn fl(n: usize, text: &str) -> (FixtureLine, String) {
    let (never, body) = match text.strip_prefix('!') {
        Some(b) => (true, b.to_string()),
        None => (false, text.to_string()),
    };
    (
        FixtureLine {
            line_no: n,
            text: body.clone(),
            never,
        },
        body,
    )
}

fn caps(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn placeholders_with_their_columns() {
    assert_eq!(
        placeholders("ARP, Reply 10.0.0.2 is-at {b.eth0.mac}, id {a.x.ifindex}"),
        Ok(vec![(26, "b.eth0.mac"), (43, "a.x.ifindex")])
    );
    assert_eq!(placeholders("no braces"), Ok(vec![]));
    assert_eq!(placeholders("{}"), Ok(vec![(0, "")]));
}

#[test]
fn unclosed_placeholder_gives_its_column() {
    assert_eq!(placeholders("abc {x.y.mac"), Err(4));
    assert_eq!(placeholders("{a} and {b"), Err(8));
}

fn state() -> Fake {
    let mut f = Fake::new().with_link("pod", link(3, "eth0", Some("veth")));
    f.node("pod").links[1].mac = Some([0xf2, 0x05, 0xc3, 0x82, 0xae, 0x5e]);
    f
}

#[test]
fn resolve_fills_mac_and_ifindex() {
    assert_eq!(
        resolve(&state(), "is-at {pod.eth0.mac} @if{pod.eth0.ifindex}").unwrap(),
        "is-at f2:05:c3:82:ae:5e @if3"
    );
    // The same placeholder twice is replaced everywhere.
    assert_eq!(
        resolve(&state(), "{pod.eth0.ifindex}-{pod.eth0.ifindex}").unwrap(),
        "3-3"
    );
}

#[test]
fn resolve_leaves_what_is_no_placeholder() {
    // Two parts, or an unknown property: left as written (the fixture loader refuses them).
    assert_eq!(
        resolve(&state(), "{a.b} {pod.eth0.mtu}").unwrap(),
        "{a.b} {pod.eth0.mtu}"
    );
}

#[test]
fn resolve_of_a_missing_device_or_unclosed_brace_errs() {
    let e = resolve(&state(), "x {pod.eth9.mac}")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("placeholder {pod.eth9.mac}: "), "{e}");
    let e = resolve(&state(), "ab {pod").unwrap_err().to_string();
    assert!(e.starts_with("unclosed `{` at column 4"), "{e}");
}

#[test]
fn glob_without_star_is_equality() {
    assert!(glob("abc", "abc"));
    assert!(!glob("abc", "abcd"));
    assert!(!glob("abc", "ab"));
    assert!(glob("", ""));
    assert!(!glob("", "x"));
}

#[test]
fn glob_star_at_ends_and_middle() {
    assert!(glob("*", ""));
    assert!(glob("*", "anything"));
    assert!(glob(
        "ICMP echo request, id *, seq 1",
        "ICMP echo request, id 4711, seq 1"
    ));
    assert!(!glob(
        "ICMP echo request, id *, seq 1",
        "ICMP echo request, id 4711, seq 2"
    ));
    assert!(glob("IP *", "IP 10.0.0.1 > 10.0.0.2"));
    assert!(glob("*length 28", "ARP, Reply x, length 28"));
    assert!(!glob("*length 28", "ARP, Reply x, length 280"));
    assert!(glob("a*b*c", "a--b--c"));
    assert!(!glob("a*b*c", "a--c--b"));
}

#[test]
fn glob_parts_never_overlap() {
    // "a*a" needs two a's, not one shared.
    assert!(!glob("a*a", "a"));
    assert!(glob("a*a", "aa"));
    assert!(!glob("ab*bc", "abc"));
    assert!(glob("ab*bc", "abbc"));
    assert!(!glob("x*y*y", "xy"));
}

#[test]
fn match_lines_in_order_with_others_between() {
    let exp = vec![fl(1, "ARP, Request *"), fl(2, "ARP, Reply *")];
    assert_eq!(
        match_lines(
            &exp,
            &caps(&["IP noise", "ARP, Request who-has", "x", "ARP, Reply is-at"])
        ),
        Ok(())
    );
}

#[test]
fn match_lines_out_of_order_fails_with_an_account() {
    let exp = vec![fl(3, "ARP, Request *"), fl(4, "ARP, Reply *")];
    let e = match_lines(&exp, &caps(&["ARP, Reply is-at", "ARP, Request who-has"])).unwrap_err();
    assert!(e.contains("  ✓ line 3: ARP, Request *"), "{e}");
    assert!(
        e.contains("  ✗ line 4: expected, not captured (in order): ARP, Reply *"),
        "{e}"
    );
    assert!(
        e.contains("captured:\n  ARP, Reply is-at\n  ARP, Request who-has\n"),
        "{e}"
    );
}

#[test]
fn a_line_is_used_once() {
    let exp = vec![fl(1, "ping"), fl(2, "ping")];
    match_lines(&exp, &caps(&["ping"])).unwrap_err();
    match_lines(&exp, &caps(&["ping", "ping"])).unwrap();
}

#[test]
fn never_lines_fail_wherever_they_match() {
    let exp = vec![fl(1, "ARP, Request *"), fl(2, "!IP * ICMP *")];
    match_lines(&exp, &caps(&["ARP, Request who-has"])).unwrap();
    let e = match_lines(
        &exp,
        &caps(&["IP 1 > 2: ICMP echo", "ARP, Request who-has"]),
    )
    .unwrap_err();
    assert!(
        e.contains(
            "✗ line 2: must never appear: IP * ICMP *\n      but captured: IP 1 > 2: ICMP echo"
        ),
        "{e}"
    );
}

#[test]
fn nothing_captured_says_so() {
    let e = match_lines(&[fl(1, "x")], &[]).unwrap_err();
    assert!(e.ends_with("captured:\n  (nothing)\n"), "{e}");
    assert!(e.starts_with("expected (fixture):\n"), "{e}");
}
