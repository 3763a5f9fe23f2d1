# Backend health (gateway/health.c): the state machine, probe sockets and the
# ICMP reader, driven by the daemon's control thread.
libwgw_a_SOURCES += gateway/health.c gateway/health.h gateway/health_daemon.c

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_health
TESTS += tests/unit/test_health
tests_unit_test_health_SOURCES = tests/unit/test_health.c
tests_unit_test_health_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_health_LDADD = $(WGW_LIBS) $(CHECK_LIBS)
endif

# End to end in network namespaces: dead, unreachable, returning and
# flapping nodes, forced states and fail open; both modes, both families.
if ENABLE_TESTS
TESTS += tests/netns/health.sh
endif
EXTRA_DIST += tests/netns/health.sh
