/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet codec: parse and build Ethernet (at most one 802.1Q/802.1ad tag),
 * IPv4 (options allowed, fragments recognised), IPv6 (fixed header only;
 * extension headers recognised and left to the kernel) and UDP, and the
 * WRAITH outer header.  Checksums: RFC 1624 incremental updates and full
 * recomputes.  No allocation, no syscalls: safe on the per-packet path.
 *
 * Every length is validated before use: a parse never reads outside
 * [data, data + len).
 */
#ifndef WGW_PACKET_H
#define WGW_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "gateway/addr.h"

#include "bpf/wraith_proto.h"	/* the WRAITH outer header's constants */

static inline bool wraith_cid_is_special(uint64_t cid)
{
	return cid == WRAITH_CID_INVALID || cid >= WRAITH_CID_RESET;
}

/* Result of wgw_pkt_parse(): what the frame is.  Only WGW_PKT_UDP has a
 * usable L4 part; everything else is left to the kernel by the data paths. */
enum wgw_pkt_kind {
	WGW_PKT_UDP = 0,	/* Ethernet [+ VLAN] + IPv4/IPv6 + UDP, all valid */
	WGW_PKT_NOT_IP,		/* ARP, LLDP, ... */
	WGW_PKT_NOT_UDP,	/* TCP, ICMP, ... */
	WGW_PKT_FRAGMENT,	/* IPv4 fragment (MF set or offset != 0) */
	WGW_PKT_IPV6_EXTHDR,	/* IPv6 with an extension header before L4 */
	WGW_PKT_TRUNCATED,	/* a header does not fit in the frame */
	WGW_PKT_BAD_LENGTH,	/* IP/UDP length fields disagree with the frame */
	WGW_PKT_BAD_HEADER,	/* IPv4 version/IHL or IPv6 version wrong, or an
				 * IPv4-mapped address in an IPv6 header */
	WGW_PKT_KIND_MAX
};

/*
 * A parsed frame.  Offsets are from data.  Trailing bytes after the IP
 * datagram (Ethernet padding) are allowed: ip_len says where it ends.  A
 * UDP length shorter than the IP payload is allowed too (as Linux does);
 * payload_len follows the UDP length.  IP datagrams over 65535 bytes
 * (IPv6 payload_len near 64 KiB) are BAD_LENGTH: ip_len is 16 bits.
 * IPv6 packets carrying an IPv4-mapped address are BAD_HEADER, so an
 * IPv4-mapped union wgw_addr always stands for an IPv4 packet.
 */
struct wgw_pkt {
	uint8_t *data;
	uint32_t len;		/* frame length */
	uint16_t l3_off;	/* IPv4/IPv6 header */
	uint16_t l4_off;	/* UDP header */
	uint16_t payload_off;	/* UDP payload */
	uint16_t payload_len;	/* from the UDP length field, validated */
	uint16_t ip_len;	/* IP datagram length, validated <= len - l3_off */
	uint16_t vlan_tpid;	/* 0 when untagged, else 0x8100 / 0x88a8 */
	uint16_t vlan_tci;
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t l4_proto;	/* IPPROTO_* of the L4 header reached */
};

/* Parse a frame.  Fills p as far as it got (family and l4_proto are set
 * once the IP header was reached, also for NOT_UDP, FRAGMENT and
 * IPV6_EXTHDR); returns its kind.  Never reads outside [data, data + len). */
enum wgw_pkt_kind wgw_pkt_parse(struct wgw_pkt *p, uint8_t *data, uint32_t len);
const char *wgw_pkt_kind_name(enum wgw_pkt_kind k);

/* The WRAITH header of a parsed UDP packet.  Returns false when the payload
 * is shorter than WRAITH_MIN_PAYLOAD. */
bool wgw_wraith_cid(const struct wgw_pkt *p, uint64_t *cid);

/* Accessors for a parsed UDP packet (valid after WGW_PKT_UDP). */
void wgw_pkt_get_saddr(const struct wgw_pkt *p, union wgw_addr *a);
void wgw_pkt_get_daddr(const struct wgw_pkt *p, union wgw_addr *a);
uint16_t wgw_pkt_sport(const struct wgw_pkt *p); /* host order */
uint16_t wgw_pkt_dport(const struct wgw_pkt *p); /* host order */

/*
 * NAT rewrite of a parsed UDP packet, in place: new source and destination
 * address and port (host-order ports; addresses of the packet's family).
 * The IPv4 header checksum is updated incrementally.  The UDP checksum is
 * left valid whatever state it arrived in:
 *  - complete: updated incrementally (RFC 1624), so a corrupt datagram
 *    stays detectably corrupt;
 *  - partial (a CHECKSUM_PARTIAL datagram from a local socket over veth:
 *    the field holds only the folded pseudo-header sum): recomputed in full
 *    over the rewritten datagram;
 *  - zero on IPv4 (no checksum): left zero;
 *  - zero on IPv6 (not allowed): computed in full.
 * Returns 1 when it recomputed the UDP checksum in full, 0 otherwise, and
 * -EINVAL (packet untouched) when an address is not of the packet's family.
 * A partial checksum is recognised by comparing the field with the folded
 * pseudo-header sum of the OLD addresses and length; a complete checksum
 * that happens to equal it (1 in 65536) is recomputed too, which is still
 * correct.  TTL / hop limit are not touched: see wgw_pkt_dec_ttl().
 */
int wgw_pkt_nat(struct wgw_pkt *p, const union wgw_addr *saddr, uint16_t sport,
		const union wgw_addr *daddr, uint16_t dport);

