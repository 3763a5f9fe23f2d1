#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The host never becomes a router.  Owning the NAT address needs forwarding
# on the LAN interface; the gateway confines it with policy rules so that
# from the LAN only the NAT address is forwarded (netlink/confine.c).  In
# the lab (tests/netns/lab.sh), both modes and both families:
#  - check of the check: with the LAN interface's forwarding turned on by
#    hand and no gateway, a LAN host's datagram routed via the gateway to a
#    client address does arrive (so the receiver can see a leak);
#  - with the gateway running, the same datagrams (from a stray LAN host
#    and from a backend's address) never reach the client, while real
#    sessions work;
#  - after SIGKILL, still nothing arrives (the rules outlive the process),
#    and nobody answers ARP/NDP for the NAT address any more;
#  - the next start removes the leftovers, a clean stop leaves no rule and
#    the forwarding switches as they were.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root
wgw_require_cmd perl

LEAK_PORT=6000

# leak NS SRC DST COUNT: COUNT datagrams with the marker payload from
# SRC to DST:LEAK_PORT.
leak()
{
	wgw_in "$1" perl -e '
		use strict; use IO::Socket::IP; use Errno qw(ECONNREFUSED);
		my ($src, $dst, $port, $n) = @ARGV;
		my $s = IO::Socket::IP->new(LocalHost => $src, PeerHost => $dst,
			PeerPort => $port, Proto => "udp")
			or die "socket $src -> $dst: $@\n";
		my $p = ("\x5a" x 8) . ("\xa5" x 40);
		for (1 .. $n) {
			defined $s->send($p) or $! == ECONNREFUSED or die "send: $!\n";
		}
	' "$2" "$3" "$LEAK_PORT" "$4" || wgw_fail "leak $*"
}

# listen NAME: a receiver on every client address, port LEAK_PORT, writing
# one line per datagram into NAME.rx as it arrives (read by arrived).
listen()
{
	wgw_bg cl perl -e '
		use strict; use IO::Socket::IP; use IO::Select; use IO::Handle;
		my ($port, $out, @addrs) = @ARGV;
		open(my $fh, ">", $out) or die "$out: $!\n";
		$fh->autoflush(1);
		my $sel = IO::Select->new;
		for my $a (@addrs) {
			my $s = IO::Socket::IP->new(LocalHost => $a, LocalPort => $port,
				Proto => "udp") or die "bind $a:$port: $@\n";
			$sel->add($s);
		}
		print $fh "ready\n";
		while (1) {
			for my $s ($sel->can_read(1)) {
				my $from = $s->recv(my $buf, 2048);
				print $fh "datagram\n" if defined $from;
			}
		}
	' "$LEAK_PORT" "$WGW_TMP/$1.rx" "$WGW_LAB_CLIENT" "$WGW_LAB_CLIENT2"
	LISTEN_PID=$WGW_BG_PID
	wgw_wait_for 5 grep -q ready "$WGW_TMP/$1.rx" 2>/dev/null ||
		wgw_fail "receiver on the client did not start"
}

# Datagrams the receiver NAME got.
arrived()
{
	grep -c datagram "$WGW_TMP/$1.rx" || true
}

# Whether receiver NAME got anything yet (polled: reads the file anew).
got_any()
{
	[ "$(arrived "$1")" -ge 1 ]
}

# After the datagrams were sent: give a leak time to arrive on a loaded
# machine (a few seconds, ended by the first arrival), then stop.
listen_stop()
{
	wgw_wait_for 3 got_any "$1" || true
	wgw_stop "$LISTEN_PID" || true
}

our_rules()
{
	wgw_in gw ip "-$WGW_LAB_FAM" rule show | grep -c 'proto 241' || true
}

