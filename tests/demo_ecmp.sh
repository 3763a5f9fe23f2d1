# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# tests/demo.sh --gateways 2, sourced by tests/demo.sh (which has parsed
# the options, built everything and loaded lib.sh): two gateways behind an
# ECMP router (tests/netns/ecmp_lab.sh), sharing their sessions through a
# redis-server on the backends' LAN.  The sessions move several times (new
# source ports, every other time a new source address), so the router's
# hash sends many of them to the gateway that did not see them before;
# then gateway 2 is killed under traffic and withdrawn from the route.
# The report says which gateway carried each session and whether it kept
# its backend.

. "$top/tests/netns/ecmp_lab.sh"
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || {
	echo "demo: redis-server and redis-cli are needed (tests/deps.sh installs them)" >&2
	exit 1
}

DEMO_MOVES=4
# A move run sends every session's first packet from its new endpoint within
# a few milliseconds, and the sessions of a dead gateway reach the other one
# as fast: the burst (a tenth of the rate) must take them all.  The default,
# 10000 per second and worker, does up to 1000 sessions.
DEMO_LOOKUP_RATE=$(( SESSIONS * 10 > 10000 ? SESSIONS * 10 : 10000 ))
DEMO_SEED=$(( (RANDOM << 15) | RANDOM ))
DEMO_INFLIGHT=$(( SESSIONS < 512 ? SESSIONS : 512 ))

# demo_run NAME K: every session from a new client process (new source
# ports) on client address K % 4, with the demo's CIDs; "CID backend
# gateway" per session in $WGW_TMP/NAME.carried.
demo_run()
{
	wgw_ecmp_client -n "$SESSIONS" --sockets "$SESSIONS" -c $((SESSIONS * 4)) \
		--inflight "$DEMO_INFLIGHT" --seed "$DEMO_SEED" --no-handshake \
		--bind "${WGW_ECMP_CLIENTS[$(($2 % 4))]}" --dump-sessions "$WGW_TMP/$1.sessions" \
		>"$WGW_TMP/$1.txt" 2>&1 || {
		cat "$WGW_TMP/$1.txt" >&2
		echo "demo: the client failed (run $1)" >&2
		exit 1
	}
	wgw_ecmp_carried "$WGW_TMP/$1.sessions" >"$WGW_TMP/$1.carried"
}

# demo_kept A B: sessions of run B on the backend they had in run A.
demo_kept()
{
	join "$WGW_TMP/$1.carried" "$WGW_TMP/$2.carried" |
		awk '$2 == $4 && $2 != 0 { n++ } END { print n + 0 }'
}

# demo_crossed A B: sessions of run B on the other gateway than in run A;
# with "kept R", only those also on their backend of run R.
demo_crossed()
{
	join "$WGW_TMP/$1.carried" "$WGW_TMP/$2.carried" | join - "$WGW_TMP/${3:-$1}.carried" |
		awk -v k="${3:+1}" '$3 != $5 && (!k || $4 == $6) { n++ } END { print n + 0 }'
}

demo_on()
{
	awk -v g="$2" '$3 == g { n++ } END { print n + 0 }' "$WGW_TMP/$1.carried"
}

# demo_stat G NAME: a counter from gateway G's last saved stats.
demo_stat()
{
	awk -v k="$2:" '$1 == k { print $2; f = 1 } END { if (!f) print "?" }' \
		"$WGW_TMP/stats$1.txt" 2>/dev/null || echo "?"
}

# demo_taken_over: gateway 1 holds a mapping for each of the on2 flows that
# gateway 2 carried (m1: its mappings before the kill).
demo_taken_over()
{
	local a
	a=$(wgw_ecmp_mappings 1)
	[ -n "$a" ] && [ $((a - m1)) -ge "$on2" ]
}

demo_ms()
{
	echo $(( ($(wgw__now_us) - $1) / 1000 ))
}

echo "== wraith-gateway demo, two gateways behind ECMP: $SESSIONS sessions, IPv$FAM, mode $MODE"
wgw_ecmp_up "$FAM"
wgw_ecmp_backends
wgw_ecmp_redis_start
for g in 1 2; do
	wgw_ecmp_gateway $g --mode "$MODE" --session-store "$(wgw_ecmp_redis_url)" \
		--session-store-lookup-rate "$DEMO_LOOKUP_RATE"
done
echo "   lab up: clients, a router (multipath route to the VIP, L4 hash), two gateways,"
echo "   three backends and redis-server on one LAN; the sessions move $DEMO_MOVES times..."

demo_run m0 0
for i in $(seq 1 $DEMO_MOVES); do
	demo_run "m$i" "$i"
done

# Gateway 2 dies under traffic; the route is withdrawn as BGP would.  Its
# store counters are read before.
wgw_ecmp_ctl 2 stats >"$WGW_TMP/stats2.txt" 2>/dev/null
m1=$(wgw_ecmp_mappings 1)
m2=$(wgw_ecmp_mappings 2)
wgw_bg cl "$(wgw_tool wraith-client)" -n "$SESSIONS" --sockets "$SESSIONS" -d "$SECONDS_" \
	--pps $((SESSIONS * 20)) --batch 1 --seed "$DEMO_SEED" --no-handshake --bind "${WGW_ECMP_CLIENTS[4]}" \
	"$(wgw_ecmp_ep "$WGW_ECMP_VIP" $WGW_ECMP_PORT)" >"$WGW_TMP/kill.txt" 2>&1
