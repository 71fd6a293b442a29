//! The library's front door: a [`Runner`] runs a lab file (or lab text) and
//! returns a typed [`RunReport`], entering the sandbox by itself.
//!
//! A user or PID namespace cannot be entered by a process that already has
//! threads (a test harness has many), so a caller outside the sandbox has its
//! own executable started again as a child: a constructor in this module
//! (run before `main`, while the child is single-threaded) sees the request,
//! enters the sandbox, runs the lab and writes the report to its stdout.
//! Inside the sandbox (the `vethlab` binary, the labs test binary) a run
//! happens in-process.

use crate::error::{Context, Error, Result};

use crate::lab::Lab;
use crate::report::{Status, StepReport};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The environment variable that marks a runner child.
const ENV: &str = "VETHLAB_RUNNER_CHILD";

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSummary {
    /// The lab's name.
    pub lab: String,
    /// The step's name.
    pub step: String,
    /// The observation ids the step asserts.
    pub ids: Vec<String>,
    /// How it ended.
    pub status: Status,
    /// The step's report as `vethlab run -v` prints it (checks, captured
    /// lines, and on failure the difference and the hint).
    pub text: String,
}

/// What a run found, step by step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Every step, in the lab's order.
    pub steps: Vec<StepSummary>,
}

impl RunReport {
    /// From the runner's step reports.
    pub fn from_steps(reports: &[StepReport]) -> RunReport {
        let steps = reports
            .iter()
            .map(|r| StepSummary {
                lab: r.lab.clone(),
                step: r.step.clone(),
                ids: r.ids.clone(),
                status: r.status.clone(),
                text: r.text(true),
            })
            .collect();
        RunReport { steps }
    }

    /// No step failed (skipped steps say why in their status).
    pub fn passed(&self) -> bool {
        !self.steps.iter().any(|s| s.status == Status::Fail)
    }

    /// The steps that failed.
    pub fn failures(&self) -> impl Iterator<Item = &StepSummary> {
        self.steps.iter().filter(|s| s.status == Status::Fail)
    }
}

/// What a runner child is asked to do, sent on its stdin.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    /// The lab file, or the name that stands for `text` in messages.
    path: PathBuf,
    /// The lab's text, when it did not come from `path`.
    text: Option<String>,
    pcap_dir: Option<PathBuf>,
    capture_buffer: Option<i32>,
    fail_fast: bool,
}

/// Runs labs in throwaway namespaces inside the sandbox.
///
/// ```
/// use vethlab::run::Runner;
///
/// let lab = r#"{
///   "lab": "two-nodes", "title": "a veth pair between two namespaces",
///   "nodes": ["a", "b"],
///   "steps": [{
///     "name": "ping", "title": "b answers a over the pair",
///     "do": [
///       "ip link add veth0 type veth peer name veth1 netns b",
///       "ip addr add 10.0.0.1/24 dev veth0", "ip link set veth0 up",
///       "ip netns exec b ip addr add 10.0.0.2/24 dev veth1",
///       "ip netns exec b ip link set veth1 up",
///       {"ping": "10.0.0.2", "from": "a", "id": "ping"},
///       {"expect": "link", "node": "a", "dev": "veth0", "peer": "b:veth1", "id": "peer"}
///     ]
///   }]
/// }"#;
/// match Runner::new().run_str(lab) {
///     Ok(report) => assert!(report.passed(), "{:#?}", report),
///     // No root and no user namespaces here: nothing can run.
///     Err(e) => eprintln!("not run: {e}"),
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Runner {
    opts: super::RunOpts,
}

impl Runner {
    /// A runner with default options.
    pub fn new() -> Runner {
        // Keeps the child's constructor linked into any program that runs labs.
        std::hint::black_box(&CHILD_ENTRY);
        Runner::default()
    }

    /// Also write each capture as pcapng under `dir/LAB/STEP/`.
    pub fn pcap_dir(mut self, dir: impl Into<PathBuf>) -> Runner {
        self.opts.pcap_dir = Some(dir.into());
        self
    }

