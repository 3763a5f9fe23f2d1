// SPDX-License-Identifier: GPL-2.0-only
/*
 * netlink/ message builders and parsers against byte buffers: no sockets,
 * no privileges.  Every attribute the parsers read is exercised, and so
 * are malformed and truncated replies.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if_arp.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netdev.h>
#include <linux/rtnetlink.h>

#include "netlink/ethtool.h"
#include "netlink/genl.h"
#include "netlink/ifprep.h"
#include "netlink/netdev.h"
#include "netlink/nlsock.h"
#include "netlink/probe.h"
#include "netlink/rtnl.h"
#include "netlink/sysctl.h"

static char buf[WGW_NL_BUF_SIZE] __attribute__((aligned(8)));

static struct nlmsghdr *genl_reply(uint16_t family, uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = family;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* The header nest every ethtool reply carries. */
static void put_ethnl_header(struct nlmsghdr *nlh, int ifindex)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, 1);

	mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_DEV_INDEX, ifindex);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, "veth0");
	mnl_attr_nest_end(nlh, n);
}

/* ------------------------------------------------------------- acks */

static struct nlmsghdr *error_msg(int error, bool capped, bool tlvs)
{
	struct nlmsghdr *nlh, *req;
	struct nlmsgerr *e;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = NLMSG_HDRLEN + 8;	/* the request had 8 bytes */
	e->msg.nlmsg_type = 0x1234;
	if (capped) {
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	} else {
		/* the echoed request payload */
		req = (struct nlmsghdr *)mnl_nlmsg_put_extra_header(nlh, 8);
		memset(req, 0xab, 8);
	}
	if (tlvs) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG,
				  "ring size out of range");
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 36);
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, 7);
	}
	return nlh;
}

START_TEST(ack_capped_tlvs)
{
	struct wgw_nl_ack ack;

	ck_assert_int_eq(wgw_nl_parse_ack(error_msg(-EINVAL, true, true),
					  &ack), 0);
	ck_assert_int_eq(ack.error, -EINVAL);
	ck_assert_str_eq(ack.msg, "ring size out of range");
	ck_assert_uint_eq(ack.bad_offset, 36);
	ck_assert_uint_eq(ack.missing_type, 7);
}
END_TEST

START_TEST(ack_uncapped_tlvs)
{
	struct wgw_nl_ack ack;

	ck_assert_int_eq(wgw_nl_parse_ack(error_msg(-EOPNOTSUPP, false, true),
					  &ack), 0);
	ck_assert_int_eq(ack.error, -EOPNOTSUPP);
	ck_assert_str_eq(ack.msg, "ring size out of range");
}
END_TEST

START_TEST(ack_plain)
{
	struct wgw_nl_ack ack;

	ck_assert_int_eq(wgw_nl_parse_ack(error_msg(0, true, false), &ack), 0);
	ck_assert_int_eq(ack.error, 0);
	ck_assert_str_eq(ack.msg, "");
}
END_TEST

START_TEST(ack_malformed)
{
	struct wgw_nl_ack ack;
	struct nlmsghdr *nlh;
	struct nlattr *a;

	/* Too short for struct nlmsgerr. */
	nlh = error_msg(-EINVAL, true, false);
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	ck_assert_int_eq(wgw_nl_parse_ack(nlh, &ack), -EBADMSG);
	/* A positive error is not a kernel error. */
	nlh = error_msg(5, true, false);
	ck_assert_int_eq(wgw_nl_parse_ack(nlh, &ack), -EBADMSG);
	/* Uncapped, but the echoed request claims more than is there. */
	nlh = error_msg(-EINVAL, false, true);
	((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->msg.nlmsg_len = 4096;
	ck_assert_int_eq(wgw_nl_parse_ack(nlh, &ack), -EBADMSG);
	/* Message text without its NUL. */
	nlh = error_msg(-EINVAL, true, false);
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 4, "abcd");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(wgw_nl_parse_ack(nlh, &ack), -EBADMSG);
	/* Truncated TLV: the message ends inside the attribute. */
	nlh = error_msg(-EINVAL, true, true);
	nlh->nlmsg_len -= 6;
	ck_assert_int_eq(wgw_nl_parse_ack(nlh, &ack), -EBADMSG);
	/* Offset with the wrong size. */
	nlh = error_msg(-EINVAL, true, false);
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_u16(nlh, NLMSGERR_ATTR_OFFS, 3);
	ck_assert_int_eq(wgw_nl_parse_ack(nlh, &ack), -EBADMSG);
}
END_TEST

/* --------------------------------------------------------- families */

START_TEST(genl_family)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	uint16_t id = 0;

	nlh = wgw_genl_getfamily_msg(buf, 42, "ethtool");
	ck_assert_uint_eq(nlh->nlmsg_type, GENL_ID_CTRL);
	ck_assert_uint_eq(nlh->nlmsg_seq, 42);
	ck_assert(nlh->nlmsg_flags & NLM_F_REQUEST);
	g = mnl_nlmsg_get_payload(nlh);
	ck_assert_uint_eq(g->cmd, CTRL_CMD_GETFAMILY);
	ck_assert_str_eq(mnl_attr_get_str(mnl_nlmsg_get_payload_offset(
				 nlh, GENL_HDRLEN)), "ethtool");

	nlh = genl_reply(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 21);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);	/* ignored */
	ck_assert_int_eq(wgw_genl_family_parse(nlh, "ethtool", &id), 0);
	ck_assert_uint_eq(id, 21);
	ck_assert_int_eq(wgw_genl_family_parse(nlh, "netdev", &id), -ENOENT);
	/* truncated: the version gone and the id attribute cut short */
	nlh->nlmsg_len -= 12;
	ck_assert_int_eq(wgw_genl_family_parse(nlh, "ethtool", &id), -EBADMSG);

	nlh = genl_reply(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
	ck_assert_int_eq(wgw_genl_family_parse(nlh, "ethtool", &id), -ENOENT);
	mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, 3);	/* wrong size */
	ck_assert_int_eq(wgw_genl_family_parse(nlh, "ethtool", &id), -EBADMSG);

	nlh = genl_reply(GENL_ID_CTRL, CTRL_CMD_GETFAMILY);	/* wrong cmd */
	ck_assert_int_eq(wgw_genl_family_parse(nlh, "ethtool", &id), -EBADMSG);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	ck_assert_int_eq(wgw_genl_family_parse(nlh, "ethtool", &id), -EBADMSG);
}
END_TEST

