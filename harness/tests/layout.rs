//! The shape of the crate, checked (design.md, "Target layout"): the pure
//! folders never import the system ones, folders import each other without
//! cycles, each folder says what it owns, files and functions stay small.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const PURE: &[&str] = &["model", "iproute", "lab", "capture", "check", "report"];
const SYSTEM: &[&str] = &["sys", "topo", "traffic", "run", "tools"];
const MAX_FILE_LINES: usize = 500;
const MAX_FN_LINES: usize = 80;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file as (folder, path, text); the binary's folder is `bin`
/// (a client of the library, not a layer).
fn files() -> Vec<(String, PathBuf, String)> {
    let mut out = vec![];
    let mut stack = vec![src()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("src is readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(src()).expect("under src").to_path_buf();
                let folder = match rel.components().count() {
                    1 => String::new(),
                    _ => rel.components().next().map_or(String::new(), |c| {
                        c.as_os_str().to_string_lossy().into_owned()
                    }),
                };
                let text = std::fs::read_to_string(&p).expect("readable");
                out.push((folder, rel, text));
            }
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// The code of a file without its unit tests, comments and strings' noise
/// (what it imports is what its non-test code names).
fn code(text: &str) -> String {
    let cut = text.find("#[cfg(test)]\nmod ").unwrap_or(text.len());
    text[..cut]
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level folders a file's code names through `crate::FOLDER`.
fn imports(text: &str) -> BTreeSet<String> {
    let code = code(text);
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + 7..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[test]
fn pure_folders_never_import_the_system_ones() {
    let mut bad = vec![];
    for (folder, path, text) in files() {
        if !PURE.contains(&folder.as_str()) {
            continue;
        }
        for m in imports(&text) {
            if SYSTEM.contains(&m.as_str()) {
                bad.push(format!("{} imports crate::{m}", path.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the pure core reaches the system side:\n{}",
        bad.join("\n")
    );
}

#[test]
fn folders_import_each_other_without_cycles() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (folder, _, text) in files() {
        if folder.is_empty() {
            continue;
        }
        let e = graph.entry(folder.clone()).or_default();
        for m in imports(&text) {
            if m != folder && m != "error" {
                e.insert(m);
            }
        }
    }
    // Depth-first search for a back edge, reporting the cycle.
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, &graph, &mut vec![], &mut done) {
            panic!("import cycle between folders: {}", c.join(" -> "));
        }
    }
}

#[test]
fn every_folder_says_what_it_owns() {
    for (folder, path, text) in files() {
        if path.file_name().is_some_and(|n| n == "mod.rs") && path.components().count() == 2 {
            assert!(
                text.starts_with("//!"),
                "{folder}/mod.rs does not open with a //! comment saying what the folder owns"
            );
        }
    }
}

#[test]
fn files_stay_under_500_lines() {
    let big: Vec<String> = files()
        .iter()
        .map(|(_, p, t)| (p, t.lines().count()))
        .filter(|(_, n)| *n > MAX_FILE_LINES)
        .map(|(p, n)| format!("{}: {n} lines", p.display()))
        .collect();
    assert!(
        big.is_empty(),
        "a file over {MAX_FILE_LINES} lines is two concerns:\n{}",
        big.join("\n")
    );
}

/// Each `fn` with a body, and its length in lines (to the closing brace at
/// its own indentation, as rustfmt writes it).
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![];
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let ind = &l[..l.len() - t.len()];
        let decl = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "async fn ",
            "pub async fn ",
        ]
        .iter()
        .find_map(|p| t.strip_prefix(p));
        let Some(rest) = decl else { continue };
        if l.trim_end().ends_with(';') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{ind}}}");
        if let Some(j) = lines[i + 1..].iter().position(|x| *x == close) {
            out.push((name, j + 2));
        }
    }
    out
}

#[test]
fn functions_stay_under_80_lines() {
    let mut long = vec![];
    for (_, p, t) in files() {
        for (name, n) in functions(&code(&t)) {
            if n > MAX_FN_LINES {
                long.push(format!("{}: fn {name}: {n} lines", p.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// One word per concept: no two types (structs, enums, aliases, traits)
/// declared with any `pub` share a name anywhere in the crate, so a name
/// found in a message or a signature means one thing.
#[test]
fn public_type_names_are_unique() {
    let mut seen: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for (_, rel, text) in files() {
        for l in code(&text).lines() {
            let t = l.trim_start();
            let Some(rest) = t.strip_prefix("pub") else {
                continue;
            };
            // `pub`, `pub(crate)`, `pub(super)`, `pub(in …)`.
            let rest = match rest.strip_prefix('(') {
                Some(r) => r.split_once(')').map_or("", |(_, r)| r),
                None => rest,
            };
            let mut words = rest.split_whitespace();
            if !matches!(words.next(), Some("struct" | "enum" | "type" | "trait")) {
                continue;
            }
            let name: String = words
                .next()
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            seen.entry(name).or_default().push(rel.clone());
        }
    }
    let twice: Vec<String> = seen
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(n, at)| format!("{n}: {at:?}"))
        .collect();
    assert!(
        twice.is_empty(),
        "public type names used twice:\n{}",
        twice.join("\n")
    );
}

/// The pure half takes its inputs and outputs as arguments: no process-wide
/// state (a `static`, a thread-local, a lazily set global) in its folders.
#[test]
fn pure_folders_hold_no_globals() {
    let mut found = vec![];
    for (folder, rel, text) in files() {
        let test_file = rel.to_string_lossy().ends_with("tests.rs");
        if !PURE.contains(&folder.as_str()) || test_file {
            continue;
        }
        for (i, l) in code(&text).lines().enumerate() {
            let t = l.trim_start();
            // `static`, `pub static`, `pub(crate) static`, ...
            let item = match t.strip_prefix("pub") {
                Some(r) if r.starts_with('(') => r.split_once(')').map_or("", |(_, r)| r),
                Some(r) => r,
                None => t,
            };
            let global = item.trim_start().starts_with("static ")
                || t.contains("thread_local!")
                || t.contains("OnceLock")
                || t.contains("lazy_static!")
                || t.contains("LazyLock");
            if global {
                found.push(format!("{}:{}: {}", rel.display(), i + 1, t));
            }
        }
    }
    assert!(
        found.is_empty(),
        "globals in the pure half:\n{}",
        found.join("\n")
    );
}
