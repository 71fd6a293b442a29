#!/usr/bin/env bash
# The lab suite from binaries already built (GitHub's labs job: cargo builds
# as the runner's user, so Swatinem/rust-cache can save target/; only this
# runs under sudo, and it runs no cargo build).
#
#   cargo build --locked --bins && cargo test --locked --no-run --message-format=json > target/ci-tests.json
#   sudo bash ci/suite.sh target/ci-tests.json
#
# Every test executable cargo listed (the labs trials, the library's and
# binaries' unit tests, layout, library), the rootless phase as `nobody`, the
# report (ci-artifacts/report.json, junit.xml, html/, pcaps/), the HTML
# opened headless, the shards, and the machine's network unchanged. As
# ci/test.sh, without lint (its own job), the kernel matrix and the image
# (their own jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
list=${1:-target/ci-tests.json}
[ "$(id -u)" -eq 0 ] || { echo "ci/suite.sh runs as root (sudo)"; exit 2; }
before=$(bash ci/host-snapshot.sh)
mapfile -t tests < <(python3 -c 'import json, sys
seen = set()
for line in open(sys.argv[1]):
    m = json.loads(line) if line.startswith("{") else {}
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        if m["executable"] not in seen:
            seen.add(m["executable"]); print(m["executable"])' "$list")
[ ${#tests[@]} -gt 0 ] || { echo "no test executables in $list"; exit 1; }
for t in "${tests[@]}"; do
  echo "== $(basename "$t")"
  case "$(basename "$t")" in
    labs-*) "$t" --test-threads 2 ;;
    *) "$t" -q ;;
  esac
done
# The scripts below call `cargo build` first: everything is fresh, so it
# compiles nothing (and writes nothing root-owned into target/).
echo "== rootless: the lab suite as user nobody, in a user namespace"
bash ci/rootless.sh
echo "== report: ci-artifacts/report.json, junit.xml, html/ and pcaps/"
rm -rf ci-artifacts && mkdir -p ci-artifacts
target/debug/vethlab run --json ci-artifacts/report.json --junit ci-artifacts/junit.xml \
  --pcap-dir ci-artifacts/pcaps --html ci-artifacts/html > ci-artifacts/run.txt \
  || { cat ci-artifacts/run.txt; exit 1; }
tail -n1 ci-artifacts/run.txt
echo "== the HTML report in headless Chromium"
bash ci/browser.sh ci-artifacts/html ci-artifacts/screenshots
echo "== shards"
bash ci/shards.sh ci-artifacts/shards 3
after=$(bash ci/host-snapshot.sh)
if [ "$before" != "$after" ]; then
  echo "the machine's own network changed:"; diff <(echo "$before") <(echo "$after"); exit 1
fi
echo "== the machine's links, addresses, routes, neighbours, netns and sysctls are unchanged"
