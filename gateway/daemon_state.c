// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon's state file (--state-file, state.h): read once at start,
 * before the workers run, and written by the control thread every
 * --state-interval seconds and once more at a clean stop, after the
 * workers stopped.  A file that cannot be read is refused with one log
 * line and the daemon starts empty; a write that fails is logged once per
 * change of outcome and counted, and the daemon goes on serving.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/daemon.h"
#include "gateway/daemon_internal.h"
#include "gateway/engine.h"
#include "gateway/health.h"
#include "gateway/log.h"
#include "gateway/state.h"
#include "gateway/stats.h"

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The file's directory, if missing (its parent must exist): under
 * systemd, StateDirectory= makes it; by hand, the first write does. */
static int state_dir_make(const char *path)
{
	char dir[WGW_PATH_LEN];

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

bool wgw_daemon_state_on(const struct wgw_daemon *d)
{
	return d->cfg.state_file[0] && strcmp(d->cfg.state_file, "none");
}

/* The configured backend at addr:port, or NULL. */
static const struct wgw_backend *cfg_backend(const struct wgw_config *c,
					     const union wgw_addr *addr, uint16_t port)
{
	for (unsigned i = 0; i < c->n_backends; i++)
		if (c->backends[i].port == port && wgw_addr_eq(&c->backends[i].addr, addr))
			return &c->backends[i];
	return NULL;
}

/* Put the backend changes the control socket had made back: backends it
 * added (if still acceptable), drains, weights.  Returns how many of the
 * file's backends are neither configured nor were added at run time. */
static unsigned backends_restore(struct wgw_daemon *d, const struct wgw_state *st)
{
	struct wgw_daemon_state *ds = &d->state;
	char ep[INET6_ADDRSTRLEN + 8], why[256];
	unsigned gone = 0;

	for (uint32_t i = 0; i < st->n_backends; i++) {
		const struct wgw_state_backend *b = &st->backends[i];
		const struct wgw_backend *cb = cfg_backend(&d->cfg, &b->addr, b->port);
		int err = 0;

		wgw_stats_endpoint(&b->addr, b->port, ep, sizeof(ep));
		if (!cb && !(b->flags & WGW_STATE_BE_RUNTIME)) {
			gone++;
			continue;
		}
		if (!cb) {
			if (wgw_backend_check(&d->cfg, &b->addr, b->port, why, sizeof(why))) {
				wgw_warn("state: backend %s added at run time: %s; not restored",
					 ep, why);
				gone++;
				continue;
			}
			err = wgw_engine_backend_add(d->engine, &b->addr, b->port, b->weight);
			if (err < 0) {
				wgw_warn("state: backend %s added at run time: %s; not restored",
					 ep, strerror(-err));
				gone++;
				continue;
			}
			ds->backends_added++;
			err = 0;
		} else if (b->flags & WGW_STATE_BE_WEIGHT) {
			err = wgw_engine_backend_set_weight(d->engine, &b->addr, b->port, b->weight);
		}
		if (!err && (b->flags & WGW_STATE_BE_DRAIN))
			err = wgw_engine_backend_drain(d->engine, &b->addr, b->port);
		if (b->flags & WGW_STATE_BE_FORCED) {
			struct wgw_state_backend *f;

			f = realloc(ds->forced, (ds->n_forced + 1) * sizeof(*f));
			if (f) {
				ds->forced = f;
				f[ds->n_forced++] = *b;
			}
		}
		if (err)
			wgw_warn("state: backend %s: %s", ep, strerror(-err));
	}
	return gone;
}

/* Put a decoded state into the fresh engine; src names it in messages. */
static void state_apply(struct wgw_daemon *d, uint32_t now, struct wgw_state *st,
			const char *src)
{
	struct wgw_daemon_state *ds = &d->state;
	struct wgw_state_result *r = &ds->res;
	uint64_t wall = now_ns(CLOCK_REALTIME) / 1000000000u, down;
	int err;

	down = wall > st->written_s ? wall - st->written_s : 0;
	if (down > UINT32_MAX / 2)
		down = UINT32_MAX / 2;
	ds->backends_gone = backends_restore(d, st);
	err = wgw_engine_state_restore(d->engine, now, (uint32_t)down, st, r);
	if (err) {
		wgw_warn("state: %s: restore: %s; starting empty", src,
			 strerror(-err));
		snprintf(ds->summary, sizeof(ds->summary), "restore failed: %s", strerror(-err));
		wgw_state_free(st);
		return;
	}
	ds->restored = true;
	ds->age_s = (uint32_t)down;
	if (!strcmp(src, "takeover"))
		snprintf(ds->summary, sizeof(ds->summary), "taken over from the previous "
			 "daemon: %u sessions and %u NAT mappings", r->cids, r->maps);
	else
		snprintf(ds->summary, sizeof(ds->summary),
			 "restored %u sessions and %u NAT mappings, written %u s before the start",
			 r->cids, r->maps, ds->age_s);
	wgw_notice("state: %s: restored %u sessions and %u NAT mappings (written %u s ago), "
		   "%u backends added at run time; left out: %u sessions and %u mappings "
		   "expired, %u and %u of backends no longer configured, %u mappings of "
		   "another NAT address or port range, %u and %u refused",
		   src, r->cids, r->maps, ds->age_s, ds->backends_added,
		   r->cids_expired, r->maps_expired, r->cids_no_backend, r->maps_no_backend,
		   r->maps_nat_changed, r->cids_refused, r->maps_refused);
	if (ds->backends_gone)
		wgw_notice("state: %u backends of the file are no longer configured",
			   ds->backends_gone);
	wgw_state_free(st);
}

void wgw_daemon_state_load(struct wgw_daemon *d, uint32_t now)
{
	struct wgw_daemon_state *ds = &d->state;
	struct wgw_state st;
	char why[256];
	int err;

	if (!wgw_daemon_state_on(d)) {
		snprintf(ds->summary, sizeof(ds->summary), "off");
		return;
	}
	err = wgw_state_read(d->cfg.state_file, d->cfg.max_mappings, d->cfg.max_sessions, &st,
			     why, sizeof(why));
	if (err == -ENOENT) {
		wgw_notice("state: no file at %s: starting empty", d->cfg.state_file);
		snprintf(ds->summary, sizeof(ds->summary), "no file at start");
		return;
	}
	if (err) {
		wgw_warn("state: %s refused: %s; starting empty", d->cfg.state_file, why);
		snprintf(ds->summary, sizeof(ds->summary), "refused at start: %s", why);
		return;
	}
	state_apply(d, now, &st, d->cfg.state_file);
}

int wgw_daemon_state_unpack(struct wgw_daemon *d, uint32_t now, const uint8_t *buf, size_t len)
{
	struct wgw_state st;
	char why[256];
	int err;

	err = wgw_state_decode(buf, len, d->cfg.max_mappings, d->cfg.max_sessions, &st,
			       why, sizeof(why));
	if (err) {
		wgw_warn("takeover: the previous daemon's state refused: %s", why);
		return err;
	}
	state_apply(d, now, &st, "takeover");
	return 0;
}

/* The engine's tables and the backends' run-time changes, now. */
static int state_snapshot(struct wgw_daemon *d, uint32_t now, struct wgw_state *out)
{
	struct wgw_state st;
	int err;

	err = wgw_engine_state_save(d->engine, now, &st);
	if (err)
		return err;
	st.written_s = now_ns(CLOCK_REALTIME) / 1000000000u;
	for (uint32_t i = 0; i < st.n_backends; i++) {
		struct wgw_state_backend *b = &st.backends[i];
		const struct wgw_backend *cb = cfg_backend(&d->cfg, &b->addr, b->port);
		struct wgw_health_info hi;

		if (!cb)
			b->flags |= WGW_STATE_BE_RUNTIME;
		else if (cb->weight != b->weight)
			b->flags |= WGW_STATE_BE_WEIGHT;
		if (d->health && !wgw_health_get(d->health, &b->addr, b->port, &hi) &&
		    hi.forced)
			b->flags |= WGW_STATE_BE_FORCED;
	}
	*out = st;
	return 0;
}

int wgw_daemon_state_pack(struct wgw_daemon *d, uint32_t now, uint8_t **buf, size_t *len)
{
	struct wgw_state st;
	int err;

	err = state_snapshot(d, now, &st);
	if (err)
		return err;
	err = wgw_state_encode(&st, buf, len);
	wgw_state_free(&st);
	return err;
}

int wgw_daemon_state_save(struct wgw_daemon *d, uint32_t now)
{
	struct wgw_daemon_state *ds = &d->state;
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);
	struct wgw_state st;
	int err;

	if (!wgw_daemon_state_on(d))
		return 0;
	err = state_snapshot(d, now, &st);
	if (!err) {
		ds->snapshot_us = (now_ns(CLOCK_MONOTONIC) - t0) / 1000;
		err = wgw_state_write(d->cfg.state_file, &st);
		if (err == -ENOENT && !state_dir_make(d->cfg.state_file))
			err = wgw_state_write(d->cfg.state_file, &st);
		ds->last_sessions = st.n_cids;
		ds->last_maps = st.n_maps;
		wgw_state_free(&st);
	}
	ds->write_us = (now_ns(CLOCK_MONOTONIC) - t0) / 1000;
	if (err) {
		ds->write_errors++;
		if (ds->last_err != err)
			wgw_warn("state: writing %s: %s (the daemon goes on; retried every "
				 "%u s)", d->cfg.state_file, strerror(-err),
				 d->cfg.state_interval_s);
	} else {
		ds->writes++;
		ds->written_mono = now;
		if (ds->last_err)
			wgw_notice("state: %s written again", d->cfg.state_file);
	}
	ds->last_err = err;
	return err;
}

