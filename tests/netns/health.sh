#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Backend health end to end: real daemon, real node processes, real traffic,
# in both modes (XDP as the ladder picks it, and the fallback path) and both
# families.
#  - a node process killed under traffic: down within fall x interval; the
#    sessions on the live backends lose nothing; clients whose endpoint was
#    mapped to it get their re-handshake from the same endpoint answered by
#    a live backend; every new handshake is answered by a live one;
#  - a backend's address removed (no ARP, no ICMP) under traffic: the same,
#    from the passive signal;
#  - both back: new sessions on them within rise x interval;
#  - a flapping node (up and down every second) does not flap its state;
#  - "backends down" holds until "backends up";
#  - every node dead: the gateway fails open (new clients still forwarded).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

INTERVAL=2 FALL=2 RISE=2	# the defaults, said here for the deadlines

# health ADDR:PORT: the backend's health state.
health()
{
	local s="$WGW_TMP/h.txt"
	gwctl backends >"$s" 2>/dev/null || return 1
	ctl_get "$s" "backends/$1/health"
}

health__is() { [ "$(health "$1")" = "$2" ]; }

# backend_start I: node process I again, on its address.
backend_start()
{
	local be i=$1 a
	be=$(wgw_tool wraith-backend) || exit 1
	a=${WGW_LAB_BACKENDS[$((i - 1))]}
	wgw_bg be "$be" "$(wgw_lab_ep "$a" $WGW_LAB_PORT)" --id "$i" \
		>>"$WGW_TMP/backend$i.log" 2>&1
	eval "WGW_LAB_BE_PID$i=\$WGW_BG_PID"
}

backend_kill()
{
	local pid
	eval "pid=\$WGW_LAB_BE_PID$1"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	true
}

# down_within SECONDS ADDR:PORT WHAT [T0]: wait for down, say how long it
# took (since T0, date +%s.%N, default now).
down_within()
{
	local t0=${4:-$(date +%s.%N)} t1
	wgw_wait_for "$1" health__is "$2" down ||
		wgw_fail "$3: $2 not down within $1 s (health: $(health "$2"))"
	t1=$(date +%s.%N)
	wgw_log "$3: $2 down after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
}

# live_lost DUMP DEAD...: sessions on other backends that lost replies.
live_lost()
{
	local f=$1
	shift
	awk -v dead=" $* " '$3 == "established" && index(dead, " " $4 " ") == 0 &&
		$6 != $7 { n++ } END { print n + 0 }' "$f"
}

