// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control commands (see gateway/ctlproto.h for the table and
 * wraith-gatewayctl(8)).  Each handler describes its reply once with struct
 * wgw_doc; the request's format= picks text or JSON.  They run on the
 * control thread and call the engine's admin and introspection API.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/ctl_internal.h"
#include "gateway/daemon.h"
#include "gateway/engine.h"
#include "gateway/health.h"
#include "gateway/log.h"
#include "gateway/reload.h"
#include "gateway/stats.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"

#define LIST_DEFAULT 100		/* sessions list without a limit */
#define LIST_MAX 100000			/* largest sessions list limit */
#define CLIENT_LOOKUP_MAX 64		/* mappings shown for one client endpoint */

static uint32_t now_s(void)
{
	struct timespec ts;

	/* The engine's clock: the workers use the coarse monotonic clock. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

typedef int (*ctl_handler)(struct wgw_ctl *c, const struct wgw_ctl_req *r,
			   struct wgw_doc *doc, char *why, size_t whylen);

/* The configured service: VIPs and the NAT address and ports. */
static void doc_service(struct wgw_doc *doc, const struct wgw_config *cfg)
{
	char ep[INET6_ADDRSTRLEN + 16], a[INET6_ADDRSTRLEN];

	wgw_doc_arr(doc, "vips");
	for (unsigned i = 0; i < cfg->n_vips; i++) {
		const struct wgw_vip *v = &cfg->vips[i];

		wgw_stats_endpoint(&v->addr, v->port_lo, ep, sizeof(ep));
		if (v->port_hi != v->port_lo)
			snprintf(ep + strlen(ep), sizeof(ep) - strlen(ep), "-%u", v->port_hi);
		wgw_doc_str(doc, NULL, ep);
	}
	wgw_doc_close(doc);
	wgw_doc_str(doc, "nat", wgw_addr_str(&cfg->nat, a, sizeof(a)) ? a : "?");
	wgw_doc_strf(doc, "nat_ports", "%u-%u", cfg->nat_port_lo, cfg->nat_port_hi);
	/* the pool: every NAT address, the first one first */
	wgw_doc_arr(doc, "nat_addresses");
	for (unsigned i = 0; i <= cfg->n_nat_pool; i++)
		wgw_doc_str(doc, NULL, wgw_addr_str(i ? &cfg->nat_pool[i - 1] : &cfg->nat, a,
						    sizeof(a)) ? a : "?");
	wgw_doc_close(doc);
}

/* One interface: its rung on the mode ladder and why, what the kernel
 * says is attached. */
static void doc_iface(struct wgw_doc *doc, const struct wgw_iface *ifc)
{
	enum wgw_xdp_mode xm = WGW_XDP_MODE_NONE;

	wgw_doc_obj(doc, ifc->name);
	wgw_doc_str(doc, "interface", ifc->name);
	wgw_doc_i64(doc, "ifindex", ifc->ifindex);
	wgw_doc_str(doc, "sides", wgw_sides_name(ifc->sides));
	wgw_doc_str(doc, "mode", wgw_rung_name(ifc->rung));
	wgw_doc_bool(doc, "forced", ifc->want != WGW_MODE_AUTO);
	wgw_doc_str(doc, "why", ifc->why[0] ? ifc->why : ifc->want != WGW_MODE_AUTO ?
		    "forced (--mode)" : "the best rung: nothing above it");
	if (ifc->xdp)
		wgw_xdp_query_mode(ifc->xdp, &xm);
	wgw_doc_str(doc, "xdp_attached", wgw_xdp_mode_name(xm));
	wgw_doc_str(doc, "xdp_attached_through", ifc->xdp ?
		    wgw_xdp_how_name(wgw_xdp_attached_how(ifc->xdp)) : "none");
	wgw_doc_u64(doc, "queues", ifc->queues);
	wgw_doc_u64(doc, "mtu", ifc->mtu);
	wgw_doc_i64(doc, "numa_node", ifc->numa_node);
	wgw_doc_close(doc);
}

/* One of a worker's ports in the status document. */
static void doc_port(struct wgw_port *port, void *arg)
{
	wgw_doc_strf(arg, NULL, "%s queue %u (%s)", port->ifname, port->queue,
		     port->ops->kind);
}

/* One worker: its CPU, whether it runs, the ports it serves. */
static void doc_worker(struct wgw_doc *doc, unsigned w, const struct wgw_worker *wk)
{
	char label[32];

	snprintf(label, sizeof(label), "worker %u", w);
	wgw_doc_obj(doc, label);
	wgw_doc_u64(doc, "worker", w);
	wgw_doc_i64(doc, "cpu", wgw_worker_cpu(wk));
	wgw_doc_bool(doc, "running", wgw_worker_running(wk));
	wgw_doc_arr(doc, "ports");
	wgw_worker_visit_ports(wk, doc_port, doc);
	wgw_doc_close(doc);
	wgw_doc_close(doc);
}

/* The engine's backends by state, its sessions and mappings. */
static int doc_engine(struct wgw_doc *doc, struct wgw_engine *e)
{
	struct wgw_backend_info *bi;
	struct wgw_engine_stats es;
	unsigned nb, up = 0, drain = 0, cap = 0, fullest = 0;
	uint64_t exhausted = 0;

	wgw_engine_get_stats(e, &es);
	bi = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*bi));
	if (!bi)
		return -ENOMEM;
	nb = wgw_engine_backends(e, bi, WGW_ENGINE_MAX_BACKENDS);
	for (unsigned i = 0; i < nb && i < WGW_ENGINE_MAX_BACKENDS; i++) {
		up += bi[i].state == WGW_BACKEND_UP;
		drain += bi[i].state == WGW_BACKEND_DRAIN;
		cap = bi[i].nat_capacity;
		if (bi[i].mappings > fullest)
			fullest = bi[i].mappings;
		exhausted += bi[i].nat_exhausted;
	}
	free(bi);
	wgw_doc_obj(doc, "engine");
	wgw_doc_u64(doc, "backends", nb);
	wgw_doc_u64(doc, "backends_up", up);
	wgw_doc_u64(doc, "backends_draining", drain);
	wgw_doc_u64(doc, "sessions", es.n_cids);
	wgw_doc_u64(doc, "mappings", es.n_mappings);
	/* the NAT pool: each backend's capacity, the fullest one's use, and
	 * the new mappings refused for want of a pair (backends: each) */
	wgw_doc_u64(doc, "nat_capacity_per_backend", cap);
	wgw_doc_u64(doc, "nat_in_use_fullest", fullest);
	wgw_doc_u64(doc, "nat_exhausted", exhausted);
	wgw_doc_close(doc);
	return 0;
}

