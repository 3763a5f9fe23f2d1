// SPDX-License-Identifier: GPL-2.0-only
/*
 * ethtool-netlink messages: channels, rings, coalescing, link info and
 * features, each with a GET and a SET section.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>

#include "gateway/log.h"
#include "netlink/ethtool.h"

/* ---------------------------------------------------------------- common */

/* Attribute descriptions of one simple message.  type is a libmnl type
 * (MNL_TYPE_U32 or MNL_TYPE_U8), or MNL_TYPE_UNSPEC for attributes this
 * code does not know (newer kernels): those are skipped. */
struct ethnl_attr {
	const char *name;
	uint8_t type;
	bool writable;
};

struct ethnl_desc {
	const char *name;
	uint8_t get_cmd, get_reply, set_cmd;
	unsigned max_attr;
	const struct ethnl_attr *attrs;
};

#define RO32(n) { n, MNL_TYPE_U32, false }
#define RW32(n) { n, MNL_TYPE_U32, true }
#define RO8(n) { n, MNL_TYPE_U8, false }
#define RW8(n) { n, MNL_TYPE_U8, true }

static const struct ethnl_attr channels_attrs[] = {
	[ETHTOOL_A_CHANNELS_RX_MAX] = RO32("rx-max"),
	[ETHTOOL_A_CHANNELS_TX_MAX] = RO32("tx-max"),
	[ETHTOOL_A_CHANNELS_OTHER_MAX] = RO32("other-max"),
	[ETHTOOL_A_CHANNELS_COMBINED_MAX] = RO32("combined-max"),
	[ETHTOOL_A_CHANNELS_RX_COUNT] = RW32("rx"),
	[ETHTOOL_A_CHANNELS_TX_COUNT] = RW32("tx"),
	[ETHTOOL_A_CHANNELS_OTHER_COUNT] = RW32("other"),
	[ETHTOOL_A_CHANNELS_COMBINED_COUNT] = RW32("combined"),
};

static const struct ethnl_attr rings_attrs[] = {
	[ETHTOOL_A_RINGS_RX_MAX] = RO32("rx-max"),
	[ETHTOOL_A_RINGS_RX_MINI_MAX] = RO32("rx-mini-max"),
	[ETHTOOL_A_RINGS_RX_JUMBO_MAX] = RO32("rx-jumbo-max"),
	[ETHTOOL_A_RINGS_TX_MAX] = RO32("tx-max"),
	[ETHTOOL_A_RINGS_RX] = RW32("rx"),
	[ETHTOOL_A_RINGS_RX_MINI] = RW32("rx-mini"),
	[ETHTOOL_A_RINGS_RX_JUMBO] = RW32("rx-jumbo"),
	[ETHTOOL_A_RINGS_TX] = RW32("tx"),
	[ETHTOOL_A_RINGS_RX_BUF_LEN] = RW32("rx-buf-len"),
	[ETHTOOL_A_RINGS_TCP_DATA_SPLIT] = RO8("tcp-data-split"),
	[ETHTOOL_A_RINGS_CQE_SIZE] = RW32("cqe-size"),
	[ETHTOOL_A_RINGS_TX_PUSH] = RW8("tx-push"),
};

