// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backend health: the state machine, the probe sockets and the ICMP reader
 * (gateway/health.h).  Control thread only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/icmp6.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>

#include "gateway/engine.h"
#include "gateway/health.h"
#include "gateway/log.h"

#define HEALTH_MAX WGW_ENGINE_MAX_BACKENDS

const uint8_t wgw_health_probe[WGW_HEALTH_PROBE_LEN] = {
	0, 0, 0, 0, 0, 0, 0, 0,			/* CID 0: invalid, dropped */
	'w', 'r', 'a', 'i', 't', 'h', '-', 'g', 'w', ' ', 'h', 'e', 'a', 'l', 't', 'h',
};

static const char *const state_names[] = {
	[WGW_HEALTH_HEALTHY] = "healthy",
	[WGW_HEALTH_SUSPECT] = "suspect",
	[WGW_HEALTH_DOWN] = "down",
};

static const char *const reason_names[WGW_HREASON_MAX] = {
	[WGW_HREASON_NONE] = "-",
	[WGW_HREASON_ALIVE] = "alive",
	[WGW_HREASON_PORT_UNREACH] = "port-unreachable",
	[WGW_HREASON_HOST_UNREACH] = "host-unreachable",
	[WGW_HREASON_NEIGH_FAILED] = "neighbour-failed",
	[WGW_HREASON_NO_REPLIES] = "no-replies",
	[WGW_HREASON_FORCED] = "forced",
	[WGW_HREASON_RELEASED] = "released",
};

