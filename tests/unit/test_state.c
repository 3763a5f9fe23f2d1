// SPDX-License-Identifier: GPL-2.0-only
/*
 * The state file (gateway/state.h): sessions saved from one engine and
 * restored into another keep their backend and their NAT port, whatever
 * slots the backends got; idle clocks carry the downtime; entries of a
 * backend that is gone are dropped and counted; the tables are consistent
 * afterwards (wgw_engine_check, which also checks the NAT port pools).
 * And the decoder refuses every truncation, every flipped byte, another
 * version and counts above the capacity, without a crash (the fuzz target
 * tests/fuzz/fuzz_state.c goes further).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/state.h"
#include "tests/unit/test_engine_util.h"

#define NAT_LO 20000
#define NAT_HI 29999
#define N_CLIENTS 200

static union wgw_addr VIP, NAT, B[3];

static struct wgw_engine *engine(const int *order, unsigned n, uint16_t nat_lo)
{
	static struct wgw_vip vip;
	struct wgw_engine_cfg cfg = { 0 };
	struct wgw_engine *e;

	VIP = A("203.0.113.10");
	NAT = A("10.0.0.1");
	B[0] = A("10.0.0.11");
	B[1] = A("10.0.0.12");
	B[2] = A("10.0.0.13");
	vip = (struct wgw_vip){ VIP, 8420, 8420 };
	cfg.vips = &vip;
	cfg.n_vips = 1;
	cfg.nat_addr = NAT;
	cfg.nat_port_lo = nat_lo;
	cfg.nat_port_hi = NAT_HI;
	cfg.n_threads = 1;
	cfg.max_cids = 4096;
	cfg.max_mappings = 4096;
	cfg.cid_idle_s = 300;
	cfg.map_idle_s = 60;
	e = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(e);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_ge(wgw_engine_backend_add(e, &B[order[i]], 8420, 1), 0);
	return e;
}

/* A client datagram through t: the backend (address) and NAT port used. */
static enum wgw_verdict csend(struct wgw_engine_thread *t, unsigned client, uint16_t sport,
			     uint64_t cid, uint32_t now, union wgw_addr *be, uint16_t *nat_port)
{
	char a[32];
	union wgw_addr c;
	struct tpkt pk;
	struct wgw_route r;
	enum wgw_verdict v;
	uint16_t p;

	snprintf(a, sizeof(a), "198.51.%u.%u", 100 + client / 200, 1 + client % 200);
	c = A(a);
	tpkt_make(&pk, &c, sport, &VIP, 8420, cid, 0);
	v = wgw_engine_from_client(t, &pk.p, now, &r);
	if (v == WGW_TO_LAN) {
		*be = r.nexthop;
		tpkt_src(&pk, &c, &p);
		*nat_port = p;
	}
	return v;
}

static uint64_t cid_of(unsigned i)
{
	return 0x1000000000000000ULL + i * 0x9e3779b97f4a7c15ULL % 0xffffffffffULL + 1;
}

struct seen {
	union wgw_addr be;
	uint16_t nat_port;
};

/* N_CLIENTS clients each send from port 40000 with their CID, then from
 * port 41000 (moved): the CID is learned on the first endpoint. */
static void traffic(struct wgw_engine *e, uint32_t now, struct seen *s)
{
	struct wgw_engine_thread *t = wgw_engine_thread_attach(e, 0);
	union wgw_addr be;
	uint16_t np;

	ck_assert_ptr_nonnull(t);
	for (unsigned i = 0; i < N_CLIENTS; i++) {
		ck_assert_int_eq(csend(t, i, 40000, cid_of(i), now, &s[i].be, &s[i].nat_port),
				 WGW_TO_LAN);
		ck_assert_int_eq(csend(t, i, 41000, cid_of(i), now, &be, &np), WGW_TO_LAN);
		ck_assert(wgw_addr_eq(&be, &s[i].be));
	}
	wgw_engine_thread_detach(t);
}

static void roundtrip(const struct wgw_state *in, struct wgw_state *out)
{
	uint8_t *buf;
	size_t len;
	char why[256];

	ck_assert_int_eq(wgw_state_encode(in, &buf, &len), 0);
	ck_assert_msg(wgw_state_decode(buf, len, 4096, 4096, out, why, sizeof(why)) == 0,
		      "%s", why);
	free(buf);
}

