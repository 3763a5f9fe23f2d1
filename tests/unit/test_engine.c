// SPDX-License-Identifier: GPL-2.0-only
/*
 * The routing engine, rule by rule, with crafted packets: handshakes and
 * unknown CIDs by client endpoint, known CIDs following their backend,
 * spoofing, learning in both directions, drain, remove, expiry, capacity,
 * the LAN side's source checks, the consistent hash, IPv4 and IPv6, valid
 * checksums after every rewrite, the memory cost of a session, and the
 * known-session paths against the general path on a random stream.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/backends.h"
#include "gateway/engine.h"
#include "tests/unit/test_engine_util.h"

#define NAT_LO 20000
#define NAT_HI 20999
#define HS WRAITH_CID_HANDSHAKE

static struct wgw_engine *E;
static struct wgw_engine_thread *T;
static union wgw_addr VIP, NAT, B[4];
static uint32_t NOW = 1000;

static const struct wgw_vip *vips4(unsigned *n)
{
	static struct wgw_vip v[2];

	v[0] = (struct wgw_vip){ A("203.0.113.10"), 8420, 8420 };
	v[1] = (struct wgw_vip){ A("203.0.113.10"), 40000, 50000 };
	*n = 2;
	return v;
}

static struct wgw_engine *engine4(uint32_t max_cids, uint32_t max_maps, uint16_t lo,
				  uint16_t hi, unsigned n_backends, const unsigned *order)
{
	struct wgw_engine_cfg cfg = { 0 };
	struct wgw_engine *e;

	cfg.vips = vips4(&cfg.n_vips);
	cfg.nat_addr = A("10.0.0.1");
	cfg.nat_port_lo = lo;
	cfg.nat_port_hi = hi;
	cfg.n_threads = 2;
	cfg.max_cids = max_cids;
	cfg.max_mappings = max_maps;
	cfg.cid_idle_s = 300;
	cfg.map_idle_s = 60;
	e = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(e);
	for (unsigned i = 0; i < n_backends; i++) {
		unsigned k = order ? order[i] : i;

		ck_assert_int_ge(wgw_engine_backend_add(e, &B[k], 8420, 1), 0);
	}
	return e;
}

static void setup(void)
{
	VIP = A("203.0.113.10");
	NAT = A("10.0.0.1");
	B[0] = A("10.0.0.11");
	B[1] = A("10.0.0.12");
	B[2] = A("10.0.0.13");
	B[3] = A("10.0.0.14");
	E = engine4(1024, 1024, NAT_LO, NAT_HI, 3, NULL);
	T = wgw_engine_thread_attach(E, 0);
	ck_assert_ptr_nonnull(T);
}

static void teardown(void)
{
	char err[256];

	wgw_engine_thread_detach(T);
	/* after every test: tables, free lists, ports and counters agree */
	ck_assert_msg(wgw_engine_check(E, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(E);
}

/* What a routed packet became. */
struct res {
	enum wgw_verdict v;
	struct wgw_route r;
	union wgw_addr src, dst;
	uint16_t sport, dport;
};

static int backend_of(const union wgw_addr *a)
{
	for (int i = 0; i < 4; i++)
		if (wgw_addr_eq(a, &B[i]))
			return i;
	return -1;
}

static struct res fwd_on(struct wgw_engine_thread *t, const char *client, uint16_t cport,
			 uint16_t vport, uint64_t cid, uint16_t len)
{
	union wgw_addr c = A(client);
	struct tpkt pk;
	struct res r;

	tpkt_make(&pk, &c, cport, &VIP, vport, cid, len);
	r.v = wgw_engine_from_client(t, &pk.p, NOW, &r.r);
	tpkt_src(&pk, &r.src, &r.sport);
	tpkt_dst(&pk, &r.dst, &r.dport);
	ck_assert(wgw_pkt_csum_ok(&pk.p));
	if (r.v == WGW_TO_LAN) {
		ck_assert(wgw_addr_eq(&r.src, &NAT));
		ck_assert_uint_ge(r.sport, NAT_LO);
		ck_assert_uint_le(r.sport, NAT_HI);
		ck_assert(wgw_addr_eq(&r.dst, &r.r.nexthop));
		ck_assert_uint_eq(r.dport, 8420);
	} else {
		/* a dropped packet is left as it was */
		ck_assert(wgw_addr_eq(&r.src, &c));
		ck_assert_uint_eq(r.sport, cport);
	}
	return r;
}

static struct res fwd(const char *client, uint16_t cport, uint64_t cid)
{
	return fwd_on(T, client, cport, 8420, cid, 0);
}

static struct res rev_from(const union wgw_addr *src, uint16_t sport, const union wgw_addr *dst,
			   uint16_t dport, uint64_t cid)
{
	struct tpkt pk;
	struct res r;

	tpkt_make(&pk, src, sport, dst, dport, cid, 0);
	r.v = wgw_engine_from_backend(T, &pk.p, NOW, &r.r);
	tpkt_src(&pk, &r.src, &r.sport);
	tpkt_dst(&pk, &r.dst, &r.dport);
	ck_assert(wgw_pkt_csum_ok(&pk.p));
	return r;
}

/* A reply from backend b to NAT port P. */
static struct res rev(int b, uint16_t P, uint64_t cid)
{
	return rev_from(&B[b], 8420, &NAT, P, cid);
}

static void assert_reply_to(struct res r, const char *client, uint16_t cport, uint16_t vport)
{
	union wgw_addr c = A(client);

	ck_assert_int_eq(r.v, WGW_TO_WAN);
	ck_assert(wgw_addr_eq(&r.dst, &c));
	ck_assert_uint_eq(r.dport, cport);
	ck_assert(wgw_addr_eq(&r.src, &VIP));
	ck_assert_uint_eq(r.sport, vport);
	ck_assert(wgw_addr_eq(&r.r.nexthop, &c));
}

/* The test thread is also the control thread: offline while removing. */
static int remove_backend(int i)
{
	int err;

	wgw_engine_thread_offline(T);
	err = wgw_engine_backend_remove(E, &B[i], 8420);
	wgw_engine_thread_online(T);
	return err;
}

static uint64_t ctr(enum wgw_engine_ctr c)
{
	struct wgw_engine_stats st;

	wgw_engine_get_stats(E, &st);
	return st.ctr[c];
}

static uint64_t drops(enum wgw_drop_reason d)
{
	struct wgw_engine_stats st;

	wgw_engine_get_stats(E, &st);
	return st.drop[d];
}

/* The backend rule 1 picks for a client endpoint, asked of a separate
 * engine with the same backends (the choice is deterministic). */
static int probe_choice(const char *client, uint16_t cport, unsigned n_backends)
{
	struct wgw_engine *pe = engine4(16, 16, NAT_LO, NAT_HI, n_backends, NULL);
	struct wgw_engine_thread *pt = wgw_engine_thread_attach(pe, 0);
	struct res r = fwd_on(pt, client, cport, 8420, HS, 0);

	ck_assert_int_eq(r.v, WGW_TO_LAN);
	wgw_engine_thread_detach(pt);
	wgw_engine_destroy(pe);
	return backend_of(&r.dst);
}

/* A client address whose rule-1 choice is (want) or is not (!want) b. */
static const char *client_choosing(int b, bool want, unsigned n_backends, char *buf,
				   unsigned first)
{
	for (unsigned i = first; i < 250; i++) {
		sprintf(buf, "198.51.100.%u", i);
		if ((probe_choice(buf, 5555, n_backends) == b) == want)
			return buf;
	}
	ck_abort_msg("no client found");
	return NULL;
}

/* ---- rule 1 --------------------------------------------------------------- */

START_TEST(test_handshake_by_endpoint)
{
	struct res r0 = fwd("198.51.100.1", 5555, HS), r;
	int b = backend_of(&r0.dst);

	ck_assert_int_eq(r0.v, WGW_TO_LAN);
	ck_assert_int_ge(b, 0);
	ck_assert_int_eq(r0.r.backend, b); /* slots follow the add order here */
	/* special CIDs and bare handshakes (unknown leading bytes, 32, 64
	 * and 96 bytes): all the endpoint's mapping */
	const uint64_t cids[] = { HS, WRAITH_CID_VERSION, WRAITH_CID_RESET,
				  0x1111111111111111ULL, 0x2222222222222222ULL };
	for (unsigned i = 0; i < sizeof(cids) / sizeof(cids[0]); i++) {
		r = fwd("198.51.100.1", 5555, cids[i]);
		ck_assert_int_eq(r.v, WGW_TO_LAN);
		ck_assert(wgw_addr_eq(&r.dst, &r0.dst));
		ck_assert_uint_eq(r.sport, r0.sport);
	}
	for (uint16_t len = 32; len <= 96; len += 32) {
		r = fwd_on(T, "198.51.100.1", 5555, 8420, 0x4444444444444444ULL + len, len);
		ck_assert_int_eq(r.v, WGW_TO_LAN);
		ck_assert_uint_eq(r.sport, r0.sport);
	}
	/* CID 0 and payloads too short for a WRAITH header are refused */
	r = fwd("198.51.100.1", 5555, 0);
	ck_assert_int_eq(r.r.reason, WGW_DROP_CID0);
	r = fwd_on(T, "198.51.100.1", 5555, 8420, 0x3333333333333333ULL, 12);
	ck_assert_int_eq(r.r.reason, WGW_DROP_SHORT);
	ck_assert_uint_eq(drops(WGW_DROP_CID0), 1);
	ck_assert_uint_eq(drops(WGW_DROP_SHORT), 1);
	ck_assert_uint_eq(ctr(WGW_CTR_MAP_CREATED), 1);
	/* special CIDs are never learned, the five others are */
	ck_assert_uint_eq(ctr(WGW_CTR_CID_LEARNED), 5);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, HS, NOW, &(struct wgw_cid_info){ 0 }), -ENOENT);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x3333333333333333ULL, NOW,
					       &(struct wgw_cid_info){ 0 }), -ENOENT);

	/* the same endpoint through another VIP endpoint is another mapping */
	r = fwd_on(T, "198.51.100.1", 5555, 45000, HS, 0);
	ck_assert_int_eq(r.v, WGW_TO_LAN);
	ck_assert_uint_ne(r.sport, r0.sport);
	ck_assert(wgw_addr_eq(&r.dst, &r0.dst)); /* same endpoint, same choice */
	assert_reply_to(rev(b, r.sport, HS), "198.51.100.1", 5555, 45000);
	assert_reply_to(rev(b, r0.sport, HS), "198.51.100.1", 5555, 8420);

	/* many endpoints use every backend */
	unsigned used[4] = { 0 };
	char buf[32];
	for (unsigned i = 2; i < 100; i++) {
		sprintf(buf, "198.51.100.%u", i);
		r = fwd(buf, 7000, HS);
		ck_assert_int_eq(r.v, WGW_TO_LAN);
		used[backend_of(&r.dst)]++;
	}
	ck_assert_uint_gt(used[0], 10);
	ck_assert_uint_gt(used[1], 10);
	ck_assert_uint_gt(used[2], 10);
	ck_assert_uint_eq(used[3], 0);
}
END_TEST

/* ---- rule 2 --------------------------------------------------------------- */

