# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Network-namespace test library for wraith-gateway (bash only).
#
# Source it from a test script:
#
#	#!/bin/bash
#	[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
#	. "$(dirname "$0")/lib.sh"
#	wgw_require_root
#	wgw_ns_add cli; wgw_ns_add srv
#	wgw_veth cli c0 srv s0
#	wgw_addr cli c0 10.9.0.1/24; wgw_addr srv s0 10.9.0.2/24
#	wgw_bg srv "$(wgw_tool wraith-backend)" 10.9.0.2:8420 --id 1 >"$WGW_TMP/be.log" 2>&1
#	wgw_wait_udp srv 8420
#	...
#	wgw_done
#
# Names: every namespace is "wgw<PID>-<NAME>" and every veth is created
# directly inside its namespace (ip link add ... netns NS), so nothing is ever
# created in, or collides in, the root namespace, and parallel runs of the
# same test do not meet.  Functions take the short NAME; wgw_nsname NAME gives
# the real one for tools that want it (ip -n, ip netns exec).
#
# Cleanup: an EXIT/INT/TERM trap kills every background process started with
# wgw_bg and every process still inside our namespaces, then deletes the
# namespaces (which deletes their veths).  The registry lives in a per-run
# state file, so namespaces created in subshells (wgw_run sub-tests, plain
# "( ... )") are removed by the top-level trap even when the subshell died
# without running its own.  A sub-test run with wgw_run also cleans up its
# own namespaces when it ends, so the next sub-test starts clean.
#
# Results: wgw_run NAME FUNC [ARGS] runs a sub-test in a subshell and counts
# it as passed (exit 0), skipped (exit 77) or failed (anything else);
# wgw_fail/wgw_skip end the current (sub-)test.  At exit one summary line is
# printed ("3 passed, 0 failed, 1 skipped") and the exit status is 0 when
# nothing failed, 77 when everything was skipped, 1 otherwise.
#
# Environment: WGW_NO_SUMMARY=1 drops the summary line (the demo sources
# this library too), WGW_TOP_BUILDDIR (where the tools were built; default: the
# current directory if it holds tests/tools, else the source tree),
# WGW_KEEP=1 keeps the per-run temp dir ($WGW_TMP, holds logs) for
# inspection, WGW_VERBOSE=1 traces every command (set -x).

if [ -z "${BASH_VERSION:-}" ]; then
	echo "tests/netns/lib.sh needs bash" >&2
	exit 1
fi
[ -n "${WGW_LIB_LOADED:-}" ] && return 0
WGW_LIB_LOADED=1

WGW_SCRIPT=$(basename -- "$0")
WGW_MAIN_PID=$BASHPID
WGW_ID="wgw$$"			# unique per run; prefix of every name we create
WGW_LIB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
WGW_TOP_SRCDIR=${WGW_TOP_SRCDIR:-$(cd -- "$WGW_LIB_DIR/../.." && pwd)}
if [ -z "${WGW_TOP_BUILDDIR:-}" ]; then
	if [ -d tests/tools ] && [ -f Makefile ]; then
		WGW_TOP_BUILDDIR=$(pwd)
	else
		WGW_TOP_BUILDDIR=$WGW_TOP_SRCDIR
	fi
fi
WGW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$WGW_ID.XXXXXX") || exit 1
WGW_STATE="$WGW_TMP/.registry"	# lines: "<owner BASHPID> ns|pid <value>"
: >"$WGW_STATE"

WGW_PASS=0
WGW_FAILED=0
WGW_SKIPPED=0
WGW_CUR_TEST=""
WGW_POLL_S=0.05			# seconds between polls in wgw_wait_for

[ "${WGW_VERBOSE:-0}" = 1 ] && set -x

# ---------------------------------------------------------------- logging

wgw_log()
{
	printf '[%s%s] %s\n' "$WGW_SCRIPT" "${WGW_CUR_TEST:+:$WGW_CUR_TEST}" "$*" >&2
}

# End the current (sub-)test as failed.
wgw_fail()
{
	wgw_log "FAIL: $*"
	if [ "$BASHPID" = "$WGW_MAIN_PID" ]; then
		WGW_FAILED=$((WGW_FAILED + 1))
	fi
	exit 1
}

# End the current (sub-)test as skipped (automake: 77).
wgw_skip()
{
	wgw_log "SKIP: $*"
	if [ "$BASHPID" = "$WGW_MAIN_PID" ]; then
		WGW_SKIPPED=$((WGW_SKIPPED + 1))
	fi
	exit 77
}

# ---------------------------------------------------------------- assertions

# wgw_assert_eq EXPECTED ACTUAL WHAT
wgw_assert_eq()
{
	[ "$1" = "$2" ] || wgw_fail "${3:-value}: expected '$1', got '$2'"
}

