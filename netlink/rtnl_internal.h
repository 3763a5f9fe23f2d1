/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to netlink/rtnl*.c: the watcher and its request helpers. */
#ifndef WGW_NETLINK_RTNL_INTERNAL_H
#define WGW_NETLINK_RTNL_INTERNAL_H

#include <netlink/netlink.h>
#include <netlink/cache.h>

#include "netlink/nlsock.h"
#include "netlink/rtnl.h"

struct wgw_nl_watcher {
	struct nl_sock *ev_sk;		/* events, owned by us, used by mngr */
	struct nl_sock *req_sk;		/* libnl requests, extended ACKs on */
	struct nl_cache_mngr *mngr;
	struct nl_cache *links;
	struct nl_cache *addrs;
	struct nl_cache *routes;
	struct nl_cache *neighs;
	struct wgw_nlsock mnl;		/* RTM_GETROUTE, IFLA_XDP queries */
	wgw_nl_change_fn fn;
	void *arg;
};

/* Send a request built by libnl on req_sk, wait for its ACK.  0 or the
 * kernel's -errno; the extended ACK is logged at debug level and, when
 * what is given, with the error at LOG_ERR. */
int wgw_rtnl_req(struct wgw_nl_watcher *w, struct nl_msg *msg,
		 const char *what);
/* A libnl error code as a negative errno (best effort). */
int wgw_nlerr_errno(int nlerr);
/* A libnl address for a wgw address (IPv4 for mapped ones), prefix_len
 * 32 or 128.  NULL on allocation failure. */
struct nl_addr *wgw_nl_addr_build(const union wgw_addr *a);
/* Format an address (IPv4 dotted quad for mapped ones) into buf. */
const char *wgw_nl_addr_str(const union wgw_addr *a, char *buf, size_t len);
/* The other way: 0 or -EAFNOSUPPORT. */
int wgw_nl_addr_parse(union wgw_addr *a, struct nl_addr *n);

#endif
