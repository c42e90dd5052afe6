#!/usr/bin/env bash
# Fetches the container runtime of the e2e harness's real nodes from Debian's archive: containerd,
# runc, the CNI plugins and busybox-static (the rootfs of the offline pause and workload images).
# Versions and SHA-256s are pinned in e2e/versions.properties (forky is a moving suite, so a pinned
# version may vanish from it; a cached copy keeps working). Each package is extracted into
# ~/.cache/gpudra-e2e/node-<name>-<version>/; a package already there is skipped, so re-running is
# a no-op that needs no network.
#
# apt runs with a PRIVATE configuration (own sources.list, lists, status and cache under the
# cache root, APT_CONFIG): the system's sources and package state are never touched, and nothing
# is installed; the packages are only unpacked with dpkg-deb -x.
#
# Environment: GPUDRA_E2E_CACHE overrides the cache root; GPUDRA_E2E_DEBIAN_MIRROR the archive URI
# (default: the one the system's own Debian sources name, else deb.debian.org).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source <(grep -E '^[a-z0-9_]+=' "$here/versions.properties")
cache=${GPUDRA_E2E_CACHE:-$HOME/.cache/gpudra-e2e}

say() { printf '[fetch-node-packages %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# name|debian version|suite|sha256 of the .deb, from versions.properties.
packages=(
  "containerd|$node_containerd|forky|$node_containerd_sha256"
  "runc|$node_runc|bookworm|$node_runc_sha256"
  "containernetworking-plugins|$node_cni|forky|$node_cni_sha256"
  "busybox-static|$node_busybox|bookworm|$node_busybox_sha256"
)

# The directory a package is extracted into; the harness computes the same name.
target_of() { printf '%s/node-%s-%s' "$cache" "$1" "${2//[:~]/_}"; }

missing=()
for entry in "${packages[@]}"; do
  IFS='|' read -r name version _ _ <<<"$entry"
  if [[ -f "$(target_of "$name" "$version")/.complete" ]]; then
    say "$name $version: cached"
  else
    missing+=("$entry")
  fi
done
((${#missing[@]} == 0)) && exit 0

mirror=${GPUDRA_E2E_DEBIAN_MIRROR:-}
if [[ -z $mirror ]]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*\(.*debian\/\?\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  mirror=${mirror:-http://deb.debian.org/debian}
fi
apt_dir=$cache/apt
mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,etc/preferences.d,etc/apt.conf.d}
: >"$apt_dir/status"
cat >"$apt_dir/etc/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror forky main
SRC
cat >"$apt_dir/apt.conf" <<CONF
Dir::Etc "$apt_dir/etc";
Dir::Etc::sourcelist "$apt_dir/etc/sources.list";
Dir::Etc::sourceparts "$apt_dir/etc/sources.list.d";
Dir::Etc::preferencesparts "$apt_dir/etc/preferences.d";
Dir::Etc::parts "$apt_dir/etc/apt.conf.d";
Dir::State "$apt_dir";
Dir::State::lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir/cache";
APT::Architecture "amd64";
APT::Architectures { "amd64"; };
Acquire::Languages "none";
// forky's Release files carry a short Valid-Until; the pinned SHA-256s make each .deb trustworthy.
Acquire::Check-Valid-Until "false";
APT::Sandbox::User "root";
CONF
export APT_CONFIG=$apt_dir/apt.conf
say "updating the private package lists ($mirror: bookworm, forky)"
apt-get -qq update

work=$(mktemp -d -t gpudra-node-packages.XXXXXX)
trap 'rm -rf "$work"' EXIT
for entry in "${missing[@]}"; do
  IFS='|' read -r name version suite sha <<<"$entry"
  say "$name $version ($suite): downloading"
  (cd "$work" && apt-get -qq download "$name=$version")
  deb=$(ls "$work"/"${name}"_*.deb)
  actual=$(sha256sum "$deb" | cut -d' ' -f1)
  if [[ $actual != "$sha" ]]; then
    echo "fetch-node-packages: $name $version: SHA-256 $actual, expected $sha (versions.properties)" >&2
    exit 1
  fi
  out=$(target_of "$name" "$version")
  rm -rf "$out" "$out.tmp" && mkdir -p "$out.tmp"
  dpkg-deb -x "$deb" "$out.tmp"
  touch "$out.tmp/.complete"
  mv "$out.tmp" "$out"
  rm -f "$deb"
  say "$name $version: extracted into $out"
done
