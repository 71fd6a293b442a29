//! The run's private root, entered before any thread starts. The process
//! forks once: the child is init of new PID, user, mount, network, UTS and
//! IPC namespaces and runs the program; the parent stays with the caller,
//! forwards signals and the exit status, and afterwards copies the result
//! files out (see `outputs`).
//!
//! Inside, the root filesystem is the run's own (see `minroot`: only the
//! programs a lab may run, the labs, private scratch), and `/proc` too.
//! As root, root inside maps to an unprivileged id range outside
//! (`ROOT_MAP_BASE`), so the kernel itself refuses writes to the host's files,
//! devices and global sysctls, module loading, and signals or ptrace to the
//! caller's processes; as a normal user, root inside is that user. Lab nodes
//! are further network namespaces owned by the run's user namespace, so the
//! run has full rights over them and none over anything else.

use crate::error::{Context, Error, Result};

use nix::errno::Errno;
use nix::mount::{mount, MsFlags};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sched::{unshare, CloneFlags};
use nix::sys::prctl;
use nix::sys::signal::{SigHandler, Signal};
use nix::sys::wait::WaitStatus;
use nix::unistd::{getgid, getuid, ForkResult, Pid};
use std::fs;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// How the sandbox was entered: shown in reports, used by tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Entered by real root: root inside maps to an unprivileged id range outside.
    Root,
    /// Entered by a normal user: root inside is that user.
    Rootless,
}

/// What of the host the sandbox shows besides the programs a lab may run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Host paths shown writable at the same place (the test binary's temp
    /// dir). Result files leave through `outputs`.
    pub writable: Vec<PathBuf>,
    /// Host paths shown read-only at the same place (the labs, their fixtures).
    pub readable: Vec<PathBuf>,
}

/// Where root of a sandbox entered by real root lands outside: 65536 ids
/// far above any account (so `tcpdump`'s drop to its own user still works
/// inside). Ids no account owns: files it may create are nobody's.
pub const ROOT_MAP_BASE: u32 = 0x7fff_0000;
const ROOT_MAP_LEN: u32 = 65536;

/// The sandbox's init, as seen from the caller's side (for signal forwarding).
static CHILD: AtomicI32 = AtomicI32::new(0);
/// Set in the sandbox's init once it is in.
static ENTERED: AtomicBool = AtomicBool::new(false);

