//! Reuse in the lab format, expanded as the file loads, so everything after
//! (validation, the loader, reports, `vethlab list`) sees only plain items:
//!
//! - `{"each": [ROW, …], "do": [ITEM, …]}` in a `given` or `do` list stands
//!   for its items once per row, in row order. A row is an object of
//!   strings and numbers; `${name}` in any string of an item is replaced by
//!   the row's value (a string that is exactly `${name}` takes the value
//!   with its JSON type, so `"mtu": "${mtu}"` can be a number).
//! - A step's `"id"` is the observation id of each of its items that gives
//!   none (pings, expectations, CNI calls, daemons, answers).
//!
//! Every expanded item keeps its origin (the template item, and the row),
//! so a message points at FILE:LINE:COL of the template and names the row.

use super::load::RawLab;
use crate::error::{Error, Result};
use serde_json::{Map, Value};

/// Where an item of a step's list came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Origin {
    /// The JSON pointer of the item as written (the template item for a row).
    pub pointer: String,
    /// For an item of an `each`: the row (0-based) and the row's pointer.
    pub row: Option<(usize, String)>,
}

/// Items a whole lab may expand to (the loader's own bound on items): far
/// beyond a real node (hundreds of pods), short of a lab that expands
/// without bound. Counted while expanding, so a hostile file never gets to
/// allocate its expansion.
pub const MAX_EXPANDED: usize = super::load::limits::ITEMS;

/// Expand every step's `each` items and step-level `id`s, in place.
/// `at` turns a JSON pointer into `file:line:col`.
pub(super) fn expand(raw: &mut RawLab, at: &dyn Fn(&str) -> String) -> Result<()> {
    let mut budget = MAX_EXPANDED;
    for (si, s) in raw.steps.iter_mut().enumerate() {
        let id = s.id.clone();
        for (key, list, origins) in [
            ("given", &mut s.given, &mut s.given_origin),
            ("do", &mut s.actions, &mut s.actions_origin),
        ] {
            let (items, from) = expand_list(
                std::mem::take(list),
                &format!("/steps/{si}/{key}"),
                at,
                &mut budget,
            )?;
            *list = items;
            *origins = from;
            if let Some(id) = &id {
                for it in list.iter_mut() {
                    if let Value::Object(m) = it {
                        m.entry("id").or_insert_with(|| Value::String(id.clone()));
                    }
                }
            }
        }
    }
    Ok(())
}

fn expand_list(
    list: Vec<Value>,
    base: &str,
    at: &dyn Fn(&str) -> String,
    budget: &mut usize,
) -> Result<(Vec<Value>, Vec<Origin>)> {
    let mut items = Vec::with_capacity(list.len());
    let mut from = Vec::with_capacity(list.len());
    for (ii, v) in list.into_iter().enumerate() {
        let p = format!("{base}/{ii}");
        match v {
            Value::Object(m) if m.contains_key("each") => {
                each(m, &p, at, &mut items, &mut from, budget)?;
            }
            v => {
                *budget = budget.saturating_sub(1);
                items.push(v);
                from.push(Origin {
                    pointer: p,
                    row: None,
                });
            }
        }
    }
    Ok((items, from))
}

/// One `each`: its rows checked, its template instantiated per row.
fn each(
    mut m: Map<String, Value>,
    p: &str,
    at: &dyn Fn(&str) -> String,
    items: &mut Vec<Value>,
    from: &mut Vec<Origin>,
    budget: &mut usize,
) -> Result<()> {
    let bad = |ptr: &str, msg: String| Error::input(at(ptr), format!("each: {msg}"));
    if let Some(k) = m
        .keys()
        .find(|k| !["each", "do", "about"].contains(&k.as_str()))
    {
        return Err(bad(
            &format!("{p}/{}", super::spans::token(k)),
            format!(
                "unknown field `{}` (an `each` has `each` (rows), `do` (items) and `about`)",
                k.escape_debug()
            ),
        ));
    }
    let Some(Value::Array(rows)) = m.remove("each") else {
        return Err(bad(
            &format!("{p}/each"),
            "`each` must be a list of rows, each an object of names to strings or numbers".into(),
        ));
    };
    let Some(Value::Array(template)) = m.remove("do") else {
        return Err(bad(
            p,
            "needs `do`: the items to repeat for every row".into(),
        ));
    };
    if rows.is_empty() || template.is_empty() {
        return Err(bad(
            p,
            "needs at least one row and one item: an empty `each` says nothing".into(),
        ));
    }
    let used = used_names(&template, p, &bad)?;
    for (ri, row) in rows.iter().enumerate() {
        let rp = format!("{p}/each/{ri}");
        let row = check_row(row, ri, &rp, &used, &bad)?;
        if template.len() > *budget {
            return Err(bad(&rp, format!("the lab expands to over {MAX_EXPANDED} items here; a lab is not a flood (split it into labs)")));
        }
        *budget -= template.len();
        for (ti, t) in template.iter().enumerate() {
            items.push(fill(t, row));
            from.push(Origin {
                pointer: format!("{p}/do/{ti}"),
                row: Some((ri, rp.clone())),
            });
        }
    }
    Ok(())
}

