//! `VETHLAB_TRACE=1`: one line on stderr per phase of a run (build, capture,
//! traffic, assert, teardown, shell). For debugging, and for the tests that
//! kill a run at chosen moments.

use std::sync::OnceLock;

fn on() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("VETHLAB_TRACE").is_some_and(|v| v != "0"))
}

/// Prints one `vethlab-trace:` line to stderr when `VETHLAB_TRACE` is set
/// (`what` is only built then).
pub fn event(what: impl FnOnce() -> String) {
    if on() {
        eprintln!("vethlab-trace: {}", what());
    }
}
