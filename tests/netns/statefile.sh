#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Sessions survive a restart through the state file (--state-file):
# clients with fixed CIDs (--seed) come back from new source ports after a
# SIGTERM + start, and again after a SIGKILL + start, and every session
# reaches the backend it had; without the file most would not (checked, so
# that the test can fail).  Backend changes made over the control socket
# survive; a truncated or foreign file is refused with one log line and the
# daemon starts empty and serves.  Both data paths, both families.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
. "$(dirname "$0")/sessions_lib.sh"
wgw_require_root

N=24		# sessions, one source port each
SEED=4242	# the same CIDs in every client run

# The log of the gateway's last start.
last_log()
{
	awk '/^--- start/ { n = 0; delete l } { l[++n] = $0 } END { for (i = 1; i <= n; i++) print l[i] }' \
		"$WGW_TMP/gatewayd.log"
}

# lab FAMILY: the lab (without an earlier sub-test's state file) and its
# backends.
lab()
{
	wgw_lab_up "$1"
	wgw_lab_backends
}

state_writes()
{
	gwctl status | awk '/^  writes: / { print $2 }'
}

# writes_above N: the daemon wrote its state file more than N times.
writes_above()
{
	[ "$(state_writes)" -gt "$1" ]
}

# restarted: start the gateway again and say how long until it ran.
restarted()
{
	local t0 t1
	t0=$(wgw__now_us)
	wgw_lab_gateway "$@"
	t1=$(wgw__now_us)
	wgw_log "running again after $(( (t1 - t0) / 1000 )) ms"
	ctl_up
}

t_restart()
{
	local fam=$1 w maps
	shift
	lab "$fam"
	wgw_lab_gateway --state-interval 1 "$@"
	ctl_up
	clients a
	clients b
	same a b "moved, same daemon"
	# Usually 2N mappings; fewer when run b's kernel gave a socket a source
	# port run a had used (the same endpoint, the same mapping).
	maps=$(gwctl sessions | awk '/^mappings: / { print $2 }')
	wgw_assert_ge "$maps" $((N + 1)) "mappings before the stop"

	# SIGTERM + start: the file written at stop is read back.
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status at SIGTERM"
	[ -s "$WGW_TMP/sessions.state" ] || wgw_fail "no state file after SIGTERM"
	restarted --state-interval 1 "$@"
	last_log | grep -q "state: $WGW_TMP/sessions.state: restored $N sessions and $maps NAT mappings" || {
		last_log | grep 'state:' >&2
		wgw_fail "the start did not say it restored $N sessions"
	}
	gwctl status >"$WGW_TMP/status.txt"
	wgw_assert_eq $N "$(ctl_get "$WGW_TMP/status.txt" state/restored/sessions)" \
		"status: sessions restored"
	clients c
	same a c "after SIGTERM and a start"

	# SIGKILL + start: the periodic file, no chance to write at stop.
	clients d
	w=$(state_writes)
	wgw_wait_for 10 writes_above "$w" || wgw_fail "the state file was not written again"
	kill -KILL "$WGW_LAB_GW_PID"
	wait "$WGW_LAB_GW_PID" 2>/dev/null
	restarted --state-interval 1 "$@"
	clients e
	same a e "after SIGKILL and a start"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
}

# Without a state file a restart forgets the CIDs: the sessions' new
# endpoints hash anew and most land elsewhere.  What the test above checks
# is therefore not luck.
t_without_state()
{
	local k
	lab 4
	wgw_lab_gateway --state-file none
	ctl_up
	clients a
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	[ -e "$WGW_TMP/sessions.state" ] && wgw_fail "a state file was written with --state-file none"
	wgw_lab_gateway --state-file none
	clients b
	k=$(kept a b)
	wgw_log "without a state file $k of $N sessions kept their backend"
	[ "$k" -lt $N ] || wgw_fail "all $N sessions kept their backend without a state file"
	wgw_stop "$WGW_LAB_GW_PID" 10 || true
}

b2_forced()
{
	gwctl backends >"$WGW_TMP/b2.txt"
	[ "$(ctl_get "$WGW_TMP/b2.txt" "backends/$b2/health_forced")" = yes ]
}

