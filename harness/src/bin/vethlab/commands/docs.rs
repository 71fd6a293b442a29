//! `vethlab completions SHELL` and `vethlab man`: generated from the same
//! clap definitions as the parser, so they never drift from it.

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::process::ExitCode;
use vethlab::error::{Error, Result};

#[derive(Args)]
pub struct Completions {
    /// bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

impl Completions {
    pub fn exec<C: CommandFactory>(self) -> Result<ExitCode> {
        let mut cmd = C::command();
        let mut buf = vec![];
        clap_complete::generate(self.shell, &mut cmd, "vethlab", &mut buf);
        crate::out::print(&String::from_utf8_lossy(&buf));
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Args)]
pub struct Man {}

impl Man {
    pub fn exec<C: CommandFactory>(self) -> Result<ExitCode> {
        let mut buf = vec![];
        clap_mangen::Man::new(C::command())
            .render(&mut buf)
            .map_err(|e| Error::io("render the man page", e))?;
        crate::out::print(&String::from_utf8_lossy(&buf));
        Ok(ExitCode::SUCCESS)
    }
}
