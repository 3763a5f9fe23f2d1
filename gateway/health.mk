# Backend health (gateway/health.c): the state machine, probe sockets and the
# ICMP reader, driven by the daemon's control thread.
libwgw_a_SOURCES += gateway/health.c gateway/health.h

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_health
TESTS += tests/unit/test_health
tests_unit_test_health_SOURCES = tests/unit/test_health.c
tests_unit_test_health_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_health_LDADD = $(WGW_LIBS) $(CHECK_LIBS)
endif
