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

/// The folder of assertion kinds and the file that lists them.
const KINDS: &str = "lab/expect";

/// The kinds the list in `lab/expect/mod.rs` registers, as
/// (tag, variant, module, type), from its `"tag" => Variant(module::Type),` lines.
fn registered_kinds() -> Vec<(String, String, String, String)> {
    let list = std::fs::read_to_string(src().join(KINDS).join("mod.rs")).expect("the list");
    let mut out = vec![];
    for l in list.lines().map(str::trim) {
        let Some((tag, rest)) = l.split_once(" => ") else {
            continue;
        };
        let (Some(tag), Some((variant, path))) = (
            tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')),
            rest.trim_end_matches(',')
                .trim_end_matches(')')
                .split_once('('),
        ) else {
            continue;
        };
        let (module, ty) = path.split_once("::").expect("module::Type");
        out.push((tag.into(), variant.into(), module.into(), ty.into()));
    }
    out
}

#[test]
fn each_assertion_kind_is_one_file_registered_once() {
    let kinds = registered_kinds();
    assert!(kinds.len() >= 11, "the list in {KINDS}/mod.rs: {kinds:?}");
    for (i, (tag, variant, module, ty)) in kinds.iter().enumerate() {
        for (j, other) in kinds.iter().enumerate().filter(|(j, _)| *j != i) {
            assert!(
                other.0 != *tag && other.1 != *variant && other.2 != *module,
                "kinds {i} and {j} share a tag, variant or file: {tag:?} / {other:?}"
            );
        }
        let p = src().join(KINDS).join(format!("{module}.rs"));
        let text = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("kind `{tag}` has no file {}: {e}", p.display()));
        let impls = code(&text).matches("impl Kind for ").count();
        assert_eq!(impls, 1, "{}: one `impl Kind for`", p.display());
        assert!(
            code(&text).contains(&format!("impl Kind for {ty} ")),
            "{}: the kind is {ty}, as the list says",
            p.display()
        );
    }
    // Every other file of the folder is a kind the list names, or its machinery.
    let machinery = ["mod.rs", "registry.rs"];
    for e in std::fs::read_dir(src().join(KINDS))
        .expect("the kinds folder")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let module = name.trim_end_matches(".rs");
        assert!(
            machinery.contains(&name.as_str()) || kinds.iter().any(|k| k.2 == module),
            "{KINDS}/{name} is not a kind the list in {KINDS}/mod.rs registers"
        );
    }
}

#[test]
fn only_the_kinds_own_files_name_a_kind() {
    let kinds = registered_kinds();
    let mut bad = vec![];
    for (_, path, text) in files() {
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into());
        // A unit test of one kind may name it; code may not dispatch on it.
        if path.starts_with(KINDS) || name.ends_with("tests.rs") {
            continue;
        }
        let code = code(&text);
        for (tag, variant, _, ty) in &kinds {
            if code.contains(&format!("Expect::{variant}")) || code.contains(ty.as_str()) {
                bad.push(format!("{} names kind `{tag}`", path.display()));
            }
        }
        // The list is the only place kinds are registered.
        if code.contains("kinds! {") {
            bad.push(format!(
                "{} registers kinds outside {KINDS}",
                path.display()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "adding a kind must touch only its file and the list:\n{}",
        bad.join("\n")
    );
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
