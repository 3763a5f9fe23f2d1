#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Two gateways behind ECMP (tests/netns/ecmp_lab.sh): a router spreads the
# VIP's traffic over both by an L4 hash, so a client that moves (new source
# port or address) may land on the gateway that never saw its CID.
#
# N sessions with fixed CIDs each move MOVES times (every move a new client
# process: new source ports; every other move a new source address too),
# then gateway 2 is killed mid-run and withdrawn from the route and the
# sessions carry on through gateway 1.  The lab itself is checked (both
# gateways carry sessions, moves cross from one to the other, every session
# is answered, gateway 1 takes over every flow of gateway 2).
#
# With the session store (--session-store, a redis-server on the LAN):
# every move keeps its backend, whichever gateway it reaches; no session
# changes backend when gateway 2 dies, and all are on their first backend
# through gateway 1 afterwards; the CIDs are in Redis with the backend
# that answered them.  Redis killed under traffic while the sessions move:
# no crash, no stall (every moved session answered at once, by rule 1
# where the store would have been asked), both gateways say the store is
# down; Redis back: both reconnect by themselves and moves keep their
# backend again.  A flood of random unknown CIDs from new endpoints: the
# per-worker lookup rate holds (Redis sees at most rate x time + burst),
# the rest is counted as rate-limited, running sessions lose nothing.
#
# Without it, the baseline: how many moves keep their backend is printed,
# not asserted (it depends on the hash), so that the log shows what the
# store changes.  Both data paths (XDP, the lab's default, and --mode
# fallback); IPv4 and IPv6.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ecmp_lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

N=48		# sessions, one socket (source port) each
MOVES=8		# moves per session after the first run
SEED=1515	# the sessions' CIDs, the same in every run

# run NAME K [ARGS...]: one client process, N sessions with the fixed CIDs
# from client address K % 4 (new source ports: each run after the first is
# a move of every session), without handshakes; its report in
# $WGW_TMP/NAME.txt, its sessions in $WGW_TMP/NAME.sessions.
run()
{
	local name=$1 k=$2
	shift 2
	wgw_ecmp_client -n $N --sockets $N -c $((N * 6)) --inflight $N --seed $SEED \
		--no-handshake --bind "${WGW_ECMP_CLIENTS[$((k % 4))]}" \
		--dump-sessions "$WGW_TMP/$name.sessions" "$@" >"$WGW_TMP/$name.txt" 2>&1 || {
		cat "$WGW_TMP/$name.txt" >&2
		wgw_fail "client run $name"
	}
}

# answered NAME: every session of run NAME was answered.
answered()
{
	[ "$(wgw_kv "$WGW_TMP/$1.txt" sessions_unanswered)" = 0 ] || {
		cat "$WGW_TMP/$1.txt" >&2
		wgw_fail "run $1: sessions unanswered"
	}
}

# kept A B: how many sessions of run B have the backend they had in run A.
kept()
{
	join <(awk '{ print $1, $2 }' "$WGW_TMP/$1.carried") \
		<(awk '{ print $1, $2 }' "$WGW_TMP/$2.carried") |
		awk '$2 == $3 && $2 != 0 { n++ } END { print n + 0 }'
}

# crossed A B: how many sessions of run B reached the other gateway than in
# run A.
crossed()
{
	join <(awk '{ print $1, $3 }' "$WGW_TMP/$1.carried") \
		<(awk '{ print $1, $3 }' "$WGW_TMP/$2.carried") |
		awk '$2 != $3 { n++ } END { print n + 0 }'
}

# carried NAME: "CID backend gateway" of each session of run NAME.
carried()
{
	wgw_ecmp_carried "$WGW_TMP/$1.sessions"
}

# on NAME G: sessions of run NAME carried by gateway G.
on()
{
	awk -v g="$2" '$3 == g { n++ } END { print n + 0 }' "$WGW_TMP/$1.carried"
}

# mappings_above G M: gateway G holds more than M mappings.
mappings_above()
{
	local m
	m=$(wgw_ecmp_mappings "$1")
	[ -n "$m" ] && [ "$m" -gt "$2" ]
}

