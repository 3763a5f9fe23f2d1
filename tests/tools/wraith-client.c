// SPDX-License-Identifier: GPL-2.0-only
/*
 * wraith-client: simulates WRAITH clients talking to a VIP.
 *
 * N sessions (1 to 1M) are multiplexed over a bounded number of UDP sockets
 * (source ports): session s uses socket s % K.  Each session handshakes
 * (framed handshake-init with CID 0xFF..FF, or the bare Noise messages of
 * today's reference implementation), then sends data packets with its CID
 * at a given total rate.  Every reply is checked: it must come from the
 * VIP address and port the client sent to, on the socket the session uses,
 * with the session's CID, and a sequence number that was sent.  The
 * backend id in the replies says which backend serves each session.
 *
 * Migration (--migrate): halfway through, every session moves to a new
 * socket (new source port, and with --migrate-addr a new source address)
 * and keeps its CID; the report says how many sessions are still answered
 * by the backend that answered before.  Packets carry a "migrated" flag,
 * echoed in replies, so late replies are attributed to the right phase.
 *
 * Data path: sendmmsg/recvmmsg in batches, epoll over the sockets,
 * pre-padded send buffers where only the header is rewritten, a fixed
 * latency histogram; nothing is allocated per packet.  One thread.
 *
 * Exit status: 0 done (whatever the traffic did: the report says), 1 tool
 * error, 2 bad usage, 3 an --expect-* condition failed.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "tests/tools/proto.h"
#include "tests/tools/tool_util.h"

#define CL_BATCH_MAX 256		/* datagrams per sendmmsg/recvmmsg */
#define CL_RX_BUF_LEN 9216		/* bytes per receive buffer */
#define CL_SOCKBUF (4 << 20)		/* bytes, SO_RCVBUF/SO_SNDBUF */
#define CL_MAX_SESSIONS (1U << 20)	/* 1M */
#define CL_MAX_SOCKETS 4096
#define CL_BACKENDS 65536		/* backend ids are u16 */
#define CL_PROGRESS_NS 1000000000ULL	/* ns between --progress lines */

enum cl_state {
	S_IDLE = 0,
	S_HS_SENT,
	S_ESTABLISHED,
	S_FAILED,
};

struct cl_session {
	uint64_t cid;
	uint32_t next_seq;	/* data sequence numbers sent: 0 .. next_seq-1 */
	uint32_t rx;		/* data replies received */
	uint32_t max_seq_rx;
	uint32_t slot;		/* handshake window slot while S_HS_SENT */
	uint16_t backend[2];	/* backend id seen per phase (0: none yet) */
	uint8_t state;
	uint8_t tries;		/* handshake attempts */
	uint8_t changed[2];	/* a second backend answered within a phase */
};

/* An outstanding handshake. */
struct cl_slot {
	uint32_t session;	/* UINT32_MAX: free */
	uint64_t deadline_ns;
};

struct cl_sock {
	int fd;
	union wgw_sa local;
};

struct cl_config {
	union wgw_sa vip;		/* the first VIP port */
	unsigned int vip_ports;		/* VIP ports vip..vip+vip_ports-1 */
	const char *vip_str;
	union wgw_sa bind;		/* family 0: wildcard */
	union wgw_sa migrate_addr;	/* family 0: keep the address */
	uint64_t sessions;
	uint64_t sockets;		/* 0: automatic */
	uint64_t size;
	uint64_t pps;
	uint64_t hs_pps;
	double duration_s;
	uint64_t count;
	uint64_t hs_timeout_ms;
	uint64_t hs_retries;
	uint64_t hs_window;
	uint64_t batch;
	uint64_t drain_ms;
	uint64_t inflight;		/* 0: open loop */
	uint64_t seed;
	bool seed_set;
	bool bare;
	bool no_handshake;
	bool migrate;
	bool progress;
	const char *json;
	const char *dump_sessions;
	double expect_loss_max;		/* < 0: no expectation */
	double expect_kept_min;
	bool expect_clean;
};

static struct cl_config cfg = {
	.sessions = 1,
	.vip_ports = 1,
	.size = 64,
	.hs_timeout_ms = 500,
	.hs_retries = 3,
	.hs_window = 1024,
	.batch = 32,
	.drain_ms = 1000,
	.expect_loss_max = -1,
	.expect_kept_min = -1,
};

/* Counters. */
struct cl_stats {
	uint64_t hs_ok, hs_failed, hs_retries, hs_dup, hs_late;
	uint64_t tx_hs, tx_data, tx_bytes, tx_errors;
	uint64_t rx_total, rx_data, rx_bytes;
	uint64_t rx_data_phase[2];
	uint64_t tx_data_phase[2];
	uint64_t wrong_source, wrong_cid, misdelivered, invalid, corrupt;
	uint64_t unexpected_seq, reordered, wrong_type;
	uint64_t inflight_stalls, written_off;
	uint64_t send_start_ns, send_end_ns, migrate_ns;
};

/* Data packets sent and neither answered nor written off (--inflight). */
static inline uint64_t outstanding(void);

static struct cl_session *sess;
static union wgw_sa *vips;		/* [cfg.vip_ports]: session s talks to vips[s % n] */
static struct cl_slot *slots;
static uint32_t *free_slots;
static uint32_t nfree;
static struct cl_sock *socks[2];
static unsigned int nsock;
static unsigned int phase;		/* 0 before migration, 1 after */
static int epfd = -1;
static struct cl_stats st;
static struct wgw_hist lat, hs_rtt;
static uint64_t *be_pkts;		/* [CL_BACKENDS] data replies per backend */
static volatile sig_atomic_t interrupted;

/* Send staging: one batch for one socket at a time. */
static struct mmsghdr tx_msgs[CL_BATCH_MAX];
static struct iovec tx_iov[CL_BATCH_MAX];
static uint8_t (*tx_bufs)[CL_RX_BUF_LEN];
static size_t tx_buf_len[CL_BATCH_MAX];	/* length the padding was written for */
static bool tx_buf_bare[CL_BATCH_MAX];

/* Receive. */
static struct mmsghdr rx_msgs[CL_BATCH_MAX];
static struct iovec rx_iov[CL_BATCH_MAX];
static union wgw_sa rx_names[CL_BATCH_MAX];
static uint8_t (*rx_bufs)[CL_RX_BUF_LEN];

/* Bare mode: noise3 messages owed, per socket, sent after an rx batch. */
static uint32_t *noise3_pending;
static unsigned int noise3_n;

/* Data phase: established sessions grouped by socket. */
static uint32_t *order;
static uint32_t *order_off, *order_len, *order_cur;

/* The first SIGINT/SIGTERM stops sending and lets the replies already
 * on their way come home (--drain); a second one stops at once. */
static void on_signal(int sig)
{
	(void)sig;
	if (interrupted < 2)
		interrupted++;
}

static inline uint64_t outstanding(void)
{
	uint64_t done = st.rx_data + st.written_off;

	return st.tx_data > done ? st.tx_data - done : 0;
}

/* ------------------------------------------------------------ sockets */

