// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>

#include "fallback/synth.h"
#include "gateway/packet.h"

static inline void st16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

void wgw_synth_eth(uint8_t *frame, uint16_t ethertype)
{
	memset(frame, 0, 12);
	frame[12] = (uint8_t)(ethertype >> 8);
	frame[13] = (uint8_t)ethertype;
}

uint16_t wgw_synth_udp_pseudo(int family, const uint8_t *ip, uint16_t udp_len)
{
	/* Words as they lie in memory: the protocol number is the low-order
	 * byte of a big-endian 16-bit word, i.e. htons(IPPROTO_UDP).  The
	 * IPv6 pseudo header's 32-bit length has zero high-order bytes. */
	uint32_t s = (uint32_t)udp_len + htons(IPPROTO_UDP);

	if (family == AF_INET)
		s = wgw_csum_partial(ip + 12, 8, s);	/* saddr, daddr */
	else
		s = wgw_csum_partial(ip + 8, 32, s);
	return (uint16_t)~wgw_csum_fold(s);
}

/* UDP checksum of a datagram whose header is complete but for the check
 * field, which holds 0: pseudo header + UDP header + payload.  A computed 0
 * goes on the wire as 0xffff (RFC 768). */
static uint16_t synth_udp_csum(int family, const uint8_t *ip, const uint8_t *udp,
			       uint16_t udp_len_be, uint32_t len)
{
	uint32_t s = wgw_synth_udp_pseudo(family, ip, udp_len_be);
	uint16_t c = wgw_csum_fold(wgw_csum_partial(udp, len, s));

	return c ? c : 0xffff;
}

uint8_t *wgw_synth_udp4(uint8_t *payload, uint32_t payload_len,
			uint32_t saddr, uint16_t sport,
			uint32_t daddr, uint16_t dport, bool udp_csum)
{
	uint8_t *frame = payload - WGW_SYNTH_HDR4_LEN;
	uint8_t *ip = frame + WGW_SYNTH_ETH_LEN;
	uint8_t *udp = ip + WGW_SYNTH_IP4_LEN;
	uint16_t ulen, tlen;

	if (payload_len > WGW_SYNTH_PAYLOAD_MAX)
		return NULL;
	ulen = htons((uint16_t)(payload_len + WGW_SYNTH_UDP_LEN));
	tlen = htons((uint16_t)(payload_len + WGW_SYNTH_UDP_LEN + WGW_SYNTH_IP4_LEN));
	wgw_synth_eth(frame, ETH_P_IP);
	ip[0] = 0x45;			/* version 4, IHL 5 words */
	ip[1] = 0;			/* DSCP/ECN */
	st16(ip + 2, tlen);
	st16(ip + 4, 0);		/* ID: DF set, never fragmented */
	st16(ip + 6, htons(0x4000));	/* DF, offset 0 */
	ip[8] = WGW_SYNTH_TTL;
	ip[9] = IPPROTO_UDP;
	st16(ip + 10, 0);
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	st16(ip + 10, wgw_csum_fold(wgw_csum_partial(ip, WGW_SYNTH_IP4_LEN, 0)));
	st16(udp + 0, sport);
	st16(udp + 2, dport);
	st16(udp + 4, ulen);
	st16(udp + 6, 0);
	if (udp_csum)
		st16(udp + 6, synth_udp_csum(AF_INET, ip, udp, ulen,
					     payload_len + WGW_SYNTH_UDP_LEN));
	return frame;
}

uint8_t *wgw_synth_udp6(uint8_t *payload, uint32_t payload_len,
			const struct in6_addr *saddr, uint16_t sport,
			const struct in6_addr *daddr, uint16_t dport)
{
	uint8_t *frame = payload - WGW_SYNTH_HDR6_LEN;
	uint8_t *ip = frame + WGW_SYNTH_ETH_LEN;
	uint8_t *udp = ip + WGW_SYNTH_IP6_LEN;
	uint16_t ulen;

	if (payload_len > 65535 - WGW_SYNTH_UDP_LEN)
		return NULL;
	ulen = htons((uint16_t)(payload_len + WGW_SYNTH_UDP_LEN));
	wgw_synth_eth(frame, ETH_P_IPV6);
	ip[0] = 0x60;			/* version 6, traffic class 0, flow 0 */
	ip[1] = ip[2] = ip[3] = 0;
	st16(ip + 4, ulen);		/* payload length = UDP length */
	ip[6] = IPPROTO_UDP;
	ip[7] = WGW_SYNTH_TTL;
	memcpy(ip + 8, saddr, 16);
	memcpy(ip + 24, daddr, 16);
	st16(udp + 0, sport);
	st16(udp + 2, dport);
	st16(udp + 4, ulen);
	st16(udp + 6, 0);
	st16(udp + 6, synth_udp_csum(AF_INET6, ip, udp, ulen,
				     payload_len + WGW_SYNTH_UDP_LEN));
	return frame;
}
