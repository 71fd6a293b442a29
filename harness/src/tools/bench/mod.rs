//! `vethlab bench`: what a topology costs. Three ways to build the same pods
//! (vethlab's own command path, a shell script of `ip` commands, and a floor
//! of raw netlink with the fewest messages), the lab suite's wall time, and
//! calico at 2 × K pods. Every figure includes teardown until the kernel has
//! really freed the namespaces (their veths gone from the node).

mod churn;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
mod floor;

pub use churn::{churn, churn_iproute2, churn_vethlab};
pub use floor::churn_floor;

use crate::error::{Context, Error, Result};

use crate::lab::Lab;
use crate::report::Status;
use crate::run::{self, RunOpts};
use crate::sys::netlink;
use crate::sys::netns::Netns;
use crate::topo::Topo;
use serde::Serialize;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// What building and tearing down `n` pods costs, by each method (best of the rounds).
#[derive(Debug, Clone, Serialize)]
pub struct Churn {
    /// Pods built and torn down per round.
    pub n: usize,
    /// vethlab's own command path (parsed commands over netlink), in microseconds per pod.
    pub vethlab_us_per_pod: f64,
    /// A shell script of `ip` commands, in microseconds per pod.
    pub iproute2_us_per_pod: f64,
    /// The floor (raw netlink, fewest messages), in microseconds per pod.
    pub floor_us_per_pod: f64,
    /// How many times faster than iproute2 vethlab is (iproute2 / vethlab).
    pub ratio_vs_iproute2: f64,
    /// How many times the floor vethlab costs (vethlab / floor).
    pub ratio_vs_floor: f64,
}

/// Building calico's direct-routing lab with 2 x K pods and pinging sampled pairs.
#[derive(Debug, Clone, Serialize)]
pub struct Scale {
    /// Pods on each of the two nodes (K).
    pub pods_per_node: usize,
    /// Pods in all (2 x K).
    pub pods: usize,
    /// Pod pairs pinged across the nodes.
    pub pairs_pinged: usize,
    /// Build, pings and teardown, in milliseconds.
    pub ms: f64,
    /// The same per pod, in microseconds.
    pub us_per_pod: f64,
}

/// The lab suite's wall time: every lab in parallel, then each alone.
#[derive(Debug, Clone, Serialize)]
pub struct Suite {
    /// Every lab in parallel, as `vethlab run` does, in milliseconds.
    pub wall_ms: f64,
    /// Steps run.
    pub steps: usize,
    /// Steps that failed.
    pub failed: usize,
    /// Each lab run alone: its name and milliseconds.
    pub per_lab_ms: Vec<(String, f64)>,
}

/// Loading (parse, locate, validate) a generated lab of `bytes` bytes.
#[derive(Debug, Clone, Serialize)]
pub struct LoaderFigure {
    /// Size of the lab text.
    pub bytes: usize,
    /// Steps in the generated lab.
    pub steps: usize,
    /// `ip` commands in the generated lab.
    pub commands: usize,
    /// Best of the rounds.
    pub ms: f64,
    /// The same per MB: flat when the loader is linear.
    pub ms_per_mb: f64,
}

/// A lab of at least `bytes` bytes shaped like a big user topology: one
/// step per pod (its namespace, veth, address, routes) with a ping each.
/// Returns the text, its steps and its commands.
pub fn big_lab(bytes: usize) -> (String, usize, usize) {
    let mut steps = vec![];
    let mut len = 0;
    let mut cmds = 0;
    let mut k = 0usize;
    while len < bytes {
        let ip = format!(
            "10.{}.{}.{}",
            1 + k / 65536 % 200,
            k / 256 % 256,
            1 + k % 250
        );
        let do_ = serde_json::json!([
            format!("ip netns add p{k}"),
            format!("ip link add v{k} type veth peer name eth0 netns p{k}"),
            format!("ip link set v{k} up"),
            format!("ip -n p{k} addr add {ip}/32 dev eth0"),
            format!("ip -n p{k} link set eth0 up"),
            format!("ip -n p{k} route add 169.254.1.1 dev eth0 scope link"),
            format!("ip route add {ip}/32 dev v{k} scope link"),
            {"ping": ip, "from": "host", "count": 1, "id": "O3.5"},
            {"expect": "link", "node": format!("p{k}"), "dev": "eth0", "mtu": 1500},
        ]);
        cmds += 7;
        let s =
            serde_json::json!({"name": format!("pod-{k}"), "title": format!("pod {k}"), "do": do_});
        len += s.to_string().len() + 2;
        steps.push(s);
        k += 1;
    }
    let lab = serde_json::json!({"lab": "big", "title": "a generated lab", "nodes": ["host"], "steps": steps});
    (serde_json::to_string(&lab).unwrap_or_default(), k, cmds)
}

