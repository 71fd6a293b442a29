//! `link`: one link's attributes as `ip -d link` shows them; only the ones
//! a lab gives are compared.

use super::peer_index::name_at;
use super::{judged, split_at, Judgement, Kind, Untrusted};
use crate::error::Result;
use crate::lab::fill::resolve;
use crate::model::{fmt_mac, Link, State};
use serde::Deserialize;

/// One link's attributes; only the ones given are compared.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectLink {
    /// The lab node (network namespace) to look in.
    pub node: String,
    /// The interface name.
    pub dev: String,
    /// Its ifindex, as the article's `ip link` shows it.
    pub index: Option<u32>,
    /// MTU in bytes, as `ip link` prints it.
    pub mtu: Option<u32>,
    /// Operational state as `ip link` prints it (`UP`, `DOWN`, `LOWERLAYERDOWN`, ...).
    pub state: Option<String>,
    /// Flags that must be among those in `<…>` (`UP`, `LOWER_UP`, `NO-CARRIER`, ...).
    pub flags: Option<Vec<String>>,
    /// The MAC, literally or as a `{node.iface.mac}` placeholder.
    pub mac: Option<String>,
    /// The bridge it is enslaved to (`master br0`), or `none`.
    pub master: Option<String>,
    /// The link kind `ip -d link` prints (`veth`, `bridge`, `vxlan`, ...).
    pub kind: Option<String>,
    /// `veth1` (same node) or `node:dev`: IFLA_LINK (and link-netnsid) point there.
    pub peer: Option<String>,
    /// What iproute2 prints after `@`: `if3`, or a name in the same namespace.
    pub at: Option<String>,
}

impl Kind for ExpectLink {
    fn nodes(&self) -> Vec<&str> {
        let mut v = vec![self.node.as_str()];
        v.extend(self.peer.as_deref().and_then(split_at).map(|p| p.0));
        v
    }

    fn devices(&self) -> Vec<(&str, &str)> {
        vec![(&self.node, &self.dev)]
    }

    fn untrusted(&self) -> Vec<Untrusted<'_>> {
        self.peer.iter().map(|p| Untrusted::At(p)).collect()
    }

    fn describe(&self) -> String {
        format!("link {} in {}", self.dev, self.node)
    }

    fn judge(&self, st: &dyn State) -> Result<Judgement> {
        let (node, dev) = (&self.node, &self.dev);
        let l = st.link(node, dev)?;
        let links = st.links(node)?;
        let (shown, at_text) = link_line(&l, &links);
        let mut bad = self.attributes(st, &l, &links)?;
        if let Some(a) = &self.at {
            // A literal `ifN` is a lab index; a placeholder is the kernel's own.
            let a = resolve(st, &st.map_at(a))?;
            if at_text.as_deref() != Some(a.as_str()) {
                let shown_at = at_text.unwrap_or_default();
                bad.push(format!("shown as @{shown_at} (want @{a})"));
            }
        }
        if let Some(p) = &self.peer {
            bad.extend(peer_mismatch(st, node, &l, p)?);
        }
        let miss = (!bad.is_empty()).then(|| format!("{node}: {dev}: {}", bad.join("; ")));
        Ok(judged(miss, shown))
    }
}

impl ExpectLink {
    /// How the given attributes other than `at` and `peer` differ from `l`'s.
    fn attributes(&self, st: &dyn State, l: &Link, links: &[Link]) -> Result<Vec<String>> {
        let mut bad = vec![];
        if let Some(i) = self.index {
            let want = st.map_index(i).to_string();
            differs(&mut bad, "ifindex", l.index.to_string(), want);
        }
        if let Some(m) = self.mtu {
            differs(&mut bad, "mtu", l.mtu.to_string(), m.to_string());
        }
        if let Some(s) = &self.state {
            differs(&mut bad, "state", l.operstate.clone(), s.clone());
        }
        for f in self.flags.iter().flatten() {
            let names = l.flag_names();
            if !names.trim_matches(['<', '>']).split(',').any(|x| x == f) {
                bad.push(format!("flag {f} missing"));
            }
        }
        if let Some(m) = &self.mac {
            let got = l.mac.map(|m| fmt_mac(&m)).unwrap_or_default();
            differs(&mut bad, "mac", got, resolve(st, m)?);
        }
        if let Some(m) = &self.master {
            let got = l.master.map(|i| name_in(links, i));
            differs(&mut bad, "master", got.unwrap_or("none".into()), m.clone());
        }
        if let Some(k) = &self.kind {
            if l.kind.as_deref() != Some(k.as_str()) {
                bad.push(format!("kind {:?} (want {k})", l.kind));
            }
        }
        Ok(bad)
    }
}

/// Adds "WHAT GOT (want WANT)" to `bad` when they differ.
fn differs(bad: &mut Vec<String>, what: &str, got: String, want: String) {
    if got != want {
        bad.push(format!("{what} {got} (want {want})"));
    }
}

/// `ip -d link show DEV` as one line, and what iproute2 prints after `@`.
fn link_line(l: &Link, links: &[Link]) -> (String, Option<String>) {
    let name_of = |i: u32| name_in(links, i);
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
    (shown, at_text)
}

/// The name of ifindex `i` among `links`, or `ifN` as iproute2 shows it.
fn name_in(links: &[Link], i: u32) -> String {
    links
        .iter()
        .find(|l| l.index == i)
        .map(|l| l.name.clone())
        .unwrap_or(format!("if{i}"))
}

/// How `l`'s IFLA_LINK and link-netnsid fail to point at `peer`
/// (`dev` in the same node, or `node:dev`).
fn peer_mismatch(st: &dyn State, node: &str, l: &Link, peer: &str) -> Result<Vec<String>> {
    let mut bad = vec![];
    let (pn, pd) = split_at(peer).unwrap_or((node, peer));
    let pl = st.link(pn, pd)?;
    if l.link != Some(pl.index) {
        let is = match l.link {
            Some(i) => format!("IFLA_LINK {i} is {}", name_at(st, node, l.link_netnsid, i)),
            None => "no IFLA_LINK".into(),
        };
        bad.push(format!("{is}, not {pd} in {pn} (ifindex {})", pl.index));
    }
    match (l.link_netnsid, pn == node) {
        (None, true) => {}
        (Some(id), false) => {
            let owner = st.node_of_nsid(node, id)?;
            if owner.as_deref() != Some(pn) {
                bad.push(format!(
                    "link-netnsid {id} is {} (want {pn})",
                    owner.unwrap_or("unknown".into())
                ));
            }
        }
        (None, false) => bad.push(format!("no link-netnsid, yet the peer should be in {pn}")),
        (Some(id), true) => bad.push(format!(
            "link-netnsid {id}, yet the peer should be in the same namespace"
        )),
    }
    Ok(bad)
}