/* Force down again what the file had forced, as soon as the health
 * checker knows the backend; after FORCED_WAIT_S, give up on the rest. */
#define FORCED_WAIT_S 10
static void forced_apply(struct wgw_daemon *d, uint32_t now)
{
	struct wgw_daemon_state *ds = &d->state;
	char ep[INET6_ADDRSTRLEN + 8];
	unsigned keep = 0;

	if (!ds->forced_until)
		ds->forced_until = now + FORCED_WAIT_S;
	for (unsigned i = 0; i < ds->n_forced; i++) {
		const struct wgw_state_backend *b = &ds->forced[i];

		wgw_stats_endpoint(&b->addr, b->port, ep, sizeof(ep));
		if (d->health && !wgw_health_force(d->health, &b->addr, b->port, true))
			wgw_notice("state: backend %s forced down again, as before the restart", ep);
		else if (d->health && now < ds->forced_until)
			ds->forced[keep++] = *b;
		else
			wgw_warn("state: backend %s was forced down; not restored (no health "
				 "checker follows it)", ep);
	}
	ds->n_forced = keep;
}

void wgw_daemon_state_free(struct wgw_daemon *d)
{
	free(d->state.forced);
	d->state.forced = NULL;
	d->state.n_forced = 0;
}

void wgw_daemon_state_tick(struct wgw_daemon *d, uint32_t now)
{
	if (d->state.n_forced)
		forced_apply(d, now);
	if (!wgw_daemon_state_on(d) || now < d->state.next_save)
		return;
	d->state.next_save = now + d->cfg.state_interval_s;
	wgw_daemon_state_save(d, now);
}