/// Load a generated lab of about `bytes` bytes, best of `reps`.
pub fn loader(bytes: usize, reps: usize, dir: &Path) -> Result<LoaderFigure> {
    let (text, steps, commands) = big_lab(bytes);
    let p = dir.join(format!("big-{bytes}.json"));
    std::fs::write(&p, &text).map_err(|e| Error::io(format!("write {}", p.display()), e))?;
    let mut best = f64::MAX;
    for _ in 0..reps.max(1) {
        let t0 = Instant::now();
        let l = Lab::load(&p)?;
        best = best.min(t0.elapsed().as_secs_f64() * 1e3);
        drop(l);
    }
    let _ = std::fs::remove_file(&p);
    Ok(LoaderFigure {
        bytes: text.len(),
        steps,
        commands,
        ms: best,
        ms_per_mb: best / (text.len() as f64 / 1e6),
    })
}

/// Every figure `vethlab bench` measured, as its JSON output holds them.
#[derive(Debug, Clone, Serialize)]
pub struct Bench {
    /// The loader, by lab size.
    pub loader: Vec<LoaderFigure>,
    /// Pod churn, by pod count.
    pub churn: Vec<Churn>,
    /// The lab suite.
    pub suite: Suite,
    /// calico at scale, by pods per node.
    pub scale: Vec<Scale>,
}

/// Busy and total CPU time of the whole machine so far, in ticks (/proc/stat).
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let v: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
    let total: u64 = v.iter().take(8).sum();
    Some((total - idle, total))
}

/// Wait until the machine is quiet: the kernel frees a dropped namespace
/// in the background (devices, then every subsystem's state, each step
/// under locks that `unshare` and netlink requests also take), long after
/// its veths are gone. A round started during that cleanup stalls on it,
/// for tens of milliseconds, at random: each round starts once the CPUs
/// were at least 90% idle over 100 ms (at most 5 s).
pub(crate) fn quiesce() {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let Some((b0, t0)) = cpu_ticks() else { return };
        std::thread::sleep(Duration::from_millis(100));
        let Some((b1, t1)) = cpu_ticks() else { return };
        if t1 > t0 && (b1 - b0) * 10 <= t1 - t0 {
            return;
        }
    }
}

pub(crate) fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Wait until `node` holds no veth: every pod namespace is really freed
/// (the kernel destroys a namespace's devices, and so their peers, in the
/// background after its last reference goes).
pub(crate) fn wait_no_veth(node: &Netns) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let changes = node.changes()?;
    loop {
        let links = node.block_on(netlink::links(node.nl()))?;
        if !links.iter().any(|l| l.kind.as_deref() == Some("veth")) {
            return Ok(());
        }
        if !changes.wait(deadline) && Instant::now() >= deadline {
            return Err(Error::Stopped(
                "namespaces still not freed after 60 s".into(),
            ));
        }
    }
}

/// A witness handle on a node, so its devices can be watched after the
/// topology that owns it is dropped.
pub(crate) fn witness(topo: &Topo, node: &str) -> Result<Netns> {
    let fd = nix::unistd::dup(topo.node(node)?.fd()).context(|| "dup".into())?;
    Netns::attach(&format!("{node}-witness"), fd)
}

