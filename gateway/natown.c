// SPDX-License-Identifier: GPL-2.0-only
/*
 * Ownership of the NAT address on the LAN (daemon_internal.h): the TUN
 * device that holds it, a host route that keeps it off the LAN itself, a
 * proxy neighbour entry so backends' ARP/NDP for it is answered, and the
 * per-interface sysctls and forwarding rules that make the kernel answer
 * for it and for nothing else.  A pool of NAT addresses (--nat given a
 * range or repeated): each is owned the same way, through the same TUN
 * device and rules.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fallback/tun.h"
#include "gateway/daemon.h"
#include "gateway/daemon_internal.h"
#include "gateway/log.h"

/* The gateway owns the NAT address on the LAN: a host route that keeps it
 * off the LAN itself, a proxy neighbour entry so backends' ARP/NDP for it
 * is answered, and the per-interface sysctls that make the kernel answer. */
/*
 * The neighbour settings that make the kernel answer for the NAT address
 * at once and always:
 *  - proxy_delay 0: a proxied ARP/NS answer is otherwise held back by a
 *    random delay of up to 0.8 s meant for routers;
 *  - IPv6 conf.all.proxy_ndp: a backend's unicast NUD probe is addressed
 *    to G itself, so the kernel takes it down the forwarding path, and
 *    ip6_forward() answers proxied addresses only when the "all" switch
 *    is on (the per-interface one is not looked at there).  Without it
 *    the backends' entry for G goes FAILED every half minute and the
 *    replies queued behind it are lost.  It applies only where a proxy
 *    entry exists, and it is restored at exit like every other setting.
 */
