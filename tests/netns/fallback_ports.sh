#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The fallback ports end to end, in namespaces:
#
#   cl (client) --veth-- gw --veth-- be (backend)
#   c0 10.71.1.2         gc 10.71.1.1, VIPs 10.71.1.10 fd71:1::10
#      fd71:1::2         gb 10.71.2.1     b0 10.71.2.2 fd71:2::2
#                        TUN owns G = 10.71.2.100 / fd71:2::100
#
# In gw, tests/netns/fallback_ports runs the UDP port (VIP sockets) and the
# TUN port (route G/32 dev TUN, proxy ARP/NDP for G on gb, per-interface
# sysctls as platform-notes.md describes) joined by a small NAT loop of its
# own (not the engine).  Clients in cl check that every answer comes from
# exactly the VIP address and port they used and that the backend saw
# G and one NAT port; the kernels must count no UDP checksum errors.
# Also: unrelated packets the kernel writes into the TUN are counted, not
# forwarded; a VIP range over the limit is refused; rough pps of the loop.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

wgw_require_root
[ -c /dev/net/tun ] || wgw_skip "no /dev/net/tun"

FP=$WGW_TOP_BUILDDIR/tests/netns/fallback_ports
[ -x "$FP" ] || wgw_fail "$FP not built (make tests/netns/fallback_ports)"

VIP4=10.71.1.10
VIP6=fd71:1::10
G4=10.71.2.100
G6=fd71:2::100
BE4=10.71.2.2
BE6=fd71:2::2
BEPORT=9000

# fp_stat KEY: a counter of the gw loop (file rewritten every 200 ms).
fp_stat()
{
	awk -v k="$1" '$1 == k { print $2 }' "$WGW_TMP/stats"
}

fp__stat_ge()
{
	local v
	v=$(fp_stat "$1")
	[ -n "$v" ] && [ "$v" -ge "$2" ]
}

# fp_wait_stat KEY MIN [TIMEOUT_S]
fp_wait_stat()
{
	wgw_wait_for "${3:-5}" fp__stat_ge "$1" "$2" ||
		wgw_fail "gw counter $1 stayed at '$(fp_stat "$1")', expected >= $2"
}

# The next counters file (so that values read are at least this fresh).
fp_fresh()
{
	local t
	t=$(fp_stat time_ms)
	fp_wait_stat time_ms $((t + 1)) 2
}

