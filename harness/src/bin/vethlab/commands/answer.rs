use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::tools::exercise;

#[derive(Args)]
pub struct Answer {
    /// Your answer (e.g. an interface's name, or `NAMESPACE:IFACE`).
    #[arg(required = true, num_args = 1..)]
    answer: Vec<String>,
}

impl super::Command for Answer {
    fn place(&self) -> super::Place {
        // Inside a lab shell, among the lab's namespaces already.
        super::Place::Here
    }
    /// Inside a lab shell: record the answer to the step's question, then check.
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let (lab, idx) = exercise::current()?;
        exercise::set_answer(&self.answer.join(" "))?;
        super::check::verdict(&lab, idx, false)
    }
}
