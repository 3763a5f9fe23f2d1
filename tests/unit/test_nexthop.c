// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data path's next-hop table: one writer, lock-free readers, request
 * rings, refreshes, garbage collection under QSBR; checked against a naive
 * reference with random operations.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nexthop.h"

/* The fake kernel: per destination, what a resolution answers. */
#define FAKE_MAX 4096
struct fake {
	union wgw_addr dst[FAKE_MAX], via[FAKE_MAX];
	int rc[FAKE_MAX];
	int ifindex[FAKE_MAX];
	uint8_t mac[FAKE_MAX][6];
	unsigned n;
	unsigned calls;
};

static union wgw_addr addr4(uint32_t host)
{
	union wgw_addr a;

	wgw_addr_from_v4(&a, htonl(host));
	return a;
}

static int fake_find(struct fake *f, const union wgw_addr *a)
{
	for (unsigned i = 0; i < f->n; i++)
		if (wgw_addr_eq(&f->dst[i], a))
			return (int)i;
	return -1;
}

static int fake_set(struct fake *f, const union wgw_addr *dst, int rc, int ifindex,
		    const union wgw_addr *via, uint8_t macbyte)
{
	int i = fake_find(f, dst);

	if (i < 0) {
		i = (int)f->n++;
		f->dst[i] = *dst;
	}
	f->rc[i] = rc;
	f->ifindex[i] = ifindex;
	f->via[i] = via ? *via : *dst;
	memset(f->mac[i], macbyte, 6);
	return i;
}

static int fake_resolve(void *ctx, const union wgw_addr *dst, int *ifindex,
			union wgw_addr *via, uint8_t mac[6])
{
	struct fake *f = ctx;
	int i = fake_find(f, dst);

	f->calls++;
	if (i < 0)
		return -ENETUNREACH;
	*ifindex = f->ifindex[i];
	*via = f->via[i];
	memcpy(mac, f->mac[i], 6);
	return f->rc[i];
}

/* What a worker would see for dst: state and first MAC byte. */
static unsigned reader_state(struct wgw_nh *nh, const union wgw_addr *dst, uint8_t *macbyte,
			     int *ifindex)
{
	struct wgw_nh_slot *s = wgw_nh_lookup(wgw_nh_table(nh), dst);
	uint64_t v;
	uint8_t mac[6];

	if (!s)
		return WGW_NH_EMPTY;
	v = atomic_load(&s->val);
	wgw_nh_val_mac(v, mac);
	if (macbyte)
		*macbyte = mac[0];
	if (ifindex)
		*ifindex = s->ifindex;
	return wgw_nh_val_state(v);
}

START_TEST(test_request_resolve)
{
	struct wgw_nh nh;
	struct fake *f = calloc(1, sizeof(*f));
	union wgw_addr a = addr4(0x0a000001), b = addr4(0x0a000002), c = addr4(0x0a000003);
	uint32_t gen;
	uint8_t m;
	int ifi;

	ck_assert_int_eq(wgw_nh_init(&nh, 16, 2), 0);
	fake_set(f, &a, 0, 7, NULL, 0xaa);
	fake_set(f, &b, -EAGAIN, 7, NULL, 0);
	/* c: no route */
	ck_assert_uint_eq(reader_state(&nh, &a, NULL, NULL), WGW_NH_EMPTY);
	ck_assert(wgw_nh_request(&nh, 0, &a));
	ck_assert(wgw_nh_request(&nh, 1, &b));
	ck_assert(wgw_nh_request(&nh, 1, &c));
	ck_assert(wgw_nh_request(&nh, 1, &a)); /* the same from another worker */
	gen = atomic_load(&nh.generation);
	ck_assert_int_eq(wgw_nh_process(&nh, fake_resolve, f, 100), 3);
	ck_assert_uint_gt(atomic_load(&nh.generation), gen);
	ck_assert_uint_eq(reader_state(&nh, &a, &m, &ifi), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0xaa);
	ck_assert_int_eq(ifi, 7);
	ck_assert_uint_eq(reader_state(&nh, &b, NULL, NULL), WGW_NH_PENDING);
	ck_assert_uint_eq(reader_state(&nh, &c, NULL, NULL), WGW_NH_UNREACHABLE);
	ck_assert_uint_eq(wgw_nh_count(&nh), 3);

	/* The neighbour answers: a refresh of pending entries sees it. */
	fake_set(f, &b, 0, 7, NULL, 0xbb);
	ck_assert_int_eq(wgw_nh_refresh(&nh, fake_resolve, f, true), 1);
	ck_assert_uint_eq(reader_state(&nh, &b, &m, NULL), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0xbb);
	/* A MAC change is seen by a full refresh. */
	fake_set(f, &a, 0, 7, NULL, 0xac);
	ck_assert_int_eq(wgw_nh_refresh(&nh, fake_resolve, f, false), 1);
	ck_assert_uint_eq(reader_state(&nh, &a, &m, NULL), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0xac);
	/* A route to another interface drops the entry (ifindex is fixed
	 * under readers): readers see it unreachable until gc. */
	fake_set(f, &a, 0, 9, NULL, 0xac);
	ck_assert_int_eq(wgw_nh_refresh(&nh, fake_resolve, f, false), 1);
	ck_assert_uint_eq(reader_state(&nh, &a, NULL, NULL), WGW_NH_UNREACHABLE);
	wgw_nh_fini(&nh);
	free(f);
}
END_TEST

