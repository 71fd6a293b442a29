//! IPv6 packets into a small type: the fixed header (etherparse), the
//! extension headers tcpdump names (hop-by-hop, destination options, routing,
//! fragment), ICMPv6 (echo, neighbour discovery, MLD, errors), UDP (with
//! VXLAN) and TCP. Lengths are what the headers claim, as tcpdump prints them;
//! bytes the capture lacks are counted in `missing`. Never panics: what is cut
//! short becomes a `Truncated` part, never a guessed value.

use super::decode::{deeper, ether, Vxlan, FLANNEL_VXLAN_PORT, IANA_VXLAN_PORT};
use super::icmp6::icmp6;
use crate::model::Mac;
use etherparse::{Ipv6HeaderSlice, UdpHeaderSlice};
use std::net::Ipv6Addr;

/// An IPv6 header, its extension headers and its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Ip6 {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Hop limit, as captured.
    pub hlim: u8,
    /// The next-header field of the fixed header.
    pub next: u8,
    /// Bytes the payload length claims that the capture does not hold.
    pub missing: usize,
    /// Extension headers, in order.
    pub exts: Vec<Ext6>,
    /// The upper-layer payload.
    pub l4: L6,
}

/// An IPv6 extension header.
#[derive(Debug, Clone, PartialEq)]
pub enum Ext6 {
    /// Hop-by-hop options (MLD reports carry the router alert in one).
    HopByHop,
    /// Destination options.
    DestOpts,
    /// A routing header.
    Routing {
        /// Routing type.
        ty: u8,
        /// Segments left.
        segleft: u8,
        /// Header extension length field (8-octet units, first 8 excluded).
        len: u8,
        /// The addresses of a type 0 header.
        addrs: Vec<Ipv6Addr>,
    },
    /// A fragment header.
    Fragment {
        /// Fragment offset in bytes.
        offset: u16,
        /// More fragments follow.
        more: bool,
        /// Bytes of this fragment after the fragment header.
        len: usize,
    },
}

/// The upper-layer payload of an IPv6 packet.
#[derive(Debug, Clone, PartialEq)]
pub enum L6 {
    /// An ICMPv6 message.
    Icmp6(Icmp6),
    /// A UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Bytes of UDP payload, as the UDP length field claims.
        len: usize,
        /// Bytes after the UDP header, as the IPv6 header claims.
        avail: usize,
        /// The VXLAN header and inner frame, when sent to a VXLAN port.
        vxlan: Option<Vxlan>,
    },
    /// A TCP segment.
    Tcp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Bytes after the TCP header.
        len: usize,
    },
    /// IPv6 in IPv6 (next header 41).
    Ip6(Box<Ip6>),
    /// Next header 59: nothing follows.
    NoNext,
    /// A UDP header cut short after its ports.
    UdpCut {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
    },
    /// A non-first fragment: not decoded further.
    LaterFragment,
    /// A header tcpdump refuses, with its reason (e.g. hop-by-hop not first).
    Invalid(String),
    /// The named layer is cut short in the capture.
    Truncated(&'static str),
    /// An IPv6 header inside IPv6 whose version is not 6.
    BadVersion(u8),
    /// Any other next header.
    Other {
        /// The next-header value.
        proto: u8,
        /// Bytes of the payload, as the header claims.
        len: usize,
    },
}

/// An ICMPv6 message.
#[derive(Debug, Clone, PartialEq)]
pub struct Icmp6 {
    /// ICMPv6 type.
    pub ty: u8,
    /// ICMPv6 code.
    pub code: u8,
    /// Bytes of the message, as the IPv6 header claims.
    pub len: usize,
    /// What the message says.
    pub msg: Icmp6Msg,
    /// The captured bytes of the message (for tcpdump's hex dump of unknown kinds).
    pub raw: Vec<u8>,
}

