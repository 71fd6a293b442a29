//! The devices each node holds as a lab's commands run, and the kernel's
//! rules for their names.

use crate::iproute::cmd::parse;
use crate::iproute::devices::{check_ifname, Devices};

/// Apply `cmds` in order (each `ip netns exec N …` in N, else in `host`).
fn run(d: &mut Devices, cmds: &[&str]) -> Result<(), String> {
    for c in cmds {
        let l = parse(c)?;
        let node = l.node.clone().unwrap_or("host".into());
        for c in &l.cmds {
            d.apply(&node, c)?;
        }
    }
    Ok(())
}

fn lab() -> Devices {
    let mut d = Devices::default();
    d.add_node("host");
    d.add_node("pod");
    d
}

#[test]
fn ifnames_follow_the_kernel_rules() {
    check_ifname("veth61dfc48a").unwrap();
    check_ifname("flannel.1").unwrap();
    check_ifname(&"x".repeat(15)).unwrap();
    assert!(check_ifname(&"x".repeat(16))
        .unwrap_err()
        .contains("longer than 15 bytes"));
    assert!(check_ifname("").unwrap_err().contains("is empty"));
    assert!(check_ifname("..")
        .unwrap_err()
        .contains("cannot be `.` or `..`"));
    assert!(check_ifname("a/b").unwrap_err().contains("contains `/`"));
    assert!(check_ifname("eth0:1").unwrap_err().contains("alias syntax"));
    assert!(check_ifname("a b").unwrap_err().contains("whitespace"));
    assert_eq!(
        check_ifname("a\u{1b}").unwrap_err(),
        "interface name `a\\u{1b}` contains whitespace or a control character"
    );
}

#[test]
fn every_node_starts_with_lo() {
    let d = lab();
    assert!(d.has("pod", "lo"));
    assert!(!d.has("nowhere", "lo"));
    assert_eq!(
        d.need("pod", "eth0").unwrap_err(),
        "no interface `eth0` in pod at this point (it has: lo)"
    );
}

#[test]
fn veth_ends_land_where_asked() {
    let mut d = lab();
    run(
        &mut d,
        &["ip link add veth0 type veth peer name eth0 netns pod"],
    )
    .unwrap();
    assert!(d.has("host", "veth0") && d.has("pod", "eth0"));
    assert!(!d.has("host", "eth0"));
    run(&mut d, &["ip link add a type veth peer name b"]).unwrap();
    assert!(d.has("host", "a") && d.has("host", "b"));
}

#[test]
fn a_second_device_of_one_name_is_refused() {
    let mut d = lab();
    run(&mut d, &["ip link add br0 type bridge"]).unwrap();
    assert_eq!(
        run(&mut d, &["brctl addbr br0"]).unwrap_err(),
        "interface `br0` already exists in host"
    );
    // Same name in another node is fine.
    run(&mut d, &["ip netns exec pod ip link add br0 type bridge"]).unwrap();
    run(&mut d, &["ip link add lo type bridge"]).unwrap_err();
}

#[test]
fn deleting_one_veth_end_deletes_the_other() {
    let mut d = lab();
    run(
        &mut d,
        &[
            "ip link add veth0 type veth peer name eth0 netns pod",
            "ip link del veth0",
        ],
    )
    .unwrap();
    assert!(!d.has("host", "veth0"));
    assert!(!d.has("pod", "eth0"), "the peer went with it");
    assert!(run(&mut d, &["ip link del veth0"])
        .unwrap_err()
        .contains("no interface `veth0` in host"));
}

#[test]
fn moves_and_renames_keep_the_pair_together() {
    let mut d = lab();
    run(
        &mut d,
        &[
            "ip link add veth0 type veth peer name veth1",
            "ip link set veth1 netns pod",
            "ip netns exec pod ip link set veth1 name eth0",
        ],
    )
    .unwrap();
    assert!(d.has("pod", "eth0") && !d.has("pod", "veth1") && !d.has("host", "veth1"));
    // The renamed, moved end is still veth0's peer.
    run(&mut d, &["ip netns exec pod ip link del eth0"]).unwrap();
    assert!(!d.has("host", "veth0"));
}

#[test]
fn rename_and_move_in_one_command() {
    let mut d = lab();
    run(
        &mut d,
        &[
            "ip link add v0 type veth peer name v1",
            "ip link set v1 name eth0 netns pod",
        ],
    )
    .unwrap();
    assert!(d.has("pod", "eth0"));
    assert!(!d.has("host", "eth0") && !d.has("host", "v1"));
    run(&mut d, &["ip link del v0"]).unwrap();
    assert!(!d.has("pod", "eth0"));
}