static const struct ethnl_attr coalesce_attrs[] = {
	[ETHTOOL_A_COALESCE_RX_USECS] = RW32("rx-usecs"),
	[ETHTOOL_A_COALESCE_RX_MAX_FRAMES] = RW32("rx-frames"),
	[ETHTOOL_A_COALESCE_RX_USECS_IRQ] = RW32("rx-usecs-irq"),
	[ETHTOOL_A_COALESCE_RX_MAX_FRAMES_IRQ] = RW32("rx-frames-irq"),
	[ETHTOOL_A_COALESCE_TX_USECS] = RW32("tx-usecs"),
	[ETHTOOL_A_COALESCE_TX_MAX_FRAMES] = RW32("tx-frames"),
	[ETHTOOL_A_COALESCE_TX_USECS_IRQ] = RW32("tx-usecs-irq"),
	[ETHTOOL_A_COALESCE_TX_MAX_FRAMES_IRQ] = RW32("tx-frames-irq"),
	[ETHTOOL_A_COALESCE_STATS_BLOCK_USECS] = RW32("stats-block-usecs"),
	[ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX] = RW8("adaptive-rx"),
	[ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX] = RW8("adaptive-tx"),
	[ETHTOOL_A_COALESCE_PKT_RATE_LOW] = RW32("pkt-rate-low"),
	[ETHTOOL_A_COALESCE_RX_USECS_LOW] = RW32("rx-usecs-low"),
	[ETHTOOL_A_COALESCE_RX_MAX_FRAMES_LOW] = RW32("rx-frames-low"),
	[ETHTOOL_A_COALESCE_TX_USECS_LOW] = RW32("tx-usecs-low"),
	[ETHTOOL_A_COALESCE_TX_MAX_FRAMES_LOW] = RW32("tx-frames-low"),
	[ETHTOOL_A_COALESCE_PKT_RATE_HIGH] = RW32("pkt-rate-high"),
	[ETHTOOL_A_COALESCE_RX_USECS_HIGH] = RW32("rx-usecs-high"),
	[ETHTOOL_A_COALESCE_RX_MAX_FRAMES_HIGH] = RW32("rx-frames-high"),
	[ETHTOOL_A_COALESCE_TX_USECS_HIGH] = RW32("tx-usecs-high"),
	[ETHTOOL_A_COALESCE_TX_MAX_FRAMES_HIGH] = RW32("tx-frames-high"),
	[ETHTOOL_A_COALESCE_RATE_SAMPLE_INTERVAL] = RW32("sample-interval"),
	[ETHTOOL_A_COALESCE_USE_CQE_MODE_TX] = RW8("cqe-mode-tx"),
	[ETHTOOL_A_COALESCE_USE_CQE_MODE_RX] = RW8("cqe-mode-rx"),
};

static const struct ethnl_attr linkinfo_attrs[] = {
	[ETHTOOL_A_LINKINFO_PORT] = RO8("port"),
	[ETHTOOL_A_LINKINFO_PHYADDR] = RO8("phyad"),
	[ETHTOOL_A_LINKINFO_TP_MDIX] = RO8("mdix"),
	[ETHTOOL_A_LINKINFO_TP_MDIX_CTRL] = RO8("mdix-ctrl"),
	[ETHTOOL_A_LINKINFO_TRANSCEIVER] = RO8("transceiver"),
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(ARRAY_SIZE(coalesce_attrs) - 1 <= WGW_ETHNL_MAX_ATTR,
	       "coalesce attributes exceed wgw_ethnl_vals");

static const struct ethnl_desc descs[WGW_ETHNL_KIND_MAX] = {
	[WGW_ETHNL_CHANNELS] = { "channels", ETHTOOL_MSG_CHANNELS_GET,
		ETHTOOL_MSG_CHANNELS_GET_REPLY, ETHTOOL_MSG_CHANNELS_SET,
		ARRAY_SIZE(channels_attrs) - 1, channels_attrs },
	[WGW_ETHNL_RINGS] = { "rings", ETHTOOL_MSG_RINGS_GET,
		ETHTOOL_MSG_RINGS_GET_REPLY, ETHTOOL_MSG_RINGS_SET,
		ARRAY_SIZE(rings_attrs) - 1, rings_attrs },
	[WGW_ETHNL_COALESCE] = { "coalesce", ETHTOOL_MSG_COALESCE_GET,
		ETHTOOL_MSG_COALESCE_GET_REPLY, ETHTOOL_MSG_COALESCE_SET,
		ARRAY_SIZE(coalesce_attrs) - 1, coalesce_attrs },
	[WGW_ETHNL_LINKINFO] = { "linkinfo", ETHTOOL_MSG_LINKINFO_GET,
		ETHTOOL_MSG_LINKINFO_GET_REPLY, 0,
		ARRAY_SIZE(linkinfo_attrs) - 1, linkinfo_attrs },
};

const char *wgw_ethnl_kind_name(enum wgw_ethnl_kind k)
{
	return k < WGW_ETHNL_KIND_MAX ? descs[k].name : "?";
}

bool wgw_ethtool_attr_writable(enum wgw_ethnl_kind k, unsigned a)
{
	return k < WGW_ETHNL_KIND_MAX && a <= descs[k].max_attr &&
	       descs[k].attrs[a].writable;
}

const char *wgw_ethtool_attr_name(enum wgw_ethnl_kind k, unsigned a)
{
	if (k >= WGW_ETHNL_KIND_MAX || a > descs[k].max_attr ||
	    !descs[k].attrs[a].name)
		return "?";
	return descs[k].attrs[a].name;
}

/* Every ethtool request starts with a header nest naming the device. */
static struct nlmsghdr *ethnl_msg(void *buf, uint16_t family, uint32_t seq,
				  uint8_t cmd, int ifindex, uint32_t flags)
{
	struct nlmsghdr *nlh = wgw_genl_msg(buf, family, cmd,
					    ETHTOOL_GENL_VERSION, 0, seq);
	struct nlattr *nest = mnl_attr_nest_start(nlh, 1 /* _A_*_HEADER */);

	mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_DEV_INDEX, (uint32_t)ifindex);
	if (flags)
		mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_FLAGS, flags);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

