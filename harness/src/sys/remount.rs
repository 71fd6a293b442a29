//! Read-only binds with the calls Linux 5.10 has: each mount of a
//! recursive bind made read-only on its own (MS_BIND|MS_REMOUNT), keeping
//! the flags a user namespace may not change. (mount_setattr(2) with
//! AT_RECURSIVE does it in one call, from Linux 5.12 only.)

use crate::error::{Context, Result};

use nix::mount::{mount, MsFlags};
use std::fs;
use std::path::{Path, PathBuf};

/// Every mount point at or below `at` (a recursive bind brings submounts).
pub(super) fn mounts_under(at: &Path) -> Vec<PathBuf> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut v: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|m| PathBuf::from(unescape(m)))
        .filter(|m| m.starts_with(at))
        .collect();
    v.dedup();
    if v.is_empty() {
        v.push(at.to_path_buf());
    }
    v
}

/// mountinfo escapes space, tab, newline and backslash as \ooo.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|o| o.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b[i], oct) {
            (b'\\', Some(o)) => {
                out.push((o[0] - b'0') * 64 + (o[1] - b'0') * 8 + (o[2] - b'0'));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One mount read-only (MS_REMOUNT of a bind: that mount only, Linux
/// 2.6.26 on), keeping the flags a user namespace may not change (nosuid,
/// nodev, noexec, atime).
pub(super) fn remount_one(at: &Path, ro: bool) -> Result<()> {
    let keep = keep_flags(at);
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | keep;
    if ro {
        flags |= MsFlags::MS_RDONLY;
    }
    mount(None::<&str>, at, None::<&str>, flags, None::<&str>)
        .context(|| format!("sandbox root: make {} read-only", at.display()))
}

fn keep_flags(at: &Path) -> MsFlags {
    let Ok(p) = std::ffi::CString::new(at.as_os_str().as_encoded_bytes()) else {
        return MsFlags::empty();
    };
    // SAFETY: statvfs(3) into a zeroed local.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(p.as_ptr(), &mut st) } != 0 {
        return MsFlags::empty();
    }
    let f = st.f_flag;
    let mut m = MsFlags::empty();
    for (st_flag, ms) in [
        (libc::ST_NOSUID, MsFlags::MS_NOSUID),
        (libc::ST_NODEV, MsFlags::MS_NODEV),
        (libc::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (libc::ST_NOATIME, MsFlags::MS_NOATIME),
        (libc::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (libc::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if f & st_flag != 0 {
            m |= ms;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape(r"/a\040b\134c"), "/a b\\c");
        assert_eq!(unescape(r"/a\04"), r"/a\04");
    }
}
