use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::tools::exercise;

#[derive(Args)]
pub struct Reset {}

impl super::Command for Reset {
    fn place(&self) -> super::Place {
        // Inside a lab shell, among the lab's namespaces already.
        super::Place::Here
    }
    /// Inside a lab shell: back to the step's given state. The shell ends
    /// (every process in it with it), the lab is torn down and rebuilt, and
    /// a new shell opens.
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        exercise::current()?;
        exercise::request_reset()?;
        eprintln!(
            "vethlab reset: {}",
            vethlab::tools::lang::pick("tearing the lab down ...", "正在拆除实验并重建……")
        );
        // The shell's vethlab ends this process with the shell.
        std::thread::sleep(std::time::Duration::from_secs(10));
        Err(Error::other("the shell did not restart"))
    }
}
