#!/usr/bin/env bash
# Builds the allocator oracle once per go.sum and prints the binary's path.
# The binary is cached under ~/.cache/gpudra-build/allocator-oracle/<go.sum hash>/
# because a cold Go build of the Kubernetes modules takes minutes on small machines.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
key="$(cat "$here/go.sum" "$here/go.mod" "$here/main.go" | sha256sum | cut -c1-16)"
cache="${GPUDRA_BUILD_CACHE:-$HOME/.cache/gpudra-build}/allocator-oracle/$key"
bin="$cache/allocator-oracle"
if [[ ! -x "$bin" ]]; then
  mkdir -p "$cache"
  (cd "$here" && go build -trimpath -o "$bin.tmp" .) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
