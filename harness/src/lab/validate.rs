//! Load-time checks of what a lab file may ask for, so a hostile or careless
//! lab fails with file:line:column before anything is built. Defence in
//! depth: the sandbox contains a run anyway, but a lab's names become file
//! names (pcaps, HTML, fixtures, `ip netns` names), its sysctl keys become
//! paths under /proc/sys, its CNI types become programs and its BIRD lines
//! a configuration; none of these may point anywhere else.
//!
//! Works on the parsed JSON value, independently of the loader's model, so
//! it runs first, before fixtures are read.

use crate::error::{Error, Result};
use crate::iproute::cmd::{self, Cmd};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Longest lab, step or node name.
pub const NAME_MAX: usize = 64;

/// What a name may look like: a plain word that is also a plain file name.
pub fn plain_word(s: &str) -> std::result::Result<(), String> {
    if s.is_empty() {
        return Err("is empty".into());
    }
    if s.len() > NAME_MAX {
        return Err(format!("is longer than {NAME_MAX} bytes"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return Err(if c.is_control() {
            "contains a control character".into()
        } else {
            format!("contains `{c}`")
        });
    }
    if s.starts_with('.') || s.starts_with('-') || s.contains("..") {
        return Err("starts with `.` or `-`, or holds `..`".into());
    }
    Ok(())
}

/// The path components under /proc/sys a sysctl key names, as sysctl(8)
/// reads it (`.` separates, `/` stands for a `.` inside one component).
pub fn sysctl_components(key: &str) -> Vec<String> {
    key.split('.').map(|p| p.replace('/', ".")).collect()
}

/// A sysctl key a lab may read or write: a per-namespace `net.*` key whose
/// every component is a plain name (no `..`, nothing empty).
pub fn net_sysctl_key(key: &str) -> std::result::Result<(), String> {
    let comps = sysctl_components(key);
    if comps.len() < 2 || comps[0] != "net" {
        return Err(format!(
            "sysctl `{key}` is not a `net.*` key: a lab sets only its own namespaces' network sysctls, never the machine's"
        ));
    }
    if let Some(c) = comps.iter().find(|c| {
        c.is_empty() || *c == "." || *c == ".." || c.chars().any(|ch| ch.is_control() || ch == '\0')
    }) {
        return Err(format!(
            "sysctl `{key}`: component `{c}` would leave /proc/sys/net (no `..`, no empty parts)"
        ));
    }
    Ok(())
}

/// A CNI plugin name: a bare file name looked up in the CNI path only.
pub fn plugin_name(s: &str) -> std::result::Result<(), String> {
    plain_word(s).map_err(|m| {
        format!("CNI plugin `{s}` {m}: give a plugin's bare name (bridge, ptp, host-local), found in the CNI path")
    })
}

/// Where `value` (a string) is written in `text`: file:line:col of its
/// first occurrence after `from`, or of `from`.
fn locate(path: &Path, text: &str, value: &str, from: usize) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    let off = text
        .get(from..)
        .and_then(|t| t.find(&quoted))
        .map(|i| i + from)
        .unwrap_or(from);
    let before = &text[..off.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("{}:{line}:{col}", path.display())
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
    /// Where the current step starts in the text (to find its values).
    from: usize,
}

impl Ctx<'_> {
    fn err(&self, value: &str, msg: String) -> Error {
        Error::input(locate(self.path, self.text, value, self.from), msg)
    }
    fn name(&self, what: &str, s: &str) -> Result<()> {
        self.name_in(what, s, s)
    }
    /// `s` is a name written inside the string `within` (a command, a
    /// capture point): the error points at `within`.
    fn name_in(&self, what: &str, s: &str, within: &str) -> Result<()> {
        plain_word(s).map_err(|m| {
            self.err(
                within,
                format!("{what} {s:?} {m}: names are plain words (letters, digits, `_`, `-`, `.`; at most {NAME_MAX} bytes)"),
            )
        })
    }
    /// An interface name as it appears in file names and sysfs paths.
    fn iface(&self, s: &str, within: &str) -> Result<()> {
        if s.contains("{cni:") {
            return Ok(());
        }
        if s.contains('/') || s == "." || s == ".." || s.chars().any(char::is_control) {
            return Err(self.err(
                within,
                format!("interface name {s:?} is not a kernel interface name (no `/`, `..` or control characters)"),
            ));
        }
        Ok(())
    }
}

/// Check a lab file's text (already known to be a JSON object).
pub fn check(path: &Path, text: &str) -> Result<()> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        // The loader reports syntax errors with their position.
        return Ok(());
    };
    let mut cx = Ctx {
        path,
        text,
        from: 0,
    };
    if let Some(s) = v["lab"].as_str() {
        cx.name("lab name", s)?;
    }
    for n in v["nodes"].as_array().into_iter().flatten() {
        if let Some(s) = n.as_str() {
            cx.name("node name", s)?;
        }
    }
    let lab_name = v["lab"].as_str().unwrap_or("");
    let spans = crate::lab::spans::Spans::scan(text);
    for (si, step) in v["steps"].as_array().into_iter().flatten().enumerate() {
        let Some(sname) = step["name"].as_str() else {
            continue;
        };
        // Where the step starts, from a linear scan (a text search per step
        // from the start made a 10 MB lab take 40 s).
        cx.from = spans.value(&format!("/steps/{si}")).unwrap_or(0);
        cx.name("step name", sname)?;
        for item in step["do"].as_array().into_iter().flatten() {
            match item {
                Value::String(s) => command(&cx, s)?,
                Value::Object(_) => object(&cx, item)?,
                _ => {}
            }
        }
        if let Some(caps) = step["capture"].as_object() {
            for point in caps.keys() {
                if let Some((n, i)) = point.split_once(':') {
                    cx.name_in("capture node", n, point)?;
                    cx.iface(i, point)?;
                    fixture(&cx, lab_name, sname, n, i)?;
                }
            }
        }
    }
    Ok(())
}

