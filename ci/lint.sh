#!/usr/bin/env bash
# The habits CI enforces before any lab runs: formatting, clippy with warnings
# as errors (tests too), docs without warnings, and the library's unit tests
# run as an unprivileged user (they need no namespace and no root), and the
# GitHub workflow and every lab validated against their schemas
# (check-jsonschema, from PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy -q --all-targets -- -D warnings
echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps -p vethlab
echo "== .github/workflows/*.yml and action.yml against GitHub's schemas"
if ! command -v check-jsonschema >/dev/null; then
  python3 -m pip install -q --user check-jsonschema 2>/dev/null \
    || python3 -m pip install -q --user --break-system-packages check-jsonschema
  export PATH="$HOME/.local/bin:$PATH"
fi
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
check-jsonschema --builtin-schema vendor.github-actions action.yml
echo "== every shipped lab against labs/lab.schema.json (what vethlab schema prints), independently"
check-jsonschema --schemafile labs/lab.schema.json labs/*/lab.json
python3 ci/schema.py labs/lab.schema.json labs/*/lab.json
echo "== every shipped lab in the canonical layout (vethlab fmt --check)"
cargo run -q -p vethlab -- fmt --check labs/*/lab.json
echo "== cargo test --lib, unprivileged"
bin=$(cargo test --lib --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*\/vethlab-[^"]*\)".*/\1/p' | head -n1)
[ -x "$bin" ] || { echo "no library test binary"; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
  tmp=$(mktemp -d); chmod 755 "$tmp"; cp "$bin" "$tmp/"
  trap 'rm -rf "$tmp"' EXIT
  su "${ROOTLESS_USER:-nobody}" -s /bin/sh -c "cd '$tmp' && ./$(basename "$bin")"
else
  "$bin"
fi
