//! `cargo test`: one trial per lab step, named LAB/STEP. Each trial is
//! self-contained: fresh namespaces, the earlier steps' commands replayed,
//! then the step's traffic, captures and assertions. Trials run in parallel.
//! The `harness/…` trials test the kit itself: its rendering against real
//! tcpdump, its failure messages, and what it leaves behind when killed.

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use vethlab::lab::{self, Lab, RunOpts};
use vethlab::report::Status;

fn main() -> ExitCode {
    // Before any thread: the sandbox (root, or rootless with a user namespace).
    if let Err(e) = vethlab::sandbox::enter() {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    let args = Arguments::from_args();
    let dir = vethlab::labs::labs_dir();
    let labs = match vethlab::labs::load_all(&dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut trials = vec![];
    for l in &labs {
        let l = Arc::new(l.clone());
        for (i, s) in l.steps.iter().enumerate() {
            let l = l.clone();
            trials.push(Trial::ignorable_test(
                format!("{}/{}", l.name, s.name),
                move || {
                    let r = lab::run_one(&l, i, &RunOpts::default());
                    match &r.status {
                        Status::Pass => Ok(Completion::Completed),
                        Status::Skip(why) => Ok(Completion::ignored_with(why)),
                        Status::Fail => Err(Failed::from(r.text(false))),
                    }
                },
            ));
        }
    }
    let labs = Arc::new(labs);
    let l2 = labs.clone();
    trials.push(Trial::ignorable_test("harness/tcpdump-agrees", move || {
        tcpdump_agrees(&l2)
    }));
    trials.push(Trial::ignorable_test(
        "harness/tcpdump-agrees-synthetic",
        tcpdump_agrees_synthetic,
    ));
    let d2 = dir.clone();
    trials.push(Trial::test(
        "harness/broken-lab-shows-expected-vs-captured",
        move || broken_lab(&d2),
    ));
    trials.push(Trial::test(
        "harness/malformed-lab-file-says-where",
        malformed_lab,
    ));
    trials.push(Trial::test(
        "harness/kill-9-leaves-nothing",
        kill_leaves_nothing,
    ));
    libtest_mimic::run(&args, trials).exit_code()
}

fn fail(m: impl Into<String>) -> Failed {
    Failed::from(m.into())
}

/// Every line the kit rendered for the labs' captures equals what real
/// `tcpdump -n -r` prints for the same .pcap (timestamps aside).
fn tcpdump_agrees(labs: &[Lab]) -> Result<Completion, Failed> {
    if let Some(why) = no_tcpdump() {
        return Ok(Completion::ignored_with(why));
    }
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let opts = RunOpts {
        pcap_dir: Some(tmp.path().to_path_buf()),
    };
    let mut compared = 0;
    for l in labs {
        for r in lab::run_lab(l, &opts, &|_| {}) {
            for c in &r.captures {
                let (node, iface) = c.at.split_once(':').unwrap_or_default();
                let p = tmp
                    .path()
                    .join(&r.lab)
                    .join(&r.step)
                    .join(format!("{node}-{iface}.pcap"));
                let theirs = tcpdump_lines(&p)?;
                if theirs != c.lines {
                    return Err(fail(format!(
                        "{}/{} {}: tcpdump says\n  {}\nvethlab says\n  {}",
                        r.lab,
                        r.step,
                        c.at,
                        theirs.join("\n  "),
                        c.lines.join("\n  ")
                    )));
                }
                compared += theirs.len();
            }
        }
    }
    if compared == 0 {
        return Err(fail("no captured line to compare"));
    }
    Ok(Completion::Completed)
}

fn checksum(b: &[u8]) -> [u8; 2] {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]) as u32)
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    (!(sum as u16)).to_be_bytes()
}

fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, ttl: u8, payload: &[u8]) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut h = vec![
        0x45,
        0,
        (len >> 8) as u8,
        len as u8,
        0,
        0,
        0x40,
        0,
        ttl,
        proto,
        0,
        0,
    ];
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = checksum(&h);
    h[10..12].copy_from_slice(&c);
    h.extend_from_slice(payload);
    h
}

