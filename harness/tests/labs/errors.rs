//! Failures must say what and where: broken labs, malformed files.

use crate::{copy_tree, fail};
use libtest_mimic::Failed;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use vethlab::lab::Lab;
use vethlab::report::Status;
use vethlab::run::{self, RunOpts};
/// A copy of lab `name` and its fixtures in a temporary tree: the lab file
/// to edit (the tree lives as long as the returned dir).
pub(crate) fn copy_lab(dir: &Path, name: &str) -> Result<(tempfile::TempDir, PathBuf), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let root = tmp.path();
    copy_tree(&dir.join(name), &root.join("labs").join(name)).map_err(|e| fail(e.to_string()))?;
    let fixtures = dir.join("../fixtures").join(name);
    if fixtures.is_dir() {
        copy_tree(&fixtures, &root.join("fixtures").join(name)).map_err(|e| fail(e.to_string()))?;
    }
    let f = root.join("labs").join(name).join("lab.json");
    Ok((tmp, f))
}

/// A copy of bridge-arp where song holds the wrong address: the fixed step
/// must fail, and say what was expected and what was captured.
pub(crate) fn broken_lab(dir: &Path) -> Result<(), Failed> {
    let (_tmp, f) = copy_lab(dir, "bridge-arp")?;
    let text = std::fs::read_to_string(&f).map_err(|e| fail(e.to_string()))?;
    let broken = text.replace(
        "ifconfig veth1 192.168.122.102/24",
        "ifconfig veth1 192.168.122.103/24",
    );
    assert_ne!(text, broken);
    std::fs::write(&f, broken).map_err(|e| fail(e.to_string()))?;
    let l = Lab::load(&f).map_err(|e| fail(e.to_string()))?;
    let idx = l
        .step_index("ip-on-bridge")
        .ok_or_else(|| fail("no step"))?;
    let r = run::run_one(&l, idx, &RunOpts::default());
    let t = r.text(false);
    if r.status != Status::Fail
        || !t.contains("expected (fixture):")
        || !t.contains("captured:")
        || !t.contains("✗ line")
    {
        return Err(fail(format!(
            "the broken lab did not fail with a diff:\n{t}"
        )));
    }
    Ok(())
}

pub(crate) fn malformed_lab() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let p = tmp.path().join("lab.json");
    let cases = [
        ("{\n  \"lab\": \"x\",\n  \"title\": 1\n}", ":3:12", "invalid type"),
        (
            "{\"lab\":\"x\",\"title\":\"t\",\"nodes\":[\"h\"],\"steps\":[\n {\"name\":\"s\",\"title\":\"t\",\"do\":[\n   \"ip link add v0 type dummy\"]}]}",
            ":3:4",
            "unsupported link type `dummy`",
        ),
    ];
    for (text, at, what) in cases {
        std::fs::write(&p, text).map_err(|e| fail(e.to_string()))?;
        let e = Lab::load(&p)
            .err()
            .ok_or_else(|| fail("loaded a malformed lab"))?
            .to_string();
        if !e.contains(&format!("{}{at}", p.display())) || !e.contains(what) {
            return Err(fail(format!("want {at} and `{what}`, got: {e}")));
        }
        let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .arg("run")
            .arg(&p)
            .output()
            .map_err(|e| fail(e.to_string()))?;
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2)
            || !err.contains(at)
            || err.contains("panicked")
            || err.lines().count() != 1
        {
            return Err(fail(format!(
                "vethlab run exited {:?} with: {err}",
                out.status.code()
            )));
        }
    }
    Ok(())
}

/// One malformed input or broken environment: `vethlab run [args] lab`
/// must exit 2 with one line on stderr holding every `want` line (the
/// location first), print nothing on stdout, and not panic. Without `args`,
/// `Lab::load` must say the same. Returns what is wrong, and how long the
/// run took (measured for the note, never asserted).
/// How many bad-input cases run at once.
const CASE_WORKERS: usize = 6;