static int open_sock(struct cl_sock *s, const union wgw_sa *addr)
{
	union wgw_sa b;
	socklen_t len;
	int one = 1, err;

	s->fd = socket(cfg.vip.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	if (cfg.vip.sa.sa_family == AF_INET6 &&
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto err_close;
	wgw_tool_set_bufs(s->fd, CL_SOCKBUF);
	memset(&b, 0, sizeof(b));
	if (addr->sa.sa_family)
		b = *addr;
	else
		b.sa.sa_family = cfg.vip.sa.sa_family;
	if (b.sa.sa_family == AF_INET)
		b.in.sin_port = 0;
	else
		b.in6.sin6_port = 0;
	if (bind(s->fd, &b.sa, wgw_sa_len(&b)))
		goto err_close;
	len = sizeof(s->local);
	if (getsockname(s->fd, &s->local.sa, &len))
		goto err_close;
	return 0;

err_close:
	err = -errno;
	close(s->fd);
	s->fd = -1;
	return err;
}

/* Open the K sockets of phase p and register them with epoll. */
static int open_phase(unsigned int p, const union wgw_sa *addr)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char buf[WGW_SA_STRLEN];
	unsigned int i;
	int err;

	for (i = 0; i < nsock; i++)
		socks[p][i].fd = -1;
	for (i = 0; i < nsock; i++) {
		err = open_sock(&socks[p][i], addr);
		if (err) {
			fprintf(stderr, "wraith-client: socket bound to %s: %s\n",
				addr->sa.sa_family ? wgw_sa_str(addr, buf, sizeof(buf)) : "any",
				strerror(-err));
			return err;
		}
		ev.data.u64 = ((uint64_t)p << 32) | i;
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, socks[p][i].fd, &ev))
			return -errno;
	}
	return 0;
}

static void close_phase(unsigned int p)
{
	unsigned int i;

	if (!socks[p])
		return;
	for (i = 0; i < nsock; i++) {
		if (socks[p][i].fd >= 0) {
			close(socks[p][i].fd); /* also leaves the epoll set */
			socks[p][i].fd = -1;
		}
	}
}

/* ------------------------------------------------------------ sending */

static size_t hs_len(void)
{
	if (cfg.bare)
		return WGW_TP_NOISE1_LEN;
	return cfg.size > WGW_TP_HS_MIN ? cfg.size : WGW_TP_HS_MIN;
}

/* Make staging buffer i ready for a len-byte packet: the padding is written
 * only when the layout changes. */
static uint8_t *stage(unsigned int i, size_t len, bool bare, uint32_t s)
{
	const union wgw_sa *vip = &vips[s % cfg.vip_ports];

	if (tx_buf_len[i] != len || tx_buf_bare[i] != bare) {
		wgw_tp_fill_padding(tx_bufs[i], wgw_tp_pad_start(bare), len);
		tx_buf_len[i] = len;
		tx_buf_bare[i] = bare;
	}
	tx_iov[i] = (struct iovec){ tx_bufs[i], len };
	tx_msgs[i].msg_hdr = (struct msghdr){
		.msg_name = (void *)vip,
		.msg_namelen = wgw_sa_len(vip),
		.msg_iov = &tx_iov[i],
		.msg_iovlen = 1,
	};
	return tx_bufs[i];
}

/* Write the handshake (or bare noise) packet of session s into stage i. */
static void stage_handshake(unsigned int i, uint32_t s, uint8_t type, uint64_t now)
{
	struct wgw_tp t = {
		.type = type,
		.session = s,
		.seq = sess[s].tries,
		.ts_ns = now,
		.cid = sess[s].cid,
		.flags = phase ? WGW_TP_F_MIGRATED : 0,
	};
	size_t len;
	uint8_t *b;

	if (type == WGW_TP_NOISE3)
		len = WGW_TP_NOISE3_LEN;
	else
		len = hs_len();
	b = stage(i, len, cfg.bare, s);
	wgw_tp_write_hdr(b, len, cfg.bare, WRAITH_CID_HANDSHAKE, &t);
}

static void stage_data(unsigned int i, uint32_t s, uint64_t now)
{
	struct cl_session *x = &sess[s];
	struct wgw_tp t = {
		.type = WGW_TP_DATA,
		.flags = phase ? WGW_TP_F_MIGRATED : 0,
		.session = s,
		.seq = x->next_seq++,
		.ts_ns = now,
		.cid = x->cid,
	};
	uint8_t *b = stage(i, cfg.size, false, s);

	wgw_tp_write_hdr(b, cfg.size, false, x->cid, &t);
}

/* Send staged packets 0..n-1 on fd.  Returns how many went out; a packet
 * the kernel refuses (no buffer, unreachable) is counted and skipped, and
 * EAGAIN ends the batch early (the caller retries later). */
static unsigned int flush(int fd, unsigned int n)
{
	unsigned int done = 0;
	int r;

	while (done < n) {
		r = sendmmsg(fd, tx_msgs + done, n - done, 0);
		if (r > 0) {
			done += (unsigned int)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == ENOBUFS))
			break;
		st.tx_errors++;
		done++;
	}
	return done;
}

/* ------------------------------------------------------------ receiving */

static void slot_free(uint32_t s)
{
	uint32_t k = sess[s].slot;

	slots[k].session = UINT32_MAX;
	free_slots[nfree++] = k;
}

static void on_established(uint32_t s, uint16_t backend, uint64_t ts, uint64_t now)
{
	struct cl_session *x = &sess[s];

	slot_free(s);
	x->state = S_ESTABLISHED;
	x->backend[0] = backend;
	st.hs_ok++;
	if (ts && now > ts)
		wgw_hist_add(&hs_rtt, now - ts);
}

/* The VIP's address and a port of its range. */
static bool from_vip(const union wgw_sa *from)
{
	union wgw_sa a = *from;
	uint16_t port, base;

	if (from->sa.sa_family == AF_INET) {
		port = ntohs(from->in.sin_port);
		base = ntohs(cfg.vip.in.sin_port);
		a.in.sin_port = cfg.vip.in.sin_port;
	} else {
		port = ntohs(from->in6.sin6_port);
		base = ntohs(cfg.vip.in6.sin6_port);
		a.in6.sin6_port = cfg.vip.in6.sin6_port;
		a.in6.sin6_flowinfo = 0;
		a.in6.sin6_scope_id = 0;
	}
	return port >= base && (unsigned int)(port - base) < cfg.vip_ports && wgw_sa_eq(&a, &cfg.vip);
}