t_health()
{
	local fam=$1 mode=$2
	local r="$WGW_TMP/r.txt" r2="$WGW_TMP/r2.txt" d="$WGW_TMP/dump.txt" s="$WGW_TMP/s.txt"
	local b1 b2 b3 a2 cl pid pid2 n t0

	wgw_lab_up "$fam"
	b1=$(wgw_lab_ep "${WGW_LAB_BACKENDS[0]}" $WGW_LAB_PORT)
	b2=$(wgw_lab_ep "${WGW_LAB_BACKENDS[1]}" $WGW_LAB_PORT)
	b3=$(wgw_lab_ep "${WGW_LAB_BACKENDS[2]}" $WGW_LAB_PORT)
	a2=${WGW_LAB_BACKENDS[1]}
	wgw_lab_backends
	wgw_lab_gateway --mode "$mode"
	ctl_up
	wgw_wait_for 5 health__is "$b1" healthy || wgw_fail "$b1 not healthy at start"
	gwctl --json backends >"$s" || wgw_fail "backends --json"
	ctl_json_ok "$s"
	jq -e '.backends[] | select(.health == "healthy") | .health_since' "$s" >/dev/null ||
		wgw_fail "no health in the JSON view: $(head -c 400 "$s")"
	cl=$(wgw_tool wraith-client) || exit 1

	# 1. node 1 killed under traffic.
	wgw_bg cl "$cl" -n 60 --sockets 30 -d 12 --pps 3000 --dump-sessions "$d" \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$r" 2>&1
	pid=$WGW_BG_PID
	sleep 2
	t0=$(date +%s.%N)
	backend_kill 1
	# New clients right away: those mapped to node 1 retry from the same
	# endpoint until it is down and are then routed afresh.
	wgw_bg cl "$cl" -n 60 --sockets 60 -d 1 --pps 600 --hs-timeout 500 --hs-retries 30 \
		--expect-clean --bind "$WGW_LAB_CLIENT2" \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$r2" 2>&1
	pid2=$WGW_BG_PID
	down_within $((FALL * INTERVAL + INTERVAL)) "$b1" "node killed" "$t0"
	wait "$pid2" || { cat "$r2"; wgw_fail "re-handshakes after node 1 died"; }
	wgw_assert_eq 0 "$(wgw_kv "$r2" backend.1.sessions || echo 0)" \
		"sessions answered by dead node 1"
	wgw_assert_ge "$(wgw_kv "$r2" handshake_retries || echo 1)" 1 \
		"re-handshakes from the same endpoint"
	wgw_lab_client -n 60 --sockets 60 -d 1 --pps 600 --expect-clean >"$s" 2>&1 ||
		{ cat "$s"; wgw_fail "new handshakes with node 1 down"; }
	wgw_assert_eq 0 "$(wgw_kv "$s" backend.1.sessions || echo 0)" "new sessions on node 1"
	wait "$pid"
	wgw_assert_eq 0 "$(live_lost "$d" 1)" "sessions on live backends that lost replies"
	gwctl backends >"$s"
	wgw_assert_eq port-unreachable "$(ctl_get "$s" "backends/$b1/health_reason")" \
		"reason node 1 is down"
	wgw_assert_eq 0 "$(ctl_get "$s" "backends/$b1/mappings")" "mappings left on node 1"
	gwctl stats --prometheus >"$s" || wgw_fail "stats --prometheus"
	grep -qF "wraith_gateway_backend_health{backend=\"$b1\",health=\"down\"} 1" "$s" ||
		wgw_fail "no health gauge for $b1: $(grep backend_health "$s" | head -n 6)"
	awk -v k="wraith_gateway_backend_health_transitions_total{backend=\"$b1\"}" \
		'index($0, k " ") == 1 { v = $2 } END { exit !(v >= 2) }' "$s" ||
		wgw_fail "no transitions counted for $b1"

	# 2. node 2's address removed under traffic: no ARP, no ICMP.
	wgw_bg cl "$cl" -n 60 --sockets 30 -d 14 --pps 3000 --dump-sessions "$d" \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$r" 2>&1
	pid=$WGW_BG_PID
	sleep 2
	t0=$(date +%s.%N)
	if [ "$fam" = 4 ]; then
		wgw_in be ip addr del "$a2/24" dev be0
	else
		wgw_in be ip addr del "$a2/64" dev be0
	fi
	down_within $((3 + FALL * INTERVAL + INTERVAL)) "$b2" "address removed" "$t0"
	wgw_lab_client -n 60 --sockets 60 -d 1 --pps 600 --expect-clean \
		--bind "$WGW_LAB_CLIENT2" >"$s" 2>&1 ||
		{ cat "$s"; wgw_fail "new handshakes with nodes 1 and 2 down"; }
	wgw_assert_eq 60 "$(wgw_kv "$s" backend.3.sessions)" "new sessions on node 3"
	wait "$pid"
	wgw_assert_eq 0 "$(live_lost "$d" 1 2)" "sessions on node 3 that lost replies"

	# 3. both back: healthy within rise x interval, and chosen again.
	backend_start 1
	if [ "$fam" = 4 ]; then
		wgw_in be ip addr add "$a2/24" dev be0
	else
		wgw_in be ip addr add "$a2/64" dev be0 nodad
	fi
	wgw_wait_for $((RISE * INTERVAL + INTERVAL + 3)) health__is "$b1" healthy ||
		wgw_fail "$b1 not back (health: $(health "$b1"))"
	wgw_wait_for $((RISE * INTERVAL + INTERVAL + 3)) health__is "$b2" healthy ||
		wgw_fail "$b2 not back (health: $(health "$b2"))"
	wgw_lab_client -n 60 --sockets 60 -d 1 --pps 600 --expect-clean >"$s" 2>&1 ||
		{ cat "$s"; wgw_fail "handshakes with every node back"; }
	wgw_assert_ge "$(wgw_kv "$s" backend.1.sessions || echo 0)" 1 "new sessions on node 1"
	wgw_assert_ge "$(wgw_kv "$s" backend.2.sessions || echo 0)" 1 "new sessions on node 2"

	# 4. a flapping node: its state does not flap (at most one way down
	# and one way back in 10 s of flapping).
	local l="$WGW_TMP/gatewayd.log" n0 h0 nd nh
	n0=$(grep -cF "backend $b1: health down" "$l")
	h0=$(grep -cF "backend $b1: health healthy" "$l")
	for _ in 1 2 3 4 5; do
		backend_kill 1
		sleep 1
		backend_start 1
		sleep 1
	done
	nd=$(( $(grep -cF "backend $b1: health down" "$l") - n0 ))
	nh=$(( $(grep -cF "backend $b1: health healthy" "$l") - h0 ))
	wgw_log "flapping node: down $nd times, healthy $nh times in 10 s"
	[ "$nd" -le 1 ] && [ "$nh" -le 1 ] || {
		grep -F "backend $b1: health" "$l" | tail -n 8 >&2
		wgw_fail "flapping node: its state flapped"
	}
	wgw_wait_for $((RISE * INTERVAL + INTERVAL + 3)) health__is "$b1" healthy ||
		wgw_fail "$b1 not back after flapping"

	# 5. forced down holds until up, whatever the checks say.
	gwctl backends down "$b3" >"$s" || wgw_fail "backends down $b3"
	wgw_assert_eq down "$(ctl_get "$s" "backends/$b3/health")" "forced health"
	sleep $((INTERVAL * 3))
	gwctl backends >"$s"
	wgw_assert_eq down "$(ctl_get "$s" "backends/$b3/health")" "forced health after 3 rounds"
	wgw_assert_eq forced "$(ctl_get "$s" "backends/$b3/health_reason")" "forced reason"
	wgw_lab_client -n 30 --sockets 30 -d 1 --pps 300 --expect-clean >"$s" 2>&1 ||
		{ cat "$s"; wgw_fail "handshakes with node 3 forced down"; }
	wgw_assert_eq 0 "$(wgw_kv "$s" backend.3.sessions || echo 0)" "sessions on forced-down node 3"
	gwctl backends up "$b3" >"$s" || wgw_fail "backends up $b3"
	wgw_assert_eq healthy "$(ctl_get "$s" "backends/$b3/health")" "health after up"

	# 6. every node dead: fail open, new clients still forwarded.
	backend_kill 1
	backend_kill 2
	backend_kill 3
	wgw_wait_for $((FALL * INTERVAL + INTERVAL + 2)) grep -q "failing open" \
		"$WGW_TMP/gatewayd.log" || wgw_fail "no fail open with every node dead"
	gwctl backends >"$s"
	n=$(awk '/packets_to:/ { n += $2 } END { print n }' "$s")
	wgw_lab_client -n 30 --sockets 30 -d 1 --hs-retries 0 >/dev/null 2>&1
	gwctl backends >"$s"
	wgw_assert_ge "$(awk '/packets_to:/ { n += $2 } END { print n }' "$s")" $((n + 30)) \
		"packets forwarded with every node down (fail open)"
	kill "$WGW_LAB_GW_PID"
	wait "$WGW_LAB_GW_PID" || wgw_fail "the daemon did not stop cleanly"
}