/* The state file: what the start restored, how the writes go. */
static void doc_state(struct wgw_doc *doc, const struct wgw_daemon *d)
{
	const struct wgw_daemon_state *ds = &d->state;

	wgw_doc_obj(doc, "state");
	wgw_doc_str(doc, "file", wgw_daemon_state_on(d) ? d->cfg.state_file : "none");
	wgw_doc_str(doc, "at_start", ds->summary);
	if (ds->restored) {
		wgw_doc_obj(doc, "restored");
		WGW_DOC_U64S(doc, { "sessions", ds->res.cids }, { "mappings", ds->res.maps },
			     { "backends_added", ds->backends_added },
			     { "file_age_s", ds->age_s },
			     { "sessions_expired", ds->res.cids_expired },
			     { "mappings_expired", ds->res.maps_expired },
			     { "sessions_no_backend", ds->res.cids_no_backend },
			     { "mappings_no_backend", ds->res.maps_no_backend },
			     { "mappings_nat_changed", ds->res.maps_nat_changed },
			     { "refused", ds->res.cids_refused + ds->res.maps_refused });
		wgw_doc_close(doc);
	}
	if (wgw_daemon_state_on(d)) {
		WGW_DOC_U64S(doc, { "interval_s", d->cfg.state_interval_s },
			     { "writes", ds->writes }, { "write_errors", ds->write_errors });
		wgw_doc_str(doc, "last_error", ds->last_err ? strerror(-ds->last_err) : "none");
		WGW_DOC_U64S(doc, { "last_sessions", ds->last_sessions },
			     { "last_mappings", ds->last_maps },
			     { "last_snapshot_us", ds->snapshot_us },
			     { "last_write_us", ds->write_us });
	}
	wgw_doc_close(doc);
}

