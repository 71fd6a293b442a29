//! What a run leaves behind: nothing, whatever kills it.

use crate::fail;
use libtest_mimic::Failed;
use std::path::Path;
use std::process::Command;
/// What the caller can see of its network and processes.
fn snapshot() -> String {
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
    s
}

/// SIGKILL `vethlab run` at several moments: the caller's namespace is as it
/// was, and no process of the run remains.
pub(crate) fn kill_leaves_nothing() -> Result<(), Failed> {
    let before = snapshot();
    for ms in [0u64, 5, 15, 30, 60, 120, 250, 400] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .arg("run")
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| fail(e.to_string()))?;
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let _ = child.kill();
        let _ = child.wait();
        let after = snapshot();
        if after != before {
            return Err(fail(format!(
                "after kill -9 at {ms} ms the caller changed:\nbefore:\n{before}\nafter:\n{after}"
            )));
        }
        if Path::new(&format!("/proc/{}", child.id())).exists() {
            return Err(fail(format!("process {} survived", child.id())));
        }
    }
    Ok(())
}
