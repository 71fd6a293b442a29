//! Standard output that survives its reader. `print!` panics when stdout is
//! a closed pipe (`vethlab list | head -1`) or a full disk (`> /dev/full`),
//! exit status 101. Here a closed pipe ends the process quietly with status
//! 141 (128 + SIGPIPE: what the shell reports for `cat` in the same place,
//! so `set -o pipefail` scripts see the usual thing); any other write error
//! is kept, further output is dropped, and `finish` returns it so the command
//! exits 1 with "write standard output: …".
//!
//! Exiting mid-run is safe: every lab namespace is held by a file descriptor
//! and every child dies with us (PDEATHSIG), so the kernel removes the rest.

use crate::error::{Error, Result};
use std::io::Write;
use std::sync::Mutex;

static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Write `s` to stdout now (flushed: progress is seen as it happens).
pub fn print(s: &str) {
    let Ok(mut failed) = FAILED.lock() else {
        return;
    };
    if failed.is_some() {
        return;
    }
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(s.as_bytes()).and_then(|_| o.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        *failed = Some(e.to_string());
    }
}

/// `print` with a newline.
pub fn println(s: &str) {
    print(&format!("{s}\n"));
}

/// The first write error on stdout, if any, as an error naming stdout.
pub fn finish() -> Result<()> {
    print("");
    match FAILED.lock().ok().and_then(|f| f.clone()) {
        Some(e) => Err(Error::other(format!("write standard output: {e}"))),
        None => Ok(()),
    }
}

/// Whether text for a stream gets colour: only on a terminal, and never when
/// `NO_COLOR` is set to anything but the empty string (no-color.org).
pub fn colour_wanted(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Colour for standard output (`stderr`: for standard error) as this
/// process was started.
pub fn colour(stderr: bool) -> bool {
    use std::io::IsTerminal;
    let terminal = if stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    colour_wanted(terminal, std::env::var_os("NO_COLOR").as_deref())
}

/// `s` in an SGR colour (`"32"` green, `"31"` red, `"33"` yellow) when `on`.
pub fn paint(on: bool, sgr: &str, s: &str) -> String {
    if on {
        format!("\x1b[{sgr}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Text from a lab file made safe for a terminal: control characters (an
/// escape sequence in a title would recolour or retitle the terminal) and
/// bidirectional overrides shown as `\u{…}`; `\n` kept when `lines`.
pub fn esc_text(s: &str, lines: bool) -> String {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(|c| c.is_control() || bidi(c)) {
        return s.to_string();
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' if lines => o.push('\n'),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c if c.is_control() || bidi(c) => o.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// One line of terminal text: every control character escaped.
pub fn esc(s: &str) -> String {
    esc_text(s, false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(super::esc("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(super::esc("x\ny"), "x\\ny");
        assert_eq!(super::esc_text("x\ny\u{7}", true), "x\ny\\u{7}");
        assert_eq!(super::esc("\u{202e}abc"), "\\u{202e}abc");
        assert_eq!(super::esc("plain — ✓"), "plain — ✓");
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        use super::colour_wanted as c;
        use std::ffi::OsStr;
        assert!(c(true, None));
        assert!(
            c(true, Some(OsStr::new(""))),
            "NO_COLOR= (empty) does not count"
        );
        assert!(!c(true, Some(OsStr::new("1"))));
        assert!(
            !c(true, Some(OsStr::new("0"))),
            "any non-empty value turns it off"
        );
        assert!(!c(false, None), "piped: no colour");
        assert_eq!(super::paint(false, "32", "PASS"), "PASS");
        assert_eq!(super::paint(true, "32", "PASS"), "\x1b[32mPASS\x1b[0m");
    }
}
