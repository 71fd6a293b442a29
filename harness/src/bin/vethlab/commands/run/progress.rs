//! What `vethlab run` prints while it runs.

use std::sync::Mutex;
use vethlab::lab;
use vethlab::report::{self, StepReport};

/// What the run has reported so far: each step's text as it ends, and on a
/// terminal a status line on stderr saying how far the run is and which
/// labs are still running; piped, only the report is printed.
pub(super) struct Progress {
    total: usize,
    tty: bool,
    /// Steps done, and per lab the steps still to come.
    left: Mutex<(usize, Vec<(String, usize)>)>,
    json_stdout: bool,
    colour: bool,
    verbose: bool,
    /// `-q`: only failing steps and the summary line.
    pub(super) quiet: bool,
}

impl Progress {
    pub(super) fn new(
        jobs: &[(lab::Lab, Option<usize>)],
        json_stdout: bool,
        verbose: bool,
    ) -> Progress {
        let steps =
            |(l, i): &(lab::Lab, Option<usize>)| if i.is_some() { 1 } else { l.steps.len() };
        let ui = crate::out::ui();
        Progress {
            total: jobs.iter().map(steps).sum(),
            tty: std::io::IsTerminal::is_terminal(&std::io::stderr()) && !ui.quiet,
            left: Mutex::new((
                0,
                jobs.iter().map(|j| (j.0.name.clone(), steps(j))).collect(),
            )),
            json_stdout,
            // --color, as resolved for the stream the text goes to.
            colour: if json_stdout {
                ui.colour_err
            } else {
                ui.colour_out
            },
            verbose,
            quiet: ui.quiet,
        }
    }

    /// Text for the reader: stdout, or stderr when stdout is the JSON.
    pub(super) fn say(&self, t: &str) {
        if self.json_stdout {
            eprint!("{t}");
        } else {
            crate::out::print(t);
        }
    }

    pub(super) fn step(&self, r: &StepReport) {
        let Ok(mut g) = self.left.lock() else { return };
        if self.tty {
            eprint!("\r\x1b[K");
        }
        if !self.quiet || r.status == report::Status::Fail {
            self.say(&r.text_in(self.verbose, self.colour));
        }
        g.0 += 1;
        if let Some(e) = g.1.iter_mut().find(|(n, k)| *n == r.lab && *k > 0) {
            e.1 -= 1;
        }
        if self.tty && g.0 < self.total {
            let running: Vec<&str> =
                g.1.iter()
                    .filter(|(_, k)| *k > 0)
                    .map(|(n, _)| n.as_str())
                    .collect();
            eprint!(
                "[{}/{} steps] running: {}",
                g.0,
                self.total,
                vethlab::report::out::esc(&running.join(", "))
            );
        }
    }
}
