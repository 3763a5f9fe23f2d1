// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "tests/bench/bench_xsk.h"

static int if_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

int bx_open(struct bx *b, const char *ifname, const struct wgw_xdp_dst *dsts,
	    unsigned n, uint32_t n_rx, uint32_t n_tx)
{
	struct xsk_umem_config ucfg = {
		.fill_size = BX_RING,
		.comp_size = BX_RING,
		.frame_size = BX_FRAME,
		.frame_headroom = 0,
	};
	struct xsk_socket_config xcfg = {
		.rx_size = BX_RING,
		.tx_size = BX_RING,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY | XDP_USE_NEED_WAKEUP,
	};
	size_t size;
	uint32_t i, idx;
	int ifindex, err;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "bench: no interface %s\n", ifname);
		return -ENODEV;
	}
	err = if_mac(ifname, b->mac);
	if (err)
		goto fail;
	err = wgw_xdp_open(&b->xdp, ifindex);
	if (err)
		goto fail_msg;
	b->mode = WGW_XDP_MODE_NATIVE;
	err = wgw_xdp_attach(b->xdp, b->mode);
	if (err == -EOPNOTSUPP) {
		b->mode = WGW_XDP_MODE_GENERIC;
		err = wgw_xdp_attach(b->xdp, b->mode);
	}
	if (err)
		goto fail_msg;
	for (i = 0; i < n; i++) {
		err = wgw_xdp_add_vip(b->xdp, &dsts[i].addr, dsts[i].port_lo, dsts[i].port_hi);
		if (err)
			goto fail_msg;
	}
	b->n_rx = n_rx;
	b->n_frames = n_rx + n_tx;
	size = (size_t)b->n_frames * BX_FRAME;
	b->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (b->area == MAP_FAILED) {
		b->area = NULL;
		err = -errno;
		goto fail_msg;
	}
	b->free_tx = calloc(n_tx ? n_tx : 1, sizeof(*b->free_tx));
	if (!b->free_tx) {
		err = -ENOMEM;
		goto fail_msg;
	}
	for (i = 0; i < n_tx; i++)
		b->free_tx[b->n_free_tx++] = (uint64_t)(n_rx + i) * BX_FRAME;
	err = xsk_umem__create(&b->umem, b->area, size, &b->fq, &b->cq, &ucfg);
	if (err)
		goto fail_msg;
	err = xsk_socket__create(&b->xsk, ifname, 0, b->umem, &b->rx, &b->tx, &xcfg);
	if (err)
		goto fail_msg;
	err = xsk_socket__update_xskmap(b->xsk, wgw_xdp_xskmap_fd(b->xdp));
	if (err)
		goto fail_msg;
	b->fd = xsk_socket__fd(b->xsk);
	if (n_rx > BX_RING)
		n_rx = BX_RING;
	if (xsk_ring_prod__reserve(&b->fq, n_rx, &idx) != n_rx) {
		err = -ENOSPC;
		goto fail_msg;
	}
	for (i = 0; i < n_rx; i++)
		*xsk_ring_prod__fill_addr(&b->fq, idx + i) = (uint64_t)i * BX_FRAME;
	xsk_ring_prod__submit(&b->fq, n_rx);
	return 0;

fail_msg:
	fprintf(stderr, "bench: AF_XDP on %s: %s\n", ifname, strerror(-err));
fail:
	bx_close(b);
	return err;
}

void bx_close(struct bx *b)
{
	if (b->xsk)
		xsk_socket__delete(b->xsk);
	if (b->umem)
		xsk_umem__delete(b->umem);
	if (b->area)
		munmap(b->area, (size_t)b->n_frames * BX_FRAME);
	free(b->free_tx);
	wgw_xdp_close(b->xdp);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

unsigned bx_complete(struct bx *b, bool recycle)
{
	uint32_t idx, fidx, n, i;

	n = xsk_ring_cons__peek(&b->cq, BX_RING, &idx);
	if (!n)
		return 0;
	if (recycle) {
		/* The fill ring has room for every frame: UMEM frames equal
		 * the fill ring size, so this reserve cannot fail for long. */
		while (xsk_ring_prod__reserve(&b->fq, n, &fidx) != n)
			;
		for (i = 0; i < n; i++)
			*xsk_ring_prod__fill_addr(&b->fq, fidx + i) =
				*xsk_ring_cons__comp_addr(&b->cq, idx + i);
		xsk_ring_prod__submit(&b->fq, n);
	} else {
		for (i = 0; i < n; i++)
			b->free_tx[b->n_free_tx++] = *xsk_ring_cons__comp_addr(&b->cq, idx + i);
	}
	xsk_ring_cons__release(&b->cq, n);
	b->outstanding -= n;
	return n;
}

void bx_kick(struct bx *b)
{
	if (!b->outstanding)
		return;
	/* Copy mode sends at most 32 descriptors per call, whatever
	 * needs_wakeup says: kick every loop while anything is outstanding. */
	(void)sendto(b->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	b->kicks++;
}
