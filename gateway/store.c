// SPDX-License-Identifier: GPL-2.0-only
/*
 * The session store (store.h): the workers' rings, negative caches and
 * token buckets, and the store thread with its Redis connections.
 *
 * Why hiredis's async API with our own event hooks rather than its sync
 * API: the sync API waits for each reply (or needs a socket timeout per
 * command), which would serialise lookups behind writes and make a slow
 * Redis stall the thread; the async API pipelines any number of commands
 * on one non-blocking socket and hands each reply to its callback, and its
 * five event hooks are all a poll() loop needs.  The store thread is then
 * one poll() over an eventfd and one socket per store.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "gateway/counter.h"
#include "gateway/engine.h"
#include "gateway/hash.h"
#include "gateway/log.h"
#include "gateway/options.h"	/* struct wgw_store_ep */
#include "gateway/store.h"

#define STORE_POLL_MS 100	/* longest sleep of the store thread, ms */
#define STORE_WALK_BUDGET 8192	/* CID entries per refresh step */
#define STORE_LOOKUP_CTX 4096	/* lookups outstanding, all stores */
#define STORE_ANSWER_RING 512	/* answers per worker (> lookup ring) */
#define STORE_IDLE_PING_MS 1000	/* PING a connection idle this long, ms */

const uint32_t wgw_store_lat_bounds_us[WGW_STORE_LAT_BUCKETS - 1] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
};

const char *wgw_store_state_name(enum wgw_store_state s)
{
	switch (s) {
	case WGW_STORE_DISABLED: return "disabled";
	case WGW_STORE_CONNECTING: return "connecting";
	case WGW_STORE_CONNECTED: return "connected";
	case WGW_STORE_DOWN: return "down";
	}
	return "?";
}

/* ---- single-producer single-consumer rings --------------------------------- */

struct spsc {
	_Atomic uint32_t head __attribute__((aligned(64)));	/* consumer */
	_Atomic uint32_t tail __attribute__((aligned(64)));	/* producer */
	uint32_t mask, esz;
	uint8_t *buf;
};

static int spsc_init(struct spsc *r, uint32_t n, uint32_t esz)
{
	r->buf = calloc(n, esz);
	if (!r->buf)
		return -ENOMEM;
	r->mask = n - 1;
	r->esz = esz;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	return 0;
}

static bool spsc_push(struct spsc *r, const void *e)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (t - atomic_load_explicit(&r->head, memory_order_acquire) > r->mask)
		return false;
	memcpy(r->buf + (size_t)(t & r->mask) * r->esz, e, r->esz);
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return true;
}

static bool spsc_pop(struct spsc *r, void *e)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (h == atomic_load_explicit(&r->tail, memory_order_acquire))
		return false;
	memcpy(e, r->buf + (size_t)(h & r->mask) * r->esz, r->esz);
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return true;
}