START_TEST(test_known_cid_follows_backend)
{
	const uint64_t c = 0x0123456789abcdefULL;
	char other[32];
	struct res r1, r2, r3, r;
	int b;

	r1 = fwd("198.51.100.1", 5555, HS);
	b = backend_of(&r1.dst);
	r = fwd("198.51.100.1", 5555, c); /* learned on the client side */
	ck_assert_uint_eq(r.sport, r1.sport);
	ck_assert_uint_eq(ctr(WGW_CTR_CID_LEARNED), 1);

	/* NAT rebinding: new port, same address */
	r2 = fwd("198.51.100.1", 6666, c);
	ck_assert_int_eq(r2.v, WGW_TO_LAN);
	ck_assert_int_eq(backend_of(&r2.dst), b);
	ck_assert_uint_ne(r2.sport, r1.sport);
	/* roaming: a new address whose own hash choice is another backend */
	client_choosing(b, false, 3, other, 2);
	r3 = fwd(other, 5555, c);
	ck_assert_int_eq(r3.v, WGW_TO_LAN);
	ck_assert_int_eq(backend_of(&r3.dst), b);
	ck_assert_uint_ne(r3.sport, r1.sport);
	ck_assert_uint_ne(r3.sport, r2.sport);
	ck_assert_uint_eq(ctr(WGW_CTR_CID_MIGRATED), 2);
	ck_assert_uint_eq(ctr(WGW_CTR_MAP_CREATED), 3);

	/* each NAT port answers its own client endpoint */
	assert_reply_to(rev(b, r1.sport, c), "198.51.100.1", 5555, 8420);
	assert_reply_to(rev(b, r2.sport, c), "198.51.100.1", 6666, 8420);
	assert_reply_to(rev(b, r3.sport, c), other, 5555, 8420);
	/* each endpoint keeps its own mapping, however they alternate (the
	 * CID's mapping hint goes stale and is checked) */
	for (unsigned i = 0; i < 3; i++) {
		r = fwd(other, 5555, c);
		ck_assert_uint_eq(r.sport, r3.sport);
		r = fwd("198.51.100.1", 5555, c);
		ck_assert_uint_eq(r.sport, r1.sport);
		r = fwd("198.51.100.1", 6666, c);
		ck_assert_uint_eq(r.sport, r2.sport);
	}
	ck_assert_uint_eq(ctr(WGW_CTR_MAP_CREATED), 3);
}
END_TEST

START_TEST(test_spoofed_cid_never_redirects)
{
	const uint64_t c = 0xdeadbeef00000001ULL;
	char victim[32], attacker[32];
	struct res rv, rx, rs, r;
	int b, a;

	client_choosing(0, true, 3, victim, 2);
	client_choosing(0, false, 3, attacker, 2);
	rv = fwd(victim, 5555, HS);
	b = backend_of(&rv.dst);
	ck_assert_int_eq(b, 0);
	assert_reply_to(rev(b, rv.sport, c), victim, 5555, 8420); /* learns c from b */
	rx = fwd(attacker, 5555, HS);
	a = backend_of(&rx.dst);
	ck_assert_int_ne(a, b);

	/* the attacker replays the victim's CID */
	rs = fwd(attacker, 5555, c);
	ck_assert_int_eq(rs.v, WGW_TO_LAN);
	ck_assert_int_eq(backend_of(&rs.dst), b); /* to the CID's backend... */
	ck_assert_uint_ne(rs.sport, rv.sport);    /* ...on a mapping of its own */
	ck_assert_uint_ne(rs.sport, rx.sport);
	/* the victim's mapping is untouched, both ways */
	r = fwd(victim, 5555, c);
	ck_assert_uint_eq(r.sport, rv.sport);
	assert_reply_to(rev(b, rv.sport, c), victim, 5555, 8420);
	/* and so is the attacker's first mapping */
	assert_reply_to(rev(a, rx.sport, HS), attacker, 5555, 8420);
	/* the CID still belongs to b */
	struct wgw_cid_info ci;
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c, NOW, &ci), 0);
	ck_assert_int_eq(backend_of(&ci.backend), b);
}
END_TEST

/* ---- rule 3 --------------------------------------------------------------- */

START_TEST(test_learning_both_directions)
{
	const uint64_t c_up = 0x1000000000000001ULL, c_down = 0x2000000000000002ULL;
	struct wgw_cid_info ci;
	char other[32], y[32];
	struct res r1, r, ry;
	int b, a;

	r1 = fwd("198.51.100.1", 5555, HS);
	b = backend_of(&r1.dst);
	/* backend -> client: the backend's CID is learned */
	assert_reply_to(rev(b, r1.sport, c_down), "198.51.100.1", 5555, 8420);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c_down, NOW, &ci), 0);
	ck_assert_int_eq(backend_of(&ci.backend), b);
	client_choosing(b, false, 3, other, 2);
	r = fwd(other, 5555, c_down);
	ck_assert_int_eq(backend_of(&r.dst), b);

	/* client -> backend: an unknown CID on the mapping is learned */
	r = fwd("198.51.100.1", 5555, c_up);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c_up, NOW, &ci), 0);
	ck_assert_int_eq(backend_of(&ci.backend), b);

	/* never rebound: c_up shows up on a mapping of another backend */
	client_choosing(b, false, 3, y, 120);
	ry = fwd(y, 5555, HS);
	a = backend_of(&ry.dst);
	ck_assert_int_ne(a, b);
	assert_reply_to(rev(a, ry.sport, c_up), y, 5555, 8420);
	ck_assert_uint_eq(ctr(WGW_CTR_CID_CONFLICT), 1);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c_up, NOW, &ci), 0);
	ck_assert_int_eq(backend_of(&ci.backend), b);
	ck_assert_int_eq(ci.slot, b);
	/* replies consult the CID table once per mapping, CID and second */
	assert_reply_to(rev(a, ry.sport, c_up), y, 5555, 8420);
	ck_assert_uint_eq(ctr(WGW_CTR_CID_CONFLICT), 1);
	NOW++;
	assert_reply_to(rev(a, ry.sport, c_up), y, 5555, 8420);
	ck_assert_uint_eq(ctr(WGW_CTR_CID_CONFLICT), 2);
	/* a new CID on the same mapping in the same second is learned at once */
	assert_reply_to(rev(a, ry.sport, 0x3000000000000003ULL), y, 5555, 8420);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x3000000000000003ULL, NOW, &ci), 0);
	ck_assert_int_eq(ci.slot, a);
	/* and a CID's idle timer follows the replies that carry it */
	NOW += 250;
	assert_reply_to(rev(a, ry.sport, 0x3000000000000003ULL), y, 5555, 8420);
	NOW += 100; /* 350 s after learning, 100 s after the last reply */
	wgw_engine_thread_offline(T);
	wgw_engine_expire(E, NOW, 1000);
	wgw_engine_thread_online(T);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, 0x3000000000000003ULL, NOW, &ci), 0);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c_up, NOW, &ci), -ENOENT);
}
END_TEST

/* ---- rule 4: drain and remove --------------------------------------------- */

START_TEST(test_drain)
{
	const uint64_t c = 0x5555aaaa5555aaaaULL;
	struct wgw_backend_info bi[4];
	char buf[32], other[32];
	struct res r1, r;
	int b;

	r1 = fwd("198.51.100.1", 5555, HS);
	b = backend_of(&r1.dst);
	fwd("198.51.100.1", 5555, c);
	ck_assert_int_eq(wgw_engine_backend_drain(E, &B[b], 8420), 0);
	ck_assert_uint_eq(wgw_engine_backends(E, bi, 4), 3);
	ck_assert_int_eq(bi[b].state, WGW_BACKEND_DRAIN);

	/* the existing session flows on, both ways, on its port */
	r = fwd("198.51.100.1", 5555, c);
	ck_assert_int_eq(backend_of(&r.dst), b);
	ck_assert_uint_eq(r.sport, r1.sport);
	assert_reply_to(rev(b, r1.sport, c), "198.51.100.1", 5555, 8420);
	/* a handshake from the same endpoint still uses its mapping */
	r = fwd("198.51.100.1", 5555, HS);
	ck_assert_uint_eq(r.sport, r1.sport);

	/* new endpoints avoid it */
	for (unsigned i = 2; i < 120; i++) {
		sprintf(buf, "198.51.100.%u", i);
		r = fwd(buf, 4000, HS);
		ck_assert_int_eq(r.v, WGW_TO_LAN);
		ck_assert_int_ne(backend_of(&r.dst), b);
	}
	/* ...unless they carry its CID: a migrating session is not new */
	client_choosing(b, true, 3, other, 120); /* would pick b if up */
	r = fwd(other, 31337, c);
	ck_assert_int_eq(backend_of(&r.dst), b);
	ck_assert_uint_ne(r.sport, r1.sport);

	/* undrain: chosen again */
	ck_assert_int_eq(wgw_engine_backend_undrain(E, &B[b], 8420), 0);
	r = fwd(other, 5555, HS);
	ck_assert_int_eq(backend_of(&r.dst), b);
}
END_TEST

START_TEST(test_remove)
{
	const uint64_t c = 0x7777000077770000ULL;
	struct wgw_backend_info bi[4];
	struct wgw_cid_info ci;
	struct wgw_engine_stats st;
	struct res r1, r;
	int b;

	r1 = fwd("198.51.100.1", 5555, HS);
	b = backend_of(&r1.dst);
	fwd("198.51.100.1", 5555, c);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c, NOW, &ci), 0);
	ck_assert_int_eq(remove_backend(b), 0);
	ck_assert_int_eq(remove_backend(b), -ENOENT);
	ck_assert_uint_eq(wgw_engine_backends(E, bi, 4), 2);

	/* its mappings and CIDs are gone */
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c, NOW, &ci), -ENOENT);
	wgw_engine_get_stats(E, &st);
	ck_assert_uint_eq(st.n_mappings, 0);
	ck_assert_uint_eq(st.n_cids, 0);
	ck_assert_uint_eq(st.ctr[WGW_CTR_MAP_PURGED], 1);
	ck_assert_uint_eq(st.ctr[WGW_CTR_CID_PURGED], 1);
	ck_assert_uint_eq(st.limbo_mappings, 0);
	/* it cannot send through the gateway any more */
	r = rev(b, r1.sport, c);
	ck_assert_int_eq(r.v, WGW_DROP);
	ck_assert_int_eq(r.r.reason, WGW_DROP_BAD_SOURCE);
	/* the client is rehashed onto a remaining backend and its CID follows */
	r = fwd("198.51.100.1", 5555, c);
	ck_assert_int_eq(r.v, WGW_TO_LAN);
	ck_assert_int_ne(backend_of(&r.dst), b);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c, NOW, &ci), 0);
	ck_assert(wgw_addr_eq(&ci.backend, &r.dst));

	/* the slot is reusable: add it back, then add a fourth */
	ck_assert_int_eq(wgw_engine_backend_add(E, &B[b], 8420, 1), b);
	ck_assert_uint_eq(wgw_engine_backends(E, bi, 4), 3);
	ck_assert_uint_eq(bi[b].pkts_to + bi[b].pkts_from + bi[b].mappings + bi[b].cids, 0);
	ck_assert_int_eq(wgw_engine_backend_add(E, &B[b], 8420, 1), -EEXIST);
	ck_assert_int_ge(wgw_engine_backend_add(E, &B[3], 8420, 2), 0);
	ck_assert_uint_eq(wgw_engine_backends(E, bi, 4), 4);
	r = fwd("198.51.100.1", 5555, c); /* its session stays where it is */
	ck_assert_int_ne(backend_of(&r.dst), b);
}
END_TEST