static int nat_proxy_sysctls(struct wgw_daemon *d, const char *lan, bool v4)
{
	char path[WGW_SYSCTL_PATH_LEN];
	int err;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/neigh/%.16s/proxy_delay",
		 v4 ? "ipv4" : "ipv6", lan);
	err = wgw_sysctl_path_set(&d->sysctls, path, "0");
	if (err)
		wgw_warn("%s: %s: proxy answers will be delayed", path, strerror(-err));
	if (!v4) {
		err = wgw_sysctl_path_set(&d->sysctls,
					  "/proc/sys/net/ipv6/conf/all/proxy_ndp", "1");
		if (err) {
			wgw_err("net.ipv6.conf.all.proxy_ndp: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * Owning G needs forwarding on the LAN interface, and forwarding is per
 * receiving interface: without more, every LAN host could route through
 * the gateway to any address it knows (clients included, un-NATed).  The
 * rules of netlink/confine.c go in first, so that from the LAN only G is
 * ever forwarded.  An interface that already forwards was made a router
 * by its operator: that is left as it is, and said.
 */
static int nat_confine(struct wgw_daemon *d, const char *lan, bool v4)
{
	char path[WGW_SYSCTL_PATH_LEN], val[WGW_SYSCTL_VAL_LEN];
	int err;

	err = wgw_sysctl_if_path(path, sizeof(path), v4 ? "ipv4" : "ipv6", lan, "forwarding");
	if (!err)
		err = wgw_sysctl_read(path, val, sizeof(val));
	if (!err && strcmp(val, "0")) {
		wgw_notice("%s already forwards (net.%s.conf.%s.forwarding=%s): the host routes "
			   "for the LAN by its operator's choice, the gateway adds no rules",
			   lan, v4 ? "ipv4" : "ipv6", lan, val);
		return 0;
	}
	err = wgw_nl_confine(d->nl, &d->confine, lan, &d->cfg.nat);
	for (unsigned i = 0; !err && i < d->cfg.n_nat_pool; i++)
		err = wgw_nl_confine_add(d->nl, &d->confine, &d->cfg.nat_pool[i]);
	if (err) {
		wgw_err("NAT address: cannot confine forwarding on %s to it: %s", lan,
			strerror(-err));
		wgw_nl_unconfine(d->nl, &d->confine);
		return err;
	}
	wgw_journal_write(d);
	return 0;
}

/* The pool's addresses after the first: claimed as it is, each. */
static int nat_claim_pool(struct wgw_daemon *d, int route_ifindex, int proxy_ifindex)
{
	char a[INET6_ADDRSTRLEN];
	int err;

	for (unsigned i = d->n_pool_claimed; i < d->cfg.n_nat_pool; i++) {
		err = wgw_nl_claim(d->nl, &d->pool_claim[i], &d->cfg.nat_pool[i], route_ifindex,
				   proxy_ifindex);
		if (err) {
			wgw_err("NAT address %s: %s",
				wgw_addr_str(&d->cfg.nat_pool[i], a, sizeof(a)), strerror(-err));
			return err;
		}
		d->n_pool_claimed = i + 1;
	}
	return 0;
}

static void nat_release_pool(struct wgw_daemon *d)
{
	while (d->n_pool_claimed)
		wgw_nl_release(d->nl, &d->pool_claim[--d->n_pool_claimed]);
}

int wgw_nat_claim(struct wgw_daemon *d)
{
	struct wgw_iface *lan = wgw_iface_of(d, WGW_SIDE_LAN);
	bool v4 = wgw_addr_is_v4(&d->cfg.nat);
	char a[INET6_ADDRSTRLEN];
	const char *tun;
	int err;

	/* The TUN device owns G in every mode: the kernel answers ARP/NDP
	 * for G on the LAN because its route leaves by another interface,
	 * and what XDP does not steer reaches the fallback port. */
	d->tun = wgw_tun_open("wgw%d", d->nworkers, lan->mtu);
	if (!d->tun) {
		wgw_err("TUN device for the NAT address: %s", strerror(errno));
		return -errno;
	}
	tun = wgw_tun_name(d->tun);
	err = nat_confine(d, lan->name, v4);
	if (err)
		return err;
	err = wgw_sysctl_inside_owner(&d->sysctls, lan->name, tun, v4, !v4);
	if (err) {
		wgw_err("NAT address: interface settings on %s and %s: %s", lan->name, tun,
			err == -EOPNOTSUPP ? "this kernel has no per-interface IPv6 "
			"force_forwarding (needs 6.17)" : strerror(-err));
		return err;
	}
	err = nat_proxy_sysctls(d, lan->name, v4);
	if (err)
		return err;
	wgw_journal_write(d);
	err = wgw_nl_claim(d->nl, &d->claim, &d->cfg.nat, wgw_tun_ifindex(d->tun),
			   lan->ifindex);
	if (err) {
		wgw_err("NAT address %s on %s: %s", wgw_addr_str(&d->cfg.nat, a, sizeof(a)),
			lan->name, strerror(-err));
		return err;
	}
	d->claimed = true;
	err = nat_claim_pool(d, wgw_tun_ifindex(d->tun), lan->ifindex);
	wgw_journal_write(d);
	return err;
}

void wgw_nat_release(struct wgw_daemon *d)
{
	nat_release_pool(d);
	if (d->claimed) {
		wgw_nl_release(d->nl, &d->claim);
		d->claimed = false;
	}
	wgw_sysctl_restore(&d->sysctls);
	wgw_nl_unconfine(d->nl, &d->confine);
	if (d->tun) {
		wgw_tun_close(d->tun);
		d->tun = NULL;
	}
}

/* The LAN device was created again: its per-interface settings and the
 * proxy entry went with the old one. */
int wgw_nat_reclaim(struct wgw_daemon *d)
{
	struct wgw_iface *lan = wgw_iface_of(d, WGW_SIDE_LAN);
	bool v4 = wgw_addr_is_v4(&d->cfg.nat);
	int err;

	err = wgw_sysctl_inside_owner(&d->sysctls, lan->name, wgw_tun_name(d->tun), v4, !v4);
	if (err)
		return err;
	err = nat_proxy_sysctls(d, lan->name, v4);
	if (err)
		return err;
	nat_release_pool(d);
	if (d->claimed) {
		wgw_nl_release(d->nl, &d->claim);
		d->claimed = false;
	}
	wgw_journal_write(d);
	err = wgw_nl_claim(d->nl, &d->claim, &d->cfg.nat, wgw_tun_ifindex(d->tun),
			   lan->ifindex);
	if (err)
		return err;
	d->claimed = true;
	err = nat_claim_pool(d, wgw_tun_ifindex(d->tun), lan->ifindex);
	wgw_journal_write(d);
	return err;
}

/* The LAN came up again: its proxy entries went down with it. */
int wgw_nat_reproxy(struct wgw_daemon *d)
{
	int err = wgw_nl_claim(d->nl, &d->claim, &d->cfg.nat, d->claim.route_ifindex,
			       d->claim.proxy_ifindex);

	for (unsigned i = 0; !err && i < d->n_pool_claimed; i++)
		err = wgw_nl_claim(d->nl, &d->pool_claim[i], &d->cfg.nat_pool[i],
				   d->pool_claim[i].route_ifindex, d->pool_claim[i].proxy_ifindex);
	return err;
}
