// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backend health: the fall/rise state machine, the ICMP error parser, and
 * the backend set against real UDP sockets on the loopback (a bound socket
 * is a live node, a closed port a dead one).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "gateway/health.h"

static struct wgw_health_cfg cfg22(void)
{
	struct wgw_health_cfg c;

	wgw_health_cfg_default(&c);
	return c;
}

START_TEST(sm_fall_rise)
{
	struct wgw_health_cfg c = cfg22();
	struct wgw_health_sm sm = { 0 };

	ck_assert(!wgw_health_sm_result(&sm, &c, WGW_HREASON_NONE, 1));
	ck_assert_int_eq(sm.state, WGW_HEALTH_HEALTHY);
	/* one failure: suspect, still routed to */
	ck_assert(wgw_health_sm_result(&sm, &c, WGW_HREASON_PORT_UNREACH, 2));
	ck_assert_int_eq(sm.state, WGW_HEALTH_SUSPECT);
	ck_assert_int_eq(sm.reason, WGW_HREASON_PORT_UNREACH);
	/* the second in a row: down */
	ck_assert(wgw_health_sm_result(&sm, &c, WGW_HREASON_HOST_UNREACH, 3));
	ck_assert_int_eq(sm.state, WGW_HEALTH_DOWN);
	ck_assert_int_eq(sm.since, 3);
	/* more failures change the reason only */
	ck_assert(!wgw_health_sm_result(&sm, &c, WGW_HREASON_NEIGH_FAILED, 4));
	ck_assert_int_eq(sm.reason, WGW_HREASON_NEIGH_FAILED);
	ck_assert_int_eq(sm.since, 3);
	/* one pass is not enough to come back, two are */
	ck_assert(!wgw_health_sm_result(&sm, &c, WGW_HREASON_NONE, 5));
	ck_assert_int_eq(sm.state, WGW_HEALTH_DOWN);
	ck_assert(wgw_health_sm_result(&sm, &c, WGW_HREASON_NONE, 6));
	ck_assert_int_eq(sm.state, WGW_HEALTH_HEALTHY);
	ck_assert_int_eq(sm.reason, WGW_HREASON_ALIVE);
	ck_assert_uint_eq(sm.transitions, 3);
}
END_TEST

START_TEST(sm_no_flap)
{
	struct wgw_health_cfg c = cfg22();
	struct wgw_health_sm sm = { 0 };
	unsigned downs = 0;

	/* alternating results never make a healthy backend down... */
	for (int i = 0; i < 100; i++) {
		wgw_health_sm_result(&sm, &c, i & 1 ? WGW_HREASON_NONE : WGW_HREASON_PORT_UNREACH,
				     i);
		downs += sm.state == WGW_HEALTH_DOWN;
	}
	ck_assert_uint_eq(downs, 0);
	/* ...nor a down backend healthy */
	wgw_health_sm_result(&sm, &c, WGW_HREASON_PORT_UNREACH, 200);
	wgw_health_sm_result(&sm, &c, WGW_HREASON_PORT_UNREACH, 201);
	ck_assert_int_eq(sm.state, WGW_HEALTH_DOWN);
	for (int i = 0; i < 100; i++) {
		wgw_health_sm_result(&sm, &c, i & 1 ? WGW_HREASON_NONE : WGW_HREASON_PORT_UNREACH,
				     300 + i);
		ck_assert_int_eq(sm.state, WGW_HEALTH_DOWN);
	}
	/* fall = rise = 1: every result counts */
	c.fall = c.rise = 1;
	ck_assert(wgw_health_sm_result(&sm, &c, WGW_HREASON_NONE, 500));
	ck_assert(wgw_health_sm_result(&sm, &c, WGW_HREASON_PORT_UNREACH, 501));
	ck_assert_int_eq(sm.state, WGW_HEALTH_DOWN);
}
END_TEST

