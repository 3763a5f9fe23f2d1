/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The engine's session state: the CID table (CID -> backend) and the NAT
 * mapping table ((client endpoint, VIP endpoint, backend) <-> (backend, NAT
 * port P)), with their free lists, the per-backend NAT port pools and the
 * reverse index (backend, P) -> mapping.
 *
 * Everything is allocated at creation (fixed capacity, fixed bucket count);
 * the per-backend port arrays when a backend slot is first used (an admin
 * operation).  Nothing here allocates or makes a syscall afterwards.
 *
 * Concurrency
 *  - Lookups (wgw_cid_find, wgw_map_find, wgw_map_rev) take no lock and
 *    write nothing shared: RCU-style chains of 32-bit indices, published
 *    with release stores, read with acquire loads.  The caller must be an
 *    online QSBR reader (see qsbr.h) of the domain given to reclaim.
 *  - Inserts (wgw_cid_learn, wgw_map_create), from any worker: entries and
 *    NAT ports come from lock-free stacks (Treiber, 32-bit ABA tag); the
 *    check-for-duplicate-and-link step takes a spinlock striped by bucket,
 *    so two workers that see the same new endpoint or CID at once agree on
 *    one entry.  Set-up only, never per packet.
 *  - Per-source quotas (wgw_src_slot): a fixed table of atomic counters,
 *    charged by the inserts before they take anything and released by
 *    unlink; no lock.
 *  - Unlink (expiry, purge): control thread only, one at a time, under the
 *    same stripe locks.  Unlinked entries keep their chain link intact and
 *    wait in a limbo list for a grace period before they and their NAT
 *    port are reused (wgw_sessions_reclaim).
 *
 * Entry indices start at 1; 0 means "none".
 */
#ifndef WGW_SESSIONS_H
#define WGW_SESSIONS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/qsbr.h"

#define WGW_MAX_BACKENDS 256		/* backend slots; a slot is a uint8_t */
#define WGW_SESS_MAX_ENTRIES (1U << 26) /* per table */
#define WGW_HTAB_LOCKS 1024		/* spinlock stripes per table */
#define WGW_BACKEND_ANY (-1)		/* wgw_map_find(): any live backend */
#define WGW_SRC_SLOTS (1U << 16)	/* per-source quota counters, see
					 * wgw_src_slot(); a slot is a uint16_t */
#define WGW_NAT_MAX 256			/* NAT addresses in the pool */

enum wgw_ent_state {
	WGW_ENT_FREE = 0,	/* on the free list */
	WGW_ENT_NEW,		/* taken by a worker, being filled */
	WGW_ENT_LIVE,		/* linked in its table */
	WGW_ENT_DEAD,		/* unlinked, waiting for a grace period */
};

/* 32 bytes: two per cache line. */
struct wgw_cid_ent {
	uint64_t cid;
	_Atomic uint32_t next;	     /* hash chain */
	_Atomic uint32_t last_seen;  /* s, monotonic; written by workers */
	_Atomic uint32_t free_next;  /* free list / limbo link */
	_Atomic uint32_t hint;	     /* mapping last used with this CID: a
				      * guess, checked before use (wgw_map_hint);
				      * 0 or an index <= cap_maps, and
				      * maps[0] is never live */
	_Atomic uint8_t state;	     /* enum wgw_ent_state */
	uint8_t backend;	     /* slot */
	uint16_t src;		     /* quota counter it is charged to: the
				      * wgw_src_slot() of the client of the
				      * mapping it was learned on */
};

