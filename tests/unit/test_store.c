// SPDX-License-Identifier: GPL-2.0-only
/*
 * The session store (gateway/store.h) against a real redis-server, started
 * by each test on 127.0.0.1 with a random port: a running worker (its real
 * loop, an in-memory port) with its engine and the store thread.
 *  - writes: a learned CID is in Redis with its backend and the CID idle
 *    timeout as TTL (and how long until it is visible, measured);
 *  - a lookup hit binds the CID to the stored backend, a miss leaves the
 *    packet to rule 1;
 *  - a store that stops answering (SIGSTOP): the packet goes by rule 1
 *    within the timeout; killed: down, nothing held; back: reconnected;
 *  - a flood of random CIDs: the lookup rate limit holds, nothing is
 *    lost; the negative cache keeps a repeated miss off Redis;
 *  - AUTH with the password file's first line; a wrong one is refused.
 * Skipped (77) only when redis-server is not installed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "gateway/engine.h"
#include "gateway/nexthop.h"
#include "gateway/options.h"
#include "gateway/pool.h"
#include "gateway/store.h"
#include "gateway/worker.h"
#include "tests/unit/test_engine_util.h"

#define REDIS_BIN "redis-server"
#define VIP "203.0.113.10"
#define VPORT 8420
#define CID_IDLE_S 300
#define TIMEOUT_MS 50

static const char *const backends[] = { "10.0.0.11", "10.0.0.12", "10.0.0.13" };

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- redis-server ---- */

static pid_t redis_pid;
static int redis_port;

static bool redis_installed(void)
{
	return !system("command -v " REDIS_BIN " >/dev/null 2>&1");
}

static redisContext *redis_conn(void)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);

	if (c && c->err) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* One try on redis_port: true once it answers, false when the server
 * exited (the port was taken). */
static bool redis_try(const char *password)
{
	char port[16];
	int status;

	snprintf(port, sizeof(port), "%d", redis_port);
	redis_pid = fork();
	ck_assert_int_ge(redis_pid, 0);
	if (!redis_pid) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		if (password)
			execlp(REDIS_BIN, REDIS_BIN, "--bind", "127.0.0.1", "--port", port, "--save", "",
			       "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
			       "--requirepass", password, (char *)NULL);
		else
			execlp(REDIS_BIN, REDIS_BIN, "--bind", "127.0.0.1", "--port", port, "--save", "",
			       "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
			       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1000; i++) {
		redisContext *c = redis_conn();

		if (c) {
			redisFree(c);
			return true;
		}
		if (waitpid(redis_pid, &status, WNOHANG) == redis_pid) {
			redis_pid = 0;
			return false;
		}
		sleep_ms(10);
	}
	ck_abort_msg("redis-server did not answer on port %d", redis_port);
	return false;
}

/* Start redis-server on redis_port, or on a random free one when 0 (below
 * the ephemeral range, retried if taken); password NULL: none. */
static void redis_start(const char *password)
{
	if (redis_port) {
		ck_assert_msg(redis_try(password), "redis-server did not start on port %d",
			      redis_port);
		return;
	}
	for (int k = 0; k < 5; k++) {
		uint16_t r;

		ck_assert_int_eq(getrandom(&r, sizeof(r), 0), (ssize_t)sizeof(r));
		redis_port = 10000 + r % 20000;
		if (redis_try(password))
			return;
	}
	ck_abort_msg("redis-server did not start (5 ports tried)");
}

static void redis_kill(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGCONT);
		kill(redis_pid, SIGKILL);
		waitpid(redis_pid, NULL, 0);
	}
	redis_pid = 0;
}

/* A command on a fresh connection (password: AUTH first); the reply. */
static redisReply *rcmd(const char *password, const char *fmt, ...)
{
	redisContext *c = redis_conn();
	redisReply *r;
	va_list ap;

	ck_assert_ptr_nonnull(c);
	if (password) {
		r = redisCommand(c, "AUTH %s", password);
		ck_assert_ptr_nonnull(r);
		freeReplyObject(r);
	}
	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	ck_assert_ptr_nonnull(r);
	redisFree(c);
	return r;
}