static void on_reply(unsigned int p, unsigned int k, const uint8_t *buf, size_t len,
		     const union wgw_sa *from, uint64_t now)
{
	struct cl_session *x;
	struct wgw_tp t;
	unsigned int ph;

	st.rx_total++;
	st.rx_bytes += len;
	if (!from_vip(from)) {
		st.wrong_source++;
		return;
	}
	if (!wgw_tp_parse(&t, buf, len) || t.session >= cfg.sessions) {
		st.invalid++;
		return;
	}
	/* From the VIP, but from another port of its range than the one
	 * this session talks to. */
	if (!wgw_sa_eq(from, &vips[t.session % cfg.vip_ports])) {
		st.wrong_source++;
		return;
	}
	x = &sess[t.session];
	if ((!t.bare && t.outer_cid != x->cid) || (t.has_cid && t.cid != x->cid)) {
		st.wrong_cid++;
		return;
	}
	ph = (t.flags & WGW_TP_F_MIGRATED) ? 1 : 0;
	if (k != t.session % nsock || p != ph) {
		/* Right CID, wrong client port/address: a NAT mapping mixup. */
		st.misdelivered++;
		return;
	}
	if (!wgw_tp_padding_ok(buf, wgw_tp_pad_start(t.bare), len))
		st.corrupt++;

	switch (t.type) {
	case WGW_TP_HS_RESP:
	case WGW_TP_NOISE2:
		if ((t.type == WGW_TP_NOISE2) != cfg.bare) {
			st.wrong_type++;
			break;
		}
		if (x->state == S_HS_SENT) {
			on_established(t.session, t.backend, t.ts_ns, now);
			if (cfg.bare)
				noise3_pending[noise3_n++] = t.session;
		} else if (x->state == S_ESTABLISHED) {
			st.hs_dup++;
		} else {
			st.hs_late++;
		}
		break;
	case WGW_TP_DATA_REPLY:
		st.rx_data++;
		st.rx_data_phase[ph]++;
		be_pkts[t.backend]++;
		if (t.seq >= x->next_seq) {
			st.unexpected_seq++;
			break;
		}
		if (x->rx && t.seq < x->max_seq_rx)
			st.reordered++;
		else
			x->max_seq_rx = t.seq;
		x->rx++;
		if (!x->backend[ph])
			x->backend[ph] = t.backend;
		else if (x->backend[ph] != t.backend)
			x->changed[ph] = 1;
		if (t.has_ts && now >= t.ts_ns)
			wgw_hist_add(&lat, now - t.ts_ns);
		break;
	default:
		st.wrong_type++;
		break;
	}
}

/* Send the noise3 messages owed by the last rx batch (all on socket k). */
static void send_noise3(unsigned int k, uint64_t now)
{
	unsigned int i, n, sent;

	while (noise3_n) {
		n = noise3_n < cfg.batch ? noise3_n : (unsigned int)cfg.batch;
		for (i = 0; i < n; i++)
			stage_handshake(i, noise3_pending[noise3_n - 1 - i], WGW_TP_NOISE3, now);
		sent = flush(socks[phase][k].fd, n);
		st.tx_hs += sent;
		/* Unsent ones (socket full) are dropped: noise3 gets no answer
		 * and the backend does not need it to answer data. */
		noise3_n -= n;
	}
}

/* Read what socket (p, k) holds, up to CL_RX_ROUNDS batches: replies must
 * not pile up in the socket buffers while we send, or the latency measured
 * is our own queueing. */
#define CL_RX_ROUNDS 16
static void rx_socket(unsigned int p, unsigned int k)
{
	unsigned int i, round;
	uint64_t now;
	int n;

	for (round = 0; round < CL_RX_ROUNDS && socks[p][k].fd >= 0; round++) {
		for (i = 0; i < cfg.batch; i++)
			rx_msgs[i].msg_hdr.msg_namelen = sizeof(rx_names[i]);
		n = recvmmsg(socks[p][k].fd, rx_msgs, (unsigned int)cfg.batch, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = wgw_now_ns();
		for (i = 0; i < (unsigned int)n; i++)
			on_reply(p, k, rx_bufs[i], rx_msgs[i].msg_len, &rx_names[i], now);
		if (noise3_n)
			send_noise3(k, now);
		if ((unsigned int)n < cfg.batch)
			return;
	}
}

/* Wait up to timeout_ns for replies and take what is there. */
static void poll_rx(uint64_t timeout_ns)
{
	struct epoll_event ev[256];
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_ns / 1000000000ULL),
		.tv_nsec = (long)(timeout_ns % 1000000000ULL),
	};
	int n, i;

	n = epoll_pwait2(epfd, ev, 256, &ts, NULL);
	for (i = 0; i < n; i++)
		rx_socket((unsigned int)(ev[i].data.u64 >> 32), (unsigned int)ev[i].data.u64);
}

/* ------------------------------------------------------------ handshakes */

static int handshake_phase(void)
{
	uint64_t timeout_ns = cfg.hs_timeout_ms * 1000000ULL;
	uint64_t started = 0, t0 = wgw_now_ns(), now;
	uint32_t *next;		/* per socket: next session index to start */
	unsigned int k = 0, i, n, sent, rounds;
	uint8_t type = cfg.bare ? WGW_TP_NOISE1 : WGW_TP_HS_INIT;

	next = calloc(nsock, sizeof(*next));
	if (!next)
		return -ENOMEM;
	for (i = 0; i < nsock; i++)
		next[i] = i;

	while (st.hs_ok + st.hs_failed < cfg.sessions && !interrupted) {
		now = wgw_now_ns();

		/* Expired handshakes: retry or give up.  Retries are rare: one
		 * sendto each. */
		for (i = 0; i < cfg.hs_window; i++) {
			struct cl_slot *sl = &slots[i];
			uint32_t s = sl->session;

			if (s == UINT32_MAX || sl->deadline_ns > now)
				continue;
			if (sess[s].tries > cfg.hs_retries) {
				sess[s].state = S_FAILED;
				slot_free(s);
				st.hs_failed++;
				continue;
			}
			sess[s].tries++;
			st.hs_retries++;
			stage_handshake(0, s, type, now);
			if (flush(socks[phase][s % nsock].fd, 1) == 1)
				st.tx_hs++;
			sl->deadline_ns = now + timeout_ns;
		}

		/* New handshakes, socket by socket, within the window and the
		 * handshake rate. */
		for (rounds = 0; rounds < nsock && nfree && started < cfg.sessions; rounds++) {
			uint64_t budget = cfg.batch;

			if (cfg.hs_pps) {
				uint64_t allowed = (now - t0) * cfg.hs_pps / 1000000000ULL + 1;

				budget = allowed > started ? allowed - started : 0;
				if (budget > cfg.batch)
					budget = cfg.batch;
				if (!budget)
					break;
			}
			n = 0;
			while (n < budget && n < nfree && next[k] < cfg.sessions) {
				sess[next[k]].tries = 1;
				stage_handshake(n, next[k], type, now);
				next[k] += nsock;
				n++;
			}
			sent = n ? flush(socks[phase][k].fd, n) : 0;
			/* Unsent ones go back: next[k] rewinds. */
			next[k] -= (n - sent) * nsock;
			for (i = 0; i < sent; i++) {
				uint32_t s = next[k] - (sent - i) * nsock;
				uint32_t slot = free_slots[--nfree];

				sess[s].state = S_HS_SENT;
				sess[s].slot = slot;
				slots[slot] = (struct cl_slot){ s, now + timeout_ns };
			}
			st.tx_hs += sent;
			started += sent;
			k = (k + 1) % nsock;
		}

		poll_rx(nfree && started < cfg.sessions && !cfg.hs_pps ? 0 : 1000000ULL);
	}
	free(next);
	return interrupted ? -EINTR : 0;
}

/* ------------------------------------------------------------ data */

static int build_order(void)
{
	unsigned int k;
	uint32_t s, n = 0;

	order = calloc(cfg.sessions, sizeof(*order));
	order_off = calloc(nsock, sizeof(*order_off));
	order_len = calloc(nsock, sizeof(*order_len));
	order_cur = calloc(nsock, sizeof(*order_cur));
	if (!order || !order_off || !order_len || !order_cur)
		return -ENOMEM;
	for (k = 0; k < nsock; k++) {
		order_off[k] = n;
		for (s = k; s < cfg.sessions; s += nsock)
			if (sess[s].state == S_ESTABLISHED)
				order[n++] = s;
		order_len[k] = n - order_off[k];
	}
	return 0;
}

