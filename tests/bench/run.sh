#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The benchmark lab (docs/benchmarks.md; method in the design notes):
# every system under test in the same gateway namespace with the same
# addresses (tests/netns/lab.sh), one after the other, driven by the AF_XDP
# load generator from the client namespace, answered by AF_XDP reflectors
# standing in for the backends.  Prints one table, each system a row.
#
#   make bench                       full run (~15 min)
#   make bench BENCH_ARGS=--quick    smoke run (~2-3 min)
#   sh tests/bench/run.sh --help
#
# Needs root.  Installs nftables, nginx + libnginx-mod-stream and valgrind
# (and linux-perf with --profile) with apt-get when they are missing.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"

usage()
{
	cat <<EOF
Usage: run.sh [OPTIONS]
  --quick            smoke run: fewer sessions, shorter and fewer runs
  --systems LIST     comma-separated subset of: ceiling,fast,fallback,nftables,nginx
                     (default: all)
  --runs N           repetitions of each figure, the median is reported (default 3)
  --duration S       seconds per traffic run (default 2)
  --size BYTES       data payload (default 64; the table is also printed for 1200
                     when --sizes 64,1200)
  --sizes LIST       payload sizes, each gives a table (default: 64,1200; quick: 64)
  --fixed-pps N      round trips/s for the CPU figure, below every system's
                     limit and high enough that the signal dominates the
                     background (default 20000)
  --sessions N       sessions for the traffic runs (default 4096; quick 1024)
  --big N            sessions for the memory figure (default 1048576; quick 65536;
                     0 skips it)
  --no-engine        skip the engine microbenchmark
  --profile          also record the whole machine with perf during one flat-out
                     run of each system and print where its CPU time went
  --out FILE         also write the report to FILE
  --report DIR       print the report of an earlier run's results (the directory
                     WGW_BENCH_RESULTS=DIR kept) and measure nothing
EOF
}

QUICK=0
SYSTEMS=ceiling,fast,fallback,nftables,nginx
RUNS=3
DUR=2
SIZES=
FIXED_PPS=20000
SESS=
BIG=
ENGINE=1
PROFILE=0
OUT=
REPORT_DIR=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) QUICK=1 ;;
	--systems) SYSTEMS=$2; shift ;;
	--runs) RUNS=$2; RUNS_SET=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--size|--sizes) SIZES=$2; shift ;;
	--fixed-pps) FIXED_PPS=$2; shift ;;
	--sessions) SESS=$2; shift ;;
	--big) BIG=$2; shift ;;
	--no-engine) ENGINE=0 ;;
	--profile) PROFILE=1 ;;
	--out) OUT=$2; shift ;;
	--report) REPORT_DIR=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	RUNS=${RUNS_SET:-1}
	DUR=1
	: "${SIZES:=64}"
	: "${SESS:=1024}"
	: "${BIG:=65536}"
fi
: "${SIZES:=64,1200}"
: "${SESS:=4096}"
: "${BIG:=1048576}"

export WGW_NO_SUMMARY=1
. "$(dirname "$0")/../netns/lib.sh"
. "$(dirname "$0")/../netns/lab.sh"

B=$WGW_TOP_BUILDDIR
LG=$B/tests/bench/wgw-loadgen
RF=$B/tests/bench/wgw-reflector
EB=$B/tests/bench/engine_bench
REPORT_AWK=$(cd "$(dirname "$0")" && pwd)/report.awk
GWD=$B/wraith-gatewayd
RES=$WGW_TMP/results
mkdir -p "$RES"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ------------------------------------------------------------- prerequisites

if [ -n "$REPORT_DIR" ]; then
	[ -d "$REPORT_DIR" ] || { echo "run.sh: --report: no directory '$REPORT_DIR'" >&2; exit 2; }
