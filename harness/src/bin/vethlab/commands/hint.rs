use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::report::out::esc;
use vethlab::tools::exercise;
use vethlab::tools::lang::pick;

#[derive(Args)]
pub struct Hint {}

impl super::Command for Hint {
    fn place(&self) -> super::Place {
        // Inside a lab shell, among the lab's namespaces already.
        super::Place::Here
    }
    /// Inside a lab shell: the next hint, each call one more (where to look
    /// first, then the mechanism; only the last may show a command).
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let (lab, idx) = exercise::current()?;
        match exercise::next_hint(&lab, idx)? {
            Some((i, n, h)) => say!("{} {i}/{n}: {}", pick("hint", "提示"), esc(&h)),
            None => say!(
                "{}",
                pick(
                    "no more hints; `solution` prints the reference commands",
                    "没有更多提示了；`solution` 显示参考命令"
                )
            ),
        }
        Ok(ExitCode::SUCCESS)
    }
}
