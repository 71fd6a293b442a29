//! `cargo test`: one trial per lab step, named LAB/STEP. Each trial is
//! self-contained: fresh namespaces, the earlier steps' commands replayed,
//! then the step's traffic, captures and assertions. Trials run in parallel.
//! The `harness/…` trials test the kit itself: its rendering against real
//! tcpdump, its failure messages, and what it leaves behind when killed.

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use vethlab::lab::Lab;
use vethlab::report::Status;
use vethlab::run::{self, RunOpts};

mod attempts;
mod author;
mod cli;
mod doctor;
mod errors;
mod escape;
mod host_sockets;
mod ipv6;
mod kernels;
mod learner;
mod mutations;
mod mutations_literal;
mod parity;
mod peers;
mod pictures;
mod pool;
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
    let mut args = Arguments::from_args();
    // Most trials wait (neighbour timers, pings, shells, BGP), each in
    // namespaces of its own: more at once than cores, unless told.
    if args.test_threads.is_none() {
        args.test_threads = Some(default_threads());
    }
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
    let kit = Arc::new(Kit { labs, dir });
    // The slowest first (the table opens with them): the run ends when its
    // longest trial does, so that one must not start last.
    let mut trials = vec![];
    let mut mutations = vec![];
    if shard.is_none_or(|(i, _)| i == 1) {
        trials.extend(kit_trials(&kit));
        mutations = mutations::trials(&kit.dir);
    }
    let mut per_lab = vec![];
    per_lab.extend(doctor::trials(&mine));
    per_lab.extend(transcripts::trials(&mine));
    per_lab.extend(walkthrough::trials(&mine));
    per_lab.extend(attempts::trials(&mine));
    per_lab.extend(step_trials(&mine, args.list));
    per_lab.extend(readmes::trials(&mine));
    // A whole lab in one trial (5-15 s, timed per trial with
    // ci/trial-times.sh) before the single steps (1-5 s); stable, so
    // otherwise in the order above.
    // The mutations (1-6 s each) after the whole labs, before the rest.
    per_lab.sort_by_key(|t| !whole_lab(t.name()));
    let wholes = per_lab.iter().take_while(|t| whole_lab(t.name())).count();
    let rest = per_lab.split_off(wholes);
    trials.extend(per_lab);
    trials.extend(mutations);
    trials.extend(rest);
    libtest_mimic::run(&args, trials).exit_code()
}

/// A trial that builds a lab's every step: `…/LAB/finished`, `doctor/hand-built`.
fn whole_lab(name: &str) -> bool {
    name.ends_with("/finished") || name == "doctor/hand-built"
}

