// SPDX-License-Identifier: GPL-2.0-only
/*
 * fallback_ports: the program tests/netns/fallback_ports.sh drives, in four
 * roles, each run inside one of the test's namespaces.
 *
 *   gw     The fallback ports for real (UDP sockets on the VIPs, a
 *          multi-queue TUN owning G) joined by a test loop of its own, NOT
 *          the engine: client -> VIP datagrams are rewritten with
 *          wgw_pkt_nat() to G:P -> backend and written into the TUN;
 *          backend -> G:P datagrams read from the TUN are rewritten back
 *          (VIP -> client) and sent on the UDP port.  One NAT port P per
 *          (client endpoint, VIP port).  Writes its counters to a file
 *          every 200 ms and at exit (SIGTERM).
 *   echo   A backend: answers every datagram with its payload followed by
 *          "|ADDR|PORT", the source it saw (--raw: the payload only).
 *   client Sends COUNT datagrams one by one, checks that each answer comes
 *          from exactly the VIP address and port it was sent to, carries
 *          its own payload, and that the backend saw G (--expect-nat) and
 *          one NAT port throughout.
 *   flood  Sends as fast as a window of outstanding datagrams allows for a
 *          few seconds and reports what came back (the pps measurement).
 *   send   Sends one datagram and exits (unrelated traffic for the TUN).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "fallback/tun.h"
#include "fallback/udp.h"
#include "gateway/addr.h"
#include "gateway/log.h"
#include "gateway/packet.h"
#include "gateway/pool.h"

#define FP_BATCH 64		/* frames per rx() call */
#define FP_MAX_WORKERS 8
#define FP_MAX_VIPS 8
#define FP_POOL_FRAMES 4096
#define FP_FRAME_SIZE 2048	/* bytes */
#define FP_HEADROOM 256		/* bytes, like an AF_XDP pool */
#define FP_NAT_BASE 20000	/* first NAT port */
#define FP_NAT_PORTS 16384	/* NAT ports, = mapping slots */
#define FP_NAT_HASH (2 * FP_NAT_PORTS)
#define FP_POLL_MS 100		/* idle sleep, milliseconds */
#define FP_STATS_MS 200		/* counters file period, milliseconds */
#define FP_DGRAM_MAX 2048	/* bytes, test datagrams */

static atomic_bool fp_stop;

static void fp_on_signal(int sig)
{
	(void)sig;
	atomic_store(&fp_stop, true);
}

