// SPDX-License-Identifier: GPL-2.0-only
/*
 * Confining what the kernel forwards from the LAN: two policy rules.
 *
 * Owning the NAT address through a TUN device needs forwarding on the LAN
 * interface (proxy ARP/NDP answers only there, and a backend's datagram to
 * G is routed from the LAN into the TUN).  Forwarding is a property of the
 * receiving interface, not of a destination: on its own it would make the
 * host a router for every LAN host that sends it a packet for any address
 * it has a route to.  So, before forwarding is turned on:
 *
 *   prio P     iif LAN  to G/32 (/128)  lookup main
 *   prio P+1   iif LAN                  blackhole
 *
 * P is right after the rule that looks up the local table, so what is
 * addressed to the host itself is still delivered.  A packet from the LAN
 * to any other address is dropped silently, as on a host that does not
 * forward (ip_error() and ip6_pkt_discard() send nothing for a blackhole).
 * The rules are matched by interface name, so they hold across the LAN
 * device being deleted and created again, and they are marked with the
 * gateway's protocol number (FRA_PROTOCOL), which is how a later start
 * finds and removes what a killed one left.  Left behind, they only keep
 * the host from forwarding: a crash never leaves an open router.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/route/rule.h>

#include "gateway/log.h"
#include "netlink/rtnl_internal.h"

/* Where the gateway's rules go when the local table's rule is not found. */
#define CONFINE_PRIO_DEFAULT 1
#define CONFINE_DEL_MAX 1024	/* leftover rules removed per call, at most:
				 * a pass rule per NAT address and the
				 * blackhole, with room */

static int family_of(const union wgw_addr *a)
{
	return wgw_addr_is_v4(a) ? AF_INET : AF_INET6;
}

/* The priority right after the first rule that looks up the local table. */
static uint32_t confine_prio(struct wgw_nl_watcher *w, int family)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	uint32_t prio = UINT32_MAX;

	if (rtnl_rule_alloc_cache(w->req_sk, family, &cache) < 0)
		return CONFINE_PRIO_DEFAULT;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *r = (struct rtnl_rule *)o;

		if (rtnl_rule_get_table(r) == RT_TABLE_LOCAL &&
		    rtnl_rule_get_action(r) == FR_ACT_TO_TBL &&
		    rtnl_rule_get_prio(r) < prio)
			prio = rtnl_rule_get_prio(r);
	}
	nl_cache_free(cache);
	if (prio >= UINT32_MAX - 2)
		return CONFINE_PRIO_DEFAULT;
	return prio + 1;
}

/* One of the two rules; dst NULL for the blackhole. */
static struct rtnl_rule *confine_rule(int family, const char *ifname,
				      const union wgw_addr *dst, uint32_t prio)
{
	struct rtnl_rule *r = rtnl_rule_alloc();
	struct nl_addr *a = NULL;

	if (!r)
		return NULL;
	rtnl_rule_set_family(r, family);
	if (rtnl_rule_set_iif(r, ifname) < 0 ||
	    rtnl_rule_set_protocol(r, WGW_RTPROT) < 0)
		goto err;
	if (prio)
		rtnl_rule_set_prio(r, prio);
	if (dst) {
		a = wgw_nl_addr_build(dst);
		if (!a || rtnl_rule_set_dst(r, a) < 0)
			goto err;
		nl_addr_put(a);
		rtnl_rule_set_table(r, RT_TABLE_MAIN);
		rtnl_rule_set_action(r, FR_ACT_TO_TBL);
	} else {
		rtnl_rule_set_action(r, FR_ACT_BLACKHOLE);
	}
	return r;
err:
	if (a)
		nl_addr_put(a);
	rtnl_rule_put(r);
	return NULL;
}

static int rule_op(struct wgw_nl_watcher *w, struct rtnl_rule *r, bool add,
		   const char *what)
{
	struct nl_msg *msg = NULL;
	int err;

	if (add)
		err = rtnl_rule_build_add_request(r, NLM_F_CREATE | NLM_F_EXCL, &msg);
	else
		err = rtnl_rule_build_delete_request(r, 0, &msg);
	if (err < 0)
		return wgw_nlerr_errno(err);
	err = wgw_rtnl_req(w, msg, what);
	nlmsg_free(msg);
	return err;
}

