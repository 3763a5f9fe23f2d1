// SPDX-License-Identifier: GPL-2.0-only
/*
 * netlink/ against the live kernel.  Every test runs in its own forked
 * child (Check's fork mode) inside a private network namespace
 * (unshare(CLONE_NEWNET)) that vanishes with the child; a second private
 * namespace, held by a helper process, plays the LAN peer.  Needs root:
 * exits 77 (skip) without it.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/wait.h>
#include <linux/neighbour.h>
#include <linux/netdev.h>

#include "gateway/log.h"
#include "netlink/ethtool.h"
#include "netlink/genl.h"
#include "netlink/ifprep.h"
#include "netlink/netdev.h"
#include "netlink/probe.h"
#include "netlink/rtnl.h"
#include "netlink/sysctl.h"

/* Interface names: private namespaces, so fixed names cannot collide. */
#define VA "wgwla"	/* ours, 4 queues */
#define VB "wgwlb"	/* the peer's end */

/* --------------------------------------------------------- helpers */

static void run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

/* The first line of a command's output ("" when none). */
static void capture(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void capture(char *out, size_t len, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	FILE *p;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Each test starts in a fresh namespace with a 4-queue veth pair. */
static void netns_setup(void)
{
	wgw_log_init("test_netlink_live", 0, LOG_NOTICE);
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s",
		      strerror(errno));
	run("ip link set lo up");
	/* A neighbour solicitation needs a link-local source that is no
	 * longer tentative: no DAD in these throw-away namespaces. */
	run("sysctl -qw net.ipv6.conf.default.accept_dad=0");
	run("ip link add name " VA " numtxqueues 4 numrxqueues 4 type veth "
	    "peer name " VB " numtxqueues 4 numrxqueues 4");
	run("ip link set " VA " up && ip link set " VB " up");
}

static void netns_teardown(void)
{
}

/* The LAN peer: a process in a namespace of its own, alive until
 * peer_stop() (or until we die: it reads a pipe we hold). */
struct peer {
	pid_t pid;
	int hold;
};

static void peer_start(struct peer *p)
{
	int ready[2], hold[2];
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(hold), 0);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		close(ready[0]);
		close(hold[1]);
		if (unshare(CLONE_NEWNET))
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		while (read(hold[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	p->hold = hold[1];
	/* Move the peer's end over and address both ends. */
	run("nsenter -t %d -n sysctl -qw net.ipv6.conf.default.accept_dad=0",
	    (int)p->pid);
	run("ip link set " VB " netns %d", (int)p->pid);
	run("nsenter -t %d -n sh -c 'ip link set lo up && ip link set " VB
	    " up && ip addr add 10.1.0.2/24 dev " VB " && "
	    "ip addr add 2001:db8:1::2/64 dev " VB " nodad'", (int)p->pid);
	run("ip addr add 10.1.0.1/24 dev " VA);
	run("ip addr add 2001:db8:1::1/64 dev " VA " nodad");
}

static void peer_stop(struct peer *p)
{
	close(p->hold);
	waitpid(p->pid, NULL, 0);
}

static void addr_of(union wgw_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->w[3]) == 1) {
		a->w[2] = htonl(0xffff);
		return;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, s, a->b), 1);
}

/* sysfs shows the namespace it was mounted in, not ours: ask ip. */
#define MAC_CMD(dev) "ip -br link show dev " dev " | awk '{print $3}'"

/* The MAC a command prints first. */
static void mac_of(uint8_t mac[6], const char *cmd)
{
	char out[64];
	unsigned m[6];
	int i;

	capture(out, sizeof(out), "%s", cmd);
	ck_assert_int_eq(sscanf(out, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2],
				&m[3], &m[4], &m[5]), 6);
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
}

/* ---------------------------------------------------- change recorder */

#define MAX_SEEN 512
struct seen {
	int n;
	int resyncs;
	long events;
	struct wgw_nl_change c[MAX_SEEN];
};

static void record(const struct wgw_nl_change *c, void *arg)
{
	struct seen *s = arg;

	s->events++;
	if (c->event == WGW_NL_EV_RESYNC)
		s->resyncs++;
	if (s->n < MAX_SEEN)
		s->c[s->n++] = *c;
}

struct want {
	enum wgw_nl_event ev;
	enum wgw_nl_action action;	/* 0: any */
	int ifindex;			/* 0: any */
	uint32_t link_changed;		/* all of these bits */
	int up;				/* -1: any */
	uint32_t mtu;			/* 0: any */
	bool match_addr;
	union wgw_addr addr;
	uint16_t nud_mask;		/* 0: any */
};

static bool matches(const struct wgw_nl_change *c, const struct want *w)
{
	if (c->event != w->ev || (w->action && c->action != w->action) ||
	    (w->ifindex && c->ifindex != w->ifindex))
		return false;
	if ((c->link_changed & w->link_changed) != w->link_changed)
		return false;
	if (w->up >= 0 && c->up != (bool)w->up)
		return false;
	if (w->mtu && c->mtu != w->mtu)
		return false;
	if (w->match_addr && !wgw_addr_eq(&c->addr, &w->addr))
		return false;
	if (w->nud_mask && !(c->nud_state & w->nud_mask))
		return false;
	return true;
}

