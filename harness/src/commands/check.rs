use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::lab::{self, Lab, RunOpts};
use vethlab::learner;
use vethlab::report::Status;

#[derive(Args)]
pub struct Check {}

impl Check {
    /// Runs in the learner's shell: the lab's namespaces are the ones named
    /// there, in whatever state the learner made.
    pub fn exec(self) -> Result<ExitCode> {
        // Only inside a shell it can verify: the environment alone proves nothing.
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
        let mut topo = learner::attach_named()?;
        topo.set_index_plan(lab.index_plan());
        let opts = RunOpts {
            learner: true,
            ..Default::default()
        };
        let r = lab::run_step(&lab, idx, &mut topo, &opts);
        print!("{}", r.text_in(false, vethlab::out::colour(false)));
        for id in &r.ids {
            println!("  {id}: {}", r.id_result(id));
        }
        match r.status {
            Status::Pass => {
                println!("\nWell done: step {} of {} holds.", idx + 1, lab.name);
                Ok(ExitCode::SUCCESS)
            }
            Status::Skip(_) => Ok(ExitCode::SUCCESS),
            // The report already ends with the step's hint.
            Status::Fail => Ok(ExitCode::from(1)),
        }
    }
}
