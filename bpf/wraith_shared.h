/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one header shared by the XDP program (bpf/wraith_xdp.bpf.c) and
 * userspace (gateway/xdp.c, tests): constants, map names, map key and value
 * layouts, and the counters.  It must compile with clang -target bpf and with
 * the host compiler alike, so it uses only <linux/types.h> types.
 *
 * Changing a layout here changes the program and the loader together; the
 * skeleton is regenerated from the object, so they cannot drift apart.
 */
#ifndef WGW_BPF_WRAITH_SHARED_H
#define WGW_BPF_WRAITH_SHARED_H

#include <linux/types.h>

/* The WRAITH outer header's constants. */
#include "bpf/wraith_proto.h"

/* Sizes of the maps. */
#define WGW_XDP_XSKMAP_SIZE 64		/* RX queues that can have a socket */
#define WGW_XDP_MAX_DESTS 320		/* distinct VIP / NAT addresses: 64 VIPs
					 * and a pool of 256 */
#define WGW_XDP_MAX_RANGES 16		/* port ranges per address */

/*
 * Names the loader uses to recognise its own program on an interface (a
 * stale one left by a crashed gateway), together with the map names below.
 * Kernel object names hold at most 15 characters.
 */
#define WGW_XDP_PROG_NAME "wraith_xdp"
#define WGW_XDP_MAP_XSKS "wgw_xsks"
#define WGW_XDP_MAP_DESTS "wgw_dests"
#define WGW_XDP_MAP_COUNTERS "wgw_counters"
#define WGW_XDP_MAP_CFG "wgw_cfg"
#define WGW_XDP_MAP_HS_BUCKET "wgw_hs_bucket"
#define WGW_XDP_MAP_IFMACS "wgw_ifmacs"
#define WGW_XDP_MAP_CAPTURE "wgw_capture"
#define WGW_XDP_MAP_CAP_RING "wgw_cap_ring"

/*
 * wgw_dests: BPF_MAP_TYPE_HASH (BPF_F_NO_PREALLOC, so a value replaced while
 * the program reads it is freed only after an RCU grace period and is never
 * seen torn), WGW_XDP_MAX_DESTS entries.
 *
 * Key: a destination address, IPv4 stored IPv4-mapped (::ffff:a.b.c.d) in
 * network byte order, exactly like union wgw_addr.
 * Value: the port ranges on that address that the gateway owns, each with
 * its role.  Ranges of one address never overlap (the loader refuses it);
 * the program takes the first one that matches.
 */
struct wgw_xdp_dest_key {
	union {
		__u8 b[16];
		__u32 w[4];
	};
};

enum wgw_xdp_role {
	WGW_XDP_ROLE_NONE = 0,
	WGW_XDP_ROLE_VIP = 1,	/* WAN: a service address clients send to */
	WGW_XDP_ROLE_NAT = 2,	/* LAN: the NAT address G that backends reply to */
};

struct wgw_xdp_range {
	__u16 port_lo;		/* host byte order, inclusive, >= 1 */
	__u16 port_hi;		/* host byte order, inclusive, >= port_lo */
	__u32 role;		/* enum wgw_xdp_role */
};

struct wgw_xdp_dest {
	__u32 nr_ranges;	/* <= WGW_XDP_MAX_RANGES */
	__u32 pad;
	struct wgw_xdp_range r[WGW_XDP_MAX_RANGES];
};

/*
 * wgw_ifmacs: BPF_MAP_TYPE_ARRAY, WGW_XDP_MAX_IFS slots: the MAC address
 * of each interface the object serves.  Interface ifindex (xdp_md's
 * ingress_ifindex) lives in slot ifindex % WGW_XDP_MAX_IFS, which names
 * the ifindex it holds (0: empty); two interfaces of one object in the
 * same slot are refused by the loader.  An array rather than a hash keyed
 * by ifindex: the verifier inlines its lookup, no helper call, no hashing.
 *
 * Only frames sent to that MAC are steered: the kernel drops
 * PACKET_OTHERHOST frames itself, so a datagram to a foreign unicast MAC,
 * to broadcast or to a multicast group must not be forwarded by the fast
 * path either.  An interface without its slot steers nothing (fail
 * towards the kernel's path).  A slot rewritten while the program reads it
 * may be seen half old, half new: a frame to either MAC then goes the
 * kernel's way, which is still correct.
 */
