#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Live takeover (wraith-gatewayd --takeover): a second daemon with the same
# arguments replaces the running one under steady traffic over sessions
# that have moved to new endpoints, and moves them again during the run.
# The old daemon exits 0, no reply comes from another backend than the
# session had, every session keeps its backend, the new daemon serves and
# answers on the control socket, the interface carries the new daemon's
# XDP program; the loss over the run is reported.  The state travels over
# the control socket, not through a file (--state-file none).  In the
# lab's default mode (XDP where the kernel has it) and in fallback mode.
#
# A takeover that fails midway (the new daemon SIGKILLed at each step, or
# refusing a different configuration) leaves the old daemon serving with
# its own program on the interface, its sessions intact.
#
# The new workers send their first replies with the next hops the old
# daemon resolved (none waits); a client the old daemon never saw is
# served while the old daemon has not yet left (its goodbye held back).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root
[ -c /dev/net/tun ] || wgw_skip "no /dev/net/tun"

N=200		# sessions
PPS=${WGW_TAKEOVER_PPS:-10000}	# the steady rate under which the takeover happens
SEED=9191	# the same CIDs in every client run
GWD="$WGW_TOP_BUILDDIR/wraith-gatewayd"

# sessions_run NAME [ARGS...]: the N seeded sessions from a new client
# process (new source ports), closed loop, until all answered; backends in
# $WGW_TMP/NAME.sessions.
sessions_run()
{
	local name=$1
	shift
	wgw_lab_client -n $N --sockets 64 -c $((N * 4)) --inflight 64 --seed $SEED \
		--no-handshake --expect-clean --dump-sessions "$WGW_TMP/$name.sessions" "$@" \
		>"$WGW_TMP/$name.txt" 2>&1 || {
		cat "$WGW_TMP/$name.txt" >&2
		wgw_fail "client run $name"
	}
}

# steady NAME SECONDS: the N sessions at $PPS for SECONDS from new source
# ports, moving again halfway (--migrate); in the background, pid in
# STEADY_PID, report in $WGW_TMP/NAME.txt.
steady()
{
	local cl
	cl=$(wgw_tool wraith-client) || exit 1
	wgw_bg cl "$cl" -n $N --sockets 64 --pps $PPS -d "$2" --migrate --seed $SEED \
		--no-handshake --drain 1500 --dump-sessions "$WGW_TMP/$1.sessions" \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$WGW_TMP/$1.txt" 2>&1
	STEADY_PID=$WGW_BG_PID
}

# "CID backend-before backend-after" of each session of run NAME.
backends_of()
{
	awk '{ print $2, $4, $5 }' "$WGW_TMP/$1.sessions" | sort
}

# same A B WHAT: every session of run B, before and after its move, on the
# backend it had in run A.
same()
{
	local k
	k=$(join <(backends_of "$1") <(backends_of "$2") |
		awk '$2 == $4 && ($5 == 0 || $2 == $5) { n++ } END { print n + 0 }')
	[ "$k" = $N ] || {
		join <(backends_of "$1") <(backends_of "$2") | awk '$2 != $4 || ($5 != 0 && $2 != $5)' | head >&2
		wgw_fail "$3: $k of $N sessions kept their backend"
	}
}

report() { awk -v k="$2:" '$1 == k { print $2 }' "$WGW_TMP/$1.txt"; }

