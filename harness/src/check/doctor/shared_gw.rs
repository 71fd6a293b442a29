//! `shared-gateway-32` (info; seed 000): the same /32 on several veths of
//! one namespace. The ptp plugin gives every host end the pod's gateway
//! address (10.188.2.1/32) and routes each pod by its own /32: the kernel
//! answers ARP for a local address on any interface, so every pod finds
//! its gateway on its own veth. Not a conflict.

use super::{finding, is, Finding, Severity, Snapshot};
use std::collections::BTreeMap;

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for ns in &s.namespaces {
        let mut by_ip: BTreeMap<_, Vec<u32>> = BTreeMap::new();
        for a in ns.addrs.iter().filter(|a| a.prefix == 32) {
            if ns.link(a.index).is_some_and(|l| is(l, "veth")) {
                by_ip.entry(a.ip).or_default().push(a.index);
            }
        }
        for (ip, devs) in by_ip.into_iter().filter(|(_, d)| d.len() > 1) {
            let names: Vec<String> = devs.iter().map(|d| ns.name(*d)).collect();
            let mut f = finding("shared-gateway-32", Severity::Info, ns, &names[0], "000");
            for d in &devs {
                f.evidence.extend(
                    ns.addr_lines(*d)
                        .into_iter()
                        .filter(|l| l.contains(&format!(" {ip}/32"))),
                );
            }
            f.fix = format!(
                "nothing to fix: {ip}/32 on {} veths ({}) is the ptp plugin's design: each pod's gateway is its own host end, and each pod is routed by its own /32 route",
                devs.len(),
                names.join(", ")
            );
            out.push(f);
        }
    }
    out
}