START_TEST(sm_forced)
{
	struct wgw_health_cfg c = cfg22();
	struct wgw_health_sm sm = { 0 };

	ck_assert(wgw_health_sm_force(&sm, true, 10));
	ck_assert_int_eq(sm.state, WGW_HEALTH_DOWN);
	ck_assert_int_eq(sm.reason, WGW_HREASON_FORCED);
	for (int i = 0; i < 10; i++)
		ck_assert(!wgw_health_sm_result(&sm, &c, WGW_HREASON_NONE, 11 + i));
	ck_assert_int_eq(sm.state, WGW_HEALTH_DOWN);
	ck_assert(wgw_health_sm_force(&sm, false, 30));
	ck_assert_int_eq(sm.state, WGW_HEALTH_HEALTHY);
	ck_assert_int_eq(sm.reason, WGW_HREASON_RELEASED);
	ck_assert(!sm.forced);
}
END_TEST

/* An ICMP error as a raw socket reads it: IPv4 header, ICMP, quoted IPv4
 * header and UDP header. */
static size_t icmp4(uint8_t *p, uint8_t type, uint8_t code, uint8_t proto,
		    uint32_t dst_be, uint16_t dport)
{
	memset(p, 0, 64);
	p[0] = 0x45;
	p[9] = IPPROTO_ICMP;
	p[20] = type;
	p[21] = code;
	p[28] = 0x45;
	p[28 + 9] = proto;
	memcpy(p + 28 + 16, &dst_be, 4);
	p[48 + 2] = (uint8_t)(dport >> 8);
	p[48 + 3] = (uint8_t)dport;
	return 56;
}

START_TEST(parse_v4)
{
	uint8_t p[64];
	union wgw_addr a, want;
	uint16_t port = 0;
	size_t n;

	wgw_addr_from_v4(&want, htonl(0x0a000102));
	n = icmp4(p, 3, 3, IPPROTO_UDP, htonl(0x0a000102), 8420);
	ck_assert_int_eq(wgw_health_parse_icmp(p, n, false, &a, &port), WGW_HREASON_PORT_UNREACH);
	ck_assert(wgw_addr_eq(&a, &want));
	ck_assert_uint_eq(port, 8420);
	n = icmp4(p, 3, 1, IPPROTO_UDP, htonl(0x0a000102), 8420);
	ck_assert_int_eq(wgw_health_parse_icmp(p, n, false, &a, &port), WGW_HREASON_HOST_UNREACH);
	n = icmp4(p, 3, 0, IPPROTO_UDP, htonl(0x0a000102), 8420);
	ck_assert_int_eq(wgw_health_parse_icmp(p, n, false, &a, &port), WGW_HREASON_HOST_UNREACH);
	/* not about UDP, not unreachable, other codes, truncated */
	n = icmp4(p, 3, 3, IPPROTO_TCP, htonl(0x0a000102), 8420);
	ck_assert_int_eq(wgw_health_parse_icmp(p, n, false, &a, &port), WGW_HREASON_NONE);
	n = icmp4(p, 11, 0, IPPROTO_UDP, htonl(0x0a000102), 8420);
	ck_assert_int_eq(wgw_health_parse_icmp(p, n, false, &a, &port), WGW_HREASON_NONE);
	n = icmp4(p, 3, 4, IPPROTO_UDP, htonl(0x0a000102), 8420);
	ck_assert_int_eq(wgw_health_parse_icmp(p, n, false, &a, &port), WGW_HREASON_NONE);
	n = icmp4(p, 3, 3, IPPROTO_UDP, htonl(0x0a000102), 8420);
	for (size_t len = 0; len < 52; len++)
		ck_assert_int_eq(wgw_health_parse_icmp(p, len, false, &a, &port),
				 WGW_HREASON_NONE);
	p[28] = 0x4f;	/* quoted header longer than what is quoted */
	ck_assert_int_eq(wgw_health_parse_icmp(p, n, false, &a, &port), WGW_HREASON_NONE);
}
END_TEST

