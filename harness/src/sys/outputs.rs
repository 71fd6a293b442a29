//! Result files (the JSON report, HTML pages, pcaps) leave the sandbox one
//! way only. The run cannot write to the host (it is read-only inside), so
//! it writes them into a staging tmpfs; when it ends, the caller's side of
//! the sandbox copies them into the file and directories the user named.
//! Inside those directories every entry is made relative to its parent's
//! fd and never through a symlink (O_NOFOLLOW), and relative names with
//! `..`, `/` or control characters are refused: a lab's names cannot steer a
//! file anywhere else.

use crate::error::{Error, Result};
use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, OnceLock};

#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A file the user named (`--json FILE`): written where it points.
    File(PathBuf),
    /// A directory the user named (`--pcap-dir`, `--html`): entries inside it.
    Dir(PathBuf),
}

static TARGETS: Mutex<Vec<Target>> = Mutex::new(vec![]);
static STAGING: OnceLock<OwnedFd> = OnceLock::new();
/// Directories that must lie beneath another (a lab's fixtures, written by
/// `--bless`): `(base, rel)`, made and opened from `base`'s fd, never
/// through a symlink.
static BENEATH: Mutex<Vec<(PathBuf, PathBuf)>> = Mutex::new(vec![]);

/// Before the sandbox: `path` will receive a result file.
pub fn register_file(path: &Path) {
    if let Ok(mut t) = TARGETS.lock() {
        t.push(Target::File(path.to_path_buf()));
    }
}

/// Before the sandbox: files will be written under `dir`.
pub fn register_dir(dir: &Path) {
    if let Ok(mut t) = TARGETS.lock() {
        t.push(Target::Dir(dir.to_path_buf()));
    }
}

