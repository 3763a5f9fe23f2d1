// SPDX-License-Identifier: GPL-2.0-only
/*
 * The routing engine's per-packet path: the input rules, the known-session
 * paths (client_known4, backend_known4), the general rules, the NAT rewrite
 * and the batch entry the workers call.  Configuration, creation and admin:
 * engine_admin.c; statistics and introspection: engine_info.c.  Tables:
 * sessions.c; backend views and the rendezvous choice: backends.c;
 * reclamation: qsbr.c.
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "gateway/csum_internal.h"
#include "gateway/engine_internal.h"
#include "gateway/log.h"

/* ---- the per-packet path -------------------------------------------------- */

/*
 * Addresses and ports straight from the headers wgw_pkt_parse() validated
 * (RFC 791 / 8200 / 768 offsets): the same values as wgw_pkt_get_saddr()
 * and friends, without four calls per packet.
 */
static inline void pkt_endpoints(const struct wgw_pkt *p, union wgw_addr *src,
				 uint16_t *sport, union wgw_addr *dst, uint16_t *dport)
{
	const uint8_t *ip = p->data + p->l3_off, *udp = p->data + p->l4_off;

	if (p->family == AF_INET) {
		src->q[0] = dst->q[0] = 0;
		src->w[2] = dst->w[2] = htonl(0xffff);
		memcpy(&src->w[3], ip + 12, 4);
		memcpy(&dst->w[3], ip + 16, 4);
	} else {
		memcpy(src->b, ip + 8, 16);
		memcpy(dst->b, ip + 24, 16);
	}
	*sport = (uint16_t)(udp[0] << 8 | udp[1]);
	*dport = (uint16_t)(udp[2] << 8 | udp[3]);
}

/* The session CID, if the payload carries a non-special one. */
static inline bool pkt_session_cid(const struct wgw_pkt *p, uint64_t *cid)
{
	uint64_t be;

	if (p->payload_len < WRAITH_MIN_PAYLOAD)
		return false;
	memcpy(&be, p->data + p->payload_off, sizeof(be));
	*cid = be64toh(be);
	return !wraith_cid_is_special(*cid);
}

/* ---- input rules -------------------------------------------------------------
 *
 * What both data paths accept, whatever checked the frame before (the XDP
 * program sees only the AF_XDP path's frames; the fallback's come from
 * sockets and a TUN device): exactly what the kernel's UDP receive path
 * and a router would, and the WRAITH outer header.  The general paths
 * apply every rule and name the reason; the known-session paths test the
 * ones a packet of an existing mapping can still break (TTL, checksums,
 * the WRAITH header of replies) and leave a failure to the general path,
 * which then counts it.
 */

#define IP4_OFF_TTL 8
#define IP6_OFF_HLIM 7

/* The IPv4 header checksum change of a TTL decrement: the 16-bit word
 * TTL|protocol, as it lies in memory, loses htons(0x0100); -x is ~x in
 * one's complement.  In [1, 0xffff], as wgw_csum_add16() needs. */
#define TTL_DEC_CSUM ((uint16_t)~htons(0x0100))

/* The rules after the addresses: WRAITH header (the XDP program's own
 * tests), TTL / hop limit, checksums (wgw_pkt_csum_verify()).  Returns
 * WGW_DROP_NONE, with *partial set for a CHECKSUM_PARTIAL datagram, or
 * the reason.  The payload is summed last: junk costs little. */
static enum wgw_drop_reason pkt_input_check(const struct wgw_pkt *p, bool *partial)
{
	const uint8_t *ip = p->data + p->l3_off;

	if (p->payload_len < WRAITH_MIN_PAYLOAD)
		return WGW_DROP_SHORT;
	if (wgw_ld64(p->data + p->payload_off) == 0)
		return WGW_DROP_CID0;
	if (ip[p->family == AF_INET ? IP4_OFF_TTL : IP6_OFF_HLIM] <= 1)
		return WGW_DROP_TTL;
	switch (wgw_pkt_csum_verify(p)) {
	case WGW_CSUM_BAD:
		return WGW_DROP_BAD_CSUM;
	case WGW_CSUM_PARTIAL:
		*partial = true;
		break;
	case WGW_CSUM_OK:
	case WGW_CSUM_NONE:
		break;
	}
	return WGW_DROP_NONE;
}

/* The IPv4 header at ip (IHL validated) sums to -0: its checksum is
 * right.  Five words and one multiplication for the usual IHL 5. */
static inline __attribute__((always_inline)) bool ip4_hdr_ok(const uint8_t *ip)
{
	uint64_t s = (uint64_t)wgw_ld32(ip) + wgw_ld32(ip + 4) + wgw_ld32(ip + 8) +
		     wgw_ld32(ip + 12) + wgw_ld32(ip + 16);

	if (wgw_unlikely(ip[0] != 0x45))
		s = wgw_csum_add_buf(ip + 20, (ip[0] & 0x0fu) * 4 - 20, s);
	return wgw_csum_mod0(s);
}

static enum wgw_verdict drop(struct wgw_engine_thread *t, struct wgw_route *out,
			     enum wgw_drop_reason r)
{
	out->reason = r;
	out->backend = -1;
	cnt_add(&t->drop[r], 1);
	CTR(t, DROP);
	return WGW_DROP;
}

/* Rule 3: bind cid to the backend of mapping mi, where it was seen.  The
 * new CID's hint names mi: the next packet with it from that endpoint
 * takes the known-session path at once.  The CID is charged to mi's
 * client source, also when a backend's reply carried it: the client chose
 * it.  Over that source's quota the packet is routed all the same, by its
 * endpoint, only the CID is not learned. */
static void cid_learn(struct wgw_engine_thread *t, uint64_t cid, uint32_t mi, uint32_t now)
{
	struct wgw_sessions *s = &t->e->s;
	unsigned b = s->maps[mi].backend;
	uint32_t ci;
	int err = wgw_cid_learn(s, cid, b, &s->maps[mi].client, now, &ci);

	if (!err) {
		atomic_store_explicit(&s->cids[ci].hint, mi, memory_order_relaxed);
		CTR(t, CID_LEARNED);
		if (t->store)
			t->store->learned(t->store->arg, cid, &t->e->slots[b].addr,
					  t->e->slots[b].port);
	}
	else if (err == -EDQUOT)
		CTR(t, CID_QUOTA);
	else if (err == -ENOSPC)
		CTR(t, CID_REFUSED);
	else if (s->cids[ci].backend != b)
		CTR(t, CID_CONFLICT);	/* never rebound */
}

