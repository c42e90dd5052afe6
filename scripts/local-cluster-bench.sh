#!/usr/bin/env bash
# Benchmark of the driver's main job: runs scripts/local-cluster.sh EXAMPLE N times from cached
# binaries and an already built driver (built once here first, not timed) and prints one table:
# per run the time from the command to the example's pods Running, the control plane's start, the
# nodes, chart and pods after it, the command to its report, the stop, and the resident memory of
# every process of the cluster (control plane, kubelets, containerds, the plugin and controller
# containers, the other container processes), with the median over the runs and the load average
# at each run's start and end.
#
#   scripts/local-cluster-bench.sh [N] [EXAMPLE]      N default 3, EXAMPLE default one-gpu
#
# GPUDRA_BENCH_TABLE_ONLY=1 prints the table again from the runs already in the output directory.
# Needs root, like scripts/local-cluster.sh; no local cluster may be running. Each run's report and
# logs are kept in $GPUDRA_BENCH_DIR (default /tmp/gpudra-local-cluster-bench)/run-<i>.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${1:-3}
example=${2:-one-gpu}
out=${GPUDRA_BENCH_DIR:-/tmp/gpudra-local-cluster-bench}
if [[ $(id -u) != 0 ]]; then
  echo "gpudra: the local cluster runs real kubelets and containerd and needs root" >&2
  exit 1
fi
state=${GPUDRA_LOCAL_CLUSTER_DIR:-/tmp/gpudra-local-cluster}
if [[ -f $state/pid ]] && kill -0 "$(<"$state/pid")" 2>/dev/null; then
  echo "gpudra: a local cluster is running (state $state); stop it first" >&2
  exit 1
fi

if [[ ${GPUDRA_BENCH_TABLE_ONLY:-0} == 1 ]]; then
  table_only=1
else
  table_only=0
fi
if [[ $table_only == 0 ]]; then
  source scripts/find-jdk.sh
  e2e/build-k8s.sh
  e2e/fetch-node-packages.sh
  echo "gpudra: building the driver and its image once (Maven, tests skipped; not timed)"
  ./mvnw -B -q -ntp -pl e2e -am package -DskipTests -Dspotless.check.skip=true
  rm -rf "$out"
  mkdir -p "$out"
fi

# The memory table of a run's report ("<label> <pid> <MiB>") as rows of memory.tsv; container
# processes lose their PID in the label and are summed per label.
memory_tsv() {
  awk '
    /^process +pid +RSS MiB/ { table = 1; next }
    table && /^total/ { table = 0; next }
    table && NF >= 3 {
      mib = $NF; pid = $(NF - 1); label = ""
      for (f = 1; f <= NF - 2; f++) label = label (f > 1 ? " " : "") $f
      sub(" " pid "$", "", label)
      # The controller runs on either node: one row for it.
      sub(/^[^ ]+ controller$/, "controller", label)
      if (mib == "gone") next
      sum[label] += mib; count[label]++
      if (!(label in seen)) { seen[label] = 1; order[++n] = label }
    }
    END {
      for (k = 1; k <= n; k++) {
        l = order[k]; total += sum[l]
        printf "RSS MiB\t%s\t%.1f\n", l, sum[l]
      }
      printf "RSS MiB\ttotal\t%.1f\n", total
    }' "$1/report.txt" >"$1/memory.tsv"
}

now() { date +%s%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
for i in $(seq 1 "$runs"); do
  dir=$out/run-$i
  if [[ $table_only == 1 ]]; then
    memory_tsv "$dir"
    continue
  fi
  mkdir -p "$dir"
  echo "gpudra: run $i of $runs (example $example)"
  load >"$dir/load-start"
  t0=$(now)
  GPUDRA_LOCAL_CLUSTER_SKIP_BUILD=1 GPUDRA_LOCAL_CLUSTER_DIR="$state" \
    scripts/local-cluster.sh "$example" >"$dir/start.log" 2>&1 || {
    echo "gpudra: run $i failed; end of its output:" >&2
    tail -n 40 "$dir/start.log" >&2
    exit 1
  }
  t1=$(now)
  load >"$dir/load-end"
  running_ms=$(<"$state/pods-running-at")
  cp "$state/report.txt" "$dir/report.txt"
  cp "$state/cluster.log" "$dir/cluster.log"
  cp -r "$state/control-plane/logs" "$dir/control-plane-logs" 2>/dev/null || true
  GPUDRA_LOCAL_CLUSTER_DIR="$state" scripts/local-cluster.sh >"$dir/stop.log" 2>&1
  t2=$(now)
  awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v running="$running_ms" '
    /^start-up: control plane/ {
      for (f = 1; f <= NF; f++) {
        if ($f == "plane") cp = $(f + 1)
        if ($f == "Running") rest = $(f + 1)
      }
    }
    END {
      printf "time\tcommand to pods Running (s)\t%.1f\n", running / 1000 - t0 / 1e9
      printf "time\t  control plane start (s)\t%.1f\n", cp
      printf "time\t  nodes, chart and pods Running (s)\t%.1f\n", rest
      printf "time\tcommand to report (s)\t%.1f\n", (t1 - t0) / 1e9
      printf "time\tstop (s)\t%.1f\n", (t2 - t1) / 1e9
    }' "$dir/report.txt" >"$dir/times.tsv"
  memory_tsv "$dir"
done

echo
echo "local cluster benchmark: example $example, $runs runs, $(nproc) cores; cached binaries, driver built beforehand"
for i in $(seq 1 "$runs"); do
  echo "  run $i: load average $(<"$out/run-$i/load-start") at the start, $(<"$out/run-$i/load-end") at the report"
done
echo
# One row per measure, one column per run, then the median.
for i in $(seq 1 "$runs"); do
  cat "$out/run-$i/times.tsv" "$out/run-$i/memory.tsv" | awk -v run="$i" -F'\t' '{ print run "\t" $1 "\t" $2 "\t" $3 }'
done | awk -F'\t' -v runs="$runs" '
  {
    key = $2 "\t" $3
    if (!(key in seen) && $3 != "total") { seen[key] = 1; order[++n] = key }
    if ($3 == "total") total = key
    value[key, $1] = $4
  }
  END {
    if (total != "") order[++n] = total
    printf "%-8s %-46s", "", "measure"
    for (r = 1; r <= runs; r++) printf " %8s", "run " r
    printf " %8s\n", "median"
    for (k = 1; k <= n; k++) {
      split(order[k], parts, "\t")
      printf "%-8s %-46s", parts[1], parts[2]
      m = 0
      for (r = 1; r <= runs; r++) {
        v = ((order[k], r) in value) ? value[order[k], r] : ""
        printf " %8s", v == "" ? "-" : v
        if (v != "") vals[++m] = v + 0
      }
      # median of the runs that have the measure
      for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++) if (vals[b] < vals[a]) { t = vals[a]; vals[a] = vals[b]; vals[b] = t }
      med = m == 0 ? "-" : (m % 2 ? vals[(m + 1) / 2] : (vals[m / 2] + vals[m / 2 + 1]) / 2)
      printf " %8s\n", med == "-" ? "-" : sprintf("%.1f", med)
      delete vals
    }
  }' | tee "$out/table.txt"
echo
echo "goal: command to pods Running under 90 s on 2 cores; reports and logs in $out"
