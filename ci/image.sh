#!/usr/bin/env bash
# Build the lab image here and run the suite and an exercise inside it, with
# the least privilege the README documents. No registry is reachable, so the
# Dockerfile's base (debian:bookworm-slim) is made locally with debootstrap and
# `docker import`; the engine is started here with no bridge, no iptables and
# no ip_forward change on the machine (the containers run with --network none).
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
started=""
if ! $sudo docker info >/dev/null 2>&1; then
  $sudo dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false >/tmp/vethlab-dockerd.log 2>&1 &
  started=$!
  for _ in $(seq 100); do $sudo docker info >/dev/null 2>&1 && break; sleep 0.2; done
  $sudo docker info >/dev/null || { cat /tmp/vethlab-dockerd.log; exit 1; }
fi
stop() { [ -z "$started" ] || $sudo kill "$started" 2>/dev/null || true; }
trap stop EXIT
base=$(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile | head -n1)
if ! $sudo docker image inspect "$base" >/dev/null 2>&1; then
  echo "== making $base with debootstrap"
  root=$(mktemp -d)
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  $sudo debootstrap --variant=minbase bookworm "$root" "${mirror:-http://deb.debian.org/debian}" >/dev/null
  $sudo tar -C "$root" -c . | $sudo docker import - "$base" >/dev/null
  $sudo rm -rf "$root"
fi
echo "== docker build"
cargo build --release -q -p vethlab
DOCKER_BUILDKIT=0 $sudo docker build -q --network host -t vethlab:ci . >/dev/null
caps=(--network none --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN --security-opt seccomp=unconfined)
echo "== docker run ${caps[*]} vethlab:ci   (every lab)"
$sudo docker run --rm "${caps[@]}" vethlab:ci | tail -n1
echo "== the exercise: shell bridge-arp --step 3, the learner's fix, vethlab check"
$sudo docker run --rm "${caps[@]}" vethlab:ci shell bridge-arp --step 3 -- sh -c \
  'ip addr del 192.168.122.101/24 dev veth0 && ip addr add 192.168.122.101/24 dev br0 && vethlab check' | tail -n3
echo "== without the fix, check fails (exit 1)"
set +e
$sudo docker run --rm "${caps[@]}" vethlab:ci shell bridge-arp --step 3 -- vethlab check >/dev/null
rc=$?
set -e
[ $rc -eq 1 ] || { echo "expected exit 1, got $rc"; exit 1; }
echo "image ok"
