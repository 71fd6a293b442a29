//! The escape suite: hostile lab files (`tests/escape/<case>/lab.json`),
//! each run by the real binary inside a throwaway outer namespace that
//! stands in for the caller (its own network with an interface, address
//! and route of its own, and its own hostname). Each case is either refused
//! at load (want.txt: `refused`, then the lines stderr must hold, e.g.
//! `lab.json:12:9`) or contained at run time (`contained`). Either way the
//! stand-in's links, addresses, routes, neighbours, hostname, global
//! sysctls and a set of files are byte-identical afterwards, and a planted
//! secret appears in no output: stdout, JSON, HTML or pcaps.
//!
//! In lab.json and links.txt, `@TMP@` is the case's temporary directory,
//! `@SECRET@` the secret file and `@VICTIM@` a file nothing may change.
//! links.txt makes symlinks: `RELATIVE/PATH -> TARGET`, one per line.

use crate::fail;
use libtest_mimic::Failed;
use std::path::{Path, PathBuf};
use std::process::Command;

const VETHLAB: &str = env!("CARGO_BIN_EXE_vethlab");

pub(crate) fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/escape");
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("want.txt").is_file())
        .collect();
    v.sort();
    v
}

/// What the stand-in caller looks like, printed before and after the run.
const SNAPSHOT: &str = r#"
snap() {
  ip -o link; ip -o addr; ip route; ip neigh; hostname
  for f in /proc/sys/kernel/hostname /proc/sys/kernel/domainname /proc/sys/kernel/core_pattern \
           /proc/sys/kernel/modprobe /proc/sys/vm/swappiness /proc/sys/vm/overcommit_memory \
           /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/forwarding \
           /proc/sys/net/ipv4/conf/caller0/proxy_arp /proc/sys/net/ipv4/conf/caller0/forwarding \
           /proc/sys/net/ipv4/neigh/caller0/retrans_time_ms; do
    echo "$f=$(cat "$f" 2>&1)"
  done
  for f in $FILES; do
    # Any write, even one that puts the same bytes back, moves ctime; a
    # large file (the vethlab binary, ~95 MB in a debug build) is compared
    # by that alone: hashing it twice per case was most of this suite's CPU.
    stat -c '%n inode %i size %s mtime %y ctime %z' "$f" 2>&1
    [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -gt 1048576 ] || sha256sum "$f" 2>&1
  done
  find "$TMPD" -path "$TMPD/run" -prune -o -print | sort
  ls /var/run/netns 2>&1
}
"#;

/// The stand-in: a veth pair with an address and a route, a hostname.
const SETUP: &str = r#"
set -e
echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
ip link set lo up
ip link add caller0 type veth peer name caller1
ip addr add 10.99.0.1/24 dev caller0
ip link set caller0 up
ip link set caller1 up
ip route add 10.98.0.0/16 via 10.99.0.2
hostname caller-standin
# Settled before the first snapshot: carrier comes up asynchronously.
n=0
until ip -o link show caller0 | grep -q 'state UP'; do
  n=$((n+1)); [ $n -lt 500 ] || { echo "caller0 never came up" >&2; exit 1; }
  sleep 0.01
done
set +e
"#;

fn subst(s: &str, tmp: &Path) -> String {
    s.replace("@SECRET@", &tmp.join("secret.txt").display().to_string())
        .replace("@VICTIM@", &tmp.join("victim.txt").display().to_string())
        .replace("@TMP@", &tmp.display().to_string())
}

