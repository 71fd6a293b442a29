//! The HTML page: the topology read through a fake State, and SVG that is
//! well-formed with every label escaped.

use crate::capture::frame::Frame;
use crate::check::fake::{addr, link, Fake};
use crate::report::html::{
    esc, lab_page, ladder_svg, ladder_table, topology_svg, view, IfaceView, NodeView,
};
use crate::report::junit_tests::well_formed;
use crate::report::tests::{check, rep};
use crate::report::{CaptureReport, Shown, Status};

fn fake() -> Fake {
    let mut f = Fake::new()
        .veth(("host", "veth0", 3), ("pod", "eth0", 2))
        .veth(("host", "a", 5), ("host", "b", 6))
        .with_link("host", link(4, "br0", Some("bridge")))
        .with_link("host", link(7, "flannel.1", Some("vxlan")));
    f.node("host").links[1].master = Some(4);
    f.node("pod").addrs.push(addr(2, "10.244.1.2", 24));
    f.node("other")
        .links
        .push(link(3, "flannel.1", Some("vxlan")));
    f
}

fn nodes(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn view_reads_peers_masters_and_addresses() {
    let v = view(&fake(), &nodes(&["host", "pod"])).unwrap();
    assert_eq!(v[0].name, "host");
    let names: Vec<&str> = v[0].ifaces.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["veth0", "a", "b", "br0", "flannel.1"],
        "lo left out"
    );
    let veth0 = &v[0].ifaces[0];
    assert_eq!(veth0.peer, Some(("pod".into(), "eth0".into())));
    assert_eq!(veth0.master.as_deref(), Some("br0"));
    assert_eq!(v[0].ifaces[1].peer, Some(("host".into(), "b".into())));
    assert_eq!(v[0].ifaces[3].peer, None, "a bridge has no peer");
    assert_eq!(v[1].ifaces[0].addrs, vec!["10.244.1.2/24"]);
    assert_eq!(v[1].ifaces[0].mac, "02:00:00:00:00:02");
    view(&fake(), &nodes(&["nowhere"])).unwrap_err();
}

#[test]
fn view_of_a_peer_in_an_unknown_namespace_has_none() {
    let mut f = fake();
    f.node("host").nsids.clear();
    let v = view(&f, &nodes(&["host"])).unwrap();
    assert_eq!(v[0].ifaces[0].peer, None);
}

