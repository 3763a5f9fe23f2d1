// SPDX-License-Identifier: GPL-2.0-only
/*
 * A pool of NAT addresses through the engine (issue #20): one backend, a
 * port range of NAT_PORTS ports on each of NAT_N addresses, more client
 * endpoints than one address has ports.  New mappings spread over the
 * addresses (no address fills while another is empty), capacity is
 * addresses x ports and the one past it is refused and counted, replies
 * to every address of the pool are mapped back, on every entry point
 * (parsed packets, single frames, batches, one link for both sides) and
 * in both families; the tables check out after every test.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>

#include "gateway/state.h"
#include "tests/unit/test_engine_util.h"

#define NAT_LO 20000
#define NAT_PORTS 4
#define NAT_N 3
#define N_EP (NAT_N * NAT_PORTS)

static struct wgw_engine *E;
static struct wgw_engine_thread *T;
static union wgw_addr VIP, NAT[NAT_N], B;
static const uint32_t NOW = 1000;

/* An engine on VIP, pool (first address nat_addr) of n, backend B. */
static struct wgw_engine *pool_engine(const union wgw_addr *pool, unsigned n)
{
	static struct wgw_vip vip;
	struct wgw_engine_cfg cfg = { 0 };
	struct wgw_engine *e;

	vip = (struct wgw_vip){ VIP, 8420, 8420 };
	cfg.vips = &vip;
	cfg.n_vips = 1;
	cfg.nat_addr = pool[0];
	cfg.nat_pool = pool + 1;
	cfg.n_nat_pool = n - 1;
	cfg.nat_port_lo = NAT_LO;
	cfg.nat_port_hi = NAT_LO + NAT_PORTS - 1;
	cfg.n_threads = 1;
	cfg.max_cids = 1024;
	cfg.max_mappings = 1024;
	e = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_ge(wgw_engine_backend_add(e, &B, 8420, 1), 0);
	return e;
}

static void setup_family(bool v6)
{
	VIP = A(v6 ? "2001:db8:1::10" : "203.0.113.10");
	NAT[0] = A(v6 ? "fd00::100" : "10.0.0.100");
	NAT[1] = A(v6 ? "fd00::101" : "10.0.0.101");
	NAT[2] = A(v6 ? "fd00::102" : "10.0.0.102");
	B = A(v6 ? "fd00::11" : "10.0.0.11");
	E = pool_engine(NAT, NAT_N);
	T = wgw_engine_thread_attach(E, 0);
	ck_assert_ptr_nonnull(T);
}

static void setup4(void)
{
	setup_family(false);
}

static void setup6(void)
{
	setup_family(true);
}