/* One cache line. */
struct wgw_map_ent {
	union wgw_addr client;	     /* client endpoint */
	union wgw_addr vip;	     /* the VIP endpoint it used */
	uint16_t cport, vport;	     /* host order */
	uint16_t nat_k;		     /* its NAT address: s->nat[nat_k] */
	uint8_t backend;	     /* slot */
	_Atomic uint8_t state;	     /* enum wgw_ent_state */
	_Atomic uint32_t next;	     /* hash chain */
	_Atomic uint32_t last_seen;  /* s, monotonic; written by workers */
	/*
	 * The NAT rewrite's checksum change, fixed for the mapping's life:
	 * RFC 1624's ~m + m' of the LAN-bound rewrite, which removes client
	 * and VIP (for nat_csum_udp also cport and vport) and writes NAT
	 * address and backend (P and the backend port), folded to [1,
	 * 0xffff].  Per packet a checksum takes one 16-bit add
	 * (wgw_csum_apply16(), csum_internal.h), towards the WAN of the
	 * negation (wgw_csum_neg16()).
	 */
	uint16_t nat_csum_ip, nat_csum_udp;
	/* The folded pseudo-header sum of client, VIP and protocol (UDP),
	 * in [1, 0xffff], which a CHECKSUM_PARTIAL datagram of this mapping
	 * carries with its length added (wgw_csum_apply16()). */
	uint16_t pseudo_csum;
	uint16_t nat_port_be;	     /* P, network order (wgw_map_nat_port()) */
	_Atomic uint64_t last_cid;   /* CID of the last reply handled in full
				      * (0: none), see wgw_engine_from_backend */
} __attribute__((aligned(WGW_CACHELINE)));

_Static_assert(sizeof(struct wgw_map_ent) == WGW_CACHELINE, "a mapping is one cache line");
_Static_assert(offsetof(struct wgw_map_ent, vport) == offsetof(struct wgw_map_ent, cport) + 2,
	       "cport and vport load as one word");
_Static_assert(sizeof(struct wgw_cid_ent) == 32, "two CID entries per cache line");

/* The read-mostly fields and the writers' locks on separate cache lines. */
struct wgw_htab {
	_Atomic uint32_t *bucket;    /* entry index of the chain head */
	unsigned shift;		     /* 64 - log2(buckets) */
	uint32_t n_buckets;
	_Atomic uint32_t locks[WGW_HTAB_LOCKS] __attribute__((aligned(WGW_CACHELINE)));
};

/* NAT (address, port) pairs of one backend slot: a lock-free stack of
 * free pair indices (wgw_nat_idx(): address k's ports follow address
 * k - 1's) and the reverse index.  The stack head, written at every
 * set-up, is kept off the line every reply packet reads. */
struct wgw_port_pool {
	_Atomic uint32_t *next;	     /* [n_slots + 1] */
	_Atomic uint32_t *rev;	     /* [n_slots + 1]: mapping index or 0 */
	_Atomic uint64_t head __attribute__((aligned(WGW_CACHELINE)));
};

struct wgw_limbo {
	uint32_t cids, maps;	     /* list heads (free_next links) */
	uint32_t n_cids, n_maps;
};

/* What a mapping keeps off its cache line: set-up and control only. */
struct wgw_map_cold {
	_Atomic uint32_t free_next;  /* free list / limbo link */
	uint32_t created;	     /* s, monotonic; for introspection */
};

/* What the LAN-bound rewrite writes on a backend slot, for nat_csum_*:
 * every 32-bit word of the NAT address and of the backend's address,
 * summed, and the backend's port in network order. */
struct wgw_slot_nat {
	uint64_t addr_sum;
	uint16_t port_be;
};

/*
 * What one source (IPv4: an address; IPv6: a /64) holds now.  Sources are
 * counted by a keyed hash into WGW_SRC_SLOTS slots: two sources that share
 * a slot share its quota.  With 64K slots and a key an attacker does not
 * know, a flooding source shares its slot with a given honest source with
 * probability 1/65536, and cannot choose whom; the honest source then still
 * has every entry it already holds.
 */
struct wgw_src_count {
	_Atomic uint32_t maps, cids;
};

