//! One step on a topology that holds the state before it: actions,
//! captures, fixtures and assertions, into a report.

use super::actions::{run_cni, run_daemon, run_ping, run_udp};
use super::lab::{step_skip, RunOpts};
use crate::check::expect::Expect;
use crate::check::lines::{match_lines, resolve};
use crate::error::{Error, Result};
use crate::lab::{Action, Lab};
use crate::report::{CaptureReport, CheckResult, Outcome, Status, StepReport};
use crate::sys::capture::{Capture, Captured};
use crate::sys::trace;
use crate::topo::Topo;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Run one step on a topology that holds the state before it.
pub fn run_step(lab: &Lab, idx: usize, topo: &mut Topo, opts: &RunOpts) -> StepReport {
    let step = &lab.steps[idx];
    let t0 = Instant::now();
    trace::event(|| format!("step {}/{}", lab.name, step.name));
    if let Some(r) = step_skip(lab, idx) {
        return StepReport::skipped(lab, step, r);
    }
    let mut checks: Vec<CheckResult> = vec![];
    let mut caps: Option<Vec<Capture>> = None;
    let mut deferred: Vec<(Option<String>, Expect)> = vec![];
    let has_traffic = step
        .actions
        .iter()
        .any(|a| matches!(a, Action::Ping(_) | Action::Udp(_)));
    let start_caps = |topo: &Topo| -> Result<Vec<Capture>> {
        topo.tune_neigh()?;
        step.captures
            .iter()
            .map(|c| {
                let buf = opts.capture_buffer.unwrap_or(Capture::BUFFER);
                Capture::start(topo.node(&c.node)?, &c.iface, buf)
            })
            .collect()
    };
    let mut error: Option<String> = None;
    let mut prev: Option<&Action> = None;
    let first = if opts.learner {
        step.actions
            .iter()
            .rposition(|a| matches!(a, Action::Cmd { .. }))
            .map_or(0, |i| i + 1)
    } else {
        0
    };
    for a in &step.actions[first..] {
        let traffic = matches!(a, Action::Ping(_) | Action::Udp(_));
        if traffic && crate::sys::fault::armed_for("panic-in-step", &step.name) {
            panic!("injected panic in step `{}` (VETHLAB_FAULT)", step.name);
        }
        // Traffic may follow commands that made new devices: tune them first.
        if traffic && caps.is_some() && matches!(prev, Some(Action::Cmd { .. })) {
            if let Err(e) = topo.tune_neigh() {
                error = Some(e.to_string());
                break;
            }
        }
        prev = Some(a);
        if traffic && caps.is_none() {
            match start_caps(topo) {
                Ok(c) => {
                    trace::event(|| format!("capture {}/{}", lab.name, step.name));
                    caps = Some(c)
                }
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
        match a {
            Action::Cmd { node, text, cmds } => {
                for c in cmds {
                    if let Err(e) = topo.apply(node, c) {
                        if e.is_unsupported() {
                            return StepReport::skipped(lab, step, e.to_string());
                        }
                        error = Some(format!("[{node}] `{text}`: {e}"));
                        break;
                    }
                }
            }
            Action::Ping(p) => {
                trace::event(|| format!("traffic {}/{} ping {}", lab.name, step.name, p.ping));
                checks.push(run_ping(topo, p))
            }
            Action::Udp(u) => {
                trace::event(|| format!("traffic {}/{} udp {}", lab.name, step.name, u.udp));
                checks.push(run_udp(topo, u))
            }
            Action::Expect {
                id,
                e: e @ Expect::SameFrames { .. },
                ..
            } => deferred.push((id.clone(), e.clone())),
            Action::Cni(c) => checks.push(run_cni(topo, c)),
            Action::Daemon(d) => checks.push(run_daemon(topo, d)),
            Action::Expect {
                id,
                e,
                within_ms,
                raw,
            } => {
                trace::event(|| format!("assert {}/{} {}", lab.name, step.name, e.describe()));
                let (what, outcome) = check_expect(topo, e, raw.as_ref(), *within_ms);
                checks.push(CheckResult {
                    id: id.clone(),
                    what,
                    outcome,
                });
            }
        }
        if error.is_some() {
            break;
        }
    }
    // Captures without traffic still record the step (e.g. to show silence).
    if caps.is_none() && error.is_none() && !step.captures.is_empty() && !has_traffic {
        caps = start_caps(topo)
            .map_err(|e| error = Some(e.to_string()))
            .ok();
    }
    let mut captured: Vec<Captured> = vec![];
    for c in caps.unwrap_or_default() {
        match c.finish() {
            Ok(c) => captured.push(c),
            Err(e) => error = Some(e.to_string()),
        }
    }
    let mut cap_reports = vec![];
    trace::event(|| format!("fixtures {}/{}", lab.name, step.name));
    for (cp, cap) in step.captures.iter().zip(&captured) {
        let at = format!("{}:{}", cp.node, cp.iface);
        let shown = CaptureReport::new(at.clone(), cap.linktype, &cap.frames);
        let lines = shown.lines();
        if let Some(dir) = &opts.pcap_dir {
            let p = dir
                .join(&lab.name)
                .join(&step.name)
                .join(format!("{}-{}.pcapng", cp.node, cp.iface));
            if let Err(e) = crate::sys::capture::write_pcapng(
                cap,
                &p,
                &format!(
                    "vethlab {}/{}: tcpdump -n -i {} in {}",
                    lab.name, step.name, cp.iface, cp.node
                ),
            ) {
                error.get_or_insert(e.to_string());
            }
        }
        if cap.dropped > 0 {
            checks.push(CheckResult {
                id: cp.id.clone(),
                what: format!("capture on {at} is complete"),
                outcome: Outcome::Fail(format!(
                    "the kernel dropped {} frames: the sequence is partial, not asserted",
                    cap.dropped
                )),
            });
        } else if let Some(f) = &cp.fixture {
            let expected: Result<Vec<_>> = f
                .lines
                .iter()
                .map(|l| resolve(topo, &l.text).map(|t| (l.clone(), t)))
                .collect();
            let outcome = match expected {
                Err(e) => Outcome::Fail(e.to_string()),
                Ok(exp) => match match_lines(&exp, &lines) {
                    Ok(()) => Outcome::Pass(format!(
                        "{} lines captured, fixture {} matched",
                        lines.len(),
                        f.path.display()
                    )),
                    Err(diff) => Outcome::Fail(diff),
                },
            };
            checks.push(CheckResult {
                id: cp.id.clone(),
                what: format!("capture on {at} matches the fixture"),
                outcome,
            });
        }
        cap_reports.push(shown);
    }
    for (id, e) in deferred {
        if let Expect::SameFrames { a, b } = &e {
            let get = |p: &str| cap_reports.iter().find(|c| c.at == *p).map(|c| &c.frames);
            let outcome = match (get(a), get(b)) {
                (Some(x), Some(y))
                    if !x.is_empty()
                        && x.iter()
                            .map(|f| &f.frame.data)
                            .eq(y.iter().map(|f| &f.frame.data)) =>
                {
                    Outcome::Pass(format!(
                        "{} frames, byte for byte the same on both ends",
                        x.len()
                    ))
                }
                (Some(x), Some(y)) => Outcome::Fail(format!(
                    "{a}: {} frames, {b}: {} frames, not identical",
                    x.len(),
                    y.len()
                )),
                _ => Outcome::Fail("capture missing".into()),
            };
            checks.push(CheckResult {
                id,
                what: e.describe(),
                outcome,
            });
        }
    }
    let failed = error.is_some() || checks.iter().any(|c| matches!(c.outcome, Outcome::Fail(_)));
    StepReport {
        lab: lab.name.clone(),
        step: step.name.clone(),
        title: step.title.clone(),
        ids: step.ids(),
        status: if failed { Status::Fail } else { Status::Pass },
        checks,
        error,
        ms: t0.elapsed().as_millis(),
        captures: cap_reports,
        hint: step.hint.clone(),
    }
}

/// Check an expectation, with `{cni:…}` values filled in; with `within_ms`,
/// again after each change the node's kernel announces, until it holds or
/// time is up.
pub(crate) fn check_expect(
    topo: &Topo,
    e: &Expect,
    raw: Option<&Value>,
    within_ms: Option<u64>,
) -> (String, Outcome) {
    let e = match raw {
        None => e.clone(),
        Some(v) => {
            let filled = subst_value(topo, v).and_then(|v| {
                serde_json::from_value::<Expect>(v).map_err(|x| Error::other(x.to_string()))
            });
            match filled {
                Ok(e) => e,
                Err(x) => return (e.describe(), Outcome::Fail(x.to_string())),
            }
        }
    };
    let what = match within_ms {
        Some(ms) => format!("{} (within {ms} ms)", e.describe()),
        None => e.describe(),
    };
    let look = || match e.check(topo) {
        Ok(Ok(s)) => Outcome::Pass(s),
        Ok(Err(s)) => Outcome::Fail(s),
        Err(err) => Outcome::Fail(err.to_string()),
    };
    let first = look();
    // Kernel state settles by itself after a command returns (a bridge's
    // operstate on 6.1, a neighbour entry's last transition): a miss is
    // looked at again on each change the node announces, for a bounded time.
    let window = within_ms.or(e.settles().then_some(SETTLE_MS)).unwrap_or(0);
    if matches!(first, Outcome::Pass(_)) || window == 0 {
        return (what, first);
    }
    let deadline = Instant::now() + Duration::from_millis(window);
    // Subscribed before the next look, so no change between look and wait is
    // missed. Host-local's files (ipam) announce nothing: those re-look every
    // 20 ms.
    let changes = e
        .nodes()
        .first()
        .and_then(|n| topo.node(n).ok()?.changes().ok());
    loop {
        let outcome = look();
        if matches!(outcome, Outcome::Pass(_)) || Instant::now() >= deadline {
            return (what, outcome);
        }
        match &changes {
            Some(c) => {
                c.wait(deadline);
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// How long kernel state that misses is awaited before it fails.
const SETTLE_MS: u64 = 2000;

fn subst_value(topo: &Topo, v: &Value) -> Result<Value> {
    Ok(match v {
        Value::String(s) => Value::String(topo.subst(s)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| subst_value(topo, x))
                .collect::<Result<_>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), subst_value(topo, x)?)))
                .collect::<Result<_>>()?,
        ),
        x => x.clone(),
    })
}
