//! Every step walked through as a learner would, through the same code path
//! as `vethlab shell LAB --step N` (with a command instead of a terminal):
//! the check fails on the given state, naming neither a line of the
//! solution nor the answer; the reference solution, typed into
//! the shell, does the task; the learner pings what the step is about
//! (warm caches); the check then passes, twice in a row. And per lab: the
//! finished lab (`vethlab shell LAB`) passes the steps' checks.

use crate::fail;
use libtest_mimic::{Failed, Trial};
use std::process::Command;
use std::sync::Arc;
use vethlab::lab::{Action, Lab, PingResultWanted};

/// One trial per lab step, `walkthrough/LAB/STEP`, and one per lab,
/// `walkthrough/LAB/finished`.
pub(crate) fn trials(labs: &[Lab]) -> Vec<Trial> {
    let mut v = vec![];
    for l in labs {
        let l = Arc::new(l.clone());
        for (i, s) in l.steps.iter().enumerate() {
            let skip = vethlab::run::step_skip(&l, i)
                .or_else(|| moved_index(&l, s.commands().map(|(_, t)| t)));
            let l2 = l.clone();
            let t = Trial::test(format!("walkthrough/{}/{}", l.name, s.name), move || {
                walk(&l2, i)
            });
            v.push(match skip {
                Some(_) => t.with_ignored_flag(true).with_kind("skip"),
                None => t,
            });
        }
        let l2 = l.clone();
        v.push(Trial::test(
            format!("walkthrough/{}/finished", l.name),
            move || finished(&l2),
        ));
    }
    v
}

/// Why the commands a learner types cannot work here as written: one asks
/// for an article ifindex (`index 4`) that this kernel's fallback devices
/// (`gre0`, `gretap0`, … with ip_gre loaded) already hold. vethlab maps the
/// lab's own indexes around them (`IndexPlan`); typed by hand, the kernel
/// answers "File exists". Such a step is a skip with the reason, never a pass.
pub(crate) fn moved_index<'a>(lab: &Lab, typed: impl Iterator<Item = &'a str>) -> Option<String> {
    let plan = vethlab::run::index_plan(lab);
    for t in typed {
        let w: Vec<&str> = t.split_whitespace().collect();
        for pair in w.windows(2) {
            if let ("index", Ok(n)) = (pair[0], pair[1].parse::<u32>()) {
                if plan.map(n) != n {
                    return Some(format!(
                        "`{t}` asks for ifindex {n}, which this kernel's fallback devices hold ({})",
                        vethlab::sys::kernel::facts().summary()
                    ));
                }
            }
        }
    }
    None
}

/// The learner's habit after a fix: ping what the step pings, ignoring the outcome.
fn warm_pings(lab: &Lab, idx: usize) -> String {
    let first = lab.nodes.first().map(String::as_str).unwrap_or("");
    let mut out = String::new();
    for a in lab.steps[idx].check() {
        if let Action::Ping(p) = a {
            if p.result != PingResultWanted::Reply {
                continue;
            }
            let ns = match p.from == first {
                true => String::new(),
                false => format!("ip netns exec {} ", p.from),
            };
            let dev = p
                .dev
                .as_ref()
                .map(|d| format!("-I {d} "))
                .unwrap_or_default();
            out.push_str(&format!(
                "{ns}ping -n -c 1 -W 1 {dev}{} >/dev/null 2>&1\n",
                p.ping
            ));
        }
    }
    out
}

/// Whether the step's check waits for state that arrives by itself (BGP).
fn awaits(lab: &Lab, idx: usize) -> bool {
    lab.steps[idx].check().any(|a| {
        matches!(
            a,
            Action::Expect {
                within_ms: Some(_),
                ..
            }
        )
    })
}

fn walk(lab: &Lab, idx: usize) -> Result<(), Failed> {
    let wait = match awaits(lab, idx) {
        // A learner waits for the daemons to agree before checking. No
        // sleep: each `vethlab check` itself awaits the node's announced
        // changes (up to 700 ms) for state on its way, so the loop waits on
        // events, at most 30 checks.
        true => "i=0; until vethlab check >/dev/null 2>&1 || [ $i -ge 30 ]; do i=$((i+1)); done\n",
        false => "",
    };
    let script = format!(
        "vethlab check >/var/run/walk-before 2>&1; c=$?\n\
         if [ $c -ne 1 ]; then echo \"WALK: the check before the task exited $c\"; cat /var/run/walk-before; exit 10; fi\n\
         vethlab solution >/var/run/walk-solution.sh || exit 11\n\
         {{ vethlab task; vethlab hint; }} >/var/run/walk-told 2>&1\n\
         {NO_SPOILER}{}\
         sh -e /var/run/walk-solution.sh || {{ echo 'WALK: the solution failed:'; cat /var/run/walk-solution.sh; exit 12; }}\n\
         {}{wait}\
         vethlab check || {{ echo 'WALK: the check after the solution failed'; exit 13; }}\n\
         vethlab check || {{ echo 'WALK: the second check failed'; exit 14; }}\n",
        hidden_cause(lab, idx),
        warm_pings(lab, idx)
    );
    let step = (idx + 1).to_string();
    shell(lab, &["--step", &step], &script)
}

