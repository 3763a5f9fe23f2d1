// SPDX-License-Identifier: GPL-2.0-only
/*
 * Next-hop resolution: the kernel's FIB lookup for the route, the link and
 * neighbour caches for the MACs, NTF_USE to have the kernel resolve an
 * unknown neighbour.
 *
 * The route lookup is an RTM_GETROUTE through libmnl rather than libnl's
 * rtnl_route_lookup(): libnl folds the kernel's errno into NLE_FAILURE, and
 * "no route" (ENETUNREACH), "prohibited" (EACCES) and a real failure must
 * be told apart; the reply parser is also unit tested on byte buffers.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>

#include "gateway/log.h"
#include "netlink/rtnl_internal.h"

/* ------------------------------------------------------ route lookup */

struct nlmsghdr *wgw_rtnl_getroute_msg(void *buf, uint32_t seq,
				       const union wgw_addr *dst)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	if (wgw_addr_is_v4(dst)) {
		rtm->rtm_family = AF_INET;
		rtm->rtm_dst_len = 32;
		mnl_attr_put(nlh, RTA_DST, 4, &dst->w[3]);
	} else {
		rtm->rtm_family = AF_INET6;
		rtm->rtm_dst_len = 128;
		mnl_attr_put(nlh, RTA_DST, 16, dst->b);
	}
	return nlh;
}

/* An address attribute of the given family: 0 or -EBADMSG. */
static int addr_attr(const struct nlattr *a, uint8_t family,
		     union wgw_addr *out)
{
	uint16_t len = mnl_attr_get_payload_len(a);

	memset(out, 0, sizeof(*out));
	if (family == AF_INET && len == 4) {
		out->w[2] = htonl(0xffff);
		memcpy(&out->w[3], mnl_attr_get_payload(a), 4);
		return 0;
	}
	if (family == AF_INET6 && len == 16) {
		memcpy(out->b, mnl_attr_get_payload(a), 16);
		return 0;
	}
	return -EBADMSG;
}

struct route_parse {
	struct wgw_route_res *res;
	uint8_t family;
	int err;
};

static int route_attr_cb(const struct nlattr *a, void *data)
{
	struct route_parse *p = data;
	const struct rtvia *via;
	uint16_t len;

	switch (mnl_attr_get_type(a)) {
	case RTA_OIF:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
			return MNL_CB_ERROR;
		p->res->oif = (int)mnl_attr_get_u32(a);
		break;
	case RTA_TABLE:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
			return MNL_CB_ERROR;
		p->res->table = mnl_attr_get_u32(a);
		break;
	case RTA_GATEWAY:
		if (addr_attr(a, p->family, &p->res->gw))
			return MNL_CB_ERROR;
		p->res->has_gw = true;
		break;
	case RTA_PREFSRC:
		if (addr_attr(a, p->family, &p->res->prefsrc))
			return MNL_CB_ERROR;
		p->res->has_prefsrc = true;
		break;
	case RTA_VIA:
		/* An IPv4 route through an IPv6 next hop (RFC 5549). */
		len = mnl_attr_get_payload_len(a);
		if (len < sizeof(*via))
			return MNL_CB_ERROR;
		via = mnl_attr_get_payload(a);
		memset(&p->res->gw, 0, sizeof(p->res->gw));
		if (via->rtvia_family == AF_INET6 &&
		    len == sizeof(*via) + 16) {
			memcpy(p->res->gw.b, via->rtvia_addr, 16);
		} else if (via->rtvia_family == AF_INET &&
			   len == sizeof(*via) + 4) {
			p->res->gw.w[2] = htonl(0xffff);
			memcpy(&p->res->gw.w[3], via->rtvia_addr, 4);
		} else {
			return MNL_CB_ERROR;
		}
		p->res->has_gw = true;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int wgw_rtnl_route_parse(const struct nlmsghdr *nlh, struct wgw_route_res *res)
{
	struct route_parse p = { .res = res };
	const struct rtmsg *rtm;

	memset(res, 0, sizeof(*res));
	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*rtm))
		return -EBADMSG;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EBADMSG;
	p.family = rtm->rtm_family;
	res->family = rtm->rtm_family;
	res->type = rtm->rtm_type;
	res->table = rtm->rtm_table;
	if (wgw_nl_parse(nlh, sizeof(*rtm), route_attr_cb, &p) < 0) {
		memset(res, 0, sizeof(*res));
		return -EBADMSG;
	}
	if (res->type != RTN_UNICAST)
		return -ENETUNREACH;
	if (res->oif <= 0)
		return -EBADMSG;
	return 0;
}

struct getroute_ctx {
	struct wgw_route_res *res;
	int err;
	bool got;
};

static int getroute_cb(const struct nlmsghdr *nlh, void *data)
{
	struct getroute_ctx *c = data;

	c->err = wgw_rtnl_route_parse(nlh, c->res);
	c->got = true;
	return MNL_CB_OK;
}