const char *wgw_health_state_name(enum wgw_health_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

const char *wgw_health_reason_name(enum wgw_health_reason r)
{
	return (unsigned)r < WGW_HREASON_MAX ? reason_names[r] : "?";
}

int wgw_health_check_parse(const char *s, enum wgw_health_check *out)
{
	if (!strcmp(s, "udp"))
		*out = WGW_HEALTH_CHECK_UDP;
	else if (!strcmp(s, "none"))
		*out = WGW_HEALTH_CHECK_NONE;
	else
		return -EINVAL;
	return 0;
}

const char *wgw_health_check_name(enum wgw_health_check c)
{
	return c == WGW_HEALTH_CHECK_NONE ? "none" : "udp";
}

void wgw_health_cfg_default(struct wgw_health_cfg *c)
{
	*c = (struct wgw_health_cfg){
		.check = WGW_HEALTH_CHECK_UDP,
		.interval_ms = WGW_HEALTH_INTERVAL_S * 1000,
		.fall = WGW_HEALTH_FALL,
		.rise = WGW_HEALTH_RISE,
		.passive_timeout_ms = WGW_HEALTH_PASSIVE_TIMEOUT_S * 1000,
	};
}

/* ---------------------------------------------------------- state machine */

static bool sm_set(struct wgw_health_sm *sm, enum wgw_health_state st,
		   enum wgw_health_reason r, time_t now)
{
	if (sm->state == st)
		return false;
	sm->state = st;
	sm->reason = r;
	sm->since = now;
	sm->transitions++;
	return true;
}

bool wgw_health_sm_result(struct wgw_health_sm *sm, const struct wgw_health_cfg *cfg,
			  enum wgw_health_reason fail, time_t now)
{
	uint32_t fall = cfg->fall ? cfg->fall : 1, rise = cfg->rise ? cfg->rise : 1;

	if (fail != WGW_HREASON_NONE) {
		sm->passes = 0;
		if (sm->fails < UINT32_MAX)
			sm->fails++;
	} else {
		sm->fails = 0;
		if (sm->passes < UINT32_MAX)
			sm->passes++;
	}
	if (sm->forced)
		return false;	/* counted, but the operator decides */
	switch (sm->state) {
	case WGW_HEALTH_HEALTHY:
		if (fail == WGW_HREASON_NONE)
			return false;
		return sm_set(sm, sm->fails >= fall ? WGW_HEALTH_DOWN : WGW_HEALTH_SUSPECT,
			      fail, now);
	case WGW_HEALTH_SUSPECT:
		if (fail != WGW_HREASON_NONE)
			return sm->fails >= fall && sm_set(sm, WGW_HEALTH_DOWN, fail, now);
		/* never down: one pass clears the suspicion */
		return sm_set(sm, WGW_HEALTH_HEALTHY, WGW_HREASON_ALIVE, now);
	case WGW_HEALTH_DOWN:
		if (fail != WGW_HREASON_NONE) {
			sm->reason = fail;	/* the latest cause, no transition */
			return false;
		}
		return sm->passes >= rise && sm_set(sm, WGW_HEALTH_HEALTHY, WGW_HREASON_ALIVE, now);
	}
	return false;
}

bool wgw_health_sm_force(struct wgw_health_sm *sm, bool down, time_t now)
{
	sm->forced = down;
	sm->fails = sm->passes = 0;
	if (down) {
		sm->reason = WGW_HREASON_FORCED;	/* even if down already */
		return sm_set(sm, WGW_HEALTH_DOWN, WGW_HREASON_FORCED, now);
	}
	return sm_set(sm, WGW_HEALTH_HEALTHY, WGW_HREASON_RELEASED, now);
}

/* ------------------------------------------------------------ ICMP errors */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

enum wgw_health_reason wgw_health_parse_icmp(const uint8_t *buf, size_t len, bool v6,
					     union wgw_addr *dst, uint16_t *dport)
{
	enum wgw_health_reason r;
	size_t off = 0, ihl;

	if (v6) {
		/* the IPv6 header (40, no extension header before ICMPv6),
		 * ICMPv6 (8), the quoted IPv6 header (40), UDP ports */
		if (len < 40 + 8 + 40 + 4 || (buf[0] >> 4) != 6 || buf[6] != IPPROTO_ICMPV6)
			return WGW_HREASON_NONE;
		off = 40;
		if (buf[off] != ICMP6_DST_UNREACH)
			return WGW_HREASON_NONE;
		switch (buf[off + 1]) {
		case ICMP6_DST_UNREACH_NOPORT:
			r = WGW_HREASON_PORT_UNREACH;
			break;
		case ICMP6_DST_UNREACH_NOROUTE:
		case ICMP6_DST_UNREACH_ADDR:
			r = WGW_HREASON_HOST_UNREACH;
			break;
		default:
			return WGW_HREASON_NONE;
		}
		off += 8;
		if ((buf[off] >> 4) != 6 || buf[off + 6] != IPPROTO_UDP)
			return WGW_HREASON_NONE;
		memcpy(dst->b, buf + off + 24, 16);
		*dport = get16(buf + off + 40 + 2);
		return r;
	}
	/* the IPv4 header, ICMP (8), the quoted IPv4 header, UDP ports */
	if (len < 20 || (buf[0] >> 4) != 4)
		return WGW_HREASON_NONE;
	ihl = (size_t)(buf[0] & 0xf) * 4;
	if (ihl < 20 || len < ihl + 8 + 20)
		return WGW_HREASON_NONE;
	off = ihl;
	if (buf[off] != ICMP_DEST_UNREACH)
		return WGW_HREASON_NONE;
	switch (buf[off + 1]) {
	case ICMP_PORT_UNREACH:
		r = WGW_HREASON_PORT_UNREACH;
		break;
	case ICMP_NET_UNREACH:
	case ICMP_HOST_UNREACH:
		r = WGW_HREASON_HOST_UNREACH;
		break;
	default:
		return WGW_HREASON_NONE;
	}
	off += 8;
	ihl = (size_t)(buf[off] & 0xf) * 4;
	if ((buf[off] >> 4) != 4 || ihl < 20 || buf[off + 9] != IPPROTO_UDP ||
	    len < off + ihl + 4)
		return WGW_HREASON_NONE;
	{
		uint32_t a;

		memcpy(&a, buf + off + 16, 4);
		wgw_addr_from_v4(dst, a);
	}
	*dport = get16(buf + off + ihl + 2);
	return r;
}

enum wgw_health_reason wgw_health_errno_reason(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return WGW_HREASON_PORT_UNREACH;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
		return WGW_HREASON_HOST_UNREACH;
	default:
		return WGW_HREASON_NONE;
	}
}