/// What an ICMPv6 message says.
#[derive(Debug, Clone, PartialEq)]
pub enum Icmp6Msg {
    /// Echo request (128) or reply (129).
    Echo {
        /// `true` for a reply.
        reply: bool,
        /// Identifier.
        id: u16,
        /// Sequence number.
        seq: u16,
    },
    /// Destination unreachable (1): the quoted packet's source, destination
    /// and, for a UDP/TCP quote, its protocol and destination port.
    Unreach {
        /// Source of the quoted packet.
        src: Ipv6Addr,
        /// Destination of the quoted packet.
        dst: Ipv6Addr,
        /// Protocol (6, 17) and destination port of the quote, if it is TCP/UDP.
        port: Option<(u8, u16)>,
    },
    /// Packet too big (2).
    TooBig {
        /// The MTU of the next hop.
        mtu: u32,
    },
    /// Time exceeded (3): the quoted packet's destination, if quoted.
    TimeExceeded {
        /// Destination of the quoted packet.
        dst: Option<Ipv6Addr>,
    },
    /// Parameter problem (4).
    ParamProblem {
        /// Offset of the offending octet.
        pointer: u32,
    },
    /// Router solicitation (133).
    RouterSol {
        /// Source link-layer address option.
        sll: Option<Mac>,
    },
    /// Router advertisement (134).
    RouterAdv {
        /// Current hop limit advertised.
        hop_limit: u8,
        /// Flags byte (0x80 managed, 0x40 other configuration).
        flags: u8,
        /// Router lifetime, seconds.
        lifetime: u16,
        /// Source link-layer address option.
        sll: Option<Mac>,
        /// MTU option.
        mtu: Option<u32>,
        /// Prefix information options: prefix and its length.
        prefixes: Vec<(Ipv6Addr, u8)>,
    },
    /// Neighbour solicitation (135).
    NeighSol {
        /// The address asked for.
        target: Ipv6Addr,
        /// Source link-layer address option (absent in DAD, from `::`).
        sll: Option<Mac>,
    },
    /// Neighbour advertisement (136).
    NeighAdv {
        /// The address advertised.
        target: Ipv6Addr,
        /// Router flag.
        router: bool,
        /// Solicited flag.
        solicited: bool,
        /// Override flag.
        override_: bool,
        /// Target link-layer address option.
        tll: Option<Mac>,
    },
    /// Redirect (137).
    Redirect {
        /// The better first hop.
        target: Ipv6Addr,
        /// The destination redirected.
        dst: Ipv6Addr,
    },
    /// MLDv1 query (130, 24 bytes), report (131) or done (132).
    Mld1 {
        /// Maximum response delay.
        delay: u16,
        /// Multicast address.
        group: Ipv6Addr,
    },
    /// MLDv2 query (130, at least 28 bytes).
    MldQuery2 {
        /// Multicast address (`::` for a general query).
        group: Ipv6Addr,
        /// Number of sources.
        sources: u16,
    },
    /// MLDv2 listener report (143).
    MldReport2 {
        /// Number of multicast address records.
        records: u16,
    },
    /// Mobile IPv6 discovery request/solicitation (144, 146).
    WithId {
        /// Identifier.
        id: u16,
    },
    /// A message shown by its type (and code) only.
    Plain,
    /// Cut short before what its type needs.
    Truncated,
}

/// Decode an IPv6 packet (its fixed header first); `None` when the fixed
/// header is incomplete or not version 6.
pub fn ip6(p: &[u8]) -> Option<Ip6> {
    ip6_at(p, 0)
}

/// [`ip6`] at encapsulation depth `d` (inside `d` tunnels).
pub(super) fn ip6_at(p: &[u8], d: u32) -> Option<Ip6> {
    let h = Ipv6HeaderSlice::from_slice(p).ok()?;
    let plen = usize::from(h.payload_length());
    let body = &p[40..];
    let missing = plen.saturating_sub(body.len());
    let body = &body[..plen.min(body.len())];
    let (exts, nh, rest, claimed) = exts(h.next_header().0, body, plen);
    let l4 = match exts.last() {
        Some(Ext6::Fragment { offset, .. }) if *offset != 0 => L6::LaterFragment,
        _ => match rest {
            Err(why) => why,
            Ok(rest) => upper(nh, rest, claimed, d),
        },
    };
    Some(Ip6 {
        src: h.source_addr(),
        dst: h.destination_addr(),
        hlim: h.hop_limit(),
        next: h.next_header().0,
        missing,
        exts,
        l4,
    })
}

type Walked<'a> = (Vec<Ext6>, u8, Result<&'a [u8], L6>, usize);

