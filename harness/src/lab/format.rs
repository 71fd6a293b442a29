//! `vethlab fmt`: one canonical layout for lab files, so labs read alike and
//! diffs show what changed, not how someone indents.
//!
//! The layout works on the text's own tokens: strings and numbers are kept
//! byte for byte as written (escapes such as `\u2026` stay), members keep
//! their order, and only whitespace changes. A value goes on one line when
//! it fits in [`WIDTH`] columns; a flat object (its members scalars or
//! short lists) or a list of short values that does not fit fills lines,
//! continuing under its first member; a list of long strings (commands,
//! hints) has one a line, hung under the first; anything else (lists of
//! objects, nested objects) has one member per line, indented by two.

/// Columns a line may take before a value is broken.
pub const WIDTH: usize = 120;

/// A JSON value as its tokens: scalars as their raw text.
enum Node<'a> {
    Scalar(&'a str),
    Arr(Vec<Node<'a>>),
    Obj(Vec<(&'a str, Node<'a>)>),
}

/// The canonical layout of `text`, which must be valid JSON (the caller has
/// parsed it); `None` if it is not.
pub fn format(text: &str) -> Option<String> {
    let mut p = Parser {
        b: text.as_bytes(),
        s: text,
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.b.len() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    write(&v, 0, 0, &mut out);
    out.push('\n');
    Some(out)
}

/// serde_json refuses deeper nesting; so does the formatter.
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    b: &'a [u8],
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn string(&mut self) -> Option<&'a str> {
        let start = self.i;
        self.i += 1;
        loop {
            match *self.b.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return self.s.get(start..self.i);
                }
                _ => self.i += 1,
            }
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        match *self.b.get(self.i)? {
            b'{' => {
                self.i += 1;
                let mut m = vec![];
                if self.eat(b'}') {
                    return Some(Node::Obj(m));
                }
                loop {
                    self.ws();
                    if self.b.get(self.i) != Some(&b'"') {
                        return None;
                    }
                    let k = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    m.push((k, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Some(Node::Obj(m));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut v = vec![];
                if self.eat(b']') {
                    return Some(Node::Arr(v));
                }
                loop {
                    v.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Node::Arr(v));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'"' => self.string().map(Node::Scalar),
            _ => {
                let start = self.i;
                while matches!(self.b.get(self.i), Some(c) if c.is_ascii_alphanumeric() || b"+-.".contains(c))
                {
                    self.i += 1;
                }
                (self.i > start).then(|| Node::Scalar(&self.s[start..self.i]))
            }
        }
    }
}

/// The value on one line, or `None` once it would pass `room` bytes.
fn inline(v: &Node, room: usize) -> Option<String> {
    let mut s = String::new();
    inline_into(v, &mut s, room)?;
    Some(s)
}

fn inline_into(v: &Node, s: &mut String, room: usize) -> Option<()> {
    match v {
        Node::Scalar(t) => s.push_str(t),
        Node::Arr(items) => {
            s.push('[');
            for (n, x) in items.iter().enumerate() {
                if n > 0 {
                    s.push_str(", ");
                }
                inline_into(x, s, room)?;
            }
            s.push(']');
        }
        Node::Obj(m) => {
            s.push('{');
            for (n, (k, x)) in m.iter().enumerate() {
                if n > 0 {
                    s.push_str(", ");
                }
                s.push_str(k);
                s.push_str(": ");
                inline_into(x, s, room)?;
            }
            s.push('}');
        }
    }
    (s.chars().count() <= room).then_some(())
}

/// Write `v` whose first character lands at column `col`, in a block indented by `ind`.
fn write(v: &Node, ind: usize, col: usize, out: &mut String) {
    if let Some(s) = inline(v, WIDTH.saturating_sub(col)) {
        out.push_str(&s);
        return;
    }
    let flat = match v {
        Node::Arr(items) => items.iter().all(|x| short(x, SHORT_ITEM)),
        Node::Obj(m) => m.iter().all(|(_, x)| match x {
            Node::Scalar(_) => true,
            // A list of scalars (route lines, names) hangs inside the fill.
            Node::Arr(items) => items.iter().all(|i| matches!(i, Node::Scalar(_))),
            Node::Obj(_) => short(x, SHORT_ITEM),
        }),
        Node::Scalar(_) => true,
    };
    if flat && !matches!(v, Node::Scalar(_)) {
        return fill(v, col, out);
    }
    if let Node::Arr(items) = v {
        // Long strings (commands, hints): one a line, hung under the first.
        if items.iter().all(|x| matches!(x, Node::Scalar(_))) {
            return hang(items, col, out);
        }
    }
    let pad = " ".repeat(ind + 2);
    let (open, close, members): (char, char, Vec<(Option<&str>, &Node)>) = match v {
        Node::Arr(items) => ('[', ']', items.iter().map(|x| (None, x)).collect()),
        Node::Obj(m) => ('{', '}', m.iter().map(|(k, x)| (Some(*k), x)).collect()),
        Node::Scalar(t) => return out.push_str(t),
    };
    out.push(open);
    for (n, (k, x)) in members.iter().enumerate() {
        out.push_str(if n > 0 { ",\n" } else { "\n" });
        out.push_str(&pad);
        let mut c = ind + 2;
        if let Some(k) = k {
            out.push_str(k);
            out.push_str(": ");
            c += k.chars().count() + 2;
        }
        write(x, ind + 2, c, out);
    }
    out.push('\n');
    out.push_str(&" ".repeat(ind));
    out.push(close);
}

/// A flat container that does not fit on one line: members fill each line,
/// continuing one column right of the bracket.
/// A member as one line, and its items when it is a list (which may hang).
type Member<'n, 'a> = (String, Option<&'n [Node<'a>]>);

fn fill(v: &Node, col: usize, out: &mut String) {
    let (open, close, parts): (char, char, Vec<Member>) = match v {
        Node::Arr(items) => ('[', ']', items.iter().map(|x| (one(x), None)).collect()),
        Node::Obj(m) => (
            '{',
            '}',
            m.iter()
                .map(|(k, x)| {
                    let list = match x {
                        Node::Arr(items) => Some(items.as_slice()),
                        _ => None,
                    };
                    (format!("{k}: {}", one(x)), list)
                })
                .collect(),
        ),
        Node::Scalar(_) => return,
    };
    let pad = " ".repeat(col + 1);
    out.push(open);
    let mut c = col + 1;
    for (n, (p, list)) in parts.iter().enumerate() {
        let w = p.chars().count();
        // The closing bracket or comma after a member counts.
        let fits_here = c + if n > 0 { 2 } else { 0 } + w < WIDTH;
        if n > 0 {
            if fits_here {
                out.push_str(", ");
                c += 2;
            } else {
                out.push_str(",\n");
                out.push_str(&pad);
                c = col + 1;
            }
        }
        match list {
            // A list of long strings that fits on no line: hung under its first.
            Some(items) if c + w >= WIDTH => {
                let key = &p[..p.find(": ").map_or(0, |i| i + 2)];
                out.push_str(key);
                hang(items, c + key.chars().count(), out);
                c = WIDTH;
            }
            _ => {
                out.push_str(p);
                c += w;
            }
        }
    }
    out.push(close);
}

/// A list of long scalars: the first beside its bracket, each next one on a
/// line of its own under it.
fn hang(items: &[Node], col: usize, out: &mut String) {
    out.push('[');
    for (n, x) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(",\n");
            out.push_str(&" ".repeat(col + 1));
        }
        out.push_str(&one(x));
    }
    out.push(']');
}

