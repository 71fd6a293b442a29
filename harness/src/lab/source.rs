//! Where the labs come FROM: a directory the user names (`--labs DIR`,
//! `$VETHLAB_LABS`), or the tree built into vethlab (`labs/` and
//! `fixtures/` of the source it was built from; see build.rs).
//!
//! The built-in tree is unpacked once per build into a cache directory the
//! user owns (root: `/var/cache/vethlab`; others: `$XDG_CACHE_HOME/vethlab`
//! or `~/.cache/vethlab`; else `$TMPDIR/vethlab-UID`) and then read like any
//! directory, so every check the loader makes of lab files and fixtures
//! (beneath the lab's directory, regular files, bounded) holds for it too.
//! Each use compares the unpacked files with the built-in bytes and unpacks
//! again on any difference: what runs is what was built in.

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The built-in files: (`labs/...` or `fixtures/...`, bytes).
pub fn embedded_files() -> &'static [(&'static str, &'static [u8])] {
    embedded::FILES
}

/// Names this build's tree: the crate version and a hash of every path and byte.
pub fn embedded_id() -> &'static str {
    embedded::ID
}

/// A source of labs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabSource {
    /// A labs directory (`DIR/LAB/lab.json`; fixtures in `DIR/../fixtures/LAB`
    /// or beside each lab file).
    Dir(PathBuf),
    /// The tree built into this binary.
    Embedded,
}

impl LabSource {
    /// `--labs DIR` if given, else `$VETHLAB_LABS` if set, else the built-in tree.
    pub fn choose(flag: Option<&Path>) -> LabSource {
        if let Some(d) = flag {
            return LabSource::Dir(d.to_path_buf());
        }
        match std::env::var_os("VETHLAB_LABS") {
            Some(d) if !d.is_empty() => LabSource::Dir(PathBuf::from(d)),
            _ => LabSource::Embedded,
        }
    }

    /// The labs directory to read: the named one, or the built-in tree
    /// unpacked (with its `fixtures/` beside it).
    pub fn labs_dir(&self) -> Result<PathBuf> {
        match self {
            LabSource::Dir(d) => Ok(d.clone()),
            LabSource::Embedded => Ok(unpack()?.join("labs")),
        }
    }
}

