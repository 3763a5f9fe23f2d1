/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the engine tests: addresses, crafted WRAITH packets
 * (built with wgw_pkt_build, parsed with wgw_pkt_parse) and engines.
 */
#ifndef WGW_TEST_ENGINE_UTIL_H
#define WGW_TEST_ENGINE_UTIL_H

#include <check.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/addr.h"
#include "gateway/engine.h"
#include "gateway/packet.h"

#define T_FRAME 256 /* bytes: frame buffer of a test packet */

struct tpkt {
	uint8_t buf[T_FRAME];
	struct wgw_pkt p;
};

static inline union wgw_addr A(const char *s)
{
	union wgw_addr a;

	ck_assert_msg(wgw_addr_parse(&a, s) == 0, "bad test address %s", s);
	return a;
}

/* payload_len 0: 40 bytes with cid in front (a WRAITH data packet);
 * otherwise that many bytes, the CID still in the first 8 when they fit. */
static inline void tpkt_make(struct tpkt *t, const union wgw_addr *src, uint16_t sport,
			     const union wgw_addr *dst, uint16_t dport, uint64_t cid,
			     uint16_t payload_len)
{
	uint8_t payload[128];
	struct wgw_pkt_spec sp;
	uint64_t be = htobe64(cid);
	int len;

	if (!payload_len)
		payload_len = 40;
	memset(payload, 0xa5, sizeof(payload));
	memcpy(payload, &be, payload_len < 8 ? payload_len : 8);
	memset(&sp, 0, sizeof(sp));
	memcpy(sp.eth_dst, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(sp.eth_src, "\x02\x00\x00\x00\x00\x02", 6);
	sp.saddr = *src;
	sp.daddr = *dst;
	sp.sport = sport;
	sp.dport = dport;
	sp.payload = payload;
	sp.payload_len = payload_len;
	len = wgw_pkt_build(t->buf, sizeof(t->buf), &sp);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(wgw_pkt_parse(&t->p, t->buf, (uint32_t)len), WGW_PKT_UDP);
}

static inline void tpkt_src(const struct tpkt *t, union wgw_addr *a, uint16_t *port)
{
	wgw_pkt_get_saddr(&t->p, a);
	*port = wgw_pkt_sport(&t->p);
}

static inline void tpkt_dst(const struct tpkt *t, union wgw_addr *a, uint16_t *port)
{
	wgw_pkt_get_daddr(&t->p, a);
	*port = wgw_pkt_dport(&t->p);
}

#endif
