/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CID routing engine with NAT.  It routes parsed UDP packets and knows
 * no sockets, no netlink and no XDP.  Every data path (AF_XDP workers, the
 * TUN/UDP fallback) feeds the same engine.
 *
 * Routing:
 *  client -> VIP, CID c (WRAITH outer header; none when the payload is
 *  shorter than WRAITH_MIN_PAYLOAD):
 *   1. c special or unknown (or bound to a removed backend): the client
 *      endpoint's existing mapping for that VIP endpoint (the most recently
 *      created one when a NAT rebinding left several), else a new mapping
 *      on the UP backend chosen by weighted rendezvous hashing of the client
 *      endpoint (WGW-RDV-1, hash.h: fixed key, so every gateway and every
 *      restart chooses alike).
 *   2. c known: its backend, whatever the source.  The mapping is
 *      (client endpoint, VIP endpoint, backend): a new source endpoint gets
 *      a new mapping (new NAT port) on that backend, also when the backend
 *      is draining (a migrating session is not a new session), also when
 *      the endpoint already has a mapping on another backend.  So a
 *      spoofed packet reusing a CID never redirects an existing mapping.
 *   3. a non-special c seen on a mapping, in either direction, is bound to
 *      that mapping's backend if not bound yet; never rebound.
 *   4. draining backends keep their mappings and CIDs and get no new
 *      endpoints from rule 1; removed backends lose both.
 *  backend -> G:P: the mapping owning (backend, P), where the backend is
 *  identified by the packet's source address:port; anything else is
 *  dropped and counted, so the gateway is never an open relay.
 *
 * Input rules (both data paths, every entry, both directions): the
 * engine accepts exactly what the kernel's UDP receive path and a router
 * would, and the WRAITH outer header, whatever checked a frame before it:
 * a payload under WRAITH_MIN_PAYLOAD (WGW_DROP_SHORT), CID 0
 * (WGW_DROP_CID0), a wrong IPv4 header or UDP checksum or an IPv6 UDP
 * checksum 0 (WGW_DROP_BAD_CSUM; a CHECKSUM_PARTIAL datagram is accepted
 * and completed, an IPv4 UDP checksum 0 is none), a TTL / hop limit <= 1
 * (WGW_DROP_TTL) are dropped; a client source that no wire carries
 * (WGW_DROP_MARTIAN) or that is the gateway's own (a VIP's address, the
 * NAT address, a backend's address whatever the port: WGW_DROP_SPOOFED,
 * logged with a rate limit) is refused before anything is looked up or
 * created.
 *
 * Rewrite: in place with wgw_pkt_nat().  Towards the LAN src := G:P,
 * dst := backend; towards the WAN src := VIP endpoint, dst := client.  The
 * TTL / hop limit is decremented as a router does.  L2 is the caller's:
 * the route result names the L3 next hop.
 *
 * One address family for the whole engine (VIPs, NAT address, backends).
 *
 * Threads
 *  - Workers: wgw_engine_thread_attach() once from the worker thread
 *    (thread_id < cfg.n_threads, one thread per id), then route packets;
 *    call wgw_engine_quiescent() after every batch (no reference into the
 *    tables may be held across it) and wgw_engine_thread_offline() before
 *    blocking (poll, sleep), wgw_engine_thread_online() after.  A worker
 *    that does neither holds up reclamation and admin changes.  The data
 *    path takes no lock, allocates nothing and makes no syscall.
 *  - Control thread(s): admin, wgw_engine_expire(), stats and
 *    introspection.  They serialise on an internal mutex.  Only backend
 *    removal waits for the workers (two grace periods), so it must not be
 *    called from an attached worker while that worker is online.
 */
#ifndef WGW_ENGINE_H
#define WGW_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/packet.h"

#define WGW_ENGINE_MAX_BACKENDS 256	/* backend slots */
#define WGW_ENGINE_MAX_VIPS 64
#define WGW_ENGINE_MAX_NAT 256		/* NAT addresses in the pool */
#define WGW_ENGINE_MAX_THREADS 256
#define WGW_ENGINE_MAX_ENTRIES (1U << 26) /* per table */
#define WGW_ENGINE_MAX_WEIGHT 65535
#define WGW_CID_IDLE_S_DEFAULT 600	/* s: a CID outlives its mappings so a
					 * client back from idle on a new
					 * address still reaches its backend */
