#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A pool of NAT addresses end to end (--nat given a range and repeated):
# one backend, a deliberately small port range (16 ports) on each of four
# NAT addresses, and more client endpoints than one address has ports.
# Every endpoint is answered, the mappings spread over every address of
# the pool (so replies to each of them were mapped back), the backend's
# pool use and capacity show in backends and metrics, a full pool is
# refused and counted, and nothing stays configured after exit.  An
# address of the pool whose proxy entry and host route are removed under
# traffic is handled as the single NAT address would be: the gateway keeps
# serving the others and exits cleanly.  A restart puts every mapping back
# on its address.  XDP and fallback modes, IPv4 and IPv6.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

PORTS=16		# NAT ports per address
NAT_N=4			# NAT addresses
ENDPOINTS=48		# client sockets: 3 x PORTS, under NAT_N x PORTS

# The gateway namespace's NAT ownership and forwarding state.
snapshot()
{
	{
		ip -n "$(wgw_nsname gw)" neigh show proxy
		ip -n "$(wgw_nsname gw)" -4 rule show
		ip -n "$(wgw_nsname gw)" -6 rule show
		ip -n "$(wgw_nsname gw)" route show table all | grep -v 'proto kernel' |
			grep -v '^local\|^broadcast\|^multicast\|^fe80\|^ff00' || true
		ip -n "$(wgw_nsname gw)" link show | grep -o 'wgw[0-9]*' || true
		for i in lan0 all; do
			echo "$i v4 forwarding $(wgw_in gw sysctl -n net.ipv4.conf.$i.forwarding)"
			echo "$i v6 forwarding $(wgw_in gw sysctl -n net.ipv6.conf.$i.forwarding)"
			echo "$i proxy_ndp $(wgw_in gw sysctl -n net.ipv6.conf.$i.proxy_ndp)"
		done
	} >"$1"
}

# pool_up FAM MODE: the lab with one backend and the gateway on a pool.
# Sets POOL (the addresses, the lab's own NAT address first).
pool_up()
{
	local fam=$1 mode=$2 range
	wgw_lab_up "$fam" 1
	WGW_LAB_BACKENDS=("${WGW_LAB_BACKENDS[0]}")
	wgw_lab_backends
	if [ "$fam" = 4 ]; then
		POOL=("$WGW_LAB_NAT" 10.0.0.101 10.0.0.102 10.0.0.103)
	else
		POOL=("$WGW_LAB_NAT" 2001:db8:b::101 2001:db8:b::102 2001:db8:b::103)
	fi
	snapshot "$WGW_TMP/before"
	pool_gateway "$mode"
}

# pool_gateway MODE: the gateway on POOL (the lab's NAT address, then a
# range).
pool_gateway()
{
	wgw_lab_gateway --mode "$1" --nat "${POOL[1]}-${POOL[3]}" \
		--nat-ports "20000-$((20000 + PORTS - 1))"
	ctl_up
}

# The mappings per NAT address, from the session list ("nat: ADDR" lines).
nat_counts()
{
	gwctl sessions list 1000 >"$WGW_TMP/sessions.txt" || wgw_fail "sessions list"
	awk '$1 == "nat:" { n[$2]++ } END { for (a in n) print a, n[a] }' "$WGW_TMP/sessions.txt" |
		sort
}

t_pool()
{
	local fam=$1 mode=$2 a n r="$WGW_TMP/client.txt" be
	pool_up "$fam" "$mode"
	for a in "${POOL[@]}"; do
		wgw_in gw ip neigh show proxy | grep -q "^$a dev lan0" ||
			wgw_fail "no proxy entry for NAT address $a on lan0"
	done
	wgw_lab_client -n $((2 * ENDPOINTS)) --sockets $ENDPOINTS -d 2 --inflight 32 \
		--expect-clean --expect-loss-max 1 >"$r" || {
		cat "$r" >&2
		wgw_fail "client: not every endpoint answered ($ENDPOINTS endpoints, $PORTS ports an address)"
	}
	grep -q "^sessions_unanswered: 0$" "$r" || { cat "$r" >&2; wgw_fail "sessions unanswered"; }

	# spread: every address of the pool carries its share
	nat_counts >"$WGW_TMP/counts.txt"
	cat "$WGW_TMP/counts.txt"
	[ "$(wc -l <"$WGW_TMP/counts.txt")" = "$NAT_N" ] ||
		wgw_fail "mappings on $(wc -l <"$WGW_TMP/counts.txt") NAT addresses, expected $NAT_N"
	for a in "${POOL[@]}"; do
		n=$(awk -v a="$a" '$1 == a { print $2 }' "$WGW_TMP/counts.txt")
		[ "${n:-0}" = $((ENDPOINTS / NAT_N)) ] ||
			wgw_fail "NAT address $a holds ${n:-0} mappings, expected $((ENDPOINTS / NAT_N))"
	done

	# pool use in status, backends and metrics
	gwctl status >"$WGW_TMP/status.txt" || wgw_fail "status"
	[ "$(ctl_get "$WGW_TMP/status.txt" "engine/nat_capacity_per_backend")" = $((NAT_N * PORTS)) ] &&
		[ "$(ctl_get "$WGW_TMP/status.txt" "engine/nat_in_use_fullest")" = $ENDPOINTS ] ||
		{ cat "$WGW_TMP/status.txt" >&2; wgw_fail "status: the NAT pool's use"; }
	be=$(wgw_lab_ep "${WGW_LAB_BACKENDS[0]}" $WGW_LAB_PORT)
	gwctl backends >"$WGW_TMP/backends.txt" || wgw_fail "backends"
	[ "$(ctl_get "$WGW_TMP/backends.txt" "backends/$be/nat_capacity")" = $((NAT_N * PORTS)) ] ||
		{ cat "$WGW_TMP/backends.txt" >&2; wgw_fail "nat_capacity"; }
	[ "$(ctl_get "$WGW_TMP/backends.txt" "backends/$be/nat_in_use")" = $ENDPOINTS ] ||
		{ cat "$WGW_TMP/backends.txt" >&2; wgw_fail "nat_in_use"; }

	# the pool full: what does not fit is refused and counted, the rest
	# still answered
	wgw_lab_client -n $((2 * PORTS + 8)) --sockets $((PORTS + 8)) -d 1 --pps 500 \
		--hs-retries 1 --hs-timeout 200 >"$r" || true
	gwctl backends >"$WGW_TMP/backends.txt" || wgw_fail "backends"
	n=$(ctl_get "$WGW_TMP/backends.txt" "backends/$be/nat_exhausted")
	[ "${n:-0}" -gt 0 ] || { cat "$WGW_TMP/backends.txt" >&2; wgw_fail "no exhausted pool counted"; }
	[ "$(ctl_get "$WGW_TMP/backends.txt" "backends/$be/nat_in_use")" = $((NAT_N * PORTS)) ] ||
		{ cat "$WGW_TMP/backends.txt" >&2; wgw_fail "the pool is not full"; }
	gwctl stats --prometheus >"$WGW_TMP/metrics.txt" || wgw_fail "stats --prometheus"
	grep -qxF "wraith_gateway_backend_nat_capacity{backend=\"$be\"} $((NAT_N * PORTS))" \
		"$WGW_TMP/metrics.txt" || wgw_fail "no nat_capacity metric"
	awk -v s="wraith_gateway_backend_nat_exhausted_total{backend=\"$be\"} " \
		'index($0, s) == 1 && $NF > 0 { f = 1 } END { exit !f }' "$WGW_TMP/metrics.txt" ||
		wgw_fail "no nat_exhausted_total metric"

	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status $?"
	grep -q 'stopped cleanly' "$WGW_TMP/gatewayd.log" || wgw_fail "no clean stop"
	snapshot "$WGW_TMP/after"
	diff -u "$WGW_TMP/before" "$WGW_TMP/after" || wgw_fail "state left behind after exit"
}