static bool spsc_empty(struct spsc *r)
{
	return atomic_load_explicit(&r->head, memory_order_relaxed) ==
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

/* Single-writer counters: a plain add, readable by the control thread. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The engine's seconds (the workers' clock, worker.c). */
static uint32_t engine_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

unsigned wgw_store_shard(uint64_t cid, unsigned n)
{
	/* fixed (no per-process key): every gateway must find a CID in the
	 * same store */
	return n > 1 ? (unsigned)(((wgw_mix64(cid) >> 32) * n) >> 32) : 0;
}

const char *wgw_store_key(uint64_t cid, char *buf, size_t len)
{
	snprintf(buf, len, "wgw:cid:%016" PRIx64, cid);
	return buf;
}

/* ---- structures ---------------------------------------------------------------- */

struct store_write {		/* worker -> store: a binding to SET */
	uint64_t cid;
	union wgw_addr addr;
	uint16_t port;
};

struct store_req {		/* worker -> store: a lookup */
	uint64_t cid;
	uint64_t t_ns;		/* posted (CLOCK_MONOTONIC) */
};

struct store_neg {
	uint64_t cid;
	uint32_t until_ms;
};

/* One worker's side.  The rings' producer and consumer ends are the only
 * fields both threads touch; the counters have one writer each. */
struct wgw_store_port {
	struct wgw_store *s;
	unsigned id;
	struct spsc writes, reqs, answers;
	bool posted;			/* since the last kick */
	/* token bucket: milli-tokens */
	uint64_t tokens_m, burst_m;
	uint32_t tb_ms;
	bool tb_init;
	struct store_neg *neg;		/* [WGW_STORE_NEG_SLOTS] */
	/* worker-written */
	uint64_t lookups, hits, misses, timeouts, errors, hit_unusable, ratelimited,
		down, negative_hits, queue_full, depth;
	/* store-thread-written */
	uint64_t w_queue_full;
} __attribute__((aligned(64)));

struct lookup_ctx {
	uint64_t cid, t_ns;
	unsigned worker;
	struct store_shard *sh;
	uint32_t next_free;		/* index + 1, 0: end */
};

struct store_shard {
	struct wgw_store *s;
	unsigned idx;
	char host[WGW_STORE_HOST_LEN];
	uint16_t port;
	char address[WGW_STORE_ADDR_LEN];
	redisAsyncContext *ac;
	bool want_read, want_write;
	bool kill;			/* disconnect at the next turn of the loop */
	bool ever_connected;
	bool logged_down;		/* the "down" line was logged */
	_Atomic int state;		/* enum wgw_store_state */
	_Atomic int64_t since;		/* time_t */
	_Atomic uint64_t reconnects, outstanding;
	uint64_t connect_ns, retry_ns;
	uint32_t backoff_ms;
	/* send times of the commands awaiting a reply, in order */
	uint64_t *sent;
	uint32_t sent_head, sent_n;
	uint64_t last_sent_ns;		/* the last command sent */
};

struct wgw_store {
	struct wgw_store_cfg cfg;
	char *password;
	unsigned n_shards;
	struct store_shard *sh;
	unsigned n_ports;
	struct wgw_store_port *ports;
	struct lookup_ctx *ctx;
	uint32_t ctx_free;		/* index + 1 */
	int wake_fd;
	_Atomic bool sleeping;
	_Atomic bool stop;
	pthread_t thread;
	bool started;
	uint64_t stall_ns;
	/* refresh walk */
	uint32_t walk_cursor, walk_since, walk_next_s;
	bool walking;
	_Atomic bool walk_all;		/* a store came back: write every live CID */
	/* store-thread-written */
	uint64_t writes, write_errors, writes_deferred, lat_count, lat_sum_us, lat_max_us;
	uint64_t lat_bucket[WGW_STORE_LAT_BUCKETS];
};

/* ---- worker side ---------------------------------------------------------------- */

struct wgw_store_port *wgw_store_port(struct wgw_store *s, unsigned worker)
{
	return s && worker < s->n_ports ? &s->ports[worker] : NULL;
}

uint32_t wgw_store_timeout_ms(const struct wgw_store *s)
{
	return s->cfg.timeout_ms;
}

void wgw_store_learned(struct wgw_store_port *p, uint64_t cid, const union wgw_addr *a,
		       uint16_t port)
{
	struct store_write w = { .cid = cid, .addr = *a, .port = port };

	if (!spsc_push(&p->writes, &w)) {
		wgw_cnt_add(&p->queue_full, 1);
		return;
	}
	p->posted = true;
}

static struct store_neg *neg_slot(struct wgw_store_port *p, uint64_t cid)
{
	return &p->neg[wgw_mix64(cid) & (WGW_STORE_NEG_SLOTS - 1)];
}

enum wgw_store_ask wgw_store_ask(struct wgw_store_port *p, uint64_t cid, uint32_t now_ms)
{
	struct wgw_store *s = p->s;
	struct store_shard *sh = &s->sh[wgw_store_shard(cid, s->n_shards)];
	struct store_neg *n = neg_slot(p, cid);
	struct store_req r;

	if (atomic_load_explicit(&sh->state, memory_order_relaxed) != WGW_STORE_CONNECTED) {
		wgw_cnt_add(&p->down, 1);
		return WGW_STORE_SKIP_DOWN;
	}
	if (n->cid == cid && (int32_t)(n->until_ms - now_ms) > 0) {
		wgw_cnt_add(&p->negative_hits, 1);
		return WGW_STORE_SKIP_NEGATIVE;
	}
	/* token bucket: lookup_rate per second, a burst of a tenth of it */
	if (!p->tb_init) {
		p->tb_init = true;
		p->tb_ms = now_ms;
		p->tokens_m = p->burst_m;
	} else if (now_ms != p->tb_ms) {
		p->tokens_m += (uint64_t)(uint32_t)(now_ms - p->tb_ms) * s->cfg.lookup_rate;
		if (p->tokens_m > p->burst_m)
			p->tokens_m = p->burst_m;
		p->tb_ms = now_ms;
	}
	if (p->tokens_m < 1000) {
		wgw_cnt_add(&p->ratelimited, 1);
		return WGW_STORE_SKIP_RATE;
	}
	r.cid = cid;
	r.t_ns = mono_ns();	/* vDSO; once per lookup */
	if (!spsc_push(&p->reqs, &r)) {
		wgw_cnt_add(&p->queue_full, 1);
		return WGW_STORE_SKIP_FULL;
	}
	p->tokens_m -= 1000;
	p->posted = true;
	wgw_cnt_add(&p->lookups, 1);
	return WGW_STORE_ASKED;
}

bool wgw_store_answer_pop(struct wgw_store_port *p, struct wgw_store_answer *a)
{
	return spsc_pop(&p->answers, a);
}

void wgw_store_lookup_done(struct wgw_store_port *p, uint64_t cid, enum wgw_store_result r,
			   uint32_t now_ms)
{
	struct store_neg *n;

	switch (r) {
	case WGW_STORE_HIT:
		wgw_cnt_add(&p->hits, 1);
		return;
	case WGW_STORE_MISS:
		wgw_cnt_add(&p->misses, 1);
		break;
	case WGW_STORE_TIMEOUT:
		wgw_cnt_add(&p->timeouts, 1);
		break;
	case WGW_STORE_ERROR:
		wgw_cnt_add(&p->errors, 1);
		return;
	}
	n = neg_slot(p, cid);
	n->cid = cid;
	n->until_ms = now_ms + WGW_STORE_NEG_MS;
}

void wgw_store_hit_unusable(struct wgw_store_port *p)
{
	wgw_cnt_add(&p->hit_unusable, 1);
}

void wgw_store_queue_full(struct wgw_store_port *p)
{
	wgw_cnt_add(&p->queue_full, 1);
}

void wgw_store_set_depth(struct wgw_store_port *p, unsigned depth)
{
	if (wgw_cnt_get(&p->depth) != depth)
		__atomic_store_n(&p->depth, depth, __ATOMIC_RELAXED);
}

void wgw_store_kick(struct wgw_store_port *p)
{
	struct wgw_store *s = p->s;
	uint64_t one = 1;

	if (!p->posted)
		return;
	p->posted = false;
	/* the store thread sets sleeping, then looks at the rings once more
	 * before poll(): seq_cst on both sides, so one of us sees the other */
	if (atomic_load(&s->sleeping) && atomic_exchange(&s->sleeping, false)) {
		if (write(s->wake_fd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is full, a wake-up is pending */
		}
	}
}

/* ---- the store thread: connections ------------------------------------------ */

/* The state as status shows it; the log says only what an operator
 * needs: one line when a store goes down (not again for each failed
 * retry) and one when it is back. */
static void shard_set_state(struct store_shard *sh, enum wgw_store_state st, const char *why)
{
	enum wgw_store_state old = (enum wgw_store_state)atomic_load(&sh->state);

	if (old == st)
		return;
	atomic_store(&sh->state, (int)st);
	atomic_store(&sh->since, (int64_t)time(NULL));
	if (st == WGW_STORE_CONNECTED) {
		wgw_notice("session store %s: connected%s", sh->address,
			   sh->ever_connected ? " again" : "");
		sh->logged_down = false;
	} else if (st == WGW_STORE_DOWN && !sh->logged_down) {
		wgw_warn("session store %s: down (%s): standalone until it is back (retries from %u ms, up to %u ms apart)",
			 sh->address, why ? why : "?", sh->backoff_ms, WGW_STORE_BACKOFF_MAX_MS);
		sh->logged_down = true;
	} else if (st == WGW_STORE_DOWN) {
		wgw_dbg("session store %s: still down (%s)", sh->address, why ? why : "?");
	}
}

static void ev_add_read(void *arg)
{
	((struct store_shard *)arg)->want_read = true;
}

static void ev_del_read(void *arg)
{
	((struct store_shard *)arg)->want_read = false;
}

static void ev_add_write(void *arg)
{
	((struct store_shard *)arg)->want_write = true;
}

static void ev_del_write(void *arg)
{
	((struct store_shard *)arg)->want_write = false;
}

static void ev_cleanup(void *arg)
{
	struct store_shard *sh = arg;

	sh->want_read = sh->want_write = false;
}

/* A reply (or NULL: the connection went) for the oldest command. */
static void sent_pop(struct store_shard *sh)
{
	if (!sh->sent_n)
		return;
	sh->sent_head = (sh->sent_head + 1) & (WGW_STORE_INFLIGHT - 1);
	sh->sent_n--;
	atomic_store_explicit(&sh->outstanding, sh->sent_n, memory_order_relaxed);
}

static bool sent_room(const struct store_shard *sh)
{
	return sh->sent_n < WGW_STORE_INFLIGHT;
}

static void sent_push(struct store_shard *sh, uint64_t now)
{
	sh->sent[(sh->sent_head + sh->sent_n) & (WGW_STORE_INFLIGHT - 1)] = now;
	sh->sent_n++;
	sh->last_sent_ns = now;
	atomic_store_explicit(&sh->outstanding, sh->sent_n, memory_order_relaxed);
}

static void shard_schedule_retry(struct store_shard *sh, uint64_t now)
{
	sh->retry_ns = now + (uint64_t)sh->backoff_ms * 1000000ull;
}

static void shard_backoff_grow(struct store_shard *sh)
{
	sh->backoff_ms = sh->backoff_ms * 2 > WGW_STORE_BACKOFF_MAX_MS ?
				 WGW_STORE_BACKOFF_MAX_MS : sh->backoff_ms * 2;
}

static void shard_connected(struct store_shard *sh)
{
	if (sh->ever_connected)
		atomic_fetch_add(&sh->reconnects, 1);
	/* Every live binding, also at the first connection: the sessions
	 * restored from the state file, and what was learnt meanwhile. */
	atomic_store(&sh->s->walk_all, true);
	shard_set_state(sh, WGW_STORE_CONNECTED, NULL);
	sh->ever_connected = true;
	sh->backoff_ms = WGW_STORE_BACKOFF_MIN_MS;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct store_shard *sh = ac->data;

	(void)status;
	if (!sh || sh->ac != ac)
		return;
	sh->ac = NULL;
	sh->want_read = sh->want_write = false;
	sh->sent_n = 0;
	atomic_store_explicit(&sh->outstanding, 0, memory_order_relaxed);
	shard_schedule_retry(sh, mono_ns());
	shard_set_state(sh, WGW_STORE_DOWN, ac->errstr[0] ? ac->errstr : "connection closed");
	shard_backoff_grow(sh);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct store_shard *sh = ac->data;

	if (!sh || sh->ac != ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac after this callback */
		sh->ac = NULL;
		sh->want_read = sh->want_write = false;
		sh->sent_n = 0;
		atomic_store_explicit(&sh->outstanding, 0, memory_order_relaxed);
		shard_schedule_retry(sh, mono_ns());
		shard_set_state(sh, WGW_STORE_DOWN, ac->errstr[0] ? ac->errstr : "connect failed");
		shard_backoff_grow(sh);
		return;
	}
	/* with a password: once AUTH is accepted (auth_cb) */
	if (!sh->s->password)
		shard_connected(sh);
}

static void auth_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct store_shard *sh = priv;
	redisReply *reply = r;

	if (sh->ac == ac)
		sent_pop(sh);
	if (!reply || sh->ac != ac)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		if (!sh->logged_down)	/* once an outage, not once a retry */
			wgw_err("session store %s: AUTH refused: %s", sh->address, reply->str);
		sh->kill = true;
	} else {
		shard_connected(sh);
	}
}

