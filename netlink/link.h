/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One link's facts by RTM_GETLINK over libmnl: what the probe needs and
 * libnl-route's link cache (netlink/rtnl.c) does not parse -- the attached
 * XDP program and its mode (IFLA_XDP), the largest MTU, the allocated queue
 * counts.  Every attribute is validated before use.
 */
#ifndef WGW_NETLINK_LINK_H
#define WGW_NETLINK_LINK_H

#include <stdint.h>
#include <linux/netlink.h>

/* What RTM_GETLINK says, parsed by wgw_rtnl_link_parse(). */
struct wgw_link_info {
	int ifindex;
	char name[16];
	char kind[16];			/* IFLA_INFO_KIND: "veth", "" for a NIC */
	uint32_t flags;			/* IFF_* */
	uint16_t arptype;		/* ARPHRD_* */
	uint8_t operstate;		/* IF_OPER_* */
	uint32_t mtu, max_mtu;
	uint32_t num_rx_queues;		/* allocated, IFLA_NUM_RX_QUEUES */
	uint32_t num_tx_queues;
	uint8_t xdp_attached;		/* XDP_ATTACHED_* */
	uint32_t xdp_prog_id;		/* 0: none */
};

/* Query ifname: 0, or a negative errno (-ENODEV for no such link). */
int wgw_rtnl_link_query(const char *ifname, struct wgw_link_info *l);

/* Byte-level halves of the query, for unit tests. */
struct nlmsghdr *wgw_rtnl_getlink_msg(void *buf, uint32_t seq,
				      const char *ifname);
int wgw_rtnl_link_parse(const struct nlmsghdr *nlh, struct wgw_link_info *l);

#endif
