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
            Action::Cmd { text, .. } => out.push_str(&words(text)),
            Action::Cni(c) => out.push_str(&cni_line(c, env, first)),
            Action::Daemon(d) => out.push_str(&daemon_lines(d, env, first)),
            Action::Answer(_) => out.push_str(&format!("vethlab answer {}", sh_quote(&answer(a)))),
            _ => continue,
        }
        out.push('\n');
    }
    out
}

/// `s` as one shell word that a POSIX shell reads back as exactly `s`:
/// as is when it holds only characters a shell takes literally, else in
/// single quotes (a `'` inside as `'\''`).
pub fn sh_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-.,:/=+%@".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A command line as the words it is split into, each quoted: whatever a
/// lab wrote, `vethlab solution | sh` runs that command and nothing else.
fn words(text: &str) -> String {
    // `>` stays a redirection: the one form the lab's parser gives it
    // (`echo V > /proc/sys/net/...`, its path checked at load).
    text.split_whitespace()
        .map(|w| if w == ">" { w.to_string() } else { sh_quote(w) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `ip netns exec NODE ` unless `node` is the shell's own.
fn exec_in(node: &str, first: &str) -> String {
    match node == first {
        true => String::new(),
        false => format!("ip netns exec {} ", sh_quote(node)),
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
    let q = |p: &Path| sh_quote(&p.display().to_string());
    format!(
        "echo {} | {}env CNI_COMMAND={} CNI_CONTAINERID={} CNI_NETNS={} CNI_IFNAME={} CNI_PATH={} {}",
        sh_quote(&serde_json::to_string(&conf).unwrap_or_default()),
        exec_in(&c.node, first),
        sh_quote(&c.cni),
        sh_quote(c.alias.as_deref().unwrap_or(&c.netns)),
        q(&env.netns_dir.join(&c.netns)),
        sh_quote(&c.ifname),
        q(dir),
        q(&dir.join(plugin))
    )
}

/// A daemon's configuration written to the scratch, then the daemon started
/// in its node (it daemonizes; the shell's end ends it).
pub fn daemon_lines(d: &DaemonSpec, env: &Env, first: &str) -> String {
    let conf = env.scratch.join(format!("{}-{}.conf", d.daemon, d.node));
    let ctl = env.scratch.join(format!("{}-{}.ctl", d.daemon, d.node));
    let q = |p: &Path| sh_quote(&p.display().to_string());
    // One quoted argument per line, not a here-document: a config line
    // reading `EOF` would end one and run the rest as shell.
    let lines: Vec<String> = d.config.iter().map(|l| sh_quote(l)).collect();
    format!(
        "mkdir -p {}\nprintf '%s\\n' {} > {}\n{}{} -c {} -s {}",
        q(env.scratch),
        lines.join(" "),
        q(&conf),
        exec_in(&d.node, first),
        sh_quote(&d.daemon),
        q(&conf),
        q(&ctl)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words_read_back_as_written() {
        assert_eq!(sh_quote("veth0"), "veth0");
        assert_eq!(sh_quote("10.0.0.1/24"), "10.0.0.1/24");
        assert_eq!(sh_quote("x;id;#"), "'x;id;#'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(
            words("ip link add x;id;# type bridge"),
            "ip link add 'x;id;#' type bridge"
        );
        // What sh reads back: run it.
        let w = words("echo a;b $(id) `id` 'q' \"d\" | & >x < * ? ~ ! \\");
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("printf '%s|' {}", w.trim_start_matches("echo ")),
            ])
            .output()
            .expect("sh");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "a;b|$(id)|`id`|'q'|\"d\"|||&|>x|<|*|?|~|!|\\|"
        );
    }
}
