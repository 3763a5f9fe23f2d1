// SPDX-License-Identifier: GPL-2.0-only
/*
 * The engine's tables (gateway/sessions.c) against a naive reference: arrays
 * and linear search, thousands of random learn / create / lookup / touch /
 * expire / purge operations, the same answers (WireGuard
 * selftest/allowedips.c style).  Plus the deferred reclamation rules and the
 * lock-free free lists under concurrent pop/push.
 */
#include "config.h"

#include <check.h>
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

struct ref_cid { bool live; uint64_t cid; unsigned backend; uint32_t last; };
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

static struct wgw_sessions *sess_new(uint32_t cids, uint32_t maps, uint16_t lo, uint16_t hi)
{
	struct wgw_sessions_cfg cfg = {
		.max_cids = cids, .max_mappings = maps,
		.nat_port_lo = lo, .nat_port_hi = hi, .key = test_key,
	};
	struct wgw_sessions *s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(wgw_sessions_init(s, &cfg), 0);
	return s;
}

static void sess_free(struct wgw_sessions *s)
{
	wgw_sessions_fini(s);
	free(s);
}

START_TEST(test_random_vs_reference)
{
	struct wgw_sessions *s = sess_new(R_CAP_CIDS, R_CAP_MAPS, R_PORT_LO, R_PORT_HI);
	struct wgw_qsbr q;
	uint32_t now = 1000, cid_idle = 50, map_idle = 30;
	unsigned n_ops = 0;

	wgw_qsbr_init(&q, NULL, 0); /* no readers: a grace period is immediate */
	for (unsigned b = 0; b < R_BACKENDS; b++)
		ck_assert_int_eq(wgw_sessions_slot_init(s, b), 0);
	n_rc = n_rm = 0;

	for (unsigned it = 0; it < 60000; it++) {
		uint32_t op = rndn(100), idx;
		/* small key spaces so that collisions and duplicates happen */
		uint64_t cid = 1 + rndn(400);
		union wgw_addr c, v;
		uint16_t cport = (uint16_t)(1 + rndn(3)), vport = (uint16_t)(8420 + rndn(2));
		unsigned backend = rndn(R_BACKENDS);
		int r, err;

		mk_addr(&c, 1 + rndn(60));
		mk_addr(&v, 200 + rndn(2));
		if (op < 3) {
			now += rndn(20);
		} else if (op < 20) { /* learn */
			r = ref_cid_find(cid);
			err = wgw_cid_learn(s, cid, backend, now, &idx);
			if (r >= 0) {
				ck_assert_int_eq(err, -EEXIST);
				ck_assert_uint_eq(s->cids[idx].backend, rc[r].backend);
			} else if (ref_cid_count() >= R_CAP_CIDS) {
				ck_assert_int_eq(err, -ENOSPC);
			} else {
				ck_assert_int_eq(err, 0);
				rc[n_rc++] = (struct ref_cid){ true, cid, backend, now };
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
				ck_assert_uint_eq(s->maps[idx].nat_port, rm[r].port);
			} else if (ref_map_count(-1) >= R_CAP_MAPS) {
				ck_assert_int_eq(err, -ENOSPC);
			} else if (ref_map_count((int)backend) >= R_PORT_HI - R_PORT_LO + 1) {
				ck_assert_int_eq(err, -EADDRNOTAVAIL);
			} else {
				ck_assert_int_eq(err, 0);
				/* the port is in range and not used on that backend */
				ck_assert_uint_ge(s->maps[idx].nat_port, R_PORT_LO);
				ck_assert_uint_le(s->maps[idx].nat_port, R_PORT_HI);
				for (unsigned i = 0; i < n_rm; i++)
					ck_assert(!(rm[i].live && rm[i].backend == backend &&
						    rm[i].port == s->maps[idx].nat_port));
				rm[n_rm++] = (struct ref_map){ true, c, v, cport, vport,
					s->maps[idx].nat_port, backend, now, ++seq };
			}
		} else if (op < 75) { /* find, one backend or any */
			uint64_t h = wgw_map_hash(s, &c, cport, &v, vport);
			int want_b = rndn(2) ? (int)backend : WGW_BACKEND_ANY;

			r = ref_map_find(&c, cport, &v, vport, want_b < 0 ? -1 : want_b);
			idx = wgw_map_find(s, h, &c, cport, &v, vport, want_b, NULL);
			ck_assert_int_eq(idx != 0, r >= 0);
			if (idx) {
				ck_assert_uint_eq(s->maps[idx].backend, rm[r].backend);
				ck_assert_uint_eq(s->maps[idx].nat_port, rm[r].port);
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
			idx = wgw_map_rev(s, backend, port);
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
		n_ops++;
	}
	ck_assert_uint_eq(n_ops, 60000);
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
	ck_assert_uint_eq(s->maps[idx].nat_port, 5000);
	/* the only port is taken */
	mk_addr(&c, 9);
	h = wgw_map_hash(s, &c, 1, &v, 2);
	ck_assert_int_eq(wgw_map_create(s, h, &c, 1, &v, 2, 0, 100, &idx2), -EADDRNOTAVAIL);

	wgw_sessions_expire(s, &q, 500, 10, 60, 60, &res);
	ck_assert_uint_eq(res.maps, 1);
	ck_assert_uint_eq(res.freed_maps, 0);
	/* unlinked: invisible to lookups, but its port is not reusable yet */
	ck_assert_uint_eq(wgw_map_rev(s, 0, 5000), 0);
	ck_assert_int_eq(wgw_map_create(s, h, &c, 1, &v, 2, 0, 500, &idx2), -EADDRNOTAVAIL);
	/* the reader has not passed a quiescent state: still held */
	wgw_sessions_expire(s, &q, 501, 10, 60, 60, &res);
	ck_assert_uint_eq(res.freed_maps, 0);
	wgw_qsbr_quiescent(&q, &rd[0]);
	wgw_sessions_expire(s, &q, 502, 10, 60, 60, &res);
	ck_assert_uint_eq(res.freed_maps, 1);
	ck_assert_int_eq(wgw_map_create(s, h, &c, 1, &v, 2, 0, 502, &idx2), 0);
	ck_assert_uint_eq(s->maps[idx2].nat_port, 5000);
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
	uint32_t idx;

	wgw_qsbr_init(&q, NULL, 0);
	ck_assert_int_eq(wgw_cid_learn(s, 42, 1, 1001, &idx), 0);
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

		if (wgw_cid_learn(race_s, 1000 + key, id, 1, &idx) == 0)
			atomic_fetch_add(&race_created_c, 1);
		mk_addr(&c, key);
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
		uint16_t p = race_s->maps[i].nat_port;

		ck_assert(!seen[p]);
		seen[p] = true;
		ck_assert_uint_eq(wgw_map_rev(race_s, 0, p), i);
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

static Suite *sessions_suite(void)
{
	Suite *s = suite_create("sessions");
	TCase *tc = tcase_create("tables");

	tcase_add_test(tc, test_random_vs_reference);
	tcase_add_test(tc, test_deferred_reclaim);
	tcase_add_test(tc, test_expire_clock_skew);
	tcase_add_test(tc, test_concurrent_setup);
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
