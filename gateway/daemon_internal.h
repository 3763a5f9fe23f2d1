/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon shell's modules, private to it: the pid file and the undo
 * journal (journal.c), ownership of the NAT address (natown.c), the data
 * path and its workers (datapath.c).  daemon.c orders them.  All run on
 * the control thread.
 */
#ifndef WGW_DAEMON_INTERNAL_H
#define WGW_DAEMON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/daemon.h"
#include "gateway/pool.h"

struct wgw_xsk_umem;

/* ---- journal.c */

/* Take the pid file's lock and write our pid (no pid file configured: 0).
 * -EBUSY when another daemon holds it; 0 or -errno, logged. */
int wgw_pidfile_open(struct wgw_daemon *d);
void wgw_pidfile_close(struct wgw_daemon *d);
/* Write our pid into the pid file a takeover handed over (its lock held). */
int wgw_pidfile_take(struct wgw_daemon *d);
/* Record what the daemon changed in the kernel so far (best effort). */
void wgw_journal_write(struct wgw_daemon *d);
/* A clean exit: nothing is left to undo. */
void wgw_journal_remove(struct wgw_daemon *d);
/* The journal's record of what the daemon changed, to hand over in a
 * takeover (free() it), and its adoption by the successor: 0, or -EPROTO
 * for bytes that are not a journal of this version. */
void *wgw_journal_pack(const struct wgw_daemon *d, size_t *len);
int wgw_journal_adopt(struct wgw_daemon *d, const void *buf, size_t len);
/* Undo what a daemon that died without cleaning up left behind.  Needs
 * d->nl and d->genl, and the pid file's lock held. */
void wgw_journal_recover(struct wgw_daemon *d);

/* ---- natown.c */

/* Own the NAT address on the LAN interface.  0 or -errno, logged;
 * wgw_nat_release() undoes a partial claim too. */
int wgw_nat_claim(struct wgw_daemon *d);
void wgw_nat_release(struct wgw_daemon *d);
/* The LAN device was created again: claim the address on it again.
 * 0 or -errno (not logged). */
int wgw_nat_reclaim(struct wgw_daemon *d);
/* The LAN came up: its proxy entries (every NAT address's) again.  0 or
 * -errno. */
int wgw_nat_reproxy(struct wgw_daemon *d);

/* ---- datapath.c */

/* A worker's buffer memory, which its ports take frames from. */
struct wgw_dp_mem {
	struct wgw_pool pools[2];	/* [1] used when the sides cannot share a UMEM */
	struct wgw_xsk_umem *umems[2];	/* the pools registered for AF_XDP */
};

/* Look an interface up and probe it; sets where its ladder starts. */
int wgw_iface_init(struct wgw_daemon *d, struct wgw_iface *ifc, const char *name,
		   unsigned sides, enum wgw_mode want);
/* Apply the NIC settings (queues, rings, coalescing, offloads). */
int wgw_iface_prepare(struct wgw_daemon *d, struct wgw_iface *ifc);
void wgw_iface_restore(struct wgw_daemon *d, struct wgw_iface *ifc);
/* The interface that serves a side (WGW_SIDE_WAN or WGW_SIDE_LAN). */
struct wgw_iface *wgw_iface_of(struct wgw_daemon *d, unsigned side);

/* Build the data path, walking the ladder until every interface has a
 * rung that works.  0 or -errno, logged. */
int wgw_dp_ladder(struct wgw_daemon *d);
/* Take the data path down (workers stopped first). */
void wgw_dp_down(struct wgw_daemon *d);
/* Only the ports and their memory (the programs stay attached), and
 * building them again on the rungs in use.  0 or -errno. */
void wgw_dp_ports_down(struct wgw_daemon *d);
int wgw_dp_ports_up(struct wgw_daemon *d);
/* Load, configure and attach ifc's XDP program; on a takeover's link
 * (link_fd >= 0) in place of the previous daemon's program. */
int wgw_dp_attach(struct wgw_daemon *d, struct wgw_iface *ifc, int link_fd);
/* Run-time health of the fast path; now in monotonic seconds.  0 or a
 * fatal -errno. */
int wgw_dp_check(struct wgw_daemon *d, uint32_t now);
/* Did an interface join a libxdp dispatcher?  (privs.h) */
bool wgw_dp_in_dispatcher(const struct wgw_daemon *d);

/* Workers' CPUs and settings, before the data path is built. */
void wgw_workers_config(struct wgw_daemon *d);
int wgw_workers_start(struct wgw_daemon *d);
void wgw_workers_stop(struct wgw_daemon *d);
/* Tell every port the MTU of the interface its frames leave by. */
void wgw_ports_follow_mtu(struct wgw_daemon *d);

/* ---- daemon.c */

/* What the control loop does for the workers on each turn: netlink events
 * (netlink_ready: its socket is readable) and next-hop requests (woken:
 * the requests' eventfd is); also while a takeover waits for the previous
 * daemon's goodbye, before the loop runs. */
void wgw_daemon_serve_workers(struct wgw_daemon *d, bool netlink_ready, bool woken);

/* ---- health_daemon.c */

/* Backend health on the LAN side (before privileges are dropped: its ICMP
 * reader needs CAP_NET_RAW).  0 or -errno. */
int wgw_daemon_health_open(struct wgw_daemon *d);
void wgw_daemon_health_close(struct wgw_daemon *d);
/* From the control loop, on every wake-up (monotonic ms). */
void wgw_daemon_health_run(struct wgw_daemon *d, uint64_t now_ms);
/* The LAN interface went down (up false) or came back up with a carrier:
 * the backends are not judged meanwhile, nor for a grace period after. */
void wgw_daemon_health_lan(struct wgw_daemon *d, bool up);

/* daemon_state.c: the state file.  Load: after the engine and its
 * configured backends are up, before any worker runs.  Save: the control
 * thread (tick: when the interval is up), 0 or -errno (logged, counted). */
void wgw_daemon_state_load(struct wgw_daemon *d, uint32_t now);
int wgw_daemon_state_save(struct wgw_daemon *d, uint32_t now);
/* The sessions as bytes of the state file's format, to hand over in a
 * takeover (free() *buf), and their restore into the successor's fresh
 * engine (refused bytes: -EINVAL, logged, the engine stays empty). */
int wgw_daemon_state_pack(struct wgw_daemon *d, uint32_t now, uint8_t **buf, size_t *len);
int wgw_daemon_state_unpack(struct wgw_daemon *d, uint32_t now, const uint8_t *buf, size_t len);
void wgw_daemon_state_tick(struct wgw_daemon *d, uint32_t now);
void wgw_daemon_state_free(struct wgw_daemon *d);

#endif
