//! The learner's lab: a lab built up to a step, its namespaces given the
//! articles' names under /var/run/netns (in the run's private mount
//! namespace only), and a shell inside; `vethlab check` finds them there.

use crate::error::{Context, Error, Result};

use crate::lab::Lab;
use crate::run;
use crate::tools::learner_home as home;
use crate::topo::Topo;
use nix::mount::{mount, MsFlags};
use std::ffi::CString;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `ip netns` looks (iproute2's NETNS_RUN_DIR).
pub const NETNS_DIR: &str = "/var/run/netns";

/// The environment a shell passes to `vethlab check`: the lab file.
pub const ENV_LAB: &str = "VETHLAB_LAB";
/// The step (1-based) the shell holds.
pub const ENV_STEP: &str = "VETHLAB_STEP";
/// How many times `vethlab reset` has rebuilt the lab in this shell.
pub const ENV_RESETS: &str = "VETHLAB_RESETS";

/// Build `lab` in step `step`'s given state (1-based): every earlier step
/// done, then the step's own set-up; past the last step, the finished lab.
pub fn build(lab: &Lab, step: usize) -> Result<Topo> {
    let mut topo = run::new_topo(lab)?;
    // Plugins the learner runs and `vethlab check` find the same files.
    topo.set_scratch_dir(crate::tools::exercise::SCRATCH_DIR.into());
    match step > lab.steps.len() {
        true => run::build_upto(lab, &mut topo, lab.steps.len())?,
        false => run::build_given(lab, &mut topo, step - 1)?,
    }
    topo.tune_neigh()?;
    // The learner's first `ip link` shows settled states, as on a real host.
    topo.settle()?;
    Ok(topo)
}

/// Give every node its name under /var/run/netns (after
/// `private_netns_dir`). Only in this process's mount namespace (the sandbox's).
pub fn name_nodes(topo: &Topo) -> Result<()> {
    bind_nodes(
        topo.nodes().iter().map(|n| (n.name(), n.raw_fd())),
        Path::new(NETNS_DIR),
    )
}

/// An empty, writable /var/run (with `netns/` in it) in this mount
/// namespace only: a tmpfs hides the host's, whose daemons' sockets a lab
/// has no business with, and which is read-only in the sandbox anyway.
pub fn private_netns_dir() -> Result<()> {
    mount(
        Some("tmpfs"),
        RUN_DIR,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=755"),
    )
    .context(|| format!("mount tmpfs on {RUN_DIR}"))?;
    std::fs::create_dir(NETNS_DIR).map_err(|e| Error::io(format!("mkdir {NETNS_DIR}"), e))
}

/// Take the private /var/run away with everything in it (the nodes' names,
/// the lab's copy, the learner's files), for a fresh one.
pub fn release_run_dir() -> Result<()> {
    nix::mount::umount2(RUN_DIR, nix::mount::MntFlags::MNT_DETACH)
        .context(|| format!("umount {RUN_DIR}"))
}

/// The shell's private /var/run, and what `vethlab check` reads there.
const RUN_DIR: &str = "/var/run";
/// What the shell holds (lab copy, step, user namespace), written in its private /var/run.
pub const MARKER: &str = "/var/run/vethlab-shell.json";

/// The user namespace we are in (its inode): each sandbox has its own.
fn userns_id() -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/user")
        .ok()
        .map(|m| m.ino())
}

/// A lab's files (the lab file, its fixtures) as read with the caller's
/// rights, before the sandbox, whose root may not read the caller's
/// directories; the shell copies them into its private /var/run, where
/// `vethlab check` reads them.
#[derive(Debug, Clone, Default)]
pub struct LabFiles(Vec<(PathBuf, Vec<u8>)>);

/// Read the lab file and its fixtures with the caller's rights, for the shell to copy.
pub fn read_lab_files(lab: &Lab) -> Result<LabFiles> {
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| Error::io(format!("read {}", p.display()), e));
    let mut v = vec![(PathBuf::from("lab.json"), read(&lab.path)?)];
    // Its Chinese text, where it has one.
    let zh = crate::tools::lang::zh_path(&lab.path);
    if zh.is_file() {
        v.push((PathBuf::from("zh.json"), read(&zh)?));
    }
    for s in &lab.steps {
        for c in &s.captures {
            if let Some(f) = &c.fixture {
                // Names are plain words (checked at load): a safe relative path.
                let rel = Path::new("fixtures")
                    .join(&s.name)
                    .join(format!("{}-{}.txt", c.node, c.iface));
                v.push((rel, read(&f.path)?));
            }
        }
    }
    Ok(LabFiles(v))
}

