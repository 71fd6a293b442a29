use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::lab::Lab;
use vethlab::tools::learner;

#[derive(Args)]
pub struct Shell {
    /// The lab (name or path to a lab.json).
    lab: String,
    /// Open the lab in the state before this step (its number from 1, or its
    /// name): its task is yours. Without it, the finished lab: every step
    /// applied, so the articles' commands show what the articles show.
    #[arg(long, value_name = "N|NAME")]
    step: Option<String>,
    /// Run this command instead of an interactive shell (after `--`).
    #[arg(last = true)]
    command: Vec<String>,
    /// The lab, read before the sandbox, and its files for `vethlab check`.
    #[arg(skip)]
    loaded: Option<(Lab, learner::LabFiles)>,
}

impl Shell {
    /// Before the sandbox: read and check the lab file.
    pub fn prepare(&mut self) -> Result<()> {
        let (lab, _) =
            vethlab::lab::catalog::resolve(&self.lab, &vethlab::lab::catalog::labs_dir())?;
        let files = learner::read_lab_files(&lab)?;
        self.loaded = Some((lab, files));
        Ok(())
    }

    pub fn exec(mut self) -> Result<ExitCode> {
        if self.loaded.is_none() {
            self.prepare()?;
        }
        let Some((lab, files)) = self.loaded.take() else {
            return Err(Error::other("the lab was not loaded"));
        };
        let n = lab.steps.len();
        let chosen: Option<usize> = match &self.step {
            None => None,
            Some(s) => Some(
                s.parse::<usize>()
                    .ok()
                    .filter(|i| (1..=n).contains(i))
                    .or_else(|| lab.step_index(s).map(|i| i + 1))
                    .ok_or_else(|| {
                        let names: Vec<&str> = lab.steps.iter().map(|s| s.name.as_str()).collect();
                        Error::input(
                            format!("--step {s}"),
                            format!("lab {} has steps 1 to {n}: {}", lab.name, names.join(", ")),
                        )
                    })?,
            ),
        };
        // The finished lab is the state before a step after the last; its
        // `vethlab check` checks the last step, which holds there.
        let (build_to, current) = match chosen {
            Some(s) => (s, s),
            None => (n + 1, n),
        };
        let step = &lab.steps[current - 1];
        let topo = learner::build(&lab, build_to)?;
        learner::name_nodes(&topo)?;
        // The shell lives in the first node: the articles' "host".
        let node = lab.nodes.first().cloned().unwrap_or_default();
        let names: Vec<&str> = topo.nodes().iter().map(|n| n.name()).collect();
        eprintln!("vethlab shell: {} — {}", lab.name, lab.title);
        match chosen {
            Some(s) => {
                eprintln!("step {s}/{n} `{}`: {}", step.name, step.title);
                if let Some(t) = &step.task {
                    eprintln!("\nTask: {t}");
                }
            }
            None => eprintln!("the finished lab: all {n} steps applied"),
        }
        eprintln!(
            "\nYou are in namespace {node}; the others: ip netns exec NAME ... ({}).\n\
             `vethlab check` checks the step; `exit` removes everything.\n",
            names.join(", ")
        );
        let at = chosen.map_or("done".into(), |s| format!("{s}/{n}"));
        let prompt = format!("[{} {at} {node}] \\w# ", lab.name);
        // What `vethlab check` needs, where only this shell can see it.
        let copy = learner::copy_lab_files(&files)?;
        learner::write_marker(&copy, current)?;
        let env = [
            (learner::ENV_LAB, lab.path.display().to_string()),
            (learner::ENV_STEP, current.to_string()),
        ];
        let code = learner::spawn_shell(&topo, &node, &prompt, &env, &self.command)?;
        Ok(ExitCode::from(code.clamp(0, 255) as u8))
    }
}
