// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "fallback/synth.h"
#include "fallback/udp.h"
#include "gateway/counter.h"
#include "gateway/log.h"
#include "gateway/packet.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78	/* linux/in6.h, 4.15 */
#endif

#define UDP_RX_BATCH 256	/* datagrams per recvmmsg(), = WGW_BATCH_MAX */
#define UDP_TX_CHUNK 256	/* frames grouped and sent per pass */
#define UDP_EPOLL_EVENTS 64	/* ready sockets taken per epoll_wait() */
#define UDP_GOLDEN 0x9e3779b1u	/* 2^32 / phi, multiplicative hashing */
/* UDP GSO: segments per send (the kernel's UDP_MAX_SEGMENTS is 64 on older
 * kernels) and payload bytes per send (under the 16-bit IP/UDP lengths). */
#define UDP_GSO_MAX_SEGS 64
#define UDP_GSO_MAX_BYTES 60000

union udp_sa {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

struct udp_sock {
	int fd;
	int family;
	uint16_t port;		/* host order */
	uint16_t port_be;
	uint32_t addr4;		/* IPv4 VIP, network order */
	union wgw_addr addr;	/* the VIP, both families */
	bool gso_off;		/* the kernel refused UDP_SEGMENT here */
};

struct udp_port {
	struct wgw_port base;	/* first: the worker sees a wgw_port */
	struct wgw_pool *pool;
	struct udp_sock *socks;
	unsigned nsocks;
	int epfd;		/* all sockets, level-triggered; -1 with one socket */
	uint32_t *slots;	/* (VIP addr, port) -> socket index + 1, 0 empty */
	unsigned slot_shift;	/* 32 - log2(number of slots) */
	uint32_t slot_mask;
	uint32_t rx_cap;	/* payload bytes a frame can take */
	bool ip4_csum;
	bool gso;
	struct wgw_hslimit *hs;	/* shared with the other workers' ports */

	/* Sockets epoll reported ready and RX has not read yet. */
	unsigned ev_next, nev;
	struct epoll_event evs[UDP_EPOLL_EVENTS];

	struct wgw_port_stats st;
	struct wgw_udp_stats xst;

	/* Scratch for one recvmmsg()/sendmmsg(): per port, not on the stack,
	 * and prepared once (only lengths change per call). */
	struct mmsghdr rmsg[UDP_RX_BATCH];
	struct iovec riov[UDP_RX_BATCH];
	union udp_sa rname[UDP_RX_BATCH];
	struct wgw_buf rbuf[UDP_RX_BATCH];

	struct mmsghdr tmsg[UDP_TX_CHUNK];	/* grouped by socket */
	uint16_t tsegs[UDP_TX_CHUNK];		/* datagrams in tmsg[i] */
	struct iovec giov[UDP_TX_CHUNK];	/* payloads in group order */
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} tcmsg[UDP_TX_CHUNK];			/* UDP_SEGMENT of tmsg[i] */
	struct iovec tiov[UDP_TX_CHUNK];
	union udp_sa tname[UDP_TX_CHUNK];
	socklen_t tnamelen[UDP_TX_CHUNK];
	uint32_t tsock[UDP_TX_CHUNK];		/* socket of frame i, or UINT32_MAX */
	struct wgw_buf tbuf[UDP_TX_CHUNK];
};

static const struct wgw_port_ops udp_port_ops;

static inline struct udp_port *to_udp(struct wgw_port *port)
{
	return (struct udp_port *)port;
}

/* ---------------------------------------------------------------- lookup */

static inline uint32_t udp_slot(const struct udp_port *p, const union wgw_addr *a,
				uint16_t port)
{
	uint32_t h = a->w[0] ^ a->w[1] ^ a->w[2] ^ a->w[3] ^ port;

	return (h * UDP_GOLDEN) >> p->slot_shift;
}

/* The socket bound to addr:port, or -1.  Open addressing, linear probing;
 * the table is at most half full. */
static inline int udp_lookup(const struct udp_port *p, const union wgw_addr *a,
			     uint16_t port)
{
	uint32_t i = udp_slot(p, a, port);

	for (;;) {
		uint32_t v = p->slots[i];
		const struct udp_sock *s;

		if (!v)
			return -1;
		s = &p->socks[v - 1];
		if (s->port == port && wgw_addr_eq(&s->addr, a))
			return (int)(v - 1);
		i = (i + 1) & p->slot_mask;
	}
}

