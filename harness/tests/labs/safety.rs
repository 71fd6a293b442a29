//! What a run leaves behind: nothing, whatever kills it; and what it does to
//! the caller: nothing. Each test spawns the real `vethlab` binary.

use crate::fail;
use libtest_mimic::Failed;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VETHLAB: &str = env!("CARGO_BIN_EXE_vethlab");

/// The sysctls the labs write (in their own namespaces), as the caller sees them.
const SYSCTL_DIRS: &[&str] = &[
    "/proc/sys/net/ipv4/conf/all",
    "/proc/sys/net/ipv4/conf/default",
    "/proc/sys/net/ipv4/conf/lo",
    "/proc/sys/net/ipv4/neigh/default",
    "/proc/sys/net/ipv4/neigh/lo",
];
const SYSCTL_FILES: &[&str] = &[
    "/proc/sys/net/ipv4/ip_forward",
    "/proc/sys/net/ipv4/igmp_link_local_mcast_reports",
    "/proc/sys/net/ipv6/conf/default/disable_ipv6",
    "/proc/sys/net/ipv6/conf/lo/disable_ipv6",
];

/// What the caller can see of its network: links, addresses, routes,
/// neighbours, named namespaces, mounts, and the sysctls labs touch.
pub(crate) fn snapshot() -> String {
    let mut s = String::new();
    for args in [
        &["-o", "link"][..],
        &["-o", "addr"],
        &["route"],
        &["neigh"],
        &["netns", "list"],
    ] {
        let out = Command::new("ip")
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string());
        s.push_str(&out.unwrap_or_else(|e| format!("ip {args:?}: {e}")));
    }
    // Only where a run's mounts would show if they leaked: /sys, /proc,
    // /proc/sys, named namespaces, anything named vethlab. Other tenants'
    // mounts (Docker overlays, another job's rootfs/proc) reach this
    // namespace by propagation and are not ours to judge; they made the kill
    // test fail under parallel load.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    for l in mounts.lines() {
        let point = l.split(' ').nth(4).unwrap_or("");
        if matches!(point, "/sys" | "/proc" | "/proc/sys")
            || point.starts_with("/run/netns")
            || point.starts_with("/var/run/netns")
            || l.contains("vethlab")
        {
            s.push_str(l);
            s.push('\n');
        }
    }
    let mut files: Vec<String> = SYSCTL_FILES.iter().map(|f| f.to_string()).collect();
    for d in SYSCTL_DIRS {
        if let Ok(rd) = std::fs::read_dir(d) {
            files.extend(rd.flatten().map(|e| e.path().display().to_string()));
        }
    }
    files.sort();
    for f in files {
        // Some entries are write-only (e.g. flush); they hold no state to compare.
        if let Ok(v) = std::fs::read_to_string(&f) {
            s.push_str(&format!("{f}={}", v));
        }
    }
    s
}

/// The lines only one of two snapshots has, `-` before and `+` after.
pub(crate) fn diff(before: &str, after: &str) -> String {
    let b: Vec<&str> = before.lines().collect();
    let a: Vec<&str> = after.lines().collect();
    let mut out = String::new();
    for l in &b {
        if !a.contains(l) {
            out.push_str(&format!("- {l}\n"));
        }
    }
    for l in &a {
        if !b.contains(l) {
            out.push_str(&format!("+ {l}\n"));
        }
    }
    out
}

/// Processes whose environment carries `token`: everything a run started.
pub(crate) fn holders_of(token: &str) -> Vec<String> {
    let needle = format!("VETHLAB_KILLTEST={token}");
    let mut out = vec![];
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if env.split(|b| *b == 0).any(|v| v == needle.as_bytes()) {
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            out.push(format!("{pid}: {}", cmd.replace('\0', " ")));
        }
    }
    out
}

