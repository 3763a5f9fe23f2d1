#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End-to-end: the real daemon between real namespaces (tests/netns/lab.sh),
# real clients and backends, both directions, receiving kernels verifying
# checksums.  One body for every data path: WGW_E2E_MODE picks the mode
# (auto, xdp-copy, xdp-generic, fallback, or "wan=M,lan=M" for mixed
# modes); the thin e2e_*.sh wrappers set it.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root

MODE=${WGW_E2E_MODE:-auto}
case $MODE in
wan=*,lan=*)
	W=${MODE#wan=}; W=${W%%,*}; L=${MODE#*,lan=}
	MODE_ARGS=(--wan-mode "$W" --lan-mode "$L") ;;
*)	MODE_ARGS=(--mode "$MODE") ;;
esac
wgw_log "mode: ${MODE_ARGS[*]}"

# Counters the daemon logs on SIGUSR1 ("engine: 3 sessions ...").
gw_counters()
{
	local before
	before=$(grep -c 'engine: ' "$WGW_TMP/gatewayd.log")
	kill -USR1 "$WGW_LAB_GW_PID"
	wgw_wait_for 5 gw__counted "$before" || wgw_fail "no counters logged"
}

gw__counted()
{
	[ "$(grep -c 'engine: ' "$WGW_TMP/gatewayd.log")" -gt "$1" ]
}

# The last logged value of a series "NAME{LABELS} N" (0 when absent since
# the last dump, which leaves out zeros).
gw_counter()
{
	awk -v k="$1 " 'index($0, "engine: ") { seen = 0 } index($0, k) { v = substr($0, index($0, k) + length(k)); seen = 1 }
		END { print seen ? v + 0 : 0 }' "$WGW_TMP/gatewayd.log"
}

# The last counter dump, for a failure's log.
gw_dump()
{
	awk '/notice: engine: /{n=NR} {l[NR]=$0} END{for(i=n;i<=NR;i++) print l[i]}' \
		"$WGW_TMP/gatewayd.log" >&2
}

csum_errors()
{
	local c4 c6
	c4=$(wgw_nstat "$1" UdpInCsumErrors || echo 0)
	c6=$(wgw_nstat "$1" Udp6InCsumErrors || echo 0)
	echo $((c4 + c6))
}

# Forwarding in both directions, spread over backends, valid checksums.
t_forward()
{
	local fam=$1 q=${2:-1} r
	shift 2
	wgw_lab_up "$fam" "$q"
	wgw_lab_backends
	wgw_lab_gateway "${MODE_ARGS[@]}" "$@"
	r="$WGW_TMP/client.txt"
	wgw_lab_client -n 90 --sockets 30 -d 2 --inflight 64 --expect-clean \
		--expect-loss-max 1 --json "$WGW_TMP/client.json" >"$r" ||
		{ cat "$r"; gw_counters; gw_dump; wgw_fail "client run failed"; }
	wgw_assert_eq "$(wgw_kv "$r" handshakes_ok)" 90 "handshakes"
	wgw_assert_eq "$(wgw_kv "$r" wrong_source)" 0 "replies from the wrong source"
	wgw_assert_eq "$(wgw_kv "$r" wrong_cid)" 0 "replies with the wrong CID"
	# 30 client endpoints over 3 backends: each backend gets some.
	for b in 1 2 3; do
		wgw_assert_ge "$(wgw_kv "$r" "backend.$b.sessions" || echo 0)" 1 \
			"sessions on backend $b"
	done
	wgw_assert_eq "$(csum_errors be)" 0 "UDP checksum errors at the backends"
	wgw_assert_eq "$(csum_errors cl)" 0 "UDP checksum errors at the client"
	wgw_assert_ge $(( $(wgw_nstat be UdpInDatagrams || echo 0) + \
		$(wgw_nstat be Udp6InDatagrams || echo 0) )) 90 \
		"datagrams the backends' kernel accepted"
	gw_counters
	if [ "$q" -gt 1 ]; then
		grep -q "running: $q workers" "$WGW_TMP/gatewayd.log" ||
			wgw_fail "expected $q workers"
	fi
}

