//! `vethlab doctor` held against the labs' own machines, through the real
//! path: `vethlab shell LAB --step N`, and `vethlab doctor --json` typed in it.
//!
//! - `doctor/LAB/STEP`: where the step's given state is one of the seeds'
//!   mistakes ([`MISTAKES`]), doctor exits 1 and names it (id, namespace,
//!   device) and no other problem; after the reference solution
//!   (`vethlab solution | sh`) it exits 0 with no problem. Every other
//!   step's given state: exit 0, no problem (info allowed).
//! - `doctor/LAB/finished`: the finished lab, no problem, exit 0; and every
//!   namespace's links, addresses, routes, neighbours, FDB and IPv4 sysctls
//!   are the same before and after doctor ran.
//! - `doctor/hand-built`: namespaces no lab has (`doctor-hand-built.sh`),
//!   every mistake beside its near miss; exactly the mistakes are named.

use crate::fail;
use libtest_mimic::{Failed, Trial};
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;
use vethlab::lab::Lab;

/// (lab, step, id, namespace, device): the mistake a step's given state
/// holds. A device ending in `*` is a prefix (names a CNI plugin drew).
#[rustfmt::skip]
const MISTAKES: &[(&str, &str, &str, &str, &str)] = &[
    ("bridge-arp", "ip-on-bridge", "bridge-port-address", "host", "veth0"),
    ("flannel", "bridge-members", "pod-unreachable", "node03", "veth591ea0bf"),
    ("flannel", "same-node", "pod-unreachable", "node03", "veth591ea0bf"),
    ("flannel", "shared-pod-netns", "loopback-down", "pod1", "lo"),
    ("flannel", "cross-node-vxlan", "vxlan-one-way", "node03", "flannel.1"),
    ("calico", "proxy-arp", "proxy-arp-missing", "vms103", "cali7a4b00317e6"),
    ("calico-bird", "cross-node-by-bird", "forwarding-off", "vms105", "all"),
    ("gke-ptp", "pod-to-pod", "pod-unreachable", "gke-node", "veth6eba4cdf"),
    ("gke-ptp-cni", "pod-to-pod", "forwarding-off", "gke-node", "all"),
    ("flannel-cni", "same-node-ping", "pod-unreachable", "node03", "veth*"),
];

/// `doctor/LAB/STEP` for every step, `doctor/LAB/finished` for every lab.
pub(crate) fn trials(labs: &[Lab]) -> Vec<Trial> {
    let mut v = vec![];
    for l in labs {
        let l = Arc::new(l.clone());
        for (i, s) in l.steps.iter().enumerate() {
            let skip = vethlab::run::step_skip(&l, i)
                .or_else(|| crate::walkthrough::moved_index(&l, s.commands().map(|(_, t)| t)));
            let l2 = l.clone();
            let t = Trial::test(format!("doctor/{}/{}", l.name, s.name), move || {
                step(&l2, i)
            });
            v.push(match skip {
                Some(_) => t.with_ignored_flag(true).with_kind("skip"),
                None => t,
            });
        }
        let l2 = l.clone();
        v.push(Trial::test(
            format!("doctor/{}/finished", l.name),
            move || finished(&l2),
        ));
        if l.name == "veth-pair" {
            let l2 = l.clone();
            v.push(Trial::test("doctor/hand-built", move || hand_built(&l2)));
        }
    }
    v
}

/// The mistakes `doctor-hand-built.sh` makes, each beside a near miss that
/// must stay quiet (the address on the bridge, `conf.all.proxy_arp`, a /32
/// route, the shared ptp gateway, a VXLAN peer configured both ways).
const HAND_BUILT: &[(&str, &str, &str)] = &[
    ("bridge-port-address", "zeta-node", "vz3"),
    ("forwarding-off", "eta-node", "all"),
    ("loopback-down", "zp1", "lo"),
    ("pod-unreachable", "zeta-node", "vzp2"),
    ("pod-unreachable", "zeta-node", "vzq2"),
    ("proxy-arp-missing", "zeta-node", "cz1"),
    ("vxlan-fdb-missing", "vx-c", "ovx"),
    ("vxlan-one-way", "vx-b", "ovx"),
];

