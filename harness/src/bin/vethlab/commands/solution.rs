use crate::out::println;
use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::tools::exercise;

#[derive(Args)]
pub struct Solution {
    /// This step's (its number from 1) instead of the shell's.
    #[arg(long, value_name = "N")]
    step: Option<usize>,
}

impl super::Command for Solution {
    fn place(&self) -> super::Place {
        // Inside a lab shell, among the lab's namespaces already.
        super::Place::Here
    }
    /// Inside a lab shell: the reference commands, runnable as they are
    /// there (`vethlab solution | sh` does the step).
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let (lab, mut idx) = exercise::current()?;
        if let Some(n) = self.step {
            idx = exercise::step_index(&lab, n)?;
        }
        let text = exercise::solution(&lab, idx)?;
        if text.is_empty() {
            println(vethlab::tools::lang::pick(
                "# nothing to type: this step's task is to look (see `vethlab task`)",
                "# 无需输入命令：本步的任务是观察（见 `vethlab task`）",
            ));
        } else {
            put!("{text}");
        }
        Ok(ExitCode::SUCCESS)
    }
}
