// SPDX-License-Identifier: GPL-2.0-only
/* Interface preparation: apply and restore ethtool settings. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/log.h"
#include "netlink/ifprep.h"

const char *const wgw_ifprep_default_features_off[] = {
	"rx-lro",	/* ethtool's "large-receive-offload" */
	"rx-gro-hw",
	NULL,
};

/* Old values of the attributes in set, taken from cur. */
static void save_old(struct wgw_ethnl_vals *old,
		     const struct wgw_ethnl_vals *cur,
		     const struct wgw_ethnl_vals *set)
{
	unsigned a;

	memset(old, 0, sizeof(*old));
	for (a = 0; a <= WGW_ETHNL_MAX_ATTR; a++)
		if (wgw_ethnl_has(set, a) && wgw_ethnl_has(cur, a))
			wgw_ethnl_set(old, a, cur->v[a]);
}

/* Drop attributes already at the wanted value. */
static void drop_unchanged(struct wgw_ethnl_vals *set,
			   const struct wgw_ethnl_vals *cur)
{
	unsigned a;

	for (a = 0; a <= WGW_ETHNL_MAX_ATTR; a++)
		if (wgw_ethnl_has(set, a) && wgw_ethnl_has(cur, a) &&
		    cur->v[a] == set->v[a])
			set->have &= ~(1u << a);
}

int wgw_ifprep_plan_channels(const struct wgw_ethnl_vals *cur, uint32_t q,
			     struct wgw_ethnl_vals *set)
{
	uint32_t cmax = wgw_ethnl_get(cur, ETHTOOL_A_CHANNELS_COMBINED_MAX);
	uint32_t rmax = wgw_ethnl_get(cur, ETHTOOL_A_CHANNELS_RX_MAX);
	uint32_t tmax = wgw_ethnl_get(cur, ETHTOOL_A_CHANNELS_TX_MAX);

	memset(set, 0, sizeof(*set));
	if (q == 0)
		return 0;
	/* veth reports combined = min(rx, tx) but sets only rx and tx: prefer
	 * separate rx/tx when the device has them, combined otherwise (most
	 * NICs: one IRQ per rx/tx pair). */
	if (rmax && tmax) {
		if (q > rmax || q > tmax)
			return -ERANGE;
		wgw_ethnl_set(set, ETHTOOL_A_CHANNELS_RX_COUNT, q);
		wgw_ethnl_set(set, ETHTOOL_A_CHANNELS_TX_COUNT, q);
	} else if (cmax) {
		if (q > cmax)
			return -ERANGE;
		wgw_ethnl_set(set, ETHTOOL_A_CHANNELS_COMBINED_COUNT, q);
	} else {
		return -EOPNOTSUPP;
	}
	drop_unchanged(set, cur);
	return 0;
}

int wgw_ifprep_plan_rings(const struct wgw_ethnl_vals *cur, uint32_t rx,
			  uint32_t tx, struct wgw_ethnl_vals *set)
{
	memset(set, 0, sizeof(*set));
	if (rx) {
		if (!wgw_ethnl_has(cur, ETHTOOL_A_RINGS_RX_MAX))
			return -EOPNOTSUPP;
		if (rx > cur->v[ETHTOOL_A_RINGS_RX_MAX])
			return -ERANGE;
		wgw_ethnl_set(set, ETHTOOL_A_RINGS_RX, rx);
	}
	if (tx) {
		if (!wgw_ethnl_has(cur, ETHTOOL_A_RINGS_TX_MAX))
			return -EOPNOTSUPP;
		if (tx > cur->v[ETHTOOL_A_RINGS_TX_MAX])
			return -ERANGE;
		wgw_ethnl_set(set, ETHTOOL_A_RINGS_TX, tx);
	}
	drop_unchanged(set, cur);
	return 0;
}

/* Get, plan, save and set one simple message. */
static int apply_simple(struct wgw_genl *g, struct wgw_ifprep *st,
			enum wgw_ethnl_kind k, uint32_t step,
			const struct wgw_ifprep_cfg *cfg,
			struct wgw_ethnl_vals *old)
{
	const char *name = wgw_ethnl_kind_name(k);
	struct wgw_ethnl_vals cur, set;
	int err;