/* Live takeovers (takeover.h): whom this daemon replaced, and what came
 * of the takeovers asked of it. */
static void doc_takeover(struct wgw_doc *doc, const struct wgw_daemon *d)
{
	wgw_doc_obj(doc, "takeover");
	wgw_doc_i64(doc, "took_over_from_pid", d->tk.from_pid);
	WGW_DOC_U64S(doc, { "attempts", d->tk.attempts }, { "refused", d->tk.refused },
		     { "failed", d->tk.failed });
	wgw_doc_str(doc, "last", d->tk.last[0] ? d->tk.last : "none");
	wgw_doc_close(doc);
}

/* The session store: each store's connection (store.h). */
static void doc_store(struct wgw_doc *doc, const struct wgw_daemon *d)
{
	struct wgw_store_info si[WGW_MAX_STORES];
	unsigned n = wgw_store_info(d->store, si, WGW_MAX_STORES);

	wgw_doc_obj(doc, "session_store");
	if (!n) {
		wgw_doc_str(doc, "state", wgw_store_state_name(WGW_STORE_DISABLED));
		wgw_doc_close(doc);
		return;
	}
	wgw_doc_u64(doc, "timeout_ms", d->cfg.store_timeout_ms);
	wgw_doc_u64(doc, "lookup_rate", d->cfg.store_lookup_rate);
	wgw_doc_arr(doc, "stores");
	for (unsigned i = 0; i < n && i < WGW_MAX_STORES; i++) {
		wgw_doc_obj(doc, si[i].address);
		wgw_doc_str(doc, "address", si[i].address);
		wgw_doc_str(doc, "state", wgw_store_state_name(si[i].state));
		wgw_doc_i64(doc, "since", (int64_t)si[i].since);
		wgw_doc_u64(doc, "reconnects", si[i].reconnects);
		wgw_doc_u64(doc, "outstanding", si[i].outstanding);
		wgw_doc_close(doc);
	}
	wgw_doc_close(doc);
	wgw_doc_close(doc);
}

