//! The sandbox's own root: a fresh tmpfs holding only what a lab may run,
//! entered with pivot_root, the host's root detached. What is not listed
//! here does not exist inside: no host /run (D-Bus, CNI daemons, other
//! sockets), no /dev/log, no /home, /root, /var, /srv, no /etc/shadow, no
//! host device nodes but the harmless ones, no host /tmp.
//!
//! Read-only binds: the system's programs and libraries (/usr and the
//! merged-usr links, /opt/cni/bin), a few /etc files that hold no secret,
//! the labs and their fixtures, and this program. Generated: /etc/passwd
//! and /etc/group with the system accounts the tools switch to (tcpdump,
//! bird) and no one else, /etc/hosts. Private: /tmp, /root (HOME), /run,
//! /dev/shm, a devpts of its own. Only the mount calls of Linux 5.2 are
//! used: binds made read-only one mount at a time (MS_REMOUNT), keeping
//! each mount's locked flags.

use super::remount::{mounts_under, remount_one};
use crate::error::{Error, Result};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::fs;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

/// Where the new root may be put together (in the sandbox's private mount
/// namespace only; host paths are held by fds before it covers anything):
/// the first that no bound path holds (a recursive bind would copy the
/// new root into itself).
const STAGES: &[&str] = &["/run", "/mnt", "/media", "/srv", "/tmp", "/var/tmp"];

/// System directories bound read-only (a symlink at the top, as merged-usr
/// has, is made again as a symlink).
const SYSTEM: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/opt/cni/bin",
];

/// /etc entries a lab's tools read; none holds a secret.
const ETC: &[&str] = &[
    "nsswitch.conf",
    "protocols",
    "services",
    "ethertypes",
    "rpc",
    "networks",
    "host.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "alternatives",
    "iproute2",
    "terminfo",
    "bash.bashrc",
    "profile",
    "profile.d",
    "inputrc",
];

/// Host device nodes that give nothing away; bound writable (a read-only
/// mount would refuse writes to /dev/null).
const DEV: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// Accounts kept in the generated /etc/passwd and /etc/group: root, the
/// users tcpdump and BIRD switch to, nobody.
const ACCOUNTS: &[&str] = &["root", "daemon", "tcpdump", "bird", "nobody", "nogroup"];

/// One host path to show inside, held open before the stage covers it.
struct Bind {
    target: PathBuf,
    fd: OwnedFd,
    dir: bool,
    ro: bool,
    /// A system file: when the host replaced it since (a bind of a deleted
    /// file fails), left out rather than failing the run.
    optional: bool,
}

/// What to show of the host besides the system's programs: `readable`
/// read-only, `writable` as they are (the test binary's temp dir).
pub struct Plan<'a> {
    pub readable: &'a [PathBuf],
    pub writable: &'a [PathBuf],
    /// Entered by real root: /sys is a fresh sysfs of a throwaway network
    /// namespace; rootless, the host's (its files are real root's).
    pub root: bool,
}

fn open_path(p: &Path) -> Option<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(p)
        .ok()
        .map(OwnedFd::from)
}

fn bind(target: &Path, src: &Path, ro: bool) -> Option<Bind> {
    let fd = open_path(src)?;
    let dir = fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .ok()?
        .is_dir();
    Some(Bind {
        target: target.to_path_buf(),
        fd,
        dir,
        ro,
        optional: false,
    })
}

/// An absolute path, `.` and `..` taken lexically (as the new root, which
/// holds no symlinks on the way, will resolve it).
fn absolute(p: &Path) -> PathBuf {
    let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let mut out = PathBuf::from("/");
    for c in base.join(p).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

/// Everything to bind, in the order to mount it (parents first), and the
/// top-level symlinks to make.
fn gather(plan: &Plan) -> (Vec<Bind>, Vec<(PathBuf, PathBuf)>) {
    let mut binds = vec![];
    let mut links = vec![];
    for s in SYSTEM {
        let p = Path::new(s);
        match fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() && p.parent() == Some(Path::new("/")) => {
                if let Ok(t) = fs::read_link(p) {
                    links.push((p.to_path_buf(), t));
                }
            }
            Ok(_) => binds.extend(bind(p, p, true)),
            Err(_) => {}
        }
    }
    for e in ETC {
        let p = Path::new("/etc").join(e);
        binds.extend(bind(&p, &p, true).map(|b| Bind {
            optional: true,
            ..b
        }));
    }
    for d in DEV {
        let p = Path::new("/dev").join(d);
        binds.extend(bind(&p, &p, false));
    }
    let shown: Vec<PathBuf> = plan.readable.iter().map(|p| absolute(p)).collect();
    for (i, p) in plan.readable.iter().enumerate() {
        // Inside another shown directory already (a lab in the labs dir).
        let covered = shown
            .iter()
            .enumerate()
            .any(|(j, o)| j != i && shown[i].starts_with(o) && (shown[i] != *o || j < i));
        if !covered {
            binds.extend(bind(&shown[i], p, true));
        }
    }
    if let Ok(exe) = std::env::current_exe() {
        if !plan.readable.iter().any(|r| exe.starts_with(absolute(r))) {
            binds.extend(bind(&exe, &exe, true));
        }
    }
    for p in plan.writable {
        binds.extend(bind(&absolute(p), p, false));
    }
    binds.sort_by_key(|b| b.target.components().count());
    (binds, links)
}

