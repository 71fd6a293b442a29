//! `vethlab completions SHELL` and `vethlab man`: generated from the same
//! clap definitions as the parser, so they never drift from it.

use clap::builder::PossibleValuesParser;
use clap::{Args, Command};
use clap_complete::Shell;
use std::path::PathBuf;
use std::process::ExitCode;
use vethlab::error::{Error, Result};

#[derive(Args)]
pub struct Completions {
    /// bash, zsh, fish, elvish or powershell.
    shell: Shell,
}

/// The catalog's names as completions: `run` takes LAB and LAB/STEP,
/// `shell` a LAB and `--step` a step name (a path to a lab.json, or a step
/// number, is still accepted when typed: these only feed the scripts).
fn with_lab_names(cmd: Command, labs: &vethlab::lab::catalog::Labs) -> Command {
    let Some(labs) = labs
        .dir()
        .ok()
        .and_then(|d| vethlab::lab::catalog::load_all(&d).ok())
    else {
        return cmd;
    };
    let labs_only: Vec<String> = labs.iter().map(|l| l.name.clone()).collect();
    let mut steps: Vec<String> = labs
        .iter()
        .flat_map(|l| l.steps.iter().map(|s| s.name.clone()))
        .collect();
    steps.sort();
    steps.dedup();
    let mut targets = labs_only.clone();
    for l in &labs {
        targets.extend(l.steps.iter().map(|s| format!("{}/{}", l.name, s.name)));
    }
    cmd.mut_subcommand("run", |c| {
        c.mut_arg("targets", |a| {
            a.value_parser(PossibleValuesParser::new(targets)).index(1)
        })
    })
    .mut_subcommand("shell", |c| {
        // `mut_arg` renumbers positionals: LAB stays first, the command after `--` second.
        c.mut_arg("lab", |a| {
            a.value_parser(PossibleValuesParser::new(labs_only))
                .index(1)
        })
        .mut_arg("command", |a| a.index(2))
        // Every lab's step names (a number is still accepted when typed).
        .mut_arg("step", |a| a.value_parser(PossibleValuesParser::new(steps)))
    })
}

impl super::Command for Completions {
    fn place(&self) -> super::Place {
        // Prints; needs no namespaces.
        super::Place::Here
    }
    fn exec(self: Box<Self>, ctx: &super::Ctx) -> Result<ExitCode> {
        let mut cmd = with_lab_names((ctx.cli)(), &ctx.labs);
        let mut buf = vec![];
        clap_complete::generate(self.shell, &mut cmd, "vethlab", &mut buf);
        crate::out::print(&String::from_utf8_lossy(&buf));
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Args)]
pub struct Man {
    /// The subcommand whose page to print (`vethlab man run` is vethlab-run(1));
    /// the top-level page without it.
    #[arg(value_name = "SUBCOMMAND")]
    sub: Option<String>,
    /// Write every page (vethlab.1, vethlab-run.1, …) into DIR instead.
    #[arg(long, value_name = "DIR", conflicts_with = "sub")]
    dir: Option<PathBuf>,
}

impl super::Command for Man {
    fn place(&self) -> super::Place {
        // Prints; needs no namespaces.
        super::Place::Here
    }
    fn exec(self: Box<Self>, ctx: &super::Ctx) -> Result<ExitCode> {
        let mut cmd = (ctx.cli)().disable_help_subcommand(true);

        cmd.build();
        if let Some(d) = &self.dir {
            std::fs::create_dir_all(d).map_err(|e| Error::io("create the man directory", e))?;
            clap_mangen::generate_to(cmd, d).map_err(|e| Error::io("write the man pages", e))?;
            return Ok(ExitCode::SUCCESS);
        }
        let page = match &self.sub {
            None => cmd,
            Some(s) => cmd.find_subcommand(s).cloned().ok_or_else(|| {
                let names: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                Error::input(
                    "vethlab man",
                    format!("no subcommand `{s}`; one of: {}", names.join(", ")),
                )
            })?,
        };
        let mut buf = vec![];
        clap_mangen::Man::new(page)
            .render(&mut buf)
            .map_err(|e| Error::io("render the man page", e))?;
        crate::out::print(&String::from_utf8_lossy(&buf));
        Ok(ExitCode::SUCCESS)
    }
}
