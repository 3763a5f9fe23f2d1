// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's side of the state file (state.h): a snapshot of the live
 * tables, taken by the control thread while the workers route, and the
 * restore into a fresh engine before any worker runs.
 *
 * The snapshot reads entries the way a worker's lookup does: a LIVE state
 * read with acquire makes the entry's fields valid, and only the control
 * thread (this one) unlinks, so nothing read is freed under it.  Entries
 * made during the walk may be missed; the next snapshot has them.  The
 * workers are never stopped or slowed: they share nothing with the walk
 * but cache lines they already read.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/engine_internal.h"
#include "gateway/state.h"

static uint32_t age(uint32_t now, uint32_t then)
{
	return now >= then ? now - then : 0;
}

int wgw_engine_state_save(struct wgw_engine *e, uint32_t now, struct wgw_state *st)
{
	struct wgw_sessions *s = &e->s;
	int slot_idx[WGW_ENGINE_MAX_BACKENDS];
	uint32_t *ordinal = NULL, max_maps, max_cids;

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&e->ctl);
	st->nat = e->nat_addr;
	st->nat_port_lo = e->nat_port_lo;
	st->nat_port_hi = e->nat_port_hi;
	st->n_nat_pool = s->n_nat - 1;
	/* Room for what the walk may find, with slack for entries made
	 * while it runs (beyond that they wait for the next snapshot). */
	max_maps = atomic_load(&s->n_maps);
	max_maps += max_maps / 8 + 64;
	if (max_maps > s->cap_maps)
		max_maps = s->cap_maps;
	max_cids = atomic_load(&s->n_cids);
	max_cids += max_cids / 8 + 64;
	if (max_cids > s->cap_cids)
		max_cids = s->cap_cids;
	st->backends = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*st->backends));
	st->maps = calloc(max_maps + 1, sizeof(*st->maps));
	st->cids = calloc(max_cids + 1, sizeof(*st->cids));
	st->nat_pool = calloc(s->n_nat, sizeof(*st->nat_pool));
	ordinal = calloc((size_t)s->cap_maps + 1, sizeof(*ordinal));
	if (!st->backends || !st->maps || !st->cids || !st->nat_pool || !ordinal) {
		pthread_mutex_unlock(&e->ctl);
		free(ordinal);
		wgw_state_free(st);
		return -ENOMEM;
	}
	memcpy(st->nat_pool, s->nat + 1, st->n_nat_pool * sizeof(*st->nat_pool));
	for (unsigned b = 0; b < WGW_ENGINE_MAX_BACKENDS; b++) {
		const struct wgw_backend_slot *bs = &e->slots[b];
		struct wgw_state_backend *sb = &st->backends[st->n_backends];

		slot_idx[b] = -1;
		if (!bs->in_use)
			continue;
		sb->addr = bs->addr;
		sb->port = bs->port;
		sb->weight = bs->weight;
		if (atomic_load(&e->be_state[b]) == WGW_BACKEND_DRAIN)
			sb->flags |= WGW_STATE_BE_DRAIN;
		slot_idx[b] = (int)st->n_backends++;
	}
	pthread_mutex_unlock(&e->ctl);

	for (uint32_t i = 1; i <= s->cap_maps && st->n_maps < max_maps; i++) {
		const struct wgw_map_ent *m = &s->maps[i];
		struct wgw_state_map *sm = &st->maps[st->n_maps];

		if (atomic_load_explicit(&m->state, memory_order_acquire) != WGW_ENT_LIVE ||
		    slot_idx[m->backend] < 0)
			continue;
		sm->client = m->client;
		sm->vip = m->vip;
		sm->cport = m->cport;
		sm->vport = m->vport;
		sm->nat_port = wgw_map_nat_port(m);
		sm->nat_k = m->nat_k;
		sm->backend = (uint32_t)slot_idx[m->backend];
		sm->idle_s = age(now, atomic_load_explicit(&m->last_seen, memory_order_relaxed));
		sm->age_s = age(now, s->map_cold[i].created);
		ordinal[i] = ++st->n_maps;
	}
	for (uint32_t i = 1; i <= s->cap_cids && st->n_cids < max_cids; i++) {
		const struct wgw_cid_ent *c = &s->cids[i];
		struct wgw_state_cid *sc = &st->cids[st->n_cids];
		uint32_t hint;

		if (atomic_load_explicit(&c->state, memory_order_acquire) != WGW_ENT_LIVE ||
		    slot_idx[c->backend] < 0)
			continue;
		sc->cid = c->cid;
		sc->backend = (uint32_t)slot_idx[c->backend];
		hint = atomic_load_explicit(&c->hint, memory_order_relaxed);
		sc->map = hint <= s->cap_maps ? ordinal[hint] : 0;
		sc->idle_s = age(now, atomic_load_explicit(&c->last_seen, memory_order_relaxed));
		st->n_cids++;
	}
	free(ordinal);
	return 0;
}

