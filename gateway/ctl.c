// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket server and the metrics HTTP listener (see ctl.h).
 * Handlers describe their reply once with struct wgw_doc; the request's
 * format= picks text or JSON.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gateway/ctl.h"
#include "gateway/ctlproto.h"
#include "gateway/daemon.h"
#include "gateway/engine.h"
#include "gateway/log.h"
#include "gateway/reload.h"
#include "gateway/stats.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"

#define HTTP_REQ_MAX 4096		/* bytes, request line + headers */
#define LIST_DEFAULT 100		/* sessions list without a limit */
#define LIST_MAX 100000			/* largest sessions list limit */
#define CLIENT_LOOKUP_MAX 64		/* mappings shown for one client endpoint */
#define LISTEN_BACKLOG 16
/* Every slot: the control clients first, then the metrics pool. */
#define NCLIENTS (WGW_CTL_MAX_CLIENTS + WGW_CTL_HTTP_MAX_CLIENTS)

enum cl_state {
	CL_FREE = 0,
	CL_READ,
	CL_WRITE,
};

struct ctl_client {
	enum cl_state state;
	int fd;
	bool http;
	bool head_only;			/* HTTP HEAD: headers, no body */
	uint64_t accepted_ms;
	uint64_t accepted_pass;		/* wgw_ctl.pass when accepted */
	uint64_t deadline_ms;
	size_t inlen;
	char in[HTTP_REQ_MAX];
	char head[WGW_CTL_STATUS_MAX > 256 ? WGW_CTL_STATUS_MAX : 256];
	size_t head_len;
	struct wgw_strbuf body;
	size_t off;			/* bytes of head + body written */
};

