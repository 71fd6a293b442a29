#!/usr/bin/env bash
# What CI runs (and what .github/workflows calls): set-up, the README's test
# command, then the same suite rootless as an unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh

echo "== cargo test (as $(id -un))"
cargo test

echo "== rootless: the lab suite as user nobody, in a user namespace"
bash ci/rootless.sh