/// `vethlab run ARGS LAB` for a case, and the in-process load's error when
/// the case has no arguments (both must say the same).
fn case_cmd(lab: &Path, args: &[String]) -> (Command, Option<String>) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vethlab"));
    // Paths in args.txt are relative to the crate, wherever the suite runs
    // (cargo test: here; ci/rootless.sh: the checkout).
    c.arg("run")
        .args(args)
        .arg(lab)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    let loaded = args.is_empty().then(|| {
        Lab::load(lab)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    });
    (c, loaded)
}

/// `cmd` must exit `code` with one message holding every `want` line (and
/// so must `loaded`, the in-process load's error, when given); for exit 2
/// nothing on stdout and one line on stderr (a few for privilege errors).
fn check_cmd(
    name: &str,
    mut cmd: Command,
    want: &str,
    code: i32,
    loaded: Option<String>,
) -> (Option<String>, Duration) {
    let t0 = Instant::now();
    let out = cmd.stdin(std::process::Stdio::null()).output();
    let took = t0.elapsed();
    let out = match out {
        Ok(o) => o,
        Err(e) => return (Some(format!("{name}: cannot run vethlab: {e}")), took),
    };
    let err = String::from_utf8_lossy(&out.stderr);
    let so = String::from_utf8_lossy(&out.stdout);
    let all = format!("{err}{so}");
    let loaded = loaded.unwrap_or_else(|| all.clone());
    let missing: Vec<&str> = want
        .lines()
        .filter(|w| !all.contains(w) || !loaded.contains(w))
        .collect();
    // Privilege errors say what to do on a few lines; others are one line.
    let privilege = err.starts_with("vethlab: not root")
        || err.starts_with("vethlab: cannot create the sandbox's namespaces")
        || err.contains("root here");
    let usage_shape = err.lines().count() == 1 || privilege;
    // Exit 2 claims no verdict: nothing on stdout, or for an environment
    // that failed mid-run only the kernel line, never a PASS or FAIL.
    let stdout_ok = out.stdout.is_empty()
        || (name.starts_with("env-") && !so.contains("PASS") && !so.contains("FAIL"));
    let bad = out.status.code() != Some(code)
        || !missing.is_empty()
        || (code == 2 && (!usage_shape || !stdout_ok))
        || err.contains("panicked");
    let why = bad.then(|| {
        format!(
            "{name}: exit {:?}, lacks {missing:?}: {err}",
            out.status.code()
        )
    });
    (why, took)
}