static void fp_signals(void)
{
	struct sigaction sa = { .sa_handler = fp_on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static uint64_t fp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "a.b.c.d:port" or "[v6]:port" */
static int fp_parse_ep(const char *s, union wgw_addr *a, uint16_t *port)
{
	char buf[INET6_ADDRSTRLEN + 8], *colon, *host = buf;
	unsigned long p;

	snprintf(buf, sizeof(buf), "%s", s);
	colon = strrchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (*host == '[') {
		host++;
		if (colon[-1] != ']')
			return -EINVAL;
		colon[-1] = '\0';
	}
	p = strtoul(colon + 1, NULL, 10);
	if (!p || p > 65535 || wgw_addr_parse(a, host))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static socklen_t fp_sockaddr(const union wgw_addr *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (wgw_addr_is_v4(a)) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		in->sin_addr.s_addr = wgw_addr_v4(a);
		return sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = a->in6;
		return sizeof(*in6);
	}
}

static void fp_from_sockaddr(const struct sockaddr_storage *ss, union wgw_addr *a,
			     uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		wgw_addr_from_v4(a, in->sin_addr.s_addr);
		*port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		a->in6 = in6->sin6_addr;
		*port = ntohs(in6->sin6_port);
	}
}

/* A UDP socket bound to addr (port 0: ephemeral). */
static int fp_socket(const union wgw_addr *a, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = fp_sockaddr(a, port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 4 << 20;

	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		perror("bind");
		exit(2);
	}
	return fd;
}

/* ================================================================ gw */

struct fp_nat_ent {
	union wgw_addr client, vip;
	uint16_t cport, vport;
	bool used;
};

static struct {
	pthread_mutex_t lock;
	struct fp_nat_ent ent[FP_NAT_PORTS];
	uint32_t slot[FP_NAT_HASH];	/* entry index + 1 */
	unsigned used;
} fp_nat = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct {
	union wgw_addr nat4, nat6, be4, be6;
	uint16_t be4_port, be6_port;
	bool verify;
} fp_cfg;

struct fp_worker {
	unsigned id;
	struct wgw_pool pool;
	struct wgw_port *udp, *tun;
	pthread_t th;
	int err;
	/* The loop's own counters. */
	_Atomic uint64_t not_udp, csum_bad, nat_full, nat_miss, be_mismatch;
	_Atomic uint64_t to_lan, to_wan, loops;
};

static uint32_t fp_nat_hash(const union wgw_addr *c, uint16_t cport, uint16_t vport)
{
	uint32_t h = c->w[0] ^ c->w[1] ^ c->w[2] ^ c->w[3] ^ ((uint32_t)cport << 16 | vport);

	return (h * 0x9e3779b1u) >> 17;	/* 15 bits = FP_NAT_HASH */
}

/* The NAT port of (client, VIP port), created on first sight; 0 when full. */
static uint16_t fp_nat_get(const union wgw_addr *client, uint16_t cport,
			   const union wgw_addr *vip, uint16_t vport)
{
	uint32_t i = fp_nat_hash(client, cport, vport);
	uint16_t p = 0;

	pthread_mutex_lock(&fp_nat.lock);
	for (;; i = (i + 1) % FP_NAT_HASH) {
		uint32_t v = fp_nat.slot[i];
		struct fp_nat_ent *e;

		if (!v)
			break;
		e = &fp_nat.ent[v - 1];
		if (e->cport == cport && e->vport == vport && wgw_addr_eq(&e->client, client) &&
		    wgw_addr_eq(&e->vip, vip)) {
			p = (uint16_t)(FP_NAT_BASE + v - 1);
			goto out;
		}
	}
	if (fp_nat.used == FP_NAT_PORTS)
		goto out;
	fp_nat.ent[fp_nat.used] = (struct fp_nat_ent){
		.client = *client, .cport = cport, .vip = *vip, .vport = vport, .used = true,
	};
	fp_nat.slot[i] = ++fp_nat.used;
	p = (uint16_t)(FP_NAT_BASE + fp_nat.used - 1);
out:
	pthread_mutex_unlock(&fp_nat.lock);
	return p;
}

static bool fp_nat_find(uint16_t p, struct fp_nat_ent *out)
{
	bool ok = false;

	if (p < FP_NAT_BASE || p >= FP_NAT_BASE + FP_NAT_PORTS)
		return false;
	pthread_mutex_lock(&fp_nat.lock);
	if (fp_nat.ent[p - FP_NAT_BASE].used) {
		*out = fp_nat.ent[p - FP_NAT_BASE];
		ok = true;
	}
	pthread_mutex_unlock(&fp_nat.lock);
	return ok;
}

static bool fp_parse(struct fp_worker *w, struct wgw_buf *b, struct wgw_pkt *p)
{
	if (wgw_pkt_parse(p, b->data, b->len) != WGW_PKT_UDP) {
		w->not_udp++;
		return false;
	}
	/* Every frame a port hands over must carry valid checksums (complete,
	 * or 0 on IPv4), partial ones included: the ports finish them.  (Not
	 * wgw_pkt_udp_csum_is_partial(): one complete checksum in 65536
	 * equals the pseudo-header sum, and the check below catches a
	 * partial one anyway.) */
	if (fp_cfg.verify && !wgw_pkt_csum_ok(p)) {
		w->csum_bad++;
		return false;
	}
	return true;
}

/* Client -> VIP  becomes  G:P -> backend. */
static bool fp_to_lan(struct fp_worker *w, struct wgw_buf *b)
{
	union wgw_addr sa, da;
	struct wgw_pkt p;
	uint16_t nport;
	bool v4;

	if (!fp_parse(w, b, &p))
		return false;
	wgw_pkt_get_saddr(&p, &sa);
	wgw_pkt_get_daddr(&p, &da);
	nport = fp_nat_get(&sa, wgw_pkt_sport(&p), &da, wgw_pkt_dport(&p));
	if (!nport) {
		w->nat_full++;
		return false;
	}
	v4 = p.family == AF_INET;
	if (wgw_pkt_nat(&p, v4 ? &fp_cfg.nat4 : &fp_cfg.nat6, nport,
			v4 ? &fp_cfg.be4 : &fp_cfg.be6,
			v4 ? fp_cfg.be4_port : fp_cfg.be6_port) < 0) {
		w->nat_miss++;
		return false;
	}
	return true;
}

/* Backend -> G:P  becomes  VIP -> client. */
static bool fp_to_wan(struct fp_worker *w, struct wgw_buf *b)
{
	struct fp_nat_ent e;
	union wgw_addr sa;
	struct wgw_pkt p;
	bool v4;

	if (!fp_parse(w, b, &p))
		return false;
	if (!fp_nat_find(wgw_pkt_dport(&p), &e)) {
		w->nat_miss++;
		return false;
	}
	v4 = p.family == AF_INET;
	wgw_pkt_get_saddr(&p, &sa);
	if (!wgw_addr_eq(&sa, v4 ? &fp_cfg.be4 : &fp_cfg.be6) ||
	    wgw_pkt_sport(&p) != (v4 ? fp_cfg.be4_port : fp_cfg.be6_port)) {
		w->be_mismatch++;
		return false;
	}
	if (wgw_pkt_nat(&p, &e.vip, e.vport, &e.client, e.cport) < 0) {
		w->nat_miss++;
		return false;
	}
	return true;
}

/* Receive a batch on in, rewrite what can be, send it on out. */
static int fp_pass(struct fp_worker *w, struct wgw_port *in, struct wgw_port *out,
		   bool (*rewrite)(struct fp_worker *, struct wgw_buf *),
		   _Atomic uint64_t *fwd)
{
	struct wgw_buf rx[FP_BATCH], tx[FP_BATCH];
	int n = in->ops->rx(in, rx, FP_BATCH);
	unsigned m = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (rewrite(w, &rx[i]))
			tx[m++] = rx[i];
		else
			wgw_buf_free(&rx[i]);
	}
	if (m)
		out->ops->tx(out, tx, m);
	*fwd += m;
	return n;
}

