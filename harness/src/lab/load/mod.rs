//! Loading a lab file: JSON with positions, limits and validation, so every
//! mistake is one message with file:line:column.

use super::model::*;
use crate::error::{Error, Result};
use crate::iproute::cmd::{self, Cmd};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use step::Loader;

// One step's items checked in order (nodes, devices, ranges), and the
// items that call real components and capture points.
mod captures;
mod items;
mod step;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests6;

/// A lab file: the topology a field note describes, rebuilt in steps.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "vethlab lab file")]
pub(super) struct RawLab {
    /// The JSON Schema this file follows (for editors; not used by a run).
    #[serde(rename = "$schema", default)]
    #[allow(dead_code)]
    pub(super) schema: Option<String>,
    /// Short name, used on the command line, in reports and as the fixtures' directory.
    pub(super) lab: String,
    /// One-line title.
    pub(super) title: String,
    /// The field notes the lab rebuilds (e.g. `"004"`).
    #[serde(default)]
    pub(super) seeds: Vec<String>,
    #[serde(default)]
    /// Prose for readers of the file; not used by a run.
    #[allow(dead_code)]
    pub(super) about: Option<String>,
    /// The machines: one network namespace each, `lo` up; the first runs commands that name no node.
    pub(super) nodes: Vec<NodeDecl>,
    /// The steps, in the order a run takes them.
    pub(super) steps: Vec<RawStep>,
}

/// One step: a task on the state earlier steps built, and its check.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    /// Short name, unique in the lab (also its fixtures' directory).
    pub(super) name: String,
    /// One-line title.
    pub(super) title: String,
    /// Optional kernel features (link kinds such as `ipip`, `vxlan`) the step needs; missing ones skip it.
    #[serde(default)]
    pub(super) requires: Vec<String>,
    /// This step's own set-up (and observations of it), before the task.
    #[serde(default)]
    #[schemars(with = "Vec<super::schema::Item>")]
    pub(super) given: Vec<Value>,
    /// The solution (commands, CNI calls, daemons) and the check (everything else).
    #[serde(rename = "do")]
    #[schemars(with = "Vec<super::schema::Item>")]
    pub(super) actions: Vec<Value>,
    /// Capture points `NODE:IFACE`, each with the observation id its fixture proves (or null).
    #[serde(default)]
    pub(super) capture: BTreeMap<String, Option<String>>,
    /// What the learner is asked to do (default: the title).
    pub(super) task: Option<String>,
    /// A hint, or hints from a nudge to the answer (`vethlab hint` shows the next).
    pub(super) hint: Option<Hints>,
    /// The task is to find what is wrong: while the check's traffic fails, a
    /// learner's check names that consequence only, never the cause it found.
    #[serde(default)]
    pub(super) find: bool,
    #[serde(default)]
    /// Prose for readers of the file; not used by a run.
    #[allow(dead_code)]
    pub(super) why: Option<String>,
    /// The observation id of every item of the step that names none.
    pub(super) id: Option<String>,
    /// Where each item of `given` came from (after `each` expansion).
    #[serde(skip)]
    pub(super) given_origin: Vec<super::expand::Origin>,
    /// Where each item of `do` came from (after `each` expansion).
    #[serde(skip)]
    pub(super) actions_origin: Vec<super::expand::Origin>,
}

/// `"hint": "one"` or `"hint": ["vague", "closer", "the answer"]`.
#[derive(Deserialize, Clone, schemars::JsonSchema)]
#[serde(untagged)]
pub(super) enum Hints {
    One(String),
    Many(Vec<String>),
}

impl Hints {
    pub(super) fn list(&self) -> Vec<String> {
        match self {
            Hints::One(s) => vec![s.clone()],
            Hints::Many(v) => v.clone(),
        }
    }
}

/// How a lab file is read: the caller's choices, passed in (the library
/// keeps no process-wide setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `vethlab run --bless`: a capture point whose fixture does not exist
    /// yet is what the bless will write, not an error.
    pub bless: bool,
}

/// Features a step may declare in `requires` (the optional link kinds).
pub fn features() -> impl Iterator<Item = &'static str> {
    crate::model::link::OPTIONAL_KINDS.iter().map(|(k, _)| *k)
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
    /// Steps in one lab: real labs have tens; a generated topology of
    /// thousands of pods fits. Each step costs a run about a millisecond
    /// and some memory even when trivial (100 000 took 118 s and 431 MiB).
    pub const STEPS: usize = 25_000;
    /// Items (`given` and `do`, all steps together) in one lab.
    pub const ITEMS: usize = 250_000;
    /// Capture points of one step (all open at once, each with its kernel
    /// ring): real steps have one to four.
    pub const CAPTURE_POINTS_PER_STEP: usize = 64;
    /// Capture points of one lab, all steps together (their frames are
    /// kept for the reports).
    pub const CAPTURE_POINTS: usize = 4096;
    /// Kernel capture memory of one step: its points times the buffer each
    /// gets (2 MiB unless `--capture-buffer` says otherwise).
    pub const CAPTURE_MEMORY: u64 = 512 << 20;
}

