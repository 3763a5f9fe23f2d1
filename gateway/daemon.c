// SPDX-License-Identifier: GPL-2.0-only
/*
 * The daemon shell (daemon.h): brings the gateway up in order, runs the
 * control loop, takes everything down in reverse.  The pieces it orders
 * live in journal.c, natown.c and datapath.c (daemon_internal.h).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fallback/tun.h"
#include "gateway/capture.h"
#include "gateway/ctl.h"
#include "gateway/daemon.h"
#include "gateway/daemon_internal.h"
#include "gateway/health.h"
#include "gateway/stats.h"
#include "gateway/takeover.h"
#include "gateway/privs.h"
#include "gateway/reload.h"
#include "gateway/engine.h"
#include "gateway/hslimit.h"
#include "gateway/log.h"
#include "gateway/store.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"
#include "gateway/xsk.h"

#define CTL_TICK_MS 10		/* control loop wake-up, milliseconds */
#define NH_REFRESH_MS 1000	/* re-ask for pending next hops, milliseconds */
#define NH_GC_S 60		/* next-hop garbage collection period, seconds */
#define NH_IDLE_S 300		/* next-hop entry idle lifetime, seconds */
#define EXPIRE_PASSES_S 5	/* full expiry pass over the tables, seconds */
#define DP_HEALTH_MS 250	/* fast-path health check period, milliseconds */


const char *wgw_sides_name(unsigned sides)
{
	switch (sides) {
	case WGW_SIDE_WAN:
		return "wan";
	case WGW_SIDE_LAN:
		return "lan";
	case WGW_SIDE_WAN | WGW_SIDE_LAN:
		return "wan+lan";
	default:
		return "none";
	}
}

static uint32_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------- next hops */

static int nh_resolve(void *ctx, const union wgw_addr *dst, int *ifindex,
		      union wgw_addr *via, uint8_t mac[6])
{
	struct wgw_daemon *d = ctx;
	struct wgw_nexthop nh;
	int err;

	err = wgw_nl_nexthop(d->nl, dst, &nh);
	if (err && err != -EAGAIN && err != -EHOSTUNREACH)
		return err;
	*ifindex = nh.ifindex;
	*via = nh.via;
	if (err)
		return -EAGAIN;	/* a new resolution was started */
	memcpy(mac, nh.dst_mac, 6);
	return 0;
}

void wgw_daemon_serve_workers(struct wgw_daemon *d, bool netlink_ready, bool woken)
{
	if (netlink_ready) {
		int n = wgw_nl_watcher_process(d->nl);

		if (n < 0)
			wgw_log_ratelimited(LOG_WARNING, "netlink: %s", strerror(-n));
	}
	if (woken)
		wgw_nh_wake_clear(&d->nh);
	wgw_nh_process(&d->nh, nh_resolve, d, mono_s());
}

