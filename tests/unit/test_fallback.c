// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fallback port helpers that need no privileges: the synthetic headers the
 * UDP port builds in front of received payloads, the TX-side parse of the
 * UDP port, and the TUN port's virtio-header handling in both directions
 * (partial checksums finished on RX, offloaded on TX).  Random payloads
 * are seeded (WGW_TEST_SEED overrides the seed).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/virtio_net.h>

#include "fallback/synth.h"
#include "fallback/tun.h"
#include "fallback/udp.h"
#include "gateway/addr.h"
#include "gateway/ctlproto.h"
#include "gateway/hslimit.h"
#include "gateway/log.h"
#include "gateway/packet.h"
#include "gateway/pool.h"
#include "gateway/stats.h"

#define FRAME_CAP 2048	/* bytes */
#define RAND_ITERS 2000	/* random datagrams per test */

static uint64_t rng_state;

static void rng_seed(void)
{
	const char *s = getenv("WGW_TEST_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : 0xfa11bac4c0ffee11ULL;
	if (!rng_state)
		rng_state = 1;
}

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static void rng_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rng();
}

static union wgw_addr A(const char *s)
{
	union wgw_addr a;

	ck_assert_int_eq(wgw_addr_parse(&a, s), 0);
	return a;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* ------------------------------------------------------------ synth */

static void check_synth4(uint16_t plen, bool csum)
{
	uint8_t buf[FRAME_CAP + 128], pl[FRAME_CAP];
	union wgw_addr s = A("198.51.100.7"), d = A("203.0.113.10"), got;
	uint8_t *payload = buf + 64, *frame;
	struct wgw_pkt p;

	rng_bytes(pl, plen);
	memcpy(payload, pl, plen);
	frame = wgw_synth_udp4(payload, plen, wgw_addr_v4(&s), htons(51000),
			       wgw_addr_v4(&d), htons(8420), csum);
	ck_assert_ptr_eq(frame, payload - WGW_SYNTH_HDR4_LEN);
	ck_assert_int_eq(wgw_pkt_parse(&p, frame, WGW_SYNTH_HDR4_LEN + plen), WGW_PKT_UDP);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_int_eq(p.vlan_tpid, 0);
	ck_assert_int_eq(p.l3_off, 14);
	ck_assert_int_eq(p.payload_off, WGW_SYNTH_HDR4_LEN);
	ck_assert_int_eq(p.payload_len, plen);
	ck_assert_int_eq(p.ip_len, 28 + plen);
	wgw_pkt_get_saddr(&p, &got);
	ck_assert(wgw_addr_eq(&got, &s));
	wgw_pkt_get_daddr(&p, &got);
	ck_assert(wgw_addr_eq(&got, &d));
	ck_assert_uint_eq(wgw_pkt_sport(&p), 51000);
	ck_assert_uint_eq(wgw_pkt_dport(&p), 8420);
	ck_assert(wgw_pkt_csum_ok(&p));
	ck_assert_int_eq(frame[14 + 8], WGW_SYNTH_TTL);
	for (int i = 0; i < 12; i++)
		ck_assert_int_eq(frame[i], 0);
	if (csum) {
		ck_assert_uint_ne(get16(frame + 14 + 20 + 6), 0);
		ck_assert(!wgw_pkt_udp_csum_is_partial(&p));
	} else {
		ck_assert_uint_eq(get16(frame + 14 + 20 + 6), 0);
	}
	ck_assert_mem_eq(frame + WGW_SYNTH_HDR4_LEN, pl, plen);
}

START_TEST(synth_ip4)
{
	rng_seed();
	check_synth4(0, true);
	check_synth4(0, false);
	check_synth4(1, true);
	for (int i = 0; i < RAND_ITERS; i++)
		check_synth4((uint16_t)(rng() % 1500), i & 1);
}
END_TEST

static void check_synth6(uint16_t plen)
{
	uint8_t buf[FRAME_CAP + 128], pl[FRAME_CAP];
	union wgw_addr s = A("2001:db8::7"), d = A("2001:db8:1::10"), got;
	uint8_t *payload = buf + 64, *frame;
	struct wgw_pkt p;

	rng_bytes(pl, plen);
	memcpy(payload, pl, plen);
	frame = wgw_synth_udp6(payload, plen, &s.in6, htons(40001), &d.in6, htons(40000));
	ck_assert_ptr_eq(frame, payload - WGW_SYNTH_HDR6_LEN);
	ck_assert_int_eq(wgw_pkt_parse(&p, frame, WGW_SYNTH_HDR6_LEN + plen), WGW_PKT_UDP);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_int_eq(get16(frame + 12), 0x86dd);
	ck_assert_int_eq(p.payload_off, WGW_SYNTH_HDR6_LEN);
	ck_assert_int_eq(p.payload_len, plen);
	ck_assert_int_eq(p.ip_len, 48 + plen);
	wgw_pkt_get_saddr(&p, &got);
	ck_assert(wgw_addr_eq(&got, &s));
	wgw_pkt_get_daddr(&p, &got);
	ck_assert(wgw_addr_eq(&got, &d));
	ck_assert_uint_eq(wgw_pkt_sport(&p), 40001);
	ck_assert_uint_eq(wgw_pkt_dport(&p), 40000);
	ck_assert_uint_ne(get16(frame + 14 + 40 + 6), 0);
	ck_assert(wgw_pkt_csum_ok(&p));
	ck_assert_mem_eq(frame + WGW_SYNTH_HDR6_LEN, pl, plen);
}

START_TEST(synth_ip6)
{
	rng_seed();
	check_synth6(0);
	check_synth6(1);
	for (int i = 0; i < RAND_ITERS; i++)
		check_synth6((uint16_t)(rng() % 1500));
}
END_TEST

/* A corrupted payload byte must make the checksums fail: they cover it. */
START_TEST(synth_csum_detects)
{
	uint8_t buf[256], *frame;
	union wgw_addr s = A("2001:db8::7"), d = A("2001:db8:1::10");
	struct wgw_pkt p;

	memset(buf, 0xab, sizeof(buf));
	frame = wgw_synth_udp6(buf + 64, 100, &s.in6, htons(1), &d.in6, htons(2));
	frame[WGW_SYNTH_HDR6_LEN + 50] ^= 1;
	ck_assert_int_eq(wgw_pkt_parse(&p, frame, WGW_SYNTH_HDR6_LEN + 100), WGW_PKT_UDP);
	ck_assert(!wgw_pkt_csum_ok(&p));
	frame = wgw_synth_udp4(buf + 64, 100, htonl(0x01020304), htons(1),
			       htonl(0x05060708), htons(2), true);
	frame[WGW_SYNTH_HDR4_LEN + 50] ^= 1;
	ck_assert_int_eq(wgw_pkt_parse(&p, frame, WGW_SYNTH_HDR4_LEN + 100), WGW_PKT_UDP);
	ck_assert(!wgw_pkt_csum_ok(&p));
	/* Too long for the 16-bit length fields. */
	ck_assert_ptr_null(wgw_synth_udp4(buf + 64, 65535 - 27, 0, 0, 0, 0, false));
	ck_assert_ptr_null(wgw_synth_udp6(buf + 64, 65535 - 7, &s.in6, 0, &d.in6, 0));
}
END_TEST

/* ------------------------------------------------------------ UDP TX parse */

static int build(uint8_t *buf, const char *sa, uint16_t sp, const char *da, uint16_t dp,
		 uint16_t plen, uint16_t tpid)
{
	static uint8_t pl[FRAME_CAP];
	struct wgw_pkt_spec spec = {
		.saddr = A(sa), .daddr = A(da), .sport = sp, .dport = dp,
		.payload = pl, .payload_len = plen, .vlan_tpid = tpid, .vlan_tci = 7,
	};
	int n;

	memset(pl, 0x5a, plen);
	n = wgw_pkt_build(buf, FRAME_CAP, &spec);
	ck_assert_int_gt(n, 0);
	return n;
}

START_TEST(udp_tx_parse_ok)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_udp_txinfo ti;
	union wgw_addr a;
	int n;

