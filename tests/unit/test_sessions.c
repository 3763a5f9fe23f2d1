// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's tables (gateway/sessions.c) against a naive reference: arrays
 * and linear search, thousands of random learn / create / lookup / touch /
 * expire / purge operations, the same answers (WireGuard
 * selftest/allowedips.c style), per-source quotas included.  Plus the
 * deferred reclamation rules, the lock-free free lists under concurrent
 * pop/push, and the per-source quotas against floods.
 */
#include "config.h"

#include <check.h>
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/qsbr.h"
#include "gateway/sessions.h"

static const uint64_t test_key[6] = { 1, 3, 5, 7, 11, 13 };

/* xorshift64*: reproducible random operations */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}
static uint32_t rndn(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* ---- reference model ----------------------------------------------------- */

#define R_CAP_CIDS 120
#define R_CAP_MAPS 100
#define R_PORT_LO 1000
#define R_PORT_HI 1039 /* 40 ports per backend */
#define R_BACKENDS 4

struct ref_cid { bool live; uint64_t cid; unsigned backend; uint32_t last; union wgw_addr src; };
struct ref_map {
	bool live;
	union wgw_addr client, vip;
	uint16_t cport, vport, port;
	unsigned backend;
	uint32_t last;
	uint64_t seq;
};

static struct ref_cid rc[R_CAP_CIDS * 2];
static struct ref_map rm[R_CAP_MAPS * 4];
static unsigned n_rc, n_rm;
static uint64_t seq;

static int ref_cid_find(uint64_t cid)
{
	for (unsigned i = 0; i < n_rc; i++)
		if (rc[i].live && rc[i].cid == cid)
			return (int)i;
	return -1;
}

static unsigned ref_cid_count(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_rc; i++)
		n += rc[i].live;
	return n;
}

/* Live entries of one source: by its exact address (IPv4 here); the test
 * makes sure its sources have counters of their own. */
static unsigned ref_src_cids(const union wgw_addr *src)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_rc; i++)
		n += rc[i].live && wgw_addr_eq(&rc[i].src, src);
	return n;
}

static unsigned ref_src_maps(const union wgw_addr *src)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_rm; i++)
		n += rm[i].live && wgw_addr_eq(&rm[i].client, src);
	return n;
}

static unsigned ref_map_count(int backend)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_rm; i++)
		n += rm[i].live && (backend < 0 || rm[i].backend == (unsigned)backend);
	return n;
}

static int ref_map_find(const union wgw_addr *c, uint16_t cport, const union wgw_addr *v,
			uint16_t vport, int backend)
{
	int best = -1;

	for (unsigned i = 0; i < n_rm; i++) {
		if (!rm[i].live || rm[i].cport != cport || rm[i].vport != vport ||
		    !wgw_addr_eq(&rm[i].client, c) || !wgw_addr_eq(&rm[i].vip, v))
			continue;
		if (backend >= 0 && rm[i].backend != (unsigned)backend)
			continue;
		if (best < 0 || rm[i].seq > rm[best].seq)
			best = (int)i;
	}
	return best;
}

static void ref_compact(void)
{
	unsigned j = 0;

	for (unsigned i = 0; i < n_rc; i++)
		if (rc[i].live)
			rc[j++] = rc[i];
	n_rc = j;
	j = 0;
	for (unsigned i = 0; i < n_rm; i++)
		if (rm[i].live)
			rm[j++] = rm[i];
	n_rm = j;
}

static void mk_addr(union wgw_addr *a, unsigned n)
{
	memset(a, 0, sizeof(*a));
	a->w[2] = htonl(0xffff);
	a->w[3] = htonl(0x0a000000 | n);
}

/* ---- tests ---------------------------------------------------------------- */

static struct wgw_sessions *sess_newq(uint32_t cids, uint32_t maps, uint16_t lo, uint16_t hi,
				      uint32_t maps_per_src, uint32_t cids_per_src)
{
	struct wgw_sessions_cfg cfg = {
		.max_cids = cids, .max_mappings = maps,
		.maps_per_src = maps_per_src, .cids_per_src = cids_per_src,
		.nat_port_lo = lo, .nat_port_hi = hi, .key = test_key,
	};
	struct wgw_sessions *s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(wgw_sessions_init(s, &cfg), 0);
	return s;
}

static struct wgw_sessions *sess_new(uint32_t cids, uint32_t maps, uint16_t lo, uint16_t hi)
{
	return sess_newq(cids, maps, lo, hi, 0, 0);
}

