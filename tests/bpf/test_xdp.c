// SPDX-License-Identifier: GPL-2.0-only
/*
 * The XDP classifier through BPF_PROG_TEST_RUN (real verifier, real JIT,
 * crafted frames in, verdict out), with exact counter deltas for every
 * frame; and the loader's attach rules on veth and bridge devices inside a
 * private network namespace.
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN): skipped (77) otherwise.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <check.h>
#include <xdp/xsk.h>
#include <sys/mman.h>
#include <poll.h>

#include "gateway/log.h"
#include "gateway/packet.h"
#include "gateway/xdp.h"
#include "tests/bpf/xdp_codec.h"

/* ------------------------------------------------------------ frames */

#define VIP4 "192.0.2.10"
#define VIP4_PORT 8420
#define VIP4R "198.51.100.1"	/* ports 40000-50000 */
#define VIP6 "2001:db8::10"
#define VIP6_PORT 8420
#define NAT4 "10.0.0.2"		/* ports 20000-29999 */
#define NAT6 "fd00::2"		/* ports 20000-29999 */
#define CID_OK 0x0123456789abcdefULL

/* The MAC address setup() gives the loopback interface, the ingress of a
 * BPF_PROG_TEST_RUN without a context; frames carry it unless a test says
 * otherwise (frame_dmac, spec.dmac). */
#define LO_IFINDEX 1
static const uint8_t test_mac[6] = { 0x02, 0, 0, 0, 0, 2 };
static uint8_t frame_dmac[6] = { 0x02, 0, 0, 0, 0, 2 };
/* Non-zero: the ingress interface given to BPF_PROG_TEST_RUN in the ctx. */
static int run_ifindex;

struct spec {
	int v6;
	uint16_t tpid, tpid2;	/* VLAN tag(s), 0 for none */
	uint16_t ethertype;	/* non-zero: replaces IPv4/IPv6 (ARP...) */
	int ip_opts;		/* IPv4 options, bytes (multiple of 4) */
	int ihl;		/* non-zero: IHL field override */
	int version;		/* non-zero: IP version field override */
	int tot_len_delta;	/* added to IPv4 total / IPv6 payload length */
	uint16_t frag;		/* IPv4 frag_off, host order */
	uint8_t proto;		/* 0: UDP */
	int ext;		/* IPv6: insert an 8-byte ext header of type ext-1 */
	const char *daddr;
	const char *saddr;	/* NULL: 192.0.2.99 / 2001:db8::99 */
	uint16_t dport;
	uint16_t plen;		/* UDP payload */
	uint64_t cid;
	int ulen_delta;		/* added to the UDP length field */
	int pad;		/* bytes of Ethernet padding after the datagram */
	const uint8_t *dmac;	/* NULL: frame_dmac */
	int ttl;		/* non-zero: TTL / hop limit ttl-1 (default 64) */
	int bad_ip_csum;	/* IPv4: 1 damages the header checksum field,
				 * 2 the header's last byte (an option's) */
	int udp_csum0;		/* UDP checksum field 0 */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Build a frame from s into f (2048 bytes) by hand; returns its length. */
static uint32_t build_hand(uint8_t *f, const struct spec *s)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 2 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 1 };
	uint8_t *p = f, *ip, *udp;
	size_t l4len, hl, i;

	memset(f, 0, 2048);
	memcpy(p, dmac, 6);
	memcpy(p + 6, smac, 6);
	p += 12;
	if (s->tpid) {
		put16(p, s->tpid);
		put16(p + 2, 100);
		p += 4;
	}
	if (s->tpid2) {
		put16(p, s->tpid2);
		put16(p + 2, 200);
		p += 4;
	}
	put16(p, s->ethertype ? s->ethertype : s->v6 ? 0x86dd : 0x0800);
	p += 2;
	ip = p;
	l4len = 8 + s->plen;
	if (!s->v6) {
		hl = 20 + (size_t)s->ip_opts;
		ip[0] = (uint8_t)((s->version ? s->version : 4) << 4 |
				  (s->ihl ? s->ihl : (int)hl / 4));
		put16(ip + 2, (uint16_t)(hl + l4len + s->tot_len_delta));
		put16(ip + 6, s->frag);
		ip[8] = 64;
		ip[9] = s->proto ? s->proto : IPPROTO_UDP;
		ck_assert(inet_pton(AF_INET, s->saddr ? s->saddr : "192.0.2.99", ip + 12) == 1);
		ck_assert(inet_pton(AF_INET, s->daddr, ip + 16) == 1);
		for (i = 20; i < hl; i++)
			ip[i] = 1; /* NOP options */
		put16(ip + 10, ip_csum(ip, hl));
	} else {
		size_t ext = s->ext ? 8 : 0;

		hl = 40 + ext;
		ip[0] = (uint8_t)((s->version ? s->version : 6) << 4);
		put16(ip + 4, (uint16_t)(ext + l4len + s->tot_len_delta));
		ip[6] = s->ext ? (uint8_t)(s->ext - 1) : s->proto ? s->proto : IPPROTO_UDP;
		ip[7] = 64;
		ck_assert(inet_pton(AF_INET6, s->saddr ? s->saddr : "2001:db8::99",
				    ip + 8) == 1);
		ck_assert(inet_pton(AF_INET6, s->daddr, ip + 24) == 1);
		if (ext)
			ip[40] = s->proto ? s->proto : IPPROTO_UDP; /* len 0: 8 bytes */
	}
	udp = ip + hl;
	put16(udp, 51000);
	put16(udp + 2, s->dport);
	put16(udp + 4, (uint16_t)((int)l4len + s->ulen_delta));
	for (i = 0; i < 8 && i < s->plen; i++)
		udp[8 + i] = (uint8_t)(s->cid >> (56 - 8 * i));
	for (i = 8; i < s->plen; i++)
		udp[8 + i] = (uint8_t)i;
	return (uint32_t)(udp + l4len - f) + (uint32_t)s->pad;
}


static void addr(union wgw_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET6, s, a->b) == 1)
		return;
	a->w[2] = htonl(0xffff);
	ck_assert(inet_pton(AF_INET, s, &a->w[3]) == 1);
}

/* Build with wgw_pkt_build(), then overwrite the fields the spec damages. */
static uint32_t build_codec(uint8_t *f, const struct spec *s)
{
	struct wgw_pkt_spec ps;
	uint8_t payload[2048];
	uint8_t *ip, *udp;
	uint32_t l3, hl;
	int n, i;

	memset(&ps, 0, sizeof(ps));
	memset(f, 0, 2048);
	ps.eth_dst[0] = ps.eth_src[0] = 0x02;
	ps.eth_dst[5] = 2;
	ps.eth_src[5] = 1;
	ps.vlan_tpid = s->tpid;
	ps.vlan_tci = 100;
	addr(&ps.saddr, s->saddr ? s->saddr : s->v6 ? "2001:db8::99" : "192.0.2.99");
	addr(&ps.daddr, s->daddr);
	ps.sport = 51000;
	ps.dport = s->dport;
	for (i = 0; i < s->plen; i++)
		payload[i] = i < 8 ? (uint8_t)(s->cid >> (56 - 8 * i)) : (uint8_t)i;
	ps.payload = payload;
	ps.payload_len = s->plen;
	n = wgw_pkt_build(f, 2048, &ps);
	ck_assert_msg(n > 0, "wgw_pkt_build: %d", n);

	l3 = 14 + (s->tpid ? 4 : 0);
	ip = f + l3;
	if (s->ethertype)
		put16(f + l3 - 2, s->ethertype);
	if (!s->v6) {
		hl = 20;
		if (s->version || s->ihl)
			ip[0] = (uint8_t)((s->version ? s->version : 4) << 4 |
					  (s->ihl ? s->ihl : 5));
		put16(ip + 2, (uint16_t)(((ip[2] << 8) | ip[3]) + s->tot_len_delta));
		if (s->frag)
			put16(ip + 6, s->frag);
		if (s->proto)
			ip[9] = s->proto;
	} else {
		hl = 40;
		if (s->version)
			ip[0] = (uint8_t)(s->version << 4);
		put16(ip + 4, (uint16_t)(((ip[4] << 8) | ip[5]) + s->tot_len_delta));
		if (s->proto)
			ip[6] = s->proto;
	}
	udp = ip + hl;
	put16(udp + 4, (uint16_t)(((udp[4] << 8) | udp[5]) + s->ulen_delta));
	return (uint32_t)n + (uint32_t)s->pad;
}

/* IPv4-mapped addresses in an IPv6 header: wgw_pkt_build would make IPv4. */
static bool v6_with_v4_literal(const struct spec *s)
{
	return s->v6 && (strchr(s->daddr, '.') || (s->saddr && strchr(s->saddr, '.')));
}

/*
 * What neither builder does: the Ethernet destination, TTL, a zero UDP
 * checksum, then the IPv4 header checksum, right (whatever the builder
 * damaged) unless the spec damages it.
 */
static uint32_t finish(uint8_t *f, uint32_t len, const struct spec *s)
{
	uint32_t l3 = 14 + (s->tpid ? 4 : 0) + (s->tpid2 ? 4 : 0);
	uint8_t *ip = f + l3;
	size_t hl;

	memcpy(f, s->dmac ? s->dmac : frame_dmac, 6);
	if (s->ethertype)
		return len;
	if (!s->v6) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		if (s->ttl)
			ip[8] = (uint8_t)(s->ttl - 1);
		if (s->udp_csum0 && l3 + hl + 8 <= len)
			put16(ip + hl + 6, 0);
		if (hl >= 20 && l3 + hl <= len) {
			put16(ip + 10, 0);
			put16(ip + 10, ip_csum(ip, hl));
			if (s->bad_ip_csum == 1)
				ip[11] ^= 0x5a;
			else if (s->bad_ip_csum == 2)
				ip[hl - 1] ^= 0x5a;
		}
	} else {
		if (s->ttl)
			ip[7] = (uint8_t)(s->ttl - 1);
		if (s->udp_csum0 && !s->ext && l3 + 48 <= len)
			put16(ip + 46, 0);
	}
	return len;
}

static uint32_t build(uint8_t *f, const struct spec *s)
{
	if (s->ip_opts || s->ext || s->tpid2 || v6_with_v4_literal(s))
		return finish(f, build_hand(f, s), s);
	return finish(f, build_codec(f, s), s);
}

/* ------------------------------------------------------------ harness */

static struct wgw_xdp *x;
/* The program expect() runs when not x's own load (-1): the libxdp load
 * or the dispatcher around it. */