static void *fp_loop(void *arg)
{
	struct fp_worker *w = arg;
	struct pollfd fds[2] = {
		{ .fd = w->udp->ops->poll_fd(w->udp), .events = POLLIN },
		{ .fd = w->tun->ops->poll_fd(w->tun), .events = POLLIN },
	};

	while (!atomic_load(&fp_stop)) {
		int a, b;

		w->loops++;
		a = fp_pass(w, w->udp, w->tun, fp_to_lan, &w->to_lan);
		b = fp_pass(w, w->tun, w->udp, fp_to_wan, &w->to_wan);
		if (a < 0 || b < 0) {
			w->err = a < 0 ? a : b;
			fprintf(stderr, "worker %u: port failed: %s\n", w->id, strerror(-w->err));
			atomic_store(&fp_stop, true);
			break;
		}
		if (!a && !b)
			poll(fds, 2, FP_POLL_MS);
	}
	return NULL;
}

static void fp_write_stats(const char *path, struct fp_worker *ws, unsigned nw)
{
	struct wgw_port_stats ps, us = { 0 }, ts = { 0 };
	struct wgw_udp_stats ux, uxs = { 0 };
	struct wgw_tun_stats tx, txs = { 0 };
	uint64_t not_udp = 0, csum_bad = 0, nat_full = 0, nat_miss = 0, mism = 0;
	uint64_t to_lan = 0, to_wan = 0;
	char tmp[4096];
	FILE *f;

	for (unsigned i = 0; i < nw; i++) {
		struct fp_worker *w = &ws[i];

		w->udp->ops->stats(w->udp, &ps);
		us.rx_packets += ps.rx_packets;
		us.tx_packets += ps.tx_packets;
		us.tx_dropped += ps.tx_dropped;
		us.rx_errors += ps.rx_errors;
		us.tx_errors += ps.tx_errors;
		w->tun->ops->stats(w->tun, &ps);
		ts.rx_packets += ps.rx_packets;
		ts.tx_packets += ps.tx_packets;
		ts.tx_dropped += ps.tx_dropped;
		ts.rx_errors += ps.rx_errors;
		ts.tx_errors += ps.tx_errors;
		wgw_udp_port_stats(w->udp, &ux);
		uxs.rx_truncated += ux.rx_truncated;
		uxs.tx_bad += ux.tx_bad;
		uxs.tx_foreign += ux.tx_foreign;
		uxs.tx_gso_sends += ux.tx_gso_sends;
		uxs.tx_gso_refused += ux.tx_gso_refused;
		wgw_tun_port_stats(w->tun, &tx);
		txs.not_ours += tx.not_ours;
		txs.rx_fragments += tx.rx_fragments;
		txs.rx_malformed += tx.rx_malformed;
		txs.rx_gso += tx.rx_gso;
		txs.rx_csum_completed += tx.rx_csum_completed;
		txs.tx_bad += tx.tx_bad;
		txs.tx_csum_offload += tx.tx_csum_offload;
		not_udp += w->not_udp;
		csum_bad += w->csum_bad;
		nat_full += w->nat_full;
		nat_miss += w->nat_miss;
		mism += w->be_mismatch;
		to_lan += w->to_lan;
		to_wan += w->to_wan;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "udp_rx %" PRIu64 "\nudp_tx %" PRIu64 "\nudp_tx_dropped %" PRIu64
		"\nudp_rx_errors %" PRIu64 "\nudp_tx_errors %" PRIu64
		"\nudp_rx_truncated %" PRIu64 "\nudp_tx_bad %" PRIu64 "\nudp_tx_foreign %" PRIu64
		"\nudp_tx_gso_sends %" PRIu64 "\nudp_tx_gso_refused %" PRIu64
		"\ntun_rx %" PRIu64 "\ntun_tx %" PRIu64 "\ntun_tx_dropped %" PRIu64
		"\ntun_rx_errors %" PRIu64 "\ntun_tx_errors %" PRIu64
		"\ntun_not_ours %" PRIu64 "\ntun_rx_fragments %" PRIu64
		"\ntun_rx_malformed %" PRIu64 "\ntun_rx_gso %" PRIu64
		"\ntun_rx_csum_completed %" PRIu64 "\ntun_tx_bad %" PRIu64
		"\ntun_tx_csum_offload %" PRIu64
		"\nloop_not_udp %" PRIu64 "\nloop_csum_bad %" PRIu64 "\nloop_nat_full %" PRIu64
		"\nloop_nat_miss %" PRIu64 "\nloop_be_mismatch %" PRIu64
		"\nloop_to_lan %" PRIu64 "\nloop_to_wan %" PRIu64 "\ntime_ms %" PRIu64 "\n",
		us.rx_packets, us.tx_packets, us.tx_dropped, us.rx_errors, us.tx_errors,
		uxs.rx_truncated, uxs.tx_bad, uxs.tx_foreign,
		uxs.tx_gso_sends, uxs.tx_gso_refused,
		ts.rx_packets, ts.tx_packets, ts.tx_dropped, ts.rx_errors, ts.tx_errors,
		txs.not_ours, txs.rx_fragments, txs.rx_malformed, txs.rx_gso,
		txs.rx_csum_completed, txs.tx_bad, txs.tx_csum_offload,
		not_udp, csum_bad, nat_full, nat_miss, mism, to_lan, to_wan, fp_now_ms());
	fclose(f);
	rename(tmp, path);
}

