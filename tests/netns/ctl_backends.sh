#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Backends added, drained, reweighted, undrained and removed through the
# control socket while clients send: no packet of an existing session is
# lost and no session changes backend; a drained backend gets no new
# client endpoint; the counters follow.  Addresses the configuration file
# refuses are refused at run time too, both families, with the running set
# unchanged.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

ctl__sessions_at_least()
{
	local n
	n=$(gwctl sessions | awk '/^sessions: / { print $2 }')
	[ "${n:-0}" -ge "$1" ]
}

t_under_traffic()
{
	local r="$WGW_TMP/client.txt" r2="$WGW_TMP/client2.txt" s="$WGW_TMP/s.txt"
	local b1 b2 b3 cl before after

	wgw_lab_up 4
	b1=${WGW_LAB_BACKENDS[0]}:$WGW_LAB_PORT
	b2=${WGW_LAB_BACKENDS[1]}:$WGW_LAB_PORT
	b3=${WGW_LAB_BACKENDS[2]}:$WGW_LAB_PORT
	wgw_lab_backends
	wgw_lab_gateway
	ctl_up
	# The third backend leaves before any traffic; it comes back under it.
	gwctl backends remove "$b3" >/dev/null || wgw_fail "remove $b3"
	gwctl backends >"$s"
	ctl_get "$s" "backends/$b3/state" >/dev/null && wgw_fail "$b3 still listed"

	cl=$(wgw_tool wraith-client) || exit 1
	wgw_bg cl "$cl" -n 60 --sockets 30 -d 6 --pps 3000 --expect-clean \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$r" 2>&1
	local client=$WGW_BG_PID
	wgw_wait_for 10 ctl__sessions_at_least 60 || wgw_fail "sessions did not come up"

	gwctl backends drain "$b1" >"$s" || wgw_fail "drain $b1"
	wgw_assert_eq drain "$(ctl_get "$s" "backends/$b1/state")" "state of $b1"
	before=$(gwctl backends | awk -v b="  $b1:" '$0 == b { f = 1 } f && /packets_from:/ { print $2; exit }')
	sleep 1
	gwctl backends add "$b3@100" >/dev/null || wgw_fail "add $b3"
	sleep 1
	gwctl backends weight "$b2" 300 >"$s" || wgw_fail "weight $b2"
	wgw_assert_eq 300 "$(ctl_get "$s" "backends/$b2/weight")" "weight of $b2"
	sleep 1
	gwctl backends remove "$b3" >/dev/null || wgw_fail "remove $b3 under traffic"
	sleep 0.5
	gwctl backends >"$s"
	after=$(ctl_get "$s" "backends/$b1/packets_from")
	wgw_assert_ge "$after" $((before + 1000)) "packets from drained $b1 kept flowing"
	gwctl backends undrain "$b1" >"$s" || wgw_fail "undrain $b1"
	wgw_assert_eq up "$(ctl_get "$s" "backends/$b1/state")" "state of $b1"

	wait "$client" || { cat "$r"; wgw_fail "the client saw errors"; }
	wgw_assert_eq "0.000" "$(wgw_kv "$r" loss_pct)" "loss of existing sessions (%)"
	wgw_assert_eq 0 "$(wgw_kv "$r" sessions_backend_changed)" "sessions that changed backend"
	wgw_assert_eq 0 "$(wgw_kv "$r" sessions_unanswered)" "sessions unanswered"
	wgw_assert_eq 0 "$(wgw_kv "$r" wrong_source)" "replies from a wrong source"
	wgw_assert_eq 0 "$(wgw_kv "$r" backend.3.sessions || echo 0)" \
		"sessions moved to the backend added later"

	# Drained: new client endpoints avoid it; its counters stand still.
	gwctl backends drain "$b1" >/dev/null || wgw_fail "drain $b1 again"
	gwctl backends >"$s"
	before=$(ctl_get "$s" "backends/$b1/packets_to")
	wgw_lab_client -n 30 --sockets 30 -d 1 --pps 2000 --expect-clean \
		--bind "$WGW_LAB_CLIENT2" >"$r2" || { cat "$r2"; wgw_fail "second client"; }
	wgw_assert_eq 0 "$(wgw_kv "$r2" backend.1.sessions || echo 0)" \
		"new sessions on drained $b1"
	gwctl backends >"$s"
	wgw_assert_eq "$before" "$(ctl_get "$s" "backends/$b1/packets_to")" \
		"packets to drained $b1 from new endpoints"
	wgw_assert_eq 0 "$(wgw_kv "$r2" sessions_unanswered)" "second client: unanswered"

	# A backend with live sessions is not removed silently: refused
	# (EBUSY, exit 1) with the advice to drain, unless forced.
	local rc
	gwctl backends remove "$b2" >/dev/null 2>"$s"; rc=$?
	wgw_assert_eq 1 "$rc" "exit status of removing $b2 with live sessions"
	grep -q "sessions and .* mappings live.*drain.*(EBUSY)" "$s" ||
		wgw_fail "removal refused without the reason: $(cat "$s")"
	grep -q "control: backends remove $b2: .* sessions" "$WGW_TMP/gatewayd.log" ||
		wgw_fail "the refused removal is not in the log"
	gwctl backends >"$s"
	wgw_assert_eq up "$(ctl_get "$s" "backends/$b2/state")" "$b2 after a refused removal"
	gwctl backends remove "$b2" --force >/dev/null || wgw_fail "forced removal of $b2"
	gwctl backends >"$s"
	ctl_get "$s" "backends/$b2/state" >/dev/null && wgw_fail "$b2 still listed after --force"
	true
}