/// Namespaces no lab has, built by hand in a lab shell: exactly the
/// mistakes made are named, and nothing else is a problem.
fn hand_built(lab: &Lab) -> Result<(), Failed> {
    let script = format!(
        "{}\nvethlab doctor --json >/var/run/doctor-given.json; echo \"@@given $?\"\n\
         echo @@json; cat /var/run/doctor-given.json\n",
        include_str!("doctor-hand-built.sh")
    );
    let out = shell(lab, &["--step", "1"], &script)?;
    let (code, doc) = result(&out, "given")?;
    let mut probs = problems(&doc);
    probs.sort();
    let want: Vec<(String, String, String)> = HAND_BUILT
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    if code != 1 || probs != want {
        return Err(fail(format!(
            "wanted exit 1 and {want:?}\ngot exit {code} and {probs:?}\n{doc:#}"
        )));
    }
    Ok(())
}

fn step(lab: &Lab, idx: usize) -> Result<(), Failed> {
    let name = &lab.steps[idx].name;
    let mistake = MISTAKES
        .iter()
        .find(|m| m.0 == lab.name && m.1 == name.as_str());
    let mut script =
        String::from("vethlab doctor --json >/var/run/doctor-given.json; echo \"@@given $?\"\n");
    if mistake.is_some() {
        script.push_str(
            "vethlab solution >/var/run/doctor-solution.sh || echo @@no-solution\n\
             sh -e /var/run/doctor-solution.sh >/dev/null 2>&1 || echo @@solution-failed\n\
             vethlab doctor --json >/var/run/doctor-after.json; echo \"@@after $?\"\n",
        );
    }
    script.push_str("echo @@json; cat /var/run/doctor-given.json; echo @@json; cat /var/run/doctor-after.json 2>/dev/null; true\n");
    let n = (idx + 1).to_string();
    let out = shell(lab, &["--step", &n], &script)?;
    if out.contains("@@no-solution") || out.contains("@@solution-failed") {
        return Err(fail(format!("the reference solution failed\n{out}")));
    }
    let (code, given) = result(&out, "given")?;
    let probs = problems(&given);
    match mistake {
        None => {
            if code != 0 || !probs.is_empty() {
                return Err(fail(format!(
                    "the given state holds no mistake of the seeds, yet doctor exited {code} with {probs:?}\n{given:#}"
                )));
            }
        }
        Some(&(_, _, id, ns, dev)) => {
            let named = |p: &(String, String, String)| {
                p.0 == id
                    && p.1 == ns
                    && match dev.strip_suffix('*') {
                        Some(pre) => p.2.starts_with(pre),
                        None => p.2 == dev,
                    }
            };
            if code != 1 || !probs.iter().any(named) || probs.iter().any(|p| p.0 != id) {
                return Err(fail(format!(
                    "wanted {id} for {ns}:{dev} (exit 1), got exit {code} with {probs:?}\n{given:#}"
                )));
            }
            let (code, after) = result(&out, "after")?;
            let probs = problems(&after);
            if code != 0 || !probs.is_empty() {
                return Err(fail(format!(
                    "after the reference solution doctor exited {code} with {probs:?}\n{after:#}"
                )));
            }
        }
    }
    Ok(())
}

/// Every namespace's state as `ip` and `bridge` print it, and its IPv4
/// sysctls; without what the kernel changes by itself (carrier, operstate
/// and neighbour states settle after a lab is built).
const STATE: &str = "for n in $(ip netns list | cut -d' ' -f1); do echo \"== $n\"; \
    ip -n $n -o link | sed -e 's/,LOWER_UP//' -e 's/NO-CARRIER,//' -e 's/ state [A-Z]*//'; \
    ip -n $n -o addr; ip -n $n route | sed 's/ linkdown//'; ip -n $n neigh | grep -v -e STALE -e DELAY -e PROBE -e REACHABLE; \
    ip netns exec $n bridge fdb show; ip netns exec $n sysctl net.ipv4 2>/dev/null | grep -v -e base_reachable -e '^net.ipv4.tcp' -e ipfrag; done";

