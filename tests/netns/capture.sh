#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# wraith-gatewayctl capture and trace, end to end, in both data paths:
#  - a capture of all traffic holds every datagram of a client run twice
#    (as it came in and as it left after the NAT), and tshark reads valid
#    headers before and after the rewrite;
#  - a capture of one CID holds that session's datagrams only;
#  - a capture of drops holds the drops, each with its reason, including
#    those made by the XDP program (CID 0, short datagrams);
#  - a capture client that stops reading, or goes away, never stalls the
#    daemon; several captures run at once;
#  - trace says what the engine then does with the same packet.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root
wgw_require_cmd perl jq tshark

# cap_start NAME ARGS...: a capture into $WGW_TMP/NAME.pcapng in the
# background (its stderr in NAME.err), started once the daemon says so.
cap_start()
{
	local name=$1 n
	shift
	n=$(grep -c 'capture [0-9]*: started' "$WGW_TMP/gatewayd.log")
	wgw_bg gw "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" \
		capture -w "$WGW_TMP/$name.pcapng" "$@" 2>"$WGW_TMP/$name.err"
	eval "CAP_PID_$name=\$WGW_BG_PID"
	wgw_wait_for 10 cap__started "$n" || wgw_fail "capture $name did not start"
}

cap__started()
{
	[ "$(grep -c 'capture [0-9]*: started' "$WGW_TMP/gatewayd.log")" -gt "$1" ]
}

# cap_wait NAME: the capture ended by itself (count or duration) and said
# what it captured.
cap_wait()
{
	local pid
	eval "pid=\$CAP_PID_$1"
	wgw_wait_for 20 wgw__gone "$pid" || wgw_fail "capture $1 did not end"
	wait "$pid" || { cat "$WGW_TMP/$1.err" >&2; wgw_fail "capture $1 failed"; }
	grep -q 'packets captured' "$WGW_TMP/$1.err" || wgw_fail "capture $1: no summary"
}

# tsk NAME ARGS...: tshark on a capture.  A tshark that fails (a bad
# file, a bad filter) prints a line of its own, so no count comes out
# right by accident.  The UDP payloads are WRAITH, whatever the ports: a
# client's source port that tshark knows for another protocol (44818
# EtherNet/IP, 37008 TZSP, 54328 Elasticsearch, ...) would have its
# datagrams dissected as that protocol, and judged malformed.
tsk()
{
	local name=$1
	shift
	tshark -r "$WGW_TMP/$name.pcapng" -d 'udp.port==1-65535,data' "$@" \
		2>"$WGW_TMP/$name.tshark.err" ||
		echo "tshark failed: $(head -c 300 "$WGW_TMP/$name.tshark.err")"
}

# udp HEX_CID LEN COUNT [SPORT]: datagrams from the client (source port
# SPORT, default 40999) to the VIP.
udp()
{
	wgw_in cl perl -e '
		use strict; use IO::Socket::IP;
		my ($src, $dst, $port, $cid, $len, $n, $sport) = @ARGV;
		my $s = IO::Socket::IP->new(PeerHost => $dst, PeerPort => $port,
			LocalHost => $src, LocalPort => $sport, Proto => "udp",
			ReuseAddr => 1) or die "socket: $@\n";
		my $p = pack("H16", $cid) . ("\x5a" x ($len - 8));
		$p = substr($p, 0, $len);
		$s->send($p) for 1 .. $n;
	' "$WGW_LAB_CLIENT" "$WGW_LAB_VIP" "$WGW_LAB_PORT" "$1" "$2" "$3" "${4:-40999}" ||
		wgw_fail "udp $*"
}

