/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon shell: brings the gateway up in order (interfaces, engine,
 * next hops, the inside address, the data path by the mode ladder,
 * workers), runs the control loop, and takes everything down in reverse.
 */
#ifndef WGW_DAEMON_H
#define WGW_DAEMON_H

#include <net/if.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "gateway/nexthop.h"
#include "gateway/options.h"
#include "gateway/state.h"
#include "netlink/genl.h"
#include "netlink/ifprep.h"
#include "netlink/probe.h"
#include "netlink/rtnl.h"
#include "netlink/sysctl.h"

struct wgw_capture;
struct wgw_ctl;
struct wgw_dp_mem;
struct wgw_engine;
struct wgw_health;
struct wgw_backend_info;
struct wgw_tun;
struct wgw_worker;
struct wgw_xdp;

/* One interface the gateway uses (WAN, LAN, or one that is both). */
struct wgw_iface {
	char name[IFNAMSIZ];
	int ifindex;
	unsigned sides;			/* WGW_SIDE_* */
	uint8_t mac[6];
	uint32_t mtu;
	int numa_node;
	uint32_t queues;		/* RX queues the interface has */
	enum wgw_mode want;		/* AUTO or a forced rung */
	enum wgw_rung rung;		/* rung in use (or being tried) */
	char why[512];			/* why the rungs above it were not had */
	struct wgw_probe probe;
	struct wgw_xdp *xdp;
	struct wgw_ifprep prep;
	bool prep_applied;
	/* The fast path failed while running and the interface moved to
	 * the fallback path; the control loop tries the XDP rung again
	 * now and then (rung_best is where the ladder stopped at start). */
	bool degraded;
	bool gone;			/* deleted; waiting for it to come back */
	bool back;			/* created again, not yet taken up */
	enum wgw_rung rung_best;
	char degraded_why[256];
};

/* The state file's side of the daemon (daemon_state.c). */
struct wgw_daemon_state {
	bool restored;			/* a file was read and restored at start */
	uint32_t age_s;			/* how old it was then */
	struct wgw_state_result res;	/* what the restore kept and left out */
	unsigned backends_added, backends_gone;
	char summary[320];		/* for status */
	bool running;			/* the workers ran: a stop writes the file */
	uint32_t next_save;		/* engine seconds */
	uint32_t written_mono;		/* engine seconds of the last write */
	uint64_t writes, write_errors;
	int last_err;			/* of the last write, 0 or -errno */
	uint64_t snapshot_us, write_us; /* the last write's snapshot, and in all */
	uint32_t last_sessions, last_maps;
	/* Backends the file had forced down: forced again once the health
	 * checker follows them (its first rounds), or given up. */
	struct wgw_state_backend *forced;
	unsigned n_forced;
	uint32_t forced_until;		/* engine seconds */
};

struct wgw_daemon {
	struct wgw_config cfg;
	struct wgw_daemon_state state;
	struct wgw_iface ifs[2];	/* [0] WAN (or both), [1] LAN if distinct */
	unsigned nifs;
	struct wgw_nl_watcher *nl;
	struct wgw_genl genl;
	bool genl_open;
	struct wgw_engine *engine;
	struct wgw_hslimit *hs;		/* handshake limit of the VIP sockets */
	struct wgw_health *health;	/* backend health (health_daemon.c) */
	struct wgw_store *store;	/* session store, NULL: none (store.h) */
	struct wgw_backend_info *health_be; /* its scratch list of backends */
	uint64_t health_next_ms;
	struct wgw_nh nh;
	bool nh_init;
	struct wgw_nl_claim claim;	/* the NAT address (the first of a pool) */
	bool claimed;
	struct wgw_nl_claim pool_claim[WGW_MAX_NAT - 1]; /* the pool's others */
	unsigned n_pool_claimed;	/* pool_claim[0..n) are claimed */
	struct wgw_nl_confine confine;	/* LAN forwarding only to the NAT addresses */
	struct wgw_sysctls sysctls;
	struct wgw_worker *workers;
	struct wgw_dp_mem *mem;		/* per worker: its buffer pools */
	unsigned nworkers;
	bool workers_running;
	struct wgw_tun *tun;		/* owns the NAT address on the LAN side */
	struct wgw_ctl *ctl;		/* control socket (and metrics listener) */
	struct wgw_capture *capture;	/* NULL: capture unavailable */
	int argc;			/* the command line, for reload */
	char **argv;
	int sigfd;
	int pidfd;
	time_t started;			/* wall clock */
	struct timespec started_mono;
	bool nh_dirty;			/* a netlink change asks for a refresh */
	bool reclaim;			/* the LAN came up: its proxy entry is gone */
	/* Takeover (takeover.h).  New side: what the previous daemon
	 * handed over, until it has let go. */
	struct wgw_handover *handed;
	/* Takeovers asked of this daemon, and whom it took over from. */
	struct {
		uint64_t attempts, refused, failed;
		int from_pid;		/* the daemon this one replaced, 0: none */
		char last[320];		/* the last attempt's outcome */
	} tk;
	/* Old side: the successor serves; leave without undoing. */
	bool handed_over;
	int successor_pid;
	int tk_fd;			/* to the successor, for the goodbye */
	bool tk_fatal;			/* a failed takeover left no data path */
	/* Leave the kernel as it is at exit (handed over, or a takeover
	 * that failed: what is configured is the running daemon's). */
	bool keep_kernel;
};

/* Run the gateway until SIGTERM/SIGINT.  argc/argv are kept for reload
 * (the configuration is parsed again from them).  Returns the process
 * exit code. */
int wgw_daemon_run(const struct wgw_config *cfg, int argc, char **argv);

/*
 * After a reload put d->cfg in force: the XDP programs' handshake limits,
 * and, when the VIP set changed, the VIP sockets (the workers pause for a
 * millisecond or so while their ports are swapped; sessions are kept).
 * From the control thread.  0 or -errno.
 */
int wgw_daemon_reloaded(struct wgw_daemon *d, bool vips_changed);

/* Whether a state file is kept (--state-file is not "none"). */
bool wgw_daemon_state_on(const struct wgw_daemon *d);

/* Human name of a side set: "wan", "lan", "wan+lan". */
const char *wgw_sides_name(unsigned sides);

#endif
