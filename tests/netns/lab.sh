# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# The gateway lab: clients, the gateway and three backends in network
# namespaces, shared by the end-to-end tests, the demo and the benchmark.
# Source tests/netns/lib.sh first.
#
#   cl (clients)  cl0 ==== wan0  gw (wraith-gatewayd)  lan0 ==== be0  be (backends)
#
# IPv4                                     IPv6
#   client    198.51.100.2/24 (+ .3)         2001:db8:c::2/64 (+ ::3)
#   gw WAN    198.51.100.1/24                2001:db8:c::1/64
#   VIP       203.0.113.10 on gw wan0        2001:db8:f::10 on gw wan0
#   gw LAN    10.0.0.1/24                    2001:db8:b::1/64
#   NAT (G)   10.0.0.100 (proxy ARP)         2001:db8:b::100 (proxy NDP)
#   backends  10.0.0.11-13/24                2001:db8:b::11-13/64
#
# The VIP is an address of the gateway host (the fallback path's UDP
# sockets bind it); clients reach it through a route via the gateway.
# Nothing in the gateway namespace forwards: conf.all.forwarding stays 0.

WGW_LAB_PORT=8420

# wgw_lab_up FAMILY [QUEUES]: FAMILY 4 or 6; QUEUES for the gateway's veths.
# Sets WGW_LAB_VIP, WGW_LAB_NAT, WGW_LAB_BACKENDS (array), WGW_LAB_CLIENT2,
# WGW_LAB_FAM.
wgw_lab_up()
{
	local fam=$1 q=${2:-1} i

	WGW_LAB_FAM=$fam
	# A new lab starts without sessions: an earlier sub-test's state file
	# (same $WGW_TMP) is not this one's.
	rm -f "$WGW_TMP/sessions.state"
	wgw_ns_add cl
	wgw_ns_add gw
	wgw_ns_add be
	wgw_veth cl cl0 gw wan0 "$q"
	wgw_veth gw lan0 be be0 "$q"
	if [ "$fam" = 4 ]; then
		WGW_LAB_VIP=203.0.113.10
		WGW_LAB_NAT=10.0.0.100
		WGW_LAB_CLIENT=198.51.100.2
		WGW_LAB_CLIENT2=198.51.100.3
		WGW_LAB_GW_WAN=198.51.100.1
		WGW_LAB_BACKENDS=(10.0.0.11 10.0.0.12 10.0.0.13)
		wgw_addr cl cl0 198.51.100.2/24
		wgw_addr cl cl0 198.51.100.3/24
		wgw_addr gw wan0 198.51.100.1/24
		wgw_addr gw wan0 203.0.113.10/32
		wgw_addr gw lan0 10.0.0.1/24
		for i in "${WGW_LAB_BACKENDS[@]}"; do
			wgw_addr be be0 "$i/24"
		done
		wgw_in cl ip route add 203.0.113.0/24 via 198.51.100.1 ||
			wgw_fail "client route to the VIP"
	else
		WGW_LAB_VIP=2001:db8:f::10
		WGW_LAB_NAT=2001:db8:b::100
		WGW_LAB_CLIENT=2001:db8:c::2
		WGW_LAB_CLIENT2=2001:db8:c::3
		WGW_LAB_GW_WAN=2001:db8:c::1
		WGW_LAB_BACKENDS=(2001:db8:b::11 2001:db8:b::12 2001:db8:b::13)
		wgw_addr cl cl0 2001:db8:c::2/64
		wgw_addr cl cl0 2001:db8:c::3/64
		wgw_addr gw wan0 2001:db8:c::1/64
		wgw_addr gw wan0 2001:db8:f::10/128
		wgw_addr gw lan0 2001:db8:b::1/64
		for i in "${WGW_LAB_BACKENDS[@]}"; do
			wgw_addr be be0 "$i/64"
		done
		wgw_in cl ip -6 route add 2001:db8:f::/64 via 2001:db8:c::1 ||
			wgw_fail "client route to the VIP"
	fi
	# Neighbour discovery sends nothing from a tentative link-local
	# address: let duplicate address detection finish first, as it has
	# long finished on any real network.
	wgw_wait_for 10 wgw_lab__settled || wgw_fail "IPv6 addresses still tentative"
}

