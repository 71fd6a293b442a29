//! The peers table from values: seed 001's node, where docker0 is ifindex 3
//! in the host and the pod's eth0 is ifindex 3 in the pod.

use crate::model::{Addr, Link};
use crate::report::peers::{
    container_id, disagreement, explain, find, render_table, veth, Namespace, NsidMap, Report,
};

const CID: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn ns(inode: u64, names: &[&str], host: bool) -> Namespace {
    Namespace {
        inode,
        names: names.iter().map(|s| s.to_string()).collect(),
        pid: None,
        command: None,
        processes: 0,
        current: false,
        host,
        container_id: None,
        cgroup: None,
        hostname: None,
        error: None,
    }
}

fn l(index: u32, name: &str, kind: Option<&str>, link: Option<u32>, nsid: Option<i32>) -> Link {
    Link {
        index,
        name: name.into(),
        kind: kind.map(str::to_string),
        mtu: 1500,
        mac: Some([2, 0, 0, 0, 0, index as u8]),
        link,
        link_netnsid: nsid,
        ..Default::default()
    }
}

/// host: lo 1, ens33 2, docker0 3 (bridge), veth1 6 (peer pod's 3, master
/// docker0), a 7 <-> b 8 (both in host); pod1: lo 1, eth0 3 (peer host's 6).
fn links() -> Vec<Vec<Link>> {
    let mut veth1 = l(6, "veth1", Some("veth"), Some(3), Some(0));
    veth1.master = Some(3);
    vec![
        vec![
            l(1, "lo", None, None, None),
            l(2, "ens33", None, None, None),
            l(3, "docker0", Some("bridge"), None, None),
            veth1,
            l(7, "a", Some("veth"), Some(8), None),
            l(8, "b", Some("veth"), Some(7), None),
        ],
        vec![
            l(1, "lo", None, None, None),
            l(3, "eth0", Some("veth"), Some(6), Some(0)),
        ],
    ]
}

fn nsids() -> NsidMap {
    [((0, 0), Some(1)), ((1, 0), Some(0))].into_iter().collect()
}

fn report_with(
    links: &[Vec<Link>],
    nsids: &NsidMap,
    sysfs_of: impl Fn(&Link) -> Option<u32>,
) -> Report {
    let mut host = ns(4026531840, &[], true);
    host.pid = Some(1);
    host.command = Some("systemd".into());
    host.processes = 120;
    let mut pod = ns(4026532500, &["pod1"], false);
    pod.container_id = Some(CID.into());
    pod.hostname = Some("demo-6cbdbd86d5".into());
    let mut r = Report::default();
    r.namespaces = vec![host, pod];
    let view: Vec<Option<&[Link]>> = links.iter().map(|v| Some(v.as_slice())).collect();
    let addrs = [Addr {
        index: 3,
        ip: "10.244.1.2".parse().unwrap(),
        prefix: 24,
        broadcast: None,
    }];
    for (i, ls) in links.iter().enumerate() {
        for x in ls {
            r.add_name(i, x.index, x.name.clone());
        }
        for x in ls.iter().filter(|x| x.kind.as_deref() == Some("veth")) {
            let a: &[Addr] = if i == 1 { &addrs } else { &[] };
            let v = veth(&r, i, x, &view, a, nsids, (sysfs_of(x), x.link, vec![]));
            r.veths.push(v);
        }
    }
    r
}

fn report() -> Report {
    report_with(&links(), &nsids(), |x| x.link)
}

#[test]
fn a_peer_across_namespaces_is_found_by_nsid() {
    let r = report();
    let v = &r.veths[0];
    assert_eq!(
        (v.namespace.as_str(), v.name.as_str(), v.ifindex),
        ("host", "veth1", 6)
    );
    assert_eq!(v.at, "if3");
    assert_eq!(v.master.as_deref(), Some("docker0"));
    let p = v.peer.as_ref().unwrap();
    assert_eq!(
        (
            p.ns,
            p.namespace.as_str(),
            p.name.as_deref(),
            p.ifindex,
            p.elsewhere
        ),
        (Some(1), "pod1", Some("eth0"), 3, true)
    );
    assert_eq!(v.disagreement, None);
    let e = &r.veths[3];
    assert_eq!(
        (e.name.as_str(), e.at.as_str(), e.ipv4.clone()),
        ("eth0", "if6", vec!["10.244.1.2/24".to_string()])
    );
    assert_eq!(e.mac.as_deref(), Some("02:00:00:00:00:03"));
}

#[test]
fn a_pair_in_one_namespace_is_shown_by_name() {
    let r = report();
    let a = &r.veths[1];
    assert_eq!(a.at, "b");
    let p = a.peer.as_ref().unwrap();
    assert!(!p.elsewhere);
    assert_eq!((p.ns, p.name.as_deref()), (Some(0), Some("b")));
}

