/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Next-hop table of the AF_XDP data path: destination address -> the
 * Ethernet address of its next hop and the interface it leaves by, as the
 * kernel's route and neighbour tables say (netlink/ resolves; this table
 * only publishes the answers to the workers).
 *
 * One writer (the control thread) and any number of lock-free readers
 * (workers).  A worker that misses posts the destination on its request
 * ring and holds or drops the packet; it never guesses a MAC.  Slots are
 * never reused in place: the table is rebuilt and swapped under QSBR
 * (workers report quiescent states between batches with wgw_nh_quiescent()
 * and go offline around blocking waits), which is also how idle entries are
 * dropped.
 */
#ifndef WGW_NEXTHOP_H
#define WGW_NEXTHOP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/qsbr.h"

enum wgw_nh_state {
	WGW_NH_EMPTY = 0,	/* free slot (readers stop probing here) */
	WGW_NH_PENDING,		/* the kernel was asked to resolve it */
	WGW_NH_RESOLVED,	/* mac and ifindex valid */
	WGW_NH_UNREACHABLE,	/* no route, or resolution failed */
};

/* val packs the state (bits 48..55) and the MAC (bits 0..47), so readers
 * see both in one atomic load. */
struct wgw_nh_slot {
	union wgw_addr dst;	/* immutable once the state is not EMPTY */
	union wgw_addr via;	/* next hop (dst itself when on-link); writer only */
	int32_t ifindex;	/* egress interface, immutable likewise */
	_Atomic uint32_t last_used; /* seconds, written by readers (relaxed) */
	_Atomic uint64_t val;
};

struct wgw_nh_table {
	uint32_t mask;		/* slots - 1 */
	uint32_t used;		/* slots not EMPTY (writer only) */
	struct wgw_nh_slot slots[];
};

/* Requests from one worker to the control thread: single producer, single
 * consumer, lock-free. */
#define WGW_NH_REQ_RING 256 /* entries, power of two */
struct wgw_nh_reqring {
	_Atomic uint32_t head;	/* producer (worker) */
	_Atomic uint32_t tail;	/* consumer (control thread) */
	union wgw_addr ent[WGW_NH_REQ_RING];
};

struct wgw_nh {
	struct wgw_nh_table *_Atomic table; /* swapped under QSBR */
	struct wgw_qsbr qsbr;
	struct wgw_qsbr_reader *readers; /* one per worker */
	_Atomic uint32_t generation;	/* bumped on every change readers may wait for */
	uint32_t capacity;		/* max entries (slots / 2) */
	unsigned nrings;
	struct wgw_nh_reqring *rings;	/* one per worker */
	uint64_t full_events;		/* inserts refused: table full */
	int wake_fd;			/* eventfd: a request was posted */
};

/* Answer of the resolver: 0 resolved (ifindex, mac set), -EAGAIN pending
 * (the kernel was asked), another negative errno: unreachable. */
typedef int (*wgw_nh_resolve_fn)(void *ctx, const union wgw_addr *dst,
				 int *ifindex, union wgw_addr *via, uint8_t mac[6]);

int wgw_nh_init(struct wgw_nh *nh, uint32_t capacity, unsigned nworkers);
void wgw_nh_fini(struct wgw_nh *nh);

static inline uint32_t wgw_nh_hash(const union wgw_addr *a)
{
	uint64_t h = (a->q[0] * 0x9E3779B97F4A7C15ULL) ^ a->q[1];

	h *= 0xC2B2AE3D27D4EB4FULL;
	return (uint32_t)(h >> 32);
}

/* The current table, for a worker between two quiescent states. */
static inline struct wgw_nh_table *wgw_nh_table(struct wgw_nh *nh)
{
	return atomic_load_explicit(&nh->table, memory_order_acquire);
}

static inline void wgw_nh_quiescent(struct wgw_nh *nh, unsigned w)
{
	wgw_qsbr_quiescent(&nh->qsbr, &nh->readers[w]);
}

