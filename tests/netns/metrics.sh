#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The Prometheus exposition read by a real parser (python3-prometheus-client)
# in fallback mode with two workers (two UDP ports, one per worker, which
# once exported identical labels) and in the automatic (XDP) mode: it
# parses, every series is unique, every family has HELP and TYPE, and the
# counters agree with the traffic the client sent.  Over HTTP (GET and
# HEAD) and over the control socket.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
. "$(dirname "$0")/ctl_lib.sh"
wgw_require_root

METRICS_PORT=9464

# The Debian package's module, even when another python3 comes first in PATH.
PY=
for p in python3 /usr/bin/python3; do
	"$p" -c 'import prometheus_client.parser' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || wgw_fail "python3-prometheus-client is missing (tests/deps.sh installs it)"

# metrics_check FILE: the exposition parses; no series twice; the process
# set is there.  Prints the number of series.
metrics_check()
{
	"$PY" - "$1" <<'EOF' || wgw_fail "metrics in $1 do not pass the parser"
import sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
seen, fams, n = set(), set(), 0
try:
    for fam in text_string_to_metric_families(text):
        if fam.name in fams:
            sys.exit("family %s twice" % fam.name)
        fams.add(fam.name)
        if not fam.documentation:
            sys.exit("family %s has no HELP" % fam.name)
        if fam.type == "unknown":
            sys.exit("family %s has no TYPE" % fam.name)
        for s in fam.samples:
            k = (s.name, tuple(sorted(s.labels.items())))
            if k in seen:
                sys.exit("duplicate series %s%s" % (s.name, dict(s.labels)))
            seen.add(k)
            n += 1
except ValueError as e:
    sys.exit("parse error: %s" % e)
for want in ("wraith_gateway_info", "process_start_time_seconds",
             "process_cpu_seconds_total", "process_resident_memory_bytes",
             "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
             "wraith_gateway_engine_memory_bytes"):
    # The parser names a counter's family without its "_total".
    if want not in fams and want[:-len("_total")] not in fams:
        sys.exit("no family %s" % want)
print(n)
EOF
}

# metrics_value FILE SAMPLE: the value of one series, written exactly as
# in the exposition (name and labels).
metrics_value()
{
	awk -v s="$2" 'index($0, s " ") == 1 { print $NF; found = 1 } END { exit !found }' "$1"
}

# run_mode ARGS...: start the lab gateway with ARGS, send traffic, check
# the exposition over HTTP and the control socket.
run_mode()
{
	local p="$WGW_TMP/metrics.txt" h="$WGW_TMP/head.txt" n tx start t0

	t0=$(date +%s)

	wgw_lab_up 4 2
	wgw_lab_backends
	wgw_lab_gateway --metrics-listen "127.0.0.1:$METRICS_PORT" "$@"
	ctl_up
	wgw_lab_client -n 20 --sockets 10 -d 1 --pps 2000 --no-handshake \
		>"$WGW_TMP/client.txt" || { cat "$WGW_TMP/client.txt"; wgw_fail "client run"; }
	gwctl stats --prometheus >"$p" || wgw_fail "stats --prometheus"
	n=$(metrics_check "$p") || exit 1
	wgw_log "$* control socket: $n series"
	tx=$(metrics_value "$p" 'wraith_gateway_engine_forwarded_packets_total{direction="to_lan"}') ||
		wgw_fail "no to_lan packets series"
	[ -n "$tx" ] || exit 1
	[ "$tx" -gt 0 ] || wgw_fail "no packet counted towards the LAN"
	# The start is the process's: after the test began, not in the future.
	start=$(metrics_value "$p" process_start_time_seconds) || wgw_fail "no start time"
	start=${start%.*}
	wgw_assert_ge "$start" "$t0" "process_start_time_seconds"
	wgw_assert_le "$start" "$(date +%s)" "process_start_time_seconds"
	# The same process figures in the operator's view.
	gwctl stats >"$WGW_TMP/stats.txt" || wgw_fail "stats"
	wgw_assert_ge "$(ctl_get "$WGW_TMP/stats.txt" process/resident_bytes)" 1 "stats: resident bytes"
	wgw_assert_ge "$(ctl_get "$WGW_TMP/stats.txt" process/open_fds)" 3 "stats: open fds"

	wgw_in gw bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT &&
		printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3" >"$p.http" ||
		wgw_fail "metrics listener"
	head -n 1 "$p.http" | grep -q '^HTTP/1.1 200 OK' || wgw_fail "GET: $(head -n 1 "$p.http")"
	sed '1,/^\r$/d' "$p.http" >"$p"
	n=$(metrics_check "$p") || exit 1
	wgw_log "$* HTTP: $n series"

	wgw_in gw bash -c "exec 3<>/dev/tcp/127.0.0.1/$METRICS_PORT &&
		printf 'HEAD /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3" >"$h" ||
		wgw_fail "metrics listener (HEAD)"
	head -n 1 "$h" | grep -q '^HTTP/1.1 200 OK' || wgw_fail "HEAD: $(head -n 1 "$h")"
	[ -z "$(sed '1,/^\r$/d' "$h")" ] || wgw_fail "HEAD answered with a body"
}

wgw_run fallback-two-workers run_mode --mode fallback --queues 2
wgw_run auto-mode run_mode --mode auto --queues 2
wgw_done
