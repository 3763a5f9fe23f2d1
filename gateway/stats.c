// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/daemon.h"
#include "gateway/stats.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"
#include "gateway/xsk.h"

const char *wgw_stats_endpoint(const union wgw_addr *a, uint16_t port, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN];

	if (!wgw_addr_str(a, s, sizeof(s)))
		snprintf(s, sizeof(s), "?");
	snprintf(buf, len, wgw_addr_is_v4(a) ? "%s:%u" : "[%s]:%u", s, port);
	return buf;
}

struct wgw_stats *wgw_stats_alloc(unsigned nworkers, unsigned nports)
{
	struct wgw_stats *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->wctr = calloc(nworkers ? nworkers : 1, sizeof(*st->wctr));
	st->ports = calloc(nports ? nports : 1, sizeof(*st->ports));
	if (!st->wctr || !st->ports) {
		wgw_stats_free(st);
		errno = ENOMEM;
		return NULL;
	}
	st->nworkers = nworkers;
	st->nports = nports;
	st->nworker_ctrs = wgw_worker_counter_count();
	if (st->nworker_ctrs > WGW_STATS_WORKER_CTRS)
		st->nworker_ctrs = WGW_STATS_WORKER_CTRS;
	return st;
}

void wgw_stats_free(struct wgw_stats *st)
{
	if (!st)
		return;
	free(st->wctr);
	free(st->ports);
	free(st);
}

struct wgw_stats *wgw_stats_collect(struct wgw_daemon *d)
{
	unsigned nports = 0, k = 0;
	struct wgw_stats *st;
	struct timespec ts;

	for (unsigned w = 0; w < d->nworkers; w++)
		nports += d->workers[w].nports;
	st = wgw_stats_alloc(d->nworkers, nports);
	if (!st)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	st->mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	st->uptime_s = (uint64_t)(ts.tv_sec - d->started_mono.tv_sec);
	wgw_engine_get_stats(d->engine, &st->eng);
	st->nbackends = wgw_engine_backends(d->engine, st->be, WGW_ENGINE_MAX_BACKENDS);
	if (st->nbackends > WGW_ENGINE_MAX_BACKENDS)
		st->nbackends = WGW_ENGINE_MAX_BACKENDS;
	st->nifs = d->nifs < 2 ? d->nifs : 2;
	for (unsigned i = 0; i < st->nifs; i++) {
		const struct wgw_iface *ifc = &d->ifs[i];
		struct wgw_stats_iface *si = &st->ifs[i];

		snprintf(si->name, sizeof(si->name), "%s", ifc->name);
		si->sides = wgw_sides_name(ifc->sides);
		si->mode = wgw_rung_name(ifc->rung);
		si->has_xdp = ifc->xdp && !wgw_xdp_read_counters(ifc->xdp, si->xdp);
	}
	for (unsigned w = 0; w < d->nworkers; w++) {
		struct wgw_worker *wk = &d->workers[w];
		uint64_t c[WGW_STATS_WORKER_CTRS + 32];

		/* wgw_worker_counters() writes all of its counters. */
		if (wgw_worker_counter_count() <= sizeof(c) / sizeof(c[0])) {
			wgw_worker_counters(wk, c);
			memcpy(st->wctr[w], c, st->nworker_ctrs * sizeof(c[0]));
		}
		for (unsigned p = 0; p < wk->nports && k < nports; p++, k++) {
			struct wgw_port *port = wk->ports[p];
			struct wgw_stats_port *sp = &st->ports[k];

			sp->worker = w;
			snprintf(sp->ifname, sizeof(sp->ifname), "%s", port->ifname);
			sp->queue = port->queue;
			sp->kind = port->ops->kind;
			port->ops->stats(port, &sp->st);
			sp->has_ring = wgw_port_is_xsk(port) &&
				       !wgw_xsk_port_xdp_stats(port, &sp->ring);
			if (port->ops->xstats)
				sp->nx = port->ops->xstats(port, sp->xname, sp->xval,
							   WGW_PORT_XSTATS_MAX);
		}
	}
	st->nports = k;
	return st;
}

/* ------------------------------------------------------ text and JSON */

/* Document keys are identifiers: "rx-client" becomes "rx_client", so that
 * scripts can write .engine.counters.rx_client. */
static const char *key(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name && name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}

