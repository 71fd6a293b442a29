use crate::out::println;
use clap::Args;
use std::process::ExitCode;
use vethlab::error::{Context, Result};
use vethlab::report::out::esc;

#[derive(Args)]
pub struct List {
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

impl super::Command for List {
    fn place(&self) -> super::Place {
        // Reads lab files; needs no namespaces.
        super::Place::Here
    }
    fn exec(self: Box<Self>, ctx: &super::Ctx) -> Result<ExitCode> {
        let labs = vethlab::lab::catalog::load_all(&ctx.labs.dir()?)?;

        if self.json {
            let v: Vec<_> = labs
                .iter()
                .map(|l| {
                    serde_json::json!({"lab": l.name, "title": l.title, "seeds": l.seeds,
                    "steps": l.steps.iter().map(|s| serde_json::json!({"step": s.name, "title": s.title, "task": s.task_text(), "hints": s.hints.len(), "observations": s.ids(), "requires": s.requires})).collect::<Vec<_>>()})
                })
                .collect();
            let text = serde_json::to_string_pretty(&v).context(|| "JSON".into())?;
            println(&text);
            return Ok(ExitCode::SUCCESS);
        }
        for l in &labs {
            println(&format!(
                "{}  — {} (seeds {})",
                esc(&l.name),
                esc(&l.title),
                esc(&l.seeds.join(", "))
            ));
            for s in &l.steps {
                let req = if s.requires.is_empty() {
                    String::new()
                } else {
                    format!("  (needs {})", esc(&s.requires.join(", ")))
                };
                println(&format!(
                    "  {}/{:<22} {:<24} {}{req}",
                    esc(&l.name),
                    esc(&s.name),
                    esc(&s.ids().join(" ")),
                    esc(&s.title)
                ));
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