/* Process events until one matching w arrives after index from.
 * Returns the milliseconds it took, or -1 after timeout_ms. */
static long wait_change(struct wgw_nl_watcher *nl, struct seen *s, int from,
			const struct want *w, int timeout_ms)
{
	long t0 = now_ms(), left;
	int i = from;

	for (;;) {
		for (; i < s->n; i++)
			if (matches(&s->c[i], w))
				return now_ms() - t0;
		left = timeout_ms - (now_ms() - t0);
		if (left <= 0)
			return -1;
		ck_assert_int_ge(wgw_nl_watcher_wait(nl, (int)left), 0);
	}
}

/* ------------------------------------------------------------ ethtool */

START_TEST(channels_get_set)
{
	struct wgw_ethnl_vals v, set = { 0 };
	struct wgw_genl g;
	int idx = (int)if_nametoindex(VA);

	ck_assert_int_eq(wgw_genl_open(&g), 0);
	ck_assert_uint_ne(g.ethtool_id, 0);
	ck_assert_int_eq(wgw_ethtool_get(&g, WGW_ETHNL_CHANNELS, idx, &v), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_RX_MAX), 4);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_TX_MAX), 4);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_RX_COUNT), 4);

	wgw_ethnl_set(&set, ETHTOOL_A_CHANNELS_RX_COUNT, 2);
	wgw_ethnl_set(&set, ETHTOOL_A_CHANNELS_TX_COUNT, 3);
	ck_assert_int_eq(wgw_ethtool_set(&g, WGW_ETHNL_CHANNELS, idx, &set), 0);
	ck_assert_int_eq(wgw_ethtool_get(&g, WGW_ETHNL_CHANNELS, idx, &v), 0);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_RX_COUNT), 2);
	ck_assert_uint_eq(wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_TX_COUNT), 3);

	/* Beyond the maximum: refused, with the kernel's reason. */
	memset(&set, 0, sizeof(set));
	wgw_ethnl_set(&set, ETHTOOL_A_CHANNELS_RX_COUNT, 9);
	ck_assert_int_eq(wgw_ethtool_set(&g, WGW_ETHNL_CHANNELS, idx, &set),
			 -EINVAL);
	fprintf(stderr, "observed: channels rx 9 on veth: ext-ack \"%s\"\n",
		g.sk.ack.msg);
	ck_assert_str_ne(g.sk.ack.msg, "");
	/* combined: veth has none to set */
	memset(&set, 0, sizeof(set));
	wgw_ethnl_set(&set, ETHTOOL_A_CHANNELS_COMBINED_COUNT, 2);
	fprintf(stderr, "observed: channels combined 2 on veth: %s%s\n",
		strerror(-wgw_ethtool_set(&g, WGW_ETHNL_CHANNELS, idx, &set)),
		wgw_nlsock_why(&g.sk));
	/* A device that does not exist. */
	ck_assert_int_eq(wgw_ethtool_get(&g, WGW_ETHNL_CHANNELS, 999999, &v),
			 -ENODEV);
	wgw_genl_close(&g);
}
END_TEST

START_TEST(rings_refused_reported)
{
	struct wgw_ethnl_vals v, set = { 0 };
	struct wgw_ifprep_cfg cfg = { .rx_ring = 512, .tx_ring = 512,
				      .coalesce =
					      WGW_COALESCE_PROFILE_LOW_LATENCY };
	struct wgw_ifprep st;
	struct wgw_genl g;
	int idx = (int)if_nametoindex(VA);

	ck_assert_int_eq(wgw_genl_open(&g), 0);
	ck_assert_int_eq(wgw_ethtool_get(&g, WGW_ETHNL_RINGS, idx, &v),
			 -EOPNOTSUPP);
	wgw_ethnl_set(&set, ETHTOOL_A_RINGS_RX, 512);
	ck_assert_int_eq(wgw_ethtool_set(&g, WGW_ETHNL_RINGS, idx, &set),
			 -EOPNOTSUPP);
	/* Interface preparation reports and goes on. */
	ck_assert_int_eq(wgw_ifprep_apply(&g, idx, VA, &cfg, &st), 0);
	ck_assert(st.unsupported & WGW_IFPREP_RINGS);
	ck_assert(!(st.done & WGW_IFPREP_RINGS));
	fprintf(stderr, "observed: coalescing on veth: %s\n",
		(st.unsupported & WGW_IFPREP_COALESCE) ? "not supported"
						       : "set");
	ck_assert_int_eq(wgw_ifprep_restore(&g, &st), 0);
	wgw_genl_close(&g);
}
END_TEST