static bool key_exists(const char *password, uint64_t cid)
{
	char key[32];
	redisReply *r = rcmd(password, "EXISTS %s", wgw_store_key(cid, key, sizeof(key)));
	bool yes = r->type == REDIS_REPLY_INTEGER && r->integer == 1;

	freeReplyObject(r);
	return yes;
}

/* ---- an in-memory port: frames in from the test, out recorded ---- */

#define TP_MAX 4096

struct tport {
	struct wgw_port port;
	struct wgw_pool *pool;
	int efd;
	pthread_mutex_t mu;
	uint8_t in[TP_MAX][T_FRAME];
	uint32_t in_len[TP_MAX];
	unsigned in_head, in_tail;
	unsigned n_out;
	union wgw_addr out_dst[TP_MAX];	/* destination of each frame sent */
	uint16_t out_sport[TP_MAX];	/* and its source port */
	uint64_t out_us[TP_MAX];
};

static int tp_rx(struct wgw_port *port, struct wgw_buf *bufs, unsigned max)
{
	struct tport *t = (struct tport *)port;
	unsigned n = 0;
	uint64_t v;

	if (read(t->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing signalled */
	}
	pthread_mutex_lock(&t->mu);
	while (n < max && t->in_head != t->in_tail && !wgw_pool_get_buf(t->pool, &bufs[n])) {
		unsigned k = t->in_head++ % TP_MAX;

		memcpy(bufs[n].data, t->in[k], t->in_len[k]);
		bufs[n].len = t->in_len[k];
		n++;
	}
	pthread_mutex_unlock(&t->mu);
	return (int)n;
}

static void tp_tx(struct wgw_port *port, struct wgw_buf *bufs, unsigned n)
{
	struct tport *t = (struct tport *)port;

	pthread_mutex_lock(&t->mu);
	for (unsigned i = 0; i < n; i++) {
		struct wgw_pkt p;

		if (t->n_out < TP_MAX && wgw_pkt_parse(&p, bufs[i].data, bufs[i].len) == WGW_PKT_UDP) {
			wgw_pkt_get_daddr(&p, &t->out_dst[t->n_out]);
			t->out_sport[t->n_out] = wgw_pkt_sport(&p);
			t->out_us[t->n_out] = now_us();
			t->n_out++;
		}
		wgw_buf_free(&bufs[i]);
	}
	pthread_mutex_unlock(&t->mu);
}

static int tp_service(struct wgw_port *port)
{
	(void)port;
	return 0;
}

static int tp_poll_fd(struct wgw_port *port)
{
	return ((struct tport *)port)->efd;
}

static void tp_stats(struct wgw_port *port, struct wgw_port_stats *out)
{
	(void)port;
	memset(out, 0, sizeof(*out));
}

static void tp_destroy(struct wgw_port *port)
{
	struct tport *t = (struct tport *)port;

	close(t->efd);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static const struct wgw_port_ops tp_ops = {
	.kind = "test", .rx = tp_rx, .tx = tp_tx, .service = tp_service,
	.poll_fd = tp_poll_fd, .stats = tp_stats, .destroy = tp_destroy,
};

/* ---- the gateway under test ---- */

static struct wgw_engine *E;
static struct wgw_nh NH;
static struct wgw_worker *W;
static struct wgw_store *S;
static struct wgw_pool POOL;
static struct tport *TP;

static void gw_start(const char *password, uint32_t lookup_rate, uint32_t cids_per_source)
{
	static struct wgw_vip vip;
	struct wgw_engine_cfg cfg = { 0 };
	struct wgw_worker_cfg wc = { .id = 0, .cpu = -1, .batch = 64 };
	struct wgw_store_ep ep = { .host = "127.0.0.1" };
	struct wgw_store_cfg sc = { 0 };
	uint64_t t0;

	vip = (struct wgw_vip){ A(VIP), VPORT, VPORT };
	cfg.vips = &vip;
	cfg.n_vips = 1;
	cfg.nat_addr = A("10.0.0.1");
	cfg.nat_port_lo = 20000;
	cfg.nat_port_hi = 40000;
	cfg.n_threads = 1;
	cfg.max_cids = 65536;
	cfg.max_mappings = 65536;
	cfg.cid_idle_s = CID_IDLE_S;
	cfg.map_idle_s = 60;
	cfg.max_cids_per_source = cids_per_source;
	E = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(E);
	for (unsigned i = 0; i < 3; i++) {
		union wgw_addr a = A(backends[i]);

		ck_assert_int_ge(wgw_engine_backend_add(E, &a, VPORT, 100), 0);
	}
	ck_assert_int_eq(wgw_nh_init(&NH, 64, 1), 0);
	ck_assert_int_eq(wgw_pool_init(&POOL, 8192, 2048, 256, -1), 0);

	ep.port = (uint16_t)redis_port;
	sc.eps = &ep;
	sc.n_eps = 1;
	sc.password = password;
	sc.timeout_ms = TIMEOUT_MS;
	sc.lookup_rate = lookup_rate;
	sc.n_workers = 1;
	sc.engine = E;
	S = wgw_store_create(&sc);
	ck_assert_ptr_nonnull(S);

	W = calloc(1, sizeof(*W));
	ck_assert_ptr_nonnull(W);
	wc.nat_addr = cfg.nat_addr;
	wgw_worker_init(W, &wc, E, &NH);
	wgw_worker_set_store(W, S);
	TP = calloc(1, sizeof(*TP));
	ck_assert_ptr_nonnull(TP);
	TP->port.ops = &tp_ops;
	TP->port.sides = WGW_SIDE_WAN | WGW_SIDE_LAN;
	TP->port.ifindex = 1;
	TP->pool = &POOL;
	TP->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ck_assert_int_ge(TP->efd, 0);
	pthread_mutex_init(&TP->mu, NULL);
	ck_assert_int_eq(wgw_worker_add_port(W, &TP->port), 0);
	ck_assert_int_eq(wgw_store_start(S), 0);
	ck_assert_int_eq(wgw_worker_start(W), 0);
	/* connected (or, with a wrong password, not for long) */
	t0 = now_us();
	while (now_us() - t0 < 3000000) {
		struct wgw_store_info si;

		wgw_store_info(S, &si, 1);
		if (si.state == WGW_STORE_CONNECTED)
			break;
		sleep_ms(5);
	}
}

static void gw_stop(void)
{
	wgw_worker_stop(W);
	wgw_store_stop(S);
	wgw_worker_destroy(W);	/* frees the port */
	free(W);
	wgw_store_destroy(S);
	wgw_pool_fini(&POOL);
	wgw_nh_fini(&NH);
	wgw_engine_destroy(E);
}

static enum wgw_store_state store_state(void)
{
	struct wgw_store_info si;

	ck_assert_uint_eq(wgw_store_info(S, &si, 1), 1);
	return si.state;
}

static bool wait_state(enum wgw_store_state want, unsigned ms)
{
	uint64_t t0 = now_us();

	while (now_us() - t0 < (uint64_t)ms * 1000) {
		if (store_state() == want)
			return true;
		sleep_ms(5);
	}
	return store_state() == want;
}

static struct wgw_store_stats stats(void)
{
	struct wgw_store_stats st;

	wgw_store_get_stats(S, &st);
	return st;
}

static unsigned n_out(void)
{
	unsigned n;

	pthread_mutex_lock(&TP->mu);
	n = TP->n_out;
	pthread_mutex_unlock(&TP->mu);
	return n;
}

/* Queue a packet src:sport -> dst:dport with cid for the worker. */
static void post_to(const union wgw_addr *s, uint16_t sport, const union wgw_addr *d,
		    uint16_t dport, uint64_t cid)
{
	struct tpkt t;
	uint64_t one = 1;
	unsigned k;

	tpkt_make(&t, s, sport, d, dport, cid, 0);
	pthread_mutex_lock(&TP->mu);
	ck_assert_uint_lt(TP->in_tail - TP->in_head, TP_MAX);
	k = TP->in_tail++ % TP_MAX;
	memcpy(TP->in[k], t.buf, T_FRAME);
	TP->in_len[k] = t.p.len;
	pthread_mutex_unlock(&TP->mu);
	ck_assert_int_eq(write(TP->efd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

/* Queue a client packet (src:sport -> VIP, cid). */
static void post(const char *src, uint16_t sport, uint64_t cid)
{
	union wgw_addr s = A(src), d = A(VIP);

	post_to(&s, sport, &d, VPORT, cid);
}

/* Send one packet and wait for it to leave; its destination (the backend
 * it was routed to), and in *us (if not NULL) how long that took. */
static union wgw_addr send_one(const char *src, uint16_t sport, uint64_t cid, uint64_t *us)
{
	unsigned before = n_out();
	uint64_t t0 = now_us();
	union wgw_addr dst;

	post(src, sport, cid);
	while (n_out() == before) {
		ck_assert_msg(now_us() - t0 < 3000000, "packet of CID %016" PRIx64 " never sent",
			      cid);
		sleep_ms(1);
	}
	pthread_mutex_lock(&TP->mu);
	dst = TP->out_dst[before];
	if (us)
		*us = TP->out_us[before] - t0;
	pthread_mutex_unlock(&TP->mu);
	return dst;
}

/* The backend rule 1 chooses for src:sport (a trace, nothing changed). */
static union wgw_addr rule1(const char *src, uint16_t sport)
{
	struct wgw_trace_in in = { .dir = WGW_DIR_CLIENT, .src = A(src), .dst = A(VIP),
				   .sport = sport, .dport = VPORT, .has_cid = false };
	struct wgw_trace tr;

	wgw_engine_trace(E, &in, &tr);
	ck_assert_int_eq(tr.verdict, WGW_TO_LAN);
	return tr.backend_addr;
}

/* A configured backend other than x. */
static union wgw_addr backend_other_than(const union wgw_addr *x)
{
	for (unsigned i = 0; i < 3; i++) {
		union wgw_addr b = A(backends[i]);

		if (!wgw_addr_eq(&b, x))
			return b;
	}
	ck_abort_msg("every backend is the same one");
	return *x;
}

static uint64_t rnd_cid(void)
{
	uint64_t c;

	do
		ck_assert_int_eq(getrandom(&c, sizeof(c), 0), (ssize_t)sizeof(c));
	while (c == 0 || c >= 0xfffffffffffffff0ULL);
	return c;
}

static void setup(void)
{
	redis_port = 0;
	redis_start(NULL);
}

static void teardown(void)
{
	redis_kill();
}

/* ---- tests ---- */

START_TEST(writes_visible)
{
	char key[32], a[INET6_ADDRSTRLEN], want[64];
	uint64_t cid = rnd_cid(), t_sent, t_seen;
	union wgw_addr b;
	redisReply *r;

	gw_start(NULL, 1000, 0);
	ck_assert_int_eq(store_state(), WGW_STORE_CONNECTED);
	b = send_one("198.51.100.2", 40001, cid, NULL);
	pthread_mutex_lock(&TP->mu);
	t_sent = TP->out_us[TP->n_out - 1];
	pthread_mutex_unlock(&TP->mu);
	/* visible: from the packet leaving (the CID learned) to the key */
	while (!key_exists(NULL, cid))
		ck_assert_msg(now_us() - t_sent < 2000000, "key never written");
	t_seen = now_us();
	fprintf(stderr, "test_store: a learned binding visible in Redis after %.2f ms\n",
		(double)(t_seen - t_sent) / 1000.0);
	snprintf(want, sizeof(want), "%s:%u", wgw_addr_str(&b, a, sizeof(a)), VPORT);
	r = rcmd(NULL, "GET %s", wgw_store_key(cid, key, sizeof(key)));
	ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
	ck_assert_str_eq(r->str, want);
	freeReplyObject(r);
	r = rcmd(NULL, "PTTL %s", key);
	ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
	ck_assert_int_le(r->integer, CID_IDLE_S * 1000);
	ck_assert_int_gt(r->integer, CID_IDLE_S * 1000 - 10000);
	freeReplyObject(r);
	/* counted when the store thread has read the reply (the key can be
	 * seen a moment before) */
	for (uint64_t tw = now_us(); !stats().writes && now_us() - tw < 2000000;)
		sleep_ms(1);
	ck_assert_uint_ge(stats().writes, 1);
	ck_assert_uint_eq(stats().write_errors, 0);
	gw_stop();
}
END_TEST

START_TEST(lookup_hit_binds)
{
	const char *src = "198.51.100.7";
	union wgw_addr r1, other, got;
	char key[32], val[64], a[INET6_ADDRSTRLEN];
	struct wgw_cid_info ci;
	uint64_t cid = rnd_cid();
	redisReply *r;

	gw_start(NULL, 1000, 0);
	r1 = rule1(src, 40100);
	/* a backend rule 1 would not choose: only the store can send it there */
	other = backend_other_than(&r1);
	snprintf(val, sizeof(val), "%s:%u", wgw_addr_str(&other, a, sizeof(a)), VPORT);
	r = rcmd(NULL, "SET %s %s PX 60000", wgw_store_key(cid, key, sizeof(key)), val);
	freeReplyObject(r);
	got = send_one(src, 40100, cid, NULL);
	ck_assert_msg(wgw_addr_eq(&got, &other), "sent to %s, the store said %s",
		      wgw_addr_str(&got, a, sizeof(a)), val);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, cid, 0, &ci), 0);
	ck_assert(wgw_addr_eq(&ci.backend, &other));
	ck_assert_uint_eq(stats().lookups, 1);
	ck_assert_uint_eq(stats().hits, 1);
	ck_assert_uint_eq(stats().lat_count, 1);
	/* the next packet from another endpoint: rule 2, no lookup */
	got = send_one(src, 40101, cid, NULL);
	ck_assert(wgw_addr_eq(&got, &other));
	ck_assert_uint_eq(stats().lookups, 1);
	/* a value naming no backend of ours: rule 1 */
	cid = rnd_cid();
	r = rcmd(NULL, "SET %s 192.0.2.99:8420 PX 60000", wgw_store_key(cid, key, sizeof(key)));
	freeReplyObject(r);
	r1 = rule1(src, 40102);
	got = send_one(src, 40102, cid, NULL);
	ck_assert(wgw_addr_eq(&got, &r1));
	ck_assert_uint_eq(stats().hit_unusable, 1);
	/* a draining backend keeps its sessions, moved ones too */
	ck_assert_int_eq(wgw_engine_backend_drain(E, &other, VPORT), 0);
	cid = rnd_cid();
	r = rcmd(NULL, "SET %s %s PX 60000", wgw_store_key(cid, key, sizeof(key)), val);
	freeReplyObject(r);
	got = send_one(src, 40103, cid, NULL);
	ck_assert(wgw_addr_eq(&got, &other));
	ck_assert_uint_eq(stats().hit_unusable, 1);
	/* one judged dead does not get them: rule 1 */
	ck_assert_int_eq(wgw_engine_backend_set_health(E, &other, VPORT, true), 0);
	cid = rnd_cid();
	r = rcmd(NULL, "SET %s %s PX 60000", wgw_store_key(cid, key, sizeof(key)), val);
	freeReplyObject(r);
	got = send_one(src, 40104, cid, NULL);
	ck_assert(!wgw_addr_eq(&got, &other));
	ck_assert_uint_eq(stats().hit_unusable, 2);
	gw_stop();
}
END_TEST

START_TEST(miss_rule1)
{
	const char *src = "198.51.100.8";
	uint64_t cid = rnd_cid();
	union wgw_addr got, r1;

	gw_start(NULL, 1000, 0);
	r1 = rule1(src, 40200);
	got = send_one(src, 40200, cid, NULL);
	ck_assert(wgw_addr_eq(&got, &r1));
	ck_assert_uint_eq(stats().lookups, 1);
	ck_assert_uint_eq(stats().misses, 1);
	ck_assert_uint_eq(stats().hits, 0);
	/* the packet's CID is now bound here (rule 3), and written */
	while (!key_exists(NULL, cid))
		sleep_ms(1);
	gw_stop();
}
END_TEST

START_TEST(timeout_rule1)
{
	const char *src = "198.51.100.9";
	uint64_t cid = rnd_cid(), us;
	union wgw_addr got, r1;

	gw_start(NULL, 1000, 0);
	r1 = rule1(src, 40300);
	ck_assert_int_eq(kill(redis_pid, SIGSTOP), 0);
	got = send_one(src, 40300, cid, &us);
	ck_assert(wgw_addr_eq(&got, &r1));
	fprintf(stderr, "test_store: with Redis stopped, a packet waited %.1f ms (timeout %u ms)\n",
		(double)us / 1000.0, TIMEOUT_MS);
	ck_assert_uint_ge(us, (TIMEOUT_MS - 5) * 1000);
	ck_assert_uint_le(us, (TIMEOUT_MS + 60) * 1000);
	ck_assert_uint_eq(stats().timeouts, 1);
	ck_assert_uint_eq(stats().queue_depth, 0);
	/* a store that keeps silent is dropped: standalone, nothing held */
	ck_assert(wait_state(WGW_STORE_DOWN, 3000));
	cid = rnd_cid();
	got = send_one(src, 40301, cid, &us);
	ck_assert_uint_lt(us, 20000);
	ck_assert_uint_ge(stats().lookup_down, 1);
	ck_assert_int_eq(kill(redis_pid, SIGCONT), 0);
	ck_assert(wait_state(WGW_STORE_CONNECTED, 8000));
	/* silent while idle (no session asks, nothing to write): found out
	 * by the idle PING and the stall check all the same */
	ck_assert_int_eq(kill(redis_pid, SIGSTOP), 0);
	ck_assert(wait_state(WGW_STORE_DOWN, 3500));
	ck_assert_int_eq(kill(redis_pid, SIGCONT), 0);
	gw_stop();
}
END_TEST

START_TEST(killed_down_reconnect)
{
	struct wgw_store_info si;
	uint64_t cid, us, while_down[50], t0;

	gw_start(NULL, 1000, 0);
	redis_kill();
	ck_assert(wait_state(WGW_STORE_DOWN, 2000));
	/* down: rule 1 at once, nothing held, nothing lost */
	for (unsigned i = 0; i < 50; i++) {
		while_down[i] = rnd_cid();
		send_one("198.51.100.10", (uint16_t)(40400 + i), while_down[i], &us);
		ck_assert_uint_lt(us, 20000);
	}
	ck_assert_uint_ge(stats().lookup_down, 50);
	ck_assert_uint_eq(stats().lookups, 0);
	/* the store thread counts the bindings it could not send: written after the reconnection */
	for (uint64_t tw = now_us(); !stats().writes_deferred && now_us() - tw < 2000000;)
		sleep_ms(1);
	ck_assert_uint_ge(stats().writes_deferred, 1);
	redis_start(NULL);	/* the same port */
	ck_assert(wait_state(WGW_STORE_CONNECTED, 8000));
	wgw_store_info(S, &si, 1);
	ck_assert_uint_ge(si.reconnects, 1);
	cid = rnd_cid();
	send_one("198.51.100.10", 40500, cid, NULL);
	while (!key_exists(NULL, cid))
		sleep_ms(1);
	/* the Redis that came back is empty: the sessions learned meanwhile
	 * are written at once, without a packet of theirs */
	t0 = now_us();
	for (unsigned i = 0; i < 50; i++)
		while (!key_exists(NULL, while_down[i]))
			ck_assert_msg(now_us() - t0 < 3000000, "CID %u of those learned while "
				      "the store was down not written after it came back", i);
	gw_stop();
}
END_TEST

/* A client port that a moved session reuses: the endpoint has a mapping
 * from another session (whose replies carried its CID), which rule 1
 * would follow; the store is asked and the session keeps its backend. */
START_TEST(reused_port_asks)
{
	const char *src = "198.51.100.60";
	union wgw_addr ba, other, nat = A("10.0.0.1"), got;
	char key[32], val[64], a[INET6_ADDRSTRLEN];
	uint64_t cid_a = rnd_cid(), cid_b = rnd_cid();
	unsigned before;
	uint16_t p;
	redisReply *r;

	gw_start(NULL, 1000, 0);
	ba = send_one(src, 45000, cid_a, NULL);		/* a miss: rule 1 */
	pthread_mutex_lock(&TP->mu);
	p = TP->out_sport[TP->n_out - 1];		/* its NAT port */
	pthread_mutex_unlock(&TP->mu);
	before = n_out();
	post_to(&ba, VPORT, &nat, p, cid_a);		/* the backend answers */
	while (n_out() == before)
		sleep_ms(1);
	other = backend_other_than(&ba);
	snprintf(val, sizeof(val), "%s:%u", wgw_addr_str(&other, a, sizeof(a)), VPORT);
	r = rcmd(NULL, "SET %s %s PX 60000", wgw_store_key(cid_b, key, sizeof(key)), val);
	freeReplyObject(r);
	got = send_one(src, 45000, cid_b, NULL);	/* same endpoint, moved session */
	ck_assert_msg(wgw_addr_eq(&got, &other), "a reused port followed the old mapping to %s",
		      wgw_addr_str(&got, a, sizeof(a)));
	ck_assert_uint_eq(stats().lookups, 2);
	ck_assert_uint_eq(stats().hits, 1);
	gw_stop();
}
END_TEST

/* Only where a miss can matter: a handshake (special CID) and a new CID
 * from an endpoint that has a mapping never ask the store. */
START_TEST(lookup_only_where_it_matters)
{
	const char *src = "198.51.100.50";
	union wgw_addr first, got;

	gw_start(NULL, 1000, 0);
	got = send_one(src, 44000, 0xffffffffffffffffULL, NULL);	/* handshake */
	(void)got;
	ck_assert_uint_eq(stats().lookups, 0);
	first = send_one(src, 44001, rnd_cid(), NULL);		/* asks */
	ck_assert_uint_eq(stats().lookups, 1);
	got = send_one(src, 44001, rnd_cid(), NULL);		/* its mapping */
	ck_assert(wgw_addr_eq(&got, &first));
	ck_assert_uint_eq(stats().lookups, 1);
	gw_stop();
}
END_TEST

/* Random CIDs from random endpoints as fast as the worker takes them,
 * with a lookup rate of 200/s: Redis sees at most the rate (plus the
 * burst), every packet is forwarded, legitimate sessions (known CIDs)
 * lose nothing. */
START_TEST(flood_rate_limit)
{
	const unsigned n = 3000, rate = 200;
	uint64_t known = rnd_cid(), t0, t1;
	union wgw_addr kb, got;
	unsigned sent = 0, before;
	double secs;

	gw_start(NULL, rate, 0);
	kb = send_one("198.51.100.20", 41000, known, NULL);
	before = n_out();
	t0 = now_us();
	for (unsigned i = 0; i < n; i++) {
		char src[32];

		snprintf(src, sizeof(src), "100.64.%u.%u", (i >> 8) & 255, i & 255);
		post(src, (uint16_t)(1024 + i), rnd_cid());
		sent++;
		if (i % 64 == 63)
			sleep_ms(1);
	}
	while (n_out() < before + sent) {
		ck_assert_msg(now_us() - t0 < 10000000, "flood: %u of %u forwarded",
			      n_out() - before, sent);
		sleep_ms(2);
	}
	t1 = now_us();
	secs = (double)(t1 - t0) / 1e6;
	/* the known session, from a new endpoint, during the flood's wake */
	got = send_one("198.51.100.20", 41001, known, NULL);
	ck_assert(wgw_addr_eq(&got, &kb));
	fprintf(stderr, "test_store: flood of %u random CIDs in %.2f s: %" PRIu64
		" lookups, %" PRIu64 " rate-limited, %" PRIu64 " queue full\n", n, secs,
		stats().lookups, stats().lookup_ratelimited, stats().queue_full);
	ck_assert_uint_le(stats().lookups, (uint64_t)(rate / 10 + 16 + rate * secs + 10));
	ck_assert_uint_ge(stats().lookup_ratelimited, n / 2);
	ck_assert_uint_eq(stats().lookups + stats().lookup_ratelimited + stats().queue_full +
				  stats().negative_hits, n + 1);
	gw_stop();
}
END_TEST

/* A CID that missed and could not be learned (its source over its CID
 * quota) comes again from new endpoints: the negative cache answers, not
 * Redis. */
START_TEST(negative_cache)
{
	const char *src = "198.51.100.30";
	uint64_t z = rnd_cid();

	gw_start(NULL, 1000, 2);
	send_one(src, 42000, rnd_cid(), NULL);
	send_one(src, 42001, rnd_cid(), NULL);	/* the quota is full now */
	ck_assert_uint_eq(stats().lookups, 2);
	send_one(src, 42002, z, NULL);		/* asks, misses, not learned */
	ck_assert_uint_eq(stats().lookups, 3);
	ck_assert_uint_eq(stats().misses, 3);
	for (unsigned i = 0; i < 20; i++)
		send_one(src, (uint16_t)(42003 + i), z, NULL);
	ck_assert_uint_eq(stats().lookups, 3);
	ck_assert_uint_eq(stats().negative_hits, 20);
	gw_stop();
}
END_TEST

START_TEST(password_file)
{
	char path[] = "/tmp/wgw-store-pw-XXXXXX", pw[128];
	uint64_t cid = rnd_cid();
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "s3cret pass\nsecond line\n", 24), 24);
	close(fd);
	ck_assert_int_eq(wgw_store_read_password(path, pw, sizeof(pw)), 0);
	ck_assert_str_eq(pw, "s3cret pass");
	redis_kill();
	redis_start("s3cret pass");
	gw_start(pw, 1000, 0);
	ck_assert_int_eq(store_state(), WGW_STORE_CONNECTED);
	send_one("198.51.100.40", 43000, cid, NULL);
	while (!key_exists("s3cret pass", cid))
		sleep_ms(1);
	gw_stop();
	/* a wrong password: refused, down, nothing written */
	gw_start("wrong", 1000, 0);
	ck_assert(wait_state(WGW_STORE_DOWN, 3000));
	cid = rnd_cid();
	send_one("198.51.100.40", 43001, cid, NULL);
	sleep_ms(100);
	ck_assert(!key_exists("s3cret pass", cid));
	ck_assert_uint_eq(stats().writes, 0);
	gw_stop();
	/* an empty first line, a missing file */
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "\nx\n", 3), 3);
	close(fd);
	ck_assert_int_eq(wgw_store_read_password(path, pw, sizeof(pw)), -EINVAL);
	unlink(path);
	ck_assert_int_eq(wgw_store_read_password(path, pw, sizeof(pw)), -ENOENT);
}
END_TEST

