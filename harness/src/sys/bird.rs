//! BIRD's control socket, as `birdc show protocols` reads it: which
//! protocols run and in what state (a BGP session `Established`).

use crate::error::{Error, Result};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// One line per protocol of `show protocols`: name, protocol, and the rest
/// (state, since, info) as BIRD prints it. `Ok(None)` when no BIRD listens
/// on `ctl` (no socket there).
pub fn protocols(ctl: &Path) -> Result<Option<Vec<(String, String, String)>>> {
    if !ctl.exists() {
        // Started but not listening yet: running, nothing to show.
        return Ok(any_running().then(Vec::new));
    }
    let io = |e| Error::io(format!("BIRD control socket {}", ctl.display()), e);
    let s = match UnixStream::connect(ctl) {
        Ok(s) => s,
        // A socket left by a BIRD that died, or one not listening yet.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Ok(any_running().then(Vec::new))
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

/// Whether a `bird` process runs (in this PID namespace's /proc).
fn any_running() -> bool {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return false;
    };
    rd.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .any(|e| std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "bird"))
}
