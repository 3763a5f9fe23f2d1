// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's control side: configuration checks, creation, the worker
 * thread hooks, expiry, and the admin changes (backends, their health,
 * VIPs, limits, quotas) published to the workers as new views.
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

/* ---- configuration -------------------------------------------------------- */

static bool addr_unspec(const union wgw_addr *a)
{
	return (a->q[0] == 0 && a->q[1] == 0) || (wgw_addr_is_v4(a) && a->w[3] == 0);
}

static const char *family_name(const union wgw_addr *a)
{
	return wgw_addr_is_v4(a) ? "IPv4" : "IPv6";
}

static int vips_validate(const struct wgw_vip *vips, unsigned n_vips,
			 const union wgw_addr *nat_addr, uint16_t nat_lo, uint16_t nat_hi,
			 char *err, size_t errlen)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (!n_vips || n_vips > WGW_ENGINE_MAX_VIPS) {
		snprintf(err, errlen, "%u VIPs: between 1 and %u expected", n_vips,
			 WGW_ENGINE_MAX_VIPS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n_vips; i++) {
		const struct wgw_vip *v = &vips[i];

		wgw_addr_str(&v->addr, a, sizeof(a));
		if (addr_unspec(&v->addr)) {
			snprintf(err, errlen, "VIP %u: the unspecified address %s is not a VIP", i, a);
			return -EINVAL;
		}
		if (!v->port_lo || v->port_lo > v->port_hi) {
			snprintf(err, errlen, "VIP %s: port range %u-%u: expected 1 <= low <= high",
				 a, v->port_lo, v->port_hi);
			return -EINVAL;
		}
		if (wgw_addr_is_v4(&v->addr) != wgw_addr_is_v4(nat_addr)) {
			snprintf(err, errlen,
				 "VIP %s is %s but the NAT address %s is %s: VIPs, backends and the NAT address must all be one address family",
				 a, family_name(&v->addr), wgw_addr_str(nat_addr, b, sizeof(b)),
				 family_name(nat_addr));
			return -EAFNOSUPPORT;
		}
		if (wgw_addr_eq(&v->addr, nat_addr) && v->port_lo <= nat_hi &&
		    nat_lo <= v->port_hi) {
			snprintf(err, errlen,
				 "VIP %s ports %u-%u overlap the NAT port range %u-%u on the same address",
				 a, v->port_lo, v->port_hi, nat_lo, nat_hi);
			return -EINVAL;
		}
	}
	return 0;
}

int wgw_engine_cfg_validate(const struct wgw_engine_cfg *cfg, char *err, size_t errlen)
{
	if (addr_unspec(&cfg->nat_addr)) {
		snprintf(err, errlen, "the NAT address must be set (an address on the LAN)");
		return -EINVAL;
	}
	if (!cfg->nat_port_lo || cfg->nat_port_lo > cfg->nat_port_hi) {
		snprintf(err, errlen, "NAT port range %u-%u: expected 1 <= low <= high",
			 cfg->nat_port_lo, cfg->nat_port_hi);
		return -EINVAL;
	}
	if (!cfg->n_threads || cfg->n_threads > WGW_ENGINE_MAX_THREADS) {
		snprintf(err, errlen, "%u worker threads: between 1 and %u expected",
			 cfg->n_threads, WGW_ENGINE_MAX_THREADS);
		return -EINVAL;
	}
	if (!cfg->max_cids || cfg->max_cids > WGW_ENGINE_MAX_ENTRIES ||
	    !cfg->max_mappings || cfg->max_mappings > WGW_ENGINE_MAX_ENTRIES) {
		snprintf(err, errlen, "table sizes %u CIDs, %u mappings: between 1 and %u expected",
			 cfg->max_cids, cfg->max_mappings, WGW_ENGINE_MAX_ENTRIES);
		return -EINVAL;
	}
	if (cfg->cid_idle_s > INT32_MAX || cfg->map_idle_s > INT32_MAX) {
		snprintf(err, errlen, "idle timeouts must be below %d s", INT32_MAX);
		return -EINVAL;
	}
	if (cfg->n_nat_pool >= WGW_ENGINE_MAX_NAT || (cfg->n_nat_pool && !cfg->nat_pool)) {
		snprintf(err, errlen, "%u NAT addresses: at most %u", cfg->n_nat_pool + 1,
			 WGW_ENGINE_MAX_NAT);
		return -EINVAL;
	}
	for (unsigned i = 0; i < cfg->n_nat_pool; i++) {
		const union wgw_addr *a = &cfg->nat_pool[i];
		char s[INET6_ADDRSTRLEN];

		wgw_addr_str(a, s, sizeof(s));
		if (addr_unspec(a) || wgw_addr_is_v4(a) != wgw_addr_is_v4(&cfg->nat_addr)) {
			snprintf(err, errlen, "NAT address %s: the pool's addresses must be set and of one family",
				 s);
			return -EINVAL;
		}
		if (wgw_addr_eq(a, &cfg->nat_addr)) {
			snprintf(err, errlen, "NAT address %s given twice", s);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++)
			if (wgw_addr_eq(a, &cfg->nat_pool[j])) {
				snprintf(err, errlen, "NAT address %s given twice", s);
				return -EINVAL;
			}
		for (unsigned j = 0; j < cfg->n_vips; j++)
			if (wgw_addr_eq(a, &cfg->vips[j].addr)) {
				snprintf(err, errlen, "NAT address %s is also a VIP", s);
				return -EINVAL;
			}
	}
	return vips_validate(cfg->vips, cfg->n_vips, &cfg->nat_addr, cfg->nat_port_lo,
			     cfg->nat_port_hi, err, errlen);
}

