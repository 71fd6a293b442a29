#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium (Debian's `chromium`,
# installed by ci/setup.sh) opens every page written by `vethlab run --html`,
# a screenshot of each goes to SHOTS, and the live DOM must show no two text
# boxes overlapping, no text past the edge of its picture, no ladder arrow
# through a label, no topology cable under a box it does not connect, every
# data-link end drawn, veth cables joining peers, no picture cut, and every
# href resolving from its page (ci/browser.py). It first proves it can fail:
# pages built to break each rule must each be caught (--self-test).
#
# Then links that travel: the README's own `vethlab run --html report/`
# (relative, no --pcap-dir), the folder moved elsewhere, every href of every
# page must still resolve (VETHLAB: the binary, default target/debug/vethlab).
#
# Chromium runs with --no-sandbox: CI runs as root, and Chromium's sandbox
# refuses to start as root. The pages are this run's own files opened from
# disk, with host resolution switched off, so there is nothing to contain.
#
# Usage: ci/browser.sh [HTML_DIR [SHOTS_DIR]]
set -euo pipefail
dir=${1:-ci-artifacts/html}
shots=${2:-ci-artifacts/screenshots}
here=$(cd "$(dirname "$0")" && pwd)
vethlab=${VETHLAB:-target/debug/vethlab}
if [ ! -x "$vethlab" ]; then
  echo "browser: no vethlab binary at $vethlab (cargo build, or set VETHLAB)"; exit 1
fi
vethlab=$(realpath "$vethlab")
shopt -s nullglob
pages=("$dir"/*.html)
if [ ${#pages[@]} -eq 0 ]; then
  echo "browser: no page in $dir"; exit 1
fi
python3 "$here/browser.py" --self-test --shots "$shots" "${pages[@]}"

echo "== links that travel: --html report/ alone, then the folder moved"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && "$vethlab" run veth-pair flannel --html report/ >/dev/null)
mkdir "$tmp/elsewhere" && mv "$tmp/report" "$tmp/elsewhere/moved"
moved=("$tmp"/elsewhere/moved/*.html)
python3 "$here/browser.py" --hrefs-only "${moved[@]}"