static int run_fd = -1;

static void setup(void)
{
	union wgw_addr a;
	int err;

	err = wgw_xdp_open(&x, 0);
	ck_assert_msg(err == 0, "wgw_xdp_open: %s", strerror(-err));
	ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, test_mac), 0);
	addr(&a, VIP4);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, VIP4_PORT, VIP4_PORT), 0);
	addr(&a, VIP4R);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 40000, 50000), 0);
	addr(&a, VIP6);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, VIP6_PORT, VIP6_PORT), 0);
	addr(&a, NAT4);
	ck_assert_int_eq(wgw_xdp_set_nat(x, &a, 20000, 29999), 0);
	addr(&a, NAT6);
	ck_assert_int_eq(wgw_xdp_add_dst(x, WGW_XDP_ROLE_NAT, &a, 20000, 29999), 0);
}

static void teardown(void)
{
	wgw_xdp_close(x);
	x = NULL;
}

/* The codec's opinion of a frame must be compatible with the program's
 * reason (tests/bpf/xdp_codec.h): crafted frames, so exactly. */
static void codec_agrees(int line, const uint8_t *f, uint32_t len,
			 unsigned int reason)
{
	enum wgw_pkt_kind k = WGW_PKT_NOT_IP;
	bool ok = xdp_codec_agrees(f, len, reason, true, &k);

	ck_assert_msg(ok, "line %d (len %u): program says %s, codec says %s",
		      line, len, wgw_xdp_counter_name(reason), wgw_pkt_kind_name(k));
}

/* Run frame f through the program once: the verdict must be act, and the
 * counters must have moved by exactly one in reason and in its verdict. */
static void expect_(int line, const uint8_t *f, uint32_t len, int act,
		    unsigned int reason)
{
	uint64_t before[WGW_XDP_CNT_MAX], after[WGW_XDP_CNT_MAX];
	unsigned int i, v = wgw_xdp_counter_verdict(reason);
	int err;
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = (__u32)run_ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len,
		    .repeat = 1);

	if (run_ifindex) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	ck_assert_int_eq(wgw_xdp_read_counters(x, before), 0);
	err = bpf_prog_test_run_opts(run_fd >= 0 ? run_fd : wgw_xdp_prog_fd(x), &o);
	ck_assert_msg(err == 0, "line %d: test run (len %u): %s", line, len,
		      strerror(errno));
	ck_assert_msg((int)o.retval == act, "line %d (len %u): verdict %u, expected %d (%s)",
		      line, len, o.retval, act, wgw_xdp_counter_name(reason));
	ck_assert_int_eq(wgw_xdp_read_counters(x, after), 0);
	for (i = 0; i < WGW_XDP_CNT_MAX; i++) {
		uint64_t want = (i == reason) + (i == v);

		ck_assert_msg(after[i] - before[i] == want,
			      "line %d (len %u): counter %s moved by %llu, expected %llu",
			      line, len, wgw_xdp_counter_name(i),
			      (unsigned long long)(after[i] - before[i]),
			      (unsigned long long)want);
	}
	codec_agrees(line, f, len, reason);
}

#define expect(f, len, act, reason) expect_(__LINE__, f, len, act, WGW_XDP_CNT_##reason)

/* Build from a spec and expect. */
#define check_spec(sp, act, reason)                                            \
	do {                                                                   \
		uint8_t f_[2048];                                              \
		uint32_t l_ = build(f_, sp);                                   \
		expect_(__LINE__, f_, l_, act, WGW_XDP_CNT_##reason);          \
	} while (0)

static struct spec vip4(uint16_t plen)
{
	return (struct spec){ .daddr = VIP4, .dport = VIP4_PORT, .plen = plen,
			      .cid = CID_OK };
}

static struct spec vip6(uint16_t plen)
{
	return (struct spec){ .v6 = 1, .daddr = VIP6, .dport = VIP6_PORT,
			      .plen = plen, .cid = CID_OK };
}

/* ------------------------------------------------------------- capture */

struct cap_seen {
	unsigned n;
	struct wgw_xdp_cap_rec last;
};

static int cap_cb(void *ctx, void *data, size_t size)
{
	struct cap_seen *seen = ctx;

	ck_assert_uint_eq(size, sizeof(struct wgw_xdp_cap_rec));
	memcpy(&seen->last, data, sizeof(seen->last));
	seen->n++;
	return 0;
}

/* With the flag on, a dropped frame is copied with its reason, up to the
 * snap length; a steered one, or any with the flag off, is not. */
START_TEST(test_capture_drops)
{
	struct cap_seen seen = { 0 };
	struct ring_buffer *rb;
	struct spec s = vip4(40);
	uint8_t f[2048];
	uint32_t len;

	rb = ring_buffer__new(wgw_xdp_capture_ring_fd(x), cap_cb, &seen, NULL);
	ck_assert_ptr_nonnull(rb);
	s.cid = 0;
	len = build(f, &s);
	expect_(__LINE__, f, len, XDP_DROP, WGW_XDP_CNT_VIP_DROP_CID0);
	ck_assert_int_eq(ring_buffer__consume(rb), 0);

	ck_assert_int_eq(wgw_xdp_capture_set(x, true, 65535), 0);
	expect_(__LINE__, f, len, XDP_DROP, WGW_XDP_CNT_VIP_DROP_CID0);
	ck_assert_int_eq(ring_buffer__consume(rb), 1);
	ck_assert_uint_eq(seen.last.reason, WGW_XDP_CNT_VIP_DROP_CID0);
	ck_assert_uint_eq(seen.last.len, len);
	ck_assert_uint_eq(seen.last.caplen, len);
	ck_assert(!memcmp(seen.last.data, f, len));
	ck_assert_uint_ne(seen.last.ts_ns, 0);

	s.cid = CID_OK;	/* not dropped: not copied */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	ck_assert_int_eq(ring_buffer__consume(rb), 0);

	ck_assert_int_eq(wgw_xdp_capture_set(x, true, 20), 0);
	s = vip4(8);
	len = build(f, &s);
	expect_(__LINE__, f, len, XDP_DROP, WGW_XDP_CNT_VIP_DROP_SHORT);
	ck_assert_int_eq(ring_buffer__consume(rb), 1);
	ck_assert_uint_eq(seen.last.reason, WGW_XDP_CNT_VIP_DROP_SHORT);
	ck_assert_uint_eq(seen.last.len, len);
	ck_assert_uint_eq(seen.last.caplen, 20);

	/* A full ring loses records, counted; turning the flag over keeps
	 * the count. */
	for (unsigned i = 0; i < WGW_XDP_CAP_RING_BYTES / sizeof(seen.last) + 8; i++)
		expect_(__LINE__, f, len, XDP_DROP, WGW_XDP_CNT_VIP_DROP_SHORT);
	{
		struct wgw_xdp_capture v;
		uint64_t lost = 0;
		__u32 key = 0;

		ck_assert_int_eq(wgw_xdp_capture_flag(wgw_xdp_capture_flag_fd(x), false, 0,
						      &lost), 0);
		ck_assert_uint_ge(lost, 8);
		ck_assert_int_eq(bpf_map_lookup_elem(wgw_xdp_capture_flag_fd(x), &key, &v), 0);
		ck_assert_uint_eq(v.lost, lost);
		ck_assert_uint_eq(v.on, 0);
	}
	ck_assert_int_gt(ring_buffer__consume(rb), 0);
	expect_(__LINE__, f, len, XDP_DROP, WGW_XDP_CNT_VIP_DROP_SHORT);
	ck_assert_int_eq(ring_buffer__consume(rb), 0);
	ring_buffer__free(rb);
}
END_TEST

/* ------------------------------------------------------------ verdicts */

START_TEST(test_vip_empty_slot_passes)
{
	struct spec s = vip4(64);

	/* No socket in the queue's slot: XDP_PASS (2), so the kernel's VIP
	 * socket gets it; counted apart from a redirect. */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s = vip6(64);
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
}
END_TEST

START_TEST(test_payload_length_edges)
{
	static const struct { uint16_t plen; int act; unsigned int reason; } t[] = {
		{ 0, XDP_DROP, WGW_XDP_CNT_VIP_DROP_SHORT },
		{ 8, XDP_DROP, WGW_XDP_CNT_VIP_DROP_SHORT },
		{ 23, XDP_DROP, WGW_XDP_CNT_VIP_DROP_SHORT },
		{ 24, XDP_PASS, WGW_XDP_CNT_VIP_NO_XSK },
		{ 32, XDP_PASS, WGW_XDP_CNT_VIP_NO_XSK },	/* bare Noise */
		{ 1472, XDP_PASS, WGW_XDP_CNT_VIP_NO_XSK },
	};
	struct spec s;
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t f[2048];
		uint32_t len;

		s = vip4(t[i].plen);
		len = build(f, &s);
		expect_(__LINE__, f, len, t[i].act, t[i].reason);
		s = vip6(t[i].plen);
		len = build(f, &s);
		expect_(__LINE__, f, len, t[i].act, t[i].reason);
	}
}
END_TEST

START_TEST(test_cid)
{
	struct spec s = vip4(40);

	s.cid = 0;
	check_spec(&s, XDP_DROP, VIP_DROP_CID0);
	s.cid = 0xffffffffffffffffULL; /* handshake: steered */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.cid = 1;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.cid = 1ULL << 63;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s = vip6(40);
	s.cid = 0;
	check_spec(&s, XDP_DROP, VIP_DROP_CID0);
}
END_TEST

START_TEST(test_udp_length)
{
	struct spec s = vip4(40);

	s.ulen_delta = -(8 + 40) + 7;	/* 7 < UDP header */
	check_spec(&s, XDP_DROP, VIP_DROP_UDP_LEN);
	s.ulen_delta = 1;		/* beyond the IP datagram */
	check_spec(&s, XDP_DROP, VIP_DROP_UDP_LEN);
	s.ulen_delta = -(8 + 40);	/* 0 */
	check_spec(&s, XDP_DROP, VIP_DROP_UDP_LEN);
	s.ulen_delta = -16;		/* shorter than IP payload: 24 left, ok */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.ulen_delta = -17;		/* 23 left */
	check_spec(&s, XDP_DROP, VIP_DROP_SHORT);
	s = vip6(40);
	s.ulen_delta = 1;
	check_spec(&s, XDP_DROP, VIP_DROP_UDP_LEN);
	s.ulen_delta = -(8 + 40);	/* 0: a jumbogram needs a HBH header */
	check_spec(&s, XDP_DROP, VIP_DROP_UDP_LEN);
}
END_TEST

