pub mod bench;
pub mod check;
pub mod docs;
pub mod list;
pub mod peers;
pub mod run;
pub mod shell;