static int udp_slot_insert(struct udp_port *p, unsigned idx)
{
	const struct udp_sock *s = &p->socks[idx];
	uint32_t i;

	if (udp_lookup(p, &s->addr, s->port) >= 0)
		return -EEXIST;
	i = udp_slot(p, &s->addr, s->port);
	while (p->slots[i])
		i = (i + 1) & p->slot_mask;
	p->slots[i] = idx + 1;
	return 0;
}

/* ---------------------------------------------------------------- RX */

/* Errors recvmmsg()/sendmmsg() can return on a healthy socket. */
static bool udp_errno_transient(int err)
{
	switch (err) {
	case EAGAIN:
	case EINTR:
	case ENOMEM:
	case ENOBUFS:
	case ECONNREFUSED:	/* ICMP errors, if anything enabled them */
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case EPERM:		/* netfilter said no */
	case EACCES:
	case EMSGSIZE:
	case EINVAL:		/* sendmmsg: one bad destination */
	case EADDRNOTAVAIL:	/* VIP removed from the host meanwhile */
		return true;
	default:
		return false;
	}
}

/*
 * The handshake limit of the XDP program, for what reaches the sockets
 * instead (hslimit.h): the whole client traffic in fallback mode, and in
 * fast-path mode what the program passed to the kernel, notably fragments,
 * which it cannot classify and the kernel reassembles.  Returns false when
 * the datagram is a handshake over its source's rate.
 */
static bool udp_hs_allow(struct udp_port *p, const union udp_sa *sa,
			 const uint8_t *payload, uint32_t len, uint64_t now_ns)
{
	union wgw_addr src;

	if (!wgw_hslimit_is_handshake(payload, len))
		return true;
	if (sa->sa.sa_family == AF_INET)
		wgw_addr_from_v4(&src, sa->in4.sin_addr.s_addr);
	else
		memcpy(src.b, &sa->in6.sin6_addr, 16);
	if (wgw_hslimit_allow(p->hs, &src, now_ns))
		return true;
	wgw_cnt_add(&p->xst.rx_hs_rate, 1);
	return false;
}

/*
 * Turn received datagram j into a frame: the synthetic header goes in the
 * WGW_SYNTH_HDR_MAX bytes left in front of the payload, so the frame starts
 * 20 bytes into them for IPv4 and at their start for IPv6.  now_ns: the
 * time for the handshake limiter, 0 when it is off.  Every datagram turned
 * down is counted.
 */
static bool udp_rx_frame(struct udp_port *p, const struct udp_sock *s, unsigned j,
			 uint64_t now_ns, struct wgw_buf *out)
{
	const struct mmsghdr *m = &p->rmsg[j];
	const union udp_sa *sa = &p->rname[j];
	uint8_t *payload = p->rbuf[j].data + WGW_SYNTH_HDR_MAX;
	uint8_t *frame;

	if (m->msg_hdr.msg_flags & MSG_TRUNC) {
		wgw_cnt_add(&p->xst.rx_truncated, 1);
		return false;
	}
	if (s->family == AF_INET) {
		if (m->msg_hdr.msg_namelen < sizeof(sa->in4) || sa->sa.sa_family != AF_INET)
			goto malformed;
	} else {
		if (m->msg_hdr.msg_namelen < sizeof(sa->in6) || sa->sa.sa_family != AF_INET6)
			goto malformed;
	}
	if (now_ns && !udp_hs_allow(p, sa, payload, m->msg_len, now_ns))
		return false;
	if (s->family == AF_INET)
		frame = wgw_synth_udp4(payload, m->msg_len, sa->in4.sin_addr.s_addr,
				       sa->in4.sin_port, s->addr4, s->port_be,
				       p->ip4_csum);
	else
		frame = wgw_synth_udp6(payload, m->msg_len, &sa->in6.sin6_addr,
				       sa->in6.sin6_port, &s->addr.in6, s->port_be);
	if (!frame)
		goto malformed;
	*out = p->rbuf[j];
	out->addr += (uint64_t)(frame - out->data);
	out->data = frame;
	out->len = (uint32_t)(payload + m->msg_len - frame);
	return true;
malformed:
	wgw_cnt_add(&p->xst.rx_malformed, 1);
	return false;
}

/* CLOCK_MONOTONIC in ns for the handshake limiter (vDSO: no syscall), or 0
 * when there is no limit to apply (hence the + 1: never 0 when on). */
