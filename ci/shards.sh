#!/usr/bin/env bash
# Sharding, as a matrix of runners would use it: `vethlab run --shard I/3` for
# I = 1..3 must together report exactly the steps of an unsharded run, each
# once, with the same outcome; the shards' JUnit files are then merged into
# one (what a test reporter shows). Usage: ci/shards.sh [OUT_DIR] [N]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-ci-artifacts/shards}
n=${2:-3}
mkdir -p "$out"
cargo build -q --bin vethlab
vethlab=target/debug/vethlab
"$vethlab" run --junit "$out/unsharded.xml" >/dev/null
for i in $(seq 1 "$n"); do
  "$vethlab" run --shard "$i/$n" --junit "$out/shard-$i-of-$n.xml" >/dev/null
done
python3 - "$out" "$n" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
out, n = sys.argv[1], int(sys.argv[2])

def cases(path):
    got = []
    for c in ET.parse(path).iter("testcase"):
        kind = "fail" if c.find("failure") is not None or c.find("error") is not None \
            else "skip" if c.find("skipped") is not None else "pass"
        got.append((c.get("classname"), c.get("name"), kind))
    return got

whole = cases(f"{out}/unsharded.xml")
parts = [cases(f"{out}/shard-{i}-of-{n}.xml") for i in range(1, n + 1)]
merged = [c for p in parts for c in p]
for i, p in enumerate(parts, 1):
    if not p:
        sys.exit(f"shard {i}/{n} ran nothing: the split leaves a runner idle")
if len(set(merged)) != len(merged):
    dup = sorted({c for c in merged if merged.count(c) > 1})
    sys.exit(f"steps run by more than one shard: {dup}")
if sorted(merged) != sorted(whole):
    sys.exit(f"shards differ from the unsharded run:\n only sharded: {sorted(set(merged) - set(whole))}\n"
             f" only unsharded: {sorted(set(whole) - set(merged))}")
# One report, as a reporter merging the shards' files shows it.
root = ET.Element("testsuites", name="vethlab (merged shards)")
for i in range(1, n + 1):
    for s in ET.parse(f"{out}/shard-{i}-of-{n}.xml").getroot().iter("testsuite"):
        root.append(s)
# The Jenkins schema counts no skips on <testsuites> (each suite has its own).
for k in ("tests", "failures", "errors"):
    root.set(k, str(sum(int(s.get(k, "0")) for s in root)))
ET.ElementTree(root).write(f"{out}/merged.xml", encoding="UTF-8", xml_declaration=True)
sizes = ", ".join(str(len(p)) for p in parts)
print(f"shards: {n} shards ({sizes} steps) report the same {len(whole)} steps as one run; merged JUnit: {out}/merged.xml")
PY