int wgw_engine_cid_bind(struct wgw_engine_thread *t, uint64_t cid, const union wgw_addr *addr,
			uint16_t port, const union wgw_addr *client, uint32_t now)
{
	struct wgw_engine *e = t->e;
	const struct wgw_view *v = atomic_load_explicit(&e->view, memory_order_acquire);
	int b = wgw_view_by_src(v, e->slots, addr, port);
	uint32_t ci;
	unsigned i;
	int err;

	if (b < 0)
		return -ENOENT;
	/* a backend rule 1 could choose now (not judged down; every one of
	 * them when all are: fail open), or a draining one that is not
	 * judged down: it keeps its sessions, moved ones too (rules 2, 4) */
	for (i = 0; i < v->n_up && v->up[i].slot != (unsigned)b; i++)
		;
	if (i == v->n_up &&
	    (atomic_load_explicit(&e->be_state[b], memory_order_relaxed) != WGW_BACKEND_DRAIN ||
	     __atomic_load_n(&e->slots[b].health_down, __ATOMIC_RELAXED)))
		return -ENOENT;
	err = wgw_cid_learn(&e->s, cid, (unsigned)b, client, now, &ci);
	if (err == -EDQUOT)
		CTR(t, CID_QUOTA);
	else if (err == -ENOSPC)
		CTR(t, CID_REFUSED);
	if (err)
		return err;
	CTR(t, CID_LEARNED);
	if (t->store)
		t->store->learned(t->store->arg, cid, &e->slots[b].addr, e->slots[b].port);
	return 0;
}

/* A new mapping on slot b; 0 (and out->reason) when refused. */
static uint32_t map_new(struct wgw_engine_thread *t, uint64_t h, const union wgw_addr *src,
			uint16_t sport, const union wgw_addr *dst, uint16_t dport,
			unsigned b, uint32_t now, struct wgw_route *out)
{
	uint32_t mi;
	int err = wgw_map_create(&t->e->s, h, src, sport, dst, dport, b, now, &mi);

	if (!err) {
		CTR(t, MAP_CREATED);
		return mi;
	}
	if (err == -EEXIST)	/* another worker made it just now */
		return mi;
	if (err == -EDQUOT) {
		/* one source may not starve the others of the table */
		char a[INET6_ADDRSTRLEN];

		wgw_log_ratelimited(LOG_NOTICE, "engine: client %s%s holds its quota of %u mappings: new endpoint dropped",
				    wgw_addr_str(src, a, sizeof(a)),
				    wgw_addr_is_v4(src) ? "" : " (its /64)",
				    atomic_load_explicit(&t->e->s.quota_maps, memory_order_relaxed));
		drop(t, out, WGW_DROP_SOURCE_QUOTA);
		return 0;
	}
	CTR(t, MAP_REFUSED);
	drop(t, out, err == -EADDRNOTAVAIL ? WGW_DROP_PORTS_FULL : WGW_DROP_MAP_FULL);
	return 0;
}

#define CID_NOT_LOOKED_UP UINT32_MAX

/*
 * IPv4 packets on the per-packet paths (engine->fast4): the headers as the
 * known-session paths below and the general paths' rewrite use them.
 */
struct pkt4 {
	uint8_t *data;		/* the frame */
	uint32_t len;
	uint8_t *ip, *udp;	/* validated IPv4 (IHL 5 or more) and UDP headers */
	uint32_t plen;		/* UDP payload bytes, validated */
	struct wgw_pkt *p;	/* the parsed packet, or NULL */
};

#define FRAME4_L3 14		/* bytes: untagged Ethernet header */
#define FRAME4_HDRS 28		/* bytes: IPv4 without options + UDP */

static inline struct pkt4 pkt4_of(struct wgw_pkt *p)
{
	return (struct pkt4){
		.data = p->data, .len = p->len, .ip = p->data + p->l3_off,
		.udp = p->data + p->l4_off, .plen = p->payload_len, .p = p,
	};
}

/* The parsed packet: p, or (p NULL: a frame wgw_engine_route_frame() took
 * itself, which it does only for frames wgw_pkt_parse() takes as untagged
 * IPv4 with IHL 5 and UDP) what wgw_pkt_parse() makes of it, field for
 * field, written into pk.  Out of line, so the per-packet paths keep
 * nothing but data and len for it. */
static struct wgw_pkt *pkt4_parsed(struct wgw_pkt *p, uint8_t *data, uint32_t len,
				   struct wgw_pkt *pk)
{
	if (p)
		return p;
	*pk = (struct wgw_pkt){
		.data = data,
		.len = len,
		.l3_off = FRAME4_L3,
		.l4_off = FRAME4_L3 + 20,
		.payload_off = FRAME4_L3 + FRAME4_HDRS,
		.payload_len = (uint16_t)(ntohs(wgw_ld16(data + FRAME4_L3 + 24)) - 8),
		.ip_len = ntohs(wgw_ld16(data + FRAME4_L3 + 2)),
		.family = AF_INET,
		.l4_proto = IPPROTO_UDP,
	};
	return pk;
}

/* A CHECKSUM_PARTIAL datagram, rewritten: its UDP checksum in full. */
static __attribute__((noinline)) void
udp_csum_full4(struct wgw_engine_thread *t, struct wgw_pkt *p, uint8_t *data, uint32_t len)
{
	struct wgw_pkt pk;

	wgw_pkt_udp_csum_full(pkt4_parsed(p, data, len, &pk));
	CTR(t, CSUM_FULL);
}

/* The packet's ports (UDP header udp) are the mapping's cport and vport:
 * one load on each side. */