static int h_status(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		    char *why, size_t whylen)
{
	const struct wgw_daemon *d = c->d;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	wgw_doc_str(doc, "version", PACKAGE_VERSION);
	wgw_doc_i64(doc, "pid", (int64_t)getpid());
	wgw_doc_u64(doc, "uptime_s", (uint64_t)(ts.tv_sec - d->started_mono.tv_sec));
	wgw_doc_i64(doc, "started", (int64_t)d->started);
	wgw_doc_str(doc, "config_file", d->cfg.config_file);
	doc_service(doc, &d->cfg);

	wgw_doc_arr(doc, "interfaces");
	for (unsigned i = 0; i < d->nifs; i++)
		doc_iface(doc, &d->ifs[i]);
	wgw_doc_close(doc);
	wgw_doc_arr(doc, "workers");
	for (unsigned w = 0; w < d->nworkers; w++)
		doc_worker(doc, w, &d->workers[w]);
	wgw_doc_close(doc);
	doc_state(doc, d);
	doc_takeover(doc, d);
	doc_store(doc, d);

	if (doc_engine(doc, d->engine)) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int h_stats(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		   char *why, size_t whylen)
{
	struct wgw_stats *st = wgw_stats_collect(c->d);

	if (!st) {
		snprintf(why, whylen, "collecting counters: %s", strerror(errno));
		return -ENOMEM;
	}
	if (r->fmt == WGW_CTL_FMT_PROM) {
		/* Scrapers compute their own rates. */
		wgw_stats_prometheus(doc->sb, st);
		wgw_stats_free(st);
		return 0;
	}
	wgw_stats_doc(doc, st, wgw_stats_rate_base(&c->rates));
	wgw_stats_free(st);
	return 0;
}

static void doc_session(struct wgw_doc *doc, const struct wgw_session_info *s)
{
	char cl[INET6_ADDRSTRLEN + 8], vip[INET6_ADDRSTRLEN + 8], be[INET6_ADDRSTRLEN + 8];
	char nat[INET6_ADDRSTRLEN];

	wgw_stats_endpoint(&s->client, s->cport, cl, sizeof(cl));
	wgw_stats_endpoint(&s->vip, s->vport, vip, sizeof(vip));
	wgw_stats_endpoint(&s->backend, s->backend_port, be, sizeof(be));
	wgw_doc_obj(doc, cl);
	wgw_doc_str(doc, "client", cl);
	wgw_doc_str(doc, "vip", vip);
	wgw_doc_str(doc, "backend", be);
	wgw_doc_str(doc, "nat", wgw_addr_str(&s->nat, nat, sizeof(nat)) ? nat : "?");
	wgw_doc_u64(doc, "nat_port", s->nat_port);
	wgw_doc_u64(doc, "idle_s", s->idle_s);
	wgw_doc_u64(doc, "age_s", s->age_s);
	wgw_doc_close(doc);
}

static int list_cb(const struct wgw_session_info *s, void *arg)
{
	struct wgw_doc *doc = arg;

	doc_session(doc, s);
	return doc->sb->overflow ? 1 : 0;
}

static int h_sessions(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		      char *why, size_t whylen)
{
	struct wgw_engine *e = c->d->engine;
	const char *sub = r->argc ? r->argv[0] : "count";
	struct wgw_engine_stats es;
	char ep[INET6_ADDRSTRLEN + 8], whyp[128];

	if (!strcmp(sub, "count") && r->argc <= 1) {
		wgw_engine_get_stats(e, &es);
		wgw_doc_u64(doc, "sessions", es.n_cids);
		wgw_doc_u64(doc, "mappings", es.n_mappings);
		wgw_doc_u64(doc, "sessions_limit", es.lim_cids);
		wgw_doc_u64(doc, "mappings_limit", es.lim_mappings);
		return 0;
	}
	if (!strcmp(sub, "cid") && r->argc == 2) {
		struct wgw_cid_info ci;
		uint64_t cid;
		int err;

		if (wgw_ctl_parse_cid(r->argv[1], &cid)) {
			snprintf(why, whylen, "CID '%.40s': expected up to 16 hex digits", r->argv[1]);
			return -EINVAL;
		}
		err = wgw_engine_lookup_cid(e, cid, now_s(), &ci);
		if (err) {
			snprintf(why, whylen, "no session with CID 0x%016" PRIx64, cid);
			return err;
		}
		wgw_doc_strf(doc, "cid", "0x%016" PRIx64, ci.cid);
		wgw_doc_str(doc, "backend", wgw_stats_endpoint(&ci.backend, ci.backend_port,
							      ep, sizeof(ep)));
		wgw_doc_u64(doc, "idle_s", ci.idle_s);
		return 0;
	}
	if (!strcmp(sub, "client") && r->argc == 2) {
		struct wgw_session_info *si;
		union wgw_addr a;
		uint16_t lo, hi;
		unsigned n;

		if (wgw_parse_addr_port(r->argv[1], false, &a, &lo, &hi, whyp, sizeof(whyp))) {
			snprintf(why, whylen, "client '%.64s': %s", r->argv[1], whyp);
			return -EINVAL;
		}
		si = calloc(CLIENT_LOOKUP_MAX, sizeof(*si));
		if (!si) {
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
		n = wgw_engine_lookup_client(e, &a, lo, now_s(), si, CLIENT_LOOKUP_MAX);
		if (!n) {
			free(si);
			snprintf(why, whylen, "no mapping for client %.64s", r->argv[1]);
			return -ENOENT;
		}
		wgw_doc_u64(doc, "mappings", n);
		wgw_doc_arr(doc, "sessions");
		for (unsigned i = 0; i < n && i < CLIENT_LOOKUP_MAX; i++)
			doc_session(doc, &si[i]);
		wgw_doc_close(doc);
		free(si);
		return 0;
	}
	if (!strcmp(sub, "list")) {
		uint32_t limit = LIST_DEFAULT;
		unsigned n;

		if (r->argc == 2 &&
		    wgw_parse_u32(r->argv[1], 1, LIST_MAX, &limit, whyp, sizeof(whyp))) {
			snprintf(why, whylen, "limit '%.32s': %s", r->argv[1], whyp);
			return -EINVAL;
		}
		wgw_engine_get_stats(e, &es);
		wgw_doc_u64(doc, "mappings", es.n_mappings);
		wgw_doc_u64(doc, "limit", limit);
		wgw_doc_arr(doc, "sessions");
		n = wgw_engine_list_sessions(e, now_s(), limit, list_cb, doc);
		wgw_doc_close(doc);
		wgw_doc_u64(doc, "shown", n);
		return 0;
	}
	snprintf(why, whylen, "usage: sessions %s", r->cmd->usage);
	return -EINVAL;
}

static void doc_backend(struct wgw_doc *doc, const struct wgw_backend_info *b,
			const struct wgw_health *h)
{
	struct wgw_health_info hi;

	wgw_stats_doc_backend(doc, b, true);
	if (h && !wgw_health_get(h, &b->addr, b->port, &hi)) {
		char since[32];
		struct tm tm;

		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&hi.since, &tm));
		wgw_doc_str(doc, "health", wgw_health_state_name(hi.state));
		wgw_doc_str(doc, "health_reason", wgw_health_reason_name(hi.reason));
		wgw_doc_str(doc, "health_since", since);
		wgw_doc_bool(doc, "health_forced", hi.forced);
		wgw_doc_u64(doc, "health_probes", hi.probes);
		wgw_doc_u64(doc, "health_failed_rounds", hi.probe_fails);
	}
	wgw_doc_close(doc);
}

