//! Failures must say what and where: broken labs, malformed files.

use crate::{copy_tree, fail};
use libtest_mimic::Failed;
use std::path::{Path, PathBuf};
use std::process::Command;
use vethlab::lab::{self, Lab, RunOpts};
use vethlab::report::Status;
/// A copy of lab `name` and its fixtures in a temporary tree: the lab file
/// to edit (the tree lives as long as the returned dir).
fn copy_lab(dir: &Path, name: &str) -> Result<(tempfile::TempDir, PathBuf), Failed> {
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
    let r = lab::run_one(&l, idx, &RunOpts::default());
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

/// Every case under tests/bad-input: `lab.json` (with its fixtures), and in
/// `want.txt` what the one-line error must say (file:line:col and what).
/// Exit status 2, no panic, nothing on stdout, nothing left behind.
pub(crate) fn bad_input_corpus() -> Result<(), Failed> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .map_err(|e| fail(format!("{}: {e}", root.display())))?
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    if cases.len() < 25 {
        return Err(fail(format!("only {} cases", cases.len())));
    }
    let before = crate::safety::snapshot();
    let mut bad = vec![];
    for c in &cases {
        let lab = c.join("lab.json");
        let want = std::fs::read_to_string(c.join("want.txt")).map_err(|e| fail(e.to_string()))?;
        let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .arg("run")
            .arg(&lab)
            .output()
            .map_err(|e| fail(e.to_string()))?;
        let err = String::from_utf8_lossy(&out.stderr);
        let loaded = Lab::load(&lab)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let missing: Vec<&str> = want
            .lines()
            .filter(|w| !err.contains(w) || !loaded.contains(w))
            .collect();
        if out.status.code() != Some(2)
            || !missing.is_empty()
            || err.lines().count() != 1
            || err.contains("panicked")
            || !out.stdout.is_empty()
        {
            bad.push(format!(
                "{}: exit {:?}, lacks {missing:?}: {err}",
                c.file_name().unwrap_or_default().to_string_lossy(),
                out.status.code()
            ));
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

/// A capture the kernel could not keep up with fails the step and says so,
/// instead of asserting on a partial sequence. Real drops: 300 pings into a
/// capture whose kernel buffer is the smallest the kernel allows; the same
/// traffic fits the default buffer.
pub(crate) fn capture_drops_fail(dir: &Path) -> Result<(), Failed> {
    let (_tmp, f) = copy_lab(dir, "bridge-arp")?;
    let text = std::fs::read_to_string(&f).map_err(|e| fail(e.to_string()))?;
    let busy = text.replace(
        r#"{"ping": "192.168.122.102", "from": "host", "count": 2, "id": "O4.5"}"#,
        r#"{"ping": "192.168.122.102", "from": "host", "count": 300, "id": "O4.5"}"#,
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
    let r = lab::run_one(&l, idx, &tiny);
    let t = r.text(false);
    if r.status != Status::Fail
        || !t.contains("capture on host:br0 is complete")
        || !t.contains("the sequence is partial, not asserted")
        || t.contains("expected (fixture)")
    {
        return Err(fail(format!("drops did not fail the step loudly:\n{t}")));
    }
    // The same traffic with the normal buffer: complete, and the step passes.
    let r = lab::run_one(&l, idx, &RunOpts::default());
    if r.status != Status::Pass {
        return Err(fail(format!("with the default buffer:\n{}", r.text(false))));
    }
    Ok(())
}

/// A wrong plugin configuration (a /33 subnet) fails the step with the
/// plugin's own error object, verbatim, and no panic.
pub(crate) fn cni_plugin_error(dir: &Path) -> Result<libtest_mimic::Completion, Failed> {
    if let Some(why) = vethlab::cni::missing("bridge") {
        return Ok(libtest_mimic::Completion::ignored_with(why));
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
    let r = lab::run_one(&l, 0, &RunOpts::default());
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
