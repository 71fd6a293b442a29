//! `vethlab run --html DIR`: one self-contained HTML file per lab, with an
//! SVG topology (namespaces, interfaces with names, addresses and MACs,
//! veth pairs, bridge ports, tunnels) read from the kernel at the end of the
//! lab, and per step an SVG ladder of the captured packets in time order
//! across the capture points, failures marked, pcaps linked.

use crate::check::state::State;
use crate::error::Result;
use crate::model::fmt_mac;
use crate::report::{Outcome, Status, StepReport};
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone)]
pub struct IfaceView {
    /// This interface's ifindex in its own namespace.
    pub index: u32,
    pub name: String,
    /// What `ip link` prints after the name: `@if7` (a peer in another
    /// namespace, counted there), `@veth0` (a peer here), `@NONE`.
    pub at: String,
    pub kind: String,
    pub mac: String,
    pub mtu: u32,
    pub master: Option<String>,
    pub addrs: Vec<String>,
    /// (node, interface) of a veth's other end.
    pub peer: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct NodeView {
    pub name: String,
    pub ifaces: Vec<IfaceView>,
}

/// The topology of `nodes` as `st` holds it now.
pub fn view(st: &dyn State, nodes: &[String]) -> Result<Vec<NodeView>> {
    let mut out = vec![];
    for n in nodes {
        let links = st.links(n)?;
        let addrs = st.addrs(n)?;
        let mut ifaces = vec![];
        for l in &links {
            if l.name == "lo" {
                continue;
            }
            let peer = match (l.kind.as_deref(), l.link, l.link_netnsid) {
                (Some("veth"), Some(pi), Some(id)) => st.node_of_nsid(n, id)?.and_then(|pn| {
                    let name = st
                        .links(&pn)
                        .ok()?
                        .into_iter()
                        .find(|x| x.index == pi)?
                        .name;
                    Some((pn, name))
                }),
                (Some("veth"), Some(pi), None) => links
                    .iter()
                    .find(|x| x.index == pi)
                    .map(|x| (n.clone(), x.name.clone())),
                _ => None,
            };
            // As iproute2 prints it.
            let at = match (l.link, l.link_netnsid) {
                (Some(0), _) => "@NONE".to_string(),
                (Some(i), Some(_)) => format!("@if{i}"),
                (Some(i), None) => links
                    .iter()
                    .find(|x| x.index == i)
                    .map_or(format!("@if{i}"), |x| format!("@{}", x.name)),
                (None, _) => String::new(),
            };
            ifaces.push(IfaceView {
                index: l.index,
                name: l.name.clone(),
                at,
                kind: l.kind.clone().unwrap_or_default(),
                mac: l.mac.map(|m| fmt_mac(&m)).unwrap_or_default(),
                mtu: l.mtu,
                master: l
                    .master
                    .and_then(|m| links.iter().find(|x| x.index == m))
                    .map(|x| x.name.clone()),
                addrs: addrs
                    .iter()
                    .filter(|a| a.index == l.index)
                    .map(|a| format!("{}/{}", a.ip, a.prefix))
                    .collect(),
                peer,
            });
        }
        out.push(NodeView {
            name: n.clone(),
            ifaces,
        });
    }
    Ok(out)
}

pub fn esc(s: &str) -> String {
    // Control characters are not text in HTML (nor allowed in SVG's XML).
    crate::report::out::esc_text(s, true)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVGs' font: a monospace face, so a text's width is known here.
const FONT: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
/// Advance of one monospace character per pixel of font size, with room to
/// spare (DejaVu Sans Mono: 0.602; Menlo, Consolas: 0.60, 0.55).
const EM: f64 = 0.64;

/// The width `s` takes at `size` px in `FONT`.
fn text_w(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * EM
}

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

/// Nodes in a grid, interfaces stacked inside as `ip link` names them
/// (`3: eth0@if7`), a bridge's ports drawn inside the bridge, veth pairs as
/// lines between their ends, tunnels dashed.
pub fn topology_svg(nodes: &[NodeView], machines: usize) -> String {
    let cols = machines.clamp(2, 4).min(nodes.len().max(1));
    // Wide enough for the longest line of any interface.
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
    let node_w = node_w.ceil();
    let gap = 110.0;
    let height = |n: &NodeView| 44.0 + IF_H * n.ifaces.len().max(1) as f64;
    let mut pos: BTreeMap<(String, String), (f64, f64, f64)> = BTreeMap::new();
    let mut body = String::new();
    // The lab's machines side by side in the first row(s); each namespace
    // made by a step (a pod) stacked under the machine its veth leads to,
    // so its cable stays in that machine's column.
    let machines = machines.min(nodes.len());
    let mut place = vec![(0usize, 0f64); nodes.len()];
    let mut top = 20.0;
    for row in 0..machines.div_ceil(cols) {
        let mut h: f64 = 0.0;
        for i in row * cols..((row + 1) * cols).min(machines) {
            place[i] = (i % cols, top);
            h = h.max(height(&nodes[i]));
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
        col_y[c] += height(&nodes[i]) + 30.0;
    }
    let total_h = col_y.iter().fold(top, |a, b| a.max(*b)) + 20.0;
    for (i, n) in nodes.iter().enumerate() {
        let x = 20.0 + place[i].0 as f64 * (node_w + gap);
        let y = place[i].1;
        let _ = write!(
            body,
            r##"<g class="node"><rect x="{x}" y="{y}" width="{node_w}" height="{}" rx="8" fill="#f4f6fb" stroke="#5b6b8c"/><text x="{}" y="{}" font-size="13" font-weight="bold">{}</text></g>"##,
            height(n),
            x + 10.0,
            y + 22.0,
            esc(&n.name)
        );
        let order = drawing_order(n);
        for (j, (f, depth)) in order.iter().enumerate() {
            let iy = y + 32.0 + j as f64 * IF_H;
            let ix = x + 8.0 + PORT_IN * *depth as f64;
            let iw = node_w - 16.0 - PORT_IN * *depth as f64;
            let fill = match f.kind.as_str() {
                "bridge" => "#fff3d6",
                "vxlan" | "ipip" => "#e6f4ea",
                _ => "#ffffff",
            };
            // A bridge is a box holding its ports.
            let ports = order[j + 1..]
                .iter()
                .take_while(|(_, d)| *d > *depth)
                .count();
            let ih = IF_H - 6.0 + IF_H * ports as f64 + if ports > 0 { 4.0 } else { 0.0 };
            let class = if *depth > 0 { "iface port" } else { "iface" };
            let title = match (&f.master, &f.peer) {
                (Some(m), Some((pn, pi))) => format!("port of {m}; veth peer {pn}:{pi}"),
                (Some(m), None) => format!("port of {m}"),
                (None, Some((pn, pi))) => format!("veth peer {pn}:{pi}"),
                (None, None) => f.kind.clone(),
            };
            let _ = write!(
                body,
                r##"<g class="{class}"><title>{}</title><rect x="{ix}" y="{iy}" width="{iw}" height="{ih}" rx="4" fill="{fill}" stroke="{}"/><text x="{}" y="{}" font-size="12"><tspan font-weight="bold">{}</tspan><tspan fill="#666">{}</tspan></text><text x="{}" y="{}" font-size="10" fill="#444">{}</text></g>"##,
                esc(&title),
                if f.kind == "bridge" {
                    "#d08a00"
                } else {
                    "#8899bb"
                },
                ix + 6.0,
                iy + 16.0,
                esc(&iface_line1(f)),
                esc(&iface_line1_rest(f)),
                ix + 6.0,
                iy + 32.0,
                esc(&iface_line2(f)),
            );
            pos.insert(
                (n.name.clone(), f.name.clone()),
                (ix, ix + iw, iy + (IF_H - 6.0) / 2.0),
            );
        }
    }
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
                    (ar, br, (24.0 + (by - ay).abs() * 0.06).min(gap - 12.0))
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
    // Tunnels: a dashed line between tunnel devices of different nodes.
    let tunnels: Vec<(&String, &IfaceView)> = nodes
        .iter()
        .flat_map(|n| n.ifaces.iter().map(move |f| (&n.name, f)))
        .filter(|(_, f)| f.kind == "vxlan" || f.kind == "ipip")
        .collect();
    for (i, (na, fa)) in tunnels.iter().enumerate() {
        for (nb, fb) in &tunnels[i + 1..] {
            if na != nb && fa.kind == fb.kind {
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
    }
    let w = 40.0 + cols as f64 * node_w + (cols as f64 - 1.0) * gap + 60.0;
    let h = total_h;
    format!(
        r##"<svg class="topology" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}">{lines}{body}</svg>"##
    )
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

/// The link-layer header stripped: the packet itself (the same bytes on
/// both sides of a veth or bridge, and inside a tunnel).
fn l3(linktype: i32, d: &[u8]) -> &[u8] {
    use crate::capture::decode::*;
    let skip = match linktype {
        DLT_EN10MB => 14,
        DLT_LINUX_SLL => 16,
        _ => 0,
    };
    d.get(skip..).unwrap_or(&[])
}

/// The packet an outer IPv4 packet carries: IP-in-IP's payload, or the
/// inner frame's packet of VXLAN (UDP 8472 or 4789).
fn encapsulated(linktype: i32, d: &[u8]) -> Option<&[u8]> {
    let p = l3(linktype, d);
    if p.first()? >> 4 != 4 {
        return None;
    }
    let ihl = (p[0] & 15) as usize * 4;
    let payload = p.get(ihl..)?;
    match *p.get(9)? {
        4 => Some(payload),
        17 => {
            let dport = u16::from_be_bytes([*payload.get(2)?, *payload.get(3)?]);
            if dport != crate::capture::decode::FLANNEL_VXLAN_PORT
                && dport != crate::capture::decode::IANA_VXLAN_PORT
            {
                return None;
            }
            // UDP header, VXLAN header, inner Ethernet header.
            payload.get(8 + 8 + 14..)
        }
        _ => None,
    }
}

/// One row of a ladder: a captured frame and its lines, never separated.
struct Row<'a> {
    ts: i64,
    col: usize,
    lines: &'a [String],
    linktype: i32,
    data: &'a [u8],
}

/// How a row relates to the others.
#[derive(Default, Clone)]
struct Links {
    /// The same packet, seen just before at another capture point.
    from: Option<usize>,
    /// The outer frame carrying this one, or the inner frame this carries.
    carried_in: Option<usize>,
    carries: Option<usize>,
}

fn rows(r: &StepReport) -> Vec<Row<'_>> {
    let mut ev: Vec<Row> = vec![];
    for (ci, c) in r.captures.iter().enumerate() {
        for f in &c.frames {
            ev.push(Row {
                ts: f.frame.ts_us,
                col: ci,
                lines: &f.lines,
                linktype: c.linktype,
                data: &f.frame.data,
            });
        }
    }
    ev.sort_by_key(|e| (e.ts, e.col));
    ev
}

/// The same packet again within 5 ms at another point is one packet
/// travelling (a retransmission 100 ms later is not); an outer frame is
/// linked to the inner frame with the same packet nearest in time.
fn links(ev: &[Row]) -> Vec<Links> {
    let mut out = vec![Links::default(); ev.len()];
    let mut last_seen: BTreeMap<&[u8], usize> = BTreeMap::new();
    for (k, e) in ev.iter().enumerate() {
        let key = l3(e.linktype, e.data);
        if let Some(&p) = last_seen.get(key) {
            if ev[p].col != e.col && e.ts - ev[p].ts <= 5_000 {
                out[k].from = Some(p);
            }
        }
        last_seen.insert(key, k);
    }
    for (k, e) in ev.iter().enumerate() {
        let Some(inner) = encapsulated(e.linktype, e.data) else {
            continue;
        };
        let best = ev
            .iter()
            .enumerate()
            .filter(|(j, x)| {
                *j != k
                    && x.col != e.col
                    && out[*j].carried_in.is_none()
                    && (x.ts - e.ts).abs() <= 5_000
                    && l3(x.linktype, x.data) == inner
            })
            .min_by_key(|(_, x)| (x.ts - e.ts).abs())
            .map(|(j, _)| j);
        if let Some(j) = best {
            out[k].carries = Some(j);
            out[j].carried_in = Some(k);
        }
    }
    out
}

fn colour(lines: &[String]) -> &'static str {
    // An encapsulated frame is coloured by what it carries.
    let line = lines.last().map_or("", |l| l.as_str());
    if line.contains("Request") || line.contains("request") {
        "#2a6fdb"
    } else if line.contains("Reply") || line.contains("reply") {
        "#1e8e3e"
    } else if line.contains("unreachable") {
        "#c5221f"
    } else {
        "#555"
    }
}

/// Labels longer than this are cut in the picture (the full lines are in
/// the label's tooltip and the table under the picture).
const LABEL_MAX: usize = 100;

/// A ladder: on the left one label per captured frame in time order, on the
/// right a column per capture point with a dot per frame; arrows join the
/// same packet seen at several points, a dashed line joins a frame on a
/// tunnel device to the outer frame carrying it. Arrows live only in the
/// columns, labels only on the left: no arrow crosses a label.
pub fn ladder_svg(r: &StepReport) -> String {
    let cols: Vec<&str> = r.captures.iter().map(|c| c.at.as_str()).collect();
    let ev = rows(r);
    let rel = links(&ev);
    let fs = 11.0;
    let line_h = 15.0;
    let t0 = ev.first().map_or(0, |e| e.ts);
    let label = |k: usize, e: &Row| -> Vec<String> {
        let head = format!("#{:<3} {:>9.3} ms  ", k + 1, (e.ts - t0) as f64 / 1000.0);
        let pad = " ".repeat(head.chars().count());
        e.lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let l = truncate(l, LABEL_MAX);
                if i == 0 {
                    format!("{head}{l}")
                } else {
                    format!("{pad}↳ {l}")
                }
            })
            .collect()
    };
    let labels_w = ev
        .iter()
        .enumerate()
        .flat_map(|(k, e)| label(k, e))
        .map(|l| text_w(&l, fs))
        .fold(text_w("no frame captured", fs), f64::max)
        .ceil();
    let col_w = cols
        .iter()
        .map(|c| text_w(c, fs) + 24.0)
        .fold(120.0, f64::max)
        .ceil();
    let x_cols = 20.0 + labels_w + 30.0;
    let cx = |c: usize| x_cols + col_w * c as f64 + col_w / 2.0;
    let head_h = 40.0;
    let mut ys = vec![];
    let mut y = head_h;
    for e in &ev {
        ys.push(y + fs);
        y += line_h * e.lines.len().max(1) as f64 + 5.0;
    }
    let w = x_cols + col_w * cols.len().max(1) as f64 + 10.0;
    let h = y.max(head_h + 20.0) + 10.0;
    let mut s = format!(
        r##"<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" font-size="{fs}">"##
    );
    for (i, c) in cols.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{}" y="18" text-anchor="middle" font-weight="bold">{}</text><line x1="{}" y1="26" x2="{}" y2="{h}" stroke="#99a"/>"##,
            cx(i),
            esc(c),
            cx(i),
            cx(i)
        );
    }
    if ev.is_empty() {
        let _ = write!(
            s,
            r##"<text x="20" y="{}" fill="#888">no frame captured</text>"##,
            head_h + fs
        );
    }
    let dot_y = |k: usize| ys[k] - fs / 3.0;
    let mut arrows = String::new();
    let mut marks = String::new();
    for (k, e) in ev.iter().enumerate() {
        let color = colour(e.lines);
        let y = dot_y(k);
        if let Some(p) = rel[k].from {
            let _ = write!(
                arrows,
                r##"<line class="hop" x1="{}" y1="{}" x2="{}" y2="{y}" stroke="{color}" stroke-width="1.5" marker-end="url(#a)"/>"##,
                cx(ev[p].col),
                dot_y(p),
                cx(e.col) + if cx(e.col) > cx(ev[p].col) { -4.0 } else { 4.0 }
            );
        }
        if let Some(j) = rel[k].carries {
            let _ = write!(
                arrows,
                r##"<line class="encap" x1="{}" y1="{y}" x2="{}" y2="{}" stroke="#1e8e3e" stroke-width="2" stroke-dasharray="3,3"><title>#{} carries #{}</title></line>"##,
                cx(e.col),
                cx(ev[j].col),
                dot_y(j),
                k + 1,
                j + 1
            );
        }
        let ring = if rel[k].carries.is_some() {
            format!(
                r##"<circle cx="{}" cy="{y}" r="6" fill="none" stroke="#1e8e3e" stroke-width="1.5"/>"##,
                cx(e.col)
            )
        } else {
            String::new()
        };
        let lines = label(k, e);
        let mut text = String::new();
        for (i, l) in lines.iter().enumerate() {
            let _ = write!(
                text,
                r##"<tspan x="20" y="{}">{}</tspan>"##,
                ys[k] + line_h * i as f64,
                esc(l)
            );
        }
        let _ = write!(
            marks,
            r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e4e6ec" stroke-dasharray="1,3"/>{ring}<circle cx="{}" cy="{y}" r="3.5" fill="{color}"/><text class="label" fill="{color}" xml:space="preserve" style="white-space:pre"><title>{} {}</title>{text}</text>"##,
            20.0 + labels_w + 8.0,
            cx(e.col) - 7.0,
            cx(e.col),
            esc(cols[e.col]),
            esc(&e.lines.join("\n")),
        );
    }
    s.push_str(&arrows);
    s.push_str(&marks);
    s.push_str(r##"<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs></svg>"##);
    s
}

