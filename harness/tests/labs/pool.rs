//! Inner parallelism for trials made of many independent runs (kill
//! moments, bad-input cases): each run mostly waits (a process starting,
//! timers, the kernel freeing namespaces), so several at once finish the
//! trial sooner than one after another, on any number of cores.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// `f` over every job, `workers` at a time; the results in the jobs' order.
pub(crate) fn each<J: Send, R: Send>(
    workers: usize,
    jobs: Vec<J>,
    f: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    let n = jobs.len();
    let jobs: Vec<Mutex<Option<J>>> = jobs.into_iter().map(|j| Mutex::new(Some(j))).collect();
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, n.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = jobs.get(i) else { break };
                let job = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(j) = job {
                    let r = f(j);
                    done.lock().unwrap_or_else(|p| p.into_inner()).push((i, r));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