static void nl_changed(const struct wgw_nl_change *c, void *arg)
{
	struct wgw_daemon *d = arg;

	switch (c->event) {
	case WGW_NL_EV_NEIGH:
		/* Only what goes to or through that neighbour changes. */
		if (d->nh_init)
			wgw_nh_refresh_neigh(&d->nh, nh_resolve, d, &c->addr);
		break;
	case WGW_NL_EV_ROUTE:
	case WGW_NL_EV_RESYNC:
		d->nh_dirty = true;
		break;
	case WGW_NL_EV_LINK:
		for (unsigned i = 0; i < d->nifs; i++) {
			struct wgw_iface *ifc = &d->ifs[i];

			if (ifc->ifindex != c->ifindex) {
				struct wgw_nl_link l;

				/* Our interface, deleted earlier, created again
				 * (a new ifindex under the same name). */
				if (ifc->gone && !ifc->back && c->action != WGW_NL_REMOVED &&
				    !wgw_nl_link_get(d->nl, c->ifindex, &l) &&
				    !strcmp(l.name, ifc->name)) {
					wgw_notice("interface %s is back (index %d)",
						   ifc->name, c->ifindex);
					ifc->back = true;
				}
				continue;
			}
			if (c->action == WGW_NL_REMOVED) {
				wgw_warn("interface %s went away", ifc->name);
				ifc->gone = true;
				if (ifc->sides & WGW_SIDE_LAN)
					wgw_daemon_health_lan(d, false);
			} else if (c->link_changed & (WGW_NL_LINK_UP_CHANGED |
						       WGW_NL_LINK_CARRIER_CHANGED)) {
				wgw_notice("interface %s is %s%s", ifc->name,
					   c->up ? "up" : "down",
					   c->up && !c->carrier ? " (no carrier)" : "");
				if (ifc->sides & WGW_SIDE_LAN)
					wgw_daemon_health_lan(d, c->up && c->carrier);
				/* Taking a link down flushes its proxy
				 * neighbour entries with the rest. */
				if ((ifc->sides & WGW_SIDE_LAN) && c->up &&
				    (c->link_changed & WGW_NL_LINK_UP_CHANGED))
					d->reclaim = true;
			}
			if ((c->link_changed & WGW_NL_LINK_MTU_CHANGED) && c->mtu &&
			    c->mtu != ifc->mtu) {
				wgw_notice("interface %s: MTU %u -> %u", ifc->name,
					   ifc->mtu, c->mtu);
				ifc->mtu = c->mtu;
				if ((ifc->sides & WGW_SIDE_LAN) && d->tun &&
				    wgw_tun_set_mtu(d->tun, c->mtu))
					wgw_warn("%s: cannot follow the MTU of %s",
						 wgw_tun_name(d->tun), ifc->name);
				wgw_ports_follow_mtu(d);
			}
			if (c->link_changed & WGW_NL_LINK_MAC_CHANGED) {
				wgw_notice("interface %s: MAC address changed", ifc->name);
				memcpy(ifc->mac, c->mac, 6);
				/* The XDP program steers only frames sent to the
				 * interface's own MAC: until it has the new one,
				 * they take the kernel's path (pass_otherhost). */
				if (ifc->xdp && wgw_xdp_set_if_mac(ifc->xdp, ifc->ifindex, c->mac))
					wgw_warn("interface %s: the XDP program keeps the old MAC "
						 "address: its traffic takes the kernel's path",
						 ifc->name);
				for (unsigned w = 0; w < d->nworkers; w++)
					if (wgw_worker_set_port_mac(&d->workers[w], ifc->ifindex,
								    c->mac))
						wgw_warn("worker %u did not take the new MAC "
							 "address of %s in time", w, ifc->name);
			}
			d->nh_dirty = true;
		}
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ counters */

static void log_counters(struct wgw_daemon *d)
{
	struct wgw_stats *st = wgw_stats_collect(d);

	if (!st) {
		wgw_err("counters: %s", strerror(errno));
		return;
	}
	wgw_stats_log(st);
	wgw_stats_free(st);
}

/* ------------------------------------------------------------ run */

static int engine_up(struct wgw_daemon *d)
{
	const struct wgw_config *c = &d->cfg;
	struct wgw_vip vips[WGW_MAX_VIPS];
	struct wgw_engine_cfg ec = {
		.vips = vips, .n_vips = c->n_vips,
		.nat_addr = c->nat, .nat_pool = c->nat_pool, .n_nat_pool = c->n_nat_pool,
		.nat_port_lo = c->nat_port_lo, .nat_port_hi = c->nat_port_hi,
		.n_threads = d->nworkers,
		.max_cids = c->max_sessions, .max_mappings = c->max_mappings,
		.cid_idle_s = c->session_timeout_s, .map_idle_s = c->mapping_timeout_s,
		.max_maps_per_source = c->max_mappings_per_source,
		.max_cids_per_source = c->max_cids_per_source,
	};
	uint64_t key[6];
	char err_buf[256];
	int err;

	for (unsigned i = 0; i < c->n_vips; i++)
		vips[i] = c->vips[i];
	/* The tables' hash key is random per run (it only has to be
	 * unpredictable); the backend choice has its own fixed key. */
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		wgw_err("getrandom: %s", strerror(errno));
		return -EIO;
	}
	ec.hash_key = key;
	if (wgw_engine_cfg_validate(&ec, err_buf, sizeof(err_buf))) {
		wgw_err("%s", err_buf);
		return -EINVAL;
	}
	d->engine = wgw_engine_create(&ec);
	if (!d->engine) {
		wgw_err("engine: %s", strerror(errno));
		return -errno;
	}
	d->hs = wgw_hslimit_create(d->cfg.handshake_rate, d->cfg.handshake_burst);
	if (!d->hs) {
		wgw_err("handshake limiter: %s", strerror(errno));
		return -errno;
	}
	for (unsigned i = 0; i < d->cfg.n_backends; i++) {
		const struct wgw_backend *b = &d->cfg.backends[i];
		char a[INET6_ADDRSTRLEN];

		err = wgw_engine_backend_add(d->engine, &b->addr, b->port, b->weight);
		if (err < 0) {
			wgw_err("backend %s:%u: %s", wgw_addr_str(&b->addr, a, sizeof(a)),
				b->port, strerror(-err));
			return err;
		}
	}
	return 0;
}


static int signals_open(struct wgw_daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGPIPE);
	/* Blocked in every thread created from here on; read from a
	 * signalfd by the control loop. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -errno;
	sigdelset(&set, SIGPIPE);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -errno;
	return 0;
}

static int control_loop(struct wgw_daemon *d)
{
	uint64_t now_ms = mono_ms(), next_refresh = now_ms + NH_REFRESH_MS;
	uint64_t next_expire = now_ms, next_health = now_ms + DP_HEALTH_MS;
	uint32_t next_gc = mono_s() + NH_GC_S;
	uint32_t expire_budget;
	struct pollfd fds[4 + WGW_CTL_MAX_POLLFDS];
	int nctl = 0;
	int rc = 0;

	/* A full pass over both tables every EXPIRE_PASSES_S seconds. */
	expire_budget = (d->cfg.max_sessions + d->cfg.max_mappings) /
			(EXPIRE_PASSES_S * 1000 / 100) + 64;
	fds[0] = (struct pollfd){ .fd = d->sigfd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = wgw_nl_watcher_fd(d->nl), .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = wgw_nh_wake_fd(&d->nh), .events = POLLIN };
	fds[3] = (struct pollfd){ .fd = d->health ? wgw_health_fd(d->health) : -1,
				  .events = POLLIN };
	for (;;) {
		if (d->ctl)
			nctl = wgw_ctl_fill_pollfds(d->ctl, fds + 4, WGW_CTL_MAX_POLLFDS);
		if (poll(fds, 4 + (nfds_t)nctl, CTL_TICK_MS) < 0) {
			if (errno != EINTR) {
				wgw_err("poll: %s", strerror(errno));
				return -errno;
			}
			for (int i = 0; i < 4 + nctl; i++)
				fds[i].revents = 0;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
				switch (si.ssi_signo) {
				case SIGTERM:
				case SIGINT:
					wgw_notice("%s: shutting down",
						   si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
					sd_notify(0, "STOPPING=1");
					return rc;
				case SIGUSR1:
					log_counters(d);
					break;
				case SIGHUP: {
					char msg[512];

					if (wgw_daemon_reload(d, msg, sizeof(msg)))
						wgw_err("SIGHUP: reload refused: %s", msg);
					else
						wgw_notice("SIGHUP: reloaded: %s", msg);
					break;
				}
				}
			}
		}
		wgw_daemon_serve_workers(d, fds[1].revents != 0, fds[2].revents & POLLIN);
		if (d->reclaim && d->claimed) {
			int err = wgw_nat_reproxy(d);

			d->reclaim = false;
			if (err)
				wgw_err("NAT address: proxy entry after link up: %s",
					strerror(-err));
			else
				wgw_info("NAT address: proxy entry set again after link up");
		}
		if (d->ctl)
			wgw_ctl_handle(d->ctl, fds + 4, nctl);
		if (d->handed_over)
			return 0;
		if (d->tk_fatal)
			return -EIO;
		now_ms = mono_ms();
		wgw_daemon_health_run(d, now_ms);
		if (d->nh_dirty) {
			d->nh_dirty = false;
			wgw_nh_refresh(&d->nh, nh_resolve, d, false);
		} else if (now_ms >= next_refresh) {
			wgw_nh_refresh(&d->nh, nh_resolve, d, true);
		}
		if (now_ms >= next_refresh)
			next_refresh = now_ms + NH_REFRESH_MS;
		if (now_ms >= next_expire) {
			wgw_engine_expire(d->engine, mono_s(), expire_budget);
			next_expire = now_ms + 100;
		}
		wgw_daemon_state_tick(d, mono_s());
		/* A flood that stopped still says how much it hid. */
		wgw_ratelimit_flush();
		if (mono_s() >= next_gc) {
			wgw_nh_gc(&d->nh, mono_s(), NH_IDLE_S);
			next_gc = mono_s() + NH_GC_S;
		}
		for (unsigned i = 0; i < d->nworkers; i++) {
			if (wgw_worker_dead(&d->workers[i])) {
				wgw_err("worker %u stopped", i);
				return -EIO;
			}
		}
		if (now_ms >= next_health) {
			next_health = now_ms + DP_HEALTH_MS;
			if (wgw_dp_check(d, mono_s())) {
				wgw_err("the data path cannot be rebuilt: stopping");
				return -EIO;
			}
		}
	}
}

