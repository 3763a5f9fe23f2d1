// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the engine tells the control plane: the names of its counters and
 * states, statistics, the backends, session lookups and listings, and the
 * consistency check.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "gateway/csum_internal.h"
#include "gateway/engine_internal.h"
#include "gateway/log.h"

static const char *const drop_names[WGW_DROP_REASON_MAX] = {
	[WGW_DROP_NONE] = "none",
	[WGW_DROP_NOT_UDP] = "not-udp",
	[WGW_DROP_FAMILY] = "family",
	[WGW_DROP_NOT_VIP] = "not-vip",
	[WGW_DROP_NO_BACKEND] = "no-backend",
	[WGW_DROP_MAP_FULL] = "mappings-full",
	[WGW_DROP_PORTS_FULL] = "nat-ports-full",
	[WGW_DROP_NOT_NAT] = "not-nat",
	[WGW_DROP_BAD_SOURCE] = "bad-source",
	[WGW_DROP_NO_MAPPING] = "no-mapping",
	[WGW_DROP_SHORT] = "short",
	[WGW_DROP_CID0] = "cid-zero",
	[WGW_DROP_BAD_CSUM] = "bad-checksum",
	[WGW_DROP_TTL] = "ttl-exceeded",
	[WGW_DROP_MARTIAN] = "martian-source",
	[WGW_DROP_SPOOFED] = "spoofed-source",
	[WGW_DROP_HS_RATE] = "handshake-rate",
	[WGW_DROP_SOURCE_QUOTA] = "source-quota",
};

static const char *const ctr_names[WGW_CTR_MAX] = {
	[WGW_CTR_RX_CLIENT] = "rx-client",
	[WGW_CTR_RX_BACKEND] = "rx-backend",
	[WGW_CTR_TO_LAN] = "to-lan",
	[WGW_CTR_TO_WAN] = "to-wan",
	[WGW_CTR_DROP] = "drop",
	[WGW_CTR_MAP_CREATED] = "mappings-created",
	[WGW_CTR_MAP_REFUSED] = "mappings-refused",
	[WGW_CTR_CID_LEARNED] = "cids-learned",
	[WGW_CTR_CID_REFUSED] = "cids-refused",
	[WGW_CTR_CID_CONFLICT] = "cid-conflicts",
	[WGW_CTR_CID_MIGRATED] = "cid-migrations",
	[WGW_CTR_CSUM_FULL] = "csum-recomputed",
	[WGW_CTR_MAP_EXPIRED] = "mappings-expired",
	[WGW_CTR_CID_EXPIRED] = "cids-expired",
	[WGW_CTR_MAP_PURGED] = "mappings-purged",
	[WGW_CTR_CID_PURGED] = "cids-purged",
	[WGW_CTR_CID_QUOTA] = "cids-over-quota",
};

const char *wgw_drop_reason_name(enum wgw_drop_reason r)
{
	return (unsigned)r < WGW_DROP_REASON_MAX ? drop_names[r] : "?";
}

const char *wgw_engine_ctr_name(enum wgw_engine_ctr c)
{
	return (unsigned)c < WGW_CTR_MAX ? ctr_names[c] : "?";
}

const char *wgw_backend_state_name(enum wgw_backend_state st)
{
	switch (st) {
	case WGW_BACKEND_DOWN: return "down";
	case WGW_BACKEND_UP: return "up";
	case WGW_BACKEND_DRAIN: return "drain";
	}
	return "?";
}

/* ---- statistics ------------------------------------------------------------- */

void wgw_engine_slot_pkts(struct wgw_engine *e, int slot, uint64_t *to, uint64_t *from)
{
	*to = *from = 0;
	for (unsigned t = 0; t < e->n_threads; t++) {
		*to += atomic_load_explicit(&e->threads[t].be_to[slot], memory_order_relaxed);
		*from += atomic_load_explicit(&e->threads[t].be_from[slot], memory_order_relaxed);
	}
}

static void thread_sum(const struct wgw_engine_thread *t, struct wgw_engine_stats *st)
{
	uint64_t to = 0, from = 0;

	for (unsigned c = 0; c < WGW_CTR_MAX; c++)
		st->ctr[c] += atomic_load_explicit(&t->ctr[c], memory_order_relaxed);
	for (unsigned b = 0; b < WGW_ENGINE_MAX_BACKENDS; b++) {
		to += atomic_load_explicit(&t->be_to[b], memory_order_relaxed);
		from += atomic_load_explicit(&t->be_from[b], memory_order_relaxed);
	}
	/* see struct wgw_engine_thread */
	st->ctr[WGW_CTR_TO_LAN] += to;
	st->ctr[WGW_CTR_RX_CLIENT] += to;
	st->ctr[WGW_CTR_TO_WAN] += from;
	st->ctr[WGW_CTR_RX_BACKEND] += from;
	for (unsigned r = 0; r < WGW_DROP_REASON_MAX; r++)
		st->drop[r] += atomic_load_explicit(&t->drop[r], memory_order_relaxed);
}

static void table_stats(struct wgw_engine *e, struct wgw_engine_stats *st)
{
	struct wgw_sessions *s = &e->s;

	st->n_cids = atomic_load(&s->n_cids);
	st->n_mappings = atomic_load(&s->n_maps);
	st->cap_cids = s->cap_cids;
	st->cap_mappings = s->cap_maps;
	st->lim_cids = atomic_load(&s->lim_cids);
	st->lim_mappings = atomic_load(&s->lim_maps);
	st->mem_bytes = s->mem_bytes;
}

