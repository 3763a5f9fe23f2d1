#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Faults under traffic (issue 8): the real daemon in the lab
# (tests/netns/lab.sh), a client running through each fault.  Every
# sub-test has a lab of its own and asserts that
#   - the daemon is alive at the end (and never restarted),
#   - it recovered by itself: traffic flows again on its own, and a fresh
#     client run after the fault passes --expect-clean,
#   - the counters (the SIGUSR1 dump) or the log say what happened,
#   - sessions that existed before the fault kept their backend.
# SIGKILL + restart is in gateway_e2e.sh, a foreign or removed XDP program
# in ladder.sh; the long soak is soak.sh.
#
# WGW_FAULTS_ONLY=REGEX runs the sub-tests whose name matches.  soak.sh
# sources this file with WGW_FAULTS_LIB=1 for its helpers alone.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root

GW_LOG() { printf '%s\n' "$WGW_TMP/gatewayd.log"; }

# ------------------------------------------------------------ the daemon

# The engine line opens every counter dump.
gw__ndumps()
{
	grep -c '^notice: engine: ' "$(GW_LOG)"
}

gw__dumps_ge()
{
	[ "$(gw__ndumps)" -ge "$1" ]
}

# gw_dump FILE: ask for a counter dump (SIGUSR1) and write it, complete, to
# FILE.  The control loop writes a dump in one go, so a dump is complete
# when the next one has begun: ask twice, keep the first.
gw_dump()
{
	local n
	gw_alive_or_fail
	n=$(gw__ndumps)
	kill -USR1 "$WGW_LAB_GW_PID"
	wgw_wait_for 10 gw__dumps_ge $((n + 1)) || wgw_fail "no counter dump within 10s"
	kill -USR1 "$WGW_LAB_GW_PID"
	wgw_wait_for 10 gw__dumps_ge $((n + 2)) || wgw_fail "no second counter dump within 10s"
	awk -v want=$((n + 1)) '
		/^notice: engine: / { k++ }
		k == want { print }' \
		"$(GW_LOG)" >"$1"
}

# dump_num FILE REGEX: the number right after the first match of REGEX
# (an ERE ending just before the number) in a dump; 0 when absent.
dump_num()
{
	awk -v re="$2" 'match($0, re) { s = substr($0, RSTART + RLENGTH);
		if (match(s, /^[0-9]+/)) { print substr(s, 1, RLENGTH); f = 1; exit } }
		END { if (!f) print 0 }' "$1"
}

# dump_sum FILE REGEX: the sum of the numbers after every match.
dump_sum()
{
	awk -v re="$2" '{ while (match($0, re)) { s = substr($0, RSTART + RLENGTH);
		if (match(s, /^[0-9]+/)) t += substr(s, 1, RLENGTH); $0 = s } }
		END { print t + 0 }' "$1"
}

dump_sessions() { dump_num "$1" 'engine: '; }
dump_mappings() { dump_num "$1" 'sessions \(CIDs\), '; }
dump_to_lan() { dump_num "$1" ' to_lan '; }
dump_to_wan() { dump_num "$1" ' to_wan '; }
dump_dropped() { dump_num "$1" ' dropped '; }

# ------------------------------------------------------------ accounting
#
# Every datagram a client sends is answered by exactly one datagram of a
# backend, so what the clients' kernel sent minus what it received is what
# was lost on the way, both directions.  Each loss is counted somewhere:
# by the gateway (AF_XDP ring overflows, engine and worker drops, ports that
# could not send) or by a kernel at the ends (socket buffers, no listener,
# a veth that could not transmit).  acct_check DUMP WHAT asserts that the
# counted drops explain the loss; the gateway's counters must be from its
# start (no data-path rebuild in between: that resets the ring statistics).

# Kernel-side drops at the clients and the backends, and the veths'
# transmit drops everywhere.
acct__ends()
{
	local n t=0 v k
	for n in cl be; do
		for k in UdpInErrors Udp6InErrors UdpNoPorts Udp6NoPorts UdpSndbufErrors Udp6SndbufErrors; do
			v=$(wgw_nstat "$n" "$k") || v=0
			t=$((t + v))
		done
		# A backend that read a datagram and never answered it: only
		# where the sub-test killed one (ACCT_BACKEND_KILLED=1); a
		# backend that lives answers every datagram, so anywhere else
		# an unanswered one is a loss to explain.
		if [ "$n" = be ] && [ "${ACCT_BACKEND_KILLED:-0}" = 1 ]; then
			for k in UdpInDatagrams Udp6InDatagrams; do
				v=$(wgw_nstat be "$k") || v=0
				t=$((t + v))
			done
			for k in UdpOutDatagrams Udp6OutDatagrams; do
				v=$(wgw_nstat be "$k") || v=0
				t=$((t - v))
			done
		fi
		v=$(acct__tx_drops "$n")
		t=$((t + v))
		# A frame the end host's backlog had no room for.
		v=$(wgw_in "$n" sh -c 'cat /sys/class/net/*/statistics/rx_dropped \
			/sys/class/net/*/statistics/rx_errors' | awk '{ s += $1 } END { print s + 0 }')
		t=$((t + v))
	done
	# A veth that could not hand a frame to its peer (the peer's backlog
	# full) counts it as a TX drop, also where the gateway transmits.
	v=$(acct__tx_drops gw)
	echo $((t + v))
}

