// SPDX-License-Identifier: GPL-2.0-only
/*
 * Quiescent-state-based reclamation: the writer side.  See qsbr.h.
 */
#include "config.h"

#include <time.h>

#include "gateway/qsbr.h"

#define QSBR_POLL_NS 50000 /* ns between two polls in wgw_qsbr_synchronize() */

void wgw_qsbr_init(struct wgw_qsbr *q, struct wgw_qsbr_reader *readers,
		   unsigned n_readers)
{
	/* gp starts at 1 so that 0 can mean "offline". */
	atomic_init(&q->gp, 1);
	q->readers = readers;
	q->n_readers = n_readers;
	for (unsigned i = 0; i < n_readers; i++)
		atomic_init(&readers[i].seen, 0);
}

uint64_t wgw_qsbr_start(struct wgw_qsbr *q)
{
	return atomic_fetch_add(&q->gp, 1) + 1;
}

bool wgw_qsbr_poll(struct wgw_qsbr *q, uint64_t target)
{
	for (unsigned i = 0; i < q->n_readers; i++) {
		uint64_t seen = atomic_load(&q->readers[i].seen);

		if (seen != 0 && seen < target)
			return false;
	}
	return true;
}

void wgw_qsbr_synchronize(struct wgw_qsbr *q)
{
	uint64_t target = wgw_qsbr_start(q);
	struct timespec ts = { .tv_sec = 0, .tv_nsec = QSBR_POLL_NS };

	while (!wgw_qsbr_poll(q, target))
		nanosleep(&ts, NULL);
}
