// SPDX-License-Identifier: GPL-2.0-only
/*
 * engine_bench: the userspace cost of one packet without the kernel.
 *
 * Runs what a worker does between its RX ring and its TX ring
 * (gateway/worker.c: wgw_engine_route_batch(), which parses, routes and
 * NAT-rewrites, then per frame the Ethernet addresses) over in-memory batches of frames, with the engine
 * holding a realistic table: N sessions (CIDs, default 1M) spread over E
 * client endpoints (NAT mappings, default 65536; the NAT pool bounds them
 * at 3 backends x 40000 ports x --nat-addrs addresses).  What a zero-copy NIC leaves of a packet's cost is
 * exactly this, since the kernel's copy into the UMEM disappears.
 *
 * Scenarios (one line each in the report):
 *   known-cid    client data packet, CID known, from its endpoint
 *   reply        backend -> G:P reply carrying the session CID
 *   handshake    client handshake (CID 0xFF..FF) from a known endpoint
 *   new-cid      data packet with an unknown CID from a known endpoint
 *                (the CID is learned: a session set-up that reuses a mapping)
 *   new-endpoint handshake from a new client endpoint (a new NAT mapping)
 *
 * Frames are restored from a template before each batch (the rewrite
 * works in place), outside the measured region.  Sessions are visited in a
 * random order, so table lookups miss the cache as they would under load.
 *
 * Under callgrind (valgrind --tool=callgrind --collect-atstart=no) only the
 * measured region is collected and the statistics are dumped once per
 * scenario (CALLGRIND_DUMP_STATS_AT with the scenario's name), so each
 * dump's total divided by the packet count printed here is the exact
 * instruction count per packet; callgrind_annotate --inclusive=yes on a
 * dump splits it into parse, NAT rewrite and engine.  Without valgrind it
 * prints ns per packet (median of --reps timed repetitions).
 *
 * Output: one "scenario packets ns_per_pkt forwarded dropped" line per
 * scenario, machine-readable ("key=value").
 */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/resource.h>

#include "gateway/addr.h"
#include "gateway/capture.h"
#include "gateway/engine.h"
#include "gateway/packet.h"
#include "gateway/state.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define EB_HAVE_CALLGRIND 1
#endif
#endif
#ifndef EB_HAVE_CALLGRIND
#define RUNNING_ON_VALGRIND 0
#define CALLGRIND_TOGGLE_COLLECT do { } while (0)
#define CALLGRIND_DUMP_STATS_AT(s) do { (void)(s); } while (0)
#define CALLGRIND_ZERO_STATS do { } while (0)
#endif

#define EB_BATCH 64			/* frames per batch, as a worker's RX burst */
#define EB_FRAME 2048			/* bytes per frame buffer, a UMEM frame */
#define EB_HDR_RESTORE 64		/* bytes of a frame the rewrite may touch */
#define EB_PORT 8420
#define EB_NAT_LO 20000
#define EB_NAT_HI 59999
#define EB_BACKENDS 3

struct eb_cfg {
	uint32_t sessions;
	uint32_t endpoints;
	uint32_t new_endpoints;
	uint32_t packets;		/* per scenario and repetition */
	unsigned reps;
	uint16_t size;			/* UDP payload bytes */
	const char *only;
	bool no_prefetch;
};

static struct eb_cfg cfg = {
	.sessions = 1U << 20,
	.endpoints = 65536,
	.new_endpoints = 32768,
	.packets = 1U << 20,
	.reps = 5,
	.size = 64,
};

struct eb_batch {
	uint8_t (*frames)[EB_FRAME];	/* [EB_BATCH] the working copies */
	uint32_t len[EB_BATCH];
};

/* A scenario: n template frames, routed in batches. */
struct eb_set {
	const char *name;
	int from_backend;
	uint32_t n;
	uint8_t (*tmpl)[EB_HDR_RESTORE];
	uint8_t *payload_tmpl;		/* one payload shared by all (it is not read
					 * past the CID: the CID lives in tmpl) */
	uint32_t frame_len;
	uint8_t full[EB_FRAME];		/* one whole frame: payload bytes */
};

