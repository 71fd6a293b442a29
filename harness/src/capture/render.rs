//! A decoded frame as the line `tcpdump -n` prints for it (without the
//! timestamp): ARP, ICMP, UDP, VXLAN (as OTV on flannel's port 8472),
//! IP-in-IP, and what is malformed.

use super::decode::*;
use super::render6::render_ip6;
use crate::model::fmt_mac;

/// The line(s) `tcpdump -n` prints for this frame, without the timestamp.
/// VXLAN prints two lines, as tcpdump does: the outer header, then the inner frame.
pub fn render(f: &FrameRepr) -> String {
    match &f.pkt {
        Packet::Arp {
            op,
            sha,
            spa,
            tha,
            tpa,
            len,
        } => match op {
            1 => {
                let tha = if *tha != [0; 6] {
                    format!(" ({})", fmt_mac(tha))
                } else {
                    String::new()
                };
                format!("ARP, Request who-has {tpa}{tha} tell {spa}, length {len}")
            }
            2 => format!("ARP, Reply {spa} is-at {}, length {len}", fmt_mac(sha)),
            o => format!("ARP, Unknown ({o}), length {len}"),
        },
        Packet::Ip(ip) => render_ip(ip),
        Packet::Ip6(ip) => render_ip6(ip),
        Packet::Other { ethertype, len } => {
            format!("ethertype Unknown (0x{ethertype:04x}), length {}", len + 14)
        }
        Packet::Malformed { what, len } => format!("[|{what}], length {len}"),
    }
}

fn render_ip(ip: &Ip) -> String {
    let (s, d) = (ip.src, ip.dst);
    match &ip.l4 {
        L4::Echo {
            reply,
            id,
            seq,
            len,
        } => format!(
            "IP {s} > {d}: ICMP echo {}, id {id}, seq {seq}, length {len}",
            if *reply { "reply" } else { "request" }
        ),
        L4::Unreach { code, orig, len } => {
            let what = match (code, orig) {
                (0, Some((_, od, _))) => format!("net {od} unreachable"),
                (1, Some((_, od, _))) => format!("host {od} unreachable"),
                (2, Some((_, od, p))) => format!("{od} protocol {p} unreachable"),
                (c, _) => format!("type-#3 code {c}"),
            };
            format!("IP {s} > {d}: ICMP {what}, length {len}")
        }
        L4::Icmp { ty, len, .. } => format!("IP {s} > {d}: ICMP type-#{ty}, length {len}"),
        L4::Udp {
            sport,
            dport,
            len,
            vxlan,
        } => match vxlan {
            Some(v) => {
                let head = if *dport == FLANNEL_VXLAN_PORT {
                    format!(
                        "OTV, flags [{}] (0x{:02x}), overlay 0, instance {}",
                        if v.flags & 8 != 0 { "I" } else { "." },
                        v.flags,
                        v.vni
                    )
                } else {
                    format!(
                        "VXLAN, flags [{}] (0x{:02x}), vni {}",
                        if v.flags & 8 != 0 { "I" } else { "." },
                        v.flags,
                        v.vni
                    )
                };
                format!("IP {s}.{sport} > {d}.{dport}: {head}\n{}", render(&v.inner))
            }
            None => format!("IP {s}.{sport} > {d}.{dport}: UDP, length {len}"),
        },
        L4::Tcp { sport, dport, len } => format!("IP {s}.{sport} > {d}.{dport}: tcp {len}"),
        L4::Igmp { ty, group, records } => match ty {
            0x22 => format!("IP {s} > {d}: igmp v3 report, {records} group record(s)"),
            0x16 => format!("IP {s} > {d}: igmp v2 report {group}"),
            0x12 => format!("IP {s} > {d}: igmp v1 report {group}"),
            0x17 => format!("IP {s} > {d}: igmp leave {group}"),
            0x11 => format!("IP {s} > {d}: igmp query"),
            t => format!("IP {s} > {d}: igmp type 0x{t:02x}"),
        },
        L4::IpIp(inner) => format!("IP {s} > {d}: {}", render_ip(inner)),
        L4::Ip6(inner) => format!("IP {s} > {d}: {}", render_ip6(inner)),
        L4::Other { len } => format!("IP {s} > {d}: ip-proto-{} {len}", ip.proto),
    }
}

/// The lines one frame prints (two for VXLAN).
pub fn render_lines(linktype: i32, data: &[u8]) -> Vec<String> {
    render(&decode(linktype, data))
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every line of a capture, in order.
pub fn render_all(linktype: i32, frames: &[crate::capture::frame::Frame]) -> Vec<String> {
    frames
        .iter()
        .flat_map(|f| render_lines(linktype, &f.data))
        .collect()
}