/// A list item longer than this (a command, a sentence) gets a line of its
/// own; shorter ones (names, MACs, `["sysfs"]`) share lines.
const SHORT_ITEM: usize = 40;

fn short(v: &Node, max: usize) -> bool {
    inline(v, max).is_some()
}

fn one(v: &Node) -> String {
    inline(v, usize::MAX).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_on_one_line_and_escapes_survive() {
        let t = "{\n\"a\" :[1,2],\"b\":\"x\\u2026\"}";
        assert_eq!(
            format(t).as_deref(),
            Some("{\"a\": [1, 2], \"b\": \"x\\u2026\"}\n")
        );
    }

    #[test]
    fn long_flat_objects_fill_lines_and_nested_ones_break() {
        let item = format!(
            "{{\"expect\": \"link\", \"node\": \"{}\", \"dev\": \"eth0\", \"mtu\": 1480, \"id\": \"O3.1\"}}",
            "n".repeat(80)
        );
        let t = format!("{{\"steps\": [{{\"do\": [{item}]}}]}}");
        let f = format(&t).unwrap();
        for l in f.lines() {
            assert!(l.chars().count() <= WIDTH, "{l:?} is over {WIDTH}");
        }
        // Same tokens, in the same order: only whitespace changed.
        let strip = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(strip(&f), strip(&t));
        // The item fills two lines, the second under its first member.
        let at = f.find("{\"expect\"").unwrap();
        let col = at - f[..at].rfind('\n').unwrap() - 1;
        let item: Vec<&str> = f[at..]
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .collect();
        assert!(item[0].ends_with(','), "{f}");
        assert!(
            item[1].starts_with(&format!("{}\"", " ".repeat(col + 1))),
            "{f}"
        );
        assert!(item[1].ends_with("\"id\": \"O3.1\"}"), "{f}");
        // Formatting is a fixed point.
        assert_eq!(format(&f).as_deref(), Some(f.as_str()));
    }

    #[test]
    fn broken_text_is_refused() {
        assert_eq!(format("{\"a\": }"), None);
        assert_eq!(format("[1] 2"), None);
    }
}
