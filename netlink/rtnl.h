/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rtnetlink: the watcher.  It owns a libnl-route cache manager with caches
 * of links, addresses, routes and neighbours kept current by kernel events,
 * so a link going down, a MAC or MTU change, a neighbour or route change is
 * seen without polling, and reported to one change callback.  On top of it:
 * next-hop resolution, claiming an inside address (host route + proxy
 * neighbour entry) and the link settings the daemon needs.
 *
 * Threading: a watcher belongs to one control thread.  Every function here
 * must be called from that thread; the callback runs inside
 * wgw_nl_watcher_process().  The data path never calls into netlink: the
 * control thread pushes what it learns (next hops) to the workers.
 */
#ifndef WGW_NETLINK_RTNL_H
#define WGW_NETLINK_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include <net/ethernet.h>

#include "gateway/addr.h"

struct wgw_nl_watcher;

enum wgw_nl_event {
	WGW_NL_EV_LINK = 1,	/* link added, removed or changed */
	WGW_NL_EV_ADDR,		/* address added or removed */
	WGW_NL_EV_ROUTE,	/* route added, removed or changed */
	WGW_NL_EV_NEIGH,	/* neighbour entry added, removed or changed */
	WGW_NL_EV_RESYNC,	/* events were lost (socket overrun): the caches
				 * were reloaded, refresh everything */
};

enum wgw_nl_action {
	WGW_NL_ADDED = 1,
	WGW_NL_REMOVED,
	WGW_NL_CHANGED,
};

/* What changed on a link (WGW_NL_EV_LINK, WGW_NL_CHANGED). */
#define WGW_NL_LINK_UP_CHANGED (1u << 0)	/* IFF_UP toggled */
#define WGW_NL_LINK_CARRIER_CHANGED (1u << 1)	/* IFF_LOWER_UP toggled */
#define WGW_NL_LINK_MTU_CHANGED (1u << 2)
#define WGW_NL_LINK_MAC_CHANGED (1u << 3)
#define WGW_NL_LINK_OTHER_CHANGED (1u << 4)	/* flags, name, ... */

struct wgw_nl_change {
	enum wgw_nl_event event;
	enum wgw_nl_action action;
	int ifindex;			/* 0 for RESYNC and routes without one */
	/* WGW_NL_EV_LINK */
	uint32_t link_changed;		/* WGW_NL_LINK_*_CHANGED */
	bool up;			/* IFF_UP */
	bool carrier;			/* IFF_LOWER_UP */
	uint32_t mtu;
	uint8_t mac[ETH_ALEN];		/* zero when the link has none */
	/* WGW_NL_EV_NEIGH, _ROUTE, _ADDR: neighbour, route destination or
	 * address; prefix_len for routes and addresses */
	union wgw_addr addr;
	uint8_t prefix_len;
	uint8_t family;			/* AF_INET, AF_INET6 (0 for links) */
	uint16_t nud_state;		/* WGW_NL_EV_NEIGH: NUD_* */
	uint32_t table;			/* WGW_NL_EV_ROUTE: RT_TABLE_* */
};

typedef void (*wgw_nl_change_fn)(const struct wgw_nl_change *c, void *arg);

/*
 * Open a watcher: sockets, the four caches filled from the kernel, events
 * subscribed.  fn (may be NULL) is called for every change from
 * wgw_nl_watcher_process().  Returns the watcher, or NULL with errno set.
 */
struct wgw_nl_watcher *wgw_nl_watcher_open(wgw_nl_change_fn fn, void *arg);
void wgw_nl_watcher_close(struct wgw_nl_watcher *w);

/* The fd to poll for POLLIN; call wgw_nl_watcher_process() when readable. */
int wgw_nl_watcher_fd(const struct wgw_nl_watcher *w);

/*
 * Read and apply every pending event (never blocks), calling the change
 * callback for each.  Returns the number of netlink messages handled (0
 * when there was nothing), or -errno.  An overrun (ENOBUFS: events lost) is
 * repaired here: the caches are reloaded and WGW_NL_EV_RESYNC reported; it
 * is not an error.
 */
int wgw_nl_watcher_process(struct wgw_nl_watcher *w);

/*
 * Wait up to timeout_ms for events and process them.  For tests and simple
 * loops; the daemon polls wgw_nl_watcher_fd() with its other fds.
 * Returns as wgw_nl_watcher_process(), 0 on timeout.
 */
