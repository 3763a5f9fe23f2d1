// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet codec tests: parsing of every frame shape and every malformation,
 * the WRAITH header, and the checksum code against a naive byte-by-byte
 * reference on random packets and random rewrites (seeded, reproducible:
 * WGW_TEST_SEED overrides the seed).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/addr.h"
#include "gateway/csum_internal.h"
#include "gateway/packet.h"

#define FRAME_CAP 2048	/* bytes, test buffers */
#define RAND_ITERS 20000 /* random packets per checksum test */

/* ---- seeded PRNG (xorshift64*) ---- */

static uint64_t rng_state;

static void rng_seed(void)
{
	const char *s = getenv("WGW_TEST_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : 0x5eed0fc0dec0ffeeULL;
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

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

static void rng_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rng();
}

/* ---- naive reference: RFC 1071 byte by byte, host-order result ---- */

static uint32_t ref_sum(const uint8_t *b, size_t len, uint32_t s)
{
	for (size_t i = 0; i < len; i++)
		s += (i & 1) ? b[i] : (uint32_t)b[i] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* Pseudo-header sum of the IP header at ip (family from its version). */
static uint32_t ref_pseudo(const uint8_t *ip, uint16_t ulen)
{
	uint8_t ph[40];
	size_t n;

	memset(ph, 0, sizeof(ph));
	if ((ip[0] >> 4) == 4) {
		memcpy(ph, ip + 12, 8);
		ph[9] = IPPROTO_UDP;
		put16(ph + 10, ulen);
		n = 12;
	} else {
		memcpy(ph, ip + 8, 32);
		return ref_sum(ph, 32, 0) + ulen + IPPROTO_UDP;
	}
	return ref_sum(ph, n, 0);
}

/* Full UDP checksum (host order) of the datagram at udp, never 0. */
static uint16_t ref_udp_csum(const uint8_t *ip, const uint8_t *udp)
{
	uint16_t ulen = get16(udp + 4), c;
	uint8_t tmp[FRAME_CAP];
	uint32_t s;

	memcpy(tmp, udp, ulen);
	put16(tmp + 6, 0);
	s = ref_sum(tmp, ulen, ref_pseudo(ip, ulen));
	c = (uint16_t)~ref_fold(s);
	return c ? c : 0xffff;
}

static uint16_t ref_ip4_csum(const uint8_t *ip)
{
	uint8_t tmp[60];
	size_t ihl = (ip[0] & 0xf) * 4;

	memcpy(tmp, ip, ihl);
	put16(tmp + 10, 0);
	return (uint16_t)~ref_fold(ref_sum(tmp, ihl, 0));
}

/* The field a CHECKSUM_PARTIAL datagram carries: ~csum_*_magic(). */
static uint16_t ref_partial(const uint8_t *ip, const uint8_t *udp)
{
	return ref_fold(ref_pseudo(ip, get16(udp + 4)));
}

/* ---- frame construction ---- */

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };

static void addr(union wgw_addr *a, const char *s)
{
	ck_assert_int_eq(wgw_addr_parse(a, s), 0);
}

/* A WRAITH-looking payload: CID then bytes. */
static void fill_payload(uint8_t *pl, size_t n, uint64_t cid)
{
	for (size_t i = 0; i < n; i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < 8 && i < n; i++)
		pl[i] = (uint8_t)(cid >> (56 - 8 * i));
}

static int build(uint8_t *buf, int v6, uint16_t tpid, uint16_t plen, uint16_t frame_min)
{
	static uint8_t pl[FRAME_CAP];
	struct wgw_pkt_spec s = {
		.vlan_tpid = tpid,
		.vlan_tci = 0x0123,
		.sport = 40001,
		.dport = 8420,
		.payload = pl,
		.payload_len = plen,
		.frame_min = frame_min,
	};
	int n;

	memcpy(s.eth_dst, mac_a, 6);
	memcpy(s.eth_src, mac_b, 6);
	fill_payload(pl, plen, 0x0123456789abcdefULL);
	addr(&s.saddr, v6 ? "2001:db8::1" : "198.51.100.7");
	addr(&s.daddr, v6 ? "2001:db8:1::10" : "203.0.113.10");
	n = wgw_pkt_build(buf, FRAME_CAP, &s);
	ck_assert_int_gt(n, 0);
	return n;
}

static size_t l2_len(uint16_t tpid)
{
	return tpid ? 18 : 14;
}

/* Insert optlen bytes of IPv4 options (NOPs, then EOL) after the fixed
 * header of a frame built by build(); fixes IHL, tot_len and checksum. */
static int add_ip4_opts(uint8_t *buf, int n, uint16_t tpid, size_t optlen)
{
	uint8_t *ip = buf + l2_len(tpid);
	size_t tail = (size_t)n - l2_len(tpid) - 20;

	memmove(ip + 20 + optlen, ip + 20, tail);
	memset(ip + 20, 1, optlen); /* NOP */
	ip[20 + optlen - 1] = 0;    /* EOL */
	ip[0] = (uint8_t)(0x40 | (5 + optlen / 4));
	put16(ip + 2, (uint16_t)(get16(ip + 2) + optlen));
	put16(ip + 10, ref_ip4_csum(ip));
	return n + (int)optlen;
}

/* Parse a copy in a buffer of exactly n bytes, so a sanitizer build catches
 * any read past the frame. */
static enum wgw_pkt_kind parse_exact(const uint8_t *frame, uint32_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	struct wgw_pkt p;
	enum wgw_pkt_kind k;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, frame, n);
	k = wgw_pkt_parse(&p, copy, n);
	free(copy);
	return k;
}

/* ---- parsing valid frames ---- */

static const uint16_t tpids[] = { 0, 0x8100, 0x88a8 };
static const uint16_t plens[] = { 0, 1, 7, 23, 24, 25, 100, 1231, 1472 };

START_TEST(test_parse_shapes)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_pkt p;

	for (int v6 = 0; v6 <= 1; v6++)
	for (size_t t = 0; t < sizeof(tpids) / sizeof(tpids[0]); t++)
	for (size_t l = 0; l < sizeof(plens) / sizeof(plens[0]); l++) {
		uint16_t tpid = tpids[t], plen = plens[l];
		int n = build(buf, v6, tpid, plen, 0);
		size_t l3 = l2_len(tpid), ihl = v6 ? 40 : 20;
		union wgw_addr a, want;

		ck_assert_int_eq(n, (int)(l3 + ihl + 8 + plen));
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		ck_assert_ptr_eq(p.data, buf);
		ck_assert_uint_eq(p.len, (uint32_t)n);
		ck_assert_uint_eq(p.family, v6 ? AF_INET6 : AF_INET);
		ck_assert_uint_eq(p.l4_proto, IPPROTO_UDP);
		ck_assert_uint_eq(p.vlan_tpid, tpid);
		ck_assert_uint_eq(p.vlan_tci, tpid ? 0x0123 : 0);
		ck_assert_uint_eq(p.l3_off, l3);
		ck_assert_uint_eq(p.l4_off, l3 + ihl);
		ck_assert_uint_eq(p.payload_off, l3 + ihl + 8);
		ck_assert_uint_eq(p.payload_len, plen);
		ck_assert_uint_eq(p.ip_len, ihl + 8 + plen);
		ck_assert_uint_eq(wgw_pkt_sport(&p), 40001);
		ck_assert_uint_eq(wgw_pkt_dport(&p), 8420);
		wgw_pkt_get_saddr(&p, &a);
		addr(&want, v6 ? "2001:db8::1" : "198.51.100.7");
		ck_assert(wgw_addr_eq(&a, &want));
		wgw_pkt_get_daddr(&p, &a);
		addr(&want, v6 ? "2001:db8:1::10" : "203.0.113.10");
		ck_assert(wgw_addr_eq(&a, &want));
		ck_assert(memcmp(buf, mac_a, 6) == 0 && memcmp(buf + 6, mac_b, 6) == 0);
		ck_assert(wgw_pkt_csum_ok(&p));
		ck_assert(!wgw_pkt_udp_csum_is_partial(&p));
		ck_assert_uint_eq(get16(buf + p.l4_off + 6),
				  ref_udp_csum(buf + p.l3_off, buf + p.l4_off));
		if (!v6) {
			ck_assert_uint_eq(get16(buf + p.l3_off + 10),
					  ref_ip4_csum(buf + p.l3_off));
			ck_assert_uint_eq(buf[p.l3_off + 8], 64);
			ck_assert_uint_eq(get16(buf + p.l3_off + 6), 0x4000);
		} else {
			ck_assert_uint_eq(buf[p.l3_off + 7], 64);
		}
	}
}
END_TEST

