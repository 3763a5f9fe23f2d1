/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A worker: one thread pinned to one CPU, serving one queue index on each
 * interface (its ports), with its own buffer pool and engine handle.  The
 * loop receives a batch on each port, routes every packet through the
 * engine, fills in Ethernet addresses from the next-hop table, and sends
 * the batch on the egress port.  Nothing in the loop allocates, locks or
 * makes a syscall per packet.
 */
#ifndef WGW_WORKER_H
#define WGW_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/engine.h"
#include "gateway/pool.h"
#include "gateway/port.h"

struct wgw_engine;
struct wgw_engine_thread;
struct wgw_nh;
struct wgw_store;
struct wgw_store_port;

#define WGW_BATCH_MAX 256	/* packets per RX burst, upper bound of --batch */
#define WGW_WORKER_MAX_PORTS 4
#define WGW_HOLD_MAX 1024	/* packets waiting for a next hop, per worker */
#define WGW_HOLD_MS 500		/* longest wait for a next hop, milliseconds */
#define WGW_STORE_HOLD_MAX_W 256 /* = WGW_STORE_HOLD_MAX (store.h) */

/* Per-worker counters of what the loop itself decided (the engine and the
 * ports count the rest).  Single-writer relaxed atomics: the worker adds
 * with a plain load and store, the control thread reads them race-free
 * (wgw_worker_counters()). */
#define WGW_WORKER_COUNTERS(X)				\
	X(loops)					\
	X(idle_polls)					\
	X(rx_not_udp)	/* not parseable as UDP */	\
	X(forwarded)					\
	X(engine_drop)					\
	X(nh_held)	/* waited for a next hop */	\
	X(nh_hold_full)	/* dropped: hold queue full */	\
	X(nh_timeout)	/* dropped: next hop never resolved */ \
	X(nh_unreachable) /* dropped: no route */	\
	X(nh_wrong_if)	/* dropped: route leaves by another interface */ \
	X(nh_req_full)	/* resolution requests lost: ring full */ \
	X(no_egress)	/* dropped: no port for that side */ \
	X(tx_too_big)	/* dropped: over the egress MTU */ \
	X(vlan_stripped)				\
	X(rx_backpressure) /* RX skipped: egress TX ring full */ \
	X(port_errors)

#define WGW__WC_FIELD(n) _Atomic uint64_t n;
struct wgw_worker_stats {
	WGW_WORKER_COUNTERS(WGW__WC_FIELD)
};
#undef WGW__WC_FIELD

struct wgw_worker_cfg {
	unsigned id;
	int cpu;		/* -1: do not pin */
	unsigned batch;
	bool spin;		/* never sleep in poll() */
	union wgw_addr nat_addr; /* the engine's: on a one-interface gateway the
				  * engine tells the directions apart by it
				  * (WGW_DIR_ANY) */
};

/*
 * A request from the control thread, applied by the worker between two
 * batches (or at once by the caller when the worker is not running).
 * The payload lives in the worker, so a request whose wait timed out
 * stays valid until the worker gets to it.
 */
enum wgw_worker_req_kind {
	WGW_WORKER_REQ_NONE,
	WGW_WORKER_REQ_SET_MAC,		/* ports on ifindex get a new source MAC */
	WGW_WORKER_REQ_ADD_PORT,
	WGW_WORKER_REQ_REPLACE_PORT,	/* the first port of fresh's kind */
};

struct wgw_worker_req {
	enum wgw_worker_req_kind kind;
	int ifindex;
	uint8_t mac[6];
	struct wgw_port *port;		/* ADD_PORT, REPLACE_PORT: the new one */
	struct wgw_port *old;		/* REPLACE_PORT: the one taken out */
	int result;			/* 0 or -errno, set by whoever applied it */
};

struct wgw_held {
	struct wgw_buf b;
	union wgw_addr dst;
	uint32_t since_ms;
	uint8_t side;
};

/* A packet waiting for a session-store lookup (gateway/store.h).  b.data
 * NULL: a place the engine's current batch reserved, filled when the
 * batch's frames are dispatched, in order. */
struct wgw_store_held {
	struct wgw_buf b;
	uint64_t cid;
	struct wgw_port *in;
	uint32_t since_ms;
	uint8_t dir;		/* enum wgw_dir */
	bool first;		/* it asked; the others wait on its answer */
};

/*
 * Only worker.c reads or writes the fields; everyone else uses the
 * functions below.  The ports (the array, and every field a worker reads)
 * change only through requests, so no other thread writes what a running
 * worker reads.
 */
