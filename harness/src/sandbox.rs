//! The run's private root. Before any thread starts, the process leaves the
//! caller's network and mount namespaces (and, when not root, enters a new user
//! namespace). Every lab node is then a further namespace held only by file
//! descriptors, so the caller's network cannot be touched and nothing outlives
//! the process, whatever kills it.

use crate::error::{Error, Result};
use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::unistd::{getgid, getuid};
use std::fs;

/// How the sandbox was entered: shown in reports, used by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Root,
    Rootless,
}

/// Each lab namespace holds a few fds (the namespace, its netlink socket,
/// its runtime's epoll and eventfd): 500 pods exceed the common soft limit
/// of 1024. Raise the soft limit to the hard one, as servers do.
fn raise_nofile() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// Enter the sandbox. Must be the first thing `main` does: unsharing a user
/// namespace is refused once the process has a second thread.
pub fn enter() -> Result<Mode> {
    raise_nofile();
    let uid = getuid();
    let gid = getgid();
    let mode = if uid.is_root() {
        unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS).map_err(|e| {
            Error::Privilege(format!(
                "vethlab: cannot create network and mount namespaces ({e}).\n\
                 Running as root without CAP_SYS_ADMIN/CAP_NET_ADMIN? In Docker, use --privileged or\n\
                 --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN --security-opt seccomp=unconfined"
            ))
        })?;
        Mode::Root
    } else {
        unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWNS)
            .map_err(|e| Error::Privilege(rootless_refused(e)))?;
        // Map ourselves to root inside; setgroups must be denied before gid_map.
        let w =
            |p: &str, s: String| fs::write(p, s).map_err(|e| Error::io(format!("write {p}"), e));
        w("/proc/self/setgroups", "deny".into())?;
        w("/proc/self/uid_map", format!("0 {uid} 1"))?;
        w("/proc/self/gid_map", format!("0 {gid} 1"))?;
        Mode::Rootless
    };
    root_slave().map_err(|e| Error::Privilege(format!("vethlab: {e}")))?;
    // Docker without --privileged mounts /proc/sys read-only; lab namespaces
    // need their own sysctls (ip_forward, proxy_arp, ARP timers). Writable
    // again in our mount namespace only. Elsewhere /proc/sys is no mount of
    // its own and this fails harmlessly.
    let _ = mount(
        None::<&str>,
        "/proc/sys",
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND,
        None::<&str>,
    );
    Ok(mode)
}

/// Make `/` a recursive slave in the current mount namespace: mounts made
/// here never propagate back to the caller's. Must precede any mount.
pub fn root_slave() -> Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .map_err(|e| Error::other(format!("cannot make / a slave mount ({e})")))
}

fn rootless_refused(e: nix::Error) -> String {
    let read = |p: &str| fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    let mut why = String::new();
    if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
        why = "kernel.unprivileged_userns_clone is 0; enable it with: sudo sysctl -w kernel.unprivileged_userns_clone=1\n".into();
    } else if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1")
    {
        why = "AppArmor restricts unprivileged user namespaces; allow them with: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0\n".into();
    } else if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        why = "user.max_user_namespaces is 0; raise it with: sudo sysctl -w user.max_user_namespaces=10000\n".into();
    } else if e == nix::Error::ENOSPC {
        why = "the user-namespace limit (user.max_user_namespaces, here or in an enclosing namespace) is used up;\n\
               raise it with: sudo sysctl -w user.max_user_namespaces=10000\n"
            .into();
    }
    format!(
        "vethlab: not root, and this kernel refuses an unprivileged user namespace ({e}).\n{why}\
         Or run as root: sudo vethlab ... (or sudo -E cargo test)."
    )
}
