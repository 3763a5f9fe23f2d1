// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/capture.h"
#include "gateway/engine.h"
#include "gateway/log.h"
#include "gateway/nexthop.h"
#include "gateway/packet.h"
#include "gateway/store.h"
#include "gateway/worker.h"

_Static_assert(WGW_STORE_HOLD_MAX_W == WGW_STORE_HOLD_MAX, "one size for the store hold queue");

#define WORKER_POLL_MS 100	  /* longest sleep when idle, milliseconds */
#define WORKER_IDLE_LOOPS 4	  /* empty loops before sleeping in poll() */
/* A port found empty whose rx() is a system call is read again when poll()
 * says so, or on every loop that is a multiple of this (a busy worker that
 * never sleeps still serves it, every few thousand packets at most). */
#define WORKER_RESCAN_LOOPS 64
_Static_assert(WGW_WORKER_MAX_PORTS <= 32, "rx_quiet is a bit per port");

#define WGW__WC_NAME(n) #n,
static const char *const worker_counter_names[] = {
	WGW_WORKER_COUNTERS(WGW__WC_NAME)
};
#undef WGW__WC_NAME

const char *wgw_worker_counter_name(unsigned idx)
{
	return idx < wgw_worker_counter_count() ? worker_counter_names[idx] : NULL;
}

unsigned wgw_worker_counter_count(void)
{
	return sizeof(worker_counter_names) / sizeof(worker_counter_names[0]);
}

void wgw_worker_counters(const struct wgw_worker *w, uint64_t *out)
{
	unsigned k = 0;

#define WGW__WC_READ(n) out[k++] = atomic_load_explicit(&w->st.n, memory_order_relaxed);
	WGW_WORKER_COUNTERS(WGW__WC_READ)
#undef WGW__WC_READ
}

/* Single-writer counters (the worker's own): a plain add, readable by the
 * control thread. */