static void sess_free(struct wgw_sessions *s)
{
	wgw_sessions_fini(s);
	free(s);
}

/* wgw_sessions_check() with slots 0..n_slots-1 in use; fails the test with
 * its message. */
static void sess_check(struct wgw_sessions *s, unsigned n_slots)
{
	bool in_use[WGW_MAX_BACKENDS] = { false };
	char err[256];
	int ret;

	for (unsigned b = 0; b < n_slots; b++)
		in_use[b] = true;
	ret = wgw_sessions_check(s, in_use, err, sizeof(err));
	ck_assert_msg(ret == 0, "sessions check: %s", err);
}

#define R_SOURCES 60

START_TEST(test_random_vs_reference)
{
	/* quotas low enough to be met often: 60 sources x 3 ports x 2 VIP
	 * ports x 4 backends could hold 1440 mappings */
	uint32_t qm = 5, qc = 4;
	struct wgw_sessions *s = sess_newq(R_CAP_CIDS, R_CAP_MAPS, R_PORT_LO, R_PORT_HI, qm, qc);
	struct wgw_qsbr q;
	uint32_t now = 1000, cid_idle = 50, map_idle = 30;
	unsigned n_ops = 0, n_dquot = 0;
	bool slot_used[WGW_SRC_SLOTS] = { false };

	wgw_qsbr_init(&q, NULL, 0); /* no readers: a grace period is immediate */
	for (unsigned b = 0; b < R_BACKENDS; b++)
		ck_assert_int_eq(wgw_sessions_slot_init(s, b), 0);
	n_rc = n_rm = 0;
	/* the reference counts by address: with this key no two of the
	 * test's sources share a counter (the hash's doing, checked here) */
	for (unsigned n = 1; n <= R_SOURCES; n++) {
		union wgw_addr a;
		uint16_t slot;

		mk_addr(&a, n);
		slot = wgw_src_slot(s, &a);
		ck_assert_msg(!slot_used[slot], "test sources share quota slot %u", slot);
		slot_used[slot] = true;
	}

	for (unsigned it = 0; it < 60000; it++) {
		uint32_t op = rndn(100), idx;
		/* small key spaces so that collisions and duplicates happen */
		uint64_t cid = 1 + rndn(400);
		union wgw_addr c, v;
		uint16_t cport = (uint16_t)(1 + rndn(3)), vport = (uint16_t)(8420 + rndn(2));
		unsigned backend = rndn(R_BACKENDS);
		int r, err;

		mk_addr(&c, 1 + rndn(R_SOURCES));
		mk_addr(&v, 200 + rndn(2));
		if (op < 3) {
			now += rndn(20);
			if (!rndn(20)) { /* reload: new quotas, 0 = none */
				qm = rndn(8);
				qc = rndn(8);
				wgw_sessions_set_quotas(s, qm, qc);
			}
		} else if (op < 20) { /* learn, charged to source c */
			r = ref_cid_find(cid);
			err = wgw_cid_learn(s, cid, backend, &c, now, &idx);
			if (r >= 0) {
				ck_assert_int_eq(err, -EEXIST);
				ck_assert_uint_eq(s->cids[idx].backend, rc[r].backend);
			} else if (qc && ref_src_cids(&c) >= qc) {
				ck_assert_int_eq(err, -EDQUOT);
				n_dquot++;
			} else if (ref_cid_count() >= R_CAP_CIDS) {
				ck_assert_int_eq(err, -ENOSPC);
			} else {
				ck_assert_int_eq(err, 0);
				rc[n_rc++] = (struct ref_cid){ true, cid, backend, now, c };
			}
		} else if (op < 40) { /* lookup + touch */
			r = ref_cid_find(cid);
			idx = wgw_cid_find(s, cid);
			ck_assert_int_eq(idx != 0, r >= 0);
			if (idx) {
				ck_assert_uint_eq(s->cids[idx].cid, cid);
				ck_assert_uint_eq(s->cids[idx].backend, rc[r].backend);
				if (rndn(2)) {
					wgw_touch(&s->cids[idx].last_seen, now);
					rc[r].last = now;
				}
			}
		} else if (op < 55) { /* create mapping */
			uint64_t h = wgw_map_hash(s, &c, cport, &v, vport);

			r = ref_map_find(&c, cport, &v, vport, (int)backend);
			err = wgw_map_create(s, h, &c, cport, &v, vport, backend, now, &idx);
			if (r >= 0) {
				ck_assert_int_eq(err, -EEXIST);
				ck_assert_uint_eq(wgw_map_nat_port(&s->maps[idx]), rm[r].port);
			} else if (qm && ref_src_maps(&c) >= qm) {
				ck_assert_int_eq(err, -EDQUOT);
				n_dquot++;
			} else if (ref_map_count(-1) >= R_CAP_MAPS) {
				ck_assert_int_eq(err, -ENOSPC);
			} else if (ref_map_count((int)backend) >= R_PORT_HI - R_PORT_LO + 1) {
				ck_assert_int_eq(err, -EADDRNOTAVAIL);
			} else {
				ck_assert_int_eq(err, 0);
				/* the port is in range and not used on that backend */
				ck_assert_uint_ge(wgw_map_nat_port(&s->maps[idx]), R_PORT_LO);
				ck_assert_uint_le(wgw_map_nat_port(&s->maps[idx]), R_PORT_HI);
				for (unsigned i = 0; i < n_rm; i++)
					ck_assert(!(rm[i].live && rm[i].backend == backend &&
						    rm[i].port == wgw_map_nat_port(&s->maps[idx])));
				rm[n_rm++] = (struct ref_map){ true, c, v, cport, vport,
					wgw_map_nat_port(&s->maps[idx]), backend, now, ++seq };
			}
		} else if (op < 75) { /* find, one backend or any */
			uint64_t h = wgw_map_hash(s, &c, cport, &v, vport);
			int want_b = rndn(2) ? (int)backend : WGW_BACKEND_ANY;

			r = ref_map_find(&c, cport, &v, vport, want_b < 0 ? -1 : want_b);
			idx = wgw_map_find(s, h, &c, cport, &v, vport, want_b, NULL);
			ck_assert_int_eq(idx != 0, r >= 0);
			if (idx) {
				ck_assert_uint_eq(s->maps[idx].backend, rm[r].backend);
				ck_assert_uint_eq(wgw_map_nat_port(&s->maps[idx]), rm[r].port);
				if (rndn(2)) {
					wgw_touch(&s->maps[idx].last_seen, now);
					rm[r].last = now;
				}
			}
		} else if (op < 90) { /* reverse lookup */
			uint16_t port = (uint16_t)(R_PORT_LO - 2 + rndn(R_PORT_HI - R_PORT_LO + 5));
			int found = -1;

			for (unsigned i = 0; i < n_rm; i++)
				if (rm[i].live && rm[i].backend == backend && rm[i].port == port)
					found = (int)i;
			idx = wgw_map_rev(s, backend, 0, port);
			ck_assert_int_eq(idx != 0, found >= 0);
			if (idx)
				ck_assert(wgw_map_key_eq(&s->maps[idx], &rm[found].client,
							 rm[found].cport, &rm[found].vip,
							 rm[found].vport));
		} else if (op < 98) { /* expire, full pass, then free everything */
			struct wgw_expire_result res;
			unsigned want_m = 0, want_c = 0;

			for (unsigned i = 0; i < n_rm; i++)
				if (rm[i].live && (int32_t)(now - rm[i].last) >= (int32_t)map_idle) {
					rm[i].live = false;
					want_m++;
				}
			for (unsigned i = 0; i < n_rc; i++)
				if (rc[i].live && (int32_t)(now - rc[i].last) >= (int32_t)cid_idle) {
					rc[i].live = false;
					want_c++;
				}
			wgw_sessions_expire(s, &q, now, R_CAP_CIDS * 2, cid_idle, map_idle, &res);
			ck_assert_uint_eq(res.maps, want_m);
			ck_assert_uint_eq(res.cids, want_c);
			wgw_sessions_reclaim(s, &q, true, NULL);
			ref_compact();
		} else { /* purge one backend */
			wgw_sessions_slot_purge(s, backend);
			for (unsigned i = 0; i < n_rm; i++)
				if (rm[i].backend == backend)
					rm[i].live = false;
			for (unsigned i = 0; i < n_rc; i++)
				if (rc[i].backend == backend)
					rc[i].live = false;
			wgw_sessions_reclaim(s, &q, true, NULL);
			ck_assert_int_eq(wgw_sessions_slot_init(s, backend), 0);
			ref_compact();
		}
		ck_assert_uint_eq(atomic_load(&s->n_cids), ref_cid_count());
		ck_assert_uint_eq(atomic_load(&s->n_maps), ref_map_count(-1));
		for (unsigned b = 0; b < R_BACKENDS; b++)
			ck_assert_uint_eq(atomic_load(&s->be_maps[b]), ref_map_count((int)b));
		/* every source's counters are its live entries, no more, no less */
		{
			unsigned want_m[R_SOURCES + 1] = { 0 }, want_c[R_SOURCES + 1] = { 0 };

			for (unsigned i = 0; i < n_rm; i++)
				want_m[ntohl(rm[i].client.w[3]) & 0xff] += rm[i].live;
			for (unsigned i = 0; i < n_rc; i++)
				want_c[ntohl(rc[i].src.w[3]) & 0xff] += rc[i].live;
			for (unsigned n = 1; n <= R_SOURCES; n++) {
				union wgw_addr a;
				struct wgw_src_count *sc;

				mk_addr(&a, n);
				sc = &s->src[wgw_src_slot(s, &a)];
				/* one ck_assert per op: each costs Check a write */
				if (atomic_load(&sc->maps) != want_m[n] ||
				    atomic_load(&sc->cids) != want_c[n])
					ck_abort_msg("source %u: %u mappings, %u CIDs counted; %u, %u live",
						     n, atomic_load(&sc->maps), atomic_load(&sc->cids),
						     want_m[n], want_c[n]);
			}
		}
		if (it % 5000 == 0)
			sess_check(s, R_BACKENDS);
		n_ops++;
	}
	ck_assert_uint_eq(n_ops, 60000);
	ck_assert_uint_gt(n_dquot, 100); /* the quotas were met, often */
	sess_check(s, R_BACKENDS);
	sess_free(s);
}
END_TEST

