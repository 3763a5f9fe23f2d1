// SPDX-License-Identifier: GPL-2.0-only
/*
 * Packet codec: parse, NAT-rewrite and build Ethernet [+ one VLAN tag] +
 * IPv4/IPv6 + UDP frames carrying WRAITH.  Runs once per packet on the fast
 * path: no allocation, no syscalls, no byte loops; every length from the
 * wire is checked before the bytes it covers are read.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/csum_internal.h"
#include "gateway/packet.h"

#define ETH_HDR_LEN 14	   /* bytes: dst, src, ethertype */
#define VLAN_HDR_LEN 4	   /* bytes: TCI, inner ethertype */
#define IP4_MIN_HDR_LEN 20 /* bytes, IHL 5 */
#define IP6_HDR_LEN 40	   /* bytes, fixed header */
#define UDP_HDR_LEN 8	   /* bytes */
#define IP_MAX_LEN 0xffff  /* bytes: what ip_len can hold */

#define ETHERTYPE_IP4 0x0800
#define ETHERTYPE_IP6 0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8

#define IP4_DF 0x4000	   /* frag_off: don't fragment */
#define IP4_FRAG_MASK 0x3fff /* frag_off: MF flag and fragment offset */
#define DEFAULT_TTL 64

/* Offsets inside the headers (bytes). */
#define IP4_OFF_TOT_LEN 2
#define IP4_OFF_FRAG 6
#define IP4_OFF_TTL 8
#define IP4_OFF_PROTO 9
#define IP4_OFF_CHECK 10
#define IP4_OFF_SADDR 12
#define IP4_OFF_DADDR 16
#define IP6_OFF_PLEN 4
#define IP6_OFF_NEXT 6
#define IP6_OFF_HLIM 7
#define IP6_OFF_SADDR 8
#define IP6_OFF_DADDR 24
#define UDP_OFF_SPORT 0
#define UDP_OFF_DPORT 2
#define UDP_OFF_LEN 4
#define UDP_OFF_CHECK 6

/* A UDP checksum computed as 0 is sent as all ones (RFC 768): on IPv4 a
 * zero field means "no checksum". */
#define UDP_CSUM_MANGLED_0 0xffff

/*
 * IPv6 extension headers (IANA "IPv6 Extension Header Types", RFC 8200
 * section 4): hop-by-hop, routing, fragment, ESP, AH, destination options,
 * mobility, HIP, shim6 and the two experimental values.  Anything else that
 * is not UDP is an upper-layer protocol (or No Next Header).
 */
static bool ip6_is_exthdr(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_ESP:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case 135: /* mobility header, RFC 6275 */
	case 139: /* HIP, RFC 7401 */
	case 140: /* shim6, RFC 5533 */
	case 253: /* experimentation, RFC 3692 */
	case 254:
		return true;
	default:
		return false;
	}
}

/* ::ffff:0:0/96, which the wire must never carry in an IPv6 header
 * (RFC 4291 2.5.5.2; Linux drops such packets in ip6_rcv_core()).  Rejecting
 * it keeps union wgw_addr unambiguous: an IPv4-mapped address always means
 * an IPv4 packet. */
static bool ip6_is_v4mapped(const uint8_t *a)
{
	return wgw_ld32(a) == 0 && wgw_ld32(a + 4) == 0 &&
	       wgw_ld32(a + 8) == htonl(0xffff);
}

/* The general parse: every shape, every verdict, p filled as far as it got.
 * Out of line, so the common case in wgw_pkt_parse() needs no stack frame. */