# Known CIDs follow their backend to a new port, then a new address.
t_migrate()
{
	local fam=$1 how=$2 r
	wgw_lab_up "$fam"
	wgw_lab_backends
	wgw_lab_gateway "${MODE_ARGS[@]}"
	r="$WGW_TMP/client.txt"
	if [ "$how" = addr ]; then
		wgw_lab_client -n 60 --sockets 20 -d 2 --inflight 32 --expect-clean \
			--migrate-addr "$WGW_LAB_CLIENT2" >"$r" || { cat "$r"; wgw_fail "client"; }
	else
		wgw_lab_client -n 60 --sockets 20 -d 2 --inflight 32 --expect-clean \
			--migrate >"$r" || { cat "$r"; wgw_fail "client"; }
	fi
	wgw_assert_eq "$(wgw_kv "$r" migration_kept_pct)" "100.00" "sessions kept their backend"
	wgw_assert_eq "$(csum_errors be)" 0 "checksum errors at the backends"
}

# Sessions without a CID (bare Noise handshakes) stay on one backend per
# client endpoint; so do handshakes of a second run from the same ports.
t_endpoint_consistency()
{
	local r1 r2
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway "${MODE_ARGS[@]}"
	r1="$WGW_TMP/c1.txt"; r2="$WGW_TMP/c2.txt"
	wgw_lab_client --bare -n 20 --sockets 20 -d 1 --pps 2000 --expect-clean >"$r1" ||
		{ cat "$r1"; wgw_fail "bare run"; }
	wgw_assert_eq "$(wgw_kv "$r1" sessions_backend_changed)" 0 "bare sessions changed backend"
	# Framed sessions: the handshake (special CID) and the data (its CID)
	# of each session reach one backend.
	wgw_lab_client -n 40 --sockets 8 -d 1 --pps 2000 --expect-clean >"$r2" ||
		{ cat "$r2"; wgw_fail "framed run"; }
	wgw_assert_eq "$(wgw_kv "$r2" sessions_backend_changed)" 0 "framed sessions changed backend"
}

# A spoofer that reuses live CIDs from another address gets its own
# mappings; the real client's sessions are never redirected.
t_spoof()
{
	local r s
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway "${MODE_ARGS[@]}"
	r="$WGW_TMP/client.txt"; s="$WGW_TMP/spoof.txt"
	cl=$(wgw_tool wraith-client) || exit 1
	wgw_bg cl "$cl" -n 30 --sockets 10 -d 3 --inflight 16 --seed 42 --expect-clean \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$r" 2>&1
	local real=$WGW_BG_PID
	sleep 1
	wgw_lab_client -n 30 --sockets 10 -d 1 --pps 3000 --seed 42 --no-handshake \
		--bind "$WGW_LAB_CLIENT2" >"$s" || true
	wait "$real" || { cat "$r"; wgw_fail "the real client saw errors"; }
	wgw_assert_eq "$(wgw_kv "$r" wrong_source)" 0 "real client: wrong source"
	wgw_assert_eq "$(wgw_kv "$r" sessions_backend_changed)" 0 "real client: sessions moved"
	wgw_assert_le "$(wgw_kv "$r" loss_pct | cut -d. -f1)" 1 "real client: loss"
}

# A datagram larger than the client's path MTU arrives in fragments; XDP
# passes fragments to the kernel, which reassembles them for the VIP
# socket: the backend gets it whole, and the reply comes back.
t_fragments()
{
	local r
	wgw_lab_up "$1"
	wgw_lab_backends
	wgw_lab_gateway "${MODE_ARGS[@]}"
	if [ "$1" = 4 ]; then
		wgw_in cl ip route replace 203.0.113.0/24 via "$WGW_LAB_GW_WAN" mtu lock 1000
	else
		wgw_in cl ip -6 route replace 2001:db8:f::/64 via "$WGW_LAB_GW_WAN" mtu 1280
	fi
	r="$WGW_TMP/client.txt"
	wgw_lab_client -n 10 --sockets 5 -s 1400 -d 1 --pps 500 --expect-clean \
		--expect-loss-max 1 >"$r" || { cat "$r"; wgw_fail "client"; }
	wgw_assert_ge "$(wgw_kv "$r" rx_packets)" 400 "replies to fragmented datagrams"
	wgw_assert_eq "$(csum_errors be)" 0 "checksum errors at the backends"
	wgw_assert_ge $(( $(wgw_nstat gw IpReasmOKs || echo 0) + \
		$(wgw_nstat gw Ip6ReasmOKs || echo 0) )) 1 "datagrams reassembled by the gateway's kernel"
}