/* The pool, nat_addr first, into the session store's configuration and
 * the engine's lookup by address. */
static void engine_nat_pool(struct wgw_engine *e, const struct wgw_engine_cfg *cfg,
			    union wgw_addr *pool, struct wgw_sessions_cfg *scfg)
{
	pool[0] = cfg->nat_addr;
	if (cfg->n_nat_pool)
		memcpy(pool + 1, cfg->nat_pool, cfg->n_nat_pool * sizeof(*pool));
	scfg->nat = pool;
	scfg->n_nat = cfg->n_nat_pool + 1;
	for (unsigned k = 0; k < scfg->n_nat; k++) {
		uint32_t b = wgw_nat_hash(&pool[k]);

		while (e->nat_by[b])
			b = (b + 1) & (WGW_NAT_BUCKETS - 1);
		e->nat_by[b] = (uint16_t)(k + 1);
	}
	e->pool = cfg->n_nat_pool > 0;
}

/* ---- creation and threads ------------------------------------------------- */

struct wgw_engine *wgw_engine_create(const struct wgw_engine_cfg *cfg)
{
	struct wgw_sessions_cfg scfg = {
		.max_cids = cfg->max_cids,
		.max_mappings = cfg->max_mappings,
		.maps_per_src = cfg->max_maps_per_source,
		.cids_per_src = cfg->max_cids_per_source,
		.nat_port_lo = cfg->nat_port_lo,
		.nat_port_hi = cfg->nat_port_hi,
		.key = cfg->hash_key,
	};
	union wgw_addr pool[WGW_ENGINE_MAX_NAT];
	struct wgw_engine *e;
	struct wgw_view *v;
	char msg[256];
	int err;

	err = wgw_engine_cfg_validate(cfg, msg, sizeof(msg));
	if (err) {
		wgw_err("engine: %s", msg);
		errno = -err;
		return NULL;
	}
	e = aligned_alloc(WGW_CACHELINE, (sizeof(*e) + WGW_CACHELINE - 1) & ~(size_t)(WGW_CACHELINE - 1));
	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->nat_addr = cfg->nat_addr;
	e->nat_port_lo = cfg->nat_port_lo;
	e->nat_port_hi = cfg->nat_port_hi;
	e->nat_port_span = (uint16_t)(cfg->nat_port_hi - cfg->nat_port_lo);
	e->family = wgw_addr_is_v4(&cfg->nat_addr) ? AF_INET : AF_INET6;
	e->fast4 = e->family == AF_INET && !cfg->general_path_only;
	e->prefetch = !cfg->no_prefetch;
	engine_nat_pool(e, cfg, pool, &scfg);
	atomic_init(&e->cid_idle_s, cfg->cid_idle_s ? cfg->cid_idle_s : WGW_CID_IDLE_S_DEFAULT);
	atomic_init(&e->map_idle_s, cfg->map_idle_s ? cfg->map_idle_s : WGW_MAP_IDLE_S_DEFAULT);
	memcpy(e->vips, cfg->vips, cfg->n_vips * sizeof(*cfg->vips));
	e->n_vips = cfg->n_vips;

