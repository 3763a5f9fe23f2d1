#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# End to end: the XDP classifier on the receiving end of a veth steers
# WRAITH datagrams for the VIP into a copy-mode AF_XDP socket, drops VIP
# traffic that cannot be WRAITH, and leaves everything else (ARP, ICMP, UDP
# to other ports) to the kernel.  Exact counts on every side; nothing stays
# attached after the receiver exits, is SIGKILLed, or replaces a stale
# program.  Datagrams for the VIP that the kernel itself would not accept
# as sent to this host (another MAC, broadcast, a VLAN tag), or that it or a
# router would drop (TTL 1, martian or own source, bad IPv4 header
# checksum, IPv6 UDP checksum 0), are crafted on the wire and must never
# reach the socket: passed to the kernel or dropped, each under its reason.
#
#   cli (c0) ---- veth ---- (g0) gw: wraith_xdp + AF_XDP socket on queue 0
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"

wgw_require_root
TOOL=$(wgw_tool wgw-xsk-rx) || exit 1
OBJ="$WGW_TOP_BUILDDIR/bpf/wraith_xdp.bpf.o"

GOOD=200	# valid WRAITH datagrams to the VIP
SHORT=10	# 23-byte payloads to the VIP
CID0=10		# CID 0 to the VIP
OTHER=20	# UDP to another port: the kernel's
PINGS=3

# Frames crafted from the client's side (python3 from Debian, standard
# library only: an AF_PACKET socket), so that nothing in the client's
# kernel fixes them.
#   craft.py IFACE DST_MAC FAMILY KIND COUNT
CRAFT='
import socket, struct, sys

ifc, dmac, fam, kind, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
cli, gw = ("10.77.0.1", "10.77.0.2") if fam == "4" else ("fd77::1", "fd77::2")
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

src, ttl, eth_dst, tag, bad_ip, zero_udp = cli, 64, mac(dmac), b"", False, False
if kind == "otherhost":
    eth_dst = mac("02:00:00:00:77:99")
elif kind == "l2multicast":
    eth_dst = mac("ff:ff:ff:ff:ff:ff" if fam == "4" else "33:33:00:00:00:01")
elif kind == "vlan":
    tag = struct.pack("!HH", 0x8100, 5)
elif kind == "ttl":
    ttl = 1
elif kind == "martian":
    src = "127.0.0.1" if fam == "4" else "::1"
elif kind == "linklocal":
    src = "fe80::1"
elif kind == "spoofed":
    src = gw
elif kind == "ipcsum":
    bad_ip = True
elif kind == "udpcsum0":
    zero_udp = True
elif kind != "good":
    sys.exit("unknown kind " + kind)

payload = struct.pack("!Q", 0x0123456789abcdef) + bytes(range(56))
ulen = 8 + len(payload)
af = socket.AF_INET if fam == "4" else socket.AF_INET6
s_b, d_b = socket.inet_pton(af, src), socket.inet_pton(af, gw)
if fam == "4":
    pseudo = s_b + d_b + struct.pack("!BBH", 0, 17, ulen)
else:
    pseudo = s_b + d_b + struct.pack("!IxxxB", ulen, 17)
udp = struct.pack("!HHHH", 51000, 8420, ulen, 0) + payload
c = 0 if zero_udp else (csum(pseudo + udp) or 0xffff)
udp = udp[:6] + struct.pack("!H", c) + udp[8:]
if fam == "4":
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, ttl, 17, 0, s_b, d_b)
    c = csum(ip) ^ (0x5a5a if bad_ip else 0)
    ip = ip[:10] + struct.pack("!H", c) + ip[12:] + udp
    et = 0x0800
else:
    ip = struct.pack("!IHBB", 6 << 28, ulen, 17, ttl) + s_b + d_b + udp
    et = 0x86dd
frame = eth_dst + mac("02:00:00:00:77:01") + tag + struct.pack("!H", et) + ip
sk = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sk.bind((ifc, 0))
for _ in range(count):
    sk.send(frame)
'

# Two namespaces, one veth, IPv4 and IPv6 on it.
topology()
{
	wgw_ns_add cli
	wgw_ns_add gw
	wgw_veth cli c0 gw g0
	wgw_addr cli c0 10.77.0.1/24
	wgw_addr gw g0 10.77.0.2/24
	wgw_addr cli c0 fd77::1/64
	wgw_addr gw g0 fd77::2/64
}

has_xdp()
{
	ip -n "$(wgw_nsname gw)" link show dev g0 | grep -q 'xdp'
}

no_xdp()
{
	! has_xdp
}

