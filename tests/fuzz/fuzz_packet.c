// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the packet codec (gateway/packet.c, csum.c).  The input is a
 * frame.  Beyond "never reads or writes outside the frame" (ASan: the frame
 * sits in a buffer of exactly its size, behind 4 bytes of headroom), it
 * checks what the data paths rely on:
 *  - a UDP parse's offsets nest inside the frame and the IP datagram;
 *  - wgw_wraith_cid() agrees with the payload length and its bytes;
 *  - the NAT rewrite keeps the frame a valid UDP packet with the new
 *    addresses and ports, the same payload, and valid checksums when they
 *    were valid before; the TTL decrement too;
 *  - VLAN push then pop gives back the same bytes;
 *  - building a frame from the parsed fields parses back to them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>

#include "gateway/packet.h"
#include "tests/fuzz/fuzz_common.h"

#define HEADROOM 4	/* bytes: room for one VLAN tag in front */

static void check_layout(const struct wgw_pkt *p)
{
	fz_assert(p->l3_off < p->l4_off && p->l4_off < p->payload_off,
		  "offsets %u %u %u", p->l3_off, p->l4_off, p->payload_off);
	fz_assert((uint32_t)p->l3_off + p->ip_len <= p->len, "ip_len %u len %u",
		  p->ip_len, p->len);
	fz_assert((uint32_t)p->payload_off + p->payload_len <=
		  (uint32_t)p->l3_off + p->ip_len, "payload %u+%u past the datagram",
		  p->payload_off, p->payload_len);
	fz_assert(p->payload_off - p->l4_off == 8, "UDP header");
	fz_assert(p->family == AF_INET || p->family == AF_INET6, "family %u", p->family);
	fz_assert(p->l4_proto == IPPROTO_UDP, "proto %u", p->l4_proto);
}

static void check_cid(const struct wgw_pkt *p)
{
	uint64_t cid = 0, want = 0;
	int i;

	if (!wgw_wraith_cid(p, &cid)) {
		fz_assert(p->payload_len < WRAITH_MIN_PAYLOAD, "cid refused at %u",
			  p->payload_len);
		return;
	}
	fz_assert(p->payload_len >= WRAITH_MIN_PAYLOAD, "cid at %u", p->payload_len);
	for (i = 0; i < 8; i++)
		want = want << 8 | p->data[p->payload_off + i];
	fz_assert(cid == want, "cid %llx != %llx", (unsigned long long)cid,
		  (unsigned long long)want);
}

static void addr_of(union wgw_addr *a, int family, uint8_t seed)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET) {
		wgw_addr_from_v4(a, htonl(0x0a000000u | seed));
	} else {
		a->b[0] = 0x20;
		a->b[1] = 0x01;
		a->b[2] = 0x0d;
		a->b[3] = 0xb8;
		a->b[15] = seed;
	}
}

static void check_nat(uint8_t *frame, uint32_t len, const struct wgw_pkt *orig)
{
	union wgw_addr s, d, got;
	struct wgw_pkt p;
	uint8_t *payload_copy;
	enum wgw_csum_verdict cv, cv_after;
	bool ok_before;
	int ret, ttl;

	p = *orig;
	ok_before = wgw_pkt_csum_ok(&p);
	cv = wgw_pkt_csum_verify(&p);
	/* the receive rule agrees with the plain check, but for a partial
	 * checksum, which it takes whatever the payload */
	fz_assert(cv == WGW_CSUM_PARTIAL || ok_before == (cv != WGW_CSUM_BAD),
		  "csum_verify %d, csum_ok %d", cv, ok_before);
	fz_assert(cv != WGW_CSUM_PARTIAL || wgw_pkt_udp_csum_is_partial(&p),
		  "partial without the partial field");
	payload_copy = malloc(p.payload_len ? p.payload_len : 1);
	if (!payload_copy)
		abort();
	memcpy(payload_copy, p.data + p.payload_off, p.payload_len);

	/* The other family is refused, the packet untouched. */
	addr_of(&s, p.family == AF_INET ? AF_INET6 : AF_INET, 1);
	addr_of(&d, p.family == AF_INET ? AF_INET6 : AF_INET, 2);
	fz_assert(wgw_pkt_nat(&p, &s, 1, &d, 2) == -EINVAL, "other family accepted");

	addr_of(&s, p.family, frame[len - 1]);
	addr_of(&d, p.family, (uint8_t)(frame[len - 1] + 1));
	ret = wgw_pkt_nat(&p, &s, 40000, &d, 8420);
	fz_assert(ret == 0 || ret == 1, "nat returned %d", ret);

	fz_assert(wgw_pkt_parse(&p, frame, len) == WGW_PKT_UDP, "NAT broke the parse");
	check_layout(&p);
	wgw_pkt_get_saddr(&p, &got);
	fz_assert(wgw_addr_eq(&got, &s), "source address");
	wgw_pkt_get_daddr(&p, &got);
	fz_assert(wgw_addr_eq(&got, &d), "destination address");
	fz_assert(wgw_pkt_sport(&p) == 40000 && wgw_pkt_dport(&p) == 8420, "ports");
	fz_assert(p.payload_len == orig->payload_len &&
		  !memcmp(p.data + p.payload_off, payload_copy, p.payload_len),
		  "payload changed");
	fz_assert(!ok_before || wgw_pkt_csum_ok(&p), "valid checksums made invalid");
	/*
	 * What the engine forwards after NAT: complete checksums, or none.
	 * A complete checksum that happens to equal the folded pseudo-header
	 * sum has the partial form's very bytes (one in 65535; the fuzzer's
	 * comparison tracing finds it at once): the verdict then says
	 * PARTIAL, and completing it again changes nothing.  It must still
	 * be complete.
	 */
	cv_after = wgw_pkt_csum_verify(&p);
	fz_assert(cv == WGW_CSUM_BAD ||
		  cv_after == (cv == WGW_CSUM_NONE ? WGW_CSUM_NONE : WGW_CSUM_OK) ||
		  (cv != WGW_CSUM_NONE && cv_after == WGW_CSUM_PARTIAL && wgw_pkt_csum_ok(&p)),
		  "accepted checksums (%d) not complete after NAT (%d)", cv, cv_after);
	free(payload_copy);

	ok_before = wgw_pkt_csum_ok(&p);
	ttl = wgw_pkt_dec_ttl(&p);
	fz_assert(ttl >= 0 && ttl < 255, "ttl %d", ttl);
	fz_assert(!ok_before || wgw_pkt_csum_ok(&p), "TTL decrement broke checksums");
}