struct wgw_sessions_cfg {
	uint32_t max_cids, max_mappings;    /* capacity */
	uint32_t maps_per_src, cids_per_src; /* quotas, 0: no limit */
	uint16_t nat_port_lo, nat_port_hi;  /* host order, inclusive */
	const union wgw_addr *nat;	    /* the NAT addresses, [n_nat] */
	unsigned n_nat;			    /* <= WGW_NAT_MAX; 0: one, nat unused */
	const uint64_t *key;		    /* 6 random words, or NULL: getrandom() */
};

struct wgw_sessions {
	_Atomic uint64_t cid_free __attribute__((aligned(WGW_CACHELINE)));
	_Atomic uint64_t map_free __attribute__((aligned(WGW_CACHELINE)));
	_Atomic uint32_t n_cids __attribute__((aligned(WGW_CACHELINE)));
	_Atomic uint32_t n_maps;
	_Atomic uint32_t lim_cids, lim_maps; /* <= capacity, for reload */
	_Atomic uint32_t quota_maps, quota_cids; /* per source, 0: none; reload */

	/* read-mostly */
	struct wgw_cid_ent *cids __attribute__((aligned(WGW_CACHELINE)));
	struct wgw_map_ent *maps;
	uint32_t cap_cids, cap_maps;
	uint16_t port_lo;
	uint32_t n_ports;	     /* per NAT address */
	unsigned n_nat;		     /* NAT addresses, >= 1 */
	uint32_t n_slots;	     /* (address, port) pairs: n_nat * n_ports */
	uint64_t key[6];
	uint64_t src_key[2];	     /* wgw_src_slot(), derived from key */
	struct wgw_htab cid_tab, map_tab;
	struct wgw_src_count *src;   /* [WGW_SRC_SLOTS], written at set-up
				      * and unlink only */

	struct wgw_map_cold *map_cold; /* [cap_maps + 1] */
	/* set by the owner of the slots before wgw_sessions_slot_init();
	 * addr_sum with nat[0] */
	struct wgw_slot_nat slot_nat[WGW_MAX_BACKENDS];
	union wgw_addr nat[WGW_NAT_MAX]; /* [n_nat]; only nat_csum_* read it */

	struct wgw_port_pool pools[WGW_MAX_BACKENDS];
	_Atomic uint32_t be_maps[WGW_MAX_BACKENDS]; /* live mappings per slot */
	_Atomic uint32_t be_cids[WGW_MAX_BACKENDS]; /* live CIDs per slot */
	_Atomic uint64_t be_full[WGW_MAX_BACKENDS]; /* new mappings refused:
						     * the slot's pool was
						     * exhausted */

	/* control thread only */
	uint32_t cid_cursor, map_cursor;
	struct wgw_limbo fresh;	     /* unlinked since the last grace period start */
	struct wgw_limbo waiting;    /* unlinked before gp_target started */
	uint64_t gp_target;
	bool has_waiting;
	size_t mem_bytes;	     /* allocated by create and slot init */
};

int wgw_sessions_init(struct wgw_sessions *s, const struct wgw_sessions_cfg *cfg);
void wgw_sessions_fini(struct wgw_sessions *s);

/* ---- reader side: no locks, no writes to shared lines ---------------- */

static inline uint32_t wgw_cid_bucket(const struct wgw_sessions *s, uint64_t cid)
{
	/* multiply-shift (Dietzfelbinger): universal for a random odd key */
	return (uint32_t)(((cid ^ s->key[0]) * s->key[1]) >> s->cid_tab.shift);
}

