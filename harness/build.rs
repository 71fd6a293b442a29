//! The git revision for `vethlab --version`, so a report or a bug names the
//! exact code. Outside a git checkout (the image builds from `git archive`)
//! it is "unknown".

use std::path::Path;
use std::process::Command;

fn main() {
    let rev = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .filter(|o| o.status.success() && !o.stdout.is_empty())
        .map_or("", |_| "-dirty");
    println!("cargo:rustc-env=VETHLAB_GIT_REV={rev}{dirty}");
    // Rebuilt when HEAD moves: watch only paths that exist (a missing one
    // would rerun this script on every build).
    for p in ["../.git/HEAD", "../.git/logs/HEAD", "../.git/index"] {
        if Path::new(p).exists() {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
