#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# "make install" into a DESTDIR with prefix=/usr yields a tree like a
# distribution package's: both programs, the man pages, the commented
# sample configuration and the systemd unit pointing at the installed
# daemon; and that daemon runs: it probes an interface, starts in the lab,
# attaches the XDP program embedded in it (no object file is installed or
# looked for), forwards traffic and answers the installed wraith-gatewayctl.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
wgw_require_root
command -v make >/dev/null || wgw_skip "needs make"

D="$WGW_TMP/destdir"
GWD="$D/usr/sbin/wraith-gatewayd"
CTL="$D/usr/sbin/wraith-gatewayctl"

# inst__complete PROG LINE [SOCKET]: what the installed bash completion
# offers for "PROG LINE" (the installed programs first in PATH).
inst__complete()
{
	PATH="$D/usr/sbin:$PATH" bash -c '
		. "$1/$2"
		COMP_LINE="$2 $3"
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<<"$COMP_LINE"
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		"_${2//-/_}"
		printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$D/usr/share/bash-completion/completions" "$1" "$2"
}

t_tree()
{
	local f unit="$D/usr/lib/systemd/system/wraith-gatewayd.service"

	make -C "$WGW_TOP_BUILDDIR" install DESTDIR="$D" prefix=/usr \
		>"$WGW_TMP/install.log" 2>&1 || {
		tail -n 30 "$WGW_TMP/install.log" >&2
		wgw_fail "make install failed"
	}
	for f in usr/sbin/wraith-gatewayd usr/sbin/wraith-gatewayctl \
		usr/share/bash-completion/completions/wraith-gatewayd \
		usr/share/bash-completion/completions/wraith-gatewayctl \
		usr/share/man/man8/wraith-gatewayd.8 usr/share/man/man8/wraith-gatewayctl.8 \
		usr/share/man/man5/wraith-gateway.conf.5 \
		usr/etc/wraith-gateway/wraith-gateway.conf.sample \
		usr/lib/systemd/system/wraith-gatewayd.service; do
		[ -f "$D/$f" ] || wgw_fail "not installed: /$f"
	done
	[ -x "$GWD" ] && [ -x "$CTL" ] || wgw_fail "programs not executable"
	# Nothing lands outside the prefix.
	wgw_assert_eq usr "$(cd "$D" && ls)" "top of the DESTDIR tree"
	# No BPF object beside the daemon: it carries its program.
	[ -z "$(find "$D" -name '*.bpf.o' -o -name '*.o')" ] || wgw_fail "object files installed"
	grep -qx 'ExecStart=/usr/sbin/wraith-gatewayd -c /usr/etc/wraith-gateway/wraith-gateway.conf --syslog \\' \
		"$unit" || wgw_fail "the unit does not start the installed daemon: $(grep ExecStart= "$unit")"
	grep -q '^CapabilityBoundingSet=CAP_NET_ADMIN ' "$unit" || wgw_fail "unit: no capability set"
	grep -qE '@[A-Za-z_]+@' "$unit" &&
		wgw_fail "unit: unsubstituted @...@: $(grep -E '@[A-Za-z_]+@' "$unit")"
	if command -v systemd-analyze >/dev/null; then
		# The unit's syntax, directives and commands, pointed at the
		# installed programs.
		sed "s|/usr/sbin/|$D/usr/sbin/|g" "$unit" >"$WGW_TMP/wraith-gatewayd.service"
		systemd-analyze verify --man=no "$WGW_TMP/wraith-gatewayd.service" \
			>"$WGW_TMP/verify.log" 2>&1 ||
			wgw_fail "systemd-analyze verify: $(cat "$WGW_TMP/verify.log")"
		[ ! -s "$WGW_TMP/verify.log" ] ||
			wgw_fail "systemd-analyze verify: $(cat "$WGW_TMP/verify.log")"
		# Hardened: below 3.0 on systemd's exposure scale.
		local level
		if systemd-analyze security --offline=yes "$WGW_TMP/wraith-gatewayd.service" \
			>"$WGW_TMP/security.log" 2>&1; then
			level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
				"$WGW_TMP/security.log")
			[ -n "$level" ] || wgw_fail "systemd-analyze security: $(tail -n 3 "$WGW_TMP/security.log")"
			wgw_log "unit exposure level: $level"
			awk -v l="$level" 'BEGIN { exit !(l < 3.0) }' ||
				wgw_fail "unit exposure level $level, expected below 3.0"
		fi
	fi
	for f in 'SystemCallFilter=@system-service bpf' ProtectProc=invisible PrivateMounts=yes; do
		grep -qx "$f" "$unit" || wgw_fail "unit: no $f"
	done
	"$GWD" --version | grep -q '^wraith-gatewayd ' || wgw_fail "installed daemon --version"
	# The README's sequence: the sample, copied as it is, passes
	# --check-config (the lines to fill are set to examples).
	cp "$D/usr/etc/wraith-gateway/wraith-gateway.conf.sample" "$WGW_TMP/sample.conf"
	"$GWD" -c "$WGW_TMP/sample.conf" --check-config >"$WGW_TMP/check.log" 2>&1 ||
		wgw_fail "the sample as shipped fails --check-config: $(cat "$WGW_TMP/check.log")"
	# Completion: the daemon's options and the client's commands.
	wgw_assert_eq "--check-config" "$(inst__complete wraith-gatewayd '--check-c')" \
		"completion of wraith-gatewayd --check-c"
	wgw_assert_eq "backends" "$(inst__complete wraith-gatewayctl 'back')" \
		"completion of wraith-gatewayctl back"
	"$CTL" --version | grep -q '^wraith-gatewayctl ' || wgw_fail "installed ctl --version"
	if command -v man >/dev/null; then
		for f in man8/wraith-gatewayd.8 man8/wraith-gatewayctl.8 man5/wraith-gateway.conf.5; do
			MANWIDTH=80 man -l "$D/usr/share/man/$f" 2>&1 >/dev/null | grep . &&
				wgw_fail "man page $f has warnings"
		done
	fi
	true
}