START_TEST(test_refresh_neigh)
{
	struct wgw_nh nh;
	struct fake *f = calloc(1, sizeof(*f));
	union wgw_addr router = addr4(0xc6336401), x = addr4(0x08080808), y = addr4(0x01010101),
		       z = addr4(0xc6336402);
	uint8_t m;

	ck_assert_int_eq(wgw_nh_init(&nh, 16, 1), 0);
	fake_set(f, &x, 0, 3, &router, 0x11);
	fake_set(f, &y, 0, 3, &router, 0x11);
	fake_set(f, &z, 0, 3, NULL, 0x22);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(wgw_nh_resolve_one(&nh, i == 0 ? &x : i == 1 ? &y : &z,
						    fake_resolve, f, 1), 1);
	/* The router's MAC changes: x and y follow, z is not even asked. */
	fake_set(f, &x, 0, 3, &router, 0x33);
	fake_set(f, &y, 0, 3, &router, 0x33);
	f->calls = 0;
	ck_assert_int_eq(wgw_nh_refresh_neigh(&nh, fake_resolve, f, &router), 2);
	ck_assert_uint_eq(f->calls, 2);
	ck_assert_uint_eq(reader_state(&nh, &x, &m, NULL), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0x33);
	ck_assert_uint_eq(reader_state(&nh, &z, &m, NULL), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0x22);
	wgw_nh_fini(&nh);
	free(f);
}
END_TEST

START_TEST(test_limits)
{
	struct wgw_nh nh;
	struct fake *f = calloc(1, sizeof(*f));
	unsigned ok = 0;

	ck_assert_int_eq(wgw_nh_init(&nh, 8, 1), 0);
	/* The request ring holds WGW_NH_REQ_RING entries, then refuses. */
	for (unsigned i = 0; i < WGW_NH_REQ_RING + 10; i++) {
		union wgw_addr a = addr4(0x0a010000 + i);

		fake_set(f, &a, 0, 1, NULL, 1);
		ok += wgw_nh_request(&nh, 0, &a);
	}
	ck_assert_uint_eq(ok, WGW_NH_REQ_RING);
	/* Capacity 8: the rest is refused and counted, nothing evicted. */
	wgw_nh_process(&nh, fake_resolve, f, 1);
	ck_assert_uint_eq(wgw_nh_count(&nh), 8);
	ck_assert_uint_eq(nh.full_events, WGW_NH_REQ_RING - 8);
	ck_assert_uint_eq(reader_state(&nh, &f->dst[0], NULL, NULL), WGW_NH_RESOLVED);
	wgw_nh_fini(&nh);
	free(f);
}
END_TEST

/*
 * A takeover hands the resolved entries to the successor: export gives
 * exactly those (not the pending or unreachable ones), import adds them
 * as resolved with the same gateway, interface and MAC, keeps what the
 * table has, and stops at its capacity.
 */