/* A grace period holds entries and ports back until every reader passed. */
START_TEST(test_deferred_reclaim)
{
	struct wgw_sessions *s = sess_new(4, 2, 5000, 5000); /* one NAT port */
	struct wgw_qsbr_reader rd[2];
	struct wgw_qsbr q;
	struct wgw_expire_result res;
	union wgw_addr c, v;
	uint32_t idx, idx2;
	uint64_t h;

	wgw_qsbr_init(&q, rd, 2);
	wgw_qsbr_online(&q, &rd[0]);
	/* rd[1] stays offline: it must not hold anything up */
	ck_assert_int_eq(wgw_sessions_slot_init(s, 0), 0);
	mk_addr(&c, 1);
	mk_addr(&v, 2);
	h = wgw_map_hash(s, &c, 1, &v, 2);
	ck_assert_int_eq(wgw_map_create(s, h, &c, 1, &v, 2, 0, 100, &idx), 0);
	ck_assert_uint_eq(wgw_map_nat_port(&s->maps[idx]), 5000);
	/* the only port is taken */
	mk_addr(&c, 9);
	h = wgw_map_hash(s, &c, 1, &v, 2);
	ck_assert_int_eq(wgw_map_create(s, h, &c, 1, &v, 2, 0, 100, &idx2), -EADDRNOTAVAIL);

	wgw_sessions_expire(s, &q, 500, 10, 60, 60, &res);
	ck_assert_uint_eq(res.maps, 1);
	ck_assert_uint_eq(res.freed_maps, 0);
	/* unlinked: invisible to lookups, but its port is not reusable yet */
	ck_assert_uint_eq(wgw_map_rev(s, 0, 0, 5000), 0);
	ck_assert_int_eq(wgw_map_create(s, h, &c, 1, &v, 2, 0, 500, &idx2), -EADDRNOTAVAIL);
	/* the reader has not passed a quiescent state: still held */
	wgw_sessions_expire(s, &q, 501, 10, 60, 60, &res);
	ck_assert_uint_eq(res.freed_maps, 0);
	wgw_qsbr_quiescent(&q, &rd[0]);
	wgw_sessions_expire(s, &q, 502, 10, 60, 60, &res);
	ck_assert_uint_eq(res.freed_maps, 1);
	ck_assert_int_eq(wgw_map_create(s, h, &c, 1, &v, 2, 0, 502, &idx2), 0);
	ck_assert_uint_eq(wgw_map_nat_port(&s->maps[idx2]), 5000);
	/* an offline reader holds nothing */
	wgw_qsbr_offline(&rd[0]);
	wgw_sessions_expire(s, &q, 1000, 10, 60, 60, &res);
	ck_assert_uint_eq(res.maps, 1);
	wgw_sessions_expire(s, &q, 1000, 10, 60, 60, &res);
	ck_assert_uint_eq(res.freed_maps, 1);
	sess_free(s);
}
END_TEST

