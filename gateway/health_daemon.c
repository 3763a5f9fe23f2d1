// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backend health in the daemon: the engine's backends and counters fed to
 * gateway/health.c from the control loop, its verdicts applied to the
 * engine, the neighbour table asked over netlink.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/daemon_internal.h"
#include "gateway/engine.h"
#include "gateway/health.h"
#include "gateway/log.h"
#include "gateway/port.h"
#include "netlink/rtnl.h"

#define HEALTH_TICK_MS 100	/* milliseconds between looks at the counters */

static int health_apply(void *arg, const union wgw_addr *a, uint16_t port, bool down)
{
	struct wgw_daemon *d = arg;

	return wgw_engine_backend_set_health(d->engine, a, port, down);
}

static int health_neigh(void *arg, const union wgw_addr *a)
{
	struct wgw_daemon *d = arg;
	struct wgw_nexthop nh;
	int err = wgw_nl_nexthop(d->nl, a, &nh);

	/* anything else (netlink trouble) says nothing about the backend */
	return err == -EAGAIN || err == -EHOSTUNREACH || err == -ENETUNREACH ? err : 0;
}

static void health_cfg(const struct wgw_config *c, struct wgw_health_cfg *hc)
{
	*hc = (struct wgw_health_cfg){
		.check = (enum wgw_health_check)c->health_check,
		.interval_ms = c->health_interval_s * 1000,
		.fall = c->health_fall,
		.rise = c->health_rise,
		.passive_timeout_ms = c->health_passive_timeout_s * 1000,
	};
}

int wgw_daemon_health_open(struct wgw_daemon *d)
{
	const struct wgw_iface *lan = wgw_iface_of(d, WGW_SIDE_LAN);
	struct wgw_health_ops ops = { .apply = health_apply, .neigh = health_neigh };
	struct wgw_health_cfg hc;

	health_cfg(&d->cfg, &hc);
	d->health_be = calloc(WGW_ENGINE_MAX_BACKENDS, sizeof(*d->health_be));
	if (!d->health_be)
		return -ENOMEM;
	d->health = wgw_health_create(&hc, !wgw_addr_is_v4(&d->cfg.nat),
				      lan ? lan->ifindex : 0, &ops, d);
	if (!d->health) {
		free(d->health_be);
		d->health_be = NULL;
		return -errno;
	}
	return 0;
}

void wgw_daemon_health_close(struct wgw_daemon *d)
{
	wgw_health_destroy(d->health);
	d->health = NULL;
	free(d->health_be);
	d->health_be = NULL;
}

void wgw_daemon_health_run(struct wgw_daemon *d, uint64_t now_ms)
{
	struct wgw_health_cfg hc;
	unsigned n;

	if (!d->health)
		return;
	wgw_health_process(d->health);
	if (now_ms < d->health_next_ms)
		return;
	d->health_next_ms = now_ms + HEALTH_TICK_MS;
	health_cfg(&d->cfg, &hc);	/* reloads take effect here */
	wgw_health_set_cfg(d->health, &hc);
	n = wgw_engine_backends(d->engine, d->health_be, WGW_ENGINE_MAX_BACKENDS);
	if (n > WGW_ENGINE_MAX_BACKENDS)
		n = WGW_ENGINE_MAX_BACKENDS;
	wgw_health_begin(d->health);
	for (unsigned i = 0; i < n; i++) {
		const struct wgw_backend_info *b = &d->health_be[i];

		wgw_health_seen(d->health, &b->addr, b->port, b->state == WGW_BACKEND_UP,
				b->pkts_to, b->pkts_from);
	}
	wgw_health_tick(d->health, now_ms);
}

void wgw_daemon_health_lan(struct wgw_daemon *d, bool up)
{
	const struct wgw_config *c = &d->cfg;
	struct timespec ts;
	uint64_t now_ms;

	if (!d->health)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	/* While the gateway's own LAN link is down nothing can be judged;
	 * once it is back, the next hops resolve again and the traffic that
	 * went unanswered meanwhile is no one's fault: one interval and the
	 * passive timeout of grace. */
	wgw_health_hold(d->health, up ? now_ms + 1000ull * (c->health_interval_s +
							   c->health_passive_timeout_s)
				      : UINT64_MAX);
}
