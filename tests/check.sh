#!/bin/bash
# The README's test command: install what is missing, build, run every test
# (unit, BPF program, network-namespace end-to-end), then make distcheck.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh"
"$top/tests/build.sh"
cd "$top/build"
rc=0
make -j"$(nproc)" check || rc=$?
# Show the logs of whatever did not pass: CI output is all anyone sees.
for log in $(find . -name '*.log' ! -name config.log ! -name test-suite.log); do
	trs=${log%.log}.trs
	[ -f "$trs" ] || continue
	if grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
		echo "===== $log ====="
		tail -n 80 "$log"
	fi
done
[ $rc -eq 0 ] || { echo "make check failed"; exit $rc; }
if [ "${WGW_SKIP_DISTCHECK:-0}" != 1 ]; then
	make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror WGW_TEST_QUICK=1
fi
