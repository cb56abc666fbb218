#!/bin/sh
# The full benchmark: ours vs the original guestfsd, both driven by the real
# libguestfs library.  Prints the table and writes bench/results.md.
#
#   bench/run.sh [BUILDDIR] [run.py options: --runs N, --only ls,find, --quick ...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
builddir=${1:-build}
[ $# -gt 0 ] && shift
ninja -C "$builddir" >/dev/null
markdown="$here/results.md"
case " $* " in *" --quick "*|*" --only "*) markdown="$builddir/bench/results-partial.md" ;; esac
exec /usr/bin/python3 "$here/run.py" --builddir "$builddir" --markdown "$markdown" "$@"
