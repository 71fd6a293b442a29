//! Running a lab: build each step's given state, run its actions, capture,
//! read state, check, report. The only place that joins the pure and the
//! system halves.

pub mod actions;
pub mod cni_vars;
pub mod judge;
pub mod lab;
pub mod parallel;
#[allow(unsafe_code)] // #[link_section]: the runner child's constructor
pub mod runner;
pub mod state;
pub mod step;

pub use lab::{
    build_given, build_upto, feature_missing, index_plan, new_topo, run_lab, run_lab_then, run_one,
    run_one_then, step_skip, RunOpts, NOT_RUN,
};
pub use parallel::{JobResult, LabJob};
pub use runner::{RunReport, Runner, StepSummary};
pub use step::run_step;
