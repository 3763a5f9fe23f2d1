/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live takeover: a new wraith-gatewayd (--takeover, same configuration)
 * replaces the running one without losing the packets of existing sessions.
 * The two talk over the running daemon's control socket (request
 * "takeover", then the framed messages of takeover.c, file descriptors by
 * SCM_RIGHTS):
 *
 *   new                                   old (serving all along)
 *   HELLO (version, pid, configuration) ->
 *                                      <- INFO (rungs, workers, undo journal)
 *                                      <- FDS  (pid file, XDP links, stderr,
 *                                               TUN queues, VIP sockets)
 *                                      <- NEXTHOPS (resolved: our workers
 *                                               send from the first packet)
 *   load its XDP program, configured, and put it on each handed-over link
 *   (BPF_LINK_UPDATE): with no AF_XDP socket in its map, VIP and NAT
 *   traffic takes the kernel path, the VIP sockets and the TUN device the
 *   old workers read
 *   COMMIT ->
 *                                         stop the workers, snapshot
 *                                      <- STATE (sessions, mappings, backends)
 *                                         close the AF_XDP sockets
 *   restore the state, bind AF_XDP sockets (retrying while the kernel
 *   releases the old ones), start the workers: steered back to AF_XDP
 *   DONE (pid) ->
 *                                         close the control socket, tell
 *                                         systemd MAINPID=new
 *                                      <- BYE, exit 0 leaving everything
 *                                         configured
 *   open the control socket, READY=1
 *
 * While the new daemon has not said DONE, anything that goes wrong (it
 * dies, times out, refuses) leaves the old one serving: before COMMIT it
 * only puts its own program back on its links; after, it rebinds its
 * AF_XDP sockets and starts its workers again.  Between COMMIT and the new
 * workers' start (milliseconds) packets wait in the sockets' and the TUN
 * queues' buffers, which both processes share.
 */
#ifndef WGW_TAKEOVER_H
#define WGW_TAKEOVER_H

#include <stdbool.h>

struct wgw_daemon;
struct wgw_nh_entry;

#define WGW_TAKEOVER_STEP_MS 10000	/* longest wait for the other side */

/* What a takeover received from the previous daemon (new side). */
struct wgw_handover {
	int sock;			/* to the previous daemon */
	unsigned udp_per_worker;
	unsigned nudp;
	int *udp_fds;			/* [worker * udp_per_worker + i]; ports
					 * are given duplicates */
	int *tun_fds;			/* the TUN device's queues */
	unsigned ntun;
	int link_fds[2];		/* per interface, -1: none */
	void *journal;
	size_t journal_len;
	struct wgw_nh_entry *nexthops;	/* the running daemon's, resolved */
	size_t nnexthops;
};

/* ---- old side: the control socket's "takeover" request.  Returns when
 * the exchange is over: d->handed_over is set when the successor serves,
 * else the old daemon serves as before. */
void wgw_takeover_serve(struct wgw_daemon *d, int fd);
/* Say goodbye after the control socket is closed (handed over). */
void wgw_takeover_bye(struct wgw_daemon *d);

/* ---- new side, in wgw_daemon_run()'s order.  Each returns 0 or -errno,
 * logged; on failure the caller exits and the old daemon serves on. */
/* Connect, say hello, receive the INFO and the file descriptors. */
int wgw_takeover_connect(struct wgw_daemon *d);
/* After the interfaces are looked up: take the rungs, the undo journal
 * (in place of preparing the interfaces) and the TUN device (in place of
 * claiming the NAT address). */
int wgw_takeover_adopt(struct wgw_daemon *d);
/* After the engine is up: programs on the links, COMMIT, the sessions,
 * then the ports. */
int wgw_takeover_dp(struct wgw_daemon *d);
/* The workers serve: DONE, wait for the old one to let go. */
int wgw_takeover_finish(struct wgw_daemon *d);
/* Close what was not used. */
void wgw_takeover_free(struct wgw_daemon *d);

#endif
