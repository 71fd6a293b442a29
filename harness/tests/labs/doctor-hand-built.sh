# Hidden nodes built by hand for `doctor/hand-built` (tests/labs/doctor.rs):
# each mistake beside a healthy near miss, under names, addresses and MACs no
# lab uses. Run inside `vethlab shell` (namespaces of the shell's sandbox).
set -e
for n in zeta-node eta-node zp1 zp2 zp3 zc zc2 ec ec2 zq1 zq2 vx-a vx-b vx-c; do ip netns add $n; ip -n $n link set lo up; done
z() { ip netns exec zeta-node "$@"; }
z sysctl -qw net.ipv4.ip_forward=1
z ip link add brz address 0e:5a:00:00:00:01 type bridge
z ip addr add 10.123.0.1/24 dev brz
z ip link set brz up
i=2
for p in zp1 zp2; do
  z ip link add v$p type veth peer name eth0 netns $p
  ip -n $p addr add 10.123.0.$i/24 dev eth0; ip -n $p link set eth0 up
  ip -n $p route add default via 10.123.0.1
  z ip link set v$p up; i=$((i+1))
done
z ip link set vzp1 master brz
# a port holding a /32: reported (the decided near miss)
z ip link add vz3 type veth peer name eth0 netns zp3
z ip link set vz3 master brz; z ip link set vz3 up
z ip addr add 10.123.9.9/32 dev vz3
ip -n zp1 link set lo down
# Calico-like pods: cz1 without proxy ARP (problem), cz2 with it (quiet)
for k in 1 2; do
  p=zc; [ $k = 2 ] && p=zc2
  z ip link add cz$k address ee:5a:00:00:00:0$k type veth peer name eth0 netns $p
  z ip link set cz$k up
  ip -n $p addr add 10.124.5.$k/32 dev eth0; ip -n $p link set eth0 up
  ip -n $p route add 169.254.1.1 dev eth0 scope link
  ip -n $p route add default via 169.254.1.1 dev eth0
  z ip route add 10.124.5.$k dev cz$k scope link
done
z sysctl -qw net.ipv4.conf.cz2.proxy_arp=1
# conf.all.proxy_arp=1 elsewhere: quiet; but two routed pods, ip_forward 0
ip netns exec eta-node sysctl -qw net.ipv4.conf.all.proxy_arp=1
k=1
for p in ec ec2; do
  ip -n eta-node link add ce$k type veth peer name eth0 netns $p
  ip -n eta-node link set ce$k up
  ip -n $p addr add 10.126.1.$k/32 dev eth0; ip -n $p link set eth0 up
  ip -n $p route add 169.254.1.1 dev eth0 scope link
  ip -n $p route add default via 169.254.1.1 dev eth0
  ip -n eta-node route add 10.126.1.$k dev ce$k scope link
  k=$((k+1))
done
# ptp pods sharing 10.125.0.1/32; zq2's /32 route missing
i=2
for p in zq1 zq2; do
  z ip link add v$p type veth peer name eth0 netns $p
  z ip addr add 10.125.0.1/32 dev v$p; z ip link set v$p up
  ip -n $p addr add 10.125.0.$i/24 dev eth0; ip -n $p link set eth0 up
  ip -n $p route del 10.125.0.0/24 dev eth0
  ip -n $p route add 10.125.0.1 dev eth0 scope link
  ip -n $p route add default via 10.125.0.1 dev eth0
  i=$((i+1))
done
z ip route add 10.125.0.2 dev vzq1 scope link
# VXLAN: vx-a sends to vx-b, which has no way back; vx-c knows a MAC but
# not where it lives (no FDB entry)
ip -n vx-a link add u0 type veth peer name u0 netns vx-b
ip -n vx-a addr add 198.18.7.1/24 dev u0; ip -n vx-a link set u0 up
ip -n vx-b addr add 198.18.7.2/24 dev u0; ip -n vx-b link set u0 up
k=1
for n in vx-a vx-b vx-c; do
  ip -n $n link add ovx address 0e:77:00:00:00:0$k type vxlan id 4$k dstport 4789 nolearning
  ip -n $n addr add 10.127.$k.0/32 dev ovx; ip -n $n link set ovx up
  k=$((k+1))
done
ip -n vx-a route add 10.127.2.0/24 via 10.127.2.0 dev ovx onlink
ip -n vx-a neigh add 10.127.2.0 lladdr 0e:77:00:00:00:02 dev ovx nud permanent
ip netns exec vx-a bridge fdb append 0e:77:00:00:00:02 dev ovx dst 198.18.7.2 self permanent
ip -n vx-c route add 10.127.9.0/24 via 10.127.9.0 dev ovx onlink
ip -n vx-c neigh add 10.127.9.0 lladdr 0e:77:00:00:00:09 dev ovx nud permanent
set +e
