/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A worker's buffer pool: one memory region (the UMEM of its AF_XDP
 * sockets) cut into fixed frames, and a stack of free frame addresses.
 * A worker has one pool when its sockets can share a UMEM (same mode on
 * both interfaces) and one per interface otherwise.
 * Owned by one thread: no locks.  Frames are named by their offset in the
 * region (the AF_XDP "address"), so AF_XDP rings and the pool speak alike.
 */
#ifndef WGW_POOL_H
#define WGW_POOL_H

#include <stdint.h>

struct wgw_pool;

struct wgw_buf {
	uint8_t *data;	/* first byte of the frame (Ethernet header) */
	uint32_t len;	/* frame length */
	uint64_t addr;	/* offset of data in the pool region */
	struct wgw_pool *pool; /* the pool the frame belongs to */
};

struct wgw_pool {
	uint8_t *area;		/* region start */
	uint64_t size;		/* bytes */
	uint32_t frame_size;	/* bytes, power of two */
	uint32_t headroom;	/* bytes kept before data in every frame */
	uint32_t nframes;
	uint32_t nfree;
	uint64_t *free;		/* stack of frame base addresses */
	int numa_node;		/* -1 when not bound */
	uint64_t empty_events;	/* allocations that found the pool empty */
};

int wgw_pool_init(struct wgw_pool *pool, uint32_t nframes, uint32_t frame_size,
		  uint32_t headroom, int numa_node);
void wgw_pool_fini(struct wgw_pool *pool);

static inline uint64_t wgw_pool_frame_base(const struct wgw_pool *pool, uint64_t addr)
{
	return addr & ~(uint64_t)(pool->frame_size - 1);
}

static inline void wgw_pool_put(struct wgw_pool *pool, uint64_t addr)
{
	pool->free[pool->nfree++] = wgw_pool_frame_base(pool, addr);
}

/* Returns the frame base address; the caller checks pool->nfree first. */
static inline uint64_t wgw_pool_get(struct wgw_pool *pool)
{
	return pool->free[--pool->nfree];
}

static inline uint8_t *wgw_pool_ptr(const struct wgw_pool *pool, uint64_t addr)
{
	return pool->area + addr;
}

/* Take a frame for a port without a kernel ring: data starts after the
 * headroom.  Returns -1 when empty. */
static inline int wgw_pool_get_buf(struct wgw_pool *pool, struct wgw_buf *b)
{
	if (!pool->nfree) {
		pool->empty_events++;
		return -1;
	}
	b->addr = wgw_pool_get(pool) + pool->headroom;
	b->data = pool->area + b->addr;
	b->len = 0;
	b->pool = pool;
	return 0;
}

/* Give a buffer back to the pool it came from. */
static inline void wgw_buf_free(const struct wgw_buf *b)
{
	wgw_pool_put(b->pool, b->addr);
}

#endif
