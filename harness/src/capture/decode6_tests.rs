//! IPv6 frames built with etherparse's `PacketBuilder` (ICMPv6 bodies by
//! hand), decoded and rendered: what each kind decodes to (NDP flags and
//! options, which tcpdump -n does not print) and the line tcpdump -n prints
//! (each line here was first read off real tcpdump 4.99.3 output).

use super::decode_tests::line;
use crate::capture::decode::{
    decode, Ext6, Icmp6Msg, Packet, DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW, L6,
};
use crate::capture::render6::A6;
use etherparse::{IpNumber, PacketBuilder};
use std::net::Ipv6Addr;

pub(super) fn a6(s: &str) -> [u8; 16] {
    s.parse::<Ipv6Addr>().unwrap().octets()
}

const MAC: [u8; 6] = [0x3e, 0x78, 0xe0, 0x5b, 0x4a, 0x85];

/// An Ethernet frame carrying ICMPv6 `ty`/`code`, bytes 5-8, then `rest`.
pub(super) fn icmp6(src: &str, dst: &str, ty: u8, code: u8, w: [u8; 4], rest: &[u8]) -> Vec<u8> {
    let mut v = vec![];
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [0x33, 0x33, 0, 0, 0, 1])
        .ipv6(a6(src), a6(dst), 255)
        .icmpv6_raw(ty, code, w)
        .write(&mut v, rest)
        .unwrap();
    v
}

