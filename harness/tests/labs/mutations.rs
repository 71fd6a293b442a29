//! Mutations: each lab broken the way a careless reader of the article
//! might break it (an address left behind, a wrong MTU, a missing route,
//! proxy_arp off, a wrong peer …). The step that covers the observation
//! must FAIL and name its id — otherwise that assertion could not catch the
//! mistake it exists for.

use crate::fail;
use libtest_mimic::{Completion, Failed, Trial};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use vethlab::lab::expect::Expect;
use vethlab::lab::{Action, Lab};
use vethlab::report::{Outcome, Status};
use vethlab::run::{self, RunOpts};

/// A command of the lab replaced by others (none: deleted).
pub(crate) struct Mutation {
    pub(crate) lab: &'static str,
    pub(crate) what: &'static str,
    pub(crate) from: &'static str,
    pub(crate) to: &'static [&'static str],
    /// The step that covers the observation, and its id.
    pub(crate) step: &'static str,
    pub(crate) id: &'static str,
    /// Only the step's commands and its assertions with `id`, each looked
    /// at once (see `quick`).
    pub(crate) quick: bool,
}

macro_rules! m {
    ($lab:literal, $what:literal, $from:expr, [$($to:expr),*], $step:literal, $id:literal) => {
        Mutation { lab: $lab, what: $what, from: $from, to: &[$($to),*], step: $step, id: $id, quick: false }
    };
}

