# gateway/ packet codec: addresses, Ethernet/VLAN/IPv4/IPv6/UDP parse and
# build, WRAITH outer header, checksums and the NAT rewrite.  Pure code, no
# dependencies: part of libwgw-engine.a, which everything links.
libwgw_engine_a_SOURCES += gateway/addr.c gateway/addr.h \
	gateway/packet.c gateway/packet.h \
	gateway/csum.c gateway/csum_internal.h

if ENABLE_TESTS
check_PROGRAMS += tests/unit/test_packet
TESTS += tests/unit/test_packet
tests_unit_test_packet_SOURCES = tests/unit/test_packet.c
tests_unit_test_packet_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_unit_test_packet_LDADD = $(WGW_ENGINE_LIBS) $(CHECK_LIBS)
endif