static void shard_connect(struct store_shard *sh, uint64_t now)
{
	struct wgw_store *s = sh->s;
	redisAsyncContext *ac;

	shard_set_state(sh, WGW_STORE_CONNECTING, NULL);
	sh->connect_ns = now;
	sh->kill = false;
	sh->sent_n = 0;
	sh->sent_head = 0;
	/* a host name is resolved here, by this thread only */
	ac = redisAsyncConnect(sh->host, sh->port);
	if (!ac || ac->err) {
		const char *why = ac ? ac->errstr : "out of memory";

		shard_schedule_retry(sh, now);
		shard_set_state(sh, WGW_STORE_DOWN, why);
		shard_backoff_grow(sh);
		if (ac)
			redisAsyncFree(ac);
		return;
	}
	ac->data = sh;
	ac->ev.data = sh;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	sh->ac = ac;
	sh->want_read = sh->want_write = false;
	redisAsyncSetConnectCallback(ac, on_connect);	/* adds write interest */
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	if (s->password && s->password[0]) {
		/* first in the pipeline: every command after it is authenticated */
		if (redisAsyncCommand(ac, auth_cb, sh, "AUTH %s", s->password) == REDIS_OK)
			sent_push(sh, now);
	}
}

/* Tear a connection down from the loop (never from a callback). */
static void shard_drop(struct store_shard *sh, const char *why)
{
	redisAsyncContext *ac = sh->ac;

	if (!ac)
		return;
	shard_schedule_retry(sh, mono_ns());
	shard_set_state(sh, WGW_STORE_DOWN, why);
	shard_backoff_grow(sh);
	sh->ac = NULL;		/* the callbacks below see it gone */
	ac->data = NULL;
	redisAsyncFree(ac);	/* pending callbacks get NULL replies */
	sh->want_read = sh->want_write = false;
	sh->sent_n = 0;
	atomic_store_explicit(&sh->outstanding, 0, memory_order_relaxed);
}

