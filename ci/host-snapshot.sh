#!/usr/bin/env bash
# The machine's own network as the labs could disturb it: links, addresses,
# routes, neighbours, named namespaces and the sysctls labs write. ci/test.sh
# takes one before and one after everything and requires them equal.
set -uo pipefail
ip -o link | sed 's/ link-netnsid [0-9]*//'
ip -o addr
ip route
ip neigh | grep -v -e ' STALE' -e ' DELAY' -e ' PROBE' -e ' REACHABLE'   # host traffic ages these
ip netns list
for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/igmp_link_local_mcast_reports \
         /proc/sys/net/ipv4/conf/{all,default}/{forwarding,proxy_arp,rp_filter} \
         /proc/sys/net/ipv4/neigh/default/{retrans_time_ms,proxy_delay} \
         /proc/sys/net/ipv6/conf/{all,default}/disable_ipv6; do
  [ -r "$f" ] && echo "$f=$(cat "$f")"
done
exit 0