acct__tx_drops()
{
	# ip netns exec mounts the namespace's own /sys.
	wgw_in "$1" sh -c 'cat /sys/class/net/*/statistics/tx_dropped \
		/sys/class/net/*/statistics/tx_errors' | awk '{ s += $1 } END { print s + 0 }'
}

# Drops the gateway counted, from a dump.
acct__gateway()
{
	local d=$1
	echo $(( $(dump_sum "$d" 'xsk_rx_dropped_packets_total\{[^}]*\} ') + \
		$(dump_sum "$d" 'xsk_rx_ring_full_packets_total\{[^}]*\} ') + \
		$(dump_sum "$d" 'xsk_(rx|tx)_invalid_descs_total\{[^}]*\} ') + \
		$(dump_dropped "$d") + $(dump_sum "$d" 'port_tx_dropped_packets_total\{[^}]*\} ') + \
		$(dump_sum "$d" 'worker_dropped_packets_total\{[^}]*reason="(nh_hold_full|nh_timeout|nh_unreachable|nh_wrong_if|no_egress|rx_not_udp)"\} ') + \
		$(dump_sum "$d" 'worker_port_errors_total\{[^}]*\} ') ))
}

acct_lost()
{
	local o4 o6 i4 i6
	o4=$(wgw_nstat cl UdpOutDatagrams) || o4=0
	o6=$(wgw_nstat cl Udp6OutDatagrams) || o6=0
	i4=$(wgw_nstat cl UdpInDatagrams) || i4=0
	i6=$(wgw_nstat cl Udp6InDatagrams) || i6=0
	echo $((o4 + o6 - i4 - i6))
}

# acct_base DUMP: later acct_check calls count from here (the dump taken
# now, with nothing in flight).
acct_base()
{
	printf '%s %s %s\n' "$(acct_lost)" "$(acct__gateway "$1")" "$(acct__ends)" \
		>"$WGW_TMP/acct.base"
}

# acct_check DUMP WHAT [SLACK]: print the balance, fail on unexplained
# loss (beyond SLACK datagrams, for a loss the test itself causes and no
# counter can see).
acct_check()
{
	local lost gw ends b0=0 b1=0 b2=0 slack=$(( ${3:-0} + CL_STOPPED * CL_STOP_INFLIGHT ))
	[ -f "$WGW_TMP/acct.base" ] && read -r b0 b1 b2 <"$WGW_TMP/acct.base"
	lost=$(( $(acct_lost) - b0 )); gw=$(( $(acct__gateway "$1") - b1 ))
	ends=$(( $(acct__ends) - b2 ))
	wgw_log "$2: lost $lost datagrams; counted drops: gateway $gw, clients' and backends' kernels $ends" \
		"(clients sent $(wgw_nstat cl UdpOutDatagrams || echo 0)+$(wgw_nstat cl Udp6OutDatagrams || echo 0)," \
		"got $(wgw_nstat cl UdpInDatagrams || echo 0)+$(wgw_nstat cl Udp6InDatagrams || echo 0);" \
		"gateway veths' rx_dropped $(wgw_in gw sh -c 'cat /sys/class/net/*/statistics/rx_dropped' | awk '{ s += $1 } END { print s + 0 }'))"
	[ "$lost" -le $((gw + ends + slack)) ] || {
		local n
		for n in cl gw be; do
			wgw_log "$n: $(wgw_in "$n" sh -c 'grep -H . /sys/class/net/*/statistics/*drop* /sys/class/net/*/statistics/*err*' | grep -v ':0$' | tr '\n' ' ')"
			wgw_log "$n: $(wgw_in "$n" nstat -az 2>/dev/null | awk '$1 ~ /^(Ip|Ip6|Udp|Udp6)(In|Out)(Discards|HdrErrors|AddrErrors|NoRoutes|Errors|CsumErrors|NoPorts|RcvbufErrors|TruncatedPkts)/ && $2 != 0 { printf "%s=%s ", $1, $2 }')"
		done
	}
	[ "$lost" -le $((gw + ends + slack)) ] ||
		wgw_fail "$2: $((lost - gw - ends)) of $lost lost datagrams are not explained by any counter (allowed: $slack)"
}

