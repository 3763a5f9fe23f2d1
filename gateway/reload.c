// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/daemon.h"
#include "gateway/engine.h"
#include "gateway/log.h"
#include "gateway/options.h"
#include "gateway/reload.h"
#include "gateway/stats.h"
#include "gateway/xdp.h"

/* Append ", name" (or "name") to the list of keys in buf. */
static void key_add(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
}

/* What "not set" means, written out. */
static void effective(struct wgw_config *c)
{
	if (!c->lan[0])
		memcpy(c->lan, c->wan, sizeof(c->lan));
	c->wan_mode = wgw_config_wan_mode(c);
	c->lan_mode = wgw_config_lan_mode(c);
}

int wgw_reload_check(const struct wgw_config *o, const struct wgw_config *n,
		     char *msg, size_t msglen)
{
	struct wgw_config *a, *b;
	char keys[512] = "";
	char va[4096], vb[4096];

	/* Compared as the config file writes them, after what "not set"
	 * means: an explicit lan equal to wan is no change. */
	a = malloc(sizeof(*a));
	b = malloc(sizeof(*b));
	if (!a || !b) {
		free(a);
		free(b);
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	*a = *o;
	*b = *n;
	effective(a);
	effective(b);
	for (size_t i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *opt = &wgw_options[i];

		if (opt->reload != WGW_RELOAD_RESTART)
			continue;
		if (strcmp(wgw_option_value(a, opt, va, sizeof(va)),
			   wgw_option_value(b, opt, vb, sizeof(vb))))
			key_add(keys, sizeof(keys), opt->name);
	}
	free(a);
	free(b);
	if (keys[0]) {
		snprintf(msg, msglen, "changed keys need a restart: %s", keys);
		return -EINVAL;
	}
	return 0;
}

static bool vips_equal(const struct wgw_config *o, const struct wgw_config *n)
{
	if (o->n_vips != n->n_vips)
		return false;
	for (unsigned i = 0; i < n->n_vips; i++)
		if (!wgw_addr_eq(&o->vips[i].addr, &n->vips[i].addr) ||
		    o->vips[i].port_lo != n->vips[i].port_lo ||
		    o->vips[i].port_hi != n->vips[i].port_hi)
			return false;
	return true;
}

/* Every WAN-side XDP program steers exactly these VIPs. */
static int xdp_vips(struct wgw_daemon *d, const struct wgw_config *c, const char **ifname)
{
	struct wgw_xdp_dst dst[WGW_MAX_VIPS];
	int err;

	for (unsigned i = 0; i < c->n_vips; i++)
		dst[i] = (struct wgw_xdp_dst){ .addr = c->vips[i].addr,
					       .port_lo = c->vips[i].port_lo,
					       .port_hi = c->vips[i].port_hi };
	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];

		if (!(ifc->sides & WGW_SIDE_WAN) || !ifc->xdp)
			continue;
		err = wgw_xdp_set_dsts(ifc->xdp, WGW_XDP_ROLE_VIP, dst, c->n_vips);
		if (err) {
			*ifname = ifc->name;
			return err;
		}
	}
	return 0;
}

static int apply_vips(struct wgw_daemon *d, const struct wgw_config *o,
		      const struct wgw_config *n, char *msg, size_t msglen)
{
	const char *ifname = "?";
	int err;

	/* The engine first: a packet steered to a new VIP finds it known. */
	err = wgw_engine_set_vips(d->engine, n->vips, n->n_vips);
	if (err) {
		snprintf(msg, msglen, "VIPs: the engine refused them: %s; nothing changed",
			 strerror(-err));
		return err;
	}
	err = xdp_vips(d, n, &ifname);
	if (err) {
		/* Put the old set back everywhere: all or nothing. */
		wgw_engine_set_vips(d->engine, o->vips, o->n_vips);
		xdp_vips(d, o, &ifname);
		snprintf(msg, msglen, "VIPs: the XDP program on %s refused them: %s; "
			 "nothing changed", ifname, strerror(-err));
		return err;
	}
	return 0;
}

struct be_plan {
	unsigned nadd, nrm, nw;
	const struct wgw_backend *add[WGW_MAX_BACKENDS];
	const struct wgw_backend *rew[WGW_MAX_BACKENDS];
	struct wgw_backend_info rm[WGW_ENGINE_MAX_BACKENDS];
};