	err = wgw_ethtool_get(g, k, st->ifindex, &cur);
	if (err == -EOPNOTSUPP)
		goto unsupported;
	if (err) {
		wgw_err("%s: cannot read %s: %s%s", st->ifname, name,
			strerror(-err), wgw_nlsock_why(&g->sk));
		return err;
	}
	switch (k) {
	case WGW_ETHNL_CHANNELS:
		err = wgw_ifprep_plan_channels(&cur, cfg->queues, &set);
		if (err == -ERANGE)
			wgw_err("%s: %u queues requested, the device has at most %u",
				st->ifname, cfg->queues,
				wgw_ethnl_get(&cur, ETHTOOL_A_CHANNELS_RX_MAX) ?:
				wgw_ethnl_get(&cur, ETHTOOL_A_CHANNELS_COMBINED_MAX));
		break;
	case WGW_ETHNL_RINGS:
		err = wgw_ifprep_plan_rings(&cur, cfg->rx_ring, cfg->tx_ring,
					    &set);
		if (err == -ERANGE)
			wgw_err("%s: ring sizes rx %u tx %u requested, maximum rx %u tx %u",
				st->ifname, cfg->rx_ring, cfg->tx_ring,
				wgw_ethnl_get(&cur, ETHTOOL_A_RINGS_RX_MAX),
				wgw_ethnl_get(&cur, ETHTOOL_A_RINGS_TX_MAX));
		break;
	case WGW_ETHNL_COALESCE:
		err = wgw_coalesce_profile_vals(cfg->coalesce, &cur, &set);
		if (!err)
			drop_unchanged(&set, &cur);
		break;
	default:
		return -EINVAL;
	}
	if (err == -EOPNOTSUPP)
		goto unsupported;
	if (err)
		return err;
	if (!set.have)
		return 0;	/* already as wanted */
	save_old(old, &cur, &set);
	err = wgw_ethtool_set(g, k, st->ifindex, &set);
	if (err == -EOPNOTSUPP)
		goto unsupported;
	if (err) {
		wgw_err("%s: setting %s refused: %s%s", st->ifname, name,
			strerror(-err), wgw_nlsock_why(&g->sk));
		memset(old, 0, sizeof(*old));
		return err;
	}
	st->done |= step;
	wgw_info("%s: %s set", st->ifname, name);
	return 0;

unsupported:
	memset(old, 0, sizeof(*old));
	st->unsupported |= step;
	wgw_notice("%s: %s not supported by the driver, left as is%s",
		   st->ifname, name, wgw_nlsock_why(&g->sk));
	return 0;
}

static int apply_features(struct wgw_genl *g, struct wgw_ifprep *st,
			  const char *const *off)
{
	struct wgw_features f;
	uint64_t mask = 0;
	int err, i;

	err = wgw_ethtool_features_get(g, st->ifindex, &f);
	if (err == -EOPNOTSUPP) {
		st->unsupported |= WGW_IFPREP_FEATURES;
		wgw_notice("%s: features not readable, left as is",
			   st->ifname);
		return 0;
	}
	if (err) {
		wgw_err("%s: cannot read features: %s%s", st->ifname,
			strerror(-err), wgw_nlsock_why(&g->sk));
		return err;
	}
	for (; *off; off++) {
		i = wgw_features_index(&f, *off);
		if (i < 0) {
			wgw_notice("%s: no feature '%s' on this kernel",
				   st->ifname, *off);
			continue;
		}
		if (!(f.wanted & (1ULL << i)) && !(f.active & (1ULL << i)))
			continue;	/* already off */
		if (f.nochange & (1ULL << i)) {
			wgw_notice("%s: %s is fixed on, cannot turn it off",
				   st->ifname, *off);
			continue;
		}
		mask |= 1ULL << i;
	}
	if (!mask)
		return 0;
	st->features_count = f.count;
	st->features_mask = mask;
	st->features_old = f.wanted & mask;
	err = wgw_ethtool_features_set(g, st->ifindex, &f, mask, 0);
	if (err) {
		wgw_err("%s: turning features off refused: %s%s", st->ifname,
			strerror(-err), wgw_nlsock_why(&g->sk));
		st->features_mask = 0;
		return err;
	}
	st->done |= WGW_IFPREP_FEATURES;
	if (f.active & mask) {
		/* The kernel accepted but left some on (a dependency). */
		for (i = 0; i < (int)f.count; i++)
			if (f.active & mask & (1ULL << i))
				wgw_warn("%s: %s is still on", st->ifname,
					 f.names[i]);
	}
	return 0;
}

