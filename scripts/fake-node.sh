#!/usr/bin/env bash
# Runs a fake-GPU node: builds the NVML binding and the mock libnvidia-ml.so.1, then prints what
# the driver discovers on a node with the given mock profile.
#
#   scripts/fake-node.sh [PROFILE] [gpudra-nvml discover options, e.g. -o json]
#
# PROFILE: a100-8x (default), h100-8x, l4-1x, mixed, or the path of a profile file
# (nvml-jna/src/mock/README.md). MIG instances persist in GPUDRA_MOCK_NVML_STATE. The GPUs' PCIe
# roots and NUMA nodes come from a sysfs tree built from the profile in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
profile=${1:-a100-8x}
shift || true
./mvnw -B -q -ntp -pl nvml-jna -am package -DskipTests -Dspotless.check.skip=true
mock=$PWD/nvml-jna/target/mock-nvml
export GPUDRA_NVML_LIBRARY=$mock/libnvidia-ml.so.1
export GPUDRA_MOCK_NVML_PROFILE=$profile
sysfs=$(mktemp -d "${TMPDIR:-/tmp}/gpudra-fake-sysfs.XXXXXX")
trap 'rm -rf "$sysfs"' EXIT
java -Dgpudra.mockNvml.dir="$mock" -cp nvml-jna/target/test-classes:nvml-jna/target/classes \
  dev.gpudra.nvml.mock.FakeSysfs "$sysfs" "$profile" >/dev/null
export GPUDRA_SYSFS_ROOT=$sysfs
[[ $# -gt 0 ]] || set -- -o table
java -jar nvml-jna/target/gpudra-nvml.jar discover "$@"