/* ------------------------------------------------------- ethtool: simple */

/* Find the header nest of a request and check its ifindex and flags. */
static void check_request_header(struct nlmsghdr *nlh, uint8_t cmd,
				 int ifindex, uint32_t flags)
{
	struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct nlattr *nest, *a;
	uint32_t got_idx = 0, got_flags = 0;

	ck_assert_uint_eq(g->cmd, cmd);
	ck_assert_uint_eq(g->version, ETHTOOL_GENL_VERSION);
	nest = mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN);
	ck_assert_uint_eq(mnl_attr_get_type(nest), 1);
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_DEV_INDEX)
			got_idx = mnl_attr_get_u32(a);
		if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_FLAGS)
			got_flags = mnl_attr_get_u32(a);
	}
	ck_assert_uint_eq(got_idx, (uint32_t)ifindex);
	ck_assert_uint_eq(got_flags, flags);
}

static struct nlmsghdr *channels_reply(void)
{
	struct nlmsghdr *nlh = genl_reply(20, ETHTOOL_MSG_CHANNELS_GET_REPLY);

	put_ethnl_header(nlh, 7);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_RX_MAX, 4);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_TX_MAX, 4);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_OTHER_MAX, 1);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_COMBINED_MAX, 8);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_RX_COUNT, 2);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_TX_COUNT, 3);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_OTHER_COUNT, 1);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_COMBINED_COUNT, 6);
	mnl_attr_put_u32(nlh, 25, 99);	/* from a newer kernel: ignored */
	return nlh;
}

START_TEST(channels_parse)
{
	struct wgw_ethnl_vals v;
	struct nlmsghdr *nlh = channels_reply();

	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_CHANNELS, &v), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_RX_MAX), 4);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_TX_MAX), 4);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_OTHER_MAX), 1);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_COMBINED_MAX), 8);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_RX_COUNT), 2);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_TX_COUNT), 3);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_OTHER_COUNT), 1);
	ck_assert_uint_eq(wgw_ethnl_get(&v,
					ETHTOOL_A_CHANNELS_COMBINED_COUNT), 6);
	ck_assert(!wgw_ethnl_has(&v, 25));

	/* Truncated in the middle of the last attribute. */
	nlh = channels_reply();
	nlh->nlmsg_len -= 2;
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_CHANNELS, &v),
			 -EBADMSG);
	ck_assert_uint_eq(v.have, 0);
	/* A u32 attribute with two bytes. */
	nlh = genl_reply(20, ETHTOOL_MSG_CHANNELS_GET_REPLY);
	mnl_attr_put_u16(nlh, ETHTOOL_A_CHANNELS_RX_COUNT, 2);
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_CHANNELS, &v),
			 -EBADMSG);
	/* A reply to another command. */
	nlh = genl_reply(20, ETHTOOL_MSG_RINGS_GET_REPLY);
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_CHANNELS, &v),
			 -EBADMSG);
	/* No room for the genl header. */
	nlh->nlmsg_len = NLMSG_HDRLEN + 1;
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_CHANNELS, &v),
			 -EBADMSG);
	/* Header attribute that is not a nest. */
	nlh = genl_reply(20, ETHTOOL_MSG_CHANNELS_GET_REPLY);
	mnl_attr_put_u8(nlh, 1, 0);
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_CHANNELS, &v),
			 -EBADMSG);
}
END_TEST

START_TEST(rings_coalesce_linkinfo_parse)
{
	struct wgw_ethnl_vals v;
	struct nlmsghdr *nlh;
	unsigned a;

	nlh = genl_reply(20, ETHTOOL_MSG_RINGS_GET_REPLY);
	put_ethnl_header(nlh, 7);
	for (a = ETHTOOL_A_RINGS_RX_MAX; a <= ETHTOOL_A_RINGS_TX_PUSH; a++) {
		if (a == ETHTOOL_A_RINGS_TCP_DATA_SPLIT ||
		    a == ETHTOOL_A_RINGS_TX_PUSH)
			mnl_attr_put_u8(nlh, a, 1);
		else
			mnl_attr_put_u32(nlh, a, 100 + a);
	}
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_RINGS, &v), 0);
	for (a = ETHTOOL_A_RINGS_RX_MAX; a <= ETHTOOL_A_RINGS_TX_PUSH; a++) {
		if (a == ETHTOOL_A_RINGS_TCP_DATA_SPLIT ||
		    a == ETHTOOL_A_RINGS_TX_PUSH)
			ck_assert_uint_eq(wgw_ethnl_get(&v, a), 1);
		else
			ck_assert_uint_eq(wgw_ethnl_get(&v, a), 100 + a);
	}
	/* A u8 attribute sent as u32 is malformed. */
	nlh = genl_reply(20, ETHTOOL_MSG_RINGS_GET_REPLY);
	mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_TX_PUSH, 1);
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_RINGS, &v), -EBADMSG);

	nlh = genl_reply(20, ETHTOOL_MSG_COALESCE_GET_REPLY);
	put_ethnl_header(nlh, 7);
	for (a = ETHTOOL_A_COALESCE_RX_USECS;
	     a <= ETHTOOL_A_COALESCE_USE_CQE_MODE_RX; a++) {
		if (a == ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX ||
		    a == ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX ||
		    a == ETHTOOL_A_COALESCE_USE_CQE_MODE_TX ||
		    a == ETHTOOL_A_COALESCE_USE_CQE_MODE_RX)
			mnl_attr_put_u8(nlh, a, 1);
		else
			mnl_attr_put_u32(nlh, a, a * 3);
	}
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_COALESCE, &v), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_COALESCE_RX_USECS),
			  ETHTOOL_A_COALESCE_RX_USECS * 3);
	ck_assert_uint_eq(wgw_ethnl_get(&v,
					ETHTOOL_A_COALESCE_RATE_SAMPLE_INTERVAL),
			  ETHTOOL_A_COALESCE_RATE_SAMPLE_INTERVAL * 3);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX),
			  1);
	ck_assert_uint_eq(__builtin_popcount(v.have),
			  ETHTOOL_A_COALESCE_USE_CQE_MODE_RX - 1);

	nlh = genl_reply(20, ETHTOOL_MSG_LINKINFO_GET_REPLY);
	put_ethnl_header(nlh, 7);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKINFO_PORT, PORT_TP);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKINFO_PHYADDR, 1);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKINFO_TP_MDIX, 2);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKINFO_TP_MDIX_CTRL, 3);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKINFO_TRANSCEIVER, 0);
	ck_assert_int_eq(wgw_ethtool_parse(nlh, WGW_ETHNL_LINKINFO, &v), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_LINKINFO_PORT), PORT_TP);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_LINKINFO_TP_MDIX_CTRL), 3);
	ck_assert(wgw_ethnl_has(&v, ETHTOOL_A_LINKINFO_TRANSCEIVER));
}
END_TEST

