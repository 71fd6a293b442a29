//! A handle to one network namespace: an fd that holds it, a netlink
//! connection opened inside it, and a way to run closures there. Sockets
//! (netlink, pcap, raw ICMP, UDP) are opened inside, so they belong to the
//! namespace for good, and are then used from anywhere.
//!
//! Closures run on the workers of `sys::pool`, which `setns` into the
//! namespace for each job; a new namespace is made on one, one ahead of need
//! (see `SPARE`). The caller's own namespace is the one exception: entering
//! it needs CAP_SYS_ADMIN, so it gets a thread of its own that never leaves
//! it (an unprivileged `vethlab peers` reads it that way).

use super::pool::{on_pool, Job};
pub use super::spare::{drop_spare, expect, limit_hit};
use super::spare::{take_made, Made};
use crate::error::{Context, Error, Result};
use nix::sched::{setns, unshare, CloneFlags};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// Where a namespace's closures run.
enum Exec {
    Pool,
    /// A thread living in the namespace for good (the caller's own).
    Own(Option<mpsc::Sender<Job>>, Option<JoinHandle<()>>),
}

/// A network namespace (a lab node): its fd, a thread living in it, and a netlink handle.
pub struct Netns {
    name: String,
    fd: OwnedFd,
    exec: Exec,
    nl: rtnetlink::Handle,
    /// This namespace's own single-threaded runtime: a netlink request is
    /// answered on the calling thread (send, wait, read), with no hop through
    /// a worker thread; that hop cost ~100 µs per request.
    rt: tokio::runtime::Runtime,
}

/// Sysctls every lab namespace gets before it holds any device, so new
/// devices copy them from `conf/default` (a child namespace's IPv6 defaults
/// are the kernel's, never the caller's: `devconf_inherit_init_net`). IPv6
/// stays on, as on the articles' machines (`::1`, link-local addresses
/// derived from each device's MAC), without the traffic that would break
/// captures of the lab's own frames:
/// - `accept_dad=0`: no duplicate-address probe (a neighbour solicitation
///   from `::`) and no address left `tentative` for a second or more;
/// - `router_solicitations=0`: no router solicitation to `ff02::2`;
/// - `mld*_unsolicited_report_interval=1`: the MLD reports a new address
///   sends for its solicited-node group (no sysctl stops them: the kernel
///   repeats them `mld_qrv` times, a global) all leave within a few jiffies
///   of the device coming up, before a step's captures start, instead of
///   at random up to 1 s (MLDv2) or 10 s (MLDv1) later.
///
/// The directory is looked up once: in a new namespace, the lookup of
/// `ipv6` (or `ipv4`) walks past every other live namespace's entry of that
/// name, ~0.7 µs each (350 µs with 500 alive); the files below it are cheap.
const LAB_SYSCTLS: (&str, &[(&str, &str)]) = (
    "/proc/sys/net/ipv6/conf",
    &[
        ("default/accept_dad", "0"),
        ("default/router_solicitations", "0"),
        ("default/mldv2_unsolicited_report_interval", "1"),
        ("default/mldv1_unsolicited_report_interval", "1"),
    ],
);

/// What a node with IPv6 off (`"ipv6": false`) gets on top: no `::1` on lo,
/// no link-local address on any device it will hold.
const NO_IPV6: (&str, &[(&str, &str)]) = (
    "/proc/sys/net/ipv6/conf",
    &[("default/disable_ipv6", "1"), ("lo/disable_ipv6", "1")],
);

/// Write `LAB_SYSCTLS` in the calling thread's namespace. A kernel without
/// IPv6 has no such files: nothing to set.
pub(super) fn lab_sysctls() {
    write_all(LAB_SYSCTLS);
}

fn write_all((dir, files): (&str, &[(&str, &str)])) {
    let Ok(d) = File::open(dir) else { return };
    for (f, v) in files {
        write_at(&d, f, v);
    }
}

/// Best effort: write `value` to the sysctl file `rel` under the open
/// directory `dir` (one lookup of the directory for many files, see
/// `LAB_SYSCTLS`); a file this kernel lacks is skipped.
pub(crate) fn write_at(dir: &File, rel: &str, value: &str) {
    use nix::fcntl::{openat, OFlag};
    let flags = OFlag::O_WRONLY | OFlag::O_CLOEXEC;
    if let Ok(fd) = openat(dir, rel, flags, nix::sys::stat::Mode::empty()) {
        let _ = nix::unistd::write(&fd, value.as_bytes());
    }
}

pub(crate) fn own_ns_fd() -> Result<OwnedFd> {
    Ok(File::open("/proc/thread-self/ns/net")
        .map_err(|e| Error::io("open /proc/thread-self/ns/net", e))?
        .into())
}

/// The netlink connection, opened in the calling thread's namespace.
pub(super) fn connect() -> Result<(rtnetlink::Handle, tokio::runtime::Runtime)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| Error::io("tokio runtime", e))?;
    let _guard = rt.enter();
    let (conn, nl, _) = rtnetlink::new_connection().map_err(|e| Error::io("netlink socket", e))?;
    rt.spawn(conn);
    drop(_guard);
    Ok((nl, rt))
}

