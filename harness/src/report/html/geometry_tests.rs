//! Cables true by construction: on topologies of every shape (machines in
//! rows, pods under them, cables between near and far columns, within one
//! node, from bridge ports), no cable segment passes through a box that
//! does not hold one of its two ends, and no two boxes of different nodes
//! overlap.

use super::{topology_svg, IfaceView, NodeView};

type Rect = (f64, f64, f64, f64);

fn attr(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

fn num(tag: &str, name: &str) -> f64 {
    attr(tag, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Each `<g>`'s data-if or data-node, with its rect.
fn boxes(svg: &str) -> Vec<(String, Rect)> {
    let mut out = vec![];
    for g in svg.split("<g ").skip(1) {
        let name = attr(g, "data-if").or_else(|| attr(g, "data-node").map(|n| format!("{n}:")));
        let Some(r) = g.find("<rect ").map(|i| &g[i..]) else {
            continue;
        };
        let (x, y) = (num(r, "x"), num(r, "y"));
        out.push((
            name.unwrap_or_default(),
            (x, y, x + num(r, "width"), y + num(r, "height")),
        ));
    }
    out
}

fn cables(svg: &str) -> Vec<(String, Vec<(f64, f64)>)> {
    svg.split("<polyline ")
        .skip(1)
        .map(|p| {
            let pts = attr(p, "points")
                .unwrap_or_default()
                .split(' ')
                .filter_map(|xy| xy.split_once(','))
                .map(|(x, y)| (x.parse().unwrap_or(f64::NAN), y.parse().unwrap_or(f64::NAN)))
                .collect();
            (attr(p, "data-link").unwrap_or_default(), pts)
        })
        .collect()
}

fn inside(a: Rect, b: Rect) -> bool {
    a.0 >= b.0 && a.1 >= b.1 && a.2 <= b.2 && a.3 <= b.3
}

/// Does the axis-parallel segment a-b pass through the inside of r?
fn crosses((ax, ay): (f64, f64), (bx, by): (f64, f64), r: Rect) -> bool {
    let e = 0.5;
    let (x0, x1, y0, y1) = (ax.min(bx), ax.max(bx), ay.min(by), ay.max(by));
    x1 > r.0 + e && x0 < r.2 - e && y1 > r.1 + e && y0 < r.3 - e
}

/// Every rule, on one picture.
fn check(svg: &str) {
    let bs = boxes(svg);
    for (link, pts) in cables(svg) {
        assert!(pts.len() >= 2 && pts.iter().all(|(x, y)| x.is_finite() && y.is_finite()));
        let ends: Vec<Rect> = link
            .split(' ')
            .map(|e| {
                bs.iter()
                    .find(|(n, _)| n == e)
                    .unwrap_or_else(|| panic!("{e} not drawn"))
                    .1
            })
            .collect();
        assert_eq!(ends.len(), 2, "{link}");
        for (n, r) in &bs {
            if ends.iter().any(|e| inside(*e, *r)) {
                continue;
            }
            for w in pts.windows(2) {
                assert!(
                    !crosses(w[0], w[1], *r),
                    "cable {link} passes under {n} {r:?}\n{svg}"
                );
            }
        }
    }
    let nodes: Vec<&Rect> = bs
        .iter()
        .filter(|(n, _)| n.ends_with(':'))
        .map(|(_, r)| r)
        .collect();
    for (i, a) in nodes.iter().enumerate() {
        for b in &nodes[i + 1..] {
            assert!(
                !(a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3),
                "nodes overlap\n{svg}"
            );
        }
    }
}

fn iface(name: &str, peer: Option<(&str, &str)>, master: Option<&str>) -> IfaceView {
    IfaceView {
        index: 2,
        name: name.into(),
        at: String::new(),
        kind: if peer.is_some() { "veth" } else { "bridge" }.into(),
        mac: String::new(),
        mtu: 1500,
        master: master.map(str::to_string),
        addrs: vec![],
        peer: peer.map(|(n, i)| (n.to_string(), i.to_string())),
        lower: None,
    }
}

/// `machines` machines, each with a bridge, a cable to every other machine
/// (so far columns), a pair inside itself, and `pods` pods on its bridge.
fn mesh(machines: usize, pods: usize) -> Vec<NodeView> {
    let m = |i: usize| format!("m{i}");
    let mut nodes: Vec<NodeView> = (0..machines)
        .map(|i| NodeView {
            name: m(i),
            routes: vec!["x".repeat(10 + 7 * i)],
            ..Default::default()
        })
        .collect();
    for i in 0..machines {
        nodes[i].ifaces.push(iface("br0", None, None));
        for j in (0..machines).filter(|j| *j != i) {
            let (me, them) = (format!("to{j}"), format!("to{i}"));
            nodes[i].ifaces.push(iface(&me, Some((&m(j), &them)), None));
        }
        nodes[i].ifaces.push(iface("a", Some((&m(i), "b")), None));
        nodes[i].ifaces.push(iface("b", Some((&m(i), "a")), None));
        for p in 0..pods {
            let pod = format!("p{i}-{p}");
            nodes[i]
                .ifaces
                .push(iface(&format!("v{p}"), Some((&pod, "eth0")), Some("br0")));
            nodes.push(NodeView {
                name: pod,
                ifaces: vec![iface("eth0", Some((&m(i), &format!("v{p}"))), None)],
                ..Default::default()
            });
        }
    }
    nodes
}

#[test]
fn no_cable_passes_under_a_box_it_does_not_connect() {
    for (machines, pods) in [(1, 3), (2, 2), (3, 1), (4, 2), (5, 1), (6, 0)] {
        let v = mesh(machines, pods);
        let s = topology_svg(&v, None, machines, "s");
        check(&s);
        let pairs = machines * (machines - 1) / 2 + machines + machines * pods;
        assert_eq!(s.matches("<polyline ").count(), pairs, "{machines}x{pods}");
    }
}

#[test]
fn the_check_catches_a_cable_under_a_box() {
    let v = mesh(3, 1);
    let s = topology_svg(&v, None, 3, "s");
    // The m0-m2 cable pulled straight through m1's column.
    let at = s.find(" points=\"").unwrap() + 9;
    let end = at + s[at..].find('"').unwrap();
    let bad = format!("{}0,200 5000,200{}", &s[..at], &s[end..]);
    let r = std::panic::catch_unwind(|| check(&bad));
    assert!(
        r.is_err(),
        "a straight cable across the picture was not caught"
    );
}
