/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ethtool-netlink through libmnl: channels, rings, coalescing, link info
 * (simple messages of u32/u8 attributes) and features (bitsets, names from
 * the ETH_SS_FEATURES string set).  Each message has a GET section and a
 * SET section; builders and parsers work on byte buffers so they are unit
 * tested without privileges.
 */
#ifndef WGW_NETLINK_ETHTOOL_H
#define WGW_NETLINK_ETHTOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>

#include "netlink/genl.h"

/*
 * The values of a "simple" ethtool message: v[attr] for each attribute
 * type attr (ETHTOOL_A_CHANNELS_*, ETHTOOL_A_RINGS_*, ETHTOOL_A_COALESCE_*,
 * ETHTOOL_A_LINKINFO_*), u8 attributes widened to u32.  have has bit attr
 * set when the kernel reported it (drivers omit what they do not support);
 * in a SET, only attributes with their bit set are sent.
 */
#define WGW_ETHNL_MAX_ATTR 31
struct wgw_ethnl_vals {
	uint32_t have;
	uint32_t v[WGW_ETHNL_MAX_ATTR + 1];
};

static inline bool wgw_ethnl_has(const struct wgw_ethnl_vals *s, unsigned a)
{
	return a <= WGW_ETHNL_MAX_ATTR && (s->have & (1u << a));
}
static inline uint32_t wgw_ethnl_get(const struct wgw_ethnl_vals *s,
				     unsigned a)
{
	return wgw_ethnl_has(s, a) ? s->v[a] : 0;
}
static inline void wgw_ethnl_set(struct wgw_ethnl_vals *s, unsigned a,
				 uint32_t val)
{
	if (a <= WGW_ETHNL_MAX_ATTR) {
		s->have |= 1u << a;
		s->v[a] = val;
	}
}

/* The simple messages. */
enum wgw_ethnl_kind {
	WGW_ETHNL_CHANNELS,
	WGW_ETHNL_RINGS,
	WGW_ETHNL_COALESCE,
	WGW_ETHNL_LINKINFO,	/* GET only here */
	WGW_ETHNL_KIND_MAX
};
const char *wgw_ethnl_kind_name(enum wgw_ethnl_kind k);

/*
 * GET: 0 and *out filled; -EOPNOTSUPP when the driver does not implement
 * it (rings and coalescing on veth), -ENODEV, or another -errno.  The
 * kernel's extended ACK is in g->sk.ack (wgw_nlsock_why()).
 */
int wgw_ethtool_get(struct wgw_genl *g, enum wgw_ethnl_kind k, int ifindex,
		    struct wgw_ethnl_vals *out);
/* SET: sends the attributes in in->have (read-only ones are refused with
 * -EINVAL before anything is sent).  0 or -errno as for GET. */
int wgw_ethtool_set(struct wgw_genl *g, enum wgw_ethnl_kind k, int ifindex,
		    const struct wgw_ethnl_vals *in);

/* Byte-level halves, for unit tests.  Builders write into buf
 * (WGW_NL_BUF_SIZE bytes); parse returns 0, -EBADMSG for a malformed or
 * truncated reply or a reply to another command. */
struct nlmsghdr *wgw_ethtool_get_msg(void *buf, uint16_t family, uint32_t seq,
				     enum wgw_ethnl_kind k, int ifindex,
				     uint32_t hdr_flags);
struct nlmsghdr *wgw_ethtool_set_msg(void *buf, uint16_t family, uint32_t seq,
				     enum wgw_ethnl_kind k, int ifindex,
				     const struct wgw_ethnl_vals *in);
int wgw_ethtool_parse(const struct nlmsghdr *nlh, enum wgw_ethnl_kind k,
		      struct wgw_ethnl_vals *out);
/* Whether attribute a of kind k is writable (a *_MAX limit is not). */
bool wgw_ethtool_attr_writable(enum wgw_ethnl_kind k, unsigned a);
/* Name of attribute a of kind k ("rx", "combined-max", "rx-usecs"...). */
const char *wgw_ethtool_attr_name(enum wgw_ethnl_kind k, unsigned a);

/*
 * Features.  netdev_features_t is 64 bits, so a device has at most 64; the
 * names come from the ETH_SS_FEATURES string set, asked once per device.
 */
#define WGW_FEATURES_MAX 64
struct wgw_features {
	uint32_t count;			/* valid bits */
	uint64_t hw;			/* can be changed */
	uint64_t wanted;		/* requested */
	uint64_t active;		/* in effect */
	uint64_t nochange;		/* fixed */
	char names[WGW_FEATURES_MAX][ETH_GSTRING_LEN];
};

/* Index of a feature name, or -ENOENT. */
int wgw_features_index(const struct wgw_features *f, const char *name);
/* 0/1 for a named feature's active state, -ENOENT when unknown. */
int wgw_features_active(const struct wgw_features *f, const char *name);

/* Strings and state: 0 and *f filled, or -errno. */
int wgw_ethtool_features_get(struct wgw_genl *g, int ifindex,
			     struct wgw_features *f);
/*
 * Set the features in mask to the values in value (bits by index of
 * f->names).  The kernel may refuse or adjust silently (dependencies), so
 * the caller re-reads; f is refreshed here.  0 or -errno.
 */
int wgw_ethtool_features_set(struct wgw_genl *g, int ifindex,
			     struct wgw_features *f, uint64_t mask,
			     uint64_t value);

/* Byte-level halves. */
struct nlmsghdr *wgw_ethtool_strset_msg(void *buf, uint16_t family,
					uint32_t seq, int ifindex,
					uint32_t set_id);
int wgw_ethtool_strset_parse(const struct nlmsghdr *nlh, uint32_t set_id,
			     char (*names)[ETH_GSTRING_LEN], uint32_t max,
			     uint32_t *count);
struct nlmsghdr *wgw_ethtool_features_get_msg(void *buf, uint16_t family,
					      uint32_t seq, int ifindex);
int wgw_ethtool_features_parse(const struct nlmsghdr *nlh,
			       struct wgw_features *f);
struct nlmsghdr *wgw_ethtool_features_set_msg(void *buf, uint16_t family,
					      uint32_t seq, int ifindex,
					      uint32_t count, uint64_t mask,
					      uint64_t value);

/* Coalescing profiles applied by interface preparation.  The values are
 * those of gateway/options.h's enum wgw_coalesce, so a cast is valid. */
enum wgw_coalesce_profile {
	WGW_COALESCE_PROFILE_NONE = 0,	/* leave the driver's settings */
	WGW_COALESCE_PROFILE_LOW_LATENCY,	/* interrupt per frame, no adaptation */
	WGW_COALESCE_PROFILE_HIGH_THROUGHPUT,	/* adaptive (DIM) or batched */
};
/* The profiles' names, in enum order: the only spelling (the
 * configuration's --coalesce values are these). */
#define WGW_COALESCE_PROFILE_NAME_LIST "none", "low-latency", "high-throughput"
const char *wgw_coalesce_profile_name(enum wgw_coalesce_profile p);
/* Parse "none", "low-latency", "high-throughput": 0 or -EINVAL. */
int wgw_coalesce_profile_parse(const char *s, enum wgw_coalesce_profile *p);
/*
 * The SET for profile p given the device's current settings cur: only
 * attributes the driver reported are touched.  0 and *out filled (have may
 * be 0: nothing to do), or -EOPNOTSUPP when the driver reports none.
 */
int wgw_coalesce_profile_vals(enum wgw_coalesce_profile p,
			      const struct wgw_ethnl_vals *cur,
			      struct wgw_ethnl_vals *out);

#endif
