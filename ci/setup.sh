#!/usr/bin/env bash
# Install what building and testing vethlab needs on a Debian/Ubuntu machine:
# libpcap-dev (the pcap crate links it), pkg-config (finds it), iproute2 and
# tcpdump (tests compare the kit's output with theirs), tmux (the learner-session
# test types into a real terminal), and the articles' tools a learner uses in
# `vethlab shell`: brctl (bridge-utils), ethtool, ping. Idempotent.
set -euo pipefail
need=()
dpkg -s libpcap-dev >/dev/null 2>&1 || need+=(libpcap-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ip >/dev/null || need+=(iproute2)
command -v tmux >/dev/null || need+=(tmux)
command -v brctl >/dev/null || need+=(bridge-utils)
command -v ethtool >/dev/null || need+=(ethtool)
command -v ping >/dev/null || need+=(iputils-ping)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