START_TEST(xdp_features_and_probe)
{
	struct wgw_xdp_caps caps;
	struct wgw_probe p;
	struct wgw_genl g;
	char s[128];
	int idx = (int)if_nametoindex(VA);

	ck_assert_int_eq(wgw_genl_open(&g), 0);
	ck_assert_uint_ne(g.netdev_id, 0);
	ck_assert_int_eq(wgw_netdev_get(&g, idx, &caps), 0);
	fprintf(stderr, "observed: veth xdp-features: %s (have 0x%x)\n",
		wgw_xdp_features_str(caps.xdp_features, s, sizeof(s)),
		caps.have);
	ck_assert(caps.xdp_features & NETDEV_XDP_ACT_BASIC);
	ck_assert(caps.xdp_features & NETDEV_XDP_ACT_REDIRECT);
	ck_assert(!(caps.xdp_features & NETDEV_XDP_ACT_XSK_ZEROCOPY));
	ck_assert_int_eq(wgw_netdev_get(&g, 1 /* lo */, &caps), 0);
	ck_assert(!(caps.xdp_features & NETDEV_XDP_ACT_REDIRECT));
	ck_assert_int_eq(wgw_netdev_get(&g, 999999, &caps), -ENODEV);
	wgw_genl_close(&g);

	ck_assert_int_eq(wgw_probe(VA, 2048, 256, &p), 0);
	ck_assert_uint_eq(p.queues, 4);
	ck_assert_uint_eq(p.queues_max, 4);
	ck_assert(!p.zerocopy);
	ck_assert_int_eq(p.rung, WGW_RUNG_XDP_COPY);
	ck_assert_int_eq(p.rings_err, -EOPNOTSUPP);
	ck_assert_str_eq(p.driver, "veth");
	ck_assert(p.mtu_ok);
	ck_assert_int_eq(wgw_probe("lo", 2048, 256, &p), 0);
	ck_assert_int_eq(p.rung, WGW_RUNG_FALLBACK);
	ck_assert_int_eq(wgw_probe("nosuchif0", 2048, 256, &p), -ENODEV);
	/* An MTU above what a 2048-byte frame holds drops to fallback. */
	run("ip link set " VA " mtu 1800");
	ck_assert_int_eq(wgw_probe(VA, 2048, 256, &p), 0);
	ck_assert(!p.mtu_ok);
	ck_assert_int_eq(p.rung, WGW_RUNG_FALLBACK);
	/*
	 * The geometry is the caller's: 1600 fits a 2048-byte frame without
	 * UMEM headroom (up to 1774) but not with the daemon's default 256
	 * (up to 1518), where an XDP rung would make the daemon fail with
	 * EMSGSIZE instead of stepping down.
	 */
	run("ip link set " VA " mtu 1600");
	ck_assert_int_eq(wgw_probe(VA, 2048, 0, &p), 0);
	ck_assert(p.mtu_ok);
	ck_assert_int_eq(p.rung, WGW_RUNG_XDP_COPY);
	ck_assert_int_eq(wgw_probe(VA, 2048, 256, &p), 0);
	ck_assert(!p.mtu_ok);
	ck_assert_uint_eq(p.xdp_max_mtu, 1518);
	ck_assert_int_eq(p.rung, WGW_RUNG_FALLBACK);
	ck_assert_int_eq(wgw_probe(VA, 4096, 256, &p), 0);
	ck_assert_int_eq(p.rung, WGW_RUNG_XDP_COPY);
}
END_TEST

static uint32_t channels_rx(struct wgw_genl *g, int idx)
{
	struct wgw_ethnl_vals v;

	ck_assert_int_eq(wgw_ethtool_get(g, WGW_ETHNL_CHANNELS, idx, &v), 0);
	return wgw_ethnl_get(&v, ETHTOOL_A_CHANNELS_RX_COUNT);
}

static int feature_on(struct wgw_genl *g, int idx, const char *name)
{
	struct wgw_features f;

	ck_assert_int_eq(wgw_ethtool_features_get(g, idx, &f), 0);
	return wgw_features_active(&f, name);
}

START_TEST(ifprep_apply_restore)
{
	static const char *const off[] = { "tx-checksum-ip-generic",
					   "rx-lro", "no-such-feature", NULL };
	struct wgw_ifprep_cfg cfg = { .queues = 2, .features_off = off };
	struct wgw_ifprep st;
	struct wgw_genl g;
	int idx = (int)if_nametoindex(VA);

	ck_assert_int_eq(wgw_genl_open(&g), 0);
	ck_assert_int_eq(feature_on(&g, idx, "tx-checksum-ip-generic"), 1);
	ck_assert_uint_eq(channels_rx(&g, idx), 4);

	ck_assert_int_eq(wgw_ifprep_apply(&g, idx, VA, &cfg, &st), 0);
	ck_assert_uint_eq(channels_rx(&g, idx), 2);
	ck_assert_int_eq(feature_on(&g, idx, "tx-checksum-ip-generic"), 0);
	ck_assert(st.done & WGW_IFPREP_CHANNELS);
	ck_assert(st.done & WGW_IFPREP_FEATURES);

	ck_assert_int_eq(wgw_ifprep_restore(&g, &st), 0);
	ck_assert_uint_eq(channels_rx(&g, idx), 4);
	ck_assert_int_eq(feature_on(&g, idx, "tx-checksum-ip-generic"), 1);
	ck_assert_uint_eq(st.done, 0);
	/* A second restore has nothing left to do. */
	ck_assert_int_eq(wgw_ifprep_restore(&g, &st), 0);
	wgw_genl_close(&g);
}
END_TEST

