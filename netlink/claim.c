// SPDX-License-Identifier: GPL-2.0-only
/*
 * Claiming an inside address: a host route to a device and a proxy
 * neighbour entry (IPv4 proxy ARP, IPv6 proxy NDP) on the LAN interface,
 * through libnl-route.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "gateway/log.h"
#include "netlink/rtnl_internal.h"

static struct rtnl_route *host_route(const union wgw_addr *addr, int ifindex)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = wgw_nl_addr_build(addr);

	if (!r || !nh || !dst)
		goto err;
	rtnl_route_set_family(r, (uint8_t)nl_addr_get_family(dst));
	if (rtnl_route_set_dst(r, dst) < 0)
		goto err;
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_scope(r, RT_SCOPE_LINK);
	rtnl_route_set_protocol(r, WGW_RTPROT);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(r, nh);	/* r owns nh from here */
	nl_addr_put(dst);
	return r;
err:
	if (dst)
		nl_addr_put(dst);
	if (r)
		rtnl_route_put(r);
	if (nh)
		rtnl_route_nh_free(nh);
	return NULL;
}

static struct rtnl_neigh *proxy_neigh(const union wgw_addr *addr,
				      int ifindex)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_addr *dst = wgw_nl_addr_build(addr);

	if (!n || !dst)
		goto err;
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, nl_addr_get_family(dst));
	if (rtnl_neigh_set_dst(n, dst) < 0)
		goto err;
	rtnl_neigh_set_flags(n, NTF_PROXY);
	nl_addr_put(dst);
	return n;
err:
	if (dst)
		nl_addr_put(dst);
	if (n)
		rtnl_neigh_put(n);
	return NULL;
}

static int route_op(struct wgw_nl_watcher *w, const union wgw_addr *addr,
		    int ifindex, bool add)
{
	struct rtnl_route *r = host_route(addr, ifindex);
	struct nl_msg *msg = NULL;
	char what[96], a[INET6_ADDRSTRLEN];
	int err;

	if (!r)
		return -ENOMEM;
	if (add)
		err = rtnl_route_build_add_request(r, NLM_F_CREATE |
						   NLM_F_REPLACE, &msg);
	else
		err = rtnl_route_build_del_request(r, 0, &msg);
	rtnl_route_put(r);
	if (err < 0)
		return wgw_nlerr_errno(err);
	snprintf(what, sizeof(what), "%s host route %s dev %d",
		 add ? "add" : "delete", wgw_nl_addr_str(addr, a, sizeof(a)),
		 ifindex);
	/* A missing route on delete is not worth an error line. */
	err = wgw_rtnl_req(w, msg, add ? what : NULL);
	nlmsg_free(msg);
	if (!add && err && err != -ESRCH && err != -ENOENT)
		wgw_err("%s: %s", what, strerror(-err));
	return err;
}

static int proxy_op(struct wgw_nl_watcher *w, const union wgw_addr *addr,
		    int ifindex, bool add)
{
	struct rtnl_neigh *n = proxy_neigh(addr, ifindex);
	struct nl_msg *msg = NULL;
	char what[96], a[INET6_ADDRSTRLEN];
	int err;

	if (!n)
		return -ENOMEM;
	if (add)
		err = rtnl_neigh_build_add_request(n, NLM_F_CREATE |
						   NLM_F_REPLACE, &msg);
	else
		err = rtnl_neigh_build_delete_request(n, 0, &msg);
	rtnl_neigh_put(n);
	if (err < 0)
		return wgw_nlerr_errno(err);
	snprintf(what, sizeof(what), "%s proxy neighbour %s dev %d",
		 add ? "add" : "delete", wgw_nl_addr_str(addr, a, sizeof(a)),
		 ifindex);
	err = wgw_rtnl_req(w, msg, add ? what : NULL);
	nlmsg_free(msg);
	/* Gone with its device (deleted interface): nothing to undo. */
	if (!add && err && err != -ENOENT && err != -ENODEV)
		wgw_err("%s: %s", what, strerror(-err));
	return err;
}

int wgw_nl_claim(struct wgw_nl_watcher *w, struct wgw_nl_claim *c,
		 const union wgw_addr *addr, int route_ifindex,
		 int proxy_ifindex)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->addr = *addr;
	c->route_ifindex = route_ifindex;
	c->proxy_ifindex = proxy_ifindex;
	if (route_ifindex > 0) {
		err = route_op(w, addr, route_ifindex, true);
		if (err)
			return err;
		c->route_added = true;
	}
	if (proxy_ifindex > 0) {
		err = proxy_op(w, addr, proxy_ifindex, true);
		if (err)
			goto err_del_route;
		c->proxy_added = true;
	}
	return 0;

err_del_route:
	wgw_nl_release(w, c);
	return err;
}

int wgw_nl_release(struct wgw_nl_watcher *w, struct wgw_nl_claim *c)
{
	int ret = 0, err;

	if (c->proxy_added) {
		err = proxy_op(w, &c->addr, c->proxy_ifindex, false);
		if (err == -ENOENT || err == -ENODEV)
			err = 0;
		if (!err)
			c->proxy_added = false;
		else if (!ret)
			ret = err;
	}
	if (c->route_added) {
		err = route_op(w, &c->addr, c->route_ifindex, false);
		if (err == -ESRCH || err == -ENOENT || err == -ENODEV)
			err = 0;
		if (!err)
			c->route_added = false;
		else if (!ret)
			ret = err;
	}
	return ret;
}
