//! What a run found: text for people (a line per step, a mark per
//! observation), JSON for machines.

pub mod html;
pub mod junit;
pub mod out;
pub mod peers;

use crate::capture::frame::Frame;
use crate::lab::{Lab, Step};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Pass,
    Fail,
    Skip(String),
}

#[derive(Debug, Clone)]
pub enum Outcome {
    Pass(String),
    Fail(String),
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    pub id: Option<String>,
    pub what: String,
    pub outcome: Outcome,
}

/// One captured frame with the line(s) `tcpdump -n` prints for it, as one
/// value: a VXLAN frame prints two lines (outer header, inner frame), so
/// frames and lines are never paired up by position.
#[derive(Debug, Clone)]
pub struct Shown {
    pub frame: Frame,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CaptureReport {
    /// `node:iface`
    pub at: String,
    pub linktype: i32,
    pub frames: Vec<Shown>,
}

impl CaptureReport {
    /// Each frame decoded and rendered once, its lines kept with it.
    pub fn new(at: String, linktype: i32, frames: &[Frame]) -> CaptureReport {
        CaptureReport {
            at,
            linktype,
            frames: frames
                .iter()
                .map(|f| Shown {
                    lines: crate::capture::decode::render_lines(linktype, &f.data),
                    frame: f.clone(),
                })
                .collect(),
        }
    }

    /// Every line of the capture in order, as `tcpdump -n -r` prints it.
    pub fn lines(&self) -> Vec<String> {
        self.frames.iter().flat_map(|f| f.lines.clone()).collect()
    }
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub lab: String,
    pub step: String,
    pub title: String,
    pub ids: Vec<String>,
    pub status: Status,
    pub checks: Vec<CheckResult>,
    pub error: Option<String>,
    pub ms: u128,
    pub captures: Vec<CaptureReport>,
    pub hint: Option<String>,
}

impl StepReport {
    pub fn skipped(lab: &Lab, step: &Step, why: String) -> StepReport {
        StepReport {
            lab: lab.name.clone(),
            step: step.name.clone(),
            title: step.title.clone(),
            ids: step.ids(),
            status: Status::Skip(why),
            checks: vec![],
            error: None,
            ms: 0,
            captures: vec![],
            hint: step.hint.clone(),
        }
    }

    pub fn failed(lab: &Lab, step: &Step, why: String) -> StepReport {
        StepReport {
            status: Status::Fail,
            error: Some(why),
            ..StepReport::skipped(lab, step, String::new())
        }
    }

    /// pass / fail / skip for one observation id.
    pub fn id_result(&self, id: &str) -> &'static str {
        match &self.status {
            Status::Skip(_) => "skip",
            _ => {
                let mine: Vec<_> = self
                    .checks
                    .iter()
                    .filter(|c| c.id.as_deref() == Some(id))
                    .collect();
                if mine.is_empty()
                    || self.error.is_some()
                    || mine.iter().any(|c| matches!(c.outcome, Outcome::Fail(_)))
                {
                    "fail"
                } else {
                    "pass"
                }
            }
        }
    }

    /// The lines a person reads: the step, then each check.
    pub fn text(&self, verbose: bool) -> String {
        self.text_in(verbose, false)
    }

    /// `text`, its marks coloured when `colour` (see `out::colour`).
    pub fn text_in(&self, verbose: bool, colour: bool) -> String {
        let paint = |sgr, s| crate::report::out::paint(colour, sgr, s);
        let mark = match &self.status {
            Status::Pass => paint("32", "PASS"),
            Status::Fail => paint("1;31", "FAIL"),
            Status::Skip(_) => paint("33", "SKIP"),
        };
        // Everything below may quote the lab file: escaped for the terminal.
        let e = crate::report::out::esc;
        let mut s = format!(
            "{mark}  {}/{}  [{}]  {} ms\n      {}\n",
            e(&self.lab),
            e(&self.step),
            e(&self.ids.join(" ")),
            self.ms,
            e(&self.title)
        );
        if let Status::Skip(why) = &self.status {
            s.push_str(&format!("      skipped: {}\n", e(why)));
        }
        for c in &self.checks {
            let (m, detail) = match &c.outcome {
                Outcome::Pass(d) => (paint("32", "✓"), d),
                Outcome::Fail(d) => (paint("31", "✗"), d),
            };
            let failed = matches!(c.outcome, Outcome::Fail(_));
            s.push_str(&format!(
                "  {m} {:6} {}\n",
                e(c.id.as_deref().unwrap_or("-")),
                e(&c.what)
            ));
            if verbose || failed {
                for l in detail.lines() {
                    s.push_str(&format!("             {}\n", e(l)));
                }
            }
        }
        if let Some(x) = &self.error {
            for l in x.lines() {
                s.push_str(&format!("  ✗ error: {}\n", e(l)));
            }
        }
        if self.status == Status::Fail {
            if let Some(h) = &self.hint {
                s.push_str(&format!("  hint: {}\n", e(h)));
            }
        }
        if verbose {
            for c in &self.captures {
                s.push_str(&format!("  tcpdump -n -i {}:\n", e(&c.at)));
                for l in c.lines() {
                    s.push_str(&format!("      {}\n", e(&l)));
                }
            }
        }
        s
    }

    pub fn json(&self) -> Value {
        let (status, reason) = match &self.status {
            Status::Pass => ("pass", None),
            Status::Fail => ("fail", self.error.clone()),
            Status::Skip(r) => ("skip", Some(r.clone())),
        };
        json!({
            "lab": self.lab,
            "step": self.step,
            "title": self.title,
            "status": status,
            "reason": reason,
            "time_ms": self.ms as u64,
            "observations": self.ids.iter().map(|id| json!({"id": id, "result": self.id_result(id)})).collect::<Vec<_>>(),
            "checks": self.checks.iter().map(|c| {
                let (r, d) = match &c.outcome { Outcome::Pass(d) => ("pass", d), Outcome::Fail(d) => ("fail", d) };
                json!({"id": c.id, "what": c.what, "result": r, "detail": d})
            }).collect::<Vec<_>>(),
            "captures": self.captures.iter().map(|c| json!({"at": c.at, "lines": c.lines()})).collect::<Vec<_>>(),
        })
    }
}

/// Counts, and the closing line CI reads.
pub fn summary(reports: &[StepReport]) -> (usize, usize, usize, String) {
    let p = reports.iter().filter(|r| r.status == Status::Pass).count();
    let f = reports.iter().filter(|r| r.status == Status::Fail).count();
    let s = reports.len() - p - f;
    (p, f, s, format!("{p} passed, {f} failed, {s} skipped"))
}

pub fn json_report(reports: &[StepReport]) -> Value {
    let mut obs = serde_json::Map::new();
    for r in reports {
        for id in &r.ids {
            let res = r.id_result(id);
            // An id asserted in several steps: fail if any part failed, pass if
            // every part passed, skip if every part was skipped, and
            // "partial" when some parts passed and others were skipped.
            let merged = match (obs.get(id).and_then(|v| v.as_str()), res) {
                (None, r) => r,
                (Some("fail"), _) | (_, "fail") => "fail",
                (Some(p), r) if p == r => r,
                _ => "partial",
            };
            obs.insert(id.clone(), json!(merged));
        }
    }
    let (p, f, s, _) = summary(reports);
    json!({
        "summary": {"passed": p, "failed": f, "skipped": s},
        "observations": obs,
        "steps": reports.iter().map(|r| r.json()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod html_tests;
#[cfg(test)]
mod junit_tests;
#[cfg(test)]
mod peers_tests;
#[cfg(test)]
mod tests;