/// Every case under tests/bad-input: `lab.json` (with its fixtures), in
/// `want.txt` what the one-line error must say (file:line:col first, then
/// what), and in `args.txt` (optional) arguments before the lab, one a
/// line. Then the cases git cannot hold (FIFOs, files over the size limit),
/// made here. Exit status 2, no panic, nothing on stdout, nothing left behind.
pub(crate) fn bad_input_corpus() -> Result<(), Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .map_err(|e| fail(format!("{}: {e}", root.display())))?
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    let before = crate::safety::snapshot();
    // Every case is its own `vethlab` process: a few at once (they wait on
    // exec and on each other's CPU, not on a shared state).
    let mut jobs: Vec<(String, Command, &str, i32, Option<String>)> = vec![];
    let mut wants = vec![];
    for c in &cases {
        let name = c
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let want = std::fs::read_to_string(c.join("want.txt")).map_err(|e| fail(e.to_string()))?;
        let args: Vec<String> = std::fs::read_to_string(c.join("args.txt"))
            .map(|a| a.lines().map(str::to_string).collect())
            .unwrap_or_default();
        wants.push((name, c.join("lab.json"), args, want));
    }
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    for (name, want) in made_cases(&root, tmp.path())? {
        let lab = tmp.path().join(&name).join("lab.json");
        wants.push((name, lab, vec![], want));
    }
    // The largest lab files first: loading 100 000 commands is the
    // slowest case, and must not start last.
    wants.sort_by_key(|w| std::cmp::Reverse(std::fs::metadata(&w.1).map_or(0, |m| m.len())));
    for (name, lab, args, want) in &wants {
        let (cmd, loaded) = case_cmd(lab, args);
        jobs.push((name.clone(), cmd, want, 2, loaded));
    }
    for (name, cmd, want, code) in environments() {
        jobs.push((name.to_string(), cmd, want, code, None));
    }
    let results = crate::pool::each(CASE_WORKERS, jobs, |(name, cmd, want, code, loaded)| {
        let (why, took) = check_cmd(&name, cmd, want, code, loaded);
        (name, why, took)
    });
    let mut bad: Vec<String> = vec![];
    let mut times: Vec<(String, Duration)> = vec![];
    for (name, why, took) in results {
        bad.extend(why);
        times.push((name, took));
    }
    if times.len() < 60 {
        bad.push(format!("only {} cases", times.len()));
    }
    if crate::safety::snapshot() != before {
        bad.push("the caller's network changed".into());
    }
    if let Some((n, t)) = times.iter().max_by_key(|(_, t)| *t) {
        let total: Duration = times.iter().map(|(_, t)| *t).sum();
        eprintln!(
            "bad-input: {} cases, slowest {n} {} ms, mean {} ms",
            times.len(),
            t.as_millis(),
            total.as_millis() / times.len() as u128
        );
    }
    if !bad.is_empty() {
        return Err(fail(bad.join("\n")));
    }
    Ok(())
}

/// Cases git cannot hold, made under `tmp` from the `bad-mac` case's
/// shape: a FIFO where the lab or a fixture should be (reading one would
/// wait for a writer forever), files over the size limits, a missing file.
fn made_cases(root: &Path, tmp: &Path) -> Result<Vec<(String, String)>, Failed> {
    let good = root.join("fixture-is-a-directory/lab.json");
    let fixture = root.join("within-ms-huge/fixtures/one/host-veth0.txt");
    let e = |e: std::io::Error| fail(e.to_string());
    let mk = |name: &str| -> Result<PathBuf, Failed> {
        let d = tmp.join(name);
        std::fs::create_dir_all(d.join("fixtures/one")).map_err(e)?;
        Ok(d)
    };
    let fifo = |p: &Path| {
        nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .map_err(|x| fail(format!("mkfifo {}: {x}", p.display())))
    };
    let mut out = vec![];
    let d = mk("lab-is-a-fifo")?;
    fifo(&d.join("lab.json"))?;
    out.push((
        "lab-is-a-fifo".into(),
        "lab.json:1:1\nis a FIFO, not a regular file".into(),
    ));
    let d = mk("fixture-is-a-fifo")?;
    std::fs::copy(&good, d.join("lab.json")).map_err(e)?;
    fifo(&d.join("fixtures/one/host-veth0.txt"))?;
    out.push((
        "fixture-is-a-fifo".into(),
        "host-veth0.txt:1:1\nis a FIFO, not a regular file".into(),
    ));
    // One byte over each limit: sparse, so it costs no disk.
    let d = mk("lab-too-large")?;
    let f = std::fs::File::create(d.join("lab.json")).map_err(e)?;
    f.set_len(vethlab::lab::input::MAX_LAB_BYTES + 1)
        .map_err(e)?;
    out.push((
        "lab-too-large".into(),
        format!(
            "lab.json:1:1\nallowed: 0 to {} bytes",
            vethlab::lab::input::MAX_LAB_BYTES
        ),
    ));
    let d = mk("fixture-too-large")?;
    std::fs::copy(&good, d.join("lab.json")).map_err(e)?;
    let f = std::fs::File::create(d.join("fixtures/one/host-veth0.txt")).map_err(e)?;
    f.set_len(vethlab::lab::input::MAX_FIXTURE_BYTES + 1)
        .map_err(e)?;
    out.push((
        "fixture-too-large".into(),
        format!(
            "host-veth0.txt:1:1\nallowed: 0 to {} bytes",
            vethlab::lab::input::MAX_FIXTURE_BYTES
        ),
    ));
    let d = mk("fixture-missing-with-id")?;
    std::fs::copy(&good, d.join("lab.json")).map_err(e)?;
    out.push((
        "fixture-missing-with-id".into(),
        "lab.json:18:19\nhost-veth0.txt is missing\n--bless".into(),
    ));
    let _ = mk("lab-missing")?;
    out.push((
        "lab-missing".into(),
        "lab.json:1:1\ncannot read lab file".into(),
    ));
    // 100 000 commands, the last one wrong: reported at its own line (the
    // per-item text search took 37 s here; the time is printed with the rest).
    let d = mk("last-of-100000-commands")?;
    let mut text = String::from(
        "{\"lab\": \"big\", \"title\": \"steps\", \"nodes\": [\"host\"], \"steps\": [\n {\"name\": \"do\", \"title\": \"do\", \"do\": [\n",
    );
    for _ in 0..99_999 {
        text.push_str("  \"ip link set lo up\",\n");
    }
    let line = text.lines().count() + 1;
    text.push_str("  \"ip addr add 10.0.0.1/33 dev lo\"]}]}\n");
    std::fs::write(d.join("lab.json"), text).map_err(e)?;
    out.push((
        "last-of-100000-commands".into(),
        format!("lab.json:{line}:3\nitem 100000: `ip addr add 10.0.0.1/33 dev lo`"),
    ));
    let _ = fixture;
    out.push(too_many_steps(&mk("too-many-steps")?)?);
    Ok(out)
}