	err = wgw_sessions_init(&e->s, &scfg);
	if (err)
		goto err_free_engine;
	e->src_key = e->s.key[0] ^ e->s.key[5];

	e->n_threads = cfg->n_threads;
	e->readers = aligned_alloc(WGW_CACHELINE, e->n_threads * sizeof(*e->readers));
	if (!e->readers) {
		err = -ENOMEM;
		goto err_fini_sessions;
	}
	e->threads = aligned_alloc(WGW_CACHELINE, e->n_threads * sizeof(*e->threads));
	if (!e->threads) {
		err = -ENOMEM;
		goto err_free_readers;
	}
	memset(e->threads, 0, e->n_threads * sizeof(*e->threads));
	for (unsigned i = 0; i < e->n_threads; i++) {
		e->threads[i].e = e;
		e->threads[i].id = i;
	}
	wgw_qsbr_init(&e->q, e->readers, e->n_threads);

	v = wgw_view_build(e->slots, e->be_state, e->vips, e->n_vips, e->s.nat, e->s.n_nat,
			   e->src_key);
	if (!v) {
		err = -ENOMEM;
		goto err_free_threads;
	}
	atomic_init(&e->view, v);
	err = -pthread_mutex_init(&e->ctl, NULL);
	if (err)
		goto err_free_view;
	return e;

err_free_view:
	free(v);
err_free_threads:
	free(e->threads);
err_free_readers:
	free(e->readers);
err_fini_sessions:
	wgw_sessions_fini(&e->s);
err_free_engine:
	free(e);
	errno = -err;
	return NULL;
}

void wgw_engine_destroy(struct wgw_engine *e)
{
	if (!e)
		return;
	pthread_mutex_destroy(&e->ctl);
	while (e->retired) {
		struct wgw_view *v = e->retired;

		e->retired = v->retired_next;
		free(v);
	}
	free(atomic_load(&e->view));
	free(e->threads);
	free(e->readers);
	wgw_sessions_fini(&e->s);
	free(e);
}

struct wgw_engine_thread *wgw_engine_thread_attach(struct wgw_engine *e, unsigned thread_id)
{
	struct wgw_engine_thread *t;
	bool no = false;

	if (thread_id >= e->n_threads) {
		errno = EINVAL;
		return NULL;
	}
	t = &e->threads[thread_id];
	if (!atomic_compare_exchange_strong(&t->attached, &no, true)) {
		errno = EBUSY;
		return NULL;
	}
	wgw_qsbr_online(&e->q, &e->readers[thread_id]);
	return t;
}

void wgw_engine_thread_detach(struct wgw_engine_thread *t)
{
	wgw_qsbr_offline(&t->e->readers[t->id]);
	atomic_store(&t->attached, false);
}

void wgw_engine_thread_set_store(struct wgw_engine_thread *t,
				 const struct wgw_engine_store_hooks *h)
{
	t->store = h;
}

void wgw_engine_quiescent(struct wgw_engine_thread *t)
{
	wgw_qsbr_quiescent(&t->e->q, &t->e->readers[t->id]);
}

void wgw_engine_thread_offline(struct wgw_engine_thread *t)
{
	wgw_qsbr_offline(&t->e->readers[t->id]);
}

void wgw_engine_thread_online(struct wgw_engine_thread *t)
{
	wgw_qsbr_online(&t->e->q, &t->e->readers[t->id]);
}

/* ---- control: expiry ------------------------------------------------------ */

static void views_reap(struct wgw_engine *e);

unsigned wgw_engine_expire(struct wgw_engine *e, uint32_t now, uint32_t budget)
{
	struct wgw_expire_result res;

	pthread_mutex_lock(&e->ctl);
	wgw_sessions_expire(&e->s, &e->q, now, budget,
			    atomic_load_explicit(&e->cid_idle_s, memory_order_relaxed),
			    atomic_load_explicit(&e->map_idle_s, memory_order_relaxed), &res);
	cnt_add(&e->ctl_ctr[WGW_CTR_MAP_EXPIRED], res.maps);
	cnt_add(&e->ctl_ctr[WGW_CTR_CID_EXPIRED], res.cids);
	views_reap(e);
	pthread_mutex_unlock(&e->ctl);
	return res.maps + res.cids;
}

