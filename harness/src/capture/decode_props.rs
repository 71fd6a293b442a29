//! Property tests of decoding: for many pseudo-random parameter sets, a
//! frame built with etherparse's `PacketBuilder` (ARP by hand) renders as a
//! line carrying exactly the built addresses, ids, sequence numbers and
//! lengths; any bytes render as a known kind of line.

use super::decode6_tests::icmp6;
use super::decode_tests::{a, arp, echo, ipip, line, vxlan};
use crate::capture::decode::{decode, Icmp6Msg, Packet, DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW, L6};
use crate::model::fmt_mac;
use etherparse::PacketBuilder;
use std::net::Ipv6Addr;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn u8(&mut self) -> u8 {
        self.next() as u8
    }
    fn u16(&mut self) -> u16 {
        self.next() as u16
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A unicast MAC (the builder does not care, tcpdump neither).
    fn mac(&mut self) -> [u8; 6] {
        let b = self.next().to_be_bytes();
        [b[0] & 0xfe, b[1], b[2], b[3], b[4], b[5]]
    }
    fn ip(&mut self) -> [u8; 4] {
        (self.next() as u32).to_be_bytes()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
    /// Up to `n - 1` random bytes.
    fn upto(&mut self, n: u64) -> Vec<u8> {
        let k = self.below(n) as usize;
        self.bytes(k)
    }
}

#[test]
fn property_echo_lines_carry_exactly_what_was_built() {
    let mut r = Rng(0x5eed_0001);
    for _ in 0..500 {
        let (s, d, ttl, reply) = (r.ip(), r.ip(), r.u8().max(1), r.below(2) == 1);
        let (id, seq) = (r.u16(), r.u16());
        let payload = r.upto(200);
        let f = echo(s, d, ttl, reply, id, seq, &payload);
        let want = format!(
            "IP {} > {}: ICMP echo {}, id {id}, seq {seq}, length {}",
            a(s),
            a(d),
            if reply { "reply" } else { "request" },
            8 + payload.len()
        );
        assert_eq!(line(DLT_EN10MB, &f), want);
        assert_eq!(line(DLT_RAW, &f[14..]), want);
    }
}

#[test]
fn property_udp_lines_carry_ports_and_payload_length() {
    let mut r = Rng(0x5eed_0002);
    for _ in 0..500 {
        let (s, d) = (r.ip(), r.ip());
        let (sp, mut dp) = (r.u16(), r.u16());
        if dp == 8472 || dp == 4789 {
            dp = 53;
        }
        let payload = r.upto(300);
        let mut v = vec![];
        PacketBuilder::ethernet2(r.mac(), r.mac())
            .ipv4(s, d, 64)
            .udp(sp, dp)
            .write(&mut v, &payload)
            .unwrap();
        assert_eq!(
            line(DLT_EN10MB, &v),
            format!(
                "IP {}.{sp} > {}.{dp}: UDP, length {}",
                a(s),
                a(d),
                payload.len()
            )
        );
    }
}

#[test]
fn property_arp_lines_carry_addresses_and_macs() {
    let mut r = Rng(0x5eed_0003);
    for _ in 0..500 {
        let (sha, tha, spa, tpa) = (r.mac(), r.mac(), r.ip(), r.ip());
        let req = arp(1, sha, spa, [0; 6], tpa);
        assert_eq!(
            line(DLT_EN10MB, &req),
            format!("ARP, Request who-has {} tell {}, length 28", a(tpa), a(spa))
        );
        let probe = arp(1, sha, spa, tha, tpa);
        let want = if tha == [0; 6] {
            format!("ARP, Request who-has {} tell {}, length 28", a(tpa), a(spa))
        } else {
            format!(
                "ARP, Request who-has {} ({}) tell {}, length 28",
                a(tpa),
                fmt_mac(&tha),
                a(spa)
            )
        };
        assert_eq!(line(DLT_EN10MB, &probe), want);
        let rep = arp(2, sha, spa, tha, tpa);
        assert_eq!(
            line(DLT_EN10MB, &rep),
            format!("ARP, Reply {} is-at {}, length 28", a(spa), fmt_mac(&sha))
        );
    }
}

#[test]
fn property_vxlan_carries_vni_and_the_inner_echo() {
    let mut r = Rng(0x5eed_0004);
    for _ in 0..300 {
        let vni = (r.next() as u32) & 0x00ff_ffff;
        let (is, id_, seq) = (r.ip(), r.u16(), r.u16());
        let idst = r.ip();
        let inner = echo(is, idst, 63, false, id_, seq, &r.upto(64));
        let port = if r.below(2) == 0 { 8472 } else { 4789 };
        let l = line(DLT_EN10MB, &vxlan(port, vni, &inner));
        let head = if port == 8472 {
            format!("OTV, flags [I] (0x08), overlay 0, instance {vni}")
        } else {
            format!("VXLAN, flags [I] (0x08), vni {vni}")
        };
        let want = format!(
            "IP 192.168.26.103.51234 > 192.168.26.104.{port}: {head}\nIP {} > {}: ICMP echo request, id {id_}, seq {seq}, length {}",
            a(is),
            a(idst),
            inner.len() - 34
        );
        assert_eq!(l, want);
    }
}

#[test]
fn property_ipip_carries_both_address_pairs() {
    let mut r = Rng(0x5eed_0005);
    for _ in 0..300 {
        let (os, od, is, id_) = (r.ip(), r.ip(), r.ip(), r.ip());
        let (sp, dp) = (r.u16(), r.u16().max(1));
        let mut inner = vec![];
        PacketBuilder::ipv4(is, id_, 63)
            .udp(sp, dp)
            .write(&mut inner, b"x")
            .unwrap();
        let want = format!(
            "IP {} > {}: IP {}.{sp} > {}.{dp}: UDP, length 1",
            a(os),
            a(od),
            a(is),
            a(id_)
        );
        assert_eq!(line(DLT_EN10MB, &ipip((os, od), &inner)), want);
    }
}

#[test]
fn property_any_bytes_render_one_known_kind_of_line() {
    let mut r = Rng(0x5eed_0006);
    let kinds = ["ARP, ", "IP ", "IP6 ", "ethertype Unknown", "[|", "\t0x"];
    for _ in 0..2000 {
        let mut data = r.upto(120);
        // Steer some toward the parsers that matter.
        match r.below(4) {
            0 if data.len() >= 14 => data[12..14].copy_from_slice(&[0x08, 0x00]),
            1 if data.len() >= 14 => data[12..14].copy_from_slice(&[0x08, 0x06]),
            2 if data.len() >= 15 => data[14] = 0x45,
            _ => {}
        }
        for lt in [DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL] {
            let l = line(lt, &data);
            for part in l.lines() {
                assert!(
                    kinds.iter().any(|k| part.starts_with(k)),
                    "{lt} {data:02x?}: {l}"
                );
            }
            assert!(!l.is_empty());
        }
    }
}

#[test]
fn property_truncated_echo_is_never_shown_as_the_whole() {
    let mut r = Rng(0x5eed_0007);
    for _ in 0..50 {
        let f = echo(r.ip(), r.ip(), 64, false, r.u16(), r.u16(), &r.bytes(16));
        let whole = line(DLT_EN10MB, &f);
        for n in 0..f.len() {
            assert_ne!(line(DLT_EN10MB, &f[..n]), whole, "cut at {n}");
        }
    }
}

fn ip6(r: &mut Rng) -> [u8; 16] {
    let mut a = [0u8; 16];
    for b in a.iter_mut() {
        *b = r.u8();
    }
    // Not the IPv4-compatible form tcpdump writes as a dotted quad.
    a[0] |= 0x20;
    a
}

#[test]
fn property_icmp6_echo_lines_carry_exactly_what_was_built() {
    let mut r = Rng(0x5eed_0601);
    for _ in 0..500 {
        let (s, d, hlim, reply) = (ip6(&mut r), ip6(&mut r), r.u8(), r.below(2) == 1);
        let (id, seq) = (r.u16(), r.u16());
        let payload = r.upto(300);
        let b = PacketBuilder::ethernet2(r.mac(), r.mac()).ipv6(s, d, hlim);
        let b = if reply {
            b.icmpv6_echo_reply(id, seq)
        } else {
            b.icmpv6_echo_request(id, seq)
        };
        let mut f = vec![];
        b.write(&mut f, &payload).unwrap();
        let want = format!(
            "IP6 {} > {}: ICMP6, echo {}, id {id}, seq {seq}, length {}",
            Ipv6Addr::from(s),
            Ipv6Addr::from(d),
            if reply { "reply" } else { "request" },
            8 + payload.len()
        );
        assert_eq!(line(DLT_EN10MB, &f), want);
        assert_eq!(line(DLT_RAW, &f[14..]), want);
        for n in 0..f.len() {
            assert_ne!(line(DLT_EN10MB, &f[..n]), want, "cut at {n}");
        }
    }
}

#[test]
fn property_ndp_carries_target_flags_and_link_layer_option() {
    let mut r = Rng(0x5eed_0602);
    for _ in 0..500 {
        let (s, t, flags, mac) = (ip6(&mut r), ip6(&mut r), r.u8() & 0xe0, r.mac());
        let with_opt = r.below(2) == 1;
        let mut body = t.to_vec();
        if with_opt {
            body.extend_from_slice(&[2, 1]);
            body.extend_from_slice(&mac);
        }
        let (src, tgt) = (Ipv6Addr::from(s), Ipv6Addr::from(t));
        let f = icmp6(&src.to_string(), "ff02::1", 136, 0, [flags, 0, 0, 0], &body);
        let Packet::Ip6(ip) = decode(DLT_EN10MB, &f).pkt else {
            panic!("not IPv6")
        };
        let want = Icmp6Msg::NeighAdv {
            target: tgt,
            router: flags & 0x80 != 0,
            solicited: flags & 0x40 != 0,
            override_: flags & 0x20 != 0,
            tll: with_opt.then_some(mac),
        };
        assert!(matches!(ip.l4, L6::Icmp6(ref m) if m.msg == want), "{ip:?}");
        assert_eq!(
            line(DLT_EN10MB, &f),
            format!(
                "IP6 {src} > ff02::1: ICMP6, neighbor advertisement, tgt is {tgt}, length {}",
                8 + body.len()
            )
        );
    }
}

#[test]
fn property_udp6_lines_carry_ports_and_payload_length() {
    let mut r = Rng(0x5eed_0603);
    for _ in 0..500 {
        let (s, d) = (ip6(&mut r), ip6(&mut r));
        let (sp, mut dp) = (r.u16(), r.u16());
        if dp == 8472 || dp == 4789 {
            dp = 53;
        }
        let payload = r.upto(300);
        let mut v = vec![];
        PacketBuilder::ipv6(s, d, 64)
            .udp(sp, dp)
            .write(&mut v, &payload)
            .unwrap();
        assert_eq!(
            line(DLT_RAW, &v),
            format!(
                "IP6 {}.{sp} > {}.{dp}: UDP, length {}",
                Ipv6Addr::from(s),
                Ipv6Addr::from(d),
                payload.len()
            )
        );
    }
}

/// Hostile IPv6: random headers chained in any order, lengths that lie,
/// any ICMPv6 type and code. Never a panic; every line a known kind.
#[test]
fn property_hostile_ipv6_renders_a_known_kind_of_line() {
    let mut r = Rng(0x5eed_0604);
    let kinds = ["IP6 ", "IP ", "[|", "\t0x"];
    let nhs = [0u8, 6, 17, 41, 43, 44, 58, 59, 60, 253];
    let types = [
        1u8, 2, 3, 4, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 143, 200, 250,
    ];
    for _ in 0..5000 {
        let mut p = r.upto(160);
        if p.len() >= 40 {
            p[0] = 0x60;
            p[6] = nhs[r.below(nhs.len() as u64) as usize];
            if r.below(2) == 0 {
                let n = (p.len() - 40) as u16;
                p[4..6].copy_from_slice(&n.to_be_bytes());
            }
            if p.len() > 41 && p[6] == 58 {
                p[40] = types[r.below(types.len() as u64) as usize];
            }
        }
        let mut f = vec![0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        f.extend_from_slice(&p);
        for (lt, data) in [(DLT_EN10MB, &f[..]), (DLT_RAW, &p[..])] {
            let l = line(lt, data);
            assert!(!l.is_empty());
            for part in l.lines() {
                assert!(kinds.iter().any(|k| part.starts_with(k)), "{p:02x?}: {l}");
            }
        }
    }
}