#[test]
fn topology_draws_each_pair_once_ports_and_tunnels() {
    let v = view(&fake(), &nodes(&["host", "pod", "other"])).unwrap();
    let s = topology_svg(&v, 2);
    well_formed(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    assert_eq!(
        s.matches(r#"class="veth""#).count(),
        2,
        "veth0-eth0 and a-b, once each"
    );
    // veth0 is br0's port: drawn inside br0, no line to it.
    assert_eq!(s.matches(r#"<g class="iface port">"#).count(), 1);
    assert_eq!(
        s.matches(r#"class="tunnel""#).count(),
        1,
        "flannel.1 in host and other"
    );
    assert_eq!(s.matches(r#"<g class="node">"#).count(), 3);
    assert_eq!(s.matches(r#"<g class="iface">"#).count(), 4 + 1 + 1);
    // Named as `ip link` names them.
    assert!(s.contains(">3: veth0@if2</tspan>"), "{s}");
}

fn hostile() -> Vec<NodeView> {
    vec![NodeView {
        name: "<script>alert(1)</script>".into(),
        ifaces: vec![IfaceView {
            index: 1,
            at: "@if<9>".into(),
            name: "e&\"0".into(),
            kind: "<b>".into(),
            mac: "'\u{1b}".into(),
            mtu: 1500,
            master: Some("m<".into()),
            addrs: vec!["1.2.3.4/8 <x>".into()],
            peer: None,
        }],
    }]
}

#[test]
fn topology_escapes_every_label() {
    let s = topology_svg(&hostile(), 1);
    well_formed(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    assert!(
        !s.contains("<script>") && !s.contains("<b>") && !s.contains("<x>"),
        "{s}"
    );
    assert!(s.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{s}");
    assert!(s.contains("e&amp;&quot;0"), "{s}");
    assert!(!s.contains('\u{1b}'));
}

fn frame(ts: i64, body: &[u8]) -> Frame {
    let mut data = vec![0u8; 14];
    data.extend_from_slice(body);
    Frame {
        ts_us: ts,
        len: data.len() as u32,
        data,
    }
}

/// A capture of frames, each with the line it prints.
fn cap(at: &str, frames: Vec<(Frame, &str)>) -> CaptureReport {
    CaptureReport {
        at: at.into(),
        linktype: 1,
        frames: frames
            .into_iter()
            .map(|(frame, l)| Shown {
                frame,
                lines: vec![l.to_string()],
            })
            .collect(),
    }
}

#[test]
fn ladder_joins_one_packet_seen_at_two_points() {
    let mut r = rep("s", Status::Pass, &[], vec![]);
    r.captures = vec![
        cap(
            "host:veth0",
            vec![
                (frame(1_000, b"req"), "ARP, Request a"),
                (frame(500_000, b"again"), "IP x"),
            ],
        ),
        cap(
            "pod:eth0",
            vec![
                (frame(3_000, b"req"), "ARP, Request a"),
                (frame(900_000, b"again"), "IP x"),
            ],
        ),
    ];
    let s = ladder_svg(&r);
    well_formed(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    // The request 2 ms apart is one packet travelling; the second pair is 400 ms apart.
    assert_eq!(s.matches("marker-end").count(), 1, "{s}");
    assert_eq!(s.matches("<circle").count(), 4);
    assert!(s.contains("    0.000 ms  ARP, Request a"), "{s}");
    assert!(s.contains("  899.000 ms  IP x"), "{s}");
}

#[test]
fn ladder_without_frames_says_so_and_truncates_long_lines() {
    let mut r = rep("s", Status::Pass, &[], vec![]);
    r.captures = vec![cap("host:veth0", vec![])];
    assert!(ladder_svg(&r).contains("no frame captured"));
    let long = format!("<{}>", "y".repeat(120));
    r.captures = vec![cap("h:<e>", vec![(frame(0, b"z"), long.as_str())])];
    let s = ladder_svg(&r);
    well_formed(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    // Cut in the picture, whole in its tooltip and in the table.
    assert!(
        s.contains(&format!("&lt;{}…</tspan>", "y".repeat(98))),
        "{s}"
    );
    assert!(
        s.contains(&format!("&lt;{}&gt;</title>", "y".repeat(120))),
        "{s}"
    );
    let t = ladder_table(&r);
    assert!(t.contains(&format!("&lt;{}&gt;", "y".repeat(120))), "{t}");
    assert!(s.contains("h:&lt;e&gt;"), "{s}");
}

#[test]
fn the_page_escapes_and_links_pcaps() {
    let mut r = rep(
        "st<ep",
        Status::Fail,
        &["O&1"],
        vec![check(Some("O&1"), "w<", false, "detail <pre>")],
    );
    r.error = Some("err <b>".into());
    r.captures = vec![cap("host:veth0", vec![(frame(0, b"x"), "ARP")])];
    let s = rep("sk", Status::Skip("why <i>".into()), &[], vec![]);
    let p = lab_page(
        "lab<1>",
        "title & co",
        &hostile(),
        1,
        &[r, s],
        Some("pcaps"),
        "6.1 <k>",
    );
    well_formed(p.trim_start_matches("<!DOCTYPE html>")).unwrap_or_else(|e| panic!("{e}\n{p}"));
    for raw in ["<1>", "<b>", "<i>", "<k>", "detail <pre>", "st<ep", "w<"] {
        assert!(!p.contains(raw), "{raw} unescaped");
    }
    assert!(
        p.contains(r#"<a href="pcaps/bridge-arp/st&lt;ep/host-veth0.pcapng">host:veth0</a>"#),
        "{p}"
    );
    assert!(
        p.contains(r#"<section><h2 class="fail">FAIL st&lt;ep"#),
        "{p}"
    );
    assert!(
        p.contains(r#"<li class="skip">skipped: why &lt;i&gt;</li>"#),
        "{p}"
    );
}

#[test]
fn esc_covers_markup_quotes_and_control_characters() {
    assert_eq!(
        esc("<a href=\"x\">&</a>"),
        "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    );
    assert_eq!(esc("a\u{1b}b\nc"), "a\\u{1b}b\nc");
}
