//! What a run found: text for people (a line per step, a mark per
//! observation), JSON for machines.

pub mod doctor;
pub mod html;
pub mod junit;
pub mod out;
pub mod peers;

use crate::capture::frame::Frame;
use crate::lab::{Lab, Step};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// How a step ended: in reports, and in the library's [`crate::run::RunReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "reason")]
pub enum Status {
    /// Every check held.
    Pass,
    /// A check failed, or the step could not run to the end.
    Fail,
    /// Not run, with the reason (e.g. a missing kernel feature).
    Skip(String),
}

/// The verdict of one check, with what it saw.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It held; what was seen.
    Pass(String),
    /// It did not hold; what was seen instead, or the error.
    Fail(String),
}

/// One check of a step and its verdict.
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The observation it proves, if any.
    pub id: Option<String>,
    /// What was checked, in words (e.g. `ping 10.0.0.2 from a replies`).
    pub what: String,
    /// Whether it held, and the detail.
    pub outcome: Outcome,
}

/// One captured frame with the line(s) `tcpdump -n` prints for it, as one
/// value: a VXLAN frame prints two lines (outer header, inner frame), so
/// frames and lines are never paired up by position.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The captured frame (bytes, time).
    pub frame: Frame,
    /// What `tcpdump -n` prints for it: one line, two for VXLAN.
    pub lines: Vec<String>,
}

/// What one capture point recorded during a step.
#[derive(Debug, Clone)]
pub struct CaptureReport {
    /// `node:iface`
    pub at: String,
    /// pcap link type of the capture (see [`crate::capture::decode`]).
    pub linktype: i32,
    /// The frames, each with its tcpdump lines.
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

/// What running one step found.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// The lab's name.
    pub lab: String,
    /// The step's name.
    pub step: String,
    /// The step's title.
    pub title: String,
    /// The observation ids the step asserts.
    pub ids: Vec<String>,
    /// How the step ended.
    pub status: Status,
    /// Every check run, in order.
    pub checks: Vec<CheckResult>,
    /// The error that stopped the step (a command or set-up failure), if any.
    pub error: Option<String>,
    /// How long the step took, in milliseconds.
    pub ms: u128,
    /// What each capture point recorded.
    pub captures: Vec<CaptureReport>,
    /// The hint printed when the step fails.
    pub hint: Option<String>,
}

impl StepReport {
    /// A report for a step that was not run, and why.
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

    /// A report for a step that failed without running its checks (the lab could
    /// not be built, its thread died), and why.
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

    /// `text`, its marks coloured when `colour` (whether to colour is the caller's choice).
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

    /// This step as the JSON report holds it, as a value.
    pub fn json(&self) -> Value {
        serde_json::to_value(self.to_json()).unwrap_or_default()
    }

    /// This step as the JSON report holds it, typed.
    pub fn to_json(&self) -> StepJson<'_> {
        let (status, reason) = match &self.status {
            Status::Pass => ("pass", None),
            Status::Fail => ("fail", self.error.as_deref()),
            Status::Skip(r) => ("skip", Some(r.as_str())),
        };
        StepJson {
            lab: &self.lab,
            step: &self.step,
            title: &self.title,
            status,
            reason,
            time_ms: self.ms as u64,
            observations: self
                .ids
                .iter()
                .map(|id| ObservationJson {
                    id,
                    result: self.id_result(id),
                })
                .collect(),
            checks: self
                .checks
                .iter()
                .map(|c| {
                    let (result, detail) = match &c.outcome {
                        Outcome::Pass(d) => ("pass", d),
                        Outcome::Fail(d) => ("fail", d),
                    };
                    CheckJson {
                        id: c.id.as_deref(),
                        what: &c.what,
                        result,
                        detail,
                    }
                })
                .collect(),
            captures: self
                .captures
                .iter()
                .map(|c| CaptureJson {
                    at: &c.at,
                    lines: c.lines(),
                })
                .collect(),
        }
    }
}

/// The JSON report's schema version (`"version"`): raised when a field
/// changes meaning or goes away; new fields may appear within a version.
pub const JSON_VERSION: u32 = 1;

