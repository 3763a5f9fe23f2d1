// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "fallback/synth.h"
#include "fallback/tun.h"
#include "gateway/counter.h"
#include "gateway/log.h"
#include "gateway/packet.h"

#ifndef IFF_TUN_EXCL
#define IFF_TUN_EXCL 0x8000	/* linux/if_tun.h: fail if the name exists */
#endif

#define TUN_DEV_PATH "/dev/net/tun"
/* The virtio header is read into the last 10 bytes of the Ethernet header's
 * place, so the IP header lands at frame + ETH: no move afterwards. */
#define TUN_VNET_OFF (WGW_SYNTH_ETH_LEN - WGW_TUN_VNET_HDR_LEN)

_Static_assert(sizeof(struct virtio_net_hdr) == WGW_TUN_VNET_HDR_LEN,
	       "virtio_net_hdr is 10 bytes");

struct wgw_tun {
	char name[IFNAMSIZ];
	int ifindex;
	unsigned nqueues;
	int *fds;
};

struct tun_port {
	struct wgw_port base;	/* first: the worker sees a wgw_port */
	struct wgw_pool *pool;
	int fd;			/* our own reference to the queue's file */
	uint32_t rd_cap;	/* bytes read() may write: virtio header + IP */
	unsigned nnat;
	union wgw_addr nat[WGW_TUN_MAX_NAT];
	struct wgw_port_stats st;
	struct wgw_tun_stats xst;
};

static const struct wgw_port_ops tun_port_ops;

static inline struct tun_port *to_tun(struct wgw_port *port)
{
	return (struct tun_port *)port;
}

static inline uint16_t ld_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---------------------------------------------------------------- frames */

static bool tun_is_nat(const union wgw_addr *a, const union wgw_addr *nat, unsigned nnat)
{
	for (unsigned i = 0; i < nnat; i++)
		if (wgw_addr_eq(a, &nat[i]))
			return true;
	return false;
}

/* Destination of an IP packet the parser did not take as UDP (fragments,
 * extension headers): read from the fixed header, which it validated. */
static void tun_raw_daddr(const uint8_t *ip, union wgw_addr *a)
{
	uint32_t v4;

	if ((ip[0] >> 4) == 4) {
		memcpy(&v4, ip + 16, 4);
		wgw_addr_from_v4(a, v4);
	} else {
		memcpy(a->b, ip + 24, 16);
	}
}