/// Walk the extension headers: what they are, the upper-layer protocol,
/// its bytes (or why there are none) and the length the header claims for it.
fn exts(mut nh: u8, mut p: &[u8], mut claimed: usize) -> Walked<'_> {
    let mut out = vec![];
    while matches!(nh, 0 | 43 | 44 | 60) {
        if nh == 0 && !out.is_empty() {
            let why = "[The Hop-by-Hop Options header don't follow the IPv6 header]";
            return (out, nh, Err(L6::Invalid(why.into())), claimed);
        }
        if nh == 43 && p.len() >= 4 && !matches!(p[2], 0 | 2 | 4) {
            // tcpdump (which knows types 0, 2 and 4) names an unknown
            // routing type from its first 4 bytes.
            let (ty, segleft, len, addrs) = (p[2], p[3], p[1], vec![]);
            out.push(Ext6::Routing {
                ty,
                segleft,
                len,
                addrs,
            });
            return (out, nh, Err(L6::Invalid(" (unknown type)".into())), claimed);
        }
        if p.len() < 8 {
            return (out, nh, Err(L6::Truncated(ext_name(nh))), claimed);
        }
        let n = if nh == 44 {
            8
        } else {
            (usize::from(p[1]) + 1) * 8
        };
        if p.len() < n {
            return (out, nh, Err(L6::Truncated(ext_name(nh))), claimed);
        }
        claimed = claimed.saturating_sub(n);
        // tcpdump walks hop-by-hop options even without -v (looking for a
        // jumbo payload length); destination options only with -v.
        let opts_bad = nh == 0 && !options_ok(&p[2..n]);
        out.push(match nh {
            0 => Ext6::HopByHop,
            60 => Ext6::DestOpts,
            43 => Ext6::Routing {
                ty: p[2],
                segleft: p[3],
                len: p[1],
                addrs: match p[2] {
                    0 => p[8..n]
                        .chunks_exact(16)
                        .filter_map(|c| addr(c, 0))
                        .collect(),
                    _ => vec![],
                },
            },
            _ => Ext6::Fragment {
                offset: u16::from_be_bytes([p[2], p[3]]) & 0xfff8,
                more: p[3] & 1 == 1,
                len: claimed,
            },
        });
        if opts_bad {
            return (out, nh, Err(L6::Truncated("hbhopt")), claimed);
        }
        if matches!(out.last(), Some(Ext6::Fragment { offset, .. }) if *offset != 0) {
            return (out, nh, Err(L6::LaterFragment), claimed);
        }
        nh = p[0];
        p = &p[n..];
    }
    (out, nh, Ok(p), claimed)
}

fn addr(p: &[u8], at: usize) -> Option<Ipv6Addr> {
    let b: [u8; 16] = p.get(at..at + 16)?.try_into().ok()?;
    Some(Ipv6Addr::from(b))
}

/// The name tcpdump gives an extension header it finds cut short.
fn ext_name(nh: u8) -> &'static str {
    match nh {
        0 => "hbhopt",
        60 => "dstopt",
        43 => "srcrt",
        _ => "frag6",
    }
}

/// Hop-by-hop options that fit their header (Pad1 is one
/// byte; every other option its type, length and that many bytes).
fn options_ok(mut o: &[u8]) -> bool {
    while let Some(&ty) = o.first() {
        if ty == 0 {
            o = &o[1..];
            continue;
        }
        let Some(&len) = o.get(1) else { return false };
        let Some(rest) = o.get(2 + usize::from(len)..) else {
            return false;
        };
        o = rest;
    }
    true
}

fn upper(nh: u8, p: &[u8], claimed: usize, d: u32) -> L6 {
    match nh {
        58 => L6::Icmp6(icmp6(p, claimed)),
        17 => udp(p, claimed, d),
        6 if p.len() >= 20 => {
            let off = usize::from(p[12] >> 4) * 4;
            L6::Tcp {
                sport: u16::from_be_bytes([p[0], p[1]]),
                dport: u16::from_be_bytes([p[2], p[3]]),
                len: claimed.saturating_sub(off),
            }
        }
        6 => L6::Truncated("tcp"),
        41 if p.len() >= 40 && p[0] >> 4 != 6 => L6::BadVersion(p[0] >> 4),
        41 if p.len() >= 40 => match deeper(d).and_then(|d| ip6_at(p, d)) {
            Some(inner) => L6::Ip6(Box::new(inner)),
            None => L6::Other {
                proto: 41,
                len: claimed,
            },
        },
        41 => L6::Truncated("ip6"),
        59 => L6::NoNext,
        proto => L6::Other {
            proto,
            len: claimed,
        },
    }
}

fn udp(p: &[u8], claimed: usize, d: u32) -> L6 {
    let Ok(u) = UdpHeaderSlice::from_slice(p) else {
        return match p.get(..4) {
            Some(b) => L6::UdpCut {
                sport: u16::from_be_bytes([b[0], b[1]]),
                dport: u16::from_be_bytes([b[2], b[3]]),
            },
            None => L6::Truncated("udp"),
        };
    };
    let (sport, dport) = (u.source_port(), u.destination_port());
    let body = &p[8..];
    // Counted as a level like IPv4's VXLAN: hostile nesting stays bounded.
    let vxlan = (body.len() >= 8 && [FLANNEL_VXLAN_PORT, IANA_VXLAN_PORT].contains(&dport))
        .then(|| deeper(d))
        .flatten()
        .map(|d| Vxlan {
            flags: body[0],
            vni: u32::from_be_bytes([0, body[4], body[5], body[6]]),
            inner: Box::new(ether(&body[8..], d)),
        });

    L6::Udp {
        sport,
        dport,
        len: usize::from(u.length()).saturating_sub(8),
        avail: claimed.saturating_sub(8),
        vxlan,
    }
}
