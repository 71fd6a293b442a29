//! The HTML page: the topology read through a fake State, and SVG that is
//! well-formed with every label escaped.

use crate::capture::frame::Frame;
use crate::check::fake::{addr, link, Fake};
use crate::model::{Neigh, Route};
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
    f.node("host").links[5].underlay = Some(3);
    f.node("pod").addrs.push(addr(2, "10.244.1.2", 24));
    f.node("other")
        .links
        .push(link(3, "flannel.1", Some("vxlan")));
    f.node("host").addrs.push(addr(7, "10.244.5.0", 32));
    f.node("other").addrs.push(addr(3, "10.244.2.0", 32));
    f
}

/// The state a calico step asserts: a blackhole, the fixed neighbour, proxy ARP.
fn calico_state(f: &mut Fake) {
    let h = f.node("host");
    h.routes.push(Route {
        kind: Some(rtnetlink::packet_route::route::RouteType::BlackHole),
        dst: Some(("10.244.38.128".parse().unwrap(), 26)),
        ..Default::default()
    });
    for (ip, state) in [("169.254.1.1", "REACHABLE"), ("224.0.0.22", "NOARP")] {
        h.neighs.push(Neigh {
            index: 3,
            ip: ip.parse().unwrap(),
            lladdr: Some([0xee; 6]),
            state: state.into(),
        });
    }
    h.sysctls
        .insert("net.ipv4.conf.veth0.proxy_arp".into(), "1".into());
}

