// SPDX-License-Identifier: GPL-2.0-only
/*
 * The worker's API: requests applied at once to a stopped worker, and
 * between batches by a running one while the caller waits; the ports as
 * visitors see them; the counters read while the worker runs.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/engine.h"
#include "gateway/nexthop.h"
#include "gateway/worker.h"
#include "tests/unit/test_engine_util.h"

struct fake_port {
	struct wgw_port port;
	_Atomic unsigned rx_calls;
};

static int fake_rx(struct wgw_port *port, struct wgw_buf *bufs, unsigned max)
{
	struct fake_port *f = (struct fake_port *)port;

	(void)bufs;
	(void)max;
	atomic_fetch_add(&f->rx_calls, 1);
	return 0;
}

static void fake_tx(struct wgw_port *port, struct wgw_buf *bufs, unsigned n)
{
	(void)port;
	for (unsigned i = 0; i < n; i++)
		wgw_buf_free(&bufs[i]);
}

static int fake_service(struct wgw_port *port)
{
	(void)port;
	return 0;
}

static int fake_poll_fd(struct wgw_port *port)
{
	(void)port;
	return -1;
}

static void fake_stats(struct wgw_port *port, struct wgw_port_stats *out)
{
	(void)port;
	memset(out, 0, sizeof(*out));
}

static void fake_destroy(struct wgw_port *port)
{
	free(port);
}

static const struct wgw_port_ops ops_a = {
	.kind = "a", .rx = fake_rx, .tx = fake_tx, .service = fake_service,
	.poll_fd = fake_poll_fd, .stats = fake_stats, .destroy = fake_destroy,
};
static const struct wgw_port_ops ops_b = {
	.kind = "b", .rx = fake_rx, .tx = fake_tx, .service = fake_service,
	.poll_fd = fake_poll_fd, .stats = fake_stats, .destroy = fake_destroy,
};

static struct wgw_port *fake_port(const struct wgw_port_ops *ops, int ifindex, unsigned sides)
{
	struct fake_port *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->port.ops = ops;
	f->port.ifindex = ifindex;
	f->port.sides = sides;
	f->port.needs_l2 = true;
	return &f->port;
}

struct seen {
	struct wgw_port *p[WGW_WORKER_MAX_PORTS + 1];
	unsigned n;
};

static void see(struct wgw_port *port, void *arg)
{
	struct seen *s = arg;

	if (s->n <= WGW_WORKER_MAX_PORTS)
		s->p[s->n++] = port;
}

static struct wgw_engine *E;
static struct wgw_nh NH;
static struct wgw_worker *W;

static void setup(void)
{
	static struct wgw_vip vip;
	struct wgw_engine_cfg cfg = { 0 };
	struct wgw_worker_cfg wc = { .id = 0, .cpu = -1, .batch = 32 };

	vip = (struct wgw_vip){ A("203.0.113.10"), 8420, 8420 };
	cfg.vips = &vip;
	cfg.n_vips = 1;
	cfg.nat_addr = A("10.0.0.1");
	cfg.nat_port_lo = 20000;
	cfg.nat_port_hi = 20999;
	cfg.n_threads = 1;
	cfg.max_cids = 1024;
	cfg.max_mappings = 1024;
	cfg.cid_idle_s = 300;
	cfg.map_idle_s = 60;
	cfg.max_maps_per_source = 64;
	cfg.max_cids_per_source = 64;
	E = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(E);
	ck_assert_int_eq(wgw_nh_init(&NH, 64, 1), 0);
	W = calloc(1, sizeof(*W));
	ck_assert_ptr_nonnull(W);
	wc.nat_addr = cfg.nat_addr;
	wgw_worker_init(W, &wc, E, &NH);
}

static void teardown(void)
{
	wgw_worker_destroy(W);
	free(W);
	wgw_nh_fini(&NH);
	wgw_engine_destroy(E);
}

START_TEST(stopped_applies_at_once)
{
	struct wgw_port *a = fake_port(&ops_a, 7, WGW_SIDE_WAN | WGW_SIDE_LAN);
	struct wgw_port *b = fake_port(&ops_b, 8, WGW_SIDE_LAN);
	struct wgw_port *b2 = fake_port(&ops_b, 8, WGW_SIDE_LAN);
	struct wgw_port *old = NULL;
	struct seen s = { .n = 0 };

	ck_assert_int_eq(wgw_worker_add_port(W, a), 0);
	ck_assert_int_eq(wgw_worker_add_port(W, b), 0);
	ck_assert_int_eq(wgw_worker_set_port_mac(W, 7, (const uint8_t *)"\x02\x11\x22\x33\x44\x55"), 0);
	ck_assert_mem_eq(a->mac, "\x02\x11\x22\x33\x44\x55", 6);
	ck_assert_mem_eq(b->mac, "\0\0\0\0\0\0", 6);
	/* the first port of the fresh one's kind goes */
	ck_assert_int_eq(wgw_worker_replace_port(W, b2, &old), 0);
	ck_assert_ptr_eq(old, b);
	fake_destroy(old);
	wgw_worker_visit_ports(W, see, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_ptr_eq(s.p[0], a);
	ck_assert_ptr_eq(s.p[1], b2);
	ck_assert_ptr_null(wgw_worker_failed_port(W));
	ck_assert(!wgw_worker_running(W));
	ck_assert_int_eq(wgw_worker_cpu(W), -1);
}
END_TEST