#define WGW_MAP_IDLE_S_DEFAULT 120	/* s, like a UDP conntrack stream */

struct wgw_vip {
	union wgw_addr addr;
	uint16_t port_lo, port_hi;	/* host order, inclusive */
};

struct wgw_engine_cfg {
	const struct wgw_vip *vips;
	unsigned n_vips;
	union wgw_addr nat_addr;	/* G, on the LAN */
	const union wgw_addr *nat_pool;	/* more NAT addresses: the pool is
					 * nat_addr then these, a mapping
					 * takes a free (address, port) */
	unsigned n_nat_pool;		/* < WGW_ENGINE_MAX_NAT */
	uint16_t nat_port_lo, nat_port_hi; /* host order, inclusive */
	unsigned n_threads;		/* workers that will attach */
	uint32_t max_cids, max_mappings; /* capacity, fixed for the engine's life */
	uint32_t cid_idle_s, map_idle_s; /* 0: the defaults above */
	uint32_t max_maps_per_source;	/* mappings one client source (IPv4
					 * address, IPv6 /64) may hold; 0: no
					 * limit */
	uint32_t max_cids_per_source;	/* CIDs learned on its mappings; 0:
					 * no limit */
	const uint64_t *hash_key;	/* 6 words for the tables' keyed hashes,
					 * or NULL for getrandom() (tests) */
	bool general_path_only;		/* route every packet by the general
					 * path, never the known-session one
					 * (tests: both must give the same
					 * results; measurements) */
	bool no_prefetch;		/* batches of client frames do not
					 * prefetch their table reads
					 * (measurements: what it costs and
					 * buys) */
};

/* 0, or -EINVAL with a message for an operator in err. */
int wgw_engine_cfg_validate(const struct wgw_engine_cfg *cfg, char *err, size_t errlen);

struct wgw_engine;
struct wgw_engine_thread;

/* NULL and errno (EINVAL: invalid cfg, ENOMEM). */
struct wgw_engine *wgw_engine_create(const struct wgw_engine_cfg *cfg);
/* Every worker must have detached. */
void wgw_engine_destroy(struct wgw_engine *e);

/* From the worker thread; the thread starts online.  NULL and errno
 * (EINVAL: bad id, EBUSY: id attached). */
struct wgw_engine_thread *wgw_engine_thread_attach(struct wgw_engine *e, unsigned thread_id);
void wgw_engine_thread_detach(struct wgw_engine_thread *t);
void wgw_engine_quiescent(struct wgw_engine_thread *t);
void wgw_engine_thread_offline(struct wgw_engine_thread *t);
void wgw_engine_thread_online(struct wgw_engine_thread *t);

/* ---- routing ------------------------------------------------------------ */

enum wgw_verdict {
	WGW_DROP = 0,
	WGW_TO_LAN,		/* send to a backend */
	WGW_TO_WAN,		/* send to a client */
	WGW_HOLD,		/* a session-store lookup was asked for it
				 * (wgw_engine_thread_set_store()): the
				 * caller holds it, untouched, and routes it
				 * again when the answer is in */
};

enum wgw_drop_reason {
	WGW_DROP_NONE = 0,
	WGW_DROP_NOT_UDP,	/* not a parsed UDP packet */
	WGW_DROP_FAMILY,	/* not the engine's address family */
	WGW_DROP_NOT_VIP,	/* client packet not to a VIP endpoint */
	WGW_DROP_NO_BACKEND,	/* no backend UP for a new endpoint */
	WGW_DROP_MAP_FULL,	/* mapping table full: new session refused */
	WGW_DROP_PORTS_FULL,	/* the backend's NAT ports all in use */
	WGW_DROP_NOT_NAT,	/* backend packet not to G within the port range */
	WGW_DROP_BAD_SOURCE,	/* backend packet not from a backend */
	WGW_DROP_NO_MAPPING,	/* no mapping owns (backend, P) */
	/* What the kernel's own UDP receive path, or a router, would refuse
	 * (both data paths alike): */
	WGW_DROP_SHORT,		/* UDP payload shorter than a WRAITH header */
	WGW_DROP_CID0,		/* CID 0, invalid in WRAITH */
	WGW_DROP_BAD_CSUM,	/* IPv4 header or UDP checksum wrong; IPv6 UDP
				 * checksum 0 */
	WGW_DROP_TTL,		/* TTL / hop limit would reach 0 */
	WGW_DROP_MARTIAN,	/* client source never valid on a wire
				 * (loopback, unspecified, multicast, ...) */
	WGW_DROP_SPOOFED,	/* client source is one of ours: a VIP, the
				 * NAT address, a backend's address */
	/* Limits: */
	WGW_DROP_HS_RATE,	/* handshake over its source's rate (kernel
				 * path: what XDP did not see) */
	WGW_DROP_SOURCE_QUOTA,	/* new mapping over its source's quota */
	WGW_DROP_REASON_MAX
};
const char *wgw_drop_reason_name(enum wgw_drop_reason r);