# Where a packet can be lost in the gateway's namespace outside the
# daemon: "UDP-receive-buffer-drops TUN-queue-drops" so far.
kernel_drops()
{
	local udp tun
	udp=$(wgw_in gw cat /proc/net/snmp /proc/net/snmp6 |
		awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { s += $6 } $1 == "Udp6RcvbufErrors" { s += $2 }
		     END { print s + 0 }')
	tun=$(wgw_in gw ip -s -o link show | awk '/: wgw[0-9]+:/ { for (i = 1; i <= NF; i++)
		if ($i == "TX:") { print $(i + 11); exit } }')
	echo "$udp ${tun:-0}"
}

# The run's replies were all right: none from another backend, none wrong.
clean_run()
{
	local f
	for f in wrong_cid wrong_source misdelivered invalid corrupt sessions_backend_changed \
		sessions_unanswered; do
		wgw_assert_eq 0 "$(report "$1" $f)" "$2: $f"
	done
}

old_gone() { wgw__gone "$OLD_PID"; }
# Packets the gateway received from clients (every worker and port).
gw_rx() { gwctl stats | awk '$1 == "rx_client:" { s += $2 } END { print s + 0 }'; }
rx_above() { [ "$(gw_rx)" -gt "$1" ]; }
# The successor says it is done (in the log since the last takeover began:
# the sub-tests share it).
new_up() { tail -n "+$TK_LOG_FROM" "$WGW_TMP/gatewayd.log" | grep -q "^notice: takeover: done"; }
# The sum of a counter of the workers (stats FILE) over all of them.
workers_sum() { awk -v k="$2:" '$1 == k { s += $2 } END { print s + 0 }' "$1"; }
# The workers' counters that are not 0 (stats FILE), for a log.
workers_nonzero()
{
	sed -n '/^workers:/,$p' "$1" | awk 'NF == 2 && $2 != 0 && $1 != "worker" && $1 != "loops:" &&
		$1 != "idle_polls:" { printf "%s%s %s", sep, $1, $2; sep = ", " }'
}
prog_id() { wgw_lab_xdp_prog_id gw wan0; }

# takeover [ENV...]: start the successor with the lab's arguments, pid in
# NEW_PID.
takeover()
{
	local args
	mapfile -t args < <(wgw_lab_gateway_args)
	echo "--- takeover: $GWD ${args[*]} --state-file none --takeover" >>"$WGW_TMP/gatewayd.log"
	TK_LOG_FROM=$(wc -l <"$WGW_TMP/gatewayd.log")
	wgw_bg gw env "$@" "$GWD" "${args[@]}" --state-file none --takeover "${EXTRA[@]}" \
		>>"$WGW_TMP/gatewayd.log" 2>&1
	NEW_PID=$WGW_BG_PID
}

# up MODE FAMILY: the lab, its backends and the first daemon; sessions
# bound (run a) and moved once (run b) on it.
up()
{
	wgw_lab_up "$2"
	wgw_lab_backends
	EXTRA=()
	[ "$1" = fallback ] && EXTRA=(--mode fallback)
	wgw_lab_gateway --state-file none "${EXTRA[@]}"
	OLD_PID=$WGW_LAB_GW_PID
	ctl_up
	sessions_run a
	sessions_run b
	same a a "run a" # the dump's format
	join <(backends_of a) <(backends_of b) | awk '$2 != $4 { exit 1 }' ||
		wgw_fail "moved once on the first daemon: sessions changed backend"
}

t_takeover()
{
	local mode=$1 fam=$2 rc=0 id0 id1 tx rx lost t0 t1 rx0 udp0 tun0 udp1 tun1
	up "$mode" "$fam"
	id0=$(prog_id)
	[ "$mode" = fallback ] || [ -n "$id0" ] || wgw_fail "no XDP program on wan0 in mode $mode"

	steady c 6
	# Traffic flowing through the old daemon before it hands over.
	rx0=$(gw_rx)
	wgw_wait_for 10 rx_above $((rx0 + PPS)) || wgw_fail "no steady traffic"
	read -r udp0 tun0 < <(kernel_drops)
	t0=$(wgw__now_us)
	takeover
	wgw_wait_for 20 old_gone || wgw_fail "the old daemon did not leave"
	t1=$(wgw__now_us)
	wait "$OLD_PID" 2>/dev/null || rc=$?
	wgw_assert_eq 0 "$rc" "the old daemon's exit status"
	wgw_wait_for 10 new_up || { tail -n 30 "$WGW_TMP/gatewayd.log" >&2; wgw_fail "the new daemon did not finish"; }
	wgw_alive "$NEW_PID" || wgw_fail "the new daemon died"
	wgw_log "$mode $fam: handed over in $(( (t1 - t0) / 1000 )) ms"
	WGW_LAB_GW_PID=$NEW_PID

	wait "$STEADY_PID" || { cat "$WGW_TMP/c.txt" >&2; wgw_fail "steady client"; }
	clean_run c "steady run across the takeover"
	same a c "across the takeover, moving again after it"
	tx=$(report c tx_packets)
	rx=$(report c rx_packets)
	lost=$((tx - rx))
	read -r udp1 tun1 < <(kernel_drops)
	gwctl stats >"$WGW_TMP/stats.txt" || wgw_fail "no stats from the new daemon"
	wgw_log "$mode $fam: $tx sent at $PPS pps, $rx answered, $lost lost ($(report c loss_pct) %);" \
		"dropped by the kernel meanwhile: $((udp1 - udp0)) in UDP receive buffers," \
		"$((tun1 - tun0)) in the TUN queues; the new workers: $(workers_nonzero "$WGW_TMP/stats.txt")"
	echo "$mode $fam $PPS $tx $lost" >>"$WGW_TMP/loss.txt"
	# Zero is the goal; a loaded two-CPU box may drop a few in the veths
	# whatever the gateway does, so allow 0.1 % of the run.
	wgw_assert_le "$lost" $((tx / 1000)) "packets lost across the takeover"
	# The old daemon's next hops came with the hand-over: no reply of the
	# new workers waited for one (they did, for the old daemon's goodbye,
	# and lost 1500 packets when it was slow to come).
	[ "$mode" = fallback ] ||
		wgw_assert_eq 0 "$(workers_sum "$WGW_TMP/stats.txt" nh_held)" \
			"new workers' packets that waited for a next hop"

	# The new daemon is the one that answers, and owns everything.
	gwctl status >"$WGW_TMP/status.txt" || wgw_fail "no control socket after the takeover"
	grep -q "taken over from the previous daemon" "$WGW_TMP/status.txt" ||
		wgw_fail "status does not say the sessions were taken over"
	wgw_assert_eq "$OLD_PID" "$(ctl_get "$WGW_TMP/status.txt" takeover/took_over_from_pid)" \
		"status: the daemon taken over from"
	wgw_assert_eq "$NEW_PID" "$(cat "$WGW_TMP/gatewayd.pid")" "pid file"
	if [ "$mode" != fallback ]; then
		id1=$(prog_id)
		[ -n "$id1" ] && [ "$id1" != "$id0" ] ||
			wgw_fail "wan0 carries program '$id1', before '$id0': not the new daemon's"
	fi
	sessions_run d
	same a d "after the takeover, moved again"
	# The new daemon undoes everything at its stop, like any daemon.
	wgw_stop "$NEW_PID" 10 || wgw_fail "the new daemon's exit status"
	[ -z "$(prog_id)" ] || wgw_fail "an XDP program is left on wan0"
	[ ! -e "$WGW_TMP/control.sock" ] || wgw_fail "the control socket is left"
}

# /proc state of process $1 (R, S, T, ...).
proc_state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1; }
old_stopped() { [ "$(proc_state "$OLD_PID")" = T ]; }

