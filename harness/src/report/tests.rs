//! Step reports: per-observation results, the text people read, JSON, and
//! the closing summary.

use crate::lab::{CapturePoint, Lab, Step};
use crate::report::{
    json_report, summary, CaptureReport, CheckResult, Outcome, Status, StepReport,
};
use serde_json::json;

pub(crate) fn check(id: Option<&str>, what: &str, pass: bool, detail: &str) -> CheckResult {
    CheckResult {
        id: id.map(str::to_string),
        what: what.into(),
        outcome: if pass {
            Outcome::Pass(detail.into())
        } else {
            Outcome::Fail(detail.into())
        },
    }
}

pub(crate) fn rep(
    step: &str,
    status: Status,
    ids: &[&str],
    checks: Vec<CheckResult>,
) -> StepReport {
    StepReport {
        lab: "bridge-arp".into(),
        step: step.into(),
        title: "the title".into(),
        ids: ids.iter().map(|s| s.to_string()).collect(),
        status,
        checks,
        error: None,
        ms: 12,
        captures: vec![],
        hint: None,
    }
}

#[test]
fn id_result_passes_only_with_every_check_passing() {
    let r = rep(
        "s",
        Status::Pass,
        &["O1", "O2", "O3"],
        vec![
            check(Some("O1"), "a", true, ""),
            check(Some("O2"), "b", true, ""),
            check(Some("O2"), "c", false, ""),
        ],
    );
    assert_eq!(r.id_result("O1"), "pass");
    assert_eq!(r.id_result("O2"), "fail");
    // An id no check asserted did not pass.
    assert_eq!(r.id_result("O3"), "fail");
}

#[test]
fn id_result_of_a_skipped_step_or_with_an_error() {
    let r = rep(
        "s",
        Status::Skip("no ipip".into()),
        &["O1"],
        vec![check(Some("O1"), "a", true, "")],
    );
    assert_eq!(r.id_result("O1"), "skip");
    let mut r = rep(
        "s",
        Status::Fail,
        &["O1"],
        vec![check(Some("O1"), "a", true, "")],
    );
    r.error = Some("netlink said no".into());
    assert_eq!(r.id_result("O1"), "fail");
}

#[test]
fn summary_counts_and_line() {
    let rs = vec![
        rep("a", Status::Pass, &[], vec![]),
        rep("b", Status::Fail, &[], vec![]),
        rep("c", Status::Skip("x".into()), &[], vec![]),
        rep("d", Status::Pass, &[], vec![]),
    ];
    assert_eq!(
        summary(&rs),
        (2, 1, 1, "2 passed, 1 failed, 1 skipped".to_string())
    );
    assert_eq!(summary(&[]).3, "0 passed, 0 failed, 0 skipped");
}

#[test]
fn json_report_merges_an_id_over_steps() {
    let pass =
        |s: &str, id: &str| rep(s, Status::Pass, &[id], vec![check(Some(id), "w", true, "")]);
    let fail = |s: &str, id: &str| {
        rep(
            s,
            Status::Fail,
            &[id],
            vec![check(Some(id), "w", false, "")],
        )
    };
    let skip = |s: &str, id: &str| rep(s, Status::Skip("k".into()), &[id], vec![]);
    let j = json_report(&[
        pass("1", "A"),
        pass("2", "A"),
        pass("3", "B"),
        fail("4", "B"),
        pass("5", "B"),
        skip("6", "C"),
        skip("7", "C"),
        pass("8", "D"),
        skip("9", "D"),
        skip("10", "E"),
        fail("11", "E"),
    ]);
    assert_eq!(
        j["observations"],
        json!({"A": "pass", "B": "fail", "C": "skip", "D": "partial", "E": "fail"})
    );
    assert_eq!(
        j["summary"],
        json!({"passed": 5, "failed": 2, "skipped": 4})
    );
    assert_eq!(j["steps"].as_array().map(Vec::len), Some(11));
    assert_eq!(j["version"], json!(1), "the schema version is written");
}

