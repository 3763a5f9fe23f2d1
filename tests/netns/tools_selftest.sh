#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# wraith-client against wraith-backend, directly connected (no gateway):
# the tools themselves must be right before they judge a gateway.
#
#   ns cli  c0 ---- veth ---- s0  ns srv
#   10.77.0.1/24, .11 (migration)    10.77.0.2/24, .3 (second address)
#   fd77::1/64, fd77::11             fd77::2/64
#
# Handshakes (framed and bare Noise), data replies, loss 0, latency
# reported, migration to a new port and a new address keeping 100% (no
# gateway, so trivially), per-session sources seen by the backend, payload
# sizes 24/64/1200, IPv6, several backend threads, and the tools' own
# error detection: a reply from the wrong source address is counted, a
# silent VIP fails every handshake and --expect-clean turns that into exit 3.
# The receiving kernels must see no UDP checksum errors.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname -- "$0")/lib.sh"

wgw_require_root
wgw_require_cmd ss awk
CLIENT=$(wgw_tool wraith-client) || exit 1
BACKEND=$(wgw_tool wraith-backend) || exit 1

wgw_ns_add cli
wgw_ns_add srv
wgw_veth cli c0 srv s0
wgw_addr cli c0 10.77.0.1/24
wgw_addr cli c0 10.77.0.11/24
wgw_addr srv s0 10.77.0.2/24
wgw_addr srv s0 10.77.0.3/24
wgw_addr cli c0 fd77::1/64
wgw_addr cli c0 fd77::11/64
wgw_addr srv s0 fd77::2/64

# Every sub-test gets its own backend port, so the reports are its own.
PORT=8420

# start_backend ARGS...: a backend in srv; sets BE_PID and BE_LOG.
start_backend()
{
	local listen=$1
	shift
	PORT=$((PORT + 1))
	BE_LOG="$WGW_TMP/backend-$PORT.log"
	wgw_bg srv "$BACKEND" "${listen/PORT/$PORT}" "$@" >"$BE_LOG" 2>&1
	BE_PID=$WGW_BG_PID
	wgw_wait_udp srv "$PORT"
}

# stop_backend: SIGTERM; its final report lands in $BE_LOG.
stop_backend()
{
	wgw_stop "$BE_PID" 5 || wgw_fail "backend exited with an error: $(cat "$BE_LOG")"
}

# client ARGS...: run the client in cli; the report is in $CL_LOG, the exit
# status in $CL_RC.
client()
{
	CL_LOG="$WGW_TMP/client-$PORT.log"
	CL_RC=0
	wgw_in cli "$CLIENT" "$@" >"$CL_LOG" 2>"$CL_LOG.err" || CL_RC=$?
}

cl() { wgw_kv "$CL_LOG" "$1"; }
be() { wgw_kv "$BE_LOG" "$1"; }

# The client's report has no error of any kind.
assert_clean_replies()
{
	local k
	for k in wrong_cid wrong_source misdelivered invalid corrupt wrong_type \
		 unexpected_seq sessions_backend_changed tx_errors; do
		wgw_assert_eq 0 "$(cl $k)" "client $k"
	done
}

assert_no_csum_errors()
{
	local ns c
	for ns in cli srv; do
		for c in UdpInCsumErrors Udp6InCsumErrors UdpInErrors Udp6InErrors; do
			wgw_assert_eq 0 "$(wgw_nstat $ns $c)" "$ns $c"
		done
	done
}

