//! The lab model: a lab, its nodes and steps, and what each step does.

use crate::iproute::cmd::Cmd;
use crate::lab::expect::Expect;
use crate::lab::fixture::Fixture;
use serde::Deserialize;
use serde_json::Value;
use std::net::SocketAddrV4;
use std::path::PathBuf;

/// A loaded, checked lab file: the topology a field note describes, in steps.
#[derive(Debug, Clone)]
pub struct Lab {
    /// Short name (`lab` in the file), used on the command line and in reports.
    pub name: String,
    /// One-line title.
    pub title: String,
    /// The field notes (in `seeds/`) the lab rebuilds.
    pub seeds: Vec<String>,
    /// The lab file it was loaded from.
    pub path: PathBuf,
    /// Names of the network namespaces the lab builds.
    pub nodes: Vec<String>,
    /// Declared nodes whose IPv6 stays off (`{"name": N, "ipv6": false}`):
    /// machines whose article shows no `inet6` line where the kernel would
    /// have one. Every other node has IPv6 on, as a kernel has by default.
    pub ipv6_off: Vec<String>,
    /// The steps, in the order a run takes them.
    pub steps: Vec<Step>,
}

impl Lab {
    /// Whether node `node` has IPv6 (`::1` on lo, link-local addresses).
    pub fn ipv6(&self, node: &str) -> bool {
        !self.ipv6_off.iter().any(|n| n == node)
    }
}

/// A node as the lab file declares it: a name, or a name with settings.
#[derive(Debug, Clone, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum NodeDecl {
    /// The namespace's name: a machine with the kernel's defaults (IPv6 on).
    Name(String),
    /// The name with settings.
    With(NodeSpec),
}

/// `{"name": N, "ipv6": false}`: a node with settings.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// The namespace's name.
    pub name: String,
    /// `false`: IPv6 off in this node (no `::1` on lo, no link-local
    /// addresses), for a machine whose article shows none. Default `true`.
    #[serde(default = "ipv6_default")]
    pub ipv6: bool,
}

fn ipv6_default() -> bool {
    true
}

impl NodeDecl {
    /// The node's name.
    pub fn name(&self) -> &str {
        match self {
            NodeDecl::Name(n) => n,
            NodeDecl::With(s) => &s.name,
        }
    }

    /// Whether the node has IPv6.
    pub fn ipv6(&self) -> bool {
        match self {
            NodeDecl::Name(_) => true,
            NodeDecl::With(s) => s.ipv6,
        }
    }
}

/// By hand, for one precise message where an untagged enum says only "did
/// not match any variant": the field that is wrong, or what a node is.
impl<'de> Deserialize<'de> for NodeDecl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(d)? {
            Value::String(s) => Ok(NodeDecl::Name(s)),
            v @ Value::Object(_) => serde_json::from_value(v)
                .map(NodeDecl::With)
                .map_err(|e| D::Error::custom(format!("node: {e}"))),
            _ => Err(D::Error::custom(
                "a node is a name, or {\"name\": NAME, \"ipv6\": false}",
            )),
        }
    }
}

/// One step: a task on the state earlier steps built, and its check.
#[derive(Debug, Clone)]
pub struct Step {
    /// Short name, unique in the lab (also its fixtures' directory).
    pub name: String,
    /// One-line title.
    pub title: String,
    /// Optional kernel features (link kinds) the step needs; missing ones skip it.
    pub requires: Vec<String>,
    /// The step's own set-up, on top of what earlier steps built (possibly
    /// a deliberately broken state), with observations of that state.
    pub given: Vec<Action>,
    /// The reference solution (commands, CNI calls, daemons) and the check
    /// (traffic and expectations), in the order a full run takes them.
    pub actions: Vec<Action>,
    /// Interfaces captured while the step runs, with the fixtures they are compared to.
    pub captures: Vec<CapturePoint>,
    /// What the learner is asked to do.
    pub task: Option<String>,
    /// The first hint (what a failed check prints).
    pub hint: Option<String>,
    /// Every hint, from vague to the answer: `vethlab hint` shows the next.
    pub hints: Vec<String>,
    /// The task is to find what is wrong (`"find": true`): while its traffic
    /// fails, a learner's check names that consequence, never the cause.
    pub find: bool,
}

