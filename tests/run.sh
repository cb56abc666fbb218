#!/bin/sh
# Builds libguestfsd with warnings as errors and runs every test suite.
# Ends with "N passed, N failed, N skipped" over all individual checks.
set -e
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[ -d "$build" ] || meson setup "$build" -Dwerror=true
ninja -C "$build"
status=0
meson test -C "$build" --print-errorlogs --num-processes 2 "$@" || status=$?
/usr/bin/python3 tests/summarize.py "$build/meson-logs/testlog.json"
exit $status
