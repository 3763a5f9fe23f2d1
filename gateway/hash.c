// SPDX-License-Identifier: GPL-2.0-only
/*
 * The deterministic rendezvous hash (WGW-RDV-1, see hash.h).
 */
#include "config.h"

#include "gateway/hash.h"

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

uint64_t wgw_rdv_hash(const union wgw_addr *a, uint16_t port, uint64_t key)
{
	uint64_t h = wgw_mix64(key ^ load_be64(&a->b[0]));

	h = wgw_mix64(h ^ load_be64(&a->b[8]));
	return wgw_mix64(h ^ port);
}

#define LN2 0.69314718055994530942

/* 2 atanh(s) = ln((1 + s) / (1 - s)) for 0 <= s < 1/3, summed to s^25:
 * the tail is below 2^-60 relative. */
static double two_atanh(double s)
{
	double s2 = s * s, term = s, sum = 0.0;

	for (int k = 1; k <= 25; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return 2.0 * sum;
}

double wgw_rdv_score(uint64_t h, uint32_t weight)
{
	/*
	 * u = x / 2^53 with x = 2 (h >> 12) + 1: odd, in [1, 2^53), so u is in
	 * (0, 1) and every integer below is exact as a double.  Basic IEEE
	 * operations only, and no cancellation near u = 1 (the winning
	 * scores):
	 *  - u >= 1/2: d = 1 - u = y / 2^53 exactly, -ln(1 - d) = 2 atanh(d / (2 - d));
	 *  - u <  1/2: x = m 2^e with m in [1, 2), -ln(u) = (53 - e) ln2 - 2 atanh((m - 1) / (m + 1)).
	 */
	const double two53 = 9007199254740992.0;
	uint64_t x = (h >> 12) << 1 | 1;
	double neg_ln_u;

	if (x >> 52) {
		double d = (double)((1ULL << 53) - x) / two53;

		neg_ln_u = two_atanh(d / (2.0 - d));
	} else {
		int e = 63 - __builtin_clzll(x);
		double m = (double)x / (double)(1ULL << e);

		neg_ln_u = (53 - e) * LN2 - two_atanh((m - 1.0) / (m + 1.0));
	}
	return neg_ln_u / (double)weight;
}
