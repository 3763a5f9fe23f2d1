#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The session store (--session-store) with the real daemon and a real
# redis-server (in the gateway's namespace, on its loopback):
#  - every CID the gateway learns is in Redis, keyed wgw:cid:<hex>, valued
#    by its backend's address:port, with the CID idle timeout as its TTL;
#  - a gateway restarted WITHOUT a state file (--state-file none) finds
#    the sessions again through lookups: clients with the same CIDs from
#    new source ports all reach the backend they had (without the store
#    most would not: statefile.sh t_without_state checks that);
#  - Redis killed mid-run: no crash, no stall, traffic keeps flowing
#    (known sessions by their CIDs, new ones by rule 1 at once, nothing
#    held); Redis back: the gateway reconnects by itself and writes again;
#  - the time for a binding learned on the gateway to be visible in Redis
#    is measured and logged.
# Both data paths: the lab's default (XDP) and --mode fallback; IPv6 too.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/sessions_lib.sh"
wgw_require_root
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
	wgw_skip "redis-server / redis-cli not installed (tests/deps.sh installs them)"

N=24		# sessions, one source port each
SEED=5151	# the same CIDs in every client run
RPORT=6391	# Redis, in the gateway namespace (its own loopback)
STORE=redis://127.0.0.1:$RPORT

rcli()
{
	wgw_in gw redis-cli -p $RPORT "$@"
}

redis_pong()
{
	[ "$(rcli ping 2>/dev/null)" = PONG ]
}

redis_up()
{
	wgw_bg gw redis-server --bind 127.0.0.1 --port $RPORT --save '' --appendonly no \
		--protected-mode no --daemonize no >>"$WGW_TMP/redis.log" 2>&1
	REDIS_PID=$WGW_BG_PID
	wgw_wait_for 10 redis_pong || wgw_fail "redis-server did not answer"
}

# store_state: the first store's state in `status`.
store_state()
{
	gwctl status >"$WGW_TMP/st.txt"
	ctl_get "$WGW_TMP/st.txt" "session_store/stores/$STORE/state"
}

store_is()
{
	[ "$(store_state)" = "$1" ]
}

# stat NAME: a session_store counter of `stats`.
stat()
{
	gwctl stats >"$WGW_TMP/stats.txt"
	ctl_get "$WGW_TMP/stats.txt" "session_store/$1"
}

# keys_of RUN: the store keys of run RUN's CIDs present in Redis.
keys_of()
{
	local n=0 cid
	for cid in $(awk '{ print $2 }' "$WGW_TMP/$1.sessions"); do
		[ "$(rcli exists "wgw:cid:$cid")" = 1 ] && n=$((n + 1))
	done
	echo $n
}

all_keys_of()
{
	[ "$(keys_of "$1")" = $N ]
}

# check_values RUN: each key holds its session's backend address:port
# and a TTL of the CID idle timeout (--session-timeout 300) at most.
check_values()
{
	local cid id v want ttl
	while read -r _ cid _ id _; do
		v=$(rcli get "wgw:cid:$cid")
		want=$(wgw_lab_ep "${WGW_LAB_BACKENDS[$((id - 1))]}" $WGW_LAB_PORT)
		[ "$v" = "$want" ] || wgw_fail "wgw:cid:$cid holds '$v', session on $want"
		ttl=$(rcli pttl "wgw:cid:$cid")
		[ "$ttl" -gt 290000 ] && [ "$ttl" -le 300000 ] ||
			wgw_fail "wgw:cid:$cid: TTL $ttl ms, expected the CID idle timeout (300000)"
	done <"$WGW_TMP/$1.sessions"
}

# The time from a binding learned on the gateway (one packet of a new CID)
# to its key in Redis, in ms: one session, polled with redis-cli.
visible_ms()
{
	local t0 t1 cid
	rm -f "$WGW_TMP/vis.sessions"
	t0=$(wgw__now_us)
	wgw_lab_client -n 1 -c 1 --seed 777 --no-handshake --dump-sessions "$WGW_TMP/vis.sessions" \
		>/dev/null 2>&1 &
	while [ ! -s "$WGW_TMP/vis.sessions" ] && [ $(( $(wgw__now_us) - t0 )) -lt 5000000 ]; do
		sleep 0.01
	done
	wait
	cid=$(awk '{ print $2 }' "$WGW_TMP/vis.sessions")
	[ -n "$cid" ] || wgw_fail "visibility probe: no session"
	t0=$(wgw__now_us)
	wgw_in gw sh -c "until [ \"\$(redis-cli -p $RPORT exists wgw:cid:$cid)\" = 1 ]; do :; done" &
	wait $!
	t1=$(wgw__now_us)
	echo $(( (t1 - t0) / 1000 ))
}