# fp_setup QUEUES GW-ARGS...: namespaces, addresses, the gw program, the TUN
# routing, echo backends.
fp_setup()
{
	local q=$1 tun i
	shift

	wgw_ns_add cl
	wgw_ns_add gw
	wgw_ns_add be
	# No DAD on the link-local addresses the veths get: until it ends, the
	# kernel cannot resolve neighbours and holds the first datagrams ~2 s.
	for i in cl gw be; do
		wgw_in $i sysctl -qw net.ipv6.conf.default.accept_dad=0
	done
	wgw_veth cl c0 gw gc "$q"
	wgw_veth gw gb be b0 "$q"
	wgw_addr cl c0 10.71.1.2/24
	wgw_addr cl c0 fd71:1::2/64
	wgw_addr gw gc 10.71.1.1/24
	wgw_addr gw gc fd71:1::1/64
	wgw_addr gw gc $VIP4/32
	wgw_addr gw gc $VIP6/128
	wgw_addr gw gb 10.71.2.1/24
	wgw_addr gw gb fd71:2::1/64
	wgw_addr be b0 $BE4/24
	wgw_addr be b0 $BE6/64

	rm -f "$WGW_TMP/ready" "$WGW_TMP/stats"
	wgw_bg gw "$FP" gw --tun wgwfb%d --nat $G4 --nat $G6 \
		--backend $BE4:$BEPORT --backend "[$BE6]:$BEPORT" \
		--ready "$WGW_TMP/ready" --stats "$WGW_TMP/stats" --verify "$@" \
		>>"$WGW_TMP/gw.log" 2>&1
	GW_PID=$WGW_BG_PID
	wgw_wait_for 5 test -s "$WGW_TMP/ready" ||
		wgw_fail "gw did not start: $(cat "$WGW_TMP/gw.log")"
	tun=$(awk '{ print $1 }' "$WGW_TMP/ready")
	TUN=$tun
	[ "$(wgw_in gw cat /sys/class/net/"$tun"/tun_flags)" != "" ] ||
		wgw_fail "TUN $tun missing"
	wgw_assert_eq 4096 "$(wgw_in gw cat /sys/class/net/"$tun"/tx_queue_len)" "TUN txqueuelen"
	wgw_in gw ip link show "$tun" | grep -q "[<,]UP[,>]" || wgw_fail "TUN $tun is not up"

	# G lives behind the TUN; the LAN side answers ARP/NDP for it.
	wgw_in gw ip route add $G4/32 dev "$tun" || wgw_fail "route G4"
	wgw_in gw ip -6 route add $G6/128 dev "$tun" || wgw_fail "route G6"
	wgw_in gw ip neigh add proxy $G4 dev gb || wgw_fail "proxy arp"
	wgw_in gw ip -6 neigh add proxy $G6 dev gb || wgw_fail "proxy ndp"
	for i in gb "$tun"; do
		wgw_in gw sysctl -qw net.ipv4.conf."$i".forwarding=1 ||
			wgw_fail "sysctl ipv4 forwarding $i"
		wgw_in gw sysctl -qw net.ipv6.conf."$i".force_forwarding=1 ||
			wgw_fail "sysctl ipv6 force_forwarding $i"
	done
	wgw_in gw sysctl -qw net.ipv6.conf.gb.forwarding=1 || wgw_fail "sysctl v6 fwd"
	wgw_in gw sysctl -qw net.ipv6.conf.gb.proxy_ndp=1 || wgw_fail "sysctl proxy_ndp"
	[ "$(wgw_in gw sysctl -n net.ipv4.conf.all.forwarding)" = 0 ] ||
		wgw_fail "forwarding must stay off for the whole namespace"

	wgw_bg be "$FP" echo $BE4:$BEPORT >>"$WGW_TMP/be.log" 2>&1
	wgw_bg be "$FP" echo "[$BE6]:$BEPORT" >>"$WGW_TMP/be.log" 2>&1
	wgw_wait_udp be $BEPORT
	wgw_wait_for 5 test -s "$WGW_TMP/stats" || wgw_fail "no counters from gw"
	# Socket buffers past net.core.rmem_max (SO_RCVBUFFORCE): the default
	# budget, 8 MiB shared by the VIP sockets, doubled by the kernel.
	i=$(wgw_in gw ss -Huamn | grep -o 'rb[0-9]*' | head -1)
	wgw_assert_ge "${i#rb}" $((2 * 256 * 1024)) "VIP socket receive buffer"
}

# fp_client TO EXPECT_NAT [ARGS]: one client run, must print "ok".
fp_client()
{
	local out
	out=$(wgw_in cl "$FP" client --to "$1" --expect-nat "$2" "${@:3}") ||
		wgw_fail "client to $1: $out"
	wgw_log "client to $1: $out"
	FP_LAST=$out
}

# No UDP checksum errors in the client's and the backend's kernels, and
# none seen by the gw loop in frames the ports handed over.
fp_check_clean()
{
	local ns c v
	for ns in cl be; do
		for c in UdpInCsumErrors Udp6InCsumErrors; do
			v=$(wgw_nstat $ns $c) || wgw_fail "no counter $c in $ns"
			wgw_assert_eq 0 "$v" "$ns $c"
		done
	done
	fp_fresh
	for c in loop_csum_bad loop_not_udp loop_nat_miss loop_be_mismatch \
		udp_tx_foreign udp_tx_bad udp_tx_errors udp_rx_truncated \
		tun_tx_bad tun_tx_errors tun_rx_malformed tun_rx_gso; do
		wgw_assert_eq 0 "$(fp_stat $c)" "gw $c"
	done
}

# ------------------------------------------------------------------ tests

