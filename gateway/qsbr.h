/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Quiescent-state-based reclamation for the engine's tables, one domain per
 * engine.
 *
 * Readers (the workers) never lock and never write anything shared to read:
 * they announce, at points where they hold no reference into the tables (the
 * end of a batch), that they have seen the current grace-period number.  A
 * writer that unlinked an entry starts a grace period and may reuse the
 * entry once every online reader has announced the new number.  Readers
 * that block (poll, sleep) go offline first so that they do not hold
 * reclamation up.
 *
 * Why not liburcu-qsbr: its readers wake a sleeping synchronize_rcu() with a
 * futex from rcu_quiescent_state(), i.e. a syscall on the worker, and its
 * domain is process wide; here reclamation is polled (wgw_qsbr_poll()) from
 * the control thread, which keeps the workers free of syscalls, and every
 * engine (several in one test process) has its own domain.
 *
 * Memory ordering (all on one seq_cst order for gp and seen):
 *  - writer: unlink (store) -> gp += 1 (seq_cst RMW) -> read every reader's
 *    seen (seq_cst); entry reusable when each is 0 (offline) or >= target.
 *  - reader: quiescent = seen := gp (load-acquire, store-release): every
 *    access of the past critical section happens before the store; every
 *    access of the next one happens after the load, so it sees the unlink.
 *  - online: seen := gp then a full fence before touching the tables.
 */
#ifndef WGW_QSBR_H
#define WGW_QSBR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define WGW_CACHELINE 64 /* bytes */

/* One per reader thread, alone on its cache line: written once per batch. */
struct wgw_qsbr_reader {
	_Atomic uint64_t seen; /* grace period seen; 0 while offline */
} __attribute__((aligned(WGW_CACHELINE)));

struct wgw_qsbr {
	_Atomic uint64_t gp __attribute__((aligned(WGW_CACHELINE)));
	unsigned n_readers;
	struct wgw_qsbr_reader *readers; /* n_readers, owned by the caller */
};

void wgw_qsbr_init(struct wgw_qsbr *q, struct wgw_qsbr_reader *readers,
		   unsigned n_readers);

/* Reader side: no syscalls, no locks. */
static inline void wgw_qsbr_quiescent(struct wgw_qsbr *q, struct wgw_qsbr_reader *r)
{
	uint64_t gp = atomic_load_explicit(&q->gp, memory_order_acquire);

	if (atomic_load_explicit(&r->seen, memory_order_relaxed) != gp)
		atomic_store_explicit(&r->seen, gp, memory_order_release);
}

static inline void wgw_qsbr_offline(struct wgw_qsbr_reader *r)
{
	atomic_store_explicit(&r->seen, 0, memory_order_release);
}

static inline void wgw_qsbr_online(struct wgw_qsbr *q, struct wgw_qsbr_reader *r)
{
	atomic_store(&r->seen, atomic_load(&q->gp));
	atomic_thread_fence(memory_order_seq_cst);
}

/* Writer side (one control thread at a time). */
/* Start a grace period; returns the number readers must reach. */
uint64_t wgw_qsbr_start(struct wgw_qsbr *q);
/* True once every online reader has passed target. */
bool wgw_qsbr_poll(struct wgw_qsbr *q, uint64_t target);
/* Start a grace period and wait for it (sleeps 50 us between polls).  Every
 * online reader must reach a quiescent state, or this waits for ever: a
 * worker must call quiescent after each batch and go offline to block. */
void wgw_qsbr_synchronize(struct wgw_qsbr *q);

#endif
