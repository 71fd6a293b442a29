//! Each lab's README is its exercise, in Chinese and English: one section per
//! step, in the lab file's order and with its names, each with the task in
//! both languages, the article's own lines (with the seed file's name), and
//! commands to type — which must work in that step's shell as written.

use crate::fail;
use libtest_mimic::{Failed, Trial};
use std::process::Command;
use std::sync::Arc;
use vethlab::lab::Lab;

/// One README section: its heading's number and name, the lines of its
/// ```sh blocks, and its text.
struct Section {
    n: usize,
    name: String,
    commands: Vec<String>,
    text: String,
}

fn sections(readme: &str) -> Vec<Section> {
    let mut out: Vec<Section> = vec![];
    let mut in_sh = false;
    for line in readme.lines() {
        if line.starts_with("## ") && !line.starts_with("## 第 ") {
            // Another part of the README (the table of observations).
            in_sh = false;
            out.push(Section {
                n: 0,
                name: String::new(),
                commands: vec![],
                text: String::new(),
            });
            continue;
        }
        if let Some(h) = line.strip_prefix("## 第 ") {
            // `## 第 N 步 / Step N `name` — ids`
            let n = h
                .split(' ')
                .next()
                .and_then(|x| x.parse().ok())
                .unwrap_or(0);
            let name = h.split('`').nth(1).unwrap_or("").to_string();
            out.push(Section {
                n,
                name,
                commands: vec![],
                text: String::new(),
            });
            continue;
        }
        let Some(s) = out.last_mut() else { continue };
        match line.trim() {
            "```sh" => in_sh = true,
            "```" => in_sh = false,
            l if in_sh && !l.is_empty() => s.commands.push(l.to_string()),
            _ => {}
        }
        s.text.push_str(line);
        s.text.push('\n');
    }
    out.retain(|s| s.n != 0);
    out
}

