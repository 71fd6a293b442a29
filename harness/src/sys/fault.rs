//! Faults a test arms to prove that a failure is never lost: a lab that
//! panics mid-step, a netlink call that fails, a worker that cannot return
//! to its home namespace. Compiled in always, so the binary tested is the
//! binary shipped; inert unless `VETHLAB_FAULT` names a point
//! (`VETHLAB_FAULT=panic-in-step:STEP,netlink:DEV`).

use std::sync::OnceLock;

fn points() -> &'static [String] {
    static P: OnceLock<Vec<String>> = OnceLock::new();
    P.get_or_init(|| {
        std::env::var("VETHLAB_FAULT")
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    })
}

/// Is `point` armed (exactly, or as `point:ARG` for any ARG)?
pub fn armed(point: &str) -> bool {
    points().iter().any(|p| p == point)
}

/// Is `point:arg` armed?
#[doc(hidden)]
pub fn armed_for(point: &str, arg: &str) -> bool {
    points()
        .iter()
        .any(|p| p.split_once(':') == Some((point, arg)))
}

/// A netlink request about to be made for `request` (its debug text) fails
/// when `netlink:NAME` is armed and the request names `NAME`.
pub fn netlink_fails(request: impl FnOnce() -> String) -> Option<String> {
    let armed: Vec<&str> = points()
        .iter()
        .filter_map(|p| p.strip_prefix("netlink:"))
        .collect();
    if armed.is_empty() {
        return None;
    }
    let r = request();
    armed
        .into_iter()
        .find(|n| r.contains(&format!("\"{n}\"")))
        .map(|n| format!("netlink: injected failure for `{n}` (VETHLAB_FAULT): Operation not permitted (os error 1)"))
}
