//! The ladder on real bytes: frames and their lines as one value, encapsulation linked.

use super::ladder::encapsulated;
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
            0, 1, 8, 0, 6, 4, 0, 1, 0xc2, 0x91, 0x0a, 0x98, 0x60, 0x7f, 192, 168, 0, 3, 0, 0, 0, 0,
            0, 0, 192, 168, 0, 4,
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

/// A picture shows IPv6 beside IPv4: the addresses the lab gave, a
/// link-local one only where the MAC shown does not derive it, `ip -6
/// route` but not the fe80::/64 every link has, and NDP entries.
#[test]
fn ipv6_addresses_routes_and_neighbours_are_drawn() {
    use crate::check::fake::{addr, addr6, link, Fake};
    use crate::model::{Neigh6, Route6};
    let mut f = Fake::new().with_link("n", link(2, "eth0", Some("veth")));
    let node = f.node("n");
    node.addrs.push(addr(2, "10.0.0.1", 24));
    // eth0's MAC is 02:00:00:00:00:02: fe80::ff:fe00:2 is what it derives.
    node.addrs6.push(addr6(2, "fe80::ff:fe00:2", 64));
    node.addrs6.push(addr6(2, "fe80::8039:68ff:fee4:fb6a", 64));
    node.addrs6.push(addr6(2, "2001:db8::1", 64));
    let route = |net: &str| Route6 {
        dst: Some((net.parse().unwrap(), 64)),
        oif: Some(2),
        metric: Some(256),
        ..Default::default()
    };
    node.routes6 = vec![route("fe80::"), route("2001:db8::")];
    node.neighs6.push(Neigh6 {
        index: 2,
        ip: "2001:db8::2".parse().unwrap(),
        lladdr: Some([2, 0, 0, 0, 0, 9]),
        state: "REACHABLE".into(),
    });
    let v = super::view(&f, &["n".to_string()], &[]).unwrap();
    assert_eq!(
        v[0].ifaces[0].addrs,
        [
            "10.0.0.1/24",
            "fe80::8039:68ff:fee4:fb6a/64",
            "2001:db8::1/64"
        ]
    );
    assert_eq!(v[0].routes, ["2001:db8::/64 dev eth0 metric 256"]);
    assert_eq!(
        v[0].neigh,
        ["2001:db8::2 dev eth0 lladdr 02:00:00:00:00:09 REACHABLE"]
    );
}