gw_alive_or_fail()
{
	wgw_alive "$WGW_LAB_GW_PID" || {
		tail -n 40 "$(GW_LOG)" >&2
		wgw_fail "wraith-gatewayd died"
	}
}

# The daemon is the one we started, and it is still running.
gw_end_checks()
{
	gw_alive_or_fail
	[ "$(grep -c '^--- start' "$(GW_LOG)")" = 1 ] || wgw_fail "the daemon was restarted"
	! grep -Eq 'AddressSanitizer|runtime error|the data path cannot be rebuilt|worker [0-9]+ stopped' \
		"$(GW_LOG)" || { grep -E 'AddressSanitizer|runtime error|cannot be rebuilt|stopped' \
		"$(GW_LOG)" >&2; wgw_fail "the daemon reported a fatal error"; }
}

# gw_wait_log TIMEOUT ERE WHAT: wait for a log line.
gw_wait_log()
{
	wgw_wait_for "$1" grep -Eq "$2" "$(GW_LOG)" || {
		tail -n 30 "$(GW_LOG)" >&2
		wgw_fail "$3: no log line /$2/ within $1s"
	}
}

# ------------------------------------------------------------ clients

CLIENT_BIN=""

# cl_start NAME ARGS...: a client in the background, rates on stderr every
# second (--progress), text report in $WGW_TMP/NAME.txt.
cl_start()
{
	local name=$1
	shift
	[ -n "$CLIENT_BIN" ] || CLIENT_BIN=$(wgw_tool wraith-client) || exit 1
	wgw_bg cl "$CLIENT_BIN" --progress "$@" \
		--dump-sessions "$WGW_TMP/$name.sessions" \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" \
		>"$WGW_TMP/$name.txt" 2>"$WGW_TMP/$name.err"
	eval "CL_PID_$name=\$WGW_BG_PID"
}

cl_pid()
{
	eval "printf '%s\n' \"\$CL_PID_$1\""
}

# Progress lines: "wraith-client: t=3.0s tx 3000 pps rx 2990 pps, S sent R received"
cl__progress_lines()
{
	grep -c '^wraith-client: t=' "$WGW_TMP/$1.err"
}

# cl__flowing NAME AFTER: a progress line past line AFTER shows replies
# coming back at >= 90 % of the send rate (and the send rate is not 0).
cl__flowing()
{
	awk -v after="$2" '/^wraith-client: t=/ { k++; if (k <= after) next;
		tx = $4; rx = $7; if (tx > 0 && rx >= 0.9 * tx) ok = 1 }
		END { exit !ok }' "$WGW_TMP/$1.err"
}

# cl_wait_flowing NAME TIMEOUT WHAT: wait until the running client's
# replies flow again (a full second of them, measured from now).
cl_wait_flowing()
{
	local after
	after=$(cl__progress_lines "$1")
	wgw_wait_for "$2" cl__flowing "$1" "$after" || {
		tail -n 8 "$WGW_TMP/$1.err" >&2
		tail -n 30 "$(GW_LOG)" >&2
		wgw_fail "$3: replies did not flow again within $2s"
	}
}

# cl_wait_established NAME TIMEOUT: the client is in its data phase.
cl_wait_established()
{
	wgw_wait_for "$2" cl__flowing "$1" 0 || {
		cat "$WGW_TMP/$1.err" >&2
		wgw_fail "client $1 never got its traffic flowing"
	}
}

# Replies still in flight when a client is interrupted: wraith-client
# stops at once on SIGINT, without draining, so what sits in its sockets'
# queues vanishes uncounted (UDP counts a datagram in when it is read).
# A few at the rates used here; acct_check allows this many per cl_stop.
CL_STOP_INFLIGHT=32
CL_STOPPED=0

# cl_stop NAME: end a client's data phase (SIGINT: it reports and exits).
cl_stop()
{
	local pid rc=0
	CL_STOPPED=$((CL_STOPPED + 1))
	pid=$(cl_pid "$1")
	kill -INT "$pid" 2>/dev/null
	wait "$pid" || rc=$?
	[ $rc = 0 ] || [ $rc = 3 ] || { cat "$WGW_TMP/$1.txt" "$WGW_TMP/$1.err" >&2
		wgw_fail "client $1: exit status $rc"; }
}

cl_kv()
{
	wgw_kv "$WGW_TMP/$1.txt" "$2"
}