int wgw_nl_watcher_wait(struct wgw_nl_watcher *w, int timeout_ms);

/* ------------------------------------------------------------- links */

struct wgw_nl_link {
	int ifindex;
	char name[16];			/* IFNAMSIZ */
	uint32_t mtu;
	uint32_t flags;			/* IFF_* */
	uint16_t arptype;		/* ARPHRD_* */
	uint8_t operstate;		/* IF_OPER_* */
	bool has_mac;			/* the link has an Ethernet address */
	uint8_t mac[ETH_ALEN];
};

/* A link from the cache, by index or by name: 0 and *out filled, -ENODEV. */
int wgw_nl_link_get(struct wgw_nl_watcher *w, int ifindex,
		    struct wgw_nl_link *out);
int wgw_nl_link_by_name(struct wgw_nl_watcher *w, const char *name,
			struct wgw_nl_link *out);
/* Set a link administratively up or down: 0 or -errno (extended ACK
 * logged).  The cache sees the result as an event. */
int wgw_nl_link_set_up(struct wgw_nl_watcher *w, int ifindex, bool up);
/* Set the MTU (bytes): 0 or -errno. */
int wgw_nl_link_set_mtu(struct wgw_nl_watcher *w, int ifindex, uint32_t mtu);

/*
 * The largest MTU whose frames fit an AF_XDP frame in copy mode:
 *   frame_size - XDP_PACKET_HEADROOM (256, the kernel's, before the data)
 *   - frame_headroom (the UMEM's own headroom, --headroom: 256 by default)
 *   - ETH_HLEN (14) - VLAN_HLEN (4, the XDP program accepts one tag).
 * With 2048-byte frames and no UMEM headroom: 2048 - 256 - 14 - 4 = 1774;
 * with the default 256 bytes of UMEM headroom, 1518.
 * Returns 0 when nothing fits.
 */
uint32_t wgw_xdp_max_mtu(uint32_t frame_size, uint32_t frame_headroom);
/* Bytes the kernel reserves in front of the packet in every AF_XDP frame
 * (XDP_PACKET_HEADROOM), on top of the UMEM's own headroom. */
#define WGW_XDP_PACKET_HEADROOM 256	/* bytes */
/* 0 when mtu fits, -EMSGSIZE when it does not. */
int wgw_xdp_mtu_check(uint32_t mtu, uint32_t frame_size,
		      uint32_t frame_headroom);

/* ---------------------------------------------------------- next hops */

struct wgw_nexthop {
	int ifindex;			/* egress interface */
	uint32_t mtu;			/* of the egress interface, bytes */
	uint8_t src_mac[ETH_ALEN];	/* the egress interface's address */
	uint8_t dst_mac[ETH_ALEN];	/* the next hop's */
	union wgw_addr via;		/* next hop: the gateway, or dst */
	union wgw_addr src;		/* preferred source (zero if none) */
	bool has_src;
	bool onlink;			/* via == dst: no gateway */
	bool no_l2;			/* the egress device has no MACs (tun,
					 * NOARP): MACs are zero */
	uint16_t nud_state;		/* NUD_* of the neighbour entry */
};

/*
 * Resolve where a packet to dst goes, as the kernel's own tables say: the
 * route comes from the kernel's FIB lookup (RTM_GETROUTE: rules, longest
 * prefix, default route, IPv4 and IPv6), the MACs from the link and
 * neighbour caches.
 *
 * Returns 0 resolved (*out complete); -EAGAIN pending: the neighbour is
 * unknown or being resolved, and the kernel has been asked to resolve it
 * (RTM_NEWNEIGH with NTF_USE, which sends ARP/NS now; the answer arrives
 * as a WGW_NL_EV_NEIGH change); -EHOSTUNREACH: the last resolution failed
 * (NUD_FAILED), a new one has been started; -ENETUNREACH: no usable route
 * (none, unreachable, prohibit, blackhole, or not unicast, e.g. local).
 * On -EAGAIN and -EHOSTUNREACH, *out holds everything but dst_mac.
 * An entry in use that is STALE is returned (0) and re-confirmed with
 * NTF_USE, since traffic sent by XDP never refreshes it in the kernel.
 */
