//! `loopback-down` (seed 001): a namespace in use whose `lo` is DOWN:
//! 127.0.0.1, over which a pod's containers talk, is gone. In use means a
//! pod (an address and a default route out) or a server (listening
//! sockets). A fresh namespace has `lo` down too and stays quiet, and so
//! does one the seeds make only to hold an address on a link (seed 004's
//! `song`, Calico's pods listed for their /32 routes): nothing there
//! talks to itself.
//!
//! Severity: `lo` DOWN with 127.0.0.1 still on it was taken down (seed
//! 001's mistake): a problem. `lo` that never came up holds no address:
//! no one ran the loopback CNI plugin, as the labs' bridge and ptp plugin
//! runs do not; reported as info, the pod's containers cannot use
//! 127.0.0.1 until `ip link set lo up`.

use super::{finding, Finding, Severity, Snapshot};
use rtnetlink::packet_route::route::RouteType;

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for ns in &s.namespaces {
        let Some(lo) = ns.links.iter().find(|l| l.name == "lo") else {
            continue;
        };
        if lo.up() {
            continue;
        }
        let addrs: Vec<_> = ns
            .addrs
            .iter()
            .filter(|a| a.index != lo.index && !a.ip.is_loopback())
            .collect();
        let default = ns
            .routes
            .iter()
            .find(|r| r.dst.is_none() && matches!(r.kind, None | Some(RouteType::Unicast)));
        let sockets = ns.listening.unwrap_or(0);
        if sockets == 0 && (addrs.is_empty() || default.is_none()) {
            continue;
        }
        let was_up = ns.addrs_of(lo.index).next().is_some();
        let sev = match was_up || sockets > 0 {
            true => Severity::Problem,
            false => Severity::Info,
        };
        let mut f = finding("loopback-down", sev, ns, "lo", "001");
        f.evidence.push(ns.link_line(lo));
        f.evidence.extend(ns.addr_lines(lo.index));
        if !was_up {
            f.evidence
                .push("lo holds no address: it never came up".into());
        }
        for a in addrs.iter().take(3) {
            f.evidence
                .extend(ns.addr_lines(a.index).into_iter().take(1));
        }
        if let Some(r) = default {
            f.evidence.push(ns.route_line(r));
        }
        if let Some(n) = ns.listening {
            f.evidence.push(format!("{n} listening sockets"));
        }
        f.evidence.dedup();
        f.fix = format!(
            "the containers of one pod share its namespace and talk over 127.0.0.1, which lives on lo: ip netns exec {} ip link set lo up",
            ns.label
        );
        out.push(f);
    }
    out
}
