#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Handshake flood protection end to end: the real daemon in the lab with
# --handshake-rate/--handshake-burst, one client source flooding handshakes
# (CID 0xFF..FF, then bare 32-byte Noise first messages) as fast as it can,
# while another source starts its sessions.  The XDP program's per-source
# token bucket must hold the flooder to burst + rate x time at the
# backends, and the other source's handshakes must all succeed.  A control
# run without the limit shows the same flood does reach the backends.
#
# Needs the XDP fast path (the bucket lives in the XDP program): on a
# machine without it, or with a daemon that has no --handshake-rate yet,
# the test is skipped with the reason.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root
wgw_require_cmd perl

GWD="$WGW_TOP_BUILDDIR/wraith-gatewayd"
[ -x "$GWD" ] || wgw_fail "$GWD not built"
"$GWD" --help 2>&1 | grep -q -- '--handshake-rate' ||
	wgw_skip "wraith-gatewayd has no --handshake-rate option yet"

RATE=20		# handshakes per second per source
BURST=40	# handshakes at once
FLOOD_S=3	# seconds per flood

# flood NS SRC DST DPORT SECONDS KIND OUT: send as fast as possible for
# SECONDS; KIND framed (CID 0xFF..FF + 40 bytes) or bare (32 random bytes);
# writes the number sent to OUT.
flood()
{
	wgw_in "$1" perl -e '
		use strict; use IO::Socket::IP; use Errno qw(ECONNREFUSED ENOBUFS EAGAIN);
		my ($src, $dst, $dp, $secs, $kind, $out) = @ARGV;
		my $s = IO::Socket::IP->new(LocalHost => $src, PeerHost => $dst,
			PeerPort => $dp, Proto => "udp") or die "socket: $@\n";
		# time() has whole seconds: run $secs to $secs + 1 of them
		# (Time::HiRes is not in perl-base).
		my ($n, $end) = (0, time + $secs + 1);
		while (time < $end) {
			for (1 .. 256) {
				my $p = $kind eq "framed" ? ("\xff" x 8) . ("\xa5" x 40)
					: pack("N8", map { int(rand(2**32)) } 1 .. 8);
				if (defined $s->send($p)) { $n++; next; }
				$! == ECONNREFUSED || $! == ENOBUFS || $! == EAGAIN
					or die "send: $!\n";
			}
		}
		open(my $f, ">", $out) or die "$out: $!\n";
		print $f "$n\n";
	' "$2" "$3" "$4" "$5" "$6" "$7" || wgw_fail "flood from $2 failed"
}

# Sum of counter KEY in the backends' final reports.
backends_sum()
{
	local i sum=0 v
	for i in 1 2 3; do
		v=$(wgw_kv "$WGW_TMP/backend$i.log" "$1") || v=0
		sum=$((sum + v))
	done
	echo "$sum"
}

stop_backends()
{
	local i
	for i in 1 2 3; do
		eval "wgw_stop \$WGW_LAB_BE_PID$i" || true
	done
}

