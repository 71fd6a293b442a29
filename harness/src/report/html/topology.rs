//! The topology picture of one step: nodes sized to their content,
//! interfaces stacked inside as `ip link` names them, bridge ports inside
//! their bridge, the node's routes, neighbours and sysctls under them;
//! veth pairs, tunnels and a tunnel's underlay as cables (see `layout`),
//! each naming its two ends in `data-link`. Against the previous step,
//! what was added or changed is marked and what went away is listed.

use super::draw::{draw_cable, draw_node};
use super::layout::{place, End, Size};
use super::view::{is_tunnel, IfaceView, NodeView};
use super::{esc, text_w, FONT};

pub(super) const IF_H: f64 = 46.0;
/// How far a bridge's ports sit inside the bridge.
pub(super) const PORT_IN: f64 = 18.0;
/// A state line's height and font size.
pub(super) const LINE_H: f64 = 14.0;
pub(super) const LINE_PX: f64 = 10.0;

pub(super) fn iface_line1(f: &IfaceView) -> String {
    format!("{}: {}{}", f.index, f.name, f.at)
}

pub(super) fn iface_line1_rest(f: &IfaceView) -> String {
    format!(" {} mtu {}", f.kind, f.mtu)
}

pub(super) fn iface_line2(f: &IfaceView) -> String {
    let mut v = f.addrs.clone();
    if !f.mac.is_empty() {
        v.push(f.mac.clone());
    }
    v.join(" ")
}

/// What changed in a mark's thing since the previous step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mark {
    Same,
    Added,
    Changed,
    Removed,
}

impl Mark {
    pub(super) fn class(self) -> &'static str {
        match self {
            Mark::Same => "",
            Mark::Added => " added",
            Mark::Changed => " changed",
            Mark::Removed => " removed",
        }
    }
}

/// A node's interfaces in drawing order: each bridge followed by its ports
/// (with the depth they are drawn at), the rest in the kernel's order.
fn drawing_order(n: &NodeView) -> Vec<(&IfaceView, usize)> {
    let bridge = |m: &Option<String>| {
        m.as_ref()
            .and_then(|m| n.ifaces.iter().find(|b| b.name == *m))
    };
    let mut out = vec![];
    for f in n.ifaces.iter().filter(|f| bridge(&f.master).is_none()) {
        out.push((f, 0));
        for p in n
            .ifaces
            .iter()
            .filter(|p| p.master.as_ref() == Some(&f.name))
        {
            out.push((p, 1));
        }
    }
    out
}

