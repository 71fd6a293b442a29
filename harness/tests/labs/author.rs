//! Writing your own lab: `vethlab new`, `--bless`, `vethlab fmt`, `vethlab schema`.

use libtest_mimic::Failed;
use std::path::Path;
use std::process::{Command, Output};

fn vethlab(args: &[&str], dir: &Path) -> Result<Output, Failed> {
    Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| Failed::from(format!("vethlab {args:?}: {e}")))
}

fn said(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `vethlab new DIR`, its first run naming `--bless`, the bless, then a
/// plain run that passes; the scaffold is in the canonical layout.
pub(crate) fn new_bless_run() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let t = tmp.path();
    let o = vethlab(&["new", "mylab"], t)?;
    if !o.status.success() {
        return Err(format!("vethlab new failed: {}", said(&o)).into());
    }
    // A second `new` never overwrites.
    let again = vethlab(&["new", "mylab"], t)?;
    if again.status.success() {
        return Err(format!("vethlab new overwrote a lab: {}", said(&again)).into());
    }
    let first = vethlab(&["run", "mylab/lab.json"], t)?;
    let text = said(&first);
    if first.status.code() != Some(2) || !text.contains("--bless") {
        return Err(
            format!("the first run of a new lab must exit 2 naming --bless:\n{text}").into(),
        );
    }
    let bless = vethlab(&["run", "mylab/lab.json", "--bless"], t)?;
    if !bless.status.success() {
        return Err(format!("bless failed: {}", said(&bless)).into());
    }
    let fx = t.join("mylab/fixtures/ping-pod/host-veth0.txt");
    let f = std::fs::read_to_string(&fx).map_err(|e| format!("{}: {e}", fx.display()))?;
    if !f.contains("ICMP echo request") || !f.contains("ARP, Request who-has 10.0.0.2") {
        return Err(format!("the blessed fixture lacks the ping's ARP and ICMP:\n{f}").into());
    }
    let run = vethlab(&["run", "mylab/lab.json"], t)?;
    if !run.status.success() {
        return Err(format!("the run after the bless failed: {}", said(&run)).into());
    }
    let fmt = vethlab(&["fmt", "--check", "mylab/lab.json"], t)?;
    if !fmt.status.success() {
        return Err(format!(
            "the scaffold is not in the canonical layout: {}",
            said(&fmt)
        )
        .into());
    }
    Ok(())
}

/// `fmt --check` says which file differs (exit 1) and changes nothing;
/// `fmt` rewrites it so that only whitespace changed.
pub(crate) fn fmt_check_then_fix() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let t = tmp.path();
    let messy = "{\"lab\":\"x\",\"title\":\"t\\u2026\",\n\n   \"nodes\":[\"a\"],\"steps\":[{\"name\":\"s\",\"title\":\"t\",\"do\":[{\"ping\":\"127.0.0.1\",\"from\":\"a\"}]}]}";
    std::fs::write(t.join("lab.json"), messy).map_err(|e| Failed::from(e.to_string()))?;
    let c = vethlab(&["fmt", "--check", "lab.json"], t)?;
    let now = std::fs::read_to_string(t.join("lab.json")).unwrap_or_default();
    if c.status.code() != Some(1) || !said(&c).contains("lab.json") || now != messy {
        return Err(format!(
            "fmt --check must exit 1 naming the file and change nothing: {}",
            said(&c)
        )
        .into());
    }
    let f = vethlab(&["fmt", "lab.json"], t)?;
    let now = std::fs::read_to_string(t.join("lab.json")).unwrap_or_default();
    let strip = |s: &str| s.split_whitespace().collect::<String>();
    if !f.status.success() || strip(&now) != strip(messy) || !now.contains("\\u2026") {
        return Err(format!("fmt changed more than whitespace: {}\n{now}", said(&f)).into());
    }
    let c = vethlab(&["fmt", "--check", "lab.json"], t)?;
    if !c.status.success() {
        return Err(format!("fmt's output is not a fixed point: {}", said(&c)).into());
    }
    Ok(())
}

/// Every ```sh block of docs/tutorial.md, in order, in one shell: the
/// tutorial's commands work as printed (with the `vethlab` under test).
pub(crate) fn tutorial_commands_work() -> Result<libtest_mimic::Completion, Failed> {
    let doc = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/tutorial.md");
    let text = std::fs::read_to_string(doc).map_err(|e| format!("{doc}: {e}"))?;
    if !["/usr/lib/cni/bridge", "/opt/cni/bin/bridge"]
        .iter()
        .any(|p| Path::new(p).exists())
    {
        return crate::skipped(
            "the reference CNI plugins are not installed (containernetworking-plugins)",
        );
    }
    let mut script = String::from("set -euo pipefail\n");
    let mut blocks = 0;
    let mut in_sh = false;
    for line in text.lines() {
        match line.trim_end() {
            "```sh" => {
                in_sh = true;
                blocks += 1;
            }
            "```" if in_sh => in_sh = false,
            l if in_sh => {
                script.push_str(l);
                script.push('\n');
            }
            _ => {}
        }
    }
    if blocks < 4 {
        return Err(format!("{doc}: only {blocks} sh blocks found").into());
    }
    let tmp = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    let bin = Path::new(env!("CARGO_BIN_EXE_vethlab"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap_or(Path::new(".")).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("PATH", path)
        .current_dir(tmp.path())
        .output()
        .map_err(|e| Failed::from(format!("bash: {e}")))?;
    if !o.status.success() {
        return Err(format!("the tutorial's commands failed:\n{}", said(&o)).into());
    }
    Ok(libtest_mimic::Completion::Completed)
}