/* A reply must be the expected command of our family, with room for the
 * genl header; the caller's family check is done by sequence/port. */
static int ethnl_reply_ok(const struct nlmsghdr *nlh, uint8_t reply_cmd)
{
	const struct genlmsghdr *g;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	return g->cmd == reply_cmd ? 0 : -EBADMSG;
}

/* ------------------------------------------------- simple messages: GET */

struct nlmsghdr *wgw_ethtool_get_msg(void *buf, uint16_t family, uint32_t seq,
				     enum wgw_ethnl_kind k, int ifindex,
				     uint32_t hdr_flags)
{
	return ethnl_msg(buf, family, seq, descs[k].get_cmd, ifindex,
			 hdr_flags);
}

struct simple_parse {
	const struct ethnl_desc *d;
	struct wgw_ethnl_vals *out;
};

static int simple_attr_cb(const struct nlattr *a, void *data)
{
	struct simple_parse *p = data;
	unsigned t = mnl_attr_get_type(a);
	uint8_t type;

	if (t == 1 /* header nest */) {
		return mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ? MNL_CB_ERROR
								 : MNL_CB_OK;
	}
	if (t > p->d->max_attr)
		return MNL_CB_OK;	/* newer than this code */
	type = p->d->attrs[t].type;
	if (type == MNL_TYPE_UNSPEC)
		return MNL_CB_OK;
	if (!wgw_nl_attr_ok(a, type))
		return MNL_CB_ERROR;
	wgw_ethnl_set(p->out, t, type == MNL_TYPE_U8 ? mnl_attr_get_u8(a)
						     : mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

int wgw_ethtool_parse(const struct nlmsghdr *nlh, enum wgw_ethnl_kind k,
		      struct wgw_ethnl_vals *out)
{
	struct simple_parse p = { &descs[k], out };
	int err;

	if (k >= WGW_ETHNL_KIND_MAX)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	err = ethnl_reply_ok(nlh, descs[k].get_reply);
	if (err)
		return err;
	if (wgw_nl_parse(nlh, GENL_HDRLEN, simple_attr_cb, &p) < 0) {
		memset(out, 0, sizeof(*out));
		return -EBADMSG;
	}
	return 0;
}

struct get_ctx {
	enum wgw_ethnl_kind k;
	struct wgw_ethnl_vals *out;
	int err;
	bool got;
};

static int simple_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct get_ctx *c = data;

	c->err = wgw_ethtool_parse(nlh, c->k, c->out);
	c->got = true;
	if (c->err) {
		errno = -c->err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int wgw_ethtool_get(struct wgw_genl *g, enum wgw_ethnl_kind k, int ifindex,
		    struct wgw_ethnl_vals *out)
{
	struct get_ctx c = { .k = k, .out = out };
	struct nlmsghdr *nlh;
	int err;

	if (k >= WGW_ETHNL_KIND_MAX)
		return -EINVAL;
	if (!g->ethtool_id)
		return -EOPNOTSUPP;
	nlh = wgw_ethtool_get_msg(g->sk.buf, g->ethtool_id, ++g->sk.seq, k,
				  ifindex, 0);
	err = wgw_nlsock_request(&g->sk, nlh, simple_get_cb, &c);
	if (err)
		return err;
	return c.got ? 0 : -EBADMSG;
}

/* ------------------------------------------------- simple messages: SET */

struct nlmsghdr *wgw_ethtool_set_msg(void *buf, uint16_t family, uint32_t seq,
				     enum wgw_ethnl_kind k, int ifindex,
				     const struct wgw_ethnl_vals *in)
{
	const struct ethnl_desc *d = &descs[k];
	struct nlmsghdr *nlh;
	unsigned a;

	nlh = ethnl_msg(buf, family, seq, d->set_cmd, ifindex, 0);
	for (a = 2; a <= d->max_attr; a++) {
		if (!wgw_ethnl_has(in, a) || !d->attrs[a].writable)
			continue;
		if (d->attrs[a].type == MNL_TYPE_U8)
			mnl_attr_put_u8(nlh, a, (uint8_t)in->v[a]);
		else
			mnl_attr_put_u32(nlh, a, in->v[a]);
	}
	return nlh;
}

int wgw_ethtool_set(struct wgw_genl *g, enum wgw_ethnl_kind k, int ifindex,
		    const struct wgw_ethnl_vals *in)
{
	struct nlmsghdr *nlh;
	unsigned a;

	if (k >= WGW_ETHNL_KIND_MAX || !descs[k].set_cmd)
		return -EINVAL;
	for (a = 0; a <= WGW_ETHNL_MAX_ATTR; a++)
		if (wgw_ethnl_has(in, a) && !wgw_ethtool_attr_writable(k, a))
			return -EINVAL;
	if (!g->ethtool_id)
		return -EOPNOTSUPP;
	nlh = wgw_ethtool_set_msg(g->sk.buf, g->ethtool_id, ++g->sk.seq, k,
				  ifindex, in);
	return wgw_nlsock_request(&g->sk, nlh, NULL, NULL);
}

/* ------------------------------------------------------ coalesce profiles */

static const char *const coalesce_profile_names[] = { WGW_COALESCE_PROFILE_NAME_LIST };
_Static_assert(sizeof(coalesce_profile_names) / sizeof(coalesce_profile_names[0]) ==
	       WGW_COALESCE_PROFILE_HIGH_THROUGHPUT + 1, "a name for every profile");

const char *wgw_coalesce_profile_name(enum wgw_coalesce_profile p)
{
	return (unsigned int)p <= WGW_COALESCE_PROFILE_HIGH_THROUGHPUT ?
		       coalesce_profile_names[p] : "?";
}

int wgw_coalesce_profile_parse(const char *s, enum wgw_coalesce_profile *p)
{
	enum wgw_coalesce_profile i;

	for (i = WGW_COALESCE_PROFILE_NONE; i <= WGW_COALESCE_PROFILE_HIGH_THROUGHPUT; i++) {
		if (!strcmp(s, wgw_coalesce_profile_name(i))) {
			*p = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Fixed batching when the driver has no adaptive moderation (DIM). */
#define HT_USECS 50	/* microseconds */
#define HT_FRAMES 64	/* frames */

static void set_if_have(struct wgw_ethnl_vals *out,
			const struct wgw_ethnl_vals *cur, unsigned a,
			uint32_t val)
{
	if (wgw_ethnl_has(cur, a))
		wgw_ethnl_set(out, a, val);
}

int wgw_coalesce_profile_vals(enum wgw_coalesce_profile p,
			      const struct wgw_ethnl_vals *cur,
			      struct wgw_ethnl_vals *out)
{
	bool adaptive;

	memset(out, 0, sizeof(*out));
	if (p == WGW_COALESCE_PROFILE_NONE)
		return 0;
	if (!(cur->have & ~(1u << 1)))
		return -EOPNOTSUPP;
	adaptive = wgw_ethnl_has(cur, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX);
	if (p == WGW_COALESCE_PROFILE_LOW_LATENCY) {
		/* An interrupt per frame: the AF_XDP worker sees each frame
		 * as soon as the NIC has it. */
		set_if_have(out, cur, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, 0);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX, 0);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_RX_USECS, 0);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_RX_MAX_FRAMES, 1);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_TX_USECS, 0);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_TX_MAX_FRAMES, 1);
	} else if (adaptive) {
		/* The driver's DIM tracks the load better than any constant. */
		set_if_have(out, cur, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, 1);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX, 1);
	} else {
		set_if_have(out, cur, ETHTOOL_A_COALESCE_RX_USECS, HT_USECS);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_RX_MAX_FRAMES,
			    HT_FRAMES);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_TX_USECS, HT_USECS);
		set_if_have(out, cur, ETHTOOL_A_COALESCE_TX_MAX_FRAMES,
			    HT_FRAMES);
	}
	return 0;
}