/* ---- the store thread: commands ------------------------------------------------- */

static void set_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct store_shard *sh = priv;
	struct wgw_store *s = sh->s;
	redisReply *reply = r;

	(void)ac;
	if (sh->ac)
		sent_pop(sh);
	if (reply && reply->type != REDIS_REPLY_ERROR)
		wgw_cnt_add(&s->writes, 1);
	else
		wgw_cnt_add(&s->write_errors, 1);
}

static void store_set(struct wgw_store *s, const struct store_write *w, uint32_t ttl_ms,
		      uint64_t now)
{
	struct store_shard *sh = &s->sh[wgw_store_shard(w->cid, s->n_shards)];
	char key[32], val[INET6_ADDRSTRLEN + 16];

	/* Not connected (yet, or any more): the walk that follows the
	 * connection writes every live binding, this one with them. */
	if (!sh->ac || atomic_load_explicit(&sh->state, memory_order_relaxed) !=
			       WGW_STORE_CONNECTED) {
		wgw_cnt_add(&s->writes_deferred, 1);
		return;
	}
	if (!sent_room(sh)) {
		wgw_cnt_add(&s->write_errors, 1);
		return;
	}
	wgw_store_key(w->cid, key, sizeof(key));
	wgw_addr_port_str(&w->addr, w->port, w->port, val, sizeof(val));
	if (redisAsyncCommand(sh->ac, set_cb, sh, "SET %s %s PX %u", key, val, ttl_ms) != REDIS_OK) {
		wgw_cnt_add(&s->write_errors, 1);
		return;
	}
	sent_push(sh, now);
}