static inline uint64_t wgw_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t wgw_map_hash(const struct wgw_sessions *s,
				    const union wgw_addr *client, uint16_t cport,
				    const union wgw_addr *vip, uint16_t vport)
{
	/*
	 * Full 64x64->128 products folded to 64 bits (wyhash's "mum"), with
	 * random keys.  A truncated 64-bit product let an IPv4 address (the
	 * top half of client->q[1]) reach only the product's top bits:
	 * 65536 consecutive client addresses with 16 ports each fell in
	 * 7912 of 131072 buckets (tests/bench engine_bench --clustered).
	 */
	uint64_t h = wgw_mum(client->q[0] ^ s->key[2], client->q[1] ^ s->key[3]);

	h ^= wgw_mum(vip->q[0] ^ s->key[4], vip->q[1] ^ s->key[5]);
	return wgw_mum(h ^ ((uint64_t)cport << 16 | vport), s->key[1] | 1);
}

/*
 * The quota counter of a client address: IPv4 by its address, IPv6 by its
 * /64 (one subscriber's prefix: an attacker has 2^64 addresses in it).
 * Keyed, so which sources share a counter cannot be chosen from outside.
 */
static inline uint16_t wgw_src_slot(const struct wgw_sessions *s, const union wgw_addr *a)
{
	uint64_t k = wgw_addr_is_v4(a) ? a->q[1] : a->q[0];

	return (uint16_t)(wgw_mum(k ^ s->src_key[0], s->src_key[1]) >> 48);
}

static inline uint32_t wgw_map_bucket(const struct wgw_sessions *s, uint64_t h)
{
	return (uint32_t)(h >> s->map_tab.shift);
}

/* The live entry for cid, or 0. */
static inline uint32_t wgw_cid_find(const struct wgw_sessions *s, uint64_t cid)
{
	uint32_t i = atomic_load_explicit(&s->cid_tab.bucket[wgw_cid_bucket(s, cid)],
					  memory_order_acquire);

	while (i) {
		const struct wgw_cid_ent *c = &s->cids[i];

		if (c->cid == cid &&
		    atomic_load_explicit(&c->state, memory_order_relaxed) == WGW_ENT_LIVE)
			return i;
		i = atomic_load_explicit(&c->next, memory_order_acquire);
	}
	return 0;
}

static inline bool wgw_map_key_eq(const struct wgw_map_ent *m,
				  const union wgw_addr *client, uint16_t cport,
				  const union wgw_addr *vip, uint16_t vport)
{
	return m->cport == cport && m->vport == vport &&
	       wgw_addr_eq(&m->client, client) && wgw_addr_eq(&m->vip, vip);
}

/*
 * The live mapping of (client, vip) on backend slot `backend`, or with
 * WGW_BACKEND_ANY the most recently created one whose slot is accepted by
 * ok[] (ok == NULL: any).  h from wgw_map_hash().
 */
static inline uint32_t wgw_map_find(const struct wgw_sessions *s, uint64_t h,
				    const union wgw_addr *client, uint16_t cport,
				    const union wgw_addr *vip, uint16_t vport,
				    int backend, const _Atomic uint8_t *ok)
{
	uint32_t i = atomic_load_explicit(&s->map_tab.bucket[wgw_map_bucket(s, h)],
					  memory_order_acquire);

	while (i) {
		const struct wgw_map_ent *m = &s->maps[i];

		if (wgw_map_key_eq(m, client, cport, vip, vport) &&
		    atomic_load_explicit(&m->state, memory_order_relaxed) == WGW_ENT_LIVE &&
		    (backend == WGW_BACKEND_ANY ? !ok || ok[m->backend]
						: m->backend == backend))
			return i;
		i = atomic_load_explicit(&m->next, memory_order_acquire);
	}
	return 0;
}

/*
 * The mapping index `hint` if it is the live mapping of (client, vip) on
 * `backend`, else 0.  Lets a known-CID packet skip hashing the endpoint and
 * the bucket read: the CID entry remembers the mapping it was last routed
 * with.  Safe with any hint: an index is range-checked, and a live entry
 * read with acquire has its key fields complete and cannot be reused before
 * our next quiescent state.
 */