# Idle state expires: mappings and CIDs go back to zero.
t_expiry()
{
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway "${MODE_ARGS[@]}" --mapping-timeout 5 --session-timeout 10
	wgw_lab_client -n 20 --sockets 5 -d 1 --pps 1000 --expect-clean >/dev/null ||
		wgw_fail "client"
	gw_counters
	grep 'engine: ' "$WGW_TMP/gatewayd.log" | tail -n 1 | grep -q 'engine: 20 sessions' ||
		wgw_fail "expected 20 sessions while active: $(grep 'engine: ' "$WGW_TMP/gatewayd.log" | tail -n 1)"
	wgw_wait_for 30 gw__empty || wgw_fail "state did not expire: $(grep 'engine: ' "$WGW_TMP/gatewayd.log" | tail -n 1)"
}

gw__empty()
{
	gw_counters
	grep 'engine: ' "$WGW_TMP/gatewayd.log" | tail -n 1 | grep -q 'engine: 0 sessions (CIDs), 0 mappings'
}

# Everything that is not WRAITH traffic for a VIP reaches the kernel; VIP
# traffic that fails the WRAITH checks is dropped and counted.
t_other_traffic()
{
	local xr
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway "${MODE_ARGS[@]}"
	xr=$(wgw_tool wgw-xsk-rx 2>/dev/null) || xr="$WGW_TOP_BUILDDIR/tests/tools/wgw-xsk-rx"
	wgw_in cl "$xr" ping -d "$WGW_LAB_GW_WAN" -n 3 -t 5 >"$WGW_TMP/ping.txt" 2>&1 ||
		{ cat "$WGW_TMP/ping.txt"; wgw_fail "ping to the gateway host"; }
	# UDP to another port of the gateway host (also on the VIP address).
	wgw_bg gw "$xr" listen -b "$WGW_LAB_VIP:9999" -t 10 -n 20 -r "$WGW_TMP/ready" \
		>"$WGW_TMP/listen.txt" 2>&1
	local lpid=$WGW_BG_PID
	wgw_wait_for 5 test -e "$WGW_TMP/ready" || wgw_fail "listener"
	wgw_in cl "$xr" send -d "$WGW_LAB_VIP:9999" -n 20 -s 64 -p 1000 >/dev/null ||
		wgw_fail "send to port 9999"
	wait "$lpid" || { cat "$WGW_TMP/listen.txt"; wgw_fail "listener got fewer than 20"; }
	# Malformed traffic to the VIP: short payloads and CID 0.  Whatever
	# the path (the XDP program, or the engine behind the fallback's
	# sockets), it is dropped, counted by reason, and never forwarded.
	gw_counters
	local to_lan
	to_lan=$(gw_counter 'wraith_gateway_engine_forwarded_packets_total{direction="to_lan"}')
	wgw_in cl "$xr" send -d "$WGW_LAB_VIP:$WGW_LAB_PORT" -n 7 -s 10 -p 1000 >/dev/null ||
		wgw_fail "send short payloads"
	wgw_in cl "$xr" send -d "$WGW_LAB_VIP:$WGW_LAB_PORT" -n 5 -s 64 -c 0 -p 1000 >/dev/null ||
		wgw_fail "send CID 0"
	sleep 0.5
	gw_counters
	case $MODE in
	fallback|wan=fallback*)
		wgw_assert_eq "$(gw_counter 'wraith_gateway_engine_dropped_packets_total{reason="short"}')" 7 "short payloads dropped by the engine"
		wgw_assert_eq "$(gw_counter 'wraith_gateway_engine_dropped_packets_total{reason="cid_zero"}')" 5 "CID 0 dropped by the engine" ;;
	*)
		wgw_assert_eq "$(gw_counter 'wraith_gateway_xdp_reason_packets_total{interface="wan0",verdict="drop",reason="vip_drop_short"}')" 7 "short payloads dropped"
		wgw_assert_eq "$(gw_counter 'wraith_gateway_xdp_reason_packets_total{interface="wan0",verdict="drop",reason="vip_drop_cid0"}')" 5 "CID 0 dropped" ;;
	esac
	wgw_assert_eq "$(gw_counter 'wraith_gateway_engine_forwarded_packets_total{direction="to_lan"}')" "$to_lan" "nothing malformed forwarded"
	# And the service still works.
	wgw_lab_client -n 10 -d 1 --pps 1000 --expect-clean >/dev/null || wgw_fail "service"
}