# moves FAMILY MODE STORE [GATEWAY ARGS...]: the sessions moving across
# both gateways (with STORE=1 a redis-server in the lab and both gateways
# on it), then gateway 2 killed mid-run and withdrawn.  Sets MOVED (moves
# made), KEPT (moves that kept their backend), CROSSED (moves that changed
# gateway), CROSSED_KEPT, and for the failure: FAIL_ON2 (sessions gateway 2
# carried when it died), FAIL_CHANGED (sessions answered by a second
# backend within that run), FAIL_KEPT (sessions on their first backend in
# the run after it); all printed.
moves()
{
	local fam=$1 mode=$2 store=$3 i k m1 m2 a=()
	shift 3
	wgw_ecmp_up "$fam"
	wgw_ecmp_backends
	if [ "$store" = 1 ]; then
		wgw_ecmp_redis_start
		a=(--session-store "$(wgw_ecmp_redis_url)")
	fi
	wgw_ecmp_gateway 1 --mode "$mode" "${a[@]}" "$@"
	wgw_ecmp_gateway 2 --mode "$mode" "${a[@]}" "$@"
	if [ "$store" = 1 ]; then
		wgw_wait_for 5 store_state_is 1 connected &&
			wgw_wait_for 5 store_state_is 2 connected ||
			wgw_fail "the gateways did not connect to the store"
	fi

	run r0 0
	answered r0
	carried r0 >"$WGW_TMP/r0.carried"
	wgw_log "run r0: gateway 1 carries $(on r0 1), gateway 2 $(on r0 2) of $N sessions"
	# The router spreads: both gateways carry sessions (by chance, all on
	# one of them is 2^-47).
	wgw_assert_ge "$(on r0 1)" 1 "sessions on gateway 1"
	wgw_assert_ge "$(on r0 2)" 1 "sessions on gateway 2"
	wgw_assert_eq $N "$(( $(on r0 1) + $(on r0 2) ))" "sessions found on a gateway"

	MOVED=0 KEPT=0 CROSSED=0 CROSSED_KEPT=0
	for i in $(seq 1 $MOVES); do
		run "r$i" "$i"
		answered "r$i"
		carried "r$i" >"$WGW_TMP/r$i.carried"
		k=$(kept r0 "r$i")
		MOVED=$((MOVED + N))
		KEPT=$((KEPT + k))
		CROSSED=$((CROSSED + $(crossed "r$((i - 1))" "r$i")))
		# of the sessions that changed gateway, those on their backend
		CROSSED_KEPT=$((CROSSED_KEPT + $(join \
			<(join "$WGW_TMP/r$((i - 1)).carried" "$WGW_TMP/r$i.carried" |
				awk '$3 != $5 { print $1 }') \
			<(join "$WGW_TMP/r0.carried" "$WGW_TMP/r$i.carried" |
				awk '$2 == $4 { print $1 }') | wc -l)))
		wgw_log "move $i: $k of $N sessions kept their backend" \
			"(gateway 1: $(on "r$i" 1), gateway 2: $(on "r$i" 2))"
	done
	wgw_log "moves: $KEPT of $MOVED kept their backend; $CROSSED changed gateway," \
		"of which $CROSSED_KEPT kept their backend"
	# Moves do cross: the lab exercises what it is meant to.
	wgw_assert_ge "$CROSSED" 1 "moves that changed gateway"

	# Gateway 2 dies under traffic, then the route is withdrawn (BGP's
	# hold time, or the announcing daemon's check, in production).  The
	# run comes from a client address the moves did not use, so each of
	# its sessions makes one new mapping on the gateway that carries it.
	m1=$(wgw_ecmp_mappings 1)
	m2=$(wgw_ecmp_mappings 2)
	wgw_bg cl "$(wgw_tool wraith-client)" -n $N --sockets $N -d 6 --pps 2000 --batch 1 --seed $SEED \
		--no-handshake --bind "${WGW_ECMP_CLIENTS[4]}" \
		"$(wgw_ecmp_ep "$WGW_ECMP_VIP" $WGW_ECMP_PORT)" >"$WGW_TMP/fail.txt" 2>&1
	local cl=$WGW_BG_PID
	wgw_wait_for 5 wgw_ecmp_new_mappings "$m1" "$m2" $N ||
		wgw_fail "the $N sessions did not all reach a gateway"
	FAIL_ON2=$(( $(wgw_ecmp_mappings 2) - m2 ))
	wgw_assert_ge "$FAIL_ON2" 1 "sessions on gateway 2 when it dies"
	m1=$(wgw_ecmp_mappings 1)
	wgw_ecmp_kill 2
	wgw_ecmp_withdraw 2
	# Gateway 1 takes over every flow gateway 2 carried (one new mapping
	# each) while the client still sends.
	wgw_wait_for 5 mappings_above 1 $((m1 + FAIL_ON2 - 1)) ||
		wgw_fail "gateway 1 did not take over the $FAIL_ON2 flows of gateway 2"
	wait "$cl" || { cat "$WGW_TMP/fail.txt" >&2; wgw_fail "client run during the failure"; }
	wgw_alive "${WGW_ECMP_GW_PID[1]}" || wgw_fail "gateway 1 died"
	answered fail
	FAIL_CHANGED=$(wgw_kv "$WGW_TMP/fail.txt" sessions_backend_changed)
	run after 2
	answered after
	carried after >"$WGW_TMP/after.carried"
	wgw_assert_eq $N "$(on after 1)" "sessions on gateway 1 after the withdrawal"
	FAIL_KEPT=$(kept r0 after)
	wgw_log "gateway 2 killed and withdrawn while carrying $FAIL_ON2 sessions:" \
		"$FAIL_CHANGED sessions answered by a second backend, then $FAIL_KEPT of $N" \
		"on their first backend through gateway 1"
}

