//! Many labs at once, in this process (already in the sandbox): each lab on
//! its own thread in its own namespaces, the steps of a lab in order. What
//! `vethlab run` runs, through [`Runner::run_jobs`].

use super::runner::Runner;
use crate::lab::Lab;
use crate::report::StepReport;
use crate::topo::Topo;
use std::sync::Mutex;

/// A lab to run: every step (`None`), or one (`Some(i)`, on the state the
/// earlier steps build, replayed).
pub type LabJob = (Lab, Option<usize>);

/// What a caller makes of the topology a step left (a page's node views).
pub type View<'a, V> = &'a (dyn Fn(&Lab, &Topo) -> V + Sync);

/// What each job gave: its step reports, and per step what `view` made of
/// the topology the step left (empty when not asked, or not reached).
pub type JobResult<V> = (Vec<StepReport>, Vec<V>);

impl Runner {
    /// Run `jobs` here, in parallel (the caller is in the sandbox already).
    /// `progress` sees each step's report as it ends; with `view`, what it
    /// makes of the topology each step left is kept (the HTML pages, a
    /// bless). A lab whose thread dies loses nothing: every step it had not
    /// reported is a FAIL saying why, so the run cannot pass without it.
    pub fn run_jobs<V: Clone + Default + Send>(
        &self,
        jobs: &[LabJob],
        progress: &(dyn Fn(&StepReport) + Sync),
        view: Option<View<'_, V>>,
    ) -> Vec<JobResult<V>> {
        let opts = self.opts();
        // The steps each job reported, kept outside its thread.
        let done: Vec<Mutex<Vec<String>>> = jobs.iter().map(|_| Mutex::default()).collect();
        std::thread::scope(|s| {
            let hs: Vec<_> = jobs
                .iter()
                .zip(&done)
                .map(|((l, idx), done)| {
                    let report = move |r: &StepReport| {
                        if let Ok(mut d) = done.lock() {
                            d.push(r.step.clone());
                        }
                        progress(r);
                    };
                    s.spawn(move || match idx {
                        None => {
                            let mut views = vec![V::default(); l.steps.len()];
                            let r = super::run_lab_then(l, opts, &report, &mut |i, t| {
                                if let Some(v) = view {
                                    views[i] = v(l, t);
                                }
                            });
                            (r, views)
                        }
                        Some(i) => {
                            let mut seen = V::default();
                            let r = super::run_one_then(l, *i, opts, &mut |t| {
                                if let Some(v) = view {
                                    seen = v(l, t);
                                }
                            });
                            // No verdict on a step the machine failed (exit 2 follows).
                            if crate::sys::netns::limit_hit().is_none() {
                                report(&r);
                            }
                            (vec![r], vec![seen])
                        }
                    })
                })
                .collect();
            hs.into_iter()
                .zip(jobs.iter().zip(&done))
                .map(|(h, ((l, idx), done))| {
                    h.join().unwrap_or_else(|p| {
                        let done = done.lock().map(|d| d.clone()).unwrap_or_default();
                        let r = lost(l, *idx, &done, &panic_text(&p));
                        r.iter().for_each(progress);
                        (r, vec![])
                    })
                })
                .collect()
        })
    }
}

/// A lab whose thread died: every step it had not reported is a FAIL that
/// says so, so the run cannot exit 0 without it.
fn lost(l: &Lab, idx: Option<usize>, done: &[String], why: &str) -> Vec<StepReport> {
    l.steps
        .iter()
        .enumerate()
        .filter(|(i, s)| idx.is_none_or(|x| x == *i) && !done.contains(&s.name))
        .map(|(_, s)| StepReport::failed(l, s, format!("the lab's thread died: {why}")))
        .collect()
}

/// A panic's message, as the panic hook printed it.
pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}
