/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The capability probe behind `wraith-gatewayd --probe IFACE [--json]`:
 * what the kernel says about one interface, and which rung of the mode
 * ladder (xdp-zerocopy, xdp-copy, xdp-generic, fallback) the gateway would
 * use on it.
 */
#ifndef WGW_NETLINK_PROBE_H
#define WGW_NETLINK_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "netlink/ethtool.h"
#include "netlink/link.h"
#include "netlink/netdev.h"

enum wgw_rung {
	WGW_RUNG_XDP_ZEROCOPY = 0,	/* native XDP, AF_XDP zero-copy */
	WGW_RUNG_XDP_COPY,		/* native XDP, AF_XDP copy mode */
	WGW_RUNG_XDP_GENERIC,		/* generic (SKB) XDP, copy mode */
	WGW_RUNG_FALLBACK,		/* TUN/UDP sockets, no XDP */
};
/* The rungs' names, in enum order: the only spelling of the mode names (the
 * configuration's --mode values are "auto" and these, gateway/options.c). */
#define WGW_RUNG_NAME_LIST "xdp-zerocopy", "xdp-copy", "xdp-generic", "fallback"
const char *wgw_rung_name(enum wgw_rung r);
/* Parse a rung name: 0 or -EINVAL. */
int wgw_rung_parse(const char *s, enum wgw_rung *r);

struct wgw_probe {
	struct wgw_link_info link;
	char driver[32];		/* ETHTOOL_GDRVINFO, "" if unknown */
	char bus_info[32];
	int numa_node;			/* -1: none or unknown */
	/* queues: RX queues an AF_XDP socket can bind, current and max */
	uint32_t queues, queues_max;
	int channels_err;		/* 0 or -errno of each query */
	struct wgw_ethnl_vals channels;
	int rings_err;
	struct wgw_ethnl_vals rings;
	int coalesce_err;
	struct wgw_ethnl_vals coalesce;
	int linkinfo_err;
	struct wgw_ethnl_vals linkinfo;	/* port, transceiver, MDI-X */
	int features_err;
	struct wgw_features features;
	int netdev_err;
	struct wgw_xdp_caps xdp;
	bool zerocopy;			/* AF_XDP zero-copy is possible */
	uint32_t frame_size;		/* the AF_XDP frame geometry the MTU is */
	uint32_t frame_headroom;	/* checked against: the daemon's own */
	uint32_t xdp_max_mtu;		/* wgw_xdp_max_mtu() of that geometry */
	bool mtu_ok;
	enum wgw_rung rung;
	char reason[160];		/* why this rung */
};

/*
 * Probe one interface by name in the caller's network namespace.  Queries
 * that fail are recorded in the *_err fields (rings on veth: -EOPNOTSUPP),
 * and the rung decided with wgw_probe_rung(p, 0).  frame_size and
 * frame_headroom are the AF_XDP frame geometry the gateway is configured
 * with (--frame-size, --headroom): the MTU the rung depends on is checked
 * against that, so --probe and the daemon's ladder decide alike.  Returns
 * 0, -ENODEV when there is no such interface, or -errno when netlink
 * itself fails.
 */
int wgw_probe(const char *ifname, uint32_t frame_size, uint32_t frame_headroom,
	      struct wgw_probe *p);

/*
 * The rung rule.  Fallback when: the kernel has no netdev family (XDP
 * support unknown); the device is not Ethernet (loopback, TUN); an XDP
 * program other than own_prog_id (0: none of ours) is attached; or the MTU
 * does not fit an AF_XDP frame.  Otherwise xdp-zerocopy when xdp-features
 * has XSK_ZEROCOPY, xdp-copy when it has BASIC and REDIRECT (native XDP),
 * and xdp-generic (any netdev) when it has neither.  why gets a sentence.
 */
enum wgw_rung wgw_probe_rung(const struct wgw_probe *p, uint32_t own_prog_id,
			     char *why, size_t len);

/* Print for people (json false) or as one JSON object.  0 or -EIO. */
int wgw_probe_print(const struct wgw_probe *p, FILE *f, bool json);

#endif