START_TEST(test_restore_keeps_backend_and_port)
{
	static const int order1[] = { 0, 1, 2 }, order2[] = { 2, 0, 1 };
	struct wgw_engine *e1 = engine(order1, 3, NAT_LO), *e2;
	struct seen before[N_CLIENTS], after;
	struct wgw_state st, st2;
	struct wgw_state_result res;
	struct wgw_engine_thread *t;
	char err[256];

	traffic(e1, 1000, before);
	ck_assert_int_eq(wgw_engine_state_save(e1, 1010, &st), 0);
	ck_assert_uint_eq(st.n_maps, 2 * N_CLIENTS);
	ck_assert_uint_eq(st.n_cids, N_CLIENTS);
	roundtrip(&st, &st2);
	ck_assert_uint_eq(st2.n_maps, st.n_maps);
	ck_assert_int_eq(memcmp(st2.maps, st.maps, st.n_maps * sizeof(*st.maps)), 0);

	/* The next daemon numbers its backends otherwise, and its clock
	 * is another; 5 s passed. */
	e2 = engine(order2, 3, NAT_LO);
	ck_assert_int_eq(wgw_engine_state_restore(e2, 50, 5, &st2, &res), 0);
	ck_assert_uint_eq(res.maps, 2 * N_CLIENTS);
	ck_assert_uint_eq(res.cids, N_CLIENTS);
	ck_assert_msg(wgw_engine_check(e2, err, sizeof(err)) == 0, "%s", err);

	t = wgw_engine_thread_attach(e2, 0);
	for (unsigned i = 0; i < N_CLIENTS; i++) {
		/* the old endpoint: the same backend, the same NAT port */
		ck_assert_int_eq(csend(t, i, 40000, cid_of(i), 51, &after.be, &after.nat_port),
				 WGW_TO_LAN);
		ck_assert(wgw_addr_eq(&after.be, &before[i].be));
		ck_assert_uint_eq(after.nat_port, before[i].nat_port);
		/* a new endpoint: the CID's backend, a new NAT port */
		ck_assert_int_eq(csend(t, i, 42000, cid_of(i), 51, &after.be, &after.nat_port),
				 WGW_TO_LAN);
		ck_assert(wgw_addr_eq(&after.be, &before[i].be));
	}
	wgw_engine_thread_detach(t);
	ck_assert_msg(wgw_engine_check(e2, err, sizeof(err)) == 0, "%s", err);
	wgw_state_free(&st);
	wgw_state_free(&st2);
	wgw_engine_destroy(e1);
	wgw_engine_destroy(e2);
}
END_TEST