/// Where the shell keeps its copy of the lab.
const LAB_COPY: &str = "/var/run/vethlab-lab";

/// Write `files` under the private /var/run (after `private_netns_dir`);
/// returns the copied lab file's path.
pub fn copy_lab_files(files: &LabFiles) -> Result<PathBuf> {
    for (rel, bytes) in &files.0 {
        let p = Path::new(LAB_COPY).join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)
                .map_err(|e| Error::io(format!("create {}", d.display()), e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| Error::io(format!("write {}", p.display()), e))?;
    }
    Ok(Path::new(LAB_COPY).join("lab.json"))
}

/// Record, in the shell's private /var/run, which lab and step it holds and
/// which user namespace is the sandbox's: `vethlab check` acts only where
/// both agree, never on environment variables alone.
pub fn write_marker(lab: &Path, step: usize) -> Result<()> {
    let userns = userns_id().ok_or_else(|| Error::not_found("cannot read /proc/self/ns/user"))?;
    // The kernel's facts as this shell read them: `vethlab check` inside
    // then makes no namespace of its own to learn them again.
    let kernel = crate::sys::kernel::facts();
    let v = serde_json::json!({"lab": lab, "step": step, "userns": userns, "kernel": kernel});
    std::fs::write(MARKER, v.to_string()).map_err(|e| Error::io(format!("write {MARKER}"), e))
}

/// Inside a vethlab shell: the lab file and step it holds. Elsewhere, an
/// input error (exit 2) that says how to get into one.
pub fn read_marker() -> Result<(PathBuf, usize)> {
    use crate::tools::lang::pick;
    let outside = |why: &str| {
        Error::input(
            pick("not in a lab's shell", "不在实验的 shell 里"),
            pick(
                &format!("start one with `vethlab shell LAB --step N` ({why})"),
                &format!("先用 `vethlab shell LAB --step N` 打开一个({why})"),
            )
            .to_string(),
        )
    };
    let text = std::fs::read_to_string(MARKER)
        .map_err(|_| outside(pick("no lab here", "这里没有实验")))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| outside(pick("no lab here", "这里没有实验")))?;
    let (Some(lab), Some(step), Some(ns)) =
        (v["lab"].as_str(), v["step"].as_u64(), v["userns"].as_u64())
    else {
        return Err(outside(pick("no lab here", "这里没有实验")));
    };
    // The sandbox's user namespace is never the machine's: a marker there,
    // or one seen from another sandbox, is not ours.
    let map = std::fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    if map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"]
        || userns_id() != Some(ns)
    {
        return Err(outside(pick(
            "this is not the shell's sandbox",
            "这不是该 shell 的沙箱",
        )));
    }
    if let Ok(k) = serde_json::from_value(v["kernel"].clone()) {
        crate::sys::kernel::adopt(k);
    }
    Ok((PathBuf::from(lab), step as usize))
}