struct wgw_ctl {
	struct wgw_daemon *d;
	int ufd, mfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;			/* the socket file we created */
	ino_t ino;
	uid_t uid;
	struct wgw_stats *prev;		/* last stats call, for rates */
	uint64_t pass;			/* wgw_ctl_handle() calls */
	struct ctl_client cl[NCLIENTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t now_s(void)
{
	struct timespec ts;

	/* The engine's clock: the workers use the coarse monotonic clock. */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

/* ---------------------------------------------------------- handlers */

typedef int (*ctl_handler)(struct wgw_ctl *c, const struct wgw_ctl_req *r,
			   struct wgw_doc *doc, char *why, size_t whylen);

static const char *rung_str(enum wgw_rung r)
{
	return wgw_rung_name(r);
}

static int h_status(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		    char *why, size_t whylen)
{
	struct wgw_daemon *d = c->d;
	struct wgw_backend_info *bi;
	struct wgw_engine_stats es;
	char ep[INET6_ADDRSTRLEN + 16], a[INET6_ADDRSTRLEN];
	unsigned nb, up = 0, drain = 0;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	wgw_doc_str(doc, "version", PACKAGE_VERSION);
	wgw_doc_i64(doc, "pid", (int64_t)getpid());
	wgw_doc_u64(doc, "uptime_s", (uint64_t)(ts.tv_sec - d->started_mono.tv_sec));
	wgw_doc_i64(doc, "started", (int64_t)d->started);
	wgw_doc_str(doc, "config_file", d->cfg.config_file);

	wgw_doc_arr(doc, "vips");
	for (unsigned i = 0; i < d->cfg.n_vips; i++) {
		const struct wgw_vip *v = &d->cfg.vips[i];

		wgw_stats_endpoint(&v->addr, v->port_lo, ep, sizeof(ep));
		if (v->port_hi != v->port_lo)
			snprintf(ep + strlen(ep), sizeof(ep) - strlen(ep), "-%u", v->port_hi);
		wgw_doc_str(doc, NULL, ep);
	}
	wgw_doc_close(doc);
	wgw_doc_str(doc, "nat", wgw_addr_str(&d->cfg.nat, a, sizeof(a)) ? a : "?");
	wgw_doc_strf(doc, "nat_ports", "%u-%u", d->cfg.nat_port_lo, d->cfg.nat_port_hi);

	wgw_doc_arr(doc, "interfaces");
	for (unsigned i = 0; i < d->nifs; i++) {
		const struct wgw_iface *ifc = &d->ifs[i];
		enum wgw_xdp_mode xm = WGW_XDP_MODE_NONE;

		wgw_doc_obj(doc, ifc->name);
		wgw_doc_str(doc, "interface", ifc->name);
		wgw_doc_i64(doc, "ifindex", ifc->ifindex);
		wgw_doc_str(doc, "sides", wgw_sides_name(ifc->sides));
		wgw_doc_str(doc, "mode", rung_str(ifc->rung));
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
	wgw_doc_close(doc);

	wgw_doc_arr(doc, "workers");
	for (unsigned w = 0; w < d->nworkers; w++) {
		const struct wgw_worker *wk = &d->workers[w];
		char label[32];

		snprintf(label, sizeof(label), "worker %u", w);
		wgw_doc_obj(doc, label);
		wgw_doc_u64(doc, "worker", w);
		wgw_doc_i64(doc, "cpu", wk->cfg.cpu);
		wgw_doc_bool(doc, "running", wk->started && !atomic_load(&wk->failed_port));
		wgw_doc_arr(doc, "ports");
		for (unsigned p = 0; p < wk->nports; p++)
			wgw_doc_strf(doc, NULL, "%s queue %u (%s)", wk->ports[p]->ifname,
				     wk->ports[p]->queue, wk->ports[p]->ops->kind);
		wgw_doc_close(doc);
		wgw_doc_close(doc);
	}
	wgw_doc_close(doc);

	wgw_engine_get_stats(d->engine, &es);
	bi = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*bi));
	if (!bi) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	nb = wgw_engine_backends(d->engine, bi, WGW_ENGINE_MAX_BACKENDS);
	for (unsigned i = 0; i < nb && i < WGW_ENGINE_MAX_BACKENDS; i++) {
		up += bi[i].state == WGW_BACKEND_UP;
		drain += bi[i].state == WGW_BACKEND_DRAIN;
	}
	free(bi);
	wgw_doc_obj(doc, "engine");
	wgw_doc_u64(doc, "backends", nb);
	wgw_doc_u64(doc, "backends_up", up);
	wgw_doc_u64(doc, "backends_draining", drain);
	wgw_doc_u64(doc, "sessions", es.n_cids);
	wgw_doc_u64(doc, "mappings", es.n_mappings);
	wgw_doc_close(doc);
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
		/* Scrapers compute their own rates: leave the operator's
		 * "since the last call" alone. */
		wgw_stats_prometheus(doc->sb, st);
		wgw_stats_free(st);
		return 0;
	}
	wgw_stats_doc(doc, st, c->prev);
	wgw_stats_free(c->prev);
	c->prev = st;
	return 0;
}

static void doc_session(struct wgw_doc *doc, const struct wgw_session_info *s)
{
	char cl[INET6_ADDRSTRLEN + 8], vip[INET6_ADDRSTRLEN + 8], be[INET6_ADDRSTRLEN + 8];

	wgw_stats_endpoint(&s->client, s->cport, cl, sizeof(cl));
	wgw_stats_endpoint(&s->vip, s->vport, vip, sizeof(vip));
	wgw_stats_endpoint(&s->backend, s->backend_port, be, sizeof(be));
	wgw_doc_obj(doc, cl);
	wgw_doc_str(doc, "client", cl);
	wgw_doc_str(doc, "vip", vip);
	wgw_doc_str(doc, "backend", be);
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

static int parse_cid(const char *s, uint64_t *cid)
{
	uint64_t v = 0;
	size_t n = 0;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	for (; *s; s++, n++) {
		unsigned dgt;

		if (*s >= '0' && *s <= '9')
			dgt = (unsigned)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			dgt = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			return -EINVAL;
		if (n == 16)
			return -EINVAL;
		v = v << 4 | dgt;
	}
	if (!n)
		return -EINVAL;
	*cid = v;
	return 0;
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

		if (parse_cid(r->argv[1], &cid)) {
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

static void doc_backend(struct wgw_doc *doc, const struct wgw_backend_info *b)
{
	char ep[INET6_ADDRSTRLEN + 8];

	wgw_stats_endpoint(&b->addr, b->port, ep, sizeof(ep));
	wgw_doc_obj(doc, ep);
	wgw_doc_str(doc, "backend", ep);
	wgw_doc_i64(doc, "slot", b->slot);
	wgw_doc_str(doc, "state", wgw_backend_state_name(b->state));
	wgw_doc_u64(doc, "weight", b->weight);
	wgw_doc_u64(doc, "sessions", b->cids);
	wgw_doc_u64(doc, "mappings", b->mappings);
	wgw_doc_u64(doc, "packets_to", b->pkts_to);
	wgw_doc_u64(doc, "packets_from", b->pkts_from);
	wgw_doc_close(doc);
}

static int backends_list(struct wgw_ctl *c, struct wgw_doc *doc,
			 const union wgw_addr *only, uint16_t only_port)
{
	struct wgw_backend_info *bi = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*bi));
	unsigned n;

	if (!bi)
		return -ENOMEM;
	n = wgw_engine_backends(c->d->engine, bi, WGW_ENGINE_MAX_BACKENDS);
	if (n > WGW_ENGINE_MAX_BACKENDS)
		n = WGW_ENGINE_MAX_BACKENDS;
	wgw_doc_arr(doc, "backends");
	for (unsigned i = 0; i < n; i++)
		if (!only || (bi[i].port == only_port && wgw_addr_eq(&bi[i].addr, only)))
			doc_backend(doc, &bi[i]);
	wgw_doc_close(doc);
	free(bi);
	return 0;
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
	int err;

	if (!strcmp(sub, "list") && r->argc <= 1)
		return backends_list(c, doc, NULL, 0);
	if (r->argc < 2 || (strcmp(sub, "weight") ? r->argc != 2 : r->argc != 3)) {
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
		err = wgw_engine_backend_remove(e, &b.addr, b.port);
	} else if (!strcmp(sub, "drain")) {
		err = wgw_engine_backend_drain(e, &b.addr, b.port);
	} else if (!strcmp(sub, "undrain")) {
		err = wgw_engine_backend_undrain(e, &b.addr, b.port);
	} else if (!strcmp(sub, "weight")) {
		err = wgw_engine_backend_set_weight(e, &b.addr, b.port, weight);
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
		return backends_list(c, doc, &b.addr, b.port);
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

static const ctl_handler handlers[WGW_CTL_CMD_MAX] = {
	[WGW_CTL_STATUS] = h_status,
	[WGW_CTL_STATS] = h_stats,
	[WGW_CTL_SESSIONS] = h_sessions,
	[WGW_CTL_BACKENDS] = h_backends,
	[WGW_CTL_RELOAD] = h_reload,
	[WGW_CTL_PING] = h_ping,
	[WGW_CTL_HELP] = h_help,
};

/* ----------------------------------------------------------- clients */

static void client_close(struct ctl_client *cl)
{
	if (cl->state == CL_FREE)
		return;
	close(cl->fd);
	wgw_strbuf_free(&cl->body);
	cl->state = CL_FREE;
	cl->fd = -1;
}

static void reply_err(struct ctl_client *cl, int err, const char *msg)
{
	wgw_strbuf_reset(&cl->body);
	cl->head_len = (size_t)wgw_ctl_err_line(cl->head, sizeof(cl->head), err, msg);
	cl->off = 0;
	cl->state = CL_WRITE;
}

static void serve_request(struct wgw_ctl *c, struct ctl_client *cl, size_t len)
{
	struct wgw_ctl_req *req;
	char why[WGW_CONFIG_ERRLEN];
	struct wgw_doc doc;
	int err;

	req = malloc(sizeof(*req));
	if (!req) {
		reply_err(cl, -ENOMEM, "out of memory");
		return;
	}
	why[0] = '\0';
	err = wgw_ctl_req_parse(req, cl->in, len, why, sizeof(why));
	if (err) {
		wgw_dbg("control: bad request: %s", why);
		reply_err(cl, err, why);
		free(req);
		return;
	}
	wgw_strbuf_init(&cl->body, WGW_CTL_REPLY_MAX);
	if (req->fmt != WGW_CTL_FMT_PROM)
		wgw_doc_begin(&doc, &cl->body, req->fmt);
	else
		memset(&doc, 0, sizeof(doc)), doc.sb = &cl->body;
	err = handlers[req->cmd->id](c, req, &doc, why, sizeof(why));
	if (!err && req->fmt != WGW_CTL_FMT_PROM)
		wgw_doc_end(&doc);
	if (!err && cl->body.overflow) {
		err = -E2BIG;
		snprintf(why, sizeof(why), "reply larger than %u bytes%s", WGW_CTL_REPLY_MAX,
			 req->cmd->id == WGW_CTL_SESSIONS ? ": give a smaller limit" : "");
	}
	free(req);
	if (err) {
		reply_err(cl, err, why[0] ? why : strerror(-err));
		return;
	}
	cl->head_len = (size_t)wgw_ctl_ok_line(cl->head, sizeof(cl->head), cl->body.len);
	cl->off = 0;
	cl->state = CL_WRITE;
}

static void http_reply(struct ctl_client *cl, const char *status, const char *type)
{
	int n = snprintf(cl->head, sizeof(cl->head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n%s\r\n", status, type, cl->body.len,
			 !strncmp(status, "405", 3) ? "Allow: GET, HEAD\r\n" : "");

	cl->head_len = n > 0 && (size_t)n < sizeof(cl->head) ? (size_t)n : 0;
	/* HEAD: the headers GET would send, Content-Length included
	 * (RFC 9110 9.3.2), and no body. */
	if (cl->head_only)
		wgw_strbuf_reset(&cl->body);
	cl->off = 0;
	cl->state = CL_WRITE;
}

static void http_text(struct ctl_client *cl, const char *status, const char *text)
{
	wgw_strbuf_init(&cl->body, 256);
	wgw_strbuf_printf(&cl->body, "%s\n", text);
	http_reply(cl, status, "text/plain; charset=utf-8");
}

static void serve_http(struct wgw_ctl *c, struct ctl_client *cl)
{
	char method[8], target[64], version[16];
	struct wgw_stats *st;
	int n = 0;

	cl->in[cl->inlen < sizeof(cl->in) ? cl->inlen : sizeof(cl->in) - 1] = '\0';
	if (sscanf(cl->in, "%7s %63s %15s%n", method, target, version, &n) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		http_text(cl, "400 Bad Request", "bad request");
		return;
	}
	cl->head_only = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !cl->head_only) {
		http_text(cl, "405 Method Not Allowed", "only GET and HEAD");
		return;
	}
	if (strcmp(target, "/metrics")) {
		http_text(cl, "404 Not Found", "not found: the metrics are at /metrics");
		return;
	}
	st = wgw_stats_collect(c->d);
	if (!st) {
		http_text(cl, "503 Service Unavailable", "out of memory");
		return;
	}
	wgw_strbuf_init(&cl->body, WGW_CTL_REPLY_MAX);
	wgw_stats_prometheus(&cl->body, st);
	wgw_stats_free(st);
	if (cl->body.overflow) {
		wgw_strbuf_free(&cl->body);
		http_text(cl, "500 Internal Server Error", "too many metrics");
		return;
	}
	http_reply(cl, "200 OK", "text/plain; version=0.0.4; charset=utf-8");
}

static void client_write(struct ctl_client *cl)
{
	for (;;) {
		size_t total = cl->head_len + cl->body.len;
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov };
		ssize_t n;

		if (cl->off >= total) {
			client_close(cl);
			return;
		}
		if (cl->off < cl->head_len) {
			iov[0] = (struct iovec){ cl->head + cl->off, cl->head_len - cl->off };
			iov[1] = (struct iovec){ cl->body.p, cl->body.len };
			mh.msg_iovlen = cl->body.len ? 2 : 1;
		} else {
			iov[0] = (struct iovec){ cl->body.p + (cl->off - cl->head_len),
						 total - cl->off };
			mh.msg_iovlen = 1;
		}
		/* MSG_NOSIGNAL: a client that went away is no signal. */
		n = sendmsg(cl->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				client_close(cl);
			return;
		}
		cl->off += (size_t)n;
	}
}

static void client_read(struct wgw_ctl *c, struct ctl_client *cl)
{
	size_t cap = cl->http ? sizeof(cl->in) - 1 : WGW_CTL_REQ_MAX;

	for (;;) {
		ssize_t n = read(cl->fd, cl->in + cl->inlen, cap - cl->inlen);
		char *lf;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				client_close(cl);
			return;
		}
		if (n == 0) {
			/* End of input ends the request too; nothing at all
			 * was a probe (wgw_ctl_open() of another daemon). */
			if (!cl->inlen)
				client_close(cl);
			else if (cl->http)
				http_text(cl, "400 Bad Request", "incomplete request");
			else
				serve_request(c, cl, cl->inlen);
			break;
		}
		cl->inlen += (size_t)n;
		if (cl->http) {
			cl->in[cl->inlen] = '\0';
			if (strstr(cl->in, "\r\n\r\n") || strstr(cl->in, "\n\n")) {
				serve_http(c, cl);
				break;
			}
			if (cl->inlen == cap) {
				http_text(cl, "431 Request Header Fields Too Large", "request too large");
				break;
			}
			continue;
		}
		lf = memchr(cl->in + cl->inlen - (size_t)n, '\n', (size_t)n);
		if (lf) {
			serve_request(c, cl, (size_t)(lf - cl->in) + 1);
			break;
		}
		if (cl->inlen == cap) {
			char why[64];

			snprintf(why, sizeof(why), "request longer than %u bytes",
				 WGW_CTL_REQ_MAX - 1);
			reply_err(cl, -E2BIG, why);
			break;
		}
	}
	if (cl->state == CL_WRITE)
		client_write(cl);
}

static bool peer_allowed(struct wgw_ctl *c, int fd, char *why, size_t whylen)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || len != sizeof(cr)) {
		snprintf(why, whylen, "cannot tell who is asking");
		return false;
	}
	if (cr.uid == 0 || cr.uid == c->uid)
		return true;
	snprintf(why, whylen, "uid %u may not use the control socket", (unsigned)cr.uid);
	wgw_log_ratelimited(LOG_WARNING, "control: refused a client with uid %u (pid %d)",
			    (unsigned)cr.uid, (int)cr.pid);
	return false;
}

