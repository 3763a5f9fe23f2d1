// SPDX-License-Identifier: GPL-2.0-only
/* netdev family: NETDEV_CMD_DEV_GET (xdp-features and friends). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netdev.h>

#include "gateway/log.h"
#include "netlink/netdev.h"

struct nlmsghdr *wgw_netdev_get_msg(void *buf, uint16_t family, uint32_t seq,
				    int ifindex)
{
	struct nlmsghdr *nlh = wgw_genl_msg(buf, family, NETDEV_CMD_DEV_GET,
					    NETDEV_FAMILY_VERSION, 0, seq);

	mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, (uint32_t)ifindex);
	return nlh;
}

struct dev_parse {
	struct wgw_xdp_caps *caps;
	uint32_t ifindex;
	bool have_ifindex;
};

static int dev_attr_cb(const struct nlattr *a, void *data)
{
	struct dev_parse *p = data;

	switch (mnl_attr_get_type(a)) {
	case NETDEV_A_DEV_IFINDEX:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
			return MNL_CB_ERROR;
		p->ifindex = mnl_attr_get_u32(a);
		p->have_ifindex = true;
		break;
	case NETDEV_A_DEV_XDP_FEATURES:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U64))
			return MNL_CB_ERROR;
		p->caps->xdp_features = mnl_attr_get_u64(a);
		p->caps->have |= WGW_NETDEV_HAVE_XDP_FEATURES;
		break;
	case NETDEV_A_DEV_XDP_ZC_MAX_SEGS:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U32))
			return MNL_CB_ERROR;
		p->caps->zc_max_segs = mnl_attr_get_u32(a);
		p->caps->have |= WGW_NETDEV_HAVE_ZC_MAX_SEGS;
		break;
	case NETDEV_A_DEV_XDP_RX_METADATA_FEATURES:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U64))
			return MNL_CB_ERROR;
		p->caps->rx_metadata = mnl_attr_get_u64(a);
		p->caps->have |= WGW_NETDEV_HAVE_RX_METADATA;
		break;
	case NETDEV_A_DEV_XSK_FEATURES:
		if (!wgw_nl_attr_ok(a, MNL_TYPE_U64))
			return MNL_CB_ERROR;
		p->caps->xsk_features = mnl_attr_get_u64(a);
		p->caps->have |= WGW_NETDEV_HAVE_XSK_FEATURES;
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int wgw_netdev_parse(const struct nlmsghdr *nlh, int ifindex,
		     struct wgw_xdp_caps *caps)
{
	struct dev_parse p = { .caps = caps };
	const struct genlmsghdr *g;

	memset(caps, 0, sizeof(*caps));
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != NETDEV_CMD_DEV_GET)
		goto bad;
	if (wgw_nl_parse(nlh, GENL_HDRLEN, dev_attr_cb, &p) < 0)
		goto bad;
	if (!p.have_ifindex || p.ifindex != (uint32_t)ifindex ||
	    !(caps->have & WGW_NETDEV_HAVE_XDP_FEATURES))
		goto bad;
	return 0;
bad:
	memset(caps, 0, sizeof(*caps));
	return -EBADMSG;
}

struct get_ctx {
	struct wgw_xdp_caps *caps;
	int ifindex;
	bool got;
};

static int dev_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;
	int err = wgw_netdev_parse(nlh, c->ifindex, c->caps);

	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	c->got = true;
	return MNL_CB_OK;
}

int wgw_netdev_get(struct wgw_genl *g, int ifindex, struct wgw_xdp_caps *caps)
{
	struct get_ctx c = { caps, ifindex, false };
	struct nlmsghdr *nlh;
	int err;

	memset(caps, 0, sizeof(*caps));
	if (!g->netdev_id)
		return -EOPNOTSUPP;
	nlh = wgw_netdev_get_msg(g->sk.buf, g->netdev_id, ++g->sk.seq,
				 ifindex);
	err = wgw_nlsock_request(&g->sk, nlh, dev_get_cb, &c);
	if (err)
		return err;
	return c.got ? 0 : -EBADMSG;
}

static const char *const xdp_act_names[] = {
	"basic", "redirect", "ndo-xmit", "xsk-zerocopy", "hw-offload",
	"rx-sg", "ndo-xmit-sg",
};
static const char *const xsk_names[] = {
	"tx-timestamp", "tx-checksum", "tx-launch-time-fifo",
};

const char *wgw_xdp_feature_name(uint64_t bit)
{
	unsigned i;

	for (i = 0; i < sizeof(xdp_act_names) / sizeof(xdp_act_names[0]); i++)
		if (bit == 1ULL << i)
			return xdp_act_names[i];
	return NULL;
}

static const char *bits_str(uint64_t f, const char *const *names,
			    unsigned n, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;
	int w;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < 64 && off < len; i++) {
		if (!(f & (1ULL << i)))
			continue;
		if (i < n)
			w = snprintf(buf + off, len - off, "%s%s",
				     off ? " " : "", names[i]);
		else
			w = snprintf(buf + off, len - off, "%sbit%u",
				     off ? " " : "", i);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (!f)
		snprintf(buf, len, "none");
	return buf;
}

const char *wgw_xdp_features_str(uint64_t f, char *buf, size_t len)
{
	return bits_str(f, xdp_act_names,
			sizeof(xdp_act_names) / sizeof(xdp_act_names[0]), buf,
			len);
}

const char *wgw_xsk_features_str(uint64_t f, char *buf, size_t len)
{
	return bits_str(f, xsk_names, sizeof(xsk_names) / sizeof(xsk_names[0]),
			buf, len);
}
