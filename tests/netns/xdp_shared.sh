#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# xdp-attach: the gateway's program through libxdp (shared) instead of a
# bpf_link of its own (exclusive, the default where no dispatcher is).
#  - shared where the kernel has no dispatcher (this machine's kernel
#    refuses freplace): libxdp attaches the program alone; it forwards,
#    and a clean exit leaves nothing;
#  - a SIGKILLed shared gateway leaves its program attached (that is what
#    shared means); the next start recognises it as stale and replaces it;
#  - next to another libxdp program in libxdp's dispatcher: joined, both
#    run, the other program stays after the gateway's exit, a SIGKILLed
#    gateway's slot is cleaned at the next start.  Run by xdp_dispatcher.sh;
#    skipped, with libxdp's reason, where the kernel has no dispatcher.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root
wgw_require_cmd xdp-loader

OTHER=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/bpf/xdpfilt_alw_all.o

traffic()
{
	wgw_lab_client -n 30 --sockets 10 -d 1 --pps 2000 --expect-clean --migrate \
		>"$WGW_TMP/c.txt" 2>&1 || { cat "$WGW_TMP/c.txt"; wgw_fail "client: $1"; }
	wgw_assert_eq "$(wgw_kv "$WGW_TMP/c.txt" handshakes_ok)" 30 "handshakes ($1)"
	wgw_assert_eq "$(wgw_kv "$WGW_TMP/c.txt" wrong_source)" 0 "wrong source ($1)"
	wgw_assert_eq "$(wgw_kv "$WGW_TMP/c.txt" migration_kept_pct)" "100.00" "kept ($1)"
}

# The rung line of interface $1 in the log since the last start.
rung_line()
{
	awk '/^--- start/ { l = "" } /interface '"$1"' \(/ { l = $0 } END { print l }' \
		"$WGW_TMP/gatewayd.log"
}

# wgw_lab_up FAMILY QUEUES, and check that the gateway's veths really have
# that many queues (wgw_lab_up takes the family first: "wgw_lab_up 2" once
# asked for IPv6 with one queue where two queues were meant).
lab_up()
{
	local q ifc
	wgw_lab_up "$1" "$2"
	for ifc in wan0 lan0; do
		q=$(ip -d -n "$(wgw_nsname gw)" link show dev "$ifc" |
			sed -n 's/.*numrxqueues \([0-9]*\).*/\1/p')
		wgw_assert_eq "$2" "$q" "RX queues on $ifc"
	done
	wgw_log "IPv$1, VIP $WGW_LAB_VIP, $2 queues"
}

# t_shared_alone FAMILY
t_shared_alone()
{
	local how
	lab_up "$1" 2
	wgw_lab_backends
	wgw_lab_gateway --mode xdp-copy --xdp-attach shared
	how=$(rung_line wan0)
	case $how in
	*"XDP attached through libxdp, no dispatcher"*)
		wgw_assert_eq "$(wgw_lab_xdp_prog_name gw wan0)" wraith_xdp "program alone on wan0" ;;
	*"XDP attached through libxdp dispatcher"*)
		wgw_assert_eq "$(wgw_lab_xdp_prog_name gw wan0)" xdp_dispatcher "dispatcher on wan0" ;;
	*) cat "$WGW_TMP/gatewayd.log"; wgw_fail "wan0 not attached through libxdp: $how" ;;
	esac
	wgw_log "wan0: ${how#*attached through }"
	traffic "shared"
	"$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" status --json \
		>"$WGW_TMP/status.json" || wgw_fail "status"
	grep -q '"xdp_attached_through": *"libxdp' "$WGW_TMP/status.json" ||
		{ cat "$WGW_TMP/status.json"; wgw_fail "status does not say libxdp"; }
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
	wgw_assert_eq "$(wgw_lab_xdp_prog_name gw wan0)" "" "program on wan0 after exit"
	wgw_assert_eq "$(wgw_lab_xdp_prog_name gw lan0)" "" "program on lan0 after exit"
}

t_shared_sigkill_restart()
{
	lab_up 4 2
	wgw_lab_backends
	wgw_lab_gateway --mode xdp-copy --xdp-attach shared
	kill -KILL "$WGW_LAB_GW_PID"
	wait "$WGW_LAB_GW_PID" 2>/dev/null
	case $(rung_line wan0) in
	*"no dispatcher"*)
		wgw_assert_eq "$(wgw_lab_xdp_prog_name gw wan0)" wraith_xdp "program left by the killed gateway" ;;
	esac
	[ -n "$(wgw_lab_xdp_prog_name gw wan0)" ] || wgw_fail "a shared attachment should outlive the process"
	# The default (auto) finds the dead gateway's program and replaces it.
	wgw_lab_gateway --mode xdp-copy
	grep -Eq 'xdp: wan0: (detached stale native gateway program|removed stale gateway program)' \
		"$WGW_TMP/gatewayd.log" || { cat "$WGW_TMP/gatewayd.log"; wgw_fail "stale program not replaced"; }
	traffic "after restart"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
	wgw_assert_eq "$(wgw_lab_xdp_prog_name gw wan0)" "" "program on wan0 after exit"
	wgw_assert_eq "$(wgw_lab_xdp_prog_name gw lan0)" "" "program on lan0 after exit"
}

