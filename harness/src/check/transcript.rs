//! Article transcripts: the commands a seed ran and the lines it printed,
//! verbatim, to be run with the real tools in a lab and compared line by
//! line. Pure: parsing, the named normalizations, the comparison; running
//! the commands is the caller's.
//!
//! ```text
//! # comment
//! = 001_b395ad6aadc3fb06.txt, the question       (source: seed file, section)
//! @ finished node03                               (lab state: `finished` or `step N`; node)
//! ~ ws -- the copy lost the tabs brctl aligns with (a normalization, with its reason)
//! $ brctl show                                    (the command, as the article typed it)
//! bridge name bridge id STP enabled interfaces    (what the article printed)
//! ```
//!
//! `=`, `@` and `~` lines apply to the entries that follow until the next
//! `=` (a new section starts afresh). A normalization is applied to both the
//! article's lines and the lab's, so nothing is ignored silently: each one
//! is named, with its reason, next to the lines it affects.

use std::fmt;

/// Where in the lab a command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Where {
    /// `None`: the finished lab (every step applied); `Some(n)`: before step n.
    pub step: Option<usize>,
    /// The lab node (network namespace) the command runs in.
    pub node: String,
}

/// A way the lab's output may legitimately differ, applied to both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Norm {
    /// Runs of blanks collapse to one space; blank lines dropped.
    Ws,
    /// Traffic counters (RX/TX packets, bytes, errors…) become `N`.
    Counters,
    /// A literal text replaced (e.g. a typo of the copy, a newer tool's field).
    Replace(String, String),
    /// Lines matching a `*` glob dropped.
    Drop(String),
    /// `link-netns NAME` and `link-netnsid N` both become `link-netns*`:
    /// iproute2 prints the peer namespace's name where it can map the id to
    /// a named namespace, the id elsewhere (by version and environment).
    Netns,
    /// Lines matching a `*` glob replaced by the glob itself (values that
    /// vary run to run, such as a ping's round-trip times).
    Mask(String),
}

/// One `$` command of a transcript, with what the article printed for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `seed file, section`
    pub source: String,
    /// The lab state and node it runs in (the last `@` line).
    pub at: Where,
    /// The normalizations in force (the `~` lines), each with its reason.
    pub norms: Vec<(Norm, String)>,
    /// The command after `$`, as the article typed it.
    pub command: String,
    /// The lines the article printed, verbatim.
    pub expected: Vec<String>,
    /// 1-based line of the `$` line in the transcript file.
    pub line: usize,
}

/// Why a transcript file cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line in the transcript file.
    pub line: usize,
    /// What is wrong with that line.
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

/// The optional link kinds a transcript needs (`? requires ipip -- why`
/// lines): without them the kernel cannot show what the article shows.
pub fn requires(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("? requires "))
        .flat_map(|l| l.split(" -- ").next().unwrap_or("").split_whitespace())
        .map(str::to_string)
        .collect()
}

/// Parse a transcript file.
pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
    let mut out: Vec<Entry> = vec![];
    let mut source: Option<String> = None;
    let mut at: Option<Where> = None;
    let mut norms: Vec<(Norm, String)> = vec![];
    let mut open = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let err = |msg: String| ParseError { line: n, msg };
        let head = |p: &str| raw.strip_prefix(p).map(str::trim);
        if let Some(s) = head("= ") {
            source = Some(s.to_string());
            at = None;
            norms.clear();
            open = false;
        } else if let Some(w) = head("@ ") {
            at = Some(parse_where(w).map_err(err)?);
            open = false;
        } else if let Some(nm) = head("~ ") {
            norms.push(parse_norm(nm).map_err(err)?);
            open = false;
        } else if let Some(cmd) = head("$ ") {
            let source = source
                .clone()
                .ok_or_else(|| err("a command before any `= SEED, SECTION` line".into()))?;
            let at = at
                .clone()
                .ok_or_else(|| err("a command before any `@ finished|step N NODE` line".into()))?;
            out.push(Entry {
                source,
                at,
                norms: norms.clone(),
                command: cmd.to_string(),
                expected: vec![],
                line: n,
            });
            open = true;
        } else if raw.starts_with('#') || raw.starts_with("? ") {
            // Comments anywhere (no article output line starts with `#`).
            continue;
        } else if let (true, Some(e)) = (open, out.last_mut()) {
            e.expected.push(raw.to_string());
        } else if !raw.trim().is_empty() {
            return Err(err(format!("`{raw}`: output before any `$ command`")));
        }
    }
    // Blank lines between entries belong to no output.
    for e in &mut out {
        while e.expected.last().is_some_and(|l| l.trim().is_empty()) {
            e.expected.pop();
        }
    }
    if out.is_empty() {
        return Err(ParseError {
            line: 1,
            msg: "no `$ command` in the transcript".into(),
        });
    }
    Ok(out)
}