# t_trace: trace says what the engine then does, and changes nothing.
t_trace()
{
	local ep vip tr n0 got be
	ep=$(wgw_lab_ep "$WGW_LAB_CLIENT" 41000)
	vip=$(wgw_lab_ep "$WGW_LAB_VIP" "$WGW_LAB_PORT")
	n0=$(gwctl -j sessions count | jq -c .)
	tr=$(gwctl -j trace "$ep" "$vip" cid 00000000000000ab from wan) || wgw_fail "trace failed"
	wgw_log "trace: $tr"
	wgw_assert_eq "$n0" "$(gwctl -j sessions count | jq -c .)" "tables after a trace"
	wgw_assert_eq to_lan "$(jq -r .verdict <<<"$tr")" "trace verdict"
	wgw_assert_eq new "$(jq -r .mapping.state <<<"$tr")" "trace mapping"
	wgw_assert_eq true "$(jq -r .cid.would_learn <<<"$tr")" "trace CID learning"
	be=$(jq -r .backend.address <<<"$tr")
	udp 00000000000000ab 48 1 41000
	wgw_wait_for 5 gwctl sessions client "$ep" >/dev/null 2>&1 || wgw_fail "no mapping made"
	got=$(gwctl -j sessions client "$ep")
	wgw_log "then: $got"
	wgw_assert_eq "$(jq -r .backend.address <<<"$tr")" "$(jq -r '.. | .backend? // empty' <<<"$got" | head -n 1)" \
		"the backend trace named"
	wgw_assert_eq "$(jq -r .mapping.nat_port <<<"$tr")" "$(jq -r '.. | .nat_port? // empty' <<<"$got" | head -n 1)" \
		"the NAT port trace named"
	wgw_assert_eq "$(jq -r .backend.address <<<"$tr")" \
		"$(gwctl -j sessions cid 00000000000000ab | jq -r '.. | .backend? // empty' | head -n 1)" \
		"the CID's backend"
	# Again: now the existing mapping; from another port, the CID's
	# backend (rule 2) on a new mapping.
	tr=$(gwctl -j trace "$ep" "$vip" cid 00000000000000ab)
	wgw_assert_eq existing "$(jq -r .mapping.state <<<"$tr")" "trace of a known endpoint"
	tr=$(gwctl -j trace "$(wgw_lab_ep "$WGW_LAB_CLIENT" 41001)" "$vip" cid 00000000000000ab)
	wgw_assert_eq 2 "$(jq -r .rule <<<"$tr")" "trace rule of a known CID from a new endpoint"
	wgw_assert_eq "$be" "$(jq -r .backend.address <<<"$tr")" "trace backend of a known CID"
	tr=$(gwctl trace "$ep" "$vip" cid 0)
	grep -q '^drop_reason: cid-zero' <<<"$tr" || wgw_fail "trace of CID 0: $tr"
}

# client_run NAME: 4 sessions, 40 data datagrams one at a time, no
# handshake (every datagram carries its session's CID); the same CIDs
# every run (seed).  Report in NAME.json, sessions in NAME.sessions.
client_run()
{
	wgw_lab_client -n 4 --sockets 4 -c 40 --inflight 1 --seed 7 --no-handshake \
		--expect-clean --json "$WGW_TMP/$1.json" --dump-sessions "$WGW_TMP/$1.sessions" \
		>"$WGW_TMP/$1.txt" || { cat "$WGW_TMP/$1.txt"; wgw_fail "client run $1 failed"; }
}

