// SPDX-License-Identifier: GPL-2.0-only
/*
 * The worker's side of a capture (capture.h): called only while a capture
 * runs.  Each frame that may match is copied into the worker's ring as it
 * came in, before the engine rewrites it in place; once its fate is known
 * the record gets its final set of captures (or none), a dropped frame
 * becomes a drop record, and a frame that leaves is copied again.  The
 * batch is published with one store, so the capture thread never sees a
 * record being written.
 */
#include "config.h"

#include <endian.h>
#include <string.h>
#include <time.h>

#include "gateway/capture_internal.h"
#include "gateway/engine.h"
#include "gateway/port.h"
#include "gateway/worker.h"

_Static_assert(WGW_BATCH_MAX <= 256, "in_off holds a burst");
_Static_assert(CAP_RINGS_MAX >= WGW_ENGINE_MAX_THREADS, "a ring per worker id");
_Static_assert(WGW_CAPTURE_MAX <= 8, "slots are the low byte of the state");

_Atomic uint64_t wgw_capture_state;
_Atomic uint64_t wgw_capture_filters[WGW_CAPTURE_MAX][CAP_FILTER_WORDS];
struct wgw_capture_ring *_Atomic wgw_capture_rings[CAP_RINGS_MAX];
char wgw_capture_ifnames[2][16];

/* The name records of side give their interface. */
static const char *cap_ifname(unsigned side, const struct wgw_port *port)
{
	const char *n = wgw_capture_ifnames[side == WGW_SIDE_LAN];

	return n[0] ? n : port->ifname;
}

static uint64_t rd_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

bool wgw_cap_peek(const uint8_t *d, uint32_t len, struct cap_tuple *t)
{
	uint32_t off = 14;
	uint16_t et;

	if (len < 14)
		return false;
	et = (uint16_t)(d[12] << 8 | d[13]);
	if (et == 0x8100 || et == 0x88a8) {
		if (len < 18)
			return false;
		et = (uint16_t)(d[16] << 8 | d[17]);
		off = 18;
	}
	if (et == 0x0800) {
		uint32_t ihl, a;

		if (len < off + 20 || d[off] >> 4 != 4 || d[off + 9] != IPPROTO_UDP)
			return false;
		ihl = (d[off] & 0xfu) * 4;
		if (ihl < 20)
			return false;
		memcpy(&a, d + off + 12, 4);
		wgw_addr_from_v4(&t->src, a);
		memcpy(&a, d + off + 16, 4);
		wgw_addr_from_v4(&t->dst, a);
		off += ihl;
	} else if (et == 0x86dd) {
		if (len < off + 40 || d[off + 6] != IPPROTO_UDP)
			return false;
		memcpy(t->src.b, d + off + 8, 16);
		memcpy(t->dst.b, d + off + 24, 16);
		off += 40;
	} else {
		return false;
	}
	if (len < off + 8)
		return false;
	t->sport = (uint16_t)(d[off] << 8 | d[off + 1]);
	t->dport = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
	t->has_cid = len >= off + 8 + 8;
	t->cid = t->has_cid ? rd_be64(d + off + 8) : 0;
	return true;
}

static bool ep_match(bool has, const union wgw_addr *a, uint16_t port, const union wgw_addr *fa,
		     bool want_port, uint16_t fport)
{
	return has && wgw_addr_eq(a, fa) && (!want_port || port == fport);
}

bool wgw_cap_match(const struct cap_filter *f, const struct cap_view *v, const char *ifname)
{
	if ((f->flags & CAP_F_CID) && !(v->has_cid && v->cid == f->cid))
		return false;
	if ((f->flags & CAP_F_CLIENT) &&
	    !ep_match(v->has_client, &v->client, v->client_port, &f->client,
		      f->flags & CAP_F_CLIENT_PORT, f->client_port))
		return false;
	if ((f->flags & CAP_F_BACKEND) &&
	    !ep_match(v->has_backend, &v->backend, v->backend_port, &f->backend,
		      f->flags & CAP_F_BACKEND_PORT, f->backend_port))
		return false;
	if ((f->flags & CAP_F_IFACE) && strncmp(f->ifname, ifname, sizeof(f->ifname)))
		return false;
	return true;
}

/* Could f want a record of this frame, with what is known before the
 * engine ran (v partial; the interface is not asked: a frame in on one
 * interface may leave by the one asked for)? */
