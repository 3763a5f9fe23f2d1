// SPDX-License-Identifier: GPL-2.0-only
/*
 * wraith_xdp: the gateway's XDP classifier.
 *
 * Steers WRAITH datagrams for the gateway to the AF_XDP socket of their RX
 * queue and leaves everything else to the kernel untouched:
 *
 *  - untagged Ethernet, IPv4 (options allowed) or IPv6 (fixed header),
 *    UDP.  A frame with an 802.1Q / 802.1ad tag is XDP_PASS (pass_vlan):
 *    the gateway's ports are untagged, and the kernel hands a tagged frame
 *    to its VLAN device or drops it;
 *  - UDP to an address:port the loader put in wgw_dests: VIP ranges (WAN)
 *    and the NAT range (LAN) alike, since one attached program serves both
 *    roles when the WAN and LAN interfaces are the same;
 *  - such a datagram is steered only if the kernel itself would accept it
 *    as one for this host, else it is left to the kernel (XDP_PASS, whose
 *    own checks then apply) or dropped, counted by reason either way:
 *      - Ethernet destination: this interface's own MAC (wgw_ifmacs),
 *        else XDP_PASS: broadcast/multicast (pass_l2_multicast), foreign
 *        unicast (pass_otherhost; the kernel drops PACKET_OTHERHOST), no
 *        MAC configured for the interface (pass_no_ifmac);
 *      - IPv4 header checksum right (x_drop_ip_csum);
 *      - TTL / hop limit > 1: the gateway forwards as a router would
 *        (x_drop_ttl);
 *      - source not martian: IPv4 0/8, 127/8, 224/4, 240/4; IPv6 ::, ::1,
 *        ff00::/8, fe80::/10 (x_drop_martian_src);
 *      - source not one of our own destination addresses, a VIP or the NAT
 *        address (x_drop_spoofed_src): a packet "from" the gateway could
 *        only loop between it and a backend;
 *      - UDP length consistent with the IP datagram (x_drop_bad_udp_len);
 *      - IPv6 UDP checksum not 0 (x_drop_udp6_csum0, RFC 8200 8.1);
 *    full UDP checksums are the engine's to verify (one pass over the
 *    payload, which it reads anyway), not the program's;
 *  - and it must carry a plausible WRAITH header (payload >= 24 bytes,
 *    CID != 0), or it is dropped here, counted by reason: it cannot be
 *    WRAITH, and the kernel socket on the VIP would only hand it to the
 *    gateway again;
 *  - IPv4 fragments and IPv6 Fragment headers (pass_fragment), other IPv6
 *    extension headers, anything truncated or not parsable (IPv4-mapped
 *    addresses in an IPv6 header included), not UDP, or to another address
 *    or port: XDP_PASS.  Fragments reach the VIP sockets reassembled, where
 *    the engine applies the same rules and the handshake limiter.
 *
 * The checks mirror the userspace codec's (gateway/packet.c): whatever is
 * steered, the codec parses as UDP with a usable WRAITH header.
 *
 *  - handshakes to a VIP (CID 0xFFFFFFFFFFFFFFFF, or a bare Noise first
 *    message) pass a per-source token bucket first, when the loader set
 *    a rate (wraith_shared.h "Handshake flood protection"): one flooding
 *    source is dropped here and does not starve the others.
 *
 * Cost: traffic that is not ours pays what it did before (the VLAN test is
 * one compare).  A datagram to one of our destinations pays two array
 * lookups, which the verifier inlines (wgw_ifmacs, wgw_cfg), the IPv4
 * header sum (five to fifteen 32-bit words) and a few compares; the
 * spoofed-source test looks wgw_dests up only for a source whose filter
 * bit is set (wraith_shared.h wgw_cfg).
 *
 * The program writes nothing into packets; its state is per-CPU counters
 * and the handshake buckets.  Configuration lives in maps, so changes take
 * effect with the next packet and never need a reload.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include <xdp/xdp_helpers.h>
#include "bpf/wraith_shared.h"

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

#define IP_MF 0x2000		/* more fragments */
#define IP_OFFSET 0x1fff	/* fragment offset, 8-byte units */
#define IPV6_FRAGMENT_HDR 44	/* IPv6 Fragment extension header */

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, WGW_XDP_XSKMAP_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} wgw_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, WGW_XDP_MAX_DESTS);
	__type(key, struct wgw_xdp_dest_key);
	__type(value, struct wgw_xdp_dest);
} wgw_dests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgw_xdp_counters);
} wgw_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgw_xdp_cfg);
} wgw_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, WGW_XDP_MAX_IFS);
	__type(key, __u32);
	__type(value, struct wgw_xdp_ifmac);
} wgw_ifmacs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WGW_XDP_HS_BUCKETS);
	__type(key, struct wgw_xdp_dest_key);
	__type(value, struct wgw_xdp_hs_bucket);
} wgw_hs_bucket SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wgw_xdp_capture);
} wgw_capture SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, WGW_XDP_CAP_RING_BYTES);
} wgw_cap_ring SEC(".maps");

