// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xdp/xsk.h>

#include "gateway/counter.h"
#include "gateway/log.h"
#include "gateway/xsk.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

/* Copy-mode TX sends at most this many descriptors per sendto() (the
 * kernel's TX batch in xsk_generic_xmit): kick again while any is queued. */
#define XSK_COPY_TX_BATCH 32

struct wgw_xsk_umem {
	struct xsk_umem *umem;
	struct wgw_pool *pool;
	/* The UMEM's own rings: used by the first socket bound to it. */
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	bool rings_taken;
};

struct xsk_port {
	struct wgw_port base;	/* first: the worker sees a wgw_port */
	struct xsk_socket *xsk;
	struct wgw_pool *pool;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	struct xsk_ring_prod *fill;
	struct xsk_ring_cons *comp;
	struct xsk_ring_prod own_fill;	/* for sockets after the first */
	struct xsk_ring_cons own_comp;
	uint32_t tx_outstanding;	/* on the TX ring or in flight */
	uint32_t tx_unkicked;		/* queued since the last kick */
	uint32_t fill_size;
	int fd;
	bool copy_mode;
	bool busy_poll;
	bool spin;
	struct wgw_port_stats st;
};

static const struct wgw_port_ops xsk_port_ops;
static void xsk_fill(struct xsk_port *p, struct wgw_pool *pool);

struct wgw_xsk_umem *wgw_xsk_umem_create(struct wgw_pool *pool,
					 const struct wgw_xsk_cfg *cfg)
{
	struct xsk_umem_config ucfg = {
		.fill_size = cfg->fill_size,
		.comp_size = cfg->comp_size,
		.frame_size = pool->frame_size,
		/* The pool keeps its own headroom in the addresses it hands
		 * out; the kernel adds this one on RX. */
		.frame_headroom = pool->headroom,
		.flags = 0,
	};
	struct wgw_xsk_umem *u;
	int err;

	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->pool = pool;
	err = xsk_umem__create(&u->umem, pool->area, pool->size, &u->fill,
			       &u->comp, &ucfg);
	if (err) {
		free(u);
		errno = -err;
		return NULL;
	}
	return u;
}

void wgw_xsk_umem_destroy(struct wgw_xsk_umem *u)
{
	if (!u)
		return;
	if (xsk_umem__delete(u->umem))
		wgw_warn("xsk: UMEM still in use at teardown");
	free(u);
}

static int xsk_set_busy_poll(int fd, const struct wgw_xsk_cfg *cfg)
{
	int one = 1, usecs = (int)cfg->busy_poll_usecs, budget = (int)cfg->busy_poll_budget;

	if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)))
		return -errno;
	return 0;
}

struct wgw_port *wgw_xsk_port_create(struct wgw_xsk_umem *u,
				     const char *ifname, int ifindex,
				     uint32_t queue, int xskmap_fd,
				     const struct wgw_xsk_cfg *cfg)
{
	struct xsk_socket_config scfg = {
		.rx_size = cfg->rx_size,
		.tx_size = cfg->tx_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = (cfg->zerocopy ? XDP_ZEROCOPY : XDP_COPY) |
			      XDP_USE_NEED_WAKEUP,
	};
	struct xsk_port *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pool = u->pool;
	if (!u->rings_taken) {
		p->fill = &u->fill;
		p->comp = &u->comp;
	} else {
		p->fill = &p->own_fill;
		p->comp = &p->own_comp;
	}
	err = xsk_socket__create_shared(&p->xsk, ifname, queue, u->umem, &p->rx,
					&p->tx, p->fill, p->comp, &scfg);
	if (err)
		goto err_free;
	u->rings_taken = true;
	p->fd = xsk_socket__fd(p->xsk);
	if (cfg->wait == WGW_WAIT_BUSY_POLL) {
		err = xsk_set_busy_poll(p->fd, cfg);
		if (err) {
			wgw_warn("%s queue %u: preferred busy polling refused (%s): "
				 "using plain polling", ifname, queue, strerror(-err));
		} else {
			p->busy_poll = true;
		}
	}
	/* Frames to receive into before the program can steer here: a
	 * socket whose fill ring is empty drops what it is given, and the
	 * worker may start some time later (a takeover under traffic). */
	p->fill_size = cfg->fill_size;
	xsk_fill(p, p->pool);
	err = xsk_socket__update_xskmap(p->xsk, xskmap_fd);
	if (err)
		goto err_delete;

	p->base.ops = &xsk_port_ops;
	p->base.needs_l2 = true;
	p->base.ifindex = ifindex;
	p->base.queue = queue;
	snprintf(p->base.ifname, sizeof(p->base.ifname), "%s", ifname);
	p->copy_mode = !cfg->zerocopy;
	p->spin = cfg->wait == WGW_WAIT_SPIN;
	p->fill_size = cfg->fill_size;
	return &p->base;

err_delete:
	xsk_socket__delete(p->xsk);
err_free:
	free(p);
	errno = -err;
	return NULL;
}