/* ------------------------------------------------------ strings: GET */

struct nlmsghdr *wgw_ethtool_strset_msg(void *buf, uint16_t family,
					uint32_t seq, int ifindex,
					uint32_t set_id)
{
	struct nlmsghdr *nlh = ethnl_msg(buf, family, seq,
					 ETHTOOL_MSG_STRSET_GET, ifindex, 0);
	struct nlattr *sets, *set;

	sets = mnl_attr_nest_start(nlh, ETHTOOL_A_STRSET_STRINGSETS);
	set = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGSETS_STRINGSET);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STRINGSET_ID, set_id);
	mnl_attr_nest_end(nlh, set);
	mnl_attr_nest_end(nlh, sets);
	return nlh;
}

struct strset_parse {
	uint32_t want_id;
	char (*names)[ETH_GSTRING_LEN];
	uint32_t max;
	uint32_t count;
	bool found;
	/* scratch for the current nest */
	const struct nlattr *tb[8];
};

static int tb_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned t = mnl_attr_get_type(a);

	if (t < 8)
		tb[t] = a;
	return MNL_CB_OK;
}

static int strset_string_cb(const struct nlattr *a, void *data)
{
	struct strset_parse *p = data;
	const struct nlattr *tb[8] = { 0 };
	uint32_t idx;
	const char *s;

	if (mnl_attr_get_type(a) != ETHTOOL_A_STRINGS_STRING)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
	    wgw_nl_parse_nested(a, tb_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[ETHTOOL_A_STRING_INDEX] || !tb[ETHTOOL_A_STRING_VALUE] ||
	    !wgw_nl_attr_ok(tb[ETHTOOL_A_STRING_INDEX], MNL_TYPE_U32) ||
	    !wgw_nl_attr_ok(tb[ETHTOOL_A_STRING_VALUE], MNL_TYPE_NUL_STRING))
		return MNL_CB_ERROR;
	idx = mnl_attr_get_u32(tb[ETHTOOL_A_STRING_INDEX]);
	if (idx >= p->count)
		return MNL_CB_ERROR;	/* beyond the announced count */
	s = mnl_attr_get_str(tb[ETHTOOL_A_STRING_VALUE]);
	snprintf(p->names[idx], ETH_GSTRING_LEN, "%s", s);
	return MNL_CB_OK;
}

