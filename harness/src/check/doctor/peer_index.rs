//! `peer-index-elsewhere` (info; seeds 001, 002): `vethX@ifN` where N is
//! the peer's index in *another* namespace, and this namespace has its own
//! device N too (flannel's `veth…@if3` next to `docker0`, index 3). Names
//! the real peer. A peer index no local device has is not confusing and
//! stays quiet.

use super::{far_end, finding, is, Finding, Severity, Snapshot};

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for (i, ns) in s.namespaces.iter().enumerate() {
        for l in ns
            .links
            .iter()
            .filter(|l| is(l, "veth") && l.link_netnsid.is_some())
        {
            let Some(n) = l.link else { continue };
            let Some(local) = ns.link(n).filter(|x| x.index != l.index) else {
                continue;
            };
            let mut f = finding(
                "peer-index-elsewhere",
                Severity::Info,
                ns,
                &l.name,
                "001, 002",
            );
            f.evidence.push(ns.link_line(l));
            f.evidence
                .push(format!("here, index {n} is {}", local.name));
            let peer = match far_end(s, i, l) {
                Some((j, far)) => {
                    let fns = &s.namespaces[j];
                    f.evidence
                        .push(format!("in {}: {}", fns.label, fns.link_line(far)));
                    format!("{} (index {n}) in namespace {}", far.name, fns.label)
                }
                None => format!(
                    "index {n} in the namespace of netns id {}",
                    l.link_netnsid.unwrap_or(-1)
                ),
            };
            f.fix = format!(
                "nothing to fix: @if{n} is the peer's index in its own namespace, not {}; {}'s peer is {peer} (vethlab peers {} explains it)",
                local.name, l.name, l.name
            );
            out.push(f);
        }
    }
    out
}
