//! `vethlab peers` over a real topology: flannel's node03, where docker0 is
//! ifindex 3 and every pod's eth0 is ifindex 3 too (seed 001).

use crate::fail;
use libtest_mimic::Failed;
use nix::mount::{umount2, MntFlags};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use vethlab::lab::Lab;
use vethlab::run;

/// The flannel lab after its first step, its namespaces named in a
/// directory (as `ip netns add` would in /run/netns) that only this test
/// sees: the bind mounts are made on a thread with its own mount namespace
/// (other trials snapshot the process's mounts), and `vethlab peers` is
/// started from that thread, so it inherits them.
fn with_named_flannel<T: Send + 'static>(
    dir: &Path,
    f: impl FnOnce(&Path) -> Result<T, Failed> + Send + 'static,
) -> Result<T, Failed> {
    let l = Lab::load(&dir.join("flannel/lab.json")).map_err(|e| fail(e.to_string()))?;
    let mut topo = run::new_topo(&l).map_err(|e| fail(e.to_string()))?;
    run::build_upto(&l, &mut topo, 1).map_err(|e| fail(e.to_string()))?;
    let nodes: Vec<(String, i32)> = topo
        .nodes()
        .iter()
        .map(|n| (n.name().to_string(), n.raw_fd()))
        .collect();
    let r = std::thread::spawn(move || -> Result<T, Failed> {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
            .map_err(|e| fail(format!("unshare(CLONE_NEWNS): {e}")))?;
        vethlab::sys::sandbox::root_slave().map_err(|e| fail(e.to_string()))?;
        let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
        vethlab::tools::learner::bind_nodes(
            nodes.iter().map(|(n, fd)| (n.as_str(), *fd)),
            tmp.path(),
        )
        .map_err(|e| fail(e.to_string()))?;
        let out = f(tmp.path());
        for (name, _) in &nodes {
            let _ = umount2(&tmp.path().join(name), MntFlags::MNT_DETACH);
        }
        out
    })
    .join()
    .unwrap_or_else(|_| Err(fail("the peers thread panicked")));
    drop(topo);
    r
}

