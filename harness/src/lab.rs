//! The lab model, loaded from `labs/<lab>/lab.json` with precise errors, and
//! the running of its steps: build the topology, drive traffic, capture,
//! assert, tear down.

use crate::capture::{Capture, Captured};
use crate::devices::Devices;
use crate::error::{Error, Result};
use crate::expect::{self, split_at, Expect, Fixture};
use crate::ipcmd::{self, Cmd};
use crate::report::{CaptureReport, CheckResult, Outcome, Status, StepReport};
use crate::spans::Spans;
use crate::topo::Topo;
use crate::trace;
use crate::traffic;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Lab {
    pub name: String,
    pub title: String,
    pub seeds: Vec<String>,
    pub path: PathBuf,
    pub nodes: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub title: String,
    pub requires: Vec<String>,
    pub actions: Vec<Action>,
    pub captures: Vec<CapturePoint>,
    pub task: Option<String>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CapturePoint {
    pub node: String,
    pub iface: String,
    pub id: Option<String>,
    pub fixture: Option<Fixture>,
}

#[derive(Debug, Clone)]
pub enum Action {
    Cmd {
        node: String,
        text: String,
        cmds: Vec<Cmd>,
    },
    Ping(PingSpec),
    Udp(UdpSpec),
    Expect {
        id: Option<String>,
        e: Expect,
        /// Keep checking until it holds or this many ms pass (state that
        /// arrives by itself, e.g. routes BIRD learns).
        within_ms: Option<u64>,
        /// The expectation as written, when it names `{cni:…}` values that
        /// exist only once the step runs.
        raw: Option<Value>,
    },
    Cni(CniSpec),
    Daemon(DaemonSpec),
}

/// `{"cni": "ADD", "node": …, "netns": …, "ifname": …, "as": …, "config": {…}}`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CniSpec {
    pub cni: String,
    pub node: String,
    pub netns: String,
    pub ifname: String,
    /// Names the result for later `{cni:NAME.host}`, `{cni:NAME.ip}`,
    /// `{cni:NAME.gateway}`; also the container id.
    #[serde(rename = "as")]
    pub alias: Option<String>,
    pub config: Value,
    pub id: Option<String>,
}

/// `{"daemon": "bird", "node": …, "config": [lines]}`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonSpec {
    pub daemon: String,
    pub node: String,
    pub config: Vec<String>,
    pub id: Option<String>,
}

/// The daemons a lab may start, and the package that provides each.
pub const DAEMONS: &[(&str, &str, &str)] = &[("bird", "/usr/sbin/bird", "bird2")];