static inline bool map_ports_match(const struct wgw_map_ent *m, const uint8_t *udp)
{
	uint32_t mp, pp = ntohl(wgw_ld32(udp));	/* sport << 16 | dport */

	memcpy(&mp, (const uint8_t *)m + offsetof(struct wgw_map_ent, cport), sizeof(mp));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	pp = pp >> 16 | pp << 16;		/* vport << 16 | cport, as mp */
#endif
	return mp == pp;
}

/* The LAN rewrite's addresses (wgw_addrs4_word()) for a mapping on NAT
 * address k of backend slot bs: the slot's own word for address 0. */
static inline uint64_t lan_addrs4(const struct wgw_engine *e, const struct wgw_backend_slot *bs,
				  unsigned k)
{
	if (wgw_likely(!k))
		return bs->lan_addrs4;
	return wgw_addrs4_word(wgw_addr_v4(&e->s.nat[k]), wgw_addr_v4(&bs->addr));
}

/* The WAN rewrite's ports, vport -> cport, as the UDP header holds them. */
static inline uint32_t map_wan_ports(const struct wgw_map_ent *m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t mp;

	memcpy(&mp, (const uint8_t *)m + offsetof(struct wgw_map_ent, cport), sizeof(mp));
	return __builtin_bswap32(mp);
#else
	return wgw_ports_word(htons(m->vport), htons(m->cport));
#endif
}

/*
 * The UDP checksum of an IPv4 packet of a matched mapping under the input
 * rules (wgw_pkt_csum_verify(), same verdicts): pseudo is the folded
 * pseudo-header sum of the packet's addresses and UDP, without the length
 * (struct wgw_map_ent pseudo_csum, struct wgw_backend_slot wan_pseudo).
 * Returns 1 for a partial checksum, 0 for none or a right one, -1 for a
 * wrong one.  A partial checksum is that sum with the length added: in
 * [1, 0xffff], where every residue modulo 0xffff occurs once, and so are
 * uc (not 0 here) and pseudo + length with end-around carry (pseudo >= 1),
 * so equal residues are equal bits (wgw_pkt_udp_csum_is_partial()'s test).
 * Else the whole datagram is summed once, a 64-bit accumulation
 * (wgw_csum_add_buf()), and must come to -0.
 */
static inline __attribute__((always_inline)) int udp4_csum_check(const struct pkt4 *k, uint16_t pseudo)
{
	uint16_t uc = wgw_ld16(k->udp + 6), ulen_be = wgw_ld16(k->udp + 4);

	if (uc == 0)	/* IPv4: no checksum */
		return 0;
	if (wgw_unlikely(wgw_csum_add16(pseudo, ulen_be) == uc))
		return 1;
	return wgw_csum_mod0(wgw_csum_add_buf(k->udp, k->plen + 8, (uint64_t)pseudo + ulen_be)) ?
		       0 : -1;
}

/*
 * The IPv4 rewrite of a matched mapping: new addresses naddrs (as they lie
 * in the header, wgw_addrs4_word()) and ports nports (wgw_ports_word()),
 * checksum changes n_ip and n_udp (wgw_csum_apply16()), and the TTL
 * decremented as a router does (the caller saw it above 1), its change
 * folded into n_ip.  partial: the UDP checksum is a CHECKSUM_PARTIAL
 * datagram's (udp4_csum_check()), recomputed in full; else 0 (none) stays
 * 0 and a complete one is updated, as in wgw_pkt_nat().
 */
static inline __attribute__((always_inline)) void
nat4(struct wgw_engine_thread *t, const struct pkt4 *k, bool partial, uint64_t naddrs,
     uint32_t nports, uint16_t n_ip, uint16_t n_udp)
{
	uint8_t *ip = k->ip, *udp = k->udp;
	uint16_t uc = wgw_ld16(udp + 6);

	ip[IP4_OFF_TTL]--;
	wgw_st16(ip + 10, wgw_csum_apply16(wgw_ld16(ip + 10), wgw_csum_add16(n_ip, TTL_DEC_CSUM)));
	memcpy(ip + 12, &naddrs, 8);
	memcpy(udp, &nports, 4);
	if (uc == 0)	/* no checksum stays without (IPv4) */
		return;
	if (wgw_unlikely(partial)) {
		udp_csum_full4(t, k->p, k->data, k->len);
		return;
	}
	/* wgw_csum_apply16() with a result of 0 sent as 0xffff (RFC 768) is
	 * the residue of uc - n_udp in [1, 0xffff]: uc + ~n_udp with
	 * end-around carry (uc >= 1), one add */
	wgw_st16(udp + 6, wgw_csum_add16(uc, (uint16_t)~n_udp));
}

static inline const struct wgw_view *engine_view(struct wgw_engine *e)
{
	return atomic_load_explicit(&e->view, memory_order_acquire);
}

/* Every client packet the known-session path does not take: all rules.
 * pre_ci: the packet's CID entry as the known-session path found it (0:
 * none), or CID_NOT_LOOKED_UP. */
