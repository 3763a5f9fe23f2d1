/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live reconfiguration: SIGHUP and the control socket's "reload".
 *
 * The configuration is built again the way the start built it (defaults,
 * then the saved command line, which re-reads -c FILE and re-applies the
 * command-line overrides) and validated as a whole.  Nothing changes unless
 * every step succeeds up to the point where changes begin.
 *
 * Applied at run time, without restarting workers and without touching the
 * state of existing sessions:
 *   vip                  the engine's VIP set and each WAN-side XDP
 *                        program's destinations (new entries first);
 *   backend              added, removed, weights changed.  The file is the
 *                        backend set after a reload: backends added with
 *                        wraith-gatewayctl that the file does not list are
 *                        removed, and backends the file lists come back.
 *                        A drain set through the control socket stays on a
 *                        backend that the file still lists (the file has no
 *                        drain state to say otherwise);
 *   max-sessions, max-mappings (up to the capacity of the start),
 *   max-mappings-per-source, max-cids-per-source (what a source holds
 *   already stays), session-timeout, mapping-timeout, verbose.
 *
 * Refused, with the list of keys, because they need a restart: wan, lan,
 * nat, nat-ports, mode, wan-mode, lan-mode, queues, cpus, frame-size,
 * headroom, fill-ring, comp-ring, rx-ring, tx-ring, umem-frames, batch,
 * wait, busy-poll-budget, busy-poll-usecs, nic-rx-ring, nic-tx-ring,
 * coalesce, keep-offloads, control-socket, control-mode, pidfile, syslog,
 * metrics-listen; and max-sessions or max-mappings above the tables'
 * capacity (set at start).
 */
#ifndef WGW_RELOAD_H
#define WGW_RELOAD_H

#include <stddef.h>

struct wgw_daemon;
struct wgw_config;

/*
 * Reload with the daemon's own command line (d->argc, d->argv), which
 * re-reads -c FILE and re-applies the command-line overrides.  0 with a one-line summary of what changed
 * in msg; or a negative errno with the reason in msg (-EINVAL: the new
 * configuration is invalid or needs a restart, nothing was changed; other
 * errors: a step of applying failed, msg says which and what is in force).
 * From the control thread only.
 */
int wgw_daemon_reload(struct wgw_daemon *d, char *msg, size_t msglen);
/* The same with a given command line (tests, embedders). */
int wgw_daemon_reload_args(struct wgw_daemon *d, int argc, char **argv, char *msg,
			   size_t msglen);

/*
 * The part of the above that compares: 0 if new can replace old at run time,
 * else -EINVAL with the keys that need a restart in msg.  For the tests.
 */
int wgw_reload_check(const struct wgw_config *old, const struct wgw_config *new,
		     char *msg, size_t msglen);

#endif
