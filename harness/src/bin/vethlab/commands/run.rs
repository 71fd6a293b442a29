use super::run_html::lab_view;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use vethlab::error::{Context, Error, Result};
use vethlab::lab;
use vethlab::report::html::NodeView;
use vethlab::report::{self, StepReport};
use vethlab::run::Runner;

mod progress;
use progress::Progress;
#[path = "run_bless.rs"]
mod bless;
use bless::bless_lab;

#[derive(Args)]
pub struct Run {
    /// LAB, LAB/STEP, or a path to your own lab.json; all labs when none.
    targets: Vec<String>,
    /// Write a JSON report (every step, every observation id and its result);
    /// `-` writes it to standard output, and the text report to standard error.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a JUnit XML report: a testsuite per lab, a testcase per step.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write every capture as DIR/<lab>/<step>/<node>-<iface>.pcapng.
    #[arg(long, value_name = "DIR")]
    pcap_dir: Option<PathBuf>,
    /// Write DIR/<lab>.html: topology and packet-ladder diagrams (pcaps in DIR/pcaps).
    #[arg(long, value_name = "DIR")]
    html: Option<PathBuf>,
    /// Kernel buffer per capture in bytes (raise it if a step reports drops).
    #[arg(long, value_name = "BYTES")]
    capture_buffer: Option<i64>,
    /// Run only shard I of N (1-based): labs are dealt round-robin in
    /// `vethlab list` order, so N runners together run every step once.
    #[arg(long, value_name = "I/N", value_parser = vethlab::lab::catalog::parse_shard)]
    shard: Option<(usize, usize)>,
    /// Write what each step captured as its fixtures (MACs as
    /// `{node.iface.mac}`, ICMP ids as `*`) and show what changed; whole labs only.
    #[arg(long)]
    bless: bool,
    /// Show every check's detail and every captured line, not only failures.
    #[arg(short, long)]
    verbose: bool,
    /// Stop starting steps and labs after the first FAIL: steps already
    /// running finish, the rest are reported as not run (SKIP), exit 1.
    #[arg(long)]
    fail_fast: bool,
    /// The labs, read before the sandbox (whose root may not read the caller's files).
    #[arg(skip)]
    loaded: Option<Vec<(lab::Lab, Option<usize>)>>,
    /// The pcap directory relative to the --html one, worked out before
    /// the sandbox (where both paths mean what the caller meant).
    #[arg(skip)]
    pcap_rel: Option<String>,
}