# store_state G: the state of gateway G's (only) session store.
store_state()
{
	wgw_ecmp_ctl "$1" status >"$WGW_TMP/status$1.txt" 2>/dev/null &&
		ctl_get "$WGW_TMP/status$1.txt" "session_store/stores/$(wgw_ecmp_redis_url)/state"
}

# store_state_is G STATE
store_state_is()
{
	[ "$(store_state "$1")" = "$2" ]
}

# store_stat G NAME: a session store counter of gateway G (stats).
store_stat()
{
	wgw_ecmp_ctl "$1" stats >"$WGW_TMP/stats$1.txt" 2>/dev/null &&
		ctl_get "$WGW_TMP/stats$1.txt" "session_store/$2"
}

# store_sum NAME: the counter summed over both gateways (a dead one: 0).
store_sum()
{
	local n v t=0
	for n in 1 2; do
		v=$(store_stat "$n" "$1") || v=0
		t=$((t + v))
	done
	echo "$t"
}

# in_redis NAME: every session of run NAME is in Redis, valued by the
# address of the backend that answered it.
in_redis()
{
	local cid be v bad=0
	while read -r cid be _; do
		v=$(wgw_ecmp_redis_cli get "wgw:cid:$cid")
		[ "$v" = "$(wgw_ecmp_ep "${WGW_ECMP_BACKENDS[$((be - 1))]}" $WGW_ECMP_PORT)" ] || {
			wgw_log "wgw:cid:$cid is '$v', the session is on backend $be"
			bad=$((bad + 1))
		}
	done <"$WGW_TMP/$1.carried"
	[ $bad = 0 ] || wgw_fail "$bad sessions of run $1 not in Redis with their backend"
}

# store_summary G: gateway G's store counters on one line (stderr).
store_summary()
{
	local c line=""
	wgw_ecmp_ctl "$1" stats >"$WGW_TMP/stats$1.txt" 2>/dev/null || return 0
	for c in writes write_errors lookups hits misses timeouts errors lookup_down \
		lookup_ratelimited negative_hits queue_full lookup_latency_avg_us \
		lookup_latency_max_us; do
		line="$line $c=$(ctl_get "$WGW_TMP/stats$1.txt" "session_store/store_$c")"
	done
	wgw_log "gateway $1 store:$line"
}