/* ------------------------------------------------------- the backend set */

struct health_be {
	bool in_use, seen, admin_up;
	union wgw_addr addr;
	uint16_t port;
	struct wgw_health_sm sm;
	bool applied_down;		/* what the data path was told */
	int fd;				/* probe socket, -1 none */
	uint64_t round_end_ms;
	enum wgw_health_reason round_fail; /* NONE: no failure this round yet */
	bool neigh_pending;		/* unresolved at the round's start */
	uint64_t last_to, last_from;
	uint64_t round_to;		/* last_to when the round began */
	uint64_t unanswered_ms;		/* first unanswered send seen; 0 none */
	uint64_t probes, probe_fails;
};

struct wgw_health {
	struct wgw_health_cfg cfg;
	bool v6;
	struct wgw_health_ops ops;
	void *arg;
	int icmp_fd;			/* AF_PACKET on the LAN side, -1 none */
	int ep;				/* epoll: icmp_fd and the probe sockets */
	uint64_t now_ms;
	uint64_t hold_until_ms;		/* no verdicts before (wgw_health_hold) */
	bool failed_open;
	struct wgw_health_stats st;
	struct health_be be[HEALTH_MAX];
};

/*
 * The ICMP errors that reach the LAN interface, whatever they are addressed
 * to: the NAT address is answered by proxy ARP/NDP, not a local address, so
 * a raw ICMP socket would never see the errors about the workers' traffic.
 * A packet socket sees them in every mode: the XDP program passes ICMP to
 * the kernel, and the fallback path receives through the kernel anyway.  A
 * classic BPF filter keeps only destination unreachable messages.
 */
static int icmp_open(bool v6, int ifindex)
{
	static struct sock_filter f4[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),		/* protocol */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMP, 0, 3),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),		/* header length */
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),		/* ICMP type */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 3, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 1500),
	};
	static struct sock_filter f6[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),		/* next header */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 2),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40),		/* ICMPv6 type */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ICMP6_DST_UNREACH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 1500),
	};
	struct sock_fprog prog = {
		.len = v6 ? sizeof(f6) / sizeof(f6[0]) : sizeof(f4) / sizeof(f4[0]),
		.filter = v6 ? f6 : f4,
	};
	uint16_t proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = proto, .sll_ifindex = ifindex,
	};
	int fd, err;

	/* the filter before any packet can be queued: created unbound */
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

struct wgw_health *wgw_health_create(const struct wgw_health_cfg *cfg, bool v6, int lan_ifindex,
				     const struct wgw_health_ops *ops, void *arg)
{
	struct wgw_health *h = calloc(1, sizeof(*h));
	int fd;

	if (!h)
		return NULL;
	h->cfg = *cfg;
	h->v6 = v6;
	h->ops = *ops;
	h->arg = arg;
	h->icmp_fd = -1;
	for (unsigned i = 0; i < HEALTH_MAX; i++)
		h->be[i].fd = -1;
	h->ep = epoll_create1(EPOLL_CLOEXEC);
	if (h->ep < 0) {
		free(h);
		return NULL;
	}
	/* needs CAP_NET_RAW: without it the other signals remain */
	fd = lan_ifindex > 0 ? icmp_open(v6, lan_ifindex) : -ENODEV;
	if (fd < 0) {
		wgw_warn("health: no ICMP reader (%s): probes, neighbours and counters only",
			 strerror(-fd));
	} else {
		struct epoll_event ev = { .events = EPOLLIN };

		h->icmp_fd = fd;
		(void)epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev);
	}
	return h;
}

static void be_close(struct health_be *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

void wgw_health_destroy(struct wgw_health *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < HEALTH_MAX; i++)
		be_close(&h->be[i]);
	if (h->icmp_fd >= 0)
		close(h->icmp_fd);
	close(h->ep);
	free(h);
}

