//! The learner's session, typed into a real terminal (tmux): the shell
//! opens in bridge-arp's broken state, `vethlab check` fails with the hint,
//! the learner's two `ip addr` commands fix it, and `exit` removes it all.

use crate::fail;
use libtest_mimic::{Completion, Failed};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux<'a> {
    sock: &'a Path,
}

impl Tmux<'_> {
    fn cmd(&self, args: &[&str]) -> Result<String, Failed> {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(self.sock)
            .args(args)
            .env("TERM", "xterm")
            .output()
            .map_err(|e| fail(format!("tmux: {e}")))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn screen(&self) -> Result<String, Failed> {
        self.cmd(&["capture-pane", "-p", "-J", "-S", "-500", "-t", "lab"])
    }

    fn type_line(&self, line: &str) -> Result<(), Failed> {
        self.cmd(&["send-keys", "-t", "lab", "-l", line])?;
        self.cmd(&["send-keys", "-t", "lab", "Enter"])?;
        Ok(())
    }

    /// Wait for a line starting with `what`: an event, bounded so a hang fails.
    fn wait_for(&self, what: &str) -> Result<String, Failed> {
        let t0 = Instant::now();
        loop {
            let s = self.screen()?;
            if s.lines().any(|l| l.starts_with(what)) {
                return Ok(s);
            }
            if t0.elapsed() > Duration::from_secs(30) {
                return Err(fail(format!("`{what}` never appeared; the screen:\n{s}")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

pub(crate) fn tmux_session() -> Result<Completion, Failed> {
    if Command::new("tmux").arg("-V").output().is_err() {
        return Ok(Completion::ignored_with(
            "tmux is not installed (ci/setup.sh installs it)",
        ));
    }
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let sock = tmp.path().join("sock");
    let t = Tmux { sock: &sock };
    let shell = format!(
        "{} shell bridge-arp --step 3",
        env!("CARGO_BIN_EXE_vethlab")
    );
    t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "lab",
        "-x",
        "160",
        "-y",
        "50",
        &shell,
    ])?;
    let r = (|| {
        let s = t.wait_for("[bridge-arp 3/4 host]")?;
        if !s.contains("Task: Move 192.168.122.101/24 from veth0 to br0") {
            return Err(fail(format!("no task shown:\n{s}")));
        }
        // Without the fix: fails, with the step's hint.
        t.type_line("vethlab check; echo CHECK1=$?")?;
        let s = t.wait_for("CHECK1=")?;
        if !s.contains("CHECK1=1") || !s.contains("hint: ip addr del 192.168.122.101/24 dev veth0")
        {
            return Err(fail(format!("check before the fix:\n{s}")));
        }
        // The learner's fix, as the article types it.
        t.type_line("ip addr del 192.168.122.101/24 dev veth0")?;
        t.type_line("ip addr add 192.168.122.101/24 dev br0")?;
        t.type_line("vethlab check; echo CHECK2=$?")?;
        let s = t.wait_for("CHECK2=")?;
        if !s.contains("CHECK2=0") || !s.contains("O4.5: pass") {
            return Err(fail(format!("check after the fix:\n{s}")));
        }
        t.type_line("exit")?;
        let t0 = Instant::now();
        while Command::new("tmux")
            .arg("-S")
            .arg(&sock)
            .args(["has-session", "-t", "lab"])
            .status()
            .is_ok_and(|s| s.success())
        {
            if t0.elapsed() > Duration::from_secs(10) {
                return Err(fail("the session did not end after `exit`"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Completion::Completed)
    })();
    let _ = t.cmd(&["kill-server"]);
    r
}
