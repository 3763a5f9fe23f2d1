# tests/bench/: the benchmark lab, run by "make bench" (root; not part of
# "make check").  Its programs are EXTRA_PROGRAMS, built only by "make
# bench", so plain "make" does not pay for them.
#
#   wgw-loadgen    AF_XDP load generator: WRAITH-shaped sessions from the
#                  client namespace, replies timestamped on receipt
#   wgw-reflector  minimal AF_XDP reflector: the ceiling of AF_XDP on the
#                  box, and the fast backends that answer
#   engine_bench   parse -> engine -> NAT rewrite over in-memory batches
#                  (ns per packet; instructions per packet under callgrind)

EXTRA_PROGRAMS += tests/bench/wgw-loadgen tests/bench/wgw-reflector \
	tests/bench/engine_bench
tests_bench_wgw_loadgen_SOURCES = tests/bench/wgw-loadgen.c \
	tests/bench/bench_xsk.c tests/bench/bench_xsk.h tests/tools/proto.h
tests_bench_wgw_loadgen_LDADD = $(LDADD) -lm
tests_bench_wgw_reflector_SOURCES = tests/bench/wgw-reflector.c \
	tests/bench/bench_xsk.c tests/bench/bench_xsk.h tests/tools/proto.h
tests_bench_engine_bench_SOURCES = tests/bench/engine_bench.c

BENCH_PROGS = tests/bench/wgw-loadgen$(EXEEXT) tests/bench/wgw-reflector$(EXEEXT) \
	tests/bench/engine_bench$(EXEEXT)
CLEANFILES += $(BENCH_PROGS)
EXTRA_DIST += tests/bench/run.sh tests/bench/report.awk tests/bench/nginx.conf.in \
	docs/benchmarks.md

# The report prints only possible figures: checked on made-up results, no
# root and no lab needed.
TESTS += tests/bench/report_test.sh
EXTRA_DIST += tests/bench/report_test.sh tests/bench/restart_loss.sh

# BENCH_ARGS: extra arguments for run.sh, e.g. make bench BENCH_ARGS=--quick
.PHONY: bench
bench: $(BENCH_PROGS) wraith-gatewayd$(EXEEXT) tests/tools/wraith-backend$(EXEEXT)
	WGW_TOP_SRCDIR='$(abs_top_srcdir)' WGW_TOP_BUILDDIR='$(abs_top_builddir)' \
		$(SHELL) $(top_srcdir)/tests/bench/run.sh $(BENCH_ARGS)
