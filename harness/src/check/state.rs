//! The kernel state a check judges: the trait lives in `model` (so the
//! assertion kinds in `lab::expect` use it without importing `check`); this
//! is its name for the checks.

pub use crate::model::state::State;