uint32_t wgw_engine_cid_walk(struct wgw_engine *e, uint32_t cursor, uint32_t budget,
			     uint32_t since,
			     void (*cb)(void *arg, uint64_t cid, const union wgw_addr *backend,
					uint16_t port),
			     void *arg)
{
	struct wgw_sessions *s = &e->s;
	uint32_t i = cursor ? cursor : 1, end;

	pthread_mutex_lock(&e->ctl);
	end = budget < s->cap_cids ? i + budget : s->cap_cids + 1;
	if (end > s->cap_cids + 1 || end < i)
		end = s->cap_cids + 1;
	for (; i < end; i++) {
		const struct wgw_cid_ent *c = &s->cids[i];
		uint32_t seen;

		if (atomic_load_explicit(&c->state, memory_order_acquire) != WGW_ENT_LIVE)
			continue;
		seen = atomic_load_explicit(&c->last_seen, memory_order_relaxed);
		if ((int32_t)(seen - since) < 0)
			continue;
		cb(arg, c->cid, &e->slots[c->backend].addr, e->slots[c->backend].port);
	}
	pthread_mutex_unlock(&e->ctl);
	return i > s->cap_cids ? 0 : i;
}

uint32_t wgw_engine_cid_idle_s(struct wgw_engine *e)
{
	return atomic_load_explicit(&e->cid_idle_s, memory_order_relaxed);
}

/* ---- control: admin -------------------------------------------------------- */

/* Free the replaced views every reader is done with. */
static void views_reap(struct wgw_engine *e)
{
	struct wgw_view **pv = &e->retired;

	while (*pv) {
		struct wgw_view *v = *pv;

		if (wgw_qsbr_poll(&e->q, v->retired_gp)) {
			*pv = v->retired_next;
			free(v);
		} else {
			pv = &v->retired_next;
		}
	}
}

/* Publish a view of the current slots and VIPs.  Never blocks: the old one
 * is freed by a later admin call or expiry once a grace period has passed
 * (a stuck worker delays that, not the reload). */
static int view_publish(struct wgw_engine *e)
{
	struct wgw_view *v = wgw_view_build(e->slots, e->be_state, e->vips, e->n_vips,
					    e->s.nat, e->s.n_nat, e->src_key);

	if (!v)
		return -ENOMEM;
	v = atomic_exchange_explicit(&e->view, v, memory_order_acq_rel);
	v->retired_gp = wgw_qsbr_start(&e->q);
	v->retired_next = e->retired;
	e->retired = v;
	views_reap(e);
	return 0;
}

static int slot_find(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port)
{
	for (int i = 0; i < WGW_ENGINE_MAX_BACKENDS; i++)
		if (e->slots[i].in_use && e->slots[i].port == port &&
		    wgw_addr_eq(&e->slots[i].addr, addr))
			return i;
	return -1;
}

static void be_set_state(struct wgw_engine *e, int slot, enum wgw_backend_state st)
{
	atomic_store(&e->be_state[slot], (uint8_t)st);
	atomic_store(&e->be_live[slot], st != WGW_BACKEND_DOWN);
}