test_framed_v4()
{
	start_backend 10.77.0.2:PORT --id 5
	client 10.77.0.2:$PORT -n 50 -c 5000 --pps 20000 --expect-clean --expect-loss-max 0
	wgw_assert_eq 0 "$CL_RC" "client exit status ($(cat "$CL_LOG.err"))"
	wgw_assert_eq 50 "$(cl handshakes_ok)" "handshakes ok"
	wgw_assert_eq 0 "$(cl handshakes_failed)" "handshakes failed"
	wgw_assert_eq 5000 "$(cl tx_packets)" "data sent"
	wgw_assert_eq 5000 "$(cl rx_packets)" "data replies"
	wgw_assert_eq 0.000 "$(cl loss_pct)" "loss"
	wgw_assert_eq 5000 "$(cl latency_samples)" "latency samples"
	[ "$(cl latency_p50_us)" != 0.0 ] || wgw_fail "latency p50 not measured"
	wgw_assert_eq 50 "$(cl backend.5.sessions)" "sessions served by backend 5"
	wgw_assert_eq 5000 "$(cl backend.5.packets)" "packets from backend 5"
	wgw_assert_eq 0 "$(cl sessions_unanswered)" "sessions without replies"
	assert_clean_replies
	stop_backend
	wgw_assert_eq 50 "$(be rx_handshake_init)" "backend handshakes"
	wgw_assert_eq 5000 "$(be rx_data)" "backend data"
	wgw_assert_eq 5050 "$(be tx_packets)" "backend replies"
	wgw_assert_eq 50 "$(be sessions)" "backend sessions"
	wgw_assert_eq 50 "$(be sessions_sources_1)" "sessions from one source"
	wgw_assert_eq 0 "$(be rx_invalid)" "backend invalid"
	wgw_assert_eq 0 "$(be rx_corrupt)" "backend corrupt"
	wgw_assert_eq 0 "$(be rx_handshake_bad_outer_cid)" "handshake outer CID"
	assert_no_csum_errors
}

# Migration to a new port and a new source address.  The backend must see
# every session from exactly two endpoints, the second on 10.77.0.11.
test_migrate_v4()
{
	local dump="$WGW_TMP/sessions.txt" n

	start_backend 10.77.0.2:PORT --id 9 --dump-sessions "$dump"
	client 10.77.0.2:$PORT -n 40 --sockets 8 -d 1 --pps 8000 --migrate-addr 10.77.0.11 \
		--expect-clean --expect-kept-min 100
	wgw_assert_eq 0 "$CL_RC" "client exit status ($(cat "$CL_LOG.err"))"
	wgw_assert_eq yes "$(cl migration)" "migration ran"
	wgw_assert_eq 40 "$(cl migration_sessions)" "sessions answered before migrating"
	wgw_assert_eq 40 "$(cl migration_kept)" "sessions kept"
	wgw_assert_eq 100.00 "$(cl migration_kept_pct)" "kept %"
	wgw_assert_eq 0 "$(cl migration_unanswered)" "sessions lost in migration"
	wgw_assert_ge "$(cl migration_rx_after)" 1000 "replies after migration"
	wgw_assert_eq 0.000 "$(cl loss_pct)" "loss"
	assert_clean_replies
	stop_backend
	wgw_assert_eq 40 "$(be sessions)" "backend sessions"
	wgw_assert_eq 40 "$(be sessions_multi_source)" "sessions seen from a new source"
	wgw_assert_eq 40 "$(be sessions_sources_2)" "sessions with exactly 2 sources"
	n=$(awk '$3 == 2 && $4 ~ /^10\.77\.0\.1:/ && $5 ~ /^10\.77\.0\.11:/' "$dump" | wc -l)
	wgw_assert_eq 40 "$n" "sessions moved from 10.77.0.1 to 10.77.0.11 (dump)"
	assert_no_csum_errors
}

# Migration to a new port only, bare Noise handshakes: noise1 -> noise2,
# noise3 unanswered.
test_bare_migrate_port()
{
	start_backend 10.77.0.2:PORT --id 3
	client 10.77.0.2:$PORT -n 20 -c 4000 --bare --migrate --expect-clean --expect-kept-min 100
	wgw_assert_eq 0 "$CL_RC" "client exit status ($(cat "$CL_LOG.err"))"
	wgw_assert_eq bare-noise "$(cl handshake_mode)" "mode"
	wgw_assert_eq 20 "$(cl handshakes_ok)" "bare handshakes"
	wgw_assert_eq 20 "$(cl migration_kept)" "kept across a port change"
	wgw_assert_eq 4000 "$(cl rx_packets)" "replies"
	assert_clean_replies
	stop_backend
	wgw_assert_eq 20 "$(be rx_noise1)" "noise1"
	wgw_assert_eq 20 "$(be rx_noise3)" "noise3"
	wgw_assert_eq 0 "$(be rx_handshake_init)" "no framed handshakes"
	wgw_assert_eq 20 "$(be sessions_sources_2)" "new port seen"
}

