#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run one libFuzzer target (built by "make fuzz"):
#
#	tests/fuzz/run.sh NAME [SECONDS] [libFuzzer options...]
#
# NAME is packet, engine, config, ctl or xdp; SECONDS defaults to 20 (the
# CI smoke run; 0 = until stopped or a crash).  Run from the build
# directory, or set WGW_TOP_BUILDDIR.  New inputs go to
# tests/fuzz/corpus/NAME/ in the build tree (the seeds in the source tree
# are only read), a crash to tests/fuzz/crash/NAME-crash-<sha1> together
# with the fuzzer's log; the status is then non-zero.  A target that cannot
# run here (fuzz_xdp without root) exits 77: reported as SKIP, status 0.
#
# Long runs: tests/fuzz/run.sh engine 3600 -jobs=2 -workers=2
# Reproduce: tests/fuzz/fuzz_engine tests/fuzz/crash/engine-crash-...
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 NAME [SECONDS] [libFuzzer options...]" >&2; exit 2; }
name=$1
secs=${2:-20}
shift $(( $# >= 2 ? 2 : 1 ))
src=${WGW_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
bld=${WGW_TOP_BUILDDIR:-$(pwd)}
bin=$bld/tests/fuzz/fuzz_$name
[ -x "$bin" ] || { echo "fuzz $name: $bin not built (make fuzz)" >&2; exit 1; }

# Largest input per target: what its parser can meaningfully take.
case $name in
packet|xdp) opts=(-max_len=1600) ;;
engine) opts=(-max_len=4096) ;;
config) opts=(-max_len=4096 "-dict=$src/tests/fuzz/config.dict") ;;
ctl) opts=(-max_len=1200) ;;
state) opts=(-max_len=65536) ;;	# a few hundred records, all kinds
*) echo "fuzz: unknown target '$name'" >&2; exit 2 ;;
esac

corpus=$bld/tests/fuzz/corpus/$name
crash=$bld/tests/fuzz/crash
log=$bld/tests/fuzz/$name.log
mkdir -p "$corpus" "$crash"
seeds=()
[ -d "$src/tests/fuzz/seeds/$name" ] && seeds=("$src/tests/fuzz/seeds/$name")

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
rc=0
# libFuzzer's own default exit status for a finding is 77, which automake
# and this script read as SKIP: findings exit 1, so 77 only ever means the
# target's own "cannot run here".
"$bin" "${opts[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$crash/$name-" "$@" \
	"$corpus" "${seeds[@]}" >"$log" 2>&1 || rc=$?
case $rc in
0)
	echo "fuzz $name: ${secs}s, no crash ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?') runs, corpus $(find "$corpus" -type f | wc -l) new inputs)"
	;;
77)
	echo "fuzz $name: SKIP: $(tail -n 1 "$log")"
	rc=0
	;;
*)
	echo "fuzz $name: FAILED (status $rc), log $log:"
	tail -n 60 "$log"
	ls -1 "$crash"/"$name"-* 2>/dev/null | sed 's/^/  input: /'
	;;
esac
exit $rc
