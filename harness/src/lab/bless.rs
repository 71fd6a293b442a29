//! `vethlab run LAB --bless`: what a run captured, written back as the
//! step's fixtures, so someone writing a lab does not type them by hand.
//! Pure: captured lines and the lab's MACs in, fixture text out; the caller
//! writes the files. MACs become `{node.iface.mac}` placeholders (the
//! kernel picks most of them at random), link-local IPv6 addresses derived
//! from them `{node.iface.ll6}`, and ICMP and ICMP6 echo ids become `*` (a
//! ping's id changes every run), so a bless followed by a plain run passes.

/// One interface's MAC, as the finished lab holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mac {
    /// The lab node (network namespace) it lives in.
    pub node: String,
    /// The interface, as the lab names it.
    pub iface: String,
    /// Its MAC as `ip link` prints it (`aa:bb:cc:dd:ee:ff`).
    pub mac: String,
}

/// The fixture text for one capture point.
pub fn fixture(node: &str, iface: &str, step: &str, lines: &[String], macs: &[Mac]) -> String {
    let mut out = format!(
        "# tcpdump -n -i {iface} in {node}, step {step}: written by `vethlab run --bless`.\n\
         # Lines must appear in this order; edit freely (`*` matches anything, `!` lines must never appear).\n"
    );
    for l in lines.iter().filter(|l| !is_mld(l)) {
        out.push_str(&line(l, macs));
        out.push('\n');
    }
    out
}

/// An MLD report or done (`multicast listener report v2`): the kernel sends
/// them when a device or address comes up, on its own timer, so one run's
/// capture holds them and the next may not. A fixture asserts the lab's
/// traffic: they are left out (the fixture's lines match among others).
fn is_mld(l: &str) -> bool {
    l.contains("ICMP6, multicast listener")
}

/// The fixture a bless replaces, as text (empty when there is none), read
/// the way the loader reads fixtures: beneath the lab's tree, never through
/// a symlink, bounded.
pub fn old_fixture(lab: &crate::lab::Lab, step: &str, node: &str, iface: &str) -> String {
    use crate::lab::input;
    let (base, rel) = crate::lab::fixtures_base(&lab.path, &lab.name);
    let rel = rel.join(step).join(format!("{node}-{iface}.txt"));
    input::open_beneath(&base, &rel)
        .ok()
        .and_then(|f| {
            input::read_open(f, &base.join(&rel), "fixture", input::MAX_FIXTURE_BYTES).ok()
        })
        .unwrap_or_default()
}

/// One captured line with placeholders put back.
pub fn line(l: &str, macs: &[Mac]) -> String {
    let mut s = l.to_string();
    // Lab MACs: the first interface to hold one names it (a MAC two
    // interfaces share, like Calico's ee:ee:ee:ee:ee:ee, stays one name).
    for m in macs {
        if !m.mac.is_empty() && s.contains(&m.mac) {
            s = s.replace(&m.mac, &format!("{{{}.{}.mac}}", m.node, m.iface));
        }
        if let Some(ll) = crate::model::parse_mac(&m.mac).map(|m| crate::model::link_local(&m)) {
            s = replace_addr(
                &s,
                &ll.to_string(),
                &format!("{{{}.{}.ll6}}", m.node, m.iface),
            );
        }
    }
    icmp_id(&s)
}

/// `addr` replaced where it stands as a whole address (`fe80::1` is not
/// the start of `fe80::1a` or `fe80::1:2`, but is in tcpdump's `fe80::1: `).
fn replace_addr(s: &str, addr: &str, by: &str) -> String {
    let addr_char = |c: char| c.is_ascii_hexdigit() || c == ':' || c == '.';
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(addr) {
        let mut after = rest[i + addr.len()..].chars();
        let continues = match after.next() {
            Some(':') => after.next().is_some_and(addr_char),
            Some(c) => addr_char(c),
            None => false,
        };
        let before = rest[..i].chars().next_back();
        let whole = !continues && !before.is_some_and(|c| c.is_ascii_hexdigit() || c == ':');
        out.push_str(&rest[..i]);
        out.push_str(if whole { by } else { addr });
        rest = &rest[i + addr.len()..];
    }
    out.push_str(rest);
    out
}