# The Debian package's module, even when another python3 comes first.
PY=
for p in python3 /usr/bin/python3; do
	"$p" -c 'import prometheus_client.parser' 2>/dev/null && { PY=$p; break; }
done

# prom_check: the store's series in the exposition pass a real parser,
# the latency histogram with its buckets, sum and count.
prom_check()
{
	[ -n "$PY" ] || wgw_fail "python3-prometheus-client is missing (tests/deps.sh installs it)"
	gwctl stats --prometheus >"$WGW_TMP/prom.txt" || wgw_fail "stats --prometheus"
	"$PY" - "$WGW_TMP/prom.txt" "$STORE" <<'EOF' || wgw_fail "the store's metrics do not pass the parser"
import sys
from prometheus_client.parser import text_string_to_metric_families

fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
h = fams.get("wraith_gateway_store_lookup_latency_seconds")
if not h or h.type != "histogram":
    sys.exit("no latency histogram")
buckets = [s for s in h.samples if s.name.endswith("_bucket")]
count = [s.value for s in h.samples if s.name.endswith("_count")]
if not buckets or buckets[-1].labels["le"] != "+Inf" or not count or buckets[-1].value != count[0]:
    sys.exit("histogram buckets/count inconsistent")
if any(b.value > a.value for a, b in zip(buckets[1:], buckets)):
    sys.exit("buckets not cumulative")
if count[0] < 1:
    sys.exit("no lookup in the histogram")
st = fams["wraith_gateway_store_state"]
if not any(s.labels == {"store": sys.argv[2], "state": "connected"} and s.value == 1 for s in st.samples):
    sys.exit("store not connected in the metrics")
if fams["wraith_gateway_store_hits"].samples[0].value < 1:
    sys.exit("no hits counted")
EOF
}

# store_start FAMILY [ARGS...]: the lab, Redis and a gateway with the store
# (ARGS for the gateway); sessions a run, each binding in Redis with its
# backend and TTL.
store_start()
{
	local fam=$1
	shift
	wgw_lab_up "$fam"
	wgw_lab_backends
	redis_up
	wgw_lab_gateway --state-file none --session-timeout 300 --session-store "$STORE" "$@"
	ctl_up
	wgw_wait_for 10 store_is connected || wgw_fail "store not connected: $(store_state)"
	clients a
	wgw_wait_for 5 all_keys_of a || wgw_fail "$(keys_of a) of $N CIDs in Redis"
	check_values a
}

# store_restart NAME [ARGS...]: SIGKILL and a start without a state file
# (ARGS for the gateway); the sessions come back from new ports as run NAME.
store_restart()
{
	local name=$1
	shift
	kill -KILL "$WGW_LAB_GW_PID"
	wait "$WGW_LAB_GW_PID" 2>/dev/null
	wgw_lab_gateway --state-file none --session-timeout 300 --session-store "$STORE" "$@"
	ctl_up
	wgw_wait_for 10 store_is connected || wgw_fail "store not connected after the restart"
	clients "$name"
}

