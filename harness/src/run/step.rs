//! One step on a topology that holds the state before it: actions,
//! captures, fixtures and assertions, into a report.

use super::actions::{run_cni, run_daemon, run_ping, run_udp};
use super::judge::{check_expect, hopeless_ahead, LEARNER_PING_MS, LEARNER_SETTLE_MS, SETTLE_MS};
use super::lab::{step_skip, RunOpts};
use crate::check::lines::{match_lines, resolve};
use crate::error::{Context, Error, Result};
use crate::lab::expect::Expect;
use crate::lab::fixture::Fixture;
use crate::lab::{Action, Lab, Step};
use crate::report::{CaptureReport, CheckResult, Outcome, Status, StepReport};
use crate::sys::capture::{Capture, Captured};
use crate::sys::trace;
use crate::topo::Topo;
use std::time::{Duration, Instant};

/// Run one step on a topology that holds the state before it.
pub fn run_step(lab: &Lab, idx: usize, topo: &mut Topo, opts: &RunOpts) -> StepReport {
    let step = &lab.steps[idx];
    let t0 = Instant::now();
    trace::event(|| format!("step {}/{}", lab.name, step.name));
    if let Some(r) = step_skip(lab, idx) {
        return StepReport::skipped(lab, step, r);
    }
    let mut run = StepRun {
        lab,
        step,
        opts,
        checks: vec![],
        caps: None,
        deferred: vec![],
        error: None,
        changed: Instant::now(),
    };
    // The one error `actions` returns: the kernel lacks what a command needs.
    if let Err(skip) = run.actions(topo) {
        return StepReport::skipped(lab, step, skip.to_string());
    }
    let has_traffic = step.actions.iter().any(is_traffic);
    // Captures without traffic still record the step (e.g. to show silence).
    if run.caps.is_none() && run.error.is_none() && !step.captures.is_empty() && !has_traffic {
        run.caps = run
            .start_captures(topo)
            .map_err(|e| run.error = Some(e))
            .ok();
    }
    let captured = run.finish_captures();
    trace::event(|| format!("fixtures {}/{}", lab.name, step.name));
    let cap_reports = run.judge_captures(topo, &captured);
    run.same_frames(&cap_reports);
    let failed = run.error.is_some()
        || run
            .checks
            .iter()
            .any(|c| matches!(c.outcome, Outcome::Fail(_)));
    StepReport {
        lab: lab.name.clone(),
        step: step.name.clone(),
        title: step.title.clone(),
        ids: step.ids(),
        status: if failed { Status::Fail } else { Status::Pass },
        checks: run.checks,
        // Typed until here: the report shows it.
        error: run.error.map(|e| e.to_string()),
        ms: t0.elapsed().as_millis(),
        captures: cap_reports,
        hint: step.hint.clone(),
    }
}

fn is_traffic(a: &Action) -> bool {
    matches!(a, Action::Ping(_) | Action::Udp(_))
}

/// A step in progress: what it has found so far.
struct StepRun<'a> {
    lab: &'a Lab,
    step: &'a Step,
    opts: &'a RunOpts,
    checks: Vec<CheckResult>,
    /// Started at the step's first traffic.
    caps: Option<Vec<Capture>>,
    /// Assertions on captures, judged once the captures are in.
    deferred: Vec<(Option<String>, Expect)>,
    /// What stopped the step early.
    error: Option<Error>,
    /// When the step's last command, traffic or plugin call returned: kernel
    /// state that settles by itself is awaited from then on, once for the
    /// step, not once per assertion (a broken step's ten misses cost one
    /// settle window, not ten).
    changed: Instant,
}