/// Calico's direct-routing step at 2 × `k` pods, as a lab file: both nodes
/// on the underlay, proxy ARP on every cali veth, /32 routes, a block route
/// to the other node; then pings between sampled pod pairs, ttl 62.
pub fn calico_lab(k: usize, pairs: usize) -> String {
    let mut cmds: Vec<String> = vec![
        "ip link add ens32 type veth peer name ens32 netns vms105".into(),
        "ip addr add 192.168.26.103/24 dev ens32".into(),
        "ip link set ens32 up".into(),
        "ip -n vms105 addr add 192.168.26.105/24 dev ens32".into(),
        "ip -n vms105 link set ens32 up".into(),
        "sysctl -w net.ipv4.ip_forward=1".into(),
        "ip netns exec vms105 sysctl -w net.ipv4.ip_forward=1".into(),
        // The article's gateway: proxy ARP answers for 169.254.1.1 only
        // because the node has a route to it (through another device).
        "ip route add default via 192.168.26.2 dev ens32".into(),
        "ip -n vms105 route add default via 192.168.26.2 dev ens32".into(),
        "ip route add 10.105.0.0/16 via 192.168.26.105 dev ens32".into(),
        "ip -n vms105 route add 10.103.0.0/16 via 192.168.26.103 dev ens32".into(),
    ];
    let ip_of = |node: u8, i: usize| format!("10.{node}.{}.{}", i / 250, i % 250 + 1);
    for (node, tag) in [(103u8, "a"), (105u8, "b")] {
        let on = if node == 103 {
            String::new()
        } else {
            "-n vms105 ".into()
        };
        let exec = if node == 103 {
            String::new()
        } else {
            "ip netns exec vms105 ".into()
        };
        for i in 0..k {
            let pod = format!("{tag}{i}");
            let cali = format!("cali{node}{i:07x}");
            let ip = ip_of(node, i);
            cmds.extend([
                format!("ip netns add {pod}"),
                format!("ip {on}link add {cali} address ee:ee:ee:ee:ee:ee type veth peer name eth0 netns {pod}"),
                format!("{exec}sysctl -w net.ipv4.conf.{cali}.proxy_arp=1"),
                format!("{exec}sysctl -w net.ipv4.neigh.{cali}.proxy_delay=0"),
                format!("ip {on}link set {cali} up"),
                format!("ip -n {pod} addr add {ip}/32 dev eth0"),
                format!("ip -n {pod} link set eth0 up"),
                format!("ip -n {pod} route add 169.254.1.1 dev eth0 scope link"),
                format!("ip -n {pod} route add default via 169.254.1.1 dev eth0"),
                format!("ip {on}route add {ip}/32 dev {cali} scope link"),
            ]);
        }
    }
    let mut pings = vec![];
    for p in 0..pairs.min(k) {
        let (a, b) = (p * k / pairs.min(k), (k - 1) - p * k / pairs.min(k));
        pings.push(serde_json::json!({"ping": ip_of(105, b), "from": format!("a{a}"), "ttl": 62, "id": "O3.5"}));
    }
    let mut todo: Vec<serde_json::Value> =
        cmds.into_iter().map(serde_json::Value::String).collect();
    todo.extend(pings);
    serde_json::to_string_pretty(&serde_json::json!({
        "lab": format!("calico-{k}"),
        "title": format!("calico direct routing, 2 x {k} pods"),
        "nodes": ["vms103", "vms105"],
        "steps": [{"name": "direct", "title": "build and ping sampled pairs", "do": todo}]
    }))
    .unwrap_or_default()
}

/// Build calico's direct-routing lab with 2 x `k` pods, ping `pairs` pairs, tear it
/// down; the lab file is written in `dir`.
pub fn scale(k: usize, pairs: usize, dir: &Path) -> Result<Scale> {
    let p = dir.join(format!("calico-{k}.json"));
    File::create(&p)
        .and_then(|mut f| f.write_all(calico_lab(k, pairs).as_bytes()))
        .map_err(|e| Error::io(format!("write {}", p.display()), e))?;
    let l = Lab::load(&p)?;
    let t0 = Instant::now();
    let mut topo = run::new_topo(&l)?;
    let r = run::run_step(&l, 0, &mut topo, &RunOpts::default());
    if r.status != Status::Pass {
        return Err(Error::other(format!("calico 2 x {k}: {}", r.text(false))));
    }
    let w = witness(&topo, "vms103")?;
    drop(topo);
    wait_no_veth(&w)?;
    let d = t0.elapsed();
    Ok(Scale {
        pods_per_node: k,
        pods: 2 * k,
        pairs_pinged: pairs.min(k),
        ms: d.as_secs_f64() * 1e3,
        us_per_pod: us(d) / (2 * k) as f64,
    })
}

/// Every lab, labs in parallel as `vethlab run` does; then each alone.
pub fn suite(labs: &[Lab]) -> Suite {
    let run_all = || -> (usize, usize) {
        let results: Vec<Vec<crate::report::StepReport>> = std::thread::scope(|s| {
            let hs: Vec<_> = labs
                .iter()
                .map(|l| s.spawn(move || run::run_lab(l, &RunOpts::default(), &|_| {})))
                .collect();
            // A lab whose thread died counts every step as failed.
            hs.into_iter()
                .zip(labs)
                .map(|(h, l)| {
                    h.join().unwrap_or_else(|_| {
                        l.steps
                            .iter()
                            .map(|s| {
                                crate::report::StepReport::failed(
                                    l,
                                    s,
                                    "the lab's thread panicked".into(),
                                )
                            })
                            .collect()
                    })
                })
                .collect()
        });
        let all: Vec<_> = results.into_iter().flatten().collect();
        (
            all.len(),
            all.iter().filter(|r| r.status == Status::Fail).count(),
        )
    };
    let t0 = Instant::now();
    let (steps, failed) = run_all();
    let wall_ms = t0.elapsed().as_secs_f64() * 1e3;
    let per_lab_ms = labs
        .iter()
        .map(|l| {
            let t = Instant::now();
            run::run_lab(l, &RunOpts::default(), &|_| {});
            (l.name.clone(), t.elapsed().as_secs_f64() * 1e3)
        })
        .collect();
    Suite {
        wall_ms,
        steps,
        failed,
        per_lab_ms,
    }
}

/// Set up what the `ip` script needs; call once, inside the sandbox.
pub fn prepare() -> Result<()> {
    crate::tools::learner::private_netns_dir()
}