fn err(what: String) -> impl FnOnce(nix::Error) -> Error {
    move |e| Error::sys(format!("sandbox root: {what}"), e)
}

fn staged(st: &Path, p: &Path) -> PathBuf {
    st.join(p.strip_prefix("/").unwrap_or(p))
}

fn pick_stage(binds: &[Bind]) -> Result<PathBuf> {
    STAGES
        .iter()
        .map(PathBuf::from)
        .find(|s| s.is_dir() && !binds.iter().any(|b| s.starts_with(&b.target)))
        .ok_or_else(|| {
            Error::Privilege(format!(
                "sandbox root: no directory to build it on (one of {} not shown to the lab)",
                STAGES.join(", ")
            ))
        })
}

fn tmpfs(at: &Path, mode: &str) -> Result<()> {
    fs::create_dir_all(at).map_err(|e| Error::io(format!("mkdir {}", at.display()), e))?;
    mount(
        Some("tmpfs"),
        at,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(format!("mode={mode}").as_str()),
    )
    .map_err(err(format!("tmpfs on {}", at.display())))
}

/// Build the new root and enter it. Call in a private mount namespace,
/// before the sandbox's own /proc and /sys exist.
pub fn enter(plan: &Plan) -> Result<()> {
    let (binds, links) = gather(plan);
    let passwd = accounts("/etc/passwd");
    let group = accounts("/etc/group");
    let cwd = std::env::current_dir().ok();
    let stage = pick_stage(&binds)?;
    let st = stage.as_path();
    tmpfs(st, "755")?;
    let io = |what: &str, p: &Path| {
        let s = format!("{what} {}", p.display());
        move |e| Error::io(s, e)
    };
    for d in ["etc", "proc", "sys", "run", "var"] {
        let p = staged(st, Path::new(d));
        fs::create_dir(&p).map_err(io("mkdir", &p))?;
    }
    std::os::unix::fs::symlink("../run", staged(st, Path::new("var/run")))
        .map_err(io("symlink", Path::new("/var/run")))?;
    std::os::unix::fs::symlink("../tmp", staged(st, Path::new("var/tmp")))
        .map_err(io("symlink", Path::new("/var/tmp")))?;
    for (p, t) in &links {
        std::os::unix::fs::symlink(t, staged(st, p)).map_err(io("symlink", p))?;
    }
    let w = |p: &str, s: &str| {
        fs::write(staged(st, Path::new(p)), s).map_err(io("write", Path::new(p)))
    };
    w("etc/passwd", &passwd)?;
    w("etc/group", &group)?;
    w(
        "etc/hosts",
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    )?;
    if let Some(c) = &cwd {
        // The caller's directory, empty unless a bind below fills it: a
        // relative lab path resolves as it did outside.
        let _ = fs::create_dir_all(staged(st, c));
    }
    tmpfs(&staged(st, Path::new("tmp")), "1777")?;
    tmpfs(&staged(st, Path::new("root")), "700")?;
    make_dev(st)?;
    for b in &binds {
        match mount_bind(st, b) {
            Err(_) if b.optional => {}
            r => r?,
        }
    }
    own_proc_sys(st, plan.root)?;
    for p in ["dev", ""] {
        let at = staged(st, Path::new(p));
        remount_one(&at, true)?;
    }
    pivot(st)?;
    if let Some(c) = cwd.filter(|c| c.is_dir()) {
        let _ = std::env::set_current_dir(c);
    }
    // The learner's shell starts at home: a private, empty one.
    std::env::set_var("HOME", "/root");
    Ok(())
}

/// A /dev of its own: the harmless nodes (bound later), a devpts instance
/// of its own (the host's terminals are not in it), /dev/shm, the usual links.
fn make_dev(st: &Path) -> Result<()> {
    let dev = staged(st, Path::new("dev"));
    tmpfs(&dev, "755")?;
    let pts = dev.join("pts");
    fs::create_dir(&pts).map_err(|e| Error::io("mkdir /dev/pts", e))?;
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(err("devpts on /dev/pts".into()))?;
    tmpfs(&dev.join("shm"), "1777")?;
    for (l, t) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(t, dev.join(l))
            .map_err(|e| Error::io(format!("ln /dev/{l}"), e))?;
    }
    Ok(())
}