/// Run `script` (after SETUP) in a fresh network, UTS and IPC namespace
/// that stands in for the caller; returns the snapshots before and after.
fn in_standin(tmp: &Path, script: &str, files: &[PathBuf]) -> Result<(String, String), Failed> {
    let run = tmp.join("run");
    std::fs::create_dir_all(&run).map_err(|e| fail(e.to_string()))?;
    let full = format!(
        "{SNAPSHOT}{SETUP}snap > \"$TMPD/run/before\"\n{script}\nsnap > \"$TMPD/run/after\"\n"
    );
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let out = Command::new("unshare")
        .args(["--net", "--uts", "--ipc", "--", "sh", "-c", &full])
        .env("VETHLAB", VETHLAB)
        .env("TMPD", tmp)
        .env("FILES", files.join(" "))
        .output()
        .map_err(|e| fail(format!("unshare (util-linux): {e}")))?;
    let read = |n: &str| std::fs::read_to_string(run.join(n)).unwrap_or_default();
    let (before, after) = (read("before"), read("after"));
    if before.is_empty() || after.is_empty() {
        return Err(fail(format!(
            "the stand-in caller did not come up: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok((before, after))
}

use crate::safety::diff;

/// Every file under `dir` whose bytes contain `needle`.
fn holders(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => {
                    let b = std::fs::read(&p).unwrap_or_default();
                    if b.windows(needle.len()).any(|w| w == needle) {
                        out.push(p.display().to_string());
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn secret_and_victim(tmp: &Path) -> Result<(String, Vec<PathBuf>), Failed> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let secret = format!("VETHLAB-SECRET-{}-{nanos}", std::process::id());
    let w = |n: &str, s: &str| std::fs::write(tmp.join(n), s).map_err(|e| fail(e.to_string()));
    w("secret.txt", &format!("{secret}\n"))?;
    w("victim.txt", "the caller's file\n")?;
    // World-readable, as a careless user's secret would be: the sandbox's
    // root may read it, so only the rules keep it out of reports.
    for n in ["secret.txt", "victim.txt"] {
        let _ = std::fs::set_permissions(
            tmp.join(n),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        );
    }
    let _ = std::fs::set_permissions(tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755));
    let files = vec![
        tmp.join("secret.txt"),
        tmp.join("victim.txt"),
        tmp.join("lab/lab.json"),
        PathBuf::from("/etc/hostname"),
        PathBuf::from("/etc/passwd"),
        PathBuf::from(VETHLAB),
    ];
    Ok((secret, files))
}

/// One hostile lab file: refused with its precise error, or contained.
pub(crate) fn case(dir: &Path) -> Result<(), Failed> {
    let want = std::fs::read_to_string(dir.join("want.txt")).map_err(|e| fail(e.to_string()))?;
    let mut lines = want.lines();
    let kind = lines.next().unwrap_or("").trim().to_string();
    let wanted: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let tmp = tmp.path();
    let (secret, files) = secret_and_victim(tmp)?;
    let lab = tmp.join("lab");
    crate::copy_tree(dir, &lab).map_err(|e| fail(e.to_string()))?;
    let text = std::fs::read_to_string(lab.join("lab.json")).map_err(|e| fail(e.to_string()))?;
    std::fs::write(lab.join("lab.json"), subst(&text, tmp)).map_err(|e| fail(e.to_string()))?;
    if let Ok(links) = std::fs::read_to_string(dir.join("links.txt")) {
        for l in links.lines() {
            if let Some((at, to)) = l.split_once(" -> ") {
                let at = lab.join(at.trim());
                if let Some(p) = at.parent() {
                    std::fs::create_dir_all(p).map_err(|e| fail(e.to_string()))?;
                }
                std::os::unix::fs::symlink(subst(to.trim(), tmp), &at)
                    .map_err(|e| fail(format!("symlink {}: {e}", at.display())))?;
            }
        }
    }
    let script = r#"
mkdir -p "$TMPD/run/out"
"$VETHLAB" run "$TMPD/lab/lab.json" --json "$TMPD/run/out/report.json" \
  --pcap-dir "$TMPD/run/out/pcaps" --html "$TMPD/run/out/html" \
  > "$TMPD/run/stdout" 2> "$TMPD/run/stderr" < /dev/null
echo $? > "$TMPD/run/rc"
"#;
    let (before, after) = in_standin(tmp, script, &files)?;
    let read = |n: &str| std::fs::read_to_string(tmp.join("run").join(n)).unwrap_or_default();
    let (stdout, stderr) = (read("stdout"), read("stderr"));
    let rc: i32 = read("rc").trim().parse().unwrap_or(-1);
    let mut bad = vec![];
    match kind.as_str() {
        "refused" => {
            if rc != 2 {
                bad.push(format!("exit {rc}, not 2"));
            }
            for w in &wanted {
                if !stderr.contains(w) {
                    bad.push(format!("stderr lacks `{w}`"));
                }
            }
            if stderr.lines().count() != 1 || !stdout.is_empty() {
                bad.push("a refusal is one line on stderr and nothing else".into());
            }
            let wrote =
                std::fs::read_dir(tmp.join("run/out")).is_ok_and(|mut d| d.next().is_some());
            if wrote {
                bad.push("a refused lab wrote output files".into());
            }
        }
        "contained" => {
            if rc == 2 || !(0..128).contains(&rc) {
                bad.push(format!("exit {rc}: the run did not complete"));
            }
            for w in &wanted {
                if !stdout.contains(w) {
                    bad.push(format!("stdout lacks `{w}`"));
                }
            }
        }
        k => bad.push(format!(
            "want.txt must start with `refused` or `contained`, not `{k}`"
        )),
    }
    if stderr.contains("panicked") {
        bad.push("panicked".into());
    }
    if before != after {
        bad.push(format!(
            "the stand-in caller changed:\n{}",
            diff(&before, &after)
        ));
    }
    let leaks = holders(&tmp.join("run"), secret.as_bytes());
    let leaks: Vec<&String> = leaks.iter().filter(|p| !p.ends_with("/stderr")).collect();
    if !leaks.is_empty() {
        bad.push(format!("the secret reached {leaks:?}"));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(fail(format!(
            "{}\nexit {rc}\nstderr: {stderr}\nstdout: {stdout}",
            bad.join("\n")
        )))
    }
}

/// Were validation bypassed, the sandbox itself holds: a shell inside a
/// lab (root there) tries what a hostile lab would, and the kernel refuses.
pub(crate) fn sandbox_holds() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let tmp = tmp.path();
    let (secret, files) = secret_and_victim(tmp)?;
    std::fs::create_dir_all(tmp.join("lab")).map_err(|e| fail(e.to_string()))?;
    std::fs::write(tmp.join("lab/lab.json"), "{}").map_err(|e| fail(e.to_string()))?;
    // A file only its group may read (the caller's supplementary groups are
    // kept mapped in a rootless sandbox), and a socket standing in for
    // /dev/log: neither exists inside.
    let group_only = tmp.join("group-only.txt");
    std::fs::write(&group_only, &secret).map_err(|e| fail(e.to_string()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&group_only, std::fs::Permissions::from_mode(0o040))
        .map_err(|e| fail(e.to_string()))?;
    let _sock = std::os::unix::net::UnixDatagram::bind(tmp.join("log.sock"))
        .map_err(|e| fail(e.to_string()))?;
    // Each attempt prints `ESCAPED <what>` only if the kernel let it through.
    let attempts = r#"
try() { what=$1; shift; if "$@" 2>/dev/null; then echo "ESCAPED $what"; else echo "refused $what"; fi; }
v=$(cat /proc/sys/vm/swappiness)
try vm.swappiness sh -c "echo $v > /proc/sys/vm/swappiness"
try core_pattern sh -c "cat /proc/sys/kernel/core_pattern > /proc/sys/kernel/core_pattern"
try modprobe-path sh -c "cat /proc/sys/kernel/modprobe > /proc/sys/kernel/modprobe"
try unshare-then-sysctl unshare -U -r sh -c "echo $v > /proc/sys/vm/swappiness"
try victim-file sh -c "echo pwned > $TMPD/victim.txt"
try new-file-in-tmp sh -c "echo pwned > $TMPD/new.txt"
try remount-rw mount -o remount,bind,rw /
try sysrq sh -c "echo h > /proc/sysrq-trigger"
for d in /dev/vda /dev/sda /dev/nvme0n1 /dev/xvda; do
  [ -b "$d" ] && try "open-$d-rw" sh -c "exec 3<>$d"
done
try mknod mknod "$TMPD/run/null2" c 1 3
try see-caller-processes sh -c "ps -e -o comm= | grep -q '^labs-'"
try signal-caller sh -c "pkill -0 '^labs-'"
try nsenter-to-caller sh -c "nsenter -t 1 -n ip -o link | grep -q caller0"
try caller-iface-visible sh -c "ip -o link | grep -q caller0"
try reach-caller-address ping -c1 -W1 10.99.0.1
# The sandbox's own root: nothing of the caller's filesystem but programs.
try list-caller-dir ls "$TMPD"
try read-secret cat "$TMPD/secret.txt"
try read-group-only-file cat "$TMPD/group-only.txt"
try caller-socket test -e "$TMPD/log.sock"
try dev-log test -e /dev/log
try dbus-socket test -e /run/dbus/system_bus_socket
try run-cni test -e /run/cni
try etc-shadow test -e /etc/shadow
try home-dirs ls /home
try host-run sh -c "ls -A /run /var/run | grep -q -e dbus -e systemd -e '^user$' -e cni -e docker -e containerd -e utmp -e lock"
try host-dev-nodes sh -c "ls /dev | grep -q -e '^vd' -e '^sd' -e '^nvme' -e '^kmsg$' -e '^mem$'"
# Contained, not refused: these change only the sandbox's own namespaces.
hostname pwned-inside 2>/dev/null
mount -t tmpfs none "$TMPD/lab" 2>/dev/null && touch "$TMPD/lab/inside" 2>/dev/null
"#;
    // The stand-in's network namespace, as its processes see it.
    let script = format!(
        "CALLER_NET=$(readlink /proc/self/ns/net); export CALLER_NET\n\
         \"$VETHLAB\" shell veth-pair --step 2 -- sh -c '{}' > \"$TMPD/run/stdout\" 2> \"$TMPD/run/stderr\" < /dev/null\n\
         echo $? > \"$TMPD/run/rc\"",
        attempts.replace('\'', "'\\''")
    );
    let (before, after) = in_standin(tmp, &script, &files)?;
    let read = |n: &str| std::fs::read_to_string(tmp.join("run").join(n)).unwrap_or_default();
    let out = read("stdout");
    let refused = out.lines().filter(|l| l.starts_with("refused ")).count();
    let mut bad: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("ESCAPED"))
        .map(str::to_string)
        .collect();
    if refused < 24 {
        bad.push(format!(
            "only {refused} attempts ran:\n{out}\nstderr: {}",
            read("stderr")
        ));
    }
    if before != after {
        bad.push(format!(
            "the stand-in caller changed:\n{}",
            diff(&before, &after)
        ));
    }
    if tmp.join("new.txt").exists() || tmp.join("run/null2").exists() {
        bad.push("a file appeared outside the sandbox".into());
    }
    if out.contains(&secret) {
        bad.push("the secret was printed".into());
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(fail(bad.join("\n")))
    }
}

/// Result files go only inside the directories the user named, never
/// through a symlink found there (planted by someone else in a shared
/// directory): the run says so and fails, and the symlinks' targets stay as
/// they were.
pub(crate) fn outputs_never_follow_symlinks() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let tmp = tmp.path();
    let io = |e: std::io::Error| fail(e.to_string());
    std::fs::create_dir_all(tmp.join("victim")).map_err(io)?;
    std::fs::write(tmp.join("victim.txt"), "the caller's file\n").map_err(io)?;
    std::fs::create_dir_all(tmp.join("out/pcaps")).map_err(io)?;
    std::fs::create_dir_all(tmp.join("out/html")).map_err(io)?;
    std::os::unix::fs::symlink(tmp.join("victim"), tmp.join("out/pcaps/veth-pair")).map_err(io)?;
    std::os::unix::fs::symlink(tmp.join("victim.txt"), tmp.join("out/html/veth-pair.html"))
        .map_err(io)?;
    let out = Command::new(VETHLAB)
        .args(["run", "veth-pair", "--pcap-dir"])
        .arg(tmp.join("out/pcaps"))
        .arg("--html")
        .arg(tmp.join("out/html"))
        .output()
        .map_err(io)?;
    let err = String::from_utf8_lossy(&out.stderr);
    let mut bad = vec![];
    if out.status.code() != Some(1) || !err.contains("symlink") {
        bad.push(format!("exit {:?}, stderr: {err}", out.status.code()));
    }
    let victims: Vec<_> = std::fs::read_dir(tmp.join("victim")).map_err(io)?.collect();
    if !victims.is_empty() {
        bad.push(format!(
            "{} entries written through the directory symlink",
            victims.len()
        ));
    }
    if std::fs::read_to_string(tmp.join("victim.txt")).map_err(io)? != "the caller's file\n" {
        bad.push("the HTML page was written through the file symlink".into());
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(fail(bad.join("\n")))
    }
}
