// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrency: three workers route both directions of the same sessions at
 * once (the same client endpoints on different workers, replies routed by
 * the worker that forwarded and by another one), while a control thread
 * drains and undrains, adds and removes backends, changes weights, lowers
 * and raises limits and runs expiry with a fast clock.  Every packet's
 * outcome is checked on the spot; at the end every table, free list, NAT
 * port pool and counter must agree (wgw_engine_check).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/engine.h"
#include "tests/unit/test_engine_util.h"

#define N_WORKERS 3
#define N_SESS 1500
#define BATCH 32
#define RUN_MS 2500 /* ms of concurrent traffic, at least */
#define MAX_RUN_MS 60000 /* ms: give up waiting for enough overlap */
#define NAT_LO 20000
#define NAT_HI 21999

static struct wgw_engine *E;
static union wgw_addr VIP, NAT, B[4];
static _Atomic uint32_t now_s = 1000;
static _Atomic bool stop;
static _Atomic uint64_t failures;
static char fail_msg[256];
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/* the last NAT port and backend seen for a session, for cross-worker replies */
static _Atomic uint32_t last_route[N_SESS]; /* backend << 16 | P, 0 none */

struct wstats {
	uint64_t fwd, rep_same, rep_other, dropped, strict_ok;
};

__attribute__((format(printf, 1, 2)))
static void record_failure(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	if (!atomic_load(&failures)) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
	}
	atomic_fetch_add(&failures, 1);
	pthread_mutex_unlock(&fail_lock);
}

static void sess_endpoint(unsigned k, unsigned variant, union wgw_addr *a, uint16_t *port)
{
	/* variant 1: NAT rebinding (new port), 2: roaming (new address) */
	wgw_addr_from_v4(a, htonl(0xc6336400 + (k % 200) + (variant == 2 ? 100000 : 0)));
	*port = (uint16_t)(1024 + k / 200 * 3 + variant % 2);
}

static uint64_t sess_cid(unsigned k)
{
	return 0x5e55000000000000ULL | (uint64_t)(k + 1) * 0x9e3779b1ULL;
}