# cl_assert_kept NAME N: the long-running client's N sessions all
# handshook, none changed backend, every reply was right, none was left
# unanswered.
cl_assert_kept()
{
	local n=$1 want=$2
	cat "$WGW_TMP/$n.txt" >&2
	wgw_assert_eq "$want" "$(cl_kv "$n" handshakes_ok)" "$n: handshakes"
	wgw_assert_eq 0 "$(cl_kv "$n" sessions_backend_changed)" "$n: sessions that changed backend"
	wgw_assert_eq 0 "$(cl_kv "$n" sessions_unanswered)" "$n: sessions never answered"
	wgw_assert_eq 0 "$(cl_kv "$n" wrong_source)" "$n: replies from the wrong source"
	wgw_assert_eq 0 "$(cl_kv "$n" wrong_cid)" "$n: replies with the wrong CID"
	wgw_assert_eq 0 "$(cl_kv "$n" misdelivered)" "$n: replies on the wrong socket"
}

# cl_same_backends A B: every session established in both dumps was served
# by the same backend (same --seed: session i has the same CID in both).
cl_same_backends()
{
	local moved
	moved=$(awk 'NR == FNR { if ($3 == "established" && $4) be[$2] = $4; next }
		($2 in be) && $4 && $4 != be[$2] { n++ }
		END { print n + 0 }' "$WGW_TMP/$1.sessions" "$WGW_TMP/$2.sessions")
	wgw_assert_eq 0 "$moved" "sessions of $1 served by another backend in $2"
}

# A fresh client after the fault: everything clean.
fresh_clean()
{
	local r="$WGW_TMP/fresh$1.txt"
	wgw_lab_client -n 60 --sockets 20 -d 2 --pps 5000 --expect-clean \
		--expect-loss-max 1 >"$r" || { cat "$r" >&2; tail -n 30 "$(GW_LOG)" >&2
		wgw_fail "a fresh client after the fault was not clean"; }
}

# ------------------------------------------------------------ sub-tests

# own_tmp FUNC ARGS...: run a sub-test with a directory of its own for the
# lab's logs (the daemon's log is read from its start by every check).
own_tmp()
{
	WGW_TMP=$(mktemp -d "$WGW_TMP/t.XXXXXX") || wgw_fail "mktemp"
	"$@"
}

# The gateway still owns the NAT address on the LAN: its proxy neighbour
# entry is there (without it no backend can resolve G and every reply is
# lost).
gw__nat_claimed()
{
	wgw_in gw ip neigh show proxy | grep -q "^$WGW_LAB_NAT dev lan0"
}

gw_assert_nat_claimed()
{
	wgw_wait_for "$1" gw__nat_claimed || {
		wgw_in gw ip neigh show proxy >&2
		wgw_fail "$2: the NAT address $WGW_LAB_NAT has no proxy neighbour entry on lan0 (backends cannot resolve it)"
	}
}

# 1. Link down and up, WAN then LAN, while a client runs: the sessions
# survive, traffic comes back by itself, the log says what happened.
t_link_flap()
{
	local d="$WGW_TMP/d" if
	wgw_lab_up "$1"
	# Linux drops an interface's IPv6 addresses when it goes down; an
	# appliance keeps its static ones (or its network manager puts them
	# back).  That is the host's business, not the gateway's.
	if [ "$1" = 6 ]; then
		wgw_sysctl gw net.ipv6.conf.wan0.keep_addr_on_down 1
		wgw_sysctl gw net.ipv6.conf.lan0.keep_addr_on_down 1
	fi
	wgw_lab_backends
	wgw_lab_gateway --mode auto
	cl_start A -n 60 --sockets 20 -d 60 --pps 3000 --seed 1001
	cl_wait_established A 15
	for if in wan0 lan0; do
		wgw_in gw ip link set dev "$if" down || wgw_fail "$if down"
		gw_wait_log 5 "^notice: interface $if is down" "$if down"
		sleep 1		# the fault lasts: traffic is lost meanwhile
		wgw_in gw ip link set dev "$if" up || wgw_fail "$if up"
		gw_wait_log 5 "^notice: interface $if is up" "$if up"
		# The kernel drops a device's proxy entries when it goes
		# down: the gateway must put its own back.
		gw_assert_nat_claimed 5 "after $if down/up"
		cl_wait_flowing A 20 "after $if down/up"
		gw_alive_or_fail
	done
	cl_stop A
	cl_assert_kept A 60
	fresh_clean 1
	gw_dump "$d"
	cat "$d" >&2
	gw_end_checks
}

# lab_recreate IF: delete the veth pair of IF (wan0 or lan0; IPv4 lab) and
# create it again with the same names, addresses and routes.
lab_recreate()
{
	local a
	wgw_in gw ip link del dev "$1" || wgw_fail "cannot delete $1"
	gw_wait_log 5 "^warning: interface $1 went away" "$1 deleted"
	# The deletion, or the socket's failure that comes with it, whichever
	# the daemon sees first, moves the interface to the fallback path.
	gw_wait_log 5 "interface $1: (the interface was deleted|an AF_XDP socket failed|the XDP program was removed from the interface): moving it to the fallback path" \
		"$1 to the fallback path"
	gw_wait_log 5 "^notice: interface $1 \(.*\): mode fallback" "$1 reported on the fallback path"
	sleep 1		# the interface stays away for a while
	case $1 in
	wan0)
		wgw_veth cl cl0 gw wan0
		wgw_addr cl cl0 "$WGW_LAB_CLIENT/24"
		wgw_addr cl cl0 "$WGW_LAB_CLIENT2/24"
		wgw_addr gw wan0 "$WGW_LAB_GW_WAN/24"
		wgw_addr gw wan0 "$WGW_LAB_VIP/32"
		wgw_in cl ip route add 203.0.113.0/24 via "$WGW_LAB_GW_WAN" ||
			wgw_fail "client route to the VIP"
		;;
	lan0)
		wgw_veth gw lan0 be be0
		wgw_addr gw lan0 10.0.0.1/24
		for a in "${WGW_LAB_BACKENDS[@]}"; do
			wgw_addr be be0 "$a/24"
		done
		;;
	esac
}