START_TEST(test_restore_drops)
{
	static const int order1[] = { 0, 1, 2 }, order2[] = { 0, 2 };
	struct wgw_engine *e1 = engine(order1, 3, NAT_LO), *e2;
	struct seen before[N_CLIENTS];
	struct wgw_state st;
	struct wgw_state_result res;
	unsigned on_b1 = 0;
	char err[256];

	traffic(e1, 1000, before);
	for (unsigned i = 0; i < N_CLIENTS; i++)
		on_b1 += wgw_addr_eq(&before[i].be, &B[1]);
	ck_assert_uint_gt(on_b1, 0);
	ck_assert_int_eq(wgw_engine_state_save(e1, 1000, &st), 0);

	/* B[1] is no longer configured: its entries are dropped, counted. */
	e2 = engine(order2, 2, NAT_LO);
	ck_assert_int_eq(wgw_engine_state_restore(e2, 10, 0, &st, &res), 0);
	ck_assert_uint_eq(res.maps_no_backend, 2 * on_b1);
	ck_assert_uint_eq(res.cids_no_backend, on_b1);
	ck_assert_uint_eq(res.maps, 2 * (N_CLIENTS - on_b1));
	ck_assert_msg(wgw_engine_check(e2, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(e2);

	/* Down longer than the mapping timeout (60 s): mappings expired,
	 * CIDs (300 s) kept. */
	e2 = engine(order1, 3, NAT_LO);
	ck_assert_int_eq(wgw_engine_state_restore(e2, 10, 61, &st, &res), 0);
	ck_assert_uint_eq(res.maps_expired, 2 * N_CLIENTS);
	ck_assert_uint_eq(res.cids, N_CLIENTS);
	ck_assert_msg(wgw_engine_check(e2, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(e2);

	/* Another NAT port range: the mappings' ports mean nothing there. */
	e2 = engine(order1, 3, NAT_LO + 1);
	ck_assert_int_eq(wgw_engine_state_restore(e2, 10, 0, &st, &res), 0);
	ck_assert_uint_eq(res.maps_nat_changed, 2 * N_CLIENTS);
	ck_assert_uint_eq(res.cids, N_CLIENTS);
	ck_assert_msg(wgw_engine_check(e2, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(e2);
	wgw_state_free(&st);
	wgw_engine_destroy(e1);
}
END_TEST

/* An encoded state of a small engine, for the decoder tests. */
static void sample(uint8_t **buf, size_t *len)
{
	static const int order[] = { 0, 1, 2 };
	struct wgw_engine *e = engine(order, 3, NAT_LO);
	struct seen s[N_CLIENTS];
	struct wgw_state st;

	traffic(e, 1000, s);
	ck_assert_int_eq(wgw_engine_state_save(e, 1000, &st), 0);
	ck_assert_int_eq(wgw_state_encode(&st, buf, len), 0);
	wgw_state_free(&st);
	wgw_engine_destroy(e);
}

START_TEST(test_decode_refuses)
{
	struct wgw_state st;
	uint8_t *buf;
	size_t len;
	char why[256];

	sample(&buf, &len);
	ck_assert_int_eq(wgw_state_decode(buf, len, 4096, 4096, &st, why, sizeof(why)), 0);
	wgw_state_free(&st);
	/* every truncation */
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(wgw_state_decode(buf, n, 4096, 4096, &st, why, sizeof(why)),
				 -EINVAL);
	/* every byte flipped */
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x5a;
		ck_assert_msg(wgw_state_decode(buf, len, 4096, 4096, &st, why, sizeof(why)) < 0,
			      "byte %zu flipped was accepted", i);
		buf[i] ^= 0x5a;
	}
	/* more entries than the tables hold */
	ck_assert_int_eq(wgw_state_decode(buf, len, 10, 4096, &st, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "above the capacity"), "%s", why);
	/* another version */
	buf[8] = 2;
	ck_assert_int_eq(wgw_state_decode(buf, len, 4096, 4096, &st, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "format version 2"), "%s", why);
	free(buf);
}
END_TEST

START_TEST(test_file_write_read)
{
	char dir[] = "/tmp/wgw-state-XXXXXX", path[64], why[256];
	struct wgw_state st, back;
	uint8_t *buf;
	size_t len;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sessions.state", dir);
	ck_assert_int_eq(wgw_state_read(path, 4096, 4096, &back, why, sizeof(why)), -ENOENT);
	sample(&buf, &len);
	ck_assert_int_eq(wgw_state_decode(buf, len, 4096, 4096, &st, why, sizeof(why)), 0);
	ck_assert_int_eq(wgw_state_write(path, &st), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(why, sizeof(why), "%s.tmp", path);
	ck_assert_int_ne(access(why, F_OK), 0);	/* renamed, not left */
	ck_assert_int_eq(wgw_state_read(path, 4096, 4096, &back, why, sizeof(why)), 0);
	ck_assert_uint_eq(back.n_cids, st.n_cids);
	wgw_state_free(&back);
	/* truncated on disk: refused with the reason */
	ck_assert_int_eq(truncate(path, (off_t)len - 1), 0);
	ck_assert_int_eq(wgw_state_read(path, 4096, 4096, &back, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "truncated"), "%s", why);
	/* not a state file at all */
	f = fopen(path, "w");
	fputs("wan = eth0\n", f);
	fclose(f);
	ck_assert_int_eq(wgw_state_read(path, 4096, 4096, &back, why, sizeof(why)), -EINVAL);
	/* a directory */
	ck_assert_int_eq(wgw_state_read(dir, 4096, 4096, &back, why, sizeof(why)), -EINVAL);
	unlink(path);
	rmdir(dir);
	wgw_state_free(&st);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_restore_keeps_backend_and_port);
	tcase_add_test(tc, test_restore_drops);
	tcase_add_test(tc, test_decode_refuses);
	tcase_add_test(tc, test_file_write_read);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
