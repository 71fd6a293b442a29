//! Judging one expectation against the kernel: `{cni:…}` values filled in,
//! state that settles awaited on the kernel's announcements, and a learner's
//! check told at once what no wait could change.

use crate::error::{Error, Result};
use crate::lab::expect::Expect;
use crate::lab::Action;
use crate::report::{CheckResult, Outcome};
use crate::topo::Topo;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Check an expectation, with `{cni:…}` values filled in; with `within_ms`,
/// again after each change the node's kernel announces, until it holds or
/// time is up; kernel state that settles by itself, until `settle_until`.
pub(crate) fn check_expect(
    topo: &Topo,
    e: &Expect,
    raw: Option<&Value>,
    within_ms: Option<u64>,
    settle_until: Instant,
) -> (String, Outcome) {
    let e = match raw {
        None => e.clone(),
        Some(v) => {
            let filled = subst_value(topo, v).and_then(|v| {
                serde_json::from_value::<Expect>(v).map_err(|x| Error::other(x.to_string()))
            });
            match filled {
                Ok(e) => e,
                Err(x) => return (e.describe(), Outcome::Fail(x.to_string())),
            }
        }
    };
    let what = match within_ms {
        Some(ms) => format!("{} (within {ms} ms)", e.describe()),
        None => e.describe(),
    };
    let look = || match e.check(topo) {
        Ok(Ok(s)) => Outcome::Pass(s),
        Ok(Err(s)) => Outcome::Fail(s),
        Err(err) => Outcome::Fail(err.to_string()),
    };
    let first = look();
    // No daemon at all: nothing that waiting would change.
    if matches!(&first, Outcome::Fail(s) if e.hopeless(s)) {
        return (what, first);
    }
    // Kernel state settles by itself after a command returns (a bridge's
    // operstate on 6.1, a neighbour entry's last transition): a miss is
    // looked at again on each change the node announces, for a bounded time.
    let deadline = match within_ms {
        Some(ms) => Instant::now() + Duration::from_millis(ms),
        None if e.settles() => settle_until,
        None => return (what, first),
    };
    if matches!(first, Outcome::Pass(_)) || Instant::now() >= deadline {
        return (what, first);
    }
    // Subscribed before the next look, so no change between look and wait is
    // missed. What no node's kernel announces (host-local's files, a BGP
    // session) is looked at again every 20 ms.
    let changes = e
        .announced_in()
        .and_then(|n| topo.node(n).ok()?.changes().ok());
    loop {
        let outcome = look();
        if matches!(outcome, Outcome::Pass(_)) || Instant::now() >= deadline {
            return (what, outcome);
        }
        match &changes {
            Some(c) => {
                c.wait(deadline);
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// A learner's check, before anything awaits state on its way (BGP for up
/// to the lab's `within_ms`): an awaited expectation that already fails for
/// good (no daemon at all where one must run) is the verdict at once. A
/// wrong fix (one BIRD of two) is told in a moment, not after 15 s, and a
/// right one is never judged by it: only what no wait could change counts,
/// and only where nothing before it in the check starts a daemon.
pub(crate) fn hopeless_ahead(topo: &Topo, items: &[&Action]) -> Option<CheckResult> {
    for a in items {
        match a {
            Action::Daemon(_) => return None,
            Action::Expect {
                id,
                e,
                within_ms: Some(ms),
                raw,
            } => {
                let now = Instant::now();
                if let (what, Outcome::Fail(s)) = check_expect(topo, e, raw.as_ref(), None, now) {
                    if e.hopeless(&s) {
                        let what = format!("{what} (within {ms} ms)");
                        let (id, outcome) = (id.clone(), Outcome::Fail(s));
                        return Some(CheckResult { id, what, outcome });
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// How long a learner's check awaits kernel state that misses.
pub(crate) const LEARNER_SETTLE_MS: u64 = 300;

/// A learner's ping (or UDP exchange) waits at most this long for its answer.
pub(crate) const LEARNER_PING_MS: u64 = 1000;

/// How long kernel state that misses is awaited before it fails.
pub(crate) const SETTLE_MS: u64 = 2000;

fn subst_value(topo: &Topo, v: &Value) -> Result<Value> {
    Ok(match v {
        Value::String(s) => Value::String(topo.subst(s)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|x| subst_value(topo, x))
                .collect::<Result<_>>()?,
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), subst_value(topo, x)?)))
                .collect::<Result<_>>()?,
        ),
        x => x.clone(),
    })
}
