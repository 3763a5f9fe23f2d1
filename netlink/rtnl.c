// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rtnetlink watcher: a libnl-route cache manager with link, address,
 * route and neighbour caches, change reporting, and link settings.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "gateway/log.h"
#include "netlink/rtnl_internal.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* <linux/if.h>, which clashes with <net/if.h> */
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Event socket receive buffer: a burst of route or neighbour changes (a
 * routing daemon loading a table) must not overrun it in normal operation;
 * an overrun still is handled (resync). */
#define EV_RCVBUF (4 << 20) /* bytes */

/* ------------------------------------------------------------- helpers */

int wgw_nlerr_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_INVAL:
	case NLE_MISSING_ATTR:
		return -EINVAL;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	default:
		return -EIO;
	}
}

struct nl_addr *wgw_nl_addr_build(const union wgw_addr *a)
{
	struct nl_addr *n;

	if (wgw_addr_is_v4(a))
		n = nl_addr_build(AF_INET, &a->w[3], 4);
	else
		n = nl_addr_build(AF_INET6, a->b, 16);
	return n;
}

const char *wgw_nl_addr_str(const union wgw_addr *a, char *buf, size_t len)
{
	if (wgw_addr_is_v4(a))
		inet_ntop(AF_INET, &a->w[3], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)len);
	return buf;
}

