#!/usr/bin/env bash
# Installs a built argtrace into a scratch prefix and builds programs against the INSTALLED
# files, as a user would: with find_package(argtrace) (shared, static, writer-only) and with
# pkg-config (shared, and static with --static). Each program records a span and reads it back.
# Also checks the install layout (headers under include/argtrace/, nothing named libtrace) and
# that the public headers compile as C++.
# Usage: run.sh BUILD_DIR WORK_DIR [C_COMPILER]       (a ctest: tests/install/CMakeLists.txt)
set -euo pipefail
build=$1 work=$2 cc=${3:-cc}
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"

step() { echo "--- install test: $*"; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

step "layout"
libdir=$(dirname "$(find "$prefix" -name libargtrace.a | head -n 1)")
for f in include/argtrace/atr.h include/argtrace/atr_common.h include/argtrace/atr_writer.h \
    include/argtrace/atr_reader.h; do
    [ -f "$prefix/$f" ] || { echo "FAIL: missing $f"; exit 1; }
done
for f in libargtrace.a libargtrace_writer.a libargtrace.so pkgconfig/argtrace.pc \
    cmake/argtrace/argtraceConfig.cmake cmake/argtrace/argtraceConfigVersion.cmake; do
    [ -e "$libdir/$f" ] || { echo "FAIL: missing $libdir/$f"; exit 1; }
done
if find "$prefix" -name 'libtrace*' | grep .; then
    echo "FAIL: files named libtrace* installed (the name belongs to another project)"
    exit 1
fi
# Every public header of the source tree, and nothing from libtrace/src.
for h in "$here"/../../libtrace/include/argtrace/*.h; do
    [ -f "$prefix/include/argtrace/$(basename "$h")" ] ||
        { echo "FAIL: $(basename "$h") not installed (add it to ATR_PUBLIC_HEADERS)"; exit 1; }
done
if find "$prefix/include" -type f ! -path "$prefix/include/argtrace/*" | grep .; then
    echo "FAIL: headers installed outside include/argtrace/"
    exit 1
fi

step "find_package(argtrace) consumer"
cmake -S "$here/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Release >"$work/cmake-configure.log" ||
    { cat "$work/cmake-configure.log"; exit 1; }
cmake --build "$work/cmake-build" -j2 >"$work/cmake-build.log" ||
    { cat "$work/cmake-build.log"; exit 1; }
for p in consumer_shared consumer_static consumer_default consumer_writer; do
    "$work/cmake-build/$p" "$work/$p.atr"
done

step "pkg-config consumer"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cflags=$(pkg-config --cflags argtrace)
# shellcheck disable=SC2046
"$cc" -o "$work/pc_shared" "$here/consumer/consumer.c" $cflags $(pkg-config --libs argtrace) \
    -Wl,-rpath,"$libdir"
"$work/pc_shared" "$work/pc_shared.atr"
static_libs=$(pkg-config --static --libs argtrace | sed "s|-largtrace|$libdir/libargtrace.a|")
# shellcheck disable=SC2086
"$cc" -o "$work/pc_static" "$here/consumer/consumer.c" $cflags $static_libs
needed=$(readelf -d "$work/pc_static")
if [[ $needed == *libargtrace.so* ]]; then
    echo "FAIL: pc_static links libargtrace.so"
    exit 1
fi
"$work/pc_static" "$work/pc_static.atr"

if command -v c++ >/dev/null; then
    step "public headers compile as C++"
    echo '#include <argtrace/atr.h>' | c++ -fsyntax-only -Wall -Wextra -x c++ $cflags -
fi
echo "install test: ok"