fn mutations() -> Vec<Mutation> {
    vec![
        // seed 004
        m!("bridge-arp", "veth1-wrong-address",
           "ip netns exec song ifconfig veth1 192.168.122.102/24",
           ["ip netns exec song ifconfig veth1 192.168.123.102/24"], "veth-works", "O4.1"),
        m!("bridge-arp", "veth0-not-enslaved", "ip link set dev veth0 master br0", [],
           "veth-in-bridge", "O4.2"),
        m!("bridge-arp", "br0-left-down", "ip link set br0 up", [], "veth-in-bridge", "O4.3"),
        m!("bridge-arp", "address-left-on-veth0", "ip addr del 192.168.122.101/24 dev veth0", [],
           "ip-on-bridge", "O4.5"),
        m!("bridge-arp", "address-left-on-eth0", "ip addr del 192.168.122.10/24 dev eth0", [],
           "eth0-into-bridge", "O4.6"),
        m!("bridge-arp", "eth0-not-enslaved", "ip link set eth0 master br0", [],
           "eth0-into-bridge", "O4.6"),
        // seed 003
        m!("calico", "pod-mtu-1500",
           "ip link add index 34 name cali7a4b00317e6 address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 36:a2:81:c4:84:f9 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467",
           ["ip link add index 34 name cali7a4b00317e6 address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 36:a2:81:c4:84:f9 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467"],
           "pod-view", "O3.1"),
        m!("calico", "cali-keeps-its-own-mac",
           "ip link add index 34 name cali7a4b00317e6 address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 36:a2:81:c4:84:f9 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467",
           ["ip link add index 34 name cali7a4b00317e6 mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 36:a2:81:c4:84:f9 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467"],
           "proxy-arp", "O3.3"),
        m!("calico", "proxy-arp-off-gateway-on-cali",
           "sysctl -w net.ipv4.conf.cali7a4b00317e6.proxy_arp=1",
           ["sysctl -w net.ipv4.conf.cali7a4b00317e6.proxy_arp=0",
            "ip addr add 169.254.1.1/32 dev cali7a4b00317e6"],
           "proxy-arp", "O3.3"),
        m!("calico", "proxy-delay-default", "sysctl -w net.ipv4.neigh.cali7a4b00317e6.proxy_delay=0",
           [], "host-veth", "O3.2"),
        m!("calico", "no-blackhole", "ip route add blackhole 10.244.38.128/26 proto bird", [],
           "node-routes", "O3.4"),
        m!("calico", "pod-route-wrong-cali",
           "ip route add 10.244.38.174 dev cali7a4b00317e6 scope link",
           ["ip route add 10.244.38.174 dev ens32 scope link"], "node-routes", "O3.4"),
        m!("calico", "other-pod-route-missing",
           "ip -n vms105 route add 10.244.169.121 dev calie1fd05af50d scope link", [],
           "node-routes", "O3.4"),
        m!("calico", "link-local-without-metric",
           "ip route add 169.254.0.0/16 dev ens32 scope link metric 1002",
           ["ip route add 169.254.0.0/16 dev ens32 scope link"], "node-routes", "O3.4"),
        m!("calico", "no-return-route",
           "ip -n vms105 route replace 10.244.38.128/26 via 192.168.26.103 dev ens32 proto bird",
           [], "cross-node-direct", "O3.5"),
        // seed 001
        m!("flannel", "host-veth-mtu-1500",
           "ip link add index 6 name veth61dfc48a mtu 1450 type veth peer index 3 name eth0 mtu 1450 netns pod1",
           ["ip link add index 6 name veth61dfc48a type veth peer index 3 name eth0 mtu 1450 netns pod1"],
           "bridge-members", "O1.2"),
        m!("flannel", "docker0-elsewhere", "ip link add index 3 name docker0 type bridge",
           ["ip link add index 8 name docker0 type bridge"], "if3-is-not-docker0", "O1.3"),
        m!("flannel", "pod-eth0-at-5",
           "ip link add index 7 name veth591ea0bf mtu 1450 type veth peer index 3 name eth0 mtu 1450 netns pod2",
           ["ip link add index 7 name veth591ea0bf mtu 1450 type veth peer index 5 name eth0 mtu 1450 netns pod2"],
           "if3-is-not-docker0", "O1.4"),
        m!("flannel", "pod2-not-in-cni0", "ip link set veth591ea0bf master cni0", [],
           "bridge-members", "O1.1"),
        m!("flannel", "vni-mismatch",
           "ip -n node04 link add flannel.1 address 82:1a:3c:bd:43:04 mtu 1450 type vxlan id 1 dstport 8472 local 192.168.0.4 dev eth0 nolearning",
           ["ip -n node04 link add flannel.1 address 82:1a:3c:bd:43:04 mtu 1450 type vxlan id 2 dstport 8472 local 192.168.0.4 dev eth0 nolearning"],
           "cross-node-vxlan", "O1.6"),
        m!("flannel", "no-fdb-entry",
           "bridge fdb append 82:1a:3c:bd:43:04 dev flannel.1 dst 192.168.0.4 self permanent", [],
           "cross-node-vxlan", "O1.6"),
        // seed 000
        m!("gke-ptp", "one-veth-without-the-32", "ip addr add 10.188.2.1/32 brd 10.188.2.1 dev veth6eba4cdf", [],
           "node-view", "O0.2"),
        m!("gke-ptp", "node-eth0-a-24", "ip addr add 10.10.1.19/32 brd 0.0.0.0 dev eth0",
           ["ip addr add 10.10.1.19/24 brd 0.0.0.0 dev eth0"], "node-view", "O0.5"),
        m!("gke-ptp", "no-forwarding", "sysctl -w net.ipv4.ip_forward=1", [], "pod-to-pod", "O0.4"),
        // seeds 002/003
        m!("veth-pair", "lo-never-up", "ip netns exec netns_demo ip link set dev lo up", [],
           "fresh-netns", "O3.8"),
        m!("veth-pair", "other-subnet", "ifconfig veth0 10.1.1.2/24 up",
           ["ifconfig veth0 10.1.2.2/24 up"], "ping-pair", "O3.9"),
        m!("veth-pair", "veth4-readdressed-in-netns", "ip link set veth4 netns netns_demo",
           ["ip link set veth4 netns netns_demo", "ip netns exec netns_demo ifconfig veth4 10.20.30.41/24 up"],
           "pair-into-netns", "O2.5"),
        m!("veth-pair", "second-pair-jumbo-mtu",
           "ip link add index 6 name veth3 address 06:8f:b5:e8:e9:f6 type veth peer index 5 name veth4 address de:3a:5e:42:2d:ff",
           ["ip link add index 6 name veth3 address 06:8f:b5:e8:e9:f6 mtu 9000 type veth peer index 5 name veth4 address de:3a:5e:42:2d:ff"],
           "second-pair", "O2.1"),
        m!("docker-veth", "veth2e08884-not-in-docker0", "ip link set veth2e08884 master docker0", [],
           "docker-run", "O2.5"),
        m!("docker-veth", "host-end-at-96",
           "ip link add index 95 name veth2e08884 address ae:4c:28:0f:3e:84 txqueuelen 0 type veth peer index 94 name eth0 address 02:42:ac:11:00:03 txqueuelen 0 netns 6471704fd03a",
           ["ip link add index 96 name veth2e08884 address ae:4c:28:0f:3e:84 txqueuelen 0 type veth peer index 94 name eth0 address 02:42:ac:11:00:03 txqueuelen 0 netns 6471704fd03a"],
           "docker-run", "O2.5"),
        m!("docker-veth", "veth63a89a3-left-down", "ip link set veth63a89a3 up", [],
           "book-methods", "O2.4"),
        m!("docker-veth", "method2-ends-swapped",
           "ip link add index 117 name veth-method2 address 6a:3e:0b:c4:2d:8e txqueuelen 0 type veth peer index 116 name eth0 address 02:42:ac:11:00:04 txqueuelen 0 netns method2",
           ["ip link add index 116 name veth-method2 address 6a:3e:0b:c4:2d:8e txqueuelen 0 type veth peer index 117 name eth0 address 02:42:ac:11:00:04 txqueuelen 0 netns method2"],
           "book-methods", "O2.5"),
        m!("docker-veth", "method3-peer-at-7",
           "ip link add index 6 name veth-method3 address d2:4a:3c:0e:2f:6b txqueuelen 0 type veth peer index 5 name eth0 address 02:42:ac:11:00:05 txqueuelen 0 netns method3",
           ["ip link add index 7 name veth-method3 address d2:4a:3c:0e:2f:6b txqueuelen 0 type veth peer index 5 name eth0 address 02:42:ac:11:00:05 txqueuelen 0 netns method3"],
           "book-methods", "O2.6"),
    ]
}

