/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The session store: CID bindings shared with the other gateways behind
 * the same ECMP route through Redis (--session-store redis://HOST:PORT,
 * repeatable: the stores shard the keys by a fixed hash of the CID, so
 * every gateway must list the same stores in the same order).
 *
 * Keys and values (wraith-gateway.conf(5), SESSION STORE):
 *   wgw:cid:<16 hex digits>  ->  "<backend address>:<port>" ("[v6]:port")
 * with a TTL of the CID idle timeout (SET ... PX), written when a CID is
 * learned and again, while the CID is active, at most every quarter of
 * that timeout.  The value is the backend's address, not its slot: two
 * gateways may number their backends differently.
 *
 * Threads
 *  - One store thread ("wgw-store"), started only when a store is
 *    configured, owns the Redis connections (hiredis's async API driven by
 *    its own poll() loop: one thread, many pipelined commands, no blocking
 *    call but the name resolution of a host name at connect).
 *  - Each worker owns one struct wgw_store_port: a ring of binding events
 *    and a ring of lookup requests towards the store thread, a ring of
 *    answers back, a negative cache and a lookup token bucket.  The worker
 *    never blocks and never waits for the store: a full ring drops and
 *    counts, an unanswered lookup times out in the worker itself, a store
 *    that is down is not asked at all.
 */
#ifndef WGW_STORE_H
#define WGW_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "gateway/addr.h"

struct wgw_engine;
struct wgw_store_ep;

#define WGW_STORE_WRITE_RING 4096	/* binding events per worker */
#define WGW_STORE_LOOKUP_RING 256	/* lookup requests per worker */
#define WGW_STORE_HOLD_MAX 256		/* packets waiting for a lookup, per worker */
#define WGW_STORE_NEG_SLOTS 4096	/* negative cache entries per worker */
#define WGW_STORE_NEG_MS 2000		/* a miss is remembered this long, ms */
#define WGW_STORE_BACKOFF_MIN_MS 100	/* reconnect: first wait, doubling ... */
#define WGW_STORE_BACKOFF_MAX_MS 5000	/* ... up to this, milliseconds */
#define WGW_STORE_CONNECT_MS 1000	/* longest connect (TCP + AUTH), ms */
#define WGW_STORE_STALL_MIN_MS 1000	/* no reply for max(this, 20 x timeout)
					 * with commands outstanding: down */
#define WGW_STORE_INFLIGHT 65536	/* commands outstanding per store */
#define WGW_STORE_LAT_BUCKETS 12	/* lookup latency histogram */
#define WGW_STORE_ADDR_LEN 280		/* "redis://HOST:PORT" */

enum wgw_store_state {
	WGW_STORE_DISABLED = 0,		/* no store configured */
	WGW_STORE_CONNECTING,
	WGW_STORE_CONNECTED,
	WGW_STORE_DOWN,			/* waiting to reconnect */
};
const char *wgw_store_state_name(enum wgw_store_state s);

/* Upper bounds (microseconds) of the latency buckets; the last is +Inf. */
extern const uint32_t wgw_store_lat_bounds_us[WGW_STORE_LAT_BUCKETS - 1];

struct wgw_store_cfg {
	const struct wgw_store_ep *eps;	/* options.h */
	unsigned n_eps;			/* 1..WGW_MAX_STORES */
	const char *password;		/* AUTH; NULL or "": none */
	uint32_t timeout_ms;		/* a lookup's answer */
	uint32_t lookup_rate;		/* lookups per second per worker */
	unsigned n_workers;
	struct wgw_engine *engine;	/* the refresh walk, the TTL */
};

/* NULL and errno (EINVAL, ENOMEM). */
struct wgw_store *wgw_store_create(const struct wgw_store_cfg *cfg);
/* The first line of file path (without its end of line) into pw: the
 * AUTH password.  0, -EINVAL (the line is empty) or -errno of opening. */
int wgw_store_read_password(const char *path, char *pw, size_t len);
/* The store thread.  0 or -errno. */
int wgw_store_start(struct wgw_store *s);
/* Stop and join the thread (safe if never started); then destroy. */
void wgw_store_stop(struct wgw_store *s);
void wgw_store_destroy(struct wgw_store *s);

/* ---- worker side (the worker thread of that index only) ------------------- */

struct wgw_store_port;
struct wgw_store_port *wgw_store_port(struct wgw_store *s, unsigned worker);

