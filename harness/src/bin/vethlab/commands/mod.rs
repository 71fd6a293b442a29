//! One file per subcommand, each with an `exec()`.

/// For every subcommand: standard output that survives a closed pipe or a full disk (`out`).
macro_rules! say {
    ($($t:tt)*) => { crate::out::println(&format!($($t)*)) };
}
macro_rules! put {
    ($($t:tt)*) => { crate::out::print(&format!($($t)*)) };
}

use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::lab::catalog::Labs;

/// Where a subcommand runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Inside the sandbox (entered before any thread exists): it builds
    /// namespaces of its own.
    Sandbox,
    /// Where it was started: it reads the caller's host or files, or runs
    /// inside a lab shell among the lab's namespaces already.
    Here,
}

/// What `main` hands every subcommand: the global options, resolved once.
pub struct Ctx {
    /// The labs (`--labs DIR`, `$VETHLAB_LABS`, or the built-in ones).
    pub labs: Labs,
    /// The command line's definition (for completions and the man page).
    pub cli: fn() -> clap::Command,
}

/// One subcommand. `place` has no default: a new command does not compile
/// until it says where it runs.
pub trait Command {
    /// Whether it runs in the sandbox or where it was started.
    fn place(&self) -> Place;
    /// Before the sandbox, with the caller's rights: read lab files, name
    /// the result files (a mistake exits 2 before anything is built).
    fn prepare(&mut self, _ctx: &Ctx) -> Result<()> {
        Ok(())
    }
    /// Do it; the exit status.
    fn exec(self: Box<Self>, ctx: &Ctx) -> Result<ExitCode>;
}

pub mod answer;
pub mod bench;
pub mod check;
pub mod docs;
pub mod doctor;
pub mod fmt;
pub mod hint;
pub mod list;
pub mod new;
pub mod peers;
pub mod reset;
pub mod run;
pub mod run_html;
pub mod schema;
pub mod shell;
pub mod solution;
pub mod task;