START_TEST(simple_builders)
{
	struct wgw_ethnl_vals in = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *a;
	int n = 0;

	nlh = wgw_ethtool_get_msg(buf, 20, 5, WGW_ETHNL_RINGS, 9, 0);
	ck_assert_uint_eq(nlh->nlmsg_type, 20);
	ck_assert(nlh->nlmsg_flags & NLM_F_ACK);
	check_request_header(nlh, ETHTOOL_MSG_RINGS_GET, 9, 0);

	wgw_ethnl_set(&in, ETHTOOL_A_CHANNELS_RX_COUNT, 3);
	wgw_ethnl_set(&in, ETHTOOL_A_CHANNELS_TX_COUNT, 2);
	wgw_ethnl_set(&in, ETHTOOL_A_CHANNELS_RX_MAX, 9);	/* read-only */
	nlh = wgw_ethtool_set_msg(buf, 20, 6, WGW_ETHNL_CHANNELS, 9, &in);
	check_request_header(nlh, ETHTOOL_MSG_CHANNELS_SET, 9, 0);
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		switch (mnl_attr_get_type(a)) {
		case 1:
			break;
		case ETHTOOL_A_CHANNELS_RX_COUNT:
			ck_assert_uint_eq(mnl_attr_get_u32(a), 3);
			n++;
			break;
		case ETHTOOL_A_CHANNELS_TX_COUNT:
			ck_assert_uint_eq(mnl_attr_get_u32(a), 2);
			n++;
			break;
		default:
			ck_abort_msg("unexpected attribute %u",
				     mnl_attr_get_type(a));
		}
	}
	ck_assert_int_eq(n, 2);

	/* u8 attributes go out as u8 */
	memset(&in, 0, sizeof(in));
	wgw_ethnl_set(&in, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, 1);
	nlh = wgw_ethtool_set_msg(buf, 20, 7, WGW_ETHNL_COALESCE, 9, &in);
	n = 0;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) == ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX) {
			ck_assert_uint_eq(mnl_attr_get_payload_len(a), 1);
			n++;
		}
	}
	ck_assert_int_eq(n, 1);
	ck_assert(!wgw_ethtool_attr_writable(WGW_ETHNL_CHANNELS,
					     ETHTOOL_A_CHANNELS_RX_MAX));
	ck_assert(wgw_ethtool_attr_writable(WGW_ETHNL_RINGS, ETHTOOL_A_RINGS_RX));
	ck_assert_str_eq(wgw_ethtool_attr_name(WGW_ETHNL_CHANNELS,
					       ETHTOOL_A_CHANNELS_COMBINED_COUNT),
			 "combined");
}
END_TEST

/* ------------------------------------------------- ethtool: features */

static const char *const feat_names[] = {
	"rx-lro", "rx-gro", "rx-checksum", "tx-checksum-ip-generic",
};
#define NFEAT 4

static struct nlmsghdr *strset_reply(uint32_t count, uint32_t bad_index)
{
	struct nlmsghdr *nlh = genl_reply(20, ETHTOOL_MSG_STRSET_GET_REPLY);
	struct nlattr *sets, *set, *strs, *str;
	uint32_t i;

	put_ethnl_header(nlh, 7);
	sets = mnl_attr_nest_start(nlh, ETHTOOL_A_STRSET_STRINGSETS);
	set = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGSETS_STRINGSET);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STRINGSET_ID, ETH_SS_FEATURES);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STRINGSET_COUNT, count);
	strs = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGSET_STRINGS);
	for (i = 0; i < NFEAT; i++) {
		str = mnl_attr_nest_start(nlh, ETHTOOL_A_STRINGS_STRING);
		mnl_attr_put_u32(nlh, ETHTOOL_A_STRING_INDEX,
				 i == 3 && bad_index ? bad_index : i);
		mnl_attr_put_strz(nlh, ETHTOOL_A_STRING_VALUE, feat_names[i]);
		mnl_attr_nest_end(nlh, str);
	}
	mnl_attr_nest_end(nlh, strs);
	mnl_attr_nest_end(nlh, set);
	mnl_attr_nest_end(nlh, sets);
	return nlh;
}

