//! Where every value of a JSON text starts, by JSON pointer (`/steps/2/do/0`),
//! found in one linear pass before serde parses the same text. Messages then
//! point at the exact value, however large the file and whatever its values
//! say (a value equal to a key name such as `"steps"` fools a text search).
//!
//! The scan trusts serde_json to reject malformed text: on anything it does
//! not expect it stops, keeping what it found so far.
//!
//! Why not serde_json itself: it reports positions only in its errors
//! (line:column) and, for a stream of top-level values, the byte offset
//! between them. Its `RawValue` (feature `raw_value`) could stand in by
//! pointer arithmetic on borrowed slices, but only by re-parsing every
//! container's text once per nesting level, and a key is a borrowed slice
//! only when it has no escapes: slower, and still not every position.

/// serde_json refuses deeper nesting; scanning deeper would only cost time.
const MAX_DEPTH: usize = 128;

/// One value: where it starts, its key's raw text when it is an object
/// member, and its members or items (no allocation for scalars).
struct Entry {
    off: usize,
    /// The key's opening quote and the byte after its closing quote.
    key: (usize, usize),
    kids: Vec<usize>,
    /// Just past the value (0 while scanning it, or if it is malformed).
    end: usize,
}

/// Every value of a text in document order, as a tree of indexes: no path
/// strings, one allocation per container, so a 10 MB lab scans in a few ms.
pub struct Spans {
    text: std::sync::Arc<str>,
    entries: Vec<Entry>,
    /// Offsets where lines start, for line:column by binary search.
    lines: Vec<usize>,
}

