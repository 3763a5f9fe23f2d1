// SPDX-License-Identifier: GPL-2.0-only
/*
 * Trace: the general paths' decisions (engine.c client_route(),
 * backend_route()) taken again on the tables as they are, read only:
 * nothing is created, learned, touched or counted.  Lookups are those
 * of the introspection calls, under the control mutex.
 */
#include "config.h"

#include <string.h>

#include "gateway/engine_internal.h"

static void trace_drop(struct wgw_trace *t, enum wgw_drop_reason r, const char *why)
{
	t->verdict = WGW_DROP;
	t->reason = r;
	t->why = why;
}

static void trace_backend(struct wgw_engine *e, struct wgw_trace *t, int b)
{
	t->backend = b;
	t->backend_addr = e->slots[b].addr;
	t->backend_port = e->slots[b].port;
	t->backend_state = (enum wgw_backend_state)
		atomic_load_explicit(&e->be_state[b], memory_order_relaxed);
}

/* The NAT address and port a new mapping on slot b would take: the top of
 * its free stack (sessions.c); port 0 when none is free. */
static void next_nat(const struct wgw_sessions *s, int b, struct wgw_trace *t)
{
	uint32_t idx = (uint32_t)atomic_load_explicit(&s->pools[b].head, memory_order_acquire);

	t->nat_port = idx ? (uint16_t)(s->port_lo + (idx - 1) % s->n_ports) : 0;
	t->nat_addr = s->nat[idx ? (idx - 1) / s->n_ports : 0];
}

/* An existing mapping's NAT address and port. */
static void map_nat(const struct wgw_sessions *s, uint32_t mi, struct wgw_trace *t)
{
	t->nat_port = wgw_map_nat_port(&s->maps[mi]);
	t->nat_addr = s->nat[s->maps[mi].nat_k];
}

static void trace_new_map(struct wgw_engine *e, struct wgw_trace *t, int b)
{
	const struct wgw_sessions *s = &e->s;

	t->map = WGW_TRACE_MAP_NEW;
	next_nat(s, b, t);
	if (atomic_load_explicit(&s->n_maps, memory_order_relaxed) >=
	    atomic_load_explicit(&s->lim_maps, memory_order_relaxed))
		trace_drop(t, WGW_DROP_MAP_FULL, "the mapping table is full: a new session is refused");
	else if (!t->nat_port)
		trace_drop(t, WGW_DROP_PORTS_FULL, "the backend's NAT ports are all in use");
}

static void trace_client(struct wgw_engine *e, const struct wgw_view *v,
			 const struct wgw_trace_in *in, struct wgw_trace *t)
{
	struct wgw_sessions *s = &e->s;
	bool session_cid = in->has_cid && !wraith_cid_is_special(in->cid);
	uint32_t ci, mi;
	uint64_t h;
	int b;

	if (!wgw_view_is_vip(v, &in->dst, in->dport))
		return trace_drop(t, WGW_DROP_NOT_VIP, "not to a VIP endpoint");
	if (wgw_engine_src_martian(e->family, &in->src))
		return trace_drop(t, WGW_DROP_MARTIAN, "a source no wire carries");
	if (wgw_view_is_own(v, &in->src))
		return trace_drop(t, WGW_DROP_SPOOFED,
				  "the source is the gateway's own (a VIP, the NAT address, a backend)");
	if (in->has_cid && in->cid == WRAITH_CID_INVALID)
		return trace_drop(t, WGW_DROP_CID0, "CID 0 is invalid in WRAITH");

	h = wgw_map_hash(s, &in->src, in->sport, &in->dst, in->dport);
	ci = session_cid ? wgw_cid_find(s, in->cid) : 0;
	if (ci) {
		b = s->cids[ci].backend;
		t->cid_known = true;
		t->cid_backend = b;
		if (atomic_load_explicit(&e->be_live[b], memory_order_relaxed)) {
			t->rule = 2;
			t->why = "the CID is known: its backend, whatever the source";
			trace_backend(e, t, b);
			mi = wgw_map_find(s, h, &in->src, in->sport, &in->dst, in->dport, b, NULL);
			if (mi) {
				t->map = WGW_TRACE_MAP_EXISTING;
				map_nat(s, mi, t);
			} else {
				t->why = "the CID is known, from a new endpoint: a new mapping on its "
					 "backend (migration)";
				trace_new_map(e, t, b);
			}
			return;
		}
	}
	t->rule = 1;
	mi = wgw_map_find(s, h, &in->src, in->sport, &in->dst, in->dport, WGW_BACKEND_ANY,
			  e->be_live);
	if (mi) {
		t->why = session_cid ? "a CID not known yet: the endpoint's mapping" :
			 "no session CID: the endpoint's mapping";
		t->map = WGW_TRACE_MAP_EXISTING;
		map_nat(s, mi, t);
		trace_backend(e, t, s->maps[mi].backend);
	} else {
		b = wgw_view_choose(v, &in->src, in->sport);
		if (b < 0)
			return trace_drop(t, WGW_DROP_NO_BACKEND, "no backend is up for a new endpoint");
		t->why = "a new endpoint: the rendezvous choice among the backends up";
		trace_backend(e, t, b);
		trace_new_map(e, t, b);
		if (t->reason != WGW_DROP_NONE)
			return;
	}
	t->cid_learn = session_cid && !ci;
}