/// One kill: start `args` traced, SIGKILL it at its `n`th trace event, and
/// return that event. Then nothing of it may remain.
fn kill_at(args: &[&str], n: usize, before: &str) -> Result<String, Failed> {
    // Unique among the moments running at once.
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let token = format!("{}-{n}-{seq}", std::process::id());
    let mut child = Command::new(VETHLAB)
        .args(args)
        .env("VETHLAB_TRACE", "1")
        .env("VETHLAB_KILLTEST", &token)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    // Read on a thread: the learner's processes keep stderr open, and a
    // run that stops producing events must fail the test, not hang it.
    let stderr = child.stderr.take().ok_or_else(|| fail("no stderr"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(ev) = l.strip_prefix("vethlab-trace: ") {
                if tx.send(ev.to_string()).is_err() {
                    break;
                }
            }
        }
    });
    let mut seen = 0;
    let mut event = String::from("(exited first)");
    while seen < n {
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(ev) => {
                seen += 1;
                event = ev;
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let what = format!("`vethlab {}` killed at event {n} ({event})", args.join(" "));
    if seen < n {
        return Err(fail(format!("{what}: it had only {seen} events")));
    }
    // The kernel reaps a dead PID namespace asynchronously: wait for it, bounded.
    let t0 = Instant::now();
    let mut left = holders_of(&token);
    while !left.is_empty() && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
        left = holders_of(&token);
    }
    if !left.is_empty() {
        return Err(fail(format!(
            "{what}: processes remain:\n{}",
            left.join("\n")
        )));
    }
    if Path::new(&format!("/proc/{}", child.id())).exists() {
        return Err(fail(format!("{what}: process {} survived", child.id())));
    }
    let after = snapshot();
    if after != before {
        return Err(fail(format!(
            "{what}: the caller changed:\n{}",
            diff(before, &after)
        )));
    }
    Ok(event)
}

/// The trace events `args` produces when left alone.
fn events_of(args: &[&str]) -> Result<Vec<String>, Failed> {
    let out = Command::new(VETHLAB)
        .args(args)
        .env("VETHLAB_TRACE", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(e.to_string()))?;
    Ok(String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("vethlab-trace: "))
        .map(str::to_string)
        .collect())
}

/// SIGKILL at 30+ moments spread over every lab's build, captures, traffic,
/// assertions and teardown, and inside `vethlab shell` (with a learner's
/// background processes and a running `vethlab check`). Each moment is its
/// own run, killed and then looked after alone: they run [`kill_workers`] at a
/// time, as the runs mostly wait (timers, pings, the learner's sleeps).
pub(crate) fn kill_at_any_moment(labs: &[String]) -> Result<(), Failed> {
    let before = snapshot();
    let owned = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // The shell: events are its build, its start, then those of the
    // `vethlab check` run inside it; the learner's sleeps hold namespaces.
    let shell = |script: &str| {
        owned(&[
            "shell",
            "bridge-arp",
            "--step",
            "3",
            "--",
            "sh",
            "-c",
            script,
        ])
    };
    // `vethlab reset`: the shell ends (its sleeps with it), the lab is torn
    // down and rebuilt, a new shell runs the script again (now without reset).
    let reset = "if [ \"$VETHLAB_RESETS\" = 0 ]; then vethlab reset; fi; vethlab check";
    // Each run left alone, for its events: every lab's, then the shell's
    // and the shell's with a reset.
    let mut alone: Vec<Vec<String>> = labs.iter().map(|l| owned(&["run", l])).collect();
    alone.push(shell("vethlab check"));
    alone.push(shell(reset));
    let mut evs = parallel(&alone, |args| events_of(&strs(args)))?;
    let (reset_evs, shell_evs) = (evs.pop().unwrap_or_default(), evs.pop().unwrap_or_default());
    let mut moments: Vec<(Vec<String>, usize)> = vec![];
    for (args, ev) in alone.iter().zip(&evs) {
        // First, last, and four moments between.
        let total = ev.len();
        let mut at: Vec<usize> = (0..6).map(|i| 1 + i * (total - 1) / 5).collect();
        at.dedup();
        moments.extend(at.into_iter().map(|n| (args.clone(), n)));
    }
    let with_sleeps = shell("ip netns exec song sleep 300 & sleep 300 & vethlab check; sleep 300");
    // Every event up to the shell's end (the learner's sleeps keep it open).
    let total = shell_evs
        .iter()
        .position(|e| e == "shell exited")
        .unwrap_or(shell_evs.len());
    moments.extend((1..=total).map(|n| (with_sleeps.clone(), n)));
    let with_reset = shell(
        "if [ \"$VETHLAB_RESETS\" = 0 ]; then ip netns exec song sleep 300 & sleep 300 & vethlab reset; fi; vethlab check; sleep 300",
    );
    let from = reset_evs.iter().position(|e| e == "reset").ok_or_else(|| {
        fail(format!(
            "no `reset` event in a shell that ran vethlab reset: {reset_evs:?}"
        ))
    })?;
    let to = reset_evs
        .iter()
        .rposition(|e| e == "shell exited")
        .unwrap_or(reset_evs.len());
    moments.extend((from + 1..=to.max(from + 1)).map(|n| (with_reset.clone(), n)));
    let events = parallel(&moments, |(args, n)| kill_at(&strs(args), *n, &before))?;
    let kinds: std::collections::BTreeSet<&str> =
        events.iter().filter_map(|e| e.split(' ').next()).collect();
    for k in [
        "build", "step", "capture", "traffic", "assert", "fixtures", "teardown", "shell", "reset",
    ] {
        if !kinds.contains(k) {
            return Err(fail(format!("no kill landed on a `{k}` event: {events:?}")));
        }
    }
    if events.len() < 30 {
        return Err(fail(format!("only {} kill moments", events.len())));
    }
    Ok(())
}