t_runs()
{
	local r="$WGW_TMP/client.txt" args a

	[ -x "$GWD" ] || wgw_skip "no installed tree (the install sub-test failed)"
	wgw_lab_up 4
	"$GWD" --probe wan0 >/dev/null 2>&1 && wgw_fail "--probe saw wan0 outside its namespace"
	wgw_in gw "$GWD" --probe wan0 >"$WGW_TMP/probe.txt" ||
		wgw_fail "the installed daemon cannot probe wan0"
	wgw_lab_backends
	mapfile -t args < <(wgw_lab_gateway_args)
	echo "--- start: $GWD ${args[*]}" >>"$WGW_TMP/gatewayd.log"
	wgw_bg gw "$GWD" "${args[@]}" >>"$WGW_TMP/gatewayd.log" 2>&1
	WGW_LAB_GW_PID=$WGW_BG_PID
	if ! wgw_wait_for 20 wgw_lab__running || ! wgw_alive "$WGW_LAB_GW_PID"; then
		tail -n 30 "$WGW_TMP/gatewayd.log" >&2
		wgw_fail "the installed daemon did not come up"
	fi
	# Its program is on the interfaces (the lab's veths do native XDP).
	for a in wan0 lan0; do
		wgw_in gw ip -d link show "$a" | grep -q 'prog/xdp id' ||
			wgw_fail "no XDP program on $a"
	done
	wgw_in gw "$CTL" -s "$WGW_TMP/control.sock" status >"$WGW_TMP/status.txt" ||
		wgw_fail "the installed wraith-gatewayctl gets no status"
	grep -q '^    mode: xdp-' "$WGW_TMP/status.txt" ||
		wgw_fail "not on an XDP rung: $(grep 'mode\|why' "$WGW_TMP/status.txt")"
	wgw_lab_client -n 20 --sockets 5 -d 1 --pps 1000 --expect-clean >"$r" ||
		{ cat "$r"; wgw_fail "no traffic through the installed daemon"; }
	wgw_assert_eq 20 "$(wgw_kv "$r" handshakes_ok)" "handshakes"
	# Completion offers the running daemon's backends.
	local want got
	want=$(wgw_in gw "$CTL" -s "$WGW_TMP/control.sock" backends | sed -n 's/^  \([^ ]*\):$/\1/p' | sort)
	[ -n "$want" ] || wgw_fail "no backends listed"
	got=$(wgw_in gw env PATH="$D/usr/sbin:$PATH" bash -c '
		. "$1"
		COMP_LINE="wraith-gatewayctl -s $2 backends drain "
		COMP_POINT=${#COMP_LINE}
		_wraith_gatewayctl
		printf "%s\n" "${COMPREPLY[@]}"' _ \
		"$D/usr/share/bash-completion/completions/wraith-gatewayctl" \
		"$WGW_TMP/control.sock" | sort)
	wgw_assert_eq "$want" "$got" "backends offered by the completion"
	wgw_stop "$WGW_LAB_GW_PID" 10 || wgw_fail "the installed daemon did not stop cleanly"
	grep -q 'stopped cleanly' "$WGW_TMP/gatewayd.log" || wgw_fail "no clean stop"
}

wgw_run tree t_tree
wgw_run runs t_runs
wgw_done