static __attribute__((noinline, cold)) enum wgw_pkt_kind
parse_general(struct wgw_pkt *p, uint8_t *data, uint32_t len)
{
	uint32_t off = ETH_HDR_LEN, ip_end, ulen;
	uint16_t etype;
	uint8_t *ip, *udp;

	*p = (struct wgw_pkt){ .data = data, .len = len };
	if (len < ETH_HDR_LEN)
		return WGW_PKT_TRUNCATED;
	etype = wgw_ld16(data + 12);
	if (etype == htons(ETHERTYPE_8021Q) || etype == htons(ETHERTYPE_8021AD)) {
		if (len < ETH_HDR_LEN + VLAN_HDR_LEN)
			return WGW_PKT_TRUNCATED;
		p->vlan_tpid = ntohs(etype);
		p->vlan_tci = ntohs(wgw_ld16(data + 14));
		etype = wgw_ld16(data + 16);
		off += VLAN_HDR_LEN;
		/* A second tag (QinQ) is beyond what we handle. */
	}
	p->l3_off = (uint16_t)off;
	ip = data + off;

	if (etype == htons(ETHERTYPE_IP4)) {
		uint32_t ihl, tot_len;

		p->family = AF_INET;
		if (len - off < IP4_MIN_HDR_LEN)
			return WGW_PKT_TRUNCATED;
		if ((ip[0] >> 4) != 4)
			return WGW_PKT_BAD_HEADER;
		ihl = (ip[0] & 0x0fu) * 4;
		if (ihl < IP4_MIN_HDR_LEN)
			return WGW_PKT_BAD_HEADER;
		if (ihl > len - off)
			return WGW_PKT_TRUNCATED;
		tot_len = ntohs(wgw_ld16(ip + IP4_OFF_TOT_LEN));
		if (tot_len < ihl || tot_len > len - off)
			return WGW_PKT_BAD_LENGTH;
		p->ip_len = (uint16_t)tot_len;
		p->l4_proto = ip[IP4_OFF_PROTO];
		if (wgw_ld16(ip + IP4_OFF_FRAG) & htons(IP4_FRAG_MASK))
			return WGW_PKT_FRAGMENT;
		if (p->l4_proto != IPPROTO_UDP)
			return WGW_PKT_NOT_UDP;
		off += ihl;
		ip_end = p->l3_off + tot_len;
	} else if (etype == htons(ETHERTYPE_IP6)) {
		uint32_t plen;

		p->family = AF_INET6;
		if (len - off < IP6_HDR_LEN)
			return WGW_PKT_TRUNCATED;
		if ((ip[0] >> 4) != 6)
			return WGW_PKT_BAD_HEADER;
		plen = ntohs(wgw_ld16(ip + IP6_OFF_PLEN));
		/* ip_len is 16 bits: a datagram over 64 KiB cannot be a frame
		 * here (jumbograms need a hop-by-hop option anyway). */
		if (plen > len - off - IP6_HDR_LEN || plen > IP_MAX_LEN - IP6_HDR_LEN)
			return WGW_PKT_BAD_LENGTH;
		if (ip6_is_v4mapped(ip + IP6_OFF_SADDR) ||
		    ip6_is_v4mapped(ip + IP6_OFF_DADDR))
			return WGW_PKT_BAD_HEADER;
		p->ip_len = (uint16_t)(IP6_HDR_LEN + plen);
		p->l4_proto = ip[IP6_OFF_NEXT];
		if (p->l4_proto != IPPROTO_UDP)
			return ip6_is_exthdr(p->l4_proto) ? WGW_PKT_IPV6_EXTHDR :
							    WGW_PKT_NOT_UDP;
		off += IP6_HDR_LEN;
		ip_end = p->l3_off + IP6_HDR_LEN + plen;
	} else {
		return WGW_PKT_NOT_IP;
	}

	/* ip_end <= len was checked above; the UDP header must fit in the
	 * datagram, and the UDP length may be shorter than the IP payload
	 * (the rest is IP-level padding, as Linux trims it) but not longer. */
	p->l4_off = (uint16_t)off;
	if (ip_end - off < UDP_HDR_LEN)
		return WGW_PKT_TRUNCATED;
	udp = data + off;
	ulen = ntohs(wgw_ld16(udp + UDP_OFF_LEN));
	if (ulen < UDP_HDR_LEN || ulen > ip_end - off)
		return WGW_PKT_BAD_LENGTH;
	p->payload_off = (uint16_t)(off + UDP_HDR_LEN);
	p->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
	return WGW_PKT_UDP;
}