#[test]
fn moving_onto_an_existing_name_is_refused() {
    let mut d = lab();
    run(
        &mut d,
        &[
            "ip netns exec pod ip link add eth0 type bridge",
            "ip link add v0 type veth peer name eth0",
        ],
    )
    .unwrap();
    assert_eq!(
        run(&mut d, &["ip link set eth0 netns pod"]).unwrap_err(),
        "interface `eth0` already exists in pod"
    );
}

#[test]
fn master_and_vxlan_lower_must_exist() {
    let mut d = lab();
    run(&mut d, &["ip link add v0 type veth peer name v1"]).unwrap();
    assert!(run(&mut d, &["ip link set v0 master br0"])
        .unwrap_err()
        .contains("no interface `br0` in host"));
    run(
        &mut d,
        &[
            "ip link add br0 type bridge",
            "ip link set v0 master br0",
            "ip link set v0 nomaster",
        ],
    )
    .unwrap();
    assert!(
        run(&mut d, &["ip link add flannel.1 type vxlan id 1 dev ens33"])
            .unwrap_err()
            .contains("no interface `ens33`")
    );
    assert!(!d.has("host", "flannel.1"), "nothing made when refused");
}

#[test]
fn addresses_routes_neighbours_name_existing_devices() {
    let mut d = lab();
    for c in [
        "ip addr add 10.0.0.1/24 dev eth0",
        "ip route add default via 10.0.0.254 dev eth0",
        "ip neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev eth0",
        "ip neigh flush dev eth0",
        "bridge fdb add 02:00:00:00:00:02 dev eth0 dst 10.0.0.2",
        "ip addr del 10.0.0.1/24 dev eth0",
    ] {
        assert!(
            run(&mut d, &[c])
                .unwrap_err()
                .contains("no interface `eth0` in host"),
            "{c}"
        );
    }
    // A route without a device names none.
    run(&mut d, &["ip route add blackhole 10.9.0.0/16"]).unwrap();
}

#[test]
fn per_device_sysctls_need_the_device() {
    let mut d = lab();
    assert!(
        run(&mut d, &["sysctl -w net.ipv4.conf.flannel/1.forwarding=1"])
            .unwrap_err()
            .contains("no interface `flannel.1`")
    );
    assert!(
        run(&mut d, &["sysctl -w net.ipv4.neigh.cali1.proxy_delay=0"])
            .unwrap_err()
            .contains("`cali1`")
    );
    run(
        &mut d,
        &[
            "sysctl -w net.ipv4.conf.all.forwarding=1",
            "sysctl -w net.ipv4.conf.default.rp_filter=0",
            "sysctl -w net.ipv4.ip_forward=1",
            "sysctl -w net.ipv4.conf.lo.forwarding=1",
        ],
    )
    .unwrap();
}

#[test]
fn tunl0_exists_where_ipip_is_loaded() {
    let mut d = lab();
    assert!(!d.has("pod", "tunl0"));
    d.ipip = true;
    assert!(d.has("pod", "tunl0"));
    assert!(!d.has("nowhere", "tunl0"));
    run(
        &mut d,
        &["ip route add 10.244.1.0/26 via 192.168.1.2 dev tunl0 onlink"],
    )
    .unwrap();
}

#[test]
fn netns_add_makes_a_node_with_lo() {
    let mut d = Devices::default();
    run(&mut d, &["ip netns add pod9"]).unwrap();
    assert!(d.has("pod9", "lo"));
}

#[test]
fn adopted_and_forgotten_devices() {
    let mut d = lab();
    d.adopt("pod", "eth0");
    d.need("pod", "eth0").unwrap();
    d.forget("pod", "eth0");
    d.need("pod", "eth0").unwrap_err();
}

#[test]
fn bad_names_are_refused_where_written() {
    let mut d = lab();
    assert!(
        run(&mut d, &["ip link add averyveryverylongname type bridge"])
            .unwrap_err()
            .contains("longer than 15 bytes")
    );
    run(&mut d, &["ip link add br0 type bridge"]).unwrap();
    assert!(run(&mut d, &["ip link set br0 name eth0:1"])
        .unwrap_err()
        .contains("alias syntax"));
}
