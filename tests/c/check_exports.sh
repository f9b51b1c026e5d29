#!/usr/bin/env bash
# Checks the symbols the built libraries define (a ctest, see tests/c/CMakeLists.txt):
#  - libargtrace.so exports only public names, atr_[a-z]... (no atr__ internals, no others);
#  - it exports every function the public headers declare with ATR_API;
#  - every global symbol the static libraries define starts with atr_ (no namespace pollution);
#  - libargtrace_writer.a needs no atr_ symbol it does not define itself (it links alone).
# Usage: check_exports.sh LIBARGTRACE_SO LIBARGTRACE_A LIBARGTRACE_WRITER_A PUBLIC_HEADER_DIR
set -euo pipefail
so=$1 a=$2 writer=$3 hdrs=$4
fail=0

# Linker-made symbols some toolchains export from every shared object.
allowed_extra='^(_init|_fini|_edata|_end|__bss_start)$'

exported=$(nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' | sort -u)
if [ -z "$exported" ]; then
    echo "FAIL: $so exports no symbols"
    exit 1
fi
bad=$(printf '%s\n' "$exported" | grep -Ev '^atr_[a-z0-9]' | grep -Ev "$allowed_extra" || true)
if [ -n "$bad" ]; then
    echo "FAIL: $so exports symbols outside the public atr_ API:"
    printf '    %s\n' $bad
    fail=1
fi

declared=$(cat "$hdrs"/*.h | tr '\n' ' ' | grep -oE 'ATR_API[^;{(]*[ *]atr_[a-z0-9_]+ *\(' |
    grep -oE 'atr_[a-z0-9_]+ *\($' | tr -d ' (' | sort -u)
missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$exported"))
if [ -n "$missing" ]; then
    echo "FAIL: declared with ATR_API in the public headers but not defined in $so:"
    printf '    %s\n' $missing
    fail=1
fi

for lib in "$a" "$writer"; do
    bad=$(nm --defined-only -g "$lib" 2>/dev/null | awk 'NF >= 3 { print $3 }' |
        grep -Ev '^atr_' | sort -u || true)
    if [ -n "$bad" ]; then
        echo "FAIL: $lib defines global symbols without the atr_ prefix:"
        printf '    %s\n' $bad
        fail=1
    fi
done

w_def=$(nm --defined-only -g "$writer" | awk 'NF >= 3 { print $3 }' | sort -u)
w_und=$(nm -u "$writer" | awk '{ print $NF }' | grep -E '^atr_' | sort -u || true)
w_missing=$(comm -23 <(printf '%s\n' "$w_und") <(printf '%s\n' "$w_def") | grep . || true)
if [ -n "$w_missing" ]; then
    echo "FAIL: $writer needs atr_ symbols it does not contain (reader/analysis code?):"
    printf '    %s\n' $w_missing
    fail=1
fi

n_exported=$(printf '%s\n' "$exported" | grep -c '^atr_' || true)
n_declared=$(printf '%s\n' "$declared" | grep -c . || true)
if [ "$fail" -ne 0 ]; then
    echo "check_exports: FAILED"
    exit 1
fi
echo "check_exports: $so exports $n_exported atr_ symbols; all $n_declared ATR_API functions present"