/* A CID was bound here to backend a:port: queue its SET (dropped and
 * counted when the ring is full or every store is down). */
void wgw_store_learned(struct wgw_store_port *p, uint64_t cid, const union wgw_addr *a,
		       uint16_t port);

enum wgw_store_ask {
	WGW_STORE_ASKED = 0,		/* a lookup was posted: hold the packet */
	WGW_STORE_SKIP_DOWN,		/* the CID's store is not connected */
	WGW_STORE_SKIP_NEGATIVE,	/* a recent miss */
	WGW_STORE_SKIP_RATE,		/* over the worker's lookup rate */
	WGW_STORE_SKIP_FULL,		/* the request ring is full */
};
/* Ask the store about cid (now_ms: the worker's millisecond clock); each
 * outcome is counted. */
enum wgw_store_ask wgw_store_ask(struct wgw_store_port *p, uint64_t cid, uint32_t now_ms);

enum wgw_store_result {
	WGW_STORE_HIT = 0,		/* addr, port: where the session is */
	WGW_STORE_MISS,
	WGW_STORE_ERROR,		/* error reply, lost connection, bad value */
	WGW_STORE_TIMEOUT,		/* the worker gave up waiting (worker only) */
};

struct wgw_store_answer {
	uint64_t cid;
	uint8_t result;			/* enum wgw_store_result */
	uint16_t port;
	union wgw_addr addr;
};
/* The next answer for this worker; false when none. */
bool wgw_store_answer_pop(struct wgw_store_port *p, struct wgw_store_answer *a);
/* What the worker made of a lookup (counts it; a miss or a timeout goes
 * into the negative cache).  hit_unusable: the answer named a backend
 * that is not configured here, or down (counted as a hit). */
void wgw_store_lookup_done(struct wgw_store_port *p, uint64_t cid, enum wgw_store_result r,
			   uint32_t now_ms);
/* A hit named a backend that is not configured or not up here: counted
 * (the packet goes by rule 1). */
void wgw_store_hit_unusable(struct wgw_store_port *p);
/* A packet could not be held (hold queue full): counted. */
void wgw_store_queue_full(struct wgw_store_port *p);
/* The worker's hold queue depth now (a gauge). */
void wgw_store_set_depth(struct wgw_store_port *p, unsigned depth);
/* After a batch: wake the store thread if this worker queued anything and
 * it sleeps (one eventfd write at most, only when it sleeps). */
void wgw_store_kick(struct wgw_store_port *p);
uint32_t wgw_store_timeout_ms(const struct wgw_store *s);

/* ---- control side ----------------------------------------------------------- */

struct wgw_store_info {
	char address[WGW_STORE_ADDR_LEN];	/* "redis://HOST:PORT" */
	enum wgw_store_state state;
	time_t since;			/* wall clock of the last transition */
	uint64_t reconnects;		/* connections made after the first */
	uint64_t outstanding;		/* commands awaiting a reply */
};
/* Up to max stores; returns how many there are. */
unsigned wgw_store_info(struct wgw_store *s, struct wgw_store_info *out, unsigned max);

struct wgw_store_stats {
	uint64_t writes;		/* SETs acknowledged */
	uint64_t write_errors;		/* SETs refused or lost with the connection */
	uint64_t writes_deferred;	/* not sent: not connected; written by the
					 * walk that follows the connection */
	uint64_t lookups;		/* GETs asked */
	uint64_t hits, misses, timeouts, errors;
	uint64_t hit_unusable;		/* hits naming a backend not configured here, or down */
	uint64_t lookup_ratelimited;	/* not asked: over the rate */
	uint64_t lookup_down;		/* not asked: the store was not connected */
	uint64_t negative_hits;		/* not asked: a recent miss */
	uint64_t queue_full;		/* events or packets dropped: ring or hold full */
	uint64_t queue_depth;		/* packets held now, all workers */
	uint64_t lat_count, lat_sum_us, lat_max_us;
	uint64_t lat_bucket[WGW_STORE_LAT_BUCKETS]; /* per bucket, not cumulative */
};
void wgw_store_get_stats(struct wgw_store *s, struct wgw_store_stats *st);

/* The store key of cid into buf (>= 32 bytes). */
const char *wgw_store_key(uint64_t cid, char *buf, size_t len);
/* The store (index < n) that holds cid: a fixed hash, the same on every
 * gateway. */
unsigned wgw_store_shard(uint64_t cid, unsigned n);

#endif
