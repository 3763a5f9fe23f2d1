// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "bpf/wraith_shared.h"
#include "gateway/hash.h"
#include "gateway/hslimit.h"

#define HS_NS_PER_S 1000000000ull
#define HS_CAS_TRIES 4		/* lost races before a packet is let through */
#define HS_WAYS 4		/* slots per set: 64 bytes, one cache line */

_Static_assert((WGW_HSLIMIT_SLOTS & (WGW_HSLIMIT_SLOTS - 1)) == 0 &&
	       WGW_HSLIMIT_SLOTS >= HS_WAYS, "the slot count is a power of two");

/*
 * A slot.  tag: hash of the source owning the slot, | 1 so that 0 means
 * never used.  tat_ns: its GCRA theoretical arrival time.  The two words
 * are not updated as one: a worker that read the tag just before another
 * source took the slot over may spend one token of the newcomer's bucket.
 */
struct hs_slot {
	_Atomic uint64_t tag;
	_Atomic uint64_t tat_ns;
};

struct wgw_hslimit {
	/* Written by reload, read per handshake.  The pair is not updated
	 * as one: a packet between the two stores sees the new interval
	 * with the old tolerance, which is harmless for that one packet. */
	_Atomic uint64_t interval_ns;	/* 0: off */
	_Atomic uint64_t tolerance_ns;
	uint64_t key[2];
	struct hs_slot slot[WGW_HSLIMIT_SLOTS] __attribute__((aligned(64)));
};

struct wgw_hslimit *wgw_hslimit_create(uint32_t rate, uint32_t burst)
{
	struct wgw_hslimit *hs = aligned_alloc(64, sizeof(*hs));

	if (!hs)
		return NULL;
	memset(hs, 0, sizeof(*hs));
	if (getrandom(hs->key, sizeof(hs->key), 0) != (ssize_t)sizeof(hs->key)) {
		free(hs);
		errno = EIO;
		return NULL;
	}
	wgw_hslimit_set(hs, rate, burst);
	return hs;
}

void wgw_hslimit_destroy(struct wgw_hslimit *hs)
{
	free(hs);
}

/* The same arithmetic as the loader's wgw_xdp_set_handshake_limit(). */
void wgw_hslimit_set(struct wgw_hslimit *hs, uint32_t rate, uint32_t burst)
{
	uint64_t ival = rate ? HS_NS_PER_S / rate : 0;

	if (rate && !ival)
		ival = 1;
	if (!burst)
		burst = rate ? rate : 1;
	atomic_store_explicit(&hs->tolerance_ns, (uint64_t)(burst - 1) * ival,
			      memory_order_relaxed);
	atomic_store_explicit(&hs->interval_ns, ival, memory_order_release);
}

bool wgw_hslimit_enabled(const struct wgw_hslimit *hs)
{
	return hs && atomic_load_explicit(&hs->interval_ns, memory_order_relaxed) != 0;
}

bool wgw_hslimit_is_handshake(const uint8_t *payload, uint32_t len)
{
	static const uint8_t hs_cid[WRAITH_CID_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};

	if (len == WGW_XDP_NOISE_MSG1_LEN)
		return true;
	return len >= WRAITH_CID_LEN &&
	       !memcmp(payload, hs_cid, WRAITH_CID_LEN);
}

/* The source as the XDP program keys it: IPv4 as it is (IPv4-mapped),
 * IPv6 with the interface identifier cleared (its /64). */
static uint64_t hs_hash(const struct wgw_hslimit *hs, const union wgw_addr *src)
{
	uint64_t lo = wgw_addr_is_v4(src) ? src->q[1] : 0;

	return wgw_mix64(wgw_mix64(hs->key[0] ^ src->q[0]) ^ lo ^ hs->key[1]);
}

/* GCRA on a slot the source owns; see wraith_shared.h.  Returns 1 (allow),
 * 0 (drop) or -1 (lost the slot's race: try again). */
static int hs_gcra(struct hs_slot *s, uint64_t now, uint64_t ival, uint64_t tol)
{
	uint64_t old = atomic_load_explicit(&s->tat_ns, memory_order_relaxed);
	uint64_t tat = (int64_t)(old - now) < 0 ? now : old;

	if (tat - now > tol) {
		/* Under this configuration the TAT never gets further ahead
		 * than tolerance + interval: one further ahead was filled
		 * under a slower rate and owes no more than this one can. */
		if (tat - now > tol + ival)
			atomic_compare_exchange_strong_explicit(&s->tat_ns, &old,
								now + tol + ival,
								memory_order_relaxed,
								memory_order_relaxed);
		return 0;
	}
	return atomic_compare_exchange_strong_explicit(&s->tat_ns, &old, tat + ival,
						       memory_order_relaxed,
						       memory_order_relaxed) ? 1 : -1;
}

/* Take slot s over for tag, from seen (its tag when read): a full bucket
 * less this packet.  Returns 1, or -1 when another worker was faster. */
static int hs_claim(struct hs_slot *s, uint64_t seen, uint64_t tag, uint64_t now,
		    uint64_t ival)
{
	if (!atomic_compare_exchange_strong_explicit(&s->tag, &seen, tag,
						     memory_order_relaxed,
						     memory_order_relaxed))
		return -1;
	atomic_store_explicit(&s->tat_ns, now + ival, memory_order_relaxed);
	return 1;
}

bool wgw_hslimit_allow(struct wgw_hslimit *hs, const union wgw_addr *src,
		       uint64_t now_ns)
{
	const uint64_t mask = WGW_HSLIMIT_SLOTS - HS_WAYS;
	uint64_t ival, tol, h, tag;
	struct hs_slot *set[2];

	ival = atomic_load_explicit(&hs->interval_ns, memory_order_acquire);
	if (!ival)
		return true;
	tol = atomic_load_explicit(&hs->tolerance_ns, memory_order_relaxed);
	h = hs_hash(hs, src);
	tag = h | 1;
	/* Two sets of HS_WAYS slots (a cache line each), from the low bits
	 * of h and of a second mix. */
	set[0] = &hs->slot[h & mask];
	set[1] = &hs->slot[wgw_mix64(h ^ hs->key[1]) & mask];

	for (unsigned tries = 0; tries < HS_CAS_TRIES; tries++) {
		struct hs_slot *victim = NULL;
		uint64_t vtag = 0, vtat = UINT64_MAX;
		int r = -1;

		for (unsigned k = 0; k < 2 * HS_WAYS; k++) {
			struct hs_slot *sl = &set[k / HS_WAYS][k % HS_WAYS];
			uint64_t t = atomic_load_explicit(&sl->tag, memory_order_relaxed);
			uint64_t x;

			if (t == tag) {
				victim = NULL;
				r = hs_gcra(sl, now_ns, ival, tol);
				break;
			}
			/* New here (or evicted): the slot whose bucket is full
			 * soonest: an unused one (TAT 0), then an idle one
			 * (TAT in the past), then the one closest to idle. */
			x = atomic_load_explicit(&sl->tat_ns, memory_order_relaxed);
			if (x < vtat) {
				victim = sl;
				vtag = t;
				vtat = x;
			}
		}
		if (victim)
			r = hs_claim(victim, vtag, tag, now_ns, ival);
		if (r >= 0)
			return r == 1;
	}
	return true;	/* contended: one token, never a stall */
}