/* Neither 0 nor an IPv4-mapped address: ip6_is_v4mapped() without the
 * branches. */
static inline bool ip6_not_v4mapped(const uint8_t *a)
{
	return (wgw_ld64(a) | (wgw_ld32(a + 8) ^ htonl(0xffff))) != 0;
}

/* The rest of a UDP verdict's struct wgw_pkt. */
static inline void pkt_set_udp(struct wgw_pkt *p, uint32_t off, uint32_t l3_len, uint32_t ulen,
			       uint32_t ip_len, uint8_t family)
{
	p->l3_off = (uint16_t)off;
	p->l4_off = (uint16_t)(off + l3_len);
	p->payload_off = (uint16_t)(off + l3_len + UDP_HDR_LEN);
	p->payload_len = (uint16_t)(ulen - UDP_HDR_LEN);
	p->ip_len = (uint16_t)ip_len;
	p->family = family;
	p->l4_proto = IPPROTO_UDP;
}

/*
 * The common case first, in straight line: Ethernet with at most one tag,
 * then IPv4 without options or IPv6 without extension headers, then UDP,
 * every field valid.  The tests are those of parse_general() for that
 * shape, merged: any frame they do not accept in full (another shape, or
 * any verdict but UDP) goes to parse_general(), which starts over and
 * rewrites all of p, so the result is the same, field for field, for every
 * frame.  Fields are written as soon as they are known, which keeps the
 * path within the scratch registers, and the IPv4 step is expanded once per
 * Ethernet header length so its offsets are constants.  Reads stay inside
 * the frame: the fixed headers' size is checked against len before the
 * first header byte past Ethernet is read.
 */
static inline __attribute__((always_inline)) enum wgw_pkt_kind
parse_ip4_udp(struct wgw_pkt *p, uint8_t *data, uint32_t len, uint32_t off)
{
	const uint8_t *ip = data + off;
	/* IHL 5: the UDP header is in the frame (len >= PARSE_FAST_MIN) */
	uint32_t iplen = ntohs(wgw_ld16(ip + IP4_OFF_TOT_LEN));
	uint32_t ulen = ntohs(wgw_ld16(ip + IP4_MIN_HDR_LEN + UDP_OFF_LEN));

	/* Lengths as two unsigned range tests (len - off >= 28 here):
	 * 28 <= iplen <= len - off, then 8 <= ulen <= iplen - 20. */
	if (wgw_unlikely(ip[0] != 0x45 || ip[IP4_OFF_PROTO] != IPPROTO_UDP ||
			 (wgw_ld16(ip + IP4_OFF_FRAG) & htons(IP4_FRAG_MASK)) ||
			 iplen - (IP4_MIN_HDR_LEN + UDP_HDR_LEN) >
				 len - off - (IP4_MIN_HDR_LEN + UDP_HDR_LEN) ||
			 ulen - UDP_HDR_LEN > iplen - (IP4_MIN_HDR_LEN + UDP_HDR_LEN)))
		return parse_general(p, data, len);
	pkt_set_udp(p, off, IP4_MIN_HDR_LEN, ulen, iplen, AF_INET);
	return WGW_PKT_UDP;
}