#define WGW_XDP_MAX_IFS 64		/* slots, a power of two */

struct wgw_xdp_ifmac {
	__u32 ifindex;			/* 0: empty slot */
	__u8 addr[6];
	__u16 pad;			/* zero */
};

/*
 * wgw_xsks: BPF_MAP_TYPE_XSKMAP, WGW_XDP_XSKMAP_SIZE entries, indexed by RX
 * queue.  A packet that passes the checks goes to the socket of the queue it
 * arrived on; an empty slot gives XDP_PASS, and the kernel's VIP UDP socket
 * catches the packet (counted as ..._NO_XSK).
 */

/*
 * Counters.  Every packet the program sees increments exactly one verdict
 * counter (the first three) and exactly one reason counter (the rest), so
 * sum(verdicts) == sum(reasons) == packets.
 *
 * X(ENUM_SUFFIX, "name", verdict)
 */
#define WGW_XDP_COUNTERS(X)						\
	/* verdicts */							\
	X(PASS,			"pass",			PASS)		\
	X(DROP,			"drop",			DROP)		\
	X(REDIRECT,		"redirect",		REDIRECT)	\
	/* left to the kernel: not ours */				\
	X(PASS_NOT_IP,		"pass_not_ip",		PASS)		\
	X(PASS_TRUNCATED,	"pass_truncated",	PASS)		\
	X(PASS_BAD_IP,		"pass_bad_ip",		PASS)		\
	/* IPv4 fragments and IPv6 Fragment headers, to any address:	\
	 * the kernel reassembles them and the VIP sockets hand them to	\
	 * the engine, which applies the same checks and limiter */	\
	X(PASS_FRAGMENT,	"pass_fragment",	PASS)		\
	X(PASS_IPV6_EXTHDR,	"pass_ipv6_exthdr",	PASS)		\
	X(PASS_NOT_UDP,		"pass_not_udp",		PASS)		\
	X(PASS_OTHER_DST,	"pass_other_dst",	PASS)		\
	/* WAN: UDP to a VIP */						\
	X(VIP_REDIRECT,		"vip_redirect",		REDIRECT)	\
	X(VIP_NO_XSK,		"vip_pass_no_xsk",	PASS)		\
	X(VIP_DROP_UDP_LEN,	"vip_drop_bad_udp_len",	DROP)		\
	X(VIP_DROP_SHORT,	"vip_drop_short",	DROP)		\
	X(VIP_DROP_CID0,	"vip_drop_cid0",	DROP)		\
	/* LAN: UDP to the NAT address within the NAT port range */	\
	X(NAT_REDIRECT,		"nat_redirect",		REDIRECT)	\
	X(NAT_NO_XSK,		"nat_pass_no_xsk",	PASS)		\
	X(NAT_DROP_UDP_LEN,	"nat_drop_bad_udp_len",	DROP)		\
	X(NAT_DROP_SHORT,	"nat_drop_short",	DROP)		\
	X(NAT_DROP_CID0,	"nat_drop_cid0",	DROP)		\
	/* appended: new counters go at the end, so that every index	\
	 * above keeps its meaning for readers of older layouts */	\
	X(VIP_DROP_HS_RATE,	"vip_drop_hs_rate",	DROP)		\
	/* left to the kernel, which drops or delivers them itself:	\
	 * a VLAN-tagged frame on an untagged port, and (for a datagram	\
	 * that would be steered) a frame not sent to this interface's	\
	 * MAC, or on an interface whose MAC the loader did not give */	\
	X(PASS_VLAN,		"pass_vlan",		PASS)		\
	X(PASS_L2_MCAST,	"pass_l2_multicast",	PASS)		\
	X(PASS_OTHERHOST,	"pass_otherhost",	PASS)		\
	X(PASS_NO_IFMAC,	"pass_no_ifmac",	PASS)		\
	/* what the kernel (or a router) would refuse, VIP then NAT:	\
	 * NAT_x == VIP_x + (NAT_DROP_IP_CSUM - VIP_DROP_IP_CSUM) */	\
	X(VIP_DROP_IP_CSUM,	"vip_drop_ip_csum",	DROP)		\
	X(VIP_DROP_TTL,		"vip_drop_ttl",		DROP)		\
	X(VIP_DROP_MARTIAN,	"vip_drop_martian_src",	DROP)		\
	X(VIP_DROP_SPOOFED,	"vip_drop_spoofed_src",	DROP)		\
	X(VIP_DROP_UDP_CSUM0,	"vip_drop_udp6_csum0",	DROP)		\
	X(NAT_DROP_IP_CSUM,	"nat_drop_ip_csum",	DROP)		\
	X(NAT_DROP_TTL,		"nat_drop_ttl",		DROP)		\
	X(NAT_DROP_MARTIAN,	"nat_drop_martian_src",	DROP)		\
	X(NAT_DROP_SPOOFED,	"nat_drop_spoofed_src",	DROP)		\
	X(NAT_DROP_UDP_CSUM0,	"nat_drop_udp6_csum0",	DROP)