/// One node as drawn: its size, its interfaces' rows, its state lines.
pub(super) struct Drawn<'a> {
    pub size: Size,
    pub mark: Mark,
    pub ifaces: Vec<(&'a IfaceView, usize, Mark)>,
    /// (section, line, mark)
    pub lines: Vec<(&'static str, String, Mark)>,
    pub gone: Vec<String>,
}

fn iface_mark(prev: Option<&NodeView>, f: &IfaceView) -> Mark {
    match prev.map(|p| p.ifaces.iter().find(|x| x.name == f.name)) {
        None => Mark::Same,
        Some(None) => Mark::Added,
        Some(Some(o)) => {
            let same = (
                o.index, &o.kind, &o.mac, o.mtu, &o.master, &o.addrs, &o.peer, &o.lower,
            ) == (
                f.index, &f.kind, &f.mac, f.mtu, &f.master, &f.addrs, &f.peer, &f.lower,
            );
            if same {
                Mark::Same
            } else {
                Mark::Changed
            }
        }
    }
}

/// `now`'s lines marked against `before` (when there was a step before),
/// the lines that went away after them. Lines with the same `key` (a
/// neighbour without its NUD state) are one thing changed.
fn diff_lines(
    now: &[String],
    before: Option<&[String]>,
    key: fn(&str) -> &str,
) -> Vec<(String, Mark)> {
    let Some(before) = before else {
        return now.iter().map(|l| (l.clone(), Mark::Same)).collect();
    };
    let has_key = |v: &[String], l: &str| v.iter().any(|x| key(x) == key(l));
    let mut out: Vec<(String, Mark)> = now
        .iter()
        .map(|l| {
            let m = if before.contains(l) {
                Mark::Same
            } else if has_key(before, l) {
                Mark::Changed
            } else {
                Mark::Added
            };
            (l.clone(), m)
        })
        .collect();
    out.extend(
        before
            .iter()
            .filter(|l| !has_key(now, l))
            .map(|l| (l.clone(), Mark::Removed)),
    );
    out
}

/// A neighbour line without its NUD state.
fn neigh_key(l: &str) -> &str {
    l.rsplit_once(' ').map_or(l, |x| x.0)
}

/// `n` laid out against the same node of the previous step, if there was one.
fn drawn<'a>(n: &'a NodeView, prev: Option<&[NodeView]>) -> Drawn<'a> {
    let pn = prev.map(|p| p.iter().find(|x| x.name == n.name));
    let before = pn.flatten();
    let empty = NodeView::default();
    // A node new in this step: everything in it is new.
    let base = match pn {
        Some(None) => Some(&empty),
        _ => before,
    };
    let ifaces: Vec<_> = drawing_order(n)
        .into_iter()
        .map(|(f, d)| (f, d, iface_mark(base, f)))
        .collect();
    let mut lines = vec![];
    type Get = fn(&NodeView) -> &[String];
    type Key = fn(&str) -> &str;
    let whole: fn(&str) -> &str = |l| l;
    // A sysctl is the same thing at another value.
    let sysctl_key: fn(&str) -> &str = |l| l.split_once(" = ").map_or(l, |x| x.0);
    let secs: [(&'static str, Get, Key); 3] = [
        ("routes", |v| &v.routes, whole),
        ("neighbours", |v| &v.neigh, neigh_key),
        ("sysctls", |v| &v.sysctls, sysctl_key),
    ];
    for (name, get, key) in secs {
        for (l, m) in diff_lines(get(n), base.map(get), key) {
            lines.push((name, l, m));
        }
    }
    let gone: Vec<String> = before
        .map(|b| {
            b.ifaces
                .iter()
                .filter(|x| !n.ifaces.iter().any(|f| f.name == x.name))
        })
        .into_iter()
        .flatten()
        .map(|x| x.name.clone())
        .collect();
    let mut w = text_w(&n.name, 13.0) + 20.0;
    for (f, d, _) in &ifaces {
        let l1 = text_w(&format!("{}{}", iface_line1(f), iface_line1_rest(f)), 12.0);
        w = w.max(l1.max(text_w(&iface_line2(f), 10.0)) + 32.0 + PORT_IN * *d as f64);
    }
    for (_, l, _) in &lines {
        w = w.max(text_w(&format!("− {l}"), LINE_PX) + 24.0);
    }
    for g in &gone {
        w = w.max(text_w(&format!("gone: {g}"), LINE_PX) + 24.0);
    }
    let sections = ["routes", "neighbours", "sysctls"]
        .iter()
        .filter(|s| lines.iter().any(|(x, _, _)| x == *s))
        .count();
    let h = 44.0
        + IF_H * ifaces.len() as f64
        + (sections as f64) * 18.0
        + (lines.len() + gone.len()) as f64 * LINE_H
        + if sections + gone.len() > 0 { 8.0 } else { 0.0 };
    let mark = match pn {
        Some(None) => Mark::Added,
        _ => Mark::Same,
    };
    Drawn {
        size: Size { w: w.ceil(), h },
        mark,
        ifaces,
        lines,
        gone,
    }
}

/// Interface row `j`'s top, relative to its node.
pub(super) fn row_top(j: usize) -> f64 {
    32.0 + j as f64 * IF_H
}

