use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::report::doctor::{self as render, Doc};
use vethlab::tools::doctor;
use vethlab::tools::peers::Sources;

#[derive(Args)]
pub struct Doctor {
    /// Print JSON (an object whose `findings` array holds one object a finding).
    #[arg(long)]
    json: bool,
    /// Report only on these namespaces (their `ip netns` names, `host`, `current`,
    /// `pid N`); every namespace is still read, to follow veths across.
    #[arg(long, value_name = "NAME", num_args = 1..)]
    netns: Vec<String>,
    /// Where named namespaces live (default /run/netns and /var/run/netns).
    #[arg(long, value_name = "DIR")]
    netns_dir: Vec<PathBuf>,
    /// Do not look at /proc/*/ns/net, only at named namespaces and the caller's.
    #[arg(long)]
    no_proc: bool,
}

impl super::Command for Doctor {
    fn place(&self) -> super::Place {
        // Reads the caller's own host, so it must not leave it.
        super::Place::Here
    }
    /// Runs in the caller's namespaces (no sandbox): it reads the real
    /// host, or inside `vethlab shell` the lab's nodes. Reads only.
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let mut src = Sources::default();
        if !self.netns_dir.is_empty() {
            src.netns_dirs = self.netns_dir.clone();
        }
        src.procs = !self.no_proc;
        let snap = doctor::scan(&src);
        let mut found = doctor::diagnose(&snap);
        if !self.netns.is_empty() {
            let labels: Vec<&str> = snap.namespaces.iter().map(|n| n.label.as_str()).collect();
            if let Some(n) = self.netns.iter().find(|n| !labels.contains(&n.as_str())) {
                return Err(Error::input(
                    format!("--netns {n}"),
                    format!(
                        "no such namespace among the {} read ({}){}",
                        labels.len(),
                        labels.join(", "),
                        if snap.missed.is_empty() {
                            ""
                        } else {
                            "; some could not be read: run as root"
                        }
                    ),
                ));
            }
            found.retain(|f| self.netns.contains(&f.netns));
        }
        let code = render::status(&snap, &found);
        if self.json {
            let doc = Doc {
                findings: &found,
                namespaces: snap.namespaces.len(),
                unread: render::unread(&snap),
            };
            say!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        } else {
            let colour = crate::out::ui().colour_out;
            put!("{}", render::text(&snap, &found, colour));
        }
        Ok(ExitCode::from(code))
    }
}