static int strset_set_cb(const struct nlattr *a, void *data)
{
	struct strset_parse *p = data;
	const struct nlattr *tb[8] = { 0 };

	if (mnl_attr_get_type(a) != ETHTOOL_A_STRINGSETS_STRINGSET)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
	    wgw_nl_parse_nested(a, tb_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[ETHTOOL_A_STRINGSET_ID] ||
	    !wgw_nl_attr_ok(tb[ETHTOOL_A_STRINGSET_ID], MNL_TYPE_U32))
		return MNL_CB_ERROR;
	if (mnl_attr_get_u32(tb[ETHTOOL_A_STRINGSET_ID]) != p->want_id)
		return MNL_CB_OK;
	if (!tb[ETHTOOL_A_STRINGSET_COUNT] ||
	    !wgw_nl_attr_ok(tb[ETHTOOL_A_STRINGSET_COUNT], MNL_TYPE_U32))
		return MNL_CB_ERROR;
	p->count = mnl_attr_get_u32(tb[ETHTOOL_A_STRINGSET_COUNT]);
	if (p->count > p->max)
		return MNL_CB_ERROR;
	memset(p->names, 0, (size_t)p->max * ETH_GSTRING_LEN);
	if (p->count && !tb[ETHTOOL_A_STRINGSET_STRINGS])
		return MNL_CB_ERROR;
	if (tb[ETHTOOL_A_STRINGSET_STRINGS] &&
	    (mnl_attr_validate(tb[ETHTOOL_A_STRINGSET_STRINGS],
			       MNL_TYPE_NESTED) < 0 ||
	     wgw_nl_parse_nested(tb[ETHTOOL_A_STRINGSET_STRINGS],
				   strset_string_cb, p) < 0))
		return MNL_CB_ERROR;
	p->found = true;
	return MNL_CB_OK;
}

