//! The lab's nodes (one namespace each, by the article's names) and the
//! execution of parsed commands in them.

use crate::error::{Error, Result};
use crate::iproute::cmd::{Cmd, RouteSpec, SetSpec};
use crate::iproute::inet6::{Route6Op, Route6Spec};
use crate::sys::kernel::IndexPlan;
use crate::sys::netlink::{self, Link, LinkCommon, LinkKind, LinkSet, Route};
use crate::sys::netns::Netns;
use crate::sys::scratch::Scratch;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

mod addrconf;
pub use addrconf::ADDRCONF_WAIT;
mod neighlog;
mod sysctl;

/// A lab being built: its nodes, daemons, scratch directory and the values actions produced.
#[derive(Default)]
pub struct Topo {
    nodes: Vec<Netns>,
    /// Index in `nodes` by name: every command names its node, and a big
    /// topology has hundreds (a scan per command grew with the pod count).
    by_name: HashMap<String, usize>,
    /// Daemons started in nodes (BIRD): killed before the nodes go.
    daemons: Vec<(String, Child)>,
    scratch: Option<Scratch>,
    /// A named scratch directory instead (a learner's shell, where the
    /// plugins the learner runs and `vethlab check` must find it).
    scratch_dir: Option<PathBuf>,
    /// Values actions produced for later ones, e.g. `cni:pod1.host`.
    vars: BTreeMap<String, String>,
    /// ifindex by (node, device name), as commands resolve names: a device
    /// keeps its index for life, so only renames, moves and deletions (and
    /// anything a plugin did) invalidate it. Saves a netlink lookup per command.
    index_cache: Mutex<BTreeMap<(String, String), u32>>,
    /// Where the lab's requested ifindexes land on this kernel.
    plan: IndexPlan,
    /// Neighbour entries the kernel removed while traffic ran.
    neigh: Mutex<neighlog::NeighWatch>,
}

impl Topo {
    /// An empty topology, with no nodes.
    pub fn new() -> Topo {
        Topo::default()
    }

    /// Map the lab's requested ifindexes with `plan` (see `IndexPlan`).
    pub fn set_index_plan(&mut self, plan: IndexPlan) {
        self.plan = plan;
    }

    /// Where the lab's requested ifindexes land on this kernel.
    pub fn index_plan(&self) -> &IndexPlan {
        &self.plan
    }

    /// The run's private scratch directory, made on first use.
    pub fn scratch(&mut self) -> Result<PathBuf> {
        if let Some(d) = &self.scratch_dir {
            std::fs::create_dir_all(d)
                .map_err(|e| Error::io(format!("create {}", d.display()), e))?;
            return Ok(d.clone());
        }
        if self.scratch.is_none() {
            self.scratch = Some(Scratch::new()?);
        }
        Ok(self
            .scratch
            .as_ref()
            .map(|s| s.path().to_path_buf())
            .unwrap_or_default())
    }

    /// Use `dir` as the scratch directory (made on first use).
    pub fn set_scratch_dir(&mut self, dir: PathBuf) {
        self.scratch_dir = Some(dir);
    }

    /// The scratch directory, if one is set or was made (never makes one).
    pub fn scratch_path(&self) -> Option<PathBuf> {
        if let Some(d) = &self.scratch_dir {
            return Some(d.clone());
        }
        self.scratch.as_ref().map(|s| s.path().to_path_buf())
    }

    /// Record value `v` of placeholder `k` (e.g. `cni:pod1.host`) for [`Topo::subst`].
    pub fn set_var(&mut self, k: &str, v: &str) {
        self.vars.insert(k.to_string(), v.to_string());
    }

    /// Replace `{cni:…}`-style placeholders with the values actions produced.
    pub fn subst(&self, s: &str) -> Result<String> {
        let mut out = s.to_string();
        while let Some(a) = out.find("{cni:") {
            let b = out[a..]
                .find('}')
                .ok_or_else(|| Error::parse(format!("`{s}`"), "unclosed placeholder"))?
                + a;
            let key = &out[a + 1..b];
            // Named by the pod: a learner reads which ADD is missing.
            let v = self.vars.get(key).ok_or_else(|| {
                let pod = key[4..].rsplit_once('.').map_or(&key[4..], |p| p.0);
                Error::not_found(format!("no CNI ADD has made {pod}'s interface yet"))
            })?;
            out.replace_range(a..=b, v);
        }
        Ok(out)
    }

