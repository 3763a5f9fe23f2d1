#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One spoofed datagram never starts a loop.  A WAN datagram to the VIP
# whose source is a backend's address and port used to be forwarded to
# that backend, whose answer went back to "the client" (the backend
# itself), which answered the VIP again: tens of thousands of datagrams a
# second from one packet, in fallback mode.  The engine now refuses the
# gateway's own addresses as client sources (drop reason spoofed-source).
# Both modes, both families: the backends answer every datagram and can
# route to the VIP through the gateway (so a loop could close), a client
# sends a few datagrams from a backend's address, and the backends then see
# nothing more.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root
wgw_require_cmd perl jq

# spoof SRC: 5 datagrams of 48 bytes (a session CID) from SRC:PORT to the VIP.
spoof()
{
	wgw_in cl perl -e '
		use strict; use IO::Socket::IP; use Errno qw(ECONNREFUSED);
		my ($src, $port, $dst) = @ARGV;
		my $s = IO::Socket::IP->new(LocalHost => $src, LocalPort => $port,
			PeerHost => $dst, PeerPort => $port, Proto => "udp",
			ReuseAddr => 1) or die "socket $src -> $dst: $@\n";
		my $p = pack("H16", "1122334455667788") . ("\x5a" x 40);
		for (1 .. 5) {
			defined $s->send($p) or $! == ECONNREFUSED or die "send: $!\n";
		}
	' "$1" "$WGW_LAB_PORT" "$WGW_LAB_VIP" || wgw_fail "spoof $*"
}

be_rx()
{
	local k=UdpInDatagrams
	[ "$WGW_LAB_FAM" = 6 ] && k=Udp6InDatagrams
	wgw_nstat be "$k" || echo 0
}

drop_count()
{
	gwctl stats --json |
		jq -r --arg r "$1" '.engine.drops[$r] // 0'
}

t_loop()
{
	local fam=$1 mode=$2 be spoofed before after
	wgw_lab_up "$fam"
	be=${WGW_LAB_BACKENDS[0]}
	if [ "$fam" = 4 ]; then
		wgw_in be ip route add 203.0.113.0/24 via 10.0.0.1 ||
			wgw_fail "backend route to the VIP"
		wgw_addr cl cl0 "$be/32"
	else
		wgw_in be ip -6 route add 2001:db8:f::/64 via 2001:db8:b::1 ||
			wgw_fail "backend route to the VIP"
		wgw_addr cl cl0 "$be/128"
	fi
	wgw_lab_backends
	wgw_lab_gateway --mode "$mode"
	# Real sessions first: the path works.
	wgw_lab_client -n 10 --sockets 5 -d 1 --seed 5 --expect-clean >"$WGW_TMP/c.txt" ||
		{ cat "$WGW_TMP/c.txt"; wgw_fail "client run failed"; }

	# Backends that answer every datagram, as in the report: echoes on
	# the three backend addresses in place of the test backends.
	local i
	for i in 1 2 3; do
		eval "wgw_stop \$WGW_LAB_BE_PID$i" || true
	done
	wgw_bg be perl -e '
		use strict; use IO::Socket::IP; use IO::Select;
		my ($port, @addrs) = @ARGV;
		my $sel = IO::Select->new;
		for my $a (@addrs) {
			$sel->add(IO::Socket::IP->new(LocalHost => $a, LocalPort => $port,
				Proto => "udp", ReuseAddr => 1) or die "bind $a: $@\n");
		}
		while (1) {
			for my $s ($sel->can_read(1)) {
				my $from = $s->recv(my $buf, 2048);
				$s->send($buf, 0, $from) if defined $from;
			}
		}
	' "$WGW_LAB_PORT" "${WGW_LAB_BACKENDS[@]}"
	wgw_wait_udp be "$WGW_LAB_PORT"

	before=$(be_rx)
	spoof "$be"
	wgw_wait_for 10 spoofed_seen || wgw_fail "no spoofed-source drop counted"
	# A loop would be thousands of datagrams a second by now.
	sleep 2
	after=$(be_rx)
	wgw_assert_le $((after - before)) 5 "datagrams the backends received after the spoofed ones"
	spoofed=$(drop_count spoofed_source)
	wgw_assert_ge "$spoofed" 5 "spoofed-source drops"
	wgw_alive "$WGW_LAB_GW_PID" || wgw_fail "the daemon died"
}

spoofed_seen()
{
	[ "$(drop_count spoofed_source)" -ge 1 ]
}

[ "${WGW_TEST_QUICK:-0}" = 1 ] && : "${WGW_LOOP_FAMILIES:=4}"
for fam in ${WGW_LOOP_FAMILIES:-4 6}; do
	for mode in fallback auto; do
		wgw_run "loop-ipv$fam-$mode" t_loop "$fam" "$mode"
	done
done
wgw_done
