# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The ECMP lab: two gateways behind a router that spreads the VIP's traffic
# over both with an L4-hashing multipath route, as an upstream router fed by
# BGP announcements of the VIP from each gateway would.  The backends and
# a Redis server (the session store) sit on one LAN that both gateways
# share.  Used by tests/netns/ecmp.sh and tests/demo.sh --gateways 2.
# Source tests/netns/lib.sh first.
#
#                          r1 ==== wan0  g1 (wraith-gatewayd)  lan0 ==== b1 \
#   cl  cl0 ==== rc0  rt                                                  br0  be
#                          r2 ==== wan0  g2 (wraith-gatewayd)  lan0 ==== b2 /
#
# IPv4                                    IPv6
#   clients     198.51.100.2-6/24           2001:db8:c::2-6/64
#   router      198.51.100.1/24             2001:db8:c::1/64
#   rt - g1     192.0.2.1/30 - .2           2001:db8:1::1/64 - ::2
#   rt - g2     192.0.2.5/30 - .6           2001:db8:2::1/64 - ::2
#   VIP         203.0.113.10/32 on each gateway's wan0 (2001:db8:f::10/128)
#   g1, g2 LAN  10.0.0.1, 10.0.0.2/24       2001:db8:b::1, ::2/64
#   NAT (G)     10.0.0.100 (g1), .101 (g2)  2001:db8:b::100, ::101
#   backends    10.0.0.11-13/24 on br0      2001:db8:b::11-13/64
#   redis       10.0.0.50:6379 on br0       [2001:db8:b::50]:6379
#
# The router routes VIP/32 (VIP/128) "nexthop via g1 nexthop via g2" with
# net.ipv4.fib_multipath_hash_policy=1 (net.ipv6.fib_multipath_hash_policy
# =1): the 5-tuple picks the gateway, so a client that changes source port
# or address may land on the other one.  Withdrawing a gateway (as BGP does
# when its daemon stops) replaces the route by a single next hop.  Each
# gateway owns its own NAT address on the shared LAN; nothing in a gateway
# namespace forwards.  Everything lives in the run's namespaces and goes
# with them (lib.sh's trap), redis-server included.

WGW_ECMP_PORT=8420
WGW_ECMP_REDIS_PORT=6379

