//! The `vethlab` command: each subcommand lives in `commands/` with an `exec()`.

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

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

#[derive(Subcommand)]
enum Cmd {
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

impl Cmd {
    /// Whether the command runs inside the sandbox (entered before any
    /// thread exists). Every command says so here, with no default arm: a
    /// new command does not compile until it decides.
    fn needs_sandbox(&self) -> bool {
        match self {
            // They build namespaces of their own.
            Cmd::Run(_) | Cmd::Shell(_) | Cmd::Bench(_) => true,
            // Need no namespaces of their own.
            Cmd::List(_) | Cmd::Completions(_) | Cmd::Man(_) => false,
            // Read the caller's own host, so they must not leave it.
            Cmd::Peers(_) | Cmd::Doctor(_) => false,
            // Read and write the caller's own files (lab files, a new lab).
            Cmd::Schema(_) | Cmd::Fmt(_) | Cmd::New(_) => false,
            // Run inside a lab shell, among the lab's namespaces already.
            Cmd::Check(_)
            | Cmd::Task(_)
            | Cmd::Hint(_)
            | Cmd::Solution(_)
            | Cmd::Answer(_)
            | Cmd::Reset(_) => false,
        }
    }
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    out::set(cli.color, cli.quiet);
    if let Some(d) = &cli.labs {
        vethlab::lab::catalog::use_labs(d);
    }
    // The labs are found (the built-in ones unpacked) before the sandbox,
    // whose view of the host is read-only.
    if matches!(cli.cmd, Cmd::List(_) | Cmd::Bench(_)) {
        if let Err(e) = vethlab::lab::catalog::labs_dir() {
            eprintln!("vethlab: {e}");
            return ExitCode::from(2);
        }
    }
    // Lab files are read with the caller's rights, before the sandbox (whose
    // root is nobody outside); a bad one exits 2 before anything is built.
    let loaded = match &mut cli.cmd {
        Cmd::Run(c) => c.prepare(),
        Cmd::Shell(c) => c.prepare(),
        _ => Ok(()),
    };
    if let Err(e) = loaded {
        eprintln!("vethlab: {e}");
        return ExitCode::from(if e.is_usage() { 2 } else { 1 });
    }
    if cli.cmd.needs_sandbox() {
        // Result files are written by the caller's side after the run.
        match &cli.cmd {
            Cmd::Run(c) => c.register_outputs(),
            Cmd::Bench(c) => c.register_outputs(),
            _ => {}
        }
        if let Err(e) = vethlab::sys::sandbox::enter() {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    }
    let r = match cli.cmd {
        Cmd::List(c) => c.exec(),
        Cmd::Run(c) => c.exec(),
        Cmd::Peers(c) => c.exec(),
        Cmd::Doctor(c) => c.exec(),
        Cmd::Bench(c) => c.exec(),
        Cmd::Shell(c) => c.exec(),
        Cmd::Check(c) => c.exec(),
        Cmd::Task(c) => c.exec(),
        Cmd::Hint(c) => c.exec(),
        Cmd::Solution(c) => c.exec(),
        Cmd::Answer(c) => c.exec(),
        Cmd::Reset(c) => c.exec(),
        Cmd::Completions(c) => c.exec::<Cli>(),
        Cmd::Man(c) => c.exec::<Cli>(),
        Cmd::Schema(c) => c.exec(),
        Cmd::Fmt(c) => c.exec(),
        Cmd::New(c) => c.exec(),
    };
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
