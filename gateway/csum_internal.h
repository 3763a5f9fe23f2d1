/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internet checksum arithmetic (RFC 1071, RFC 1624), private to the codec.
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

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
 * what the kernel's csum_fold() produces too. */
static inline uint16_t wgw_fold64(uint64_t s)
{
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffffffffULL) + (s >> 32);
	/* s <= 0xffffffff: at most 0x1fffe after one fold, 0xffff after two */
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* 64-bit accumulator of a buffer: 32-bit words into 64 bits, four
 * independent accumulators so the adds pipeline (and vectorise).  An odd
 * trailing byte is the high-order byte of a zero-padded 16-bit word
 * (RFC 1071), which the byte-wise memcpy below gets right on any host. */
static inline uint64_t wgw_csum_add_buf(const void *buf, size_t len, uint64_t sum)
{
	const uint8_t *p = buf;
	uint64_t s0 = sum, s1 = 0, s2 = 0, s3 = 0;

	while (len >= 16) {
		s0 += wgw_ld32(p);
		s1 += wgw_ld32(p + 4);
		s2 += wgw_ld32(p + 8);
		s3 += wgw_ld32(p + 12);
		p += 16;
		len -= 16;
	}
	if (len >= 8) {
		s0 += wgw_ld32(p);
		s1 += wgw_ld32(p + 4);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		s2 += wgw_ld32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		s3 += wgw_ld16(p);
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t last = 0;

		memcpy(&last, p, 1);
		s0 += last;
	}
	return s0 + s1 + s2 + s3;
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

#endif