START_TEST(shard_and_key)
{
	char key[32];
	unsigned count[3] = { 0 };

	ck_assert_str_eq(wgw_store_key(0x0123456789abcdefULL, key, sizeof(key)),
			 "wgw:cid:0123456789abcdef");
	/* fixed: the same on every gateway and every run */
	ck_assert_uint_eq(wgw_store_shard(0x0123456789abcdefULL, 3),
			  wgw_store_shard(0x0123456789abcdefULL, 3));
	ck_assert_uint_eq(wgw_store_shard(42, 1), 0);
	for (uint64_t c = 1; c <= 30000; c++)
		count[wgw_store_shard(c * 0x9e3779b97f4a7c15ULL, 3)]++;
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_gt(count[i], 9000);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *t = tcase_create("redis");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, writes_visible);
	tcase_add_test(t, lookup_hit_binds);
	tcase_add_test(t, miss_rule1);
	tcase_add_test(t, timeout_rule1);
	tcase_add_test(t, killed_down_reconnect);
	tcase_add_test(t, flood_rate_limit);
	tcase_add_test(t, negative_cache);
	tcase_add_test(t, password_file);
	tcase_add_test(t, lookup_only_where_it_matters);
	tcase_add_test(t, reused_port_asks);
	suite_add_tcase(s, t);
	t = tcase_create("pure");
	tcase_add_test(t, shard_and_key);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!redis_installed()) {
		fprintf(stderr, "test_store: %s not installed (tests/deps.sh): skipped\n", REDIS_BIN);
		return 77;
	}
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