/// `Err` with the allowed range when `v` is outside `[lo, hi]`.
pub(super) fn in_range(
    what: &str,
    v: u64,
    (lo, hi): (u64, u64),
) -> std::result::Result<(), String> {
    if v < lo || v > hi {
        return Err(format!("`{what}` is {v}; allowed: {lo} to {hi}"));
    }
    Ok(())
}

impl Lab {
    /// Load and check a lab file; fixtures come from `<root>/fixtures/<lab>`
    /// for `<root>/labs/<lab>/lab.json`, or else `fixtures/` beside it.
    pub fn load(path: &Path) -> Result<Lab> {
        Lab::load_with(path, LoadOptions::default())
    }

    /// [`Lab::load`] with options (`--bless`).
    pub fn load_with(path: &Path, opts: LoadOptions) -> Result<Lab> {
        let text =
            crate::lab::input::read_text(path, "lab file", crate::lab::input::MAX_LAB_BYTES)?;
        Lab::parse_with(path, &text, opts)
    }

    /// Check a lab given as text. `path` names it in messages and locates
    /// its fixtures (see [`Lab::load`]); it need not exist when the lab has
    /// no fixtures.
    pub fn parse(path: &Path, text: &str) -> Result<Lab> {
        Lab::parse_with(path, text, LoadOptions::default())
    }

    /// [`Lab::parse`] with options (`--bless`).
    pub fn parse_with(path: &Path, text: &str, opts: LoadOptions) -> Result<Lab> {
        let mut raw = parse_raw(path, text)?;
        let spans = crate::lab::spans::Spans::scan(text);
        if let Some(off) = spans.duplicate_key() {
            let (l, c) = spans.line_col(off);
            return Err(Error::input(
                format!("{}:{l}:{c}", path.display()),
                "this key is given twice in the same object: only one would count (remove one)",
            ));
        }
        // Templates (`each`) and step ids first: everything after sees plain items.
        super::expand::expand(&mut raw, &|p| {
            let (l, c) = spans.line_col(spans.value(p).unwrap_or(0));
            format!("{}:{l}:{c}", path.display())
        })?;
        // Names, sysctl keys, plugins, daemon files: before anything is read or built.
        crate::lab::validate::check(path, text, &spans)?;
        let mut l = Loader::new(path, spans, &raw)?;
        l.opts = opts;

        if raw.steps.is_empty() {
            return Err(Error::input(
                l.loc.at(l.loc.value("/steps", 0)),
                "the lab has no steps: it would pass without asserting anything (add a step with traffic and expectations)",
            ));
        }
        bounds(&raw, &l)?;
        let mut steps: Vec<Step> = vec![];
        let mut step_names: HashSet<&str> = HashSet::new();
        for (si, rs) in raw.steps.iter().enumerate() {
            if !step_names.insert(rs.name.as_str()) {
                return Err(Error::input(
                    l.loc.at(l.loc.value(&format!("/steps/{si}"), 0)),
                    format!("step name `{}` is used twice", rs.name),
                ));
            }
            steps.push(l.step(si, rs)?);
        }
        Ok(Lab {
            name: raw.lab,
            title: raw.title,
            seeds: raw.seeds,
            path: path.to_path_buf(),
            nodes: raw.nodes.iter().map(|n| n.name().to_string()).collect(),
            ipv6_off: raw
                .nodes
                .iter()
                .filter(|n| !n.ipv6())
                .map(|n| n.name().to_string())
                .collect(),
            steps,
        })
    }