	n = build(buf, "203.0.113.10", 8420, "198.51.100.7", 51000, 100, 0);
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n, &ti), 0);
	ck_assert_int_eq(ti.family, AF_INET);
	a = A("203.0.113.10");
	ck_assert(wgw_addr_eq(&ti.saddr, &a));
	a = A("198.51.100.7");
	ck_assert(wgw_addr_eq(&ti.daddr, &a));
	ck_assert_uint_eq(ti.sport, 8420);
	ck_assert_uint_eq(ti.dport, 51000);
	ck_assert_ptr_eq(ti.payload, buf + 42);
	ck_assert_uint_eq(ti.payload_len, 100);

	/* VLAN-tagged IPv6 with Ethernet padding after it. */
	n = build(buf, "2001:db8:1::10", 40000, "2001:db8::7", 1, 30, 0x8100);
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n + 20, &ti), 0);
	ck_assert_int_eq(ti.family, AF_INET6);
	ck_assert_ptr_eq(ti.payload, buf + 18 + 48);
	ck_assert_uint_eq(ti.payload_len, 30);
	ck_assert_uint_eq(ti.dport, 1);
}
END_TEST

START_TEST(udp_tx_parse_refused)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_udp_txinfo ti;
	int n;

	/* Destination port 0. */
	n = build(buf, "203.0.113.10", 8420, "198.51.100.7", 0, 40, 0);
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n, &ti), -EINVAL);
	/* Truncated: the UDP length says more than the frame holds. */
	n = build(buf, "203.0.113.10", 8420, "198.51.100.7", 9, 40, 0);
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n - 1, &ti), -EPROTO);
	ck_assert_int_eq(wgw_udp_tx_parse(buf, 20, &ti), -EPROTO);
	/* Not UDP. */
	buf[14 + 9] = IPPROTO_TCP;
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n, &ti), -EPROTO);
	/* Fragment. */
	n = build(buf, "203.0.113.10", 8420, "198.51.100.7", 9, 40, 0);
	buf[14 + 6] |= 0x20;	/* MF */
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n, &ti), -EPROTO);
	/* Not IP (ARP ethertype). */
	n = build(buf, "203.0.113.10", 8420, "198.51.100.7", 9, 40, 0);
	buf[12] = 0x08;
	buf[13] = 0x06;
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n, &ti), -EPROTO);
	/* IPv6 with an extension header. */
	n = build(buf, "2001:db8:1::10", 40000, "2001:db8::7", 1, 30, 0);
	buf[14 + 6] = 0;	/* hop-by-hop */
	ck_assert_int_eq(wgw_udp_tx_parse(buf, (uint32_t)n, &ti), -EPROTO);
}
END_TEST

/* ------------------------------------------------------------ TUN RX */

/*
 * Lay out a packet as the TUN port reads it: virtio header at frame + 4,
 * IP packet at frame + 14.  Built from a full frame whose Ethernet header
 * is then overwritten.
 */
