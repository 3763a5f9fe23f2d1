// SPDX-License-Identifier: GPL-2.0-only
/* RTM_GETLINK for one link, with libmnl (link.h says why not libnl). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "netlink/link.h"
#include "netlink/nlsock.h"

struct nlmsghdr *wgw_rtnl_getlink_msg(void *buf, uint32_t seq,
				      const char *ifname)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh;
}

static int str_attr(const struct nlattr *a, char *dst, size_t len)
{
	if (!wgw_nl_attr_ok(a, MNL_TYPE_NUL_STRING))
		return -EBADMSG;
	snprintf(dst, len, "%s", mnl_attr_get_str(a));
	return 0;
}

static int xdp_attr_cb(const struct nlattr *a, void *data)
{
	struct wgw_link_info *l = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_XDP_ATTACHED:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U8))
			return MNL_CB_ERROR;
		l->xdp_attached = mnl_attr_get_u8(a);
		break;
	case IFLA_XDP_PROG_ID:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
			return MNL_CB_ERROR;
		l->xdp_prog_id = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int linkinfo_attr_cb(const struct nlattr *a, void *data)
{
	struct wgw_link_info *l = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    str_attr(a, l->kind, sizeof(l->kind)))
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
	struct wgw_link_info *l = data;
	uint32_t *u32 = NULL;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		return str_attr(a, l->name, sizeof(l->name)) ? MNL_CB_ERROR
							     : MNL_CB_OK;
	case IFLA_MTU:
		u32 = &l->mtu;
		break;
	case IFLA_MAX_MTU:
		u32 = &l->max_mtu;
		break;
	case IFLA_NUM_RX_QUEUES:
		u32 = &l->num_rx_queues;
		break;
	case IFLA_NUM_TX_QUEUES:
		u32 = &l->num_tx_queues;
		break;
	case IFLA_OPERSTATE:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U8))
			return MNL_CB_ERROR;
		l->operstate = mnl_attr_get_u8(a);
		return MNL_CB_OK;
	case IFLA_XDP:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    wgw_nl_parse_nested(a, xdp_attr_cb, l) < 0)
			return MNL_CB_ERROR;
		return MNL_CB_OK;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    wgw_nl_parse_nested(a, linkinfo_attr_cb, l) < 0)
			return MNL_CB_ERROR;
		return MNL_CB_OK;
	default:
		return MNL_CB_OK;
	}
	if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
		return MNL_CB_ERROR;
	*u32 = mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

int wgw_rtnl_link_parse(const struct nlmsghdr *nlh, struct wgw_link_info *l)
{
	const struct ifinfomsg *ifi;

	memset(l, 0, sizeof(*l));
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->arptype = ifi->ifi_type;
	if (wgw_nl_parse(nlh, sizeof(*ifi), link_attr_cb, l) < 0 ||
	    l->ifindex <= 0 || !l->name[0]) {
		memset(l, 0, sizeof(*l));
		return -EBADMSG;
	}
	return 0;
}

struct link_ctx {
	struct wgw_link_info *l;
	int err;
	bool got;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_ctx *c = data;

	c->err = wgw_rtnl_link_parse(nlh, c->l);
	c->got = true;
	return MNL_CB_OK;
}

int wgw_rtnl_link_query(const char *ifname, struct wgw_link_info *l)
{
	struct wgw_nlsock s;
	struct link_ctx c = { .l = l };
	int err;

	err = wgw_nlsock_open(&s, NETLINK_ROUTE);
	if (err)
		return err;
	err = wgw_nlsock_request(&s, wgw_rtnl_getlink_msg(s.buf, ++s.seq,
							  ifname),
				 link_cb, &c);
	wgw_nlsock_close(&s);
	if (err)
		return err;
	if (!c.got)
		return -EBADMSG;
	return c.err;
}
