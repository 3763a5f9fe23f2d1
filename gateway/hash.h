/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hashes of the engine.
 *
 * 1. The backend choice for a new client endpoint (rule 1) must be the same
 *    on every gateway behind one ECMP group and across restarts, so it uses
 *    a FIXED, documented function ("WGW-RDV-1"), independent of the host's
 *    byte order, of the order backends were added in and of anything random:
 *
 *      mix(x)       = murmur3 fmix64(x)
 *      H(a, port)   = mix(mix(mix(K ^ be64(a[0..8])) ^ be64(a[8..16])) ^ port)
 *                     a: the 16-byte address (IPv4 as ::ffff:a.b.c.d),
 *                     port host order; K = WGW_RDV_KEY_CLIENT for clients,
 *                     WGW_RDV_KEY_BACKEND for backends
 *      score(c, b)  = -ln(u) / weight(b),  u = (2 (mix(H(c) ^ H(b)) >> 12) + 1) / 2^53
 *
 *    Weighted rendezvous hashing: the UP backend with the lowest score
 *    wins, ties to the lower H(b).  Removing a backend moves only the
 *    endpoints it had; adding one moves only about weight/total of them.
 *    ln() is computed here with IEEE double add/mul/div only (no libm), so
 *    every build gives the same bits.
 *
 * 2. The tables' bucket hashes are keyed with random keys drawn at engine
 *    creation: they need not agree between gateways, and an attacker who
 *    picks CIDs or source ports must not be able to aim at one chain.
 */
#ifndef WGW_HASH_H
#define WGW_HASH_H

#include <stdint.h>

#include "gateway/addr.h"

#define WGW_RDV_KEY_CLIENT 0x5747572d5244562dULL  /* "WGW-RDV-" */
#define WGW_RDV_KEY_BACKEND 0x31206261636b656eULL /* "1 backen" */

static inline uint64_t wgw_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* H(a, port) above. */
uint64_t wgw_rdv_hash(const union wgw_addr *a, uint16_t port, uint64_t key);
/* -ln(u)/weight for u derived from h (see above); weight > 0. */
double wgw_rdv_score(uint64_t h, uint32_t weight);

#endif
