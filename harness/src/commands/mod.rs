pub mod list;
pub mod peers;
pub mod run;