# The old daemon holds back its goodbye (stopped by a test hook just before
# it): the new one serves already, and a client the old daemon never saw
# (another address: a next hop to resolve) is answered meanwhile; the
# sessions, moved there, keep their backends.  Then the old one leaves.
t_new_client()
{
	local rc=0 fam=$1
	wgw_lab_up "$fam"
	wgw_lab_backends
	WGW_TAKEOVER_TEST_STOP=bye wgw_lab_gateway --state-file none
	OLD_PID=$WGW_LAB_GW_PID
	ctl_up
	sessions_run a --bind "$WGW_LAB_CLIENT"
	takeover
	wgw_wait_for 20 old_stopped || wgw_fail "the old daemon did not stop before its goodbye"
	grep -q "takeover: pid $NEW_PID serves" "$WGW_TMP/gatewayd.log" ||
		wgw_fail "the old daemon stopped before the new one served"
	sessions_run n --bind "$WGW_LAB_CLIENT2"
	old_stopped || wgw_fail "the old daemon left before the new client was answered"
	# ... and the new one still waited for it (it gives up after 10 s).
	! new_up || wgw_fail "the new daemon stopped waiting before the new client was answered"
	wgw_assert_eq "$(report n tx_packets)" "$(report n rx_packets)" \
		"new client's packets answered before the old daemon left"
	same a n "sessions moved to a new client address during the hand-over"
	kill -CONT "$OLD_PID"
	wgw_wait_for 20 old_gone || wgw_fail "the old daemon did not leave after SIGCONT"
	wait "$OLD_PID" 2>/dev/null || rc=$?
	wgw_assert_eq 0 "$rc" "the old daemon's exit status"
	wgw_wait_for 10 new_up || { tail -n 30 "$WGW_TMP/gatewayd.log" >&2; wgw_fail "the new daemon did not finish"; }
	WGW_LAB_GW_PID=$NEW_PID
	ctl_up
	gwctl stats >"$WGW_TMP/stats.txt" || wgw_fail "no stats from the new daemon"
	wgw_log "IPv$fam: the new workers: $(workers_nonzero "$WGW_TMP/stats.txt")"
	wgw_assert_ge "$(workers_sum "$WGW_TMP/stats.txt" nh_held)" 1 \
		"replies that waited for the new client's next hop"
	wgw_assert_eq 0 $(( $(workers_sum "$WGW_TMP/stats.txt" nh_hold_full) + \
		$(workers_sum "$WGW_TMP/stats.txt" nh_timeout) )) \
		"replies dropped waiting for a next hop"
	wgw_stop "$NEW_PID" 10 || wgw_fail "the new daemon's exit status"
}

