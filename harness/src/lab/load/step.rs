//! The checks a lab file's steps go through as they load: nodes known when
//! used, devices present when named, fields in range, capture points real.
//! Every error names file:line:column and the step and item.

use super::fixtures_base;
use super::{all_node_names, features, in_range, limits, strip_pos, RawLab, RawStep};
use crate::error::{Error, Result};
use crate::iproute::cmd::{self, Cmd};
use crate::iproute::devices::Devices;
use crate::lab::expect::{split_at, Expect};
use crate::lab::model::*;
use crate::lab::spans::{token, Spans};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Positions of JSON values in the file, for file:line:col messages: kept
/// while scanning, so a lookup costs no rescan (a per-item search of the
/// text made a 100 000-command lab take 37 s to report its last line).
pub(super) struct Locator<'a> {
    pub(super) path: &'a Path,
    pub(super) spans: Spans,
}

impl Locator<'_> {
    pub(super) fn at(&self, off: usize) -> String {
        let (l, c) = self.spans.line_col(off);
        format!("{}:{l}:{c}", self.path.display())
    }
    /// Where the value at `pointer` starts, or else `fallback`.
    pub(super) fn value(&self, pointer: &str, fallback: usize) -> usize {
        self.spans.value(pointer).unwrap_or(fallback)
    }
}

/// What the file has declared so far: nodes and the devices in each.
pub(super) struct Known {
    pub(super) node_set: HashSet<String>,
    /// Every node the file ever makes, to tell "used too early" from "unknown".
    pub(super) all_nodes: Vec<String>,
    default_node: String,
    pub(super) devs: Devices,
}

pub(super) struct Loader<'a> {
    pub(super) loc: Locator<'a>,
    /// The directory fixtures are opened beneath, and their path under it.
    pub(super) fixtures: (PathBuf, PathBuf),
    pub(super) known: Known,
    /// The caller's options (`--bless`).
    pub(super) opts: super::LoadOptions,
}

/// Whether a capture point's device exists at the step's first traffic.
pub(super) type CapState = Vec<std::result::Result<(), String>>;

