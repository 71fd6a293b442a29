//! `pod-unreachable` (seeds 000, 001, 003): a veth whose far end, in
//! another namespace, holds an address this side has no path to. A path is
//! the route the kernel picks for that address leaving through the veth
//! itself, or through the up bridge the veth is a port of. Anything else
//! (no route, a route out of the bridge the veth is *not* a port of, the
//! default route towards the uplink) sends the pod's traffic elsewhere.
//!
//! Only pods are judged: the far namespace's default route leaves through
//! that far end. A namespace that only holds an address on a link (the
//! seeds' `lan`, a VPC stand-in with nothing routed) says nothing about
//! where its address should be reachable from, and stays quiet.

use super::{far_end, finding, is, within, Finding, Ns, Severity, Snapshot};
use crate::model::{Addr, Link};
use rtnetlink::packet_route::route::RouteType;

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for (i, ns) in s.namespaces.iter().enumerate() {
        for l in ns.links.iter().filter(|l| is(l, "veth")) {
            let Some((j, far)) = far_end(s, i, l) else {
                continue;
            };
            let fns = &s.namespaces[j];
            let pod = fns
                .routes
                .iter()
                .any(|r| r.dst.is_none() && r.oif == Some(far.index));
            if !pod {
                continue;
            }
            for a in fns.addrs_of(far.index).filter(|a| !a.ip.is_loopback()) {
                if !reaches(ns, l, a) {
                    out.push(report(ns, l, fns, far, a));
                }
            }
        }
    }
    out
}

/// Whether `ns` sends to `a` through `l` (or the up bridge `l` is a port of).
fn reaches(ns: &Ns, l: &Link, a: &Addr) -> bool {
    let Some(r) = ns.lookup(a.ip) else {
        return false;
    };
    if !matches!(r.kind, None | Some(RouteType::Unicast)) {
        return false;
    }
    match r.oif {
        Some(o) if o == l.index => true,
        Some(o) => l.master == Some(o) && ns.link(o).is_some_and(|b| b.up()),
        None => false,
    }
}

fn report(ns: &Ns, l: &Link, fns: &Ns, far: &Link, a: &Addr) -> Finding {
    let mut f = finding(
        "pod-unreachable",
        Severity::Problem,
        ns,
        &l.name,
        "000, 001, 003",
    );
    f.evidence.push(ns.link_line(l));
    f.evidence.push(format!(
        "in {}: {}: {} inet {}/{}",
        fns.label, far.index, far.name, a.ip, a.prefix
    ));
    f.evidence.push(match ns.lookup(a.ip) {
        Some(r) => format!("route to {}: {}", a.ip, ns.route_line(r)),
        None => format!("route to {}: none", a.ip),
    });
    // A bridge here that holds the pod's subnet: the veth belongs on it (001).
    let bridge = ns
        .links
        .iter()
        .find(|b| is(b, "bridge") && ns.addrs_of(b.index).any(|x| within(a.ip, x.ip, x.prefix)));
    f.fix = match bridge {
        Some(b) if l.master != Some(b.index) => format!(
            "{} holds {}/{} but {} is not a port of {} (which holds that subnet): ip link set {} master {}",
            far.name, a.ip, a.prefix, l.name, b.name, l.name, b.name
        ),
        Some(b) => format!(
            "{} is a port of {}, which is down: ip link set {} up",
            l.name, b.name, b.name
        ),
        // The subnet on two interfaces: the other one's route wins (seed 004).
        None if ns.routes.iter().any(|r| {
            r.oif == Some(l.index) && r.dst.is_some_and(|(d, p)| p > 0 && within(a.ip, d, p))
        }) =>
        {
            let other = ns.lookup(a.ip).and_then(|r| r.oif).map(|o| ns.name(o));
            format!(
                "{}'s route to {} loses to {}'s: one subnet on two interfaces. Keep it on one, as seed 004 does: put {} on that bridge (ip link set {} master BRIDGE) and its address on the bridge",
                l.name,
                a.ip,
                other.unwrap_or_else(|| "another interface".into()),
                l.name,
                l.name
            )
        }
        None => format!(
            "{} in {} holds {}, and nothing here routes it out of {}: add the /32 route the plugin writes, ip route add {} dev {} scope link",
            far.name, fns.label, a.ip, l.name, a.ip, l.name
        ),
    };
    f
}