/*
 * Exit without undoing: what the kernel holds (XDP links, the NAT address,
 * sysctls, NIC settings, the pid file and the journal) belongs to the
 * daemon that serves, the successor or, after a failed takeover, the one
 * that was running.  Our descriptors are closed; nothing is detached.
 */
static void wgw_keep_kernel(struct wgw_daemon *d)
{
	d->keep_kernel = true;
	for (unsigned i = 0; i < d->nifs; i++) {
		if (d->ifs[i].xdp)
			wgw_xdp_disown(d->ifs[i].xdp);
		d->ifs[i].prep_applied = false;
	}
	d->claimed = false;
	d->n_pool_claimed = 0;
	memset(&d->sysctls, 0, sizeof(d->sysctls));
	memset(&d->confine, 0, sizeof(d->confine));
}

struct control_thread {
	struct wgw_daemon *d;
	int rc;
};

static void *control_thread(void *arg)
{
	struct control_thread *ct = arg;

	pthread_setname_np(pthread_self(), "wgw-ctl");
	ct->rc = control_loop(ct->d);
	return NULL;
}

/*
 * The control loop on a thread of its own, named wgw-ctl as the workers are
 * wgw-worker/N, so that `top -H` and /proc/PID/task tell them apart; the
 * main thread keeps the program's name (ps, pidof) and waits for it.  It
 * inherits the blocked signals (signalfd) and the reduced capabilities.
 * Where no thread can be made, the loop runs here.
 */
