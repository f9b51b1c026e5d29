#!/bin/sh
# Large logs: `argtrace-view summary`, `slow`, `tree` and `calls` on generated logs of 10M and
# 100M calls (issue 14: 100M calls within 2 GiB and 60 s; issue 16: 10M calls within 2 s and
# 400 MiB). Prints wall time, CPU time and peak RSS of each, and with --before VIEWER the same
# for an older viewer binary, run alternately with the new one (A B A B ...), so both see the
# same machine load. Figures in docs/benchmarks.md ("Large logs").
#
#   bench/bench_scale.sh [--before OLD_VIEWER] [BUILD_DIR] [CALLS...]
#       e.g. bench/bench_scale.sh --before /tmp/old/argtrace-view build 10000000 100000000
#
# BUILD_DIR is a configured and built tree (bench/gen_log, viewer/argtrace-view). Logs are kept
# in ${TMPDIR:-/tmp} and reused by later runs with the same CALLS. Each command runs with
# --max-memory 0 (no limit of its own: the peak RSS is the measurement).
set -eu
BEFORE=
if [ "${1:-}" = "--before" ]; then
    BEFORE=$2
    shift 2
fi
BUILD=${1:-build}
[ $# -gt 0 ] && shift
SIZES=${*:-10000000 100000000}
FUNC=app.server.handle
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT

if [ ! -x "$BUILD/bench/gen_log" ] || [ ! -x "$BUILD/viewer/argtrace-view" ]; then
    echo "bench_scale.sh: $BUILD/bench/gen_log or $BUILD/viewer/argtrace-view missing (build first)" >&2
    exit 2
fi

run() {
    label=$1
    shift
    if /usr/bin/time -f "%e %U %S %M" -o "$OUT" "$@" > /dev/null 2>&1; then
        read -r wall user sys rss < "$OUT"
        awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" 'BEGIN {
            printf "%-34s %8.2f s wall %8.2f s cpu %8.0f MiB peak RSS\n", l, w, u + s, r / 1024 }'
    else
        tail -n 1 "$OUT" | sed "s|^|$label: failed: |"
    fi
}

echo "machine: $(nproc) cores; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for N in $SIZES; do
    LOG=${TMPDIR:-/tmp}/argtrace_bench_$N.atr
    [ -f "$LOG" ] || "$BUILD/bench/gen_log" -n "$N" -o "$LOG" > /dev/null
    echo "log: $LOG ($(wc -c < "$LOG") bytes, $N calls)"
    for cmd in summary slow tree calls; do
        case $cmd in
        summary) args="summary --max-memory 0 $LOG" ;;
        *) args="$cmd --max-memory 0 $LOG $FUNC" ;;
        esac
        for v in ${BEFORE:+before} after; do
            view="$BUILD/viewer/argtrace-view"
            [ "$v" = before ] && view=$BEFORE
            # shellcheck disable=SC2086
            run "$N $cmd ($v)" "$view" $args
        done
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