/// `-` names standard output, as for most command-line tools.
fn is_stdout(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// Where a usage error about an output path points.
fn out_err(flag: &str, p: &Path, what: impl std::fmt::Display) -> Error {
    Error::input(flag, format!("{}: {what}", p.display()))
}

/// A directory we will write into: made now, and a file created and removed
/// in it, so a wrong path fails before anything is built, not after the run.
fn probe_dir(flag: &str, d: &Path) -> Result<()> {
    std::fs::create_dir_all(d).map_err(|e| out_err(flag, d, format!("cannot create: {e}")))?;
    let probe = d.join(format!(".vethlab-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| out_err(flag, d, format!("cannot write here: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// A report file, probed now for the same reason: it can be opened for
/// writing (an existing one is not emptied yet; one this probe had to create
/// is removed again). The run writes it at the end (see `outputs`).
fn probe_file(flag: &str, p: &Path) -> Result<()> {
    if p.is_dir() {
        return Err(out_err(flag, p, "is a directory; give a file name"));
    }
    let existed = p.exists();
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(p)
        .map_err(|e| out_err(flag, p, format!("cannot write: {e}")))?;
    if !existed {
        let _ = std::fs::remove_file(p);
    }
    Ok(())
}

impl super::Command for Run {
    fn place(&self) -> super::Place {
        // It builds the labs' namespaces.
        super::Place::Sandbox
    }
    /// Before the sandbox: read and check the lab files (a bad one exits 2
    /// before anything is built), then name the result files.
    fn prepare(&mut self, ctx: &super::Ctx) -> Result<()> {
        self.load_labs(&ctx.labs)?;
        self.register_outputs();
        Ok(())
    }
    fn exec(self: Box<Self>, ctx: &super::Ctx) -> Result<ExitCode> {
        self.run_all(&ctx.labs)
    }
}

impl Run {
    /// Before the sandbox: the file and directories results go to.
    fn register_outputs(&self) {
        let pcap_dir = self
            .pcap_dir
            .clone()
            .or_else(|| self.html.as_ref().map(|d| d.join("pcaps")));
        for d in pcap_dir.iter().chain(&self.html) {
            vethlab::sys::outputs::register_dir(d);
        }
        for f in self
            .json
            .iter()
            .chain(&self.junit)
            .filter(|f| !is_stdout(f))
        {
            vethlab::sys::outputs::register_file(f);
        }
        if self.bless {
            for (l, _) in self.loaded.iter().flatten() {
                let (base, rel) = lab::fixtures_base(&l.path, &l.name);
                vethlab::sys::outputs::register_dir_beneath(&base, &rel);
            }
        }
        // Each lab file and its fixtures, read-only inside the sandbox: the
        // paths computed there (a bless's fixture files) are the ones here.
        for (l, _) in self.loaded.iter().flatten() {
            vethlab::sys::sandbox::show_readonly(&l.path);
            vethlab::sys::sandbox::show_readonly(&lab::fixtures_dir(&l.path, &l.name));
        }
    }

    /// Read and check the lab files.
    fn load_labs(&mut self, labs: &vethlab::lab::catalog::Labs) -> Result<()> {
        // Arguments and outputs first, with the caller's own rights: a
        // mistake there costs a second, not a run.
        if let Some(b) = self.capture_buffer {
            let (lo, hi) = lab::limits::CAPTURE_BUFFER;
            if b < lo || b > hi {
                return Err(Error::input(
                    "--capture-buffer",
                    format!("{b} bytes; allowed: {lo} to {hi} (bytes of kernel buffer per capture point)"),
                ));
            }
        }
        // Both reports on stdout: refused before any lab is read.
        vethlab::sys::outputs::check_reports(self.json.as_deref(), self.junit.as_deref(), &[], 0)?;
        let opts = lab::LoadOptions { bless: self.bless };
        if self.bless {
            vethlab::lab::catalog::bless_target(labs, &self.targets)?;
        }
        let dir = labs.dir()?;
        let mut jobs: Vec<(lab::Lab, Option<usize>)> = vec![];
        if self.targets.is_empty() {
            jobs = vethlab::lab::catalog::load_all_with(&dir, opts)?
                .into_iter()
                .map(|l| (l, None))
                .collect();
        }
        for t in &self.targets {
            jobs.push(vethlab::lab::catalog::resolve_with(t, &dir, opts)?);
        }
        if let Some((i, n)) = self.shard {
            jobs = vethlab::lab::catalog::shard(jobs, i, n);
        }
        if self.bless {
            if let Some((l, Some(i))) = jobs.iter().find(|(_, i)| i.is_some()) {
                return Err(Error::input(
                    "--bless",
                    format!(
                        "{}/{}: bless whole labs (a step's capture depends on the steps before it)",
                        l.name, l.steps[*i].name
                    ),
                ));
            }
            for (l, _) in &jobs {
                let (base, rel) = lab::fixtures_base(&l.path, &l.name);
                vethlab::sys::outputs::open_dir_beneath(&base, &rel)
                    .map_err(|e| Error::input("--bless", e.to_string()))?;
            }
        }
        let buffer = self
            .capture_buffer
            .map_or(vethlab::sys::capture::Capture::BUFFER as u64, |b| b as u64);
        let labs: Vec<&lab::Lab> = jobs.iter().map(|(l, _)| l).collect();
        vethlab::sys::outputs::check_reports(
            self.json.as_deref(),
            self.junit.as_deref(),
            &labs,
            buffer,
        )?;
        // Outputs after the labs: a refused lab leaves no directory behind.
        if let Some(p) = self.json.as_ref().filter(|p| !is_stdout(p)) {
            probe_file("--json", p)?;
        }
        if let Some(p) = self.junit.as_ref().filter(|p| !is_stdout(p)) {
            probe_file("--junit", p)?;
        }
        if let Some(d) = &self.pcap_dir {
            probe_dir("--pcap-dir", d)?;
        }
        if let Some(d) = &self.html {
            probe_dir("--html", d)?;
            self.pcap_rel = self.pcap_dir().map(|p| {
                report::html::relative(
                    &super::run_html::absolute(d),
                    &super::run_html::absolute(&p),
                )
            });
        }
        self.loaded = Some(jobs);
        Ok(())
    }

    /// Where captures go: --pcap-dir, or `pcaps` beside the HTML pages.
    fn pcap_dir(&self) -> Option<PathBuf> {
        self.pcap_dir
            .clone()
            .or_else(|| self.html.as_ref().map(|d| d.join("pcaps")))
    }

    fn run_all(mut self, labs: &vethlab::lab::catalog::Labs) -> Result<ExitCode> {
        if self.loaded.is_none() {
            self.load_labs(labs)?;
        }

        let jobs = self.loaded.take().unwrap_or_default();
        let mut runner = Runner::new();
        if let Some(d) = self.pcap_dir() {
            runner = runner.pcap_dir(d);
        }
        if let Some(b) = self.capture_buffer {
            runner = runner.capture_buffer(b as i32);
        }
        if self.fail_fast {
            runner = runner.fail_fast();
        }
        // Which kernel, which optional kinds, which fallback devices: a
        // failing CI log says what it ran on.
        let kernel = vethlab::sys::kernel::facts();
        // `--json -`: the JSON is standard output; the text goes to stderr.
        let json_stdout = self.json.as_deref().is_some_and(is_stdout);
        let progress = Progress::new(&jobs, json_stdout, self.verbose);
        if !progress.quiet {
            progress.say(&format!("{}\n\n", kernel.summary()));
        }
        // The finished topology: for the HTML pages, and the MACs a bless
        // turns back into placeholders.
        let want_view = self.html.is_some() || self.bless;
        let view: vethlab::run::parallel::View<'_, Vec<NodeView>> = &lab_view;
        let started = std::time::Instant::now();
        let results = runner.run_jobs(&jobs, &|r| progress.step(r), want_view.then_some(view));
        let wall = started.elapsed();
        // The machine ran out of namespaces: its failure (exit 2, naming the
        // sysctl), not the lab's; no report claims the steps failed.
        if let Some(m) = vethlab::sys::netns::limit_hit() {
            return Err(Error::Privilege(m.to_string()));
        }
        if let Some(dir) = &self.html {
            super::run_html::write(
                dir,
                &jobs,
                &results,
                self.pcap_rel.as_deref(),
                &kernel.summary(),
            )?;
        }
        if self.bless {
            for ((l, _), (reps, views)) in jobs.iter().zip(&results) {
                let last = views.iter().rev().find(|v| !v.is_empty());
                bless_lab(l, reps, last.map_or(&[][..], |v| v), &|t| progress.say(t))?;
            }
        }
        let all: Vec<StepReport> = results.into_iter().flat_map(|(r, _)| r).collect();
        self.write_reports(&all, kernel, wall)?;
        let (_, failed, _, line) = report::summary(&all);
        // Quiet and nothing failed: the summary is the only line.
        let gap = if progress.quiet && failed == 0 {
            ""
        } else {
            "\n"
        };
        progress.say(&format!("{gap}{line}\n"));
        crate::out::finish()?;
        Ok(if failed > 0 {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }

    /// The JSON and JUnit reports, to their files or standard output.
    fn write_reports(
        &self,
        all: &[StepReport],
        kernel: &vethlab::sys::kernel::Kernel,
        wall: std::time::Duration,
    ) -> Result<()> {
        if let Some(p) = &self.json {
            let mut v = report::json_report(all);
            v["kernel"] = serde_json::to_value(kernel).unwrap_or_default();
            let text = serde_json::to_string_pretty(&v).context(|| "JSON report".into())?;
            if is_stdout(p) {
                crate::out::println(&text);
            } else {
                vethlab::sys::outputs::write(p, text.as_bytes())?;
            }
        }
        if let Some(p) = &self.junit {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
            let doc = vethlab::report::junit::document(all, host.trim(), wall);
            if is_stdout(p) {
                crate::out::print(&doc);
            } else {
                vethlab::sys::outputs::write(p, doc.as_bytes())?;
            }
        }
        Ok(())
    }
}
