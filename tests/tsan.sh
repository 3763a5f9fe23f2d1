#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The multi-threaded tests under ThreadSanitizer, in a build directory of
# their own:
#
#	tests/tsan.sh [BUILD_DIR] [make check arguments...]
#
# BUILD_DIR defaults to ./build-tsan at the top of the tree.  It is
# configured once (re-runs reuse it) with clang and
#	-g -O1 -fsanitize=thread -fno-omit-frame-pointer
# Without TESTS=... it runs the tests that start threads: the engine under
# concurrent workers and admin changes (test_engine, test_engine_stress),
# the session tables and their QSBR readers (test_sessions, test_quota), the
# control server (test_ctl, test_ctl_root), the fallback ports
# (test_fallback), the worker's requests while it runs (test_worker), the
# session store thread with a running worker against redis-server
# (test_store), and the daemon in fallback mode with its workers and control thread
# (tests/netns/e2e_fallback.sh).
#
# Any report fails the run: halt_on_error stops the program at the first one
# with exit code 66, which no test expects, and every report is also written
# to BUILD_DIR/tsan-reports/ (log_path): the daemon under a namespace test
# logs to a temporary directory the test removes, and a test may not look
# at every child's exit status, so the files are what this script judges.
# No suppressions: a race in a library we link would be named here, with
# the reason.
#
# Not built with --enable-werror: clang warns about other things than the
# gcc build that -Werror CI runs, and this job is about run-time findings.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${1:-$top/build-tsan}
[ $# -gt 0 ] && shift

SAN="-fsanitize=thread"
export CC=${CC:-clang}
export CFLAGS="-g -O1 $SAN -fno-omit-frame-pointer"
export LDFLAGS="$SAN"

# Everything runs 5-15 times slower: give Check's per-test timeout room.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-6}
# For tests whose rate or memory bounds do not hold under a sanitizer.
export WGW_SANITIZED=1

TESTS_DEFAULT="tests/unit/test_engine tests/unit/test_engine_stress
	tests/unit/test_sessions tests/unit/test_quota tests/unit/test_ctl
	tests/unit/test_ctl_root tests/unit/test_fallback tests/unit/test_worker
	tests/unit/test_store tests/netns/e2e_fallback.sh"

command -v "$CC" >/dev/null || { echo "tsan: $CC not found (apt-get install clang)" >&2; exit 1; }

# TSan's shadow memory wants the program's mappings where its fixed layout
# expects them.  With more than 28 bits of mmap randomisation (some newer
# kernels default to 32) clang 14's runtime dies with "unexpected memory
# mapping" before main().  Then run without address randomisation for this
# job alone (setarch -R, the process and its children) rather than lowering
# vm.mmap_rnd_bits for the whole machine.
run=()
rnd=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
if [ "$rnd" -gt 28 ]; then
	echo "tsan: vm.mmap_rnd_bits=$rnd > 28: running under setarch -R (no ASLR) so TSan's memory layout holds"
	run=(setarch "$(uname -m)" -R)
fi

start=$(date +%s)
WGW_BUILD_DIR=$bdir WGW_WERROR=0 "$top/tests/build.sh" -q
cd "$bdir"
have_tests=0
for a in "$@"; do
	case $a in TESTS=*) have_tests=1 ;; esac
done
[ $have_tests = 1 ] || set -- "$@" TESTS="$(echo $TESTS_DEFAULT)"
rc=0
reports=$PWD/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:report_signal_unsafe=1:second_deadlock_stack=1:log_path=$reports/tsan${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
"${run[@]}" make -j"$(nproc)" check "$@" || rc=$?
"$top/tests/show-failures.sh" . 150
# Every report fails the run, whether or not the test that ran the program
# noticed (the file name ends in the program's pid).
n=0
for f in "$reports"/tsan.*; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	echo "===== $f ====="
	head -n 80 "$f"
done
if [ $n -gt 0 ]; then
	echo "tsan: $n program(s) reported by ThreadSanitizer"
	[ $rc -ne 0 ] || rc=66
fi
echo "tsan: make check took $(( $(date +%s) - start )) s, status $rc"
exit $rc