/// One trial per mutation, named `mutation/LAB/WHAT`.
pub(crate) fn trials(dir: &Path) -> Vec<Trial> {
    mutations()
        .into_iter()
        .chain(crate::mutations_literal::mutations())
        .map(|m| {
            // A step the kernel cannot run is skipped when listing.
            let skip = Lab::load(&dir.join(m.lab).join("lab.json"))
                .ok()
                .and_then(|l| run::step_skip(&l, l.step_index(m.step)?));
            let dir = dir.to_path_buf();
            let t = Trial::ignorable_test(format!("mutation/{}/{}", m.lab, m.what), move || {
                run(&dir, &m)
            });
            match skip {
                Some(_) => t.with_ignored_flag(true).with_kind("skip"),
                None => t,
            }
        })
        .collect()
}

fn run(dir: &Path, m: &Mutation) -> Result<Completion, Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let file = mutate(dir, tmp.path(), m)?;
    let mut l =
        Lab::load(&file).map_err(|e| fail(format!("the mutated lab does not load: {e}")))?;
    let idx = l
        .step_index(m.step)
        .ok_or_else(|| fail(format!("{} has no step {}", m.lab, m.step)))?;
    if let Some(why) = run::step_skip(&l, idx) {
        return crate::skipped(why);
    }
    if m.quick {
        control(dir, m)?;
        quick(&mut l, idx, m.id);
    }
    let r = run::run_one(&l, idx, &RunOpts::default());
    if let Status::Skip(why) = &r.status {
        return crate::skipped(why.as_str());
    }
    // A literal is caught by an assertion of it, not by a command the
    // mutation broke (an error fails every id of the step).
    let asserted = !m.quick
        || r.error.is_none()
            && r.checks
                .iter()
                .any(|c| c.id.as_deref() == Some(m.id) && matches!(c.outcome, Outcome::Fail(_)));
    if r.status != Status::Fail || r.id_result(m.id) != "fail" || !asserted {
        return Err(fail(format!(
            "{}: `{}` -> {:?} was not caught as {} by step {}:\n{}",
            m.what,
            m.from,
            m.to,
            m.id,
            m.step,
            r.text(true)
        )));
    }
    Ok(Completion::Completed)
}