    /// Kernel buffer per capture point, in bytes (default `Capture::BUFFER`).
    pub fn capture_buffer(mut self, bytes: i32) -> Runner {
        self.opts.capture_buffer = Some(bytes);
        self
    }

    /// `--fail-fast`: after the first FAIL no step or lab starts (those
    /// report a SKIP saying so); steps already running finish.
    pub fn fail_fast(mut self) -> Runner {
        self.opts.stop = Some(Default::default());
        self
    }

    /// The options steps run with.
    pub(super) fn opts(&self) -> &super::RunOpts {
        &self.opts
    }

    /// Run every step of the lab file at `path`.
    pub fn run_file(&self, path: &Path) -> Result<RunReport> {
        self.run(Request {
            path: path.to_path_buf(),
            text: None,
            ..self.request()
        })
    }

    /// Run every step of a lab given as JSON text (fixtures, if any, under
    /// `./fixtures/`).
    pub fn run_str(&self, text: &str) -> Result<RunReport> {
        self.run(Request {
            path: PathBuf::from("lab.json"),
            text: Some(text.to_string()),
            ..self.request()
        })
    }

    /// A request carrying this runner's options (for a runner child).
    fn request(&self) -> Request {
        Request {
            path: PathBuf::new(),
            text: None,
            pcap_dir: self.opts.pcap_dir.clone(),
            capture_buffer: self.opts.capture_buffer,
            fail_fast: self.opts.stop.is_some(),
        }
    }

    fn run(&self, req: Request) -> Result<RunReport> {
        if crate::sys::sandbox::entered() {
            return in_process(&req);
        }
        in_child(&req)
    }
}

fn load(req: &Request) -> Result<Lab> {
    match &req.text {
        Some(t) => Lab::parse(&req.path, t),
        None => Lab::load(&req.path),
    }
}

/// Already in the sandbox: run here.
fn in_process(req: &Request) -> Result<RunReport> {
    run_here(req, load(req)?)
}

/// Run the lab of `req` in this process, with its options: one job of
/// [`Runner::run_jobs`].
fn run_here(req: &Request, lab: Lab) -> Result<RunReport> {
    let mut runner = Runner::default();
    runner.opts.pcap_dir = req.pcap_dir.clone();
    runner.opts.capture_buffer = req.capture_buffer;
    if req.fail_fast {
        runner = runner.fail_fast();
    }
    let no_view: Option<super::parallel::View<'_, ()>> = None;
    let results = runner.run_jobs(&[(lab, None)], &|_| {}, no_view);
    let steps: Vec<StepReport> = results.into_iter().flat_map(|(r, _)| r).collect();
    Ok(RunReport::from_steps(&steps))
}

/// Outside it: this program again, as a runner child.
fn in_child(req: &Request) -> Result<RunReport> {
    let exe = std::env::current_exe().map_err(|e| Error::io("find this program", e))?;
    let mut child = Command::new(exe)
        .env(ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("start a runner child", e))?;
    let body = serde_json::to_vec(req).context(|| "the request".into())?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(&body)
            .map_err(|e| Error::io("send the lab to the runner child", e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io("wait for the runner child", e))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    match serde_json::from_slice::<Answer>(&out.stdout) {
        Ok(a) => a.into_result(),
        Err(_) => Err(Error::Privilege(format!(
            "the runner child ended with {} and no report: {}",
            out.status,
            stderr.trim()
        ))),
    }
}

/// Run before `main` in every program linked with this library: only a
/// runner child (marked by `ENV`) acts, and never returns to `main`.
extern "C" fn child_entry() {
    if std::env::var_os(ENV).is_none() {
        return;
    }
    // Not inherited by anything the run starts (plugins, daemons, shells).
    std::env::remove_var(ENV);
    let code = serve();
    std::process::exit(code);
}

#[used]
#[link_section = ".init_array"]
static CHILD_ENTRY: extern "C" fn() = child_entry;

/// What a runner child answers on stdout, as JSON: the report, or the
/// error's kind and message (bad input and missing privileges keep theirs,
/// so the caller still exits 2 for them).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Answer {
    Report(RunReport),
    Input { at: String, msg: String },
    Privilege(String),
    Unsupported(String),
    Other(String),
}