/// Hand back an untouched namespace (no device made in it, no setting
/// changed since it was made): it becomes the spare if there is none,
/// instead of a new one made and this one torn down. Else it is dropped.
pub fn recycle(ns: Netns) {
    let Netns {
        fd, exec, nl, rt, ..
    } = ns;
    if matches!(exec, Exec::Pool) {
        super::spare::offer((fd, nl, rt));
    }
}

impl Netns {
    /// A fresh, anonymous namespace named `name` for messages.
    pub fn new(name: &str) -> Result<Netns> {
        Ok(Self::pooled(name, take_made()?))
    }

    /// A handle on an existing namespace (e.g. a real host's) given its fd;
    /// nothing is changed in it.
    pub fn attach(name: &str, fd: OwnedFd) -> Result<Netns> {
        let made = on_pool(move || -> Result<Made> {
            setns(&fd, CloneFlags::CLONE_NEWNET).context(|| "setns".into())?;
            let (nl, rt) = connect()?;
            Ok((fd, nl, rt))
        })??;
        Ok(Self::pooled(name, made))
    }

    /// A namespace whose closures run on the pool workers.
    fn pooled(name: &str, (fd, nl, rt): Made) -> Netns {
        Netns {
            name: name.to_string(),
            fd,
            exec: Exec::Pool,
            nl,
            rt,
        }
    }

    /// A handle on the caller's own namespace: needs no privilege (setns
    /// would), so an unprivileged `vethlab peers` can still read it.
    pub fn current(name: &str) -> Result<Netns> {
        let (tx, rx) = mpsc::channel::<Job>();
        let (rtx, rrx) = mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name(format!("ns-{name}"))
            .stack_size(512 * 1024)
            .spawn(move || {
                let setup = own_ns_fd().and_then(|fd| connect().map(|(nl, rt)| (fd, nl, rt)));
                let ok = setup.is_ok();
                let _ = rtx.send(setup);
                if ok {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                }
            })
            .map_err(|e| Error::io("spawn namespace thread", e))?;
        let (fd, nl, rt) = rrx
            .recv()
            .map_err(|_| Error::Stopped("namespace thread died".into()))??;
        Ok(Netns {
            name: name.to_string(),
            fd,
            exec: Exec::Own(Some(tx), Some(thread)),
            nl,
            rt,
        })
    }

    /// Turn IPv6 off in this namespace, before it holds any device but lo
    /// (lo may be up: its `::1` goes). Not on a spare made ahead: most
    /// nodes keep IPv6, and this costs a lookup of `/proc/sys/net/ipv6`.
    pub fn disable_ipv6(&self) -> Result<()> {
        self.run(|| write_all(NO_IPV6))
    }

    /// The node's name, as the lab file gives it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The netlink handle for this namespace (drive it with [`Netns::block_on`]).
    pub fn nl(&self) -> &rtnetlink::Handle {
        &self.nl
    }

    /// Run a netlink future to completion on the calling thread.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The namespace's fd, borrowed.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The namespace's fd, as a raw number (e.g. for `/proc/PID/fd/N` or `setns`).
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Make `cmd` start inside this namespace, and die with us (PDEATHSIG):
    /// how plugins, daemons and scripts are run in a lab node.
    pub fn command_in(&self, cmd: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        let fd = self.raw_fd();
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: only prctl(2), getppid(2), setns(2) and _exit(2) between
        // fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                die_with_parent(parent)?;
                if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }

    /// Change notifications from this namespace's kernel (links, addresses,
    /// routes, neighbours), subscribed now: wait for state to arrive
    /// instead of polling for it.
    pub fn changes(&self) -> Result<Changes> {
        self.run(Changes::subscribe)?
            .map_err(|e| Error::io(format!("[{}] netlink notifications", self.name), e))
    }

    /// Run `f` inside the namespace and wait for its result; an error when
    /// the namespace cannot be entered or the job dies (never a panic: the
    /// environment can refuse setns).
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        match &self.exec {
            Exec::Pool => {
                // The worker enters this namespace for the job; the fd stays
                // ours, so the job gets a duplicate.
                let fd = self
                    .fd
                    .try_clone()
                    .map_err(|e| Error::io(format!("[{}] dup namespace fd", self.name), e))?;
                let name = self.name.clone();
                on_pool(move || {
                    setns(&fd, CloneFlags::CLONE_NEWNET)
                        .context(|| format!("[{name}] cannot enter the namespace: setns"))?;
                    Ok(f())
                })?
            }
            Exec::Own(tx, _) => {
                let (rtx, rrx) = mpsc::sync_channel(1);
                let job: Job = Box::new(move || {
                    let _ = rtx.send(f());
                });
                let dead =
                    || Error::Stopped(format!("[{}] the namespace's thread stopped", self.name));
                tx.as_ref()
                    .ok_or_else(dead)?
                    .send(job)
                    .map_err(|_| dead())?;
                rrx.recv().map_err(|_| dead())
            }
        }
    }

    /// Run `f` on a short-lived thread in this namespace with its own mount
    /// namespace and a fresh sysfs on /sys — what `ip netns exec` does, so that
    /// /sys/class/net shows this namespace's devices.
    pub fn with_sysfs<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.run(move || {
            std::thread::spawn(move || -> Result<T> {
                unshare(CloneFlags::CLONE_NEWNS).context(|| "unshare(CLONE_NEWNS)".into())?;
                // Slave first, or the new sysfs mount could propagate out.
                crate::sys::sandbox::root_slave()?;
                crate::sys::sandbox::mount_sysfs()?;
                Ok(f())
            })
            .join()
            .unwrap_or_else(|_| Err(Error::Panicked("the sysfs thread panicked".into())))
        })?
    }
}