/* Wait until every data packet sent so far has its reply, or timeout. */
static void drain(uint64_t timeout_ns)
{
	uint64_t end = wgw_now_ns() + timeout_ns, now;

	while (interrupted < 2 && st.rx_data < st.tx_data && (now = wgw_now_ns()) < end)
		poll_rx(end - now < 10000000ULL ? end - now : 10000000ULL);
}

static int migrate(void)
{
	const union wgw_sa *addr = cfg.migrate_addr.sa.sa_family ? &cfg.migrate_addr : &cfg.bind;
	int err;

	/* Let the replies of phase 0 come home on phase 0's sockets. */
	drain(cfg.drain_ms * 1000000ULL);
	err = open_phase(1, addr);
	if (err)
		return err;
	close_phase(0);
	phase = 1;
	st.migrate_ns = wgw_now_ns();
	return 0;
}

static void progress(uint64_t now, uint64_t t0)
{
	static uint64_t last_ns, last_tx, last_rx;
	double dt;

	if (!last_ns)
		last_ns = t0;
	if (now - last_ns < CL_PROGRESS_NS)
		return;
	dt = (double)(now - last_ns) / 1e9;
	fprintf(stderr, "wraith-client: t=%.1fs tx %.0f pps rx %.0f pps, %" PRIu64
		" sent %" PRIu64 " received\n", (double)(now - t0) / 1e9,
		(double)(st.tx_data - last_tx) / dt, (double)(st.rx_data - last_rx) / dt,
		st.tx_data, st.rx_data);
	last_ns = now;
	last_tx = st.tx_data;
	last_rx = st.rx_data;
}

static int data_phase(void)
{
	uint64_t t0, now, end_ns, duration_ns, allowed, budget, total, rep, max_len = 0;
	uint64_t want = 0;	/* packets left in the current socket's visit */
	unsigned int k = 0, n, sent, rounds;
	bool migrated = false;
	int err;

	err = build_order();
	if (err)
		return err;
	total = 0;
	for (k = 0; k < nsock; k++)
		total += order_len[k];
	if (!total)
		return 0; /* nothing established: the report says why */
	for (k = 0; k < nsock; k++)
		if (order_len[k] > max_len)
			max_len = order_len[k];
	rep = cfg.batch / max_len ? cfg.batch / max_len : 1;

	duration_ns = (uint64_t)(cfg.duration_s * 1e9);
	t0 = wgw_now_ns();
	st.send_start_ns = t0;
	end_ns = duration_ns ? t0 + duration_ns : UINT64_MAX;
	k = 0;
	while (!interrupted) {
		now = wgw_now_ns();
		if (cfg.progress)
			progress(now, t0);
		if (now >= end_ns || (cfg.count && st.tx_data >= cfg.count))
			break;
		if (cfg.migrate && !migrated &&
		    ((cfg.count && st.tx_data >= cfg.count / 2) ||
		     (duration_ns && now - t0 >= duration_ns / 2))) {
			uint64_t m0 = now;

			err = migrate();
			if (err)
				return err;
			migrated = true;
			/* The drain is not sending time: move the schedule. */
			now = wgw_now_ns();
			t0 += now - m0;
			if (end_ns != UINT64_MAX)
				end_ns += now - m0;
			st.send_start_ns += now - m0;
		}

		/*
		 * A round visits every socket once and gives each of its
		 * sessions rep packets, in batches of at most --batch: sessions
		 * get equal shares (per-backend counts in tests are exact)
		 * while a socket with few sessions still sends full batches.
		 * Near the end of a --count run rep drops to 1, so the last
		 * partial round shortchanges a session by one packet at most.
		 */
		if (cfg.count && rep > 1 && cfg.count - st.tx_data < rep * total)
			rep = 1;
		for (rounds = 0; rounds < nsock; rounds++, k = (k + 1) % nsock) {
			/* A visit cut short by the rate or the window resumes
			 * where it stopped, so no socket hogs a slow run. */
			if (!want)
				want = rep * order_len[k];
			while (want) {
				budget = want < cfg.batch ? want : cfg.batch;
				if (cfg.pps) {
					allowed = (now - t0) * cfg.pps / 1000000000ULL + 1;
					allowed = allowed > st.tx_data ? allowed - st.tx_data : 0;
					if (budget > allowed)
						budget = allowed;
				}
				if (cfg.count && budget > cfg.count - st.tx_data)
					budget = cfg.count - st.tx_data;
				if (cfg.inflight) {
					uint64_t out = outstanding();

					out = out >= cfg.inflight ? 0 : cfg.inflight - out;
					if (budget > out)
						budget = out;
				}
				if (!budget)
					goto round_done;
				for (n = 0; n < budget; n++) {
					stage_data(n, order[order_off[k] + order_cur[k]], now);
					if (++order_cur[k] == order_len[k])
						order_cur[k] = 0;
				}
				sent = flush(socks[phase][k].fd, n);
				st.tx_data += sent;
				st.tx_data_phase[phase] += sent;
				st.tx_bytes += sent * cfg.size;
				want -= sent;
				if (sent < n) {
					/* Socket full: give back the unsent
					 * packets' sequence numbers, retry later. */
					while (n > sent) {
						n--;
						order_cur[k] = order_cur[k] ? order_cur[k] - 1 :
									      order_len[k] - 1;
						sess[order[order_off[k] + order_cur[k]]].next_seq--;
					}
					goto round_done;
				}
			}
		}
round_done:

		/* Replies; sleep until the next packet is due when rate-limited. */
		if (cfg.pps) {
			uint64_t next_due = t0 + (st.tx_data + 1) * 1000000000ULL / cfg.pps;

			now = wgw_now_ns();
			poll_rx(next_due > now ? next_due - now : 0);
		} else if (cfg.inflight && outstanding() >= cfg.inflight) {
			/* Closed loop: wait for a reply.  When none comes for
			 * --drain ms, what is outstanding is taken as lost, or a
			 * lossy path would stop the run. */
			uint64_t before = st.rx_data;

			poll_rx(cfg.drain_ms * 1000000ULL);
			if (st.rx_data == before) {
				st.inflight_stalls++;
				st.written_off += outstanding();
			}
		} else {
			poll_rx(0);
		}
	}
	st.send_end_ns = wgw_now_ns();
	drain(cfg.drain_ms * 1000000ULL);
	return 0;
}

/* ------------------------------------------------------------ report */

struct cl_summary {
	uint64_t established, unanswered, changed;
	uint64_t mig_answered_before, mig_answered_after, mig_kept, mig_moved, mig_lost;
	uint32_t *be_sessions[2];	/* [CL_BACKENDS] */
	double loss_pct, send_s, tx_pps, rx_pps, kept_pct;
};