START_TEST(test_truncations)
{
	struct spec specs[4];
	unsigned int k;

	specs[0] = vip4(40);
	specs[1] = vip6(40);
	specs[2] = vip4(40);
	specs[2].tpid = 0x8100;
	specs[3] = vip6(40);
	specs[3].tpid = 0x88a8;
	specs[3].ip_opts = 0;
	for (k = 0; k < 4; k++) {
		uint8_t f[2048];
		uint32_t full = build(f, &specs[k]), len;

		/* A tagged frame is passed on its tag alone, whatever is
		 * cut off behind it. */
		expect_(__LINE__, f, full, XDP_PASS, specs[k].tpid ?
			WGW_XDP_CNT_PASS_VLAN : WGW_XDP_CNT_VIP_NO_XSK);
		/* Below 14 bytes BPF_PROG_TEST_RUN refuses the frame. */
		for (len = 14; len < full; len++)
			expect_(__LINE__, f, len, XDP_PASS, specs[k].tpid ?
				WGW_XDP_CNT_PASS_VLAN : WGW_XDP_CNT_PASS_TRUNCATED);
	}
}
END_TEST

START_TEST(test_padding_and_options)
{
	struct spec s = vip4(24);

	s.pad = 18;	/* Ethernet minimum-size padding after the datagram */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.ip_opts = 4;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.ip_opts = 40;	/* IHL 15 */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.ip_opts = 40;
	s.cid = 0;
	check_spec(&s, XDP_DROP, VIP_DROP_CID0);
	s = vip6(24);
	s.pad = 7;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
}
END_TEST

START_TEST(test_bad_ip)
{
	struct spec s = vip4(40);

	s.version = 5;
	check_spec(&s, XDP_PASS, PASS_BAD_IP);
	s = vip4(40);
	s.ihl = 4;
	check_spec(&s, XDP_PASS, PASS_BAD_IP);
	s = vip4(40);
	s.tot_len_delta = -(20 + 48) + 19;	/* total length < header */
	check_spec(&s, XDP_PASS, PASS_BAD_IP);
	s = vip4(40);
	s.tot_len_delta = -(48) + 4;	/* UDP header not inside the datagram */
	check_spec(&s, XDP_PASS, PASS_TRUNCATED);
	s = vip4(40);
	s.tot_len_delta = 1;		/* datagram longer than the frame */
	check_spec(&s, XDP_PASS, PASS_TRUNCATED);
	s = vip4(0);
	s.ihl = 15;			/* header longer than the datagram */
	s.tot_len_delta = -20 - 8 + 59;
	s.pad = 40;
	check_spec(&s, XDP_PASS, PASS_BAD_IP);
	s = vip6(40);
	s.version = 4;
	check_spec(&s, XDP_PASS, PASS_BAD_IP);
	s = vip6(40);
	s.tot_len_delta = 1;
	check_spec(&s, XDP_PASS, PASS_TRUNCATED);
	s = vip6(40);
	s.tot_len_delta = -(48) + 7;	/* UDP header not inside the datagram */
	check_spec(&s, XDP_PASS, PASS_TRUNCATED);
}
END_TEST

START_TEST(test_not_ip_not_udp)
{
	struct spec s = vip4(40);

	s.ethertype = 0x0806;	/* ARP */
	check_spec(&s, XDP_PASS, PASS_NOT_IP);
	s.ethertype = 0x88cc;	/* LLDP */
	check_spec(&s, XDP_PASS, PASS_NOT_IP);
	s = vip4(40);
	s.tpid = 0x88a8;	/* two tags: no tag is parsed at all */
	s.tpid2 = 0x8100;
	check_spec(&s, XDP_PASS, PASS_VLAN);
	s = vip4(40);
	s.proto = IPPROTO_TCP;
	check_spec(&s, XDP_PASS, PASS_NOT_UDP);
	s.proto = IPPROTO_ICMP;
	check_spec(&s, XDP_PASS, PASS_NOT_UDP);
	s = vip6(40);
	s.proto = IPPROTO_ICMPV6;
	check_spec(&s, XDP_PASS, PASS_NOT_UDP);
	s.proto = IPPROTO_TCP;
	check_spec(&s, XDP_PASS, PASS_NOT_UDP);
	{
		uint8_t f[64] = { 0 };

		f[12] = 0x08; /* IPv4 ethertype, no room for the header */
		expect(f, 14, XDP_PASS, PASS_TRUNCATED);
		f[12] = 0x81; /* VLAN tag cut short: passed on the TPID */
		expect(f, 16, XDP_PASS, PASS_VLAN);
		expect(f, 14, XDP_PASS, PASS_VLAN);
	}
}
END_TEST

START_TEST(test_other_destinations)
{
	struct spec s = vip4(40);

	s.daddr = "192.0.2.11";
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s = vip4(40);
	s.dport = VIP4_PORT + 1;
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s.dport = 53;
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	/* Other-destination traffic is never judged as WRAITH. */
	s.plen = 0;
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s = vip6(40);
	s.daddr = "2001:db8::11";
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	/* The IPv4 VIP's bytes as an IPv6 address are not the VIP; the
	 * IPv4-mapped form is not even valid on the wire (the kernel drops
	 * it): it must not match the IPv4 VIP's key. */
	s.daddr = "::ffff:192.0.2.10";
	check_spec(&s, XDP_PASS, PASS_BAD_IP);
	s.daddr = "::192.0.2.10";
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s.daddr = VIP6;
	s.saddr = "::ffff:192.0.2.99";
	check_spec(&s, XDP_PASS, PASS_BAD_IP);
}
END_TEST

START_TEST(test_vip_range_edges)
{
	static const struct { uint16_t port; unsigned int reason; } t[] = {
		{ 1, WGW_XDP_CNT_PASS_OTHER_DST },
		{ 39999, WGW_XDP_CNT_PASS_OTHER_DST },
		{ 40000, WGW_XDP_CNT_VIP_NO_XSK },
		{ 45000, WGW_XDP_CNT_VIP_NO_XSK },
		{ 50000, WGW_XDP_CNT_VIP_NO_XSK },
		{ 50001, WGW_XDP_CNT_PASS_OTHER_DST },
		{ 65535, WGW_XDP_CNT_PASS_OTHER_DST },
	};
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct spec s = vip4(40);
		uint8_t f[2048];
		uint32_t len;

		s.daddr = VIP4R;
		s.dport = t[i].port;
		len = build(f, &s);
		expect_(__LINE__, f, len, XDP_PASS, t[i].reason);
	}
}
END_TEST

START_TEST(test_nat_range_edges_and_checks)
{
	static const char *const nat[] = { NAT4, NAT6 };
	static const struct { uint16_t port; unsigned int reason; } t[] = {
		{ 19999, WGW_XDP_CNT_PASS_OTHER_DST },
		{ 20000, WGW_XDP_CNT_NAT_NO_XSK },
		{ 29999, WGW_XDP_CNT_NAT_NO_XSK },
		{ 30000, WGW_XDP_CNT_PASS_OTHER_DST },
	};
	unsigned int i, k;

	for (k = 0; k < 2; k++) {
		struct spec s;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			uint8_t f[2048];
			uint32_t len;

			s = k ? vip6(40) : vip4(40);
			s.daddr = nat[k];
			s.dport = t[i].port;
			len = build(f, &s);
			expect_(__LINE__, f, len, XDP_PASS, t[i].reason);
		}
		s = k ? vip6(23) : vip4(23);
		s.daddr = nat[k];
		s.dport = 25000;
		check_spec(&s, XDP_DROP, NAT_DROP_SHORT);
		s.plen = 24;
		s.cid = 0;
		check_spec(&s, XDP_DROP, NAT_DROP_CID0);
		s.cid = CID_OK;
		s.ulen_delta = 1;
		check_spec(&s, XDP_DROP, NAT_DROP_UDP_LEN);
		s.ulen_delta = 0;
		s.tpid = 0x8100;
		check_spec(&s, XDP_PASS, PASS_VLAN);
	}
}
END_TEST

START_TEST(test_fragments)
{
	struct spec s = vip4(40);

	s.frag = 0x2000;	/* MF: first fragment */
	check_spec(&s, XDP_PASS, PASS_FRAGMENT);
	s.frag = 0x0001;	/* offset 8: later fragment */
	check_spec(&s, XDP_PASS, PASS_FRAGMENT);
	s.frag = 0x1fff;
	check_spec(&s, XDP_PASS, PASS_FRAGMENT);
	s.frag = 0x4000;	/* DF only: not a fragment */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.frag = 0x2000;	/* a fragment is passed before any check */
	s.cid = 0;
	check_spec(&s, XDP_PASS, PASS_FRAGMENT);
	/* ... even one the rules below would drop: the kernel reassembles
	 * it, and the engine judges the datagram behind the VIP socket. */
	s.ttl = 1 + 1;
	s.saddr = "127.0.0.1";
	s.bad_ip_csum = 1;
	check_spec(&s, XDP_PASS, PASS_FRAGMENT);
	s = vip6(40);
	s.ext = 44 + 1;
	check_spec(&s, XDP_PASS, PASS_FRAGMENT);
	s.ttl = 1 + 1;
	s.saddr = "::1";
	check_spec(&s, XDP_PASS, PASS_FRAGMENT);
}
END_TEST

/*
 * The gateway's ports are untagged: any 802.1Q / 802.1ad tag is the
 * kernel's (a VLAN device, or a drop), whatever follows it, and is never
 * steered or judged as WRAITH.
 */
START_TEST(test_vlan)
{
	static const uint16_t tpids[] = { 0x8100, 0x88a8 };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		struct spec s = vip4(40);

		s.tpid = tpids[i];
		check_spec(&s, XDP_PASS, PASS_VLAN);
		s.cid = 0;
		check_spec(&s, XDP_PASS, PASS_VLAN);
		s = vip6(23);
		s.tpid = tpids[i];
		check_spec(&s, XDP_PASS, PASS_VLAN);
		s.plen = 24;
		check_spec(&s, XDP_PASS, PASS_VLAN);
		s.ethertype = 0x0806;
		check_spec(&s, XDP_PASS, PASS_VLAN);
		s = vip4(40);
		s.tpid = tpids[i];
		s.daddr = NAT4;
		s.dport = 20000;
		s.ttl = 1;
		check_spec(&s, XDP_PASS, PASS_VLAN);
		s = vip6(40);
		s.tpid = tpids[i];
		s.tpid2 = 0x8100;
		check_spec(&s, XDP_PASS, PASS_VLAN);
	}
}
END_TEST

