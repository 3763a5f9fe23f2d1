// SPDX-License-Identifier: GPL-2.0-only
/*
 * wraith-backend: a stand-in for a WRAITH node behind the gateway.
 *
 * Answers the test payload of tests/tools/proto.h: handshake-init ->
 * handshake-resp, data -> data-reply, bare noise1 -> noise2, each stamped
 * with this backend's id and carrying the session CID in the outer header.
 * Counts packets and bytes by type, and per session (keyed by CID) the
 * source endpoints it came from: a session that migrated through a gateway
 * shows a new source (a new NAT port), one that did not shows exactly one.
 *
 * Data path: one UDP socket per worker thread (SO_REUSEPORT when more than
 * one), recvmmsg/sendmmsg in batches, replies written in place into the
 * receive buffers; nothing is allocated per packet.  Workers keep their own
 * counters and session table and publish the counters once per batch; the
 * main thread only waits for signals (SIGUSR1: report, SIGTERM/SIGINT:
 * report and exit) and merges the tables at exit.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tests/tools/proto.h"
#include "tests/tools/tool_util.h"

#define BE_BATCH_MAX 256		/* datagrams per recvmmsg */
#define BE_BUF_LEN 9216			/* bytes per receive buffer (> MTU 9000) */
#define BE_SRC_MAX 4			/* endpoints remembered per session */
#define BE_RCVTIMEO_MS 100		/* ms: how fast workers notice a stop */
#define BE_SOCKBUF (4 << 20)		/* bytes, SO_RCVBUF/SO_SNDBUF */
#define BE_MAX_SESSIONS_DEFAULT 262144	/* sessions per worker table */

/* An endpoint, compact: IPv4 as IPv4-mapped IPv6. */
struct be_ep {
	uint8_t addr[16];
	uint16_t port;		/* network order */
};

struct be_session {
	uint64_t cid;		/* 0: free slot (CID 0 is never a session) */
	uint64_t pkts;
	uint8_t nsrc;		/* distinct endpoints in src[] */
	uint8_t src_overflow;	/* more distinct endpoints than fit */
	struct be_ep src[BE_SRC_MAX];
};

/* Counters, one set per worker; published with relaxed atomic stores so
 * that the main thread can report while the workers run. */
enum be_ctr {
	C_RX_PKTS, C_RX_BYTES, C_TX_PKTS, C_TX_BYTES,
	C_RX_HS_INIT, C_RX_DATA, C_RX_NOISE1, C_RX_NOISE3,
	C_RX_INVALID,		/* not our payload, or a reply type */
	C_RX_CORRUPT,		/* padding changed in flight */
	C_CID_MISMATCH,		/* data: outer CID != header CID */
	C_HS_BAD_OUTER,		/* handshake-init whose outer CID is not 0xFF..FF */
	C_TX_ERRORS,
	C_SESSIONS,		/* sessions in this worker's table */
	C_SESSIONS_MIGRATED,	/* ... seen from more than one endpoint */
	C_SRC_CHANGES,		/* packets whose source differed from the last one */
	C_TABLE_FULL,		/* packets of sessions that did not fit */
	C_MAX
};

static const char *const ctr_name[C_MAX] = {
	[C_RX_PKTS] = "rx_packets",
	[C_RX_BYTES] = "rx_bytes",
	[C_TX_PKTS] = "tx_packets",
	[C_TX_BYTES] = "tx_bytes",
	[C_RX_HS_INIT] = "rx_handshake_init",
	[C_RX_DATA] = "rx_data",
	[C_RX_NOISE1] = "rx_noise1",
	[C_RX_NOISE3] = "rx_noise3",
	[C_RX_INVALID] = "rx_invalid",
	[C_RX_CORRUPT] = "rx_corrupt",
	[C_CID_MISMATCH] = "rx_cid_mismatch",
	[C_HS_BAD_OUTER] = "rx_handshake_bad_outer_cid",
	[C_TX_ERRORS] = "tx_errors",
	[C_SESSIONS] = "sessions",
	[C_SESSIONS_MIGRATED] = "sessions_multi_source",
	[C_SRC_CHANGES] = "source_changes",
	[C_TABLE_FULL] = "session_table_full",
};