bool wgw_port_is_xsk(const struct wgw_port *port)
{
	return port->ops == &xsk_port_ops;
}

static inline struct xsk_port *to_xsk(struct wgw_port *port)
{
	return (struct xsk_port *)port;
}

void wgw_xsk_port_wakeup(struct wgw_port *port)
{
	struct xsk_port *p = to_xsk(port);

	wgw_cnt_add(&p->st.wakeups, 1);
	recvfrom(p->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static int xsk_rx(struct wgw_port *port, struct wgw_buf *bufs, unsigned max)
{
	struct xsk_port *p = to_xsk(port);
	uint8_t *area = p->pool->area;
	uint32_t idx, n, i;
	uint64_t bytes = 0;

	n = xsk_ring_cons__peek(&p->rx, max, &idx);
	if (!n) {
		/*
		 * Busy polling: our recvfrom() is what runs the driver.
		 * Spinning: the driver may wait for a wakeup to take new fill
		 * entries.  Polling: the worker's poll() does both.
		 */
		if (p->busy_poll ||
		    (p->spin && xsk_ring_prod__needs_wakeup(p->fill)))
			wgw_xsk_port_wakeup(port);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&p->rx, idx + i);

		bufs[i].addr = d->addr;
		bufs[i].len = d->len;
		bufs[i].data = area + d->addr;
		bufs[i].pool = p->pool;
		bytes += d->len;
	}
	xsk_ring_cons__release(&p->rx, n);
	wgw_cnt_add(&p->st.rx_packets, n);
	wgw_cnt_add(&p->st.rx_bytes, bytes);
	return (int)n;
}

/*
 * A frame from another pool cannot go on our TX ring: the kernel only takes
 * addresses of the UMEM this socket is bound to.  That happens when the two
 * interfaces run different rungs (zero-copy on one, copy on the other): a
 * UMEM shared across devices takes the mode of its first socket, so each
 * side has its own UMEM and the frame is copied once here.
 */
static bool xsk_adopt(struct xsk_port *p, struct wgw_buf *b)
{
	struct wgw_pool *pool = p->pool;
	uint64_t addr;

	if (!pool->nfree) {
		pool->empty_events++;
		return false;
	}
	addr = wgw_pool_get(pool) + pool->headroom;
	memcpy(pool->area + addr, b->data, b->len);
	wgw_buf_free(b);
	b->addr = addr;
	b->data = pool->area + addr;
	b->pool = pool;
	return true;
}

static void xsk_tx(struct wgw_port *port, struct wgw_buf *bufs, unsigned n)
{
	struct xsk_port *p = to_xsk(port);
	uint32_t idx, ok, i, sent = 0;
	uint64_t bytes = 0;

	ok = xsk_ring_prod__reserve(&p->tx, n, &idx);
	for (i = 0; i < ok; i++) {
		struct xdp_desc *d;

		if (bufs[i].pool != p->pool && !xsk_adopt(p, &bufs[i])) {
			wgw_buf_free(&bufs[i]);
			continue;
		}
		d = xsk_ring_prod__tx_desc(&p->tx, idx + sent++);
		d->addr = bufs[i].addr;
		d->len = bufs[i].len;
		d->options = 0;
		bytes += bufs[i].len;
	}
	if (sent < ok)	/* libxdp 1.3 has no producer-side cancel */
		p->tx.cached_prod -= ok - sent;
	if (sent)
		xsk_ring_prod__submit(&p->tx, sent);
	for (i = ok; i < n; i++)
		wgw_buf_free(&bufs[i]);
	ok = sent;
	p->tx_outstanding += ok;
	p->tx_unkicked += ok;
	wgw_cnt_add(&p->st.tx_packets, ok);
	wgw_cnt_add(&p->st.tx_bytes, bytes);
	wgw_cnt_add(&p->st.tx_dropped, n - ok);
}

/* A TX kick that fails with one of these is a transient condition. */
static bool xsk_kick_transient(int err)
{
	return err == EAGAIN || err == EBUSY || err == ENOBUFS || err == EINTR;
}

/* Descriptors on the TX ring that the kernel has not taken yet. */
static inline uint32_t xsk_tx_queued(struct xsk_port *p)
{
	return p->tx.size - xsk_prod_nb_free(&p->tx, p->tx.size);
}

static uint32_t xsk_tx_room(struct wgw_port *port)
{
	struct xsk_port *p = to_xsk(port);

	return xsk_prod_nb_free(&p->tx, p->tx.size);
}

/* Give the kernel free frames to receive into, as many as fit. */
static void xsk_fill(struct xsk_port *p, struct wgw_pool *pool)
{
	uint32_t want, n, i, idx;

	want = xsk_prod_nb_free(p->fill, pool->nfree);
	if (want > pool->nfree)
		want = pool->nfree;
	if (want) {
		n = xsk_ring_prod__reserve(p->fill, want, &idx);
		for (i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(p->fill, idx + i) = wgw_pool_get(pool);
		xsk_ring_prod__submit(p->fill, n);
	}
}

static int xsk_service(struct wgw_port *port)
{
	struct xsk_port *p = to_xsk(port);
	struct wgw_pool *pool = p->pool;
	uint32_t idx, n, i;

	/*
	 * Copy mode sends at most 32 descriptors per sendto() (the kernel's
	 * TX batch), so kick until the ring is drained or the kernel says
	 * it is busy; zero-copy only when the driver asks for it
	 * (need_wakeup).  What is left on the ring is kicked again next
	 * loop: completions are what free frames.
	 */
	if (p->tx_outstanding &&
	    (p->copy_mode || xsk_ring_prod__needs_wakeup(&p->tx))) {
		unsigned kicks = p->copy_mode ?
			(xsk_tx_queued(p) + XSK_COPY_TX_BATCH - 1) / XSK_COPY_TX_BATCH : 1;

		if (!kicks)
			kicks = 1;
		while (kicks--) {
			wgw_cnt_add(&p->st.kicks, 1);
			if (sendto(p->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0) {
				if (!xsk_kick_transient(errno)) {
					wgw_cnt_add(&p->st.tx_errors, 1);
					return -errno;
				}
				break;
			}
		}
		p->tx_unkicked = 0;
	}

	n = xsk_ring_cons__peek(p->comp, p->fill_size, &idx);
	if (n) {
		for (i = 0; i < n; i++)
			wgw_pool_put(pool, *xsk_ring_cons__comp_addr(p->comp, idx + i));
		xsk_ring_cons__release(p->comp, n);
		p->tx_outstanding -= n < p->tx_outstanding ? n : p->tx_outstanding;
	}

	xsk_fill(p, pool);
	return 0;
}

static int xsk_poll_fd(struct wgw_port *port)
{
	return to_xsk(port)->fd;
}

static void xsk_stats(struct wgw_port *port, struct wgw_port_stats *out)
{
	wgw_cnt_snapshot(out, &to_xsk(port)->st, sizeof(*out));
}

int wgw_xsk_port_xdp_stats(struct wgw_port *port, struct xdp_statistics *st)
{
	socklen_t len = sizeof(*st);

	if (!wgw_port_is_xsk(port))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	if (getsockopt(to_xsk(port)->fd, SOL_XDP, XDP_STATISTICS, st, &len))
		return -errno;
	return 0;
}

static void xsk_destroy(struct wgw_port *port)
{
	struct xsk_port *p = to_xsk(port);

	xsk_socket__delete(p->xsk);
	free(p);
}

static const struct wgw_port_ops xsk_port_ops = {
	.kind = "xsk",
	.rx = xsk_rx,
	.tx = xsk_tx,
	.service = xsk_service,
	.poll_fd = xsk_poll_fd,
	.tx_room = xsk_tx_room,
	.stats = xsk_stats,
	.destroy = xsk_destroy,
	.ring_stats = wgw_xsk_port_xdp_stats,
};