# The gateway in gw, with libxdp's pins in bpffs $BPFFS (ip netns exec gives
# every command a fresh /sys, so /sys/fs/bpf would not be shared).
start_with_bpffs()
{
	local gwd args
	gwd="$WGW_TOP_BUILDDIR/wraith-gatewayd"
	mapfile -t args < <(wgw_lab_gateway_args)
	echo "--- start: $gwd ${args[*]} $*" >>"$WGW_TMP/gatewayd.log"
	wgw_bg gw env LIBXDP_BPFFS="$BPFFS" "$gwd" "${args[@]}" "$@" >>"$WGW_TMP/gatewayd.log" 2>&1
	WGW_LAB_GW_PID=$WGW_BG_PID
	wgw_wait_for 20 wgw_lab__running && wgw_alive "$WGW_LAB_GW_PID" ||
		{ tail -n 30 "$WGW_TMP/gatewayd.log"; wgw_fail "wraith-gatewayd did not come up"; }
}

loader()
{
	wgw_in gw env LIBXDP_BPFFS="$BPFFS" xdp-loader "$@"
}

t_dispatcher_join()
{
	local out
	[ -f "$OTHER" ] || wgw_skip "no other libxdp program ($OTHER, package xdp-tools)"
	lab_up 4 2
	wgw_lab_backends
	BPFFS="$WGW_TMP/bpffs"
	mkdir -p "$BPFFS"
	mount -t bpf bpf "$BPFFS" || wgw_skip "cannot mount a bpffs"
	wgw__reg mount "$BPFFS"
	out=$(loader load -m native -vv wan0 "$OTHER" 2>&1) || { echo "$out"; wgw_fail "xdp-loader load"; }
	if [ "$(wgw_lab_xdp_prog_name gw wan0)" != xdp_dispatcher ]; then
		wgw_in gw ip link set dev wan0 xdp off
		wgw_skip "this kernel gives libxdp no dispatcher: $(echo "$out" |
			grep -m1 -iE 'check for dispatcher.*failed|failed to load dispatcher|bpffs' |
			sed 's/^ *//')"
	fi
	start_with_bpffs --mode xdp-copy
	case $(rung_line wan0) in
	*"XDP attached through libxdp dispatcher"*) ;;
	*) cat "$WGW_TMP/gatewayd.log"; wgw_fail "wan0 did not join the dispatcher" ;;
	esac
	loader status wan0 >"$WGW_TMP/status.txt" 2>&1
	grep -q wraith_xdp "$WGW_TMP/status.txt" && grep -q xdpfilt_alw_all "$WGW_TMP/status.txt" ||
		{ cat "$WGW_TMP/status.txt"; wgw_fail "both programs should be in the dispatcher"; }
	traffic "in the dispatcher"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
	loader status wan0 >"$WGW_TMP/status.txt" 2>&1
	grep -q xdpfilt_alw_all "$WGW_TMP/status.txt" ||
		{ cat "$WGW_TMP/status.txt"; wgw_fail "the other program went with the gateway"; }
	! grep -q wraith_xdp "$WGW_TMP/status.txt" ||
		{ cat "$WGW_TMP/status.txt"; wgw_fail "gateway program left in the dispatcher"; }

	# SIGKILLed: its slot stays until the next start cleans it.
	start_with_bpffs --mode xdp-copy
	kill -KILL "$WGW_LAB_GW_PID"
	wait "$WGW_LAB_GW_PID" 2>/dev/null
	loader status wan0 | grep -q wraith_xdp || wgw_fail "killed gateway's slot should stay"
	start_with_bpffs --mode xdp-copy
	grep -q 'xdp: wan0: removed stale gateway program' "$WGW_TMP/gatewayd.log" ||
		{ cat "$WGW_TMP/gatewayd.log"; wgw_fail "stale slot not removed"; }
	traffic "after restart"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
	loader status wan0 >"$WGW_TMP/status.txt" 2>&1
	grep -q xdpfilt_alw_all "$WGW_TMP/status.txt" && ! grep -q wraith_xdp "$WGW_TMP/status.txt" ||
		{ cat "$WGW_TMP/status.txt"; wgw_fail "after the second exit"; }
	loader unload wan0 --all || wgw_fail "unload the other program"
}

# xdp_dispatcher.sh runs the dispatcher part on its own, so that a kernel
# without dispatchers shows it as a skipped test, not inside a pass.
if [ "${WGW_XDP_SHARED_PART:-}" = dispatcher ]; then
	wgw_run "joins libxdp's dispatcher next to another program" t_dispatcher_join
else
	wgw_run "shared, the kernel's way (alone or in a dispatcher), IPv4" t_shared_alone 4
	wgw_run "shared, the kernel's way (alone or in a dispatcher), IPv6" t_shared_alone 6
	wgw_run "shared gateway SIGKILLed, next start replaces its program" t_shared_sigkill_restart
fi
wgw_done
