//! The process's standard output and the command line's global options:
//! state of this binary, not of the library (whose printers return text).
//!
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

use clap::ValueEnum;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use vethlab::error::{Error, Result};

static FAILED: Mutex<Option<std::io::Error>> = Mutex::new(None);

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
        *failed = Some(e);
    }
}

/// `print` with a newline.
pub fn println(s: &str) {
    print(&format!("{s}\n"));
}

/// The first write error on stdout, if any, as an error naming stdout.
pub fn finish() -> Result<()> {
    print("");
    match FAILED.lock().ok().and_then(|mut f| f.take()) {
        Some(e) => Err(Error::io("write standard output", e)),
        None => Ok(()),
    }
}

/// `--color WHEN`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum When {
    /// On a terminal, unless NO_COLOR is set (non-empty) or TERM=dumb;
    /// CLICOLOR_FORCE=1 forces it.
    #[default]
    Auto,
    /// Always, even piped.
    Always,
    /// Never.
    Never,
}

/// The global options as resolved for this process.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ui {
    /// Colour on standard output.
    pub colour_out: bool,
    /// Colour on standard error.
    pub colour_err: bool,
    /// `-q`: only failures and the summary line.
    pub quiet: bool,
}

static UI: OnceLock<Ui> = OnceLock::new();

/// Whether `when` means colour for a stream: `auto` asks anstream, which
/// reads the terminal, NO_COLOR, CLICOLOR(_FORCE) and TERM as clap does —
/// except that anstream colours a terminal whenever `CI` is set, even with
/// TERM=dumb; a dumb terminal stays plain unless CLICOLOR_FORCE says so.
pub fn colour_for<S: anstream::stream::RawStream>(when: When, stream: &S) -> bool {
    match when {
        When::Always => true,
        When::Never => false,
        When::Auto => {
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            let forced =
                std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0");
            (!dumb || forced)
                && anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
        }
    }
}

/// Resolve and keep the global options (once, in `main`).
pub fn set(when: When, quiet: bool) -> Ui {
    let ui = Ui {
        colour_out: colour_for(when, &std::io::stdout()),
        colour_err: colour_for(when, &std::io::stderr()),
        quiet,
    };
    let _ = UI.set(ui);
    ui
}

/// The global options (defaults before `set`).
pub fn ui() -> Ui {
    UI.get().copied().unwrap_or_default()
}
