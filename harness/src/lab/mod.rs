//! The lab file: its model, the loader with precise errors, fixtures, the
//! catalog of built-in labs and where they come from, validation of untrusted input, and bless.

pub mod bird;
pub mod bless;
mod captures;
pub mod catalog;
pub mod expand;
pub mod expect;
pub mod fill;
pub mod fixture;
pub mod format;
pub mod inet6;
pub mod input;
mod items;
pub mod load;
mod loader;
pub mod model;
pub mod schema;
pub mod solution;
pub mod source;
pub mod spans;
pub mod validate;

pub use load::{features, fixtures_base, fixtures_dir, limits, BLESSING};
pub use model::*;

#[cfg(test)]
mod expand_tests;
#[cfg(test)]
mod expect_tests;
#[cfg(test)]
mod files_tests;
#[cfg(test)]
mod load6_tests;
#[cfg(test)]
mod load_tests;
#[cfg(test)]
mod nodes_tests;
#[cfg(test)]
mod spans_bless_tests;
