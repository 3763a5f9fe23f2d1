// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-source quotas through the engine (issue #17 item 4): what the data
 * path does with a source over its quota of mappings (drop, counted as
 * source-quota) or of CIDs (routed, not learned, cids-over-quota), that CIDs
 * from backend replies count for the mapping's client source, that reload
 * and expiry move the quota, and that the tables and counters agree after
 * every test (wgw_engine_check recounts the per-source counters).  The
 * tables' own quota logic is tested against a reference in test_sessions.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>

#include "tests/unit/test_engine_util.h"

#define NAT_LO 20000
#define NAT_HI 29999
#define Q_MAPS 16	/* mappings per source in these tests */
#define Q_CIDS 32	/* CIDs per source */

static struct wgw_engine *E;
static struct wgw_engine_thread *T;
static union wgw_addr VIP, NAT, B[3];
static uint32_t NOW = 1000;

static void setup(void)
{
	static struct wgw_vip vip;
	struct wgw_engine_cfg cfg = { 0 };

	VIP = A("203.0.113.10");
	NAT = A("10.0.0.1");
	B[0] = A("10.0.0.11");
	B[1] = A("10.0.0.12");
	B[2] = A("10.0.0.13");
	vip = (struct wgw_vip){ VIP, 8420, 8420 };
	cfg.vips = &vip;
	cfg.n_vips = 1;
	cfg.nat_addr = NAT;
	cfg.nat_port_lo = NAT_LO;
	cfg.nat_port_hi = NAT_HI;
	cfg.n_threads = 1;
	cfg.max_cids = 1024;
	cfg.max_mappings = 1024;
	cfg.cid_idle_s = 300;
	cfg.map_idle_s = 60;
	cfg.max_maps_per_source = Q_MAPS;
	cfg.max_cids_per_source = Q_CIDS;
	E = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(E);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_ge(wgw_engine_backend_add(E, &B[i], 8420, 1), 0);
	T = wgw_engine_thread_attach(E, 0);
	ck_assert_ptr_nonnull(T);
	NOW = 1000;
}

