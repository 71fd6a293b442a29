use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::report::out::esc;
use vethlab::tools::exercise;
use vethlab::tools::lang::{pick, step_text};

#[derive(Args)]
pub struct Task {}

impl super::Command for Task {
    fn place(&self) -> super::Place {
        // Inside a lab shell, among the lab's namespaces already.
        super::Place::Here
    }
    /// Inside a lab shell: the step's task again.
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let (lab, idx) = exercise::current()?;
        let t = step_text(&lab, idx);
        say!(
            "{} {} {}/{} `{}`: {}",
            lab.name,
            pick("step", "步骤"),
            idx + 1,
            lab.steps.len(),
            lab.steps[idx].name,
            esc(&t.title)
        );
        say!("\n{} {}", pick("Task:", "任务："), esc(&t.task));
        Ok(ExitCode::SUCCESS)
    }
}