/// The same message behind a hop-by-hop header with the router alert, as
/// MLD sends it (by hand: etherparse's builder wants to own extension headers).
fn with_hbh(src: &str, dst: &str, ty: u8, w: [u8; 4], rest: &[u8]) -> Vec<u8> {
    let msg = &icmp6(src, dst, ty, 0, w, rest)[54..];
    let mut v = vec![
        0x33, 0x33, 0, 0, 0, 0x16, 2, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60, 0, 0, 0,
    ];
    v.extend_from_slice(&((8 + msg.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 1]);
    v.extend_from_slice(&a6(src));
    v.extend_from_slice(&a6(dst));
    v.extend_from_slice(&[58, 0, 5, 2, 0, 0, 1, 0]);
    v.extend_from_slice(msg);
    v
}

fn msg(f: &[u8]) -> Icmp6Msg {
    match decode(DLT_EN10MB, f).pkt {
        Packet::Ip6(ip) => match ip.l4 {
            L6::Icmp6(m) => m.msg,
            l4 => panic!("not ICMPv6: {l4:?}"),
        },
        p => panic!("not IPv6: {p:?}"),
    }
}

fn opt(kind: u8) -> Vec<u8> {
    [&[kind, 1][..], &MAC].concat()
}

#[test]
fn neighbor_solicitation_from_dad_and_with_its_source_option() {
    let t = a6("fe80::2");
    let dad = icmp6("::", "ff02::1:ff00:2", 135, 0, [0; 4], &t);
    let want = Icmp6Msg::NeighSol {
        target: Ipv6Addr::from(t),
        sll: None,
    };
    assert_eq!(msg(&dad), want);
    assert_eq!(
        line(DLT_EN10MB, &dad),
        "IP6 :: > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 24"
    );
    let ns = icmp6(
        "fe80::1",
        "ff02::1:ff00:2",
        135,
        0,
        [0; 4],
        &[&t[..], &opt(1)].concat(),
    );
    assert!(matches!(msg(&ns), Icmp6Msg::NeighSol { sll: Some(m), .. } if m == MAC));
    // No option MAC without -v: a fixture never needs a {node.iface.mac} here.
    assert_eq!(
        line(DLT_EN10MB, &ns),
        "IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 32"
    );
}

#[test]
fn neighbor_advertisement_flags_and_target_option() {
    let t = a6("fe80::2");
    let cases = [
        (0x60, false, true, true),
        (0xe0, true, true, true),
        (0, false, false, false),
    ];
    for (flags, router, solicited, override_) in cases {
        let f = icmp6(
            "fe80::2",
            "fe80::1",
            136,
            0,
            [flags, 0, 0, 0],
            &[&t[..], &opt(2)].concat(),
        );
        let want = Icmp6Msg::NeighAdv {
            target: Ipv6Addr::from(t),
            router,
            solicited,
            override_,
            tll: Some(MAC),
        };
        assert_eq!(msg(&f), want);
        assert_eq!(
            line(DLT_EN10MB, &f),
            "IP6 fe80::2 > fe80::1: ICMP6, neighbor advertisement, tgt is fe80::2, length 32"
        );
    }
    // A source (not target) link-layer option is not taken for the target's.
    let f = icmp6(
        "fe80::2",
        "fe80::1",
        136,
        0,
        [0x40, 0, 0, 0],
        &[&t[..], &opt(1)].concat(),
    );
    assert!(matches!(msg(&f), Icmp6Msg::NeighAdv { tll: None, .. }));
}

#[test]
fn router_solicitation_and_advertisement_with_options() {
    let rs = icmp6("fe80::2", "ff02::2", 133, 0, [0; 4], &opt(1));
    assert_eq!(msg(&rs), Icmp6Msg::RouterSol { sll: Some(MAC) });
    assert_eq!(
        line(DLT_EN10MB, &rs),
        "IP6 fe80::2 > ff02::2: ICMP6, router solicitation, length 16"
    );
    let mut body = vec![0; 8];
    body.extend(opt(1));
    body.extend([5, 1, 0, 0, 0, 0, 0x05, 0xdc]);
    body.extend([
        3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
    ]);
    body.extend(a6("2001:db8::"));
    let ra = icmp6("fe80::1", "ff02::1", 134, 0, [64, 0xc0, 0x07, 0x08], &body);
    let want = Icmp6Msg::RouterAdv {
        hop_limit: 64,
        flags: 0xc0,
        lifetime: 1800,
        sll: Some(MAC),
        mtu: Some(1500),
        prefixes: vec![("2001:db8::".parse().unwrap(), 64)],
    };
    assert_eq!(msg(&ra), want);
    assert_eq!(
        line(DLT_EN10MB, &ra),
        "IP6 fe80::1 > ff02::1: ICMP6, router advertisement, length 64"
    );
}

#[test]
fn mld_reports_and_queries_behind_hop_by_hop() {
    let rec = [&[4u8, 0, 0, 0][..], &a6("ff02::1:ff00:2")].concat();
    let f = with_hbh("fe80::1", "ff02::16", 143, [0, 0, 0, 1], &rec);
    let Packet::Ip6(ip) = decode(DLT_EN10MB, &f).pkt else {
        panic!("not IPv6")
    };
    assert_eq!(
        (ip.next, ip.hlim, &ip.exts[..]),
        (0, 1, &[Ext6::HopByHop][..])
    );
    assert!(matches!(ip.l4, L6::Icmp6(ref m) if m.msg == Icmp6Msg::MldReport2 { records: 1 }));
    assert_eq!(
        line(DLT_EN10MB, &f),
        "IP6 fe80::1 > ff02::16: HBH ICMP6, multicast listener report v2, 1 group record(s), length 28"
    );
    let q2 = with_hbh("fe80::1", "ff02::1", 130, [0x27, 0x10, 0, 0], &[0; 20]);
    assert_eq!(
        line(DLT_EN10MB, &q2),
        "IP6 fe80::1 > ff02::1: HBH ICMP6, multicast listener query v2 [gaddr ::], length 28"
    );
    let r1 = with_hbh("fe80::1", "ff02::1:3", 131, [0; 4], &a6("ff02::1:3"));
    assert_eq!(
        line(DLT_EN10MB, &r1),
        "IP6 fe80::1 > ff02::1:3: HBH ICMP6, multicast listener reportmax resp delay: 0 addr: ff02::1:3, length 24"
    );
}

#[test]
fn echo_request_and_reply_of_any_length() {
    for n in [0usize, 1, 7, 56, 1001] {
        let mut v = vec![];
        PacketBuilder::ipv6(a6("2001:db8::1"), a6("2001:db8::2"), 64)
            .icmpv6_echo_request(7, 1)
            .write(&mut v, &vec![0xab; n])
            .unwrap();
        let want = format!(
            "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 1, length {}",
            8 + n
        );
        assert_eq!(line(DLT_RAW, &v), want);
    }
    let f = icmp6("2001:db8::2", "2001:db8::1", 129, 0, [0, 7, 0, 2], &[0; 56]);
    assert_eq!(
        msg(&f),
        Icmp6Msg::Echo {
            reply: true,
            id: 7,
            seq: 2
        }
    );
}

/// A UDP datagram 2001:db8::1.40000 > 2001:db8::9.33434, as quoted in errors.
fn quoted_udp() -> Vec<u8> {
    let mut v = vec![];
    PacketBuilder::ipv6(a6("2001:db8::1"), a6("2001:db8::9"), 64)
        .udp(40000, 33434)
        .write(&mut v, b"hello")
        .unwrap();
    v
}

#[test]
fn errors_name_the_quoted_packet() {
    let q = quoted_udp();
    let err = |ty, code, w| {
        line(
            DLT_EN10MB,
            &icmp6("2001:db8::2", "2001:db8::1", ty, code, w, &q),
        )
    };
    let head = "IP6 2001:db8::2 > 2001:db8::1: ICMP6, ";
    let cases = [
        (1, 0, "destination unreachable, unreachable route 2001:db8::9, length 61"),
        (1, 1, "destination unreachable,  unreachable prohibited 2001:db8::9, length 61"),
        (1, 2, "destination unreachable, beyond scope 2001:db8::9, source address 2001:db8::1, length 61"),
        (1, 3, "destination unreachable, unreachable address 2001:db8::9, length 61"),
        (1, 4, "destination unreachable, unreachable port, 2001:db8::9 udp port 33434, length 61"),
        (3, 0, "time exceeded in-transit for 2001:db8::9, length 61"),
        (3, 1, "time exceeded in-transit (reassembly), length 61"),
    ];
    for (ty, code, want) in cases {
        assert_eq!(
            err(ty, code, [0; 4]),
            format!("{head}{want}"),
            "{ty}/{code}"
        );
    }
    assert_eq!(
        err(2, 0, [0, 0, 5, 0]),
        format!("{head}packet too big, mtu 1280, length 61")
    );
    assert_eq!(
        err(4, 0, [0, 0, 0, 40]),
        format!("{head}parameter problem, erroneous - octet 40, length 61")
    );
    assert!(err(1, 5, [0; 4]).starts_with(&format!(
        "{head}destination unreachable, unknown unreach code (5)\n\t0x0000:  0105 "
    )));
    // A quote cut before the ports cannot name them.
    let cut = icmp6("2001:db8::2", "2001:db8::1", 1, 4, [0; 4], &q[..20]);
    assert_eq!(
        line(DLT_EN10MB, &cut),
        format!("{head}destination unreachable, unreachable port [|icmp6]")
    );
}

#[test]
fn udp_and_vxlan_over_ipv6_and_ipv6_inside_vxlan() {
    let mut v = vec![];
    PacketBuilder::ipv6(a6("2001:db8::1"), a6("2001:db8::2"), 64)
        .udp(40000, 9999)
        .write(&mut v, b"hello")
        .unwrap();
    assert_eq!(
        line(DLT_RAW, &v),
        "IP6 2001:db8::1.40000 > 2001:db8::2.9999: UDP, length 5"
    );
    let inner = icmp6("fe80::1", "ff02::1:ff00:2", 135, 0, [0; 4], &a6("fe80::2"));
    let mut vx = vec![8, 0, 0, 0, 0, 0, 42, 0];
    vx.extend_from_slice(&inner);
    let ns_line =
        "IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 24";
    let mut v = vec![];
    PacketBuilder::ipv6(a6("2001:db8::1"), a6("2001:db8::2"), 64)
        .udp(40000, 4789)
        .write(&mut v, &vx)
        .unwrap();
    assert_eq!(
        line(DLT_RAW, &v),
        format!(
            "IP6 2001:db8::1.40000 > 2001:db8::2.4789: VXLAN, flags [I] (0x08), vni 42\n{ns_line}"
        )
    );
    let mut v = vec![];
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(40000, 8472)
        .write(&mut v, &vx)
        .unwrap();
    assert_eq!(
        line(DLT_RAW, &v),
        format!("IP 10.0.0.1.40000 > 10.0.0.2.8472: OTV, flags [I] (0x08), overlay 0, instance 42\n{ns_line}")
    );
}

#[test]
fn other_next_headers_fragments_and_invalid_order() {
    let raw = |nh: u8, p: &[u8]| {
        let mut v = vec![];
        PacketBuilder::ipv6(a6("2001:db8::1"), a6("2001:db8::2"), 64)
            .write(&mut v, IpNumber(nh), p)
            .unwrap();
        line(DLT_RAW, &v)
    };
    let h = "IP6 2001:db8::1 > 2001:db8::2: ";
    assert_eq!(raw(253, b"abcdefg"), format!("{h} ip-proto-253 7"));
    assert_eq!(raw(59, b""), format!("{h}no next header"));
    let echo = [128, 0, 0, 0, 0, 7, 0, 1];
    let ext = |nh: u8, b3: u8| [&[nh, 0, 0, b3, 0, 0, 0, 9][..], &echo].concat();
    assert_eq!(
        raw(44, &ext(58, 1)),
        format!("{h}frag (0|8) ICMP6, echo request, id 7, seq 1, length 8")
    );
    assert_eq!(raw(44, &ext(58, 8)), format!("{h}frag (8|8)"));
    let dst = [&[58u8, 0, 1, 4, 0, 0, 0, 0][..], &echo].concat();
    assert_eq!(
        raw(60, &dst),
        format!("{h}DSTOPT ICMP6, echo request, id 7, seq 1, length 8")
    );
    let late_hbh = [&[0u8, 0, 1, 4, 0, 0, 0, 0][..], &dst].concat();
    assert_eq!(
        raw(60, &late_hbh),
        format!("{h}DSTOPT [The Hop-by-Hop Options header don't follow the IPv6 header] (invalid)")
    );
}

#[test]
fn truncated_captures_say_what_is_missing() {
    let f = icmp6("2001:db8::1", "2001:db8::2", 128, 0, [0, 7, 0, 1], &[0; 20]);
    assert_eq!(
        line(DLT_EN10MB, &f[..f.len() - 16]),
        "IP6 truncated-ip6 - 16 bytes missing!2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 7, seq 1, length 28"
    );
    let ns = icmp6("fe80::1", "ff02::1:ff00:2", 135, 0, [0; 4], &a6("fe80::2"));
    assert_eq!(
        line(DLT_EN10MB, &ns[..64]),
        "IP6 truncated-ip6 - 14 bytes missing!fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation [|icmp6]"
    );
    // Ethernet padding after the payload is not counted.
    let padded = [&ns[..], &[0; 10]].concat();
    assert_eq!(line(DLT_EN10MB, &padded), line(DLT_EN10MB, &ns));
}

#[test]
fn unknown_types_are_hex_dumped_and_links_carry_ipv6() {
    let f = icmp6("fe80::1", "ff02::1", 250, 3, [1, 2, 3, 4], &[5]);
    let l = line(DLT_EN10MB, &f);
    let (first, dump) = l.split_once('\n').unwrap();
    assert_eq!(
        first,
        "IP6 fe80::1 > ff02::1: ICMP6, unknown icmp6 type (250), length 9"
    );
    assert!(
        dump.starts_with("\t0x0000:  fa03 ") && dump.ends_with(" 0102 0304 05"),
        "{dump}"
    );
    let mut sll = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd];
    sll.extend_from_slice(&f[14..]);
    assert_eq!(line(DLT_LINUX_SLL, &sll), l);
    assert_eq!(line(DLT_RAW, &f[14..]), l);
}