/// Issue 27: one step more than a lab may have (100 000 trivial steps took
/// a run 118 s and 431 MiB), refused at `steps` before any step is read.
fn too_many_steps(d: &Path) -> Result<(String, String), Failed> {
    let n = vethlab::lab::limits::STEPS + 1;
    let mut text = String::from(
        "{\"lab\": \"big\", \"title\": \"steps\", \"nodes\": [\"host\"], \"steps\": [\n",
    );
    for k in 0..n {
        let sep = if k + 1 < n { "," } else { "" };
        text.push_str(&format!(
            " {{\"name\": \"s{k}\", \"title\": \"t\", \"do\": [{{\"ping\": \"10.0.0.1\", \"from\": \"host\"}}]}}{sep}\n"
        ));
    }
    text.push_str("]}\n");
    let col = text.find("[\n").unwrap_or(0) + 1;
    std::fs::write(d.join("lab.json"), text).map_err(|e| fail(e.to_string()))?;
    Ok((
        "too-many-steps".into(),
        format!(
            "lab.json:1:{col}\n{n} steps; allowed: 1 to {}",
            vethlab::lab::limits::STEPS
        ),
    ))
}

/// Issue 27: a full disk where the JSON report goes (a one-page tmpfs
/// holding last run's report): exit 1 naming the file, the old report
/// untouched, no temporary file left beside it.
fn full_disk() -> Command {
    let bin = env!("CARGO_BIN_EXE_vethlab");
    let mut c = Command::new("unshare");
    c.args(["-m", "sh", "-c"]).arg(format!(
        "d=$(mktemp -d) && mount -t tmpfs -o size=4k tmpfs \"$d\" && echo OLD-REPORT > \"$d/report.json\" \
         && {{ {bin} run bridge-arp/veth-works --json \"$d/report.json\" > /dev/null; rc=$?; \
         cat \"$d/report.json\"; if ls -a \"$d\" | grep -q vethlab-; then echo LEFT-BEHIND; rc=9; fi; \
         umount \"$d\"; rmdir \"$d\"; exit $rc; }}"
    ));
    c
}

