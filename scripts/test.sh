#!/usr/bin/env bash
# The whole test suite: format check, static checks, unit tests (*Test), integration tests (*IT),
# architecture rules, and the end-to-end tests on a real control plane (profile e2e), from a
# clean build. Extra arguments go to Maven.
#
# The e2e tests need kube-apiserver, kube-scheduler, kube-controller-manager, etcd and Helm built
# from the Go module proxy; e2e/build-k8s.sh builds them on first use (15-30 min on 2 cores) and
# is a no-op once they are cached. The real nodes' containerd, runc, CNI plugins and busybox come
# from pinned Debian packages that e2e/fetch-node-packages.sh caches the same way. The e2e profile
# also needs Prometheus and promtool, which are installed from Debian's package when missing. GPUDRA_E2E=0 leaves the e2e profile out.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
echo "gpudra: testing with JDK at $JAVA_HOME"

# The e2e profile checks the chart's dashboard and alerts with a real Prometheus and promtool from
# Debian's prometheus package. Installed only when promtool is missing; the package must not leave
# a Prometheus server running, so a policy-rc.d keeps its init script from starting it (where no
# policy exists yet), and the service is stopped in case one started anyway.
install_prometheus() {
  command -v promtool >/dev/null && return
  local sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  local policy=/usr/sbin/policy-rc.d added=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added=1
  fi
  echo "gpudra: installing Prometheus and promtool (Debian package prometheus)"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
  if [[ $added == 1 ]]; then "${sudo[@]}" rm -f "$policy"; fi
  if command -v service >/dev/null; then "${sudo[@]}" service prometheus stop >/dev/null 2>&1 || true; fi
}

profiles=()
if [[ ${GPUDRA_E2E:-1} != 0 ]]; then
  e2e/build-k8s.sh
  e2e/fetch-node-packages.sh
  install_prometheus
  profiles=(-Pe2e)
fi
exec ./mvnw -B -ntp clean verify "${profiles[@]}" "$@"
