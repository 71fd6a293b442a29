//! Two things the binary carries from the tree it was built from:
//!
//! - The git revision for `vethlab --version`, so a report or a bug names the
//!   exact code: `$VETHLAB_GIT_REV` when set (the image builds from `git
//!   archive`, without `.git`, and passes it as a build argument), else `git
//!   rev-parse`, else "unknown".
//! - The shipped labs and fixtures (`labs/`, `fixtures/`: symlinks to the
//!   repository's in a checkout, real directories in the packaged crate),
//!   embedded file by file, so an installed or copied binary runs every lab
//!   without the checkout (see `lab::source`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    git_rev();
    embed_labs();
    println!("cargo:rerun-if-changed=build.rs");
}

fn git_rev() {
    println!("cargo:rerun-if-env-changed=VETHLAB_GIT_REV");
    if let Some(rev) = std::env::var("VETHLAB_GIT_REV")
        .ok()
        .filter(|r| !r.trim().is_empty())
    {
        println!("cargo:rustc-env=VETHLAB_GIT_REV={}", rev.trim());
        return;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let rev = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|o| o.status.success() && !o.stdout.is_empty())
        .map_or("", |_| "-dirty");
    println!("cargo:rustc-env=VETHLAB_GIT_REV={rev}{dirty}");
    // Rebuilt when HEAD moves: watch only paths that exist (a missing one
    // would rerun this script on every build), in the checkout's own git
    // directory (a worktree's `.git` is a file naming it).
    let dir = git(&["rev-parse", "--absolute-git-dir"]).unwrap_or_else(|| "../.git".into());
    for f in ["HEAD", "logs/HEAD", "index"] {
        let p = Path::new(&dir).join(f);
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }
}

/// Writes `$OUT_DIR/embedded.rs`: `ID` (version and a hash of every path and
/// byte, naming the unpacked copy) and `FILES` (relative path, bytes).
fn embed_labs() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = vec![];
    for top in ["labs", "fixtures"] {
        let root = manifest.join(top);
        let root = std::fs::canonicalize(&root)
            .unwrap_or_else(|e| panic!("{}: {e} (the shipped labs)", root.display()));
        // A directory: cargo rebuilds when any file under it changes.
        println!("cargo:rerun-if-changed={}", root.display());
        walk(&root, top, &mut files);
    }
    files.sort();
    // FNV-1a over paths and contents: names the unpacked copy, so a binary
    // with other labs never reuses this one's.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut code = String::from("pub(super) static FILES: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        let bytes = std::fs::read(abs).unwrap_or_else(|e| panic!("{}: {e}", abs.display()));
        for b in rel
            .bytes()
            .chain([0])
            .chain(bytes.iter().copied())
            .chain([0])
        {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
        let abs = abs.to_str().expect("UTF-8 path");
        writeln!(code, "    ({rel:?}, include_bytes!({abs:?})),").unwrap();
    }
    code.push_str("];\n");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    writeln!(code, "pub(super) const ID: &str = \"{version}-{h:016x}\";").unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("embedded.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

/// Regular files under `dir`, as (`rel/path`, absolute path). Symlinks and
/// names that are not UTF-8 are refused: the shipped tree is plain files,
/// and the runtime unpacks exactly these names.
fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let rd = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in rd {
        let e = e.unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let name = e.file_name();
        // Dotfiles (an editor's swap file) are not part of a lab.
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let name = name
            .to_str()
            .filter(|n| !n.contains(['/', '\\']))
            .unwrap_or_else(|| {
                panic!(
                    "{}: a name the shipped labs may not use",
                    e.path().display()
                )
            });
        let ft = e
            .file_type()
            .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
        let r = format!("{rel}/{name}");
        if ft.is_dir() {
            walk(&e.path(), &r, out);
        } else if ft.is_file() {
            out.push((r, e.path()));
        } else {
            panic!(
                "{}: not a plain file (the shipped labs are plain files)",
                e.path().display()
            );
        }
    }
}
