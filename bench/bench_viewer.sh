#!/bin/sh
# Time the viewer and the analysis library on a generated log of N calls (default 10 million):
# `argtrace-view summary`, `slow`, `tree`, and the library alone (bench_analysis, phase by
# phase). Prints wall time, CPU time and peak RSS of each. Targets: <= 5 s and <= 1 GiB each.
#
#   bench/bench_viewer.sh [BUILD_DIR] [CALLS]          e.g. bench/bench_viewer.sh build 10000000
#
# BUILD_DIR is a configured and built tree (gen_log, bench_analysis, viewer/argtrace-view).
# The log is kept in ${TMPDIR:-/tmp} and reused by later runs with the same CALLS.
set -eu
BUILD=${1:-build}
N=${2:-10000000}
LOG=${TMPDIR:-/tmp}/argtrace_bench_$N.atr
FUNC=app.server.handle
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

if [ ! -x "$BUILD/bench/gen_log" ]; then
    echo "bench_viewer.sh: $BUILD/bench/gen_log not found (build the tree first)" >&2
    exit 2
fi
if [ ! -f "$LOG" ]; then
    "$BUILD/bench/gen_log" -n "$N" -o "$LOG"
fi
echo "log: $LOG ($(wc -c < "$LOG") bytes, $N calls); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

run() {
    label=$1
    shift
    if /usr/bin/time -f "%e %U %S %M" -o "$OUT" "$@" > /dev/null 2>&1; then
        read -r wall user sys rss < "$OUT"
        awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
            printf "%-28s %7.2f s wall %7.2f s cpu %7.0f MiB peak RSS\n", l, w, u + s, r / 1024 }'
    else
        echo "$label: failed ($*)"
    fi
}

VIEW="$BUILD/viewer/argtrace-view"
if [ -x "$VIEW" ]; then
    run "argtrace-view summary" "$VIEW" summary "$LOG"
    run "argtrace-view slow" "$VIEW" slow "$LOG" "$FUNC"
    run "argtrace-view tree" "$VIEW" tree "$LOG" "$FUNC"
else
    echo "($VIEW not built: timing the library only)"
fi
run "bench_analysis (library)" "$BUILD/bench/bench_analysis" "$LOG" "$FUNC"
"$BUILD/bench/bench_analysis" "$LOG" "$FUNC"