/// A capture the kernel could not keep up with fails the step and says so,
/// instead of asserting on a partial sequence. Real drops: 300 pings into a
/// capture whose kernel buffer is the smallest the kernel allows; the same
/// traffic fits the default buffer.
pub(crate) fn capture_drops_fail(dir: &Path) -> Result<(), Failed> {
    let (_tmp, f) = copy_lab(dir, "bridge-arp")?;
    let text = std::fs::read_to_string(&f).map_err(|e| fail(e.to_string()))?;
    let busy = text.replace(
        r#"{"ping": "192.168.122.102", "from": "host", "count": 2}"#,
        r#"{"ping": "192.168.122.102", "from": "host", "count": 300}"#,
    );
    assert_ne!(text, busy);
    std::fs::write(&f, busy).map_err(|e| fail(e.to_string()))?;
    let l = Lab::load(&f).map_err(|e| fail(e.to_string()))?;
    let idx = l
        .step_index("ip-on-bridge")
        .ok_or_else(|| fail("no step"))?;
    let tiny = RunOpts {
        capture_buffer: Some(1),
        ..Default::default()
    };
    let r = run::run_one(&l, idx, &tiny);
    let t = r.text(false);
    if r.status != Status::Fail
        || !t.contains("capture on host:br0 is complete")
        || !t.contains("the sequence is partial, not asserted")
        || t.contains("expected (fixture)")
    {
        return Err(fail(format!("drops did not fail the step loudly:\n{t}")));
    }
    // The same traffic with the normal buffer: complete, and the step passes.
    let r = run::run_one(&l, idx, &RunOpts::default());
    if r.status != Status::Pass {
        return Err(fail(format!("with the default buffer:\n{}", r.text(false))));
    }
    Ok(())
}

/// A wrong plugin configuration (a /33 subnet) fails the step with the
/// plugin's own error object, verbatim, and no panic.
pub(crate) fn cni_plugin_error(dir: &Path) -> Result<libtest_mimic::Completion, Failed> {
    if let Some(why) = vethlab::sys::cni::missing("bridge") {
        return crate::skipped(why);
    }
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    copy_tree(
        &dir.join("flannel-cni"),
        &tmp.path().join("labs/flannel-cni"),
    )
    .map_err(|e| fail(e.to_string()))?;
    let f = tmp.path().join("labs/flannel-cni/lab.json");
    let text = std::fs::read_to_string(&f).map_err(|e| fail(e.to_string()))?;
    let wrong = text.replace("\"10.244.1.0/24\"", "\"10.244.1.0/33\"");
    assert_ne!(text, wrong);
    std::fs::write(&f, wrong).map_err(|e| fail(e.to_string()))?;
    let l = Lab::load(&f).map_err(|e| fail(e.to_string()))?;
    let r = run::run_one(&l, 0, &RunOpts::default());
    let t = r.text(false);
    if r.status != Status::Fail
        || !t.contains("CNI ADD bridge failed (exit 1): code")
        || !t.contains("invalid CIDR address: 10.244.1.0/33")
    {
        return Err(fail(format!(
            "the plugin's error is not in the report:\n{t}"
        )));
    }
    Ok(libtest_mimic::Completion::Completed)
}

