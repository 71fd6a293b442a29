//! VXLAN overlays as flannel writes them (seed 001): per remote node a
//! route `SUBNET via GW dev flannel.1 onlink`, a permanent neighbour
//! `GW lladdr MAC`, and an FDB entry `MAC dst NODE_IP`, with learning off.
//!
//! - `vxlan-fdb-missing`: a route via a VXLAN device to a gateway whose
//!   neighbour entry names a MAC the FDB has no entry for (frames go
//!   nowhere), or the reverse: no neighbour entry for the gateway at all.
//! - `vxlan-one-way`: one node's VXLAN device sends to another node's (its
//!   FDB names that device's MAC), but that device has no FDB entry back:
//!   the other node's replies never reach this one.

use super::{finding, is, within, Finding, Ns, Severity, Snapshot};
use crate::model::{fmt_mac, Fdb, Link};

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for ns in &s.namespaces {
        out.extend(fdb_missing(ns));
    }
    out.extend(one_way(s));
    out
}

fn fdb_line(ns: &Ns, e: &Fdb) -> String {
    let mut s = format!("{} dev {}", fmt_mac(&e.mac), ns.name(e.index));
    if let Some(d) = e.dst {
        s.push_str(&format!(" dst {d}"));
    }
    s
}

fn fdb_missing(ns: &Ns) -> Vec<Finding> {
    let mut out: Vec<Finding> = vec![];
    for r in &ns.routes {
        let (Some(gw), Some(v)) = (r.gw, r.oif.and_then(|o| ns.link(o))) else {
            continue;
        };
        if !is(v, "vxlan")
            || out
                .iter()
                .any(|f| f.device == v.name && f.fix.contains(&gw.to_string()))
        {
            continue;
        }
        let neigh = ns
            .neighbours
            .iter()
            .find(|n| n.index == v.index && n.ip == gw);
        let mut f = finding("vxlan-fdb-missing", Severity::Problem, ns, &v.name, "001");
        f.evidence.push(ns.route_line(r));
        match neigh.and_then(|n| n.lladdr) {
            Some(mac) => {
                if ns.fdb.iter().any(|e| e.index == v.index && e.mac == mac) {
                    continue;
                }
                f.evidence
                    .push(format!("{gw} dev {} lladdr {}", v.name, fmt_mac(&mac)));
                f.evidence.push(format!(
                    "bridge fdb: no entry for {} on {}",
                    fmt_mac(&mac),
                    v.name
                ));
                f.fix = format!(
                    "the kernel knows {gw} is {m} but not which node holds {m}: bridge fdb append {m} dev {} dst REMOTE_NODE_IP (flanneld writes it from the node's annotation)",
                    v.name,
                    m = fmt_mac(&mac)
                );
            }
            None => {
                f.evidence
                    .push(format!("ip neigh: no entry for {gw} on {}", v.name));
                for e in ns
                    .fdb
                    .iter()
                    .filter(|e| e.index == v.index && e.dst.is_some())
                {
                    f.evidence.push(fdb_line(ns, e));
                }
                f.fix = format!(
                    "with learning off nobody resolves {gw} on {}: ip neigh add {gw} lladdr REMOTE_VTEP_MAC dev {} nud permanent",
                    v.name, v.name
                );
            }
        }
        out.push(f);
    }
    out
}

fn one_way(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for (i, a) in s.namespaces.iter().enumerate() {
        for va in a.links.iter().filter(|l| is(l, "vxlan")) {
            let Some(amac) = va.mac else { continue };
            for e in a
                .fdb
                .iter()
                .filter(|e| e.index == va.index && e.dst.is_some())
            {
                for (j, b) in s.namespaces.iter().enumerate() {
                    let hit = b
                        .links
                        .iter()
                        .find(|l| is(l, "vxlan") && l.mac == Some(e.mac));
                    let Some(vb) = hit.filter(|_| j != i) else {
                        continue;
                    };
                    if b.fdb.iter().any(|x| x.index == vb.index && x.mac == amac) {
                        continue;
                    }
                    out.push(one_way_finding(a, va, e, b, vb));
                }
            }
        }
    }
    out
}

fn one_way_finding(a: &Ns, va: &Link, e: &Fdb, b: &Ns, vb: &Link) -> Finding {
    let amac = fmt_mac(&va.mac.unwrap_or_default());
    let mut f = finding("vxlan-one-way", Severity::Problem, b, &vb.name, "001");
    f.evidence
        .push(format!("in {}: {}", a.label, fdb_line(a, e)));
    f.evidence
        .push(format!("in {}: {}", a.label, a.link_line(va)));
    f.evidence
        .push(format!("bridge fdb: no entry for {amac} on {}", vb.name));
    // A's underlay address: the one on the subnet of the dst it sends to.
    let under = e.dst.and_then(|d| {
        a.addrs
            .iter()
            .find(|x| x.ip != d && within(d, x.ip, x.prefix))
    });
    let under = under.map_or("ITS_NODE_IP".to_string(), |x| x.ip.to_string());
    let gw = a.addrs_of(va.index).next();
    f.fix = match gw {
        Some(g) => format!(
            "{} sends to this node over VXLAN but this node has no way back: ip route add {}/24 via {} dev {vb} onlink; ip neigh add {} lladdr {amac} dev {vb} nud permanent; bridge fdb append {amac} dev {vb} dst {under}",
            a.label, g.ip, g.ip, g.ip, vb = vb.name
        ),
        None => format!("bridge fdb append {amac} dev {} dst {under}", vb.name),
    };
    f
}
