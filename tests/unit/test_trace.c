// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace (wgw_engine_trace()): it changes nothing, and the engine then
 * does what it said, for random client and backend packets against the
 * tables as they grow (rule, backend, mapping, NAT port, rewrite, drop
 * reason).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>

#include "tests/unit/test_engine_util.h"

#define NAT_LO 20000
#define NAT_HI 20063	/* few ports: the NAT port pool runs out too */

static struct wgw_engine *E;
static struct wgw_engine_thread *T;
static union wgw_addr VIP, NAT, B[3];
static const uint32_t NOW = 1000;

static void setup(void)
{
	static const char *const be[3] = { "10.0.0.11", "10.0.0.12", "10.0.0.13" };
	static struct wgw_vip vip;

	VIP = A("203.0.113.10");
	NAT = A("10.0.0.1");
	vip = (struct wgw_vip){ VIP, 8420, 8420 };
	E = wgw_engine_create(&(struct wgw_engine_cfg){
		.vips = &vip, .n_vips = 1, .nat_addr = NAT, .nat_port_lo = NAT_LO,
		.nat_port_hi = NAT_HI, .n_threads = 1, .max_cids = 1024, .max_mappings = 1024,
	});
	ck_assert_ptr_nonnull(E);
	for (unsigned i = 0; i < 3; i++) {
		B[i] = A(be[i]);
		ck_assert_int_ge(wgw_engine_backend_add(E, &B[i], 8420, 1), 0);
	}
	T = wgw_engine_thread_attach(E, 0);
	ck_assert_ptr_nonnull(T);
}

/* The tables still add up after all the tracing and routing. */
static void teardown(void)
{
	char err[256];
	int rc;

	wgw_engine_thread_detach(T);
	rc = wgw_engine_check(E, err, sizeof(err));
	wgw_engine_destroy(E);
	ck_assert_msg(rc == 0, "%s", err);
}

/* Trace, check that nothing changed, route the same packet, compare. */
static void trace_then_route(const union wgw_addr *src, uint16_t sport, const union wgw_addr *dst,
			     uint16_t dport, bool has_cid, uint64_t cid, const char *what)
{
	struct wgw_trace_in in = {
		.dir = WGW_DIR_ANY, .src = *src, .dst = *dst, .sport = sport, .dport = dport,
		.has_cid = has_cid, .cid = has_cid ? cid : 0,
	};
	struct wgw_engine_stats before, after;
	struct wgw_trace t;
	struct wgw_route r;
	enum wgw_verdict v;
	union wgw_addr a;
	uint16_t port;
	struct tpkt pk;

	wgw_engine_get_stats(E, &before);
	wgw_engine_trace(E, &in, &t);
	wgw_engine_get_stats(E, &after);
	ck_assert_msg(!memcmp(&before, &after, sizeof(before)), "%s: trace changed the engine",
		      what);

	/* no CID: a bare 32-byte handshake message (random bytes) */
	tpkt_make(&pk, src, sport, dst, dport, has_cid ? cid : 0xfffffffffffffffeULL, 0);
	v = t.dir == WGW_DIR_CLIENT ? wgw_engine_from_client(T, &pk.p, NOW, &r) :
				      wgw_engine_from_backend(T, &pk.p, NOW, &r);
	ck_assert_msg(v == t.verdict, "%s: trace says %d (%s), the engine does %d (%s)", what,
		      t.verdict, wgw_drop_reason_name(t.reason), v, wgw_drop_reason_name(r.reason));
	if (v == WGW_DROP) {
		ck_assert_msg(r.reason == t.reason, "%s: trace says %s, the engine %s", what,
			      wgw_drop_reason_name(t.reason), wgw_drop_reason_name(r.reason));
		return;
	}
	ck_assert_msg(r.backend == t.backend, "%s: backend %d, trace said %d", what, r.backend,
		      t.backend);
	tpkt_src(&pk, &a, &port);
	ck_assert_msg(wgw_addr_eq(&a, &t.out_src) && port == t.out_sport,
		      "%s: rewritten source port %u, trace said %u", what, port, t.out_sport);
	tpkt_dst(&pk, &a, &port);
	ck_assert_msg(wgw_addr_eq(&a, &t.out_dst) && port == t.out_dport,
		      "%s: rewritten destination port %u, trace said %u", what, port, t.out_dport);
}

START_TEST(test_trace_agrees)
{
	char what[128];

	srandom(16);
	for (unsigned i = 0; i < 4000; i++) {
		union wgw_addr c, x;
		char cs[32];
		uint16_t cport = (uint16_t)(1000 + random() % 8);
		bool has_cid = random() % 4 != 0;
		uint64_t cid = (uint64_t)(random() % 40);	/* 0 now and then */

		snprintf(cs, sizeof(cs), "198.51.100.%ld", 1 + random() % 12);
		c = A(cs);
		switch (random() % 8) {
		case 0:		/* a backend's reply, to any port of the range */
			snprintf(what, sizeof(what), "#%u backend reply", i);
			trace_then_route(&B[random() % 3], 8420, &NAT,
					 (uint16_t)(NAT_LO + random() % 70), has_cid, cid, what);
			break;
		case 1:		/* not to the VIP, or from one of ours */
			x = random() % 2 ? B[1] : A("203.0.113.11");
			snprintf(what, sizeof(what), "#%u odd client packet", i);
			if (wgw_addr_eq(&x, &B[1]))
				trace_then_route(&x, cport, &VIP, 8420, has_cid, cid, what);
			else
				trace_then_route(&c, cport, &x, 8420, has_cid, cid, what);
			break;
		default:
			snprintf(what, sizeof(what), "#%u client %s:%u cid %d:%llu", i, cs, cport,
				 has_cid, (unsigned long long)cid);
			trace_then_route(&c, cport, &VIP, 8420, has_cid, cid, what);
			break;
		}
		if (i == 2000)		/* a backend drained: no new endpoints */
			ck_assert_int_eq(wgw_engine_backend_drain(E, &B[0], 8420), 0);
	}
}
END_TEST

START_TEST(test_trace_says_why)
{
	struct wgw_trace_in in = { .dir = WGW_DIR_CLIENT, .src = A("198.51.100.7"), .sport = 4000,
				   .dst = VIP, .dport = 8420, .has_cid = true, .cid = 0 };
	struct wgw_trace t;

	wgw_engine_trace(E, &in, &t);
	ck_assert_int_eq(t.verdict, WGW_DROP);
	ck_assert_int_eq(t.reason, WGW_DROP_CID0);
	in.cid = 77;
	wgw_engine_trace(E, &in, &t);
	ck_assert_int_eq(t.verdict, WGW_TO_LAN);
	ck_assert_int_eq(t.rule, 1);
	ck_assert_int_eq(t.map, WGW_TRACE_MAP_NEW);
	ck_assert(t.cid_learn && !t.cid_known);
	ck_assert_uint_ge(t.nat_port, NAT_LO);
	ck_assert_ptr_nonnull(t.why);
	in.src = A("127.0.0.1");
	wgw_engine_trace(E, &in, &t);
	ck_assert_int_eq(t.reason, WGW_DROP_MARTIAN);
	in.src = A("2001:db8::1");
	wgw_engine_trace(E, &in, &t);
	ck_assert_int_eq(t.reason, WGW_DROP_FAMILY);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_trace_agrees);
	tcase_add_test(tc, test_trace_says_why);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(trace_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
