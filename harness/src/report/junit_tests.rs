//! JUnit documents: counts, failure messages, and well-formed XML whatever
//! a lab's names say.

use crate::report::junit::{clean, document};
use std::time::Duration;

const W: Duration = Duration::from_millis(7);
use crate::report::tests::{check, rep};
use crate::report::Status;

/// Tags balanced (a stack of open elements), attributes quoted, no stray `<` or `&`.
pub(crate) fn well_formed(doc: &str) -> Result<(), String> {
    let mut stack: Vec<String> = vec![];
    let mut rest = doc;
    while let Some(i) = rest.find(['<', '&']) {
        let after = &rest[i..];
        if after.starts_with('&') {
            let end = after.find(';').ok_or("`&` without `;`")?;
            let ent = &after[1..end];
            if !matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos") && !ent.starts_with('#') {
                return Err(format!("unknown entity &{ent};"));
            }
            rest = &after[end + 1..];
            continue;
        }
        let close = after.find('>').ok_or("`<` without `>`")?;
        let tag = &after[1..close];
        if let Some(n) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == n => {}
                o => return Err(format!("</{n}> closes {o:?}")),
            }
        } else if tag.starts_with('?') || tag.starts_with('!') {
        } else {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':')
                .collect();
            if name.is_empty() {
                return Err(format!("bad tag <{tag}>"));
            }
            if tag.matches('"').count() % 2 != 0 {
                return Err(format!("unbalanced quotes in <{tag}>"));
            }
            // HTML's void elements have no end tag.
            if !tag.ends_with('/')
                && !matches!(
                    name.as_str(),
                    "meta" | "br" | "hr" | "img" | "input" | "link"
                )
            {
                stack.push(name);
            }
        }
        rest = &after[close + 1..];
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[test]
fn the_checker_itself_catches_bad_markup() {
    well_formed("<a><b/></a>").unwrap();
    well_formed("<a><b></a>").unwrap_err();
    well_formed("<a>x < y</a>").unwrap_err();
    well_formed("<a>x & y</a>").unwrap_err();
    well_formed("<a t=\"x></a>").unwrap_err();
}

#[test]
fn an_empty_run_is_an_empty_suite_list() {
    let d = document(&[], "h", W);
    assert!(
        d.contains(r#"<testsuites name="vethlab" tests="0" failures="0" errors="0" time="0.007">"#),
        "{d}"
    );
    assert!(!d.contains("<testsuite "));
    well_formed(&d).unwrap();
}

#[test]
fn the_error_is_the_message_when_no_check_failed() {
    let mut r = rep("s", Status::Fail, &[], vec![check(None, "fine", true, "")]);
    r.error = Some("[host] `ip link add`: File exists\nmore".into());
    let d = document(&[r], "h", W);
    assert!(
        d.contains(r#"<failure message="[host] `ip link add`: File exists"#),
        "{d}"
    );
    let d = document(&[rep("s", Status::Fail, &[], vec![])], "h", W);
    assert!(
        d.contains(r#"<failure message="failed" type="assertion">"#),
        "{d}"
    );
}

#[test]
fn labs_keep_first_seen_order_and_times_add_up() {
    let mut a = rep("a", Status::Pass, &[], vec![]);
    a.lab = "zeta".into();
    a.ms = 1500;
    let mut b = rep("b", Status::Pass, &[], vec![]);
    b.ms = 2;
    let mut c = rep("c", Status::Pass, &[], vec![]);
    c.lab = "zeta".into();
    c.ms = 1;
    let d = document(&[a, b, c], "h", Duration::from_millis(1502));
    let z = d
        .find(
            r#"<testsuite name="zeta" tests="2" skipped="0" errors="0" failures="0" time="1.501""#,
        )
        .unwrap();
    let br = d.find(r#"<testsuite name="bridge-arp" tests="1""#).unwrap();
    assert!(z < br, "{d}");
    // The total is the run's wall time (labs run in parallel), not the sum.
    assert!(d.contains(r#"errors="0" time="1.502">"#), "{d}");
}

#[test]
fn hostile_names_stay_well_formed() {
    let mut r = rep(
        "s\"><script>&",
        Status::Fail,
        &["O<1>"],
        vec![check(Some("O<1>"), "a & b \u{1} <c>", false, "d\"e")],
    );
    r.lab = "l'\u{7f}".into();
    r.title = "</testcase>".into();
    let mut s = rep("t", Status::Skip("because <x> & \"y\"".into()), &[], vec![]);
    s.lab = "l'\u{7f}".into();
    let d = document(&[r, s], "host<>&", W);
    well_formed(&d).unwrap_or_else(|e| panic!("{e}\n{d}"));
    assert!(!d.contains("<script>"), "{d}");
    assert!(!d.contains('\u{1}') && !d.contains('\u{7f}'));
    assert!(d.contains(r#"hostname="host&lt;&gt;&amp;""#), "{d}");
}

#[test]
fn clean_keeps_text_and_xml_legal_whitespace() {
    assert_eq!(clean("plain ✓"), "plain ✓");
    assert_eq!(clean("a\tb\r\n"), "a\tb\r\n");
    assert_eq!(clean("\u{0}\u{ffff}"), "\\u{0}\\u{ffff}");
}