/// Where the built-in tree may be unpacked, best first.
fn cache_bases() -> Vec<PathBuf> {
    let uid = nix::unistd::geteuid().as_raw();
    let mut v = vec![];
    if uid == 0 {
        v.push(PathBuf::from("/var/cache/vethlab"));
    } else {
        let abs = |k: &str| {
            std::env::var_os(k)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        if let Some(x) = abs("XDG_CACHE_HOME") {
            v.push(x.join("vethlab"));
        }
        if let Some(h) = abs("HOME") {
            v.push(h.join(".cache/vethlab"));
        }
    }
    v.push(std::env::temp_dir().join(format!("vethlab-{uid}")));
    v
}

/// The built-in tree, unpacked and checked: the directory holding `labs/`
/// and `fixtures/`.
pub fn unpack() -> Result<PathBuf> {
    let mut why = vec![];
    for base in cache_bases() {
        match unpack_in(&base) {
            Ok(p) => return Ok(p),
            Err(e) => why.push(format!("{}: {e}", base.display())),
        }
    }
    Err(Error::Privilege(format!(
        "cannot unpack the built-in labs
 ({}); give a labs directory with --labs DIR or VETHLAB_LABS",
        why.join("; ")
    )))
}

fn unpack_in(base: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(base)?;
    owned_dir(base)?;
    let dest = base.join(format!("labs-{}", embedded_id()));
    if owned_dir(&dest).is_ok() && matches(&dest) {
        return Ok(dest);
    }
    // Unpacked beside it under a private name (tempfile picks one no other
    // unpacker, in this process or another, holds; it is removed with
    // whatever is left in it), then renamed into place: a reader never sees
    // a half-written tree.
    let holder = tempfile::Builder::new()
        .prefix(&format!(".labs-{}.", embedded_id()))
        .tempdir_in(base)?;
    let tmp = holder.path().join("labs");
    write_tree(&tmp)?;

    // A concurrent run may have renamed its copy into place meanwhile: that
    // one is whole and the same bytes, and it may be reading it. Only an
    // altered copy is removed.
    if std::fs::symlink_metadata(&dest).is_ok() && !(owned_dir(&dest).is_ok() && matches(&dest)) {
        let _ = std::fs::remove_dir_all(&dest);
    }
    if let Err(e) = std::fs::rename(&tmp, &dest) {
        let _ = std::fs::remove_dir_all(&tmp);
        if !(owned_dir(&dest).is_ok() && matches(&dest)) {
            return Err(e);
        }
    }
    owned_dir(&dest)?;
    if !matches(&dest) {
        return Err(std::io::Error::other(
            "the unpacked labs differ from the built-in ones",
        ));
    }
    Ok(dest)
}

/// A real directory (not a symlink) this user owns that nobody else may write.
fn owned_dir(p: &Path) -> std::io::Result<()> {
    let m = std::fs::symlink_metadata(p)?;
    let me = nix::unistd::geteuid().as_raw();
    if !m.is_dir() || m.uid() != me || m.mode() & 0o022 != 0 {
        return Err(std::io::Error::other(
            "not a directory of this user's that only it may write",
        ));
    }
    Ok(())
}

/// Every built-in file, readable by all (a run as root reads them from
/// inside its sandbox as an unprivileged id), in a new directory `root`.
fn write_tree(root: &Path) -> std::io::Result<()> {
    std::fs::create_dir(root)?;
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))?;
    for (rel, bytes) in embedded_files() {
        let p = root.join(rel);
        let mut dir = root.to_path_buf();
        for c in Path::new(rel)
            .parent()
            .into_iter()
            .flat_map(|p| p.components())
        {
            dir.push(c);
            if std::fs::symlink_metadata(&dir).is_err() {
                std::fs::create_dir(&dir)?;
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
            }
        }
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&p)?;
        f.write_all(bytes)?;
        f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    Ok(())
}

/// Whether every built-in file is at `root`, a regular file with the same bytes.
fn matches(root: &Path) -> bool {
    embedded_files().iter().all(|(rel, bytes)| {
        let Ok(f) = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(root.join(rel))
        else {
            return false;
        };
        let regular = f.metadata().is_ok_and(|m| m.is_file());
        let mut b = Vec::with_capacity(bytes.len());
        regular && f.take(bytes.len() as u64 + 1).read_to_end(&mut b).is_ok() && b == *bytes
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_tree_holds_the_shipped_labs_and_their_fixtures() {
        let f = embedded_files();
        assert!(f.iter().any(|(p, _)| *p == "labs/veth-pair/lab.json"));
        assert!(f.iter().any(|(p, _)| p.starts_with("fixtures/veth-pair/")));
        assert!(f
            .iter()
            .all(|(p, _)| !p.contains("..") && !p.starts_with('/')));
    }

    #[test]
    fn unpacked_copy_is_checked_and_repaired() {
        let tmp = std::env::temp_dir().join(format!("vethlab-src-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir(&tmp).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        let dest = unpack_in(&tmp).unwrap();
        assert!(matches(&dest));
        // An altered file is noticed and the tree unpacked again.
        let lab = dest.join("labs/veth-pair/lab.json");
        std::fs::write(&lab, "{}").unwrap();
        assert!(!matches(&dest));
        let again = unpack_in(&tmp).unwrap();
        assert_eq!(again, dest);
        assert!(matches(&dest));
        // Runs unpacking at once into an empty cache all get a whole copy,
        // and none removes another's.
        std::fs::remove_dir_all(&dest).unwrap();
        let got: Vec<PathBuf> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..6)
                .map(|_| s.spawn(|| unpack_in(&tmp).unwrap()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(got.iter().all(|p| *p == dest) && matches(&dest));
        // A group-writable cache is not used.
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o777)).unwrap();
        unpack_in(&tmp).unwrap_err();
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