static int summarise(struct cl_summary *m)
{
	uint64_t s;

	memset(m, 0, sizeof(*m));
	m->be_sessions[0] = calloc(CL_BACKENDS, sizeof(uint32_t));
	m->be_sessions[1] = calloc(CL_BACKENDS, sizeof(uint32_t));
	if (!m->be_sessions[0] || !m->be_sessions[1])
		return -ENOMEM;
	for (s = 0; s < cfg.sessions; s++) {
		struct cl_session *x = &sess[s];

		if (x->state != S_ESTABLISHED)
			continue;
		m->established++;
		if (x->next_seq && !x->rx)
			m->unanswered++;
		if (x->changed[0] || x->changed[1])
			m->changed++;
		if (x->backend[0])
			m->be_sessions[0][x->backend[0]]++;
		if (x->backend[1])
			m->be_sessions[1][x->backend[1]]++;
		if (!cfg.migrate || !x->backend[0])
			continue;
		m->mig_answered_before++;
		if (!x->backend[1]) {
			m->mig_lost++;
			continue;
		}
		m->mig_answered_after++;
		if (x->backend[1] == x->backend[0])
			m->mig_kept++;
		else
			m->mig_moved++;
	}
	if (st.tx_data) {
		uint64_t rx = st.rx_data - st.unexpected_seq;

		m->loss_pct = rx >= st.tx_data ? 0.0 :
			100.0 * (double)(st.tx_data - rx) / (double)st.tx_data;
	}
	if (st.send_end_ns > st.send_start_ns)
		m->send_s = (double)(st.send_end_ns - st.send_start_ns) / 1e9;
	if (m->send_s > 0) {
		m->tx_pps = (double)st.tx_data / m->send_s;
		m->rx_pps = (double)st.rx_data / m->send_s;
	}
	if (m->mig_answered_before)
		m->kept_pct = 100.0 * (double)m->mig_kept / (double)m->mig_answered_before;
	return 0;
}

#define US(ns) ((double)(ns) / 1000.0)

static void report_text(FILE *f, const struct cl_summary *m)
{
	unsigned int b;

	fprintf(f, "vip: %s\n", cfg.vip_str);
	fprintf(f, "vip_ports: %u\n", cfg.vip_ports);
	fprintf(f, "handshake_mode: %s\n", cfg.no_handshake ? "none" : cfg.bare ? "bare-noise" : "framed");
	fprintf(f, "sessions: %" PRIu64 "\n", cfg.sessions);
	fprintf(f, "sockets: %u\n", nsock);
	fprintf(f, "payload_bytes: %" PRIu64 "\n", cfg.size);
	fprintf(f, "handshakes_ok: %" PRIu64 "\n", st.hs_ok);
	fprintf(f, "handshakes_failed: %" PRIu64 "\n", st.hs_failed);
	fprintf(f, "handshake_retries: %" PRIu64 "\n", st.hs_retries);
	fprintf(f, "handshake_duplicates: %" PRIu64 "\n", st.hs_dup);
	fprintf(f, "handshake_late: %" PRIu64 "\n", st.hs_late);
	fprintf(f, "handshake_rtt_p50_us: %.1f\n", US(wgw_hist_percentile(&hs_rtt, 50)));
	fprintf(f, "handshake_rtt_p99_us: %.1f\n", US(wgw_hist_percentile(&hs_rtt, 99)));
	fprintf(f, "tx_packets: %" PRIu64 "\n", st.tx_data);
	fprintf(f, "rx_packets: %" PRIu64 "\n", st.rx_data);
	fprintf(f, "tx_bytes: %" PRIu64 "\n", st.tx_bytes);
	fprintf(f, "tx_errors: %" PRIu64 "\n", st.tx_errors);
	fprintf(f, "loss_pct: %.3f\n", m->loss_pct);
	fprintf(f, "send_duration_s: %.3f\n", m->send_s);
	fprintf(f, "tx_pps: %.0f\n", m->tx_pps);
	fprintf(f, "rx_pps: %.0f\n", m->rx_pps);
	fprintf(f, "latency_samples: %" PRIu64 "\n", lat.count);
	fprintf(f, "latency_p50_us: %.1f\n", US(wgw_hist_percentile(&lat, 50)));
	fprintf(f, "latency_p99_us: %.1f\n", US(wgw_hist_percentile(&lat, 99)));
	fprintf(f, "latency_max_us: %.1f\n", US(lat.count ? lat.max : 0));
	fprintf(f, "wrong_cid: %" PRIu64 "\n", st.wrong_cid);
	fprintf(f, "wrong_source: %" PRIu64 "\n", st.wrong_source);
	fprintf(f, "misdelivered: %" PRIu64 "\n", st.misdelivered);
	fprintf(f, "invalid: %" PRIu64 "\n", st.invalid);
	fprintf(f, "corrupt: %" PRIu64 "\n", st.corrupt);
	fprintf(f, "wrong_type: %" PRIu64 "\n", st.wrong_type);
	fprintf(f, "unexpected_seq: %" PRIu64 "\n", st.unexpected_seq);
	fprintf(f, "reordered: %" PRIu64 "\n", st.reordered);
	if (cfg.inflight)
		fprintf(f, "inflight_stalls: %" PRIu64 "\n", st.inflight_stalls);
	fprintf(f, "sessions_unanswered: %" PRIu64 "\n", m->unanswered);
	fprintf(f, "sessions_backend_changed: %" PRIu64 "\n", m->changed);
	for (b = 0; b < CL_BACKENDS; b++) {
		if (!m->be_sessions[0][b] && !m->be_sessions[1][b] && !be_pkts[b])
			continue;
		fprintf(f, "backend.%u.sessions: %u\n", b, m->be_sessions[0][b]);
		if (cfg.migrate)
			fprintf(f, "backend.%u.sessions_after_migration: %u\n", b,
				m->be_sessions[1][b]);
		fprintf(f, "backend.%u.packets: %" PRIu64 "\n", b, be_pkts[b]);
	}
	fprintf(f, "migration: %s\n", cfg.migrate ? "yes" : "no");
	if (cfg.migrate) {
		char a[WGW_SA_STRLEN] = "unchanged";

		if (cfg.migrate_addr.sa.sa_family)
			wgw_sa_str(&cfg.migrate_addr, a, sizeof(a));
		fprintf(f, "migration_address: %s\n", a);
		fprintf(f, "migration_tx_after: %" PRIu64 "\n", st.tx_data_phase[1]);
		fprintf(f, "migration_rx_after: %" PRIu64 "\n", st.rx_data_phase[1]);
		fprintf(f, "migration_sessions: %" PRIu64 "\n", m->mig_answered_before);
		fprintf(f, "migration_kept: %" PRIu64 "\n", m->mig_kept);
		fprintf(f, "migration_moved: %" PRIu64 "\n", m->mig_moved);
		fprintf(f, "migration_unanswered: %" PRIu64 "\n", m->mig_lost);
		fprintf(f, "migration_kept_pct: %.2f\n", m->kept_pct);
	}
	fflush(f);
}