struct wgw_route {
	union wgw_addr nexthop;	/* L3 destination: backend or client */
	int backend;		/* slot, -1 if none */
	enum wgw_drop_reason reason;
};

/* Where a frame came from. */
enum wgw_dir {
	WGW_DIR_CLIENT = 1,	/* WAN side: from a client */
	WGW_DIR_BACKEND = 2,	/* LAN side: from a backend */
	WGW_DIR_ANY = 3,	/* one link for both: a packet to the NAT address
				 * is from a backend, any other from a client */
};

/*
 * Route one received Ethernet frame, as wgw_pkt_parse() and then
 * wgw_engine_from_client() or wgw_engine_from_backend() would (same
 * verdict, route, rewrite and counters), in one pass for the common frame
 * (untagged IPv4 without options): what the workers call per packet.  A
 * frame that does not parse as UDP is WGW_DROP with reason
 * WGW_DROP_NOT_UDP and counted nowhere here: the caller counts it.
 */
enum wgw_verdict wgw_engine_route_frame(struct wgw_engine_thread *t, enum wgw_dir dir,
					uint8_t *data, uint32_t len, uint32_t now,
					struct wgw_route *out);

/* A frame of a batch: data and len in, verdict (enum wgw_verdict) and
 * route out. */
struct wgw_frame {
	uint8_t *data;
	uint32_t len;
	uint8_t verdict;
	struct wgw_route route;
};

/* wgw_engine_route_frame() for n frames that came in on one side, in
 * order, with the same results: what a worker calls once per RX burst.
 * The caller passes no quiescent state inside it (one view serves the
 * batch).  Client batches prefetch their table reads a round ahead
 * (cfg.no_prefetch: not). */
void wgw_engine_route_batch(struct wgw_engine_thread *t, enum wgw_dir dir, struct wgw_frame *f,
			    unsigned n, uint32_t now);

/* Route one parsed UDP packet (wgw_pkt_parse() == WGW_PKT_UDP) arriving on
 * the WAN side; now: seconds, monotonic.  Rewrites it in place for
 * WGW_TO_LAN; WGW_DROP leaves it untouched, out->reason says why. */
enum wgw_verdict wgw_engine_from_client(struct wgw_engine_thread *t, struct wgw_pkt *p,
					uint32_t now, struct wgw_route *out);
/* Same for a packet arriving on the LAN side (to G:P): WGW_TO_WAN or drop. */
enum wgw_verdict wgw_engine_from_backend(struct wgw_engine_thread *t, struct wgw_pkt *p,
					 uint32_t now, struct wgw_route *out);

/* ---- session store hooks (gateway/store.h) ------------------------------ */

/*
 * What a worker with a session store configured hears from its engine
 * thread.  Both are called on the general path only (a new binding, a
 * packet rule 1 would route with a session CID nobody here knows), never
 * for a packet of a known session: with no hooks set, the cost is one
 * test of a NULL pointer on those paths.
 *  - learned: cid was bound to backend addr:port by this thread (rule 3,
 *    or wgw_engine_cid_bind()).  Must not block.
 *  - lookup: rule 1 would route this packet with the non-special CID cid,
 *    unknown here, from a client endpoint without a mapping, or whose
 *    mapping carried another CID (a port reused by a session that moved
 *    here; not a mapping that has carried no CID yet, whose first data
 *    packet is its own session's).  true: the engine returns WGW_HOLD and
 *    changes nothing (the caller asks the store and routes the packet
 *    again later); false: rule 1 as usual.
 */