static __attribute__((noinline)) enum wgw_pkt_kind
parse_ip6_udp(struct wgw_pkt *p, uint8_t *data, uint32_t len, uint32_t off)
{
	const uint8_t *ip = data + off;
	uint32_t plen, ulen;

	if (len - off < IP6_HDR_LEN + UDP_HDR_LEN)
		return parse_general(p, data, len);
	plen = ntohs(wgw_ld16(ip + IP6_OFF_PLEN));
	ulen = ntohs(wgw_ld16(ip + IP6_HDR_LEN + UDP_OFF_LEN));
	/* ip_len is 16 bits: parse_general()'s bound on plen */
	if (wgw_unlikely((ip[0] >> 4) != 6 || ip[IP6_OFF_NEXT] != IPPROTO_UDP ||
			 plen > len - off - IP6_HDR_LEN || plen > IP_MAX_LEN - IP6_HDR_LEN ||
			 ulen < UDP_HDR_LEN || ulen > plen ||
			 !ip6_not_v4mapped(ip + IP6_OFF_SADDR) ||
			 !ip6_not_v4mapped(ip + IP6_OFF_DADDR)))
		return parse_general(p, data, len);
	pkt_set_udp(p, off, IP6_HDR_LEN, ulen, IP6_HDR_LEN + plen, AF_INET6);
	return WGW_PKT_UDP;
}

/* bytes: below this, only parse_general() (a tagged IPv4/UDP frame's
 * fixed headers) */
#define PARSE_FAST_MIN (ETH_HDR_LEN + VLAN_HDR_LEN + IP4_MIN_HDR_LEN + UDP_HDR_LEN)

enum wgw_pkt_kind wgw_pkt_parse(struct wgw_pkt *p, uint8_t *data, uint32_t len)
{
	uint16_t etype;

	if (wgw_unlikely(len < PARSE_FAST_MIN))
		return parse_general(p, data, len);
	p->data = data;
	p->len = len;
	etype = wgw_ld16(data + 12);
	if (wgw_likely(etype == htons(ETHERTYPE_IP4))) {
		p->vlan_tpid = 0;
		p->vlan_tci = 0;
		return parse_ip4_udp(p, data, len, ETH_HDR_LEN);
	}
	if (etype == htons(ETHERTYPE_8021Q) || etype == htons(ETHERTYPE_8021AD)) {
		p->vlan_tpid = ntohs(etype);
		p->vlan_tci = ntohs(wgw_ld16(data + 14));
		etype = wgw_ld16(data + 16);
		if (etype == htons(ETHERTYPE_IP4))
			return parse_ip4_udp(p, data, len, ETH_HDR_LEN + VLAN_HDR_LEN);
		if (etype == htons(ETHERTYPE_IP6))
			return parse_ip6_udp(p, data, len, ETH_HDR_LEN + VLAN_HDR_LEN);
		return parse_general(p, data, len);
	}
	p->vlan_tpid = 0;
	p->vlan_tci = 0;
	if (etype == htons(ETHERTYPE_IP6))
		return parse_ip6_udp(p, data, len, ETH_HDR_LEN);
	return parse_general(p, data, len);
}

const char *wgw_pkt_kind_name(enum wgw_pkt_kind k)
{
	static const char *const names[WGW_PKT_KIND_MAX] = {
		[WGW_PKT_UDP] = "udp",
		[WGW_PKT_NOT_IP] = "not-ip",
		[WGW_PKT_NOT_UDP] = "not-udp",
		[WGW_PKT_FRAGMENT] = "fragment",
		[WGW_PKT_IPV6_EXTHDR] = "ipv6-exthdr",
		[WGW_PKT_TRUNCATED] = "truncated",
		[WGW_PKT_BAD_LENGTH] = "bad-length",
		[WGW_PKT_BAD_HEADER] = "bad-header",
	};

	if ((unsigned int)k >= WGW_PKT_KIND_MAX)
		return "unknown";
	return names[k];
}

bool wgw_wraith_cid(const struct wgw_pkt *p, uint64_t *cid)
{
	if (p->payload_len < WRAITH_MIN_PAYLOAD)
		return false;
	*cid = be64toh(wgw_ld64(p->data + p->payload_off));
	return true;
}

void wgw_pkt_get_saddr(const struct wgw_pkt *p, union wgw_addr *a)
{
	const uint8_t *ip = p->data + p->l3_off;

	if (p->family == AF_INET)
		wgw_addr_from_v4(a, wgw_ld32(ip + IP4_OFF_SADDR));
	else
		memcpy(a->b, ip + IP6_OFF_SADDR, 16);
}