# t_invalid FAMILY: "backends add" refuses what the configuration file
# refuses, saying which value and why, and the running set stays as it was.
t_invalid()
{
	local fam=$1 s="$WGW_TMP/s.txt" before="$WGW_TMP/before.txt" e="$WGW_TMP/err.txt"
	local bad why i
	local -a cases

	wgw_lab_up "$fam"
	wgw_lab_backends
	wgw_lab_gateway
	ctl_up
	if [ "$fam" = 4 ]; then
		cases=(
			"224.0.0.1:8420|not a multicast address"
			"255.255.255.255:8420|not the broadcast address"
			"0.0.0.0:8420|not the unspecified address"
			"127.0.0.1:8420|a loopback address"
			"169.254.0.9:8420|a link-local address"
			"[::ffff:10.0.0.14]:8420|IPv4-mapped"
			"10.0.0.14:0|port must be 1-65535"
		)
	else
		cases=(
			"[ff02::1]:8420|not a multicast address"
			"[::]:8420|not the unspecified address"
			"[::1]:8420|a loopback address"
			"[fe80::1]:8420|a link-local address"
			"[2001:db8:b::14]:0|port must be 1-65535"
		)
	fi
	# The gateway's own addresses, on the service port and another one.
	cases+=("$(wgw_lab_ep "$WGW_LAB_NAT" $WGW_LAB_PORT)|the NAT address"
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)|a VIP address"
		"$(wgw_lab_ep "$WGW_LAB_VIP" 9999)|a VIP address")

	gwctl backends >"$before" || wgw_fail "backends"
	for i in "${cases[@]}"; do
		bad=${i%%|*}
		why=${i#*|}
		if gwctl backends add "$bad" >"$s" 2>"$e"; then
			wgw_fail "backends add $bad was accepted: $(cat "$s")"
		fi
		grep -qF "backend '$bad': " "$e" ||
			wgw_fail "backends add $bad: the error does not name it: $(cat "$e")"
		grep -qF "$why" "$e" ||
			wgw_fail "backends add $bad: expected '$why' in: $(cat "$e")"
		gwctl backends >"$s" || wgw_fail "backends"
		cmp -s "$before" "$s" || {
			diff "$before" "$s" >&2
			wgw_fail "backends add $bad changed the running backends"
		}
	done
	# Traffic still flows through the unchanged set.
	wgw_lab_client -n 6 --sockets 6 -d 1 --pps 500 --expect-clean >"$s" ||
		{ cat "$s"; wgw_fail "client after the refusals"; }
	wgw_assert_eq 0 "$(wgw_kv "$s" sessions_unanswered)" "sessions unanswered"
}

wgw_run under-traffic t_under_traffic
wgw_run invalid-ipv4 t_invalid 4
wgw_run invalid-ipv6 t_invalid 6
wgw_done
