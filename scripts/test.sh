#!/usr/bin/env bash
# The whole test suite: format check, static checks, unit tests (*Test), integration tests (*IT),
# architecture rules, and the end-to-end tests on a real control plane (profile e2e), from a
# clean build. Extra arguments go to Maven.
#
# The e2e tests need kube-apiserver, kube-scheduler, kube-controller-manager, etcd and Helm built
# from the Go module proxy; e2e/build-k8s.sh builds them on first use (15-30 min on 2 cores) and
# is a no-op once they are cached. GPUDRA_E2E=0 leaves the e2e profile out.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
echo "gpudra: testing with JDK at $JAVA_HOME"
profiles=()
if [[ ${GPUDRA_E2E:-1} != 0 ]]; then
  e2e/build-k8s.sh
  profiles=(-Pe2e)
fi
exec ./mvnw -B -ntp clean verify "${profiles[@]}" "$@"
