//! Judging sysctls (as the kernel combines them) and daemons (BIRD's BGP
//! sessions), and `brctl show` as a terminal shows it, for `judge`.

use crate::check::judge::Verdict;
use crate::check::state::State;
use crate::error::Result;
use crate::lab::expect::split_at;
use crate::model::{fmt_mac, Link};

pub(crate) fn sysctl(st: &dyn State, node: &str, key: &str, value: &str) -> Result<Verdict> {
    Ok({
        let (got, from_all) = effective_sysctl(st, node, key)?;
        let shown = match from_all {
            true => format!("{key} = 0, but net.ipv4.conf.all.proxy_arp = {got}"),
            false => format!("{key} = {got}"),
        };
        if got == value {
            Ok(shown)
        } else {
            Err(format!("{node}: {shown}, not {value}"))
        }
    })
}

/// A device's sysctl as the kernel acts on it, and whether `conf.all` made
/// it so: for `proxy_arp` the device's value ORed with `conf.all`'s
/// (`IN_DEV_PROXY_ARP`), so `net.ipv4.conf.all.proxy_arp=1` works as the
/// device's own would.
fn effective_sysctl(st: &dyn State, node: &str, key: &str) -> Result<(String, bool)> {
    let got = st.sysctl(node, key)?;
    let dev = key
        .strip_prefix("net.ipv4.conf.")
        .and_then(|r| r.strip_suffix(".proxy_arp"))
        .filter(|d| *d != "all");
    if let (Some(_), "0") = (dev, got.as_str()) {
        let all = st.sysctl(node, "net.ipv4.conf.all.proxy_arp")?;
        if all != "0" {
            return Ok((all, true));
        }
    }
    Ok((got, false))
}

/// How a failed `bgp` check starts when no BIRD runs at all: nothing that
/// time would change, so it is not awaited.
pub const NO_BIRD: &str = "no BIRD runs in";

pub(crate) fn bgp(st: &dyn State, node: &str) -> Result<Verdict> {
    let Some(protos) = st.bird_protocols(node)? else {
        return Ok(Err(format!(
            "{NO_BIRD} {node}: routes written by hand are not learned over BGP"
        )));
    };
    let shown = protos
        .iter()
        .map(|(n, p, rest)| format!("{n} {p} {rest}"))
        .collect::<Vec<_>>()
        .join("\n");
    let bgp: Vec<_> = protos.iter().filter(|p| p.1 == "BGP").collect();
    Ok(if bgp.iter().any(|p| p.2.contains("Established")) {
        Ok(shown)
    } else if bgp.is_empty() {
        Err(format!("BIRD in {node} has no BGP protocol\n{shown}"))
    } else {
        Err(format!(
            "BIRD in {node}: no BGP session is Established\n{shown}"
        ))
    })
}

/// What `brctl show BRIDGE` prints.
pub fn brctl_show(br: &Link, members: &[String]) -> String {
    // The kernel's own id; a state without one (a unit test's) shows the
    // default priority and the MAC, as the kernel would.
    let id = br.bridge_id.clone().unwrap_or_else(|| {
        format!(
            "8000.{}",
            br.mac
                .map(|m| fmt_mac(&m).replace(':', ""))
                .unwrap_or_default()
        )
    });
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

/// Tabs turned into spaces to the next multiple of 8, as a terminal shows
/// `brctl show` (a tab would be escaped as a literal `\t`).
pub(crate) fn expand_tabs(s: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ', n));
                col += n;
            }
            '\n' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    out
}

/// The interface at ifindex `i` as `node`'s veth sees it: in `node` itself
/// without a link-netnsid, else in the namespace that id names there.
pub(super) fn name_at(st: &dyn State, node: &str, netnsid: Option<i32>, i: u32) -> String {
    let ns = match netnsid {
        None => Some(node.to_string()),
        Some(id) => st.node_of_nsid(node, id).ok().flatten(),
    };
    let Some(ns) = ns else {
        return format!("ifindex {i} in a namespace outside the lab");
    };
    match st.links(&ns) {
        Ok(ls) => match ls.iter().find(|l| l.index == i) {
            Some(l) => format!("{} in {ns}", l.name),
            None => format!("no interface in {ns}"),
        },
        Err(_) => format!("ifindex {i} in {ns}"),
    }
}

/// How `l`'s IFLA_LINK and link-netnsid fail to point at `peer`
/// (`dev` in the same node, or `node:dev`).
pub(super) fn peer_mismatch(
    st: &dyn State,
    node: &str,
    l: &Link,
    peer: &str,
) -> Result<Vec<String>> {
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
