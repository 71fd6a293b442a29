use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::lab::Lab;
use vethlab::report::Status;
use vethlab::run::{self, RunOpts};
use vethlab::tools::learner;

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
        topo.set_index_plan(run::lab::index_plan(&lab));
        let opts = RunOpts {
            learner: true,
            ..Default::default()
        };
        let r = run::run_step(&lab, idx, &mut topo, &opts);
        print!("{}", r.text_in(false, vethlab::report::out::colour(false)));
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