static void teardown(void)
{
	char err[256];

	wgw_engine_thread_detach(T);
	ck_assert_msg(wgw_engine_check(E, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(E);
}

static union wgw_addr client_addr(unsigned ep)
{
	char s[64];

	if (wgw_addr_is_v4(&VIP))
		snprintf(s, sizeof(s), "198.51.100.%u", 1 + ep);
	else
		snprintf(s, sizeof(s), "2001:db8:2::%x", 1 + ep);
	return A(s);
}

static int nat_index(const union wgw_addr *a)
{
	for (int k = 0; k < NAT_N; k++)
		if (wgw_addr_eq(a, &NAT[k]))
			return k;
	return -1;
}

enum entry { BY_PKT, BY_FRAME, BY_BATCH, BY_ANY };

/* Route pk from side dir through entry point how; the verdict, with the
 * frame rewritten and parsed again. */
static enum wgw_verdict route(struct tpkt *pk, enum wgw_dir dir, enum entry how,
			      struct wgw_route *r)
{
	struct wgw_frame f = { .data = pk->p.data, .len = pk->p.len };
	enum wgw_verdict v;

	switch (how) {
	case BY_PKT:
		v = dir == WGW_DIR_CLIENT ? wgw_engine_from_client(T, &pk->p, NOW, r)
					  : wgw_engine_from_backend(T, &pk->p, NOW, r);
		break;
	case BY_FRAME:
		v = wgw_engine_route_frame(T, dir, f.data, f.len, NOW, r);
		break;
	default:
		wgw_engine_route_batch(T, how == BY_ANY ? WGW_DIR_ANY : dir, &f, 1, NOW);
		v = (enum wgw_verdict)f.verdict;
		*r = f.route;
		break;
	}
	if (v != WGW_DROP)
		ck_assert_int_eq(wgw_pkt_parse(&pk->p, pk->buf, f.len), WGW_PKT_UDP);
	return v;
}

/* N_EP endpoints, each on the pool's next free pair, then every reply. */
static void pool_round_trip(enum entry how)
{
	unsigned per_addr[NAT_N] = { 0 };
	union wgw_addr nat[N_EP];
	uint16_t port[N_EP];
	struct wgw_route r;
	struct tpkt pk;

	for (unsigned ep = 0; ep < N_EP; ep++) {
		union wgw_addr c = client_addr(ep), src, dst;
		uint16_t dport;
		int k;

		tpkt_make(&pk, &c, 40000, &VIP, 8420, 0x1000 + ep, 0);
		ck_assert_int_eq(route(&pk, WGW_DIR_CLIENT, how, &r), WGW_TO_LAN);
		tpkt_src(&pk, &src, &port[ep]);
		tpkt_dst(&pk, &dst, &dport);
		ck_assert(wgw_addr_eq(&dst, &B));
		k = nat_index(&src);
		ck_assert_int_ge(k, 0);
		nat[ep] = src;
		per_addr[k]++;
		/* spread: no address more than one ahead of another */
		for (int j = 0; j < NAT_N; j++)
			ck_assert_uint_le(per_addr[k], per_addr[j] + 1);
	}
	for (int k = 0; k < NAT_N; k++)
		ck_assert_uint_eq(per_addr[k], NAT_PORTS);
	/* the same pair never twice */
	for (unsigned i = 0; i < N_EP; i++)
		for (unsigned j = 0; j < i; j++)
			ck_assert(port[i] != port[j] || !wgw_addr_eq(&nat[i], &nat[j]));

	/* every reply to every address of the pool back to its client */
	for (unsigned ep = 0; ep < N_EP; ep++) {
		union wgw_addr c = client_addr(ep), src, dst;
		uint16_t sport, dport;

		tpkt_make(&pk, &B, 8420, &nat[ep], port[ep], 0x1000 + ep, 0);
		ck_assert_int_eq(route(&pk, WGW_DIR_BACKEND, how, &r), WGW_TO_WAN);
		tpkt_src(&pk, &src, &sport);
		tpkt_dst(&pk, &dst, &dport);
		ck_assert(wgw_addr_eq(&dst, &c));
		ck_assert_uint_eq(dport, 40000);
		ck_assert(wgw_addr_eq(&src, &VIP));
		ck_assert_uint_eq(sport, 8420);
	}
	/* a known CID again: its mapping, same pair */
	for (unsigned ep = 0; ep < N_EP; ep++) {
		union wgw_addr c = client_addr(ep), src;
		uint16_t sport;

		tpkt_make(&pk, &c, 40000, &VIP, 8420, 0x1000 + ep, 0);
		ck_assert_int_eq(route(&pk, WGW_DIR_CLIENT, how, &r), WGW_TO_LAN);
		tpkt_src(&pk, &src, &sport);
		ck_assert(wgw_addr_eq(&src, &nat[ep]));
		ck_assert_uint_eq(sport, port[ep]);
	}
}

/* The pool is full: the next endpoint is refused and counted. */
static void pool_exhausted(void)
{
	union wgw_addr c = client_addr(N_EP);
	struct wgw_backend_info bi;
	struct wgw_route r;
	struct tpkt pk;

	tpkt_make(&pk, &c, 40000, &VIP, 8420, 0x9999, 0);
	ck_assert_int_eq(wgw_engine_from_client(T, &pk.p, NOW, &r), WGW_DROP);
	ck_assert_int_eq(r.reason, WGW_DROP_PORTS_FULL);
	ck_assert_uint_eq(wgw_engine_backends(E, &bi, 1), 1);
	ck_assert_uint_eq(bi.mappings, N_EP);
	ck_assert_uint_eq(bi.nat_capacity, N_EP);
	ck_assert_uint_eq(bi.nat_exhausted, 1);
}

START_TEST(test_pool)
{
	pool_round_trip((enum entry)_i);
	pool_exhausted();
}
END_TEST

/* Not to an address of the pool, or outside the port range: not NAT. */
START_TEST(test_not_pool)
{
	union wgw_addr other = A(wgw_addr_is_v4(&VIP) ? "10.0.0.103" : "fd00::103");
	struct wgw_route r;
	struct tpkt pk;

	tpkt_make(&pk, &B, 8420, &other, NAT_LO, 0x1000, 0);
	ck_assert_int_eq(wgw_engine_from_backend(T, &pk.p, NOW, &r), WGW_DROP);
	ck_assert_int_eq(r.reason, WGW_DROP_NOT_NAT);
	tpkt_make(&pk, &B, 8420, &NAT[2], NAT_LO + NAT_PORTS, 0x1000, 0);
	ck_assert_int_eq(wgw_engine_from_backend(T, &pk.p, NOW, &r), WGW_DROP);
	ck_assert_int_eq(r.reason, WGW_DROP_NOT_NAT);
	/* no mapping on that pair yet */
	tpkt_make(&pk, &B, 8420, &NAT[2], NAT_LO, 0x1000, 0);
	ck_assert_int_eq(wgw_engine_from_backend(T, &pk.p, NOW, &r), WGW_DROP);
	ck_assert_int_eq(r.reason, WGW_DROP_NO_MAPPING);
	/* a client from an address of the pool is spoofed */
	tpkt_make(&pk, &NAT[1], 40000, &VIP, 8420, 0x1000, 0);
	ck_assert_int_eq(wgw_engine_from_client(T, &pk.p, NOW, &r), WGW_DROP);
	ck_assert_int_eq(r.reason, WGW_DROP_SPOOFED);
}
END_TEST

/* What trace and the session list say: each mapping's own address. */
START_TEST(test_pool_introspection)
{
	struct wgw_session_info si;
	struct wgw_trace_in in = { 0 };
	struct wgw_trace t;
	struct wgw_route r;
	struct tpkt pk;

	for (unsigned ep = 0; ep < 2; ep++) {
		union wgw_addr c = client_addr(ep);

		tpkt_make(&pk, &c, 40000, &VIP, 8420, 0x1000 + ep, 0);
		ck_assert_int_eq(wgw_engine_from_client(T, &pk.p, NOW, &r), WGW_TO_LAN);
	}
	/* the second endpoint went to the pool's second address */
	{
		union wgw_addr c = client_addr(1);

		ck_assert_uint_eq(wgw_engine_lookup_client(E, &c, 40000, NOW, &si, 1), 1);
		ck_assert(wgw_addr_eq(&si.nat, &NAT[1]));
		ck_assert_uint_eq(si.nat_port, NAT_LO);
	}
	/* a third would go to the third address */
	in.dir = WGW_DIR_CLIENT;
	in.src = client_addr(2);
	in.sport = 40000;
	in.dst = VIP;
	in.dport = 8420;
	wgw_engine_trace(E, &in, &t);
	ck_assert_int_eq(t.verdict, WGW_TO_LAN);
	ck_assert(wgw_addr_eq(&t.out_src, &NAT[2]));
	ck_assert_uint_eq(t.out_sport, NAT_LO);
	/* a reply to the second address */
	memset(&in, 0, sizeof(in));
	in.dir = WGW_DIR_ANY;
	in.src = B;
	in.sport = 8420;
	in.dst = NAT[1];
	in.dport = NAT_LO;
	wgw_engine_trace(E, &in, &t);
	ck_assert_int_eq(t.dir, WGW_DIR_BACKEND);
	ck_assert_int_eq(t.verdict, WGW_TO_WAN);
	ck_assert(wgw_addr_eq(&t.out_dst, &si.client));
}
END_TEST

static int count_nat(const struct wgw_session_info *si, void *arg)
{
	unsigned *n = arg;
	int k = nat_index(&si->nat);

	ck_assert_int_ge(k, 0);
	n[k]++;
	return 0;
}

/* The state file names each mapping's NAT address: a new engine on the
 * same pool, listed in another order, gets every mapping back on its
 * address and port; one without an address of the pool counts that
 * address's mappings as changed and restores the rest. */
START_TEST(test_pool_state)
{
	union wgw_addr reordered[NAT_N] = { NAT[2], NAT[0], NAT[1] };
	unsigned per[NAT_N] = { 0 };
	struct wgw_state st, st2;
	struct wgw_state_result res;
	struct wgw_engine *e2;
	struct wgw_route r;
	struct tpkt pk;
	uint8_t *buf;
	size_t len;
	char why[256];

	for (unsigned ep = 0; ep < N_EP; ep++) {
		union wgw_addr c = client_addr(ep);

		tpkt_make(&pk, &c, 40000, &VIP, 8420, 0x1000 + ep, 0);
		ck_assert_int_eq(wgw_engine_from_client(T, &pk.p, NOW, &r), WGW_TO_LAN);
	}
	ck_assert_int_eq(wgw_engine_state_save(E, NOW, &st), 0);
	ck_assert_uint_eq(st.n_maps, N_EP);
	ck_assert_uint_eq(st.n_nat_pool, NAT_N - 1);
	ck_assert_int_eq(wgw_state_encode(&st, &buf, &len), 0);
	ck_assert_msg(wgw_state_decode(buf, len, 1024, 1024, &st2, why, sizeof(why)) == 0,
		      "%s", why);
	free(buf);

	e2 = pool_engine(reordered, NAT_N);
	ck_assert_int_eq(wgw_engine_state_restore(e2, NOW, 0, &st2, &res), 0);
	ck_assert_uint_eq(res.maps, N_EP);
	wgw_engine_list_sessions(e2, NOW, 0, count_nat, per);
	for (int k = 0; k < NAT_N; k++)
		ck_assert_uint_eq(per[k], NAT_PORTS);
	/* each client's pair as before */
	for (unsigned ep = 0; ep < N_EP; ep++) {
		union wgw_addr c = client_addr(ep);
		struct wgw_session_info a, b;

		ck_assert_uint_eq(wgw_engine_lookup_client(E, &c, 40000, NOW, &a, 1), 1);
		ck_assert_uint_eq(wgw_engine_lookup_client(e2, &c, 40000, NOW, &b, 1), 1);
		ck_assert(wgw_addr_eq(&a.nat, &b.nat));
		ck_assert_uint_eq(a.nat_port, b.nat_port);
	}
	{
		char err[256];

		ck_assert_msg(wgw_engine_check(e2, err, sizeof(err)) == 0, "%s", err);
	}
	wgw_engine_destroy(e2);

	/* the pool without its last address */
	e2 = pool_engine(NAT, NAT_N - 1);
	ck_assert_int_eq(wgw_engine_state_restore(e2, NOW, 0, &st2, &res), 0);
	ck_assert_uint_eq(res.maps, N_EP - NAT_PORTS);
	ck_assert_uint_eq(res.maps_nat_changed, NAT_PORTS);
	wgw_engine_destroy(e2);
	wgw_state_free(&st);
	wgw_state_free(&st2);
}
END_TEST

/* Bad pools are refused with a reason. */
START_TEST(test_pool_validate)
{
	union wgw_addr pool[2] = { A("10.0.0.101"), A("10.0.0.101") };
	struct wgw_vip vip = { A("203.0.113.10"), 8420, 8420 };
	struct wgw_engine_cfg cfg = {
		.vips = &vip, .n_vips = 1, .nat_addr = A("10.0.0.100"), .nat_pool = pool,
		.n_nat_pool = 2, .nat_port_lo = 1024, .nat_port_hi = 2047, .n_threads = 1,
		.max_cids = 16, .max_mappings = 16,
	};
	char err[256];

	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	pool[1] = A("fd00::1");
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	pool[1] = A("10.0.0.100");
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	pool[1] = A("10.0.0.102");
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), 0);
}
END_TEST

static Suite *natpool_suite(void)
{
	Suite *s = suite_create("natpool");
	TCase *tc4 = tcase_create("ipv4"), *tc6 = tcase_create("ipv6");
	TCase *tcv = tcase_create("validate");

	tcase_add_checked_fixture(tc4, setup4, teardown);
	tcase_add_loop_test(tc4, test_pool, BY_PKT, BY_ANY + 1);
	tcase_add_test(tc4, test_not_pool);
	tcase_add_test(tc4, test_pool_introspection);
	tcase_add_test(tc4, test_pool_state);
	suite_add_tcase(s, tc4);
	tcase_add_checked_fixture(tc6, setup6, teardown);
	tcase_add_loop_test(tc6, test_pool, BY_PKT, BY_ANY + 1);
	tcase_add_test(tc6, test_not_pool);
	tcase_add_test(tc6, test_pool_introspection);
	tcase_add_test(tc6, test_pool_state);
	suite_add_tcase(s, tc6);
	tcase_add_test(tcv, test_pool_validate);
	suite_add_tcase(s, tcv);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(natpool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
