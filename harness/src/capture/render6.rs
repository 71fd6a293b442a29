//! A decoded IPv6 packet as the line `tcpdump -n` (4.99, no `-v`) prints for
//! it, quirks included (the double spaces of `unreachable prohibited` and
//! `ip-proto-N`, MLDv1's missing separator, the hex dump of unknown kinds).
//! Without `-v` tcpdump prints no NDP option, so no MAC appears here.

use super::decode6::{Ext6, Icmp6, Icmp6Msg, Ip6, L6};
use super::render::render;
use std::fmt::Write;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An IPv6 address as tcpdump writes it: RFC 5952 like Rust's `Display`,
/// except that an IPv4-compatible address (`::a.b.c.d`, 96 zero bits, then
/// a non-zero seventh word) keeps its dotted quad, where Rust writes hex.
pub struct A6(pub Ipv6Addr);

impl std::fmt::Display for A6 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = self.0.segments();
        if w[..6] == [0; 6] && w[6] != 0 {
            let o = self.0.octets();
            return write!(f, "::{}", Ipv4Addr::new(o[12], o[13], o[14], o[15]));
        }
        write!(f, "{}", self.0)
    }
}

/// The line(s) for an IPv6 packet, starting `IP6 `.
pub fn render_ip6(ip: &Ip6) -> String {
    let mut out = String::from("IP6 ");
    if ip.missing > 0 {
        let _ = write!(out, "truncated-ip6 - {} bytes missing!", ip.missing);
    }
    let (s, d) = (A6(ip.src), A6(ip.dst));
    // tcpdump lets UDP and TCP print the addresses with their ports when
    // they follow the fixed header directly.
    match (&ip.l4, ip.exts.is_empty()) {
        (
            L6::Udp { sport, dport, .. }
            | L6::UdpCut { sport, dport }
            | L6::Tcp { sport, dport, .. },
            true,
        ) => {
            let _ = write!(out, "{s}.{sport} > {d}.{dport}: ");
        }
        _ => {
            let _ = write!(out, "{s} > {d}: ");
        }
    }
    for e in &ip.exts {
        out.push_str(&ext(e));
    }
    out.push_str(&upper(&ip.l4, ip.exts.is_empty()));
    if ip.l4 == L6::LaterFragment {
        // "frag (8|8)" ends the line, without the space a header would follow.
        out.truncate(out.trim_end().len());
    }
    out
}

fn ext(e: &Ext6) -> String {
    match e {
        Ext6::HopByHop => "HBH ".into(),
        Ext6::DestOpts => "DSTOPT ".into(),
        Ext6::Routing {
            ty,
            segleft,
            len,
            addrs,
        } => match ty {
            0 => {
                let mut s = format!("RT6 (len={len}, type=0 [Deprecated], segleft={segleft}");
                for (i, a) in addrs.iter().enumerate() {
                    let _ = write!(s, ", [{i}]{}", A6(*a));
                }
                s + ") "
            }
            // Mobility (2) and segment routing (4): not compared with tcpdump.
            2 | 4 => format!("RT6 (len={len}, type={ty}, segleft={segleft}) "),
            // Unknown types: tcpdump stops here, unclosed, and says why.
            _ => format!("RT6 (len={len}, type={ty}, segleft={segleft}"),
        },
        Ext6::Fragment { offset, len, .. } => format!("frag ({offset}|{len}) "),
    }
}

fn upper(l4: &L6, first: bool) -> String {
    let ports = |sport: &u16, dport: &u16| {
        if first {
            String::new()
        } else {
            format!("{sport} > {dport}: ")
        }
    };
    match l4 {
        L6::Icmp6(m) => icmp6(m),
        L6::Udp {
            sport,
            dport,
            len,
            avail,
            vxlan,
        } => match vxlan {
            Some(v) => {
                let flags = if v.flags & 8 != 0 { "I" } else { "." };
                let head = if *dport == super::decode::FLANNEL_VXLAN_PORT {
                    format!(
                        "OTV, flags [{flags}] (0x{:02x}), overlay 0, instance {}",
                        v.flags, v.vni
                    )
                } else {
                    format!("VXLAN, flags [{flags}] (0x{:02x}), vni {}", v.flags, v.vni)
                };
                format!("{}{head}\n{}", ports(sport, dport), render(&v.inner))
            }
            None if len > avail => {
                format!("{}UDP, bad length {len} > {avail}", ports(sport, dport))
            }
            None => format!("{}UDP, length {len}", ports(sport, dport)),
        },
        L6::Tcp { sport, dport, len } => format!("{}tcp {len}", ports(sport, dport)),
        L6::UdpCut { sport, dport } => format!("{} [|udp]", ports(sport, dport)),
        L6::Ip6(inner) => render_ip6(inner),
        L6::NoNext => "no next header".into(),
        L6::LaterFragment => String::new(),
        L6::Invalid(why) => format!("{why} (invalid)"),
        L6::BadVersion(v) => format!("IP6 version error: {v} != 6"),
        // tcpdump's nd_print_trunc: a space, then the layer cut short.
        L6::Truncated(what) => format!(" [|{what}]"),
        L6::Other { proto, len } => format!(" ip-proto-{proto} {len}"),
    }
}