# The health keys follow a reload: a dead node nobody sends to is not
# noticed without probes, and is once a reload turns them on.
t_reload()
{
	local conf="$WGW_TMP/gw.conf" b1 a s="$WGW_TMP/s.txt"

	wgw_lab_up 4
	b1=$(wgw_lab_ep "${WGW_LAB_BACKENDS[0]}" $WGW_LAB_PORT)
	wgw_lab_backends
	ctl_lab_conf "$conf" $(for a in "${WGW_LAB_BACKENDS[@]}"; do wgw_lab_ep "$a" $WGW_LAB_PORT; done)
	printf '%s\n' "health-check = none" "health-interval = 1" >>"$conf"
	ctl_start_conf "$conf"
	ctl_up
	backend_kill 1
	sleep 4
	wgw_assert_eq healthy "$(health "$b1")" "idle dead node without probes"
	sed -i 's/^health-check = none/health-check = udp/' "$conf"
	gwctl reload >"$s" || { cat "$s"; wgw_fail "reload"; }
	wgw_wait_for 4 health__is "$b1" down ||
		wgw_fail "$b1 not down after probes were turned on (health: $(health "$b1"))"
}

[ -n "${WGW_HEALTH_ONLY:-}" ] && [ "$WGW_HEALTH_ONLY" != reload ] || wgw_run reload t_reload
for t in xdp-ipv4 xdp-ipv6 fallback-ipv4 fallback-ipv6; do
	# WGW_HEALTH_ONLY=NAME: that sub-test alone
	[ -z "${WGW_HEALTH_ONLY:-}" ] || [ "$WGW_HEALTH_ONLY" = "$t" ] || continue
	m=${t%-*}
	[ "$m" = xdp ] && m=auto
	wgw_run "$t" t_health "${t#*-ipv}" "$m"
done
wgw_done
