#!/usr/bin/env bash
# Assembles the offline base of the gpudra image from what this machine can fetch, into a cache
# directory that later builds reuse without any network:
#   CACHE/debs/<name>_<version>_amd64.deb   pinned Debian packages (base-packages.properties), SHA-256 checked
#   CACHE/base-<key>/os/                    those packages unpacked, plus /etc/passwd, /etc/group, /tmp
#   CACHE/base-<key>/jre/opt/java/openjdk/  a jlinked Java runtime from the build JDK (JAVA_MODULES)
# <key> hashes every input (package pins, this script, the JDK's release file, the module list), so
# a changed input builds a new base and an unchanged one is reused as is. The base directory is
# completed in a temporary directory and renamed into place, so an interrupted build leaves no
# half-made base behind. apt runs with a private configuration (own sources, lists, cache and
# status under CACHE/apt); the system's apt sources are never read or changed.
#
# usage: build-base.sh CACHE PINS JDK_HOME JAVA_MODULES OUT_LINK
#   OUT_LINK becomes a symbolic link to the base directory.
set -euo pipefail

cache=${1:?usage: build-base.sh CACHE PINS JDK_HOME JAVA_MODULES OUT_LINK}
pins=${2:?}
jdk=${3:?}
modules=${4:?}
out_link=${5:?}

prop() { # prop KEY: the value of KEY in the pins file
  local value
  value=$(grep -E "^$1=" "$pins" | head -n 1 | cut -d= -f2-)
  [[ -n $value ]] || { echo "[image-base] $pins has no $1" >&2; exit 1; }
  printf '%s' "$value"
}

[[ -x $jdk/bin/jlink ]] || { echo "[image-base] no jlink in $jdk (set JAVA_HOME to a full JDK)" >&2; exit 1; }
key=$( { cat "$pins" "${BASH_SOURCE[0]}" "$jdk/release"; echo "$modules"; } | sha256sum | cut -c1-16)
base=$cache/base-$key
if [[ -f $base/complete ]]; then
  echo "[image-base] reusing $base"
  ln -sfn "$base" "$out_link"
  exit 0
fi

mkdir -p "$cache/debs"
read -r -a packages <<<"$(prop packages)"

# fetch NAME: the pinned .deb of NAME into CACHE/debs, through the private apt configuration.
apt_ready=false
fetch() {
  local name=$1 version deb
  version=$(prop "$name.version")
  deb=$cache/debs/${name}_${version//:/%3a}_amd64.deb
  if [[ ! -f $deb ]]; then
    if [[ $apt_ready == false ]]; then
      local apt=$cache/apt
      mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/etc/sources.list.d" "$apt/etc/preferences.d" "$apt/etc/apt.conf.d"
      : >"$apt/status"
      echo "deb [signed-by=$(prop debian.keyring)] $(prop debian.archive) $(prop debian.suite) main" >"$apt/etc/sources.list"
      cat >"$apt/apt.conf" <<CONF
Dir::Etc "$apt/etc";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::State "$apt";
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt";
Dir::Cache::archives "$apt/archives";
APT::Sandbox::User "root";
Debug::NoLocking "true";
CONF
      echo "[image-base] apt-get update (private configuration $apt/apt.conf)"
      APT_CONFIG=$apt/apt.conf apt-get -q update >"$apt/update.log" 2>&1 \
        || { cat "$apt/update.log" >&2; exit 1; }
      apt_ready=true
    fi
    echo "[image-base] downloading $name=$version"
    if ! (cd "$cache/apt/archives/partial" && APT_CONFIG=$cache/apt/apt.conf apt-get -q download "$name=$version" >/dev/null); then
      echo "[image-base] $name=$version is no longer in $(prop debian.archive) $(prop debian.suite); the archive offers:" >&2
      APT_CONFIG=$cache/apt/apt.conf apt-cache show "$name" 2>/dev/null | grep -E '^(Version|SHA256):' >&2 || true
      echo "[image-base] pin the new version and SHA-256 in $pins" >&2
      exit 1
    fi
    mv "$cache/apt/archives/partial/${name}_${version//:/%3a}_amd64.deb" "$deb"
  fi
  local want got
  want=$(prop "$name.sha256")
  got=$(sha256sum "$deb" | cut -d' ' -f1)
  if [[ $got != "$want" ]]; then
    rm -f "$deb"
    echo "[image-base] SHA-256 of $name=$version is $got, pinned $want: refusing it" >&2
    exit 1
  fi
  printf '%s\n' "$deb"
}

tmp=$(mktemp -d "$cache/.base-$key.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/os" "$tmp/jre/opt/java"

for name in "${packages[@]}"; do
  deb=$(fetch "$name" | tail -n 1)
  dpkg-deb -x "$deb" "$tmp/os"
done
# dash's package leaves /bin/sh to its maintainer script; the image has no maintainer scripts.
[[ -e $tmp/os/bin/sh ]] || ln -s dash "$tmp/os/bin/sh"
mkdir -p "$tmp/os/etc" "$tmp/os/tmp" "$tmp/os/proc" "$tmp/os/sys" "$tmp/os/dev"
chmod 1777 "$tmp/os/tmp"
# root for the kubelet plugin (privileged: NVML and MIG), nonroot (65532) for everything else.
cat >"$tmp/os/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin
PASSWD
cat >"$tmp/os/etc/group" <<'GROUP'
root:x:0:
nonroot:x:65532:
GROUP

echo "[image-base] jlink --add-modules $modules"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$tmp/jre/opt/java/openjdk"

touch "$tmp/complete"
trap - EXIT
rm -rf "$base"
mv "$tmp" "$base"
echo "[image-base] built $base"
ln -sfn "$base" "$out_link"