START_TEST(test_parse_ip4_options)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_pkt p;

	for (size_t t = 0; t < sizeof(tpids) / sizeof(tpids[0]); t++)
	for (size_t opt = 4; opt <= 40; opt += 4) {
		int n = build(buf, 0, tpids[t], 33, 0);
		size_t l3 = l2_len(tpids[t]);
		uint64_t cid;

		n = add_ip4_opts(buf, n, tpids[t], opt);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		ck_assert_uint_eq(p.l4_off, l3 + 20 + opt);
		ck_assert_uint_eq(p.payload_off, l3 + 28 + opt);
		ck_assert_uint_eq(p.payload_len, 33);
		ck_assert_uint_eq(wgw_pkt_dport(&p), 8420);
		/* UDP checksum does not cover options: still valid. */
		ck_assert(wgw_pkt_csum_ok(&p));
		ck_assert(wgw_wraith_cid(&p, &cid));
		ck_assert_uint_eq(cid, 0x0123456789abcdefULL);
		/* the full recompute covers the options */
		put16(buf + l3 + 10, 0xdead);
		ck_assert(!wgw_pkt_csum_ok(&p));
		wgw_pkt_ip4_csum_full(&p);
		ck_assert_uint_eq(get16(buf + l3 + 10), ref_ip4_csum(buf + l3));
		ck_assert(wgw_pkt_csum_ok(&p));
		/* the last truncation inside the options */
		ck_assert_int_eq(parse_exact(buf, (uint32_t)(l3 + 20 + opt - 1)),
				 WGW_PKT_TRUNCATED);
	}
}
END_TEST

START_TEST(test_parse_padding)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_pkt p;

	for (int v6 = 0; v6 <= 1; v6++)
	for (size_t t = 0; t < sizeof(tpids) / sizeof(tpids[0]); t++) {
		int n = build(buf, v6, tpids[t], 1, 60);
		size_t ip_len = (v6 ? 40 : 20) + 8 + 1;

		ck_assert_int_eq(n, l2_len(tpids[t]) + ip_len > 60 ?
				    (int)(l2_len(tpids[t]) + ip_len) : 60);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		ck_assert_uint_eq(p.ip_len, ip_len);
		ck_assert_uint_eq(p.payload_len, 1);
		ck_assert(wgw_pkt_csum_ok(&p));

		/* non-zero trailer bytes (FCS kept, odd hardware) too */
		n = build(buf, v6, tpids[t], 24, 0);
		memset(buf + n, 0xa5, 100);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n + 100), WGW_PKT_UDP);
		ck_assert_uint_eq(p.payload_len, 24);
		ck_assert_uint_eq(p.len, (uint32_t)n + 100);
		ck_assert(wgw_pkt_csum_ok(&p));
	}
}
END_TEST

/* ---- truncation and malformation ---- */

START_TEST(test_parse_truncations)
{
	uint8_t buf[FRAME_CAP];
	unsigned int checked = 0;

	for (int v6 = 0; v6 <= 1; v6++)
	for (size_t t = 0; t < sizeof(tpids) / sizeof(tpids[0]); t++)
	for (int opt = 0; opt <= (v6 ? 0 : 12); opt += 12) {
		int n = build(buf, v6, tpids[t], 40, 0);

		if (opt)
			n = add_ip4_opts(buf, n, tpids[t], (size_t)opt);
		ck_assert_int_eq(parse_exact(buf, (uint32_t)n), WGW_PKT_UDP);
		for (int len = 0; len < n; len++) {
			enum wgw_pkt_kind k = parse_exact(buf, (uint32_t)len);

			ck_assert_msg(k == WGW_PKT_TRUNCATED || k == WGW_PKT_BAD_LENGTH,
				      "v6=%d tpid=%#x opt=%d len=%d/%d: %s", v6,
				      tpids[t], opt, len, n, wgw_pkt_kind_name(k));
			checked++;
		}
	}
	ck_assert_uint_gt(checked, 500);
}
END_TEST

START_TEST(test_parse_ip4_bad)
{
	uint8_t buf[FRAME_CAP];
	int n = build(buf, 0, 0, 30, 0);
	uint8_t *ip = buf + 14, *udp = ip + 20;
	uint16_t tot = get16(ip + 2);
	struct wgw_pkt p;
	uint8_t save[64];

	memcpy(save, buf, sizeof(save));
#define RESET() memcpy(buf, save, sizeof(save))
	ck_assert_int_eq(tot, 58);

	put16(ip + 2, tot + 1); /* beyond the frame */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(ip + 2, 0xffff);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(ip + 2, 19); /* shorter than the header */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(ip + 2, 0);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(ip + 2, 27); /* header fits, UDP header does not */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_TRUNCATED);
	put16(ip + 2, 28); /* UDP len 38 > 8 bytes of IP payload */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	RESET();

	for (int ihl = 0; ihl < 5; ihl++) {
		ip[0] = (uint8_t)(0x40 | ihl);
		ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_HEADER);
	}
	ip[0] = 0x4f; /* 60-byte header: beyond the frame */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_TRUNCATED);
	memset(buf + n, 0, 16); /* in the frame, beyond tot_len */
	ck_assert_int_eq(parse_exact(buf, n + 2), WGW_PKT_BAD_LENGTH);
	ip[0] = 0x65; /* version 6 under an IPv4 ethertype */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_HEADER);
	RESET();

	put16(udp + 4, 7);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(udp + 4, 0);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(udp + 4, 39); /* one more than the IP payload */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(udp + 4, 8); /* shorter than the IP payload: Linux accepts */
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_uint_eq(p.ip_len, 58);
	RESET();

	/* fragments: MF, offset, both; DF alone is not a fragment */
	put16(ip + 6, 0x2000);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_FRAGMENT);
	put16(ip + 6, 0x0001);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_FRAGMENT);
	put16(ip + 6, 0x1fff);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_FRAGMENT);
	put16(ip + 6, 0x2000 | 0x00b9);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_FRAGMENT);
	ck_assert_uint_eq(p.family, AF_INET);
	ck_assert_uint_eq(p.l4_proto, IPPROTO_UDP);
	put16(ip + 6, 0x4000);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_UDP);
	put16(ip + 6, 0x0000);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_UDP);
	RESET();

	/* other protocols */
	ip[9] = IPPROTO_TCP;
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_NOT_UDP);
	ck_assert_uint_eq(p.l4_proto, IPPROTO_TCP);
	ip[9] = IPPROTO_ICMP;
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_NOT_UDP);
	ip[9] = IPPROTO_UDPLITE;
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_NOT_UDP);
#undef RESET
}
END_TEST

START_TEST(test_parse_ip6_bad)
{
	static const uint8_t exthdrs[] = { 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254 };
	static const uint8_t upper[] = { 6, 58, 59, 1, 4, 41, 132, 136 };
	uint8_t buf[FRAME_CAP];
	int n = build(buf, 1, 0x8100, 30, 0);
	uint8_t *ip = buf + 18, *udp = ip + 40;
	struct wgw_pkt p;
	uint8_t save[128];

	memcpy(save, buf, sizeof(save));
#define RESET() memcpy(buf, save, sizeof(save))
	put16(ip + 4, 39); /* payload_len one too big */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(ip + 4, 0xffff);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(ip + 4, 7);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_TRUNCATED);
	put16(ip + 4, 0); /* a jumbogram without its option */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_TRUNCATED);
	put16(ip + 4, 37); /* UDP len 38 > 37 */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	RESET();
	ip[0] = 0x45;
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_HEADER);
	RESET();
	put16(udp + 4, 7);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	put16(udp + 4, 39);
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_LENGTH);
	RESET();

	for (size_t i = 0; i < sizeof(exthdrs); i++) {
		ip[6] = exthdrs[i];
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_IPV6_EXTHDR);
		ck_assert_uint_eq(p.family, AF_INET6);
		ck_assert_uint_eq(p.l4_proto, exthdrs[i]);
	}
	for (size_t i = 0; i < sizeof(upper); i++) {
		ip[6] = upper[i];
		ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_NOT_UDP);
	}
	RESET();

	/* IPv4-mapped addresses never appear in an IPv6 header */
	memset(ip + 8, 0, 10);
	ip[18] = ip[19] = 0xff;
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_HEADER);
	RESET();
	memset(ip + 24, 0, 10);
	ip[34] = ip[35] = 0xff;
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_HEADER);
	RESET();
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_UDP);
#undef RESET
}
END_TEST

START_TEST(test_parse_not_ip)
{
	uint8_t buf[FRAME_CAP];
	int n = build(buf, 0, 0, 30, 0);
	struct wgw_pkt p;

	put16(buf + 12, 0x0806); /* ARP */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_NOT_IP);
	put16(buf + 12, 0x88cc); /* LLDP */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_NOT_IP);
	put16(buf + 12, 0x86dd); /* IPv6 ethertype over an IPv4 header */
	ck_assert_int_eq(parse_exact(buf, n), WGW_PKT_BAD_HEADER);

	/* QinQ: a second tag is beyond one, left to the kernel */
	n = build(buf, 0, 0x88a8, 30, 0);
	put16(buf + 16, 0x8100);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_NOT_IP);
	ck_assert_uint_eq(p.vlan_tpid, 0x88a8);
	ck_assert_int_eq(parse_exact(buf, 14), WGW_PKT_TRUNCATED);
	ck_assert_int_eq(parse_exact(buf, 17), WGW_PKT_TRUNCATED);
	ck_assert_int_eq(parse_exact(buf, 18), WGW_PKT_NOT_IP);
}
END_TEST

