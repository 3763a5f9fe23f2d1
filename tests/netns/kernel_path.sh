#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Losses on the TUN/UDP side that must reach an operator (issue #17 items 6
# and 10), with the real daemon in the lab, in fallback mode and in the
# lab's default mode (XDP where the kernel has it):
#
#  - egress MTU: the LAN link's MTU lowered while the daemon runs.  Status
#    shows the new MTU, datagrams that no longer fit are dropped and
#    counted (tx_too_big), smaller ones still flow.  Before, the gateway
#    kept the old MTU and the kernel lost the packets out of sight;
#  - fragmented backend replies: the backends' route to the NAT address
#    has an MTU of 1000, so their 1400-byte replies arrive in fragments,
#    which the gateway does not reassemble.  They must be counted
#    (rx_fragments of the TUN port, in stats) and logged.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root
[ -c /dev/net/tun ] || wgw_skip "no /dev/net/tun"

CTL="$WGW_TOP_BUILDDIR/wraith-gatewayctl"
[ -x "$CTL" ] || wgw_fail "$CTL not built"

# gw_ctl ARGS...: wraith-gatewayctl against the lab's daemon.
gw_ctl()
{
	wgw_in gw "$CTL" -s "$WGW_TMP/control.sock" "$@"
}

# gw_sum NAME: the sum of every "NAME: N" line of wraith-gatewayctl stats
# (over workers and ports).
gw_sum()
{
	gw_ctl stats | awk -v k="$1:" '$1 == k { s += $2 } END { print s + 0 }'
}

# gw_iface_mtu IFACE: the MTU wraith-gatewayctl status shows for IFACE.
gw_iface_mtu()
{
	gw_ctl status | awk -v i="$1:" '$1 == i { f = 1; next } f && $1 == "mtu:" { print $2; exit }'
}

mtu_is()
{
	[ "$(gw_iface_mtu "$1")" = "$2" ]
}

# t_egress_mtu FAMILY MODE
t_egress_mtu()
{
	local fam=$1 mode=$2 r ok drops low=1000 big=1200 small=900
	# IPv6 needs 1280 at least (below, the kernel drops the addresses).
	[ "$fam" = 6 ] && { low=1280; big=1400; small=1100; }
	wgw_lab_up "$fam"
	wgw_lab_backends
	wgw_lab_gateway --mode "$mode"
	r="$WGW_TMP/client.txt"
	wgw_lab_client -n 4 --sockets 4 -d 1 --size $big --expect-clean >"$r" ||
		{ cat "$r"; wgw_fail "$big-byte sessions before the MTU change"; }
	wgw_assert_eq 0 "$(gw_sum tx_too_big)" "too big before the MTU change"

	wgw_in gw ip link set dev lan0 mtu $low || wgw_fail "LAN MTU $low"
	wgw_wait_for 5 mtu_is lan0 $low ||
		wgw_fail "status shows LAN MTU $(gw_iface_mtu lan0), not $low"
	# The client's handshakes are padded to --size too: none fits.
	wgw_lab_client -n 4 --sockets 4 -d 1 --size $big --hs-retries 1 >"$r" 2>&1
	ok=$(wgw_kv "$r" handshakes_ok) || { cat "$r"; wgw_fail "no client report"; }
	drops=$(gw_sum tx_too_big)
	wgw_log "$mode: LAN MTU $low: $big-byte sessions: $ok of 4 handshakes; tx_too_big $drops"
	wgw_assert_eq 0 "$ok" "$big-byte handshakes over a $low-byte LAN"
	wgw_assert_ge "$drops" 4 "datagrams over the LAN MTU counted (tx_too_big)"
	# What fits still flows.
	wgw_lab_client -n 4 --sockets 4 -d 1 --size $small --expect-clean >"$r" ||
		{ cat "$r"; wgw_fail "$small-byte sessions after the MTU change"; }
	# And the MTU is followed back up.
	wgw_in gw ip link set dev lan0 mtu 1500 || wgw_fail "LAN MTU 1500"
	wgw_wait_for 5 mtu_is lan0 1500 || wgw_fail "status still shows $(gw_iface_mtu lan0)"
	wgw_lab_client -n 4 --sockets 4 -d 1 --size $big --expect-clean >"$r" ||
		{ cat "$r"; wgw_fail "$big-byte sessions after the MTU went back up"; }
}

# t_backend_fragments FAMILY MODE
t_backend_fragments()
{
	local fam=$1 mode=$2 r ok frags nat
	wgw_lab_up "$fam"
	wgw_lab_backends
	wgw_lab_gateway --mode "$mode"
	nat=$WGW_LAB_NAT
	if [ "$fam" = 6 ]; then
		wgw_in be ip -6 route add "$nat/128" dev be0 mtu 1280 ||
			wgw_fail "route MTU to the NAT address"
	else
		wgw_in be ip route add "$nat/32" dev be0 mtu 1000 ||
			wgw_fail "route MTU to the NAT address"
	fi
	r="$WGW_TMP/client.txt"
	# The backends' handshake answers are padded to --size as well:
	# every one comes back in fragments.
	wgw_lab_client -n 4 --sockets 4 -d 1 --size 1400 --hs-retries 1 >"$r" 2>&1
	ok=$(wgw_kv "$r" handshakes_ok) || { cat "$r"; wgw_fail "no client report"; }
	frags=$(gw_sum rx_fragments)
	wgw_log "$mode: replies over the backends' path MTU: $ok of 4 handshakes; rx_fragments $frags"
	wgw_assert_eq 0 "$ok" "handshakes answered in fragments"
	wgw_assert_ge "$frags" 8 "fragments of backend replies counted (rx_fragments)"
	grep -q 'fragmented backend datagram to the NAT address dropped' "$WGW_TMP/gatewayd.log" ||
		wgw_fail "no log line for the fragmented backend replies"
}

wgw_run egress-mtu-fallback-ipv4 t_egress_mtu 4 fallback
wgw_run egress-mtu-auto-ipv4 t_egress_mtu 4 auto
[ "${WGW_TEST_QUICK:-0}" = 1 ] || wgw_run egress-mtu-fallback-ipv6 t_egress_mtu 6 fallback
[ "${WGW_TEST_QUICK:-0}" = 1 ] || wgw_run egress-mtu-auto-ipv6 t_egress_mtu 6 auto
wgw_run backend-fragments-fallback-ipv4 t_backend_fragments 4 fallback
wgw_run backend-fragments-auto-ipv4 t_backend_fragments 4 auto
[ "${WGW_TEST_QUICK:-0}" = 1 ] || wgw_run backend-fragments-fallback-ipv6 t_backend_fragments 6 fallback
[ "${WGW_TEST_QUICK:-0}" = 1 ] || wgw_run backend-fragments-auto-ipv6 t_backend_fragments 6 auto
wgw_done
