#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mode ladder and the fallback path, per interface: a foreign XDP
# program makes `auto` take the fallback for that interface and is left in
# place; a forced mode that cannot be had fails with the reason; the
# gateway's own program removed under traffic moves the interface to the
# fallback path with its sessions, and back to XDP when it can.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root
wgw_require_cmd bpftool

FOREIGN=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/bpf/xdpfilt_alw_all.o



t_foreign_program()
{
	[ -f "$FOREIGN" ] || wgw_skip "no foreign XDP object ($FOREIGN, package xdp-tools)"
	wgw_lab_up 4
	wgw_lab_backends
	wgw_in gw ip link set dev wan0 xdp obj "$FOREIGN" sec xdp ||
		wgw_fail "cannot attach the foreign program"
	local before
	before=$(wgw_lab_xdp_prog_id gw wan0)
	wgw_lab_gateway --mode auto
	grep -q 'interface wan0 (wan): mode fallback.*foreign XDP program' \
		"$WGW_TMP/gatewayd.log" || { cat "$WGW_TMP/gatewayd.log"; wgw_fail "wan0 did not take the fallback"; }
	grep -q 'interface lan0 (lan): mode xdp-copy' "$WGW_TMP/gatewayd.log" ||
		wgw_fail "lan0 should stay on XDP"
	wgw_assert_eq "$(wgw_lab_xdp_prog_id gw wan0)" "$before" "foreign program while running"
	wgw_lab_client -n 30 --sockets 10 -d 1 --pps 3000 --expect-clean --migrate \
		>"$WGW_TMP/c.txt" || { cat "$WGW_TMP/c.txt"; wgw_fail "client"; }
	wgw_assert_eq "$(wgw_kv "$WGW_TMP/c.txt" migration_kept_pct)" "100.00" "kept"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
	wgw_assert_eq "$(wgw_lab_xdp_prog_id gw wan0)" "$before" "foreign program after exit"
	wgw_assert_eq "$(wgw_lab_xdp_prog_name gw wan0)" xdpfilt_alw_all "foreign program's name"
	wgw_assert_eq "$(wgw_lab_xdp_prog_id gw lan0)" "" "our program on lan0 after exit"
}

# wgw_lab_gateway fails the test when the daemon exits; start by hand.
start_expect_fail()
{
	local gwd args rc=0
	gwd="$WGW_TOP_BUILDDIR/wraith-gatewayd"
	mapfile -t args < <(wgw_lab_gateway_args)
	timeout 30 ip netns exec "$(wgw_nsname gw)" "$gwd" "${args[@]}" "$@" \
		>"$WGW_TMP/forced.log" 2>&1 || rc=$?
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || { cat "$WGW_TMP/forced.log"; wgw_fail "started with $* (status $rc)"; }
}

t_forced_impossible()
{
	wgw_lab_up 4
	wgw_lab_backends
	start_expect_fail --mode xdp-zerocopy
	grep -q 'mode xdp-zerocopy was forced and cannot be had.*zero-copy' "$WGW_TMP/forced.log" ||
		{ cat "$WGW_TMP/forced.log"; wgw_fail "no clear reason for xdp-zerocopy"; }
	[ -f "$FOREIGN" ] || return 0
	wgw_in gw ip link set dev lan0 xdp obj "$FOREIGN" sec xdp || wgw_fail "foreign"
	start_expect_fail --lan-mode xdp-copy
	grep -q 'interface lan0: mode xdp-copy was forced and cannot be had.*another program is attached' \
		"$WGW_TMP/forced.log" || { cat "$WGW_TMP/forced.log"; wgw_fail "no clear reason for lan0"; }
	wgw_assert_eq "$(wgw_lab_xdp_prog_name gw lan0)" xdpfilt_alw_all "foreign program after the failed start"
	wgw_assert_eq "$(wgw_lab_xdp_prog_id gw wan0)" "" "nothing left on wan0 after the failed start"
}