/// `ICMP echo request, id 4711, seq 1` -> `… id *, seq 1`; the same for
/// `ICMP6, echo request, id 4711, seq 1`.
fn icmp_id(l: &str) -> String {
    match l.find(", id ") {
        Some(i) if l.contains("ICMP echo") || l.contains("ICMP6, echo") => {
            let rest = &l[i + 5..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if end == 0 {
                return l.to_string();
            }
            format!("{}, id *{}", &l[..i], &rest[end..])
        }
        _ => l.to_string(),
    }
}

/// What changed against the old fixture, for the terminal: `-` lines only
/// in the old, `+` lines only in the new (comments left out).
pub fn diff(old: &str, new: &str) -> Vec<String> {
    let body = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let (o, n) = (body(old), body(new));
    let mut d: Vec<String> = o
        .iter()
        .filter(|l| !n.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    d.extend(
        n.iter()
            .filter(|l| !o.contains(l))
            .map(|l| format!("+ {l}")),
    );
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn macs() -> Vec<Mac> {
        vec![
            Mac {
                node: "song".into(),
                iface: "veth1".into(),
                mac: "f2:05:c3:82:ae:5e".into(),
            },
            Mac {
                node: "host".into(),
                iface: "veth0".into(),
                mac: "3e:78:e0:5b:4a:85".into(),
            },
        ]
    }

    #[test]
    fn macs_become_placeholders_and_ids_stars() {
        assert_eq!(
            line(
                "ARP, Reply 192.168.122.102 is-at f2:05:c3:82:ae:5e, length 28",
                &macs()
            ),
            "ARP, Reply 192.168.122.102 is-at {song.veth1.mac}, length 28"
        );
        assert_eq!(
            line(
                "IP 10.1.1.1 > 10.1.1.2: ICMP echo request, id 31337, seq 2, length 64",
                &macs()
            ),
            "IP 10.1.1.1 > 10.1.1.2: ICMP echo request, id *, seq 2, length 64"
        );
        assert_eq!(
            line("ARP, Request who-has 1.2.3.4", &macs()),
            "ARP, Request who-has 1.2.3.4"
        );
    }

    #[test]
    fn a_blessed_fixture_matches_its_own_capture() {
        let captured = vec![
            "ARP, Request who-has 192.168.122.102 tell 192.168.122.101, length 28".to_string(),
            "ARP, Reply 192.168.122.102 is-at f2:05:c3:82:ae:5e, length 28".to_string(),
        ];
        let text = fixture("host", "veth0", "veth-in-bridge", &captured, &macs());
        assert!(!text.contains("f2:05:c3:82:ae:5e"), "{text}");
        // Placeholders filled as the run fills them: every line matches again.
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.replace("{song.veth1.mac}", "f2:05:c3:82:ae:5e"))
            .collect();
        assert_eq!(lines.len(), captured.len());
        for (pat, got) in lines.iter().zip(&captured) {
            assert!(crate::check::lines::glob(pat, got), "{pat} vs {got}");
        }
    }

    #[test]
    fn icmp6_ids_star_and_link_local_addresses_name_their_interface() {
        assert_eq!(
            line(
                "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id 4711, seq 1, length 64",
                &macs()
            ),
            "IP6 2001:db8::1 > 2001:db8::2: ICMP6, echo request, id *, seq 1, length 64"
        );
        // song's veth1 f2:05:c3:82:ae:5e is seed 004's fe80::f005:c3ff:fe82:ae5e.
        assert_eq!(
            line(
                "IP6 fe80::f005:c3ff:fe82:ae5e > ff02::1:ff5b:4a85: ICMP6, neighbor solicitation, who has fe80::3c78:e0ff:fe5b:4a85, length 32",
                &macs()
            ),
            "IP6 {song.veth1.ll6} > ff02::1:ff5b:4a85: ICMP6, neighbor solicitation, who has {host.veth0.ll6}, length 32"
        );
        // Not a whole address: left alone.
        assert_eq!(
            replace_addr("fe80::1a fe80::1 fe80::1:2 fe80::1: x", "fe80::1", "X"),
            "fe80::1a X fe80::1:2 X: x"
        );
    }

    #[test]
    fn mld_reports_are_left_out() {
        let captured = vec![
            "IP6 fe80::1 > ff02::16: HBH ICMP6, multicast listener report v2, 1 group record(s), length 28".to_string(),
            "IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 32".to_string(),
        ];
        let text = fixture("host", "veth0", "s", &captured, &[]);
        assert!(!text.contains("multicast listener"), "{text}");
        assert!(text.contains("neighbor solicitation"), "{text}");
    }

    #[test]
    fn diff_shows_what_changed() {
        let d = diff("# c\nA\nB\n", "# other\nA\nC\n");
        assert_eq!(d, vec!["- B".to_string(), "+ C".to_string()]);
    }
}