gw__mode_reports_gt()
{
	[ "$(grep -c "^notice: interface $1 (.*): mode $2" "$(GW_LOG)")" -gt "$3" ]
}

# 2. wan0, then lan0, deleted and created again under traffic: the daemon
# moves the interface to the fallback path, takes the new one back, and
# returns to XDP on it.
t_recreate()
{
	local if n
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --mode auto
	cl_start A -n 60 --sockets 20 -d 90 --pps 3000 --seed 1002
	cl_wait_established A 15
	for if in wan0 lan0; do
		n=$(grep -c "^notice: interface $if (.*): mode xdp-copy" "$(GW_LOG)")
		lab_recreate "$if"
		gw_wait_log 10 "^notice: interface $if is back" "$if re-created"
		# Back on XDP: the mode report after the rebuild says so
		# (and "back on xdp-copy" where the retry timer did it).
		wgw_wait_for 15 gw__mode_reports_gt "$if" xdp-copy "$n" ||
			wgw_fail "$if: not reported back on xdp-copy within 15s"
		wgw_in gw ip -d link show dev "$if" | grep -q 'prog/xdp' ||
			wgw_fail "$if: no XDP program on the new interface"
		[ "$if" = lan0 ] && gw_assert_nat_claimed 5 "after lan0 came back"
		cl_wait_flowing A 20 "after $if was created again"
		gw_alive_or_fail
	done
	cl_stop A
	cl_assert_kept A 60
	fresh_clean 2
	gw_end_checks
}

# 3. A backend dies and comes back on the same address: its sessions wait
# for it (no health checks move them) and resume on it.
t_backend_dies()
{
	local d1="$WGW_TMP/d1" d2="$WGW_TMP/d2" be re to1 to2 from1 from2 on2 moved
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --mode auto
	cl_start A -n 60 --sockets 30 -d 60 --pps 3000 --seed 1003
	cl_wait_established A 15
	kill -KILL "$WGW_LAB_BE_PID2"
	wait "$WGW_LAB_BE_PID2" 2>/dev/null
	ACCT_BACKEND_KILLED=1
	# The health checker takes it out within a few seconds (its port is
	# unreachable; the probes fail), and its sessions are released, so
	# their clients' next packets go to live backends
	# (tests/netns/health.sh has the details).
	wgw_wait_for 15 be_health 10.0.0.12:8420 down || wgw_fail "the dead backend was not judged down"
	gw_dump "$d1"
	sleep 1
	gw_dump "$d2"
	re='backend_packets_total\{backend="10\.0\.0\.12:8420",direction='
	to1=$(dump_num "$d1" "$re\"to\"\\} "); to2=$(dump_num "$d2" "$re\"to\"\\} ")
	from1=$(dump_num "$d1" "$re\"from\"\\} "); from2=$(dump_num "$d2" "$re\"from\"\\} ")
	wgw_assert_le $((to2 - to1)) 5 "packets sent to the backend judged down, in 1 s"
	wgw_assert_eq "$from1" "$from2" "packets from the dead backend"
	wgw_assert_ge $(( $(dump_to_lan "$d2") - $(dump_to_lan "$d1") )) 1000 \
		"packets sent to the other backends in 1 s"
	be=$(wgw_tool wraith-backend) || exit 1
	wgw_bg be "$be" "$(wgw_lab_ep "${WGW_LAB_BACKENDS[1]}" $WGW_LAB_PORT)" --id 2 \
		>"$WGW_TMP/backend2-again.txt" 2>&1
	wgw_wait_for 15 be_health 10.0.0.12:8420 healthy || wgw_fail "the returned backend is not healthy"
	cl_wait_flowing A 15 "after backend 2 came back"
	cl_stop A
	cat "$WGW_TMP/A.txt" >&2
	# Only the dead backend's sessions moved; every session is answered.
	on2=$(awk '$4 == 2 { n++ } END { print n + 0 }' "$WGW_TMP/A.sessions")
	moved=$(cl_kv A sessions_backend_changed)
	wgw_assert_le "$moved" "$on2" "sessions that changed backend (backend 2 had $on2)"
	wgw_assert_eq 0 "$(cl_kv A sessions_unanswered)" "A: sessions never answered"
	wgw_assert_eq 0 "$(cl_kv A wrong_cid)" "A: replies with the wrong CID"
	# New clients reach all three again.
	fresh_clean 3
	gw_end_checks
}