static int report_json(const char *path, const struct cl_summary *m)
{
	FILE *f = fopen(path, "w");
	unsigned int b;
	bool first = true;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"tool\": \"wraith-client\",\n  \"vip\": \"%s\",\n", cfg.vip_str);
	fprintf(f, "  \"vip_ports\": %u,\n", cfg.vip_ports);
	fprintf(f, "  \"handshake_mode\": \"%s\",\n",
		cfg.no_handshake ? "none" : cfg.bare ? "bare-noise" : "framed");
	fprintf(f, "  \"sessions\": %" PRIu64 ",\n  \"sockets\": %u,\n", cfg.sessions, nsock);
	fprintf(f, "  \"payload_bytes\": %" PRIu64 ",\n", cfg.size);
	fprintf(f, "  \"handshakes\": {\"ok\": %" PRIu64 ", \"failed\": %" PRIu64
		", \"retries\": %" PRIu64 ", \"duplicates\": %" PRIu64 ", \"late\": %" PRIu64
		", \"rtt_p50_us\": %.1f, \"rtt_p99_us\": %.1f},\n",
		st.hs_ok, st.hs_failed, st.hs_retries, st.hs_dup, st.hs_late,
		US(wgw_hist_percentile(&hs_rtt, 50)), US(wgw_hist_percentile(&hs_rtt, 99)));
	fprintf(f, "  \"tx_packets\": %" PRIu64 ",\n  \"rx_packets\": %" PRIu64 ",\n",
		st.tx_data, st.rx_data);
	fprintf(f, "  \"tx_bytes\": %" PRIu64 ",\n  \"tx_errors\": %" PRIu64 ",\n",
		st.tx_bytes, st.tx_errors);
	fprintf(f, "  \"loss_pct\": %.3f,\n  \"send_duration_s\": %.3f,\n", m->loss_pct, m->send_s);
	fprintf(f, "  \"tx_pps\": %.0f,\n  \"rx_pps\": %.0f,\n", m->tx_pps, m->rx_pps);
	fprintf(f, "  \"latency_us\": {\"samples\": %" PRIu64 ", \"p50\": %.1f, \"p90\": %.1f"
		", \"p99\": %.1f, \"p999\": %.1f, \"max\": %.1f},\n", lat.count,
		US(wgw_hist_percentile(&lat, 50)), US(wgw_hist_percentile(&lat, 90)),
		US(wgw_hist_percentile(&lat, 99)), US(wgw_hist_percentile(&lat, 99.9)),
		US(lat.count ? lat.max : 0));
	fprintf(f, "  \"errors\": {\"wrong_cid\": %" PRIu64 ", \"wrong_source\": %" PRIu64
		", \"misdelivered\": %" PRIu64 ", \"invalid\": %" PRIu64 ", \"corrupt\": %" PRIu64
		", \"wrong_type\": %" PRIu64 ", \"unexpected_seq\": %" PRIu64 "},\n",
		st.wrong_cid, st.wrong_source, st.misdelivered, st.invalid, st.corrupt,
		st.wrong_type, st.unexpected_seq);
	fprintf(f, "  \"reordered\": %" PRIu64 ",\n", st.reordered);
	fprintf(f, "  \"sessions_unanswered\": %" PRIu64 ",\n", m->unanswered);
	fprintf(f, "  \"sessions_backend_changed\": %" PRIu64 ",\n", m->changed);
	fprintf(f, "  \"backends\": [");
	for (b = 0; b < CL_BACKENDS; b++) {
		if (!m->be_sessions[0][b] && !m->be_sessions[1][b] && !be_pkts[b])
			continue;
		fprintf(f, "%s\n    {\"id\": %u, \"sessions\": %u, \"sessions_after_migration\": %u"
			", \"packets\": %" PRIu64 "}", first ? "" : ",", b, m->be_sessions[0][b],
			m->be_sessions[1][b], be_pkts[b]);
		first = false;
	}
	fprintf(f, "\n  ],\n");
	fprintf(f, "  \"migration\": {\"enabled\": %s, \"tx_after\": %" PRIu64
		", \"rx_after\": %" PRIu64 ", \"sessions\": %" PRIu64 ", \"kept\": %" PRIu64
		", \"moved\": %" PRIu64 ", \"unanswered\": %" PRIu64 ", \"kept_pct\": %.2f}\n}\n",
		cfg.migrate ? "true" : "false", st.tx_data_phase[1], st.rx_data_phase[1],
		m->mig_answered_before, m->mig_kept, m->mig_moved, m->mig_lost, m->kept_pct);
	if (fclose(f))
		return -errno;
	return 0;
}

static int dump_sessions(const char *path)
{
	static const char *const state[] = { "idle", "handshaking", "established", "failed" };
	FILE *f = fopen(path, "w");
	uint64_t s;

	if (!f)
		return -errno;
	for (s = 0; s < cfg.sessions; s++) {
		struct cl_session *x = &sess[s];
		char ep[2][WGW_SA_STRLEN];
		unsigned int p;

		/* The source endpoint of each phase, so that a test can find
		 * which gateway (behind ECMP) saw the session: "-" for a phase
		 * that did not happen. */
		for (p = 0; p < 2; p++) {
			if (p == 0 || cfg.migrate)
				wgw_sa_str(&socks[p][s % nsock].local, ep[p], sizeof(ep[p]));
			else
				strcpy(ep[p], "-");
		}
		fprintf(f, "%" PRIu64 " %016" PRIx64 " %s %u %u %u %u %s %s\n", s, x->cid,
			state[x->state], x->backend[0], x->backend[1], x->next_seq, x->rx,
			ep[0], ep[1]);
	}
	if (fclose(f))
		return -errno;
	return 0;
}

/* --expect-*: returns the number of unmet expectations, each printed. */
static int check_expectations(const struct cl_summary *m)
{
	int bad = 0;

	if (cfg.expect_clean) {
		uint64_t errs = st.wrong_cid + st.wrong_source + st.misdelivered + st.invalid +
				st.corrupt + st.wrong_type + st.unexpected_seq;

		if (st.hs_failed) {
			fprintf(stderr, "wraith-client: expectation failed: %" PRIu64
				" handshakes failed\n", st.hs_failed);
			bad++;
		}
		if (errs) {
			fprintf(stderr, "wraith-client: expectation failed: %" PRIu64
				" bad replies (wrong CID/source/socket, invalid, corrupt)\n", errs);
			bad++;
		}
		if (m->changed) {
			fprintf(stderr, "wraith-client: expectation failed: %" PRIu64
				" sessions answered by two backends within a phase\n", m->changed);
			bad++;
		}
	}
	if (cfg.expect_loss_max >= 0 && m->loss_pct > cfg.expect_loss_max) {
		fprintf(stderr, "wraith-client: expectation failed: loss %.3f%% > %.3f%%\n",
			m->loss_pct, cfg.expect_loss_max);
		bad++;
	}
	if (cfg.expect_kept_min >= 0 && (!cfg.migrate || m->kept_pct < cfg.expect_kept_min)) {
		fprintf(stderr, "wraith-client: expectation failed: kept %.2f%% of sessions across"
			" migration < %.2f%%\n", m->kept_pct, cfg.expect_kept_min);
		bad++;
	}
	return bad;
}

/* ------------------------------------------------------------ options */

enum {
	OPT_PPS = 256, OPT_HS_PPS, OPT_HS_TIMEOUT, OPT_HS_RETRIES, OPT_HS_WINDOW, OPT_BATCH,
	OPT_DRAIN, OPT_SEED, OPT_BARE, OPT_NO_HS, OPT_MIGRATE, OPT_MIGRATE_ADDR, OPT_JSON,
	OPT_BIND, OPT_SOCKETS, OPT_PROGRESS, OPT_EXPECT_CLEAN, OPT_EXPECT_LOSS, OPT_EXPECT_KEPT,
	OPT_INFLIGHT, OPT_DUMP,
};