START_TEST(ifprep_failed_start_restores)
{
	static const char *const off[] = { "tx-checksum-ip-generic", NULL };
	struct wgw_ifprep_cfg cfg = { .queues = 5, .features_off = off };
	struct wgw_ifprep st;
	struct wgw_genl g;
	int idx = (int)if_nametoindex(VA);

	ck_assert_int_eq(wgw_genl_open(&g), 0);
	/* Offloads go first and succeed; 5 queues on a 4-queue device
	 * fail; the offloads must be back on. */
	ck_assert_int_eq(wgw_ifprep_apply(&g, idx, VA, &cfg, &st), -ERANGE);
	ck_assert_uint_eq(st.done, 0);
	ck_assert_int_eq(feature_on(&g, idx, "tx-checksum-ip-generic"), 1);
	ck_assert_uint_eq(channels_rx(&g, idx), 4);
	wgw_genl_close(&g);
}
END_TEST

/* --------------------------------------------------------- rtnetlink */

START_TEST(link_changes_seen)
{
	static struct seen s;
	struct wgw_nl_watcher *nl = wgw_nl_watcher_open(record, &s);
	struct wgw_nl_link l;
	struct want w = { .ev = WGW_NL_EV_LINK, .action = WGW_NL_CHANGED,
			  .up = -1 };
	int idx = (int)if_nametoindex(VA), from;
	long ms;

	ck_assert_ptr_nonnull(nl);
	ck_assert_int_eq(wgw_nl_link_by_name(nl, VA, &l), 0);
	ck_assert_int_eq(l.ifindex, idx);
	ck_assert(l.flags & IFF_UP);
	ck_assert(l.has_mac);
	w.ifindex = idx;

	/* down and up by someone else */
	from = s.n;
	run("ip link set " VA " down");
	w.link_changed = WGW_NL_LINK_UP_CHANGED;
	w.up = 0;
	ms = wait_change(nl, &s, from, &w, 1000);
	ck_assert_msg(ms >= 0, "link down not seen within 1 s");
	fprintf(stderr, "observed: link down seen after %ld ms\n", ms);
	ck_assert_int_eq(wgw_nl_link_get(nl, idx, &l), 0);
	ck_assert(!(l.flags & IFF_UP));
	from = s.n;
	ck_assert_int_eq(wgw_nl_link_set_up(nl, idx, true), 0);
	w.up = 1;
	ms = wait_change(nl, &s, from, &w, 1000);
	ck_assert_msg(ms >= 0, "link up not seen within 1 s");
	ck_assert_int_eq(wgw_nl_link_get(nl, idx, &l), 0);
	ck_assert(l.flags & IFF_UP);
	/* and by us, down */
	from = s.n;
	ck_assert_int_eq(wgw_nl_link_set_up(nl, idx, false), 0);
	w.up = 0;
	ck_assert_msg(wait_change(nl, &s, from, &w, 1000) >= 0,
		      "own link down not seen");
	run("ip link set " VA " up");

	/* MTU */
	from = s.n;
	ck_assert_int_eq(wgw_nl_link_set_mtu(nl, idx, 1400), 0);
	w.up = -1;
	w.link_changed = WGW_NL_LINK_MTU_CHANGED;
	w.mtu = 1400;
	ck_assert_msg(wait_change(nl, &s, from, &w, 1000) >= 0,
		      "MTU change not seen");
	/* MAC */
	from = s.n;
	run("ip link set " VA " address 02:00:00:aa:bb:cc");
	w.link_changed = WGW_NL_LINK_MAC_CHANGED;
	w.mtu = 0;
	ck_assert_msg(wait_change(nl, &s, from, &w, 1000) >= 0,
		      "MAC change not seen");
	ck_assert_int_eq(wgw_nl_link_get(nl, idx, &l), 0);
	ck_assert_uint_eq(l.mac[5], 0xcc);
	/* A refused change says so. */
	ck_assert_int_eq(wgw_nl_link_set_mtu(nl, idx, 70000), -EINVAL);
	ck_assert_int_eq(wgw_nl_link_set_up(nl, 999999, true), -ENODEV);
	wgw_nl_watcher_close(nl);
}
END_TEST