fn parse_where(s: &str) -> Result<Where, String> {
    let w: Vec<&str> = s.split_whitespace().collect();
    match w.as_slice() {
        ["finished", node] => Ok(Where {
            step: None,
            node: node.to_string(),
        }),
        ["step", n, node] => Ok(Where {
            step: Some(
                n.parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("`{n}` is not a step number"))?,
            ),
            node: node.to_string(),
        }),
        _ => Err(format!(
            "`@ {s}`: write `@ finished NODE` or `@ step N NODE`"
        )),
    }
}

fn parse_norm(s: &str) -> Result<(Norm, String), String> {
    let (what, why) = s.split_once(" -- ").ok_or(format!(
        "`~ {s}`: a normalization needs its reason after ` -- `"
    ))?;
    let why = why.trim().to_string();
    if why.is_empty() {
        return Err(format!("`~ {s}`: the reason is empty"));
    }
    let what = what.trim();
    let norm = match what.split_once(' ') {
        None if what == "ws" => Norm::Ws,
        None if what == "counters" => Norm::Counters,
        // Lab nodes have IPv6 as the articles' machines had: their inet6
        // lines are compared, not dropped wholesale.
        None if what == "ipv6" => {
            return Err(format!(
                "`~ {what}`: no longer a normalization: lab nodes have IPv6 on, so the article's inet6 lines are compared; \
                 drop a line that cannot match with `~ drop GLOB -- reason`"
            ))
        }
        None if what == "netns" => Norm::Netns,
        Some(("drop", g)) => Norm::Drop(g.trim().to_string()),
        Some(("mask", g)) => Norm::Mask(g.trim().to_string()),
        Some(("replace", r)) => {
            // `replace OLD =>` (nothing after the arrow) deletes OLD.
            let (a, b) = r
                .split_once(" =>")
                .ok_or(format!("`~ {s}`: write `replace OLD => NEW -- reason`"))?;
            Norm::Replace(a.to_string(), b.strip_prefix(' ').unwrap_or(b).to_string())
        }
        _ => {
            return Err(format!(
            "`~ {what}`: unknown normalization (ws, counters, netns, drop GLOB, mask GLOB, replace OLD => NEW)"
        ))
        }
    };
    Ok((norm, why))
}

/// Apply every normalization of an entry to some output lines.
pub fn normalize(lines: &[String], norms: &[(Norm, String)]) -> Vec<String> {
    let mut v: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    for (n, _) in norms {
        v = match n {
            Norm::Ws => v
                .iter()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect(),
            Norm::Counters => v.iter().map(|l| counters(l)).collect(),
            Norm::Replace(a, b) => v.iter().map(|l| l.replace(a.as_str(), b)).collect(),
            Norm::Netns => v.iter().map(|l| netns_word(l)).collect(),
            Norm::Drop(g) => v
                .into_iter()
                .filter(|l| !crate::check::lines::glob(g, l.trim()))
                .collect(),
            Norm::Mask(g) => v
                .into_iter()
                .map(|l| {
                    if crate::check::lines::glob(g, l.trim()) {
                        g.clone()
                    } else {
                        l
                    }
                })
                .collect(),
        };
    }
    // A replacement may leave trailing blanks on one side only (`b qlen
    // 1000` -> `b `): invisible in an account, so never a difference.
    v.into_iter().map(|l| l.trim_end().to_string()).collect()
}

