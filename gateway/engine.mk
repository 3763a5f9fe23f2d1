# gateway/ engine: CID routing with NAT.  Tables (sessions.c), backend views
# and the deterministic rendezvous hash (backends.c, hash.c), reclamation
# (qsbr.c), the per-packet path (engine.c), configuration and admin
# (engine_admin.c), statistics and introspection (engine_info.c).  No library
# beyond libc and pthreads: the tables are preallocated arrays with their own
# lock-free readers (see sessions.h and qsbr.h for why not liburcu).
libwgw_engine_a_SOURCES += gateway/engine.c gateway/engine.h \
	gateway/engine_internal.h gateway/engine_admin.c gateway/engine_info.c \
	gateway/engine_state.c gateway/state.h gateway/statefile.c \
	gateway/sessions.c gateway/sessions.h \
	gateway/backends.c gateway/backends.h \
	gateway/hash.c gateway/hash.h \
	gateway/qsbr.c gateway/qsbr.h

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_sessions tests/unit/test_engine \
	tests/unit/test_engine_stress tests/unit/test_quota tests/unit/test_state \
	tests/unit/test_natpool
TESTS += tests/unit/test_sessions tests/unit/test_engine \
	tests/unit/test_engine_stress tests/unit/test_quota tests/unit/test_state \
	tests/unit/test_natpool

tests_unit_test_sessions_SOURCES = tests/unit/test_sessions.c
tests_unit_test_sessions_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_sessions_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)

tests_unit_test_engine_SOURCES = tests/unit/test_engine.c tests/unit/test_engine_util.h
tests_unit_test_engine_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_engine_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)

tests_unit_test_state_SOURCES = tests/unit/test_state.c tests/unit/test_engine_util.h
tests_unit_test_state_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_state_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)

tests_unit_test_quota_SOURCES = tests/unit/test_quota.c tests/unit/test_engine_util.h
tests_unit_test_quota_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_quota_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)

tests_unit_test_natpool_SOURCES = tests/unit/test_natpool.c tests/unit/test_engine_util.h
tests_unit_test_natpool_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_natpool_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)

tests_unit_test_engine_stress_SOURCES = tests/unit/test_engine_stress.c tests/unit/test_engine_util.h
tests_unit_test_engine_stress_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_engine_stress_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)
endif

# End to end in network namespaces: a pool of NAT addresses with a small
# port range, more client endpoints than one address has ports; both
# modes, both families.
if ENABLE_TESTS
TESTS += tests/netns/natpool.sh
endif
EXTRA_DIST += tests/netns/natpool.sh