/* A worker's clock read may run a little ahead of the expiring thread's:
 * last_seen > now must not look like an ancient entry. */
START_TEST(test_expire_clock_skew)
{
	struct wgw_sessions *s = sess_new(4, 4, 100, 200);
	struct wgw_qsbr q;
	struct wgw_expire_result res;
	union wgw_addr c;
	uint32_t idx;

	wgw_qsbr_init(&q, NULL, 0);
	mk_addr(&c, 1);
	ck_assert_int_eq(wgw_cid_learn(s, 42, 1, &c, 1001, &idx), 0);
	wgw_sessions_expire(s, &q, 1000, 10, 60, 60, &res);
	ck_assert_uint_eq(res.cids, 0);
	ck_assert_uint_ne(wgw_cid_find(s, 42), 0);
	wgw_sessions_expire(s, &q, 1061, 10, 60, 60, &res);
	ck_assert_uint_eq(res.cids, 1);
	ck_assert_uint_eq(wgw_cid_find(s, 42), 0);
	sess_free(s);
}
END_TEST

/* Learning races: many threads learn the same CIDs and create the same
 * mappings at once; exactly one entry each, the free lists stay whole. */
#define RACE_THREADS 4
#define RACE_KEYS 2000
static struct wgw_sessions *race_s;
static pthread_barrier_t race_bar;
static _Atomic unsigned race_created_c, race_created_m;