static int route_lookup(struct wgw_nl_watcher *w, const union wgw_addr *dst,
			struct wgw_route_res *res)
{
	struct getroute_ctx c = { .res = res };
	struct nlmsghdr *nlh;
	int err;

	nlh = wgw_rtnl_getroute_msg(w->mnl.buf, ++w->mnl.seq, dst);
	err = wgw_nlsock_request(&w->mnl, nlh, getroute_cb, &c);
	switch (err) {
	case 0:
		break;
	case -ENETUNREACH:	/* no route */
	case -EHOSTUNREACH:	/* unreachable route */
	case -EACCES:		/* prohibit route */
	case -EINVAL:		/* blackhole route */
	case -ENETDOWN:
		return -ENETUNREACH;
	default:
		return err;
	}
	if (!c.got)
		return -EBADMSG;
	return c.err;
}

/* ------------------------------------------------------ neighbours */

/* Ask the kernel to resolve a neighbour now: RTM_NEWNEIGH with NTF_USE
 * runs neigh_event_send() on the entry, creating it (NLM_F_CREATE, state
 * NUD_NONE so it stays subject to garbage collection) when missing. */
static int neigh_use(struct wgw_nl_watcher *w, int ifindex,
		     struct nl_addr *dst)
{
	struct rtnl_neigh *n = rtnl_neigh_alloc();
	struct nl_msg *msg = NULL;
	int err;

	if (!n)
		return -ENOMEM;
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, nl_addr_get_family(dst));
	err = wgw_nlerr_errno(rtnl_neigh_set_dst(n, dst));
	if (err)
		goto out;
	rtnl_neigh_set_flags(n, NTF_USE);
	rtnl_neigh_set_state(n, NUD_NONE);
	err = wgw_nlerr_errno(rtnl_neigh_build_add_request(n, NLM_F_CREATE,
							   &msg));
	if (err)
		goto out;
	err = wgw_rtnl_req(w, msg, NULL);
	nlmsg_free(msg);
out:
	rtnl_neigh_put(n);
	return err;
}

#define NUD_VALID_MAC (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | \
		       NUD_PERMANENT | NUD_NOARP)

int wgw_nl_nexthop(struct wgw_nl_watcher *w, const union wgw_addr *dst,
		   struct wgw_nexthop *out)
{
	struct wgw_route_res rt;
	struct wgw_nl_link link;
	struct rtnl_neigh *neigh;
	struct nl_addr *via;
	struct nl_addr *ll;
	char buf[INET6_ADDRSTRLEN];
	int state, err;

	memset(out, 0, sizeof(*out));
	err = route_lookup(w, dst, &rt);
	if (err)
		return err;
	out->ifindex = rt.oif;
	out->via = rt.has_gw ? rt.gw : *dst;
	out->onlink = !rt.has_gw;
	out->src = rt.prefsrc;
	out->has_src = rt.has_prefsrc;
	/* The kernel's answer can be ahead of our cache (a link created a
	 * moment ago): the event is on its way. */
	if (wgw_nl_link_get(w, rt.oif, &link))
		return -EAGAIN;
	out->mtu = link.mtu;
	if (!link.has_mac || (link.flags & IFF_NOARP)) {
		out->no_l2 = true;
		out->nud_state = NUD_NOARP;
		return 0;
	}
	memcpy(out->src_mac, link.mac, ETH_ALEN);

	via = wgw_nl_addr_build(&out->via);
	if (!via)
		return -ENOMEM;
	neigh = rtnl_neigh_get(w->neighs, rt.oif, via);
	state = neigh ? rtnl_neigh_get_state(neigh) : NUD_NONE;
	if (state < 0)
		state = NUD_NONE;
	out->nud_state = (uint16_t)state;
	ll = neigh ? rtnl_neigh_get_lladdr(neigh) : NULL;
	if ((state & NUD_VALID_MAC) && ll && nl_addr_get_len(ll) == ETH_ALEN) {
		memcpy(out->dst_mac, nl_addr_get_binary_addr(ll), ETH_ALEN);
		err = 0;
		if (state & NUD_STALE)
			neigh_use(w, rt.oif, via);	/* re-confirm */
	} else if (state & NUD_INCOMPLETE) {
		err = -EAGAIN;		/* already being resolved */
	} else {
		err = neigh_use(w, rt.oif, via);
		if (err) {
			wgw_warn("neighbour %s on %s: cannot start resolution: %s",
				 wgw_nl_addr_str(&out->via, buf, sizeof(buf)),
				 link.name, strerror(-err));
		}
		err = (state & NUD_FAILED) ? -EHOSTUNREACH : -EAGAIN;
	}
	if (neigh)
		rtnl_neigh_put(neigh);
	nl_addr_put(via);
	return err;
}