static int set_health(int i, bool down)
{
	int err;

	wgw_engine_thread_offline(T);
	err = wgw_engine_backend_set_health(E, &B[i], 8420, down);
	wgw_engine_thread_online(T);
	return err;
}

/* Health down: its share moves and its sessions are released, so the same
 * endpoint is routed afresh; nothing moves off the others; back up, it is
 * chosen again; all down, every one is chosen (fail open). */
START_TEST(test_health_down)
{
	const uint64_t c = 0x6666000066660000ULL;
	struct wgw_backend_info bi[4];
	struct wgw_cid_info ci;
	char buf[32];
	struct res r1, r, before[100];
	int b;

	r1 = fwd("198.51.100.1", 5555, HS);
	b = backend_of(&r1.dst);
	fwd("198.51.100.1", 5555, c);
	for (unsigned i = 0; i < 100; i++) {
		sprintf(buf, "198.51.101.%u", i);
		before[i] = fwd(buf, 4000, HS);
	}
	ck_assert_int_eq(set_health(b, true), 0);
	ck_assert_int_eq(set_health(b, true), 0);
	ck_assert_int_eq(wgw_engine_backend_set_health(E, &B[3], 8420, true), -ENOENT);
	/* admin state untouched, sessions released */
	ck_assert_uint_eq(wgw_engine_backends(E, bi, 4), 3);
	ck_assert_int_eq(bi[b].state, WGW_BACKEND_UP);
	ck_assert_uint_eq(bi[b].mappings + bi[b].cids, 0);
	ck_assert_int_eq(wgw_engine_lookup_cid(E, c, NOW, &ci), -ENOENT);
	/* the same endpoint re-handshakes: a live backend */
	r = fwd("198.51.100.1", 5555, HS);
	ck_assert_int_eq(r.v, WGW_TO_LAN);
	ck_assert_int_ne(backend_of(&r.dst), b);
	/* the others keep their endpoints, its own move */
	for (unsigned i = 0; i < 100; i++) {
		sprintf(buf, "198.51.101.%u", i);
		r = fwd(buf, 4000, HS);
		ck_assert_int_ne(backend_of(&r.dst), b);
		if (backend_of(&before[i].dst) != b) {
			ck_assert(wgw_addr_eq(&r.dst, &before[i].dst));
			ck_assert_uint_eq(r.sport, before[i].sport);
		}
	}
	/* back: new endpoints reach it again */
	ck_assert_int_eq(set_health(b, false), 0);
	r = fwd("198.51.102.1", 1, HS);
	for (unsigned i = 0; i < 200 && backend_of(&r.dst) != b; i++) {
		sprintf(buf, "198.51.102.%u", i);
		r = fwd(buf, 4000, HS);
	}
	ck_assert_int_eq(backend_of(&r.dst), b);
	/* every backend down: fail open, new clients still routed */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(set_health(i, true), 0);
	r = fwd("198.51.103.1", 4000, HS);
	ck_assert_int_eq(r.v, WGW_TO_LAN);
	ck_assert_int_ge(backend_of(&r.dst), 0);
	/* one back: only it */
	ck_assert_int_eq(set_health(1, false), 0);
	for (unsigned i = 0; i < 50; i++) {
		sprintf(buf, "198.51.104.%u", i);
		r = fwd(buf, 4000, HS);
		ck_assert_int_eq(backend_of(&r.dst), 1);
	}
	/* removed and added again: healthy */
	ck_assert_int_eq(remove_backend(0), 0);
	ck_assert_int_eq(wgw_engine_backend_add(E, &B[0], 8420, 1), 0);
	ck_assert_int_eq(remove_backend(1), 0);
	ck_assert_int_eq(remove_backend(2), 0);
	r = fwd("198.51.105.1", 4000, HS);
	ck_assert_int_eq(backend_of(&r.dst), 0);
}
END_TEST

/* ---- expiry and capacity --------------------------------------------------- */

START_TEST(test_expiry_frees_state_and_ports)
{
	struct wgw_engine_stats st;
	char buf[32];
	struct res r;

	teardown();
	/* one backend, 4 NAT ports */
	E = engine4(64, 64, NAT_LO, NAT_LO + 3, 1, NULL);
	T = wgw_engine_thread_attach(E, 0);
	for (unsigned i = 1; i <= 4; i++) {
		sprintf(buf, "198.51.100.%u", i);
		ck_assert_int_eq(fwd(buf, 1, 0xc1d0000000000000ULL + i).v, WGW_TO_LAN);
	}
	r = fwd("198.51.100.5", 1, HS);
	ck_assert_int_eq(r.v, WGW_DROP);
	ck_assert_int_eq(r.r.reason, WGW_DROP_PORTS_FULL);
	ck_assert_uint_eq(ctr(WGW_CTR_MAP_REFUSED), 1);

	/* keep client 1 alive; the others go idle */
	NOW += 50;
	fwd("198.51.100.1", 1, 0xc1d0000000000001ULL);
	NOW += 20; /* 70 s idle > 60: mappings 2-4 expire, CIDs (300 s) stay */
	ck_assert_uint_eq(wgw_engine_expire(E, NOW, 1000), 3);
	/* unlinked but held for a grace period: the worker has not quiesced */
	wgw_engine_get_stats(E, &st);
	ck_assert_uint_eq(st.n_mappings, 1);
	ck_assert_uint_eq(st.limbo_mappings, 3);
	ck_assert_uint_eq(wgw_engine_expire(E, NOW, 1000), 0);
	wgw_engine_get_stats(E, &st);
	ck_assert_uint_eq(st.limbo_mappings, 3);
	wgw_engine_quiescent(T);
	wgw_engine_expire(E, NOW, 1000);
	wgw_engine_get_stats(E, &st);
	ck_assert_uint_eq(st.limbo_mappings, 0);
	ck_assert_uint_eq(st.ctr[WGW_CTR_MAP_EXPIRED], 3);
	ck_assert_uint_eq(st.n_cids, 4);

	/* ports are back: three new endpoints fit, a fourth does not */
	for (unsigned i = 5; i <= 7; i++) {
		sprintf(buf, "198.51.100.%u", i);
		ck_assert_int_eq(fwd(buf, 1, HS).v, WGW_TO_LAN);
	}
	ck_assert_int_eq(fwd("198.51.100.8", 1, HS).r.reason, WGW_DROP_PORTS_FULL);

	/* CIDs expire on their own timer; an expired CID is unknown again */
	NOW += 400;
	wgw_engine_thread_offline(T); /* an offline worker holds nothing */
	wgw_engine_expire(E, NOW, 1000);
	wgw_engine_expire(E, NOW, 1000);
	wgw_engine_thread_online(T);
	wgw_engine_get_stats(E, &st);
	ck_assert_uint_eq(st.n_cids, 0);
	ck_assert_uint_eq(st.n_mappings, 0);
	ck_assert_uint_eq(st.ctr[WGW_CTR_CID_EXPIRED], 4);
	ck_assert_uint_eq(st.limbo_cids + st.limbo_mappings, 0);
}
END_TEST

START_TEST(test_capacity_refuses_new_keeps_old)
{
	struct res first[8], r;
	char buf[32];

	teardown();
	E = engine4(4, 8, NAT_LO, NAT_HI, 3, NULL);
	T = wgw_engine_thread_attach(E, 0);
	for (unsigned i = 0; i < 8; i++) {
		sprintf(buf, "198.51.100.%u", i + 1);
		first[i] = fwd(buf, 1, 0xabc0000000000000ULL + i);
		ck_assert_int_eq(first[i].v, WGW_TO_LAN);
	}
	/* CID table full after 4: routed anyway, not learned, counted */
	ck_assert_uint_eq(ctr(WGW_CTR_CID_LEARNED), 4);
	ck_assert_uint_eq(ctr(WGW_CTR_CID_REFUSED), 4);
	/* a flood of new endpoints is refused and counted... */
	for (unsigned i = 0; i < 50; i++) {
		sprintf(buf, "192.0.2.%u", i + 1);
		r = fwd(buf, 2, HS);
		ck_assert_int_eq(r.v, WGW_DROP);
		ck_assert_int_eq(r.r.reason, WGW_DROP_MAP_FULL);
	}
	ck_assert_uint_eq(ctr(WGW_CTR_MAP_REFUSED), 50);
	ck_assert_uint_eq(drops(WGW_DROP_MAP_FULL), 50);
	/* ...and evicts nothing */
	for (unsigned i = 0; i < 8; i++) {
		sprintf(buf, "198.51.100.%u", i + 1);
		r = fwd(buf, 1, 0xabc0000000000000ULL + i);
		ck_assert_int_eq(r.v, WGW_TO_LAN);
		ck_assert_uint_eq(r.sport, first[i].sport);
		ck_assert(wgw_addr_eq(&r.dst, &first[i].dst));
		assert_reply_to(rev(backend_of(&r.dst), r.sport, HS), buf, 1, 8420);
	}
	/* a lower limit on reload refuses more, evicts nothing */
	ck_assert_int_eq(wgw_engine_set_limits(E, 0, 8, 0, 0), 0);
	ck_assert_int_eq(wgw_engine_set_limits(E, 0, 9999, 0, 0), -ERANGE);
	ck_assert_int_eq(wgw_engine_set_limits(E, 0, 4, 0, 0), 0);
	r = fwd("198.51.100.1", 1, HS);
	ck_assert_int_eq(r.v, WGW_TO_LAN);
}
END_TEST

/* ---- the LAN side is no open relay ------------------------------------------ */

START_TEST(test_lan_source_checks)
{
	union wgw_addr stranger = A("10.0.0.99"), other_nat = A("10.0.0.2");
	struct res r1, r;
	int b, a;

	r1 = fwd("198.51.100.1", 5555, HS);
	b = backend_of(&r1.dst);
	a = (b + 1) % 3;
	assert_reply_to(rev(b, r1.sport, HS), "198.51.100.1", 5555, 8420);

	r = rev_from(&stranger, 8420, &NAT, r1.sport, HS);
	ck_assert_int_eq(r.r.reason, WGW_DROP_BAD_SOURCE);
	r = rev_from(&B[b], 8421, &NAT, r1.sport, HS); /* right address, wrong port */
	ck_assert_int_eq(r.r.reason, WGW_DROP_BAD_SOURCE);
	r = rev(a, r1.sport, HS); /* another backend, someone else's port */
	ck_assert_int_eq(r.r.reason, WGW_DROP_NO_MAPPING);
	r = rev(b, r1.sport + 1, HS); /* an unused port */
	ck_assert_int_eq(r.r.reason, WGW_DROP_NO_MAPPING);
	r = rev(b, NAT_HI + 1, HS);
	ck_assert_int_eq(r.r.reason, WGW_DROP_NOT_NAT);
	r = rev_from(&B[b], 8420, &other_nat, r1.sport, HS);
	ck_assert_int_eq(r.r.reason, WGW_DROP_NOT_NAT);
	ck_assert_uint_eq(drops(WGW_DROP_BAD_SOURCE), 2);
	ck_assert_uint_eq(drops(WGW_DROP_NO_MAPPING), 2);
	ck_assert_uint_eq(drops(WGW_DROP_NOT_NAT), 2);
	for (unsigned i = 0; i < 6; i++)
		ck_assert_int_eq(rev(b, NAT_HI + 1, HS).v, WGW_DROP);
	ck_assert_uint_eq(ctr(WGW_CTR_DROP), 12);
	ck_assert_uint_eq(ctr(WGW_CTR_TO_WAN), 1);
}
END_TEST