static void *race_worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	union wgw_addr c, v;
	uint32_t idx;

	mk_addr(&v, 7);
	pthread_barrier_wait(&race_bar);
	for (unsigned k = 0; k < RACE_KEYS; k++) {
		unsigned key = (k * 7919 + id * 13) % RACE_KEYS;
		uint64_t h;

		mk_addr(&c, key);
		if (wgw_cid_learn(race_s, 1000 + key, id, &c, 1, &idx) == 0)
			atomic_fetch_add(&race_created_c, 1);
		h = wgw_map_hash(race_s, &c, 9, &v, 8420);
		if (wgw_map_create(race_s, h, &c, 9, &v, 8420, 0, 1, &idx) == 0)
			atomic_fetch_add(&race_created_m, 1);
	}
	return NULL;
}

START_TEST(test_concurrent_setup)
{
	pthread_t th[RACE_THREADS];
	bool *seen;
	uint32_t n, i;

	race_s = sess_new(RACE_KEYS, RACE_KEYS, 1, 60000);
	ck_assert_int_eq(wgw_sessions_slot_init(race_s, 0), 0);
	pthread_barrier_init(&race_bar, NULL, RACE_THREADS);
	for (unsigned t = 0; t < RACE_THREADS; t++)
		pthread_create(&th[t], NULL, race_worker, (void *)(uintptr_t)t);
	for (unsigned t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&race_bar);

	ck_assert_uint_eq(atomic_load(&race_created_c), RACE_KEYS);
	ck_assert_uint_eq(atomic_load(&race_created_m), RACE_KEYS);
	ck_assert_uint_eq(atomic_load(&race_s->n_cids), RACE_KEYS);
	ck_assert_uint_eq(atomic_load(&race_s->n_maps), RACE_KEYS);
	/* every key found exactly once; free lists now empty, no duplicates */
	for (unsigned k = 0; k < RACE_KEYS; k++)
		ck_assert_uint_ne(wgw_cid_find(race_s, 1000 + k), 0);
	ck_assert_uint_eq((uint32_t)atomic_load(&race_s->cid_free), 0);
	ck_assert_uint_eq((uint32_t)atomic_load(&race_s->map_free), 0);
	/* the NAT ports handed out are distinct, and the rest are still free */
	seen = calloc(60001, 1);
	for (i = 1; i <= RACE_KEYS; i++) {
		uint16_t p = wgw_map_nat_port(&race_s->maps[i]);

		ck_assert(!seen[p]);
		seen[p] = true;
		ck_assert_uint_eq(wgw_map_rev(race_s, 0, 0, p), i);
	}
	n = 0;
	for (i = (uint32_t)atomic_load(&race_s->pools[0].head); i;
	     i = atomic_load(&race_s->pools[0].next[i])) {
		ck_assert(!seen[i]);
		seen[i] = true;
		n++;
	}
	ck_assert_uint_eq(n, 60000 - RACE_KEYS);
	free(seen);
	sess_free(race_s);
}
END_TEST

/* ---- per-source quotas ------------------------------------------------------ */

static void mk_addr6(union wgw_addr *a, uint64_t prefix, uint64_t iid)
{
	a->q[0] = htobe64(prefix);
	a->q[1] = htobe64(iid);
}

