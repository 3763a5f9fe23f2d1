/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Synthetic headers for the fallback ports.  UDP sockets and TUN devices
 * deliver no Ethernet header (and sockets no IP/UDP header either), but the
 * engine works on whole Ethernet frames, so these ports build the missing
 * headers in front of the data the kernel gave them, in the frame itself:
 * no copy of the payload.  MAC addresses are zero (no port that builds them
 * needs L2 addresses: needs_l2 is false); the ethertype is right.
 */
#ifndef WGW_FALLBACK_SYNTH_H
#define WGW_FALLBACK_SYNTH_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#define WGW_SYNTH_ETH_LEN 14		/* bytes, untagged Ethernet header */
#define WGW_SYNTH_IP4_LEN 20		/* bytes, IPv4 header without options */
#define WGW_SYNTH_IP6_LEN 40		/* bytes */
#define WGW_SYNTH_UDP_LEN 8		/* bytes */
#define WGW_SYNTH_HDR4_LEN (WGW_SYNTH_ETH_LEN + WGW_SYNTH_IP4_LEN + WGW_SYNTH_UDP_LEN)
#define WGW_SYNTH_HDR6_LEN (WGW_SYNTH_ETH_LEN + WGW_SYNTH_IP6_LEN + WGW_SYNTH_UDP_LEN)
/* Room a port leaves in front of a received payload: enough for either. */
#define WGW_SYNTH_HDR_MAX WGW_SYNTH_HDR6_LEN
#define WGW_SYNTH_TTL 64		/* hops, IPv4 TTL / IPv6 hop limit */
/* Largest payload whose UDP length (and IPv4 total length) fits 16 bits. */
#define WGW_SYNTH_PAYLOAD_MAX (65535 - WGW_SYNTH_IP4_LEN - WGW_SYNTH_UDP_LEN)

/* Zero MAC addresses and the ethertype (host order, e.g. ETH_P_IP). */
void wgw_synth_eth(uint8_t *frame, uint16_t ethertype);

/*
 * Build Ethernet + IPv4 (IHL 5, DF, ID 0, TTL 64, valid header checksum) +
 * UDP in the WGW_SYNTH_HDR4_LEN bytes in front of payload, which the caller
 * owns.  Addresses and ports are in network order, as a sockaddr holds
 * them.  udp_csum: compute the UDP checksum over the payload; otherwise
 * write 0, IPv4's "no checksum", which the engine keeps as it is and the
 * TUN port hands to the kernel to fill in (see tun.h).  Returns the frame
 * start (payload - WGW_SYNTH_HDR4_LEN), or NULL when payload_len is over
 * WGW_SYNTH_PAYLOAD_MAX.
 */
uint8_t *wgw_synth_udp4(uint8_t *payload, uint32_t payload_len,
			uint32_t saddr, uint16_t sport,
			uint32_t daddr, uint16_t dport, bool udp_csum);

/*
 * The same for IPv6 (traffic class 0, flow label 0, hop limit 64).  The UDP
 * checksum is always computed: IPv6 has no "no checksum" (RFC 8200 8.1).
 * Returns payload - WGW_SYNTH_HDR6_LEN, or NULL when payload_len is over
 * 65527 (the UDP length field).
 */
uint8_t *wgw_synth_udp6(uint8_t *payload, uint32_t payload_len,
			const struct in6_addr *saddr, uint16_t sport,
			const struct in6_addr *daddr, uint16_t dport);

/*
 * The folded UDP pseudo-header sum (not complemented) of an IPv4 or IPv6
 * packet: what the checksum field holds when the checksum is left for the
 * kernel to finish (CHECKSUM_PARTIAL, virtio VIRTIO_NET_HDR_F_NEEDS_CSUM).
 * ip points at the IP header; udp_len is in network order.
 */
uint16_t wgw_synth_udp_pseudo(int family, const uint8_t *ip, uint16_t udp_len);

#endif
