//! `forwarding-off` (seed 003, and the ptp plugin's pods of seed 000): a
//! namespace that must route pods' packets with `net.ipv4.ip_forward` 0.
//!
//! A pod of namespace N is a namespace whose default route leaves through
//! a veth whose peer is in N. N must forward when it has two routed pods
//! (veths on no bridge that N routes into: ptp, Calico), or a pod and a route via a
//! gateway or a tunnel elsewhere (its uplink). Pods on one bridge talk
//! through the bridge alone: a flannel node without an uplink route stays
//! quiet, as the kernel would not forward anything there either.

use super::{far_end, finding, is, Finding, Severity, Snapshot};
use std::collections::BTreeSet;

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for (i, ns) in s.namespaces.iter().enumerate() {
        if ns.sysctl("net.ipv4.ip_forward") != Some("0") {
            continue;
        }
        let mut pod_devs = BTreeSet::new();
        let mut routed = BTreeSet::new();
        let mut pods = vec![];
        for l in ns.links.iter().filter(|l| is(l, "veth")) {
            let Some((j, far)) = far_end(s, i, l) else {
                continue;
            };
            let fns = &s.namespaces[j];
            let default = fns
                .routes
                .iter()
                .any(|r| r.dst.is_none() && r.oif == Some(far.index));
            if !default {
                continue;
            }
            pods.push(format!(
                "{} (pod {}, default route out of {})",
                l.name, fns.label, far.name
            ));
            pod_devs.insert(l.master.unwrap_or(l.index));
            // Routed: off any bridge, and this namespace routes into it.
            if l.master.is_none() && ns.routes.iter().any(|r| r.oif == Some(l.index)) {
                routed.insert(l.index);
            }
        }
        let uplink: Vec<_> = ns
            .routes
            .iter()
            .filter(|r| r.oif.is_some_and(|o| !pod_devs.contains(&o)))
            .filter(|r| {
                r.gw.is_some()
                    || r.oif
                        .and_then(|o| ns.link(o))
                        .is_some_and(|l| is(l, "vxlan") || is(l, "ipip"))
            })
            .collect();
        if routed.len() < 2 && (pods.is_empty() || uplink.is_empty()) {
            continue;
        }
        let mut f = finding("forwarding-off", Severity::Problem, ns, "all", "003");
        f.evidence.push("net.ipv4.ip_forward = 0".into());
        f.evidence.extend(pods.into_iter().take(4));
        f.evidence
            .extend(uplink.iter().take(2).map(|r| ns.route_line(r)));
        f.fix = format!(
            "this node routes between its pods and beyond, which the kernel does only with forwarding on: ip netns exec {} sysctl -w net.ipv4.ip_forward=1",
            ns.label
        );
        out.push(f);
    }
    out
}