static int backends_list(struct wgw_engine *e, const struct wgw_health *h, struct wgw_doc *doc,
			 const union wgw_addr *only, uint16_t only_port)
{
	struct wgw_backend_info *bi = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*bi));
	unsigned n;

	if (!bi)
		return -ENOMEM;
	n = wgw_engine_backends(e, bi, WGW_ENGINE_MAX_BACKENDS);
	if (n > WGW_ENGINE_MAX_BACKENDS)
		n = WGW_ENGINE_MAX_BACKENDS;
	wgw_doc_arr(doc, "backends");
	for (unsigned i = 0; i < n; i++)
		if (!only || (bi[i].port == only_port && wgw_addr_eq(&bi[i].addr, only)))
			doc_backend(doc, &bi[i], h);
	wgw_doc_close(doc);
	free(bi);
	return 0;
}

/* -EBUSY with the reason when the backend has live sessions or mappings. */
static int backend_busy(struct wgw_engine *e, const union wgw_addr *a, uint16_t port,
			char *why, size_t whylen)
{
	struct wgw_backend_info *bi = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*bi));
	char ep[INET6_ADDRSTRLEN + 8];
	unsigned n;
	int err = 0;

	if (!bi)
		return -ENOMEM;
	n = wgw_engine_backends(e, bi, WGW_ENGINE_MAX_BACKENDS);
	if (n > WGW_ENGINE_MAX_BACKENDS)
		n = WGW_ENGINE_MAX_BACKENDS;
	for (unsigned i = 0; i < n; i++) {
		if (bi[i].port != port || !wgw_addr_eq(&bi[i].addr, a) ||
		    (!bi[i].cids && !bi[i].mappings))
			continue;
		wgw_stats_endpoint(a, port, ep, sizeof(ep));
		snprintf(why, whylen, "backends remove %s: %u sessions and %u mappings "
			 "live, removing drops them: drain it first (backends drain %s), "
			 "or add 'force'", ep, bi[i].cids, bi[i].mappings, ep);
		wgw_warn("control: %s", why);
		err = -EBUSY;
	}
	free(bi);
	return err;
}