int wgw_engine_backend_add(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port,
			   uint32_t weight)
{
	struct wgw_backend_slot *bs;
	int slot, err;

	if (wgw_addr_is_v4(addr) != wgw_addr_is_v4(&e->nat_addr))
		return -EAFNOSUPPORT;
	if (!port || !weight || weight > WGW_ENGINE_MAX_WEIGHT || addr_unspec(addr))
		return -EINVAL;
	pthread_mutex_lock(&e->ctl);
	if (slot_find(e, addr, port) >= 0) {
		err = -EEXIST;
		goto out_unlock;
	}
	for (slot = 0; slot < WGW_ENGINE_MAX_BACKENDS && e->slots[slot].in_use; slot++)
		;
	if (slot == WGW_ENGINE_MAX_BACKENDS) {
		err = -ENOSPC;
		goto out_unlock;
	}
	/* what a LAN-bound rewrite writes on this slot: every mapping's
	 * checksum change is computed from it (sessions.h) */
	e->s.slot_nat[slot].addr_sum = wgw_csum_add16b(wgw_csum_add16b(0, e->nat_addr.b),
						       addr->b);
	e->s.slot_nat[slot].port_be = htons(port);
	err = wgw_sessions_slot_init(&e->s, (unsigned)slot);
	if (err)
		goto out_unlock;
	bs = &e->slots[slot];
	bs->addr = *addr;
	bs->port = port;
	bs->port_be = htons(port);
	bs->lan_dport4 = wgw_ports_word(0, bs->port_be);
	bs->wan_pseudo = wgw_fold64(wgw_csum_add16b(wgw_csum_add16b(htons(IPPROTO_UDP), addr->b),
						    e->nat_addr.b));
	bs->lan_addrs4 = 0;
	if (e->family == AF_INET)
		bs->lan_addrs4 = wgw_addrs4_word(wgw_addr_v4(&e->nat_addr), wgw_addr_v4(addr));
	bs->weight = weight;
	bs->rdv = wgw_rdv_hash(addr, port, WGW_RDV_KEY_BACKEND);
	/* no worker counts for this slot now: it had no mapping since the
	 * grace periods of the previous backend's removal */
	wgw_engine_slot_pkts(e, slot, &bs->base_to, &bs->base_from);
	bs->in_use = true;
	__atomic_store_n(&bs->health_down, false, __ATOMIC_RELAXED); /* cid_bind reads it */
	be_set_state(e, slot, WGW_BACKEND_UP);
	err = view_publish(e);
	if (err) {
		be_set_state(e, slot, WGW_BACKEND_DOWN);
		bs->in_use = false;
		goto out_unlock;
	}
	err = slot;
out_unlock:
	pthread_mutex_unlock(&e->ctl);
	return err;
}

/*
 * Release every mapping and CID of slot (ctl lock held), the backend staying
 * in its slot:
 * 1. DOWN: workers stop finding its mappings and CIDs, stop choosing
 *    it and stop accepting its packets (view);
 * 2. grace period: no worker is still inside a
 *    batch that saw it live, so nothing new can appear on the slot;
 * 3. limbo flushed, then every mapping and CID of the slot unlinked;
 * 4. grace period, then their entries and ports are freed.
 * The slot is left DOWN.
 */
