//! Frames built with etherparse's `PacketBuilder` (or by hand for ARP),
//! decoded and rendered: the line tcpdump -n prints, carrying exactly the
//! addresses, ids, sequence numbers and lengths that were built. Fixed
//! cases first, then many pseudo-random parameter sets.

use crate::capture::decode::{
    decode, render, render_all, DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW, LINKTYPE_RAW,
};
use crate::capture::frame::Frame;
use etherparse::icmpv4::DestUnreachableHeader;
use etherparse::{Icmpv4Type, IpNumber, PacketBuilder};
use std::net::Ipv4Addr;
pub(super) fn a(ip: [u8; 4]) -> Ipv4Addr {
    Ipv4Addr::from(ip)
}

pub(super) fn line(linktype: i32, data: &[u8]) -> String {
    render(&decode(linktype, data))
}

pub(super) fn echo(
    src: [u8; 4],
    dst: [u8; 4],
    ttl: u8,
    reply: bool,
    id: u16,
    seq: u16,
    payload: &[u8],
) -> Vec<u8> {
    let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ipv4(src, dst, ttl);
    let b = if reply {
        b.icmpv4_echo_reply(id, seq)
    } else {
        b.icmpv4_echo_request(id, seq)
    };
    let mut v = vec![];
    b.write(&mut v, payload).unwrap();
    v
}

pub(super) fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut v = vec![0xff; 6];
    v.extend_from_slice(&sha);
    v.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4]);
    v.extend_from_slice(&op.to_be_bytes());
    v.extend_from_slice(&sha);
    v.extend_from_slice(&spa);
    v.extend_from_slice(&tha);
    v.extend_from_slice(&tpa);
    v
}

#[test]
fn arp_request_reply_and_unknown_operation() {
    let sha = [0x3e, 0x78, 0xe0, 0x5b, 0x4a, 0x85];
    let (me, them) = ([192, 168, 122, 101], [192, 168, 122, 102]);
    assert_eq!(
        line(DLT_EN10MB, &arp(1, sha, me, [0; 6], them)),
        "ARP, Request who-has 192.168.122.102 tell 192.168.122.101, length 28"
    );
    // A unicast probe names the target's MAC.
    assert_eq!(
        line(
            DLT_EN10MB,
            &arp(1, sha, me, [0xf2, 5, 0xc3, 0x82, 0xae, 0x5e], them)
        ),
        "ARP, Request who-has 192.168.122.102 (f2:05:c3:82:ae:5e) tell 192.168.122.101, length 28"
    );
    assert_eq!(
        line(DLT_EN10MB, &arp(2, sha, them, [0; 6], me)),
        "ARP, Reply 192.168.122.102 is-at 3e:78:e0:5b:4a:85, length 28"
    );
    assert_eq!(
        line(DLT_EN10MB, &arp(3, sha, me, [0; 6], them)),
        "ARP, Unknown (3), length 28"
    );
}

#[test]
fn arp_padded_to_the_ethernet_minimum_counts_the_padding() {
    let mut f = arp(1, [2, 0, 0, 0, 0, 1], [10, 0, 0, 1], [0; 6], [10, 0, 0, 2]);
    f.resize(60, 0);
    assert_eq!(
        line(DLT_EN10MB, &f),
        "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 46"
    );
}

#[test]
fn arp_that_is_not_ethernet_ipv4_is_malformed() {
    let mut f = arp(1, [2, 0, 0, 0, 0, 1], [10, 0, 0, 1], [0; 6], [10, 0, 0, 2]);
    f[15] = 6; // htype 6 (IEEE 802)
    assert_eq!(line(DLT_EN10MB, &f), "[|arp], length 28");
    assert_eq!(line(DLT_EN10MB, &f[..30]), "[|arp], length 16");
}