static enum wgw_verdict client_route(struct wgw_engine_thread *t, struct wgw_pkt *p,
				     uint32_t now, struct wgw_route *out, uint32_t pre_ci)
{
	struct wgw_engine *e = t->e;
	struct wgw_sessions *s = &e->s;
	const struct wgw_view *v = atomic_load_explicit(&e->view, memory_order_acquire);
	const struct wgw_backend_slot *bs;
	union wgw_addr src, dst;
	uint16_t sport, dport;
	struct wgw_map_ent *m;
	bool has_cid, cid_known = false, partial = false;
	enum wgw_drop_reason r;
	uint64_t cid = 0, h;
	uint32_t ci, mi;
	int b;

	if (p->l4_proto != IPPROTO_UDP)
		return drop(t, out, WGW_DROP_NOT_UDP);
	if (p->family != e->family)
		return drop(t, out, WGW_DROP_FAMILY);
	pkt_endpoints(p, &src, &sport, &dst, &dport);
	if (!wgw_view_is_vip(v, &dst, dport))
		return drop(t, out, WGW_DROP_NOT_VIP);
	/* before anything is looked up or created: a source no wire
	 * carries, or one of ours (which the fallback's sockets would send
	 * straight back in: a loop) */
	if (wgw_engine_src_martian(p->family, &src))
		return drop(t, out, WGW_DROP_MARTIAN);
	if (wgw_unlikely(wgw_view_is_own(v, &src))) {
		char a[INET6_ADDRSTRLEN];

		wgw_log_ratelimited(LOG_NOTICE,
				    "engine: client packet from %s port %u, an address of the gateway (VIP, NAT address or backend): dropped as spoofed",
				    wgw_addr_str(&src, a, sizeof(a)), sport);
		return drop(t, out, WGW_DROP_SPOOFED);
	}
	r = pkt_input_check(p, &partial);
	if (r != WGW_DROP_NONE)
		return drop(t, out, r);
	has_cid = pkt_session_cid(p, &cid);

	ci = !has_cid ? 0 : pre_ci == CID_NOT_LOOKED_UP ? wgw_cid_find(s, cid) : pre_ci;
	if (ci != 0) {
		struct wgw_cid_ent *c = &s->cids[ci];

		cid_known = true;
		b = c->backend;
		/* a CID of a backend being removed counts as unknown (rule 1) */
		if (atomic_load_explicit(&e->be_live[b], memory_order_relaxed)) {
			/* rule 2: the CID's backend, whatever the source */
			uint32_t hint = atomic_load_explicit(&c->hint, memory_order_relaxed);

			wgw_touch(&c->last_seen, now);
			mi = wgw_map_hint(s, hint, &src, sport, &dst, dport, (unsigned)b);
			if (mi)
				goto rewrite;
			h = wgw_map_hash(s, &src, sport, &dst, dport);
			mi = wgw_map_find(s, h, &src, sport, &dst, dport, b, NULL);
			if (!mi) {
				mi = map_new(t, h, &src, sport, &dst, dport, (unsigned)b, now, out);
				if (!mi)
					return WGW_DROP;
				CTR(t, CID_MIGRATED);
			}
			atomic_store_explicit(&c->hint, mi, memory_order_relaxed);
			goto rewrite;
		}
	}
	/* rule 1: the endpoint's mapping, else the rendezvous choice */
	h = wgw_map_hash(s, &src, sport, &dst, dport);
	mi = wgw_map_find(s, h, &src, sport, &dst, dport, WGW_BACKEND_ANY, e->be_live);
	/* A session that may have been learned elsewhere: the store's
	 * (wgw_engine_thread_set_store()).  From an endpoint without a
	 * mapping, or whose mapping carries another session's CID (its
	 * replies did): a client port reused by a session that moved here,
	 * which rule 1 would put on the old session's backend.  Not when the
	 * mapping has carried no CID yet: the first data packet after a
	 * handshake is its own session's. */
	if (t->store && has_cid && !cid_known &&
	    (!mi || atomic_load_explicit(&s->maps[mi].last_cid, memory_order_relaxed)) &&
	    t->store->lookup(t->store->arg, cid)) {
		out->reason = WGW_DROP_NONE;
		out->backend = -1;
		return WGW_HOLD;
	}
	if (!mi) {
		b = wgw_view_choose(v, &src, sport);
		if (b < 0)
			return drop(t, out, WGW_DROP_NO_BACKEND);
		mi = map_new(t, h, &src, sport, &dst, dport, (unsigned)b, now, out);
		if (!mi)
			return WGW_DROP;
	}
	/* rule 3, client side */
	if (has_cid && !cid_known)
		cid_learn(t, cid, mi, now);

rewrite:
	m = &s->maps[mi];
	wgw_touch(&m->last_seen, now);
	b = m->backend;
	bs = &e->slots[b];
	/* m is this packet's endpoint: its precomputed checksum change holds */
	if (e->fast4) {
		struct pkt4 k = pkt4_of(p);

		nat4(t, &k, partial, lan_addrs4(e, bs, m->nat_k),
		     wgw_ports_word(m->nat_port_be, 0) | bs->lan_dport4,
		     m->nat_csum_ip, m->nat_csum_udp);
	} else {
		if (wgw_pkt_nat(p, &s->nat[m->nat_k], wgw_map_nat_port(m), &bs->addr, bs->port) > 0)
			CTR(t, CSUM_FULL);
		wgw_pkt_dec_ttl(p);	/* above 1: pkt_input_check() */
	}
	out->nexthop = bs->addr;
	out->backend = b;
	out->reason = WGW_DROP_NONE;
	cnt_add(&t->be_to[b], 1);
	return WGW_TO_LAN;
}