START_TEST(test_client_side_checks)
{
	union wgw_addr c6 = A("2001:db8::5"), v6 = A("2001:db8::10");
	struct wgw_route rt;
	struct tpkt pk;
	struct res r;

	r = fwd_on(T, "198.51.100.1", 5555, 8421, HS, 0);
	ck_assert_int_eq(r.r.reason, WGW_DROP_NOT_VIP);
	r = fwd_on(T, "198.51.100.1", 5555, 50001, HS, 0);
	ck_assert_int_eq(r.r.reason, WGW_DROP_NOT_VIP);
	r = fwd_on(T, "198.51.100.1", 5555, 50000, HS, 0);
	ck_assert_int_eq(r.v, WGW_TO_LAN);
	tpkt_make(&pk, &c6, 1, &v6, 8420, HS, 0);
	ck_assert_int_eq(wgw_engine_from_client(T, &pk.p, NOW, &rt), WGW_DROP);
	ck_assert_int_eq(rt.reason, WGW_DROP_FAMILY);
	ck_assert_str_eq(wgw_drop_reason_name(rt.reason), "family");

	/* VIP set replaced on reload */
	struct wgw_vip nv = { A("203.0.113.10"), 9000, 9000 };
	ck_assert_int_eq(wgw_engine_set_vips(E, &nv, 1), 0);
	r = fwd_on(T, "198.51.100.1", 5555, 8420, HS, 0);
	ck_assert_int_eq(r.r.reason, WGW_DROP_NOT_VIP);
	r = fwd_on(T, "198.51.100.1", 5555, 9000, HS, 0);
	ck_assert_int_eq(r.v, WGW_TO_LAN);
	/* no backend at all */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(remove_backend(i), 0);
	r = fwd_on(T, "198.51.100.1", 5555, 9000, HS, 0);
	ck_assert_int_eq(r.r.reason, WGW_DROP_NO_BACKEND);
}
END_TEST

/* ---- the consistent hash ------------------------------------------------------ */

START_TEST(test_hash_deterministic_across_engines)
{
	const unsigned order_a[] = { 0, 1, 2, 3 }, order_b[] = { 3, 1, 0, 2 };
	struct wgw_engine *e1 = engine4(4096, 4096, NAT_LO, NAT_HI, 4, order_a);
	struct wgw_engine *e2 = engine4(4096, 4096, NAT_LO, NAT_HI, 4, order_b);
	struct wgw_engine_thread *t1 = wgw_engine_thread_attach(e1, 0);
	struct wgw_engine_thread *t2 = wgw_engine_thread_attach(e2, 1);
	char buf[32];

	/* different slots and random table keys, the same choices */
	for (unsigned i = 0; i < 2000; i++) {
		struct res r1, r2;

		sprintf(buf, "100.64.%u.%u", i / 250, i % 250 + 1);
		r1 = fwd_on(t1, buf, (uint16_t)(1024 + i), 8420, HS, 0);
		r2 = fwd_on(t2, buf, (uint16_t)(1024 + i), 8420, HS, 0);
		ck_assert(wgw_addr_eq(&r1.dst, &r2.dst));
	}
	wgw_engine_thread_detach(t1);
	wgw_engine_thread_detach(t2);
	wgw_engine_destroy(e1);
	wgw_engine_destroy(e2);
}
END_TEST

/* WGW-RDV-1 is part of the interface between gateways: its values must not
 * change silently. */
START_TEST(test_hash_golden)
{
	union wgw_addr a = A("192.0.2.1"), b = A("2001:db8::1");

	ck_assert_uint_eq(wgw_rdv_hash(&a, 8420, WGW_RDV_KEY_CLIENT), 0x5cdb472bd86900bcULL);
	ck_assert_uint_eq(wgw_rdv_hash(&b, 443, WGW_RDV_KEY_BACKEND), 0xa8822872a326effeULL);
	/* u = 2^-53: -ln u = 53 ln 2 */
	ck_assert_double_eq_tol(wgw_rdv_score(0, 1), 36.736800569677101, 1e-12);
	/* u = 1 - 2^-53: no cancellation near 1, where the winners are */
	ck_assert_double_eq_tol(wgw_rdv_score(~0ULL, 1), 1.1102230246251565e-16, 1e-30);
	/* u = 1/2 + 2^-53, weight 2 */
	ck_assert_double_eq_tol(wgw_rdv_score(1ULL << 63, 2), 0.34657359027996709, 1e-15);
}
END_TEST

struct hash_set {
	struct wgw_backend_slot slots[WGW_ENGINE_MAX_BACKENDS];
	_Atomic uint8_t state[WGW_ENGINE_MAX_BACKENDS];
	union wgw_addr nat;	/* all zeros: these tests route nothing */
};

static void hs_add(struct hash_set *h, unsigned slot, const char *addr, uint32_t w)
{
	h->slots[slot].addr = A(addr);
	h->slots[slot].port = 8420;
	h->slots[slot].weight = w;
	h->slots[slot].rdv = wgw_rdv_hash(&h->slots[slot].addr, 8420, WGW_RDV_KEY_BACKEND);
	h->slots[slot].in_use = true;
	h->state[slot] = WGW_BACKEND_UP;
}

static void ep(unsigned i, union wgw_addr *a, uint16_t *port)
{
	wgw_addr_from_v4(a, htonl(0x64400000 + i / 7));
	*port = (uint16_t)(20000 + i % 7);
}

#define HASH_N 70000

START_TEST(test_hash_weighted_balance)
{
	static struct hash_set h;
	const uint32_t w[4] = { 1, 2, 3, 4 };
	unsigned cnt[4] = { 0 };
	struct wgw_view *v;
	double chi2 = 0;
	unsigned vn;
	const struct wgw_vip *vv = vips4(&vn);

	for (unsigned i = 0; i < 4; i++) {
		char buf[32];

		sprintf(buf, "10.1.0.%u", i + 1);
		hs_add(&h, i * 5, buf, w[i]); /* sparse slots */
	}
	v = wgw_view_build(h.slots, h.state, vv, vn, &h.nat, 1, 0);
	for (unsigned i = 0; i < HASH_N; i++) {
		union wgw_addr a;
		uint16_t port;
		int s;

		ep(i, &a, &port);
		s = wgw_view_choose(v, &a, port);
		ck_assert(s >= 0 && s % 5 == 0);
		cnt[s / 5]++;
	}
	for (unsigned i = 0; i < 4; i++) {
		double exp = HASH_N * w[i] / 10.0;

		chi2 += (cnt[i] - exp) * (cnt[i] - exp) / exp;
	}
	printf("rendezvous weights 1:2:3:4 over %u endpoints: %u %u %u %u, chi2 %.2f (3 dof)\n",
	       HASH_N, cnt[0], cnt[1], cnt[2], cnt[3], chi2);
	/* 3 degrees of freedom: P(chi2 > 25) < 2e-5 */
	ck_assert(chi2 < 25);
	free(v);
}
END_TEST

START_TEST(test_hash_minimal_disruption)
{
	static struct hash_set h;
	static int before[HASH_N];
	struct wgw_view *v;
	unsigned moved = 0, lost = 0, vn;
	const struct wgw_vip *vv = vips4(&vn);

	for (unsigned i = 0; i < 5; i++) {
		char buf[32];

		sprintf(buf, "10.2.0.%u", i + 1);
		hs_add(&h, i, buf, 1);
	}
	v = wgw_view_build(h.slots, h.state, vv, vn, &h.nat, 1, 0);
	for (unsigned i = 0; i < HASH_N; i++) {
		union wgw_addr a;
		uint16_t port;

		ep(i, &a, &port);
		before[i] = wgw_view_choose(v, &a, port);
	}
	free(v);

	/* add a sixth: about 1/6 move, all of them to the new one */
	hs_add(&h, 5, "10.2.0.6", 1);
	v = wgw_view_build(h.slots, h.state, vv, vn, &h.nat, 1, 0);
	for (unsigned i = 0; i < HASH_N; i++) {
		union wgw_addr a;
		uint16_t port;
		int s;

		ep(i, &a, &port);
		s = wgw_view_choose(v, &a, port);
		if (s != before[i]) {
			ck_assert_int_eq(s, 5);
			moved++;
		}
		before[i] = s;
	}
	free(v);
	printf("add 6th backend: %u of %u endpoints moved (ideal %u)\n", moved, HASH_N, HASH_N / 6);
	ck_assert(moved > HASH_N / 6 * 0.9 && moved < HASH_N / 6 * 1.1);

	/* drain slot 2: only its endpoints move */
	h.state[2] = WGW_BACKEND_DRAIN;
	v = wgw_view_build(h.slots, h.state, vv, vn, &h.nat, 1, 0);
	moved = 0;
	for (unsigned i = 0; i < HASH_N; i++) {
		union wgw_addr a;
		uint16_t port;
		int s;

		ep(i, &a, &port);
		s = wgw_view_choose(v, &a, port);
		ck_assert_int_ne(s, 2);
		if (before[i] == 2)
			lost++;
		else
			ck_assert_int_eq(s, before[i]);
		moved += s != before[i];
	}
	free(v);
	ck_assert_uint_eq(moved, lost);
	ck_assert(lost > HASH_N / 6 * 0.9 && lost < HASH_N / 6 * 1.1);
}
END_TEST

/* ---- IPv6 ------------------------------------------------------------------- */

START_TEST(test_ipv6)
{
	struct wgw_vip v = { A("2001:db8::10"), 8420, 8420 };
	struct wgw_engine_cfg cfg = {
		.vips = &v, .n_vips = 1, .nat_addr = A("2001:db8:1::1"),
		.nat_port_lo = 30000, .nat_port_hi = 30099, .n_threads = 1,
		.max_cids = 64, .max_mappings = 64,
	};
	union wgw_addr c = A("2001:db8:ffff::5"), c2 = A("2001:db8:eeee::7");
	union wgw_addr b6[2] = { A("2001:db8:1::11"), A("2001:db8:1::12") }, x, y;
	const uint64_t cid = 0x6666666666666666ULL;
	struct wgw_engine *e = wgw_engine_create(&cfg);
	struct wgw_engine_thread *t;
	struct wgw_route rt;
	struct tpkt pk;
	uint16_t xp, yp, P;

	ck_assert_ptr_nonnull(e);
	t = wgw_engine_thread_attach(e, 0);
	ck_assert_int_eq(wgw_engine_backend_add(e, &b6[0], 8420, 1), 0);
	ck_assert_int_eq(wgw_engine_backend_add(e, &b6[1], 8420, 1), 1);
	ck_assert_int_eq(wgw_engine_backend_add(e, &B[0], 8420, 1), -EAFNOSUPPORT);

	tpkt_make(&pk, &c, 5555, &v.addr, 8420, cid, 0);
	ck_assert_int_eq(wgw_engine_from_client(t, &pk.p, NOW, &rt), WGW_TO_LAN);
	ck_assert(wgw_pkt_csum_ok(&pk.p));
	tpkt_src(&pk, &x, &P);
	tpkt_dst(&pk, &y, &yp);
	ck_assert(wgw_addr_eq(&x, &cfg.nat_addr));
	ck_assert(wgw_addr_eq(&y, &b6[rt.backend]));
	ck_assert(wgw_addr_eq(&rt.nexthop, &y));

	/* reply */
	tpkt_make(&pk, &b6[rt.backend], 8420, &cfg.nat_addr, P, cid, 0);
	ck_assert_int_eq(wgw_engine_from_backend(t, &pk.p, NOW, &rt), WGW_TO_WAN);
	ck_assert(wgw_pkt_csum_ok(&pk.p));
	tpkt_src(&pk, &x, &xp);
	tpkt_dst(&pk, &y, &yp);
	ck_assert(wgw_addr_eq(&x, &v.addr));
	ck_assert_uint_eq(xp, 8420);
	ck_assert(wgw_addr_eq(&y, &c));
	ck_assert_uint_eq(yp, 5555);

	/* migration to another IPv6 address keeps the backend */
	int b = rt.backend;
	tpkt_make(&pk, &c2, 1, &v.addr, 8420, cid, 0);
	ck_assert_int_eq(wgw_engine_from_client(t, &pk.p, NOW, &rt), WGW_TO_LAN);
	ck_assert_int_eq(rt.backend, b);
	tpkt_src(&pk, &x, &xp);
	ck_assert_uint_ne(xp, P);

	/* IPv4 into an IPv6 engine */
	tpkt_make(&pk, &B[0], 1, &VIP, 8420, cid, 0);
	ck_assert_int_eq(wgw_engine_from_client(t, &pk.p, NOW, &rt), WGW_DROP);
	ck_assert_int_eq(rt.reason, WGW_DROP_FAMILY);
	wgw_engine_thread_detach(t);
	wgw_engine_destroy(e);
}
END_TEST