/// The lab with the mutation applied, laid out as labs/LAB/lab.json beside
/// fixtures/LAB/ in `to`; the command's first occurrence is replaced (a lab
/// may undo a setting later with the same command).
fn mutate(dir: &Path, to: &Path, m: &Mutation) -> Result<std::path::PathBuf, Failed> {
    let src = dir.join(m.lab).join("lab.json");
    let text =
        std::fs::read_to_string(&src).map_err(|e| fail(format!("{}: {e}", src.display())))?;
    let mut v: Value = serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let mut hits = 0;
    let steps = v["steps"].as_array_mut().into_iter().flatten();
    for s in steps.flat_map(|s| s.as_object_mut()) {
        let lists = s.iter_mut().filter(|(k, _)| *k == "given" || *k == "do");
        for items in lists.filter_map(|(_, v)| v.as_array_mut()) {
            let mut out = vec![];
            // A template (`each`) as the items it stands for, so a mutation
            // can change one row's command.
            let plain: Vec<Value> = items
                .drain(..)
                .flat_map(|it| vethlab::lab::expand::instances(&it))
                .collect();
            for it in plain {
                if hits == 0 && it.as_str() == Some(m.from) {
                    hits += 1;
                    out.extend(m.to.iter().map(|t| Value::from(*t)));
                } else {
                    out.push(it);
                }
            }
            *items = out;
        }
    }
    if hits != 1 {
        return Err(fail(format!(
            "`{}` occurs {hits} times in {}",
            m.from,
            src.display()
        )));
    }
    let labdir = to.join("labs").join(m.lab);
    std::fs::create_dir_all(&labdir).map_err(|e| fail(e.to_string()))?;
    let fixtures = dir.join("../fixtures").join(m.lab);
    if fixtures.is_dir() {
        crate::copy_tree(&fixtures, &to.join("fixtures").join(m.lab))
            .map_err(|e| fail(e.to_string()))?;
    }
    let file = labdir.join("lab.json");
    let pretty = serde_json::to_string_pretty(&v).map_err(|e| fail(e.to_string()))?;
    std::fs::write(&file, pretty).map_err(|e| fail(e.to_string()))?;
    Ok(file)
}

/// The step reduced to its commands and its assertions with `id`, each
/// looked at once: no traffic, captures or answers, and no settling window
/// (a literal of kernel state is wrong at once or not at all; `control`
/// shows the unmutated lab passes the same way). What settles by itself is
/// left to the full step trials: operstate and flags (a bridge on 6.1 is
/// UNKNOWN for a moment after its port comes up), neighbour entries.
fn quick(l: &mut Lab, idx: usize, id: &str) {
    let step = &mut l.steps[idx];
    step.captures.clear();
    step.actions.retain(|a| match a {
        Action::Cmd { .. } => true,
        Action::Expect { id: i, e, .. } => {
            i.as_deref() == Some(id) && !matches!(e, Expect::Neigh(_) | Expect::SameFrames(_))
        }
        _ => false,
    });
    for a in &mut step.actions {
        if let Action::Expect { within_ms, e, .. } = a {
            // An IPv6 address comes by itself once its link is up (tentative
            // for a moment first): awaited as in a full run, not looked at once.
            if matches!(e, Expect::Addr(x) if x.exactly.iter().flatten().chain(&x.has).any(|s| s.contains(':')))
            {
                continue;
            }
            *within_ms = Some(1);
            if let Expect::Link(l) = e {
                (l.state, l.flags) = (None, None);
            }
        }
    }
}

/// The unmutated lab passes the quick step with the same id, so a quick
/// mutation fails for what it changed and not for being looked at early.
/// Once per lab, step and id, shared by the mutations that target them.
fn control(dir: &Path, m: &Mutation) -> Result<(), Failed> {
    type Done = Arc<OnceLock<Result<(), String>>>;
    static CONTROLS: Mutex<BTreeMap<String, Done>> = Mutex::new(BTreeMap::new());
    let key = format!("{}/{}/{}", m.lab, m.step, m.id);
    let cell = CONTROLS
        .lock()
        .map_err(|e| fail(e.to_string()))?
        .entry(key)
        .or_default()
        .clone();
    let r = cell.get_or_init(|| {
        let mut l = Lab::load(&dir.join(m.lab).join("lab.json")).map_err(|e| e.to_string())?;
        let idx = l.step_index(m.step).ok_or("no such step")?;
        quick(&mut l, idx, m.id);
        let r = run::run_one(&l, idx, &RunOpts::default());
        match r.status {
            Status::Fail => Err(r.text(true)),
            _ => Ok(()),
        }
    });
    r.clone().map_err(|e| {
        fail(format!(
            "{}/{} {} fails unmutated when looked at once:\n{e}",
            m.lab, m.step, m.id
        ))
    })
}
