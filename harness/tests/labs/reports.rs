//! Machine-readable reports, read back by the consumers CI uses.

use crate::fail;
use libtest_mimic::{Completion, Failed};
use std::process::Command;

/// `vethlab run --junit` parses with Python's junitparser (what CI
/// reporters build on): a testsuite per lab, a testcase per step, skips as
/// skips with their reason.
pub(crate) fn junit_parses(labs: &[vethlab::lab::Lab]) -> Result<Completion, Failed> {
    // Debian's package serves /usr/bin/python3; a pyenv python3 on PATH may
    // have it from pip instead.
    let Some(python) = ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import junitparser"])
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        return crate::skipped(
            "python3 junitparser is not installed (apt-get install python3-junitparser)",
        );
    };
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let file = tmp.path().join("junit.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .args(["run", "veth-pair", "calico", "--junit"])
        .arg(&file)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stdout).into_owned()));
    }
    let script = r#"
import sys
from junitparser import JUnitXml, Skipped, Failure
x = JUnitXml.fromfile(sys.argv[1])
for s in x:
    for c in s:
        kind = "skip" if any(isinstance(r, Skipped) for r in c.result) else \
               "fail" if any(isinstance(r, Failure) for r in c.result) else "pass"
        why = c.result[0].message if c.result else ""
        print(f"{s.name}\t{c.classname}\t{c.name}\t{kind}\t{why}")
"#;
    let py = Command::new(python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if !py.status.success() {
        return Err(fail(format!(
            "junitparser refused the file: {}",
            String::from_utf8_lossy(&py.stderr)
        )));
    }
    let got = String::from_utf8_lossy(&py.stdout).into_owned();
    let rows: Vec<Vec<&str>> = got.lines().map(|l| l.split('\t').collect()).collect();
    for name in ["veth-pair", "calico"] {
        let lab = labs
            .iter()
            .find(|l| l.name == name)
            .ok_or_else(|| fail(format!("no lab {name}")))?;
        for (i, s) in lab.steps.iter().enumerate() {
            let row = rows
                .iter()
                .find(|r| r.len() >= 4 && r[0] == name && r[1] == name && r[2] == s.name)
                .ok_or_else(|| fail(format!("no testcase {name}/{}:\n{got}", s.name)))?;
            let want = if vethlab::run::step_skip(lab, i).is_some() {
                "skip"
            } else {
                "pass"
            };
            if row[3] != want || (want == "skip" && row.get(4).is_none_or(|w| w.is_empty())) {
                return Err(fail(format!("{name}/{}: {row:?}, want {want}", s.name)));
            }
        }
    }
    let n: usize = ["veth-pair", "calico"]
        .iter()
        .filter_map(|n| labs.iter().find(|l| l.name == *n))
        .map(|l| l.steps.len())
        .sum();
    if rows.len() != n {
        return Err(fail(format!("{} testcases, want {n}:\n{got}", rows.len())));
    }
    Ok(Completion::Completed)
}

