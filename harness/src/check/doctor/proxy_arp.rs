//! `proxy-arp-missing` (seed 003): a pod routes via a gateway that no
//! namespace holds and that lies on none of its own subnets (Calico's
//! 169.254.1.1 beside a /32), so only proxy ARP on the host
//! end of its veth can answer; and that is off, both for the device and
//! for `conf.all` (the kernel answers when either is on). A sysctl that
//! could not be read keeps the rule quiet (the snapshot says so).

use super::{conf_key, far_end, finding, is, within, Finding, Severity, Snapshot};
use std::collections::BTreeSet;

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    let mut seen = BTreeSet::new();
    for (i, ns) in s.namespaces.iter().enumerate() {
        for r in &ns.routes {
            let (Some(gw), Some(oif)) = (r.gw, r.oif) else {
                continue;
            };
            let Some(l) = ns.link(oif).filter(|l| is(l, "veth")) else {
                continue;
            };
            let Some((j, far)) = far_end(s, i, l) else {
                continue;
            };
            // A gateway on the pod's own subnet is an ordinary router
            // (perhaps outside what was read, as a node's LAN gateway is).
            let on_subnet = ns.addrs_of(oif).any(|a| within(gw, a.ip, a.prefix));
            let held = s
                .namespaces
                .iter()
                .any(|n| n.addrs.iter().any(|a| a.ip == gw));
            if on_subnet || held {
                continue;
            }
            let fns = &s.namespaces[j];
            // On a bridge port, ARP is answered by the bridge.
            let dev = far.master.and_then(|m| fns.link(m)).unwrap_or(far);
            let (dk, ak) = (
                conf_key(&dev.name, "proxy_arp"),
                conf_key("all", "proxy_arp"),
            );
            let (Some(dv), Some(av)) = (fns.sysctl(&dk), fns.sysctl(&ak)) else {
                continue;
            };
            if dv != "0" || av != "0" || !seen.insert((j, dev.index)) {
                continue;
            }
            let mut f = finding(
                "proxy-arp-missing",
                Severity::Problem,
                fns,
                &dev.name,
                "003",
            );
            f.evidence = vec![
                format!("in {}: {}", ns.label, ns.route_line(r)),
                format!(
                    "{gw} is held by no namespace read, and is on no subnet of {}",
                    l.name
                ),
                fns.link_line(dev),
                format!("{dk} = {dv}"),
                format!("{ak} = {av}"),
            ];
            f.fix = format!(
                "nobody answers the pod's ARP for {gw}: turn proxy ARP on for the host end, as Calico does (without giving {gw} to any interface): sysctl -w {dk}=1"
            );
            out.push(f);
        }
    }
    out
}