#[test]
fn icmp_echo_request_and_reply() {
    let f = echo(
        [10, 244, 1, 2],
        [10, 244, 2, 3],
        64,
        false,
        4711,
        1,
        &[0; 56],
    );
    assert_eq!(
        line(DLT_EN10MB, &f),
        "IP 10.244.1.2 > 10.244.2.3: ICMP echo request, id 4711, seq 1, length 64"
    );
    let f = echo(
        [10, 244, 2, 3],
        [10, 244, 1, 2],
        62,
        true,
        4711,
        1,
        &[0; 56],
    );
    assert_eq!(
        line(DLT_EN10MB, &f),
        "IP 10.244.2.3 > 10.244.1.2: ICMP echo reply, id 4711, seq 1, length 64"
    );
}

fn unreach(code: DestUnreachableHeader, orig: &[u8]) -> Vec<u8> {
    let mut v = vec![];
    PacketBuilder::ipv4([10, 0, 0, 254], [10, 0, 0, 1], 64)
        .icmpv4(Icmpv4Type::DestinationUnreachable(code))
        .write(&mut v, orig)
        .unwrap();
    v
}

#[test]
fn icmp_unreachable_names_the_original_destination() {
    let mut orig = vec![];
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 9, 9, 9], 64)
        .udp(1234, 53)
        .write(&mut orig, &[])
        .unwrap();
    let orig = &orig[..28];
    assert_eq!(
        line(DLT_RAW, &unreach(DestUnreachableHeader::Host, orig)),
        "IP 10.0.0.254 > 10.0.0.1: ICMP host 10.9.9.9 unreachable, length 36"
    );
    assert_eq!(
        line(DLT_RAW, &unreach(DestUnreachableHeader::Network, orig)),
        "IP 10.0.0.254 > 10.0.0.1: ICMP net 10.9.9.9 unreachable, length 36"
    );
    assert_eq!(
        line(DLT_RAW, &unreach(DestUnreachableHeader::Protocol, orig)),
        "IP 10.0.0.254 > 10.0.0.1: ICMP 10.9.9.9 protocol 17 unreachable, length 36"
    );
    // Without the quoted header there is nothing to name.
    assert_eq!(
        line(DLT_RAW, &unreach(DestUnreachableHeader::Host, &[])),
        "IP 10.0.0.254 > 10.0.0.1: ICMP type-#3 code 1, length 8"
    );
}

#[test]
fn other_icmp_types_by_number() {
    let mut v = vec![];
    PacketBuilder::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 1)
        .icmpv4_raw(11, 0, [0; 4])
        .write(&mut v, &[])
        .unwrap();
    assert_eq!(
        line(DLT_RAW, &v),
        "IP 1.1.1.1 > 2.2.2.2: ICMP type-#11, length 8"
    );
}

#[test]
fn udp_and_tcp_ports_and_lengths() {
    let mut v = vec![];
    PacketBuilder::ethernet2([2; 6], [4; 6])
        .ipv4([10, 1, 1, 1], [10, 1, 1, 2], 64)
        .udp(40000, 9000)
        .write(&mut v, b"hello")
        .unwrap();
    assert_eq!(
        line(DLT_EN10MB, &v),
        "IP 10.1.1.1.40000 > 10.1.1.2.9000: UDP, length 5"
    );
    let mut v = vec![];
    PacketBuilder::ipv4([10, 1, 1, 1], [10, 1, 1, 2], 64)
        .tcp(22, 50000, 1, 1000)
        .write(&mut v, b"abc")
        .unwrap();
    assert_eq!(line(DLT_RAW, &v), "IP 10.1.1.1.22 > 10.1.1.2.50000: tcp 3");
}

pub(super) fn vxlan(port: u16, vni: u32, inner: &[u8]) -> Vec<u8> {
    let mut body = vec![0x08, 0, 0, 0];
    body.extend_from_slice(&vni.to_be_bytes()[1..]);
    body.push(0);
    body.extend_from_slice(inner);
    let mut v = vec![];
    PacketBuilder::ethernet2([2, 0, 0, 0, 1, 3], [2, 0, 0, 0, 1, 4])
        .ipv4([192, 168, 26, 103], [192, 168, 26, 104], 64)
        .udp(51234, port)
        .write(&mut v, &body)
        .unwrap();
    v
}

