use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::report::out::esc;
use vethlab::tools::exercise;
use vethlab::tools::lang::{pick, step_text};

#[derive(Args)]
pub struct Task {}

impl Task {
    /// Inside a lab shell: the step's task again.
    pub fn exec(self) -> Result<ExitCode> {
        let (lab, idx) = exercise::current()?;
        let t = step_text(&lab, idx);
        println!(
            "{} {} {}/{} `{}`: {}",
            lab.name,
            pick("step", "步骤"),
            idx + 1,
            lab.steps.len(),
            lab.steps[idx].name,
            esc(&t.title)
        );
        println!("\n{} {}", pick("Task:", "任务："), esc(&t.task));
        Ok(ExitCode::SUCCESS)
    }
}