static int fp_gw(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vip", required_argument, NULL, 'v' },
		{ "nat", required_argument, NULL, 'n' },
		{ "backend", required_argument, NULL, 'b' },
		{ "tun", required_argument, NULL, 't' },
		{ "workers", required_argument, NULL, 'w' },
		{ "ready", required_argument, NULL, 'r' },
		{ "stats", required_argument, NULL, 's' },
		{ "ip4-csum", no_argument, NULL, 'c' },
		{ "verify", no_argument, NULL, 'V' },
		{ "no-gso", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	static struct fp_worker ws[FP_MAX_WORKERS];
	struct wgw_vip vips[FP_MAX_VIPS];
	struct wgw_udp_cfg ucfg = { 0 };	/* the port's default buffers */
	const char *tun_name = "wgwfb%d", *ready = NULL, *stats = NULL;
	union wgw_addr nat[2];
	unsigned nvips = 0, nnat = 0, nw = 1, i;
	struct wgw_tun *tun;
	uint64_t next;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		union wgw_addr a;
		uint16_t port;
		char *dash;

		switch (c) {
		case 'v':
			if (nvips == FP_MAX_VIPS)
				return 2;
			/* ADDR:LO or ADDR:LO-HI */
			dash = strrchr(optarg, '-');
			if (dash && dash > strrchr(optarg, ':'))
				*dash++ = '\0';
			else
				dash = NULL;
			if (fp_parse_ep(optarg, &a, &port))
				return 2;
			vips[nvips].addr = a;
			vips[nvips].port_lo = port;
			vips[nvips].port_hi = dash ? (uint16_t)atoi(dash) : port;
			nvips++;
			break;
		case 'n':
			if (nnat == 2 || wgw_addr_parse(&nat[nnat], optarg))
				return 2;
			if (wgw_addr_is_v4(&nat[nnat]))
				fp_cfg.nat4 = nat[nnat];
			else
				fp_cfg.nat6 = nat[nnat];
			nnat++;
			break;
		case 'b':
			if (fp_parse_ep(optarg, &a, &port))
				return 2;
			if (wgw_addr_is_v4(&a)) {
				fp_cfg.be4 = a;
				fp_cfg.be4_port = port;
			} else {
				fp_cfg.be6 = a;
				fp_cfg.be6_port = port;
			}
			break;
		case 't':
			tun_name = optarg;
			break;
		case 'w':
			nw = (unsigned)atoi(optarg);
			if (!nw || nw > FP_MAX_WORKERS)
				return 2;
			break;
		case 'r':
			ready = optarg;
			break;
		case 's':
			stats = optarg;
			break;
		case 'c':
			ucfg.ip4_udp_csum = true;
			break;
		case 'V':
			fp_cfg.verify = true;
			break;
		case 'g':
			ucfg.no_gso = true;
			break;
		default:
			return 2;
		}
	}
	if (!nvips || !nnat || !stats) {
		fprintf(stderr, "gw: --vip, --nat and --stats are required\n");
		return 2;
	}
	tun = wgw_tun_open(tun_name, nw, 0);
	if (!tun) {
		fprintf(stderr, "gw: tun: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < nw; i++) {
		struct fp_worker *w = &ws[i];

		w->id = i;
		if (wgw_pool_init(&w->pool, FP_POOL_FRAMES, FP_FRAME_SIZE, FP_HEADROOM, -1)) {
			fprintf(stderr, "gw: pool\n");
			return 1;
		}
		w->udp = wgw_udp_port_create(&w->pool, vips, nvips, &ucfg);
		if (!w->udp) {
			fprintf(stderr, "gw: udp port: %s\n", strerror(errno));
			return 1;
		}
		w->tun = wgw_tun_port_create(tun, i, &w->pool, nat, nnat);
		if (!w->tun) {
			fprintf(stderr, "gw: tun port: %s\n", strerror(errno));
			return 1;
		}
	}
	fp_signals();
	for (i = 0; i < nw; i++)
		pthread_create(&ws[i].th, NULL, fp_loop, &ws[i]);
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (!f)
			return 1;
		fprintf(f, "%s %d\n", wgw_tun_name(tun), wgw_tun_ifindex(tun));
		fclose(f);
	}
	next = fp_now_ms();
	while (!atomic_load(&fp_stop)) {
		fp_write_stats(stats, ws, nw);
		next += FP_STATS_MS;
		while (!atomic_load(&fp_stop) && fp_now_ms() < next)
			usleep(10000);
	}
	for (i = 0; i < nw; i++) {
		pthread_join(ws[i].th, NULL);
		if (ws[i].err)
			rc = 1;
	}
	fp_write_stats(stats, ws, nw);
	for (i = 0; i < nw; i++) {
		ws[i].udp->ops->destroy(ws[i].udp);
		ws[i].tun->ops->destroy(ws[i].tun);
		wgw_pool_fini(&ws[i].pool);
	}
	wgw_tun_close(tun);
	return rc;
}

