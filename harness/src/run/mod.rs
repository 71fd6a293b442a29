//! Running a lab: build each step's given state, run its actions, capture,
//! read state, check, report. The only place that joins the pure and the
//! system halves.
