//! Judging an expectation against kernel state handed over as a [`State`]:
//! Ok(what was seen) or Err(what differs). No I/O of its own.

use crate::check::addrs;
use crate::check::judge_more::{bgp, expand_tabs, name_at, peer_mismatch, sysctl};
pub use crate::check::judge_more::{brctl_show, NO_BIRD};
use crate::check::lines::resolve;
use crate::check::route_match::{route_matches, route_miss};
use crate::check::state::State;
use crate::error::{Error, Result};
use crate::lab::expect::{split_at, Expect, Family, Method};
use crate::model::{fmt_mac, Link};

/// Ok(what was seen) or Err(what differs).
pub type Verdict = std::result::Result<String, String>;

impl Expect {
    /// Check against the kernel now. Ok(what was seen) or Err(what differs).
    /// SameFrames is checked by the step runner, which holds the captures.
    pub fn check(&self, st: &dyn State) -> Result<Verdict> {
        let r = self.judge(st);
        // A device that is not there is a verdict, not an error: name it
        // with its node ("song has no interface veth1").
        if let Err(e) = &r {
            let text = e.to_string();
            for (node, dev) in self.devices() {
                if text.contains(&format!("Cannot find device \"{dev}\"")) {
                    return Ok(Err(format!("{node} has no interface {dev}")));
                }
            }
        }
        r
    }

    fn judge(&self, st: &dyn State) -> Result<Verdict> {
        match self {
            Expect::Link { .. } => link(st, self),
            Expect::Links { node, names } => links(st, node, names),
            Expect::Addr {
                node,
                dev,
                exactly,
                has,
                family,
            } => addrs::addr(st, node, dev, exactly.as_deref(), has, *family),
            Expect::Routes {
                node,
                has,
                lacks,
                family,
            } => routes(st, node, has, lacks, *family == Some(Family::Inet6)),
            Expect::Neigh {
                node,
                dev,
                ip,
                state,
                lladdr,
            } => addrs::neigh(st, node, dev, ip, state, lladdr.as_deref()),
            Expect::Sysctl { node, key, value } => sysctl(st, node, key, value),
            Expect::PeerIndex {
                node,
                dev,
                peer,
                methods,
            } => peer_index_of(st, node, dev, peer, methods),
            Expect::Bridge { node, dev, members } => bridge(st, node, dev, members),
            Expect::SameFrames { .. } => Ok(Ok(String::new())),
            Expect::Ipam { network, allocated } => ipam(st, network, allocated),
            Expect::Bgp { node } => bgp(st, node),
        }
    }
}

fn links(st: &dyn State, node: &str, names: &[String]) -> Result<Verdict> {
    Ok({
        let links = st.links(node)?;
        // The kernel's fallback tunnels (tunl0, gre0, …) are in every
        // namespace where their module is loaded: not the lab's to
        // list, unless it names them.
        let fallback = st.fallback_names();
        let mut got: Vec<String> = links
            .iter()
            .map(|l| l.name.clone())
            .filter(|n| !fallback.contains(n) || names.contains(n))
            .collect();
        got.sort();
        let mut want = names.to_vec();
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
            let diag = match want.iter().find(|w| !got.contains(w)) {
                Some(w) => format!("{node} has no interface {w}"),
                None => format!(
                    "{node} should not hold {}",
                    got.iter()
                        .find(|g| !want.contains(g))
                        .cloned()
                        .unwrap_or_default()
                ),
            };
            Err(format!("{diag}\n{shown}"))
        }
    })
}

fn routes(
    st: &dyn State,
    node: &str,
    has: &[String],
    lacks: &[String],
    six: bool,
) -> Result<Verdict> {
    Ok({
        let lines = match six {
            true => addrs::route6_lines(st, node)?,
            false => route_lines(st, node)?,
        };
        let mut bad = vec![];
        for h in has {
            if !lines.iter().any(|l| route_matches(h, l)) {
                bad.push(route_miss(node, h, &lines));
            }
        }
        for h in lacks {
            if let Some(l) = lines.iter().find(|l| route_matches(h, l)) {
                bad.push(format!("{node} still has `{l}`"));
            }
        }
        let cmd = if six { "ip -6 route" } else { "ip route" };
        let shown = format!("{cmd}:\n      {}", lines.join("\n      "));
        if bad.is_empty() {
            Ok(shown)
        } else {
            // The first line is the diagnosis; the listing follows.
            Err(format!("{}\n{shown}", bad.join("; ")))
        }
    })
}

fn peer_index_of(
    st: &dyn State,
    node: &str,
    dev: &str,
    peer: &str,
    methods: &[Method],
) -> Result<Verdict> {
    Ok({
        let (pn, pd) = split_at(peer).unwrap_or((node, peer));
        let want = st.link(pn, pd)?.index;
        let mut seen = vec![];
        // Only a veth has a peer: on any other device the methods read its
        // own ifindex or nothing, which could match by chance.
        let kind = st.link(node, dev)?.kind;
        let mut bad = kind.as_deref() != Some("veth");
        if bad {
            seen.push(format!(
                "{dev} is {}, not a veth: it has no peer",
                kind.as_deref().unwrap_or("a device of no kind")
            ));
        }
        for m in methods {
            let got = peer_index(st, node, dev, m)?;
            bad |= got != want;
            seen.push(match m {
                Method::Iflink => format!("IFLA_LINK {got}"),
                Method::Sysfs => format!("/sys/class/net/{dev}/iflink {got}"),
                Method::Ethtool => format!("ethtool -S {dev}: peer_ifindex: {got}"),
            });
        }
        let shown = format!("{}; {pd} in {pn} is ifindex {want}", seen.join(", "));
        if bad {
            // Name what the wrong index is: `IFLA_LINK 3` alone sends the
            // reader to count interfaces in every namespace.
            let l = st.link(node, dev)?;
            let what = match l.link {
                Some(i) if i != want => format!(
                    "; ifindex {i} there is {}",
                    name_at(st, node, l.link_netnsid, i)
                ),
                _ => String::new(),
            };
            Err(format!("{shown}{what}"))
        } else {
            Ok(shown)
        }
    })
}

