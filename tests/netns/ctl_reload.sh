#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Live reconfiguration with traffic flowing: "reload" and SIGHUP apply a
# valid file (backends, weights, a new VIP, timeouts) without losing a
# packet of existing sessions; an invalid file, or one that changes a key
# only a restart can change, is refused whole with the reason and the
# running configuration stays.  --check-config agrees.  A configuration
# that is not a regular file, or larger than 1 MiB, is refused without
# being read.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

ctl__sessions_at_least()
{
	local n
	n=$(gwctl sessions | awk '/^sessions: / { print $2 }')
	[ "${n:-0}" -ge "$1" ]
}

ctl__logged()
{
	[ "$(grep -c -- "$1" "$WGW_TMP/gatewayd.log")" -gt "$2" ]
}

ctl__thread()
{
	grep -qx -- "$1" /proc/"$WGW_LAB_GW_PID"/task/*/comm
}

check_config()
{
	"$WGW_TOP_BUILDDIR/wraith-gatewayd" -c "$1" --check-config >/dev/null 2>&1
}

t_reload()
{
	local conf="$WGW_TMP/gw.conf" r="$WGW_TMP/client.txt" s="$WGW_TMP/s.txt" out
	local b1 b2 b3 vip2 n cl

	wgw_lab_up 4
	b1=${WGW_LAB_BACKENDS[0]}:$WGW_LAB_PORT
	b2=${WGW_LAB_BACKENDS[1]}:$WGW_LAB_PORT
	b3=${WGW_LAB_BACKENDS[2]}:$WGW_LAB_PORT
	vip2=$(wgw_lab_ep "$WGW_LAB_VIP" $((WGW_LAB_PORT + 1)))
	wgw_lab_backends
	ctl_lab_conf "$conf" "$b1" "$b2"
	check_config "$conf" || wgw_fail "--check-config refused a valid file"
	ctl_start_conf "$conf"
	ctl_up
	# Threads named for top -H: the workers by number, the control loop;
	# the process keeps its own name for ps and pidof.
	wgw_wait_for 5 ctl__thread wgw-worker/0 ||
		wgw_fail "no thread named wgw-worker/0: $(cat /proc/"$WGW_LAB_GW_PID"/task/*/comm)"
	ctl__thread wgw-ctl ||
		wgw_fail "no thread named wgw-ctl: $(cat /proc/"$WGW_LAB_GW_PID"/task/*/comm)"
	wgw_assert_eq wraith-gatewayd "$(cat /proc/"$WGW_LAB_GW_PID"/comm)" "the process's name"

	cl=$(wgw_tool wraith-client) || exit 1
	wgw_bg cl "$cl" -n 40 --sockets 20 -d 6 --pps 2000 --expect-clean \
		"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$r" 2>&1
	local client=$WGW_BG_PID
	wgw_wait_for 10 ctl__sessions_at_least 40 || wgw_fail "sessions did not come up"

	# Valid: a backend more, a weight, a second VIP, timeouts, verbosity.
	ctl_lab_conf "$conf" "$b1" "$b2@300" "$b3"
	printf 'vip = %s\nsession-timeout = 900\nmapping-timeout = 60\nverbose = 1\n' \
		"$vip2" >>"$conf"
	check_config "$conf" || wgw_fail "--check-config refused the new file"
	out=$(gwctl reload) || wgw_fail "reload of a valid file failed: $out"
	case $out in *"1 added, 0 removed, 1 reweighted"*) ;;
	*) wgw_fail "reload summary: $out" ;;
	esac
	grep 'control: reloaded: ' "$WGW_TMP/gatewayd.log" | tail -n 1 |
		grep -q "1 added" || wgw_fail "the control-socket reload is not in the log"
	gwctl backends >"$s"
	wgw_assert_eq up "$(ctl_get "$s" "backends/$b3/state")" "state of the new $b3"
	wgw_assert_eq 300 "$(ctl_get "$s" "backends/$b2/weight")" "reloaded weight of $b2"
	gwctl status | grep -q "^  - $vip2\$" || wgw_fail "the new VIP is not in force"

	# The running configuration: what the reload applied, plus a backend
	# changed at run time, in the file's syntax (which -c reads back) and
	# as JSON.
	gwctl backends weight "$b1" 77 >/dev/null || wgw_fail "weight $b1"
	gwctl config >"$WGW_TMP/running.conf" || wgw_fail "config failed"
	for want in "session-timeout = 900" "vip = $vip2" "backend = $b3@100" "backend = $b1@77"; do
		grep -qxF "$want" "$WGW_TMP/running.conf" ||
			wgw_fail "config lacks '$want': $(cat "$WGW_TMP/running.conf")"
	done
	check_config "$WGW_TMP/running.conf" || wgw_fail "the running configuration does not validate"
	gwctl -j config >"$WGW_TMP/running.json" || wgw_fail "config --json failed"
	ctl_json_ok "$WGW_TMP/running.json"
	jq -e --arg b "$b1@77" '.config["session-timeout"] == "900" and
		(.config.backend | index($b)) != null and (.config.vip | length) == 2' \
		"$WGW_TMP/running.json" >/dev/null || wgw_fail "config JSON: $(cat "$WGW_TMP/running.json")"

	# Invalid: refused whole, with the reason; nothing changes.
	ctl_lab_conf "$conf" "$b1" "${WGW_LAB_BACKENDS[1]}:70000"
	check_config "$conf" && wgw_fail "--check-config accepted port 70000"
	out=$(gwctl reload 2>&1) && wgw_fail "an invalid file was accepted"
	case $out in *70000*"running configuration stays"*) ;;
	*) wgw_fail "refusal without the reason: $out" ;;
	esac
	gwctl backends >"$s"
	wgw_assert_eq up "$(ctl_get "$s" "backends/$b3/state")" "$b3 after a refused reload"
	wgw_assert_eq 300 "$(ctl_get "$s" "backends/$b2/weight")" "$b2 after a refused reload"

	# A key only a restart can change: named, refused.
	ctl_lab_conf "$conf" "$b1" "$b2"
	sed -i "s/^nat = .*/nat = ${WGW_LAB_BACKENDS[0]%.*}.101/" "$conf"
	out=$(gwctl reload 2>&1) && wgw_fail "a NAT address change was accepted"
	case $out in *"need a restart: nat"*) ;;
	*) wgw_fail "restart refusal: $out" ;;
	esac

	# SIGHUP: the same, through the log.
	ctl_lab_conf "$conf" "$b1" "$b2"
	n=$(grep -c 'SIGHUP: reloaded' "$WGW_TMP/gatewayd.log")
	kill -HUP "$WGW_LAB_GW_PID"
	wgw_wait_for 5 ctl__logged 'SIGHUP: reloaded' "$n" || wgw_fail "SIGHUP: no reload logged"
	gwctl backends >"$s"
	ctl_get "$s" "backends/$b3/state" >/dev/null && wgw_fail "$b3 still there after SIGHUP"
	gwctl status | grep -q "^  - $vip2\$" && wgw_fail "the second VIP is still in force"
	echo "backend = nonsense" >>"$conf"
	n=$(grep -c 'SIGHUP: reload refused' "$WGW_TMP/gatewayd.log")
	kill -HUP "$WGW_LAB_GW_PID"
	wgw_wait_for 5 ctl__logged 'SIGHUP: reload refused' "$n" ||
		wgw_fail "SIGHUP: an invalid file was not refused"
	grep 'SIGHUP: reload refused' "$WGW_TMP/gatewayd.log" | tail -n 1 | grep -q nonsense ||
		wgw_fail "SIGHUP refusal without the reason"

	wait "$client" || { cat "$r"; wgw_fail "the client saw errors across the reloads"; }
	wgw_assert_eq "0.000" "$(wgw_kv "$r" loss_pct)" "loss across the reloads (%)"
	wgw_assert_eq 0 "$(wgw_kv "$r" sessions_backend_changed)" "sessions that changed backend"
	wgw_alive "$WGW_LAB_GW_PID" || wgw_fail "the daemon died"
}