void wgw_pkt_get_daddr(const struct wgw_pkt *p, union wgw_addr *a)
{
	const uint8_t *ip = p->data + p->l3_off;

	if (p->family == AF_INET)
		wgw_addr_from_v4(a, wgw_ld32(ip + IP4_OFF_DADDR));
	else
		memcpy(a->b, ip + IP6_OFF_DADDR, 16);
}

uint16_t wgw_pkt_sport(const struct wgw_pkt *p)
{
	return ntohs(wgw_ld16(p->data + p->l4_off + UDP_OFF_SPORT));
}

uint16_t wgw_pkt_dport(const struct wgw_pkt *p)
{
	return ntohs(wgw_ld16(p->data + p->l4_off + UDP_OFF_DPORT));
}

/* Unfolded pseudo-header sum (RFC 768 / RFC 8200 8.1) from the addresses
 * in the IP header at ip and the UDP length (network order). */
static uint64_t udp_pseudo_sum(uint8_t family, const uint8_t *ip, uint16_t ulen_be)
{
	uint64_t s;

	if (family == AF_INET) {
		s = (uint64_t)wgw_ld32(ip + IP4_OFF_SADDR) +
		    wgw_ld32(ip + IP4_OFF_DADDR);
		return s + htons(IPPROTO_UDP) + ulen_be;
	}
	s = wgw_csum_add16b(0, ip + IP6_OFF_SADDR);
	s = wgw_csum_add16b(s, ip + IP6_OFF_DADDR);
	/* 32-bit length and next header fields; the upper halves are zero. */
	return s + htons(IPPROTO_UDP) + ulen_be;
}

/* Full UDP checksum over pseudo-header and the ulen bytes at udp, written
 * into the header; never 0 (RFC 768). */
static void udp_csum_full(uint8_t family, const uint8_t *ip, uint8_t *udp)
{
	uint16_t ulen_be = wgw_ld16(udp + UDP_OFF_LEN), c;
	uint64_t s;

	wgw_st16(udp + UDP_OFF_CHECK, 0);
	s = udp_pseudo_sum(family, ip, ulen_be);
	s = wgw_csum_add_buf(udp, ntohs(ulen_be), s);
	c = (uint16_t)~wgw_fold64(s);
	wgw_st16(udp + UDP_OFF_CHECK, c ? c : UDP_CSUM_MANGLED_0);
}

static void ip4_csum_full(uint8_t *ip)
{
	size_t ihl = (ip[0] & 0x0fu) * 4;

	wgw_st16(ip + IP4_OFF_CHECK, 0);
	wgw_st16(ip + IP4_OFF_CHECK, (uint16_t)~wgw_fold64(wgw_csum_add_buf(ip, ihl, 0)));
}

/* The kernel writes ~csum_tcpudp_magic() / ~csum_ipv6_magic() into the
 * field of a CHECKSUM_PARTIAL datagram: the folded pseudo-header sum, not
 * complemented.  Its fold, like ours, returns a value in [1, 0xffff] for the
 * (never zero) pseudo-header sum, so a plain comparison is exact. */
static bool udp_csum_is_partial(uint8_t family, const uint8_t *ip, const uint8_t *udp)
{
	uint16_t check = wgw_ld16(udp + UDP_OFF_CHECK);

	if (check == 0)
		return false;
	return check == wgw_fold64(udp_pseudo_sum(family, ip, wgw_ld16(udp + UDP_OFF_LEN)));
}

bool wgw_pkt_udp_csum_is_partial(const struct wgw_pkt *p)
{
	return udp_csum_is_partial(p->family, p->data + p->l3_off, p->data + p->l4_off);
}

/* The IPv6 rewrite (see wgw_pkt_nat()); out of line, so the IPv4 one keeps
 * its registers. */