static double rate(uint64_t now, uint64_t then, double secs)
{
	return secs > 0 && now >= then ? (double)(now - then) / secs : 0;
}

static const struct wgw_backend_info *prev_backend(const struct wgw_stats *prev,
						   const struct wgw_backend_info *b)
{
	if (!prev)
		return NULL;
	for (unsigned i = 0; i < prev->nbackends; i++)
		if (prev->be[i].port == b->port && wgw_addr_eq(&prev->be[i].addr, &b->addr) &&
		    prev->be[i].slot == b->slot)
			return &prev->be[i];
	return NULL;
}

static const struct wgw_stats_port *prev_port(const struct wgw_stats *prev, unsigned k,
					      const struct wgw_stats_port *p)
{
	if (!prev || k >= prev->nports || prev->ports[k].queue != p->queue ||
	    prev->ports[k].worker != p->worker || strcmp(prev->ports[k].ifname, p->ifname))
		return NULL;
	return &prev->ports[k];
}

/*
 * "wan0 queue 1": an AF_XDP or TUN queue is one worker's.  Every worker
 * has its own "udp" port (a socket per VIP port in each reuseport group),
 * all on queue 0: those are told apart by worker ("udp queue 0 worker 1").
 */
static const char *port_label(const struct wgw_stats *st, const struct wgw_stats_port *p,
			      char *buf, size_t len)
{
	bool shared = false;

	for (unsigned k = 0; k < st->nports && !shared; k++)
		shared = &st->ports[k] != p && st->ports[k].queue == p->queue &&
			 !strcmp(st->ports[k].ifname, p->ifname);
	if (shared)
		snprintf(buf, len, "%s queue %u worker %u", p->ifname, p->queue, p->worker);
	else
		snprintf(buf, len, "%s queue %u", p->ifname, p->queue);
	return buf;
}

