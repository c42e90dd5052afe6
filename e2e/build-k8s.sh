#!/usr/bin/env bash
# Builds the binaries the e2e profile needs from the Go module proxy alone (no prebuilt downloads):
# kube-apiserver, kube-controller-manager, kube-scheduler and the kubelet, etcd, and Helm. Versions come from
# e2e/versions.properties; each tool lands in ~/.cache/gpudra-e2e/<tool>-<version>/ and a tool whose
# binaries are already there is skipped, so re-running is a no-op.
#
# Environment: GPUDRA_E2E_CACHE overrides the cache root; GPUDRA_E2E_NICE (default 19) the niceness
# of the compiler (the build is long and should not starve other work on the machine).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source <(grep -E '^[a-z]+=' "$here/versions.properties")
cache=${GPUDRA_E2E_CACHE:-$HOME/.cache/gpudra-e2e}
niceness=${GPUDRA_E2E_NICE:-19}

# Static, stripped, reproducible-path binaries; let Go fetch a newer toolchain if a module needs one.
export CGO_ENABLED=0 GOFLAGS=-trimpath GOTOOLCHAIN=auto

say() { printf '[build-k8s %s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
have_all() {
  local dir=$1; shift
  for b in "$@"; do [[ -x "$dir/$b" ]] || return 1; done
}
need_go() {
  command -v go >/dev/null 2>&1 && return
  echo "build-k8s: $1 is not built yet and there is no Go toolchain (go 1.26+) on PATH" >&2
  exit 1
}
gobuild() { nice -n "$niceness" go build "$@"; }
# Module resolution prints a line per module; show it only when it fails.
quietly() {
  local out=$work/quiet.log
  if ! "$@" >"$out" 2>&1; then
    cat "$out" >&2
    return 1
  fi
}

work=$(mktemp -d -t gpudra-build-k8s.XXXXXX)
trap 'rm -rf "$work"' EXIT

build_kubernetes() {
  local version=$kubernetes out=$cache/kubernetes-$kubernetes
  local all=(kube-apiserver kube-controller-manager kube-scheduler kubelet) bins=() b
  # Only what is missing is built, so adding a binary to the list never rebuilds the cached ones.
  for b in "${all[@]}"; do have_all "$out" "$b" || bins+=("$b"); done
  if ((${#bins[@]} == 0)); then say "kubernetes $version: cached in $out"; return; fi
  need_go "kubernetes $version"
  say "kubernetes $version: building ${bins[*]} (cold: 15-30 min on 2 cores)"
  local start=$SECONDS minor staging kmod
  minor=$(cut -d. -f2 <<<"$version")
  staging=v0.${version#v1.}
  mkdir -p "$work/k8s" && cd "$work/k8s"
  go mod init gpudra.dev/e2e/k8sbins >/dev/null 2>&1
  # k8s.io/kubernetes' published go.mod requires its staging modules at v0.0.0 and resolves them
  # through a workspace, which a dependent module cannot see; pin each to the matching v0.x.y tag.
  kmod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
  local m count=0
  while read -r m; do
    go mod edit -replace="$m=$m@$staging"
    count=$((count + 1))
  done < <(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$kmod" | sort -u)
  say "kubernetes $version: pinned $count staging modules to $staging"
  # Runtime defaults (GODEBUG) follow the upstream module, not this wrapper.
  grep -E '^godebug ' "$kmod" >>go.mod || true
  local pkgs=()
  for b in "${bins[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  quietly go get "${pkgs[@]/%/@$version}"
  # Without these the binaries report v0.0.0-master and clients cannot tell which release they face.
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  rm -rf "$out.tmp" && mkdir -p "$out.tmp" "$out"
  gobuild -ldflags "$ld" -o "$out.tmp/" "${pkgs[@]}"
  for b in "${bins[@]}"; do mv "$out.tmp/$b" "$out/$b"; done
  rmdir "$out.tmp"
  say "kubernetes $version: built ${bins[*]} in $((SECONDS - start)) s -> $("$out/${bins[0]}" --version)"
}

build_etcd() {
  local version=$etcd out=$cache/etcd-$etcd
  if have_all "$out" etcd; then say "etcd $version: cached in $out"; return; fi
  need_go "etcd $version"
  say "etcd $version: building"
  local start=$SECONDS
  # etcd's server module replaces its sibling modules with local paths, so `go install` refuses it;
  # a wrapper module resolves them from the proxy instead.
  mkdir -p "$work/etcd" && cd "$work/etcd"
  go mod init gpudra.dev/e2e/etcdbin >/dev/null 2>&1
  quietly go get "go.etcd.io/etcd/server/v3@$version"
  mkdir -p "$out.tmp"
  gobuild -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3
  rm -rf "$out" && mv "$out.tmp" "$out"
  say "etcd $version: built in $((SECONDS - start)) s -> $("$out/etcd" --version | head -1)"
}

build_helm() {
  local version=$helm out=$cache/helm-$helm major
  if have_all "$out" helm; then say "helm $version: cached in $out"; return; fi
  need_go "helm $version"
  say "helm $version: building"
  local start=$SECONDS
  major=$(cut -d. -f1 <<<"$version")
  mkdir -p "$work/helm" && cd "$work/helm"
  go mod init gpudra.dev/e2e/helmbin >/dev/null 2>&1
  quietly go get "helm.sh/helm/$major/cmd/helm@$version"
  mkdir -p "$out.tmp"
  gobuild -ldflags "-s -w -X helm.sh/helm/$major/internal/version.version=$version" \
    -o "$out.tmp/helm" "helm.sh/helm/$major/cmd/helm"
  rm -rf "$out" && mv "$out.tmp" "$out"
  say "helm $version: built in $((SECONDS - start)) s -> $("$out/helm" version --short)"
}

total=$SECONDS
mkdir -p "$cache"
build_etcd
build_helm
build_kubernetes
say "done in $((SECONDS - total)) s; binaries under $cache"