void wgw_engine_get_stats(struct wgw_engine *e, struct wgw_engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < e->n_threads; i++)
		thread_sum(&e->threads[i], st);
	for (unsigned c = 0; c < WGW_CTR_MAX; c++)
		st->ctr[c] += atomic_load_explicit(&e->ctl_ctr[c], memory_order_relaxed);
	pthread_mutex_lock(&e->ctl);
	table_stats(e, st);
	st->limbo_cids = e->s.fresh.n_cids + e->s.waiting.n_cids;
	st->limbo_mappings = e->s.fresh.n_maps + e->s.waiting.n_maps;
	pthread_mutex_unlock(&e->ctl);
}

void wgw_engine_thread_stats(struct wgw_engine_thread *t, struct wgw_engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	thread_sum(t, st);
	table_stats(t->e, st);
}

unsigned wgw_engine_backends(struct wgw_engine *e, struct wgw_backend_info *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&e->ctl);
	for (int i = 0; i < WGW_ENGINE_MAX_BACKENDS; i++) {
		struct wgw_backend_info *bi;

		if (!e->slots[i].in_use)
			continue;
		if (n++ >= max)
			continue;
		bi = &out[n - 1];
		memset(bi, 0, sizeof(*bi));
		bi->addr = e->slots[i].addr;
		bi->port = e->slots[i].port;
		bi->slot = i;
		bi->state = (enum wgw_backend_state)atomic_load(&e->be_state[i]);
		bi->weight = e->slots[i].weight;
		bi->mappings = atomic_load(&e->s.be_maps[i]);
		bi->cids = atomic_load(&e->s.be_cids[i]);
		bi->nat_capacity = e->s.n_slots;
		bi->nat_exhausted = atomic_load(&e->s.be_full[i]);
		wgw_engine_slot_pkts(e, i, &bi->pkts_to, &bi->pkts_from);
		bi->pkts_to -= e->slots[i].base_to;
		bi->pkts_from -= e->slots[i].base_from;
	}
	pthread_mutex_unlock(&e->ctl);
	return n;
}

/* ---- introspection --------------------------------------------------------- */
/* Under the control mutex nothing is freed (only the control side frees), so
 * live entries read here stay valid; fields of a live entry never change. */

static uint32_t idle(uint32_t now, _Atomic uint32_t *last)
{
	int32_t d = (int32_t)(now - atomic_load_explicit(last, memory_order_relaxed));

	return d > 0 ? (uint32_t)d : 0;
}

static void session_info(struct wgw_engine *e, uint32_t i, uint32_t now,
			 struct wgw_session_info *si)
{
	struct wgw_map_ent *m = &e->s.maps[i];

	si->client = m->client;
	si->cport = m->cport;
	si->vip = m->vip;
	si->vport = m->vport;
	si->slot = m->backend;
	si->backend = e->slots[m->backend].addr;
	si->backend_port = e->slots[m->backend].port;
	si->nat_port = wgw_map_nat_port(m);
	si->nat = e->s.nat[m->nat_k];
	si->idle_s = idle(now, &m->last_seen);
	si->age_s = (int32_t)(now - e->s.map_cold[i].created) > 0 ? now - e->s.map_cold[i].created : 0;
}

int wgw_engine_lookup_cid(struct wgw_engine *e, uint64_t cid, uint32_t now,
			  struct wgw_cid_info *out)
{
	uint32_t ci;
	int err = -ENOENT;

	pthread_mutex_lock(&e->ctl);
	ci = wgw_cid_find(&e->s, cid);
	if (ci) {
		struct wgw_cid_ent *c = &e->s.cids[ci];

		out->cid = cid;
		out->slot = c->backend;
		out->backend = e->slots[c->backend].addr;
		out->backend_port = e->slots[c->backend].port;
		out->idle_s = idle(now, &c->last_seen);
		err = 0;
	}
	pthread_mutex_unlock(&e->ctl);
	return err;
}

static bool map_live(struct wgw_engine *e, uint32_t i)
{
	return atomic_load_explicit(&e->s.maps[i].state, memory_order_acquire) == WGW_ENT_LIVE;
}

unsigned wgw_engine_lookup_client(struct wgw_engine *e, const union wgw_addr *addr,
				  uint16_t port, uint32_t now,
				  struct wgw_session_info *out, unsigned max)
{
	unsigned n = 0;

	pthread_mutex_lock(&e->ctl);
	for (uint32_t i = 1; i <= e->s.cap_maps; i++) {
		if (!map_live(e, i) || e->s.maps[i].cport != port ||
		    !wgw_addr_eq(&e->s.maps[i].client, addr))
			continue;
		if (n < max)
			session_info(e, i, now, &out[n]);
		n++;
	}
	pthread_mutex_unlock(&e->ctl);
	return n;
}

unsigned wgw_engine_list_sessions(struct wgw_engine *e, uint32_t now, unsigned limit,
				  int (*cb)(const struct wgw_session_info *, void *),
				  void *arg)
{
	struct wgw_session_info si;
	unsigned n = 0;

	pthread_mutex_lock(&e->ctl);
	for (uint32_t i = 1; i <= e->s.cap_maps && (!limit || n < limit); i++) {
		if (!map_live(e, i))
			continue;
		session_info(e, i, now, &si);
		n++;
		if (cb(&si, arg))
			break;
	}
	pthread_mutex_unlock(&e->ctl);
	return n;
}

int wgw_engine_check(struct wgw_engine *e, char *err, size_t errlen)
{
	bool in_use[WGW_ENGINE_MAX_BACKENDS];
	int ret;

	pthread_mutex_lock(&e->ctl);
	for (unsigned i = 0; i < WGW_ENGINE_MAX_BACKENDS; i++)
		in_use[i] = e->slots[i].in_use;
	ret = wgw_sessions_check(&e->s, in_use, err, errlen);
	pthread_mutex_unlock(&e->ctl);
	return ret;
}