START_TEST(test_ipv6_ext_headers)
{
	static const int types[] = { 0, 43, 44, 50, 51, 60, 135, 139, 140, 253, 254 };
	unsigned int i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct spec s = vip6(40);

		s.ext = types[i] + 1;
		if (types[i] == 44)	/* Fragment: counted as one */
			check_spec(&s, XDP_PASS, PASS_FRAGMENT);
		else
			check_spec(&s, XDP_PASS, PASS_IPV6_EXTHDR);
	}
	{
		struct spec s = vip6(40);

		s.proto = 59;	/* No Next Header: not an extension, not UDP */
		check_spec(&s, XDP_PASS, PASS_NOT_UDP);
	}
}
END_TEST

START_TEST(test_builders_agree)
{
	static const uint16_t tpids[] = { 0, 0x8100, 0x88a8 };
	static const uint16_t plens[] = { 0, 23, 24, 100 };
	unsigned int v6, t, l;

	for (v6 = 0; v6 < 2; v6++)
		for (t = 0; t < 3; t++)
			for (l = 0; l < 4; l++) {
				struct spec s = v6 ? vip6(plens[l]) : vip4(plens[l]);
				uint8_t a[2048], b[2048];
				uint32_t la, lb, l3 = tpids[t] ? 18 : 14;

				s.tpid = tpids[t];
				la = build_hand(a, &s);
				lb = build_codec(b, &s);
				ck_assert_uint_eq(la, lb);
				/* The codec sets DF (and so another IPv4 checksum)
				 * and a UDP checksum; the hand builder neither. */
				if (!v6) {
					memset(b + l3 + 6, 0, 2);
					memcpy(b + l3 + 10, a + l3 + 10, 2);
				}
				memset(b + l3 + (v6 ? 40 : 20) + 6, 0, 2);
				ck_assert_msg(!memcmp(a, b, la),
					      "v6 %u tpid %#x plen %u: frames differ",
					      v6, tpids[t], plens[l]);
			}
}
END_TEST

/* ------------------------------------------------------------ kernel's rules */

/* Build from a spec and expect a reason given by value. */
#define check_r(sp, act, r)                                                    \
	do {                                                                   \
		uint8_t f_[2048];                                              \
		uint32_t l_ = build(f_, sp);                                   \
		expect_(__LINE__, f_, l_, act, r);                             \
	} while (0)

/* The four destinations every rule is tried on: both families, both
 * roles.  k >= 2 is the NAT role. */
static struct spec dest_spec(unsigned int k)
{
	struct spec s = k & 1 ? vip6(40) : vip4(40);

	if (k >= 2) {
		s.daddr = k & 1 ? NAT6 : NAT4;
		s.dport = 20000;
	}
	return s;
}

#define ROLE_REASON(k, vip, nat) ((k) >= 2 ? WGW_XDP_CNT_##nat : WGW_XDP_CNT_##vip)
#define OK_REASON(k) ROLE_REASON(k, VIP_NO_XSK, NAT_NO_XSK)

/*
 * Only frames sent to the ingress interface's own MAC are steered: the
 * kernel drops PACKET_OTHERHOST frames itself, and a broadcast or
 * multicast frame is no datagram for a router to forward.  They are the
 * kernel's to judge: passed before any drop rule.
 */
START_TEST(test_l2_destination)
{
	static const uint8_t foreign[6] = { 0x02, 0, 0, 0, 0, 3 };
	static const uint8_t near[6] = { 0x02, 0, 0, 0, 1, 2 };	/* one byte off */
	static const uint8_t first[6] = { 0x06, 0, 0, 0, 0, 2 };	/* first byte off */
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t mc4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const uint8_t mc6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t grp[6] = { 0x03, 0, 0, 0, 0, 2 };	/* ours + group bit */
	static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 9 };
	unsigned int k;

	for (k = 0; k < 4; k++) {
		struct spec s = dest_spec(k);

		check_r(&s, XDP_PASS, OK_REASON(k));
		s.dmac = foreign;
		check_spec(&s, XDP_PASS, PASS_OTHERHOST);
		s.dmac = near;
		check_spec(&s, XDP_PASS, PASS_OTHERHOST);
		s.dmac = first;
		check_spec(&s, XDP_PASS, PASS_OTHERHOST);
		s.dmac = bcast;
		check_spec(&s, XDP_PASS, PASS_L2_MCAST);
		s.dmac = mc4;
		check_spec(&s, XDP_PASS, PASS_L2_MCAST);
		s.dmac = mc6;
		check_spec(&s, XDP_PASS, PASS_L2_MCAST);
		s.dmac = grp;
		check_spec(&s, XDP_PASS, PASS_L2_MCAST);
		/* Not ours at L2: not judged by the drop rules either. */
		s.dmac = foreign;
		s.cid = 0;
		s.ttl = 1 + 1;
		s.saddr = k & 1 ? "::1" : "127.0.0.1";
		check_spec(&s, XDP_PASS, PASS_OTHERHOST);
		s.dmac = bcast;
		check_spec(&s, XDP_PASS, PASS_L2_MCAST);
		/* Traffic that is not ours never pays for the MAC test. */
		s = dest_spec(k);
		s.dmac = foreign;
		s.dport = 53;
		check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	}

	/* The MAC follows the configuration: a new one is steered, the old
	 * one no more; no MAC at all steers nothing. */
	{
		struct spec s = vip4(40);

		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, other_mac), 0);
		check_spec(&s, XDP_PASS, PASS_OTHERHOST);
		s.dmac = other_mac;
		check_spec(&s, XDP_PASS, VIP_NO_XSK);
		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, NULL), 0);
		check_spec(&s, XDP_PASS, PASS_NO_IFMAC);
		s.dmac = bcast;
		check_spec(&s, XDP_PASS, PASS_L2_MCAST);
		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, NULL), 0);
		/* The MAC of another interface is not this one's. */
		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX + 1, test_mac), 0);
		s.dmac = NULL;
		check_spec(&s, XDP_PASS, PASS_NO_IFMAC);
		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, test_mac), 0);
		check_spec(&s, XDP_PASS, VIP_NO_XSK);
	}
	ck_assert_int_eq(wgw_xdp_set_if_mac(x, 0, test_mac), -EINVAL);
	ck_assert_int_eq(wgw_xdp_set_if_mac(x, -1, test_mac), -EINVAL);
	ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, bcast), -EINVAL);
	ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, mc6), -EINVAL);
	/* One slot per ifindex modulo WGW_XDP_MAX_IFS: a second interface
	 * there is refused, and takes nothing from the first. */
	ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX + WGW_XDP_MAX_IFS, other_mac),
			 -EBUSY);
	ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX + WGW_XDP_MAX_IFS, NULL), 0);
	{
		struct spec s = vip4(40);

		check_spec(&s, XDP_PASS, VIP_NO_XSK);
		/* The slot names its interface: another one's MAC there is
		 * not the ingress interface's. */
		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, NULL), 0);
		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX + WGW_XDP_MAX_IFS,
						     test_mac), 0);
		check_spec(&s, XDP_PASS, PASS_NO_IFMAC);
		ck_assert_int_eq(wgw_xdp_set_if_mac(x, LO_IFINDEX, test_mac), -EBUSY);
	}
	/* An instance opened for no interface has no MAC to read. */
	ck_assert_int_eq(wgw_xdp_refresh_mac(x), -EINVAL);
}
END_TEST

/* TTL / hop limit: the gateway forwards as a router does, and a router
 * does not forward what would leave it with 0. */
START_TEST(test_ttl)
{
	unsigned int k;

	for (k = 0; k < 4; k++) {
		struct spec s = dest_spec(k);

		s.ttl = 0 + 1;
		check_r(&s, XDP_DROP, ROLE_REASON(k, VIP_DROP_TTL, NAT_DROP_TTL));
		s.ttl = 1 + 1;
		check_r(&s, XDP_DROP, ROLE_REASON(k, VIP_DROP_TTL, NAT_DROP_TTL));
		s.ttl = 2 + 1;
		check_r(&s, XDP_PASS, OK_REASON(k));
		s.ttl = 255 + 1;
		check_r(&s, XDP_PASS, OK_REASON(k));
		/* Not ours: the kernel's, TTL 1 or not. */
		s.ttl = 1 + 1;
		s.dport = 53;
		check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	}
}
END_TEST

/* Sources no router accepts, and sources that are our own addresses. */
START_TEST(test_martian_and_spoofed_sources)
{
	static const char *const bad4[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "224.0.0.1",
		"239.255.255.255", "240.0.0.1", "254.1.1.1", "255.255.255.255",
	};
	static const char *const good4[] = {
		"1.0.0.1", "126.255.255.255", "128.0.0.1", "223.255.255.255",
		"10.0.0.11", "192.0.2.11",
	};
	static const char *const bad6[] = {
		"::", "::1", "ff02::1", "ff0e::1", "ff00::", "fe80::1",
		"febf:ffff::1",
	};
	static const char *const good6[] = {
		"::2", "fec0::1", "fe7f::1", "fd00::11", "2001:db8::11", "100::1",
	};
	/* Our destinations as sources: both roles' addresses, each family. */
	static const char *const own4[] = { VIP4, VIP4R, NAT4 };
	static const char *const own6[] = { VIP6, NAT6 };
	unsigned int k, i;

	for (k = 0; k < 4; k++) {
		unsigned int martian = ROLE_REASON(k, VIP_DROP_MARTIAN, NAT_DROP_MARTIAN);
		unsigned int spoofed = ROLE_REASON(k, VIP_DROP_SPOOFED, NAT_DROP_SPOOFED);
		const char *const *bad = k & 1 ? bad6 : bad4;
		const char *const *good = k & 1 ? good6 : good4;
		const char *const *own = k & 1 ? own6 : own4;
		unsigned int nbad = k & 1 ? 7 : 9, ngood = 6, nown = k & 1 ? 2 : 3;

		for (i = 0; i < nbad; i++) {
			struct spec s = dest_spec(k);

			s.saddr = bad[i];
			check_r(&s, XDP_DROP, martian);
		}
		for (i = 0; i < ngood; i++) {
			struct spec s = dest_spec(k);

			s.saddr = good[i];
			check_r(&s, XDP_PASS, OK_REASON(k));
		}
		for (i = 0; i < nown; i++) {
			struct spec s = dest_spec(k);

			s.saddr = own[i];
			check_r(&s, XDP_DROP, spoofed);
			/* Whatever port it claims. */
			s.plen = 100;
			check_r(&s, XDP_DROP, spoofed);
		}
	}
	/* The own-address filter is only a prefilter: a source that shares
	 * the VIP's filter bit, but is not ours, is steered. */
	{
		struct spec s = vip4(40);
		union wgw_addr v, c;
		char buf[INET_ADDRSTRLEN];
		unsigned int n;

		addr(&v, VIP4);
		for (n = 1; n < 65536; n++) {
			addr(&c, "10.1.0.0");
			c.w[3] = htonl(ntohl(c.w[3]) + n);
			if (wgw_xdp_own_hash((const struct wgw_xdp_dest_key *)&c) ==
			    wgw_xdp_own_hash((const struct wgw_xdp_dest_key *)&v))
				break;
		}
		ck_assert_uint_lt(n, 65536);
		ck_assert(inet_ntop(AF_INET, &c.w[3], buf, sizeof(buf)));
		s.saddr = buf;
		check_spec(&s, XDP_PASS, VIP_NO_XSK);
		s.saddr = VIP4;
		check_spec(&s, XDP_DROP, VIP_DROP_SPOOFED);
	}
	/* A source stops being ours with its destination. */
	{
		struct spec s = vip6(40);
		union wgw_addr a;

		s.saddr = NAT6;
		check_spec(&s, XDP_DROP, VIP_DROP_SPOOFED);
		addr(&a, NAT6);
		ck_assert_int_eq(wgw_xdp_del_dst(x, WGW_XDP_ROLE_NAT, &a, 20000, 29999), 0);
		check_spec(&s, XDP_PASS, VIP_NO_XSK);
	}
}
END_TEST