/// The JSON report: counts, each observation id's merged result, each step.
#[derive(Debug, Serialize)]
pub struct ReportJson<'a> {
    /// The schema version, [`JSON_VERSION`].
    pub version: u32,
    /// Steps passed, failed and skipped.
    pub summary: SummaryJson,
    /// By id: pass, fail, skip or partial (see `json_report`).
    pub observations: BTreeMap<&'a str, &'static str>,
    /// Each step, in run order.
    pub steps: Vec<StepJson<'a>>,
}

/// Steps passed, failed and skipped.
#[derive(Debug, Serialize)]
pub struct SummaryJson {
    /// Steps that passed.
    pub passed: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Steps that were skipped.
    pub skipped: usize,
}

/// One step in the JSON report.
#[derive(Debug, Serialize)]
pub struct StepJson<'a> {
    /// The lab's name.
    pub lab: &'a str,
    /// The step's name.
    pub step: &'a str,
    /// The step's title.
    pub title: &'a str,
    /// pass, fail or skip.
    pub status: &'static str,
    /// Why it failed or was skipped.
    pub reason: Option<&'a str>,
    /// How long the step took, in milliseconds.
    pub time_ms: u64,
    /// Each observation id the step asserts, with its result.
    pub observations: Vec<ObservationJson<'a>>,
    /// Every check run, in order.
    pub checks: Vec<CheckJson<'a>>,
    /// What each capture point recorded.
    pub captures: Vec<CaptureJson<'a>>,
}

/// An observation id and its result in one step.
#[derive(Debug, Serialize)]
pub struct ObservationJson<'a> {
    /// The observation id.
    pub id: &'a str,
    /// pass, fail or skip.
    pub result: &'static str,
}

/// One check of a step.
#[derive(Debug, Serialize)]
pub struct CheckJson<'a> {
    /// The observation it proves, if any.
    pub id: Option<&'a str>,
    /// What was checked, in words.
    pub what: &'a str,
    /// pass or fail.
    pub result: &'static str,
    /// What was seen, or the error.
    pub detail: &'a str,
}

/// The lines captured at one point (`node:iface`).
#[derive(Debug, Serialize)]
pub struct CaptureJson<'a> {
    /// `node:iface`.
    pub at: &'a str,
    /// What `tcpdump -n` printed, one entry a line.
    pub lines: Vec<String>,
}

/// Counts, and the closing line CI reads.
pub fn summary(reports: &[StepReport]) -> (usize, usize, usize, String) {
    let p = reports.iter().filter(|r| r.status == Status::Pass).count();
    let f = reports.iter().filter(|r| r.status == Status::Fail).count();
    let s = reports.len() - p - f;
    (p, f, s, format!("{p} passed, {f} failed, {s} skipped"))
}

/// The JSON report of `reports`, as a value (its keys sorted, as written).
pub fn json_report(reports: &[StepReport]) -> Value {
    serde_json::to_value(report_json(reports)).unwrap_or_default()
}

/// The JSON report of `reports`, typed.
pub fn report_json(reports: &[StepReport]) -> ReportJson<'_> {
    let mut obs: BTreeMap<&str, &'static str> = BTreeMap::new();
    for r in reports {
        for id in &r.ids {
            let res = r.id_result(id);
            // An id asserted in several steps: fail if any part failed, pass if
            // every part passed, skip if every part was skipped, and
            // "partial" when some parts passed and others were skipped.
            let merged = match (obs.get(id.as_str()).copied(), res) {
                (None, r) => r,
                (Some("fail"), _) | (_, "fail") => "fail",
                (Some(p), r) if p == r => r,
                _ => "partial",
            };
            obs.insert(id, merged);
        }
    }
    let (passed, failed, skipped, _) = summary(reports);
    ReportJson {
        version: JSON_VERSION,
        summary: SummaryJson {
            passed,
            failed,
            skipped,
        },
        observations: obs,
        steps: reports.iter().map(|r| r.to_json()).collect(),
    }
}

#[cfg(test)]
mod html_tests;
#[cfg(test)]
mod junit_tests;
#[cfg(test)]
mod peers_tests;
#[cfg(test)]
mod tests;
