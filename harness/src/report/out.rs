//! Text for a terminal: marks painted in colour, text from lab files
//! escaped. Pure: strings in, strings out; where the text goes and whether
//! it is coloured (`--color`, NO_COLOR, the terminal) is the binary's
//! business.

/// `s` in an SGR colour (`"32"` green, `"31"` red, `"33"` yellow) when `on`.
pub fn paint(on: bool, sgr: &str, s: &str) -> String {
    if on {
        format!("\x1b[{sgr}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// Text from a lab file made safe for a terminal: control characters (an
/// escape sequence in a title would recolour or retitle the terminal) and
/// bidirectional overrides shown as `\u{…}`; `\n` kept when `lines`.
pub fn esc_text(s: &str, lines: bool) -> String {
    let bidi = |c: char| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(|c| c.is_control() || bidi(c)) {
        return s.to_string();
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' if lines => o.push('\n'),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            c if c.is_control() || bidi(c) => o.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// One line of terminal text: every control character escaped.
pub fn esc(s: &str) -> String {
    esc_text(s, false)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_what_a_terminal_would_obey() {
        assert_eq!(super::esc("a\u{1b}[31mb"), "a\\u{1b}[31mb");
        assert_eq!(super::esc("x\ny"), "x\\ny");
        assert_eq!(super::esc_text("x\ny\u{7}", true), "x\ny\\u{7}");
        assert_eq!(super::esc("\u{202e}abc"), "\\u{202e}abc");
        assert_eq!(super::esc("plain — ✓"), "plain — ✓");
    }

    #[test]
    fn paints_only_when_asked() {
        assert_eq!(super::paint(false, "32", "PASS"), "PASS");
        assert_eq!(super::paint(true, "32", "PASS"), "\x1b[32mPASS\x1b[0m");
    }
}
