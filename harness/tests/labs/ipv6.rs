//! IPv6 in lab nodes as the articles' machines had it: `::1` on lo and a
//! link-local address from each device's MAC, with nothing IPv6 of the
//! kernel's own in a step's captures; and off where a lab says so.

use crate::fail;
use libtest_mimic::Failed;
use vethlab::topo::Topo;

/// The `/proc/net/if_inet6` lines of `node` as (device, address, flags):
/// the kernel's own view, read from the namespace the job runs in.
fn inet6(t: &Topo, node: &str) -> Result<Vec<(String, String, u32)>, Failed> {
    let text = t
        .node(node)
        .and_then(|n| n.run(|| std::fs::read_to_string("/proc/thread-self/net/if_inet6")))
        .map_err(|e| fail(e.to_string()))?
        // A kernel without IPv6 has no file: nothing to test there.
        .unwrap_or_default();
    Ok(text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let hex = f.first()?;
            let a: Vec<String> = (0..8).map(|i| hex[i * 4..i * 4 + 4].to_string()).collect();
            let ip: std::net::Ipv6Addr = a.join(":").parse().ok()?;
            let flags = u32::from_str_radix(f.get(4)?, 16).ok()?;
            Some((f.get(5)?.to_string(), ip.to_string(), flags))
        })
        .collect())
}

fn apply(t: &mut Topo, node: &str, line: &str) -> Result<(), Failed> {
    let l = vethlab::iproute::cmd::parse(line).map_err(fail)?;
    for c in &l.cmds {
        t.apply(node, c).map_err(|e| fail(format!("{line}: {e}")))?;
    }
    Ok(())
}

/// Node `v6` (the default) gets `::1` when lo comes up and, on a veth
/// brought up, `fe80::` + EUI-64 of its MAC, at once valid (no duplicate
/// address probe, so no `tentative` and no neighbour solicitation from
/// `::`), with router solicitations off; node `off` (`"ipv6": false`) gets
/// none of it, on lo or on the veth that moves in.
pub(crate) fn link_local_and_opt_out() -> Result<(), Failed> {
    if !std::path::Path::new("/proc/sys/net/ipv6").exists() {
        return Ok(());
    }
    let e = |e: vethlab::error::Error| fail(e.to_string());
    let mut t = Topo::new();
    t.add_node_with("v6", true).map_err(e)?;
    t.add_node_with("off", false).map_err(e)?;
    apply(&mut t, "v6", "ip link set lo up")?;
    apply(&mut t, "off", "ip link set lo up")?;
    apply(
        &mut t,
        "v6",
        "ip link add q0 address 52:54:00:3c:51:f0 type veth peer name q1 netns off",
    )?;
    apply(&mut t, "off", "ip link set q1 up")?;
    // What q0 sends as it comes up, seen from the other end (which sends nothing).
    let off = t.node("off").map_err(e)?;
    let cap = vethlab::sys::capture::Capture::start(off, "q1", 1 << 20).map_err(e)?;
    apply(&mut t, "v6", "ip link set q0 up")?;
    // q0's address comes when the kernel takes in its carrier, after the command.
    t.await_addrconf(std::time::Duration::from_secs(2))
        .map_err(e)?;
    let mut bad = vec![];
    let sent = cap.finish().map_err(e)?;
    if !sent.frames.is_empty() {
        let lines: Vec<String> = sent
            .frames
            .iter()
            .map(|f| format!("{:02x?}", &f.data[..f.data.len().min(64)]))
            .collect();
        bad.push(format!(
            "q0 sent {} frames coming up (a probe from ::, a router solicitation?):\n{}",
            sent.frames.len(),
            lines.join("\n")
        ));
    }
    let v6 = inet6(&t, "v6")?;
    let want = [("lo", "::1"), ("q0", "fe80::5054:ff:fe3c:51f0")];
    for (dev, ip) in want {
        match v6.iter().find(|(d, a, _)| d == dev && a == ip) {
            None => bad.push(format!("v6: no {ip} on {dev} (has {v6:?})")),
            // IFA_F_TENTATIVE (0x40), IFA_F_DADFAILED (0x08).
            Some((_, _, f)) if f & 0x48 != 0 => {
                bad.push(format!("v6: {ip} on {dev} has flags {f:#x}"))
            }
            _ => {}
        }
    }
    if v6.len() != want.len() {
        bad.push(format!("v6: exactly {want:?} expected, has {v6:?}"));
    }
    let rs = t
        .sysctl_read("v6", "net.ipv6.conf.q0.router_solicitations")
        .map_err(e)?;
    if rs != "0" {
        bad.push(format!("v6: q0 router_solicitations is {rs}"));
    }
    let off = inet6(&t, "off")?;
    if !off.is_empty() {
        bad.push(format!("off: no IPv6 address expected, has {off:?}"));
    }
    match bad.is_empty() {
        true => Ok(()),
        false => Err(fail(bad.join("\n"))),
    }
}

/// The capture filter leaves out MLD reports (v1 and v2) and dones, and
/// keeps neighbour discovery, echo and everything IPv4: judged by libpcap
/// itself on the frames a kernel sends.
pub(crate) fn capture_filter_drops_mld_only() -> Result<(), Failed> {
    let dead = pcap::Capture::dead(pcap::Linktype::ETHERNET).map_err(|e| fail(e.to_string()))?;
    let prog = dead
        .compile(vethlab::sys::capture::Capture::FILTER, true)
        .map_err(|e| fail(e.to_string()))?;
    // Ethernet to 33:33:…, IPv6 from fe80::1; `hbh`: a router-alert hop-by-hop header first.
    let frame = |hbh: bool, icmp_type: u8| {
        let mut f = vec![0x33, 0x33, 0, 0, 0, 0x16, 2, 0, 0, 0, 0, 1, 0x86, 0xdd];
        let next = if hbh { 0 } else { 58 };
        let plen: u16 = if hbh { 36 } else { 28 };
        f.extend([0x60, 0, 0, 0]);
        f.extend(plen.to_be_bytes());
        f.extend([next, 1]);
        f.extend([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        f.extend([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16]);
        if hbh {
            f.extend([58, 0, 5, 2, 0, 0, 1, 0]);
        }
        f.push(icmp_type);
        f.extend([0u8; 27]);
        f
    };
    let mut bad = vec![];
    for t in [131u8, 132, 143] {
        if prog.filter(&frame(true, t)) {
            bad.push(format!("MLD type {t} kept"));
        }
    }
    for (hbh, t) in [
        (false, 135u8),
        (false, 136),
        (false, 128),
        (false, 133),
        (true, 130),
    ] {
        if !prog.filter(&frame(hbh, t)) {
            bad.push(format!("ICMPv6 type {t} (hop-by-hop: {hbh}) dropped"));
        }
    }
    let arp = [
        &[0xffu8; 6][..],
        &[2, 0, 0, 0, 0, 1, 0x08, 0x06],
        &[0, 1, 8, 0, 6, 4, 0, 1],
        &[0u8; 20],
    ]
    .concat();
    if !prog.filter(&arp) {
        bad.push("ARP dropped".into());
    }
    match bad.is_empty() {
        true => Ok(()),
        false => Err(fail(bad.join("\n"))),
    }
}