/* Remove every rule of the gateway's on ifname; *n: how many. */
static int confine_delete(struct wgw_nl_watcher *w, int family, const char *ifname,
			  unsigned *n)
{
	struct rtnl_rule *r = confine_rule(family, ifname, NULL, 0);
	int err = 0;

	*n = 0;
	if (!r)
		return -ENOMEM;
	/*
	 * A delete request with only the interface and the protocol matches
	 * any rule with both (the kernel's rule_find() compares what the
	 * request carries): the gateway's, whatever their action.
	 */
	rtnl_rule_set_action(r, 0);
	while (*n < CONFINE_DEL_MAX) {
		err = rule_op(w, r, false, NULL);
		if (err)
			break;
		(*n)++;
	}
	rtnl_rule_put(r);
	return err == -ENOENT || err == -ESRCH ? 0 : err;
}

int wgw_nl_confine_flush(struct wgw_nl_watcher *w, int family, const char *ifname)
{
	unsigned n;
	int err = confine_delete(w, family, ifname, &n);

	if (n)
		wgw_notice("removed %u forwarding rule%s that an earlier run left on %s",
			   n, n == 1 ? "" : "s", ifname);
	return err;
}

int wgw_nl_confine(struct wgw_nl_watcher *w, struct wgw_nl_confine *c,
		   const char *ifname, const union wgw_addr *addr)
{
	int family = family_of(addr);
	struct rtnl_rule *pass = NULL, *hole = NULL;
	char what[96], a[INET6_ADDRSTRLEN];
	int err;

	memset(c, 0, sizeof(*c));
	if (strlen(ifname) >= sizeof(c->ifname))
		return -EINVAL;
	snprintf(c->ifname, sizeof(c->ifname), "%s", ifname);
	c->addr = *addr;
	err = wgw_nl_confine_flush(w, family, ifname);
	if (err)
		return err;
	c->prio = confine_prio(w, family);
	pass = confine_rule(family, ifname, addr, c->prio);
	hole = confine_rule(family, ifname, NULL, c->prio + 1);
	if (!pass || !hole) {
		err = -ENOMEM;
		goto out;
	}
	/* The blackhole first: no moment where the pass rule stands alone
	 * matters, but a pass rule without its blackhole would. */
	snprintf(what, sizeof(what), "rule %u: iif %s blackhole", c->prio + 1, ifname);
	err = rule_op(w, hole, true, what);
	if (err)
		goto out;
	c->added = true;
	snprintf(what, sizeof(what), "rule %u: iif %s to %s lookup main", c->prio, ifname,
		 wgw_nl_addr_str(addr, a, sizeof(a)));
	err = rule_op(w, pass, true, what);
	if (err) {
		wgw_nl_unconfine(w, c);
		goto out;
	}
	wgw_dbg("forwarding from %s confined to %s (rules %u, %u)", ifname, a, c->prio,
		c->prio + 1);
out:
	if (pass)
		rtnl_rule_put(pass);
	if (hole)
		rtnl_rule_put(hole);
	return err;
}

int wgw_nl_confine_add(struct wgw_nl_watcher *w, struct wgw_nl_confine *c,
		       const union wgw_addr *addr)
{
	struct rtnl_rule *pass;
	char what[96], a[INET6_ADDRSTRLEN];
	int err;

	if (!c->added || family_of(addr) != family_of(&c->addr))
		return -EINVAL;
	pass = confine_rule(family_of(addr), c->ifname, addr, c->prio);
	if (!pass)
		return -ENOMEM;
	snprintf(what, sizeof(what), "rule %u: iif %s to %s lookup main", c->prio, c->ifname,
		 wgw_nl_addr_str(addr, a, sizeof(a)));
	err = rule_op(w, pass, true, what);
	rtnl_rule_put(pass);
	return err;
}

int wgw_nl_unconfine(struct wgw_nl_watcher *w, struct wgw_nl_confine *c)
{
	unsigned n;
	int err;

	if (!c->added)
		return 0;
	err = confine_delete(w, family_of(&c->addr), c->ifname, &n);
	if (err)
		wgw_err("forwarding rules on %s: %s", c->ifname, strerror(-err));
	else
		c->added = false;
	return err;
}
