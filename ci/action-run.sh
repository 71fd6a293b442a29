#!/usr/bin/env bash
# The GitHub Action's run step (action.yml): the user's labs, run with sudo.
#
#   ci/action-run.sh VETHLAB OUT_DIR 'LABS' 'ARGS'
#
# LABS: whitespace-separated paths or globs (relative to the working
# directory): lab files, directories holding a lab.json, or directories of
# lab directories (DIR/*/lab.json). ARGS: more `vethlab run` arguments.
# Writes OUT_DIR/report.json, junit.xml, html/, pcaps/ (owned by this user,
# for upload) and run.txt; exits with vethlab's status (1: a step failed,
# 2: bad input or environment).
set -euo pipefail
bin=$1; out=$2; labs=$3; args=${4:-}
shopt -s nullglob globstar
targets=()
for pat in $labs; do
  matched=0
  for p in $pat; do
    matched=1
    if [ -f "$p" ]; then targets+=("$p")
    elif [ -f "$p/lab.json" ]; then targets+=("$p/lab.json")
    elif [ -d "$p" ]; then
      for f in "$p"/*/lab.json; do targets+=("$f"); done
    fi
  done
  [ $matched = 1 ] || { echo "vethlab action: \`$pat\` matches nothing (in $PWD)" >&2; exit 2; }
done
[ ${#targets[@]} -gt 0 ] || { echo "vethlab action: no lab file in \`$labs\`" >&2; exit 2; }
rm -rf "$out" && mkdir -p "$out"
sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo --preserve-env=NO_COLOR)
echo "== sudo vethlab run ${targets[*]} $args"
set +e
# shellcheck disable=SC2086 # ARGS is split as a command line
"${sudo[@]}" "$bin" run "${targets[@]}" --json "$out/report.json" --junit "$out/junit.xml" \
  --pcap-dir "$out/pcaps" --html "$out/html" $args 2>&1 | tee "$out/run.txt"
rc=${PIPESTATUS[0]}
set -e
[ ${#sudo[@]} -eq 0 ] || sudo chown -R "$(id -u):$(id -g)" "$out"
exit "$rc"
