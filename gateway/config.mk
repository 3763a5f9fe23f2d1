# gateway/: the daemon's options and configuration.  One option table
# (gateway/options_table.c) generates the command line (options.c), the
# config file keys (options_file.c), --help and the printed configuration
# (options_print.c) and the reload classes; gateway/config.c holds the value
# parsers and the checks across options.

libwgw_ctl_a_SOURCES += gateway/options.c gateway/options.h gateway/options_internal.h \
	gateway/options_table.c gateway/options_file.c gateway/options_print.c \
	gateway/config.c

dist_man_MANS += gateway/wraith-gatewayd.8 gateway/wraith-gateway.conf.5

# The commented sample is installed next to where the real file goes; the
# operator copies it to wraith-gateway.conf.
wgwconfdir = $(sysconfdir)/wraith-gateway
dist_wgwconf_DATA = gateway/wraith-gateway.conf.sample

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DWGW_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_config_LDADD = $(WGW_CTL_LIBS) $(CHECK_LIBS)
endif