int wgw_nl_addr_parse(union wgw_addr *a, struct nl_addr *n)
{
	memset(a, 0, sizeof(*a));
	if (!n)
		return -EINVAL;
	if (nl_addr_get_family(n) == AF_INET && nl_addr_get_len(n) == 4) {
		a->w[2] = htonl(0xffff);
		memcpy(&a->w[3], nl_addr_get_binary_addr(n), 4);
		return 0;
	}
	if (nl_addr_get_family(n) == AF_INET6 && nl_addr_get_len(n) == 16) {
		memcpy(a->b, nl_addr_get_binary_addr(n), 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

struct req_ctx {
	int err;
	bool done;
	struct wgw_nl_ack ack;
};

static int req_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req_ctx *c = arg;
	/* libnl hands us the payload; the header precedes it. */
	const struct nlmsghdr *h =
		(const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);

	if (wgw_nl_parse_ack(h, &c->ack))
		c->ack.error = e->error;
	c->err = e->error ? e->error : -EIO;
	c->done = true;
	return NL_STOP;
}

static int req_ack_cb(struct nl_msg *msg, void *arg)
{
	struct req_ctx *c = arg;

	c->err = 0;
	c->done = true;
	return NL_STOP;
}

int wgw_rtnl_req(struct wgw_nl_watcher *w, struct nl_msg *msg,
		 const char *what)
{
	struct req_ctx c = { .err = -EIO };
	struct nl_cb *cb, *sk_cb;
	int err;

	/* nl_socket_get_cb() hands out a reference. */
	sk_cb = nl_socket_get_cb(w->req_sk);
	cb = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (!cb)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, req_err_cb, &c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, req_ack_cb, &c);
	err = nl_send_auto(w->req_sk, msg);
	if (err < 0) {
		c.err = wgw_nlerr_errno(err);
		goto out;
	}
	while (!c.done) {
		err = nl_recvmsgs(w->req_sk, cb);
		if (err < 0 && !c.done) {
			c.err = wgw_nlerr_errno(err);
			break;
		}
	}
	if (c.err && what)
		wgw_err("%s: %s%s%s", what, strerror(-c.err),
			c.ack.msg[0] ? ": " : "", c.ack.msg);
	else if (c.err)
		wgw_dbg("rtnetlink request: %s%s%s", strerror(-c.err),
			c.ack.msg[0] ? ": " : "", c.ack.msg);
out:
	nl_cb_put(cb);
	return c.err;
}

/* ------------------------------------------------------------- changes */

static void link_fill(struct wgw_nl_change *c, struct rtnl_link *l)
{
	struct nl_addr *a = rtnl_link_get_addr(l);
	unsigned flags = rtnl_link_get_flags(l);

	c->ifindex = rtnl_link_get_ifindex(l);
	c->up = flags & IFF_UP;
	c->carrier = flags & IFF_LOWER_UP;
	c->mtu = rtnl_link_get_mtu(l);
	if (a && nl_addr_get_len(a) == ETH_ALEN)
		memcpy(c->mac, nl_addr_get_binary_addr(a), ETH_ALEN);
}

static uint32_t link_diff(struct rtnl_link *o, struct rtnl_link *n)
{
	unsigned fo = rtnl_link_get_flags(o), fn = rtnl_link_get_flags(n);
	struct nl_addr *ao = rtnl_link_get_addr(o), *an = rtnl_link_get_addr(n);
	uint32_t d = 0;

	if ((fo ^ fn) & IFF_UP)
		d |= WGW_NL_LINK_UP_CHANGED;
	if ((fo ^ fn) & IFF_LOWER_UP)
		d |= WGW_NL_LINK_CARRIER_CHANGED;
	if (rtnl_link_get_mtu(o) != rtnl_link_get_mtu(n))
		d |= WGW_NL_LINK_MTU_CHANGED;
	if ((!ao) != (!an) || (ao && nl_addr_cmp(ao, an)))
		d |= WGW_NL_LINK_MAC_CHANGED;
	if (!d)
		d = WGW_NL_LINK_OTHER_CHANGED;
	return d;
}

static void change_cb(struct nl_cache *cache, struct nl_object *old_obj,
		      struct nl_object *new_obj, uint64_t diff, int action,
		      void *data)
{
	struct wgw_nl_watcher *w = data;
	struct nl_object *obj = new_obj ? new_obj : old_obj;
	struct wgw_nl_change c = { 0 };
	const char *type;

	if (!w->fn || !obj)
		return;
	switch (action) {
	case NL_ACT_NEW:
		c.action = WGW_NL_ADDED;
		break;
	case NL_ACT_DEL:
		c.action = WGW_NL_REMOVED;
		break;
	case NL_ACT_CHANGE:
		c.action = WGW_NL_CHANGED;
		break;
	default:
		return;
	}
	type = nl_object_get_type(obj);
	if (!strcmp(type, "route/link")) {
		/* Per-family (AF_INET6, AF_BRIDGE) link objects repeat what the
		 * AF_UNSPEC one says, possibly stale: see link_find(). */
		if (rtnl_link_get_family((struct rtnl_link *)obj) != AF_UNSPEC)
			return;
		c.event = WGW_NL_EV_LINK;
		link_fill(&c, (struct rtnl_link *)obj);
		if (c.action == WGW_NL_CHANGED && old_obj && new_obj)
			c.link_changed = link_diff((struct rtnl_link *)old_obj,
						   (struct rtnl_link *)new_obj);
	} else if (!strcmp(type, "route/neigh")) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)obj;

		c.event = WGW_NL_EV_NEIGH;
		c.ifindex = rtnl_neigh_get_ifindex(n);
		c.family = (uint8_t)rtnl_neigh_get_family(n);
		if (c.family != AF_INET && c.family != AF_INET6)
			return;		/* bridge FDB entries */
		c.nud_state = (uint16_t)rtnl_neigh_get_state(n);
		if (wgw_nl_addr_parse(&c.addr, rtnl_neigh_get_dst(n)))
			return;
	} else if (!strcmp(type, "route/route")) {
		struct rtnl_route *r = (struct rtnl_route *)obj;
		struct rtnl_nexthop *nh;

		c.event = WGW_NL_EV_ROUTE;
		c.family = rtnl_route_get_family(r);
		c.table = rtnl_route_get_table(r);
		c.prefix_len = (uint8_t)nl_addr_get_prefixlen(
			rtnl_route_get_dst(r));
		wgw_nl_addr_parse(&c.addr, rtnl_route_get_dst(r));
		if (rtnl_route_get_nnexthops(r) > 0) {
			nh = rtnl_route_nexthop_n(r, 0);
			c.ifindex = rtnl_route_nh_get_ifindex(nh);
		}
	} else if (!strcmp(type, "route/addr")) {
		struct rtnl_addr *a = (struct rtnl_addr *)obj;

		c.event = WGW_NL_EV_ADDR;
		c.ifindex = rtnl_addr_get_ifindex(a);
		c.family = (uint8_t)rtnl_addr_get_family(a);
		c.prefix_len = (uint8_t)rtnl_addr_get_prefixlen(a);
		wgw_nl_addr_parse(&c.addr, rtnl_addr_get_local(a));
	} else {
		return;
	}
	w->fn(&c, w->arg);
}

/* ------------------------------------------------------------ lifetime */

