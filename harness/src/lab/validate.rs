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
use crate::iproute::devices::{check_ifname, shell_literal};
use crate::lab::expect::{Expect, Untrusted};
use serde_json::Value;
use std::path::Path;

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
/// every component is a plain name (no `..`, nothing empty, no `//`, only
/// letters, digits, `_`, `-`, and `/` standing for a `.` inside a part).
pub fn net_sysctl_key(key: &str) -> std::result::Result<(), String> {
    let shown = key.escape_debug();
    if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '-')))
    {
        return Err(format!(
            "sysctl `{shown}` holds `{}`: keys are letters, digits, `_`, `-`, `.` and `/`",
            c.escape_debug()
        ));
    }
    let comps = sysctl_components(key);
    if comps.len() < 2 || comps[0] != "net" {
        return Err(format!(
            "sysctl `{shown}` is not a `net.*` key: a lab sets only its own namespaces' network sysctls, never the machine's"
        ));
    }
    if key.contains("//")
        || key.contains("..")
        || comps
            .iter()
            .any(|c| c.is_empty() || c.starts_with('.') || c.ends_with('.'))
    {
        return Err(format!(
            "sysctl `{shown}` would leave /proc/sys/net (no `..`, no `//`, no empty parts)"
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
        check_ifname(s).map_err(|m| self.err(within, m))
    }
}

/// Step fields that hold prose or settings, not items: every other list a
/// step holds (`given`, `do`, and whatever list is added next) is a list of
/// items and is checked item by item, so no list can be left out.
const NOT_ITEMS: &[&str] = &[
    "name", "title", "task", "why", "hint", "requires", "capture", "find",
];

/// Check a lab file's text (already known to be a JSON object): one pass
/// over the whole lab, every step and every item of every list in it.
pub fn check(path: &Path, text: &str, spans: &crate::lab::spans::Spans) -> Result<()> {
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
        if let Some(s) = n.as_str().or(n["name"].as_str()) {
            cx.name("node name", s)?;
        }
    }
    for (si, step) in v["steps"].as_array().into_iter().flatten().enumerate() {
        // Where the step starts, from a linear scan (a text search per step
        // from the start made a 10 MB lab take 40 s).
        cx.from = spans.value(&format!("/steps/{si}")).unwrap_or(0);
        if let Some(sname) = step["name"].as_str() {
            cx.name("step name", sname)?;
        }
        for (key, list) in step.as_object().into_iter().flatten() {
            if NOT_ITEMS.contains(&key.as_str()) {
                continue;
            }
            for item in list.as_array().into_iter().flatten() {
                // An `each` is judged as the items it stands for, each row filled in.
                for item in crate::lab::expand::instances(item) {
                    match &item {
                        Value::String(s) => command(&cx, s)?,
                        Value::Object(_) => object(&cx, &item)?,
                        _ => {}
                    }
                }
            }
        }
        if let Some(caps) = step["capture"].as_object() {
            for point in caps.keys() {
                if let Some((n, i)) = point.split_once(':') {
                    cx.name_in("capture node", n, point)?;
                    cx.iface(i, point)?;
                }
            }
        }
    }
    Ok(())
}