else
	wgw_require_root
	for p in "$LG" "$RF" "$EB" "$GWD"; do
		[ -x "$p" ] || wgw_fail "$p not built: run 'make bench'"
	done

	# Debian packages the lab needs: installed when missing (a fresh machine).
	need_pkgs=()
	command -v nft >/dev/null || need_pkgs+=(nftables)
	command -v nginx >/dev/null || need_pkgs+=(nginx-light)
	[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need_pkgs+=(libnginx-mod-stream)
	command -v valgrind >/dev/null || need_pkgs+=(valgrind)
	[ "$PROFILE" = 1 ] && ! command -v perf >/dev/null && need_pkgs+=(linux-perf)
	if [ ${#need_pkgs[@]} -gt 0 ]; then
		log "installing ${need_pkgs[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_pkgs[@]}" >&2 ||
			log "apt-get failed: systems that need ${need_pkgs[*]} will fail"
	fi
fi

# ------------------------------------------------------------- the lab

# More client addresses: 1M sessions over 65536 endpoints need 3 of them
# (an address carries up to 26999 endpoints in the generator).
CLIENT_SRCS=(198.51.100.2 198.51.100.3 198.51.100.4 198.51.100.5)
PORT=$WGW_LAB_PORT

lab_up()
{
	local a
	wgw_lab_up 4
	for a in "${CLIENT_SRCS[@]:2}"; do
		wgw_addr cl cl0 "$a/24"
	done
	GW_MAC=$(wgw_in gw cat /sys/class/net/wan0/address)
	# The backends: one reflector answering for all three addresses.
	wgw_bg be "$RF" be0 10.0.0.11:$PORT 10.0.0.12:$PORT 10.0.0.13:$PORT \
		>"$WGW_TMP/reflector-be.log" 2>&1
	BE_PID=$WGW_BG_PID
	wgw_wait_for 10 grep -q '^running' "$WGW_TMP/reflector-be.log" ||
		{ cat "$WGW_TMP/reflector-be.log" >&2; wgw_fail "backend reflector did not start"; }
}

# loadgen OUTFILE [ARGS...]: one generator run; 0 when it completed.
loadgen()
{
	local out=$1 srcs=() a
	shift
	for a in "${CLIENT_SRCS[@]}"; do
		srcs+=(--src "$a")
	done
	wgw_in cl "$LG" --dst-mac "$GW_MAC" "${srcs[@]}" --watch-pid "$BE_PID" \
		"$@" cl0 "$WGW_LAB_VIP:$PORT" >"$out" 2>"$out.err"
}

kv() { wgw_kv "$1" "$2" 2>/dev/null || echo nan; }

median()
{
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ------------------------------------------------------------- systems

# sys_up NAME: start it in gw; non-zero when it cannot run.  SUT_PIDS: the
# processes whose memory is the system's.
SUT_PIDS=()

sys_up()
{
	SUT_PIDS=()
	case $1 in
	ceiling)
		wgw_bg gw "$RF" --id 1 wan0 "$WGW_LAB_VIP:$PORT" >"$WGW_TMP/reflector-gw.log" 2>&1
		SUT_PIDS=("$WGW_BG_PID")
		wgw_wait_for 10 grep -q '^running' "$WGW_TMP/reflector-gw.log" || return 1
		;;
	fast|fallback)
		local mode=xdp-copy
		[ "$1" = fallback ] && mode=fallback
		# The generator's few addresses stand for many clients: the
		# per-source quotas (a defence against one real source filling
		# the tables) would cap the memory run at 4096 endpoints and
		# 16384 learned CIDs an address.
		( wgw_lab_gateway --mode "$mode" --max-sessions $((BIG + 2 * SESS + 65536)) \
			--max-mappings 262144 --max-mappings-per-source 0 \
			--max-cids-per-source 0 --state-file none ) || return 1
		WGW_LAB_GW_PID=$(cat "$WGW_TMP/gatewayd.pid" 2>/dev/null) || return 1
		wgw__reg pid "$WGW_LAB_GW_PID"
		SUT_PIDS=("$WGW_LAB_GW_PID")
		;;
	nftables)
		command -v nft >/dev/null || return 1
		wgw_sysctl gw net.ipv4.ip_forward 1
		wgw_in gw sysctl -qw net.netfilter.nf_conntrack_max=2097152 2>/dev/null
		wgw_in gw nft -f - <<EOF || return 1
table ip wgwbench {
	chain pre {
		type nat hook prerouting priority dstnat;
		ip daddr $WGW_LAB_VIP udp dport $PORT dnat to jhash ip saddr . udp sport mod 3 map { 0 : 10.0.0.11, 1 : 10.0.0.12, 2 : 10.0.0.13 }
	}
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "lan0" snat to 10.0.0.1
	}
}
EOF
		;;
	nginx)
		command -v nginx >/dev/null || return 1
		[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || return 1
		mkdir -p "$WGW_TMP/nginx"
		# File descriptors: two per UDP session (client side, upstream
		# socket), capped by the hard limit, which root cannot raise in
		# every container.
		local nofile
		nofile=$(ulimit -Hn)
		[ "$nofile" = unlimited ] && nofile=1048576
		[ "$nofile" -gt 1048576 ] && nofile=1048576
		sed -e "s|@TMP@|$WGW_TMP/nginx|g" -e "s|@VIP@|$WGW_LAB_VIP:$PORT|g" \
			-e "s|@NOFILE@|$nofile|g" -e "s|@CONNS@|$((nofile - 64))|g" \
			"$(dirname "$0")/nginx.conf.in" >"$WGW_TMP/nginx/nginx.conf"
		wgw_bg gw nginx -c "$WGW_TMP/nginx/nginx.conf" -p "$WGW_TMP/nginx" \
			>"$WGW_TMP/nginx/out.log" 2>&1
		SUT_PIDS=("$WGW_BG_PID")
		wgw_wait_udp gw $PORT 10 >/dev/null 2>&1 || return 1
		# The workers are the master's children.
		SUT_PIDS+=($(pgrep -P "$WGW_BG_PID"))
		;;
	*) return 1 ;;
	esac
}

