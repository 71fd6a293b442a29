//! One file per subcommand, each with an `exec()`.

/// For every subcommand: standard output that survives a closed pipe or a full disk (`out`).
macro_rules! say {
    ($($t:tt)*) => { crate::out::println(&format!($($t)*)) };
}
#[allow(unused_macros)]
macro_rules! put {
    ($($t:tt)*) => { crate::out::print(&format!($($t)*)) };
}

pub mod answer;
pub mod bench;
pub mod check;
pub mod docs;
pub mod doctor;
pub mod fmt;
pub mod hint;
pub mod list;
pub mod new;
pub mod peers;
pub mod reset;
pub mod run;
pub mod run_html;
pub mod schema;
pub mod shell;
pub mod solution;
pub mod task;
