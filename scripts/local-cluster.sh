#!/usr/bin/env bash
# The driver's main job on this machine: a local Kubernetes cluster with fake GPUs, no Docker.
#
#   scripts/local-cluster.sh [EXAMPLE]     start it (EXAMPLE: a directory of examples/, default one-gpu)
#   scripts/local-cluster.sh               again while it runs: stop it and remove its files
#
# Starts etcd, kube-apiserver, kube-scheduler and kube-controller-manager (built from the Go module
# proxy by e2e/build-k8s.sh on first use, then cached) and two real fake-GPU nodes on this host, each
# with its own containerd, runc and kubelet (pinned Debian packages cached by
# e2e/fetch-node-packages.sh; the kubelet built like the control plane): gpu-a100-8x (8x A100 80GB)
# and gpu-h100-8x (8x H100) served by the mock NVML library. Installs charts/gpudra with Helm from
# the driver's image (image/target/gpudra-image.tar, imported into each node's containerd) in
# fake-GPU mode, applies the example to the default namespace with its containers printing the
# devices they see, prints per pod its allocation and its container's own output, the start-up
# times and the memory of every process, and leaves the cluster running in the background with its
# kubeconfig printed (kubectl logs/exec/get work against it). Needs root (mount namespaces, mknod,
# cgroups); stopping puts the host back as it was. GPUDRA_LOCAL_CLUSTER_DIR moves its state
# directory; GPUDRA_LOCAL_CLUSTER_SKIP_BUILD=1 skips the Maven build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
state=${GPUDRA_LOCAL_CLUSTER_DIR:-/tmp/gpudra-local-cluster}

running_pid() {
  [[ -f $state/pid ]] || return 1
  local pid
  pid=$(<"$state/pid")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

if pid=$(running_pid); then
  echo "gpudra: stopping the local cluster (pid $pid, state $state)"
  touch "$state/stop"
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "gpudra: still running after 2 minutes; terminating it"
    kill -TERM "$pid"
    sleep 5
  fi
  rm -rf "$state"
  echo "gpudra: local cluster stopped"
  exit 0
fi

example=${1:-one-gpu}
if [[ ! -d examples/$example ]]; then
  echo "gpudra: no example '$example'; choose one of: $(cd examples && ls -d */ | tr -d / | tr '\n' ' ')" >&2
  exit 2
fi
if [[ $(id -u) != 0 ]]; then
  echo "gpudra: the local cluster runs real kubelets and containerd and needs root" >&2
  exit 1
fi
source scripts/find-jdk.sh
e2e/build-k8s.sh
e2e/fetch-node-packages.sh
# GPUDRA_LOCAL_CLUSTER_SKIP_BUILD=1 uses the driver and image already built (the benchmark,
# scripts/local-cluster-bench.sh, builds once and times only the cluster).
if [[ ${GPUDRA_LOCAL_CLUSTER_SKIP_BUILD:-0} != 1 ]]; then
  echo "gpudra: building the driver and its image (Maven, tests skipped)"
  ./mvnw -B -q -ntp -pl e2e -am package -DskipTests -Dspotless.check.skip=true
fi

rm -rf "$state"
mkdir -p "$state"
# The harness's main classes and their runtime class path (the plugin and controller included, which
# run in JVMs of their own); no test classes.
classpath=$root/e2e/target/classes:$(<"$root/e2e/target/runtime-classpath.txt")
echo "gpudra: starting the local cluster with example $example (log $state/cluster.log)"
setsid nohup "$JAVA_HOME/bin/java" \
  -Dgpudra.e2e.versions="$root/e2e/versions.properties" \
  -Dgpudra.e2e.chart="$root/charts/gpudra" \
  -Dgpudra.e2e.examples="$root/examples" \
  -Dgpudra.e2e.image="$root/image/target/gpudra-image.tar" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$classpath" dev.gpudra.e2e.local.LocalCluster "$state" "$example" \
  >"$state/cluster.log" 2>&1 </dev/null &
echo $! >"$state/pid"

pid=$(<"$state/pid")
for _ in $(seq 1 1200); do
  [[ -f $state/ready || -f $state/failed ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if [[ ! -f $state/ready ]]; then
  echo "gpudra: the local cluster did not start; end of $state/cluster.log:" >&2
  tail -n 40 "$state/cluster.log" >&2
  kill -TERM "$pid" 2>/dev/null || true
  exit 1
fi
echo
cat "$state/report.txt"