/* IPv4 header checksum, options included; the UDP checksum 0 that IPv4
 * allows and IPv6 does not. */
START_TEST(test_checksums)
{
	unsigned int k;

	for (k = 0; k < 4; k++) {
		struct spec s = dest_spec(k);

		s.udp_csum0 = 1;
		if (k & 1)
			check_r(&s, XDP_DROP, ROLE_REASON(k, VIP_DROP_UDP_CSUM0,
							  NAT_DROP_UDP_CSUM0));
		else
			check_r(&s, XDP_PASS, OK_REASON(k));
		if (k & 1)
			continue;
		s = dest_spec(k);
		s.bad_ip_csum = 1;
		check_r(&s, XDP_DROP, ROLE_REASON(k, VIP_DROP_IP_CSUM, NAT_DROP_IP_CSUM));
		/* With options: every word of the header is summed. */
		s.ip_opts = 40;
		check_r(&s, XDP_DROP, ROLE_REASON(k, VIP_DROP_IP_CSUM, NAT_DROP_IP_CSUM));
		s.bad_ip_csum = 2;
		check_r(&s, XDP_DROP, ROLE_REASON(k, VIP_DROP_IP_CSUM, NAT_DROP_IP_CSUM));
		s.ip_opts = 4;
		check_r(&s, XDP_DROP, ROLE_REASON(k, VIP_DROP_IP_CSUM, NAT_DROP_IP_CSUM));
		s.bad_ip_csum = 0;
		check_r(&s, XDP_PASS, OK_REASON(k));
		/* Not ours: the kernel's. */
		s.bad_ip_csum = 1;
		s.dport = 53;
		check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	}
	/* Checksums that fold through 0xffff: a header summing to a carry
	 * in every position still verifies when right. */
	{
		struct spec s = vip4(40);

		s.saddr = "223.255.255.255";
		s.ttl = 255 + 1;
		check_spec(&s, XDP_PASS, VIP_NO_XSK);
		s.ip_opts = 40;
		check_spec(&s, XDP_PASS, VIP_NO_XSK);
	}
}
END_TEST

/* The order of the rules, so each drop has one reason: checksum, TTL,
 * martian, spoofed, UDP length, UDP checksum 0, payload, CID. */
START_TEST(test_rule_order)
{
	struct spec s = vip4(40);

	s.bad_ip_csum = 1;
	s.ttl = 1;
	s.saddr = "127.0.0.1";
	check_spec(&s, XDP_DROP, VIP_DROP_IP_CSUM);
	s.bad_ip_csum = 0;
	check_spec(&s, XDP_DROP, VIP_DROP_TTL);
	s.ttl = 0;
	s.cid = 0;
	check_spec(&s, XDP_DROP, VIP_DROP_MARTIAN);
	s.saddr = NAT4;
	check_spec(&s, XDP_DROP, VIP_DROP_SPOOFED);
	s.saddr = NULL;
	check_spec(&s, XDP_DROP, VIP_DROP_CID0);
	s = vip6(10);
	s.udp_csum0 = 1;
	check_spec(&s, XDP_DROP, VIP_DROP_UDP_CSUM0);
	s.udp_csum0 = 0;
	check_spec(&s, XDP_DROP, VIP_DROP_SHORT);
	s.ulen_delta = 1;
	s.udp_csum0 = 1;
	check_spec(&s, XDP_DROP, VIP_DROP_UDP_LEN);
}
END_TEST

/* ------------------------------------------------------------ handshake limit */

#define CID_HS 0xffffffffffffffffULL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Run the frame of s n times in one BPF_PROG_TEST_RUN (the kernel loops:
 * microseconds for hundreds of packets).  Every run must be counted either
 * as `pass_reason` or as a handshake-rate drop and nothing else; returns
 * how many passed.
 */
static unsigned int hs_run_(int line, const struct spec *s, unsigned int n,
			    unsigned int pass_reason)
{
	uint64_t before[WGW_XDP_CNT_MAX], after[WGW_XDP_CNT_MAX];
	unsigned int i, passed, dropped, pv = wgw_xdp_counter_verdict(pass_reason);
	uint8_t f[2048];
	uint32_t len = build(f, s);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = len,
		    .repeat = n);

	ck_assert_int_eq(wgw_xdp_read_counters(x, before), 0);
	ck_assert_msg(bpf_prog_test_run_opts(wgw_xdp_prog_fd(x), &o) == 0,
		      "line %d: test run: %s", line, strerror(errno));
	ck_assert_int_eq(wgw_xdp_read_counters(x, after), 0);
	passed = (unsigned int)(after[pass_reason] - before[pass_reason]);
	dropped = (unsigned int)(after[WGW_XDP_CNT_VIP_DROP_HS_RATE] -
				 before[WGW_XDP_CNT_VIP_DROP_HS_RATE]);
	ck_assert_msg(passed + dropped == n, "line %d: %u passed + %u dropped != %u",
		      line, passed, dropped, n);
	for (i = 0; i < WGW_XDP_CNT_MAX; i++) {
		uint64_t want = i == pass_reason ? passed :
				i == WGW_XDP_CNT_VIP_DROP_HS_RATE ? dropped :
				i == pv ? passed + (pv == WGW_XDP_CNT_DROP ? dropped : 0) :
				i == WGW_XDP_CNT_DROP ? dropped : 0;

		ck_assert_msg(after[i] - before[i] == want,
			      "line %d: counter %s moved by %llu, expected %llu", line,
			      wgw_xdp_counter_name(i),
			      (unsigned long long)(after[i] - before[i]),
			      (unsigned long long)want);
	}
	return passed;
}

#define hs_run(s, n, reason) hs_run_(__LINE__, s, n, WGW_XDP_CNT_##reason)

static struct spec hs4(const char *saddr, uint64_t cid, uint16_t plen)
{
	struct spec s = vip4(plen);

	s.saddr = saddr;
	s.cid = cid;
	return s;
}

/* Passed at most what burst + elapsed time allows (+1: the idle-reset
 * race the program accepts), at least burst. */
static void assert_burst(int line, unsigned int passed, unsigned int burst,
			 double rate, double t0)
{
	double allowed = burst + (now_s() - t0) * rate + 1;

	ck_assert_msg(passed >= burst && passed <= allowed,
		      "line %d: %u passed, expected %u..%.0f", line, passed, burst,
		      allowed);
}

START_TEST(test_handshake_flood_limited_per_source)
{
	struct spec a = hs4("192.0.2.50", CID_HS, 120);
	struct spec b = hs4("192.0.2.51", CID_HS, 120);
	double t0;
	unsigned int p;

	/* Off by default: a flood passes. */
	ck_assert_uint_eq(hs_run(&a, 200, VIP_NO_XSK), 200);

	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 1, 5), 0);
	t0 = now_s();
	/* Source A floods: burst, then (almost) nothing. */
	p = hs_run(&a, 1000, VIP_NO_XSK);
	/* A had a bucket from before the limit?  No: with the limit off no
	 * bucket is made, so A starts full. */
	assert_burst(__LINE__, p, 5, 1, t0);
	/* Source B is not starved: its whole burst passes while A floods. */
	t0 = now_s();
	p = hs_run(&b, 5, VIP_NO_XSK);
	ck_assert_uint_eq(p, 5);
	p = hs_run(&a, 1000, VIP_NO_XSK);
	ck_assert_msg(p <= 1 + (now_s() - t0) * 1 + 1, "A still flooding: %u", p);

	/* A bare Noise first message (random first 8 bytes, 32-byte payload)
	 * draws on the same bucket as CID-prefixed handshakes. */
	{
		struct spec m1 = hs4("192.0.2.50", 0x5eed5eed5eed5eedULL, 32);

		ck_assert_uint_le(hs_run(&m1, 100, VIP_NO_XSK), 2);
		m1.saddr = "192.0.2.52";
		t0 = now_s();
		assert_burst(__LINE__, hs_run(&m1, 100, VIP_NO_XSK), 5, 1, t0);
	}
	/* Data records and bare third messages of the flooded source are not
	 * limited: only what makes a backend start a handshake is. */
	{
		struct spec d = hs4("192.0.2.50", CID_OK, 120);

		ck_assert_uint_eq(hs_run(&d, 100, VIP_NO_XSK), 100);
		d.plen = 64;
		d.cid = 0x5eed5eed5eed5eedULL;
		ck_assert_uint_eq(hs_run(&d, 100, VIP_NO_XSK), 100);
		d.plen = 33;
		ck_assert_uint_eq(hs_run(&d, 100, VIP_NO_XSK), 100);
	}
	/* Backends' packets to the NAT range are never limited. */
	{
		struct spec n = hs4("192.0.2.50", CID_HS, 32);

		n.daddr = NAT4;
		n.dport = 20000;
		ck_assert_uint_eq(hs_run(&n, 100, NAT_NO_XSK), 100);
	}
	/* Off again: A passes at once. */
	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 0, 0), 0);
	ck_assert_uint_eq(hs_run(&a, 100, VIP_NO_XSK), 100);
	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 2000000000u, 1), -EINVAL);
}
END_TEST