/* ================================================================ echo */

static int fp_echo(int argc, char **argv)
{
	struct mmsghdr msgs[FP_BATCH];
	struct iovec iov[FP_BATCH];
	struct sockaddr_storage names[FP_BATCH];
	static uint8_t bufs[FP_BATCH][FP_DGRAM_MAX + 64];
	bool raw = argc > 2 && !strcmp(argv[2], "--raw");
	uint64_t total = 0;
	union wgw_addr a;
	uint16_t port;
	int fd;

	if (argc < 2 || fp_parse_ep(argv[1], &a, &port))
		return 2;
	fd = fp_socket(&a, port);
	fp_signals();
	while (!atomic_load(&fp_stop)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n;

		for (int i = 0; i < FP_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], FP_DGRAM_MAX };
			msgs[i].msg_hdr = (struct msghdr){
				.msg_name = &names[i], .msg_namelen = sizeof(names[i]),
				.msg_iov = &iov[i], .msg_iovlen = 1,
			};
		}
		if (poll(&pfd, 1, FP_POLL_MS) <= 0)
			continue;
		n = recvmmsg(fd, msgs, FP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			size_t len = msgs[i].msg_len;

			if (!raw) {
				char as[INET6_ADDRSTRLEN];
				union wgw_addr src;
				uint16_t sport;

				fp_from_sockaddr(&names[i], &src, &sport);
				wgw_addr_str(&src, as, sizeof(as));
				len += (size_t)snprintf((char *)bufs[i] + len, 64, "|%s|%u", as, sport);
			}
			iov[i].iov_len = len;
		}
		total += (uint64_t)n;
		for (int done = 0; done < n;) {
			int r = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);

			if (r <= 0)
				break;
			done += r;
		}
	}
	printf("echoed %" PRIu64 "\n", total);
	return 0;
}

