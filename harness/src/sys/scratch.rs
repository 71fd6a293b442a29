//! A private scratch directory for the files a run's tools need (CNI IPAM
//! state, BIRD configurations and sockets): a tmpfs that is mounted nowhere,
//! held by one fd and reached as /proc/PID/fd/N. It disappears with the
//! process however it ends, and no path on the machine ever shows it.

use crate::error::{Error, Result};
use rustix::mount::{fsconfig_create, fsmount, fsopen, FsMountFlags, FsOpenFlags, MountAttrFlags};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// A private scratch directory; gone when dropped.
pub struct Scratch {
    _mount: OwnedFd,
    path: PathBuf,
}

impl Scratch {
    /// A fresh, empty scratch directory.
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
    let fail = |what: &str, e: rustix::io::Errno| {
        Error::sys(
            format!("scratch tmpfs: {what} (needs Linux 5.2's mount API and CAP_SYS_ADMIN in the sandbox)"),
            nix::errno::Errno::from_raw(e.raw_os_error()),
        )
    };
    let fs = fsopen("tmpfs", FsOpenFlags::FSOPEN_CLOEXEC).map_err(|e| fail("fsopen", e))?;
    fsconfig_create(&fs).map_err(|e| fail("fsconfig", e))?;
    fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, MountAttrFlags::empty())
        .map_err(|e| fail("fsmount", e))
}
