#!/usr/bin/env bash
# Builds the mock NVML library and self-tests it:
#   TARGET_DIR/nvml-include/nvml.h          the real header (fetch-nvml-header.sh)
#   TARGET_DIR/mock-nvml/libnvidia-ml.so.1  the library, plus libnvidia-ml.so -> libnvidia-ml.so.1
#   TARGET_DIR/mock-nvml/profiles/          the built-in profiles, found by the library next to itself
#   TARGET_DIR/mock-nvml-selftest/          the self-test program and its scratch files
#   TARGET_DIR/mock-nvml-resources/gpudra-mock-nvml/  what the kit jar carries: the library, the
#                                           profiles, include/nvml.h and an index of those files
# Each step is skipped when its outputs are newer than its inputs, so a rebuild without changes costs
# only the timestamp checks.
set -euo pipefail

target=${1:?usage: build-mock-nvml.sh TARGET_DIR}
build_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mock_dir=$(cd "$build_dir/../mock" && pwd)
include_dir=$target/nvml-include
out=$target/mock-nvml
test_dir=$target/mock-nvml-selftest
cc=${CC:-gcc}
cflags=(-std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden)

# newer_than OUTPUT INPUT...: true when OUTPUT exists and is newer than every INPUT.
newer_than() {
  local output=$1
  shift
  [[ -e $output ]] || return 1
  local input
  for input in "$@"; do
    [[ $output -nt $input ]] || return 1
  done
}

[[ -f $include_dir/nvml.h ]] || bash "$build_dir/fetch-nvml-header.sh" "$include_dir"

mkdir -p "$out/profiles" "$test_dir"
lib_sources=("$mock_dir"/c/*.c "$mock_dir"/c/*.h)
if ! newer_than "$out/libnvidia-ml.so.1" "${lib_sources[@]}" "$include_dir/nvml.h" "${BASH_SOURCE[0]}"; then
  echo "[mock-nvml] compiling $out/libnvidia-ml.so.1"
  "$cc" "${cflags[@]}" -shared -Wl,-soname,libnvidia-ml.so.1 -Wl,--no-undefined -I"$include_dir" \
    -o "$out/libnvidia-ml.so.1.tmp" "$mock_dir"/c/*.c -ldl -lpthread
  mv "$out/libnvidia-ml.so.1.tmp" "$out/libnvidia-ml.so.1"
fi
ln -sfn libnvidia-ml.so.1 "$out/libnvidia-ml.so"

# Built-in profiles: the directory mirrors the sources exactly.
rm -f "$out"/profiles/*.profile
cp -p "$mock_dir"/profiles/*.profile "$out/profiles/"

# Every symbol the JNA binding may bind must be exported under its exact (versioned) name.
required=(
  nvmlInit_v2 nvmlInitWithFlags nvmlShutdown nvmlErrorString nvmlSystemGetDriverVersion nvmlSystemGetNVMLVersion
  nvmlSystemGetCudaDriverVersion nvmlSystemGetCudaDriverVersion_v2 nvmlDeviceGetCount_v2 nvmlDeviceGetHandleByIndex_v2
  nvmlDeviceGetHandleByUUID nvmlDeviceGetHandleByPciBusId_v2 nvmlDeviceGetIndex nvmlDeviceGetUUID nvmlDeviceGetName nvmlDeviceGetBrand
  nvmlDeviceGetArchitecture nvmlDeviceGetCudaComputeCapability nvmlDeviceGetMemoryInfo nvmlDeviceGetMemoryInfo_v2
  nvmlDeviceGetPciInfo_v3 nvmlDeviceGetMinorNumber nvmlDeviceGetMigMode nvmlDeviceIsMigDeviceHandle
  nvmlDeviceGetGpuInstanceProfileInfo nvmlDeviceGetGpuInstanceProfileInfoV nvmlDeviceGetGpuInstancePossiblePlacements_v2
  nvmlDeviceGetGpuInstanceRemainingCapacity nvmlDeviceCreateGpuInstance nvmlDeviceCreateGpuInstanceWithPlacement
  nvmlGpuInstanceDestroy nvmlDeviceGetGpuInstances nvmlDeviceGetGpuInstanceById nvmlGpuInstanceGetInfo
  nvmlGpuInstanceGetComputeInstanceProfileInfo nvmlGpuInstanceGetComputeInstanceProfileInfoV
  nvmlGpuInstanceGetComputeInstanceRemainingCapacity nvmlGpuInstanceGetComputeInstancePossiblePlacements
  nvmlGpuInstanceCreateComputeInstance nvmlGpuInstanceCreateComputeInstanceWithPlacement nvmlComputeInstanceDestroy
  nvmlGpuInstanceGetComputeInstances nvmlGpuInstanceGetComputeInstanceById nvmlComputeInstanceGetInfo_v2
  nvmlDeviceGetMaxMigDeviceCount nvmlDeviceGetMigDeviceHandleByIndex nvmlDeviceGetDeviceHandleFromMigDeviceHandle
  nvmlDeviceGetGpuInstanceId nvmlDeviceGetComputeInstanceId nvmlDeviceGetAttributes_v2
  nvmlEventSetCreate nvmlEventSetFree nvmlDeviceGetSupportedEventTypes nvmlDeviceRegisterEvents nvmlEventSetWait_v2
)
exported=$(nm -D --defined-only "$out/libnvidia-ml.so.1" | awk '$2 == "T" { print $3 }' | sort)
missing=$(comm -23 <(printf '%s\n' "${required[@]}" | sort) <(echo "$exported"))
extra=$(echo "$exported" | grep -v '^nvml' || true)
if [[ -n $missing || -n $extra ]]; then
  echo "[mock-nvml] export mismatch; missing: ${missing:-none}; not NVML: ${extra:-none}" >&2
  exit 1
fi

test_sources=("$mock_dir"/c/test/*.c "$mock_dir"/c/test/*.h)
if ! newer_than "$test_dir/selftest" "${test_sources[@]}" "$out/libnvidia-ml.so.1"; then
  "$cc" -std=gnu11 -O1 -g -Wall -Wextra -Werror -I"$include_dir" -o "$test_dir/selftest" "$mock_dir"/c/test/*.c \
    -L"$out" -l:libnvidia-ml.so.1 -Wl,-rpath,"$out" -lpthread
fi
if ! newer_than "$test_dir/passed" "$test_dir/selftest" "$out/libnvidia-ml.so.1" "$out"/profiles/*.profile; then
  echo "[mock-nvml] self-test of $(echo "$exported" | wc -l) exported NVML functions"
  rm -f "$test_dir/passed"
  GPUDRA_MOCK_NVML_SELFTEST_DIR="$test_dir/scratch" "$test_dir/selftest"
  touch "$test_dir/passed"
fi

# The kit jar's resources (MockNvmlFiles materialises them): only files that passed the self-test.
resources=$target/mock-nvml-resources/gpudra-mock-nvml
rm -rf "$resources"
mkdir -p "$resources/profiles" "$resources/include"
cp -p "$out/libnvidia-ml.so.1" "$resources/"
cp -p "$out"/profiles/*.profile "$resources/profiles/"
cp -p "$include_dir/nvml.h" "$resources/include/"
(cd "$resources" && find . -type f ! -name index | sed 's|^\./||' | LC_ALL=C sort >index)