/// Whether this process is the sandbox's init (it entered, and returned).
pub fn entered() -> bool {
    ENTERED.load(Ordering::SeqCst)
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

/// Paths `enter` shows read-only besides the labs (see `show_readonly`).
static SHOWN: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Before the sandbox: show `path` (a lab file, its fixtures directory)
/// read-only inside, at the same place, when it exists.
pub fn show_readonly(path: &std::path::Path) {
    if let Ok(mut v) = SHOWN.lock() {
        v.push(path.to_path_buf());
    }
}

/// Enter the sandbox showing the labs directory `labs` (the built-in labs
/// unpacked, or --labs/VETHLAB_LABS) and the shared fixtures beside it
/// (read-only). See `enter_with`.
pub fn enter(labs: Option<&std::path::Path>) -> Result<Mode> {
    let mut readable: Vec<PathBuf> = labs
        .map(|labs| vec![labs.join("../fixtures"), labs.to_path_buf()])
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    readable.extend(SHOWN.lock().map(|v| v.clone()).unwrap_or_default());
    enter_with(&Options {
        readable,
        ..Default::default()
    })
}

/// Enter the sandbox. Must be the first thing `main` does (a user or PID
/// namespace cannot be entered once the process has a second thread).
/// Returns in the sandbox's init; the caller's side never returns: it waits
/// for the run, delivers its result files and exits with its status.
pub fn enter_with(opts: &Options) -> Result<Mode> {
    raise_nofile();
    let uid = getuid();
    let gid = getgid();
    let root = uid.is_root();
    if root {
        // A container's root may lack what a run needs: say which, now,
        // rather than as EPERM deep in a step.
        if let Some(m) = missing_caps() {
            return Err(Error::Privilege(format!(
                "vethlab: root here {m}; in Docker: --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN (or --privileged)"
            )));
        }
    }
    if !root {
        // Our own user namespace first: it grants what the PID namespace and
        // the staging tmpfs below need. Root inside is us.
        unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS)
            .map_err(|e| Error::Privilege(rootless_refused(e)))?;
        let w =
            |p: &str, s: String| fs::write(p, s).map_err(|e| Error::io(format!("write {p}"), e));
        w("/proc/self/setgroups", "deny".into())?;
        w("/proc/self/uid_map", format!("0 {uid} 1"))?;
        w("/proc/self/gid_map", format!("0 {gid} 1"))?;
    }
    let staging = if crate::sys::outputs::any() {
        Some(crate::sys::scratch::detached_tmpfs()?)
    } else {
        None
    };
    unshare(CloneFlags::CLONE_NEWPID).map_err(|e| Error::Privilege(privilege_msg(e, root)))?;
    // C -> P: "user namespace made, map it"; P -> C: "go on" (EOF: P died).
    let (up_r, up_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    // SAFETY: single-threaded here (enter runs before any thread); the child
    // continues as a normal process.
    match unsafe { nix::unistd::fork() } {
        Err(e) => Err(Error::sys("fork", e)),
        Ok(ForkResult::Child) => {
            drop(up_r);
            drop(go_w);
            // Should the caller's side die, so does the whole sandbox.
            let _ = prctl::set_pdeathsig(Signal::SIGKILL);
            // Killed between fork and prctl, the caller's side never says
            // "go on": `child` reads EOF on that pipe and ends.
            let r = child(root, opts, up_w, go_r);
            if let (Ok(_), Some(s)) = (&r, staging) {
                crate::sys::outputs::set_staging(s);
            }
            ENTERED.store(r.is_ok(), Ordering::SeqCst);
            r
        }
        Ok(ForkResult::Parent { child: pid }) => {
            drop(up_w);
            drop(go_r);
            CHILD.store(pid.as_raw(), Ordering::SeqCst);
            parent(root, pid, up_r, go_w, staging)
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).context(|| "pipe".into())
}

fn read_byte(fd: &OwnedFd) -> bool {
    let mut b = [0u8];
    loop {
        match nix::unistd::read(fd, &mut b) {
            Ok(n) => return n == 1,
            Err(Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

fn write_byte(fd: &OwnedFd) {
    let _ = nix::unistd::write(fd, b"x");
}

/// The sandbox's init: private mounts, then (as root) the user namespace the
/// caller's side maps, then the remaining namespaces.
fn child(root: bool, opts: &Options, up_w: OwnedFd, go_r: OwnedFd) -> Result<Mode> {
    let priv_err = |e: Error| Error::Privilege(format!("vethlab: {e}"));
    // Our own mount namespace: the caller's side keeps the host writable
    // (it delivers the result files).
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| Error::Privilege(privilege_msg(e, root)))?;
    mounts(opts, root).map_err(priv_err)?;
    if root {
        // Made by real root before the user namespace exists, so the copy
        // the new user namespace gets has every mount locked: nothing inside
        // can make the host writable again or look under /proc.
        unshare(
            CloneFlags::CLONE_NEWUSER
                | CloneFlags::CLONE_NEWNS
                | CloneFlags::CLONE_NEWNET
                | CloneFlags::CLONE_NEWUTS
                | CloneFlags::CLONE_NEWIPC,
        )
        // The limit that refused it, named by its sysctl (max_net_namespaces
        // as much as max_user_namespaces), found by trying.
        .map_err(|e| Error::Privilege(crate::sys::privilege::root_sandbox_refused(e)))?;
        write_byte(&up_w);
        if !read_byte(&go_r) {
            // SAFETY: the caller's side is gone: end without unwinding
            // (_exit(2) has no nix wrapper).
            unsafe { libc::_exit(1) };
        }
        // Become the mapped root: drop the host's groups and ids. Nested in
        // an unprivileged sandbox, setgroups is denied (and there are no
        // groups of the host's to drop).
        let denied =
            || fs::read_to_string("/proc/self/setgroups").is_ok_and(|s| s.trim() == "deny");
        let (uid, gid) = (nix::unistd::Uid::from_raw(0), nix::unistd::Gid::from_raw(0));
        nix::unistd::setgroups(&[])
            .or_else(|e| if denied() { Ok(()) } else { Err(e) })
            .and_then(|_| nix::unistd::setresgid(gid, gid, gid))
            .and_then(|_| nix::unistd::setresuid(uid, uid, uid))
            .map_err(|e| {
                Error::Privilege(format!(
                    "vethlab: cannot become root of the sandbox's user namespace: {e}"
                ))
            })?;
        // The id change made us undumpable, and then our own plugins and
        // daemons could not open /proc/1/fd/N (the scratch dir, a node's
        // namespace). Everything that could look is inside the sandbox.
        let _ = prctl::set_dumpable(true);
        // It also cleared the parent-death signal: arm it again, then make
        // sure the caller's side did not die in between (it holds the pipe's
        // write end until it exits).
        let _ = prctl::set_pdeathsig(Signal::SIGKILL);
        let mut p = [PollFd::new(go_r.as_fd(), PollFlags::POLLIN)];
        let hung_up = nix::poll::poll(&mut p, PollTimeout::ZERO).is_ok_and(|n| n > 0)
            && p[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLHUP));
        if hung_up {
            // SAFETY: as above, the caller's side is gone.
            unsafe { libc::_exit(1) };
        }
    } else {
        unshare(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC)
            .map_err(|e| Error::Privilege(privilege_msg(e, root)))?;
        if !read_byte(&go_r) {
            // SAFETY: the caller's side is gone: end without unwinding
            // (_exit(2) has no nix wrapper).
            unsafe { libc::_exit(1) };
        }
    }
    drop(up_w);
    // The run's /sys shows its own (empty) network namespace, not the
    // caller's devices.
    let _ = mount_sysfs();
    // No program run inside gains privileges by exec (setuid, file caps).
    prctl::set_no_new_privs().map_err(|e| Error::sys("prctl(PR_SET_NO_NEW_PRIVS)", e))?;
    init_signals();
    Ok(if root { Mode::Root } else { Mode::Rootless })
}

/// A private root (nothing propagates either way: the host's own mount
/// churn, e.g. a container starting, stays out of the run's view), then the
/// sandbox's own minimal root (see `minroot`) with its own /proc and /sys.
fn mounts(opts: &Options, root: bool) -> Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .context(|| "cannot make / a private mount".into())?;
    super::minroot::enter(&super::minroot::Plan {
        readable: &opts.readable,
        writable: &opts.writable,
        root,
    })
}

/// The caller's side: map the sandbox's user namespace (as root), then wait
/// for it, passing signals on; deliver its result files; exit as it did.
fn parent(root: bool, pid: Pid, up_r: OwnedFd, go_w: OwnedFd, staging: Option<OwnedFd>) -> ! {
    forward_signals();
    if root && read_byte(&up_r) {
        if let Err(e) = map_root(pid.as_raw()) {
            eprintln!("vethlab: {e}");
            let _ = nix::sys::signal::kill(pid, Signal::SIGKILL);
        }
    }
    write_byte(&go_w);
    // go_w stays open until we exit: the sandbox's init sees us die by it.
    let mut code = loop {
        match nix::sys::wait::waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, c)) => break c,
            Ok(WaitStatus::Signaled(_, sig, _)) => break 128 + sig as i32,
            Err(Errno::EINTR) | Ok(_) => continue,
            // No child to wait for: nothing ran to report success.
            Err(_) => break 1,
        }
    };
    drop(go_w);
    if let Some(s) = staging {
        if let Err(e) = crate::sys::outputs::deliver(&s) {
            eprintln!("vethlab: {e}");
            if code == 0 {
                code = 1;
            }
        }
    }
    std::process::exit(code)
}

