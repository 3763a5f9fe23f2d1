#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A bounded soak (issue 8, "Load"): the real daemon in the lab at a high
# share of its measured capacity, for WGW_SOAK_SECONDS (default 90: the CI
# form; docs/faults.md gives the long forms), with session churn: one
# long-lived client for the whole run, and clients that come and go with
# new sessions, new source ports and both source addresses.  Every few
# seconds the daemon's RSS and its table occupancy are sampled.  Asserted:
#   - RSS flat after warm-up (growth under WGW_SOAK_RSS_SLACK_KB),
#   - mappings and CIDs bounded by what the clients can hold alive,
#   - after traffic stops and the (short) timeouts pass, both tables at 0,
#   - the long-lived sessions never changed backend, no reply was wrong,
#   - every datagram lost is explained by a counter (faults.sh acct_check),
#   - the daemon ran throughout, on the data path it started with.
#
# Environment: WGW_SOAK_SECONDS (90), WGW_SOAK_LOAD_PCT (share of the
# measured capacity to offer, 50), WGW_SOAK_SAMPLE_S (5),
# WGW_SOAK_RSS_SLACK_KB (4096), WGW_SOAK_PPS (a fixed offered rate instead
# of a measured share), WGW_SOAK_FAMILY (4 or 6).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
WGW_FAULTS_LIB=1 . "$(dirname "$0")/faults.sh"

SECONDS_TOTAL=${WGW_SOAK_SECONDS:-90}
LOAD_PCT=${WGW_SOAK_LOAD_PCT:-50}
SAMPLE_S=${WGW_SOAK_SAMPLE_S:-5}
# Under AddressSanitizer (tests/sanitize.sh) freed memory sits in its
# quarantine (256 MiB by default) before it is reused, so RSS grows with
# every allocation the daemon's control thread makes: the bound that
# holds for the real daemon does not hold there.
if [ "${WGW_SANITIZED:-0}" = 1 ]; then
	RSS_SLACK_KB=${WGW_SOAK_RSS_SLACK_KB:-65536}
else
	RSS_SLACK_KB=${WGW_SOAK_RSS_SLACK_KB:-4096}
fi
FAMILY=${WGW_SOAK_FAMILY:-4}
MAP_TIMEOUT=5		# seconds: the shortest the daemon accepts
CID_TIMEOUT=10		# seconds: likewise
EXPIRE_PASS=5		# seconds: the daemon's full expiry pass (daemon.c)

# The long-lived client and one churn client: sessions and sockets.
STEADY_N=256
STEADY_SOCK=64
CHURN_N=512
CHURN_SOCK=128
CHURN_D=4		# seconds of data per churn client

[[ $SECONDS_TOTAL =~ ^[0-9]+$ ]] && [ "$SECONDS_TOTAL" -ge 20 ] ||
	wgw_fail "WGW_SOAK_SECONDS must be a whole number of seconds, at least 20"

rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$WGW_LAB_GW_PID/status"
}

# The highest rate the lab forwards right now: a short unlimited run.
measure_capacity()
{
	local r="$WGW_TMP/capacity.txt"
	wgw_lab_client -n 64 --sockets 16 -d 3 --pps 0 >"$r" ||
		{ cat "$r" >&2; wgw_fail "capacity run"; }
	wgw_kv "$r" rx_pps | cut -d. -f1
}

# Clients that come and go, until $WGW_TMP/stop exists: two loops, offset
# by half a client's life, so that one is always starting while the other
# runs; each client a new seed, new source ports, alternating addresses.
churn_loop()
{
	local id=$1 pps=$2 i=0 bind r rc
	while [ ! -e "$WGW_TMP/stop" ]; do
		i=$((i + 1))
		bind=$WGW_LAB_CLIENT
		[ $((i % 2)) = 0 ] && bind=$WGW_LAB_CLIENT2
		r="$WGW_TMP/churn$id.$i.txt"
		rc=0
		wgw_lab_client -n $CHURN_N --sockets $CHURN_SOCK -d $CHURN_D --pps "$pps" \
			--seed $((id * 100000 + i)) --bind "$bind" --drain 500 >"$r" 2>&1 || rc=$?
		echo "$rc" >"$r.rc"
	done
}

# One sample: "t rss_kb cids mappings" (t in seconds since the start).
sample()
{
	local d="$WGW_TMP/sample" t=$1
	gw_dump "$d"
	printf '%s %s %s %s\n' "$t" "$(rss_kb)" "$(dump_sessions "$d")" "$(dump_mappings "$d")" \
		>>"$WGW_TMP/samples"
}

gw__tables_empty()
{
	local d="$WGW_TMP/drain"
	gw_dump "$d"
	[ "$(dump_sessions "$d")" = 0 ] && [ "$(dump_mappings "$d")" = 0 ]
}