void wgw_stats_doc(struct wgw_doc *d, const struct wgw_stats *st,
		   const struct wgw_stats *prev)
{
	static const struct wgw_engine_stats zero_eng;
	const struct wgw_engine_stats *pe = prev ? &prev->eng : &zero_eng;
	double secs;
	char ep[INET6_ADDRSTRLEN + 8], label[64], kb[64];

	secs = prev ? (double)(st->mono_ns - prev->mono_ns) / 1e9 : (double)st->uptime_s;
	wgw_doc_u64(d, "uptime_s", st->uptime_s);
	wgw_doc_dbl(d, "interval_s", secs);

	wgw_doc_obj(d, "engine");
	wgw_doc_u64(d, "sessions", st->eng.n_cids);
	wgw_doc_u64(d, "mappings", st->eng.n_mappings);
	wgw_doc_u64(d, "sessions_limit", st->eng.lim_cids);
	wgw_doc_u64(d, "mappings_limit", st->eng.lim_mappings);
	wgw_doc_u64(d, "sessions_capacity", st->eng.cap_cids);
	wgw_doc_u64(d, "mappings_capacity", st->eng.cap_mappings);
	wgw_doc_u64(d, "memory_bytes", st->eng.mem_bytes);
	wgw_doc_obj(d, "counters");
	for (unsigned c = 0; c < WGW_CTR_MAX; c++)
		wgw_doc_u64(d, key(wgw_engine_ctr_name(c), kb, sizeof(kb)), st->eng.ctr[c]);
	wgw_doc_close(d);
	wgw_doc_obj(d, "drops");
	for (unsigned r = 1; r < WGW_DROP_REASON_MAX; r++)
		wgw_doc_u64(d, key(wgw_drop_reason_name(r), kb, sizeof(kb)), st->eng.drop[r]);
	wgw_doc_close(d);
	wgw_doc_obj(d, "rates");
	wgw_doc_dbl(d, "rx_client_pps", rate(st->eng.ctr[WGW_CTR_RX_CLIENT],
					      pe->ctr[WGW_CTR_RX_CLIENT], secs));
	wgw_doc_dbl(d, "rx_backend_pps", rate(st->eng.ctr[WGW_CTR_RX_BACKEND],
					       pe->ctr[WGW_CTR_RX_BACKEND], secs));
	wgw_doc_dbl(d, "to_lan_pps", rate(st->eng.ctr[WGW_CTR_TO_LAN], pe->ctr[WGW_CTR_TO_LAN], secs));
	wgw_doc_dbl(d, "to_wan_pps", rate(st->eng.ctr[WGW_CTR_TO_WAN], pe->ctr[WGW_CTR_TO_WAN], secs));
	wgw_doc_dbl(d, "drop_pps", rate(st->eng.ctr[WGW_CTR_DROP], pe->ctr[WGW_CTR_DROP], secs));
	wgw_doc_dbl(d, "new_mappings_per_s", rate(st->eng.ctr[WGW_CTR_MAP_CREATED],
						   pe->ctr[WGW_CTR_MAP_CREATED], secs));
	wgw_doc_close(d);
	wgw_doc_close(d);

	wgw_doc_arr(d, "backends");
	for (unsigned i = 0; i < st->nbackends; i++) {
		const struct wgw_backend_info *b = &st->be[i];
		const struct wgw_backend_info *pb = prev_backend(prev, b);

		wgw_stats_endpoint(&b->addr, b->port, ep, sizeof(ep));
		wgw_doc_obj(d, ep);
		wgw_doc_str(d, "backend", ep);
		wgw_doc_str(d, "state", wgw_backend_state_name(b->state));
		wgw_doc_u64(d, "weight", b->weight);
		wgw_doc_u64(d, "sessions", b->cids);
		wgw_doc_u64(d, "mappings", b->mappings);
		wgw_doc_u64(d, "packets_to", b->pkts_to);
		wgw_doc_u64(d, "packets_from", b->pkts_from);
		wgw_doc_dbl(d, "to_pps", rate(b->pkts_to, pb ? pb->pkts_to : 0, secs));
		wgw_doc_dbl(d, "from_pps", rate(b->pkts_from, pb ? pb->pkts_from : 0, secs));
		wgw_doc_close(d);
	}
	wgw_doc_close(d);

	wgw_doc_arr(d, "interfaces");
	for (unsigned i = 0; i < st->nifs; i++) {
		const struct wgw_stats_iface *si = &st->ifs[i];

		wgw_doc_obj(d, si->name);
		wgw_doc_str(d, "interface", si->name);
		wgw_doc_str(d, "sides", si->sides);
		wgw_doc_str(d, "mode", si->mode);
		if (si->has_xdp) {
			wgw_doc_obj(d, "xdp");
			for (unsigned c = 0; c < WGW_XDP_CNT_MAX; c++)
				wgw_doc_u64(d, key(wgw_xdp_counter_name(c), kb, sizeof(kb)),
					    si->xdp[c]);
			wgw_doc_close(d);
		}
		wgw_doc_close(d);
	}
	wgw_doc_close(d);

	wgw_doc_arr(d, "queues");
	for (unsigned k = 0; k < st->nports; k++) {
		const struct wgw_stats_port *p = &st->ports[k];
		const struct wgw_stats_port *pp = prev_port(prev, k, p);

		port_label(st, p, label, sizeof(label));
		wgw_doc_obj(d, label);
		wgw_doc_str(d, "interface", p->ifname);
		wgw_doc_u64(d, "queue", p->queue);
		wgw_doc_u64(d, "worker", p->worker);
		wgw_doc_str(d, "kind", p->kind);
		wgw_doc_u64(d, "rx_packets", p->st.rx_packets);
		wgw_doc_u64(d, "rx_bytes", p->st.rx_bytes);
		wgw_doc_u64(d, "tx_packets", p->st.tx_packets);
		wgw_doc_u64(d, "tx_bytes", p->st.tx_bytes);
		wgw_doc_u64(d, "tx_dropped", p->st.tx_dropped);
		wgw_doc_u64(d, "rx_errors", p->st.rx_errors);
		wgw_doc_u64(d, "tx_errors", p->st.tx_errors);
		wgw_doc_u64(d, "kicks", p->st.kicks);
		wgw_doc_u64(d, "wakeups", p->st.wakeups);
		wgw_doc_dbl(d, "rx_pps", rate(p->st.rx_packets, pp ? pp->st.rx_packets : 0, secs));
		wgw_doc_dbl(d, "tx_pps", rate(p->st.tx_packets, pp ? pp->st.tx_packets : 0, secs));
		if (p->nx) {
			wgw_doc_obj(d, p->kind);
			for (unsigned x = 0; x < p->nx; x++)
				wgw_doc_u64(d, p->xname[x], p->xval[x]);
			wgw_doc_close(d);
		}
		if (p->has_ring) {
			wgw_doc_obj(d, "ring");
			wgw_doc_u64(d, "rx_dropped", p->ring.rx_dropped);
			wgw_doc_u64(d, "rx_invalid_descs", p->ring.rx_invalid_descs);
			wgw_doc_u64(d, "tx_invalid_descs", p->ring.tx_invalid_descs);
			wgw_doc_u64(d, "rx_ring_full", p->ring.rx_ring_full);
			wgw_doc_u64(d, "rx_fill_ring_empty_descs", p->ring.rx_fill_ring_empty_descs);
			wgw_doc_u64(d, "tx_ring_empty_descs", p->ring.tx_ring_empty_descs);
			wgw_doc_close(d);
		}
		wgw_doc_close(d);
	}
	wgw_doc_close(d);

	wgw_doc_arr(d, "workers");
	for (unsigned w = 0; w < st->nworkers; w++) {
		snprintf(label, sizeof(label), "worker %u", w);
		wgw_doc_obj(d, label);
		wgw_doc_u64(d, "worker", w);
		for (unsigned c = 0; c < st->nworker_ctrs; c++)
			wgw_doc_u64(d, key(wgw_worker_counter_name(c), kb, sizeof(kb)),
				    st->wctr[w][c]);
		wgw_doc_close(d);
	}
	wgw_doc_close(d);
}