/* A free control slot, or NULL. */
static struct ctl_client *ctl_slot(struct wgw_ctl *c)
{
	for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++)
		if (c->cl[i].state == CL_FREE)
			return &c->cl[i];
	return NULL;
}

/*
 * A metrics slot: a free one, else the one of the oldest connection that
 * has not completed its request (idle, or trickling), closed for the
 * newcomer.  Holding the pool then takes a steady stream of new
 * connections, and a scraper that sends its request at once still gets
 * through.  NULL when every slot is answering a request.
 */
static struct ctl_client *http_slot(struct wgw_ctl *c)
{
	struct ctl_client *oldest = NULL;

	for (unsigned i = WGW_CTL_MAX_CLIENTS; i < NCLIENTS; i++) {
		struct ctl_client *cl = &c->cl[i];

		if (cl->state == CL_FREE)
			return cl;
		if (cl->state == CL_READ &&
		    (!oldest || cl->accepted_ms < oldest->accepted_ms))
			oldest = cl;
	}
	if (oldest) {
		wgw_log_ratelimited(LOG_INFO,
				    "metrics: %u connections open: closed the oldest idle one",
				    WGW_CTL_HTTP_MAX_CLIENTS);
		client_close(oldest);
	}
	return oldest;
}

static void accept_all(struct wgw_ctl *c, int lfd, bool http)
{
	for (;;) {
		struct ctl_client *cl = NULL;
		char why[128];
		int fd;

		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				wgw_log_ratelimited(LOG_WARNING, "control: accept: %s",
						    strerror(errno));
			return;
		}
		cl = http ? http_slot(c) : ctl_slot(c);
		if (!cl) {
			/* Say why, best effort, and let the client retry. */
			static const char busy[] = "ERR EBUSY too many control clients\n";
			static const char hbusy[] = "HTTP/1.1 503 Service Unavailable\r\n"
						    "Content-Length: 0\r\nConnection: close\r\n\r\n";

			if (send(fd, http ? hbusy : busy, http ? sizeof(hbusy) - 1 : sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				wgw_dbg("control: busy reply: %s", strerror(errno));
			close(fd);
			wgw_log_ratelimited(LOG_WARNING, "%s: too many clients",
					    http ? "metrics" : "control");
			continue;
		}
		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->http = http;
		cl->state = CL_READ;
		cl->accepted_ms = now_ms();
		cl->accepted_pass = c->pass;
		cl->deadline_ms = cl->accepted_ms +
				  (http ? WGW_CTL_HTTP_TIMEOUT_MS : WGW_CTL_TIMEOUT_MS);
		if (!http && !peer_allowed(c, fd, why, sizeof(why))) {
			reply_err(cl, -EPERM, why);
			client_write(cl);
			continue;
		}
		/* The request is often there already. */
		client_read(c, cl);
	}
}

int wgw_ctl_fill_pollfds(struct wgw_ctl *c, struct pollfd *fds, int max)
{
	int n = 0;

	if (n < max)
		fds[n++] = (struct pollfd){ .fd = c->ufd, .events = POLLIN };
	if (c->mfd >= 0 && n < max)
		fds[n++] = (struct pollfd){ .fd = c->mfd, .events = POLLIN };
	for (unsigned i = 0; i < NCLIENTS && n < max; i++) {
		struct ctl_client *cl = &c->cl[i];

		if (cl->state == CL_FREE)
			continue;
		fds[n++] = (struct pollfd){
			.fd = cl->fd,
			.events = cl->state == CL_READ ? POLLIN : POLLOUT,
		};
	}
	return n;
}

void wgw_ctl_handle(struct wgw_ctl *c, const struct pollfd *fds, int n)
{
	uint64_t now;

	c->pass++;
	for (int i = 0; i < n; i++) {
		short re = fds[i].revents;

		if (!re)
			continue;
		if (fds[i].fd == c->ufd) {
			accept_all(c, c->ufd, false);
			continue;
		}
		if (fds[i].fd == c->mfd && c->mfd >= 0) {
			accept_all(c, c->mfd, true);
			continue;
		}
		for (unsigned k = 0; k < NCLIENTS; k++) {
			struct ctl_client *cl = &c->cl[k];

			/* A client accepted in this pass may reuse the number of
			 * one closed in it: these revents are not its own. */
			if (cl->state == CL_FREE || cl->fd != fds[i].fd ||
			    cl->accepted_pass == c->pass)
				continue;
			if (cl->state == CL_READ && (re & (POLLIN | POLLHUP | POLLERR)))
				client_read(c, cl);
			else if (cl->state == CL_WRITE && (re & POLLOUT))
				client_write(cl);
			else if (re & (POLLHUP | POLLERR | POLLNVAL))
				client_close(cl);
			break;
		}
	}
	now = now_ms();
	for (unsigned k = 0; k < NCLIENTS; k++) {
		struct ctl_client *cl = &c->cl[k];

		if (cl->state != CL_FREE && now >= cl->deadline_ms) {
			wgw_log_ratelimited(LOG_INFO, "%s: client timed out after %u ms",
					    cl->http ? "metrics" : "control",
					    cl->http ? WGW_CTL_HTTP_TIMEOUT_MS : WGW_CTL_TIMEOUT_MS);
			client_close(cl);
		}
	}
}

/* ----------------------------------------------------------- listeners */

/* A daemon answers on path: its socket is not ours to replace. */
static int socket_in_use(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (!rc)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED && errno != ENOENT)
		return -errno;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	wgw_info("control: replaced the stale socket %s", path);
	return 0;
}

