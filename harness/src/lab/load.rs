//! Loading a lab file: JSON with positions, limits and validation, so every
//! mistake is one message with file:line:column.

use super::model::*;
use crate::check::expect::{split_at, Expect};
use crate::error::{Error, Result};
use crate::iproute::cmd::{self, Cmd};
use crate::iproute::devices::Devices;
use crate::lab::fixture::Fixture;
use crate::lab::spans::Spans;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLab {
    lab: String,
    title: String,
    #[serde(default)]
    seeds: Vec<String>,
    #[serde(default)]
    about: Option<String>,
    nodes: Vec<String>,
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: String,
    title: String,
    #[serde(default)]
    requires: Vec<String>,
    #[serde(rename = "do")]
    actions: Vec<Value>,
    #[serde(default)]
    capture: BTreeMap<String, Option<String>>,
    task: Option<String>,
    hint: Option<String>,
    #[serde(default)]
    why: Option<String>,
}

/// Set by `vethlab run --bless` before it loads labs: a capture point whose
/// fixture does not exist yet is what the bless will write, not an error.
pub static BLESSING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Features a step may declare in `requires` (the optional link kinds).
pub fn features() -> impl Iterator<Item = &'static str> {
    crate::model::link::OPTIONAL_KINDS.iter().map(|(k, _)| *k)
}

/// Positions of JSON values in the file, for file:line:col messages: kept
/// while scanning, so a lookup costs no rescan (a per-item search of the
/// text made a 100 000-command lab take 37 s to report its last line).
struct Locator<'a> {
    path: &'a Path,
    spans: Spans,
}

impl Locator<'_> {
    fn at(&self, off: usize) -> String {
        let (l, c) = self.spans.line_col(off);
        format!("{}:{l}:{c}", self.path.display())
    }
    /// Where the value at `pointer` starts, or else `fallback`.
    fn value(&self, pointer: &str, fallback: usize) -> usize {
        self.spans.value(pointer).unwrap_or(fallback)
    }
}

/// Allowed ranges, with the reason for each end: an expectation must be able
/// to fail, and nothing a lab says may make a run wait without bound.
pub mod limits {
    /// `within_ms`: omit it to check once; over a minute is a hang.
    pub const WITHIN_MS: (u64, u64) = (1, 60_000);
    /// A ping's whole budget: under 100 ms an answer (ARP, then the echo)
    /// may not have had time to come, so `result: fail` would hold vacuously.
    pub const TIMEOUT_MS: (u64, u64) = (100, 60_000);
    /// Zero pings assert nothing; a step is not a flood.
    pub const PING_COUNT: (u64, u64) = (1, 1000);
    /// `--capture-buffer`: the kernel's own minimum page up to 256 MiB per capture point.
    pub const CAPTURE_BUFFER: (i64, i64) = (4096, 256 << 20);
}

/// `Err` with the allowed range when `v` is outside `[lo, hi]`.
fn in_range(what: &str, v: u64, (lo, hi): (u64, u64)) -> std::result::Result<(), String> {
    if v < lo || v > hi {
        return Err(format!("`{what}` is {v}; allowed: {lo} to {hi}"));
    }
    Ok(())
}

