//! The articles replayed: every `labs/LAB/transcripts/*.txt` entry runs with
//! the real tools (iproute2, bridge-utils, net-tools, ethtool) in the lab,
//! opened by `vethlab shell` as a learner opens it, and its output must
//! equal the article's lines under the entry's named normalizations.

use crate::fail;
use libtest_mimic::{Completion, Failed, Trial};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use vethlab::check::transcript::{self, Entry};
use vethlab::lab::Lab;

const MARK: &str = "@@vethlab-transcript@@";

/// One trial per transcript file: `transcript/LAB/FILE`.
pub(crate) fn trials(labs: &[Lab]) -> Vec<Trial> {
    let mut out = vec![];
    for l in labs {
        let dir = l
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join("transcripts");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "txt"))
        {
            let stem = f
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            // Decided when listing, so every runner (nextest, JUnit
            // consumers) shows it as skipped, never as passed.
            let skip = std::fs::read_to_string(&f)
                .ok()
                .and_then(|t| why_skip(l, &t));
            let lab = l.clone();
            let trial = Trial::ignorable_test(format!("transcript/{}/{stem}", l.name), move || {
                replay(&lab, &f)
            });
            out.push(match skip {
                Some(_) => trial.with_ignored_flag(true).with_kind("skip"),
                None => trial,
            });
        }
    }
    out
}

/// Why a transcript cannot be replayed on this machine, if it cannot: a
/// kernel feature it needs, or a kernel whose fallback devices change the
/// articles' ifindexes.
fn why_skip(lab: &Lab, text: &str) -> Option<String> {
    if let Some(why) = transcript::requires(text)
        .iter()
        .find_map(|k| vethlab::run::feature_missing(k))
    {
        return Some(why);
    }
    // tcpdump switches to its own user `tcpdump`: a rootless sandbox maps
    // one user only (this process runs inside the sandbox).
    let users: u64 = std::fs::read_to_string("/proc/self/uid_map")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
        .sum();
    if transcript::needs_root(text) && users < 2 {
        return Some(
            "tcpdump switches to its own user, which a rootless sandbox (one user mapped) cannot"
                .into(),
        );
    }
    let kernel = vethlab::sys::kernel::facts();
    if transcript::needs_no_fallback(text) && !kernel.fallback.is_empty() {
        return Some(format!(
            "the article's host had no fallback tunnel devices; here a new namespace has them ({})",
            kernel.summary()
        ));
    }
    // The articles' numbers exist only where the kernel adds no more than
    // tunl0 to a new namespace (see `IndexPlan`).
    let plan = vethlab::run::index_plan(lab);
    if plan.map(3) != 3 {
        return Some(format!(
            "this kernel's fallback devices move the articles' ifindexes ({})",
            vethlab::sys::kernel::facts().summary()
        ));
    }
    None
}

fn replay(lab: &Lab, file: &Path) -> Result<Completion, Failed> {
    let text =
        std::fs::read_to_string(file).map_err(|e| fail(format!("{}: {e}", file.display())))?;
    let entries = transcript::parse(&text)
        .map_err(|e| fail(format!("{}:{}: {}", file.display(), e.line, e.msg)))?;
    if let Some(why) = why_skip(lab, &text) {
        return crate::skipped(why);
    }
    let first = lab.nodes.first().cloned().unwrap_or_default();
    // One shell per lab state; every command of that state in it, in order.
    let mut groups: BTreeMap<Option<usize>, Vec<&Entry>> = BTreeMap::new();
    for e in &entries {
        groups.entry(e.at.step).or_default().push(e);
    }
    let mut report = vec![];
    for (step, es) in groups {
        let mut script = String::new();
        for e in &es {
            let cmd = if e.at.node == first {
                e.command.clone()
            } else {
                format!("ip netns exec {} sh -c {}", e.at.node, quote(&e.command))
            };
            script.push_str(&format!("echo '{MARK}'; ({cmd}) 2>&1\n"));
        }
        let mut c = Command::new(env!("CARGO_BIN_EXE_vethlab"));
        c.arg("shell").arg(&lab.path);
        if let Some(s) = step {
            c.args(["--step", &s.to_string()]);
        }
        let out = c
            .args(["--", "sh", "-c", &script])
            .output()
            .map_err(|e| fail(e.to_string()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let sep = format!("{MARK}\n");
        let mut parts = stdout.split(&sep);
        parts.next();
        let parts: Vec<&str> = parts.collect();
        if parts.len() != es.len() {
            return Err(fail(format!(
                "vethlab shell {} ran {} of {} commands (exit {:?}):\n{stdout}\n{}",
                lab.name,
                parts.len(),
                es.len(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        for (e, got) in es.iter().zip(parts) {
            let lines: Vec<String> = got.lines().map(str::to_string).collect();
            if let Err(d) = transcript::compare(e, &lines) {
                report.push(format!("{}:{}: {d}", file.display(), e.line));
            }
        }
    }
    if report.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(fail(report.join("\n")))
    }
}

/// A word for `sh -c`, single-quoted.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Every lab README's "What each observation rests on" table lists every
/// observation id the lab asserts, and no id the lab does not.
pub(crate) fn readmes_map_every_id(labs: &[Lab]) -> Result<(), Failed> {
    let mut bad = vec![];
    for l in labs {
        let p = l.path.parent().unwrap_or(Path::new(".")).join("README.md");
        let text =
            std::fs::read_to_string(&p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        let Some(table) = text.split("## What each observation rests on").nth(1) else {
            bad.push(format!("{}: no table of observations", p.display()));
            continue;
        };
        let listed: std::collections::BTreeSet<&str> = table
            .lines()
            .filter_map(|r| r.strip_prefix("| O"))
            .filter_map(|r| r.split(' ').next())
            .collect();
        let ids: std::collections::BTreeSet<String> =
            l.steps.iter().flat_map(|s| s.ids()).collect();
        for id in &ids {
            if !listed.contains(id.trim_start_matches('O')) {
                bad.push(format!(
                    "{}: {id} is asserted but not in the table",
                    p.display()
                ));
            }
        }
        for id in &listed {
            if !ids.contains(&format!("O{id}")) {
                bad.push(format!(
                    "{}: O{id} is in the table but asserted by no step",
                    p.display()
                ));
            }
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(fail(bad.join("\n")))
    }
}