static inline uint32_t wgw_map_hint(const struct wgw_sessions *s, uint32_t hint,
				    const union wgw_addr *client, uint16_t cport,
				    const union wgw_addr *vip, uint16_t vport, unsigned backend)
{
	const struct wgw_map_ent *m;

	if (!hint || hint > s->cap_maps)
		return 0;
	m = &s->maps[hint];
	if (atomic_load_explicit(&m->state, memory_order_acquire) != WGW_ENT_LIVE ||
	    m->backend != backend || !wgw_map_key_eq(m, client, cport, vip, vport))
		return 0;
	return hint;
}

/* P of mapping m, host order. */
static inline uint16_t wgw_map_nat_port(const struct wgw_map_ent *m)
{
	return ntohs(m->nat_port_be);
}

/* The pool index of NAT address k's port `port` (in the range), >= 1.
 * Address k's ports follow address k - 1's, so that with one address the
 * index is the port's alone. */
static inline uint32_t wgw_nat_idx(const struct wgw_sessions *s, unsigned k, uint16_t port)
{
	return (uint32_t)k * s->n_ports + (uint16_t)(port - s->port_lo) + 1;
}

/* The live mapping owning port `port` of NAT address k on backend slot
 * `backend`, or 0. */
static inline uint32_t wgw_map_rev(const struct wgw_sessions *s, unsigned backend,
				   unsigned k, uint16_t port)
{
	const struct wgw_port_pool *pp = &s->pools[backend];
	uint32_t i;
	const struct wgw_map_ent *m;

	if ((uint32_t)(uint16_t)(port - s->port_lo) >= s->n_ports || k >= s->n_nat || !pp->rev)
		return 0;
	i = atomic_load_explicit(&pp->rev[wgw_nat_idx(s, k, port)], memory_order_acquire);
	if (!i)
		return 0;
	m = &s->maps[i];
	if (atomic_load_explicit(&m->state, memory_order_relaxed) != WGW_ENT_LIVE ||
	    m->backend != backend || m->nat_k != k || m->nat_port_be != htons(port))
		return 0;
	return i;
}

/* wgw_map_rev() for NAT address 0, a port known to be in the NAT range
 * (port_be: the same in network order) and a slot of the current view
 * (whose port arrays exist: a slot gets them before it is first published
 * and keeps them). */
static inline uint32_t wgw_map_rev_fast(const struct wgw_sessions *s, unsigned backend,
					uint16_t port, uint16_t port_be)
{
	uint32_t i = atomic_load_explicit(&s->pools[backend].rev[(uint16_t)(port - s->port_lo) + 1],
					  memory_order_acquire);
	const struct wgw_map_ent *m = &s->maps[i];

	/* entry 0 is never live: no test of i; a mapping on address 0 has
	 * an index <= n_ports, so nat_k needs no test either */
	if (atomic_load_explicit(&m->state, memory_order_relaxed) != WGW_ENT_LIVE ||
	    m->backend != backend || m->nat_port_be != port_be)
		return 0;
	return i;
}

/* Refresh an entry's idle timer: written only when the second changed, so a
 * busy session does not bounce its cache line between workers. */
static inline void wgw_touch(_Atomic uint32_t *last_seen, uint32_t now)
{
	if (atomic_load_explicit(last_seen, memory_order_relaxed) != now)
		atomic_store_explicit(last_seen, now, memory_order_relaxed);
}

/* ---- set-up, from any worker ------------------------------------------ */

/*
 * Bind cid to backend slot, charged to the quota of source `src` (the
 * client address of the mapping it was seen on).  0: created (*idx set);
 * -EEXIST: already live (*idx = that entry, never changed); -EDQUOT: src
 * holds its quota of CIDs already; -ENOSPC: table full or over limit.
 */
int wgw_cid_learn(struct wgw_sessions *s, uint64_t cid, unsigned backend,
		  const union wgw_addr *src, uint32_t now, uint32_t *idx);