/* ---- configuration ------------------------------------------------------------ */

START_TEST(test_cfg_validate)
{
	struct wgw_vip v[2] = { { A("203.0.113.10"), 8420, 8420 }, { A("2001:db8::1"), 1, 2 } };
	struct wgw_engine_cfg cfg = {
		.vips = v, .n_vips = 2, .nat_addr = A("10.0.0.1"),
		.nat_port_lo = 1024, .nat_port_hi = 65535, .n_threads = 2,
		.max_cids = 100, .max_mappings = 100,
	};
	char err[256];

	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EAFNOSUPPORT);
	ck_assert_msg(strstr(err, "one address family") && strstr(err, "2001:db8::1"), "%s", err);
	errno = 0;
	ck_assert_ptr_null(wgw_engine_create(&cfg));
	ck_assert_int_eq(errno, EAFNOSUPPORT);
	cfg.n_vips = 1;
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), 0);
	cfg.nat_addr = A("203.0.113.10"); /* NAT on the VIP address, overlapping */
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "overlap"), "%s", err);
	cfg.nat_port_lo = 9000;
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), 0);
	cfg.max_mappings = 0;
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	cfg.max_mappings = 10;
	cfg.nat_addr = A("0.0.0.0");
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);
	cfg.nat_addr = A("10.0.0.1");
	cfg.n_threads = 0;
	ck_assert_int_eq(wgw_engine_cfg_validate(&cfg, err, sizeof(err)), -EINVAL);

	/* threads: one per id */
	ck_assert_ptr_null(wgw_engine_thread_attach(E, 0));
	ck_assert_int_eq(errno, EBUSY);
	ck_assert_ptr_null(wgw_engine_thread_attach(E, 2));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(wgw_engine_backend_add(E, &B[3], 8420, 0), -EINVAL);
	ck_assert_int_eq(wgw_engine_backend_add(E, &B[3], 0, 1), -EINVAL);
	ck_assert_int_eq(wgw_engine_backend_set_weight(E, &B[3], 8420, 2), -ENOENT);
}
END_TEST

/* ---- introspection and stats ----------------------------------------------------- */

static int count_cb(const struct wgw_session_info *si, void *arg)
{
	(*(unsigned *)arg)++;
	ck_assert_uint_ge(si->nat_port, NAT_LO);
	return 0;
}

START_TEST(test_introspection)
{
	struct wgw_session_info si[4];
	struct wgw_backend_info bi[4];
	struct wgw_engine_stats st;
	union wgw_addr c = A("198.51.100.1");
	unsigned n = 0, tot_maps = 0;
	struct res r1;

	r1 = fwd("198.51.100.1", 5555, HS);
	fwd("198.51.100.1", 6666, HS);
	fwd("198.51.100.2", 5555, 0x42);
	NOW += 5;
	ck_assert_uint_eq(wgw_engine_lookup_client(E, &c, 5555, NOW, si, 4), 1);
	ck_assert_uint_eq(si[0].nat_port, r1.sport);
	ck_assert(wgw_addr_eq(&si[0].backend, &r1.dst));
	ck_assert_uint_eq(si[0].idle_s, 5);
	ck_assert_uint_eq(wgw_engine_list_sessions(E, NOW, 0, count_cb, &n), 3);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(wgw_engine_list_sessions(E, NOW, 2, count_cb, &n), 2);

	ck_assert_uint_eq(wgw_engine_backends(E, bi, 4), 3);
	for (unsigned i = 0; i < 3; i++)
		tot_maps += bi[i].mappings;
	ck_assert_uint_eq(tot_maps, 3);
	n = 0;
	for (unsigned i = 0; i < 3; i++)
		n += (unsigned)bi[i].pkts_to;
	ck_assert_uint_eq(n, 3);
	wgw_engine_get_stats(E, &st);
	ck_assert_uint_eq(st.n_mappings, 3);
	ck_assert_uint_eq(st.n_cids, 1);
	ck_assert_uint_eq(st.ctr[WGW_CTR_RX_CLIENT], 3);
	ck_assert_uint_eq(st.ctr[WGW_CTR_TO_LAN], 3);
	ck_assert_str_eq(wgw_engine_ctr_name(WGW_CTR_CID_LEARNED), "cids-learned");
	for (unsigned i = 0; i < WGW_CTR_MAX; i++)
		ck_assert_ptr_nonnull(wgw_engine_ctr_name(i));
	for (unsigned i = 0; i < WGW_DROP_REASON_MAX; i++)
		ck_assert_ptr_nonnull(wgw_drop_reason_name(i));
}
END_TEST

/* ---- memory per session ------------------------------------------------------------ */

START_TEST(test_memory_per_session)
{
	const uint32_t n = 1U << 20;
	struct wgw_engine_stats st;
	struct wgw_engine *e;
	double per;

	/* 1M CIDs + 1M mappings; 16 backends x 64512 NAT ports >= 1M sessions */
	e = engine4(n, n, 1024, 65535, 0, NULL);
	for (unsigned i = 0; i < 16; i++) {
		union wgw_addr a;

		wgw_addr_from_v4(&a, htonl(0x0a030000 + i + 1));
		ck_assert_int_ge(wgw_engine_backend_add(e, &a, 8420, 1), 0);
	}
	wgw_engine_get_stats(e, &st);
	per = (double)st.mem_bytes / n;
	printf("engine tables at %u sessions (CID + mapping each), 16 backends: %zu bytes, %.1f bytes/session\n",
	       n, st.mem_bytes, per);
	ck_assert(per <= 200.0);
	wgw_engine_destroy(e);
}
END_TEST

/* ---- the known-session paths against the general path ---------------------------- */

/*
 * Two engines built alike, one with the known-session (fast) paths and one
 * routing everything by the general path, get the same random stream of
 * client and backend packets (known, unknown, special and missing CIDs,
 * endpoints that migrate, spoofed sources, wrong ports, checksums complete,
 * zero, partial and corrupt) mixed with drains, VIP changes, backend
 * removals and re-adds and expiry.  Every verdict, route and rewritten
 * frame must be the same, byte for byte, and so must the statistics.  The
 * fast engine takes every other packet through the frame entries the
 * workers use (wgw_engine_route_frame(), wgw_engine_route_batch()).
 */
#define EQ_ITERS 60000
#define EQ_CIDS 24