int wgw_nl_nexthop(struct wgw_nl_watcher *w, const union wgw_addr *dst,
		   struct wgw_nexthop *out);

/*
 * Byte-level halves of the route lookup, for unit tests.  The builder
 * writes RTM_GETROUTE for dst into buf (>= 256 bytes); the parser reads the
 * RTM_NEWROUTE reply: 0; -ENETUNREACH for a route that is not unicast;
 * -EBADMSG for a malformed reply.
 */
struct wgw_route_res {
	int oif;
	uint8_t type;			/* RTN_* */
	uint8_t family;
	bool has_gw, has_prefsrc;
	union wgw_addr gw;		/* RTA_GATEWAY or RTA_VIA */
	union wgw_addr prefsrc;
	uint32_t table;
};
struct nlmsghdr *wgw_rtnl_getroute_msg(void *buf, uint32_t seq,
				       const union wgw_addr *dst);
int wgw_rtnl_route_parse(const struct nlmsghdr *nlh,
			 struct wgw_route_res *res);

/* -------------------------------------------------- inside addresses */

/*
 * An inside address owned by the gateway without assigning it to any
 * interface (see platform-notes: the TUN fallback): a host route
 * addr/32 or addr/128 to route_ifindex, and a proxy neighbour entry for
 * addr on proxy_ifindex (IPv4 proxy ARP, IPv6 proxy NDP), so the LAN's
 * ARP/NS for addr is answered.  The per-interface sysctls that make the
 * kernel answer and forward are netlink/sysctl.h's.
 */
#define WGW_RTPROT 0xf1 /* route protocol marking the gateway's routes */

struct wgw_nl_claim {
	union wgw_addr addr;
	int route_ifindex;		/* 0: no route */
	int proxy_ifindex;		/* 0: no proxy entry */
	bool route_added;
	bool proxy_added;
};

/*
 * Add the host route and the proxy entry.  Replaces a leftover of a
 * previous run (NLM_F_REPLACE).  On failure nothing stays behind.
 * 0 or -errno (extended ACK logged).
 */
int wgw_nl_claim(struct wgw_nl_watcher *w, struct wgw_nl_claim *c,
		 const union wgw_addr *addr, int route_ifindex,
		 int proxy_ifindex);
/*
 * Remove what wgw_nl_claim() added.  Idempotent: what is already gone is
 * not an error; both parts are attempted even when one fails.  Returns 0
 * or the first -errno.
 */
int wgw_nl_release(struct wgw_nl_watcher *w, struct wgw_nl_claim *c);

/*
 * Forwarding from the LAN, confined to the NAT address (netlink/confine.c):
 * policy rules that let a packet arriving on ifname be forwarded only to
 * addr, and drop every other one that is not for the host itself.  Set
 * before the interface's forwarding switch is turned on, removed after it
 * is put back.  The rules carry WGW_RTPROT and match by name: they outlive
 * the process and the device, and keep the host from forwarding until the
 * next start removes them.
 */
struct wgw_nl_confine {
	char ifname[16];		/* IFNAMSIZ */
	union wgw_addr addr;
	uint32_t prio;			/* the pass rule's; the blackhole's is + 1 */
	bool added;
};

/* Remove leftovers of an earlier run on ifname, then add both rules.
 * 0 or -errno (extended ACK logged); on failure nothing stays behind. */
int wgw_nl_confine(struct wgw_nl_watcher *w, struct wgw_nl_confine *c,
		   const char *ifname, const union wgw_addr *addr);
/* One more address forwarding from c's interface may go to (a pool of NAT
 * addresses): a pass rule beside c's.  Removed with the others by
 * wgw_nl_unconfine().  0 or -errno (extended ACK logged). */
int wgw_nl_confine_add(struct wgw_nl_watcher *w, struct wgw_nl_confine *c,
		       const union wgw_addr *addr);
/* Remove what wgw_nl_confine() and wgw_nl_confine_add() added.  0 or
 * -errno. */
int wgw_nl_unconfine(struct wgw_nl_watcher *w, struct wgw_nl_confine *c);
/* Remove every rule with the gateway's protocol on ifname (family AF_INET
 * or AF_INET6), logged when there were any.  0 or -errno. */
int wgw_nl_confine_flush(struct wgw_nl_watcher *w, int family, const char *ifname);

#endif
