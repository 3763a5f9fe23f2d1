# gateway/: the daemon and its engine.  The packet codec, the engine and the
# configuration have fragments of their own.
include gateway/codec.mk
include gateway/engine.mk
include gateway/config.mk

libwgw_engine_a_SOURCES += gateway/log.c gateway/log.h gateway/doc.c gateway/doc.h

# The ports layer (libwgw-ports.a): buffer pools, AF_XDP ports, the workers
# and their next hops; the XDP loader (bpf/local.mk) and the fallback ports
# (fallback/local.mk) join it.
libwgw_ports_a_SOURCES += gateway/pool.c gateway/pool.h gateway/port.h \
	gateway/xsk.c gateway/xsk.h gateway/counter.h \
	gateway/nexthop.c gateway/nexthop.h \
	gateway/worker.c gateway/worker.h \
	gateway/hslimit.c gateway/hslimit.h \
	gateway/store.c gateway/store.h

libwgw_a_SOURCES += gateway/daemon.c gateway/daemon.h gateway/daemon_internal.h \
	gateway/daemon_state.c \
	gateway/datapath.c gateway/journal.c gateway/natown.c \
	gateway/takeover.c gateway/takeover.h

sbin_PROGRAMS += wraith-gatewayd
wraith_gatewayd_SOURCES = gateway/main.c

# The daemon end to end in network namespaces (tests/netns/lab.sh), and the
# demo that is the README's first command.
# One test body (gateway_e2e.sh) runs once per data path: the ladder walked
# automatically, the fallback path forced, and both mixed modes.
E2E_TESTS = tests/netns/e2e_auto.sh tests/netns/e2e_fallback.sh \
	tests/netns/e2e_mixed_wan.sh tests/netns/e2e_mixed_lan.sh
TESTS += $(E2E_TESTS) tests/netns/ladder.sh tests/netns/statefile.sh tests/netns/takeover.sh \
	tests/netns/store.sh
EXTRA_DIST += tests/netns/lab.sh tests/netns/gateway_e2e.sh $(E2E_TESTS) \
	tests/netns/ladder.sh tests/netns/statefile.sh tests/netns/takeover.sh tests/netns/store.sh tests/demo.sh tests/deps.sh tests/build.sh \
	tests/check.sh tests/show-failures.sh

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_nexthop tests/unit/test_worker tests/unit/test_store
TESTS += tests/unit/test_nexthop tests/unit/test_worker tests/unit/test_store
tests_unit_test_nexthop_SOURCES = tests/unit/test_nexthop.c
tests_unit_test_nexthop_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_nexthop_LDADD = $(WGW_PORTS_LIBS) $(CHECK_LIBS)
tests_unit_test_worker_SOURCES = tests/unit/test_worker.c tests/unit/test_engine_util.h
tests_unit_test_worker_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_worker_LDADD = $(WGW_PORTS_LIBS) $(CHECK_LIBS)
# The session store against a real redis-server the test starts (77
# without redis-server).
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/test_engine_util.h
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_store_LDADD = $(WGW_PORTS_LIBS) $(CHECK_LIBS)
endif
include gateway/ops.mk
include gateway/capture.mk
include gateway/health.mk
