#!/usr/bin/env bash
# The kernel matrix: the suite under a real distribution kernel (Debian's
# user-mode Linux: 6.1 on bookworm, 6.12 on trixie; no KVM needed), in these modes:
#   none  no optional module loaded (a plain laptop kernel): steps that need
#         ipip or vxlan SKIP naming `sudo modprobe ...`, nothing fails, and no
#         module is loaded by the run (no tunl0 appears anywhere);
#   all   ipip gre ip_gre sit ip6_tunnel vxlan dummy vrf loaded first (a Calico
#         node): tunl0, gre0, gretap0, erspan0, sit0, ip6tnl0 sit in every new
#         namespace; every step PASSES, none skips.
#   ipip  ipip and vxlan only (the articles' own hosts: tunl0 at ifindex 2 and
#         nothing else), where the article transcripts that need ipip run:
#         every step passes, and the transcripts (only) from the test binary.
#   5.10-none     Debian 11's kernel (Linux 5.10, its user-mode-linux from
#         bullseye), no optional module: no mount_setattr, and no per-device
#         neighbour sysctls in a user namespace's netns (netlink sets them);
#         tunnel steps SKIP naming `sudo modprobe ...`, nothing fails.
#   5.10-tunnels  the same kernel with ipip, ip_gre and vxlan: every step passes.
#         The 5.10 modes run `vethlab run` once and not the test binary (about
#         40 s each); the kernel is fetched once into UML510_DIR (default
#         ~/.cache/vethlab/uml-5.10) with apt-get download from bullseye.
# In each mode `vethlab run` runs RUNS times (default 3; 20 for the soak the
# README quotes) and the `cargo test` labs binary once (WITH_TESTS=0 skips it).
#   ci/kernel-matrix.sh [none|all|ipip|5.10-none|5.10-tunnels]...
#   RUNS=20 WITH_TESTS=0 ci/kernel-matrix.sh
# VM_THREADS (default 2): the test binary's --test-threads inside the VM.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
# Trials at once in the VM's one CPU (default 2). The mutation trials alone
# took 46 s at 2 and 22 s at 8, but a whole run at 8 under a host load of
# 45-70 took 1299 s and lost two trials to their 30 s event timeouts (the
# shell under tmux, the kill-9 moments): more only on a quiet host.
vm_threads=${VM_THREADS:-2}
modes=("$@"); [ ${#modes[@]} -gt 0 ] || modes=(none all 5.10-none 5.10-tunnels)
all_mods=ipip,gre,ip_gre,sit,ip6_tunnel,vxlan,dummy,vrf
optional='^(ipip|ip_gre|gre|sit|ip6_tunnel|vxlan|dummy|vrf|geneve)$'

cargo build --release -q -p vethlab
tests=$(cargo test --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*\/labs-[^"]*\)".*/\1/p' | tail -n1)
[ -x "$tests" ] || { echo "kernel-matrix: no labs test binary"; exit 1; }
vm=ci/run-in-vm.sh

# Debian 11's user-mode Linux 5.10, unpacked once (apt-get download needs no root).
uml510() {
  local dir=${UML510_DIR:-$HOME/.cache/vethlab/uml-5.10}
  if [ ! -x "$dir/usr/bin/linux.uml" ]; then
    local a; a=$(mktemp -d)
    mkdir -p "$a/state/lists/partial" "$a/cache/archives/partial" "$dir"
    echo "deb http://deb.debian.org/debian bullseye main" >"$a/sources.list"
    local o=(-o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o Dir::State="$a/state" -o Dir::Cache="$a/cache" -o Debug::NoLocking=1)
    (cd "$a" && apt-get "${o[@]}" -qq update && apt-get "${o[@]}" -qq download user-mode-linux/bullseye) >/dev/null 2>&1 \
      && dpkg-deb -x "$a"/user-mode-linux_*.deb "$dir"
    rm -rf "$a"
    [ -x "$dir/usr/bin/linux.uml" ] || { echo "kernel-matrix: cannot fetch bullseye's user-mode-linux"; return 1; }
  fi
  export UML_KERNEL=$dir/usr/bin/linux.uml UML_MODULES=$dir/usr/lib/uml/modules
}
# Not under /tmp: under 5.10 files read through the VM's /tmp layer come back wrong.
mkdir -p target; out=$(mktemp -d "$PWD/target/kernel-matrix.XXXXXX"); trap 'rm -rf "$out"' EXIT
chmod 755 "$out"

# What runs inside the VM: the machine's own links and modules before and
# after, the runs, the test binary. Its output is judged outside.
cat >"$out/in-vm.sh" <<'INVM'
set -u
mods() { cut -d' ' -f1 /proc/modules | sort; }
# The VM's own neighbour table, not a caller's: the kernel garbage-collects
# FAILED entries of every namespace each 15 s once the machine-wide ARP table
# holds gc_thresh1 (128) entries, which four whole runs at once on the VM's one
# CPU reach, and a step's "INCOMPLETE or FAILED" (O4.4, O3.10) read late then
# finds the entry gone. Known limit, noted in the README; not for the host.
sysctl -qw net.ipv4.neigh.default.gc_thresh1=4096
ip -o link | sed 's/ link-netnsid [0-9]*//' >"$OUT/links-before"; mods >"$OUT/mods-before"
for i in $(seq "$RUNS"); do
  timeout 300 target/release/vethlab run >"$OUT/run-$i.txt" 2>&1; echo $? >"$OUT/run-$i.rc"
done
if [ "$WITH_TESTS" = 1 ]; then
  (cd harness && timeout 2400 "$TESTS" --test-threads "$THREADS" $FILTER >"$OUT/tests.txt" 2>&1; echo $? >"$OUT/tests.rc")
fi
ip -o link | sed 's/ link-netnsid [0-9]*//' >"$OUT/links-after"; mods >"$OUT/mods-after"
INVM

fail=0
for mode in "${modes[@]}"; do
  rm -f "$out"/*.txt "$out"/*.rc "$out"/*-before "$out"/*-after
  unset UML_KERNEL UML_MODULES
  mode_runs=$runs with_tests=${WITH_TESTS:-1}
  case $mode in
    # The learner-session trials (attempt/, doctor/, readme/: a shell each,
    # slow on the VM's one CPU) judge checks and texts, not kernels: they
    # run on the host; walkthrough/ keeps one shell per step here. So does
    # safety/four-parallel-runs: four whole runs (40 labs at once) beside
    # the binary's own trials on one CPU starve the labs' 100 ms ARP probes
    # (calico-bird's ping: "Destination Host Unreachable") and the kernel's
    # addrconf work: a test of the CPU, not of collisions. The host runs it
    # in every `cargo test` and rootless; here `vethlab run` runs 3 times.
    none) args=(); filter="--skip attempt/ --skip doctor/ --skip readme/ --skip safety/four-parallel-runs" ;;
    all) args=(--modules "$all_mods"); filter="--skip attempt/ --skip doctor/ --skip readme/ --skip safety/four-parallel-runs" ;;
    ipip) args=(--modules ipip,vxlan); filter=transcript/ ;;
    5.10-none|5.10-tunnels)
      uml510 || { fail=1; continue; }
      args=(); [ "$mode" = 5.10-none ] || args=(--modules ipip,ip_gre,vxlan)
      filter="" mode_runs=1 with_tests=0 ;;
    *) echo "kernel-matrix: unknown mode $mode (none, all, ipip, 5.10-none, 5.10-tunnels)"; exit 2 ;;
  esac
  echo "== kernel matrix, mode $mode: vethlab run x$mode_runs$([ "$with_tests" = 1 ] && echo ' and the labs test binary')"
  set +e
  OUT=$out RUNS=$mode_runs TESTS=$tests FILTER=$filter WITH_TESTS=$with_tests THREADS=$vm_threads "$vm" "${args[@]}" --rw "$out" --timeout 3000 -- bash "$out/in-vm.sh"
  rc=$?
  set -e
  [ $rc -eq 0 ] || { echo "  the VM failed (exit $rc)"; fail=1; continue; }
  head -n1 "$out/run-1.txt" | sed 's/^/  /'
  for i in $(seq "$mode_runs"); do
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$out/run-$i.txt" || true)
    read -r p _ f _ s _ <<<"${line:-0 x 1 x 0 x}"
    bad=""
    [ "$(cat "$out/run-$i.rc")" = 0 ] || bad="exit $(cat "$out/run-$i.rc")"
    [ "$f" = 0 ] || bad="$bad $f failed"
    case $mode in *none) ;; *) [ "$s" = 0 ] || bad="$bad $s skipped (every kind it needs is loaded)" ;; esac
    if [ "${mode%none}" != "$mode" ] && grep -A1 '^SKIP' "$out/run-$i.txt" | grep 'skipped:' | grep -vq 'sudo modprobe'; then
      bad="$bad a skip without its modprobe reason"
    fi
    echo "  run $i: ${line:-no summary}${bad:+  <- $bad}"
    if [ -n "$bad" ]; then fail=1; grep -E -A12 '^(FAIL|SKIP)' "$out/run-$i.txt" | head -n 60 | sed 's/^/    /'; fi
  done
  if [ "$with_tests" = 1 ]; then
    trc=$(cat "$out/tests.rc" 2>/dev/null || echo none)
    echo "  labs test binary: $(grep -E '^test result' "$out/tests.txt" | tail -n1) (exit $trc)"
    grep -E '^test .*\.\.\. ignored' "$out/tests.txt" | sed 's/^test */    ignored: /' | head -n 20
    if [ "$trc" != 0 ]; then fail=1; grep -E -A20 '^----|^failures' "$out/tests.txt" | head -n 80 | sed 's/^/    /'; fi
  fi
  if ! diff -q "$out/links-before" "$out/links-after" >/dev/null; then
    echo "  the VM's own links changed:"; diff "$out/links-before" "$out/links-after" | sed 's/^/    /'; fail=1
  fi
  loaded=$(comm -13 "$out/mods-before" "$out/mods-after" | grep -E "$optional" || true)
  if [ -n "$loaded" ]; then
    echo "  the run loaded optional modules: $loaded"; fail=1
  else
    echo "  the VM's own links unchanged; no optional module loaded by the run"
  fi
done
exit $fail
