# gateway/: capture (pcapng of what the workers receive, send and drop, and
# of the XDP program's drops) and trace (one routing decision explained).
libwgw_a_SOURCES += gateway/pcapng.c gateway/pcapng.h

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_pcapng
TESTS += tests/unit/test_pcapng
tests_unit_test_pcapng_SOURCES = tests/unit/test_pcapng.c
tests_unit_test_pcapng_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_pcapng_LDADD = $(LDADD) $(CHECK_LIBS)
endif
