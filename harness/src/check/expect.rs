//! What a step must show: capture fixtures (tcpdump-style lines, in order,
//! with `{node.iface.mac}` placeholders and `!` lines that must never appear),
//! and assertions on kernel state read back over netlink, sysfs and ethtool.

use crate::error::{Error, Result};
use crate::sys::netlink::{self, fmt_mac};
use crate::topo::Topo;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One line of a fixture file.
#[derive(Debug, Clone)]
pub struct FixtureLine {
    pub line_no: usize,
    pub text: String,
    pub never: bool,
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub path: PathBuf,
    pub lines: Vec<FixtureLine>,
}

impl Fixture {
    /// Load and check a fixture; placeholders must name known nodes.
    pub fn load(path: &Path, nodes: &[String]) -> Result<Fixture> {
        let text =
            crate::lab::input::read_text(path, "fixture", crate::lab::input::MAX_FIXTURE_BYTES)?;
        let mut lines = vec![];
        for (i, l) in text.lines().enumerate() {
            let t = l.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (never, body) = match t.strip_prefix('!') {
                Some(b) => (true, b.trim()),
                None => (false, t),
            };
            let phs = placeholders(body).map_err(|col| {
                Error::input(
                    format!("{}:{}:{}", path.display(), i + 1, col + 1 + (l.len() - l.trim_start().len())),
                    "`{` without its `}` (placeholders are {node.iface.mac} or {node.iface.ifindex})",
                )
            })?;
            for (col, ph) in phs {
                let parts: Vec<&str> = ph.split('.').collect();
                let at = format!(
                    "{}:{}:{}",
                    path.display(),
                    i + 1,
                    col + 1 + (l.len() - l.trim_start().len())
                );
                if parts.len() != 3 || !["mac", "ifindex"].contains(&parts[2]) {
                    return Err(Error::input(at, format!("unknown placeholder `{{{ph}}}` (use {{node.iface.mac}} or {{node.iface.ifindex}})")));
                }
                if !nodes.iter().any(|n| n == parts[0]) {
                    return Err(Error::input(
                        at,
                        format!(
                            "placeholder `{{{ph}}}` names no node of this lab (nodes: {})",
                            nodes.join(", ")
                        ),
                    ));
                }
            }
            lines.push(FixtureLine {
                line_no: i + 1,
                text: body.to_string(),
                never,
            });
        }
        // A fixture that expects nothing would pass on any capture.
        if !lines.iter().any(|l| !l.never) {
            return Err(Error::input(
                format!("{}:1:1", path.display()),
                "the fixture expects no line (only comments or `!` lines): it could never fail; \
                 write the lines tcpdump -n should show",
            ));
        }
        Ok(Fixture {
            path: path.to_path_buf(),
            lines,
        })
    }
}

/// `{...}` spans in a line, with their column; `Err(col)` for an unclosed `{`.
fn placeholders(s: &str) -> Result<Vec<(usize, &str)>, usize> {
    let mut out = vec![];
    let mut rest = s;
    let mut off = 0;
    while let Some(a) = rest.find('{') {
        match rest[a..].find('}') {
            Some(b) => {
                out.push((off + a, &rest[a + 1..a + b]));
                off += a + b + 1;
                rest = &rest[a + b + 1..];
            }
            None => return Err(off + a),
        }
    }
    Ok(out)
}

/// Replace placeholders with what the kernel holds now.
pub fn resolve(topo: &Topo, text: &str) -> Result<String> {
    let mut out = text.to_string();
    let phs = placeholders(text)
        .map_err(|col| Error::other(format!("unclosed `{{` at column {}: {text}", col + 1)))?;
    for (_, ph) in phs {
        let p: Vec<&str> = ph.split('.').collect();
        if p.len() != 3 {
            continue;
        }
        let l = topo
            .link(p[0], p[1])
            .map_err(|e| Error::other(format!("placeholder {{{ph}}}: {e}")))?;
        let v = match p[2] {
            "mac" => l.mac.map(|m| fmt_mac(&m)).unwrap_or_default(),
            "ifindex" => l.index.to_string(),
            _ => continue,
        };
        out = out.replace(&format!("{{{ph}}}"), &v);
    }
    Ok(out)
}

