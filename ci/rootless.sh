#!/usr/bin/env bash
# Run the built test binary and `vethlab run` as an unprivileged user. Where
# the kernel refuses unprivileged user namespaces, vethlab must say so and exit 2.
set -euo pipefail
cd "$(dirname "$0")/.."
user=${ROOTLESS_USER:-nobody}
cargo build -q --bin vethlab
built=$(cargo test --no-run --message-format=json 2>/dev/null)
bin=$(sed -n 's/.*"executable":"\([^"]*\/labs-[^"]*\)".*/\1/p' <<<"$built" | tail -n1)
# The library as another crate uses it (Runner from plain #[test]s).
libtest=$(sed -n 's/.*"executable":"\([^"]*\/library-[^"]*\)".*/\1/p' <<<"$built" | tail -n1)
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: running as $(id -un) directly"
  run() { "$@"; }
else
  tmp=$(mktemp -d); chmod 755 "$tmp"
  cp "$bin" "$libtest" target/debug/vethlab "$tmp/"
  run() { su "$user" -s /bin/sh -c "cd '$PWD' && VETHLAB_LABS='$PWD/labs' $*"; }
  bin="$tmp/$(basename "$bin")"
  libtest="$tmp/$(basename "$libtest")"
  trap 'rm -rf "$tmp"' EXIT
fi
set +e
run "$bin"; rc=$?
set -e
if [ $rc -eq 2 ]; then
  echo "unprivileged user namespaces are not allowed here: vethlab said why (exit 2); rootless skipped"
  exit 0
fi
[ $rc -eq 0 ] || exit $rc
run "$libtest"
run "${tmp:-target/debug}/vethlab" run >/dev/null && echo "rootless vethlab run: all labs passed"
