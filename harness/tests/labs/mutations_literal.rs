//! Mutations of the literal values the articles print (issue 34): an
//! ifindex off by one, a peer at another index, a MAC, a bridge id, a
//! broadcast, a txqueuelen, an MTU or a prefix changed the way a careless
//! rebuild would. Each must fail the observation whose line shows the value.
//! They run the targeted step's commands and only its assertions with that
//! id, each looked at once (no traffic, no settling window): a literal of
//! kernel state is wrong at once or not at all.

use crate::mutations::Mutation;

macro_rules! lit {
    ($lab:literal, $what:literal, $from:expr, [$($to:expr),*], $step:literal, $id:literal) => {
        Mutation { lab: $lab, what: $what, from: $from, to: &[$($to),*], step: $step, id: $id, quick: true }
    };
}

const VETH01: &str = "ip link add index 4 name veth0 address be:2a:81:c1:e4:24 type veth peer index 3 name veth1 address 5a:af:75:80:a6:ba";
const VETH34: &str = "ip link add index 6 name veth3 address 06:8f:b5:e8:e9:f6 type veth peer index 5 name veth4 address de:3a:5e:42:2d:ff";
const BR_VETH: &str = "ip link add index 8 name veth0 type veth peer index 7 name veth1";
const BR_DOCKER0: &str =
    "ip link add index 3 name docker0 address 02:42:58:6f:81:e5 txqueuelen 0 type bridge";
const CALI34: &str = "ip link add index 34 name cali7a4b00317e6 address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 36:a2:81:c4:84:f9 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467";
const CALI16: &str = "ip -n vms105 link add index 16 name cali39888f400bd address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 42:17:dd:38:6a:10 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-fbt9d";
const DOCKER95: &str = "ip link add index 95 name veth2e08884 address ae:4c:28:0f:3e:84 txqueuelen 0 type veth peer index 94 name eth0 address 02:42:ac:11:00:03 txqueuelen 0 netns 6471704fd03a";
const METHOD1: &str = "ip link add index 5 name veth63a89a3 address 4e:2b:7c:0d:3a:6f txqueuelen 0 type veth peer index 4 name eth0 address 02:42:ac:11:00:02 txqueuelen 0 netns method1";
const METHOD2: &str = "ip link add index 117 name veth-method2 address 6a:3e:0b:c4:2d:8e txqueuelen 0 type veth peer index 116 name eth0 address 02:42:ac:11:00:04 txqueuelen 0 netns method2";
const METHOD3: &str = "ip link add index 6 name veth-method3 address d2:4a:3c:0e:2f:6b txqueuelen 0 type veth peer index 5 name eth0 address 02:42:ac:11:00:05 txqueuelen 0 netns method3";

/// `ip link add` of flannel pod POD's veth at INDEX, its eth0 at PEER.
macro_rules! flannel_pod {
    ($index:literal, $name:literal, $peer:literal, $pod:literal) => {
        concat!(
            "ip link add index ",
            $index,
            " name ",
            $name,
            " mtu 1450 type veth peer index ",
            $peer,
            " name eth0 mtu 1450 netns ",
            $pod
        )
    };
}

/// gke-ptp's pod veth DEV with MAC, as the ptp plugin made it.
macro_rules! gke_veth {
    ($dev:literal, $mac:literal, $pod:literal) => {
        concat!(
            "ip link add ",
            $dev,
            " address ",
            $mac,
            " mtu 1460 txqueuelen 0 type veth peer name eth0 mtu 1460 netns ",
            $pod
        )
    };
}