static uint64_t udp_hs_now(const struct udp_port *p)
{
	struct timespec ts;

	if (!wgw_hslimit_enabled(p->hs))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec + 1;
}

/* Receive up to want datagrams from socket idx into out.  Returns the
 * number of frames produced (>= 0), or a negative errno when the socket is
 * broken.  *drained is set when the socket returned fewer than asked. */
static int udp_rx_sock(struct udp_port *p, unsigned idx, struct wgw_buf *out,
		       unsigned want, bool *drained)
{
	const struct udp_sock *s = &p->socks[idx];
	unsigned k, j, n = 0;
	uint64_t now_ns;
	int r;

	*drained = true;
	for (k = 0; k < want; k++) {
		if (wgw_pool_get_buf(p->pool, &p->rbuf[k]))
			break;
		p->riov[k].iov_base = p->rbuf[k].data + WGW_SYNTH_HDR_MAX;
		p->riov[k].iov_len = p->rx_cap;
		p->rmsg[k].msg_hdr.msg_namelen = sizeof(p->rname[k]);
	}
	if (k < want)
		wgw_cnt_add(&p->xst.rx_no_buf, 1);
	if (!k) {
		*drained = false;
		return 0;
	}
	r = recvmmsg(s->fd, p->rmsg, k, MSG_DONTWAIT, NULL);
	if (r < 0) {
		int err = errno;

		for (j = 0; j < k; j++)
			wgw_buf_free(&p->rbuf[j]);
		if (err == EAGAIN || err == EINTR)
			return 0;
		wgw_cnt_add(&p->st.rx_errors, 1);
		if (udp_errno_transient(err))
			return 0;
		return -err;
	}
	now_ns = udp_hs_now(p);
	for (j = 0; j < (unsigned)r; j++) {
		if (udp_rx_frame(p, s, j, now_ns, &out[n])) {
			wgw_cnt_add(&p->st.rx_bytes, out[n].len);
			n++;
		} else {
			wgw_buf_free(&p->rbuf[j]);
		}
	}
	for (; j < k; j++)
		wgw_buf_free(&p->rbuf[j]);
	wgw_cnt_add(&p->st.rx_packets, n);
	*drained = (unsigned)r < k;
	return (int)n;
}

static int udp_rx(struct wgw_port *port, struct wgw_buf *bufs, unsigned max)
{
	struct udp_port *p = to_udp(port);
	unsigned got = 0;
	bool drained;
	int n;

	if (max > UDP_RX_BATCH)
		max = UDP_RX_BATCH;
	if (p->nsocks == 1) {
		n = udp_rx_sock(p, 0, bufs, max, &drained);
		return n;
	}
	/*
	 * Ask epoll which sockets have data only when the previous answer is
	 * used up: one epoll_wait() per loop at most, however many sockets
	 * sit idle.  Every ready socket gets one recvmmsg() per answer (fair
	 * between VIP ports); level triggering reports a socket again while
	 * it still holds data.
	 */
	if (p->ev_next == p->nev) {
		int r = epoll_wait(p->epfd, p->evs, UDP_EPOLL_EVENTS, 0);

		wgw_cnt_add(&p->xst.epoll_waits, 1);
		p->ev_next = p->nev = 0;
		if (r < 0) {
			if (errno == EINTR)
				return 0;
			wgw_cnt_add(&p->st.rx_errors, 1);
			return -errno;
		}
		p->nev = (unsigned)r;
	}
	while (p->ev_next < p->nev && got < max) {
		unsigned idx = p->evs[p->ev_next].data.u32;

		n = udp_rx_sock(p, idx, bufs + got, max - got, &drained);
		if (n < 0)
			return got ? (int)got : n;
		got += (unsigned)n;
		if (drained)
			p->ev_next++;
		else
			break;	/* batch full or pool empty: this one next time */
	}
	return (int)got;
}

/* ---------------------------------------------------------------- TX */

int wgw_udp_tx_parse(uint8_t *frame, uint32_t len, struct wgw_udp_txinfo *out)
{
	struct wgw_pkt pkt;

	if (wgw_pkt_parse(&pkt, frame, len) != WGW_PKT_UDP)
		return -EPROTO;
	out->dport = wgw_pkt_dport(&pkt);
	if (!out->dport)
		return -EINVAL;
	out->sport = wgw_pkt_sport(&pkt);
	out->family = pkt.family;
	wgw_pkt_get_saddr(&pkt, &out->saddr);
	wgw_pkt_get_daddr(&pkt, &out->daddr);
	out->payload = pkt.data + pkt.payload_off;
	out->payload_len = pkt.payload_len;
	return 0;
}

