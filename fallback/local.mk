# fallback/: the ports of the fallback path, UDP sockets bound to the VIPs
# (WAN) and a multi-queue TUN device owning the NAT address (LAN), and the
# synthetic headers that make what they receive look like Ethernet frames.
libwgw_ports_a_SOURCES += fallback/synth.c fallback/synth.h \
	fallback/udp.c fallback/udp.h \
	fallback/tun.c fallback/tun.h

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_fallback
TESTS += tests/unit/test_fallback
tests_unit_test_fallback_SOURCES = tests/unit/test_fallback.c
tests_unit_test_fallback_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_fallback_LDADD = $(LDADD) $(CHECK_LIBS)

# The netns test drives this program in its roles (gateway loop, echo
# backend, client, flood); it is not a test by itself.
check_PROGRAMS += tests/netns/fallback_ports
tests_netns_fallback_ports_SOURCES = tests/netns/fallback_ports.c
tests_netns_fallback_ports_LDADD = $(WGW_PORTS_LIBS)
TESTS += tests/netns/fallback_ports.sh
EXTRA_DIST += tests/netns/fallback_ports.sh

# Losses of the TUN/UDP side with the daemon in the lab: the egress MTU
# followed over netlink, fragmented backend replies counted.
TESTS += tests/netns/kernel_path.sh
EXTRA_DIST += tests/netns/kernel_path.sh
endif
