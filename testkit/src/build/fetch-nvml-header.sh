#!/usr/bin/env bash
# Puts NVIDIA's nvml.h (from Debian's non-free package libnvidia-ml-dev) at $1/nvml.h.
#
# The header is never committed: it is fetched once with a private apt configuration (the system's
# own apt sources are left alone), checked against a pinned SHA-256, and cached under
# ~/.cache/gpudra-build so that later builds, and builds of fresh clones, need no network.
set -euo pipefail

out_dir=${1:?usage: fetch-nvml-header.sh OUTPUT_DIR}
suite=trixie
version='12.4.127~12.4.1-2'
sha256=6f796a688ee18e21495f4b9a28fe1f9b67e3a95f709880d751eb4c8d483bbfbb
cache=${GPUDRA_BUILD_CACHE:-$HOME/.cache/gpudra-build}/nvml-header/${version//\~/_}

if [[ ! -f $cache/nvml.h ]]; then
  echo "[nvml.h] fetching libnvidia-ml-dev=$version from Debian $suite non-free into $cache"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite non-free" \
    >"$work/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" -qq update
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "libnvidia-ml-dev=$version")
  deb=$(ls "$work"/libnvidia-ml-dev_*.deb)
  echo "$sha256  $deb" | sha256sum --check --quiet || {
    echo "[nvml.h] checksum mismatch for $deb" >&2
    exit 1
  }
  dpkg-deb -x "$deb" "$work/x"
  mkdir -p "$cache"
  cp "$work/x/usr/include/nvml.h" "$cache/nvml.h.tmp" && mv "$cache/nvml.h.tmp" "$cache/nvml.h"
fi

mkdir -p "$out_dir"
cp "$cache/nvml.h" "$out_dir/nvml.h"