static bool cap_may_match(const struct cap_filter *f, const struct cap_view *v)
{
	if ((f->flags & CAP_F_CID) && !(v->has_cid && v->cid == f->cid))
		return false;
	if ((f->flags & CAP_F_CLIENT) && v->has_client &&
	    !ep_match(true, &v->client, v->client_port, &f->client,
		      f->flags & CAP_F_CLIENT_PORT, f->client_port))
		return false;
	if ((f->flags & CAP_F_BACKEND) && v->has_backend &&
	    !ep_match(true, &v->backend, v->backend_port, &f->backend,
		      f->flags & CAP_F_BACKEND_PORT, f->backend_port))
		return false;
	return true;
}

static inline struct cap_rec *ring_at(struct wgw_capture_ring *r, uint64_t pos)
{
	return (struct cap_rec *)(r->data + (pos & (WGW_CAPTURE_RING_BYTES - 1)));
}

/* Room for a record of caplen bytes of frame, or NULL (counted lost). */
static struct cap_rec *ring_reserve(struct wgw_capture_ring *r, uint32_t caplen, uint64_t *pos)
{
	uint32_t need = (uint32_t)((sizeof(struct cap_rec) + caplen + 7) & ~7u);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t to_end = WGW_CAPTURE_RING_BYTES - (uint32_t)(r->whead & (WGW_CAPTURE_RING_BYTES - 1));
	struct cap_rec *rec;