# wgw_ecmp_up FAMILY: build the lab (no process started).  Sets
# WGW_ECMP_FAM, WGW_ECMP_VIP, WGW_ECMP_NAT (array, index 1 and 2),
# WGW_ECMP_GW_WAN (array, the gateways' addresses on their router links),
# WGW_ECMP_CLIENTS (array), WGW_ECMP_BACKENDS (array), WGW_ECMP_REDIS.
wgw_ecmp_up()
{
	local fam=$1 n a p

	WGW_ECMP_FAM=$fam
	# A new lab starts without sessions: an earlier sub-test's state files
	# (same $WGW_TMP) would give the gateways its CIDs.
	rm -f "$WGW_TMP/g1.state" "$WGW_TMP/g2.state"
	for n in cl rt g1 g2 be; do
		wgw_ns_add "$n"
	done
	wgw_veth cl cl0 rt rc0
	wgw_veth rt r1 g1 wan0
	wgw_veth rt r2 g2 wan0
	wgw_veth g1 lan0 be b1
	wgw_veth g2 lan0 be b2
	wgw_in be ip link add br0 type bridge || wgw_fail "bridge br0"
	wgw_in be ip link set b1 master br0 || wgw_fail "b1 into br0"
	wgw_in be ip link set b2 master br0 || wgw_fail "b2 into br0"
	wgw_in be ip link set br0 up || wgw_fail "br0 up"

	if [ "$fam" = 4 ]; then
		p=24
		WGW_ECMP_VIP=203.0.113.10
		WGW_ECMP_ROUTER=198.51.100.1
		WGW_ECMP_CLIENTS=(198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5 198.51.100.6)
		WGW_ECMP_RT_GW=('' 192.0.2.1 192.0.2.5)
		WGW_ECMP_GW_WAN=('' 192.0.2.2 192.0.2.6)
		WGW_ECMP_GW_LAN=('' 10.0.0.1 10.0.0.2)
		WGW_ECMP_NAT=('' 10.0.0.100 10.0.0.101)
		WGW_ECMP_BACKENDS=(10.0.0.11 10.0.0.12 10.0.0.13)
		WGW_ECMP_REDIS=10.0.0.50
		wgw_addr rt r1 192.0.2.1/30
		wgw_addr g1 wan0 192.0.2.2/30
		wgw_addr rt r2 192.0.2.5/30
		wgw_addr g2 wan0 192.0.2.6/30
		wgw_sysctl rt net.ipv4.ip_forward 1
		wgw_sysctl rt net.ipv4.fib_multipath_hash_policy 1
		# A reply leaves from the VIP, whose route back is the multipath
		# one: no reverse-path filter on the router.
		wgw_sysctl rt net.ipv4.conf.all.rp_filter 0
		wgw_sysctl rt net.ipv4.conf.default.rp_filter 0
		for n in rc0 r1 r2; do
			wgw_sysctl rt "net.ipv4.conf.$n.rp_filter" 0
		done
	else
		p=64
		WGW_ECMP_VIP=2001:db8:f::10
		WGW_ECMP_ROUTER=2001:db8:c::1
		WGW_ECMP_CLIENTS=(2001:db8:c::2 2001:db8:c::3 2001:db8:c::4 2001:db8:c::5 2001:db8:c::6)
		WGW_ECMP_RT_GW=('' 2001:db8:1::1 2001:db8:2::1)
		WGW_ECMP_GW_WAN=('' 2001:db8:1::2 2001:db8:2::2)
		WGW_ECMP_GW_LAN=('' 2001:db8:b::1 2001:db8:b::2)
		WGW_ECMP_NAT=('' 2001:db8:b::100 2001:db8:b::101)
		WGW_ECMP_BACKENDS=(2001:db8:b::11 2001:db8:b::12 2001:db8:b::13)
		WGW_ECMP_REDIS=2001:db8:b::50
		wgw_addr rt r1 2001:db8:1::1/64
		wgw_addr g1 wan0 2001:db8:1::2/64
		wgw_addr rt r2 2001:db8:2::1/64
		wgw_addr g2 wan0 2001:db8:2::2/64
		wgw_sysctl rt net.ipv6.conf.all.forwarding 1
		wgw_sysctl rt net.ipv6.fib_multipath_hash_policy 1
	fi
	wgw_addr rt rc0 "$WGW_ECMP_ROUTER/$p"
	for a in "${WGW_ECMP_CLIENTS[@]}"; do
		wgw_addr cl cl0 "$a/$p"
	done
	for n in 1 2; do
		wgw_addr "g$n" wan0 "$WGW_ECMP_VIP/$([ "$fam" = 4 ] && echo 32 || echo 128)"
		wgw_addr "g$n" lan0 "${WGW_ECMP_GW_LAN[$n]}/$p"
		# Replies to clients go back through the router.
		wgw_in "g$n" ip -"$fam" route add default via "${WGW_ECMP_RT_GW[$n]}" dev wan0 ||
			wgw_fail "g$n: default route"
	done
	for a in "${WGW_ECMP_BACKENDS[@]}" "$WGW_ECMP_REDIS"; do
		wgw_addr be br0 "$a/$p"
	done
	wgw_in cl ip -"$fam" route add default via "$WGW_ECMP_ROUTER" dev cl0 ||
		wgw_fail "client: default route"
	wgw_ecmp_route both
	wgw_wait_for 10 wgw_ecmp__settled || wgw_fail "IPv6 addresses still tentative"
}

wgw_ecmp__settled()
{
	local n
	for n in cl rt g1 g2 be; do
		[ -z "$(wgw_in "$n" ip -6 addr show tentative 2>/dev/null)" ] || return 1
	done
}

# wgw_ecmp_route both|1|2: the router's route to the VIP over both gateways
# (multipath, L4 hash), or over gateway 1 or 2 alone (the other withdrawn).
wgw_ecmp_route()
{
	local plen=32 nh=()

	[ "$WGW_ECMP_FAM" = 6 ] && plen=128
	case $1 in
	both) nh=(nexthop via "${WGW_ECMP_GW_WAN[1]}" dev r1
		  nexthop via "${WGW_ECMP_GW_WAN[2]}" dev r2) ;;
	1|2) nh=(via "${WGW_ECMP_GW_WAN[$1]}" dev "r$1") ;;
	*) wgw_fail "wgw_ecmp_route: both, 1 or 2, not '$1'" ;;
	esac
	wgw_in rt ip -"$WGW_ECMP_FAM" route replace "$WGW_ECMP_VIP/$plen" "${nh[@]}" ||
		wgw_fail "router: route to the VIP ($1)"
}

