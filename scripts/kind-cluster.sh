#!/usr/bin/env bash
# gpudra on Kind, for users with Docker: a cluster whose workers play fake GPU nodes, running the
# driver's own image installed by Helm, the same way the real-node e2e harness runs it (same image
# archive, same chart values: charts/gpudra/ci/fake-gpu-values.yaml).
#
#   scripts/kind-cluster.sh [PROFILE]    create the cluster and install the chart (default a100-8x)
#   scripts/kind-cluster.sh --delete     delete the cluster
#
# Needs docker, kind (0.27+), kubectl and helm on the PATH. Environment: GPUDRA_KIND_CLUSTER (cluster
# name, default gpudra), GPUDRA_KIND_NODE_IMAGE (a kindest/node image of Kubernetes 1.34 or newer;
# default: Kind's own). Builds image/target/gpudra-image.tar first when it is missing.
# Not run by the project's tests: the build machines have no Docker engine (e2e/kind/README.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cluster=${GPUDRA_KIND_CLUSTER:-gpudra}
archive=image/target/gpudra-image.tar
values=charts/gpudra/ci/fake-gpu-values.yaml

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null || { echo "gpudra: $tool is not on the PATH" >&2; exit 1; }
done

if [[ ${1:-} == --delete ]]; then
  kind delete cluster --name "$cluster"
  exit 0
fi
profile=${1:-a100-8x}

if [[ ! -f $archive ]]; then
  echo "gpudra: building $archive"
  source scripts/find-jdk.sh
  ./mvnw -B -q -ntp -pl image -am package -DskipTests
fi

# The node files fake-gpu-values.yaml expects (the same ones the e2e harness writes with the test
# kit's FakeDriverRoot): driver libraries of the mock's driver version, which CDI specs bind-mount,
# and the driver's part of /proc. No /dev/nvidia* is needed on the node: the container runtime
# creates each container's device nodes from the type, major and minor in the CDI spec.
fake_gpu_files() { # runs inside a Kind node
  cat <<'NODE'
set -eu
base=/var/lib/gpudra/fake-gpu
lib=$base/driver-root/usr/lib/x86_64-linux-gnu
mkdir -p "$lib" "$base/proc/driver/nvidia-caps"
for stem in libcuda libnvidia-ml; do : >"$lib/$stem.so.550.54.15"; done
cat >"$base/proc/devices" <<'DEVICES'
Character devices:
  1 mem
195 nvidia-frontend
508 nvidia-uvm
511 nvidia-caps

Block devices:
  7 loop
DEVICES
# MIG capability minors as the driver numbers them: per GPU 15 GPU instances of 8 compute instances.
awk 'BEGIN { print "config 1"; print "monitor 2"; m = 3
  for (g = 0; g < 8; g++) for (i = 0; i < 15; i++) {
    printf "gpu%d/gi%d/access %d\n", g, i, m++
    for (c = 0; c < 8; c++) printf "gpu%d/gi%d/ci%d/access %d\n", g, i, c, m++ } }' \
  >"$base/proc/driver/nvidia-caps/mig-minors"
NODE
}

create_args=(--name "$cluster" --config e2e/kind/kind-config.yaml)
[[ -n ${GPUDRA_KIND_NODE_IMAGE:-} ]] && create_args+=(--image "$GPUDRA_KIND_NODE_IMAGE")
if ! kind get clusters | grep -qx "$cluster"; then
  kind create cluster "${create_args[@]}"
fi
for node in $(kind get nodes --name "$cluster"); do
  [[ $node == *control-plane* ]] && continue
  fake_gpu_files | docker exec -i "$node" sh
done

echo "gpudra: loading $archive into $cluster"
kind load image-archive "$archive" --name "$cluster"

kubectl config use-context "kind-$cluster" >/dev/null
helm upgrade --install gpudra charts/gpudra --namespace gpudra --create-namespace \
  -f "$values" --set fakeGpu.profile="$profile" --wait --timeout 5m
# Kind's control-plane taint keeps the plugin off the one node without fake GPU files.
kubectl -n gpudra rollout status daemonset/gpudra-kubelet-plugin --timeout=3m
kubectl get resourceslices -o wide
echo "gpudra: ready. Try: kubectl apply -f examples/one-gpu/ ; scripts/kind-cluster.sh --delete to remove"
