# gateway/: capture (pcapng of what the workers receive, send and drop, and
# of the XDP program's drops) and trace (one routing decision explained).
# The workers' side goes with the workers; the rest is the control plane's.
libwgw_ports_a_SOURCES += gateway/capture_ring.c gateway/capture.h \
	gateway/capture_internal.h
libwgw_a_SOURCES += gateway/pcapng.c gateway/pcapng.h gateway/capture.c \
	gateway/ctl_capture.c gateway/ctl_trace.c
# Trace reads the engine's tables: it is the engine's.
libwgw_engine_a_SOURCES += gateway/engine_trace.c

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_pcapng
TESTS += tests/unit/test_pcapng
tests_unit_test_pcapng_SOURCES = tests/unit/test_pcapng.c
tests_unit_test_pcapng_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_pcapng_LDADD = $(LDADD) $(CHECK_LIBS)
check_PROGRAMS += tests/unit/test_trace
TESTS += tests/unit/test_trace
tests_unit_test_trace_SOURCES = tests/unit/test_trace.c tests/unit/test_engine_util.h
tests_unit_test_trace_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_trace_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)
endif

TESTS += tests/netns/capture.sh
EXTRA_DIST += tests/netns/capture.sh