START_TEST(parse_v6)
{
	uint8_t b[128] = { 0 }, *p = b + 40;
	union wgw_addr a, want;
	uint16_t port = 0;

	ck_assert_int_eq(wgw_addr_parse(&want, "fd00::2:1"), 0);
	b[0] = 0x60;
	b[6] = IPPROTO_ICMPV6;
	p[0] = 1;	/* destination unreachable */
	p[1] = 4;	/* port */
	p[8] = 0x60;
	p[8 + 6] = IPPROTO_UDP;
	memcpy(p + 8 + 24, want.b, 16);
	p[48 + 2] = 8420 >> 8;
	p[48 + 3] = 8420 & 0xff;
	ck_assert_int_eq(wgw_health_parse_icmp(b, 96, true, &a, &port), WGW_HREASON_PORT_UNREACH);
	ck_assert(wgw_addr_eq(&a, &want));
	ck_assert_uint_eq(port, 8420);
	p[1] = 3;
	ck_assert_int_eq(wgw_health_parse_icmp(b, 96, true, &a, &port), WGW_HREASON_HOST_UNREACH);
	p[1] = 1;	/* administratively prohibited: says nothing */
	ck_assert_int_eq(wgw_health_parse_icmp(b, 96, true, &a, &port), WGW_HREASON_NONE);
	p[1] = 4;
	ck_assert_int_eq(wgw_health_parse_icmp(b, 91, true, &a, &port), WGW_HREASON_NONE);
	b[6] = IPPROTO_UDP;
	ck_assert_int_eq(wgw_health_parse_icmp(b, 96, true, &a, &port), WGW_HREASON_NONE);
	b[6] = IPPROTO_ICMPV6;
	p[8 + 6] = IPPROTO_TCP;
	ck_assert_int_eq(wgw_health_parse_icmp(b, 96, true, &a, &port), WGW_HREASON_NONE);
}
END_TEST

START_TEST(probe_payload)
{
	/* CID 0 (invalid) first, and the protocol's minimum length */
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(wgw_health_probe[i], 0);
	ck_assert_uint_eq(sizeof(wgw_health_probe), 24);
}
END_TEST

/* ---- the set, with loopback sockets -------------------------------- */

struct applied {
	int downs, ups;
	bool down;
};

static int apply_cb(void *arg, const union wgw_addr *a, uint16_t port, bool down)
{
	struct applied *ap = arg;

	(void)a;
	(void)port;
	ap->down = down;
	if (down)
		ap->downs++;
	else
		ap->ups++;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A bound UDP socket on the loopback: its port. */
static int udp_bound(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Run the set for ms milliseconds as the daemon does. */
static void run(struct wgw_health *h, const union wgw_addr *a, uint16_t port,
		uint64_t *to, uint64_t from, bool sending, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end) {
		struct pollfd pfd = { .fd = wgw_health_fd(h), .events = POLLIN };

		poll(&pfd, 1, 5);
		wgw_health_process(h);
		wgw_health_begin(h);
		if (sending)
			(*to)++;
		wgw_health_seen(h, a, port, true, *to, from);
		wgw_health_tick(h, now_ms());
	}
}

START_TEST(set_probe)
{
	struct wgw_health_cfg c = cfg22();
	struct wgw_health_ops ops = { .apply = apply_cb };
	struct applied ap = { 0 };
	struct wgw_health_info info;
	struct wgw_health_stats st;
	struct wgw_health *h;
	union wgw_addr lo;
	uint64_t to = 0;
	uint16_t port;
	int node;

	c.interval_ms = 50;
	wgw_addr_from_v4(&lo, htonl(INADDR_LOOPBACK));
	node = udp_bound(&port);
	h = wgw_health_create(&c, false, 0, &ops, &ap);
	ck_assert_ptr_nonnull(h);

	/* a live node: silence, healthy, probed each round */
	run(h, &lo, port, &to, 0, false, 300);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_HEALTHY);
	ck_assert_uint_ge(info.probes, 3);
	ck_assert_uint_eq(info.probe_fails, 0);
	ck_assert_int_eq(ap.downs, 0);
	{
		uint8_t buf[64];

		/* what it received is the probe */
		ck_assert_int_eq(recv(node, buf, sizeof(buf), MSG_DONTWAIT),
				 WGW_HEALTH_PROBE_LEN);
		ck_assert_mem_eq(buf, wgw_health_probe, WGW_HEALTH_PROBE_LEN);
	}

	/* the node dies: port unreachable, down after fall rounds */
	close(node);
	run(h, &lo, port, &to, 0, false, 300);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_DOWN);
	ck_assert_int_eq(info.reason, WGW_HREASON_PORT_UNREACH);
	ck_assert_int_eq(ap.downs, 1);
	ck_assert(ap.down);
	wgw_health_get_stats(h, &st);
	ck_assert_uint_eq(st.fail_open, 1);	/* it was the only one */
	ck_assert_uint_eq(st.n_down, 1);

	/* forced down holds while the node is back... */
	ck_assert_int_eq(wgw_health_force(h, &lo, port, true), 0);
	node = socket(AF_INET, SOCK_DGRAM, 0);
	{
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
					   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		ck_assert_int_eq(bind(node, (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	run(h, &lo, port, &to, 0, false, 300);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_DOWN);
	ck_assert_int_eq(info.reason, WGW_HREASON_FORCED);
	/* ...until released */
	ck_assert_int_eq(wgw_health_force(h, &lo, port, false), 0);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_HEALTHY);
	ck_assert_int_eq(ap.ups, 1);
	ck_assert(!ap.down);
	run(h, &lo, port, &to, 0, false, 200);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_HEALTHY);

	/* passive: traffic to it, nothing back, for the timeout */
	c.passive_timeout_ms = 100;
	wgw_health_set_cfg(h, &c);
	run(h, &lo, port, &to, 0, true, 400);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_DOWN);
	ck_assert_int_eq(info.reason, WGW_HREASON_NO_REPLIES);
	/* its mappings are released: nothing sent, it comes back */
	run(h, &lo, port, &to, 0, false, 300);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_HEALTHY);

	/* forgotten when no longer seen */
	wgw_health_begin(h);
	wgw_health_tick(h, now_ms());
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), -ENOENT);
	ck_assert_int_eq(wgw_health_force(h, &lo, port, true), -ENOENT);
	wgw_health_destroy(h);
	close(node);
}
END_TEST