static int backend_of(const union wgw_addr *a)
{
	for (int i = 0; i < 4; i++)
		if (wgw_addr_eq(a, &B[i]))
			return i;
	return -1;
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void check_reply(struct tpkt *pk, enum wgw_verdict v, const struct wgw_route *rt,
			const union wgw_addr *ca, uint16_t cport, bool strict)
{
	union wgw_addr s, d;
	uint16_t sp, dp;

	if (v == WGW_DROP) {
		/* the mapping expired or its backend went away meanwhile */
		if (rt->reason != WGW_DROP_NO_MAPPING && rt->reason != WGW_DROP_BAD_SOURCE)
			record_failure("reply dropped for reason %u", rt->reason);
		return;
	}
	if (v != WGW_TO_WAN) {
		record_failure("reply verdict %u", v);
		return;
	}
	if (!wgw_pkt_csum_ok(&pk->p))
		record_failure("reply checksum bad");
	tpkt_src(pk, &s, &sp);
	tpkt_dst(pk, &d, &dp);
	if (!wgw_addr_eq(&s, &VIP) || sp != 8420)
		record_failure("reply not from the VIP endpoint (port %u)", sp);
	if (strict) {
		/* same batch: the mapping cannot have been reused, so the
		 * reply goes to exactly this client */
		if (!wgw_addr_eq(&d, ca) || dp != cport)
			record_failure("reply to the wrong client: port %u instead of %u", dp, cport);
	} else {
		/* later: the port may belong to another session by now, but
		 * only ever to a client that used the gateway */
		uint32_t a = ntohl(wgw_addr_v4(&d));

		if (a >> 16 != 0xc633 && a >> 16 != 0xc634)
			record_failure("reply to a non-client address %08x", a);
	}
}

static void *worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	struct wgw_engine_thread *t = wgw_engine_thread_attach(E, id);
	struct wstats *ws = calloc(1, sizeof(*ws));
	uint64_t rng = 0x1234567 + id * 7919;
	unsigned batches = 0;

	if (!t) {
		record_failure("attach failed (%u)", id);
		return ws;
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint32_t now = atomic_load_explicit(&now_s, memory_order_relaxed);

		for (unsigned n = 0; n < BATCH; n++) {
			uint64_t r = rng_next(&rng);
			unsigned k = (unsigned)(r % N_SESS), variant = (unsigned)(r >> 32) % 8;
			uint64_t cid = sess_cid(k);
			union wgw_addr ca, x;
			struct wgw_route rt;
			enum wgw_verdict v;
			struct tpkt pk;
			uint16_t cport, P, xp;
			int b;

			variant = variant < 6 ? 0 : variant - 5; /* mostly the home endpoint */
			sess_endpoint(k, variant, &ca, &cport);
			if ((r >> 40) % 16 == 0) {
				/* a reply for this session routed by a worker that did not
				 * forward it, in a later batch */
				uint32_t lr = atomic_load(&last_route[k]);

				if (!lr)
					continue;
				tpkt_make(&pk, &B[lr >> 16], 8420, &NAT, (uint16_t)lr, cid, 0);
				v = wgw_engine_from_backend(t, &pk.p, now, &rt);
				check_reply(&pk, v, &rt, &ca, cport, false);
				ws->rep_other++;
				continue;
			}
			/* handshakes now and then: routed by endpoint */
			tpkt_make(&pk, &ca, cport, &VIP, 8420,
				  (r >> 48) % 10 == 0 ? WRAITH_CID_HANDSHAKE : cid, 0);
			v = wgw_engine_from_client(t, &pk.p, now, &rt);
			ws->fwd++;
			if (v == WGW_DROP) {
				if (rt.reason != WGW_DROP_MAP_FULL && rt.reason != WGW_DROP_PORTS_FULL)
					record_failure("client packet dropped for reason %u", rt.reason);
				ws->dropped++;
				continue;
			}
			if (v != WGW_TO_LAN) {
				record_failure("client verdict %u", v);
				continue;
			}
			tpkt_src(&pk, &x, &P);
			tpkt_dst(&pk, &x, &xp);
			b = backend_of(&x);
			if (b < 0 || xp != 8420 || rt.backend < 0 ||
			    !wgw_addr_eq(&rt.nexthop, &x))
				record_failure("forwarded to a non-backend (%d, port %u)", b, xp);
			if (P < NAT_LO || P > NAT_HI)
				record_failure("NAT port %u out of range", P);
			if (!wgw_pkt_csum_ok(&pk.p))
				record_failure("forward checksum bad");
			if (b < 0)
				continue;
			if (variant == 0)
				atomic_store(&last_route[k], (uint32_t)b << 16 | P);
			/* the backend answers at once, in this batch */
			tpkt_make(&pk, &B[b], 8420, &NAT, P, cid, 0);
			v = wgw_engine_from_backend(t, &pk.p, now, &rt);
			check_reply(&pk, v, &rt, &ca, cport, true);
			ws->rep_same++;
			if (v == WGW_TO_WAN)
				ws->strict_ok++;
		}
		wgw_engine_quiescent(t);
		if (++batches % 64 == 0) {
			/* as around a poll() with nothing to do */
			struct timespec ts = { 0, 100000 };

			wgw_engine_thread_offline(t);
			nanosleep(&ts, NULL);
			wgw_engine_thread_online(t);
		}
	}
	wgw_engine_thread_detach(t);
	return ws;
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

START_TEST(test_stress)
{
	struct wgw_vip vip;
	struct wgw_engine_cfg cfg = { 0 };
	struct wgw_engine_stats st, ts_sum;
	pthread_t th[N_WORKERS];
	struct wstats tot = { 0 };
	uint64_t t0, iter = 0, removes = 0, adds = 0;
	bool b3_in = false, b2_drained = false;
	char err[256];

	VIP = A("203.0.113.10");
	NAT = A("10.0.0.1");
	for (int i = 0; i < 4; i++)
		wgw_addr_from_v4(&B[i], htonl(0x0a00000b + i));
	vip = (struct wgw_vip){ VIP, 8420, 8420 };
	cfg.vips = &vip;
	cfg.n_vips = 1;
	cfg.nat_addr = NAT;
	cfg.nat_port_lo = NAT_LO;
	cfg.nat_port_hi = NAT_HI;
	cfg.n_threads = N_WORKERS;
	cfg.max_cids = 2048;
	cfg.max_mappings = 3000;
	cfg.cid_idle_s = 4;
	cfg.map_idle_s = 2;
	E = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(E);
	for (int i = 0; i < 3; i++)
		ck_assert_int_ge(wgw_engine_backend_add(E, &B[i], 8420, 1), 0);

	for (unsigned i = 0; i < N_WORKERS; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);

	/* the control thread: for RUN_MS, and on until every kind of change
	 * has overlapped with traffic often enough (a loaded CI machine) */
	t0 = ms_now();
	for (;;) {
		struct timespec ts = { 0, 2000000 };
		uint64_t el = ms_now() - t0;

		if (el >= RUN_MS && iter % 64 == 0) {
			wgw_engine_get_stats(E, &st);
			if ((removes >= 10 && st.ctr[WGW_CTR_RX_CLIENT] >= 20000 &&
			     st.ctr[WGW_CTR_MAP_EXPIRED] >= 100 &&
			     st.ctr[WGW_CTR_MAP_PURGED] >= 10) || el >= MAX_RUN_MS)
				break;
		}

		iter++;
		if (iter % 10 == 0)
			atomic_fetch_add(&now_s, 1); /* the clock runs ~50x fast */
		wgw_engine_expire(E, atomic_load(&now_s), 700);
		switch (iter % 7) {
		case 0:
			if (b3_in) {
				ck_assert_int_eq(wgw_engine_backend_remove(E, &B[3], 8420), 0);
				removes++;
			} else {
				ck_assert_int_ge(wgw_engine_backend_add(E, &B[3], 8420, 2), 0);
				adds++;
			}
			b3_in = !b3_in;
			break;
		case 2:
			ck_assert_int_eq(b2_drained ? wgw_engine_backend_undrain(E, &B[2], 8420)
						    : wgw_engine_backend_drain(E, &B[2], 8420), 0);
			b2_drained = !b2_drained;
			break;
		case 4:
			ck_assert_int_eq(wgw_engine_backend_set_weight(E, &B[1], 8420,
								       1 + iter % 5), 0);
			break;
		case 5:
			ck_assert_int_eq(wgw_engine_set_limits(E, 0, iter % 2 ? 3000 : 1000, 0, 0),
					 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < N_WORKERS; i++) {
		struct wstats *ws;

		pthread_join(th[i], (void **)&ws);
		tot.fwd += ws->fwd;
		tot.rep_same += ws->rep_same;
		tot.rep_other += ws->rep_other;
		tot.dropped += ws->dropped;
		tot.strict_ok += ws->strict_ok;
		free(ws);
	}
	wgw_engine_get_stats(E, &st);
	printf("stress: %u workers, %llu control rounds (%llu adds, %llu removes): %llu forwarded, %llu same-batch replies (%llu delivered), %llu cross-worker replies, %llu refused; %llu mappings created, %llu expired, %llu purged; %llu CIDs learned\n",
	       N_WORKERS, (unsigned long long)iter, (unsigned long long)adds,
	       (unsigned long long)removes, (unsigned long long)tot.fwd,
	       (unsigned long long)tot.rep_same, (unsigned long long)tot.strict_ok,
	       (unsigned long long)tot.rep_other, (unsigned long long)tot.dropped,
	       (unsigned long long)st.ctr[WGW_CTR_MAP_CREATED],
	       (unsigned long long)st.ctr[WGW_CTR_MAP_EXPIRED],
	       (unsigned long long)st.ctr[WGW_CTR_MAP_PURGED],
	       (unsigned long long)st.ctr[WGW_CTR_CID_LEARNED]);
	ck_assert_msg(atomic_load(&failures) == 0, "%llu failures, first: %s",
		      (unsigned long long)atomic_load(&failures), fail_msg);

	/* the work really overlapped with every kind of change */
	ck_assert_uint_ge(tot.fwd, 20000);
	ck_assert_uint_ge(tot.strict_ok, 5000);
	ck_assert_uint_ge(removes, 10);
	ck_assert_uint_ge(st.ctr[WGW_CTR_MAP_EXPIRED], 100);
	ck_assert_uint_ge(st.ctr[WGW_CTR_MAP_PURGED], 10);

	/* counts add up */
	memset(&ts_sum, 0, sizeof(ts_sum));
	ck_assert_uint_eq(st.ctr[WGW_CTR_RX_CLIENT] + st.ctr[WGW_CTR_RX_BACKEND],
			  st.ctr[WGW_CTR_TO_LAN] + st.ctr[WGW_CTR_TO_WAN] + st.ctr[WGW_CTR_DROP]);
	for (unsigned r = 0; r < WGW_DROP_REASON_MAX; r++)
		ts_sum.ctr[0] += st.drop[r];
	ck_assert_uint_eq(ts_sum.ctr[0], st.ctr[WGW_CTR_DROP]);
	ck_assert_uint_eq(st.ctr[WGW_CTR_RX_CLIENT], tot.fwd);
	ck_assert_uint_eq(st.ctr[WGW_CTR_RX_BACKEND], tot.rep_same + tot.rep_other);
	/* limbo entries are already counted as expired or purged */
	ck_assert_uint_eq(st.ctr[WGW_CTR_MAP_CREATED],
			  st.n_mappings + st.ctr[WGW_CTR_MAP_EXPIRED] + st.ctr[WGW_CTR_MAP_PURGED]);
	ck_assert_uint_eq(st.ctr[WGW_CTR_CID_LEARNED],
			  st.n_cids + st.ctr[WGW_CTR_CID_EXPIRED] + st.ctr[WGW_CTR_CID_PURGED]);

	/* every table, free list and NAT port agrees; no mapping names a
	 * port it does not own, nothing leaked */
	ck_assert_msg(wgw_engine_check(E, err, sizeof(err)) == 0, "%s", err);
	/* drain everything: all state ends up free again */
	atomic_fetch_add(&now_s, 100);
	wgw_engine_expire(E, atomic_load(&now_s), 1U << 20);
	wgw_engine_expire(E, atomic_load(&now_s), 1U << 20);
	wgw_engine_get_stats(E, &st);
	ck_assert_uint_eq(st.n_mappings + st.n_cids + st.limbo_mappings + st.limbo_cids, 0);
	ck_assert_msg(wgw_engine_check(E, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(E);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine-stress");
	TCase *tc = tcase_create("concurrent");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_stress);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
