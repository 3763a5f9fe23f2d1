/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The netdev generic netlink family: what a device's XDP implementation
 * can do (xdp-features), its AF_XDP zero-copy segment limit and AF_XDP TX
 * metadata features.  Constants: netlink/uapi/linux/netdev.h.
 */
#ifndef WGW_NETLINK_NETDEV_H
#define WGW_NETLINK_NETDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "netlink/genl.h"

#define WGW_NETDEV_HAVE_XDP_FEATURES (1u << 0)
#define WGW_NETDEV_HAVE_ZC_MAX_SEGS (1u << 1)
#define WGW_NETDEV_HAVE_RX_METADATA (1u << 2)
#define WGW_NETDEV_HAVE_XSK_FEATURES (1u << 3)

struct wgw_xdp_caps {
	uint32_t have;			/* WGW_NETDEV_HAVE_*: what the kernel sent */
	uint64_t xdp_features;		/* NETDEV_XDP_ACT_* */
	uint32_t zc_max_segs;		/* 1 = zero-copy without multi-buffer */
	uint64_t rx_metadata;		/* NETDEV_XDP_RX_METADATA_* */
	uint64_t xsk_features;		/* NETDEV_XSK_FLAGS_* */
};

/* NETDEV_CMD_DEV_GET for one device: 0 and *caps filled, -EOPNOTSUPP when
 * the kernel has no netdev family, -ENODEV, or another -errno. */
int wgw_netdev_get(struct wgw_genl *g, int ifindex, struct wgw_xdp_caps *caps);

/* Byte-level halves, for unit tests: parse gives 0, or -EBADMSG for a
 * malformed reply, one for another device, or one without xdp-features. */
struct nlmsghdr *wgw_netdev_get_msg(void *buf, uint16_t family, uint32_t seq,
				    int ifindex);
int wgw_netdev_parse(const struct nlmsghdr *nlh, int ifindex,
		     struct wgw_xdp_caps *caps);

/* Write the names of the bits of an xdp-features mask ("basic redirect
 * rx-sg"), or "none", into buf.  Returns buf. */
const char *wgw_xdp_features_str(uint64_t f, char *buf, size_t len);
/* Same for xsk-features ("tx-timestamp tx-checksum"). */
const char *wgw_xsk_features_str(uint64_t f, char *buf, size_t len);
/* The name of one xdp-features bit, NULL when unknown. */
const char *wgw_xdp_feature_name(uint64_t bit);

#endif