static __attribute__((noinline)) int nat6(struct wgw_pkt *p, const union wgw_addr *saddr,
					  uint16_t nsport, const union wgw_addr *daddr,
					  uint16_t ndport)
{
	uint8_t *ip = p->data + p->l3_off, *udp = p->data + p->l4_off;
	uint16_t ucheck = wgw_ld16(udp + UDP_OFF_CHECK);
	uint16_t osport = wgw_ld16(udp + UDP_OFF_SPORT);
	uint16_t odport = wgw_ld16(udp + UDP_OFF_DPORT);
	bool full;
	uint64_t d;

	/* Zero is not a checksum on IPv6 (RFC 8200 8.1): make one.  The
	 * partial test needs the old pseudo-header: decide first. */
	full = ucheck == 0 || udp_csum_is_partial(AF_INET6, ip, udp);
	d = wgw_csum_add16b(0, saddr->b);
	d = wgw_csum_add16b(d, daddr->b);
	d = wgw_csum_sub16b(d, ip + IP6_OFF_SADDR);
	d = wgw_csum_sub16b(d, ip + IP6_OFF_DADDR);
	memcpy(ip + IP6_OFF_SADDR, saddr->b, 16);
	memcpy(ip + IP6_OFF_DADDR, daddr->b, 16);
	wgw_st16(udp + UDP_OFF_SPORT, nsport);
	wgw_st16(udp + UDP_OFF_DPORT, ndport);

	if (full) {
		udp_csum_full(AF_INET6, ip, udp);
		return 1;
	}
	d = wgw_csum_sub16(d + nsport, osport);
	d = wgw_csum_sub16(d + ndport, odport);
	ucheck = wgw_csum_apply(ucheck, d);
	wgw_st16(udp + UDP_OFF_CHECK, ucheck ? ucheck : UDP_CSUM_MANGLED_0);
	return 0;
}

int wgw_pkt_nat(struct wgw_pkt *p, const union wgw_addr *saddr, uint16_t sport,
		const union wgw_addr *daddr, uint16_t dport)
{
	if (p->family == AF_INET) {
		if (!wgw_addr_is_v4(saddr) || !wgw_addr_is_v4(daddr))
			return -EINVAL;
		return wgw_pkt_nat4(p, wgw_addr_v4(saddr), wgw_addr_v4(daddr),
				    wgw_ports_word(htons(sport), htons(dport)));
	}
	if (wgw_addr_is_v4(saddr) || wgw_addr_is_v4(daddr))
		return -EINVAL;
	return nat6(p, saddr, htons(sport), daddr, htons(dport));
}

int wgw_pkt_dec_ttl(struct wgw_pkt *p)
{
	uint8_t *ip = p->data + p->l3_off;
	uint16_t old, new_;

	if (p->family == AF_INET6) {
		if (ip[IP6_OFF_HLIM] <= 1)
			return 0;
		return --ip[IP6_OFF_HLIM];
	}
	if (ip[IP4_OFF_TTL] <= 1)
		return 0;
	/* TTL and protocol share a 16-bit word of the header checksum. */
	old = wgw_ld16(ip + IP4_OFF_TTL);
	ip[IP4_OFF_TTL]--;
	new_ = wgw_ld16(ip + IP4_OFF_TTL);
	wgw_st16(ip + IP4_OFF_CHECK, wgw_csum_apply(wgw_ld16(ip + IP4_OFF_CHECK),
						    wgw_csum_sub16(new_, old)));
	return ip[IP4_OFF_TTL];
}

void wgw_pkt_set_eth(struct wgw_pkt *p, const uint8_t dst[6], const uint8_t src[6])
{
	if (p->len < ETH_HDR_LEN)
		return;
	memcpy(p->data, dst, 6);
	memcpy(p->data + 6, src, 6);
}

