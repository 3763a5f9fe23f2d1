# bpf/: the XDP classifier, embedded in the daemon through a bpftool skeleton
# (bpf/wraith_xdp.skel.h carries the object's bytes), so the build tree and an
# installed daemon load the same program without looking for files.  Also the
# userspace loader (gateway/xdp*.c), its Check test and the AF_XDP test tool.

BPF_OBJS = bpf/wraith_xdp.bpf.o
BPF_SKELS = bpf/wraith_xdp.skel.h

EXTRA_DIST += bpf/wraith_xdp.bpf.c bpf/wraith_shared.h bpf/wraith_proto.h
BUILT_SOURCES += $(BPF_SKELS)
CLEANFILES += $(BPF_OBJS) $(BPF_SKELS) bpf/wraith_xdp.skel.h.tmp

# No automatic dependency tracking for the BPF object: the program includes
# only the shared headers and system headers.
bpf/wraith_xdp.bpf.o: $(srcdir)/bpf/wraith_xdp.bpf.c $(srcdir)/bpf/wraith_shared.h \
		$(srcdir)/bpf/wraith_proto.h
	@$(MKDIR_P) bpf
	$(AM_V_CC)$(CLANG) -O2 -g -target bpf -Wall -Werror $(BPF_CPPFLAGS) \
		-I$(top_srcdir) -c -o $@ $(srcdir)/bpf/wraith_xdp.bpf.c

# Written to a temporary file first, so an interrupted bpftool never leaves
# a truncated header that make would take as up to date.
bpf/wraith_xdp.skel.h: bpf/wraith_xdp.bpf.o
	$(AM_V_GEN)$(BPFTOOL) gen skeleton bpf/wraith_xdp.bpf.o name wraith_xdp >$@.tmp && \
		mv -f $@.tmp $@

libwgw_ports_a_SOURCES += gateway/xdp.c gateway/xdp.h gateway/xdp_internal.h \
	gateway/xdp_inspect.c gateway/xdp_maps.c gateway/xdp_log.c \
	gateway/xdp_capture.c \
	bpf/wraith_shared.h bpf/wraith_proto.h
nodist_libwgw_ports_a_SOURCES = $(BPF_SKELS)
# BUILT_SOURCES is honoured only by "make all/check/install": a target built
# by name needs the edge itself.
gateway/xdp.$(OBJEXT) gateway/xdp_maps.$(OBJEXT) gateway/xdp_capture.$(OBJEXT): $(BPF_SKELS)

if ENABLE_TESTS
check_PROGRAMS += tests/bpf/test_xdp
tests_bpf_test_xdp_SOURCES = tests/bpf/test_xdp.c tests/bpf/xdp_codec.h
tests_bpf_test_xdp_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_bpf_test_xdp_LDADD = $(WGW_PORTS_LIBS) $(CHECK_LIBS)
TESTS += tests/bpf/test_xdp

# The AF_XDP receiver / UDP sender and listener that xdp_steer.sh drives.
check_PROGRAMS += tests/tools/wgw-xsk-rx
tests_tools_wgw_xsk_rx_SOURCES = tests/tools/wgw-xsk-rx.c

TESTS += tests/netns/xdp_steer.sh
EXTRA_DIST += tests/netns/xdp_steer.sh
# xdp-attach shared: through libxdp, alone or in its dispatcher.
TESTS += tests/netns/xdp_shared.sh tests/netns/xdp_dispatcher.sh
EXTRA_DIST += tests/netns/xdp_shared.sh tests/netns/xdp_dispatcher.sh

endif
