/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Generic netlink: family resolution by name, and the one socket the
 * ethtool and netdev families share.
 */
#ifndef WGW_NETLINK_GENL_H
#define WGW_NETLINK_GENL_H

#include <stdint.h>

#include "netlink/nlsock.h"

/* A generic netlink socket with the families the gateway talks to.  A
 * family id of 0 means the kernel does not have it (ethtool-netlink needs
 * CONFIG_ETHTOOL_NETLINK, netdev needs 6.3+). */
struct wgw_genl {
	struct wgw_nlsock sk;
	uint16_t ethtool_id;
	uint16_t netdev_id;
};

/* Open the socket and resolve "ethtool" and "netdev".  A missing family is
 * not an error here (its id stays 0; calls needing it give -EOPNOTSUPP).
 * 0 or -errno. */
int wgw_genl_open(struct wgw_genl *g);
void wgw_genl_close(struct wgw_genl *g);

/* Resolve a family by name.  0 and *id set, -ENOENT when the kernel does
 * not know it, other -errno on failure. */
int wgw_genl_resolve(struct wgw_nlsock *s, const char *name, uint16_t *id);

/* Byte-level halves of wgw_genl_resolve(), for unit tests.
 * The builder writes CTRL_CMD_GETFAMILY into buf (>= 256 bytes); the parser
 * reads a CTRL_CMD_NEWFAMILY reply: 0, -EBADMSG when malformed, -ENOENT
 * when it names another family or has no id. */
struct nlmsghdr *wgw_genl_getfamily_msg(void *buf, uint32_t seq,
					const char *name);
int wgw_genl_family_parse(const struct nlmsghdr *nlh, const char *name,
			  uint16_t *id);

/* Start a generic netlink request in buf: header, genlmsghdr. */
struct nlmsghdr *wgw_genl_msg(void *buf, uint16_t family, uint8_t cmd,
			      uint8_t version, uint16_t flags, uint32_t seq);

#endif
