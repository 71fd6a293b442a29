//! Value positions by JSON pointer, and bless's fixtures.

use crate::lab::bless::{diff, fixture, line, IfaceMac};
use crate::lab::spans::{token, Spans};

#[test]
fn pointer_tokens_escape_tilde_and_slash() {
    assert_eq!(token("a/b~c"), "a~1b~0c");
    assert_eq!(token("plain"), "plain");
    // `~1` written literally must not come back as `/`.
    assert_eq!(token("~1"), "~01");
}

#[test]
fn line_col_of_offsets() {
    let s = Spans::scan("{\n  \"a\": 1,\n  \"b\": [true, null]\n}");
    assert_eq!(s.line_col(0), (1, 1));
    assert_eq!(s.line_col(s.value("/a").unwrap()), (2, 8));
    assert_eq!(s.line_col(s.value("/b/1").unwrap()), (3, 15));
    assert_eq!(s.line_col(s.key("/b").unwrap()), (3, 3));
    assert_eq!(s.value(""), Some(0));
}

#[test]
fn array_items_have_no_key_and_out_of_range_is_none() {
    let s = Spans::scan("[10, [20, 30]]");
    assert_eq!(s.value("/1/1"), Some(10));
    assert_eq!(s.key("/1/1"), None);
    assert_eq!(s.value("/2"), None);
    assert_eq!(s.value("/x"), None);
    assert_eq!(s.value("/0/0"), None, "a scalar has no members");
    assert_eq!(s.value("no-slash"), None);
}

#[test]
fn text_of_a_value_and_duplicate_keys_take_the_last() {
    let t = r#"{"k": 1, "o": {"x": "a,b"}, "k": [2]}"#;
    let s = Spans::scan(t);
    assert_eq!(s.text_of("/o").map(|x| x.1), Some(r#"{"x": "a,b"}"#));
    assert_eq!(s.text_of("/o/x").map(|x| x.1), Some(r#""a,b""#));
    // serde_json keeps the last of duplicate keys: so does the scan.
    assert_eq!(s.text_of("/k").map(|x| x.1), Some("[2]"));
}

#[test]
fn a_string_value_that_looks_like_a_key_fools_nothing() {
    let t = "{\"lab\": \"steps\", \"x\": \"\\\"steps\\\": [\", \"steps\": [1]}";
    let s = Spans::scan(t);
    assert_eq!(s.text_of("/steps").map(|x| x.1), Some("[1]"));
    assert_eq!(s.text_of("/x").map(|x| x.1), Some("\"\\\"steps\\\": [\""));
}

#[test]
fn malformed_text_keeps_what_came_before() {
    // Every truncation of a document: no panic, and a member complete
    // before the cut is still found where it is.
    let t = r#"{"a": [1, 2], "b": [3, {"c": "d"}]}"#;
    for n in 0..t.len() {
        let s = Spans::scan(&t[..n]);
        if n > t.find(']').unwrap() {
            assert_eq!(s.value("/a/1"), Some(10), "cut at {n}");
            assert_eq!(s.text_of("/a").map(|x| x.1), Some("[1, 2]"), "cut at {n}");
        }
        assert_eq!(
            s.text_of(""),
            None,
            "an unfinished document has no end (cut at {n})"
        );
    }
    assert_eq!(Spans::scan(t).text_of("").map(|x| x.1), Some(t));
}

#[test]
fn start_of_finds_the_innermost_value() {
    let t = r#"{"a": {"bb": [1, 22]}}"#;
    let s = Spans::scan(t);
    let two = t.find("22").unwrap();
    assert_eq!(s.start_of(two + 1), two);
    assert_eq!(s.start_of(t.find('[').unwrap()), t.find('[').unwrap());
    // The `,` between items belongs to the array.
    assert_eq!(s.start_of(t.find(',').unwrap()), t.find('[').unwrap());
}

#[test]
fn absolute_maps_serde_positions_of_a_value_text() {
    let t = "{\"a\":\n  {\"x\": 1,\n   \"y\": oops}}";
    let s = Spans::scan(t);
    let (base, _) = s.text_of("/a").unwrap_or((s.value("/a").unwrap(), ""));
    // serde's line 2, column 9 of the value's own text is `oops`: line 3, column 9 of the file.
    let off = s.absolute(base, 2, 9);
    assert_eq!(s.line_col(off), (3, 9));
    assert_eq!(s.absolute(base, 1, 1), base);
}

fn macs() -> Vec<IfaceMac> {
    let m = |n: &str, i: &str, mac: &str| IfaceMac {
        node: n.into(),
        iface: i.into(),
        mac: mac.into(),
    };
    vec![
        m("pod1", "eth0", "ee:ee:ee:ee:ee:ee"),
        m("pod2", "eth0", "ee:ee:ee:ee:ee:ee"),
        m("node", "cali1", "02:00:00:00:00:01"),
        m("node", "dummy", ""),
    ]
}

#[test]
fn a_shared_mac_is_named_by_the_first_holder() {
    assert_eq!(
        line(
            "ARP, Reply 169.254.1.1 is-at ee:ee:ee:ee:ee:ee, length 28",
            &macs()
        ),
        "ARP, Reply 169.254.1.1 is-at {pod1.eth0.mac}, length 28"
    );
    assert_eq!(
        line(
            "ARP, Request who-has 10.0.0.1 (02:00:00:00:00:01) tell 10.0.0.2",
            &macs()
        ),
        "ARP, Request who-has 10.0.0.1 ({node.cali1.mac}) tell 10.0.0.2"
    );
}

#[test]
fn only_echo_ids_become_stars() {
    assert_eq!(
        line("IP a > b: ICMP echo reply, id 7, seq 1, length 64", &[]),
        "IP a > b: ICMP echo reply, id *, seq 1, length 64"
    );
    // Not an echo: the id stays.
    assert_eq!(
        line("IP a > b: UDP, id 7, length 3", &[]),
        "IP a > b: UDP, id 7, length 3"
    );
    // An id that is no number stays.
    assert_eq!(
        line("IP a > b: ICMP echo request, id x", &[]),
        "IP a > b: ICMP echo request, id x"
    );
}

#[test]
fn a_blessed_fixture_has_its_header_and_one_line_each() {
    let t = fixture(
        "pod1",
        "eth0",
        "s1",
        &["a".into(), "ARP, Reply is-at ee:ee:ee:ee:ee:ee".into()],
        &macs(),
    );
    let lines: Vec<&str> = t.lines().collect();
    assert!(
        lines[0].starts_with("# tcpdump -n -i eth0 in pod1, step s1"),
        "{t}"
    );
    assert!(lines[1].starts_with('#'));
    assert_eq!(&lines[2..], ["a", "ARP, Reply is-at {pod1.eth0.mac}"]);
    assert!(t.ends_with('\n'));
}

#[test]
fn diff_ignores_comments_and_blank_lines() {
    assert!(diff("# a\nX\n\n", "# b\n\nX\n").is_empty());
    assert_eq!(diff("", "N\n"), vec!["+ N".to_string()]);
    assert_eq!(diff("O\n", ""), vec!["- O".to_string()]);
}