/* Random damage to valid frames: whatever the verdict, a parse stays in
 * bounds (exact-size copies for the sanitizers) and a UDP verdict comes
 * with offsets that all lie inside the frame. */
START_TEST(test_parse_random_damage)
{
	uint8_t buf[FRAME_CAP];
	unsigned int kinds[WGW_PKT_KIND_MAX] = { 0 };

	rng_seed();
	for (int i = 0; i < RAND_ITERS; i++) {
		int v6 = (int)rng_below(2), n;
		uint16_t tpid = tpids[rng_below(3)];
		struct wgw_pkt p;
		enum wgw_pkt_kind k;
		uint32_t len;
		uint8_t *copy;

		n = build(buf, v6, tpid, (uint16_t)rng_below(64), rng_below(2) ? 60 : 0);
		if (!v6 && rng_below(2))
			n = add_ip4_opts(buf, n, tpid, 4 * (1 + rng_below(10)));
		/* damage the headers, where the length fields are */
		for (int j = 1 + (int)rng_below(3); j > 0; j--)
			buf[rng_below(l2_len(tpid) + (v6 ? 48 : 68))] = (uint8_t)rng();
		len = (uint32_t)n - (rng_below(4) ? 0 : rng_below((uint32_t)n));
		copy = malloc(len ? len : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf, len);
		k = wgw_pkt_parse(&p, copy, len);
		ck_assert_int_lt(k, WGW_PKT_KIND_MAX);
		kinds[k]++;
		if (k == WGW_PKT_UDP) {
			uint64_t cid;

			ck_assert(p.family == AF_INET || p.family == AF_INET6);
			ck_assert_uint_le((uint32_t)p.l3_off + p.ip_len, len);
			ck_assert_uint_le((uint32_t)p.l4_off + 8, (uint32_t)p.l3_off + p.ip_len);
			ck_assert_uint_eq(p.payload_off, p.l4_off + 8);
			ck_assert_uint_le((uint32_t)p.payload_off + p.payload_len,
					  (uint32_t)p.l3_off + p.ip_len);
			(void)wgw_wraith_cid(&p, &cid);
			(void)wgw_pkt_csum_ok(&p);
			(void)wgw_pkt_udp_csum_is_partial(&p);
		}
		free(copy);
	}
	/* the damage reaches every verdict but "not UDP" ones that need
	 * specific values; make sure it is not trivially all one kind */
	ck_assert_uint_gt(kinds[WGW_PKT_UDP], RAND_ITERS / 20);
	ck_assert_uint_gt(kinds[WGW_PKT_BAD_LENGTH], RAND_ITERS / 50);
	ck_assert_uint_gt(kinds[WGW_PKT_TRUNCATED], RAND_ITERS / 50);
	ck_assert_uint_gt(kinds[WGW_PKT_NOT_IP], RAND_ITERS / 50);
	ck_assert_uint_gt(kinds[WGW_PKT_BAD_HEADER], RAND_ITERS / 100);
}
END_TEST

/* ---- the general parse, as it was before the straight-line common case:
 * the reference that wgw_pkt_parse() must match field for field ---- */

static bool ref_exthdr(uint8_t nh)
{
	static const uint8_t eh[] = { 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254 };

	for (size_t i = 0; i < sizeof(eh); i++)
		if (nh == eh[i])
			return true;
	return false;
}

static bool ref_v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, pfx, 12) == 0;
}

static enum wgw_pkt_kind ref_parse(struct wgw_pkt *p, uint8_t *data, uint32_t len)
{
	uint32_t off = 14, ip_end, ulen;
	uint16_t etype;
	uint8_t *ip, *udp;

	*p = (struct wgw_pkt){ .data = data, .len = len };
	if (len < 14)
		return WGW_PKT_TRUNCATED;
	etype = wgw_ld16(data + 12);
	if (etype == htons(0x8100) || etype == htons(0x88a8)) {
		if (len < 14 + 4)
			return WGW_PKT_TRUNCATED;
		p->vlan_tpid = ntohs(etype);
		p->vlan_tci = ntohs(wgw_ld16(data + 14));
		etype = wgw_ld16(data + 16);
		off += 4;
		/* A second tag (QinQ) is beyond what we handle. */
	}
	p->l3_off = (uint16_t)off;
	ip = data + off;

	if (etype == htons(0x0800)) {
		uint32_t ihl, tot_len;

		p->family = AF_INET;
		if (len - off < 20)
			return WGW_PKT_TRUNCATED;
		if ((ip[0] >> 4) != 4)
			return WGW_PKT_BAD_HEADER;
		ihl = (ip[0] & 0x0fu) * 4;
		if (ihl < 20)
			return WGW_PKT_BAD_HEADER;
		if (ihl > len - off)
			return WGW_PKT_TRUNCATED;
		tot_len = ntohs(wgw_ld16(ip + 2));
		if (tot_len < ihl || tot_len > len - off)
			return WGW_PKT_BAD_LENGTH;
		p->ip_len = (uint16_t)tot_len;
		p->l4_proto = ip[9];
		if (wgw_ld16(ip + 6) & htons(0x3fff))
			return WGW_PKT_FRAGMENT;
		if (p->l4_proto != IPPROTO_UDP)
			return WGW_PKT_NOT_UDP;
		off += ihl;
		ip_end = p->l3_off + tot_len;
	} else if (etype == htons(0x86dd)) {
		uint32_t plen;

		p->family = AF_INET6;
		if (len - off < 40)
			return WGW_PKT_TRUNCATED;
		if ((ip[0] >> 4) != 6)
			return WGW_PKT_BAD_HEADER;
		plen = ntohs(wgw_ld16(ip + 4));
		/* ip_len is 16 bits: a datagram over 64 KiB cannot be a frame
		 * here (jumbograms need a hop-by-hop option anyway). */
		if (plen > len - off - 40 || plen > 0xffff - 40)
			return WGW_PKT_BAD_LENGTH;
		if (ref_v4mapped(ip + 8) ||
		    ref_v4mapped(ip + 24))
			return WGW_PKT_BAD_HEADER;
		p->ip_len = (uint16_t)(40 + plen);
		p->l4_proto = ip[6];
		if (p->l4_proto != IPPROTO_UDP)
			return ref_exthdr(p->l4_proto) ? WGW_PKT_IPV6_EXTHDR :
							    WGW_PKT_NOT_UDP;
		off += 40;
		ip_end = p->l3_off + 40 + plen;
	} else {
		return WGW_PKT_NOT_IP;
	}

	/* ip_end <= len was checked above; the UDP header must fit in the
	 * datagram, and the UDP length may be shorter than the IP payload
	 * (the rest is IP-level padding, as Linux trims it) but not longer. */
	p->l4_off = (uint16_t)off;
	if (ip_end - off < 8)
		return WGW_PKT_TRUNCATED;
	udp = data + off;
	ulen = ntohs(wgw_ld16(udp + 4));
	if (ulen < 8 || ulen > ip_end - off)
		return WGW_PKT_BAD_LENGTH;
	p->payload_off = (uint16_t)(off + 8);
	p->payload_len = (uint16_t)(ulen - 8);
	return WGW_PKT_UDP;
}

static void pkt_assert_same(const struct wgw_pkt *a, const struct wgw_pkt *b)
{
	ck_assert_ptr_eq(a->data, b->data);
	ck_assert_uint_eq(a->len, b->len);
	ck_assert_uint_eq(a->l3_off, b->l3_off);
	ck_assert_uint_eq(a->l4_off, b->l4_off);
	ck_assert_uint_eq(a->payload_off, b->payload_off);
	ck_assert_uint_eq(a->payload_len, b->payload_len);
	ck_assert_uint_eq(a->ip_len, b->ip_len);
	ck_assert_uint_eq(a->vlan_tpid, b->vlan_tpid);
	ck_assert_uint_eq(a->vlan_tci, b->vlan_tci);
	ck_assert_uint_eq(a->family, b->family);
	ck_assert_uint_eq(a->l4_proto, b->l4_proto);
}

/*
 * The straight-line common case against the general parse on frames near
 * it: every shape, then one or two header fields the fast path tests set to
 * a random or a boundary value, and random lengths.  Verdict and every
 * field must agree.
 */
