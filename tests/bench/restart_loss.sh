#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# What a plain restart loses, to set against the takeover's figures
# (tests/netns/takeover.sh, docs/benchmarks.md): the lab's 200 sessions
# with fixed CIDs at RATE packets per second for 6 s; halfway through the
# gateway is stopped (SIGTERM) and started again with its state file.
# Prints one line per mode and rate: sent, answered, loss, the gap from
# SIGTERM until the new daemon runs, and sessions that changed backend.
# Run as root from the build directory: tests/bench/restart_loss.sh [RATE...]
# (default 500 10000).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/lab.sh"
. "$(dirname "$0")/../netns/ctl_lib.sh"
wgw_require_root

N=200
SEED=9191
RATES=("$@")
[ ${#RATES[@]} -gt 0 ] || RATES=(500 10000)

rep() { awk -v k="$2:" '$1 == k { print $2 }' "$WGW_TMP/$1.txt"; }

m_restart()
{
	local mode=$1 pps=$2 cl t0 t1 args=()
	[ "$mode" = fallback ] && args=(--mode fallback)
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --state-interval 1 "${args[@]}"
	ctl_up
	cl=$(wgw_tool wraith-client) || exit 1
	wgw_bg cl "$cl" -n $N --sockets 64 --pps "$pps" -d 6 --seed $SEED --no-handshake \
		--drain 1500 "$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$WGW_TMP/r.txt" 2>&1
	local steady=$WGW_BG_PID
	sleep 3		# halfway through the client's fixed-length run
	t0=$(wgw__now_us)
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status at SIGTERM"
	wgw_lab_gateway --state-interval 1 "${args[@]}"
	t1=$(wgw__now_us)
	wait "$steady" || wgw_fail "client"
	printf 'restart %-8s %6s pps: sent %s answered %s loss %s %% gap %d ms changed %s\n' \
		"$mode" "$pps" "$(rep r tx_packets)" "$(rep r rx_packets)" "$(rep r loss_pct)" \
		$(((t1 - t0) / 1000)) "$(rep r sessions_backend_changed)"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
}

for pps in "${RATES[@]}"; do
	wgw_run "restart, default mode, $pps pps" m_restart auto "$pps"
	wgw_run "restart, fallback mode, $pps pps" m_restart fallback "$pps"
done
wgw_done
