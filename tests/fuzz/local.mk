# tests/fuzz/: libFuzzer targets (clang -fsanitize=fuzzer, with ASan and
# UBSan).  Never built by "make" or "make check":
#
#   make fuzz                 build every target into tests/fuzz/
#   make fuzz-smoke           build, then run each one for FUZZ_SMOKE_S seconds
#                             (default 20) from its seed corpus: the CI run
#   tests/fuzz/run.sh NAME [SECONDS] [libFuzzer options]   one target, longer
#
# Each target compiles the code it tests from source with the fuzzer's
# instrumentation (coverage feedback needs it); what it only calls (logging,
# libbpf) comes from libwgw.a as built.  Seed corpora are in
# tests/fuzz/seeds/NAME/ in the source tree (read-only to runs); new
# inputs go to tests/fuzz/corpus/NAME/ in the build tree, crashes to
# tests/fuzz/crash/NAME-*.

FUZZ_NAMES = packet engine config ctl xdp state
FUZZ_TARGETS = tests/fuzz/fuzz_packet tests/fuzz/fuzz_engine \
	tests/fuzz/fuzz_config tests/fuzz/fuzz_ctl tests/fuzz/fuzz_xdp \
	tests/fuzz/fuzz_state
FUZZ_SMOKE_S = 20

FUZZ_CC = $(CLANG)
FUZZ_SAN = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS = -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -pthread \
	-Wall -Wextra -Wno-unused-parameter \
	$(DEFS) -I$(top_builddir) -I$(top_srcdir) $(AM_CPPFLAGS) \
	$(LIBBPF_CFLAGS) $(LIBXDP_CFLAGS) $(INIH_CFLAGS)
FUZZ_LINK = $(FUZZ_CC) $(FUZZ_FLAGS) -o $@

FUZZ_CODEC_SRC = $(srcdir)/gateway/packet.c $(srcdir)/gateway/csum.c \
	$(srcdir)/gateway/addr.c
FUZZ_ENGINE_SRC = $(FUZZ_CODEC_SRC) $(srcdir)/gateway/engine.c \
	$(srcdir)/gateway/engine_admin.c $(srcdir)/gateway/engine_info.c \
	$(srcdir)/gateway/engine_state.c $(srcdir)/gateway/statefile.c \
	$(srcdir)/gateway/sessions.c $(srcdir)/gateway/backends.c \
	$(srcdir)/gateway/hash.c $(srcdir)/gateway/qsbr.c
FUZZ_CONFIG_SRC = $(srcdir)/gateway/options.c $(srcdir)/gateway/options_table.c \
	$(srcdir)/gateway/options_file.c $(srcdir)/gateway/options_print.c \
	$(srcdir)/gateway/config.c $(srcdir)/gateway/addr.c
FUZZ_CTL_SRC = $(srcdir)/gateway/ctlproto.c $(srcdir)/gateway/doc.c

EXTRA_DIST += tests/fuzz/fuzz_common.h tests/fuzz/fuzz_packet.c \
	tests/fuzz/fuzz_engine.c tests/fuzz/fuzz_config.c tests/fuzz/fuzz_ctl.c \
	tests/fuzz/fuzz_state.c \
	tests/fuzz/fuzz_xdp.c tests/fuzz/run.sh tests/fuzz/seeds tests/fuzz/README \
	tests/fuzz/config.dict tests/fuzz/make_seeds.py
CLEANFILES += $(FUZZ_TARGETS)

tests/fuzz/fuzz_packet: $(srcdir)/tests/fuzz/fuzz_packet.c \
		$(srcdir)/tests/fuzz/fuzz_common.h $(FUZZ_CODEC_SRC) $(WGW_LIB_FILES)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_packet.c $(FUZZ_CODEC_SRC)

tests/fuzz/fuzz_engine: $(srcdir)/tests/fuzz/fuzz_engine.c \
		$(srcdir)/tests/fuzz/fuzz_common.h $(FUZZ_ENGINE_SRC) $(WGW_LIB_FILES)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_engine.c $(FUZZ_ENGINE_SRC) \
		$(LDADD)

tests/fuzz/fuzz_config: $(srcdir)/tests/fuzz/fuzz_config.c \
		$(srcdir)/tests/fuzz/fuzz_common.h $(FUZZ_CONFIG_SRC) $(WGW_LIB_FILES)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_config.c $(FUZZ_CONFIG_SRC) \
		$(LDADD)

tests/fuzz/fuzz_state: $(srcdir)/tests/fuzz/fuzz_state.c \
		$(srcdir)/tests/fuzz/fuzz_common.h $(FUZZ_ENGINE_SRC) $(WGW_LIB_FILES)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_state.c $(FUZZ_ENGINE_SRC) \
		$(LDADD)

tests/fuzz/fuzz_ctl: $(srcdir)/tests/fuzz/fuzz_ctl.c \
		$(srcdir)/tests/fuzz/fuzz_common.h $(FUZZ_CTL_SRC)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_ctl.c $(FUZZ_CTL_SRC) -lm

# The XDP program is not compiled by the host compiler, so it brings no
# coverage of its own: the harness feeds the program's counters to
# libFuzzer as extra features instead (see fuzz_xdp.c).
tests/fuzz/fuzz_xdp: $(srcdir)/tests/fuzz/fuzz_xdp.c \
		$(srcdir)/tests/fuzz/fuzz_common.h $(srcdir)/tests/bpf/xdp_codec.h \
		$(FUZZ_CODEC_SRC) $(WGW_LIB_FILES)
	@$(MKDIR_P) tests/fuzz
	$(AM_V_CCLD)$(FUZZ_LINK) $(srcdir)/tests/fuzz/fuzz_xdp.c $(FUZZ_CODEC_SRC) \
		$(LDADD)

fuzz: $(FUZZ_TARGETS)

fuzz-smoke: fuzz
	@fail=0; for n in $(FUZZ_NAMES); do \
		WGW_TOP_SRCDIR='$(abs_top_srcdir)' WGW_TOP_BUILDDIR='$(abs_top_builddir)' \
		$(SHELL) $(srcdir)/tests/fuzz/run.sh $$n $(FUZZ_SMOKE_S) || fail=1; \
	done; test $$fail = 0

.PHONY: fuzz fuzz-smoke

# The rest of the hardening work lives with the fuzz targets: the netns
# tests that try to make the daemon relay or drown in handshakes, and the
# ASan/UBSan run of the whole suite (tests/sanitize.sh, not run by
# "make check": it is a build of its own).
TESTS += tests/netns/relay.sh tests/netns/flood.sh tests/netns/forward.sh tests/netns/loop.sh
EXTRA_DIST += tests/netns/relay.sh tests/netns/flood.sh tests/netns/forward.sh \
	tests/netns/loop.sh tests/sanitize.sh