sys_down()
{
	local p
	case $1 in
	nftables)
		wgw_in gw nft delete table ip wgwbench 2>/dev/null
		wgw_sysctl gw net.ipv4.ip_forward 0
		wgw_in gw conntrack -F >/dev/null 2>&1
		;;
	esac
	for p in "${SUT_PIDS[@]}"; do
		wgw_stop "$p" 5 >/dev/null 2>&1
	done
	# Anything left in gw (nginx workers) goes too.
	for p in $(ip netns pids "$(wgw_nsname gw)" 2>/dev/null); do
		kill -TERM "$p" 2>/dev/null
	done
	wgw_wait_for 5 sh -c "[ -z \"\$(ip netns pids $(wgw_nsname gw))\" ]"
	SUT_PIDS=()
}

# Packets the system itself forwards per generator round trip: a
# gateway forwards the request and the reply, the reflector answers once.
hops() { [ "$1" = ceiling ] && echo 1 || echo 2; }

rss_kib()
{
	local p s=0 v
	for p in "$@"; do
		v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		s=$((s + ${v:-0}))
	done
	echo $s
}

# ------------------------------------------------------------- figures

# measure SYS SIZE: every figure of one system at one payload size into
# $RES/SYS.SIZE (key=value lines).
measure()
{
	local sys=$1 size=$2 f=$RES/$1.$2 o=$WGW_TMP/lg.out r i rate limit loss
	local h rx rx0 ok try seeds=(--seed 7 -n "$SESS" -e $((SESS / 4)))

	h=$(hops "$sys")
	: >"$f"
	log "$sys, $size bytes: handshakes of $SESS sessions"
	loadgen "$o" "${seeds[@]}" -s "$size" -d 0.5 --pps 1000 ||
		{ echo "error=loadgen: $(tail -n1 "$o.err")" >>"$f"; return 1; }
	echo "setup_rate=$(kv "$o" setup_rate)" >>"$f"
	echo "hs_ok=$(kv "$o" handshakes_ok)" >>"$f"
	if [ "$(kv "$o" handshakes_ok)" = 0 ]; then
		echo "error=no handshake answered" >>"$f"
		return 1
	fi

	# Highest rate at < 0.1 % loss: flat out, then step down from what
	# came back.
	rate=0
	rx0=
	: >"$WGW_TMP/over"
	for i in $(seq 2 "$RUNS"); do
		loadgen "$o" "${seeds[@]}" --no-handshake -s "$size" -d "$DUR" --pps 0 || break
		echo "$(kv "$o" rx_pps) $(kv "$o" loss_pct)" >>"$WGW_TMP/over"
	done
	for i in 1 2 3 4 5 6 7 8 9; do
		# A rate passes when one of two tries stays under 0.1 % loss:
		# the box is shared, and one stall of the system's CPU would
		# otherwise send the search far below the system's limit.
		ok=0
		for try in 1 2; do
			loadgen "$o" "${seeds[@]}" --no-handshake -s "$size" -d "$DUR" \
				--pps "$rate" || break 2
			loss=$(kv "$o" loss_pct)
			log "$sys: offered $(kv "$o" tx_pps) pps, answered $(kv "$o" rx_pps), loss $loss %"
			[ "$try" = 1 ] && rx=$(kv "$o" rx_pps)
			# Flat out: what it delivers when offered more than it
			# can take, and what it loses then.
			[ "$rate" = 0 ] && echo "$(kv "$o" rx_pps) $(kv "$o" loss_pct)" >>"$WGW_TMP/over"
			awk -v l="$loss" 'BEGIN { exit !(l < 0.1) }' && { ok=1; break; }
			[ "$rate" = 0 ] && break	# flat out: no second try
		done
		[ "$ok" = 1 ] && break
		# Down from what came back flat out, 10 % of it per miss.
		: "${rx0:=$rx}"
		rate=$(awk -v r="$rx0" -v i="$i" 'BEGIN { printf "%d", r * (1 - 0.1 * i) }')
		[ "$rate" -gt 100 ] || break
	done
	# The median of RUNS runs at that offered rate.
	for i in $(seq "$RUNS"); do
		loadgen "$o" "${seeds[@]}" --no-handshake -s "$size" -d "$DUR" --pps "$rate" || continue
		echo "$(kv "$o" rx_pps) $(kv "$o" loss_pct)"
	done >"$WGW_TMP/rates"
	limit=$(awk '{ print $1 }' "$WGW_TMP/rates" | median)
	echo "limit_rt=$limit" >>"$f"
	echo "limit_pps=$(awk -v l="$limit" -v h="$h" 'BEGIN { printf "%.0f", l * h }')" >>"$f"
	echo "limit_loss=$(awk '{ print $2 }' "$WGW_TMP/rates" | median)" >>"$f"
	echo "over_pps=$(awk -v h="$h" '{ printf "%.0f\n", $1 * h }' "$WGW_TMP/over" | median)" >>"$f"
	echo "over_loss=$(awk '{ print $2 }' "$WGW_TMP/over" | median)" >>"$f"
	[ "$PROFILE" = 1 ] && profile "$sys" "$size"

	# CPU per forwarded packet at a fixed rate every system can carry.
	# Per run: the machine's busy time less the idle second before it
	# (others share the box) and the generator's and backends' user
	# time; the system's own processes (every thread, scheduler time);
	# the machine's busy time as it is.  A run that lost > 1 % is not
	# used.
	local sut_args=() p
	for p in "${SUT_PIDS[@]}"; do
		sut_args+=(--sut-pid "$p")
	done
	for i in $(seq "$RUNS"); do
		loadgen "$o" "${seeds[@]}" --no-handshake -s "$size" -d "$DUR" --pps "$FIXED_PPS" \
			--baseline 1 "${sut_args[@]}" || continue
		awk -v b="$(kv "$o" cpu_busy_s)" -v s="$(kv "$o" cpu_self_user_s)" \
		    -v w="$(kv "$o" cpu_watch_user_s)" -v z="$(kv "$o" cpu_base_s)" \
		    -v u="$(kv "$o" cpu_sut_s)" -v hz="$(getconf CLK_TCK)" \
		    -v n="$(kv "$o" rx_data)" -v h="$h" -v t="$(kv "$o" tx_data)" 'BEGIN {
			if (n < 0.99 * t || n <= 0) exit
			p = n * h
			printf "%.1f %.1f %s %.1f\n", (b - z - s - w) * 1e9 / p, b * 1e9 / p,
				u == "nan" ? "nan" : sprintf("%.1f", u * 1e9 / p),
				# the busy times are clock ticks: two of them per packet
				2e9 / hz / p }'
	done >"$WGW_TMP/cpu"
	cpu_figures "$WGW_TMP/cpu" >>"$f"

	# Latency at 10 % and 50 % of this system's limit.
	for pct in 10 50; do
		r=$(awk -v l="$limit" -v p="$pct" 'BEGIN { printf "%d", l * p / 100 }')
		[ "$r" -gt 0 ] 2>/dev/null || continue
		for i in $(seq "$RUNS"); do
			loadgen "$o" "${seeds[@]}" --no-handshake -s "$size" -d "$DUR" --pps "$r" ||
				continue
			echo "$(kv "$o" lat_p50_us) $(kv "$o" lat_p99_us)"
		done >"$WGW_TMP/lat"
		echo "p50_$pct=$(awk '{ print $1 }' "$WGW_TMP/lat" | median)" >>"$f"
		echo "p99_$pct=$(awk '{ print $2 }' "$WGW_TMP/lat" | median)" >>"$f"
	done

	# Migration: every endpoint moves to a new source port halfway.
	# Every session must send in both halves: at least 8 packets each.
	r=$(awk -v l="$limit" -v n="$SESS" -v d="$DUR" 'BEGIN {
		r = l / 10; m = 8 * n / d; if (r < m) r = m; if (r > l / 2) r = l / 2; printf "%d", r }')
	if loadgen "$o" "${seeds[@]}" --no-handshake -s "$size" -d "$DUR" --pps "$r" --migrate; then
		echo "kept_pct=$(kv "$o" migration_kept_pct)" >>"$f"
		echo "kept_n=$(kv "$o" migration_kept)/$(kv "$o" migration_sessions)" >>"$f"
	fi
	return 0
}