struct wgw_engine_store_hooks {
	void (*learned)(void *arg, uint64_t cid, const union wgw_addr *backend, uint16_t port);
	bool (*lookup)(void *arg, uint64_t cid);
	void *arg;
};
/* From the worker thread (h: NULL for none; it must outlive the thread's
 * use of it). */
void wgw_engine_thread_set_store(struct wgw_engine_thread *t,
				 const struct wgw_engine_store_hooks *h);
/* From the worker thread: bind cid to the backend addr:port (a session
 * another gateway learned), charged to client's source quota, as rule 3
 * would.  0; -EEXIST: cid already bound here; -ENOENT: no such backend,
 * or it is down or judged unhealthy (the session starts afresh by rule 1;
 * a draining backend keeps its sessions, as rule 2 does); -ENOSPC /
 * -EDQUOT: table or quota full. */
int wgw_engine_cid_bind(struct wgw_engine_thread *t, uint64_t cid, const union wgw_addr *addr,
			uint16_t port, const union wgw_addr *client, uint32_t now);

/* The CIDs seen since `since` (engine seconds), with their backend, from
 * entry `cursor` on, `budget` entries at most: cb for each.  Returns the
 * cursor to continue from, 0 once the table was walked to its end.
 * Control or store thread (serialises with admin and expiry). */
uint32_t wgw_engine_cid_walk(struct wgw_engine *e, uint32_t cursor, uint32_t budget,
			     uint32_t since,
			     void (*cb)(void *arg, uint64_t cid, const union wgw_addr *backend,
					uint16_t port),
			     void *arg);
/* The CID idle timeout now (seconds). */
uint32_t wgw_engine_cid_idle_s(struct wgw_engine *e);

/* ---- control thread ----------------------------------------------------- */

/*
 * Expiry, from one housekeeping (control) thread, never from a worker: it
 * looks at up to `budget` entries of each table (a full pass over the
 * capacity every few seconds is plenty: e.g. every 100 ms with budget =
 * capacity / 50), unlinks idle ones, and returns to the free lists what was
 * unlinked before the last completed grace period.  Never blocks.  Returns
 * the number of entries (mappings + CIDs) unlinked.
 */
unsigned wgw_engine_expire(struct wgw_engine *e, uint32_t now, uint32_t budget);

enum wgw_backend_state {
	WGW_BACKEND_DOWN = 0,	/* removed or not configured */
	WGW_BACKEND_UP,
	WGW_BACKEND_DRAIN,
};
const char *wgw_backend_state_name(enum wgw_backend_state s);

/* Backends are named by address:port (host-order port).  add returns the
 * backend's slot (>= 0, as in struct wgw_route); the others 0.  Or a
 * negative errno: -EEXIST, -ENOENT, -ENOSPC (all slots used),
 * -EAFNOSUPPORT (other family), -EINVAL (weight 0 or > MAX_WEIGHT, port 0).
 * Existing sessions keep flowing throughout.  add, drain, undrain and
 * set_weight never block.  remove waits for two grace periods: every
 * attached worker must pass a quiescent state or be offline, so never call
 * it from a thread that is itself an online worker. */
int wgw_engine_backend_add(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port,
			   uint32_t weight);
int wgw_engine_backend_remove(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port);
int wgw_engine_backend_drain(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port);
int wgw_engine_backend_undrain(struct wgw_engine *e, const union wgw_addr *addr, uint16_t port);
int wgw_engine_backend_set_weight(struct wgw_engine *e, const union wgw_addr *addr,
				  uint16_t port, uint32_t weight);
/* Health (gateway/health.h), apart from the admin state.  down: no new
 * endpoints (unless every UP backend is down: fail open), and its mappings
 * and CID bindings released (waits for grace periods as remove does);
 * !down: new endpoints again.  0 or -ENOENT. */
int wgw_engine_backend_set_health(struct wgw_engine *e, const union wgw_addr *addr,
				  uint16_t port, bool down);

/* Replace the VIP set (reload).  Mappings made through a VIP that is gone
 * keep carrying replies until they expire; new client packets to it are
 * dropped.  -EINVAL / -EAFNOSUPPORT as in validate. */