static int control_run(struct wgw_daemon *d)
{
	struct control_thread ct = { .d = d, .rc = -1 };
	pthread_t th;

	if (pthread_create(&th, NULL, control_thread, &ct))
		return control_loop(d);
	pthread_join(th, NULL);
	return ct.rc;
}

/* The session store's password: the first line of the file, read now,
 * before the privileges go.  0 or -errno (said why). */
static int store_password(const struct wgw_config *cfg, char *pw, size_t len)
{
	int err;

	pw[0] = '\0';
	if (!cfg->store_password_file[0])
		return 0;
	err = wgw_store_read_password(cfg->store_password_file, pw, len);
	if (err)
		wgw_err("--session-store-password-file %s: %s", cfg->store_password_file,
			err == -EINVAL ? "the first line is empty" : strerror(-err));
	return err;
}

/* The session store and its thread's structures, handed to the workers
 * (the thread starts later, with the workers).  Without --session-store:
 * nothing. */
static int store_open(struct wgw_daemon *d)
{
	struct wgw_store_cfg sc = {
		.eps = d->cfg.stores, .n_eps = d->cfg.n_stores,
		.timeout_ms = d->cfg.store_timeout_ms, .lookup_rate = d->cfg.store_lookup_rate,
		.n_workers = d->nworkers, .engine = d->engine,
	};
	char pw[512];

	if (!d->cfg.n_stores)
		return 0;
	if (store_password(&d->cfg, pw, sizeof(pw)))
		return -1;
	sc.password = pw;
	d->store = wgw_store_create(&sc);
	explicit_bzero(pw, sizeof(pw));
	if (!d->store) {
		wgw_err("session store: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < d->nworkers; i++)
		wgw_worker_set_store(&d->workers[i], d->store);
	wgw_notice("session store: %u store%s, lookup timeout %u ms, %u lookups/s per worker",
		   d->cfg.n_stores, d->cfg.n_stores == 1 ? "" : "s", d->cfg.store_timeout_ms,
		   d->cfg.store_lookup_rate);
	return 0;
}

int wgw_daemon_run(const struct wgw_config *cfg, int argc, char **argv)
{
	struct wgw_daemon *d;
	int err, ret = 1;

	d = calloc(1, sizeof(*d));
	if (!d) {
		wgw_err("out of memory");
		return 1;
	}
	d->cfg = *cfg;
	d->argc = argc;
	d->argv = argv;
	d->sigfd = -1;
	d->pidfd = -1;
	d->tk_fd = -1;
	d->started = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &d->started_mono);

	if (cfg->verbose) {
		char *buf = NULL, *line, *save;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (f) {
			wgw_config_print(cfg, f);
			fclose(f);
			for (line = strtok_r(buf, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				if (line[0] && line[0] != '#')
					wgw_info("config: %s", line);
			free(buf);
		}
	}
	err = signals_open(d);
	if (err) {
		wgw_err("signals: %s", strerror(-err));
		goto out_free;
	}
	/* A takeover gets the pid file (and its lock) from the running one. */
	if (cfg->takeover ? wgw_takeover_connect(d) : wgw_pidfile_open(d))
		goto out_signals;
	d->nl = wgw_nl_watcher_open(nl_changed, d);
	if (!d->nl) {
		wgw_err("netlink: %s", strerror(errno));
		goto out_pidfile;
	}
	err = wgw_genl_open(&d->genl);
	if (err) {
		wgw_err("generic netlink: %s", strerror(-err));
		goto out_watcher;
	}
	d->genl_open = true;
	if (!d->handed)
		wgw_journal_recover(d);

	d->nifs = strcmp(cfg->wan, wgw_config_lan(cfg)) ? 2 : 1;
	if (d->nifs == 1) {
		if (wgw_iface_init(d, &d->ifs[0], cfg->wan, WGW_SIDE_WAN | WGW_SIDE_LAN,
			       wgw_config_wan_mode(cfg)))
			goto out_genl;
	} else {
		if (wgw_iface_init(d, &d->ifs[0], cfg->wan, WGW_SIDE_WAN,
			       wgw_config_wan_mode(cfg)) ||
		    wgw_iface_init(d, &d->ifs[1], wgw_config_lan(cfg), WGW_SIDE_LAN,
			       wgw_config_lan_mode(cfg)))
			goto out_genl;
	}
	/* A takeover finds the interfaces prepared: it takes the record of
	 * what was changed, to put it back when it stops. */
	if (d->handed && wgw_takeover_adopt(d))
		goto out_ifaces;
	for (unsigned i = 0; i < d->nifs && !d->handed; i++) {
		if (wgw_iface_prepare(d, &d->ifs[i]))
			goto out_ifaces;
		wgw_journal_write(d);
	}

	/* One worker per queue index that both interfaces have; queues past
	 * that get no AF_XDP socket and XDP passes their packets to the
	 * kernel. */
	d->nworkers = d->ifs[0].queues;
	if (d->nifs == 2 && d->ifs[1].queues < d->nworkers)
		d->nworkers = d->ifs[1].queues;
	if (d->nworkers > WGW_MAX_QUEUES)
		d->nworkers = WGW_MAX_QUEUES;
	d->workers = calloc(d->nworkers, sizeof(*d->workers));
	d->mem = calloc(d->nworkers, sizeof(*d->mem));
	if (!d->workers || !d->mem) {
		wgw_err("out of memory");
		free(d->workers);
		free(d->mem);
		goto out_ifaces;
	}
	if (engine_up(d))
		goto out_engine;
	/* Sessions of the previous run, before a worker can route (a
	 * takeover's come from the running daemon). */
	if (!d->handed)
		wgw_daemon_state_load(d, mono_s());
	err = wgw_nh_init(&d->nh, cfg->max_mappings + cfg->n_backends + 64, d->nworkers);
	if (err) {
		wgw_err("next-hop table: %s", strerror(-err));
		goto out_engine;
	}
	d->nh_init = true;
	if (d->handed) {
		wgw_workers_config(d);
		if (store_open(d))
			goto out_dp;
		if (wgw_takeover_dp(d))
			goto out_dp;
	} else {
		if (wgw_nat_claim(d))
			goto out_claim;
		wgw_journal_write(d);
		wgw_workers_config(d);
		if (store_open(d))
			goto out_dp;
		if (wgw_dp_ladder(d))
			goto out_dp;
		for (unsigned i = 0; i < d->nifs; i++)
			d->ifs[i].rung_best = d->ifs[i].rung;
	}
	/* Backends' next hops before the first packet needs them. */
	for (unsigned i = 0; i < cfg->n_backends; i++)
		wgw_nh_resolve_one(&d->nh, &cfg->backends[i].addr, nh_resolve, d, mono_s());
	err = wgw_daemon_health_open(d);
	if (err) {
		wgw_err("backend health: %s", strerror(-err));
		goto out_dp;
	}
	if (!d->handed && d->cfg.control_socket[0]) {
		d->ctl = wgw_ctl_open(d, d->cfg.control_socket, d->cfg.control_mode);
		if (!d->ctl)	/* wgw_ctl_open() said why */
			goto out_dp;
	}
	d->capture = wgw_capture_create(d->nworkers, d->ifs[0].name,
					d->ifs[d->nifs == 2].name);
	if (!d->capture)
		wgw_warn("capture unavailable: %s", strerror(errno));
	/* Workers inherit the reduced capability set. */
	err = wgw_privs_drop(&d->cfg, wgw_dp_in_dispatcher(d));
	if (err) {
		wgw_err("dropping privileges: %s", strerror(-err));
		goto out_ctl;
	}
	if (d->store) {
		err = wgw_store_start(d->store);
		if (err) {
			wgw_err("session store thread: %s", strerror(-err));
			goto out_ctl;
		}
	}
	if (wgw_workers_start(d))
		goto out_ctl;
	if (d->handed) {
		/* We serve: the previous daemon lets go, then the control
		 * socket's path, the pid file and the journal are ours. */
		wgw_takeover_finish(d);
		wgw_takeover_free(d);
		d->ctl = wgw_ctl_open(d, d->cfg.control_socket, d->cfg.control_mode);
		if (!d->ctl)
			wgw_err("takeover: serving without a control socket");
		wgw_pidfile_take(d);
		wgw_journal_write(d);
		wgw_notice("takeover: done");
	}
	d->state.running = true;
	d->state.next_save = mono_s() + d->cfg.state_interval_s;
	wgw_notice("running: %u worker%s, %u VIP%s, %u backend%s", d->nworkers,
		   d->nworkers == 1 ? "" : "s", cfg->n_vips, cfg->n_vips == 1 ? "" : "s",
		   cfg->n_backends, cfg->n_backends == 1 ? "" : "s");
	/* Type=notify: the unit is started once the workers serve.  Outside
	 * systemd ($NOTIFY_SOCKET unset) this does nothing. */
	sd_notifyf(0, "READY=1\nSTATUS=serving: %u workers, %u backends", d->nworkers,
		   cfg->n_backends);

	if (!control_run(d))
		ret = 0;
	if (d->handed_over) {
		/* The successor serves: our control socket goes first, so that
		 * it can take the path, then the goodbye (it waits for it to
		 * finish starting); nothing is undone. */
		wgw_ctl_close(d->ctl);
		d->ctl = NULL;
		wgw_takeover_bye(d);
		d->state.running = false;
		wgw_keep_kernel(d);
	}
	log_counters(d);

out_ctl:
	/* A takeover that failed leaves everything to the running daemon. */
	if (d->handed)
		wgw_keep_kernel(d);
	if (d->ctl) {
		wgw_ctl_close(d->ctl);
		d->ctl = NULL;
	}
out_dp:
	if (d->handed)
		wgw_keep_kernel(d);
	wgw_workers_stop(d);
	/* The last word on the sessions, with the tables at rest (and the
	 * health checker's forced states).  Not after a failed start: that
	 * would replace a good file with nothing. */
	if (d->state.running)
		wgw_daemon_state_save(d, mono_s());
	wgw_daemon_health_close(d);
	/* after the workers: they push into its rings */
	wgw_store_destroy(d->store);
	d->store = NULL;
	wgw_capture_destroy(d->capture);	/* the workers wrote its rings */
	d->capture = NULL;
	wgw_dp_down(d);
out_claim:
	if (d->handed)
		wgw_keep_kernel(d);
	wgw_nat_release(d);
out_engine:
	if (d->handed)
		wgw_keep_kernel(d);
	if (d->nh_init)
		wgw_nh_fini(&d->nh);
	if (d->engine)
		wgw_engine_destroy(d->engine);
	wgw_hslimit_destroy(d->hs);
	d->hs = NULL;
	free(d->workers);
	free(d->mem);
out_ifaces:
	if (d->handed)
		wgw_keep_kernel(d);
	for (unsigned i = 0; i < d->nifs; i++)
		wgw_iface_restore(d, &d->ifs[i]);
	wgw_journal_remove(d);
out_genl:
	wgw_takeover_free(d);
	wgw_genl_close(&d->genl);
out_watcher:
	wgw_nl_watcher_close(d->nl);
out_pidfile:
	wgw_pidfile_close(d);
out_signals:
	if (d->handed) {
		wgw_keep_kernel(d);
		wgw_takeover_free(d);
		wgw_pidfile_close(d);
	}
	if (d->sigfd >= 0)
		close(d->sigfd);
out_free:
	wgw_daemon_state_free(d);
	if (ret == 0)
		wgw_notice(d->keep_kernel ? "handed over; stopped" : "stopped cleanly");
	free(d);
	return ret;
}
