//! `vethlab run --html DIR`: one self-contained HTML file per lab and an
//! index of them. Per step: its checks, an SVG topology (namespaces,
//! interfaces with names, addresses and MACs, veth pairs, bridge ports,
//! tunnels, routes, neighbours, sysctls) read from the kernel at the end of
//! that step and marked against the step before, and an SVG ladder of the
//! captured packets in time order across the capture points, failures
//! marked, pcaps linked relative to the page.

mod draw;
mod ladder;
mod layout;
mod links;
mod topology;
mod view;

#[cfg(test)]
mod geometry_tests;

pub use draw::legend;
pub use ladder::{ladder_svg, ladder_table};
pub use links::{href, index_page, relative};
pub use topology::topology_svg;
pub use view::{is_tunnel, sysctl_keys, view, IfaceView, NodeView};

use crate::report::{Outcome, Status, StepReport};
use std::fmt::Write;

/// `s` escaped for HTML and SVG text and attributes (control characters
/// made visible).
pub fn esc(s: &str) -> String {
    // Control characters are not text in HTML (nor allowed in SVG's XML).
    crate::report::out::esc_text(s, true)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVGs' font: a monospace face, so a text's width is known here.
pub(super) const FONT: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
/// Advance of one monospace character per pixel of font size, with room to
/// spare (DejaVu Sans Mono: 0.602; Menlo, Consolas: 0.60, 0.55).
const EM: f64 = 0.64;

/// The width `s` takes at `size` px in `FONT`.
pub(super) fn text_w(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * EM
}

pub(super) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

/// One page for a lab: the legend, then each step with its checks, the
/// topology after it (`views[i]`, empty when not read) and its ladder.
/// `pcap_rel`: the pcap directory relative to the page's directory.
pub fn lab_page(
    lab: &str,
    title: &str,
    views: &[Vec<NodeView>],
    machines: usize,
    steps: &[StepReport],
    pcap_rel: Option<&str>,
    kernel: &str,
) -> String {
    let mut s = format!(
        r##"<!DOCTYPE html><html><head><meta charset="utf-8"><title>vethlab: {}</title><style>body{{font-family:sans-serif;margin:2em;color:#222}}.pass{{color:#1e8e3e}}.fail{{color:#c5221f}}.skip{{color:#888}}pre{{background:#f6f6f6;padding:.5em;overflow-x:auto}}section{{border-top:1px solid #ddd;margin-top:1.5em}}.pics{{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}}.pic{{overflow-x:auto;max-width:100%}}.legend{{list-style:none;padding:0;font-size:90%}}.legend svg{{vertical-align:middle}}.frames table{{border-collapse:collapse;font-size:85%}}.frames td,.frames th{{border-bottom:1px solid #eee;padding:2px 6px;text-align:left;vertical-align:top}}</style></head><body><p><a href="index.html">all labs</a></p><h1>{}</h1><p>{}</p><p class="skip">{}</p><ul class="legend">{}</ul>"##,
        esc(lab),
        esc(lab),
        esc(title),
        esc(kernel),
        legend()
    );
    let mut prev: Option<&[NodeView]> = None;
    for (i, r) in steps.iter().enumerate() {
        let v = views.get(i).filter(|v| !v.is_empty());
        let pic = match v {
            Some(v) => topology_svg(v, prev, machines, &r.step),
            None => String::new(),
        };
        s.push_str(&step_section(r, &pic, pcap_rel));
        if let Some(v) = v {
            prev = Some(v);
        }
    }
    s.push_str("</body></html>\n");
    s
}

/// One step's section: its verdict, checks (failures with their account),
/// ladder, the frames in full, and its pcaps.
fn step_section(r: &StepReport, topology: &str, pcap_rel: Option<&str>) -> String {
    let mut s = String::new();
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
    s.push_str("</ul><div class=\"pics\">");
    if topology.is_empty() {
        s.push_str(
            r#"<p class="skip">no topology: the lab's state was not read after this step</p>"#,
        );
    } else {
        let _ = write!(
            s,
            r#"<div class="pic"><h3>after this step</h3>{topology}</div>"#
        );
    }
    if !r.captures.is_empty() {
        let _ = write!(
            s,
            r#"<div class="pic"><h3>packets</h3>{}</div>"#,
            ladder_svg(r)
        );
    }
    s.push_str("</div>");
    if !r.captures.is_empty() {
        s.push_str(&ladder_table(r));
        if let Some(rel) = pcap_rel {
            s.push_str("<p>pcaps: ");
            for c in &r.captures {
                let file = format!("{}.pcapng", c.at.replace(':', "-"));
                let f = href(rel, &[&r.lab, &r.step, &file]);
                let _ = write!(s, r##"<a href="{}">{}</a> "##, esc(&f), esc(&c.at));
            }
            s.push_str("</p>");
        }
    }
    s.push_str("</section>");
    s
}

#[cfg(test)]
mod tests;
