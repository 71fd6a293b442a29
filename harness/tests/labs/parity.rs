//! The kit's rendering against real `tcpdump -n`.

use crate::fail;
use libtest_mimic::{Completion, Failed};
use std::path::Path;
use std::process::Command;
use vethlab::lab::Lab;
use vethlab::run::{self, RunOpts};
/// Every line the kit rendered for the labs' captures equals what real
/// `tcpdump -n -r` prints for the same .pcapng (timestamps aside).
pub(crate) fn tcpdump_agrees(labs: &[Lab]) -> Result<Completion, Failed> {
    if let Some(why) = no_tcpdump() {
        return crate::skipped(why);
    }
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let opts = RunOpts {
        pcap_dir: Some(tmp.path().to_path_buf()),
        ..Default::default()
    };
    let mut compared = 0;
    for l in labs {
        for r in run::run_lab(l, &opts, &|_| {}) {
            for c in &r.captures {
                let (node, iface) = c.at.split_once(':').unwrap_or_default();
                let p = tmp
                    .path()
                    .join(&r.lab)
                    .join(&r.step)
                    .join(format!("{node}-{iface}.pcapng"));
                let theirs = tcpdump_lines(&p)?;
                let ours = c.lines();
                if theirs != ours {
                    return Err(fail(format!(
                        "{}/{} {}: tcpdump says\n  {}\nvethlab says\n  {}",
                        r.lab,
                        r.step,
                        c.at,
                        theirs.join("\n  "),
                        ours.join("\n  ")
                    )));
                }
                compared += theirs.len();
            }
        }
    }
    if compared == 0 {
        return Err(fail("no captured line to compare"));
    }
    Ok(Completion::Completed)
}

fn checksum(b: &[u8]) -> [u8; 2] {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32)
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    (!(sum as u16)).to_be_bytes()
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut h = vec![
        0x45,
        0,
        (len >> 8) as u8,
        len as u8,
        0,
        0,
        0x40,
        0,
        ttl,
        proto,
        0,
        0,
    ];
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = checksum(&h);
    h[10..12].copy_from_slice(&c);
    h.extend_from_slice(payload);
    h
}

fn echo(kind: u8, id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![kind, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..56u8).map(|i| i.wrapping_add(0x10)));
    let c = checksum(&p);
    p[2..4].copy_from_slice(&c);
    p
}

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

/// Neighbour discovery and MLD, as a veth pair's namespaces send them.
fn ndp_frames() -> Vec<Vec<u8>> {
    let (l1, l2) = ("fe80::1", "fe80::3c78:e0ff:fe5b:4a85");
    let (sll, tll) = (
        [&[1u8, 1][..], &MAC[..]].concat(),
        [&[2u8, 1][..], &MAC[..]].concat(),
    );
    let t = a6(l2);
    let mut ra_opts = sll.clone();
    ra_opts.extend_from_slice(&[5, 1, 0, 0, 0, 0, 0x05, 0xdc]);
    ra_opts.extend_from_slice(&[
        3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
    ]);
    ra_opts.extend_from_slice(&a6("2001:db8::"));
    let rec = [&[4u8, 0, 0, 0][..], &a6("ff02::1:ff5b:4a85")].concat();
    vec![
        // DAD: from ::, no option.
        icmp6(
            "::",
            "ff02::1:ff5b:4a85",
            255,
            false,
            &msg6(135, 0, [0; 4], &[&t]),
        ),
        icmp6(
            l1,
            "ff02::1:ff5b:4a85",
            255,
            false,
            &msg6(135, 0, [0; 4], &[&t, &sll]),
        ),
        // Solicited + override, with the target's MAC; router too; none, unsolicited.
        icmp6(
            l2,
            l1,
            255,
            false,
            &msg6(136, 0, [0x60, 0, 0, 0], &[&t, &tll]),
        ),
        icmp6(l2, l1, 255, false, &msg6(136, 0, [0xe0, 0, 0, 0], &[&t])),
        icmp6(
            l2,
            "ff02::1",
            255,
            false,
            &msg6(136, 0, [0; 4], &[&t, &tll]),
        ),
        icmp6(l2, "ff02::2", 255, false, &msg6(133, 0, [0; 4], &[&sll])),
        icmp6("::", "ff02::2", 255, false, &msg6(133, 0, [0; 4], &[])),
        icmp6(
            l1,
            "ff02::1",
            255,
            false,
            &msg6(134, 0, [64, 0xc0, 0x07, 0x08], &[&[0; 8], &ra_opts]),
        ),
        icmp6(
            l2,
            "ff02::16",
            1,
            true,
            &msg6(143, 0, [0, 0, 0, 1], &[&rec]),
        ),
        icmp6(
            "::",
            "ff02::16",
            1,
            true,
            &msg6(143, 0, [0, 0, 0, 2], &[&rec, &rec]),
        ),
        icmp6(
            l1,
            "ff02::1",
            1,
            true,
            &msg6(130, 0, [0x27, 0x10, 0, 0], &[&[0; 16], &[0; 4]]),
        ),
        icmp6(
            l1,
            "fe80::2",
            255,
            false,
            &msg6(137, 0, [0; 4], &[&a6("fe80::9"), &a6("2001:db8::5")]),
        ),
    ]
}

