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
#include "gateway/pool.h"
#include "gateway/port.h"

struct wgw_engine;
struct wgw_engine_thread;
struct wgw_nh;
struct wgw_xsk_umem;

#define WGW_BATCH_MAX 256	/* packets per RX burst, upper bound of --batch */
#define WGW_WORKER_MAX_PORTS 4
#define WGW_HOLD_MAX 1024	/* packets waiting for a next hop, per worker */
#define WGW_HOLD_MS 500		/* longest wait for a next hop, milliseconds */

/* Per-worker counters of what the loop itself decided (the engine and the
 * ports count the rest).  Written by the worker only; read racily by the
 * control thread, which is fine for 64-bit counters on the platforms we
 * support. */
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

#define WGW__WC_FIELD(n) uint64_t n;
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

struct wgw_held {
	struct wgw_buf b;
	union wgw_addr dst;
	uint32_t since_ms;
	uint8_t side;
};

struct wgw_worker {
	struct wgw_worker_cfg cfg;
	struct wgw_engine *engine;
	struct wgw_nh *nh;
	struct wgw_engine_thread *et;
	struct wgw_pool pools[2];	/* [1] used when the sides cannot share a UMEM */
	struct wgw_xsk_umem *umems[2];	/* the pools registered for AF_XDP */
	struct wgw_port *ports[WGW_WORKER_MAX_PORTS];
	unsigned nports;
	struct wgw_port *egress_wan, *egress_lan;
	pthread_t thread;
	bool started;
	_Atomic bool stop;
	_Atomic int failed_port; /* index+1 of a port that failed, 0 if none */

	/* Hot state, touched only by the worker thread. */
	uint32_t now_s;		/* monotonic seconds */
	uint32_t now_ms;	/* monotonic milliseconds (wraps) */
	uint32_t nh_gen;	/* next-hop generation the hold queue last saw */
	unsigned ntx_wan, ntx_lan, nheld;
	unsigned rx_quiet;	/* ports (bit i: ports[i]) whose rx() is a
				 * system call and that were found empty */
	struct wgw_buf tx_wan[WGW_BATCH_MAX * WGW_WORKER_MAX_PORTS + WGW_HOLD_MAX];
	struct wgw_buf tx_lan[WGW_BATCH_MAX * WGW_WORKER_MAX_PORTS + WGW_HOLD_MAX];
	struct wgw_held held[WGW_HOLD_MAX];
	struct wgw_worker_stats st;
};

/* Add a port (after the pool is set up, before start).  The worker owns it
 * from then on. */
int wgw_worker_add_port(struct wgw_worker *w, struct wgw_port *port);
int wgw_worker_start(struct wgw_worker *w);
/* Ask to stop and join.  Safe to call on a worker that never started. */
void wgw_worker_stop(struct wgw_worker *w);
/* Free the ports and the pool (after stop). */
void wgw_worker_destroy(struct wgw_worker *w);

const char *wgw_worker_counter_name(unsigned idx);
unsigned wgw_worker_counter_count(void);
void wgw_worker_counters(const struct wgw_worker *w, uint64_t *out);

#endif