START_TEST(test_handshake_limit_ipv6_prefix)
{
	struct spec a = vip6(120), b, c;
	double t0;

	a.cid = CID_HS;
	a.saddr = "2001:db8:1:2::1";
	b = a;
	b.saddr = "2001:db8:1:2:ffff::2";	/* same /64 */
	c = a;
	c.saddr = "2001:db8:1:3::1";		/* next /64 */
	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 1, 3), 0);
	t0 = now_s();
	assert_burst(__LINE__, hs_run(&a, 500, VIP_NO_XSK), 3, 1, t0);
	/* Another address of the same /64 shares the empty bucket... */
	ck_assert_uint_le(hs_run(&b, 500, VIP_NO_XSK), 1 + (now_s() - t0) + 1);
	/* ...another /64 has its own. */
	ck_assert_uint_eq(hs_run(&c, 3, VIP_NO_XSK), 3);
}
END_TEST

START_TEST(test_handshake_limit_refills)
{
	struct spec a = hs4("192.0.2.60", CID_HS, 120);
	struct timespec ts = { 0, 30 * 1000 * 1000 };	/* 30 ms, 3 intervals */
	double t0;
	unsigned int p;

	/* 100/s, burst 2. */
	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 100, 2), 0);
	t0 = now_s();
	assert_burst(__LINE__, hs_run(&a, 300, VIP_NO_XSK), 2, 100, t0);
	/* Time refills the bucket: after 30 ms at least 2 pass again (the
	 * burst caps it at 2, plus what accrued while running). */
	nanosleep(&ts, NULL);
	t0 = now_s();
	p = hs_run(&a, 300, VIP_NO_XSK);
	assert_burst(__LINE__, p, 2, 100, t0);

	/* A slower limit holds at once, and does not inherit more debt than
	 * one interval of its own: 1/s burst 1 blocks for <= 1 s. */
	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 1000, 1), 0);
	hs_run(&a, 300, VIP_NO_XSK);
	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 1, 1), 0);
	t0 = now_s();
	p = hs_run(&a, 100, VIP_NO_XSK);
	ck_assert_uint_le(p, 1 + (unsigned int)(now_s() - t0) + 1);
	/* From 1/s to 1000/s: the old debt (up to 1 s) is capped to one new
	 * interval, so 2 ms later the source is back. */
	ck_assert_int_eq(wgw_xdp_set_handshake_limit(x, 1000, 1), 0);
	hs_run(&a, 10, VIP_NO_XSK);
	ts.tv_nsec = 3 * 1000 * 1000;
	nanosleep(&ts, NULL);
	ck_assert_uint_ge(hs_run(&a, 10, VIP_NO_XSK), 1);
}
END_TEST

/* ------------------------------------------------------------ configuration */

START_TEST(test_runtime_changes)
{
	struct spec s = vip4(40);
	struct wgw_xdp_dst d[2];
	union wgw_addr a;

	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	addr(&a, VIP4);
	ck_assert_int_eq(wgw_xdp_del_dst(x, WGW_XDP_ROLE_VIP, &a, VIP4_PORT, VIP4_PORT), 0);
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	ck_assert_int_eq(wgw_xdp_del_dst(x, WGW_XDP_ROLE_VIP, &a, VIP4_PORT, VIP4_PORT),
			 -ENOENT);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, VIP4_PORT, VIP4_PORT), 0);
	check_spec(&s, XDP_PASS, VIP_NO_XSK);

	/* Replace the VIP set: the NAT destinations stay. */
	memset(d, 0, sizeof(d));
	addr(&d[0].addr, "192.0.2.77");
	d[0].port_lo = d[0].port_hi = 9000;
	addr(&d[1].addr, VIP4);
	d[1].port_lo = 9001;
	d[1].port_hi = 9002;
	ck_assert_int_eq(wgw_xdp_set_dsts(x, WGW_XDP_ROLE_VIP, d, 2), 0);
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);	/* 8420 no more */
	s.dport = 9002;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.daddr = "192.0.2.77";
	s.dport = 9000;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.daddr = VIP4R;	/* gone with the old set */
	s.dport = 40000;
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s.daddr = NAT4;
	s.dport = 20000;
	check_spec(&s, XDP_PASS, NAT_NO_XSK);

	/* WAN == LAN: a VIP and the NAT range on one address, each counted
	 * under its own role. */
	addr(&a, NAT4);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 8420, 8420), 0);
	s.dport = 8420;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.plen = 10;
	check_spec(&s, XDP_DROP, VIP_DROP_SHORT);
	s.dport = 20001;
	check_spec(&s, XDP_DROP, NAT_DROP_SHORT);

	ck_assert_int_eq(wgw_xdp_clear_vips(x), 0);
	s = vip4(40);
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s.daddr = NAT4;
	s.dport = 8420;
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s.dport = 29999;
	check_spec(&s, XDP_PASS, NAT_NO_XSK);

	/* Moving the NAT range. */
	addr(&a, "10.0.0.3");
	ck_assert_int_eq(wgw_xdp_set_nat(x, &a, 1024, 1024), 0);
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s.daddr = "10.0.0.3";
	s.dport = 1024;
	check_spec(&s, XDP_PASS, NAT_NO_XSK);
}
END_TEST

START_TEST(test_config_validation)
{
	struct spec s = vip4(40);
	union wgw_addr a, b;
	unsigned int i;
	int err;

	addr(&a, "203.0.113.1");
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 0, 10), -EINVAL);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 11, 10), -EINVAL);
	ck_assert_int_eq(wgw_xdp_add_dst(x, WGW_XDP_ROLE_NONE, &a, 1, 1), -EINVAL);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 100, 200), 0);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 200, 300), -EEXIST);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 50, 100), -EEXIST);
	ck_assert_int_eq(wgw_xdp_add_dst(x, WGW_XDP_ROLE_NAT, &a, 150, 150), -EEXIST);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 201, 201), 0);
	/* Fill the address's ranges: the 17th is refused, the set unchanged. */
	for (i = 2; i < WGW_XDP_MAX_RANGES; i++)
		ck_assert_int_eq(wgw_xdp_add_vip(x, &a, (uint16_t)(1000 + i),
						 (uint16_t)(1000 + i)), 0);
	ck_assert_int_eq(wgw_xdp_add_vip(x, &a, 5000, 5000), -ENOSPC);
	s.daddr = "203.0.113.1";
	s.dport = 5000;
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	s.dport = 1000 + WGW_XDP_MAX_RANGES - 1;	/* the last range fits */
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.dport = 201;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	s.dport = 202;
	check_spec(&s, XDP_PASS, PASS_OTHER_DST);

	/* Fill the addresses (5 used by setup + 1 above). */
	for (i = 0, err = 0; i < WGW_XDP_MAX_DESTS && !err; i++) {
		addr(&b, "2001:db8:1::");
		b.b[14] = (uint8_t)(i >> 8);
		b.b[15] = (uint8_t)i;
		err = wgw_xdp_add_vip(x, &b, 1, 1);
	}
	ck_assert_int_eq(err, -ENOSPC);
	ck_assert_uint_eq(i, WGW_XDP_MAX_DESTS - 6 + 1);
}
END_TEST

START_TEST(test_counter_names)
{
	unsigned int i, j;

	for (i = 0; i < WGW_XDP_CNT_MAX; i++) {
		const char *n = wgw_xdp_counter_name(i);
		unsigned int v = wgw_xdp_counter_verdict(i);

		ck_assert_ptr_nonnull(n);
		ck_assert(v == WGW_XDP_CNT_PASS || v == WGW_XDP_CNT_DROP ||
			  v == WGW_XDP_CNT_REDIRECT);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(n, wgw_xdp_counter_name(j));
	}
	ck_assert_ptr_null(wgw_xdp_counter_name(WGW_XDP_CNT_MAX));
	ck_assert_str_eq(wgw_xdp_counter_name(WGW_XDP_CNT_VIP_REDIRECT), "vip_redirect");
}
END_TEST

/* ------------------------------------------------------------ attaching */

/* A private network namespace with a veth pair wx0/wx1 and a bridge wxd (no
 * native XDP).  wx1 gets a known MAC; the loader must find it by itself. */
#define WX1_MAC_STR "02:00:00:00:00:a1"
static const uint8_t wx1_mac[6] = { 0x02, 0, 0, 0, 0, 0xa1 };

static void netns_setup(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	ck_assert(system("ip link add wx0 type veth peer name wx1 && "
			 "ip link set wx1 address " WX1_MAC_STR " && "
			 "ip link add wxd type bridge && "
			 "ip link set wx0 up && ip link set wx1 up && "
			 "ip link set wxd up") == 0);
}

static int ifidx(const char *name)
{
	int i = (int)if_nametoindex(name);

	ck_assert_msg(i > 0, "no interface %s", name);
	return i;
}

static __u32 attached_id(int ifindex, __u32 *drv, __u32 *skb)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	ck_assert_int_eq(bpf_xdp_query(ifindex, 0, &q), 0);
	if (drv)
		*drv = q.drv_prog_id;
	if (skb)
		*skb = q.skb_prog_id;
	return q.prog_id;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* A foreign XDP program: r0 = XDP_PASS; exit. */
static int foreign_prog(void)
{
	struct bpf_insn insns[2];
	int fd;

	memset(insns, 0, sizeof(insns));
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].imm = XDP_PASS;
	insns[1].code = BPF_JMP | BPF_EXIT;
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "not_wraith", "GPL", insns, 2, NULL);
	ck_assert_msg(fd >= 0, "load foreign program: %s", strerror(errno));
	return fd;
}

START_TEST(test_attach_modes)
{
	struct wgw_xdp *a;
	enum wgw_xdp_mode m;
	__u32 drv, skb;
	int veth, bridge;

	netns_setup();
	veth = ifidx("wx1");
	bridge = ifidx("wxd");

	ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
	ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
	ck_assert_int_eq(m, WGW_XDP_MODE_NONE);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), -EALREADY);
	ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
	ck_assert_int_eq(m, WGW_XDP_MODE_NATIVE);
	ck_assert_uint_eq(attached_id(veth, &drv, &skb), prog_id(wgw_xdp_prog_fd(a)));
	ck_assert_uint_eq(drv, prog_id(wgw_xdp_prog_fd(a)));
	ck_assert_int_eq(wgw_xdp_detach(a), 0);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_GENERIC), 0);
	ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
	ck_assert_int_eq(m, WGW_XDP_MODE_GENERIC);
	attached_id(veth, &drv, &skb);
	ck_assert_uint_eq(drv, 0);
	ck_assert_uint_eq(skb, prog_id(wgw_xdp_prog_fd(a)));
	wgw_xdp_close(a);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);

	/* A bridge has no native XDP: the ladder goes on to generic. */
	ck_assert_int_eq(wgw_xdp_open(&a, bridge), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), -EOPNOTSUPP);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_GENERIC), 0);
	ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
	ck_assert_int_eq(m, WGW_XDP_MODE_GENERIC);
	wgw_xdp_close(a);
	ck_assert_uint_eq(attached_id(bridge, NULL, NULL), 0);

	/* Not bound to an interface. */
	ck_assert_int_eq(wgw_xdp_open(&a, 0), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), -EINVAL);
	wgw_xdp_close(a);
}
END_TEST

