# gateway/: operating the daemon.  The control socket server and its
# protocol codec, counters (text, JSON, Prometheus), live reload, the
# privilege drop (libcap-ng), wraith-gatewayctl, the systemd unit, and their
# tests.

libwgw_ctl_a_SOURCES += gateway/ctlproto.c gateway/ctlproto.h

libwgw_a_SOURCES += gateway/ctl.c gateway/ctl.h gateway/ctl_internal.h \
	gateway/ctl_cmds.c gateway/ctl_http.c \
	gateway/stats.c gateway/stats.h gateway/metrics.c \
	gateway/reload.c gateway/reload.h \
	gateway/privs.c gateway/privs.h

# The client needs only the protocol codec and the document writer.
sbin_PROGRAMS += wraith-gatewayctl
wraith_gatewayctl_SOURCES = gateway/wraith-gatewayctl.c gateway/ctl_upgrade.c \
	gateway/ctl_upgrade.h
wraith_gatewayctl_CPPFLAGS = $(AM_CPPFLAGS) -DWGW_SBINDIR='"$(sbindir)"'
wraith_gatewayctl_LDADD = $(WGW_CTL_LIBS)

dist_man_MANS += gateway/wraith-gatewayctl.8

# bash completion: options and commands from the programs' --help, the
# backends from the running daemon.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = completion/wraith-gatewayd completion/wraith-gatewayctl

# The unit names the installed paths, so it is made by make (not by
# configure) and made again whenever they differ from what it holds: "make
# install prefix=/usr" after a build for /usr/local installs a unit that
# starts /usr/sbin/wraith-gatewayd.
systemdsystemunit_DATA = gateway/wraith-gatewayd.service
EXTRA_DIST += gateway/wraith-gatewayd.service.in
CLEANFILES += gateway/wraith-gatewayd.service gateway/wraith-gatewayd.service.tmp
gateway/wraith-gatewayd.service: $(srcdir)/gateway/wraith-gatewayd.service.in wgw-unit-paths
	@$(MKDIR_P) gateway
	$(AM_V_GEN)sed -e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/gateway/wraith-gatewayd.service.in >$@.tmp && \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi
.PHONY: wgw-unit-paths
wgw-unit-paths:

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_ctl
TESTS += tests/unit/test_ctl
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c
tests_unit_test_ctl_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ctl_LDADD = $(LDADD) $(CHECK_LIBS)
# The same source, the tests that need root: a SKIP (77) without it.
check_PROGRAMS += tests/unit/test_ctl_root
TESTS += tests/unit/test_ctl_root
tests_unit_test_ctl_root_SOURCES = tests/unit/test_ctl.c
tests_unit_test_ctl_root_CPPFLAGS = $(AM_CPPFLAGS) -DWGW_TEST_CTL_ROOT
tests_unit_test_ctl_root_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_ctl_root_LDADD = $(LDADD) $(CHECK_LIBS)

# The control protocol and reload against the real daemon in the lab, and
# an install into a DESTDIR whose daemon must start and attach its program.
TESTS += tests/netns/ctl_proto.sh tests/netns/ctl_backends.sh \
	tests/netns/ctl_reload.sh tests/netns/install.sh tests/netns/second_daemon.sh
endif
EXTRA_DIST += tests/netns/ctl_lib.sh tests/netns/sessions_lib.sh tests/netns/ctl_proto.sh \
	tests/netns/ctl_backends.sh tests/netns/ctl_reload.sh tests/netns/install.sh \
	tests/netns/second_daemon.sh

# The Prometheus exposition through a real parser, in both modes.
if ENABLE_TESTS
TESTS += tests/netns/metrics.sh
endif
EXTRA_DIST += tests/netns/metrics.sh
