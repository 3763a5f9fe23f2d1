/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The engine's own structures, shared by its files: engine.c (the
 * per-packet path), engine_admin.c (configuration, creation, worker hooks,
 * admin changes, expiry) and engine_info.c (names, statistics,
 * introspection).  Not for use outside them.
 */
#ifndef WGW_ENGINE_INTERNAL_H
#define WGW_ENGINE_INTERNAL_H

#include <endian.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "gateway/backends.h"
#include "gateway/engine.h"
#include "gateway/qsbr.h"
#include "gateway/sessions.h"

_Static_assert(WGW_ENGINE_MAX_BACKENDS == WGW_MAX_BACKENDS, "backend slots");
_Static_assert(WGW_ENGINE_MAX_ENTRIES == WGW_SESS_MAX_ENTRIES, "table capacity");
_Static_assert(WGW_ENGINE_MAX_NAT == WGW_NAT_MAX, "NAT pool");

#define WGW_NAT_BUCKETS 1024		/* pool lookup, over 3x WGW_NAT_MAX */

/*
 * Everything a worker writes: its own cache lines only.  A forwarded
 * packet costs one counter, its backend's be_to / be_from: TO_LAN and
 * TO_WAN are their sums, and ctr[RX_CLIENT] / ctr[RX_BACKEND] count only
 * the packets of that side that were dropped (thread_sum() adds the
 * forwarded ones).  ctr[TO_LAN] and ctr[TO_WAN] stay 0.
 */
struct wgw_engine_thread {
	struct wgw_engine *e;
	unsigned id;
	_Atomic bool attached;
	const struct wgw_engine_store_hooks *store; /* the thread's own; NULL: none */
	_Atomic uint64_t ctr[WGW_CTR_MAX];
	_Atomic uint64_t drop[WGW_DROP_REASON_MAX];
	_Atomic uint64_t be_to[WGW_ENGINE_MAX_BACKENDS];	/* packets */
	_Atomic uint64_t be_from[WGW_ENGINE_MAX_BACKENDS];
} __attribute__((aligned(WGW_CACHELINE)));

struct wgw_engine {
	/* read by every packet */
	_Atomic(struct wgw_view *) view __attribute__((aligned(WGW_CACHELINE)));
	union wgw_addr nat_addr;
	uint16_t nat_port_lo, nat_port_hi;
	uint16_t nat_port_span;		/* hi - lo: one range test */
	uint8_t family;
	bool fast4;			/* IPv4, known-session paths on */
	bool pool;			/* more than one NAT address */
	bool prefetch;			/* client batches prefetch table reads */
	_Atomic uint8_t be_state[WGW_ENGINE_MAX_BACKENDS]; /* enum wgw_backend_state */
	_Atomic uint8_t be_live[WGW_ENGINE_MAX_BACKENDS];  /* state != DOWN */
	struct wgw_backend_slot slots[WGW_ENGINE_MAX_BACKENDS];

	struct wgw_sessions s;
	struct wgw_qsbr q;
	struct wgw_qsbr_reader *readers;
	struct wgw_engine_thread *threads;
	unsigned n_threads;

	/* control side */
	pthread_mutex_t ctl;
	_Atomic uint32_t cid_idle_s, map_idle_s;
	_Atomic uint64_t ctl_ctr[WGW_CTR_MAX];
	struct wgw_vip vips[WGW_ENGINE_MAX_VIPS];
	unsigned n_vips;
	uint64_t src_key;
	struct wgw_view *retired;	/* replaced views awaiting a grace period */

	/* the NAT addresses, s.nat[], by address: k + 1, open addressing */
	uint16_t nat_by[WGW_NAT_BUCKETS];
};

static inline uint32_t wgw_nat_hash(const union wgw_addr *a)
{
	uint64_t h = (a->q[0] ^ a->q[1]) * 0x9e3779b97f4a7c15ULL;

	return (uint32_t)(h >> 54);	/* 10 bits: WGW_NAT_BUCKETS */
}

/* k of NAT address a (e->s.nat[k]), or -1 when a is none of them. */
static inline int wgw_engine_nat_find(const struct wgw_engine *e, const union wgw_addr *a)
{
	uint32_t b = wgw_nat_hash(a);
	unsigned i;

	if (__builtin_expect(wgw_addr_eq(a, &e->nat_addr), 1))
		return 0;
	while ((i = e->nat_by[b]) != 0) {
		if (wgw_addr_eq(&e->s.nat[i - 1], a))
			return (int)i - 1;
		b = (b + 1) & (WGW_NAT_BUCKETS - 1);
	}
	return -1;
}

/* Sources never valid on a wire (RFC 1122 3.2.1.3, RFC 4291 2.4; Linux
 * ip_route_input_slow()'s martian source test), for a packet of family:
 * IPv4 0/8, 127/8, 224/4 multicast and 240/4 with the broadcast address;
 * IPv6 ::, ::1, ff00::/8, fe80::/10, and an IPv4-mapped address in an
 * IPv6 header (wgw_pkt_parse() refuses that already; a caller's own
 * struct wgw_pkt may not have been through it).  Also for trace. */
static inline bool wgw_engine_src_martian(uint8_t family, const union wgw_addr *a)
{
	if (family == AF_INET) {
		uint8_t b0 = a->b[12];

		return b0 == 0 || b0 == 127 || b0 >= 224;
	}
	if (a->b[0] == 0xff || (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80))
		return true;
	return wgw_addr_is_v4(a) || (a->q[0] == 0 && (a->q[1] == 0 || a->q[1] == htobe64(1)));
}

/* Single-writer counters: a plain add, readable by the control thread. */
static inline void cnt_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

#define CTR(t, c) cnt_add(&(t)->ctr[WGW_CTR_##c], 1)

/* The packets sent to and received from backend slot's node, summed over
 * the worker threads (each a relaxed read of a single-writer counter). */
void wgw_engine_slot_pkts(struct wgw_engine *e, int slot, uint64_t *to, uint64_t *from);

#endif