fn mount_bind(st: &Path, b: &Bind) -> Result<()> {
    let at = staged(st, &b.target);
    let made = if b.dir {
        fs::create_dir_all(&at)
    } else {
        at.parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|_| match at.exists() {
                true => Ok(()),
                false => fs::File::create(&at).map(|_| ()),
            })
    };
    made.map_err(|e| Error::io(format!("mount point {}", b.target.display()), e))?;
    let src = format!("/proc/self/fd/{}", b.fd.as_raw_fd());
    let mut flags = MsFlags::MS_BIND;
    if b.dir {
        flags |= MsFlags::MS_REC;
    }
    mount(Some(src.as_str()), &at, None::<&str>, flags, None::<&str>)
        .map_err(err(format!("bind {}", b.target.display())))?;
    // A file's bind has no submounts: no need to read mountinfo.
    match (b.ro, b.dir) {
        (false, _) => {}
        (true, false) => remount_one(&at, true)?,
        (true, true) => {
            for m in mounts_under(&at) {
                remount_one(&m, true)?;
            }
        }
    }
    Ok(())
}

/// The sandbox's own /proc (of its PID namespace) and a sysfs: as root, a
/// fresh one of a throwaway network namespace (a user namespace may mount
/// each node's sysfs only while an unmasked, writable sysfs is in view, and
/// Docker's is neither); rootless, the host's, whose files are real root's.
fn own_proc_sys(st: &Path, root: bool) -> Result<()> {
    let sys = staged(st, Path::new("sys"));
    let fresh = root
        && nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).is_ok()
        && mount(
            Some("sysfs"),
            &sys,
            Some("sysfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            None::<&str>,
        )
        .is_ok();
    if !fresh {
        mount(
            Some("/sys"),
            &sys,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(err("bind /sys".into()))?;
    }
    mount(
        Some("proc"),
        &staged(st, Path::new("proc")),
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|e| {
        Error::Privilege(format!(
            "cannot mount the sandbox's own /proc ({e}); in Docker use --security-opt apparmor=unconfined"
        ))
    })
}

/// Into the new root; the host's is detached from this mount namespace.
fn pivot(st: &Path) -> Result<()> {
    std::env::set_current_dir(st).map_err(|e| Error::io("chdir to the new root", e))?;
    // SAFETY: pivot_root(2) with two static, NUL-terminated paths.
    let r = unsafe { libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EPERM) {
            return Err(Error::io("pivot_root", e));
        }
        // Docker's default seccomp profile refuses pivot_root even with
        // CAP_SYS_ADMIN: move the new root over / and chroot into it, as
        // switch_root does. The host's root then lies under it, reachable
        // only by a chroot from a directory above the new root: no process
        // of the sandbox may chroot again (CAP_SYS_CHROOT leaves the
        // bounding set, so nothing exec'd inside has it).
        mount(Some("."), "/", None::<&str>, MsFlags::MS_MOVE, None::<&str>)
            .map_err(err("move the new root over /".into()))?;
        nix::unistd::chroot(".").map_err(err("chroot into the new root".into()))?;
        // SAFETY: prctl(2) with integer arguments only.
        const CAP_SYS_CHROOT: libc::c_ulong = 18; // linux/capability.h
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_CHROOT, 0, 0, 0) } != 0 {
            return Err(Error::io(
                "drop CAP_SYS_CHROOT",
                std::io::Error::last_os_error(),
            ));
        }
        return std::env::set_current_dir("/").map_err(|e| Error::io("chdir /", e));
    }
    umount2(".", MntFlags::MNT_DETACH).map_err(err("detach the host's root".into()))?;
    std::env::set_current_dir("/").map_err(|e| Error::io("chdir /", e))
}

/// The lines of the host's `file` for the accounts in ACCOUNTS, with no
/// password field (there is never a shadow file inside) and home /nonexistent.
fn accounts(file: &str) -> String {
    let text = fs::read_to_string(file).unwrap_or_default();
    let mut out = String::new();
    for l in text.lines() {
        let mut f: Vec<&str> = l.split(':').collect();
        if f.len() < 3 || !ACCOUNTS.contains(&f[0]) {
            continue;
        }
        f[1] = "x";
        if f.len() == 7 {
            f[5] = if f[0] == "root" {
                "/root"
            } else {
                "/nonexistent"
            };
        }
        if f.len() == 4 {
            f[3] = "";
        }
        out += &f.join(":");
        out.push('\n');
    }
    if !out.starts_with("root:") && !out.contains("\nroot:") {
        out.insert_str(
            0,
            if file.ends_with("passwd") {
                "root:x:0:0:root:/root:/bin/sh\n"
            } else {
                "root:x:0:\n"
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_absolute() {
        assert_eq!(
            absolute(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }
}