START_TEST(neigh_and_route_changes_seen)
{
	static struct seen s;
	struct wgw_nl_watcher *nl = wgw_nl_watcher_open(record, &s);
	struct want w = { .ev = WGW_NL_EV_NEIGH, .up = -1,
			  .match_addr = true };
	int idx = (int)if_nametoindex(VA), from;
	long ms;

	ck_assert_ptr_nonnull(nl);
	run("ip addr add 10.1.0.1/24 dev " VA);
	w.ifindex = idx;
	addr_of(&w.addr, "10.1.0.7");
	from = s.n;
	run("ip neigh replace 10.1.0.7 lladdr 02:00:00:00:00:07 dev " VA
	    " nud permanent");
	w.action = WGW_NL_ADDED;
	w.nud_mask = NUD_PERMANENT;
	ms = wait_change(nl, &s, from, &w, 1000);
	ck_assert_msg(ms >= 0, "neighbour add not seen within 1 s");
	fprintf(stderr, "observed: neighbour add seen after %ld ms\n", ms);
	from = s.n;
	run("ip neigh replace 10.1.0.7 lladdr 02:00:00:00:00:08 dev " VA
	    " nud reachable");
	w.action = WGW_NL_CHANGED;
	w.nud_mask = NUD_REACHABLE;
	ck_assert_msg(wait_change(nl, &s, from, &w, 1000) >= 0,
		      "neighbour change not seen within 1 s");
	from = s.n;
	run("ip neigh del 10.1.0.7 dev " VA);
	w.action = WGW_NL_REMOVED;
	w.nud_mask = 0;
	ck_assert_msg(wait_change(nl, &s, from, &w, 1000) >= 0,
		      "neighbour removal not seen");

	/* routes */
	memset(&w, 0, sizeof(w));
	w.ev = WGW_NL_EV_ROUTE;
	w.up = -1;
	w.match_addr = true;
	addr_of(&w.addr, "192.0.2.0");
	from = s.n;
	run("ip route add 192.0.2.0/24 via 10.1.0.9");
	w.action = WGW_NL_ADDED;
	ck_assert_msg(wait_change(nl, &s, from, &w, 1000) >= 0,
		      "route add not seen within 1 s");
	ck_assert_uint_eq(s.c[s.n - 1].prefix_len, 24);
	from = s.n;
	run("ip route del 192.0.2.0/24");
	w.action = WGW_NL_REMOVED;
	ck_assert_msg(wait_change(nl, &s, from, &w, 1000) >= 0,
		      "route removal not seen within 1 s");
	wgw_nl_watcher_close(nl);
}
END_TEST