/* Decrement the IPv4 TTL (header checksum updated incrementally) or the
 * IPv6 hop limit of a parsed IP packet.  Returns the new value, or 0 with
 * the packet untouched when it was <= 1: such a packet must not be
 * forwarded (hand it to the kernel, which sends ICMP time exceeded). */
int wgw_pkt_dec_ttl(struct wgw_pkt *p);

/* Ethernet addresses of a frame (any kind with at least 14 bytes). */
void wgw_pkt_set_eth(struct wgw_pkt *p, const uint8_t dst[6], const uint8_t src[6]);

/*
 * VLAN tag of a parsed frame, for frames that leave by another link than
 * they came in on.  Both keep p valid: data, len and every offset follow.
 * Pop: the Ethernet addresses move up 4 bytes and the frame then starts 4
 * bytes later in its buffer; a no-op on an untagged frame.
 * Push: tpid 0x8100 or 0x88a8; rewrites the tag of a tagged frame, or
 * inserts one using 4 of the headroom bytes before p->data (the frame then
 * starts 4 bytes earlier).  0, -EINVAL (bad TPID, frame under 14 bytes) or
 * -ENOSPC (headroom < 4).
 */
void wgw_pkt_vlan_pop(struct wgw_pkt *p);
int wgw_pkt_vlan_push(struct wgw_pkt *p, uint16_t tpid, uint16_t tci, size_t headroom);

/*
 * Checksums.  Sums are 32-bit one's complement accumulators; fold to 16.
 * All values are packet bytes loaded as they lie in memory (network order
 * in a host integer); the one's complement sum needs no byte swapping.
 * wgw_csum_partial() may be chained over consecutive chunks, all of even
 * length except the last.
 */
uint32_t wgw_csum_partial(const void *buf, size_t len, uint32_t sum);
uint16_t wgw_csum_fold(uint32_t sum); /* returns ~folded, i.e. the checksum */
/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for 16-bit, 32-bit and 128-bit
 * fields; check points at the checksum field (network order, any
 * alignment).  For a UDP checksum the caller maps a 0 result to 0xffff. */
void wgw_csum_replace2(uint16_t *check, uint16_t old, uint16_t new_);
void wgw_csum_replace4(uint16_t *check, uint32_t old, uint32_t new_);
void wgw_csum_replace16(uint16_t *check, const uint8_t old[16], const uint8_t new_[16]);
/* Full IPv4 header checksum and full UDP checksum of a parsed packet,
 * written into the packet.  The UDP one honours the IPv4 "zero means none"
 * rule only in wgw_pkt_nat(), not here: this always writes a real checksum. */
void wgw_pkt_ip4_csum_full(struct wgw_pkt *p);
void wgw_pkt_udp_csum_full(struct wgw_pkt *p);
/* True when the UDP checksum field holds the folded pseudo-header sum that a
 * CHECKSUM_PARTIAL datagram carries. */
bool wgw_pkt_udp_csum_is_partial(const struct wgw_pkt *p);
/* Verify a parsed packet's checksums (IPv4 header, UDP; UDP 0 on IPv4 ok). */
bool wgw_pkt_csum_ok(const struct wgw_pkt *p);

/* What the kernel's UDP receive path makes of a parsed packet's checksums
 * (wgw_pkt_csum_verify()). */
enum wgw_csum_verdict {
	WGW_CSUM_OK = 0,	/* IPv4 header and UDP checksum complete and right */
	WGW_CSUM_NONE,		/* IPv4 UDP checksum 0: none, accepted */
	WGW_CSUM_PARTIAL,	/* the UDP field holds the pseudo-header sum of a
				 * CHECKSUM_PARTIAL datagram (a local socket
				 * over veth): accepted, completed on rewrite */
	WGW_CSUM_BAD,		/* IPv4 header or UDP checksum wrong, or an IPv6
				 * UDP checksum 0: the kernel drops it */
};

/*
 * The receive rule for a parsed UDP packet: IPv4 header checksum first,
 * then UDP.  A partial checksum is recognised before the payload is summed
 * (wgw_pkt_udp_csum_is_partial()), so a complete one that happens to equal
 * it is PARTIAL too: recomputing it gives the same bits.  Reads every byte
 * of the datagram at most once.
 */
enum wgw_csum_verdict wgw_pkt_csum_verify(const struct wgw_pkt *p);

/*
 * Build an Ethernet [+ VLAN] + IPv4/IPv6 + UDP frame with the given payload
 * into buf (cap bytes); the family is taken from saddr (IPv4-mapped or not).
 * IPv4: IHL 5, DF set, ID 0.  Checksums are complete.  Returns the frame
 * length, or -ENOSPC (cap too small) / -EINVAL (families differ, bad TPID,
 * NULL payload, datagram over 65535 bytes).
 * Used by tests, the tools and the benchmark generator.
 */
struct wgw_pkt_spec {
	uint8_t eth_dst[6], eth_src[6];
	uint16_t vlan_tpid;	/* 0 for untagged */
	uint16_t vlan_tci;
	union wgw_addr saddr, daddr;
	uint16_t sport, dport;	/* host order */
	uint8_t ttl;		/* 0 means 64 */
	const void *payload;
	uint16_t payload_len;
	uint16_t frame_min;	/* pad with zeros to this many bytes (0: none;
				 * 60 is the Ethernet minimum without FCS) */
};
int wgw_pkt_build(uint8_t *buf, size_t cap, const struct wgw_pkt_spec *s);

#endif