static void plan_backends(struct wgw_daemon *d, const struct wgw_config *n, struct be_plan *p,
			  struct wgw_backend_info *cur, unsigned ncur)
{
	memset(p, 0, sizeof(*p));
	for (unsigned i = 0; i < n->n_backends; i++) {
		const struct wgw_backend *b = &n->backends[i];
		unsigned k;

		for (k = 0; k < ncur; k++)
			if (cur[k].port == b->port && wgw_addr_eq(&cur[k].addr, &b->addr))
				break;
		if (k == ncur)
			p->add[p->nadd++] = b;
		else if (cur[k].weight != b->weight)
			p->rew[p->nw++] = b;
	}
	for (unsigned k = 0; k < ncur; k++) {
		unsigned i;

		for (i = 0; i < n->n_backends; i++)
			if (cur[k].port == n->backends[i].port &&
			    wgw_addr_eq(&cur[k].addr, &n->backends[i].addr))
				break;
		if (i == n->n_backends)
			p->rm[p->nrm++] = cur[k];
	}
}

static int apply_backends(struct wgw_daemon *d, const struct be_plan *p, char *msg,
			  size_t msglen)
{
	char ep[INET6_ADDRSTRLEN + 8];
	int err;

	/* Adds first, removals last: the pool never shrinks to nothing on
	 * the way, and a removal (which waits for the workers) comes after
	 * everything that cannot wait. */
	for (unsigned i = 0; i < p->nadd; i++) {
		err = wgw_engine_backend_add(d->engine, &p->add[i]->addr, p->add[i]->port,
					     p->add[i]->weight);
		if (err < 0) {
			snprintf(msg, msglen, "backend %s: add: %s; VIPs and limits were "
				 "applied, backends only in part",
				 wgw_stats_endpoint(&p->add[i]->addr, p->add[i]->port, ep,
						    sizeof(ep)), strerror(-err));
			return err;
		}
	}
	for (unsigned i = 0; i < p->nw; i++) {
		err = wgw_engine_backend_set_weight(d->engine, &p->rew[i]->addr, p->rew[i]->port,
						    p->rew[i]->weight);
		if (err)
			wgw_warn("reload: backend %s: weight: %s",
				 wgw_stats_endpoint(&p->rew[i]->addr, p->rew[i]->port, ep,
						    sizeof(ep)), strerror(-err));
	}
	for (unsigned i = 0; i < p->nrm; i++) {
		err = wgw_engine_backend_remove(d->engine, &p->rm[i].addr, p->rm[i].port);
		if (err && err != -ENOENT)
			wgw_warn("reload: backend %s: remove: %s",
				 wgw_stats_endpoint(&p->rm[i].addr, p->rm[i].port, ep,
						    sizeof(ep)), strerror(-err));
	}
	return 0;
}