/// The ladder's frames in full, with how they relate.
pub fn ladder_table(r: &StepReport) -> String {
    let ev = rows(r);
    let rel = links(&ev);
    let t0 = ev.first().map_or(0, |e| e.ts);
    let mut s = String::from(
        r##"<details class="frames"><summary>every frame in full</summary><table><tr><th>#</th><th>ms</th><th>at</th><th>tcpdump -n</th><th>relation</th></tr>"##,
    );
    for (k, e) in ev.iter().enumerate() {
        let mut how = vec![];
        if let Some(p) = rel[k].from {
            how.push(format!("same packet as #{}", p + 1));
        }
        if let Some(j) = rel[k].carries {
            how.push(format!("carries #{}", j + 1));
        }
        if let Some(j) = rel[k].carried_in {
            how.push(format!("carried in #{}", j + 1));
        }
        let _ = write!(
            s,
            r##"<tr><td>{}</td><td>{:.3}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>"##,
            k + 1,
            (e.ts - t0) as f64 / 1000.0,
            esc(&r.captures[e.col].at),
            e.lines
                .iter()
                .map(|l| esc(l))
                .collect::<Vec<_>>()
                .join("<br>"),
            how.join(", ")
        );
    }
    s.push_str("</table></details>");
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// One page for a lab: its topology, then each step with its checks and ladder.
pub fn lab_page(
    lab: &str,
    title: &str,
    nodes: &[NodeView],
    machines: usize,
    steps: &[StepReport],
    pcap_rel: Option<&str>,
    kernel: &str,
) -> String {
    let mut s = format!(
        r##"<!DOCTYPE html><html><head><meta charset="utf-8"><title>vethlab: {}</title><style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto;color:#222}}.pass{{color:#1e8e3e}}.fail{{color:#c5221f}}.skip{{color:#888}}pre{{background:#f6f6f6;padding:.5em;overflow-x:auto}}section{{border-top:1px solid #ddd;margin-top:1.5em}}.pic{{overflow-x:auto}}.legend{{list-style:none;padding:0;font-size:90%}}.legend svg{{vertical-align:middle}}.frames table{{border-collapse:collapse;font-size:85%}}.frames td,.frames th{{border-bottom:1px solid #eee;padding:2px 6px;text-align:left;vertical-align:top}}</style></head><body><h1>{}</h1><p>{}</p><p class="skip">{}</p><h2>Topology</h2><div class="pic">{}</div><ul class="legend">{}</ul>"##,
        esc(lab),
        esc(lab),
        esc(title),
        esc(kernel),
        topology_svg(nodes, machines),
        legend()
    );
    for r in steps {
        let (cls, mark) = match &r.status {
            Status::Pass => ("pass", "PASS"),
            Status::Fail => ("fail", "FAIL"),
            Status::Skip(_) => ("skip", "SKIP"),
        };
        let _ = write!(
            s,
            r##"<section><h2 class="{cls}">{mark} {} <small>[{}]</small></h2><p>{}</p><ul>"##,
            esc(&r.step),
            esc(&r.ids.join(" ")),
            esc(&r.title)
        );
        if let Status::Skip(why) = &r.status {
            let _ = write!(s, r##"<li class="skip">skipped: {}</li>"##, esc(why));
        }
        if let Some(e) = &r.error {
            let _ = write!(s, r##"<li class="fail">error: {}</li>"##, esc(e));
        }
        for c in &r.checks {
            let (cls, m, d) = match &c.outcome {
                Outcome::Pass(d) => ("pass", "✓", d),
                Outcome::Fail(d) => ("fail", "✗", d),
            };
            let _ = write!(
                s,
                r##"<li class="{cls}">{m} {} {}{}</li>"##,
                esc(c.id.as_deref().unwrap_or("")),
                esc(&c.what),
                if cls == "fail" {
                    format!("<pre>{}</pre>", esc(d))
                } else {
                    String::new()
                }
            );
        }
        s.push_str("</ul>");
        if !r.captures.is_empty() {
            let _ = write!(
                s,
                r##"<div class="pic">{}</div>{}"##,
                ladder_svg(r),
                ladder_table(r)
            );
            if let Some(rel) = pcap_rel {
                s.push_str("<p>pcaps: ");
                for c in &r.captures {
                    let f = format!(
                        "{rel}/{}/{}/{}.pcapng",
                        r.lab,
                        r.step,
                        c.at.replace(':', "-")
                    );
                    let _ = write!(s, r##"<a href="{}">{}</a> "##, esc(&f), esc(&c.at));
                }
                s.push_str("</p>");
            }
        }
        s.push_str("</section>");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::frame::Frame;
    use crate::report::CaptureReport;

    fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
        let len = (20 + payload.len()) as u16;
        let mut h = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto, 0, 0];
        h[2..4].copy_from_slice(&len.to_be_bytes());
        h.extend(src);
        h.extend(dst);
        let sum: u32 = h
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]) as u32)
            .sum();
        let sum = !((sum & 0xffff) + (sum >> 16)) as u16;
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        h.extend(payload);
        h
    }

    fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = dst.to_vec();
        f.extend(src);
        f.extend(ethertype.to_be_bytes());
        f.extend(payload);
        f
    }

    fn frame(ts_us: i64, data: Vec<u8>) -> Frame {
        Frame {
            ts_us,
            len: data.len() as u32,
            data,
        }
    }

    /// The label of each `<text class="label">`: its tooltip (point, lines).
    fn titles(svg: &str) -> Vec<String> {
        svg.split(r#"<text class="label""#)
            .skip(1)
            .map(|t| {
                let a = t.find("<title>").unwrap() + 7;
                let b = t.find("</title>").unwrap();
                t[a..b].to_string()
            })
            .collect()
    }

    /// flannel's cross-node ping: on flannel.1 the pod's echo request, on
    /// eth0 the same request inside VXLAN (two lines) and then an ARP
    /// request. Each frame keeps its own lines, the ARP frame is not
    /// labelled with the VXLAN frame's second line, and the inner frame is
    /// linked to the outer one.
    #[test]
    fn a_vxlan_frame_keeps_both_its_lines_and_is_linked_to_its_inner_frame() {
        let pod = [10, 244, 5, 2];
        let far = [10, 244, 2, 2];
        let icmp = [8u8, 0, 0xf7, 0xdf, 0, 32, 0, 1];
        let inner = eth(
            [0x82, 0x1a, 0x3c, 0xbd, 0x43, 0x04],
            [0x82, 0x1a, 0x3c, 0xbd, 0x43, 0x03],
            0x0800,
            &ipv4(pod, far, 1, &icmp),
        );
        let mut udp = vec![0xe9, 0xe4, 0x21, 0x18, 0, 0, 0, 0];
        let ulen = (8 + 8 + inner.len()) as u16;
        udp[4..6].copy_from_slice(&ulen.to_be_bytes());
        udp.extend([0x08, 0, 0, 0, 0, 0, 1, 0]);
        udp.extend(&inner);
        let outer = eth(
            [0xc2, 0xfa, 0xd9, 0xca, 0x26, 0x8c],
            [0xc2, 0x91, 0x0a, 0x98, 0x60, 0x7f],
            0x0800,
            &ipv4([192, 168, 0, 3], [192, 168, 0, 4], 17, &udp),
        );
        let arp = eth(
            [0xff; 6],
            [0xc2, 0x91, 0x0a, 0x98, 0x60, 0x7f],
            0x0806,
            &[
                0, 1, 8, 0, 6, 4, 0, 1, 0xc2, 0x91, 0x0a, 0x98, 0x60, 0x7f, 192, 168, 0, 3, 0, 0,
                0, 0, 0, 0, 192, 168, 0, 4,
            ],
        );
        let t = 1_700_000_000_000_000;
        let eth0 = CaptureReport::new(
            "node03:eth0".into(),
            1,
            &[frame(t + 20, outer), frame(t + 40, arp)],
        );
        let flannel = CaptureReport::new("node03:flannel.1".into(), 1, &[frame(t, inner)]);
        // Three frames, four lines: the capture still prints as tcpdump does.
        assert_eq!(eth0.lines().len(), 3);
        let r = StepReport {
            lab: "flannel".into(),
            step: "cross-node-vxlan".into(),
            title: String::new(),
            ids: vec![],
            status: Status::Pass,
            checks: vec![],
            error: None,
            ms: 0,
            captures: vec![eth0, flannel],
            hint: None,
        };
        let svg = ladder_svg(&r);
        let request = "IP 10.244.5.2 &gt; 10.244.2.2: ICMP echo request, id 32, seq 1, length 8";
        assert_eq!(
            titles(&svg),
            vec![
                format!("node03:flannel.1 {request}"),
                format!(
                    "node03:eth0 IP 192.168.0.3.59876 &gt; 192.168.0.4.8472: OTV, flags [I] (0x08), overlay 0, instance 1\n{request}"
                ),
                "node03:eth0 ARP, Request who-has 192.168.0.4 tell 192.168.0.3, length 28"
                    .to_string(),
            ]
        );
        // The VXLAN frame's label has two lines, the others one.
        assert_eq!(svg.matches("<tspan x=\"20\"").count(), 4);
        assert!(svg.contains("<title>#2 carries #1</title>"), "{svg}");
        let table = ladder_table(&r);
        assert!(table.contains("carried in #2"), "{table}");
        assert!(table.contains("carries #1"), "{table}");
    }

    #[test]
    fn no_carrier_without_the_same_inner_packet() {
        let a = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 1, &[8, 0, 0, 0, 0, 1, 0, 1]);
        let b = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 1, &[8, 0, 0, 0, 0, 1, 0, 2]);
        let outer = ipv4([192, 168, 0, 3], [192, 168, 0, 4], 4, &a);
        assert_eq!(encapsulated(12, &outer), Some(&a[..]));
        assert_ne!(encapsulated(12, &outer), Some(&b[..]));
        assert_eq!(encapsulated(12, &a), None);
    }
}
