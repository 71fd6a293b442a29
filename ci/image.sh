#!/usr/bin/env bash
# Build the lab image from a clean copy of the committed tree (nothing built on
# this machine goes in) and run the suite and an exercise inside it, with the
# least privilege the README documents. No registry is reachable here, so every
# base image the Dockerfile's FROM lines name (debian:<suite>[-slim]) is made
# locally with debootstrap and `docker import`; apt and crates.io inside the
# build reach their own registries (--network host). The engine is started here
# with no bridge, no iptables and no ip_forward change on the machine, and the
# containers run with --network none. A second run reuses the base images and
# the build cache.
set -euo pipefail
cd "$(dirname "$0")/.."
limit_mb=150
tag=vethlab:ci
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

tmp=$(mktemp -d)
started=""
cleanup() {
  [ -z "$started" ] || $sudo kill "$started" 2>/dev/null || true
  [ -z "$started" ] || wait "$started" 2>/dev/null || true
  $sudo rm -rf "$tmp"
}
trap cleanup EXIT
if ! $sudo docker info >/dev/null 2>&1; then
  $sudo dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false >/tmp/vethlab-dockerd.log 2>&1 &
  started=$!
  for _ in $(seq 100); do $sudo docker info >/dev/null 2>&1 && break; sleep 0.2; done
  $sudo docker info >/dev/null 2>&1 || { cat /tmp/vethlab-dockerd.log; exit 1; }
fi
echo "== docker $($sudo docker version -f '{{.Server.Version}}') (engine), $($sudo docker version -f '{{.Client.Version}}') (client)"

# The committed tree, as a clean clone would have it.
git diff --quiet HEAD -- || echo "note: uncommitted changes are not in the image (it is built from HEAD $(git rev-parse --short HEAD))"
src="$tmp/src"
mkdir "$src" "$tmp/base"
git archive --format=tar HEAD | tar -x -C "$src" -f -

# Base images: the image of every FROM line, not the names of earlier stages.
mapfile -t bases < <(awk '
  toupper($1) == "FROM" {
    img = ""
    for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break }
    if (img != "" && img != "scratch" && !(tolower(img) in stage)) print img
    if (toupper($(NF-1)) == "AS") stage[tolower($NF)] = 1
  }' "$src/Dockerfile" | sort -u)