static uint64_t eq_rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t eq_rng(void)
{
	uint64_t z = (eq_rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Both twin engines offline, each consistent, with the same counters and
 * drop reasons; their statistics in st. */
static void twins_agree(struct wgw_engine *e[2], struct wgw_engine_thread *t[2],
			struct wgw_engine_stats st[2])
{
	char err[256];

	for (int k = 0; k < 2; k++) {
		wgw_engine_thread_offline(t[k]);
		wgw_engine_get_stats(e[k], &st[k]);
		ck_assert_msg(wgw_engine_check(e[k], err, sizeof(err)) == 0, "%s", err);
	}
	ck_assert(memcmp(st[0].ctr, st[1].ctr, sizeof(st[0].ctr)) == 0);
	ck_assert(memcmp(st[0].drop, st[1].drop, sizeof(st[0].drop)) == 0);
}

static struct wgw_engine *eq_engine(bool general_only)
{
	static const uint64_t key[6] = { 1, 0x9e3779b97f4a7c15ULL, 3, 4, 5, 6 };
	struct wgw_engine_cfg cfg = { 0 };
	struct wgw_engine *e;

	cfg.vips = vips4(&cfg.n_vips);
	cfg.nat_addr = A("10.0.0.1");
	cfg.nat_port_lo = NAT_LO;
	cfg.nat_port_hi = NAT_LO + 63;
	cfg.n_threads = 1;
	cfg.max_cids = 40;	/* small: CID_REFUSED happens too */
	cfg.max_mappings = 96;
	cfg.cid_idle_s = 20;
	cfg.map_idle_s = 10;
	cfg.hash_key = key;
	cfg.general_path_only = general_only;
	e = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(e);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(wgw_engine_backend_add(e, &B[i], 8420, 1 + i), (int)i);
	return e;
}

/* Set the UDP checksum of a built IPv4 packet to one of its states. */
static void eq_csum_state(struct tpkt *pk, unsigned state)
{
	uint8_t *ip = pk->p.data + pk->p.l3_off, *udp = pk->p.data + pk->p.l4_off;
	uint8_t ph[12];
	uint16_t c;

	switch (state) {
	case 0: /* zero: no checksum */
		memset(udp + 6, 0, 2);
		break;
	case 1: /* partial, as a local socket over veth sends it */
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = IPPROTO_UDP;
		memcpy(ph + 10, udp + 4, 2);
		c = (uint16_t)~wgw_csum_fold(wgw_csum_partial(ph, sizeof(ph), 0));
		memcpy(udp + 6, &c, 2);
		ck_assert(wgw_pkt_udp_csum_is_partial(&pk->p));
		break;
	case 2: /* corrupt */
		udp[8 + 20] ^= 0x5a;
		break;
	default: /* complete */
		break;
	}
}

/* Now and then a TTL a router stops at (1), or the last it forwards (2). */
static void eq_ttl(struct tpkt *pk, unsigned state)
{
	if (state > 1)
		return;
	pk->p.data[pk->p.l3_off + 8] = (uint8_t)(1 + state);
	wgw_pkt_ip4_csum_full(&pk->p);
}

START_TEST(test_fast_path_matches_general)
{
	struct wgw_engine *e[2] = { eq_engine(false), eq_engine(true) };
	struct wgw_engine_thread *t[2];
	struct wgw_engine_stats st[2];
	uint64_t cids[EQ_CIDS];
	unsigned home[EQ_CIDS];	/* the endpoint a CID is mostly sent from */
	struct { int b; uint16_t P; uint64_t cid; } recent[16] = { 0 };
	unsigned fwd_n = 0, kinds[4] = { 0 };
	uint32_t now = 5000;

	for (int k = 0; k < 2; k++) {
		t[k] = wgw_engine_thread_attach(e[k], 0);
		ck_assert_ptr_nonnull(t[k]);
	}
	for (unsigned i = 0; i < EQ_CIDS; i++) {
		cids[i] = 0x1000 + eq_rng() % 0xffffffffULL;
		home[i] = (unsigned)eq_rng() % 18;
	}
	for (unsigned it = 0; it < EQ_ITERS; it++) {
		uint64_t r = eq_rng();
		unsigned op = r % 1000;
		struct tpkt pk[2];
		struct wgw_route rt[2];
		enum wgw_verdict v[2];
		union wgw_addr src, dst;
		uint16_t sport, dport, len = 0;
		unsigned ep, ci;
		uint64_t cid;
		char buf[32];

		if (op < 4) { /* admin, on both */
			unsigned b = (unsigned)(r >> 12) % 3;

			for (int k = 0; k < 2; k++) {
				switch (op) {
				case 0:
					(void)wgw_engine_backend_drain(e[k], &B[b], 8420);
					break;
				case 1:
					(void)wgw_engine_backend_undrain(e[k], &B[b], 8420);
					break;
				case 2:
					wgw_engine_thread_offline(t[k]);
					if (wgw_engine_backend_remove(e[k], &B[b], 8420) == 0)
						ck_assert_int_ge(wgw_engine_backend_add(e[k], &B[b], 8420, 1), 0);
					wgw_engine_thread_online(t[k]);
					break;
				default: {
					unsigned n;
					const struct wgw_vip *vv = vips4(&n);

					/* the second VIP range comes and goes */
					ck_assert_int_eq(wgw_engine_set_vips(e[k], vv, (r >> 20) & 1 ? n : 1), 0);
					break;
				}
				}
			}
			continue;
		}
		if (op < 30) { /* time passes; expiry */
			now += (uint32_t)(r >> 12) % 4;
			for (int k = 0; k < 2; k++) {
				wgw_engine_quiescent(t[k]);
				wgw_engine_expire(e[k], now, 64);
			}
			continue;
		}

		/* a packet: CID from the pool (mostly from its home endpoint,
		 * which sometimes moves), special, or none */
		ep = (unsigned)(r >> 24) % 18;
		switch ((r >> 10) % 16) {
		case 0: cid = WRAITH_CID_HANDSHAKE; break;
		case 1: cid = 0; break;
		case 2: cid = 0x1000 + (r >> 20); break; /* new */
		case 3: cid = cids[0]; len = 12; break;   /* too short for a CID */
		default:
			ci = (unsigned)(r >> 14) % EQ_CIDS;
			cid = cids[ci];
			if ((r >> 50) % 64 == 0)
				home[ci] = ep;	/* migrates */
			if ((r >> 56) % 8)
				ep = home[ci];
			break;
		}
		if (op < 650) { /* client side */
			sprintf(buf, "198.51.100.%u", 1 + ep / 3);
			src = A(buf);
			sport = (uint16_t)(5000 + ep % 3);
			dst = VIP;
			dport = (r >> 32) % 8 ? 8420 : ((r >> 35) % 2 ? 45000 : 9999);
			if ((r >> 38) % 50 == 0)
				dst = A("203.0.113.99");
		} else if ((r >> 20) % 4) { /* a reply on a session seen lately */
			unsigned i = (unsigned)(r >> 24) % 16;

			src = B[recent[i].b];
			sport = 8420;
			dst = NAT;
			dport = recent[i].P;
			if (recent[i].cid && cid != WRAITH_CID_HANDSHAKE && cid && len == 0)
				cid = recent[i].cid;
		} else { /* anything from the LAN */
			unsigned b = (unsigned)(r >> 24) % 4; /* B[3] is no backend */

			src = B[b];
			sport = (r >> 27) % 20 ? 8420 : 8421;
			dst = (r >> 32) % 40 ? NAT : VIP;
			dport = (uint16_t)(NAT_LO + (r >> 38) % 70); /* a few beyond */
		}
		for (int k = 0; k < 2; k++) {
			memset(pk[k].buf, 0, sizeof(pk[k].buf));
			tpkt_make(&pk[k], &src, sport, &dst, dport, cid, len);
			eq_csum_state(&pk[k], (unsigned)(r >> 44) % 8);
			eq_ttl(&pk[k], (unsigned)(r >> 47) % 16);
			memset(&rt[k], 0x5c, sizeof(rt[k]));
			if (k == 0 && it % 2) {
				/* the frame entries, as the workers call them */
				enum wgw_dir dir = op < 650 ? WGW_DIR_CLIENT : WGW_DIR_BACKEND;
				struct wgw_frame f = { .data = pk[k].p.data, .len = pk[k].p.len };

				if ((it >> 1) % 2 && (op < 650 || wgw_addr_eq(&dst, &NAT)))
					dir = WGW_DIR_ANY;
				if ((it >> 2) % 2) {
					v[k] = wgw_engine_route_frame(t[k], dir, f.data, f.len, now,
								      &rt[k]);
				} else {
					wgw_engine_route_batch(t[k], dir, &f, 1, now);
					v[k] = f.verdict;
					rt[k] = f.route;
				}
			} else if (op < 650) {
				v[k] = wgw_engine_from_client(t[k], &pk[k].p, now, &rt[k]);
			} else {
				v[k] = wgw_engine_from_backend(t[k], &pk[k].p, now, &rt[k]);
			}
		}
		ck_assert_int_eq(v[0], v[1]);
		kinds[v[0]]++;
		ck_assert_int_eq(rt[0].backend, rt[1].backend);
		ck_assert_int_eq(rt[0].reason, rt[1].reason);
		if (v[0] != WGW_DROP) {
			ck_assert(wgw_addr_eq(&rt[0].nexthop, &rt[1].nexthop));
			fwd_n++;
		}
		if (v[0] == WGW_TO_LAN) {
			unsigned i = (unsigned)(r >> 58) % 16;

			recent[i].b = rt[0].backend;
			recent[i].P = wgw_pkt_sport(&pk[0].p);
			recent[i].cid = wraith_cid_is_special(cid) || len ? 0 : cid;
		}
		ck_assert_msg(memcmp(pk[0].buf, pk[1].buf, sizeof(pk[0].buf)) == 0,
			      "iteration %u: the frames differ", it);
		if ((it & 63) == 63)
			for (int k = 0; k < 2; k++)
				wgw_engine_quiescent(t[k]);
	}
	twins_agree(e, t, st);
	ck_assert_uint_eq(st[0].n_cids, st[1].n_cids);
	ck_assert_uint_eq(st[0].n_mappings, st[1].n_mappings);
	/* counters add up: every packet received once, then sent or dropped */
	ck_assert_uint_eq(st[0].ctr[WGW_CTR_TO_LAN] + st[0].ctr[WGW_CTR_TO_WAN], fwd_n);
	ck_assert_uint_eq(st[0].ctr[WGW_CTR_RX_CLIENT] + st[0].ctr[WGW_CTR_RX_BACKEND],
			  fwd_n + st[0].ctr[WGW_CTR_DROP]);
	/* the stream exercised what it is meant to */
	if (getenv("WGW_TEST_VERBOSE"))
		for (unsigned c = 0; c < WGW_CTR_MAX; c++)
			printf("%s %llu\n", wgw_engine_ctr_name(c),
			       (unsigned long long)st[0].ctr[c]);
	ck_assert_uint_gt(kinds[WGW_TO_LAN], EQ_ITERS / 4);
	ck_assert_uint_gt(kinds[WGW_TO_WAN], EQ_ITERS / 50);
	ck_assert_uint_gt(kinds[WGW_DROP], EQ_ITERS / 20);
	ck_assert_uint_gt(st[0].ctr[WGW_CTR_CSUM_FULL], 100);
	ck_assert_uint_gt(st[0].ctr[WGW_CTR_CID_MIGRATED], 10);
	ck_assert_uint_gt(st[0].ctr[WGW_CTR_CID_CONFLICT], 0);
	ck_assert_uint_gt(st[0].ctr[WGW_CTR_CID_REFUSED], 0);
	ck_assert_uint_gt(st[0].ctr[WGW_CTR_MAP_EXPIRED], 10);
	ck_assert_uint_gt(st[0].drop[WGW_DROP_SHORT], 10);
	ck_assert_uint_gt(st[0].drop[WGW_DROP_CID0], 10);
	ck_assert_uint_gt(st[0].drop[WGW_DROP_BAD_CSUM], 10);
	ck_assert_uint_gt(st[0].drop[WGW_DROP_TTL], 10);
	for (int k = 0; k < 2; k++) {
		wgw_engine_thread_detach(t[k]);
		wgw_engine_destroy(e[k]);
	}
}
END_TEST

/*
 * The frame entries against parse + from_client / from_backend on twin
 * engines, with hostile frames: valid client packets and replies, most of
 * them damaged in a header byte or a length (or given a VLAN tag or IPv4
 * options), routed in batches of up to 40 on one engine and one by one on
 * the other.  A frame that does not parse as UDP is DROP / NOT_UDP and
 * touches no counter; everything else must match the reference exactly.
 */
START_TEST(test_route_frame_hostile)
{
	struct wgw_engine *e[2] = { eq_engine(false), eq_engine(false) };
	struct wgw_engine_thread *t[2];
	struct wgw_engine_stats st[2];
	uint16_t nat_ports[64] = { 0 };
	int nat_be[64];
	unsigned kinds[4] = { 0 }, not_udp = 0;

	for (int k = 0; k < 2; k++) {
		t[k] = wgw_engine_thread_attach(e[k], 0);
		ck_assert_ptr_nonnull(t[k]);
	}
	for (unsigned round = 0; round < 3000; round++) {
		static struct tpkt pk[2][40];
		uint32_t len[40];
		unsigned eps[40];
		struct wgw_frame f[40];
		bool lan = round % 3 == 2;
		enum wgw_dir dir = lan ? WGW_DIR_BACKEND : round % 5 ? WGW_DIR_CLIENT : WGW_DIR_ANY;
		unsigned n = 1 + (unsigned)eq_rng() % 40;	/* > one prefetch round */

		for (unsigned i = 0; i < n; i++) {
			uint64_t r = eq_rng();
			unsigned ep = (unsigned)(r % 48);
			uint64_t cid = (r >> 8) % 4 ? 0x5000 + ep * 7 + (r >> 12) % 3 :
				       WRAITH_CID_HANDSHAKE;
			union wgw_addr src, dst;
			uint16_t sport, dport;
			char buf[32];

			if (!lan) {
				sprintf(buf, "198.51.100.%u", 1 + ep);
				src = A(buf);
				sport = (uint16_t)(6000 + ep % 5);
				dst = VIP;
				dport = 8420;
			} else {
				ep %= 64;
				src = B[nat_ports[ep] ? nat_be[ep] : 0];
				sport = 8420;
				dst = NAT;
				dport = nat_ports[ep] ? nat_ports[ep] : NAT_LO;
			}
			eps[i] = ep;
			memset(pk[0][i].buf, 0, sizeof(pk[0][i].buf));
			tpkt_make(&pk[0][i], &src, sport, &dst, dport, cid, (r >> 20) % 8 ? 0 : 20);
			eq_csum_state(&pk[0][i], (unsigned)(r >> 24) % 6);
			len[i] = pk[0][i].p.len;
			switch ((r >> 28) % 12) {
			case 0: case 1: case 2: case 3: case 4:
				break;	/* intact */
			case 5: { /* one header byte damaged */
				unsigned off = 12 + (unsigned)(r >> 32) % 38;

				pk[0][i].buf[off] ^= (uint8_t)(1u << ((r >> 40) % 8));
				break;
			}
			case 6: /* truncated */
				len[i] = (uint32_t)(r >> 32) % (len[i] + 1);
				break;
			case 7: /* IPv4 total length or UDP length off by a bit */
				pk[0][i].buf[(r >> 32) % 2 ? 17 : 39] ^= (uint8_t)(1u << ((r >> 40) % 8));
				break;
			case 8: /* fragment bits */
				pk[0][i].buf[20] |= (r >> 32) % 2 ? 0x20 : 0x01;
				break;
			case 9: { /* a VLAN tag: the general path's */
				uint8_t *b = pk[0][i].buf;

				memmove(b + 16, b + 12, len[i] - 12);
				b[12] = 0x81;
				b[13] = 0;
				b[14] = 0;
				b[15] = 7;
				len[i] += 4;
				break;
			}
			case 10: /* IHL 6 without room: bad; IHL 4: bad */
				pk[0][i].buf[14] = (r >> 32) % 2 ? 0x46 : 0x44;
				break;
			default: /* a short frame padded to 60 bytes */
				len[i] = len[i] < 60 ? 60 : len[i] + (uint32_t)(r >> 32) % 8;
				break;
			}
			pk[1][i] = pk[0][i];
		}
		/* one engine: one batch */
		for (unsigned i = 0; i < n; i++) {
			f[i].data = pk[0][i].buf;
			f[i].len = len[i];
			memset(&f[i].route, 0x5c, sizeof(f[i].route));
		}
		wgw_engine_route_batch(t[0], dir, f, n, 5000 + round / 100);
		/* the other: the reference, one by one */
		for (unsigned i = 0; i < n; i++) {
			struct wgw_pkt p;
			struct wgw_route rt;
			enum wgw_verdict v;
			union wgw_addr d;

			memset(&rt, 0x5c, sizeof(rt));
			if (wgw_pkt_parse(&p, pk[1][i].buf, len[i]) != WGW_PKT_UDP) {
				v = WGW_DROP;
				not_udp++;
				ck_assert_int_eq(f[i].route.reason, WGW_DROP_NOT_UDP);
				ck_assert_int_eq(f[i].route.backend, -1);
			} else {
				wgw_pkt_get_daddr(&p, &d);
				if (dir == WGW_DIR_BACKEND ||
				    (dir == WGW_DIR_ANY && wgw_addr_eq(&d, &NAT)))
					v = wgw_engine_from_backend(t[1], &p, 5000 + round / 100, &rt);
				else
					v = wgw_engine_from_client(t[1], &p, 5000 + round / 100, &rt);
				ck_assert_int_eq(f[i].route.backend, rt.backend);
				ck_assert_int_eq(f[i].route.reason, rt.reason);
				if (v != WGW_DROP)
					ck_assert(wgw_addr_eq(&f[i].route.nexthop, &rt.nexthop));
				if (v == WGW_TO_LAN) {
					nat_ports[eps[i]] = wgw_pkt_sport(&p);
					nat_be[eps[i]] = rt.backend;
				}
			}
			ck_assert_int_eq(f[i].verdict, v);
			kinds[v]++;
			ck_assert_msg(memcmp(pk[0][i].buf, pk[1][i].buf, sizeof(pk[0][i].buf)) == 0,
				      "round %u frame %u: the frames differ", round, i);
		}
		for (int k = 0; k < 2; k++)
			wgw_engine_quiescent(t[k]);
	}
	twins_agree(e, t, st);
	ck_assert_uint_gt(kinds[WGW_TO_LAN], 5000);
	ck_assert_uint_gt(kinds[WGW_TO_WAN], 1000);
	ck_assert_uint_gt(not_udp, 1000);
	ck_assert_uint_gt(st[0].ctr[WGW_CTR_CSUM_FULL], 100);
	for (int k = 0; k < 2; k++) {
		wgw_engine_thread_detach(t[k]);
		wgw_engine_destroy(e[k]);
	}
}
END_TEST

/* ---- input rules ------------------------------------------------------------
 *
 * What the kernel's UDP receive path and a router refuse is refused on
 * every entry (a parsed packet, a frame, a batch), on every path (the
 * known-session one on an IPv4 engine, the general one with it turned off,
 * IPv6), both directions, counted by reason, the packet left untouched;
 * what they accept is forwarded with its TTL decremented and its
 * checksums valid.
 */

enum via { VIA_PKT, VIA_FRAME, VIA_BATCH, VIA_N };
enum rig_kind { RIG_V4_FAST, RIG_V4_GENERAL, RIG_V6, RIG_N };
static const char *const rig_name[RIG_N] = { "IPv4", "IPv4 general path only", "IPv6" };

#define RIG_CID 0x5eed5eed5eed5eedULL
#define RIG_CPORT 5555
#define RIG_FRAME 512	/* bytes */

/* An engine of its own with one established session: client:RIG_CPORT
 * -> VIP:8420, CID RIG_CID learned, NAT port nat_port on backend be. */
struct rig {
	struct wgw_engine *e;
	struct wgw_engine_thread *t;
	union wgw_addr vip, nat, be, be2, client;
	bool v6;
	uint16_t nat_port;
};

static int rig_build(uint8_t *buf, const union wgw_addr *s, uint16_t sp, const union wgw_addr *d,
		     uint16_t dp, uint64_t cid, uint16_t plen)
{
	uint8_t payload[256];
	struct wgw_pkt_spec spec = { .sport = sp, .dport = dp, .payload = payload,
				     .payload_len = plen };
	int n;

	for (unsigned i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 13 + 1);
	for (unsigned i = 0; i < 8 && i < plen; i++)
		payload[i] = (uint8_t)(cid >> (56 - 8 * i));
	spec.saddr = *s;
	spec.daddr = *d;
	memset(buf, 0, RIG_FRAME);
	n = wgw_pkt_build(buf, RIG_FRAME, &spec);
	ck_assert_int_gt(n, 0);
	return n;
}

static enum wgw_verdict rig_route(struct rig *g, enum via via, enum wgw_dir dir, uint8_t *buf,
				  int len, struct wgw_route *r)
{
	struct wgw_frame f = { .data = buf, .len = (uint32_t)len };
	struct wgw_pkt p;

	memset(r, 0x5c, sizeof(*r));
	switch (via) {
	case VIA_PKT:
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)len), WGW_PKT_UDP);
		return dir == WGW_DIR_CLIENT ? wgw_engine_from_client(g->t, &p, NOW, r) :
					       wgw_engine_from_backend(g->t, &p, NOW, r);
	case VIA_FRAME:
		return wgw_engine_route_frame(g->t, dir, buf, (uint32_t)len, NOW, r);
	default:
		wgw_engine_route_batch(g->t, dir, &f, 1, NOW);
		*r = f.route;
		return (enum wgw_verdict)f.verdict;
	}
}