# Both families, several clients and sizes, a VIP port range (epoll path).
t_forward()
{
	local n p1 p2

	fp_setup 1 --vip $VIP4:8420 --vip $VIP4:8500-8503 --vip "[$VIP6]:8420" "$@"
	fp_client $VIP4:8420 $G4 --count 50 --size 64
	p1=${FP_LAST##* }
	fp_client $VIP4:8420 $G4 --count 20 --size 1400
	p2=${FP_LAST##* }
	wgw_assert_ne "$p1" "$p2" "NAT port of a second client endpoint"
	fp_client $VIP4:8502 $G4 --count 20 --size 200
	fp_client "[$VIP6]:8420" $G6 --count 50 --size 64
	fp_client "[$VIP6]:8420" $G6 --count 20 --size 1400
	fp_check_clean
	n=$(fp_stat loop_to_lan)
	wgw_assert_ge "$n" 160 "datagrams forwarded to the LAN"
	wgw_assert_eq "$n" "$(fp_stat loop_to_wan)" "answers forwarded to the WAN"
	wgw_assert_eq "$n" "$(fp_stat tun_tx)" "TUN writes"
	wgw_assert_eq "$n" "$(fp_stat udp_tx)" "sendmmsg'd datagrams"
	FP_STATS=$(tr '\n' ' ' <"$WGW_TMP/stats")
	wgw_log "gw counters: $FP_STATS"
}

# Default: the backend's datagrams come over veth CHECKSUM_PARTIAL, so the
# TUN port finishes their checksums; IPv4 from the UDP port has checksum 0
# and goes into the TUN as CHECKSUM_PARTIAL.
t_forward_default()
{
	t_forward
	wgw_assert_ge "$(fp_stat tun_rx_csum_completed)" 1 "partial checksums finished on TUN RX"
	wgw_assert_ge "$(fp_stat tun_tx_csum_offload)" 1 "IPv4 checksums left to the kernel on TUN TX"
}

# No checksum offload on the gw's LAN veth (nor the backend's): the kernel
# computes the checksum we asked for in software and the backend verifies
# every datagram in full; the backend's datagrams arrive complete.
t_forward_tx_off()
{
	fp_setup 1 --vip $VIP4:8420 --vip "[$VIP6]:8420"
	wgw_in gw ethtool -K gb tx off >/dev/null 2>&1 || wgw_skip "ethtool -K tx off not supported"
	wgw_in be ethtool -K b0 tx off >/dev/null 2>&1 || wgw_skip "ethtool -K tx off not supported"
	fp_client $VIP4:8420 $G4 --count 50 --size 64
	fp_client $VIP4:8420 $G4 --count 20 --size 1401
	fp_client "[$VIP6]:8420" $G6 --count 50 --size 333
	fp_check_clean
	wgw_assert_eq 0 "$(fp_stat tun_rx_csum_completed)" "nothing partial from a backend without offload"
	wgw_assert_ge "$(fp_stat tun_tx_csum_offload)" 70 "IPv4 checksums left to the kernel"
	wgw_assert_ge "$(wgw_nstat be UdpInDatagrams)" 70 "backend datagrams (verified in software)"
}

# IPv4 checksums computed by the UDP port instead of left at 0; no GSO,
# and bursts, so that plain sendmmsg() batches carry several datagrams.
t_forward_ip4_csum()
{
	fp_setup 1 --vip $VIP4:8420 --ip4-csum --no-gso
	wgw_in gw ethtool -K gb tx off >/dev/null 2>&1 || true
	fp_client $VIP4:8420 $G4 --count 50 --size 100
	fp_client $VIP4:8420 $G4 --count 320 --burst 32 --size 500
	fp_check_clean
	wgw_assert_eq 0 "$(fp_stat tun_tx_csum_offload)" "offload requests with complete checksums"
	wgw_assert_eq 0 "$(fp_stat udp_tx_gso_sends)" "GSO messages with GSO off"
}

# Two workers on a two-queue TUN and two-queue veths, clients in parallel.
t_multiqueue()
{
	local pids=() i rc=0

	fp_setup 2 --workers 2 --vip $VIP4:8420 --vip "[$VIP6]:8420"
	for i in 1 2 3 4; do
		wgw_in cl "$FP" client --to $VIP4:8420 --expect-nat $G4 --count 100 \
			>"$WGW_TMP/mq4.$i" 2>&1 &
		pids+=($!)
		wgw_in cl "$FP" client --to "[$VIP6]:8420" --expect-nat $G6 --count 100 \
			>"$WGW_TMP/mq6.$i" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	[ $rc = 0 ] || wgw_fail "a parallel client failed: $(cat "$WGW_TMP"/mq*); gw counters: $(tr '\n' ' ' <"$WGW_TMP/stats")"
	fp_check_clean
	# A client resends after 2 s without an answer (a loaded 2-CPU box):
	# at least 800 each way, and every one answered.
	grep "sending again" "$WGW_TMP"/mq* >&2
	wgw_assert_ge "$(fp_stat loop_to_lan)" 800 "datagrams to the LAN"
	wgw_assert_eq "$(fp_stat loop_to_lan)" "$(fp_stat loop_to_wan)" "datagrams to the WAN"
	wgw_assert_eq "$(fp_stat udp_rx)" "$(fp_stat tun_tx)" "UDP port RX vs TUN TX"
	wgw_assert_eq "$(fp_stat tun_rx)" "$(fp_stat udp_tx)" "TUN port RX vs UDP TX"
}

# Packets the kernel writes into the TUN that are not UDP to G (IPv6
# autoconf after link up; a datagram routed to another address via the
# TUN) are counted and dropped.
t_not_ours()
{
	local before lan

	fp_setup 1 --vip $VIP4:8420
	# Router solicitations / MLD reports after link up.
	fp_wait_stat tun_not_ours 1 15
	wgw_log "kernel-written packets counted as not_ours: $(fp_stat tun_not_ours)"
	fp_fresh
	before=$(fp_stat tun_not_ours)
	lan=$(fp_stat loop_to_lan)
	wgw_in gw ip route add 10.71.9.9/32 dev "$TUN" || wgw_fail "route"
	wgw_in gw "$FP" send 10.71.9.9:$BEPORT || wgw_fail "send"
	wgw_in gw "$FP" send $G4:1 || wgw_fail "send"	# UDP to G, port 1: ours, no mapping
	fp_wait_stat tun_not_ours $((before + 1))
	fp_wait_stat loop_nat_miss 1
	wgw_assert_eq "$lan" "$(fp_stat loop_to_lan)" "nothing forwarded"
	wgw_assert_eq 0 "$(fp_stat tun_tx)" "TUN writes"
	wgw_assert_eq 0 "$(wgw_nstat be UdpInDatagrams)" "datagrams at the backend"
}

# A TUN name that is taken is refused (never attach to another process's
# device and steal its traffic), and the device we create goes away with
# the process.
t_tun_exists()
{
	local out

	wgw_ns_add tx
	wgw_in tx ip tuntap add dev wgwfbx mode tun multi_queue vnet_hdr ||
		wgw_skip "ip tuntap add not supported"
	if out=$(wgw_in tx "$FP" gw --vip 127.0.0.1:8420 --nat $G4 \
		--stats "$WGW_TMP/stats" --tun wgwfbx 2>&1); then
		wgw_fail "attached to an existing TUN device"
	fi
	case $out in
	*"name is taken"*) ;;
	*) wgw_fail "refusal does not say why: $out" ;;
	esac
	wgw_in tx ip tuntap del dev wgwfbx mode tun multi_queue || wgw_fail "tuntap del"
	fp_setup 2 --workers 2 --vip $VIP4:8420
	wgw_stop "$GW_PID" || wgw_fail "gw exited with an error: $(cat "$WGW_TMP/gw.log")"
	wgw_wait_for 2 fp__no_dev "$TUN" || wgw_fail "TUN $TUN outlived the gw"
}

