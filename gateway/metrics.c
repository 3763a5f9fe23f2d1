// SPDX-License-Identifier: GPL-2.0-only
/*
 * The metrics model: every metric once (name, type, unit, labels, help, and
 * how to read it from a struct wgw_stats), rendered from that one table to
 * the Prometheus exposition (/metrics, stats format=prometheus), the SIGUSR1
 * dump and the METRICS section of wraith-gatewayctl(8).  Collection and the
 * text and JSON stats: stats.c.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/daemon.h"
#include "gateway/log.h"
#include "gateway/stats.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"
#include "gateway/xsk.h"


/* ------------------------------------------------------- the metrics model */

/*
 * Every metric is one row of metrics[] below: its name, type, unit, labels,
 * how to read it, and the function that finds its samples in a snapshot.
 * The Prometheus exposition, the SIGUSR1 dump and the METRICS section of
 * wraith-gatewayd(8) (checked by a test) all come from that table.
 */

typedef void (*sample_fn)(struct wgw_metric_sink *s, const struct wgw_metric *m,
			  const char *const *labels, double v);

/* A label value in one style: lower case, words joined with '_'. */
static const char *lv(const char *name, char *buf, size_t len)
{
	return wgw_stats_key(name, buf, len);
}

static void put(struct wgw_metric_sink *s, const struct wgw_metric *m,
		const char *const *labels, double v)
{
	s->sample(s, m, labels, v);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* A first label pair (SUFFIX, "_bucket") appends to the metric's name
 * instead: a histogram's series. */
#define SUFFIX "__suffix"

static void m_info(const struct wgw_metric *m, const struct wgw_stats *st,
		   struct wgw_metric_sink *s)
{
	(void)st;
	put(s, m, L("version", PACKAGE_VERSION), 1);
}

static void m_uptime(const struct wgw_metric *m, const struct wgw_stats *st,
		     struct wgw_metric_sink *s)
{
	put(s, m, NULL, (double)st->uptime_s);
}

/* One field of the snapshot's process figures (m->arg: its offset). */
static void m_proc(const struct wgw_metric *m, const struct wgw_stats *st,
		   struct wgw_metric_sink *s)
{
	double v;

	if (!st->proc.valid)
		return;
	memcpy(&v, (const char *)&st->proc + m->arg, sizeof(v));
	put(s, m, NULL, v);
}

static void m_interface(const struct wgw_metric *m, const struct wgw_stats *st,
			struct wgw_metric_sink *s)
{
	for (unsigned i = 0; i < st->nifs; i++)
		put(s, m, L("interface", st->ifs[i].name, "sides", st->ifs[i].sides,
			    "mode", st->ifs[i].mode), 1);
}

/* Engine counters, one series per engine counter in the list m->ctrs
 * (ended by -1), labelled with m->label set to the counter's name; or,
 * with no label, the single counter m->ctrs[0]. */
static void m_engine_ctrs(const struct wgw_metric *m, const struct wgw_stats *st,
			  struct wgw_metric_sink *s)
{
	char b[64];

	for (unsigned i = 0; m->ctrs[i].name; i++) {
		uint64_t v = st->eng.ctr[m->ctrs[i].idx];

		if (m->labels[0])
			put(s, m, L(m->labels, lv(m->ctrs[i].name, b, sizeof(b))), (double)v);
		else
			put(s, m, NULL, (double)v);
	}
}

static void m_engine_drops(const struct wgw_metric *m, const struct wgw_stats *st,
			   struct wgw_metric_sink *s)
{
	char b[64];

	for (unsigned r = 1; r < WGW_DROP_REASON_MAX; r++)
		put(s, m, L("reason", lv(wgw_drop_reason_name(r), b, sizeof(b))),
		    (double)st->eng.drop[r]);
}

/* One gauge of struct wgw_engine_stats (m->arg: offset of an unsigned or,
 * with m->wide, of a uint64_t). */
static void m_engine_gauge(const struct wgw_metric *m, const struct wgw_stats *st,
			   struct wgw_metric_sink *s)
{
	const char *f = (const char *)&st->eng + m->arg;
	uint64_t v64;
	unsigned v;

	if (m->wide) {
		memcpy(&v64, f, sizeof(v64));
		put(s, m, NULL, (double)v64);
	} else {
		memcpy(&v, f, sizeof(v));
		put(s, m, NULL, v);
	}
}

static void m_backend_state(const struct wgw_metric *m, const struct wgw_stats *st,
			    struct wgw_metric_sink *s)
{
	static const enum wgw_backend_state states[] = {
		WGW_BACKEND_DOWN, WGW_BACKEND_UP, WGW_BACKEND_DRAIN,
	};
	char ep[INET6_ADDRSTRLEN + 8];

	for (unsigned i = 0; i < st->nbackends; i++) {
		wgw_stats_endpoint(&st->be[i].addr, st->be[i].port, ep, sizeof(ep));
		for (unsigned k = 0; k < sizeof(states) / sizeof(states[0]); k++)
			put(s, m, L("backend", ep, "state", wgw_backend_state_name(states[k])),
			    st->be[i].state == states[k]);
	}
}

/* Per backend, 1 for its health state, 0 for the others. */
static void m_backend_health(const struct wgw_metric *m, const struct wgw_stats *st,
			     struct wgw_metric_sink *s)
{
	char ep[INET6_ADDRSTRLEN + 8];

	for (unsigned i = 0; i < st->nbackends; i++) {
		if (!st->be_health_known[i])
			continue;
		wgw_stats_endpoint(&st->be[i].addr, st->be[i].port, ep, sizeof(ep));
		for (int k = WGW_HEALTH_HEALTHY; k <= WGW_HEALTH_DOWN; k++)
			put(s, m, L("backend", ep, "health",
				    wgw_health_state_name((enum wgw_health_state)k)),
			    st->be_health[i].state == (enum wgw_health_state)k);
	}
}

/* A per-backend uint64_t of struct wgw_health_info (m->arg: its offset). */
static void m_backend_hctr(const struct wgw_metric *m, const struct wgw_stats *st,
			   struct wgw_metric_sink *s)
{
	char ep[INET6_ADDRSTRLEN + 8];
	uint64_t v;

	for (unsigned i = 0; i < st->nbackends; i++) {
		if (!st->be_health_known[i])
			continue;
		wgw_stats_endpoint(&st->be[i].addr, st->be[i].port, ep, sizeof(ep));
		memcpy(&v, (const char *)&st->be_health[i] + m->arg, sizeof(v));
		put(s, m, L("backend", ep), (double)v);
	}
}

/* A uint64_t of struct wgw_stats at offset m->arg, when the bool at
 * m->arg2 says its part is on (the health checker, the session store). */
static void m_gated(const struct wgw_metric *m, const struct wgw_stats *st,
		    struct wgw_metric_sink *s)
{
	uint64_t v;
	bool on;

	memcpy(&on, (const char *)st + m->arg2, sizeof(on));
	if (!on)
		return;
	memcpy(&v, (const char *)st + m->arg, sizeof(v));
	put(s, m, NULL, (double)v);
}

/* Per store, 1 for its connection state, 0 for the others. */
static void m_store_state(const struct wgw_metric *m, const struct wgw_stats *st,
			  struct wgw_metric_sink *s)
{
	for (unsigned i = 0; i < st->nstores; i++)
		for (int k = WGW_STORE_CONNECTING; k <= WGW_STORE_DOWN; k++)
			put(s, m, L("store", st->stores[i].address, "state",
				    wgw_store_state_name((enum wgw_store_state)k)),
			    st->stores[i].state == (enum wgw_store_state)k);
}

/* The lookup latency as a Prometheus histogram (seconds): cumulative
 * buckets, then the sum and the count (series() puts the suffixes). */
static void m_store_latency(const struct wgw_metric *m, const struct wgw_stats *st,
			    struct wgw_metric_sink *s)
{
	uint64_t cum = 0;
	char le[32];

	if (!st->store_on)
		return;
	for (unsigned b = 0; b < WGW_STORE_LAT_BUCKETS; b++) {
		cum += st->store.lat_bucket[b];
		if (b < WGW_STORE_LAT_BUCKETS - 1)
			snprintf(le, sizeof(le), "%g", wgw_store_lat_bounds_us[b] / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		put(s, m, L(SUFFIX, "_bucket", "le", le), (double)cum);
	}
	put(s, m, L(SUFFIX, "_sum"), (double)st->store.lat_sum_us / 1e6);
	put(s, m, L(SUFFIX, "_count"), (double)st->store.lat_count);
}

/* A per-backend figure of struct wgw_backend_info (m->arg: offset of an
 * unsigned or, with m->wide == 2, of a uint64_t; with m->wide == 1 the
 * packets to and from the backend). */
static void m_backend(const struct wgw_metric *m, const struct wgw_stats *st,
		      struct wgw_metric_sink *s)
{
	char ep[INET6_ADDRSTRLEN + 8];

	for (unsigned i = 0; i < st->nbackends; i++) {
		const struct wgw_backend_info *b = &st->be[i];
		unsigned v;

		wgw_stats_endpoint(&b->addr, b->port, ep, sizeof(ep));
		if (m->wide == 2) {
			uint64_t w;

			memcpy(&w, (const char *)b + m->arg, sizeof(w));
			put(s, m, L("backend", ep), (double)w);
			continue;
		}
		if (m->wide) {
			put(s, m, L("backend", ep, "direction", "to"), (double)b->pkts_to);
			put(s, m, L("backend", ep, "direction", "from"), (double)b->pkts_from);
			continue;
		}
		memcpy(&v, (const char *)b + m->arg, sizeof(v));
		put(s, m, L("backend", ep), v);
	}
}

/* The XDP program's counters: verdicts (m->wide == 0) or reasons. */
static void m_xdp(const struct wgw_metric *m, const struct wgw_stats *st,
		  struct wgw_metric_sink *s)
{
	for (unsigned i = 0; i < st->nifs; i++) {
		if (!st->ifs[i].has_xdp)
			continue;
		for (unsigned c = 0; c < WGW_XDP_CNT_MAX; c++) {
			bool verdict = wgw_xdp_counter_verdict(c) == c;
			const char *v = wgw_xdp_counter_name(wgw_xdp_counter_verdict(c));

			if (verdict == !m->wide)
				put(s, m, m->wide ? L("interface", st->ifs[i].name, "verdict", v,
						      "reason", wgw_xdp_counter_name(c))
						  : L("interface", st->ifs[i].name, "verdict", v),
				    (double)st->ifs[i].xdp[c]);
		}
	}
}

/* A port counter of struct wgw_port_stats per queue (m->arg: offset;
 * m->dir: the direction label, or m->arg2 the tx offset beside it). */
static void m_port(const struct wgw_metric *m, const struct wgw_stats *st,
		   struct wgw_metric_sink *s)
{
	char q[16], w[16];

	for (unsigned k = 0; k < st->nports; k++) {
		const struct wgw_stats_port *p = &st->ports[k];
		uint64_t rx, tx;

		memcpy(&rx, (const char *)&p->st + m->arg, sizeof(rx));
		snprintf(q, sizeof(q), "%u", p->queue);
		snprintf(w, sizeof(w), "%u", p->worker);
		if (!m->arg2) {
			put(s, m, L("interface", p->ifname, "queue", q, "worker", w,
				    "kind", p->kind), (double)rx);
			continue;
		}
		memcpy(&tx, (const char *)&p->st + m->arg2, sizeof(tx));
		put(s, m, L("interface", p->ifname, "queue", q, "worker", w, "kind", p->kind,
			    "direction", "rx"), (double)rx);
		put(s, m, L("interface", p->ifname, "queue", q, "worker", w, "kind", p->kind,
			    "direction", "tx"), (double)tx);
	}
}

/* The port kinds' own counters (rx_fragments, not_ours, rx_hs_rate...). */
static void m_port_events(const struct wgw_metric *m, const struct wgw_stats *st,
			  struct wgw_metric_sink *s)
{
	char q[16], w[16], b[64];

	for (unsigned k = 0; k < st->nports; k++) {
		const struct wgw_stats_port *p = &st->ports[k];

		snprintf(q, sizeof(q), "%u", p->queue);
		snprintf(w, sizeof(w), "%u", p->worker);
		for (unsigned x = 0; x < p->nx; x++)
			put(s, m, L("interface", p->ifname, "queue", q, "worker", w,
				    "kind", p->kind, "event", lv(p->xname[x], b, sizeof(b))),
			    (double)p->xval[x]);
	}
}

/* An AF_XDP ring statistic (m->arg: offset in struct xdp_statistics). */
static void m_ring(const struct wgw_metric *m, const struct wgw_stats *st,
		   struct wgw_metric_sink *s)
{
	char q[16], w[16];

	for (unsigned k = 0; k < st->nports; k++) {
		const struct wgw_stats_port *p = &st->ports[k];
		uint64_t v;

		if (!p->has_ring)
			continue;
		memcpy(&v, (const char *)&p->ring + m->arg, sizeof(v));
		snprintf(q, sizeof(q), "%u", p->queue);
		snprintf(w, sizeof(w), "%u", p->worker);
		put(s, m, L("interface", p->ifname, "queue", q, "worker", w), (double)v);
	}
}

/* Worker counters by name (m->ctrs; idx unused), labelled like
 * m_engine_ctrs. */
static void m_worker(const struct wgw_metric *m, const struct wgw_stats *st,
		     struct wgw_metric_sink *s)
{
	char w[16], b[64];

	for (unsigned i = 0; i < st->nworkers; i++) {
		snprintf(w, sizeof(w), "%u", i);
		for (unsigned c = 0; c < st->nworker_ctrs; c++) {
			const char *name = wgw_worker_counter_name(c);

			for (unsigned k = 0; m->ctrs[k].name; k++) {
				if (strcmp(m->ctrs[k].name, name))
					continue;
				if (m->labels[0] && strcmp(m->labels, "worker"))
					put(s, m, L("worker", w, m->labels + strlen("worker,"),
						    lv(name, b, sizeof(b))), (double)st->wctr[i][c]);
				else
					put(s, m, L("worker", w), (double)st->wctr[i][c]);
			}
		}
	}
}

#define CTRS(...) ((const struct wgw_metric_ctr[]){ __VA_ARGS__, { 0, NULL } })
#define C(idx, name) { idx, name }
#define W(name) { 0, #name }
#define PROC(f) .fn = m_proc, .arg = offsetof(struct wgw_stats_proc, f)
#define ENG(f) .fn = m_engine_gauge, .arg = offsetof(struct wgw_engine_stats, f)
#define BE(f) .fn = m_backend, .arg = offsetof(struct wgw_backend_info, f)
#define PORT(f) .fn = m_port, .arg = offsetof(struct wgw_port_stats, f)
#define PORT2(r, t) PORT(r), .arg2 = offsetof(struct wgw_port_stats, t)
#define RING(f) .fn = m_ring, .arg = offsetof(struct xdp_statistics, f)
#define NS "wraith_gateway_"
#define PORTL "interface,queue,worker,kind"
#define RINGL "interface,queue,worker"
#define GATED(part, on, f) .fn = m_gated, .arg = offsetof(struct wgw_stats, part) + \
	offsetof(__typeof__(((struct wgw_stats *)0)->part), f), .arg2 = offsetof(struct wgw_stats, on)
#define HEALTH(f) GATED(health, health_on, f)
#define STORE(f) GATED(store, store_on, f)

static const struct wgw_metric metrics[] = {
	{ NS "info", "gauge", "", "version", "Always 1: the version of the running gateway.",
	  .fn = m_info },
	{ NS "uptime_seconds", "gauge", "seconds", "", "Seconds since the gateway started.",
	  .fn = m_uptime },
	{ "process_start_time_seconds", "gauge", "seconds", "",
	  "When the daemon started, in seconds since the Unix epoch.", PROC(start_time) },
	{ "process_cpu_seconds_total", "counter", "seconds", "",
	  "CPU time the daemon used, user and system, all threads.", PROC(cpu_seconds) },
	{ "process_resident_memory_bytes", "gauge", "bytes", "",
	  "Resident memory of the daemon (with the locked UMEM).", PROC(resident_bytes) },
	{ "process_virtual_memory_bytes", "gauge", "bytes", "",
	  "Virtual memory size of the daemon.", PROC(virtual_bytes) },
	{ "process_open_fds", "gauge", "", "", "File descriptors the daemon has open.",
	  PROC(open_fds) },
	{ "process_max_fds", "gauge", "", "", "The daemon's limit of open file descriptors.",
	  PROC(max_fds) },
	{ NS "interface_info", "gauge", "", "interface,sides,mode",
	  "Always 1, per interface in use: its sides and its rung of the mode ladder.",
	  .fn = m_interface },

	{ NS "engine_received_packets_total", "counter", "packets", "source",
	  "Packets given to the routing engine, from clients (WAN) or backends (LAN).",
	  .fn = m_engine_ctrs,
	  .ctrs = CTRS(C(WGW_CTR_RX_CLIENT, "client"), C(WGW_CTR_RX_BACKEND, "backend")) },
	{ NS "engine_forwarded_packets_total", "counter", "packets", "direction",
	  "Packets the engine routed, to the LAN (backends) or to the WAN (clients).",
	  .fn = m_engine_ctrs,
	  .ctrs = CTRS(C(WGW_CTR_TO_LAN, "to_lan"), C(WGW_CTR_TO_WAN, "to_wan")) },
	{ NS "engine_dropped_packets_total", "counter", "packets", "reason",
	  "Packets the engine dropped, by reason; the sum is every drop.",
	  .fn = m_engine_drops },
	{ NS "engine_checksum_recomputed_packets_total", "counter", "packets", "",
	  "Forwarded packets whose UDP checksum was recomputed in full, not patched.",
	  .fn = m_engine_ctrs, .ctrs = CTRS(C(WGW_CTR_CSUM_FULL, "csum")) },
	{ NS "engine_mappings_created_total", "counter", "mappings", "",
	  "NAT mappings made.", .fn = m_engine_ctrs,
	  .ctrs = CTRS(C(WGW_CTR_MAP_CREATED, "created")) },
	{ NS "engine_mappings_refused_total", "counter", "mappings", "",
	  "New mappings refused: table, limit or the backend's NAT ports full.",
	  .fn = m_engine_ctrs, .ctrs = CTRS(C(WGW_CTR_MAP_REFUSED, "refused")) },
	{ NS "engine_mappings_removed_total", "counter", "mappings", "reason",
	  "NAT mappings removed: idle past their timeout, or with their backend.",
	  .fn = m_engine_ctrs,
	  .ctrs = CTRS(C(WGW_CTR_MAP_EXPIRED, "expired"), C(WGW_CTR_MAP_PURGED, "purged")) },
	{ NS "engine_sessions_learned_total", "counter", "sessions", "",
	  "CIDs (sessions) learned.", .fn = m_engine_ctrs,
	  .ctrs = CTRS(C(WGW_CTR_CID_LEARNED, "learned")) },
	{ NS "engine_sessions_refused_total", "counter", "sessions", "reason",
	  "CIDs routed but not learned: the CID table full, or the source over its quota.",
	  .fn = m_engine_ctrs,
	  .ctrs = CTRS(C(WGW_CTR_CID_REFUSED, "table_full"),
		       C(WGW_CTR_CID_QUOTA, "over_quota")) },
	{ NS "engine_sessions_removed_total", "counter", "sessions", "reason",
	  "CIDs removed: idle past their timeout, or with their backend.",
	  .fn = m_engine_ctrs,
	  .ctrs = CTRS(C(WGW_CTR_CID_EXPIRED, "expired"), C(WGW_CTR_CID_PURGED, "purged")) },
	{ NS "engine_session_conflicts_total", "counter", "packets", "",
	  "Packets whose CID is bound to another backend than their mapping's.",
	  .fn = m_engine_ctrs, .ctrs = CTRS(C(WGW_CTR_CID_CONFLICT, "conflict")) },
	{ NS "engine_session_migrations_total", "counter", "sessions", "",
	  "Known CIDs seen from a new client endpoint (a new mapping to the same backend).",
	  .fn = m_engine_ctrs, .ctrs = CTRS(C(WGW_CTR_CID_MIGRATED, "migrated")) },
	{ NS "sessions", "gauge", "sessions", "", "Live entries of the CID (session) table.",
	  ENG(n_cids) },
	{ NS "mappings", "gauge", "mappings", "", "Live NAT mappings.", ENG(n_mappings) },
	{ NS "sessions_limit", "gauge", "sessions", "", "Current limit of the CID table.",
	  ENG(lim_cids) },
	{ NS "mappings_limit", "gauge", "mappings", "",
	  "Current limit of the NAT mapping table.", ENG(lim_mappings) },
	{ NS "engine_memory_bytes", "gauge", "bytes", "",
	  "Memory of the engine's tables (sessions, mappings, NAT ports).", ENG(mem_bytes),
	  .wide = 1 },

	{ NS "backend_state", "gauge", "", "backend,state",
	  "1 for the backend's admin state (down, up, drain), 0 for the others.",
	  .fn = m_backend_state },
	{ NS "backend_weight", "gauge", "", "backend", "Backend weight in the consistent hash.",
	  BE(weight) },
	{ NS "backend_sessions", "gauge", "sessions", "backend", "CIDs bound to the backend.",
	  BE(cids) },
	{ NS "backend_mappings", "gauge", "mappings", "backend",
	  "NAT mappings on the backend: the (address, port) pairs of its NAT pool in use.",
	  BE(mappings) },
	{ NS "backend_nat_capacity", "gauge", "mappings", "backend",
	  "The backend's NAT pool: NAT addresses x NAT ports.", BE(nat_capacity) },
	{ NS "backend_nat_exhausted_total", "counter", "mappings", "backend",
	  "New mappings refused because the backend's NAT pool was exhausted.",
	  BE(nat_exhausted), .wide = 2 },
	{ NS "backend_packets_total", "counter", "packets", "backend,direction",
	  "Packets forwarded to (direction=to) and from the backend.", .fn = m_backend,
	  .wide = 1 },
	{ NS "backend_health", "gauge", "", "backend,health",
	  "1 for the backend's health state (healthy, suspect, down), 0 for the others.",
	  .fn = m_backend_health },
	{ NS "backend_health_transitions_total", "counter", "", "backend",
	  "Changes of the backend's health state.", .fn = m_backend_hctr,
	  .arg = offsetof(struct wgw_health_info, transitions) },
	{ NS "backend_health_probes_total", "counter", "", "backend",
	  "Probe datagrams sent to the backend (health-check udp).", .fn = m_backend_hctr,
	  .arg = offsetof(struct wgw_health_info, probes) },
	{ NS "backend_health_failed_rounds_total", "counter", "", "backend",
	  "Health rounds of the backend that failed (ICMP error, neighbour, no replies).",
	  .fn = m_backend_hctr, .arg = offsetof(struct wgw_health_info, probe_fails) },
	{ NS "health_icmp_errors_total", "counter", "", "",
	  "ICMP destination-unreachable errors about a backend seen on the LAN side.",
	  HEALTH(icmp_errors) },
	{ NS "health_fail_open_total", "counter", "", "",
	  "Times every up backend was down and the gateway failed open.",
	  HEALTH(fail_open) },

	{ NS "store_state", "gauge", "", "store,state",
	  "1 for the session store's connection state (connecting, connected, down), 0 for "
	  "the others; no series without --session-store.", .fn = m_store_state },
	{ NS "store_writes_total", "counter", "", "",
	  "Bindings written to the session store (SET acknowledged).", STORE(writes) },
	{ NS "store_write_errors_total", "counter", "", "",
	  "Bindings not written: refused by the store or lost with the connection.",
	  STORE(write_errors) },
	{ NS "store_writes_deferred_total", "counter", "", "",
	  "Bindings learnt while the store was not connected; written by the walk that "
	  "follows the connection.", STORE(writes_deferred) },
	{ NS "store_lookups_total", "counter", "", "",
	  "Lookups sent to the session store (a CID unknown here from an endpoint without a "
	  "mapping).", STORE(lookups) },
	{ NS "store_hits_total", "counter", "", "",
	  "Lookups that found the CID's backend.", STORE(hits) },
	{ NS "store_misses_total", "counter", "", "",
	  "Lookups that found nothing: the packet went by rule 1.", STORE(misses) },
	{ NS "store_timeouts_total", "counter", "", "",
	  "Lookups not answered within --session-store-timeout: the packets went by rule 1.",
	  STORE(timeouts) },
	{ NS "store_errors_total", "counter", "", "",
	  "Lookups answered by an error, lost with the connection, or holding a bad value.",
	  STORE(errors) },
	{ NS "store_hits_unusable_total", "counter", "", "",
	  "Hits naming a backend that is not configured here, or down: rule 1 instead.",
	  STORE(hit_unusable) },
	{ NS "store_lookup_ratelimited_total", "counter", "", "",
	  "Lookups not sent: over the worker's --session-store-lookup-rate.",
	  STORE(lookup_ratelimited) },
	{ NS "store_lookup_down_total", "counter", "", "",
	  "Lookups not sent: the CID's store was not connected.", STORE(lookup_down) },
	{ NS "store_negative_hits_total", "counter", "", "",
	  "Lookups not sent: the CID missed within the last two seconds.",
	  STORE(negative_hits) },
	{ NS "store_queue_full_total", "counter", "", "",
	  "Bindings or held packets dropped from the store's queues (rings or hold queue "
	  "full); a packet that cannot be held goes by rule 1.", STORE(queue_full) },
	{ NS "store_queue_depth", "gauge", "packets", "",
	  "Packets waiting for a lookup's answer now, all workers.", STORE(queue_depth) },
	{ NS "store_lookup_latency_seconds", "histogram", "seconds", "",
	  "Time from a lookup's request to its answer (hits and misses).",
	  .fn = m_store_latency },

	{ NS "xdp_packets_total", "counter", "packets", "interface,verdict",
	  "Packets seen by the XDP program, by verdict (pass to the kernel, drop, redirect "
	  "to a worker); the sum is every packet.", .fn = m_xdp },
	{ NS "xdp_reason_packets_total", "counter", "packets", "interface,verdict,reason",
	  "The same packets by the reason of their verdict: summed over reason, the "
	  "verdict's count.", .fn = m_xdp, .wide = 1 },

	{ NS "port_packets_total", "counter", "packets", PORTL ",direction",
	  "Packets received and sent per queue.", PORT2(rx_packets, tx_packets) },
	{ NS "port_bytes_total", "counter", "bytes", PORTL ",direction",
	  "Bytes received and sent per queue.", PORT2(rx_bytes, tx_bytes) },
	{ NS "port_tx_dropped_packets_total", "counter", "packets", PORTL,
	  "Frames dropped because the TX ring or socket was full.", PORT(tx_dropped) },
	{ NS "port_errors_total", "counter", "errors", PORTL ",direction",
	  "Failed I/O system calls per queue.", PORT2(rx_errors, tx_errors) },
	{ NS "port_events_total", "counter", "", PORTL ",event",
	  "Drops and events of the TUN and UDP socket ports, by event; each event is its "
	  "own count (do not sum them).", .fn = m_port_events },
	{ NS "xsk_rx_dropped_packets_total", "counter", "packets", RINGL,
	  "AF_XDP: frames dropped for other reasons than a full ring.", RING(rx_dropped) },
	{ NS "xsk_rx_invalid_descs_total", "counter", "descriptors", RINGL,
	  "AF_XDP: invalid RX descriptors.", RING(rx_invalid_descs) },
	{ NS "xsk_tx_invalid_descs_total", "counter", "descriptors", RINGL,
	  "AF_XDP: invalid TX descriptors.", RING(tx_invalid_descs) },
	{ NS "xsk_rx_ring_full_packets_total", "counter", "packets", RINGL,
	  "AF_XDP: frames dropped because the RX ring was full.", RING(rx_ring_full) },
	{ NS "xsk_rx_fill_ring_empty_total", "counter", "", RINGL,
	  "AF_XDP: times the fill ring was empty.", RING(rx_fill_ring_empty_descs) },
	{ NS "xsk_tx_ring_empty_total", "counter", "", RINGL,
	  "AF_XDP: times the TX ring was empty.", RING(tx_ring_empty_descs) },

	{ NS "worker_loops_total", "counter", "", "worker",
	  "Turns of the worker's loop.", .fn = m_worker, .ctrs = CTRS(W(loops)) },
	{ NS "worker_idle_polls_total", "counter", "", "worker",
	  "Times the worker found nothing to do and waited.", .fn = m_worker,
	  .ctrs = CTRS(W(idle_polls)) },
	{ NS "worker_forwarded_packets_total", "counter", "packets", "worker",
	  "Packets the worker handed to an egress port.", .fn = m_worker,
	  .ctrs = CTRS(W(forwarded)) },
	{ NS "worker_dropped_packets_total", "counter", "packets", "worker,reason",
	  "Packets the worker dropped, by reason (engine_drop: the engine's, by reason in "
	  "engine_dropped_packets_total); the sum is every drop.", .fn = m_worker,
	  .ctrs = CTRS(W(rx_not_udp), W(engine_drop), W(nh_hold_full), W(nh_timeout),
		       W(nh_unreachable), W(nh_wrong_if), W(no_egress), W(tx_too_big)) },
	{ NS "worker_nexthop_held_packets_total", "counter", "packets", "worker",
	  "Packets that waited for a next hop to resolve.", .fn = m_worker,
	  .ctrs = CTRS(W(nh_held)) },
	{ NS "worker_nexthop_requests_lost_total", "counter", "", "worker",
	  "Next-hop resolution requests lost because their ring was full.", .fn = m_worker,
	  .ctrs = CTRS(W(nh_req_full)) },
	{ NS "worker_vlan_stripped_packets_total", "counter", "packets", "worker",
	  "Received frames whose VLAN tag was removed.", .fn = m_worker,
	  .ctrs = CTRS(W(vlan_stripped)) },
	{ NS "worker_rx_backpressure_total", "counter", "", "worker",
	  "Times the worker skipped reading because the egress TX ring was full.",
	  .fn = m_worker, .ctrs = CTRS(W(rx_backpressure)) },
	{ NS "worker_port_errors_total", "counter", "errors", "worker",
	  "Failed port operations the worker saw.", .fn = m_worker,
	  .ctrs = CTRS(W(port_errors)) },
};

const struct wgw_metric *wgw_metrics(unsigned *n)
{
	*n = sizeof(metrics) / sizeof(metrics[0]);
	return metrics;
}

void wgw_stats_visit(const struct wgw_stats *st, struct wgw_metric_sink *s)
{
	for (unsigned i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		if (s->family)
			s->family(s, &metrics[i]);
		metrics[i].fn(&metrics[i], st, s);
	}
}

/* ---------------------------------------------------------- Prometheus */

struct prom_sink {
	struct wgw_metric_sink s;
	struct wgw_strbuf *sb;
};

/* A label value, escaped as the exposition format wants. */
static void prom_esc(struct wgw_strbuf *sb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			wgw_strbuf_printf(sb, "\\%c", *v);
		else if (*v == '\n')
			wgw_strbuf_add(sb, "\\n", 2);
		else
			wgw_strbuf_add(sb, v, 1);
	}
}

/* name{k1="v1",k2="v2"} */
static void series(struct wgw_strbuf *sb, const char *name, const char *const *labels)
{
	wgw_strbuf_printf(sb, "%s", name);
	if (labels && labels[0] && !strcmp(labels[0], SUFFIX)) {
		wgw_strbuf_printf(sb, "%s", labels[1]);
		labels += 2;
	}
	if (labels && labels[0]) {
		wgw_strbuf_add(sb, "{", 1);
		for (unsigned i = 0; labels[i]; i += 2) {
			wgw_strbuf_printf(sb, "%s%s=\"", i ? "," : "", labels[i]);
			prom_esc(sb, labels[i + 1]);
			wgw_strbuf_add(sb, "\"", 1);
		}
		wgw_strbuf_add(sb, "}", 1);
	}
}

/* Whole numbers as integers (counters are, exactly up to 2^53), others
 * in the fewest digits that read back the same (0.23, not
 * 0.23000000000000001). */
static void value(struct wgw_strbuf *sb, double v)
{
	char b[32];

	if (v >= 0 && v < 9007199254740992.0 && v == (double)(uint64_t)v) {
		wgw_strbuf_printf(sb, " %" PRIu64 "\n", (uint64_t)v);
		return;
	}
	snprintf(b, sizeof(b), "%.15g", v);
	if (strtod(b, NULL) != v)
		snprintf(b, sizeof(b), "%.17g", v);
	wgw_strbuf_printf(sb, " %s\n", b);
}

static void prom_family(struct wgw_metric_sink *s, const struct wgw_metric *m)
{
	struct prom_sink *p = (struct prom_sink *)s;

	wgw_strbuf_printf(p->sb, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
			  m->type);
}

static void prom_sample(struct wgw_metric_sink *s, const struct wgw_metric *m,
			const char *const *labels, double v)
{
	struct prom_sink *p = (struct prom_sink *)s;

	series(p->sb, m->name, labels);
	value(p->sb, v);
}

void wgw_stats_prometheus(struct wgw_strbuf *sb, const struct wgw_stats *st)
{
	struct prom_sink p = { { prom_family, prom_sample }, sb };

	wgw_stats_visit(st, &p.s);
}

/* ------------------------------------------------------- the SIGUSR1 dump */

/* After a summary line that opens every dump ("engine: ..."), every
 * series that is not zero, one log line each, in the exposition's own
 * syntax. */
static void log_sample(struct wgw_metric_sink *s, const struct wgw_metric *m,
		       const char *const *labels, double v)
{
	struct wgw_strbuf sb;

	(void)s;
	if (v == 0)
		return;
	wgw_strbuf_init(&sb, 1024);
	series(&sb, m->name, labels);
	value(&sb, v);
	if (sb.p && !sb.overflow) {
		sb.p[sb.len - 1] = '\0';
		wgw_notice("%s", sb.p);
	}
	wgw_strbuf_free(&sb);
}

void wgw_stats_log(const struct wgw_stats *st)
{
	struct wgw_metric_sink s = { NULL, log_sample };

	wgw_notice("engine: %u sessions (CIDs), %u mappings; to_lan %" PRIu64
		   " to_wan %" PRIu64 " dropped %" PRIu64,
		   st->eng.n_cids, st->eng.n_mappings, st->eng.ctr[WGW_CTR_TO_LAN],
		   st->eng.ctr[WGW_CTR_TO_WAN], st->eng.ctr[WGW_CTR_DROP]);
	wgw_stats_visit(st, &s);
}

/* ------------------------------------------------------- the manual */

void wgw_metrics_man(struct wgw_strbuf *sb)
{
	for (unsigned i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const struct wgw_metric *m = &metrics[i];

		wgw_strbuf_printf(sb, ".TP\n.B %s\n%s", m->name, m->type);
		if (m->unit[0])
			wgw_strbuf_printf(sb, ", %s", m->unit);
		if (m->labels[0]) {
			wgw_strbuf_add(sb, "; labels ", 9);
			for (const char *c = m->labels; *c; c++)
				wgw_strbuf_add(sb, *c == ',' ? ", " : c, *c == ',' ? 2 : 1);
		}
		wgw_strbuf_printf(sb, ".\n%s\n", m->help);
	}
}
