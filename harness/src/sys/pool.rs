//! The namespace workers: a few threads that enter a namespace for one job
//! and go home after it (a thread per namespace cost ~115 µs to spawn, more
//! than the rest of making a pod).

use crate::error::{Error, Result};
use nix::sched::{setns, CloneFlags};
use std::sync::{mpsc, Mutex, OnceLock};

pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// The workers: any of them takes the next job.
fn pool() -> &'static Mutex<mpsc::Sender<Job>> {
    static POOL: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        let n = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .max(4);
        for i in 0..n {
            let rx = rx.clone();
            let _ = std::thread::Builder::new()
                .name(format!("vethlab-ns-{i}"))
                .stack_size(512 * 1024)
                .spawn(move || {
                    // After each job the worker goes home: a worker left in a
                    // namespace would keep it (and its devices) alive.
                    let Ok(home) = super::netns::own_ns_fd() else {
                        return;
                    };
                    loop {
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(j) => {
                                // A panicking job drops its reply channel: its
                                // caller gets an error, not a hang.
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(j));
                                let back = if crate::sys::fault::armed("worker-stuck") {
                                    Err(nix::Error::EPERM)
                                } else {
                                    setns(&home, CloneFlags::CLONE_NEWNET)
                                };
                                if let Err(e) = back {
                                    // Stuck in a lab namespace: staying would keep
                                    // it alive. This worker stops (its thread held
                                    // the namespace's only other reference); when
                                    // none is left, jobs fail with an error.
                                    crate::sys::trace::event(|| {
                                        format!("worker {i} cannot go home: {e}")
                                    });
                                    return;
                                }
                            }
                            Err(_) => return,
                        }
                    }
                });
        }
        Mutex::new(tx)
    })
}

/// Run `f` on a pool worker and wait for its result. Errors, never panics:
/// a job that panicked, or no worker left to take it.
pub(crate) fn on_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (rtx, rrx) = mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = rtx.send(f());
    });
    pool()
        .lock()
        .map_err(|_| Error::Stopped("the namespace pool is poisoned".into()))?
        .send(job)
        .map_err(|_| {
            Error::Stopped(
                "no namespace worker is left: each stopped when it could not return to its home namespace (setns)".into(),
            )
        })?;
    rrx.recv().map_err(|_| {
        Error::Stopped("a job inside a namespace panicked or its worker stopped".into())
    })
}

/// Queue `job` on a worker without waiting for it; false when no worker is left.
pub(crate) fn submit(job: Job) -> bool {
    pool().lock().is_ok_and(|p| p.send(job).is_ok())
}