static int h_backends(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		      char *why, size_t whylen)
{
	struct wgw_engine *e = c->d->engine;
	const char *sub = r->argc ? r->argv[0] : "list";
	char whyp[128], ep[INET6_ADDRSTRLEN + 8];
	struct wgw_backend b = { .weight = WGW_BACKEND_WEIGHT_DEFAULT };
	uint16_t hi;
	uint32_t weight = 0;
	bool force;
	int err;

	if (!strcmp(sub, "list") && r->argc <= 1)
		return backends_list(e, c->d->health, doc, NULL, 0);
	force = !strcmp(sub, "remove") && r->argc == 3 &&
		(!strcmp(r->argv[2], "force") || !strcmp(r->argv[2], "--force"));
	if (r->argc < 2 ||
	    (strcmp(sub, "weight") ? r->argc != 2u + force : r->argc != 3)) {
		snprintf(why, whylen, "usage: backends %s", r->cmd->usage);
		return -EINVAL;
	}
	if (!strcmp(sub, "add"))
		err = wgw_parse_backend(r->argv[1], &b, whyp, sizeof(whyp));
	else
		err = wgw_parse_addr_port(r->argv[1], false, &b.addr, &b.port, &hi,
					  whyp, sizeof(whyp));
	if (err) {
		snprintf(why, whylen, "backend '%.64s': %s", r->argv[1], whyp);
		return -EINVAL;
	}
	if (!strcmp(sub, "weight") &&
	    wgw_parse_u32(r->argv[2], 1, WGW_ENGINE_MAX_WEIGHT, &weight, whyp, sizeof(whyp))) {
		snprintf(why, whylen, "weight '%.32s': %s", r->argv[2], whyp);
		return -EINVAL;
	}
	wgw_stats_endpoint(&b.addr, b.port, ep, sizeof(ep));
	if (!strcmp(sub, "add")) {
		/* The file's rules, not fewer: a backend on the VIP or NAT
		 * address would loop datagrams back into the gateway. */
		if (wgw_backend_check(&c->d->cfg, &b.addr, b.port, whyp, sizeof(whyp))) {
			snprintf(why, whylen, "backend '%.64s': %s", r->argv[1], whyp);
			return -EINVAL;
		}
		/* Its next hop resolves on the first packet, which the
		 * worker holds meanwhile, as for any new destination. */
		err = wgw_engine_backend_add(e, &b.addr, b.port, b.weight);
		if (err > 0)
			err = 0;
	} else if (!strcmp(sub, "remove")) {
		/* Removing purges the backend's sessions at once: the README
		 * says drain first, so the command asks for it too. */
		err = force ? 0 : backend_busy(e, &b.addr, b.port, why, whylen);
		if (err)
			return err;
		err = wgw_engine_backend_remove(e, &b.addr, b.port);
	} else if (!strcmp(sub, "drain")) {
		err = wgw_engine_backend_drain(e, &b.addr, b.port);
	} else if (!strcmp(sub, "undrain")) {
		err = wgw_engine_backend_undrain(e, &b.addr, b.port);
	} else if (!strcmp(sub, "weight")) {
		err = wgw_engine_backend_set_weight(e, &b.addr, b.port, weight);
	} else if (!strcmp(sub, "up") || !strcmp(sub, "down")) {
		/* the health state, forced down until released with up */
		err = c->d->health ? wgw_health_force(c->d->health, &b.addr, b.port,
						      sub[0] == 'd') : -ENOENT;
	} else {
		snprintf(why, whylen, "usage: backends %s", r->cmd->usage);
		return -EINVAL;
	}
	if (err) {
		const char *what = strerror(-err);

		if (err == -ENOENT)
			what = "no such backend";
		else if (err == -EEXIST)
			what = "already a backend";
		else if (err == -ENOSPC)
			what = "no free backend slot";
		else if (err == -EAFNOSUPPORT)
			what = "not the gateway's address family";
		snprintf(why, whylen, "backends %s %s: %s", sub, ep, what);
		return err;
	}
	wgw_notice("control: backends %s %s%s%.16s", sub, ep, weight ? " " : "",
		   weight ? r->argv[2] : "");
	wgw_doc_strf(doc, "done", "%s %s", sub, ep);
	if (strcmp(sub, "remove"))
		return backends_list(e, c->d->health, doc, &b.addr, b.port);
	return 0;
}

static int h_reload(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		    char *why, size_t whylen)
{
	char msg[WGW_CONFIG_ERRLEN];
	int err;

	err = wgw_daemon_reload(c->d, msg, sizeof(msg));
	/* In the log as well as in the reply, as for SIGHUP: the operator
	 * reading the journal sees every change and every refusal. */
	if (err) {
		wgw_err("control: reload refused: %s", msg);
		snprintf(why, whylen, "%s", msg);
		return err;
	}
	wgw_notice("control: reloaded: %s", msg);
	wgw_doc_str(doc, "reloaded", msg);
	return 0;
}

/* The configuration in force: the daemon's, with the backends as the
 * engine has them now (backends add/remove/weight change them until the
 * next reload).  Text is the file's own syntax, ready for -c. */