# A VIP added by a reload carries traffic; one removed stops.
t_new_vip()
{
	local conf="$WGW_TMP/gw.conf" r="$WGW_TMP/client.txt" cl vip2

	wgw_lab_up 4
	wgw_lab_backends
	vip2=$(wgw_lab_ep "$WGW_LAB_VIP" $((WGW_LAB_PORT + 1)))
	ctl_lab_conf "$conf" "${WGW_LAB_BACKENDS[@]/%/:$WGW_LAB_PORT}"
	ctl_start_conf "$conf"
	ctl_up
	cl=$(wgw_tool wraith-client) || exit 1
	wgw_in cl "$cl" -n 5 -d 0.5 --hs-retries 1 "$vip2" >"$r" 2>&1
	wgw_assert_eq 0 "$(wgw_kv "$r" handshakes_ok)" "handshakes to a VIP not configured"
	echo "vip = $vip2" >>"$conf"
	gwctl reload >/dev/null || wgw_fail "reload with a second VIP"
	wgw_in cl "$cl" -n 20 --sockets 5 -d 1 --pps 1000 --expect-clean "$vip2" >"$r" 2>&1 ||
		{ cat "$r"; wgw_fail "traffic to the new VIP"; }
	wgw_assert_eq 20 "$(wgw_kv "$r" handshakes_ok)" "handshakes to the new VIP"
}

ctl__gone()
{
	! wgw_alive "$1"
}

