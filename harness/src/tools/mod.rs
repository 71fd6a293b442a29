//! Tools built on the harness: `peers` on a real host, the learner shell, and
//! the benchmark.

pub mod bench;
pub mod learner;
pub mod peers;