int wgw_engine_set_vips(struct wgw_engine *e, const struct wgw_vip *vips, unsigned n_vips);

/* Reload limits: max_* may not exceed the capacity given at creation
 * (-ERANGE: restart needed); 0 leaves a value unchanged.  Lowering a limit
 * refuses new entries until the tables shrink below it; nothing is evicted. */
int wgw_engine_set_limits(struct wgw_engine *e, uint32_t max_cids, uint32_t max_mappings,
			  uint32_t cid_idle_s, uint32_t map_idle_s);
/* Reload the per-source quotas (as in struct wgw_engine_cfg; 0: no limit).
 * Lowering one evicts nothing. */
void wgw_engine_set_source_quotas(struct wgw_engine *e, uint32_t maps_per_source,
				  uint32_t cids_per_source);

/* ---- statistics ---------------------------------------------------------- */

enum wgw_engine_ctr {
	WGW_CTR_RX_CLIENT = 0,	/* packets given to from_client */
	WGW_CTR_RX_BACKEND,	/* packets given to from_backend */
	WGW_CTR_TO_LAN,
	WGW_CTR_TO_WAN,
	WGW_CTR_DROP,		/* sum of the drop reasons */
	WGW_CTR_MAP_CREATED,
	WGW_CTR_MAP_REFUSED,	/* table, limit or NAT ports full */
	WGW_CTR_CID_LEARNED,
	WGW_CTR_CID_REFUSED,	/* CID table full: routed, not learned */
	WGW_CTR_CID_CONFLICT,	/* CID seen on a mapping of another backend
				 * (replies: at most once per mapping and second) */
	WGW_CTR_CID_MIGRATED,	/* known CID from a new endpoint: new mapping */
	WGW_CTR_CSUM_FULL,	/* rewrite recomputed the UDP checksum */
	WGW_CTR_MAP_EXPIRED,	/* control thread */
	WGW_CTR_CID_EXPIRED,	/* control thread */
	WGW_CTR_MAP_PURGED,	/* removed with their backend */
	WGW_CTR_CID_PURGED,
	WGW_CTR_CID_QUOTA,	/* CID over its source's quota: routed, not
				 * learned */
	WGW_CTR_MAX
};
const char *wgw_engine_ctr_name(enum wgw_engine_ctr c);

struct wgw_engine_stats {
	uint64_t ctr[WGW_CTR_MAX];
	uint64_t drop[WGW_DROP_REASON_MAX];
	uint32_t n_cids, n_mappings;	 /* live entries */
	uint32_t cap_cids, cap_mappings; /* capacity */
	uint32_t lim_cids, lim_mappings; /* current limits */
	uint32_t limbo_cids, limbo_mappings; /* unlinked, awaiting a grace period */
	size_t mem_bytes;		 /* table memory allocated */
};
/* Sums the per-thread counters (relaxed reads: a snapshot, not atomic). */
void wgw_engine_get_stats(struct wgw_engine *e, struct wgw_engine_stats *st);
/* One thread's counters only. */
void wgw_engine_thread_stats(struct wgw_engine_thread *t, struct wgw_engine_stats *st);

struct wgw_backend_info {
	union wgw_addr addr;
	uint16_t port;
	int slot;
	enum wgw_backend_state state;
	uint32_t weight;
	uint32_t mappings, cids;	/* live */
	uint32_t nat_capacity;		/* NAT (address, port) pairs: addresses
					 * x ports; each live mapping holds one */
	uint64_t nat_exhausted;		/* new mappings refused: none free */
	uint64_t pkts_to, pkts_from;	/* summed over threads */
};
/* Up to max backends (in slot order); returns how many exist. */
unsigned wgw_engine_backends(struct wgw_engine *e, struct wgw_backend_info *out, unsigned max);

/* ---- state across restarts (state.h) ------------------------------------- */

struct wgw_state;
struct wgw_state_result;
/* A snapshot of the backends, mappings and CIDs, with their idle clocks
 * relative to now (the engine's seconds).  Control thread, while the
 * workers route.  0 or -ENOMEM; free st with wgw_state_free(). */