struct be_worker {
	pthread_t thread;
	unsigned int idx;
	int fd;
	uint64_t ctr[C_MAX];			/* owned by the worker */
	_Atomic uint64_t pub[C_MAX];		/* published copy */
	struct be_session *tab;
	size_t tab_mask;
	size_t tab_limit;			/* max entries (load <= 1/2) */
	struct mmsghdr rx[BE_BATCH_MAX];
	struct mmsghdr tx[BE_BATCH_MAX];
	struct iovec rx_iov[BE_BATCH_MAX];
	struct iovec tx_iov[BE_BATCH_MAX];
	union wgw_sa names[BE_BATCH_MAX];
	uint8_t (*bufs)[BE_BUF_LEN];
};

struct be_config {
	union wgw_sa bind;
	unsigned int id;
	unsigned int threads;
	unsigned int batch;
	uint64_t max_sessions;
	bool sink;
	bool reuseport;
	const char *json;
	const char *dump_sessions;
	const char *bind_str;
};

static struct be_config cfg = {
	.id = 1,
	.threads = 1,
	.batch = 64,
	.max_sessions = BE_MAX_SESSIONS_DEFAULT,
};
static _Atomic bool stop;
static struct be_worker *workers;
static uint64_t start_ns;

/* ------------------------------------------------------------ sessions */

static void ep_from_sa(struct be_ep *ep, const union wgw_sa *sa)
{
	memset(ep, 0, sizeof(*ep));
	if (sa->sa.sa_family == AF_INET) {
		ep->addr[10] = 0xff;
		ep->addr[11] = 0xff;
		memcpy(ep->addr + 12, &sa->in.sin_addr, 4);
		ep->port = sa->in.sin_port;
	} else {
		memcpy(ep->addr, &sa->in6.sin6_addr, 16);
		ep->port = sa->in6.sin6_port;
	}
}

static const char *ep_str(const struct be_ep *ep, char *buf, size_t len)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	union wgw_sa sa;

	memset(&sa, 0, sizeof(sa));
	if (!memcmp(ep->addr, v4mapped, sizeof(v4mapped))) {
		sa.in.sin_family = AF_INET;
		memcpy(&sa.in.sin_addr, ep->addr + 12, 4);
		sa.in.sin_port = ep->port;
	} else {
		sa.in6.sin6_family = AF_INET6;
		memcpy(&sa.in6.sin6_addr, ep->addr, 16);
		sa.in6.sin6_port = ep->port;
	}
	return wgw_sa_str(&sa, buf, len);
}

static inline bool ep_eq(const struct be_ep *a, const struct be_ep *b)
{
	return a->port == b->port && !memcmp(a->addr, b->addr, 16);
}

static inline size_t cid_slot(uint64_t cid)
{
	/* CIDs are random, but tests may pick sequential ones: mix. */
	cid ^= cid >> 33;
	cid *= 0xff51afd7ed558ccdULL;
	cid ^= cid >> 33;
	return (size_t)cid;
}

/* The session entry of cid in table tab, or NULL when the table is at its
 * limit.  New entries are zeroed except for the CID. */
static struct be_session *tab_get(struct be_session *tab, size_t mask, size_t limit,
				  uint64_t *ctr_sessions, uint64_t cid)
{
	size_t i = cid_slot(cid) & mask;

	for (;;) {
		struct be_session *s = &tab[i];

		if (s->cid == cid)
			return s;
		if (s->cid == 0) {
			if (*ctr_sessions >= limit)
				return NULL;
			s->cid = cid;
			(*ctr_sessions)++;
			return s;
		}
		i = (i + 1) & mask;
	}
}

/* Record that session s sent a packet from ep.  Returns 1 when ep differs
 * from the previous source. */
