/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The backend set as the workers see it.
 *
 * Slots (WGW_ENGINE_MAX_BACKENDS) hold each backend's address and port,
 * immutable while the slot is in use; a slot is reused only after every
 * mapping and CID on it is gone and a grace period has passed.  Their admin
 * state is one atomic byte per slot, read per packet.
 *
 * Everything else the data path needs (the VIP set, the UP backends with
 * their weights for the rendezvous choice, and an index from source
 * address:port to slot for packets coming back) lives in an immutable
 * "view", rebuilt by the control thread on every change and published with
 * one pointer store; the old view is freed after a grace period.
 */
#ifndef WGW_BACKENDS_H
#define WGW_BACKENDS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/engine.h"
#include "gateway/hash.h"

#define WGW_BSRC_BUCKETS 512 /* 2x the slots: linear probing stays short */
/* The gateway's own addresses: every VIP, the NAT address, every backend */
#define WGW_OWN_MAX (WGW_ENGINE_MAX_BACKENDS + WGW_ENGINE_MAX_VIPS + WGW_ENGINE_MAX_NAT)
#define WGW_OWN_BUCKETS 1024 /* load under 0.6 */

struct wgw_backend_slot {
	union wgw_addr addr;
	/* IPv4 engines, for the known-session rewrite towards the LAN: the new
	 * source and destination (G, this backend) as they lie in the IPv4
	 * header (wgw_addrs4_word()); 0 on IPv6 engines */
	uint64_t lan_addrs4;
	uint16_t port;
	uint16_t port_be;	/* port, network order */
	uint32_t lan_dport4;	/* wgw_ports_word(0, port_be): the destination
				 * half of the LAN rewrite's ports */
	uint16_t wan_pseudo;	/* folded pseudo-header sum of this backend, the
				 * NAT address and UDP: what a partial checksum
				 * of a reply holds, its length added */
	bool in_use;		/* control thread */
	bool health_down;	/* control thread: judged dead (gateway/health.h):
				 * no new endpoints unless every UP backend is */
	uint32_t weight;	/* control thread */
	uint64_t rdv;		/* WGW-RDV-1 H(addr, port) */
	uint64_t base_to, base_from; /* control thread: the workers' per-slot
				      * packet counters when this backend got
				      * the slot (they are never reset) */
};

struct wgw_view_up {
	uint64_t rdv;
	uint32_t weight;
	uint32_t slot;
};

/* A VIP of an IPv4 engine as the per-packet path tests it. */
struct wgw_vip4 {
	uint32_t addr;		/* network order */
	uint16_t lo, span;	/* ports lo .. lo + span, host order */
};

/* The source index of an IPv4 engine: each backend's address and port in
 * the bucket itself, so a probe reads no slot. */
struct wgw_bsrc4 {
	uint32_t addr;		/* network order */
	uint16_t port;		/* host order */
	uint16_t slot1;		/* slot + 1; 0 empty */
};

struct wgw_view {
	struct wgw_view *retired_next;		/* control thread: waiting to be freed */
	uint64_t retired_gp;			/* grace period it waits for */
	unsigned n_vips;
	unsigned n_up;
	uint64_t src_key;
	struct wgw_vip vips[WGW_ENGINE_MAX_VIPS];
	struct wgw_vip4 vips4[WGW_ENGINE_MAX_VIPS]; /* the same, IPv4 engines */
	uint16_t by_src[WGW_BSRC_BUCKETS];	/* slot + 1; 0 empty */
	struct wgw_bsrc4 by_src4[WGW_BSRC_BUCKETS]; /* the same for IPv4 backends */
	struct wgw_view_up up[WGW_ENGINE_MAX_BACKENDS];
	/* the addresses a client packet must never come from (any port):
	 * an open-addressing set, by_own[] holding index + 1 into own[] */
	unsigned n_own;
	uint16_t by_own[WGW_OWN_BUCKETS];
	union wgw_addr own[WGW_OWN_MAX];
};

/* Build a view of the in-use slots whose state is not DOWN, with n_vips >= 1
 * VIPs and the n_nat NAT addresses (NULL, ENOMEM or EINVAL).  Slots marked
 * health_down get no new endpoints, unless every UP one is: then all of
 * them do (fail open: trying beats dropping every new client). */
struct wgw_view *wgw_view_build(const struct wgw_backend_slot *slots,
				const _Atomic uint8_t *state,
				const struct wgw_vip *vips, unsigned n_vips,
				const union wgw_addr *nat, unsigned n_nat, uint64_t src_key);

/* The rendezvous choice for a client endpoint among the view's UP
 * backends: a slot, or -1 when none is up. */
