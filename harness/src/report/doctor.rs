//! What `vethlab doctor` prints: a paragraph a finding (evidence indented,
//! colour only when asked), or JSON; and its exit status. Every text that
//! came from the system (names, labels, errors) is escaped on a terminal.

use crate::check::doctor::{Finding, Severity, Snapshot};
use crate::report::out::{esc_text, paint};
use serde::Serialize;

/// The JSON document: `findings`, then what could not be read.
#[derive(Serialize)]
pub struct Doc<'a> {
    /// One object a finding: id, severity, netns, device, evidence, seed, fix.
    pub findings: &'a [Finding],
    /// How many namespaces were read.
    pub namespaces: usize,
    /// What could not be read, and why (each namespace's too).
    pub unread: Vec<String>,
}

/// Everything that could not be read, the snapshot's and each namespace's.
pub fn unread(s: &Snapshot) -> Vec<String> {
    let mut v = s.unread.clone();
    v.extend(s.missed.iter().cloned());
    v.extend(partial(s));
    v
}

/// What of the namespaces read could not be read.
fn partial(s: &Snapshot) -> Vec<String> {
    let mut v = vec![];
    for ns in &s.namespaces {
        v.extend(
            ns.unread
                .iter()
                .map(|u| format!("namespace {}: {u}", ns.label)),
        );
    }
    v
}

/// Exit status: 1 a problem; 2 when, without a problem, a namespace found
/// could not be read (or nothing could); else 0. A /proc entry whose
/// namespace is unknown (pid 1 of a sandbox hides its own) is reported,
/// not counted: there is no namespace known to be unseen.
pub fn status(s: &Snapshot, f: &[Finding]) -> u8 {
    if s.namespaces.is_empty() {
        2
    } else if f.iter().any(|f| f.severity == Severity::Problem) {
        1
    } else if !s.missed.is_empty() || !partial(s).is_empty() {
        2
    } else {
        0
    }
}

/// The text report; `colour` paints severities and ids.
pub fn text(s: &Snapshot, f: &[Finding], colour: bool) -> String {
    let e = |t: &str| esc_text(t, false);
    let mut o = String::new();
    for x in f {
        let (sev, sgr) = match x.severity {
            Severity::Problem => ("problem", "1;31"),
            Severity::Info => ("info", "36"),
        };
        let dev = if x.device.is_empty() {
            String::new()
        } else {
            format!(" {}", e(&x.device))
        };
        o.push_str(&format!(
            "{} {}: {}{} (seed {})\n",
            paint(colour, sgr, sev),
            paint(colour, "1", x.id),
            e(&x.netns),
            dev,
            x.seed
        ));
        for ev in &x.evidence {
            o.push_str(&format!("    {}\n", e(ev)));
        }
        o.push_str(&format!("  fix: {}\n\n", e(&x.fix)));
    }
    let problems = f.iter().filter(|x| x.severity == Severity::Problem).count();
    let un = unread(s);
    for u in &un {
        o.push_str(&format!("could not read: {}\n", e(u)));
    }
    let n = |k: usize, one: &str| format!("{k} {one}{}", if k == 1 { "" } else { "s" });
    o.push_str(&format!(
        "{} read: {}, {}{}\n",
        n(s.namespaces.len(), "namespace"),
        n(problems, "problem"),
        n(f.len() - problems, "note"),
        match (s.namespaces.is_empty(), status(s, f) == 2) {
            (true, _) => "; nothing could be read: run as root (sudo vethlab doctor)",
            (false, true) => "; some namespaces could not be read: run as root to see all of them",
            _ => "",
        }
    ));
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::doctor::Ns;

    fn one(sev: Severity) -> Finding {
        Finding {
            id: "bridge-port-address",
            severity: sev,
            netns: "n\x1b[2Jx".into(),
            device: "v0".into(),
            evidence: vec!["2: v0: <UP> master br0".into()],
            seed: "004",
            fix: "move it".into(),
        }
    }

    fn snap(n: usize) -> Snapshot {
        Snapshot {
            namespaces: vec![Ns::default(); n],
            unread: vec![],
            missed: vec![],
        }
    }

    #[test]
    fn text_escapes_what_the_system_said_and_indents_evidence() {
        let t = text(&snap(1), &[one(Severity::Problem)], false);
        assert!(!t.contains('\x1b'), "{t:?}");
        assert!(t.contains("problem bridge-port-address: n"), "{t}");
        assert!(t.contains("\n    2: v0: <UP> master br0\n"), "{t}");
        assert!(t.contains("1 namespace read: 1 problem, 0 notes"), "{t}");
        assert!(text(&snap(1), &[one(Severity::Problem)], true).contains("\x1b[1;31mproblem"));
    }

    #[test]
    fn exit_status_says_problem_unread_or_nothing_seen() {
        assert_eq!(status(&snap(1), &[one(Severity::Problem)]), 1);
        assert_eq!(status(&snap(1), &[one(Severity::Info)]), 0);
        assert_eq!(status(&snap(0), &[]), 2);
        let mut s = snap(1);
        s.namespaces[0].unread.push("ip route: denied".into());
        assert_eq!(status(&s, &[]), 2);
        assert_eq!(status(&s, &[one(Severity::Problem)]), 1);
        assert!(text(&s, &[], false).contains("run as root"));
        let mut s = snap(1);
        s.unread
            .push("/proc/*/ns/net of 1 processes: permission denied".into());
        assert_eq!(status(&s, &[]), 0);
        s.missed
            .push("namespace pod1: Operation not permitted".into());
        assert_eq!(status(&s, &[]), 2);
    }

    #[test]
    fn json_has_the_fields_the_issue_names() {
        let f = [one(Severity::Info)];
        let d = Doc {
            findings: &f,
            namespaces: 1,
            unread: vec![],
        };
        let v = serde_json::to_value(&d).unwrap();
        let x = &v["findings"][0];
        for k in [
            "id", "severity", "netns", "device", "evidence", "seed", "fix",
        ] {
            assert!(!x[k].is_null(), "{k} in {x}");
        }
        assert_eq!(x["severity"], "info");
    }
}
