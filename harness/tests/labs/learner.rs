//! The learner's session, typed into a real terminal (tmux): the shell
//! opens in bridge-arp's broken state, `check` names what is wrong (no hint,
//! no answer), the workspace is writable, the prompt names the node inside
//! `ip netns exec lan bash`, `task` speaks Chinese under LANG=zh_CN, the
//! learner's two `ip addr` commands fix it, `hint` graduates, `lab-reset`
//! brings the broken state back, and `exit` removes it all.

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
        return crate::skipped("tmux is not installed (ci/setup.sh installs it)");
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
        // Without the fix: fails, naming the first unmet part, with no
        // hint and no line of the solution.
        t.type_line("check; echo CHECK1=$?")?;
        let s = t.wait_for("CHECK1=")?;
        if !s.contains("CHECK1=1")
            || !s.contains(
                "NOT YET bridge-arp/ip-on-bridge (3/4): host: br0 holds no 192.168.122.101/24",
            )
            || s.contains("ip addr del")
            || s.contains("hint:")
        {
            return Err(fail(format!("check before the fix:\n{s}")));
        }
        // The workspace is the learner's: home, working directory, /tmp.
        // Waits for the last line: `type` answers after the echo, and a
        // screen read between the two missed it under load.
        t.type_line(
            "touch x /tmp/y && echo WRITABLE=$HOME:$(pwd); type reset lab-reset; echo TYPED",
        )?;
        let s = t.wait_for("TYPED")?;
        let home = s
            .lines()
            .find_map(|l| l.strip_prefix("WRITABLE="))
            .unwrap_or_default();
        let (h, cwd) = home.split_once(':').unwrap_or_default();
        if !h.ends_with("run/vethlab-home")
            || h != cwd
            || !s.contains(&format!("lab-reset is {h}/bin/lab-reset"))
            || s.lines().any(|l| l.starts_with("reset is /var/run"))
        {
            return Err(fail(format!("workspace:\n{s}")));
        }
        // The prompt names the node inside `ip netns exec NODE bash` too.
        t.type_line("ip netns exec lan bash")?;
        t.wait_for("[bridge-arp 3/4 lan]")?;
        t.type_line("exit")?;
        // Chinese under LANG=zh_*.
        t.type_line("LANG=zh_CN.UTF-8 task; echo ZH=$?")?;
        let s = t.wait_for("ZH=")?;
        if !s.contains("任务：") {
            return Err(fail(format!("task in Chinese:\n{s}")));
        }
        // The learner's fix, as the article types it.
        t.type_line("ip addr del 192.168.122.101/24 dev veth0")?;
        t.type_line("ip addr add 192.168.122.101/24 dev br0")?;
        t.type_line("check; echo CHECK2=$?")?;
        let s = t.wait_for("CHECK2=")?;
        if !s.contains("CHECK2=0")
            || !s.contains("Well done: step 3 of bridge-arp holds.")
            || !s.contains("vethlab shell bridge-arp --step 4")
        {
            return Err(fail(format!("check after the fix:\n{s}")));
        }
        // The hints, one per call, vague first, the command last.
        t.type_line("hint; hint; hint; hint; echo HINTS=$?")?;
        let s = t.wait_for("HINTS=")?;
        let first = s.lines().find(|l| l.starts_with("hint 1/3:")).unwrap_or("");
        if first.is_empty()
            || first.contains("ip addr")
            || !s.contains("hint 3/3: ip addr del 192.168.122.101/24 dev veth0")
            || !s.contains("no more hints")
        {
            return Err(fail(format!("hints:\n{s}")));
        }
        // Back to the given state: a new shell on a rebuilt lab, where the
        // check fails again.
        t.type_line("lab-reset")?;
        t.wait_for("vethlab reset: the lab is rebuilt")?;
        t.type_line("clear; check >/dev/null; echo CHECK3=$?")?;
        let s = t.wait_for("CHECK3=")?;
        if !s.contains("CHECK3=1") {
            return Err(fail(format!("check after reset:\n{s}")));
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

/// A small XML well-formedness check: every tag closed in order, attribute
/// values quoted, `&` only in entities, `<` never in text.
fn well_formed(x: &str) -> Result<(), String> {
    let b = x.as_bytes();
    let mut stack: Vec<String> = vec![];
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let end = x[i..].find('>').ok_or("unterminated tag")? + i;
                let tag = &x[i + 1..end];
                if let Some(name) = tag.strip_prefix('/') {
                    let open = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
                    if open != name.trim() {
                        return Err(format!("<{open}> closed by </{name}>"));
                    }
                } else {
                    let self_closing = tag.ends_with('/');
                    let tag = tag.trim_end_matches('/');
                    let name = tag.split_whitespace().next().ok_or("empty tag")?;
                    // Attributes: name="value" pairs.
                    let mut rest = tag[name.len()..].trim();
                    while !rest.is_empty() {
                        let eq = rest
                            .find('=')
                            .ok_or(format!("attribute without value in <{name}>"))?;
                        let v = rest[eq + 1..].trim_start();
                        let q = v.chars().next().ok_or("no value")?;
                        if q != '"' && q != '\'' {
                            return Err(format!("unquoted attribute in <{name}>"));
                        }
                        let close = v[1..].find(q).ok_or("unterminated attribute")? + 1;
                        if v[1..close].contains('<') {
                            return Err(format!("`<` in an attribute of <{name}>"));
                        }
                        rest = v[close + 1..].trim_start();
                    }
                    if !self_closing {
                        stack.push(name.to_string());
                    }
                }
                i = end + 1;
            }
            b'&' => {
                let semi = x[i..].find(';').ok_or("`&` without entity")? + i;
                let ent = &x[i + 1..semi];
                if !["amp", "lt", "gt", "quot", "apos"].contains(&ent) && !ent.starts_with('#') {
                    return Err(format!("unknown entity &{ent};"));
                }
                i = semi + 1;
            }
            _ => i += 1,
        }
    }
    match stack.pop() {
        Some(t) => Err(format!("<{t}> never closed")),
        None => Ok(()),
    }
}

