# netlink/: all kernel configuration and queries.  rtnetlink through
# libnl-route (caches, cache manager, next hops, address claims), ethtool and
# netdev generic netlink through libmnl (channels, rings, coalescing,
# features, xdp-features), per-interface sysctls, interface preparation and
# the capability probe.  Knows nothing of packets.
libwgw_netlink_a_SOURCES += \
	netlink/uapi/linux/netdev.h \
	netlink/nlsock.c netlink/nlsock.h \
	netlink/genl.c netlink/genl.h \
	netlink/ethtool.c netlink/ethtool.h \
	netlink/netdev.c netlink/netdev.h
libwgw_netlink_a_SOURCES += \
	netlink/rtnl.c netlink/rtnl.h netlink/rtnl_internal.h \
	netlink/nexthop.c netlink/claim.c netlink/confine.c
libwgw_netlink_a_SOURCES += \
	netlink/sysctl.c netlink/sysctl.h \
	netlink/ifprep.c netlink/ifprep.h \
	netlink/probe.c netlink/probe.h netlink/link.c netlink/link.h

# The probe on its own (the daemon's --probe calls the same functions).
noinst_PROGRAMS += netlink/wgw-probe
netlink_wgw_probe_SOURCES = netlink/wgw-probe.c

if ENABLE_TESTS
# Builders and parsers against byte buffers: no privileges.
check_PROGRAMS += tests/unit/test_netlink
TESTS += tests/unit/test_netlink
tests_unit_test_netlink_SOURCES = tests/unit/test_netlink.c
tests_unit_test_netlink_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_netlink_LDADD = $(WGW_NETLINK_LIBS) $(CHECK_LIBS)
endif

if ENABLE_TESTS
# Live, each test in a private network namespace; root only (skip: 77).
check_PROGRAMS += tests/netns/netlink_live
TESTS += tests/netns/netlink_live
tests_netns_netlink_live_SOURCES = tests/netns/netlink_live.c
tests_netns_netlink_live_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_netns_netlink_live_LDADD = $(WGW_NETLINK_LIBS) $(CHECK_LIBS)
endif

# The probe's output on a veth in a namespace (root; skip: 77).
TESTS += tests/netns/netlink_probe.sh
EXTRA_DIST += tests/netns/netlink_probe.sh