/* ================================================================ client */

/* The payload of datagram seq: its number, then a pattern that changes
 * with seq, so that a payload bug or a swap shows. */
static int fp_fill(char *pl, unsigned seq, int size)
{
	int n = snprintf(pl, 16, "seq=%u:", seq);

	for (int i = n; i < size; i++)
		pl[i] = (char)('a' + (seq + (unsigned)i) % 26);
	return size;
}

/*
 * Burst mode: send burst datagrams back to back (the last one of each
 * burst shorter), then take the answers in any order.  Each must come from
 * the VIP, carry exactly one of the payloads sent plus the backend's
 * annotation, and arrive once.  Back-to-back answers to one client are
 * what the UDP port sends as one GSO message.
 */
static int fp_client_burst(int fd, const struct sockaddr_storage *ss, socklen_t sl,
			   const union wgw_addr *to, uint16_t to_port, unsigned count,
			   unsigned burst, int size)
{
	static char seen[1 << 16];
	char pl[FP_DGRAM_MAX], buf[FP_DGRAM_MAX + 64];
	unsigned got = 0;

	if (count > sizeof(seen))
		return 2;
	for (unsigned base = 0; base < count; base += burst) {
		unsigned n = count - base < burst ? count - base : burst, have = 0;

		for (unsigned k = 0; k < n; k++) {
			int len = fp_fill(pl, base + k, k == n - 1 && n > 1 ? size / 2 : size);

			if (sendto(fd, pl, (size_t)len, 0, (const struct sockaddr *)ss, sl) != len) {
				perror("sendto");
				return 1;
			}
		}
		while (have < n) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			union wgw_addr fa;
			uint16_t fport;
			unsigned seq;
			int len;
			ssize_t r;

			if (poll(&pfd, 1, 2000) <= 0) {
				printf("FAIL: burst at %u: %u of %u answers\n", base, have, n);
				return 1;
			}
			r = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
			if (r < 0)
				return 1;
			buf[r] = '\0';
			fp_from_sockaddr(&from, &fa, &fport);
			if (!wgw_addr_eq(&fa, to) || fport != to_port) {
				printf("FAIL: answer not from the VIP\n");
				return 1;
			}
			if (sscanf(buf, "seq=%u:", &seq) != 1 || seq < base || seq >= base + n ||
			    seen[seq]) {
				printf("FAIL: unexpected or repeated answer '%.20s'\n", buf);
				return 1;
			}
			len = fp_fill(pl, seq, seq == base + n - 1 && n > 1 ? size / 2 : size);
			if (r <= len || memcmp(buf, pl, (size_t)len) != 0 || buf[len] != '|') {
				printf("FAIL: payload of seq %u altered (%zd bytes)\n", seq, r);
				return 1;
			}
			seen[seq] = 1;
			have++;
			got++;
		}
	}
	printf("ok %u burst %u\n", got, burst);
	return 0;
}