impl<'a> Loader<'a> {
    pub(super) fn new(path: &'a Path, spans: Spans, raw: &RawLab) -> Result<Loader<'a>> {
        let loc = Locator { path, spans };
        // Membership by hash: a lab may make thousands of pods.
        let mut node_set: HashSet<String> = HashSet::new();
        let mut devs = Devices::default();
        for (ni, n) in raw.nodes.iter().map(|n| n.name()).enumerate() {
            if !node_set.insert(n.to_string()) {
                return Err(Error::input(
                    loc.at(loc.value(&format!("/nodes/{ni}"), 0)),
                    format!("node `{n}` is declared twice"),
                ));
            }
            devs.add_node(n);
        }
        let Some(default_node) = raw.nodes.first().map(|n| n.name().to_string()) else {
            return Err(Error::input(
                loc.at(loc.value("/nodes", 0)),
                "a lab needs at least one node (the first runs commands that name none)",
            ));
        };
        Ok(Loader {
            loc,
            fixtures: fixtures_base(path, &raw.lab),
            known: Known {
                node_set,
                all_nodes: all_node_names(raw),
                default_node,
                devs,
            },
            opts: Default::default(),
        })
    }

    /// One step, checked in the order its items run.
    pub(super) fn step(&mut self, si: usize, rs: &RawStep) -> Result<Step> {
        let sp = format!("/steps/{si}");
        let soff = self.loc.value(&sp, 0);
        let mut requires = self.requires(rs, soff)?;
        if rs.actions.is_empty() && rs.given.is_empty() && rs.capture.is_empty() {
            return Err(Error::input(
                self.loc.at(soff),
                format!(
                    "step `{}` does nothing and expects nothing: it could never fail (give it `do` items or `capture` points)",
                    rs.name
                ),
            ));
        }
        // Capture points must exist when the captures start, at the first
        // traffic: checked then (a copy of every device per step would make
        // a long lab quadratic).
        let mut caps_at_traffic: Option<CapState> = None;
        let mut lists: [Vec<Action>; 2] = [vec![], vec![]];
        for (li, (key, items)) in [("given", &rs.given), ("do", &rs.actions)]
            .into_iter()
            .enumerate()
        {
            let origins = if li == 0 {
                &rs.given_origin
            } else {
                &rs.actions_origin
            };
            for (ii, v) in items.iter().enumerate() {
                // The item as written: for a row of an `each`, its template.
                let (ip, row) = match origins.get(ii) {
                    Some(o) => (o.pointer.clone(), o.row.as_ref().map(|r| r.0)),
                    None => (format!("{sp}/{key}/{ii}"), None),
                };
                let n = ip
                    .strip_prefix(&format!("{sp}/{key}/"))
                    .and_then(|r| r.split('/').next())
                    .and_then(|x| x.parse::<usize>().ok())
                    .unwrap_or(ii);
                let it = ItemAt {
                    loc: &self.loc,
                    rs,
                    list: if li == 0 { "given item" } else { "item" },
                    n: n + 1,
                    row,
                    ioff: self.loc.value(&ip, soff),
                    ip,
                };
                let action = it.action(&mut self.known, v, &mut requires)?;
                if matches!(action, Action::Ping(_) | Action::Udp(_)) {
                    caps_at_traffic.get_or_insert_with(|| cap_state(&self.known.devs, rs));
                }
                lists[li].push(action);
            }
        }
        let [given, actions] = lists;
        let at_traffic = caps_at_traffic.unwrap_or_else(|| cap_state(&self.known.devs, rs));
        let captures = self.captures(rs, &sp, soff, at_traffic)?;
        // Commands, CNI calls and daemons change the lab; only traffic,
        // expectations, answers and captures judge it. Without one, the
        // step passes (and `vethlab check` says "Well done") whatever the
        // learner did.
        if captures.is_empty() && given.iter().chain(&actions).all(Action::is_solution) {
            return Err(Error::input(
                self.loc.at(soff),
                format!(
                    "step `{}` has nothing to judge: its items only change the lab, so it could never fail (add a ping, an `expect` or a capture point)",
                    rs.name
                ),
            ));
        }
        self.find_has_traffic(rs, soff, &actions)?;
        Ok(Step {
            name: rs.name.clone(),
            title: rs.title.clone(),
            requires,
            given,
            actions,
            captures,
            task: rs.task.clone(),
            hint: rs.hint.as_ref().and_then(|h| h.list().into_iter().next()),
            hints: rs.hint.as_ref().map(|h| h.list()).unwrap_or_default(),
            find: rs.find,
        })
    }

    /// `"find": true` hides the cause behind the step's traffic: there must
    /// be traffic to name instead.
    fn find_has_traffic(&self, rs: &RawStep, soff: usize, actions: &[Action]) -> Result<()> {
        if rs.find && !actions.iter().any(Action::is_traffic) {
            return Err(Error::input(
                self.loc.at(soff),
                format!(
                    "step `{}`: `find` needs a ping or udp in `do`: it is what a learner's check names while the cause stays hidden",
                    rs.name
                ),
            ));
        }
        Ok(())
    }

    /// The step's declared requirements, each a known feature.
    fn requires(&mut self, rs: &RawStep, soff: usize) -> Result<Vec<String>> {
        for f in &rs.requires {
            if !features().any(|k| k == f) {
                return Err(Error::input(
                    self.loc.at(soff),
                    format!(
                        "step `{}`: unknown requirement `{f}` (known: {})",
                        rs.name,
                        features().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        self.known.devs.ipip |= rs.requires.iter().any(|f| f == "ipip");
        Ok(rs.requires.clone())
    }
}

fn cap_state(devs: &Devices, rs: &RawStep) -> CapState {
    rs.capture
        .keys()
        .map(|p| match split_at(p) {
            Some((n, i)) => devs.need(n, i),
            None => Ok(()),
        })
        .collect()
}

/// One item of a step's `do` list, with what it needs to say where it is.
pub(super) struct ItemAt<'a> {
    loc: &'a Locator<'a>,
    rs: &'a RawStep,
    /// "item" (of `do`) or "given item".
    list: &'static str,
    /// 1-based position in its list.
    n: usize,
    /// For an item of an `each`: the row (0-based) it was made for.
    row: Option<usize>,
    /// JSON pointer of the item (the template's, for a row of an `each`).
    ip: String,
    ioff: usize,
}

impl ItemAt<'_> {
    pub(super) fn err_at(&self, off: usize, m: String) -> Error {
        Error::input(
            self.loc.at(off),
            match self.row {
                Some(r) => format!(
                    "step `{}`, {} {} (row {} of its `each`): {m}",
                    self.rs.name,
                    self.list,
                    self.n,
                    r + 1
                ),
                None => format!("step `{}`, {} {}: {m}", self.rs.name, self.list, self.n),
            },
        )
    }
    pub(super) fn err(&self, m: String) -> Error {
        self.err_at(self.ioff, m)
    }
    /// Where field `k` of the item starts.
    pub(super) fn field(&self, k: &str) -> usize {
        self.loc.value(&format!("{}/{k}", self.ip), self.ioff)
    }
    /// Where serde's "unknown field `k`" points: at the key, not the item.
    fn unknown_key(&self, m: &str) -> Option<usize> {
        m.strip_prefix("unknown field `")
            .and_then(|r| r.split('`').next())
            .and_then(|k| self.loc.spans.key(&format!("{}/{}", self.ip, token(k))))
    }
    /// The item as `T`, parsed from its own text so serde's position (the
    /// bad value) is made absolute.
    pub(super) fn typed<T: serde::de::DeserializeOwned>(&self, what: &str, v: &Value) -> Result<T> {
        // A row of an `each` is its template filled in, and a step's `id`
        // is added to its items: parse the value then (the text lacks both).
        let as_written = self.row.is_none() && self.rs.id.is_none();
        let text = self.loc.spans.text_of(&self.ip).filter(|_| as_written);
        let r = match text {
            Some((base, t)) => serde_json::from_str(t).map_err(|e| (Some(base), e)),
            None => serde_json::from_value(v.clone()).map_err(|e| (None, e)),
        };
        r.map_err(|(base, e)| {
            let m = e.to_string();
            let off = self
                .unknown_key(&m)
                .or_else(|| {
                    base.map(|b| {
                        let spans = &self.loc.spans;
                        spans.start_of(spans.absolute(b, e.line(), e.column()))
                    })
                })
                .unwrap_or(self.ioff);
            self.err_at(off, format!("{what}: {}", strip_pos(&m)))
        })
    }
    /// `n` is a node by now.
    pub(super) fn known(&self, k: &Known, n: &str) -> Result<()> {
        if k.node_set.contains(n) {
            Ok(())
        } else if k.all_nodes.iter().any(|x| x == n) {
            Err(self.err(format!(
                "node `{n}` is used before the step that creates it (`ip netns add {n}`)"
            )))
        } else {
            let mut names: Vec<&str> = k.node_set.iter().map(String::as_str).collect();
            names.sort_unstable();
            Err(self.err(format!("unknown node `{n}` (nodes: {})", names.join(", "))))
        }
    }
    /// A field holding an address where only IPv4 goes (UDP): IPv6 is
    /// refused with its position.
    fn no_v6(&self, m: &Map<String, Value>, k: &str, what: &str) -> Result<()> {
        let v6 = |a: &&str| {
            a.starts_with('[') || a.matches(':').count() > usize::from(k == "udp" || k == "listen")
        };
        match m.get(k).and_then(Value::as_str).filter(v6) {
            Some(a) => Err(self.err_at(
                self.field(k),
                format!("{what}: `{a}`: IPv6 is not supported here (UDP exchanges are IPv4 only; ping takes IPv6)"),
            )),
            None => Ok(()),
        }
    }

    fn action(&self, k: &mut Known, v: &Value, requires: &mut Vec<String>) -> Result<Action> {
        match v {
            Value::String(s) => self.command(k, s, requires),
            Value::Object(m) if m.contains_key("ping") => self.ping(k, v),
            Value::Object(m) if m.contains_key("udp") => self.udp(k, v, m),
            Value::Object(m) if m.contains_key("expect") => self.expect(k, m),
            Value::Object(m) if m.contains_key("cni") => self.cni(k, v),
            Value::Object(m) if m.contains_key("daemon") => self.daemon(k, v),
            Value::Object(m) if m.contains_key("answer") => self.answer(k, v),
            _ => Err(self.err("expected an ip command (a string), or an object with `ping`, `udp`, `expect`, `cni`, `daemon` or `answer`".into())),
        }
    }

    /// An article command: parsed, its nodes and devices tracked.
    fn command(&self, k: &mut Known, s: &str, requires: &mut Vec<String>) -> Result<Action> {
        let line = cmd::parse(s).map_err(|m| self.err(format!("`{s}`: {m}")))?;
        let node = line.node.clone().unwrap_or(k.default_node.clone());
        for c in &line.cmds {
            // A kind beyond veth and bridge is a requirement, decided before
            // anything is built.
            if let Cmd::LinkAdd { kind, .. } = c {
                let kn = kind.name();
                if features().any(|f| f == kn) && !requires.iter().any(|r| r == kn) {
                    requires.push(kn.to_string());
                }
            }
            if let Cmd::NetnsAdd(n) = c {
                if !k.node_set.insert(n.clone()) {
                    return Err(self.err(format!("`{s}`: node `{n}` already exists")));
                }
                k.devs.add_node(n);
                continue;
            }
            self.known(k, &node)?;
            for n in c.nodes() {
                self.known(k, n)?;
            }
            k.devs
                .apply(&node, c)
                .map_err(|m| self.err(format!("`{s}`: {m}")))?;
        }
        Ok(Action::Cmd {
            node,
            text: s.to_string(),
            cmds: line.cmds,
        })
    }

    fn ping(&self, k: &Known, v: &Value) -> Result<Action> {
        let p: PingSpec = self.typed("ping", v)?;
        if let (std::net::IpAddr::V6(a), None) = (p.ping, &p.dev) {
            if a.is_unicast_link_local() {
                return Err(self.err_at(
                    self.field("ping"),
                    format!("ping: `{a}` is link-local: name the interface it is on (`\"dev\"`), as `ping {a}%DEV` does"),
                ));
            }
        }
        self.known(k, &p.from)?;
        if let Some(c) = p.count {
            in_range("count", c.into(), limits::PING_COUNT).map_err(|e| {
                self.err_at(
                    self.field("count"),
                    format!("ping: {e} (zero pings assert nothing)"),
                )
            })?;
        }
        if let Some(t) = p.timeout_ms {
            in_range("timeout_ms", t, limits::TIMEOUT_MS).map_err(|e| {
                self.err_at(
                    self.field("timeout_ms"),
                    format!("ping: {e} (shorter cannot tell a failure from no time to answer)"),
                )
            })?;
        }
        if let Some(d) = &p.dev {
            k.devs
                .need(&p.from, d)
                .map_err(|e| self.err(format!("ping -I: {e}")))?;
        }
        Ok(Action::Ping(p))
    }

    fn udp(&self, k: &Known, v: &Value, m: &Map<String, Value>) -> Result<Action> {
        for f in ["udp", "listen"] {
            self.no_v6(m, f, "udp")?;
        }
        let u: UdpSpec = self.typed("udp", v)?;
        self.known(k, &u.server)?;
        self.known(k, &u.from)?;
        Ok(Action::Udp(u))
    }

    fn expect(&self, k: &Known, m: &Map<String, Value>) -> Result<Action> {
        let mut m = m.clone();
        let id = match m.remove("id") {
            None => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(self.err("`id` must be a string such as \"O2.1\"".into())),
        };
        let within_ms = match m.remove("within_ms") {
            None => None,
            Some(v) => {
                let at = self.field("within_ms");
                let ms = v.as_u64().ok_or_else(|| {
                    self.err_at(at, "`within_ms` must be a number of milliseconds".into())
                })?;
                in_range("within_ms", ms, limits::WITHIN_MS)
                    .map_err(|e| self.err_at(at, format!("{e} (omit it to check once)")))?;
                Some(ms)
            }
        };
        let raw = Value::Object(m.clone());
        let raw = raw.to_string().contains("{cni:").then_some(raw);
        let e: Expect = serde_json::from_value(Value::Object(m)).map_err(|e| {
            let msg = e.to_string();
            self.err_at(
                self.unknown_key(&msg).unwrap_or(self.ioff),
                format!("expect: {msg}"),
            )
        })?;
        for n in e.nodes() {
            self.known(k, n)?;
        }
        for (n, d) in e.devices() {
            if !d.contains("{cni:") {
                k.devs
                    .need(n, d)
                    .map_err(|m| self.err(format!("expect {}: {m}", e.describe())))?;
            }
        }
        if let Some(why) = e.vacuous() {
            return Err(self.err(format!("expect {}: {why}", e.describe())));
        }
        if let Some(m) = e.mistake() {
            return Err(self.err(format!("expect {}: {m}", e.describe())));
        }
        for p in e.capture_points() {
            if !self.rs.capture.contains_key(p) {
                return Err(self.err(format!(
                    "{}: `{p}` is not among this step's capture points",
                    e.tag()
                )));
            }
        }
        Ok(Action::Expect {
            id,
            e,
            within_ms,
            raw,
        })
    }
}