    /// Start `argv` in `node`'s namespace; it is killed with the topology
    /// (or, should vethlab die, by PDEATHSIG).
    pub fn spawn_daemon(&mut self, node: &str, argv: &[String]) -> Result<()> {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        self.node(node)?.command_in(&mut c);
        let child = c
            .spawn()
            .map_err(|e| Error::io(format!("[{node}] start {}", argv[0]), e))?;
        self.daemons.push((node.to_string(), child));
        Ok(())
    }

    /// Create node `name`, a new network namespace; an error if it exists.
    pub fn add_node(&mut self, name: &str) -> Result<()> {
        self.add_node_with(name, true)
    }

    /// Create node `name` with IPv6 on or off (`"ipv6": false` in the lab).
    pub fn add_node_with(&mut self, name: &str, ipv6: bool) -> Result<()> {
        if self.by_name.contains_key(name) {
            return Err(Error::sys(
                format!("Cannot create namespace \"{name}\""),
                nix::errno::Errno::EEXIST,
            ));
        }
        let ns = Netns::new(name)?;
        if !ipv6 {
            ns.disable_ipv6()?;
        }
        self.push_node(ns);
        Ok(())
    }

    fn push_node(&mut self, ns: Netns) {
        // As `node` found them before: the first of a name wins.
        let i = self.nodes.len();
        self.by_name.entry(ns.name().to_string()).or_insert(i);
        self.nodes.push(ns);
    }

    /// A node that already exists (a learner's `ip netns add`), by its fd.
    pub fn attach_node(&mut self, name: &str, fd: std::os::fd::OwnedFd) -> Result<()> {
        let ns = Netns::attach(name, fd)?;
        self.push_node(ns);
        Ok(())
    }

    /// The node named `name`, or an error if the lab has none.
    pub fn node(&self, name: &str) -> Result<&Netns> {
        self.by_name
            .get(name)
            .and_then(|&i| self.nodes.get(i))
            .ok_or_else(|| Error::not_found(format!("no node `{name}` in this lab")))
    }

    /// Every node, in the order they were made.
    pub fn nodes(&self) -> &[Netns] {
        &self.nodes
    }

    /// Every interface of `node`.
    pub fn links(&self, node: &str) -> Result<Vec<Link>> {
        let ns = self.node(node)?;
        ns.block_on(netlink::links(ns.nl()))
    }

    /// Interface `dev` of `node`.
    pub fn link(&self, node: &str, dev: &str) -> Result<Link> {
        let ns = self.node(node)?;
        ns.block_on(netlink::link_by_name(ns.nl(), dev))
    }