# extra_cas DIR: each certificate of the host's bundle that Debian's
# ca-certificates does not ship, as DIR/host-extra-N.crt.
extra_cas() {
  local bundle=/etc/ssl/certs/ca-certificates.crt d="$tmp/base/ca" f n=0
  [ -r "$bundle" ] || return 0
  mkdir -p "$d/known" "$d/host"
  split_pem() { awk -v out="$2" '/BEGIN CERT/ { n++; f = out "/" n ".pem" } f { print > f } /END CERT/ { close(f); f = "" }' "$1"; }
  cat /usr/share/ca-certificates/*/*.crt 2>/dev/null > "$d/known.pem" || true
  split_pem "$d/known.pem" "$d/known"
  split_pem "$bundle" "$d/host"
  sum() { tr -d ' \t\r\n' < "$1" | sha256sum | cut -d' ' -f1; }
  for f in "$d"/known/*.pem; do [ -e "$f" ] && sum "$f"; done | sort -u > "$d/known.sums"
  for f in "$d"/host/*.pem; do
    [ -e "$f" ] || continue
    grep -qx "$(sum "$f")" "$d/known.sums" && continue
    n=$((n + 1)); $sudo install -D -m 0644 "$f" "$1/host-extra-$n.crt"
  done
  [ $n -eq 0 ] || echo "   with $n CA certificate(s) this machine trusts beyond Debian's"
  rm -rf "$d"
}
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
mirror=${mirror:-http://deb.debian.org/debian}
[ -z "${VETHLAB_IMAGE:-}" ] || bases=()
for base in "${bases[@]}"; do
  if $sudo docker image inspect "$base" >/dev/null 2>&1; then
    echo "== base $base: present"; continue
  fi
  # Where a registry is reachable (a GitHub runner), the registry's base: the
  # one the published image is built from.
  if timeout 120 $sudo docker pull -q "$base" >/dev/null 2>&1; then
    echo "== base $base: pulled"; continue
  fi
  case "$base" in
    debian:*|docker.io/library/debian:*) suite=${base##*:}; suite=${suite%-slim} ;;
    *) echo "cannot make base image $base here (only debian:<suite>[-slim])"; exit 1 ;;
  esac
  echo "== base $base: debootstrap --variant=minbase $suite"
  root="$tmp/base/$suite"
  $sudo debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$tmp/base/$suite.log" 2>&1 \
    || { tail -n 30 "$tmp/base/$suite.log"; exit 1; }
  # As Docker's official -slim images: apt sources with updates and security,
  # no package lists or caches, no docs, man pages or translations.
  $sudo tee "$root/etc/apt/sources.list" >/dev/null <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SOURCES
  $sudo tee "$root/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
SLIM
  $sudo find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  $sudo find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  $sudo find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  $sudo rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
  # CAs this machine trusts beyond Debian's (a TLS-inspecting proxy's, say),
  # so apt and cargo in the build verify what the host verifies; a base
  # pulled from a registry has none and needs none.
  extra_cas "$root/usr/local/share/ca-certificates"
  $sudo tar -C "$root" -c . | $sudo docker import --change 'CMD ["bash"]' - "$base" >/dev/null
  $sudo rm -rf "$root"
done

rev=$(git rev-parse --short=12 HEAD)
if [ -n "${VETHLAB_IMAGE:-}" ]; then
  # Built already (CI's image job builds once with buildx): tested as is.
  tag=$VETHLAB_IMAGE
  echo "== the image $tag, built already"
else
echo "== docker build -t $tag (classic builder, from HEAD $rev)"
t0=$(date +%s)
DOCKER_BUILDKIT=0 $sudo docker build -q --network host --build-arg VETHLAB_GIT_REV="$rev" -t "$tag" "$src" >"$tmp/build.log" 2>&1 \
  || { tail -n 40 "$tmp/build.log"; exit 1; }
echo "   built in $(( $(date +%s) - t0 ))s"
fi
$sudo docker run --rm "$tag" --version | grep -F "(git $rev" \
  || { echo "the image's vethlab --version does not name $rev"; exit 1; }
size=$($sudo docker image inspect -f '{{.Size}}' "$tag")
echo "   image $(( size / 1000000 )) MB (limit ${limit_mb} MB)"
[ "$size" -lt $(( limit_mb * 1000000 )) ] || { echo "the image is ${limit_mb} MB or more"; exit 1; }

# The README's least-privilege line. Docker's default seccomp profile lets a
# container with CAP_SYS_ADMIN unshare, setns and mount (tested on 20.10.24:
# the same results with and without --security-opt seccomp=unconfined).
caps=(--network none --cap-add NET_ADMIN --cap-add NET_RAW --cap-add SYS_ADMIN)
echo "== docker run ${caps[*]} $tag   (every lab)"
set +e
$sudo docker run --rm "${caps[@]}" "$tag" >"$tmp/run.txt" 2>&1
rc=$?
set -e
grep -E '^ *(SKIP|FAIL)|skipped:' "$tmp/run.txt" || true
tail -n1 "$tmp/run.txt"
if [ $rc -ne 0 ] || ! tail -n1 "$tmp/run.txt" | grep -Eq '^[0-9]+ passed, 0 failed, [0-9]+ skipped'; then
  cat "$tmp/run.txt"; echo "the suite failed in the image (exit $rc)"; exit 1
fi
echo "== the exercise: shell bridge-arp --step 3, the learner's fix, vethlab check"
# (the shell's banner goes to stderr, and Docker warns that ip_forward is off:
# both shown only on failure)
$sudo docker run --rm "${caps[@]}" "$tag" shell bridge-arp --step 3 -- sh -c \
  'ip addr del 192.168.122.101/24 dev veth0 && ip addr add 192.168.122.101/24 dev br0 && vethlab check' \
  >"$tmp/exercise.txt" 2>&1 || { cat "$tmp/exercise.txt"; echo "the exercise failed"; exit 1; }
tail -n3 "$tmp/exercise.txt"
echo "== without the fix, check fails (exit 1)"
set +e
$sudo docker run --rm "${caps[@]}" "$tag" shell bridge-arp --step 3 -- vethlab check >"$tmp/unfixed.txt" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || { cat "$tmp/unfixed.txt"; echo "expected exit 1, got $rc"; exit 1; }
echo "== every step walked through in the image: check fails, the solution typed, check passes twice"
# A learner's walk (as the walkthrough/LAB/STEP trials): the given state's
# check fails; `vethlab solution` run in the step's shell does the task; the
# learner pings what the step is about (warm neighbour caches, as the
# walkthrough trials do); the check then passes twice (a step that waits for
# BGP is given time to agree). A step the kernel cannot run says SKIP with
# exit status 3, never 0.
walk='vethlab check >/var/run/w0 2>&1; c=$?
if [ $c -eq 3 ] && grep -q "^SKIP" /var/run/w0; then echo SKIPPED; exit 0; fi
[ $c -eq 1 ] || { cat /var/run/w0; echo "the check before the task exited $c"; exit 10; }
vethlab solution >/var/run/s.sh && sh -e /var/run/s.sh >/dev/null 2>&1 || { cat /var/run/s.sh; exit 11; }
sh -c "$WARM" >/dev/null 2>&1
i=0; until vethlab check >/dev/null 2>&1 || [ $i -ge 60 ]; do i=$((i+1)); sleep 0.25; done
vethlab check >/dev/null && vethlab check >/dev/null || { vethlab check; exit 12; }'
$sudo docker run --rm "$tag" list --json >"$tmp/list.json"
# Each step's warm-up: its check's pings that must be answered, typed as a
# learner would (from the lab files the image was built from).
python3 -c 'import json,sys
for l in json.load(open(sys.argv[1])):
    f = json.load(open("labs/%s/lab.json" % l["lab"]))
    first = f["nodes"][0]
    for i, st in enumerate(f["steps"], 1):
        warm = []
        for a in st.get("do", []):
            if isinstance(a, dict) and "ping" in a and a.get("result", "reply") == "reply":
                ns = "" if a["from"] == first else "ip netns exec %s " % a["from"]
                dev = "-I %s " % a["dev"] if a.get("dev") else ""
                warm.append("%sping -n -c 1 -W 1 %s%s" % (ns, dev, a["ping"]))
        print("%s\t%s\t%s" % (l["lab"], i, "; ".join(warm) or "true"))' "$tmp/list.json" >"$tmp/steps.txt"
n=0
while IFS=$'\t' read -r lab step warm; do
  $sudo docker run --rm "${caps[@]}" -e WARM="$warm" "$tag" shell "$lab" --step "$step" -- sh -c "$walk" \
    >"$tmp/walk.txt" 2>&1 </dev/null || { cat "$tmp/walk.txt"; echo "walkthrough $lab/$step failed in the image"; exit 1; }
  n=$((n+1))
done <"$tmp/steps.txt"
echo "   $n steps walked through"
echo "image ok"