/// `*` matches any run of characters; everything else literally.
pub fn glob(pat: &str, s: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == s;
    }
    let mut pos = 0;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            if !s.starts_with(p) {
                return false;
            }
            pos = p.len();
        } else if i == parts.len() - 1 {
            return s.len() >= pos + p.len() && s[pos..].ends_with(p);
        } else {
            match s[pos..].find(p) {
                Some(k) => pos += k + p.len(),
                None => return false,
            }
        }
    }
    true
}

/// Expected lines must appear in order (other lines may come between);
/// `!` lines must match no captured line. On failure, a side-by-side account.
pub fn match_lines(expected: &[(FixtureLine, String)], captured: &[String]) -> Result<(), String> {
    let mut pos = 0;
    let mut report = vec![];
    let mut ok = true;
    for (fl, pat) in expected {
        if fl.never {
            if let Some(c) = captured.iter().find(|c| glob(pat, c)) {
                ok = false;
                report.push(format!(
                    "  ✗ line {}: must never appear: {pat}\n      but captured: {c}",
                    fl.line_no
                ));
            } else {
                report.push(format!("  ✓ line {}: never: {pat}", fl.line_no));
            }
            continue;
        }
        match captured[pos..].iter().position(|c| glob(pat, c)) {
            Some(k) => {
                pos += k + 1;
                report.push(format!("  ✓ line {}: {pat}", fl.line_no));
            }
            None => {
                ok = false;
                report.push(format!(
                    "  ✗ line {}: expected, not captured (in order): {pat}",
                    fl.line_no
                ));
            }
        }
    }
    if ok {
        return Ok(());
    }
    let mut s = String::from("expected (fixture):\n");
    s.push_str(&report.join("\n"));
    s.push_str("\ncaptured:\n");
    if captured.is_empty() {
        s.push_str("  (nothing)\n");
    }
    for c in captured {
        s.push_str(&format!("  {c}\n"));
    }
    Err(s)
}

/// A `node:iface` reference, as written in lab files.
pub fn split_at(s: &str) -> Option<(&str, &str)> {
    s.split_once(':')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Iflink,
    Sysfs,
    Ethtool,
}

/// An assertion on kernel state, as written in lab.json (`"expect": KIND`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "expect", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Expect {
    /// The exact set of links in a node.
    Links { node: String, names: Vec<String> },
    Link {
        node: String,
        dev: String,
        index: Option<u32>,
        mtu: Option<u32>,
        state: Option<String>,
        flags: Option<Vec<String>>,
        mac: Option<String>,
        master: Option<String>,
        kind: Option<String>,
        /// `veth1` (same node) or `node:dev`: IFLA_LINK (and link-netnsid) point there.
        peer: Option<String>,
        /// What iproute2 prints after `@`: `if3`, or a name in the same namespace.
        at: Option<String>,
    },
    Addr {
        node: String,
        dev: String,
        exactly: Vec<String>,
    },
    Routes {
        node: String,
        #[serde(default)]
        has: Vec<String>,
        #[serde(default)]
        lacks: Vec<String>,
    },
    Neigh {
        node: String,
        dev: String,
        ip: String,
        state: Vec<String>,
        lladdr: Option<String>,
    },
    Sysctl {
        node: String,
        key: String,
        value: String,
    },
    /// The peer's ifindex by each of seed 002's methods.
    PeerIndex {
        node: String,
        dev: String,
        peer: String,
        methods: Vec<Method>,
    },
    /// Bridge membership, exactly (what `brctl show` lists).
    Bridge {
        node: String,
        dev: String,
        members: Vec<String>,
    },
    /// Two capture points saw byte-identical frames (needs both in `capture`).
    SameFrames { a: String, b: String },
    /// The addresses host-local holds for a CNI network, exactly (in the
    /// run's scratch directory: after DEL, none).
    Ipam {
        network: String,
        allocated: Vec<String>,
    },
}

