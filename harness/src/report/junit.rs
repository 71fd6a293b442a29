//! JUnit XML for CI reporters: a `<testsuite>` per lab, a `<testcase>` per
//! step (classname = lab, name = step), the observation ids as properties,
//! skips with their reason, failures with what differed. Pure: reports in,
//! text out.

use crate::report::{Outcome, Status, StepReport};
use std::fmt::Write;

/// The whole document for `reports` (in run order; labs keep first-seen order).
pub fn document(reports: &[StepReport], hostname: &str) -> String {
    let mut labs: Vec<&str> = vec![];
    for r in reports {
        if !labs.contains(&r.lab.as_str()) {
            labs.push(&r.lab);
        }
    }
    let count =
        |rs: &[&StepReport], f: fn(&Status) -> bool| rs.iter().filter(|r| f(&r.status)).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"vethlab\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" time=\"{}\">",
        reports.len(),
        reports.iter().filter(|r| r.status == Status::Fail).count(),
        reports
            .iter()
            .filter(|r| matches!(r.status, Status::Skip(_)))
            .count(),
        secs(reports.iter().map(|r| r.ms).sum())
    );
    for lab in labs {
        let rs: Vec<&StepReport> = reports.iter().filter(|r| r.lab == lab).collect();
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{}\" hostname=\"{}\">",
            esc(lab),
            rs.len(),
            count(&rs, |st| *st == Status::Fail),
            count(&rs, |st| matches!(st, Status::Skip(_))),
            secs(rs.iter().map(|r| r.ms).sum()),
            esc(hostname)
        );
        for r in rs {
            case(&mut s, r);
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s
}

fn case(s: &mut String, r: &StepReport) {
    let _ = writeln!(
        s,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{}\">",
        esc(&r.lab),
        esc(&r.step),
        secs(r.ms)
    );
    if !r.ids.is_empty() {
        s.push_str("      <properties>\n");
        for id in &r.ids {
            let _ = writeln!(
                s,
                "        <property name=\"observation {}\" value=\"{}\"/>",
                esc(id),
                r.id_result(id)
            );
        }
        s.push_str("      </properties>\n");
    }
    match &r.status {
        Status::Pass => {}
        Status::Skip(why) => {
            let _ = writeln!(s, "      <skipped message=\"{}\"/>", esc(why));
        }
        Status::Fail => {
            let first = r
                .checks
                .iter()
                .find_map(|c| match &c.outcome {
                    Outcome::Fail(d) => Some(format!("{}: {}", c.what, first_line(d))),
                    Outcome::Pass(_) => None,
                })
                .or_else(|| r.error.clone())
                .unwrap_or_else(|| "failed".into());
            let _ = writeln!(
                s,
                "      <failure message=\"{}\" type=\"assertion\">{}</failure>",
                esc(&first),
                esc(&r.text(false))
            );
        }
    }
    s.push_str("    </testcase>\n");
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn secs(ms: u128) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// XML-escaped, with characters XML 1.0 cannot hold (control characters a
/// lab file may carry) written as `\u{..}`.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\n' | '\t' | '\r' => o.push(c),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(o, "\\u{{{:x}}}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::CheckResult;

    fn rep(lab: &str, step: &str, status: Status) -> StepReport {
        StepReport {
            lab: lab.into(),
            step: step.into(),
            title: "t".into(),
            ids: vec!["O4.2".into()],
            checks: vec![CheckResult {
                id: Some("O4.2".into()),
                what: "ping 192.168.122.102 from host fails".into(),
                outcome: if status == Status::Fail {
                    Outcome::Fail("1 sent, 1 received\nmore".into())
                } else {
                    Outcome::Pass("ok".into())
                },
            }],
            status,
            error: None,
            ms: 1234,
            captures: vec![],
            hint: None,
        }
    }

    #[test]
    fn suites_cases_skips_failures() {
        let doc = document(
            &[
                rep("bridge-arp", "veth-works", Status::Pass),
                rep("bridge-arp", "veth-in-bridge", Status::Fail),
                rep(
                    "calico",
                    "cross-node-ipip",
                    Status::Skip("needs ipip: `sudo modprobe ipip`".into()),
                ),
            ],
            "h",
        );
        assert!(
            doc.contains(
                r#"<testsuites name="vethlab" tests="3" failures="1" skipped="1" time="3.702">"#
            ),
            "{doc}"
        );
        assert!(doc.contains(
            r#"<testsuite name="bridge-arp" tests="2" failures="1" errors="0" skipped="0""#
        ));
        assert!(
            doc.contains(r#"<testcase classname="calico" name="cross-node-ipip" time="1.234">"#)
        );
        assert!(doc.contains(r#"<skipped message="needs ipip: `sudo modprobe ipip`"/>"#));
        assert!(doc.contains(
            r#"<failure message="ping 192.168.122.102 from host fails: 1 sent, 1 received""#
        ));
        assert!(doc.contains(r#"<property name="observation O4.2" value="fail"/>"#));
        assert_eq!(doc.matches("<testcase ").count(), 3);
        assert_eq!(doc.matches("</testsuite>").count(), 2);
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(esc("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(esc("x\u{1b}[31my"), "x\\u{1b}[31my");
        assert_eq!(esc("l1\nl2"), "l1\nl2");
    }
}
