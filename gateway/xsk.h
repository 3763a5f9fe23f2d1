/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AF_XDP port: one socket on one (interface, queue), receiving and sending
 * frames of its worker's pool.  All sockets of a worker share the pool's
 * region as one UMEM (XDP_SHARED_UMEM), so a frame received on the WAN
 * socket is put on the LAN socket's TX ring as it is: no copy in userspace.
 */
#ifndef WGW_XSK_H
#define WGW_XSK_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/if_xdp.h>

#include "gateway/options.h"
#include "gateway/pool.h"
#include "gateway/port.h"

struct wgw_xsk_umem;

struct wgw_xsk_cfg {
	uint32_t fill_size, comp_size, rx_size, tx_size; /* ring entries, powers of two */
	bool zerocopy;		/* XDP_ZEROCOPY, else XDP_COPY */
	enum wgw_wait wait;	/* poll, spin or preferred busy polling */
	uint32_t busy_poll_usecs;
	uint32_t busy_poll_budget;
};

/* Register a worker's pool as a UMEM.  The first socket created on it uses
 * the UMEM's own fill and completion rings. */
struct wgw_xsk_umem *wgw_xsk_umem_create(struct wgw_pool *pool,
					 const struct wgw_xsk_cfg *cfg);
void wgw_xsk_umem_destroy(struct wgw_xsk_umem *umem);

/*
 * Create a socket on (ifname, queue) bound to the UMEM and insert it into
 * the XDP program's XSKMAP (xskmap_fd) at the queue index.  Returns NULL and
 * sets errno on failure (EOPNOTSUPP: zero-copy not supported by the driver;
 * EINVAL: no such queue).
 */
struct wgw_port *wgw_xsk_port_create(struct wgw_xsk_umem *umem,
				     const char *ifname, int ifindex,
				     uint32_t queue, int xskmap_fd,
				     const struct wgw_xsk_cfg *cfg);

/* Whether a port is an AF_XDP port, and its ring statistics (XDP_STATISTICS
 * plus fill-ring-empty events seen by userspace). */
bool wgw_port_is_xsk(const struct wgw_port *port);
int wgw_xsk_port_xdp_stats(struct wgw_port *port, struct xdp_statistics *st);
/* Ask the kernel to process the fill ring and RX now (used by spin mode
 * when need_wakeup is set and in tests). */
void wgw_xsk_port_wakeup(struct wgw_port *port);

#endif
