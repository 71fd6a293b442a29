//! `vethlab bench`: what a topology costs. Three ways to build the same pods
//! (vethlab's own command path, a shell script of `ip` commands, and a floor
//! of raw netlink with the fewest messages), the lab suite's wall time, and
//! calico at 2 × K pods. Every figure includes teardown until the kernel has
//! really freed the namespaces (their veths gone from the node).

use crate::error::{Error, Result};
use crate::iproute::cmd;
use crate::lab::Lab;
use crate::report::Status;
use crate::run::{self, RunOpts};
use crate::sys::netlink;
use crate::sys::netns::Netns;
use crate::topo::Topo;
use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{InfoData, InfoVeth, LinkMessage};
use rtnetlink::packet_route::route::RouteScope;
use rtnetlink::packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder};
use serde::Serialize;
use std::fs::File;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

/// Pod `i`'s address: 10.1.0.0/16, one /32 each.
fn pod_ip(i: usize) -> Ipv4Addr {
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

#[derive(Debug, Clone, Serialize)]
pub struct Churn {
    pub n: usize,
    pub vethlab_us_per_pod: f64,
    pub iproute2_us_per_pod: f64,
    pub floor_us_per_pod: f64,
    pub ratio_vs_iproute2: f64,
    pub ratio_vs_floor: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scale {
    pub pods_per_node: usize,
    pub pods: usize,
    pub pairs_pinged: usize,
    pub ms: f64,
    pub us_per_pod: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suite {
    pub wall_ms: f64,
    pub steps: usize,
    pub failed: usize,
    pub per_lab_ms: Vec<(String, f64)>,
}

/// Loading (parse, locate, validate) a generated lab of `bytes` bytes.
#[derive(Debug, Clone, Serialize)]
pub struct Loader {
    pub bytes: usize,
    pub steps: usize,
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
pub fn loader(bytes: usize, reps: usize, dir: &Path) -> Result<Loader> {
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
    Ok(Loader {
        bytes: text.len(),
        steps,
        commands,
        ms: best,
        ms_per_mb: best / (text.len() as f64 / 1e6),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Bench {
    pub loader: Vec<Loader>,
    pub churn: Vec<Churn>,
    pub suite: Suite,
    pub scale: Vec<Scale>,
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Wait until `node` holds no veth: every pod namespace is really freed
/// (the kernel destroys a namespace's devices, and so their peers, in the
/// background after its last reference goes).
fn wait_no_veth(node: &Netns) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let changes = node.changes()?;
    loop {
        let links = node.block_on(netlink::links(node.nl()))?;
        if !links.iter().any(|l| l.kind.as_deref() == Some("veth")) {
            return Ok(());
        }
        if !changes.wait(deadline) && Instant::now() >= deadline {
            return Err(Error::other("namespaces still not freed after 60 s"));
        }
    }
}

/// A witness handle on a node, so its devices can be watched after the
/// topology that owns it is dropped.
fn witness(topo: &Topo, node: &str) -> Result<Netns> {
    let fd =
        nix::unistd::dup(topo.node(node)?.fd()).map_err(|e| Error::other(format!("dup: {e}")))?;
    Netns::attach(&format!("{node}-witness"), fd)
}

/// vethlab's path: the commands parsed and applied over netlink, one
/// namespace thread per pod, as every lab does.
pub fn churn_vethlab(n: usize) -> Result<Duration> {
    let cmds: Vec<cmd::Line> = (0..n)
        .flat_map(pod_commands)
        .map(|c| cmd::parse(&c).map_err(Error::other))
        .collect::<Result<_>>()?;
    let t0 = Instant::now();
    let mut topo = Topo::new();
    topo.add_node("node")?;
    for l in &cmds {
        let node = l.node.as_deref().unwrap_or("node");
        for c in &l.cmds {
            topo.apply(node, c)?;
        }
    }
    let w = witness(&topo, "node")?;
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
        .ok_or_else(|| Error::other("sh: no stdin"))?;
    stdin
        .write_all(script.as_bytes())
        .map_err(|e| Error::io("sh: write script", e))?;
    drop(stdin);
    let out = child.wait_with_output().map_err(|e| Error::io("sh", e))?;
    if !out.status.success() {
        return Err(Error::other(format!(
            "the ip script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
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

/// A raw NETLINK_ROUTE socket in the calling thread's namespace.
fn nl_socket() -> std::io::Result<OwnedFd> {
    // SAFETY: socket(2); the fd is owned at once.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by socket(2).
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
}

/// Send requests in one sendmsg each and read all their acks; any error fails.
fn nl_exchange(sock: &OwnedFd, msgs: Vec<RouteNetlinkMessage>) -> Result<()> {
    let n = msgs.len();
    let mut buf = vec![];
    for (seq, m) in msgs.into_iter().enumerate() {
        let mut req = NetlinkMessage::from(m);
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        req.header.sequence_number = seq as u32 + 1;
        req.finalize();
        let at = buf.len();
        buf.resize(at + req.buffer_len(), 0);
        req.serialize(&mut buf[at..]);
    }
    // All requests in one datagram to the kernel: it processes them in order.
    // SAFETY: sendto(2) of an initialised buffer; sockaddr_nl zeroed = the kernel.
    let r = unsafe {
        let mut to: libc::sockaddr_nl = std::mem::zeroed();
        to.nl_family = libc::AF_NETLINK as u16;
        libc::sendto(
            sock.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            0,
            (&to as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    if r < 0 {
        return Err(Error::io("netlink send", std::io::Error::last_os_error()));
    }
    let mut acks = 0;
    let mut rbuf = vec![0u8; 16384];
    while acks < n {
        // SAFETY: recv(2) into our buffer.
        let r = unsafe { libc::recv(sock.as_raw_fd(), rbuf.as_mut_ptr().cast(), rbuf.len(), 0) };
        if r < 0 {
            return Err(Error::io("netlink recv", std::io::Error::last_os_error()));
        }
        let mut off = 0;
        while off < r as usize {
            let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&rbuf[off..r as usize])
                .map_err(|e| Error::other(format!("netlink: {e}")))?;
            off += m.header.length as usize;
            match m.payload {
                NetlinkPayload::Error(e) if e.code.is_some() => {
                    return Err(Error::other(format!(
                        "netlink request {} of {n}: {e}",
                        m.header.sequence_number
                    )))
                }
                NetlinkPayload::Error(_) => acks += 1,
                _ => {}
            }
            if m.header.length == 0 {
                break;
            }
        }
    }
    Ok(())
}

/// The floor: per pod one unshare + open + socket + setns, one datagram of
/// two requests in the node (the veth, up, with its peer in the pod at
/// ifindex 2; the /32 route) and one of four in the pod (eth0 up, address,
/// gateway, default), each answered by acks. Teardown is closing two fds.
pub fn churn_floor(n: usize) -> Result<Duration> {
    let node = Netns::new("node")?;
    let node_fd = nix::unistd::dup(node.fd()).map_err(|e| Error::other(format!("dup: {e}")))?;
    let t0 = Instant::now();
    let r = node.run(move || -> Result<()> {
        let node_sock = nl_socket().map_err(|e| Error::io("netlink socket", e))?;
        let mut held: Vec<(OwnedFd, OwnedFd)> = Vec::with_capacity(n);
        for i in 0..n {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(|e| Error::other(format!("unshare: {e}")))?;
            let pod: OwnedFd = File::open("/proc/thread-self/ns/net")
                .map_err(|e| Error::io("open ns", e))?
                .into();
            let pod_sock = nl_socket().map_err(|e| Error::io("netlink socket", e))?;
            nix::sched::setns(&node_fd, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(|e| Error::other(format!("setns: {e}")))?;
            let host_idx = 100 + i as u32;
            let peer = LinkMessageBuilder::<LinkUnspec>::new()
                .name("eth0".to_string())
                .index(2)
                .setns_by_fd(pod.as_raw_fd())
                .build();
            let veth: LinkMessage = LinkVeth::new(&format!("veth{i}"), "eth0")
                .index(host_idx)
                .up()
                .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
                .build();
            let ip = pod_ip(i);
            let host_route = RouteMessageBuilder::<Ipv4Addr>::new()
                .destination_prefix(ip, 32)
                .output_interface(host_idx)
                .scope(RouteScope::Link)
                .build();
            nl_exchange(
                &node_sock,
                vec![
                    RouteNetlinkMessage::NewLink(veth),
                    RouteNetlinkMessage::NewRoute(host_route),
                ],
            )?;
            let mut addr = AddressMessage::default();
            addr.header.family = AddressFamily::Inet;
            addr.header.prefix_len = 32;
            addr.header.index = 2;
            addr.attributes
                .push(AddressAttribute::Local(IpAddr::V4(ip)));
            addr.attributes
                .push(AddressAttribute::Address(IpAddr::V4(ip)));
            let gw = Ipv4Addr::new(169, 254, 1, 1);
            let gw_route = RouteMessageBuilder::<Ipv4Addr>::new()
                .destination_prefix(gw, 32)
                .output_interface(2)
                .scope(RouteScope::Link)
                .build();
            let default = RouteMessageBuilder::<Ipv4Addr>::new()
                .gateway(gw)
                .output_interface(2)
                .build();
            // The kernel refuses IFF_UP on a peer created in another
            // namespace (ENOTCONN), so the pod's first request brings it up.
            let up = LinkMessageBuilder::<LinkUnspec>::new()
                .index(2)
                .up()
                .build();
            nl_exchange(
                &pod_sock,
                vec![
                    RouteNetlinkMessage::SetLink(up),
                    RouteNetlinkMessage::NewAddress(addr),
                    RouteNetlinkMessage::NewRoute(gw_route),
                    RouteNetlinkMessage::NewRoute(default),
                ],
            )?;
            held.push((pod, pod_sock));
        }
        drop(held);
        Ok(())
    });
    r??;
    wait_no_veth(&node)?;
    Ok(t0.elapsed())
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

/// Per-pod cost of each method: the best of `reps` rounds, the methods
/// interleaved within a round, so that the kernel's background reclaim of
/// earlier namespaces weighs on all three alike.
pub fn churn(n: usize, reps: usize) -> Result<Churn> {
    let (mut v, mut i, mut f) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..reps.max(1) {
        v = v.min(churn_vethlab(n)?);
        i = i.min(churn_iproute2(n)?);
        f = f.min(churn_floor(n)?);
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

/// Set up what the `ip` script needs; call once, inside the sandbox.
pub fn prepare() -> Result<()> {
    crate::tools::learner::private_netns_dir()
}