START_TEST(strset_parse)
{
	char names[WGW_FEATURES_MAX][ETH_GSTRING_LEN];
	uint32_t count = 0;
	struct nlmsghdr *nlh;

	nlh = wgw_ethtool_strset_msg(buf, 20, 1, 7, ETH_SS_FEATURES);
	check_request_header(nlh, ETHTOOL_MSG_STRSET_GET, 7, 0);

	nlh = strset_reply(NFEAT, 0);
	ck_assert_int_eq(wgw_ethtool_strset_parse(nlh, ETH_SS_FEATURES, names,
						  WGW_FEATURES_MAX, &count), 0);
	ck_assert_uint_eq(count, NFEAT);
	ck_assert_str_eq(names[0], "rx-lro");
	ck_assert_str_eq(names[3], "tx-checksum-ip-generic");
	/* Another set only: not found. */
	ck_assert_int_eq(wgw_ethtool_strset_parse(nlh, ETH_SS_STATS, names,
						  WGW_FEATURES_MAX, &count),
			 -EBADMSG);
	/* An index beyond the announced count. */
	nlh = strset_reply(NFEAT, 40);
	ck_assert_int_eq(wgw_ethtool_strset_parse(nlh, ETH_SS_FEATURES, names,
						  WGW_FEATURES_MAX, &count),
			 -EBADMSG);
	/* More strings than fit. */
	nlh = strset_reply(65, 0);
	ck_assert_int_eq(wgw_ethtool_strset_parse(nlh, ETH_SS_FEATURES, names,
						  WGW_FEATURES_MAX, &count),
			 -EBADMSG);
	/* Truncated inside the nests. */
	nlh = strset_reply(NFEAT, 0);
	nlh->nlmsg_len -= 12;
	ck_assert_int_eq(wgw_ethtool_strset_parse(nlh, ETH_SS_FEATURES, names,
						  WGW_FEATURES_MAX, &count),
			 -EBADMSG);
}
END_TEST

static void put_compact(struct nlmsghdr *nlh, uint16_t type, uint32_t size,
			uint32_t value)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, size);
	mnl_attr_put(nlh, ETHTOOL_A_BITSET_VALUE, 4, &value);
	mnl_attr_nest_end(nlh, n);
}

/* The verbose form: a list of bits with names (NOMASK: listed = set). */
static void put_list(struct nlmsghdr *nlh, uint16_t type, uint32_t size,
		     uint32_t value)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type), *bits, *bit;
	uint32_t i;

	mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, size);
	bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	for (i = 0; i < size; i++) {
		if (!(value & (1u << i)))
			continue;
		bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_BIT_INDEX, i);
		mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, feat_names[i]);
		mnl_attr_nest_end(nlh, bit);
	}
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, n);
}

START_TEST(features_parse)
{
	struct wgw_features f = { .count = NFEAT };
	struct nlmsghdr *nlh;

	nlh = wgw_ethtool_features_get_msg(buf, 20, 3, 7);
	check_request_header(nlh, ETHTOOL_MSG_FEATURES_GET, 7,
			     ETHTOOL_FLAG_COMPACT_BITSETS);

	nlh = genl_reply(20, ETHTOOL_MSG_FEATURES_GET_REPLY);
	put_ethnl_header(nlh, 7);
	put_compact(nlh, ETHTOOL_A_FEATURES_HW, NFEAT, 0xf);
	put_compact(nlh, ETHTOOL_A_FEATURES_WANTED, NFEAT, 0x6);
	put_compact(nlh, ETHTOOL_A_FEATURES_ACTIVE, NFEAT, 0x6 | 0xf0);
	put_compact(nlh, ETHTOOL_A_FEATURES_NOCHANGE, NFEAT, 0x1);
	memcpy(f.names, feat_names, 0);
	ck_assert_int_eq(wgw_ethtool_features_parse(nlh, &f), 0);
	ck_assert_uint_eq(f.hw, 0xf);
	ck_assert_uint_eq(f.wanted, 0x6);
	ck_assert_uint_eq(f.active, 0x6);	/* bits past count dropped */
	ck_assert_uint_eq(f.nochange, 0x1);

	nlh = genl_reply(20, ETHTOOL_MSG_FEATURES_GET_REPLY);
	put_list(nlh, ETHTOOL_A_FEATURES_HW, NFEAT, 0xf);
	put_list(nlh, ETHTOOL_A_FEATURES_WANTED, NFEAT, 0x9);
	put_list(nlh, ETHTOOL_A_FEATURES_ACTIVE, NFEAT, 0x8);
	put_list(nlh, ETHTOOL_A_FEATURES_NOCHANGE, NFEAT, 0x0);
	ck_assert_int_eq(wgw_ethtool_features_parse(nlh, &f), 0);
	ck_assert_uint_eq(f.hw, 0xf);
	ck_assert_uint_eq(f.wanted, 0x9);
	ck_assert_uint_eq(f.active, 0x8);
	ck_assert_uint_eq(f.nochange, 0);

	/* A bitset for a different number of features. */
	nlh = genl_reply(20, ETHTOOL_MSG_FEATURES_GET_REPLY);
	put_compact(nlh, ETHTOOL_A_FEATURES_HW, NFEAT + 1, 0xf);
	put_compact(nlh, ETHTOOL_A_FEATURES_WANTED, NFEAT, 0x6);
	put_compact(nlh, ETHTOOL_A_FEATURES_ACTIVE, NFEAT, 0x6);
	put_compact(nlh, ETHTOOL_A_FEATURES_NOCHANGE, NFEAT, 0x1);
	ck_assert_int_eq(wgw_ethtool_features_parse(nlh, &f), -EBADMSG);
	/* A missing bitset. */
	nlh = genl_reply(20, ETHTOOL_MSG_FEATURES_GET_REPLY);
	put_compact(nlh, ETHTOOL_A_FEATURES_HW, NFEAT, 0xf);
	ck_assert_int_eq(wgw_ethtool_features_parse(nlh, &f), -EBADMSG);
	/* A value shorter than the size needs. */
	f.count = 40;
	nlh = genl_reply(20, ETHTOOL_MSG_FEATURES_GET_REPLY);
	put_compact(nlh, ETHTOOL_A_FEATURES_HW, 40, 0xf);
	put_compact(nlh, ETHTOOL_A_FEATURES_WANTED, 40, 0x6);
	put_compact(nlh, ETHTOOL_A_FEATURES_ACTIVE, 40, 0x6);
	put_compact(nlh, ETHTOOL_A_FEATURES_NOCHANGE, 40, 0x1);
	ck_assert_int_eq(wgw_ethtool_features_parse(nlh, &f), -EBADMSG);
	/* A listed bit beyond the size. */
	f.count = 2;
	nlh = genl_reply(20, ETHTOOL_MSG_FEATURES_GET_REPLY);
	put_list(nlh, ETHTOOL_A_FEATURES_HW, 2, 0x0);
	put_list(nlh, ETHTOOL_A_FEATURES_WANTED, 2, 0x0);
	put_list(nlh, ETHTOOL_A_FEATURES_ACTIVE, NFEAT, 0x8);
	ck_assert_int_eq(wgw_ethtool_features_parse(nlh, &f), -EBADMSG);
}
END_TEST

