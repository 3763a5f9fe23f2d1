/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One AF_XDP socket in copy mode on one queue of one interface, with its
 * own UMEM, steered by the project's XDP program (gateway/xdp.h) so that
 * only UDP to the given destinations reaches the socket and everything else
 * (ARP, ICMP, other ports) stays with the kernel.  Shared by the benchmark's
 * load generator and reflector.
 *
 * UMEM frames [0, n_rx) feed the fill ring; [n_rx, n_frames) are the
 * caller's for TX (a free stack, see bx_tx_alloc).  A reflector instead
 * sends received frames as they are and recycles completions into the fill
 * ring (bx_recycle).
 */
#ifndef WGW_BENCH_XSK_H
#define WGW_BENCH_XSK_H

#include <stdbool.h>
#include <stdint.h>
#include <xdp/xsk.h>

#include "gateway/addr.h"
#include "gateway/xdp.h"

#define BX_FRAME 2048U		/* bytes per UMEM frame */
#define BX_RING 4096U		/* descriptors per ring */

struct bx {
	struct wgw_xdp *xdp;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq, tx;
	struct xsk_ring_cons cq, rx;
	uint8_t *area;
	uint32_t n_frames, n_rx;
	uint64_t *free_tx;	/* stack of TX frame addresses */
	uint32_t n_free_tx;
	uint32_t outstanding;	/* TX descriptors not completed yet */
	uint64_t kicks;
	int fd;
	uint8_t mac[6];
	enum wgw_xdp_mode mode;
};

/*
 * Open the socket on ifname queue 0; dsts (n) are the UDP destinations
 * steered to it.  n_rx frames go to the fill ring, n_tx are kept for the
 * caller's own TX.  0 or a negative errno (printed).
 */
int bx_open(struct bx *b, const char *ifname, const struct wgw_xdp_dst *dsts,
	    unsigned n, uint32_t n_rx, uint32_t n_tx);
void bx_close(struct bx *b);

/* Reap completions: TX frames back to the free stack (or, recycle, to the
 * fill ring).  Returns the number completed. */
unsigned bx_complete(struct bx *b, bool recycle);
/* Push pending TX to the kernel (copy mode needs a kick per batch). */
void bx_kick(struct bx *b);

static inline uint8_t *bx_data(const struct bx *b, uint64_t addr)
{
	return xsk_umem__get_data(b->area, addr);
}

#endif
