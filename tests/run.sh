#!/bin/sh
# Builds libguestfsd with warnings as errors and runs every test suite.
# Ends with "N passed, N failed, N skipped" over all individual checks.
set -e
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
[ -d "$build" ] || meson setup "$build" -Dwerror=true
ninja -C "$build"
# Not run by default: our daemon in Debian's appliance against the
# original's recorded outputs (tests/differential/README.md; TCG boots,
# about 30-60 minutes).
if [ "${1:-}" = differential-appliance ]; then
  ninja -C "$build" appliance
  exec /usr/bin/python3 tests/differential/difftest.py --mode appliance --builddir "$build" \
    --compare tests/differential/reference --output "$build/differential/appliance"
fi
status=0
meson test -C "$build" --print-errorlogs --num-processes 2 --no-suite appliance "$@" || status=$?
cp "$build/meson-logs/testlog.json" "$build/meson-logs/testlog-main.json"
logs="$build/meson-logs/testlog-main.json"
# The appliance smoke test boots the real libguestfs appliance with our
# daemon (TCG here: a few minutes), and live/test-vm.py boots it with
# systemd as a running VM whose guest agent is our daemon (about two
# minutes); the rest of the appliance suite and
# its conformance run are documented in tools/README-appliance.md.
if [ "${SKIP_APPLIANCE_SMOKE:-}" != 1 ] && [ $# -eq 0 ]; then
  GDTEST_APPLIANCE=1 meson test -C "$build" --print-errorlogs appliance/smoke.py \
    live/test-vm.py || status=$?
  logs="$logs $build/meson-logs/testlog.json"
fi
# The Debian packages: built, lintian, installed into a clean Debian 12
# root, and a guestfish session from them (tools/test-debs.sh).
if [ "${SKIP_DEBS_TEST:-}" != 1 ] && [ $# -eq 0 ]; then
  GDTEST_DEBS=1 meson test -C "$build" --print-errorlogs --logbase testlog-debs debs/test-debs.sh || status=$?
  logs="$logs $build/meson-logs/testlog-debs.json"
fi
# shellcheck disable=SC2086
/usr/bin/python3 tests/summarize.py $logs
exit $status