# cpu_figures FILE: the CPU keys from the runs' lines "machine all sut
# resolution" (ns per packet).  The machine figure's noise is the larger
# of the runs' spread around their median and the clock-tick resolution;
# the report prints it only above that.
cpu_figures()
{
	local m
	[ -s "$1" ] || return 0
	m=$(awk '{ print $1 }' "$1" | median)
	echo "cpu_ns=$m"
	awk -v m="$m" '{ d = $1 - m; if (d < 0) d = -d; if (d > x) x = d; if ($4 > x) x = $4 }
		END { printf "cpu_noise_ns=%.0f\n", x }' "$1"
	echo "cpu_all_ns=$(awk '{ print $2 }' "$1" | median)"
	awk '$3 != "nan" { print $3 }' "$1" | median | sed 's/^/cpu_sut_ns=/'
	echo "cpu_runs=$(wc -l <"$1")"
}

# profile SYS SIZE: the whole machine under perf during one flat-out run:
# the share of CPU samples by command and by user/kernel, into
# $RES/SYS.SIZE.perf.  Both CPUs are sampled, idle included (swapper), so
# the shares say what the machine spent its time on while this system
# forwarded as much as it could.
profile()
{
	local sys=$1 size=$2 o=$WGW_TMP/lg.prof data=$WGW_TMP/perf.$1.$2 pid comm
	command -v perf >/dev/null || { echo "perf not installed" >"$RES/$sys.$size.perf"; return; }
	perf record -a -F 997 -o "$data" -- sleep "$DUR" >/dev/null 2>&1 &
	pid=$!
	loadgen "$o" --seed 7 -n "$SESS" -e $((SESS / 4)) --no-handshake -s "$size" \
		-d "$DUR" --pps 0
	wait "$pid"
	echo "rx_pps=$(kv "$o" rx_pps) loss=$(kv "$o" loss_pct)" >"$RES/$sys.$size.perf"
	# comm + where: [k] kernel, [.] user space.
	perf report -i "$data" --no-children --sort comm,dso --stdio -q 2>/dev/null |
		awk 'NF >= 3 { sub("%", "", $1); d = ($3 ~ /kernel|vmlinux/) ? "kernel" : "user";
			  s[$2 " " d] += $1 }
		     END { for (k in s) if (s[k] >= 1) printf "%6.1f%%  %s\n", s[k], k }' |
		sort -rn >>"$RES/$sys.$size.perf"
	# The system's own process: its top symbols, in its own samples.
	case $sys in
	fast|fallback) comm=wraith-gatewayd ;;
	nginx) comm=nginx ;;
	ceiling) comm=wgw-reflector ;;
	*) comm= ;;
	esac
	if [ -n "$comm" ]; then
		echo "  $comm, top symbols of its own samples:" >>"$RES/$sys.$size.perf"
		perf report -i "$data" --comm "$comm" --percentage relative --no-children --sort sym --stdio -q \
			--percent-limit 2 2>/dev/null | awk 'NF >= 3 { printf "    %s %s %s\n", $1, $2, $3 }' |
			head -n 12 >>"$RES/$sys.$size.perf"
	fi
	rm -f "$data"
}