# wgw_ecmp_withdraw N: gateway N no longer carries the VIP (what a BGP
# withdrawal does on the upstream router): the other one alone.
wgw_ecmp_withdraw()
{
	wgw_ecmp_route $((3 - $1))
}

# "[v6]:port" or "v4:port"
wgw_ecmp_ep()
{
	case $1 in
	*:*) printf '[%s]:%s\n' "$1" "$2" ;;
	*) printf '%s:%s\n' "$1" "$2" ;;
	esac
}

# wgw_ecmp_backends: the three backend responders (ids 1..3) on br0.
wgw_ecmp_backends()
{
	local be i=0 a
	be=$(wgw_tool wraith-backend) || exit 1
	for a in "${WGW_ECMP_BACKENDS[@]}"; do
		i=$((i + 1))
		wgw_bg be "$be" "$(wgw_ecmp_ep "$a" $WGW_ECMP_PORT)" --id $i \
			>"$WGW_TMP/backend$i.log" 2>&1
	done
	wgw_wait_udp be $WGW_ECMP_PORT
}

# wgw_ecmp_redis_url: the store's address as the gateways' option takes it.
wgw_ecmp_redis_url()
{
	printf 'redis://%s\n' "$(wgw_ecmp_ep "$WGW_ECMP_REDIS" $WGW_ECMP_REDIS_PORT)"
}

# wgw_ecmp_redis_cli ARGS...: redis-cli against the lab's server.
wgw_ecmp_redis_cli()
{
	wgw_in be redis-cli -h "$WGW_ECMP_REDIS" -p $WGW_ECMP_REDIS_PORT "$@"
}

wgw_ecmp__redis_ready()
{
	[ "$(wgw_ecmp_redis_cli ping 2>/dev/null)" = PONG ]
}

# wgw_ecmp_redis_start: redis-server in the backends' namespace, bound to
# the LAN address only, nothing written to disk.  Skips the test when
# redis-server is absent (tests/deps.sh installs it).  PID in
# WGW_ECMP_REDIS_PID; log appended to $WGW_TMP/redis.log.
wgw_ecmp_redis_start()
{
	wgw_require_cmd redis-server redis-cli
	wgw_bg be redis-server --bind "$WGW_ECMP_REDIS" --port $WGW_ECMP_REDIS_PORT \
		--save '' --appendonly no --protected-mode no --daemonize no \
		--dir "$WGW_TMP" >>"$WGW_TMP/redis.log" 2>&1
	WGW_ECMP_REDIS_PID=$WGW_BG_PID
	wgw_wait_for 10 wgw_ecmp__redis_ready || {
		tail -n 20 "$WGW_TMP/redis.log" >&2
		wgw_fail "redis-server did not answer within 10 s"
	}
}

# wgw_ecmp_redis_kill: SIGKILL the server (a crash: connections reset only
# when the gateways next write, as with a dead host), and wait for it.
wgw_ecmp_redis_kill()
{
	kill -KILL "$WGW_ECMP_REDIS_PID" 2>/dev/null
	wait "$WGW_ECMP_REDIS_PID" 2>/dev/null
	true
}

# wgw_ecmp_gateway_args N: gateway N's arguments (before any extra ones);
# its pid file, control socket, state file and log are its own.
wgw_ecmp_gateway_args()
{
	local n=$1 a
	printf '%s\n' -f --wan wan0 --lan lan0 \
		--vip "$(wgw_ecmp_ep "$WGW_ECMP_VIP" $WGW_ECMP_PORT)" \
		--nat "${WGW_ECMP_NAT[$n]}" \
		--pidfile "$WGW_TMP/g$n.pid" \
		--control-socket "$WGW_TMP/g$n.sock" \
		--state-file "$WGW_TMP/g$n.state"
	for a in "${WGW_ECMP_BACKENDS[@]}"; do
		printf '%s\n' --backend "$(wgw_ecmp_ep "$a" $WGW_ECMP_PORT)"
	done
}

