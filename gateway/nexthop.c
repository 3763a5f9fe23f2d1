// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "gateway/log.h"
#include "gateway/nexthop.h"

static uint64_t nh_pack(unsigned state, const uint8_t mac[6])
{
	uint64_t v = (uint64_t)state << 48;

	if (mac)
		for (int i = 0; i < 6; i++)
			v |= (uint64_t)mac[i] << (8 * (5 - i));
	return v;
}

static struct wgw_nh_table *nh_table_alloc(uint32_t capacity)
{
	struct wgw_nh_table *t;
	uint32_t slots = 16;

	/* At most half full, so probe chains stay short and always end. */
	while (slots < 2 * capacity)
		slots <<= 1;
	t = calloc(1, sizeof(*t) + (size_t)slots * sizeof(t->slots[0]));
	if (!t)
		return NULL;
	t->mask = slots - 1;
	return t;
}

int wgw_nh_init(struct wgw_nh *nh, uint32_t capacity, unsigned nworkers)
{
	memset(nh, 0, sizeof(*nh));
	if (!capacity || !nworkers)
		return -EINVAL;
	nh->table = nh_table_alloc(capacity);
	if (!nh->table)
		return -ENOMEM;
	nh->rings = calloc(nworkers, sizeof(*nh->rings));
	nh->readers = aligned_alloc(WGW_CACHELINE, nworkers * sizeof(*nh->readers));
	if (!nh->rings || !nh->readers) {
		free(nh->readers);
		free(nh->rings);
		free(nh->table);
		memset(nh, 0, sizeof(*nh));
		return -ENOMEM;
	}
	memset(nh->readers, 0, nworkers * sizeof(*nh->readers));
	nh->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (nh->wake_fd < 0) {
		int err = -errno;

		free(nh->readers);
		free(nh->rings);
		free(nh->table);
		memset(nh, 0, sizeof(*nh));
		return err;
	}
	wgw_qsbr_init(&nh->qsbr, nh->readers, nworkers);
	nh->capacity = capacity;
	nh->nrings = nworkers;
	return 0;
}

void wgw_nh_fini(struct wgw_nh *nh)
{
	free(nh->table);
	free(nh->rings);
	free(nh->readers);
	if (nh->wake_fd > 0)
		close(nh->wake_fd);
	memset(nh, 0, sizeof(*nh));
}

int wgw_nh_wake_fd(const struct wgw_nh *nh)
{
	return nh->wake_fd;
}

