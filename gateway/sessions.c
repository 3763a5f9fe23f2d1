// SPDX-License-Identifier: GPL-2.0-only
/*
 * CID table, NAT mappings, NAT port pools, expiry and reclamation.
 * See sessions.h for the concurrency rules.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "gateway/csum_internal.h"
#include "gateway/sessions.h"

/* ---- spinlock stripes (writers only) ---------------------------------- */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static inline _Atomic uint32_t *stripe(struct wgw_htab *t, uint32_t bucket)
{
	return &t->locks[bucket & (WGW_HTAB_LOCKS - 1)];
}

static inline void spin_lock(_Atomic uint32_t *l)
{
	while (atomic_exchange_explicit(l, 1, memory_order_acquire))
		while (atomic_load_explicit(l, memory_order_relaxed))
			cpu_relax();
}

static inline void spin_unlock(_Atomic uint32_t *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

/* ---- lock-free index stacks (Treiber, ABA tag in the high 32 bits) ---- */

#define LINK(base, stride, i) ((_Atomic uint32_t *)((char *)(base) + (size_t)(i) * (stride)))

static uint32_t stk_pop(_Atomic uint64_t *head, void *base, size_t stride)
{
	uint64_t old = atomic_load_explicit(head, memory_order_acquire), new_;

	for (;;) {
		uint32_t i = (uint32_t)old;

		if (!i)
			return 0;
		/* may read a link a concurrent pop is rewriting: the tag makes
		 * the CAS fail then, and the memory is always ours */
		new_ = ((old >> 32) + 1) << 32 |
		       atomic_load_explicit(LINK(base, stride, i), memory_order_relaxed);
		if (atomic_compare_exchange_weak_explicit(head, &old, new_,
							  memory_order_acquire,
							  memory_order_acquire))
			return i;
	}
}

static void stk_push(_Atomic uint64_t *head, void *base, size_t stride, uint32_t i)
{
	uint64_t old = atomic_load_explicit(head, memory_order_relaxed), new_;

	do {
		atomic_store_explicit(LINK(base, stride, i), (uint32_t)old,
				      memory_order_relaxed);
		new_ = ((old >> 32) + 1) << 32 | i;
	} while (!atomic_compare_exchange_weak_explicit(head, &old, new_,
							memory_order_release,
							memory_order_relaxed));
}

#define CID_LINKS(s) (&(s)->cids[0].free_next), sizeof(struct wgw_cid_ent)
#define MAP_LINKS(s) (&(s)->map_cold[0].free_next), sizeof(struct wgw_map_cold)
#define PORT_LINKS(pp) ((pp)->next), sizeof(_Atomic uint32_t)

/* ---- creation ---------------------------------------------------------- */

#define HUGE_PAGE (2UL << 20) /* bytes: x86-64 / arm64 4K-granule PMD size */

/*
 * Zeroed, cache-line aligned, and touched now: a table's memory is faulted
 * in at creation, not by the first packets that use it, and a fixed-size
 * appliance learns at start whether it has the memory.  Tables of a huge
 * page or more ask for transparent huge pages (a no-op where THP is off):
 * with millions of sessions every lookup is a random access, and 4 KiB
 * pages would add a TLB miss to each.
 */
static void *alloc_zeroed(size_t n, size_t size, size_t *acct)
{
	size_t bytes = n * size, align = WGW_CACHELINE;
	void *p;

	if (bytes >= HUGE_PAGE)
		align = HUGE_PAGE;
	bytes = (bytes + align - 1) & ~(align - 1);
	p = aligned_alloc(align, bytes);
	if (!p)
		return NULL;
	if (align == HUGE_PAGE)
		madvise(p, bytes, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	*acct += bytes;
	return p;
}

static int htab_init(struct wgw_htab *t, uint32_t cap, size_t *acct)
{
	unsigned bits = 1;

	/* load factor <= 1: a lookup reads the bucket and about one entry */
	while ((1ULL << bits) < cap)
		bits++;
	t->n_buckets = 1U << bits;
	t->shift = 64 - bits;
	t->bucket = alloc_zeroed(t->n_buckets, sizeof(*t->bucket), acct);
	if (!t->bucket)
		return -ENOMEM;
	for (unsigned i = 0; i < WGW_HTAB_LOCKS; i++)
		atomic_init(&t->locks[i], 0);
	return 0;
}

int wgw_sessions_init(struct wgw_sessions *s, const struct wgw_sessions_cfg *cfg)
{
	int err;

	if (!cfg->max_cids || !cfg->max_mappings ||
	    cfg->max_cids > WGW_SESS_MAX_ENTRIES ||
	    cfg->max_mappings > WGW_SESS_MAX_ENTRIES ||
	    !cfg->nat_port_lo || cfg->nat_port_lo > cfg->nat_port_hi ||
	    cfg->n_nat > WGW_NAT_MAX || (cfg->n_nat && !cfg->nat))
		return -EINVAL;

	memset(s, 0, sizeof(*s));
	if (cfg->key) {
		memcpy(s->key, cfg->key, sizeof(s->key));
	} else if (getrandom(s->key, sizeof(s->key), 0) != sizeof(s->key)) {
		return errno ? -errno : -EIO;
	}
	s->key[1] |= 1; /* multiply-shift needs an odd multiplier */
	/* the quota hash's own key: which sources share a counter says
	 * nothing about the tables' buckets, and the other way round */
	s->src_key[0] = wgw_mum(s->key[2] ^ 0x9e3779b97f4a7c15ULL, s->key[5] | 1);
	s->src_key[1] = wgw_mum(s->key[3] ^ 0xc2b2ae3d27d4eb4fULL, s->key[4] | 1) | 1;

	s->cap_cids = cfg->max_cids;
	s->cap_maps = cfg->max_mappings;
	atomic_init(&s->lim_cids, cfg->max_cids);
	atomic_init(&s->lim_maps, cfg->max_mappings);
	atomic_init(&s->quota_maps, cfg->maps_per_src);
	atomic_init(&s->quota_cids, cfg->cids_per_src);
	s->port_lo = cfg->nat_port_lo;
	s->n_ports = (uint32_t)cfg->nat_port_hi - cfg->nat_port_lo + 1;
	s->n_nat = cfg->n_nat ? cfg->n_nat : 1;
	s->n_slots = s->n_nat * s->n_ports;
	if (cfg->n_nat)
		memcpy(s->nat, cfg->nat, cfg->n_nat * sizeof(*s->nat));

	/* index 0 is "none": one spare entry in front */
	s->cids = alloc_zeroed(s->cap_cids + 1, sizeof(*s->cids), &s->mem_bytes);
	if (!s->cids) {
		err = -ENOMEM;
		goto err_out;
	}
	s->maps = alloc_zeroed(s->cap_maps + 1, sizeof(*s->maps), &s->mem_bytes);
	if (!s->maps) {
		err = -ENOMEM;
		goto err_free_cids;
	}
	s->map_cold = alloc_zeroed(s->cap_maps + 1, sizeof(*s->map_cold), &s->mem_bytes);
	if (!s->map_cold) {
		err = -ENOMEM;
		goto err_free_maps;
	}
	err = htab_init(&s->cid_tab, s->cap_cids, &s->mem_bytes);
	if (err)
		goto err_free_created;
	err = htab_init(&s->map_tab, s->cap_maps, &s->mem_bytes);
	if (err)
		goto err_free_cid_tab;
	s->src = alloc_zeroed(WGW_SRC_SLOTS, sizeof(*s->src), &s->mem_bytes);
	if (!s->src) {
		err = -ENOMEM;
		goto err_free_map_tab;
	}

	/* free lists in index order: entry i links to i + 1 */
	for (uint32_t i = 1; i <= s->cap_cids; i++)
		atomic_init(&s->cids[i].free_next, i < s->cap_cids ? i + 1 : 0);
	for (uint32_t i = 1; i <= s->cap_maps; i++)
		atomic_init(&s->map_cold[i].free_next, i < s->cap_maps ? i + 1 : 0);
	atomic_init(&s->cid_free, 1);
	atomic_init(&s->map_free, 1);
	s->cid_cursor = s->map_cursor = 1;
	return 0;

err_free_map_tab:
	free(s->map_tab.bucket);
err_free_cid_tab:
	free(s->cid_tab.bucket);
err_free_created:
	free(s->map_cold);
err_free_maps:
	free(s->maps);
err_free_cids:
	free(s->cids);
err_out:
	return err;
}

void wgw_sessions_fini(struct wgw_sessions *s)
{
	for (unsigned b = 0; b < WGW_MAX_BACKENDS; b++) {
		free(s->pools[b].next);
		free(s->pools[b].rev);
	}
	free(s->src);
	free(s->map_tab.bucket);
	free(s->cid_tab.bucket);
	free(s->map_cold);
	free(s->maps);
	free(s->cids);
}

void wgw_sessions_set_quotas(struct wgw_sessions *s, uint32_t maps_per_src,
			     uint32_t cids_per_src)
{
	atomic_store_explicit(&s->quota_maps, maps_per_src, memory_order_relaxed);
	atomic_store_explicit(&s->quota_cids, cids_per_src, memory_order_relaxed);
}

/* ---- set-up ------------------------------------------------------------ */

/* Reserve one unit of a counted table; false when at the limit. */
static bool count_take(_Atomic uint32_t *n, _Atomic uint32_t *lim)
{
	uint32_t old = atomic_fetch_add_explicit(n, 1, memory_order_relaxed);

	if (old < atomic_load_explicit(lim, memory_order_relaxed))
		return true;
	atomic_fetch_sub_explicit(n, 1, memory_order_relaxed);
	return false;
}

/*
 * Charge one entry to a source's counter; false when it holds `quota`
 * already (0: no limit).  Reserve first, hand back on refusal, as
 * count_take(): two workers racing at the quota may both be refused, never
 * both admitted beyond it.  Counted also without a limit, so that a quota
 * set by a reload finds the counters right.
 */
static bool src_take(_Atomic uint32_t *n, const _Atomic uint32_t *quota)
{
	uint32_t lim = atomic_load_explicit(quota, memory_order_relaxed);
	uint32_t old = atomic_fetch_add_explicit(n, 1, memory_order_relaxed);

	if (!lim || old < lim)
		return true;
	atomic_fetch_sub_explicit(n, 1, memory_order_relaxed);
	return false;
}

/* Release what src_take() charged.  Every entry is charged once when it is
 * created and released once when it is unlinked (wgw_sessions_check()
 * recounts), so this never goes below 0. */
static void src_put(_Atomic uint32_t *n)
{
	atomic_fetch_sub_explicit(n, 1, memory_order_relaxed);
}

/* Take what a new entry needs, in this order: a charge on its source's
 * quota (src_n), a place under the table's limit (n), an entry off the free
 * stack.  The entry's index, or 0 with *err (-EDQUOT, -ENOSPC) and nothing
 * taken. */
static inline __attribute__((always_inline)) uint32_t
entry_take(_Atomic uint32_t *src_n, const _Atomic uint32_t *quota,
	   _Atomic uint32_t *n, _Atomic uint32_t *lim,
	   _Atomic uint64_t *free_head, void *base, size_t stride, int *err)
{
	uint32_t i;

	if (!src_take(src_n, quota)) {
		*err = -EDQUOT;
		return 0;
	}
	*err = -ENOSPC;
	if (!count_take(n, lim))
		goto unquota;
	i = stk_pop(free_head, base, stride);
	if (i)
		return i;
	atomic_fetch_sub_explicit(n, 1, memory_order_relaxed);
unquota:
	src_put(src_n);
	return 0;
}

int wgw_cid_learn(struct wgw_sessions *s, uint64_t cid, unsigned backend,
		  const union wgw_addr *src, uint32_t now, uint32_t *idx)
{
	uint32_t b = wgw_cid_bucket(s, cid), i, j;
	_Atomic uint32_t *lock = stripe(&s->cid_tab, b);
	uint16_t q = wgw_src_slot(s, src);
	struct wgw_cid_ent *c;
	int err;

	/* common race-free case first: someone else learned it */
	j = wgw_cid_find(s, cid);
	if (j) {
		*idx = j;
		return -EEXIST;
	}
	/* the source's quota before anything is taken from the table */
	i = entry_take(&s->src[q].cids, &s->quota_cids, &s->n_cids, &s->lim_cids,
		       &s->cid_free, CID_LINKS(s), &err);
	if (!i)
		return err;
	c = &s->cids[i];
	atomic_store_explicit(&c->state, WGW_ENT_NEW, memory_order_relaxed);
	c->cid = cid;
	c->backend = (uint8_t)backend;
	c->src = q;
	atomic_store_explicit(&c->hint, 0, memory_order_relaxed);
	atomic_store_explicit(&c->last_seen, now, memory_order_relaxed);

	spin_lock(lock);
	j = wgw_cid_find(s, cid);
	if (j) {
		spin_unlock(lock);
		atomic_store_explicit(&c->state, WGW_ENT_FREE, memory_order_relaxed);
		stk_push(&s->cid_free, CID_LINKS(s), i);
		*idx = j;
		err = -EEXIST;
		goto err_uncount;
	}
	atomic_store_explicit(&c->next,
			      atomic_load_explicit(&s->cid_tab.bucket[b], memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&c->state, WGW_ENT_LIVE, memory_order_release);
	/* publish: every field above is visible to whoever reads the head */
	atomic_store_explicit(&s->cid_tab.bucket[b], i, memory_order_release);
	spin_unlock(lock);

	atomic_fetch_add_explicit(&s->be_cids[backend], 1, memory_order_relaxed);
	*idx = i;
	return 0;

err_uncount:
	atomic_fetch_sub_explicit(&s->n_cids, 1, memory_order_relaxed);
	src_put(&s->src[q].cids);
	return err;
}

/*
 * The pool index handed out j-th by a fresh slot: port_lo on every NAT
 * address in turn, then port_lo + 1 on every address, and so on.  New
 * mappings spread over the addresses, and no address fills while another
 * is empty: LIFO reuse keeps the mix, since what is freed went out
 * interleaved.  With one address, the ports in ascending order.
 */
static inline uint32_t slot_order(const struct wgw_sessions *s, uint32_t j)
{
	return wgw_nat_idx(s, j % s->n_nat, (uint16_t)(s->port_lo + j / s->n_nat));
}

/* struct wgw_map_ent nat_csum_* and pseudo_csum of m on its slot.  The
 * sums are never 0 (the new words are added in full, a NAT address is
 * never 0, the protocol is not), so the folds are in [1, 0xffff]. */
static void map_csums(const struct wgw_sessions *s, const struct wgw_map_ent *m,
		      uint16_t *ip, uint16_t *udp, uint16_t *pseudo)
{
	const struct wgw_slot_nat *sn = &s->slot_nat[m->backend];
	uint64_t a = wgw_csum_sub16b(wgw_csum_sub16b(sn->addr_sum, m->client.b), m->vip.b);

	if (m->nat_k)	/* addr_sum has address 0 */
		a = wgw_csum_add16b(wgw_csum_sub16b(a, s->nat[0].b), s->nat[m->nat_k].b);
	*ip = wgw_fold64(a);
	a += wgw_ports_word(m->nat_port_be, sn->port_be);
	*udp = wgw_fold64(wgw_csum_sub32(a, wgw_ports_word(htons(m->cport), htons(m->vport))));
	*pseudo = wgw_fold64(wgw_csum_add16b(wgw_csum_add16b(htons(IPPROTO_UDP), m->client.b),
					     m->vip.b));
}

/* Fill mapping entry i (not yet linked): its key, backend, NAT address
 * (index nat_k of the pool) and port, the checksum changes, clocks. */
static inline __attribute__((always_inline)) void
map_fill(struct wgw_sessions *s, uint32_t i, const union wgw_addr *client, uint16_t cport,
	 const union wgw_addr *vip, uint16_t vport, unsigned backend, unsigned nat_k,
	 uint16_t nat_port, uint32_t created, uint32_t last_seen)
{
	struct wgw_map_ent *m = &s->maps[i];

	m->client = *client;
	m->vip = *vip;
	m->cport = cport;
	m->vport = vport;
	m->nat_k = (uint16_t)nat_k;
	m->backend = (uint8_t)backend;
	m->nat_port_be = htons(nat_port);
	map_csums(s, m, &m->nat_csum_ip, &m->nat_csum_udp, &m->pseudo_csum);
	s->map_cold[i].created = created;
	atomic_store_explicit(&m->last_cid, 0, memory_order_relaxed);
	atomic_store_explicit(&m->last_seen, last_seen, memory_order_relaxed);
}

/* Publish filled mapping i at the head of bucket b and in its port's
 * reverse index (rev): LIVE before either names it. */
static inline __attribute__((always_inline)) void
map_link(struct wgw_sessions *s, uint32_t i, uint32_t b, _Atomic uint32_t *rev)
{
	struct wgw_map_ent *m = &s->maps[i];

	atomic_store_explicit(&m->next,
			      atomic_load_explicit(&s->map_tab.bucket[b], memory_order_relaxed),
			      memory_order_relaxed);
	atomic_store_explicit(&m->state, WGW_ENT_LIVE, memory_order_release);
	/* reverse index first: a reply can only follow the forwarded packet,
	 * but both must name a complete entry */
	atomic_store_explicit(rev, i, memory_order_release);
	atomic_store_explicit(&s->map_tab.bucket[b], i, memory_order_release);
}

int wgw_map_create(struct wgw_sessions *s, uint64_t h,
		   const union wgw_addr *client, uint16_t cport,
		   const union wgw_addr *vip, uint16_t vport, unsigned backend,
		   uint32_t now, uint32_t *idx)
{
	struct wgw_port_pool *pp = &s->pools[backend];
	uint32_t b = wgw_map_bucket(s, h), i, j, pi;
	_Atomic uint32_t *lock = stripe(&s->map_tab, b);
	_Atomic uint32_t *quota = &s->src[wgw_src_slot(s, client)].maps;
	struct wgw_map_ent *m;
	int err;

	if (!pp->next)
		return -ENOENT;
	/* the source's quota before anything is taken from the table */
	i = entry_take(quota, &s->quota_maps, &s->n_maps, &s->lim_maps, &s->map_free,
		       MAP_LINKS(s), &err);
	if (!i) {
		/* another worker may just have made this very mapping */
		j = err == -EDQUOT ? wgw_map_find(s, h, client, cport, vip, vport,
						  (int)backend, NULL) : 0;
		if (j) {
			*idx = j;
			return -EEXIST;
		}
		return err;
	}
	pi = stk_pop(&pp->head, PORT_LINKS(pp));
	if (!pi) {
		atomic_fetch_add_explicit(&s->be_full[backend], 1, memory_order_relaxed);
		err = -EADDRNOTAVAIL;
		goto err_free_ent;
	}
	m = &s->maps[i];
	atomic_store_explicit(&m->state, WGW_ENT_NEW, memory_order_relaxed);
	map_fill(s, i, client, cport, vip, vport, backend, (pi - 1) / s->n_ports,
		 (uint16_t)(s->port_lo + (pi - 1) % s->n_ports), now, now);

	spin_lock(lock);
	j = wgw_map_find(s, h, client, cport, vip, vport, (int)backend, NULL);
	if (j) {
		spin_unlock(lock);
		*idx = j;
		err = -EEXIST;
		goto err_free_port;
	}
	map_link(s, i, b, &pp->rev[pi]);
	spin_unlock(lock);

	atomic_fetch_add_explicit(&s->be_maps[backend], 1, memory_order_relaxed);
	*idx = i;
	return 0;

err_free_port:
	stk_push(&pp->head, PORT_LINKS(pp), pi);
err_free_ent:
	atomic_store_explicit(&s->maps[i].state, WGW_ENT_FREE, memory_order_relaxed);
	stk_push(&s->map_free, MAP_LINKS(s), i);
	atomic_fetch_sub_explicit(&s->n_maps, 1, memory_order_relaxed);
	src_put(quota);
	return err;
}

/* ---- restore (control thread, no worker running) ------------------------ */

int wgw_map_restore(struct wgw_sessions *s, uint64_t h,
		    const union wgw_addr *client, uint16_t cport,
		    const union wgw_addr *vip, uint16_t vport, unsigned backend,
		    unsigned nat_k, uint16_t nat_port, uint32_t last_seen, uint32_t created,
		    uint32_t *idx)
{
	struct wgw_port_pool *pp = &s->pools[backend];
	uint32_t b = wgw_map_bucket(s, h), i, pi;
	_Atomic uint32_t *quota = &s->src[wgw_src_slot(s, client)].maps;
	int err;

	if (!pp->next)
		return -ENOENT;
	if (nat_port < s->port_lo || (uint32_t)(nat_port - s->port_lo) >= s->n_ports ||
	    nat_k >= s->n_nat)
		return -ERANGE;
	pi = wgw_nat_idx(s, nat_k, nat_port);
	if (atomic_load_explicit(&pp->rev[pi], memory_order_relaxed) ||
	    wgw_map_find(s, h, client, cport, vip, vport, (int)backend, NULL))
		return -EEXIST;
	i = entry_take(quota, &s->quota_maps, &s->n_maps, &s->lim_maps, &s->map_free,
		       MAP_LINKS(s), &err);
	if (!i)
		return err;
	map_fill(s, i, client, cport, vip, vport, backend, nat_k, nat_port, created, last_seen);
	/* The port is still on the free stack: wgw_sessions_pool_rebuild()
	 * takes it off once every mapping is restored. */
	map_link(s, i, b, &pp->rev[pi]);
	atomic_fetch_add_explicit(&s->be_maps[backend], 1, memory_order_relaxed);
	*idx = i;
	return 0;
}

void wgw_sessions_pool_rebuild(struct wgw_sessions *s, unsigned slot)
{
	struct wgw_port_pool *pp = &s->pools[slot];
	uint32_t top = 0;

	if (!pp->next)
		return;
	/* Backwards through the order of wgw_sessions_slot_init(), so that
	 * free pairs are handed out in that order. */
	for (uint32_t j = s->n_slots; j >= 1; j--) {
		uint32_t pi = slot_order(s, j - 1);

		if (atomic_load_explicit(&pp->rev[pi], memory_order_relaxed))
			continue;
		atomic_store_explicit(&pp->next[pi], top, memory_order_relaxed);
		top = pi;
	}
	atomic_store_explicit(&pp->head, ((atomic_load(&pp->head) >> 32) + 1) << 32 | top,
			      memory_order_release);
}

/* ---- unlink (control thread) ------------------------------------------ */

/* Unlink entry i from the chain at bucket b (lock held).  The entry keeps
 * its own link so a reader standing on it walks on. */
static bool chain_unlink(_Atomic uint32_t *head, void *base, size_t stride,
			 size_t next_off, uint32_t i)
{
	_Atomic uint32_t *pp = head;
	uint32_t j;

	while ((j = atomic_load_explicit(pp, memory_order_relaxed)) != 0) {
		_Atomic uint32_t *jn = (_Atomic uint32_t *)((char *)base + (size_t)j * stride + next_off);

		if (j == i) {
			atomic_store_explicit(pp, atomic_load_explicit(jn, memory_order_relaxed),
					      memory_order_release);
			return true;
		}
		pp = jn;
	}
	return false;
}

static void cid_unlink(struct wgw_sessions *s, uint32_t i)
{
	struct wgw_cid_ent *c = &s->cids[i];
	uint32_t b = wgw_cid_bucket(s, c->cid);
	_Atomic uint32_t *lock = stripe(&s->cid_tab, b);

	spin_lock(lock);
	chain_unlink(&s->cid_tab.bucket[b], s->cids, sizeof(*c),
		     offsetof(struct wgw_cid_ent, next), i);
	atomic_store_explicit(&c->state, WGW_ENT_DEAD, memory_order_relaxed);
	spin_unlock(lock);

	atomic_fetch_sub_explicit(&s->be_cids[c->backend], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&s->n_cids, 1, memory_order_relaxed);
	src_put(&s->src[c->src].cids);
	atomic_store_explicit(&c->free_next, s->fresh.cids, memory_order_relaxed);
	s->fresh.cids = i;
	s->fresh.n_cids++;
}

static void map_unlink(struct wgw_sessions *s, uint32_t i)
{
	struct wgw_map_ent *m = &s->maps[i];
	struct wgw_port_pool *pp = &s->pools[m->backend];
	uint32_t pi = wgw_nat_idx(s, m->nat_k, wgw_map_nat_port(m)), expect = i;
	uint32_t b = wgw_map_bucket(s, wgw_map_hash(s, &m->client, m->cport, &m->vip, m->vport));
	_Atomic uint32_t *lock = stripe(&s->map_tab, b);

	spin_lock(lock);
	chain_unlink(&s->map_tab.bucket[b], s->maps, sizeof(*m),
		     offsetof(struct wgw_map_ent, next), i);
	atomic_store_explicit(&m->state, WGW_ENT_DEAD, memory_order_relaxed);
	spin_unlock(lock);
	/* the port stays allocated until the entry is freed */
	atomic_compare_exchange_strong(&pp->rev[pi], &expect, 0);

	atomic_fetch_sub_explicit(&s->be_maps[m->backend], 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&s->n_maps, 1, memory_order_relaxed);
	src_put(&s->src[wgw_src_slot(s, &m->client)].maps);
	atomic_store_explicit(&s->map_cold[i].free_next, s->fresh.maps, memory_order_relaxed);
	s->fresh.maps = i;
	s->fresh.n_maps++;
}

static bool idle_for(_Atomic uint32_t *last_seen, uint32_t now, uint32_t idle_s)
{
	/* signed: a worker's clock read may be a little ahead of ours */
	int32_t age = (int32_t)(now - atomic_load_explicit(last_seen, memory_order_relaxed));

	return age >= (int32_t)idle_s;
}

/* ---- reclamation ------------------------------------------------------- */

static void limbo_free(struct wgw_sessions *s, struct wgw_limbo *l,
		       struct wgw_expire_result *res)
{
	uint32_t i, n;

	for (i = l->cids; i; i = n) {
		struct wgw_cid_ent *c = &s->cids[i];

		n = atomic_load_explicit(&c->free_next, memory_order_relaxed);
		atomic_store_explicit(&c->state, WGW_ENT_FREE, memory_order_relaxed);
		stk_push(&s->cid_free, CID_LINKS(s), i);
		if (res)
			res->freed_cids++;
	}
	for (i = l->maps; i; i = n) {
		struct wgw_map_ent *m = &s->maps[i];
		struct wgw_port_pool *pp = &s->pools[m->backend];

		n = atomic_load_explicit(&s->map_cold[i].free_next, memory_order_relaxed);
		atomic_store_explicit(&m->state, WGW_ENT_FREE, memory_order_relaxed);
		stk_push(&pp->head, PORT_LINKS(pp), wgw_nat_idx(s, m->nat_k, wgw_map_nat_port(m)));
		stk_push(&s->map_free, MAP_LINKS(s), i);
		if (res)
			res->freed_maps++;
	}
	memset(l, 0, sizeof(*l));
}

void wgw_sessions_reclaim(struct wgw_sessions *s, struct wgw_qsbr *q, bool synced,
			  struct wgw_expire_result *res)
{
	if (synced) {
		limbo_free(s, &s->waiting, res);
		limbo_free(s, &s->fresh, res);
		s->has_waiting = false;
		return;
	}
	if (s->has_waiting && wgw_qsbr_poll(q, s->gp_target)) {
		limbo_free(s, &s->waiting, res);
		s->has_waiting = false;
	}
	if (!s->has_waiting && (s->fresh.cids || s->fresh.maps)) {
		s->waiting = s->fresh;
		memset(&s->fresh, 0, sizeof(s->fresh));
		s->gp_target = wgw_qsbr_start(q);
		s->has_waiting = true;
	}
}

/* Look at up to budget entries of one table from *cursor on, and unlink
 * those live and idle for idle_s.  The table's entries are stride bytes
 * apart; state and last_seen point into entry 0.  How many were unlinked. */
static uint32_t expire_walk(struct wgw_sessions *s, uint32_t *cursor, uint32_t cap,
			    uint32_t budget, uint32_t now, uint32_t idle_s,
			    _Atomic uint8_t *state, _Atomic uint32_t *last_seen, size_t stride,
			    void (*unlink)(struct wgw_sessions *, uint32_t))
{
	uint32_t gone = 0;

	for (uint32_t n = 0; n < budget && n < cap; n++) {
		uint32_t i = *cursor;
		_Atomic uint8_t *st = (_Atomic uint8_t *)((char *)state + (size_t)i * stride);
		_Atomic uint32_t *seen = (_Atomic uint32_t *)((char *)last_seen + (size_t)i * stride);

		*cursor = i < cap ? i + 1 : 1;
		if (atomic_load_explicit(st, memory_order_acquire) == WGW_ENT_LIVE &&
		    idle_for(seen, now, idle_s)) {
			unlink(s, i);
			gone++;
		}
	}
	return gone;
}

void wgw_sessions_expire(struct wgw_sessions *s, struct wgw_qsbr *q, uint32_t now,
			 uint32_t budget, uint32_t cid_idle_s, uint32_t map_idle_s,
			 struct wgw_expire_result *res)
{
	memset(res, 0, sizeof(*res));
	res->maps = expire_walk(s, &s->map_cursor, s->cap_maps, budget, now, map_idle_s,
				&s->maps[0].state, &s->maps[0].last_seen, sizeof(s->maps[0]),
				map_unlink);
	res->cids = expire_walk(s, &s->cid_cursor, s->cap_cids, budget, now, cid_idle_s,
				&s->cids[0].state, &s->cids[0].last_seen, sizeof(s->cids[0]),
				cid_unlink);
	wgw_sessions_reclaim(s, q, false, res);
}

/* ---- backend slots ----------------------------------------------------- */

int wgw_sessions_slot_init(struct wgw_sessions *s, unsigned slot)
{
	struct wgw_port_pool *pp = &s->pools[slot];
	uint32_t n = s->n_slots;

	if (!pp->next) {
		size_t acct = 0;

		pp->next = alloc_zeroed(n + 1, sizeof(*pp->next), &acct);
		pp->rev = alloc_zeroed(n + 1, sizeof(*pp->rev), &acct);
		if (!pp->next || !pp->rev) {
			free(pp->next);
			free(pp->rev);
			pp->next = pp->rev = NULL;
			return -ENOMEM;
		}
		s->mem_bytes += acct;
	}
	atomic_store_explicit(&s->be_full[slot], 0, memory_order_relaxed);
	/* ascending ports, each on every address in turn (slot_order()) */
	for (uint32_t j = 0; j < n; j++) {
		uint32_t pi = slot_order(s, j);

		atomic_store_explicit(&pp->next[pi], j + 1 < n ? slot_order(s, j + 1) : 0,
				      memory_order_relaxed);
		atomic_store_explicit(&pp->rev[pi], 0, memory_order_relaxed);
	}
	atomic_store_explicit(&pp->head,
			      ((atomic_load(&pp->head) >> 32) + 1) << 32 | slot_order(s, 0),
			      memory_order_release);
	return 0;
}

void wgw_sessions_slot_purge(struct wgw_sessions *s, unsigned slot)
{
	for (uint32_t i = 1; i <= s->cap_maps; i++)
		if (atomic_load_explicit(&s->maps[i].state, memory_order_acquire) == WGW_ENT_LIVE &&
		    s->maps[i].backend == slot)
			map_unlink(s, i);
	for (uint32_t i = 1; i <= s->cap_cids; i++)
		if (atomic_load_explicit(&s->cids[i].state, memory_order_acquire) == WGW_ENT_LIVE &&
		    s->cids[i].backend == slot)
			cid_unlink(s, i);
}

/* ---- consistency check ------------------------------------------------- */

#define CHECK(cond, ...)                                        \
	do {                                                    \
		if (!(cond)) {                                  \
			snprintf(err, errlen, __VA_ARGS__);     \
			err_ret = -EUCLEAN;                     \
			goto out;                               \
		}                                               \
	} while (0)

/* Walk a free stack marking mark[i]; false on a loop or a repeat. */
static uint32_t stk_walk(_Atomic uint64_t *head, void *base, size_t stride, uint8_t *mark,
			 uint32_t max, uint8_t tag)
{
	uint32_t n = 0;

	for (uint32_t i = (uint32_t)atomic_load(head); i;
	     i = atomic_load_explicit(LINK(base, stride, i), memory_order_relaxed)) {
		if (i > max || mark[i] || ++n > max)
			return UINT32_MAX;
		mark[i] = tag;
	}
	return n;
}

/* Mark the free list (stack at head) and the two limbo lists (linked
 * through the same links): the free entries' count, *limbo the limbo's,
 * or UINT32_MAX if an entry is on two of them, or a list loops. */
static uint32_t free_and_limbo(_Atomic uint64_t *head, void *base, size_t stride, uint32_t max,
			       uint32_t fresh, uint32_t waiting, uint8_t *mark, uint32_t *limbo)
{
	uint32_t n = stk_walk(head, base, stride, mark, max, 1), l = 0;
	const uint32_t lists[2] = { fresh, waiting };

	if (n == UINT32_MAX)
		return n;
	for (unsigned k = 0; k < 2; k++)
		for (uint32_t i = lists[k]; i;
		     i = atomic_load_explicit(LINK(base, stride, i), memory_order_relaxed)) {
			if (i > max || mark[i]++ || ++l > max)
				return UINT32_MAX;
		}
	*limbo = l;
	return n;
}

int wgw_sessions_check(struct wgw_sessions *s, const bool *slot_in_use, char *err,
		       size_t errlen)
{
	uint32_t cap = s->cap_cids > s->cap_maps ? s->cap_cids : s->cap_maps;
	uint32_t be_maps[WGW_MAX_BACKENDS] = { 0 }, be_cids[WGW_MAX_BACKENDS] = { 0 };
	uint32_t live, limbo, n, i;
	uint8_t *mark = calloc((size_t)(cap > s->n_slots ? cap : s->n_slots) + 1, 1);
	struct { uint32_t maps, cids; } *src = calloc(WGW_SRC_SLOTS, sizeof(*src));
	int err_ret = 0;

	if (!mark || !src) {
		free(mark);
		free(src);
		return -ENOMEM;
	}
	err[0] = 0;

	/* CIDs: free + limbo + live = capacity, each exactly once */
	n = free_and_limbo(&s->cid_free, CID_LINKS(s), s->cap_cids, s->fresh.cids,
			   s->has_waiting ? s->waiting.cids : 0, mark, &limbo);
	CHECK(n != UINT32_MAX, "CID free list or limbo is corrupt (loop or repeat)");
	live = 0;
	for (i = 1; i <= s->cap_cids; i++) {
		struct wgw_cid_ent *c = &s->cids[i];
		uint8_t st = atomic_load(&c->state);

		if (st != WGW_ENT_LIVE) {
			CHECK(mark[i], "CID entry %u (state %u) is neither live, free nor in limbo",
			      i, st);
			continue;
		}
		CHECK(!mark[i], "live CID entry %u is also free or in limbo", i);
		CHECK(wgw_cid_find(s, c->cid) == i, "live CID %016llx (entry %u) not found",
		      (unsigned long long)c->cid, i);
		CHECK(slot_in_use[c->backend], "CID %016llx bound to free slot %u",
		      (unsigned long long)c->cid, c->backend);
		CHECK(atomic_load(&c->hint) <= s->cap_maps, "CID %016llx: hint %u out of range",
		      (unsigned long long)c->cid, atomic_load(&c->hint));
		be_cids[c->backend]++;
		src[c->src].cids++;
		live++;
	}
	CHECK(live + limbo + n == s->cap_cids, "CIDs: %u live + %u limbo + %u free != %u",
	      live, limbo, n, s->cap_cids);
	CHECK(live == atomic_load(&s->n_cids), "CIDs: %u live, counter says %u", live,
	      atomic_load(&s->n_cids));

	/* mappings, the same */
	memset(mark, 0, (size_t)cap + 1);
	n = free_and_limbo(&s->map_free, MAP_LINKS(s), s->cap_maps, s->fresh.maps,
			   s->has_waiting ? s->waiting.maps : 0, mark, &limbo);
	CHECK(n != UINT32_MAX, "mapping free list or limbo is corrupt (loop or repeat)");
	live = 0;
	for (i = 1; i <= s->cap_maps; i++) {
		struct wgw_map_ent *m = &s->maps[i];
		uint8_t st = atomic_load(&m->state);
		uint16_t csum_ip, csum_udp, pseudo;
		uint64_t h;

		if (st != WGW_ENT_LIVE) {
			CHECK(mark[i], "mapping %u (state %u) is neither live, free nor in limbo",
			      i, st);
			continue;
		}
		CHECK(!mark[i], "live mapping %u is also free or in limbo", i);
		h = wgw_map_hash(s, &m->client, m->cport, &m->vip, m->vport);
		CHECK(wgw_map_find(s, h, &m->client, m->cport, &m->vip, m->vport, m->backend,
				   NULL) == i, "live mapping %u not found by its key", i);
		CHECK(slot_in_use[m->backend], "mapping %u on free slot %u", i, m->backend);
		CHECK(wgw_map_rev(s, m->backend, m->nat_k, wgw_map_nat_port(m)) == i,
		      "mapping %u: NAT address %u port %u of slot %u points elsewhere", i,
		      m->nat_k, wgw_map_nat_port(m), m->backend);
		map_csums(s, m, &csum_ip, &csum_udp, &pseudo);
		CHECK(m->nat_csum_ip == csum_ip && m->nat_csum_udp == csum_udp &&
		      m->pseudo_csum == pseudo,
		      "mapping %u: checksums %04x/%04x/%04x, expected %04x/%04x/%04x", i,
		      m->nat_csum_ip, m->nat_csum_udp, m->pseudo_csum, csum_ip, csum_udp, pseudo);
		be_maps[m->backend]++;
		src[wgw_src_slot(s, &m->client)].maps++;
		live++;
	}
	CHECK(live + limbo + n == s->cap_maps, "mappings: %u live + %u limbo + %u free != %u",
	      live, limbo, n, s->cap_maps);
	CHECK(live == atomic_load(&s->n_maps), "mappings: %u live, counter says %u", live,
	      atomic_load(&s->n_maps));

	/* per-source counters: exactly the live entries charged to them (a
	 * leak would shrink a source's quota for good, an underflow lift it) */
	for (i = 0; i < WGW_SRC_SLOTS; i++) {
		CHECK(src[i].maps == atomic_load(&s->src[i].maps),
		      "source slot %u: %u mappings, counter says %u", i, src[i].maps,
		      atomic_load(&s->src[i].maps));
		CHECK(src[i].cids == atomic_load(&s->src[i].cids),
		      "source slot %u: %u CIDs, counter says %u", i, src[i].cids,
		      atomic_load(&s->src[i].cids));
	}

	/* NAT ports of every slot: free + used by a live or limbo mapping =
	 * all, each once; no reverse entry names a mapping that is not live
	 * on that port */
	for (unsigned b = 0; b < WGW_MAX_BACKENDS; b++) {
		struct wgw_port_pool *pp = &s->pools[b];
		uint32_t used = 0;

		CHECK(be_maps[b] == atomic_load(&s->be_maps[b]),
		      "slot %u: %u mappings, counter says %u", b, be_maps[b],
		      atomic_load(&s->be_maps[b]));
		CHECK(be_cids[b] == atomic_load(&s->be_cids[b]),
		      "slot %u: %u CIDs, counter says %u", b, be_cids[b],
		      atomic_load(&s->be_cids[b]));
		if (!pp->next || !slot_in_use[b])
			continue;
		memset(mark, 0, (size_t)s->n_slots + 1);
		n = stk_walk(&pp->head, PORT_LINKS(pp), mark, s->n_slots, 1);
		CHECK(n != UINT32_MAX, "slot %u: NAT port free list is corrupt", b);
		for (i = 1; i <= s->cap_maps; i++) {
			struct wgw_map_ent *m = &s->maps[i];
			uint8_t st = atomic_load(&m->state);
			uint32_t pi;

			if ((st != WGW_ENT_LIVE && st != WGW_ENT_DEAD) || m->backend != b)
				continue;
			CHECK((uint32_t)(wgw_map_nat_port(m) - s->port_lo) < s->n_ports &&
			      m->nat_k < s->n_nat, "mapping %u: NAT address %u port %u out of range",
			      i, m->nat_k, wgw_map_nat_port(m));
			pi = wgw_nat_idx(s, m->nat_k, wgw_map_nat_port(m));
			CHECK(!mark[pi], "slot %u: NAT address %u port %u used twice or also free", b,
			      m->nat_k, wgw_map_nat_port(m));
			mark[pi] = 2;
			used++;
		}
		CHECK(n + used == s->n_slots, "slot %u: %u free + %u used NAT ports != %u", b, n,
		      used, s->n_slots);
		for (uint32_t pi = 1; pi <= s->n_slots; pi++) {
			uint32_t mi = atomic_load(&pp->rev[pi]);

			CHECK(!mi || (atomic_load(&s->maps[mi].state) == WGW_ENT_LIVE &&
				      s->maps[mi].backend == b &&
				      wgw_nat_idx(s, s->maps[mi].nat_k,
						  wgw_map_nat_port(&s->maps[mi])) == pi),
			      "slot %u: NAT pool index %u names mapping %u which does not own it",
			      b, pi, mi);
		}
	}
out:
	free(src);
	free(mark);
	return err_ret;
}