/* Expire everything idle at `now` (full passes) and free it. */
static void expire_all(struct wgw_sessions *s, uint32_t now, uint32_t idle)
{
	struct wgw_qsbr q;
	struct wgw_expire_result res;

	wgw_qsbr_init(&q, NULL, 0);
	wgw_sessions_expire(s, &q, now, s->cap_maps > s->cap_cids ? s->cap_maps : s->cap_cids,
			    idle, idle, &res);
	wgw_sessions_reclaim(s, &q, true, NULL);
}

/* One source floods `n` endpoints (one per source port), spread over two
 * backends; returns how many mappings it got. */
static unsigned map_flood(struct wgw_sessions *s, const union wgw_addr *src, unsigned n,
			  uint32_t now, int *last_err)
{
	union wgw_addr v;
	unsigned got = 0;

	mk_addr(&v, 250);
	for (unsigned p = 1; p <= n; p++) {
		uint64_t h = wgw_map_hash(s, src, (uint16_t)p, &v, 8420);
		uint32_t idx;
		int err = wgw_map_create(s, h, src, (uint16_t)p, &v, 8420, p % 2, now, &idx);

		if (!err)
			got++;
		else
			*last_err = err;
	}
	return got;
}

/* Ten other clients, one endpoint each: how many got a mapping. */
static unsigned map_others(struct wgw_sessions *s, uint32_t now)
{
	union wgw_addr c, v;
	unsigned ok = 0;

	mk_addr(&v, 250);
	for (unsigned i = 0; i < 10; i++) {
		uint64_t h;
		uint32_t idx;

		mk_addr(&c, 100 + i);
		h = wgw_map_hash(s, &c, 40000, &v, 8420);
		ok += wgw_map_create(s, h, &c, 40000, &v, 8420, i % 2, now, &idx) == 0;
	}
	return ok;
}

/* One source, 5000 endpoints, a table of 1024: without a quota it takes
 * the whole table and the next ten clients get nothing; with one it is
 * capped at its quota and they all get through. */
START_TEST(test_quota_mapping_flood)
{
	struct wgw_sessions *s;
	union wgw_addr f, v;
	int last = 0;
	uint32_t idx;
	uint64_t h;

	mk_addr(&f, 1);
	mk_addr(&v, 250);

	/* today's behaviour, quota off: the flood fills the table */
	s = sess_newq(1024, 1024, 1000, 60000, 0, 0);
	ck_assert_int_eq(wgw_sessions_slot_init(s, 0), 0);
	ck_assert_int_eq(wgw_sessions_slot_init(s, 1), 0);
	ck_assert_uint_eq(map_flood(s, &f, 5000, 10, &last), 1024);
	ck_assert_int_eq(last, -ENOSPC);
	ck_assert_uint_eq(map_others(s, 10), 0);
	sess_check(s, 2);
	sess_free(s);

	/* with a quota of 64 */
	s = sess_newq(1024, 1024, 1000, 60000, 64, 0);
	ck_assert_int_eq(wgw_sessions_slot_init(s, 0), 0);
	ck_assert_int_eq(wgw_sessions_slot_init(s, 1), 0);
	ck_assert_uint_eq(map_flood(s, &f, 5000, 10, &last), 64);
	ck_assert_int_eq(last, -EDQUOT);
	ck_assert_uint_eq(atomic_load(&s->n_maps), 64);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &f)].maps), 64);
	/* refused before anything was taken: free lists and ports are whole */
	sess_check(s, 2);
	ck_assert_uint_eq(map_others(s, 10), 10);
	/* the flooder's own mappings still work, and asking for one it has
	 * is -EEXIST, not a quota refusal */
	h = wgw_map_hash(s, &f, 1, &v, 8420);
	ck_assert_uint_ne(wgw_map_find(s, h, &f, 1, &v, 8420, 1, NULL), 0);
	ck_assert_int_eq(wgw_map_create(s, h, &f, 1, &v, 8420, 1, 11, &idx), -EEXIST);
	sess_check(s, 2);

	/* expiry gives the quota back, exactly */
	expire_all(s, 1000, 60);
	ck_assert_uint_eq(atomic_load(&s->n_maps), 0);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &f)].maps), 0);
	sess_check(s, 2);
	ck_assert_uint_eq(map_flood(s, &f, 200, 1000, &last), 64);

	/* so does purging a backend: half of them were on slot 1 */
	wgw_sessions_slot_purge(s, 1);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &f)].maps), 32);
	sess_check(s, 2);
	wgw_sessions_reclaim(s, NULL, true, NULL);
	ck_assert_int_eq(wgw_sessions_slot_init(s, 1), 0);
	sess_check(s, 2);
	sess_free(s);
}
END_TEST