/* ---------------------------------------------------------- Prometheus */

#define PROM_NS "wraith_gateway_"

static void prom_family(struct wgw_strbuf *sb, const char *name, const char *type,
			const char *help)
{
	wgw_strbuf_printf(sb, "# HELP " PROM_NS "%s %s\n# TYPE " PROM_NS "%s %s\n",
			  name, help, name, type);
}

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

/* name{k1="v1",k2="v2"} value; labels is a NULL-ended list of pairs. */
static void prom_sample(struct wgw_strbuf *sb, const char *name, const char *const *labels,
			uint64_t val)
{
	wgw_strbuf_printf(sb, PROM_NS "%s", name);
	if (labels && labels[0]) {
		wgw_strbuf_add(sb, "{", 1);
		for (unsigned i = 0; labels[i]; i += 2) {
			wgw_strbuf_printf(sb, "%s%s=\"", i ? "," : "", labels[i]);
			prom_esc(sb, labels[i + 1]);
			wgw_strbuf_add(sb, "\"", 1);
		}
		wgw_strbuf_add(sb, "}", 1);
	}
	wgw_strbuf_printf(sb, " %" PRIu64 "\n", val);
}

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* One sample per queue of a port counter (at offset off). */
static void prom_ports(struct wgw_strbuf *sb, const struct wgw_stats *st, const char *name,
		       size_t off, const char *dir)
{
	char q[16], w[16];

	for (unsigned k = 0; k < st->nports; k++) {
		const struct wgw_stats_port *p = &st->ports[k];
		uint64_t v;

		memcpy(&v, (const char *)&p->st + off, sizeof(v));
		snprintf(q, sizeof(q), "%u", p->queue);
		snprintf(w, sizeof(w), "%u", p->worker);
		if (dir)
			prom_sample(sb, name, L("interface", p->ifname, "queue", q,
				    "worker", w, "kind", p->kind, "direction", dir), v);
		else
			prom_sample(sb, name, L("interface", p->ifname, "queue", q,
				    "worker", w, "kind", p->kind), v);
	}
}

/* The port kinds' own counters (rx_fragments, not_ours, rx_hs_rate...). */
static void prom_port_events(struct wgw_strbuf *sb, const struct wgw_stats *st)
{
	char q[16], w[16];

	prom_family(sb, "port_events_total", "counter",
		    "Drops and events of the TUN and UDP socket ports, by counter.");
	for (unsigned k = 0; k < st->nports; k++) {
		const struct wgw_stats_port *p = &st->ports[k];

		snprintf(q, sizeof(q), "%u", p->queue);
		snprintf(w, sizeof(w), "%u", p->worker);
		for (unsigned x = 0; x < p->nx; x++)
			prom_sample(sb, "port_events_total", L("interface", p->ifname,
				    "queue", q, "worker", w, "kind", p->kind,
				    "counter", p->xname[x]), p->xval[x]);
	}
}

