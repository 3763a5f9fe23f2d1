// SPDX-License-Identifier: GPL-2.0-only
/* Generic netlink family resolution (the "nlctrl" family). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>

#include "gateway/log.h"
#include "netlink/genl.h"

struct nlmsghdr *wgw_genl_msg(void *buf, uint16_t family, uint8_t cmd,
			      uint8_t version, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *wgw_genl_getfamily_msg(void *buf, uint32_t seq,
					const char *name)
{
	struct nlmsghdr *nlh = wgw_genl_msg(buf, GENL_ID_CTRL,
					    CTRL_CMD_GETFAMILY, 1, 0, seq);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	return nlh;
}

struct family_tb {
	const struct nlattr *id;
	const struct nlattr *name;
};

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct family_tb *tb = data;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U16))
			return MNL_CB_ERROR;
		tb->id = a;
		break;
	case CTRL_ATTR_FAMILY_NAME:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_NUL_STRING))
			return MNL_CB_ERROR;
		tb->name = a;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int wgw_genl_family_parse(const struct nlmsghdr *nlh, const char *name,
			  uint16_t *id)
{
	struct family_tb tb = { 0 };
	const struct genlmsghdr *g;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    nlh->nlmsg_type != GENL_ID_CTRL)
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != CTRL_CMD_NEWFAMILY)
		return -EBADMSG;
	if (wgw_nl_parse(nlh, GENL_HDRLEN, family_attr_cb, &tb) < 0)
		return -EBADMSG;
	if (!tb.id || !tb.name || strcmp(mnl_attr_get_str(tb.name), name))
		return -ENOENT;
	*id = mnl_attr_get_u16(tb.id);
	return *id ? 0 : -ENOENT;
}

struct resolve_ctx {
	const char *name;
	uint16_t id;
	int err;
};

static int resolve_cb(const struct nlmsghdr *nlh, void *data)
{
	struct resolve_ctx *c = data;

	c->err = wgw_genl_family_parse(nlh, c->name, &c->id);
	return MNL_CB_OK;
}

int wgw_genl_resolve(struct wgw_nlsock *s, const char *name, uint16_t *id)
{
	struct resolve_ctx c = { .name = name, .err = -ENOENT };
	struct nlmsghdr *nlh = wgw_genl_getfamily_msg(s->buf, ++s->seq, name);
	int err;

	err = wgw_nlsock_request(s, nlh, resolve_cb, &c);
	if (err)
		return err;	/* -ENOENT: the kernel has no such family */
	if (c.err)
		return c.err;
	*id = c.id;
	return 0;
}

int wgw_genl_open(struct wgw_genl *g)
{
	int err;

	memset(g, 0, sizeof(*g));
	err = wgw_nlsock_open(&g->sk, NETLINK_GENERIC);
	if (err)
		return err;
	err = wgw_genl_resolve(&g->sk, "ethtool", &g->ethtool_id);
	if (err && err != -ENOENT)
		goto err_close;
	if (err)
		wgw_warn("generic netlink: no ethtool family (kernel without CONFIG_ETHTOOL_NETLINK)");
	err = wgw_genl_resolve(&g->sk, "netdev", &g->netdev_id);
	if (err && err != -ENOENT)
		goto err_close;
	if (err)
		wgw_info("generic netlink: no netdev family (kernel < 6.3): xdp-features unknown");
	return 0;

err_close:
	wgw_nlsock_close(&g->sk);
	return err;
}

void wgw_genl_close(struct wgw_genl *g)
{
	wgw_nlsock_close(&g->sk);
}