/* IPv6 sources count by /64: any number of addresses in one prefix share
 * one quota; the next prefix has its own. */
START_TEST(test_quota_ipv6_prefix)
{
	struct wgw_sessions *s = sess_newq(256, 256, 1000, 2000, 8, 8);
	union wgw_addr a, b, v;
	unsigned got = 0, cids = 0;

	ck_assert_int_eq(wgw_sessions_slot_init(s, 0), 0);
	mk_addr6(&v, 0x20010db8000f0000ULL, 0x10);
	for (unsigned i = 0; i < 40; i++) {
		uint64_t h;
		uint32_t idx;
		int err;

		mk_addr6(&a, 0x20010db8000d0000ULL, rnd()); /* 2001:db8:d::/64 */
		h = wgw_map_hash(s, &a, 5000, &v, 8420);
		err = wgw_map_create(s, h, &a, 5000, &v, 8420, 0, 1, &idx);
		ck_assert(err == 0 || err == -EDQUOT);
		got += !err;
		err = wgw_cid_learn(s, 1 + rnd() % 0xfffffff0ULL, 0, &a, 1, &idx);
		ck_assert(err == 0 || err == -EDQUOT);
		cids += !err;
	}
	ck_assert_uint_eq(got, 8);
	ck_assert_uint_eq(cids, 8);
	/* the neighbouring /64 */
	for (unsigned i = 0; i < 8; i++) {
		uint64_t h;
		uint32_t idx;

		mk_addr6(&b, 0x20010db8000d0001ULL, 1 + i);
		ck_assert_uint_ne(wgw_src_slot(s, &a), wgw_src_slot(s, &b));
		h = wgw_map_hash(s, &b, 5000, &v, 8420);
		ck_assert_int_eq(wgw_map_create(s, h, &b, 5000, &v, 8420, 0, 1, &idx), 0);
		ck_assert_int_eq(wgw_cid_learn(s, 0x100000000ULL + i, 0, &b, 1, &idx), 0);
	}
	sess_check(s, 1);
	expire_all(s, 100, 60);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &a)].maps), 0);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &a)].cids), 0);
	sess_check(s, 1);
	sess_free(s);
}
END_TEST

/* Random CIDs from one endpoint: at most the quota is learned, the table
 * keeps room for everyone else, and expiry balances the counters. */
START_TEST(test_quota_cid_flood)
{
	struct wgw_sessions *s;
	union wgw_addr f, c;
	unsigned got = 0;
	uint32_t idx, first = 0;
	uint64_t known = 0;

	mk_addr(&f, 1);
	/* today's behaviour, quota off: the flood fills the table and an
	 * honest client's CIDs are refused */
	s = sess_newq(1024, 64, 1000, 2000, 0, 0);
	for (unsigned i = 0; i < 5000; i++)
		wgw_cid_learn(s, 1 + rnd() % 0xfffffff0ULL, 0, &f, 1, &idx);
	mk_addr(&c, 2);
	ck_assert_int_eq(wgw_cid_learn(s, 0x1234567800000001ULL, 1, &c, 1, &idx), -ENOSPC);
	sess_free(s);

	s = sess_newq(1024, 64, 1000, 2000, 0, 100);
	for (unsigned i = 0; i < 5000; i++) {
		uint64_t cid = 1 + rnd() % 0xfffffff0ULL;
		int err = wgw_cid_learn(s, cid, i % 3, &f, 1, &idx);

		ck_assert(err == 0 || err == -EDQUOT || err == -EEXIST);
		if (!err) {
			got++;
			known = cid;
			if (!first)
				first = idx;
		}
	}
	ck_assert_uint_eq(got, 100);
	ck_assert_uint_eq(atomic_load(&s->n_cids), 100);
	/* a CID it already has is -EEXIST, still bound where it was */
	ck_assert_int_eq(wgw_cid_learn(s, known, 2, &f, 2, &idx), -EEXIST);
	/* 20 sessions of another client: all learned */
	for (unsigned i = 0; i < 20; i++)
		ck_assert_int_eq(wgw_cid_learn(s, 0x1234567800000001ULL + i, 1, &c, 1, &idx), 0);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &c)].cids), 20);
	sess_check(s, 3);

	/* the flooder's CIDs expire (the client's are touched) */
	for (unsigned i = 0; i < 20; i++)
		wgw_touch(&s->cids[wgw_cid_find(s, 0x1234567800000001ULL + i)].last_seen, 100);
	expire_all(s, 100, 60);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &f)].cids), 0);
	ck_assert_uint_eq(atomic_load(&s->src[wgw_src_slot(s, &c)].cids), 20);
	ck_assert_uint_eq(atomic_load(&s->n_cids), 20);
	sess_check(s, 3);
	ck_assert_int_eq(wgw_cid_learn(s, 77, 0, &f, 100, &idx), 0);
	sess_free(s);
}
END_TEST

