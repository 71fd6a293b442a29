//! The articles' own numbers beside the relations the other checks judge:
//! an address's broadcast, a bridge's id, the number a peer-index method
//! prints. Each adds its miss to a verdict already reached.

use crate::check::judge::{peer_index, Verdict};
use crate::check::state::State;
use crate::error::Result;
use crate::lab::expect::Method;

/// `v`, failed as well when an address of `dev` lacks broadcast `brd`
/// (`0.0.0.0`: none, as ifconfig prints it).
pub(crate) fn and_brd(
    st: &dyn State,
    node: &str,
    dev: &str,
    brd: Option<&str>,
    v: Verdict,
) -> Result<Verdict> {
    let Some(want) = brd else { return Ok(v) };
    let index = st.link(node, dev)?.index;
    let seen: Vec<String> = st
        .addrs(node)?
        .iter()
        .filter(|a| a.index == index)
        .map(|a| {
            let b = a.broadcast.map(|b| b.to_string());
            format!(
                "{}/{} brd {}",
                a.ip,
                a.prefix,
                b.as_deref().unwrap_or("0.0.0.0")
            )
        })
        .collect();
    let bad: Vec<&String> = seen
        .iter()
        .filter(|s| s.rsplit(' ').next() != Some(want))
        .collect();
    Ok(match (v, bad.first(), seen.is_empty()) {
        (Err(e), _, _) => Err(e),
        (Ok(_), None, false) => Ok(format!("{dev}: inet {}", seen.join(", inet "))),
        (Ok(shown), Some(b), _) => Err(format!(
            "{node}: {dev} holds {b}, not broadcast {want}\n{shown}"
        )),
        (Ok(shown), None, true) => Err(format!(
            "{node}: {dev} holds no address with broadcast {want}\n{shown}"
        )),
    })
}

/// `v`, failed as well when bridge `dev`'s id is not `id`.
pub(crate) fn and_bridge_id(
    st: &dyn State,
    node: &str,
    dev: &str,
    id: Option<&str>,
    v: Verdict,
) -> Result<Verdict> {
    let Some(want) = id else { return Ok(v) };
    let got = st.link(node, dev)?.bridge_id;
    Ok(match v {
        Err(e) => Err(e),
        Ok(shown) if got.as_deref() == Some(want) => Ok(shown),
        Ok(shown) => Err(format!(
            "{node}: {dev}'s bridge id is {} (want {want})\n{shown}",
            got.as_deref().unwrap_or("unknown")
        )),
    })
}

/// `v`, failed as well when a method prints another number than the
/// article's `index` (mapped as the lab's `index N` was on this kernel).
pub(crate) fn and_peer_number(
    st: &dyn State,
    node: &str,
    dev: &str,
    methods: &[Method],
    index: Option<u32>,
    v: Verdict,
) -> Result<Verdict> {
    let Some(i) = index else { return Ok(v) };
    let want = st.map_index(i);
    let mut bad = vec![];
    for m in methods {
        let got = peer_index(st, node, dev, m)?;
        if got != want {
            bad.push(format!("{m:?} gives {got}").to_lowercase());
        }
    }
    let article = if want == i {
        format!("{i}")
    } else {
        format!("{want} (the article's {i} on this kernel)")
    };
    Ok(match v {
        Err(e) => Err(e),
        Ok(shown) if bad.is_empty() => Ok(shown),
        Ok(shown) => Err(format!(
            "{node}: {dev}: {} (want peer_ifindex {article})\n{shown}",
            bad.join(", ")
        )),
    })
}