START_TEST(nexthop_resolution)
{
	static struct seen s;
	struct wgw_nl_watcher *nl;
	struct wgw_nexthop nh;
	struct peer peer;
	struct want w = { .ev = WGW_NL_EV_NEIGH, .up = -1,
			  .match_addr = true };
	union wgw_addr dst, want;
	uint8_t mac_a[6], mac_b[6];
	char out[256];
	int idx = (int)if_nametoindex(VA), err, from;
	long ms;

	peer_start(&peer);
	nl = wgw_nl_watcher_open(record, &s);
	ck_assert_ptr_nonnull(nl);
	mac_of(mac_a, MAC_CMD(VA));
	snprintf(out, sizeof(out), "nsenter -t %d -n " MAC_CMD(VB),
		 (int)peer.pid);
	mac_of(mac_b, out);

	/* On-link, unknown: pending, and the kernel was asked. */
	addr_of(&dst, "10.1.0.2");
	err = wgw_nl_nexthop(nl, &dst, &nh);
	ck_assert_int_eq(err, -EAGAIN);
	ck_assert_int_eq(nh.ifindex, idx);
	ck_assert(nh.onlink);
	ck_assert(wgw_addr_eq(&nh.via, &dst));
	ck_assert_mem_eq(nh.src_mac, mac_a, 6);
	/* The answer arrives through the cache. */
	w.ifindex = idx;
	w.addr = dst;
	w.nud_mask = NUD_REACHABLE;
	ms = wait_change(nl, &s, 0, &w, 1000);
	ck_assert_msg(ms >= 0, "neighbour not resolved within 1 s");
	fprintf(stderr, "observed: NTF_USE resolved 10.1.0.2 in %ld ms\n", ms);
	/* The peer saw our ARP request: it learnt us. */
	capture(out, sizeof(out), "nsenter -t %d -n ip neigh show 10.1.0.1",
		(int)peer.pid);
	ck_assert_msg(strstr(out, "lladdr"), "peer has no entry for us: %s",
		      out);
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), 0);
	ck_assert_mem_eq(nh.dst_mac, mac_b, 6);
	ck_assert_mem_eq(nh.src_mac, mac_a, 6);
	ck_assert_uint_eq(nh.mtu, 1500);
	ck_assert(nh.has_src);
	addr_of(&want, "10.1.0.1");
	ck_assert(wgw_addr_eq(&nh.src, &want));

	/* A STALE entry is used and re-confirmed: XDP traffic never
	 * refreshes it in the kernel, so we do (NTF_USE -> DELAY/PROBE). */
	run("sysctl -qw net.ipv4.neigh." VA ".delay_first_probe_time=1");
	run("ip neigh change 10.1.0.2 dev " VA " lladdr %02x:%02x:%02x:%02x:%02x:%02x nud stale",
	    mac_b[0], mac_b[1], mac_b[2], mac_b[3], mac_b[4], mac_b[5]);
	w.addr = dst;
	w.nud_mask = NUD_STALE;
	from = s.n;
	ck_assert_msg(wait_change(nl, &s, 0, &w, 1000) >= 0, "no STALE");
	from = s.n;
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), 0);
	ck_assert_uint_eq(nh.nud_state, NUD_STALE);
	ck_assert_mem_eq(nh.dst_mac, mac_b, 6);
	/* The kernel does not announce STALE -> DELAY; its table shows it,
	 * and the probe after delay_first_probe_time (1 s here) ends in a
	 * REACHABLE notification. */
	capture(out, sizeof(out), "ip neigh show 10.1.0.2 dev " VA);
	ck_assert_msg(strstr(out, "DELAY") || strstr(out, "PROBE") ||
		      strstr(out, "REACHABLE"), "not re-confirmed: %s", out);
	w.nud_mask = NUD_REACHABLE;
	ms = wait_change(nl, &s, from, &w, 3000);
	ck_assert_msg(ms >= 0, "STALE entry not re-confirmed");
	fprintf(stderr, "observed: STALE -> re-confirmed (state 0x%x) after %ld ms\n",
		s.c[s.n - 1].nud_state, ms);

	/* Through a route, and longest prefix over the default route. */
	run("ip route add default via 10.1.0.2");
	run("ip route add 198.51.100.0/24 via 10.1.0.3");
	addr_of(&dst, "203.0.113.9");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), 0);
	addr_of(&want, "10.1.0.2");
	ck_assert(wgw_addr_eq(&nh.via, &want));
	ck_assert(!nh.onlink);
	ck_assert_mem_eq(nh.dst_mac, mac_b, 6);

	/* 10.1.0.3 does not exist: pending, then failed.  Fast probes. */
	run("sysctl -qw net.ipv4.neigh." VA ".mcast_solicit=1 "
	    "net.ipv4.neigh." VA ".retrans_time_ms=100");
	addr_of(&dst, "198.51.100.1");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -EAGAIN);
	addr_of(&want, "10.1.0.3");
	ck_assert(wgw_addr_eq(&nh.via, &want));
	/* The kernel does not announce NONE -> INCOMPLETE; its table shows
	 * the entry NTF_USE created and started probing. */
	capture(out, sizeof(out), "ip neigh show 10.1.0.3 dev " VA);
	fprintf(stderr, "observed: after NTF_USE: %s", out);
	ck_assert_msg(strstr(out, "INCOMPLETE") || strstr(out, "FAILED"),
		      "no entry: resolution not started (%s)", out);
	w.addr = want;
	w.nud_mask = NUD_FAILED;
	ck_assert_msg(wait_change(nl, &s, 0, &w, 2000) >= 0,
		      "resolution of 10.1.0.3 never failed");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -EHOSTUNREACH);

	/* No route at all. */
	run("ip route del default");
	addr_of(&dst, "203.0.113.9");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -ENETUNREACH);
	run("ip route add unreachable 203.0.113.0/24");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -ENETUNREACH);
	run("ip route add blackhole 203.0.114.0/24");
	addr_of(&dst, "203.0.114.1");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -ENETUNREACH);
	addr_of(&dst, "10.1.0.1");	/* local */
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -ENETUNREACH);

	/* IPv6: on-link then through a route. */
	addr_of(&dst, "2001:db8:1::2");
	err = wgw_nl_nexthop(nl, &dst, &nh);
	ck_assert_msg(err == -EAGAIN || err == 0, "v6 nexthop: %d", err);
	w.addr = dst;
	w.nud_mask = NUD_REACHABLE;
	if (err == -EAGAIN && wait_change(nl, &s, 0, &w, 1000) < 0) {
		capture(out, sizeof(out), "ip -6 neigh show dev " VA);
		ck_abort_msg("IPv6 neighbour not resolved within 1 s: %s", out);
	}
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), 0);
	ck_assert_mem_eq(nh.dst_mac, mac_b, 6);
	run("ip -6 route add 2001:db8:99::/64 via 2001:db8:1::2");
	run("ip -6 route add 2001:db8::/32 via 2001:db8:1::3");
	addr_of(&dst, "2001:db8:99::5");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), 0);
	addr_of(&want, "2001:db8:1::2");
	ck_assert(wgw_addr_eq(&nh.via, &want));
	ck_assert_mem_eq(nh.dst_mac, mac_b, 6);
	addr_of(&dst, "2001:db8:77::5");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -EAGAIN);
	addr_of(&want, "2001:db8:1::3");
	ck_assert(wgw_addr_eq(&nh.via, &want));
	addr_of(&dst, "2001:db9::1");
	ck_assert_int_eq(wgw_nl_nexthop(nl, &dst, &nh), -ENETUNREACH);

	wgw_nl_watcher_close(nl);
	peer_stop(&peer);
}
END_TEST

/* Run cmd in a loop until the peer has a neighbour entry for addr with a
 * MAC (at most 2 s); true and *mac set when it does. */
static bool peer_learns(struct peer *p, const char *cmd, const char *addr,
			uint8_t mac[6])
{
	long t0 = now_ms();
	char out[256];
	unsigned m[6];
	int k;

	while (now_ms() - t0 < 2000) {
		if (system(cmd) < 0)
			return false;
		usleep(50 * 1000);
		capture(out, sizeof(out),
			"nsenter -t %d -n ip neigh show %s | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2",
			(int)p->pid, addr);
		if (sscanf(out, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2],
			   &m[3], &m[4], &m[5]) == 6) {
			for (k = 0; k < 6; k++)
				mac[k] = (uint8_t)m[k];
			return true;
		}
	}
	return false;
}