pub(crate) fn mutations() -> Vec<Mutation> {
    vec![
        // seed 003: 3: veth1@if4, 4: veth0@if3, 5: veth4@if6, 2: ens32
        lit!("veth-pair", "veth0-at-5", VETH01,
             ["ip link add index 5 name veth0 address be:2a:81:c1:e4:24 type veth peer index 3 name veth1 address 5a:af:75:80:a6:ba"],
             "into-netns", "O2.5"),
        lit!("veth-pair", "veth1-at-7", VETH01,
             ["ip link add index 4 name veth0 address be:2a:81:c1:e4:24 type veth peer index 7 name veth1 address 5a:af:75:80:a6:ba"],
             "into-netns", "O2.5"),
        lit!("veth-pair", "veth1-random-mac", VETH01,
             ["ip link add index 4 name veth0 address be:2a:81:c1:e4:24 type veth peer index 3 name veth1"],
             "into-netns", "O2.5"),
        lit!("veth-pair", "veth0-no-queue", VETH01,
             ["ip link add index 4 name veth0 address be:2a:81:c1:e4:24 txqueuelen 0 type veth peer index 3 name veth1 address 5a:af:75:80:a6:ba"],
             "into-netns", "O2.5"),
        lit!("veth-pair", "ens32-at-9",
             "ip link add index 2 name ens32 address 00:0c:29:e5:68:68 type veth peer name lan0 netns lan",
             ["ip link add index 9 name ens32 address 00:0c:29:e5:68:68 type veth peer name lan0 netns lan"],
             "into-netns", "O2.5"),
        lit!("veth-pair", "ens32-without-brd",
             "ip addr add 192.168.26.152/24 brd 192.168.26.255 dev ens32",
             ["ip addr add 192.168.26.152/24 dev ens32"], "into-netns", "O2.5"),
        lit!("veth-pair", "peer-index-5", VETH01,
             ["ip link add index 5 name veth0 address be:2a:81:c1:e4:24 type veth peer index 3 name veth1 address 5a:af:75:80:a6:ba"],
             "find-peer", "O2.6"),
        lit!("veth-pair", "veth3-at-7", VETH34,
             ["ip link add index 7 name veth3 address 06:8f:b5:e8:e9:f6 type veth peer index 5 name veth4 address de:3a:5e:42:2d:ff"],
             "pair-into-netns", "O2.5"),
        lit!("veth-pair", "veth4-at-8", VETH34,
             ["ip link add index 6 name veth3 address 06:8f:b5:e8:e9:f6 type veth peer index 8 name veth4 address de:3a:5e:42:2d:ff"],
             "second-pair", "O2.1"),
        lit!("veth-pair", "veth3-a-16", "ifconfig veth3 10.20.30.40/24", ["ifconfig veth3 10.20.30.40/16"],
             "pair-into-netns", "O2.5"),
        // seed 004: 8: veth0@if7, 7: veth1@if8, 9: br0, 2: eth0, 3: docker0
        lit!("bridge-arp", "veth0-at-10", BR_VETH,
             ["ip link add index 10 name veth0 type veth peer index 7 name veth1"], "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "veth1-at-6", BR_VETH,
             ["ip link add index 8 name veth0 type veth peer index 6 name veth1"], "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "veth0-at-11", BR_VETH,
             ["ip link add index 11 name veth0 type veth peer index 7 name veth1"], "veth-in-bridge", "O4.2"),
        lit!("bridge-arp", "br0-at-10", "ip link add name br0 index 9 address 82:39:68:e4:fb:6a type bridge",
             ["ip link add name br0 index 10 address 82:39:68:e4:fb:6a type bridge"], "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "veth0-other-mac", "ip link set dev veth0 address 3e:78:e0:5b:4a:85",
             ["ip link set dev veth0 address 3e:78:e0:5b:4a:86"], "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "veth1-other-mac", "ip link set dev veth1 address f2:05:c3:82:ae:5e",
             ["ip link set dev veth1 address f2:05:c3:82:ae:5f"], "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "eth0-other-mac",
             "ip link add index 2 name eth0 address 52:54:00:3c:51:f0 type veth peer name lan0 netns lan",
             ["ip link add index 2 name eth0 address 52:54:00:3c:51:f1 type veth peer name lan0 netns lan"],
             "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "docker0-at-4", BR_DOCKER0,
             ["ip link add index 4 name docker0 address 02:42:58:6f:81:e5 txqueuelen 0 type bridge"],
             "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "docker0-txqueuelen-1000", BR_DOCKER0,
             ["ip link add index 3 name docker0 address 02:42:58:6f:81:e5 type bridge"],
             "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "veth0-without-brd", "ifconfig veth0 192.168.122.101/24",
             ["ip addr add 192.168.122.101/24 dev veth0"], "veth-in-bridge", "O4.7"),
        lit!("bridge-arp", "docker0-a-24", "ip addr add 172.17.0.1/16 brd + dev docker0",
             ["ip addr add 172.17.0.1/24 brd + dev docker0"], "veth-in-bridge", "O4.7"),
        // seed 001: 46/55/61/78: vethXXXXXXXX@if3, docker0 8000.0242dfd605c0
        lit!("flannel", "pod5-veth-at-47", flannel_pod!("46", "vethc162dc8a", "3", "pod5"),
             [flannel_pod!("47", "vethc162dc8a", "3", "pod5")], "bridge-members", "O1.2"),
        lit!("flannel", "pod6-veth-at-56", flannel_pod!("55", "veth5b889fed", "3", "pod6"),
             [flannel_pod!("56", "veth5b889fed", "3", "pod6")], "if3-is-not-docker0", "O1.4"),
        lit!("flannel", "pod7-veth-at-60", flannel_pod!("61", "veth75f5ef36", "3", "pod7"),
             [flannel_pod!("60", "veth75f5ef36", "3", "pod7")], "bridge-members", "O1.2"),
        lit!("flannel", "pod8-veth-at-79", flannel_pod!("78", "veth39711246", "3", "pod8"),
             [flannel_pod!("79", "veth39711246", "3", "pod8")], "bridge-members", "O1.2"),
        lit!("flannel", "pod8-eth0-at-4", flannel_pod!("78", "veth39711246", "3", "pod8"),
             [flannel_pod!("78", "veth39711246", "4", "pod8")], "bridge-members", "O1.2"),
        lit!("flannel", "pod5-eth0-at-4", flannel_pod!("46", "vethc162dc8a", "3", "pod5"),
             [flannel_pod!("46", "vethc162dc8a", "4", "pod5")], "if3-is-not-docker0", "O1.4"),
        lit!("flannel", "docker0-keeps-its-mac", "ip link set docker0 address 02:42:df:d6:05:c0", [],
             "bridge-members", "O1.1"),
        lit!("flannel", "cni0-other-mac", "ip link add cni0 address 0a:58:0a:f4:05:01 mtu 1450 type bridge",
             ["ip link add cni0 address 0a:58:0a:f4:05:02 mtu 1450 type bridge"], "bridge-members", "O1.1"),
        lit!("flannel", "docker0-mtu-1450", "ip link add index 3 name docker0 type bridge",
             ["ip link add index 3 name docker0 mtu 1450 type bridge"], "if3-is-not-docker0", "O1.3"),
        // seed 003 (calico): 34: cali…@if4, 16: cali39888f400bd@if4, 4: eth0@if16, peer_ifindex 34
        lit!("calico", "fbt9d-eth0-at-5", CALI16,
             ["ip -n vms105 link add index 16 name cali39888f400bd address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 5 name eth0 address 42:17:dd:38:6a:10 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-fbt9d"],
             "pod-view", "O3.1"),
        lit!("calico", "vms105-cali-at-17", CALI16,
             ["ip -n vms105 link add index 17 name cali39888f400bd address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 42:17:dd:38:6a:10 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-fbt9d"],
             "host-veth", "O3.2"),
        lit!("calico", "fbt9d-peer-at-18", CALI16,
             ["ip -n vms105 link add index 18 name cali39888f400bd address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 42:17:dd:38:6a:10 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-fbt9d"],
             "host-veth", "O3.7"),
        lit!("calico", "vms105-cali-keeps-its-mac", CALI16,
             ["ip -n vms105 link add index 16 name cali39888f400bd mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 42:17:dd:38:6a:10 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-fbt9d"],
             "host-veth", "O3.2"),
        lit!("calico", "fbt9d-eth0-mtu-1500", CALI16,
             ["ip -n vms105 link add index 16 name cali39888f400bd address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 42:17:dd:38:6a:10 txqueuelen 0 netns demo-deployment-6cbdbd86d5-fbt9d"],
             "pod-view", "O3.1"),
        lit!("calico", "cali-at-35", CALI34,
             ["ip link add index 35 name cali7a4b00317e6 address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 address 36:a2:81:c4:84:f9 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467"],
             "host-veth", "O3.7"),
        lit!("calico", "nm467-eth0-random-mac", CALI34,
             ["ip link add index 34 name cali7a4b00317e6 address ee:ee:ee:ee:ee:ee mtu 1480 txqueuelen 0 type veth peer index 4 name eth0 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467"],
             "pod-view", "O3.1"),
        lit!("calico", "cali-txqueuelen-1000", CALI34,
             ["ip link add index 34 name cali7a4b00317e6 address ee:ee:ee:ee:ee:ee mtu 1480 type veth peer index 4 name eth0 address 36:a2:81:c4:84:f9 mtu 1480 txqueuelen 0 netns demo-deployment-6cbdbd86d5-nm467"],
             "host-veth", "O3.2"),
        lit!("calico", "vms105-pod-route-missing",
             "ip -n vms105 route add 10.244.169.70 dev cali0fdeca04347 scope link", [], "node-routes", "O3.4"),
        lit!("calico", "vms105-docker0-a-24", "ip -n vms105 addr add 172.17.0.1/16 brd + dev docker0",
             ["ip -n vms105 addr add 172.17.0.1/24 brd + dev docker0"], "node-routes", "O3.4"),
        lit!("calico", "vms103-other-gateway", "ip route add default via 192.168.26.2 dev ens32",
             ["ip route add default via 192.168.26.1 dev ens32"], "node-routes", "O3.4"),
        // seed 003 (docker): 95 by iflink, seed 002: 5, 117, 6
        lit!("docker-veth", "iflink-96", DOCKER95,
             ["ip link add index 96 name veth2e08884 address ae:4c:28:0f:3e:84 txqueuelen 0 type veth peer index 94 name eth0 address 02:42:ac:11:00:03 txqueuelen 0 netns 6471704fd03a"],
             "docker-run", "O2.7"),
        lit!("docker-veth", "method1-veth-at-7", METHOD1,
             ["ip link add index 7 name veth63a89a3 address 4e:2b:7c:0d:3a:6f txqueuelen 0 type veth peer index 4 name eth0 address 02:42:ac:11:00:02 txqueuelen 0 netns method1"],
             "book-methods", "O2.4"),
        lit!("docker-veth", "method2-veth-at-118", METHOD2,
             ["ip link add index 118 name veth-method2 address 6a:3e:0b:c4:2d:8e txqueuelen 0 type veth peer index 116 name eth0 address 02:42:ac:11:00:04 txqueuelen 0 netns method2"],
             "book-methods", "O2.7"),
        lit!("docker-veth", "method3-veth-at-8", METHOD3,
             ["ip link add index 8 name veth-method3 address d2:4a:3c:0e:2f:6b txqueuelen 0 type veth peer index 5 name eth0 address 02:42:ac:11:00:05 txqueuelen 0 netns method3"],
             "book-methods", "O2.7"),
        // seed 000: broadcast 10.188.2.1, txqueuelen 0, 8000.36dae477639c, 8000.0242fd0b0cf4
        lit!("gke-ptp", "pod3-veth-without-brd", "ip addr add 10.188.2.1/32 brd 10.188.2.1 dev veth8bcf1494",
             ["ip addr add 10.188.2.1/32 dev veth8bcf1494"], "node-view", "O0.2"),
        lit!("gke-ptp", "pod4-veth-without-brd", "ip addr add 10.188.2.1/32 brd 10.188.2.1 dev vethbb2135c7",
             ["ip addr add 10.188.2.1/32 dev vethbb2135c7"], "node-view", "O0.2"),
        lit!("gke-ptp", "pod1-veth-txqueuelen-1000",
             gke_veth!("veth27cee774", "12:b7:98:2f:2e:08", "pod1"),
             ["ip link add veth27cee774 address 12:b7:98:2f:2e:08 mtu 1460 type veth peer name eth0 mtu 1460 netns pod1"],
             "node-view", "O0.3"),
        lit!("gke-ptp", "k8s-2-cni0-other-mac", "ip -n k8s-2 link add cni0 address 36:da:e4:77:63:9c type bridge",
             ["ip -n k8s-2 link add cni0 type bridge"], "node-view", "O0.1"),
        lit!("gke-ptp", "docker0-other-mac", "ip link add docker0 address 02:42:fd:0b:0c:f4 txqueuelen 0 type bridge",
             ["ip link add docker0 address 02:42:fd:0b:0c:f5 txqueuelen 0 type bridge"], "node-view", "O0.1"),
        lit!("gke-ptp", "docker0-without-brd", "ip addr add 169.254.123.1/24 brd + dev docker0",
             ["ip addr add 169.254.123.1/24 dev docker0"], "node-view", "O0.1"),
        lit!("gke-ptp", "eth0-brd-itself", "ip addr add 10.10.1.19/32 brd 0.0.0.0 dev eth0",
             ["ip addr add 10.10.1.19/32 brd 10.10.1.19 dev eth0"], "node-view", "O0.5"),
        lit!("gke-ptp", "eth0-other-mac",
             "ip link add eth0 address 42:01:0a:0a:01:13 mtu 1460 type veth peer name gw0 mtu 1460 netns vpc",
             ["ip link add eth0 address 42:01:0a:0a:01:14 mtu 1460 type veth peer name gw0 mtu 1460 netns vpc"],
             "node-view", "O0.3"),
    ]
}