wgw_lab__settled()
{
	local n
	for n in cl gw be; do
		[ -z "$(wgw_in "$n" ip -6 addr show tentative 2>/dev/null)" ] || return 1
	done
}

# "[v6]:port" or "v4:port"
wgw_lab_ep()
{
	case $1 in
	*:*) printf '[%s]:%s\n' "$1" "$2" ;;
	*) printf '%s:%s\n' "$1" "$2" ;;
	esac
}

# wgw_lab_backends: start the three backend responders (ids 1..3).
wgw_lab_backends()
{
	local be i=0 a
	be=$(wgw_tool wraith-backend) || exit 1
	for a in "${WGW_LAB_BACKENDS[@]}"; do
		i=$((i + 1))
		wgw_bg be "$be" "$(wgw_lab_ep "$a" $WGW_LAB_PORT)" --id $i \
			--json "$WGW_TMP/backend$i.json" >"$WGW_TMP/backend$i.log" 2>&1
		eval "WGW_LAB_BE_PID$i=\$WGW_BG_PID"
	done
	wgw_wait_udp be $WGW_LAB_PORT
}

# The gateway's arguments for this lab (before any extra ones).  The state
# file is the test's own: a restart within a test restores its sessions,
# and nothing is read from or written to the host's default path.
wgw_lab_gateway_args()
{
	local a
	printf '%s\n' -f --wan wan0 --lan lan0 \
		--vip "$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" \
		--nat "$WGW_LAB_NAT" \
		--pidfile "$WGW_TMP/gatewayd.pid" \
		--control-socket "$WGW_TMP/control.sock" \
		--state-file "$WGW_TMP/sessions.state"
	for a in "${WGW_LAB_BACKENDS[@]}"; do
		printf '%s\n' --backend "$(wgw_lab_ep "$a" $WGW_LAB_PORT)"
	done
}

# wgw_lab_gateway [EXTRA ARGS...]: start wraith-gatewayd in gw, wait until it
# runs (its log says "running").  PID in WGW_LAB_GW_PID, log in
# $WGW_TMP/gatewayd.log (appended across restarts).
wgw_lab_gateway()
{
	local gwd args
	gwd="$WGW_TOP_BUILDDIR/wraith-gatewayd"
	[ -x "$gwd" ] || wgw_fail "$gwd not built"
	mapfile -t args < <(wgw_lab_gateway_args)
	echo "--- start: $gwd ${args[*]} $*" >>"$WGW_TMP/gatewayd.log"
	wgw_bg gw "$gwd" "${args[@]}" "$@" >>"$WGW_TMP/gatewayd.log" 2>&1
	WGW_LAB_GW_PID=$WGW_BG_PID
	if ! wgw_wait_for 20 wgw_lab__running; then
		tail -n 30 "$WGW_TMP/gatewayd.log" >&2
		wgw_fail "wraith-gatewayd did not come up"
	fi
	wgw_alive "$WGW_LAB_GW_PID" || {
		tail -n 30 "$WGW_TMP/gatewayd.log" >&2
		wgw_fail "wraith-gatewayd exited at start"
	}
}

# wgw_lab_xdp_prog_id NS DEV, wgw_lab_xdp_prog_name NS DEV: the id and the
# name of the XDP program on interface DEV of namespace NS (empty if none).
wgw_lab_xdp_prog_id()
{
	wgw_in "$1" ip -d link show dev "$2" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1
}

wgw_lab_xdp_prog_name()
{
	wgw_in "$1" ip -d link show dev "$2" | sed -n 's/.*prog\/xdp id [0-9]* name \([^ ]*\).*/\1/p' | head -n 1
}

# Up, or dead (the caller tells which).
wgw_lab__running()
{
	wgw_alive "$WGW_LAB_GW_PID" || return 0
	awk '/^--- start/ { up = 0 } /^notice: running/ { up = 1 } END { exit !up }' \
		"$WGW_TMP/gatewayd.log"
}

# wgw_lab_client [ARGS...]: run the client simulator against the VIP, text
# report on stdout.
wgw_lab_client()
{
	local cl
	cl=$(wgw_tool wraith-client) || exit 1
	wgw_in cl "$cl" "$@" "$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)"
}
