//! Judging what was read or captured: fixtures' lines, article
//! transcripts, a learner's answers, the doctor's findings. Each assertion
//! kind on kernel state judges itself in its file of `lab::expect`, through
//! the [`State`](state::State) trait named here; its unit tests are here,
//! against a fake state.

pub mod answer;
pub mod doctor;
pub mod lines;
pub mod state;
pub mod transcript;

#[cfg(test)]
mod addrs_tests;
#[cfg(test)]
pub(crate) mod fake;
#[cfg(test)]
mod judge_form_tests;
#[cfg(test)]
mod judge_link_tests;
#[cfg(test)]
mod judge_tests;
#[cfg(test)]
mod lines_tests;
#[cfg(test)]
mod transcript_tests;