static void answer(struct wgw_store *s, unsigned worker, uint64_t cid,
		   enum wgw_store_result res, const union wgw_addr *a, uint16_t port)
{
	struct wgw_store_answer an = { .cid = cid, .result = (uint8_t)res, .port = port };

	if (a)
		an.addr = *a;
	if (!spsc_push(&s->ports[worker].answers, &an))
		wgw_cnt_add(&s->ports[worker].w_queue_full, 1);	/* the worker times out */
}

static void lat_record(struct wgw_store *s, uint64_t t_ns, uint64_t now)
{
	uint64_t us = now > t_ns ? (now - t_ns) / 1000 : 0;
	unsigned b = 0;

	while (b < WGW_STORE_LAT_BUCKETS - 1 && us > wgw_store_lat_bounds_us[b])
		b++;
	wgw_cnt_add(&s->lat_bucket[b], 1);
	wgw_cnt_add(&s->lat_count, 1);
	wgw_cnt_add(&s->lat_sum_us, us);
	if (us > wgw_cnt_get(&s->lat_max_us))
		__atomic_store_n(&s->lat_max_us, us, __ATOMIC_RELAXED);
}

static void ctx_put(struct wgw_store *s, struct lookup_ctx *c)
{
	c->next_free = s->ctx_free;
	s->ctx_free = (uint32_t)(c - s->ctx) + 1;
}

/* A stored value, "a.b.c.d:port" or "[v6]:port" (store_set()'s); 0 or
 * -EINVAL. */
static int parse_value(const char *v, union wgw_addr *a, uint16_t *port)
{
	char host[INET6_ADDRSTRLEN];
	const char *h = v, *colon = strrchr(v, ':');
	size_t n;
	char *end;
	unsigned long p;

	if (!colon)
		return -EINVAL;
	n = (size_t)(colon - v);
	if (*v == '[') {
		if (n < 2 || v[n - 1] != ']')
			return -EINVAL;
		h = v + 1;
		n -= 2;
	}
	if (!n || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 1 || p > 65535)
		return -EINVAL;
	if (wgw_addr_parse(a, host))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void get_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct lookup_ctx *c = priv;
	struct store_shard *sh = c->sh;
	struct wgw_store *s = sh->s;
	redisReply *reply = r;
	uint64_t now = mono_ns();

	(void)ac;
	if (sh->ac)
		sent_pop(sh);
	if (!reply || reply->type == REDIS_REPLY_ERROR) {
		answer(s, c->worker, c->cid, WGW_STORE_ERROR, NULL, 0);
	} else if (reply->type == REDIS_REPLY_NIL) {
		lat_record(s, c->t_ns, now);
		answer(s, c->worker, c->cid, WGW_STORE_MISS, NULL, 0);
	} else if (reply->type == REDIS_REPLY_STRING && reply->len < 64) {
		union wgw_addr a;
		uint16_t lo;
		char v[64];

		memcpy(v, reply->str, reply->len);
		v[reply->len] = '\0';
		lat_record(s, c->t_ns, now);
		if (parse_value(v, &a, &lo) < 0) {
			wgw_log_ratelimited(LOG_WARNING,
					    "session store %s: key wgw:cid:%016" PRIx64 " holds '%s', not ADDR:PORT: ignored",
					    sh->address, c->cid, v);
			answer(s, c->worker, c->cid, WGW_STORE_ERROR, NULL, 0);
		} else {
			answer(s, c->worker, c->cid, WGW_STORE_HIT, &a, lo);
		}
	} else {
		answer(s, c->worker, c->cid, WGW_STORE_ERROR, NULL, 0);
	}
	ctx_put(s, c);
}

static void store_get(struct wgw_store *s, unsigned worker, const struct store_req *r,
		      uint64_t now)
{
	struct store_shard *sh = &s->sh[wgw_store_shard(r->cid, s->n_shards)];
	struct lookup_ctx *c;
	char key[32];

	if (!sh->ac || atomic_load_explicit(&sh->state, memory_order_relaxed) !=
			       WGW_STORE_CONNECTED || !sent_room(sh) || !s->ctx_free) {
		answer(s, worker, r->cid, WGW_STORE_ERROR, NULL, 0);
		return;
	}
	c = &s->ctx[s->ctx_free - 1];
	s->ctx_free = c->next_free;
	c->cid = r->cid;
	c->t_ns = r->t_ns;
	c->worker = worker;
	c->sh = sh;
	wgw_store_key(r->cid, key, sizeof(key));
	if (redisAsyncCommand(sh->ac, get_cb, c, "GET %s", key) != REDIS_OK) {
		ctx_put(s, c);
		answer(s, worker, r->cid, WGW_STORE_ERROR, NULL, 0);
		return;
	}
	sent_push(sh, now);
}

static uint32_t store_ttl_ms(struct wgw_store *s)
{
	uint32_t t = wgw_engine_cid_idle_s(s->cfg.engine);

	return (t ? t : WGW_CID_IDLE_S_DEFAULT) * 1000u;
}

