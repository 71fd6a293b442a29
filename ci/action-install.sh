#!/usr/bin/env bash
# The GitHub Action's install step (action.yml): puts `vethlab` on PATH.
#
#   ci/action-install.sh VERSION DEST
#
# VERSION: a release tag (v0.1.0), `latest`, or empty (the action's own ref
# when that is a tag, else latest). The released tarball for this machine's
# architecture is downloaded and checked against the release's SHA256SUMS.
# When no release can be had (the action used as `uses: ./`, a branch, a fork
# without releases), vethlab is built from the action's own checkout with
# `cargo install --locked` (as this user: no sudo before a build). Prints the
# binary's path last.
set -euo pipefail
version=${1:-}
dest=${2:-${RUNNER_TEMP:-/tmp}/vethlab}
here=$(cd "$(dirname "$0")/.." && pwd)
repo=${GITHUB_ACTION_REPOSITORY:-}
if [ -z "$version" ]; then
  case "${GITHUB_ACTION_REF:-}" in v*) version=$GITHUB_ACTION_REF ;; *) version=latest ;; esac
fi
arch=$(uname -m)
asset="vethlab-$arch-unknown-linux-gnu.tar.gz"
mkdir -p "$dest/bin"
fetched=""
if [ -n "$repo" ] && command -v curl >/dev/null; then
  if [ "$version" = latest ]; then base="https://github.com/$repo/releases/latest/download"
  else base="https://github.com/$repo/releases/download/$version"; fi
  tmp=$(mktemp -d)
  if curl -fsSL --retry 3 -o "$tmp/$asset" "$base/$asset" \
     && curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$base/SHA256SUMS"; then
    (cd "$tmp" && grep " $asset\$" SHA256SUMS | sha256sum -c -) >&2
    tar -xzf "$tmp/$asset" -C "$tmp"
    install -m 0755 "$tmp/vethlab" "$dest/bin/vethlab"
    fetched="release $version of $repo"
  else
    echo "no release $version of $repo for $arch: building from the action's checkout" >&2
  fi
  rm -rf "$tmp"
fi
if [ -z "$fetched" ]; then
  if ! dpkg -s libpcap-dev >/dev/null 2>&1 || ! command -v pkg-config >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev pkg-config >&2
  fi
  cargo install -q --locked --path "$here/harness" --root "$dest" >&2
  fetched="built from $here"
fi
echo "vethlab: $("$dest/bin/vethlab" --version) ($fetched)" >&2
echo "$dest/bin/vethlab"
