#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Self-test of tests/netns/lib.sh: namespaces, veths (multi-queue too),
# addresses, background processes, counters, polling, and above all cleanup:
# a failing test, a failing sub-test, a SIGKILLed subshell and a SIGTERMed
# script must all leave no namespace and no process behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname -- "$0")/lib.sh"

wgw_require_root
wgw_require_cmd ss awk

ns_exists()
{
	ip netns list | grep -q "^$1\b"
}

# Run a child script that sources lib.sh; its stdout/stderr go to
# $WGW_TMP/child.out.  Prints its exit status.
run_child()
{
	local body=$1 script="$WGW_TMP/child.sh" rc=0
	{
		echo '#!/bin/bash'
		echo ". '$WGW_LIB_DIR/lib.sh'"
		echo "WGW_STATE_OUT='$WGW_TMP/child.state'"
		printf '%s\n' "$body"
	} >"$script"
	: >"$WGW_TMP/child.state"
	bash "$script" >"$WGW_TMP/child.out" 2>&1 || rc=$?
	echo "$rc"
}

# What the child created, as it recorded it in child.state
# ("ns NAME" / "pid PID" lines).
child_left_nothing()
{
	local kind val
	while read -r kind val; do
		case $kind in
		ns) ! ns_exists "$val" || { wgw_log "namespace $val left behind"; return 1; } ;;
		pid) wgw__gone "$val" || { wgw_log "process $val left running"; return 1; } ;;
		esac
	done <"$WGW_TMP/child.state"
	[ -s "$WGW_TMP/child.state" ] || { wgw_log "child recorded nothing"; return 1; }
}

# A child helper that makes a namespace pair with a veth and a background
# process in one of them, and records them.
CHILD_SETUP='
mk() {
	wgw_ns_add "$1"; wgw_ns_add "$2"
	wgw_veth "$1" v0 "$2" v1
	echo "ns $(wgw_nsname "$1")" >>"$WGW_STATE_OUT"
	echo "ns $(wgw_nsname "$2")" >>"$WGW_STATE_OUT"
	wgw_bg "$1" sleep 300
	echo "pid $WGW_BG_PID" >>"$WGW_STATE_OUT"
}'

test_basics()
{
	local q n

	wgw_ns_add a
	wgw_ns_add b
	wgw_veth a va b vb
	wgw_addr a va 10.200.0.1/24
	wgw_addr b vb 10.200.0.2/24
	wgw_addr a va fd00:200::1/64
	wgw_addr b vb fd00:200::2/64
	ns_exists "$(wgw_nsname a)" || wgw_fail "namespace a not created"
	# Nothing of ours in the root namespace.
	! ip link show va >/dev/null 2>&1 || wgw_fail "veth end visible in the root namespace"

	# Counters: datagrams to a closed port count as UdpNoPorts.
	n=$(wgw_nstat b UdpNoPorts) || wgw_fail "UdpNoPorts unreadable"
	wgw_assert_eq 0 "$n" "UdpNoPorts before"
	wgw_in a bash -c 'echo x >/dev/udp/10.200.0.2/9; echo x >/dev/udp/10.200.0.2/9'
	wgw_wait_for 2 test_counter b UdpNoPorts 2 || wgw_fail "UdpNoPorts did not reach 2"
	wgw_assert_eq 0 "$(wgw_nstat b Udp InCsumErrors)" "Udp InCsumErrors"
	wgw_in a bash -c 'echo x >/dev/udp/fd00:200::2/9'
	wgw_wait_for 2 test_counter b Udp6NoPorts 1 || wgw_fail "Udp6NoPorts did not reach 1"
	! wgw_nstat b NoSuchCounter >/dev/null || wgw_fail "unknown counter gave a value"

	# Multi-queue veth.
	wgw_veth a mq0 b mq1 4
	q=$(wgw_in a bash -c 'ls -d /sys/class/net/mq0/queues/rx-*' | wc -l)
	wgw_assert_eq 4 "$q" "rx queues on a 4-queue veth"
	q=$(wgw_in b bash -c 'ls -d /sys/class/net/mq1/queues/tx-*' | wc -l)
	wgw_assert_eq 4 "$q" "tx queues on a 4-queue veth"

	# Background processes, wgw_wait_udp, wgw_alive, wgw_stop.
	if command -v python3 >/dev/null; then
		wgw_bg b python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.200.0.2", 8420))
time.sleep(300)'
		wgw_wait_udp b 8420
		wgw_alive "$WGW_BG_PID" || wgw_fail "background process not alive"
		wgw_stop "$WGW_BG_PID" 3 || true
		! wgw_alive "$WGW_BG_PID" || wgw_fail "wgw_stop left the process"
	fi

	# sysctls are per namespace.
	wgw_sysctl a net.ipv4.conf.va.forwarding 1
	wgw_assert_eq 1 "$(wgw_in a sysctl -n net.ipv4.conf.va.forwarding)" "sysctl in a"
	wgw_assert_eq 0 "$(wgw_in b sysctl -n net.ipv4.conf.vb.forwarding)" "sysctl in b"
}