# be_health ADDR:PORT STATE: the backend's health state is STATE.
be_health()
{
	wgw_in gw "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" backends \
		2>/dev/null | awk -v b="  $1:" -v want="$2" '
		$0 == b { f = 1; next } /^  [^ ]/ { f = 0 }
		f && $1 == "health:" { ok = ($2 == want) } END { exit !ok }'
}

# 4. A storm of SIGHUPs (reloads, or a notice where reload is missing)
# while traffic flows: nothing moves, nothing breaks.
t_sighup_storm()
{
	local conf="$WGW_TMP/gw.conf" a i d="$WGW_TMP/d"
	wgw_lab_up 4
	wgw_lab_backends
	{
		echo '[gateway]'
		for a in "${WGW_LAB_BACKENDS[@]}"; do
			echo "backend = $a:$WGW_LAB_PORT"
		done
		echo 'session-timeout = 300'
		echo 'mapping-timeout = 120'
	} >"$conf"
	wgw_lab_gateway --mode auto -c "$conf"
	cl_start A -n 90 --sockets 30 -d 60 --pps 3000 --seed 1004
	cl_wait_established A 15
	for i in $(seq 50); do
		kill -HUP "$WGW_LAB_GW_PID" || wgw_fail "SIGHUP $i: the daemon is gone"
		sleep 0.02
	done
	# Every SIGHUP reloaded the unchanged file, and changed nothing.
	gw_wait_log 5 'SIGHUP: reloaded: ' "SIGHUP reload"
	grep -E 'SIGHUP: reload' "$(GW_LOG)" | grep -v 'SIGHUP: reloaded: ' >&2 &&
		wgw_fail "a SIGHUP of an unchanged file was refused"
	grep 'SIGHUP: reloaded: ' "$(GW_LOG)" |
		grep -Ev 'backends: 0 added, 0 removed, 0 reweighted; limits unchanged' >&2 &&
		wgw_fail "a SIGHUP of an unchanged file changed something"
	gw_dump "$d"	# it still answers
	cl_wait_flowing A 10 "after the SIGHUP storm"
	cl_stop A
	cl_assert_kept A 90
	wgw_assert_le "$(cl_kv A loss_pct | cut -d. -f1)" 1 "loss through the storm (%)"
	fresh_clean 4
	gw_dump "$d"
	acct_check "$d" "SIGHUP storm"
	gw_end_checks
}