#[test]
fn an_unknown_nsid_or_no_iflink() {
    let mut ls = links();
    ls[0][3].link_netnsid = Some(5);
    ls[0][4].link = None;
    let r = report_with(&ls, &nsids(), |x| x.link);
    let p = r.veths[0].peer.as_ref().unwrap();
    assert_eq!((p.ns, p.name.as_deref()), (None, None));
    assert_eq!(p.namespace, "(a namespace no process or name holds)");
    assert_eq!(r.veths[0].at, "if3");
    assert!(r.veths[1].peer.is_none());
    assert_eq!(r.veths[1].at, "NONE");
}

#[test]
fn disagreements_methods_missing_peer_and_not_pointing_back() {
    // sysfs says 9 for veth1.
    let r = report_with(&links(), &nsids(), |x| {
        if x.name == "veth1" {
            Some(9)
        } else {
            x.link
        }
    });
    assert_eq!(
        r.veths[0].disagreement.as_deref(),
        Some("the methods disagree: IFLA_LINK 3, sysfs iflink 9, ethtool peer_ifindex 3")
    );
    // The pod's eth0 points at host ifindex 7 (a), not back at veth1.
    let mut ls = links();
    ls[1][1].link = Some(7);
    let r = report_with(&ls, &nsids(), |x| x.link);
    assert_eq!(
        r.veths[0].disagreement.as_deref(),
        Some("eth0 in pod1 does not point back at veth1 (ifindex 6)")
    );
    // Nothing at the peer's index.
    let mut ls = links();
    ls[1].pop();
    let r = report_with(&ls, &nsids(), |x| x.link);
    assert_eq!(
        r.veths[0].disagreement.as_deref(),
        Some("no device with ifindex 3 in pod1")
    );
}

#[test]
fn no_disagreement_when_the_peer_could_not_be_read() {
    let r = report();
    let ls = links();
    let view: Vec<Option<&[Link]>> = vec![Some(&ls[0]), None];
    assert_eq!(disagreement(&r.veths[0], &view, &nsids()), None);
    // Its back-pointer's namespace must be this one: with the pod's id 0
    // unmapped, veth1 is not pointed back at.
    let view: Vec<Option<&[Link]>> = ls.iter().map(|v| Some(v.as_slice())).collect();
    let partial: NsidMap = [((0, 0), Some(1))].into_iter().collect();
    assert!(disagreement(&r.veths[0], &view, &partial)
        .unwrap()
        .contains("does not point back"));
}

#[test]
fn the_table_aligns_columns_and_lists_holders() {
    let t = render_table(&report());
    let lines: Vec<&str> = t.lines().collect();
    assert!(
        lines[0].starts_with("NAMESPACE  INTERFACE  IDX  MAC "),
        "{t}"
    );
    assert!(lines[0].ends_with("PEER (namespace:name ifindex)"));
    // Every row's columns start where the header's do.
    let col = |s: &str, c: usize| {
        s.char_indices()
            .filter(|(_, ch)| *ch != ' ')
            .map(|(i, _)| i)
            .find(|&i| i >= c)
    };
    let starts = ["INTERFACE", "IDX", "MAC", "MTU", "MASTER", "IPV4", "PEER"]
        .map(|h| lines[0].find(h).unwrap());
    for row in &lines[1..5] {
        for s in starts {
            assert_eq!(col(row, s), Some(s), "column at {s} in {row:?}\n{t}");
        }
    }
    assert!(
        lines[1].starts_with("host       veth1@if3  6    02:00:00:00:00:06  1500  docker0  -"),
        "{t}"
    );
    assert!(lines[1].ends_with("pod1:eth0 3"), "{t}");
    assert!(
        lines[4].contains("10.244.1.2/24") && lines[4].ends_with("host:veth1 6"),
        "{t}"
    );
    assert_eq!(lines[5], "");
    assert_eq!(lines[6], "Namespaces:");
    assert_eq!(
        lines[7],
        "  host = net:[4026531840], the init namespace, held by pid 1 (systemd) and 119 more"
    );
    assert_eq!(
        lines[8],
        format!("  pod1 = net:[4026532500], container 0123456789ab, hostname demo-6cbdbd86d5")
    );
    assert_eq!(lines.len(), 9);
    assert!(
        lines.iter().all(|l| !l.ends_with(' ')),
        "no trailing blanks"
    );
}