#[test]
fn step_json_fields() {
    let mut r = rep(
        "s",
        Status::Fail,
        &["O4.2"],
        vec![check(Some("O4.2"), "ping fails", false, "1 received")],
    );
    r.error = Some("boom".into());
    r.captures.push(CaptureReport {
        at: "host:veth0".into(),
        linktype: 1,
        frames: vec![crate::report::Shown {
            frame: crate::capture::frame::Frame {
                ts_us: 0,
                data: vec![],
                len: 0,
            },
            lines: vec!["ARP, x".into()],
        }],
    });
    let j = r.json();
    assert_eq!(j["status"], "fail");
    assert_eq!(j["reason"], "boom");
    assert_eq!(j["time_ms"], 12);
    assert_eq!(j["observations"], json!([{"id": "O4.2", "result": "fail"}]));
    assert_eq!(
        j["checks"],
        json!([{"id": "O4.2", "what": "ping fails", "result": "fail", "detail": "1 received"}])
    );
    assert_eq!(
        j["captures"],
        json!([{"at": "host:veth0", "lines": ["ARP, x"]}])
    );
    let s = rep("s", Status::Skip("needs vxlan".into()), &[], vec![]).json();
    assert_eq!(
        (s["status"].as_str(), s["reason"].as_str()),
        (Some("skip"), Some("needs vxlan"))
    );
    let p = rep("s", Status::Pass, &[], vec![]).json();
    assert!(p["reason"].is_null());
}

#[test]
fn text_shows_failures_in_detail_and_passes_in_one_line() {
    let r = rep(
        "s",
        Status::Fail,
        &["O1", "O2"],
        vec![
            check(Some("O1"), "ok thing", true, "hidden detail"),
            check(None, "bad thing", false, "line one\nline two"),
        ],
    );
    let t = r.text(false);
    assert!(
        t.starts_with("FAIL  bridge-arp/s  [O1 O2]  12 ms\n      the title\n"),
        "{t}"
    );
    assert!(t.contains("  ✓ O1     ok thing\n"), "{t}");
    assert!(!t.contains("hidden detail"), "{t}");
    assert!(
        t.contains("  ✗ -      bad thing\n             line one\n             line two\n"),
        "{t}"
    );
    assert!(r.text(true).contains("hidden detail"));
}

#[test]
fn text_hint_only_on_failure_and_captures_only_verbose() {
    let mut r = rep("s", Status::Fail, &[], vec![]);
    r.hint = Some("is the bridge up?".into());
    r.error = Some("e1\ne2".into());
    r.captures.push(CaptureReport {
        at: "host:br0".into(),
        linktype: 1,
        frames: vec![crate::report::Shown {
            frame: crate::capture::frame::Frame {
                ts_us: 0,
                data: vec![],
                len: 0,
            },
            lines: vec!["ARP, y".into()],
        }],
    });
    let t = r.text(false);
    assert!(
        t.contains("  ✗ error: e1\n  ✗ error: e2\n  hint: is the bridge up?\n"),
        "{t}"
    );
    assert!(!t.contains("tcpdump"), "{t}");
    assert!(r
        .text(true)
        .contains("  tcpdump -n -i host:br0:\n      ARP, y\n"));
    r.status = Status::Pass;
    assert!(!r.text(false).contains("hint"));
}

#[test]
fn text_escapes_what_a_lab_file_says() {
    let mut r = rep("s", Status::Skip("why\u{1b}[2J".into()), &[], vec![]);
    r.title = "evil\u{1b}]0;title\u{7}".into();
    let t = r.text(false);
    assert!(!t.contains('\u{1b}') && !t.contains('\u{7}'), "{t:?}");
    assert!(t.contains("SKIP  bridge-arp/s"), "{t}");
    assert!(t.contains("      skipped: why\\u{1b}[2J\n"), "{t}");
}

fn lab_and_step() -> (Lab, Step) {
    let step = Step {
        name: "veth-in-bridge".into(),
        title: "T".into(),
        requires: vec![],
        given: vec![],
        actions: vec![],
        captures: vec![CapturePoint {
            node: "host".into(),
            iface: "veth0".into(),
            id: Some("O4.1".into()),
            fixture: None,
        }],
        task: None,
        hint: Some("h".into()),
        hints: vec!["h".into()],
        find: false,
    };
    let lab = Lab {
        name: "bridge-arp".into(),
        title: "L".into(),
        seeds: vec![],
        path: "/x".into(),
        nodes: vec![],
        ipv6_off: vec![],
        steps: vec![step.clone()],
    };
    (lab, step)
}

#[test]
fn skipped_and_failed_reports_from_a_step() {
    let (lab, step) = lab_and_step();
    let s = StepReport::skipped(&lab, &step, "needs ipip".into());
    assert_eq!(
        (s.lab.as_str(), s.step.as_str(), s.ids.clone()),
        ("bridge-arp", "veth-in-bridge", vec!["O4.1".to_string()])
    );
    assert_eq!(s.status, Status::Skip("needs ipip".into()));
    assert_eq!(s.hint.as_deref(), Some("h"));
    let f = StepReport::failed(&lab, &step, "could not build".into());
    assert_eq!(f.status, Status::Fail);
    assert_eq!(f.error.as_deref(), Some("could not build"));
    assert_eq!(f.id_result("O4.1"), "fail");
}
