#!/usr/bin/env bash
# Runs a fake-GPU node: builds the NVML binding and the mock libnvidia-ml.so.1, then prints, as
# JSON, what the driver discovers on a node with the given mock profile (default a100-8x; others:
# h100-8x, l4-1x, mixed, or a path to a profile file).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
profile=${1:-a100-8x}
./mvnw -B -q -ntp -pl nvml-jna -am package -DskipTests
export GPUDRA_NVML_LIBRARY=$PWD/nvml-jna/target/mock-nvml/libnvidia-ml.so.1
export GPUDRA_MOCK_NVML_PROFILE=$profile
exec java --enable-native-access=ALL-UNNAMED -jar nvml-jna/target/gpudra-nvml.jar discover
