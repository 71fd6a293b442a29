//! Frames into a small packet type, and that type into the line `tcpdump -n`
//! prints (without the timestamp). Knows nothing about namespaces or labs.
//! Never panics on any input: truncated or hostile bytes become `Malformed`.

use crate::model::Mac;
use etherparse::{
    ArpPacketSlice, EtherType, Ethernet2Slice, Icmpv4Slice, Icmpv4Type, NetSlice, SlicedPacket,
    TransportSlice,
};
use std::net::Ipv4Addr;

pub use super::decode6::{Ext6, Icmp6, Icmp6Msg, Ip6, L6};
pub use super::render::{render, render_all, render_lines};

/// pcap link type: Ethernet (DLT_EN10MB).
pub const DLT_EN10MB: i32 = 1;
/// pcap link type: raw IP, no link header (DLT_RAW).
pub const DLT_RAW: i32 = 12;
/// pcap link type: raw IP as the BSDs number it (DLT_RAW 14).
pub const DLT_RAW_BSD: i32 = 14;
/// pcap link type: raw IPv4 (DLT_IPV4).
pub const DLT_IPV4: i32 = 228;
/// pcap file link type for raw IP (LINKTYPE_RAW), as some libpcaps report it.
pub const LINKTYPE_RAW: i32 = 101;
/// pcap link type: Linux cooked capture, what `-i any` gives (DLT_LINUX_SLL).
pub const DLT_LINUX_SLL: i32 = 113;

/// flannel's VXLAN UDP port, which tcpdump decodes as OTV.
pub const FLANNEL_VXLAN_PORT: u16 = 8472;
/// The IANA-assigned VXLAN UDP port, which tcpdump decodes as VXLAN.
pub const IANA_VXLAN_PORT: u16 = 4789;

/// Encapsulations (IP-in-IP, IPv6-in-IPv6, 6in4, VXLAN) decoded inside one
/// another at most this deep; deeper ones stay undecoded payload, so hostile
/// bytes cannot exhaust the stack (tcpdump recurses further).
pub const MAX_NESTING: u32 = 32;

/// The depth of an encapsulation inside `depth` (the outermost packet is
/// 0), or `None` past [`MAX_NESTING`]. Passed down as an argument: the
/// decoder keeps no state between calls or threads.
pub(super) fn deeper(depth: u32) -> Option<u32> {
    (depth < MAX_NESTING).then_some(depth + 1)
}

/// One captured frame, decoded: the high-level representation of the
/// bytes a [`crate::capture::frame::Frame`] holds (smoltcp's `Repr`).
#[derive(Debug, Clone, PartialEq)]
pub struct FrameRepr {
    /// Ethernet source MAC; `None` when the link type has no Ethernet header.
    pub src_mac: Option<Mac>,
    /// Ethernet destination MAC; `None` when the link type has no Ethernet header.
    pub dst_mac: Option<Mac>,
    /// What the frame carried.
    pub pkt: Packet,
}

/// The network-layer packet of a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// An Ethernet/IPv4 ARP message.
    Arp {
        /// Operation: 1 request, 2 reply.
        op: u16,
        /// Sender hardware (MAC) address.
        sha: Mac,
        /// Sender protocol (IPv4) address.
        spa: Ipv4Addr,
        /// Target hardware (MAC) address; zero in a plain request.
        tha: Mac,
        /// Target protocol (IPv4) address.
        tpa: Ipv4Addr,
        /// Bytes after the link header, padding included, as tcpdump counts them.
        len: usize,
    },
    /// An IPv4 packet.
    Ip(Ip),
    /// An IPv6 packet.
    Ip6(Ip6),
    /// A frame of an ethertype not decoded here.
    Other {
        /// Its ethertype.
        ethertype: u16,
        /// Bytes after the Ethernet header.
        len: usize,
    },
    /// Bytes that could not be decoded (truncated or hostile).
    Malformed {
        /// The layer that failed to decode, e.g. `ethernet`, `arp`, `ip`.
        what: String,
        /// Bytes of the undecodable part.
        len: usize,
    },
}

