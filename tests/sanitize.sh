#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer
# (LeakSanitizer included), in a build directory of its own:
#
#	tests/sanitize.sh [BUILD_DIR] [make check arguments...]
#
# BUILD_DIR defaults to ./build-sanitize at the top of the tree.  It is
# configured once (re-runs reuse it) with clang and
#	-g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer
# and every report aborts the program that hit it (halt_on_error, and
# -fno-sanitize-recover so UBSan does not merely print), so "make check"
# fails on the first finding.  Test logs keep the sanitizer's report: the
# failing ones are printed at the end.
#
# Not built with --enable-werror: clang warns about other things than the
# gcc build that -Werror CI runs, and this job is about run-time findings.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${1:-$top/build-sanitize}
[ $# -gt 0 ] && shift

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
export CC=${CC:-clang}
export CFLAGS="-g -O1 $SAN -fno-omit-frame-pointer"
export LDFLAGS="$SAN"

# A sanitizer report is the test's failure, with a stack that names the
# line.  Leak checking is on (the default on x86-64; said aloud here).
# abort_on_error=0 so the exit status is the sanitizer's, not SIGABRT's
# (a core per finding helps no one in CI).
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:print_summary=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:report_error_type=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# Everything runs slower: give Check's per-test timeout room.
export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-4}
# For tests whose bounds do not hold under the sanitizers (RSS grows with
# ASan's quarantine; rates drop by several times): they may read this.
export WGW_SANITIZED=1

command -v "$CC" >/dev/null || { echo "sanitize: $CC not found (apt-get install clang)" >&2; exit 1; }
start=$(date +%s)
WGW_BUILD_DIR=$bdir WGW_WERROR=0 "$top/tests/build.sh" -q
cd "$bdir"
rc=0
make -j"$(nproc)" check "$@" || rc=$?
# The sanitizer's report is at the end of the failing test's log.
"$top/tests/show-failures.sh" . 120
echo "sanitize: make check took $(( $(date +%s) - start )) s, status $rc"
exit $rc
