//! A BIRD configuration read the way BIRD's lexer reads it (`#` comments to
//! the end of a line, `/* … */` comments, `"…"` strings with no whitespace
//! needed around them), so that what it may not say is found wherever it
//! is written: splitting on whitespace let `include"FILE";` and an include
//! after a `#` line of the same string through.
//!
//! A lab's BIRD never names a file or a socket: no `include`, no `log`
//! other than `log stderr` (`log syslog` writes into the host's `/dev/log`,
//! `log "FILE"` a file), no MRT dumps, no extra `cli` sockets, and no string
//! that holds a `/` (a path, whatever the statement).

/// One token and where it starts in the text.
#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Word(&'a str),
    Str(&'a str),
    Other,
}

/// The tokens of `src` with their offsets, or the offset of what BIRD
/// itself would refuse (an unclosed string or comment).
fn tokens(src: &str) -> Result<Vec<(usize, Tok<'_>)>, (usize, &'static str)> {
    let b = src.as_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            match src[i + 2..].find("*/") {
                Some(e) => i += 2 + e + 2,
                None => return Err((start, "a `/*` comment is never closed")),
            }
        } else if c == b'"' || c == b'\'' {
            // BIRD's strings end at the next quote and never span lines.
            let end = b[i + 1..].iter().position(|&x| x == c || x == b'\n');
            match end {
                Some(e) if b[i + 1 + e] == c => {
                    out.push((start, Tok::Str(&src[i + 1..i + 1 + e])));
                    i += e + 2;
                }
                _ => return Err((start, "a string is never closed on its line")),
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push((start, Tok::Word(&src[start..i])));
        } else {
            i += src[i..].chars().next().map_or(1, char::len_utf8);
            out.push((start, Tok::Other));
        }
    }
    Ok(out)
}

/// Words that make BIRD open a file or a socket.
const FILE_WORDS: &[(&str, &str)] = &[
    ("include", "`include` reads files outside the lab"),
    ("mrtdump", "MRT dumps write files"),
    ("mrt", "MRT dumps write files"),
    ("filename", "MRT dumps write files"),
    ("cli", "`cli` opens another control socket"),
];

/// The first thing in `src` (a whole configuration) a lab's BIRD may not
/// say: its offset and why.
pub fn check(src: &str) -> Result<(), (usize, String)> {
    let toks = tokens(src).map_err(|(o, m)| (o, format!("{m} (BIRD would refuse it)")))?;
    for (k, (off, t)) in toks.iter().enumerate() {
        match t {
            Tok::Word(w) => {
                let w = w.to_ascii_lowercase();
                if let Some((_, why)) = FILE_WORDS.iter().find(|(x, _)| *x == w) {
                    return Err((*off, why.to_string()));
                }
                if w == "log"
                    && !matches!(toks.get(k + 1), Some((_, Tok::Word(n))) if n.eq_ignore_ascii_case("stderr"))
                {
                    return Err((
                        *off,
                        "`log` other than `log stderr`: `log \"FILE\"` writes a file and `log syslog` into the host's /dev/log".into(),
                    ));
                }
            }
            Tok::Str(s) if s.contains('/') => {
                return Err((*off, format!("the string \"{s}\" names a path")));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_bird_reads_is_what_is_checked() {
        for ok in [
            "router id 10.1.1.1;\nprotocol device { scan time 1; }",
            "log stderr all;",
            "LOG STDERR all;",
            "protocol kernel { ipv4 { export all; }; } # include later",
            "/* include \"/x\"; */ protocol device {}",
            "description \"no path here\";",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
        for bad in [
            "include\"/etc/shadow\";",
            "include \"/etc/shadow\";",
            "INCLUDE \"x\";",
            "log\"/tmp/x\" all;",
            "log \"x\" all;",
            "log syslog all;",
            "log syslog name \"bird\" all;",
            "# a note\ninclude \"/etc/*\";",
            "include\"/etc/*\";",
            "/* a */include \"x\";",
            "mrtdump \"/tmp/x\";",
            "protocol mrt { filename \"x\"; }",
            "cli \"/tmp/sock\";",
            "description \"/etc/passwd\";",
            "router id 1.1.1.1; /* never closed",
            "description \"never closed",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn offsets_point_at_the_statement() {
        let src = "router id 1.1.1.1;\n# x\ninclude\"/y\";";
        assert_eq!(
            check(src).map_err(|(o, _)| o),
            Err(src.find("include").unwrap_or(0))
        );
    }
}