static uint32_t tun_read_layout(uint8_t *frame, const char *sa, const char *da,
				uint16_t plen, bool partial)
{
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	uint32_t n = (uint32_t)build(frame, sa, 4000, da, 40123, plen, 0);
	int fam = strchr(sa, ':') ? AF_INET6 : AF_INET;
	uint32_t l4 = fam == AF_INET ? 14 + 20 : 14 + 40;

	if (partial) {
		/* What a CHECKSUM_PARTIAL datagram carries. */
		uint16_t ps = wgw_synth_udp_pseudo(fam, frame + 14, htons((uint16_t)(plen + 8)));

		memcpy(frame + l4 + 6, &ps, 2);
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.csum_start = (uint16_t)(l4 - 14);
		vh.csum_offset = 6;
	}
	memset(frame, 0xee, 14);
	memcpy(frame + 4, &vh, sizeof(vh));
	return n;
}

START_TEST(tun_rx_partial_completed)
{
	static const char *pairs[][2] = {
		{ "10.0.0.11", "10.0.0.100" },
		{ "fd00::11", "fd00::100" },
	};
	union wgw_addr nat[2] = { A("10.0.0.100"), A("fd00::100") };
	uint8_t frame[FRAME_CAP];
	struct wgw_pkt p;
	bool done;

	rng_seed();
	for (int i = 0; i < RAND_ITERS; i++) {
		int k = i & 1;
		uint16_t plen = (uint16_t)(rng() % 1400);
		bool partial = (i >> 1) & 1;
		uint32_t n = tun_read_layout(frame, pairs[k][0], pairs[k][1], plen, partial);

		ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_OK);
		ck_assert_int_eq(done, partial);
		for (int j = 0; j < 12; j++)
			ck_assert_int_eq(frame[j], 0);
		ck_assert_int_eq(wgw_pkt_parse(&p, frame, n), WGW_PKT_UDP);
		ck_assert(wgw_pkt_csum_ok(&p));
		ck_assert(!wgw_pkt_udp_csum_is_partial(&p));
	}
}
END_TEST

START_TEST(tun_rx_classify)
{
	union wgw_addr nat[2] = { A("10.0.0.100"), A("fd00::100") };
	struct virtio_net_hdr vh;
	uint8_t frame[FRAME_CAP];
	uint32_t n;
	bool done;

	/* UDP, but not to G (e.g. to the LAN broadcast or another host). */
	n = tun_read_layout(frame, "10.0.0.11", "10.0.0.255", 40, false);
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_NOT_OURS);
	/* Not UDP: an ICMPv6 router solicitation to ff02::2. */
	n = tun_read_layout(frame, "fe80::1", "ff02::2", 8, false);
	frame[14 + 6] = IPPROTO_ICMPV6;
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_NOT_OURS);
	/* MLD report: hop-by-hop header to ff02::16, not ours. */
	n = tun_read_layout(frame, "fe80::1", "ff02::16", 8, false);
	frame[14 + 6] = 0;
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_NOT_OURS);
	/* Fragment to G. */
	n = tun_read_layout(frame, "10.0.0.11", "10.0.0.100", 40, false);
	frame[14 + 6] |= 0x20;
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_FRAGMENT);
	/* Truncated. */
	n = tun_read_layout(frame, "10.0.0.11", "10.0.0.100", 40, false);
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n - 1, nat, 2, &done), WGW_TUN_RX_MALFORMED);
	ck_assert_int_eq(wgw_tun_rx_frame(frame, 14, nat, 2, &done), WGW_TUN_RX_MALFORMED);
	/* Not IP at all. */
	n = tun_read_layout(frame, "10.0.0.11", "10.0.0.100", 40, false);
	frame[14] = 0x15;
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_NOT_OURS);
	/* GSO. */
	n = tun_read_layout(frame, "10.0.0.11", "10.0.0.100", 40, false);
	memcpy(&vh, frame + 4, sizeof(vh));
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	vh.gso_size = 10;
	memcpy(frame + 4, &vh, sizeof(vh));
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_GSO);
	/* Partial checksum offsets outside the datagram. */
	n = tun_read_layout(frame, "10.0.0.11", "10.0.0.100", 40, true);
	memcpy(&vh, frame + 4, sizeof(vh));
	vh.csum_offset = 60;
	memcpy(frame + 4, &vh, sizeof(vh));
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_MALFORMED);
	n = tun_read_layout(frame, "10.0.0.11", "10.0.0.100", 40, true);
	memcpy(&vh, frame + 4, sizeof(vh));
	vh.csum_start = 2;	/* inside the IP header */
	memcpy(frame + 4, &vh, sizeof(vh));
	ck_assert_int_eq(wgw_tun_rx_frame(frame, n, nat, 2, &done), WGW_TUN_RX_MALFORMED);
}
END_TEST

/* ------------------------------------------------------------ TUN TX */

/* What the kernel does with a NEEDS_CSUM packet (skb_checksum_help). */
static void kernel_finish(uint8_t *ip, uint32_t len, const struct virtio_net_hdr *vh)
{
	uint16_t c = wgw_csum_fold(wgw_csum_partial(ip + vh->csum_start,
						    len - vh->csum_start, 0));

	if (!c)
		c = 0xffff;
	memcpy(ip + vh->csum_start + vh->csum_offset, &c, 2);
}