START_TEST(overrun_resyncs)
{
	static struct seen s;
	struct wgw_nl_watcher *nl = wgw_nl_watcher_open(record, &s);
	struct wgw_nl_link l;
	char path[] = "/tmp/wgw-nl-batch-XXXXXX";
	int fd, i, n;
	FILE *f;

	ck_assert_ptr_nonnull(nl);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	/* 20000 route notifications while nobody reads: far more than the
	 * event socket buffer (rmem_max bound) holds. */
	for (i = 0; i < 20000; i++)
		fprintf(f, "route add 10.%d.%d.0/24 dev " VA "\n", 100 + i / 256,
			i % 256);
	fclose(f);
	run("ip -batch %s", path);
	unlink(path);
	do {
		n = wgw_nl_watcher_wait(nl, 200);
		ck_assert_int_ge(n, 0);
	} while (n > 0);
	fprintf(stderr, "observed: flood: %ld events, %d resync(s)\n",
		s.events, s.resyncs);
	ck_assert_int_ge(s.resyncs, 1);
	/* Still current afterwards. */
	run("ip link set " VA " down");
	do {
		n = wgw_nl_watcher_wait(nl, 200);
		ck_assert_int_ge(n, 0);
	} while (n > 0);
	ck_assert_int_eq(wgw_nl_link_by_name(nl, VA, &l), 0);
	ck_assert(!(l.flags & IFF_UP));
	wgw_nl_watcher_close(nl);
}
END_TEST

static bool has_line(const char *cmd, const char *needle)
{
	char out[1024];

	capture(out, sizeof(out), "%s", cmd);
	return strstr(out, needle) != NULL;
}

START_TEST(claim_release)
{
	struct wgw_nl_watcher *nl = wgw_nl_watcher_open(NULL, NULL);
	struct wgw_sysctls sc = { 0 };
	struct wgw_nl_claim c4, c6, bad;
	union wgw_addr g4, g6;
	struct peer peer;
	uint8_t mac_a[6], mac_seen[6];
	char cmd[256], path[128];
	int lan = (int)if_nametoindex(VA), dummy;
	bool answered = false;

	ck_assert_ptr_nonnull(nl);
	peer_start(&peer);
	/* The device owning G: a veth (no dummy module here) standing in for
	 * the fallback's TUN. */
	run("ip link add name wgwld type veth peer name wgwle && "
	    "ip link set wgwld up && ip link set wgwle up");
	dummy = (int)if_nametoindex("wgwld");
	addr_of(&g4, "10.1.0.50");
	addr_of(&g6, "2001:db8:1::50");

	ck_assert_int_eq(wgw_nl_claim(nl, &c4, &g4, dummy, lan), 0);
	ck_assert_int_eq(wgw_nl_claim(nl, &c6, &g6, dummy, lan), 0);
	ck_assert(has_line("ip route show 10.1.0.50", "dev wgwld"));
	ck_assert(has_line("ip -6 route show 2001:db8:1::50", "dev wgwld"));
	ck_assert(has_line("ip neigh show proxy", "10.1.0.50 dev " VA));
	ck_assert(has_line("ip -6 neigh show proxy", "2001:db8:1::50 dev " VA));
	/* Claiming again (a leftover of a crashed run) is fine. */
	ck_assert_int_eq(wgw_nl_claim(nl, &c4, &g4, dummy, lan), 0);

	/* The kernel now answers the peer's ARP for G with our MAC. */
	ck_assert_int_eq(wgw_sysctl_inside_owner(&sc, VA, "wgwld", true, true),
			 0);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/neigh/%s/proxy_delay",
		 VA);
	ck_assert_int_eq(wgw_sysctl_path_set(&sc, path, "0"), 0);
	mac_of(mac_a, MAC_CMD(VA));
	/* A datagram from the peer to G makes it ask (ARP, then NDP). */
	snprintf(cmd, sizeof(cmd),
		 "nsenter -t %d -n bash -c 'echo x >/dev/udp/10.1.0.50/9'",
		 (int)peer.pid);
	answered = peer_learns(&peer, cmd, "10.1.0.50", mac_seen);
	ck_assert_msg(answered, "proxy ARP for the claimed address not answered");
	ck_assert_mem_eq(mac_seen, mac_a, 6);
	snprintf(cmd, sizeof(cmd),
		 "nsenter -t %d -n bash -c 'echo x >/dev/udp/2001:db8:1::50/9'",
		 (int)peer.pid);
	answered = peer_learns(&peer, cmd, "2001:db8:1::50", mac_seen);
	ck_assert_msg(answered, "proxy NDP for the claimed address not answered");
	ck_assert_mem_eq(mac_seen, mac_a, 6);

	ck_assert_int_eq(wgw_nl_release(nl, &c4), 0);
	ck_assert_int_eq(wgw_nl_release(nl, &c6), 0);
	ck_assert(!has_line("ip route show 10.1.0.50", "wgwld"));
	ck_assert(!has_line("ip -6 route show 2001:db8:1::50", "wgwld"));
	ck_assert(!has_line("ip neigh show proxy", "10.1.0.50"));
	ck_assert(!has_line("ip -6 neigh show proxy", "2001:db8:1::50"));
	/* Idempotent, also when someone removed parts behind our back. */
	ck_assert_int_eq(wgw_nl_release(nl, &c4), 0);
	ck_assert_int_eq(wgw_nl_claim(nl, &c4, &g4, dummy, lan), 0);
	run("ip route del 10.1.0.50 dev wgwld");
	c4.route_added = true;
	ck_assert_int_eq(wgw_nl_release(nl, &c4), 0);
	ck_assert(!has_line("ip neigh show proxy", "10.1.0.50"));

	/* A failed claim leaves nothing behind. */
	ck_assert_int_lt(wgw_nl_claim(nl, &bad, &g4, dummy, 999999), 0);
	ck_assert(!has_line("ip route show 10.1.0.50", "wgwld"));

	ck_assert_int_eq(wgw_sysctl_restore(&sc), 0);
	wgw_nl_watcher_close(nl);
	peer_stop(&peer);
}
END_TEST