/// An IPv4 header and its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Ip {
    /// Source address.
    pub src: Ipv4Addr,
    /// Destination address.
    pub dst: Ipv4Addr,
    /// Time to live, as captured.
    pub ttl: u8,
    /// IP protocol number (1 ICMP, 2 IGMP, 4 IP-in-IP, 6 TCP, 17 UDP).
    pub proto: u8,
    /// The decoded payload.
    pub l4: L4,
}

/// The payload of an IPv4 packet.
#[derive(Debug, Clone, PartialEq)]
pub enum L4 {
    /// ICMP echo request or reply.
    Echo {
        /// `true` for an echo reply, `false` for a request.
        reply: bool,
        /// Echo identifier.
        id: u16,
        /// Echo sequence number.
        seq: u16,
        /// Bytes of the ICMP message, header included.
        len: usize,
    },
    /// ICMP destination unreachable.
    Unreach {
        /// ICMP code (0 net, 1 host, 2 protocol unreachable, ...).
        code: u8,
        /// The quoted original packet's source, destination and protocol, if quoted in full.
        orig: Option<(Ipv4Addr, Ipv4Addr, u8)>,
        /// Bytes of the ICMP message, header included.
        len: usize,
    },
    /// Any other ICMP message.
    Icmp {
        /// ICMP type.
        ty: u8,
        /// ICMP code.
        code: u8,
        /// Bytes of the ICMP message, header included.
        len: usize,
    },
    /// A UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Bytes of UDP payload.
        len: usize,
        /// The VXLAN header and inner frame, when sent to a VXLAN port.
        vxlan: Option<Vxlan>,
    },
    /// A TCP segment.
    Tcp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Bytes of TCP payload.
        len: usize,
    },
    /// An IGMP message.
    Igmp {
        /// IGMP type (0x11 query, 0x12/0x16 v1/v2 report, 0x17 leave, 0x22 v3 report).
        ty: u8,
        /// Group address (bytes 4-7 of the message).
        group: Ipv4Addr,
        /// Number of group records, as an IGMPv3 report carries it (bytes 6-7).
        records: u16,
    },
    /// IP-in-IP (protocol 4): the inner packet. tcpdump 4.99 prints it after
    /// the outer addresses (older versions added "(ipip-proto-4)").
    IpIp(Box<Ip>),
    /// IPv6 in IPv4 (protocol 41): the inner packet.
    Ip6(Box<Ip6>),
    /// Any other IP protocol.
    Other {
        /// Bytes of the IP payload.
        len: usize,
    },
}

/// A VXLAN header and the frame it encapsulates.
#[derive(Debug, Clone, PartialEq)]
pub struct Vxlan {
    /// VXLAN flags byte (0x08: the VNI is valid).
    pub flags: u8,
    /// VXLAN network identifier.
    pub vni: u32,
    /// The encapsulated Ethernet frame.
    pub inner: Box<FrameRepr>,
}

/// Decode one captured frame of link type `linktype`.
pub fn decode(linktype: i32, data: &[u8]) -> FrameRepr {
    match linktype {
        DLT_EN10MB => ether(data, 0),
        DLT_RAW | DLT_RAW_BSD | LINKTYPE_RAW | DLT_IPV4 => FrameRepr {
            src_mac: None,
            dst_mac: None,
            pkt: raw_ip(data, 0),
        },
        // Not etherparse's `LinuxSllSlice`: it refuses a header whose ARP
        // hardware type is not Ethernet, netlink, GRE, radiotap or FRAD, so
        // `-i any` frames of lo (772), tunl0 (768) or a tun device (65534)
        // would be malformed, where tcpdump decodes them by the protocol field.
        DLT_LINUX_SLL if data.len() >= 16 => {
            let et = u16::from_be_bytes([data[14], data[15]]);
            FrameRepr {
                src_mac: None,
                dst_mac: None,
                pkt: by_ethertype(et, &data[16..], 0),
            }
        }
        _ => FrameRepr {
            src_mac: None,
            dst_mac: None,
            pkt: Packet::Malformed {
                what: format!("link type {linktype}"),
                len: data.len(),
            },
        },
    }
}