START_TEST(tun_tx_prepare_offload)
{
	uint8_t frame[FRAME_CAP], copy[FRAME_CAP], *out;
	struct virtio_net_hdr vh;
	struct wgw_pkt p;
	uint32_t olen;
	int n;

	rng_seed();
	for (int i = 0; i < RAND_ITERS; i++) {
		uint16_t plen = (uint16_t)(rng() % 1400);

		/* An IPv4 datagram without checksum, VLAN tag or not. */
		n = build(frame, "10.0.0.100", 40000 + (uint16_t)i, "10.0.0.11", 8420,
			  plen, (i & 1) ? 0x8100 : 0);
		frame[(i & 1) ? 18 + 26 : 14 + 26] = 0;
		frame[(i & 1) ? 18 + 27 : 14 + 27] = 0;
		ck_assert_int_eq(wgw_tun_tx_prepare(frame, (uint32_t)n + (i & 2), true,
						    &out, &olen), 1);
		ck_assert_ptr_eq(out, frame + ((i & 1) ? 18 : 14) - 10);
		ck_assert_uint_eq(olen, 10 + 28 + plen);
		memcpy(&vh, out, sizeof(vh));
		ck_assert_int_eq(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		ck_assert_int_eq(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		ck_assert_int_eq(vh.csum_start, 20);
		ck_assert_int_eq(vh.csum_offset, 6);
		kernel_finish(out + 10, olen - 10, &vh);
		/* Parse the finished datagram as the backend would. */
		memset(copy, 0, 12);
		copy[12] = 0x08;
		copy[13] = 0x00;
		memcpy(copy + 14, out + 10, olen - 10);
		ck_assert_int_eq(wgw_pkt_parse(&p, copy, 14 + olen - 10), WGW_PKT_UDP);
		ck_assert_uint_ne(get16(copy + 14 + 26), 0);
		ck_assert(wgw_pkt_csum_ok(&p));
	}
}
END_TEST

START_TEST(tun_tx_prepare_plain)
{
	uint8_t frame[FRAME_CAP], *out;
	struct virtio_net_hdr vh, zero = { 0 };
	uint32_t olen;
	int n;

	/* IPv4 with a checksum: untouched, plain header. */
	n = build(frame, "10.0.0.100", 40000, "10.0.0.11", 8420, 64, 0);
	ck_assert_int_eq(wgw_tun_tx_prepare(frame, (uint32_t)n, true, &out, &olen), 0);
	memcpy(&vh, out, sizeof(vh));
	ck_assert_mem_eq(&vh, &zero, sizeof(vh));
	ck_assert_uint_eq(olen, 10 + 28 + 64);
	/* Offload not wanted: a 0 stays 0.  (The virtio header went over the
	 * Ethernet header: build again.) */
	n = build(frame, "10.0.0.100", 40000, "10.0.0.11", 8420, 64, 0);
	frame[14 + 26] = frame[14 + 27] = 0;
	ck_assert_int_eq(wgw_tun_tx_prepare(frame, (uint32_t)n, false, &out, &olen), 0);
	ck_assert_uint_eq(get16(frame + 14 + 26), 0);
	/* IPv6, with trailing padding cut off. */
	n = build(frame, "fd00::100", 40000, "fd00::11", 8420, 64, 0);
	ck_assert_int_eq(wgw_tun_tx_prepare(frame, (uint32_t)n + 9, true, &out, &olen), 0);
	ck_assert_uint_eq(olen, 10 + 48 + 64);
	/* Refused: not IP, truncated, wrong version. */
	n = build(frame, "10.0.0.100", 40000, "10.0.0.11", 8420, 64, 0);
	ck_assert_int_eq(wgw_tun_tx_prepare(frame, (uint32_t)n - 1, true, &out, &olen), -EPROTO);
	ck_assert_int_eq(wgw_tun_tx_prepare(frame, 13, true, &out, &olen), -EPROTO);
	n = build(frame, "10.0.0.100", 40000, "10.0.0.11", 8420, 64, 0);
	frame[14] = 0x65;
	ck_assert_int_eq(wgw_tun_tx_prepare(frame, (uint32_t)n, true, &out, &olen), -EPROTO);
	frame[12] = 0x08;
	frame[13] = 0x06;
	ck_assert_int_eq(wgw_tun_tx_prepare(frame, (uint32_t)n, true, &out, &olen), -EPROTO);
}
END_TEST


/* ------------------------------------------------------------ handshake limiter */

#define S_NS 1000000000ull
#define T0 (1000 * S_NS)	/* an arbitrary CLOCK_MONOTONIC reading */

/* Handshakes of src allowed out of n sent at one instant. */
static unsigned hs_burst_at(struct wgw_hslimit *hs, const char *src, unsigned n, uint64_t now)
{
	union wgw_addr a = A(src);
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += wgw_hslimit_allow(hs, &a, now);
	return ok;
}

START_TEST(hslimit_classify)
{
	uint8_t pl[128];

	memset(pl, 0x11, sizeof(pl));
	ck_assert(wgw_hslimit_is_handshake(pl, WGW_XDP_NOISE_MSG1_LEN));	/* bare "-> e" */
	ck_assert(!wgw_hslimit_is_handshake(pl, 64));	/* bare third message / data */
	ck_assert(!wgw_hslimit_is_handshake(pl, 96));
	memset(pl, 0xff, 8);
	ck_assert(wgw_hslimit_is_handshake(pl, 100));	/* CID FF..FF */
	ck_assert(wgw_hslimit_is_handshake(pl, 8));
	ck_assert(!wgw_hslimit_is_handshake(pl, 7));
	pl[7] = 0xfe;					/* version negotiation */
	ck_assert(!wgw_hslimit_is_handshake(pl, 100));
}
END_TEST

/* The figures: rate 5, burst 5.  At once: burst.  Then rate per
 * second, and an idle source is full again (never more than burst). */
START_TEST(hslimit_rate_burst)
{
	struct wgw_hslimit *hs = wgw_hslimit_create(5, 5);
	unsigned total = 0;

	ck_assert_ptr_nonnull(hs);
	ck_assert(wgw_hslimit_enabled(hs));
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 100, T0), 5);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 100, T0 + S_NS / 10), 0);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 100, T0 + S_NS / 5), 1);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 100, T0 + S_NS / 5), 0);
	/* A steady flood over 10 s: 100 per 100 ms gets 5 per second. */
	for (unsigned t = 3; t < 103; t++)
		total += hs_burst_at(hs, "198.51.100.7", 100, T0 + t * S_NS / 10);
	ck_assert_uint_eq(total, 50);
	/* Idle for an hour: a full bucket, not an hour's worth. */
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 100, T0 + 3600 * S_NS), 5);
	/* burst 1: exactly rate, no bunching. */
	wgw_hslimit_set(hs, 5, 1);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.8", 100, T0), 1);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.8", 100, T0 + S_NS / 5), 1);
	wgw_hslimit_destroy(hs);
}
END_TEST