int wgw_ifprep_apply(struct wgw_genl *g, int ifindex, const char *ifname,
		     const struct wgw_ifprep_cfg *cfg, struct wgw_ifprep *st)
{
	int err;

	memset(st, 0, sizeof(*st));
	st->ifindex = ifindex;
	snprintf(st->ifname, sizeof(st->ifname), "%s", ifname);
	/* Offloads first: a channel change resets most NICs, and doing it
	 * with LRO already off avoids a reset that would have to be
	 * repeated.  Restore runs in exactly the reverse order. */
	err = apply_features(g, st, cfg->features_off ?
			     cfg->features_off :
			     wgw_ifprep_default_features_off);
	if (!err && cfg->queues)
		err = apply_simple(g, st, WGW_ETHNL_CHANNELS,
				   WGW_IFPREP_CHANNELS, cfg, &st->channels_old);
	if (!err && (cfg->rx_ring || cfg->tx_ring))
		err = apply_simple(g, st, WGW_ETHNL_RINGS, WGW_IFPREP_RINGS,
				   cfg, &st->rings_old);
	if (!err && cfg->coalesce != WGW_COALESCE_PROFILE_NONE)
		err = apply_simple(g, st, WGW_ETHNL_COALESCE,
				   WGW_IFPREP_COALESCE, cfg, &st->coalesce_old);
	if (err)
		wgw_ifprep_restore(g, st);
	return err;
}

static int restore_simple(struct wgw_genl *g, struct wgw_ifprep *st,
			  enum wgw_ethnl_kind k, uint32_t step,
			  struct wgw_ethnl_vals *old)
{
	int err;

	if (!(st->done & step))
		return 0;
	err = wgw_ethtool_set(g, k, st->ifindex, old);
	if (err == -ENODEV)
		err = 0;
	if (err)
		wgw_err("%s: restoring %s: %s%s", st->ifname,
			wgw_ethnl_kind_name(k), strerror(-err),
			wgw_nlsock_why(&g->sk));
	st->done &= ~step;
	memset(old, 0, sizeof(*old));
	return err;
}

static int restore_features(struct wgw_genl *g, struct wgw_ifprep *st)
{
	struct wgw_features f;
	int err;

	if (!(st->done & WGW_IFPREP_FEATURES))
		return 0;
	/* Bits are indexes into the string set; it only changes with the
	 * kernel, and the count check guards against that. */
	err = wgw_ethtool_features_get(g, st->ifindex, &f);
	if (!err && f.count != st->features_count)
		err = -ESTALE;
	if (!err)
		err = wgw_ethtool_features_set(g, st->ifindex, &f,
					       st->features_mask,
					       st->features_old);
	if (err == -ENODEV)
		err = 0;
	if (err)
		wgw_err("%s: restoring features: %s%s", st->ifname,
			strerror(-err), wgw_nlsock_why(&g->sk));
	st->done &= ~WGW_IFPREP_FEATURES;
	st->features_mask = 0;
	return err;
}

int wgw_ifprep_restore(struct wgw_genl *g, struct wgw_ifprep *st)
{
	int ret, err;

	ret = restore_simple(g, st, WGW_ETHNL_COALESCE, WGW_IFPREP_COALESCE,
			     &st->coalesce_old);
	err = restore_simple(g, st, WGW_ETHNL_RINGS, WGW_IFPREP_RINGS,
			     &st->rings_old);
	if (err && !ret)
		ret = err;
	err = restore_simple(g, st, WGW_ETHNL_CHANNELS, WGW_IFPREP_CHANNELS,
			     &st->channels_old);
	if (err && !ret)
		ret = err;
	err = restore_features(g, st);
	if (err && !ret)
		ret = err;
	return ret;
}
