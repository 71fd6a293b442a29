//! What older kernels lack, done the way that works on every kernel.

use crate::fail;
use libtest_mimic::Failed;
use vethlab::check::state::State;
use vethlab::topo::Topo;

/// A device's neighbour parameters set over netlink (RTM_SETNEIGHTBL) are
/// what the kernel then reports, through the sysctl file where it exports
/// one (Linux 5.17 on, in a user namespace's netns) and over netlink; and a
/// sysctl write is what netlink reads back. Linux 5.10 exports no such file
/// there: `sysctl -w net.ipv4.neigh.DEV.proxy_delay=0` (calico) takes the
/// netlink path.
pub(crate) fn neigh_params_over_netlink() -> Result<(), Failed> {
    let e = |e: vethlab::error::Error| fail(e.to_string());
    let mut t = Topo::new();
    t.add_node("a").map_err(e)?;
    let line =
        vethlab::iproute::cmd::parse("ip link add nt0 type veth peer name nt1").map_err(fail)?;
    for c in &line.cmds {
        t.apply("a", c).map_err(e)?;
    }
    let mut bad = vec![];
    // proxy_delay is in USER_HZ ticks; netlink carries milliseconds; the
    // kernel keeps jiffies: times are multiples of 30 ms, exact at HZ 100,
    // 250, 300 and 1000.
    let cases = [
        ("proxy_delay", "30", "60"),
        ("retrans_time_ms", "300", "600"),
        ("ucast_solicit", "5", "7"),
    ];
    for (name, v, w) in cases {
        t.set_neigh_param("a", "nt0", name, v).map_err(e)?;
        let key = format!("net.ipv4.neigh.nt0.{name}");
        let file = t.sysctl_read("a", &key).map_err(e)?;
        let nl = t.neigh_param("a", "nt0", name).map_err(e)?;
        if file != v || nl != v {
            bad.push(format!(
                "{name}: set {v} over netlink, read {file} (sysctl) and {nl} (netlink)"
            ));
        }
        // Back the other way: the sysctl path, read over netlink.
        t.sysctl_write("a", &key, w).map_err(e)?;
        let nl = t.neigh_param("a", "nt0", name).map_err(e)?;
        if nl != w {
            bad.push(format!("{name}: sysctl -w {w}, netlink reads {nl}"));
        }
    }
    // The other end keeps its own (the parameters are per device).
    let other = t.neigh_param("a", "nt1", "proxy_delay").map_err(e)?;
    if other == "60" {
        bad.push("nt1's proxy_delay changed with nt0's".into());
    }
    match bad.is_empty() {
        true => Ok(()),
        false => Err(fail(bad.join("\n"))),
    }
}

/// A FAILED neighbour entry that leaves the table after the traffic, by no
/// command of the lab (the kernel's garbage collection does so once the
/// machine holds gc_thresh1 entries; a flush from outside the step's items
/// stands in for it here) is still known in the state the kernel announced;
/// one a lab's own command removes (`Topo::hear_neighbours(true)` around
/// it, as a step does) is not, nor is a resolved entry.
pub(crate) fn neighbour_removed_is_judged_by_its_announced_state() -> Result<(), Failed> {
    use std::time::{Duration, Instant};
    let e = |e: vethlab::error::Error| fail(e.to_string());
    let mut t = Topo::new();
    t.add_node("a").map_err(e)?;
    t.add_node("b").map_err(e)?;
    let run = |t: &mut Topo, line: &str| -> Result<(), Failed> {
        let l = vethlab::iproute::cmd::parse(line).map_err(fail)?;
        let node = l.node.as_deref().unwrap_or("a");
        for c in &l.cmds {
            t.apply(node, c).map_err(e)?;
        }
        Ok(())
    };
    for l in [
        "ip link add veth0 type veth peer name veth1 netns b",
        "ip addr add 10.0.0.1/24 dev veth0",
        "ip link set veth0 up",
        "ip -n b addr add 10.0.0.2/24 dev veth1",
        "ip -n b link set veth1 up",
    ] {
        run(&mut t, l)?;
    }
    t.tune_neigh().map_err(e)?;
    t.watch_neighbours().map_err(e)?;
    let changes = t.node("a").map_err(e)?.changes().map_err(e)?;
    // One ping each: 10.0.0.9 unanswered (FAILED), 10.0.0.2 resolved.
    let pings = |t: &Topo| -> Result<(), Failed> {
        for dst in ["10.0.0.9", "10.0.0.2"] {
            let mut c = std::process::Command::new("ping");
            c.args(["-c1", "-W1", dst])
                .stdout(std::process::Stdio::null());
            t.node("a").map_err(e)?.command_in(&mut c);
            c.status().map_err(|x| fail(format!("ping: {x}")))?;
        }
        Ok(())
    };
    pings(&t)?;
    // Await the kernel giving up on 10.0.0.9 (its probes run out).
    let until = Instant::now() + Duration::from_secs(10);
    let failed = |t: &Topo| {
        t.neighbours("a").is_ok_and(|v| {
            v.iter()
                .any(|n| n.ip.to_string() == "10.0.0.9" && n.state == "FAILED")
        })
    };
    while !failed(&t) && changes.wait(until) {}
    if !failed(&t) {
        return Err(fail("10.0.0.9 never became FAILED"));
    }
    run(&mut t, "ip neigh flush dev veth0")?;
    let gone: Vec<String> = t
        .neighbours_gone("a")
        .map_err(e)?
        .iter()
        .map(|n| format!("{} {}", n.ip, n.state))
        .collect();
    // The flushed resolved entry is announced FAILED too: only by the
    // moment (no command of the lab ran) is 10.0.0.9's removal the kernel's.
    if !gone.contains(&"10.0.0.9 FAILED".to_string()) {
        return Err(fail(format!(
            "removed outside a command, not kept: {gone:?}"
        )));
    }
    // Made again, then removed by a command of the lab: forgotten.
    pings(&t)?;
    t.hear_neighbours(false);
    run(&mut t, "ip neigh flush dev veth0")?;
    t.hear_neighbours(true);
    let left = t.neighbours_gone("a").map_err(e)?;
    if !left.is_empty() {
        return Err(fail(format!("removed by a command, still kept: {left:?}")));
    }
    Ok(())
}
