#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
#	tests/show-failures.sh BUILD_DIR [LINES]
#
# Print the last LINES (default 80) of the log of every test under
# BUILD_DIR that did not pass (FAIL, ERROR, XPASS in its .trs): CI output is
# all anyone sees of a failed run.  Used by tests/check.sh and
# tests/sanitize.sh.
set -u
dir=${1:?usage: show-failures.sh BUILD_DIR [LINES]}
lines=${2:-80}
find "$dir" -name '*.log' ! -name config.log ! -name test-suite.log | while read -r log; do
	trs=${log%.log}.trs
	[ -f "$trs" ] || continue
	if grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs"; then
		echo "===== $log ====="
		tail -n "$lines" "$log"
	fi
done
