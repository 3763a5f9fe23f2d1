#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The control protocol end to end against the real daemon in the lab:
# every command in text and JSON, counters that agree with the packets the
# client sent, Prometheus over the socket and over HTTP, bad requests,
# concurrent, busy and slow clients, a flood of idle metrics connections,
# the capabilities the daemon keeps, and a clean stop that leaves nothing
# behind.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

METRICS_PORT=9100

# Every command answers, as text and as JSON.
t_commands()
{
	local r="$WGW_TMP/r.txt" j="$WGW_TMP/r.json" c mode mask

	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --metrics-listen "127.0.0.1:$METRICS_PORT"
	ctl_up
	wgw_assert_eq 600 "$(stat -c %a "$WGW_TMP/control.sock")" "control socket mode"
	for c in status stats sessions "sessions count" "sessions list 5" backends \
		"backends list" help ping reload; do
		# shellcheck disable=SC2086
		gwctl $c >"$r" || wgw_fail "'$c' failed: $(cat "$r")"
		[ -s "$r" ] || wgw_fail "'$c': empty reply"
		# shellcheck disable=SC2086
		gwctl --json $c >"$j" || wgw_fail "'$c --json' failed"
		ctl_json_ok "$j"
	done
	gwctl status >"$r"
	mode=$(ctl_get "$r" interfaces/wan0/mode) || wgw_fail "status: no mode for wan0"
	case $mode in xdp-zerocopy | xdp-copy | xdp-generic | fallback) ;;
	*) wgw_fail "status: mode '$mode'" ;;
	esac
	ctl_get "$r" interfaces/wan0/why >/dev/null || wgw_fail "status: no reason for the rung"
	wgw_assert_eq 1 "$(ctl_get "$r" interfaces/lan0/queues)" "lan0 queues"
	wgw_assert_eq yes "$(ctl_get "$r" "workers/worker 0/running")" "worker 0 running"
	wgw_assert_eq 3 "$(ctl_get "$r" engine/backends_up)" "backends up"
	grep -q "^  - $WGW_LAB_VIP:$WGW_LAB_PORT\$" "$r" || wgw_fail "status: VIP not listed"
	gwctl help | grep -q '^  backends:$' || wgw_fail "help: no backends"
	gwctl reload | grep -q '^reloaded: ' || wgw_fail "reload of an unchanged configuration"

	# After set-up the daemon keeps what a data-path rebuild needs
	# (gateway/privs.h): CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_IPC_LOCK 14,
	# CAP_PERFMON 38, CAP_BPF 39; the lab's VIP port is above 1024, so not
	# CAP_NET_BIND_SERVICE.  In every thread, and nothing can come back.
	mask=$(printf '%016x' $(((1 << 12) | (1 << 13) | (1 << 14) | (1 << 38) | (1 << 39))))
	for t in /proc/"$WGW_LAB_GW_PID"/task/*; do
		wgw_assert_eq "$mask" "$(awk '/^CapEff:/ { print $2 }' "$t/status")" \
			"CapEff of thread $(basename "$t")"
		wgw_assert_eq "$mask" "$(awk '/^CapPrm:/ { print $2 }' "$t/status")" \
			"CapPrm of thread $(basename "$t")"
	done
	wgw_assert_eq "$mask" "$(awk '/^CapBnd:/ { print $2 }' "/proc/$WGW_LAB_GW_PID/status")" \
		"CapBnd"
	wgw_assert_eq 1 "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$WGW_LAB_GW_PID/status")" \
		"NoNewPrivs"

	# With only those, the daemon still undoes everything at exit.
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "the daemon did not stop cleanly"
	grep -q "stopped cleanly" "$WGW_TMP/gatewayd.log" || wgw_fail "no clean stop"
	[ ! -e "$WGW_TMP/control.sock" ] || wgw_fail "control socket left behind"
	[ -z "$(wgw_in gw ip neigh show proxy)" ] || wgw_fail "proxy neighbour entry left behind"
	wgw_assert_eq 0 "$(wgw_in gw sysctl -n net.ipv4.conf.lan0.forwarding)" \
		"lan0 forwarding restored"
	[ -z "$(wgw_in gw ip -d link show wan0 | grep -w prog)" ] ||
		wgw_fail "XDP program left on wan0"
}

# The counters agree with the packets the client sent and received.
t_counters()
{
	local r="$WGW_TMP/client.txt" s="$WGW_TMP/stats.txt" p="$WGW_TMP/prom.txt"
	local tx rx b a sum=0 mode cid client

	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --metrics-listen "127.0.0.1:$METRICS_PORT"
	ctl_up
	# No handshakes: every datagram the client sends is a data packet
	# the engine routes, so the counts must match exactly.
	wgw_lab_client -n 20 --sockets 10 -d 1 --pps 2000 --no-handshake --expect-clean \
		--dump-sessions "$WGW_TMP/sessions.txt" >"$r" ||
		{ cat "$r"; wgw_fail "client run"; }
	tx=$(wgw_kv "$r" tx_packets)
	rx=$(wgw_kv "$r" rx_packets)
	wgw_assert_eq "$tx" "$rx" "client: replies for every packet (loss $(wgw_kv "$r" loss_pct)%)"
	gwctl stats >"$s"
	wgw_assert_eq "$tx" "$(ctl_get "$s" engine/counters/rx_client)" "engine rx_client"
	wgw_assert_eq "$tx" "$(ctl_get "$s" engine/counters/to_lan)" "engine to_lan"
	wgw_assert_eq "$rx" "$(ctl_get "$s" engine/counters/rx_backend)" "engine rx_backend"
	wgw_assert_eq "$rx" "$(ctl_get "$s" engine/counters/to_wan)" "engine to_wan"
	wgw_assert_eq 0 "$(ctl_get "$s" engine/counters/drop)" "engine drops"
	for b in 1 2 3; do
		a=${WGW_LAB_BACKENDS[$((b - 1))]}:$WGW_LAB_PORT
		wgw_assert_eq "$(wgw_kv "$r" "backend.$b.packets" || echo 0)" \
			"$(ctl_get "$s" "backends/$a/packets_from")" "packets from backend $b"
		sum=$((sum + $(ctl_get "$s" "backends/$a/packets_to")))
	done
	wgw_assert_eq "$tx" "$sum" "packets to the backends"
	mode=$(ctl_get "$s" interfaces/wan0/mode)
	if [ "$mode" != fallback ]; then
		wgw_assert_eq "$tx" "$(ctl_get "$s" interfaces/wan0/xdp/vip_redirect)" \
			"XDP vip_redirect on wan0"
		wgw_assert_eq "$rx" "$(ctl_get "$s" interfaces/lan0/xdp/nat_redirect)" \
			"XDP nat_redirect on lan0"
		wgw_assert_eq "$tx" "$(ctl_get "$s" "queues/wan0 queue 0/rx_packets")" \
			"wan0 queue 0 received"
		wgw_assert_eq "$tx" "$(ctl_get "$s" "queues/lan0 queue 0/tx_packets")" \
			"lan0 queue 0 sent"
		ctl_get "$s" "queues/wan0 queue 0/ring/rx_ring_full" >/dev/null ||
			wgw_fail "no AF_XDP ring statistics"
	fi
	# Rates: over the daemon's own samples, one to two seconds old, not
	# since the previous call (another caller's call moves nothing).
	sleep 2.2
	gwctl stats >/dev/null
	gwctl stats >"$s"
	wgw_assert_ge "$(ctl_get "$s" interval_s | cut -d. -f1)" 1 "rate interval at least 1 s"
	wgw_assert_le "$(ctl_get "$s" interval_s | cut -d. -f1)" 2 "rate interval at most 2 s"
	wgw_assert_eq "0.0" "$(ctl_get "$s" engine/rates/to_lan_pps)" "rate with no traffic"

	# Sessions: the client's CIDs are known, with their mappings.
	gwctl sessions >"$s"
	wgw_assert_eq 20 "$(ctl_get "$s" sessions)" "sessions"
	wgw_assert_eq 10 "$(ctl_get "$s" mappings)" "mappings"
	cid=$(awk 'NR == 1 { print $2 }' "$WGW_TMP/sessions.txt")
	gwctl sessions cid "0x$cid" >"$s" || wgw_fail "session $cid not found"
	ctl_get "$s" backend >/dev/null || wgw_fail "session $cid: no backend"
	gwctl sessions cid 0x1 >/dev/null 2>&1 && wgw_fail "an unknown CID was found"
	gwctl sessions list 3 >"$s"
	wgw_assert_eq 3 "$(ctl_get "$s" shown)" "sessions listed"
	client=$(awk '/^    client: / { print $2; exit }' "$s")
	gwctl sessions client "$client" >"$s" || wgw_fail "no mapping for $client"
	wgw_assert_eq 1 "$(ctl_get "$s" mappings)" "mappings of $client"

	# Prometheus, over the socket and over HTTP.
	gwctl stats --prometheus >"$p"
	grep -qx "wraith_gateway_engine_forwarded_packets_total{direction=\"to_lan\"} $tx" "$p" ||
		wgw_fail "prometheus: to-lan is not $tx"
	grep -q '^# TYPE wraith_gateway_backend_packets_total counter$' "$p" ||
		wgw_fail "prometheus: no TYPE line"
	wgw_in gw bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT &&
		printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >&3 && cat <&3" >"$p" ||
		wgw_fail "metrics listener"
	head -n 1 "$p" | grep -q '^HTTP/1.1 200 OK' || wgw_fail "metrics: $(head -n 1 "$p")"
	grep -q "^wraith_gateway_engine_forwarded_packets_total{direction=\"to_lan\"} $tx" "$p" ||
		wgw_fail "metrics: to-lan is not $tx"
	wgw_in gw bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT &&
		printf 'GET /other HTTP/1.0\r\n\r\n' >&3 && cat <&3" >"$p"
	head -n 1 "$p" | grep -q '^HTTP/1.1 404 ' || wgw_fail "metrics: /other is not 404"
}

# Bad, oversized, unknown and partial requests get an error, never a crash
# or a stuck socket; concurrent clients are served; a full house is told.
t_bad_and_concurrent()
{
	local r="$WGW_TMP/r.txt" i pids=() t0 t1 big

	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway
	ctl_up
	printf 'bogus\n' | gwctl --raw >"$r"
	grep -q '^ERR ENOSYS ' "$r" || wgw_fail "unknown command: $(cat "$r")"
	printf '\001\002\n' | gwctl --raw >"$r"
	grep -q '^ERR EINVAL ' "$r" || wgw_fail "bad bytes: $(cat "$r")"
	printf 'stats format=xml\n' | gwctl --raw >"$r"
	grep -q '^ERR EINVAL ' "$r" || wgw_fail "bad format: $(cat "$r")"
	printf 'backends add 10.0.0.1:99999\n' | gwctl --raw >"$r"
	grep -q '^ERR EINVAL ' "$r" || wgw_fail "bad backend: $(cat "$r")"
	big=$(head -c 100000 /dev/zero | tr '\0' a)
	printf '%s\n' "$big" | gwctl --raw >"$r"
	grep -q '^ERR E2BIG ' "$r" || wgw_fail "oversized request: $(head -c 100 "$r")"
	head -c 3000 /dev/urandom | gwctl --raw >"$r"
	grep -q '^ERR ' "$r" || wgw_fail "random bytes: no error reply"
	: | gwctl --raw >"$r"
	[ ! -s "$r" ] || wgw_fail "an empty request got a reply: $(cat "$r")"
	# The man page's exit codes: 2 for bad usage, one line and a pointer
	# to --help, not the whole help; 1 for a refusal by the daemon.
	local rc
	gwctl bogus 2>"$r"; rc=$?
	wgw_assert_eq 2 "$rc" "exit status of 'wraith-gatewayctl bogus'"
	grep -q 'unknown command' "$r" || wgw_fail "client error text: $(cat "$r")"
	gwctl sessions cid 1 2 3 2>"$r"; rc=$?
	wgw_assert_eq 2 "$rc" "exit status for a wrong argument count"
	gwctl --bogus ping 2>"$r"; rc=$?
	wgw_assert_eq 2 "$rc" "exit status for a bad option"
	wgw_assert_le "$(wc -l <"$r")" 2 "lines printed for a bad option"
	gwctl backends add 10.0.0.1:99999 2>"$r"; rc=$?
	wgw_assert_eq 1 "$rc" "exit status for a backend the daemon refuses"
	gwctl ping >/dev/null || wgw_fail "the daemon stopped answering after bad requests"

	# 40 clients at once (more than the slots): all served, each reply whole.
	for i in $(seq 40); do
		gwctl --json stats >"$WGW_TMP/c$i.json" 2>"$WGW_TMP/c$i.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || {
			# A full house is an answer too, but with 16 slots and
			# replies that fit a socket buffer it should not happen.
			cat "$WGW_TMP/c$((i + 1)).err" >&2
			wgw_fail "concurrent client $((i + 1)) failed"
		}
		ctl_json_ok "$WGW_TMP/c$((i + 1)).json"
		tail -c 2 "$WGW_TMP/c$((i + 1)).json" | grep -q '}' ||
			wgw_fail "concurrent client $((i + 1)): reply cut"
	done

	# Every slot held by a silent client: the next one is told so at once.
	# They hold for 4 s, just under the daemon's 5 s cut-off, so that on a
	# loaded box the last of them has connected while the first still
	# holds (2 s was not always enough to start 16 clients).
	pids=()
	for i in $(seq 16); do
		sleep 4 | gwctl --raw >/dev/null &
		pids+=($!)
	done
	wgw_wait_for 5 ctl__busy || wgw_fail "a 17th client was not told the daemon is busy"
	wait "${pids[@]}"
	gwctl ping >/dev/null || wgw_fail "not served after the silent clients left"

	# A client that never finishes its request is cut off after 5 s;
	# the daemon serves others meanwhile.
	t0=$(wgw__now_us)
	gwctl --raw >/dev/null < <(sleep 9) &
	local slow=$!
	sleep 0.5
	gwctl ping >/dev/null || wgw_fail "not served while a slow client waits"
	wgw_wait_for 8 wgw__gone "$slow" || wgw_fail "the slow client was not cut off"
	t1=$(wgw__now_us)
	wgw_assert_le $(((t1 - t0) / 1000000)) 7 "seconds until the slow client was cut off"
	wgw_assert_ge $(((t1 - t0) / 1000000)) 4 "seconds until the slow client was cut off"
	wgw_alive "$WGW_LAB_GW_PID" || wgw_fail "the daemon died"
}

# Told, with EBUSY and exit status 1: not a broken pipe (3).
ctl__busy()
{
	local out rc
	out=$(gwctl ping 2>&1); rc=$?
	case $out in *'too many control clients (EBUSY)'*) ;; *) return 1 ;; esac
	[ "$rc" -eq 1 ] || wgw_fail "EBUSY reported with exit status $rc: $out"
}

# Idle TCP connections to the metrics port, more than every control slot
# and renewed each second, never lock root out of the control socket: every
# ping is served.  A scraper still gets its metrics; HEAD gets the headers.
t_metrics_flood()
{
	local p="$WGW_TMP/m.txt" i flood

	wgw_lab_up 4
	wgw_lab_backends
	wgw_lab_gateway --metrics-listen "127.0.0.1:$METRICS_PORT"
	ctl_up
	wgw_bg gw bash -c "end=\$((SECONDS + 10))
		while [ \$SECONDS -lt \$end ]; do
			fds=()
			for i in \$(seq 20); do
				exec {f}<>/dev/tcp/127.0.0.1/$METRICS_PORT || exit 1
				fds+=(\$f)
			done
			sleep 1
			for f in \"\${fds[@]}\"; do exec {f}>&-; done
		done"
	flood=$WGW_BG_PID
	sleep 1.5
	for i in $(seq 16); do
		gwctl ping >/dev/null 2>"$p" || wgw_fail "ping $i during the metrics flood: $(cat "$p")"
		sleep 0.3
	done
	wgw_in gw bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT &&
		printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >&3 && cat <&3" >"$p" ||
		wgw_fail "metrics listener during the flood"
	head -n 1 "$p" | grep -q '^HTTP/1.1 200 OK' ||
		wgw_fail "scraper during the flood: $(head -n 1 "$p")"
	wgw_alive "$flood" || wgw_fail "the flood stopped early (connections refused?)"
	wait "$flood" || wgw_fail "the flood could not connect"

	wgw_in gw bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT &&
		printf 'HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n' >&3 && cat <&3" >"$p" ||
		wgw_fail "HEAD /metrics"
	head -n 1 "$p" | grep -q '^HTTP/1.1 200 OK' || wgw_fail "HEAD: $(head -n 1 "$p")"
	grep -q '^Content-Length: [1-9]' "$p" || wgw_fail "HEAD: no Content-Length"
	[ "$(tail -c 4 "$p" | od -An -tx1 | tr -d ' \n')" = 0d0a0d0a ] ||
		wgw_fail "HEAD: a body after the headers"
}

wgw_run commands t_commands
wgw_run counters t_counters
wgw_run bad-and-concurrent t_bad_and_concurrent
wgw_run metrics-flood t_metrics_flood
wgw_done