static void teardown(void)
{
	char err[256];

	wgw_engine_thread_detach(T);
	ck_assert_msg(wgw_engine_check(E, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(E);
}

/* A client datagram; on WGW_TO_LAN *nat_port is the mapping's P. */
static enum wgw_verdict client(const char *src, uint16_t sport, uint64_t cid,
			       struct wgw_route *r, uint16_t *nat_port)
{
	union wgw_addr c = A(src), a;
	struct tpkt pk;
	enum wgw_verdict v;
	uint16_t p;

	tpkt_make(&pk, &c, sport, &VIP, 8420, cid, 0);
	v = wgw_engine_from_client(T, &pk.p, NOW, r);
	tpkt_src(&pk, &a, &p);
	if (nat_port)
		*nat_port = p;
	return v;
}

/* A backend's reply to NAT:P carrying cid. */
static enum wgw_verdict reply(unsigned backend, uint16_t nat_port, uint64_t cid)
{
	struct wgw_route r;
	struct tpkt pk;

	tpkt_make(&pk, &B[backend], 8420, &NAT, nat_port, cid, 0);
	return wgw_engine_from_backend(T, &pk.p, NOW, &r);
}

static struct wgw_engine_stats stats(void)
{
	struct wgw_engine_stats st;

	wgw_engine_get_stats(E, &st);
	return st;
}

/* One source, 5000 endpoints: Q_MAPS mappings, the rest dropped as
 * source-quota before anything was taken; other sources and the flooder's
 * own sessions keep working. */
START_TEST(test_mapping_quota)
{
	struct wgw_engine_stats st;
	struct wgw_route r;
	unsigned fwd = 0, quota = 0;

	for (unsigned p = 1; p <= 5000; p++) {
		enum wgw_verdict v = client("198.51.100.66", (uint16_t)p, WRAITH_CID_HANDSHAKE,
					    &r, NULL);

		if (v == WGW_TO_LAN) {
			fwd++;
		} else {
			ck_assert_int_eq(r.reason, WGW_DROP_SOURCE_QUOTA);
			quota++;
		}
	}
	ck_assert_uint_eq(fwd, Q_MAPS);
	st = stats();
	ck_assert_uint_eq(st.n_mappings, Q_MAPS);
	ck_assert_uint_eq(st.drop[WGW_DROP_SOURCE_QUOTA], quota);
	ck_assert_uint_eq(st.ctr[WGW_CTR_MAP_CREATED], Q_MAPS);
	ck_assert_uint_eq(st.ctr[WGW_CTR_MAP_REFUSED], 0); /* the table was never full */

	/* ten other clients get through; the flooder's endpoints still work */
	for (unsigned i = 0; i < 10; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.51.100.%u", 10 + i);
		ck_assert_int_eq(client(a, 5000, WRAITH_CID_HANDSHAKE, &r, NULL), WGW_TO_LAN);
	}
	for (unsigned p = 1; p <= Q_MAPS; p++)
		ck_assert_int_eq(client("198.51.100.66", (uint16_t)p, WRAITH_CID_HANDSHAKE, &r, NULL),
				 WGW_TO_LAN);

	/* expiry gives the quota back */
	NOW += 61;
	wgw_engine_expire(E, NOW, 4096);
	wgw_engine_expire(E, NOW, 4096);
	ck_assert_uint_eq(stats().n_mappings, 0);
	ck_assert_int_eq(client("198.51.100.66", 6000, WRAITH_CID_HANDSHAKE, &r, NULL), WGW_TO_LAN);
}
END_TEST

/* A known CID from a new endpoint of a source over its quota is a new
 * mapping too: refused like any other (the CID's backend is kept). */
START_TEST(test_mapping_quota_migration)
{
	struct wgw_route r;

	for (unsigned p = 1; p <= Q_MAPS; p++)
		ck_assert_int_eq(client("198.51.100.66", (uint16_t)p, WRAITH_CID_HANDSHAKE, &r, NULL),
				 WGW_TO_LAN);
	/* learn a CID from another source, then use it from the full one */
	ck_assert_int_eq(client("198.51.100.7", 1, 0x1111222233334444ULL, &r, NULL), WGW_TO_LAN);
	ck_assert_int_eq(client("198.51.100.66", 999, 0x1111222233334444ULL, &r, NULL), WGW_DROP);
	ck_assert_int_eq(r.reason, WGW_DROP_SOURCE_QUOTA);
	/* a migration from a source with room works */
	ck_assert_int_eq(client("198.51.100.8", 2, 0x1111222233334444ULL, &r, NULL), WGW_TO_LAN);
}
END_TEST

/* Random CIDs from one endpoint: all routed on its mapping, Q_CIDS
 * learned, the rest counted; another source's CIDs are learned. */
START_TEST(test_cid_quota)
{
	struct wgw_engine_stats st;
	struct wgw_cid_info ci;
	struct wgw_route r;
	int backend = -1;

	for (unsigned i = 0; i < 1000; i++) {
		uint64_t cid = 0x0100000000000000ULL + i * 0x9e3779b97f4aULL;

		ck_assert_int_eq(client("198.51.100.66", 4000, cid, &r, NULL), WGW_TO_LAN);
		if (backend < 0)
			backend = r.backend;
		ck_assert_int_eq(r.backend, backend); /* its endpoint's mapping */
	}
	st = stats();
	ck_assert_uint_eq(st.n_cids, Q_CIDS);
	ck_assert_uint_eq(st.ctr[WGW_CTR_CID_LEARNED], Q_CIDS);
	ck_assert_uint_eq(st.ctr[WGW_CTR_CID_QUOTA], 1000 - Q_CIDS);
	ck_assert_uint_eq(st.ctr[WGW_CTR_CID_REFUSED], 0);
	ck_assert_uint_eq(st.drop[WGW_DROP_SOURCE_QUOTA], 0);

	/* 20 sessions of another client on 10 sockets, all learned: they
	 * will survive a migration */
	for (unsigned i = 0; i < 20; i++)
		ck_assert_int_eq(client("198.51.100.2", (uint16_t)(100 + i / 2), 0x77000000 + i, &r,
					NULL), WGW_TO_LAN);
	for (unsigned i = 0; i < 20; i++)
		ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x77000000 + i, NOW, &ci), 0);

	/* expiry gives the flooder's quota back */
	NOW += 301;
	wgw_engine_expire(E, NOW, 4096);
	wgw_engine_expire(E, NOW, 4096);
	ck_assert_uint_eq(stats().n_cids, 0);
	ck_assert_int_eq(client("198.51.100.66", 4000, 0x55, &r, NULL), WGW_TO_LAN);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x55, NOW, &ci), 0);
}
END_TEST

