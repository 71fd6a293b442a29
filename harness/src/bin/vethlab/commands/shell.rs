use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Error, Result};
use vethlab::lab::Lab;
use vethlab::tools::{exercise, learner};

#[derive(Args)]
pub struct Shell {
    /// The lab (name or path to a lab.json).
    lab: String,
    /// Open the lab in the state before this step (its number from 1, or its
    /// name): its task is yours. Without it, the finished lab: every step
    /// applied, so the articles' commands show what the articles show.
    #[arg(long, value_name = "N|NAME")]
    step: Option<String>,
    /// The language of the task, hints and checks: `zh` or `en` (default:
    /// Chinese when LC_ALL or LANG is zh_*).
    #[arg(long, value_name = "zh|en")]
    lang: Option<String>,
    /// Run this command instead of an interactive shell (after `--`).
    #[arg(last = true)]
    command: Vec<String>,
    /// The lab, read before the sandbox, and its files for `vethlab check`.
    #[arg(skip)]
    loaded: Option<(Lab, learner::LabFiles)>,
}

impl super::Command for Shell {
    fn place(&self) -> super::Place {
        // It builds the lab's namespaces.
        super::Place::Sandbox
    }

    /// Before the sandbox: read and check the lab file.
    fn prepare(&mut self, ctx: &super::Ctx) -> Result<()> {
        let (lab, _) = vethlab::lab::catalog::resolve(&self.lab, &ctx.labs.dir()?)?;
        let files = learner::read_lab_files(&lab)?;
        self.loaded = Some((lab, files));
        Ok(())
    }

    fn exec(mut self: Box<Self>, ctx: &super::Ctx) -> Result<ExitCode> {
        if self.loaded.is_none() {
            self.prepare(ctx)?;
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
        // The shell lives in the first node: the articles' "host".
        let node = lab.nodes.first().cloned().unwrap_or_default();
        let at = chosen.map_or("done".into(), |s| format!("{s}/{n}"));
        let prompt = format!("[{} {at} {node}] \\w# ", lab.name);
        let mut env = [
            (learner::ENV_LAB, lab.path.display().to_string()),
            (learner::ENV_STEP, current.to_string()),
            // How many times `vethlab reset` rebuilt the lab (a script run
            // with `--` runs again after each).
            (learner::ENV_RESETS, "0".to_string()),
        ];
        if let Some(l) = &self.lang {
            if l != "zh" && l != "en" {
                return Err(Error::input(
                    format!("--lang {l}"),
                    "the languages are zh and en",
                ));
            }
            // For this process's banner and everything the shell runs.
            std::env::set_var(vethlab::tools::lang::ENV_LANG, l);
        }
        // `vethlab reset` ends the shell and asks for the given state anew:
        // everything is torn down (namespaces, daemons, files) and rebuilt.
        for resets in 0.. {
            env[2].1 = resets.to_string();
            learner::private_netns_dir()?;
            let topo = learner::build(&lab, build_to)?;
            learner::name_nodes(&topo)?;
            banner(&lab, &topo, chosen, &node);
            // What `vethlab check` needs, where only this shell can see it.
            let copy = learner::copy_lab_files(&files)?;
            learner::write_marker(&copy, current)?;
            vethlab::tools::learner_home::make_home(&format!("{} {at}", lab.name))?;
            let code = learner::spawn_shell(&topo, &node, &prompt, &env, &self.command)?;
            if !exercise::take_reset() {
                return Ok(ExitCode::from(code.clamp(0, 255) as u8));
            }
            // Where the rebuild is decided, not from a look at the file
            // as the shell ends: one rootless CI run rebuilt without it.
            vethlab::sys::trace::event(|| "reset".into());
            drop(topo);
            learner::release_run_dir()?;
            eprintln!("\nvethlab reset: the lab is rebuilt in its given state.");
        }
        unreachable!("the shell's loop ends only by returning")
    }
}

/// What the learner reads first: the lab, the step and its task, what
/// this kernel cannot do, and how to move around.
fn banner(lab: &Lab, topo: &vethlab::topo::Topo, chosen: Option<usize>, node: &str) {
    use vethlab::report::out::esc;
    use vethlab::tools::lang::{pick, step_text};
    let n = lab.steps.len();
    let names: Vec<&str> = topo.nodes().iter().map(|n| n.name()).collect();
    match chosen {
        Some(s) => {
            let t = step_text(lab, s - 1);
            eprintln!("vethlab shell: {} — {}", lab.name, esc(&t.lab_title));
            eprintln!(
                "{} {s}/{n} `{}`: {}",
                pick("step", "步骤"),
                lab.steps[s - 1].name,
                esc(&t.title)
            );
            eprintln!("\n{} {}", pick("Task:", "任务："), esc(&t.task));
            if let Some(why) = vethlab::run::step_skip(lab, s - 1) {
                eprintln!(
                    "\n{} {}\n{}",
                    pick(
                        "Note: this kernel cannot run this step:",
                        "注意：此内核无法运行本步："
                    ),
                    esc(&vethlab::tools::lang::diag(&why)),
                    pick(
                        "its check will say SKIP (exit status 3), never PASS.",
                        "它的检查只会显示「跳过」（退出码 3），不会显示通过。"
                    )
                );
            }
        }
        None => {
            let title = step_text(lab, 0).lab_title;
            eprintln!("vethlab shell: {} — {}", lab.name, esc(&title));
            eprintln!(
                "{}",
                pick(
                    &format!("the finished lab: all {n} steps applied"),
                    &format!("完成的实验：{n} 步全部已应用")
                )
            );
        }
    }
    eprintln!(
        "\n{} {node}; {} ip netns exec NAME ..., enter NAME ({}).\n\
         check | task | hint | solution | answer X | lab-reset; {}\n",
        pick("You are in namespace", "你在命名空间"),
        pick("the others:", "其他："),
        names.join(", "),
        pick("`exit` removes everything.", "`exit` 删除一切。")
    );
}