impl Lab {
    /// Load and check a lab file; fixtures come from `fixtures`, by default
    /// `<root>/fixtures/<lab>` for `<root>/labs/<lab>/lab.json`.
    pub fn load(path: &Path) -> Result<Lab> {
        let text =
            crate::lab::input::read_text(path, "lab file", crate::lab::input::MAX_LAB_BYTES)?;
        if text.trim().is_empty() {
            return Err(Error::input(
                format!("{}:1:1", path.display()),
                "the lab file is empty (see labs/veth-pair/lab.json for one)",
            ));
        }
        if !text.trim_start().starts_with('{') {
            let off = text.len() - text.trim_start().len();
            let (l, c) = crate::lab::input::line_col(text.as_bytes(), off);
            return Err(Error::input(
                format!("{}:{l}:{c}", path.display()),
                "a lab file is one JSON object: {\"lab\": ..., \"title\": ..., \"nodes\": [...], \"steps\": [...]}",
            ));
        }
        let raw: RawLab = serde_json::from_str(&text).map_err(|e| {
            Error::input(
                format!("{}:{}:{}", path.display(), e.line(), e.column()),
                strip_pos(&e.to_string()),
            )
        })?;
        // Names, sysctl keys, plugins, daemon files, fixtures: before anything is read or built.
        crate::lab::validate::check(path, &text)?;
        let loc = Locator {
            path,
            spans: Spans::scan(&text),
        };
        let _ = raw.about;
        let fixtures = fixtures_dir(path, &raw.lab);
        let mut nodes: Vec<String> = vec![];
        // Membership by hash: a lab may make thousands of pods.
        let mut node_set: HashSet<String> = HashSet::new();
        for (ni, n) in raw.nodes.iter().enumerate() {
            if !node_set.insert(n.clone()) {
                return Err(Error::input(
                    loc.at(loc.value(&format!("/nodes/{ni}"), 0)),
                    format!("node `{n}` is declared twice"),
                ));
            }
            nodes.push(n.clone());
        }
        let all_nodes = all_node_names(&raw);
        let Some(default_node) = nodes.first().cloned() else {
            return Err(Error::input(
                loc.at(loc.value("/nodes", 0)),
                "a lab needs at least one node (the first runs commands that name none)",
            ));
        };
        let mut devs = Devices::default();
        for n in &nodes {
            devs.add_node(n);
        }
        if raw.steps.is_empty() {
            return Err(Error::input(
                loc.at(loc.value("/steps", 0)),
                "the lab has no steps: it would pass without asserting anything (add a step with traffic and expectations)",
            ));
        }
        let mut steps: Vec<Step> = vec![];
        let mut step_names: HashSet<&str> = HashSet::new();
        for (si, rs) in raw.steps.iter().enumerate() {
            let sp = format!("/steps/{si}");
            let soff = loc.value(&sp, 0);
            let _ = &rs.why;
            if !step_names.insert(rs.name.as_str()) {
                return Err(Error::input(
                    loc.at(soff),
                    format!("step name `{}` is used twice", rs.name),
                ));
            }
            let mut requires = rs.requires.clone();
            for f in &rs.requires {
                if !features().any(|k| k == f) {
                    return Err(Error::input(
                        loc.at(soff),
                        format!(
                            "step `{}`: unknown requirement `{f}` (known: {})",
                            rs.name,
                            features().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
            devs.ipip |= rs.requires.iter().any(|f| f == "ipip");
            if rs.actions.is_empty() && rs.capture.is_empty() {
                return Err(Error::input(
                    loc.at(soff),
                    format!(
                        "step `{}` does nothing and expects nothing: it could never fail (give it `do` items or `capture` points)",
                        rs.name
                    ),
                ));
            }
            let mut actions = vec![];
            // Capture points must exist when the captures start, at the first
            // traffic: checked then (a copy of every device per step would
            // make a long lab quadratic).
            let mut caps_at_traffic: Option<Vec<std::result::Result<(), String>>> = None;
            let cap_check = |devs: &Devices| -> Vec<std::result::Result<(), String>> {
                rs.capture
                    .keys()
                    .map(|p| match split_at(p) {
                        Some((n, i)) => devs.need(n, i),
                        None => Ok(()),
                    })
                    .collect()
            };
            for (ii, v) in rs.actions.iter().enumerate() {
                let ip = format!("{sp}/do/{ii}");
                let ioff = loc.value(&ip, soff);
                // Located only on error: building a location is not free.
                let ctx_at = |off: usize, m: String| {
                    Error::input(
                        loc.at(off),
                        format!("step `{}`, item {}: {m}", rs.name, ii + 1),
                    )
                };
                let ctx = |m: String| ctx_at(ioff, m);
                let field = |k: &str| loc.value(&format!("{ip}/{k}"), ioff);
                // Parsed from the item's own text, so serde's position (the
                // bad value) is made absolute; from the value otherwise.
                fn typed<T: serde::de::DeserializeOwned>(
                    text: Option<(usize, &str)>,
                    v: &Value,
                ) -> std::result::Result<T, (Option<usize>, serde_json::Error)> {
                    match text {
                        Some((base, t)) => serde_json::from_str(t).map_err(|e| (Some(base), e)),
                        None => serde_json::from_value(v.clone()).map_err(|e| (None, e)),
                    }
                }
                let item_text = loc.spans.text_of(&ip);
                let serde_at = |what: &str, (base, e): (Option<usize>, serde_json::Error)| {
                    let m = e.to_string();
                    let unknown = m
                        .strip_prefix("unknown field `")
                        .and_then(|r| r.split('`').next())
                        .and_then(|k| {
                            loc.spans
                                .key(&format!("{ip}/{}", crate::lab::spans::token(k)))
                        });
                    let off = unknown
                        .or_else(|| {
                            base.map(|b| {
                                loc.spans
                                    .start_of(loc.spans.absolute(b, e.line(), e.column()))
                            })
                        })
                        .unwrap_or(ioff);
                    ctx_at(off, format!("{what}: {}", strip_pos(&m)))
                };
                // serde names an unknown field: point at its key, not the item.
                let serde_ctx = |what: &str, e: serde_json::Error| {
                    let m = e.to_string();
                    let off = m
                        .strip_prefix("unknown field `")
                        .and_then(|r| r.split('`').next())
                        .and_then(|k| {
                            loc.spans
                                .key(&format!("{ip}/{}", crate::lab::spans::token(k)))
                        })
                        .unwrap_or(ioff);
                    ctx_at(off, format!("{what}: {m}"))
                };
                let known = |n: &str, nodes: &HashSet<String>| -> Result<()> {
                    if nodes.contains(n) {
                        Ok(())
                    } else if all_nodes.iter().any(|x| x == n) {
                        Err(ctx(format!("node `{n}` is used before the step that creates it (`ip netns add {n}`)")))
                    } else {
                        let mut names: Vec<&str> = nodes.iter().map(String::as_str).collect();
                        names.sort_unstable();
                        Err(ctx(format!(
                            "unknown node `{n}` (nodes: {})",
                            names.join(", ")
                        )))
                    }
                };
                let action = match v {
                    Value::String(s) => {
                        let line = cmd::parse(s).map_err(|m| ctx(format!("`{s}`: {m}")))?;
                        let node = line.node.clone().unwrap_or(default_node.clone());
                        for c in &line.cmds {
                            // A kind beyond veth and bridge is a requirement,
                            // decided before anything is built.
                            if let Cmd::LinkAdd { kind, .. } = c {
                                let k = kind.name();
                                if features().any(|f| f == k) && !requires.iter().any(|r| r == k) {
                                    requires.push(k.to_string());
                                }
                            }
                            if let Cmd::NetnsAdd(n) = c {
                                if !node_set.insert(n.clone()) {
                                    return Err(ctx(format!("`{s}`: node `{n}` already exists")));
                                }
                                nodes.push(n.clone());
                                devs.add_node(n);
                                continue;
                            }
                            known(&node, &node_set)?;
                            for n in c.nodes() {
                                known(n, &node_set)?;
                            }
                            devs.apply(&node, c).map_err(|m| ctx(format!("`{s}`: {m}")))?;
                        }
                        Action::Cmd { node, text: s.clone(), cmds: line.cmds }
                    }
                    Value::Object(m) if m.contains_key("ping") => {
                        if let Some(a) = m.get("ping").and_then(Value::as_str).filter(|a| a.contains(':')) {
                            return Err(ctx_at(field("ping"), format!("ping: `{a}`: IPv6 is not supported here (lab namespaces run IPv4 only)")));
                        }
                        let p: PingSpec = typed(item_text, v).map_err(|e| serde_at("ping", e))?;
                        known(&p.from, &node_set)?;
                        if let Some(c) = p.count {
                            in_range("count", c.into(), limits::PING_COUNT).map_err(|m| ctx_at(field("count"), format!("ping: {m} (zero pings assert nothing)")))?;
                        }
                        if let Some(t) = p.timeout_ms {
                            in_range("timeout_ms", t, limits::TIMEOUT_MS).map_err(|m| ctx_at(field("timeout_ms"), format!("ping: {m} (shorter cannot tell a failure from no time to answer)")))?;
                        }
                        if let Some(d) = &p.dev {
                            devs.need(&p.from, d).map_err(|m| ctx(format!("ping -I: {m}")))?;
                        }
                        caps_at_traffic.get_or_insert_with(|| cap_check(&devs));
                        Action::Ping(p)
                    }
                    Value::Object(m) if m.contains_key("udp") => {
                        for k in ["udp", "listen"] {
                            if let Some(a) = m.get(k).and_then(Value::as_str).filter(|a| a.starts_with('[') || a.matches(':').count() > 1) {
                                return Err(ctx_at(field(k), format!("udp: `{a}`: IPv6 is not supported here (lab namespaces run IPv4 only)")));
                            }
                        }
                        let u: UdpSpec = typed(item_text, v).map_err(|e| serde_at("udp", e))?;
                        known(&u.server, &node_set)?;
                        known(&u.from, &node_set)?;
                        caps_at_traffic.get_or_insert_with(|| cap_check(&devs));
                        Action::Udp(u)
                    }
                    Value::Object(m) if m.contains_key("expect") => {
                        let mut m = m.clone();
                        let id = match m.remove("id") {
                            None => None,
                            Some(Value::String(s)) => Some(s),
                            Some(_) => return Err(ctx("`id` must be a string such as \"O2.1\"".into())),
                        };
                        let within_ms = match m.remove("within_ms") {
                            None => None,
                            Some(v) => {
                                let at = field("within_ms");
                                let ms = v.as_u64().ok_or_else(|| ctx_at(at, "`within_ms` must be a number of milliseconds".into()))?;
                                in_range("within_ms", ms, limits::WITHIN_MS).map_err(|m| ctx_at(at, format!("{m} (omit it to check once)")))?;
                                Some(ms)
                            }
                        };
                        let raw = Value::Object(m.clone());
                        let raw = raw.to_string().contains("{cni:").then_some(raw);
                        let e: Expect = serde_json::from_value(Value::Object(m)).map_err(|e| serde_ctx("expect", e))?;
                        for n in e.nodes() {
                            known(n, &node_set)?;
                        }
                        for (n, d) in e.devices() {
                            if !d.contains("{cni:") {
                                devs.need(n, d).map_err(|m| ctx(format!("expect {}: {m}", e.describe())))?;
                            }
                        }
                        if let Expect::SameFrames { a, b } = &e {
                            for p in [a, b] {
                                if !rs.capture.contains_key(p) {
                                    return Err(ctx(format!("same-frames: `{p}` is not among this step's capture points")));
                                }
                            }
                        }
                        Action::Expect { id, e, within_ms, raw }
                    }
                    Value::Object(m) if m.contains_key("cni") => {
                        let c: CniSpec = typed(item_text, v).map_err(|e| serde_at("cni", e))?;
                        if !["ADD", "CHECK", "DEL"].contains(&c.cni.as_str()) {
                            return Err(ctx(format!("cni: `{}` is not a CNI command (ADD, CHECK, DEL)", c.cni)));
                        }
                        known(&c.node, &node_set)?;
                        known(&c.netns, &node_set)?;
                        crate::iproute::devices::check_ifname(&c.ifname).map_err(|m| ctx_at(field("ifname"), format!("cni: {m}")))?;
                        let Some(kind) = c.config["type"].as_str() else {
                            return Err(ctx("cni: the config needs a \"type\" (the plugin: bridge, ptp, ...)".into()));
                        };
                        if c.config["name"].as_str().is_none() {
                            return Err(ctx("cni: the config needs a network \"name\"".into()));
                        }
                        // What the plugin will make, for later references.
                        match c.cni.as_str() {
                            "ADD" => {
                                devs.adopt(&c.netns, &c.ifname);
                                if kind == "bridge" {
                                    devs.adopt(&c.node, c.config["bridge"].as_str().unwrap_or("cni0"));
                                }
                            }
                            "DEL" => devs.forget(&c.netns, &c.ifname),
                            _ => {}
                        }
                        Action::Cni(c)
                    }
                    Value::Object(m) if m.contains_key("daemon") => {
                        let d: DaemonSpec = typed(item_text, v).map_err(|e| serde_at("daemon", e))?;
                        if !DAEMONS.iter().any(|(n, _, _)| *n == d.daemon) {
                            return Err(ctx(format!("daemon: `{}` is not one vethlab runs (supported: bird)", d.daemon)));
                        }
                        known(&d.node, &node_set)?;
                        Action::Daemon(d)
                    }
                    _ => return Err(ctx("expected an ip command (a string), or an object with `ping`, `udp`, `expect`, `cni` or `daemon`".into())),
                };
                actions.push(action);
            }
            let mut captures = vec![];
            let at_traffic = caps_at_traffic.unwrap_or_else(|| cap_check(&devs));
            for ((point, id), state) in rs.capture.iter().zip(at_traffic) {
                let kp = format!("{sp}/capture/{}", crate::lab::spans::token(point));
                let at = loc.at(loc.spans.key(&kp).unwrap_or(soff));
                let Some((n, i)) = split_at(point) else {
                    return Err(Error::input(
                        at,
                        format!(
                            "step `{}`: capture point `{point}` must be NODE:IFACE",
                            rs.name
                        ),
                    ));
                };
                if !node_set.contains(n) {
                    return Err(Error::input(
                        at,
                        format!(
                            "step `{}`: capture point `{point}`: unknown node `{n}`",
                            rs.name
                        ),
                    ));
                }
                if let Err(m) = state {
                    return Err(Error::input(
                        at,
                        format!("step `{}`: capture point `{point}`: {m}", rs.name),
                    ));
                }
                let fpath = fixtures.join(&rs.name).join(format!("{n}-{i}.txt"));
                let blessing = BLESSING.load(std::sync::atomic::Ordering::Relaxed);
                let fixture = if fpath.exists() || (id.is_some() && !blessing) {
                    Some(Fixture::load(&fpath, &all_nodes)?)
                } else {
                    None
                };
                captures.push(CapturePoint {
                    node: n.into(),
                    iface: i.into(),
                    id: id.clone(),
                    fixture,
                });
            }
            steps.push(Step {
                name: rs.name.clone(),
                title: rs.title.clone(),
                requires,
                actions,
                captures,
                task: rs.task.clone(),
                hint: rs.hint.clone(),
            });
        }
        Ok(Lab {
            name: raw.lab,
            title: raw.title,
            seeds: raw.seeds,
            path: path.to_path_buf(),
            nodes: raw.nodes,
            steps,
        })
    }

    /// Every ifindex a command of the lab asks for.
    pub fn indexes(&self) -> Vec<u32> {
        let mut m = vec![];
        for s in &self.steps {
            for a in &s.actions {
                if let Action::Cmd { cmds, .. } = a {
                    for c in cmds {
                        if let Cmd::LinkAdd { link, kind, .. } = c {
                            m.extend(link.index);
                            if let crate::model::LinkKind::Veth { peer } = kind {
                                m.extend(peer.index);
                            }
                        }
                    }
                }
            }
        }
        m
    }

    pub fn step_index(&self, name: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.name == name)
    }
}

fn strip_pos(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

fn all_node_names(raw: &RawLab) -> Vec<String> {
    let mut v = raw.nodes.clone();
    for s in &raw.steps {
        for a in &s.actions {
            if let Value::String(t) = a {
                if let Ok(l) = cmd::parse(t) {
                    for c in l.cmds {
                        if let Cmd::NetnsAdd(n) = c {
                            v.push(n);
                        }
                    }
                }
            }
        }
    }
    v
}

pub fn fixtures_dir(lab_path: &Path, name: &str) -> PathBuf {
    let dir = lab_path.parent().unwrap_or(Path::new("."));
    let shared = dir.join("../../fixtures").join(name);
    if shared.is_dir() {
        shared
    } else {
        dir.join("fixtures")
    }
}
