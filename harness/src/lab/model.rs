//! The lab model: a lab, its nodes and steps, and what each step does.

use crate::iproute::cmd::Cmd;
use crate::lab::expect::Expect;
use crate::lab::fixture::Fixture;
use serde::Deserialize;
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;

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
    /// The step's own set-up, on top of what earlier steps built (possibly
    /// a deliberately broken state), with observations of that state.
    pub given: Vec<Action>,
    /// The reference solution (commands, CNI calls, daemons) and the check
    /// (traffic and expectations), in the order a full run takes them.
    pub actions: Vec<Action>,
    pub captures: Vec<CapturePoint>,
    pub task: Option<String>,
    /// The first hint (what a failed check prints).
    pub hint: Option<String>,
    /// Every hint, from vague to the answer: `vethlab hint` shows the next.
    pub hints: Vec<String>,
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
    /// A question the learner answers with `vethlab answer X`.
    Answer(AnswerSpec),
}

impl Action {
    /// What changes the lab (the learner's part): a command, a CNI call, a
    /// daemon. Everything else (traffic, expectations, answers) only looks.
    pub fn is_solution(&self) -> bool {
        matches!(
            self,
            Action::Cmd { .. } | Action::Cni(_) | Action::Daemon(_)
        )
    }
}

/// `{"answer": "peer", "node": N, "dev": D}`: the name of `N:D`'s veth
/// peer, read from the kernel (IFLA_LINK in the peer's namespace) when the
/// check runs, never written in the lab file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerSpec {
    /// What is asked.
    pub answer: AnswerKind,
    /// The node of the interface the question is about.
    pub node: String,
    /// The interface the question is about.
    pub dev: String,
    /// The node where the peer must be (default: any).
    #[serde(rename = "in")]
    pub peer_node: Option<String>,
    /// The observation the answer proves.
    pub id: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    /// The peer interface's name.
    Peer,
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
        for a in self.given.iter().chain(&self.actions) {
            match a {
                Action::Answer(x) => add(&x.id),
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

    /// The article commands of this step (its set-up and its solution), as written.
    pub fn commands(&self) -> impl Iterator<Item = (&str, &str)> {
        self.given
            .iter()
            .chain(&self.actions)
            .filter_map(|a| match a {
                Action::Cmd { node, text, .. } => Some((node.as_str(), text.as_str())),
                _ => None,
            })
    }
}

impl Step {
    /// The reference solution: what the learner is to do, in order.
    pub fn solution(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| a.is_solution())
    }

    /// The check: traffic, expectations and answers of `do`, in order.
    pub fn check(&self) -> impl Iterator<Item = &Action> {
        self.actions.iter().filter(|a| !a.is_solution())
    }

    /// The task as the learner reads it: the lab's words, or else the title.
    pub fn task_text(&self) -> &str {
        self.task.as_deref().unwrap_or(&self.title)
    }
}