void wgw_stats_prometheus(struct wgw_strbuf *sb, const struct wgw_stats *st)
{
	static const char *const states[] = { "down", "up", "drain" };
	char ep[INET6_ADDRSTRLEN + 8], q[16], w[16];

	prom_family(sb, "info", "gauge", "Version of the running gateway.");
	prom_sample(sb, "info", L("version", PACKAGE_VERSION), 1);
	prom_family(sb, "uptime_seconds", "gauge", "Seconds since the gateway started.");
	prom_sample(sb, "uptime_seconds", NULL, st->uptime_s);

	prom_family(sb, "interface_info", "gauge",
		    "Interfaces in use, with their side and the mode-ladder rung.");
	for (unsigned i = 0; i < st->nifs; i++)
		prom_sample(sb, "interface_info", L("interface", st->ifs[i].name,
			    "sides", st->ifs[i].sides, "mode", st->ifs[i].mode), 1);

	prom_family(sb, "engine_events_total", "counter",
		    "Routing engine events (packets routed, mappings and CIDs made and expired).");
	for (unsigned c = 0; c < WGW_CTR_MAX; c++)
		prom_sample(sb, "engine_events_total", L("event", wgw_engine_ctr_name(c)),
			    st->eng.ctr[c]);
	prom_family(sb, "engine_drops_total", "counter", "Packets the engine dropped, by reason.");
	for (unsigned r = 1; r < WGW_DROP_REASON_MAX; r++)
		prom_sample(sb, "engine_drops_total", L("reason", wgw_drop_reason_name(r)),
			    st->eng.drop[r]);
	prom_family(sb, "sessions", "gauge", "Live entries of the CID (session) table.");
	prom_sample(sb, "sessions", NULL, st->eng.n_cids);
	prom_family(sb, "mappings", "gauge", "Live NAT mappings.");
	prom_sample(sb, "mappings", NULL, st->eng.n_mappings);
	prom_family(sb, "sessions_limit", "gauge", "Current limit of the CID table.");
	prom_sample(sb, "sessions_limit", NULL, st->eng.lim_cids);
	prom_family(sb, "mappings_limit", "gauge", "Current limit of the NAT mapping table.");
	prom_sample(sb, "mappings_limit", NULL, st->eng.lim_mappings);

	prom_family(sb, "backend_state", "gauge", "1 for the backend's admin state.");
	for (unsigned i = 0; i < st->nbackends; i++) {
		const struct wgw_backend_info *b = &st->be[i];

		wgw_stats_endpoint(&b->addr, b->port, ep, sizeof(ep));
		for (unsigned s = 0; s < 3; s++)
			prom_sample(sb, "backend_state", L("backend", ep, "state", states[s]),
				    (unsigned)b->state == s);
	}
	prom_family(sb, "backend_weight", "gauge", "Backend weight in the consistent hash.");
	for (unsigned i = 0; i < st->nbackends; i++) {
		wgw_stats_endpoint(&st->be[i].addr, st->be[i].port, ep, sizeof(ep));
		prom_sample(sb, "backend_weight", L("backend", ep), st->be[i].weight);
	}
	prom_family(sb, "backend_sessions", "gauge", "CIDs bound to the backend.");
	for (unsigned i = 0; i < st->nbackends; i++) {
		wgw_stats_endpoint(&st->be[i].addr, st->be[i].port, ep, sizeof(ep));
		prom_sample(sb, "backend_sessions", L("backend", ep), st->be[i].cids);
	}
	prom_family(sb, "backend_mappings", "gauge", "NAT mappings on the backend.");
	for (unsigned i = 0; i < st->nbackends; i++) {
		wgw_stats_endpoint(&st->be[i].addr, st->be[i].port, ep, sizeof(ep));
		prom_sample(sb, "backend_mappings", L("backend", ep), st->be[i].mappings);
	}
	prom_family(sb, "backend_packets_total", "counter",
		    "Packets forwarded to (direction=to) and from the backend.");
	for (unsigned i = 0; i < st->nbackends; i++) {
		wgw_stats_endpoint(&st->be[i].addr, st->be[i].port, ep, sizeof(ep));
		prom_sample(sb, "backend_packets_total", L("backend", ep, "direction", "to"),
			    st->be[i].pkts_to);
		prom_sample(sb, "backend_packets_total", L("backend", ep, "direction", "from"),
			    st->be[i].pkts_from);
	}

	prom_family(sb, "xdp_packets_total", "counter",
		    "Packets seen by the XDP program, by verdict and reason (summed over CPUs).");
	for (unsigned i = 0; i < st->nifs; i++) {
		if (!st->ifs[i].has_xdp)
			continue;
		for (unsigned c = 0; c < WGW_XDP_CNT_MAX; c++)
			prom_sample(sb, "xdp_packets_total", L("interface", st->ifs[i].name,
				    "counter", wgw_xdp_counter_name(c)), st->ifs[i].xdp[c]);
	}

	prom_family(sb, "port_packets_total", "counter", "Packets received and sent per queue.");
	prom_ports(sb, st, "port_packets_total", offsetof(struct wgw_port_stats, rx_packets), "rx");
	prom_ports(sb, st, "port_packets_total", offsetof(struct wgw_port_stats, tx_packets), "tx");
	prom_family(sb, "port_bytes_total", "counter", "Bytes received and sent per queue.");
	prom_ports(sb, st, "port_bytes_total", offsetof(struct wgw_port_stats, rx_bytes), "rx");
	prom_ports(sb, st, "port_bytes_total", offsetof(struct wgw_port_stats, tx_bytes), "tx");
	prom_family(sb, "port_tx_dropped_total", "counter",
		    "Frames dropped because the TX ring or socket was full.");
	prom_ports(sb, st, "port_tx_dropped_total", offsetof(struct wgw_port_stats, tx_dropped),
		   NULL);
	prom_family(sb, "port_errors_total", "counter", "Failed I/O system calls per queue.");
	prom_ports(sb, st, "port_errors_total", offsetof(struct wgw_port_stats, rx_errors), "rx");
	prom_ports(sb, st, "port_errors_total", offsetof(struct wgw_port_stats, tx_errors), "tx");
	prom_port_events(sb, st);

	static const struct {
		const char *name, *help;
		size_t off;
	} ring[] = {
		{ "xsk_rx_dropped_total", "AF_XDP: frames dropped for other reasons than a full ring.",
		  offsetof(struct xdp_statistics, rx_dropped) },
		{ "xsk_rx_invalid_descs_total", "AF_XDP: invalid RX descriptors.",
		  offsetof(struct xdp_statistics, rx_invalid_descs) },
		{ "xsk_tx_invalid_descs_total", "AF_XDP: invalid TX descriptors.",
		  offsetof(struct xdp_statistics, tx_invalid_descs) },
		{ "xsk_rx_ring_full_total", "AF_XDP: frames dropped because the RX ring was full.",
		  offsetof(struct xdp_statistics, rx_ring_full) },
		{ "xsk_rx_fill_ring_empty_total", "AF_XDP: times the fill ring was empty.",
		  offsetof(struct xdp_statistics, rx_fill_ring_empty_descs) },
		{ "xsk_tx_ring_empty_total", "AF_XDP: times the TX ring was empty.",
		  offsetof(struct xdp_statistics, tx_ring_empty_descs) },
	};
	for (unsigned r = 0; r < sizeof(ring) / sizeof(ring[0]); r++) {
		prom_family(sb, ring[r].name, "counter", ring[r].help);
		for (unsigned k = 0; k < st->nports; k++) {
			const struct wgw_stats_port *p = &st->ports[k];
			uint64_t v;

			if (!p->has_ring)
				continue;
			memcpy(&v, (const char *)&p->ring + ring[r].off, sizeof(v));
			snprintf(q, sizeof(q), "%u", p->queue);
			prom_sample(sb, ring[r].name, L("interface", p->ifname, "queue", q), v);
		}
	}

	prom_family(sb, "worker_events_total", "counter",
		    "Decisions of the worker loops (next-hop waits and drops, forwards).");
	for (unsigned i = 0; i < st->nworkers; i++) {
		snprintf(w, sizeof(w), "%u", i);
		for (unsigned c = 0; c < st->nworker_ctrs; c++)
			prom_sample(sb, "worker_events_total",
				    L("worker", w, "counter", wgw_worker_counter_name(c)),
				    st->wctr[i][c]);
	}
}