/* On a copy of its own: pop moves the frame's bytes. */
static void check_vlan(const uint8_t *data, uint32_t len)
{
	uint8_t *buf = malloc(HEADROOM + len), *frame = buf + HEADROOM;
	struct wgw_pkt p;

	if (!buf)
		abort();
	memcpy(frame, data, len);
	fz_assert(wgw_pkt_parse(&p, frame, len) == WGW_PKT_UDP, "copy parses");
	if (!p.vlan_tpid) {
		fz_assert(wgw_pkt_vlan_push(&p, 0x8100, 0x123, 0) == -ENOSPC, "no headroom");
		fz_assert(wgw_pkt_vlan_push(&p, 0x0800, 1, HEADROOM) == -EINVAL, "bad tpid");
		fz_assert(wgw_pkt_vlan_push(&p, 0x88a8, 0x123, HEADROOM) == 0, "push");
		fz_assert(p.data == buf && p.len == len + 4, "push moved the frame wrongly");
		fz_assert(wgw_pkt_parse(&p, p.data, p.len) == WGW_PKT_UDP, "tagged parse");
		fz_assert(p.vlan_tpid == 0x88a8 && p.vlan_tci == 0x123, "tag");
		wgw_pkt_vlan_pop(&p);
		fz_assert(p.data == frame && p.len == len, "pop");
		fz_assert(!memcmp(p.data, data, len), "push + pop changed the frame");
	} else {
		/* A re-tag keeps the frame where it is. */
		fz_assert(wgw_pkt_vlan_push(&p, 0x8100, 0x456, 0) == 0, "re-tag");
		fz_assert(p.data == frame && p.len == len, "re-tag moved the frame");
		wgw_pkt_vlan_pop(&p);
		fz_assert(p.data == frame + 4 && p.len == len - 4 && !p.vlan_tpid, "pop");
		fz_assert(wgw_pkt_parse(&p, p.data, p.len) == WGW_PKT_UDP, "untagged parse");
		fz_assert(!memcmp(p.data + 12, data + 16, len - 16), "pop changed L3");
		fz_assert(!memcmp(p.data, data, 12), "pop changed the addresses");
	}
	check_layout(&p);
	free(buf);
}

static void check_build(const struct wgw_pkt *p)
{
	uint8_t out[65535 + 64];
	struct wgw_pkt_spec s;
	struct wgw_pkt q;
	int n;

	memset(&s, 0, sizeof(s));
	memcpy(s.eth_dst, p->data, 6);
	memcpy(s.eth_src, p->data + 6, 6);
	s.vlan_tpid = p->vlan_tpid;
	s.vlan_tci = p->vlan_tci;
	wgw_pkt_get_saddr(p, &s.saddr);
	wgw_pkt_get_daddr(p, &s.daddr);
	s.sport = wgw_pkt_sport(p);
	s.dport = wgw_pkt_dport(p);
	s.payload = p->data + p->payload_off;
	s.payload_len = p->payload_len;
	n = wgw_pkt_build(out, sizeof(out), &s);
	if (n == -EINVAL)	/* e.g. an IPv4 datagram over 65535 bytes */
		return;
	fz_assert(n > 0, "build failed: %d", n);
	fz_assert(wgw_pkt_parse(&q, out, (uint32_t)n) == WGW_PKT_UDP, "built frame");
	check_layout(&q);
	fz_assert(wgw_pkt_csum_ok(&q), "built frame's checksums");
	fz_assert(q.payload_len == p->payload_len &&
		  !memcmp(q.data + q.payload_off, s.payload, s.payload_len), "payload");
	fz_assert(wgw_pkt_sport(&q) == s.sport && wgw_pkt_dport(&q) == s.dport, "ports");
	fz_assert(q.vlan_tpid == s.vlan_tpid && q.vlan_tci == s.vlan_tci, "tag");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgw_pkt p;
	enum wgw_pkt_kind k;
	uint8_t *buf, *frame;
	uint32_t len;

	if (size == 0 || size > 65535 + 64)
		return 0;
	len = (uint32_t)size;
	buf = malloc(HEADROOM + size);
	if (!buf)
		abort();
	frame = buf + HEADROOM;
	memcpy(frame, data, size);
	memset(&p, 0, sizeof(p));
	k = wgw_pkt_parse(&p, frame, len);
	fz_assert(k < WGW_PKT_KIND_MAX, "kind %d", k);
	fz_assert(wgw_pkt_kind_name(k) != NULL, "kind name");
	fz_assert(!memcmp(frame, data, size), "parse wrote into the frame");
	if (k == WGW_PKT_UDP) {
		check_layout(&p);
		check_cid(&p);
		check_build(&p);
		check_vlan(data, len);
		check_nat(frame, len, &p);
	}
	/* The checksum helpers on any bytes. */
	(void)wgw_csum_fold(wgw_csum_partial(data, size, 0));
	free(buf);
	return 0;
}