fp__no_dev()
{
	! wgw_in gw test -e "/sys/class/net/$1"
}

# UDP GSO on TX: answers to one client come back to back from the backend,
# the UDP port sends runs of them as one message; every datagram must still
# arrive once and intact (the last of each burst is shorter).
t_gso()
{
	local out

	fp_setup 1 --vip $VIP4:8420 --vip "[$VIP6]:8420"
	fp_client $VIP4:8420 $G4 --count 640 --burst 32 --size 300
	fp_client "[$VIP6]:8420" $G6 --count 640 --burst 32 --size 1000
	fp_client $VIP4:8420 $G4 --count 20
	fp_check_clean
	wgw_assert_ge "$(fp_stat udp_tx_gso_sends)" 1 "GSO messages sent"
	wgw_assert_eq 0 "$(fp_stat udp_tx_gso_refused)" "GSO messages refused"
	wgw_log "GSO messages: $(fp_stat udp_tx_gso_sends) for $(fp_stat udp_tx) datagrams"
}

# The same with TX checksum offload off on the WAN veth: the kernel
# segments and checksums in software (older kernels refuse with EIO; the
# port then sends those datagrams singly, counted as tx_gso_refused).
t_gso_tx_off()
{
	fp_setup 1 --vip $VIP4:8420 --vip "[$VIP6]:8420"
	wgw_in gw ethtool -K gc tx off >/dev/null 2>&1 || wgw_skip "ethtool -K tx off not supported"
	fp_client $VIP4:8420 $G4 --count 640 --burst 32 --size 300
	fp_client "[$VIP6]:8420" $G6 --count 640 --burst 32 --size 1000
	fp_check_clean
	wgw_assert_eq 1280 "$(fp_stat udp_tx)" "datagrams sent"
	wgw_log "GSO messages: $(fp_stat udp_tx_gso_sends), refused: $(fp_stat udp_tx_gso_refused)"
}

