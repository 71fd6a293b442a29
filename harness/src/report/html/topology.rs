//! The topology picture: nodes in a grid, interfaces stacked inside as
//! `ip link` names them, bridge ports inside their bridge, veth pairs as
//! cables, tunnels dashed; and the legend.

use super::view::{IfaceView, NodeView};
use super::{esc, text_w, FONT};
use std::collections::BTreeMap;
use std::fmt::Write;

const IF_H: f64 = 46.0;
/// How far a bridge's ports sit inside the bridge.
const PORT_IN: f64 = 18.0;

fn iface_line1(f: &IfaceView) -> String {
    format!("{}: {}{}", f.index, f.name, f.at)
}

fn iface_line1_rest(f: &IfaceView) -> String {
    format!(" {} mtu {}", f.kind, f.mtu)
}

fn iface_line2(f: &IfaceView) -> String {
    let mut v = f.addrs.clone();
    if !f.mac.is_empty() {
        v.push(f.mac.clone());
    }
    v.join(" ")
}

/// A node's interfaces in drawing order: each bridge followed by its ports
/// (with the depth they are drawn at), the rest in the kernel's order.
fn drawing_order(n: &NodeView) -> Vec<(&IfaceView, usize)> {
    let bridge = |m: &Option<String>| {
        m.as_ref()
            .and_then(|m| n.ifaces.iter().find(|b| b.name == *m))
    };
    let mut out = vec![];
    for f in &n.ifaces {
        if bridge(&f.master).is_some() {
            continue;
        }
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

/// Horizontal room between node columns (cables bend in it).
const GAP: f64 = 110.0;

/// Where an interface's box is: left, right, middle height.
type Positions = BTreeMap<(String, String), (f64, f64, f64)>;

/// Nodes in a grid, interfaces stacked inside as `ip link` names them
/// (`3: eth0@if7`), a bridge's ports drawn inside the bridge, veth pairs as
/// lines between their ends, tunnels dashed.
pub fn topology_svg(nodes: &[NodeView], machines: usize) -> String {
    let cols = machines.clamp(2, 4).min(nodes.len().max(1));
    let node_w = node_width(nodes);
    let (place, total_h) = placement(nodes, machines, cols);
    let mut body = String::new();
    let mut pos = Positions::new();
    for (i, n) in nodes.iter().enumerate() {
        let x = 20.0 + place[i].0 as f64 * (node_w + GAP);
        draw_node(&mut body, &mut pos, n, (x, place[i].1), node_w);
    }
    let lines = veth_cables(nodes, &pos) + &tunnels(nodes, &pos);
    let w = 40.0 + cols as f64 * node_w + (cols as f64 - 1.0) * GAP + 60.0;
    let h = total_h;
    format!(
        r##"<svg class="topology" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}">{lines}{body}</svg>"##
    )
}

/// Wide enough for the longest line of any interface.
fn node_width(nodes: &[NodeView]) -> f64 {
    let mut node_w: f64 = 200.0;
    for n in nodes {
        node_w = node_w.max(text_w(&n.name, 13.0) + 20.0);
        for (f, d) in drawing_order(n) {
            let inner = text_w(&iface_line1(f), 12.0)
                .max(text_w(
                    &format!("{}{}", iface_line1(f), iface_line1_rest(f)),
                    12.0,
                ))
                .max(text_w(&iface_line2(f), 10.0));
            node_w = node_w.max(inner + 32.0 + PORT_IN * d as f64);
        }
    }
    node_w.ceil()
}

fn node_height(n: &NodeView) -> f64 {
    44.0 + IF_H * n.ifaces.len().max(1) as f64
}

/// Each node's (column, top), and the picture's height. The lab's machines
/// side by side in the first row(s); each namespace made by a step (a pod)
/// stacked under the machine its veth leads to, so its cable stays in that
/// machine's column.
fn placement(nodes: &[NodeView], machines: usize, cols: usize) -> (Vec<(usize, f64)>, f64) {
    let machines = machines.min(nodes.len());
    let mut place = vec![(0usize, 0f64); nodes.len()];
    let mut top = 20.0;
    for row in 0..machines.div_ceil(cols) {
        let mut h: f64 = 0.0;
        for i in row * cols..((row + 1) * cols).min(machines) {
            place[i] = (i % cols, top);
            h = h.max(node_height(&nodes[i]));
        }
        top += h + 60.0;
    }
    let mut col_y = vec![top; cols];
    for i in machines..nodes.len() {
        let home = nodes[i]
            .ifaces
            .iter()
            .filter_map(|f| f.peer.as_ref())
            .find_map(|(pn, _)| nodes[..machines].iter().position(|m| m.name == *pn))
            .map(|k| k % cols);
        let c = home.unwrap_or_else(|| {
            (0..cols)
                .min_by(|a, b| col_y[*a].total_cmp(&col_y[*b]))
                .unwrap_or(0)
        });
        place[i] = (c, col_y[c]);
        col_y[c] += node_height(&nodes[i]) + 30.0;
    }
    let total_h = col_y.iter().fold(top, |a, b| a.max(*b)) + 20.0;
    (place, total_h)
}

/// A node's box and its interfaces, each interface's position recorded.
fn draw_node(
    body: &mut String,
    pos: &mut Positions,
    n: &NodeView,
    (x, y): (f64, f64),
    node_w: f64,
) {
    let _ = write!(
        body,
        r##"<g class="node"><rect x="{x}" y="{y}" width="{node_w}" height="{}" rx="8" fill="#f4f6fb" stroke="#5b6b8c"/><text x="{}" y="{}" font-size="13" font-weight="bold">{}</text></g>"##,
        node_height(n),
        x + 10.0,
        y + 22.0,
        esc(&n.name)
    );
    let order = drawing_order(n);
    for (j, (f, depth)) in order.iter().enumerate() {
        let iy = y + 32.0 + j as f64 * IF_H;
        let ix = x + 8.0 + PORT_IN * *depth as f64;
        let iw = node_w - 16.0 - PORT_IN * *depth as f64;
        // A bridge is a box holding its ports.
        let ports = order[j + 1..]
            .iter()
            .take_while(|(_, d)| *d > *depth)
            .count();
        let ih = IF_H - 6.0 + IF_H * ports as f64 + if ports > 0 { 4.0 } else { 0.0 };
        draw_iface(body, f, *depth > 0, (ix, iy, iw, ih));
        pos.insert(
            (n.name.clone(), f.name.clone()),
            (ix, ix + iw, iy + (IF_H - 6.0) / 2.0),
        );
    }
}

/// One interface's box: its `ip link` line, addresses and MAC, and what it
/// is attached to in the tooltip.
fn draw_iface(
    body: &mut String,
    f: &IfaceView,
    port: bool,
    (ix, iy, iw, ih): (f64, f64, f64, f64),
) {
    let fill = match f.kind.as_str() {
        "bridge" => "#fff3d6",
        "vxlan" | "ipip" => "#e6f4ea",
        _ => "#ffffff",
    };
    let class = if port { "iface port" } else { "iface" };
    let title = match (&f.master, &f.peer) {
        (Some(m), Some((pn, pi))) => format!("port of {m}; veth peer {pn}:{pi}"),
        (Some(m), None) => format!("port of {m}"),
        (None, Some((pn, pi))) => format!("veth peer {pn}:{pi}"),
        (None, None) => f.kind.clone(),
    };
    let stroke = if f.kind == "bridge" {
        "#d08a00"
    } else {
        "#8899bb"
    };
    let _ = write!(
        body,
        r##"<g class="{class}"><title>{}</title><rect x="{ix}" y="{iy}" width="{iw}" height="{ih}" rx="4" fill="{fill}" stroke="{stroke}"/><text x="{}" y="{}" font-size="12"><tspan font-weight="bold">{}</tspan><tspan fill="#666">{}</tspan></text><text x="{}" y="{}" font-size="10" fill="#444">{}</text></g>"##,
        esc(&title),
        ix + 6.0,
        iy + 16.0,
        esc(&iface_line1(f)),
        esc(&iface_line1_rest(f)),
        ix + 6.0,
        iy + 32.0,
        esc(&iface_line2(f)),
    );
}

/// A cable per veth pair, drawn once.
fn veth_cables(nodes: &[NodeView], pos: &Positions) -> String {
    let mut lines = String::new();
    let mut drawn = std::collections::BTreeSet::new();
    for n in nodes {
        for f in &n.ifaces {
            let me = (n.name.clone(), f.name.clone());
            let Some(&(al, ar, ay)) = pos.get(&me) else {
                continue;
            };
            let Some(p) = &f.peer else { continue };
            let key = if me < *p {
                (me.clone(), p.clone())
            } else {
                (p.clone(), me.clone())
            };
            if let (true, Some(&(bl, br, by))) = (drawn.insert(key), pos.get(p)) {
                let (x1, x2, bend) = if bl > ar {
                    (ar, bl, 0.0)
                } else if br < al {
                    (al, br, 0.0)
                } else {
                    // Same column: out of the right edge and back, the
                    // longer cables further out, so they nest.
                    (ar, br, (24.0 + (by - ay).abs() * 0.06).min(GAP - 12.0))
                };
                let mid = (x1 + x2) / 2.0 + bend;
                let _ = write!(
                    lines,
                    r##"<path class="veth" d="M{x1},{ay} C{mid},{ay} {mid},{by} {x2},{by}" fill="none" stroke="#2a6fdb" stroke-width="2.5"><title>veth pair {}:{} — {}:{}</title></path>"##,
                    esc(&me.0),
                    esc(&me.1),
                    esc(&p.0),
                    esc(&p.1)
                );
            }
        }
    }
    lines
}

/// Tunnels: a dashed line between tunnel devices of the same kind in
/// different nodes.
fn tunnels(nodes: &[NodeView], pos: &Positions) -> String {
    let mut lines = String::new();
    let tunnels: Vec<(&String, &IfaceView)> = nodes
        .iter()
        .flat_map(|n| n.ifaces.iter().map(move |f| (&n.name, f)))
        .filter(|(_, f)| f.kind == "vxlan" || f.kind == "ipip")
        .collect();
    for (i, (na, fa)) in tunnels.iter().enumerate() {
        for (nb, fb) in &tunnels[i + 1..] {
            if na == nb || fa.kind != fb.kind {
                continue;
            }
            if let (Some(&(al, ar, ay)), Some(&(bl, br, by))) = (
                pos.get(&((*na).clone(), fa.name.clone())),
                pos.get(&((*nb).clone(), fb.name.clone())),
            ) {
                let _ = write!(
                    lines,
                    r##"<line class="tunnel" x1="{}" y1="{ay}" x2="{}" y2="{by}" stroke="#1e8e3e" stroke-width="2" stroke-dasharray="8,5"><title>{} tunnel</title></line>"##,
                    (al + ar) / 2.0,
                    (bl + br) / 2.0,
                    esc(&fa.kind)
                );
            }
        }
    }
    lines
}

/// What the topology's and the ladders' marks mean.
pub fn legend() -> String {
    let item = |svg: &str, what: &str| {
        format!(r##"<li><svg width="44" height="16" viewBox="0 0 44 16">{svg}</svg> {what}</li>"##)
    };
    [
        item(r##"<line x1="2" y1="8" x2="42" y2="8" stroke="#2a6fdb" stroke-width="2.5"/>"##, "veth pair: the two ends of one cable"),
        item(r##"<rect x="2" y="2" width="40" height="12" rx="3" fill="#fff3d6" stroke="#d08a00"/><rect x="12" y="6" width="28" height="6" fill="#fff" stroke="#8899bb"/>"##, "bridge, its ports drawn inside it"),
        item(r##"<rect x="2" y="2" width="40" height="12" rx="3" fill="#e6f4ea" stroke="#8899bb"/>"##, "tunnel device (vxlan, ipip)"),
        item(r##"<line x1="2" y1="8" x2="42" y2="8" stroke="#1e8e3e" stroke-width="2" stroke-dasharray="8,5"/>"##, "tunnel between nodes"),
        item(r##"<line x1="2" y1="8" x2="36" y2="8" stroke="#2a6fdb" stroke-width="1.5"/><path d="M34,4 L42,8 L34,12 z" fill="#2a6fdb"/>"##, "ladder: the same packet seen at the next capture point (blue request, green reply, red error)"),
        item(r##"<line x1="2" y1="8" x2="34" y2="8" stroke="#1e8e3e" stroke-width="2" stroke-dasharray="3,3"/><circle cx="38" cy="8" r="4" fill="none" stroke="#1e8e3e" stroke-width="1.5"/>"##, "ladder: a frame on the tunnel device and the outer frame that carries it (ring)"),
    ]
    .concat()
        + r##"<li><code>3: eth0@if7</code>: ifindex 3 in its own namespace; its veth peer is ifindex 7, counted in the peer's namespace</li>"##
}