#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum PingResultWanted {
    #[default]
    Reply,
    Fail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingSpec {
    pub ping: Ipv4Addr,
    pub from: String,
    pub dev: Option<String>,
    pub count: Option<u16>,
    #[serde(default)]
    pub result: PingResultWanted,
    pub ttl: Option<u8>,
    pub timeout_ms: Option<u64>,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UdpSpec {
    /// Where the client sends.
    pub udp: SocketAddrV4,
    pub server: String,
    /// Where the server binds (default 0.0.0.0 on the same port).
    pub listen: Option<SocketAddrV4>,
    pub from: String,
    pub id: Option<String>,
}

impl Step {
    /// Every observation id this step asserts, in order of appearance.
    pub fn ids(&self) -> Vec<String> {
        let mut v: Vec<String> = vec![];
        let mut add = |id: &Option<String>| {
            if let Some(i) = id {
                if !v.contains(i) {
                    v.push(i.clone());
                }
            }
        };
        for a in &self.actions {
            match a {
                Action::Ping(p) => add(&p.id),
                Action::Udp(u) => add(&u.id),
                Action::Expect { id, .. } => add(id),
                Action::Cni(c) => add(&c.id),
                Action::Daemon(d) => add(&d.id),
                Action::Cmd { .. } => {}
            }
        }
        for c in &self.captures {
            add(&c.id);
        }
        v
    }

    /// The article commands of this step, as written.
    pub fn commands(&self) -> impl Iterator<Item = (&str, &str)> {
        self.actions.iter().filter_map(|a| match a {
            Action::Cmd { node, text, .. } => Some((node.as_str(), text.as_str())),
            _ => None,
        })
    }
}

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
    crate::kernel::KINDS.iter().map(|(k, _)| *k)
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
        let text = crate::input::read_text(path, "lab file", crate::input::MAX_LAB_BYTES)?;
        if text.trim().is_empty() {
            return Err(Error::input(
                format!("{}:1:1", path.display()),
                "the lab file is empty (see labs/veth-pair/lab.json for one)",
            ));
        }
        if !text.trim_start().starts_with('{') {
            let off = text.len() - text.trim_start().len();
            let (l, c) = crate::input::line_col(text.as_bytes(), off);
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
        crate::validate::check(path, &text)?;
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
                        .and_then(|k| loc.spans.key(&format!("{ip}/{}", crate::spans::token(k))));
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
                        .and_then(|k| loc.spans.key(&format!("{ip}/{}", crate::spans::token(k))))
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
                        let line = ipcmd::parse(s).map_err(|m| ctx(format!("`{s}`: {m}")))?;
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
                        crate::devices::check_ifname(&c.ifname).map_err(|m| ctx_at(field("ifname"), format!("cni: {m}")))?;
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
                let kp = format!("{sp}/capture/{}", crate::spans::token(point));
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
                            if let crate::ops::LinkKind::Veth { peer } = kind {
                                m.extend(peer.index);
                            }
                        }
                    }
                }
            }
        }
        m
    }

    /// Where this lab's ifindexes land on the running kernel.
    pub fn index_plan(&self) -> crate::kernel::IndexPlan {
        crate::kernel::IndexPlan::for_kernel(&self.indexes())
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
                if let Ok(l) = ipcmd::parse(t) {
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

/// A kernel feature the step needs and this kernel lacks, with the reason
/// and what to do. Read from what the kernel already has: never a probe that
/// could make it load a module.
pub fn feature_missing(f: &str) -> Option<String> {
    crate::kernel::facts().missing(f)
}

#[derive(Debug, Clone, Default)]
pub struct RunOpts {
    pub pcap_dir: Option<PathBuf>,
    /// `vethlab check`: the learner typed the step's commands, so only what
    /// follows the step's last command (traffic and assertions) runs.
    pub learner: bool,
    /// Kernel buffer per capture, in bytes (default `Capture::BUFFER`).
    pub capture_buffer: Option<i32>,
}

/// Nodes declared up front. They stand for machines, whose loopback is up
/// (a local ICMP error, such as "host unreachable", travels over it); a
/// namespace made by a step's `ip netns add` starts with lo DOWN, as the
/// articles show.
pub fn new_topo(lab: &Lab) -> Result<Topo> {
    trace::event(|| format!("build {}", lab.name));
    let mut t = Topo::new();
    t.set_index_plan(lab.index_plan());
    let lo_up = ipcmd::parse("ip link set lo up").map_err(Error::other)?;
    for n in &lab.nodes {
        t.add_node(n)
            .map_err(|e| Error::other(format!("node {n}: {e}")))?;
        t.apply(n, &lo_up.cmds[0])
            .map_err(|e| Error::other(format!("node {n}: lo up: {e}")))?;
    }
    Ok(t)
}

fn skip_reason(step: &Step) -> Option<String> {
    if let Some(r) = step
        .requires
        .iter()
        .find_map(|f| feature_missing(f).map(|r| format!("needs {f}: {r}")))
    {
        return Some(r);
    }
    component_missing(step)
}

/// Why step `idx` of `lab` is skipped on this machine, decided before
/// anything is built (so a test runner can list it as skipped): a kernel
/// feature or component it needs is missing, or an earlier step's component
/// is (a step after it stands on nothing).
pub fn step_skip(lab: &Lab, idx: usize) -> Option<String> {
    skip_reason(&lab.steps[idx]).or_else(|| lab.steps[..idx].iter().find_map(component_missing))
}

/// Real components: a plugin or daemon that is not installed is a skip that
/// names its package, never a pass.
fn component_missing(step: &Step) -> Option<String> {
    step.actions.iter().find_map(|a| match a {
        Action::Cni(c) => {
            let ipam = c.config["ipam"]["type"].as_str();
            [c.config["type"].as_str(), ipam]
                .into_iter()
                .flatten()
                .find_map(crate::cni::missing)
        }
        Action::Daemon(d) => DAEMONS
            .iter()
            .find(|(n, path, _)| *n == d.daemon && !Path::new(path).is_file())
            .map(|(n, path, pkg)| {
                format!("`{n}` ({path}) is not installed (Debian/Ubuntu package {pkg})")
            }),
        _ => None,
    })
}

/// Apply the commands of steps `..upto` (not their traffic or assertions):
/// the state a learner has before step `upto`. Steps skipped for a missing
/// feature contribute nothing, as in a full run.
pub fn build_upto(lab: &Lab, topo: &mut Topo, upto: usize) -> Result<()> {
    for s in &lab.steps[..upto] {
        if skip_reason(s).is_some() {
            continue;
        }
        trace::event(|| format!("build {}/{}", lab.name, s.name));
        for a in &s.actions {
            // Real components earlier steps ran are part of the state too.
            let (node, what, r) = match a {
                Action::Cmd { node, text, cmds } => {
                    for c in cmds {
                        topo.apply(node, c).map_err(|e| Error::Command {
                            node: node.clone(),
                            cmd: format!("{text} (step {})", s.name),
                            msg: e.to_string(),
                        })?;
                    }
                    continue;
                }
                Action::Cni(c) => (
                    &c.node,
                    format!("CNI {} (step {})", c.cni, s.name),
                    run_cni(topo, c),
                ),
                Action::Daemon(d) => (
                    &d.node,
                    format!("{} (step {})", d.daemon, s.name),
                    run_daemon(topo, d),
                ),
                // State that arrives by itself (routes BIRD learns) is awaited
                // as the earlier step awaited it.
                Action::Expect {
                    e,
                    within_ms: Some(ms),
                    raw,
                    ..
                } => {
                    let (what, outcome) = check_expect(topo, e, raw.as_ref(), Some(*ms));
                    if let Outcome::Fail(msg) = outcome {
                        return Err(Error::Command {
                            node: e.nodes().first().map(|n| n.to_string()).unwrap_or_default(),
                            cmd: format!("{what} (step {})", s.name),
                            msg,
                        });
                    }
                    continue;
                }
                _ => continue,
            };
            if let Outcome::Fail(msg) = r.outcome {
                return Err(Error::Command {
                    node: node.clone(),
                    cmd: what,
                    msg,
                });
            }
        }
    }
    Ok(())
}

/// Run every step of `lab` in order on one topology.
pub fn run_lab(
    lab: &Lab,
    opts: &RunOpts,
    progress: &(dyn Fn(&StepReport) + Sync),
) -> Vec<StepReport> {
    run_lab_then(lab, opts, progress, &mut |_| {})
}

/// `run_lab`, then `after` sees the final topology before it is torn down.
pub fn run_lab_then(
    lab: &Lab,
    opts: &RunOpts,
    progress: &(dyn Fn(&StepReport) + Sync),
    after: &mut dyn FnMut(&Topo),
) -> Vec<StepReport> {
    let mut out = vec![];
    let mut topo = match new_topo(lab) {
        Ok(t) => t,
        Err(e) => {
            for s in &lab.steps {
                let r = StepReport::failed(lab, s, format!("cannot build the lab: {e}"));
                progress(&r);
                out.push(r);
            }
            return out;
        }
    };
    let mut broken: Option<String> = None;
    for (i, s) in lab.steps.iter().enumerate() {
        // After a panic the topology's state is unknown: later steps are
        // not run on it, and say why.
        let r = match &broken {
            Some(why) => StepReport::failed(lab, s, why.clone()),
            None => guarded(lab, i, || run_step(lab, i, &mut topo, opts)),
        };
        if broken.is_none() && r.error.as_deref().is_some_and(|e| e.starts_with(PANICKED)) {
            broken = Some(format!("not run: step `{}` panicked before it", s.name));
        }
        progress(&r);
        out.push(r);
    }
    if broken.is_none() {
        after(&topo);
    }
    out
}

const PANICKED: &str = "panicked: ";

/// A step that panics is a FAIL carrying the panic's message, never a
/// report lost with its thread (which let a run exit 0).
fn guarded(lab: &Lab, idx: usize, f: impl FnOnce() -> StepReport) -> StepReport {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "without a message".into());
        StepReport::failed(lab, &lab.steps[idx], format!("{PANICKED}{why}"))
    })
}

