#!/usr/bin/env bash
# The .deb in a clean Debian container: installed with apt (its Depends and
# Recommends resolved from Debian), then, with no network and the least
# privilege the README documents, `vethlab list` and `vethlab run veth-pair`
# as root, the man page and the completions where Debian looks for them.
#
#   sudo bash ci/deb-test.sh target/debian/vethlab_0.1.0-1_amd64.deb [SUITE]
#
# SUITE (default bookworm) names the debian:SUITE image: pulled where a
# registry is reachable, else made with debootstrap and `docker import`.
# The engine, if not running, is started as ci/image.sh starts it (no
# bridge, no iptables). Prints the container's transcript.
set -euo pipefail
deb=$(readlink -f "$1"); suite=${2:-bookworm}
[ -f "$deb" ] || { echo "no .deb at $1"; exit 2; }
base="debian:$suite"
tmp=$(mktemp -d); started=""
cleanup() {
  docker rm -f "vethlab-deb-$$" >/dev/null 2>&1 || true
  docker rmi "vethlab-deb:$$" >/dev/null 2>&1 || true
  [ -z "$started" ] || { kill "$started" 2>/dev/null; wait "$started" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! docker info >/dev/null 2>&1; then
  dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false >"$tmp/dockerd.log" 2>&1 &
  started=$!
  for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { cat "$tmp/dockerd.log"; exit 1; }
fi
if ! docker image inspect "$base" >/dev/null 2>&1 && ! timeout 120 docker pull -q "$base" >/dev/null 2>&1; then
  echo "== $base: debootstrap --variant=minbase $suite, docker import"
  debootstrap --variant=minbase "$suite" "$tmp/root" http://deb.debian.org/debian >"$tmp/debootstrap.log" 2>&1 \
    || { tail -n 20 "$tmp/debootstrap.log"; exit 1; }
  tar -C "$tmp/root" -c . | docker import --change 'CMD ["bash"]' - "$base" >/dev/null
fi
echo "== apt-get install ./$(basename "$deb") in a clean $base"
cp "$deb" "$tmp/vethlab.deb"
docker run --name "vethlab-deb-$$" --network host -v "$tmp/vethlab.deb:/tmp/vethlab.deb:ro" "$base" sh -c \
  'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/vethlab.deb >/tmp/apt.log 2>&1 || { tail -n 30 /tmp/apt.log; exit 1; }
   dpkg -s vethlab | grep -E "^(Version|Depends|Recommends):"
   dpkg -L vethlab | grep -E "bin/|man1|completions|vendor"' 
docker commit "vethlab-deb-$$" "vethlab-deb:$$" >/dev/null
echo "== as root, --network none, NET_ADMIN NET_RAW SYS_ADMIN: vethlab list; vethlab run veth-pair"
docker run --rm --network none --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN \
  -w / "vethlab-deb:$$" sh -ec \
  'vethlab --version
   vethlab list | grep -v "^ "
   vethlab run veth-pair
   zcat /usr/share/man/man1/vethlab.1.gz | grep -m1 "^\.TH"
   test -s /usr/share/bash-completion/completions/vethlab'
echo "deb ok"
