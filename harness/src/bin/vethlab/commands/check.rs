use clap::Args;
use std::process::ExitCode;
use vethlab::error::Result;
use vethlab::lab::Lab;
use vethlab::report::out::esc;
use vethlab::report::{Outcome, Status, StepReport};
use vethlab::tools::exercise;
use vethlab::tools::lang::{pick, step_text};

/// The exit status of a check the kernel cannot run (a missing link kind):
/// neither done (0) nor wrong (1).
pub const EXIT_SKIP: u8 = 3;

#[derive(Args)]
pub struct Check {
    /// Check this step (its number from 1) instead of the shell's: in the
    /// finished lab (`vethlab shell LAB`) every step's check holds.
    #[arg(long, value_name = "N")]
    step: Option<usize>,
    /// Show every part of the check with what the kernel holds (and, for a
    /// failed one, the captured frames), not only the first unmet part.
    #[arg(short, long)]
    verbose: bool,
}

impl super::Command for Check {
    fn place(&self) -> super::Place {
        // Inside a lab shell, among the lab's namespaces already.
        super::Place::Here
    }
    /// Runs in the learner's shell: the lab's namespaces are the ones named
    /// there, in whatever state the learner made.
    fn exec(self: Box<Self>, _: &super::Ctx) -> Result<ExitCode> {
        // Only inside a shell it can verify: the environment alone proves nothing.
        let (lab, mut idx) = exercise::current()?;
        if let Some(n) = self.step {
            idx = exercise::step_index(&lab, n)?;
        }
        verdict(&lab, idx, self.verbose)
    }
}

