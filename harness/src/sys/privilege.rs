//! Why the sandbox could not be entered, in words that say what to do:
//! missing capabilities, user namespaces refused or used up, Docker flags.

use nix::sched::{unshare, CloneFlags};
use std::fs;

pub(crate) fn privilege_msg(e: nix::Error, root: bool) -> String {
    let how = if root {
        "Running as root without CAP_SYS_ADMIN/CAP_NET_ADMIN? In Docker, use --privileged or\n\
         --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN (and --security-opt seccomp=unconfined\n\
         where the engine's seccomp profile still refuses unshare)"
    } else {
        "Or run as root: sudo vethlab ... (or sudo -E cargo test)."
    };
    format!(
        "vethlab: cannot create the sandbox's namespaces ({e}).\n{}{how}",
        diagnose(e, !root)
    )
}

/// Root's sandbox (a user namespace with network, mount, UTS and IPC ones)
/// refused: the limit that refused it named by its sysctl when one is 0 or
/// used up (user.max_net_namespaces as much as user.max_user_namespaces),
/// else the usual suspects.
pub(crate) fn root_sandbox_refused(e: nix::Error) -> String {
    let read = |p: &str| fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    let mut why = String::new();
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        why += "user.max_user_namespaces is 0 here; raise it with: sudo sysctl -w user.max_user_namespaces=10000\n";
    }
    why += &diagnose(e, false);
    if why.is_empty() {
        why += "a namespace limit (user.max_user_namespaces, user.max_net_namespaces) in an enclosing \
                namespace, or a seccomp profile refusing unshare (in Docker: --security-opt seccomp=unconfined)\n";
    }
    format!("vethlab: cannot create the sandbox's user namespace as root ({e}).\n{why}")
}

pub(crate) fn rootless_refused(e: nix::Error) -> String {
    format!(
        "vethlab: not root, and this kernel refuses an unprivileged user namespace ({e}).\n{}\
         Or run as root: sudo vethlab ... (or sudo -E cargo test).",
        diagnose(e, true)
    )
}

/// Which limit refused a namespace, found by trying: a child process
/// (we are still single-threaded) unshares a user namespace alone, then a
/// network namespace inside it. `None` when both succeed there.
fn probe_limit(rootless: bool) -> Option<(&'static str, nix::Error)> {
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::{fork, ForkResult};
    // SAFETY: single-threaded here (sandbox entry precedes every thread);
    // the child only makes syscalls and _exits.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            let code = |e: nix::Error, base: i32| base + (e as i32).min(99);
            let r = if rootless {
                unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| code(e, 100))
            } else {
                Ok(())
            };
            let r = r.and_then(|_| unshare(CloneFlags::CLONE_NEWNET).map_err(|e| code(e, 200)));
            // SAFETY: _exit in a forked child.
            unsafe { libc::_exit(r.err().unwrap_or(0).min(255)) }
        }
        Ok(ForkResult::Parent { child }) => match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, c)) if (100..200).contains(&c) => {
                Some(("user", nix::Error::from_raw(c - 100)))
            }
            Ok(WaitStatus::Exited(_, c)) if c >= 200 => {
                Some(("net", nix::Error::from_raw(c - 200)))
            }
            _ => None,
        },
        Err(_) => None,
    }
}

fn status_field(k: &str) -> Option<String> {
    fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(k))
        .map(|v| v.trim().to_string())
}

/// "lacks CAP_X (what for), ..." when this process's effective set misses
/// a capability a run needs.
pub fn missing_caps() -> Option<String> {
    let eff = u64::from_str_radix(&status_field("CapEff:")?, 16).ok()?;
    let missing: Vec<String> = CAPS
        .iter()
        .filter(|(bit, _, _)| eff & (1 << bit) == 0)
        .map(|(_, n, what)| format!("CAP_{n} ({what})"))
        .collect();
    (!missing.is_empty()).then(|| format!("lacks {}", missing.join(", ")))
}

/// Capabilities (bit numbers) a run needs, with what each is for.
const CAPS: &[(u32, &str, &str)] = &[
    (21, "SYS_ADMIN", "namespaces and mounts"),
    (12, "NET_ADMIN", "devices, addresses and routes"),
    (13, "NET_RAW", "captures and ping"),
];

/// Why the kernel refused the sandbox's namespaces, and what to do: a
/// used-up or zero namespace limit (user.max_user_namespaces,
/// user.max_net_namespaces, here or in an enclosing namespace), AppArmor's
/// restriction of unprivileged user namespaces, Debian's
/// unprivileged_userns_clone, missing capabilities or a seccomp filter in a
/// container. One line per finding, each ending in a newline.
pub fn diagnose(e: nix::Error, rootless: bool) -> String {
    let read = |p: &str| fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    let mut why = String::new();
    if rootless {
        if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
            why += "kernel.unprivileged_userns_clone is 0; enable it with: sudo sysctl -w kernel.unprivileged_userns_clone=1\n";
        }
        if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
            why += "AppArmor restricts unprivileged user namespaces; allow them with: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0\n";
        }
    }
    let limit = |name: &str, how: &str| {
        // A nested user namespace shows its own limit (often INT_MAX): the
        // one hit may be an ancestor's, so the value is shown only if low.
        let v = read(&format!("/proc/sys/user/max_{name}_namespaces"))
            .filter(|v| v.len() < 10)
            .map(|v| format!(" ({v} here)"))
            .unwrap_or_default();
        format!(
            "user.max_{name}_namespaces{v} is {how}, here or in an enclosing user namespace;\n\
             raise it with: sudo sysctl -w user.max_{name}_namespaces=10000\n"
        )
    };
    for name in ["user", "net"] {
        if (rootless || name == "net")
            && read(&format!("/proc/sys/user/max_{name}_namespaces")).as_deref() == Some("0")
        {
            why += &limit(name, "0");
        }
    }
    if why.is_empty() && e == nix::Error::ENOSPC {
        why += &match probe_limit(rootless) {
            Some((name, nix::Error::ENOSPC)) => limit(name, "used up"),
            _ => limit(
                if rootless { "user" } else { "net" },
                "used up (or another namespace limit)",
            ),
        };
    }
    if !rootless && matches!(e, nix::Error::EPERM | nix::Error::EACCES) {
        if let Some(m) = missing_caps() {
            why += &format!(
                "root here {m}; in Docker: --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN (or --privileged)\n"
            );
        }
        if status_field("Seccomp:").as_deref() == Some("2") {
            why += "a seccomp filter is active (Docker's default profile refuses unshare and setns): --security-opt seccomp=unconfined\n";
        }
    }
    why
}