/* Send the datagrams of one GSO message one by one, after the kernel
 * refused the message as a whole. */
static void udp_tx_unbatch(struct udp_port *p, const struct udp_sock *s,
			   const struct msghdr *h)
{
	for (size_t k = 0; k < h->msg_iovlen; k++) {
		struct msghdr one = {
			.msg_name = h->msg_name, .msg_namelen = h->msg_namelen,
			.msg_iov = &h->msg_iov[k], .msg_iovlen = 1,
		};
		ssize_t r = sendmsg(s->fd, &one, MSG_DONTWAIT);

		if (r >= 0) {
			wgw_cnt_add(&p->st.tx_packets, 1);
			wgw_cnt_add(&p->st.tx_bytes, (uint64_t)r);
		} else if (errno == EAGAIN || errno == ENOBUFS) {
			wgw_cnt_add(&p->st.tx_dropped, 1);
		} else {
			wgw_cnt_add(&p->st.tx_errors, 1);
		}
	}
}

/* Send cnt messages (tmsg[0..cnt), tsegs datagrams each) on one socket.
 * Whatever cannot be sent is counted: a full socket buffer drops the rest
 * of the group (tx_dropped), an error that concerns one destination skips
 * that message (tx_errors).  Returns a negative errno only for a broken
 * socket. */
static int udp_tx_group(struct udp_port *p, struct udp_sock *s, unsigned cnt)
{
	struct mmsghdr *msgs = p->tmsg;
	unsigned done = 0;

	while (done < cnt) {
		int r = sendmmsg(s->fd, msgs + done, cnt - done, MSG_DONTWAIT), err;

		if (r > 0) {
			for (unsigned i = done; i < done + (unsigned)r; i++) {
				wgw_cnt_add(&p->st.tx_bytes, msgs[i].msg_len);
				wgw_cnt_add(&p->st.tx_packets, p->tsegs[i]);
			}
			done += (unsigned)r;
			continue;
		}
		err = r < 0 ? errno : EIO;
		if (err == EINTR)
			continue;
		if (p->tsegs[done] > 1 &&
		    (err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP)) {
			/* No GSO on this path (EIO: the route's device cannot
			 * checksum; EINVAL/ENOPROTOOPT: an older kernel).  Send
			 * this message's datagrams singly and stop asking. */
			s->gso_off = true;
			wgw_cnt_add(&p->xst.tx_gso_refused, 1);
			udp_tx_unbatch(p, s, &msgs[done].msg_hdr);
			done++;
			continue;
		}
		if (err == EAGAIN || err == ENOBUFS) {
			for (; done < cnt; done++)
				wgw_cnt_add(&p->st.tx_dropped, p->tsegs[done]);
			return 0;
		}
		wgw_cnt_add(&p->st.tx_errors, p->tsegs[done]);
		if (!udp_errno_transient(err))
			return -err;
		done++;		/* the error was this message's */
	}
	return 0;
}

/* Whether datagram j can ride in the GSO message that has first datagram
 * f and holds n datagrams already: same destination, same size as the
 * first (only the last one of a message may be shorter, so no datagram
 * may follow a shorter one), within the kernel's limits. */
static bool udp_gso_fits(const struct udp_port *p, unsigned f, unsigned prev,
			 unsigned j, unsigned n, size_t bytes)
{
	size_t seg = p->tiov[f].iov_len;

	if (n >= UDP_GSO_MAX_SEGS || bytes + p->tiov[j].iov_len > UDP_GSO_MAX_BYTES)
		return false;
	/* A zero-length datagram would vanish inside a GSO message. */
	if (p->tiov[prev].iov_len != seg || p->tiov[j].iov_len > seg || !p->tiov[j].iov_len)
		return false;
	if (p->tnamelen[j] != p->tnamelen[f])
		return false;
	return memcmp(&p->tname[j], &p->tname[f], p->tnamelen[f]) == 0;
}

static void udp_gso_cmsg(struct udp_port *p, unsigned k, uint16_t seg)
{
	struct msghdr *h = &p->tmsg[k].msg_hdr;
	struct cmsghdr *c;

	h->msg_control = p->tcmsg[k].buf;
	h->msg_controllen = sizeof(p->tcmsg[k].buf);
	c = CMSG_FIRSTHDR(h);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	wgw_cnt_add(&p->xst.tx_gso_sends, 1);
}