START_TEST(test_parse_fast_matches_general)
{
	static const uint8_t off4[] = { 12, 13, 14, 16, 17, 20, 21, 23, 24, 25, 26, 27, 38, 39 };
	static const uint8_t off6[] = { 12, 13, 14, 18, 19, 20, 22, 23, 24, 31, 32, 33, 34, 35,
					36, 37, 48, 49, 50, 51, 52, 53, 58, 59 };
	uint8_t buf[FRAME_CAP];
	unsigned int kinds[WGW_PKT_KIND_MAX] = { 0 };

	rng_seed();
	for (int i = 0; i < 4 * RAND_ITERS; i++) {
		int v6 = (int)rng_below(2), n;
		uint16_t tpid = tpids[rng_below(3)];
		struct wgw_pkt p, q;
		enum wgw_pkt_kind k;
		uint32_t len;
		uint8_t *copy;

		n = build(buf, v6, tpid, (uint16_t)rng_below(80), rng_below(2) ? 60 : 0);
		if (!v6 && rng_below(8) == 0)
			n = add_ip4_opts(buf, n, tpid, 4 * (1 + rng_below(10)));
		for (int j = (int)rng_below(3); j > 0; j--) {
			size_t o = v6 ? off6[rng_below(sizeof(off6))] : off4[rng_below(sizeof(off4))];

			if (tpid && o >= 12)
				o += rng_below(2) ? 4 : 0;
			switch (rng_below(4)) {
			case 0: buf[o] = 0; break;
			case 1: buf[o] = 0xff; break;
			case 2: buf[o] = (uint8_t)(buf[o] + 1 - 2 * rng_below(2)); break;
			default: buf[o] = (uint8_t)rng(); break;
			}
		}
		if (v6 && rng_below(16) == 0) /* an IPv4-mapped address */
			memcpy(buf + l2_len(tpid) + (rng_below(2) ? 8 : 24),
			       "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
		len = (uint32_t)n;
		if (rng_below(4) == 0)
			len = rng_below((uint32_t)n + 1);
		copy = malloc(len ? len : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf, len);
		memset(&p, 0xa5, sizeof(p));
		memset(&q, 0x5a, sizeof(q));
		k = wgw_pkt_parse(&p, copy, len);
		ck_assert_int_eq(k, ref_parse(&q, copy, len));
		pkt_assert_same(&p, &q);
		kinds[k]++;
		free(copy);
	}
	for (int k = 0; k < WGW_PKT_KIND_MAX; k++)
		ck_assert_msg(kinds[k] > 20, "kind %s seen %u times", wgw_pkt_kind_name(k), kinds[k]);
}
END_TEST

/* wgw_fold64() against the naive fold on edge and random sums. */
START_TEST(test_fold64)
{
	static const uint64_t edge[] = {
		0, 1, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0xffffffff, 0x100000000ULL,
		0xfffffffeULL, 0xffff0000ULL, 0x1ffffffffULL, 0xffffffff00000000ULL,
		0xffffffffffffffffULL, 0x8000000080000000ULL, 0xffff0000ffff0000ULL,
	};

	rng_seed();
	for (unsigned i = 0; i < sizeof(edge) / sizeof(edge[0]) + 200000; i++) {
		uint64_t s = i < sizeof(edge) / sizeof(edge[0]) ? edge[i] :
			     rng() >> rng_below(64);
		uint64_t r = s;

		while (r >> 16)
			r = (r & 0xffff) + (r >> 16);
		ck_assert_uint_eq(wgw_fold64(s), r);
	}
}
END_TEST

/*
 * The known-session rewrite's checksum arithmetic (struct wgw_map_ent
 * nat_csum_*): a change folded in advance to n in [1, 0xffff] and applied
 * with wgw_csum_apply16() gives the same bits as RFC 1624 eqn. 3 with the
 * terms summed per packet (wgw_csum_apply()), for every checksum value,
 * 0xffff included, in both directions (wgw_csum_neg16()); and
 * wgw_csum_mod0() is x % 0xffff == 0.
 */
START_TEST(test_csum_apply16)
{
	rng_seed();
	for (unsigned i = 0; i < 0x10000 + 20000; i++) {	/* every field value */
		/* a difference as the general rewrite sums it: new words plus
		 * the complements of old ones, never 0; every fifth one a
		 * multiple of 0xffff (folds to 0xffff) */
		uint64_t d = (rng() & 0xffffffffULL) + (uint32_t)~rng() + (rng() & 0xffffffffULL) +
			     (i & 1 ? 0 : (uint32_t)~rng());
		uint16_t c = i < 0x10000 ? (uint16_t)i : (uint16_t)rng();
		uint16_t n, back;
		uint64_t x = rng() >> rng_below(64);

		if (i % 5 == 0)
			d = 0xffffULL * (1 + (rng() >> 20));
		n = wgw_fold64(d);
		back = wgw_csum_neg16(n);
		ck_assert_uint_ge(n, 1);
		ck_assert_uint_ge(back, 1);
		ck_assert_uint_eq(((uint32_t)n + back) % 0xffff, 0);
		ck_assert_uint_eq(wgw_csum_apply16(c, n), wgw_csum_apply(c, d));
		/* a UDP checksum (not 0) with a result of 0 sent as 0xffff */
		if (c)
			ck_assert_uint_eq(wgw_csum_add16(c, (uint16_t)~n),
					  wgw_csum_apply16(c, n) ? wgw_csum_apply16(c, n) : 0xffff);
		/* the other way: a difference of -d (~fold(d) plus a
		 * multiple of 0xffff, never 0) */
		ck_assert_uint_eq(wgw_csum_apply16(c, back),
				  wgw_csum_apply(c, (uint64_t)(uint16_t)~n + 0xffff0000ULL));
		ck_assert(wgw_csum_mod0(x) == (x % 0xffff == 0));
		ck_assert(wgw_csum_mod0(x - x % 0xffff));
	}
	ck_assert(wgw_csum_mod0(0));
	ck_assert(wgw_csum_mod0(0xffff));
	ck_assert(!wgw_csum_mod0(1));
	ck_assert(!wgw_csum_mod0(UINT64_MAX - 1));
	ck_assert(wgw_csum_mod0(UINT64_MAX));	/* 2^64 - 1 = 0xffff * 0x1000100010001 */
}
END_TEST

START_TEST(test_kind_names)
{
	for (int i = 0; i < WGW_PKT_KIND_MAX; i++) {
		const char *a = wgw_pkt_kind_name(i);

		ck_assert_str_ne(a, "unknown");
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(a, wgw_pkt_kind_name(j));
	}
	ck_assert_str_eq(wgw_pkt_kind_name(WGW_PKT_KIND_MAX), "unknown");
	ck_assert_str_eq(wgw_pkt_kind_name((enum wgw_pkt_kind)-1), "unknown");
}
END_TEST

/* ---- WRAITH ---- */

START_TEST(test_wraith_cid)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_pkt p;
	uint64_t cid = 0;
	int n;

	for (int v6 = 0; v6 <= 1; v6++) {
		cid = 0;
		n = build(buf, v6, 0, 23, 0);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
		ck_assert(!wgw_wraith_cid(&p, &cid));
		ck_assert_uint_eq(cid, 0);
		n = build(buf, v6, 0, 24, 0);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
		ck_assert(wgw_wraith_cid(&p, &cid));
		ck_assert_uint_eq(cid, 0x0123456789abcdefULL);
		/* padding does not count as payload */
		n = build(buf, v6, 0x8100, 23, 200);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
		ck_assert(!wgw_wraith_cid(&p, &cid));
	}
	/* the CID is big-endian on the wire */
	n = build(buf, 0, 0, 64, 0);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
	memcpy(buf + p.payload_off, "\xff\xff\xff\xff\xff\xff\xff\xfe", 8);
	ck_assert(wgw_wraith_cid(&p, &cid));
	ck_assert_uint_eq(cid, WRAITH_CID_VERSION);
	ck_assert(wraith_cid_is_special(cid));
	memcpy(buf + p.payload_off, "\x80\0\0\0\0\0\0\x01", 8);
	ck_assert(wgw_wraith_cid(&p, &cid));
	ck_assert_uint_eq(cid, 0x8000000000000001ULL);
	ck_assert(!wraith_cid_is_special(cid));

	ck_assert(wraith_cid_is_special(WRAITH_CID_INVALID));
	ck_assert(wraith_cid_is_special(WRAITH_CID_HANDSHAKE));
	ck_assert(wraith_cid_is_special(WRAITH_CID_VERSION));
	ck_assert(wraith_cid_is_special(WRAITH_CID_RESET));
	ck_assert(!wraith_cid_is_special(0xFFFFFFFFFFFFFFFCULL));
	ck_assert(!wraith_cid_is_special(1));
	ck_assert(!wraith_cid_is_special(0x7fffffffffffffffULL));
}
END_TEST

/* ---- checksum primitives ---- */