int wgw_view_choose(const struct wgw_view *v, const union wgw_addr *client, uint16_t cport);

static inline bool wgw_view_is_vip(const struct wgw_view *v, const union wgw_addr *a,
				   uint16_t port)
{
	for (unsigned i = 0; i < v->n_vips; i++)
		if (port >= v->vips[i].port_lo && port <= v->vips[i].port_hi &&
		    wgw_addr_eq(&v->vips[i].addr, a))
			return true;
	return false;
}

/* wgw_view_is_vip() for an IPv4 engine, whose VIPs are all IPv4: daddr in
 * network order. */
static inline bool wgw_view_is_vip4(const struct wgw_view *v, uint32_t daddr, uint16_t port)
{
	const struct wgw_vip4 *p = v->vips4, *end = p + v->n_vips;

	do {	/* a view has at least one VIP (wgw_engine_cfg_validate()) */
		if (p->addr == daddr && (uint16_t)(port - p->lo) <= p->span)
			return true;
	} while (++p < end);
	return false;
}

#define WGW_BSRC_K1 0x9e3779b97f4a7c15ULL
#define WGW_BSRC_K2 0xc2b2ae3d27d4eb4fULL

/* Second step of the hash, from the first (h0, of a->q[0]). */
static inline uint32_t wgw_bsrc_hash2(uint64_t h0, uint64_t q1, uint16_t port)
{
	return (uint32_t)(((h0 ^ q1 ^ ((uint64_t)port << 48)) * WGW_BSRC_K2) >> 55);
	/* 9 bits: WGW_BSRC_BUCKETS */
}

static inline uint32_t wgw_bsrc_hash(uint64_t key, const union wgw_addr *a, uint16_t port)
{
	return wgw_bsrc_hash2((a->q[0] ^ key) * WGW_BSRC_K1, a->q[1], port);
}

static inline uint32_t wgw_bsrc4_hash(uint64_t key, uint32_t addr, uint16_t port)
{
	return (uint32_t)((((uint64_t)addr << 16 | port) ^ key) * WGW_BSRC_K2 >> 55);
	/* 9 bits: WGW_BSRC_BUCKETS */
}

/* wgw_view_by_src() in an IPv4 engine, for the address saddr (network
 * order): its backends are all IPv4, indexed in by_src4. */
static inline int wgw_view_by_src4(const struct wgw_view *v, uint32_t saddr, uint16_t port)
{
	uint32_t b = wgw_bsrc4_hash(v->src_key, saddr, port);

	for (unsigned n = 0; n < WGW_BSRC_BUCKETS; n++, b = (b + 1) & (WGW_BSRC_BUCKETS - 1)) {
		const struct wgw_bsrc4 *x = &v->by_src4[b];

		if (!x->slot1)
			return -1;
		if (x->addr == saddr && x->port == port)
			return (int)x->slot1 - 1;
	}
	return -1;
}

static inline uint32_t wgw_own_hash(uint64_t key, const union wgw_addr *a)
{
	return (uint32_t)((((a->q[0] ^ key) * WGW_BSRC_K1) ^ a->q[1]) * WGW_BSRC_K2 >> 54);
	/* 10 bits: WGW_OWN_BUCKETS */
}

/* True when a is one of the gateway's own addresses: a VIP's, the NAT
 * address or a backend's (not DOWN), whatever the port.  A client packet
 * from one is spoofed, and forwarding it could loop. */
static inline bool wgw_view_is_own(const struct wgw_view *v, const union wgw_addr *a)
{
	uint32_t b = wgw_own_hash(v->src_key, a);

	for (unsigned n = 0; n < WGW_OWN_BUCKETS; n++, b = (b + 1) & (WGW_OWN_BUCKETS - 1)) {
		unsigned i = v->by_own[b];

		if (!i)
			return false;
		if (wgw_addr_eq(&v->own[i - 1], a))
			return true;
	}
	return false;
}

/* The slot of the backend at a:port, or -1. */
static inline int wgw_view_by_src(const struct wgw_view *v,
				  const struct wgw_backend_slot *slots,
				  const union wgw_addr *a, uint16_t port)
{
	uint32_t b = wgw_bsrc_hash(v->src_key, a, port);

	for (unsigned n = 0; n < WGW_BSRC_BUCKETS; n++, b = (b + 1) & (WGW_BSRC_BUCKETS - 1)) {
		unsigned s = v->by_src[b];

		if (!s)
			return -1;
		if (slots[s - 1].port == port && wgw_addr_eq(&slots[s - 1].addr, a))
			return (int)s - 1;
	}
	return -1;
}

#endif
