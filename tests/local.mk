# tests/: netns harness and the WRAITH traffic tools (client simulator,
# backend responder).  Other test suites have fragments of their own.

# The tools are built by plain "make": the demo and the benchmark lab use
# them, not only "make check".  They need nothing from libwgw.a (proto.h
# uses only packet.h's constants and inlines), so they link alone.
noinst_PROGRAMS += tests/tools/wraith-client tests/tools/wraith-backend
tests_tools_wraith_client_SOURCES = tests/tools/wraith-client.c \
	tests/tools/proto.h tests/tools/tool_util.c tests/tools/tool_util.h
tests_tools_wraith_client_LDADD = -lm
tests_tools_wraith_backend_SOURCES = tests/tools/wraith-backend.c \
	tests/tools/proto.h tests/tools/tool_util.c tests/tools/tool_util.h
tests_tools_wraith_backend_LDADD = -lpthread -lm

# netns scripts are bash; each re-executes itself with bash when started by
# another shell ($(SHELL) may be dash).  lib.sh is sourced, not run.
EXTRA_DIST += tests/netns/lib.sh
TESTS += tests/netns/harness_selftest.sh tests/netns/tools_selftest.sh
EXTRA_DIST += tests/netns/harness_selftest.sh tests/netns/tools_selftest.sh

# libFuzzer targets: built only by "make fuzz" / "make fuzz-smoke".
include tests/fuzz/local.mk

include tests/bench/local.mk

include tests/netns/faults.mk
include tests/netns/ecmp.mk
