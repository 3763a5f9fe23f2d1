#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The README's first command: install what is missing, build, and run the
# gateway's main job in a lab of network namespaces (clients, the gateway,
# three backends), with real WRAITH-shaped traffic: handshakes, data,
# replies and a client migration.  Then print a short report.  Nothing
# outside the lab's own namespaces is touched, and the lab is removed at
# the end.
#
#   tests/demo.sh [--mode auto|xdp-copy|xdp-generic|fallback] [--ipv6]
#                 [--sessions N] [--seconds S] [--gateways 1|2]
#
# --gateways 2: two gateways behind a router that spreads clients over
# them by an L4 hash (ECMP), sharing their sessions through Redis; the
# sessions move several times, a gateway is killed mid-run, and the
# report says which gateway carried each session and whether it kept its
# backend (default 200 sessions).
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
set -u

MODE=auto FAM=4 SESSIONS= SECONDS_=4 GATEWAYS=1
while [ $# -gt 0 ]; do
	case $1 in
	--mode) MODE=$2; shift ;;
	--mode=*) MODE=${1#--mode=} ;;
	--ipv6) FAM=6 ;;
	--sessions) SESSIONS=$2; shift ;;
	--seconds) SECONDS_=$2; shift ;;
	--gateways) GATEWAYS=$2; shift ;;
	--gateways=*) GATEWAYS=${1#--gateways=} ;;
	-h|--help) sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

case $GATEWAYS in
1) SESSIONS=${SESSIONS:-2000} ;;
2) SESSIONS=${SESSIONS:-200} ;;
*) echo "demo: --gateways is 1 or 2, not '$GATEWAYS'" >&2; exit 2 ;;
esac
case $SESSIONS in
''|*[!0-9]*|0) echo "demo: --sessions wants a positive number" >&2; exit 2 ;;
esac
if [ "$GATEWAYS" = 2 ] && [ "$SESSIONS" -gt 4096 ]; then
	echo "demo: --gateways 2 runs one client socket per session: at most 4096" >&2
	exit 2
fi

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tests/deps.sh" || exit 1
"$top/tests/build.sh" >"${TMPDIR:-/tmp}/wraith-demo-build.log" 2>&1 ||
	{ tail -n 40 "${TMPDIR:-/tmp}/wraith-demo-build.log"; echo "demo: build failed"; exit 1; }

export WGW_TOP_BUILDDIR="$top/build" WGW_NO_SUMMARY=1
. "$top/tests/netns/lib.sh"
. "$top/tests/netns/lab.sh"
. "$top/tests/netns/ctl_lib.sh"
wgw_require_root

if [ "$GATEWAYS" = 2 ]; then
	. "$top/tests/demo_ecmp.sh"
	exit $?
fi

echo "== wraith-gateway demo: $SESSIONS sessions, IPv$FAM, mode $MODE"
wgw_lab_up "$FAM" 2
wgw_lab_backends
wgw_lab_gateway --mode "$MODE"
r="$WGW_TMP/client.txt"
echo "   lab up: client ns, gateway ns (2-queue veths), 3 backends; sending traffic..."
wgw_lab_client -n "$SESSIONS" --sockets 200 -d "$SECONDS_" --inflight 512 \
	--migrate-addr "$WGW_LAB_CLIENT2" >"$r" 2>"$WGW_TMP/client.err"
rc=$?
kill -USR1 "$WGW_LAB_GW_PID"
sleep 0.5

# A node dies: the gateway takes it out by itself, and new clients only
# meet the live ones.
echo "   killing backend 3's node process; new clients meanwhile..."
dead_ep=$(wgw_lab_ep "${WGW_LAB_BACKENDS[2]}" $WGW_LAB_PORT)
dead_t0=$(date +%s.%N)
wgw_stop "$WGW_LAB_BE_PID3" >/dev/null 2>&1	# gone before the new clients start
rd="$WGW_TMP/client-dead.txt"
wgw_bg cl "$(wgw_tool wraith-client)" -n 200 --sockets 200 -d 1 --pps 2000 \
	--hs-timeout 500 --hs-retries 30 --bind "$WGW_LAB_CLIENT2" \
	"$(wgw_lab_ep "$WGW_LAB_VIP" $WGW_LAB_PORT)" >"$rd" 2>/dev/null
dead_cl=$WGW_BG_PID
dead_s="?" dead_why="?"
for _ in $(seq 200); do
	gwctl backends >"$WGW_TMP/be.txt" 2>/dev/null
	if [ "$(ctl_get "$WGW_TMP/be.txt" "backends/$dead_ep/health")" = down ]; then
		dead_why=$(ctl_get "$WGW_TMP/be.txt" "backends/$dead_ep/health_reason")
		dead_s=$(awk -v a="$dead_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
		break
	fi
	sleep 0.05
done
wait "$dead_cl"

log="$WGW_TMP/gatewayd.log"
kv() { wgw_kv "$r" "$1" 2>/dev/null || echo "?"; }

echo
echo "== Report"
grep -E 'notice: interface .*: mode' "$log" | sed 's/^notice: /   /'
grep -E 'notice: running' "$log" | sed 's/^notice: /   /'
printf '   client: %s sessions, handshakes ok %s (failed %s), packets sent %s, replies %s, loss %s%%\n' \
	"$(kv sessions)" "$(kv handshakes_ok)" "$(kv handshakes_failed)" \
	"$(kv tx_packets)" "$(kv rx_packets)" "$(kv loss_pct)"
printf '   rate: %s packets/s sent, %s replies/s; latency p50 %s us, p99 %s us\n' \
	"$(kv tx_pps)" "$(kv rx_pps)" "$(kv latency_p50_us)" "$(kv latency_p99_us)"
for b in 1 2 3; do
	printf '   backend %s (%s): %s sessions, %s packets\n' "$b" \
		"${WGW_LAB_BACKENDS[$((b - 1))]}" "$(kv "backend.$b.sessions")" "$(kv "backend.$b.packets")"
done
printf '   migration to a new client address: %s of %s sessions kept their backend (%s%%)\n' \
	"$(kv migration_kept)" "$(kv sessions)" "$(kv migration_kept_pct)"
printf '   replies with a wrong CID or source: %s / %s\n' "$(kv wrong_cid)" "$(kv wrong_source)"
kvd() { wgw_kv "$rd" "$1" 2>/dev/null || echo 0; }
printf '   dead backend 3: health down %s s after its node was killed (%s); %s new sessions then:\n' \
	"$dead_s" "$dead_why" "$(kvd sessions)"
printf '     handshakes ok %s (failed %s), answered by backend 1 / 2 / 3: %s / %s / %s\n' \
	"$(kvd handshakes_ok)" "$(kvd handshakes_failed)" "$(kvd backend.1.sessions)" \
	"$(kvd backend.2.sessions)" "$(kvd backend.3.sessions)"
echo "   gateway counters:"
awk '/notice: engine: /{n=NR} {l[NR]=$0} END{for(i=n;i<=NR;i++) print l[i]}' "$log" |
	sed -n 's/^notice: /     /p' | grep -vE 'worker_(loops|idle_polls)_total|: health '
echo
[ $rc -eq 0 ] || { echo "demo: the client reported an error (status $rc)"; cat "$WGW_TMP/client.err"; }
wgw_stop "$WGW_LAB_GW_PID" 10 && grep -q 'stopped cleanly' "$log" &&
	echo "== gateway stopped cleanly; the lab is removed on exit"
exit $rc
