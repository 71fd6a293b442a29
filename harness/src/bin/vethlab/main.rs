//! The `vethlab` command: each subcommand lives in `commands/` with an `exec()`.

use clap::{CommandFactory, Parser, Subcommand};
use commands::{Command, Ctx, Place};
use std::io::Write;
use std::process::ExitCode;
use vethlab::lab::catalog::Labs;

mod commands;
mod out;

#[derive(Parser)]
#[command(
    name = "vethlab",
    version = concat!(env!("CARGO_PKG_VERSION"), " (git ", env!("VETHLAB_GIT_REV"), ")"),
    about = "Container-network labs in throwaway namespaces: build, drive, capture, assert"
)]
struct Cli {
    /// Read the labs from DIR (DIR/LAB/lab.json, fixtures in DIR/../fixtures/LAB)
    /// instead of those built into vethlab; also $VETHLAB_LABS.
    #[arg(long, global = true, value_name = "DIR")]
    labs: Option<std::path::PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
    /// Colour the report: auto (a terminal, unless NO_COLOR is set or
    /// TERM=dumb; CLICOLOR_FORCE=1 forces it), always, never.
    #[arg(long, global = true, value_name = "WHEN", value_enum, default_value_t = out::When::Auto)]
    color: out::When,
    /// Quiet: print only failures and the summary line.
    #[arg(short, long, global = true)]
    quiet: bool,
}

/// Every subcommand, listed once: its variant, its type (which implements
/// `commands::Command`, saying where it runs) and its help line.
macro_rules! subcommands {
    ($($(#[doc = $doc:literal])* $name:ident($ty:ty),)*) => {
        #[derive(Subcommand)]
        enum Cmd {
            $($(#[doc = $doc])* $name($ty),)*
        }

        impl Cmd {
            fn into_command(self) -> Box<dyn Command> {
                match self {
                    $(Cmd::$name(c) => Box::new(c),)*
                }
            }
        }
    };
}

subcommands! {
    /// List the labs, their steps and the observation ids each step asserts.
    List(commands::list::List),
    /// Build, drive, capture, assert and tear down labs (all of them by default).
    Run(commands::run::Run),
    /// Open a lab as a shell, in the state before a step, with the articles' names.
    Shell(commands::shell::Shell),
    /// Inside `vethlab shell`: check the step against what you built.
    Check(commands::check::Check),
    /// Inside `vethlab shell`: the step's task again.
    Task(commands::task::Task),
    /// Inside `vethlab shell`: the next hint (each call one more).
    Hint(commands::hint::Hint),
    /// Inside `vethlab shell`: the reference solution, as commands for this shell.
    Solution(commands::solution::Solution),
    /// Inside `vethlab shell`: answer the step's question, then check.
    Answer(commands::answer::Answer),
    /// Inside `vethlab shell`: back to the step's given state (a new shell).
    Reset(commands::reset::Reset),
    /// Measure: pod churn against an `ip` script and a netlink floor, the suite, calico at scale.
    Bench(commands::bench::BenchCmd),
    /// Map every veth on this host to its peer and namespace (reads only).
    Peers(commands::peers::Peers),
    /// Name the seeds' misconfigurations in every namespace here (reads only; exit 1 on a problem).
    Doctor(commands::doctor::Doctor),
    /// Print a shell completion script (e.g. `vethlab completions bash > /etc/bash_completion.d/vethlab`).
    Completions(commands::docs::Completions),
    /// Print the man page (roff): `vethlab man | man -l -`.
    Man(commands::docs::Man),
    /// Print the lab format's JSON Schema (for editors: `"$schema"` in a lab file).
    Schema(commands::schema::Schema),
    /// Rewrite lab files in the canonical layout (`--check`: only list those that differ).
    Fmt(commands::fmt::Fmt),
    /// Make a new lab to start from: DIR/lab.json (two namespaces, a veth, a ping, a capture) and a README.
    New(commands::new::New),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    out::set(cli.color, cli.quiet);
    let ctx = Ctx {
        labs: Labs::new(cli.labs.as_deref()),
        cli: Cli::command,
    };
    let mut cmd = cli.cmd.into_command();
    // Lab files are read, and the labs found (the built-in ones unpacked),
    // with the caller's rights before the sandbox (whose view of the host is
    // read-only, and whose root is nobody outside); a bad one exits 2 before
    // anything is built.
    if let Err(e) = cmd.prepare(&ctx) {
        eprintln!("vethlab: {e}");
        return ExitCode::from(if e.is_usage() { 2 } else { 1 });
    }
    if cmd.place() == Place::Sandbox {
        // The labs directory is shown read-only inside; none found is the
        // command's to report, not the sandbox's.
        if let Err(e) = vethlab::sys::sandbox::enter(ctx.labs.dir().ok().as_deref()) {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    let r = cmd.exec(&ctx);
    // Output the reader did not take (a full disk) is an error too.
    match r.and_then(|c| crate::out::finish().map(|_| c)) {
        Ok(code) => code,
        Err(e) => {
            // Messages quote lab files: no escape sequence reaches the terminal.
            let _ = writeln!(
                std::io::stderr(),
                "vethlab: {}",
                vethlab::report::out::esc_text(&e.to_string(), true)
            );
            ExitCode::from(if e.is_usage() { 2 } else { 1 })
        }
    }
}
