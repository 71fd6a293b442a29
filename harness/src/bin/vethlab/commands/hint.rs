use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::tools::exercise;

#[derive(Args)]
pub struct Hint {}

impl Hint {
    /// Inside a lab shell: the next hint, each call one more.
    pub fn exec(self) -> Result<ExitCode> {
        let (lab, idx) = exercise::current()?;
        match exercise::next_hint(&lab, idx)? {
            Some((i, n, h)) => println!("hint {i}/{n}: {h}"),
            None => println!("no more hints; `vethlab solution` prints the reference commands"),
        }
        Ok(ExitCode::SUCCESS)
    }
}
