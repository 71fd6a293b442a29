//! Files a user gives (lab files, fixtures) are read with bounds: regular
//! files only, opened without blocking (a FIFO would otherwise wait for a
//! writer forever), no larger than a limit (a link to /dev/zero would
//! otherwise be read until memory runs out), and UTF-8, with the line and
//! column of the first byte that is not.

use crate::error::{Error, Result};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// A lab file: the largest real lab is ~20 KB and generated ones (the
/// loader benchmark's 10 MB, a few thousand pods) stay well under this; it
/// bounds the memory a load takes (text plus parsed values, a few times this).
pub const MAX_LAB_BYTES: u64 = 16 << 20;
/// A fixture is a few dozen tcpdump lines; 1 MiB is thousands of them.
pub const MAX_FIXTURE_BYTES: u64 = 1 << 20;

/// Line and column (1-based; the column counts bytes, as serde_json does)
/// of byte offset `off` in `b`.
pub fn line_col(b: &[u8], off: usize) -> (usize, usize) {
    let before = &b[..off.min(b.len())];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let col = before.len()
        - before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    (line, col)
}

/// Read `path` as the text of a `what` ("lab file", "fixture"), at most
/// `limit` bytes. Errors are input errors located at `path:1:1` (the whole
/// file) or at the offending byte.
pub fn read_text(path: &Path, what: &str, limit: u64) -> Result<String> {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| {
            Error::input(
                format!("{}:1:1", path.display()),
                format!("cannot read {what}: {e}"),
            )
        })?;
    read_open(f, path, what, limit)
}

/// Open `rel` beneath the directory `base`, for reading: never through a
/// symlink, never above `base`, without blocking (a FIFO opens at once),
/// checked afterwards by [`read_open`]. `openat2(RESOLVE_BENEATH |
/// RESOLVE_NO_SYMLINKS)` where the kernel has it (5.6), else the same by
/// hand: one `openat(O_NOFOLLOW)` per component from `base`'s fd.
pub fn open_beneath(base: &Path, rel: &Path) -> std::io::Result<std::fs::File> {
    let dir = std::fs::File::open(base)?;
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    let how = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_SYMLINKS | libc::RESOLVE_NO_MAGICLINKS;
    open_resolved(&dir, rel, flags, how)
}

/// Open `rel` as if `root` were `/` (`RESOLVE_IN_ROOT`: a container's
/// absolute symlink stays inside the container), for reading, without
/// blocking. Without openat2, no symlink is followed at all.
pub fn open_in_root(root: &std::fs::File, rel: &Path) -> std::io::Result<std::fs::File> {
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    open_resolved(
        root,
        rel,
        flags,
        libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS,
    )
}

/// `openat2`, or where the kernel (before 5.6) or a seccomp filter lacks
/// it, [`walk_nofollow`].
fn open_resolved(
    dir: &std::fs::File,
    rel: &Path,
    flags: i32,
    resolve: u64,
) -> std::io::Result<std::fs::File> {
    use rustix::fs::{openat2, Mode, OFlags, ResolveFlags};
    let o = OFlags::from_bits_retain(flags as u32);
    match openat2(
        dir,
        rel,
        o,
        Mode::empty(),
        ResolveFlags::from_bits_retain(resolve),
    ) {
        Ok(fd) => Ok(std::fs::File::from(fd)),
        Err(e) if e == rustix::io::Errno::NOSYS || e == rustix::io::Errno::PERM => {
            walk_nofollow(dir, rel, flags)
        }
        Err(e) => Err(e.into()),
    }
}

/// The by-hand fallback: each component a plain name, opened relative to the
/// previous one's fd with O_NOFOLLOW (a symlink anywhere is ELOOP, `..` is
/// refused as EXDEV).
pub(crate) fn walk_nofollow(
    dir: &std::fs::File,
    rel: &Path,
    flags: i32,
) -> std::io::Result<std::fs::File> {
    use std::path::Component;
    let mut comps = vec![];
    for c in rel.components() {
        match c {
            Component::Normal(n) => comps.push(n),
            Component::RootDir | Component::CurDir => {}
            _ => return Err(std::io::Error::from_raw_os_error(libc::EXDEV)),
        }
    }
    let mut cur = dir.try_clone()?;
    for (i, n) in comps.iter().enumerate() {
        let f = if i + 1 == comps.len() {
            flags | libc::O_NOFOLLOW
        } else {
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC
        };
        let o = rustix::fs::OFlags::from_bits_retain(f as u32);
        let fd = rustix::fs::openat(&cur, *n, o, rustix::fs::Mode::empty())?;
        cur = std::fs::File::from(fd);
    }
    Ok(cur)
}

/// What an open error means for a file that must lie beneath a directory.
pub fn beneath_error(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ELOOP) => {
            "is a symlink or passes through one: files are read only beneath the lab's directory, never through a symlink".into()
        }
        Some(libc::ENOTDIR) => {
            "passes through a symlink or a file where a directory should be: files are read only beneath the lab's directory, never through a symlink".into()
        }
        Some(libc::EXDEV) => "lies outside the lab's directory".into(),
        _ => e.to_string(),
    }
}

/// Read an opened file as the text of a `what`, at most `limit` bytes: a
/// regular file (checked on the open file, never its path again), UTF-8,
/// with no byte-order mark and no NUL. `path` names it in messages.
pub fn read_open(f: std::fs::File, path: &Path, what: &str, limit: u64) -> Result<String> {
    let whole = || format!("{}:1:1", path.display());
    let meta = f
        .metadata()
        .map_err(|e| Error::input(whole(), format!("cannot read {what}: {e}")))?;
    let ft = meta.file_type();
    let kind = if ft.is_dir() {
        Some("a directory")
    } else if ft.is_fifo() {
        Some("a FIFO")
    } else if ft.is_char_device() {
        Some("a character device")
    } else if ft.is_block_device() {
        Some("a block device")
    } else if ft.is_socket() {
        Some("a socket")
    } else {
        None
    };
    if let Some(k) = kind {
        return Err(Error::input(
            whole(),
            format!("the {what} is {k}, not a regular file (give a path to a file)"),
        ));
    }
    if meta.len() > limit {
        return Err(Error::input(
            whole(),
            format!(
                "the {what} is {} bytes; at most {limit} are read (allowed: 0 to {limit} bytes)",
                meta.len()
            ),
        ));
    }
    // The size may change while we read: never take more than the limit.
    let mut b = Vec::with_capacity(meta.len() as usize);
    f.take(limit + 1)
        .read_to_end(&mut b)
        .map_err(|e| Error::input(whole(), format!("cannot read {what}: {e}")))?;
    if b.len() as u64 > limit {
        return Err(Error::input(
            whole(),
            format!("the {what} grew past {limit} bytes while being read"),
        ));
    }
    let text = String::from_utf8(b).map_err(|e| {
        let off = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let (l, c) = line_col(bytes, off);
        Error::input(
            format!("{}:{l}:{c}", path.display()),
            format!(
                "byte 0x{:02x} is not UTF-8: a {what} is UTF-8 text",
                bytes.get(off).copied().unwrap_or(0)
            ),
        )
    })?;
    if text.starts_with('\u{feff}') {
        return Err(Error::input(
            whole(),
            format!(
                "the {what} starts with a byte-order mark (U+FEFF): save it as UTF-8 without one"
            ),
        ));
    }
    if let Some(off) = text.find('\0') {
        let (l, c) = line_col(text.as_bytes(), off);
        return Err(Error::input(
            format!("{}:{l}:{c}", path.display()),
            format!("a NUL byte: a {what} is text"),
        ));
    }
    Ok(text)
}