static int unix_listen(struct wgw_ctl *c, const char *path, unsigned mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	struct stat sb;
	mode_t old;
	int fd, err;

	if (!path[0] || strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0750) && errno != EEXIST)
		return -errno;
	err = socket_in_use(path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* Created with the right mode, so no one connects in the window
	 * before the chmod; the chmod makes the mode exact. */
	old = umask(~(mode_t)mode & 0777);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old);
	if (!err && chmod(path, (mode_t)mode))
		err = -errno;
	if (!err && stat(path, &sb))
		err = -errno;
	if (!err && listen(fd, LISTEN_BACKLOG))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->ufd = fd;
	return 0;
}

static int metrics_listen(struct wgw_ctl *c, const struct wgw_endpoint *ep)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(ep->port) };
	struct sockaddr_in sa4 = { .sin_family = AF_INET, .sin_port = htons(ep->port) };
	bool v4 = wgw_addr_is_v4(&ep->addr);
	int fd, one = 1;

	fd = socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v4) {
		sa4.sin_addr.s_addr = wgw_addr_v4(&ep->addr);
	} else {
		sa.sin6_addr = ep->addr.in6;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if ((v4 ? bind(fd, (struct sockaddr *)&sa4, sizeof(sa4))
		: bind(fd, (struct sockaddr *)&sa, sizeof(sa))) ||
	    listen(fd, LISTEN_BACKLOG)) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->mfd = fd;
	return 0;
}