START_TEST(test_attach_foreign_untouched)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o);
	struct wgw_xdp *a;
	int veth, fd;
	__u32 id;

	netns_setup();
	veth = ifidx("wx1");
	fd = foreign_prog();
	id = prog_id(fd);
	ck_assert_int_eq(bpf_xdp_attach(veth, fd, XDP_FLAGS_DRV_MODE, NULL), 0);
	ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), -EEXIST);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_GENERIC), -EEXIST);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), id);
	wgw_xdp_close(a);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), id);

	/* The same, in generic mode and through a bpf_link. */
	ck_assert_int_eq(bpf_xdp_detach(veth, XDP_FLAGS_DRV_MODE, NULL), 0);
	{
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_SKB_MODE);
		int link = bpf_link_create(fd, veth, BPF_XDP, &lo);

		ck_assert_msg(link >= 0, "link: %s", strerror(errno));
		ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
		ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), -EEXIST);
		wgw_xdp_close(a);
		ck_assert_uint_eq(attached_id(veth, NULL, NULL), id);
		close(link);
	}
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);
	close(fd);
	(void)o;
}
END_TEST

START_TEST(test_attach_replaces_stale_own)
{
	static const struct { __u32 flag; } modes[] = {
		{ XDP_FLAGS_DRV_MODE }, { XDP_FLAGS_SKB_MODE },
	};
	struct wgw_xdp *stale, *a;
	enum wgw_xdp_mode m;
	unsigned int i;
	int veth;
	__u32 sid;

	netns_setup();
	veth = ifidx("wx1");
	for (i = 0; i < 2; i++) {
		/* What a crashed gateway of old left: ours, through netlink,
		 * outliving its process (here: its fds). */
		ck_assert_int_eq(wgw_xdp_open(&stale, veth), 0);
		sid = prog_id(wgw_xdp_prog_fd(stale));
		ck_assert_int_eq(bpf_xdp_attach(veth, wgw_xdp_prog_fd(stale),
						modes[i].flag, NULL), 0);
		wgw_xdp_close(stale);
		ck_assert_uint_eq(attached_id(veth, NULL, NULL), sid);

		ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
		ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), 0);
		ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
		ck_assert_int_eq(m, WGW_XDP_MODE_NATIVE);
		ck_assert_uint_eq(attached_id(veth, NULL, NULL),
				  prog_id(wgw_xdp_prog_fd(a)));
		wgw_xdp_close(a);
		ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);
	}
}
END_TEST

START_TEST(test_attach_live_link_busy)
{
	struct wgw_xdp *a, *b;
	int veth;

	netns_setup();
	veth = ifidx("wx1");
	ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
	ck_assert_int_eq(wgw_xdp_open(&b, veth), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), 0);
	ck_assert_int_eq(wgw_xdp_attach(b, WGW_XDP_MODE_NATIVE), -EBUSY);
	ck_assert_int_eq(wgw_xdp_attach(b, WGW_XDP_MODE_GENERIC), -EBUSY);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), prog_id(wgw_xdp_prog_fd(a)));
	wgw_xdp_close(a);
	ck_assert_int_eq(wgw_xdp_attach(b, WGW_XDP_MODE_NATIVE), 0);
	wgw_xdp_close(b);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);
}
END_TEST

/* A process that attaches an instance to veth in native mode and waits to
 * be killed; returns its pid once the program is attached. */
static pid_t attach_in_child(int veth, enum wgw_xdp_share share)
{
	int pfd[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct wgw_xdp *a;

		close(pfd[0]);
		if (wgw_xdp_open(&a, veth) || wgw_xdp_set_share(a, share, 50) ||
		    wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE))
			_exit(1);
		if (write(pfd[1], "k", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	return pid;
}

START_TEST(test_sigkill_leaves_nothing)
{
	int veth, status, i;
	pid_t pid;

	netns_setup();
	veth = ifidx("wx1");
	pid = attach_in_child(veth, WGW_XDP_SHARE_EXCLUSIVE);
	ck_assert_uint_ne(attached_id(veth, NULL, NULL), 0);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	/* The link goes with the process's fds; allow the kernel a moment. */
	for (i = 0; i < 100 && attached_id(veth, NULL, NULL); i++)
		usleep(10000);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);
}
END_TEST

/*
 * A socket in the queue's slot: the verdict becomes XDP_REDIRECT (4) and
 * the redirect counter moves.  BPF_PROG_TEST_RUN without live frames does
 * not deliver anything (platform-notes); tests/netns/xdp_steer.sh checks
 * delivery end to end.
 */
START_TEST(test_redirect_with_socket)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq, rx;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct wgw_xdp *a;
	size_t size = 4096 * 64;
	void *buf;
	int veth, err;

	netns_setup();
	veth = ifidx("wx1");
	teardown();
	ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
	x = a;
	{
		union wgw_addr v;

		addr(&v, VIP4);
		ck_assert_int_eq(wgw_xdp_add_vip(x, &v, VIP4_PORT, VIP4_PORT), 0);
		addr(&v, NAT4);
		ck_assert_int_eq(wgw_xdp_set_nat(x, &v, 20000, 29999), 0);
	}
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), 0);
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(buf != MAP_FAILED);
	err = xsk_umem__create(&umem, buf, size, &fq, &cq, NULL);
	ck_assert_msg(err == 0, "umem: %s", strerror(-err));
	err = xsk_socket__create(&xsk, "wx1", 0, umem, &rx, NULL, &cfg);
	ck_assert_msg(err == 0, "xsk: %s", strerror(-err));
	ck_assert_int_eq(xsk_socket__update_xskmap(xsk, wgw_xdp_xskmap_fd(a)), 0);

	/* Frames arrive on wx1, sent to its MAC, which wgw_xdp_attach() read. */
	run_ifindex = veth;
	memcpy(frame_dmac, wx1_mac, 6);
	{
		struct spec s = vip4(40);

		check_spec(&s, XDP_REDIRECT, VIP_REDIRECT);
		s.daddr = NAT4;
		s.dport = 20000;
		check_spec(&s, XDP_REDIRECT, NAT_REDIRECT);
		s.cid = 0;
		check_spec(&s, XDP_DROP, NAT_DROP_CID0);
		s.daddr = "10.9.9.9";
		check_spec(&s, XDP_PASS, PASS_OTHER_DST);
	}
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	munmap(buf, size);
}
END_TEST

/*
 * The MAC the program steers for is the interface's, read by the loader,
 * and follows a change when the daemon asks (on RTM_NEWLINK): until then
 * frames to the new MAC go to the kernel's path, counted.
 */
START_TEST(test_mac_follows_interface)
{
	static const uint8_t new_mac[6] = { 0x02, 0, 0, 0, 0, 0xb1 };
	struct wgw_xdp *a;
	union wgw_addr v;
	struct spec s = vip4(40);
	int veth;

	netns_setup();
	veth = ifidx("wx1");
	teardown();
	ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
	x = a;
	addr(&v, VIP4);
	ck_assert_int_eq(wgw_xdp_add_vip(a, &v, VIP4_PORT, VIP4_PORT), 0);
	run_ifindex = veth;
	memcpy(frame_dmac, wx1_mac, 6);
	/* Opened, not attached: no MAC yet, nothing steered. */
	check_spec(&s, XDP_PASS, PASS_NO_IFMAC);
	ck_assert_int_eq(wgw_xdp_refresh_mac(a), 0);
	check_spec(&s, XDP_PASS, VIP_NO_XSK);

	ck_assert(system("ip link set wx1 address 02:00:00:00:00:b1") == 0);
	memcpy(frame_dmac, new_mac, 6);
	check_spec(&s, XDP_PASS, PASS_OTHERHOST);
	ck_assert_int_eq(wgw_xdp_refresh_mac(a), 0);
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	memcpy(frame_dmac, wx1_mac, 6);
	check_spec(&s, XDP_PASS, PASS_OTHERHOST);
	/* Or given by the caller, who already has it from netlink. */
	ck_assert_int_eq(wgw_xdp_set_if_mac(a, veth, wx1_mac), 0);
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	/* Per interface: the same frame on another ingress is not ours. */
	run_ifindex = ifidx("wx0");
	check_spec(&s, XDP_PASS, PASS_NO_IFMAC);
	run_ifindex = 0;

	/* Attaching reads it again. */
	ck_assert(system("ip link set wx1 address 02:00:00:00:00:a1") == 0);
	ck_assert_int_eq(wgw_xdp_set_if_mac(a, veth, new_mac), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), 0);
	run_ifindex = veth;
	check_spec(&s, XDP_PASS, VIP_NO_XSK);
	run_ifindex = 0;
	ck_assert_int_eq(wgw_xdp_detach(a), 0);

	/* Not Ethernet: the program could not parse its frames. */
	ck_assert(system("ip tuntap add dev wxt mode tun && ip link set wxt up") == 0);
	{
		struct wgw_xdp *t;

		ck_assert_int_eq(wgw_xdp_open(&t, ifidx("wxt")), 0);
		ck_assert_int_eq(wgw_xdp_refresh_mac(t), -EPFNOSUPPORT);
		ck_assert_int_eq(wgw_xdp_attach(t, WGW_XDP_MODE_GENERIC), -EPFNOSUPPORT);
		wgw_xdp_close(t);
	}
}
END_TEST

static bool prog_named(__u32 id, const char *name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool same;

	ck_assert_msg(fd >= 0, "program id %u: %s", id, strerror(errno));
	memset(&info, 0, sizeof(info));
	ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	close(fd);
	same = !strncmp(info.name, name, sizeof(info.name));
	return same;
}

/*
 * xdp-attach shared: through libxdp, into its dispatcher where the kernel
 * allows one, else alone through netlink (this kernel: freplace refused).
 * Either way the attached load is a second one sharing the first load's
 * maps: configured through the instance, it steers and counts.
 */