/* Offsets that parse never reached stay 0. */
static void pkt_shift(struct wgw_pkt *p, int by)
{
	if (p->l3_off)
		p->l3_off = (uint16_t)(p->l3_off + by);
	if (p->l4_off)
		p->l4_off = (uint16_t)(p->l4_off + by);
	if (p->payload_off)
		p->payload_off = (uint16_t)(p->payload_off + by);
	p->len = (uint32_t)((int64_t)p->len + by);
}

void wgw_pkt_vlan_pop(struct wgw_pkt *p)
{
	if (!p->vlan_tpid)
		return;
	memmove(p->data + VLAN_HDR_LEN, p->data, 12);
	p->data += VLAN_HDR_LEN;
	pkt_shift(p, -VLAN_HDR_LEN);
	p->vlan_tpid = 0;
	p->vlan_tci = 0;
}

int wgw_pkt_vlan_push(struct wgw_pkt *p, uint16_t tpid, uint16_t tci, size_t headroom)
{
	if ((tpid != ETHERTYPE_8021Q && tpid != ETHERTYPE_8021AD) ||
	    p->len < ETH_HDR_LEN)
		return -EINVAL;
	if (!p->vlan_tpid) {
		if (headroom < VLAN_HDR_LEN)
			return -ENOSPC;
		p->data -= VLAN_HDR_LEN;
		memmove(p->data, p->data + VLAN_HDR_LEN, 12);
		pkt_shift(p, VLAN_HDR_LEN);
	}
	wgw_st16(p->data + 12, htons(tpid));
	wgw_st16(p->data + 14, htons(tci));
	p->vlan_tpid = tpid;
	p->vlan_tci = tci;
	return 0;
}

void wgw_pkt_ip4_csum_full(struct wgw_pkt *p)
{
	if (p->family == AF_INET)
		ip4_csum_full(p->data + p->l3_off);
}

void wgw_pkt_udp_csum_full(struct wgw_pkt *p)
{
	udp_csum_full(p->family, p->data + p->l3_off, p->data + p->l4_off);
}

bool wgw_pkt_csum_ok(const struct wgw_pkt *p)
{
	const uint8_t *ip = p->data + p->l3_off, *udp = p->data + p->l4_off;
	uint16_t ulen_be = wgw_ld16(udp + UDP_OFF_LEN);
	uint64_t s;

	if (p->family == AF_INET) {
		size_t ihl = (ip[0] & 0x0fu) * 4;

		if (wgw_fold64(wgw_csum_add_buf(ip, ihl, 0)) != 0xffff)
			return false;
		if (wgw_ld16(udp + UDP_OFF_CHECK) == 0)
			return true;
	} else if (wgw_ld16(udp + UDP_OFF_CHECK) == 0) {
		return false;
	}
	s = udp_pseudo_sum(p->family, ip, ulen_be);
	s = wgw_csum_add_buf(udp, ntohs(ulen_be), s);
	return wgw_fold64(s) == 0xffff;
}

enum wgw_csum_verdict wgw_pkt_csum_verify(const struct wgw_pkt *p)
{
	const uint8_t *ip = p->data + p->l3_off, *udp = p->data + p->l4_off;
	uint16_t ulen_be = wgw_ld16(udp + UDP_OFF_LEN), check = wgw_ld16(udp + UDP_OFF_CHECK);
	uint64_t s;

	if (p->family == AF_INET) {
		/* a valid header sums to 0xffff (-0); a zero sum cannot be,
		 * the version nibble is in it */
		if (!wgw_csum_mod0(wgw_csum_add_buf(ip, (ip[0] & 0x0fu) * 4, 0)))
			return WGW_CSUM_BAD;
		if (check == 0)
			return WGW_CSUM_NONE;
	} else if (check == 0) {
		return WGW_CSUM_BAD;	/* RFC 8200 8.1; Linux: udp6_csum_init() */
	}
	s = udp_pseudo_sum(p->family, ip, ulen_be);
	if (check == wgw_fold64(s))
		return WGW_CSUM_PARTIAL;
	/* the sum over a right checksum is -0, never 0 (the length is in it):
	 * one multiplication tells */
	s = wgw_csum_add_buf(udp, ntohs(ulen_be), s);
	return wgw_csum_mod0(s) ? WGW_CSUM_OK : WGW_CSUM_BAD;
}