struct walk_arg {
	struct wgw_store *s;
	uint32_t ttl_ms;
	uint64_t now;
};

static void walk_cb(void *arg, uint64_t cid, const union wgw_addr *backend, uint16_t port)
{
	struct walk_arg *w = arg;
	struct store_write wr = { .cid = cid, .addr = *backend, .port = port };

	store_set(w->s, &wr, w->ttl_ms, w->now);
}

/*
 * The TTL refresh: every quarter of the CID idle timeout, the CIDs seen
 * since the last round are written again (SET, so a store that lost its
 * data, or a new shard, gets them back too), in steps of
 * STORE_WALK_BUDGET entries.  Nothing on the workers' path: the walk reads
 * the engine's idle clocks.  After a store came back, every CID not idle
 * past its timeout is written at once (walk_all): a Redis that restarted
 * empty has the sessions again within a walk, not a quarter timeout.
 * While no store is connected no round starts (nothing could be written).
 */
static void store_walk(struct wgw_store *s, uint64_t now)
{
	uint32_t now_s = engine_now_s(), ttl_ms = store_ttl_ms(s);
	uint32_t period = ttl_ms / 4000 ? ttl_ms / 4000 : 1;
	struct walk_arg wa = { s, ttl_ms, now };

	if (!s->walking) {
		bool any = false;

		if (!atomic_load_explicit(&s->walk_all, memory_order_relaxed) &&
		    (int32_t)(now_s - s->walk_next_s) < 0)
			return;
		for (unsigned i = 0; i < s->n_shards && !any; i++)
			any = atomic_load_explicit(&s->sh[i].state, memory_order_relaxed) ==
			      WGW_STORE_CONNECTED;
		if (!any)
			return;
		s->walking = true;
		s->walk_cursor = 0;
		s->walk_since = now_s - (atomic_exchange(&s->walk_all, false) ? ttl_ms / 1000 : period);
		s->walk_next_s = now_s + period;
	}
	s->walk_cursor = wgw_engine_cid_walk(s->cfg.engine, s->walk_cursor, STORE_WALK_BUDGET,
					     s->walk_since, walk_cb, &wa);
	if (!s->walk_cursor)
		s->walking = false;
}

/* Drain every worker's rings; true if anything was there. */
static bool store_drain(struct wgw_store *s, uint64_t now)
{
	uint32_t ttl_ms = store_ttl_ms(s);
	bool any = false;

	for (unsigned w = 0; w < s->n_ports; w++) {
		struct wgw_store_port *p = &s->ports[w];
		struct store_write wr;
		struct store_req rq;

		/* lookups first: a packet waits for them */
		for (unsigned k = 0; k < WGW_STORE_LOOKUP_RING && spsc_pop(&p->reqs, &rq); k++) {
			store_get(s, w, &rq, now);
			any = true;
		}
		for (unsigned k = 0; k < WGW_STORE_WRITE_RING && spsc_pop(&p->writes, &wr); k++) {
			store_set(s, &wr, ttl_ms, now);
			any = true;
		}
	}
	return any;
}

static bool store_rings_empty(struct wgw_store *s)
{
	for (unsigned w = 0; w < s->n_ports; w++)
		if (!spsc_empty(&s->ports[w].reqs) || !spsc_empty(&s->ports[w].writes))
			return false;
	return true;
}

static void ping_cb(redisAsyncContext *ac, void *r, void *priv)
{
	struct store_shard *sh = priv;

	(void)r;
	if (sh->ac == ac)
		sent_pop(sh);
}

/* Connection timers: connect, stall, retry, and a PING on a connection
 * idle for a second, so that a store that vanished without closing (a
 * host down, a partition) is found out by the stall check within about
 * two seconds, not at the next session that needs it. */
static void store_timers(struct wgw_store *s, uint64_t now)
{
	for (unsigned i = 0; i < s->n_shards; i++) {
		struct store_shard *sh = &s->sh[i];
		int st = atomic_load_explicit(&sh->state, memory_order_relaxed);

		if (sh->ac && sh->kill) {
			shard_drop(sh, "AUTH refused");
		} else if (sh->ac && st == WGW_STORE_CONNECTING &&
			   now - sh->connect_ns > WGW_STORE_CONNECT_MS * 1000000ull) {
			shard_drop(sh, "connect timed out");
		} else if (sh->ac && sh->sent_n &&
			   now - sh->sent[sh->sent_head] > s->stall_ns) {
			char why[64];

			snprintf(why, sizeof(why), "no reply for %" PRIu64 " ms",
				 (now - sh->sent[sh->sent_head]) / 1000000);
			shard_drop(sh, why);
		} else if (!sh->ac && now >= sh->retry_ns) {
			shard_connect(sh, now);
		} else if (sh->ac && st == WGW_STORE_CONNECTED && !sh->sent_n &&
			   now - sh->last_sent_ns > STORE_IDLE_PING_MS * 1000000ull) {
			if (redisAsyncCommand(sh->ac, ping_cb, sh, "PING") == REDIS_OK)
				sent_push(sh, now);
		}
	}
}