static int strset_top_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) != ETHTOOL_A_STRSET_STRINGSETS)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
	    wgw_nl_parse_nested(a, strset_set_cb, data) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

int wgw_ethtool_strset_parse(const struct nlmsghdr *nlh, uint32_t set_id,
			     char (*names)[ETH_GSTRING_LEN], uint32_t max,
			     uint32_t *count)
{
	struct strset_parse p = { .want_id = set_id, .names = names,
				  .max = max };
	int err = ethnl_reply_ok(nlh, ETHTOOL_MSG_STRSET_GET_REPLY);

	if (err)
		return err;
	if (wgw_nl_parse(nlh, GENL_HDRLEN, strset_top_cb, &p) < 0 ||
	    !p.found)
		return -EBADMSG;
	*count = p.count;
	return 0;
}

/* ---------------------------------------------------- features: GET */

struct nlmsghdr *wgw_ethtool_features_get_msg(void *buf, uint16_t family,
					      uint32_t seq, int ifindex)
{
	return ethnl_msg(buf, family, seq, ETHTOOL_MSG_FEATURES_GET, ifindex,
			 ETHTOOL_FLAG_COMPACT_BITSETS);
}

/* Copy a compact bitmap (u32 words in host order) into a u64. */
static int bitmap_get(const struct nlattr *a, uint32_t nbits, uint64_t *out)
{
	uint32_t words = (nbits + 31) / 32;
	const uint32_t *w = mnl_attr_get_payload(a);

	if (mnl_attr_get_payload_len(a) < words * 4u)
		return -EBADMSG;
	*out = 0;
	if (words > 0)
		*out |= w[0];
	if (words > 1)
		*out |= (uint64_t)w[1] << 32;
	if (nbits < 64)
		*out &= (1ULL << nbits) - 1;
	return 0;
}

struct bitset_parse {
	uint32_t count;
	bool nomask;
	uint64_t *out;
};

