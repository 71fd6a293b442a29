//! A step's packet ladder: a label per captured frame in time order and a
//! column per capture point; the same packet joined across points, a
//! tunnel's inner frame joined to the outer frame carrying it.

use super::{esc, text_w, truncate, FONT};
use crate::report::StepReport;
use std::collections::BTreeMap;
use std::fmt::Write;

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
pub(super) fn encapsulated(linktype: i32, d: &[u8]) -> Option<&[u8]> {
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

/// Font size and line height of the ladder's labels.
const FS: f64 = 11.0;
const LINE_H: f64 = 15.0;
const HEAD_H: f64 = 40.0;

/// A ladder's rows, how they relate, and where everything goes.
struct Ladder<'a> {
    cols: Vec<&'a str>,
    ev: Vec<Row<'a>>,
    rel: Vec<Links>,
    /// Each row's label lines, as drawn.
    labels: Vec<Vec<String>>,
    labels_w: f64,
    col_w: f64,
    /// Baseline of each row's first label line.
    ys: Vec<f64>,
    /// The picture's height.
    h: f64,
}

impl<'a> Ladder<'a> {
    fn new(r: &'a StepReport) -> Ladder<'a> {
        let cols: Vec<&str> = r.captures.iter().map(|c| c.at.as_str()).collect();
        let ev = rows(r);
        let rel = links(&ev);
        let t0 = ev.first().map_or(0, |e| e.ts);
        let labels: Vec<Vec<String>> = ev
            .iter()
            .enumerate()
            .map(|(k, e)| label(k, e, t0))
            .collect();
        let labels_w = labels
            .iter()
            .flatten()
            .map(|l| text_w(l, FS))
            .fold(text_w("no frame captured", FS), f64::max)
            .ceil();
        let col_w = cols
            .iter()
            .map(|c| text_w(c, FS) + 24.0)
            .fold(120.0, f64::max)
            .ceil();
        let mut ys = vec![];
        let mut y = HEAD_H;
        for e in &ev {
            ys.push(y + FS);
            y += LINE_H * e.lines.len().max(1) as f64 + 5.0;
        }
        let h = y.max(HEAD_H + 20.0) + 10.0;
        Ladder {
            cols,
            ev,
            rel,
            labels,
            labels_w,
            col_w,
            ys,
            h,
        }
    }

    /// Where the capture-point columns start.
    fn x_cols(&self) -> f64 {
        20.0 + self.labels_w + 30.0
    }

    /// The middle of column `c`.
    fn cx(&self, c: usize) -> f64 {
        self.x_cols() + self.col_w * c as f64 + self.col_w / 2.0
    }

    /// Where row `k`'s dot sits.
    fn dot_y(&self, k: usize) -> f64 {
        self.ys[k] - FS / 3.0
    }

    /// Row `k`'s arrows: from the same packet at the point before, and to
    /// the inner frame it carries.
    fn arrows(&self, k: usize, out: &mut String) {
        let e = &self.ev[k];
        let (color, y) = (colour(e.lines), self.dot_y(k));
        let cx = |c| self.cx(c);
        if let Some(p) = self.rel[k].from {
            let _ = write!(
                out,
                r##"<line class="hop" x1="{}" y1="{}" x2="{}" y2="{y}" stroke="{color}" stroke-width="1.5" marker-end="url(#a)"/>"##,
                cx(self.ev[p].col),
                self.dot_y(p),
                cx(e.col)
                    + if cx(e.col) > cx(self.ev[p].col) {
                        -4.0
                    } else {
                        4.0
                    }
            );
        }
        if let Some(j) = self.rel[k].carries {
            let _ = write!(
                out,
                r##"<line class="encap" x1="{}" y1="{y}" x2="{}" y2="{}" stroke="#1e8e3e" stroke-width="2" stroke-dasharray="3,3"><title>#{} carries #{}</title></line>"##,
                cx(e.col),
                cx(self.ev[j].col),
                self.dot_y(j),
                k + 1,
                j + 1
            );
        }
    }

    /// Row `k`'s label on the left, its guide line and its dot (ringed when
    /// it carries another frame).
    fn mark(&self, k: usize, out: &mut String) {
        let e = &self.ev[k];
        let (color, y, cx) = (colour(e.lines), self.dot_y(k), self.cx(e.col));
        let ring = if self.rel[k].carries.is_some() {
            format!(
                r##"<circle cx="{cx}" cy="{y}" r="6" fill="none" stroke="#1e8e3e" stroke-width="1.5"/>"##
            )
        } else {
            String::new()
        };
        let mut text = String::new();
        for (i, l) in self.labels[k].iter().enumerate() {
            let _ = write!(
                text,
                r##"<tspan x="20" y="{}">{}</tspan>"##,
                self.ys[k] + LINE_H * i as f64,
                esc(l)
            );
        }
        let _ = write!(
            out,
            r##"<line x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e4e6ec" stroke-dasharray="1,3"/>{ring}<circle cx="{cx}" cy="{y}" r="3.5" fill="{color}"/><text class="label" fill="{color}" xml:space="preserve" style="white-space:pre"><title>{} {}</title>{text}</text>"##,
            20.0 + self.labels_w + 8.0,
            cx - 7.0,
            esc(self.cols[e.col]),
            esc(&e.lines.join("\n")),
        );
    }
}

/// A row's label lines: number, time since the first frame, the frame's
/// lines (an encapsulated frame's inner line marked ↳).
fn label(k: usize, e: &Row, t0: i64) -> Vec<String> {
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
}

/// A ladder: on the left one label per captured frame in time order, on the
/// right a column per capture point with a dot per frame; arrows join the
/// same packet seen at several points, a dashed line joins a frame on a
/// tunnel device to the outer frame carrying it. Arrows live only in the
/// columns, labels only on the left: no arrow crosses a label.
pub fn ladder_svg(r: &StepReport) -> String {
    let l = Ladder::new(r);
    let w = l.x_cols() + l.col_w * l.cols.len().max(1) as f64 + 10.0;
    let h = l.h;
    let mut s = format!(
        r##"<svg class="ladder" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" font-size="{FS}">"##
    );
    for (i, c) in l.cols.iter().enumerate() {
        let x = l.cx(i);
        let _ = write!(
            s,
            r##"<text x="{x}" y="18" text-anchor="middle" font-weight="bold">{}</text><line x1="{x}" y1="26" x2="{x}" y2="{h}" stroke="#99a"/>"##,
            esc(c),
        );
    }
    if l.ev.is_empty() {
        let _ = write!(
            s,
            r##"<text x="20" y="{}" fill="#888">no frame captured</text>"##,
            HEAD_H + FS
        );
    }
    let (mut arrows, mut marks) = (String::new(), String::new());
    for k in 0..l.ev.len() {
        l.arrows(k, &mut arrows);
        l.mark(k, &mut marks);
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