# Payload sizes: 24 bytes carries no timestamp (no latency sample, still
# checked), 1200 the benchmark's large size.
test_sizes()
{
	local size
	start_backend 10.77.0.2:PORT --id 4
	for size in 24 1200; do
		client 10.77.0.2:$PORT -n 4 -c 2000 --size $size --expect-clean --expect-loss-max 0
		wgw_assert_eq 0 "$CL_RC" "client exit status, size $size ($(cat "$CL_LOG.err"))"
		wgw_assert_eq 2000 "$(cl rx_packets)" "replies, size $size"
		wgw_assert_eq $((2000 * size)) "$(cl tx_bytes)" "bytes, size $size"
		if [ $size = 24 ]; then
			wgw_assert_eq 0 "$(cl latency_samples)" "latency samples without timestamps"
		else
			wgw_assert_eq 2000 "$(cl latency_samples)" "latency samples, size $size"
		fi
		assert_clean_replies
	done
	stop_backend
	wgw_assert_eq 0 "$(be rx_corrupt)" "backend corrupt"
	# Handshakes are at least 40 bytes (CID + full test header).
	wgw_assert_eq $((2000 * 24 + 4 * 40 + 2000 * 1200 + 4 * 1200)) \
		"$(be rx_bytes)" "backend bytes"
}

test_v6()
{
	start_backend '[fd77::2]:PORT' --id 6
	client "[fd77::2]:$PORT" -n 30 -c 3000 --migrate-addr fd77::11 --expect-clean \
		--expect-loss-max 0 --expect-kept-min 100
	wgw_assert_eq 0 "$CL_RC" "client exit status ($(cat "$CL_LOG.err"))"
	wgw_assert_eq 30 "$(cl handshakes_ok)" "handshakes"
	wgw_assert_eq 3000 "$(cl rx_packets)" "replies"
	wgw_assert_eq 30 "$(cl backend.6.sessions)" "sessions on backend 6"
	wgw_assert_eq 100.00 "$(cl migration_kept_pct)" "kept"
	assert_clean_replies
	stop_backend
	wgw_assert_eq 30 "$(be sessions_sources_2)" "v6 sessions with two sources"
	assert_no_csum_errors
}

# Several backend threads (SO_REUSEPORT): sessions whose new port hashes to
# another thread are merged into one at exit.
test_threads()
{
	start_backend 10.77.0.2:PORT --id 2 --threads 2
	client 10.77.0.2:$PORT -n 2000 --sockets 64 -c 40000 --inflight 512 --migrate \
		--expect-clean --expect-loss-max 0 --expect-kept-min 100 --json "$WGW_TMP/cl.json"
	wgw_assert_eq 0 "$CL_RC" "client exit status ($(cat "$CL_LOG.err"))"
	wgw_assert_eq 2000 "$(cl handshakes_ok)" "handshakes"
	grep -q '"kept_pct": 100.00' "$WGW_TMP/cl.json" || wgw_fail "JSON report lacks kept_pct"
	stop_backend
	wgw_assert_eq 2000 "$(be sessions)" "merged sessions"
	wgw_assert_eq 2000 "$(be sessions_sources_2)" "sessions with two sources"
}

# The client must notice a reply from an address other than the VIP: a
# backend bound to the wildcard address answers a datagram to 10.77.0.3
# from 10.77.0.2 (the route's source), which is exactly the fault a broken
# gateway NAT would show.
test_detects_wrong_source()
{
	start_backend 0.0.0.0:PORT --id 1
	client 10.77.0.3:$PORT -n 5 -c 100 --hs-timeout 100 --hs-retries 1 --drain 200
	wgw_assert_eq 0 "$CL_RC" "client exit status without --expect"
	wgw_assert_ge "$(cl wrong_source)" 5 "replies from the wrong source"
	wgw_assert_eq 0 "$(cl handshakes_ok)" "handshakes accepted from the wrong source"
	wgw_assert_eq 5 "$(cl handshakes_failed)" "handshakes failed"
	stop_backend
}

# Nobody answers: every handshake fails after its retries, the tool still
# exits 0 with a report, and --expect-clean makes it exit 3.
test_silent_vip()
{
	PORT=$((PORT + 1))
	client 10.77.0.2:$PORT -n 3 --hs-timeout 50 --hs-retries 2
	wgw_assert_eq 0 "$CL_RC" "client exit status"
	wgw_assert_eq 3 "$(cl handshakes_failed)" "failed handshakes"
	wgw_assert_eq 6 "$(cl handshake_retries)" "retries"
	wgw_assert_eq 0 "$(cl tx_packets)" "no data without a session"
	client 10.77.0.2:$PORT -n 3 --hs-timeout 50 --hs-retries 0 --expect-clean
	wgw_assert_eq 3 "$CL_RC" "client exit status with --expect-clean"
	grep -q "expectation failed: 3 handshakes failed" "$CL_LOG.err" ||
		wgw_fail "no explanation: $(cat "$CL_LOG.err")"
}