# 5. UMEM and fill-ring starvation: tiny rings, a blast with no rate
# limit.  The rings overflow, the kernel counts it, the gateway lives, and
# at a normal rate everything is clean again.
t_starvation()
{
	local d="$WGW_TMP/d" r="$WGW_TMP/blast.txt" n="$WGW_TMP/normal.txt" starve tx rx
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --mode auto --fill-ring 64 --comp-ring 64 --rx-ring 64 \
		--tx-ring 64 --batch 32 --umem-frames 0
	wgw_lab_client -n 512 --sockets 256 -d 4 --pps 0 --drain 2000 >"$r" ||
		{ cat "$r" >&2; wgw_fail "the blast client failed"; }
	cat "$r" >&2
	gw_dump "$d"
	grep '^notice: wraith_gateway_xsk_' "$d" >&2
	grep -q '^notice: wraith_gateway_xsk_.*{interface="wan0",' "$d" ||
		wgw_fail "no AF_XDP ring statistics in the dump"
	starve=$(( $(dump_sum "$d" 'xsk_rx_fill_ring_empty_total\{[^}]*\} ') + \
		$(dump_sum "$d" 'xsk_rx_ring_full_packets_total\{[^}]*\} ') ))
	wgw_assert_ge "$starve" 1 "ring overflows counted (fill_ring_empty + rx_ring_full)"
	wgw_assert_ge "$(acct_lost)" 1 "datagrams lost in the blast"
	acct_check "$d" "blast"
	gw_alive_or_fail
	# A normal rate again: every handshake completes, replies flow, and
	# what 64-descriptor rings still lose when a busy machine delays the
	# worker is counted too.  A ring left starved, or frames leaked by
	# the overflow, would lose nearly everything.
	wgw_lab_client -n 60 --sockets 20 -d 3 --pps 1000 --expect-clean >"$n" ||
		{ cat "$n" >&2; wgw_fail "normal load after the blast"; }
	tx=$(wgw_kv "$n" tx_packets); rx=$(wgw_kv "$n" rx_packets)
	wgw_assert_ge $((rx * 100)) $((tx * 50)) "replies at a normal rate after the blast (x100)"
	gw_dump "$d"
	acct_check "$d" "blast and normal load"
	gw_end_checks
}

# 6a. The mapping table full: a new client is refused and counted, the
# sessions that hold the table keep working untouched.
t_mappings_full()
{
	local d="$WGW_TMP/d" rb="$WGW_TMP/B.txt" full
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --mode auto --max-mappings 1024 --max-sessions 4096
	# 1024 sockets: one mapping each, the table is full.
	cl_start A -n 1024 --sockets 1024 -d 60 --pps 3000 --seed 1006 --hs-timeout 2000
	cl_wait_established A 30
	gw_dump "$d"
	wgw_assert_eq 1024 "$(dump_mappings "$d")" "mappings while A runs"
	wgw_lab_client -n 50 --sockets 50 -d 1 --pps 500 --hs-retries 1 \
		--bind "$WGW_LAB_CLIENT2" >"$rb" || true
	cat "$rb" >&2
	wgw_assert_eq 0 "$(wgw_kv "$rb" handshakes_ok)" "B's sessions admitted to a full table"
	gw_dump "$d"
	cat "$d" >&2
	full=$(( $(dump_num "$d" 'engine_dropped_packets_total\{reason="mappings_full"\} ') + \
		$(dump_num "$d" 'engine_dropped_packets_total\{reason="nat_ports_full"\} ') ))
	wgw_assert_ge "$full" "$(wgw_kv "$rb" handshakes_failed)" "refusals counted"
	wgw_assert_eq 1024 "$(dump_mappings "$d")" "mappings after B"
	cl_wait_flowing A 10 "A after B was refused"
	cl_stop A
	cl_assert_kept A 1024
	wgw_assert_le "$(cl_kv A loss_pct | cut -d. -f1)" 1 "A's loss (%)"
	gw_dump "$d"
	acct_check "$d" "mapping table full"
	gw_end_checks
}

# 6b. The CID table full: new sessions still get through (routed by their
# endpoint) but their CIDs are not learned, which is counted; the
# sessions already in the table are untouched.
t_cids_full()
{
	local d="$WGW_TMP/d" rb="$WGW_TMP/B.txt"
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --mode auto --max-sessions 1024 --max-mappings 4096
	cl_start A -n 1024 --sockets 64 -d 60 --pps 3000 --seed 1007 --hs-timeout 2000
	cl_wait_established A 30
	gw_dump "$d"
	wgw_assert_eq 1024 "$(dump_sessions "$d")" "CIDs while A runs"
	wgw_lab_client -n 50 --sockets 10 -d 1 --pps 500 --bind "$WGW_LAB_CLIENT2" \
		--expect-clean >"$rb" || { cat "$rb" >&2; wgw_fail "B: sessions over a full CID table must still be routed by endpoint"; }
	gw_dump "$d"
	cat "$d" >&2
	wgw_assert_eq 1024 "$(dump_sessions "$d")" "CIDs after B"
	wgw_assert_ge "$(dump_num "$d" 'engine_sessions_refused_total\{reason="table_full"\} ')" 50 \
		"CIDs refused, in the counter dump (engine_sessions_refused_total{reason=\"table_full\"})"
	cl_wait_flowing A 10 "A after B"
	cl_stop A
	cl_assert_kept A 1024
	wgw_assert_le "$(cl_kv A loss_pct | cut -d. -f1)" 1 "A's loss (%)"
	gw_end_checks
}

