//! Namespaces made ahead of need on the pool's workers: at most one spare,
//! made while the caller configures the last one, and only while more were
//! announced.

use super::netns::{connect, lab_sysctls, own_ns_fd};
use super::pool::{self, on_pool, Job};
use crate::error::{Error, Result};
use nix::sched::{unshare, CloneFlags};
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

/// A namespace as a worker made it: its fd, netlink handle and runtime.
pub(super) type Made = (OwnedFd, rtnetlink::Handle, tokio::runtime::Runtime);

/// The namespace limit this process hit, naming its sysctl: once set, the
/// environment has failed (exit 2), not the lab's steps.
static LIMIT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Whether a namespace limit was hit during this run, and the message.
pub fn limit_hit() -> Option<&'static str> {
    LIMIT.get().map(String::as_str)
}

/// On a worker: a fresh namespace with the lab sysctls and a netlink connection.
fn make() -> Result<Made> {
    unshare(CloneFlags::CLONE_NEWNET).map_err(|e| {
        if e == nix::Error::ENOSPC {
            let m = format!(
                "unshare(CLONE_NEWNET): {e}: the network-namespace limit is used up \
                 (user.max_net_namespaces, here or in an enclosing user namespace); \
                 raise it with: sudo sysctl -w user.max_net_namespaces=10000"
            );
            return Error::Privilege(m);
        }
        Error::sys("unshare(CLONE_NEWNET)", e)
    })?;
    let fd = own_ns_fd()?;
    lab_sysctls();
    let (nl, rt) = connect()?;
    Ok((fd, nl, rt))
}

/// The next namespace, made on a worker while the caller configures the
/// last one: making one (unshare, sysctls, netlink socket, ~650 µs) is half
/// a pod's cost, and the caller would wait for it with the second core idle.
/// At most one, and only while more were announced (`expect`): a spare
/// nobody takes is made and torn down for nothing, under the kernel's rtnl
/// lock that every other namespace waits on. It holds one slot of
/// `user.max_net_namespaces` ahead of need; a spare that failed is not
/// trusted: the caller tries again, so an error is of its own moment.
static SPARE: Mutex<Option<mpsc::Receiver<Result<Made>>>> = Mutex::new(None);

/// Namespaces announced and not yet taken (`expect`). Across the labs test
/// binary's trials a build that failed half-way leaves its rest counted:
/// at worst a spare is made that waits for the next trial.
static AHEAD: AtomicUsize = AtomicUsize::new(0);

/// `n` namespaces will be asked for soon (a topology's declared nodes): a
/// spare is made ahead for them, and none past the last.
pub fn expect(n: usize) {
    if n > 0 {
        AHEAD.fetch_add(n, Ordering::SeqCst);
        queue_spare();
    }
}

/// Take `made` back as the spare if there is none (see `netns::recycle`);
/// else it is dropped.
pub(super) fn offer(made: Made) {
    if let Ok(mut s) = SPARE.lock() {
        if s.is_none() {
            let (tx, rx) = mpsc::sync_channel(1);
            let _ = tx.send(Ok(made));
            *s = Some(rx);
        }
    }
}

/// Make the next spare on a worker, if none is there or being made and
/// more namespaces were announced.
fn queue_spare() {
    if AHEAD.load(Ordering::SeqCst) == 0 {
        return;
    }
    if let Ok(mut s) = SPARE.lock() {
        if s.is_none() {
            let (tx, rx) = mpsc::sync_channel(1);
            let job: Job = Box::new(move || {
                let _ = tx.send(make());
            });
            if pool::submit(job) {
                *s = Some(rx);
            }
        }
    }
}

/// A made namespace (the spare, if it is good), and the next spare queued
/// if more are announced.
pub(super) fn take_made() -> Result<Made> {
    let spare = SPARE.lock().ok().and_then(|mut s| s.take());
    let made = match spare.and_then(|rx| rx.recv().ok()) {
        Some(Ok(m)) => m,
        // The caller's own attempt: a limit hit now is the run's to report.
        _ => on_pool(make)?.inspect_err(|e| {
            if let Error::Privilege(m) = e {
                let _ = LIMIT.set(m.clone());
            }
        })?,
    };
    // One announced namespace is now taken (none were: nothing to count).
    let _ = AHEAD.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    queue_spare();
    Ok(made)
}

/// Free the spare namespace, if one was made (a benchmark round starts
/// from none, so the spare it makes for later is paid inside the round).
pub fn drop_spare() {
    if let Some(rx) = SPARE.lock().ok().and_then(|mut s| s.take()) {
        drop(rx.recv());
    }
}