/// A step whose task is to find what is wrong (`"find": true`): its first
/// check names no device, address or setting of the solution that the
/// title and task do not name already (`veth591ea0bf`, `ip_forward`).
fn hidden_cause(lab: &Lab, idx: usize) -> String {
    let step = &lab.steps[idx];
    if !step.find {
        return String::new();
    }
    let told = format!("{} {}", step.title, step.task.as_deref().unwrap_or(""));
    let mut words: Vec<&str> = step
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Cmd { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .flat_map(|t| t.split(|c: char| c.is_whitespace() || c == '='))
        .filter(|w| {
            w.len() >= 3 && w.contains(|c: char| c.is_ascii_digit() || c == '.' || c == '_')
        })
        .filter(|w| !told.contains(w))
        .collect();
    words.dedup();
    words
        .iter()
        .map(|w| {
            format!(
                "if grep -qF -- '{w}' /var/run/walk-before; then echo 'WALK: the first check of a find step names `{w}` from the solution'; cat /var/run/walk-before; exit 17; fi\n"
            )
        })
        .collect()
}

/// The first failing check holds no line of the solution and not the
/// answer, nor do the title, task or first hint hold the answer (issue 28:
/// no answer before the learner tries).
const NO_SPOILER: &str = r#"while IFS= read -r l; do
  case "$l" in
    "vethlab answer "*) s=${l#vethlab answer }; s=${s#\'}; s=${s%\'} ;;
    *) s=$l; [ ${#s} -gt 8 ] || continue ;;
  esac
  if grep -qF -- "$s" /var/run/walk-before; then
    echo "WALK: the first check gives away \`$s\`"; cat /var/run/walk-before; exit 15
  fi
  case "$l" in "vethlab answer "*)
    if grep -qF -- "$s" /var/run/walk-told; then
      echo "WALK: the title, task or hint 1 gives away the answer \`$s\`"; cat /var/run/walk-told; exit 16
    fi ;;
  esac
done </var/run/walk-solution.sh
"#;

/// Steps whose check a later step undoes on purpose, with why: in the
/// finished lab they fail, and must.
const UNDONE_LATER: &[(&str, &str, &str)] = &[
    // Only where the kernel has ipip (elsewhere the step is skipped).
    (
        "calico",
        "cross-node-ipip",
        "cross-node-direct replaces the tunl0 routes by ens32",
    ),
    ("veth-pair", "netns-add", "fresh-netns brings lo up"),
    ("veth-pair", "second-pair", "pair-into-netns moves veth4"),
    (
        "veth-pair",
        "into-netns",
        "second-pair adds veth3 to the host's links",
    ),
    (
        "veth-pair",
        "new-pair",
        "into-netns moves veth1 into netns_demo",
    ),
    (
        "bridge-arp",
        "veth-works",
        "ip-on-bridge moves 192.168.122.101/24 from veth0 to br0",
    ),
    ("flannel-cni", "same-node-ping", "del removes pod2"),
    (
        "veth-pair-ipv6",
        "link-local",
        "dual-stack gives veth0 addresses beside its link-local one",
    ),
    (
        "bridge-arp",
        "veth-in-bridge",
        "ip-on-bridge moves the address to br0: ping works again",
    ),
    (
        "calico",
        "proxy-arp-off",
        "node-routes turns proxy_arp back on",
    ),
    ("flannel-cni", "pods-by-bridge-plugin", "del removes pod2"),
    ("flannel-cni", "peers-of-plugin-veths", "del removes pod2"),
    ("gke-ptp-cni", "pods-by-ptp-plugin", "del removes every pod"),
    ("gke-ptp-cni", "pod-to-pod", "del removes every pod"),
];

/// `vethlab shell LAB`: each step's check passes (or, where a later step
/// undoes it on purpose, fails); a question's answer is read from the lab.
fn finished(lab: &Lab) -> Result<(), Failed> {
    let mut script = String::new();
    for (i, s) in lab.steps.iter().enumerate() {
        if vethlab::run::step_skip(lab, i).is_some() {
            continue;
        }
        let n = i + 1;
        let undone = UNDONE_LATER
            .iter()
            .any(|(l, st, _)| *l == lab.name && *st == s.name);
        if s.check().any(|a| matches!(a, Action::Answer(_))) {
            // The question of step n, answered as its solution says.
            script.push_str(&format!(
                "vethlab solution --step {n} | sed -n 's/^vethlab answer //p' > /var/run/vethlab-answer\n"
            ));
        }
        let test = match undone {
            true => "-ne",
            false => "-eq",
        };
        script.push_str(&format!(
            "vethlab check --step {n} >/var/run/walk-{n} 2>&1; c=$?\n\
             [ $c {test} 0 ] || {{ echo \"WALK: step {n} ({}) check exited $c\"; cat /var/run/walk-{n}; exit 20; }}\n",
            s.name
        ));
    }
    shell(lab, &[], &script)
}

fn shell(lab: &Lab, args: &[&str], script: &str) -> Result<(), Failed> {
    let out = Command::new(env!("CARGO_BIN_EXE_vethlab"))
        .arg("shell")
        .arg(lab.path.display().to_string())
        .args(args)
        .args(["--", "sh", "-c", script])
        .output()
        .map_err(|e| fail(format!("vethlab shell: {e}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(fail(format!(
        "exit {:?}\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )))
}
