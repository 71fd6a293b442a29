//! Matching captured lines against a fixture: placeholders filled from the
//! kernel's state, `*` globs, order, and lines that must never appear.

use crate::error::Result;
/// Placeholders are filled where assertion kinds fill theirs.
pub use crate::lab::fill::resolve;
use crate::lab::fixture::FixtureLine;

/// `*` matches any run of characters; everything else literally.
pub fn glob(pat: &str, s: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == s;
    }
    let mut pos = 0;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            if !s.starts_with(p) {
                return false;
            }
            pos = p.len();
        } else if i == parts.len() - 1 {
            return s.len() >= pos + p.len() && s[pos..].ends_with(p);
        } else {
            match s[pos..].find(p) {
                Some(k) => pos += k + p.len(),
                None => return false,
            }
        }
    }
    true
}

/// Expected lines must appear in order (other lines may come between);
/// `!` lines must match no captured line. On failure, a side-by-side account.
pub fn match_lines(expected: &[(FixtureLine, String)], captured: &[String]) -> Result<(), String> {
    let mut pos = 0;
    let mut report = vec![];
    let mut ok = true;
    for (fl, pat) in expected {
        if fl.never {
            if let Some(c) = captured.iter().find(|c| glob(pat, c)) {
                ok = false;
                report.push(format!(
                    "  ✗ line {}: must never appear: {pat}\n      but captured: {c}",
                    fl.line_no
                ));
            } else {
                report.push(format!("  ✓ line {}: never: {pat}", fl.line_no));
            }
            continue;
        }
        match captured[pos..].iter().position(|c| glob(pat, c)) {
            Some(k) => {
                pos += k + 1;
                report.push(format!("  ✓ line {}: {pat}", fl.line_no));
            }
            None => {
                ok = false;
                report.push(format!(
                    "  ✗ line {}: expected, not captured (in order): {pat}",
                    fl.line_no
                ));
            }
        }
    }
    if ok {
        return Ok(());
    }
    let mut s = String::from("expected (fixture):\n");
    s.push_str(&report.join("\n"));
    s.push_str("\ncaptured:\n");
    if captured.is_empty() {
        s.push_str("  (nothing)\n");
    }
    for c in captured {
        s.push_str(&format!("  {c}\n"));
    }
    Err(s)
}