#[test]
fn flannel_vxlan_on_8472_is_otv_then_the_inner_frame() {
    let inner = echo([10, 244, 1, 2], [10, 244, 2, 3], 63, false, 9, 2, &[0; 56]);
    assert_eq!(
        line(DLT_EN10MB, &vxlan(8472, 1, &inner)),
        "IP 192.168.26.103.51234 > 192.168.26.104.8472: OTV, flags [I] (0x08), overlay 0, instance 1\n\
         IP 10.244.1.2 > 10.244.2.3: ICMP echo request, id 9, seq 2, length 64"
    );
}

#[test]
fn iana_vxlan_on_4789_and_other_ports_are_not_decoded_as_vxlan() {
    let inner = arp(1, [2, 0, 0, 0, 0, 9], [10, 0, 0, 1], [0; 6], [10, 0, 0, 2]);
    assert_eq!(
        line(DLT_EN10MB, &vxlan(4789, 0xabcdef, &inner)),
        "IP 192.168.26.103.51234 > 192.168.26.104.4789: VXLAN, flags [I] (0x08), vni 11259375\n\
         ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"
    );
    assert_eq!(
        line(DLT_EN10MB, &vxlan(4790, 1, &inner)),
        format!(
            "IP 192.168.26.103.51234 > 192.168.26.104.4790: UDP, length {}",
            8 + inner.len()
        )
    );
}

pub(super) fn ipip(outer: ([u8; 4], [u8; 4]), inner: &[u8]) -> Vec<u8> {
    let mut v = vec![];
    PacketBuilder::ethernet2([2; 6], [4; 6])
        .ipv4(outer.0, outer.1, 64)
        .write(&mut v, IpNumber(4), inner)
        .unwrap();
    v
}

#[test]
fn ip_in_ip_prints_the_inner_packet_after_the_outer_addresses() {
    let mut inner = vec![];
    PacketBuilder::ipv4([10, 244, 169, 64], [10, 244, 38, 130], 63)
        .icmpv4_echo_request(5, 1)
        .write(&mut inner, &[0; 56])
        .unwrap();
    assert_eq!(
        line(DLT_EN10MB, &ipip(([192, 168, 26, 105], [192, 168, 26, 106]), &inner)),
        "IP 192.168.26.105 > 192.168.26.106: IP 10.244.169.64 > 10.244.38.130: ICMP echo request, id 5, seq 1, length 64"
    );
    assert_eq!(
        line(
            DLT_EN10MB,
            &ipip(([1, 1, 1, 1], [2, 2, 2, 2]), &[0x45, 0, 0])
        ),
        "IP 1.1.1.1 > 2.2.2.2: ip-proto-4 3"
    );
}

#[test]
fn igmp_reports_and_other_protocols() {
    let mut v = vec![];
    PacketBuilder::ipv4([10, 0, 0, 1], [224, 0, 0, 22], 1)
        .write(&mut v, IpNumber(2), &[0x16, 0, 0, 0, 239, 1, 2, 3])
        .unwrap();
    assert_eq!(
        line(DLT_RAW, &v),
        "IP 10.0.0.1 > 224.0.0.22: igmp v2 report 239.1.2.3"
    );
    let mut v = vec![];
    PacketBuilder::ipv4([10, 0, 0, 1], [224, 0, 0, 22], 1)
        .write(&mut v, IpNumber(2), &[0x22, 0, 0, 0, 0, 0, 0, 2])
        .unwrap();
    assert_eq!(
        line(DLT_RAW, &v),
        "IP 10.0.0.1 > 224.0.0.22: igmp v3 report, 2 group record(s)"
    );
    let mut v = vec![];
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 1)
        .write(&mut v, IpNumber(47), &[0; 12])
        .unwrap();
    assert_eq!(line(DLT_RAW, &v), "IP 10.0.0.1 > 10.0.0.2: ip-proto-47 12");
}

