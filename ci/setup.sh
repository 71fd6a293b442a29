#!/usr/bin/env bash
# Install what building and testing vethlab needs on a Debian/Ubuntu machine:
# libpcap-dev (the pcap crate links it), pkg-config (finds it), iproute2 and
# tcpdump (tests compare the kit's output with theirs), tmux (the learner-session
# test types into a real terminal), and the articles' tools a learner uses in
# `vethlab shell` and the article transcripts replay: brctl (bridge-utils),
# ethtool, ping, ifconfig (net-tools); and the real components
# the *-cni and calico-bird labs run: the reference CNI plugins
# (containernetworking-plugins) and BIRD (bird2); python3-junitparser reads
# back the --junit report in a test, and xmllint (libxml2-utils) validates it
# against the Jenkins JUnit schema; chromium opens the HTML report headless
# (ci/browser.sh). Idempotent.
set -euo pipefail
need=()
dpkg -s libpcap-dev >/dev/null 2>&1 || need+=(libpcap-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v ip >/dev/null || need+=(iproute2)
command -v tmux >/dev/null || need+=(tmux)
command -v brctl >/dev/null || need+=(bridge-utils)
command -v ethtool >/dev/null || need+=(ethtool)
command -v ifconfig >/dev/null || [ -x /usr/sbin/ifconfig ] || need+=(net-tools)
command -v ping >/dev/null || need+=(iputils-ping)
[ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || need+=(containernetworking-plugins)
/usr/bin/python3 -c 'import junitparser' 2>/dev/null || need+=(python3-junitparser)
command -v xmllint >/dev/null || need+=(libxml2-utils)
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || command -v google-chrome >/dev/null || need+=(chromium)
command -v bird >/dev/null || [ -x /usr/sbin/bird ] || need+=(bird2)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # Install without starting services: bird2 would otherwise start a BIRD on
  # the machine itself. Labs start their own BIRDs inside lab namespaces.
  block=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    block=1
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
  [ -z "$block" ] || $sudo rm -f /usr/sbin/policy-rc.d
fi
