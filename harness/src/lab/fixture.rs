//! Capture fixtures: the tcpdump-style lines a step must show, in order, with
//! `{node.iface.mac}` placeholders and `!` lines that must never appear.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// One line of a fixture file.
#[derive(Debug, Clone)]
pub struct FixtureLine {
    /// 1-based line number in the fixture file.
    pub line_no: usize,
    /// The tcpdump-style line, with placeholders, without the leading `!`.
    pub text: String,
    /// A `!` line: it must never appear in the capture.
    pub never: bool,
}

/// A fixture file: the lines one capture point must show.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// Its lines, in file order.
    pub lines: Vec<FixtureLine>,
}

impl Fixture {
    /// Load and check a fixture; placeholders must name known nodes.
    pub fn load(path: &Path, nodes: &[String]) -> Result<Fixture> {
        let text =
            crate::lab::input::read_text(path, "fixture", crate::lab::input::MAX_FIXTURE_BYTES)?;
        Fixture::parse(path, &text, nodes)
    }

    /// Check a fixture's text, read from `path` (named in messages).
    pub fn parse(path: &Path, text: &str, nodes: &[String]) -> Result<Fixture> {
        let mut lines = vec![];
        for (i, l) in text.lines().enumerate() {
            let t = l.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let (never, body) = match t.strip_prefix('!') {
                Some(b) => (true, b.trim()),
                None => (false, t),
            };
            let phs = placeholders(body).map_err(|col| {
                Error::input(
                    format!("{}:{}:{}", path.display(), i + 1, col + 1 + (l.len() - l.trim_start().len())),
                    "`{` without its `}` (placeholders are {node.iface.mac}, {node.iface.ifindex} or {node.iface.ll6})",
                )
            })?;
            for (col, ph) in phs {
                let parts: Vec<&str> = ph.split('.').collect();
                let at = format!(
                    "{}:{}:{}",
                    path.display(),
                    i + 1,
                    col + 1 + (l.len() - l.trim_start().len())
                );
                if parts.len() != 3 || !["mac", "ifindex", "ll6"].contains(&parts[2]) {
                    return Err(Error::input(at, format!("unknown placeholder `{{{ph}}}` (use {{node.iface.mac}}, {{node.iface.ifindex}} or {{node.iface.ll6}})")));
                }
                if !nodes.iter().any(|n| n == parts[0]) {
                    return Err(Error::input(
                        at,
                        format!(
                            "placeholder `{{{ph}}}` names no node of this lab (nodes: {})",
                            nodes.join(", ")
                        ),
                    ));
                }
            }
            lines.push(FixtureLine {
                line_no: i + 1,
                text: body.to_string(),
                never,
            });
        }
        // A fixture that expects nothing would pass on any capture.
        if !lines.iter().any(|l| !l.never) {
            return Err(Error::input(
                format!("{}:1:1", path.display()),
                "the fixture expects no line (only comments or `!` lines): it could never fail; \
                 write the lines tcpdump -n should show",
            ));
        }
        Ok(Fixture {
            path: path.to_path_buf(),
            lines,
        })
    }
}

/// `{...}` spans in a line, with their column; `Err(col)` for an unclosed `{`.
pub fn placeholders(s: &str) -> Result<Vec<(usize, &str)>, usize> {
    let mut out = vec![];
    let mut rest = s;
    let mut off = 0;
    while let Some(a) = rest.find('{') {
        match rest[a..].find('}') {
            Some(b) => {
                out.push((off + a, &rest[a + 1..a + b]));
                off += a + b + 1;
                rest = &rest[a + b + 1..];
            }
            None => return Err(off + a),
        }
    }
    Ok(out)
}
