/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small request/ack layer over libmnl, in the manner of ethtool's
 * netlink/nlsock.c: one socket, one request at a time, replies handed to a
 * callback, and the kernel's extended ACK kept so the caller can say *why*
 * a request was refused.  Used for generic netlink (ethtool, netdev) and for
 * the few rtnetlink queries libnl-route does not cover (IFLA_XDP).
 *
 * Not thread-safe: one socket per control thread.
 */
#ifndef WGW_NETLINK_NLSOCK_H
#define WGW_NETLINK_NLSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>

/* Receive buffer: large enough for any reply we ask for (the feature
 * strings set is ~3 KiB; the kernel caps a genl reply at one page unless
 * the buffer is larger, and a dump part at 32 KiB). */
#define WGW_NL_BUF_SIZE 32768 /* bytes */
#define WGW_NL_EXTACK_LEN 160 /* bytes, kernel NL_SET_ERR_MSG texts are short */

/* What an NLMSG_ERROR message said. */
struct wgw_nl_ack {
	int error;			/* 0 or a negative errno */
	uint32_t bad_offset;		/* NLMSGERR_ATTR_OFFS, 0 when absent */
	uint32_t missing_type;		/* NLMSGERR_ATTR_MISS_TYPE, 0 when absent */
	char msg[WGW_NL_EXTACK_LEN];	/* NLMSGERR_ATTR_MSG, "" when absent */
};

struct wgw_nlsock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	int bus;			/* NETLINK_GENERIC, NETLINK_ROUTE */
	struct wgw_nl_ack ack;		/* of the last request */
	char *buf;			/* WGW_NL_BUF_SIZE bytes, send and receive */
};

/* Open a socket on a netlink bus with extended ACKs and capped ACKs
 * (the kernel does not echo our request back).  0 or -errno. */
int wgw_nlsock_open(struct wgw_nlsock *s, int bus);
void wgw_nlsock_close(struct wgw_nlsock *s);

/* Start a message in s->buf: a netlink header of the given type and flags
 * (NLM_F_REQUEST and NLM_F_ACK are added) and the next sequence number. */
struct nlmsghdr *wgw_nlsock_msg(struct wgw_nlsock *s, uint16_t type,
				uint16_t flags);

/*
 * Send nlh (built in s->buf or elsewhere) and process replies until the
 * kernel's ACK, error or NLMSG_DONE.  Each data message goes to cb (may be
 * NULL).  Returns 0, the kernel's negative errno (s->ack holds its extended
 * ACK), a negative errno from cb, or -EIO/-EBADMSG for a reply that does
 * not parse.
 */
int wgw_nlsock_request(struct wgw_nlsock *s, struct nlmsghdr *nlh,
		       mnl_cb_t cb, void *data);

/* ": <extended ACK text>" of the last request, or "" when the kernel gave
 * none: made to follow strerror() in a log line. */
const char *wgw_nlsock_why(const struct wgw_nlsock *s);

/*
 * Parse an NLMSG_ERROR message (with or without NLM_F_CAPPED and
 * NLM_F_ACK_TLVS).  0 and ack filled; -EBADMSG when the message is too
 * short for what it claims.  Pure: unit tested against byte buffers.
 */
int wgw_nl_parse_ack(const struct nlmsghdr *nlh, struct wgw_nl_ack *ack);

/*
 * Strict attribute walks.  libmnl's mnl_attr_parse*() stop quietly at the
 * first attribute that does not fit, so a truncated reply would parse as a
 * shorter valid one; these return -EBADMSG for any bytes that are not whole
 * attributes, and for a callback's MNL_CB_ERROR.  0 otherwise.
 */
int wgw_nl_parse(const struct nlmsghdr *nlh, size_t offset, mnl_attr_cb_t cb,
		 void *data);
int wgw_nl_parse_nested(const struct nlattr *nest, mnl_attr_cb_t cb,
			void *data);
int wgw_nl_parse_payload(const void *payload, size_t len, mnl_attr_cb_t cb,
			 void *data);

/* Validate an attribute against a libmnl type; true when it is sane. */
bool wgw_nl_attr_ok(const struct nlattr *a, enum mnl_attr_data_type t);

#endif