/// Output that survives its reader: a closed pipe ends `vethlab list`
/// quietly with 141 (no panic, no 101); a full disk is exit 1 naming
/// standard output or the report file; a title with terminal escape codes is
/// printed escaped, and the JSON report still holds it exactly.
pub(crate) fn output_survives_reader() -> Result<(), Failed> {
    let bin = env!("CARGO_BIN_EXE_vethlab");
    let e = |e: std::io::Error| fail(e.to_string());
    // The pipe's read end is closed before vethlab starts: the first write fails.
    let (r, w) = nix::unistd::pipe().map_err(|x| fail(x.to_string()))?;
    drop(r);
    let out = Command::new(bin)
        .arg("list")
        .stdout(std::process::Stdio::from(w))
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(e)?;
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(141) || !err.is_empty() {
        return Err(fail(format!(
            "list into a closed pipe: exit {:?}, stderr: {err}",
            out.status.code()
        )));
    }
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full");
    let out = Command::new(bin)
        .arg("list")
        .stdout(full().map_err(e)?)
        .output()
        .map_err(e)?;
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(1)
        || !err.contains("write standard output: No space left on device")
        || err.contains("panicked")
    {
        return Err(fail(format!(
            "list > /dev/full: exit {:?}, stderr: {err}",
            out.status.code()
        )));
    }
    // A lab whose title and step title carry escape sequences.
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input/fixture-only-never-lines");
    let tmp = tempfile::tempdir().map_err(e)?;
    let text = std::fs::read_to_string(root.join("lab.json")).map_err(e)?;
    let evil = text
        .replace(
            "\"a veth pair, host and song\"",
            "\"red \\u001b[31mtitle\\u001b]0;owned\\u0007\"",
        )
        .replace(
            "\"title\": \"a veth pair\"",
            "\"title\": \"step \\u001b[2Jcleared\"",
        )
        .replace("\"capture\": {\"host:veth0\": \"O4.1\"}", "\"capture\": {}");
    assert_ne!(text, evil);
    let lab = tmp.path().join("lab.json");
    std::fs::write(&lab, evil).map_err(e)?;
    let json = tmp.path().join("r.json");
    let out = Command::new(bin)
        .args(["run", "--json"])
        .arg(&json)
        .arg(&lab)
        .output()
        .map_err(e)?;
    let so = String::from_utf8_lossy(&out.stdout);
    if out.status.code() != Some(0)
        || out.stdout.contains(&0x1b)
        || !so.contains("step \\u{1b}[2Jcleared")
    {
        return Err(fail(format!("escape codes reached the terminal: {so:?}")));
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).map_err(e)?)
        .map_err(|x| fail(format!("the JSON report is not JSON: {x}")))?;
    if v["steps"][0]["title"] != "step \u{1b}[2Jcleared" {
        return Err(fail(format!(
            "the JSON report lost the title: {}",
            v["steps"][0]
        )));
    }
    // A run refused for bad input leaves no report file it created.
    let stray = tmp.path().join("never.json");
    let out = Command::new(bin)
        .args(["run", "--json"])
        .arg(&stray)
        .arg(root.join("../no-steps/lab.json"))
        .output()
        .map_err(e)?;
    if out.status.code() != Some(2) || stray.exists() {
        return Err(fail(format!(
            "a refused run left {} (exit {:?})",
            stray.display(),
            out.status.code()
        )));
    }
    // A full disk under --json names the file.
    let out = Command::new(bin)
        .args(["run", "--json", "/dev/full"])
        .arg(&lab)
        .output()
        .map_err(e)?;
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(1) || !err.contains("write /dev/full: No space left on device") {
        return Err(fail(format!(
            "run --json /dev/full: exit {:?}, stderr: {err}",
            out.status.code()
        )));
    }
    Ok(())
}

/// Run `vethlab args` with `VETHLAB_FAULT=fault`; a run that never ends
/// fails the test after two minutes instead of hanging it (a guard, not a
/// timing assertion: a healthy run takes well under a second).
fn run_faulty(
    args: &[&std::ffi::OsStr],
    fault: &str,
    token: &str,
) -> Result<std::process::Output, Failed> {
    let child = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .args(args)
        .env("VETHLAB_FAULT", fault)
        .env("VETHLAB_KILLTEST", token)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(o) => o.map_err(|e| fail(e.to_string())),
        Err(_) => {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            Err(fail(format!("VETHLAB_FAULT={fault}: the run hung")))
        }
    }
}