/* Count one packet: its verdict and its reason.  Returns the verdict. */
static __always_inline int verdict(struct wgw_xdp_counters *cnt, int act,
				   unsigned int reason)
{
	unsigned int v;

	switch (act) {
	case XDP_REDIRECT:
		v = WGW_XDP_CNT_REDIRECT;
		break;
	case XDP_DROP:
		v = WGW_XDP_CNT_DROP;
		break;
	default:
		v = WGW_XDP_CNT_PASS;
		break;
	}
	if (cnt && reason < WGW_XDP_CNT_MAX) {
		cnt->c[v]++;
		cnt->c[reason]++;
	}
	return act;
}

/*
 * A copy of a frame being dropped, with its reason, for a capture
 * (wraith_shared.h wgw_capture).  A global function: verified once, not
 * at each of the drop sites.  Returns 1 when the ring was full (the
 * record is lost), 0 otherwise.
 */
__noinline int wgw_capture_drop(struct xdp_md *ctx, __u32 reason, __u32 snaplen)
{
	struct wgw_xdp_cap_rec *r;
	__u32 len, caplen;

	if (!ctx)
		return 0;
	r = bpf_ringbuf_reserve(&wgw_cap_ring, sizeof(*r), 0);
	if (!r)
		return 1;
	len = (__u32)bpf_xdp_get_buff_len(ctx);
	caplen = len < snaplen ? len : snaplen;
	if (caplen > WGW_XDP_CAP_SNAP)
		caplen = WGW_XDP_CAP_SNAP;
	r->ts_ns = bpf_ktime_get_ns();
	r->ifindex = ctx->ingress_ifindex;
	r->rx_queue = ctx->rx_queue_index;
	r->reason = reason;
	r->len = len;
	r->pad = 0;
	/* The size in a form the verifier can bound (a power of 2 buffer):
	 * the whole buffer, or less than it. */
	if (caplen == WGW_XDP_CAP_SNAP) {
		if (bpf_xdp_load_bytes(ctx, 0, r->data, WGW_XDP_CAP_SNAP))
			caplen = 0;
	} else if (caplen & (WGW_XDP_CAP_SNAP - 1)) {
		if (bpf_xdp_load_bytes(ctx, 0, r->data, caplen & (WGW_XDP_CAP_SNAP - 1)))
			caplen = 0;
	}
	r->caplen = caplen;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

/* Count a drop, and copy the frame for a capture if one runs: the only
 * cost of capture support when none does is the flag's lookup here,
 * on the drop path (an array's: inlined). */
static __always_inline int drop(struct xdp_md *ctx, struct wgw_xdp_counters *cnt,
				unsigned int reason)
{
	__u32 zero = 0;
	struct wgw_xdp_capture *cap = bpf_map_lookup_elem(&wgw_capture, &zero);

	if (cap && cap->on && wgw_capture_drop(ctx, reason, cap->snaplen))
		__sync_fetch_and_add(&cap->lost, 1);
	return verdict(cnt, XDP_DROP, reason);
}

/* The role of dst:port (host-order port), or WGW_XDP_ROLE_NONE. */
static __always_inline __u32 dest_role(const struct wgw_xdp_dest_key *key,
				       __u16 port)
{
	const struct wgw_xdp_dest *d;
	__u32 i;

	d = bpf_map_lookup_elem(&wgw_dests, key);
	if (!d)
		return WGW_XDP_ROLE_NONE;
	for (i = 0; i < WGW_XDP_MAX_RANGES; i++) {
		if (i >= d->nr_ranges)
			break;
		if (port >= d->r[i].port_lo && port <= d->r[i].port_hi)
			return d->r[i].role;
	}
	return WGW_XDP_ROLE_NONE;
}

/*
 * May a handshake from source src go on?  GCRA, see wraith_shared.h.  A
 * bucket that cannot be created lets the packet through: the limit guards
 * the backends' CPU, it must never turn into an outage of its own.
 */
static __always_inline int hs_allow(const struct wgw_xdp_cfg *cfg,
				    const struct wgw_xdp_dest_key *src)
{
	struct wgw_xdp_hs_bucket *b, nb;
	__u64 now, tat, ival;

	if (!cfg->hs_interval_ns)
		return 1;
	ival = cfg->hs_interval_ns;
	now = bpf_ktime_get_ns();
	b = bpf_map_lookup_elem(&wgw_hs_bucket, src);
	if (!b) {
		/* A new source: a full bucket, less this packet.  Losing a
		 * race with another CPU creating it costs one token. */
		nb.tat_ns = now + ival;
		bpf_map_update_elem(&wgw_hs_bucket, src, &nb, BPF_NOEXIST);
		return 1;
	}
	tat = b->tat_ns;
	if ((__s64)(tat - now) < 0) {
		/* Idle long enough to be full: restart from now. */
		b->tat_ns = now;
		tat = now;
	}
	if (tat - now > cfg->hs_tolerance_ns) {
		/* Under this configuration tat_ns never gets further ahead
		 * than tolerance + interval; a bucket further ahead was
		 * filled under a slower rate: owe no more than this one
		 * can, so a new limit holds from its first interval. */
		if (tat - now > cfg->hs_tolerance_ns + ival)
			b->tat_ns = now + cfg->hs_tolerance_ns + ival;
		return 0;
	}
	__sync_fetch_and_add(&b->tat_ns, ival);
	return 1;
}

/* IANA "IPv6 Extension Header Types": left to the kernel. */
static __always_inline int ipv6_is_exthdr(__u8 nexthdr)
{
	switch (nexthdr) {
	case 0:		/* Hop-by-Hop Options */
	case 43:	/* Routing */
	case 44:	/* Fragment */
	case 50:	/* ESP */
	case 51:	/* AH */
	case 60:	/* Destination Options */
	case 135:	/* Mobility */
	case 139:	/* HIP */
	case 140:	/* Shim6 */
	case 253:	/* experimental */
	case 254:	/* experimental */
		return 1;
	}
	return 0;
}

static __always_inline int ipv6_is_v4mapped(const struct in6_addr *a)
{
	return a->in6_u.u6_addr32[0] == 0 && a->in6_u.u6_addr32[1] == 0 &&
	       a->in6_u.u6_addr32[2] == bpf_htonl(0xffff);
}

/*
 * Was the frame sent to the interface it arrived on?  0 if so, else the
 * XDP_PASS reason.  Asked only for datagrams we would steer, so traffic
 * that is not ours never pays the lookup.
 */
static __always_inline unsigned int l2_not_ours(const struct ethhdr *eth,
						__u32 ifindex)
{
	const struct wgw_xdp_ifmac *m;
	const __u8 *d = eth->h_dest;
	__u32 slot = ifindex % WGW_XDP_MAX_IFS;

	if (d[0] & 1)		/* the group bit: broadcast or multicast */
		return WGW_XDP_CNT_PASS_L2_MCAST;
	m = bpf_map_lookup_elem(&wgw_ifmacs, &slot);
	if (!m || m->ifindex != ifindex)
		return WGW_XDP_CNT_PASS_NO_IFMAC;
	if ((d[0] ^ m->addr[0]) | (d[1] ^ m->addr[1]) | (d[2] ^ m->addr[2]) |
	    (d[3] ^ m->addr[3]) | (d[4] ^ m->addr[4]) | (d[5] ^ m->addr[5]))
		return WGW_XDP_CNT_PASS_OTHERHOST;
	return 0;
}

/*
 * The IPv4 header checksum, as ip_rcv_core() checks it: the one's
 * complement sum of the header's 16-bit words is all ones.  Summing 32-bit
 * words in host order gives the same result modulo 0xffff (2^16 == 1), and
 * all ones is all ones in either byte order.
 */
static __always_inline int ip4_csum_ok(const struct iphdr *ip, __u32 ihl_words,
				       const void *data_end)
{
	const __u32 *w = (const void *)ip;
	__u64 sum;
	__u32 i;

	/* The fixed 20 bytes lie inside struct iphdr, already checked. */
	sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];
#pragma unroll
	for (i = 5; i < 15; i++) {
		if (i < ihl_words) {
			/* Implied by the datagram's check against data_end;
			 * spelled out for the verifier. */
			if ((const void *)(w + i + 1) > data_end)
				return 0;
			sum += w[i];
		}
	}
	/* At most 15 * (2^32 - 1): three folds bring it to 16 bits. */
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* Sources no router accepts (ip_route_input_slow(), RFC 6890): IPv4
 * 0/8, 127/8, 224/4 (multicast) and 240/4 (with 255.255.255.255). */
static __always_inline int ip4_martian(__be32 saddr)
{
	__u8 b = bpf_ntohl(saddr) >> 24;

	return b == 0 || b == 127 || b >= 224;
}

/* Is the source one of our own destination addresses (wgw_dests)?  The
 * filter in wgw_cfg answers "no" for almost every source without the hash
 * map lookup. */
static __always_inline int own_address(const struct wgw_xdp_cfg *cfg,
				       const struct wgw_xdp_dest_key *src)
{
	__u32 h = wgw_xdp_own_hash(src);

	if (!(cfg->own_filter[(h / 32) % (WGW_XDP_OWN_FILTER_BITS / 32)] &
	      (1u << (h % 32))))
		return 0;
	return bpf_map_lookup_elem(&wgw_dests, src) != NULL;
}

/* IPv6 ::, ::1, ff00::/8 (multicast) and fe80::/10 (link-local: a source
 * that cannot have come from beyond the link, and never a client's). */
static __always_inline int ip6_martian(const struct wgw_xdp_dest_key *a)
{
	if (a->b[0] == 0xff)
		return 1;
	if (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80)
		return 1;
	return a->w[0] == 0 && a->w[1] == 0 && a->w[2] == 0 &&
	       (a->w[3] == 0 || a->w[3] == bpf_htonl(1));
}

/*
 * For libxdp's dispatcher (xdp-attach shared): libxdp's default priority
 * (the daemon sets the configured one), and the next program in the chain
 * sees what this one passes, which is everything that is not WRAITH traffic
 * for our addresses.  A redirected or dropped packet ends the chain.
 */
struct {
	__uint(priority, XDP_DEFAULT_RUN_PRIO);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(wraith_xdp);

SEC("xdp")
int wraith_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct wgw_xdp_counters *cnt;
	const struct wgw_xdp_cfg *cfg;
	struct wgw_xdp_dest_key key, src;
	struct ethhdr *eth = data;
	struct iphdr *ip4 = NULL;	/* IPv4 only: its header checksum */
	struct udphdr *udp;
	void *l3;
	__u32 zero = 0, ip_payload_len, role, ulen, ihl = 0;
	unsigned int off, off2, reason;
	__u16 proto;
	__u8 l4proto, ttl;
	__u64 cid;
	int act, v6 = 0;

	cnt = bpf_map_lookup_elem(&wgw_counters, &zero);

	if ((void *)(eth + 1) > data_end)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
	proto = eth->h_proto;
	l3 = eth + 1;
	/* Untagged ports only: the kernel gives a tagged frame to its VLAN
	 * device, where one exists, or drops it. */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_VLAN);

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__u32 tot_len;

		if ((void *)(ip + 1) > data_end)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
		if (ip->version != 4 || ip->ihl < 5)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_BAD_IP);
		ihl = ip->ihl * 4;
		tot_len = bpf_ntohs(ip->tot_len);
		if (tot_len < ihl)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_BAD_IP);
		/* Ethernet padding may follow the datagram; a datagram longer
		 * than the frame was cut short. */
		if (l3 + tot_len > data_end)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
		if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_FRAGMENT);
		l4proto = ip->protocol;
		ttl = ip->ttl;
		ip4 = ip;
		ip_payload_len = tot_len - ihl;
		key.w[0] = 0;
		key.w[1] = 0;
		key.w[2] = bpf_htonl(0xffff);
		key.w[3] = ip->daddr;
		src.w[0] = 0;
		src.w[1] = 0;
		src.w[2] = bpf_htonl(0xffff);
		src.w[3] = ip->saddr;
		udp = l3 + ihl;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
		if (ip6->version != 6)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_BAD_IP);
		ip_payload_len = bpf_ntohs(ip6->payload_len);
		if ((void *)(ip6 + 1) + ip_payload_len > data_end)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
		/* IPv4-mapped addresses never appear in an IPv6 header (RFC
		 * 4291 2.5.5.2; ip6_rcv_core() drops them): were one let
		 * through, an IPv6 packet could match an IPv4 VIP's key. */
		if (ipv6_is_v4mapped(&ip6->saddr) || ipv6_is_v4mapped(&ip6->daddr))
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_BAD_IP);
		l4proto = ip6->nexthdr;
		if (l4proto == IPV6_FRAGMENT_HDR)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_FRAGMENT);
		if (ipv6_is_exthdr(l4proto))
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_IPV6_EXTHDR);
		ttl = ip6->hop_limit;
		v6 = 1;
		__builtin_memcpy(key.b, &ip6->daddr, sizeof(key.b));
		__builtin_memcpy(src.b, &ip6->saddr, sizeof(src.b));
		udp = (void *)(ip6 + 1);
	} else {
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_NOT_IP);
	}

	if (l4proto != IPPROTO_UDP)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_NOT_UDP);
	/* The UDP header must lie inside the IP datagram, not merely inside
	 * the frame (the second test is for the verifier: the first implies
	 * it, the datagram having been checked against data_end). */
	if (ip_payload_len < sizeof(*udp) || (void *)(udp + 1) > data_end)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);

	role = dest_role(&key, bpf_ntohs(udp->dest));
	if (role == WGW_XDP_ROLE_NONE)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_OTHER_DST);

	/* Our address and port; but a frame the kernel would not take as
	 * sent to this host is the kernel's to drop, not ours to forward. */
	reason = l2_not_ours(eth, ctx->ingress_ifindex);
	if (reason)
		return verdict(cnt, XDP_PASS, reason);

	/*
	 * Ours.  From here every reason has a VIP and a NAT flavour, NAT_x
	 * being VIP_x + off (the first block of reasons) or VIP_x + off2 (the
	 * appended one).
	 */
	off = role == WGW_XDP_ROLE_NAT ?
		WGW_XDP_CNT_NAT_REDIRECT - WGW_XDP_CNT_VIP_REDIRECT : 0;
	off2 = role == WGW_XDP_ROLE_NAT ?
		WGW_XDP_CNT_NAT_DROP_IP_CSUM - WGW_XDP_CNT_VIP_DROP_IP_CSUM : 0;

	/* What ip_rcv_core() and a forwarding router would refuse. */
	if (ip4 && !ip4_csum_ok(ip4, ihl / 4, data_end))
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_IP_CSUM + off2);
	if (ttl <= 1)
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_TTL + off2);
	if (v6 ? ip6_martian(&src) : ip4_martian(src.w[3]))
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_MARTIAN + off2);
	/* "From" one of our own addresses: forwarded, it would come back to
	 * us from a backend, again and again.  (An array's lookup: inlined,
	 * and it never fails.) */
	cfg = bpf_map_lookup_elem(&wgw_cfg, &zero);
	if (!cfg)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_OTHER_DST);
	if (own_address(cfg, &src))
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_SPOOFED + off2);

	/* Like the kernel (__udp4_lib_rcv), accept a UDP length shorter than
	 * the IP payload (the rest is trimmed), never a longer one. */
	ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > ip_payload_len)
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_UDP_LEN + off);
	/* IPv6 makes the UDP checksum mandatory (RFC 8200 8.1); udp6 drops
	 * a zero one.  Whether a non-zero one is right is the engine's to
	 * say: it reads the payload anyway. */
	if (v6 && udp->check == 0)
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_UDP_CSUM0 + off2);
	if (ulen - sizeof(*udp) < WRAITH_MIN_PAYLOAD)
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_SHORT + off);
	/* Implied by the checks above; spelled out for the verifier. */
	if ((void *)(udp + 1) + WRAITH_CID_LEN > data_end)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
	__builtin_memcpy(&cid, udp + 1, sizeof(cid));
	if (cid == 0)
		return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_CID0 + off);

	/* Handshake flood protection, clients only (wraith_shared.h): an
	 * IPv6 source is limited by its /64. */
	if (role == WGW_XDP_ROLE_VIP &&
	    (cid == WRAITH_CID_HANDSHAKE ||
	     ulen - sizeof(*udp) == WGW_XDP_NOISE_MSG1_LEN)) {
		if (v6) {
			src.w[2] = 0;
			src.w[3] = 0;
		}
		if (!hs_allow(cfg, &src))
			return drop(ctx, cnt, WGW_XDP_CNT_VIP_DROP_HS_RATE);
	}

	act = bpf_redirect_map(&wgw_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT)
		return verdict(cnt, act, WGW_XDP_CNT_VIP_REDIRECT + off);
	return verdict(cnt, act, WGW_XDP_CNT_VIP_NO_XSK + off);
}

char _license[] SEC("license") = "GPL";