# key=value from a tool's output file
val()
{
	local v
	v=$(awk -F= -v k="$2" '$1 == k { print $2 }' "$1")
	printf '%s\n' "${v:-missing}"
}

# steer MODE DST_ADDR VIP_PORTS GOOD_PORT OTHER_PORT
steer()
{
	local mode=$1 dst=$2 vip=$3 port=$4 other=$5 hp rx_pid l_pid rc
	local tag="$mode.$port" rx ready lis lready
	rx="$WGW_TMP/rx.$tag.out" ready="$WGW_TMP/rx.$tag.ready"
	lis="$WGW_TMP/lis.$tag.out" lready="$WGW_TMP/lis.$tag.ready"

	topology
	case $dst in *:*) hp="[$dst]" ;; *) hp=$dst ;; esac

	wgw_bg gw "$TOOL" listen -b "$hp:$other" -t 20 -n "$OTHER" -r "$lready" >"$lis"
	l_pid=$WGW_BG_PID
	wgw_bg gw "$TOOL" rx -i g0 -m "$mode" -v "$hp:$vip" -t 20 -n "$GOOD" -r "$ready" >"$rx"
	rx_pid=$WGW_BG_PID
	wgw_wait_for 10 test -e "$ready" || wgw_fail "receiver not ready"
	wgw_wait_for 10 test -e "$lready" || wgw_fail "listener not ready"
	has_xdp || wgw_fail "no XDP program on g0 while the receiver runs"

	# Bad WRAITH first: dropped by the program, never seen by the socket.
	wgw_in cli "$TOOL" send -d "$hp:$port" -n "$SHORT" -s 23 -p 200 >/dev/null ||
		wgw_fail "send short"
	wgw_in cli "$TOOL" send -d "$hp:$port" -n "$CID0" -s 64 -c 0 -p 200 >/dev/null ||
		wgw_fail "send cid 0"
	# The kernel's traffic still reaches the kernel.
	wgw_in cli "$TOOL" ping -d "$dst" -n "$PINGS" >"$WGW_TMP/ping.out" ||
		wgw_fail "ping through the XDP program: $(cat "$WGW_TMP/ping.out")"
	wgw_in cli "$TOOL" send -d "$hp:$other" -n "$OTHER" -s 64 -p 200 >/dev/null ||
		wgw_fail "send other"
	# Paced: a veth with an XDP program queues at most 256 frames.
	wgw_in cli "$TOOL" send -d "$hp:$port" -n "$GOOD" -s 100 -p 100 >/dev/null ||
		wgw_fail "send good"

	rc=0
	wait "$rx_pid" || rc=$?
	cat "$rx" >&2
	wgw_assert_eq 0 "$rc" "receiver exit status"
	rc=0
	wait "$l_pid" || rc=$?
	wgw_assert_eq 0 "$rc" "listener exit status"

	wgw_assert_eq "$mode" "$(val "$rx" mode)" "attach mode"
	wgw_assert_eq "$GOOD" "$(val "$rx" rx_packets)" "AF_XDP packets"
	wgw_assert_eq "$GOOD" "$(val "$rx" rx_wraith_ok)" "WRAITH packets to the VIP"
	wgw_assert_eq "$GOOD" "$(val "$rx" xdp.vip_redirect)" "vip_redirect"
	wgw_assert_eq "$GOOD" "$(val "$rx" xdp.redirect)" "redirect"
	wgw_assert_eq 0 "$(val "$rx" xdp.vip_pass_no_xsk)" "vip_pass_no_xsk"
	wgw_assert_eq "$SHORT" "$(val "$rx" xdp.vip_drop_short)" "vip_drop_short"
	wgw_assert_eq "$CID0" "$(val "$rx" xdp.vip_drop_cid0)" "vip_drop_cid0"
	wgw_assert_eq $((SHORT + CID0)) "$(val "$rx" xdp.drop)" "drop"
	wgw_assert_eq 0 "$(val "$rx" xdp.vip_drop_bad_udp_len)" "vip_drop_bad_udp_len"
	wgw_assert_eq "$OTHER" "$(val "$rx" xdp.pass_other_dst)" "pass_other_dst"
	wgw_assert_eq "$OTHER" "$(val "$lis" udp_received)" "datagrams to the kernel socket"
	wgw_assert_ge "$(val "$rx" xdp.pass_not_udp)" "$PINGS" "pass_not_udp (echo requests)"
	wgw_assert_eq 0 "$(val "$rx" xdp.nat_redirect)" "nat_redirect"

	wgw_wait_for 2 no_xdp || wgw_fail "XDP program left on g0 after exit"
}