START_TEST(hslimit_off)
{
	struct wgw_hslimit *hs = wgw_hslimit_create(0, 5);

	ck_assert_ptr_nonnull(hs);
	ck_assert(!wgw_hslimit_enabled(hs));
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0), 1000);
	wgw_hslimit_destroy(hs);
}
END_TEST

/* A flooding source leaves every other source its own bucket, also when
 * the table holds many sources (collisions take the idle slot). */
START_TEST(hslimit_sources_independent)
{
	struct wgw_hslimit *hs = wgw_hslimit_create(5, 3);
	unsigned fresh = 0, sampled = 0;
	char a[64];

	ck_assert_ptr_nonnull(hs);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 10000, T0), 3);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.8", 10, T0), 3);
	ck_assert_uint_eq(hs_burst_at(hs, "2001:db8:1::7", 10, T0), 3);
	/* 20000 sources, one handshake each a second earlier: every one
	 * gets through, and the flooder is still held, and each of them
	 * still has its own, nearly full bucket. */
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(a, sizeof(a), "10.%u.%u.1", i >> 8, i & 255);
		ck_assert_uint_eq(hs_burst_at(hs, a, 1, T0 + S_NS / 100), 1);
	}
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 100, T0 + S_NS / 100), 0);
	for (unsigned i = 0; i < 20000; i += 97, sampled++) {
		unsigned ok;

		snprintf(a, sizeof(a), "10.%u.%u.1", i >> 8, i & 255);
		ok = hs_burst_at(hs, a, 10, T0 + S_NS / 50);
		/* 2 left of 3; 3 for a source that a newcomer evicted (all
		 * eight candidates busy): never fewer. */
		ck_assert_uint_ge(ok, 2);
		ck_assert_uint_le(ok, 3);
		fresh += ok == 3;
	}
	ck_assert_uint_le(fresh, sampled / 50);
	wgw_hslimit_destroy(hs);
}
END_TEST

/* IPv6 sources are /64 prefixes, as in the XDP program. */
START_TEST(hslimit_ipv6_prefix)
{
	struct wgw_hslimit *hs = wgw_hslimit_create(5, 4);

	ck_assert_ptr_nonnull(hs);
	ck_assert_uint_eq(hs_burst_at(hs, "2001:db8:0:1::1", 2, T0), 2);
	ck_assert_uint_eq(hs_burst_at(hs, "2001:db8:0:1:ffff:1:2:3", 2, T0), 2);
	ck_assert_uint_eq(hs_burst_at(hs, "2001:db8:0:1:abcd::9", 10, T0), 0);
	ck_assert_uint_eq(hs_burst_at(hs, "2001:db8:0:2::1", 10, T0), 4);
	/* IPv4 addresses are not aggregated. */
	ck_assert_uint_eq(hs_burst_at(hs, "192.0.2.1", 10, T0), 4);
	ck_assert_uint_eq(hs_burst_at(hs, "192.0.2.2", 10, T0), 4);
	wgw_hslimit_destroy(hs);
}
END_TEST

/* Reload: the new rate holds from the next packet; a source that got far
 * ahead under a slow rate owes no more than the new limit allows. */
START_TEST(hslimit_reload)
{
	struct wgw_hslimit *hs = wgw_hslimit_create(1, 100);

	ck_assert_ptr_nonnull(hs);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0), 100);
	/* Under rate 1 the next token is 1 s away; at rate 1000 it is 1 ms. */
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 10, T0 + S_NS / 100), 0);
	wgw_hslimit_set(hs, 1000, 10);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0 + S_NS / 100), 0);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0 + S_NS / 100 + S_NS / 1000), 1);
	/* 100 ms later: the new burst (10), not 100 ms of the old one. */
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0 + S_NS / 2), 10);
	/* Slower again: rate 2, burst 2.  The 10 just sent (TAT 10 ms ahead)
	 * leave one token of the new burst. */
	wgw_hslimit_set(hs, 2, 2);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0 + S_NS / 2), 1);
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0 + S_NS / 2 + S_NS), 2);
	/* Off: everything passes. */
	wgw_hslimit_set(hs, 0, 2);
	ck_assert(!wgw_hslimit_enabled(hs));
	ck_assert_uint_eq(hs_burst_at(hs, "198.51.100.7", 1000, T0 + S_NS / 2 + S_NS), 1000);
	wgw_hslimit_destroy(hs);
}
END_TEST

struct hs_thread {
	struct wgw_hslimit *hs;
	unsigned ok;
};

static void *hs_hammer(void *arg)
{
	struct hs_thread *t = arg;
	union wgw_addr a = A("198.51.100.9");

	for (unsigned i = 0; i < 200000; i++)
		t->ok += wgw_hslimit_allow(t->hs, &a, T0);
	return NULL;
}

/* Workers share the table without locks: four threads flooding one
 * source at one instant get the burst, plus at most one token per lost
 * race that gave up (HS_CAS_TRIES in a row): nowhere near the flood. */
START_TEST(hslimit_threads)
{
	struct hs_thread t[4];
	pthread_t th[4];
	unsigned total = 0;
	struct wgw_hslimit *hs = wgw_hslimit_create(10, 50);

	ck_assert_ptr_nonnull(hs);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct hs_thread){ .hs = hs };
		ck_assert_int_eq(pthread_create(&th[i], NULL, hs_hammer, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += t[i].ok;
	}
	ck_assert_uint_ge(total, 50);
	ck_assert_uint_le(total, 60);
	wgw_hslimit_destroy(hs);
}
END_TEST

