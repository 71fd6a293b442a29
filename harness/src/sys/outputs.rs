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
                    Error::other(format!("{}: not UTF-8, refused", rel.display()))
                })?;
                if s.chars().any(char::is_control) {
                    return Err(Error::other(format!(
                        "{:?}: control characters in a file name, refused",
                        rel
                    )));
                }
                out.push(s.to_string());
            }
            _ => {
                return Err(Error::other(format!(
                    "{}: only plain names may be used below an output directory (no `..`, no `/` at the start)",
                    rel.display()
                )))
            }
        }
    }
    if out.is_empty() {
        return Err(Error::other("empty output file name"));
    }
    Ok(out)
}

fn cstr(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::other(format!("{s:?}: NUL in a file name")))
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
        .ok_or_else(|| Error::other("empty output file name"))?;
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
    let f = openat(
        at,
        last,
        libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_NOFOLLOW,
        0o644,
    )
    .map_err(err)?;
    std::fs::File::from(f).write_all(bytes).map_err(err)
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
                    None => std::fs::write(path, bytes)
                        .map_err(|e| Error::io(format!("write {}", path.display()), e)),
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
        .ok_or_else(|| Error::other(format!("{}: not a file name", path.display())))?;
    let dir = open_dest_dir(parent.unwrap_or(Path::new(".")))?;
    write_under(dir.as_raw_fd(), &[name.to_string()], bytes, path)
}

fn open_dest_dir(d: &Path) -> Result<OwnedFd> {
    std::fs::create_dir_all(d).map_err(|e| Error::io(format!("create {}", d.display()), e))?;
    let f = std::fs::File::open(d).map_err(|e| Error::io(format!("open {}", d.display()), e))?;
    Ok(f.into())
}

/// The caller's side, after the run: copy what the run staged into the
/// user's file and directories. The staging area is treated as hostile:
/// only regular files and directories are copied, nothing is followed.
pub(crate) fn deliver(staging: &OwnedFd) -> Result<()> {
    let mut first_err = None;
    for (i, t) in targets().iter().enumerate() {
        let r = match t {
            Target::File(p) => match read_regular(staging.as_raw_fd(), &i.to_string()) {
                Ok(Some(bytes)) => std::fs::write(p, bytes)
                    .map_err(|e| Error::io(format!("write {}", p.display()), e)),
                Ok(None) => Ok(()),
                Err(e) => Err(e),
            },
            Target::Dir(d) => match openat(
                staging.as_raw_fd(),
                &i.to_string(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            ) {
                Ok(src) => open_dest_dir(d).and_then(|dst| copy_tree(&src, &dst, d, 0)),
                Err(_) => Ok(()),
            },
        };
        if let Err(e) = r {
            first_err.get_or_insert(e);
        }
    }
    first_err.map_or(Ok(()), Err)
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

fn copy_tree(src: &OwnedFd, dst: &OwnedFd, shown: &Path, depth: usize) -> Result<()> {
    if depth > 8 {
        return Ok(());
    }
    let rd = std::fs::read_dir(format!("/proc/self/fd/{}", src.as_raw_fd()))
        .map_err(|e| Error::io("read staged results", e))?;
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
            let c = cstr(&name)?;
            // SAFETY: mkdirat(2) with a valid C string.
            if unsafe { libc::mkdirat(dst.as_raw_fd(), c.as_ptr(), 0o755) } != 0 {
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(Error::io(
                        format!("create {}", shown.join(&name).display()),
                        err,
                    ));
                }
            }
            let d = openat(
                dst.as_raw_fd(),
                &name,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            )
            .map_err(|err| {
                Error::io(
                    format!(
                        "open {} (a symlink there is never followed)",
                        shown.join(&name).display()
                    ),
                    err,
                )
            })?;
            copy_tree(&s, &d, &shown.join(&name), depth + 1)?;
        } else if ft.is_file() {
            if let Some(bytes) = read_regular(src.as_raw_fd(), &name)? {
                write_under(
                    dst.as_raw_fd(),
                    std::slice::from_ref(&name),
                    &bytes,
                    &shown.join(&name),
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_only() {
        assert_eq!(
            plain_components(Path::new("lab/step/host-veth0.pcap")).ok(),
            Some(vec![
                "lab".to_string(),
                "step".to_string(),
                "host-veth0.pcap".to_string()
            ])
        );
        for bad in ["../x", "/etc/passwd", "a/../../b", "", "a/\u{1b}b"] {
            assert!(plain_components(Path::new(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn never_through_a_symlink() {
        let t = tempfile::tempdir().expect("tempdir");
        let root = t.path();
        std::fs::create_dir(root.join("out")).expect("mkdir");
        std::fs::create_dir(root.join("elsewhere")).expect("mkdir");
        std::os::unix::fs::symlink(root.join("elsewhere"), root.join("out/lab")).expect("ln");
        std::os::unix::fs::symlink(root.join("target.txt"), root.join("out/page.html"))
            .expect("ln");
        let dir = open_dest_dir(&root.join("out")).expect("open");
        let comps = ["lab".to_string(), "x.pcap".to_string()];
        write_under(dir.as_raw_fd(), &comps, b"x", Path::new("out/lab/x.pcap")).unwrap_err();
        assert!(write_under(
            dir.as_raw_fd(),
            &["page.html".to_string()],
            b"x",
            Path::new("out/page.html")
        )
        .is_err());
        assert_eq!(
            std::fs::read_dir(root.join("elsewhere"))
                .expect("ls")
                .count(),
            0
        );
        assert!(!root.join("target.txt").exists());
        // And a plain nested path works.
        let comps = ["a".to_string(), "b".to_string(), "c.pcap".to_string()];
        write_under(dir.as_raw_fd(), &comps, b"ok", Path::new("out/a/b/c.pcap")).expect("write");
        assert_eq!(
            std::fs::read(root.join("out/a/b/c.pcap")).expect("read"),
            b"ok"
        );
    }
}