fn finished(lab: &Lab) -> Result<(), Failed> {
    let script = format!(
        "({STATE}) >/var/run/doctor-before.txt 2>&1\n\
         vethlab doctor --json >/var/run/doctor-given.json; echo \"@@given $?\"\n\
         ({STATE}) >/var/run/doctor-after.txt 2>&1\n\
         cmp -s /var/run/doctor-before.txt /var/run/doctor-after.txt || {{ echo @@changed; diff /var/run/doctor-before.txt /var/run/doctor-after.txt; }}\n\
         echo @@json; cat /var/run/doctor-given.json\n"
    );
    let out = shell(lab, &[], &script)?;
    if out.contains("@@changed") {
        return Err(fail(format!("doctor changed the lab's state\n{out}")));
    }
    let (code, doc) = result(&out, "given")?;
    let probs = problems(&doc);
    if code != 0 || !probs.is_empty() {
        return Err(fail(format!(
            "the finished lab: doctor exited {code} with {probs:?}\n{doc:#}"
        )));
    }
    for (_, id, ns, dev) in INFOS.iter().filter(|i| i.0 == lab.name) {
        let hit = doc["findings"].as_array().into_iter().flatten().any(|f| {
            f["severity"] == "info" && f["id"] == *id && f["netns"] == *ns && f["device"] == *dev
        });
        if !hit {
            return Err(fail(format!(
                "the finished lab: no info {id} for {ns}:{dev}\n{doc:#}"
            )));
        }
    }
    Ok(())
}

/// (lab, id, namespace, device): what a finished lab must explain.
const INFOS: &[(&str, &str, &str, &str)] = &[
    // Seed 001's puzzle: veth…@if3 beside docker0, index 3.
    ("flannel", "peer-index-elsewhere", "node03", "veth61dfc48a"),
    // Seed 000: 10.188.2.1/32 on every host veth.
    ("gke-ptp", "shared-gateway-32", "gke-node", "veth27cee774"),
];

/// Doctor's exit status `@@WHICH N` and its JSON (the first or second after `@@json`).
fn result(out: &str, which: &str) -> Result<(i32, Value), Failed> {
    let tag = format!("@@{which} ");
    let code = out
        .lines()
        .find_map(|l| l.strip_prefix(&tag))
        .and_then(|c| c.trim().parse().ok())
        .ok_or_else(|| fail(format!("no `{tag}` line in\n{out}")))?;
    let nth = usize::from(which != "given");
    let json = out
        .split("@@json\n")
        .nth(1 + nth)
        .ok_or_else(|| fail(format!("no JSON for {which} in\n{out}")))?;
    let doc = serde_json::Deserializer::from_str(json)
        .into_iter::<Value>()
        .next()
        .and_then(|r| r.ok())
        .ok_or_else(|| fail(format!("doctor's JSON for {which} does not parse:\n{json}")))?;
    Ok((code, doc))
}

/// (id, netns, device) of every problem.
fn problems(doc: &Value) -> Vec<(String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    doc["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "problem")
        .map(|f| (s(&f["id"]), s(&f["netns"]), s(&f["device"])))
        .collect()
}

fn shell(lab: &Lab, args: &[&str], script: &str) -> Result<String, Failed> {
    let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .arg("shell")
        .arg(lab.path.display().to_string())
        .args(args)
        .args(["--", "sh", "-c", script])
        .output()
        .map_err(|e| fail(format!("vethlab shell: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(fail(format!(
            "vethlab shell exited {:?}\n{text}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(text)
}