t_capture()
{
	local fam=$1 mode=$2 tx rx n cid ctx crx ipf=ip
	[ "$fam" = 6 ] && ipf=ipv6
	wgw_lab_up "$fam"
	# A fresh gateway: no sessions left by the previous subtest's.
	rm -f "$WGW_TMP/sessions.state"
	# Complete checksums from the hosts (no CHECKSUM_PARTIAL over the
	# veths), so tshark can check every header, before the NAT too.
	wgw_in cl ethtool -K cl0 tx off >/dev/null || wgw_fail "ethtool cl0"
	wgw_in be ethtool -K be0 tx off >/dev/null || wgw_fail "ethtool be0"
	wgw_lab_backends
	wgw_lab_gateway --mode "$mode"
	client_run first
	read -r _ cid _ _ _ ctx crx _ < <(head -n 1 "$WGW_TMP/first.sessions")

	# Four captures at once: all traffic, one CID, drops, and one whose
	# client never reads.
	cap_start all --duration 4
	cap_start one --duration 4 cid "$cid"
	cap_start drops --duration 4 --drops
	cap_start idle --duration 4 client 192.0.2.99	# no such client
	client_run second
	read -r _ cid _ _ _ ctx crx _ < <(grep " $cid " "$WGW_TMP/second.sessions")
	udp 0000000000000000 48 3	# CID 0
	udp 1122334455667788 10 2	# shorter than a WRAITH header
	cap_wait all
	cap_wait one
	cap_wait drops
	cap_wait idle
	wgw_assert_eq 0 "$(tsk idle | wc -l)" "packets of a client that sent none"

	tx=$(jq .tx_packets "$WGW_TMP/second.json")
	rx=$(jq .rx_packets "$WGW_TMP/second.json")
	n=$(tsk all -Y '!(frame.comment contains "drop:")' | wc -l)
	wgw_log "client tx $tx rx $rx; captured $n; $(cat "$WGW_TMP/all.err")"
	wgw_assert_eq $((2 * (tx + rx))) "$n" "forwarded packets in the capture of all traffic"
	wgw_assert_eq "$tx" "$(tsk all -Y 'frame.comment matches "^in wan0"' | wc -l)" \
		"WAN in records"
	wgw_assert_eq "$tx" \
		"$(tsk all -Y 'frame.comment matches "^out lan0 to" and frame.comment contains " NAT "' | wc -l)" "LAN out records"
	wgw_assert_eq "$rx" "$(tsk all -Y 'frame.comment matches "^in lan0"' | wc -l)" \
		"LAN in records"
	wgw_assert_eq "$rx" "$(tsk all -Y 'frame.comment matches "^out wan0 to"' | wc -l)" \
		"WAN out records"
	# Valid headers before and after the NAT.
	wgw_assert_eq 0 "$(tsk all -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-Y 'ip.checksum.status == "Bad" || udp.checksum.status == "Bad" || _ws.malformed || _ws.expert.severity >= "warning"' | wc -l)" \
		"packets with bad or malformed headers"
	# After the NAT: from the NAT address to a backend, and from the VIP
	# to the client.
	wgw_assert_eq "$tx" "$(tsk all -Y "frame.comment matches \"^out lan0\" && $ipf.src == $WGW_LAB_NAT && udp.srcport >= 20000" | wc -l)" \
		"LAN out records from the NAT address"
	wgw_assert_eq "$rx" "$(tsk all -Y "frame.comment matches \"^out wan0\" && $ipf.src == $WGW_LAB_VIP && udp.srcport == $WGW_LAB_PORT" | wc -l)" \
		"WAN out records from the VIP"
	wgw_assert_eq "$tx" "$(tsk all -Y "frame.comment matches \"^in wan0\" && $ipf.dst == $WGW_LAB_VIP && udp.dstport == $WGW_LAB_PORT" | wc -l)" \
		"WAN in records to the VIP"

	# One CID: that session only, both ways, before and after the NAT.
	wgw_assert_eq $((2 * (ctx + crx))) "$(tsk one | wc -l)" "packets of CID $cid"
	wgw_assert_eq "$cid" "$(tsk one -T fields -e udp.payload | cut -c1-16 | sort -u)" \
		"CIDs in the capture of CID $cid"

	# Drops: exactly the five, each with its reason; in the XDP path,
	# the program's.
	n=$(tsk drops | wc -l)
	wgw_assert_eq 5 "$n" "packets in the capture of drops"
	wgw_assert_eq 5 "$(tsk drops -Y 'frame.comment matches "^drop: [a-z0-9_-]+ \\("' | wc -l)" \
		"drops with a reason"
	if [ "$mode" = auto ]; then
		wgw_assert_eq 5 "$(tsk drops -Y 'frame.comment contains "(xdp wan0"' | wc -l)" \
			"drops made by the XDP program"
	fi
	wgw_assert_eq 5 "$(tsk all -Y 'frame.comment contains "drop:"' | wc -l)" \
		"drops in the capture of all traffic"

	# A client that asks for a capture and never reads stalls nothing:
	# a closed-loop run through the gateway stays clean, the daemon
	# answers, and the capture loses records (counted) instead of
	# waiting; at its end the daemon gives up on it.
	n=$(grep -c 'records lost' "$WGW_TMP/gatewayd.log")
	wgw_bg gw perl -e '
		use strict; use IO::Socket::UNIX;
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n";
		$s->print("capture duration=5\n");
		sleep 30;
	' "$WGW_TMP/control.sock"
	STUCK_PID=$WGW_BG_PID
	wgw_lab_client -n 64 --sockets 64 -c 60000 --inflight 64 --seed 9 --no-handshake \
		--expect-clean >"$WGW_TMP/busy.txt" ||
		{ cat "$WGW_TMP/busy.txt"; wgw_fail "client run beside a stuck capture failed"; }
	gwctl ping | grep -q '^pong' || wgw_fail "the daemon does not answer beside a stuck capture"
	wgw_wait_for 15 stuck_ended "$n" || wgw_fail "the stuck capture never ended"
	grep 'records lost' "$WGW_TMP/gatewayd.log" | tail -n 1 | grep -q ' [1-9][0-9]* (client too slow)' ||
		wgw_fail "the stuck capture lost nothing: $(grep 'records lost' "$WGW_TMP/gatewayd.log" | tail -n 1)"
	wgw_stop "$STUCK_PID" || true
	wgw_alive "$WGW_LAB_GW_PID" || wgw_fail "the daemon died"

	# A client that goes away in the middle of a capture ends it.
	n=$(grep -c 'the client went away' "$WGW_TMP/gatewayd.log")
	wgw_in gw perl -e '
		use strict; use IO::Socket::UNIX;
		my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n";
		$s->print("capture\n");
		$s->read(my $buf, 64) or die "no reply\n";
		$buf =~ /^OK stream\n/ or die "reply: $buf\n";
	' "$WGW_TMP/control.sock" || wgw_fail "capture client"
	wgw_wait_for 10 went_away "$n" || wgw_fail "a capture outlived its client"
	cap_start after -c 2
	udp 0000000000000000 48 2
	cap_wait after
	wgw_assert_eq 2 "$(tsk after | wc -l)" "packets of a capture after the stuck one"
	t_trace
}

went_away()
{
	[ "$(grep -c 'the client went away' "$WGW_TMP/gatewayd.log")" -gt "$1" ]
}

stuck_ended()
{
	[ "$(grep -c 'records lost' "$WGW_TMP/gatewayd.log")" -gt "$1" ]
}

[ "${WGW_TEST_QUICK:-0}" = 1 ] && : "${WGW_CAPTURE_FAMILIES:=4}"
for fam in ${WGW_CAPTURE_FAMILIES:-4 6}; do
	for mode in fallback auto; do
		wgw_run "capture-ipv$fam-$mode" t_capture "$fam" "$mode"
	done
done
wgw_done