fn peers(args: &[&str]) -> Result<(i32, String), Failed> {
    let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .arg("peers")
        .args(args)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("panicked") {
        return Err(fail(format!("vethlab peers panicked: {err}")));
    }
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

pub(crate) fn flannel_pairs(dir: &Path) -> Result<(), Failed> {
    // The article's numbers, where this kernel's fallback tunnels put them.
    let plan = run::index_plan(
        &Lab::load(&dir.join("flannel/lab.json")).map_err(|e| fail(e.to_string()))?,
    );
    let m = move |i: u32| plan.map(i);
    with_named_flannel(dir, move |netns| {
        let d = netns.to_str().unwrap_or_default();
        let (code, out) = peers(&["--json", "--netns-dir", d])?;
        let rep: Value = serde_json::from_str(&out).map_err(|e| fail(format!("{e}: {out}")))?;
        if code != 0 {
            return Err(fail(format!("exit {code}: {out}")));
        }
        let veths = rep["veths"].as_array().cloned().unwrap_or_default();
        let find = |ns: &str, name: &str| {
            veths
                .iter()
                .find(|v| v["namespace"] == ns && v["name"] == name)
                .cloned()
                .ok_or_else(|| fail(format!("peers did not list {ns}:{name}:\n{out}")))
        };
        // (namespace, name, ifindex, master) ↔ (namespace, name, ifindex)
        let pairs = [
            (
                ("node03", "veth61dfc48a", m(6), Some("cni0")),
                ("pod1", "eth0", m(3)),
            ),
            (
                ("node03", "veth591ea0bf", m(7), Some("cni0")),
                ("pod2", "eth0", m(3)),
            ),
            (
                ("node03", "veth6ef58804", m(9), Some("cni0")),
                ("pod3", "eth0", m(3)),
            ),
            (
                ("node04", "veth3a9f1c27", m(5), Some("cni0")),
                ("pod4", "eth0", m(3)),
            ),
            (("node03", "eth0", m(2), None), ("node04", "eth0", m(2))),
        ];
        for ((ans, aname, aidx, master), (bns, bname, bidx)) in pairs {
            for (x, (pns, pname, pidx), m) in [
                ((ans, aname, aidx), (bns, bname, bidx), master),
                ((bns, bname, bidx), (ans, aname, aidx), None),
            ] {
                let v = find(x.0, x.1)?;
                let want_peer =
                    serde_json::json!({"namespace": pns, "name": pname, "ifindex": pidx});
                let p = &v["peer"];
                let got = serde_json::json!({"namespace": p["namespace"], "name": p["name"], "ifindex": p["ifindex"]});
                if v["ifindex"] != x.2 || got != want_peer || v["at"] != format!("if{pidx}") {
                    return Err(fail(format!(
                        "{}:{}: want ifindex {} peer {want_peer} @if{pidx}, got {v}",
                        x.0, x.1, x.2
                    )));
                }
                if m.is_some() && v["master"] != m.unwrap_or_default() {
                    return Err(fail(format!("{}:{} master: {}", x.0, x.1, v["master"])));
                }
                // All three methods read, and agreeing.
                for k in ["iflink_netlink", "iflink_sysfs", "ethtool_peer_ifindex"] {
                    if v[k] != pidx {
                        return Err(fail(format!(
                            "{}:{} {k} = {} (unread: {})",
                            x.0, x.1, v[k], v["unread"]
                        )));
                    }
                }
                if !v["disagreement"].is_null() {
                    return Err(fail(format!(
                        "{}:{} disagreement {}",
                        x.0, x.1, v["disagreement"]
                    )));
                }
            }
        }
        let pod1 = find("pod1", "eth0")?;
        if pod1["ipv4"] != serde_json::json!(["10.244.5.2/24"]) || pod1["mtu"] != 1450 {
            return Err(fail(format!("pod1 eth0: {pod1}")));
        }
        // The seed 001 answer, generated: if3 is not node03's docker0.
        let (code, text) = peers(&["--netns-dir", d, "node03:veth61dfc48a"])?;
        let three = m(3);
        for want in [
            format!("Its peer is eth0, ifindex {three}, in namespace pod1"),
            format!("In node03 itself, ifindex {three} is docker0, an unrelated device"),
            format!("The methods agree: IFLA_LINK {three}, /sys/class/net/veth61dfc48a/iflink {three}, ethtool -S peer_ifindex {three}"),
        ] {
            if code != 0 || !text.contains(&want) {
                return Err(fail(format!("peers node03:veth61dfc48a (exit {code}) lacks `{want}`:\n{text}")));
            }
        }
        Ok(())
    })
}

/// On the machine itself (every namespace /proc shows), without error.
pub(crate) fn whole_machine() -> Result<(), Failed> {
    let (code, out) = peers(&[])?;
    if code != 0 || !out.starts_with("NAMESPACE") {
        return Err(fail(format!("vethlab peers exited {code}:\n{out}")));
    }
    Ok(())
}

/// Issue 27: a process name holding an escape sequence (a namespace holder
/// of its own, in a namespace of its own) is printed escaped, never raw.
pub(crate) fn hostile_names_escaped() -> Result<(), Failed> {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = Command::new("unshare")
        .args([
            "-n",
            "sh",
            "-c",
            "ip link add va27 type veth peer name vb27 && printf '\\033[31mevil' > /proc/$$/comm && echo ready && read x",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("unshare: {e}")))?;
    let mut line = String::new();
    if let Some(o) = child.stdout.take() {
        let _ = std::io::BufReader::new(o).read_line(&mut line);
    }
    let r = if line.trim() == "ready" {
        peers(&[])
    } else {
        Err(fail("the holder did not come up"))
    };
    // Closing its stdin ends `read`, and the holder with its namespace.
    drop(child.stdin.take());
    let _ = child.wait();
    let (_, out) = r?;
    if out.contains('\u{1b}') || !out.contains("\\u{1b}[31mevil") {
        return Err(fail(format!("the name is not escaped:\n{out:?}")));
    }
    Ok(())
}