    /// Every ifindex a command of the lab asks for.
    pub fn indexes(&self) -> Vec<u32> {
        let mut m = vec![];
        for s in &self.steps {
            for a in s.given.iter().chain(&s.actions) {
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

    /// Whether a step's capture points, each with a kernel ring of `buffer`
    /// bytes, stay within [`limits::CAPTURE_MEMORY`] (checked when the
    /// buffer is chosen, before a run).
    pub fn check_capture_memory(&self, buffer: u64) -> Result<()> {
        let Some(s) = self.steps.iter().max_by_key(|s| s.captures.len()) else {
            return Ok(());
        };
        let need = s.captures.len() as u64 * buffer;
        if need > limits::CAPTURE_MEMORY {
            return Err(Error::input(
                "--capture-buffer",
                format!(
                    "{}/{}: {} capture points of {buffer} bytes each is {} MiB of kernel buffers; allowed: at most {} MiB per step (a smaller --capture-buffer)",
                    self.name,
                    s.name,
                    s.captures.len(),
                    need >> 20,
                    limits::CAPTURE_MEMORY >> 20
                ),
            ));
        }
        Ok(())
    }

    /// Every file the lab was read from: the lab file and its fixtures.
    pub fn inputs(&self) -> Vec<PathBuf> {
        let mut v = vec![self.path.clone()];
        for s in &self.steps {
            v.extend(
                s.captures
                    .iter()
                    .filter_map(|c| c.fixture.as_ref().map(|f| f.path.clone())),
            );
        }
        v
    }

    /// The position of the step named `name`, if the lab has one.
    pub fn step_index(&self, name: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.name == name)
    }
}

impl std::str::FromStr for Lab {
    type Err = Error;
    /// A lab from JSON text, its fixtures (if any) under `./fixtures/`.
    fn from_str(text: &str) -> Result<Lab> {
        Lab::parse(Path::new("lab.json"), text)
    }
}

/// The lab's size within [`limits`]: steps, items and capture points.
fn bounds(raw: &RawLab, l: &Loader) -> Result<()> {
    let over = |ptr: &str, what: String| Err(Error::input(l.loc.at(l.loc.value(ptr, 0)), what));
    if raw.steps.len() > limits::STEPS {
        return over(
            "/steps",
            format!(
                "{} steps; allowed: 1 to {} per lab (split the lab)",
                raw.steps.len(),
                limits::STEPS
            ),
        );
    }
    let (mut items, mut points) = (0, 0);
    for (si, s) in raw.steps.iter().enumerate() {
        items += s.given.len() + s.actions.len();
        points += s.capture.len();
        if items > limits::ITEMS {
            return over(
                &format!("/steps/{si}"),
                format!(
                    "more than {} items in the lab's steps; allowed: at most {} (split the lab)",
                    limits::ITEMS,
                    limits::ITEMS
                ),
            );
        }
        if s.capture.len() > limits::CAPTURE_POINTS_PER_STEP {
            return over(
                &format!("/steps/{si}/capture"),
                format!(
                    "step `{}`: {} capture points; allowed: at most {} per step (each holds a kernel ring, 2 MiB by default)",
                    s.name,
                    s.capture.len(),
                    limits::CAPTURE_POINTS_PER_STEP,
                ),
            );
        }
        if points > limits::CAPTURE_POINTS {
            return over(
                &format!("/steps/{si}/capture"),
                format!(
                    "more than {} capture points in the lab; allowed: at most {}",
                    limits::CAPTURE_POINTS,
                    limits::CAPTURE_POINTS
                ),
            );
        }
    }
    Ok(())
}

/// The file as JSON, with the first syntax or shape error located.
fn parse_raw(path: &Path, text: &str) -> Result<RawLab> {
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
    serde_json::from_str(text).map_err(|e| {
        Error::input(
            format!("{}:{}:{}", path.display(), e.line(), e.column()),
            strip_pos(&e.to_string()),
        )
    })
}

pub(super) fn strip_pos(s: &str) -> String {
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

pub(super) fn all_node_names(raw: &RawLab) -> Vec<String> {
    let mut v: Vec<String> = raw.nodes.iter().map(|n| n.name().to_string()).collect();
    for s in &raw.steps {
        for a in s.given.iter().chain(&s.actions) {
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

/// Where the fixtures of lab `name` at `lab_path` live: `<root>/fixtures/<name>` for
/// `<root>/labs/<name>/lab.json` when that exists, else `fixtures/` beside the file.
pub fn fixtures_dir(lab_path: &Path, name: &str) -> PathBuf {
    let (base, rel) = fixtures_base(lab_path, name);
    base.join(rel)
}

/// [`fixtures_dir`] as the directory of the lab's tree and the path beneath
/// it: fixtures are opened (and blessed) only beneath that directory,
/// never through a symlink (`<root>` for the shared layout, else the lab's
/// own directory).
pub fn fixtures_base(lab_path: &Path, name: &str) -> (PathBuf, PathBuf) {
    let dir = lab_path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let root = dir.join("../..");
    if root.join("fixtures").join(name).is_dir() {
        (root, Path::new("fixtures").join(name))
    } else {
        (dir.to_path_buf(), PathBuf::from("fixtures"))
    }
}
