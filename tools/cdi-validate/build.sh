#!/usr/bin/env bash
# Builds cdi-validate once per content of go.mod, go.sum and main.go, caches the binary under
# ~/.cache/gpudra-build/cdi-validate/<hash>/, and links it at the path given as $1.
# A second build with the same sources reuses the cached binary without invoking Go.
set -euo pipefail

link=${1:?usage: build.sh <link-path>}
src=$(cd "$(dirname "$0")" && pwd)
cache_base=${GPUDRA_BUILD_CACHE:-$HOME/.cache/gpudra-build}

key=$(cat "$src/go.sum" "$src/go.mod" "$src/main.go" | sha256sum | cut -c1-16)
bin_dir="$cache_base/cdi-validate/$key"
bin="$bin_dir/cdi-validate"

if [[ ! -x "$bin" ]]; then
  go_bin=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  if [[ ! -x "$go_bin" ]]; then
    echo "cdi-validate: no Go toolchain (looked for 'go' on PATH and /usr/local/go/bin/go)." >&2
    echo "Install Go 1.26+ or set GO=/path/to/go; skip the reference-CDI checks with -DskipITs." >&2
    exit 1
  fi
  mkdir -p "$bin_dir"
  # Build to a private name and rename, so parallel builds never see a half-written binary.
  tmp="$bin_dir/.cdi-validate.$$"
  echo "cdi-validate: building with $("$go_bin" version) into $bin_dir"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=readonly "$go_bin" build -trimpath -o "$tmp" .)
  mv -f "$tmp" "$bin"
else
  echo "cdi-validate: using cached $bin"
fi

mkdir -p "$(dirname "$link")"
ln -sfn "$bin" "$link"
