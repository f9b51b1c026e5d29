#!/bin/sh
# Where the floor of filter tracing is: the same program traced by builds that each leave out
# one more part of a traced call's work, side by side in one bench_process_cpu.py run
# (docs/benchmarks.md, "Issue 16, the floor"). The parts are left out by floor.patch, applied
# to a copy of the checked-out commit and built once per variant with -DATR_FLOOR=N:
#
#   values      the commit as is: arguments and result captured and written
#   novalues    no argument or result captured (the START and END records still written,
#               with function, parent and the two times)
#   nowriter    no record written (the binding's own work: frame, call stack, parent span)
#   monitoring  (CPython 3.12+) the two sys.monitoring callbacks return at once
#
#   bench/floor/run.sh PYTHON [ROUNDS] [WORKLOADS]
#       e.g. bench/floor/run.sh /tmp/venv312/bin/python 5 fib,richards,deltablue,raytrace
#
# PYTHON needs pyperformance for richards, deltablue and raytrace. The builds go to a
# temporary directory, removed at the end. The patch is for measuring only: it is never built
# into argtrace.
set -eu
PY=${1:?usage: bench/floor/run.sh PYTHON [ROUNDS] [WORKLOADS]}
ROUNDS=${2:-5}
WORKLOADS=${3:-fib,richards,deltablue,raytrace}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/atr_floor.XXXXXX")
trap 'git -C "$REPO" worktree remove --force "$TMP/src" 2>/dev/null; rm -rf "$TMP"' EXIT

git -C "$REPO" worktree add --detach --quiet "$TMP/src" HEAD
git -C "$TMP/src" apply "$HERE/floor.patch"
minor=$("$PY" -c 'import sys; print(sys.version_info[1])')
levels="0 1 2"
[ "$minor" -ge 12 ] && levels="0 1 2 3"
builds=""
for n in $levels; do
    case $n in 0) name=values ;; 1) name=novalues ;; 2) name=nowriter ;; 3) name=monitoring ;; esac
    cmake -S "$TMP/src" -B "$TMP/b$n" -DATR_BUILD_PYTHON=ON -DATR_BUILD_TESTS=OFF \
        -DATR_BUILD_VIEWER=OFF -DATR_BUILD_BENCH=OFF -DATR_BUILD_EXAMPLES=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE="$PY" \
        -DCMAKE_C_FLAGS="-DATR_FLOOR=$n" > "$TMP/cmake$n.log" 2>&1 ||
        { cat "$TMP/cmake$n.log" >&2; exit 1; }
    cmake --build "$TMP/b$n" -j2 > "$TMP/build$n.log" 2>&1 || { tail -20 "$TMP/build$n.log" >&2; exit 1; }
    builds="$builds --build $name=$TMP/b$n/python"
done
# shellcheck disable=SC2086
"$PY" "$REPO/bench/bench_process_cpu.py" $builds --rounds "$ROUNDS" --workloads "$WORKLOADS"
