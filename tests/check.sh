#!/bin/bash
# The README's test command: install what is missing, build, and run
#  1. the whole suite (unit, XDP program, network-namespace end to end);
#  2. make distcheck: the release tarball builds out of tree with -Werror,
#     installs, uninstalls and passes the unit and XDP program tests (the
#     namespace tests ran in step 1 on the same sources);
#  3. the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer
#     (tests/sanitize.sh, its own build directory);
#  4. the multi-threaded tests under ThreadSanitizer (tests/tsan.sh, its own
#     build directory): any data race fails the run;
#  5. a short run of every libFuzzer target (make fuzz-smoke).
# Any failure fails the run.  WGW_SKIP_DISTCHECK=1, WGW_SKIP_SANITIZE=1,
# WGW_SKIP_TSAN=1 and WGW_SKIP_FUZZ=1 leave a step out (for quick local runs;
# CI runs them all).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"
"$top/tests/build.sh"
cd "$top/build"

step()
{
	printf '\n===== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"
}

step "make check"
rc=0
make -j"$(nproc)" check || rc=$?
if [ $rc -ne 0 ]; then
	"$top/tests/show-failures.sh" .
	echo "make check failed"
	exit $rc
fi

if [ "${WGW_SKIP_DISTCHECK:-0}" != 1 ]; then
	step "make distcheck"
	unit=$(make -s print-tests | tr ' ' '\n' | grep -E '^tests/(unit|bpf)/' | tr '\n' ' ')
	make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror TESTS="$unit"
fi

if [ "${WGW_SKIP_SANITIZE:-0}" != 1 ]; then
	step "ASan + UBSan: the whole suite"
	"$top/tests/sanitize.sh" "$top/build-sanitize"
fi

if [ "${WGW_SKIP_TSAN:-0}" != 1 ]; then
	step "TSan: the multi-threaded tests"
	"$top/tests/tsan.sh" "$top/build-tsan"
fi

if [ "${WGW_SKIP_FUZZ:-0}" != 1 ]; then
	step "libFuzzer smoke run"
	make fuzz-smoke
fi
step "all passed"
