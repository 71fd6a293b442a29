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
    let whole = || format!("{}:1:1", path.display());
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| Error::input(whole(), format!("cannot read {what}: {e}")))?;
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
    String::from_utf8(b).map_err(|e| {
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
    })
}