/// An article command: every word one a shell reads literally, node names,
/// sysctl keys, and nothing that walks.
fn command(cx: &Ctx, s: &str) -> Result<()> {
    // `>` only as the word of `echo V > /proc/sys/...` (the parser's form).
    let word_ok = |w: &str| {
        w == ">"
            || w.chars()
                .all(|c| c == '/' || c == ':' || c == '{' || c == '}' || shell_literal(c))
    };
    let bad_word = s.split(' ').find(|w| !word_ok(w));
    if let Some(c) = bad_word.and_then(|w| {
        w.chars()
            .find(|&c| !(c == '/' || c == ':' || c == '{' || c == '}' || shell_literal(c)))
    }) {
        return Err(cx.err(
            s,
            format!(
                "`{s}` holds {}: command words are letters, digits and `_ - . + = , % : /` (a shell must read what `vethlab solution` prints as the lab wrote it)",
                if c.is_control() {
                    format!("a control character (`{}`)", c.escape_debug())
                } else if !c.is_ascii() {
                    format!("a byte >= 0x80 (`{}`)", c.escape_unicode())
                } else {
                    format!("`{c}`")
                }
            ),
        ));
    }
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
    for k in ["node", "from", "server", "netns", "as", "in"] {
        if let Some(s) = v[k].as_str() {
            cx.name("node name", s)?;
        }
    }
    for k in ["dev", "ifname"] {
        if let Some(s) = v[k].as_str() {
            cx.iface(s, s)?;
        }
    }
    // What an assertion takes beyond its node and device, as its kind says.
    for u in Expect::of_item(v).iter().flat_map(|e| e.untrusted()) {
        match u {
            Untrusted::SysctlKey(k) => net_sysctl_key(k).map_err(|m| cx.err(k, m))?,
            Untrusted::Name(what, n) => cx.name(what, n)?,
            Untrusted::Iface(s) => cx.iface(s, s)?,
            Untrusted::At(p) => match p.split_once(':') {
                Some((n, i)) => {
                    cx.name_in("node name", n, p)?;
                    cx.iface(i, p)?;
                }
                None => cx.iface(p, p)?,
            },
        }
    }
    if v.get("cni").is_some() {
        let conf = &v["config"];
        plugin_types(cx, conf)?;
        // The bridge the plugin makes is an interface like any other.
        if let Some(b) = conf["bridge"].as_str() {
            cx.iface(b, b)?;
        }
        if let Some(n) = conf["name"].as_str() {
            cx.name("CNI network name", n)?;
        }
    }
    if v.get("daemon").is_some() {
        daemon_config(cx, &v["config"])?;
    }
    Ok(())
}

/// Every `type` anywhere in a CNI config (the plugin, its ipam, a chained
/// plugin's) names a plugin by its bare name, and never `dhcp`.
fn plugin_types(cx: &Ctx, v: &Value) -> Result<()> {
    match v {
        Value::Object(m) => {
            if let Some(t) = m.get("type").and_then(Value::as_str) {
                plugin_name(t).map_err(|m| cx.err(t, m))?;
                if t == "dhcp" {
                    return Err(cx.err(
                        t,
                        "CNI `dhcp` hands the pod's namespace to a DHCP daemon outside the sandbox: not allowed in a lab".into(),
                    ));
                }
            }
            m.values().try_for_each(|x| plugin_types(cx, x))
        }
        Value::Array(a) => a.iter().try_for_each(|x| plugin_types(cx, x)),
        _ => Ok(()),
    }
}

/// A daemon's configuration, read as a whole the way BIRD reads it (a
/// comment or string may span the lines of the list).
fn daemon_config(cx: &Ctx, conf: &Value) -> Result<()> {
    let lines: Vec<&str> = conf
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let whole = lines.join("\n");
    let Err((off, why)) = crate::lab::bird::check(&whole) else {
        return Ok(());
    };
    // The line (entry of the list) holding the offset.
    let mut start = 0;
    for l in &lines {
        if off <= start + l.len() {
            return Err(cx.err(
                l,
                format!(
                    "BIRD config line `{}`: {why}; a lab's daemons never name files or sockets",
                    l.trim()
                ),
            ));
        }
        start += l.len() + 1;
    }
    Err(cx.err("config", format!("BIRD config: {why}")))
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
    fn sysctl_key_chars() {
        for bad in [
            "//.//.etc.passwd",
            "net.ipv4.a//b",
            "net.ipv4.x y",
            "net.ipv4.\u{1b}",
            "net.ipv4./x",
        ] {
            assert!(net_sysctl_key(bad).is_err(), "{bad}");
        }
    }
}