fn echo(kind: u8, id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![kind, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..56u8).map(|i| i.wrapping_add(0x10)));
    let c = checksum(&p);
    p[2..4].copy_from_slice(&c);
    p
}

/// Frames this kernel cannot make (IP-in-IP: no ipip here) or that the labs
/// do not capture, built by hand: rendered lines must equal tcpdump's.
fn tcpdump_agrees_synthetic() -> Result<Completion, Failed> {
    use vethlab::capture::{Captured, Frame};
    if let Some(why) = no_tcpdump() {
        return Ok(Completion::ignored_with(why));
    }
    let (n103, n105) = ([192, 168, 26, 103], [192, 168, 26, 105]);
    let (pa, pb) = ([10, 244, 38, 174], [10, 244, 169, 66]);
    let eth = |ip: Vec<u8>| {
        let mut f = vec![2, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 3, 8, 0];
        f.extend(ip);
        f
    };
    let mut udp = vec![0x9c, 0x40, 0x1f, 0x90, 0, 13, 0, 0];
    udp.extend_from_slice(b"hello");
    let inner_req = ipv4(pa, pb, 1, 63, &echo(8, 0x1234, 1));
    let mut unreach = vec![3, 1, 0, 0, 0, 0, 0, 0];
    unreach.extend_from_slice(&inner_req[..28]);
    let c = checksum(&unreach);
    unreach[2..4].copy_from_slice(&c);
    let frames = [
        eth(ipv4(n103, n105, 4, 64, &inner_req)),
        eth(ipv4(
            n105,
            n103,
            4,
            64,
            &ipv4(pb, pa, 1, 63, &echo(0, 0x1234, 1)),
        )),
        eth(ipv4(pa, pb, 17, 64, &udp)),
        eth(ipv4(n103, pa, 1, 64, &unreach)),
    ];
    let cap = Captured {
        node: String::new(),
        iface: String::new(),
        linktype: 1,
        frames: frames
            .iter()
            .map(|d| Frame {
                ts_us: 1,
                data: d.clone(),
                len: d.len() as u32,
            })
            .collect(),
        dropped: 0,
    };
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let p = tmp.path().join("synthetic.pcap");
    cap.write_pcap(&p).map_err(|e| fail(e.to_string()))?;
    let theirs = tcpdump_lines(&p)?;
    let ours = vethlab::decode::render_all(1, &cap.frames);
    if theirs != ours {
        return Err(fail(format!(
            "tcpdump says\n  {}\nvethlab says\n  {}",
            theirs.join("\n  "),
            ours.join("\n  ")
        )));
    }
    // The calico fixture for O3.6 is written against exactly these lines.
    if !ours[0].starts_with(
        "IP 192.168.26.103 > 192.168.26.105: IP 10.244.38.174 > 10.244.169.66: ICMP echo request",
    ) {
        return Err(fail(format!("not rendered as IP-in-IP: {}", ours[0])));
    }
    Ok(Completion::Completed)
}

/// Why tcpdump cannot serve as the reference here, if it cannot.
fn no_tcpdump() -> Option<&'static str> {
    if Command::new("tcpdump").arg("--version").output().is_err() {
        return Some("tcpdump is not installed (ci/setup.sh installs it)");
    }
    // Rootless, we are uid 0 only inside a user namespace; tcpdump then tries
    // to drop to its own user (setgroups, setuid) and the kernel refuses.
    let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    if map.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"] {
        return Some(
            "tcpdump cannot drop privileges inside a user namespace; the root run checks this",
        );
    }
    None
}

