#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium (Debian's `chromium`,
# installed by ci/setup.sh) opens every page written by `vethlab run --html`,
# a screenshot of each goes to SHOTS, and the live DOM must show no two text
# boxes overlapping, no text past the edge of its picture and no ladder arrow
# through a label (ci/browser.py). It first proves it can fail: pages built
# to break each rule must each be caught (--self-test).
#
# Chromium runs with --no-sandbox: CI runs as root, and Chromium's sandbox
# refuses to start as root. The pages are this run's own files opened from
# disk, with host resolution switched off, so there is nothing to contain.
#
# Usage: ci/browser.sh [HTML_DIR [SHOTS_DIR]]
set -euo pipefail
dir=${1:-ci-artifacts/html}
shots=${2:-ci-artifacts/screenshots}
shopt -s nullglob
pages=("$dir"/*.html)
if [ ${#pages[@]} -eq 0 ]; then
  echo "browser: no page in $dir"; exit 1
fi
exec python3 "$(dirname "$0")/browser.py" --self-test --shots "$shots" "${pages[@]}"