/// A JSON pointer token: `~` and `/` escaped (RFC 6901).
pub fn token(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

impl Spans {
    /// Find where every value of `text` starts, in one pass.
    pub fn scan(text: &str) -> Spans {
        let b = text.as_bytes();
        let mut lines = vec![0];
        lines.extend(
            b.iter()
                .enumerate()
                .filter(|(_, &c)| c == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut s = Scanner {
            b,
            i: 0,
            entries: Vec::with_capacity(b.len() / 16),
        };
        let _ = s.value(0, (0, 0));
        Spans {
            text: text.into(),
            entries: s.entries,
            lines,
        }
    }

    fn find(&self, pointer: &str) -> Option<&Entry> {
        let mut e = self.entries.first()?;
        if pointer.is_empty() {
            return Some(e);
        }
        let b = self.text.as_bytes();
        for t in pointer.strip_prefix('/')?.split('/') {
            let t = t.replace("~1", "/").replace("~0", "~");
            let next = match b.get(e.off)? {
                b'[' => *e.kids.get(t.parse::<usize>().ok()?)?,
                b'{' => *e.kids.iter().rev().find(|&&k| {
                    let (s, x) = self.entries[k].key;
                    let raw = &self.text[s..x];
                    if raw.contains('\\') {
                        serde_json::from_str::<String>(raw).is_ok_and(|k| k == t)
                    } else {
                        raw.len() == t.len() + 2 && raw[1..raw.len() - 1] == t
                    }
                })?,
                _ => return None,
            };
            e = &self.entries[next];
        }
        Some(e)
    }

    /// Offset of the value at `pointer`.
    pub fn value(&self, pointer: &str) -> Option<usize> {
        self.find(pointer).map(|e| e.off)
    }

    /// Offset of the key (its opening quote) of the member at `pointer`.
    pub fn key(&self, pointer: &str) -> Option<usize> {
        self.find(pointer)
            .filter(|e| e.key.1 > e.key.0)
            .map(|e| e.key.0)
    }

    /// The text of the value at `pointer` and where it starts, for parsing
    /// it alone with serde's positions made absolute by `absolute`.
    pub fn text_of(&self, pointer: &str) -> Option<(usize, &str)> {
        let e = self.find(pointer)?;
        (e.end > e.off).then(|| (e.off, &self.text[e.off..e.end]))
    }

    /// The offset in the whole text of serde's `line`:`column` (1-based)
    /// within the value text starting at `base`.
    pub fn absolute(&self, base: usize, line: usize, column: usize) -> usize {
        let (bl, _) = self.line_col(base);
        let line_start = if line <= 1 {
            base
        } else {
            self.lines.get(bl - 1 + line - 1).copied().unwrap_or(base)
        };
        (line_start + column.saturating_sub(1)).min(self.text.len())
    }

    /// Where the innermost value holding byte `off` starts (serde points at
    /// a value's last byte; a message reads better at its first).
    pub fn start_of(&self, off: usize) -> usize {
        // Entries are in document order: the innermost holder is the last
        // one starting at or before `off` whose end is past it.
        let n = self.entries.partition_point(|e| e.off <= off);
        self.entries[..n]
            .iter()
            .rev()
            .find(|e| e.end > off)
            .map_or(off, |e| e.off)
    }

    /// The key (its opening quote) that repeats an earlier key of the same
    /// object, first in the file: JSON parsers keep one of the two
    /// silently, so a lab could show one value and mean the other.
    pub fn duplicate_key(&self) -> Option<usize> {
        let b = self.text.as_bytes();
        let mut first: Option<usize> = None;
        for e in self.entries.iter().filter(|e| b.get(e.off) == Some(&b'{')) {
            if e.kids.len() < 2 {
                continue;
            }
            let mut keys: Vec<(std::borrow::Cow<'_, str>, usize)> = e
                .kids
                .iter()
                .map(|&k| {
                    let (s, x) = self.entries[k].key;
                    let raw = &self.text[s..x];
                    let key = if raw.contains('\\') {
                        serde_json::from_str::<String>(raw).map_or(raw.into(), Into::into)
                    } else {
                        raw[1..raw.len() - 1].into()
                    };
                    (key, s)
                })
                .collect();
            keys.sort();
            for w in keys.windows(2) {
                if w[0].0 == w[1].0 && first.is_none_or(|f| w[1].1 < f) {
                    first = Some(w[1].1);
                }
            }
        }
        first
    }

    /// 1-based line and byte column of `off`.
    pub fn line_col(&self, off: usize) -> (usize, usize) {
        let l = self.lines.partition_point(|&s| s <= off).max(1);
        (l, off - self.lines[l - 1] + 1)
    }
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    entries: Vec<Entry>,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    /// Past a string starting at `self.i` (its quote).
    fn string(&mut self) -> Option<()> {
        self.i += 1;
        loop {
            match self.b.get(self.i)? {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                _ => self.i += 1,
            }
        }
    }

    /// The value at `self.i`; returns its entry's index.
    fn value(&mut self, depth: usize, key: (usize, usize)) -> Option<usize> {
        let me = self.value_inner(depth, key)?;
        self.entries[me].end = self.i;
        Some(me)
    }

    fn value_inner(&mut self, depth: usize, key: (usize, usize)) -> Option<usize> {
        self.ws();
        let me = self.entries.len();
        self.entries.push(Entry {
            off: self.i,
            key,
            kids: vec![],
            end: 0,
        });
        let (open, close) = match self.peek()? {
            b'{' => (b'{', b'}'),
            b'[' => (b'[', b']'),
            b'"' => return self.string().map(|_| me),
            _ => {
                while self.i < self.b.len()
                    && !matches!(
                        self.b[self.i],
                        b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                return Some(me);
            }
        };
        if depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        self.ws();
        if self.peek()? == close {
            self.i += 1;
            return Some(me);
        }
        let mut kids = vec![];
        loop {
            self.ws();
            let mut k = (0, 0);
            if open == b'{' {
                // Breaking (not `?`) keeps the members found so far.
                if self.peek() != Some(b'"') {
                    break;
                }
                let s = self.i;
                if self.string().is_none() {
                    break;
                }
                k = (s, self.i);
                self.ws();
                if self.peek() != Some(b':') {
                    break;
                }
                self.i += 1;
            }
            match self.value(depth + 1, k) {
                Some(c) => kids.push(c),
                None => break,
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    self.entries[me].kids = kids;
                    return Some(me);
                }
                _ => break,
            }
        }
        // Malformed (serde_json says where): keep what was found.
        self.entries[me].kids = kids;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_keys_by_pointer() {
        let t = "{\"lab\": \"steps\",\n \"steps\": [\n  {\"do\": [\"a\", {\"x/y\": 1}]},\n  7]}";
        let s = Spans::scan(t);
        assert_eq!(s.line_col(s.value("/lab").unwrap()), (1, 9));
        assert_eq!(s.line_col(s.value("/steps/0").unwrap()), (3, 3));
        assert_eq!(s.line_col(s.value("/steps/0/do/1").unwrap()), (3, 16));
        assert_eq!(s.line_col(s.key("/steps/0/do/1/x~1y").unwrap()), (3, 17));
        assert_eq!(s.line_col(s.value("/steps/1").unwrap()), (4, 3));
        assert_eq!(s.value("/nodes"), None);
        let (base, v) = s.text_of("/steps/0/do/1").unwrap();
        assert_eq!(v, "{\"x/y\": 1}");
        // serde's column 9 of that text is the `1`.
        assert_eq!(s.line_col(s.absolute(base, 1, 9)), (3, 24));
        // ... and the value holding that byte starts there too; the brace
        // belongs to the object.
        assert_eq!(s.line_col(s.start_of(s.absolute(base, 1, 9))), (3, 24));
        assert_eq!(s.line_col(s.start_of(s.absolute(base, 1, 10))), (3, 16));
    }

    #[test]
    fn duplicate_keys_at_any_depth() {
        let t = "{\"a\": {\"b\": 1, \"c\": {\"x\": 1, \"x\": 2}, \"b\": 3}}";
        let s = Spans::scan(t);
        assert_eq!(s.duplicate_key(), t.find("\"x\": 2"));
        assert_eq!(
            Spans::scan("{\"a\": 1, \"\\u0061\": 2}").duplicate_key(),
            Some(9)
        );
        assert_eq!(
            Spans::scan("{\"a\": [{\"a\": 1}], \"b\": 2}").duplicate_key(),
            None
        );
    }

    #[test]
    fn escaped_keys_and_deep_nesting_stop_cleanly() {
        let s = Spans::scan("{\"a\\\"b\": [1]}");
        assert!(s.value("/a\"b/0").is_some());
        let deep = "[".repeat(100_000);
        let s = Spans::scan(&deep);
        assert!(s.value("").is_some());
    }
}