# wgw_assert_ne UNEXPECTED ACTUAL WHAT
wgw_assert_ne()
{
	[ "$1" != "$2" ] || wgw_fail "${3:-value}: must not be '$1'"
}

# Integer comparisons: wgw_assert_ge ACTUAL MIN WHAT, wgw_assert_le ACTUAL MAX WHAT
wgw_assert_ge()
{
	[[ "$1" =~ ^-?[0-9]+$ ]] || wgw_fail "${3:-value}: '$1' is not an integer"
	[ "$1" -ge "$2" ] || wgw_fail "${3:-value}: $1 < $2"
}

wgw_assert_le()
{
	[[ "$1" =~ ^-?[0-9]+$ ]] || wgw_fail "${3:-value}: '$1' is not an integer"
	[ "$1" -le "$2" ] || wgw_fail "${3:-value}: $1 > $2"
}

# wgw_assert CMD... : the command must succeed.
wgw_assert()
{
	"$@" || wgw_fail "command failed: $*"
}

# ---------------------------------------------------------------- registry

wgw__reg()
{
	printf '%s %s %s\n' "$BASHPID" "$1" "$2" >>"$WGW_STATE"
}

# The real name of namespace NAME.
wgw_nsname()
{
	printf '%s-%s\n' "$WGW_ID" "$1"
}

# ---------------------------------------------------------------- setup

# Exit 77 (skip) unless we are root and can create network namespaces.
wgw_require_root()
{
	local probe="$WGW_ID-probe"

	[ "$(id -u)" = 0 ] || wgw_skip "needs root (network namespaces)"
	command -v ip >/dev/null || wgw_skip "needs iproute2 ('ip')"
	ip netns add "$probe" 2>/dev/null || wgw_skip "'ip netns add' does not work here"
	ip netns del "$probe"
}

# wgw_require_cmd CMD... : skip unless every command exists.
wgw_require_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || wgw_skip "needs '$c'"
	done
}

# wgw_ns_add NAME: create namespace NAME (recorded for cleanup), lo up.
wgw_ns_add()
{
	local ns
	ns=$(wgw_nsname "$1")
	ip netns add "$ns" || wgw_fail "cannot create namespace $ns"
	wgw__reg ns "$ns"
	ip -n "$ns" link set lo up || wgw_fail "cannot bring lo up in $ns"
}