static void *store_main(void *arg)
{
	struct wgw_store *s = arg;
	struct pollfd fds[1 + WGW_MAX_STORES];
	unsigned map[1 + WGW_MAX_STORES];

	pthread_setname_np(pthread_self(), "wgw-store");
	while (!atomic_load(&s->stop)) {
		uint64_t now = mono_ns();
		unsigned n = 0;
		int timeout = STORE_POLL_MS;
		bool busy;

		store_timers(s, now);
		busy = store_drain(s, now);
		/* also when busy: a steady stream of new sessions must not
		 * starve the refresh of the others */
		store_walk(s, now);
		busy |= s->walking;

		fds[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		for (unsigned i = 0; i < s->n_shards; i++) {
			struct store_shard *sh = &s->sh[i];
			short ev = (short)((sh->want_read ? POLLIN : 0) |
					   (sh->want_write ? POLLOUT : 0));

			if (sh->ac && ev) {
				map[n] = i;
				fds[n++] = (struct pollfd){ .fd = sh->ac->c.fd, .events = ev };
			}
			if (!sh->ac && sh->retry_ns > now &&
			    (sh->retry_ns - now) / 1000000 < (uint64_t)timeout)
				timeout = (int)((sh->retry_ns - now) / 1000000) + 1;
			if (sh->ac && atomic_load_explicit(&sh->state, memory_order_relaxed) ==
					      WGW_STORE_CONNECTING && timeout > 10)
				timeout = 10;
		}
		if (busy) {
			timeout = 0;
		} else {
			atomic_store(&s->sleeping, true);
			if (!store_rings_empty(s)) {
				atomic_store(&s->sleeping, false);
				timeout = 0;
			}
		}
		if (poll(fds, n, timeout) > 0) {
			if (fds[0].revents & POLLIN) {
				uint64_t v;

				if (read(s->wake_fd, &v, sizeof(v)) < 0) {
					/* EAGAIN: another read got it */
				}
			}
			for (unsigned k = 1; k < n; k++) {
				struct store_shard *sh = &s->sh[map[k]];
				redisAsyncContext *ac = sh->ac;

				if (!ac || !fds[k].revents)
					continue;
				if (fds[k].revents & (POLLIN | POLLERR | POLLHUP))
					redisAsyncHandleRead(ac);
				/* the read may have freed it */
				if (sh->ac == ac && (fds[k].revents & (POLLOUT | POLLERR)))
					redisAsyncHandleWrite(ac);
			}
		}
		atomic_store(&s->sleeping, false);
	}
	for (unsigned i = 0; i < s->n_shards; i++) {
		s->sh[i].logged_down = true;	/* stopping: nothing to tell */
		if (s->sh[i].ac)
			shard_drop(&s->sh[i], "stopping");
	}
	return NULL;
}

/* ---- life cycle ----------------------------------------------------------------- */

struct wgw_store *wgw_store_create(const struct wgw_store_cfg *cfg)
{
	struct wgw_store *s;

	if (!cfg->n_eps || cfg->n_eps > WGW_MAX_STORES || !cfg->n_workers || !cfg->engine ||
	    !cfg->timeout_ms || !cfg->lookup_rate) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	s->wake_fd = -1;
	s->n_shards = cfg->n_eps;
	s->n_ports = cfg->n_workers;
	s->stall_ns = (uint64_t)(cfg->timeout_ms * 20 > WGW_STORE_STALL_MIN_MS ?
					 cfg->timeout_ms * 20 : WGW_STORE_STALL_MIN_MS) * 1000000ull;
	if (cfg->password && cfg->password[0] && !(s->password = strdup(cfg->password)))
		goto err;
	s->cfg.password = NULL;
	s->cfg.eps = NULL;
	s->sh = calloc(s->n_shards, sizeof(*s->sh));
	s->ports = aligned_alloc(64, sizeof(*s->ports) * s->n_ports);
	s->ctx = calloc(STORE_LOOKUP_CTX, sizeof(*s->ctx));
	if (!s->sh || !s->ports || !s->ctx)
		goto err;
	memset(s->ports, 0, sizeof(*s->ports) * s->n_ports);
	for (uint32_t i = 0; i < STORE_LOOKUP_CTX; i++)
		s->ctx[i].next_free = i + 1 < STORE_LOOKUP_CTX ? i + 2 : 0;
	s->ctx_free = 1;
	for (unsigned i = 0; i < s->n_shards; i++) {
		struct store_shard *sh = &s->sh[i];
		const struct wgw_store_ep *ep = &cfg->eps[i];

		sh->s = s;
		sh->idx = i;
		snprintf(sh->host, sizeof(sh->host), "%s", ep->host);
		sh->port = ep->port;
		snprintf(sh->address, sizeof(sh->address),
			 strchr(ep->host, ':') ? "redis://[%s]:%u" : "redis://%s:%u", ep->host,
			 ep->port);
		sh->backoff_ms = WGW_STORE_BACKOFF_MIN_MS;
		atomic_init(&sh->state, WGW_STORE_CONNECTING);
		atomic_init(&sh->since, (int64_t)time(NULL));
		sh->sent = calloc(WGW_STORE_INFLIGHT, sizeof(*sh->sent));
		if (!sh->sent)
			goto err;
	}
	for (unsigned w = 0; w < s->n_ports; w++) {
		struct wgw_store_port *p = &s->ports[w];

		p->s = s;
		p->id = w;
		p->burst_m = (uint64_t)(cfg->lookup_rate / 10 > 16 ? cfg->lookup_rate / 10 : 16) * 1000;
		p->neg = calloc(WGW_STORE_NEG_SLOTS, sizeof(*p->neg));
		if (!p->neg || spsc_init(&p->writes, WGW_STORE_WRITE_RING, sizeof(struct store_write)) ||
		    spsc_init(&p->reqs, WGW_STORE_LOOKUP_RING, sizeof(struct store_req)) ||
		    spsc_init(&p->answers, STORE_ANSWER_RING, sizeof(struct wgw_store_answer)))
			goto err;
	}
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0)
		goto err;
	return s;
err:
	wgw_store_destroy(s);
	errno = ENOMEM;
	return NULL;
}