# One address of the pool loses its proxy entry and host route under
# traffic, as G can: the gateway keeps running, the sessions on the other
# addresses keep their answers, the exit is clean (what is already gone is
# no error) and leaves nothing.
t_removed()
{
	local fam=$1 mode=$2 gone r="$WGW_TMP/client.txt" tun
	pool_up "$fam" "$mode"
	gone=${POOL[2]}
	wgw_lab_client -n $((2 * ENDPOINTS)) --sockets $ENDPOINTS -d 4 --pps 2000 \
		--dump-sessions "$WGW_TMP/dump.txt" >"$r" &
	sleep 2
	tun=$(wgw_in gw ip -o link show | grep -o 'wgw[0-9]*' | head -n 1)
	wgw_in gw ip neigh del proxy "$gone" dev lan0 || wgw_fail "proxy entry of $gone"
	wgw_in gw ip route del "$gone" dev "$tun" 2>/dev/null ||
		wgw_in gw ip route del "$gone" 2>/dev/null || true
	wait $! || true
	wgw_alive "$WGW_LAB_GW_PID" || { tail -n 20 "$WGW_TMP/gatewayd.log" >&2; wgw_fail "daemon died"; }
	cat "$r"
	# every session was answered in the first half, whatever its address
	grep -q "^sessions_unanswered: 0$" "$r" || { cat "$r" >&2; wgw_fail "sessions unanswered"; }
	# a new client: the addresses still owned answer
	wgw_in gw ip neigh show proxy | grep -q "^${POOL[1]} dev lan0" ||
		wgw_fail "the other addresses lost their proxy entries"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status $?"
	grep -q 'stopped cleanly' "$WGW_TMP/gatewayd.log" || wgw_fail "no clean stop"
	snapshot "$WGW_TMP/after"
	diff -u "$WGW_TMP/before" "$WGW_TMP/after" || wgw_fail "state left behind after exit"
}

# A restart: every mapping back on its NAT address (the state file names
# it), the clients still answered.
t_restart()
{
	local fam=$1 mode=$2 r="$WGW_TMP/client.txt"
	pool_up "$fam" "$mode"
	wgw_lab_client -n $((2 * ENDPOINTS)) --sockets $ENDPOINTS -d 1 --inflight 32 \
		--expect-clean >"$r" || { cat "$r" >&2; wgw_fail "client"; }
	nat_counts >"$WGW_TMP/counts1.txt"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status $?"
	pool_gateway "$mode"
	nat_counts >"$WGW_TMP/counts2.txt"
	diff -u "$WGW_TMP/counts1.txt" "$WGW_TMP/counts2.txt" ||
		wgw_fail "the mappings per NAT address changed across a restart"
	gwctl sessions list 1000 | awk '$1 == "client:" || $1 == "nat:" || $1 == "nat_port:"' \
		>"$WGW_TMP/pairs2.txt"
	[ "$(awk '$1 == "nat:"' "$WGW_TMP/pairs2.txt" | wc -l)" = $ENDPOINTS ] ||
		wgw_fail "not every mapping restored"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status $?"
}

for mode in auto fallback; do
	for fam in 4 6; do
		wgw_run "pool IPv$fam, $mode" t_pool "$fam" "$mode"
		wgw_run "pool address removed IPv$fam, $mode" t_removed "$fam" "$mode"
	done
done
wgw_run "pool restart IPv4, fallback" t_restart 4 fallback
wgw_run "pool restart IPv6, auto" t_restart 6 auto
wgw_done
