//! BIRD's control socket, as `birdc show protocols` reads it: which
//! protocols run and in what state (a BGP session `Established`).

use crate::error::{Error, Result};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::BorrowedFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// One line per protocol of `show protocols`: name, protocol, and the rest
/// (state, since, info) as BIRD prints it. `Ok(None)` when no BIRD runs
/// in the network namespace `ns` (an fd of it) and none listens on `ctl`.
pub fn protocols(ctl: &Path, ns: BorrowedFd<'_>) -> Result<Option<Vec<(String, String, String)>>> {
    if !ctl.exists() {
        // Started but not listening yet: running, nothing to show.
        return Ok(running_in(ns).then(Vec::new));
    }
    let io = |e| Error::io(format!("BIRD control socket {}", ctl.display()), e);
    let s = match UnixStream::connect(ctl) {
        Ok(s) => s,
        // A socket left by a BIRD that died, or one not listening yet.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Ok(running_in(ns).then(Vec::new))
        }
        Err(e) => return Err(io(e)),
    };
    s.set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(io)?;
    let mut w = s.try_clone().map_err(io)?;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    // The greeting: "0001 BIRD 2.x ready."
    r.read_line(&mut line).map_err(io)?;
    w.write_all(b"show protocols\n").map_err(io)?;
    let mut v = vec![];
    loop {
        line.clear();
        if r.read_line(&mut line).map_err(io)? == 0 {
            break;
        }
        let l = line.trim_end_matches(['\n', '\r']);
        // The end: "0000" (its trailing blank may be the line's end).
        if l.len() == 4 && l.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        // "NNNN-text" continues, "NNNN text" ends, " text" continues.
        let (code, last, text) = match l.as_bytes().get(4) {
            Some(b'-') | Some(b' ') if l[..4].bytes().all(|b| b.is_ascii_digit()) => {
                (&l[..4], l.as_bytes()[4] == b' ', &l[5..])
            }
            _ => ("", false, l.trim_start()),
        };
        let w: Vec<&str> = text.split_whitespace().collect();
        if code != "2002" && w.len() >= 2 {
            v.push((w[0].to_string(), w[1].to_string(), w[2..].join(" ")));
        }
        if last {
            break;
        }
    }
    Ok(Some(v))
}

/// Whether a `bird` process (in this PID namespace's /proc) runs in the
/// network namespace `ns`: one started in another node is no BIRD of this
/// one, and one that was started is in /proc by the time its command returned
/// (it forks before the parent exits), so a learner's check never races it.
fn running_in(ns: BorrowedFd<'_>) -> bool {
    let Ok(want) = nix::sys::stat::fstat(ns) else {
        return false;
    };
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return false;
    };
    let same_ns = |e: &std::fs::DirEntry| {
        std::fs::metadata(e.path().join("ns/net"))
            .is_ok_and(|m| m.ino() == want.st_ino && m.dev() == want.st_dev)
    };
    rd.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "bird")
        })
        .any(|e| same_ns(&e))
}