/// `vethlab run --html DIR`: a page per lab whose SVGs are well-formed, a
/// topology naming every node, a ladder per step with captures, and pcap
/// links that exist, with the pcaps written elsewhere (--pcap-dir).
pub(crate) fn html_report(labs: &[vethlab::lab::Lab]) -> Result<(), Failed> {
    let top = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let tmp = top.path().join("html");
    let tmp = tmp.as_path();
    let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .args(["run", "--html"])
        .arg(tmp)
        .arg("--pcap-dir")
        .arg(top.path().join("pcaps"))
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(String::from_utf8_lossy(&out.stdout).into_owned()));
    }
    for l in labs {
        let p = tmp.join(format!("{}.html", l.name));
        let page =
            std::fs::read_to_string(&p).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        let mut svgs = vec![];
        let mut rest = page.as_str();
        while let Some(a) = rest.find("<svg") {
            let b = rest[a..]
                .find("</svg>")
                .ok_or_else(|| fail("unclosed <svg>"))?
                + a
                + 6;
            svgs.push(&rest[a..b]);
            rest = &rest[b..];
        }
        for (i, s) in svgs.iter().enumerate() {
            well_formed(s).map_err(|e| fail(format!("{} svg {i}: {e}", l.name)))?;
        }
        let topos: Vec<&&str> = svgs
            .iter()
            .filter(|s| s.starts_with("<svg class=\"topology\""))
            .collect();
        if topos.len() != l.steps.len() {
            return Err(fail(format!(
                "{}: {} topologies for {} steps",
                l.name,
                topos.len(),
                l.steps.len()
            )));
        }
        for topo in &topos {
            for n in &l.nodes {
                if !topo.contains(&format!(">{n}</text>")) {
                    return Err(fail(format!("{}: a topology lacks node {n}", l.name)));
                }
            }
        }
        if !topos.iter().any(|t| t.contains("class=\"cable veth\"")) {
            return Err(fail(format!("{}: the topology draws no veth pair", l.name)));
        }
        let with_caps = l
            .steps
            .iter()
            .filter(|s| !s.captures.is_empty() && s.requires.is_empty())
            .count();
        let ladders = svgs
            .iter()
            .filter(|s| s.starts_with("<svg class=\"ladder\""))
            .count();
        if ladders < with_caps {
            return Err(fail(format!(
                "{}: {ladders} ladders for {with_caps} steps with captures",
                l.name
            )));
        }
        let mut links = 0;
        for href in page.split("href=\"").skip(1) {
            let f = &href[..href.find('"').unwrap_or(0)];
            if !tmp.join(f).is_file() {
                return Err(fail(format!("{}: link to missing {f}", l.name)));
            }
            links += 1;
        }
        if with_caps > 0 && links == 0 {
            return Err(fail(format!("{}: no pcap linked", l.name)));
        }
    }
    Ok(())
}