START_TEST(full_and_missing)
{
	struct wgw_port *b = fake_port(&ops_b, 8, WGW_SIDE_LAN), *old = b;
	struct wgw_port *extra;

	for (unsigned i = 0; i < WGW_WORKER_MAX_PORTS; i++)
		ck_assert_int_eq(wgw_worker_add_port(W, fake_port(&ops_a, 7, WGW_SIDE_WAN)), 0);
	extra = fake_port(&ops_a, 7, WGW_SIDE_WAN);
	ck_assert_int_eq(wgw_worker_add_port(W, extra), -ENOSPC);
	fake_destroy(extra);	/* still the caller's */
	ck_assert_int_eq(wgw_worker_replace_port(W, b, &old), -ENOENT);
	ck_assert_ptr_null(old);
	fake_destroy(b);
}
END_TEST

/* A running worker applies requests between batches, and its counters
 * can be read meanwhile. */
START_TEST(running_applies_between_batches)
{
	struct wgw_port *a = fake_port(&ops_a, 7, WGW_SIDE_WAN);
	struct wgw_port *b = fake_port(&ops_b, 8, WGW_SIDE_LAN);
	struct wgw_port *b2 = fake_port(&ops_b, 8, WGW_SIDE_LAN);
	struct wgw_port *old = NULL;
	uint64_t c[64];

	ck_assert_uint_le(wgw_worker_counter_count(), 64);
	ck_assert_int_eq(wgw_worker_add_port(W, a), 0);
	ck_assert_int_eq(wgw_worker_add_port(W, b), 0);
	ck_assert_int_eq(wgw_worker_start(W), 0);
	for (int i = 0; i < 5; i++) {
		uint8_t mac[6] = { 2, 0, 0, 0, 0, (uint8_t)i };

		ck_assert_int_eq(wgw_worker_set_port_mac(W, 8, mac), 0);
		/* the worker has applied it: the ack orders its write before
		 * this read */
		ck_assert_mem_eq(b->mac, mac, 6);
		wgw_worker_counters(W, c);
	}
	ck_assert_int_eq(wgw_worker_replace_port(W, b2, &old), 0);
	ck_assert_ptr_eq(old, b);
	/* the worker no longer touches it */
	fake_destroy(old);
	while (atomic_load(&((struct fake_port *)b2)->rx_calls) < 2)
		;
	ck_assert(wgw_worker_running(W));
	wgw_worker_stop(W);
	wgw_worker_counters(W, c);
	ck_assert_uint_gt(c[0], 0);	/* loops */
	ck_assert_str_eq(wgw_worker_counter_name(0), "loops");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("worker");
	TCase *tc = tcase_create("api");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, stopped_applies_at_once);
	tcase_add_test(tc, full_and_missing);
	tcase_add_test(tc, running_applies_between_batches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