static void slot_release(struct wgw_engine *e, int slot)
{
	struct wgw_expire_result res = { 0 };
	uint32_t n_maps, n_cids;

	be_set_state(e, slot, WGW_BACKEND_DOWN);
	while (view_publish(e) == -ENOMEM) {
		/* a view must go out: the old one still lists the backend */
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	wgw_qsbr_synchronize(&e->q);
	wgw_sessions_reclaim(&e->s, &e->q, true, NULL);
	n_maps = atomic_load(&e->s.be_maps[slot]);
	n_cids = atomic_load(&e->s.be_cids[slot]);
	wgw_sessions_slot_purge(&e->s, (unsigned)slot);
	wgw_qsbr_synchronize(&e->q);
	wgw_sessions_reclaim(&e->s, &e->q, true, &res);
	cnt_add(&e->ctl_ctr[WGW_CTR_MAP_PURGED], n_maps);
	cnt_add(&e->ctl_ctr[WGW_CTR_CID_PURGED], n_cids);
}

int wgw_engine_backend_remove(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port)
{
	int slot, err = 0;

	pthread_mutex_lock(&e->ctl);
	slot = slot_find(e, addr, port);
	if (slot < 0) {
		err = -ENOENT;
		goto out_unlock;
	}
	slot_release(e, slot);
	/* no mapping left, none in limbo: the slot can be reused */
	e->slots[slot].in_use = false;
	__atomic_store_n(&e->slots[slot].health_down, false, __ATOMIC_RELAXED);
	views_reap(e);
out_unlock:
	pthread_mutex_unlock(&e->ctl);
	return err;
}

/* Apply a health change to slot (ctl lock held). */
static void slot_set_health(struct wgw_engine *e, int slot, bool down)
{
	enum wgw_backend_state st = (enum wgw_backend_state)atomic_load(&e->be_state[slot]);

	if (e->slots[slot].health_down == down)
		return;
	/* a worker's wgw_engine_cid_bind() reads it */
	__atomic_store_n(&e->slots[slot].health_down, down, __ATOMIC_RELAXED);
	if (down) {
		/* its sessions died with it: a client's re-handshake from the
		 * same endpoint must not follow the old mapping to it */
		slot_release(e, slot);
		be_set_state(e, slot, st);
	}
	while (view_publish(e) == -ENOMEM) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
}

int wgw_engine_backend_set_health(struct wgw_engine *e, const union wgw_addr *addr,
				  uint16_t port, bool down)
{
	int slot;

	pthread_mutex_lock(&e->ctl);
	slot = slot_find(e, addr, port);
	if (slot >= 0)
		slot_set_health(e, slot, down);
	pthread_mutex_unlock(&e->ctl);
	return slot >= 0 ? 0 : -ENOENT;
}

static int backend_change(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port,
			  int state, uint32_t weight)
{
	uint32_t old_weight;
	uint8_t old_state;
	int slot, err;

	pthread_mutex_lock(&e->ctl);
	slot = slot_find(e, addr, port);
	if (slot < 0) {
		err = -ENOENT;
		goto out_unlock;
	}
	old_state = atomic_load(&e->be_state[slot]);
	old_weight = e->slots[slot].weight;
	if (state >= 0)
		be_set_state(e, slot, (enum wgw_backend_state)state);
	if (weight)
		e->slots[slot].weight = weight;
	err = view_publish(e);
	if (err) {
		be_set_state(e, slot, (enum wgw_backend_state)old_state);
		e->slots[slot].weight = old_weight;
	}
out_unlock:
	pthread_mutex_unlock(&e->ctl);
	return err;
}

int wgw_engine_backend_drain(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port)
{
	return backend_change(e, addr, port, WGW_BACKEND_DRAIN, 0);
}

int wgw_engine_backend_undrain(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port)
{
	return backend_change(e, addr, port, WGW_BACKEND_UP, 0);
}

int wgw_engine_backend_set_weight(struct wgw_engine *e, const union wgw_addr *addr,
				  uint16_t port, uint32_t weight)
{
	if (!weight || weight > WGW_ENGINE_MAX_WEIGHT)
		return -EINVAL;
	return backend_change(e, addr, port, -1, weight);
}

int wgw_engine_set_vips(struct wgw_engine *e, const struct wgw_vip *vips, unsigned n_vips)
{
	struct wgw_vip old[WGW_ENGINE_MAX_VIPS];
	unsigned n_old;
	char msg[256];
	int err;

	err = vips_validate(vips, n_vips, &e->nat_addr, e->nat_port_lo, e->nat_port_hi,
			    msg, sizeof(msg));
	if (err) {
		wgw_err("engine: %s", msg);
		return err;
	}
	pthread_mutex_lock(&e->ctl);
	memcpy(old, e->vips, sizeof(old));
	n_old = e->n_vips;
	memcpy(e->vips, vips, n_vips * sizeof(*vips));
	e->n_vips = n_vips;
	err = view_publish(e);
	if (err) {
		memcpy(e->vips, old, sizeof(old));
		e->n_vips = n_old;
	}
	pthread_mutex_unlock(&e->ctl);
	return err;
}

int wgw_engine_set_limits(struct wgw_engine *e, uint32_t max_cids, uint32_t max_mappings,
			  uint32_t cid_idle_s, uint32_t map_idle_s)
{
	if (max_cids > e->s.cap_cids || max_mappings > e->s.cap_maps)
		return -ERANGE;
	if (cid_idle_s > INT32_MAX || map_idle_s > INT32_MAX)
		return -EINVAL;
	if (max_cids)
		atomic_store(&e->s.lim_cids, max_cids);
	if (max_mappings)
		atomic_store(&e->s.lim_maps, max_mappings);
	if (cid_idle_s)
		atomic_store(&e->cid_idle_s, cid_idle_s);
	if (map_idle_s)
		atomic_store(&e->map_idle_s, map_idle_s);
	return 0;
}

void wgw_engine_set_source_quotas(struct wgw_engine *e, uint32_t maps_per_source,
				  uint32_t cids_per_source)
{
	wgw_sessions_set_quotas(&e->s, maps_per_source, cids_per_source);
}
