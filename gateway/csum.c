// SPDX-License-Identifier: GPL-2.0-only
/*
 * Internet checksum primitives (RFC 1071 sums, RFC 1624 incremental
 * updates).  The arithmetic lives in csum_internal.h as static inlines so
 * the codec's own fast path inlines it; these are the exported entry points
 * declared in packet.h.
 */
#include "config.h"

#include "gateway/csum_internal.h"
#include "gateway/packet.h"

uint32_t wgw_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	uint64_t s = wgw_csum_add_buf(buf, len, sum);

	/* Fold to 32 bits with end-around carry: congruent modulo 0xffff. */
	s = (s & 0xffffffffULL) + (s >> 32);
	s = (s & 0xffffffffULL) + (s >> 32);
	return (uint32_t)s;
}

uint16_t wgw_csum_fold(uint32_t sum)
{
	return (uint16_t)~wgw_fold64(sum);
}

void wgw_csum_replace2(uint16_t *check, uint16_t old, uint16_t new_)
{
	uint64_t d = wgw_csum_sub16(new_, old);

	wgw_st16(check, wgw_csum_apply(wgw_ld16(check), d));
}

void wgw_csum_replace4(uint16_t *check, uint32_t old, uint32_t new_)
{
	uint64_t d = wgw_csum_sub32(new_, old);

	wgw_st16(check, wgw_csum_apply(wgw_ld16(check), d));
}

void wgw_csum_replace16(uint16_t *check, const uint8_t old[16], const uint8_t new_[16])
{
	uint64_t d = wgw_csum_sub16b(wgw_csum_add16b(0, new_), old);

	wgw_st16(check, wgw_csum_apply(wgw_ld16(check), d));
}
