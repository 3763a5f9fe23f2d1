// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mempolicy.h>

#include "gateway/log.h"
#include "gateway/pool.h"

/*
 * Bind the region to the NIC's NUMA node before it is touched, so that the
 * pages the NIC DMAs into (zero-copy) or the kernel copies into (copy mode)
 * are local to the CPUs that serve the queue.  Best effort: a machine
 * without NUMA says EINVAL/ENOSYS, and that is fine.
 */
static void pool_bind_node(void *area, uint64_t size, int node)
{
	unsigned long mask[16] = { 0 };
	long rc;

	if (node < 0 || node >= (int)(sizeof(mask) * 8))
		return;
	mask[node / (8 * sizeof(long))] |= 1UL << (node % (8 * sizeof(long)));
	rc = syscall(SYS_mbind, area, size, MPOL_PREFERRED, mask,
		     sizeof(mask) * 8, 0);
	if (rc)
		wgw_dbg("pool: mbind to NUMA node %d: %s", node, strerror(errno));
}

int wgw_pool_init(struct wgw_pool *pool, uint32_t nframes, uint32_t frame_size,
		  uint32_t headroom, int numa_node)
{
	uint64_t size;
	void *area;
	uint32_t i;

	memset(pool, 0, sizeof(*pool));
	if (!nframes || !frame_size || (frame_size & (frame_size - 1)) ||
	    headroom >= frame_size)
		return -EINVAL;
	size = (uint64_t)nframes * frame_size;
	area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	pool_bind_node(area, size, numa_node);
	/* Fault every page in now, on the bound node, not on the data path. */
	if (madvise(area, size, MADV_WILLNEED) == 0)
		memset(area, 0, size);
	pool->free = calloc(nframes, sizeof(*pool->free));
	if (!pool->free) {
		munmap(area, size);
		return -ENOMEM;
	}
	pool->area = area;
	pool->size = size;
	pool->frame_size = frame_size;
	pool->headroom = headroom;
	pool->nframes = nframes;
	pool->numa_node = numa_node;
	/* Lowest addresses on top of the stack: handed out first. */
	for (i = 0; i < nframes; i++)
		pool->free[i] = (uint64_t)(nframes - 1 - i) * frame_size;
	pool->nfree = nframes;
	return 0;
}

void wgw_pool_fini(struct wgw_pool *pool)
{
	if (pool->area)
		munmap(pool->area, pool->size);
	free(pool->free);
	memset(pool, 0, sizeof(*pool));
}
