//! `bridge-port-address` (seed 004): an interface enslaved to a bridge
//! holds an IPv4 address, or an IPv6 one beyond the link-local address the
//! kernel gives every port (NDP for it is answered by the bridge as ARP is). Every frame arriving on a port is handed to the
//! bridge (its rx handler), so ARP for that address is answered from the
//! bridge's table, never from the port: move the address to the bridge.
//!
//! A /32 on a bridge port is reported too. Unnumbered /32 designs (the ptp
//! plugin, Calico) put the /32 on a routed veth that is *not* a port; on a
//! port the address is just as unreachable through that port as a /24 is.
//! An address on the bridge itself is the fix, and stays quiet.

use super::{finding, is, Finding, Severity, Snapshot};

pub(super) fn check(s: &Snapshot) -> Vec<Finding> {
    let mut out = vec![];
    for ns in &s.namespaces {
        for l in &ns.links {
            let Some(br) = l
                .master
                .and_then(|m| ns.link(m))
                .filter(|b| is(b, "bridge"))
            else {
                continue;
            };
            let mut addrs: Vec<(String, u8, &str)> = ns
                .addrs_of(l.index)
                .map(|a| (a.ip.to_string(), a.prefix, "ip"))
                .collect();
            addrs.extend(
                ns.addrs6
                    .iter()
                    .filter(|a| a.index == l.index && !a.ip.is_unicast_link_local())
                    .map(|a| (a.ip.to_string(), a.prefix, "ip -6")),
            );
            if addrs.is_empty() {
                continue;
            }
            let mut f = finding("bridge-port-address", Severity::Problem, ns, &l.name, "004");
            f.evidence.push(ns.link_line(l));
            f.evidence.extend(ns.addr_lines(l.index));
            let moves: Vec<String> = addrs
                .iter()
                .map(|(ip, p, cmd)| {
                    format!(
                        "{cmd} addr del {ip}/{p} dev {dev}; {cmd} addr add {ip}/{p} dev {br}",
                        dev = l.name,
                        br = br.name
                    )
                })
                .collect();
            f.fix = format!(
                "{} is a port of bridge {}: ARP for its address is answered by the bridge, not by {}. Move the address to the bridge: {}",
                l.name,
                br.name,
                l.name,
                moves.join("; ")
            );
            out.push(f);
        }
    }
    out
}