test_counter()
{
	local v
	v=$(wgw_nstat "$1" "$2") || return 1
	[ "$v" -ge "$3" ]
}

test_wait_for()
{
	local t0 t1
	t0=$(wgw__now_us)
	wgw_wait_for 0.3 false && wgw_fail "wgw_wait_for false succeeded"
	t1=$(wgw__now_us)
	wgw_assert_ge $((t1 - t0)) 300000 "timeout honoured (us)"
	wgw_assert_le $((t1 - t0)) 2000000 "timeout not overrun (us)"
	t0=$(wgw__now_us)
	wgw_wait_for 5 true || wgw_fail "wgw_wait_for true failed"
	t1=$(wgw__now_us)
	wgw_assert_le $((t1 - t0)) 500000 "true returns at once (us)"
	wgw_assert_eq 1500000 "$(wgw__us 1.5)" "1.5 s in us"
	wgw_assert_eq 2000000 "$(wgw__us 2)" "2 s in us"
}

# A test that fails at top level: exit 1, summary says so, nothing left.
test_cleanup_on_fail()
{
	local rc
	rc=$(run_child "$CHILD_SETUP
mk x y
wgw_fail deliberate")
	wgw_assert_eq 1 "$rc" "exit status of a failing test"
	grep -q "0 passed, 1 failed, 0 skipped" "$WGW_TMP/child.out" ||
		wgw_fail "summary line wrong: $(cat "$WGW_TMP/child.out")"
	child_left_nothing || wgw_fail "failing test left things behind"
}

# A failing sub-test cleans up its own namespaces before the next sub-test
# starts; the script reports 1 passed, 1 failed.
test_cleanup_subtest()
{
	local rc
	rc=$(run_child "$CHILD_SETUP
t_fail() { mk p q; wgw_assert_eq 1 2 deliberate; }
t_next() {
	ip netns list | grep -q \"^\$(wgw_nsname p)\\b\" && wgw_fail 'p survived its sub-test'
	mk r s
}
wgw_run fails t_fail
wgw_run next t_next
wgw_done")
	wgw_assert_eq 1 "$rc" "exit status with a failed sub-test"
	grep -q "1 passed, 1 failed, 0 skipped" "$WGW_TMP/child.out" ||
		wgw_fail "summary line wrong: $(cat "$WGW_TMP/child.out")"
	child_left_nothing || wgw_fail "sub-tests left things behind"
}

# A subshell SIGKILLed before its trap runs: the top-level trap still
# removes what it created.
test_cleanup_killed_subshell()
{
	local rc
	rc=$(run_child "$CHILD_SETUP
( mk k l; kill -KILL \$BASHPID )
wgw_done")
	wgw_assert_eq 0 "$rc" "exit status"
	child_left_nothing || wgw_fail "killed subshell's namespaces left behind"
}

# SIGTERM to a script in the middle of a test.
test_cleanup_sigterm()
{
	local script="$WGW_TMP/term.sh" pid rc=0
	: >"$WGW_TMP/child.state"
	cat >"$script" <<-EOF
	#!/bin/bash
	. '$WGW_LIB_DIR/lib.sh'
	WGW_STATE_OUT='$WGW_TMP/child.state'
	$CHILD_SETUP
	mk t u
	echo ready >>"\$WGW_STATE_OUT"
	wait
	EOF
	bash "$script" >"$WGW_TMP/child.out" 2>&1 &
	pid=$!
	wgw_wait_for 10 grep -q ready "$WGW_TMP/child.state" || wgw_fail "child did not start"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	wgw_assert_eq 1 "$rc" "exit status after SIGTERM"
	sed -i '/^ready$/d' "$WGW_TMP/child.state"
	child_left_nothing || wgw_fail "SIGTERMed script left things behind"
}

# All skipped -> 77.
test_skip_status()
{
	local rc
	rc=$(run_child 't() { wgw_skip "feature absent"; }
wgw_run s t
wgw_done')
	wgw_assert_eq 77 "$rc" "exit status when everything skipped"
	rc=$(run_child 'wgw_skip "nothing to do"')
	wgw_assert_eq 77 "$rc" "exit status of a top-level skip"
	grep -q "0 passed, 0 failed, 1 skipped" "$WGW_TMP/child.out" ||
		wgw_fail "summary line wrong: $(cat "$WGW_TMP/child.out")"
}

wgw_run basics test_basics
wgw_run wait_for test_wait_for
wgw_run cleanup_on_fail test_cleanup_on_fail
wgw_run cleanup_subtest test_cleanup_subtest
wgw_run cleanup_killed_subshell test_cleanup_killed_subshell
wgw_run cleanup_sigterm test_cleanup_sigterm
wgw_run skip_status test_skip_status
wgw_done