t_soak()
{
	local cap pps churn_pps t0 now t p1 p2 warm rss0 rssmax max_map max_cid bound_map bound_cid
	local d="$WGW_TMP/end" rc f bad=0 churns=0

	wgw_lab_up "$FAMILY"
	wgw_lab_backends
	wgw_lab_gateway --mode auto --mapping-timeout $MAP_TIMEOUT \
		--session-timeout $CID_TIMEOUT --max-mappings 65536 --max-sessions 262144
	if [ -n "${WGW_SOAK_PPS:-}" ]; then
		pps=$WGW_SOAK_PPS
	else
		cap=$(measure_capacity)
		[ -n "$cap" ] && [ "$cap" -gt 0 ] || wgw_fail "no capacity measured"
		pps=$((cap * LOAD_PCT / 100))
		wgw_log "capacity ${cap} pps (replies/s, unlimited client): offering ${LOAD_PCT}% = $pps pps"
	fi
	# Half the offered rate on the long-lived sessions, a quarter on each
	# churn loop.
	churn_pps=$((pps / 4))
	[ "$churn_pps" -ge 100 ] || churn_pps=100
	# The calibration's own mappings expire first: the bounds below
	# count the soak's clients only.
	wgw_wait_for 30 gw__tables_empty || wgw_fail "calibration state did not expire"
	gw_dump "$WGW_TMP/base"
	acct_base "$WGW_TMP/base"

	t0=$(date +%s)
	cl_start steady -n $STEADY_N --sockets $STEADY_SOCK -d "$SECONDS_TOTAL" \
		--pps $((pps / 2)) --seed 4242
	cl_wait_established steady 20
	churn_loop 1 "$churn_pps" &
	p1=$!
	sleep $((CHURN_D / 2))
	churn_loop 2 "$churn_pps" &
	p2=$!
	: >"$WGW_TMP/samples"
	while :; do
		now=$(date +%s)
		t=$((now - t0))
		[ "$t" -lt "$SECONDS_TOTAL" ] || break
		sample "$t"
		tail -n 1 "$WGW_TMP/samples" | {
			read -r st sr sc sm
			wgw_log "t=${st}s rss ${sr} kB, ${sc} CIDs, ${sm} mappings"
		}
		sleep "$SAMPLE_S"
	done
	touch "$WGW_TMP/stop"
	wait "$p1" "$p2"
	cl_stop steady
	sample "$(( $(date +%s) - t0 ))"

	# The long-lived sessions: untouched by the churn around them.
	cl_assert_kept steady $STEADY_N
	# Churn clients: every reply right; handshakes may be lost under
	# load (the accounting below explains every loss).
	for f in "$WGW_TMP"/churn*.txt; do
		churns=$((churns + 1))
		rc=$(cat "$f.rc")
		if [ "$rc" != 0 ] || [ "$(wgw_kv "$f" wrong_source)" != 0 ] ||
		   [ "$(wgw_kv "$f" wrong_cid)" != 0 ] || [ "$(wgw_kv "$f" misdelivered)" != 0 ]; then
			cat "$f" >&2
			bad=$((bad + 1))
		fi
	done
	wgw_log "$churns churn clients"
	wgw_assert_eq 0 "$bad" "churn clients with errors or wrong replies"
	wgw_assert_ge "$churns" $((SECONDS_TOTAL / CHURN_D)) "churn clients run"

	# RSS: flat after warm-up (a third of the run, at least 10 s).
	warm=$((SECONDS_TOTAL / 3))
	[ "$warm" -ge 10 ] || warm=10
	rss0=$(awk -v w="$warm" '$1 >= w { print $2; exit }' "$WGW_TMP/samples")
	rssmax=$(awk -v w="$warm" '$1 >= w && $2 > m { m = $2 } END { print m + 0 }' "$WGW_TMP/samples")
	wgw_log "RSS ${rss0} kB at warm-up (t=${warm}s), at most ${rssmax} kB after"
	[ -n "$rss0" ] || wgw_fail "no sample after warm-up"
	wgw_assert_le $((rssmax - rss0)) "$RSS_SLACK_KB" "RSS growth after warm-up (kB)"

	# Tables: what the live clients hold plus what has not expired yet
	# (idle timeout + one expiry pass), counted in client lives.
	max_map=$(awk '$4 > m { m = $4 } END { print m + 0 }' "$WGW_TMP/samples")
	max_cid=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$WGW_TMP/samples")
	bound_map=$((STEADY_SOCK + 2 * CHURN_SOCK * (2 + (MAP_TIMEOUT + EXPIRE_PASS + CHURN_D) / CHURN_D)))
	bound_cid=$((STEADY_N + 2 * CHURN_N * (2 + (CID_TIMEOUT + EXPIRE_PASS + CHURN_D) / CHURN_D)))
	wgw_log "at most $max_map mappings (bound $bound_map), $max_cid CIDs (bound $bound_cid)"
	wgw_assert_le "$max_map" "$bound_map" "mappings during the soak"
	wgw_assert_le "$max_cid" "$bound_cid" "CIDs during the soak"
	wgw_assert_ge "$max_map" $((STEADY_SOCK + CHURN_SOCK)) "mappings during the soak (traffic ran?)"

	# Traffic stopped: every mapping and CID expires.
	wgw_wait_for $((CID_TIMEOUT + 3 * EXPIRE_PASS + 10)) gw__tables_empty ||
		wgw_fail "tables not empty after the timeouts: $(head -n 1 "$WGW_TMP/drain")"

	# Every loss explained; nothing rebuilt the data path meanwhile
	# (that would also reset the ring statistics the balance uses).
	! grep -q 'moving it to the fallback path' "$(GW_LOG)" ||
		wgw_fail "the data path fell back during the soak"
	gw_dump "$d"
	cat "$d" >&2
	acct_check "$d" "soak"
	wgw_log "samples (t rss_kB CIDs mappings):"
	cat "$WGW_TMP/samples" >&2
	gw_end_checks
}

wgw_run "soak ${SECONDS_TOTAL}s" t_soak
wgw_done