START_TEST(test_csum_partial_random)
{
	static uint8_t raw[FRAME_CAP + 8];

	rng_seed();
	for (int i = 0; i < RAND_ITERS; i++) {
		size_t len = rng_below(1600), al = rng_below(8), split;
		uint8_t *b = raw + al;
		uint32_t init = (uint32_t)rng(), s;

		rng_bytes(b, len);
		/* congruent modulo 0xffff: compare folded */
		s = wgw_csum_partial(b, len, init);
		ck_assert_uint_eq(ntohs(wgw_csum_fold(s)),
				  (uint16_t)~ref_fold(ref_sum(b, len, 0) +
						      ref_fold(ntohs((uint16_t)init) +
							       ntohs((uint16_t)(init >> 16)))));
		/* chaining over an even split */
		split = len ? (rng_below((uint32_t)len) & ~(size_t)1) : 0;
		s = wgw_csum_partial(b + split, len - split, wgw_csum_partial(b, split, 0));
		ck_assert_uint_eq(ntohs(wgw_csum_fold(s)),
				  (uint16_t)~ref_fold(ref_sum(b, len, 0)));
	}
	/* known vector, RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 -> ddf2 */
	ck_assert_uint_eq(ntohs((uint16_t)~wgw_csum_fold(wgw_csum_partial(
				  "\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 8, 0))),
			  0xddf2);
	ck_assert_uint_eq(wgw_csum_fold(0), 0xffff);
	ck_assert_uint_eq(wgw_csum_fold(0xffff), 0);
	ck_assert_uint_eq(wgw_csum_fold(0xffffffff), 0);
	ck_assert_uint_eq(ntohs(wgw_csum_fold(htons(0x1234))), 0xedcb);
}
END_TEST

/* Random buffers with a checksum field at offset 0: replaceN must give a
 * checksum that verifies, equal modulo the +0/-0 ambiguity to the full one. */
START_TEST(test_csum_replace_random)
{
	uint8_t b[64];

	rng_seed();
	for (int i = 0; i < RAND_ITERS; i++) {
		size_t len = 20 + 2 * rng_below(22), off = 2 + 2 * rng_below((uint32_t)(len - 18) / 2);
		uint16_t c, want;
		uint8_t old[16], new_[16];
		int width = (int[]){ 2, 4, 16 }[rng_below(3)];

		if (off + (size_t)width > len)
			off = len - (size_t)width;
		rng_bytes(b, len);
		put16(b, 0);
		put16(b, (uint16_t)~ref_fold(ref_sum(b, len, 0)));
		memcpy(old, b + off, (size_t)width);
		rng_bytes(new_, (size_t)width);
		if (rng_below(8) == 0)
			memcpy(new_, old, (size_t)width); /* no-op rewrite */
		memcpy(b + off, new_, (size_t)width);
		if (width == 2) {
			uint16_t o, nw;

			memcpy(&o, old, 2);
			memcpy(&nw, new_, 2);
			wgw_csum_replace2((uint16_t *)(void *)b, o, nw);
		} else if (width == 4) {
			uint32_t o, nw;

			memcpy(&o, old, 4);
			memcpy(&nw, new_, 4);
			wgw_csum_replace4((uint16_t *)(void *)b, o, nw);
		} else {
			wgw_csum_replace16((uint16_t *)(void *)b, old, new_);
		}
		c = get16(b);
		ck_assert_uint_eq(ref_fold(ref_sum(b, len, 0)), 0xffff);
		put16(b, 0);
		want = (uint16_t)~ref_fold(ref_sum(b, len, 0));
		ck_assert(c == want || (c == 0xffff && want == 0) || (c == 0 && want == 0xffff));
	}
}
END_TEST

/* ---- NAT rewrite against the reference ---- */

enum csum_state { CS_COMPLETE, CS_PARTIAL, CS_ZERO, CS_CORRUPT, CS_MAX };

static void rand_addr(union wgw_addr *a, int v6)
{
	if (v6) {
		do {
			rng_bytes(a->b, 16);
		} while (wgw_addr_is_v4(a));
	} else {
		wgw_addr_from_v4(a, (uint32_t)rng());
	}
}

START_TEST(test_nat_random)
{
	static uint8_t raw[FRAME_CAP + 8], pl[FRAME_CAP];
	unsigned int seen[CS_MAX] = { 0 }, full = 0;

	rng_seed();
	for (int i = 0; i < RAND_ITERS; i++) {
		int v6 = (int)rng_below(2);
		uint8_t *buf = raw + 2 * rng_below(4) + rng_below(2); /* odd too */
		struct wgw_pkt_spec s = {
			.vlan_tpid = tpids[rng_below(3)],
			.vlan_tci = (uint16_t)rng(),
			.sport = (uint16_t)rng(),
			.dport = (uint16_t)rng(),
			.ttl = (uint8_t)rng(),
			.payload = pl,
			.payload_len = (uint16_t)rng_below(1400),
			.frame_min = rng_below(4) ? 0 : 60,
		};
		enum csum_state cs = (enum csum_state)rng_below(CS_MAX);
		union wgw_addr ns, nd, a;
		uint16_t nsp = (uint16_t)rng(), ndp = (uint16_t)rng();
		uint8_t *ip, *udp;
		struct wgw_pkt p;
		int n, ret, want_full;

		if (v6 && cs == CS_ZERO && rng_below(2))
			cs = CS_COMPLETE;
		rand_addr(&s.saddr, v6);
		rand_addr(&s.daddr, v6);
		rand_addr(&ns, v6);
		rand_addr(&nd, v6);
		if (rng_below(4) == 0)
			nd = s.daddr; /* only one side rewritten */
		if (rng_below(4) == 0)
			nsp = s.sport;
		rng_bytes(pl, s.payload_len);
		n = wgw_pkt_build(buf, FRAME_CAP, &s);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		ck_assert(wgw_pkt_csum_ok(&p));
		ip = buf + p.l3_off;
		udp = buf + p.l4_off;
		ck_assert_uint_eq(get16(udp + 6), ref_udp_csum(ip, udp));

		switch (cs) {
		case CS_COMPLETE:
			/* 1 in 65536: a complete checksum that looks partial */
			want_full = get16(udp + 6) == ref_partial(ip, udp);
			break;
		case CS_PARTIAL:
			put16(udp + 6, ref_partial(ip, udp));
			ck_assert(wgw_pkt_udp_csum_is_partial(&p));
			want_full = 1;
			break;
		case CS_ZERO:
			put16(udp + 6, 0);
			ck_assert(!wgw_pkt_udp_csum_is_partial(&p));
			ck_assert(wgw_pkt_csum_ok(&p) == !v6);
			want_full = v6;
			break;
		default:
			if (s.payload_len == 0) {
				cs = CS_COMPLETE;
				want_full = get16(udp + 6) == ref_partial(ip, udp);
				break;
			}
			udp[8 + rng_below(s.payload_len)] ^= (uint8_t)(1 + rng_below(255));
			ck_assert(!wgw_pkt_csum_ok(&p));
			want_full = get16(udp + 6) == ref_partial(ip, udp);
			break;
		}
		seen[cs]++;

		ret = wgw_pkt_nat(&p, &ns, nsp, &nd, ndp);
		ck_assert_int_eq(ret, want_full);
		full += (unsigned int)ret;

		/* the rewrite is visible through a fresh parse */
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		wgw_pkt_get_saddr(&p, &a);
		ck_assert(wgw_addr_eq(&a, &ns));
		wgw_pkt_get_daddr(&p, &a);
		ck_assert(wgw_addr_eq(&a, &nd));
		ck_assert_uint_eq(wgw_pkt_sport(&p), nsp);
		ck_assert_uint_eq(wgw_pkt_dport(&p), ndp);
		if (!v6)
			ck_assert_uint_eq(get16(ip + 10), ref_ip4_csum(ip));

		if (cs == CS_ZERO && !v6) {
			ck_assert_uint_eq(get16(udp + 6), 0);
		} else if (cs == CS_CORRUPT && !want_full) {
			/* incremental: corruption stays detectable */
			ck_assert(!wgw_pkt_csum_ok(&p));
			ck_assert_uint_ne(get16(udp + 6), 0);
		} else {
			ck_assert_uint_eq(get16(udp + 6), ref_udp_csum(ip, udp));
		}
		if (cs != CS_CORRUPT)
			ck_assert(wgw_pkt_csum_ok(&p));
	}
	for (int c = 0; c < CS_MAX; c++)
		ck_assert_uint_gt(seen[c], RAND_ITERS / 10);
	ck_assert_uint_gt(full, RAND_ITERS / 5);
}
END_TEST

/* RFC 1624 eqn. 3 in 16-bit words, the naive way: HC' = ~(~HC + ~m + m')
 * over every changed word (n words at old and new_, host order). */
static uint16_t ref_incr(uint16_t hc, const uint8_t *old, const uint8_t *new_, size_t n)
{
	uint32_t s = (uint16_t)~hc;

	for (size_t i = 0; i < n; i++)
		s += (uint16_t)~get16(old + 2 * i) + (uint32_t)get16(new_ + 2 * i);
	return (uint16_t)~ref_fold(s);
}

/*
 * The IPv4 rewrite, bit for bit, against RFC 1624 done word by word, on
 * random packets with every checksum state and every kind of UDP checksum
 * value (complete, corrupt, 0xffff, partial, zero) and random new
 * addresses and ports: the IPv4 header checksum, the UDP checksum (also
 * the corrupt ones, which only an exact incremental update keeps as
 * wrong as they were), the return value.
 */
START_TEST(test_nat4_matches_rfc1624)
{
	uint8_t buf[FRAME_CAP];
	unsigned int full = 0, ffff = 0;

	rng_seed();
	for (int i = 0; i < 4 * RAND_ITERS; i++) {
		int n = build(buf, 0, tpids[rng_below(3)], (uint16_t)rng_below(100), 0);
		uint8_t oldw[12], neww[12], *ip, *udp;
		uint16_t c0, want_ip, want_udp, nsp = (uint16_t)rng(), ndp = (uint16_t)rng();
		union wgw_addr ns, nd;
		struct wgw_pkt p;
		int want_full, ret;

		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		ip = buf + p.l3_off;
		udp = buf + p.l4_off;
		rng_bytes(ip + 12, 8);		/* random old addresses and ports */
		rng_bytes(udp, 4);
		put16(ip + 10, ref_ip4_csum(ip));
		switch (rng_below(6)) {
		case 0: c0 = 0; break;
		case 1: c0 = ref_partial(ip, udp); break;
		case 2: c0 = 0xffff; break;
		case 3: c0 = (uint16_t)rng(); break;	/* corrupt */
		default: c0 = ref_udp_csum(ip, udp); break;
		}
		put16(udp + 6, c0);
		if (rng_below(4) == 0)			/* odd IP checksum too */
			put16(ip + 10, (uint16_t)rng());
		wgw_addr_from_v4(&ns, (uint32_t)rng());
		wgw_addr_from_v4(&nd, (uint32_t)rng());
		if (rng_below(8) == 0)
			nd = ns;

		/* expected, word by word */
		memcpy(oldw, ip + 12, 8);
		memcpy(oldw + 8, udp, 4);
		memcpy(neww, &ns.w[3], 4);
		memcpy(neww + 4, &nd.w[3], 4);
		put16(neww + 8, nsp);
		put16(neww + 10, ndp);
		want_ip = ref_incr(get16(ip + 10), oldw, neww, 4);
		want_full = c0 != 0 && c0 == ref_partial(ip, udp);
		want_udp = c0 ? ref_incr(c0, oldw, neww, 6) : 0;
		if (c0 && !want_udp)
			want_udp = 0xffff;

		ret = wgw_pkt_nat(&p, &ns, nsp, &nd, ndp);
		ck_assert_int_eq(ret, want_full);
		ck_assert(memcmp(ip + 12, neww, 8) == 0);
		ck_assert(memcmp(udp, neww + 8, 4) == 0);
		ck_assert_uint_eq(get16(ip + 10), want_ip);
		if (want_full)
			ck_assert_uint_eq(get16(udp + 6), ref_udp_csum(ip, udp));
		else
			ck_assert_uint_eq(get16(udp + 6), want_udp);
		full += (unsigned int)want_full;
		ffff += !want_full && c0 == 0xffff;
	}
	ck_assert_uint_gt(full, RAND_ITERS / 2);
	ck_assert_uint_gt(ffff, RAND_ITERS / 2);
}
END_TEST

/* A complete checksum that equals the folded pseudo-header sum is taken for
 * a partial one and recomputed: the result must still be right. */
START_TEST(test_nat_partial_lookalike)
{
	uint8_t buf[FRAME_CAP];
	union wgw_addr ns, nd;
	struct wgw_pkt p;

	addr(&ns, "10.0.0.1");
	addr(&nd, "10.0.0.11");
	for (int v6 = 0; v6 <= 1; v6++) {
		int n = build(buf, v6, 0, 40, 0);
		uint8_t *ip, *udp;
		uint16_t c0, target;
		uint32_t delta;

		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
		ip = buf + p.l3_off;
		udp = buf + p.l4_off;
		/* choose payload word w so that the full checksum == P */
		put16(udp + 20, 0);
		c0 = ref_udp_csum(ip, udp);
		target = ref_partial(ip, udp);
		delta = ref_fold((uint32_t)c0 + (uint16_t)~target);
		put16(udp + 20, (uint16_t)delta);
		put16(udp + 6, ref_udp_csum(ip, udp));
		ck_assert_uint_eq(get16(udp + 6), target);
		ck_assert(wgw_pkt_csum_ok(&p));
		ck_assert(wgw_pkt_udp_csum_is_partial(&p));

		if (v6) {
			addr(&ns, "2001:db8:ff::1");
			addr(&nd, "2001:db8:ff::11");
		}
		ck_assert_int_eq(wgw_pkt_nat(&p, &ns, 1234, &nd, 8420), 1);
		ck_assert_uint_eq(get16(udp + 6), ref_udp_csum(ip, udp));
		ck_assert(wgw_pkt_csum_ok(&p));
	}
}
END_TEST

/*
 * Rewrites whose incremental result is 0 must send 0xffff (RFC 768), and an
 * incoming 0xffff must update like any other value.  The source port is
 * chosen to make the datagram's one's complement sum -0: after a first
 * rewrite to port sp leaves checksum c, port sp +' c (one's complement add)
 * turns the sum into -0, i.e. a computed checksum of 0.
 */
START_TEST(test_nat_zero_result)
{
	uint8_t buf[FRAME_CAP];
	unsigned int hits = 0;

	rng_seed();
	for (int i = 0; i < 2000; i++) {
		int v6 = i & 1, n = build(buf, v6, 0, (uint16_t)rng_below(50), 0);
		union wgw_addr ns, nd;
		struct wgw_pkt p;
		uint16_t sp = (uint16_t)rng(), c;
		uint8_t *udp;

		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
		udp = buf + p.l4_off;
		rand_addr(&ns, v6);
		rand_addr(&nd, v6);
		if (wgw_pkt_nat(&p, &ns, sp, &nd, 8420) != 0)
			continue; /* looked partial: not the incremental path */
		c = get16(udp + 6);
		ck_assert_uint_eq(c, ref_udp_csum(buf + p.l3_off, udp));
		sp = ref_fold((uint32_t)sp + c);
		if (get16(udp + 6) == ref_partial(buf + p.l3_off, udp))
			continue;
		/* the same rewrite again, addresses unchanged, new port */
		if (wgw_pkt_nat(&p, &ns, sp, &nd, 8420) != 0)
			continue;
		ck_assert_uint_eq(get16(udp + 6), 0xffff);
		ck_assert_uint_eq(ref_udp_csum(buf + p.l3_off, udp), 0xffff);
		ck_assert(wgw_pkt_csum_ok(&p));
		/* and from 0xffff on, incrementally */
		if (get16(udp + 6) == ref_partial(buf + p.l3_off, udp))
			continue;
		ck_assert_int_eq(wgw_pkt_nat(&p, &nd, 1, &ns, 2), 0);
		ck_assert_uint_eq(get16(udp + 6), ref_udp_csum(buf + p.l3_off, udp));
		ck_assert(wgw_pkt_csum_ok(&p));
		hits++;
	}
	ck_assert_uint_gt(hits, 1900);
}
END_TEST

START_TEST(test_nat_family_mismatch)
{
	uint8_t buf[FRAME_CAP], save[FRAME_CAP];
	union wgw_addr a4, a6;
	struct wgw_pkt p;
	int n;

	addr(&a4, "10.0.0.1");
	addr(&a6, "2001:db8::99");
	n = build(buf, 0, 0, 30, 0);
	memcpy(save, buf, (size_t)n);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
	ck_assert_int_eq(wgw_pkt_nat(&p, &a6, 1, &a4, 2), -EINVAL);
	ck_assert_int_eq(wgw_pkt_nat(&p, &a4, 1, &a6, 2), -EINVAL);
	ck_assert(memcmp(buf, save, (size_t)n) == 0);
	n = build(buf, 1, 0, 30, 0);
	memcpy(save, buf, (size_t)n);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
	ck_assert_int_eq(wgw_pkt_nat(&p, &a4, 1, &a6, 2), -EINVAL);
	ck_assert_int_eq(wgw_pkt_nat(&p, &a6, 1, &a4, 2), -EINVAL);
	ck_assert(memcmp(buf, save, (size_t)n) == 0);
}
END_TEST

START_TEST(test_csum_full_and_ok)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_pkt p;

	for (int v6 = 0; v6 <= 1; v6++) {
		int n = build(buf, v6, 0x8100, 101, 0);
		uint8_t *udp;

		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
		udp = buf + p.l4_off;
		put16(udp + 6, 0x1234);
		ck_assert(!wgw_pkt_csum_ok(&p));
		wgw_pkt_udp_csum_full(&p);
		ck_assert(wgw_pkt_csum_ok(&p));
		ck_assert_uint_eq(get16(udp + 6), ref_udp_csum(buf + p.l3_off, udp));
		/* a zero checksum: fine on IPv4, invalid on IPv6 */
		put16(udp + 6, 0);
		ck_assert(wgw_pkt_csum_ok(&p) == !v6);
		/* the full recompute always writes a real checksum */
		wgw_pkt_udp_csum_full(&p);
		ck_assert_uint_ne(get16(udp + 6), 0);
		ck_assert(wgw_pkt_csum_ok(&p));
		/* the IP header checksum is checked too */
		if (!v6) {
			buf[p.l3_off + 1] ^= 0x04;
			ck_assert(!wgw_pkt_csum_ok(&p));
			wgw_pkt_ip4_csum_full(&p);
			ck_assert(wgw_pkt_csum_ok(&p));
		}
	}
}
END_TEST

START_TEST(test_dec_ttl)
{
	uint8_t buf[FRAME_CAP], save[FRAME_CAP];
	struct wgw_pkt_spec s = { .ttl = 2, .sport = 1, .dport = 2 };
	struct wgw_pkt p;
	int n;

	for (int v6 = 0; v6 <= 1; v6++) {
		addr(&s.saddr, v6 ? "2001:db8::1" : "10.1.1.1");
		addr(&s.daddr, v6 ? "2001:db8::2" : "10.1.1.2");
		n = wgw_pkt_build(buf, sizeof(buf), &s);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
		ck_assert_int_eq(wgw_pkt_dec_ttl(&p), 1);
		ck_assert(wgw_pkt_csum_ok(&p));
		if (!v6)
			ck_assert_uint_eq(get16(buf + 24), ref_ip4_csum(buf + 14));
		memcpy(save, buf, (size_t)n);
		ck_assert_int_eq(wgw_pkt_dec_ttl(&p), 0);
		ck_assert(memcmp(save, buf, (size_t)n) == 0);
		buf[14 + (v6 ? 7 : 8)] = 0;
		ck_assert_int_eq(wgw_pkt_dec_ttl(&p), 0);
		buf[14 + (v6 ? 7 : 8)] = 255;
		if (!v6)
			wgw_pkt_ip4_csum_full(&p);
		ck_assert_int_eq(wgw_pkt_dec_ttl(&p), 254);
		ck_assert(wgw_pkt_csum_ok(&p));
	}
}
END_TEST

START_TEST(test_build_errors)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_pkt_spec s = { .sport = 1, .dport = 2, .payload_len = 10 };
	uint8_t pl[10] = { 0 };
	int n;

	addr(&s.saddr, "10.0.0.1");
	addr(&s.daddr, "2001:db8::1");
	s.payload = pl;
	ck_assert_int_eq(wgw_pkt_build(buf, sizeof(buf), &s), -EINVAL);
	addr(&s.daddr, "10.0.0.2");
	n = wgw_pkt_build(buf, sizeof(buf), &s);
	ck_assert_int_eq(n, 14 + 20 + 8 + 10);
	ck_assert_int_eq(wgw_pkt_build(buf, (size_t)n, &s), n);
	ck_assert_int_eq(wgw_pkt_build(buf, (size_t)n - 1, &s), -ENOSPC);
	s.frame_min = 60;
	ck_assert_int_eq(wgw_pkt_build(buf, 59, &s), -ENOSPC);
	ck_assert_int_eq(wgw_pkt_build(buf, 60, &s), 60);
	s.vlan_tpid = 0x9100;
	ck_assert_int_eq(wgw_pkt_build(buf, sizeof(buf), &s), -EINVAL);
	s.vlan_tpid = 0;
	s.payload = NULL;
	ck_assert_int_eq(wgw_pkt_build(buf, sizeof(buf), &s), -EINVAL);
	s.payload_len = 0;
	ck_assert_int_eq(wgw_pkt_build(buf, sizeof(buf), &s), 60);
	s.frame_min = 0;
	ck_assert_int_eq(wgw_pkt_build(buf, sizeof(buf), &s), 42);
	/* datagrams over 64 KiB cannot be expressed */
	s.payload = buf;
	s.payload_len = 65535 - 28 + 1;
	ck_assert_int_eq(wgw_pkt_build(buf, sizeof(buf), &s), -EINVAL);
}
END_TEST

START_TEST(test_set_eth)
{
	uint8_t buf[FRAME_CAP];
	struct wgw_pkt p;
	int n = build(buf, 1, 0x8100, 24, 0);

	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
	wgw_pkt_set_eth(&p, mac_b, mac_a);
	ck_assert(memcmp(buf, mac_b, 6) == 0 && memcmp(buf + 6, mac_a, 6) == 0);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, n), WGW_PKT_UDP);
	ck_assert_uint_eq(p.vlan_tpid, 0x8100);
}
END_TEST