int wgw_engine_state_save(struct wgw_engine *e, uint32_t now, struct wgw_state *st);
/* Put st's mappings (with their NAT ports) and CIDs into the engine, each
 * on the backend of the same address and port if there is one, older by
 * downtime_s; what is idle past its timeout, has no backend or does not
 * fit is counted in res and left out.  Before any worker runs.  0 or
 * -ENOMEM. */
int wgw_engine_state_restore(struct wgw_engine *e, uint32_t now, uint32_t downtime_s,
			     const struct wgw_state *st, struct wgw_state_result *res);

/* ---- introspection (control socket) -------------------------------------- */

struct wgw_session_info {
	union wgw_addr client, vip, backend, nat; /* nat: the mapping's G */
	uint16_t cport, vport, backend_port, nat_port;
	int slot;
	uint32_t idle_s, age_s;
};

struct wgw_cid_info {
	uint64_t cid;
	union wgw_addr backend;
	uint16_t backend_port;
	int slot;
	uint32_t idle_s;
};

/* 0 or -ENOENT. */
int wgw_engine_lookup_cid(struct wgw_engine *e, uint64_t cid, uint32_t now,
			  struct wgw_cid_info *out);
/* Mappings of one client endpoint (any VIP, any backend): fills up to max,
 * returns how many exist.  Scans the table: for the control socket only. */
unsigned wgw_engine_lookup_client(struct wgw_engine *e, const union wgw_addr *addr,
				  uint16_t port, uint32_t now,
				  struct wgw_session_info *out, unsigned max);
/* Calls cb for up to limit live mappings (0: no limit) until it returns
 * non-zero; returns how many it was called for. */
unsigned wgw_engine_list_sessions(struct wgw_engine *e, uint32_t now, unsigned limit,
				  int (*cb)(const struct wgw_session_info *, void *),
				  void *arg);

/* ---- trace (wraith-gatewayctl trace) ------------------------------------ */

struct wgw_trace_in {
	enum wgw_dir dir;		/* ANY: by the destination, as a worker on
					 * one link would */
	union wgw_addr src, dst;
	uint16_t sport, dport;		/* host order */
	bool has_cid;			/* false: a payload without a session CID
					 * (a bare handshake) */
	uint64_t cid;
};

enum wgw_trace_map {
	WGW_TRACE_MAP_NONE = 0,		/* dropped before a mapping was chosen */
	WGW_TRACE_MAP_EXISTING,
	WGW_TRACE_MAP_NEW,		/* would be created */
};

struct wgw_trace {
	enum wgw_dir dir;		/* CLIENT or BACKEND */
	enum wgw_verdict verdict;
	enum wgw_drop_reason reason;	/* for WGW_DROP */
	unsigned rule;			/* routing rule applied (engine.h), 0:
					 * none (backend packets, drops) */
	const char *why;		/* one line for an operator */
	int backend;			/* slot, -1 if none */
	union wgw_addr backend_addr;
	uint16_t backend_port;
	enum wgw_backend_state backend_state;
	enum wgw_trace_map map;
	uint16_t nat_port;		/* 0: none free (a new mapping) */
	union wgw_addr nat_addr;	/* the mapping's NAT address */
	bool cid_known;			/* the CID is bound ... */
	int cid_backend;		/* ... to this slot */
	bool cid_learn;			/* the CID would be bound now (rule 3) */
	union wgw_addr out_src, out_dst; /* the packet after the rewrite */
	uint16_t out_sport, out_dport;
};

/*
 * What the engine would do with a packet of in's addresses, ports and CID
 * (the input rules on the packet's bytes aside: checksums, TTL, length),
 * without changing any table or counter: which rule, which backend and
 * why, the mapping and NAT port it would use or create, or the drop
 * reason.  A new mapping's NAT port is the backend's next free one, which
 * a worker may take first.  From the control thread.
 */
void wgw_engine_trace(struct wgw_engine *e, const struct wgw_trace_in *in,
		      struct wgw_trace *out);

/*
 * Cross-check every table, free list, NAT port pool and counter.  Exact only
 * while no worker routes (all detached or offline): for tests and a
 * debugging command.  0, or -EUCLEAN with the first inconsistency in err.
 */
int wgw_engine_check(struct wgw_engine *e, char *err, size_t errlen);

#endif