# wgw_veth NS1 IF1 NS2 IF2 [QUEUES]: a veth pair between two of our
# namespaces, both ends up.  QUEUES > 1 makes it multi-queue (that many real
# TX and RX queues on each end).
wgw_veth()
{
	local ns1 ns2 q=${5:-1} qopt=()

	[ $# -ge 4 ] || wgw_fail "usage: wgw_veth NS1 IF1 NS2 IF2 [QUEUES]"
	[ ${#2} -le 15 ] && [ ${#4} -le 15 ] || wgw_fail "interface name longer than 15: $2 $4"
	ns1=$(wgw_nsname "$1")
	ns2=$(wgw_nsname "$3")
	[ "$q" -gt 1 ] && qopt=(numtxqueues "$q" numrxqueues "$q")
	ip link add name "$2" netns "$ns1" "${qopt[@]}" type veth \
		peer name "$4" netns "$ns2" "${qopt[@]}" ||
		wgw_fail "cannot create veth $1/$2 <-> $3/$4"
	ip -n "$ns1" link set "$2" up || wgw_fail "cannot bring $1/$2 up"
	ip -n "$ns2" link set "$4" up || wgw_fail "cannot bring $3/$4 up"
}

# wgw_addr NS IF ADDR/PLEN: add an address (IPv6 without DAD, so it is usable
# at once).
wgw_addr()
{
	local ns extra=()

	ns=$(wgw_nsname "$1")
	case "$3" in *:*) extra=(nodad) ;; esac
	ip -n "$ns" addr add "$3" dev "$2" "${extra[@]}" ||
		wgw_fail "cannot add $3 to $1/$2"
}

# wgw_sysctl NS KEY VALUE: set a sysctl inside NS (net.* sysctls are per
# namespace; the namespace's removal undoes them).
wgw_sysctl()
{
	wgw_in "$1" sysctl -qw "$2=$3" >/dev/null || wgw_fail "cannot set $2=$3 in $1"
}

# wgw_in NS CMD...: run a command inside namespace NS.
wgw_in()
{
	local ns
	ns=$(wgw_nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

# wgw_bg NS CMD...: start CMD in the background inside NS; it is killed at
# exit.  Redirections on the call apply to the command.  Its PID is in
# $WGW_BG_PID (and $!).
wgw_bg()
{
	local ns
	ns=$(wgw_nsname "$1")
	shift
	# ip netns exec execs the command itself, so $! is the command's PID.
	ip netns exec "$ns" "$@" &
	WGW_BG_PID=$!
	wgw__reg pid "$WGW_BG_PID"
}

# wgw_alive PID: the process runs (not gone, not a zombie).
wgw_alive()
{
	! wgw__gone "$1"
}

# wgw_stop PID [TIMEOUT_S]: SIGTERM a background process and wait for it
# (SIGKILL after TIMEOUT_S, default 5).  Returns the process's exit status.
wgw_stop()
{
	local pid=$1 t=${2:-5} rc=0

	kill -TERM "$pid" 2>/dev/null || true
	if ! wgw_wait_for "$t" wgw__gone "$pid"; then
		wgw_log "pid $pid ignored SIGTERM for ${t}s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return $rc
}

wgw__gone()
{
	# A zombie child still answers kill -0: look at its state too.
	! kill -0 "$1" 2>/dev/null && return 0
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# Microseconds since the epoch (EPOCHREALTIME's separator follows the locale).
wgw__now_us()
{
	printf '%s\n' "${EPOCHREALTIME//[!0-9]/}"
}

# wgw__us SECONDS: "1.5" -> 1500000
wgw__us()
{
	local i=${1%%.*} f=000000
	[ "$1" != "$i" ] && f="${1#*.}000000"
	printf '%d\n' $(( 10#${i:-0} * 1000000 + 10#${f:0:6} ))
}

# wgw_wait_for TIMEOUT_S CMD...: poll CMD until it succeeds; 1 on timeout.
# TIMEOUT_S may have a fraction ("0.5").
wgw_wait_for()
{
	local end
	end=$(( $(wgw__now_us) + $(wgw__us "$1") ))
	shift
	while :; do
		"$@" && return 0
		[ "$(wgw__now_us)" -ge "$end" ] && return 1
		sleep "$WGW_POLL_S"
	done
}

# wgw_wait_udp NS PORT [TIMEOUT_S]: wait until a UDP socket is bound to PORT
# inside NS (default timeout 5 s); fails the test on timeout.
wgw_wait_udp()
{
	wgw_wait_for "${3:-5}" wgw__udp_bound "$1" "$2" ||
		wgw_fail "nothing bound UDP port $2 in $1 within ${3:-5}s"
}

wgw__udp_bound()
{
	wgw_in "$1" ss -Hlun "sport = :$2" 2>/dev/null | grep -q .
}

# wgw_nstat NS COUNTER: print a kernel SNMP counter of namespace NS.
# COUNTER uses nstat's names ("UdpInCsumErrors", "Udp6InDatagrams",
# "TcpExtListenDrops") or "Udp InCsumErrors".  Missing counters print
# nothing and return 1.
wgw_nstat()
{
	local name=${2}${3:-}
	name=${name// /}
	wgw_in "$1" cat /proc/net/snmp /proc/net/netstat /proc/net/snmp6 2>/dev/null |
	awk -v want="$name" '
		# snmp/netstat: a header line "Udp: A B C" then "Udp: 1 2 3"
		/^[A-Za-z0-9]+: / {
			p = substr($1, 1, length($1) - 1)
			if (hdr[p] == "") { hdr[p] = $0; next }
			n = split(hdr[p], h, " ")
			for (i = 2; i <= n; i++)
				if (p h[i] == want) { print $i; found = 1; exit }
			hdr[p] = ""
			next
		}
		# snmp6: "Udp6InDatagrams   123"
		NF == 2 && $1 == want { print $2; found = 1; exit }
		END { exit !found }'
}

# wgw_kv FILE KEY: the value of the last "KEY: value" line in FILE (the text
# reports of wraith-client and wraith-backend).  Returns 1 when absent.
wgw_kv()
{
	awk -v k="$2" 'index($0, k ": ") == 1 { v = substr($0, length(k) + 3); f = 1 }
		END { if (f) print v; exit !f }' "$1"
}

# wgw_tool NAME: path of a program built in tests/tools.  It runs in a
# command substitution, so check it: be=$(wgw_tool wraith-backend) || exit 1
wgw_tool()
{
	local p="$WGW_TOP_BUILDDIR/tests/tools/$1"
	[ -x "$p" ] || wgw_fail "tool $p not built (run make, or set WGW_TOP_BUILDDIR)"
	printf '%s\n' "$p"
}

# wgw_notify_listen SOCKET FILE: a stand-in for systemd's notification
# socket at SOCKET (what NOTIFY_SOCKET names): every line of every message
# is appended to FILE as "PID LINE", PID the sender's (SCM_CREDENTIALS).
# Runs until the sub-test's cleanup.
wgw_notify_listen()
{
	python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        m, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = 0
        for lvl, typ, data in anc:
            if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        for line in m.decode(errors="replace").split("\n"):
            f.write("%d %s\n" % (pid, line))
        f.flush()
' "$1" "$2" &
	wgw__reg pid $!
	wgw_wait_for 5 test -S "$1" || wgw_fail "no notification listener at $1"
}

# ---------------------------------------------------------------- sub-tests

# wgw_run NAME FUNC [ARGS...]: run a sub-test in a subshell with its own
# cleanup; count the result.  Returns the sub-test's status.
wgw_run()
{
	local name=$1 rc=0
	shift
	wgw_log "--- $name"
	(
		WGW_CUR_TEST=$name
		trap 'wgw__cleanup_own' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		"$@"
	) || rc=$?
	WGW_CUR_TEST=""
	case $rc in
	0) WGW_PASS=$((WGW_PASS + 1)); wgw_log "PASS: $name" ;;
	77) WGW_SKIPPED=$((WGW_SKIPPED + 1)); wgw_log "SKIP: $name" ;;
	*) WGW_FAILED=$((WGW_FAILED + 1)); wgw_log "FAIL: $name (status $rc)" ;;
	esac
	return $rc
}

# wgw_done: end the script; the EXIT trap prints the summary.
wgw_done()
{
	exit 0
}

# ---------------------------------------------------------------- cleanup

# Kill processes and delete namespaces recorded by shell $1 (or, with "all",
# by anyone in this run).
wgw__cleanup_entries()
{
	local who=$1 owner kind val pids=() nss=() mnts=() p ns m

	[ -f "$WGW_STATE" ] || return 0
	while read -r owner kind val; do
		[ "$who" = all ] || [ "$owner" = "$who" ] || continue
		case $kind in
		pid) pids+=("$val") ;;
		ns) nss+=("$val") ;;
		mount) mnts+=("$val") ;;
		esac
	done <"$WGW_STATE"

	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wgw_wait_for 3 wgw__gone "$p" || kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${nss[@]}"; do
		ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
		# Anything else still running in one of our namespaces is ours too
		# (started by the test without wgw_bg): a namespace with a live
		# process would outlive "ip netns del".
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null ||
			wgw_log "warning: could not delete namespace $ns"
	done
	# Mounts (a bpffs for libxdp's pins) go after the namespaces, whose
	# interfaces held what was pinned there.
	for m in "${mnts[@]}"; do
		umount -l "$m" 2>/dev/null
	done
	# Forget what we removed, keep the others' entries.
	if [ "$who" != all ]; then
		awk -v who="$who" '$1 != who' "$WGW_STATE" >"$WGW_STATE.new" &&
			mv "$WGW_STATE.new" "$WGW_STATE"
	fi
}

# EXIT trap of a wgw_run subshell.
wgw__cleanup_own()
{
	local rc=$?
	set +e
	wgw__cleanup_entries "$BASHPID"
	exit $rc
}

# EXIT trap of the script.
wgw__cleanup_main()
{
	local rc=$? total

	trap - EXIT INT TERM
	set +e
	[ "$BASHPID" = "$WGW_MAIN_PID" ] || exit $rc
	wgw__cleanup_entries all
	# A script that died on its own (set -e, a failed command) counts as a
	# failure; an explicit top-level wgw_fail/wgw_skip was counted already.
	if [ $rc -ne 0 ] && [ $rc -ne 77 ] && [ "$WGW_FAILED" = 0 ]; then
		WGW_FAILED=1
	fi
	if [ $rc = 77 ] && [ $((WGW_PASS + WGW_FAILED + WGW_SKIPPED)) = 0 ]; then
		WGW_SKIPPED=1
	fi
	# A script without sub-tests that ends well is one passed test.
	if [ $rc = 0 ] && [ $((WGW_PASS + WGW_FAILED + WGW_SKIPPED)) = 0 ]; then
		WGW_PASS=1
	fi
	total=$((WGW_PASS + WGW_FAILED + WGW_SKIPPED))
	[ "${WGW_NO_SUMMARY:-0}" = 1 ] ||
		echo "$WGW_SCRIPT: $WGW_PASS passed, $WGW_FAILED failed, $WGW_SKIPPED skipped"
	if [ "${WGW_KEEP:-0}" = 1 ]; then
		wgw_log "logs kept in $WGW_TMP"
	else
		rm -rf -- "$WGW_TMP"
	fi
	if [ "$WGW_FAILED" != 0 ]; then
		exit 1
	elif [ "$total" != 0 ] && [ "$WGW_SKIPPED" = "$total" ]; then
		exit 77
	fi
	exit 0
}

trap 'wgw__cleanup_main' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
