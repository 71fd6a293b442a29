//! Running a lab: its topology, the state before a step, every step in
//! order, and skips decided before anything is built.

use super::actions::{run_cni, run_daemon};
use super::judge::check_expect;
use super::step::run_step;
use crate::error::{Context, Error, Result};
use crate::iproute::cmd;
use crate::lab::{Action, Lab, Step, DAEMONS};
use crate::report::{Outcome, Status, StepReport};
use crate::sys::trace;
use crate::topo::Topo;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A kernel feature the step needs and this kernel lacks, with the reason
/// and what to do. Read from what the kernel already has: never a probe that
/// could make it load a module.
pub fn feature_missing(f: &str) -> Option<String> {
    crate::sys::kernel::facts().missing(f)
}

/// Where a lab's ifindexes land on the running kernel.
pub fn index_plan(lab: &Lab) -> crate::sys::kernel::IndexPlan {
    crate::sys::kernel::IndexPlan::for_kernel(&lab.indexes())
}

/// How to run a lab's steps.
#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    /// Also write each capture as pcapng under `DIR/LAB/STEP/`.
    pub pcap_dir: Option<PathBuf>,
    /// `vethlab check`: the learner did the task, so only the step's check
    /// (traffic, expectations, answers) runs.
    pub learner: bool,
    /// `vethlab answer X`: the learner's answer to the step's question.
    pub answer: Option<String>,
    /// Kernel buffer per capture, in bytes (default `Capture::BUFFER`).
    pub capture_buffer: Option<i32>,
    /// `--fail-fast`: shared by the labs of a run, set by the first step
    /// that fails; a step not started by then is not run (a skip saying so).
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Why a step was not run under `--fail-fast`.
pub const NOT_RUN: &str = "not run: --fail-fast, an earlier step failed";

impl RunOpts {
    /// Whether `--fail-fast` has stopped the run.
    pub fn stopped(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }

