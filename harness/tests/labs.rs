//! `cargo test`: one trial per lab step, named LAB/STEP. Each trial is
//! self-contained: fresh namespaces, the earlier steps' commands replayed,
//! then the step's traffic, captures and assertions. Trials run in parallel.

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::process::ExitCode;
use std::sync::Arc;
use vethlab::lab::{self, RunOpts};
use vethlab::report::Status;

fn main() -> ExitCode {
    // Before any thread: the sandbox (root, or rootless with a user namespace).
    if let Err(e) = vethlab::sandbox::enter() {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    let args = Arguments::from_args();
    let labs = match vethlab::labs::load_all(&vethlab::labs::labs_dir()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut trials = vec![];
    for l in labs {
        let l = Arc::new(l);
        for (i, s) in l.steps.iter().enumerate() {
            let l = l.clone();
            trials.push(Trial::ignorable_test(
                format!("{}/{}", l.name, s.name),
                move || {
                    let r = lab::run_one(&l, i, &RunOpts::default());
                    match &r.status {
                        Status::Pass => Ok(Completion::Completed),
                        Status::Skip(why) => Ok(Completion::ignored_with(why)),
                        Status::Fail => Err(Failed::from(r.text(false))),
                    }
                },
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}
