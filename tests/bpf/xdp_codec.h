/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One statement, shared by the XDP program's unit test and its fuzz
 * target, of how the program's verdict reasons must agree with the
 * userspace codec (gateway/packet.c): what is steered parses as UDP with a
 * non-zero CID, and what the program drops or passes for being malformed,
 * the codec rejects too.  Header-only: each user includes it once.
 */
#ifndef WGW_TESTS_XDP_CODEC_H
#define WGW_TESTS_XDP_CODEC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/wraith_shared.h"
#include "gateway/packet.h"

#define XDP_CODEC_FRAME_MAX 2048	/* bytes: the largest frame judged */

/*
 * Is the codec's view of frame f (len bytes) compatible with the program's
 * reason?  exact: the malformed-frame reasons must match the codec's own
 * (a crafted frame); otherwise any rejection will do (the program and the
 * codec check some lengths in another order: an IPv4 header with IHL 14 in
 * a 23-byte datagram of total length 16 is BAD_IP to the program, which
 * compares the lengths first, and TRUNCATED to the codec, which first
 * wants the header in the frame).  *kind: what the codec said.
 */
static inline bool xdp_codec_agrees(const uint8_t *f, uint32_t len, unsigned int reason,
				    bool exact, enum wgw_pkt_kind *kind)
{
	uint8_t buf[XDP_CODEC_FRAME_MAX];
	struct wgw_pkt p;
	enum wgw_pkt_kind k;
	uint64_t cid = 0;
	bool wraith;

	if (len > sizeof(buf))
		return false;
	memcpy(buf, f, len);
	k = wgw_pkt_parse(&p, buf, len);
	*kind = k;
	wraith = k == WGW_PKT_UDP && wgw_wraith_cid(&p, &cid);
	switch (reason) {
	case WGW_XDP_CNT_VIP_REDIRECT:
	case WGW_XDP_CNT_VIP_NO_XSK:
	case WGW_XDP_CNT_NAT_REDIRECT:
	case WGW_XDP_CNT_NAT_NO_XSK:
		return wraith && cid != 0;
	case WGW_XDP_CNT_VIP_DROP_HS_RATE:
		return wraith && (cid == WRAITH_CID_HANDSHAKE ||
				  p.payload_len == WGW_XDP_NOISE_MSG1_LEN);
	case WGW_XDP_CNT_VIP_DROP_CID0:
	case WGW_XDP_CNT_NAT_DROP_CID0:
		return wraith && cid == 0;
	case WGW_XDP_CNT_VIP_DROP_SHORT:
	case WGW_XDP_CNT_NAT_DROP_SHORT:
		return k == WGW_PKT_UDP && p.payload_len < WRAITH_MIN_PAYLOAD;
	case WGW_XDP_CNT_VIP_DROP_UDP_LEN:
	case WGW_XDP_CNT_NAT_DROP_UDP_LEN:
		return k == WGW_PKT_BAD_LENGTH;
	case WGW_XDP_CNT_PASS_NOT_IP:
		return k == WGW_PKT_NOT_IP;
	case WGW_XDP_CNT_PASS_NOT_UDP:
		return k == WGW_PKT_NOT_UDP;
	case WGW_XDP_CNT_PASS_FRAGMENT:
		/* An IPv6 Fragment header is an extension header to the
		 * codec, a fragment to the program's counters. */
		return k == WGW_PKT_FRAGMENT ||
		       (k == WGW_PKT_IPV6_EXTHDR && p.l4_proto == 44);
	case WGW_XDP_CNT_PASS_VLAN:
		/* Left to the kernel before anything else is read. */
		return len >= 14 && ((f[12] == 0x81 && f[13] == 0x00) ||
				     (f[12] == 0x88 && f[13] == 0xa8));
	case WGW_XDP_CNT_PASS_L2_MCAST:
	case WGW_XDP_CNT_PASS_OTHERHOST:
	case WGW_XDP_CNT_PASS_NO_IFMAC:
		/* To our address and port, not judged further: the UDP
		 * length is not looked at yet. */
		return (k == WGW_PKT_UDP || k == WGW_PKT_BAD_LENGTH) &&
		       ((f[0] & 1) != 0) == (reason == WGW_XDP_CNT_PASS_L2_MCAST);
	case WGW_XDP_CNT_VIP_DROP_IP_CSUM:
	case WGW_XDP_CNT_NAT_DROP_IP_CSUM:
		return (k == WGW_PKT_UDP && p.family == AF_INET &&
			wgw_pkt_csum_verify(&p) == WGW_CSUM_BAD) ||
		       k == WGW_PKT_BAD_LENGTH;
	case WGW_XDP_CNT_VIP_DROP_TTL:
	case WGW_XDP_CNT_NAT_DROP_TTL:
	case WGW_XDP_CNT_VIP_DROP_MARTIAN:
	case WGW_XDP_CNT_NAT_DROP_MARTIAN:
	case WGW_XDP_CNT_VIP_DROP_SPOOFED:
	case WGW_XDP_CNT_NAT_DROP_SPOOFED:
		/* Judged before the UDP length. */
		return k == WGW_PKT_UDP || k == WGW_PKT_BAD_LENGTH;
	case WGW_XDP_CNT_VIP_DROP_UDP_CSUM0:
	case WGW_XDP_CNT_NAT_DROP_UDP_CSUM0:
		return k == WGW_PKT_UDP && p.family == AF_INET6 &&
		       wgw_pkt_csum_verify(&p) == WGW_CSUM_BAD;
	case WGW_XDP_CNT_PASS_IPV6_EXTHDR:
		return k == WGW_PKT_IPV6_EXTHDR;
	case WGW_XDP_CNT_PASS_TRUNCATED:
		if (exact)
			return k == WGW_PKT_TRUNCATED || k == WGW_PKT_BAD_LENGTH;
		return k == WGW_PKT_TRUNCATED || k == WGW_PKT_BAD_LENGTH ||
		       k == WGW_PKT_BAD_HEADER;
	case WGW_XDP_CNT_PASS_BAD_IP:
		if (exact)
			return k == WGW_PKT_BAD_HEADER || k == WGW_PKT_BAD_LENGTH;
		return k == WGW_PKT_TRUNCATED || k == WGW_PKT_BAD_LENGTH ||
		       k == WGW_PKT_BAD_HEADER;
	case WGW_XDP_CNT_PASS_OTHER_DST:
		/* Not ours: the program does not look at its UDP length. */
		return k == WGW_PKT_UDP || k == WGW_PKT_BAD_LENGTH;
	default:
		return false;
	}
}

#endif
