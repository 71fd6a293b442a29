//! Tools built on the harness: `peers` on a real host, the learner shell, and
//! the benchmark.

pub mod bench;
pub mod bench_check;
pub mod doctor;
pub mod exercise;
pub mod lang;
#[allow(unsafe_code)] // raw system calls, each block with its SAFETY comment
pub mod learner;
pub mod learner_home;
pub mod peers;