impl Answer {
    fn of(r: Result<RunReport>) -> Answer {
        let e = match r {
            Ok(report) => return Answer::Report(report),
            Err(e) => e,
        };
        match e.root() {
            Error::Input { at, msg } => Answer::Input {
                at: at.clone(),
                msg: msg.clone(),
            },
            Error::Privilege(_) => Answer::Privilege(e.to_string()),
            Error::Unsupported(_) => Answer::Unsupported(e.to_string()),
            _ => Answer::Other(e.to_string()),
        }
    }

    fn into_result(self) -> Result<RunReport> {
        match self {
            Answer::Report(r) => Ok(r),
            Answer::Input { at, msg } => Err(Error::Input { at, msg }),
            Answer::Privilege(m) => Err(Error::Privilege(m)),
            Answer::Unsupported(m) => Err(Error::Unsupported(m)),
            Answer::Other(m) => Err(Error::Other(m)),
        }
    }
}

/// The runner child: read the request, load the lab with the caller's
/// rights, enter the sandbox, run, and answer (an [`Answer`]) as JSON on
/// stdout.
fn serve() -> i32 {
    let answer = Answer::of(serve_request());
    let failed = !matches!(&answer, Answer::Report(r) if r.passed());
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut out, &answer);
    let _ = out.flush();
    i32::from(failed)
}

fn serve_request() -> Result<RunReport> {
    let mut body = vec![];
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| Error::io("read the request", e))?;
    let req: Request = serde_json::from_slice(&body).context(|| "the request".into())?;
    // Loaded before the sandbox, as `vethlab run` does: a lab's own files
    // are read with the caller's rights, never from inside.
    let lab = load(&req)?;
    if let Some(d) = &req.pcap_dir {
        crate::sys::outputs::register_dir(d);
    }
    // The labs directory, read-only inside, as `vethlab run` shows it.
    crate::sys::sandbox::enter(crate::lab::catalog::labs_dir().ok().as_deref())?;
    run_here(&req, lab)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Context;

    /// A runner child's error reaches the caller with its kind: bad input
    /// still exits 2, a missing kernel feature is still a skip.
    #[test]
    fn answers_keep_the_error_kind() {
        let back = |e: Error| {
            let wire = serde_json::to_vec(&Answer::of(Err(e))).unwrap();
            serde_json::from_slice::<Answer>(&wire)
                .unwrap()
                .into_result()
                .unwrap_err()
        };
        let input = back(Error::input("lab.json:3:7", "unknown node `x`"));
        assert!(input.is_usage(), "{input:?}");
        assert_eq!(input.to_string(), "lab.json:3:7: unknown node `x`");
        let wrapped: Result<()> = Err(Error::Unsupported("no ipip".into()));
        let unsupported = back(
            wrapped
                .context(|| "[host] `ip link add t type ipip`".into())
                .unwrap_err(),
        );
        assert!(unsupported.is_unsupported(), "{unsupported:?}");
        assert_eq!(
            unsupported.to_string(),
            "[host] `ip link add t type ipip`: no ipip"
        );
        let other = back(Error::other("the namespace pool is poisoned"));
        assert!(!other.is_usage() && !other.is_unsupported(), "{other:?}");
    }

    /// A panic is a value of its own kind, shown as before.
    #[test]
    fn a_panic_is_typed() {
        let e: Result<()> = Err(Error::Panicked("boom".into()));
        let e = e.context(|| "step one".into()).unwrap_err();
        assert!(e.is_panic() && !e.is_unsupported());
        assert_eq!(e.to_string(), "step one: panicked: boom");
    }
}
