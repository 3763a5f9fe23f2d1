/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket of wraith-gatewayd (and its optional Prometheus HTTP
 * listener), served from the daemon's control thread without threads: the
 * daemon's poll loop asks for the descriptors, polls, and hands the results
 * back.  Every socket is non-blocking, every request and reply is bounded,
 * and every exchange has a deadline, so a slow, silent or hostile client
 * costs a slot for at most WGW_CTL_TIMEOUT_MS and never stalls the loop.
 *
 * The protocol is in gateway/ctlproto.h and wraith-gatewayctl(8): one
 * request line per connection, a status line, a body, close.
 *
 * Access: the socket file is created with the configured mode (0600 by
 * default) in a directory the daemon owns, and every connection's peer
 * credentials (SO_PEERCRED) are checked too: only root and the daemon's
 * own uid are served; anyone else gets "ERR EPERM".  The metrics listener
 * is TCP, read-only (GET or HEAD /metrics), bound where the operator says,
 * and served from its own slots (WGW_CTL_HTTP_MAX_CLIENTS).
 *
 * Handlers run on the control thread and call the engine's admin and
 * introspection API directly (gateway/engine.h); backend removal waits for
 * the workers' grace periods (milliseconds) on that thread.
 */
#ifndef WGW_CTL_H
#define WGW_CTL_H

#include <poll.h>

struct wgw_daemon;
struct wgw_ctl;

#define WGW_CTL_MAX_CLIENTS 16	/* control connections served at once */
/*
 * The metrics listener has a pool of its own, small and with a short
 * deadline: it may face a network, and a flood of idle TCP connections
 * there must never cost root the control socket.  When the pool is full,
 * the oldest connection still waiting for its request makes room (a
 * scraper that sends at once is served); if every one is being answered,
 * the newcomer gets 503.
 */
#define WGW_CTL_HTTP_MAX_CLIENTS 4	/* metrics connections at once */
#define WGW_CTL_HTTP_TIMEOUT_MS 3000	/* a whole HTTP exchange, milliseconds */
/* Descriptors wgw_ctl_fill_pollfds() may use: the listeners + the clients. */
#define WGW_CTL_MAX_POLLFDS (2 + WGW_CTL_MAX_CLIENTS + WGW_CTL_HTTP_MAX_CLIENTS)

/*
 * Listen on the UNIX socket at path with permission bits mode, and on
 * d->cfg.metrics_listen when set.  A socket file left by a daemon that died
 * is replaced; if a live daemon answers on it, fails with EADDRINUSE.  The
 * directory is created (mode 0750) when missing.  NULL and errno.
 */
struct wgw_ctl *wgw_ctl_open(struct wgw_daemon *d, const char *path, unsigned mode);

/*
 * Fill up to max pollfds (the listeners, then each client with the events
 * it waits for).  Returns how many were filled.  max >= WGW_CTL_MAX_POLLFDS
 * guarantees every client is polled.
 */
int wgw_ctl_fill_pollfds(struct wgw_ctl *c, struct pollfd *fds, int max);

/*
 * After poll(): serve what is ready in fds[0..n) (the entries filled by
 * wgw_ctl_fill_pollfds(), with their revents) and close clients past their
 * deadline.  Call it after every poll(), also when poll() timed out.
 */
void wgw_ctl_handle(struct wgw_ctl *c, const struct pollfd *fds, int n);

/* Close every connection and the listeners, and unlink the socket file. */
void wgw_ctl_close(struct wgw_ctl *c);

#endif