START_TEST(test_attach_shared)
{
	struct wgw_xdp *a;
	enum wgw_xdp_mode m;
	enum wgw_xdp_how how;
	union wgw_addr v;
	__u32 drv, skb;
	int veth, fd;

	netns_setup();
	veth = ifidx("wx1");
	teardown();
	ck_assert_int_eq(wgw_xdp_open(&a, veth), 0);
	x = a;
	ck_assert_int_eq(wgw_xdp_set_share(a, (enum wgw_xdp_share)7, 50), -EINVAL);
	ck_assert_int_eq(wgw_xdp_set_share(a, WGW_XDP_SHARE_SHARED,
					   WGW_XDP_MAX_PRIORITY + 1), -EINVAL);
	ck_assert_int_eq(wgw_xdp_set_share(a, WGW_XDP_SHARE_SHARED, 40), 0);
	ck_assert_int_eq(wgw_xdp_attached_prog_fd(a), -1);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), 0);
	ck_assert_int_eq(wgw_xdp_set_share(a, WGW_XDP_SHARE_EXCLUSIVE, 50), -EALREADY);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), -EALREADY);
	how = wgw_xdp_attached_how(a);
	attached_id(veth, &drv, &skb);
	ck_assert_uint_ne(drv, 0);
	ck_assert_uint_eq(skb, 0);
	ck_assert_int_ge(wgw_xdp_attached_prog_fd(a), 0);
	ck_assert_uint_ne(prog_id(wgw_xdp_attached_prog_fd(a)), prog_id(wgw_xdp_prog_fd(a)));
	if (how == WGW_XDP_HOW_SINGLE) {
		/* Alone: the attached program is the second load. */
		ck_assert_uint_eq(drv, prog_id(wgw_xdp_attached_prog_fd(a)));
		fd = dup(wgw_xdp_attached_prog_fd(a));
	} else {
		ck_assert_int_eq(how, WGW_XDP_HOW_DISPATCHER);
		ck_assert(prog_named(drv, "xdp_dispatcher"));
		fd = bpf_prog_get_fd_by_id(drv);
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
	ck_assert_int_eq(m, WGW_XDP_MODE_NATIVE);

	/* Maps shared: what the instance configures, the attached program
	 * (run on its own, or as the dispatcher's slot) steers and counts. */
	run_fd = fd;
	run_ifindex = veth;
	memcpy(frame_dmac, wx1_mac, 6);
	{
		struct spec s = vip4(64);

		check_spec(&s, XDP_PASS, PASS_OTHER_DST);
		addr(&v, VIP4);
		ck_assert_int_eq(wgw_xdp_add_vip(a, &v, VIP4_PORT, VIP4_PORT), 0);
		check_spec(&s, XDP_PASS, VIP_NO_XSK);
		s.cid = 0;
		check_spec(&s, XDP_DROP, VIP_DROP_CID0);
	}
	run_fd = -1;
	run_ifindex = 0;
	close(fd);

	ck_assert_int_eq(wgw_xdp_detach(a), 0);
	ck_assert_int_eq(wgw_xdp_attached_how(a), WGW_XDP_HOW_NONE);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);
	ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
	ck_assert_int_eq(m, WGW_XDP_MODE_NONE);

	/* Again, generic mode, then exclusive on the same instance. */
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_GENERIC), 0);
	ck_assert_int_eq(wgw_xdp_query_mode(a, &m), 0);
	ck_assert_int_eq(m, WGW_XDP_MODE_GENERIC);
	ck_assert_int_eq(wgw_xdp_detach(a), 0);
	ck_assert_int_eq(wgw_xdp_set_share(a, WGW_XDP_SHARE_EXCLUSIVE, 50), 0);
	ck_assert_int_eq(wgw_xdp_attach(a, WGW_XDP_MODE_NATIVE), 0);
	ck_assert_int_eq(wgw_xdp_attached_how(a), WGW_XDP_HOW_LINK);
	ck_assert_uint_eq(attached_id(veth, NULL, NULL), prog_id(wgw_xdp_prog_fd(a)));
	/* teardown() closes it: nothing may stay. */
}
END_TEST

/*
 * A shared attachment outlives its process.  While the gateway that made
 * it runs (holds the program's fd) it is never taken; once that process
 * is gone the next gateway replaces it, whichever way it attaches.
 */
START_TEST(test_shared_busy_then_stale)
{
	static const enum wgw_xdp_share next[] = {
		WGW_XDP_SHARE_SHARED, WGW_XDP_SHARE_AUTO,
	};
	struct wgw_xdp *b;
	int veth, status;
	unsigned int i;
	bool dispatcher;
	pid_t pid;
	__u32 drv;

	netns_setup();
	veth = ifidx("wx1");
	for (i = 0; i < 2; i++) {
		pid = attach_in_child(veth, WGW_XDP_SHARE_SHARED);
		attached_id(veth, &drv, NULL);
		ck_assert_uint_ne(drv, 0);
		dispatcher = prog_named(drv, "xdp_dispatcher");

		ck_assert_int_eq(wgw_xdp_open(&b, veth), 0);
		ck_assert_int_eq(wgw_xdp_set_share(b, WGW_XDP_SHARE_SHARED, 50), 0);
		ck_assert_int_eq(wgw_xdp_attach(b, WGW_XDP_MODE_NATIVE), -EBUSY);
		ck_assert_int_eq(wgw_xdp_set_share(b, WGW_XDP_SHARE_AUTO, 50), 0);
		ck_assert_int_eq(wgw_xdp_attach(b, WGW_XDP_MODE_NATIVE), -EBUSY);
		ck_assert_int_eq(wgw_xdp_set_share(b, WGW_XDP_SHARE_EXCLUSIVE, 50), 0);
		/* A dispatcher is not ours to take alone. */
		ck_assert_int_eq(wgw_xdp_attach(b, WGW_XDP_MODE_NATIVE),
				 dispatcher ? -EEXIST : -EBUSY);
		ck_assert_uint_eq(attached_id(veth, NULL, NULL), drv);

		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status));
		/* Still attached: nothing held it but the pinned or netlink
		 * attachment. */
		ck_assert_uint_eq(attached_id(veth, NULL, NULL), drv);

		ck_assert_int_eq(wgw_xdp_set_share(b, next[i], 50), 0);
		ck_assert_int_eq(wgw_xdp_attach(b, WGW_XDP_MODE_NATIVE), 0);
		if (wgw_xdp_attached_how(b) != WGW_XDP_HOW_DISPATCHER)
			ck_assert_uint_eq(attached_id(veth, NULL, NULL),
					  prog_id(wgw_xdp_attached_prog_fd(b)));
		wgw_xdp_close(b);
		ck_assert_uint_eq(attached_id(veth, NULL, NULL), 0);
	}
}
END_TEST

static Suite *xdp_suite(void)
{
	Suite *s = suite_create("xdp");
	TCase *tc;

	tc = tcase_create("program");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_vip_empty_slot_passes);
	tcase_add_test(tc, test_payload_length_edges);
	tcase_add_test(tc, test_cid);
	tcase_add_test(tc, test_capture_drops);
	tcase_add_test(tc, test_udp_length);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_padding_and_options);
	tcase_add_test(tc, test_bad_ip);
	tcase_add_test(tc, test_not_ip_not_udp);
	tcase_add_test(tc, test_other_destinations);
	tcase_add_test(tc, test_vip_range_edges);
	tcase_add_test(tc, test_nat_range_edges_and_checks);
	tcase_add_test(tc, test_fragments);
	tcase_add_test(tc, test_vlan);
	tcase_add_test(tc, test_l2_destination);
	tcase_add_test(tc, test_ttl);
	tcase_add_test(tc, test_martian_and_spoofed_sources);
	tcase_add_test(tc, test_checksums);
	tcase_add_test(tc, test_rule_order);
	tcase_add_test(tc, test_ipv6_ext_headers);
	tcase_add_test(tc, test_builders_agree);
	tcase_add_test(tc, test_runtime_changes);
	tcase_add_test(tc, test_config_validation);
	tcase_add_test(tc, test_counter_names);
	tcase_add_test(tc, test_handshake_flood_limited_per_source);
	tcase_add_test(tc, test_handshake_limit_ipv6_prefix);
	tcase_add_test(tc, test_handshake_limit_refills);
	tcase_add_test(tc, test_redirect_with_socket);
	tcase_add_test(tc, test_mac_follows_interface);
	suite_add_tcase(s, tc);

	tc = tcase_create("attach");
	tcase_add_test(tc, test_attach_modes);
	tcase_add_test(tc, test_attach_foreign_untouched);
	tcase_add_test(tc, test_attach_replaces_stale_own);
	tcase_add_test(tc, test_attach_live_link_busy);
	tcase_add_test(tc, test_sigkill_leaves_nothing);
	tcase_add_test(tc, test_attach_shared);
	tcase_add_test(tc, test_shared_busy_then_stale);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char bpffs[] = "/tmp/wgw-bpffs-XXXXXX";
	struct wgw_xdp *probe;
	SRunner *sr;
	int failed, err;

	wgw_log_init("test_xdp", 0, getenv("WGW_VERBOSE") ? LOG_DEBUG : LOG_WARNING);
	wgw_xdp_log_init();
	if (geteuid() != 0) {
		printf("SKIP: test_xdp needs root (loads BPF programs, creates namespaces)\n");
		return 77;
	}
	err = wgw_xdp_open(&probe, 0);
	if (err == -EPERM || err == -ENOSYS) {
		printf("SKIP: BPF is not available here: %s\n", strerror(-err));
		return 77;
	}
	if (err) {
		printf("FAIL: cannot load the XDP program: %s\n", strerror(-err));
		return 1;
	}
	wgw_xdp_close(probe);

	/* libxdp pins its dispatcher state in a bpffs: a private one, so a
	 * failed test on a kernel with dispatchers leaves nothing in the
	 * machine's /sys/fs/bpf.  Without it libxdp attaches programs alone,
	 * which the tests accept as well. */
	if (mkdtemp(bpffs) && !mount("bpf", bpffs, "bpf", 0, NULL))
		setenv("LIBXDP_BPFFS", bpffs, 1);
	else
		printf("note: no private bpffs (%s): libxdp runs without one\n", strerror(errno));

	sr = srunner_create(xdp_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (getenv("LIBXDP_BPFFS"))
		umount2(bpffs, MNT_DETACH);
	rmdir(bpffs);
	return failed ? 1 : 0;
}