/* Every backend packet the known-session path does not take. */
static enum wgw_verdict backend_route(struct wgw_engine_thread *t, struct wgw_pkt *p,
				      uint32_t now, struct wgw_route *out)
{
	struct wgw_engine *e = t->e;
	struct wgw_sessions *s = &e->s;
	const struct wgw_view *v = atomic_load_explicit(&e->view, memory_order_acquire);
	union wgw_addr src, dst;
	uint16_t sport, dport;
	struct wgw_map_ent *m;
	enum wgw_drop_reason r;
	bool partial = false;
	uint64_t cid = 0;
	uint32_t mi, ci;
	int b, nk;

	if (p->l4_proto != IPPROTO_UDP)
		return drop(t, out, WGW_DROP_NOT_UDP);
	if (p->family != e->family)
		return drop(t, out, WGW_DROP_FAMILY);
	pkt_endpoints(p, &src, &sport, &dst, &dport);
	if (dport < e->nat_port_lo || dport > e->nat_port_hi ||
	    (nk = wgw_engine_nat_find(e, &dst)) < 0)
		return drop(t, out, WGW_DROP_NOT_NAT);
	b = wgw_view_by_src(v, e->slots, &src, sport);
	if (b < 0) {
		wgw_log_ratelimited(LOG_NOTICE, "engine: LAN packet to NAT port %u from a non-backend source: dropped",
				    dport);
		return drop(t, out, WGW_DROP_BAD_SOURCE);
	}
	r = pkt_input_check(p, &partial);
	if (r != WGW_DROP_NONE)
		return drop(t, out, r);
	mi = wgw_map_rev(s, (unsigned)b, (unsigned)nk, dport);
	if (!mi)
		return drop(t, out, WGW_DROP_NO_MAPPING);
	m = &s->maps[mi];

	/*
	 * Rule 3, backend side.  The CID table is consulted (learn, refresh,
	 * conflict) once per mapping, CID and second: a steady stream of
	 * replies then costs no CID lookup, and the CID's idle timer, in
	 * seconds, loses nothing.
	 */
	if (pkt_session_cid(p, &cid) &&
	    (cid != atomic_load_explicit(&m->last_cid, memory_order_relaxed) ||
	     atomic_load_explicit(&m->last_seen, memory_order_relaxed) != now)) {
		ci = wgw_cid_find(s, cid);
		if (!ci)
			cid_learn(t, cid, mi, now);
		else if (s->cids[ci].backend == b)
			wgw_touch(&s->cids[ci].last_seen, now);
		else
			CTR(t, CID_CONFLICT);
		atomic_store_explicit(&m->last_cid, cid, memory_order_relaxed);
	}
	wgw_touch(&m->last_seen, now);

	/* from backend b's address and port to G:P: m's checksum change,
	 * the other way */
	if (e->fast4) {
		struct pkt4 k = pkt4_of(p);

		nat4(t, &k, partial, wgw_addrs4_word(m->vip.w[3], m->client.w[3]),
		     map_wan_ports(m), wgw_csum_neg16(m->nat_csum_ip),
		     wgw_csum_neg16(m->nat_csum_udp));
	} else {
		if (wgw_pkt_nat(p, &m->vip, m->vport, &m->client, m->cport) > 0)
			CTR(t, CSUM_FULL);
		wgw_pkt_dec_ttl(p);	/* above 1: pkt_input_check() */
	}
	out->nexthop = m->client;
	out->backend = b;
	out->reason = WGW_DROP_NONE;
	cnt_add(&t->be_from[b], 1);
	return WGW_TO_WAN;
}

/* The general paths, out of line.  A forwarded packet is counted in
 * be_to / be_from only (struct wgw_engine_thread). */
static __attribute__((noinline)) enum wgw_verdict
from_client_slow(struct wgw_engine_thread *t, struct wgw_pkt *p, uint32_t now,
		 struct wgw_route *out, uint32_t pre_ci)
{
	enum wgw_verdict v = client_route(t, p, now, out, pre_ci);

	if (v == WGW_DROP)
		CTR(t, RX_CLIENT);
	return v;
}

static __attribute__((noinline)) enum wgw_verdict
from_backend_slow(struct wgw_engine_thread *t, struct wgw_pkt *p, uint32_t now,
		  struct wgw_route *out)
{
	enum wgw_verdict v = backend_route(t, p, now, out);

	if (v == WGW_DROP)
		CTR(t, RX_BACKEND);
	return v;
}

/*
 * The known-session paths (IPv4).  A data packet of an established session
 * is most of the traffic: for it the general paths above would hash the
 * endpoint, walk a chain and go through the general rewrite.  These take
 * only the steps that packet needs, and the first check that fails sends
 * the packet to the general path having changed nothing (no counter, no
 * table, no packet byte), so the result is always the general path's.
 *
 * Client side: rule 2 for a known CID whose hint names the live mapping of
 * this very endpoint on the CID's backend (wgw_map_hint()'s test); CID
 * and mapping refreshed, NAT to G:P -> backend.  Backend side: the mapping
 * owning (backend, P) when the reply's CID is the one last handled in full
 * on it within this second (or it carries none), so rule 3 has nothing to
 * do, or the CID is known on that backend (refreshed in line); NAT to
 * VIP -> client.  Both test the input rules a packet of an existing
 * mapping can still break (its source passed the others when the mapping
 * was made): TTL, the IPv4 header checksum and the UDP checksum, summed
 * over the datagram once (udp4_csum_check()), and on replies the WRAITH
 * header; a failure is the general path's to count.
 *
 * Addresses compare as their last 32 bits: the engine is IPv4 here, and
 * every mapping it holds was made from an IPv4 packet (pkt_endpoints():
 * IPv4-mapped) and every VIP and backend is IPv4 (validated), so the upper
 * 96 bits are equal on both sides by construction.
 *
 * The rewrite: a mapping matched only if the packet's addresses and ports
 * are the mapping's own (client side: client, VIP; backend side: backend,
 * G:P), and what is written is the mapping's too, so the checksum change
 * is the mapping's nat_csum_* (sessions.h), applied towards the LAN and
 * negated towards the WAN, with the TTL decrement's change folded in: no
 * per-packet folds.  Same bits as wgw_pkt_nat() then wgw_pkt_dec_ttl()
 * (wgw_csum_apply16()).
 *
 * Two callers, both inlining these: wgw_engine_from_client() /
 * wgw_engine_from_backend() with a parsed packet, and
 * wgw_engine_route_frame() with a frame it checked itself (p == NULL: a
 * struct wgw_pkt is made only when the general path or a full checksum
 * needs one).
 */
/* The general paths for a packet a known-session path let go. */
static __attribute__((noinline)) enum wgw_verdict
client_general(struct wgw_engine_thread *t, struct wgw_pkt *p, uint8_t *data, uint32_t len,
	       uint32_t now, struct wgw_route *out, uint32_t pre_ci)
{
	struct wgw_pkt pk;

	return from_client_slow(t, pkt4_parsed(p, data, len, &pk), now, out, pre_ci);
}

static __attribute__((noinline)) enum wgw_verdict
backend_general(struct wgw_engine_thread *t, struct wgw_pkt *p, uint8_t *data, uint32_t len,
		uint32_t now, struct wgw_route *out)
{
	struct wgw_pkt pk;

	return from_backend_slow(t, pkt4_parsed(p, data, len, &pk), now, out);
}