static int session_saw(struct be_session *s, const struct be_ep *ep, uint64_t *migrated)
{
	unsigned int i;

	s->pkts++;
	if (s->nsrc && ep_eq(&s->src[s->nsrc - 1], ep))
		return 0;
	if (s->nsrc == 0) {
		s->src[0] = *ep;
		s->nsrc = 1;
		return 0;
	}
	for (i = 0; i + 1 < s->nsrc; i++) {
		if (ep_eq(&s->src[i], ep)) {
			/* Back to an older endpoint: make it the most recent. */
			struct be_ep t = s->src[i];

			memmove(&s->src[i], &s->src[i + 1], (s->nsrc - 1 - i) * sizeof(t));
			s->src[s->nsrc - 1] = t;
			return 1;
		}
	}
	if (s->nsrc == 1)
		(*migrated)++;
	if (s->nsrc < BE_SRC_MAX) {
		s->src[s->nsrc++] = *ep;
	} else {
		memmove(&s->src[0], &s->src[1], (BE_SRC_MAX - 1) * sizeof(*ep));
		s->src[BE_SRC_MAX - 1] = *ep;
		if (s->src_overflow < UINT8_MAX)
			s->src_overflow++;
	}
	return 1;
}

static size_t tab_size_for(uint64_t max)
{
	size_t n = 16;

	while (n < max * 2)
		n <<= 1;
	return n;
}

/* ------------------------------------------------------------ data path */

static void publish(struct be_worker *w)
{
	unsigned int i;

	for (i = 0; i < C_MAX; i++)
		atomic_store_explicit(&w->pub[i], w->ctr[i], memory_order_relaxed);
}

/*
 * Handle one datagram in place.  Returns the reply length, 0 for no reply.
 */
static size_t handle(struct be_worker *w, uint8_t *buf, size_t len, const union wgw_sa *from)
{
	struct be_session *s;
	struct wgw_tp t;
	struct be_ep ep;
	uint64_t cid;
	uint8_t rtype;
	size_t rlen = len;

	if (!wgw_tp_parse(&t, buf, len)) {
		w->ctr[C_RX_INVALID]++;
		return 0;
	}
	switch (t.type) {
	case WGW_TP_HS_INIT:
		w->ctr[C_RX_HS_INIT]++;
		if (t.outer_cid != WRAITH_CID_HANDSHAKE)
			w->ctr[C_HS_BAD_OUTER]++;
		cid = t.cid;
		rtype = WGW_TP_HS_RESP;
		break;
	case WGW_TP_DATA:
		w->ctr[C_RX_DATA]++;
		if (t.has_cid && t.cid != t.outer_cid)
			w->ctr[C_CID_MISMATCH]++;
		cid = t.outer_cid;
		rtype = WGW_TP_DATA_REPLY;
		break;
	case WGW_TP_NOISE1:
		w->ctr[C_RX_NOISE1]++;
		cid = t.cid;
		rtype = WGW_TP_NOISE2;
		rlen = WGW_TP_NOISE2_LEN;
		break;
	case WGW_TP_NOISE3:
		w->ctr[C_RX_NOISE3]++;
		cid = t.cid;
		rtype = 0;
		break;
	default:	/* a reply type sent to a backend */
		w->ctr[C_RX_INVALID]++;
		return 0;
	}
	if (!wgw_tp_padding_ok(buf, wgw_tp_pad_start(t.bare), len))
		w->ctr[C_RX_CORRUPT]++;

	if (cid != WRAITH_CID_INVALID) {
		s = tab_get(w->tab, w->tab_mask, w->tab_limit, &w->ctr[C_SESSIONS], cid);
		if (s) {
			ep_from_sa(&ep, from);
			w->ctr[C_SRC_CHANGES] += session_saw(s, &ep, &w->ctr[C_SESSIONS_MIGRATED]);
		} else {
			w->ctr[C_TABLE_FULL]++;
		}
	}
	if (cfg.sink || rtype == 0)
		return 0;
	if (rlen > len)
		wgw_tp_fill_padding(buf, len, rlen);
	wgw_tp_make_reply(buf, &t, rtype, (uint16_t)cfg.id, cid);
	return rlen;
}

