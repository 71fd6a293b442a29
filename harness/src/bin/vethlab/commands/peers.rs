use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::report::out::esc_text;
use vethlab::tools::peers::{self, Sources};

#[derive(Args)]
pub struct Peers {
    /// Explain one interface: `name`, `name@ifN` or `namespace:name`.
    iface: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Where named namespaces live (default /run/netns and /var/run/netns).
    #[arg(long, value_name = "DIR")]
    netns_dir: Vec<PathBuf>,
    /// Do not look at /proc/*/ns/net, only at named namespaces.
    #[arg(long)]
    no_proc: bool,
}

impl super::Command for Peers {
    fn place(&self) -> super::Place {
        // Reads the caller's own host, so it must not leave it.
        super::Place::Here
    }
    /// Runs in the caller's namespaces (no sandbox): it reads the real host.
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        let mut src = Sources::default();
        if !self.netns_dir.is_empty() {
            src.netns_dirs = self.netns_dir.clone();
        }
        src.procs = !self.no_proc;
        let rep = peers::scan(&src);
        let disagree = rep.veths.iter().any(|v| v.disagreement.is_some());
        match &self.iface {
            None if self.json => {
                say!("{}", serde_json::to_string_pretty(&rep).unwrap_or_default())
            }
            // Names, commands and hostnames come from other processes and
            // containers: every control character escaped, never obeyed.
            None => put!("{}", esc_text(&peers::render_table(&rep), true)),
            Some(i) => {
                let hits = peers::find(&rep, i);
                if hits.is_empty() {
                    return Err(Error::input(
                        i.clone(),
                        format!(
                            "no veth of that name in the {} namespaces read{}",
                            rep.namespaces.len(),
                            if rep.unreadable.is_empty() {
                                ""
                            } else {
                                " (some could not be read: run as root)"
                            }
                        ),
                    ));
                }
                if self.json {
                    say!(
                        "{}",
                        serde_json::to_string_pretty(&hits).unwrap_or_default()
                    );
                } else {
                    let texts: Vec<String> = hits.iter().map(|v| peers::explain(&rep, v)).collect();
                    put!("{}", esc_text(&texts.join("\n"), true));
                }
            }
        }
        // Exit 1 only when the kernel's answers contradict each other.
        Ok(if disagree {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}