START_TEST(test_export_import)
{
	struct wgw_nh nh, to;
	struct fake *f = calloc(1, sizeof(*f));
	union wgw_addr router = addr4(0xc6336401), x = addr4(0x08080808), y = addr4(0x01010101),
		       p = addr4(0x0a000002), u = addr4(0x0a000003), q = addr4(0x0a000004);
	struct wgw_nh_entry e[8];
	struct wgw_nh_slot *s;
	uint32_t n, gen;
	uint8_t m;
	int ifi;

	ck_assert_int_eq(wgw_nh_init(&nh, 16, 1), 0);
	fake_set(f, &x, 0, 3, &router, 0x11);
	fake_set(f, &y, 0, 4, NULL, 0x22);
	fake_set(f, &p, -EAGAIN, 3, NULL, 0);
	/* u: no route */
	ck_assert_int_eq(wgw_nh_resolve_one(&nh, &x, fake_resolve, f, 1), 1);
	ck_assert_int_eq(wgw_nh_resolve_one(&nh, &y, fake_resolve, f, 1), 1);
	ck_assert_int_eq(wgw_nh_resolve_one(&nh, &p, fake_resolve, f, 1), 1);
	ck_assert_int_eq(wgw_nh_resolve_one(&nh, &u, fake_resolve, f, 1), 1);
	ck_assert_uint_eq(wgw_nh_count(&nh), 4);
	n = wgw_nh_export(&nh, e, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(wgw_nh_export(&nh, e, 1), 1);	/* max holds */
	n = wgw_nh_export(&nh, e, 8);

	/* The successor's table has a destination already, with another
	 * answer: it keeps its own. */
	ck_assert_int_eq(wgw_nh_init(&to, 2, 1), 0);
	fake_set(f, &y, 0, 4, NULL, 0x44);
	ck_assert_int_eq(wgw_nh_resolve_one(&to, &y, fake_resolve, f, 1), 1);
	gen = atomic_load(&to.generation);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_int_eq(wgw_nh_import(&to, &e[i], 5), wgw_addr_eq(&e[i].dst, &x));
	ck_assert_uint_gt(atomic_load(&to.generation), gen);
	ck_assert_uint_eq(reader_state(&to, &x, &m, &ifi), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0x11);
	ck_assert_int_eq(ifi, 3);
	s = wgw_nh_lookup(wgw_nh_table(&to), &x);
	ck_assert(wgw_addr_eq(&s->via, &router));
	ck_assert_uint_eq(atomic_load(&s->last_used), 5);
	ck_assert_uint_eq(reader_state(&to, &y, &m, NULL), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0x44);
	ck_assert_uint_eq(reader_state(&to, &p, NULL, NULL), WGW_NH_EMPTY);
	/* Capacity 2, both used: refused, counted like any insert. */
	e[0].dst = q;
	ck_assert_int_eq(wgw_nh_import(&to, &e[0], 5), -ENOSPC);
	ck_assert_uint_eq(to.full_events, 1);
	/* Imported entries are followed like the others: the router's MAC
	 * changes, a neighbour refresh sees it. */
	fake_set(f, &x, 0, 3, &router, 0x55);
	ck_assert_int_eq(wgw_nh_refresh_neigh(&to, fake_resolve, f, &router), 1);
	ck_assert_uint_eq(reader_state(&to, &x, &m, NULL), WGW_NH_RESOLVED);
	ck_assert_uint_eq(m, 0x55);
	wgw_nh_fini(&to);
	wgw_nh_fini(&nh);
	free(f);
}
END_TEST

/* A reader thread that keeps looking up while the table is collected. */
struct reader_arg {
	struct wgw_nh *nh;
	union wgw_addr keep;
	_Atomic bool stop;
	_Atomic unsigned long lookups;
	unsigned long misses;
};

static void *reader_main(void *p)
{
	struct reader_arg *r = p;

	wgw_nh_online(r->nh, 0);
	while (!atomic_load(&r->stop)) {
		for (int i = 0; i < 64; i++) {
			if (reader_state(r->nh, &r->keep, NULL, NULL) != WGW_NH_RESOLVED)
				r->misses++;
			r->lookups++;
		}
		wgw_nh_quiescent(r->nh, 0);
	}
	wgw_nh_offline(r->nh, 0);
	return NULL;
}

START_TEST(test_gc_under_readers)
{
	struct wgw_nh nh;
	struct fake *f = calloc(1, sizeof(*f));
	struct reader_arg r = { .nh = &nh };
	pthread_t th;

	ck_assert_int_eq(wgw_nh_init(&nh, 64, 1), 0);
	for (unsigned i = 0; i < 40; i++) {
		union wgw_addr a = addr4(0x0a020000 + i);

		fake_set(f, &a, 0, 1, NULL, 1);
		ck_assert_int_eq(wgw_nh_resolve_one(&nh, &a, fake_resolve, f,
						    i == 0 ? 1000 : 10), 1);
	}
	r.keep = f->dst[0];
	ck_assert_int_eq(pthread_create(&th, NULL, reader_main, &r), 0);
	while (atomic_load(&r.lookups) == 0)
		sched_yield();
	/* Everything but the entry used at t=1000 is idle at t=1000. */
	ck_assert_int_eq(wgw_nh_gc(&nh, 1000, 300), 39);
	ck_assert_uint_eq(wgw_nh_count(&nh), 1);
	ck_assert_int_eq(wgw_nh_gc(&nh, 1000, 300), 0);
	{
		unsigned long n = atomic_load(&r.lookups);

		while (atomic_load(&r.lookups) < n + 1000)
			sched_yield();
	}
	atomic_store(&r.stop, true);
	pthread_join(th, NULL);
	ck_assert_uint_gt(r.lookups, 0);
	ck_assert_uint_eq(r.misses, 0);
	ck_assert_uint_eq(reader_state(&nh, &f->dst[1], NULL, NULL), WGW_NH_EMPTY);
	wgw_nh_fini(&nh);
	free(f);
}
END_TEST

/* Random requests, answers, refreshes and collections against a naive
 * model of what the table must hold. */
START_TEST(test_random_vs_reference)
{
	struct wgw_nh nh;
	struct fake *f = calloc(1, sizeof(*f));
	static unsigned char in_table[512];
	static uint32_t used[512];
	unsigned seed = 12345;

	memset(in_table, 0, sizeof(in_table));
	ck_assert_int_eq(wgw_nh_init(&nh, 1024, 1), 0);
	for (unsigned i = 0; i < 512; i++) {
		union wgw_addr a = addr4(0x0a030000 + i);

		fake_set(f, &a, (i % 3) ? 0 : -EAGAIN, 1 + i % 2, NULL, (uint8_t)i);
	}
	for (uint32_t now = 1; now < 20000; now++) {
		unsigned i = (unsigned)rand_r(&seed) % 512, op = (unsigned)rand_r(&seed) % 10;
		uint8_t m;
		int ifi;

		if (op < 6) {
			wgw_nh_request(&nh, 0, &f->dst[i]);
			wgw_nh_process(&nh, fake_resolve, f, now);
			if (!in_table[i])
				used[i] = now;
			in_table[i] = 1;
		} else if (op < 8) {
			f->rc[i] = f->rc[i] ? 0 : -EAGAIN;
			f->mac[i][0]++;
			wgw_nh_refresh(&nh, fake_resolve, f, false);
		} else if (op == 8 && now % 97 == 0) {
			wgw_nh_gc(&nh, now, 500);
			for (unsigned k = 0; k < 512; k++)
				if (in_table[k] && now - used[k] > 500)
					in_table[k] = 0;
		}
		/* Check one random destination against the model. */
		i = (unsigned)rand_r(&seed) % 512;
		if (!in_table[i]) {
			ck_assert_uint_eq(reader_state(&nh, &f->dst[i], NULL, NULL), WGW_NH_EMPTY);
			continue;
		}
		ck_assert_uint_eq(reader_state(&nh, &f->dst[i], &m, &ifi),
				  f->rc[i] ? WGW_NH_PENDING : WGW_NH_RESOLVED);
		ck_assert_int_eq(ifi, f->ifindex[i]);
		if (!f->rc[i])
			ck_assert_uint_eq(m, f->mac[i][0]);
	}
	wgw_nh_fini(&nh);
	free(f);
}
END_TEST

static Suite *nexthop_suite(void)
{
	Suite *s = suite_create("nexthop");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_request_resolve);
	tcase_add_test(tc, test_refresh_neigh);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_export_import);
	tcase_add_test(tc, test_gc_under_readers);
	tcase_add_test(tc, test_random_vs_reference);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(nexthop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