/* Field by field: struct padding is not guaranteed to be zero. */
static bool pkt_eq(const struct wgw_pkt *a, const struct wgw_pkt *b)
{
	return a->data == b->data && a->len == b->len && a->l3_off == b->l3_off &&
	       a->l4_off == b->l4_off && a->payload_off == b->payload_off &&
	       a->payload_len == b->payload_len && a->ip_len == b->ip_len &&
	       a->vlan_tpid == b->vlan_tpid && a->vlan_tci == b->vlan_tci &&
	       a->family == b->family && a->l4_proto == b->l4_proto;
}

START_TEST(test_vlan_pop_push)
{
	uint8_t tagged[FRAME_CAP], untagged[FRAME_CAP], raw[FRAME_CAP + 8];
	union wgw_addr ns, nd;

	for (int v6 = 0; v6 <= 1; v6++)
	for (int t = 1; t <= 2; t++) {
		int nt = build(tagged, v6, tpids[t], 31, 0);
		int nu = build(untagged, v6, 0, 31, 0);
		struct wgw_pkt p, q;
		uint8_t *buf = raw + 4;

		/* pop: the untagged frame, 4 bytes later */
		memcpy(buf, tagged, (size_t)nt);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)nt), WGW_PKT_UDP);
		wgw_pkt_vlan_pop(&p);
		ck_assert_ptr_eq(p.data, buf + 4);
		ck_assert_uint_eq(p.len, (uint32_t)nu);
		ck_assert(memcmp(p.data, untagged, (size_t)nu) == 0);
		ck_assert_int_eq(wgw_pkt_parse(&q, p.data, p.len), WGW_PKT_UDP);
		ck_assert(pkt_eq(&p, &q));
		wgw_pkt_vlan_pop(&p); /* untagged: nothing to do */
		ck_assert(pkt_eq(&p, &q));

		/* push into the headroom: the tagged frame again */
		ck_assert_int_eq(wgw_pkt_vlan_push(&p, tpids[t], 0x0123, 3), -ENOSPC);
		ck_assert_int_eq(wgw_pkt_vlan_push(&p, 0x9100, 0x0123, 4), -EINVAL);
		ck_assert(pkt_eq(&p, &q));
		ck_assert_int_eq(wgw_pkt_vlan_push(&p, tpids[t], 0x0123, 4), 0);
		ck_assert_ptr_eq(p.data, buf);
		ck_assert(memcmp(buf, tagged, (size_t)nt) == 0);
		ck_assert_int_eq(wgw_pkt_parse(&q, buf, (uint32_t)nt), WGW_PKT_UDP);
		ck_assert(pkt_eq(&p, &q));

		/* push on a tagged frame rewrites the tag */
		ck_assert_int_eq(wgw_pkt_vlan_push(&p, 0x8100, 0x0fff, 0), 0);
		ck_assert_int_eq(wgw_pkt_parse(&q, buf, (uint32_t)nt), WGW_PKT_UDP);
		ck_assert_uint_eq(q.vlan_tpid, 0x8100);
		ck_assert_uint_eq(q.vlan_tci, 0x0fff);
		ck_assert(pkt_eq(&p, &q));

		/* the rewritten p still drives a correct NAT */
		wgw_pkt_vlan_pop(&p);
		rand_addr(&ns, v6);
		rand_addr(&nd, v6);
		ck_assert_int_eq(wgw_pkt_nat(&p, &ns, 7, &nd, 8), 0);
		ck_assert_int_eq(wgw_pkt_parse(&q, p.data, p.len), WGW_PKT_UDP);
		ck_assert(wgw_pkt_csum_ok(&q));
		ck_assert_uint_eq(wgw_pkt_dport(&q), 8);
	}
}
END_TEST