static void udp_tx_chunk(struct udp_port *p, struct wgw_buf *bufs, unsigned n)
{
	struct wgw_udp_txinfo ti;
	unsigned i, j, m = 0;

	/* Pass 1: which socket, which destination, which bytes. */
	for (i = 0; i < n; i++) {
		struct wgw_buf *b = &bufs[i];
		union udp_sa *sa = &p->tname[m];
		int idx;

		if (wgw_udp_tx_parse(b->data, b->len, &ti)) {
			wgw_cnt_add(&p->xst.tx_bad, 1);
			wgw_buf_free(b);
			continue;
		}
		idx = udp_lookup(p, &ti.saddr, ti.sport);
		if (idx < 0) {
			wgw_cnt_add(&p->xst.tx_foreign, 1);
			wgw_buf_free(b);
			continue;
		}
		if (ti.family == AF_INET) {
			sa->in4 = (struct sockaddr_in){
				.sin_family = AF_INET,
				.sin_port = htons(ti.dport),
				.sin_addr.s_addr = wgw_addr_v4(&ti.daddr),
			};
			p->tnamelen[m] = sizeof(sa->in4);
		} else {
			sa->in6 = (struct sockaddr_in6){
				.sin6_family = AF_INET6,
				.sin6_port = htons(ti.dport),
				.sin6_addr = ti.daddr.in6,
			};
			p->tnamelen[m] = sizeof(sa->in6);
		}
		p->tiov[m].iov_base = (void *)ti.payload;
		p->tiov[m].iov_len = ti.payload_len;
		p->tsock[m] = (uint32_t)idx;
		p->tbuf[m] = *b;
		m++;
	}
	/*
	 * Pass 2: one sendmmsg() per socket, frames grouped by socket in
	 * arrival order.  O(frames x distinct sockets); a batch rarely spans
	 * more than a few VIP ports.  With GSO, consecutive datagrams of a
	 * group to the same client and of the same size become one message
	 * (UDP_SEGMENT): one trip through the stack for up to 64 datagrams,
	 * segmented by the NIC or at the last moment, and still no copy here
	 * since the payloads are gathered with an iovec each.
	 */
	for (i = 0; i < m; i++) {
		uint32_t s = p->tsock[i];
		struct udp_sock *us;
		unsigned ng = 0, nmsg = 0, f = 0, prev = 0;
		size_t bytes = 0;
		bool gso;

		if (s == UINT32_MAX)
			continue;
		us = &p->socks[s];
		gso = p->gso && !us->gso_off;
		for (j = i; j < m; j++) {
			struct msghdr *h;

			if (p->tsock[j] != s)
				continue;
			p->tsock[j] = UINT32_MAX;
			p->giov[ng] = p->tiov[j];
			if (gso && nmsg && udp_gso_fits(p, f, prev, j, p->tsegs[nmsg - 1], bytes)) {
				h = &p->tmsg[nmsg - 1].msg_hdr;
				h->msg_iovlen++;
				p->tsegs[nmsg - 1]++;
				bytes += p->tiov[j].iov_len;
				prev = j;
				ng++;
				continue;
			}
			if (nmsg && p->tsegs[nmsg - 1] > 1)
				udp_gso_cmsg(p, nmsg - 1, (uint16_t)p->tiov[f].iov_len);
			h = &p->tmsg[nmsg].msg_hdr;
			h->msg_name = &p->tname[j];
			h->msg_namelen = p->tnamelen[j];
			h->msg_iov = &p->giov[ng];
			h->msg_iovlen = 1;
			h->msg_control = NULL;
			h->msg_controllen = 0;
			p->tsegs[nmsg++] = 1;
			f = prev = j;
			bytes = p->tiov[j].iov_len;
			ng++;
		}
		if (nmsg && p->tsegs[nmsg - 1] > 1)
			udp_gso_cmsg(p, nmsg - 1, (uint16_t)p->tiov[f].iov_len);
		if (udp_tx_group(p, us, nmsg))
			wgw_log_ratelimited(LOG_ERR, "udp port: sendmmsg on VIP port %u failed",
					    us->port);
	}
	/* The kernel copied every payload: the frames are free again. */
	for (i = 0; i < m; i++)
		wgw_buf_free(&p->tbuf[i]);
}

static void udp_tx(struct wgw_port *port, struct wgw_buf *bufs, unsigned n)
{
	struct udp_port *p = to_udp(port);

	while (n) {
		unsigned c = n < UDP_TX_CHUNK ? n : UDP_TX_CHUNK;

		udp_tx_chunk(p, bufs, c);
		bufs += c;
		n -= c;
	}
}