/* ------------------------------------------------------------ UDP port on lo */

/*
 * The UDP port for real on loopback (no privileges needed): 127.0.0.1 and
 * ::1 with two ports each, so RX goes through the epoll set.  A free port
 * is found by binding port 0 and letting it go (a small race with other
 * programs, acceptable in a test).
 */
static uint16_t free_port_pair(void)
{
	for (int tries = 0; tries < 50; tries++) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		socklen_t sl = sizeof(sa);
		int fd = socket(AF_INET, SOCK_DGRAM, 0), fd2;
		uint16_t port;

		ck_assert_int_ge(fd, 0);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sl), 0);
		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
		port = ntohs(sa.sin_port);
		close(fd);
		if (port >= 65535)
			continue;
		/* port + 1 free too? */
		fd2 = socket(AF_INET, SOCK_DGRAM, 0);
		sa.sin_port = htons((uint16_t)(port + 1));
		if (bind(fd2, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd2);
			return port;
		}
		close(fd2);
	}
	ck_abort_msg("no free UDP port pair on 127.0.0.1");
	return 0;
}

static int lo_socket(int family, uint16_t *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd = socket(family, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		sl = sizeof(*in6);
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, sl), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void lo_send(int fd, const union wgw_addr *to, uint16_t port, const void *pl, size_t len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;

	if (wgw_addr_is_v4(to)) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = wgw_addr_v4(to);
		sl = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = to->in6;
		sl = sizeof(*in6);
	}
	ck_assert_int_eq(sendto(fd, pl, len, 0, (struct sockaddr *)&ss, sl), (ssize_t)len);
}

/* Receive on the port until n frames came or 2 s passed. */
static unsigned port_rx_n(struct wgw_port *port, struct wgw_buf *bufs, unsigned n)
{
	unsigned got = 0;

	for (int i = 0; i < 200 && got < n; i++) {
		struct pollfd pfd = { .fd = port->ops->poll_fd(port), .events = POLLIN };
		int r = port->ops->rx(port, bufs + got, n - got);

		ck_assert_int_ge(r, 0);
		got += (unsigned)r;
		if (!r)
			poll(&pfd, 1, 10);
	}
	return got;
}

START_TEST(udp_port_loopback)
{
	static const char *vaddr[2] = { "127.0.0.1", "::1" };
	struct wgw_udp_cfg cfg = { 0 };
	struct wgw_vip vips[2];
	struct wgw_pool pool;
	struct wgw_port *port;
	struct wgw_port_stats st;
	struct wgw_udp_stats xst;
	struct wgw_buf bufs[64];
	uint16_t base = free_port_pair();
	uint8_t big[1500];
	int fam;

	ck_assert_int_eq(wgw_pool_init(&pool, 256, 2048, 256, -1), 0);
	for (int v = 0; v < 2; v++) {
		vips[v].addr = A(vaddr[v]);
		vips[v].port_lo = base;
		vips[v].port_hi = (uint16_t)(base + 1);
	}
	port = wgw_udp_port_create(&pool, vips, 2, &cfg);
	ck_assert_msg(port != NULL, "udp port: %s", strerror(errno));
	ck_assert(wgw_port_is_udp(port));
	ck_assert(!port->needs_l2);
	ck_assert_int_eq(port->sides, WGW_SIDE_WAN);

	for (int v = 0; v < 2; v++) {
		union wgw_addr va = A(vaddr[v]), got;
		uint16_t cport, k;
		int cfd;

		fam = v ? AF_INET6 : AF_INET;
		cfd = lo_socket(fam, &cport);
		/* RX: two VIP ports, 20 datagrams each, all of 40 bytes but
		 * the last two (30). */
		for (k = 0; k < 40; k++) {
			memset(big, 'A' + k, sizeof(big));
			lo_send(cfd, &va, (uint16_t)(base + (k & 1)), big, k < 38 ? 40 : 30);
		}
		ck_assert_uint_eq(port_rx_n(port, bufs, 40), 40);
		for (k = 0; k < 40; k++) {
			struct wgw_pkt p;

			ck_assert_int_eq(wgw_pkt_parse(&p, bufs[k].data, bufs[k].len), WGW_PKT_UDP);
			ck_assert(wgw_pkt_csum_ok(&p));
			ck_assert_int_eq(p.family, fam);
			ck_assert_ptr_eq(bufs[k].data, pool.area + bufs[k].addr);
			wgw_pkt_get_saddr(&p, &got);
			ck_assert(wgw_addr_eq(&got, &va));	/* client is on lo too */
			ck_assert_uint_eq(wgw_pkt_sport(&p), cport);
			wgw_pkt_get_daddr(&p, &got);
			ck_assert(wgw_addr_eq(&got, &va));
			ck_assert_uint_ge(wgw_pkt_dport(&p), base);
			ck_assert_uint_le(wgw_pkt_dport(&p), base + 1);
			ck_assert_uint_ge(p.payload_len, 30);
			ck_assert_uint_lt(p.payload_len, 50);
		}
		/*
		 * TX: answer each frame by swapping its endpoints: it leaves
		 * from the VIP port it arrived on.  One frame gets a foreign
		 * source port: dropped and counted, never sent.  The rest are
		 * runs to one client (GSO on by default).
		 */
		for (k = 0; k < 40; k++) {
			struct wgw_pkt p;
			union wgw_addr s, d;
			uint16_t sp, dp;

			wgw_pkt_parse(&p, bufs[k].data, bufs[k].len);
			wgw_pkt_get_saddr(&p, &s);
			wgw_pkt_get_daddr(&p, &d);
			sp = wgw_pkt_sport(&p);
			dp = wgw_pkt_dport(&p);
			if (k == 7)
				dp = (uint16_t)(base + 2);
			ck_assert_int_ge(wgw_pkt_nat(&p, &d, dp, &s, sp), 0);
		}
		port->ops->tx(port, bufs, 40);
		ck_assert_uint_eq(pool.nfree, pool.nframes);
		for (k = 0; k < 39; k++) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			struct pollfd pfd = { .fd = cfd, .events = POLLIN };
			uint8_t rb[2048];
			ssize_t r;
			uint16_t fport;

			ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
			r = recvfrom(cfd, rb, sizeof(rb), 0, (struct sockaddr *)&from, &fl);
			ck_assert_int_ge(r, 30);
			ck_assert_int_lt(r, 50);
			fport = ntohs(fam == AF_INET ? ((struct sockaddr_in *)&from)->sin_port
						     : ((struct sockaddr_in6 *)&from)->sin6_port);
			ck_assert_uint_ge(fport, base);
			ck_assert_uint_le(fport, base + 1);
			for (ssize_t i = 1; i < r; i++)
				ck_assert_int_eq(rb[i], rb[0]);
		}
		close(cfd);
	}
	port->ops->stats(port, &st);
	wgw_udp_port_stats(port, &xst);
	ck_assert_uint_eq(st.rx_packets, 80);
	ck_assert_uint_eq(st.tx_packets, 78);
	ck_assert_uint_eq(xst.tx_foreign, 2);
	ck_assert_uint_eq(xst.tx_bad, 0);
	ck_assert_uint_ge(xst.epoll_waits, 1);
	ck_assert_uint_ge(xst.tx_gso_sends, 1);

	/* A frame that is no UDP datagram at all. */
	ck_assert_int_eq(wgw_pool_get_buf(&pool, &bufs[0]), 0);
	bufs[0].len = 60;
	memset(bufs[0].data, 0, 60);
	port->ops->tx(port, bufs, 1);
	wgw_udp_port_stats(port, &xst);
	ck_assert_uint_eq(xst.tx_bad, 1);
	ck_assert_uint_eq(pool.nfree, pool.nframes);
	port->ops->destroy(port);
	wgw_pool_fini(&pool);
}
END_TEST