/* CIDs a backend's replies carry count for the client source of the
 * mapping: half learned from the client, half from replies, then both
 * sides are refused. */
START_TEST(test_cid_quota_backend_replies)
{
	struct wgw_engine_stats st;
	struct wgw_cid_info ci;
	struct wgw_route r;
	uint16_t P;

	for (unsigned i = 0; i < Q_CIDS / 2; i++)
		ck_assert_int_eq(client("198.51.100.66", 4000, 0x1000 + i, &r, &P), WGW_TO_LAN);
	for (unsigned i = 0; i < Q_CIDS / 2; i++)
		ck_assert_int_eq(reply((unsigned)r.backend, P, 0x2000 + i), WGW_TO_WAN);
	ck_assert_uint_eq(stats().n_cids, Q_CIDS);
	/* full: from the backend ... */
	ck_assert_int_eq(reply((unsigned)r.backend, P, 0x3000), WGW_TO_WAN);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x3000, NOW, &ci), -ENOENT);
	/* ... and from the client */
	ck_assert_int_eq(client("198.51.100.66", 4000, 0x3001, &r, NULL), WGW_TO_LAN);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x3001, NOW, &ci), -ENOENT);
	st = stats();
	ck_assert_uint_eq(st.ctr[WGW_CTR_CID_QUOTA], 2);
	/* another client's backend replies are learned */
	ck_assert_int_eq(client("198.51.100.2", 4000, WRAITH_CID_HANDSHAKE, &r, &P), WGW_TO_LAN);
	ck_assert_int_eq(reply((unsigned)r.backend, P, 0x4000), WGW_TO_WAN);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x4000, NOW, &ci), 0);
}
END_TEST

/* Reload: a lowered quota evicts nothing and admits nothing new; 0 lifts
 * it. */
START_TEST(test_quota_reload)
{
	struct wgw_route r;

	for (unsigned p = 1; p <= 10; p++)
		ck_assert_int_eq(client("198.51.100.66", (uint16_t)p, WRAITH_CID_HANDSHAKE, &r, NULL),
				 WGW_TO_LAN);
	wgw_engine_set_source_quotas(E, 5, 5);
	ck_assert_uint_eq(stats().n_mappings, 10);
	ck_assert_int_eq(client("198.51.100.66", 1, WRAITH_CID_HANDSHAKE, &r, NULL), WGW_TO_LAN);
	ck_assert_int_eq(client("198.51.100.66", 11, WRAITH_CID_HANDSHAKE, &r, NULL), WGW_DROP);
	ck_assert_int_eq(r.reason, WGW_DROP_SOURCE_QUOTA);
	wgw_engine_set_source_quotas(E, 0, 0);
	for (unsigned p = 11; p <= 100; p++)
		ck_assert_int_eq(client("198.51.100.66", (uint16_t)p, WRAITH_CID_HANDSHAKE, &r, NULL),
				 WGW_TO_LAN);
	ck_assert_uint_eq(stats().n_mappings, 100);
}
END_TEST

static Suite *quota_suite(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mapping_quota);
	tcase_add_test(tc, test_mapping_quota_migration);
	tcase_add_test(tc, test_cid_quota);
	tcase_add_test(tc, test_cid_quota_backend_replies);
	tcase_add_test(tc, test_quota_reload);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(quota_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