# A VIP range over the limit is refused, naming the VIP.
t_range_limit()
{
	local out

	wgw_ns_add gw
	if out=$(wgw_in gw "$FP" gw --vip 10.71.1.10:40000-50000 --nat $G4 \
		--stats "$WGW_TMP/stats" --tun wgwfb%d 2>&1); then
		wgw_fail "a 10001-port VIP range was accepted"
	fi
	case $out in
	*"10.71.1.10:40000-50000"*"1024"*) ;;
	*) wgw_fail "refusal does not name the VIP and the limit: $out" ;;
	esac
	wgw_log "refused: $out"
}

# CPU time (user + system, clock ticks) the gw process has used.
fp_cpu_ticks()
{
	awk '{ print $14 + $15 }' "/proc/$GW_PID/stat"
}

# Rough pps of the loop, both directions (not a pass/fail figure beyond
# "it moves"): a windowed flood of 64-byte datagrams for 2 s, and the gw
# process's CPU time per datagram forwarded (either direction), which the
# generator sharing the CPUs does not cap.
t_pps()
{
	local out l0 w0 t0 c0 l1 w1 t1 c1 hz args=("$@")

	hz=$(getconf CLK_TCK)
	fp_setup 1 --vip $VIP4:8420 "${args[@]}"
	fp_client $VIP4:8420 $G4 --count 1
	fp_fresh
	l0=$(fp_stat tun_tx) w0=$(fp_stat udp_tx) t0=$(fp_stat time_ms) c0=$(fp_cpu_ticks)
	out=$(wgw_in cl "$FP" flood --to $VIP4:8420 --seconds 2 --size "${FP_PPS_SIZE:-64}" --window 512)
	fp_fresh
	l1=$(fp_stat tun_tx) w1=$(fp_stat udp_tx) t1=$(fp_stat time_ms) c1=$(fp_cpu_ticks)
	wgw_log "flood: $out"
	wgw_log "pps ${FP_PPS_SIZE:-64}-byte ${args[*]:-(defaults)}: UDP->TUN $(( (l1 - l0) * 1000 / (t1 - t0) )) TUN->UDP $(( (w1 - w0) * 1000 / (t1 - t0) )) (over $((t1 - t0)) ms incl. idle); gw CPU $(( (c1 - c0) * 1000000000 / hz / (l1 - l0 + w1 - w0 + 1) )) ns per datagram forwarded; GSO messages $(fp_stat udp_tx_gso_sends)"
	wgw_assert_ge $((l1 - l0)) 1000 "datagrams through the loop"
	fp_check_clean
}

if [ -n "${FP_ONLY:-}" ]; then
	wgw_run "$FP_ONLY" "t_$FP_ONLY" ${FP_ARGS:-}
	wgw_done
fi
wgw_run forward_default t_forward_default
wgw_run forward_tx_off t_forward_tx_off
wgw_run forward_ip4_csum t_forward_ip4_csum
wgw_run multiqueue t_multiqueue
wgw_run not_ours t_not_ours
wgw_run range_limit t_range_limit
wgw_run tun_exists t_tun_exists
wgw_run gso t_gso
wgw_run gso_tx_off t_gso_tx_off
wgw_run pps t_pps
wgw_run pps_no_gso t_pps --no-gso
wgw_run pps_ip4_csum t_pps --ip4-csum --no-gso
wgw_done