static void send_all(struct be_worker *w, unsigned int n)
{
	unsigned int done = 0;
	int r;

	while (done < n) {
		r = sendmmsg(w->fd, w->tx + done, n - done, 0);
		if (r > 0) {
			done += (unsigned int)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* The first datagram failed (unreachable, no buffer): count
		 * it and go on with the rest. */
		w->ctr[C_TX_ERRORS]++;
		w->ctr[C_TX_PKTS]--;
		w->ctr[C_TX_BYTES] -= w->tx[done].msg_hdr.msg_iov->iov_len;
		done++;
	}
}

static void *worker_main(void *arg)
{
	struct be_worker *w = arg;
	unsigned int i, ntx;
	int n;

	for (i = 0; i < cfg.batch; i++) {
		w->rx_iov[i] = (struct iovec){ w->bufs[i], BE_BUF_LEN };
		w->rx[i].msg_hdr = (struct msghdr){
			.msg_name = &w->names[i],
			.msg_namelen = sizeof(w->names[i]),
			.msg_iov = &w->rx_iov[i],
			.msg_iovlen = 1,
		};
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (i = 0; i < cfg.batch; i++)
			w->rx[i].msg_hdr.msg_namelen = sizeof(w->names[i]);
		/* Blocks (up to SO_RCVTIMEO) for the first datagram only. */
		n = recvmmsg(w->fd, w->rx, cfg.batch, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "wraith-backend: recvmmsg: %s\n", strerror(errno));
				break;
			}
			continue;
		}
		ntx = 0;
		for (i = 0; i < (unsigned int)n; i++) {
			size_t len = w->rx[i].msg_len, rlen;

			w->ctr[C_RX_PKTS]++;
			w->ctr[C_RX_BYTES] += len;
			rlen = handle(w, w->bufs[i], len, &w->names[i]);
			if (!rlen)
				continue;
			w->tx_iov[ntx] = (struct iovec){ w->bufs[i], rlen };
			w->tx[ntx].msg_hdr = (struct msghdr){
				.msg_name = &w->names[i],
				.msg_namelen = w->rx[i].msg_hdr.msg_namelen,
				.msg_iov = &w->tx_iov[ntx],
				.msg_iovlen = 1,
			};
			w->ctr[C_TX_PKTS]++;
			w->ctr[C_TX_BYTES] += rlen;
			ntx++;
		}
		if (ntx)
			send_all(w, ntx);
		publish(w);
	}
	publish(w);
	return NULL;
}

/* ------------------------------------------------------------ setup */