t_program_removed()
{
	local cl r id link
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --mode auto
	cl=$(wgw_tool wraith-client) || exit 1
	r="$WGW_TMP/c.txt"
	wgw_bg cl "$cl" -n 40 --sockets 10 -d 9 --pps 2000 --migrate --json "$WGW_TMP/c.json" \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$r" 2>&1
	local cpid=$WGW_BG_PID
	sleep 2
	id=$(wgw_lab_xdp_prog_id gw wan0)
	[ -n "$id" ] || wgw_fail "no program on wan0"
	link=$(bpftool -j link show | tr '{' '\n' | sed -n "s/.*\"id\":\([0-9]*\),\"type\":\"xdp\",\"prog_id\":$id\b.*/\1/p")
	[ -n "$link" ] || wgw_fail "no bpf_link for program $id"
	bpftool link detach id "$link" || wgw_fail "cannot detach link $link"
	wgw_wait_for 5 grep -q 'interface wan0: the XDP program was removed.*fallback' \
		"$WGW_TMP/gatewayd.log" || wgw_fail "the gateway did not notice"
	wgw_wait_for 15 grep -q 'interface wan0: back on xdp-copy' "$WGW_TMP/gatewayd.log" ||
		wgw_fail "the gateway did not return to the fast path"
	wait "$cpid"
	cat "$r" >&2
	wgw_assert_eq "$(wgw_kv "$r" handshakes_ok)" 40 "handshakes"
	wgw_assert_eq "$(wgw_kv "$r" wrong_source)" 0 "wrong source"
	wgw_assert_eq "$(wgw_kv "$r" sessions_backend_changed)" 0 "sessions moved backend"
	wgw_assert_eq "$(wgw_kv "$r" migration_kept_pct)" "100.00" "kept across migration"
	wgw_assert_le "$(wgw_kv "$r" loss_pct | cut -d. -f1)" 4 "loss while switching paths"
	wgw_assert_ne "$(wgw_lab_xdp_prog_id gw wan0)" "" "program back on wan0"
}

# An MTU that a 2048-byte frame holds without UMEM headroom (up to 1774)
# but not with the configured 256 bytes (up to 1518): --probe and the
# daemon decide from the same geometry, so auto steps down to the fallback
# for that interface (it used to pick XDP and exit with EMSGSIZE), and
# --frame-size 4096 gives XDP back.
t_mtu_geometry()
{
	local out
	wgw_lab_up 4
	wgw_in cl ip link set dev cl0 mtu 1600 || wgw_fail "client MTU"
	wgw_in gw ip link set dev wan0 mtu 1600 || wgw_fail "gateway MTU"
	wgw_lab_backends
	out=$(wgw_in gw "$WGW_TOP_BUILDDIR/wraith-gatewayd" --probe wan0) ||
		wgw_fail "--probe wan0 failed"
	printf '%s\n' "$out" | grep -q '^mode: *fallback (MTU 1600 above 1518' ||
		{ printf '%s\n' "$out"; wgw_fail "--probe does not step down for MTU 1600"; }
	wgw_lab_gateway --mode auto
	grep -q 'interface wan0 (wan): mode fallback (probe: MTU 1600 above 1518' \
		"$WGW_TMP/gatewayd.log" || { cat "$WGW_TMP/gatewayd.log"; wgw_fail "wan0 did not take the fallback"; }
	grep -q 'interface lan0 (lan): mode xdp-copy' "$WGW_TMP/gatewayd.log" ||
		wgw_fail "lan0 should stay on XDP"
	wgw_lab_client -n 20 --sockets 10 -d 1 --pps 2000 --expect-clean >"$WGW_TMP/c.txt" ||
		{ cat "$WGW_TMP/c.txt"; wgw_fail "client"; }
	wgw_assert_eq 20 "$(wgw_kv "$WGW_TMP/c.txt" handshakes_ok)" "handshakes"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
	out=$(wgw_in gw "$WGW_TOP_BUILDDIR/wraith-gatewayd" --probe wan0 --frame-size 4096) ||
		wgw_fail "--probe wan0 --frame-size 4096 failed"
	printf '%s\n' "$out" | grep -q '^mode: *xdp-copy' ||
		{ printf '%s\n' "$out"; wgw_fail "--probe with 4096-byte frames should allow XDP"; }
}

wgw_run "foreign program: fallback for that interface" t_foreign_program
wgw_run "forced mode that cannot be had" t_forced_impossible
wgw_run "program removed under traffic" t_program_removed
wgw_run "MTU checked against the configured frame geometry" t_mtu_geometry
wgw_done