/// Echo (odd lengths), errors quoting a datagram, UDP, unknown headers and kinds.
fn other6_frames() -> Vec<Vec<u8>> {
    let (h1, h2, h9) = ("2001:db8::1", "2001:db8::2", "2001:db8::9");
    let pad = |n: usize| (0..n).map(|i| i as u8).collect::<Vec<u8>>();
    let mut udp = vec![0x9c, 0x40, 0x82, 0x9a, 0, 13, 0, 0];
    udp.extend_from_slice(b"hello");
    let quoted = ipv6(h1, h9, 17, 64, &udp);
    let tcp = vec![
        0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 2, 4, 0, 0, 0, 0, 0,
    ];
    let tcp_quoted = ipv6(h1, h9, 6, 64, &tcp);
    let mut v = vec![];
    for n in [56usize, 0, 1, 7, 1001] {
        v.push(icmp6(
            h1,
            h2,
            64,
            false,
            &msg6(128, 0, [0, 7, 0, 1], &[&pad(n)]),
        ));
    }
    v.push(icmp6(
        h2,
        h1,
        64,
        false,
        &msg6(129, 0, [0, 7, 0, 1], &[&pad(56)]),
    ));
    for code in 0..=5 {
        v.push(icmp6(h2, h1, 64, false, &msg6(1, code, [0; 4], &[&quoted])));
    }
    v.push(icmp6(
        h2,
        h1,
        64,
        false,
        &msg6(1, 4, [0; 4], &[&tcp_quoted]),
    ));
    v.push(icmp6(
        h2,
        h1,
        64,
        false,
        &msg6(1, 4, [0; 4], &[&quoted[..20]]),
    ));
    v.push(icmp6(h2, h1, 64, false, &msg6(3, 0, [0; 4], &[&quoted])));
    v.push(icmp6(h2, h1, 64, false, &msg6(3, 1, [0; 4], &[&quoted])));
    v.push(icmp6(
        h2,
        h1,
        64,
        false,
        &msg6(2, 0, [0, 0, 5, 0], &[&quoted]),
    ));
    v.push(icmp6(
        h2,
        h1,
        64,
        false,
        &msg6(4, 0, [0, 0, 0, 40], &[&quoted]),
    ));
    v.push(icmp6(
        h1,
        h2,
        64,
        false,
        &msg6(250, 3, [1, 2, 3, 4], &[&pad(21)]),
    ));
    let mut u = vec![0x9c, 0x40, 0x27, 0x0f, 0, 13, 0, 0];
    u.extend_from_slice(b"hello");
    v.push(ipv6(h1, h2, 17, 64, &u));
    v.push(ipv6(h1, h2, 253, 64, b"abcdefg"));
    v.push(ipv6(h1, h2, 59, 64, &[]));
    let echo = msg6(128, 0, [0, 7, 0, 1], &[]);
    v.push(ipv6(
        h1,
        h2,
        60,
        64,
        &[&[58u8, 0, 1, 4, 0, 0, 0, 0][..], &echo].concat(),
    ));
    v.push(ipv6(
        h1,
        h2,
        44,
        64,
        &[&[58u8, 0, 0, 1, 0, 0, 0, 9][..], &echo].concat(),
    ));
    v.push(ipv6(
        h1,
        h2,
        44,
        64,
        &[&[58u8, 0, 0, 8, 0, 0, 0, 9][..], &echo].concat(),
    ));
    v.push(ipv6(h1, h2, 41, 64, &icmp6(h9, h2, 63, false, &echo)));
    // Addresses whose text tcpdump and RFC 5952 could write differently.
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

/// Frames this kernel cannot make (IP-in-IP: no ipip here) or that the labs
/// do not capture, built by hand: rendered lines must equal tcpdump's.
pub(crate) fn tcpdump_agrees_synthetic() -> Result<Completion, Failed> {
    if let Some(why) = no_tcpdump() {
        return crate::skipped(why);
    }
    let (n103, n105) = ([192, 168, 26, 103], [192, 168, 26, 105]);
    let (pa, pb) = ([10, 244, 38, 174], [10, 244, 169, 66]);
    let eth = |ip: Vec<u8>| {
        let mut f = vec![2, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 3, 8, 0];
        f.extend(ip);
        f
    };
    let mut udp = vec![0x9c, 0x40, 0x1f, 0x90, 0, 13, 0, 0];
    udp.extend_from_slice(b"hello");
    let inner_req = ipv4(pa, pb, 1, 63, &echo(8, 0x1234, 1));
    let mut unreach = vec![3, 1, 0, 0, 0, 0, 0, 0];
    unreach.extend_from_slice(&inner_req[..28]);
    let c = checksum(&unreach);
    unreach[2..4].copy_from_slice(&c);
    let frames = vec![
        eth(ipv4(n103, n105, 4, 64, &inner_req)),
        eth(ipv4(
            n105,
            n103,
            4,
            64,
            &ipv4(pb, pa, 1, 63, &echo(0, 0x1234, 1)),
        )),
        eth(ipv4(pa, pb, 17, 64, &udp)),
        eth(ipv4(n103, pa, 1, 64, &unreach)),
    ]
    .into_iter()
    .chain(ndp_frames().into_iter().chain(other6_frames()).map(eth6))
    .chain(vxlan6(n103, n105))
    .collect::<Vec<_>>();
    let ours = same_as_tcpdump(&frames, "synthetic")?;
    same_as_tcpdump(&kernel_ipv6_frames()?, "kernel-ipv6")?;
    // The calico fixture for O3.6 is written against exactly these lines.
    if !ours[0].starts_with(
        "IP 192.168.26.103 > 192.168.26.105: IP 10.244.38.174 > 10.244.169.66: ICMP echo request",
    ) {
        return Err(fail(format!("not rendered as IP-in-IP: {}", ours[0])));
    }
    Ok(Completion::Completed)
}

/// Frames rendered by vethlab, line by line equal to real `tcpdump -n` on
/// the same frames written to a pcap; vethlab's lines.
fn same_as_tcpdump(frames: &[Vec<u8>], name: &str) -> Result<Vec<String>, Failed> {
    use vethlab::capture::frame::{Captured, Frame};
    let cap = Captured {
        node: String::new(),
        iface: String::new(),
        linktype: 1,
        frames: frames
            .iter()
            .map(|d| Frame {
                ts_us: 1,
                data: d.clone(),
                len: d.len() as u32,
            })
            .collect(),
        dropped: 0,
    };
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let p = tmp.path().join(format!("{name}.pcap"));
    write_pcap(&cap, &p).map_err(|e| fail(e.to_string()))?;
    let theirs = tcpdump_lines(&p)?;
    let ours = vethlab::capture::decode::render_all(1, &cap.frames);
    if theirs != ours {
        return Err(fail(format!(
            "{name}: tcpdump says\n  {}\nvethlab says\n  {}",
            theirs.join("\n  "),
            ours.join("\n  ")
        )));
    }
    Ok(ours)
}

/// The IPv6 frames a kernel sent on a veth pair (data/ipv6_kernel.hex says how
/// they were recorded): NDP with the options Linux adds, MLDv2, ping -6.
fn kernel_ipv6_frames() -> Result<Vec<Vec<u8>>, Failed> {
    let text = include_str!("data/ipv6_kernel.hex");
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

fn eth6(ip: Vec<u8>) -> Vec<u8> {
    let mut f = vec![0x33, 0x33, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 0x86, 0xdd];
    f.extend(ip);
    f
}

/// An IPv6 neighbour solicitation inside VXLAN (IANA port and flannel's)
/// over IPv4, and IPv6 over IPv4 (protocol 41).
fn vxlan6(src: [u8; 4], dst: [u8; 4]) -> Vec<Vec<u8>> {
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

/// Why tcpdump cannot serve as the reference here, if it cannot.
pub(crate) fn no_tcpdump() -> Option<&'static str> {
    if Command::new("tcpdump").arg("--version").output().is_err() {
        return Some("tcpdump is not installed (ci/setup.sh installs it)");
    }
    // Rootless, only our own id is mapped in the user namespace; tcpdump then
    // tries to drop to its own user (setgroups, setuid) and the kernel
    // refuses. As root the sandbox maps a range of 65536 ids, and it can.
    let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    let ids: u64 = map
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if ids < 65536 {
        return Some(
            "tcpdump cannot drop privileges inside a user namespace; the root run checks this",
        );
    }
    None
}

/// `tcpdump -n -r FILE`, without timestamps.
fn tcpdump_lines(p: &Path) -> Result<Vec<String>, Failed> {
    let out = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(p)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(format!(
            "tcpdump -r {}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(strip_ts)
        .collect())
}

fn strip_ts(l: &str) -> String {
    // "05:27:59.637313 IP …" → "IP …"; continuation lines carry no timestamp.
    match l.split_once(' ') {
        Some((t, rest)) if t.len() == 15 && t.as_bytes()[2] == b':' && t.as_bytes()[8] == b'.' => {
            rest.to_string()
        }
        _ => l.to_string(),
    }
}

/// A classic pcap file, written by libpcap itself (what `tcpdump -r` reads).
fn write_pcap(
    cap: &vethlab::capture::frame::Captured,
    path: &std::path::Path,
) -> Result<(), pcap::Error> {
    let dead = pcap::Capture::dead(pcap::Linktype(cap.linktype))?;
    let mut file = dead.savefile(path)?;
    for f in &cap.frames {
        let ts = libc::timeval {
            tv_sec: f.ts_us / 1_000_000,
            tv_usec: f.ts_us % 1_000_000,
        };
        let header = pcap::PacketHeader {
            ts,
            caplen: f.data.len() as u32,
            len: f.len,
        };
        file.write(&pcap::Packet::new(&header, &f.data));
    }
    file.flush()
}