# A VIP port range: session s talks to port P + s % 3, here one backend
# per port, so each serves a third of the sessions; the client's dump says
# which backend answered each session.
test_port_range()
{
	local p0 i pids=() dump="$WGW_TMP/client-sessions.txt"

	p0=$((PORT + 1))
	for i in 0 1 2; do
		wgw_bg srv "$BACKEND" 10.77.0.2:$((p0 + i)) --id $((i + 1)) \
			>"$WGW_TMP/be-range-$i.log" 2>&1
		pids+=("$WGW_BG_PID")
		wgw_wait_udp srv $((p0 + i))
	done
	client 10.77.0.2:$p0-$((p0 + 2)) -n 30 -c 3000 --expect-clean --expect-loss-max 0 \
		--dump-sessions "$dump"
	wgw_assert_eq 0 "$CL_RC" "client exit status ($(cat "$CL_LOG.err"))"
	wgw_assert_eq 3 "$(cl vip_ports)" "VIP ports"
	for i in 1 2 3; do
		wgw_assert_eq 10 "$(cl backend.$i.sessions)" "sessions on backend $i"
		wgw_assert_eq 1000 "$(cl backend.$i.packets)" "packets from backend $i"
	done
	# Session s on port p0 + s % 3, answered by backend s % 3 + 1.
	i=$(awk '$3 == "established" && $4 == $1 % 3 + 1 && $6 == 100 && $7 == 100' "$dump" | wc -l)
	wgw_assert_eq 30 "$i" "sessions answered by the backend of their port (dump)"
	for i in 0 1 2; do
		wgw_stop "${pids[$i]}" || wgw_fail "backend $i failed"
		wgw_assert_eq 10 "$(wgw_kv "$WGW_TMP/be-range-$i.log" sessions)" "backend $i sessions"
	done
}

# Sink backend: counts, never answers.
test_sink()
{
	start_backend 10.77.0.2:PORT --id 8 --sink
	client 10.77.0.2:$PORT -n 10 -c 1000 --no-handshake --drain 100
	wgw_assert_eq 1000 "$(cl tx_packets)" "sent"
	wgw_assert_eq 0 "$(cl rx_packets)" "no replies from a sink"
	wgw_assert_eq 100.000 "$(cl loss_pct)" "loss"
	stop_backend
	wgw_assert_eq 1000 "$(be rx_data)" "sink received"
	wgw_assert_eq 0 "$(be tx_packets)" "sink sent"
	wgw_assert_eq 10 "$(be sessions)" "sink sessions"
}

# Bad usage is quoted back with what was expected, exit 2.
test_usage()
{
	local rc=0 err
	err=$("$CLIENT" --size 10 1.2.3.4:1 2>&1) || rc=$?
	wgw_assert_eq 2 "$rc" "exit status for --size 10"
	[[ $err == *"invalid --size '10': expected an integer from 24 to 9000"* ]] ||
		wgw_fail "unhelpful message: $err"
	rc=0
	err=$("$BACKEND" fd00::1:80 2>&1) || rc=$?
	wgw_assert_eq 2 "$rc" "exit status for an unbracketed IPv6 endpoint"
	"$CLIENT" --help | grep -q -- "--migrate-addr ADDR" || wgw_fail "client --help"
	"$BACKEND" --help | grep -q -- "--threads N" || wgw_fail "backend --help"
}

# Sub-tests run in subshells: give each its own range of ports.
run()
{
	PORT=$((PORT + 10))
	wgw_run "$@"
}

run framed_v4 test_framed_v4
run migrate_v4 test_migrate_v4
run bare_migrate_port test_bare_migrate_port
run sizes test_sizes
run v6 test_v6
run threads test_threads
run detects_wrong_source test_detects_wrong_source
run silent_vip test_silent_vip
run port_range test_port_range
run sink test_sink
run usage test_usage
wgw_done