static struct wgw_engine *eng;
static struct wgw_engine_thread *et;
static union wgw_addr vip, nat, backends[EB_BACKENDS];
static uint32_t *nat_port_of;		/* [endpoints] P of each endpoint's mapping */
static uint8_t *backend_of;		/* [endpoints] */
static uint8_t *nat_of;			/* [endpoints] the NAT address (pool[k]) */
static union wgw_addr pool[WGW_ENGINE_MAX_NAT]; /* pool[0] = nat */
static unsigned n_pool = 1;
static uint64_t *cids;			/* [sessions] */
static uint64_t fwd, dropped, captured;
static const uint8_t mac_gw[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_nh[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t macs_out[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* splitmix64: fixed seed, so every run routes the same packets */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Client endpoint e.  Default: a distinct address of 100.64.0.0/10 per
 * endpoint (an odd multiplier is a bijection mod 2^22) and a scattered
 * port, as clients on the Internet look.  --clustered: 16 endpoints per
 * address on ports 4000 apart over consecutive addresses, which is what
 * many clients behind one carrier-grade NAT look like.
 */
static bool clustered;

static void client_ep(uint32_t e, union wgw_addr *a, uint16_t *port)
{
	if (clustered) {
		wgw_addr_from_v4(a, htonl(0x64400000U + (e >> 4)));
		*port = (uint16_t)(1024 + (e & 15) * 4000);
		return;
	}
	wgw_addr_from_v4(a, htonl(0x64400000U + ((e * 2654435761U) & 0x3fffffU)));
	*port = (uint16_t)(1024 + (e * 40503U + (e >> 7)) % 64000U);
}

static int build(uint8_t *buf, const union wgw_addr *s, uint16_t sp,
		 const union wgw_addr *d, uint16_t dp, uint64_t cid)
{
	uint8_t payload[9000];
	struct wgw_pkt_spec spec;
	uint64_t be = htobe64(cid);

	memset(payload, 0xa5, cfg.size);
	memcpy(payload, &be, 8);
	memset(&spec, 0, sizeof(spec));
	memcpy(spec.eth_dst, mac_gw, 6);
	memcpy(spec.eth_src, mac_nh, 6);
	spec.saddr = *s;
	spec.daddr = *d;
	spec.sport = sp;
	spec.dport = dp;
	spec.payload = payload;
	spec.payload_len = cfg.size;
	return wgw_pkt_build(buf, EB_FRAME, &spec);
}

/* What a worker does with one frame after the engine (worker.c
 * worker_dispatch()). */
static inline void handle(const struct wgw_frame *f)
{
	if (f->verdict == WGW_DROP) {
		dropped++;
		return;
	}
	/* Next-hop MAC: the worker's table lookup is a few loads; a copy of
	 * the two addresses (mac_nh, mac_gw) stands for it. */
	memcpy(f->data, macs_out, sizeof(macs_out));
	fwd++;
}

/* The measured region: one batch from RX ring to TX ring, as worker.c
 * worker_main() does it: the frames' descriptors into the engine's batch,
 * wgw_engine_route_batch() (parse, route, NAT rewrite), then each frame
 * to its TX queue.  noinline so that callgrind and perf name it. */
__attribute__((noinline)) static void route_batch(struct eb_batch *b, unsigned n,
						  int from_backend)
{
	struct wgw_frame f[EB_BATCH];
	unsigned i;

	for (i = 0; i < n; i++) {
		f[i].data = b->frames[i];
		f[i].len = b->len[i];
	}
	/* The worker's capture test, once a batch (no capture runs here). */
	if (wgw_capture_poll() & WGW_CAPTURE_ON_MASK)
		captured += n;
	wgw_engine_route_batch(et, from_backend ? WGW_DIR_BACKEND : WGW_DIR_CLIENT, f, n, 1);
	for (i = 0; i < n; i++)
		handle(&f[i]);
}

static void restore(struct eb_batch *b, const struct eb_set *s, uint32_t first, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		memcpy(b->frames[i], s->tmpl[(first + i) % s->n], EB_HDR_RESTORE);
		b->len[i] = s->frame_len;
	}
}

/* Route `packets` frames of set s; returns elapsed ns of the routed part. */
static uint64_t run_set(struct eb_batch *b, const struct eb_set *s, uint32_t packets,
			int collect)
{
	uint64_t t = 0, t0;
	uint32_t done = 0;
	unsigned n;

	for (n = 0; n < EB_BATCH; n++)
		memcpy(b->frames[n], s->full, s->frame_len);
	while (done < packets) {
		n = packets - done < EB_BATCH ? packets - done : EB_BATCH;
		restore(b, s, done, n);
		t0 = now_ns();
		if (collect)
			CALLGRIND_TOGGLE_COLLECT;
		route_batch(b, n, s->from_backend);
		if (collect)
			CALLGRIND_TOGGLE_COLLECT;
		t += now_ns() - t0;
		done += n;
	}
	return t;
}

static void set_alloc(struct eb_set *s, const char *name, uint32_t n, int from_backend)
{
	s->name = name;
	s->n = n;
	s->from_backend = from_backend;
	s->tmpl = calloc(n, sizeof(*s->tmpl));
	if (!s->tmpl || !n) {
		perror("calloc");
		exit(1);
	}
}

static void set_add(struct eb_set *s, uint32_t i, const union wgw_addr *sa, uint16_t sp,
		    const union wgw_addr *da, uint16_t dp, uint64_t cid)
{
	uint8_t buf[EB_FRAME];
	int len = build(buf, sa, sp, da, dp, cid);

	if (len <= 0) {
		fprintf(stderr, "engine_bench: cannot build a frame: %d\n", len);
		exit(1);
	}
	s->frame_len = (uint32_t)len;
	if (i == 0)
		memcpy(s->full, buf, (size_t)len);
	memcpy(s->tmpl[i], buf, EB_HDR_RESTORE);
}

/* Route one client frame now (table set-up); returns the verdict and the
 * NAT source port / backend it was given. */
static enum wgw_verdict route_now(const union wgw_addr *sa, uint16_t sp, uint64_t cid,
				  uint16_t *nat_port, int *backend, uint8_t *nat_k)
{
	uint8_t buf[EB_FRAME];
	struct wgw_route r;
	struct wgw_pkt p;
	enum wgw_verdict v;
	int len = build(buf, sa, sp, &vip, EB_PORT, cid);

	if (len <= 0 || wgw_pkt_parse(&p, buf, (uint32_t)len) != WGW_PKT_UDP)
		return WGW_DROP;
	v = wgw_engine_from_client(et, &p, 1, &r);
	if (v == WGW_TO_LAN) {
		union wgw_addr src;

		*nat_port = wgw_pkt_sport(&p);
		*backend = r.backend;
		wgw_pkt_get_saddr(&p, &src);
		*nat_k = 0;
		for (unsigned k = 0; k < n_pool; k++)
			if (wgw_addr_eq(&src, &pool[k]))
				*nat_k = (uint8_t)k;
	}
	return v;
}

static long rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void measure(struct eb_batch *b, const struct eb_set *s, uint32_t packets,
		    bool consumes)
{
	uint64_t t[64], fwd0, drop0;
	unsigned r, reps = RUNNING_ON_VALGRIND || consumes ? 1 : cfg.reps;

	if (cfg.only && strcmp(cfg.only, s->name))
		return;
	if (reps > 64)
		reps = 64;
	fwd0 = fwd;
	drop0 = dropped;
	for (r = 0; r < reps; r++) {
		if (RUNNING_ON_VALGRIND)
			CALLGRIND_ZERO_STATS;
		t[r] = run_set(b, s, packets, 1);
		if (RUNNING_ON_VALGRIND)
			CALLGRIND_DUMP_STATS_AT(s->name);
		wgw_engine_quiescent(et);
	}
	qsort(t, reps, sizeof(t[0]), cmp_u64);
	printf("scenario=%s packets=%" PRIu32 " ns_per_pkt=%.1f forwarded=%" PRIu64
	       " dropped=%" PRIu64 "\n", s->name, packets,
	       (double)t[reps / 2] / packets, (fwd - fwd0) / reps, (dropped - drop0) / reps);
	fflush(stdout);
}

/* What the daemon's state file costs at this size: the snapshot the
 * control thread takes (the workers go on routing meanwhile) and the
 * encoding, each timed once, and the file's size. */
static void state_snapshot(void)
{
	struct wgw_state st;
	uint64_t t0, t1, t2;
	uint8_t *buf;
	size_t len;

	t0 = now_ns();
	if (wgw_engine_state_save(eng, 1000, &st)) {
		fprintf(stderr, "engine_bench: state snapshot: out of memory\n");
		return;
	}
	t1 = now_ns();
	if (wgw_state_encode(&st, &buf, &len)) {
		wgw_state_free(&st);
		return;
	}
	t2 = now_ns();
	printf("state cids=%u mappings=%u snapshot_ms=%.1f encode_ms=%.1f file_bytes=%zu\n",
	       st.n_cids, st.n_maps, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6, len);
	free(buf);
	wgw_state_free(&st);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: engine_bench [OPTIONS]\n"
		"Route in-memory frames through parse -> engine -> NAT rewrite -> L2 and\n"
		"report ns per packet; under callgrind (--collect-atstart=no) one dump per\n"
		"scenario gives instructions per packet.\n\n"
		"  -n, --sessions N        CIDs in the table (default 1048576)\n"
		"  -e, --endpoints N       client endpoints / NAT mappings (default 65536)\n"
		"      --new-endpoints N   endpoints created by the new-endpoint scenario (default 32768)\n"
		"      --nat-addrs N       NAT addresses in the pool (default 1, at most 256)\n"
		"  -p, --packets N         packets per scenario and repetition (default 1048576)\n"
		"  -r, --reps N            timed repetitions, the median is reported (default 5)\n"
		"  -s, --size BYTES        UDP payload size (default 64)\n"
		"      --only NAME         run one scenario\n"
		"      --clustered         client endpoints 16 per address, consecutive addresses\n"
		"      --no-prefetch       batches do not prefetch their table reads\n"
		"  -h, --help\n");
}

static uint32_t arg_u32(const char *s, uint32_t lo, uint32_t hi, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "engine_bench: %s: '%s' is not in %u..%u\n", what, s, lo, hi);
		exit(2);
	}
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sessions", required_argument, NULL, 'n' },
		{ "endpoints", required_argument, NULL, 'e' },
		{ "new-endpoints", required_argument, NULL, 'E' },
		{ "nat-addrs", required_argument, NULL, 'N' },
		{ "packets", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'o' },
		{ "clustered", no_argument, NULL, 'C' },
		{ "no-prefetch", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wgw_engine_cfg ecfg;
	struct wgw_engine_stats st;
	struct wgw_vip v;
	static struct eb_set known, reply, hs, newcid, newep;
	struct eb_batch b;
	union wgw_addr ca;
	uint16_t cp, np;
	uint8_t nk;
	uint32_t i, e, max_ep;
	uint64_t t0;
	long rss0;
	int c, be;
	char err[256];

	while ((c = getopt_long(argc, argv, "n:e:p:r:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': cfg.sessions = arg_u32(optarg, 1, 1U << 24, "--sessions"); break;
		case 'e': cfg.endpoints = arg_u32(optarg, 1, 1U << 22, "--endpoints"); break;
		case 'E': cfg.new_endpoints = arg_u32(optarg, 1, 1U << 20, "--new-endpoints"); break;
		case 'N': n_pool = arg_u32(optarg, 1, WGW_ENGINE_MAX_NAT, "--nat-addrs"); break;
		case 'p': cfg.packets = arg_u32(optarg, 1, 1U << 30, "--packets"); break;
		case 'r': cfg.reps = arg_u32(optarg, 1, 64, "--reps"); break;
		case 's': cfg.size = (uint16_t)arg_u32(optarg, WRAITH_MIN_PAYLOAD, 1472, "--size"); break;
		case 'o': cfg.only = optarg; break;
		case 'C': clustered = true; break;
		case 'P': cfg.no_prefetch = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (cfg.endpoints > cfg.sessions)
		cfg.endpoints = cfg.sessions;
	max_ep = EB_BACKENDS * (EB_NAT_HI - EB_NAT_LO + 1) * n_pool;
	if (cfg.endpoints + cfg.new_endpoints > max_ep) {
		fprintf(stderr, "engine_bench: endpoints + new endpoints exceed the %u NAT "
			"(address, port) pairs\n", max_ep);
		return 2;
	}

	wgw_addr_parse(&vip, "203.0.113.10");
	wgw_addr_parse(&nat, "10.0.0.100");
	pool[0] = nat;
	for (i = 1; i < n_pool; i++)	/* 10.0.1.1 ... */
		wgw_addr_from_v4(&pool[i], htonl(0x0a000100U + i));
	wgw_addr_parse(&backends[0], "10.0.0.11");
	wgw_addr_parse(&backends[1], "10.0.0.12");
	wgw_addr_parse(&backends[2], "10.0.0.13");
	v = (struct wgw_vip){ .addr = vip, .port_lo = EB_PORT, .port_hi = EB_PORT };
	memset(&ecfg, 0, sizeof(ecfg));
	ecfg.vips = &v;
	ecfg.n_vips = 1;
	ecfg.nat_addr = nat;
	ecfg.nat_pool = pool + 1;
	ecfg.n_nat_pool = n_pool - 1;
	ecfg.nat_port_lo = EB_NAT_LO;
	ecfg.nat_port_hi = EB_NAT_HI;
	ecfg.n_threads = 1;
	ecfg.no_prefetch = cfg.no_prefetch;
	/* Capacity as the daemon sizes it: room above the load. */
	ecfg.max_cids = cfg.sessions + cfg.endpoints + cfg.new_endpoints + 1024;
	ecfg.max_mappings = max_ep;
	/* a pool holds more pairs than the run needs: room above the load */
	if (ecfg.max_mappings > cfg.endpoints + cfg.new_endpoints + 65536)
		ecfg.max_mappings = cfg.endpoints + cfg.new_endpoints + 65536;
	if (wgw_engine_cfg_validate(&ecfg, err, sizeof(err))) {
		fprintf(stderr, "engine_bench: %s\n", err);
		return 1;
	}
	rss0 = rss_kib();
	eng = wgw_engine_create(&ecfg);
	if (!eng) {
		perror("wgw_engine_create");
		return 1;
	}
	for (i = 0; i < EB_BACKENDS; i++) {
		if (wgw_engine_backend_add(eng, &backends[i], EB_PORT, 100) < 0) {
			fprintf(stderr, "engine_bench: backend_add failed\n");
			return 1;
		}
	}
	et = wgw_engine_thread_attach(eng, 0);
	if (!et) {
		perror("wgw_engine_thread_attach");
		return 1;
	}

	nat_port_of = calloc(cfg.endpoints, sizeof(*nat_port_of));
	backend_of = calloc(cfg.endpoints, 1);
	nat_of = calloc(cfg.endpoints, 1);
	cids = calloc(cfg.sessions, sizeof(*cids));
	b.frames = aligned_alloc(4096, (size_t)EB_BATCH * EB_FRAME);
	if (!nat_port_of || !backend_of || !nat_of || !cids || !b.frames) {
		perror("calloc");
		return 1;
	}
	memset(b.frames, 0, (size_t)EB_BATCH * EB_FRAME);

	/* Table: every session's CID learned on its endpoint's mapping
	 * (session s lives on endpoint s % E), as data after a handshake
	 * would leave it. */
	t0 = now_ns();
	for (i = 0; i < cfg.sessions; i++) {
		do
			cids[i] = rng();
		while (wraith_cid_is_special(cids[i]));
		e = i % cfg.endpoints;
		client_ep(e, &ca, &cp);
		if (route_now(&ca, cp, cids[i], &np, &be, &nk) != WGW_TO_LAN) {
			fprintf(stderr, "engine_bench: set-up packet %u dropped\n", i);
			return 1;
		}
		if (i < cfg.endpoints) {
			nat_port_of[e] = np;
			backend_of[e] = (uint8_t)be;
			nat_of[e] = nk;
		}
		if ((i & 4095) == 4095)
			wgw_engine_quiescent(et);
	}
	wgw_engine_quiescent(et);
	wgw_engine_get_stats(eng, &st);
	printf("setup sessions=%u endpoints=%u nat_addrs=%u cids=%u mappings=%u table_bytes=%zu "
	       "bytes_per_session=%.1f rss_kib=%ld setup_ns_per_session=%.0f\n",
	       cfg.sessions, cfg.endpoints, n_pool, st.n_cids, st.n_mappings, st.mem_bytes,
	       (double)st.mem_bytes / cfg.sessions, rss_kib() - rss0,
	       (double)(now_ns() - t0) / cfg.sessions);
	if (st.n_cids != cfg.sessions || st.n_mappings != cfg.endpoints) {
		fprintf(stderr, "engine_bench: table holds %u CIDs / %u mappings, expected %u / %u\n",
			st.n_cids, st.n_mappings, cfg.sessions, cfg.endpoints);
		return 1;
	}

	/* Scenario templates: sessions in random order. */
	set_alloc(&known, "known-cid", 65536, 0);
	set_alloc(&reply, "reply", 65536, 1);
	set_alloc(&hs, "handshake", 65536, 0);
	for (i = 0; i < 65536; i++) {
		uint32_t s = (uint32_t)(rng() % cfg.sessions);
		union wgw_addr bea;

		e = s % cfg.endpoints;
		client_ep(e, &ca, &cp);
		set_add(&known, i, &ca, cp, &vip, EB_PORT, cids[s]);
		bea = backends[backend_of[e]];
		set_add(&reply, i, &bea, EB_PORT, &pool[nat_of[e]], (uint16_t)nat_port_of[e],
			cids[s]);
		set_add(&hs, i, &ca, cp, &vip, EB_PORT, WRAITH_CID_HANDSHAKE);
	}
	/* Set-up scenarios consume what they create: each packet once. */
	set_alloc(&newcid, "new-cid", cfg.new_endpoints, 0);
	set_alloc(&newep, "new-endpoint", cfg.new_endpoints, 0);
	for (i = 0; i < cfg.new_endpoints; i++) {
		uint64_t cid;

		do
			cid = rng();
		while (wraith_cid_is_special(cid));
		client_ep((uint32_t)(rng() % cfg.endpoints), &ca, &cp);
		set_add(&newcid, i, &ca, cp, &vip, EB_PORT, cid);
		client_ep(cfg.endpoints + i, &ca, &cp);
		set_add(&newep, i, &ca, cp, &vip, EB_PORT, WRAITH_CID_HANDSHAKE);
	}

	measure(&b, &known, cfg.packets, false);
	measure(&b, &reply, cfg.packets, false);
	measure(&b, &hs, cfg.packets, false);
	measure(&b, &newcid, cfg.new_endpoints, true);
	measure(&b, &newep, cfg.new_endpoints, true);

	wgw_engine_get_stats(eng, &st);
	printf("final cids=%u mappings=%u table_bytes=%zu rss_kib=%ld\n",
	       st.n_cids, st.n_mappings, st.mem_bytes, rss_kib());
	state_snapshot();
	wgw_engine_thread_detach(et);
	wgw_engine_destroy(eng);
	free(known.tmpl);
	free(reply.tmpl);
	free(hs.tmpl);
	free(newcid.tmpl);
	free(newep.tmpl);
	free(b.frames);
	free(cids);
	free(backend_of);
	free(nat_of);
	free(nat_port_of);
	return 0;
}