/// Fault injection: a lab that panics mid-step, a netlink call that fails,
/// and namespace workers that cannot return home. Each must give FAIL
/// results with the cause, exit 1, a well-formed JSON report, and leave no
/// process, namespace or file behind.
pub(crate) fn fault_injection() -> Result<(), Failed> {
    let e = |e: std::io::Error| fail(e.to_string());
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input/fixture-only-never-lines");
    let text = std::fs::read_to_string(root.join("lab.json")).map_err(e)?;
    // Two steps, both with traffic, no fixture needed: the two ends of
    // the pair compared with each other (a capture must compare something).
    let lab_text = text
        .replace(
            "\"capture\": {\"host:veth0\": \"O4.1\"}",
            "\"capture\": {\"host:veth0\": null, \"song:veth1\": null}",
        )
        .replace(
            "\"id\": \"O4.1\"}",
            "\"id\": \"O4.1\"},\n        {\"expect\": \"same-frames\", \"a\": \"host:veth0\", \"b\": \"song:veth1\"}",
        )
        .replace(
            "\n  ]\n}",
            ",\n    {\"name\": \"two\", \"title\": \"again\", \"do\": [{\"ping\": \"192.168.122.102\", \"from\": \"host\", \"id\": \"O4.2\"}]}\n  ]\n}",
        );
    assert_ne!(text, lab_text);
    let before = crate::safety::snapshot();
    let cases: [(&str, &[&str]); 3] = [
        (
            "panic-in-step:one",
            &[
                "error: panicked: injected panic in step `one`",
                "not run: step `one` panicked",
            ],
        ),
        ("netlink:veth0", &["injected failure for `veth0`"]),
        ("worker-stuck", &["no namespace worker is left"]),
    ];
    let mut bad = vec![];
    for (i, (fault, want)) in cases.iter().enumerate() {
        let tmp = tempfile::tempdir().map_err(e)?;
        let lab = tmp.path().join("lab.json");
        std::fs::write(&lab, &lab_text).map_err(e)?;
        let (json, pcaps) = (tmp.path().join("r.json"), tmp.path().join("pcaps"));
        let token = format!("fault-{}-{i}", std::process::id());
        let args = [
            "run".as_ref(),
            "--json".as_ref(),
            json.as_os_str(),
            "--pcap-dir".as_ref(),
            pcaps.as_os_str(),
            lab.as_os_str(),
        ];
        let out = run_faulty(&args, fault, &token)?;
        let so = String::from_utf8_lossy(&out.stdout);
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json).map_err(e)?).unwrap_or_default();
        let failed = report["summary"]["failed"].as_u64();
        let all = format!("{so}{}", report);
        let missing: Vec<&&str> = want.iter().filter(|w| !all.contains(**w)).collect();
        if out.status.code() != Some(1)
            || !missing.is_empty()
            || failed.unwrap_or(0) == 0
            || !so.contains("FAIL  tiny/one")
        {
            bad.push(format!(
                "{fault}: exit {:?}, {failed:?} failed, lacks {missing:?}:\n{so}{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let left = crate::safety::holders_of(&token);
        if !left.is_empty() {
            bad.push(format!("{fault}: processes remain: {left:?}"));
        }
        // Only what was asked for: the report, the lab and the pcap tree.
        let mut files: Vec<String> = walk(tmp.path())
            .into_iter()
            .map(|p| {
                p.strip_prefix(tmp.path())
                    .unwrap_or(&p)
                    .display()
                    .to_string()
            })
            .filter(|p| !p.starts_with("pcaps/tiny/"))
            .collect();
        files.sort();
        if files != ["lab.json", "r.json"] {
            bad.push(format!("{fault}: unexpected files {files:?}"));
        }
    }
    if crate::safety::snapshot() != before {
        bad.push("the caller's network changed".into());
    }
    if !bad.is_empty() {
        return Err(fail(bad.join("\n")));
    }
    Ok(())
}

/// Every file under `d` (directories only as the path to their files).
fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Broken environments, made real without touching the machine: namespace
/// limits set inside a nested user namespace (its own limits, not the
/// caller's), capabilities dropped from the bounding set, labs that are not
/// where they are looked for. Each with its exact exit status and the
/// message naming the cause and the remedy.
fn environments() -> Vec<(&'static str, Command, &'static str, i32)> {
    let bin = env!("CARGO_BIN_EXE_vethlab");
    // Inside a user namespace of our own, set `limit`, then run vethlab as a
    // non-root user in a further one.
    let nested = |limit: &str| {
        let mut c = Command::new("unshare");
        c.args(["-U", "--map-root-user", "sh", "-c"]).arg(format!(
            "echo {limit} && exec unshare -U --map-user=1000 --map-group=1000 {bin} run bridge-arp/veth-works"
        ));
        c
    };
    let setpriv = |drop: &str| {
        let mut c = Command::new("setpriv");
        c.arg(format!("--bounding-set={drop}"))
            .args([bin, "run", "bridge-arp/veth-works"]);
        c
    };
    let vethlab = |args: &[&str], labs: Option<&str>| {
        let mut c = Command::new(bin);
        c.args(args);
        if let Some(l) = labs {
            c.env("VETHLAB_LABS", l);
        }
        c
    };
    vec![
        (
            "env-full-disk-keeps-the-old-report",
            full_disk(),
            "report.json: No space left on device\nnot written\nOLD-REPORT",
            1,
        ),
        (
            "env-rootless-user-namespaces-used-up",
            nested("1 > /proc/sys/user/max_user_namespaces"),
            "refuses an unprivileged user namespace\nuser.max_user_namespaces is used up\nsudo sysctl -w user.max_user_namespaces=",
            2,
        ),
        (
            "env-rootless-net-namespaces-zero",
            nested("0 > /proc/sys/user/max_net_namespaces"),
            "cannot create the sandbox's namespaces\nuser.max_net_namespaces is used up\nsudo sysctl -w user.max_net_namespaces=",
            2,
        ),
        (
            // The sandbox fits, the lab's own namespaces do not: the
            // machine failed, not the lab: exit 2 naming the limit, no FAIL.
            "env-net-namespaces-run-out-mid-run",
            nested("2 > /proc/sys/user/max_net_namespaces"),
            "user.max_net_namespaces, here or in an enclosing user namespace\nsudo sysctl -w user.max_net_namespaces=",
            2,
        ),
        (
            "env-root-without-cap-sys-admin",
            setpriv("-sys_admin"),
            "root here lacks CAP_SYS_ADMIN (namespaces and mounts)\n--cap-add SYS_ADMIN",
            2,
        ),
        (
            "env-root-without-cap-net-raw",
            setpriv("-net_raw"),
            "root here lacks CAP_NET_RAW (captures and ping)\n--cap-add NET_RAW",
            2,
        ),
        (
            "env-root-without-cap-net-admin",
            setpriv("-net_admin,-sys_admin"),
            "lacks CAP_SYS_ADMIN (namespaces and mounts), CAP_NET_ADMIN (devices, addresses and routes)",
            2,
        ),
        (
            "env-labs-dir-missing-run",
            vethlab(&["run"], Some("/nonexistent-vethlab-labs")),
            "/nonexistent-vethlab-labs: cannot read the labs directory\nset VETHLAB_LABS",
            2,
        ),
        (
            "env-labs-dir-missing-list",
            vethlab(&["list"], Some("/nonexistent-vethlab-labs")),
            "/nonexistent-vethlab-labs: cannot read the labs directory",
            2,
        ),
        (
            "env-no-such-lab",
            vethlab(&["run", "no-such-lab"], None),
            "no-such-lab: no such lab (labs: veth-pair, docker-veth, bridge-arp",
            2,
        ),
        (
            "env-no-such-step",
            vethlab(&["run", "bridge-arp/no-such-step"], None),
            "bridge-arp/no-such-step: lab bridge-arp has no step `no-such-step`",
            2,
        ),
    ]
}