be4_bound()
{
	wgw_in be ss -Hlun 'src 10.0.0.14 and sport = :8420' | grep -q .
}

# 7. A backend whose neighbour never resolves (an address nobody owns):
# its sessions are dropped and counted, the others are served; when the
# address appears, it is served too.
t_unresolved()
{
	local d="$WGW_TMP/d" r="$WGW_TMP/c.txt" ok failed be
	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --mode auto --backend 10.0.0.14:8420
	wgw_lab_client -n 60 --sockets 60 -d 2 --pps 3000 --hs-retries 1 >"$r" ||
		{ cat "$r" >&2; wgw_fail "client"; }
	cat "$r" >&2
	ok=$(wgw_kv "$r" handshakes_ok); failed=$(wgw_kv "$r" handshakes_failed)
	wgw_assert_eq 60 $((ok + failed)) "handshakes"
	wgw_assert_ge "$failed" 1 "sessions hashed to the unresolved backend"
	wgw_assert_ge "$ok" 20 "sessions served by the others"
	wgw_assert_eq 0 "$(wgw_kv "$r" wrong_source)" "wrong source"
	wgw_assert_le "$(wgw_kv "$r" loss_pct | cut -d. -f1)" 1 "loss of the served sessions (%)"
	wgw_assert_eq 0 "$(wgw_kv "$r" backend.4.sessions || echo 0)" "sessions answered by backend 4"
	gw_dump "$d"
	cat "$d" >&2
	wgw_assert_ge "$(dump_sum "$d" 'worker_dropped_packets_total\{[^}]*reason="nh_timeout"\} ')" "$failed" \
		"packets dropped because the next hop never resolved (nh_timeout)"
	# The fault ends: the address appears, with a backend on it.
	wgw_addr be be0 10.0.0.14/24
	be=$(wgw_tool wraith-backend) || exit 1
	wgw_bg be "$be" 10.0.0.14:8420 --id 4 >"$WGW_TMP/backend4.txt" 2>&1
	wgw_wait_for 5 be4_bound || wgw_fail "backend 4 did not bind"
	fresh_clean 7
	gw_dump "$d"
	acct_check "$d" "unresolved neighbour"
	gw_end_checks
}

# 8. (IPv6) The backends' neighbour entry for the NAT address ages and is
# re-confirmed by a unicast probe (NUD): the gateway must answer it, or
# the entry fails and the replies queued behind it are lost, counted by
# no one.  Reachable time is cut to about a second so that this happens
# many times within the run (by default it takes 15-45 s: the soak meets
# it).
t_nud_probe()
{
	local r="$WGW_TMP/c.txt" d="$WGW_TMP/d" st bad=0 i
	wgw_lab_up 6
	wgw_lab_backends
	wgw_sysctl be net.ipv6.neigh.be0.base_reachable_time_ms 1000
	wgw_sysctl be net.ipv6.neigh.be0.delay_first_probe_time 1
	wgw_lab_gateway --mode auto
	cl_start A -n 60 --sockets 20 -d 12 --pps 3000 --seed 1008
	cl_wait_established A 15
	for i in $(seq 40); do
		st=$(wgw_in be ip -6 neigh show "$WGW_LAB_NAT" dev be0)
		case $st in
		*FAILED*|*INCOMPLETE*) bad=$((bad + 1)); wgw_log "backends' entry for G: $st" ;;
		esac
		sleep 0.25
	done
	cl_stop A
	cl_assert_kept A 60
	wgw_assert_eq 0 "$bad" "samples where the backends could not resolve the NAT address"
	wgw_assert_le "$(cl_kv A loss_pct | cut -d. -f1)" 1 "loss (%)"
	gw_dump "$d"
	acct_check "$d" "NUD probes"
	gw_end_checks
}

[ -z "${WGW_FAULTS_LIB:-}" ] || return 0

# WGW_FAULTS_ONLY=REGEX runs the sub-tests whose name matches.
run()
{
	[ -z "${WGW_FAULTS_ONLY:-}" ] || [[ $1 =~ $WGW_FAULTS_ONLY ]] || return 0
	wgw_run "$1" own_tmp "${@:2}"
}

run "link down/up under traffic IPv4" t_link_flap 4
run "link down/up under traffic IPv6" t_link_flap 6
run "interfaces deleted and created again" t_recreate
run "backend dies and returns" t_backend_dies
run "SIGHUP storm" t_sighup_storm
run "UMEM and fill-ring starvation" t_starvation
run "mapping table full" t_mappings_full
run "CID table full" t_cids_full
run "neighbour that never resolves" t_unresolved
run "IPv6 NAT address re-confirmed by NUD probes" t_nud_probe
wgw_done
