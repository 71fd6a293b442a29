//! Where every value of a JSON text starts, by JSON pointer (`/steps/2/do/0`),
//! found in one linear pass before serde parses the same text. Messages then
//! point at the exact value, however large the file and whatever its values
//! say (a value equal to a key name such as `"steps"` fools a text search).
//!
//! The scan trusts serde_json to reject malformed text: on anything it does
//! not expect it stops, keeping what it found so far.

use std::collections::HashMap;

/// serde_json refuses deeper nesting; scanning deeper would only cost time.
const MAX_DEPTH: usize = 128;

#[derive(Default)]
pub struct Spans {
    values: HashMap<String, usize>,
    keys: HashMap<String, usize>,
    /// Offsets where lines start, for line:column by binary search.
    lines: Vec<usize>,
}

/// A JSON pointer token: `~` and `/` escaped (RFC 6901).
pub fn token(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

impl Spans {
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
            path: String::new(),
            out: Spans {
                lines,
                ..Default::default()
            },
        };
        let _ = s.value(0);
        s.out
    }

    /// Offset of the value at `pointer`.
    pub fn value(&self, pointer: &str) -> Option<usize> {
        self.values.get(pointer).copied()
    }

    /// Offset of the key (its opening quote) of the member at `pointer`.
    pub fn key(&self, pointer: &str) -> Option<usize> {
        self.keys.get(pointer).copied()
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
    path: String,
    out: Spans,
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

    /// A string starting at `self.i` (its quote); returns its decoded text.
    fn string(&mut self) -> Option<String> {
        let start = self.i;
        self.i += 1;
        let mut escaped = false;
        loop {
            match self.b.get(self.i)? {
                b'\\' => {
                    escaped = true;
                    self.i += 2;
                }
                b'"' => {
                    self.i += 1;
                    break;
                }
                _ => self.i += 1,
            }
        }
        let raw = self.b.get(start..self.i)?;
        if escaped {
            serde_json::from_slice(raw).ok()
        } else {
            std::str::from_utf8(&raw[1..raw.len() - 1])
                .ok()
                .map(str::to_string)
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        self.ws();
        self.out.values.insert(self.path.clone(), self.i);
        match self.peek()? {
            b'{' | b'[' if depth >= MAX_DEPTH => None,
            b'{' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    self.ws();
                    if self.peek()? != b'"' {
                        return None;
                    }
                    let kat = self.i;
                    let k = self.string()?;
                    let len = self.path.len();
                    self.path.push('/');
                    self.path.push_str(&token(&k));
                    self.out.keys.insert(self.path.clone(), kat);
                    self.ws();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.i += 1;
                    self.value(depth + 1)?;
                    self.path.truncate(len);
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b'}' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(());
                }
                let mut n = 0usize;
                loop {
                    let len = self.path.len();
                    self.path.push('/');
                    self.path.push_str(&n.to_string());
                    self.value(depth + 1)?;
                    self.path.truncate(len);
                    n += 1;
                    self.ws();
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while self.i < self.b.len()
                    && !matches!(
                        self.b[self.i],
                        b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                Some(())
            }
        }
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