/// `… link-netnsid 0` / `… link-netns pod1` -> `… link-netns*`.
fn netns_word(l: &str) -> String {
    match l.find(" link-netns") {
        None => l.to_string(),
        Some(i) => {
            let rest = &l[i + 1..];
            // The keyword and its value: two words.
            let tail: Vec<&str> = rest.split_whitespace().skip(2).collect();
            let mut out = format!("{} link-netns*", &l[..i]);
            for w in tail {
                out.push(' ');
                out.push_str(w);
            }
            out
        }
    }
}

/// Whether the transcript holds a `? no-fallback` line: the article's host
/// had no fallback tunnel device (no tunl0), so a kernel that adds one to
/// every namespace cannot show its listing.
pub fn needs_no_fallback(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("? no-fallback"))
}

/// Whether the transcript holds a `? needs-root` line: a tool it runs
/// (tcpdump switching to its own user) needs more users than a rootless
/// sandbox maps.
pub fn needs_root(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("? needs-root"))
}

/// `RX packets 32  bytes 2306 (2.2 KiB)` -> `RX packets N  bytes N (N)`.
fn counters(l: &str) -> String {
    let t = l.trim_start();
    if !(t.starts_with("RX ") || t.starts_with("TX ")) {
        return l.to_string();
    }
    let mut out = String::new();
    let mut in_paren = false;
    let mut prev_digit = false;
    for c in l.chars() {
        match c {
            '(' => {
                in_paren = true;
                out.push_str("(N");
            }
            ')' => {
                in_paren = false;
                out.push(')');
            }
            _ if in_paren => {}
            c if c.is_ascii_digit() => {
                if !prev_digit {
                    out.push('N');
                }
                prev_digit = true;
                continue;
            }
            c => out.push(c),
        }
        prev_digit = false;
    }
    out
}