/// An article command: node names, sysctl keys, and nothing that walks.
fn command(cx: &Ctx, s: &str) -> Result<()> {
    if s.split_whitespace().any(|t| t.contains("..")) {
        return Err(cx.err(
            s,
            format!("`{s}`: `..` in a command: a lab names only its own nodes, devices and /proc/sys/net keys"),
        ));
    }
    // Parse errors are the loader's to report, with their own message.
    let Ok(line) = cmd::parse(s) else {
        return Ok(());
    };
    if let Some(n) = &line.node {
        cx.name_in("node name", n, s)?;
    }
    for c in &line.cmds {
        match c {
            Cmd::NetnsAdd(n) => cx.name_in("namespace name", n, s)?,
            Cmd::Sysctl { key, .. } => {
                net_sysctl_key(key).map_err(|m| cx.err(s, format!("`{s}`: {m}")))?
            }
            _ => {}
        }
        for n in c.nodes() {
            cx.name_in("node name", n, s)?;
        }
    }
    Ok(())
}

/// Objects: expectations, traffic, CNI and daemons.
fn object(cx: &Ctx, v: &Value) -> Result<()> {
    for k in ["node", "from", "server", "netns", "as"] {
        if let Some(s) = v[k].as_str() {
            cx.name("node name", s)?;
        }
    }
    for k in ["dev", "ifname"] {
        if let Some(s) = v[k].as_str() {
            cx.iface(s, s)?;
        }
    }
    for k in ["peer", "a", "b"] {
        if let Some(p) = v[k].as_str() {
            if let Some((n, i)) = p.split_once(':') {
                cx.name_in("node name", n, p)?;
                cx.iface(i, p)?;
            }
        }
    }
    if v["expect"] == "sysctl" {
        if let Some(k) = v["key"].as_str() {
            net_sysctl_key(k).map_err(|m| cx.err(k, m))?;
        }
    }
    if v["expect"] == "ipam" {
        if let Some(n) = v["network"].as_str() {
            cx.name("CNI network name", n)?;
        }
    }
    if v.get("cni").is_some() {
        let conf = &v["config"];
        for t in [&conf["type"], &conf["ipam"]["type"]] {
            if let Some(t) = t.as_str() {
                plugin_name(t).map_err(|m| cx.err(t, m))?;
                if t == "dhcp" {
                    return Err(cx.err(
                        t,
                        "CNI `dhcp` hands the pod's namespace to a DHCP daemon outside the sandbox: not allowed in a lab".into(),
                    ));
                }
            }
        }
        if let Some(n) = conf["name"].as_str() {
            cx.name("CNI network name", n)?;
        }
    }
    if v.get("daemon").is_some() {
        for l in v["config"].as_array().into_iter().flatten() {
            if let Some(l) = l.as_str() {
                bird_line(l).map_err(|m| cx.err(l, m))?;
            }
        }
    }
    Ok(())
}