/// Refuse an output file that is one of `inputs` (the same inode, by
/// whatever path): writing the report would replace the lab it reports on.
pub fn not_an_input(flag: &str, out: &Path, inputs: &[PathBuf]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Ok(o) = std::fs::metadata(out) else {
        return Ok(());
    };
    for i in inputs {
        if let Ok(m) = std::fs::metadata(i) {
            if (m.dev(), m.ino()) == (o.dev(), o.ino()) {
                return Err(Error::input(
                    flag,
                    format!(
                        "{} is {}, which this run reads: a report never replaces its input (give another file)",
                        out.display(),
                        i.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Before the sandbox: files will be written under `base/rel`, which is
/// made and opened beneath `base` and never through a symlink (a lab's
/// `fixtures` linking elsewhere is refused, not followed).
pub fn register_dir_beneath(base: &Path, rel: &Path) {
    register_dir(&base.join(rel));
    if let Ok(mut b) = BENEATH.lock() {
        b.push((base.to_path_buf(), rel.to_path_buf()));
    }
}

/// `base/rel` made (as needed) and opened beneath `base`: each component
/// by mkdirat and openat(O_NOFOLLOW) from the one before.
pub fn open_dir_beneath(base: &Path, rel: &Path) -> Result<OwnedFd> {
    let shown = base.join(rel);
    let err = |e: std::io::Error| {
        let hint = if matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENOTDIR)) {
            " (a symlink or a file is in the way: vethlab writes only beneath the lab's directory, never through a symlink)"
        } else {
            ""
        };
        Error::io(format!("open {}{hint}", shown.display()), e)
    };
    let mut cur: OwnedFd = std::fs::File::open(base).map_err(err)?.into();
    for c in plain_components(rel)? {
        let name = cstr(&c)?;
        // SAFETY: mkdirat(2) with a valid C string.
        if unsafe { libc::mkdirat(cur.as_raw_fd(), name.as_ptr(), 0o755) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(err(e));
            }
        }
        cur = openat(
            cur.as_raw_fd(),
            &c,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
        .map_err(err)?;
    }
    Ok(cur)
}

/// Before a run: `--json` and `--junit` not both on standard output, and
/// neither one of the files the run reads; each lab's capture memory
/// within bounds for a kernel buffer of `buffer` bytes per point.
pub fn check_reports(
    json: Option<&Path>,
    junit: Option<&Path>,
    labs: &[&crate::lab::Lab],
    buffer: u64,
) -> Result<()> {
    let stdout = |p: Option<&Path>| p.is_some_and(|p| p.as_os_str() == "-");
    if stdout(json) && stdout(junit) {
        return Err(Error::input(
            "--junit -",
            "--json and --junit both on standard output would interleave: give one of them a file",
        ));
    }
    let mut inputs = vec![];
    for l in labs {
        l.check_capture_memory(buffer)?;
        inputs.extend(l.inputs());
    }
    // A report never replaces what was read (the lab file, a fixture).
    for (flag, p) in [("--json", json), ("--junit", junit)] {
        if let Some(p) = p.filter(|p| !stdout(Some(p))) {
            not_an_input(flag, p, &inputs)?;
        }
    }
    Ok(())
}

/// Whether any result file is expected (the sandbox then makes a staging area).
pub fn any() -> bool {
    TARGETS.lock().map(|t| !t.is_empty()).unwrap_or(false)
}

pub(crate) fn set_staging(fd: OwnedFd) {
    let _ = STAGING.set(fd);
}

fn targets() -> Vec<Target> {
    TARGETS.lock().map(|t| t.clone()).unwrap_or_default()
}

/// `rel` as plain name components: no `..`, no root, nothing empty, no
/// control characters.
pub fn plain_components(rel: &Path) -> Result<Vec<String>> {
    let mut out = vec![];
    for c in rel.components() {
        match c {
            Component::Normal(n) => {
                let s = n.to_str().ok_or_else(|| {
                    Error::Refused(format!("{}: not UTF-8, refused", rel.display()))
                })?;
                if s.chars().any(char::is_control) {
                    return Err(Error::Refused(format!(
                        "{:?}: control characters in a file name, refused",
                        rel
                    )));
                }
                out.push(s.to_string());
            }
            _ => {
                return Err(Error::Refused(format!(
                    "{}: only plain names may be used below an output directory (no `..`, no `/` at the start)",
                    rel.display()
                )))
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Refused("empty output file name".into()));
    }
    Ok(out)
}

fn cstr(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Refused(format!("{s:?}: NUL in a file name")))
}

fn openat(dir: RawFd, name: &str, flags: i32, mode: libc::mode_t) -> std::io::Result<OwnedFd> {
    let n = CString::new(name).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    // SAFETY: openat(2) with a valid C string; the fd is owned at once.
    let fd = unsafe {
        libc::openat(
            dir,
            n.as_ptr(),
            flags | libc::O_CLOEXEC,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Write `bytes` to `dir/comps…`, making directories on the way, each step
/// relative to the previous one's fd and never through a symlink.
fn write_under(dir: RawFd, comps: &[String], bytes: &[u8], shown: &Path) -> Result<()> {
    let err = |e: std::io::Error| {
        let hint = if e.raw_os_error() == Some(libc::ELOOP) {
            " (a symlink is in the way: vethlab never writes through one)"
        } else {
            ""
        };
        Error::io(format!("write {}{hint}", shown.display()), e)
    };
    let mut cur: Option<OwnedFd> = None;
    let (last, dirs) = comps
        .split_last()
        .ok_or_else(|| Error::Refused("empty output file name".into()))?;
    for d in dirs {
        let at = cur.as_ref().map_or(dir, |f| f.as_raw_fd());
        let c = cstr(d)?;
        // SAFETY: mkdirat(2) with a valid C string.
        if unsafe { libc::mkdirat(at, c.as_ptr(), 0o755) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(err(e));
            }
        }
        cur = Some(
            openat(
                at,
                d,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            )
            .map_err(err)?,
        );
    }
    let at = cur.as_ref().map_or(dir, |f| f.as_raw_fd());
    replace_at(at, last, bytes).map_err(err)
}

/// Write `bytes` as `dir/name` whole or not at all: into a temporary file
/// beside it, renamed over `name` only once every byte is written. A full
/// disk leaves the previous file as it was and no partial one behind.
fn replace_at(dir: RawFd, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    // A symlink in the way is refused: a rename never writes through it,
    // but replacing it is not ours to decide.
    let c_name = CString::new(name).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    // SAFETY: fstatat(2) into a zeroed stat buffer, valid C string.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatat(dir, c_name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } == 0
        && st.st_mode & libc::S_IFMT == libc::S_IFLNK
    {
        return Err(std::io::Error::from_raw_os_error(libc::ELOOP));
    }
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // Hidden and unique; the name is bounded so it fits NAME_MAX.
    let short: String = name.chars().take(200).collect();
    let tmp = format!(".{short}.vethlab-{}-{n}.tmp", std::process::id());
    let f = openat(
        dir,
        &tmp,
        libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
        0o644,
    )?;
    let c_tmp = CString::new(tmp.as_str()).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let gone = || {
        // SAFETY: unlinkat(2) with a valid C string.
        unsafe { libc::unlinkat(dir, c_tmp.as_ptr(), 0) };
    };
    let mut file = std::fs::File::from(f);
    if let Err(e) = file.write_all(bytes).and_then(|_| file.flush()) {
        gone();
        return Err(e);
    }
    drop(file);
    // SAFETY: renameat(2) within one directory, valid C strings.
    if unsafe { libc::renameat(dir, c_tmp.as_ptr(), dir, c_name.as_ptr()) } != 0 {
        let e = std::io::Error::last_os_error();
        gone();
        return Err(e);
    }
    Ok(())
}

/// Write the file `path` (the user's own name for it) whole or not at all;
/// one that is not a plain file (`/dev/stdout`, a FIFO, their own symlink)
/// is written through: a rename would replace the link or node itself.
fn replace_path(path: &Path, bytes: &[u8]) -> Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::write(path, bytes)
            .map_err(|e| Error::io(format!("write {}", path.display()), e));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Refused(format!("{}: not a file name", path.display())))?;
    let dir = std::fs::File::open(parent.unwrap_or(Path::new(".")))
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    replace_at(dir.as_raw_fd(), name, bytes)
        .map_err(|e| Error::io(format!("write {}", path.display()), e))
}

/// Write a result file at `path`, which must be a file registered with
/// `register_file` or lie inside a directory registered with `register_dir`.
/// In the sandbox it goes to staging; outside one (library use, tests) it is
/// written directly, by the same rules.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let ts = targets();
    let staging = STAGING.get();
    for (i, t) in ts.iter().enumerate() {
        match t {
            Target::File(f) if f == path => {
                return match staging {
                    Some(s) => write_under(s.as_raw_fd(), &[i.to_string()], bytes, path),
                    None => replace_path(path, bytes),
                };
            }
            Target::Dir(d) => {
                let Ok(rel) = path.strip_prefix(d) else {
                    continue;
                };
                let mut comps = plain_components(rel)?;
                return match staging {
                    Some(s) => {
                        comps.insert(0, i.to_string());
                        write_under(s.as_raw_fd(), &comps, bytes, path)
                    }
                    None => {
                        let dir = open_dest_dir(d)?;
                        write_under(dir.as_raw_fd(), &comps, bytes, path)
                    }
                };
            }
            _ => {}
        }
    }
    // Not registered: a library caller's own path, still never through a
    // symlink at its last component.
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Refused(format!("{}: not a file name", path.display())))?;
    let dir = open_dest_dir(parent.unwrap_or(Path::new(".")))?;
    write_under(dir.as_raw_fd(), &[name.to_string()], bytes, path)
}

fn open_dest_dir(d: &Path) -> Result<OwnedFd> {
    let beneath = BENEATH
        .lock()
        .ok()
        .and_then(|b| b.iter().find(|(base, rel)| base.join(rel) == d).cloned());
    if let Some((base, rel)) = beneath {
        return open_dir_beneath(&base, &rel);
    }
    std::fs::create_dir_all(d).map_err(|e| Error::io(format!("create {}", d.display()), e))?;
    let f = std::fs::File::open(d).map_err(|e| Error::io(format!("open {}", d.display()), e))?;
    Ok(f.into())
}

/// The caller's side, after the run: copy what the run staged into the
/// user's file and directories. The staging area is treated as hostile:
/// only regular files and directories are copied, nothing is followed.
pub(crate) fn deliver(staging: &OwnedFd) -> Result<()> {
    let mut failed: Vec<String> = vec![];
    for (i, t) in targets().iter().enumerate() {
        match t {
            Target::File(p) => match read_regular(staging.as_raw_fd(), &i.to_string()) {
                Ok(Some(bytes)) => {
                    if let Err(e) = replace_path(p, &bytes) {
                        failed.push(e.to_string());
                    }
                }
                Ok(None) => {}
                Err(e) => failed.push(format!("{}: {e}", p.display())),
            },
            Target::Dir(d) => {
                if let Ok(src) = openat(
                    staging.as_raw_fd(),
                    &i.to_string(),
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                    0,
                ) {
                    match open_dest_dir(d) {
                        Ok(dst) => copy_tree(&src, &dst, d, 0, &mut failed),
                        Err(e) => failed.push(e.to_string()),
                    }
                }
            }
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::other(format!(
        "{} result file(s) not written (any earlier file of the same name is unchanged): {}",
        failed.len(),
        failed.join("; ")
    )))
}

/// A regular file's content, or None if there is no such file.
fn read_regular(dir: RawFd, name: &str) -> Result<Option<Vec<u8>>> {
    let f = match openat(
        dir,
        name,
        libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK,
        0,
    ) {
        Ok(f) => std::fs::File::from(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("staged result {name}"), e)),
    };
    let meta = f
        .metadata()
        .map_err(|e| Error::io(format!("staged result {name}"), e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mut v = vec![];
    (&f).read_to_end(&mut v)
        .map_err(|e| Error::io(format!("staged result {name}"), e))?;
    Ok(Some(v))
}

fn copy_tree(src: &OwnedFd, dst: &OwnedFd, shown: &Path, depth: usize, failed: &mut Vec<String>) {
    if depth > 8 {
        return;
    }
    let rd = match std::fs::read_dir(format!("/proc/self/fd/{}", src.as_raw_fd())) {
        Ok(rd) => rd,
        Err(e) => return failed.push(format!("{}: read staged results: {e}", shown.display())),
    };
    for e in rd.flatten() {
        let Some(name) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if !matches!(plain_components(Path::new(&name)).as_deref(), Ok([_])) {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            let Ok(s) = openat(
                src.as_raw_fd(),
                &name,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            ) else {
                continue;
            };
            let here = shown.join(&name);
            let Ok(c) = cstr(&name) else { continue };
            // SAFETY: mkdirat(2) with a valid C string.
            if unsafe { libc::mkdirat(dst.as_raw_fd(), c.as_ptr(), 0o755) } != 0 {
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::AlreadyExists {
                    failed.push(format!("create {}: {err}", here.display()));
                    continue;
                }
            }
            match openat(
                dst.as_raw_fd(),
                &name,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            ) {
                Ok(d) => copy_tree(&s, &d, &here, depth + 1, failed),
                Err(err) => failed.push(format!(
                    "open {} (a symlink there is never followed): {err}",
                    here.display()
                )),
            }
        } else if ft.is_file() {
            let here = shown.join(&name);
            let r = read_regular(src.as_raw_fd(), &name).and_then(|b| match b {
                Some(bytes) => {
                    write_under(dst.as_raw_fd(), std::slice::from_ref(&name), &bytes, &here)
                }
                None => Ok(()),
            });
            if let Err(e) = r {
                failed.push(e.to_string());
            }
        }
    }
}

#[cfg(test)]
#[path = "outputs_tests.rs"]
mod tests;
