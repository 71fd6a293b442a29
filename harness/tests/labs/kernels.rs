//! What older kernels lack, done the way that works on every kernel.

use crate::fail;
use libtest_mimic::Failed;
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