enum wgw_tun_rx wgw_tun_rx_frame(uint8_t *frame, uint32_t len,
				 const union wgw_addr *nat, unsigned nnat,
				 bool *csum_done)
{
	struct virtio_net_hdr vh;
	struct wgw_pkt pkt;
	union wgw_addr da;
	uint32_t start, end;
	uint16_t c;

	*csum_done = false;
	if (len < WGW_SYNTH_ETH_LEN + 1)
		return WGW_TUN_RX_MALFORMED;
	/* The virtio header overlaps the Ethernet header we are about to
	 * write: take it out first. */
	memcpy(&vh, frame + TUN_VNET_OFF, sizeof(vh));
	if ((vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_NONE)
		return WGW_TUN_RX_GSO;
	switch (frame[WGW_SYNTH_ETH_LEN] >> 4) {
	case 4:
		wgw_synth_eth(frame, ETH_P_IP);
		break;
	case 6:
		wgw_synth_eth(frame, ETH_P_IPV6);
		break;
	default:
		return WGW_TUN_RX_NOT_OURS;
	}
	switch (wgw_pkt_parse(&pkt, frame, len)) {
	case WGW_PKT_UDP:
		break;
	case WGW_PKT_FRAGMENT:
	case WGW_PKT_IPV6_EXTHDR:
		tun_raw_daddr(frame + WGW_SYNTH_ETH_LEN, &da);
		return tun_is_nat(&da, nat, nnat) ? WGW_TUN_RX_FRAGMENT
						  : WGW_TUN_RX_NOT_OURS;
	case WGW_PKT_NOT_IP:
	case WGW_PKT_NOT_UDP:
		return WGW_TUN_RX_NOT_OURS;
	default:
		return WGW_TUN_RX_MALFORMED;
	}
	wgw_pkt_get_daddr(&pkt, &da);
	if (!tun_is_nat(&da, nat, nnat))
		return WGW_TUN_RX_NOT_OURS;
	if (!(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return WGW_TUN_RX_OK;
	/*
	 * CHECKSUM_PARTIAL (a datagram from a local socket or a veth peer):
	 * the field holds the pseudo-header sum; finish it as
	 * skb_checksum_help() does.  The offsets come from the kernel but are
	 * checked anyway.  Virtio fields are in the host's order (legacy
	 * header, no TUNSETVNETBE/LE).
	 */
	start = pkt.l3_off + (uint32_t)vh.csum_start;
	end = (uint32_t)pkt.l3_off + pkt.ip_len;
	if (start < pkt.l4_off || start + vh.csum_offset + 2u > end)
		return WGW_TUN_RX_MALFORMED;
	c = wgw_csum_fold(wgw_csum_partial(frame + start, end - start, 0));
	if (!c && pkt.l4_proto == IPPROTO_UDP)
		c = 0xffff;	/* RFC 768: a computed 0 is sent as all ones */
	memcpy(frame + start + vh.csum_offset, &c, 2);
	*csum_done = true;
	return WGW_TUN_RX_OK;
}

int wgw_tun_tx_prepare(uint8_t *frame, uint32_t len, bool csum_offload,
		       uint8_t **out, uint32_t *outlen)
{
	struct virtio_net_hdr vh = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	uint32_t l3 = WGW_SYNTH_ETH_LEN, avail, tot, ihl;
	uint16_t type;
	uint8_t *ip;
	int ret = 0;

	if (len < WGW_SYNTH_ETH_LEN)
		return -EPROTO;
	type = ld_be16(frame + 12);
	if (type == ETH_P_8021Q || type == ETH_P_8021AD) {
		if (len < WGW_SYNTH_ETH_LEN + 4)
			return -EPROTO;
		type = ld_be16(frame + 16);
		l3 += 4;
	}
	ip = frame + l3;
	avail = len - l3;
	if (type == ETH_P_IP) {
		if (avail < WGW_SYNTH_IP4_LEN || (ip[0] >> 4) != 4)
			return -EPROTO;
		ihl = (ip[0] & 0x0fu) * 4;
		tot = ld_be16(ip + 2);
		if (ihl < WGW_SYNTH_IP4_LEN || tot < ihl || tot > avail)
			return -EPROTO;
		/*
		 * No UDP checksum: let the kernel (or the NIC) compute one
		 * rather than send the datagram unprotected, at no cost here.
		 * Only for a whole datagram whose UDP length covers the rest
		 * of the IP packet: the kernel sums from csum_start to the
		 * end of the packet.
		 */
		if (csum_offload && ip[9] == IPPROTO_UDP &&
		    (ld_be16(ip + 6) & 0x3fff) == 0 && tot >= ihl + WGW_SYNTH_UDP_LEN &&
		    ip[ihl + 6] == 0 && ip[ihl + 7] == 0 &&
		    ld_be16(ip + ihl + 4) == tot - ihl) {
			uint16_t ps;

			ps = wgw_synth_udp_pseudo(AF_INET, ip, htons((uint16_t)(tot - ihl)));
			memcpy(ip + ihl + 6, &ps, 2);
			vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			vh.csum_start = (uint16_t)ihl;
			vh.csum_offset = 6;
			ret = 1;
		}
	} else if (type == ETH_P_IPV6) {
		if (avail < WGW_SYNTH_IP6_LEN || (ip[0] >> 4) != 6)
			return -EPROTO;
		tot = WGW_SYNTH_IP6_LEN + (uint32_t)ld_be16(ip + 4);
		if (tot > avail)
			return -EPROTO;
	} else {
		return -EPROTO;
	}
	memcpy(ip - WGW_TUN_VNET_HDR_LEN, &vh, sizeof(vh));
	*out = ip - WGW_TUN_VNET_HDR_LEN;
	*outlen = tot + WGW_TUN_VNET_HDR_LEN;
	return ret;
}

/* ---------------------------------------------------------------- port */

/* read() errors that mean the queue is gone rather than empty. */
static bool tun_errno_fatal(int err)
{
	return err == EBADF || err == EBADFD || err == EFAULT || err == ENODEV;
}

static int tun_rx(struct wgw_port *port, struct wgw_buf *bufs, unsigned max)
{
	struct tun_port *p = to_tun(port);
	unsigned n = 0;

	/* TUN has no batched read: one read() per packet, until the queue is
	 * empty or the batch full.  That syscall per packet is the price of
	 * the fallback path. */
	while (n < max) {
		struct wgw_buf b;
		enum wgw_tun_rx v;
		bool csum;
		ssize_t r;

		if (wgw_pool_get_buf(p->pool, &b)) {
			wgw_cnt_add(&p->xst.rx_no_buf, 1);
			break;
		}
		r = read(p->fd, b.data + TUN_VNET_OFF, p->rd_cap);
		if (r < 0) {
			int err = errno;

			wgw_buf_free(&b);
			if (err == EAGAIN || err == EINTR)
				break;
			wgw_cnt_add(&p->st.rx_errors, 1);
			if (tun_errno_fatal(err))
				return n ? (int)n : -err;
			break;
		}
		/* The kernel reports the whole packet's length even when it
		 * did not fit: anything over rd_cap was cut. */
		if ((size_t)r <= WGW_TUN_VNET_HDR_LEN || (size_t)r > p->rd_cap) {
			wgw_cnt_add(&p->xst.rx_malformed, 1);
			wgw_buf_free(&b);
			continue;
		}
		b.len = (uint32_t)r + TUN_VNET_OFF;
		v = wgw_tun_rx_frame(b.data, b.len, p->nat, p->nnat, &csum);
		switch (v) {
		case WGW_TUN_RX_OK:
			wgw_cnt_add(&p->xst.rx_csum_completed, csum);
			wgw_cnt_add(&p->st.rx_packets, 1);
			wgw_cnt_add(&p->st.rx_bytes, b.len);
			bufs[n++] = b;
			continue;
		case WGW_TUN_RX_NOT_OURS:
			wgw_cnt_add(&p->xst.not_ours, 1);
			break;
		case WGW_TUN_RX_FRAGMENT:
			/* Not reassembled here: the loss must show, in
			 * rx_fragments and in the log (wraith-gatewayd(8)). */
			wgw_cnt_add(&p->xst.rx_fragments, 1);
			wgw_log_ratelimited(LOG_WARNING,
					    "tun %s: fragmented backend datagram to the NAT address dropped (rx_fragments %" PRIu64 "): backends must send datagrams that fit the LAN path MTU",
					    p->base.ifname, p->xst.rx_fragments);
			break;
		case WGW_TUN_RX_GSO:
			wgw_cnt_add(&p->xst.rx_gso, 1);
			break;
		default:
			wgw_cnt_add(&p->xst.rx_malformed, 1);
			break;
		}
		wgw_buf_free(&b);
	}
	return (int)n;
}

static void tun_tx(struct wgw_port *port, struct wgw_buf *bufs, unsigned n)
{
	struct tun_port *p = to_tun(port);

	/* One write() per packet: TUN takes no batches (IFF_NAPI only changes
	 * how the kernel receives what we write, not the syscall count). */
	for (unsigned i = 0; i < n; i++) {
		struct wgw_buf *b = &bufs[i];
		uint32_t olen;
		uint8_t *out;
		ssize_t w;
		int rc;

		rc = wgw_tun_tx_prepare(b->data, b->len, true, &out, &olen);
		if (rc < 0) {
			wgw_cnt_add(&p->xst.tx_bad, 1);
			wgw_buf_free(b);
			continue;
		}
		wgw_cnt_add(&p->xst.tx_csum_offload, (unsigned)rc);
		do
			w = write(p->fd, out, olen);
		while (w < 0 && errno == EINTR);
		if (w == (ssize_t)olen) {
			wgw_cnt_add(&p->st.tx_packets, 1);
			wgw_cnt_add(&p->st.tx_bytes, olen - WGW_TUN_VNET_HDR_LEN);
		} else if (w < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			wgw_cnt_add(&p->st.tx_dropped, 1);
		} else {
			wgw_cnt_add(&p->st.tx_errors, 1);
			wgw_log_ratelimited(LOG_WARNING, "tun %s queue %u: write: %s",
					    p->base.ifname, p->base.queue,
					    w < 0 ? strerror(errno) : "short write");
		}
		wgw_buf_free(b);
	}
}

static int tun_service(struct wgw_port *port)
{
	(void)port;	/* write() is synchronous: nothing queued */
	return 0;
}

static int tun_poll_fd(struct wgw_port *port)
{
	return to_tun(port)->fd;
}

static void tun_stats(struct wgw_port *port, struct wgw_port_stats *out)
{
	wgw_cnt_snapshot(out, &to_tun(port)->st, sizeof(*out));
}

static const struct {
	const char *name;
	size_t off;
} tun_xstat[] = {
#define TUN_XSTAT(f) { #f, offsetof(struct wgw_tun_stats, f) }
	TUN_XSTAT(not_ours), TUN_XSTAT(rx_fragments), TUN_XSTAT(rx_malformed),
	TUN_XSTAT(rx_gso), TUN_XSTAT(rx_csum_completed), TUN_XSTAT(rx_no_buf),
	TUN_XSTAT(tx_bad), TUN_XSTAT(tx_csum_offload),
#undef TUN_XSTAT
};
_Static_assert(sizeof(tun_xstat) / sizeof(tun_xstat[0]) <= WGW_PORT_XSTATS_MAX,
	       "WGW_PORT_XSTATS_MAX holds the TUN port's counters");
_Static_assert(sizeof(tun_xstat) / sizeof(tun_xstat[0]) ==
	       sizeof(struct wgw_tun_stats) / sizeof(uint64_t),
	       "every TUN port counter is reported");

static unsigned tun_xstats(struct wgw_port *port, const char **names, uint64_t *vals,
			   unsigned max)
{
	const struct tun_port *p = to_tun(port);
	unsigned i;

	for (i = 0; i < max && i < sizeof(tun_xstat) / sizeof(tun_xstat[0]); i++) {
		names[i] = tun_xstat[i].name;
		vals[i] = wgw_cnt_get((const uint64_t *)((const char *)&p->xst +
							     tun_xstat[i].off));
	}
	return i;
}

static void tun_destroy(struct wgw_port *port)
{
	struct tun_port *p = to_tun(port);

	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	free(p);
}

static const struct wgw_port_ops tun_port_ops = {
	.kind = "tun",
	.rx_syscall = true,
	.rx = tun_rx,
	.tx = tun_tx,
	.service = tun_service,
	.poll_fd = tun_poll_fd,
	.stats = tun_stats,
	.xstats = tun_xstats,
	.destroy = tun_destroy,
};

bool wgw_port_is_tun(const struct wgw_port *port)
{
	return port && port->ops == &tun_port_ops;
}

void wgw_tun_port_stats(const struct wgw_port *port, struct wgw_tun_stats *out)
{
	wgw_cnt_snapshot(out, &((const struct tun_port *)port)->xst, sizeof(*out));
}

/* ---------------------------------------------------------------- device */

static int tun_ifreq(int req, struct ifreq *ifr)
{
	int fd, rc = 0;

	/* Any socket reaches the device ioctls; this one needs no address. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, (unsigned long)req, ifr))
		rc = -errno;
	close(fd);
	return rc;
}

static int tun_attach_queue(struct wgw_tun *t, unsigned q)
{
	struct ifreq ifr;
	int fd, hdr = WGW_TUN_VNET_HDR_LEN, err;

	fd = open(TUN_DEV_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	/* The first queue creates the device and must not attach to one that
	 * exists; the others attach to it. */
	if (q == 0)
		ifr.ifr_flags |= IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = errno == EBUSY && q == 0 ? -EEXIST : -errno;
		goto err_close;
	}
	if (q == 0)
		memcpy(t->name, ifr.ifr_name, sizeof(t->name));
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr)) {
		err = -errno;
		goto err_close;
	}
	t->fds[q] = fd;
	return 0;

err_close:
	close(fd);
	return err;
}

