#!/usr/bin/env bash
# What `cargo install` gives a user: `cargo install --locked --path harness
# --root DIR`, then DIR/bin/vethlab run from `/` (no checkout near it, no
# VETHLAB_LABS) lists every lab of the repository and runs veth-pair; and
# the crate packages cleanly (`cargo publish --dry-run`: the included files
# only, the labs copied in, no symlink to /dev/zero followed).
#
# Reuses the workspace's target directory (the release build ci/deb.sh and
# the image job make anyway). The run of veth-pair uses sudo when not root
# (after the build). Set VETHLAB_SKIP_PUBLISH=1 to skip the dry run.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
# VETHLAB_INSTALL_DEBUG=1: `cargo install --debug`, reusing the debug build
# `cargo test` made (ci/test.sh: seconds instead of a release build).
debug=(); [ "${VETHLAB_INSTALL_DEBUG:-0}" != 1 ] || debug=(--debug)
echo "== cargo install --locked ${debug[*]} --path harness --root $root"
cargo install -q --locked "${debug[@]}" --path harness --root "$root"
bin="$root/bin/vethlab"
"$bin" --version
want=$(for f in labs/*/lab.json; do basename "$(dirname "$f")"; done | sort | tr '\n' ' ')
got=$(cd / && env -u VETHLAB_LABS "$bin" list --json \
  | python3 -c 'import json,sys; print(" ".join(sorted(l["lab"] for l in json.load(sys.stdin))))')
echo "   labs listed from /: $got"
[ "$got " = "$want" ] || { echo "the installed binary lists [$got], the repository has [$want]"; exit 1; }
sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
  echo "== (cd / && ${sudo[*]} vethlab run veth-pair)"
  (cd / && "${sudo[@]}" env -u VETHLAB_LABS "$bin" run veth-pair) | tail -n1
else
  echo "   (not root and no sudo: the run of veth-pair is skipped)"
fi
if [ "${VETHLAB_SKIP_PUBLISH:-0}" != 1 ]; then
  echo "== cargo publish --dry-run -p vethlab"
  n=$(cargo package -q --list -p vethlab --allow-dirty | wc -l)
  echo "   $n files in the package"
  out=$(mktemp)
  cargo publish --dry-run --locked -p vethlab --allow-dirty >"$out" 2>&1 || { cat "$out"; rm -f "$out"; exit 1; }
  grep -E '^ *Packaged' "$out" || true
  rm -f "$out"
fi
echo "install ok"