struct wgw_ctl *wgw_ctl_open(struct wgw_daemon *d, const char *path, unsigned mode)
{
	struct wgw_ctl *c;
	char ep[INET6_ADDRSTRLEN + 8];
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->d = d;
	c->ufd = -1;
	c->mfd = -1;
	c->uid = geteuid();
	for (unsigned i = 0; i < NCLIENTS; i++)
		c->cl[i].fd = -1;
	err = unix_listen(c, path, mode);
	if (err) {
		wgw_err("control socket %s: %s", path, err == -EADDRINUSE ?
			"a running daemon answers on it" : err == -EEXIST ?
			"exists and is not a socket" : strerror(-err));
		goto err_free;
	}
	if (d->cfg.metrics_listen.set) {
		wgw_stats_endpoint(&d->cfg.metrics_listen.addr, d->cfg.metrics_listen.port,
				   ep, sizeof(ep));
		err = metrics_listen(c, &d->cfg.metrics_listen);
		if (err) {
			wgw_err("metrics listener %s: %s", ep, strerror(-err));
			goto err_unix;
		}
		wgw_info("metrics at http://%s/metrics", ep);
	}
	return c;

err_unix:
	close(c->ufd);
	unlink(c->path);
err_free:
	free(c);
	errno = -err;
	return NULL;
}

void wgw_ctl_close(struct wgw_ctl *c)
{
	struct stat sb;

	if (!c)
		return;
	for (unsigned i = 0; i < NCLIENTS; i++)
		client_close(&c->cl[i]);
	if (c->mfd >= 0)
		close(c->mfd);
	if (c->ufd >= 0) {
		close(c->ufd);
		/* Only the file we made: a successor may own the path now. */
		if (!stat(c->path, &sb) && sb.st_dev == c->dev && sb.st_ino == c->ino)
			unlink(c->path);
	}
	wgw_stats_free(c->prev);
	free(c);
}