/// What the template uses, each name with where it is first used.
fn used_names(
    template: &[Value],
    p: &str,
    bad: &dyn Fn(&str, String) -> Error,
) -> Result<Vec<(String, String)>> {
    let mut used: Vec<(String, String)> = vec![];
    for (ti, t) in template.iter().enumerate() {
        let tp = format!("{p}/do/{ti}");
        if matches!(t, Value::Object(o) if o.contains_key("each")) {
            return Err(bad(
                &tp,
                "an `each` inside an `each` is not supported: give the inner rows their own `each`"
                    .into(),
            ));
        }
        names_in(t, &mut |n| {
            if !used.iter().any(|(u, _)| u == n) {
                used.push((n.to_string(), tp.clone()));
            }
        });
    }
    if used.is_empty() {
        return Err(bad(
            p,
            "the items use no `${name}` of the rows: each row would repeat the same items".into(),
        ));
    }
    Ok(used)
}

/// A row: an object of strings and numbers naming exactly what the items use.
fn check_row<'v>(
    row: &'v Value,
    ri: usize,
    rp: &str,
    used: &[(String, String)],
    bad: &dyn Fn(&str, String) -> Error,
) -> Result<&'v Map<String, Value>> {
    let Value::Object(row) = row else {
        return Err(bad(
            rp,
            "a row is an object of names to strings or numbers".into(),
        ));
    };
    for (k, v) in row {
        let kp = format!("{rp}/{}", super::spans::token(k));
        if !matches!(v, Value::String(_) | Value::Number(_)) {
            return Err(bad(
                &kp,
                format!("`{}` must be a string or a number", k.escape_debug()),
            ));
        }
        if !used.iter().any(|(u, _)| u == k) {
            let k = k.escape_debug();
            return Err(bad(
                &kp,
                format!(
                    "row {} names `{k}`, which no item uses (a misspelt `${{{k}}}`?)",
                    ri + 1
                ),
            ));
        }
    }
    if let Some((n, _)) = used.iter().find(|(u, _)| !row.contains_key(u)) {
        let n = n.escape_debug();
        return Err(bad(
            rp,
            format!(
                "row {} has no `{n}`, which the items use as `${{{n}}}`",
                ri + 1
            ),
        ));
    }
    Ok(row)
}

/// The items `item` stands for: itself, or for an `each`, its template
/// filled in from every row (the rows already checked as the lab loaded).
pub fn instances(item: &Value) -> Vec<Value> {
    let each = match item {
        Value::Object(m) if m.contains_key("each") => m,
        other => return vec![other.clone()],
    };
    let (Some(Value::Array(rows)), Some(Value::Array(template))) =
        (each.get("each"), each.get("do"))
    else {
        return vec![];
    };
    rows.iter()
        .filter_map(Value::as_object)
        .flat_map(|row| template.iter().map(move |t| fill(t, row)))
        .collect()
}

/// Every `${name}` in the strings of `v`.
fn names_in(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                let Some(j) = rest[i..].find('}') else { break };
                f(&rest[i + 2..i + j]);
                rest = &rest[i + j + 1..];
            }
        }
        Value::Array(a) => a.iter().for_each(|x| names_in(x, f)),
        Value::Object(o) => o.values().for_each(|x| names_in(x, f)),
        _ => {}
    }
}

/// `v` with every `${name}` replaced from `row` (every name is in it).
fn fill(v: &Value, row: &Map<String, Value>) -> Value {
    let text = |x: &Value| match x {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match v {
        Value::String(s) => {
            if let Some(n) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                if let Some(x) = row.get(n).filter(|_| !n.contains('}')) {
                    return x.clone();
                }
            }
            let mut out = String::with_capacity(s.len());
            let mut rest = s.as_str();
            while let Some(i) = rest.find("${") {
                let Some(j) = rest[i..].find('}') else { break };
                out.push_str(&rest[..i]);
                match row.get(&rest[i + 2..i + j]) {
                    Some(x) => out.push_str(&text(x)),
                    None => out.push_str(&rest[i..i + j + 1]),
                }
                rest = &rest[i + j + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, row)).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), fill(x, row))).collect())
        }
        other => other.clone(),
    }
}