static int set_ext_ack(struct nl_sock *sk)
{
	int one = 1, fd = nl_socket_get_fd(sk);

	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

static int add_cache(struct wgw_nl_watcher *w, const char *name,
		     struct nl_cache **cache)
{
	int err = nl_cache_alloc_name(name, cache);

	if (err < 0)
		return wgw_nlerr_errno(err);
	err = nl_cache_mngr_add_cache_v2(w->mngr, *cache, change_cb, w);
	if (err < 0) {
		nl_cache_free(*cache);
		*cache = NULL;
		return wgw_nlerr_errno(err);
	}
	return 0;
}

struct wgw_nl_watcher *wgw_nl_watcher_open(wgw_nl_change_fn fn, void *arg)
{
	struct wgw_nl_watcher *w = calloc(1, sizeof(*w));
	int err;

	if (!w) {
		errno = ENOMEM;
		return NULL;
	}
	w->fn = fn;
	w->arg = arg;
	err = wgw_nlsock_open(&w->mnl, NETLINK_ROUTE);
	if (err)
		goto err_free;
	err = -ENOMEM;
	w->req_sk = nl_socket_alloc();
	if (!w->req_sk)
		goto err_close_mnl;
	err = wgw_nlerr_errno(nl_connect(w->req_sk, NETLINK_ROUTE));
	if (err)
		goto err_free_req;
	set_ext_ack(w->req_sk);
	err = -ENOMEM;
	w->ev_sk = nl_socket_alloc();
	if (!w->ev_sk)
		goto err_free_req;
	err = wgw_nlerr_errno(nl_cache_mngr_alloc(w->ev_sk, NETLINK_ROUTE, 0,
						  &w->mngr));
	if (err)
		goto err_free_ev;
	/* The manager has connected ev_sk; enlarge its buffer (best effort:
	 * without CAP_NET_ADMIN the kernel caps it at rmem_max). */
	if (nl_socket_set_buffer_size(w->ev_sk, EV_RCVBUF, 0) < 0)
		wgw_dbg("netlink: could not enlarge the event socket buffer");
	err = add_cache(w, "route/link", &w->links);
	if (!err)
		err = add_cache(w, "route/addr", &w->addrs);
	if (!err)
		err = add_cache(w, "route/route", &w->routes);
	if (!err)
		err = add_cache(w, "route/neigh", &w->neighs);
	if (err)
		goto err_free_mngr;
	return w;

err_free_mngr:
	/* The manager frees the caches it holds. */
	nl_cache_mngr_free(w->mngr);
err_free_ev:
	nl_socket_free(w->ev_sk);
err_free_req:
	nl_socket_free(w->req_sk);
err_close_mnl:
	wgw_nlsock_close(&w->mnl);
err_free:
	free(w);
	errno = -err;
	return NULL;
}

void wgw_nl_watcher_close(struct wgw_nl_watcher *w)
{
	if (!w)
		return;
	nl_cache_mngr_free(w->mngr);
	nl_socket_free(w->ev_sk);
	nl_socket_free(w->req_sk);
	wgw_nlsock_close(&w->mnl);
	free(w);
}

int wgw_nl_watcher_fd(const struct wgw_nl_watcher *w)
{
	return nl_cache_mngr_get_fd(w->mngr);
}

static int resync(struct wgw_nl_watcher *w)
{
	struct nl_cache *caches[] = { w->links, w->addrs, w->routes,
				      w->neighs };
	struct wgw_nl_change c = { .event = WGW_NL_EV_RESYNC,
				   .action = WGW_NL_CHANGED };
	unsigned i;
	int err;

	wgw_warn("netlink: event socket overrun, reloading link, address, route and neighbour tables");
	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		err = nl_cache_refill(w->req_sk, caches[i]);
		if (err < 0)
			return wgw_nlerr_errno(err);
	}
	if (w->fn)
		w->fn(&c, w->arg);
	return 0;
}

int wgw_nl_watcher_process(struct wgw_nl_watcher *w)
{
	int n = nl_cache_mngr_data_ready(w->mngr);

	if (n == -NLE_NOMEM || n == -NLE_DUMP_INTR) {
		/* ENOBUFS is reported as NLE_NOMEM: events were dropped. */
		int err = resync(w);

		return err ? err : 1;
	}
	if (n == -NLE_AGAIN)
		return 0;
	return n < 0 ? wgw_nlerr_errno(n) : n;
}