/// Root inside the sandbox is an unprivileged id range outside. Nested in a
/// user namespace already (the test binary's), it is that namespace's uid 1
/// onwards where there are such ids (so nesting behaves as the top level
/// does: a real change of ids), else that namespace's root.
fn map_root(pid: i32) -> Result<()> {
    let own = fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    let init = own.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"];
    let (base, len) = if init {
        (ROOT_MAP_BASE, ROOT_MAP_LEN)
    } else {
        // The ids from 0 our own namespace has, up to 65536.
        let len = own
            .lines()
            .filter_map(|l| {
                let v: Vec<u32> = l
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                (v.len() == 3 && v[0] == 0).then_some(v[2])
            })
            .next()
            .unwrap_or(1)
            .min(ROOT_MAP_LEN);
        if len > 1 {
            (1, len - 1)
        } else {
            (0, 1)
        }
    };
    for f in ["uid_map", "gid_map"] {
        let p = format!("/proc/{pid}/{f}");
        fs::write(&p, format!("0 {base} {len}")).map_err(|e| Error::io(format!("write {p}"), e))?;
    }
    Ok(())
}

extern "C" fn pass_on(sig: libc::c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if let (true, Ok(sig)) = (pid > 0, Signal::try_from(sig)) {
        // kill(2) is async-signal-safe.
        let _ = nix::sys::signal::kill(Pid::from_raw(pid), sig);
    }
}

/// The caller's side passes termination signals to the sandbox's init,
/// which decides (a learner's shell keeps Ctrl-C for itself).
fn forward_signals() {
    for s in TERMINATING {
        // SAFETY: installing an async-signal-safe handler.
        let _ = unsafe { nix::sys::signal::signal(s, SigHandler::Handler(pass_on)) };
    }
}

extern "C" fn die(sig: libc::c_int) {
    // SAFETY: _exit(2) is async-signal-safe; the kernel tears the sandbox down.
    unsafe { libc::_exit(128 + sig) };
}

/// The signals that end a run, passed on or obeyed.
const TERMINATING: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// As init of its PID namespace the run would ignore every signal it has no
/// handler for: end as the default action would.
fn init_signals() {
    for s in TERMINATING {
        // SAFETY: installing an async-signal-safe handler.
        let _ = unsafe { nix::sys::signal::signal(s, SigHandler::Handler(die)) };
    }
}

/// A fresh sysfs on /sys for the calling thread's network namespace:
/// writable where the kernel allows it, else read-only (in Docker the only
/// sysfs in view is read-only, and a user namespace may not mount a
/// writable one; reading is all vethlab itself does there).
pub fn mount_sysfs() -> Result<()> {
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let m = |f: MsFlags| mount(Some("sysfs"), "/sys", Some("sysfs"), f, None::<&str>);
    match m(flags).or_else(|_| m(flags | MsFlags::MS_RDONLY)) {
        // This namespace's sysfs is on /sys already (a learner's shell
        // lives in that node): the kernel refuses the same superblock on
        // the same mount point, and /sys already shows what we want.
        Err(nix::errno::Errno::EBUSY) => Ok(()),
        r => r.context(|| "mount sysfs".into()),
    }
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
    .context(|| "cannot make / a slave mount".into())
}

pub use super::privilege::{diagnose, missing_caps};
use super::privilege::{privilege_msg, rootless_refused};
