//! `cargo test`: one trial per lab step, named LAB/STEP. Each trial is
//! self-contained: fresh namespaces, the earlier steps' commands replayed,
//! then the step's traffic, captures and assertions. Trials run in parallel.
//! The `harness/…` trials test the kit itself: its rendering against real
//! tcpdump, its failure messages, and what it leaves behind when killed.

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use vethlab::report::Status;
use vethlab::run::{self, RunOpts};

mod attempts;
mod author;
mod cli;
mod doctor;
mod errors;
mod escape;
mod host_sockets;
mod kernels;
mod learner;
mod mutations;
mod parity;
mod peers;
mod pictures;
mod readmes;
mod reports;
mod safety;
mod transcripts;
mod walkthrough;

fn main() -> ExitCode {
    // Before any thread: the sandbox (root, or rootless with a user
    // namespace); the tests' temporary files are the one writable place.
    // The labs (the built-in ones unpacked) before the sandbox, whose view
    // of the host is read-only.
    let dir = match vethlab::lab::catalog::labs_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let opts = vethlab::sys::sandbox::Options {
        writable: vec![std::env::temp_dir()],
        // The checkout (the built vethlab the tests run), and the labs with
        // their fixtures (the built-in ones unpacked beside each other).
        readable: vec![
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."),
            dir.parent().unwrap_or(&dir).to_path_buf(),
        ],
    };
    if let Err(e) = vethlab::sys::sandbox::enter_with(&opts) {
        eprintln!("{e}");
        return ExitCode::from(2);
    }
    let args = Arguments::from_args();
    let labs = match vethlab::lab::catalog::load_all(&dir) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // VETHLAB_SHARD=I/N: this runner takes every Nth lab (as `vethlab run
    // --shard`), and the kit's own trials run in shard 1 only.
    let shard = match std::env::var("VETHLAB_SHARD") {
        Ok(s) => match vethlab::lab::catalog::parse_shard(&s) {
            Ok(x) => Some(x),
            Err(e) => {
                eprintln!("VETHLAB_SHARD: {e}");
                return ExitCode::from(2);
            }
        },
        Err(_) => None,
    };
    let mine = match shard {
        Some((i, n)) => vethlab::lab::catalog::shard(labs.clone(), i, n),
        None => labs.clone(),
    };
    let mut trials = vec![];
    for l in &mine {
        let l = Arc::new(l.clone());
        for (i, s) in l.steps.iter().enumerate() {
            // A skip is decided when listing, so every runner (nextest,
            // JUnit consumers) reports it as skipped, never as passed; the
            // reason shows as the trial's kind and again if it is forced to run.
            let skip = run::step_skip(&l, i);
            let name = format!("{}/{}", l.name, s.name);
            let l = l.clone();
            let trial = Trial::ignorable_test(format!("{}/{}", l.name, s.name), move || {
                let r = run::run_one(&l, i, &RunOpts::default());
                match &r.status {
                    Status::Pass => Ok(Completion::Completed),
                    // Forced to run (`--ignored`, nextest's --run-ignored).
                    Status::Skip(why) => skipped(why.as_str()),
                    Status::Fail => Err(Failed::from(r.text(false))),
                }
            });
            trials.push(match skip {
                Some(why) => {
                    if !args.list {
                        eprintln!("skip {name}: {why}");
                    }
                    trial.with_ignored_flag(true).with_kind("skip")
                }
                None => trial,
            });
        }
    }
    let labs = Arc::new(labs);
    let l2 = labs.clone();
    trials.push(Trial::ignorable_test("harness/tcpdump-agrees", move || {
        parity::tcpdump_agrees(&l2)
    }));
    trials.push(Trial::ignorable_test(
        "harness/tcpdump-agrees-synthetic",
        parity::tcpdump_agrees_synthetic,
    ));
    let d2 = dir.clone();
    trials.push(Trial::test(
        "harness/broken-lab-shows-expected-vs-captured",
        move || errors::broken_lab(&d2),
    ));
    trials.push(Trial::test(
        "harness/malformed-lab-file-says-where",
        errors::malformed_lab,
    ));
    let d5 = dir.clone();
    trials.push(Trial::ignorable_test(
        "cni/wrong-plugin-config-shows-plugin-error",
        move || errors::cni_plugin_error(&d5),
    ));
    let d4 = dir.clone();
    trials.push(Trial::test(
        "harness/capture-drops-fail-loudly",
        move || errors::capture_drops_fail(&d4),
    ));
    trials.push(Trial::test(
        "harness/bad-input-corpus",
        errors::bad_input_corpus,
    ));
    trials.push(Trial::test(
        "harness/fault-injection-never-lost",
        errors::fault_injection,
    ));
    trials.push(Trial::test(
        "harness/output-survives-its-reader",
        errors::output_survives_reader,
    ));
    let names: Vec<String> = labs.iter().map(|l| l.name.clone()).collect();
    trials.push(Trial::test("safety/kill-9-at-any-moment", move || {
        safety::kill_at_any_moment(&names)
    }));
    trials.push(Trial::test(
        "safety/caller-untouched",
        safety::caller_untouched,
    ));
    trials.push(Trial::test(
        "safety/four-parallel-runs",
        safety::four_parallel_runs,
    ));
    trials.push(Trial::test(
        "safety/rootless-refused-exit-2",
        safety::rootless_refused,
    ));
    trials.push(Trial::test("safety/sandbox-holds", escape::sandbox_holds));
    trials.push(Trial::test(
        "escape/host-sockets-unreachable",
        host_sockets::host_sockets_unreachable,
    ));
    trials.push(Trial::test(
        "harness/neigh-params-over-netlink",
        kernels::neigh_params_over_netlink,
    ));
    trials.push(Trial::test(
        "safety/outputs-never-follow-symlinks",
        escape::outputs_never_follow_symlinks,
    ));
    for c in escape::cases() {
        let name = c.file_name().unwrap_or_default().to_string_lossy();
        trials.push(Trial::test(format!("escape/{name}"), move || {
            escape::case(&c)
        }));
    }
    trials.push(Trial::ignorable_test(
        "learner/tmux-bridge-arp-step-3",
        learner::tmux_session,
    ));
    let l3 = labs.clone();
    trials.push(Trial::test("learner/html-report-well-formed", move || {
        learner::html_report(&l3)
    }));
    if shard.is_none_or(|(i, _)| i == 1) {
        trials.extend(mutations::trials(&dir));
    }
    trials.extend(transcripts::trials(&mine));
    trials.extend(walkthrough::trials(&mine));
    trials.extend(doctor::trials(&mine));
    trials.extend(attempts::trials(&mine));
    let l4 = labs.clone();
    trials.push(Trial::test("attempt/no-spoiler", move || {
        attempts::no_spoiler(&l4)
    }));
    let l5 = labs.clone();
    trials.push(Trial::test("attempt/zh-text", move || {
        attempts::zh_text(&l5)
    }));
    trials.extend(readmes::trials(&mine));
    let l6 = labs.clone();
    trials.push(Trial::test("harness/readmes-are-the-steps", move || {
        readmes::structure(&l6)
    }));
    trials.push(Trial::test(
        "harness/completions-and-man",
        reports::completions_and_man,
    ));
    trials.push(Trial::test(
        "harness/copied-binary-lists-every-lab",
        reports::copied_binary_lists_every_lab,
    ));
    let d6 = dir.clone();
    trials.push(Trial::test("harness/bless-then-run-passes", move || {
        reports::bless_then_run_passes(&d6)
    }));
    trials.push(Trial::test(
        "harness/new-bless-run-passes",
        author::new_bless_run,
    ));
    trials.push(Trial::test(
        "harness/fmt-check-then-fix",
        author::fmt_check_then_fix,
    ));
    trials.push(Trial::ignorable_test(
        "harness/tutorial-commands-work",
        author::tutorial_commands_work,
    ));
    let l5 = labs.clone();
    trials.push(Trial::test("harness/lab-readmes-map-every-id", move || {
        transcripts::readmes_map_every_id(&l5)
    }));
    trials.push(Trial::ignorable_test(
        "harness/report-colour-on-a-terminal-only",
        reports::colour_on_a_terminal_only,
    ));
    let l4 = labs.clone();
    trials.push(Trial::ignorable_test("harness/junit-parses", move || {
        reports::junit_parses(&l4)
    }));
    let d3 = dir.clone();
    trials.push(Trial::test("peers/flannel-node-pairs", move || {
        peers::flannel_pairs(&d3)
    }));
    trials.push(Trial::test("peers/whole-machine", peers::whole_machine));
    let (d7, d8) = (dir.clone(), dir.clone());
    let vp = labs
        .iter()
        .find(|l| l.name == "veth-pair")
        .map(|l| l.steps.len());
    trials.push(Trial::test("harness/cli-fail-fast", move || {
        cli::fail_fast(&d7)
    }));
    trials.push(Trial::test("harness/cli-quiet", move || {
        cli::quiet(&d8, vp.unwrap_or(0))
    }));
    trials.push(Trial::test("harness/cli-color", cli::colour_flags));
    let l7 = labs.clone();
    trials.push(Trial::test("harness/readme-figures", move || {
        readmes::main_readme_figures(&l7)
    }));
    let d9 = dir.clone();
    trials.push(Trial::ignorable_test(
        "harness/junit-valid-against-jenkins-xsd",
        move || reports::junit_valid_against_xsd(&d9),
    ));
    // What each lab's steps assert about this state, as the lab files say it.
    let shows: [(&str, &[(&str, &str)]); 3] = [
        (
            "flannel",
            &[(
                "cross-node-vxlan",
                "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
            )],
        ),
        (
            "calico",
            &[
                ("proxy-arp", "169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee"),
                ("proxy-arp", "net.ipv4.conf.cali7a4b00317e6.proxy_arp = 1"),
                ("node-routes", "blackhole 10.244.38.128/26 proto bird"),
            ],
        ),
        (
            "bridge-arp",
            &[("veth-in-bridge", "192.168.122.102 dev veth0 FAILED")],
        ),
    ];
    for (name, want) in shows {
        if let Some(l) = labs.iter().find(|l| l.name == name).cloned() {
            trials.push(Trial::test(
                format!("harness/topology-per-step/{name}"),
                move || pictures::topology_is_the_kernel(&l, want),
            ));
        }
    }
    trials.push(Trial::test(
        "peers/hostile-names-escaped",
        peers::hostile_names_escaped,
    ));
    if shard.is_some_and(|(i, _)| i != 1) {
        trials.retain(|t| !KIT_TRIALS.iter().any(|p| t.name().starts_with(p)));
    }
    libtest_mimic::run(&args, trials).exit_code()
}

/// The kit's own trials (not lab steps), by name prefix.
const KIT_TRIALS: [&str; 6] = [
    "harness/",
    "safety/",
    "learner/",
    "peers/",
    "cni/",
    "mutation/",
];

/// A trial that found, while running, that it cannot run here. libtest
/// shows it as ignored; nextest reads only the exit status of a trial it
/// ran, where "ignored" would be a pass, so there it fails with its reason.
/// (Skips known in advance, a kernel feature, are decided when listing.)
pub(crate) fn skipped(why: impl Into<String>) -> Result<Completion, Failed> {
    let why = why.into();
    if std::env::var_os("NEXTEST").is_some() {
        Err(fail(format!("could not run, skipped: {why}")))
    } else {
        Ok(Completion::ignored_with(why))
    }
}

pub(crate) fn fail(m: impl Into<String>) -> Failed {
    Failed::from(m.into())
}

pub(crate) fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        } else {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}