static int h_config(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		    char *why, size_t whylen)
{
	struct wgw_backend_info *bi = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*bi));
	struct wgw_config *cfg = malloc(sizeof(*cfg));
	char buf[512];
	unsigned n;

	(void)r;
	if (!bi || !cfg) {
		free(bi);
		free(cfg);
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	*cfg = c->d->cfg;
	n = wgw_engine_backends(c->d->engine, bi, WGW_ENGINE_MAX_BACKENDS);
	if (n > WGW_ENGINE_MAX_BACKENDS)
		n = WGW_ENGINE_MAX_BACKENDS;
	if (n > WGW_MAX_BACKENDS)
		n = WGW_MAX_BACKENDS;
	cfg->n_backends = n;
	for (unsigned i = 0; i < n; i++) {
		cfg->backends[i].addr = bi[i].addr;
		cfg->backends[i].port = bi[i].port;
		cfg->backends[i].weight = (uint16_t)(bi[i].weight > 65535 ? 65535 : bi[i].weight);
	}
	free(bi);
	if (doc->fmt == WGW_CTL_FMT_TEXT) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		if (!f) {
			free(cfg);
			snprintf(why, whylen, "out of memory");
			return -ENOMEM;
		}
		wgw_config_print(cfg, f);
		fclose(f);
		wgw_strbuf_add(doc->sb, text, len);
		free(text);
		free(cfg);
		return 0;
	}
	wgw_doc_str(doc, "config_file", cfg->config_file);
	wgw_doc_obj(doc, "config");
	for (size_t i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		unsigned nv = wgw_option_nvalues(cfg, o);

		if (o->flags & WGW_OPTF_CLI)
			continue;
		if (o->type == WGW_OPT_VIP || o->type == WGW_OPT_BACKEND ||
		    o->type == WGW_OPT_STORE) {
			wgw_doc_arr(doc, o->name);
			for (unsigned k = 0; k < nv; k++)
				wgw_doc_str(doc, NULL, wgw_option_value_at(cfg, o, k, buf,
									  sizeof(buf)));
			wgw_doc_close(doc);
		} else if (nv) {
			wgw_doc_str(doc, o->name, wgw_option_value_at(cfg, o, 0, buf, sizeof(buf)));
		}
	}
	wgw_doc_close(doc);
	free(cfg);
	return 0;
}

static int h_ping(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		  char *why, size_t whylen)
{
	wgw_doc_str(doc, "pong", PACKAGE_VERSION);
	wgw_doc_i64(doc, "pid", (int64_t)getpid());
	return 0;
}

static int h_help(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		  char *why, size_t whylen)
{
	wgw_doc_arr(doc, "commands");
	for (unsigned i = 0; i < wgw_ctl_n_cmds; i++) {
		wgw_doc_obj(doc, wgw_ctl_cmds[i].name);
		wgw_doc_str(doc, "command", wgw_ctl_cmds[i].name);
		wgw_doc_str(doc, "usage", wgw_ctl_cmds[i].usage);
		wgw_doc_str(doc, "help", wgw_ctl_cmds[i].help);
		wgw_doc_close(doc);
	}
	wgw_doc_close(doc);
	return 0;
}

/* Served by ctl.c itself (wgw_ctl_capture(), wgw_takeover_serve()): their
 * replies are not one document. */
static int h_stream(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		    char *why, size_t whylen)
{
	(void)c, (void)doc;
	snprintf(why, whylen, "%s is served as a stream", r->cmd->name);
	return -EINVAL;
}

static const ctl_handler handlers[WGW_CTL_CMD_MAX] = {
	[WGW_CTL_STATUS] = h_status,
	[WGW_CTL_STATS] = h_stats,
	[WGW_CTL_SESSIONS] = h_sessions,
	[WGW_CTL_BACKENDS] = h_backends,
	[WGW_CTL_RELOAD] = h_reload,
	[WGW_CTL_PING] = h_ping,
	[WGW_CTL_HELP] = h_help,
	[WGW_CTL_CAPTURE] = h_stream,
	[WGW_CTL_TRACE] = wgw_ctl_trace,
	[WGW_CTL_CONFIG] = h_config,
	[WGW_CTL_TAKEOVER] = h_stream,
};

int wgw_ctl_run(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		char *why, size_t whylen)
{
	return handlers[r->cmd->id](c, r, doc, why, whylen);
}