static const struct wgw_tool_opt opts[] = {
	{ "sessions", required_argument, 'n', "N", "sessions, 1..1048576 (default 1)" },
	{ "sockets", required_argument, OPT_SOCKETS, "K", "UDP sockets (source ports) the sessions share; default min(N, 64)" },
	{ "bind", required_argument, OPT_BIND, "ADDR", "source address (default: chosen by the route)" },
	{ "size", required_argument, 's', "BYTES", "data payload size, 24..9000 (default 64)" },
	{ "pps", required_argument, OPT_PPS, "N", "data packets per second, all sessions (default 0: as fast as possible)" },
	{ "duration", required_argument, 'd', "SECONDS", "data phase length (default 2, or unlimited with --count)" },
	{ "count", required_argument, 'c', "N", "data packets to send in all (ends the run)" },
	{ "bare", no_argument, OPT_BARE, NULL, "bare Noise handshakes (32/96/64 bytes, no CID) instead of framed" },
	{ "no-handshake", no_argument, OPT_NO_HS, NULL, "skip handshakes: sessions send data at once" },
	{ "hs-timeout", required_argument, OPT_HS_TIMEOUT, "MS", "handshake reply timeout (default 500)" },
	{ "hs-retries", required_argument, OPT_HS_RETRIES, "N", "handshake retries before a session fails (default 3)" },
	{ "hs-window", required_argument, OPT_HS_WINDOW, "N", "handshakes outstanding at once (default 1024)" },
	{ "hs-pps", required_argument, OPT_HS_PPS, "N", "new handshakes per second (default 0: window only)" },
	{ "migrate", no_argument, OPT_MIGRATE, NULL, "halfway through, move every session to a new source port" },
	{ "migrate-addr", required_argument, OPT_MIGRATE_ADDR, "ADDR", "... and to this source address (implies --migrate)" },
	{ "inflight", required_argument, OPT_INFLIGHT, "N", "closed loop: at most N data packets unanswered (default 0: open loop)" },
	{ "batch", required_argument, OPT_BATCH, "N", "datagrams per sendmmsg/recvmmsg, 1..256 (default 32)" },
	{ "drain", required_argument, OPT_DRAIN, "MS", "wait for outstanding replies, at the end and before migrating (default 1000)" },
	{ "seed", required_argument, OPT_SEED, "N", "seed for the session CIDs (default random)" },
	{ "json", required_argument, OPT_JSON, "FILE", "also write the report as JSON to FILE" },
	{ "dump-sessions", required_argument, OPT_DUMP, "FILE", "write 'session CID state backend-before backend-after tx rx endpoint-before endpoint-after' lines" },
	{ "progress", no_argument, OPT_PROGRESS, NULL, "print rates to stderr every second" },
	{ "expect-clean", no_argument, OPT_EXPECT_CLEAN, NULL, "exit 3 unless all handshakes succeeded and no reply was wrong" },
	{ "expect-loss-max", required_argument, OPT_EXPECT_LOSS, "PCT", "exit 3 if loss exceeds PCT" },
	{ "expect-kept-min", required_argument, OPT_EXPECT_KEPT, "PCT", "exit 3 if fewer than PCT % of sessions kept their backend across migration" },
	{ "help", no_argument, 'h', NULL, "this help" },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	wgw_tool_usage(f, "wraith-client [OPTIONS] VIP:PORT[-PORT2]",
		"Simulate WRAITH clients: handshake N sessions with the VIP, send data with\n"
		"their CIDs, check every reply (source = VIP, CID, sequence), and report loss,\n"
		"rates, latency, which backend served each session, and with --migrate how\n"
		"many sessions kept their backend after changing source port/address.\n"
		"VIP:PORT is a.b.c.d:port or [v6]:port; with a port range, session s talks\n"
		"to port PORT + s % (PORT2 - PORT + 1).  Exit: 0 done, 1 error, 2 usage,\n"
		"3 an --expect-* condition failed.  SIGINT/SIGTERM stops sending and waits\n"
		"--drain ms for the replies on their way; a second one stops at once.",
		opts, NOPTS);
}

/* "ADDR:PORT" or "ADDR:PORT-PORT2" into cfg.vip and cfg.vip_ports. */
static int parse_vip(const char *arg)
{
	char buf[INET6_ADDRSTRLEN + 32];
	const char *colon = strrchr(arg, ':');
	char *dash, *end;
	unsigned long last;
	uint16_t first;

	if (strlen(arg) >= sizeof(buf) || !colon)
		return -EINVAL;
	strcpy(buf, arg);
	dash = strchr(buf + (colon - arg), '-');
	if (dash)
		*dash = '\0';
	if (wgw_tool_parse_endpoint(buf, &cfg.vip))
		return -EINVAL;
	if (!dash)
		return 0;
	first = ntohs(cfg.vip.sa.sa_family == AF_INET ? cfg.vip.in.sin_port : cfg.vip.in6.sin6_port);
	errno = 0;
	last = strtoul(dash + 1, &end, 10);
	if (errno || end == dash + 1 || *end || last < first || last > 65535)
		return -EINVAL;
	cfg.vip_ports = (unsigned int)(last - first + 1);
	return 0;
}

static int parse_args(int argc, char **argv)
{
	struct option longopts[NOPTS + 1];
	char shortopts[3 * NOPTS + 1];
	bool duration_set = false;
	int c;

	wgw_tool_getopt_tables(opts, NOPTS, longopts, shortopts);
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int err = 0;

		switch (c) {
		case 'n':
			err = wgw_tool_parse_u64(optarg, 1, CL_MAX_SESSIONS, "--sessions", &cfg.sessions);
			break;
		case OPT_SOCKETS:
			err = wgw_tool_parse_u64(optarg, 1, CL_MAX_SOCKETS, "--sockets", &cfg.sockets);
			break;
		case OPT_BIND:
			if (wgw_tool_parse_addr(optarg, &cfg.bind)) {
				fprintf(stderr, "invalid --bind '%s': expected an IPv4 or IPv6 address\n", optarg);
				err = -EINVAL;
			}
			break;
		case 's':
			err = wgw_tool_parse_u64(optarg, WRAITH_MIN_PAYLOAD, WGW_TP_MAX_PAYLOAD,
						 "--size", &cfg.size);
			break;
		case OPT_PPS:
			err = wgw_tool_parse_u64(optarg, 0, 100000000, "--pps", &cfg.pps);
			break;
		case 'd':
			err = wgw_tool_parse_double(optarg, 0.001, 86400, "--duration", &cfg.duration_s);
			duration_set = true;
			break;
		case 'c':
			err = wgw_tool_parse_u64(optarg, 1, UINT64_MAX / 2, "--count", &cfg.count);
			break;
		case OPT_BARE:
			cfg.bare = true;
			break;
		case OPT_NO_HS:
			cfg.no_handshake = true;
			break;
		case OPT_HS_TIMEOUT:
			err = wgw_tool_parse_u64(optarg, 1, 600000, "--hs-timeout", &cfg.hs_timeout_ms);
			break;
		case OPT_HS_RETRIES:
			err = wgw_tool_parse_u64(optarg, 0, 100, "--hs-retries", &cfg.hs_retries);
			break;
		case OPT_HS_WINDOW:
			err = wgw_tool_parse_u64(optarg, 1, CL_MAX_SESSIONS, "--hs-window", &cfg.hs_window);
			break;
		case OPT_HS_PPS:
			err = wgw_tool_parse_u64(optarg, 0, 100000000, "--hs-pps", &cfg.hs_pps);
			break;
		case OPT_MIGRATE:
			cfg.migrate = true;
			break;
		case OPT_MIGRATE_ADDR:
			if (wgw_tool_parse_addr(optarg, &cfg.migrate_addr)) {
				fprintf(stderr, "invalid --migrate-addr '%s': expected an IPv4 or IPv6 address\n",
					optarg);
				err = -EINVAL;
			}
			cfg.migrate = true;
			break;
		case OPT_BATCH:
			err = wgw_tool_parse_u64(optarg, 1, CL_BATCH_MAX, "--batch", &cfg.batch);
			break;
		case OPT_INFLIGHT:
			err = wgw_tool_parse_u64(optarg, 0, 1ULL << 30, "--inflight", &cfg.inflight);
			break;
		case OPT_DRAIN:
			err = wgw_tool_parse_u64(optarg, 0, 600000, "--drain", &cfg.drain_ms);
			break;
		case OPT_SEED:
			err = wgw_tool_parse_u64(optarg, 0, UINT64_MAX, "--seed", &cfg.seed);
			cfg.seed_set = true;
			break;
		case OPT_JSON:
			cfg.json = optarg;
			break;
		case OPT_DUMP:
			cfg.dump_sessions = optarg;
			break;
		case OPT_PROGRESS:
			cfg.progress = true;
			break;
		case OPT_EXPECT_CLEAN:
			cfg.expect_clean = true;
			break;
		case OPT_EXPECT_LOSS:
			err = wgw_tool_parse_double(optarg, 0, 100, "--expect-loss-max", &cfg.expect_loss_max);
			break;
		case OPT_EXPECT_KEPT:
			err = wgw_tool_parse_double(optarg, 0, 100, "--expect-kept-min", &cfg.expect_kept_min);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "wraith-client: expected one VIP:PORT argument\n");
		usage(stderr);
		return -EINVAL;
	}
	cfg.vip_str = argv[optind];
	if (parse_vip(cfg.vip_str)) {
		fprintf(stderr, "wraith-client: invalid VIP:PORT '%s': expected a.b.c.d:port or [v6]:port,"
			" optionally a port range PORT-PORT2\n", cfg.vip_str);
		return -EINVAL;
	}
	if ((cfg.bind.sa.sa_family && cfg.bind.sa.sa_family != cfg.vip.sa.sa_family) ||
	    (cfg.migrate_addr.sa.sa_family &&
	     cfg.migrate_addr.sa.sa_family != cfg.vip.sa.sa_family)) {
		fprintf(stderr, "wraith-client: --bind/--migrate-addr must be of the VIP's address family\n");
		return -EINVAL;
	}
	if (!duration_set && !cfg.count)
		cfg.duration_s = 2.0;
	if (!cfg.sockets)
		cfg.sockets = cfg.sessions < 64 ? cfg.sessions : 64;
	if (cfg.sockets > cfg.sessions)
		cfg.sockets = cfg.sessions;
	if (cfg.hs_window > cfg.sessions)
		cfg.hs_window = cfg.sessions;
	if (cfg.batch > CL_BATCH_MAX)
		cfg.batch = CL_BATCH_MAX;
	return 0;
}