# kernel_rules MODE FAMILY: every crafted kind n times, then the valid
# datagrams; the socket gets exactly the valid ones (the receiver runs
# until stopped, so whatever else it got would show).
kernel_rules()
{
	local mode=$1 fam=$2 vip rx ready rc=0 gmac kind kinds n=10 good=20
	local -A want

	topology
	printf '%s' "$CRAFT" >"$WGW_TMP/craft.py"
	[ "$fam" = 4 ] && vip=10.77.0.2:8420 || vip=[fd77::2]:8420
	gmac=$(ip -n "$(wgw_nsname gw)" -br link show dev g0 | awk '{ print $3 }')
	rx="$WGW_TMP/rules.$mode.$fam.out" ready="$WGW_TMP/rules.$mode.$fam.ready"
	wgw_bg gw "$TOOL" rx -i g0 -m "$mode" -v "$vip" -t 30 -r "$ready" >"$rx"
	wgw_wait_for 10 test -e "$ready" || wgw_fail "receiver not ready"

	want=([pass_otherhost]=$n [pass_l2_multicast]=$n [pass_vlan]=$n
	      [vip_drop_ttl]=$n [vip_drop_martian_src]=$n [vip_drop_spoofed_src]=$n
	      [vip_drop_ip_csum]=0 [vip_drop_udp6_csum0]=0)
	kinds="otherhost l2multicast vlan ttl martian spoofed"
	if [ "$fam" = 4 ]; then
		kinds="$kinds ipcsum udpcsum0"	# UDP checksum 0: allowed on IPv4
		want[vip_drop_ip_csum]=$n
	else
		kinds="$kinds linklocal udpcsum0"
		want[vip_drop_martian_src]=$((2 * n))
		want[vip_drop_udp6_csum0]=$n
	fi
	for kind in $kinds; do
		wgw_in cli /usr/bin/python3 "$WGW_TMP/craft.py" c0 "$gmac" "$fam" "$kind" "$n" ||
			wgw_fail "craft $kind"
	done
	# The IPv4 frames with UDP checksum 0 are valid: they count as good.
	[ "$fam" = 4 ] && good=$((good - n))
	wgw_in cli /usr/bin/python3 "$WGW_TMP/craft.py" c0 "$gmac" "$fam" good "$good" ||
		wgw_fail "craft good"
	sleep 1		# frames in flight on the veth
	kill -TERM "$WGW_BG_PID"
	wait "$WGW_BG_PID" || rc=$?
	cat "$rx" >&2
	wgw_assert_eq 0 "$rc" "receiver exit status"
	wgw_assert_eq 20 "$(val "$rx" rx_packets)" "AF_XDP packets: only the valid ones"
	wgw_assert_eq 20 "$(val "$rx" xdp.vip_redirect)" "vip_redirect"
	for kind in "${!want[@]}"; do
		wgw_assert_eq "${want[$kind]}" "$(val "$rx" "xdp.$kind")" "$kind"
	done
	wgw_assert_eq $((n * (fam == 4 ? 4 : 5))) "$(val "$rx" xdp.drop)" "drop"
	wgw_wait_for 2 no_xdp || wgw_fail "XDP program left on g0 after exit"
}

# The XDP program's reason NAME on wan0 in the daemon's last counter dump
# (SIGUSR1): the dump starts with "engine: " and lists only series that
# are not 0.
gw_xdp_counter()
{
	awk -v k="reason=\"$1\"} " 'index($0, "engine: ") { v = 0 }
		index($0, "wraith_gateway_xdp_reason_packets_total{interface=\"wan0\",") &&
		index($0, k) { v = substr($0, index($0, k) + length(k)) }
		END { print v + 0 }' "$WGW_TMP/gatewayd.log"
}

gw_dump_counters()
{
	local before
	before=$(grep -c 'engine: ' "$WGW_TMP/gatewayd.log")
	kill -USR1 "$WGW_LAB_GW_PID"
	wgw_wait_for 5 gw__dumped "$before" || wgw_fail "no counters logged"
	sleep 0.5	# the rest of the dump
}

gw__dumped()
{
	[ "$(grep -c 'engine: ' "$WGW_TMP/gatewayd.log")" -gt "$1" ]
}