# Without a store: the issue's baseline, printed.
t_baseline()
{
	moves "$1" "$2" 0
	echo "baseline IPv$1 $2 (no session store): $KEPT of $MOVED moves kept their backend" \
		"($CROSSED changed gateway, $CROSSED_KEPT of them kept it);" \
		"gateway 2 killed: $FAIL_KEPT of $N sessions kept their backend"
	wgw_stop "${WGW_ECMP_GW_PID[1]}" 10 || wgw_fail "gateway 1 exit status"
}

# With the store: every move keeps its backend, whichever gateway it
# reaches, and so does every session when a gateway dies.
t_store()
{
	local hits
	moves "$1" "$2" 1
	hits=$(store_stat 1 store_hits)
	store_summary 1
	echo "store IPv$1 $2: $KEPT of $MOVED moves kept their backend" \
		"($CROSSED changed gateway, $CROSSED_KEPT of them kept it; gateway 1: $hits lookups hit);" \
		"gateway 2 killed: $FAIL_KEPT of $N sessions kept their backend"
	wgw_assert_eq "$MOVED" "$KEPT" "moves that kept their backend"
	wgw_assert_eq "$CROSSED" "$CROSSED_KEPT" "moves to the other gateway that kept their backend"
	wgw_assert_eq 0 "$FAIL_CHANGED" "sessions answered by a second backend when gateway 2 died"
	wgw_assert_eq $N "$FAIL_KEPT" "sessions on their backend through gateway 1 alone"
	# The store made the difference: moves found their CID there.
	wgw_assert_ge "$hits" 1 "store lookups that hit"
	in_redis r0
	wgw_stop "${WGW_ECMP_GW_PID[1]}" 10 || wgw_fail "gateway 1 exit status"
}

# store_up FAMILY MODE [GATEWAY ARGS...]: the lab, Redis, both gateways on
# it and connected.
store_up()
{
	local fam=$1 mode=$2
	shift 2
	wgw_ecmp_up "$fam"
	wgw_ecmp_backends
	wgw_ecmp_redis_start
	wgw_ecmp_gateway 1 --mode "$mode" --session-store "$(wgw_ecmp_redis_url)" "$@"
	wgw_ecmp_gateway 2 --mode "$mode" --session-store "$(wgw_ecmp_redis_url)" "$@"
	wgw_wait_for 5 store_state_is 1 connected && wgw_wait_for 5 store_state_is 2 connected ||
		wgw_fail "the gateways did not connect to the store"
}

# all_kept PREFIX MOVES: runs PREFIX0 .. PREFIX<MOVES> (the first one from
# client address 0), every move on the backend of the first run.
all_kept()
{
	local p=$1 i k
	run "${p}0" 0
	answered "${p}0"
	carried "${p}0" >"$WGW_TMP/${p}0.carried"
	for i in $(seq 1 "$2"); do
		run "$p$i" "$i"
		answered "$p$i"
		carried "$p$i" >"$WGW_TMP/$p$i.carried"
		k=$(kept "${p}0" "$p$i")
		wgw_assert_eq $N "$k" "sessions of run $p$i on their backend of run ${p}0"
	done
}

# not_connected G: gateway G's store is not connected (down, connecting).
not_connected()
{
	local st
	st=$(store_state "$1") && [ "$st" != connected ]
}

