//! Judging: expectations on kernel state and article transcripts, compared
//! with what was read or captured.

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