/// An interface captured during a step (`NODE:IFACE` in the lab file).
#[derive(Debug, Clone)]
pub struct CapturePoint {
    /// The node (namespace) of the interface.
    pub node: String,
    /// The interface name.
    pub iface: String,
    /// The observation the capture proves.
    pub id: Option<String>,
    /// The expected capture, when the fixture file exists (or an observation requires it).
    pub fixture: Option<Fixture>,
}

/// One thing a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// An iproute2-style command line, run in a node.
    Cmd {
        /// The node it runs in.
        node: String,
        /// The line as written in the lab file.
        text: String,
        /// The line parsed into typed commands.
        cmds: Vec<Cmd>,
    },
    /// A ping from a node, with the result wanted.
    Ping(PingSpec),
    /// A UDP request from a client node and the server's reply.
    Udp(UdpSpec),
    /// An expectation on kernel state.
    Expect {
        /// The observation it proves.
        id: Option<String>,
        /// What must hold.
        e: Expect,
        /// Keep checking until it holds or this many ms pass (state that
        /// arrives by itself, e.g. routes BIRD learns).
        within_ms: Option<u64>,
        /// The expectation as written, when it names `{cni:…}` values that
        /// exist only once the step runs.
        raw: Option<Value>,
    },
    /// A CNI plugin call.
    Cni(CniSpec),
    /// A daemon (e.g. BIRD) started in a node.
    Daemon(DaemonSpec),
    /// A question the learner answers with `vethlab answer X`.
    Answer(AnswerSpec),
}

impl Action {
    /// Traffic the check sends: a ping or a UDP exchange.
    pub fn is_traffic(&self) -> bool {
        matches!(self, Action::Ping(_) | Action::Udp(_))
    }

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
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
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

/// The kind of question an [`AnswerSpec`] asks.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    /// The peer interface's name.
    Peer,
}

/// `{"cni": "ADD", "node": …, "netns": …, "ifname": …, "as": …, "config": {…}}`
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CniSpec {
    /// The CNI command (`ADD`, `DEL`, `CHECK`).
    pub cni: String,
    /// The node (namespace) the plugin runs in.
    pub node: String,
    /// The lab node that plays the container (its namespace is `CNI_NETNS`).
    pub netns: String,
    /// The interface to create in the container (`CNI_IFNAME`).
    pub ifname: String,
    /// Names the result for later `{cni:NAME.host}`, `{cni:NAME.ip}`,
    /// `{cni:NAME.gateway}`; also the container id.
    #[serde(rename = "as")]
    pub alias: Option<String>,
    /// The network configuration passed on stdin.
    pub config: Value,
    /// The observation the call proves.
    pub id: Option<String>,
}

/// `{"daemon": "bird", "node": …, "config": [lines]}`
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DaemonSpec {
    /// The daemon's name (one of [`DAEMONS`]).
    pub daemon: String,
    /// The node (namespace) it runs in.
    pub node: String,
    /// Its configuration file, one line per entry.
    pub config: Vec<String>,
    /// The observation it proves.
    pub id: Option<String>,
}

/// The daemons a lab may start, and the package that provides each.
pub const DAEMONS: &[(&str, &str, &str)] = &[("bird", "/usr/sbin/bird", "bird2")];

/// What a ping must do to pass.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PingResultWanted {
    /// Every echo is answered.
    #[default]
    Reply,
    /// No echo is answered.
    Fail,
}

/// `{"ping": ADDR, "from": NODE, ...}`: pings from a node and the result wanted.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PingSpec {
    /// The destination address, IPv4 or IPv6 (`ping -6`).
    pub ping: std::net::IpAddr,
    /// The node that pings.
    pub from: String,
    /// The interface to send from (`ping -I`).
    pub dev: Option<String>,
    /// How many echoes to send (default 1).
    pub count: Option<u16>,
    /// Whether replies or silence are wanted (default: replies).
    #[serde(default)]
    pub result: PingResultWanted,
    /// The TTL every reply must arrive with, when given.
    pub ttl: Option<u8>,
    /// The ping's whole budget, in milliseconds (default 2000).
    pub timeout_ms: Option<u64>,
    /// The observation it proves.
    pub id: Option<String>,
}

/// `{"udp": ADDR:PORT, "server": NODE, "from": NODE}`: a UDP request that must be answered.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UdpSpec {
    /// Where the client sends.
    pub udp: SocketAddrV4,
    /// The node that receives.
    pub server: String,
    /// Where the server binds (default 0.0.0.0 on the same port).
    pub listen: Option<SocketAddrV4>,
    /// The node that sends.
    pub from: String,
    /// The observation it proves.
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