# A successor killed at STEP: the old daemon serves on, its program back.
t_killed()
{
	local step=$1 rc=0 id0
	up auto 4
	id0=$(prog_id)
	takeover WGW_TAKEOVER_TEST_KILL="$step"
	wgw_wait_for 20 wgw__gone "$NEW_PID" || wgw_fail "the successor did not die at $step"
	wait "$NEW_PID" 2>/dev/null || rc=$?
	wgw_assert_eq 137 "$rc" "the successor's end (SIGKILL at $step)"
	wgw_alive "$OLD_PID" || wgw_fail "the old daemon died with its successor at $step"
	wgw_wait_for 10 grep -q "takeover by pid $NEW_PID failed" "$WGW_TMP/gatewayd.log" ||
		wgw_fail "the old daemon did not log the failure"
	[ "$(prog_id)" = "$id0" ] || wgw_fail "wan0 carries '$(prog_id)', not the old program '$id0'"
	ctl_up
	gwctl status >"$WGW_TMP/status.txt"
	wgw_assert_eq 1 "$(ctl_get "$WGW_TMP/status.txt" takeover/attempts)" "status: takeover attempts"
	wgw_assert_eq 1 "$(ctl_get "$WGW_TMP/status.txt" takeover/failed)" "status: failed takeovers"
	sessions_run e
	same a e "old daemon after a successor killed at $step"
	wgw_stop "$OLD_PID" 10 || wgw_fail "the old daemon's exit status"
}

# A successor with another configuration is refused, with the difference.
t_refused()
{
	local rc=0
	up auto 4
	EXTRA=(--backend "$(wgw_lab_ep 10.0.0.99 $WGW_LAB_PORT)")
	takeover
	wgw_wait_for 20 wgw__gone "$NEW_PID" || wgw_fail "the refused successor runs"
	wait "$NEW_PID" 2>/dev/null || rc=$?
	wgw_assert_eq 1 "$rc" "the refused successor's exit status"
	grep -q "takeover by pid $NEW_PID refused: the new daemon has \"backend" "$WGW_TMP/gatewayd.log" ||
		{ tail -n 20 "$WGW_TMP/gatewayd.log" >&2; wgw_fail "the refusal does not name the difference"; }
	ctl_up
	gwctl status >"$WGW_TMP/status.txt"
	wgw_assert_eq 1 "$(ctl_get "$WGW_TMP/status.txt" takeover/refused)" "status: refused takeovers"
	ctl_get "$WGW_TMP/status.txt" takeover/last | grep -q "refused: the new daemon has" ||
		wgw_fail "status: the last takeover's outcome"
	sessions_run f
	same a f "old daemon after a refused takeover"
	wgw_stop "$OLD_PID" 10 || wgw_fail "the old daemon's exit status"
}

# wraith-gatewayctl upgrade: the installed binary (here the built one)
# started with the running daemon's arguments; it reports the new pid, the
# old daemon exits 0, the sessions keep their backends.  A new binary that
# dies midway: upgrade says so, exits 1, the old daemon serves on.
t_upgrade()
{
	local rc=0 out npid wrapper="$WGW_TMP/dies-at-state"
	up auto 4
	out=$(wgw_in gw "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" \
		upgrade --binary "$GWD" 2>"$WGW_TMP/upgrade.err") || {
		cat "$WGW_TMP/upgrade.err" >&2
		wgw_fail "upgrade failed"
	}
	npid=$(printf '%s\n' "$out" | sed -n "s/^upgraded: pid $OLD_PID -> pid \([0-9]*\)$/\1/p")
	[ -n "$npid" ] || wgw_fail "upgrade said '$out'"
	wgw__reg pid "$npid"
	wgw_wait_for 10 old_gone || wgw_fail "the old daemon did not leave"
	wait "$OLD_PID" 2>/dev/null || rc=$?
	wgw_assert_eq 0 "$rc" "the old daemon's exit status"
	wgw_alive "$npid" || wgw_fail "the new daemon is not running"
	ctl_up
	sessions_run g
	same a g "after wraith-gatewayctl upgrade"

	# A new binary that is killed before it serves.
	printf '#!/bin/sh\nWGW_TAKEOVER_TEST_KILL=state exec %s "$@"\n' "$GWD" >"$wrapper"
	chmod +x "$wrapper"
	rc=0
	wgw_in gw "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" \
		upgrade --binary "$wrapper" 2>"$WGW_TMP/upgrade.err" || rc=$?
	wgw_assert_eq 1 "$rc" "upgrade's exit status when the new daemon dies"
	grep -q "died of signal 9; pid $npid serves on" "$WGW_TMP/upgrade.err" ||
		{ cat "$WGW_TMP/upgrade.err" >&2; wgw_fail "upgrade did not say the new daemon died"; }
	wgw_alive "$npid" || wgw_fail "the serving daemon died with the failed upgrade"
	ctl_up
	sessions_run h
	same a h "after a failed upgrade"
	# Not our child: its exit status is not ours to wait for; its log is.
	kill -TERM "$npid"
	wgw_wait_for 10 wgw__gone "$npid" || wgw_fail "the new daemon ignored SIGTERM"
	tail -n 1 "$WGW_TMP/gatewayd.log" | grep -q "stopped cleanly" ||
		{ tail -n 5 "$WGW_TMP/gatewayd.log" >&2; wgw_fail "the new daemon did not stop cleanly"; }
	[ -z "$(prog_id)" ] || wgw_fail "an XDP program is left on wan0"
}

