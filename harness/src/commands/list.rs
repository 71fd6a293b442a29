use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;

#[derive(Args)]
pub struct List {
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

impl List {
    pub fn exec(self) -> Result<ExitCode> {
        let labs = vethlab::labs::load_all(&vethlab::labs::labs_dir())?;
        if self.json {
            let v: Vec<_> = labs
                .iter()
                .map(|l| {
                    serde_json::json!({"lab": l.name, "title": l.title, "seeds": l.seeds,
                    "steps": l.steps.iter().map(|s| serde_json::json!({"step": s.name, "title": s.title, "observations": s.ids(), "requires": s.requires})).collect::<Vec<_>>()})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return Ok(ExitCode::SUCCESS);
        }
        for l in &labs {
            println!("{}  — {} (seeds {})", l.name, l.title, l.seeds.join(", "));
            for s in &l.steps {
                let req = if s.requires.is_empty() {
                    String::new()
                } else {
                    format!("  (needs {})", s.requires.join(", "))
                };
                println!(
                    "  {}/{:<22} {:<24} {}{req}",
                    l.name,
                    s.name,
                    s.ids().join(" "),
                    s.title
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}