struct wgw_worker {
	struct wgw_worker_cfg cfg;
	struct wgw_engine *engine;
	struct wgw_nh *nh;
	struct wgw_engine_thread *et;
	struct wgw_port *ports[WGW_WORKER_MAX_PORTS];
	unsigned nports;
	struct wgw_port *egress_wan, *egress_lan;
	pthread_t thread;
	bool started;
	_Atomic bool stop;
	_Atomic int failed_port; /* index+1 of a port that failed, 0 if none */
	/* The request slot: req_posted != req_done while one is pending. */
	struct wgw_worker_req req;
	_Atomic unsigned req_posted, req_done;

	/* Hot state, touched only by the worker thread. */
	uint32_t now_s;		/* monotonic seconds */
	uint32_t now_ms;	/* monotonic milliseconds (wraps) */
	uint32_t nh_gen;	/* next-hop generation the hold queue last saw */
	unsigned ntx_wan, ntx_lan, nheld;
	unsigned rx_quiet;	/* ports (bit i: ports[i]) whose rx() is a
				 * system call and that were found empty */
	/* a loop queues at most: its bursts, the next-hop hold queue, and
	 * the store's hold queue released */
	struct wgw_buf tx_wan[WGW_BATCH_MAX * WGW_WORKER_MAX_PORTS + WGW_HOLD_MAX +
			     WGW_STORE_HOLD_MAX_W];
	struct wgw_buf tx_lan[WGW_BATCH_MAX * WGW_WORKER_MAX_PORTS + WGW_HOLD_MAX +
			     WGW_STORE_HOLD_MAX_W];
	struct wgw_held held[WGW_HOLD_MAX];
	struct wgw_worker_stats st;

	/* Session store (NULL: none; wgw_worker_set_store()). */
	struct wgw_store_port *store;
	uint32_t store_timeout_ms;
	struct wgw_engine_store_hooks store_hooks;
	bool store_rerouting;	/* routing held packets again: no lookups */
	unsigned snheld, sfill;	/* held, and the next place to fill */
	struct wgw_store_held sheld[WGW_STORE_HOLD_MAX_W];
};

/* Settings, engine and next-hop table, before the first start. */
void wgw_worker_init(struct wgw_worker *w, const struct wgw_worker_cfg *cfg,
		     struct wgw_engine *engine, struct wgw_nh *nh);

/*
 * Requests, from the control thread only.  A running worker applies them
 * between batches while the caller waits (WGW_WORKER_REQ_MS at most: a
 * sleeping worker wakes every 100 ms); a stopped one has them applied at
 * once.  0, or -errno: -ETIMEDOUT when the worker did not answer in time
 * (the request stays posted and is applied when it does; no new request
 * is taken before that, -EBUSY).
 */
#define WGW_WORKER_REQ_MS 2000	/* longest wait for a worker, milliseconds */
/* Add a port (the buffer pool set up).  The worker owns it from then on;
 * on failure the caller still does. */
int wgw_worker_add_port(struct wgw_worker *w, struct wgw_port *port);
/* Put fresh in the place of the first port of the same kind (ops); *old
 * gets the port taken out, which the caller then owns.  -ENOENT: none. */
int wgw_worker_replace_port(struct wgw_worker *w, struct wgw_port *fresh,
			    struct wgw_port **old);
/* The ports on ifindex send with a new source MAC address. */
int wgw_worker_set_port_mac(struct wgw_worker *w, int ifindex, const uint8_t mac[6]);
/* Call fn for every port, in the worker's order (control thread only:
 * only it changes the ports, through the requests above). */
void wgw_worker_visit_ports(const struct wgw_worker *w,
			    void (*fn)(struct wgw_port *port, void *arg), void *arg);

/* Share bindings through the session store s (before the first start;
 * NULL: none). */
void wgw_worker_set_store(struct wgw_worker *w, struct wgw_store *s);

int wgw_worker_start(struct wgw_worker *w);
/* Ask to stop and join.  Safe to call on a worker that never started. */
void wgw_worker_stop(struct wgw_worker *w);
/* Free the ports and the pool (after stop). */
void wgw_worker_destroy(struct wgw_worker *w);

/* The CPU it is pinned to, -1: none. */
int wgw_worker_cpu(const struct wgw_worker *w);
/* Started, and no port failed. */
bool wgw_worker_running(const struct wgw_worker *w);
/* The worker thread gave up (it could not attach to the engine). */
bool wgw_worker_dead(const struct wgw_worker *w);
/* The port that failed first, NULL if none (control thread only). */
struct wgw_port *wgw_worker_failed_port(const struct wgw_worker *w);

const char *wgw_worker_counter_name(unsigned idx);
unsigned wgw_worker_counter_count(void);
void wgw_worker_counters(const struct wgw_worker *w, uint64_t *out);

#endif