# Redis killed under traffic while sessions move: no crash, no stall (every
# session answered after its move, by rule 1 where the store would have
# been asked), standalone; Redis back: both gateways reconnect by
# themselves, and moves keep their backend again.
t_redis_down()
{
	local fam=$1 mode=$2 m1 m2 cl down lat
	store_up "$fam" "$mode"
	all_kept a 0

	m1=$(wgw_ecmp_mappings 1)
	m2=$(wgw_ecmp_mappings 2)
	wgw_bg cl "$(wgw_tool wraith-client)" -n $N --sockets $N -d 6 --pps 2000 --batch 1 --seed $SEED \
		--no-handshake --bind "${WGW_ECMP_CLIENTS[2]}" --migrate-addr "${WGW_ECMP_CLIENTS[3]}" \
		"$(wgw_ecmp_ep "$WGW_ECMP_VIP" $WGW_ECMP_PORT)" >"$WGW_TMP/down.txt" 2>&1
	cl=$WGW_BG_PID
	wgw_wait_for 5 wgw_ecmp_new_mappings "$m1" "$m2" $N ||
		wgw_fail "the $N sessions did not all reach a gateway"
	# Redis dies before the sessions move (halfway, 3 s in).
	wgw_ecmp_redis_kill
	wgw_wait_for 2 not_connected 1 && wgw_wait_for 2 not_connected 2 ||
		wgw_fail "a gateway still says its store is connected 2 s after Redis died"
	wgw_log "Redis killed: gateway 1 store $(store_state 1), gateway 2 store $(store_state 2)"
	wait "$cl" || { cat "$WGW_TMP/down.txt" >&2; wgw_fail "client run while Redis was down"; }
	wgw_alive "${WGW_ECMP_GW_PID[1]}" && wgw_alive "${WGW_ECMP_GW_PID[2]}" ||
		wgw_fail "a gateway died with Redis"
	answered down
	wgw_assert_eq 0 "$(wgw_kv "$WGW_TMP/down.txt" migration_unanswered)" \
		"sessions unanswered after moving while Redis was down"
	lat=$(wgw_kv "$WGW_TMP/down.txt" latency_max_us)
	down=$(store_sum store_lookup_down)
	store_summary 1
	store_summary 2
	wgw_log "while Redis was down: $down lookups not sent (rule 1 at once)," \
		"$(wgw_kv "$WGW_TMP/down.txt" migration_kept) of $N moved sessions on their backend," \
		"loss $(wgw_kv "$WGW_TMP/down.txt" loss_pct) %, worst reply ${lat} us"
	# Moves did meet the dead store, and were not held for it.
	wgw_assert_ge "$down" 1 "lookups skipped while the store was down"
	wgw_assert_le "${lat%.*}" 500000 "worst reply latency (us) while Redis was down"

	wgw_ecmp_redis_start
	wgw_wait_for 10 store_state_is 1 connected && wgw_wait_for 10 store_state_is 2 connected ||
		wgw_fail "the gateways did not reconnect within 10 s of Redis' return"
	wgw_assert_ge "$(ctl_get "$WGW_TMP/status1.txt" \
		"session_store/stores/$(wgw_ecmp_redis_url)/reconnects")" 1 "gateway 1 reconnects"
	grep -q "session store $(wgw_ecmp_redis_url): connected again" "$WGW_TMP/g2.log" ||
		wgw_fail "gateway 2 did not log its reconnection"
	# New sessions (the old bindings went with Redis' memory) move with
	# their backend again: writes and lookups both work.
	SEED=$((SEED + 1))
	all_kept b 3
	wgw_stop "${WGW_ECMP_GW_PID[1]}" 10 || wgw_fail "gateway 1 exit status"
	wgw_stop "${WGW_ECMP_GW_PID[2]}" 10 || wgw_fail "gateway 2 exit status"
}

# workers G: gateway G's worker count (its log's "running" line).
workers()
{
	awk '/^notice: running: / { n = $3 } END { print n + 0 }' "$WGW_TMP/g$1.log"
}