/// `vethlab run LAB --bless` on a lab missing a fixture writes it, with the
/// lab's MACs as placeholders, and a plain run then passes on it.
pub(crate) fn bless_then_run_passes(dir: &std::path::Path) -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let labs = tmp.path().join("labs");
    crate::copy_tree(&dir.join("bridge-arp"), &labs.join("bridge-arp"))
        .map_err(|e| fail(e.to_string()))?;
    crate::copy_tree(
        &dir.join("../fixtures/bridge-arp"),
        &tmp.path().join("fixtures/bridge-arp"),
    )
    .map_err(|e| fail(e.to_string()))?;
    let f = tmp
        .path()
        .join("fixtures/bridge-arp/veth-in-bridge/song-veth1.txt");
    std::fs::remove_file(&f).map_err(|e| fail(e.to_string()))?;
    let lab = labs.join("bridge-arp/lab.json");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .arg("run")
            .arg(&lab)
            .args(extra)
            .output()
            .map_err(|e| fail(e.to_string()))
    };
    let out = run(&["--bless"])?;
    if !out.status.success() {
        return Err(fail(format!(
            "bless failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let text = std::fs::read_to_string(&f).map_err(|e| fail(format!("not blessed: {e}")))?;
    if !text.contains("is-at {song.veth1.mac}") || text.contains("f2:05:c3:82:ae:5e") {
        return Err(fail(format!(
            "the blessed fixture keeps literal MACs:\n{text}"
        )));
    }
    let out = run(&[])?;
    if !out.status.success() {
        return Err(fail(format!(
            "a plain run after the bless failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        )));
    }
    Ok(())
}

/// Completions and the man pages come from the parser's own definitions:
/// every subcommand is in both, has its own page (`vethlab man run`, `man
/// --dir`), and every page the top-level one refers to exists. The bash
/// script, sourced in bash, completes `vethlab run fla` to the flannel labs
/// and their steps, and `vethlab shell` to lab names only.
pub(crate) fn completions_and_man() -> Result<(), Failed> {
    let out = |args: &[&str]| -> Result<String, Failed> {
        let o = Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .args(args)
            .output()
            .map_err(|e| fail(e.to_string()))?;
        if !o.status.success() {
            return Err(fail(format!(
                "vethlab {args:?} exited {:?}: {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let bash = out(&["completions", "bash"])?;
    let man = out(&["man"])?;
    if !man.contains(".TH vethlab 1") {
        return Err(fail(format!(
            "not a man page:\n{}",
            &man[..man.len().min(300)]
        )));
    }
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    out(&["man", "--dir", &tmp.path().display().to_string()])?;
    for sub in ["list", "run", "shell", "check", "bench", "peers", "man"] {
        if !bash.contains(sub) || !man.contains(&format!("vethlab\\-{sub}(1)")) {
            return Err(fail(format!(
                "`{sub}` missing from the completions or the man page"
            )));
        }
        let page = out(&["man", sub])?;
        let file = tmp.path().join(format!("vethlab-{sub}.1"));
        let written =
            std::fs::read_to_string(&file).map_err(|e| fail(format!("{}: {e}", file.display())))?;
        if !page.contains(&format!(".TH vethlab-{sub} 1")) || written != page {
            return Err(fail(format!("vethlab-{sub}(1): {page}")));
        }
    }
    let run = out(&["man", "run"])?;
    for flag in ["fail\\-fast", "color", "quiet", "pcapng"] {
        if !run.contains(flag) {
            return Err(fail(format!("vethlab-run(1) does not mention {flag}")));
        }
    }
    let labs = vethlab::lab::catalog::labs_dir()
        .and_then(|d| vethlab::lab::catalog::load_all(&d))
        .map_err(|e| fail(e.to_string()))?;
    let flannel: Vec<String> = labs
        .iter()
        .filter(|l| l.name.starts_with("fla"))
        .flat_map(|l| {
            std::iter::once(l.name.clone())
                .chain(l.steps.iter().map(|s| format!("{}/{}", l.name, s.name)))
        })
        .collect();
    let calico: Vec<String> = labs
        .iter()
        .filter(|l| l.name.starts_with("cal"))
        .map(|l| l.name.clone())
        .collect();
    let script = tmp.path().join("vethlab.bash");
    std::fs::write(&script, &bash).map_err(|e| fail(e.to_string()))?;
    let complete = |words: &str| -> Result<Vec<String>, Failed> {
        let o = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD=2; COMP_LINE=\"{words}\"; \
                 COMP_POINT=${{#COMP_LINE}}; _vethlab vethlab \"${{COMP_WORDS[2]}}\" \"${{COMP_WORDS[1]}}\"; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .output()
            .map_err(|e| fail(e.to_string()))?;
        let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        v.sort();
        Ok(v)
    };
    let mut want = flannel.clone();
    want.sort();
    let got = complete("vethlab run fla")?;
    if got != want || want.len() < 3 {
        return Err(fail(format!(
            "`vethlab run fla<TAB>`: {got:?}, want {want:?}"
        )));
    }
    let got = complete("vethlab shell cal")?;
    if got != calico || calico.is_empty() {
        return Err(fail(format!(
            "`vethlab shell cal<TAB>`: {got:?}, want {calico:?}"
        )));
    }
    Ok(())
}

/// The report is coloured on a terminal (a real pty, from util-linux's
/// `script`), plain when piped, and plain on a terminal with NO_COLOR set,
/// with TERM=dumb, or with `--color never`.
pub(crate) fn colour_on_a_terminal_only() -> Result<Completion, Failed> {
    if Command::new("script").arg("--version").output().is_err() {
        return crate::skipped("no `script` (util-linux) to give the run a terminal");
    }
    let bin = env!("CARGO_BIN_EXE_vethlab");
    let green = "\x1b[32mPASS\x1b[0m";
    let on_tty = |env: &[(&str, &str)], flags: &str| -> Result<String, Failed> {
        let mut c = Command::new("script");
        c.args([
            "-qec",
            &format!("\"$VETHLAB\" run veth-pair {flags}"),
            "/dev/null",
        ])
        .env("VETHLAB", bin)
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.output().map_err(|e| fail(e.to_string()))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || !text.contains("PASS") {
            return Err(fail(format!("on a terminal: {text}")));
        }
        Ok(text)
    };
    let t = on_tty(&[], "")?;
    if !t.contains(green) {
        return Err(fail(format!("no colour on a terminal:\n{t:?}")));
    }
    for (env, flags) in [
        (&[("NO_COLOR", "1")][..], ""),
        (&[("TERM", "dumb")][..], ""),
        (&[][..], "--color never"),
    ] {
        let t = on_tty(env, flags)?;
        if t.contains("\x1b[3") {
            return Err(fail(format!("colour with {env:?} {flags}:\n{t:?}")));
        }
    }
    let piped = Command::new(bin)
        .args(["run", "veth-pair"])
        .env_remove("NO_COLOR")
        .output()
        .map_err(|e| fail(e.to_string()))?;
    let t = String::from_utf8_lossy(&piped.stdout);
    if !t.contains("PASS") || t.contains('\x1b') {
        return Err(fail(format!("piped, expected plain PASS lines:\n{t:?}")));
    }
    Ok(Completion::Completed)
}

/// `vethlab run --junit` is valid against the Jenkins JUnit schema
/// (`tests/junit.xsd`, with xmllint), and the same file with a property
/// inside a testcase is not (the check can fail). A failing fixture names
/// its file and line and the line expected; no learner hint; the total time
/// is the run's wall time (at least its longest lab, at most the process).
pub(crate) fn junit_valid_against_xsd(dir: &std::path::Path) -> Result<Completion, Failed> {
    if Command::new("xmllint").arg("--version").output().is_err() {
        return crate::skipped("no xmllint (apt-get install libxml2-utils)");
    }
    let xsd = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/junit.xsd");
    let (tmp, lab) = crate::cli::broken_bridge_arp(dir)?;
    let file = tmp.path().join("junit.xml");
    let t0 = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .arg("run")
        .arg(&lab)
        .args(["veth-pair", "calico", "--junit"])
        .arg(&file)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    let elapsed = t0.elapsed().as_secs_f64();
    let doc = std::fs::read_to_string(&file).map_err(|e| fail(format!("no report: {e}")))?;
    if out.status.code() != Some(1) {
        return Err(fail(format!("the broken lab should fail the run:\n{doc}")));
    }
    let lint = |f: &std::path::Path| {
        Command::new("xmllint")
            .args(["--noout", "--schema", xsd])
            .arg(f)
            .output()
            .map_err(|e| fail(e.to_string()))
    };
    let v = lint(&file)?;
    if !v.status.success() {
        return Err(fail(format!(
            "not valid against {xsd}:\n{}",
            String::from_utf8_lossy(&v.stderr)
        )));
    }
    let bad = tmp.path().join("bad.xml");
    let mutated = doc.replacen(
        "</testcase>",
        "<properties><property name=\"a\" value=\"b\"/></properties></testcase>",
        1,
    );
    std::fs::write(&bad, mutated).map_err(|e| fail(e.to_string()))?;
    if lint(&bad)?.status.success() {
        return Err(fail("xmllint accepted a property inside a testcase"));
    }
    let msg = "message=\"fixtures/bridge-arp/";
    let at = doc
        .find(msg)
        .ok_or_else(|| fail(format!("no fixture message:\n{doc}")))?;
    let m = &doc[at + 9..];
    let m = &m[..m.find('"').unwrap_or(0)];
    if !m.contains(".txt:") || !m.contains(": expected `") || doc.contains("hint:") {
        return Err(fail(format!("message {m:?}, or a hint in:\n{doc}")));
    }
    let times: Vec<f64> = doc
        .lines()
        .filter(|l| l.trim_start().starts_with("<testsuite"))
        .filter_map(|l| l.split(" time=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    let (total, suites) = times.split_first().ok_or_else(|| fail("no times"))?;
    let longest = suites.iter().cloned().fold(0.0, f64::max);
    if suites.len() != 3 || *total < longest || *total > elapsed {
        return Err(fail(format!(
            "total {total} s: want the wall time, between the longest lab {longest} s and the process's {elapsed} s"
        )));
    }
    Ok(Completion::Completed)
}

/// A copy of the binary away from any checkout, run from `/` with no
/// `VETHLAB_LABS`, lists every lab of the repository (the labs travel
/// inside it), and `--labs DIR` still picks a directory.
pub(crate) fn copied_binary_lists_every_lab() -> Result<(), Failed> {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../labs");
    let mut want: Vec<String> = std::fs::read_dir(&repo)
        .map_err(|e| fail(format!("{}: {e}", repo.display())))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("lab.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    want.sort();
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let bin = tmp.path().join("vethlab");
    // Copied by `cp`, not in this process: a file open for writing here is
    // inherited by every child another trial forks until that child execs,
    // and exec of the copy then fails with ETXTBSY ("Text file busy").
    let cp = Command::new("cp")
        .arg(env!("CARGO_BIN_EXE_vethlab"))
        .arg(&bin)
        .status()
        .map_err(|e| fail(format!("cp: {e}")))?;
    if !cp.success() {
        return Err(fail(format!("cp of the vethlab binary exited {cp}")));
    }
    let list = |extra: &[&str]| -> Result<Vec<String>, Failed> {
        let o = Command::new(&bin)
            .args(extra)
            .args(["list", "--json"])
            .current_dir("/")
            .env_remove("VETHLAB_LABS")
            // A cache of its own: rootless, inside this suite's user
            // namespace, the shared ones belong to someone else.
            .env("XDG_CACHE_HOME", tmp.path().join("cache"))
            .env("TMPDIR", tmp.path())
            .output()
            .map_err(|e| fail(e.to_string()))?;
        if !o.status.success() {
            return Err(fail(format!(
                "vethlab list exited {:?}: {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            )));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).map_err(|e| fail(e.to_string()))?;
        let mut got: Vec<String> = v
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["lab"].as_str().map(String::from))
            .collect();
        got.sort();
        Ok(got)
    };
    let got = list(&[])?;
    if got != want {
        return Err(fail(format!(
            "built-in labs {got:?}, the repository's {want:?}"
        )));
    }
    // One lab in a directory of its own: only it is listed.
    let one = tmp.path().join("labs/veth-pair");
    crate::copy_tree(&repo.join("veth-pair"), &one).map_err(|e| fail(e.to_string()))?;
    crate::copy_tree(
        &repo.join("../fixtures/veth-pair"),
        &tmp.path().join("fixtures/veth-pair"),
    )
    .map_err(|e| fail(e.to_string()))?;
    let labs = tmp.path().join("labs");
    let got = list(&["--labs", labs.to_str().unwrap_or_default()])?;
    if got != ["veth-pair"] {
        return Err(fail(format!("--labs {}: listed {got:?}", labs.display())));
    }
    Ok(())
}