static int fp_client(int argc, char **argv)
{
	union wgw_addr bind_a, to, want_nat = { 0 }, got_nat;
	uint16_t to_port, size = 64, nat_port = 0;
	unsigned count = 10, burst = 0;
	char buf[FP_DGRAM_MAX + 64], pl[FP_DGRAM_MAX];
	struct sockaddr_storage ss;
	socklen_t sl;
	bool check_nat = false;
	int fd, c;
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "expect-nat", required_argument, NULL, 'e' },
		{ "burst", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};

	memset(&bind_a, 0, sizeof(bind_a));
	to_port = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (wgw_addr_parse(&bind_a, optarg))
				return 2;
			break;
		case 't':
			if (fp_parse_ep(optarg, &to, &to_port))
				return 2;
			break;
		case 'n':
			count = (unsigned)atoi(optarg);
			break;
		case 's':
			size = (uint16_t)atoi(optarg);
			if (size < 16 || size > FP_DGRAM_MAX)
				return 2;
			break;
		case 'e':
			if (wgw_addr_parse(&want_nat, optarg))
				return 2;
			check_nat = true;
			break;
		case 'B':
			burst = (unsigned)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!to_port)
		return 2;
	fd = fp_socket(&bind_a, 0);
	sl = fp_sockaddr(&to, to_port, &ss);
	if (burst)
		return fp_client_burst(fd, &ss, sl, &to, to_port, count, burst, size);
	for (unsigned seq = 0; seq < count; seq++) {
		int plen = fp_fill(pl, seq, size), tries;
		bool ok = false;

		for (tries = 0; tries < 3 && !ok; tries++) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (tries)
				fprintf(stderr, "client: no answer to seq %u in 2 s, sending again\n", seq);
			if (sendto(fd, pl, (size_t)plen, 0, (struct sockaddr *)&ss, sl) != plen) {
				perror("sendto");
				return 1;
			}
			/* Several answers may be in flight after a retry: read
			 * until this sequence number's. */
			while (poll(&pfd, 1, 2000) > 0) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				union wgw_addr fa;
				uint16_t fport, np;
				char *bar, as[INET6_ADDRSTRLEN];
				ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0,
						     (struct sockaddr *)&from, &fl);

				if (n < 0)
					return 1;
				buf[n] = '\0';
				fp_from_sockaddr(&from, &fa, &fport);
				if (!wgw_addr_eq(&fa, &to) || fport != to_port) {
					wgw_addr_str(&fa, as, sizeof(as));
					printf("FAIL: answer from %s port %u, not the VIP\n", as, fport);
					return 1;
				}
				if (n < plen || memcmp(buf, pl, 16) != 0) {
					if (!strncmp(buf, "seq=", 4) && memcmp(buf, pl, 4) == 0 &&
					    (unsigned)atoi(buf + 4) < seq)
						continue;	/* late answer to a retry */
					printf("FAIL: answer to seq %u carries another payload\n", seq);
					return 1;
				}
				if (memcmp(buf, pl, (size_t)plen) != 0 || buf[plen] != '|') {
					printf("FAIL: payload of seq %u altered\n", seq);
					return 1;
				}
				bar = strrchr(buf, '|');
				*bar = '\0';
				np = (uint16_t)atoi(bar + 1);
				if (wgw_addr_parse(&got_nat, buf + plen + 1)) {
					printf("FAIL: bad backend annotation '%s'\n", buf + plen + 1);
					return 1;
				}
				if (check_nat && !wgw_addr_eq(&got_nat, &want_nat)) {
					printf("FAIL: backend saw source %s, not the NAT address\n",
					       buf + plen + 1);
					return 1;
				}
				if (nat_port && np != nat_port) {
					printf("FAIL: NAT port changed from %u to %u\n", nat_port, np);
					return 1;
				}
				nat_port = np;
				ok = true;
				break;
			}
		}
		if (!ok) {
			printf("FAIL: no answer to seq %u\n", seq);
			return 1;
		}
	}
	wgw_addr_str(&got_nat, buf, sizeof(buf));
	printf("ok %u nat %s port %u\n", count, buf, nat_port);
	return 0;
}

