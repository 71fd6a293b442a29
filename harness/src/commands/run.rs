use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use vethlab::error::{Error, Result};
use vethlab::lab::{self, RunOpts};
use vethlab::report::{self, StepReport};

#[derive(Args)]
pub struct Run {
    /// LAB, LAB/STEP, or a path to your own lab.json; all labs when none.
    targets: Vec<String>,
    /// Write a JSON report (every step, every observation id and its result).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write every capture as DIR/<lab>/<step>/<node>-<iface>.pcap.
    #[arg(long, value_name = "DIR")]
    pcap_dir: Option<PathBuf>,
    /// Kernel buffer per capture in bytes (raise it if a step reports drops).
    #[arg(long, value_name = "BYTES")]
    capture_buffer: Option<i32>,
    /// Show every check's detail and every captured line, not only failures.
    #[arg(short, long)]
    verbose: bool,
}

impl Run {
    pub fn exec(self) -> Result<ExitCode> {
        let dir = vethlab::labs::labs_dir();
        let mut jobs: Vec<(lab::Lab, Option<usize>)> = vec![];
        if self.targets.is_empty() {
            jobs = vethlab::labs::load_all(&dir)?
                .into_iter()
                .map(|l| (l, None))
                .collect();
        }
        for t in &self.targets {
            jobs.push(vethlab::labs::resolve(t, &dir)?);
        }
        let opts = RunOpts {
            pcap_dir: self.pcap_dir.clone(),
            capture_buffer: self.capture_buffer,
            ..Default::default()
        };
        let out = Mutex::new(());
        let verbose = self.verbose;
        let progress = |r: &StepReport| {
            let _g = out.lock();
            print!("{}", r.text(verbose));
        };
        // Labs in parallel (each in its own namespaces), steps of a lab in order.
        let results: Vec<Vec<StepReport>> = std::thread::scope(|s| {
            let hs: Vec<_> = jobs
                .iter()
                .map(|(l, idx)| {
                    let opts = &opts;
                    let progress = &progress;
                    s.spawn(move || match idx {
                        None => lab::run_lab(l, opts, progress),
                        Some(i) => {
                            let r = lab::run_one(l, *i, opts);
                            progress(&r);
                            vec![r]
                        }
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        let all: Vec<StepReport> = results.into_iter().flatten().collect();
        if let Some(p) = &self.json {
            let v = report::json_report(&all);
            std::fs::write(p, serde_json::to_string_pretty(&v).unwrap_or_default())
                .map_err(|e| Error::io(format!("write {}", p.display()), e))?;
        }
        let (_, failed, _, line) = report::summary(&all);
        println!("\n{line}");
        Ok(if failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }
}