int wgw_nl_watcher_wait(struct wgw_nl_watcher *w, int timeout_ms)
{
	struct pollfd p = { .fd = wgw_nl_watcher_fd(w), .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	return wgw_nl_watcher_process(w);
}

/* --------------------------------------------------------------- links */

static void link_to(struct wgw_nl_link *out, struct rtnl_link *l)
{
	struct nl_addr *a = rtnl_link_get_addr(l);
	const char *name = rtnl_link_get_name(l);

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(l);
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	out->mtu = rtnl_link_get_mtu(l);
	out->flags = rtnl_link_get_flags(l);
	out->arptype = (uint16_t)rtnl_link_get_arptype(l);
	out->operstate = rtnl_link_get_operstate(l);
	if (out->arptype == ARPHRD_ETHER && a &&
	    nl_addr_get_len(a) == ETH_ALEN) {
		memcpy(out->mac, nl_addr_get_binary_addr(a), ETH_ALEN);
		out->has_mac = true;
	}
}

/*
 * The link cache also holds AF_INET6 (and AF_BRIDGE) link objects: the
 * kernel sends per-family RTM_NEWLINK notifications, whose MAC and flags
 * are only as fresh as that family's last event.  rtnl_link_get() returns
 * whichever comes first, so look for the AF_UNSPEC object ourselves.
 * Returns a reference, or NULL.
 */
static struct rtnl_link *link_find(struct wgw_nl_watcher *w, int ifindex,
				   const char *name)
{
	struct nl_object *o;

	for (o = nl_cache_get_first(w->links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *n;

		if (rtnl_link_get_family(l) != AF_UNSPEC)
			continue;
		if (name) {
			n = rtnl_link_get_name(l);
			if (!n || strcmp(n, name))
				continue;
		} else if (rtnl_link_get_ifindex(l) != ifindex) {
			continue;
		}
		nl_object_get(o);
		return l;
	}
	return NULL;
}

int wgw_nl_link_get(struct wgw_nl_watcher *w, int ifindex,
		    struct wgw_nl_link *out)
{
	struct rtnl_link *l = link_find(w, ifindex, NULL);

	if (!l)
		return -ENODEV;
	link_to(out, l);
	rtnl_link_put(l);
	return 0;
}

int wgw_nl_link_by_name(struct wgw_nl_watcher *w, const char *name,
			struct wgw_nl_link *out)
{
	struct rtnl_link *l = link_find(w, 0, name);

	if (!l)
		return -ENODEV;
	link_to(out, l);
	rtnl_link_put(l);
	return 0;
}

static int link_change(struct wgw_nl_watcher *w, int ifindex,
		       struct rtnl_link *changes, const char *what)
{
	struct rtnl_link *orig;
	struct nl_msg *msg = NULL;
	int err;

	/* A bare object with the index only: libnl 3.7 dereferences link
	 * type ops of a cached veth and crashes (NULL io_* hook), and
	 * ifi_change limits the request to the flags we change anyway. */
	orig = rtnl_link_alloc();
	if (!orig)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	err = wgw_nlerr_errno(rtnl_link_build_change_request(orig, changes, 0,
							     &msg));
	rtnl_link_put(orig);
	if (err)
		return err;
	err = wgw_rtnl_req(w, msg, what);
	nlmsg_free(msg);
	return err;
}

int wgw_nl_link_set_up(struct wgw_nl_watcher *w, int ifindex, bool up)
{
	struct rtnl_link *ch = rtnl_link_alloc();
	char what[64];
	int err;

	if (!ch)
		return -ENOMEM;
	if (up)
		rtnl_link_set_flags(ch, IFF_UP);
	else
		rtnl_link_unset_flags(ch, IFF_UP);
	snprintf(what, sizeof(what), "link %d: set %s", ifindex,
		 up ? "up" : "down");
	err = link_change(w, ifindex, ch, what);
	rtnl_link_put(ch);
	return err;
}

int wgw_nl_link_set_mtu(struct wgw_nl_watcher *w, int ifindex, uint32_t mtu)
{
	struct rtnl_link *ch = rtnl_link_alloc();
	char what[64];
	int err;

	if (!ch)
		return -ENOMEM;
	rtnl_link_set_mtu(ch, mtu);
	snprintf(what, sizeof(what), "link %d: set mtu %u", ifindex, mtu);
	err = link_change(w, ifindex, ch, what);
	rtnl_link_put(ch);
	return err;
}

#define WGW_VLAN_HLEN 4 /* bytes, one 802.1Q tag */

uint32_t wgw_xdp_max_mtu(uint32_t frame_size, uint32_t frame_headroom)
{
	uint64_t over = (uint64_t)WGW_XDP_PACKET_HEADROOM + frame_headroom +
			ETH_HLEN + WGW_VLAN_HLEN;

	return frame_size > over ? (uint32_t)(frame_size - over) : 0;
}

int wgw_xdp_mtu_check(uint32_t mtu, uint32_t frame_size,
		      uint32_t frame_headroom)
{
	return mtu <= wgw_xdp_max_mtu(frame_size, frame_headroom) ? 0
								  : -EMSGSIZE;
}
