/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one interface between a worker (which runs the engine) and the ways
 * bytes get in and out: an AF_XDP socket, a UDP socket set, a TUN queue.
 * A new port type is one new file implementing wgw_port_ops.
 *
 * Every buffer is a frame of the worker's buffer pool (struct wgw_pool):
 * the worker's UMEM, which AF_XDP ports share with the kernel and the other
 * ports use as plain memory.  A buffer always holds a whole Ethernet frame
 * at data (ports without L2, like TUN and UDP sockets, put a synthetic
 * Ethernet header in front), so the engine sees one packet shape.
 */
#ifndef WGW_PORT_H
#define WGW_PORT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/pool.h"

#define WGW_PORT_XSTATS_MAX 16	/* counters an xstats() op reports at most */

struct wgw_port;
struct xdp_statistics;

/* Which side of the gateway a port faces. */
enum wgw_side {
	WGW_SIDE_WAN = 1 << 0,	/* clients */
	WGW_SIDE_LAN = 1 << 1,	/* backends */
};

struct wgw_port_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_dropped;		/* TX ring or socket full */
	uint64_t rx_errors, tx_errors;	/* syscalls that failed */
	uint64_t kicks;			/* TX wakeup syscalls */
	uint64_t wakeups;		/* fill-ring / RX wakeup syscalls */
};

struct wgw_port_ops {
	const char *kind;	/* "xsk", "udp", "tun" */
	/*
	 * rx() is a system call even when nothing is there (a socket, a TUN
	 * queue), unlike a ring.  The worker then calls it only after poll()
	 * said the descriptor is readable, after a full batch (more may
	 * wait), and every so many loops whatever happens.
	 */
	bool rx_syscall;
	/*
	 * Receive up to max frames into bufs (taken from the pool).  Returns
	 * the number received, 0 when none, or a negative errno when the
	 * port has failed (the worker then reports it and stops using it).
	 */
	int (*rx)(struct wgw_port *port, struct wgw_buf *bufs, unsigned max);
	/*
	 * Queue n frames for transmission.  Every buffer is consumed: sent,
	 * or returned to the pool and counted as dropped.  Buffers come from
	 * the worker's pool, whatever port received them.
	 */
	void (*tx)(struct wgw_port *port, struct wgw_buf *bufs, unsigned n);
	/*
	 * Once per loop: push queued TX, reap completions, refill receive
	 * buffers.  Returns a negative errno when the port has failed.
	 */
	int (*service)(struct wgw_port *port);
	/* Descriptor to poll() for input when idle; -1 if none. */
	int (*poll_fd)(struct wgw_port *port);
	/*
	 * How many frames tx() could take now without dropping, or
	 * UINT32_MAX when it never runs out (sockets).  The worker reads no
	 * more from the other ports than its egress can take, so a full TX
	 * ring makes the kernel hold packets in our RX ring (or drop them
	 * there, counted, before any work was spent on them).  NULL: no limit.
	 */
	uint32_t (*tx_room)(struct wgw_port *port);
	/* Counters since creation. */
	void (*stats)(struct wgw_port *port, struct wgw_port_stats *out);
	/*
	 * The port kind's own counters (drops and events beyond
	 * wgw_port_stats, e.g. the TUN port's rx_fragments): up to max
	 * names (static strings) and values.  Returns how many.  NULL:
	 * none.  Read racily by the control thread, like stats().
	 */
	unsigned (*xstats)(struct wgw_port *port, const char **names, uint64_t *vals,
			   unsigned max);
	/*
	 * The statistics of the port's kernel rings (AF_XDP's
	 * XDP_STATISTICS, plus fill-ring-empty events seen by userspace).
	 * 0 or -errno.  NULL: the port has no such rings.
	 */
	int (*ring_stats)(struct wgw_port *port, struct xdp_statistics *out);
	void (*destroy)(struct wgw_port *port);
};

struct wgw_port {
	const struct wgw_port_ops *ops;
	unsigned sides;		/* WGW_SIDE_* this port receives and sends for */
	bool needs_l2;		/* egress frames need real Ethernet addresses */
	int ifindex;
	uint32_t queue;
	uint8_t mac[6];		/* interface address, source of egress frames */
	char ifname[16];
	/*
	 * Largest IP packet the interface that egress frames leave by can
	 * send (its MTU), 0: no check (the kernel fragments, as for the VIP
	 * sockets).  Set by the daemon from netlink and followed at run time;
	 * the worker drops and counts what is larger (tx_too_big), which the
	 * kernel would otherwise lose without a trace.
	 */
	_Atomic uint32_t mtu;
	/*
	 * The side (WGW_SIDE_*) whose interface's MTU is the one above, 0:
	 * none.  Set by whoever creates the port: an AF_XDP port sends on
	 * its own interface, the TUN port's packets leave by the LAN one,
	 * the VIP sockets' are fragmented by the kernel.
	 */
	unsigned mtu_sides;
};

#endif