t_flood()
{
	local fam=$1 r t0 t1 sent sent2 got max flooder
	wgw_lab_up "$fam"
	flooder=$WGW_LAB_CLIENT2
	if [ "$fam" = 6 ]; then
		# IPv6 sources share a bucket per /64, and CLIENT2 is in the
		# honest client's: the flooder gets a prefix of its own.
		flooder=2001:db8:d::2
		wgw_addr cl cl0 $flooder/64
		wgw_in gw ip -6 route add 2001:db8:d::/64 via "$WGW_LAB_CLIENT" dev wan0 ||
			wgw_fail "route to the flooder's prefix"
		wgw_wait_for 10 wgw_lab__settled || wgw_fail "IPv6 addresses still tentative"
	fi
	wgw_lab_backends
	wgw_lab_gateway --handshake-rate $RATE --handshake-burst $BURST
	grep -qE 'interface wan0 \(wan\): mode xdp' "$WGW_TMP/gatewayd.log" ||
		wgw_skip "the daemon runs without XDP here: no handshake bucket"

	# The flooder (CLIENT2) in the background, the honest client (CLIENT)
	# while it floods.
	t0=$(wgw__now_us)
	flood cl "$flooder" "$WGW_LAB_VIP" $WGW_LAB_PORT $FLOOD_S framed \
		"$WGW_TMP/sent" &
	local fpid=$!
	sleep 0.5	# let the flood build up: the honest client must meet it
	r="$WGW_TMP/client.txt"
	wgw_lab_client -n 30 --sockets 10 -d 1 --bind "$WGW_LAB_CLIENT" --expect-clean \
		>"$r" || { cat "$r"; wgw_fail "honest client failed during the flood"; }
	wgw_assert_eq "$(wgw_kv "$r" handshakes_ok)" 30 "honest handshakes during the flood"
	wait $fpid || wgw_fail "flood failed"
	sent=$(cat "$WGW_TMP/sent")

	# Then bare Noise first messages from the same source: same bucket.
	flood cl "$flooder" "$WGW_LAB_VIP" $WGW_LAB_PORT $FLOOD_S bare \
		"$WGW_TMP/sent2"
	t1=$(wgw__now_us)
	sent2=$(cat "$WGW_TMP/sent2")
	stop_backends
	# Neither flood is valid test traffic: the backends count it as
	# invalid (or as a bare first message, should random bytes parse).
	got=$(( $(backends_sum rx_handshake_bad_outer_cid) + $(backends_sum rx_invalid) +
		$(backends_sum rx_noise1) ))
	# The whole time both floods ran, at RATE, plus one burst, plus a
	# second of slack for the clock edges.
	max=$(( BURST + RATE * ((t1 - t0) / 1000000 + 2) ))
	wgw_log "flooder sent $sent framed + $sent2 bare; backends got $got (limit $max)"
	wgw_assert_ge "$sent" $((20 * max)) "framed flood size (too small to prove anything)"
	wgw_assert_ge "$sent2" $((20 * max)) "bare flood size (too small to prove anything)"
	wgw_assert_le "$got" "$max" "flood datagrams that reached the backends"
	wgw_assert_ge "$got" "$BURST" "flood datagrams let through (one burst at least)"
	# The program counted what it dropped (SIGUSR1 dumps the counters).
	kill -USR1 "$WGW_LAB_GW_PID"
	wgw_wait_for 5 grep -q 'xdp wan0 vip_drop_hs_rate: ' "$WGW_TMP/gatewayd.log" ||
		wgw_fail "no vip_drop_hs_rate counter in the daemon's dump"
	wgw_assert_ge "$(awk '/xdp wan0 vip_drop_hs_rate: / { v = $NF } END { print v + 0 }' \
		"$WGW_TMP/gatewayd.log")" $(( (sent + sent2) / 2 )) "handshakes dropped in XDP"
}

# Control: the same flood without a limit reaches the backends, so the
# test above measures the bucket, not a flood that never arrives.
t_no_limit()
{
	local fam=$1 sent got t0 t1
	wgw_lab_up "$fam"
	wgw_lab_backends
	wgw_lab_gateway --handshake-rate 0
	t0=$(wgw__now_us)
	flood cl "$WGW_LAB_CLIENT2" "$WGW_LAB_VIP" $WGW_LAB_PORT 1 framed "$WGW_TMP/sent"
	t1=$(wgw__now_us)
	sent=$(cat "$WGW_TMP/sent")
	sleep 0.5	# in flight through the gateway
	stop_backends
	got=$(( $(backends_sum rx_handshake_bad_outer_cid) + $(backends_sum rx_invalid) ))
	wgw_log "without a limit: sent $sent, backends got $got"
	# Loss on a busy 2-CPU box is large; what matters is that far more
	# arrives than the limit above would let through in the same time.
	wgw_assert_ge "$got" $(( 5 * (BURST + RATE * ((t1 - t0) / 1000000 + 2)) )) \
		"unlimited flood at the backends"
}

wgw_run flood-ipv4 t_flood 4
# make distcheck (WGW_TEST_QUICK=1) runs IPv4 only.
[ "${WGW_TEST_QUICK:-0}" = 1 ] || wgw_run flood-ipv6 t_flood 6
wgw_run no-limit-ipv4 t_no_limit 4
wgw_done