START_TEST(features_set_msg)
{
	struct nlmsghdr *nlh;
	struct nlattr *a, *b;
	uint32_t size = 0, value = 0xdead, mask = 0xdead;

	nlh = wgw_ethtool_features_set_msg(buf, 20, 4, 7, 33, 1ULL << 32 | 1,
					   1ULL << 32);
	check_request_header(nlh, ETHTOOL_MSG_FEATURES_SET, 7,
			     ETHTOOL_FLAG_COMPACT_BITSETS |
			     ETHTOOL_FLAG_OMIT_REPLY);
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != ETHTOOL_A_FEATURES_WANTED)
			continue;
		mnl_attr_for_each_nested(b, a) {
			const uint32_t *w = mnl_attr_get_payload(b);

			switch (mnl_attr_get_type(b)) {
			case ETHTOOL_A_BITSET_SIZE:
				size = mnl_attr_get_u32(b);
				break;
			case ETHTOOL_A_BITSET_VALUE:
				ck_assert_uint_eq(mnl_attr_get_payload_len(b), 8);
				ck_assert_uint_eq(w[0], 0);
				value = w[1];
				break;
			case ETHTOOL_A_BITSET_MASK:
				ck_assert_uint_eq(mnl_attr_get_payload_len(b), 8);
				ck_assert_uint_eq(w[0], 1);
				mask = w[1];
				break;
			}
		}
	}
	ck_assert_uint_eq(size, 33);
	ck_assert_uint_eq(value, 1);
	ck_assert_uint_eq(mask, 1);
}
END_TEST

START_TEST(coalesce_profiles)
{
	struct wgw_ethnl_vals cur = { 0 }, out;
	enum wgw_coalesce_profile p;

	ck_assert_int_eq(wgw_coalesce_profile_parse("low-latency", &p), 0);
	ck_assert_int_eq(p, WGW_COALESCE_PROFILE_LOW_LATENCY);
	ck_assert_int_eq(wgw_coalesce_profile_parse("fast", &p), -EINVAL);
	/* Nothing reported: not supported. */
	ck_assert_int_eq(wgw_coalesce_profile_vals(WGW_COALESCE_PROFILE_LOW_LATENCY,
						   &cur, &out), -EOPNOTSUPP);
	wgw_ethnl_set(&cur, ETHTOOL_A_COALESCE_RX_USECS, 8);
	wgw_ethnl_set(&cur, ETHTOOL_A_COALESCE_RX_MAX_FRAMES, 32);
	wgw_ethnl_set(&cur, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, 1);
	ck_assert_int_eq(wgw_coalesce_profile_vals(WGW_COALESCE_PROFILE_LOW_LATENCY,
						   &cur, &out), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&out, ETHTOOL_A_COALESCE_RX_USECS), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&out, ETHTOOL_A_COALESCE_RX_MAX_FRAMES),
			  1);
	ck_assert(wgw_ethnl_has(&out, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX));
	ck_assert(!wgw_ethnl_has(&out, ETHTOOL_A_COALESCE_TX_USECS));
	/* adaptive available: high throughput turns it on */
	ck_assert_int_eq(wgw_coalesce_profile_vals(
				 WGW_COALESCE_PROFILE_HIGH_THROUGHPUT, &cur, &out), 0);
	ck_assert_uint_eq(out.have, 1u << ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX);
	ck_assert_uint_eq(out.v[ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX], 1);
	/* no adaptive: fixed batching */
	cur.have &= ~(1u << ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX);
	ck_assert_int_eq(wgw_coalesce_profile_vals(
				 WGW_COALESCE_PROFILE_HIGH_THROUGHPUT, &cur, &out), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&out, ETHTOOL_A_COALESCE_RX_USECS), 50);
	ck_assert_uint_eq(wgw_ethnl_get(&out, ETHTOOL_A_COALESCE_RX_MAX_FRAMES),
			  64);
	ck_assert_int_eq(wgw_coalesce_profile_vals(WGW_COALESCE_PROFILE_NONE, &cur,
						   &out), 0);
	ck_assert_uint_eq(out.have, 0);
}
END_TEST

