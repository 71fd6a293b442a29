use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use vethlab::error::Result;
use vethlab::html::NodeView;
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
    /// Write DIR/<lab>.html: topology and packet-ladder diagrams (pcaps in DIR/pcaps).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Kernel buffer per capture in bytes (raise it if a step reports drops).
    #[arg(long, value_name = "BYTES")]
    capture_buffer: Option<i32>,
    /// Show every check's detail and every captured line, not only failures.
    #[arg(short, long)]
    verbose: bool,
    /// The labs, read before the sandbox (whose root may not read the caller's files).
    #[arg(skip)]
    loaded: Option<Vec<(lab::Lab, Option<usize>)>>,
}

impl Run {
    /// Before the sandbox: the file and directories results go to.
    pub fn register_outputs(&self) {
        let pcap_dir = self
            .pcap_dir
            .clone()
            .or_else(|| self.html.as_ref().map(|d| d.join("pcaps")));
        for d in pcap_dir.iter().chain(&self.html) {
            vethlab::outputs::register_dir(d);
        }
        if let Some(f) = &self.json {
            vethlab::outputs::register_file(f);
        }
    }

    /// Before the sandbox: read and check the lab files (a bad one exits 2
    /// before anything is built).
    pub fn prepare(&mut self) -> Result<()> {
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
        self.loaded = Some(jobs);
        Ok(())
    }

    pub fn exec(mut self) -> Result<ExitCode> {
        if self.loaded.is_none() {
            self.prepare()?;
        }
        let jobs = self.loaded.take().unwrap_or_default();
        let pcap_dir = self
            .pcap_dir
            .clone()
            .or_else(|| self.html.as_ref().map(|d| d.join("pcaps")));
        let opts = RunOpts {
            pcap_dir: pcap_dir.clone(),
            capture_buffer: self.capture_buffer,
            ..Default::default()
        };
        let total: usize = jobs
            .iter()
            .map(|(l, i)| if i.is_some() { 1 } else { l.steps.len() })
            .sum();
        // On a terminal, a status line on stderr says how far the run is and
        // which labs are still running; piped, only the report is printed.
        let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let left: Mutex<(usize, Vec<(String, usize)>)> = Mutex::new((
            0,
            jobs.iter()
                .map(|(l, i)| (l.name.clone(), if i.is_some() { 1 } else { l.steps.len() }))
                .collect(),
        ));
        let verbose = self.verbose;
        let progress = |r: &StepReport| {
            let Ok(mut g) = left.lock() else { return };
            if tty {
                eprint!("\r\x1b[K");
            }
            print!("{}", r.text(verbose));
            g.0 += 1;
            if let Some(e) = g.1.iter_mut().find(|(n, k)| *n == r.lab && *k > 0) {
                e.1 -= 1;
            }
            if tty && g.0 < total {
                let running: Vec<&str> =
                    g.1.iter()
                        .filter(|(_, k)| *k > 0)
                        .map(|(n, _)| n.as_str())
                        .collect();
                eprint!("[{}/{total} steps] running: {}", g.0, running.join(", "));
            }
        };
        // Labs in parallel (each in its own namespaces), steps of a lab in order.
        let html = self.html.is_some();
        let results: Vec<(Vec<StepReport>, Vec<NodeView>)> = std::thread::scope(|s| {
            let hs: Vec<_> = jobs
                .iter()
                .map(|(l, idx)| {
                    let opts = &opts;
                    let progress = &progress;
                    s.spawn(move || match idx {
                        None => {
                            let mut view = vec![];
                            let r = lab::run_lab_then(l, opts, progress, &mut |t| {
                                if html {
                                    view = vethlab::html::view(t).unwrap_or_default();
                                }
                            });
                            (r, view)
                        }
                        Some(i) => {
                            let r = lab::run_one(l, *i, opts);
                            progress(&r);
                            (vec![r], vec![])
                        }
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        if let Some(dir) = &self.html {
            let rel = pcap_dir
                .as_ref()
                .and_then(|p| p.strip_prefix(dir).ok().map(|r| r.display().to_string()));
            for ((l, _), (reps, view)) in jobs.iter().zip(&results) {
                let page = vethlab::html::lab_page(
                    &l.name,
                    &l.title,
                    view,
                    l.nodes.len(),
                    reps,
                    rel.as_deref(),
                );
                let p = dir.join(format!("{}.html", l.name));
                vethlab::outputs::write(&p, page.as_bytes())?;
            }
        }
        let all: Vec<StepReport> = results.into_iter().flat_map(|(r, _)| r).collect();
        if let Some(p) = &self.json {
            let v = report::json_report(&all);
            vethlab::outputs::write(
                p,
                serde_json::to_string_pretty(&v)
                    .unwrap_or_default()
                    .as_bytes(),
            )?;
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