/// A file `dir/NAME` bind-mounted on each namespace's fd, as `ip netns add`
/// makes them: then `ip netns exec NAME` and `vethlab peers` find them.
pub fn bind_nodes<'a>(
    nodes: impl Iterator<Item = (&'a str, std::os::fd::RawFd)>,
    dir: &Path,
) -> Result<()> {
    for (name, fd) in nodes {
        let target = dir.join(name);
        std::fs::write(&target, "")
            .map_err(|e| Error::io(format!("create {}", target.display()), e))?;
        let src = format!("/proc/self/fd/{fd}");
        mount(
            Some(src.as_str()),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .context(|| format!("bind {src} on {}", target.display()))?;
    }
    Ok(())
}

/// The lab's namespaces as the learner left them: every name under
/// /var/run/netns (including namespaces the learner added).
pub fn attach_named() -> Result<Topo> {
    let mut topo = Topo::new();
    let rd = std::fs::read_dir(NETNS_DIR).map_err(|e| Error::io(format!("read {NETNS_DIR}"), e))?;
    let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    names.sort();
    for p in names {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let fd: OwnedFd = std::fs::File::open(&p)
            .map_err(|e| Error::io(format!("open {}", p.display()), e))?
            .into();
        // A file that is no namespace (`touch /var/run/netns/X`) holds no
        // node: the check then says the namespace is missing.
        if topo.attach_node(&name, fd).is_err() {
            continue;
        }
    }
    Ok(topo)
}

/// A shell (or `argv`) inside `node`'s namespace, with its own view of /sys
/// (so `brctl show` and `ethtool` see the lab) and its own PID namespace,
/// whose init it is: when it dies, or we die and PDEATHSIG kills it, the
/// kernel kills every process the learner left behind. Returns its status.
pub fn spawn_shell(
    topo: &Topo,
    node: &str,
    prompt: &str,
    env: &[(&str, String)],
    argv: &[String],
) -> Result<i32> {
    let fd = topo.node(node)?.raw_fd();
    let mut cmd = shell_command(prompt, env, argv);
    // Everything the child needs, made before fork: after it, only syscalls.
    let c = |s: &str| CString::new(s).unwrap_or_default();
    let p = PreExec {
        fd,
        parent: std::process::id() as libc::pid_t,
        sys: c("/sys"),
        proc_: c("/proc"),
        sysfs: c("sysfs"),
        procfs: c("proc"),
        reset: c(crate::tools::exercise::RESET_FILE),
    };
    // SAFETY: the closure only makes raw syscalls on memory prepared above.
    unsafe {
        cmd.pre_exec(move || p.run());
    }
    crate::sys::trace::event(|| format!("shell {node}"));
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("start {:?}", cmd.get_program()), e))?;
    // As a shell does for its foreground job: Ctrl-C is the learner's.
    // SAFETY: setting signal dispositions to SIG_IGN.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    let status = child
        .wait()
        .map_err(|e| Error::io("wait for the shell", e))?;
    crate::sys::trace::event(|| "shell exited".into());
    Ok(status.code().unwrap_or(128 + 9))
}

/// The interactive shell (bash, else sh), or `argv`, with `vethlab` first
/// on PATH (so `vethlab check` runs inside), the prompt and `env`.
fn shell_command(prompt: &str, env: &[(&str, String)], argv: &[String]) -> Command {
    let mut cmd = if argv.is_empty() {
        let sh = ["/bin/bash", "/usr/bin/bash"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        match sh {
            Some(b) => {
                let mut c = Command::new(b);
                match Path::new(home::RC_FILE).exists() {
                    true => c.args(["--noprofile", "--rcfile", home::RC_FILE, "-i"]),
                    false => c.args(["--norc", "--noprofile", "-i"]),
                };
                c
            }
            None => {
                let mut c = Command::new("/bin/sh");
                c.arg("-i");
                c
            }
        }
    } else {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]);
        c
    };
    // `vethlab check` must be on PATH inside: put our own directory first.
    let mut path = std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into());
    if let Some(d) = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        path = format!("{}:{path}", d.display());
    }
    // The learner's private home: working directory, TMPDIR, the lab's
    // commands first on PATH (`ip netns exec NODE bash` reads its rc).
    if let Ok(h) = std::fs::canonicalize(home::HOME_DIR) {
        // Its real path (/var/run is often a link to /run): then the
        // prompt's \w shows ~ there.
        let h = h.display().to_string();
        path = format!("{h}/bin:{path}");
        cmd.current_dir(&h)
            .env("HOME", &h)
            .env("TMPDIR", format!("{h}/tmp"))
            .env("ENV", format!("{h}/.shrc"));
    }
    cmd.env("PATH", path).env("PS1", prompt);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// In the process that stays behind to pass the shell's status on: wait for
/// `pid`; when `vethlab reset` asks (its file appears), kill the shell, init
/// of its PID namespace, with everything it started. Returns the wait status.
///
/// # Safety
/// Only async-signal-safe calls: for use after `fork`.
unsafe fn wait_or_reset(pid: libc::pid_t, reset: *const libc::c_char) -> libc::c_int {
    let mut st = 0;
    let nap = libc::timespec {
        tv_sec: 0,
        tv_nsec: 50_000_000,
    };
    loop {
        let r = libc::waitpid(pid, &mut st, libc::WNOHANG);
        if r == pid || (r < 0 && *libc::__errno_location() != libc::EINTR) {
            return st;
        }
        if r == 0 && libc::access(reset, libc::F_OK) == 0 {
            libc::kill(pid, libc::SIGKILL);
            while libc::waitpid(pid, &mut st, 0) < 0 {}
            return st;
        }
        libc::nanosleep(&nap, std::ptr::null_mut());
    }
}