#[test]
fn link_types_raw_sll_and_unknown() {
    let mut v = vec![];
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .icmpv4_echo_request(1, 2)
        .write(&mut v, &[])
        .unwrap();
    let want = "IP 10.0.0.1 > 10.0.0.2: ICMP echo request, id 1, seq 2, length 8";
    for lt in [DLT_RAW, LINKTYPE_RAW, 14, 228] {
        assert_eq!(line(lt, &v), want, "link type {lt}");
    }
    let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
    sll.extend_from_slice(&v);
    assert_eq!(line(DLT_LINUX_SLL, &sll), want);
    assert_eq!(
        line(DLT_LINUX_SLL, &sll[..10]),
        "[|link type 113], length 10"
    );
    assert_eq!(line(147, &v), "[|link type 147], length 28");
}

#[test]
fn ethernet_short_ipv6_and_unknown_ethertypes() {
    assert_eq!(line(DLT_EN10MB, &[0; 13]), "[|ethernet], length 13");
    let mut f = vec![0xff; 12];
    f.extend_from_slice(&[0x86, 0xdd]);
    f.extend_from_slice(&[0x60; 40]);
    // As tcpdump prints it: the payload length (0x6060) claims more than was captured.
    let a = ["6060"; 8].join(":");
    let want = format!("IP6 truncated-ip6 - 24672 bytes missing!{a} > {a}:  ip-proto-96 24672");
    assert_eq!(line(DLT_EN10MB, &f), want);
    assert_eq!(line(DLT_EN10MB, &f[..44]), "[|ip6], length 30");
    let mut f = vec![0xff; 12];
    f.extend_from_slice(&[0x88, 0xcc, 1, 2, 3]);
    assert_eq!(
        line(DLT_EN10MB, &f),
        "ethertype Unknown (0x88cc), length 17"
    );
    // Raw IPv6 and a version-5 packet.
    assert_eq!(line(DLT_RAW, &[0x60; 40]), want);
    assert_eq!(line(DLT_RAW, &[0x50; 20]), "[|ip], length 20");
}

#[test]
fn render_all_flattens_two_line_frames_in_order() {
    let inner = echo([10, 0, 0, 1], [10, 0, 0, 2], 64, true, 3, 4, &[]);
    let frames: Vec<Frame> = [
        vxlan(8472, 7, &inner),
        arp(2, [2; 6], [10, 0, 0, 2], [0; 6], [10, 0, 0, 1]),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, data)| Frame {
        ts_us: i as i64,
        len: data.len() as u32,
        data,
    })
    .collect();
    let l = render_all(DLT_EN10MB, &frames);
    assert_eq!(l.len(), 3);
    assert!(
        l[0].ends_with("OTV, flags [I] (0x08), overlay 0, instance 7"),
        "{l:?}"
    );
    assert_eq!(
        l[1],
        "IP 10.0.0.1 > 10.0.0.2: ICMP echo reply, id 3, seq 4, length 8"
    );
    assert_eq!(
        l[2],
        "ARP, Reply 10.0.0.2 is-at 02:02:02:02:02:02, length 28"
    );
}

#[test]
fn deep_ip_in_ip_does_not_exhaust_the_stack() {
    // 3000 IPv4 headers, each carrying the next (protocol 4): hostile bytes.
    let n = 3000usize;
    let mut p = vec![];
    for i in 0..n {
        let len = ((n - i) * 20) as u16;
        p.extend_from_slice(&[0x45, 0, (len >> 8) as u8, len as u8, 0, 0, 0, 0, 64, 4]);
        p.extend_from_slice(&[0; 10]);
    }
    let l = line(DLT_RAW, &p);
    let depth = crate::capture::decode::MAX_NESTING as usize;
    assert!(
        l.starts_with(&"IP 0.0.0.0 > 0.0.0.0: ".repeat(depth + 1)),
        "{l}"
    );
    assert!(
        l.ends_with(&format!("ip-proto-4 {}", (n - depth - 1) * 20)),
        "{l}"
    );
}