	if (need > to_end) {
		if (r->whead + to_end + need - tail > WGW_CAPTURE_RING_BYTES)
			goto full;
		rec = ring_at(r, r->whead);
		rec->size = to_end;
		rec->mask = 0;
		rec->kind = CAP_REC_PAD;
		r->whead += to_end;
	}
	if (r->whead + need - tail > WGW_CAPTURE_RING_BYTES)
		goto full;
	*pos = r->whead;
	rec = ring_at(r, r->whead);
	r->whead += need;
	memset(rec, 0, sizeof(*rec));
	rec->size = need;
	rec->epoch = r->epoch;
	rec->ts_ns = r->ts_ns;
	return rec;
full:
	atomic_store_explicit(&r->lost, atomic_load_explicit(&r->lost, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	return NULL;
}

static uint32_t cap_len(const struct wgw_capture_ring *r, uint32_t len)
{
	uint32_t c = len < r->snap ? len : r->snap;

	return c < WGW_CAPTURE_COPY_MAX ? c : WGW_CAPTURE_COPY_MAX;
}

struct wgw_capture_ring *wgw_capture_burst_in(unsigned worker, uint64_t state,
					      const struct wgw_port *in,
					      const struct wgw_buf *bufs, unsigned n)
{
	struct wgw_capture_ring *r;
	struct timespec ts;

	if (worker >= CAP_RINGS_MAX)
		return NULL;
	r = atomic_load_explicit(&wgw_capture_rings[worker], memory_order_acquire);
	if (!r)
		return NULL;
	r->epoch = state >> 8;
	r->nf = 0;
	r->snap = 0;
	for (unsigned s = 0; s < WGW_CAPTURE_MAX; s++) {
		uint64_t w[CAP_FILTER_WORDS];

		if (!(state & (1u << s)))
			continue;
		for (unsigned i = 0; i < CAP_FILTER_WORDS; i++)
			w[i] = atomic_load_explicit(&wgw_capture_filters[s][i],
						    memory_order_relaxed);
		memcpy(&r->f[r->nf], w, sizeof(w));
		if (r->f[r->nf].snaplen > r->snap)
			r->snap = r->f[r->nf].snaplen;
		r->slot[r->nf++] = (uint8_t)s;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	r->ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->in = in;
	for (unsigned k = 0; k < n; k++) {
		struct cap_tuple *t = &r->in_t[k];
		struct cap_view v = { 0 };
		struct cap_rec *rec;
		bool want = false;
		uint64_t pos;

		r->in_off[k] = CAP_NONE;
		if (!wgw_cap_peek(bufs[k].data, bufs[k].len, t)) {
			memset(t, 0, sizeof(*t));
		} else {
			v.has_cid = t->has_cid;
			v.cid = t->cid;
			if (in->sides == WGW_SIDE_WAN) {
				v.has_client = true;
				v.client = t->src;
				v.client_port = t->sport;
			} else if (in->sides == WGW_SIDE_LAN) {
				v.has_backend = true;
				v.backend = t->src;
				v.backend_port = t->sport;
			}
		}
		for (unsigned i = 0; i < r->nf && !want; i++)
			want = cap_may_match(&r->f[i], &v);
		if (!want)
			continue;
		rec = ring_reserve(r, cap_len(r, bufs[k].len), &pos);
		if (!rec)
			continue;
		rec->kind = CAP_REC_IN;
		rec->len = bufs[k].len;
		rec->caplen = cap_len(r, bufs[k].len);
		rec->side = (uint8_t)(in->sides == WGW_SIDE_LAN ? WGW_SIDE_LAN : WGW_SIDE_WAN);
		rec->queue = (uint16_t)in->queue;
		memcpy(rec->ifname, cap_ifname(rec->side, in), sizeof(rec->ifname));
		memcpy(rec + 1, bufs[k].data, rec->caplen);
		r->in_off[k] = pos;
	}
	return r;
}

void wgw_capture_burst_fate(struct wgw_capture_ring *r, unsigned k, const struct wgw_frame *f,
			    const struct wgw_buf *b, const struct wgw_port *out,
			    enum wgw_capture_fate fate)
{
	bool dropped = fate >= WGW_FATE_DROP_ENGINE;
	bool from_client = r->in->sides == WGW_SIDE_WAN ||
			   (r->in->sides != WGW_SIDE_LAN && f->verdict != WGW_TO_WAN);
	const struct cap_tuple *tin = &r->in_t[k];
	struct cap_tuple to;
	struct cap_view v = { 0 };
	struct cap_rec *rec, *orec;
	uint32_t mask = 0, omask = 0;
	const char *oname;
	bool have_out;
	uint64_t pos;

	if (r->in_off[k] == CAP_NONE)
		return;
	rec = ring_at(r, r->in_off[k]);
	have_out = !dropped && out && wgw_cap_peek(b->data, b->len, &to);
	v.has_cid = tin->has_cid;
	v.cid = tin->cid;
	if (from_client) {
		v.has_client = true;
		v.client = tin->src;
		v.client_port = tin->sport;
		if (have_out && f->verdict == WGW_TO_LAN) {
			v.has_backend = true;
			v.backend = to.dst;
			v.backend_port = to.dport;
		}
	} else {
		v.has_backend = true;
		v.backend = tin->src;
		v.backend_port = tin->sport;
		if (have_out && f->verdict == WGW_TO_WAN) {
			v.has_client = true;
			v.client = to.dst;
			v.client_port = to.dport;
		}
	}
	rec->side = (uint8_t)(from_client ? WGW_SIDE_WAN : WGW_SIDE_LAN);
	memcpy(rec->ifname, cap_ifname(rec->side, r->in), sizeof(rec->ifname));
	oname = out ? cap_ifname(f->verdict == WGW_TO_LAN ? WGW_SIDE_LAN : WGW_SIDE_WAN, out) : "";
	for (unsigned i = 0; i < r->nf; i++) {
		const struct cap_filter *cf = &r->f[i];

		if (dropped || !(cf->flags & CAP_F_DROPS)) {
			if (wgw_cap_match(cf, &v, rec->ifname))
				mask |= 1u << r->slot[i];
		}
		if (have_out && !(cf->flags & CAP_F_DROPS) && wgw_cap_match(cf, &v, oname))
			omask |= 1u << r->slot[i];
	}
	rec->mask = mask;
	if (dropped) {
		rec->kind = CAP_REC_DROP;
		rec->fate = (uint8_t)fate;
		rec->reason = (uint16_t)f->route.reason;
		return;
	}
	if (!omask)
		return;
	/* The in-record stays where it is: reserving may write a pad
	 * record, never move one already written. */
	orec = ring_reserve(r, cap_len(r, b->len), &pos);
	if (!orec)
		return;
	orec->mask = omask;
	orec->kind = CAP_REC_OUT;
	orec->fate = (uint8_t)fate;
	orec->len = b->len;
	orec->caplen = cap_len(r, b->len);
	orec->side = (uint8_t)(f->verdict == WGW_TO_LAN ? WGW_SIDE_LAN : WGW_SIDE_WAN);
	orec->queue = (uint16_t)out->queue;
	orec->to = to.dst;
	orec->to_port = to.dport;
	orec->nat_port = f->verdict == WGW_TO_LAN ? to.sport : tin->dport;
	orec->nat = f->verdict == WGW_TO_LAN ? to.src : tin->dst;
	memcpy(orec->ifname, oname, sizeof(orec->ifname));
	memcpy(orec + 1, b->data, orec->caplen);
}

void wgw_capture_burst_end(struct wgw_capture_ring *r)
{
	atomic_store_explicit(&r->head, r->whead, memory_order_release);
}