# memory SYS: peak RSS and bytes per session with BIG sessions, from a
# fresh start of the system.
memory()
{
	local sys=$1 f=$RES/$1.mem o=$WGW_TMP/lg.out r0 r1 ep
	: >"$f"
	[ "$BIG" -gt 0 ] || return 0
	r0=$(rss_kib "${SUT_PIDS[@]}")
	ep=$((BIG < 65536 ? BIG : 65536))
	log "$sys: $BIG sessions over $ep endpoints"
	loadgen "$o" --seed 11 -n "$BIG" -e "$ep" -d 0.5 --pps 1000 --hs-rounds 12 || return 1
	r1=$(rss_kib "${SUT_PIDS[@]}")
	{
		echo "big_sessions=$(kv "$o" handshakes_ok)"
		echo "big_setup_rate=$(kv "$o" setup_rate)"
		echo "rss0_kib=$r0"
		echo "rss_kib=$r1"
		awk -v a="$r1" -v n="$(kv "$o" handshakes_ok)" \
			'BEGIN { if (n > 0 && a > 0) printf "bytes_per_session=%.0f\n", a * 1024 / n }'
	} >>"$f"
}

run_system()
{
	local sys=$1 size
	log "=== $sys"
	if ! sys_up "$sys"; then
		log "$sys: failed to start"
		echo "error=failed to start (see $WGW_TMP)" >"$RES/$sys.start"
		sys_down "$sys"
		return
	fi
	for size in ${SIZES//,/ }; do
		measure "$sys" "$size" || log "$sys: failed at $size bytes"
	done
	if [ "$sys" != ceiling ]; then
		memory "$sys" || log "$sys: memory run failed"
	fi
	sys_down "$sys"
}

# ------------------------------------------------------------- engine

engine_figures()
{
	local f=$RES/engine d=$WGW_TMP/cg s n i tot parse nat eng
	: >"$f"
	mkdir -p "$d"
	"$EB" -p $((QUICK ? 262144 : 1048576)) -r $((QUICK ? 3 : 7)) >"$d/ns.txt" 2>&1 ||
		{ echo "error=engine_bench failed" >"$f"; return; }
	if command -v valgrind >/dev/null; then
		(cd "$d" && valgrind --tool=callgrind --collect-atstart=no \
			--callgrind-out-file=cg.out "$EB" -p 65536 -r 1 >cg.txt 2>cg.err) ||
			{ echo "error=callgrind failed" >>"$f"; }
	fi
	i=0
	for s in known-cid reply handshake new-cid new-endpoint; do
		i=$((i + 1))
		n=$(awk -v s="$s" '$1 == "scenario=" s { sub("packets=", "", $2); print $2 }' \
			"$d/cg.txt" 2>/dev/null)
		echo "$s.ns=$(awk -v s="$s" '$1 == "scenario=" s { sub("ns_per_pkt=", "", $3); print $3 }' "$d/ns.txt")" >>"$f"
		[ -f "$d/cg.out.$i" ] && [ -n "$n" ] || continue
		tot=$(awk '/^totals:/ { print $2 }' "$d/cg.out.$i")
		callgrind_annotate --inclusive=yes --threshold=100 "$d/cg.out.$i" 2>/dev/null |
			awk '/engine_bench\]$/ { gsub(",", "", $1); print $1, $(NF - 1) }' \
			>"$d/incl.$i"
		parse=$(awk '$2 ~ /:wgw_pkt_parse$/ { print $1 }' "$d/incl.$i")
		nat=$(awk '$2 ~ /:wgw_pkt_nat$/ { print $1 }' "$d/incl.$i")
		# By symbol, inclusive: parse and the NAT rewrite while they are
		# functions of their own; the engine is wgw_engine_from_* less
		# the rewrite it calls (with the rewrite inlined, it includes it:
		# nat then shows '-').
		# The workers' batch entry (wgw_engine_route_batch) calls the
		# per-packet entries for frames off its fast path: the outermost
		# one, the largest inclusive count, is the engine.
		eng=$(awk '$2 ~ /:wgw_engine_(from_(client|backend)|route_batch)$/ { if ($1 + 0 > m + 0) m = $1 }
			END { if (m != "") print m }' "$d/incl.$i")
		awk -v s="$s" -v n="$n" -v t="$tot" -v p="$parse" -v a="$nat" -v e="${eng:-0}" 'BEGIN {
			printf "%s.ir=%.1f\n%s.ir_engine=%.1f\n%s.ir_glue=%.1f\n",
				s, t / n, s, (e - a) / n, s, (t - p - e) / n
			if (p != "") printf "%s.ir_parse=%.1f\n", s, p / n
			if (a != "") printf "%s.ir_nat=%.1f\n", s, a / n }' >>"$f"
	done
	grep '^setup' "$d/ns.txt" | tr ' ' '\n' | sed -n 's/^\(bytes_per_session\|setup_ns_per_session\)=/engine_\1=/p' >>"$f"
}

# ------------------------------------------------------------- report

report()
{
	local size sys f base ceil
	echo "wraith-gateway benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), kernel $(uname -r)"
	echo "load average before the run: $LOAD0 (the box is shared: other work competes for the 2 CPUs)"
	echo "runs per figure: $RUNS (median), $DUR s each; sessions $SESS over $((SESS / 4)) endpoints; fixed rate for CPU: $FIXED_PPS round trips/s"
	echo
	for size in ${SIZES//,/ }; do
		echo "payload $size bytes"
		awk -v header=1 -f "$REPORT_AWK" </dev/null
		base=$(awk -F= '$1 == "limit_pps" { print $2 }' "$RES/nftables.$size" 2>/dev/null)
		ceil=$(awk -F= '$1 == "limit_pps" { print $2 }' "$RES/ceiling.$size" 2>/dev/null)
		for sys in ${SYSTEMS//,/ }; do
			f=$RES/$sys.$size
			if [ -f "$RES/$sys.start" ] || [ ! -s "$f" ] || grep -q '^error=' "$f"; then
				printf '%-9s FAILED: %s\n' "$sys" \
					"$(sed -n 's/^error=//p' "$RES/$sys.start" "$f" 2>/dev/null | head -n1)"
				continue
			fi
			cat "$f" "$RES/$sys.mem" 2>/dev/null |
				awk -F= -v sys="$sys" -v base="$base" -v ceil="$ceil" -f "$REPORT_AWK"
		done
		echo
	done
	cat <<EOF
fwd_pps: packets the system forwarded per second at < 0.1 % loss (a gateway forwards
  request and reply: 2 per round trip; the ceiling reflector 1): the rate to size for.
  '*': no offered rate stayed under 0.1 % loss; the best one is shown.
over_pps, loss%: what it forwarded per second when offered flat out, and what it lost
  then: how it behaves under overload.  On veth the kernel forwards in the sender's
  softirq, which throttles the generator itself: a system that makes the sender pay
  for its forwarding (nftables, the kernel's UDP stack) is offered less, so overload
  figures compare systems only roughly.  A loss near 0 means the generator, not the
  system, was the limit.
x_nft, x_ceil: fwd_pps as a ratio to nftables and to the AF_XDP reflector ceiling.
cpu_ns: machine CPU per forwarded packet at $FIXED_PPS round trips/s, less the machine's busy
  time in an idle second just before (the box is shared) and the generator's and backends'
  user time (their kernel time stays in: a veth transmit runs the receiver's stack).
  noise: the larger of the runs' spread around the median and the clock-tick resolution;
  cpu_ns is printed only above it, '-' otherwise.  cpu_sut: CPU time of the system's own
  processes (every thread, scheduler accounting) per packet; '-' for nftables, which has
  none (its cost is kernel time, in cpu_ns).  A spinning AF_XDP worker costs a CPU
  whatever the rate.  cpu_all: the machine's busy time, nothing subtracted.
  A run that lost > 1 % at that rate gives no CPU figure.
p50/p99 @10/@50: round-trip latency in us at 10 % / 50 % of the system's own limit.
kept%: sessions answered by the same backend after every client endpoint moved port.
setup/s: handshakes answered per second, first pass sent flat out (--big sessions over
  up to 65536 endpoints); rss_MiB, B/sess: peak RSS of the system's processes after those
  sessions (nftables keeps its state in the kernel: '-'), per session answered.
  '-' in all three when --big 0 set up no sessions.
EOF
	if [ "$BIG" -gt 0 ]; then
		echo "  Sessions answered of $BIG: $(for s in ${SYSTEMS//,/ }; do printf '%s %s  ' "$s" "$(sed -n 's/^big_sessions=//p' "$RES/$s.mem" 2>/dev/null)"; done)"
	fi
	if [ "$PROFILE" = 1 ]; then
		echo
		echo "where the machine's CPU time went during one flat-out run (perf, both CPUs, idle"
		echo "included as swapper; command and kernel/user space; >= 1 %)"
		for size in ${SIZES//,/ }; do
			for sys in ${SYSTEMS//,/ }; do
				[ -f "$RES/$sys.$size.perf" ] || continue
				echo "  $sys, $size bytes: $(head -n1 "$RES/$sys.$size.perf")"
				tail -n +2 "$RES/$sys.$size.perf" | sed 's/^/    /'
			done
		done
	fi
	if [ -s "$RES/engine" ]; then
		echo
		echo "engine (parse -> route -> NAT rewrite -> L2, in memory, 1M sessions, 65536 endpoints)"
		printf '%-13s %8s %8s %8s %8s %8s %8s\n' scenario instr parse nat engine glue ns
		for s in known-cid reply handshake new-cid new-endpoint; do
			awk -F= -v s="$s" '{ v[$1] = $2 }
				function n(x) { return x == "" ? "-" : x }
				END { printf "%-13s %8s %8s %8s %8s %8s %8s\n", s, n(v[s ".ir"]), n(v[s ".ir_parse"]),
					n(v[s ".ir_nat"]), n(v[s ".ir_engine"]), n(v[s ".ir_glue"]), n(v[s ".ns"]) }' \
				"$RES/engine"
		done
		echo "instr: instructions per packet under callgrind (exact).  parse, nat: wgw_pkt_parse /"
		echo "  wgw_pkt_nat inclusive ('-': inlined, then counted in engine); engine: the engine's"
		echo "  entry (wgw_engine_route_batch, the workers' batch entry, or wgw_engine_from_*) less"
		echo "  nat; glue: the bench's loop and the L2 stand-in."
		sed -n 's/^error=/engine: /p' "$RES/engine"
	fi
}

# ------------------------------------------------------------- main

if [ -n "$REPORT_DIR" ]; then
	RES=$REPORT_DIR
	LOAD0="- (a report of saved results)"
	report
	wgw_done
fi
T0=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
if [ "$ENGINE" = 1 ]; then
	log "engine microbenchmark"
	engine_figures
fi
lab_up
for sys in ${SYSTEMS//,/ }; do
	run_system "$sys"
done
log "done in $(( $(date +%s) - T0 )) s"
if [ -n "$OUT" ]; then
	report | tee "$OUT"
else
	report
fi
cp -r "$RES" "${WGW_BENCH_RESULTS:-/dev/null}" 2>/dev/null
wgw_done
