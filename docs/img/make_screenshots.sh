#!/usr/bin/env bash
# Regenerates the README's pictures of `argtrace report`: traces the bundled example
# (examples/slow_example.py), writes its report and screenshots it in headless Chromium at
# 1400×1000 into docs/img/report.png (the top of the page). Needs the argtrace package (pip install ., or PYTHONPATH=build/python)
# and chromium (Debian: apt-get install chromium). Durations differ a little run to run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
if [ -z "$CHROMIUM" ]; then
    echo "make_screenshots: no chromium found (apt-get install chromium, or set CHROMIUM)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$PYTHON" -m argtrace run -o slow_example.atr "$root/examples/slow_example.py" >/dev/null
"$PYTHON" -m argtrace report slow_example.atr -o report.html

shot() { # OUT URL
    "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$tmp/profile" --window-size=1400,1000 --screenshot="$1" "$2" \
        >/dev/null 2>&1
    echo "make_screenshots: wrote $1"
}
shot "$root/docs/img/report.png" "file://$tmp/report.html"