static inline void wgw_nh_offline(struct wgw_nh *nh, unsigned w)
{
	wgw_qsbr_offline(&nh->readers[w]);
}

static inline void wgw_nh_online(struct wgw_nh *nh, unsigned w)
{
	wgw_qsbr_online(&nh->qsbr, &nh->readers[w]);
}

/*
 * Reader side (worker, online, between two quiescent states).  Returns the slot, or NULL when the destination is not
 * in the table.  The caller reads slot->val once and decides on its state.
 */
static inline struct wgw_nh_slot *wgw_nh_lookup(struct wgw_nh_table *t,
						const union wgw_addr *dst)
{
	uint32_t i = wgw_nh_hash(dst) & t->mask;

	for (;;) {
		struct wgw_nh_slot *s = &t->slots[i];
		uint64_t v = atomic_load_explicit(&s->val, memory_order_acquire);

		if ((v >> 48) == WGW_NH_EMPTY)
			return NULL;
		if (wgw_addr_eq(&s->dst, dst))
			return s;
		i = (i + 1) & t->mask;
	}
}

static inline unsigned wgw_nh_val_state(uint64_t v)
{
	return (unsigned)(v >> 48) & 0xff;
}

static inline void wgw_nh_val_mac(uint64_t v, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(v >> (8 * (5 - i)));
}

/* Post a resolution request from worker w; false when its ring is full.
 * The first request of an empty ring also wakes the control thread
 * (one eventfd write: requests are per new destination, not per packet). */
bool wgw_nh_request(struct wgw_nh *nh, unsigned w, const union wgw_addr *dst);

/*
 * Writer side (control thread).  wgw_nh_process() drains the request
 * rings and resolves new destinations; wgw_nh_refresh() re-resolves every
 * entry (after a neighbour, route or link change) or only the pending ones;
 * wgw_nh_gc() drops entries idle for idle_s seconds by rebuilding the
 * table.  All return the number of entries that changed, or -errno.
 */
int wgw_nh_process(struct wgw_nh *nh, wgw_nh_resolve_fn fn, void *ctx, uint32_t now);
int wgw_nh_refresh(struct wgw_nh *nh, wgw_nh_resolve_fn fn, void *ctx, bool pending_only);
/* After a change of neighbour addr: re-resolve the entries that go to or
 * through it, and the pending ones. */
int wgw_nh_refresh_neigh(struct wgw_nh *nh, wgw_nh_resolve_fn fn, void *ctx,
			 const union wgw_addr *addr);
int wgw_nh_gc(struct wgw_nh *nh, uint32_t now, uint32_t idle_s);
/* Insert or update one destination directly (backends at start). */
int wgw_nh_resolve_one(struct wgw_nh *nh, const union wgw_addr *dst,
		       wgw_nh_resolve_fn fn, void *ctx, uint32_t now);
uint32_t wgw_nh_count(const struct wgw_nh *nh);
/* Forget every entry (an interface was replaced); waits for a grace
 * period.  0 or -ENOMEM. */
int wgw_nh_flush(struct wgw_nh *nh);
/*
 * A resolved destination as a live takeover hands it to the successor
 * (takeover.c), so that its workers send from their first packet instead
 * of asking a control loop that is still busy with the hand-over.
 */
struct wgw_nh_entry {
	union wgw_addr dst;
	union wgw_addr via;
	int32_t ifindex;
	uint8_t mac[6];
	uint8_t pad[2];
};
/* Writer side: copy up to max resolved entries into out; how many. */
uint32_t wgw_nh_export(const struct wgw_nh *nh, struct wgw_nh_entry *out, uint32_t max);
/* Writer side: add e as resolved, stamped used at now, if the table lacks
 * its destination.  1 added, 0 already there, -ENOSPC table full. */
int wgw_nh_import(struct wgw_nh *nh, const struct wgw_nh_entry *e, uint32_t now);
/* The descriptor to poll for requests; read it with wgw_nh_wake_clear(). */
int wgw_nh_wake_fd(const struct wgw_nh *nh);
void wgw_nh_wake_clear(struct wgw_nh *nh);

#endif
