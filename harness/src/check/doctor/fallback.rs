//! `fallback-tunnel` (info; kernel notes): `tunl0`, `gre0`, … exist in
//! every namespace once their module is loaded (ipip, ip_gre, sit, …),
//! created with the namespace and taking the next ifindexes: the seeds'
//! indexes (`eth0` at 2, `@if3`) shift on such a kernel. Reported once,
//! for the first namespace that has them.

use super::{finding, Finding, Severity, Snapshot};

/// Devices the kernel makes in every namespace when a tunnel module is loaded.
pub const FALLBACK: &[(&str, &str)] = &[
    ("tunl0", "ipip"),
    ("gre0", "ip_gre"),
    ("gretap0", "ip_gre"),
    ("erspan0", "ip_gre"),
    ("sit0", "sit"),
    ("ip_vti0", "ip_vti"),
    ("ip6tnl0", "ip6_tunnel"),
    ("ip6gre0", "ip6_gre"),
    ("ip6_vti0", "ip6_vti"),
];

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let has = |n: &str| {
        s.namespaces
            .iter()
            .filter(|ns| ns.links.iter().any(|l| l.name == n))
            .count()
    };
    let Some(ns) = s.namespaces.iter().find(|ns| {
        ns.links
            .iter()
            .any(|l| FALLBACK.iter().any(|(n, _)| *n == l.name))
    }) else {
        return vec![];
    };
    let mut devs = vec![];
    let mut f = finding("fallback-tunnel", Severity::Info, ns, "", "kernel");
    for l in ns.links.iter() {
        if let Some((_, m)) = FALLBACK.iter().find(|(n, _)| *n == l.name) {
            devs.push(l.name.clone());
            f.evidence.push(format!(
                "{} (module {m}; in {} of {} namespaces read)",
                ns.link_line(l),
                has(&l.name),
                s.namespaces.len()
            ));
        }
    }
    f.device = devs.join(", ");
    f.fix = "nothing to fix: a loaded tunnel module puts its fallback device in every namespace, so the next devices get higher ifindexes than on the seeds' machines (compare names, not indexes)".into();
    vec![f]
}
