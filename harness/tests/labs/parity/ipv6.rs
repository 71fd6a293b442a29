//! IPv6 frames for the tcpdump comparison: built by hand (NDP, MLD, echo,
//! errors, UDP, extension headers, VXLAN and 6in4 carrying IPv6), recorded
//! from a kernel (`../data/ipv6_kernel.hex`), and pseudo-random.

use super::{checksum, ipv4};
use crate::fail;
use libtest_mimic::Failed;

fn a6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>()
        .expect("test address")
        .octets()
}

fn ipv6(src: &str, dst: &str, nh: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[nh, hlim]);
    h.extend_from_slice(&a6(src));
    h.extend_from_slice(&a6(dst));
    h.extend_from_slice(payload);
    h
}

/// An ICMPv6 message with its checksum, in IPv6; behind a hop-by-hop header
/// with the router alert (as MLD sends it) when `hbh`.
fn icmp6(src: &str, dst: &str, hlim: u8, hbh: bool, body: &[u8]) -> Vec<u8> {
    let mut m = body.to_vec();
    m[2..4].copy_from_slice(&[0, 0]);
    let mut pseudo = a6(src).to_vec();
    pseudo.extend_from_slice(&a6(dst));
    pseudo.extend_from_slice(&(m.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    pseudo.extend_from_slice(&m);
    let c = checksum(&pseudo);
    m[2..4].copy_from_slice(&c);
    if hbh {
        let mut p = vec![58, 0, 5, 2, 0, 0, 1, 0];
        p.extend(m);
        return ipv6(src, dst, 0, hlim, &p);
    }
    ipv6(src, dst, 58, hlim, &m)
}

/// An ICMPv6 message of type `ty`, code `code`, 4 bytes after the checksum, then `rest`.
fn msg6(ty: u8, code: u8, word: [u8; 4], rest: &[&[u8]]) -> Vec<u8> {
    let mut m = vec![ty, code, 0, 0];
    m.extend_from_slice(&word);
    for r in rest {
        m.extend_from_slice(r);
    }
    m
}

const MAC: [u8; 6] = [0x3e, 0x78, 0xe0, 0x5b, 0x4a, 0x85];

/// Neighbour discovery, MLD and redirect, as a veth pair's namespaces send them.
pub(super) fn ndp_frames() -> Vec<Vec<u8>> {
    let (l1, l2, sn) = ("fe80::1", "fe80::3c78:e0ff:fe5b:4a85", "ff02::1:ff5b:4a85");
    let sll = [&[1u8, 1][..], &MAC[..]].concat();
    let tll = [&[2u8, 1][..], &MAC[..]].concat();
    let t = a6(l2);
    let nd = |s: &str, d: &str, ty: u8, w: [u8; 4], rest: &[&[u8]]| {
        icmp6(s, d, 255, false, &msg6(ty, 0, w, rest))
    };
    let mld = |s: &str, d: &str, ty: u8, w: [u8; 4], rest: &[&[u8]]| {
        icmp6(s, d, 1, true, &msg6(ty, 0, w, rest))
    };
    let mut ra = sll.clone();
    ra.extend_from_slice(&[5, 1, 0, 0, 0, 0, 0x05, 0xdc]);
    ra.extend_from_slice(&[3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40]);
    ra.extend_from_slice(&[0; 4]);
    ra.extend_from_slice(&a6("2001:db8::"));
    let rec = [&[4u8, 0, 0, 0][..], &a6(sn)].concat();
    let g = a6("ff02::1:3");
    let srcs = [&g[..], &[0, 0, 0, 2], &a6(l1), &a6(l2)].concat();
    vec![
        // DAD: from ::, no option; then with the source's MAC.
        nd("::", sn, 135, [0; 4], &[&t]),
        nd(l1, sn, 135, [0; 4], &[&t, &sll]),
        // Solicited + override with the target's MAC; router too; none, unsolicited.
        nd(l2, l1, 136, [0x60, 0, 0, 0], &[&t, &tll]),
        nd(l2, l1, 136, [0xe0, 0, 0, 0], &[&t]),
        nd(l2, "ff02::1", 136, [0; 4], &[&t, &tll]),
        nd(l2, "ff02::2", 133, [0; 4], &[&sll]),
        nd("::", "ff02::2", 133, [0; 4], &[]),
        nd(l1, "ff02::1", 134, [64, 0xc0, 0x07, 0x08], &[&[0; 8], &ra]),
        nd(
            l1,
            "fe80::2",
            137,
            [0; 4],
            &[&a6("fe80::9"), &a6("2001:db8::5")],
        ),
        mld(l2, "ff02::16", 143, [0, 0, 0, 1], &[&rec]),
        mld("::", "ff02::16", 143, [0, 0, 0, 2], &[&rec, &rec]),
        mld(l1, "ff02::1", 130, [0x27, 0x10, 0, 0], &[&[0; 16], &[0; 4]]),
        mld(l1, "ff02::1:3", 130, [0x27, 0x10, 0, 0], &[&srcs]),
        mld(l1, "ff02::1", 130, [0, 10, 0, 0], &[&[0; 16]]),
        mld(l1, "ff02::2", 132, [0; 4], &[&g]),
    ]
}

/// Echo of odd lengths, errors quoting a datagram, an unknown type.
pub(super) fn echo_error_frames() -> Vec<Vec<u8>> {
    let (h1, h2, h9) = ("2001:db8::1", "2001:db8::2", "2001:db8::9");
    let pad = |n: usize| (0..n).map(|i| i as u8).collect::<Vec<u8>>();
    let mut udp = vec![0x9c, 0x40, 0x82, 0x9a, 0, 13, 0, 0];
    udp.extend_from_slice(b"hello");
    let quoted = ipv6(h1, h9, 17, 64, &udp);
    let mut tcp = vec![
        0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 2, 4, 0,
    ];
    tcp.extend_from_slice(&[0; 4]);
    let tcp_quoted = ipv6(h1, h9, 6, 64, &tcp);
    let m = |s: &str, d: &str, ty: u8, code: u8, w: [u8; 4], rest: &[u8]| {
        icmp6(s, d, 64, false, &msg6(ty, code, w, &[rest]))
    };
    let mut v = vec![];
    for n in [56usize, 0, 1, 7, 1001] {
        v.push(m(h1, h2, 128, 0, [0, 7, 0, 1], &pad(n)));
    }
    v.push(m(h2, h1, 129, 0, [0, 7, 0, 1], &pad(56)));
    for code in 0..=5 {
        v.push(m(h2, h1, 1, code, [0; 4], &quoted));
    }
    v.push(m(h2, h1, 1, 4, [0; 4], &tcp_quoted));
    v.push(m(h2, h1, 1, 4, [0; 4], &quoted[..20]));
    v.push(m(h2, h1, 3, 0, [0; 4], &quoted));
    v.push(m(h2, h1, 3, 1, [0; 4], &quoted));
    v.push(m(h2, h1, 2, 0, [0, 0, 5, 0], &quoted));
    v.push(m(h2, h1, 4, 0, [0, 0, 0, 40], &quoted));
    for (ty, code) in [(3, 2), (4, 1), (4, 2), (4, 3), (4, 9), (2, 1)] {
        v.push(m(h2, h1, ty, code, [0, 0, 0, 6], &quoted));
    }
    v.push(m(h1, h2, 250, 3, [1, 2, 3, 4], &pad(21)));
    v
}

/// UDP, unknown and absent next headers, extension headers, IPv6 in IPv6,
/// and addresses whose text tcpdump and RFC 5952 could write differently.
pub(super) fn header_frames() -> Vec<Vec<u8>> {
    let (h1, h2, h9) = ("2001:db8::1", "2001:db8::2", "2001:db8::9");
    let mut u = vec![0x9c, 0x40, 0x27, 0x0f, 0, 13, 0, 0];
    u.extend_from_slice(b"hello");
    let echo = msg6(128, 0, [0, 7, 0, 1], &[]);
    let ext =
        |nh: u8, len: u8, b3: u8, rest: &[u8]| [&[nh, len, 0, b3, 0, 0, 0, 9][..], rest].concat();
    let mut v = vec![
        ipv6(h1, h2, 17, 64, &u),
        ipv6(h1, h2, 253, 64, b"abcdefg"),
        ipv6(h1, h2, 59, 64, &[]),
        ipv6(h1, h2, 60, 64, &ext(58, 0, 4, &echo)),
        ipv6(h1, h2, 44, 64, &ext(58, 0, 1, &echo)),
        ipv6(h1, h2, 44, 64, &ext(58, 0, 8, &echo)),
        ipv6(h1, h2, 41, 64, &icmp6(h9, h2, 63, false, &echo)),
        // Options that fit (router alert, PadN), then options that do not.
        ipv6(
            h1,
            h2,
            0,
            1,
            &[&[17u8, 0, 5, 2, 0, 0, 1, 0][..], &u].concat(),
        ),
        ipv6(
            h1,
            h2,
            60,
            1,
            &[&[17u8, 0, 1, 4, 0, 0, 0, 0][..], &u].concat(),
        ),
        ipv6(h1, h2, 0, 1, &ext(17, 0, 4, &u)),
        ipv6(h1, h2, 60, 1, &ext(17, 0, 4, &u)),
        // Routing type 0 with one address, then an unknown routing type.
        ipv6(
            h1,
            h2,
            43,
            64,
            &[&[58u8, 2, 0, 1, 0, 0, 0, 0][..], &a6(h9), &echo].concat(),
        ),
        ipv6(
            h1,
            h2,
            43,
            64,
            &[&[58u8, 0, 90, 9, 0, 0, 0, 0][..], &echo].concat(),
        ),
        // A UDP length beyond the packet, a UDP header cut after its ports,
        // IPv6 in IPv6 whose inner version is 4.
        ipv6(
            h1,
            h2,
            17,
            64,
            &[&[0x9c, 0x40, 0x27, 0x0f, 0, 50, 0, 0][..], b"hello"].concat(),
        ),
        ipv6(h1, h2, 17, 64, &u)[..44].to_vec(),
        ipv6(h1, h2, 41, 64, &[0x40; 40]),
    ];
    for (s, d) in [
        ("::102:304", "::ffff:a00:1"),
        ("::1", "::"),
        ("2001:db8:0:0:1:0:0:1", "2001:0:0:1::1"),
        ("::1:0:0:0", "fe80::ffff:0:1"),
    ] {
        v.push(icmp6(s, d, 64, false, &msg6(135, 0, [0; 4], &[&a6(d)])));
    }
    v
}

/// The IPv6 frames a kernel sent on a veth pair (data/ipv6_kernel.hex says how
/// they were recorded): NDP with the options Linux adds, MLDv2, ping -6.
pub(super) fn kernel_ipv6_frames() -> Result<Vec<Vec<u8>>, Failed> {
    let text = include_str!("../data/ipv6_kernel.hex");
    let frames: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            (0..l.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(l.get(i..i + 2).unwrap_or("?"), 16))
                .collect::<Result<Vec<u8>, _>>()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| fail(format!("data/ipv6_kernel.hex: {e}")))?;
    if frames.len() < 30 {
        return Err(fail("data/ipv6_kernel.hex: fewer frames than recorded"));
    }
    Ok(frames)
}

/// `n` IPv6 frames of the kinds above with pseudo-random addresses (runs of
/// zero words anywhere, to try the address text), ids, flags and lengths.
pub(super) fn random6_frames(n: usize) -> Vec<Vec<u8>> {
    let mut x: u64 = 0x5eed_6666;
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let addr = |next: &mut dyn FnMut() -> u64| {
        let zeros = next();
        let w: Vec<String> = (0..8)
            .map(|i| match (zeros >> (i * 3)) & 7 {
                0..=3 => "0".to_string(),
                _ => format!("{:x}", next() as u16),
            })
            .collect();
        w.join(":")
    };
    (0..n)
        .map(|_| {
            let (s, d) = (addr(&mut next), addr(&mut next));
            let r = next();
            let body = match r % 5 {
                0 => msg6(
                    128 + (r >> 8) as u8 % 2,
                    0,
                    (r >> 16).to_be_bytes()[..4].try_into().unwrap_or([0; 4]),
                    &[&vec![0; (r >> 40) as usize % 90]],
                ),
                1 => msg6(135, 0, [0; 4], &[&a6(&addr(&mut next))]),
                2 => msg6(
                    136,
                    0,
                    [(r >> 8) as u8 & 0xe0, 0, 0, 0],
                    &[&a6(&addr(&mut next))],
                ),
                3 => msg6(
                    1,
                    (r >> 8) as u8 % 5,
                    [0; 4],
                    &[&ipv6(
                        &d,
                        &addr(&mut next),
                        17,
                        64,
                        &[0x9c, 0x40, 0x82, 0x9a, 0, 8, 0, 0],
                    )],
                ),
                _ => msg6(143, 0, [0, 0, 0, (r >> 8) as u8], &[]),
            };
            eth6(icmp6(&s, &d, 64, r % 5 == 4, &body))
        })
        .collect()
}

pub(super) fn eth6(ip: Vec<u8>) -> Vec<u8> {
    let mut f = vec![0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 0x86, 0xdd];
    f.extend(ip);
    f
}

/// An IPv6 neighbour solicitation inside VXLAN (IANA port and flannel's)
/// over IPv4, and IPv6 over IPv4 (protocol 41).
pub(super) fn vxlan6(src: [u8; 4], dst: [u8; 4]) -> Vec<Vec<u8>> {
    let ns = msg6(135, 0, [0; 4], &[&a6("fe80::2")]);
    let inner = eth6(icmp6("fe80::1", "ff02::1:ff00:2", 255, false, &ns));
    let outer = |ip: Vec<u8>| {
        let mut f = vec![2, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 3, 8, 0];
        f.extend(ip);
        f
    };
    let mut v = vec![];
    for port in [4789u16, 8472] {
        let mut u = vec![0x9c, 0x40];
        u.extend_from_slice(&port.to_be_bytes());
        u.extend_from_slice(&((16 + inner.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0, 8, 0, 0, 0, 0, 0, 42, 0]);
        u.extend_from_slice(&inner);
        v.push(outer(ipv4(src, dst, 17, 64, &u)));
    }
    let echo = msg6(128, 0, [0, 7, 0, 1], &[&[1, 2, 3]]);
    v.push(outer(ipv4(
        src,
        dst,
        41,
        64,
        &icmp6("2001:db8::1", "2001:db8::2", 64, false, &echo),
    )));
    v
}
