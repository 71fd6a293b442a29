//! Article transcripts: parsing with context, each normalization, and the
//! line-by-line account of a difference.

use crate::check::transcript::{
    compare, needs_no_fallback, normalize, parse, requires, Norm, Where,
};

fn v(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_new_section_starts_afresh() {
    let t = "= a.txt, one\n@ finished n1\n~ ws -- tabs\n$ x\nout\n= b.txt, two\n@ step 3 n2\n$ y\n";
    let es = parse(t).unwrap();
    assert_eq!(es.len(), 2);
    assert_eq!(es[0].norms.len(), 1);
    assert!(
        es[1].norms.is_empty(),
        "norms do not leak into the next section"
    );
    assert_eq!(
        es[1].at,
        Where {
            step: Some(3),
            node: "n2".into()
        }
    );
    assert_eq!(es[1].source, "b.txt, two");
    assert_eq!(es[1].line, 8);
    assert!(es[1].expected.is_empty());
}

#[test]
fn a_new_section_needs_its_own_place() {
    let e = parse("= a, s\n@ finished n\n$ x\n= b, s\n$ y\n").unwrap_err();
    assert_eq!(e.line, 5);
    assert!(e.msg.contains("before any `@ finished|step N NODE`"), "{e}");
    assert_eq!(e.to_string(), format!("line 5: {}", e.msg));
}

#[test]
fn output_lines_keep_inner_blanks_but_not_trailing_ones() {
    let es = parse("= a, s\n@ finished n\n$ x\none\n\ntwo\n\n\n# note\n$ y\n").unwrap();
    assert_eq!(es[0].expected, v(&["one", "", "two"]));
    // `@` and `~` close the output of the entry before.
    let e = parse("= a, s\n@ finished n\n$ x\none\n@ finished m\nstray\n").unwrap_err();
    assert_eq!(e.line, 6);
}

#[test]
fn bad_places_and_normalizations() {
    for (t, line, what) in [
        ("= a, s\n@ step 0 n\n", 2, "`0` is not a step number"),
        ("= a, s\n@ step x n\n", 2, "`x` is not a step number"),
        (
            "= a, s\n@ finished\n",
            2,
            "write `@ finished NODE` or `@ step N NODE`",
        ),
        (
            "= a, s\n@ finished n\n~ ws --   \n",
            3,
            "needs its reason after ` -- `",
        ),
        (
            "= a, s\n@ finished n\n~ replace a b -- why\n",
            3,
            "write `replace OLD => NEW -- reason`",
        ),
        (
            "= a, s\n@ finished n\n~ sort -- why\n",
            3,
            "unknown normalization",
        ),
    ] {
        let e = parse(t).unwrap_err();
        assert_eq!(e.line, line, "{t}");
        assert!(e.msg.contains(what), "{t}: {e}");
    }
}

#[test]
fn every_normalization_kind_parses() {
    let t = "= a, s\n@ finished n\n~ ws -- 1\n~ counters -- 2\n~ netns -- 4\n~ drop  x* -- 5\n~ mask y* -- 6\n~ replace a => b -- 7\n$ c\n";
    let n: Vec<Norm> = parse(t).unwrap()[0]
        .norms
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(
        n,
        vec![
            Norm::Ws,
            Norm::Counters,
            Norm::Netns,
            Norm::Drop("x*".into()),
            Norm::Mask("y*".into()),
            Norm::Replace("a".into(), "b".into())
        ]
    );
}

#[test]
fn ws_collapses_blanks_and_drops_empty_lines() {
    assert_eq!(
        normalize(&v(&["a \t b  ", "   ", "c"]), &[(Norm::Ws, String::new())]),
        v(&["a b", "c"])
    );
    // Without it, only trailing blanks go.
    assert_eq!(normalize(&v(&["a  b  ", ""]), &[]), v(&["a  b", ""]));
}

#[test]
fn counters_become_n_only_on_rx_tx_lines() {
    let n = normalize(
        &v(&[
            "        RX packets 32  bytes 2306 (2.2 KiB)",
            "        RX errors 0  dropped 0  overruns 0  frame 0",
            "inet 10.1.1.1  netmask 255.0.0.0",
        ]),
        &[(Norm::Counters, String::new())],
    );
    assert_eq!(
        n,
        v(&[
            "        RX packets N  bytes N (N)",
            "        RX errors N  dropped N  overruns N  frame N",
            "inet 10.1.1.1  netmask 255.0.0.0"
        ])
    );
}

/// IPv6 is on in the labs: `~ ipv6` no longer hides the articles' inet6
/// lines, and a transcript that still says it is told what to do instead.
#[test]
fn ipv6_is_no_longer_a_normalization() {
    let e = parse("= a, s\n@ finished n\n~ ipv6 -- off\n$ ip a\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(
        e.msg.contains("IPv6 on") && e.msg.contains("drop GLOB"),
        "{}",
        e.msg
    );
}

#[test]
fn netns_name_and_id_read_the_same() {
    let n = &[(Norm::Netns, String::new())];
    assert_eq!(
        normalize(&v(&["    link/ether x link-netnsid 0"]), n),
        v(&["    link/ether x link-netns*"])
    );
    assert_eq!(
        normalize(&v(&["    link/ether x link-netns pod1 extra"]), n),
        v(&["    link/ether x link-netns* extra"])
    );
    assert_eq!(normalize(&v(&["no netns here"]), n), v(&["no netns here"]));
}

#[test]
fn compare_accounts_line_by_line_with_the_normalizations() {
    let es = parse("= 002.txt, peers\n@ finished h\n~ replace qlen 1000 => -- newer iproute2\n$ ip link\na\nb qlen 1000\n").unwrap();
    assert_eq!(compare(&es[0], &v(&["a", "b "])), Ok(()));
    let e = compare(&es[0], &v(&["a", "c", "d"])).unwrap_err();
    assert!(
        e.starts_with("`$ ip link` (002.txt, peers) differs from the article:\n"),
        "{e}"
    );
    assert!(e.contains("    article: a\n    lab:     a\n"), "{e}");
    assert!(e.contains("  ✗ article: b\n  ✗ lab:     c\n"), "{e}");
    assert!(
        e.contains("  ✗ article: (nothing)\n  ✗ lab:     d\n"),
        "{e}"
    );
    assert!(
        e.contains("  normalizations:\n    Replace(\"qlen 1000\", \"\"): newer iproute2\n"),
        "{e}"
    );
}

#[test]
fn requires_and_no_fallback_lines() {
    assert_eq!(
        requires("? requires ipip vxlan -- tunnels\n? requires gre\n$ x\n"),
        v(&["ipip", "vxlan", "gre"])
    );
    assert!(requires("# ? requires ipip\n").is_empty());
    assert!(!needs_no_fallback("#? no-fallback\n"));
    // `?` lines are comments to the parser.
    assert_eq!(
        parse("? requires ipip -- t\n= a, s\n@ finished n\n$ x\n")
            .unwrap()
            .len(),
        1
    );
}
