#!/usr/bin/env bash
# Where the labs test binary's time goes, trial by trial: libtest-mimic
# prints no durations, so each outcome line is stamped as it arrives, and a
# trial's start is read from the pool's order (N workers take the trials in
# list order: trial i starts when outcome i-N+1 arrives). Prints the slowest
# trials, the sum of their durations and the binary's CPU time.
#
#   bash ci/trial-times.sh [THREADS [TOP [FILTER…]]]   # after cargo test --no-run
set -euo pipefail
cd "$(dirname "$0")/../harness"
threads=${1:-$((6 * $(nproc)))}
top=${2:-25}
shift $(($# < 2 ? $# : 2))
bin=$(cargo test --no-run --message-format=json --test labs 2>/dev/null |
  python3 -c 'import sys, json
for l in sys.stdin:
    m = json.loads(l)
    if m.get("target", {}).get("name") == "labs" and m.get("executable"): print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" --list "$@" 2>/dev/null >"$out/list"
/usr/bin/time -f "wall %e s, user %U s, sys %S s" -o "$out/time" \
  "$bin" --test-threads "$threads" "$@" 2>"$out/stderr" |
  python3 -u -c 'import sys, time
t0 = time.monotonic()
for l in sys.stdin: print(f"{time.monotonic() - t0:.3f} {l}", end="", flush=True)' >"$out/log" || true
python3 - "$out/list" "$out/log" "$threads" "$top" <<'EOF'
import re, sys
listing, log, n, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
order = [l.rsplit(": ", 1)[0].split("] ")[-1] for l in open(listing) if l.endswith(": test\n")]
ends, done = {}, []
for l in open(log):
    m = re.match(r"([\d.]+) test\s+(?:\[\w+\]\s+)?(\S+)\s+\.\.\. (\w+)", l)
    if m:
        ends[m.group(2)] = (float(m.group(1)), m.group(3))
        done.append(float(m.group(1)))
rows = []
for i, name in enumerate(order):
    if name in ends:
        start = 0.0 if i < n else done[i - n]
        end, res = ends[name]
        rows.append((end - start, start, end, res, name))
rows.sort(reverse=True)
for d, s, e, res, name in rows[:top]:
    print(f"{d:7.2f} s  {s:6.2f}-{e:6.2f}  {res:7} {name}")
print(f"{len(rows)} trials, {n} threads, sum of durations {sum(r[0] for r in rows):.1f} s")
EOF
# What failed, and why (the binary's own failure report).
sed -n 's/^[0-9.]* //; /^failures:$/,/^test result/p' "$out/log"
grep -h "test result" "$out/log" | cut -d' ' -f2- || true
cat "$out/time"