int wgw_store_start(struct wgw_store *s)
{
	int err;

	atomic_store(&s->stop, false);
	err = pthread_create(&s->thread, NULL, store_main, s);
	if (err)
		return -err;
	s->started = true;
	return 0;
}

void wgw_store_stop(struct wgw_store *s)
{
	uint64_t one = 1;

	if (!s || !s->started)
		return;
	atomic_store(&s->stop, true);
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* the thread wakes within STORE_POLL_MS anyway */
	}
	pthread_join(s->thread, NULL);
	s->started = false;
}

void wgw_store_destroy(struct wgw_store *s)
{
	if (!s)
		return;
	wgw_store_stop(s);
	if (s->sh)
		for (unsigned i = 0; i < s->n_shards; i++)
			free(s->sh[i].sent);
	if (s->ports)
		for (unsigned w = 0; w < s->n_ports; w++) {
			free(s->ports[w].neg);
			free(s->ports[w].writes.buf);
			free(s->ports[w].reqs.buf);
			free(s->ports[w].answers.buf);
		}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->ctx);
	free(s->ports);
	free(s->sh);
	free(s);
}

int wgw_store_read_password(const char *path, char *pw, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	pw[0] = '\0';
	if (!f)
		return -errno;
	if (!fgets(pw, (int)len, f))
		pw[0] = '\0';
	fclose(f);
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	return n ? 0 : -EINVAL;
}

/* ---- control side ----------------------------------------------------------------- */

unsigned wgw_store_info(struct wgw_store *s, struct wgw_store_info *out, unsigned max)
{
	if (!s)
		return 0;
	for (unsigned i = 0; i < s->n_shards && i < max; i++) {
		struct store_shard *sh = &s->sh[i];

		snprintf(out[i].address, sizeof(out[i].address), "%s", sh->address);
		out[i].state = (enum wgw_store_state)atomic_load(&sh->state);
		out[i].since = (time_t)atomic_load(&sh->since);
		out[i].reconnects = atomic_load(&sh->reconnects);
		out[i].outstanding = atomic_load_explicit(&sh->outstanding, memory_order_relaxed);
	}
	return s->n_shards;
}

void wgw_store_get_stats(struct wgw_store *s, struct wgw_store_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!s)
		return;
	st->writes = wgw_cnt_get(&s->writes);
	st->write_errors = wgw_cnt_get(&s->write_errors);
	st->writes_deferred = wgw_cnt_get(&s->writes_deferred);
	st->lat_count = wgw_cnt_get(&s->lat_count);
	st->lat_sum_us = wgw_cnt_get(&s->lat_sum_us);
	st->lat_max_us = wgw_cnt_get(&s->lat_max_us);
	for (unsigned b = 0; b < WGW_STORE_LAT_BUCKETS; b++)
		st->lat_bucket[b] = wgw_cnt_get(&s->lat_bucket[b]);
	for (unsigned w = 0; w < s->n_ports; w++) {
		struct wgw_store_port *p = &s->ports[w];

		st->lookups += wgw_cnt_get(&p->lookups);
		st->hits += wgw_cnt_get(&p->hits);
		st->misses += wgw_cnt_get(&p->misses);
		st->timeouts += wgw_cnt_get(&p->timeouts);
		st->errors += wgw_cnt_get(&p->errors);
		st->hit_unusable += wgw_cnt_get(&p->hit_unusable);
		st->lookup_ratelimited += wgw_cnt_get(&p->ratelimited);
		st->lookup_down += wgw_cnt_get(&p->down);
		st->negative_hits += wgw_cnt_get(&p->negative_hits);
		st->queue_full += wgw_cnt_get(&p->queue_full) + wgw_cnt_get(&p->w_queue_full);
		st->queue_depth += wgw_cnt_get(&p->depth);
	}
}