/*
 * Create the mapping (client, vip) -> backend slot with a new NAT port and
 * its nat_csum_* from s->slot_nat[backend].
 * 0: created; -EEXIST: one exists on that backend (*idx = it); -EDQUOT:
 * the client's source holds its quota of mappings already (checked before
 * anything is taken); -ENOSPC: table full or over limit; -EADDRNOTAVAIL:
 * the backend's NAT ports are all in use; -ENOENT: slot has no port pool.
 */
int wgw_map_create(struct wgw_sessions *s, uint64_t h,
		   const union wgw_addr *client, uint16_t cport,
		   const union wgw_addr *vip, uint16_t vport, unsigned backend,
		   uint32_t now, uint32_t *idx);

/* ---- restore: control thread, before any worker runs ------------------- */

/*
 * Make the mapping (client, vip) -> backend slot with the given NAT port
 * and clocks, as a state file had it.  0 (*idx set); -ERANGE: the port or
 * address is outside the pool; -EEXIST: port or mapping taken; -EDQUOT, -ENOSPC,
 * -ENOENT as wgw_map_create().  The port stays on the slot's free stack
 * until wgw_sessions_pool_rebuild(slot), which must follow before a
 * worker runs.
 */
int wgw_map_restore(struct wgw_sessions *s, uint64_t h,
		    const union wgw_addr *client, uint16_t cport,
		    const union wgw_addr *vip, uint16_t vport, unsigned backend,
		    unsigned nat_k, uint16_t nat_port, uint32_t last_seen, uint32_t created, uint32_t *idx);
/* Rebuild slot's stack of free NAT ports from its reverse index. */
void wgw_sessions_pool_rebuild(struct wgw_sessions *s, unsigned slot);

/* ---- control thread only ---------------------------------------------- */

/* Per-source quotas (0: no limit), at once for new entries.  Lowering one
 * evicts nothing: a source above it gets no new entry until it is below. */
void wgw_sessions_set_quotas(struct wgw_sessions *s, uint32_t maps_per_src,
			     uint32_t cids_per_src);

/* Give slot a full pool of NAT ports (allocating its arrays on first use).
 * The slot must have no mapping, live or in limbo.  0 or -ENOMEM. */
int wgw_sessions_slot_init(struct wgw_sessions *s, unsigned slot);

/* Unlink every live mapping and CID of slot (into limbo).  The caller must
 * have made sure (grace period) that no worker can still create one. */
void wgw_sessions_slot_purge(struct wgw_sessions *s, unsigned slot);

struct wgw_expire_result {
	uint32_t maps, cids;	     /* unlinked now */
	uint32_t freed_maps, freed_cids; /* returned to the free lists */
};

/*
 * Look at up to `budget` entries of each table from where the last call
 * stopped and unlink those idle for at least their timeout (seconds).
 * Then reclaim: what was unlinked before the last grace period that has
 * completed goes back to the free lists.  Never blocks.
 */
void wgw_sessions_expire(struct wgw_sessions *s, struct wgw_qsbr *q, uint32_t now,
			 uint32_t budget, uint32_t cid_idle_s, uint32_t map_idle_s,
			 struct wgw_expire_result *res);

/* Reclaim step alone (see above).  With `synced` the caller has completed a
 * grace period after the last unlink: everything in limbo is freed. */
void wgw_sessions_reclaim(struct wgw_sessions *s, struct wgw_qsbr *q, bool synced,
			  struct wgw_expire_result *res);

/*
 * Consistency check of every table, free list, port pool and counter
 * (per backend slot and per source) against each other (slot_in_use[b]: whether slot b holds a backend).
 * Exact only while no worker routes (all detached or offline) and with the
 * control side serialised: for tests and for a debugging command.
 * 0, or -EUCLEAN with the first inconsistency described in err.
 */
int wgw_sessions_check(struct wgw_sessions *s, const bool *slot_in_use, char *err,
		       size_t errlen);

#endif