#[test]
fn the_table_ends_with_disagreements_and_what_was_unreadable() {
    let mut r = report_with(&links(), &nsids(), |x| {
        if x.name == "eth0" {
            Some(1)
        } else {
            x.link
        }
    });
    r.unreadable
        .push("/proc/*/ns/net of 3 processes: permission denied".into());
    let t = render_table(&r);
    assert!(t.ends_with(
        "\nDISAGREEMENT pod1:eth0: the methods disagree: IFLA_LINK 6, sysfs iflink 1, ethtool peer_ifindex 6\n\
         could not read: /proc/*/ns/net of 3 processes: permission denied\n"
    ), "{t}");
    let empty = render_table(&Report::default());
    assert_eq!(empty.lines().nth(1), Some("(no veth devices found)"));
    assert!(!empty.contains("Namespaces:"));
}

#[test]
fn find_by_name_name_at_or_namespace() {
    let r = report();
    let names = |q: &str| {
        find(&r, q)
            .iter()
            .map(|v| format!("{}:{}", v.namespace, v.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(names("veth1"), ["host:veth1"]);
    assert_eq!(names("veth1@if3"), ["host:veth1"]);
    assert_eq!(names("host:veth1"), ["host:veth1"]);
    assert!(names("pod1:veth1").is_empty());
    assert_eq!(names("pod1:eth0@if6"), ["pod1:eth0"]);
    assert!(names("docker0").is_empty(), "only veths");
}

#[test]
fn explain_says_the_number_belongs_to_the_peers_namespace() {
    let r = report();
    let t = explain(&r, &r.veths[0]);
    assert!(t.starts_with("veth1 (ifindex 6 in namespace host) is one end of a veth pair; `ip link` shows it as veth1@if3.\n"), "{t}");
    assert!(t.contains("Its peer is eth0, ifindex 3, in namespace pod1 (pod1 = net:[4026532500], container 0123456789ab, hostname demo-6cbdbd86d5).\n"), "{t}");
    assert!(
        t.contains(
            "The 3 in @if3 is IFLA_LINK: the peer's ifindex counted in the peer's own namespace.\n"
        ),
        "{t}"
    );
    assert!(
        t.contains("In host itself, ifindex 3 is docker0, an unrelated device"),
        "{t}"
    );
    assert!(t.ends_with("The methods agree: IFLA_LINK 3, /sys/class/net/veth1/iflink 3, ethtool -S peer_ifindex 3.\n"), "{t}");
    let t = explain(&r, &r.veths[3]);
    assert!(
        t.contains(
            "pod1 has no ifindex 6 of its own: the number only means something inside host.\n"
        ),
        "{t}"
    );
}

#[test]
fn explain_same_namespace_gone_disagreeing_and_unread() {
    let mut ls = links();
    ls[0][4].link = None;
    let mut r = report_with(
        &ls,
        &nsids(),
        |x| if x.name == "b" { Some(70) } else { x.link },
    );
    assert!(explain(&r, &r.veths[2])
        .contains("Both ends are in the same namespace, so `ip link` names the peer.\n"));
    assert!(explain(&r, &r.veths[1]).contains("Its peer is gone (IFLA_LINK is absent).\n"));
    r.veths[2]
        .unread
        .push("ethtool peer_ifindex: Operation not permitted".into());
    let t = explain(&r, &r.veths[2]);
    assert!(t.contains("DISAGREEMENT: the methods disagree: IFLA_LINK 7, sysfs iflink 70, ethtool peer_ifindex 7\n"), "{t}");
    assert!(
        t.ends_with("could not read ethtool peer_ifindex: Operation not permitted\n"),
        "{t}"
    );
}

#[test]
fn namespace_labels() {
    let mut n = ns(7, &["blue", "b2"], true);
    assert_eq!(n.label(), "blue");
    n.names.clear();
    assert_eq!(n.label(), "host");
    n.host = false;
    n.current = true;
    assert_eq!(n.label(), "current");
    n.current = false;
    assert_eq!(n.label(), "netns:[7]");
    n.pid = Some(42);
    assert_eq!(n.label(), "pid 42");
    n.command = Some("pause".into());
    assert_eq!(n.label(), "pid 42 (pause)");
}

#[test]
fn container_ids_from_cgroup_paths() {
    assert_eq!(
        container_id(&format!("/system.slice/docker-{CID}.scope")).as_deref(),
        Some(CID)
    );
    assert_eq!(
        container_id(&format!("/kubepods/burstable/pod1234/{CID}")).as_deref(),
        Some(CID)
    );
    assert_eq!(container_id("/user.slice/user-1000.slice"), None);
    assert_eq!(
        container_id(&format!("/x/{}", &CID[..63])),
        None,
        "63 digits is no id"
    );
    assert_eq!(
        container_id(&format!("/x/{CID}0")),
        None,
        "65 digits is no id"
    );
}

#[test]
fn json_leaves_out_the_name_index() {
    let j = serde_json::to_value(report()).unwrap();
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["namespaces", "unreadable", "veths"]);
    assert_eq!(j["veths"][0]["peer"]["namespace"], "pod1");
    assert_eq!(j["veths"][0]["iflink_sysfs"], 3);
}
