#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The capability probe (wgw-probe, and wraith-gatewayd --probe when the
# daemon is built) on a 4-queue veth inside a namespace: 4 queues, no
# zero-copy, the xdp-copy rung, in text and JSON; loopback falls back; an
# unknown interface is an error.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname -- "$0")/lib.sh"

wgw_require_root

PROBE="$WGW_TOP_BUILDDIR/netlink/wgw-probe"
[ -x "$PROBE" ] || wgw_fail "$PROBE not built (make netlink/wgw-probe)"
DAEMON="$WGW_TOP_BUILDDIR/wraith-gatewayd"

# Check one probe command's text and JSON output for the veth.
check_veth()
{
	local out json
	out=$(wgw_in gw "$@" p0) || wgw_fail "$* p0: exit status $?"
	printf '%s\n' "$out" | sed 's/^/    /'
	grep -Eq '^queues: +4 \(max 4\)$' <<<"$out" || wgw_fail "$*: not 4 queues"
	grep -Eq '^zero-copy: +no$' <<<"$out" || wgw_fail "$*: zero-copy reported"
	grep -Eq '^mode: +xdp-copy ' <<<"$out" || wgw_fail "$*: not the xdp-copy rung"
	grep -Eq '^driver: +veth' <<<"$out" || wgw_fail "$*: driver not veth"
	grep -Eq '^xdp-features: +basic redirect' <<<"$out" ||
		wgw_fail "$*: xdp-features"
	grep -Eq '^rings: +not supported' <<<"$out" ||
		wgw_fail "$*: rings not reported as unsupported"

	json=$(wgw_in gw "$@" p0 --json) || wgw_fail "$* --json: exit status $?"
	printf '    %s\n' "$json"
	[ "$(printf '%s\n' "$json" | wc -l)" = 1 ] || wgw_fail "JSON is not one line"
	grep -q '"queues":{"current":4,"max":4}' <<<"$json" || wgw_fail "JSON queues"
	grep -q '"zerocopy":false' <<<"$json" || wgw_fail "JSON zerocopy"
	grep -q '"rung":"xdp-copy"' <<<"$json" || wgw_fail "JSON rung"
	grep -q '"xdp_features":\["basic","redirect"' <<<"$json" ||
		wgw_fail "JSON xdp_features"
	if command -v python3 >/dev/null; then
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["rung"]=="xdp-copy" and d["queues"]["current"]==4 and d["zerocopy"] is False' <<<"$json" ||
			wgw_fail "JSON does not parse or says otherwise"
	fi
}

t_probe()
{
	local out rc
	wgw_ns_add gw
	wgw_ns_add peer
	wgw_veth gw p0 peer p1 4
	check_veth "$PROBE"

	out=$(wgw_in gw "$PROBE" lo) || wgw_fail "probe lo: exit status $?"
	grep -Eq '^mode: +fallback ' <<<"$out" || wgw_fail "lo is not fallback"

	rc=0
	wgw_in gw "$PROBE" nosuchif0 >/dev/null 2>&1 || rc=$?
	[ "$rc" = 1 ] || wgw_fail "unknown interface: exit status $rc, not 1"
}

t_daemon_probe()
{
	[ -x "$DAEMON" ] || wgw_skip "wraith-gatewayd not built"
	wgw_ns_add gw
	wgw_ns_add peer
	wgw_veth gw p0 peer p1 4
	check_veth "$DAEMON" --probe
}

wgw_run probe t_probe
wgw_run daemon-probe t_daemon_probe
wgw_done