t_store()
{
	local k down0 hits
	# Writes: every CID, its backend, its TTL.
	store_start 4 "$@"
	wgw_log "$N bindings in Redis; $(stat store_writes) writes"

	# A restart without a state file: the sessions come back by lookups;
	# a lookup rate below the default, so that the flood below goes past it.
	store_restart b --session-store-lookup-rate 1000 "$@"
	same a b "restart without a state file, with the store"
	hits=$(stat store_hits)
	wgw_assert_ge "$hits" $N "store hits after the restart"
	prom_check
	wgw_log "after the restart: $hits hits, $(stat store_misses) misses, lookup latency avg $(stat store_lookup_latency_avg_us) us max $(stat store_lookup_latency_max_us) us"

	# A flood of random CIDs, each from a new endpoint, faster than the
	# lookup rate: Redis sees the rate at most, the known sessions lose
	# nothing.
	local l0 r0 t0 t1 l r lmax lpid
	l0=$(stat store_lookups)
	r0=$(stat store_lookup_ratelimited)
	wgw_lab_client -n $N --sockets $N -d 3 --pps 1000 --seed $SEED --no-handshake \
		--expect-loss-max 0 >"$WGW_TMP/legit.txt" 2>&1 &
	lpid=$!
	t0=$(wgw__now_us)
	(ulimit -n 8192 && wgw_lab_client -n 3000 --sockets 3000 -c 3000 --pps 1500 \
		--no-handshake --drain 300) >"$WGW_TMP/flood.txt" 2>&1 || {
		cat "$WGW_TMP/flood.txt" >&2
		wgw_fail "flood client"
	}
	t1=$(wgw__now_us)
	wait $lpid || {
		cat "$WGW_TMP/legit.txt" >&2
		wgw_fail "known sessions lost packets during the flood"
	}
	l=$(( $(stat store_lookups) - l0 ))
	r=$(( $(stat store_lookup_ratelimited) - r0 ))
	# 1000/s per worker (one worker here), a burst of 100, a tenth more
	lmax=$(( (t1 - t0) * 1100 / 1000000 + 100 ))
	wgw_log "flood of 3000 new CIDs in $(( (t1 - t0) / 1000 )) ms: $l lookups (at most $lmax), $r rate-limited"
	wgw_assert_le "$l" "$lmax" "lookups during the flood"
	wgw_assert_ge "$r" 1 "lookups refused by the rate limit"

	# Redis killed mid-run: traffic keeps flowing, nothing waits.
	wgw_lab_client -n $N --sockets $N -d 6 --pps 2000 --seed $SEED --no-handshake \
		--expect-loss-max 1 >"$WGW_TMP/during.txt" 2>&1 &
	local cpid=$!
	sleep 1
	kill -KILL "$REDIS_PID"
	wait "$REDIS_PID" 2>/dev/null
	wgw_wait_for 5 store_is down || wgw_fail "store not down after Redis died: $(store_state)"
	down0=$(stat store_lookup_down)
	# new sessions (other CIDs) while it is down: rule 1 at once
	clients c 9191
	# (a client port the kernel reused may still have its mapping: no lookup)
	wgw_assert_ge "$(stat store_lookup_down)" $((down0 + N / 2)) "lookups skipped while down"
	wgw_assert_eq 0 "$(stat store_queue_depth)" "packets held while the store is down"
	wait $cpid || {
		cat "$WGW_TMP/during.txt" >&2
		wgw_fail "traffic lost while Redis went away"
	}
	wgw_alive "$WGW_LAB_GW_PID" || wgw_fail "the gateway died with Redis"
	[ "$(grep -c 'session store .*: down' "$WGW_TMP/gatewayd.log")" -ge 1 ] ||
		wgw_fail "no log line for the store going down"

	# Redis back: reconnected, writes again.
	redis_up
	wgw_wait_for 10 store_is connected || wgw_fail "no reconnection: $(store_state)"
	gwctl status >"$WGW_TMP/st.txt"
	wgw_assert_ge "$(ctl_get "$WGW_TMP/st.txt" "session_store/stores/$STORE/reconnects")" 1 \
		"reconnects"
	clients d 4747
	wgw_wait_for 5 all_keys_of d || wgw_fail "$(keys_of d) of $N new CIDs in Redis after the reconnection"
	k=$(visible_ms)
	# an upper bound (redis-cli processes polling, two CPUs shared);
	# tests/unit/test_store measures it exactly
	wgw_log "binding visible in Redis at most $k ms after the gateway saw the packet"
	wgw_assert_le "$k" 1000 "visibility in ms"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	wgw_stop "$REDIS_PID" 5 || true
}

# IPv6: the values are "[address]:port"; a restart without a state file
# still finds every session.
t_store6()
{
	store_start 6 "$@"
	store_restart b "$@"
	same a b "IPv6: restart without a state file, with the store"
	wgw_assert_ge "$(stat store_hits)" $N "store hits after the restart"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	wgw_stop "$REDIS_PID" 5 || true
}

wgw_run "store, XDP" t_store
wgw_run "store, fallback" t_store --mode fallback
wgw_run "store, IPv6, XDP" t_store6
wgw_run "store, IPv6, fallback" t_store6 --mode fallback
wgw_done