START_TEST(udp_port_refusals)
{
	struct wgw_udp_cfg cfg = { 0 };
	struct wgw_vip v[2];
	struct wgw_pool pool;

	wgw_log_set_verbosity(LOG_CRIT);	/* the refusals are logged: expected */
	ck_assert_int_eq(wgw_pool_init(&pool, 16, 2048, 256, -1), 0);
	v[0].addr = A("127.0.0.1");
	v[0].port_lo = 40000;
	v[0].port_hi = 40000 + WGW_UDP_MAX_RANGE;	/* one port too many */
	errno = 0;
	ck_assert_ptr_null(wgw_udp_port_create(&pool, v, 1, &cfg));
	ck_assert_int_eq(errno, E2BIG);
	v[0].port_lo = 0;
	v[0].port_hi = 0;
	ck_assert_ptr_null(wgw_udp_port_create(&pool, v, 1, &cfg));
	ck_assert_int_eq(errno, EINVAL);
	/* The same VIP port twice. */
	v[0].port_lo = v[0].port_hi = free_port_pair();
	v[1] = v[0];
	ck_assert_ptr_null(wgw_udp_port_create(&pool, v, 2, &cfg));
	ck_assert_int_eq(errno, EINVAL);
	wgw_pool_fini(&pool);
}
END_TEST


/* The VIP sockets apply the handshake limit before the engine sees
 * anything, count what they drop, and report it through xstats(). */
START_TEST(udp_port_hs_limit)
{
	struct wgw_hslimit *hs = wgw_hslimit_create(1, 3);
	struct wgw_udp_cfg cfg = { .hs = hs };
	const char *names[WGW_PORT_XSTATS_MAX];
	uint64_t vals[WGW_PORT_XSTATS_MAX];
	struct wgw_vip vip;
	struct wgw_pool pool;
	struct wgw_port *port;
	struct wgw_udp_stats xst;
	struct wgw_buf bufs[64];
	union wgw_addr va = A("127.0.0.1");
	uint8_t pl[100];
	unsigned got, n, k;
	uint16_t cport;
	int cfd;

	ck_assert_ptr_nonnull(hs);
	ck_assert_int_eq(wgw_pool_init(&pool, 256, 2048, 256, -1), 0);
	vip.addr = va;
	vip.port_lo = vip.port_hi = free_port_pair();
	port = wgw_udp_port_create(&pool, &vip, 1, &cfg);
	ck_assert_msg(port != NULL, "udp port: %s", strerror(errno));
	cfd = lo_socket(AF_INET, &cport);
	/* 20 bare first messages, 20 CID FF..FF handshakes, 10 data records. */
	memset(pl, 0x42, sizeof(pl));
	for (k = 0; k < 20; k++)
		lo_send(cfd, &va, vip.port_lo, pl, WGW_XDP_NOISE_MSG1_LEN);
	memset(pl, 0xff, 8);
	for (k = 0; k < 20; k++)
		lo_send(cfd, &va, vip.port_lo, pl, 80);
	pl[0] = 0x12;
	for (k = 0; k < 10; k++)
		lo_send(cfd, &va, vip.port_lo, pl, 80);
	got = port_rx_n(port, bufs, 64);
	wgw_udp_port_stats(port, &xst);
	/* 3 at once, maybe one more if the test took over a second. */
	ck_assert_uint_ge(got, 13);
	ck_assert_uint_le(got, 14);
	ck_assert_uint_eq(xst.rx_hs_rate, 50 - got);
	for (k = 0; k < got; k++)
		wgw_buf_free(&bufs[k]);
	n = port->ops->xstats(port, names, vals, WGW_PORT_XSTATS_MAX);
	for (k = 0; k < n && strcmp(names[k], "rx_hs_rate"); k++)
		;
	ck_assert_uint_lt(k, n);
	ck_assert_uint_eq(vals[k], 50 - got);
	close(cfd);
	port->ops->destroy(port);
	wgw_pool_fini(&pool);
	wgw_hslimit_destroy(hs);
}
END_TEST