# mac_change FAMILY: the daemon's WAN interface changes its MAC while it
# runs; the program must steer frames to the new one at once (none left to
# the kernel as another host's), so the daemon has to hand it over.
mac_change()
{
	local r="$WGW_TMP/client.txt" redirect
	wgw_lab_up "$1" 1
	wgw_lab_backends
	wgw_lab_gateway --mode xdp-copy
	wgw_lab_client -n 10 --sockets 5 -d 1 --expect-clean >"$r" ||
		{ cat "$r"; wgw_fail "client before the change"; }
	gw_dump_counters
	redirect=$(gw_xdp_counter vip_redirect)
	wgw_assert_ge "$redirect" 10 "vip_redirect before the change"
	wgw_assert_eq 0 "$(gw_xdp_counter pass_otherhost)" "pass_otherhost before the change"

	wgw_in gw ip link set dev wan0 address 02:00:00:00:0a:77 || wgw_fail "set the MAC"
	wgw_wait_for 5 grep -q 'interface wan0: MAC address changed' "$WGW_TMP/gatewayd.log" ||
		wgw_fail "the daemon did not see the MAC change"
	# The client learns the new MAC (gratuitous ARP / unsolicited NA may
	# or may not have reached it yet).
	wgw_in cl ip neigh flush dev cl0
	wgw_lab_client -n 10 --sockets 5 -d 1 --expect-clean >"$r" ||
		{ cat "$r"; wgw_fail "client after the change"; }
	wgw_assert_eq "$(wgw_kv "$r" handshakes_ok)" 10 "handshakes after the change"
	gw_dump_counters
	wgw_assert_eq 0 "$(gw_xdp_counter pass_otherhost)" "pass_otherhost after the change"
	wgw_assert_eq 0 "$(gw_xdp_counter pass_no_ifmac)" "pass_no_ifmac after the change"
	wgw_assert_ge "$(gw_xdp_counter vip_redirect)" $((redirect + 10)) \
		"vip_redirect after the change"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "exit status"
}

# The receiver is SIGKILLed: its bpf_link goes with it.
sigkill()
{
	local ready="$WGW_TMP/kill.ready"

	topology
	wgw_bg gw "$TOOL" rx -i g0 -v 10.77.0.2:8420 -t 30 -r "$ready" >/dev/null
	wgw_wait_for 10 test -e "$ready" || wgw_fail "receiver not ready"
	has_xdp || wgw_fail "no XDP program on g0 while the receiver runs"
	kill -KILL "$WGW_BG_PID"
	wait "$WGW_BG_PID" 2>/dev/null
	wgw_wait_for 2 no_xdp || wgw_fail "XDP program left on g0 after SIGKILL"
}

# Our program attached through netlink (what ip(8) or an old gateway does)
# is stale: the receiver replaces it, works, and leaves nothing behind.
stale()
{
	local rx="$WGW_TMP/stale.out" ready="$WGW_TMP/stale.ready" rc=0

	topology
	[ -f "$OBJ" ] || wgw_skip "no $OBJ"
	ip -n "$(wgw_nsname gw)" link set dev g0 xdpdrv obj "$OBJ" sec xdp 2>"$WGW_TMP/ip.err" ||
		wgw_skip "ip(8) cannot load BPF objects here: $(cat "$WGW_TMP/ip.err")"
	has_xdp || wgw_fail "ip(8) did not attach"
	wgw_bg gw "$TOOL" rx -i g0 -v 10.77.0.2:8420 -t 20 -n 5 -r "$ready" >"$rx" 2>"$rx.err"
	wgw_wait_for 10 test -e "$ready" || wgw_fail "receiver not ready: $(cat "$rx.err")"
	wgw_in cli "$TOOL" send -d 10.77.0.2:8420 -n 5 -s 64 -p 1000 >/dev/null
	wait "$WGW_BG_PID" || rc=$?
	cat "$rx.err" >&2
	wgw_assert_eq 0 "$rc" "receiver exit status"
	grep -q 'detached stale' "$rx.err" || wgw_fail "no 'detached stale' notice"
	wgw_assert_eq 5 "$(val "$rx" rx_wraith_ok)" "WRAITH packets to the VIP"
	wgw_wait_for 2 no_xdp || wgw_fail "XDP program left on g0 after exit"
}

wgw_run "native IPv4, one port" steer native 10.77.0.2 8420 8420 9000
wgw_run "native IPv6, port range" steer native fd77::2 40000-50000 50000 39999
wgw_run "generic IPv4, port range" steer generic 10.77.0.2 40000-50000 40000 50001
wgw_run "kernel's rules, native IPv4" kernel_rules native 4
wgw_run "kernel's rules, native IPv6" kernel_rules native 6
wgw_run "kernel's rules, generic IPv4" kernel_rules generic 4
wgw_run "kernel's rules, generic IPv6" kernel_rules generic 6
wgw_run "the daemon follows a MAC change, IPv4" mac_change 4
wgw_run "the daemon follows a MAC change, IPv6" mac_change 6
wgw_run "SIGKILL leaves nothing attached" sigkill
wgw_run "stale own program replaced" stale
wgw_done