fn bridge(st: &dyn State, node: &str, dev: &str, members: &[String]) -> Result<Verdict> {
    Ok({
        let br = st.link(node, dev)?;
        let links = st.links(node)?;
        let mut got: Vec<String> = links
            .iter()
            .filter(|l| l.master == Some(br.index))
            .map(|l| l.name.clone())
            .collect();
        got.sort();
        let mut want = members.to_vec();
        want.sort();
        let shown = brctl_show(&br, &got);
        let diag = if br.kind.as_deref() != Some("bridge") {
            format!("{node}: {dev} is not a bridge")
        } else if let Some(w) = want.iter().find(|w| !got.contains(w)) {
            format!("{node}: {w} is not in {dev}")
        } else if let Some(g) = got.iter().find(|g| !want.contains(g)) {
            format!("{node}: {g} should not be in {dev}")
        } else {
            return Ok(Ok(expand_tabs(&shown)));
        };
        Err(format!("{diag}\n{}", expand_tabs(&shown)))
    })
}

fn ipam(st: &dyn State, network: &str, allocated: &[String]) -> Result<Verdict> {
    Ok({
        let mut got = st.ipam(network)?;
        got.sort();
        let mut want = allocated.to_vec();
        want.sort();
        if got == want {
            Ok(format!("allocated: [{}]", got.join(", ")))
        } else {
            Err(format!("allocated: [{}]", got.join(", ")))
        }
    })
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

fn link(st: &dyn State, e: &Expect) -> Result<Verdict> {
    let Expect::Link {
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
    } = e
    else {
        return Err(Error::other(format!(
            "not a link expectation: {}",
            e.describe()
        )));
    };
    let l = st.link(node, dev)?;
    let links = st.links(node)?;
    let (shown, at_text) = link_line(&l, &links);
    let mut bad = vec![];
    if let Some(i) = index {
        differs(
            &mut bad,
            "ifindex",
            l.index.to_string(),
            st.map_index(*i).to_string(),
        );
    }
    if let Some(m) = mtu {
        differs(&mut bad, "mtu", l.mtu.to_string(), m.to_string());
    }
    if let Some(s) = state {
        differs(&mut bad, "state", l.operstate.clone(), s.clone());
    }
    for f in flags.iter().flatten() {
        let names = l.flag_names();
        if !names.trim_matches(['<', '>']).split(',').any(|x| x == f) {
            bad.push(format!("flag {f} missing"));
        }
    }
    if let Some(m) = mac {
        let got = l.mac.map(|m| fmt_mac(&m)).unwrap_or_default();
        differs(&mut bad, "mac", got, resolve(st, m)?);
    }
    if let Some(m) = master {
        let got = l.master.map(|i| name_in(&links, i));
        differs(&mut bad, "master", got.unwrap_or("none".into()), m.clone());
    }
    if let Some(k) = kind {
        if l.kind.as_deref() != Some(k.as_str()) {
            bad.push(format!("kind {:?} (want {k})", l.kind));
        }
    }
    if let Some(a) = at {
        // A literal `ifN` is a lab index; a placeholder is the kernel's own.
        let a = resolve(st, &st.map_at(a))?;
        if at_text.as_deref() != Some(a.as_str()) {
            bad.push(format!(
                "shown as @{} (want @{a})",
                at_text.unwrap_or_default()
            ));
        }
    }
    if let Some(p) = peer {
        bad.extend(peer_mismatch(st, node, &l, p)?);
    }
    Ok(if bad.is_empty() {
        Ok(shown)
    } else {
        Err(format!("{node}: {dev}: {}\n{shown}", bad.join("; ")))
    })
}

/// Adds "WHAT GOT (want WANT)" to `bad` when they differ.
fn differs(bad: &mut Vec<String>, what: &str, got: String, want: String) {
    if got != want {
        bad.push(format!("{what} {got} (want {want})"));
    }
}

/// `ip route` of a node, one rendered line per route.
pub fn route_lines(st: &dyn State, node: &str) -> Result<Vec<String>> {
    let routes = st.routes(node)?;
    let links = st.links(node)?;
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
pub fn peer_index(st: &dyn State, node: &str, dev: &str, m: &Method) -> Result<u32> {
    match m {
        Method::Iflink => st
            .link(node, dev)?
            .link
            .ok_or_else(|| Error::other(format!("{dev} in {node} has no IFLA_LINK"))),
        Method::Sysfs => st.sysfs_iflink(node, dev),
        Method::Ethtool => st.ethtool_peer_ifindex(node, dev),
    }
}
