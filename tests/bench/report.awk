# SPDX-License-Identifier: GPL-2.0-only
#
# One row of the benchmark table (tests/bench/run.sh) from one system's
# key=value results at one payload size (and its memory run):
#   awk -F= -f report.awk -v sys=NAME -v base=NFT_PPS -v ceil=CEIL_PPS FILES
# or, with -v header=1 and no input, the header line.
#
# A figure is printed only when it was measured and is physically
# possible: anything missing, "nan", or negative prints "-", and a CPU
# figure below its noise level prints "-" (the noise is the next column).
# tests/bench/report_test.sh checks this on made-up results.

function num(x) { return x != "" && x != "nan" && x ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ }
function n(x, fmt) { return num(x) && x + 0 >= 0 ? sprintf(fmt, x) : "-" }
function ratio(a, b) { return num(a) && num(b) && a + 0 > 0 && b + 0 > 0 ? sprintf("%.2f", a / b) : "-" }
# Peak RSS in MiB: none for a system without processes (nftables).
function rss(kib) { return num(kib) && kib + 0 > 0 ? sprintf("%.1f", kib / 1024) : "-" }
# A CPU figure: a number only above its noise level.
function cpu(x, noise) {
	if (!num(x) || x + 0 <= 0)
		return "-"
	if (num(noise) && x + 0 < noise + 0)
		return "-"
	return sprintf("%.0f", x)
}

BEGIN {
	fmt = "%-9s %10s %10s %6s %6s %6s %8s %7s %8s %8s %7s %7s %7s %7s %6s %9s %8s %7s\n"
	if (header) {
		printf fmt, "system", "fwd_pps", "over_pps", "loss%", "x_nft", "x_ceil",
			"cpu_ns", "noise", "cpu_sut", "cpu_all", "p50@10", "p99@10", "p50@50",
			"p99@50", "kept%", "setup/s", "rss_MiB", "B/sess"
		exit
	}
}

{ v[$1] = $2 }

# setup/s is the memory run's only: the handshake phase before the traffic
# runs is paced, its rate says nothing of the system.
END {
	if (header)
		exit
	printf fmt, sys,
		n(v["limit_pps"], "%.0f") (num(v["limit_loss"]) && v["limit_loss"] >= 0.1 ? "*" : ""),
		n(v["over_pps"], "%.0f"), n(v["over_loss"], "%.1f"),
		ratio(v["limit_pps"], base), ratio(v["limit_pps"], ceil),
		cpu(v["cpu_ns"], v["cpu_noise_ns"]), n(v["cpu_noise_ns"], "%.0f"),
		cpu(v["cpu_sut_ns"], ""), cpu(v["cpu_all_ns"], ""),
		n(v["p50_10"], "%.0f"), n(v["p99_10"], "%.0f"),
		n(v["p50_50"], "%.0f"), n(v["p99_50"], "%.0f"),
		n(v["kept_pct"], "%.1f"), n(v["big_setup_rate"], "%.0f"),
		rss(v["rss_kib"]),
		n(v["bytes_per_session"], "%.0f")
}
