//! Drawing one topology's parts: a node's box with its interfaces and
//! state lines, and a cable as a polyline naming its two ends.

use super::esc;
use super::topology::{
    iface_line1, iface_line1_rest, iface_line2, row_top, Drawn, Mark, IF_H, LINE_H, LINE_PX,
    PORT_IN,
};
use super::view::{is_tunnel, IfaceView, NodeView};
use std::fmt::Write;

pub(super) fn draw_cable(
    out: &mut String,
    class: &str,
    (nodes, drawn): (&[NodeView], &[Drawn]),
    (a, b): ((usize, usize), (usize, usize)),
    pts: &[(f64, f64)],
) {
    let name = |(i, j): (usize, usize)| format!("{}:{}", nodes[i].name, drawn[i].ifaces[j].0.name);
    let points: Vec<String> = pts.iter().map(|(x, y)| format!("{x},{y}")).collect();
    let (stroke, extra, what) = match class {
        "veth" => ("#2a6fdb", r#" stroke-width="2.5""#, "veth pair"),
        "tunnel" => (
            "#1e8e3e",
            r#" stroke-width="2" stroke-dasharray="8,5""#,
            "tunnel",
        ),
        _ => (
            "#1e8e3e",
            r#" stroke-width="1.5" stroke-dasharray="2,3""#,
            "tunnel underlay",
        ),
    };
    let _ = write!(
        out,
        r##"<polyline class="cable {class}" data-link="{} {}" points="{}" fill="none" stroke="{stroke}"{extra}><title>{what} {} — {}</title></polyline>"##,
        esc(&name(a)),
        esc(&name(b)),
        points.join(" "),
        esc(&name(a)),
        esc(&name(b)),
    );
}

/// A node's box, its interfaces, then its state lines.
pub(super) fn draw_node(body: &mut String, name: &str, d: &Drawn, (x, y): (f64, f64)) {
    let stroke = if d.mark == Mark::Added {
        "#1e8e3e"
    } else {
        "#5b6b8c"
    };
    let _ = write!(
        body,
        r##"<g class="node{}" data-node="{}"><rect x="{x}" y="{y}" width="{}" height="{}" rx="8" fill="#f4f6fb" stroke="{stroke}"/><text x="{}" y="{}" font-size="13" font-weight="bold">{}</text></g>"##,
        d.mark.class(),
        esc(name),
        d.size.w,
        d.size.h,
        x + 10.0,
        y + 22.0,
        esc(name)
    );
    for (j, (f, depth, mark)) in d.ifaces.iter().enumerate() {
        let ix = x + 8.0 + PORT_IN * *depth as f64;
        let iw = d.size.w - 16.0 - PORT_IN * *depth as f64;
        // A bridge is a box holding its ports.
        let ports = d.ifaces[j + 1..]
            .iter()
            .take_while(|(_, dd, _)| *dd > *depth)
            .count();
        let ih = IF_H - 6.0 + IF_H * ports as f64 + if ports > 0 { 4.0 } else { 0.0 };
        draw_iface(body, name, f, *mark, (ix, y + row_top(j), iw, ih));
    }
    let mut ly = y + row_top(d.ifaces.len()) + 4.0;
    let mut section = "";
    for (s, l, m) in &d.lines {
        if *s != section {
            section = s;
            ly += 18.0;
            let _ = write!(
                body,
                r##"<text class="section" x="{}" y="{}" font-size="11" font-weight="bold" fill="#5b6b8c">{s}</text>"##,
                x + 10.0,
                ly - 4.0
            );
        }
        ly += LINE_H;
        state_line(body, (x + 14.0, ly - 3.0), s, l, *m);
    }
    for g in &d.gone {
        ly += LINE_H;
        let _ = write!(
            body,
            r##"<text class="gone" x="{}" y="{}" font-size="{LINE_PX}" fill="#c5221f">gone: {}</text>"##,
            x + 14.0,
            ly - 3.0,
            esc(g)
        );
    }
}

fn state_line(body: &mut String, (x, y): (f64, f64), section: &str, l: &str, m: Mark) {
    let (sign, fill, deco) = match m {
        Mark::Added => ("+ ", "#1e8e3e", ""),
        Mark::Changed => ("~ ", "#e37400", ""),
        Mark::Removed => ("− ", "#999", r#" text-decoration="line-through""#),
        _ => ("", "#333", ""),
    };
    let class = match section {
        "routes" => "route",
        "neighbours" => "neigh",
        _ => "sysctl",
    };
    let _ = write!(
        body,
        r##"<text class="{class}{}" x="{x}" y="{y}" font-size="{LINE_PX}" fill="{fill}"{deco}>{sign}{}</text>"##,
        m.class(),
        esc(l)
    );
}

/// One interface's box: its `ip link` line, addresses and MAC, what it is
/// attached to in the tooltip and in data attributes.
fn draw_iface(
    body: &mut String,
    node: &str,
    f: &IfaceView,
    mark: Mark,
    (ix, iy, iw, ih): (f64, f64, f64, f64),
) {
    let fill = match f.kind.as_str() {
        "bridge" => "#fff3d6",
        k if is_tunnel(k) => "#e6f4ea",
        _ => "#ffffff",
    };
    let mut attrs = format!(r#" data-if="{}""#, esc(&format!("{node}:{}", f.name)));
    let mut title = vec![];
    if let Some(m) = &f.master {
        // Bridge membership, named as a cable's two ends are.
        let _ = write!(
            attrs,
            r#" data-link="{} {}""#,
            esc(&format!("{node}:{}", f.name)),
            esc(&format!("{node}:{m}"))
        );
        title.push(format!("port of {m}"));
    }
    if let Some((pn, pi)) = &f.peer {
        let _ = write!(attrs, r#" data-peer="{}""#, esc(&format!("{pn}:{pi}")));
        title.push(format!("veth peer {pn}:{pi}"));
    }
    if let Some(l) = &f.lower {
        title.push(format!("underlay {l}"));
    }
    title.push(match mark {
        Mark::Added => "new in this step".into(),
        Mark::Changed => "changed in this step".into(),
        _ => f.kind.clone(),
    });
    let (stroke, sw) = match (mark, f.kind.as_str()) {
        (Mark::Added, _) => ("#1e8e3e", "2.5"),
        (Mark::Changed, _) => ("#e37400", "2.5"),
        (_, "bridge") => ("#d08a00", "1"),
        _ => ("#8899bb", "1"),
    };
    let class = if f.master.is_some() {
        "iface port"
    } else {
        "iface"
    };
    let _ = write!(
        body,
        r##"<g class="{class}{}"{attrs}><title>{}</title><rect x="{ix}" y="{iy}" width="{iw}" height="{ih}" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/><text x="{}" y="{}" font-size="12"><tspan font-weight="bold">{}</tspan><tspan fill="#666">{}</tspan></text><text x="{}" y="{}" font-size="10" fill="#444">{}</text></g>"##,
        mark.class(),
        esc(&title.join("; ")),
        ix + 6.0,
        iy + 16.0,
        esc(&iface_line1(f)),
        esc(&iface_line1_rest(f)),
        ix + 6.0,
        iy + 32.0,
        esc(&iface_line2(f)),
    );
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
        item(r##"<line x1="2" y1="8" x2="42" y2="8" stroke="#1e8e3e" stroke-width="1.5" stroke-dasharray="2,3"/>"##, "a tunnel device to its underlay device"),
        item(r##"<rect x="2" y="2" width="40" height="12" rx="3" fill="#fff" stroke="#1e8e3e" stroke-width="2.5"/>"##, "new in this step (+ a new route, neighbour or sysctl)"),
        item(r##"<rect x="2" y="2" width="40" height="12" rx="3" fill="#fff" stroke="#e37400" stroke-width="2.5"/>"##, "changed in this step (address, master, peer, MTU, MAC); − gone since the step before"),
        item(r##"<line x1="2" y1="8" x2="36" y2="8" stroke="#2a6fdb" stroke-width="1.5"/><path d="M34,4 L42,8 L34,12 z" fill="#2a6fdb"/>"##, "ladder: the same packet seen at the next capture point (blue request, green reply, red error)"),
        item(r##"<line x1="2" y1="8" x2="34" y2="8" stroke="#1e8e3e" stroke-width="2" stroke-dasharray="3,3"/><circle cx="38" cy="8" r="4" fill="none" stroke="#1e8e3e" stroke-width="1.5"/>"##, "ladder: a frame on the tunnel device and the outer frame that carries it (ring)"),
    ]
    .concat()
        + r##"<li><code>3: eth0@if7</code>: ifindex 3 in its own namespace; its veth peer is ifindex 7, counted in the peer's namespace</li>"##
}