/* ---------------------------------------------------------------- ops */

static int udp_service(struct wgw_port *port)
{
	(void)port;	/* sendmmsg() is synchronous: nothing queued */
	return 0;
}

static int udp_poll_fd(struct wgw_port *port)
{
	struct udp_port *p = to_udp(port);

	return p->nsocks == 1 ? p->socks[0].fd : p->epfd;
}

static void udp_stats(struct wgw_port *port, struct wgw_port_stats *out)
{
	wgw_cnt_snapshot(out, &to_udp(port)->st, sizeof(*out));
}

static const struct {
	const char *name;
	size_t off;
} udp_xstat[] = {
#define UDP_XSTAT(f) { #f, offsetof(struct wgw_udp_stats, f) }
	UDP_XSTAT(rx_truncated), UDP_XSTAT(rx_malformed), UDP_XSTAT(rx_hs_rate),
	UDP_XSTAT(rx_no_buf), UDP_XSTAT(tx_bad), UDP_XSTAT(tx_foreign),
	UDP_XSTAT(epoll_waits), UDP_XSTAT(tx_gso_sends), UDP_XSTAT(tx_gso_refused),
#undef UDP_XSTAT
};
_Static_assert(sizeof(udp_xstat) / sizeof(udp_xstat[0]) <= WGW_PORT_XSTATS_MAX,
	       "WGW_PORT_XSTATS_MAX holds the UDP port's counters");
_Static_assert(sizeof(udp_xstat) / sizeof(udp_xstat[0]) ==
	       sizeof(struct wgw_udp_stats) / sizeof(uint64_t),
	       "every UDP port counter is reported");

static unsigned udp_xstats(struct wgw_port *port, const char **names, uint64_t *vals,
			   unsigned max)
{
	const struct udp_port *p = to_udp(port);
	unsigned i;

	for (i = 0; i < max && i < sizeof(udp_xstat) / sizeof(udp_xstat[0]); i++) {
		names[i] = udp_xstat[i].name;
		vals[i] = wgw_cnt_get((const uint64_t *)((const char *)&p->xst +
							     udp_xstat[i].off));
	}
	return i;
}

static void udp_destroy(struct wgw_port *port)
{
	struct udp_port *p = to_udp(port);

	if (!p)
		return;
	for (unsigned i = 0; i < p->nsocks; i++)
		close(p->socks[i].fd);
	if (p->epfd >= 0)
		close(p->epfd);
	free(p->slots);
	free(p->socks);
	free(p);
}

static const struct wgw_port_ops udp_port_ops = {
	.kind = "udp",
	.rx_syscall = true,
	.rx = udp_rx,
	.tx = udp_tx,
	.service = udp_service,
	.poll_fd = udp_poll_fd,
	.stats = udp_stats,
	.xstats = udp_xstats,
	.destroy = udp_destroy,
};

bool wgw_port_is_udp(const struct wgw_port *port)
{
	return port && port->ops == &udp_port_ops;
}

void wgw_udp_port_stats(const struct wgw_port *port, struct wgw_udp_stats *out)
{
	wgw_cnt_snapshot(out, &((const struct udp_port *)port)->xst, sizeof(*out));
}

/* ---------------------------------------------------------------- setup */

/* Set a socket buffer size, past net.core.[rw]mem_max when we may. */
static int udp_sock_buf(int fd, int force_opt, int opt, int bytes)
{
	if (!setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)))
		return 0;
	if (errno != EPERM)
		return -1;
	return setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
}

/*
 * Take the socket a previous daemon bound for s (a takeover): it must be a
 * UDP socket of s's family bound to s's address and port, else -EINVAL.
 */
static int udp_sock_adopt(struct udp_sock *s, const struct wgw_udp_cfg *cfg, unsigned idx)
{
	union udp_sa sa;
	socklen_t salen = sizeof(sa);
	int type = 0, fl;
	socklen_t tl = sizeof(type);
	int fd;
	bool same;

	if (idx >= cfg->n_inherit)
		return -EINVAL;
	fd = cfg->inherit[idx];
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_DGRAM ||
	    getsockname(fd, &sa.sa, &salen) || sa.sa.sa_family != s->family)
		return -EINVAL;
	if (s->family == AF_INET)
		same = sa.in4.sin_port == s->port_be && sa.in4.sin_addr.s_addr == s->addr4;
	else
		same = sa.in6.sin6_port == s->port_be &&
		       !memcmp(&sa.in6.sin6_addr, &s->addr.in6, sizeof(sa.in6.sin6_addr));
	if (!same)
		return -EINVAL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) || fcntl(fd, F_SETFD, FD_CLOEXEC))
		return -errno;
	s->fd = fd;
	return 0;
}