/* ---- addresses ---- */

START_TEST(test_addr_round_trip)
{
	static const char *const good[] = {
		"192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.11",
		"::", "::1", "2001:db8::1", "fe80::1:2", "2001:db8:0:1:2:3:4:5",
		"ff02::1:ff00:1",
	};
	char buf[INET6_ADDRSTRLEN];
	union wgw_addr a, b;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(wgw_addr_parse(&a, good[i]), 0);
		ck_assert_ptr_eq(wgw_addr_str(&a, buf, sizeof(buf)), buf);
		ck_assert_str_eq(buf, good[i]);
		ck_assert(wgw_addr_is_v4(&a) == (strchr(good[i], ':') == NULL));
	}
	ck_assert_int_eq(wgw_addr_parse(&a, "192.0.2.1"), 0);
	ck_assert_uint_eq(wgw_addr_v4(&a), htonl(0xc0000201));
	wgw_addr_from_v4(&b, htonl(0xc0000201));
	ck_assert(wgw_addr_eq(&a, &b));
	/* the mapped form is the IPv4 address */
	ck_assert_int_eq(wgw_addr_parse(&a, "::ffff:1.2.3.4"), 0);
	ck_assert(wgw_addr_is_v4(&a));
	ck_assert_str_eq(wgw_addr_str(&a, buf, sizeof(buf)), "1.2.3.4");
	/* canonical output */
	ck_assert_int_eq(wgw_addr_parse(&a, "2001:DB8:0:0:0:0:0:1"), 0);
	ck_assert_str_eq(wgw_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	/* the longest literal: 45 characters */
	ck_assert_int_eq(wgw_addr_parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"), 0);
	ck_assert_str_eq(wgw_addr_str(&a, buf, sizeof(buf)),
			 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");

	/* too small an output buffer */
	errno = 0;
	ck_assert_ptr_null(wgw_addr_str(&a, buf, 5));
	ck_assert_int_eq(errno, ENOSPC);

	rng_seed();
	for (int i = 0; i < 10000; i++) {
		if (rng_below(2))
			wgw_addr_from_v4(&a, (uint32_t)rng());
		else
			rng_bytes(a.b, 16);
		ck_assert_ptr_nonnull(wgw_addr_str(&a, buf, sizeof(buf)));
		ck_assert_int_eq(wgw_addr_parse(&b, buf), 0);
		ck_assert(wgw_addr_eq(&a, &b));
	}
}
END_TEST

START_TEST(test_addr_reject)
{
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-1", " 1.2.3.4",
		"1.2.3.4 ", "1.2.3.4/32", "0x1.2.3.4", "::g", ":::", "1::2::3",
		"[::1]", "fe80::1%eth0", "2001:db8::1:2:3:4:5:6:7", "12345::",
		"localhost", "1.2.3.4:8420",
		"0000:0000:0000:0000:0000:0000:0000:0000:0", /* 41 characters */
		"1111111111111111111111111111111111111111111111111111111111111",
	};
	union wgw_addr a, orig;

	memset(&orig, 0x5a, sizeof(orig));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = orig;
		ck_assert_msg(wgw_addr_parse(&a, bad[i]) == -EINVAL, "accepted \"%s\"", bad[i]);
		ck_assert(wgw_addr_eq(&a, &orig));
	}
	ck_assert_int_eq(wgw_addr_parse(&a, NULL), -EINVAL);
}
END_TEST