void wgw_health_set_cfg(struct wgw_health *h, const struct wgw_health_cfg *cfg)
{
	h->cfg = *cfg;
	if (cfg->check == WGW_HEALTH_CHECK_NONE)
		for (unsigned i = 0; i < HEALTH_MAX; i++)
			be_close(&h->be[i]);
}

static struct health_be *be_find(const struct wgw_health *h, const union wgw_addr *a,
				 uint16_t port)
{
	for (unsigned i = 0; i < HEALTH_MAX; i++)
		if (h->be[i].in_use && h->be[i].port == port && wgw_addr_eq(&h->be[i].addr, a))
			return (struct health_be *)&h->be[i];
	return NULL;
}

static const char *be_name(const struct health_be *b, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	wgw_addr_str(&b->addr, a, sizeof(a));
	snprintf(buf, len, wgw_addr_is_v4(&b->addr) ? "%s:%u" : "[%s]:%u", a, b->port);
	return buf;
}

/* Tell the data path when down-ness changed, and log the transition once. */
static void be_changed(struct wgw_health *h, struct health_be *b)
{
	bool down = b->sm.state == WGW_HEALTH_DOWN;
	char name[64];

	h->st.transitions++;
	be_name(b, name, sizeof(name));
	wgw_log(down ? LOG_WARNING : LOG_NOTICE, "backend %s: health %s (%s)", name,
		wgw_health_state_name(b->sm.state), wgw_health_reason_name(b->sm.reason));
	if (down == b->applied_down)
		return;
	if (h->ops.apply) {
		int err = h->ops.apply(h->arg, &b->addr, b->port, down);

		if (err && err != -ENOENT) {
			wgw_err("backend %s: cannot mark it %s: %s", name, down ? "down" : "up",
				strerror(-err));
			return;
		}
	}
	b->applied_down = down;
	/* its mappings are gone: start the passive count afresh */
	b->unanswered_ms = 0;
}

static void be_result(struct wgw_health *h, struct health_be *b, enum wgw_health_reason fail)
{
	if (wgw_health_sm_result(&b->sm, &h->cfg, fail, time(NULL)))
		be_changed(h, b);
}

/* A failure seen now (ICMP, probe error): the round's result at once. */
static void be_fail(struct wgw_health *h, struct health_be *b, enum wgw_health_reason r)
{
	if (b->round_fail != WGW_HREASON_NONE)
		return;		/* one result per round: a burst is one failure */
	b->round_fail = r;
	b->probe_fails++;
	h->st.probe_fails++;
	be_result(h, b, r);
}

void wgw_health_begin(struct wgw_health *h)
{
	for (unsigned i = 0; i < HEALTH_MAX; i++)
		h->be[i].seen = false;
}

void wgw_health_seen(struct wgw_health *h, const union wgw_addr *a, uint16_t port,
		     bool admin_up, uint64_t pkts_to, uint64_t pkts_from)
{
	struct health_be *b = be_find(h, a, port);

	if (!b) {
		for (unsigned i = 0; i < HEALTH_MAX && !b; i++)
			if (!h->be[i].in_use)
				b = &h->be[i];
		if (!b)
			return;
		*b = (struct health_be){
			.in_use = true, .addr = *a, .port = port, .fd = -1,
			.sm = { .since = time(NULL) },
			.last_to = pkts_to, .last_from = pkts_from,
			/* its first round starts at once: a new backend is
			 * healthy until judged otherwise */
			.round_end_ms = h->now_ms,
			.round_fail = WGW_HREASON_NONE,
		};
	}
	b->seen = true;
	b->admin_up = admin_up;
	/* passive: the workers' counters, sampled; nothing per packet */
	if (pkts_from != b->last_from)
		b->unanswered_ms = 0;
	else if (pkts_to != b->last_to && !b->unanswered_ms)
		b->unanswered_ms = h->now_ms ? h->now_ms : 1;
	b->last_to = pkts_to;
	b->last_from = pkts_from;
}