/// The README's sections are the lab's steps, each bilingual and quoting a seed.
pub(crate) fn structure(labs: &[Lab]) -> Result<(), Failed> {
    for l in labs {
        let p = l.path.with_file_name("README.md");
        let text =
            std::fs::read_to_string(&p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        let secs = sections(&text);
        let got: Vec<(usize, &str)> = secs.iter().map(|s| (s.n, s.name.as_str())).collect();
        let want: Vec<(usize, &str)> = l
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (i + 1, s.name.as_str()))
            .collect();
        if got != want {
            return Err(fail(format!(
                "{}: sections {got:?}, steps {want:?}",
                p.display()
            )));
        }
        for s in &secs {
            let at = |k: &str| s.text.find(k);
            let (Some(zh), Some(en)) = (at("**任务:**"), at("**Task:**")) else {
                return Err(fail(format!("{} step {}: no 任务/Task", p.display(), s.n)));
            };
            if zh > en || at("**注意:**").is_none() || at("**Notice:**").is_none() {
                return Err(fail(format!(
                    "{} step {}: Chinese first, then English; task and notice",
                    p.display(),
                    s.n
                )));
            }
            let quotes_seed = l
                .seeds
                .iter()
                .any(|seed| s.text.contains(&format!("(`{seed}_")));
            if !quotes_seed || !s.text.contains("\n> ") {
                return Err(fail(format!(
                    "{} step {}: no quoted lines from the lab's seeds ({})",
                    p.display(),
                    s.n,
                    l.seeds.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// Whether this kernel's fallback devices (with ip_gre loaded: `gre0`,
/// `gretap0`, …) moved an ifindex the lab asks for: the README's commands
/// quote the articles' numbers (`grep '^95$' …`), which then name other
/// devices. vethlab's own checks map them (`IndexPlan`); a learner's typed
/// line cannot, so the trial is a skip there, never a pass.
fn numbers_moved(lab: &Lab) -> bool {
    let plan = vethlab::run::index_plan(lab);
    lab.indexes().iter().any(|&n| plan.map(n) != n)
}

/// One trial per lab step with commands: `readme/LAB/STEP`.
pub(crate) fn trials(labs: &[Lab]) -> Vec<Trial> {
    let mut v = vec![];
    for l in labs {
        let l = Arc::new(l.clone());
        let readme =
            std::fs::read_to_string(l.path.with_file_name("README.md")).unwrap_or_default();
        let secs = sections(&readme);
        for (i, step) in l.steps.iter().enumerate() {
            let typed = secs
                .iter()
                .filter(|s| s.n == i + 1)
                .flat_map(|s| s.commands.iter().map(String::as_str));
            let skip = vethlab::run::step_skip(&l, i).is_some()
                || crate::walkthrough::moved_index(&l, typed).is_some()
                || numbers_moved(&l);
            let l2 = l.clone();
            let t = Trial::test(format!("readme/{}/{}", l.name, step.name), move || {
                commands_work(&l2, i)
            });
            v.push(if skip {
                t.with_ignored_flag(true).with_kind("skip")
            } else {
                t
            });
        }
    }
    v
}

/// Every command the README's section tells the learner to type, typed in
/// the step's shell in order: each exits 0, or non-zero where marked `# fails`.
fn commands_work(lab: &Lab, idx: usize) -> Result<(), Failed> {
    let p = lab.path.with_file_name("README.md");
    let text = std::fs::read_to_string(&p).map_err(|e| fail(e.to_string()))?;
    let secs = sections(&text);
    let s = secs
        .iter()
        .find(|s| s.n == idx + 1)
        .ok_or_else(|| fail(format!("{}: no section for step {}", p.display(), idx + 1)))?;
    if s.commands.is_empty() {
        return Err(fail(format!(
            "{} step {}: nothing to type",
            p.display(),
            s.n
        )));
    }
    let mut script = String::new();
    for (k, c) in s.commands.iter().enumerate() {
        let (test, what) = match c.trim_end().ends_with("# fails") {
            true => ("-ne", "should fail"),
            false => ("-eq", "failed"),
        };
        script.push_str(&format!(
            "{c}\n c=$?; [ $c {test} 0 ] || {{ echo \"README line {}: {what} (exit $c)\"; exit 30; }}\n",
            k + 1
        ));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .arg("shell")
        .arg(lab.path.display().to_string())
        .args(["--step", &(idx + 1).to_string(), "--", "sh", "-c", &script])
        .output()
        .map_err(|e| fail(format!("vethlab shell: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(fail(format!(
        "{}\n{}\n{}",
        s.commands.join("\n"),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )))
}

/// The numbers before `suffix` wherever it follows one in `text`
/// (`numbers_before("4 × 38 steps", " steps")` is `[38]`).
fn numbers_before(text: &str, suffix: &str) -> Vec<usize> {
    text.match_indices(suffix)
        .filter_map(|(i, _)| {
            let head = &text[..i];
            let digits = head.len() - head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            head[head.len() - digits..].parse().ok()
        })
        .collect()
}

/// The top README's figures are the catalog's and this test binary's:
/// steps and labs of the suite, trials listed, mutation and escape trials,
/// and what nextest reports. A lab, step or trial added without updating
/// the README fails here.
pub(crate) fn main_readme_figures(labs: &[Lab]) -> Result<(), Failed> {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md");
    let text = std::fs::read_to_string(p).map_err(|e| fail(format!("{p}: {e}")))?;
    let list = |extra: &[&str]| -> Result<Vec<String>, Failed> {
        let exe = std::env::current_exe().map_err(|e| fail(e.to_string()))?;
        let o = Command::new(exe)
            .arg("--list")
            .args(extra)
            .env_remove("VETHLAB_SHARD")
            .output()
            .map_err(|e| fail(e.to_string()))?;
        Ok(String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(|l| l.trim_start_matches("[skip] ").to_string())
            .collect())
    };
    let trials = list(&[])?;
    let ignored = list(&["--ignored"])?.len();
    let count = |prefix: &str| trials.iter().filter(|t| t.starts_with(prefix)).count();
    let steps: usize = labs.iter().map(|l| l.steps.len()).sum();
    let want: [(&str, usize); 6] = [
        (" steps of ", steps),
        (" labs in parallel", labs.len()),
        (" steps, all pass", steps),
        (" trials, LAB/STEP and the kit's own", trials.len()),
        (" trials) breaks a copy of a lab", count("mutation/")),
        (" hostile labs)", count("escape/")),
    ];
    let mut wrong = vec![];
    for (suffix, n) in want {
        let got = numbers_before(&text, suffix);
        if got.is_empty() || got.iter().any(|g| *g != n) {
            wrong.push(format!(
                "`N{suffix}`: README says {got:?}, the suite has {n}"
            ));
        }
    }
    // nextest's line, as run here: every trial run or skipped (how many
    // are skips depends on the kernel: without ipip, {ignored} here).
    let ran = numbers_before(&text, " tests run: ");
    let passed = numbers_before(&text, " passed, ");
    let skipped = numbers_before(&text, " skipped` here");
    match (ran.as_slice(), skipped.as_slice()) {
        ([r], [k]) if r + k == trials.len() && passed.contains(r) => {}
        _ => wrong.push(format!(
            "nextest's line: {ran:?} run + {skipped:?} skipped should be the {} trials \
             (`{} tests run: {} passed, {ignored} skipped` on this kernel)",
            trials.len(),
            trials.len() - ignored,
            trials.len() - ignored
        )),
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(fail(format!(
            "{p} has stale figures:\n{}",
            wrong.join("\n")
        )))
    }
}
