use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::report::Status;
use vethlab::tools::exercise;

#[derive(Args)]
pub struct Check {
    /// Check this step (its number from 1) instead of the shell's: in the
    /// finished lab (`vethlab shell LAB`) every step's check holds.
    #[arg(long, value_name = "N")]
    step: Option<usize>,
}

impl Check {
    /// Runs in the learner's shell: the lab's namespaces are the ones named
    /// there, in whatever state the learner made.
    pub fn exec(self) -> Result<ExitCode> {
        // Only inside a shell it can verify: the environment alone proves nothing.
        let (lab, mut idx) = exercise::current()?;
        if let Some(n) = self.step {
            idx = exercise::step_index(&lab, n)?;
        }
        verdict(&lab, idx)
    }
}

/// Run the check, print its report, and say what it means.
pub fn verdict(lab: &vethlab::lab::Lab, idx: usize) -> Result<ExitCode> {
    let r = exercise::check(lab, idx)?;
    print!("{}", r.text_in(false, crate::out::ui().colour_out));
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