/// Run the check, print what it found, and say what it means: 0 done,
/// 1 not yet (the first unmet part named), 3 the kernel cannot run it.
pub fn verdict(lab: &Lab, idx: usize, verbose: bool) -> Result<ExitCode> {
    let mut r = exercise::check(lab, idx)?;
    // A check grades; hints are asked for (`hint`), never handed out.
    r.hint = None;
    let t = step_text(lab, idx);
    let head = format!("{}/{} ({}/{})", lab.name, r.step, idx + 1, lab.steps.len());
    if verbose {
        put!("{}", verbose_text(&r, lab, idx));
    }
    match &r.status {
        Status::Pass => {
            say!("{} {head}: {}", pick("PASS", "通过"), esc(&t.title));
            say!("\n{}", next_step(lab, idx));
            Ok(ExitCode::SUCCESS)
        }
        Status::Skip(why) => {
            say!(
                "{} {head}: {}\n{}",
                pick("SKIP", "跳过"),
                esc(&vethlab::tools::lang::diag(why)),
                pick(
                    "This kernel cannot run this step's check: nothing was judged.",
                    "此内核无法运行本步的检查：没有做出判定。"
                )
            );
            Ok(ExitCode::from(EXIT_SKIP))
        }
        Status::Fail => {
            let diag = vethlab::tools::lang::diag(&learner_words(&first_unmet(&r)));
            say!("{} {head}: {}", pick("NOT YET", "未完成"), esc(&diag));
            if !verbose {
                say!(
                    "{}",
                    pick(
                        "(check -v shows every part; hint gives a hint)",
                        "（check -v 显示全部检查项；hint 给出提示）"
                    )
                );
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// Every part of the check, in the learner's language. While a question is
/// unanswered or answered wrong, only the answer's part: the others name
/// the answer (a peer-index part shows `host:veth0`).
fn verbose_text(r: &StepReport, lab: &Lab, idx: usize) -> String {
    let mut r = r.clone();
    let unanswered = |c: &vethlab::report::CheckResult| {
        c.what.starts_with("answer") && matches!(c.outcome, Outcome::Fail(_))
    };
    if r.checks.iter().any(unanswered) {
        r.checks.retain(unanswered);
        r.captures.clear();
    }
    let text = r.text_in(true, crate::out::ui().colour_out);
    match vethlab::tools::lang::zh() {
        true => vethlab::tools::lang::zh_report(&text, &r.title, &step_text(lab, idx).title),
        false => text,
    }
}

/// The runner's words for a lab author, as a learner reads them: a node
/// the check cannot find is a namespace that does not exist (yet).
fn learner_words(d: &str) -> String {
    match d
        .strip_prefix("no node `")
        .and_then(|r| r.strip_suffix("` in this lab"))
    {
        Some(n) => format!("there is no namespace {n} (ip netns list)"),
        None => d.to_string(),
    }
}

/// The first part of the check that does not hold, in a line or two.
fn first_unmet(r: &StepReport) -> String {
    if let Some(e) = &r.error {
        return e.lines().next().unwrap_or_default().to_string();
    }
    for c in &r.checks {
        if let Outcome::Fail(d) = &c.outcome {
            let first = d.lines().next().unwrap_or_default();
            let first = if first.trim().is_empty() {
                c.what.as_str()
            } else {
                first
            };
            let first: String = match first.chars().count() > 200 {
                true => format!("{}…", first.chars().take(200).collect::<String>()),
                false => first.to_string(),
            };
            // Traffic's detail ("0 of 2 answered") needs what was sent;
            // state's names its node and device itself.
            if let Some(d) = ping_diag(&c.what, &first) {
                return d;
            }
            return match c.what.starts_with("ping ") || c.what.starts_with("udp ") {
                true if first != c.what => format!("{}: {first}", c.what),
                _ => first,
            };
        }
    }
    "the check did not hold".into()
}

/// A failed ping as a diagnosis, not ping(8)'s output: "ping 10.244.2.2
/// from pod1: no reply (2 sent); From … Destination Host Unreachable",
/// "1 of 2 answered", or "answered with ttl 63, want ttl 62".
fn ping_diag(what: &str, first: &str) -> Option<String> {
    let (head, want_ttl) = match what.split_once(" replies") {
        Some((h, rest)) => (h, rest.strip_prefix(" with ttl ")),
        None => return None,
    };
    let w: Vec<&str> = first.split_whitespace().collect();
    let (sent, got) = match w.as_slice() {
        [s, "packets", "transmitted,", g, "received,", ..] => (*s, *g),
        _ => return None,
    };
    let extra = first.split_once(" (").map(|(_, x)| x.trim_end_matches(')'));
    let d = match (got, extra) {
        ("0", Some(x)) => format!("no reply ({sent} sent); {x}"),
        ("0", None) => format!("no reply ({sent} sent)"),
        (g, _) if g != sent => format!("{g} of {sent} answered"),
        _ => {
            let ttl = extra?.rsplit_once("ttl=")?.1;
            format!("answered with ttl {ttl}, want ttl {}", want_ttl?)
        }
    };
    Some(format!("{head}: {d}"))
}

/// After "Well done": where to go next, or what the lab showed.
fn next_step(lab: &Lab, idx: usize) -> String {
    let n = lab.steps.len();
    if idx + 1 < n {
        let next = step_text(lab, idx + 1);
        return format!(
            "{} {}\n{}: exit; vethlab shell {} --step {}",
            pick("Well done: step", "做得好：第"),
            match vethlab::tools::lang::zh() {
                true => format!("{} 步完成。", idx + 1),
                false => format!("{} of {} holds.", idx + 1, lab.name),
            },
            pick(
                &format!("Next, `{}`", esc(&next.title)),
                &format!("下一步「{}」", esc(&next.title))
            ),
            lab.name,
            idx + 2
        );
    }
    let t = step_text(lab, idx);
    let mut s = format!(
        "{} {}.\n",
        pick(
            "Well done: that was the last step of",
            "做得好：这是最后一步，实验"
        ),
        lab.name
    );
    s.push_str(pick("What this lab showed:\n", "本实验回顾：\n"));
    match &t.summary {
        Some(x) => s.push_str(&format!("  {}\n", esc(x))),
        None => {
            for i in 0..n {
                s.push_str(&format!("  {}. {}\n", i + 1, esc(&step_text(lab, i).title)));
            }
        }
    }
    s
}
