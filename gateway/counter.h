/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Single-writer counters: one thread (a worker, through its port) adds,
 * any other (the control thread's stats, metrics and dump) reads.
 *
 * An add is a relaxed load and a relaxed store, not a locked read-modify-
 * write: only the owning thread ever writes the counter, so no update is
 * lost, and on x86-64 both compile to the plain mov the fast path had
 * before.  What the relaxed atomics add is a defined meaning for the
 * concurrent read (no torn value, no data race for the compiler or
 * ThreadSanitizer to act on).  The engine's counters follow the same rule.
 *
 * The counters stay plain uint64_t fields so that struct wgw_port_stats and
 * the ports' extra statistics are at once the counters and the snapshot
 * handed to a reader; every access to a live counter goes through here.
 */
#ifndef WGW_COUNTER_H
#define WGW_COUNTER_H

#include <stddef.h>
#include <stdint.h>

static inline void wgw_cnt_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline uint64_t wgw_cnt_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/*
 * Copy a struct made only of uint64_t counters (size bytes), each read
 * atomically; the copy as a whole is not a consistent cut, as before.
 */
static inline void wgw_cnt_snapshot(void *dst, const void *src, size_t size)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	size_t i;

	for (i = 0; i < size / sizeof(uint64_t); i++)
		d[i] = wgw_cnt_get(&s[i]);
}

#endif