t_backend_changes()
{
	local conf="$WGW_TMP/gw.conf" s="$WGW_TMP/backends.txt" b1 b3 k n2
	wgw_lab_up 4
	b1=${WGW_LAB_BACKENDS[0]}:$WGW_LAB_PORT
	b2=${WGW_LAB_BACKENDS[1]}:$WGW_LAB_PORT	# global: b2_forced reads it
	b3=${WGW_LAB_BACKENDS[2]}:$WGW_LAB_PORT
	rm -f "$WGW_TMP/sessions.state"
	wgw_lab_backends
	ctl_lab_conf "$conf" "$b1" "$b2"
	ctl_start_conf "$conf"
	ctl_up
	gwctl backends add "$b3@50" >/dev/null || wgw_fail "add $b3"
	gwctl backends drain "$b1" >/dev/null || wgw_fail "drain $b1"
	gwctl backends weight "$b2" 300 >/dev/null || wgw_fail "weight $b2"
	clients a
	# Forced down last: the sessions above stay where they were.
	gwctl backends down "$b2" >/dev/null || wgw_fail "force $b2 down"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	ctl_start_conf "$conf"
	ctl_up
	wgw_wait_for 15 b2_forced || wgw_fail "$b2 not forced down again after the restart"
	gwctl backends >"$s"
	wgw_assert_eq 50 "$(ctl_get "$s" "backends/$b3/weight")" "weight of $b3, added at run time"
	wgw_assert_eq up "$(ctl_get "$s" "backends/$b3/state")" "state of $b3"
	wgw_assert_eq drain "$(ctl_get "$s" "backends/$b1/state")" "state of $b1"
	wgw_assert_eq 300 "$(ctl_get "$s" "backends/$b2/weight")" "weight of $b2"
	gwctl backends up "$b2" >/dev/null || wgw_fail "release $b2"
	clients b
	# b2's sessions were released when it was forced down: the others
	# must all be where they were.
	k=$(join <(backends_of a) <(backends_of b) | awk '$2 != 2 && $2 == $3 { n++ } END { print n + 0 }')
	n2=$(backends_of a | awk '$2 == 2 { n++ } END { print n + 0 }')
	wgw_assert_eq $((N - n2)) "$k" "sessions not on $b2 kept their backend"
	# A reload makes the backends those of the file, as before.
	gwctl reload >/dev/null || wgw_fail "reload"
	gwctl backends >"$s"
	ctl_get "$s" "backends/$b3/state" >/dev/null && wgw_fail "$b3 kept after a reload"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
}

t_refused()
{
	local f="$WGW_TMP/sessions.state" size
	lab 4
	wgw_lab_gateway
	ctl_up
	clients a
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	size=$(stat -c %s "$f")
	truncate -s $((size - 3)) "$f"
	wgw_lab_gateway
	ctl_up
	last_log | grep -q "state: $f refused: .*truncated.*; starting empty" || {
		last_log | grep 'state:' >&2
		wgw_fail "a truncated file was not refused by name"
	}
	gwctl status >"$WGW_TMP/status.txt"
	ctl_get "$WGW_TMP/status.txt" state/at_start | grep -q '^refused at start' ||
		wgw_fail "status does not say the file was refused"
	clients b
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	head -c 4096 /dev/urandom >"$f"
	wgw_lab_gateway
	ctl_up
	last_log | grep -q "state: $f refused: not a wraith-gateway state file; starting empty" ||
		wgw_fail "a foreign file was not refused"
	clients c
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
}

# notify_ready: READY=1 reached the notify socket.
notify_ready()
{
	grep -q "^$WGW_LAB_GW_PID READY=1$" "$WGW_TMP/notify.txt" 2>/dev/null
}

# Under systemd (Type=notify) the daemon says READY=1 once its workers
# serve, and STOPPING=1 at SIGTERM: a listener on $NOTIFY_SOCKET sees both.
t_notify()
{
	local gwd args
	lab 4
	wgw_notify_listen "$WGW_TMP/notify.sock" "$WGW_TMP/notify.txt"
	gwd="$WGW_TOP_BUILDDIR/wraith-gatewayd"
	mapfile -t args < <(wgw_lab_gateway_args)
	echo "--- start: $gwd ${args[*]}" >>"$WGW_TMP/gatewayd.log"
	wgw_bg gw env NOTIFY_SOCKET="$WGW_TMP/notify.sock" "$gwd" "${args[@]}" \
		>>"$WGW_TMP/gatewayd.log" 2>&1
	WGW_LAB_GW_PID=$WGW_BG_PID
	wgw_wait_for 20 notify_ready || wgw_fail "no READY=1"
	last_log | grep -q '^notice: running' || wgw_fail "READY=1 before the daemon ran"
	clients a
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "daemon exit status"
	grep -q "^$WGW_LAB_GW_PID STOPPING=1$" "$WGW_TMP/notify.txt" || wgw_fail "no STOPPING=1"
}

wgw_run "restart, fallback, IPv4" t_restart 4 --mode fallback
wgw_run "restart, auto, IPv4" t_restart 4
wgw_run "restart, fallback, IPv6" t_restart 6 --mode fallback
wgw_run "restart, auto, IPv6" t_restart 6
wgw_run "restart without a state file" t_without_state
wgw_run "backend changes survive" t_backend_changes
wgw_run "truncated and foreign files refused" t_refused
wgw_run "readiness over sd_notify" t_notify
wgw_done