/* ================================================================ flood */

static int fp_flood(int argc, char **argv)
{
	union wgw_addr bind_a = { 0 }, to;
	uint16_t to_port = 0, size = 64;
	unsigned seconds = 3, window = 256;
	static char pl[FP_DGRAM_MAX], rbuf[FP_BATCH][FP_DGRAM_MAX];
	struct mmsghdr smsg[FP_BATCH], rmsg[FP_BATCH];
	struct iovec siov[FP_BATCH], riov[FP_BATCH];
	struct sockaddr_storage ss;
	uint64_t sent = 0, got = 0, t0, t1, end;
	socklen_t sl;
	int fd, c;
	static const struct option opts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "to", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'S' },
		{ "size", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (wgw_addr_parse(&bind_a, optarg))
				return 2;
			break;
		case 't':
			if (fp_parse_ep(optarg, &to, &to_port))
				return 2;
			break;
		case 'S':
			seconds = (unsigned)atoi(optarg);
			break;
		case 's':
			size = (uint16_t)atoi(optarg);
			if (!size || size > FP_DGRAM_MAX)
				return 2;
			break;
		case 'w':
			window = (unsigned)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!to_port)
		return 2;
	fd = fp_socket(&bind_a, 0);
	sl = fp_sockaddr(&to, to_port, &ss);
	memset(pl, 'w', size);
	for (int i = 0; i < FP_BATCH; i++) {
		siov[i] = (struct iovec){ pl, size };
		smsg[i].msg_hdr = (struct msghdr){
			.msg_name = &ss, .msg_namelen = sl, .msg_iov = &siov[i], .msg_iovlen = 1,
		};
		riov[i] = (struct iovec){ rbuf[i], FP_DGRAM_MAX };
		rmsg[i].msg_hdr = (struct msghdr){ .msg_iov = &riov[i], .msg_iovlen = 1 };
	}
	t0 = fp_now_ms();
	end = t0 + seconds * 1000ULL;
	while (fp_now_ms() < end) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t room = sent - got < window ? window - (sent - got) : 0;
		int n;

		if (room) {
			n = sendmmsg(fd, smsg, (unsigned)(room < FP_BATCH ? room : FP_BATCH),
				     MSG_DONTWAIT);
			if (n > 0)
				sent += (uint64_t)n;
		}
		n = recvmmsg(fd, rmsg, FP_BATCH, MSG_DONTWAIT, NULL);
		if (n > 0) {
			got += (uint64_t)n;
		} else if (!room && poll(&pfd, 1, 20) == 0) {
			/* Lost datagrams would close the window for good:
			 * forget them after 20 ms of silence. */
			sent = got;
		}
	}
	t1 = fp_now_ms();
	printf("sent %" PRIu64 " received %" PRIu64 " ms %" PRIu64 " pps %" PRIu64 "\n",
	       sent, got, t1 - t0, got * 1000 / (t1 - t0 ? t1 - t0 : 1));
	return 0;
}

static int fp_send(int argc, char **argv)
{
	union wgw_addr to;
	uint16_t port;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	if (argc < 2 || fp_parse_ep(argv[1], &to, &port))
		return 2;
	sl = fp_sockaddr(&to, port, &ss);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, "unrelated", 9, 0, (struct sockaddr *)&ss, sl) != 9) {
		perror("send");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	wgw_log_init("fallback_ports", 0, getenv("WGW_VERBOSE") ? LOG_DEBUG : LOG_NOTICE);
	if (argc < 2) {
		fprintf(stderr, "usage: fallback_ports gw|echo|client|flood|send ...\n");
		return 2;
	}
	if (!strcmp(argv[1], "gw"))
		return fp_gw(argc - 1, argv + 1);
	if (!strcmp(argv[1], "echo"))
		return fp_echo(argc - 1, argv + 1);
	if (!strcmp(argv[1], "client"))
		return fp_client(argc - 1, argv + 1);
	if (!strcmp(argv[1], "flood"))
		return fp_flood(argc - 1, argv + 1);
	if (!strcmp(argv[1], "send"))
		return fp_send(argc - 1, argv + 1);
	fprintf(stderr, "unknown role '%s'\n", argv[1]);
	return 2;
}