/// BIRD may not name files: no `include`, logs only to stderr or syslog, no
/// MRT dumps. (Its configuration and socket live in the run's scratch.)
fn bird_line(l: &str) -> std::result::Result<(), String> {
    // Words outside comments and string literals' content.
    let code = l.split('#').next().unwrap_or("");
    let words: Vec<String> = code
        .split(|c: char| c.is_whitespace() || c == ';' || c == '{' || c == '}')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    for (i, w) in words.iter().enumerate() {
        let bad = match w.as_str() {
            "include" => Some("`include` reads a file outside the lab"),
            "log" if words.get(i + 1).is_some_and(|n| n.starts_with('"')) => {
                Some("`log \"FILE\"` writes a file; use `log stderr` or `log syslog`")
            }
            "mrtdump" | "mrt" | "filename" => Some("MRT dumps write files"),
            _ => None,
        };
        if let Some(why) = bad {
            return Err(format!(
                "BIRD config line `{}`: {why}; a lab's daemons never name files",
                l.trim()
            ));
        }
    }
    Ok(())
}

/// A fixture that exists must be a regular file (not a symlink) inside the
/// lab's fixtures directory, which itself stays inside the lab's tree.
fn fixture(cx: &Ctx, lab: &str, step: &str, node: &str, iface: &str) -> Result<()> {
    let dir = crate::lab::fixtures_dir(cx.path, lab);
    let f = dir.join(step).join(format!("{node}-{iface}.txt"));
    let Ok(meta) = std::fs::symlink_metadata(&f) else {
        return Ok(()); // a missing fixture is the loader's to report
    };
    let point = format!("{node}:{iface}");
    if meta.file_type().is_symlink() {
        return Err(cx.err(
            &point,
            format!(
                "fixture {} is a symlink: fixtures are plain files in the lab's directory",
                f.display()
            ),
        ));
    }
    if !meta.is_file() {
        // A directory, FIFO or device: the loader says which, at its own place.
        return Ok(());
    }
    let roots = allowed_roots(cx.path);
    let real = std::fs::canonicalize(&f).unwrap_or_default();
    if !roots.iter().any(|r| real.starts_with(r)) {
        return Err(cx.err(
            &point,
            format!(
                "fixture {} resolves to {}, outside the lab's directory",
                f.display(),
                real.display()
            ),
        ));
    }
    Ok(())
}

/// Where a lab's fixtures may live: its own directory, or the repository's
/// `fixtures/` next to `labs/` (labs/<lab>/lab.json, fixtures/<lab>/...).
fn allowed_roots(lab_path: &Path) -> Vec<PathBuf> {
    let dir = lab_path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    [dir.to_path_buf(), dir.join("../../fixtures")]
        .iter()
        .filter_map(|d| std::fs::canonicalize(d).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        plain_word("demo-deployment-6cbdbd86d5-fbt9d").unwrap();
        plain_word("flannel.1").unwrap();
        for bad in [
            "",
            "..",
            "../x",
            "a/b",
            "a..b",
            ".hidden",
            "-n",
            "a\u{1b}b",
            &"x".repeat(65),
        ] {
            assert!(plain_word(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sysctl_keys() {
        net_sysctl_key("net.ipv4.conf.flannel/1.forwarding").unwrap();
        net_sysctl_key("net.ipv4.ip_forward").unwrap();
        for bad in [
            "kernel.hostname",
            "vm.swappiness",
            "net.//.//.kernel.hostname",
            "net..ipv4",
            "net./.x",
            "net",
        ] {
            assert!(net_sysctl_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bird() {
        bird_line("log stderr all;").unwrap();
        bird_line("protocol device { scan time 1; } # include later").unwrap();
        bird_line("log \"/tmp/x\" all;").unwrap_err();
        bird_line("include \"/etc/shadow\";").unwrap_err();
        bird_line("  filename \"/x\";").unwrap_err();
    }
}
