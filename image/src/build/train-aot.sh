#!/usr/bin/env bash
# Writes the image's fixed class path and trains its ahead-of-time caches (JEP 483/514/515):
#   OUT/app/classpath.args           "-cp /app/lib/a.jar:/app/lib/b.jar:..." (java @/app/classpath.args)
#   OUT/app/aot/kubelet-plugin.aot   the kubelet plugin's classes, loaded and linked, with method profiles
#   OUT/app/aot/driver-controller.aot the driver controller's
# A JVM accepts an AOT cache only when its class path is the one of the training run (same jars, same
# order, same sizes and modification times; the directory may differ as long as every jar moved
# together). The chart's -cp /app/lib/* would give the launcher's directory order on the node, which
# nothing fixes, so the programs take the class path from classpath.args instead: the jars in byte
# order of their names. The training copies the jars into TRAIN/app/lib with the time the image gives
# every file (0, the epoch) and runs each program there with the image's own runtime, so the image's
# JVM finds its cache valid at /app/lib. A cache that does not match (another runtime, changed jars)
# is only not used: -XX:AOTCache without -XX:AOTMode=on warns and starts without it.
#
# Training run: TrainingApiServer.java (run by the build's JDK) stands in for the API server, over
# TLS with a key made for the run: quiet watches, creates and updates answered with what was sent,
# lists empty for the plugin and holding training-cluster/ for the controller. The kubelet plugin
# runs on the mock NVML library (8x A100) with a fake node's files up to its ready line (slices
# published, gRPC servers listening), the controller until it has written the pre-bound claim's
# allocation (informers synced, leader elected, the pre-bound allocator and the pending-claim pass
# under way); each then has its status endpoints read once and a few seconds more, then SIGTERM,
# and its JVM writes the cache as it exits.
#
# A cache also records the options that shape the module graph: each program is trained with its
# chart command's (--enable-native-access for the plugin only) and the chart's collector (serial).
#
# usage: train-aot.sh JAVA_HOME OUT MOCK_NVML_DIR BUILD_JDK LIB_DIR...
#   JAVA_HOME  the image's runtime (missing: only classpath.args is written, as for the registry base)
#   BUILD_JDK  runs TrainingApiServer.java
set -euo pipefail

java_home=${1:?usage: train-aot.sh JAVA_HOME OUT MOCK_NVML_DIR BUILD_JDK LIB_DIR...}
out=${2:?}
mock=${3:?}
build_jdk=${4:?}
shift 4
lib_dirs=("$@")