/* The slot of the backend at addr:port, or -1. */
static int slot_of(const struct wgw_engine *e, const struct wgw_state_backend *b)
{
	for (int i = 0; i < WGW_ENGINE_MAX_BACKENDS; i++)
		if (e->slots[i].in_use && e->slots[i].port == b->port &&
		    wgw_addr_eq(&e->slots[i].addr, &b->addr))
			return i;
	return -1;
}

/* A clock value idle seconds before now (0 if that is before the clock). */
static uint32_t before(uint32_t now, uint64_t idle)
{
	return idle < now ? now - (uint32_t)idle : 0;
}

int wgw_engine_state_restore(struct wgw_engine *e, uint32_t now, uint32_t downtime_s,
			     const struct wgw_state *st, struct wgw_state_result *res)
{
	struct wgw_sessions *s = &e->s;
	uint32_t map_idle = atomic_load(&e->map_idle_s), cid_idle = atomic_load(&e->cid_idle_s);
	uint32_t *idx = NULL;
	int *slot = NULL;
	bool touched[WGW_ENGINE_MAX_BACKENDS] = { false };
	bool same_ports;

	memset(res, 0, sizeof(*res));
	idx = calloc((size_t)st->n_maps + 1, sizeof(*idx));
	slot = calloc((size_t)st->n_backends + 1, sizeof(*slot));
	if (!idx || !slot) {
		free(idx);
		free(slot);
		return -ENOMEM;
	}
	pthread_mutex_lock(&e->ctl);
	for (uint32_t b = 0; b < st->n_backends; b++)
		slot[b] = slot_of(e, &st->backends[b]);
	same_ports = st->nat_port_lo == e->nat_port_lo && st->nat_port_hi == e->nat_port_hi;
	for (uint32_t i = 0; i < st->n_maps; i++) {
		const struct wgw_state_map *m = &st->maps[i];
		uint64_t idle = (uint64_t)m->idle_s + downtime_s;
		int b = slot[m->backend];
		/* its NAT address, wherever it is in this engine's pool */
		int k = m->nat_k > st->n_nat_pool ? -1 :
			wgw_engine_nat_find(e, m->nat_k ? &st->nat_pool[m->nat_k - 1] : &st->nat);

		if (!same_ports || k < 0) {
			res->maps_nat_changed++;
		} else if (idle >= map_idle) {
			res->maps_expired++;
		} else if (b < 0) {
			res->maps_no_backend++;
		} else if (wgw_map_restore(s, wgw_map_hash(s, &m->client, m->cport, &m->vip, m->vport),
					   &m->client, m->cport, &m->vip, m->vport, (unsigned)b,
					   (unsigned)k, m->nat_port, before(now, idle),
					   before(now, (uint64_t)m->age_s + downtime_s), &idx[i + 1])) {
			res->maps_refused++;
		} else {
			touched[b] = true;
			res->maps++;
		}
	}
	for (unsigned b = 0; b < WGW_ENGINE_MAX_BACKENDS; b++)
		if (touched[b])
			wgw_sessions_pool_rebuild(s, b);
	for (uint32_t i = 0; i < st->n_cids; i++) {
		const struct wgw_state_cid *c = &st->cids[i];
		uint64_t idle = (uint64_t)c->idle_s + downtime_s;
		static const union wgw_addr nosrc;
		const union wgw_addr *src = c->map ? &st->maps[c->map - 1].client : &nosrc;
		int b = slot[c->backend];
		uint32_t ci;

		if (idle >= cid_idle) {
			res->cids_expired++;
		} else if (b < 0) {
			res->cids_no_backend++;
		} else if (wgw_cid_learn(s, c->cid, (unsigned)b, src, before(now, idle), &ci)) {
			res->cids_refused++;
		} else {
			/* Its mapping, where that came back on the same backend. */
			if (c->map && idx[c->map] && s->maps[idx[c->map]].backend == b)
				atomic_store_explicit(&s->cids[ci].hint, idx[c->map],
						      memory_order_relaxed);
			res->cids++;
		}
	}
	pthread_mutex_unlock(&e->ctl);
	free(idx);
	free(slot);
	return 0;
}
