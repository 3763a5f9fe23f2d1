# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the control-socket tests (ctl_*.sh): talking to the lab's
# gateway with wraith-gatewayctl and reading its text replies.  Source
# lib.sh and lab.sh first.

# gwctl ARGS...: wraith-gatewayctl against the lab gateway's socket, run
# inside the gateway's namespace.
gwctl()
{
	wgw_in gw "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" "$@"
}

# ctl_get FILE PATH: a value of a text reply, by its path of headings and
# key joined with '/', e.g. "engine/counters/rx_client",
# "backends/10.0.0.11:8420/state", "queues/wan0 queue 0/rx_packets".
# Returns 1 when absent.
ctl_get()
{
	awk -v want="$2" '
	{
		match($0, /^ */)
		ind = RLENGTH / 2
		line = substr($0, RLENGTH + 1)
		if (line ~ /^- /)
			next
		if (line ~ /:$/) {
			stack[ind] = substr(line, 1, length(line) - 1)
			next
		}
		i = index(line, ": ")
		if (!i)
			next
		path = ""
		for (d = 0; d < ind; d++)
			path = path stack[d] "/"
		if (path substr(line, 1, i - 1) == want) {
			print substr(line, i + 2)
			found = 1
			exit
		}
	}
	END { exit !found }' "$1"
}

# ctl_up: the lab gateway answers on its control socket (the daemon opens
# it before its workers start, so by "running" it is there).
ctl_up()
{
	[ -S "$WGW_TMP/control.sock" ] || {
		tail -n 20 "$WGW_TMP/gatewayd.log" >&2
		wgw_fail "no control socket at $WGW_TMP/control.sock"
	}
	gwctl ping >/dev/null || wgw_fail "the daemon does not answer 'ping'"
}

# ctl_json_ok FILE: FILE holds one valid JSON document.  jq is required
# (tests/deps.sh installs it): without it nothing would be checked, and
# that must not pass.
ctl_json_ok()
{
	command -v jq >/dev/null ||
		wgw_fail "jq not found: it checks the JSON replies (tests/deps.sh installs it)"
	jq -e . "$1" >/dev/null || wgw_fail "invalid JSON in $1: $(head -c 300 "$1")"
}

# ctl_start_conf FILE [EXTRA ARGS...]: start the gateway from a config
# file alone (so that a reload reads everything from it); like
# wgw_lab_gateway otherwise.
ctl_start_conf()
{
	local gwd conf=$1
	shift
	gwd="$WGW_TOP_BUILDDIR/wraith-gatewayd"
	echo "--- start: $gwd -f -c $conf $*" >>"$WGW_TMP/gatewayd.log"
	wgw_bg gw "$gwd" -f -c "$conf" "$@" >>"$WGW_TMP/gatewayd.log" 2>&1
	WGW_LAB_GW_PID=$WGW_BG_PID
	if ! wgw_wait_for 20 wgw_lab__running || ! wgw_alive "$WGW_LAB_GW_PID"; then
		tail -n 30 "$WGW_TMP/gatewayd.log" >&2
		wgw_fail "wraith-gatewayd did not come up from $conf"
	fi
}

# ctl_lab_conf FILE [BACKEND ADDR...]: write a lab configuration.
ctl_lab_conf()
{
	local f=$1 a
	shift
	{
		echo "# written by $WGW_SCRIPT"
		echo "wan = wan0"
		echo "lan = lan0"
		echo "vip = $(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)"
		echo "nat = $WGW_LAB_NAT"
		echo "pidfile = $WGW_TMP/gatewayd.pid"
		echo "control-socket = $WGW_TMP/control.sock"
		echo "state-file = $WGW_TMP/sessions.state"
		for a in "$@"; do
			echo "backend = $a"
		done
	} >"$f"
}