void wgw_nh_wake_clear(struct wgw_nh *nh)
{
	uint64_t v;

	if (read(nh->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		wgw_dbg("next-hop wake-up: %s", strerror(errno));
}

bool wgw_nh_request(struct wgw_nh *nh, unsigned w, const union wgw_addr *dst)
{
	struct wgw_nh_reqring *r = &nh->rings[w];
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (head - tail >= WGW_NH_REQ_RING)
		return false;
	r->ent[head & (WGW_NH_REQ_RING - 1)] = *dst;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	if (head == tail) {
		uint64_t one = 1;

		/* Nothing to do on failure: the control loop also polls. */
		(void)!write(nh->wake_fd, &one, sizeof(one));
	}
	return true;
}

/* Writer-only insert of a new destination; the table holds no entry for it. */
static struct wgw_nh_slot *nh_insert(struct wgw_nh *nh, struct wgw_nh_table *t,
				     const union wgw_addr *dst, const union wgw_addr *via,
				     int ifindex, uint64_t val, uint32_t now)
{
	uint32_t i = wgw_nh_hash(dst) & t->mask;
	struct wgw_nh_slot *s;

	if (t->used >= nh->capacity) {
		nh->full_events++;
		return NULL;
	}
	for (;;) {
		s = &t->slots[i];
		if (wgw_nh_val_state(atomic_load_explicit(&s->val, memory_order_relaxed)) ==
		    WGW_NH_EMPTY)
			break;
		i = (i + 1) & t->mask;
	}
	s->dst = *dst;
	s->via = *via;
	s->ifindex = ifindex;
	atomic_store_explicit(&s->last_used, now, memory_order_relaxed);
	/* Publishes dst and ifindex with the state. */
	atomic_store_explicit(&s->val, val, memory_order_release);
	t->used++;
	return s;
}

/* Resolve and store one destination; returns 1 if something changed. */
static int nh_resolve_into(struct wgw_nh *nh, struct wgw_nh_slot *s,
			   const union wgw_addr *dst, wgw_nh_resolve_fn fn,
			   void *ctx, uint32_t now)
{
	struct wgw_nh_table *t = nh->table;
	union wgw_addr via = *dst;
	uint8_t mac[6] = { 0 };
	int ifindex = 0, rc;
	uint64_t val;

	rc = fn(ctx, dst, &ifindex, &via, mac);
	if (rc == 0)
		val = nh_pack(WGW_NH_RESOLVED, mac);
	else if (rc == -EAGAIN)
		val = nh_pack(WGW_NH_PENDING, NULL);
	else
		val = nh_pack(WGW_NH_UNREACHABLE, NULL);

	if (!s)
		return nh_insert(nh, t, dst, &via, ifindex, val, now) ? 1 : -ENOSPC;
	if (rc == 0 && ifindex != s->ifindex) {
		/*
		 * The route now leaves by another interface.  ifindex is
		 * immutable under readers: the entry is dropped and the next
		 * packet asks again (gc rebuilds without it).
		 */
		atomic_store_explicit(&s->val, nh_pack(WGW_NH_UNREACHABLE, NULL),
				      memory_order_release);
		atomic_store_explicit(&s->last_used, 0, memory_order_relaxed);
		atomic_fetch_add(&nh->generation, 1);
		return 1;
	}
	s->via = via;
	if (atomic_load_explicit(&s->val, memory_order_relaxed) == val)
		return 0;
	atomic_store_explicit(&s->val, val, memory_order_release);
	return 1;
}

int wgw_nh_resolve_one(struct wgw_nh *nh, const union wgw_addr *dst,
		       wgw_nh_resolve_fn fn, void *ctx, uint32_t now)
{
	struct wgw_nh_slot *s = wgw_nh_lookup(nh->table, dst);
	int rc = nh_resolve_into(nh, s, dst, fn, ctx, now);

	if (rc > 0)
		atomic_fetch_add(&nh->generation, 1);
	return rc;
}

int wgw_nh_process(struct wgw_nh *nh, wgw_nh_resolve_fn fn, void *ctx, uint32_t now)
{
	int changed = 0;

	for (unsigned w = 0; w < nh->nrings; w++) {
		struct wgw_nh_reqring *r = &nh->rings[w];
		uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);

		for (; tail != head; tail++) {
			union wgw_addr dst = r->ent[tail & (WGW_NH_REQ_RING - 1)];
			struct wgw_nh_slot *s = wgw_nh_lookup(nh->table, &dst);

			/* Several packets ask for the same destination. */
			if (s && wgw_nh_val_state(atomic_load(&s->val)) != WGW_NH_UNREACHABLE)
				continue;
			if (nh_resolve_into(nh, s, &dst, fn, ctx, now) > 0)
				changed++;
		}
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	if (changed)
		atomic_fetch_add(&nh->generation, 1);
	return changed;
}

/* Resolve again every entry that is pending, or (all) every entry, or
 * (addr) every entry through or to addr. */
static int refresh_where(struct wgw_nh *nh, wgw_nh_resolve_fn fn, void *ctx, bool all,
			 const union wgw_addr *addr)
{
	struct wgw_nh_table *t = nh->table;
	int changed = 0;

	for (uint32_t i = 0; i <= t->mask; i++) {
		struct wgw_nh_slot *s = &t->slots[i];
		unsigned st = wgw_nh_val_state(atomic_load(&s->val));
		union wgw_addr dst;

		if (st == WGW_NH_EMPTY)
			continue;
		if (st != WGW_NH_PENDING && !all &&
		    (!addr || (!wgw_addr_eq(&s->via, addr) && !wgw_addr_eq(&s->dst, addr))))
			continue;
		dst = s->dst;
		if (nh_resolve_into(nh, s, &dst, fn, ctx,
				    atomic_load_explicit(&s->last_used, memory_order_relaxed)) > 0)
			changed++;
	}
	if (changed)
		atomic_fetch_add(&nh->generation, 1);
	return changed;
}

int wgw_nh_refresh(struct wgw_nh *nh, wgw_nh_resolve_fn fn, void *ctx, bool pending_only)
{
	return refresh_where(nh, fn, ctx, !pending_only, NULL);
}

int wgw_nh_refresh_neigh(struct wgw_nh *nh, wgw_nh_resolve_fn fn, void *ctx,
			 const union wgw_addr *addr)
{
	return refresh_where(nh, fn, ctx, false, addr);
}

int wgw_nh_gc(struct wgw_nh *nh, uint32_t now, uint32_t idle_s)
{
	struct wgw_nh_table *old = nh->table, *t;
	int dropped = 0;

	t = nh_table_alloc(nh->capacity);
	if (!t)
		return -ENOMEM;
	for (uint32_t i = 0; i <= old->mask; i++) {
		struct wgw_nh_slot *s = &old->slots[i];
		uint64_t v = atomic_load(&s->val);
		uint32_t used = atomic_load_explicit(&s->last_used, memory_order_relaxed);

		if (wgw_nh_val_state(v) == WGW_NH_EMPTY)
			continue;
		if ((uint32_t)(now - used) > idle_s) {
			dropped++;
			continue;
		}
		nh_insert(nh, t, &s->dst, &s->via, s->ifindex, v, used);
	}
	if (!dropped) {
		free(t);
		return 0;
	}
	atomic_store_explicit(&nh->table, t, memory_order_release);
	/* Readers that may still hold the old table pass a quiescent state
	 * within one batch (or are offline). */
	wgw_qsbr_synchronize(&nh->qsbr);
	free(old);
	atomic_fetch_add(&nh->generation, 1);
	return dropped;
}

int wgw_nh_flush(struct wgw_nh *nh)
{
	struct wgw_nh_table *old = nh->table, *t = nh_table_alloc(nh->capacity);

	if (!t)
		return -ENOMEM;
	atomic_store_explicit(&nh->table, t, memory_order_release);
	wgw_qsbr_synchronize(&nh->qsbr);
	free(old);
	atomic_fetch_add(&nh->generation, 1);
	return 0;
}

uint32_t wgw_nh_count(const struct wgw_nh *nh)
{
	return nh->table->used;
}

uint32_t wgw_nh_export(const struct wgw_nh *nh, struct wgw_nh_entry *out, uint32_t max)
{
	const struct wgw_nh_table *t = nh->table;
	uint32_t n = 0;

	for (uint32_t i = 0; i <= t->mask && n < max; i++) {
		const struct wgw_nh_slot *s = &t->slots[i];
		uint64_t v = atomic_load_explicit(&s->val, memory_order_relaxed);

		if (wgw_nh_val_state(v) != WGW_NH_RESOLVED)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].dst = s->dst;
		out[n].via = s->via;
		out[n].ifindex = s->ifindex;
		wgw_nh_val_mac(v, out[n].mac);
		n++;
	}
	return n;
}

int wgw_nh_import(struct wgw_nh *nh, const struct wgw_nh_entry *e, uint32_t now)
{
	struct wgw_nh_table *t = nh->table;

	if (wgw_nh_lookup(t, &e->dst))
		return 0;
	if (!nh_insert(nh, t, &e->dst, &e->via, e->ifindex,
		       nh_pack(WGW_NH_RESOLVED, e->mac), now))
		return -ENOSPC;
	atomic_fetch_add(&nh->generation, 1);
	return 1;
}