    fn index(&self, node: &str, dev: &str) -> Result<u32> {
        let key = (node.to_string(), dev.to_string());
        if let Some(i) = self
            .index_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&key).copied())
        {
            return Ok(i);
        }
        let i = self.link(node, dev)?.index;
        if let Ok(mut c) = self.index_cache.lock() {
            c.insert(key, i);
        }
        Ok(i)
    }

    /// Forget every cached ifindex: devices were renamed, moved or deleted,
    /// or something other than these commands (a CNI plugin) changed them.
    pub fn forget_indexes(&self) {
        if let Ok(mut c) = self.index_cache.lock() {
            c.clear();
        }
    }

    /// Which node a link-netnsid seen in `node` stands for.
    pub fn node_of_nsid(&self, node: &str, nsid: i32) -> Result<Option<String>> {
        let ns = self.node(node)?;
        for other in &self.nodes {
            if ns.block_on(netlink::nsid_of(ns.nl(), other.raw_fd()))? == Some(nsid) {
                return Ok(Some(other.name().to_string()));
            }
        }
        Ok(None)
    }

    /// Wait until the kernel has taken in every link change (see
    /// [`crate::model::Link::settling`]), at most `within`: its linkwatch
    /// applies a carrier change later than the command that caused it (up to
    /// a second, more on a busy machine), and until then a fresh veth reads
    /// DOWN or UNKNOWN and its queue drops what is sent. Awaited on each
    /// node's announced changes; what is still unsettled then is left as is.
    pub fn await_links(&self, within: std::time::Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + within;
        for ns in &self.nodes {
            let pending =
                || -> Result<bool> { Ok(self.links(ns.name())?.iter().any(|l| l.settling())) };
            if !pending()? {
                continue;
            }
            // Subscribed before the next look: no change between is missed.
            let changes = ns.changes()?;
            while pending()? && changes.wait(deadline) {}
        }
        Ok(())
    }

    /// What a person sees after a pause: every link change taken in, and
    /// IPv6 addresses configured (see `await_addrconf`), each bounded.
    pub fn settle(&self) -> Result<()> {
        self.await_links(std::time::Duration::from_secs(2))?;
        self.await_addrconf(addrconf::ADDRCONF_WAIT)
    }

    /// Run one parsed command in `node`.
    pub fn apply(&mut self, node: &str, cmd: &Cmd) -> Result<()> {
        if let Cmd::NetnsAdd(n) = cmd {
            return self.add_node(n);
        }
        if matches!(
            cmd,
            Cmd::LinkDel { .. }
                | Cmd::LinkSet {
                    set: SetSpec { name: Some(_), .. } | SetSpec { netns: Some(_), .. },
                    ..
                }
        ) {
            self.forget_indexes();
        }
        let ns = self.node(node)?;
        if let Some(e) = crate::sys::fault::netlink_fails(|| format!("{cmd:?}")) {
            // An injected failure is a netlink answer like any other.
            return Err(Error::Netlink {
                errno: None,
                msg: e,
            });
        }
        let h = ns.nl().clone();
        match cmd {
            Cmd::NetnsAdd(_) => unreachable!(),
            Cmd::LinkAdd {
                link,
                kind,
                peer_netns,
            } => self.link_add(node, link, kind, peer_netns.as_deref()),
            Cmd::LinkSet { dev, set } => self.link_set(node, dev, set),
            Cmd::LinkDel { dev } => {
                let index = self.index(node, dev)?;
                ns.block_on(async move { netlink::del_link(&h, index).await })
            }
            Cmd::AddrAdd {
                dev,
                ip,
                prefix,
                brd,
                noprefixroute,
            } => {
                let index = self.index(node, dev)?;
                let (ip, prefix, brd, np) = (*ip, *prefix, *brd, *noprefixroute);
                ns.block_on(async move { netlink::add_addr(&h, index, ip, prefix, brd, np).await })
            }
            Cmd::AddrDel { dev, ip, prefix } => {
                let index = self.index(node, dev)?;
                let (ip, prefix) = (*ip, *prefix);
                ns.block_on(async move { netlink::del_addr(&h, index, ip, prefix).await })
            }
            Cmd::Addr6 { .. } => self.addr6(node, cmd),
            Cmd::Route6 { op, route } => self.route6(node, *op, route),
            Cmd::RouteAdd(r) => self.route(node, r, true),
            Cmd::RouteDel(r) => self.route(node, r, false),
            Cmd::NeighAdd {
                dev,
                ip,
                mac,
                permanent,
            } => {
                let index = self.index(node, dev)?;
                let (ip, mac, p) = (*ip, *mac, *permanent);
                ns.block_on(async move { netlink::add_neigh(&h, index, ip, mac, p).await })
            }
            Cmd::NeighFlush { dev } => {
                let index = self.index(node, dev)?;
                ns.block_on(async move { netlink::flush_neigh(&h, index).await })
            }
            Cmd::FdbAdd { dev, mac, dst } => {
                let index = self.index(node, dev)?;
                let (mac, dst) = (*mac, *dst);
                ns.block_on(async move { netlink::add_fdb(&h, index, mac, dst).await })
            }
            Cmd::Sysctl { key, value } => self.sysctl_write(node, key, value),
        }
    }

    /// `ip link add`: the lab's ifindexes mapped by the plan, a vxlan's
    /// lower device and a veth peer's namespace resolved.
    fn link_add(
        &self,
        node: &str,
        link: &LinkCommon,
        kind: &LinkKind,
        peer_netns: Option<&str>,
    ) -> Result<()> {
        let ns = self.node(node)?;
        let h = ns.nl().clone();
        let peer_ns = peer_netns
            .map(|n| self.node(n).map(|n| n.raw_fd()))
            .transpose()?;
        // A vxlan's lower device is named in the command; netlink wants its index.
        let dev = match kind {
            LinkKind::Vxlan { dev: Some(d), .. } => Some(self.index(node, d)?),
            _ => None,
        };
        let (mut link, mut kind) = (link.clone(), kind.clone());
        link.index = link.index.map(|i| self.plan.map(i));
        if let LinkKind::Veth { peer } = &mut kind {
            peer.index = peer.index.map(|i| self.plan.map(i));
        }
        ns.block_on(async move { netlink::add_link(&h, &link, &kind, peer_ns, dev).await })
    }

    /// `ip link set`: every change in one message.
    fn link_set(&self, node: &str, dev: &str, set: &SetSpec) -> Result<()> {
        let ns = self.node(node)?;
        let h = ns.nl().clone();
        let index = self.index(node, dev)?;
        let s = LinkSet {
            txqueuelen: set.txqueuelen,
            up: set.up,
            mtu: set.mtu,
            mac: set.mac,
            master: match &set.master {
                None => None,
                Some(None) => Some(0),
                Some(Some(m)) => Some(self.index(node, m)?),
            },
            name: set.name.clone(),
            netns: set
                .netns
                .as_deref()
                .map(|n| self.node(n).map(|n| n.raw_fd()))
                .transpose()?,
        };
        ns.block_on(async move { netlink::set_link(&h, index, &s).await })?;
        // A bridge's link-local address, made before the next command (see
        // `await_link_local`): once it is up, or has a new port.
        let within = addrconf::ADDRCONF_WAIT;
        if let Some(Some(m)) = &set.master {
            self.await_link_local(node, m, within)?;
        }
        let now = set.name.as_deref().unwrap_or(dev);
        if set.up == Some(true)
            && set.netns.is_none()
            && self.link(node, now)?.kind.as_deref() == Some("bridge")
        {
            self.await_link_local(node, now, within)?;
        }
        Ok(())
    }

    /// `ip route add` (or `replace`) when `add`, else `ip route del`.
    fn route(&self, node: &str, r: &RouteSpec, add: bool) -> Result<()> {
        let ns = self.node(node)?;
        let h = ns.nl().clone();
        let route = Route {
            kind: r.kind,
            dst: r.dst,
            gw: r.gw,
            oif: r.dev.as_deref().map(|d| self.index(node, d)).transpose()?,
            proto: r.proto,
            scope: r.scope,
            src: r.src,
            onlink: r.onlink,
            linkdown: false,
            metric: r.metric,
        };
        let replace = r.replace;
        ns.block_on(async move {
            if add {
                netlink::add_route(&h, &route, replace).await
            } else {
                netlink::del_route(&h, &route).await
            }
        })
    }

    /// `ip -6 addr add|del`.
    fn addr6(&self, node: &str, cmd: &Cmd) -> Result<()> {
        let Cmd::Addr6 {
            add,
            dev,
            ip,
            prefix,
            nodad,
        } = cmd
        else {
            return Ok(());
        };
        let ns = self.node(node)?;
        let h = ns.nl().clone();
        let index = self.index(node, dev)?;
        let (add, ip, prefix, nodad) = (*add, *ip, *prefix, *nodad);
        ns.block_on(async move {
            match add {
                true => netlink::add_addr6(&h, index, ip, prefix, nodad).await,
                false => netlink::del_addr6(&h, index, ip, prefix).await,
            }
        })
    }

    /// `ip -6 route add|replace|del`.
    fn route6(&self, node: &str, op: Route6Op, r: &Route6Spec) -> Result<()> {
        let ns = self.node(node)?;
        let h = ns.nl().clone();
        let route = netlink::Route6 {
            kind: r.kind,
            dst: r.dst,
            gw: r.gw,
            oif: r.dev.as_deref().map(|d| self.index(node, d)).transpose()?,
            proto: r.proto,
            metric: r.metric,
            ..Default::default()
        };
        ns.block_on(async move { netlink::route6(&h, &route, op).await })
    }
}

impl Drop for Topo {
    fn drop(&mut self) {
        for (node, mut d) in self.daemons.drain(..) {
            crate::sys::trace::event(|| format!("teardown daemon in {node}"));
            let _ = d.kill();
            let _ = d.wait();
        }
        // Namespaces go one by one (each with its thread): the kill tests aim here too.
        self.by_name.clear();
        for n in self.nodes.drain(..).rev() {
            crate::sys::trace::event(|| format!("teardown {}", n.name()));
            drop(n);
        }
    }
}