# wgw_ecmp_gateway N [EXTRA ARGS...]: start wraith-gatewayd in gN and wait
# until it runs.  PID in WGW_ECMP_GW_PID[N], log $WGW_TMP/gN.log
# (appended across restarts).
wgw_ecmp_gateway()
{
	local n=$1 gwd args
	shift
	gwd="$WGW_TOP_BUILDDIR/wraith-gatewayd"
	[ -x "$gwd" ] || wgw_fail "$gwd not built"
	mapfile -t args < <(wgw_ecmp_gateway_args "$n")
	echo "--- start: $gwd ${args[*]} $*" >>"$WGW_TMP/g$n.log"
	wgw_bg "g$n" "$gwd" "${args[@]}" "$@" >>"$WGW_TMP/g$n.log" 2>&1
	WGW_ECMP_GW_PID[n]=$WGW_BG_PID
	if ! wgw_wait_for 20 wgw_ecmp__running "$n" || ! wgw_alive "${WGW_ECMP_GW_PID[n]}"; then
		tail -n 30 "$WGW_TMP/g$n.log" >&2
		wgw_fail "wraith-gatewayd in g$n did not come up"
	fi
}

# Up, or dead (the caller tells which).
wgw_ecmp__running()
{
	wgw_alive "${WGW_ECMP_GW_PID[$1]}" || return 0
	awk '/^--- start/ { up = 0 } /^notice: running/ { up = 1 } END { exit !up }' \
		"$WGW_TMP/g$1.log"
}

# wgw_ecmp_kill N: SIGKILL gateway N's daemon (a crash: nothing written,
# nothing said) and wait for it.
wgw_ecmp_kill()
{
	kill -KILL "${WGW_ECMP_GW_PID[$1]}" 2>/dev/null
	wait "${WGW_ECMP_GW_PID[$1]}" 2>/dev/null
	true
}

# wgw_ecmp_ctl N ARGS...: wraith-gatewayctl against gateway N.
wgw_ecmp_ctl()
{
	local n=$1
	shift
	wgw_in "g$n" "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/g$n.sock" "$@"
}

# wgw_ecmp_client [ARGS...]: the client simulator against the VIP, from the
# client namespace; text report on stdout.
wgw_ecmp_client()
{
	local cl
	cl=$(wgw_tool wraith-client) || exit 1
	wgw_in cl "$cl" "$@" "$(wgw_ecmp_ep "$WGW_ECMP_VIP" $WGW_ECMP_PORT)"
}

# wgw_ecmp_carriers FILE: "ENDPOINT N" for every client endpoint that
# gateway N (1 or 2) holds a NAT mapping for, from each gateway's session
# list; a gateway that does not answer contributes nothing.
wgw_ecmp_carriers()
{
	local n
	for n in 1 2; do
		wgw_ecmp_ctl "$n" sessions list 100000 2>/dev/null |
			awk -v n="$n" '$1 == "client:" { print $2, n }'
	done >"$1"
}

# wgw_ecmp_mappings N: the NAT mappings gateway N holds (empty if it does
# not answer).
wgw_ecmp_mappings()
{
	wgw_ecmp_ctl "$1" sessions 2>/dev/null | awk '$1 == "mappings:" { print $2 }'
}

# wgw_ecmp_new_mappings M1 M2 COUNT: the gateways hold COUNT more mappings
# between them than M1 and M2 (a client run's sessions have all arrived).
wgw_ecmp_new_mappings()
{
	local a b
	a=$(wgw_ecmp_mappings 1)
	b=$(wgw_ecmp_mappings 2)
	[ -n "$a" ] && [ -n "$b" ] && [ $((a - $1 + b - $2)) -ge "$3" ]
}

# wgw_ecmp_carried SESSIONS: from a client's --dump-sessions file, "CID
# backend gateway" per session sorted by CID; the gateway (1 or 2) is the
# one holding a mapping for the session's source endpoint, 0 if neither.
wgw_ecmp_carried()
{
	wgw_ecmp_carriers "$WGW_TMP/.carriers"
	awk 'FNR == NR { gw[$1] = $2; next } { print $2, $4, gw[$8] + 0 }' \
		"$WGW_TMP/.carriers" "$1" | sort
}
