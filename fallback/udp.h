/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * UDP socket port (WAN side of the fallback path, and the catch-all beside
 * AF_XDP in fast-path mode): one UDP socket per VIP address:port, bound to
 * exactly that address and port with SO_REUSEPORT, so that every worker has
 * its own socket in each VIP port's reuseport group and the kernel spreads
 * flows over the workers.
 *
 * RX: recvmmsg() straight into pool frames, WGW_SYNTH_HDR_MAX bytes after
 * the frame start, then a synthetic Ethernet + IP + UDP header (source: the
 * client from msg_name; destination: the socket's VIP) is written in front
 * of the payload, so the engine sees an ordinary frame.  Which sockets have
 * data is asked of one epoll set (one syscall per loop, not one per idle
 * socket); a port with a single socket skips epoll.
 *
 * TX: frames the engine rewrote for the WAN (source VIP addr:port,
 * destination the client).  The UDP payload is sent with sendmmsg() on the
 * socket bound to the frame's source address and port, batched per socket;
 * a frame whose source is not one of this port's sockets is dropped and
 * counted, never sent from another address.  Because each socket is bound
 * to one VIP address, replies always leave from the address the client
 * used (no IP_PKTINFO needed).  Runs of same-size datagrams to one client
 * leave as one UDP GSO message (UDP_SEGMENT), payloads gathered from the
 * frames without a copy.
 *
 * No UDP GRO on RX: a coalesced buffer would have to be cut into one frame
 * per datagram with a copy each (every datagram needs its own header in
 * front, and the engine works frame by frame), which undoes the copy-free
 * receive; and GRO only merges back-to-back datagrams of one flow, while
 * a VIP sees many small client flows.
 */
#ifndef WGW_FALLBACK_UDP_H
#define WGW_FALLBACK_UDP_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/engine.h"	/* struct wgw_vip */
#include "gateway/hslimit.h"
#include "gateway/pool.h"
#include "gateway/port.h"

/* Ports of one VIP range a port binds at most (one socket each, per
 * worker): a 10001-port range on 2 workers would be 20002 descriptors. */
#define WGW_UDP_MAX_RANGE 1024
/* Sockets per port object, all VIPs together. */
#define WGW_UDP_MAX_SOCKETS 4096
/*
 * Default socket buffers.  The kernel's default (net.core.rmem_default,
 * 208 KiB) holds about 270 small datagrams: 20 ms at 14 kpps, less than a
 * worker can be off its CPU on a busy box, and the end-to-end tests lost
 * datagrams to it.  A port's sockets share a budget (a 1024-port range
 * must not pin gigabytes), with a floor per socket.  Set with
 * SO_RCVBUFFORCE / SO_SNDBUFFORCE when we have CAP_NET_ADMIN, so that
 * net.core.rmem_max does not cap it.
 */
#define WGW_UDP_BUF_BUDGET (8 << 20)	/* bytes per port and direction */
#define WGW_UDP_BUF_MIN (256 << 10)	/* bytes per socket */

struct wgw_udp_cfg {
	bool ip4_udp_csum;	/* compute the UDP checksum of received IPv4
				 * datagrams (else 0: see synth.h) */
	bool freebind;		/* IP_FREEBIND: bind VIPs not (yet) local */
	bool no_gso;		/* do not send runs of same-size datagrams to
				 * one client as one UDP_SEGMENT message (GSO
				 * is on by default: measured 30% less CPU per
				 * datagram on bulk flows; turned off per socket
				 * where the kernel refuses it) */
	int rcvbuf, sndbuf;	/* bytes per socket; 0: WGW_UDP_BUF_BUDGET
				 * shared by the port's sockets, at least
				 * WGW_UDP_BUF_MIN each */
	struct wgw_hslimit *hs;	/* handshake limiter shared by the workers'
				 * ports (NULL: none); it must outlive the
				 * port */
	const int *inherit;	/* bound sockets handed over by a previous
				 * daemon (a takeover), in the order this
				 * port would bind them; NULL: open new ones.
				 * The port owns them all, created or not. */
	unsigned n_inherit;
};

/* Counters of a UDP port beyond struct wgw_port_stats. */
struct wgw_udp_stats {
	uint64_t rx_truncated;	/* payload did not fit a frame (MSG_TRUNC) */
	uint64_t rx_malformed;	/* no usable source address, or a datagram
				 * too long for a synthetic header */
	uint64_t rx_hs_rate;	/* handshakes over their source's rate
				 * (hslimit.h), dropped before the engine */
	uint64_t rx_no_buf;	/* RX passes cut short: pool empty */
	uint64_t tx_bad;	/* frames that are not a sendable UDP datagram */
	uint64_t tx_foreign;	/* source is not one of our VIP sockets */
	uint64_t epoll_waits;	/* epoll_wait() calls */
	uint64_t tx_gso_sends;	/* messages carrying several datagrams */
	uint64_t tx_gso_refused; /* GSO messages the kernel refused (sent singly) */
};

/*
 * Create a port with one socket per VIP port (vips[i].port_lo..port_hi,
 * inclusive).  Receives into buffers of pool.  Returns NULL with errno set:
 * E2BIG when a range is over WGW_UDP_MAX_RANGE or the total over
 * WGW_UDP_MAX_SOCKETS, EINVAL for an empty list or a port 0, else the
 * errno of socket()/bind() (EADDRINUSE, EADDRNOTAVAIL...).  Each failure
 * is logged with the VIP it concerns.
 */
struct wgw_port *wgw_udp_port_create(struct wgw_pool *pool,
				     const struct wgw_vip *vips, unsigned nvips,
				     const struct wgw_udp_cfg *cfg);

bool wgw_port_is_udp(const struct wgw_port *port);
/* The port's socket fds in binding order (at most max): their number. */
unsigned wgw_udp_port_fds(const struct wgw_port *port, int *fds, unsigned max);
void wgw_udp_port_stats(const struct wgw_port *port, struct wgw_udp_stats *out);

/* What TX needs of a frame: where the payload goes and where it comes
 * from.  Ports in host order. */
struct wgw_udp_txinfo {
	union wgw_addr saddr, daddr;
	uint16_t sport, dport;
	uint8_t family;		/* AF_INET or AF_INET6 */
	const uint8_t *payload;
	uint16_t payload_len;
};

/*
 * Parse a frame for TX (exposed for the tests).  Accepts what wgw_pkt_parse()
 * calls WGW_PKT_UDP with a non-zero destination port; returns 0, or
 * -EPROTO (not a complete UDP datagram: not IP, not UDP, fragment,
 * extension header, truncated or inconsistent lengths) or -EINVAL
 * (destination port 0).
 */
int wgw_udp_tx_parse(uint8_t *frame, uint32_t len, struct wgw_udp_txinfo *out);

#endif