/* wgw_pkt_csum_verify() against the byte-wise reference, both families,
 * with and without IPv4 options, every state a checksum can arrive in:
 * complete, partial, zero, a corrupt payload, header or field. */
START_TEST(test_csum_verify_random)
{
	static uint8_t buf[FRAME_CAP];
	unsigned seen[WGW_CSUM_BAD + 1] = { 0 };

	rng_seed();
	for (int i = 0; i < RAND_ITERS; i++) {
		int v6 = (int)rng_below(2), n;
		uint16_t tpid = tpids[rng_below(3)], plen = (uint16_t)rng_below(1400), f;
		enum wgw_csum_verdict want;
		uint8_t *ip, *udp;
		struct wgw_pkt p;

		n = build(buf, v6, tpid, plen, rng_below(4) ? 0 : 60);
		if (!v6 && rng_below(3) == 0)
			n = add_ip4_opts(buf, n, tpid, 4 * (1 + rng_below(10)));
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		ip = buf + p.l3_off;
		udp = buf + p.l4_off;
		switch (rng_below(6)) {
		case 0:		/* complete, as built */
			break;
		case 1:
			put16(udp + 6, ref_partial(ip, udp));
			break;
		case 2:
			put16(udp + 6, 0);
			break;
		case 3:		/* a payload bit, or the source port */
			if (plen)
				udp[8 + rng_below(plen)] ^= (uint8_t)(1 + rng_below(255));
			else
				udp[0] ^= 0x40;
			break;
		case 4:
			put16(udp + 6, get16(udp + 6) ^ (uint16_t)(1 + rng_below(0xfffe)));
			break;
		default:	/* IPv4: the TOS byte; IPv6: a source address bit */
			ip[v6 ? 9 : 1] ^= (uint8_t)(1 + rng_below(255));
			break;
		}
		f = get16(udp + 6);
		if (!v6 && get16(ip + 10) != ref_ip4_csum(ip))
			want = WGW_CSUM_BAD;
		else if (f == 0)
			want = v6 ? WGW_CSUM_BAD : WGW_CSUM_NONE;
		else if (f == ref_partial(ip, udp))
			want = WGW_CSUM_PARTIAL;
		else if (f == ref_udp_csum(ip, udp))
			want = WGW_CSUM_OK;
		else
			want = WGW_CSUM_BAD;
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), want);
		seen[want]++;
	}
	for (int c = 0; c <= WGW_CSUM_BAD; c++)
		ck_assert_uint_gt(seen[c], RAND_ITERS / 20);
}
END_TEST

/* The kernel's rules one by one (udp_lib_checksum_complete(),
 * udp6_csum_init(), ip_fast_csum()). */
START_TEST(test_csum_verify_rules)
{
	static uint8_t buf[FRAME_CAP];

	for (int v6 = 0; v6 < 2; v6++) {
		struct wgw_pkt p;
		uint8_t *ip, *udp;
		uint16_t c;
		int n = build(buf, v6, 0, 100, 0);

		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
		ip = buf + p.l3_off;
		udp = buf + p.l4_off;
		c = get16(udp + 6);
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_OK);
		/* IPv4: zero is "no checksum"; IPv6 has none such */
		put16(udp + 6, 0);
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), v6 ? WGW_CSUM_BAD : WGW_CSUM_NONE);
		put16(udp + 6, ref_partial(ip, udp));
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_PARTIAL);
		put16(udp + 6, (uint16_t)(c + 1));
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_BAD);
		put16(udp + 6, c);
		udp[8 + 99] ^= 0x80;	/* the last payload byte */
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_BAD);
		udp[8 + 99] ^= 0x80;
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_OK);
		if (!v6) {
			/* a wrong header checksum, whatever the UDP one */
			ip[10] ^= 0x01;
			ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_BAD);
			put16(udp + 6, 0);
			ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_BAD);
			ip[10] ^= 0x01;
			ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_NONE);
			/* options are covered */
			put16(udp + 6, c);
			n = add_ip4_opts(buf, n, 0, 8);
			ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
			ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_OK);
			ip[20 + 2] = 7;	/* a NOP changed: header checksum now wrong */
			ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_BAD);
		}
	}
}
END_TEST

/* Long buffers: the vector sum's blocks (512 KiB) and its lanes' bounds,
 * all-ones bytes being the worst case for every accumulator. */
START_TEST(test_csum_partial_long)
{
	const size_t len = 2 * 512 * 1024 + 37;
	uint8_t *b = malloc(len + 1);
	uint64_t ref = 0;

	ck_assert_ptr_nonnull(b);
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			rng_bytes(b, len + 1);
		else
			memset(b, 0xff, len + 1);
		for (size_t al = 0; al < 2; al++) {
			ref = 0;
			for (size_t i = 0; i < len; i++)
				ref += (i & 1) ? b[al + i] : (uint32_t)b[al + i] << 8;
			while (ref >> 16)
				ref = (ref & 0xffff) + (ref >> 16);
			ck_assert_uint_eq(ntohs((uint16_t)~wgw_csum_fold(wgw_csum_partial(b + al, len, 0))),
					  (uint16_t)ref);
		}
	}
	free(b);
}
END_TEST

static Suite *packet_suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_shapes);
	tcase_add_test(tc, test_parse_ip4_options);
	tcase_add_test(tc, test_parse_padding);
	tcase_add_test(tc, test_parse_truncations);
	tcase_add_test(tc, test_parse_ip4_bad);
	tcase_add_test(tc, test_parse_ip6_bad);
	tcase_add_test(tc, test_parse_not_ip);
	tcase_add_test(tc, test_parse_random_damage);
	tcase_add_test(tc, test_parse_fast_matches_general);
	tcase_add_test(tc, test_kind_names);
	tcase_add_test(tc, test_wraith_cid);
	suite_add_tcase(s, tc);

	tc = tcase_create("csum");
	tcase_add_test(tc, test_csum_partial_random);
	tcase_add_test(tc, test_fold64);
	tcase_add_test(tc, test_csum_apply16);
	tcase_add_test(tc, test_csum_replace_random);
	tcase_add_test(tc, test_csum_full_and_ok);
	tcase_add_test(tc, test_csum_verify_random);
	tcase_add_test(tc, test_csum_verify_rules);
	tcase_add_test(tc, test_csum_partial_long);
	suite_add_tcase(s, tc);

	tc = tcase_create("rewrite");
	tcase_add_test(tc, test_nat_random);
	tcase_add_test(tc, test_nat_partial_lookalike);
	tcase_add_test(tc, test_nat4_matches_rfc1624);
	tcase_add_test(tc, test_nat_zero_result);
	tcase_add_test(tc, test_nat_family_mismatch);
	tcase_add_test(tc, test_dec_ttl);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_set_eth);
	tcase_add_test(tc, test_vlan_pop_push);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr");
	tcase_add_test(tc, test_addr_round_trip);
	tcase_add_test(tc, test_addr_reject);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(packet_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