/// How many kill moments run at once: four per core (8 here; 4 in the
/// kernel matrix's one-CPU VM). More starved the other trials' full runs
/// of CPU at the start of the binary, where their pings and neighbour
/// timers must keep time.
fn kill_workers() -> usize {
    4 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// `f` over every job, [`kill_workers`] at a time; the results in the jobs'
/// order, or every job's failure.
fn parallel<J: Sync, R: Send>(
    jobs: &[J],
    f: impl Fn(&J) -> Result<R, Failed> + Sync,
) -> Result<Vec<R>, Failed> {
    let done = crate::pool::each(kill_workers(), jobs.iter().collect(), f);
    let (ok, bad): (Vec<_>, Vec<_>) = done.into_iter().partition(Result::is_ok);
    if !bad.is_empty() {
        let why: Vec<String> = bad
            .into_iter()
            .filter_map(Result::err)
            .map(|e| e.message().unwrap_or("(no message)").to_string())
            .collect();
        return Err(fail(why.join("\n")));
    }
    Ok(ok.into_iter().filter_map(Result::ok).collect())
}

/// A full run leaves the caller's namespace byte-identical.
pub(crate) fn caller_untouched() -> Result<(), Failed> {
    let before = snapshot();
    let out = Command::new(VETHLAB)
        .arg("run")
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(format!(
            "vethlab run failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        )));
    }
    let after = snapshot();
    if after != before {
        return Err(fail(format!(
            "the caller changed:\n{}",
            diff(&before, &after)
        )));
    }
    Ok(())
}

/// Four full runs at once (all with the articles' names: host, song, br0,
/// veth0, node03, ...), alongside the rest of this test binary: all pass.
pub(crate) fn four_parallel_runs() -> Result<(), Failed> {
    let kids: Vec<_> = (0..4)
        .map(|_| {
            Command::new(VETHLAB)
                .args(["run", "--json", "/dev/stdout"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    for (i, k) in kids.into_iter().enumerate() {
        let out = k.wait_with_output().map_err(|e| fail(e.to_string()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() || !text.contains("\"bridge-arp\"") {
            // What failed first (a report cuts a long message), then the rest.
            let failed: Vec<&str> = text
                .split_inclusive('\n')
                .scan(false, |in_fail, l| {
                    if !l.starts_with(' ') {
                        *in_fail = l.starts_with("FAIL");
                    }
                    Some((*in_fail).then_some(l))
                })
                .flatten()
                .collect();
            return Err(fail(format!(
                "parallel run {i} exited {:?}; what failed:\n{}\nstderr:\n{}\nall it printed:\n{text}",
                out.status.code(),
                failed.concat(),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
    }
    Ok(())
}

/// Where unprivileged user namespaces are refused: one message saying so
/// and what to do, exit status 2, nothing else. Made real with a nested user
/// namespace whose limit is used up (the caller's limit is not touched).
pub(crate) fn rootless_refused() -> Result<(), Failed> {
    let script = format!(
        "echo 1 > /proc/sys/user/max_user_namespaces && exec unshare -U --map-user=1000 --map-group=1000 {VETHLAB} run veth-pair"
    );
    let out = Command::new("unshare")
        .args(["-U", "--map-root-user", "sh", "-c", &script])
        .output()
        .map_err(|e| fail(format!("unshare (util-linux): {e}")))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(2)
        || !err.contains("refuses an unprivileged user namespace")
        || !err.contains("sysctl -w user.max_user_namespaces")
        || !err.contains("sudo")
        || err.contains("panicked")
        || !out.stdout.is_empty()
    {
        return Err(fail(format!(
            "exit {:?}, stderr:\n{err}\nstdout:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout)
        )));
    }
    Ok(())
}