static inline void wc_inc(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

void wgw_worker_init(struct wgw_worker *w, const struct wgw_worker_cfg *cfg,
		     struct wgw_engine *engine, struct wgw_nh *nh)
{
	w->cfg = *cfg;
	w->engine = engine;
	w->nh = nh;
}

int wgw_worker_cpu(const struct wgw_worker *w)
{
	return w->cfg.cpu;
}

bool wgw_worker_running(const struct wgw_worker *w)
{
	return w->started && !atomic_load(&w->failed_port);
}

bool wgw_worker_dead(const struct wgw_worker *w)
{
	return atomic_load(&w->failed_port) < 0;
}

struct wgw_port *wgw_worker_failed_port(const struct wgw_worker *w)
{
	int fp = atomic_load(&w->failed_port);

	return fp > 0 && (unsigned)fp <= w->nports ? w->ports[fp - 1] : NULL;
}

void wgw_worker_visit_ports(const struct wgw_worker *w,
			    void (*fn)(struct wgw_port *port, void *arg), void *arg)
{
	for (unsigned i = 0; i < w->nports; i++)
		fn(w->ports[i], arg);
}

/* The egress of each side is the first port for it. */
static void worker_pick_egress(struct wgw_worker *w)
{
	w->egress_wan = w->egress_lan = NULL;
	for (unsigned i = 0; i < w->nports; i++) {
		struct wgw_port *port = w->ports[i];

		if ((port->sides & WGW_SIDE_WAN) && !w->egress_wan)
			w->egress_wan = port;
		if ((port->sides & WGW_SIDE_LAN) && !w->egress_lan)
			w->egress_lan = port;
	}
}

/* Apply a request: the worker between batches (nothing is queued for TX
 * then), or the control thread while the worker is stopped. */
static void worker_apply(struct wgw_worker *w, struct wgw_worker_req *r)
{
	r->result = 0;
	switch (r->kind) {
	case WGW_WORKER_REQ_SET_MAC:
		for (unsigned i = 0; i < w->nports; i++)
			if (w->ports[i]->ifindex == r->ifindex)
				memcpy(w->ports[i]->mac, r->mac, 6);
		break;
	case WGW_WORKER_REQ_ADD_PORT:
		if (w->nports == WGW_WORKER_MAX_PORTS) {
			r->result = -ENOSPC;
			break;
		}
		w->ports[w->nports++] = r->port;
		worker_pick_egress(w);
		break;
	case WGW_WORKER_REQ_REPLACE_PORT:
		r->result = -ENOENT;
		for (unsigned i = 0; i < w->nports; i++) {
			if (w->ports[i]->ops != r->port->ops)
				continue;
			r->old = w->ports[i];
			w->ports[i] = r->port;
			for (unsigned k = 0; k < w->snheld; k++)
				if (w->sheld[k].in == r->old)
					w->sheld[k].in = r->port;
			w->rx_quiet &= ~(1u << i);
			worker_pick_egress(w);
			r->result = 0;
			break;
		}
		break;
	default:
		r->result = -EINVAL;
		break;
	}
}

static void worker_apply_posted(struct wgw_worker *w)
{
	worker_apply(w, &w->req);
	atomic_store_explicit(&w->req_done,
			      atomic_load_explicit(&w->req_posted, memory_order_relaxed),
			      memory_order_release);
}

static bool worker_req_pending(const struct wgw_worker *w)
{
	return atomic_load_explicit(&w->req_posted, memory_order_relaxed) !=
	       atomic_load_explicit(&w->req_done, memory_order_acquire);
}

/* Wait for the worker to apply the pending request, WGW_WORKER_REQ_MS at
 * most. */
static int worker_req_wait(const struct wgw_worker *w)
{
	const struct timespec tick = { .tv_nsec = 100 * 1000 };	/* 100 us */

	for (unsigned i = 0; i < WGW_WORKER_REQ_MS * 10; i++) {
		if (!worker_req_pending(w))
			return 0;
		nanosleep(&tick, NULL);
	}
	return worker_req_pending(w) ? -ETIMEDOUT : 0;
}

/* Apply r now (worker stopped) or post it and wait; r gets the result. */
static int worker_request(struct wgw_worker *w, struct wgw_worker_req *r)
{
	int err;

	if (worker_req_pending(w) && worker_req_wait(w))
		return -EBUSY;
	if (!w->started) {
		worker_apply(w, r);
		return r->result;
	}
	w->req = *r;
	atomic_store_explicit(&w->req_posted,
			      atomic_load_explicit(&w->req_posted, memory_order_relaxed) + 1,
			      memory_order_release);
	err = worker_req_wait(w);
	if (err)
		return err;
	*r = w->req;
	return r->result;
}

int wgw_worker_add_port(struct wgw_worker *w, struct wgw_port *port)
{
	struct wgw_worker_req r = { .kind = WGW_WORKER_REQ_ADD_PORT, .port = port };

	return worker_request(w, &r);
}

int wgw_worker_replace_port(struct wgw_worker *w, struct wgw_port *fresh,
			    struct wgw_port **old)
{
	struct wgw_worker_req r = { .kind = WGW_WORKER_REQ_REPLACE_PORT, .port = fresh };
	int err = worker_request(w, &r);

	*old = err ? NULL : r.old;
	return err;
}

int wgw_worker_set_port_mac(struct wgw_worker *w, int ifindex, const uint8_t mac[6])
{
	struct wgw_worker_req r = { .kind = WGW_WORKER_REQ_SET_MAC, .ifindex = ifindex };

	memcpy(r.mac, mac, 6);
	return worker_request(w, &r);
}

static void worker_clock(struct wgw_worker *w)
{
	struct timespec ts;

	/* vDSO: no syscall. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	w->now_s = (uint32_t)ts.tv_sec;
	w->now_ms = (uint32_t)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static inline void worker_drop(struct wgw_worker *w, const struct wgw_buf *b)
{
	(void)w;
	wgw_buf_free(b);
}

/* An 802.1Q / 802.1ad tagged frame (at least 14 bytes). */
static inline bool frame_tagged(const uint8_t *data)
{
	uint16_t etype = (uint16_t)(data[12] << 8 | data[13]);

	return etype == 0x8100 || etype == 0x88a8;
}

/* The frame leaves by another interface than it came in on: its 802.1Q tag
 * belonged to the ingress link.  The frame start moves up 4 bytes, which
 * the TX ring takes as it is (any offset inside its UMEM frame).  The
 * engine routed it without a struct wgw_pkt: the (rewritten, still valid)
 * frame is parsed again here, on this rare path only. */
static void worker_strip_vlan(struct wgw_worker *w, struct wgw_buf *b)
{
	struct wgw_pkt p;

	if (wgw_pkt_parse(&p, b->data, b->len) != WGW_PKT_UDP)
		return;
	wgw_pkt_vlan_pop(&p);
	b->addr += (uint64_t)(p.data - b->data);
	b->data = p.data;
	b->len = p.len;
	wc_inc(&w->st.vlan_stripped);
}

static inline void worker_queue_tx(struct wgw_worker *w, unsigned side,
				   const struct wgw_buf *b)
{
	if (side == WGW_SIDE_LAN)
		w->tx_lan[w->ntx_lan++] = *b;
	else
		w->tx_wan[w->ntx_wan++] = *b;
}

static bool worker_held_for(const struct wgw_worker *w, const union wgw_addr *dst)
{
	for (unsigned i = 0; i < w->nheld; i++)
		if (wgw_addr_eq(&w->held[i].dst, dst))
			return true;
	return false;
}

/*
 * Fill in the Ethernet addresses for a frame leaving by an AF_XDP port.
 * Returns 1 when the frame may be sent, 0 when it was held, or minus its
 * fate (enum wgw_capture_fate) when it was dropped.
 */
static int worker_l2(struct wgw_worker *w, struct wgw_port *out, unsigned side,
		     struct wgw_buf *b, const union wgw_addr *dst, bool from_hold)
{
	struct wgw_nh_table *t = wgw_nh_table(w->nh);
	struct wgw_nh_slot *s = wgw_nh_lookup(t, dst);
	uint64_t v;
	uint8_t mac[6];
	int fate;

	if (!s) {
		/* One request per destination: packets already held for it
		 * asked (a scan of the hold queue, on the miss path only). */
		if (!from_hold && !worker_held_for(w, dst) &&
		    !wgw_nh_request(w->nh, w->cfg.id, dst))
			wc_inc(&w->st.nh_req_full);
		goto hold;
	}
	v = atomic_load_explicit(&s->val, memory_order_acquire);
	switch (wgw_nh_val_state(v)) {
	case WGW_NH_RESOLVED:
		if (s->ifindex != out->ifindex) {
			wc_inc(&w->st.nh_wrong_if);
			fate = WGW_FATE_NH_WRONG_IF;
			goto drop;
		}
		if (atomic_load_explicit(&s->last_used, memory_order_relaxed) != w->now_s)
			atomic_store_explicit(&s->last_used, w->now_s, memory_order_relaxed);
		wgw_nh_val_mac(v, mac);
		memcpy(b->data, mac, 6);
		memcpy(b->data + 6, out->mac, 6);
		return 1;
	case WGW_NH_PENDING:
		goto hold;
	default:
		wc_inc(&w->st.nh_unreachable);
		fate = WGW_FATE_NH_UNREACHABLE;
		goto drop;
	}
hold:
	if (from_hold)
		return 0;
	if (w->nheld == WGW_HOLD_MAX) {
		wc_inc(&w->st.nh_hold_full);
		fate = WGW_FATE_NH_HOLD_FULL;
		goto drop;
	}
	w->held[w->nheld++] = (struct wgw_held){
		.b = *b, .dst = *dst, .since_ms = w->now_ms, .side = (uint8_t)side,
	};
	wc_inc(&w->st.nh_held);
	return 0;
drop:
	if (!from_hold)
		worker_drop(w, b);
	return -fate;
}

static inline uint32_t worker_room(struct wgw_port *out)
{
	return out && out->ops->tx_room ? out->ops->tx_room(out) : UINT32_MAX;
}

/*
 * Read no more from a port than the egress ports can send: a WAN port's
 * packets go to the LAN (and the other way round; a port for both sides
 * may send either way).  Frames already queued for TX this loop count.
 */
static unsigned worker_rx_budget(struct wgw_worker *w, const struct wgw_port *in)
{
	uint32_t room = UINT32_MAX;

	if (in->sides & WGW_SIDE_WAN) {
		uint32_t r = worker_room(w->egress_lan);

		room = r > w->ntx_lan ? r - w->ntx_lan : 0;
	}
	if (in->sides & WGW_SIDE_LAN) {
		uint32_t r = worker_room(w->egress_wan);

		r = r > w->ntx_wan ? r - w->ntx_wan : 0;
		room = r < room ? r : room;
	}
	return room < w->cfg.batch ? room : w->cfg.batch;
}

/*
 * Larger than the egress interface's MTU (port.h): the kernel or the NIC
 * would drop it without a counter of ours (AF_XDP), or the kernel would
 * send it on or refuse it out of our sight (TUN), so it stops here.
 */
static inline bool worker_too_big(struct wgw_port *out, const struct wgw_buf *b)
{
	uint32_t mtu = atomic_load_explicit(&out->mtu, memory_order_relaxed);

	return mtu && b->len > mtu + (frame_tagged(b->data) ? 18u : 14u);
}

/* A frame the engine routed (f: its verdict and route); queue it for TX,
 * hold it, or drop it.  Returns what became of it, and (outp not NULL)
 * the port it leaves by: for a capture. */
static inline enum wgw_capture_fate
worker_dispatch(struct wgw_worker *w, struct wgw_port *in, struct wgw_buf *b,
		const struct wgw_frame *f, struct wgw_port **outp)
{
	struct wgw_port *out;
	unsigned side;
	int rc;

	if (f->verdict == WGW_TO_LAN) {
		side = WGW_SIDE_LAN;
		out = w->egress_lan;
	} else if (f->verdict == WGW_TO_WAN) {
		side = WGW_SIDE_WAN;
		out = w->egress_wan;
	} else if (f->verdict == WGW_HOLD) {
		/* its place was reserved by worker_store_lookup(), in order */
		struct wgw_store_held *h = &w->sheld[w->sfill++];

		h->b = *b;
		h->in = in;
		h->dir = in->sides == WGW_SIDE_WAN ? WGW_DIR_CLIENT :
			 in->sides == WGW_SIDE_LAN ? WGW_DIR_BACKEND : WGW_DIR_ANY;
		return WGW_FATE_HELD;
	} else {
		/* not a UDP packet: not the engine's (wgw_engine_route_frame()) */
		if (f->route.reason == WGW_DROP_NOT_UDP)
			wc_inc(&w->st.rx_not_udp);
		else
			wc_inc(&w->st.engine_drop);
		worker_drop(w, b);
		return WGW_FATE_DROP_ENGINE;
	}
	if (outp)
		*outp = out;
	if (!out) {
		wc_inc(&w->st.no_egress);
		worker_drop(w, b);
		return WGW_FATE_NO_EGRESS;
	}
	if (out != in && frame_tagged(b->data))
		worker_strip_vlan(w, b);
	if (worker_too_big(out, b)) {
		wc_inc(&w->st.tx_too_big);
		worker_drop(w, b);
		return WGW_FATE_TOO_BIG;
	}
	if (out->needs_l2) {
		rc = worker_l2(w, out, side, b, &f->route.nexthop, false);
		if (rc <= 0)
			return rc ? (enum wgw_capture_fate)-rc : WGW_FATE_HELD;
	}
	worker_queue_tx(w, side, b);
	wc_inc(&w->st.forwarded);
	return WGW_FATE_SENT;
}

/* Retry held frames when the next-hop table changed, drop the old ones. */
static void worker_retry_held(struct wgw_worker *w)
{
	uint32_t gen = atomic_load_explicit(&w->nh->generation, memory_order_acquire);
	bool changed = gen != w->nh_gen;
	unsigned i, keep = 0;

	w->nh_gen = gen;
	for (i = 0; i < w->nheld; i++) {
		struct wgw_held *h = &w->held[i];
		struct wgw_port *out = h->side == WGW_SIDE_LAN ? w->egress_lan : w->egress_wan;
		int rc = 0;

		if (changed)
			rc = worker_l2(w, out, h->side, &h->b, &h->dst, true);
		if (rc > 0) {
			worker_queue_tx(w, h->side, &h->b);
			wc_inc(&w->st.forwarded);
			continue;
		}
		if (rc < 0 || (uint32_t)(w->now_ms - h->since_ms) > WGW_HOLD_MS) {
			if (rc == 0)
				wc_inc(&w->st.nh_timeout);
			worker_drop(w, &h->b);
			continue;
		}
		w->held[keep++] = *h;
	}
	w->nheld = keep;
}

/* ---- session store (gateway/store.h) ---- */

/* The engine's hooks (engine.h, wgw_engine_store_hooks): from inside
 * wgw_engine_route_batch() and wgw_engine_route_frame(). */
static void worker_store_learned(void *arg, uint64_t cid, const union wgw_addr *backend,
				 uint16_t port)
{
	struct wgw_worker *w = arg;

	wgw_store_learned(w->store, cid, backend, port);
}

static bool worker_store_lookup(void *arg, uint64_t cid)
{
	struct wgw_worker *w = arg;
	bool first = true;

	if (w->store_rerouting)
		return false;
	if (w->snheld == WGW_STORE_HOLD_MAX) {
		wgw_store_queue_full(w->store);
		return false;
	}
	/* a lookup for it already out: wait for the same answer (a scan of
	 * at most the hold queue, on this path only) */
	for (unsigned i = 0; i < w->snheld; i++)
		if (w->sheld[i].cid == cid) {
			first = false;
			break;
		}
	if (first && wgw_store_ask(w->store, cid, w->now_ms) != WGW_STORE_ASKED)
		return false;
	w->sheld[w->snheld++] = (struct wgw_store_held){
		.cid = cid, .since_ms = w->now_ms, .first = first,
	};
	return true;
}

/* The client address of a held packet (quota of a CID bound from the
 * store). */
static bool held_client(const struct wgw_store_held *h, union wgw_addr *src)
{
	struct wgw_pkt p;

	if (wgw_pkt_parse(&p, h->b.data, h->b.len) != WGW_PKT_UDP)
		return false;
	wgw_pkt_get_saddr(&p, src);
	return true;
}

/* Route a held packet again, now without a lookup. */
static void worker_store_release(struct wgw_worker *w, struct wgw_store_held *h)
{
	struct wgw_frame f = { .data = h->b.data, .len = h->b.len };

	w->store_rerouting = true;
	f.verdict = (uint8_t)wgw_engine_route_frame(w->et, (enum wgw_dir)h->dir, f.data, f.len,
						    w->now_s, &f.route);
	w->store_rerouting = false;
	worker_dispatch(w, h->in, &h->b, &f, NULL);
}

/* Release every held packet of cid (after its answer or timeout). */
static void worker_store_release_cid(struct wgw_worker *w, uint64_t cid)
{
	for (unsigned i = 0; i < w->snheld; i++)
		if (w->sheld[i].cid == cid && w->sheld[i].b.data) {
			worker_store_release(w, &w->sheld[i]);
			w->sheld[i].b.data = NULL;
			w->sheld[i].cid = 0;	/* CID 0 never reaches the store */
		}
}

/*
 * Answers in, timeouts out: a hit binds the CID to its backend here (rule
 * 2 then routes the packets), a miss, an error or no answer within
 * --session-store-timeout leaves them to rule 1.  Answers for packets
 * already gone (timed out) are dropped.
 */
static void worker_store_service(struct wgw_worker *w)
{
	struct wgw_store_answer a;
	unsigned keep = 0;

	while (wgw_store_answer_pop(w->store, &a)) {
		struct wgw_store_held *h = NULL;

		for (unsigned i = 0; i < w->snheld && !h; i++)
			if (w->sheld[i].cid == a.cid && w->sheld[i].first)
				h = &w->sheld[i];
		if (!h)
			continue;
		if (a.result == WGW_STORE_HIT) {
			union wgw_addr src;
			int err = held_client(h, &src) ?
					  wgw_engine_cid_bind(w->et, a.cid, &a.addr, a.port, &src,
							      w->now_s) : -EINVAL;

			if (err == -ENOENT)
				wgw_store_hit_unusable(w->store);
		}
		wgw_store_lookup_done(w->store, a.cid, (enum wgw_store_result)a.result, w->now_ms);
		worker_store_release_cid(w, a.cid);
	}
	for (unsigned i = 0; i < w->snheld; i++) {
		struct wgw_store_held *h = &w->sheld[i];

		if (h->b.data && h->first &&
		    (uint32_t)(w->now_ms - h->since_ms) >= w->store_timeout_ms) {
			wgw_store_lookup_done(w->store, h->cid, WGW_STORE_TIMEOUT, w->now_ms);
			worker_store_release_cid(w, h->cid);
		}
	}
	for (unsigned i = 0; i < w->snheld; i++)
		if (w->sheld[i].b.data)
			w->sheld[keep++] = w->sheld[i];
	w->snheld = w->sfill = keep;
	wgw_store_set_depth(w->store, keep);
}

void wgw_worker_set_store(struct wgw_worker *w, struct wgw_store *s)
{
	w->store = wgw_store_port(s, w->cfg.id);
	w->store_timeout_ms = s ? wgw_store_timeout_ms(s) : 0;
	w->store_hooks = (struct wgw_engine_store_hooks){
		.learned = worker_store_learned, .lookup = worker_store_lookup, .arg = w,
	};
}

static void worker_flush(struct wgw_worker *w)
{
	if (w->ntx_lan) {
		w->egress_lan->ops->tx(w->egress_lan, w->tx_lan, w->ntx_lan);
		w->ntx_lan = 0;
	}
	if (w->ntx_wan) {
		w->egress_wan->ops->tx(w->egress_wan, w->tx_wan, w->ntx_wan);
		w->ntx_wan = 0;
	}
}

static void worker_port_failed(struct wgw_worker *w, unsigned i, int err)
{
	struct wgw_port *p = w->ports[i];

	wc_inc(&w->st.port_errors);
	if (atomic_load(&w->failed_port))
		return;
	atomic_store(&w->failed_port, (int)i + 1);
	wgw_log_ratelimited(LOG_ERR, "worker %u: %s port on %s queue %u failed: %s",
			    w->cfg.id, p->ops->kind, p->ifname, p->queue,
			    strerror(-err));
}

/* Sleep until a port has input or WORKER_POLL_MS passes.  poll() on an
 * AF_XDP socket is also what wakes the kernel for need_wakeup rings. */
static void worker_sleep(struct wgw_worker *w)
{
	struct pollfd fds[WGW_WORKER_MAX_PORTS];
	unsigned i, n = 0, port[WGW_WORKER_MAX_PORTS];

	for (i = 0; i < w->nports; i++) {
		int fd = w->ports[i]->ops->poll_fd(w->ports[i]);

		if (fd >= 0) {
			port[n] = i;
			fds[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
	}
	wc_inc(&w->st.idle_polls);
	wgw_engine_thread_offline(w->et);
	wgw_nh_offline(w->nh, w->cfg.id);
	if (poll(fds, n, w->nheld || w->snheld ? 1 : WORKER_POLL_MS) > 0) {
		for (i = 0; i < n; i++)
			if (fds[i].revents)	/* POLLIN, or an error rx() reports */
				w->rx_quiet &= ~(1u << port[i]);
	}
	wgw_nh_online(w->nh, w->cfg.id);
	wgw_engine_thread_online(w->et);
}

/*
 * Route a received burst: the frames into the engine's batch, which
 * parses, routes and rewrites them all (engine_bench measures this step
 * with the same calls), then each to its TX queue, the hold queue or the
 * pool.
 */
static void worker_handle_burst(struct wgw_worker *w, struct wgw_port *in,
				struct wgw_buf *bufs, struct wgw_frame *frames, unsigned n)
{
	enum wgw_dir dir = in->sides == WGW_SIDE_WAN ? WGW_DIR_CLIENT :
			   in->sides == WGW_SIDE_LAN ? WGW_DIR_BACKEND : WGW_DIR_ANY;
	uint64_t cap = wgw_capture_poll();
	struct wgw_capture_ring *cr = NULL;

	for (unsigned k = 0; k < n; k++) {
		frames[k].data = bufs[k].data;
		frames[k].len = bufs[k].len;
	}
	/* A capture's only cost when none runs: this test, once a burst. */
	if (cap & WGW_CAPTURE_ON_MASK)
		cr = wgw_capture_burst_in(w->cfg.id, cap, in, bufs, n);
	wgw_engine_route_batch(w->et, dir, frames, n, w->now_s);
	if (!cr) {
		for (unsigned k = 0; k < n; k++)
			worker_dispatch(w, in, &bufs[k], &frames[k], NULL);
		return;
	}
	for (unsigned k = 0; k < n; k++) {
		struct wgw_port *out = NULL;
		enum wgw_capture_fate fate = worker_dispatch(w, in, &bufs[k], &frames[k], &out);

		wgw_capture_burst_fate(cr, k, &frames[k], &bufs[k], out, fate);
	}
	wgw_capture_burst_end(cr);
}

static void *worker_main(void *arg)
{
	struct wgw_worker *w = arg;
	struct wgw_buf bufs[WGW_BATCH_MAX];
	struct wgw_frame frames[WGW_BATCH_MAX];
	unsigned idle = 0;
	char name[16];

	/* Named for top -H and ps -L (15 characters at most). */
	snprintf(name, sizeof(name), "wgw-worker/%u", w->cfg.id);
	pthread_setname_np(pthread_self(), name);
	if (w->cfg.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cfg.cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			wgw_warn("worker %u: cannot pin to CPU %d", w->cfg.id, w->cfg.cpu);
	}
	w->et = wgw_engine_thread_attach(w->engine, w->cfg.id);
	if (!w->et) {
		wgw_err("worker %u: engine attach: %s", w->cfg.id, strerror(errno));
		atomic_store(&w->failed_port, -1);
		return NULL;
	}
	wgw_nh_online(w->nh, w->cfg.id);
	if (w->store)
		wgw_engine_thread_set_store(w->et, &w->store_hooks);
	worker_clock(w);
	w->rx_quiet = 0;	/* the ports may have changed while stopped */
	/* Give the kernel receive buffers before the first packet. */
	for (unsigned i = 0; i < w->nports; i++)
		w->ports[i]->ops->service(w->ports[i]);

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		uint64_t loops = atomic_load_explicit(&w->st.loops, memory_order_relaxed) + 1;
		unsigned got = 0;

		atomic_store_explicit(&w->st.loops, loops, memory_order_relaxed);
		if (atomic_load_explicit(&w->req_posted, memory_order_acquire) !=
		    atomic_load_explicit(&w->req_done, memory_order_relaxed))
			worker_apply_posted(w);
		worker_clock(w);
		for (unsigned i = 0; i < w->nports; i++) {
			struct wgw_port *p = w->ports[i];
			unsigned max = worker_rx_budget(w, p);
			int n;

			if (!max) {
				/* Not idle: the egress must drain first. */
				wc_inc(&w->st.rx_backpressure);
				got++;
				continue;
			}
			if ((w->rx_quiet & 1u << i) && loops % WORKER_RESCAN_LOOPS)
				continue;
			n = p->ops->rx(p, bufs, max);
			if (p->ops->rx_syscall) {
				if (n >= 0 && (unsigned)n < max)
					w->rx_quiet |= 1u << i;
				else
					w->rx_quiet &= ~(1u << i);
			}

			if (n < 0) {
				worker_port_failed(w, i, n);
				continue;
			}
			worker_handle_burst(w, p, bufs, frames, (unsigned)n);
			got += (unsigned)n;
		}
		/* the session store: one test a loop when there is none */
		if (w->store) {
			worker_store_service(w);
			wgw_store_kick(w->store);
		}
		if (w->nheld)
			worker_retry_held(w);
		worker_flush(w);
		for (unsigned i = 0; i < w->nports; i++) {
			int rc = w->ports[i]->ops->service(w->ports[i]);

			if (rc < 0)
				worker_port_failed(w, i, rc);
		}
		wgw_engine_quiescent(w->et);
		wgw_nh_quiescent(w->nh, w->cfg.id);
		if (got) {
			idle = 0;
		} else if (!w->cfg.spin && ++idle >= WORKER_IDLE_LOOPS) {
			worker_sleep(w);
			idle = 0;
		}
	}
	/* Frames still held never got a next hop (or a store's answer). */
	for (unsigned i = 0; i < w->nheld; i++)
		worker_drop(w, &w->held[i].b);
	w->nheld = 0;
	for (unsigned i = 0; i < w->snheld; i++)
		if (w->sheld[i].b.data)
			worker_drop(w, &w->sheld[i].b);
	w->snheld = w->sfill = 0;
	if (w->store)
		wgw_engine_thread_set_store(w->et, NULL);
	wgw_nh_offline(w->nh, w->cfg.id);
	wgw_engine_thread_detach(w->et);
	w->et = NULL;
	return NULL;
}

int wgw_worker_start(struct wgw_worker *w)
{
	int err;

	if (!w->nports || !w->cfg.batch || w->cfg.batch > WGW_BATCH_MAX)
		return -EINVAL;
	atomic_store(&w->stop, false);
	atomic_store(&w->failed_port, 0);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err)
		return -err;
	w->started = true;
	return 0;
}

void wgw_worker_stop(struct wgw_worker *w)
{
	if (!w->started)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	w->started = false;
	/* A request whose wait timed out: the worker will not get to it. */
	if (worker_req_pending(w))
		worker_apply_posted(w);
}

void wgw_worker_destroy(struct wgw_worker *w)
{
	wgw_worker_stop(w);
	for (unsigned i = 0; i < w->nports; i++)
		w->ports[i]->ops->destroy(w->ports[i]);
	w->nports = 0;
	w->egress_lan = w->egress_wan = NULL;
}