#define WGW_XDP__CNT_ENUM(e, name, verdict) WGW_XDP_CNT_##e,
enum wgw_xdp_counter {
	WGW_XDP_COUNTERS(WGW_XDP__CNT_ENUM)
	WGW_XDP_CNT_MAX
};
#undef WGW_XDP__CNT_ENUM

/*
 * wgw_counters: BPF_MAP_TYPE_PERCPU_ARRAY with ONE entry (key 0) holding all
 * counters, so the program does one map lookup per packet.  Userspace sums
 * the per-CPU copies.
 */
struct wgw_xdp_counters {
	__u64 c[WGW_XDP_CNT_MAX];
};

/*
 * Handshake flood protection: a per-source token bucket for the packets
 * that make a backend do public-key work for a peer it does not know yet,
 * checked on the VIP role only, before the redirect:
 *  - CID 0xFFFFFFFFFFFFFFFF (a handshake message with the CID prefix);
 *  - a UDP payload of exactly WGW_XDP_NOISE_MSG1_LEN bytes: a bare Noise XX
 *    first message ("-> e"), sent without a CID prefix by today's
 *    reference implementation.  Its first 8 bytes are an ephemeral key,
 *    i.e. random, so it looks like an unknown CID; its length gives it
 *    away, since a CID-prefixed record is at least 8 + 28 + 16 = 52 bytes.
 *    The bare third message (64 bytes: "-> s, se") is left alone: it
 *    cannot be told from a short data record, and a responder only works
 *    on it for a handshake whose first message passed this bucket.  The
 *    second message (96 bytes) flows backend -> client, on the NAT role.
 *
 * The bucket is a GCRA (virtual scheduling) cell per source: tat_ns, the
 * "theoretical arrival time" of the next conforming packet.  A packet at
 * time now conforms when tat_ns <= now + tolerance_ns; it then advances
 * tat_ns by interval_ns (max(tat_ns, now) first).  interval_ns = 1e9 /
 * rate, tolerance_ns = (burst - 1) * interval_ns: a quiet source may send
 * burst packets at once, then rate per second.  One 64-bit word per
 * source, advanced with an atomic add, so CPUs sharing a source never
 * lose each other's updates (only the reset of an idle bucket races, which
 * can let one extra packet through).
 *
 * Sources are IPv4 addresses (IPv4-mapped, like wgw_dests keys) and IPv6
 * /64 prefixes (the low 64 bits zeroed): a host owning a /64 must not get
 * 2^64 buckets.  WireGuard's ratelimiter does the same.
 */