#[test]
fn addresses_are_written_as_tcpdump_writes_them() {
    let a = |s: &str| A6(s.parse().unwrap()).to_string();
    // Rust writes hex here; tcpdump (inet_ntop) the dotted quad.
    assert_eq!(
        "::102:304".parse::<Ipv6Addr>().unwrap().to_string(),
        "::102:304"
    );
    assert_eq!(a("::102:304"), "::1.2.3.4");
    assert_eq!(a("::ffff:a00:1"), "::ffff:10.0.0.1");
    assert_eq!(a("::1"), "::1");
    assert_eq!(a("::"), "::");
    assert_eq!(a("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
}

#[test]
fn deep_nesting_does_not_exhaust_the_stack() {
    // 1600 IPv6 headers, each claiming the next as its payload (next header 41).
    let n = 1600;
    let mut p = vec![];
    for i in 0..n {
        let plen = ((n - 1 - i) * 40) as u16;
        p.extend_from_slice(&[0x60, 0, 0, 0]);
        p.extend_from_slice(&plen.to_be_bytes());
        p.extend_from_slice(&[if i + 1 < n { 41 } else { 59 }, 64]);
        p.extend_from_slice(&[0; 32]);
    }
    let l = line(DLT_RAW, &p);
    // Decoded MAX_NESTING deep, then left as payload (tcpdump goes on).
    let deep = "IP6 :: > ::: ".repeat(crate::capture::decode::MAX_NESTING as usize + 1);
    let rest = (n - 1 - crate::capture::decode::MAX_NESTING as usize) * 40;
    assert_eq!(l, format!("{deep} ip-proto-41 {rest}"));
}

/// An IPv6 packet 2001:db8::1 > 2001:db8::2 with next header `nh`, by hand.
fn raw6(nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[nh, 64]);
    v.extend_from_slice(&a6("2001:db8::1"));
    v.extend_from_slice(&a6("2001:db8::2"));
    v.extend_from_slice(payload);
    v
}

#[test]
fn hostile_headers_end_the_line_as_tcpdump_ends_it() {
    let h = "IP6 2001:db8::1 > 2001:db8::2: ";
    let echo = [128u8, 0, 0, 0, 0, 7, 0, 1];
    let l = |nh: u8, p: &[&[u8]]| line(DLT_RAW, &raw6(nh, &p.concat()));
    assert_eq!(
        l(43, &[&[58, 2, 0, 1, 0, 0, 0, 0], &a6("2001:db8::9"), &echo]),
        format!("{h}RT6 (len=2, type=0 [Deprecated], segleft=1, [0]2001:db8::9) ICMP6, echo request, id 7, seq 1, length 8")
    );
    assert_eq!(
        l(43, &[&[58, 0, 90, 9, 0, 0, 0, 0], &echo]),
        format!("{h}RT6 (len=0, type=90, segleft=9 (unknown type) (invalid)")
    );
    // Option type 4 claims 0 bytes, then type 9 has no length byte.
    assert_eq!(
        l(0, &[&[58, 0, 0, 4, 0, 0, 0, 9], &echo]),
        format!("{h}HBH  [|hbhopt]")
    );
    assert_eq!(l(60, &[&[58, 1]]), format!("{h} [|dstopt]"));
    assert_eq!(l(44, &[&[58, 0, 0]]), format!("{h} [|frag6]"));
    assert_eq!(
        l(41, &[&[0x40; 40]]),
        format!("{h}IP6 version error: 4 != 6")
    );
    let udp = [0x9c, 0x40, 0x27, 0x0f, 0, 50, 0, 0, b'h', b'i'];
    assert_eq!(
        l(17, &[&udp]),
        "IP6 2001:db8::1.40000 > 2001:db8::2.9999: UDP, bad length 42 > 2"
    );
    let cut = raw6(17, &udp);
    assert_eq!(
        line(DLT_RAW, &cut[..44]),
        "IP6 truncated-ip6 - 6 bytes missing!2001:db8::1.40000 > 2001:db8::2.9999:  [|udp]"
    );
}

#[test]
fn vxlan_over_ipv6_nesting_is_bounded_too() {
    // Ethernet, IPv6, UDP to 4789, VXLAN, Ethernet, ... 200 levels, built
    // from the inside out: each level counts against MAX_NESTING.
    let mut inner: Vec<u8> = vec![];
    for _ in 0..200 {
        let mut udp_body = vec![0x08, 0, 0, 0, 0, 0, 1, 0];
        udp_body.extend_from_slice(&inner);
        let mut udp = vec![0x30, 0x39, 0x12, 0xb5];
        udp.extend_from_slice(&((udp_body.len() + 8) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(&udp_body);
        let mut eth = vec![0; 12];
        eth.extend_from_slice(&[0x86, 0xdd]);
        eth.extend_from_slice(&raw6(17, &udp));
        inner = eth;
    }
    let f = decode(DLT_EN10MB, &inner);
    let mut depth = 0;
    let mut cur = &f;
    while let Packet::Ip6(ip) = &cur.pkt {
        match &ip.l4 {
            L6::Udp { vxlan: Some(v), .. } => {
                depth += 1;
                cur = &v.inner;
            }
            _ => break,
        }
    }
    assert_eq!(depth, crate::capture::decode::MAX_NESTING);
}
