//! A step's reference solution as shell text a learner can paste into the
//! step's shell (which lives in the lab's first node): article commands as
//! written, CNI plugins called as a runtime calls them, daemons started.

use crate::lab::{Action, CniSpec, DaemonSpec, Lab, Step};
use std::path::Path;

/// What the rendering needs from the machine and the shell.
pub struct Env<'a> {
    /// Where the shell keeps the files plugins and daemons use.
    pub scratch: &'a Path,
    /// Where the CNI plugins are (`None`: not installed).
    pub cni_dir: Option<&'a Path>,
    /// Where `ip netns` names the nodes.
    pub netns_dir: &'a Path,
}

/// The solution of `step`, one shell command per line (daemon configs as
/// here-documents); `answer` gives the right answer of a question, read
/// from the lab as it is now.
pub fn render(lab: &Lab, step: &Step, env: &Env, answer: &dyn Fn(&Action) -> String) -> String {
    let first = lab.nodes.first().map(String::as_str).unwrap_or("");
    let mut out = String::new();
    for a in &step.actions {
        match a {
            Action::Cmd { text, .. } => out.push_str(text),
            Action::Cni(c) => out.push_str(&cni_line(c, env, first)),
            Action::Daemon(d) => out.push_str(&daemon_lines(d, env, first)),
            Action::Answer(_) => out.push_str(&format!("vethlab answer {}", answer(a))),
            _ => continue,
        }
        out.push('\n');
    }
    out
}

/// `ip netns exec NODE ` unless `node` is the shell's own.
fn exec_in(node: &str, first: &str) -> String {
    match node == first {
        true => String::new(),
        false => format!("ip netns exec {node} "),
    }
}

/// A CNI call as a container runtime makes it: the network configuration on
/// stdin, the rest in CNI_* variables, host-local's state in the scratch.
pub fn cni_line(c: &CniSpec, env: &Env, first: &str) -> String {
    let mut conf = c.config.clone();
    if conf.get("cniVersion").is_none() {
        conf["cniVersion"] = "0.4.0".into();
    }
    if conf["ipam"]["type"] == "host-local" {
        conf["ipam"]["dataDir"] = env.scratch.join("ipam").display().to_string().into();
    }
    let dir = env.cni_dir.unwrap_or(Path::new("/opt/cni/bin"));
    let plugin = conf["type"].as_str().unwrap_or("?");
    format!(
        "echo '{}' | {}env CNI_COMMAND={} CNI_CONTAINERID={} CNI_NETNS={} CNI_IFNAME={} CNI_PATH={} {}",
        serde_json::to_string(&conf).unwrap_or_default(),
        exec_in(&c.node, first),
        c.cni,
        c.alias.as_deref().unwrap_or(&c.netns),
        env.netns_dir.join(&c.netns).display(),
        c.ifname,
        dir.display(),
        dir.join(plugin).display()
    )
}

/// A daemon's configuration written to the scratch, then the daemon started
/// in its node (it daemonizes; the shell's end ends it).
pub fn daemon_lines(d: &DaemonSpec, env: &Env, first: &str) -> String {
    let conf = env.scratch.join(format!("{}-{}.conf", d.daemon, d.node));
    let ctl = env.scratch.join(format!("{}-{}.ctl", d.daemon, d.node));
    format!(
        "mkdir -p {}\ncat > {} <<'EOF'\n{}\nEOF\n{}{} -c {} -s {}",
        env.scratch.display(),
        conf.display(),
        d.config.join("\n"),
        exec_in(&d.node, first),
        d.daemon,
        conf.display(),
        ctl.display()
    )
}
