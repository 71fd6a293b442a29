//! Where the labs live and how a command-line target names them.

use crate::error::{Error, Result};
use crate::lab::source::LabSource;
use crate::lab::Lab;
use crate::lab::LoadOptions;
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// The labs one program reads: where they come from and, once asked, their
/// directory. A value its owner passes around (the binary makes one from
/// `--labs`), never a process-wide setting.
#[derive(Debug)]
pub struct Labs {
    source: LabSource,
    /// The labs directory, once found (the built-in tree unpacked): found
    /// before the sandbox, which cannot unpack it, and reused inside.
    dir: OnceCell<PathBuf>,
}

impl Labs {
    /// The labs of `--labs DIR` when given, else `$VETHLAB_LABS`, else the
    /// labs built into vethlab (see [`crate::lab::source`]).
    pub fn new(flag: Option<&Path>) -> Labs {
        Labs {
            source: LabSource::choose(flag),
            dir: OnceCell::new(),
        }
    }

    /// Where the labs come from.
    pub fn source(&self) -> &LabSource {
        &self.source
    }

    /// The labs directory (the built-in tree unpacked on first use).
    pub fn dir(&self) -> Result<PathBuf> {
        if let Some(d) = self.dir.get() {
            return Ok(d.clone());
        }
        let d = self.source.labs_dir()?;
        Ok(self.dir.get_or_init(|| d).clone())
    }
}

/// The labs directory of `$VETHLAB_LABS`, else of the built-in labs
/// (unpacked): for programs without a `--labs` option (test binaries).
pub fn labs_dir() -> Result<PathBuf> {
    Labs::new(None).dir()
}

/// `--bless` writes fixtures beside the lab files: never into the unpacked
/// copy of the built-in labs, where they would be lost. An error unless the
/// labs come from a directory or every target is a lab file.
pub fn bless_target(labs: &Labs, targets: &[String]) -> Result<()> {
    let by_name = targets.is_empty() || targets.iter().any(|t| !t.contains(".json"));
    if by_name && *labs.source() == LabSource::Embedded {
        return Err(Error::input(
            "--bless",
            "writes fixtures beside the lab files, and these labs are the ones built into vethlab; \
             name the directory to write in (--labs labs in a checkout) or a lab file (path/to/lab.json)",
        ));
    }
    Ok(())
}

/// Every lab under `dir`, in a stable order (the order of the seeds' story).
pub fn load_all(dir: &Path) -> Result<Vec<Lab>> {
    load_all_with(dir, LoadOptions::default())
}

/// [`load_all`] with options (`--bless`).
pub fn load_all_with(dir: &Path, opts: LoadOptions) -> Result<Vec<Lab>> {
    const ORDER: &[&str] = &[
        "veth-pair",
        "docker-veth",
        "bridge-arp",
        "flannel",
        "calico",
        "gke-ptp",
        "flannel-cni",
        "gke-ptp-cni",
        "calico-bird",
    ];
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            Error::input(
                dir.display().to_string(),
                format!("cannot read the labs directory: {e} (set VETHLAB_LABS or --labs DIR)"),
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path().join("lab.json")))
        .filter(|p| p.is_file())
        .collect();
    let rank = |p: &PathBuf| {
        let n = p
            .parent()
            .and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("");
        (
            ORDER.iter().position(|o| *o == n).unwrap_or(ORDER.len()),
            n.to_string(),
        )
    };
    paths.sort_by_key(rank);
    paths.iter().map(|p| Lab::load_with(p, opts)).collect()
}

/// A target: `LAB`, `LAB/STEP`, or a path to a lab file (optionally `path.json/STEP`).
pub fn resolve(target: &str, dir: &Path) -> Result<(Lab, Option<usize>)> {
    resolve_with(target, dir, LoadOptions::default())
}

/// [`resolve`] with options (`--bless`).
pub fn resolve_with(target: &str, dir: &Path, opts: LoadOptions) -> Result<(Lab, Option<usize>)> {
    let (file, step) = if let Some(i) = target.find(".json/") {
        (PathBuf::from(&target[..i + 5]), Some(&target[i + 6..]))
    } else if target.ends_with(".json") {
        (PathBuf::from(target), None)
    } else {
        let (l, s) = match target.split_once('/') {
            Some((l, s)) => (l, Some(s)),
            None => (target, None),
        };
        let f = dir.join(l).join("lab.json");
        if !f.is_file() {
            let names: Vec<String> = load_all(dir)?.into_iter().map(|l| l.name).collect();
            return Err(Error::input(
                target,
                format!("no such lab (labs: {})", names.join(", ")),
            ));
        }
        (f, s)
    };
    let lab = Lab::load_with(&file, opts)?;
    let idx = match step {
        None => None,
        Some(s) => Some(lab.step_index(s).ok_or_else(|| {
            Error::input(
                target,
                format!(
                    "lab {} has no step `{s}` (steps: {})",
                    lab.name,
                    lab.steps
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?),
    };
    Ok((lab, idx))
}

/// `I/N` for `--shard` and `VETHLAB_SHARD`: 1 <= I <= N.
pub fn parse_shard(s: &str) -> std::result::Result<(usize, usize), String> {
    let bad = || format!("`{s}`: a shard is I/N with 1 <= I <= N, e.g. 2/3");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if i == 0 || n == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Shard `i` of `n` of `items` (dealt round-robin, order kept): the shards
/// together hold every item once.
pub fn shard<T>(items: Vec<T>, i: usize, n: usize) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % n == i - 1)
        .map(|(_, x)| x)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_everything_once() {
        let all: Vec<u32> = (0..8).collect();
        let mut seen: Vec<u32> = (1..=3).flat_map(|i| shard(all.clone(), i, 3)).collect();
        seen.sort();
        assert_eq!(seen, all);
        assert_eq!(shard(all.clone(), 2, 3), vec![1, 4, 7]);
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