/* ------------------------------------------------------------ main */

static int setup(void)
{
	uint64_t seed, s, cid;
	unsigned int i;

	nsock = (unsigned int)cfg.sockets;
	sess = calloc(cfg.sessions, sizeof(*sess));
	slots = calloc(cfg.hs_window, sizeof(*slots));
	free_slots = calloc(cfg.hs_window, sizeof(*free_slots));
	socks[0] = calloc(nsock, sizeof(struct cl_sock));
	socks[1] = calloc(nsock, sizeof(struct cl_sock));
	be_pkts = calloc(CL_BACKENDS, sizeof(*be_pkts));
	tx_bufs = calloc(cfg.batch, CL_RX_BUF_LEN);
	rx_bufs = calloc(cfg.batch, CL_RX_BUF_LEN);
	noise3_pending = calloc(cfg.batch, sizeof(*noise3_pending));
	vips = calloc(cfg.vip_ports, sizeof(*vips));
	if (!vips)
		return -ENOMEM;
	for (i = 0; i < cfg.vip_ports; i++) {
		uint16_t port;

		vips[i] = cfg.vip;
		if (cfg.vip.sa.sa_family == AF_INET) {
			port = (uint16_t)(ntohs(cfg.vip.in.sin_port) + i);
			vips[i].in.sin_port = htons(port);
		} else {
			port = (uint16_t)(ntohs(cfg.vip.in6.sin6_port) + i);
			vips[i].in6.sin6_port = htons(port);
		}
	}
	if (!sess || !slots || !free_slots || !socks[0] || !socks[1] || !be_pkts ||
	    !tx_bufs || !rx_bufs || !noise3_pending)
		return -ENOMEM;
	for (i = 0; i < nsock; i++)
		socks[0][i].fd = socks[1][i].fd = -1;

	seed = cfg.seed_set ? cfg.seed : wgw_rand_seed();
	for (s = 0; s < cfg.sessions; s++) {
		do
			cid = wgw_rand64(&seed);
		while (!wgw_tp_cid_ok(cid));
		sess[s].cid = cid;
		if (cfg.no_handshake)
			sess[s].state = S_ESTABLISHED;
	}
	for (i = 0; i < cfg.hs_window; i++) {
		slots[i].session = UINT32_MAX;
		free_slots[i] = (uint32_t)(cfg.hs_window - 1 - i);
	}
	nfree = (uint32_t)cfg.hs_window;
	for (i = 0; i < cfg.batch; i++) {
		rx_iov[i] = (struct iovec){ rx_bufs[i], CL_RX_BUF_LEN };
		rx_msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &rx_names[i],
			.msg_namelen = sizeof(rx_names[i]),
			.msg_iov = &rx_iov[i],
			.msg_iovlen = 1,
		};
	}
	wgw_hist_init(&lat);
	wgw_hist_init(&hs_rtt);
	wgw_tool_raise_nofile();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	return open_phase(0, &cfg.bind);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cl_summary m;
	int err, rc = 0;

	if (parse_args(argc, argv))
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = setup();
	if (err) {
		if (err == -ENOMEM)
			fprintf(stderr, "wraith-client: out of memory\n");
		rc = 1;
		goto out;
	}
	if (!cfg.no_handshake) {
		err = handshake_phase();
		if (err && err != -EINTR) {
			fprintf(stderr, "wraith-client: handshakes: %s\n", strerror(-err));
			rc = 1;
			goto out;
		}
	}
	if (!interrupted) {
		err = data_phase();
		if (err) {
			fprintf(stderr, "wraith-client: data: %s\n", strerror(-err));
			rc = 1;
			goto out;
		}
	}
	if (summarise(&m)) {
		fprintf(stderr, "wraith-client: out of memory\n");
		rc = 1;
		goto out;
	}
	report_text(stdout, &m);
	if (cfg.json && (err = report_json(cfg.json, &m))) {
		fprintf(stderr, "wraith-client: %s: %s\n", cfg.json, strerror(-err));
		rc = 1;
	}
	if (cfg.dump_sessions && (err = dump_sessions(cfg.dump_sessions))) {
		fprintf(stderr, "wraith-client: %s: %s\n", cfg.dump_sessions, strerror(-err));
		rc = 1;
	}
	if (!rc && check_expectations(&m))
		rc = 3;
	free(m.be_sessions[0]);
	free(m.be_sessions[1]);
out:
	close_phase(0);
	close_phase(1);
	if (epfd >= 0)
		close(epfd);
	free(sess);
	free(slots);
	free(free_slots);
	free(socks[0]);
	free(socks[1]);
	free(be_pkts);
	free(tx_bufs);
	free(rx_bufs);
	free(noise3_pending);
	free(vips);
	free(order);
	free(order_off);
	free(order_len);
	free(order_cur);
	return rc;
}
