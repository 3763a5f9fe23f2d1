/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internet checksum arithmetic (RFC 1071, RFC 1624) and the inline IPv4 NAT
 * rewrite, private to the codec and to the engine's per-packet path.
 *
 * Every 16/32-bit quantity here is the packet's bytes loaded in host order
 * as they lie in memory ("network order in a host integer").  The one's
 * complement sum is byte-order independent (RFC 1071 section 2(B)), so the
 * result, stored back the same way, is the checksum in network order on any
 * host.  No byte swaps on the fast path.
 *
 * Accumulators are 64 bits wide so that additions need no carry handling
 * until the final fold: 2^32 32-bit words fit.
 */
#ifndef WGW_CSUM_INTERNAL_H
#define WGW_CSUM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "gateway/packet.h"

/* Branch hints for the per-packet path: the rare case stays out of line. */
#define wgw_likely(x) __builtin_expect(!!(x), 1)
#define wgw_unlikely(x) __builtin_expect(!!(x), 0)

/* Unaligned-safe loads and stores: packet headers can sit at any offset
 * in a frame, and memcpy of a constant size compiles to one move. */
static inline uint16_t wgw_ld16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t wgw_ld32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t wgw_ld64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void wgw_st16(void *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Fold a 64-bit accumulator to 16 bits with end-around carry.  The result
 * is in [1, 0xffff] for any non-zero sum and 0 only for a zero sum, which is
 * what the kernel's csum_fold() produces too.  64 -> 32: add the halves and
 * the carry out (2^32 == 1 modulo 0xffff; the carry add cannot overflow
 * again).  32 -> 16: the upper half of t + ror32(t, 16) is hi + lo plus the
 * carry out of the lower half, which is the end-around carry (the kernel's
 * csum_fold() does the same).  Eight instructions on x86-64, no branch. */
static inline uint16_t wgw_fold64(uint64_t s)
{
	uint32_t lo = (uint32_t)s, t = lo + (uint32_t)(s >> 32);

	t += t < lo;
	return (uint16_t)((t + (t >> 16 | t << 16)) >> 16);
}

/* Vector rounds per block of wgw_csum_add_buf(): the low halves' sum in
 * a lane, at most ROUNDS * 0xffff, must fit 32 bits to be recovered, and
 * the sum of the four results of two lanes too (8 * 2^13 * 0xffff <
 * 2^32).  256 KiB, more than any IP datagram. */
#define WGW_CSUM_VEC_ROUNDS 0x2000

typedef uint32_t wgw_csum_v4 __attribute__((vector_size(16)));

/*
 * Sum of a buffer as 16-bit words into a 64-bit accumulator (a small
 * integer: callers add further terms before folding).  The bulk goes 32
 * bytes a round through 128-bit vectors (GCC vector extensions: SSE2 on
 * x86-64, NEON on arm64, scalar code elsewhere), two independent chains of
 * two accumulators: a += x keeps the 32-bit words modulo 2^32, b += x >> 16
 * their high halves exactly; the low halves' sum is then a - (b << 16)
 * modulo 2^32, exact while it is below 2^32 (WGW_CSUM_VEC_ROUNDS).  Five
 * instructions per 16 bytes, no carry to track.  Measured on the build
 * machine over a 1208-byte datagram: 26 ns, against 49 ns for 32-bit words
 * into four 64-bit scalars and 31 ns for masking both halves.  An odd
 * trailing byte is the high-order byte of a zero-padded 16-bit word
 * (RFC 1071), which the byte-wise memcpy below gets right on any host.
 */
static inline uint64_t wgw_csum_add_buf(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = buf;

	while (len >= 32) {
		wgw_csum_v4 a0 = { 0 }, b0 = { 0 }, a1 = { 0 }, b1 = { 0 }, x, y;
		size_t n = len / 32 < WGW_CSUM_VEC_ROUNDS ? len / 32 : WGW_CSUM_VEC_ROUNDS;

		len -= n * 32;
		do {
			memcpy(&x, p, 16);
			memcpy(&y, p + 16, 16);
			a0 += x;
			b0 += x >> 16;
			a1 += y;
			b1 += y >> 16;
			p += 32;
		} while (--n);
		a0 -= b0 << 16;		/* the low halves */
		a1 -= b1 << 16;
		a0 += a1 + b0 + b1;
#if __has_builtin(__builtin_shufflevector)	/* clang, GCC >= 12 */
		/* lanes 2 and 3 onto 0 and 1, which then go out as one word */
		a0 += __builtin_shufflevector(a0, a0, 2, 3, 0, 1);
		sum += (uint64_t)a0[0] + a0[1];
#else
		sum += (uint64_t)a0[0] + a0[1] + a0[2] + a0[3];
#endif
	}
	if (len >= 16) {
		sum += (uint64_t)wgw_ld32(p) + wgw_ld32(p + 4) + wgw_ld32(p + 8) + wgw_ld32(p + 12);
		p += 16;
		len -= 16;
	}
	if (len >= 8) {
		sum += (uint64_t)wgw_ld32(p) + wgw_ld32(p + 4);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		sum += wgw_ld32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		sum += wgw_ld16(p);
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t last = 0;

		memcpy(&last, p, 1);
		sum += last;
	}
	return sum;
}

/* One's complement negation of a 32-bit quantity inside a 64-bit sum:
 * adding ~x (32 bits) subtracts x once folded. */
static inline uint64_t wgw_csum_sub32(uint64_t sum, uint32_t x)
{
	return sum + (uint32_t)~x;
}

static inline uint64_t wgw_csum_sub16(uint64_t sum, uint16_t x)
{
	return sum + (uint16_t)~x;
}

/* Apply an accumulated difference (sum of ~old + new terms) to a checksum
 * field value: RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'). */
static inline uint16_t wgw_csum_apply(uint16_t check, uint64_t diff)
{
	return (uint16_t)~wgw_fold64(diff + (uint16_t)~check);
}

/*
 * RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), with the change ~m + m' folded
 * in advance to n in [1, 0xffff] (wgw_fold64() of a non-zero sum: struct
 * wgw_map_ent nat_csum_*): one 16-bit add with end-around carry.  The same
 * bits as wgw_csum_apply(check, x) for every check and every non-zero x
 * congruent to n: ~HC + n with end-around carry is in [1, 0xffff] like
 * wgw_fold64() of a non-zero sum, and congruent to it modulo 0xffff.
 */
/* a + b with end-around carry, 16 bits: in [1, 0xffff] when b > 0 or
 * a > 0, congruent to a + b modulo 0xffff. */
static inline uint16_t wgw_csum_add16(uint16_t a, uint16_t b)
{
	uint16_t s = (uint16_t)(a + b);

	return (uint16_t)(s + (s < b));	/* the carry out, added back */
}

static inline uint16_t wgw_csum_apply16(uint16_t check, uint16_t n)
{
	return (uint16_t)~wgw_csum_add16((uint16_t)~check, n);
}

/* x % 0xffff == 0 as one multiplication and one comparison, in any code
 * layout (a compiler optimising a cold path for size emits a division):
 * 0xffff is odd, so x is a multiple of it exactly when x times its inverse
 * modulo 2^64 is at most (2^64 - 1) / 0xffff (Granlund and Montgomery). */
static inline bool wgw_csum_mod0(uint64_t x)
{
	return x * 0xfffefffefffeffffULL <= 0x1000100010001ULL;
}

/* The change the other way, folded alike: -n modulo 0xffff in [1, 0xffff]
 * (0xffff stands for 0). */
static inline uint16_t wgw_csum_neg16(uint16_t n)
{
	return (uint16_t)(n == 0xffff ? 0xffff : ~n);
}

/* Sum of a 16-byte field as four 32-bit words. */
static inline uint64_t wgw_csum_add16b(uint64_t sum, const uint8_t *b)
{
	return sum + wgw_ld32(b) + wgw_ld32(b + 4) + wgw_ld32(b + 8) +
	       wgw_ld32(b + 12);
}

static inline uint64_t wgw_csum_sub16b(uint64_t sum, const uint8_t *b)
{
	sum = wgw_csum_sub32(sum, wgw_ld32(b));
	sum = wgw_csum_sub32(sum, wgw_ld32(b + 4));
	sum = wgw_csum_sub32(sum, wgw_ld32(b + 8));
	return wgw_csum_sub32(sum, wgw_ld32(b + 12));
}

/* The two ports of a UDP header (network order) as the 32-bit word they
 * form in memory, on any host: their one's complement sum in one term. */
static inline uint32_t wgw_ports_word(uint16_t sport_be, uint16_t dport_be)
{
	uint8_t b[4];
	uint32_t w;

	memcpy(b, &sport_be, 2);
	memcpy(b + 2, &dport_be, 2);
	memcpy(&w, b, 4);
	return w;
}

/* Two IPv4 addresses (network order) as the 64-bit word they form in an
 * IPv4 header, source first. */
static inline uint64_t wgw_addrs4_word(uint32_t saddr, uint32_t daddr)
{
	uint8_t b[8];
	uint64_t w;

	memcpy(b, &saddr, 4);
	memcpy(b + 4, &daddr, 4);
	memcpy(&w, b, 8);
	return w;
}

/*
 * wgw_pkt_nat() for an IPv4 packet, when nothing about the rewrite is
 * known in advance (the engine's paths use their mappings' precomputed
 * changes instead: engine.c nat4()): ip and udp point at the headers, os and od are the packet's addresses as
 * they are now (network order); the new addresses come as the header word
 * naddrs (wgw_addrs4_word()) and their sum nsum (ns + nd, 64 bits), the new
 * ports as nports (wgw_ports_word()).  Same result, bit for bit, as the
 * general rewrite: one 64-bit difference of addresses (shared by the IPv4
 * header checksum and the UDP checksum) plus the ports for UDP, and the
 * partial-checksum test against the folded pseudo-header sum of the old
 * addresses.  Every term is a 32-bit word, which is congruent modulo 0xffff
 * to the sum of its two 16-bit halves, and ~x (32 bits) to -x: the folds
 * see the same residues as wgw_pkt_nat()'s 16-bit terms, and a sum is zero
 * in one exactly when it is zero in the other.  When the UDP checksum must
 * be recomputed in full (it was partial), that is done on p after the
 * rewrite and 1 is returned; else 0.
 */
static inline int wgw_nat4(uint8_t *ip, uint8_t *udp, uint32_t os, uint32_t od,
			   uint64_t naddrs, uint64_t nsum, uint32_t nports, struct wgw_pkt *p)
{
	uint32_t oports = wgw_ld32(udp);
	uint16_t ucheck = wgw_ld16(udp + 6);
	uint64_t d = nsum + (uint32_t)~os + (uint32_t)~od;

	wgw_st16(ip + 10, wgw_csum_apply(wgw_ld16(ip + 10), d));
	memcpy(ip + 12, &naddrs, 8);
	memcpy(udp, &nports, 4);
	if (ucheck == 0)	/* no checksum stays without (IPv4) */
		return 0;
	/*
	 * A partial checksum is the folded pseudo-header sum x of the OLD
	 * addresses (and the unchanged length).  x > 0, so fold(x) is in
	 * [1, 0xffff], where every residue modulo 0xffff occurs once, and so
	 * is ucheck (not 0 here): ucheck == fold(x) exactly when x - ucheck,
	 * i.e. x + ~ucheck, is a multiple of 0xffff, which the compiler tests
	 * with one multiplication instead of folding.
	 */
	if (wgw_unlikely(wgw_csum_mod0((uint64_t)os + od + htons(IPPROTO_UDP) +
				       wgw_ld16(udp + 4) + (uint16_t)~ucheck))) {
		wgw_pkt_udp_csum_full(p);
		return 1;
	}
	ucheck = wgw_csum_apply(ucheck, d + nports + (uint32_t)~oports);
	wgw_st16(udp + 6, ucheck ? ucheck : 0xffff);
	return 0;
}

/* The same on a parsed IPv4 packet, new addresses ns and nd. */
static inline int wgw_pkt_nat4(struct wgw_pkt *p, uint32_t ns, uint32_t nd, uint32_t nports)
{
	uint8_t *ip = p->data + p->l3_off, *udp = p->data + p->l4_off;

	return wgw_nat4(ip, udp, wgw_ld32(ip + 12), wgw_ld32(ip + 16), wgw_addrs4_word(ns, nd),
			(uint64_t)ns + nd, nports, p);
}

#endif