static int neigh_fail(void *arg, const union wgw_addr *a)
{
	(void)a;
	return *(int *)arg;
}

static int neigh_apply(void *arg, const union wgw_addr *a, uint16_t port, bool down)
{
	(void)arg;
	(void)a;
	(void)port;
	(void)down;
	return 0;
}

START_TEST(set_neigh)
{
	struct wgw_health_cfg c = cfg22();
	struct wgw_health_ops ops = { .apply = neigh_apply, .neigh = neigh_fail };
	struct wgw_health_info info;
	struct wgw_health *h;
	union wgw_addr lo;
	int rc = -EAGAIN;
	uint64_t to = 0;
	uint16_t port;
	int node;

	c.interval_ms = 50;
	c.check = WGW_HEALTH_CHECK_NONE;
	wgw_addr_from_v4(&lo, htonl(INADDR_LOOPBACK));
	node = udp_bound(&port);
	h = wgw_health_create(&c, false, 0, &ops, &rc);
	ck_assert_ptr_nonnull(h);
	/* a resolution that never completes is a failure */
	run(h, &lo, port, &to, 0, false, 300);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_DOWN);
	ck_assert_int_eq(info.reason, WGW_HREASON_NEIGH_FAILED);
	ck_assert_uint_eq(info.probes, 0);	/* check = none */
	rc = 0;
	run(h, &lo, port, &to, 0, false, 300);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_HEALTHY);
	rc = -EHOSTUNREACH;
	run(h, &lo, port, &to, 0, false, 300);
	ck_assert_int_eq(wgw_health_get(h, &lo, port, &info), 0);
	ck_assert_int_eq(info.state, WGW_HEALTH_DOWN);
	wgw_health_destroy(h);
	close(node);
}
END_TEST

static Suite *health_suite(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, sm_fall_rise);
	tcase_add_test(tc, sm_no_flap);
	tcase_add_test(tc, sm_forced);
	tcase_add_test(tc, parse_v4);
	tcase_add_test(tc, parse_v6);
	tcase_add_test(tc, probe_payload);
	tcase_add_test(tc, set_probe);
	tcase_add_test(tc, set_neigh);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(health_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