int wgw_daemon_reload_args(struct wgw_daemon *d, int argc, char **argv, char *msg,
			   size_t msglen)
{
	struct wgw_backend_info *cur = NULL;
	struct wgw_config *n = NULL;
	struct be_plan *plan = NULL;
	struct wgw_engine_stats es;
	struct wgw_engine_cfg ec = { 0 };
	char err_buf[WGW_CONFIG_ERRLEN];
	bool vips_changed, limits_changed;
	unsigned ncur;
	int err;

	err_buf[0] = '\0';
	n = calloc(1, sizeof(*n));
	plan = calloc(1, sizeof(*plan));
	cur = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*cur));
	if (!n || !plan || !cur) {
		snprintf(msg, msglen, "out of memory; nothing changed");
		err = -ENOMEM;
		goto out;
	}
	err = wgw_config_defaults(n);
	if (!err)
		err = wgw_config_parse_args(n, argc, argv, err_buf, sizeof(err_buf));
	if (err > 0) {
		snprintf(err_buf, sizeof(err_buf), "the command line asks for --help or --version");
		err = -EINVAL;
	} else if (!err) {
		err = wgw_config_validate(n, err_buf, sizeof(err_buf));
	}
	if (err) {
		snprintf(msg, msglen, "%s; the running configuration stays",
			 err_buf[0] ? err_buf : strerror(-err));
		err = err < 0 ? err : -EINVAL;
		goto out;
	}
	err = wgw_reload_check(&d->cfg, n, err_buf, sizeof(err_buf));
	if (err) {
		snprintf(msg, msglen, "%s; the running configuration stays", err_buf);
		goto out;
	}
	wgw_engine_get_stats(d->engine, &es);
	if (n->max_sessions > es.cap_cids || n->max_mappings > es.cap_mappings) {
		snprintf(msg, msglen, "max-sessions %u / max-mappings %u: above the tables' "
			 "capacity %u / %u of the start, needs a restart; the running "
			 "configuration stays", n->max_sessions, n->max_mappings,
			 es.cap_cids, es.cap_mappings);
		err = -EINVAL;
		goto out;
	}
	/* The engine checks the VIPs against the NAT side as at start. */
	ec.vips = n->vips;
	ec.n_vips = n->n_vips;
	ec.nat_addr = n->nat;
	ec.nat_pool = n->nat_pool;
	ec.n_nat_pool = n->n_nat_pool;
	ec.nat_port_lo = n->nat_port_lo;
	ec.nat_port_hi = n->nat_port_hi;
	ec.n_threads = d->nworkers ? d->nworkers : 1;
	ec.max_cids = es.cap_cids;
	ec.max_mappings = es.cap_mappings;
	if (wgw_engine_cfg_validate(&ec, err_buf, sizeof(err_buf))) {
		snprintf(msg, msglen, "%s; the running configuration stays", err_buf);
		err = -EINVAL;
		goto out;
	}
	ncur = wgw_engine_backends(d->engine, cur, WGW_ENGINE_MAX_BACKENDS);
	if (ncur > WGW_ENGINE_MAX_BACKENDS)
		ncur = WGW_ENGINE_MAX_BACKENDS;
	plan_backends(d, n, plan, cur, ncur);
	if (ncur + plan->nadd > WGW_ENGINE_MAX_BACKENDS) {
		/* Adds come before removals: they need free slots. */
		snprintf(msg, msglen, "%u backends now and %u to add exceed the %u slots; "
			 "remove some first; the running configuration stays",
			 ncur, plan->nadd, WGW_ENGINE_MAX_BACKENDS);
		err = -ENOSPC;
		goto out;
	}

	/* From here on, changes. */
	vips_changed = !vips_equal(&d->cfg, n);
	if (vips_changed) {
		err = apply_vips(d, &d->cfg, n, msg, msglen);
		if (err)
			goto out;
	}
	limits_changed = n->max_sessions != d->cfg.max_sessions ||
			 n->max_mappings != d->cfg.max_mappings ||
			 n->session_timeout_s != d->cfg.session_timeout_s ||
			 n->mapping_timeout_s != d->cfg.mapping_timeout_s;
	if (limits_changed) {
		err = wgw_engine_set_limits(d->engine, n->max_sessions, n->max_mappings,
					    n->session_timeout_s, n->mapping_timeout_s);
		if (err) {
			snprintf(msg, msglen, "limits: %s; %s", strerror(-err),
				 vips_changed ? "the new VIPs are in force" : "nothing changed");
			goto out;
		}
	}
	/* Per-source quotas: any value, at once; what a source holds stays. */
	if (n->max_mappings_per_source != d->cfg.max_mappings_per_source ||
	    n->max_cids_per_source != d->cfg.max_cids_per_source) {
		wgw_engine_set_source_quotas(d->engine, n->max_mappings_per_source,
					     n->max_cids_per_source);
		limits_changed = true;
	}
	/* The handshake limit goes to the data path below. */
	if (n->handshake_rate != d->cfg.handshake_rate ||
	    n->handshake_burst != d->cfg.handshake_burst)
		limits_changed = true;
	err = apply_backends(d, plan, msg, msglen);
	if (err)
		goto out;
	if (n->verbose != d->cfg.verbose)
		wgw_log_set_verbosity(LOG_NOTICE + (int)(n->verbose > 2 ? 2 : n->verbose));
	snprintf(msg, msglen, "%u VIP%s%s; backends: %u added, %u removed, %u reweighted; "
		 "limits %s; verbose %u", n->n_vips, n->n_vips == 1 ? "" : "s",
		 vips_changed ? " (changed)" : "", plan->nadd, plan->nrm, plan->nw,
		 limits_changed ? "changed" : "unchanged", n->verbose);
	d->cfg = *n;
	/* The data path's own view: handshake limits, and VIP sockets. */
	err = wgw_daemon_reloaded(d, vips_changed);
	if (err) {
		snprintf(msg + strlen(msg), msglen - strlen(msg),
			 "; but the data path could not be rebuilt: %s", strerror(-err));
		goto out;
	}
out:
	free(cur);
	free(plan);
	free(n);
	return err;
}

int wgw_daemon_reload(struct wgw_daemon *d, char *msg, size_t msglen)
{
	if (!d->argv || d->argc < 1) {
		snprintf(msg, msglen, "the daemon kept no command line to reload from");
		return -EINVAL;
	}
	return wgw_daemon_reload_args(d, d->argc, d->argv, msg, msglen);
}