static void rig_init(struct rig *g, enum rig_kind kind)
{
	struct wgw_engine_cfg cfg = { 0 };
	uint8_t buf[RIG_FRAME];
	struct wgw_vip vip;
	struct wgw_route r;
	struct wgw_pkt p;
	int n;

	g->v6 = kind == RIG_V6;
	g->vip = A(g->v6 ? "2001:db8::10" : "203.0.113.10");
	g->nat = A(g->v6 ? "fd00::1" : "10.0.0.1");
	g->be = A(g->v6 ? "fd00::11" : "10.0.0.11");
	g->be2 = A(g->v6 ? "fd00::12" : "10.0.0.12");
	g->client = A(g->v6 ? "2001:db8:1::2" : "198.51.100.2");
	vip = (struct wgw_vip){ g->vip, 8420, 8420 };
	cfg.vips = &vip;
	cfg.n_vips = 1;
	cfg.nat_addr = g->nat;
	cfg.nat_port_lo = NAT_LO;
	cfg.nat_port_hi = NAT_HI;
	cfg.n_threads = 1;
	cfg.max_cids = 256;
	cfg.max_mappings = 256;
	cfg.general_path_only = kind == RIG_V4_GENERAL;
	g->e = wgw_engine_create(&cfg);
	ck_assert_ptr_nonnull(g->e);
	ck_assert_int_eq(wgw_engine_backend_add(g->e, &g->be, 8420, 1), 0);
	/* a second backend, draining: no new endpoint goes there, but its
	 * address is the gateway's all the same */
	ck_assert_int_eq(wgw_engine_backend_add(g->e, &g->be2, 8420, 1), 1);
	ck_assert_int_eq(wgw_engine_backend_drain(g->e, &g->be2, 8420), 0);
	g->t = wgw_engine_thread_attach(g->e, 0);
	ck_assert_ptr_nonnull(g->t);
	n = rig_build(buf, &g->client, RIG_CPORT, &g->vip, 8420, RIG_CID, 40);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
	ck_assert_int_eq(wgw_engine_from_client(g->t, &p, NOW, &r), WGW_TO_LAN);
	ck_assert_int_eq(r.backend, 0);
	g->nat_port = wgw_pkt_sport(&p);
	ck_assert_int_eq(wgw_engine_lookup_cid(g->e, RIG_CID, NOW, &(struct wgw_cid_info){ 0 }), 0);
}

static void rig_fini(struct rig *g)
{
	char err[256];

	wgw_engine_thread_detach(g->t);
	ck_assert_msg(wgw_engine_check(g->e, err, sizeof(err)) == 0, "%s", err);
	wgw_engine_destroy(g->e);
}

static struct wgw_engine_stats rig_stats(struct rig *g)
{
	struct wgw_engine_stats st;

	wgw_engine_get_stats(g->e, &st);
	return st;
}

/* What is done to a valid packet before it is routed. */
enum mut {
	M_NONE,		/* as built */
	M_SHORT,	/* 23-byte payload */
	M_CID0,
	M_IP_CSUM,	/* IPv4 header checksum wrong */
	M_UDP_CSUM,	/* the last payload byte changed: UDP checksum wrong */
	M_UDP_FIELD,	/* the UDP checksum field off by one */
	M_UDP_ZERO,	/* UDP checksum 0: none (IPv4), refused (IPv6) */
	M_PARTIAL,	/* CHECKSUM_PARTIAL: the pseudo-header sum */
	M_TTL0,
	M_TTL1,
	M_TTL2,		/* forwarded with 1 */
	M_N
};
static const char *const mut_name[M_N] = {
	"none", "short", "cid0", "ip-csum", "udp-csum", "udp-field", "udp-zero", "partial",
	"ttl0", "ttl1", "ttl2",
};

/* The reason a packet so treated is dropped for, or NONE if forwarded. */
static enum wgw_drop_reason mut_want(enum mut m, bool v6)
{
	switch (m) {
	case M_SHORT: return WGW_DROP_SHORT;
	case M_CID0: return WGW_DROP_CID0;
	case M_IP_CSUM: case M_UDP_CSUM: case M_UDP_FIELD: return WGW_DROP_BAD_CSUM;
	case M_UDP_ZERO: return v6 ? WGW_DROP_BAD_CSUM : WGW_DROP_NONE;
	case M_TTL0: case M_TTL1: return WGW_DROP_TTL;
	default: return WGW_DROP_NONE;
	}
}

