//! vethlab's own path and the `ip` script, building the same pods.

use super::{us, wait_no_veth, witness, Churn};
use crate::error::{Error, Result};
use crate::iproute::cmd;
use crate::sys::netns::Netns;
use crate::topo::Topo;
use std::io::Write;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

/// Pod `i`'s address: 10.1.0.0/16, one /32 each.
pub(super) fn pod_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 1, (i / 250) as u8, (i % 250 + 1) as u8)
}

/// The pod as the articles build one (calico/GKE style: a /32, a veth with the
/// peer in the pod, a link-scope gateway), in iproute2 syntax. The same text
/// is run by `ip` and by vethlab's parser and netlink path.
fn pod_commands(i: usize) -> Vec<String> {
    let ip = pod_ip(i);
    vec![
        format!("ip netns add pod{i}"),
        format!("ip link add veth{i} type veth peer name eth0 netns pod{i}"),
        format!("ip link set veth{i} up"),
        format!("ip -n pod{i} addr add {ip}/32 dev eth0"),
        format!("ip -n pod{i} link set eth0 up"),
        format!("ip -n pod{i} route add 169.254.1.1 dev eth0 scope link"),
        format!("ip -n pod{i} route add default via 169.254.1.1 dev eth0"),
        format!("ip route add {ip}/32 dev veth{i} scope link"),
    ]
}

/// vethlab's path: the commands parsed and applied over netlink, as every
/// lab does. The node exists before the clock starts, as for the other two.
pub fn churn_vethlab(n: usize) -> Result<Duration> {
    let cmds: Vec<cmd::Line> = (0..n)
        .flat_map(pod_commands)
        .map(|c| cmd::parse(&c).map_err(Error::other))
        .collect::<Result<_>>()?;
    let mut topo = Topo::new();
    topo.add_node("node")?;
    let w = witness(&topo, "node")?;
    // From no spare namespace: the first pod's is made inside the timed
    // window, the others ahead as the pods are announced (as a lab's
    // declared nodes are). The dropped spare is freed in the background:
    // wait for quiet again.
    crate::sys::netns::drop_spare();
    super::quiesce();
    let t0 = Instant::now();
    crate::sys::netns::expect(n);
    for l in &cmds {
        let node = l.node.as_deref().unwrap_or("node");
        for c in &l.cmds {
            topo.apply(node, c)?;
        }
    }
    drop(topo);
    wait_no_veth(&w)?;
    Ok(t0.elapsed())
}

/// Run a shell script with its network namespace set to `node`.
fn sh_in(node: &Netns, script: &str) -> Result<()> {
    // On stdin: 500 pods' script is longer than one argument may be.
    let mut c = std::process::Command::new("sh");
    c.args(["-e", "-s"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    node.command_in(&mut c);
    let mut child = c.spawn().map_err(|e| Error::io("sh", e))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Stopped("sh: no stdin".into()))?;
    stdin
        .write_all(script.as_bytes())
        .map_err(|e| Error::io("sh: write script", e))?;
    drop(stdin);
    let out = child.wait_with_output().map_err(|e| Error::io("sh", e))?;
    if !out.status.success() {
        return Err(Error::Process {
            what: "the ip script".into(),
            status: out.status.code(),
            output: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(())
}

/// The same commands as a shell script of `ip` commands, as the kernel's
/// selftests and the articles do it; teardown with `ip netns del`.
pub fn churn_iproute2(n: usize) -> Result<Duration> {
    let build: String = (0..n).flat_map(pod_commands).map(|c| c + "\n").collect();
    let down: String = (0..n).map(|i| format!("ip netns del pod{i}\n")).collect();
    let node = Netns::new("node")?;
    let t0 = Instant::now();
    sh_in(&node, &build)?;
    sh_in(&node, &down)?;
    wait_no_veth(&node)?;
    Ok(t0.elapsed())
}

/// Per-pod cost of each method: the best of `reps` rounds, the methods
/// interleaved within a round, each started on a quiet machine (see
/// `quiesce`; vethlab's waits after its set-up), so that drift weighs on
/// all three alike.
pub fn churn(n: usize, reps: usize) -> Result<Churn> {
    let (mut v, mut i, mut f) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..reps.max(1) {
        v = v.min(churn_vethlab(n)?);
        super::quiesce();
        i = i.min(churn_iproute2(n)?);
        super::quiesce();
        f = f.min(super::churn_floor(n)?);
    }
    let (v, i, f) = (us(v) / n as f64, us(i) / n as f64, us(f) / n as f64);
    Ok(Churn {
        n,
        vethlab_us_per_pod: v,
        iproute2_us_per_pod: i,
        floor_us_per_pod: f,
        ratio_vs_iproute2: i / v,
        ratio_vs_floor: v / f,
    })
}