/* ------------------------------------------------------------ sysctls */

START_TEST(sysctl_set_restore)
{
	struct wgw_sysctls sc = { 0 };
	char v[32];
	int err;

	ck_assert_int_eq(wgw_sysctl_read("/proc/sys/net/ipv4/conf/" VA
					 "/forwarding", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "0");
	ck_assert_int_eq(wgw_sysctl_if_set(&sc, "ipv4", VA, "forwarding", "1"),
			 0);
	ck_assert_int_eq(wgw_sysctl_if_set(&sc, "ipv4", VA, "rp_filter", "2"),
			 0);
	/* unchanged: not recorded */
	ck_assert_int_eq(wgw_sysctl_if_set(&sc, "ipv4", VA, "forwarding", "1"),
			 0);
	ck_assert_uint_eq(sc.n, 2);
	err = wgw_sysctl_if_set(&sc, "ipv6", VA, "force_forwarding", "1");
	fprintf(stderr, "observed: net.ipv6.conf.IF.force_forwarding: %s\n",
		err ? strerror(-err) : "present");
	ck_assert_int_eq(err, 0);	/* 6.17+; this box runs 6.18 */
	ck_assert_int_eq(wgw_sysctl_if_set(&sc, "ipv4", VA, "no_such_key",
					   "1"), -ENOENT);
	ck_assert_int_eq(wgw_sysctl_if_set(&sc, "ipv4", "nosuchif0",
					   "forwarding", "1"), -ENOENT);
	ck_assert_int_eq(wgw_sysctl_inside_owner(&sc, VA, VB, true, true), 0);
	ck_assert_int_eq(wgw_sysctl_read("/proc/sys/net/ipv6/conf/" VA
					 "/proxy_ndp", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "1");
	ck_assert_int_eq(wgw_sysctl_read("/proc/sys/net/ipv4/conf/all/forwarding",
					 v, sizeof(v)), 0);
	ck_assert_str_eq(v, "0");	/* never the whole host */

	ck_assert_int_eq(wgw_sysctl_restore(&sc), 0);
	ck_assert_uint_eq(sc.n, 0);
	ck_assert_int_eq(wgw_sysctl_read("/proc/sys/net/ipv4/conf/" VA
					 "/forwarding", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "0");
	ck_assert_int_eq(wgw_sysctl_read("/proc/sys/net/ipv6/conf/" VA
					 "/proxy_ndp", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "0");
	ck_assert_int_eq(wgw_sysctl_read("/proc/sys/net/ipv6/conf/" VB
					 "/force_forwarding", v, sizeof(v)), 0);
	ck_assert_str_eq(v, "0");
	ck_assert_int_eq(wgw_sysctl_read("/proc/sys/net/ipv4/conf/" VA
					 "/rp_filter", v, sizeof(v)), 0);
	ck_assert_str_ne(v, "2");
}
END_TEST

static Suite *live_suite(void)
{
	Suite *s = suite_create("netlink-live");
	TCase *tc = tcase_create("netns");

	tcase_add_checked_fixture(tc, netns_setup, netns_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, channels_get_set);
	tcase_add_test(tc, rings_refused_reported);
	tcase_add_test(tc, xdp_features_and_probe);
	tcase_add_test(tc, ifprep_apply_restore);
	tcase_add_test(tc, ifprep_failed_start_restores);
	tcase_add_test(tc, link_changes_seen);
	tcase_add_test(tc, neigh_and_route_changes_seen);
	tcase_add_test(tc, nexthop_resolution);
	tcase_add_test(tc, overrun_resyncs);
	tcase_add_test(tc, claim_release);
	tcase_add_test(tc, sysctl_set_restore);
	suite_add_tcase(s, tc);
	return s;
}

/* Root and unshare(CLONE_NEWNET) are needed; probe in a child. */
static int can_unshare(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) ? 1 : 0);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (geteuid() != 0 || !can_unshare()) {
		printf("SKIP: needs root and unshare(CLONE_NEWNET)\n");
		return 77;
	}
	if (system("command -v nsenter >/dev/null && command -v ip >/dev/null")) {
		printf("SKIP: needs ip (iproute2) and nsenter (util-linux)\n");
		return 77;
	}
	sr = srunner_create(live_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