/// A cable: its class, its two ends as (node index, interface row).
type Cable = (&'static str, (usize, usize), (usize, usize));

/// Every cable between drawn interfaces: veth pairs (once each), tunnels
/// between nodes (same kind, both with an address), a tunnel to its underlay.
fn cables(nodes: &[NodeView], drawn: &[Drawn]) -> Vec<Cable> {
    let find = |node: &str, dev: &str| {
        let i = nodes.iter().position(|n| n.name == node)?;
        let j = drawn[i].ifaces.iter().position(|(f, _, _)| f.name == dev)?;
        Some((i, j))
    };
    let mut out: Vec<Cable> = vec![];
    for (i, d) in drawn.iter().enumerate() {
        for (j, (f, _, _)) in d.ifaces.iter().enumerate() {
            if let Some(p) = f.peer.as_ref().and_then(|(pn, pi)| find(pn, pi)) {
                if (i, j) < p {
                    out.push(("veth", (i, j), p));
                }
            }
            if let Some(l) = f.lower.as_ref().and_then(|l| find(&nodes[i].name, l)) {
                out.push(("underlay", (i, j), l));
            }
        }
    }
    let tunnels: Vec<(usize, usize, &IfaceView)> = drawn
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            d.ifaces
                .iter()
                .enumerate()
                .map(move |(j, (f, _, _))| (i, j, *f))
        })
        .filter(|(_, _, f)| is_tunnel(&f.kind) && !f.addrs.is_empty())
        .collect();
    for (k, (ia, ja, fa)) in tunnels.iter().enumerate() {
        for (ib, jb, fb) in &tunnels[k + 1..] {
            if ia != ib && fa.kind == fb.kind {
                out.push(("tunnel", (*ia, *ja), (*ib, *jb)));
            }
        }
    }
    out
}

/// The picture of `nodes` after one step, marked against `prev` (the
/// previous step's), the lab's first `machines` nodes side by side.
pub fn topology_svg(
    nodes: &[NodeView],
    prev: Option<&[NodeView]>,
    machines: usize,
    step: &str,
) -> String {
    let cols = machines.clamp(2, 4).min(nodes.len().max(1));
    let drawn: Vec<Drawn> = nodes.iter().map(|n| drawn(n, prev)).collect();
    let homes: Vec<Option<usize>> = nodes
        .iter()
        .map(|n| {
            n.ifaces
                .iter()
                .filter_map(|f| f.peer.as_ref())
                .find_map(|(pn, _)| {
                    nodes[..machines.min(nodes.len())]
                        .iter()
                        .position(|m| m.name == *pn)
                })
        })
        .collect();
    let cs = cables(nodes, &drawn);
    // Several cables at one interface leave it at different heights.
    let mut used: std::collections::BTreeMap<(usize, usize), usize> = Default::default();
    let mut end = |(i, j): (usize, usize)| {
        let k = used.entry((i, j)).or_insert(0);
        *k += 1;
        let depth = drawn[i].ifaces[j].1 as f64;
        End {
            node: i,
            y: row_top(j) + 12.0 + ((*k - 1) % 4) as f64 * 7.0,
            left: 8.0 + PORT_IN * depth,
            right: drawn[i].size.w - 8.0,
        }
    };
    let ends: Vec<(End, End)> = cs.iter().map(|(_, a, b)| (end(*a), end(*b))).collect();
    let sizes: Vec<Size> = drawn.iter().map(|d| d.size).collect();
    let placed = place(&sizes, &homes, machines, cols, &ends);
    let mut body = String::new();
    for (i, d) in drawn.iter().enumerate() {
        draw_node(&mut body, &nodes[i].name, d, placed.at[i]);
    }
    let mut lines = String::new();
    for ((class, a, b), pts) in cs.iter().zip(&placed.paths) {
        draw_cable(&mut lines, class, (nodes, &drawn), (*a, *b), pts);
    }
    let (w, h) = (placed.w, placed.h);
    format!(
        r##"<svg class="topology" data-step="{}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}">{body}{lines}</svg>"##,
        esc(step)
    )
}