impl StepRun<'_> {
    /// Start a capture on every capture point, neighbour timers tuned first.
    fn start_captures(&self, topo: &Topo) -> Result<Vec<Capture>> {
        topo.tune_neigh()?;
        topo.await_links(Duration::from_millis(SETTLE_MS))?;
        // Link-local addresses made and valid: a step that reads them (or
        // pings one) sees them as the articles' long-settled hosts showed.
        topo.await_addrconf(crate::topo::ADDRCONF_WAIT)?;
        // What the learner's own pings left in the neighbour caches must
        // not decide the verdict: every step's traffic starts cold.
        topo.flush_neigh_all()?;
        let buf = self.opts.capture_buffer.unwrap_or(Capture::BUFFER);
        self.step
            .captures
            .iter()
            .map(|c| Capture::start(topo.node(&c.node)?, &c.iface, buf))
            .collect()
    }

    /// Run the step's items in order: in a full run its set-up, solution
    /// and check; for `vethlab check`, only the check (the learner did the
    /// rest). `Err` (an [`Error::Unsupported`]) when the step must be
    /// skipped; any other failure stops the step as `self.error`.
    fn actions(&mut self, topo: &mut Topo) -> Result<()> {
        let (lab, step) = (self.lab, self.step);
        let mut items: Vec<&Action> = match self.opts.learner {
            true => step.check().collect(),
            false => step.given.iter().chain(&step.actions).collect(),
        };
        // A task to find what is wrong (`"find": true`) is judged by its
        // consequence first: the traffic, whose failure names no cause,
        // where a look at the state would name the answer (`cni0: state
        // DOWN`). The check stops there; once traffic flows, all counts.
        if self.opts.learner && step.find {
            items.sort_by_key(|a| !is_traffic(a));
        }
        if self.opts.learner {
            // The learner's commands ran just before: what the kernel has yet
            // to take in of them (a bridge's carrier, a veth's operstate) is
            // awaited, not failed; a link left wrong costs nothing here.
            if let Err(e) = topo.await_links(Duration::from_millis(SETTLE_MS)) {
                self.error = Some(e);
                return Ok(());
            }
            if let Some(c) = hopeless_ahead(topo, &items) {
                self.checks.push(c);
                return Ok(());
            }
        }
        let mut prev: Option<&Action> = None;
        for a in items {
            let traffic = is_traffic(a);
            if traffic && crate::sys::fault::armed_for("panic-in-step", &step.name) {
                panic!("injected panic in step `{}` (VETHLAB_FAULT)", step.name);
            }
            // Traffic may follow commands that made new devices: tune them first.
            let after_cmds = matches!(prev, Some(Action::Cmd { .. }));
            let retune = traffic && self.caps.is_some() && after_cmds;
            prev = Some(a);
            if retune {
                let carriers = Duration::from_millis(SETTLE_MS);
                if let Err(e) = topo.tune_neigh().and_then(|_| topo.await_links(carriers)) {
                    self.error = Some(e);
                    break;
                }
            }
            // What follows commands (a look or traffic) sees the addresses
            // they made out of `tentative`, as a person typing next would: a
            // ping from one still tentative leaves from the link-local one,
            // and a starved kernel took seconds (returns at once when done).
            if after_cmds && !matches!(a, Action::Cmd { .. }) {
                if let Err(e) = topo.await_addrconf(crate::topo::ADDRCONF_WAIT) {
                    self.error = Some(e);
                    break;
                }
            }
            if traffic && self.caps.is_none() {
                // Heard from before the traffic: an entry it leaves FAILED
                // that the kernel then collects is still judged by its state.
                if let Err(e) = topo.watch_neighbours() {
                    self.error = Some(e);
                    break;
                }
                match self.start_captures(topo) {
                    Ok(c) => {
                        trace::event(|| format!("capture {}/{}", lab.name, step.name));
                        self.caps = Some(c)
                    }
                    Err(e) => {
                        self.error = Some(e);
                        break;
                    }
                }
            }
            // A removal the lab's own command makes is not the kernel's
            // garbage collection (see `Topo::hear_neighbours`).
            if a.is_solution() {
                topo.hear_neighbours(false);
            }
            self.action(topo, a)?;
            if a.is_solution() {
                topo.hear_neighbours(true);
            }
            if !matches!(a, Action::Expect { .. }) {
                self.changed = Instant::now();
            }
            if self.error.is_some() {
                break;
            }
            // A learner's check stops at the first thing wrong: that is what
            // to look at, and the rest would only make the learner wait.
            let failed = |c: &CheckResult| matches!(c.outcome, Outcome::Fail(_));
            if self.opts.learner && self.checks.last().is_some_and(failed) {
                break;
            }
        }
        Ok(())
    }

    /// One action; a check result, or an error that stops the step.
    fn action(&mut self, topo: &mut Topo, a: &Action) -> Result<()> {
        let (lab, step) = (self.lab, self.step);
        match a {
            Action::Cmd { node, text, cmds } => {
                for c in cmds {
                    if let Err(e) = topo.apply(node, c) {
                        if e.is_unsupported() {
                            return Err(e);
                        }
                        self.error = Err::<(), _>(e)
                            .context(|| format!("[{node}] `{text}`"))
                            .err();
                        break;
                    }
                }
            }
            Action::Ping(p) => {
                trace::event(|| format!("traffic {}/{} ping {}", lab.name, step.name, p.ping));
                let mut p = p.clone();
                if self.opts.learner {
                    p.timeout_ms = Some(p.timeout_ms.unwrap_or(2000).min(LEARNER_PING_MS));
                }
                self.checks.push(run_ping(topo, &p))
            }
            Action::Udp(u) => {
                trace::event(|| format!("traffic {}/{} udp {}", lab.name, step.name, u.udp));
                let wait = match self.opts.learner {
                    true => LEARNER_PING_MS,
                    false => 2000,
                };
                self.checks
                    .push(run_udp(topo, u, Duration::from_millis(wait)))
            }
            Action::Expect { id, e, .. } if !e.capture_points().is_empty() => {
                self.deferred.push((id.clone(), e.clone()))
            }
            Action::Cni(c) => self.checks.push(run_cni(topo, c)),
            Action::Answer(x) => self.checks.push(self.answer(topo, x)),
            Action::Daemon(d) => self.checks.push(run_daemon(topo, d)),
            Action::Expect {
                id,
                e,
                within_ms,
                raw,
            } => {
                trace::event(|| format!("assert {}/{} {}", lab.name, step.name, e.describe()));
                // State still on its way (BGP) is awaited as long as the lab
                // allows, in a learner's check too: a session that comes up
                // ends the wait at once (an event), and one checked right
                // after the daemons started is not failed for being early.
                let within = *within_ms;
                let settle = match self.opts.learner {
                    true => LEARNER_SETTLE_MS,
                    false => SETTLE_MS,
                };
                let settle_until = self.changed + Duration::from_millis(settle);
                let (what, outcome) = check_expect(topo, e, raw.as_ref(), within, settle_until);
                self.checks.push(CheckResult {
                    id: id.clone(),
                    what,
                    outcome,
                });
            }
        }
        Ok(())
    }

    /// A question: the learner's answer (`vethlab answer`) in a check; in a
    /// full run, the answer read from the kernel must exist.
    fn answer(&self, topo: &Topo, a: &crate::lab::AnswerSpec) -> CheckResult {
        use crate::check::answer;
        let r = match self.opts.learner {
            true => answer::judge(topo, a, self.opts.answer.as_deref()),
            false => answer::expected(topo, a).map(|w| Ok(format!("the answer is `{w}`"))),
        };
        CheckResult {
            id: a.id.clone(),
            what: answer::describe(a),
            outcome: match r {
                Ok(Ok(s)) => Outcome::Pass(s),
                Ok(Err(s)) => Outcome::Fail(s),
                Err(e) => Outcome::Fail(e.to_string()),
            },
        }
    }

    /// Every frame the captures hold, the captures closed.
    fn finish_captures(&mut self) -> Vec<Captured> {
        let mut captured = vec![];
        for c in self.caps.take().unwrap_or_default() {
            match c.finish() {
                Ok(c) => captured.push(c),
                Err(e) => self.error = Some(e),
            }
        }
        captured
    }

    /// Each capture rendered, written as pcapng if asked, and matched with
    /// its fixture; a capture the kernel dropped frames from fails.
    fn judge_captures(&mut self, topo: &Topo, captured: &[Captured]) -> Vec<CaptureReport> {
        let (lab, step) = (self.lab, self.step);
        let mut reports = vec![];
        for (cp, cap) in step.captures.iter().zip(captured) {
            let at = format!("{}:{}", cp.node, cp.iface);
            let shown = CaptureReport::new(at.clone(), cap.linktype, &cap.frames);
            let lines = shown.lines();
            if let Some(dir) = &self.opts.pcap_dir {
                let p = dir
                    .join(&lab.name)
                    .join(&step.name)
                    .join(format!("{}-{}.pcapng", cp.node, cp.iface));
                let comment = format!(
                    "vethlab {}/{}: tcpdump -n -i {} in {}",
                    lab.name, step.name, cp.iface, cp.node
                );
                if let Err(e) = crate::sys::capture::write_pcapng(cap, &p, &comment) {
                    self.error.get_or_insert(e);
                }
            }
            if cap.dropped > 0 {
                self.checks.push(CheckResult {
                    id: cp.id.clone(),
                    what: format!("capture on {at} is complete"),
                    outcome: Outcome::Fail(format!(
                        "the kernel dropped {} frames: the sequence is partial, not asserted",
                        cap.dropped
                    )),
                });
            } else if let Some(f) = &cp.fixture {
                self.checks.push(CheckResult {
                    id: cp.id.clone(),
                    what: format!("capture on {at} matches the fixture"),
                    outcome: fixture_outcome(topo, f, &lines),
                });
            }
            reports.push(shown);
        }
        reports
    }

    /// `same-frames` assertions, on the captures now in.
    fn same_frames(&mut self, reports: &[CaptureReport]) {
        for (id, e) in std::mem::take(&mut self.deferred) {
            let frames = |p: &str| {
                let c = reports.iter().find(|c| c.at == *p)?;
                Some(c.frames.iter().map(|f| &f.frame.data[..]).collect())
            };
            let outcome = match e.judge_captures(&frames) {
                Some(Ok(s)) => Outcome::Pass(s),
                Some(Err(s)) => Outcome::Fail(s),
                None => continue,
            };
            self.checks.push(CheckResult {
                id,
                what: e.describe(),
                outcome,
            });
        }
    }
}

/// Captured lines against a fixture, its placeholders filled from the kernel.
fn fixture_outcome(topo: &Topo, f: &Fixture, lines: &[String]) -> Outcome {
    let expected: Result<Vec<_>> = f
        .lines
        .iter()
        .map(|l| resolve(topo, &l.text).map(|t| (l.clone(), t)))
        .collect();
    match expected {
        Err(e) => Outcome::Fail(e.to_string()),
        Ok(exp) => match match_lines(&exp, lines) {
            Ok(()) => Outcome::Pass(format!(
                "{} lines captured, fixture {} matched",
                lines.len(),
                f.path.display()
            )),
            // The file first: a report (JUnit's message) names FILE:LINE.
            Err(diff) => Outcome::Fail(format!("fixture {}\n{diff}", f.path.display())),
        },
    }
}
