// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: classification and engine routing (gateway/engine.c and its
 * tables).  The input is a program for a small world: an engine with up to
 * four backends, two VIPs and a NAT range of 64 ports, fed packets from
 * clients and from the LAN (backends, non-backends, backends on the wrong
 * port), raw-mutated frames, admin changes and the passing of time.
 *
 * Invariants, checked on every packet (the gateway is never an open relay):
 *  - a dropped packet is untouched;
 *  - towards the LAN: the frame parses as UDP, comes from G within the NAT
 *    port range, goes to a configured (not removed) backend's address and
 *    port, the next hop is that address, the payload is unchanged, and the
 *    checksums are valid when the input's were;
 *  - towards the WAN: only from a LAN packet whose source is a backend
 *    endpoint and whose destination is G in the NAT range; the frame comes
 *    from a VIP endpoint and goes to a client endpoint that earlier sent
 *    through the gateway and still has a mapping;
 *  - forwarded only what the kernel's UDP receive path and a router would
 *    take (wgw_pkt_csum_verify() not BAD, TTL / hop limit above 1, a
 *    WRAITH header with a CID other than 0; from a client: not a martian
 *    and none of the gateway's addresses), with the TTL decremented and
 *    checksums complete (IPv4 "none" stays none);
 *  - the engine's own cross-check (wgw_engine_check) passes at the end.
 *
 * Input: byte 0 chooses the family and the number of backends; then
 * operations, one byte each plus arguments (see run_op()).
 */
#include "config.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>

#include "gateway/engine.h"
#include "gateway/log.h"
#include "gateway/packet.h"
#include "tests/fuzz/fuzz_common.h"

#define FRAME_MAX 1600		/* bytes */
#define N_CLIENTS 4
#define N_BACKENDS 4
#define NAT_LO 20000
#define NAT_HI 20063		/* 64 ports: full tables are reachable */
#define BE_PORT 8420
#define SEEN_MAX 256		/* client endpoints remembered */

struct world {
	int v6;
	union wgw_addr client[N_CLIENTS], backend[N_BACKENDS], stranger, nat;
	struct wgw_vip vip[2];
	bool be_present[N_BACKENDS];
	struct wgw_engine *e;
	struct wgw_engine_thread *t;
	uint32_t now;			/* s */
	uint64_t cids[4];		/* CIDs the input reuses */
	uint16_t nat_ports[8];		/* recently handed out */
	unsigned n_nat_ports;
	struct { union wgw_addr a; uint16_t port; } seen[SEEN_MAX];
	unsigned n_seen;
};

static const uint64_t hash_key[6] = {
	0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x1111111111111111ULL,
	0x2222222222222222ULL, 0x3333333333333333ULL, 0x4444444444444444ULL,
};

/* Verdicts and drop reasons seen, printed at exit with WGW_FUZZ_VERBOSE=1:
 * tells whether a corpus reaches the interesting paths at all. */
static unsigned long n_verdict[3], n_drop[WGW_DROP_REASON_MAX];

static void print_stats(void)
{
	unsigned i;

	fprintf(stderr, "fuzz_engine: to_lan %lu to_wan %lu drop %lu\n",
		n_verdict[WGW_TO_LAN], n_verdict[WGW_TO_WAN], n_verdict[WGW_DROP]);
	for (i = 1; i < WGW_DROP_REASON_MAX; i++)
		fprintf(stderr, "  %s %lu\n", wgw_drop_reason_name(i), n_drop[i]);
}

static void mkaddr(union wgw_addr *a, int v6, uint32_t v4, uint16_t v6net, uint8_t host)
{
	memset(a, 0, sizeof(*a));
	if (!v6) {
		wgw_addr_from_v4(a, htonl(v4 | host));
	} else {
		a->b[0] = 0x20;
		a->b[1] = 0x01;
		a->b[2] = 0x0d;
		a->b[3] = 0xb8;
		a->b[4] = (uint8_t)(v6net >> 8);
		a->b[5] = (uint8_t)v6net;
		a->b[15] = host;
	}
}

static void world_init(struct world *w, uint8_t hdr)
{
	struct wgw_engine_cfg cfg;
	unsigned i, nbe = 1 + (hdr >> 1) % N_BACKENDS;
	int slot;

	memset(w, 0, sizeof(*w));
	w->v6 = hdr & 1;
	for (i = 0; i < N_CLIENTS; i++)
		mkaddr(&w->client[i], w->v6, 0xc6336400, 0xc, (uint8_t)(2 + i));
	for (i = 0; i < N_BACKENDS; i++)
		mkaddr(&w->backend[i], w->v6, 0x0a000000, 0xb, (uint8_t)(11 + i));
	mkaddr(&w->stranger, w->v6, 0x0a000000, 0xb, 99);
	mkaddr(&w->nat, w->v6, 0x0a000000, 0xb, 100);
	mkaddr(&w->vip[0].addr, w->v6, 0xcb007100, 0xf, 10);
	w->vip[0].port_lo = w->vip[0].port_hi = 8420;
	mkaddr(&w->vip[1].addr, w->v6, 0xcb007100, 0xf, 11);
	w->vip[1].port_lo = 40000;
	w->vip[1].port_hi = 40010;
	w->cids[0] = 0xffffffffffffffffULL;
	w->cids[1] = 0x1111111111111111ULL;
	w->cids[2] = 0x2222222222222222ULL;
	w->cids[3] = 0x3333333333333333ULL;
	w->now = 1000;

	memset(&cfg, 0, sizeof(cfg));
	cfg.vips = w->vip;
	cfg.n_vips = 2;
	cfg.nat_addr = w->nat;
	cfg.nat_port_lo = NAT_LO;
	cfg.nat_port_hi = NAT_HI;
	cfg.n_threads = 1;
	cfg.max_cids = 32;
	cfg.max_mappings = 32;
	cfg.cid_idle_s = 60;
	cfg.map_idle_s = 30;
	cfg.hash_key = hash_key;
	w->e = wgw_engine_create(&cfg);
	fz_assert(w->e != NULL, "engine_create: %s", strerror(errno));
	for (i = 0; i < nbe; i++) {
		slot = wgw_engine_backend_add(w->e, &w->backend[i], BE_PORT, 100);
		fz_assert(slot >= 0, "backend_add: %d", slot);
		w->be_present[i] = true;
	}
	w->t = wgw_engine_thread_attach(w->e, 0);
	fz_assert(w->t != NULL, "thread_attach");
}

static void world_fini(struct world *w)
{
	char err[256];

	wgw_engine_thread_offline(w->t);
	fz_assert(wgw_engine_check(w->e, err, sizeof(err)) == 0, "engine check: %s", err);
	wgw_engine_thread_detach(w->t);
	wgw_engine_destroy(w->e);
}

static int backend_index(const struct world *w, const union wgw_addr *a, uint16_t port)
{
	unsigned i;

	if (port != BE_PORT)
		return -1;
	for (i = 0; i < N_BACKENDS; i++)
		if (w->be_present[i] && wgw_addr_eq(a, &w->backend[i]))
			return (int)i;
	return -1;
}

static bool is_vip_ep(const struct world *w, const union wgw_addr *a, uint16_t port)
{
	unsigned i;

	for (i = 0; i < 2; i++)
		if (wgw_addr_eq(a, &w->vip[i].addr) && port >= w->vip[i].port_lo &&
		    port <= w->vip[i].port_hi)
			return true;
	return false;
}

static void remember_client(struct world *w, const union wgw_addr *a, uint16_t port)
{
	unsigned i;

	for (i = 0; i < w->n_seen; i++)
		if (w->seen[i].port == port && wgw_addr_eq(&w->seen[i].a, a))
			return;
	if (w->n_seen < SEEN_MAX) {
		w->seen[w->n_seen].a = *a;
		w->seen[w->n_seen++].port = port;
	}
}

static bool seen_client(const struct world *w, const union wgw_addr *a, uint16_t port)
{
	unsigned i;

	for (i = 0; i < w->n_seen; i++)
		if (w->seen[i].port == port && wgw_addr_eq(&w->seen[i].a, a))
			return true;
	return false;
}

/* One of the gateway's own addresses (a VIP's, G, a backend's, present or
 * not: removal leaves the view at once). */
static bool is_own(const struct world *w, const union wgw_addr *a)
{
	if (wgw_addr_eq(a, &w->vip[0].addr) || wgw_addr_eq(a, &w->vip[1].addr) ||
	    wgw_addr_eq(a, &w->nat))
		return true;
	for (unsigned i = 0; i < N_BACKENDS; i++)
		if (w->be_present[i] && wgw_addr_eq(a, &w->backend[i]))
			return true;
	return false;
}

/* Route frame[0..len) from one side and check the invariants. */
static void route(struct world *w, uint8_t *frame, uint32_t len, bool from_lan)
{
	uint8_t before[FRAME_MAX];
	union wgw_addr src, dst, nsrc, ndst;
	uint16_t sport, dport;
	struct wgw_route r;
	struct wgw_pkt p;
	enum wgw_verdict v;
	enum wgw_csum_verdict cv;
	uint8_t ttl;
	uint64_t cid = 0;
	bool csum_ok;

	if (wgw_pkt_parse(&p, frame, len) != WGW_PKT_UDP) {
		/* the workers' entry: not the engine's, untouched, uncounted */
		memcpy(before, frame, len);
		v = wgw_engine_route_frame(w->t, from_lan ? WGW_DIR_BACKEND : WGW_DIR_CLIENT,
					   frame, len, w->now, &r);
		fz_assert(v == WGW_DROP && r.reason == WGW_DROP_NOT_UDP,
			  "a frame that is not UDP routed: verdict %d reason %d", v, r.reason);
		fz_assert(!memcmp(frame, before, len), "a frame that is not UDP was changed");
		return;
	}
	memcpy(before, frame, len);
	wgw_pkt_get_saddr(&p, &src);
	wgw_pkt_get_daddr(&p, &dst);
	sport = wgw_pkt_sport(&p);
	dport = wgw_pkt_dport(&p);
	csum_ok = wgw_pkt_csum_ok(&p);
	cv = wgw_pkt_csum_verify(&p);
	ttl = before[p.l3_off + (p.family == AF_INET ? 8 : 7)];
	if (p.payload_len >= 8)
		memcpy(&cid, before + p.payload_off, 8);

	memset(&r, 0xa5, sizeof(r));
	if (before[len - 1] & 1) /* half through the workers' frame entry */
		v = wgw_engine_route_frame(w->t, from_lan ? WGW_DIR_BACKEND : WGW_DIR_CLIENT,
					   frame, len, w->now, &r);
	else
		v = from_lan ? wgw_engine_from_backend(w->t, &p, w->now, &r) :
			       wgw_engine_from_client(w->t, &p, w->now, &r);
	wgw_engine_quiescent(w->t);
	if (v >= WGW_DROP && v <= WGW_TO_WAN)
		n_verdict[v]++;
	if (v == WGW_DROP && r.reason < WGW_DROP_REASON_MAX)
		n_drop[r.reason]++;
	if (v == WGW_DROP) {
		fz_assert(r.reason > WGW_DROP_NONE && r.reason < WGW_DROP_REASON_MAX,
			  "drop reason %d", r.reason);
		fz_assert(!memcmp(frame, before, len), "a dropped packet was changed");
		return;
	}
	fz_assert(v == (from_lan ? WGW_TO_WAN : WGW_TO_LAN), "verdict %d from the %s",
		  v, from_lan ? "LAN" : "WAN");
	fz_assert(wgw_pkt_parse(&p, frame, len) == WGW_PKT_UDP, "routed packet parses");
	fz_assert(!memcmp(frame + p.payload_off, before + p.payload_off, p.payload_len),
		  "payload changed");
	fz_assert(!csum_ok || wgw_pkt_csum_ok(&p), "valid checksums made invalid");
	fz_assert(cv != WGW_CSUM_BAD, "forwarded a datagram with a bad checksum");
	fz_assert(wgw_pkt_csum_verify(&p) == (cv == WGW_CSUM_NONE ? WGW_CSUM_NONE : WGW_CSUM_OK),
		  "forwarded checksums not complete (arrived %d)", cv);
	fz_assert(ttl > 1 && frame[p.l3_off + (p.family == AF_INET ? 8 : 7)] == ttl - 1,
		  "TTL %u forwarded as %u", ttl, frame[p.l3_off + (p.family == AF_INET ? 8 : 7)]);
	fz_assert(p.payload_len >= WRAITH_MIN_PAYLOAD && cid != 0,
		  "forwarded a payload of %u bytes, CID %s", p.payload_len, cid ? "set" : "0");
	wgw_pkt_get_saddr(&p, &nsrc);
	wgw_pkt_get_daddr(&p, &ndst);
	fz_assert(wgw_addr_eq(&r.nexthop, &ndst), "next hop is not the destination");

	if (!from_lan) {
		fz_assert(is_vip_ep(w, &dst, dport), "routed a packet not sent to a VIP");
		fz_assert(!is_own(w, &src), "routed a client packet from the gateway's own address");
		fz_assert(wgw_addr_eq(&nsrc, &w->nat), "LAN source is not G");
		fz_assert(wgw_pkt_sport(&p) >= NAT_LO && wgw_pkt_sport(&p) <= NAT_HI,
			  "NAT port %u out of range", wgw_pkt_sport(&p));
		fz_assert(backend_index(w, &ndst, wgw_pkt_dport(&p)) >= 0,
			  "sent to the LAN towards a non-backend (port %u)",
			  wgw_pkt_dport(&p));
		remember_client(w, &src, sport);
		w->nat_ports[w->n_nat_ports++ % 8] = wgw_pkt_sport(&p);
	} else {
		struct wgw_session_info si[4];

		fz_assert(backend_index(w, &src, sport) >= 0,
			  "relayed a LAN packet from a non-backend");
		fz_assert(wgw_addr_eq(&dst, &w->nat) && dport >= NAT_LO && dport <= NAT_HI,
			  "relayed a LAN packet not sent to G's NAT range");
		fz_assert(is_vip_ep(w, &nsrc, wgw_pkt_sport(&p)),
			  "WAN source is not a VIP endpoint");
		fz_assert(seen_client(w, &ndst, wgw_pkt_dport(&p)),
			  "sent to the WAN towards an endpoint that never was a client");
		fz_assert(wgw_engine_lookup_client(w->e, &ndst, wgw_pkt_dport(&p), w->now,
						   si, 4) > 0,
			  "sent to a client endpoint without a mapping");
	}
}

/* Header fields the kernel and a router look at, set from the input with
 * the checksums made consistent again, so the rules behind them are
 * reached and not only the checksum test: TTL 0..3, then the UDP
 * checksum complete, zero or partial (CHECKSUM_PARTIAL, as veth sends). */
static void fixup(uint8_t *frame, uint32_t len, uint8_t c)
{
	struct wgw_pkt p;
	uint8_t *ip, *udp;
	uint16_t ps;

	if (wgw_pkt_parse(&p, frame, len) != WGW_PKT_UDP)
		return;
	ip = frame + p.l3_off;
	udp = frame + p.l4_off;
	ip[p.family == AF_INET ? 8 : 7] = (uint8_t)(c & 3);
	wgw_pkt_udp_csum_full(&p);
	switch ((c >> 2) & 3) {
	case 1:
		memset(udp + 6, 0, 2);
		break;
	case 2:
		ps = (uint16_t)(udp[4] << 8 | udp[5]);
		ps = (uint16_t)~wgw_csum_fold(wgw_csum_partial(ip + (p.family == AF_INET ? 12 : 8),
							       p.family == AF_INET ? 8 : 32,
							       (uint32_t)htons(ps) +
								       htons(IPPROTO_UDP)));
		memcpy(udp + 6, &ps, 2);
		break;
	default:
		break;
	}
	wgw_pkt_ip4_csum_full(&p);
}

/* Build a WRAITH frame; returns its length (0 when it cannot be built). */
static uint32_t build(struct world *w, uint8_t *frame, const union wgw_addr *s, uint16_t sp,
		      const union wgw_addr *d, uint16_t dp, uint64_t cid, uint16_t plen)
{
	uint8_t payload[512];
	struct wgw_pkt_spec spec;
	uint64_t be = htobe64(cid);
	int n;

	memset(payload, 0x5a, sizeof(payload));
	if (plen > sizeof(payload))
		plen = sizeof(payload);
	memcpy(payload, &be, plen < 8 ? plen : 8);
	memset(&spec, 0, sizeof(spec));
	spec.eth_dst[0] = spec.eth_src[0] = 2;
	spec.saddr = *s;
	spec.daddr = *d;
	spec.sport = sp;
	spec.dport = dp;
	spec.payload = payload;
	spec.payload_len = plen;
	n = wgw_pkt_build(frame, FRAME_MAX, &spec);
	return n > 0 ? (uint32_t)n : 0;
}

static uint64_t pick_cid(struct world *w, struct fz *f)
{
	uint8_t c = fz_u8(f);

	if (c < 0xc0)
		return w->cids[c & 3];
	if (c < 0xe0)
		return 0;	/* invalid CID */
	return fz_u64(f);
}

static uint16_t pick_plen(struct fz *f)
{
	static const uint16_t lens[] = { 0, 8, 23, 24, 32, 40, 64, 96, 120, 300 };
	uint8_t c = fz_u8(f);

	return c < 0xf0 ? lens[c % 10] : fz_u16(f) % 512;
}

static void op_client(struct world *w, struct fz *f, bool mutate)
{
	uint8_t frame[FRAME_MAX];
	uint8_t who = fz_u8(f), where = fz_u8(f);
	const union wgw_addr *src = &w->client[who % N_CLIENTS], *dst;
	uint16_t sport = (uint16_t)(50000 + (who >> 2) % 4), dport;
	uint64_t cid = pick_cid(w, f);
	uint16_t plen = pick_plen(f);
	uint32_t len;

	switch (where % 4) {
	case 0:
		dst = &w->vip[0].addr;
		dport = 8420;
		break;
	case 1:
		dst = &w->vip[1].addr;
		dport = (uint16_t)(39999 + (where >> 2) % 13);	/* edges too */
		break;
	case 2:
		dst = &w->vip[0].addr;
		dport = fz_u16(f);
		break;
	default:
		dst = &w->backend[where % N_BACKENDS];	/* straight at a backend */
		dport = BE_PORT;
		break;
	}
	if (who >= 0xf0)	/* a backend posing as a client */
		src = &w->backend[who % N_BACKENDS];
	len = build(w, frame, src, sport, dst, dport, cid, plen);
	if (!len)
		return;
	if (mutate) {
		uint8_t k = fz_u8(f) % 4, i;

		for (i = 0; i < k; i++) {
			uint16_t at = fz_u16(f) % len;

			frame[at] ^= fz_u8(f);
		}
		if (fz_u8(f) & 1)
			len -= fz_u8(f) % (len < 16 ? len : 16);
		if (k == 0)
			fixup(frame, len, fz_u8(f));
	}
	route(w, frame, len, false);
}

static void op_lan(struct world *w, struct fz *f, bool mutate)
{
	uint8_t frame[FRAME_MAX];
	uint8_t who = fz_u8(f), where = fz_u8(f);
	const union wgw_addr *src, *dst = &w->nat;
	uint16_t sport = BE_PORT, dport;
	uint64_t cid = pick_cid(w, f);
	uint16_t plen = pick_plen(f);
	uint32_t len;

	if (who < 0xc0)
		src = &w->backend[who % N_BACKENDS];
	else if (who < 0xe0)
		src = &w->stranger;
	else
		src = &w->client[who % N_CLIENTS];	/* spoofed client on the LAN */
	if (who & 0x10)
		sport = fz_u16(f);	/* a backend address, maybe the wrong port */
	if (where < 0xc0 && w->n_nat_ports)
		dport = w->nat_ports[where % (w->n_nat_ports < 8 ? w->n_nat_ports : 8)];
	else
		dport = fz_u16(f);
	if ((where & 0x30) == 0x30)
		dst = &w->vip[0].addr;		/* hairpin attempt */
	len = build(w, frame, src, sport, dst, dport, cid, plen);
	if (!len)
		return;
	if (mutate) {
		uint16_t at = fz_u16(f) % len;
		uint8_t c = fz_u8(f);

		if (c & 0x80)
			fixup(frame, len, c);
		else
			frame[at] ^= c | 1;
	}
	route(w, frame, len, true);
}

static void op_admin(struct world *w, struct fz *f)
{
	uint8_t c = fz_u8(f);
	unsigned i = (c >> 3) % N_BACKENDS;
	const union wgw_addr *a = &w->backend[i];
	int ret;

	switch (c & 7) {
	case 0:
		ret = wgw_engine_backend_drain(w->e, a, BE_PORT);
		fz_assert(ret == (w->be_present[i] ? 0 : -ENOENT), "drain: %d", ret);
		break;
	case 1:
		ret = wgw_engine_backend_undrain(w->e, a, BE_PORT);
		fz_assert(ret == (w->be_present[i] ? 0 : -ENOENT), "undrain: %d", ret);
		break;
	case 2:
		/* Removal waits for grace periods: the only worker goes
		 * offline meanwhile, as a real one does before blocking. */
		wgw_engine_thread_offline(w->t);
		ret = wgw_engine_backend_remove(w->e, a, BE_PORT);
		wgw_engine_thread_online(w->t);
		fz_assert(ret == (w->be_present[i] ? 0 : -ENOENT), "remove: %d", ret);
		w->be_present[i] = false;
		break;
	case 3:
		ret = wgw_engine_backend_add(w->e, a, BE_PORT, 1 + fz_u8(f));
		fz_assert(w->be_present[i] ? ret == -EEXIST : ret >= 0, "add: %d", ret);
		w->be_present[i] = true;
		break;
	case 4:
		ret = wgw_engine_backend_set_weight(w->e, a, BE_PORT, fz_u16(f));
		fz_assert(ret == 0 || ret == -EINVAL || ret == -ENOENT, "weight: %d", ret);
		break;
	case 5:
		ret = wgw_engine_set_limits(w->e, fz_u8(f) % 40, fz_u8(f) % 40, 0, 0);
		fz_assert(ret == 0 || ret == -ERANGE, "limits: %d", ret);
		break;
	default:
		w->cids[c & 3] = fz_u64(f);
		break;
	}
}

static void op_time(struct world *w, struct fz *f)
{
	uint8_t c = fz_u8(f);

	w->now += c;
	/* Expiry belongs to a control thread; with the only worker offline
	 * this thread may play that part. */
	wgw_engine_thread_offline(w->t);
	wgw_engine_expire(w->e, w->now, 1 + fz_u8(f));
	wgw_engine_thread_online(w->t);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	wgw_log_init("fuzz_engine", 0, LOG_CRIT);
	if (getenv("WGW_FUZZ_VERBOSE"))
		atexit(print_stats);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct world w;
	unsigned ops = 0;

	if (size < 1)
		return 0;
	world_init(&w, fz_u8(&f));
	while (f.n && ops++ < 512) {
		uint8_t op = fz_u8(&f);

		switch (op % 10) {
		case 0: case 1: case 2: case 3:
			op_client(&w, &f, false);
			break;
		case 4: case 5:
			op_lan(&w, &f, false);
			break;
		case 6:
			op_client(&w, &f, true);
			break;
		case 7:
			op_lan(&w, &f, true);
			break;
		case 8:
			op_admin(&w, &f);
			break;
		default:
			op_time(&w, &f);
			break;
		}
	}
	world_fini(&w);
	return 0;
}
