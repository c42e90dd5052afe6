#!/usr/bin/env bash
# Fuzzes every target with Jazzer (profile fuzz) and prints executions and findings per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#
# Each target runs in its own JVM for the given time (plus Jazzer's start-up). Fails when any target
# has a finding, when a target did not run, or when all targets together ran fewer than 10^6
# executions. A crashing input lands in the target's *Inputs directory under src/test/resources,
# where the normal build replays it as a regression test once it is committed.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
seconds=${1:-60}
log=$(mktemp "${TMPDIR:-/tmp}/gpudra-fuzz.XXXXXX.log")
./mvnw -B -ntp -Pfuzz -pl core,cdi,kubelet-plugin -am test \
  -Dgpudra.fuzz.duration="${seconds}s" -Dspotless.check.skip=true \
  -Dmaven.test.failure.ignore=true >"$log" 2>&1
status=$?
# Per surefire execution "fuzz-<target>": libFuzzer's "Done N runs" line and any Java finding.
awk -v status="$status" -v logfile="$log" '
  /--- surefire:.*:test \(fuzz-/ {
    match($0, /\(fuzz-[^)]*\)/); target = substr($0, RSTART + 6, RLENGTH - 7)
    order[++n] = target; runs[target] = "-"; findings[target] = 0; next
  }
  n && /^Done [0-9]+ runs in/ { runs[order[n]] = $2 }
  n && /== Java Exception:|== Java Assertion Error|ERROR: libFuzzer: deadly signal|ERROR: libFuzzer: timeout/ {
    findings[order[n]]++
  }
  # A failing regression input or assertion shows as a failed test even without a libFuzzer line.
  n && /Tests run: [0-9]+, (Failures: [1-9]|Failures: [0-9]+, Errors: [1-9])/ { failed[order[n]] = 1 }
  END {
    printf "%-20s %14s %9s\n", "target", "executions", "findings"
    total = 0; bad = 0
    for (i = 1; i <= n; i++) {
      t = order[i]
      if (failed[t] && findings[t] == 0) findings[t] = 1
      printf "%-20s %14s %9d\n", t, runs[t], findings[t]
      if (runs[t] == "-") bad = 1; else total += runs[t]
      if (findings[t] > 0) bad = 1
    }
    printf "%-20s %14d\n", "total", total
    if (n == 0 || bad || total < 1000000 || status != 0) {
      printf "FAILED (maven exit %d, log %s)\n", status, logfile; exit 1
    }
    printf "OK: 0 findings, %d executions (log %s)\n", total, logfile
  }' "$log"