static int bit_cb(const struct nlattr *a, void *data)
{
	struct bitset_parse *p = data;
	const struct nlattr *tb[8] = { 0 };
	uint32_t idx;

	if (mnl_attr_get_type(a) != ETHTOOL_A_BITSET_BITS_BIT)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
	    wgw_nl_parse_nested(a, tb_cb, tb) < 0)
		return MNL_CB_ERROR;
	if (!tb[ETHTOOL_A_BITSET_BIT_INDEX] ||
	    !wgw_nl_attr_ok(tb[ETHTOOL_A_BITSET_BIT_INDEX], MNL_TYPE_U32))
		return MNL_CB_ERROR;
	idx = mnl_attr_get_u32(tb[ETHTOOL_A_BITSET_BIT_INDEX]);
	if (idx >= p->count)
		return MNL_CB_ERROR;
	/* Without a mask (NOMASK, as in features replies) the list holds
	 * exactly the set bits; with one it lists the mask and the VALUE
	 * flag says which are set. */
	if (p->nomask || tb[ETHTOOL_A_BITSET_BIT_VALUE])
		*p->out |= 1ULL << idx;
	return MNL_CB_OK;
}

/* A features bitset, compact or as a bit list. */
static int bitset_get(const struct nlattr *nest, uint32_t count,
		      uint64_t *out)
{
	const struct nlattr *tb[8] = { 0 };
	uint32_t size;

	*out = 0;
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0 ||
	    wgw_nl_parse_nested(nest, tb_cb, tb) < 0)
		return -EBADMSG;
	if (!tb[ETHTOOL_A_BITSET_SIZE] ||
	    !wgw_nl_attr_ok(tb[ETHTOOL_A_BITSET_SIZE], MNL_TYPE_U32))
		return -EBADMSG;
	size = mnl_attr_get_u32(tb[ETHTOOL_A_BITSET_SIZE]);
	if (size != count)
		return -EBADMSG;
	if (tb[ETHTOOL_A_BITSET_VALUE])
		return bitmap_get(tb[ETHTOOL_A_BITSET_VALUE], size, out);
	if (tb[ETHTOOL_A_BITSET_BITS]) {
		struct bitset_parse p = { count,
					  tb[ETHTOOL_A_BITSET_NOMASK] != NULL,
					  out };

		if (mnl_attr_validate(tb[ETHTOOL_A_BITSET_BITS],
				      MNL_TYPE_NESTED) < 0 ||
		    wgw_nl_parse_nested(tb[ETHTOOL_A_BITSET_BITS], bit_cb,
					  &p) < 0)
			return -EBADMSG;
		return 0;
	}
	return size ? -EBADMSG : 0;
}

int wgw_ethtool_features_parse(const struct nlmsghdr *nlh,
			       struct wgw_features *f)
{
	const struct nlattr *tb[8] = { 0 };
	uint64_t *dst[] = { NULL, NULL, &f->hw, &f->wanted, &f->active,
			    &f->nochange };
	int err = ethnl_reply_ok(nlh, ETHTOOL_MSG_FEATURES_GET_REPLY);
	unsigned t;

	if (err)
		return err;
	if (f->count > WGW_FEATURES_MAX)
		return -EINVAL;
	if (wgw_nl_parse(nlh, GENL_HDRLEN, tb_cb, tb) < 0)
		return -EBADMSG;
	for (t = ETHTOOL_A_FEATURES_HW; t <= ETHTOOL_A_FEATURES_NOCHANGE; t++) {
		if (!tb[t])
			return -EBADMSG;
		err = bitset_get(tb[t], f->count, dst[t]);
		if (err)
			return err;
	}
	return 0;
}

struct features_ctx {
	struct wgw_features *f;
	int err;
	bool got;
};

static int strset_cb(const struct nlmsghdr *nlh, void *data)
{
	struct features_ctx *c = data;

	c->err = wgw_ethtool_strset_parse(nlh, ETH_SS_FEATURES, c->f->names,
					  WGW_FEATURES_MAX, &c->f->count);
	c->got = true;
	return c->err ? (errno = -c->err, MNL_CB_ERROR) : MNL_CB_OK;
}