fn keys(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn nodes(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn view_reads_peers_masters_and_addresses() {
    let v = view(&fake(), &nodes(&["host", "pod"]), &[]).unwrap();
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
    assert_eq!(
        v[0].ifaces[4].lower.as_deref(),
        Some("veth0"),
        "underlay by name"
    );
    view(&fake(), &nodes(&["nowhere"]), &[]).unwrap_err();
}

#[test]
fn view_reads_routes_neighbours_and_the_labs_sysctls() {
    let mut f = fake();
    calico_state(&mut f);
    let k = keys(&[
        ("host", "net.ipv4.conf.veth0.proxy_arp"),
        ("host", "net.ipv4.conf.gone.proxy_arp"),
        ("pod", "net.ipv4.conf.veth0.proxy_arp"),
    ]);
    let v = view(&f, &nodes(&["host", "pod"]), &k).unwrap();
    assert_eq!(v[0].routes, ["blackhole 10.244.38.128/26"]);
    assert_eq!(
        v[0].neigh,
        ["169.254.1.1 dev veth0 lladdr ee:ee:ee:ee:ee:ee REACHABLE"],
        "NOARP entries left out"
    );
    assert_eq!(
        v[0].sysctls,
        ["net.ipv4.conf.veth0.proxy_arp = 1"],
        "a key of a device not there is not shown"
    );
    assert!(v[1].sysctls.is_empty(), "keys are per node");
    let s = topology_svg(&v, None, 2, "st");
    for want in [
        "blackhole 10.244.38.128/26",
        "169.254.1.1 dev veth0 lladdr ee:ee:ee:ee:ee:ee",
        "proxy_arp = 1",
    ] {
        assert_eq!(s.matches(want).count(), 1, "{want} once in\n{s}");
    }
}

#[test]
fn view_leaves_out_unused_fallback_devices() {
    let mut f = fake();
    f.fallback = vec!["tunl0".into(), "gre0".into()];
    let mut down = link(9, "tunl0", Some("ipip"));
    down.flags = 0;
    f.node("pod").links.push(down.clone());
    down.name = "gre0".into();
    down.index = 10;
    f.node("pod").links.push(down);
    f.node("pod").addrs.push(addr(10, "10.0.0.1", 32));
    f.node("host").links.push(link(9, "tunl0", Some("ipip")));
    let v = view(&f, &nodes(&["host", "pod"]), &[]).unwrap();
    let names = |i: usize| {
        v[i].ifaces
            .iter()
            .map(|x| x.name.clone())
            .collect::<Vec<_>>()
    };
    assert!(names(0).contains(&"tunl0".to_string()), "up: drawn");
    assert_eq!(
        names(1),
        ["eth0", "gre0"],
        "down and bare: left out; addressed: drawn"
    );
}

#[test]
fn view_of_a_peer_in_an_unknown_namespace_has_none() {
    let mut f = fake();
    f.node("host").nsids.clear();
    let v = view(&f, &nodes(&["host"]), &[]).unwrap();
    assert_eq!(v[0].ifaces[0].peer, None);
}

#[test]
fn topology_draws_each_pair_once_ports_and_tunnels() {
    let v = view(&fake(), &nodes(&["host", "pod", "other"]), &[]).unwrap();
    let s = topology_svg(&v, None, 2, "st");
    well_formed(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    assert_eq!(
        s.matches(r#"class="cable veth""#).count(),
        2,
        "veth0-eth0 and a-b, once each"
    );
    assert!(
        s.contains(r#"class="cable veth" data-link="host:veth0 pod:eth0""#),
        "{s}"
    );
    assert!(
        s.contains(r#"class="cable veth" data-link="host:a host:b""#),
        "{s}"
    );
    // veth0 is br0's port: drawn inside br0, named as a member.
    assert_eq!(s.matches(r#"<g class="iface port""#).count(), 1);
    assert!(
        s.contains(r#"data-if="host:veth0" data-link="host:veth0 host:br0""#),
        "{s}"
    );
    assert!(
        s.contains(r#"class="cable tunnel" data-link="host:flannel.1 other:flannel.1""#),
        "the tunnel ends at both tunnel devices: {s}"
    );
    assert!(
        s.contains(r#"class="cable underlay" data-link="host:flannel.1 host:veth0""#),
        "{s}"
    );
    assert_eq!(s.matches(r#"<g class="node""#).count(), 3);
    assert_eq!(s.matches(r#"<g class="iface""#).count(), 4 + 1 + 1);
    // Named as `ip link` names them.
    assert!(s.contains(">3: veth0@if2</tspan>"), "{s}");
}

#[test]
fn topology_marks_what_changed_since_the_step_before() {
    let before = view(&fake(), &nodes(&["host", "pod"]), &[]).unwrap();
    let mut f = fake();
    f.node("pod").addrs.clear();
    f.node("host")
        .links
        .retain(|l| l.name != "a" && l.name != "b");
    calico_state(&mut f);
    let after = view(&f, &nodes(&["host", "pod", "other"]), &[]).unwrap();
    let s = topology_svg(&after, Some(&before), 2, "st");
    well_formed(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    assert!(
        s.contains(r#"<g class="node added" data-node="other">"#),
        "{s}"
    );
    assert!(
        s.contains(r#"<g class="iface changed" data-if="pod:eth0""#),
        "address gone: {s}"
    );
    assert!(
        s.contains(r#"<g class="iface" data-if="host:br0""#),
        "br0 unchanged: {s}"
    );
    assert!(
        s.contains(">gone: a</text>") && s.contains(">gone: b</text>"),
        "{s}"
    );
    assert!(
        s.contains(r#"class="route added""#) && s.contains(">+ blackhole 10.244.38.128/26<"),
        "{s}"
    );
    // The first step has nothing to compare with: nothing marked.
    let first = topology_svg(&after, None, 2, "st");
    assert!(
        !first.contains(" added") && !first.contains(" changed"),
        "{first}"
    );
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
            lower: None,
        }],
        routes: vec!["<r>".into()],
        ..Default::default()
    }]
}

#[test]
fn topology_escapes_every_label() {
    let s = topology_svg(&hostile(), None, 1, "<st>");
    well_formed(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    assert!(
        !s.contains("<script>")
            && !s.contains("<b>")
            && !s.contains("<x>")
            && !s.contains("<r>")
            && !s.contains("<st>"),
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
        &[hostile(), vec![]],
        1,
        &[r, s],
        Some("../out put"),
        "6.1 <k>",
    );
    well_formed(p.trim_start_matches("<!DOCTYPE html>")).unwrap_or_else(|e| panic!("{e}\n{p}"));
    for raw in ["<1>", "<b>", "<i>", "<k>", "detail <pre>", "st<ep", "w<"] {
        assert!(!p.contains(raw), "{raw} unescaped");
    }
    assert!(
        p.contains(r#"<a href="../out%20put/bridge-arp/st%3Cep/host-veth0.pcapng">host:veth0</a>"#),
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
    assert_eq!(
        p.matches(r#"<svg class="topology""#).count(),
        1,
        "one per step read"
    );
    assert!(
        p.contains("the lab's state was not read after this step"),
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

#[test]
fn links_are_relative_to_the_page_and_encoded() {
    use crate::report::html::{href, index_page, relative};
    use std::path::Path;
    let r = |a: &str, b: &str| relative(Path::new(a), Path::new(b));
    assert_eq!(r("/w/report", "/w/report/pcaps"), "pcaps", "--html alone");
    assert_eq!(r("/w/report/", "/w/./report/pcaps/"), "pcaps");
    assert_eq!(r("/w/html", "/w/caps"), "../caps", "--pcap-dir beside it");
    assert_eq!(
        r("/w/a/b/../html", "/tmp/p"),
        "../../../tmp/p",
        "`..` taken back"
    );
    assert_eq!(r("/w/x", "/w/x"), ".");
    assert_eq!(
        href(".", &["lab", "st ep", "n-eth0#1?.pcapng"]),
        "lab/st%20ep/n-eth0%231%3F.pcapng"
    );
    assert_eq!(href("../c%aps", &["x"]), "../c%25aps/x");
    let reps = [rep("s", Status::Fail, &[], vec![])];
    let i = index_page(&[("la<b", "T", &reps)], "k");
    well_formed(i.trim_start_matches("<!DOCTYPE html>")).unwrap_or_else(|e| panic!("{e}\n{i}"));
    assert!(
        i.contains(
            r#"<tr class="fail"><td><a href="la%3Cb.html">la&lt;b</a></td><td>0</td><td>1</td>"#
        ),
        "{i}"
    );
}
