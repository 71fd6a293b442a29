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
    pub name: String,
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
            ifaces.push(IfaceView {
                name: l.name.clone(),
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

const NODE_W: f64 = 250.0;
const IF_H: f64 = 46.0;

/// Nodes in a grid, interfaces stacked inside; veth pairs as lines between
/// their ends, bridge ports as dotted lines to the bridge, tunnels dashed.
pub fn topology_svg(nodes: &[NodeView], machines: usize) -> String {
    // The lab's machines side by side in the first row, namespaces made by
    // steps (pods) in the rows below.
    let cols = machines.clamp(2, 4).min(nodes.len().max(1));
    let mut pos: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    let mut body = String::new();
    let mut row_h = vec![0f64; nodes.len().div_ceil(cols)];
    for (i, n) in nodes.iter().enumerate() {
        let h = 40.0 + IF_H * n.ifaces.len().max(1) as f64;
        row_h[i / cols] = row_h[i / cols].max(h);
    }
    let mut y0 = vec![20.0];
    for h in &row_h {
        let last = *y0.last().unwrap_or(&20.0);
        y0.push(last + h + 60.0);
    }
    for (i, n) in nodes.iter().enumerate() {
        let x = 20.0 + (i % cols) as f64 * (NODE_W + 90.0);
        let y = y0[i / cols];
        let h = 40.0 + IF_H * n.ifaces.len().max(1) as f64;
        let _ = write!(
            body,
            r##"<g class="node"><rect x="{x}" y="{y}" width="{NODE_W}" height="{h}" rx="8" fill="#f4f6fb" stroke="#5b6b8c"/><text x="{}" y="{}" font-weight="bold">{}</text></g>"##,
            x + 10.0,
            y + 22.0,
            esc(&n.name)
        );
        for (j, f) in n.ifaces.iter().enumerate() {
            let iy = y + 32.0 + j as f64 * IF_H;
            let fill = match f.kind.as_str() {
                "bridge" => "#fff3d6",
                "vxlan" | "ipip" => "#e6f4ea",
                _ => "#ffffff",
            };
            let _ = write!(
                body,
                r##"<g class="iface"><rect x="{}" y="{iy}" width="{}" height="{}" rx="4" fill="{fill}" stroke="#8899bb"/><text x="{}" y="{}" font-size="12">{} <tspan fill="#666">{} mtu {}</tspan></text><text x="{}" y="{}" font-size="10" fill="#444">{} {}</text></g>"##,
                x + 8.0,
                NODE_W - 16.0,
                IF_H - 6.0,
                x + 14.0,
                iy + 16.0,
                esc(&f.name),
                esc(&f.kind),
                f.mtu,
                x + 14.0,
                iy + 32.0,
                esc(&f.addrs.join(" ")),
                esc(&f.mac)
            );
            pos.insert(
                (n.name.clone(), f.name.clone()),
                (x, iy + (IF_H - 6.0) / 2.0),
            );
        }
    }
    let mut lines = String::new();
    let mut drawn = std::collections::BTreeSet::new();
    for n in nodes {
        for f in &n.ifaces {
            let me = (n.name.clone(), f.name.clone());
            let Some(&(ax, ay)) = pos.get(&me) else {
                continue;
            };
            if let Some(p) = &f.peer {
                let key = if me < *p {
                    (me.clone(), p.clone())
                } else {
                    (p.clone(), me.clone())
                };
                if let (true, Some(&(bx, by))) = (drawn.insert(key), pos.get(p)) {
                    let (x1, x2) = if bx > ax {
                        (ax + NODE_W - 8.0, bx + 8.0)
                    } else if bx < ax {
                        (ax + 8.0, bx + NODE_W - 8.0)
                    } else {
                        (ax + NODE_W - 8.0, bx + NODE_W - 8.0)
                    };
                    let _ = write!(
                        lines,
                        r##"<path class="veth" d="M{x1},{ay} C{},{ay} {},{by} {x2},{by}" fill="none" stroke="#2a6fdb" stroke-width="2.5"><title>veth pair</title></path>"##,
                        (x1 + x2) / 2.0 + if x1 == x2 { 40.0 } else { 0.0 },
                        (x1 + x2) / 2.0 + if x1 == x2 { 40.0 } else { 0.0 }
                    );
                }
            }
            if let Some(m) = &f.master {
                if let Some(&(bx, by)) = pos.get(&(n.name.clone(), m.clone())) {
                    let _ = write!(
                        lines,
                        r##"<path class="port" d="M{},{ay} C{},{ay} {},{by} {},{by}" fill="none" stroke="#d08a00" stroke-width="1.5" stroke-dasharray="2,3"><title>port of {}</title></path>"##,
                        ax + 8.0,
                        ax - 12.0,
                        bx - 12.0,
                        bx + 8.0,
                        esc(m)
                    );
                }
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
                if let (Some(&(ax, ay)), Some(&(bx, by))) = (
                    pos.get(&((*na).clone(), fa.name.clone())),
                    pos.get(&((*nb).clone(), fb.name.clone())),
                ) {
                    let _ = write!(
                        lines,
                        r##"<line class="tunnel" x1="{}" y1="{ay}" x2="{}" y2="{by}" stroke="#1e8e3e" stroke-width="2" stroke-dasharray="8,5"><title>{} tunnel</title></line>"##,
                        ax + NODE_W / 2.0,
                        bx + NODE_W / 2.0,
                        esc(&fa.kind)
                    );
                }
            }
        }
    }
    let w = 40.0 + cols as f64 * (NODE_W + 90.0);
    let h = *y0.last().unwrap_or(&100.0);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="monospace">{lines}{body}</svg>"##
    )
}

/// Columns for the capture points, one row per captured frame in time
/// order; the same frame seen at several points is joined by an arrow.
pub fn ladder_svg(r: &StepReport) -> String {
    let cols: Vec<&str> = r.captures.iter().map(|c| c.at.as_str()).collect();
    let mut ev: Vec<(i64, usize, String, &[u8])> = vec![];
    for (ci, c) in r.captures.iter().enumerate() {
        for (f, line) in c.frames.iter().zip(&c.lines) {
            ev.push((f.ts_us, ci, line.clone(), &f.data));
        }
    }
    ev.sort_by_key(|e| (e.0, e.1));
    let col_w = 330.0;
    let row_h = 22.0;
    let w = 20.0 + col_w * cols.len().max(1) as f64;
    let h = 50.0 + row_h * ev.len().max(1) as f64;
    let cx = |c: usize| 20.0 + col_w * c as f64 + col_w / 2.0;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="monospace" font-size="11">"##
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
            r##"<text x="20" y="44" fill="#888">no frame captured</text>"##
        );
    }
    // A frame's payload without the Ethernet header: the same packet on
    // both sides of a veth or bridge.
    let body = |d: &[u8]| d.get(14..).unwrap_or(&[]).to_vec();
    // Arrows first, labels over them (with a white halo, so both stay legible).
    // The same packet seen again within 5 ms at another point is one packet
    // travelling; a retransmission 100 ms later is not.
    let mut last_seen: BTreeMap<Vec<u8>, (usize, f64, i64)> = BTreeMap::new();
    let mut arrows = String::new();
    let mut labels = String::new();
    let t0 = ev.first().map_or(0, |e| e.0);
    for (k, (ts, ci, line, data)) in ev.iter().enumerate() {
        let y = 44.0 + row_h * k as f64;
        let color = if line.contains("Request") || line.contains("request") {
            "#2a6fdb"
        } else if line.contains("Reply") || line.contains("reply") {
            "#1e8e3e"
        } else if line.contains("unreachable") {
            "#c5221f"
        } else {
            "#555"
        };
        let key = body(data);
        if let Some(&(pc, py, pts)) = last_seen.get(&key) {
            if pc != *ci && ts - pts <= 5_000 {
                let _ = write!(
                    arrows,
                    r##"<line x1="{}" y1="{py}" x2="{}" y2="{}" stroke="{color}" stroke-width="1.5" marker-end="url(#a)"/>"##,
                    cx(pc),
                    cx(*ci),
                    y - 4.0
                );
            }
        }
        last_seen.insert(key, (*ci, y - 4.0, *ts));
        let _ = write!(
            labels,
            r##"<circle cx="{}" cy="{}" r="3.5" fill="{color}"/><text x="{}" y="{y}" fill="{color}" stroke="#fff" stroke-width="3" paint-order="stroke"><title>{}</title>+{:.3} ms {}</text>"##,
            cx(*ci),
            y - 4.0,
            cx(*ci) - col_w / 2.0 + 6.0,
            esc(line),
            (ts - t0) as f64 / 1000.0,
            esc(&truncate(line, 40))
        );
    }
    s.push_str(&arrows);
    s.push_str(&labels);
    s.push_str(r##"<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs></svg>"##);
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
        r##"<!DOCTYPE html><html><head><meta charset="utf-8"><title>vethlab: {}</title><style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto;color:#222}}.pass{{color:#1e8e3e}}.fail{{color:#c5221f}}.skip{{color:#888}}pre{{background:#f6f6f6;padding:.5em;overflow-x:auto}}section{{border-top:1px solid #ddd;margin-top:1.5em}}</style></head><body><h1>{}</h1><p>{}</p><p class="skip">{}</p><h2>Topology</h2>{}"##,
        esc(lab),
        esc(lab),
        esc(title),
        esc(kernel),
        topology_svg(nodes, machines)
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
            s.push_str(&ladder_svg(r));
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
