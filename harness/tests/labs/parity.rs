//! The kit's rendering against real `tcpdump -n`.

use crate::fail;
use libtest_mimic::{Completion, Failed};
use std::path::Path;
use std::process::Command;
use vethlab::lab::Lab;
use vethlab::run::{self, RunOpts};

mod ipv6;
use ipv6::{
    echo_error_frames, eth6, header_frames, kernel_ipv6_frames, ndp_frames, random6_frames, vxlan6,
};
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
    .chain(
        ndp_frames()
            .into_iter()
            .chain(echo_error_frames())
            .chain(header_frames())
            .map(eth6),
    )
    .chain(vxlan6(n103, n105))
    .collect::<Vec<_>>();
    let ours = same_as_tcpdump(&frames, "synthetic")?;
    same_as_tcpdump(&kernel_ipv6_frames()?, "kernel-ipv6")?;
    same_as_tcpdump(&random6_frames(400), "random-ipv6")?;
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

/// The MACs veth-pair-ipv6 pins (seed 004's), by `node.iface`: what its
/// fixtures' `{…mac}` and `{…ll6}` placeholders stand for.
const DUAL_STACK_MACS: &[(&str, [u8; 6])] = &[
    ("host.veth0", [0x3e, 0x78, 0xe0, 0x5b, 0x4a, 0x85]),
    ("song.veth1", [0xf2, 0x05, 0xc3, 0x82, 0xae, 0x5e]),
];

/// veth-pair-ipv6's fixture lines, placeholders filled, match what real
/// `tcpdump -n -r` prints for the step's .pcapng, in order: the lab's
/// expectations are tcpdump's words, neighbour discovery included (not only
/// vethlab's own rendering, which `tcpdump_agrees` compares).
pub(crate) fn tcpdump_agrees_with_ipv6_fixtures(labs: &[Lab]) -> Result<Completion, Failed> {
    if let Some(why) = no_tcpdump() {
        return crate::skipped(why);
    }
    let lab = labs
        .iter()
        .find(|l| l.name == "veth-pair-ipv6")
        .ok_or_else(|| fail("no lab veth-pair-ipv6"))?;
    let fill = |t: &str| {
        let mut t = t.to_string();
        for (at, mac) in DUAL_STACK_MACS {
            t = t.replace(&format!("{{{at}.mac}}"), &vethlab::model::fmt_mac(mac));
            let ll = vethlab::model::link_local(mac).to_string();
            t = t.replace(&format!("{{{at}.ll6}}"), &ll);
        }
        t
    };
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let opts = RunOpts {
        pcap_dir: Some(tmp.path().to_path_buf()),
        ..Default::default()
    };
    let (mut ndp, mut lines) = (0, 0);
    for r in run::run_lab(lab, &opts, &|_| {}) {
        let step = lab.steps.iter().find(|s| s.name == r.step);
        for cp in step.into_iter().flat_map(|s| &s.captures) {
            let Some(fx) = &cp.fixture else { continue };
            let p = tmp.path().join(&r.lab).join(&r.step);
            let theirs = tcpdump_lines(&p.join(format!("{}-{}.pcapng", cp.node, cp.iface)))?;
            let expected: Vec<_> = fx
                .lines
                .iter()
                .map(|l| (l.clone(), fill(&l.text)))
                .collect();
            if let Some(e) = expected.iter().find(|e| e.1.contains('{')) {
                return Err(fail(format!(
                    "{}: a placeholder left: {}",
                    fx.path.display(),
                    e.1
                )));
            }
            vethlab::check::lines::match_lines(&expected, &theirs)
                .map_err(|m| fail(format!("{}/{} against tcpdump:\n{m}", r.lab, r.step)))?;
            lines += expected.len();
            ndp += expected
                .iter()
                .filter(|e| e.1.contains("ICMP6, neighbor"))
                .count();
        }
    }
    // Both steps' solicitation and advertisement: NDP is what this compares.
    if ndp < 4 || lines == 0 {
        return Err(fail(format!(
            "{lines} fixture lines, {ndp} of NDP: too few compared"
        )));
    }
    Ok(Completion::Completed)
}