// On `Exec`, not `Netns`: a pooled namespace can then be taken apart
// (`recycle`). The caller's own thread is joined when `exec` drops, after
// `fd` (a handle only: the thread's namespace stays the caller's).
impl Drop for Exec {
    fn drop(&mut self) {
        if let Exec::Own(tx, thread) = self {
            drop(tx.take());
            if let Some(t) = thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// In a child between fork and exec: die when `parent` dies. PDEATHSIG is
/// set only for a parent alive at that moment; if it died between fork and
/// prctl the child was already reparented and no signal will ever come, so
/// it checks, and exits.
///
/// # Safety
/// Only async-signal-safe calls: for use in `pre_exec` or after `fork`.
pub unsafe fn die_with_parent(parent: libc::pid_t) -> std::io::Result<()> {
    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if libc::getppid() != parent {
        libc::_exit(1);
    }
    Ok(())
}

/// A netlink socket subscribed to a namespace's link, address (IPv4 and
/// IPv6), route and neighbour notifications.
pub struct Changes(rtnetlink::sys::Socket);

impl Changes {
    /// Must run inside the namespace (it binds there).
    fn subscribe() -> std::io::Result<Changes> {
        use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
        let mut s = Socket::new(NETLINK_ROUTE)?;
        s.set_non_blocking(true)?;
        // IPv6's too: an address leaving `tentative`, a route, an NDP entry.
        let groups = libc::RTMGRP_LINK
            | libc::RTMGRP_NEIGH
            | libc::RTMGRP_IPV4_IFADDR
            | libc::RTMGRP_IPV4_ROUTE
            | libc::RTMGRP_IPV6_IFADDR
            | libc::RTMGRP_IPV6_ROUTE;
        s.bind(&SocketAddr::new(0, groups as u32))?;
        Ok(Changes(s))
    }

    /// Block until the kernel announces a change (true) or `deadline`
    /// passes (false); what was announced is consumed.
    pub fn wait(&self, deadline: std::time::Instant) -> bool {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut pfd = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll(2) on one pollfd we own.
        let n = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32) };
        if n <= 0 {
            return false;
        }
        // Non-blocking: drain what is queued (an overrun, ENOBUFS, also
        // means "something changed").
        let mut buf = Vec::with_capacity(8192);
        while matches!(self.0.recv(&mut buf, 0), Ok(n) if n > 0) {
            buf.clear();
        }
        true
    }
}

/// A namespace's neighbour announcements (ARP and NDP), heard from the
/// moment it subscribed: what a check reads when an entry it wants is gone.
pub struct NeighLog(rtnetlink::sys::Socket);

impl Netns {
    /// Subscribe to this namespace's neighbour announcements, now.
    pub fn neigh_log(&self) -> Result<NeighLog> {
        let sub = || -> std::io::Result<NeighLog> {
            use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
            let mut s = Socket::new(NETLINK_ROUTE)?;
            s.set_non_blocking(true)?;
            s.bind(&SocketAddr::new(0, libc::RTMGRP_NEIGH as u32))?;
            Ok(NeighLog(s))
        };
        self.run(sub)?.map_err(|e| {
            Error::io(
                format!("[{}] netlink neighbour notifications", self.name),
                e,
            )
        })
    }
}

impl NeighLog {
    /// What was announced since the last read, in order: (removed, entry).
    /// An overrun (ENOBUFS) ends the read: what was lost is not claimed.
    pub fn read(&self) -> Vec<(bool, crate::model::Neigh<std::net::IpAddr>)> {
        let mut out = vec![];
        let mut buf = Vec::with_capacity(16384);
        while matches!(self.0.recv(&mut buf, 0), Ok(n) if n > 0) {
            out.extend(super::netlink::neigh_announced(&buf));
            buf.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    /// A child told its parent is another process behaves as an orphan whose
    /// parent died before prctl: it exits (1) instead of running on.
    #[test]
    fn a_child_whose_parent_is_gone_exits_before_exec() {
        let run = |parent: libc::pid_t| {
            let mut c = Command::new("true");
            // SAFETY: die_with_parent is async-signal-safe.
            unsafe {
                c.pre_exec(move || super::die_with_parent(parent));
            }
            c.status().ok().and_then(|s| s.code())
        };
        assert_eq!(run(std::process::id() as libc::pid_t), Some(0));
        // A pid beyond pid_max is nobody's parent: the check must trip.
        assert_eq!(run(libc::pid_t::MAX), Some(1));
    }
}
