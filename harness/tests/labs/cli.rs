//! The command line's conventions, typed as people type them: `--color`,
//! `-q`, `--fail-fast`.

use crate::fail;
use libtest_mimic::Failed;
use std::path::Path;
use std::process::{Command, Output};

fn vethlab(args: &[&str], env: &[(&str, &str)]) -> Result<Output, Failed> {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vethlab"));
    c.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().map_err(|e| fail(e.to_string()))
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of bridge-arp whose first step fails (song holds the wrong
/// address): the lab file's path.
pub(crate) fn broken_bridge_arp(dir: &Path) -> Result<(tempfile::TempDir, String), Failed> {
    let (tmp, f) = crate::errors::copy_lab(dir, "bridge-arp")?;
    let t = std::fs::read_to_string(&f).map_err(|e| fail(e.to_string()))?;
    let b = t.replace(
        "ifconfig veth1 192.168.122.102/24",
        "ifconfig veth1 192.168.122.103/24",
    );
    if b == t {
        return Err(fail("bridge-arp no longer gives veth1 192.168.122.102/24"));
    }
    std::fs::write(&f, b).map_err(|e| fail(e.to_string()))?;
    Ok((tmp, f.display().to_string()))
}

/// `--fail-fast`: after the first FAIL no further step runs; each is a SKIP
/// saying why, and the run exits 1. Without it the same lab runs every step.
pub(crate) fn fail_fast(dir: &Path) -> Result<(), Failed> {
    let (_tmp, lab) = broken_bridge_arp(dir)?;
    let statuses = |o: &Output| -> Result<Vec<(String, String)>, Failed> {
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).map_err(|e| fail(format!("{e}: {}", text(o))))?;
        Ok(v["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| {
                (
                    s["status"].as_str().unwrap_or("").to_string(),
                    s["reason"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect())
    };
    let ff = vethlab(&["run", &lab, "--fail-fast", "--json", "-"], &[])?;
    let got = statuses(&ff)?;
    let not_run = |(st, why): &(String, String)| st == "skip" && why.contains("--fail-fast");
    if ff.status.code() != Some(1)
        || got.len() < 2
        || got[0].0 != "fail"
        || !got[1..].iter().all(not_run)
    {
        return Err(fail(format!("--fail-fast: {got:?}\n{}", text(&ff))));
    }
    let all = vethlab(&["run", &lab, "--json", "-"], &[])?;
    let got = statuses(&all)?;
    if all.status.code() != Some(1) || got.iter().skip(1).any(not_run) || got.len() < 2 {
        return Err(fail(format!("without --fail-fast: {got:?}")));
    }
    Ok(())
}

/// `-q`: a passing run prints its summary line alone; a failing one its
/// FAIL steps and the summary, no PASS or SKIP line, no kernel banner.
pub(crate) fn quiet(dir: &Path, veth_pair_steps: usize) -> Result<(), Failed> {
    let o = vethlab(&["run", "veth-pair", "-q"], &[])?;
    let want = format!("{veth_pair_steps} passed, 0 failed, 0 skipped\n");
    if !o.status.success() || String::from_utf8_lossy(&o.stdout) != want {
        return Err(fail(format!("want only {want:?}:\n{}", text(&o))));
    }
    let (_tmp, lab) = broken_bridge_arp(dir)?;
    let o = vethlab(&["--quiet", "run", &lab], &[])?;
    let out = String::from_utf8_lossy(&o.stdout);
    let has = |k: &str| out.lines().any(|l| l.starts_with(k));
    if o.status.code() != Some(1)
        || !has("FAIL  bridge-arp/veth-works")
        || has("PASS")
        || has("SKIP")
        || has("kernel ")
        || !out.trim_end().ends_with("failed, 0 skipped")
    {
        return Err(fail(format!("-q on a failing lab:\n{}", text(&o))));
    }
    Ok(())
}

/// Flags, environment, whether the report is coloured.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], bool);

/// `--color always|never` override the terminal; `auto` follows
/// CLICOLOR_FORCE, NO_COLOR and TERM=dumb. The pty cases are in
/// `reports::colour_on_a_terminal_only`.
pub(crate) fn colour_flags() -> Result<(), Failed> {
    let green = "\x1b[32mPASS\x1b[0m";
    let run = |args: &[&str], env: &[(&str, &str)]| -> Result<String, Failed> {
        let mut a = vec!["run", "veth-pair/netns-add"];
        a.extend_from_slice(args);
        let o = vethlab(&a, env)?;
        if !o.status.success() {
            return Err(fail(text(&o)));
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let cases: [Case; 6] = [
        (&[], &[], false),
        (&["--color", "always"], &[], true),
        (&["--color=always"], &[("NO_COLOR", "1")], true),
        (&[], &[("CLICOLOR_FORCE", "1")], true),
        (&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], false),
        (&["--color", "never"], &[("CLICOLOR_FORCE", "1")], false),
    ];
    for (args, env, want) in cases {
        let t = run(args, env)?;
        if t.contains(green) != want || (!want && t.contains('\x1b')) {
            return Err(fail(format!(
                "{args:?} {env:?}: colour should be {want}:\n{t:?}"
            )));
        }
    }
    let o = vethlab(&["--color", "sometimes", "list"], &[])?;
    if o.status.code() != Some(2) || !text(&o).contains("auto") {
        return Err(fail(format!("a bad --color value: {}", text(&o))));
    }
    Ok(())
}
