// SPDX-License-Identifier: GPL-2.0-only
/*
 * wraith_xdp: the gateway's XDP classifier.
 *
 * Steers WRAITH datagrams for the gateway to the AF_XDP socket of their RX
 * queue and leaves everything else to the kernel untouched:
 *
 *  - Ethernet with at most one 802.1Q / 802.1ad tag, IPv4 (options allowed)
 *    or IPv6 (fixed header), UDP;
 *  - UDP to an address:port the loader put in wgw_dests: VIP ranges (WAN)
 *    and the NAT range (LAN) alike, since one attached program serves both
 *    roles when the WAN and LAN interfaces are the same;
 *  - such a datagram must carry a plausible WRAITH header (UDP length
 *    consistent with the IP datagram, payload >= 24 bytes, CID != 0), or it
 *    is dropped here, counted by reason: it cannot be WRAITH, and the kernel
 *    socket on the VIP would only hand it to the gateway again;
 *  - IPv4 fragments, IPv6 extension headers, anything truncated or not
 *    parsable (IPv4-mapped addresses in an IPv6 header included), not UDP,
 *    or to another address or port: XDP_PASS.
 *
 * The checks mirror the userspace codec's (gateway/packet.c): whatever is
 * steered, the codec parses as UDP with a usable WRAITH header.
 *
 *  - handshakes to a VIP (CID 0xFFFFFFFFFFFFFFFF, or a bare Noise first
 *    message) pass a per-source token bucket first, when the loader set
 *    a rate (wraith_shared.h "Handshake flood protection"): one flooding
 *    source is dropped here and does not starve the others.
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

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

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
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, WGW_XDP_HS_BUCKETS);
	__type(key, struct wgw_xdp_dest_key);
	__type(value, struct wgw_xdp_hs_bucket);
} wgw_hs_bucket SEC(".maps");

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
static __always_inline int hs_allow(const struct wgw_xdp_dest_key *src)
{
	struct wgw_xdp_hs_bucket *b, nb;
	const struct wgw_xdp_cfg *cfg;
	__u64 now, tat, ival;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&wgw_cfg, &zero);
	if (!cfg || !cfg->hs_interval_ns)
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
	struct wgw_xdp_dest_key key, src;
	struct ethhdr *eth = data;
	struct udphdr *udp;
	void *l3;
	__u32 zero = 0, ip_payload_len, role, ulen;
	__u16 proto;
	__u8 l4proto;
	__u64 cid;
	int act;

	cnt = bpf_map_lookup_elem(&wgw_counters, &zero);

	if ((void *)(eth + 1) > data_end)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > data_end)
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
		proto = vh->encap_proto;
		l3 = vh + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		__u32 ihl, tot_len;

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
		if (ipv6_is_exthdr(l4proto))
			return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_IPV6_EXTHDR);
		__builtin_memcpy(key.b, &ip6->daddr, sizeof(key.b));
		/* The source's /64 (wraith_shared.h). */
		__builtin_memcpy(src.b, &ip6->saddr, 8);
		src.w[2] = 0;
		src.w[3] = 0;
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

	/*
	 * Ours.  From here every reason has a VIP and a NAT flavour, NAT_x
	 * being VIP_x + (NAT_REDIRECT - VIP_REDIRECT).  Like the kernel
	 * (__udp4_lib_rcv), accept a UDP length shorter than the IP payload
	 * (the rest is trimmed), never a longer one.
	 */
	unsigned int off = role == WGW_XDP_ROLE_NAT ?
		WGW_XDP_CNT_NAT_REDIRECT - WGW_XDP_CNT_VIP_REDIRECT : 0;

	ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > ip_payload_len)
		return verdict(cnt, XDP_DROP, WGW_XDP_CNT_VIP_DROP_UDP_LEN + off);
	if (ulen - sizeof(*udp) < WGW_XDP_WRAITH_MIN_PAYLOAD)
		return verdict(cnt, XDP_DROP, WGW_XDP_CNT_VIP_DROP_SHORT + off);
	/* Implied by the checks above; spelled out for the verifier. */
	if ((void *)(udp + 1) + WGW_XDP_WRAITH_CID_LEN > data_end)
		return verdict(cnt, XDP_PASS, WGW_XDP_CNT_PASS_TRUNCATED);
	__builtin_memcpy(&cid, udp + 1, sizeof(cid));
	if (cid == 0)
		return verdict(cnt, XDP_DROP, WGW_XDP_CNT_VIP_DROP_CID0 + off);

	/* Handshake flood protection, clients only (wraith_shared.h). */
	if (role == WGW_XDP_ROLE_VIP &&
	    (cid == 0xffffffffffffffffULL ||
	     ulen - sizeof(*udp) == WGW_XDP_NOISE_MSG1_LEN) &&
	    !hs_allow(&src))
		return verdict(cnt, XDP_DROP, WGW_XDP_CNT_VIP_DROP_HS_RATE);

	act = bpf_redirect_map(&wgw_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT)
		return verdict(cnt, act, WGW_XDP_CNT_VIP_REDIRECT + off);
	return verdict(cnt, act, WGW_XDP_CNT_VIP_NO_XSK + off);
}

char _license[] SEC("license") = "GPL";