/// An Ethernet frame at encapsulation depth `d`.
pub(super) fn ether(data: &[u8], d: u32) -> FrameRepr {
    match Ethernet2Slice::from_slice_without_fcs(data) {
        Ok(e) => FrameRepr {
            dst_mac: Some(e.destination()),
            src_mac: Some(e.source()),
            pkt: by_ethertype(e.ether_type().0, e.payload_slice(), d),
        },
        Err(_) => FrameRepr {
            src_mac: None,
            dst_mac: None,
            pkt: Packet::Malformed {
                what: "ethernet".into(),
                len: data.len(),
            },
        },
    }
}

fn by_ethertype(et: u16, p: &[u8], d: u32) -> Packet {
    match EtherType(et) {
        EtherType::ARP => arp(p),
        EtherType::IPV4 => raw_ip(p, d),
        EtherType::IPV6 => ipv6(p, d),
        _ => Packet::Other {
            ethertype: et,
            len: p.len(),
        },
    }
}

/// Ethernet/IPv4 ARP only (htype 1, ptype 0x0800, hlen 6, plen 4), as
/// etherparse reads it; `len` is what followed the link header, padding
/// included, as tcpdump counts it.
fn arp(p: &[u8]) -> Packet {
    let eth_ipv4 = ArpPacketSlice::from_slice(p)
        .ok()
        .and_then(|a| a.to_packet().try_eth_ipv4().ok());
    match eth_ipv4 {
        Some(a) => Packet::Arp {
            op: a.operation.0,
            sha: a.sender_mac,
            spa: a.sender_ipv4_addr(),
            tha: a.target_mac,
            tpa: a.target_ipv4_addr(),
            len: p.len(),
        },
        None => Packet::Malformed {
            what: "arp".into(),
            len: p.len(),
        },
    }
}

fn raw_ip(p: &[u8], d: u32) -> Packet {
    match ip(p, d) {
        Some(ip) => Packet::Ip(ip),
        None if p.first().map(|b| b >> 4) == Some(6) => ipv6(p, d),
        None => Packet::Malformed {
            what: "ip".into(),
            len: p.len(),
        },
    }
}

fn ipv6(p: &[u8], d: u32) -> Packet {
    match super::decode6::ip6_at(p, d) {
        Some(ip) => Packet::Ip6(ip),
        None => Packet::Malformed {
            what: "ip6".into(),
            len: p.len(),
        },
    }
}

fn ip(p: &[u8], d: u32) -> Option<Ip> {
    let s = SlicedPacket::from_ip(p).ok()?;
    let Some(NetSlice::Ipv4(v4)) = &s.net else {
        return None;
    };
    let h = v4.header();
    let payload = v4.payload().payload;
    let proto = h.protocol().0;
    let l4 = match &s.transport {
        Some(TransportSlice::Icmpv4(icmp)) => icmp_l4(icmp),
        Some(TransportSlice::Udp(u)) => {
            let body = u.payload();
            let (sport, dport) = (u.source_port(), u.destination_port());
            let is_vxlan = [FLANNEL_VXLAN_PORT, IANA_VXLAN_PORT].contains(&dport);
            let vxlan = (is_vxlan && body.len() >= 8)
                .then(|| {
                    deeper(d).map(|d| Vxlan {
                        flags: body[0],
                        vni: u32::from_be_bytes([0, body[4], body[5], body[6]]),
                        inner: Box::new(ether(&body[8..], d)),
                    })
                })
                .flatten();
            L4::Udp {
                sport,
                dport,
                len: body.len(),
                vxlan,
            }
        }
        Some(TransportSlice::Tcp(t)) => L4::Tcp {
            sport: t.source_port(),
            dport: t.destination_port(),
            len: t.payload().len(),
        },
        _ if proto == 2 && payload.len() >= 8 => L4::Igmp {
            ty: payload[0],
            group: Ipv4Addr::new(payload[4], payload[5], payload[6], payload[7]),
            records: u16::from_be_bytes([payload[6], payload[7]]),
        },
        _ if proto == 4 => match deeper(d).and_then(|d| ip(payload, d)) {
            Some(inner) => L4::IpIp(Box::new(inner)),
            None => L4::Other { len: payload.len() },
        },
        _ if proto == 41 => match deeper(d).and_then(|d| super::decode6::ip6_at(payload, d)) {
            Some(inner) => L4::Ip6(Box::new(inner)),
            None => L4::Other { len: payload.len() },
        },
        _ => L4::Other { len: payload.len() },
    };
    Some(Ip {
        src: h.source_addr(),
        dst: h.destination_addr(),
        ttl: h.ttl(),
        proto,
        l4,
    })
}