static inline __attribute__((always_inline)) enum wgw_verdict
client_known4(struct wgw_engine_thread *t, const struct wgw_view *v, const struct pkt4 *k,
	      uint64_t cid, uint32_t now, struct wgw_route *out, bool pool)
{
	struct wgw_engine *e = t->e;
	struct wgw_sessions *s = &e->s;
	uint8_t *ip = k->ip, *udp = k->udp;
	const struct wgw_backend_slot *bs;
	uint32_t saddr, daddr, ci, hint;
	struct wgw_cid_ent *c;
	struct wgw_map_ent *m;
	int partial;
	unsigned b;

	daddr = wgw_ld32(ip + 16);
	if (wgw_unlikely(!wgw_view_is_vip4(v, daddr, ntohs(wgw_ld16(udp + 2)))))
		goto general;
	ci = wgw_cid_find(s, cid);
	if (wgw_unlikely(!ci))	/* a new CID: the general path need not look again */
		return client_general(t, k->p, k->data, k->len, now, out, 0);
	c = &s->cids[ci];
	b = c->backend;
	hint = atomic_load_explicit(&c->hint, memory_order_relaxed);
	if (wgw_unlikely(!atomic_load_explicit(&e->be_live[b], memory_order_relaxed)))
		goto general;
	/* a hint is 0 or an index of the table (only this file writes
	 * them, from lookups and creations; wgw_sessions_check() verifies),
	 * and entry 0 is never live: no range test */
	m = &s->maps[hint];
	/* acquire: a live entry's key fields are complete (wgw_map_hint());
	 * the packet's fields are read only now, to keep few values live */
	saddr = wgw_ld32(ip + 12);
	if (wgw_unlikely(atomic_load_explicit(&m->state, memory_order_acquire) != WGW_ENT_LIVE))
		goto general;
	if (wgw_unlikely(m->backend != b))
		goto general;
	if (wgw_unlikely(m->client.w[3] != saddr))
		goto general;
	if (wgw_unlikely(m->vip.w[3] != daddr))
		goto general;
	if (wgw_unlikely(!map_ports_match(m, udp)))
		goto general;
	/* the input rules a packet of this mapping can still break (its
	 * source passed the rest when the mapping was made) */
	if (wgw_unlikely(ip[IP4_OFF_TTL] <= 1 || !ip4_hdr_ok(ip)))
		goto general;
	partial = udp4_csum_check(k, m->pseudo_csum);
	if (wgw_unlikely(partial < 0))
		goto general;

	wgw_touch(&c->last_seen, now);
	wgw_touch(&m->last_seen, now);
	bs = &e->slots[b];
	/* the route first: fewer values live across the rewrite */
	out->nexthop = bs->addr;
	out->backend = (int)b;
	out->reason = WGW_DROP_NONE;
	cnt_add(&t->be_to[b], 1);
	/* without a pool every mapping is on NAT address 0 */
	nat4(t, k, partial, pool ? lan_addrs4(e, bs, m->nat_k) : bs->lan_addrs4,
	     wgw_ports_word(m->nat_port_be, 0) | bs->lan_dport4, m->nat_csum_ip, m->nat_csum_udp);
	return WGW_TO_LAN;
general:
	return client_general(t, k->p, k->data, k->len, now, out, CID_NOT_LOOKED_UP);
}

/* k of the NAT address daddr (IPv4, network order) in the pool, or -1. */
static __attribute__((noinline)) int nat_other4(const struct wgw_engine *e, uint32_t daddr)
{
	union wgw_addr a;

	wgw_addr_from_v4(&a, daddr);
	return wgw_engine_nat_find(e, &a);
}

static inline __attribute__((always_inline)) enum wgw_verdict
backend_known4(struct wgw_engine_thread *t, const struct wgw_view *v, const struct pkt4 *k,
	       uint32_t now, struct wgw_route *out, bool pool)
{
	struct wgw_engine *e = t->e;
	struct wgw_sessions *s = &e->s;
	uint8_t *ip = k->ip, *udp = k->udp;
	uint32_t saddr = wgw_ld32(ip + 12), daddr = wgw_ld32(ip + 16);
	uint16_t dport_be = wgw_ld16(udp + 2);
	uint16_t sport = ntohs(wgw_ld16(udp)), dport = ntohs(dport_be);
	struct wgw_map_ent *m;
	uint64_t cid;
	uint32_t mi;
	unsigned b;
	int slot, partial, nk = 0;

	if (wgw_unlikely((uint16_t)(dport - e->nat_port_lo) > e->nat_port_span))
		goto general;
	/* to another address of a pool: which one, out of line */
	if (wgw_unlikely(daddr != e->nat_addr.w[3])) {
		if (!pool)
			goto general;
		nk = nat_other4(e, daddr);
		if (nk <= 0)
			goto general;
	}
	slot = wgw_view_by_src4(v, saddr, sport);
	if (wgw_unlikely(slot < 0))
		goto general;
	b = (unsigned)slot;
	mi = pool && nk ? wgw_map_rev(s, b, (unsigned)nk, dport) :
			  wgw_map_rev_fast(s, b, dport, dport_be);
	if (wgw_unlikely(!mi))
		goto general;
	m = &s->maps[mi];
	/* the input rules (the source is a backend, the destination ours) */
	if (wgw_unlikely(k->plen < WRAITH_MIN_PAYLOAD || ip[IP4_OFF_TTL] <= 1 ||
			 !ip4_hdr_ok(ip)))
		goto general;
	/* the slot's pseudo-header has address 0: the other's instead */
	partial = udp4_csum_check(k, pool && nk ?
				  wgw_fold64(wgw_csum_sub32(e->slots[b].wan_pseudo,
							    e->nat_addr.w[3]) + daddr) :
				  e->slots[b].wan_pseudo);
	if (wgw_unlikely(partial < 0))
		goto general;
	cid = be64toh(wgw_ld64(udp + 8));
	if (wgw_unlikely(cid == WRAITH_CID_INVALID))
		goto general;
	/* rule 3, as backend_route(): the CID table only for a new CID or a
	 * new second, and in line only when the CID is known on this backend
	 * (refresh); learning and conflicts are the general path's */
	if (!wraith_cid_is_special(cid) &&
	    (cid != atomic_load_explicit(&m->last_cid, memory_order_relaxed) ||
	     atomic_load_explicit(&m->last_seen, memory_order_relaxed) != now)) {
		uint32_t ci = wgw_cid_find(s, cid);

		if (wgw_unlikely(!ci || s->cids[ci].backend != b))
			goto general;
		wgw_touch(&s->cids[ci].last_seen, now);
		atomic_store_explicit(&m->last_cid, cid, memory_order_relaxed);
	}
	wgw_touch(&m->last_seen, now);
	out->nexthop = m->client;
	out->backend = (int)b;
	out->reason = WGW_DROP_NONE;
	cnt_add(&t->be_from[b], 1);
	nat4(t, k, partial, wgw_addrs4_word(m->vip.w[3], m->client.w[3]),
	     map_wan_ports(m), wgw_csum_neg16(m->nat_csum_ip), wgw_csum_neg16(m->nat_csum_udp));
	return WGW_TO_WAN;
general:
	return backend_general(t, k->p, k->data, k->len, now, out);
}