/// What the shell's child needs between fork and exec, prepared before the
/// fork (after it, only raw syscalls are safe).
struct PreExec {
    /// The node's network namespace.
    fd: std::os::fd::RawFd,
    /// vethlab, whose death kills the shell.
    parent: libc::pid_t,
    sys: CString,
    proc_: CString,
    sysfs: CString,
    procfs: CString,
    /// The file `vethlab reset` writes (see `wait_or_reset`).
    reset: CString,
}

impl PreExec {
    /// In the child: the node's network namespace, a mount namespace with
    /// its sysfs, a PID namespace whose init is the shell, and its /proc.
    ///
    /// # Safety
    /// Only between fork and exec: raw syscalls on memory prepared before.
    unsafe fn run(&self) -> std::io::Result<()> {
        let err = std::io::Error::last_os_error;
        crate::sys::netns::die_with_parent(self.parent)?;
        if libc::setns(self.fd, libc::CLONE_NEWNET) != 0 {
            return Err(err());
        }
        // Our own mount namespace: the learner's sysfs and /proc stay here.
        if libc::unshare(libc::CLONE_NEWNS) != 0 {
            return Err(err());
        }
        // Writable where allowed; read-only where the only sysfs in view
        // is (Docker), as `ip netns exec` itself then does.
        let sysfs_at = |flags| {
            libc::mount(
                self.sysfs.as_ptr(),
                self.sys.as_ptr(),
                self.sysfs.as_ptr(),
                flags,
                std::ptr::null(),
            )
        };
        if sysfs_at(0) != 0 && sysfs_at(libc::MS_RDONLY) != 0 {
            return Err(err());
        }
        // No tmpfs of the shell's own on /tmp: the sandbox's root already
        // has a private, writable /tmp, gone with the sandbox, and one more
        // would hide what is shown there (the vethlab binary itself when it
        // lives under /tmp: the shell's `check` could not run it).
        self.pid_namespace()?;
        // A /proc of the new PID namespace: `ps` shows the lab's processes.
        // Not fatal where a container's masked /proc forbids it.
        let _ = libc::mount(
            self.procfs.as_ptr(),
            self.proc_.as_ptr(),
            self.procfs.as_ptr(),
            0,
            std::ptr::null(),
        );
        Ok(())
    }

    /// A new PID namespace takes effect for children only (and a
    /// multi-threaded vethlab cannot enter one): fork once more; this
    /// process stays behind to pass the shell's status on, and returns
    /// only in the child, which becomes the shell.
    ///
    /// # Safety
    /// As `run`.
    unsafe fn pid_namespace(&self) -> std::io::Result<()> {
        let err = std::io::Error::last_os_error;
        if libc::unshare(libc::CLONE_NEWPID) != 0 {
            return Err(err());
        }
        // The shell will be init of its PID namespace, where getppid() is
        // 0: it learns that this process died by the pipe closing.
        let mut alive = [0; 2];
        if libc::pipe2(alive.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
            return Err(err());
        }
        match libc::fork() {
            -1 => return Err(err()),
            0 => {
                libc::close(alive[1]);
            }
            pid => {
                // Our end stays open until we exit.
                libc::close(alive[0]);
                // Ctrl-C belongs to the shell; only its death ends us.
                libc::signal(libc::SIGINT, libc::SIG_IGN);
                libc::signal(libc::SIGQUIT, libc::SIG_IGN);
                let st = wait_or_reset(pid, self.reset.as_ptr());
                let code = if libc::WIFEXITED(st) {
                    libc::WEXITSTATUS(st)
                } else {
                    128 + libc::WTERMSIG(st)
                };
                libc::_exit(code);
            }
        }
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
            return Err(err());
        }
        // Killed before the prctl above: the pipe says so (POLLHUP).
        let mut pfd = libc::pollfd {
            fd: alive[0],
            events: libc::POLLIN,
            revents: 0,
        };
        if libc::poll(&mut pfd, 1, 0) > 0 {
            libc::_exit(1);
        }
        libc::close(alive[0]);
        Ok(())
    }
}