struct wgw_tun *wgw_tun_open(const char *name, unsigned nqueues, unsigned mtu)
{
	struct wgw_tun *t;
	struct ifreq ifr;
	unsigned q;
	int err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ || !nqueues ||
	    nqueues > WGW_TUN_MAX_QUEUES) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->fds = calloc(nqueues, sizeof(*t->fds));
	if (!t->fds) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	snprintf(t->name, sizeof(t->name), "%s", name);
	for (q = 0; q < nqueues; q++) {
		err = tun_attach_queue(t, q);
		if (err) {
			wgw_err("tun %s: queue %u: %s%s", t->name, q, strerror(-err),
				err == -EEXIST ? " (the name is taken)" : "");
			goto err_close;
		}
		t->nqueues++;
	}
	/* Checksum offload both ways; no TSO/USO, so the kernel never hands
	 * us a GSO packet. */
	if (ioctl(t->fds[0], TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM)) {
		err = -errno;
		wgw_err("tun %s: TUNSETOFFLOAD: %s", t->name, strerror(-err));
		goto err_close;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	err = tun_ifreq(SIOCGIFINDEX, &ifr);
	if (err)
		goto err_link;
	t->ifindex = ifr.ifr_ifindex;
	if (mtu) {
		ifr.ifr_mtu = (int)mtu;
		err = tun_ifreq(SIOCSIFMTU, &ifr);
		if (err)
			goto err_link;
	}
	/* Each queue buffers what the kernel routes to G until the worker
	 * reads it: the default 500 packets is a few hundred microseconds of
	 * traffic, less than a worker may be off its CPU on a busy box. */
	ifr.ifr_qlen = WGW_TUN_TXQUEUELEN;
	err = tun_ifreq(SIOCSIFTXQLEN, &ifr);
	if (err)
		wgw_warn("tun %s: cannot set txqueuelen %u: %s", t->name,
			 WGW_TUN_TXQUEUELEN, strerror(-err));
	err = tun_ifreq(SIOCGIFFLAGS, &ifr);
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		err = tun_ifreq(SIOCSIFFLAGS, &ifr);
	}
	if (err)
		goto err_link;
	return t;