int wgw_pkt_build(uint8_t *buf, size_t cap, const struct wgw_pkt_spec *s)
{
	bool v4 = wgw_addr_is_v4(&s->saddr);
	size_t l2 = ETH_HDR_LEN, l3 = v4 ? IP4_MIN_HDR_LEN : IP6_HDR_LEN;
	size_t ulen = UDP_HDR_LEN + (size_t)s->payload_len, len, frame;
	uint8_t *ip, *udp;

	if (v4 != wgw_addr_is_v4(&s->daddr))
		return -EINVAL;
	if (s->vlan_tpid != 0 && s->vlan_tpid != ETHERTYPE_8021Q &&
	    s->vlan_tpid != ETHERTYPE_8021AD)
		return -EINVAL;
	if (s->payload_len && !s->payload)
		return -EINVAL;
	if (l3 + ulen > IP_MAX_LEN)
		return -EINVAL;
	if (s->vlan_tpid)
		l2 += VLAN_HDR_LEN;
	len = l2 + l3 + ulen;
	frame = len > s->frame_min ? len : s->frame_min;
	if (frame > cap)
		return -ENOSPC;

	memcpy(buf, s->eth_dst, 6);
	memcpy(buf + 6, s->eth_src, 6);
	if (s->vlan_tpid) {
		wgw_st16(buf + 12, htons(s->vlan_tpid));
		wgw_st16(buf + 14, htons(s->vlan_tci));
	}
	wgw_st16(buf + l2 - 2, htons(v4 ? ETHERTYPE_IP4 : ETHERTYPE_IP6));

	ip = buf + l2;
	if (v4) {
		uint32_t sa = wgw_addr_v4(&s->saddr), da = wgw_addr_v4(&s->daddr);

		ip[0] = 0x45;
		ip[1] = 0;
		wgw_st16(ip + IP4_OFF_TOT_LEN, htons((uint16_t)(l3 + ulen)));
		wgw_st16(ip + 4, 0); /* ID: unused with DF (RFC 6864) */
		wgw_st16(ip + IP4_OFF_FRAG, htons(IP4_DF));
		ip[IP4_OFF_TTL] = s->ttl ? s->ttl : DEFAULT_TTL;
		ip[IP4_OFF_PROTO] = IPPROTO_UDP;
		memcpy(ip + IP4_OFF_SADDR, &sa, 4);
		memcpy(ip + IP4_OFF_DADDR, &da, 4);
		ip4_csum_full(ip);
	} else {
		/* version 6, traffic class 0, flow label 0 */
		memset(ip, 0, 4);
		ip[0] = 0x60;
		wgw_st16(ip + IP6_OFF_PLEN, htons((uint16_t)ulen));
		ip[IP6_OFF_NEXT] = IPPROTO_UDP;
		ip[IP6_OFF_HLIM] = s->ttl ? s->ttl : DEFAULT_TTL;
		memcpy(ip + IP6_OFF_SADDR, s->saddr.b, 16);
		memcpy(ip + IP6_OFF_DADDR, s->daddr.b, 16);
	}

	udp = ip + l3;
	wgw_st16(udp + UDP_OFF_SPORT, htons(s->sport));
	wgw_st16(udp + UDP_OFF_DPORT, htons(s->dport));
	wgw_st16(udp + UDP_OFF_LEN, htons((uint16_t)ulen));
	if (s->payload_len)
		memcpy(udp + UDP_HDR_LEN, s->payload, s->payload_len);
	udp_csum_full(v4 ? AF_INET : AF_INET6, ip, udp);
	if (frame > len)
		memset(buf + len, 0, frame - len);
	return (int)frame;
}