static int features_cb(const struct nlmsghdr *nlh, void *data)
{
	struct features_ctx *c = data;

	c->err = wgw_ethtool_features_parse(nlh, c->f);
	c->got = true;
	return c->err ? (errno = -c->err, MNL_CB_ERROR) : MNL_CB_OK;
}

static int features_state_get(struct wgw_genl *g, int ifindex,
			      struct wgw_features *f)
{
	struct features_ctx c = { .f = f };
	struct nlmsghdr *nlh;
	int err;

	nlh = wgw_ethtool_features_get_msg(g->sk.buf, g->ethtool_id,
					   ++g->sk.seq, ifindex);
	err = wgw_nlsock_request(&g->sk, nlh, features_cb, &c);
	if (err)
		return err;
	return c.got ? 0 : -EBADMSG;
}

int wgw_ethtool_features_get(struct wgw_genl *g, int ifindex,
			     struct wgw_features *f)
{
	struct features_ctx c = { .f = f };
	struct nlmsghdr *nlh;
	int err;

	memset(f, 0, sizeof(*f));
	if (!g->ethtool_id)
		return -EOPNOTSUPP;
	nlh = wgw_ethtool_strset_msg(g->sk.buf, g->ethtool_id, ++g->sk.seq,
				     ifindex, ETH_SS_FEATURES);
	err = wgw_nlsock_request(&g->sk, nlh, strset_cb, &c);
	if (err)
		return err;
	if (!c.got)
		return -EBADMSG;
	return features_state_get(g, ifindex, f);
}

int wgw_features_index(const struct wgw_features *f, const char *name)
{
	uint32_t i;

	for (i = 0; i < f->count; i++)
		if (!strcmp(f->names[i], name))
			return (int)i;
	return -ENOENT;
}

int wgw_features_active(const struct wgw_features *f, const char *name)
{
	int i = wgw_features_index(f, name);

	return i < 0 ? i : !!(f->active & (1ULL << i));
}

/* ---------------------------------------------------- features: SET */

struct nlmsghdr *wgw_ethtool_features_set_msg(void *buf, uint16_t family,
					      uint32_t seq, int ifindex,
					      uint32_t count, uint64_t mask,
					      uint64_t value)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	uint32_t words[2] = { (uint32_t)value, (uint32_t)(value >> 32) };
	uint32_t mwords[2] = { (uint32_t)mask, (uint32_t)(mask >> 32) };
	size_t len = ((count + 31) / 32) * 4;

	/* No reply wanted: the caller re-reads the state, which also shows
	 * what the kernel changed on its own for dependencies. */
	nlh = ethnl_msg(buf, family, seq, ETHTOOL_MSG_FEATURES_SET, ifindex,
			ETHTOOL_FLAG_COMPACT_BITSETS | ETHTOOL_FLAG_OMIT_REPLY);
	nest = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_WANTED);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, count);
	mnl_attr_put(nlh, ETHTOOL_A_BITSET_VALUE, len, words);
	mnl_attr_put(nlh, ETHTOOL_A_BITSET_MASK, len, mwords);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

int wgw_ethtool_features_set(struct wgw_genl *g, int ifindex,
			     struct wgw_features *f, uint64_t mask,
			     uint64_t value)
{
	struct nlmsghdr *nlh;
	int err;

	if (!g->ethtool_id)
		return -EOPNOTSUPP;
	if (f->count == 0 || f->count > WGW_FEATURES_MAX ||
	    (f->count < 64 && (mask >> f->count)))
		return -EINVAL;
	nlh = wgw_ethtool_features_set_msg(g->sk.buf, g->ethtool_id,
					   ++g->sk.seq, ifindex, f->count,
					   mask, value & mask);
	err = wgw_nlsock_request(&g->sk, nlh, NULL, NULL);
	if (err)
		return err;
	return features_state_get(g, ifindex, f);
}
