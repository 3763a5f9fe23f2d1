/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to gateway/xdp*.c: the instance and what the loader's parts share.
 *
 *   xdp.c          open/close, the attach strategies, detach, the mode query
 *   xdp_inspect.c  what is on the interface already: program and map
 *                  inspection, the /proc scan for holders, stale programs and
 *                  libxdp dispatchers cleared out of the way
 *   xdp_maps.c     the maps: destinations, handshake limit, interface MACs,
 *                  counters
 *   xdp_log.c      libbpf's and libxdp's messages through the daemon's logger
 */
#ifndef WGW_XDP_INTERNAL_H
#define WGW_XDP_INTERNAL_H

#include <net/if.h>
#include <stdbool.h>
#include <bpf/bpf.h>
#include <xdp/libxdp.h>

#include "gateway/xdp.h"

#define MAX_ENTRIES (WGW_XDP_MAX_DESTS * WGW_XDP_MAX_RANGES)

/* One configured range: the shadow is a flat list of these. */
struct dst_entry {
	union wgw_addr addr;
	uint16_t lo, hi;
	uint32_t role;
};

struct wgw_xdp {
	struct wraith_xdp *skel;
	int ifindex;
	int link_fd;		/* -1 when not attached through a link */
	enum wgw_xdp_share share;
	unsigned int priority;	/* in libxdp's dispatcher */
	enum wgw_xdp_how how;
	enum wgw_xdp_mode att_mode;
	/* Attached through libxdp: a second load of the object, sharing the
	 * maps of skel (see xdp.h). */
	struct wraith_xdp *att_skel;
	struct xdp_program *att_prog;
	int ncpus;		/* possible CPUs, for per-CPU map values */
	struct dst_entry *dst;	/* the shadow, MAX_ENTRIES slots */
	size_t ndst;
	struct wgw_xdp_cfg cfg;	/* what wgw_cfg holds */
};

/* The name of ifindex for messages ("#N" when it has none). */
const char *wgw_xdp_ifname(int ifindex, char buf[IF_NAMESIZE]);

/* bpf_prog_get_info_by_fd() of fd, with up to nr_maps map ids in map_ids
 * when map_ids is not NULL.  0 or a negative errno. */
int wgw_xdp_prog_info(int fd, struct bpf_prog_info *info, __u32 *map_ids, __u32 nr_maps);

/*
 * Look at what the interface carries before attaching in mode want, and
 * clear the way (stale gateway programs detached, stale ones removed from a
 * libxdp dispatcher), or say why not (see wgw_xdp_attach() in xdp.h).
 * *dispatcher is set when the interface has a libxdp dispatcher this
 * instance may join.  0 or a negative errno, logged.
 */
int wgw_xdp_clear_way(struct wgw_xdp *x, enum wgw_xdp_mode want, bool *dispatcher);

#endif