# The configuration must be a regular file of at most 1 MiB, at start
# (--check-config) and on reload: a symlink to /dev/zero is refused, not
# read; a FIFO blocks neither the control socket nor SIGTERM; the running
# configuration stays and the log says why.
t_not_a_file()
{
	local conf="$WGW_TMP/gw.conf" good="$WGW_TMP/good.conf" s="$WGW_TMP/s.txt"
	local b1 b2 out n rss

	wgw_lab_up 4
	b1=${WGW_LAB_BACKENDS[0]}:$WGW_LAB_PORT
	b2=${WGW_LAB_BACKENDS[1]}:$WGW_LAB_PORT
	wgw_lab_backends
	ctl_lab_conf "$good" "$b1" "$b2@300"
	cp "$good" "$conf"
	ctl_start_conf "$conf"
	ctl_up

	# Larger than the bound: refused by name and reason.
	cp "$good" "$conf"
	head -c $((1024 * 1024)) /dev/zero | tr '\0' '#' >>"$conf"
	check_config "$conf" && wgw_fail "--check-config accepted a file over 1 MiB"
	out=$(gwctl reload 2>&1) && wgw_fail "reload accepted a file over 1 MiB"
	case $out in *"$conf: larger than 1048576 bytes"*"running configuration stays"*) ;;
	*) wgw_fail "oversized file refused without the reason: $out" ;;
	esac

	# A symlink to /dev/zero.
	rm -f "$conf"
	ln -s /dev/zero "$conf"
	timeout 10 "$WGW_TOP_BUILDDIR/wraith-gatewayd" -c "$conf" --check-config \
		>/dev/null 2>"$s" && wgw_fail "--check-config accepted /dev/zero"
	grep -q "a character device: expected a regular file" "$s" ||
		wgw_fail "--check-config on /dev/zero: $(cat "$s")"
	out=$(gwctl reload 2>&1) && wgw_fail "reload accepted /dev/zero"
	case $out in *"a character device: expected a regular file"*) ;;
	*) wgw_fail "/dev/zero refused without the reason: $out" ;;
	esac
	grep 'control: reload refused' "$WGW_TMP/gatewayd.log" | tail -n 1 |
		grep -q "character device" || wgw_fail "the refused reload is not in the log"
	n=$(grep -c 'SIGHUP: reload refused' "$WGW_TMP/gatewayd.log")
	kill -HUP "$WGW_LAB_GW_PID"
	wgw_wait_for 5 ctl__logged 'SIGHUP: reload refused' "$n" ||
		wgw_fail "SIGHUP: /dev/zero was not refused"
	grep 'SIGHUP: reload refused' "$WGW_TMP/gatewayd.log" | tail -n 1 |
		grep -q "character device" || wgw_fail "SIGHUP refusal without the reason"
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$WGW_LAB_GW_PID/status")
	wgw_assert_le "$rss" $((256 * 1024)) "daemon RSS after /dev/zero (kB)"

	# A FIFO nobody writes to: refused at once, control socket alive.
	rm -f "$conf"
	mkfifo "$conf"
	timeout 10 "$WGW_TOP_BUILDDIR/wraith-gatewayd" -c "$conf" --check-config \
		>/dev/null 2>"$s"
	[ $? -eq 124 ] && wgw_fail "--check-config blocked on a FIFO"
	grep -q "a FIFO: expected a regular file" "$s" ||
		wgw_fail "--check-config on a FIFO: $(cat "$s")"
	n=$(grep -c 'SIGHUP: reload refused' "$WGW_TMP/gatewayd.log")
	kill -HUP "$WGW_LAB_GW_PID"
	wgw_wait_for 5 ctl__logged 'SIGHUP: reload refused' "$n" ||
		wgw_fail "SIGHUP: the FIFO blocked the daemon or was not refused"
	out=$(timeout 10 "$WGW_TOP_BUILDDIR/wraith-gatewayctl" -s "$WGW_TMP/control.sock" \
		reload 2>&1) && wgw_fail "reload accepted a FIFO"
	case $out in *"a FIFO: expected a regular file"*) ;;
	*) wgw_fail "FIFO refused without the reason: $out" ;;
	esac
	gwctl ping >/dev/null || wgw_fail "no answer to ping after the FIFO"
	gwctl backends >"$s"
	wgw_assert_eq 300 "$(ctl_get "$s" "backends/$b2/weight")" "$b2 after the refusals"

	# SIGTERM still ends the daemon promptly.
	kill -TERM "$WGW_LAB_GW_PID"
	wgw_wait_for 10 ctl__gone "$WGW_LAB_GW_PID" || wgw_fail "SIGTERM did not end the daemon"
}

wgw_run reload t_reload
wgw_run new-vip t_new_vip
wgw_run not-a-file t_not_a_file
wgw_done
