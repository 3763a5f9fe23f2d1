// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/resource.h>

#include "gateway/daemon.h"
#include "gateway/log.h"
#include "gateway/stats.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"
#include "gateway/xsk.h"

const char *wgw_stats_endpoint(const union wgw_addr *a, uint16_t port, char *buf, size_t len)
{
	return wgw_addr_port_str(a, port, port, buf, len);
}

void wgw_stats_doc_backend(struct wgw_doc *d, const struct wgw_backend_info *b, bool slot)
{
	char ep[INET6_ADDRSTRLEN + 8];

	wgw_stats_endpoint(&b->addr, b->port, ep, sizeof(ep));
	wgw_doc_obj(d, ep);
	wgw_doc_str(d, "backend", ep);
	if (slot)
		wgw_doc_i64(d, "slot", b->slot);
	wgw_doc_str(d, "state", wgw_backend_state_name(b->state));
	wgw_doc_u64(d, "weight", b->weight);
	wgw_doc_u64(d, "sessions", b->cids);
	wgw_doc_u64(d, "mappings", b->mappings);
	/* the NAT pool of the backend: each mapping holds one (address,
	 * port) pair of addresses x ports */
	wgw_doc_u64(d, "nat_in_use", b->mappings);
	wgw_doc_u64(d, "nat_capacity", b->nat_capacity);
	wgw_doc_u64(d, "nat_exhausted", b->nat_exhausted);
	wgw_doc_u64(d, "packets_to", b->pkts_to);
	wgw_doc_u64(d, "packets_from", b->pkts_from);
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

/* CPU time, memory and the start (in clock ticks after boot) from
 * /proc/self/stat, open descriptors from /proc/self/fd. */
static void collect_proc(struct wgw_stats_proc *p)
{
	unsigned long utime, stime, vsize;
	unsigned long long start;
	long rss, tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct timespec real, boot;
	struct rlimit rl;
	char buf[1024], *c;
	FILE *f;
	DIR *dir;
	size_t n;

	f = fopen("/proc/self/stat", "re");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command name's closing parenthesis: field 3 on. */
	c = strrchr(buf, ')');
	if (!c || tick <= 0 || page <= 0 ||
	    sscanf(c + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d "
		   "%*d %*d %*d %*d %llu %lu %ld", &utime, &stime, &start, &vsize, &rss) != 5)
		return;
	p->cpu_seconds = (double)(utime + stime) / (double)tick;
	p->virtual_bytes = (double)vsize;
	p->resident_bytes = (double)rss * (double)page;
	dir = opendir("/proc/self/fd");
	if (dir) {
		struct dirent *e;
		unsigned k = 0;

		while ((e = readdir(dir)))
			k += e->d_name[0] != '.';
		closedir(dir);
		p->open_fds = k ? k - 1 : 0;	/* not the one reading it */
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		p->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	p->start_time = (double)real.tv_sec + (double)real.tv_nsec / 1e9 -
			((double)boot.tv_sec + (double)boot.tv_nsec / 1e9 -
			 (double)start / (double)tick);
	p->valid = true;
}

static void count_port(struct wgw_port *port, void *arg)
{
	(void)port;
	++*(unsigned *)arg;
}

struct port_collect {
	struct wgw_stats *st;
	unsigned worker, k, nports;
};

static void collect_port(struct wgw_port *port, void *arg)
{
	struct port_collect *pc = arg;
	struct wgw_stats_port *sp;

	if (pc->k >= pc->nports)
		return;
	sp = &pc->st->ports[pc->k++];
	sp->worker = pc->worker;
	snprintf(sp->ifname, sizeof(sp->ifname), "%s", port->ifname);
	sp->queue = port->queue;
	sp->kind = port->ops->kind;
	port->ops->stats(port, &sp->st);
	sp->has_ring = port->ops->ring_stats && !port->ops->ring_stats(port, &sp->ring);
	if (port->ops->xstats)
		sp->nx = port->ops->xstats(port, sp->xname, sp->xval, WGW_PORT_XSTATS_MAX);
}

struct wgw_stats *wgw_stats_collect(struct wgw_daemon *d)
{
	struct port_collect pc = { .k = 0 };
	unsigned nports = 0;
	struct wgw_stats *st;
	struct timespec ts;

	for (unsigned w = 0; w < d->nworkers; w++)
		wgw_worker_visit_ports(&d->workers[w], count_port, &nports);
	st = wgw_stats_alloc(d->nworkers, nports);
	if (!st)
		return NULL;
	pc.st = st;
	pc.nports = nports;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	st->mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	st->uptime_s = (uint64_t)(ts.tv_sec - d->started_mono.tv_sec);
	collect_proc(&st->proc);
	wgw_engine_get_stats(d->engine, &st->eng);
	st->nbackends = wgw_engine_backends(d->engine, st->be, WGW_ENGINE_MAX_BACKENDS);
	if (st->nbackends > WGW_ENGINE_MAX_BACKENDS)
		st->nbackends = WGW_ENGINE_MAX_BACKENDS;
	if (d->health) {
		st->health_on = true;
		wgw_health_get_stats(d->health, &st->health);
		for (unsigned i = 0; i < st->nbackends; i++)
			st->be_health_known[i] = !wgw_health_get(d->health, &st->be[i].addr,
								 st->be[i].port, &st->be_health[i]);
	}
	if (d->store) {
		st->store_on = true;
		wgw_store_get_stats(d->store, &st->store);
		st->nstores = wgw_store_info(d->store, st->stores,
					     sizeof(st->stores) / sizeof(st->stores[0]));
		if (st->nstores > sizeof(st->stores) / sizeof(st->stores[0]))
			st->nstores = sizeof(st->stores) / sizeof(st->stores[0]);
	}
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
		pc.worker = w;
		wgw_worker_visit_ports(wk, collect_port, &pc);
	}
	st->nports = pc.k;
	return st;
}

void wgw_stats_sample(struct wgw_stats_sampler *s, struct wgw_daemon *d, uint64_t now_ms)
{
	struct wgw_stats *st;

	if (now_ms < s->next_ms)
		return;
	/* Whole seconds from the first sample on, whatever a pass's delay. */
	s->next_ms = s->next_ms && now_ms - s->next_ms < WGW_STATS_SAMPLE_MS ?
		     s->next_ms + WGW_STATS_SAMPLE_MS : now_ms + WGW_STATS_SAMPLE_MS;
	st = wgw_stats_collect(d);
	if (!st)
		return;		/* out of memory: keep the older base */
	wgw_stats_free(s->old);
	s->old = s->cur;
	s->cur = st;
}

const struct wgw_stats *wgw_stats_rate_base(const struct wgw_stats_sampler *s)
{
	return s->old;
}

void wgw_stats_sampler_free(struct wgw_stats_sampler *s)
{
	wgw_stats_free(s->cur);
	wgw_stats_free(s->old);
	s->cur = s->old = NULL;
}

/* ------------------------------------------------------ text and JSON */

const char *wgw_stats_key(const char *name, char *buf, size_t len)
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
	char label[64], kb[64];

	secs = prev ? (double)(st->mono_ns - prev->mono_ns) / 1e9 : (double)st->uptime_s;
	wgw_doc_u64(d, "uptime_s", st->uptime_s);
	wgw_doc_dbl(d, "interval_s", secs);
	if (st->proc.valid) {
		wgw_doc_obj(d, "process");
		wgw_doc_dbl(d, "start_time_s", st->proc.start_time);
		wgw_doc_dbl(d, "cpu_s", st->proc.cpu_seconds);
		wgw_doc_u64(d, "resident_bytes", (uint64_t)st->proc.resident_bytes);
		wgw_doc_u64(d, "virtual_bytes", (uint64_t)st->proc.virtual_bytes);
		wgw_doc_u64(d, "open_fds", (uint64_t)st->proc.open_fds);
		wgw_doc_dbl(d, "max_fds", st->proc.max_fds);
		wgw_doc_close(d);
	}

	wgw_doc_obj(d, "engine");
	WGW_DOC_U64S(d, { "sessions", st->eng.n_cids }, { "mappings", st->eng.n_mappings },
		     { "sessions_limit", st->eng.lim_cids },
		     { "mappings_limit", st->eng.lim_mappings },
		     { "sessions_capacity", st->eng.cap_cids },
		     { "mappings_capacity", st->eng.cap_mappings },
		     { "memory_bytes", st->eng.mem_bytes });
	wgw_doc_obj(d, "counters");
	for (unsigned c = 0; c < WGW_CTR_MAX; c++)
		wgw_doc_u64(d, wgw_stats_key(wgw_engine_ctr_name(c), kb, sizeof(kb)), st->eng.ctr[c]);
	wgw_doc_close(d);
	wgw_doc_obj(d, "drops");
	for (unsigned r = 1; r < WGW_DROP_REASON_MAX; r++)
		wgw_doc_u64(d, wgw_stats_key(wgw_drop_reason_name(r), kb, sizeof(kb)), st->eng.drop[r]);
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

	if (st->store_on) {
		const struct wgw_store_stats *ss = &st->store;

		wgw_doc_obj(d, "session_store");
		WGW_DOC_U64S(d, { "store_writes", ss->writes },
			     { "store_write_errors", ss->write_errors },
			     { "store_writes_deferred", ss->writes_deferred },
			     { "store_lookups", ss->lookups }, { "store_hits", ss->hits },
			     { "store_misses", ss->misses }, { "store_timeouts", ss->timeouts },
			     { "store_errors", ss->errors },
			     { "store_hits_unusable", ss->hit_unusable },
			     { "store_lookup_ratelimited", ss->lookup_ratelimited },
			     { "store_lookup_down", ss->lookup_down },
			     { "store_negative_hits", ss->negative_hits },
			     { "store_queue_full", ss->queue_full },
			     { "store_queue_depth", ss->queue_depth },
			     { "store_lookup_latency_count", ss->lat_count },
			     { "store_lookup_latency_avg_us",
			       ss->lat_count ? ss->lat_sum_us / ss->lat_count : 0 },
			     { "store_lookup_latency_max_us", ss->lat_max_us });
		wgw_doc_close(d);
	}

	wgw_doc_arr(d, "backends");
	for (unsigned i = 0; i < st->nbackends; i++) {
		const struct wgw_backend_info *b = &st->be[i];
		const struct wgw_backend_info *pb = prev_backend(prev, b);

		wgw_stats_doc_backend(d, b, false);
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
				wgw_doc_u64(d, wgw_stats_key(wgw_xdp_counter_name(c), kb, sizeof(kb)),
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
			WGW_DOC_U64S(d, { "rx_dropped", p->ring.rx_dropped },
				     { "rx_invalid_descs", p->ring.rx_invalid_descs },
				     { "tx_invalid_descs", p->ring.tx_invalid_descs },
				     { "rx_ring_full", p->ring.rx_ring_full },
				     { "rx_fill_ring_empty_descs", p->ring.rx_fill_ring_empty_descs },
				     { "tx_ring_empty_descs", p->ring.tx_ring_empty_descs });
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
			wgw_doc_u64(d, wgw_stats_key(wgw_worker_counter_name(c), kb, sizeof(kb)),
				    st->wctr[w][c]);
		wgw_doc_close(d);
	}
	wgw_doc_close(d);
}