START_TEST(ifprep_plans)
{
	struct wgw_ethnl_vals cur = { 0 }, set;

	/* veth: rx/tx channels */
	wgw_ethnl_set(&cur, ETHTOOL_A_CHANNELS_RX_MAX, 4);
	wgw_ethnl_set(&cur, ETHTOOL_A_CHANNELS_TX_MAX, 4);
	wgw_ethnl_set(&cur, ETHTOOL_A_CHANNELS_RX_COUNT, 4);
	wgw_ethnl_set(&cur, ETHTOOL_A_CHANNELS_TX_COUNT, 1);
	ck_assert_int_eq(wgw_ifprep_plan_channels(&cur, 2, &set), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&set, ETHTOOL_A_CHANNELS_RX_COUNT), 2);
	ck_assert_uint_eq(wgw_ethnl_get(&set, ETHTOOL_A_CHANNELS_TX_COUNT), 2);
	ck_assert_int_eq(wgw_ifprep_plan_channels(&cur, 4, &set), 0);
	ck_assert_uint_eq(set.have, 1u << ETHTOOL_A_CHANNELS_TX_COUNT);
	ck_assert_int_eq(wgw_ifprep_plan_channels(&cur, 5, &set), -ERANGE);
	/* a NIC with combined channels only */
	memset(&cur, 0, sizeof(cur));
	wgw_ethnl_set(&cur, ETHTOOL_A_CHANNELS_COMBINED_MAX, 8);
	wgw_ethnl_set(&cur, ETHTOOL_A_CHANNELS_COMBINED_COUNT, 8);
	ck_assert_int_eq(wgw_ifprep_plan_channels(&cur, 2, &set), 0);
	ck_assert_uint_eq(set.have, 1u << ETHTOOL_A_CHANNELS_COMBINED_COUNT);
	ck_assert_uint_eq(set.v[ETHTOOL_A_CHANNELS_COMBINED_COUNT], 2);
	ck_assert_int_eq(wgw_ifprep_plan_channels(&cur, 8, &set), 0);
	ck_assert_uint_eq(set.have, 0);
	memset(&cur, 0, sizeof(cur));
	ck_assert_int_eq(wgw_ifprep_plan_channels(&cur, 2, &set), -EOPNOTSUPP);

	memset(&cur, 0, sizeof(cur));
	ck_assert_int_eq(wgw_ifprep_plan_rings(&cur, 512, 0, &set),
			 -EOPNOTSUPP);
	wgw_ethnl_set(&cur, ETHTOOL_A_RINGS_RX_MAX, 4096);
	wgw_ethnl_set(&cur, ETHTOOL_A_RINGS_TX_MAX, 4096);
	wgw_ethnl_set(&cur, ETHTOOL_A_RINGS_RX, 1024);
	wgw_ethnl_set(&cur, ETHTOOL_A_RINGS_TX, 1024);
	ck_assert_int_eq(wgw_ifprep_plan_rings(&cur, 2048, 1024, &set), 0);
	ck_assert_uint_eq(set.have, 1u << ETHTOOL_A_RINGS_RX);
	ck_assert_int_eq(wgw_ifprep_plan_rings(&cur, 8192, 0, &set), -ERANGE);
}
END_TEST

/* ----------------------------------------------------------- netdev */

START_TEST(netdev_parse)
{
	struct wgw_xdp_caps caps;
	struct nlmsghdr *nlh;
	char s[128];

	nlh = wgw_netdev_get_msg(buf, 30, 1, 5);
	ck_assert_uint_eq(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
			  NETDEV_CMD_DEV_GET);
	ck_assert_uint_eq(mnl_attr_get_u32(mnl_nlmsg_get_payload_offset(
				  nlh, GENL_HDRLEN)), 5);

	nlh = genl_reply(30, NETDEV_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, 5);
	mnl_attr_put_u64(nlh, NETDEV_A_DEV_XDP_FEATURES,
			 NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
			 NETDEV_XDP_ACT_XSK_ZEROCOPY);
	mnl_attr_put_u32(nlh, NETDEV_A_DEV_XDP_ZC_MAX_SEGS, 1);
	mnl_attr_put_u64(nlh, NETDEV_A_DEV_XDP_RX_METADATA_FEATURES, 3);
	mnl_attr_put_u64(nlh, NETDEV_A_DEV_XSK_FEATURES,
			 NETDEV_XSK_FLAGS_TX_CHECKSUM);
	ck_assert_int_eq(wgw_netdev_parse(nlh, 5, &caps), 0);
	ck_assert_uint_eq(caps.xdp_features, 11);
	ck_assert_uint_eq(caps.zc_max_segs, 1);
	ck_assert_uint_eq(caps.rx_metadata, 3);
	ck_assert_uint_eq(caps.xsk_features, NETDEV_XSK_FLAGS_TX_CHECKSUM);
	ck_assert_uint_eq(caps.have, 15);
	ck_assert_str_eq(wgw_xdp_features_str(caps.xdp_features, s, sizeof(s)),
			 "basic redirect xsk-zerocopy");
	ck_assert_str_eq(wgw_xsk_features_str(caps.xsk_features, s, sizeof(s)),
			 "tx-checksum");
	ck_assert_str_eq(wgw_xdp_features_str(0, s, sizeof(s)), "none");
	ck_assert_str_eq(wgw_xdp_features_str(1ULL << 40, s, sizeof(s)),
			 "bit40");
	/* another device */
	ck_assert_int_eq(wgw_netdev_parse(nlh, 6, &caps), -EBADMSG);
	/* truncated */
	nlh->nlmsg_len -= 4;
	ck_assert_int_eq(wgw_netdev_parse(nlh, 5, &caps), -EBADMSG);
	/* older kernel: no zc/metadata/xsk attributes */
	nlh = genl_reply(30, NETDEV_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, 5);
	mnl_attr_put_u64(nlh, NETDEV_A_DEV_XDP_FEATURES, 0x23);
	ck_assert_int_eq(wgw_netdev_parse(nlh, 5, &caps), 0);
	ck_assert_uint_eq(caps.have, WGW_NETDEV_HAVE_XDP_FEATURES);
	/* xdp-features as u32: malformed */
	nlh = genl_reply(30, NETDEV_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, 5);
	mnl_attr_put_u32(nlh, NETDEV_A_DEV_XDP_FEATURES, 0x23);
	ck_assert_int_eq(wgw_netdev_parse(nlh, 5, &caps), -EBADMSG);
	/* no xdp-features at all */
	nlh = genl_reply(30, NETDEV_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, NETDEV_A_DEV_IFINDEX, 5);
	ck_assert_int_eq(wgw_netdev_parse(nlh, 5, &caps), -EBADMSG);
}
END_TEST

/* ------------------------------------------------------------ routes */

static void addr4(union wgw_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	a->w[2] = htonl(0xffff);
	ck_assert_int_eq(inet_pton(AF_INET, s, &a->w[3]), 1);
}