rm -rf "$out"
mkdir -p "$out/app/aot"
mapfile -t jars < <(for d in "${lib_dirs[@]}"; do ls "$d"; done | grep '\.jar$' | LC_ALL=C sort)
[[ ${#jars[@]} -gt 0 ]] || { echo "[image-aot] no jars in ${lib_dirs[*]}" >&2; exit 1; }
classpath() { # classpath DIR: the jars under DIR, in the fixed order
  local IFS=:
  printf '%s' "${jars[*]/#/$1/}"
}
printf -- '-cp %s\n' "$(classpath /app/lib)" >"$out/app/classpath.args"

java=$java_home/bin/java
if [[ ! -x $java ]]; then
  echo "[image-aot] no runtime at $java_home: class path only, no AOT cache"
  exit 0
fi

train=$(mktemp -d "${TMPDIR:-/tmp}/gpudra-aot.XXXXXX")
trap 'exec 3>&- 4>&-; rm -rf "$train"' EXIT
mkdir -p "$train/app/lib" "$train/app/mock-nvml"
for d in "${lib_dirs[@]}"; do cp "$d"/*.jar "$train/app/lib/"; done
cp -r "$mock"/. "$train/app/mock-nvml/"
touch -h -d @0 "$train/app/lib"/*.jar
cp_train=$(classpath "$train/app/lib")

node=$train/node
mkdir -p "$node"/{plugins,registry,cdi,checkpoint,dev,proc,sys,driver,mock-state}
cat /proc/sys/kernel/random/uuid >"$node/boot_id"
# What the driver shows of itself: its libraries (the mock profiles' version), its character
# devices and MIG capability minors.
mkdir -p "$node/driver/usr/lib/x86_64-linux-gnu" "$node/proc/driver/nvidia-caps"
: >"$node/driver/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.550.54.15"
: >"$node/driver/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15"
printf 'Character devices:\n195 nvidia-frontend\n508 nvidia-uvm\n511 nvidia-caps\n' >"$node/proc/devices"
printf 'config 1\nmonitor 2\ngpu0/gi0/access 3\n' >"$node/proc/driver/nvidia-caps/mig-minors"
# The stand-in API servers stop when their standard input (fd 3, 4 here) closes, on exit at the
# latest: an empty one for the plugin, one with training-cluster/ (two nodes' slices, pending and
# pre-bound claims) for the controller.
# Both serve TLS with a key made here (RSA 2048, as a kube-apiserver's serving certificate usually
# is), and the programs connect as in their pods, with a bearer token and the CA file, so the TLS
# handshake and the certificate checks are in the caches too.
here=$(dirname "${BASH_SOURCE[0]}")
"$build_jdk/bin/keytool" -genkeypair -keystore "$train/api.p12" -storetype PKCS12 -storepass training \
  -alias api -keyalg RSA -keysize 2048 -dname CN=training-api-server -ext san=ip:127.0.0.1 \
  -validity 2 >/dev/null 2>&1 || { echo "[image-aot] keytool could not make the training key" >&2; exit 1; }
"$build_jdk/bin/keytool" -exportcert -rfc -keystore "$train/api.p12" -storepass training -alias api \
  -file "$train/api-ca.crt" >/dev/null 2>&1 || { echo "[image-aot] keytool could not export the training CA" >&2; exit 1; }
exec 3> >(exec "$build_jdk/bin/java" "$here/TrainingApiServer.java" "$train/api-port" - "$train/api.p12")
exec 4> >(exec "$build_jdk/bin/java" "$here/TrainingApiServer.java" "$train/cluster-api-port" \
  "$here/training-cluster" "$train/api.p12")
for ((i = 0; i < 600; i++)); do
  [[ -s $train/api-port && -s $train/cluster-api-port ]] && break
  sleep 0.2
done
[[ -s $train/api-port && -s $train/cluster-api-port ]] || { echo "[image-aot] the training API servers did not start" >&2; exit 1; }

# scrape LOG PATH...: GETs each PATH from the status server whose port LOG names ("... on port N"),
# as the kubelet's probes and Prometheus do, so serving them is in the cache too; the answers are
# not checked (a path a program does not serve is answered 404).
scrape() {
  local port path
  port=$(grep -o -E -m 1 'on port [0-9]+' "$1" | grep -o -E '[0-9]+$') || return 0
  for path in "${@:2}"; do
    exec 5<>"/dev/tcp/127.0.0.1/$port" || continue
    printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$path" >&5
    cat <&5 >/dev/null || true
    exec 5<&-
  done
}

# train NAME MAIN API_PORT_FILE READY_FILE READY_PATTERN OPTIONS ENV...: runs MAIN against that API
# server with the JVM OPTIONS (one word, space separated) until READY_FILE (its log, or the writes the
# API server answered) holds a line matching READY_PATTERN (or it exits), then stops it.
train() {
  local name=$1 main=$2 port=$3 ready_file=$4 ready=$5 log=$train/$1.log pid i options
  read -r -a options <<<"$6"
  shift 6
  env -i PATH=/usr/bin:/bin LANG=C.UTF-8 KUBERNETES_MASTER="https://127.0.0.1:$(cat "$port")" \
    KUBERNETES_CERTS_CA_FILE="$train/api-ca.crt" KUBERNETES_AUTH_TOKEN=training-token \
    KUBERNETES_AUTH_TRYKUBECONFIG=false KUBERNETES_AUTH_TRYSERVICEACCOUNT=false \
    KUBERNETES_NAMESPACE=gpudra-system "$@" \
    "$java" -XX:+UseSerialGC "${options[@]}" -XX:AOTCacheOutput="$out/app/aot/$name.aot" \
    -cp "$cp_train" "$main" >"$log" 2>&1 &
  pid=$!
  [[ $ready_file == LOG ]] && ready_file=$log
  for ((i = 0; i < 600; i++)); do
    grep -q -E -- "$ready" "$ready_file" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  scrape "$log" /healthz /metrics /explain/training/large-memory
  sleep 3
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  if [[ ! -s $out/app/aot/$name.aot ]]; then
    echo "[image-aot] training $name wrote no cache; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  # A run that stopped early still gives a valid cache, only one with fewer classes in it.
  local reached="reached \"$ready\""
  grep -q -E -- "$ready" "$ready_file" || reached="stopped before \"$ready\" (last lines: $(tail -n 3 "$log" | cut -c1-200))"
  echo "[image-aot] $name: $(du -m "$out/app/aot/$name.aot" | cut -f1) MiB; the training run $reached"
}

train kubelet-plugin dev.gpudra.plugin.Main "$train/api-port" LOG GPUDRA-KUBELET-PLUGIN-READY \
  --enable-native-access=ALL-UNNAMED \
  NODE_NAME=aot-training POD_UID=00000000-0000-0000-0000-000000000000 \
  KUBELET_PLUGIN_DIRECTORY_PATH="$node/plugins" KUBELET_REGISTRAR_DIRECTORY_PATH="$node/registry" \
  GPUDRA_CDI_DIR="$node/cdi" GPUDRA_CHECKPOINT_DIR="$node/checkpoint" \
  GPUDRA_DRIVER_ROOT="$node/driver" GPUDRA_HOST_DRIVER_ROOT="$node/driver" GPUDRA_DEV_ROOT="$node" \
  GPUDRA_PROC_ROOT="$node/proc" GPUDRA_SYSFS_ROOT="$node/sys" GPUDRA_BOOT_ID_PATH="$node/boot_id" \
  GPUDRA_METRICS_PORT=0 GPUDRA_NVML_LIBRARY="$train/app/mock-nvml/libnvidia-ml.so.1" \
  GPUDRA_MOCK_NVML_PROFILE=a100-8x GPUDRA_MOCK_NVML_STATE="$node/mock-state/a100-8x.state"
# The controller until it has allocated the pre-bound claim (its status written); the pending-claim
# pass starts with it and explains the pending claims (an Event each) within the seconds after.
# Both take the allocator and CEL through their work.
train driver-controller dev.gpudra.controller.Main "$train/cluster-api-port" "$train/cluster-api-port.writes" \
  "resourceclaims/[^/]+/status" "" \
  GPUDRA_METRICS_PORT=0 GPUDRA_INFORMER_SYNC_TIMEOUT=PT1M POD_NAME=aot-training
echo "[image-aot] driver-controller's writes: $(sort "$train/cluster-api-port.writes" | uniq -c | tr -s ' \n' ' ')"