static void mut_apply(uint8_t *buf, int len, bool v6, enum mut m)
{
	uint8_t *ip = buf + 14, *udp = ip + (v6 ? 40 : 20);
	uint16_t c;

	switch (m) {
	case M_IP_CSUM:
		ip[10] ^= 0x40;
		break;
	case M_UDP_CSUM:
		buf[len - 1] ^= 0x01;
		break;
	case M_UDP_FIELD:
		memcpy(&c, udp + 6, 2);
		c = htons((uint16_t)(ntohs(c) == 0xfffe ? 1 : ntohs(c) + 1));
		memcpy(udp + 6, &c, 2);
		break;
	case M_UDP_ZERO:
		memset(udp + 6, 0, 2);
		break;
	case M_PARTIAL:
		c = htons((uint16_t)(udp[4] << 8 | udp[5]));
		c = (uint16_t)~wgw_csum_fold(wgw_csum_partial(ip + (v6 ? 8 : 12), v6 ? 32 : 8,
							      (uint32_t)c + htons(IPPROTO_UDP)));
		memcpy(udp + 6, &c, 2);
		break;
	case M_TTL0:
	case M_TTL1:
	case M_TTL2: {
		struct wgw_pkt p;

		ip[v6 ? 7 : 8] = (uint8_t)(m - M_TTL0);
		ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)len), WGW_PKT_UDP);
		wgw_pkt_ip4_csum_full(&p);	/* a no-op on IPv6 */
		break;
	}
	default:
		break;
	}
}

/* Route one packet treated with m on each entry and direction; check the
 * verdict, the counters and the bytes. */
static void rig_check(struct rig *g, enum rig_kind kind, enum via via, int side, enum mut m,
		      unsigned serial)
{
	uint8_t buf[RIG_FRAME], orig[RIG_FRAME];
	enum wgw_drop_reason want = mut_want(m, g->v6);
	struct wgw_engine_stats st0 = rig_stats(g), st1;
	union wgw_addr src, a;
	struct wgw_route r;
	enum wgw_verdict v;
	struct wgw_pkt p;
	uint16_t sport, plen = m == M_SHORT ? 23 : 40 + serial % 64;
	uint64_t cid = m == M_CID0 ? 0 : RIG_CID;
	uint8_t ttl;
	int n;
	char name[128];

	snprintf(name, sizeof(name), "%s, %s, %s, %s", rig_name[kind],
		 via == VIA_PKT ? "parsed" : via == VIA_FRAME ? "frame" : "batch",
		 side == 0 ? "known session" : side == 1 ? "new endpoint" : "reply", mut_name[m]);
	if (m == M_IP_CSUM && g->v6)
		return;
	if (side == 2) {	/* a reply on the session */
		n = rig_build(buf, &g->be, 8420, &g->nat, g->nat_port, cid, plen);
	} else {
		src = g->client;
		sport = RIG_CPORT;
		if (side == 1) {	/* a new endpoint: the general path */
			src.b[15] = (uint8_t)(16 + serial % 200);
			sport = (uint16_t)(7000 + serial / 200);
			if (m != M_CID0)
				cid = HS;
		}
		n = rig_build(buf, &src, sport, &g->vip, 8420, cid, plen);
	}
	mut_apply(buf, n, g->v6, m);
	ttl = buf[14 + (g->v6 ? 7 : 8)];
	memcpy(orig, buf, sizeof(buf));
	v = rig_route(g, via, side == 2 ? WGW_DIR_BACKEND : WGW_DIR_CLIENT, buf, n, &r);
	st1 = rig_stats(g);
	if (want != WGW_DROP_NONE) {
		ck_assert_msg(v == WGW_DROP && r.reason == want, "%s: verdict %d reason %s", name, v,
			      wgw_drop_reason_name(r.reason));
		ck_assert_msg(memcmp(buf, orig, sizeof(buf)) == 0, "%s: a dropped packet changed", name);
		ck_assert_uint_eq(st1.drop[want], st0.drop[want] + 1);
		ck_assert_uint_eq(st1.ctr[WGW_CTR_DROP], st0.ctr[WGW_CTR_DROP] + 1);
		ck_assert_uint_eq(st1.ctr[WGW_CTR_MAP_CREATED], st0.ctr[WGW_CTR_MAP_CREATED]);
		ck_assert_uint_eq(st1.ctr[WGW_CTR_CID_LEARNED], st0.ctr[WGW_CTR_CID_LEARNED]);
		return;
	}
	ck_assert_msg(v == (side == 2 ? WGW_TO_WAN : WGW_TO_LAN), "%s: verdict %d reason %s", name,
		      v, wgw_drop_reason_name(r.reason));
	ck_assert_uint_eq(st1.ctr[WGW_CTR_DROP], st0.ctr[WGW_CTR_DROP]);
	ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
	wgw_pkt_get_daddr(&p, &a);
	ck_assert(wgw_addr_eq(&a, side == 2 ? &g->client : &g->be));
	/* a router's hop, and checksums a receiver accepts */
	ck_assert_msg(buf[14 + (g->v6 ? 7 : 8)] == ttl - 1, "%s: TTL %u, was %u", name,
		      buf[14 + (g->v6 ? 7 : 8)], ttl);
	if (m == M_UDP_ZERO)
		ck_assert_int_eq(wgw_pkt_csum_verify(&p), WGW_CSUM_NONE);
	else
		ck_assert_msg(wgw_pkt_csum_verify(&p) == WGW_CSUM_OK, "%s: checksums", name);
	if (m == M_PARTIAL)
		ck_assert_uint_eq(st1.ctr[WGW_CTR_CSUM_FULL], st0.ctr[WGW_CTR_CSUM_FULL] + 1);
}

START_TEST(test_input_rules)
{
	unsigned serial = 0;

	for (int kind = 0; kind < RIG_N; kind++) {
		struct rig g;

		rig_init(&g, kind);
		for (int via = 0; via < VIA_N; via++)
			for (int side = 0; side < 3; side++)
				for (int m = 0; m < M_N; m++)
					rig_check(&g, kind, via, side, m, serial++);
		rig_fini(&g);
	}
}
END_TEST

/* Sources a client packet must never come from: refused before anything
 * is looked up, created or forwarded, a known CID included. */
START_TEST(test_source_rules)
{
	static const char *const martian4[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.0.9", "224.0.0.1",
		"239.255.255.250", "240.0.0.1", "255.255.255.255",
	};
	static const char *const martian6[] = {
		"::", "::1", "ff02::1", "ff0e::1", "fe80::1", "febf:ffff::1",
	};

	for (int kind = 0; kind < RIG_N; kind++) {
		const char *const *mart = kind == RIG_V6 ? martian6 : martian4;
		unsigned n_mart = kind == RIG_V6 ? 6 : 8;
		struct rig g;

		rig_init(&g, kind);
		for (int via = 0; via < VIA_N; via++) {
			const union wgw_addr own[] = { g.vip, g.nat, g.be, g.be2 };

			for (unsigned i = 0; i < n_mart + 4 * 2; i++) {
				uint8_t buf[RIG_FRAME], orig[RIG_FRAME];
				bool martian = i < n_mart;
				union wgw_addr src = martian ? A(mart[i]) : own[(i - n_mart) / 2];
				/* a service's port, or any other */
				uint16_t sport = martian || (i - n_mart) % 2 ? 9999 : 8420;
				enum wgw_drop_reason want = martian ? WGW_DROP_MARTIAN :
								      WGW_DROP_SPOOFED;

				for (int known = 0; known < 2; known++) {
					struct wgw_engine_stats st0 = rig_stats(&g), st1;
					struct wgw_route r;
					int n = rig_build(buf, &src, sport, &g.vip, 8420,
							  known ? RIG_CID : HS, 64);

					memcpy(orig, buf, sizeof(buf));
					ck_assert_int_eq(rig_route(&g, via, WGW_DIR_CLIENT, buf, n, &r),
							 WGW_DROP);
					ck_assert_msg(r.reason == want, "%s source %u via %d: %s",
						      rig_name[kind], i, via,
						      wgw_drop_reason_name(r.reason));
					ck_assert(memcmp(buf, orig, sizeof(buf)) == 0);
					st1 = rig_stats(&g);
					ck_assert_uint_eq(st1.drop[want], st0.drop[want] + 1);
					ck_assert_uint_eq(st1.ctr[WGW_CTR_MAP_CREATED],
							  st0.ctr[WGW_CTR_MAP_CREATED]);
					ck_assert_uint_eq(st1.ctr[WGW_CTR_CID_MIGRATED],
							  st0.ctr[WGW_CTR_CID_MIGRATED]);
				}
			}
			/* the control: an ordinary new source with the known CID
			 * migrates to its backend */
			{
				struct wgw_engine_stats st0 = rig_stats(&g);
				uint8_t buf[RIG_FRAME];
				union wgw_addr src = g.client;
				struct wgw_route r;
				int n;

				src.b[15] = (uint8_t)(100 + via);
				n = rig_build(buf, &src, 6000, &g.vip, 8420, RIG_CID, 64);
				ck_assert_int_eq(rig_route(&g, via, WGW_DIR_CLIENT, buf, n, &r),
						 WGW_TO_LAN);
				ck_assert_int_eq(r.backend, 0);
				ck_assert_uint_eq(rig_stats(&g).ctr[WGW_CTR_CID_MIGRATED],
						  st0.ctr[WGW_CTR_CID_MIGRATED] + 1);
			}
		}
		if (kind == RIG_V6) {
			/* an IPv4-mapped source in an IPv6 header: wgw_pkt_parse()
			 * refuses it; a caller's own parse must not get it past */
			uint8_t buf[RIG_FRAME];
			struct wgw_route r;
			struct wgw_pkt p;
			int n = rig_build(buf, &g.client, 6001, &g.vip, 8420, HS, 64);

			ck_assert_int_eq(wgw_pkt_parse(&p, buf, (uint32_t)n), WGW_PKT_UDP);
			memset(buf + 14 + 8, 0, 10);
			memset(buf + 14 + 18, 0xff, 2);
			ck_assert_int_eq(wgw_engine_from_client(g.t, &p, NOW, &r), WGW_DROP);
			ck_assert_int_eq(r.reason, WGW_DROP_MARTIAN);
		}
		rig_fini(&g);
	}
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("rules");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_handshake_by_endpoint);
	tcase_add_test(tc, test_known_cid_follows_backend);
	tcase_add_test(tc, test_spoofed_cid_never_redirects);
	tcase_add_test(tc, test_learning_both_directions);
	tcase_add_test(tc, test_drain);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_health_down);
	tcase_add_test(tc, test_expiry_frees_state_and_ports);
	tcase_add_test(tc, test_capacity_refuses_new_keeps_old);
	tcase_add_test(tc, test_lan_source_checks);
	tcase_add_test(tc, test_client_side_checks);
	tcase_add_test(tc, test_hash_deterministic_across_engines);
	tcase_add_test(tc, test_hash_golden);
	tcase_add_test(tc, test_hash_weighted_balance);
	tcase_add_test(tc, test_hash_minimal_disruption);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_cfg_validate);
	tcase_add_test(tc, test_introspection);
	tcase_add_test(tc, test_memory_per_session);
	tcase_add_test(tc, test_fast_path_matches_general);
	tcase_add_test(tc, test_route_frame_hostile);
	tcase_add_test(tc, test_input_rules);
	tcase_add_test(tc, test_source_rules);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