    /// A report is in: a FAIL stops the run under `--fail-fast`.
    pub fn note(&self, r: &StepReport) {
        if let (Some(s), Status::Fail) = (&self.stop, &r.status) {
            s.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Nodes declared up front. They stand for machines, whose loopback is up
/// (a local ICMP error, such as "host unreachable", travels over it); a
/// namespace made by a step's `ip netns add` starts with lo DOWN, as the
/// articles show.
pub fn new_topo(lab: &Lab) -> Result<Topo> {
    trace::event(|| format!("build {}", lab.name));
    let mut t = Topo::new();
    t.set_index_plan(index_plan(lab));
    let lo_up = cmd::parse("ip link set lo up").map_err(Error::other)?;
    crate::sys::netns::expect(lab.nodes.len());
    for n in &lab.nodes {
        t.add_node_with(n, lab.ipv6(n))
            .context(|| format!("node {n}"))?;
        t.apply(n, &lo_up.cmds[0])
            .context(|| format!("node {n}: lo up"))?;
    }
    Ok(t)
}

fn skip_reason(step: &Step) -> Option<String> {
    if let Some(r) = step
        .requires
        .iter()
        .find_map(|f| feature_missing(f).map(|r| format!("needs {f}: {r}")))
    {
        return Some(r);
    }
    component_missing(step)
}

/// Why step `idx` of `lab` is skipped on this machine, decided before
/// anything is built (so a test runner can list it as skipped): a kernel
/// feature or component it needs is missing, or an earlier step's component
/// is (a step after it stands on nothing).
pub fn step_skip(lab: &Lab, idx: usize) -> Option<String> {
    skip_reason(&lab.steps[idx]).or_else(|| lab.steps[..idx].iter().find_map(component_missing))
}

/// Real components: a plugin or daemon that is not installed is a skip that
/// names its package, never a pass.
fn component_missing(step: &Step) -> Option<String> {
    step.given
        .iter()
        .chain(&step.actions)
        .find_map(|a| match a {
            Action::Cni(c) => {
                let ipam = c.config["ipam"]["type"].as_str();
                [c.config["type"].as_str(), ipam]
                    .into_iter()
                    .flatten()
                    .find_map(crate::sys::cni::missing)
            }
            Action::Daemon(d) => DAEMONS
                .iter()
                .find(|(n, path, _)| *n == d.daemon && !Path::new(path).is_file())
                .map(|(n, path, pkg)| {
                    format!("`{n}` ({path}) is not installed (Debian/Ubuntu package {pkg})")
                }),
            _ => None,
        })
}

/// Apply what steps `..upto` build (their set-up and solution, not their
/// traffic or assertions): the state a learner has before step `upto`.
/// Steps skipped for a missing feature contribute nothing, as in a full run.
pub fn build_upto(lab: &Lab, topo: &mut Topo, upto: usize) -> Result<()> {
    for s in &lab.steps[..upto] {
        if skip_reason(s).is_some() {
            continue;
        }
        trace::event(|| format!("build {}/{}", lab.name, s.name));
        build_items(topo, s, s.given.iter().chain(&s.actions))?;
    }
    Ok(())
}

/// Step `idx`'s given state: every earlier step built, then its own set-up.
pub fn build_given(lab: &Lab, topo: &mut Topo, idx: usize) -> Result<()> {
    build_upto(lab, topo, idx)?;
    let s = &lab.steps[idx];
    if skip_reason(s).is_some() {
        return Ok(());
    }
    trace::event(|| format!("given {}/{}", lab.name, s.name));
    build_items(topo, s, s.given.iter())
}

/// The items of `s` that build: commands, CNI calls, daemons, and state
/// that arrives by itself (awaited as the step awaited it).
fn build_items<'a>(
    topo: &mut Topo,
    s: &Step,
    items: impl Iterator<Item = &'a Action>,
) -> Result<()> {
    for a in items {
        let (node, what, r) = match a {
            Action::Cmd { node, text, cmds } => {
                // The error keeps its kind: a step replayed for a later
                // one that the kernel cannot do makes that one a skip.
                for c in cmds {
                    topo.apply(node, c)
                        .context(|| format!("[{node}] `{text} (step {})`", s.name))?;
                }
                continue;
            }
            Action::Cni(c) => (
                &c.node,
                format!("CNI {} (step {})", c.cni, s.name),
                run_cni(topo, c),
            ),
            Action::Daemon(d) => (
                &d.node,
                format!("{} (step {})", d.daemon, s.name),
                run_daemon(topo, d),
            ),
            Action::Expect {
                e,
                within_ms: Some(ms),
                raw,
                ..
            } => {
                let (what, outcome) =
                    check_expect(topo, e, raw.as_ref(), Some(*ms), Instant::now());
                if let Outcome::Fail(msg) = outcome {
                    return Err(Error::Command {
                        node: e.nodes().first().map(|n| n.to_string()).unwrap_or_default(),
                        cmd: format!("{what} (step {})", s.name),
                        msg,
                    });
                }
                continue;
            }
            _ => continue,
        };
        if let Outcome::Fail(msg) = r.outcome {
            return Err(Error::Command {
                node: node.clone(),
                cmd: what,
                msg,
            });
        }
    }
    Ok(())
}

/// Run every step of `lab` in order on one topology.
pub fn run_lab(
    lab: &Lab,
    opts: &RunOpts,
    progress: &(dyn Fn(&StepReport) + Sync),
) -> Vec<StepReport> {
    run_lab_then(lab, opts, progress, &mut |_, _| {})
}

/// `run_lab`, and `after(i, topo)` sees the topology as step `i` left it
/// (the state its checks read), before the next step changes it.
pub fn run_lab_then(
    lab: &Lab,
    opts: &RunOpts,
    progress: &(dyn Fn(&StepReport) + Sync),
    after: &mut dyn FnMut(usize, &Topo),
) -> Vec<StepReport> {
    let mut out = vec![];
    if opts.stopped() {
        for s in &lab.steps {
            let r = StepReport::skipped(lab, s, NOT_RUN.into());
            progress(&r);
            out.push(r);
        }
        return out;
    }
    let mut topo = match new_topo(lab) {
        Ok(t) => t,
        Err(e) => {
            for s in &lab.steps {
                let r = StepReport::failed(lab, s, format!("cannot build the lab: {e}"));
                if crate::sys::netns::limit_hit().is_none() {
                    progress(&r);
                }
                out.push(r);
            }
            return out;
        }
    };
    let mut broken: Option<String> = None;
    for (i, s) in lab.steps.iter().enumerate() {
        // After a panic the topology's state is unknown: later steps are
        // not run on it, and say why.
        let r = match broken.clone() {
            Some(why) => StepReport::failed(lab, s, why),
            None if opts.stopped() => StepReport::skipped(lab, s, NOT_RUN.into()),
            None => match guarded(|| run_step(lab, i, &mut topo, opts)) {
                Ok(r) => r,
                Err(panic) => {
                    broken = Some(format!("not run: step `{}` panicked before it", s.name));
                    StepReport::failed(lab, s, panic.to_string())
                }
            },
        };
        opts.note(&r);
        // A namespace limit is the machine's, not the lab's: stop here, and
        // report no verdict on a step the machine failed.
        if let Some(m) = crate::sys::netns::limit_hit() {
            broken.get_or_insert_with(|| format!("not run: {m}"));
            out.push(r);
            continue;
        }
        if broken.is_none() {
            after(i, &topo);
        }
        progress(&r);
        out.push(r);
    }
    out
}

/// A step that panics is an [`Error::Panicked`] with the panic's message
/// (its report a FAIL), never a report lost with its thread (which let a
/// run exit 0).
fn guarded(f: impl FnOnce() -> StepReport) -> Result<StepReport> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "without a message".into());
        Error::Panicked(why)
    })
}

/// Run step `idx` alone: fresh namespaces, earlier steps' commands replayed.
pub fn run_one(lab: &Lab, idx: usize, opts: &RunOpts) -> StepReport {
    run_one_then(lab, idx, opts, &mut |_| {})
}

/// `run_one`, and `after` sees the topology as the step left it.
pub fn run_one_then(
    lab: &Lab,
    idx: usize,
    opts: &RunOpts,
    after: &mut dyn FnMut(&Topo),
) -> StepReport {
    if opts.stopped() {
        return StepReport::skipped(lab, &lab.steps[idx], NOT_RUN.into());
    }
    let r = guarded(|| run_one_unguarded(lab, idx, opts, after))
        .unwrap_or_else(|panic| StepReport::failed(lab, &lab.steps[idx], panic.to_string()));
    opts.note(&r);
    r
}

fn run_one_unguarded(
    lab: &Lab,
    idx: usize,
    opts: &RunOpts,
    after: &mut dyn FnMut(&Topo),
) -> StepReport {
    let step = &lab.steps[idx];
    let mut topo = match new_topo(lab).and_then(|mut t| build_upto(lab, &mut t, idx).map(|_| t)) {
        Ok(t) => t,
        Err(e) if e.is_unsupported() => return StepReport::skipped(lab, step, e.to_string()),
        Err(e) => {
            return StepReport::failed(
                lab,
                step,
                format!("building the state before this step: {e}"),
            )
        }
    };
    let r = run_step(lab, idx, &mut topo, opts);
    after(&topo);
    r
}