static int open_socket(void)
{
	int fd, one = 1, err;
	struct timeval tv = { 0, BE_RCVTIMEO_MS * 1000 };

	fd = socket(cfg.bind.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (cfg.reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto err_close;
	if (cfg.bind.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto err_close;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		goto err_close;
	wgw_tool_set_bufs(fd, BE_SOCKBUF);
	if (bind(fd, &cfg.bind.sa, wgw_sa_len(&cfg.bind)))
		goto err_close;
	return fd;

err_close:
	err = -errno;
	close(fd);
	return err;
}

static void sum_counters(uint64_t *sum)
{
	unsigned int i, c;

	memset(sum, 0, C_MAX * sizeof(*sum));
	for (i = 0; i < cfg.threads; i++)
		for (c = 0; c < C_MAX; c++)
			sum[c] += atomic_load_explicit(&workers[i].pub[c], memory_order_relaxed);
}

/* ------------------------------------------------------------ reports */

/* Session statistics over all workers (after they stopped): a session that
 * reached several workers (its new source hashed to another SO_REUSEPORT
 * socket) is merged into one. */
struct be_merged {
	uint64_t sessions;
	uint64_t multi_source;
	uint64_t by_nsrc[BE_SRC_MAX + 2];	/* [n] sessions with n sources, last: more */
};

static int merge_sessions(struct be_merged *m, FILE *dump)
{
	struct be_session *all = NULL, *s, *d;
	uint64_t total = 0, count = 0;
	size_t mask, i, j;
	unsigned int wi, k, n;
	char buf[WGW_SA_STRLEN];

	memset(m, 0, sizeof(*m));
	for (wi = 0; wi < cfg.threads; wi++)
		total += workers[wi].ctr[C_SESSIONS];
	mask = tab_size_for(total ? total : 1) - 1;
	if (cfg.threads > 1) {
		all = calloc(mask + 1, sizeof(*all));
		if (!all)
			return -ENOMEM;
	}
	for (wi = 0; wi < cfg.threads; wi++) {
		struct be_worker *w = &workers[wi];

		if (cfg.threads == 1) {
			all = w->tab;
			mask = w->tab_mask;
			break;
		}
		for (i = 0; i <= w->tab_mask; i++) {
			s = &w->tab[i];
			if (!s->cid)
				continue;
			d = tab_get(all, mask, SIZE_MAX, &count, s->cid);
			d->pkts += s->pkts;
			d->src_overflow += s->src_overflow;
			for (k = 0; k < s->nsrc; k++) {
				for (j = 0; j < d->nsrc; j++)
					if (ep_eq(&d->src[j], &s->src[k]))
						break;
				if (j < d->nsrc)
					continue;
				if (d->nsrc < BE_SRC_MAX)
					d->src[d->nsrc++] = s->src[k];
				else
					d->src_overflow++;
			}
		}
	}
	for (i = 0; i <= mask; i++) {
		s = &all[i];
		if (!s->cid)
			continue;
		n = s->nsrc + (s->src_overflow ? 1 : 0);
		m->sessions++;
		if (n > 1)
			m->multi_source++;
		m->by_nsrc[n <= BE_SRC_MAX ? n : BE_SRC_MAX + 1]++;
		if (dump) {
			fprintf(dump, "%016" PRIx64 " %" PRIu64 " %u%s", s->cid, s->pkts,
				s->nsrc, s->src_overflow ? "+" : "");
			for (k = 0; k < s->nsrc; k++)
				fprintf(dump, " %s", ep_str(&s->src[k], buf, sizeof(buf)));
			fputc('\n', dump);
		}
	}
	if (cfg.threads > 1)
		free(all);
	return 0;
}

static void report_text(FILE *f, const uint64_t *c, const struct be_merged *m)
{
	double secs = (double)(wgw_now_ns() - start_ns) / 1e9;
	unsigned int i;

	fprintf(f, "backend_id: %u\n", cfg.id);
	fprintf(f, "listen: %s\n", cfg.bind_str);
	fprintf(f, "uptime_s: %.3f\n", secs);
	for (i = 0; i < C_MAX; i++) {
		/* Per-worker session counts double-count sessions that moved
		 * between workers: the merged figure replaces them at exit,
		 * and while running with several workers they are only an
		 * upper bound. */
		if (i == C_SESSIONS || i == C_SESSIONS_MIGRATED) {
			if (m)
				continue;
			if (cfg.threads > 1) {
				fprintf(f, "%s_upper_bound: %" PRIu64 "\n", ctr_name[i], c[i]);
				continue;
			}
		}
		fprintf(f, "%s: %" PRIu64 "\n", ctr_name[i], c[i]);
	}
	if (m) {
		fprintf(f, "sessions: %" PRIu64 "\n", m->sessions);
		fprintf(f, "sessions_multi_source: %" PRIu64 "\n", m->multi_source);
		for (i = 1; i <= BE_SRC_MAX; i++)
			fprintf(f, "sessions_sources_%u: %" PRIu64 "\n", i, m->by_nsrc[i]);
		fprintf(f, "sessions_sources_more: %" PRIu64 "\n", m->by_nsrc[BE_SRC_MAX + 1]);
	}
	fflush(f);
}

static int report_json(const char *path, const uint64_t *c, const struct be_merged *m)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"wraith-backend\",\n  \"backend_id\": %u,\n", cfg.id);
	fprintf(f, "  \"listen\": \"%s\",\n  \"threads\": %u,\n", cfg.bind_str, cfg.threads);
	fprintf(f, "  \"uptime_s\": %.3f,\n", (double)(wgw_now_ns() - start_ns) / 1e9);
	for (i = 0; i < C_MAX; i++) {
		if (i == C_SESSIONS || i == C_SESSIONS_MIGRATED)
			continue;
		fprintf(f, "  \"%s\": %" PRIu64 ",\n", ctr_name[i], c[i]);
	}
	fprintf(f, "  \"sessions\": %" PRIu64 ",\n", m->sessions);
	fprintf(f, "  \"sessions_multi_source\": %" PRIu64 ",\n", m->multi_source);
	fprintf(f, "  \"sessions_by_sources\": {");
	for (i = 1; i <= BE_SRC_MAX; i++)
		fprintf(f, "\"%u\": %" PRIu64 ", ", i, m->by_nsrc[i]);
	fprintf(f, "\"more\": %" PRIu64 "}\n}\n", m->by_nsrc[BE_SRC_MAX + 1]);
	if (fclose(f))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------ options */

enum {
	OPT_JSON = 256, OPT_SINK, OPT_BATCH, OPT_MAX_SESSIONS, OPT_DUMP, OPT_REUSEPORT,
};

static const struct wgw_tool_opt opts[] = {
	{ "id", required_argument, 'i', "N", "backend id put in every reply, 1..65535 (default 1)" },
	{ "threads", required_argument, 't', "N", "worker threads, one socket each, SO_REUSEPORT (default 1)" },
	{ "reuseport", no_argument, OPT_REUSEPORT, NULL, "set SO_REUSEPORT even with one thread" },
	{ "sink", no_argument, OPT_SINK, NULL, "count only, send no replies" },
	{ "batch", required_argument, OPT_BATCH, "N", "datagrams per recvmmsg/sendmmsg, 1..256 (default 64)" },
	{ "max-sessions", required_argument, OPT_MAX_SESSIONS, "N", "sessions tracked per thread (default 262144)" },
	{ "json", required_argument, OPT_JSON, "FILE", "write a JSON report to FILE at exit" },
	{ "dump-sessions", required_argument, OPT_DUMP, "FILE", "write 'CID packets nsrc src...' per session at exit" },
	{ "help", no_argument, 'h', NULL, "this help" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	wgw_tool_usage(f, "wraith-backend [OPTIONS] ADDR:PORT",
		"Answer WRAITH test traffic (tests/tools/proto.h) like a backend node:\n"
		"handshake-init -> handshake-resp, data -> data-reply, noise1 -> noise2,\n"
		"with this backend's id and the session CID in the outer header.\n"
		"ADDR:PORT is a.b.c.d:port or [v6]:port (bind a specific address: replies\n"
		"leave from it).  SIGUSR1 prints the report; SIGTERM/SIGINT print it and exit.",
		opts, NOPTS);
}

static int parse_args(int argc, char **argv)
{
	struct option longopts[NOPTS + 1];
	char shortopts[3 * NOPTS + 1];
	uint64_t v;
	int c;

	wgw_tool_getopt_tables(opts, NOPTS, longopts, shortopts);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (wgw_tool_parse_u64(optarg, 1, 65535, "--id", &v))
				return -EINVAL;
			cfg.id = (unsigned int)v;
			break;
		case 't':
			if (wgw_tool_parse_u64(optarg, 1, 64, "--threads", &v))
				return -EINVAL;
			cfg.threads = (unsigned int)v;
			break;
		case OPT_REUSEPORT:
			cfg.reuseport = true;
			break;
		case OPT_SINK:
			cfg.sink = true;
			break;
		case OPT_BATCH:
			if (wgw_tool_parse_u64(optarg, 1, BE_BATCH_MAX, "--batch", &v))
				return -EINVAL;
			cfg.batch = (unsigned int)v;
			break;
		case OPT_MAX_SESSIONS:
			if (wgw_tool_parse_u64(optarg, 1, 1ULL << 26, "--max-sessions", &v))
				return -EINVAL;
			cfg.max_sessions = v;
			break;
		case OPT_JSON:
			cfg.json = optarg;
			break;
		case OPT_DUMP:
			cfg.dump_sessions = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "wraith-backend: expected one ADDR:PORT argument\n");
		usage(stderr);
		return -EINVAL;
	}
	cfg.bind_str = argv[optind];
	if (wgw_tool_parse_endpoint(cfg.bind_str, &cfg.bind)) {
		fprintf(stderr, "wraith-backend: invalid ADDR:PORT '%s': expected a.b.c.d:port or [v6]:port\n",
			cfg.bind_str);
		return -EINVAL;
	}
	if (cfg.threads > 1)
		cfg.reuseport = true;
	return 0;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	uint64_t sum[C_MAX];
	struct be_merged merged;
	unsigned int i, started = 0;
	sigset_t sigs;
	size_t tsize;
	int sig, err, rc = 1;

	if (parse_args(argc, argv))
		return 2;

	/* Workers inherit the mask: only the main thread takes signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	start_ns = wgw_now_ns();

	workers = calloc(cfg.threads, sizeof(*workers));
	if (!workers)
		goto err_oom;
	for (i = 0; i < cfg.threads; i++)
		workers[i].fd = -1;
	tsize = tab_size_for(cfg.max_sessions);
	for (i = 0; i < cfg.threads; i++) {
		struct be_worker *w = &workers[i];

		w->idx = i;
		/* Large and zeroed: calloc gets fresh pages from mmap, so only
		 * the slots used cost memory. */
		w->tab = calloc(tsize, sizeof(*w->tab));
		w->bufs = calloc(cfg.batch, BE_BUF_LEN);
		if (!w->tab || !w->bufs)
			goto err_oom;
		w->tab_mask = tsize - 1;
		w->tab_limit = cfg.max_sessions;
		w->fd = open_socket();
		if (w->fd < 0) {
			fprintf(stderr, "wraith-backend: cannot bind %s: %s\n", cfg.bind_str,
				strerror(-w->fd));
			goto err_workers;
		}
	}
	for (i = 0; i < cfg.threads; i++) {
		err = pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
		if (err) {
			fprintf(stderr, "wraith-backend: pthread_create: %s\n", strerror(err));
			goto err_threads;
		}
		started++;
	}
	fprintf(stderr, "wraith-backend: id %u listening on %s (%u thread%s%s)\n", cfg.id,
		cfg.bind_str, cfg.threads, cfg.threads > 1 ? "s" : "", cfg.sink ? ", sink" : "");

	for (;;) {
		sig = sigwaitinfo(&sigs, NULL);
		if (sig < 0)
			continue;
		if (sig == SIGUSR1) {
			sum_counters(sum);
			report_text(stdout, sum, NULL);
			continue;
		}
		break;
	}
	rc = 0;

err_threads:
	atomic_store(&stop, true);
	for (i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	if (rc == 0) {
		FILE *dump = NULL;

		if (cfg.dump_sessions) {
			dump = fopen(cfg.dump_sessions, "w");
			if (!dump)
				fprintf(stderr, "wraith-backend: %s: %s\n", cfg.dump_sessions,
					strerror(errno));
		}
		sum_counters(sum);
		if (merge_sessions(&merged, dump)) {
			fprintf(stderr, "wraith-backend: out of memory merging sessions\n");
			rc = 1;
		} else {
			report_text(stdout, sum, &merged);
			if (cfg.json && (err = report_json(cfg.json, sum, &merged))) {
				fprintf(stderr, "wraith-backend: %s: %s\n", cfg.json, strerror(-err));
				rc = 1;
			}
		}
		if (dump && fclose(dump))
			rc = 1;
	}
err_workers:
	for (i = 0; workers && i < cfg.threads; i++) {
		if (workers[i].fd >= 0)
			close(workers[i].fd);
		free(workers[i].tab);
		free(workers[i].bufs);
	}
	free(workers);
	return rc;

err_oom:
	fprintf(stderr, "wraith-backend: out of memory\n");
	goto err_workers;
}