/// Run step `idx` alone: fresh namespaces, earlier steps' commands replayed.
pub fn run_one(lab: &Lab, idx: usize, opts: &RunOpts) -> StepReport {
    guarded(lab, idx, || run_one_unguarded(lab, idx, opts))
}

fn run_one_unguarded(lab: &Lab, idx: usize, opts: &RunOpts) -> StepReport {
    let step = &lab.steps[idx];
    let mut topo = match new_topo(lab).and_then(|mut t| build_upto(lab, &mut t, idx).map(|_| t)) {
        Ok(t) => t,
        Err(e) if e.is_unsupported() => return StepReport::skipped(lab, step, e.to_string()),
        Err(e) => {
            return StepReport::failed(
                lab,
                step,
                format!("building the state before this step: {e}"),
            )
        }
    };
    run_step(lab, idx, &mut topo, opts)
}

/// Run one step on a topology that holds the state before it.
pub fn run_step(lab: &Lab, idx: usize, topo: &mut Topo, opts: &RunOpts) -> StepReport {
    let step = &lab.steps[idx];
    let t0 = Instant::now();
    trace::event(|| format!("step {}/{}", lab.name, step.name));
    if let Some(r) = step_skip(lab, idx) {
        return StepReport::skipped(lab, step, r);
    }
    let mut checks: Vec<CheckResult> = vec![];
    let mut caps: Option<Vec<Capture>> = None;
    let mut deferred: Vec<(Option<String>, Expect)> = vec![];
    let has_traffic = step
        .actions
        .iter()
        .any(|a| matches!(a, Action::Ping(_) | Action::Udp(_)));
    let start_caps = |topo: &Topo| -> Result<Vec<Capture>> {
        topo.tune_neigh()?;
        step.captures
            .iter()
            .map(|c| {
                let buf = opts.capture_buffer.unwrap_or(Capture::BUFFER);
                Capture::start(topo.node(&c.node)?, &c.iface, buf)
            })
            .collect()
    };
    let mut error: Option<String> = None;
    let mut prev: Option<&Action> = None;
    let first = if opts.learner {
        step.actions
            .iter()
            .rposition(|a| matches!(a, Action::Cmd { .. }))
            .map_or(0, |i| i + 1)
    } else {
        0
    };
    for a in &step.actions[first..] {
        let traffic = matches!(a, Action::Ping(_) | Action::Udp(_));
        if traffic && crate::fault::armed_for("panic-in-step", &step.name) {
            panic!("injected panic in step `{}` (VETHLAB_FAULT)", step.name);
        }
        // Traffic may follow commands that made new devices: tune them first.
        if traffic && caps.is_some() && matches!(prev, Some(Action::Cmd { .. })) {
            if let Err(e) = topo.tune_neigh() {
                error = Some(e.to_string());
                break;
            }
        }
        prev = Some(a);
        if traffic && caps.is_none() {
            match start_caps(topo) {
                Ok(c) => {
                    trace::event(|| format!("capture {}/{}", lab.name, step.name));
                    caps = Some(c)
                }
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
        match a {
            Action::Cmd { node, text, cmds } => {
                for c in cmds {
                    if let Err(e) = topo.apply(node, c) {
                        if e.is_unsupported() {
                            return StepReport::skipped(lab, step, e.to_string());
                        }
                        error = Some(format!("[{node}] `{text}`: {e}"));
                        break;
                    }
                }
            }
            Action::Ping(p) => {
                trace::event(|| format!("traffic {}/{} ping {}", lab.name, step.name, p.ping));
                checks.push(run_ping(topo, p))
            }
            Action::Udp(u) => {
                trace::event(|| format!("traffic {}/{} udp {}", lab.name, step.name, u.udp));
                checks.push(run_udp(topo, u))
            }
            Action::Expect {
                id,
                e: e @ Expect::SameFrames { .. },
                ..
            } => deferred.push((id.clone(), e.clone())),
            Action::Cni(c) => checks.push(run_cni(topo, c)),
            Action::Daemon(d) => checks.push(run_daemon(topo, d)),
            Action::Expect {
                id,
                e,
                within_ms,
                raw,
            } => {
                trace::event(|| format!("assert {}/{} {}", lab.name, step.name, e.describe()));
                let (what, outcome) = check_expect(topo, e, raw.as_ref(), *within_ms);
                checks.push(CheckResult {
                    id: id.clone(),
                    what,
                    outcome,
                });
            }
        }
        if error.is_some() {
            break;
        }
    }
    // Captures without traffic still record the step (e.g. to show silence).
    if caps.is_none() && error.is_none() && !step.captures.is_empty() && !has_traffic {
        caps = start_caps(topo)
            .map_err(|e| error = Some(e.to_string()))
            .ok();
    }
    let mut captured: Vec<Captured> = vec![];
    for c in caps.unwrap_or_default() {
        match c.finish() {
            Ok(c) => captured.push(c),
            Err(e) => error = Some(e.to_string()),
        }
    }
    let mut cap_reports = vec![];
    trace::event(|| format!("fixtures {}/{}", lab.name, step.name));
    for (cp, cap) in step.captures.iter().zip(&captured) {
        let at = format!("{}:{}", cp.node, cp.iface);
        let shown = CaptureReport::new(at.clone(), cap.linktype, &cap.frames);
        let lines = shown.lines();
        if let Some(dir) = &opts.pcap_dir {
            let p = dir
                .join(&lab.name)
                .join(&step.name)
                .join(format!("{}-{}.pcapng", cp.node, cp.iface));
            if let Err(e) = cap.write_pcapng(
                &p,
                &format!(
                    "vethlab {}/{}: tcpdump -n -i {} in {}",
                    lab.name, step.name, cp.iface, cp.node
                ),
            ) {
                error.get_or_insert(e.to_string());
            }
        }
        if cap.dropped > 0 {
            checks.push(CheckResult {
                id: cp.id.clone(),
                what: format!("capture on {at} is complete"),
                outcome: Outcome::Fail(format!(
                    "the kernel dropped {} frames: the sequence is partial, not asserted",
                    cap.dropped
                )),
            });
        } else if let Some(f) = &cp.fixture {
            let expected: Result<Vec<_>> = f
                .lines
                .iter()
                .map(|l| expect::resolve(topo, &l.text).map(|t| (l.clone(), t)))
                .collect();
            let outcome = match expected {
                Err(e) => Outcome::Fail(e.to_string()),
                Ok(exp) => match expect::match_lines(&exp, &lines) {
                    Ok(()) => Outcome::Pass(format!(
                        "{} lines captured, fixture {} matched",
                        lines.len(),
                        f.path.display()
                    )),
                    Err(diff) => Outcome::Fail(diff),
                },
            };
            checks.push(CheckResult {
                id: cp.id.clone(),
                what: format!("capture on {at} matches the fixture"),
                outcome,
            });
        }
        cap_reports.push(shown);
    }
    for (id, e) in deferred {
        if let Expect::SameFrames { a, b } = &e {
            let get = |p: &str| cap_reports.iter().find(|c| c.at == *p).map(|c| &c.frames);
            let outcome = match (get(a), get(b)) {
                (Some(x), Some(y))
                    if !x.is_empty()
                        && x.iter()
                            .map(|f| &f.frame.data)
                            .eq(y.iter().map(|f| &f.frame.data)) =>
                {
                    Outcome::Pass(format!(
                        "{} frames, byte for byte the same on both ends",
                        x.len()
                    ))
                }
                (Some(x), Some(y)) => Outcome::Fail(format!(
                    "{a}: {} frames, {b}: {} frames, not identical",
                    x.len(),
                    y.len()
                )),
                _ => Outcome::Fail("capture missing".into()),
            };
            checks.push(CheckResult {
                id,
                what: e.describe(),
                outcome,
            });
        }
    }
    let failed = error.is_some() || checks.iter().any(|c| matches!(c.outcome, Outcome::Fail(_)));
    StepReport {
        lab: lab.name.clone(),
        step: step.name.clone(),
        title: step.title.clone(),
        ids: step.ids(),
        status: if failed { Status::Fail } else { Status::Pass },
        checks,
        error,
        ms: t0.elapsed().as_millis(),
        captures: cap_reports,
        hint: step.hint.clone(),
    }
}

/// Check an expectation, with `{cni:…}` values filled in; with `within_ms`,
/// again after each change the node's kernel announces, until it holds or
/// time is up.
fn check_expect(
    topo: &Topo,
    e: &Expect,
    raw: Option<&Value>,
    within_ms: Option<u64>,
) -> (String, Outcome) {
    let e = match raw {
        None => e.clone(),
        Some(v) => {
            let filled = subst_value(topo, v).and_then(|v| {
                serde_json::from_value::<Expect>(v).map_err(|x| Error::other(x.to_string()))
            });
            match filled {
                Ok(e) => e,
                Err(x) => return (e.describe(), Outcome::Fail(x.to_string())),
            }
        }
    };
    let what = match within_ms {
        Some(ms) => format!("{} (within {ms} ms)", e.describe()),
        None => e.describe(),
    };
    let look = || match e.check(topo) {
        Ok(Ok(s)) => Outcome::Pass(s),
        Ok(Err(s)) => Outcome::Fail(s),
        Err(err) => Outcome::Fail(err.to_string()),
    };
    let first = look();
    // Kernel state settles by itself after a command returns (a bridge's
    // operstate on 6.1, a neighbour entry's last transition): a miss is
    // looked at again on each change the node announces, for a bounded time.
    let window = within_ms.or(e.settles().then_some(SETTLE_MS)).unwrap_or(0);
    if matches!(first, Outcome::Pass(_)) || window == 0 {
        return (what, first);
    }
    let deadline = Instant::now() + Duration::from_millis(window);
    // Subscribed before the next look, so no change between look and wait is
    // missed. Host-local's files (ipam) announce nothing: those re-look every
    // 20 ms.
    let changes = e
        .nodes()
        .first()
        .and_then(|n| topo.node(n).ok()?.changes().ok());
    loop {
        let outcome = look();
        if matches!(outcome, Outcome::Pass(_)) || Instant::now() >= deadline {
            return (what, outcome);
        }
        match &changes {
            Some(c) => {
                c.wait(deadline);
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// How long kernel state that misses is awaited before it fails.
const SETTLE_MS: u64 = 2000;

fn subst_value(topo: &Topo, v: &Value) -> Result<Value> {
    Ok(match v {
        Value::String(s) => Value::String(topo.subst(s)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| subst_value(topo, x))
                .collect::<Result<_>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), subst_value(topo, x)?)))
                .collect::<Result<_>>()?,
        ),
        x => x.clone(),
    })
}

/// A CNI command for one pod; the plugin's own error text on failure.
fn run_cni(topo: &mut Topo, c: &CniSpec) -> CheckResult {
    let what = format!(
        "CNI {} {} for {} ({} in {})",
        c.cni,
        c.config["type"].as_str().unwrap_or("?"),
        c.alias.as_deref().unwrap_or(&c.netns),
        c.ifname,
        c.node
    );
    let r = (|| -> Result<String> {
        let scratch = topo.scratch()?;
        let mut conf = c.config.clone();
        conf["cniVersion"] = conf
            .get("cniVersion")
            .cloned()
            .unwrap_or(Value::from("0.4.0"));
        // host-local keeps its state in the run's scratch, never /var/lib/cni.
        if conf["ipam"]["type"] == "host-local" {
            conf["ipam"]["dataDir"] = Value::from(scratch.join("ipam").display().to_string());
        }
        let pod = topo.node(&c.netns)?;
        let netns = PathBuf::from(format!("/proc/{}/fd/{}", std::process::id(), pod.raw_fd()));
        let id = c.alias.clone().unwrap_or(c.netns.clone());
        let inv = crate::cni::Invocation {
            command: &c.cni,
            container_id: &id,
            netns: &netns,
            ifname: &c.ifname,
        };
        let res = crate::cni::invoke(topo.node(&c.node)?, &conf, &inv);
        topo.forget_indexes();
        let res = res?;
        if c.cni == "ADD" {
            let host = crate::cni::host_iface(&res).unwrap_or_default();
            let (ip, gw) = crate::cni::first_ip(&res);
            let alias = c.alias.clone().unwrap_or(c.netns.clone());
            topo.set_var(&format!("cni:{alias}.host"), &host);
            topo.set_var(&format!("cni:{alias}.ip"), ip.as_deref().unwrap_or(""));
            topo.set_var(
                &format!("cni:{alias}.addr"),
                ip.as_deref()
                    .and_then(|i| i.split('/').next())
                    .unwrap_or(""),
            );
            topo.set_var(&format!("cni:{alias}.gateway"), gw.as_deref().unwrap_or(""));
            return Ok(format!(
                "host side {host}, {} gateway {}",
                ip.unwrap_or_default(),
                gw.unwrap_or_default()
            ));
        }
        Ok("done".into())
    })();
    CheckResult {
        id: c.id.clone(),
        what,
        outcome: match r {
            Ok(s) => Outcome::Pass(s),
            Err(e) => Outcome::Fail(e.to_string()),
        },
    }
}

/// Start a daemon (BIRD) in a node, its configuration checked first so a
/// mistake shows BIRD's own message.
fn run_daemon(topo: &mut Topo, d: &DaemonSpec) -> CheckResult {
    let what = format!("{} runs in {}", d.daemon, d.node);
    let r = (|| -> Result<String> {
        let dir = topo.scratch()?;
        let conf = dir.join(format!("{}-{}.conf", d.daemon, d.node));
        let ctl = dir.join(format!("{}-{}.ctl", d.daemon, d.node));
        let text = d
            .config
            .iter()
            .map(|l| topo.subst(l))
            .collect::<Result<Vec<_>>>()?
            .join("\n");
        std::fs::write(&conf, text + "\n")
            .map_err(|e| Error::io(format!("write {}", conf.display()), e))?;
        let bin = DAEMONS
            .iter()
            .find(|(n, _, _)| *n == d.daemon)
            .map(|(_, p, _)| *p)
            .unwrap_or_default();
        let parse = std::process::Command::new(bin)
            .args(["-p", "-c"])
            .arg(&conf)
            .output()
            .map_err(|e| Error::io(format!("run {bin}"), e))?;
        if !parse.status.success() {
            return Err(Error::other(format!(
                "{bin} -p: {}",
                String::from_utf8_lossy(&parse.stderr).trim()
            )));
        }
        let argv: Vec<String> = [bin, "-f", "-c"]
            .iter()
            .map(|s| s.to_string())
            .chain([
                conf.display().to_string(),
                "-s".into(),
                ctl.display().to_string(),
            ])
            .collect();
        topo.spawn_daemon(&d.node, &argv)?;
        Ok(format!("{bin} -f -c {}", conf.display()))
    })();
    CheckResult {
        id: d.id.clone(),
        what,
        outcome: match r {
            Ok(s) => Outcome::Pass(s),
            Err(e) => Outcome::Fail(e.to_string()),
        },
    }
}

fn run_ping(topo: &Topo, p: &PingSpec) -> CheckResult {
    let what = format!(
        "ping {} from {}{}{}",
        p.ping,
        p.from,
        p.dev
            .as_ref()
            .map(|d| format!(" -I {d}"))
            .unwrap_or_default(),
        match p.result {
            PingResultWanted::Reply => p
                .ttl
                .map(|t| format!(" replies with ttl {t}"))
                .unwrap_or(" replies".into()),
            PingResultWanted::Fail => " fails".into(),
        }
    );
    let spec = traffic::Ping {
        dst: p.ping,
        count: p.count.unwrap_or(1),
        dev: p.dev.clone(),
        timeout: Duration::from_millis(p.timeout_ms.unwrap_or(2000)),
    };
    let outcome = match topo.node(&p.from).and_then(|ns| traffic::ping(ns, &spec)) {
        Err(e) => Outcome::Fail(e.to_string()),
        Ok(r) => {
            let s = r.summary(p.ping);
            let all = r.replies.len() == r.sent as usize && r.sent > 0;
            let ttl_ok = p.ttl.is_none_or(|t| r.replies.iter().all(|x| x.ttl == t));
            match p.result {
                PingResultWanted::Reply if all && ttl_ok => Outcome::Pass(s),
                PingResultWanted::Fail if r.replies.is_empty() => Outcome::Pass(s),
                _ => Outcome::Fail(s),
            }
        }
    };
    CheckResult {
        id: p.id.clone(),
        what,
        outcome,
    }
}

fn run_udp(topo: &Topo, u: &UdpSpec) -> CheckResult {
    let listen = u
        .listen
        .unwrap_or(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, u.udp.port()));
    let what = format!(
        "UDP {} from {} to a server in {} on {listen}",
        u.udp, u.from, u.server
    );
    let r = topo.node(&u.server).and_then(|s| {
        let c = topo.node(&u.from)?;
        traffic::udp_exchange(s, listen, c, u.udp, Duration::from_secs(2))
    });
    let outcome = match r {
        Ok(x) => Outcome::Pass(format!(
            "sent \"{}\", got \"{}\" from {}",
            x.request, x.reply, x.reply_from
        )),
        Err(e) => Outcome::Fail(e.to_string()),
    };
    CheckResult {
        id: u.id.clone(),
        what,
        outcome,
    }
}