/// tcpdump's name for an ICMPv6 type, if it has one.
fn name(ty: u8) -> Option<&'static str> {
    Some(match ty {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        144 => "ha discovery request",
        145 => "ha discovery reply",
        146 => "mobile router solicitation",
        147 => "mobile router advertisement",
        200 => "mtrace response",
        201 => "mtrace message",
        _ => return None,
    })
}

/// What destination unreachable prints for its code (tcpdump's own spacing).
fn unreach_code(code: u8) -> String {
    match code {
        0 => "unreachable route".into(),
        1 => " unreachable prohibited".into(),
        2 => "beyond scope".into(),
        3 => "unreachable address".into(),
        4 => "unreachable port".into(),
        c => format!("unknown unreach code ({c})"),
    }
}

fn icmp6(m: &Icmp6) -> String {
    let len = m.len;
    let Some(n) = name(m.ty) else {
        return format!(
            "ICMP6, unknown icmp6 type ({}), length {len}{}",
            m.ty,
            hex(&m.raw)
        );
    };
    let mut out = format!("ICMP6, {n}");
    if m.ty == 1 {
        out.push_str(", ");
        out.push_str(&unreach_code(m.code));
        if m.code > 4 {
            return out + &hex(&m.raw);
        }
    }
    if m.msg == Icmp6Msg::Truncated {
        return out + " [|icmp6]";
    }
    out.push_str(&details(m));
    let _ = write!(out, ", length {len}");
    if matches!(m.ty, 200 | 201) {
        out.push_str(&hex(&m.raw));
    }
    out
}

/// What follows the type's name, before `, length N`.
fn details(m: &Icmp6) -> String {
    match &m.msg {
        Icmp6Msg::Echo { id, seq, .. } => format!(", id {id}, seq {seq}"),
        Icmp6Msg::Unreach { src, dst, port } => match (m.code, port) {
            (2, _) => format!(" {}, source address {}", A6(*dst), A6(*src)),
            (4, Some((p, port))) => {
                let p = if *p == 6 { "tcp" } else { "udp" };
                format!(", {} {p} port {port}", A6(*dst))
            }
            _ => format!(" {}", A6(*dst)),
        },
        Icmp6Msg::TooBig { mtu } => format!(", mtu {mtu}"),
        Icmp6Msg::TimeExceeded { dst } => match (m.code, dst) {
            (0, Some(d)) => format!(" for {}", A6(*d)),
            (1, _) => " (reassembly)".into(),
            (c, _) => format!(", unknown code ({c})"),
        },
        Icmp6Msg::ParamProblem { pointer } => match m.code {
            0 => format!(", erroneous - octet {pointer}"),
            1 => format!(", next header - octet {pointer}"),
            2 => format!(", option - octet {pointer}"),
            3 => format!(", incomplete header chain - octet {pointer}"),
            c => format!(", code-#{c}"),
        },
        Icmp6Msg::NeighSol { target, .. } => format!(", who has {}", A6(*target)),
        Icmp6Msg::NeighAdv { target, .. } => format!(", tgt is {}", A6(*target)),
        Icmp6Msg::Redirect { target, dst } => format!(", {} to {}", A6(*dst), A6(*target)),
        Icmp6Msg::Mld1 { delay, group } => {
            format!("max resp delay: {delay} addr: {}", A6(*group))
        }
        Icmp6Msg::MldQuery2 { group, sources } => match sources {
            0 => format!(" v2 [gaddr {}]", A6(*group)),
            n => format!(" v2 [gaddr {}, {n} source(s)]", A6(*group)),
        },
        Icmp6Msg::MldReport2 { records } => format!(", {records} group record(s)"),
        Icmp6Msg::Plain if m.ty == 143 => format!(" [invalid len {}]", m.len),
        Icmp6Msg::WithId { id } => format!(", id 0x{id:04x}"),
        Icmp6Msg::RouterSol { .. }
        | Icmp6Msg::RouterAdv { .. }
        | Icmp6Msg::Plain
        | Icmp6Msg::Truncated => String::new(),
    }
}

/// tcpdump's hex dump of bytes it cannot decode: `\n\t0x0000:  xxxx xxxx…`,
/// 16 bytes a line.
fn hex(b: &[u8]) -> String {
    let mut out = String::new();
    for (i, line) in b.chunks(16).enumerate() {
        let _ = write!(out, "\n\t0x{:04x}: ", i * 16);
        for pair in line.chunks(2) {
            out.push(' ');
            for x in pair {
                let _ = write!(out, "{x:02x}");
            }
        }
    }
    out
}
