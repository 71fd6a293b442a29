use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::tools::exercise;

#[derive(Args)]
pub struct Task {}

impl Task {
    /// Inside a lab shell: the step's task again.
    pub fn exec(self) -> Result<ExitCode> {
        let (lab, idx) = exercise::current()?;
        let s = &lab.steps[idx];
        println!(
            "{} step {}/{} `{}`: {}",
            lab.name,
            idx + 1,
            lab.steps.len(),
            s.name,
            s.title
        );
        println!("\nTask: {}", s.task_text());
        Ok(ExitCode::SUCCESS)
    }
}
