/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * The netdev generic netlink family (Documentation/netlink/specs/netdev.yaml),
 * as far as wraith-gateway uses it.  Debian 12's linux-libc-dev (6.1) has no
 * <linux/netdev.h>; this is the one place the project defines these
 * constants.  netlink/uapi comes first on the include path, so this file
 * stands in for the system header even where one exists; the values are
 * kernel ABI and never change, and the guard keeps a second definition
 * (another header that pulled in the real one) from clashing.
 */
#ifndef WGW_UAPI_LINUX_NETDEV_H
#define WGW_UAPI_LINUX_NETDEV_H

#ifndef NETDEV_FAMILY_NAME
#define NETDEV_FAMILY_NAME "netdev"
#define NETDEV_FAMILY_VERSION 1

/* xdp-act: what a driver's XDP implementation supports (u64 bit mask) */
enum netdev_xdp_act {
	NETDEV_XDP_ACT_BASIC = 1,	  /* XDP_PASS, XDP_DROP, XDP_TX, ABORTED */
	NETDEV_XDP_ACT_REDIRECT = 2,	  /* XDP_REDIRECT from this device */
	NETDEV_XDP_ACT_NDO_XMIT = 4,	  /* target of XDP_REDIRECT */
	NETDEV_XDP_ACT_XSK_ZEROCOPY = 8,  /* AF_XDP zero-copy */
	NETDEV_XDP_ACT_HW_OFFLOAD = 16,
	NETDEV_XDP_ACT_RX_SG = 32,	  /* multi-buffer receive */
	NETDEV_XDP_ACT_NDO_XMIT_SG = 64,  /* multi-buffer redirect target */
	NETDEV_XDP_ACT_MASK = 127,
};

enum netdev_xdp_rx_metadata {
	NETDEV_XDP_RX_METADATA_TIMESTAMP = 1,
	NETDEV_XDP_RX_METADATA_HASH = 2,
	NETDEV_XDP_RX_METADATA_VLAN_TAG = 4,
};

enum netdev_xsk_flags {
	NETDEV_XSK_FLAGS_TX_TIMESTAMP = 1,
	NETDEV_XSK_FLAGS_TX_CHECKSUM = 2,
	NETDEV_XSK_FLAGS_TX_LAUNCH_TIME_FIFO = 4,
};

enum {
	NETDEV_A_DEV_IFINDEX = 1,		/* u32 */
	NETDEV_A_DEV_PAD,
	NETDEV_A_DEV_XDP_FEATURES,		/* u64, netdev_xdp_act */
	NETDEV_A_DEV_XDP_ZC_MAX_SEGS,		/* u32, kernel >= 6.6 */
	NETDEV_A_DEV_XDP_RX_METADATA_FEATURES,	/* u64, kernel >= 6.8 */
	NETDEV_A_DEV_XSK_FEATURES,		/* u64, kernel >= 6.11 */

	__NETDEV_A_DEV_MAX,
	NETDEV_A_DEV_MAX = (__NETDEV_A_DEV_MAX - 1)
};

enum {
	NETDEV_CMD_DEV_GET = 1,
	NETDEV_CMD_DEV_ADD_NTF,
	NETDEV_CMD_DEV_DEL_NTF,
	NETDEV_CMD_DEV_CHANGE_NTF,
};

#define NETDEV_MCGRP_MGMT "mgmt"
#endif /* NETDEV_FAMILY_NAME */

#endif