/* The entry points only sort packets between the paths.  A special CID
 * (handshake) goes straight to the general path. */
enum wgw_verdict wgw_engine_from_client(struct wgw_engine_thread *t, struct wgw_pkt *p,
					uint32_t now, struct wgw_route *out)
{
	if (wgw_likely(t->e->fast4 && p->family == AF_INET && p->l4_proto == IPPROTO_UDP &&
		       p->payload_len >= WRAITH_MIN_PAYLOAD)) {
		struct pkt4 k = pkt4_of(p);
		uint64_t cid = be64toh(wgw_ld64(p->data + p->payload_off));

		if (wgw_likely(!wraith_cid_is_special(cid)))
			return client_known4(t, engine_view(t->e), &k, cid, now, out,
					     t->e->pool);
	}
	return from_client_slow(t, p, now, out, CID_NOT_LOOKED_UP);
}

enum wgw_verdict wgw_engine_from_backend(struct wgw_engine_thread *t, struct wgw_pkt *p,
					 uint32_t now, struct wgw_route *out)
{
	if (wgw_likely(t->e->fast4 && p->family == AF_INET && p->l4_proto == IPPROTO_UDP)) {
		struct pkt4 k = pkt4_of(p);

		return backend_known4(t, engine_view(t->e), &k, now, out, t->e->pool);
	}
	return from_backend_slow(t, p, now, out);
}

/* Every frame the frame path below does not take itself. */
static __attribute__((noinline)) enum wgw_verdict
route_frame_general(struct wgw_engine_thread *t, enum wgw_dir dir, uint8_t *data,
		    uint32_t len, uint32_t now, struct wgw_route *out)
{
	struct wgw_pkt p;
	union wgw_addr dst;

	if (wgw_pkt_parse(&p, data, len) != WGW_PKT_UDP) {
		out->reason = WGW_DROP_NOT_UDP;
		out->backend = -1;
		return WGW_DROP;
	}
	if (dir == WGW_DIR_ANY) {
		wgw_pkt_get_daddr(&p, &dst);
		dir = wgw_engine_nat_find(t->e, &dst) >= 0 ? WGW_DIR_BACKEND : WGW_DIR_CLIENT;
	}
	if (dir == WGW_DIR_BACKEND)
		return wgw_engine_from_backend(t, &p, now, out);
	return wgw_engine_from_client(t, &p, now, out);
}

/*
 * The common frame in one pass: untagged Ethernet, IPv4 without options,
 * UDP.  The tests are wgw_pkt_parse()'s for that shape, field for field
 * (so every frame it takes here parses to UDP with these offsets, and
 * every other frame goes to the general path, which parses it in full):
 * hostile input is validated on every path, whatever validated it before
 * (the XDP program on the fast path).  Nothing of struct wgw_pkt is
 * written unless the general path or a full checksum needs it.
 */
static inline __attribute__((always_inline)) enum wgw_verdict
route_frame(struct wgw_engine_thread *t, const struct wgw_view *v, enum wgw_dir dir,
	    uint8_t *data, uint32_t len, uint32_t now, struct wgw_route *out, bool fast4,
	    bool pool)
{
	/* UDP payload bytes this path needs: a client packet without a CID is
	 * the general path's anyway */
	const uint32_t need = dir == WGW_DIR_CLIENT ? WRAITH_MIN_PAYLOAD : 0;
	uint8_t *ip = data + FRAME4_L3, *udp = ip + 20;
	uint32_t iplen, ulen;
	uint64_t cid;

	if (wgw_unlikely(!fast4 || len < FRAME4_L3 + FRAME4_HDRS + need ||
			 wgw_ld16(data + 12) != htons(0x0800)))
		goto general;
	iplen = ntohs(wgw_ld16(ip + 2));
	ulen = ntohs(wgw_ld16(udp + 4));
	/* version 4, IHL 5, UDP, not a fragment (MF, offset), then the
	 * lengths as two unsigned range tests: 28 + need <= iplen <= len - 14
	 * and 8 + need <= ulen <= iplen - 20.  With need = 0 these are
	 * wgw_pkt_parse()'s; a frame with a shorter payload goes to the
	 * general path, which parses it. */
	if (wgw_unlikely(ip[0] != 0x45 || ip[9] != IPPROTO_UDP ||
			 (wgw_ld16(ip + 6) & htons(0x3fff)) ||
			 iplen - (FRAME4_HDRS + need) > len - FRAME4_L3 - (FRAME4_HDRS + need) ||
			 ulen - (8 + need) > iplen - (FRAME4_HDRS + need)))
		goto general;
	{
		struct pkt4 k = {
			.data = data, .len = len, .ip = ip, .udp = udp, .plen = ulen - 8,
		};

		if (dir == WGW_DIR_BACKEND ||
		    (dir == WGW_DIR_ANY && wgw_ld32(ip + 16) == t->e->nat_addr.w[3]))
			return backend_known4(t, v, &k, now, out, pool);
		/* to another address of the pool: a reply */
		if (pool && dir == WGW_DIR_ANY && nat_other4(t->e, wgw_ld32(ip + 16)) > 0)
			return backend_known4(t, v, &k, now, out, pool);
		if (wgw_likely(dir == WGW_DIR_CLIENT || k.plen >= WRAITH_MIN_PAYLOAD)) {
			cid = be64toh(wgw_ld64(udp + 8));
			if (wgw_likely(!wraith_cid_is_special(cid)))
				return client_known4(t, v, &k, cid, now, out, pool);
		}
		return client_general(t, NULL, data, len, now, out, CID_NOT_LOOKED_UP);
	}
general:
	return route_frame_general(t, dir, data, len, now, out);
}

