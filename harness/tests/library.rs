//! The library as another crate uses it: a plain `#[test]` (threads and
//! all), a `Runner`, and no sandbox code of its own.

use std::path::Path;
use vethlab::report::Status;
use vethlab::run::Runner;

const TWO_NODES: &str = r#"{
  "lab": "two-nodes", "title": "a veth pair between two namespaces",
  "nodes": ["a", "b"],
  "steps": [{
    "name": "ping", "title": "b answers a over the pair",
    "do": [
      "ip link add veth0 type veth peer name veth1 netns b",
      "ip addr add 10.0.0.1/24 dev veth0", "ip link set veth0 up",
      "ip netns exec b ip addr add 10.0.0.2/24 dev veth1",
      "ip netns exec b ip link set veth1 up",
      {"ping": "PEER", "from": "a", "timeout_ms": 500, "id": "ping"},
      {"expect": "link", "node": "a", "dev": "veth0", "peer": "b:veth1", "id": "peer"}
    ]
  }]
}"#;

/// Whether this machine can make namespaces at all (root, or user
/// namespaces allowed): without, a run is refused and there is nothing to test.
fn can_run() -> bool {
    nix::unistd::getuid().is_root()
        || std::fs::read_to_string("/proc/sys/kernel/unprivileged_userns_clone")
            .map_or(true, |s| s.trim() == "1")
}

#[test]
fn a_lab_from_text_passes_and_a_broken_one_fails() {
    if !can_run() {
        eprintln!("skipped: no root and no user namespaces");
        return;
    }
    let good = Runner::new()
        .run_str(&TWO_NODES.replace("PEER", "10.0.0.2"))
        .expect("runs");
    assert!(good.passed(), "{good:#?}");
    assert_eq!(good.steps.len(), 1);
    assert_eq!(good.steps[0].status, Status::Pass);
    assert_eq!(good.steps[0].ids, ["ping", "peer"]);

    // Nobody holds 10.0.0.3: the ping must fail, and the report say so.
    let bad = Runner::new()
        .run_str(&TWO_NODES.replace("PEER", "10.0.0.3"))
        .expect("runs");
    assert!(!bad.passed());
    let f: Vec<_> = bad.failures().collect();
    assert_eq!(f.len(), 1);
    assert!(f[0].text.contains("10.0.0.3"), "{}", f[0].text);
}

#[test]
fn a_built_in_lab_file_runs() {
    if !can_run() {
        eprintln!("skipped: no root and no user namespaces");
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../labs/veth-pair/lab.json");
    let r = Runner::new().run_file(&path).expect("runs");
    assert!(r.passed(), "{r:#?}");
    assert!(r.steps.len() >= 3);
    assert!(r.steps.iter().all(|s| s.lab == "veth-pair"));
}

#[test]
fn a_bad_lab_is_one_located_error() {
    let e = Runner::new()
        .run_str(r#"{"lab": "x", "title": "t", "nodes": [], "steps": []}"#)
        .expect_err("refused");
    assert!(e.to_string().contains("lab.json:1:"), "{e}");
}