t_forward()
{
	local fam=$1 mode=$2 stray victim ipv fwd n r
	wgw_lab_up "$fam"
	if [ "$fam" = 4 ]; then
		ipv=ipv4
		stray=10.0.0.66
		victim=$WGW_LAB_CLIENT
		wgw_addr be be0 10.0.0.66/24
		wgw_in be ip route add 198.51.100.0/24 via 10.0.0.1 ||
			wgw_fail "LAN route to the clients"
		wgw_in be ip route add 203.0.113.0/24 via 10.0.0.1 ||
			wgw_fail "LAN route to the VIP"
	else
		ipv=ipv6
		stray=2001:db8:b::66
		victim=$WGW_LAB_CLIENT
		wgw_addr be be0 2001:db8:b::66/64
		wgw_in be ip -6 route add 2001:db8:c::/64 via 2001:db8:b::1 ||
			wgw_fail "LAN route to the clients"
		wgw_in be ip -6 route add 2001:db8:f::/64 via 2001:db8:b::1 ||
			wgw_fail "LAN route to the VIP"
	fi
	fwd=/proc/sys/net/$ipv/conf/lan0/forwarding

	# Check of the check: a forwarding LAN interface does leak.
	wgw_in gw sh -c "echo 1 > $fwd; echo 1 > /proc/sys/net/$ipv/conf/wan0/forwarding"
	[ "$fam" = 6 ] && wgw_in gw sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
	listen control
	for n in 1 2 3 4 5; do
		leak be "$stray" "$victim" 5
		wgw_wait_for 2 got_any control && break
	done
	wgw_stop "$LISTEN_PID" || true
	if [ "$(arrived control)" -lt 1 ]; then
		wgw_in gw nstat -a >&2
		wgw_fail "a forwarding host let no datagram through: the test cannot see a leak"
	fi
	wgw_in gw sh -c "echo 0 > $fwd; echo 0 > /proc/sys/net/$ipv/conf/wan0/forwarding"
	[ "$fam" = 6 ] && wgw_in gw sh -c 'echo 0 > /proc/sys/net/ipv6/conf/all/forwarding'
	# IPv6: conf.all.forwarding resets every interface's switch; the
	# gateway must find them as a fresh host has them.
	wgw_in gw sh -c "echo 0 > $fwd"

	wgw_lab_backends
	wgw_lab_gateway --mode "$mode"
	wgw_assert_eq 1 "$(wgw_in gw cat "$fwd")" "LAN forwarding while the gateway runs"
	wgw_assert_eq 2 "$(our_rules)" "the gateway's forwarding rules"

	r="$WGW_TMP/client.txt"
	listen running
	wgw_lab_client -n 10 --sockets 5 -d 1 --seed 3 --expect-clean >"$r" ||
		{ cat "$r"; wgw_fail "client run failed"; }
	wgw_assert_eq 10 "$(wgw_kv "$r" handshakes_ok)" "handshakes"
	leak be "$stray" "$victim" 20
	leak be "${WGW_LAB_BACKENDS[0]}" "$victim" 20
	leak be "$stray" "$WGW_LAB_CLIENT2" 20
	listen_stop running
	wgw_assert_eq 0 "$(arrived running)" "LAN datagrams forwarded to a client while the gateway runs"

	# SIGKILL: nothing undoes the settings, the rules still hold.
	kill -KILL "$WGW_LAB_GW_PID"
	wait "$WGW_LAB_GW_PID" 2>/dev/null || true
	listen killed
	leak be "$stray" "$victim" 20
	listen_stop killed
	wgw_assert_eq 0 "$(arrived killed)" "LAN datagrams forwarded after SIGKILL"
	wgw_assert_eq 2 "$(our_rules)" "rules left by the killed gateway"
	# The proxy entry left behind answers nothing: no route to G any more.
	wgw_in be ip neigh flush dev be0
	wgw_in be ping -c 2 -W 1 "$WGW_LAB_NAT" >/dev/null 2>&1 &&
		wgw_fail "the NAT address still answers after SIGKILL"
	n=$(wgw_in be ip neigh show "$WGW_LAB_NAT" | grep -c lladdr || true)
	wgw_assert_eq 0 "$n" "neighbour entries for the NAT address resolved after SIGKILL"

	# The next start undoes what was left and sets it anew; a clean
	# stop leaves nothing.
	wgw_lab_gateway --mode "$mode"
	grep -q 'did not stop cleanly' "$WGW_TMP/gatewayd.log" ||
		wgw_fail "the restart did not undo the killed gateway's settings"
	wgw_assert_eq 2 "$(our_rules)" "the gateway's rules after a restart"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "gateway exit status $?"
	wgw_assert_eq 0 "$(our_rules)" "rules left after a clean stop"
	wgw_assert_eq 0 "$(wgw_in gw cat "$fwd")" "LAN forwarding after a clean stop"
	n=$(wgw_in gw ip neigh show proxy | wc -l)
	wgw_assert_eq 0 "$n" "proxy neighbour entries after a clean stop"
}

[ "${WGW_TEST_QUICK:-0}" = 1 ] && : "${WGW_FORWARD_FAMILIES:=4}"
for fam in ${WGW_FORWARD_FAMILIES:-4 6}; do
	for mode in auto fallback; do
		wgw_run "forward-ipv$fam-$mode" t_forward "$fam" "$mode"
	done
done
wgw_done
