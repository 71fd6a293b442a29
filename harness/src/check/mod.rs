//! Judging: expectations on kernel state and article transcripts, compared
//! with what was read or captured.

pub mod judge;
pub mod lines;
pub mod state;
pub mod transcript;
