//! A private scratch directory for the files a run's tools need (CNI IPAM
//! state, BIRD configurations and sockets): a tmpfs that is mounted nowhere,
//! held by one fd and reached as /proc/PID/fd/N. It disappears with the
//! process however it ends, and no path on the machine ever shows it.

use crate::error::{Error, Result};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

const FSOPEN_CLOEXEC: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const FSMOUNT_CLOEXEC: libc::c_uint = 1;

pub struct Scratch {
    _mount: OwnedFd,
    path: PathBuf,
}

impl Scratch {
    pub fn new() -> Result<Scratch> {
        let m = detached_tmpfs()?;
        let path = PathBuf::from(format!("/proc/{}/fd/{}", std::process::id(), m.as_raw_fd()));
        Ok(Scratch { _mount: m, path })
    }

    /// The directory, as a path any process of ours (a plugin, a daemon) can use.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A tmpfs mounted nowhere: the returned fd is its root (openat, or
/// /proc/self/fd/N). Gone when the last fd closes.
pub fn detached_tmpfs() -> Result<OwnedFd> {
    let fail = |what: &str| {
        Error::other(format!(
            "scratch tmpfs: {what}: {} (needs Linux 5.2's mount API and CAP_SYS_ADMIN in the sandbox)",
            std::io::Error::last_os_error()
        ))
    };
    // SAFETY: the new mount API's syscalls with constant arguments; every
    // returned fd is owned at once.
    unsafe {
        let fs = libc::syscall(libc::SYS_fsopen, c"tmpfs".as_ptr(), FSOPEN_CLOEXEC);
        if fs < 0 {
            return Err(fail("fsopen"));
        }
        let fs = OwnedFd::from_raw_fd(fs as i32);
        let r = libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_void>(),
            0,
        );
        if r < 0 {
            return Err(fail("fsconfig"));
        }
        let m = libc::syscall(libc::SYS_fsmount, fs.as_raw_fd(), FSMOUNT_CLOEXEC, 0);
        if m < 0 {
            return Err(fail("fsmount"));
        }
        Ok(OwnedFd::from_raw_fd(m as i32))
    }
}
