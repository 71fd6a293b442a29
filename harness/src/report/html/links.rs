//! Links that travel: every href relative to the page holding it, each
//! path segment percent-encoded, so a report folder can be moved, served
//! or bind-mounted and its links still resolve. And the run's index page.

use super::esc;
use crate::report::{summary, StepReport};
use std::fmt::Write;
use std::path::{Component, Path, PathBuf};

/// `p` with `.` dropped and `..` taken back (no filesystem access: the
/// directories may not exist yet, or only on the other side of a sandbox).
fn normal(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `to` relative to the directory `from`, both absolute (or both relative
/// to one directory), as `/`-separated segments (`.` when the same).
pub fn relative(from: &Path, to: &Path) -> String {
    let (a, b) = (normal(from), normal(to));
    let common = a
        .components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count();
    let mut r: Vec<String> = a
        .components()
        .skip(common)
        .map(|_| "..".to_string())
        .collect();
    r.extend(
        b.components()
            .skip(common)
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if r.is_empty() {
        ".".into()
    } else {
        r.join("/")
    }
}

/// One path segment as a URL path segment: unreserved characters kept,
/// every other byte `%XX` (a `#`, `?`, `%` or space in a name stays a name).
fn seg(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The href of `dir/segments…`, `dir` relative to the page (`relative`'s
/// form: `/`-separated, `..` allowed, `.` for the page's own directory).
pub fn href(dir: &str, segments: &[&str]) -> String {
    let mut v: Vec<String> = dir
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .map(|s| if s == ".." { s.to_string() } else { seg(s) })
        .collect();
    // An absolute directory (nothing in common with the page's) stays absolute.
    let lead = if dir.starts_with('/') { "/" } else { "" };
    v.extend(segments.iter().map(|s| seg(s)));
    format!("{lead}{}", v.join("/"))
}

/// DIR/index.html: each lab's page linked, with its counts.
pub fn index_page(labs: &[(&str, &str, &[StepReport])], kernel: &str) -> String {
    let mut s = format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>vethlab report</title><style>body{{font-family:sans-serif;margin:2em;color:#222}}.fail{{color:#c5221f}}td,th{{padding:2px 10px;text-align:left}}</style></head><body><h1>vethlab report</h1><p>{}</p><table><tr><th>lab</th><th>passed</th><th>failed</th><th>skipped</th><th></th></tr>"#,
        esc(kernel)
    );
    for (name, title, reps) in labs {
        let (p, f, k, _) = summary(reps);
        let _ = write!(
            s,
            r#"<tr{}><td><a href="{}">{}</a></td><td>{p}</td><td>{f}</td><td>{k}</td><td>{}</td></tr>"#,
            if f > 0 { r#" class="fail""# } else { "" },
            esc(&href(".", &[&format!("{name}.html")])),
            esc(name),
            esc(title)
        );
    }
    s.push_str("</table></body></html>\n");
    s
}