impl Expect {
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            Expect::Links { node, .. }
            | Expect::Addr { node, .. }
            | Expect::Routes { node, .. }
            | Expect::Neigh { node, .. }
            | Expect::Sysctl { node, .. }
            | Expect::Bridge { node, .. } => vec![node],
            Expect::Ipam { .. } => vec![],
            Expect::Link { node, peer, .. } => {
                let mut v = vec![node.as_str()];
                if let Some((n, _)) = peer.as_deref().and_then(split_at) {
                    v.push(n);
                }
                v
            }
            Expect::PeerIndex { node, peer, .. } => {
                let mut v = vec![node.as_str()];
                if let Some((n, _)) = split_at(peer) {
                    v.push(n);
                }
                v
            }
            Expect::SameFrames { a, b } => [a, b]
                .iter()
                .filter_map(|s| split_at(s).map(|p| p.0))
                .collect(),
        }
    }

    /// The (node, device) pairs this expectation reads, which must exist.
    pub fn devices(&self) -> Vec<(&str, &str)> {
        match self {
            Expect::Link { node, dev, .. }
            | Expect::Addr { node, dev, .. }
            | Expect::Neigh { node, dev, .. }
            | Expect::PeerIndex { node, dev, .. }
            | Expect::Bridge { node, dev, .. } => vec![(node.as_str(), dev.as_str())],
            _ => vec![],
        }
    }

    /// Whether this is kernel state that may still be settling when read
    /// (and whose changes the kernel announces), so a miss is awaited.
    pub fn settles(&self) -> bool {
        !matches!(
            self,
            Expect::SameFrames { .. } | Expect::Ipam { .. } | Expect::Sysctl { .. }
        )
    }

    /// A short description for reports.
    pub fn describe(&self) -> String {
        match self {
            Expect::Links { node, names } => {
                format!("links in {node} are exactly {}", names.join(", "))
            }
            Expect::Link { node, dev, .. } => format!("link {dev} in {node}"),
            Expect::Addr { node, dev, exactly } => {
                format!(
                    "{dev} in {node} holds {}",
                    if exactly.is_empty() {
                        "no IPv4 address".into()
                    } else {
                        exactly.join(", ")
                    }
                )
            }
            Expect::Routes { node, .. } => format!("routes of {node}"),
            Expect::Neigh {
                node,
                dev,
                ip,
                state,
                ..
            } => format!(
                "neighbour {ip} on {dev} in {node} is {}",
                state.join(" or ")
            ),
            Expect::Sysctl { node, key, value } => format!("{key} = {value} in {node}"),
            Expect::PeerIndex {
                node,
                dev,
                peer,
                methods,
            } => format!(
                "peer of {dev} in {node} is {peer} by {}",
                methods
                    .iter()
                    .map(|m| format!("{m:?}").to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Expect::Bridge { node, dev, members } => format!(
                "bridge {dev} in {node} has exactly [{}]",
                members.join(", ")
            ),
            Expect::SameFrames { a, b } => format!("frames on {a} and {b} are byte-identical"),
            Expect::Ipam { network, allocated } => format!(
                "host-local holds exactly [{}] for network {network}",
                allocated.join(", ")
            ),
        }
    }

    /// Check against the kernel now. Ok(what was seen) or Err(what differs).
    /// SameFrames is checked by the step runner, which holds the captures.
    pub fn check(&self, topo: &Topo) -> Result<Result<String, String>> {
        Ok(match self {
            Expect::Links { node, names } => {
                let links = topo.links(node)?;
                // The kernel's fallback tunnels (tunl0, gre0, …) are in every
                // namespace where their module is loaded: not the lab's to
                // list, unless it names them.
                let fallback: Vec<&str> = crate::sys::kernel::facts().fallback_names().collect();
                let mut got: Vec<String> = links
                    .iter()
                    .map(|l| l.name.clone())
                    .filter(|n| !fallback.contains(&n.as_str()) || names.contains(n))
                    .collect();
                got.sort();
                let mut want = names.clone();
                want.sort();
                let shown = links
                    .iter()
                    .map(|l| {
                        format!(
                            "{}: {} {} state {}",
                            l.index,
                            l.name,
                            l.flag_names(),
                            l.operstate
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                if got == want {
                    Ok(shown)
                } else {
                    Err(format!("links are [{}]: {shown}", got.join(", ")))
                }
            }
            Expect::Link {
                node,
                dev,
                index,
                mtu,
                state,
                flags,
                mac,
                master,
                kind,
                peer,
                at,
            } => {
                let l = topo.link(node, dev)?;
                let links = topo.links(node)?;
                let name_of = |i: u32| {
                    links
                        .iter()
                        .find(|l| l.index == i)
                        .map(|l| l.name.clone())
                        .unwrap_or(format!("if{i}"))
                };
                let at_text = l.link.map(|i| {
                    if l.link_netnsid.is_some() {
                        format!("if{i}")
                    } else {
                        name_of(i)
                    }
                });
                let shown = format!(
                    "{}: {}{}: {} mtu {}{} state {} link/ether {}{}",
                    l.index,
                    l.name,
                    at_text
                        .as_ref()
                        .map(|a| format!("@{a}"))
                        .unwrap_or_default(),
                    l.flag_names(),
                    l.mtu,
                    l.master
                        .map(|m| format!(" master {}", name_of(m)))
                        .unwrap_or_default(),
                    l.operstate,
                    l.mac.map(|m| fmt_mac(&m)).unwrap_or_default(),
                    l.link_netnsid
                        .map(|n| format!(" link-netnsid {n}"))
                        .unwrap_or_default(),
                );
                let mut bad = vec![];
                if let Some(i) = index {
                    let i = topo.index_plan().map(*i);
                    if l.index != i {
                        bad.push(format!("ifindex {} (want {i})", l.index));
                    }
                }
                if let Some(m) = mtu {
                    if l.mtu != *m {
                        bad.push(format!("mtu {} (want {m})", l.mtu));
                    }
                }
                if let Some(s) = state {
                    if &l.operstate != s {
                        bad.push(format!("state {} (want {s})", l.operstate));
                    }
                }
                for f in flags.iter().flatten() {
                    if !l
                        .flag_names()
                        .trim_matches(|c| c == '<' || c == '>')
                        .split(',')
                        .any(|x| x == f)
                    {
                        bad.push(format!("flag {f} missing"));
                    }
                }
                if let Some(m) = mac {
                    let want = resolve(topo, m)?;
                    let got = l.mac.map(|m| fmt_mac(&m)).unwrap_or_default();
                    if got != want {
                        bad.push(format!("mac {got} (want {want})"));
                    }
                }
                if let Some(m) = master {
                    let got = l.master.map(name_of);
                    if got.as_deref() != Some(m.as_str()) {
                        bad.push(format!(
                            "master {} (want {m})",
                            got.unwrap_or("none".into())
                        ));
                    }
                }
                if let Some(k) = kind {
                    if l.kind.as_deref() != Some(k.as_str()) {
                        bad.push(format!("kind {:?} (want {k})", l.kind));
                    }
                }
                if let Some(a) = at {
                    // A literal `ifN` is a lab index; a placeholder is the kernel's own.
                    let a = &resolve(topo, &topo.index_plan().map_at(a))?;
                    if at_text.as_deref() != Some(a.as_str()) {
                        bad.push(format!(
                            "shown as @{} (want @{a})",
                            at_text.unwrap_or_default()
                        ));
                    }
                }
                if let Some(p) = peer {
                    let (pn, pd) = split_at(p).unwrap_or((node.as_str(), p.as_str()));
                    let pl = topo.link(pn, pd)?;
                    if l.link != Some(pl.index) {
                        bad.push(format!(
                            "IFLA_LINK {:?}, but {pd} in {pn} is ifindex {}",
                            l.link, pl.index
                        ));
                    }
                    match (l.link_netnsid, pn == node) {
                        (None, true) => {}
                        (Some(id), false) => {
                            let owner = topo.node_of_nsid(node, id)?;
                            if owner.as_deref() != Some(pn) {
                                bad.push(format!(
                                    "link-netnsid {id} is {} (want {pn})",
                                    owner.unwrap_or("unknown".into())
                                ));
                            }
                        }
                        (None, false) => {
                            bad.push(format!("no link-netnsid, yet the peer should be in {pn}"))
                        }
                        (Some(id), true) => bad.push(format!(
                            "link-netnsid {id}, yet the peer should be in the same namespace"
                        )),
                    }
                }
                if bad.is_empty() {
                    Ok(shown)
                } else {
                    Err(format!("{}: {shown}", bad.join("; ")))
                }
            }
            Expect::Addr { node, dev, exactly } => {
                let l = topo.link(node, dev)?;
                let ns = topo.node(node)?;
                let all = ns.block_on(netlink::addrs(ns.nl()))?;
                let mut got: Vec<String> = all
                    .iter()
                    .filter(|a| a.index == l.index)
                    .map(|a| format!("{}/{}", a.ip, a.prefix))
                    .collect();
                got.sort();
                let mut want = exactly.clone();
                want.sort();
                let shown = if got.is_empty() {
                    format!("{dev}: no IPv4 address")
                } else {
                    format!("{dev}: inet {}", got.join(", inet "))
                };
                if got == want {
                    Ok(shown)
                } else {
                    Err(shown)
                }
            }
            Expect::Routes { node, has, lacks } => {
                let lines = route_lines(topo, node)?;
                let mut bad = vec![];
                for h in has {
                    if !lines.iter().any(|l| norm(l) == norm(h)) {
                        bad.push(format!("missing `{h}`"));
                    }
                }
                for h in lacks {
                    if lines.iter().any(|l| norm(l) == norm(h)) {
                        bad.push(format!("unexpected `{h}`"));
                    }
                }
                let shown = format!("ip route:\n      {}", lines.join("\n      "));
                if bad.is_empty() {
                    Ok(shown)
                } else {
                    Err(format!("{}; {shown}", bad.join("; ")))
                }
            }
            Expect::Neigh {
                node,
                dev,
                ip,
                state,
                lladdr,
            } => {
                let l = topo.link(node, dev)?;
                let ns = topo.node(node)?;
                let all = ns.block_on(netlink::neighbours(ns.nl()))?;
                let n = all
                    .iter()
                    .find(|n| n.index == l.index && n.ip.to_string() == *ip);
                let shown = match n {
                    Some(n) => format!(
                        "{} dev {dev}{} {}",
                        n.ip,
                        n.lladdr
                            .map(|m| format!(" lladdr {}", fmt_mac(&m)))
                            .unwrap_or_default(),
                        n.state
                    ),
                    None => format!("no entry for {ip} on {dev}"),
                };
                let mut ok = n.is_some_and(|n| state.contains(&n.state));
                if let (Some(want), Some(n)) = (lladdr, n) {
                    ok &= n.lladdr.map(|m| fmt_mac(&m)) == Some(resolve(topo, want)?);
                }
                if ok {
                    Ok(shown)
                } else {
                    Err(shown)
                }
            }
            Expect::Sysctl { node, key, value } => {
                let got = topo.sysctl_read(node, key)?;
                let shown = format!("{key} = {got}");
                if &got == value {
                    Ok(shown)
                } else {
                    Err(shown)
                }
            }
            Expect::PeerIndex {
                node,
                dev,
                peer,
                methods,
            } => {
                let (pn, pd) = split_at(peer).unwrap_or((node.as_str(), peer.as_str()));
                let want = topo.link(pn, pd)?.index;
                let mut seen = vec![];
                let mut bad = false;
                for m in methods {
                    let got = peer_index(topo, node, dev, m)?;
                    bad |= got != want;
                    seen.push(match m {
                        Method::Iflink => format!("IFLA_LINK {got}"),
                        Method::Sysfs => format!("/sys/class/net/{dev}/iflink {got}"),
                        Method::Ethtool => format!("ethtool -S {dev}: peer_ifindex: {got}"),
                    });
                }
                let shown = format!("{}; {pd} in {pn} is ifindex {want}", seen.join(", "));
                if bad {
                    Err(shown)
                } else {
                    Ok(shown)
                }
            }
            Expect::Bridge { node, dev, members } => {
                let br = topo.link(node, dev)?;
                let links = topo.links(node)?;
                let mut got: Vec<String> = links
                    .iter()
                    .filter(|l| l.master == Some(br.index))
                    .map(|l| l.name.clone())
                    .collect();
                got.sort();
                let mut want = members.clone();
                want.sort();
                let shown = brctl_show(&br, &got);
                if got == want && br.kind.as_deref() == Some("bridge") {
                    Ok(shown)
                } else {
                    Err(shown)
                }
            }
            Expect::SameFrames { .. } => Ok(String::new()),
            Expect::Ipam { network, allocated } => {
                let dir = topo
                    .scratch_path()
                    .map(|p| p.join("ipam").join(network))
                    .ok_or_else(|| Error::other("no CNI plugin ran in this lab"))?;
                let mut got: Vec<String> = std::fs::read_dir(&dir)
                    .map(|rd| {
                        rd.flatten()
                            .filter_map(|e| e.file_name().to_str().map(str::to_string))
                            .filter(|n| n.parse::<std::net::Ipv4Addr>().is_ok())
                            .collect()
                    })
                    .unwrap_or_default();
                got.sort();
                let mut want = allocated.clone();
                want.sort();
                if got == want {
                    Ok(format!("allocated: [{}]", got.join(", ")))
                } else {
                    Err(format!("allocated: [{}]", got.join(", ")))
                }
            }
        })
    }
}

/// What `brctl show BRIDGE` prints.
pub fn brctl_show(br: &netlink::Link, members: &[String]) -> String {
    let id = format!(
        "8000.{}",
        br.mac
            .map(|m| fmt_mac(&m).replace(':', ""))
            .unwrap_or_default()
    );
    let stp = if br.stp.unwrap_or(0) == 0 {
        "no"
    } else {
        "yes"
    };
    let mut s = format!(
        "bridge name\tbridge id\t\tSTP enabled\tinterfaces\n{}\t\t{id}\t{stp}\t\t",
        br.name
    );
    s.push_str(&members.join("\n\t\t\t\t\t\t\t"));
    s
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `ip route` of a node, one rendered line per route.
pub fn route_lines(topo: &Topo, node: &str) -> Result<Vec<String>> {
    let ns = topo.node(node)?;
    let routes = ns.block_on(netlink::routes(ns.nl()))?;
    let links = topo.links(node)?;
    let name = |i: u32| {
        links
            .iter()
            .find(|l| l.index == i)
            .map(|l| l.name.clone())
            .unwrap_or(format!("if{i}"))
    };
    Ok(routes.iter().map(|r| r.render(&name)).collect())
}

/// The peer ifindex of `dev` in `node` by one of seed 002's three methods.
pub fn peer_index(topo: &Topo, node: &str, dev: &str, m: &Method) -> Result<u32> {
    let ns = topo.node(node)?;
    match m {
        Method::Iflink => topo
            .link(node, dev)?
            .link
            .ok_or_else(|| Error::other(format!("{dev} in {node} has no IFLA_LINK"))),
        Method::Sysfs => {
            let d = dev.to_string();
            ns.with_sysfs(move || std::fs::read_to_string(format!("/sys/class/net/{d}/iflink")))?
                .map_err(|e| Error::io(format!("[{node}] read /sys/class/net/{dev}/iflink"), e))?
                .trim()
                .parse()
                .map_err(|_| Error::other("iflink is not a number"))
        }
        Method::Ethtool => {
            let d = dev.to_string();
            ns.run(move || crate::sys::ethtool::peer_ifindex(&d))?
                .map_err(|e| Error::io(format!("[{node}] ethtool -S {dev}"), e))
        }
    }
}