/// `tcpdump -n -r FILE`, without timestamps.
fn tcpdump_lines(p: &Path) -> Result<Vec<String>, Failed> {
    let out = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(p)
        .output()
        .map_err(|e| fail(e.to_string()))?;
    if !out.status.success() {
        return Err(fail(format!(
            "tcpdump -r {}: {}",
            p.display(),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(strip_ts)
        .collect())
}

fn strip_ts(l: &str) -> String {
    // "05:27:59.637313 IP …" → "IP …"; continuation lines carry no timestamp.
    match l.split_once(' ') {
        Some((t, rest)) if t.len() == 15 && t.as_bytes()[2] == b':' && t.as_bytes()[8] == b'.' => {
            rest.to_string()
        }
        _ => l.to_string(),
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        } else {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// A copy of bridge-arp where song holds the wrong address: the fixed step
/// must fail, and say what was expected and what was captured.
fn broken_lab(dir: &Path) -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let root = tmp.path();
    copy_tree(&dir.join("bridge-arp"), &root.join("labs/bridge-arp"))
        .map_err(|e| fail(e.to_string()))?;
    copy_tree(
        &dir.join("../fixtures/bridge-arp"),
        &root.join("fixtures/bridge-arp"),
    )
    .map_err(|e| fail(e.to_string()))?;
    let f: PathBuf = root.join("labs/bridge-arp/lab.json");
    let text = std::fs::read_to_string(&f).map_err(|e| fail(e.to_string()))?;
    let broken = text.replace(
        "ifconfig veth1 192.168.122.102/24",
        "ifconfig veth1 192.168.122.103/24",
    );
    assert_ne!(text, broken);
    std::fs::write(&f, broken).map_err(|e| fail(e.to_string()))?;
    let l = Lab::load(&f).map_err(|e| fail(e.to_string()))?;
    let idx = l
        .step_index("ip-on-bridge")
        .ok_or_else(|| fail("no step"))?;
    let r = lab::run_one(&l, idx, &RunOpts::default());
    let t = r.text(false);
    if r.status != Status::Fail
        || !t.contains("expected (fixture):")
        || !t.contains("captured:")
        || !t.contains("✗ line")
    {
        return Err(fail(format!(
            "the broken lab did not fail with a diff:\n{t}"
        )));
    }
    Ok(())
}

fn malformed_lab() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let p = tmp.path().join("lab.json");
    let cases = [
        ("{\n  \"lab\": \"x\",\n  \"title\": 1\n}", ":3:12", "invalid type"),
        (
            "{\"lab\":\"x\",\"title\":\"t\",\"nodes\":[\"h\"],\"steps\":[\n {\"name\":\"s\",\"title\":\"t\",\"do\":[\n   \"ip link add v0 type dummy\"]}]}",
            ":3:4",
            "unsupported link type `dummy`",
        ),
    ];
    for (text, at, what) in cases {
        std::fs::write(&p, text).map_err(|e| fail(e.to_string()))?;
        let e = Lab::load(&p)
            .err()
            .ok_or_else(|| fail("loaded a malformed lab"))?
            .to_string();
        if !e.contains(&format!("{}{at}", p.display())) || !e.contains(what) {
            return Err(fail(format!("want {at} and `{what}`, got: {e}")));
        }
        let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .arg("run")
            .arg(&p)
            .output()
            .map_err(|e| fail(e.to_string()))?;
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.code() != Some(2)
            || !err.contains(at)
            || err.contains("panicked")
            || err.lines().count() != 1
        {
            return Err(fail(format!(
                "vethlab run exited {:?} with: {err}",
                out.status.code()
            )));
        }
    }
    Ok(())
}

/// What the caller can see of its network and processes.
fn snapshot() -> String {
    let mut s = String::new();
    for args in [
        &["-o", "link"][..],
        &["-o", "addr"],
        &["route"],
        &["neigh"],
        &["netns", "list"],
    ] {
        let out = Command::new("ip")
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string());
        s.push_str(&out.unwrap_or_else(|e| format!("ip {args:?}: {e}")));
    }
    s
}

/// SIGKILL `vethlab run` at several moments: the caller's namespace is as it
/// was, and no process of the run remains.
fn kill_leaves_nothing() -> Result<(), Failed> {
    let before = snapshot();
    for ms in [0u64, 5, 15, 30, 60, 120, 250, 400] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vethlab"))
            .arg("run")
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|e| fail(e.to_string()))?;
        std::thread::sleep(std::time::Duration::from_millis(ms));
        let _ = child.kill();
        let _ = child.wait();
        let after = snapshot();
        if after != before {
            return Err(fail(format!(
                "after kill -9 at {ms} ms the caller changed:\nbefore:\n{before}\nafter:\n{after}"
            )));
        }
        if Path::new(&format!("/proc/{}", child.id())).exists() {
            return Err(fail(format!("process {} survived", child.id())));
        }
    }
    Ok(())
}