err_link:
	wgw_err("tun %s: cannot set MTU or bring the link up: %s", t->name,
		strerror(-err));
err_close:
	wgw_tun_close(t);
	errno = -err;
	return NULL;
}

struct wgw_tun *wgw_tun_adopt(const int *fds, unsigned nqueues)
{
	struct wgw_tun *t = NULL;
	struct ifreq ifr;
	unsigned q = 0;
	int err = -EINVAL;

	if (!fds || !nqueues || nqueues > WGW_TUN_MAX_QUEUES)
		goto err;
	err = -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->fds = calloc(nqueues, sizeof(*t->fds))))
		goto err;
	for (; q < nqueues; q++) {
		memset(&ifr, 0, sizeof(ifr));
		if (ioctl(fds[q], TUNGETIFF, &ifr)) {
			err = -errno;
			goto err;
		}
		if (q == 0)
			memcpy(t->name, ifr.ifr_name, sizeof(t->name));
		else if (strncmp(t->name, ifr.ifr_name, sizeof(t->name)))
			goto err_mixed;
		t->fds[q] = fds[q];
		t->nqueues++;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	err = tun_ifreq(SIOCGIFINDEX, &ifr);
	if (err)
		goto err;
	t->ifindex = ifr.ifr_ifindex;
	return t;

err_mixed:
	err = -EINVAL;
err:
	for (unsigned i = q; i < nqueues && fds; i++)
		close(fds[i]);
	if (t && t->fds)
		wgw_tun_close(t);
	else
		free(t);
	errno = -err;
	return NULL;
}