/// Compare what the lab printed with what the article printed, both
/// normalized: `Ok` or a line-by-line account.
pub fn compare(e: &Entry, got: &[String]) -> Result<(), String> {
    let want = normalize(&e.expected, &e.norms);
    let have = normalize(got, &e.norms);
    if want == have {
        return Ok(());
    }
    let mut s = format!(
        "`$ {}` ({}) differs from the article:\n",
        e.command, e.source
    );
    let n = want.len().max(have.len());
    for i in 0..n {
        let (a, b) = (want.get(i), have.get(i));
        let mark = if a == b { " " } else { "✗" };
        s.push_str(&format!(
            "  {mark} article: {}\n  {mark} lab:     {}\n",
            a.map_or("(nothing)", String::as_str),
            b.map_or("(nothing)", String::as_str)
        ));
    }
    if !e.norms.is_empty() {
        s.push_str("  normalizations:\n");
        for (n, why) in &e.norms {
            s.push_str(&format!("    {n:?}: {why}\n"));
        }
    }
    Err(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "# seed 001\n\
= 001_x.txt, the question\n\
@ finished node03\n\
~ ws -- the copy lost the tabs\n\
$ brctl show\n\
bridge name bridge id STP enabled interfaces\n\
cni0 8000.0a580af40501 no veth39711246\n\
\n\
@ step 2 pod1\n\
~ counters -- traffic volume differs\n\
$ ifconfig eth0\n\
RX packets 32  bytes 2306 (2.2 KiB)\n";

    #[test]
    fn parses_entries_with_their_context() {
        let es = parse(T).unwrap_or_default();
        assert_eq!(es.len(), 2);
        assert_eq!(es[0].command, "brctl show");
        assert_eq!(es[0].at.step, None);
        assert_eq!(es[0].at.node, "node03");
        assert_eq!(es[0].expected.len(), 2);
        assert_eq!(es[0].line, 5);
        assert_eq!(es[1].at.step, Some(2));
        // `~` lines accumulate within a section.
        assert_eq!(es[1].norms.len(), 2);
        assert_eq!(es[0].source, "001_x.txt, the question");
    }

    #[test]
    fn refuses_what_it_cannot_place() {
        assert_eq!(parse("$ ip a\n").map_err(|e| e.line), Err(1));
        parse("= s\n@ somewhere\n").unwrap_err();
        assert!(
            parse("= s\n@ finished h\n~ ws\n$ x\n").is_err(),
            "no reason"
        );
        parse("= s\n@ finished h\n~ fuzzy -- why\n$ x\n").unwrap_err();
        parse("stray output\n").unwrap_err();
        parse("# only a comment\n").unwrap_err();
    }

    #[test]
    fn normalizations_apply_to_both_sides() {
        let es = parse(T).unwrap_or_default();
        let got: Vec<String> = [
            "bridge name\tbridge id\t\tSTP enabled\tinterfaces",
            "cni0\t\t8000.0a580af40501\tno\t\tveth39711246",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(compare(&es[0], &got), Ok(()));
        let got = vec!["RX packets 7  bytes 588 (588.0 B)".to_string()];
        assert_eq!(compare(&es[1], &got), Ok(()));
        let wrong = vec!["bridge name bridge id STP enabled interfaces".to_string()];
        let e = compare(&es[0], &wrong).unwrap_err();
        assert!(
            e.contains("✗ article: cni0 8000.0a580af40501 no veth39711246"),
            "{e}"
        );
        assert!(e.contains("lab:     (nothing)"), "{e}");
    }

    #[test]
    fn ipv6_drop_and_replace() {
        let lines: Vec<String> = [
            "inet 10.1.1.1/24 scope global veth1",
            "valid_lft forever preferred_lft forever",
            "inet6 fe80::1/64 scope link",
            "valid_lft forever preferred_lft forever",
            "2: eth0: <UP> mtu 1500 qdisc noqueue state UP group default qlen 1000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let n = normalize(
            &lines,
            &[
                (Norm::Drop("inet6 *".into()), "no IPv6 there".into()),
                (
                    Norm::Replace(" qlen 1000".into(), String::new()),
                    "newer".into(),
                ),
                (Norm::Drop("valid_lft*".into()), "noise".into()),
            ],
        );
        assert_eq!(
            n,
            vec![
                "inet 10.1.1.1/24 scope global veth1",
                "2: eth0: <UP> mtu 1500 qdisc noqueue state UP group default"
            ]
        );
        let pings =
            vec!["64 bytes from 10.244.169.66: icmp_seq=1 ttl=62 time=0.497 ms".to_string()];
        let m = (
            Norm::Mask("64 bytes from 10.244.169.66: icmp_seq=1 ttl=62 time=* ms".into()),
            "rtt".into(),
        );
        assert_eq!(
            normalize(&pings, std::slice::from_ref(&m)),
            vec!["64 bytes from 10.244.169.66: icmp_seq=1 ttl=62 time=* ms"]
        );
        let other = vec!["64 bytes from 10.244.169.66: icmp_seq=1 ttl=63 time=0.1 ms".to_string()];
        assert_eq!(
            normalize(&other, &[m]),
            other,
            "a different ttl is not masked"
        );
        assert_eq!(requires("? requires ipip -- tunl0\n$ x\n"), vec!["ipip"]);
        assert_eq!(
            netns_word("link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netnsid 9"),
            netns_word("link/ether ee:ee:ee:ee:ee:ee brd ff:ff:ff:ff:ff:ff link-netns pod-a")
        );
        assert!(needs_no_fallback("? no-fallback -- no tunl0 there\n"));
        assert!(needs_root("? needs-root -- tcpdump\n$ x\n"));
        assert!(!needs_root("# ? needs-root\n$ x\n"));
        assert_eq!(
            parse_norm("replace  link-netns lan => -- a stand-in"),
            Ok((
                Norm::Replace(" link-netns lan".into(), String::new()),
                "a stand-in".into()
            ))
        );
        assert_eq!(
            counters("        TX packets 10  bytes 710 (710.0 B)"),
            "        TX packets N  bytes N (N)"
        );
    }
}