/// An ICMP message: echo, destination unreachable (with the quoted
/// original's addresses and protocol), or its type and code.
fn icmp_l4(icmp: &Icmpv4Slice) -> L4 {
    let len = icmp.slice().len();
    match icmp.icmp_type() {
        Icmpv4Type::EchoRequest(e) => L4::Echo {
            reply: false,
            id: e.id,
            seq: e.seq,
            len,
        },
        Icmpv4Type::EchoReply(e) => L4::Echo {
            reply: true,
            id: e.id,
            seq: e.seq,
            len,
        },
        Icmpv4Type::DestinationUnreachable(_) => {
            let inner = icmp.payload();
            let orig = (inner.len() >= 20).then(|| {
                (
                    Ipv4Addr::new(inner[12], inner[13], inner[14], inner[15]),
                    Ipv4Addr::new(inner[16], inner[17], inner[18], inner[19]),
                    inner[9],
                )
            });
            L4::Unreach {
                code: icmp.code_u8(),
                orig,
                len,
            }
        }
        _ => L4::Icmp {
            ty: icmp.type_u8(),
            code: icmp.code_u8(),
            len,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn arp_request_and_reply_like_tcpdump() {
        // The article's ARP exchange (seed 004).
        let req = hex(
            "ffffffffffff3e78e05b4a8508060001080006040001 3e78e05b4a85c0a87a65000000000000c0a87a66"
                .replace(' ', "")
                .as_str(),
        );
        assert_eq!(
            render(&decode(1, &req)),
            "ARP, Request who-has 192.168.122.102 tell 192.168.122.101, length 28"
        );
        let rep = hex(
            "3e78e05b4a85f205c382ae5e08060001080006040002f205c382ae5ec0a87a663e78e05b4a85c0a87a65",
        );
        assert_eq!(
            render(&decode(1, &rep)),
            "ARP, Reply 192.168.122.102 is-at f2:05:c3:82:ae:5e, length 28"
        );
    }

    /// An `-i any` frame of lo (ARPHRD_LOOPBACK), which etherparse's SLL
    /// slice refuses, renders as tcpdump prints it.
    #[test]
    fn sll_frame_of_loopback_renders() {
        let sll = "0000030400060000000000000000".to_string() + "0800";
        let ip = "4500001c0001000040017cde7f0000017f0000010800f7ff00000000";
        let f = hex(&(sll + ip));
        etherparse::LinuxSllSlice::from_slice(&f).unwrap_err();
        assert_eq!(
            render(&decode(DLT_LINUX_SLL, &f)),
            "IP 127.0.0.1 > 127.0.0.1: ICMP echo request, id 0, seq 0, length 8"
        );
    }

    #[test]
    fn never_panics_on_truncations() {
        let rep = hex(
            "3e78e05b4a85f205c382ae5e08060001080006040002f205c382ae5ec0a87a663e78e05b4a85c0a87a65",
        );
        for n in 0..rep.len() {
            let _ = render(&decode(1, &rep[..n]));
            let _ = render(&decode(12, &rep[..n]));
            let _ = render(&decode(113, &rep[..n]));
        }
    }
}
