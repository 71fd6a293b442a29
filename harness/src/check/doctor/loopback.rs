//! `loopback-down` (seed 001): a namespace in use (it holds addresses and
//! routes out, or has listening sockets) whose `lo` is DOWN: 127.0.0.1,
//! over which a pod's containers talk, is gone. A fresh namespace with
//! nothing in it has `lo` down too, and stays quiet.

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
        let routes = ns
            .routes
            .iter()
            .filter(|r| matches!(r.kind, None | Some(RouteType::Unicast)))
            .count();
        let sockets = ns.listening.unwrap_or(0);
        if sockets == 0 && (addrs.is_empty() || routes == 0) {
            continue;
        }
        let mut f = finding("loopback-down", Severity::Problem, ns, "lo", "001");
        f.evidence.push(ns.link_line(lo));
        for a in addrs.iter().take(3) {
            f.evidence
                .extend(ns.addr_lines(a.index).into_iter().take(1));
        }
        f.evidence.push(format!("{routes} routes"));
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