enum wgw_verdict wgw_engine_route_frame(struct wgw_engine_thread *t, enum wgw_dir dir,
					uint8_t *data, uint32_t len, uint32_t now,
					struct wgw_route *out)
{
	return route_frame(t, engine_view(t->e), dir, data, len, now, out, t->e->fast4, t->e->pool);
}

/* One loop per direction, the direction and the fast path's switch
 * constant in each: the loop's own state (t, v, f, end, now) stays in
 * registers across the whole batch, and per frame only the routing itself
 * is paid.  One view for the batch: the caller passes no quiescent state
 * inside it, so it stays valid, and a batch sees a VIP or backend change
 * at its start or not at all. */
#define ROUTE_LOOP(t, v, dir, f, end, now, fast4, pool)                                \
	for (; (f) < (end); (f)++)                                                     \
		(f)->verdict = (uint8_t)route_frame(t, v, dir, (f)->data, (f)->len, now, \
						    &(f)->route, fast4, pool)

/*
 * Client frames of a batch with their table reads started early: with
 * millions of sessions each known-CID packet reads three random cache
 * lines one after the other (CID bucket, CID entry, mapping), each a miss
 * to memory, and a packet waits for each in turn.  In chunks of PF_CHUNK
 * frames: one pass prefetches every frame's bucket, one reads the buckets
 * (arrived meanwhile) and prefetches the entries they name, one reads the
 * entries' hints and prefetches those mappings; then the frames are
 * routed.  Only loads and prefetches: a frame that is not the common shape
 * or a CID that is not there costs a useless prefetch, never a different
 * result, and every address is inside a table (a bucket index from the
 * hash, entry indices from the tables, 0 when the frame is too short).
 * Measured (engine_bench, known-CID packets): 1M sessions 190 -> 75 ns per
 * packet, 64K sessions 31 -> 24 ns, 1K sessions (all cached) 14.7 -> 15.1
 * ns; about 35 instructions per packet.
 */
#define PF_CHUNK 32		/* frames per prefetch round */

static inline __attribute__((always_inline)) void
route_batch_client(struct wgw_engine_thread *t, const struct wgw_view *v, struct wgw_frame *f,
		   unsigned n, uint32_t now, bool pool)
{
	const struct wgw_sessions *s = &t->e->s;
	const _Atomic uint32_t *bucket = s->cid_tab.bucket;
	const struct wgw_cid_ent *cids = s->cids;
	const struct wgw_map_ent *maps = s->maps;
	uint32_t idx[PF_CHUNK];

	while (n) {
		unsigned m = n < PF_CHUNK ? n : PF_CHUNK, i;

		for (i = 0; i < m; i++) {
			uint64_t cid = 0;

			if (f[i].len >= FRAME4_L3 + FRAME4_HDRS + WRAITH_CID_LEN)
				cid = wgw_ld64(f[i].data + FRAME4_L3 + FRAME4_HDRS);
			idx[i] = wgw_cid_bucket(s, be64toh(cid));
			__builtin_prefetch(&bucket[idx[i]]);
		}
		for (i = 0; i < m; i++) {
			idx[i] = atomic_load_explicit(&bucket[idx[i]], memory_order_relaxed);
			__builtin_prefetch(&cids[idx[i]]);
		}
		for (i = 0; i < m; i++)
			__builtin_prefetch(&maps[atomic_load_explicit(&cids[idx[i]].hint,
								      memory_order_relaxed)]);
		for (i = 0; i < m; i++)
			f[i].verdict = (uint8_t)route_frame(t, v, WGW_DIR_CLIENT, f[i].data, f[i].len,
							    now, &f[i].route, true, pool);
		f += m;
		n -= m;
	}
}

/* The known-session loops of wgw_engine_route_batch(), pool a constant. */
static inline __attribute__((always_inline)) void
route_batch_fast(struct wgw_engine_thread *t, const struct wgw_view *v, enum wgw_dir dir,
		 struct wgw_frame *f, unsigned n, uint32_t now, bool pool)
{
	struct wgw_frame *end = f + n;

	if (dir == WGW_DIR_CLIENT && t->e->prefetch)
		route_batch_client(t, v, f, n, now, pool);
	else if (dir == WGW_DIR_CLIENT)
		ROUTE_LOOP(t, v, WGW_DIR_CLIENT, f, end, now, true, pool);
	else if (dir == WGW_DIR_BACKEND)
		ROUTE_LOOP(t, v, WGW_DIR_BACKEND, f, end, now, true, pool);
	else
		ROUTE_LOOP(t, v, WGW_DIR_ANY, f, end, now, true, pool);
}

/* With more than one NAT address: out of line, the one-address loops stay
 * as they were. */
static __attribute__((noinline)) void
route_batch_pool(struct wgw_engine_thread *t, const struct wgw_view *v, enum wgw_dir dir,
		 struct wgw_frame *f, unsigned n, uint32_t now)
{
	route_batch_fast(t, v, dir, f, n, now, true);
}

void wgw_engine_route_batch(struct wgw_engine_thread *t, enum wgw_dir dir, struct wgw_frame *f,
			    unsigned n, uint32_t now)
{
	const struct wgw_view *v = engine_view(t->e);
	struct wgw_frame *end = f + n;

	/* a NAT pool is a constant of each loop too, so that one address
	 * costs nothing for it */
	if (!t->e->fast4)
		ROUTE_LOOP(t, v, dir, f, end, now, false, false);
	else if (t->e->pool)
		route_batch_pool(t, v, dir, f, n, now);
	else
		route_batch_fast(t, v, dir, f, n, now, false);
}