/* A reload that lowers a quota evicts nothing and admits nothing new until
 * the source is below it; 0 lifts it. */
START_TEST(test_quota_reload)
{
	struct wgw_sessions *s = sess_newq(256, 256, 1000, 2000, 10, 0);
	union wgw_addr f;
	int last = 0;

	ck_assert_int_eq(wgw_sessions_slot_init(s, 0), 0);
	ck_assert_int_eq(wgw_sessions_slot_init(s, 1), 0);
	mk_addr(&f, 1);
	ck_assert_uint_eq(map_flood(s, &f, 10, 1, &last), 10);
	wgw_sessions_set_quotas(s, 5, 0);
	ck_assert_uint_eq(atomic_load(&s->n_maps), 10);
	ck_assert_uint_eq(map_flood(s, &f, 20, 1, &last), 0);
	ck_assert_int_eq(last, -EDQUOT);
	wgw_sessions_set_quotas(s, 0, 0);
	ck_assert_uint_eq(map_flood(s, &f, 30, 1, &last), 20);
	sess_check(s, 2);
	sess_free(s);
}
END_TEST

/* Workers charge one source at once: never more than its quota, and the
 * counters equal what was created (lock-free take and give-back). */
#define QRACE_QUOTA 100
static _Atomic unsigned qrace_maps, qrace_cids;

static void *quota_race_worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	union wgw_addr f, v;

	mk_addr(&f, 1);
	mk_addr(&v, 250);
	pthread_barrier_wait(&race_bar);
	for (unsigned k = 0; k < 1000; k++) {
		uint16_t port = (uint16_t)(1 + id * 1000 + k);
		uint64_t h = wgw_map_hash(race_s, &f, port, &v, 8420);
		uint32_t idx;

		if (wgw_map_create(race_s, h, &f, port, &v, 8420, 0, 1, &idx) == 0)
			atomic_fetch_add(&qrace_maps, 1);
		if (wgw_cid_learn(race_s, 1 + id * 1000 + k, 0, &f, 1, &idx) == 0)
			atomic_fetch_add(&qrace_cids, 1);
	}
	return NULL;
}

START_TEST(test_quota_concurrent)
{
	pthread_t th[RACE_THREADS];
	union wgw_addr f;

	race_s = sess_newq(8192, 8192, 1, 60000, QRACE_QUOTA, QRACE_QUOTA);
	ck_assert_int_eq(wgw_sessions_slot_init(race_s, 0), 0);
	pthread_barrier_init(&race_bar, NULL, RACE_THREADS);
	for (unsigned t = 0; t < RACE_THREADS; t++)
		pthread_create(&th[t], NULL, quota_race_worker, (void *)(uintptr_t)t);
	for (unsigned t = 0; t < RACE_THREADS; t++)
		pthread_join(th[t], NULL);
	pthread_barrier_destroy(&race_bar);

	mk_addr(&f, 1);
	/* a refusal races only with a reservation handed back at once: all
	 * 4000 tries cannot leave the quota short */
	ck_assert_uint_eq(atomic_load(&qrace_maps), QRACE_QUOTA);
	ck_assert_uint_eq(atomic_load(&qrace_cids), QRACE_QUOTA);
	ck_assert_uint_eq(atomic_load(&race_s->src[wgw_src_slot(race_s, &f)].maps), QRACE_QUOTA);
	ck_assert_uint_eq(atomic_load(&race_s->src[wgw_src_slot(race_s, &f)].cids), QRACE_QUOTA);
	sess_check(race_s, 1);
	sess_free(race_s);
}
END_TEST

static Suite *sessions_suite(void)
{
	Suite *s = suite_create("sessions");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_random_vs_reference);
	tcase_add_test(tc, test_deferred_reclaim);
	tcase_add_test(tc, test_expire_clock_skew);
	tcase_add_test(tc, test_concurrent_setup);
	tcase_add_test(tc, test_quota_mapping_flood);
	tcase_add_test(tc, test_quota_ipv6_prefix);
	tcase_add_test(tc, test_quota_cid_flood);
	tcase_add_test(tc, test_quota_reload);
	tcase_add_test(tc, test_quota_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sessions_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