kill_cl=$WGW_BG_PID
wgw_wait_for 10 wgw_ecmp_new_mappings "$m1" "$m2" "$SESSIONS" ||
	echo "   (not every session had reached a gateway before the kill)"
on2=$(( $(wgw_ecmp_mappings 2) - m2 ))
m1=$(wgw_ecmp_mappings 1)
echo "   killing gateway 2 (SIGKILL) while it carries $on2 sessions, then withdrawing its route..."
t0=$(wgw__now_us)
wgw_ecmp_kill 2
wgw_ecmp_withdraw 2
withdraw_ms=$(demo_ms "$t0")
over_ms="more than 10000"
wgw_wait_for 10 demo_taken_over && over_ms=$(demo_ms "$t0")
wait "$kill_cl"
demo_run after 2

wgw_ecmp_ctl 1 stats >"$WGW_TMP/stats1.txt" 2>/dev/null
log1="$WGW_TMP/g1.log"
kv() { wgw_kv "$WGW_TMP/$1.txt" "$2" 2>/dev/null || echo "?"; }

echo
echo "== Report"
for g in 1 2; do
	grep -E 'notice: interface .*: mode' "$WGW_TMP/g$g.log" | head -n 2 |
		sed "s/^notice: /   gateway $g: /"
done
moved=0 kept=0 crossed=0 crossed_kept=0
echo "   first run: $SESSIONS sessions, gateway 1 / 2 carry $(demo_on m0 1) / $(demo_on m0 2)," \
	"backend 1 / 2 / 3 serve $(kv m0 backend.1.sessions) / $(kv m0 backend.2.sessions) / $(kv m0 backend.3.sessions)"
for i in $(seq 1 $DEMO_MOVES); do
	k=$(demo_kept m0 "m$i")
	c=$(demo_crossed "m$((i - 1))" "m$i")
	ck=$(demo_crossed "m$((i - 1))" "m$i" m0)
	moved=$((moved + SESSIONS)) kept=$((kept + k)) crossed=$((crossed + c))
	crossed_kept=$((crossed_kept + ck))
	printf '   move %s (new source ports%s): %s kept their backend; gateway 1 / 2 carry %s / %s; %s changed gateway\n' \
		"$i" "$([ $((i % 2)) = 1 ] && echo ' and address')" "$k" \
		"$(demo_on "m$i" 1)" "$(demo_on "m$i" 2)" "$c"
done
echo "   moves: $moved, kept their backend: $kept; changed gateway: $crossed, of which $crossed_kept kept their backend"
echo "   which gateway carried each session, run by run (the first 8 of $SESSIONS):"
for i in $(seq 0 $DEMO_MOVES); do
	awk '{ print $1, $3, $2 }' "$WGW_TMP/m$i.carried" >"$WGW_TMP/col$i"
done
cols=()
for i in $(seq 0 $DEMO_MOVES); do
	cols+=("$WGW_TMP/col$i")
done
paste -d ' ' "${cols[@]}" | head -n 8 |
	awk '{ g = ""; b = ""; same = 1
		for (i = 2; i <= NF; i += 3) { g = g " g" $i; if ($(i + 1) != $3) same = 0 }
		printf "     CID %s:%s  backend %s%s\n", $1, g, $3, same ? " every time" : " (changed)" }'
for g in 1 2; do
	printf '   session store, gateway %s%s: %s lookups, %s hits, %s misses, %s rate-limited, %s written, lookup latency avg %s us\n' \
		"$g" "$([ "$g" = 2 ] && echo ' (before it was killed)')" "$(demo_stat "$g" store_lookups)" \
		"$(demo_stat "$g" store_hits)" "$(demo_stat "$g" store_misses)" \
		"$(demo_stat "$g" store_lookup_ratelimited)" "$(demo_stat "$g" store_writes)" \
		"$(demo_stat "$g" store_lookup_latency_avg_us)"
done 2>/dev/null
echo "   Redis holds $(wgw_ecmp_redis_cli dbsize 2>/dev/null) bindings (wgw:cid:<CID> -> backend address:port);" \
	"lookup rate $DEMO_LOOKUP_RATE per second and worker"
echo "   gateway 2 killed mid-run while carrying $on2 sessions; route withdrawn $withdraw_ms ms later:"
echo "     gateway 1 had taken over all of them $over_ms ms after the kill (polled);" \
	"sessions answered by a second backend: $(kv kill sessions_backend_changed);" \
	"loss over the run $(kv kill loss_pct) %"
echo "     next move, through gateway 1 alone: $(demo_kept m0 after) of $SESSIONS on their first backend" \
	"(gateway 1 carries $(demo_on after 1))"
echo
wgw_stop "${WGW_ECMP_GW_PID[1]}" 10 && grep -q 'stopped cleanly' "$log1" &&
	echo "== gateway 1 stopped cleanly; the lab is removed on exit"
exit 0