static void trace_from_backend(struct wgw_engine *e, const struct wgw_view *v,
			       const struct wgw_trace_in *in, struct wgw_trace *t)
{
	struct wgw_sessions *s = &e->s;
	struct wgw_map_ent *m;
	uint32_t mi, ci;
	int b, nk;

	if (in->dport < e->nat_port_lo || in->dport > e->nat_port_hi ||
	    (nk = wgw_engine_nat_find(e, &in->dst)) < 0)
		return trace_drop(t, WGW_DROP_NOT_NAT, "not to a NAT address within its port range");
	b = wgw_view_by_src(v, e->slots, &in->src, in->sport);
	if (b < 0)
		return trace_drop(t, WGW_DROP_BAD_SOURCE, "not from a backend");
	trace_backend(e, t, b);
	if (in->has_cid && in->cid == WRAITH_CID_INVALID)
		return trace_drop(t, WGW_DROP_CID0, "CID 0 is invalid in WRAITH");
	mi = wgw_map_rev(s, (unsigned)b, (unsigned)nk, in->dport);
	if (!mi)
		return trace_drop(t, WGW_DROP_NO_MAPPING, "no mapping owns this backend and NAT port");
	m = &s->maps[mi];
	t->why = "the mapping that owns this backend and NAT port: back to its client";
	t->map = WGW_TRACE_MAP_EXISTING;
	map_nat(s, mi, t);
	t->out_src = m->vip;
	t->out_sport = m->vport;
	t->out_dst = m->client;
	t->out_dport = m->cport;
	if (in->has_cid && !wraith_cid_is_special(in->cid)) {
		ci = wgw_cid_find(s, in->cid);
		t->cid_known = ci != 0;
		t->cid_backend = ci ? s->cids[ci].backend : -1;
		t->cid_learn = !ci;
	}
}

void wgw_engine_trace(struct wgw_engine *e, const struct wgw_trace_in *in, struct wgw_trace *t)
{
	const struct wgw_view *v;

	memset(t, 0, sizeof(*t));
	t->backend = -1;
	t->cid_backend = -1;
	t->dir = in->dir;
	if (t->dir == WGW_DIR_ANY)
		t->dir = wgw_engine_nat_find(e, &in->dst) >= 0 ? WGW_DIR_BACKEND : WGW_DIR_CLIENT;
	pthread_mutex_lock(&e->ctl);
	v = atomic_load_explicit(&e->view, memory_order_acquire);
	if (wgw_addr_is_v4(&in->src) != (e->family == AF_INET) ||
	    wgw_addr_is_v4(&in->dst) != (e->family == AF_INET))
		trace_drop(t, WGW_DROP_FAMILY, "not the engine's address family");
	else if (t->dir == WGW_DIR_CLIENT)
		trace_client(e, v, in, t);
	else
		trace_from_backend(e, v, in, t);
	pthread_mutex_unlock(&e->ctl);
	if (t->reason != WGW_DROP_NONE)
		return;
	if (t->dir == WGW_DIR_CLIENT) {
		t->verdict = WGW_TO_LAN;
		t->out_src = t->nat_addr;
		t->out_sport = t->nat_port;
		t->out_dst = t->backend_addr;
		t->out_dport = t->backend_port;
	} else {
		t->verdict = WGW_TO_WAN;
	}
}