#define WGW_XDP_NOISE_MSG1_LEN 32	/* bytes: bare Noise XX "-> e" */
#define WGW_XDP_HS_BUCKETS 32768	/* sources tracked; LRU beyond */

/*
 * wgw_cfg: BPF_MAP_TYPE_ARRAY with ONE entry (key 0), written by the
 * loader; read per packet steered, so changes apply to the next one.
 * hs_interval_ns == 0: no handshake limit.
 */
#define WGW_XDP_OWN_FILTER_BITS 4096	/* 64 addresses: <= 1 in 64 sources
					 * pays the exact lookup, 320: <= 1 in
					 * 13 */

/* The own_filter bit of an address: Fibonacci hashing of the XOR of its
 * words as loaded (program and loader run on the same host, so the byte
 * order is the same on both sides). */
static inline __attribute__((always_inline)) __u32
wgw_xdp_own_hash(const struct wgw_xdp_dest_key *k)
{
	__u32 h = k->w[0] ^ k->w[1] ^ k->w[2] ^ k->w[3];

	return (__u32)(h * 0x9e3779b1u) >> 20;	/* 12 bits: 4096 */
}
struct wgw_xdp_cfg {
	__u64 hs_interval_ns;	/* ns between handshakes of one source */
	__u64 hs_tolerance_ns;	/* (burst - 1) * hs_interval_ns */
	/* Bit wgw_xdp_own_hash(k) set for every key k of wgw_dests: a
	 * source whose bit is clear is none of our addresses, without the
	 * hash map lookup that a set bit still needs (a prefilter: a bit
	 * set too many costs a lookup, never a wrong verdict). */
	__u32 own_filter[WGW_XDP_OWN_FILTER_BITS / 32];
};

/*
 * wgw_hs_bucket: BPF_MAP_TYPE_LRU_HASH, WGW_XDP_HS_BUCKETS entries.
 * Key: struct wgw_xdp_dest_key holding the source (see above).
 */
struct wgw_xdp_hs_bucket {
	__u64 tat_ns;		/* bpf_ktime_get_ns() clock */
};

/*
 * Capture of the program's drops (wraith-gatewayctl capture): while
 * wgw_capture's one entry (BPF_MAP_TYPE_ARRAY, key 0) has on != 0, every
 * packet the program drops is copied, up to snaplen and
 * WGW_XDP_CAP_SNAP bytes, into the ring buffer wgw_cap_ring with its
 * reason; a full ring loses the record, counted in lost, and the
 * program goes on.
 * Only dropping pays the flag's lookup: steered and passed packets pay
 * nothing, so a program without a capture running costs what it did.
 */
#define WGW_XDP_CAP_SNAP 2048		/* bytes of a dropped frame, at most */
#define WGW_XDP_CAP_RING_BYTES (1u << 20) /* the ring buffer, a power of 2 */

struct wgw_xdp_capture {
	__u32 on;		/* 0: no capture runs */
	__u32 snaplen;		/* bytes wanted, <= WGW_XDP_CAP_SNAP */
	__u64 lost;		/* records lost to a full ring (the program
				 * adds; writers of on keep it) */
};

struct wgw_xdp_cap_rec {
	__u64 ts_ns;		/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u32 ifindex;		/* ingress */
	__u32 rx_queue;
	__u32 reason;		/* enum wgw_xdp_counter */
	__u32 len;		/* the frame's length */
	__u32 caplen;		/* bytes of data filled */
	__u32 pad;
	__u8 data[WGW_XDP_CAP_SNAP];
};

#if !defined(__bpf__) && !defined(__BPF__)
/* Userspace only: the counters' names ("pass", "vip_redirect", ...) and
 * which verdict counter each one belongs to. */
#define WGW_XDP__CNT_NAME(e, name, verdict) [WGW_XDP_CNT_##e] = name,
#define WGW_XDP__CNT_VERDICT(e, name, verdict) \
	[WGW_XDP_CNT_##e] = WGW_XDP_CNT_##verdict,
#endif

#endif
