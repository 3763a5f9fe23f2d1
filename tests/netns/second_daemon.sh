#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A second wraith-gatewayd on interfaces that already carry a running
# gateway's XDP program is refused at start, naming the other daemon's pid,
# instead of degrading to the fallback path beside it; the first one keeps
# serving.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

t_refused()
{
	local args out rc

	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway
	ctl_up
	gwctl status | grep -q '^    mode: xdp-' || wgw_skip "the first gateway is not on an XDP rung"
	mapfile -t args < <(wgw_lab_gateway_args)
	out=$(wgw_in gw timeout 8 "$WGW_TOP_BUILDDIR/wraith-gatewayd" "${args[@]}" \
		--control-socket "$WGW_TMP/second.sock" --pidfile "$WGW_TMP/second.pid" \
		--state-file none 2>&1); rc=$?
	printf '%s\n' "$out" >"$WGW_TMP/second.log"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] ||
		wgw_fail "the second daemon was not refused (status $rc): $(grep -iE "xdp|rung|mode|held|busy|wan0" "$WGW_TMP/second.log" | head -n 20)"
	grep -q "another wraith-gatewayd (pid $WGW_LAB_GW_PID)" "$WGW_TMP/second.log" ||
		wgw_fail "the refusal does not name pid $WGW_LAB_GW_PID: $(grep -i 'error' "$WGW_TMP/second.log" | tail -n 3)"
	wgw_alive "$WGW_LAB_GW_PID" || wgw_fail "the first daemon died"
	gwctl ping >/dev/null || wgw_fail "the first daemon stopped answering"
	wgw_lab_client -n 10 --sockets 5 -d 1 --pps 500 --expect-clean >"$WGW_TMP/client.txt" ||
		{ cat "$WGW_TMP/client.txt"; wgw_fail "the first daemon no longer forwards"; }
}

wgw_run refused t_refused
wgw_done