const int *wgw_tun_fds(const struct wgw_tun *t)
{
	return t->fds;
}

int wgw_tun_set_mtu(struct wgw_tun *t, unsigned mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	ifr.ifr_mtu = (int)mtu;
	return tun_ifreq(SIOCSIFMTU, &ifr);
}

int wgw_tun_ifindex(const struct wgw_tun *t)
{
	return t->ifindex;
}

const char *wgw_tun_name(const struct wgw_tun *t)
{
	return t->name;
}

unsigned wgw_tun_nqueues(const struct wgw_tun *t)
{
	return t->nqueues;
}

void wgw_tun_close(struct wgw_tun *t)
{
	if (!t)
		return;
	for (unsigned q = 0; q < t->nqueues; q++)
		close(t->fds[q]);
	free(t->fds);
	free(t);
}

struct wgw_port *wgw_tun_port_create(struct wgw_tun *t, unsigned queue,
				     struct wgw_pool *pool,
				     const union wgw_addr *nat, unsigned nnat)
{
	struct tun_port *p;
	struct ifreq ifr;
	uint32_t room;

	if (!t || !pool || queue >= t->nqueues || !nnat || nnat > WGW_TUN_MAX_NAT) {
		errno = EINVAL;
		return NULL;
	}
	room = pool->frame_size - pool->headroom;
	if (room < WGW_SYNTH_HDR6_LEN + WRAITH_MIN_PAYLOAD) {
		wgw_err("tun %s: frame size %u with headroom %u leaves no room for a packet",
			t->name, pool->frame_size, pool->headroom);
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	/* Our own reference: the queue stays attached until both the device
	 * object and this port have let go, whatever order they go in. */
	p->fd = fcntl(t->fds[queue], F_DUPFD_CLOEXEC, 0);
	if (p->fd < 0) {
		free(p);
		return NULL;
	}
	p->base.ops = &tun_port_ops;
	p->base.sides = WGW_SIDE_LAN;
	p->base.needs_l2 = false;
	p->base.ifindex = t->ifindex;
	p->base.queue = queue;
	memcpy(p->base.ifname, t->name, sizeof(p->base.ifname));
	p->pool = pool;
	p->rd_cap = room - TUN_VNET_OFF;
	p->nnat = nnat;
	memcpy(p->nat, nat, nnat * sizeof(*nat));

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->name, sizeof(ifr.ifr_name));
	if (!tun_ifreq(SIOCGIFMTU, &ifr) &&
	    (uint32_t)ifr.ifr_mtu + WGW_TUN_VNET_HDR_LEN > p->rd_cap)
		wgw_warn("tun %s: MTU %d is larger than a frame holds (%u bytes of IP): longer packets will be dropped",
			 t->name, ifr.ifr_mtu, p->rd_cap - WGW_TUN_VNET_HDR_LEN);
	return &p->base;
}
