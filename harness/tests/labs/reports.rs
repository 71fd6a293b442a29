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

/// Completions and the man page come from the parser's own definitions:
/// every subcommand is in both.
pub(crate) fn completions_and_man() -> Result<(), Failed> {
    let out = |args: &[&str]| -> Result<String, Failed> {
        let o = Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .args(args)
            .output()
            .map_err(|e| fail(e.to_string()))?;
        if !o.status.success() {
            return Err(fail(format!(
                "vethlab {args:?} exited {:?}",
                o.status.code()
            )));
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let bash = out(&["completions", "bash"])?;
    let man = out(&["man"])?;
    if !man.starts_with(".ie") && !man.contains(".TH vethlab") {
        return Err(fail(format!(
            "not a man page:\n{}",
            &man[..man.len().min(300)]
        )));
    }
    for sub in ["list", "run", "shell", "check", "bench", "peers"] {
        if !bash.contains(sub) || !man.contains(sub) {
            return Err(fail(format!(
                "`{sub}` missing from the completions or the man page"
            )));
        }
    }
    Ok(())
}

/// The report is coloured on a terminal (a real pty, from util-linux's
/// `script`), plain when piped, and plain on a terminal with NO_COLOR set.
pub(crate) fn colour_on_a_terminal_only() -> Result<Completion, Failed> {
    if Command::new("script").arg("--version").output().is_err() {
        return crate::skipped("no `script` (util-linux) to give the run a terminal");
    }
    let bin = env!("CARGO_BIN_EXE_vethlab");
    let green = "\x1b[32mPASS\x1b[0m";
    let on_tty = |no_color: Option<&str>| -> Result<String, Failed> {
        let mut c = Command::new("script");
        c.args(["-qec", "\"$VETHLAB\" run veth-pair", "/dev/null"])
            .env("VETHLAB", bin)
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.output().map_err(|e| fail(e.to_string()))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() || !text.contains("PASS") {
            return Err(fail(format!("on a terminal: {text}")));
        }
        Ok(text)
    };
    let t = on_tty(None)?;
    if !t.contains(green) {
        return Err(fail(format!("no colour on a terminal:\n{t:?}")));
    }
    let t = on_tty(Some("1"))?;
    if t.contains("\x1b[3") {
        return Err(fail(format!("colour with NO_COLOR=1:\n{t:?}")));
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
    std::fs::copy(env!("CARGO_BIN_EXE_vethlab"), &bin).map_err(|e| fail(e.to_string()))?;
    let list = |extra: &[&str]| -> Result<Vec<String>, Failed> {
        let o = Command::new(&bin)
            .args(extra)
            .args(["list", "--json"])
            .current_dir("/")
            .env_remove("VETHLAB_LABS")
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
