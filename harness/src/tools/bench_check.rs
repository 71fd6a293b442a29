//! What a learner waits for: `vethlab check` per step, on the step done
//! (given state, then the reference solution), its median and maximum over
//! a few rounds. The promise is under 2 s.

use crate::error::Result;
use crate::lab::{Action, Lab};
use crate::report::Status;
use crate::run::{self, RunOpts};
use serde::Serialize;
use std::time::Instant;

/// How long `vethlab check` takes on one step, solved and unsolved.
#[derive(Debug, Clone, Serialize)]
pub struct CheckTime {
    /// The lab.
    pub lab: String,
    /// The step.
    pub step: String,
    /// Median of the checks on the solved step.
    pub median_ms: f64,
    /// Slowest check on the solved step.
    pub max_ms: f64,
    /// Whether every round passed (it should, on the solved step).
    pub passed: bool,
    /// Median of the same check on the given state, before the task (it fails there).
    pub fail_median_ms: f64,
    /// Slowest check before the task.
    pub fail_max_ms: f64,
}

/// Median and maximum of `reps` checks of step `i` on `topo`, and whether all passed.
fn time(lab: &Lab, i: usize, topo: &mut crate::topo::Topo, reps: usize) -> (f64, f64, bool) {
    let s = &lab.steps[i];
    // A question is answered as its solution answers it.
    let answer = s.check().find_map(|a| match a {
        Action::Answer(x) => crate::check::answer::expected(topo, x).ok(),
        _ => None,
    });
    let opts = RunOpts {
        learner: true,
        answer,
        ..Default::default()
    };
    let mut ms = vec![];
    let mut passed = true;
    for _ in 0..reps.max(1) {
        let t = Instant::now();
        let r = run::run_step(lab, i, topo, &opts);
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        passed &= r.status == Status::Pass;
    }
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() - 1], passed)
}

/// Each step of `labs` (skips left out) solved, then checked `reps` times
/// as `vethlab check` checks: the check's items only, caches cold.
pub fn checks(labs: &[Lab], reps: usize) -> Result<Vec<CheckTime>> {
    let mut out = vec![];
    for lab in labs {
        for (i, s) in lab.steps.iter().enumerate() {
            if run::step_skip(lab, i).is_some() {
                continue;
            }
            let mut given = run::new_topo(lab)?;
            run::build_given(lab, &mut given, i)?;
            let (fail_median_ms, fail_max_ms, _) = time(lab, i, &mut given, reps);
            drop(given);
            let mut topo = run::new_topo(lab)?;
            run::build_upto(lab, &mut topo, i + 1)?;
            let (median_ms, max_ms, passed) = time(lab, i, &mut topo, reps);
            out.push(CheckTime {
                lab: lab.name.clone(),
                step: s.name.clone(),
                median_ms,
                max_ms,
                passed,
                fail_median_ms,
                fail_max_ms,
            });
        }
    }
    Ok(out)
}
