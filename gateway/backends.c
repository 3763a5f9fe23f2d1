// SPDX-License-Identifier: GPL-2.0-only
/*
 * Backend views: the VIP set, the rendezvous choice and the source index.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/backends.h"

/* Add a to the view's own addresses, once. */
static void view_own_add(struct wgw_view *v, const union wgw_addr *a)
{
	uint32_t b = wgw_own_hash(v->src_key, a);

	while (v->by_own[b]) {
		if (wgw_addr_eq(&v->own[v->by_own[b] - 1], a))
			return;
		b = (b + 1) & (WGW_OWN_BUCKETS - 1);
	}
	v->own[v->n_own] = *a;
	v->by_own[b] = (uint16_t)++v->n_own;
}

struct wgw_view *wgw_view_build(const struct wgw_backend_slot *slots,
				const _Atomic uint8_t *state,
				const struct wgw_vip *vips, unsigned n_vips,
				const union wgw_addr *nat, unsigned n_nat, uint64_t src_key)
{
	bool fail_open = true;
	struct wgw_view *v;

	if (!n_vips) {	/* the per-packet VIP test reads the first one */
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->src_key = src_key;
	v->n_vips = n_vips < WGW_ENGINE_MAX_VIPS ? n_vips : WGW_ENGINE_MAX_VIPS;
	memcpy(v->vips, vips, v->n_vips * sizeof(*vips));
	for (unsigned i = 0; i < v->n_vips; i++) {
		v->vips4[i].addr = wgw_addr_is_v4(&vips[i].addr) ? wgw_addr_v4(&vips[i].addr) : 0;
		v->vips4[i].lo = vips[i].port_lo;
		v->vips4[i].span = (uint16_t)(vips[i].port_hi - vips[i].port_lo);
		view_own_add(v, &vips[i].addr);
	}
	for (unsigned k = 0; k < n_nat; k++)
		view_own_add(v, &nat[k]);

	for (unsigned s = 0; s < WGW_ENGINE_MAX_BACKENDS && fail_open; s++)
		if (slots[s].in_use && slots[s].weight && !slots[s].health_down &&
		    atomic_load_explicit(&state[s], memory_order_relaxed) == WGW_BACKEND_UP)
			fail_open = false;
	for (unsigned s = 0; s < WGW_ENGINE_MAX_BACKENDS; s++) {
		uint8_t st = atomic_load_explicit(&state[s], memory_order_relaxed);
		uint32_t b;

		if (!slots[s].in_use || st == WGW_BACKEND_DOWN)
			continue;
		view_own_add(v, &slots[s].addr);
		/* draining backends still answer on their mappings */
		b = wgw_bsrc_hash(src_key, &slots[s].addr, slots[s].port);
		while (v->by_src[b])
			b = (b + 1) & (WGW_BSRC_BUCKETS - 1);
		v->by_src[b] = (uint16_t)(s + 1);
		if (wgw_addr_is_v4(&slots[s].addr)) {
			uint32_t a4 = wgw_addr_v4(&slots[s].addr);

			b = wgw_bsrc4_hash(src_key, a4, slots[s].port);
			while (v->by_src4[b].slot1)
				b = (b + 1) & (WGW_BSRC_BUCKETS - 1);
			v->by_src4[b] = (struct wgw_bsrc4){
				.addr = a4, .port = slots[s].port, .slot1 = (uint16_t)(s + 1),
			};
		}
		if (st == WGW_BACKEND_UP && slots[s].weight &&
		    (!slots[s].health_down || fail_open)) {
			v->up[v->n_up].rdv = slots[s].rdv;
			v->up[v->n_up].weight = slots[s].weight;
			v->up[v->n_up].slot = s;
			v->n_up++;
		}
	}
	return v;
}

int wgw_view_choose(const struct wgw_view *v, const union wgw_addr *client, uint16_t cport)
{
	uint64_t hc = wgw_rdv_hash(client, cport, WGW_RDV_KEY_CLIENT), best_rdv = 0;
	double best = 0.0;
	int slot = -1;

	for (unsigned i = 0; i < v->n_up; i++) {
		const struct wgw_view_up *u = &v->up[i];
		double sc = wgw_rdv_score(wgw_mix64(hc ^ u->rdv), u->weight);

		/* ties go to the lower backend hash: the outcome depends on the
		 * set of backends only, not on slots or the order of adds */
		if (slot < 0 || sc < best || (sc == best && u->rdv < best_rdv)) {
			best = sc;
			best_rdv = u->rdv;
			slot = (int)u->slot;
		}
	}
	return slot;
}