# A flood of random unknown CIDs, each from a new source endpoint (the
# lookups that matter), with established sessions running: the per-worker
# lookup rate holds (Redis sees at most rate x time + burst), the rest is
# counted as rate-limited and routed by rule 1, and the running sessions
# lose nothing.  Moves keep their backend after it.
t_flood()
{
	local fam=$1 mode=$2 rate=500 m1 m2 cl t0 t1 g l0 r0 l r max
	store_up "$fam" "$mode" --session-store-lookup-rate $rate
	all_kept f 1

	m1=$(wgw_ecmp_mappings 1)
	m2=$(wgw_ecmp_mappings 2)
	wgw_bg cl "$(wgw_tool wraith-client)" -n $N --sockets $N -d 5 --pps 1000 --seed $SEED \
		--no-handshake --bind "${WGW_ECMP_CLIENTS[2]}" \
		--dump-sessions "$WGW_TMP/legit.sessions" \
		"$(wgw_ecmp_ep "$WGW_ECMP_VIP" $WGW_ECMP_PORT)" >"$WGW_TMP/legit.txt" 2>&1
	cl=$WGW_BG_PID
	wgw_wait_for 5 wgw_ecmp_new_mappings "$m1" "$m2" $N ||
		wgw_fail "the $N sessions did not all reach a gateway"
	for g in 1 2; do
		eval "l0_$g=\$(store_stat $g store_lookups)"
		eval "r0_$g=\$(store_stat $g store_lookup_ratelimited)"
	done
	t0=$(wgw__now_us)
	wgw_ecmp_client -n 8192 --sockets 4096 -c 8192 --pps 20000 --no-handshake \
		--hs-retries 0 --drain 200 --bind "${WGW_ECMP_CLIENTS[4]}" >"$WGW_TMP/flood.txt" 2>&1 ||
		{ cat "$WGW_TMP/flood.txt" >&2; wgw_fail "flood client"; }
	t1=$(wgw__now_us)
	for g in 1 2; do
		eval "l0=\$l0_$g r0=\$r0_$g"
		l=$(( $(store_stat $g store_lookups) - l0 ))
		r=$(( $(store_stat $g store_lookup_ratelimited) - r0 ))
		# per worker: the burst (a tenth of the rate) + the rate over
		# the flood's length, one second of slack
		max=$(( $(workers $g) * (rate / 10 + rate * ((t1 - t0) / 1000 + 1000) / 1000) ))
		wgw_log "flood, gateway $g: $l lookups sent to Redis (at most $max)," \
			"$r rate-limited, over $(( (t1 - t0) / 1000 )) ms"
		wgw_assert_le "$l" "$max" "gateway $g: lookups during the flood"
		wgw_assert_ge "$r" 1 "gateway $g: rate-limited lookups"
	done
	wait "$cl" || { cat "$WGW_TMP/legit.txt" >&2; wgw_fail "client run during the flood"; }
	answered legit
	carried legit >"$WGW_TMP/legit.carried"
	wgw_log "legitimate sessions during the flood: loss $(wgw_kv "$WGW_TMP/legit.txt" loss_pct) %"
	wgw_assert_eq 0 "$(wgw_kv "$WGW_TMP/legit.txt" sessions_backend_changed)" \
		"legitimate sessions answered by a second backend during the flood"
	wgw_assert_eq $N "$(kept f0 legit)" "legitimate sessions on their backend during the flood"
	wgw_alive "${WGW_ECMP_GW_PID[1]}" && wgw_alive "${WGW_ECMP_GW_PID[2]}" ||
		wgw_fail "a gateway died in the flood"
	# After it: moves find their backend in the store again.  (From an
	# address of its own: a new source endpoint that happened to be one
	# the flood left a mapping for would go by that mapping, as designed.)
	run f2 3
	answered f2
	carried f2 >"$WGW_TMP/f2.carried"
	wgw_assert_eq $N "$(kept f0 f2)" "sessions on their backend after the flood"
	wgw_stop "${WGW_ECMP_GW_PID[1]}" 10 || wgw_fail "gateway 1 exit status"
}

for mode in auto fallback; do
	wgw_run "moves with a store IPv4, $mode" t_store 4 "$mode"
	wgw_run "Redis killed and back IPv4, $mode" t_redis_down 4 "$mode"
	wgw_run "random-CID flood IPv4, $mode" t_flood 4 "$mode"
done
for mode in auto fallback; do
	wgw_run "moves with a store IPv6, $mode" t_store 6 "$mode"
done
for mode in auto fallback; do
	wgw_run "baseline without a store IPv4, $mode" t_baseline 4 "$mode"
done
wgw_run "baseline without a store IPv6, auto" t_baseline 6 auto
wgw_done