/* ------------------------------------------------------------ port counters in stats */

/* Two workers, each with a "udp" port on queue 0 and its TUN queue: every
 * series is unique (the worker label), and the ports' own counters
 * (rx_fragments, rx_hs_rate...) reach JSON and Prometheus. */
START_TEST(stats_port_counters)
{
	struct wgw_stats *st = wgw_stats_alloc(2, 4);
	struct wgw_strbuf sb;
	struct wgw_doc d;
	char *copy, *line, *save, *lines[256];
	unsigned nl = 0;

	ck_assert_ptr_nonnull(st);
	for (unsigned k = 0; k < 4; k++) {
		struct wgw_stats_port *p = &st->ports[k];

		p->worker = k / 2;
		p->kind = k & 1 ? "tun" : "udp";
		snprintf(p->ifname, sizeof(p->ifname), "%s", k & 1 ? "wgw0" : "udp");
		p->queue = k & 1 ? k / 2 : 0;
		p->st.rx_packets = 100 + k;
		p->nx = 2;
		p->xname[0] = k & 1 ? "rx_fragments" : "rx_hs_rate";
		p->xval[0] = 10 + k;
		p->xname[1] = "rx_malformed";
		p->xval[1] = 20 + k;
	}
	wgw_strbuf_init(&sb, 1 << 20);
	wgw_stats_prometheus(&sb, st);
	ck_assert(!sb.overflow);
	ck_assert(strstr(sb.p, "\nwraith_gateway_port_events_total{interface=\"wgw0\",queue=\"1\","
			 "worker=\"1\",kind=\"tun\",event=\"rx_fragments\"} 13\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_port_events_total{interface=\"udp\",queue=\"0\","
			 "worker=\"1\",kind=\"udp\",event=\"rx_hs_rate\"} 12\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_port_packets_total{interface=\"udp\",queue=\"0\","
			 "worker=\"0\",kind=\"udp\",direction=\"rx\"} 100\n"));
	/* No series twice: compare every sample's name and labels. */
	copy = strdup(sb.p);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		*strrchr(line, ' ') = '\0';
		for (unsigned i = 0; i < nl; i++)
			ck_assert_msg(strcmp(lines[i], line), "series twice: %s", line);
		if (!strncmp(line, "wraith_gateway_port_", 20)) {
			ck_assert_uint_lt(nl, 256);
			lines[nl++] = line;
		}
	}
	ck_assert_uint_ge(nl, 4 * 7 + 8);
	free(copy);
	wgw_strbuf_free(&sb);

	wgw_strbuf_init(&sb, 1 << 20);
	wgw_doc_begin(&d, &sb, WGW_CTL_FMT_TEXT);
	wgw_stats_doc(&d, st, NULL);
	wgw_doc_end(&d);
	ck_assert(strstr(sb.p, "udp queue 0 worker 0:"));
	ck_assert(strstr(sb.p, "udp queue 0 worker 1:"));
	ck_assert(strstr(sb.p, "wgw0 queue 1:"));
	ck_assert(strstr(sb.p, "rx_fragments: 13"));
	ck_assert(strstr(sb.p, "rx_hs_rate: 12"));
	wgw_strbuf_free(&sb);
	wgw_strbuf_init(&sb, 1 << 20);
	wgw_doc_begin(&d, &sb, WGW_CTL_FMT_JSON);
	wgw_stats_doc(&d, st, NULL);
	wgw_doc_end(&d);
	ck_assert(strstr(sb.p, "\"tun\":{\"rx_fragments\":13,\"rx_malformed\":23}"));
	wgw_strbuf_free(&sb);
	wgw_stats_free(st);
}
END_TEST

static Suite *fallback_suite(void)
{
	Suite *s = suite_create("fallback");
	TCase *tc;

	tc = tcase_create("synth");
	tcase_add_test(tc, synth_ip4);
	tcase_add_test(tc, synth_ip6);
	tcase_add_test(tc, synth_csum_detects);
	suite_add_tcase(s, tc);
	tc = tcase_create("udp_tx");
	tcase_add_test(tc, udp_tx_parse_ok);
	tcase_add_test(tc, udp_tx_parse_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("udp_port");
	tcase_add_test(tc, udp_port_loopback);
	tcase_add_test(tc, udp_port_refusals);
	tcase_add_test(tc, udp_port_hs_limit);
	tcase_add_test(tc, stats_port_counters);
	suite_add_tcase(s, tc);
	tc = tcase_create("hslimit");
	tcase_add_test(tc, hslimit_classify);
	tcase_add_test(tc, hslimit_rate_burst);
	tcase_add_test(tc, hslimit_off);
	tcase_add_test(tc, hslimit_sources_independent);
	tcase_add_test(tc, hslimit_ipv6_prefix);
	tcase_add_test(tc, hslimit_reload);
	tcase_add_test(tc, hslimit_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("tun");
	tcase_add_test(tc, tun_rx_partial_completed);
	tcase_add_test(tc, tun_rx_classify);
	tcase_add_test(tc, tun_tx_prepare_offload);
	tcase_add_test(tc, tun_tx_prepare_plain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fallback_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
