#!/usr/bin/env bash
# Runs a fake-GPU node: builds the test kit (which carries the mock libnvidia-ml.so.1) and the gpudra
# command, then prints what the driver discovers on a node with the given mock profile.
#
#   scripts/fake-node.sh [PROFILE] [gpudra discover options, e.g. -o json]
#
# PROFILE: a100-8x (default), h100-8x, l4-1x, mixed, or the path of a profile file
# (testkit/src/mock/README.md). MIG instances persist in GPUDRA_MOCK_NVML_STATE. The GPUs' PCIe
# roots and NUMA nodes come from a sysfs tree built from the profile in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
profile=${1:-a100-8x}
shift || true
./mvnw -B -q -ntp -pl testkit,cli -am package -DskipTests -Dspotless.check.skip=true
# The kit's classes alone: MockNvmlFiles writes the library it carries under java.io.tmpdir.
kit=testkit/target/classes
library=$(java -cp "$kit" dev.gpudra.testkit.nvml.MockNvmlFiles)
export GPUDRA_NVML_LIBRARY=$library
export GPUDRA_MOCK_NVML_PROFILE=$profile
sysfs=$(mktemp -d "${TMPDIR:-/tmp}/gpudra-fake-sysfs.XXXXXX")
trap 'rm -rf "$sysfs"' EXIT
java -cp "$kit" dev.gpudra.testkit.nvml.FakeSysfs "$sysfs" "$profile" >/dev/null
export GPUDRA_SYSFS_ROOT=$sysfs
[[ $# -gt 0 ]] || set -- -o table
java --enable-native-access=ALL-UNNAMED -jar cli/target/gpudra.jar discover "$@"