static void addr6(union wgw_addr *a, const char *s)
{
	ck_assert_int_eq(inet_pton(AF_INET6, s, a->b), 1);
}

static struct nlmsghdr *route_reply(uint8_t family, uint8_t type)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_type = type;
	rtm->rtm_table = RT_TABLE_MAIN;
	return nlh;
}

START_TEST(route_msgs)
{
	struct wgw_route_res r;
	union wgw_addr d, want;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint8_t v4[4] = { 10, 0, 0, 1 }, src[4] = { 10, 0, 0, 2 };
	struct {
		struct rtvia via;
		uint8_t a[16];
	} __attribute__((packed)) via6;

	addr4(&d, "192.0.2.7");
	nlh = wgw_rtnl_getroute_msg(buf, 9, &d);
	rtm = mnl_nlmsg_get_payload(nlh);
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_GETROUTE);
	ck_assert_uint_eq(rtm->rtm_family, AF_INET);
	ck_assert_uint_eq(rtm->rtm_dst_len, 32);
	ck_assert_uint_eq(mnl_attr_get_payload_len(
				  mnl_nlmsg_get_payload_offset(nlh, sizeof(*rtm))), 4);
	addr6(&d, "2001:db8::7");
	nlh = wgw_rtnl_getroute_msg(buf, 9, &d);
	rtm = mnl_nlmsg_get_payload(nlh);
	ck_assert_uint_eq(rtm->rtm_family, AF_INET6);
	ck_assert_uint_eq(rtm->rtm_dst_len, 128);

	nlh = route_reply(AF_INET, RTN_UNICAST);
	mnl_attr_put_u32(nlh, RTA_TABLE, 254);
	mnl_attr_put(nlh, RTA_DST, 4, v4);
	mnl_attr_put_u32(nlh, RTA_OIF, 3);
	mnl_attr_put(nlh, RTA_GATEWAY, 4, v4);
	mnl_attr_put(nlh, RTA_PREFSRC, 4, src);
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), 0);
	ck_assert_int_eq(r.oif, 3);
	ck_assert(r.has_gw);
	addr4(&want, "10.0.0.1");
	ck_assert(wgw_addr_eq(&r.gw, &want));
	ck_assert(r.has_prefsrc);
	addr4(&want, "10.0.0.2");
	ck_assert(wgw_addr_eq(&r.prefsrc, &want));
	/* a 16-byte gateway in an IPv4 route is malformed */
	nlh = route_reply(AF_INET, RTN_UNICAST);
	mnl_attr_put_u32(nlh, RTA_OIF, 3);
	mnl_attr_put(nlh, RTA_GATEWAY, 16, d.b);
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), -EBADMSG);
	/* IPv4 via an IPv6 next hop */
	nlh = route_reply(AF_INET, RTN_UNICAST);
	mnl_attr_put_u32(nlh, RTA_OIF, 4);
	via6.via.rtvia_family = AF_INET6;
	memcpy(via6.a, d.b, 16);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via6), &via6);
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), 0);
	ck_assert(r.has_gw);
	ck_assert(wgw_addr_eq(&r.gw, &d));
	/* RTA_VIA shorter than its family needs */
	nlh = route_reply(AF_INET, RTN_UNICAST);
	mnl_attr_put_u32(nlh, RTA_OIF, 4);
	mnl_attr_put(nlh, RTA_VIA, sizeof(via6) - 4, &via6);
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), -EBADMSG);
	/* on-link IPv6, no gateway */
	nlh = route_reply(AF_INET6, RTN_UNICAST);
	mnl_attr_put_u32(nlh, RTA_OIF, 2);
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), 0);
	ck_assert(!r.has_gw);
	/* local, unreachable: not usable */
	nlh = route_reply(AF_INET, RTN_LOCAL);
	mnl_attr_put_u32(nlh, RTA_OIF, 1);
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), -ENETUNREACH);
	/* no oif */
	nlh = route_reply(AF_INET, RTN_UNICAST);
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), -EBADMSG);
	/* truncated */
	nlh = route_reply(AF_INET, RTN_UNICAST);
	mnl_attr_put_u32(nlh, RTA_OIF, 2);
	nlh->nlmsg_len -= 3;
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), -EBADMSG);
	nlh->nlmsg_len = NLMSG_HDRLEN + 4;
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), -EBADMSG);
	/* not a route */
	nlh = route_reply(AF_INET, RTN_UNICAST);
	nlh->nlmsg_type = RTM_NEWLINK;
	ck_assert_int_eq(wgw_rtnl_route_parse(nlh, &r), -EBADMSG);
}
END_TEST

START_TEST(link_msgs)
{
	struct wgw_link_info l;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *n;

	nlh = wgw_rtnl_getlink_msg(buf, 3, "veth7");
	ck_assert_uint_eq(nlh->nlmsg_type, RTM_GETLINK);

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 7;
	ifi->ifi_type = ARPHRD_ETHER;
	ifi->ifi_flags = 1;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "veth7");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put_u32(nlh, IFLA_MAX_MTU, 65535);
	mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 4);
	mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 3);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6);
	n = mnl_attr_nest_start(nlh, IFLA_XDP);
	mnl_attr_put_u8(nlh, IFLA_XDP_ATTACHED, XDP_ATTACHED_DRV);
	mnl_attr_put_u32(nlh, IFLA_XDP_PROG_ID, 77);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, n);
	ck_assert_int_eq(wgw_rtnl_link_parse(nlh, &l), 0);
	ck_assert_int_eq(l.ifindex, 7);
	ck_assert_str_eq(l.name, "veth7");
	ck_assert_str_eq(l.kind, "veth");
	ck_assert_uint_eq(l.mtu, 1500);
	ck_assert_uint_eq(l.max_mtu, 65535);
	ck_assert_uint_eq(l.num_rx_queues, 4);
	ck_assert_uint_eq(l.num_tx_queues, 3);
	ck_assert_uint_eq(l.operstate, 6);
	ck_assert_uint_eq(l.xdp_attached, XDP_ATTACHED_DRV);
	ck_assert_uint_eq(l.xdp_prog_id, 77);
	ck_assert_uint_eq(l.arptype, ARPHRD_ETHER);
	/* truncated inside the LINKINFO nest */
	nlh->nlmsg_len -= 8;
	ck_assert_int_eq(wgw_rtnl_link_parse(nlh, &l), -EBADMSG);
	/* a name without NUL */
	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 7;
	mnl_attr_put(nlh, IFLA_IFNAME, 4, "veth");
	ck_assert_int_eq(wgw_rtnl_link_parse(nlh, &l), -EBADMSG);
}
END_TEST

