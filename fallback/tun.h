/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TUN port (LAN side of the fallback path): a multi-queue TUN device that
 * owns the NAT address G.  The route G/32 (G/128) dev TUN and a proxy
 * ARP/NDP entry for G on the LAN interface (set by netlink/) make backends'
 * datagrams to G:P arrive here, and IP packets written here leave for the
 * backends with exact addresses and ports.
 *
 * Device: IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE, one queue
 * per worker, 10-byte virtio-net header, TUN_F_CSUM offload (the kernel
 * hands over CHECKSUM_PARTIAL packets unfinished and takes ours the same
 * way), no TSO/USO: the kernel segments before the TUN, so no GSO packet
 * ever reaches us (one that does anyway is dropped and counted).
 *
 * RX: read() one packet per syscall (TUN has no batched read: the syscall
 * per packet is inherent) into a pool frame so that the IP header lands
 * right after a synthetic Ethernet header; the virtio header is read into
 * the 10 bytes before it, which the Ethernet header then overwrites.
 * Partial checksums are completed (see wgw_tun_rx_frame()).  Everything
 * that is not UDP to one of our NAT addresses (IPv6 router solicitations
 * and MLD reports after link up, ICMP, ...) is counted as not_ours and
 * dropped.
 *
 * TX: write() each IP packet with a virtio header placed in the frame's
 * own Ethernet header bytes: no copy.  IPv4 datagrams without a UDP
 * checksum (0) are handed over as CHECKSUM_PARTIAL, so the kernel or the
 * NIC fills the checksum in.
 */
#ifndef WGW_FALLBACK_TUN_H
#define WGW_FALLBACK_TUN_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/pool.h"
#include "gateway/port.h"

#define WGW_TUN_MAX_QUEUES 256	/* the kernel's MAX_TAP_QUEUES */
#define WGW_TUN_VNET_HDR_LEN 10	/* bytes, struct virtio_net_hdr */
#define WGW_TUN_MAX_NAT 256	/* NAT addresses a port accepts (a pool) */
#define WGW_TUN_TXQUEUELEN 4096	/* packets queued per TUN queue for the worker */

struct wgw_tun;

/*
 * Create TUN device name (may hold a "%d" for the kernel to fill in) with
 * nqueues queues, set its MTU (0: leave the default) and bring it up.
 * Refuses with EEXIST a name that is already taken: attaching to another
 * process's device would steal its traffic.  The device is not persistent:
 * it disappears when the last queue descriptor is closed (wgw_tun_close()
 * and every port made from it).  Returns NULL with errno set.
 */
struct wgw_tun *wgw_tun_open(const char *name, unsigned nqueues, unsigned mtu);
/*
 * Follow the LAN interface's MTU: backends' datagrams up to that size then
 * reach us whole, none larger leaves.  Returns 0 or -errno.
 */
int wgw_tun_set_mtu(struct wgw_tun *tun, unsigned mtu);
int wgw_tun_ifindex(const struct wgw_tun *tun);
const char *wgw_tun_name(const struct wgw_tun *tun);
unsigned wgw_tun_nqueues(const struct wgw_tun *tun);
/*
 * Take the queues of a device a previous daemon made (a takeover): fds are
 * its queue descriptors, in queue order; each must be a queue of one TUN
 * device, which keeps its name, index and settings.  The result owns the
 * fds, also on failure.  NULL with errno set.
 */
struct wgw_tun *wgw_tun_adopt(const int *fds, unsigned nqueues);
/* The queue descriptors (wgw_tun_nqueues() of them), to hand over. */
const int *wgw_tun_fds(const struct wgw_tun *tun);
/* Close our queue descriptors; the device goes away once the ports made
 * from it are destroyed too (they hold their own reference). */
void wgw_tun_close(struct wgw_tun *tun);

/* Counters of a TUN port beyond struct wgw_port_stats. */
struct wgw_tun_stats {
	uint64_t not_ours;	/* not UDP, or not to a NAT address */
	uint64_t rx_fragments;	/* IPv4 fragments / IPv6 extension headers to G */
	uint64_t rx_malformed;	/* truncated, bad lengths or headers */
	uint64_t rx_gso;	/* GSO packets (never asked for) */
	uint64_t rx_csum_completed; /* partial checksums finished here */
	uint64_t rx_no_buf;	/* RX passes cut short: pool empty */
	uint64_t tx_bad;	/* frames that are not IPv4/IPv6 */
	uint64_t tx_csum_offload; /* IPv4 UDP handed over CHECKSUM_PARTIAL */
};

/*
 * A port on queue of tun (the worker's queue index), receiving into pool,
 * accepting UDP to any of nat[0..nnat).  Returns NULL with errno set.
 */
struct wgw_port *wgw_tun_port_create(struct wgw_tun *tun, unsigned queue,
				     struct wgw_pool *pool,
				     const union wgw_addr *nat, unsigned nnat);
bool wgw_port_is_tun(const struct wgw_port *port);
void wgw_tun_port_stats(const struct wgw_port *port, struct wgw_tun_stats *out);

/* Verdicts of wgw_tun_rx_frame(). */
enum wgw_tun_rx {
	WGW_TUN_RX_OK = 0,
	WGW_TUN_RX_NOT_OURS,
	WGW_TUN_RX_FRAGMENT,
	WGW_TUN_RX_MALFORMED,
	WGW_TUN_RX_GSO,
};

/*
 * Finish a packet read from the TUN (exposed for the tests).  The frame
 * holds the virtio header at frame + 4 and the IP packet at frame + 14;
 * len = 14 + IP packet length.  Writes the synthetic Ethernet header over frame[0..14), completes a
 * partial checksum the virtio header announces (VIRTIO_NET_HDR_F_NEEDS_CSUM:
 * sum from csum_start to the end, stored at csum_start + csum_offset, as
 * the kernel's skb_checksum_help() would), and classifies the packet.
 * *csum_done tells whether a checksum was completed.
 */
enum wgw_tun_rx wgw_tun_rx_frame(uint8_t *frame, uint32_t len,
				 const union wgw_addr *nat, unsigned nnat,
				 bool *csum_done);

/*
 * Prepare a frame for write() to the TUN (exposed for the tests): find the
 * IP packet after the Ethernet header (one VLAN tag allowed), write the
 * virtio header in the 10 bytes before it, and return in *out and *outlen what
 * to write (virtio header + IP datagram, Ethernet padding cut off).  An
 * IPv4 UDP datagram with checksum 0 gets VIRTIO_NET_HDR_F_NEEDS_CSUM and
 * its pseudo-header sum in the field when csum_offload is true.  Returns 0,
 * 1 when it asked for checksum offload, or -EPROTO (not IPv4/IPv6, or
 * lengths that do not fit the frame).
 */
int wgw_tun_tx_prepare(uint8_t *frame, uint32_t len, bool csum_offload,
		       uint8_t **out, uint32_t *outlen);

#endif