static int probe_open(struct wgw_health *h, struct health_be *b)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int one = 1, fd;

	fd = socket(h->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (h->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(b->port);
		memcpy(&s6->sin6_addr, b->addr.b, 16);
		sl = sizeof(*s6);
		/* every ICMP error, not only port unreachable */
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(b->port);
		s4->sin_addr.s_addr = wgw_addr_v4(&b->addr);
		sl = sizeof(*s4);
		(void)setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	}
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		int err = -errno;

		close(fd);
		return err;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN | EPOLLERR };

		(void)epoll_ctl(h->ep, EPOLL_CTL_ADD, fd, &ev);
	}
	b->fd = fd;
	return 0;
}

/* Read the probe socket's pending errors: the worst one's reason. */
static enum wgw_health_reason probe_drain(struct health_be *b)
{
	enum wgw_health_reason r = WGW_HREASON_NONE, x;
	uint8_t buf[64], cbuf[256];

	if (b->fd < 0)
		return r;
	for (int n = 0; n < 16; n++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

		if (recvmsg(b->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;

			if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) ||
			    c->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			x = wgw_health_errno_reason((int)ee.ee_errno);
			if (x != WGW_HREASON_NONE)
				r = x;
		}
	}
	/* and sk_err, with the datagrams a node should never send */
	for (int n = 0; n < 16; n++) {
		if (recv(b->fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			continue;
		x = wgw_health_errno_reason(errno);
		if (x == WGW_HREASON_NONE)
			break;
		r = x;
	}
	return r;
}

static void probe_send(struct wgw_health *h, struct health_be *b)
{
	enum wgw_health_reason r;

	if (b->fd < 0) {
		int err = probe_open(h, b);

		if (err) {
			r = wgw_health_errno_reason(-err);
			if (r != WGW_HREASON_NONE)
				be_fail(h, b, r);
			return;
		}
	}
	b->probes++;
	h->st.probes++;
	if (send(b->fd, wgw_health_probe, sizeof(wgw_health_probe), MSG_DONTWAIT) < 0) {
		r = wgw_health_errno_reason(errno);
		if (r != WGW_HREASON_NONE)
			be_fail(h, b, r);
	}
}

/* Close one round (its result, unless a failure gave it already) and open
 * the next. */
static void be_round(struct wgw_health *h, struct health_be *b)
{
	enum wgw_health_reason r = b->round_fail;
	bool pending = false;

	if (r == WGW_HREASON_NONE)
		r = probe_drain(b);
	if (r == WGW_HREASON_NONE && h->ops.neigh) {
		int err = h->ops.neigh(h->arg, &b->addr);

		if (err == -EAGAIN) {
			/* resolving: fails only if it already was a round ago */
			pending = true;
			if (b->neigh_pending)
				r = WGW_HREASON_NEIGH_FAILED;
		} else if (err < 0) {
			r = WGW_HREASON_NEIGH_FAILED;
		}
	}
	/* passive: only while traffic still goes to it unanswered (once it
	 * stopped, the old silence says nothing more) */
	if (b->last_to == b->round_to)
		b->unanswered_ms = 0;
	if (r == WGW_HREASON_NONE && b->unanswered_ms && h->cfg.passive_timeout_ms &&
	    h->now_ms - b->unanswered_ms >= h->cfg.passive_timeout_ms)
		r = WGW_HREASON_NO_REPLIES;
	b->round_to = b->last_to;
	b->neigh_pending = pending;
	if (b->round_fail == WGW_HREASON_NONE) {
		/* a first-time resolution is no verdict, either way */
		if (r != WGW_HREASON_NONE) {
			b->probe_fails++;
			h->st.probe_fails++;
			be_result(h, b, r);
		} else if (!pending) {
			be_result(h, b, WGW_HREASON_NONE);
		}
	}
	b->round_fail = WGW_HREASON_NONE;
	b->round_end_ms = h->now_ms + (h->cfg.interval_ms ? h->cfg.interval_ms : 1000);
	if (h->cfg.check == WGW_HEALTH_CHECK_UDP)
		probe_send(h, b);
}

uint32_t wgw_health_tick(struct wgw_health *h, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;
	unsigned n_up = 0, n_up_down = 0;

	h->now_ms = now_ms;
	for (unsigned i = 0; i < HEALTH_MAX; i++) {
		struct health_be *b = &h->be[i];

		if (!b->in_use)
			continue;
		if (!b->seen) {		/* removed */
			be_close(b);
			b->in_use = false;
			continue;
		}
		if (now_ms < h->hold_until_ms) {
			/* held: what fails now says nothing about the backend;
			 * its first round starts afresh when the hold ends */
			b->unanswered_ms = 0;
			b->round_fail = WGW_HREASON_NONE;
			b->round_end_ms = h->hold_until_ms;
		} else if (now_ms >= b->round_end_ms) {
			be_round(h, b);
		}
		if (b->round_end_ms < next)
			next = b->round_end_ms;
		if (b->admin_up) {
			n_up++;
			n_up_down += b->sm.state == WGW_HEALTH_DOWN;
		}
	}
	h->st.n_down = n_up_down;
	if (n_up && n_up_down == n_up) {
		/* the data path routes as if all were healthy (the view) */
		if (!h->failed_open) {
			h->failed_open = true;
			h->st.fail_open++;
			wgw_err("health: every backend is down: failing open, new clients "
				"go to all of them");
		}
	} else if (h->failed_open) {
		h->failed_open = false;
		wgw_notice("health: a backend is up again: no longer failing open");
	}
	return next == UINT64_MAX ? 1000 : (uint32_t)(next - now_ms);
}

int wgw_health_fd(const struct wgw_health *h)
{
	return h->ep;
}

static void icmp_drain(struct wgw_health *h)
{
	uint8_t buf[1500];
	ssize_t n;

	if (h->icmp_fd < 0)
		return;
	for (int k = 0; k < 64; k++) {
		enum wgw_health_reason r;
		struct health_be *b;
		union wgw_addr dst;
		uint16_t dport;

		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);

		n = recvfrom(h->icmp_fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		r = wgw_health_parse_icmp(buf, (size_t)n, h->v6, &dst, &dport);
		if (r == WGW_HREASON_NONE)
			continue;
		b = be_find(h, &dst, dport);
		if (!b)
			continue;
		h->st.icmp_errors++;
		if (h->now_ms >= h->hold_until_ms)
			be_fail(h, b, r);
	}
}

void wgw_health_process(struct wgw_health *h)
{
	struct epoll_event ev[16];

	/* level-triggered: draining below clears them all */
	(void)epoll_wait(h->ep, ev, 16, 0);
	icmp_drain(h);
	for (unsigned i = 0; i < HEALTH_MAX; i++) {
		struct health_be *b = &h->be[i];
		enum wgw_health_reason r;

		if (!b->in_use || b->fd < 0)
			continue;
		r = probe_drain(b);
		if (r != WGW_HREASON_NONE && h->now_ms >= h->hold_until_ms)
			be_fail(h, b, r);
	}
}

void wgw_health_hold(struct wgw_health *h, uint64_t until_ms)
{
	h->hold_until_ms = until_ms;
}

int wgw_health_force(struct wgw_health *h, const union wgw_addr *a, uint16_t port, bool down)
{
	struct health_be *b = be_find(h, a, port);

	if (!b)
		return -ENOENT;
	if (wgw_health_sm_force(&b->sm, down, time(NULL)))
		be_changed(h, b);
	return 0;
}

int wgw_health_get(const struct wgw_health *h, const union wgw_addr *a, uint16_t port,
		   struct wgw_health_info *out)
{
	const struct health_be *b = be_find(h, a, port);

	if (!b)
		return -ENOENT;
	*out = (struct wgw_health_info){
		.state = b->sm.state, .reason = b->sm.reason, .since = b->sm.since,
		.forced = b->sm.forced, .transitions = b->sm.transitions,
		.probes = b->probes, .probe_fails = b->probe_fails,
	};
	return 0;
}

void wgw_health_get_stats(const struct wgw_health *h, struct wgw_health_stats *st)
{
	*st = h->st;
}