/* ----------------------------------------------------- probe decision */

START_TEST(rung_rule)
{
	struct wgw_probe p;
	char why[160];

	memset(&p, 0, sizeof(p));
	p.link.arptype = ARPHRD_ETHER;
	p.mtu_ok = true;
	p.xdp.xdp_features = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT |
			     NETDEV_XDP_ACT_RX_SG;
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_XDP_COPY);
	p.xdp.xdp_features |= NETDEV_XDP_ACT_XSK_ZEROCOPY;
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_XDP_ZEROCOPY);
	p.xdp.xdp_features = NETDEV_XDP_ACT_BASIC;
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_XDP_GENERIC);
	p.xdp.xdp_features = 0;
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_XDP_GENERIC);
	/* a program that is ours, then one that is not */
	p.xdp.xdp_features = NETDEV_XDP_ACT_BASIC | NETDEV_XDP_ACT_REDIRECT;
	p.link.xdp_prog_id = 12;
	ck_assert_int_eq(wgw_probe_rung(&p, 12, why, sizeof(why)),
			 WGW_RUNG_XDP_COPY);
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_FALLBACK);
	ck_assert_ptr_nonnull(strstr(why, "12"));
	p.link.xdp_prog_id = 0;
	p.mtu_ok = false;
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_FALLBACK);
	p.mtu_ok = true;
	p.link.arptype = ARPHRD_LOOPBACK;
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_FALLBACK);
	p.link.arptype = ARPHRD_ETHER;
	p.netdev_err = -EOPNOTSUPP;
	ck_assert_int_eq(wgw_probe_rung(&p, 0, why, sizeof(why)),
			 WGW_RUNG_FALLBACK);
}
END_TEST

START_TEST(mtu_and_names)
{
	enum wgw_rung r;
	char path[WGW_SYSCTL_PATH_LEN];

	ck_assert_uint_eq(wgw_xdp_max_mtu(2048, 0), 1774);
	ck_assert_uint_eq(wgw_xdp_max_mtu(4096, 0), 3822);
	ck_assert_uint_eq(wgw_xdp_max_mtu(2048, 256), 1518);
	ck_assert_uint_eq(wgw_xdp_max_mtu(256, 0), 0);
	ck_assert_int_eq(wgw_xdp_mtu_check(1500, 2048, 0), 0);
	ck_assert_int_eq(wgw_xdp_mtu_check(1774, 2048, 0), 0);
	ck_assert_int_eq(wgw_xdp_mtu_check(1775, 2048, 0), -EMSGSIZE);
	ck_assert_int_eq(wgw_xdp_mtu_check(9000, 2048, 0), -EMSGSIZE);

	ck_assert_int_eq(wgw_rung_parse("xdp-generic", &r), 0);
	ck_assert_int_eq(r, WGW_RUNG_XDP_GENERIC);
	ck_assert_int_eq(wgw_rung_parse("xdp", &r), -EINVAL);
	ck_assert_str_eq(wgw_rung_name(WGW_RUNG_FALLBACK), "fallback");

	ck_assert_int_eq(wgw_sysctl_if_path(path, sizeof(path), "ipv6",
					    "eth0.100", "proxy_ndp"), 0);
	ck_assert_str_eq(path, "/proc/sys/net/ipv6/conf/eth0.100/proxy_ndp");
	ck_assert_int_eq(wgw_sysctl_if_path(path, sizeof(path), "ipv4",
					    "../x", "forwarding"), -EINVAL);
	ck_assert_int_eq(wgw_sysctl_if_path(path, sizeof(path), "ipv4", "..",
					    "forwarding"), -EINVAL);
	ck_assert_int_eq(wgw_sysctl_if_path(path, sizeof(path), "ipv4", "eth0",
					    "../../x"), -EINVAL);
	ck_assert_int_eq(wgw_sysctl_if_path(path, sizeof(path), "ipx", "eth0",
					    "forwarding"), -EINVAL);
	ck_assert_int_eq(wgw_sysctl_if_path(path, sizeof(path), "ipv4",
					    "a-very-long-name0", "forwarding"),
			 -EINVAL);
}
END_TEST

static Suite *netlink_suite(void)
{
	Suite *s = suite_create("netlink");
	TCase *tc = tcase_create("bytes");

	tcase_add_test(tc, ack_capped_tlvs);
	tcase_add_test(tc, ack_uncapped_tlvs);
	tcase_add_test(tc, ack_plain);
	tcase_add_test(tc, ack_malformed);
	tcase_add_test(tc, genl_family);
	tcase_add_test(tc, channels_parse);
	tcase_add_test(tc, rings_coalesce_linkinfo_parse);
	tcase_add_test(tc, simple_builders);
	tcase_add_test(tc, strset_parse);
	tcase_add_test(tc, features_parse);
	tcase_add_test(tc, features_set_msg);
	tcase_add_test(tc, coalesce_profiles);
	tcase_add_test(tc, ifprep_plans);
	tcase_add_test(tc, netdev_parse);
	tcase_add_test(tc, route_msgs);
	tcase_add_test(tc, link_msgs);
	tcase_add_test(tc, rung_rule);
	tcase_add_test(tc, mtu_and_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(netlink_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
