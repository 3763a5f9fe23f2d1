#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark's report prints only figures that were measured and are
# physically possible: made-up results, the kind real runs produced, go
# through run.sh --report (the report code a real run uses), and the table
# must show '-' for what is missing, negative, not a number or below its
# noise level, never a negative figure, and the numbers that are sound.
# No root, no lab: part of "make check".
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -u
top=${WGW_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A sound system: every figure measured.
cat >"$dir/fast.64" <<EOF
setup_rate=6648
hs_ok=4096
limit_rt=430000
limit_pps=860000
limit_loss=0.05
over_pps=1204000
over_loss=14.2
cpu_ns=4100
cpu_noise_ns=310
cpu_all_ns=9000
cpu_sut_ns=3500
cpu_runs=3
p50_10=40
p99_10=120
p50_50=60
p99_50=900
kept_pct=100.00
EOF
# The figures that were printed as if they were true: a negative machine
# CPU figure (the idle second was busier than the run), one below its
# noise, nothing measured for the memory run (--big 0).
cat >"$dir/ceiling.64" <<EOF
setup_rate=733154
limit_pps=1148000
limit_loss=0.02
over_pps=1150000
over_loss=0.01
cpu_ns=-7550
cpu_noise_ns=900
cpu_all_ns=2500
cpu_sut_ns=1900
EOF
cat >"$dir/nftables.64" <<EOF
setup_rate=267322
limit_pps=1148000
limit_loss=0.08
over_pps=nan
over_loss=nan
cpu_ns=250
cpu_noise_ns=800
cpu_all_ns=nan
cpu_sut_ns=nan
p50_10=-3
EOF
out=$(WGW_NO_SUMMARY=1 bash "$top/tests/bench/run.sh" --report "$dir" \
	--systems ceiling,fast,nftables --sizes 64 --big 0 2>&1) || fail "run.sh --report exited $?"
printf '%s\n' "$out"

row() { printf '%s\n' "$out" | awk -v s="$1" '$1 == s'; }
# col SYSTEM NAME: the field of SYSTEM's row under header NAME.
col()
{
	printf '%s\n' "$out" | awk -v s="$1" -v c="$2" '
		$1 == "system" { for (i = 1; i <= NF; i++) h[$i] = i }
		$1 == s && (c in h) { print $(h[c]); exit }'
}
expect() # SYSTEM COLUMN VALUE
{
	local v
	v=$(col "$1" "$2")
	[ "$v" = "$3" ] || fail "$1 $2: expected '$3', got '$v'"
}

for s in ceiling fast nftables; do
	[ -n "$(row "$s")" ] || fail "no row for $s"
done
# Nothing negative anywhere in the table.
neg=$(printf '%s\n' "$out" | awk '$1 ~ /^(ceiling|fast|nftables)$/ {
	for (i = 2; i <= NF; i++) if ($i ~ /^-[0-9]/) print $1, $i }')
[ -z "$neg" ] || fail "negative figures printed: $neg"

expect ceiling cpu_ns -
expect ceiling noise 900
expect nftables cpu_ns -
expect nftables cpu_all -
expect nftables cpu_sut -
expect nftables over_pps -
expect nftables p50@10 -
# --big 0: no setup rate, no memory figures, whatever the handshake phase
# measured.
for s in ceiling fast nftables; do
	expect "$s" setup/s -
	expect "$s" rss_MiB -
	expect "$s" B/sess -
done
# The sound figures are printed (a report of dashes would pass the rest).
expect fast fwd_pps 860000
expect fast over_pps 1204000
expect fast loss% 14.2
expect fast cpu_ns 4100
expect fast noise 310
expect fast cpu_sut 3500
expect fast x_nft 0.75
expect ceiling x_ceil 1.00
expect fast kept% 100.0
printf '%s\n' "$out" | grep -q "sender's" || fail "the table does not say how veth throttles the sender"

if [ "$fails" -gt 0 ]; then
	echo "report_test.sh: $fails failed"
	exit 1
fi
echo "report_test.sh: all checks passed"