# Under a service manager: a stand-in for systemd's notification socket
# records each message with its sender's pid (SCM_CREDENTIALS).  The old
# daemon, still the main process, names the new one (MAINPID=); the new
# one, started by upgrade without NOTIFY_SOCKET, learns the socket in the
# hand-over and says READY=1 once it serves, after that.
t_notify()
{
	local gwd args out npid
	wgw_lab_up 4
	wgw_lab_backends
	wgw_notify_listen "$WGW_TMP/notify.sock" "$WGW_TMP/notify.txt"
	gwd="$WGW_TOP_BUILDDIR/wraith-gatewayd"
	mapfile -t args < <(wgw_lab_gateway_args)
	echo "--- start: $gwd ${args[*]}" >>"$WGW_TMP/gatewayd.log"
	wgw_bg gw env NOTIFY_SOCKET="$WGW_TMP/notify.sock" "$gwd" "${args[@]}" --state-file none \
		>>"$WGW_TMP/gatewayd.log" 2>&1
	OLD_PID=$WGW_BG_PID
	WGW_LAB_GW_PID=$OLD_PID
	wgw_wait_for 20 grep -q "^$OLD_PID READY=1" "$WGW_TMP/notify.txt" ||
		wgw_fail "no READY=1 from the first daemon"
	sessions_run a
	out=$(wgw_in gw "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" \
		upgrade --binary "$gwd" 2>"$WGW_TMP/upgrade.err") || {
		cat "$WGW_TMP/upgrade.err" >&2
		wgw_fail "upgrade failed"
	}
	npid=${out##* }
	wgw__reg pid "$npid"
	wgw_wait_for 10 grep -q "^$npid READY=1" "$WGW_TMP/notify.txt" ||
		{ cat "$WGW_TMP/notify.txt" >&2; wgw_fail "no READY=1 from the new daemon"; }
	awk -v o="$OLD_PID" -v n="$npid" '
		$1 == o && $2 == "MAINPID=" n { named = NR }
		$1 == n && $2 == "READY=1" && named && !ready { ready = NR }
		END { exit !(named && ready > named) }' "$WGW_TMP/notify.txt" ||
		{ cat "$WGW_TMP/notify.txt" >&2; wgw_fail "not MAINPID=$npid from $OLD_PID, then READY=1 from $npid"; }
	sessions_run b
	same a b "after an upgrade under a service manager"
	kill -TERM "$npid"
	wgw_wait_for 10 wgw__gone "$npid" || wgw_fail "the new daemon ignored SIGTERM"
	grep -q "^$npid STOPPING=1" "$WGW_TMP/notify.txt" || wgw_fail "no STOPPING=1 from the new daemon"
}

wgw_run "takeover under traffic, default mode, IPv4" t_takeover auto 4
wgw_run "takeover under traffic, default mode, IPv6" t_takeover auto 6
wgw_run "takeover under traffic, fallback mode, IPv4" t_takeover fallback 4
wgw_run "a new client served before the old daemon leaves, IPv4" t_new_client 4
wgw_run "a new client served before the old daemon leaves, IPv6" t_new_client 6
for s in info swap state done; do
	wgw_run "successor killed at step $s" t_killed $s
done
wgw_run "successor with another configuration refused" t_refused
wgw_run "wraith-gatewayctl upgrade" t_upgrade
wgw_run "upgrade under a service manager (sd_notify)" t_notify
if [ -s "$WGW_TMP/loss.txt" ]; then
	wgw_log "loss across takeovers (mode family pps sent lost):"
	while read -r l; do wgw_log "  $l"; done <"$WGW_TMP/loss.txt"
fi
wgw_done
