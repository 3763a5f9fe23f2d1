/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interface preparation: the offloads XDP needs off, queue count, ring
 * sizes and interrupt coalescing, applied at start in that order and
 * restored at exit in the reverse order (also after a failed start).  What a driver does not support (rings on veth)
 * is reported and skipped; what it refuses is an error.
 */
#ifndef WGW_NETLINK_IFPREP_H
#define WGW_NETLINK_IFPREP_H

#include <stdint.h>

#include "netlink/ethtool.h"
#include "netlink/genl.h"

struct wgw_ifprep_cfg {
	uint32_t queues;		/* RX/TX queue (channel) count, 0: leave */
	uint32_t rx_ring;		/* descriptors, 0: leave */
	uint32_t tx_ring;		/* descriptors, 0: leave */
	enum wgw_coalesce_profile coalesce;
	/* Features to turn off, NULL-terminated; NULL: the default list,
	 * wgw_ifprep_default_features_off. */
	const char *const *features_off;
};

/*
 * LRO ("rx-lro", ethtool's large-receive-offload) merges frames before
 * XDP sees them and drivers refuse XDP with it on; hardware GRO
 * (rx-gro-hw) likewise.  Names are the kernel's ETH_SS_FEATURES strings.  Software GRO runs after XDP and
 * stays: it is what lets a redirect into a veth peer work.
 */
extern const char *const wgw_ifprep_default_features_off[];

/* Steps applied, for restore (reverse order). */
#define WGW_IFPREP_CHANNELS (1u << 0)
#define WGW_IFPREP_RINGS (1u << 1)
#define WGW_IFPREP_COALESCE (1u << 2)
#define WGW_IFPREP_FEATURES (1u << 3)

/* The state to restore: for each step, the old values of exactly the
 * attributes that were changed. */
struct wgw_ifprep {
	int ifindex;
	char ifname[16];
	uint32_t done;				/* WGW_IFPREP_* */
	uint32_t unsupported;			/* WGW_IFPREP_*: reported, skipped */
	struct wgw_ethnl_vals channels_old;
	struct wgw_ethnl_vals rings_old;
	struct wgw_ethnl_vals coalesce_old;
	uint32_t features_count;
	uint64_t features_mask;			/* changed bits */
	uint64_t features_old;			/* their old wanted values */
};

/*
 * Apply cfg to the interface.  Returns 0 (st records what to undo; steps
 * the driver does not support are in st->unsupported and were logged), or
 * -errno after restoring whatever had been applied: -ERANGE for a queue
 * count or ring size above the device's maximum, the kernel's refusal
 * otherwise (its extended ACK logged).
 */
int wgw_ifprep_apply(struct wgw_genl *g, int ifindex, const char *ifname,
		     const struct wgw_ifprep_cfg *cfg, struct wgw_ifprep *st);

/*
 * Put back what wgw_ifprep_apply() changed, in reverse order.  Idempotent
 * (st is emptied).  Returns 0 or the first -errno; every step is still
 * attempted.  -ENODEV (the interface went away) counts as done.
 */
int wgw_ifprep_restore(struct wgw_genl *g, struct wgw_ifprep *st);

/* Planning halves, pure, for unit tests: the SET for queue count q given
 * the current channels (0, -ERANGE above the max, -EOPNOTSUPP when the
 * device reports no settable channel), and for ring sizes. */
int wgw_ifprep_plan_channels(const struct wgw_ethnl_vals *cur, uint32_t q,
			     struct wgw_ethnl_vals *set);
int wgw_ifprep_plan_rings(const struct wgw_ethnl_vals *cur, uint32_t rx,
			  uint32_t tx, struct wgw_ethnl_vals *set);

#endif