/// `RUST_TEST_THREADS` if set, else six per core: most trials wait
/// (timers, pings, processes starting); at four per core the binary used
/// ~60 s of CPU in 80-100 s on 2 cores (timed with ci/trial-times.sh). At
/// eight, beside the kit's own parallel runs, under a load of 30-70 from
/// other builds, a step of a full run failed in 3 of 5 runs of the binary
/// (twice seen: a neighbour-state check after a failing ping).
fn default_threads() -> usize {
    std::env::var("RUST_TEST_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| 6 * std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// One trial per lab step, `LAB/STEP`: fresh namespaces, the earlier steps'
/// commands replayed, then the step's traffic, captures and assertions.
fn step_trials(labs: &[Lab], listing: bool) -> Vec<Trial> {
    let mut trials = vec![];
    for l in labs {
        let l = Arc::new(l.clone());
        for (i, s) in l.steps.iter().enumerate() {
            // A skip is decided when listing, so every runner (nextest,
            // JUnit consumers) reports it as skipped, never as passed; the
            // reason shows as the trial's kind and again if it is forced to run.
            let skip = run::step_skip(&l, i);
            let name = format!("{}/{}", l.name, s.name);
            let l = l.clone();
            let trial = Trial::ignorable_test(name.clone(), move || {
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
                    if !listing {
                        eprintln!("skip {name}: {why}");
                    }
                    trial.with_ignored_flag(true).with_kind("skip")
                }
                None => trial,
            });
        }
    }
    trials
}

/// What the kit's own trials read: every lab (whatever the shard) and the
/// labs' folder.
struct Kit {
    labs: Vec<Lab>,
    dir: PathBuf,
}

type Outcome = Result<Completion, Failed>;

/// A kit trial's body: what it reads, its outcome.
type KitFn = fn(&Kit) -> Outcome;

/// A kit trial that always runs to the end.
fn done(r: Result<(), Failed>) -> Outcome {
    r.map(|_| Completion::Completed)
}

/// The kit's own trials (not lab steps), which run in shard 1 only: one row
/// each, its name and what it runs; the slowest first. A row may find while
/// running that it cannot run here (a missing tool), and says so as a skip.
/// The order is the order they start in.
const KIT: &[(&str, KitFn)] = &[
    ("safety/kill-9-at-any-moment", |k| {
        let names: Vec<String> = k.labs.iter().map(|l| l.name.clone()).collect();
        done(safety::kill_at_any_moment(&names))
    }),
    ("harness/bad-input-corpus", |_| {
        done(errors::bad_input_corpus())
    }),
    ("harness/tcpdump-agrees", |k| {
        parity::tcpdump_agrees(&k.labs)
    }),
    ("cni/wrong-plugin-config-shows-plugin-error", |k| {
        errors::cni_plugin_error(&k.dir)
    }),
    ("harness/broken-lab-shows-expected-vs-captured", |k| {
        done(errors::broken_lab(&k.dir))
    }),
    ("learner/tmux-bridge-arp-step-3", |_| {
        learner::tmux_session()
    }),
    ("learner/html-report-well-formed", |k| {
        done(learner::html_report(&k.labs))
    }),
    ("harness/tcpdump-agrees-ipv6-lab", |k| {
        parity::tcpdump_agrees_with_ipv6_fixtures(&k.labs)
    }),
    ("harness/tcpdump-agrees-synthetic", |_| {
        parity::tcpdump_agrees_synthetic()
    }),
    ("harness/malformed-lab-file-says-where", |_| {
        done(errors::malformed_lab())
    }),
    ("harness/capture-drops-fail-loudly", |k| {
        done(errors::capture_drops_fail(&k.dir))
    }),
    ("harness/fault-injection-never-lost", |_| {
        done(errors::fault_injection())
    }),
    ("harness/output-survives-its-reader", |_| {
        done(errors::output_survives_reader())
    }),
    ("safety/rootless-refused-exit-2", |_| {
        done(safety::rootless_refused())
    }),
    ("safety/sandbox-holds", |_| done(escape::sandbox_holds())),
    ("safety/outputs-never-follow-symlinks", |_| {
        done(escape::outputs_never_follow_symlinks())
    }),
    ("harness/readmes-are-the-steps", |k| {
        done(readmes::structure(&k.labs))
    }),
    ("harness/completions-and-man", |_| {
        done(reports::completions_and_man())
    }),
    ("harness/bless-then-run-passes", |k| {
        done(reports::bless_then_run_passes(&k.dir))
    }),
    ("harness/lab-readmes-map-every-id", |k| {
        done(transcripts::readmes_map_every_id(&k.labs))
    }),
    ("harness/report-colour-on-a-terminal-only", |_| {
        reports::colour_on_a_terminal_only()
    }),
    ("harness/junit-parses", |k| reports::junit_parses(&k.labs)),
    ("peers/flannel-node-pairs", |k| {
        done(peers::flannel_pairs(&k.dir))
    }),
    ("peers/whole-machine", |_| done(peers::whole_machine())),
    ("harness/new-bless-run-passes", |_| {
        done(author::new_bless_run())
    }),
    ("harness/fmt-check-then-fix", |_| {
        done(author::fmt_check_then_fix())
    }),
    ("harness/tutorial-commands-work", |_| {
        author::tutorial_commands_work()
    }),
    ("harness/copied-binary-lists-every-lab", |_| {
        done(reports::copied_binary_lists_every_lab())
    }),
    ("harness/cli-fail-fast", |k| done(cli::fail_fast(&k.dir))),
    ("harness/cli-quiet", |k| {
        let vp = k.labs.iter().find(|l| l.name == "veth-pair");
        done(cli::quiet(&k.dir, vp.map_or(0, |l| l.steps.len())))
    }),
    ("harness/cli-color", |_| done(cli::colour_flags())),
    ("harness/readme-figures", |k| {
        done(readmes::main_readme_figures(&k.labs))
    }),
    ("harness/junit-valid-against-jenkins-xsd", |k| {
        reports::junit_valid_against_xsd(&k.dir)
    }),
    ("harness/topology-per-step/flannel", |k| {
        pictures_of(
            k,
            "flannel",
            &[(
                "cross-node-vxlan",
                "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
            )],
        )
    }),
    ("harness/topology-per-step/calico", |k| {
        pictures_of(
            k,
            "calico",
            &[
                ("proxy-arp", "169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee"),
                ("proxy-arp", "net.ipv4.conf.cali7a4b00317e6.proxy_arp = 1"),
                ("node-routes", "blackhole 10.244.38.128/26 proto bird"),
            ],
        )
    }),
    ("harness/topology-per-step/bridge-arp", |k| {
        pictures_of(
            k,
            "bridge-arp",
            &[("veth-in-bridge", "192.168.122.102 dev veth0 FAILED")],
        )
    }),
    ("harness/ipv6-link-local-and-opt-out", |_| {
        done(ipv6::link_local_and_opt_out())
    }),
    ("harness/capture-filter-drops-mld-only", |_| {
        done(ipv6::capture_filter_drops_mld_only())
    }),
    ("harness/neigh-params-over-netlink", |_| {
        done(kernels::neigh_params_over_netlink())
    }),
    (
        "harness/neighbour-removed-judged-by-announced-state",
        |_| done(kernels::neighbour_removed_is_judged_by_its_announced_state()),
    ),
    ("escape/host-sockets-unreachable", |_| {
        done(host_sockets::host_sockets_unreachable())
    }),
    ("peers/hostile-names-escaped", |_| {
        done(peers::hostile_names_escaped())
    }),
    ("attempt/no-spoiler", |k| {
        done(attempts::no_spoiler(&k.labs))
    }),
    ("attempt/zh-text", |k| done(attempts::zh_text(&k.labs))),
    // Last of the table: full runs (four at once) whose pings need the CPU
    // the trials above hold at the start.
    ("safety/four-parallel-runs", |_| {
        done(safety::four_parallel_runs())
    }),
    ("safety/caller-untouched", |_| {
        done(safety::caller_untouched())
    }),
];

/// What a lab's per-step pictures must show, held against the kernel.
fn pictures_of(k: &Kit, lab: &str, want: &'static [(&'static str, &'static str)]) -> Outcome {
    match k.labs.iter().find(|l| l.name == lab) {
        // A step this kernel cannot run draws nothing to hold against it.
        Some(l)
            if want.iter().any(|(s, _)| {
                l.step_index(s)
                    .is_some_and(|i| (0..=i).any(|j| run::step_skip(l, j).is_some()))
            }) =>
        {
            skipped(format!(
                "{lab}: a step it pictures needs what this kernel lacks"
            ))
        }
        Some(l) => done(pictures::topology_is_the_kernel(l, want)),
        None => Err(fail(format!("no lab {lab}"))),
    }
}

/// The table's trials, then one per hostile lab file, `escape/CASE`.
fn kit_trials(kit: &Arc<Kit>) -> Vec<Trial> {
    let mut trials: Vec<Trial> = KIT
        .iter()
        .map(|(name, f)| {
            let (k, f) = (kit.clone(), *f);
            Trial::ignorable_test(*name, move || f(&k))
        })
        .collect();
    for c in escape::cases() {
        let name = c.file_name().unwrap_or_default().to_string_lossy();
        trials.push(Trial::test(format!("escape/{name}"), move || {
            escape::case(&c)
        }));
    }
    trials
}

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
