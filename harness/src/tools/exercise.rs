//! The exercise inside a learner's shell: which step it is, the learner's
//! answer and hints so far, a reset request, and the check itself. The
//! state lives in the shell's private /var/run, which nothing else sees.

use crate::error::{Error, Result};
use crate::lab::{Action, Lab};
use crate::report::StepReport;
use crate::run::{self, RunOpts};
use crate::tools::learner;
use crate::topo::Topo;
use std::path::Path;

/// Files plugins and daemons use (host-local's state, BIRD's config and socket).
pub const SCRATCH_DIR: &str = "/var/run/vethlab-scratch";
/// The learner's answer (`vethlab answer X`).
const ANSWER_FILE: &str = "/var/run/vethlab-answer";
/// How many hints were shown.
const HINTS_FILE: &str = "/var/run/vethlab-hints";
/// `vethlab reset` asks the shell's vethlab to rebuild the given state.
pub const RESET_FILE: &str = "/var/run/vethlab-reset";

/// The lab and step (0-based) this shell holds.
pub fn current() -> Result<(Lab, usize)> {
    let (path, step) = learner::read_marker()?;
    let lab = Lab::load(&path)?;
    let idx = step
        .checked_sub(1)
        .filter(|i| *i < lab.steps.len())
        .ok_or_else(|| {
            Error::input(
                learner::MARKER,
                format!("`{step}` is not a step of {}", lab.name),
            )
        })?;
    Ok((lab, idx))
}

/// Step number `n` (from 1) of `lab`, as an index.
pub fn step_index(lab: &Lab, n: usize) -> Result<usize> {
    n.checked_sub(1)
        .filter(|i| *i < lab.steps.len())
        .ok_or_else(|| {
            Error::input(
                format!("--step {n}"),
                format!("lab {} has steps 1 to {}", lab.name, lab.steps.len()),
            )
        })
}

/// The lab's namespaces as the learner left them, with the shell's scratch
/// and the `{cni:…}` values read from the kernel.
pub fn attach(lab: &Lab, idx: usize) -> Result<Topo> {
    let mut topo = learner::attach_named()?;
    topo.set_index_plan(run::lab::index_plan(lab));
    topo.set_scratch_dir(SCRATCH_DIR.into());
    run::cni_vars::derive(lab, idx, &mut topo);
    Ok(topo)
}

/// Run step `idx`'s check against the lab as it is now.
pub fn check(lab: &Lab, idx: usize) -> Result<StepReport> {
    let mut topo = attach(lab, idx)?;
    let opts = RunOpts {
        learner: true,
        answer: std::fs::read_to_string(ANSWER_FILE).ok(),
        ..Default::default()
    };
    Ok(run::run_step(lab, idx, &mut topo, &opts))
}

/// Record the learner's answer.
pub fn set_answer(a: &str) -> Result<()> {
    std::fs::write(ANSWER_FILE, a.trim()).map_err(|e| Error::io(format!("write {ANSWER_FILE}"), e))
}

/// The next hint (1-based number, total, text), or `None` when all were shown.
pub fn next_hint(lab: &Lab, idx: usize) -> Result<Option<(usize, usize, String)>> {
    let hints = &crate::tools::lang::step_text(lab, idx).hints;
    let shown: usize = std::fs::read_to_string(HINTS_FILE)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let Some(h) = hints.get(shown) else {
        return Ok(None);
    };
    std::fs::write(HINTS_FILE, (shown + 1).to_string())
        .map_err(|e| Error::io(format!("write {HINTS_FILE}"), e))?;
    Ok(Some((shown + 1, hints.len(), h.clone())))
}

/// The reference solution as shell text, answers read from the lab as it is.
pub fn solution(lab: &Lab, idx: usize) -> Result<String> {
    let topo = attach(lab, idx)?;
    let cni = crate::sys::cni::plugin_dir();
    let env = crate::lab::solution::Env {
        scratch: Path::new(SCRATCH_DIR),
        cni_dir: cni.as_deref(),
        netns_dir: Path::new(learner::NETNS_DIR),
    };
    let answer = |a: &Action| match a {
        Action::Answer(x) => crate::check::answer::expected(&topo, x)
            .unwrap_or_else(|e| format!("'?' # cannot tell now: {e}")),
        _ => String::new(),
    };
    Ok(crate::lab::solution::render(
        lab,
        &lab.steps[idx],
        &env,
        &answer,
    ))
}

/// Ask the shell's vethlab to rebuild the given state: it ends the shell
/// (and every process in it), tears the lab down and opens it anew.
pub fn request_reset() -> Result<()> {
    std::fs::write(RESET_FILE, "").map_err(|e| Error::io(format!("write {RESET_FILE}"), e))
}

/// Whether a reset was asked for (the request is consumed).
pub fn take_reset() -> bool {
    std::fs::remove_file(RESET_FILE).is_ok()
}