static int udp_sock_open(struct udp_sock *s, const struct wgw_udp_cfg *cfg,
			 int rcvbuf, int sndbuf)
{
	union udp_sa sa;
	socklen_t salen;
	int one = 1, fd, err;

	fd = socket(s->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto err;
	if (udp_sock_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf) ||
	    udp_sock_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf))
		goto err;
	memset(&sa, 0, sizeof(sa));
	if (s->family == AF_INET) {
		if (cfg->freebind &&
		    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)))
			goto err;
		sa.in4.sin_family = AF_INET;
		sa.in4.sin_port = s->port_be;
		sa.in4.sin_addr.s_addr = s->addr4;
		salen = sizeof(sa.in4);
	} else {
		/* Dual-stack sockets would also take IPv4 datagrams for the
		 * IPv4-mapped form: a VIP is one address of one family. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
			goto err;
		if (cfg->freebind &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)))
			goto err;
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = s->port_be;
		sa.in6.sin6_addr = s->addr.in6;
		salen = sizeof(sa.in6);
	}
	if (bind(fd, &sa.sa, salen))
		goto err;
	s->fd = fd;
	return 0;
err:
	err = -errno;
	close(fd);
	return err;
}

static int udp_default_buf(unsigned nsocks)
{
	unsigned b = WGW_UDP_BUF_BUDGET / nsocks;

	return (int)(b < WGW_UDP_BUF_MIN ? WGW_UDP_BUF_MIN : b);
}

static const char *udp_vip_str(const struct wgw_vip *v, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool v6 = !wgw_addr_is_v4(&v->addr);

	wgw_addr_str(&v->addr, a, sizeof(a));
	if (v->port_lo == v->port_hi)
		snprintf(buf, len, "%s%s%s:%u", v6 ? "[" : "", a, v6 ? "]" : "", v->port_lo);
	else
		snprintf(buf, len, "%s%s%s:%u-%u", v6 ? "[" : "", a, v6 ? "]" : "",
			 v->port_lo, v->port_hi);
	return buf;
}

static struct wgw_port *udp_port_build(struct wgw_pool *pool,
				       const struct wgw_vip *vips, unsigned nvips,
				       const struct wgw_udp_cfg *cfg, unsigned *taken)
{
	char vs[INET6_ADDRSTRLEN + 16];
	struct udp_port *p;
	unsigned total = 0, i, nslots;
	int err, rcvbuf, sndbuf;

	if (!pool || !vips || !nvips || !cfg) {
		errno = EINVAL;
		return NULL;
	}
	if (pool->frame_size < pool->headroom + WGW_SYNTH_HDR_MAX + WRAITH_MIN_PAYLOAD) {
		wgw_err("udp port: frame size %u with headroom %u leaves no room for a datagram",
			pool->frame_size, pool->headroom);
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < nvips; i++) {
		const struct wgw_vip *v = &vips[i];
		unsigned n;

		if (!v->port_lo || v->port_hi < v->port_lo) {
			wgw_err("udp port: VIP %s: bad port range",
				udp_vip_str(v, vs, sizeof(vs)));
			errno = EINVAL;
			return NULL;
		}
		n = (unsigned)v->port_hi - v->port_lo + 1;
		if (n > WGW_UDP_MAX_RANGE) {
			wgw_err("udp port: VIP %s has %u ports; the UDP fallback binds one socket per port and per worker, at most %u ports per VIP: use XDP mode or a smaller range",
				udp_vip_str(v, vs, sizeof(vs)), n, WGW_UDP_MAX_RANGE);
			errno = E2BIG;
			return NULL;
		}
		total += n;
	}
	if (total > WGW_UDP_MAX_SOCKETS) {
		wgw_err("udp port: the VIPs add up to %u ports; the UDP fallback binds at most %u",
			total, WGW_UDP_MAX_SOCKETS);
		errno = E2BIG;
		return NULL;
	}

	rcvbuf = cfg->rcvbuf > 0 ? cfg->rcvbuf : udp_default_buf(total);
	sndbuf = cfg->sndbuf > 0 ? cfg->sndbuf : udp_default_buf(total);

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->base.ops = &udp_port_ops;
	p->base.sides = WGW_SIDE_WAN;
	p->base.needs_l2 = false;
	p->base.ifindex = 0;
	snprintf(p->base.ifname, sizeof(p->base.ifname), "udp");
	p->pool = pool;
	p->epfd = -1;
	p->ip4_csum = cfg->ip4_udp_csum;
	p->hs = cfg->hs;
	p->gso = !cfg->no_gso;
	p->rx_cap = pool->frame_size - pool->headroom - WGW_SYNTH_HDR_MAX;
	if (p->rx_cap > WGW_SYNTH_PAYLOAD_MAX)
		p->rx_cap = WGW_SYNTH_PAYLOAD_MAX;
	for (nslots = 2; nslots < 2 * total; nslots <<= 1)
		;
	p->slot_mask = nslots - 1;
	p->slot_shift = 32 - (unsigned)__builtin_ctz(nslots);
	p->slots = calloc(nslots, sizeof(*p->slots));
	p->socks = calloc(total, sizeof(*p->socks));
	if (!p->slots || !p->socks) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < UDP_RX_BATCH; i++) {
		p->rmsg[i].msg_hdr.msg_name = &p->rname[i];
		p->rmsg[i].msg_hdr.msg_iov = &p->riov[i];
		p->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	if (total > 1) {
		p->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (p->epfd < 0) {
			err = -errno;
			goto err_free;
		}
	}
	for (i = 0; i < nvips; i++) {
		const struct wgw_vip *v = &vips[i];

		for (uint32_t port = v->port_lo; port <= v->port_hi; port++) {
			struct udp_sock *s = &p->socks[p->nsocks];

			s->addr = v->addr;
			s->port = (uint16_t)port;
			s->port_be = htons((uint16_t)port);
			s->family = wgw_addr_is_v4(&v->addr) ? AF_INET : AF_INET6;
			s->addr4 = s->family == AF_INET ? wgw_addr_v4(&v->addr) : 0;
			err = udp_slot_insert(p, p->nsocks);
			if (err) {
				wgw_err("udp port: VIP %s: port %u listed twice",
					udp_vip_str(v, vs, sizeof(vs)), port);
				err = -EINVAL;
				goto err_close;
			}
			err = cfg->inherit ? udp_sock_adopt(s, cfg, p->nsocks) :
					     udp_sock_open(s, cfg, rcvbuf, sndbuf);
			if (err) {
				wgw_err("udp port: VIP %s: cannot bind port %u: %s",
					udp_vip_str(v, vs, sizeof(vs)), port, strerror(-err));
				goto err_close;
			}
			p->nsocks++;
			if (p->epfd >= 0) {
				struct epoll_event ev = {
					.events = EPOLLIN,
					.data.u32 = p->nsocks - 1,
				};

				if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, s->fd, &ev)) {
					err = -errno;
					goto err_close;
				}
			}
		}
	}
	if (cfg->inherit && p->nsocks != cfg->n_inherit) {
		wgw_err("udp port: %u sockets handed over for %u VIP ports", cfg->n_inherit,
			p->nsocks);
		err = -EINVAL;
		goto err_close;
	}
	return &p->base;

err_close:
	/* udp_destroy() closes the sockets opened so far and the epoll set. */
err_free:
	*taken = p->nsocks;
	udp_destroy(&p->base);
	errno = -err;
	return NULL;
}

struct wgw_port *wgw_udp_port_create(struct wgw_pool *pool,
				     const struct wgw_vip *vips, unsigned nvips,
				     const struct wgw_udp_cfg *cfg)
{
	unsigned taken = 0;
	struct wgw_port *port = udp_port_build(pool, vips, nvips, cfg, &taken);
	int err = errno;

	/* Handed-over sockets the port did not take (it closed the others). */
	for (unsigned i = taken; !port && cfg && cfg->inherit && i < cfg->n_inherit; i++)
		close(cfg->inherit[i]);
	errno = err;
	return port;
}

unsigned wgw_udp_port_fds(const struct wgw_port *port, int *fds, unsigned max)
{
	const struct udp_port *p = (const struct udp_port *)port;
	unsigned n = 0;

	if (!wgw_port_is_udp(port))
		return 0;
	for (unsigned i = 0; i < p->nsocks && n < max; i++)
		fds[n++] = p->socks[i].fd;
	return n;
}