# Nothing the gateway changed survives a clean stop or a SIGKILL + restart.
snapshot()
{
	{
		ip -n "$(wgw_nsname gw)" -d link show | grep -E 'xdp|prog' || true
		ip -n "$(wgw_nsname gw)" neigh show proxy
		ip -n "$(wgw_nsname gw)" -4 rule show
		ip -n "$(wgw_nsname gw)" -6 rule show
		ip -n "$(wgw_nsname gw)" route show table all | grep -v 'proto kernel' | grep -v '^local\|^broadcast\|^multicast\|^fe80\|^ff00' || true
		for i in wan0 lan0 lo; do
			for k in forwarding rp_filter proxy_arp; do
				echo "$i $k $(wgw_in gw sysctl -n net.ipv4.conf.$i.$k)"
			done
			echo "$i proxy_delay $(wgw_in gw sysctl -n net.ipv4.neigh.$i.proxy_delay 2>/dev/null)"
			for k in forwarding proxy_ndp force_forwarding; do
				echo "$i v6 $k $(wgw_in gw sysctl -n net.ipv6.conf.$i.$k 2>/dev/null)"
			done
			wgw_in gw ethtool -k $i 2>/dev/null | grep -E 'offload|checksum' | grep -v fixed
			wgw_in gw ethtool -l $i 2>/dev/null
		done
	} >"$1"
}

t_clean_exit()
{
	local fam=$1
	wgw_lab_up "$fam" 2
	wgw_lab_backends
	snapshot "$WGW_TMP/before"
	wgw_lab_gateway "${MODE_ARGS[@]}"
	wgw_lab_client -n 10 -d 1 --pps 1000 --expect-clean >/dev/null || wgw_fail "client"
	snapshot "$WGW_TMP/during"
	cmp -s "$WGW_TMP/before" "$WGW_TMP/during" && wgw_fail "the gateway changed nothing?"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status $?"
	grep -q 'stopped cleanly' "$WGW_TMP/gatewayd.log" || wgw_fail "no clean stop"
	snapshot "$WGW_TMP/after"
	diff -u "$WGW_TMP/before" "$WGW_TMP/after" || wgw_fail "state left behind after exit"
}

t_sigkill_restart()
{
	wgw_lab_up 4
	wgw_lab_backends
	snapshot "$WGW_TMP/before"
	wgw_lab_gateway "${MODE_ARGS[@]}"
	wgw_lab_client -n 10 -d 1 --pps 1000 --expect-clean >/dev/null || wgw_fail "client 1"
	kill -KILL "$WGW_LAB_GW_PID"
	wait "$WGW_LAB_GW_PID" 2>/dev/null
	wgw_lab_gateway "${MODE_ARGS[@]}"
	wgw_lab_client -n 10 -d 1 --pps 1000 --expect-clean >/dev/null || wgw_fail "client after restart"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	snapshot "$WGW_TMP/after"
	diff -u "$WGW_TMP/before" "$WGW_TMP/after" || wgw_fail "state left behind after SIGKILL + restart"
}

# WGW_E2E_ONLY=REGEX runs the sub-tests whose name matches.
run()
{
	[ -z "${WGW_E2E_ONLY:-}" ] || [[ $1 =~ $WGW_E2E_ONLY ]] || return 0
	wgw_run "$@"
}

run "forward IPv4" t_forward 4 1
run "forward IPv6" t_forward 6 1
run "forward IPv4, 4 queues" t_forward 4 4
run "forward IPv4, workers spinning" t_forward 4 1 --wait spin
run "forward IPv4, preferred busy polling" t_forward 4 1 --wait busy-poll
run "migrate to a new port" t_migrate 4 port
run "migrate to a new address" t_migrate 4 addr
run "migrate IPv6 to a new address" t_migrate 6 addr
run "routing consistent per endpoint" t_endpoint_consistency
run "spoofed CID" t_spoof
run "fragmented datagrams IPv4" t_fragments 4
run "fragmented datagrams IPv6" t_fragments 6
run "expiry" t_expiry
run "other traffic untouched" t_other_traffic
run "clean exit IPv4" t_clean_exit 4
run "clean exit IPv6" t_clean_exit 6
run "SIGKILL and restart" t_sigkill_restart
wgw_done
