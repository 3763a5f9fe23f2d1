// SPDX-License-Identifier: GPL-2.0-only
/*
 * Captures (capture.h), the control side: a capture's arguments, its slot
 * and filter published to the workers, and the capture thread, which
 * empties the workers' rings and the XDP programs' ring buffers, turns
 * records into pcapng blocks for each capture that wants them, and writes
 * them to the clients without ever blocking: a client that reads slowly
 * loses records (counted), one that is gone ends its capture.
 */
#include "config.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gateway/capture_internal.h"
#include "gateway/ctlproto.h"
#include "gateway/engine.h"
#include "gateway/log.h"
#include "gateway/options.h"
#include "gateway/pcapng.h"
#include "gateway/port.h"
#include "gateway/xdp.h"

#define CAP_OUT_BYTES (4u << 20)	/* a capture's output buffer */
#define CAP_IFS_MAX 16			/* interface and side pairs (IDBs) */
#define CAP_XDP_MAX 4			/* XDP programs whose drops are read */
#define CAP_POLL_MS 10			/* between passes while capturing */
#define CAP_IDLE_POLL_MS 200		/* ... when no capture runs */
#define CAP_CLOSE_MS 2000		/* longest wait to deliver the end */
#define CAP_COMMENT_MAX 160

enum sess_state {
	SESS_FREE = 0,
	SESS_RUN,
	SESS_CLOSING,		/* ended: the rest of the output, then close */
};

struct cap_session {
	enum sess_state st;
	int fd;
	struct cap_filter f;
	uint64_t start_epoch;
	uint64_t count;		/* packets to capture, 0: no limit */
	uint64_t end_ms;	/* 0: no duration */
	uint64_t close_ms;	/* SESS_CLOSING: give up delivering then */
	uint64_t packets;
	uint64_t lost_slow;	/* no room in out: the client reads too slowly */
	uint64_t ring_lost0;	/* the rings' lost count at the start */
	uint64_t xdp_lost0;	/* the XDP programs' */
	const char *why_end;
	uint8_t *out;
	size_t len, off;	/* bytes in out, bytes of them written */
	struct {
		char name[16];
		uint8_t side;
	} ifs[CAP_IFS_MAX];
	unsigned nifs;
};

struct wgw_capture {
	pthread_mutex_t lock;
	pthread_t thread;
	bool thread_started;
	_Atomic bool stop;
	unsigned nworkers;
	struct wgw_capture_ring *rings[CAP_RINGS_MAX];
	struct cap_session s[WGW_CAPTURE_MAX];
	uint64_t epoch;
	unsigned mask;		/* slots running */
	/* The XDP programs' rings (descriptors of our own: the programs
	 * may be replaced while a capture runs). */
	struct ring_buffer *rb;
	int xdp_flag_fd[CAP_XDP_MAX], xdp_ring_fd[CAP_XDP_MAX];
	unsigned nxdp;
	uint64_t mono_to_real_ns;	/* for the XDP records' clock */
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000u;
}

/* ------------------------------------------------------------ arguments */

/* ADDR or ADDR:PORT ([V6]:PORT). */
static int parse_endpoint(const char *s, union wgw_addr *a, uint16_t *port, bool *has_port,
			  char *why, size_t whylen)
{
	uint16_t hi;

	if (!wgw_addr_parse(a, s)) {
		*has_port = false;
		return 0;
	}
	if (wgw_parse_addr_port(s, false, a, port, &hi, why, whylen))
		return -EINVAL;
	*has_port = true;
	return 0;
}

static int parse_args(struct cap_session *s, const char *const *argv, unsigned argc,
		      char *why, size_t whylen)
{
	char sub[128];
	unsigned i = 0;
	uint32_t v;

	s->f.snaplen = WGW_CAPTURE_SNAP_MAX;
	for (; i < argc && strchr(argv[i], '='); i++) {
		const char *val = strchr(argv[i], '=') + 1;
		size_t klen = (size_t)(val - 1 - argv[i]);

		if (klen == 5 && !strncmp(argv[i], "count", 5) &&
		    !wgw_parse_u32(val, 1, UINT32_MAX, &v, sub, sizeof(sub))) {
			s->count = v;
		} else if (klen == 7 && !strncmp(argv[i], "snaplen", 7) &&
			   !wgw_parse_u32(val, 1, WGW_CAPTURE_SNAP_MAX, &v, sub, sizeof(sub))) {
			s->f.snaplen = v;
		} else if (klen == 8 && !strncmp(argv[i], "duration", 8) &&
			   !wgw_parse_u32(val, 1, 86400, &v, sub, sizeof(sub))) {
			s->end_ms = now_ms() + (uint64_t)v * 1000;
		} else if (klen == 5 && !strncmp(argv[i], "drops", 5) &&
			   (!strcmp(val, "1") || !strcmp(val, "0"))) {
			if (*val == '1')
				s->f.flags |= CAP_F_DROPS;
		} else {
			snprintf(why, whylen, "bad option '%s': expected count=1-4294967295, "
				 "snaplen=1-%u, duration=1-86400 or drops=0|1", argv[i],
				 WGW_CAPTURE_SNAP_MAX);
			return -EINVAL;
		}
	}
	for (bool first = true; i < argc; first = false) {
		const char *k, *val;
		bool has_port;

		if (!first && (strcmp(argv[i], "and") || ++i == argc)) {
			snprintf(why, whylen, "bad filter at '%s': terms are joined by 'and'",
				 argv[i - (i == argc)]);
			return -EINVAL;
		}
		k = argv[i];
		if (i + 1 == argc) {
			snprintf(why, whylen, "bad filter: '%s' needs a value", k);
			return -EINVAL;
		}
		val = argv[i + 1];
		i += 2;
		if (!strcmp(k, "cid")) {
			if (wgw_ctl_parse_cid(val, &s->f.cid)) {
				snprintf(why, whylen, "bad CID '%s': expected up to 16 hex digits", val);
				return -EINVAL;
			}
			s->f.flags |= CAP_F_CID;
		} else if (!strcmp(k, "client")) {
			if (parse_endpoint(val, &s->f.client, &s->f.client_port, &has_port,
					   sub, sizeof(sub))) {
				snprintf(why, whylen, "bad client '%s': %s", val, sub);
				return -EINVAL;
			}
			s->f.flags |= CAP_F_CLIENT | (has_port ? CAP_F_CLIENT_PORT : 0);
		} else if (!strcmp(k, "backend")) {
			if (parse_endpoint(val, &s->f.backend, &s->f.backend_port, &has_port,
					   sub, sizeof(sub))) {
				snprintf(why, whylen, "bad backend '%s': %s", val, sub);
				return -EINVAL;
			}
			s->f.flags |= CAP_F_BACKEND | (has_port ? CAP_F_BACKEND_PORT : 0);
		} else if (!strcmp(k, "iface")) {
			if (wgw_parse_ifname(val, s->f.ifname, sizeof(s->f.ifname), sub,
					     sizeof(sub))) {
				snprintf(why, whylen, "bad interface '%s': %s", val, sub);
				return -EINVAL;
			}
			s->f.flags |= CAP_F_IFACE;
		} else {
			snprintf(why, whylen, "bad filter '%s': expected cid CID, client "
				 "ADDR[:PORT], backend ADDR[:PORT] or iface NAME", k);
			return -EINVAL;
		}
	}
	return 0;
}

/* --------------------------------------------------------------- output */

/* Room for a chunk of len bytes in s's output. */
static uint8_t *out_chunk(struct cap_session *s, char type, size_t len)
{
	uint8_t *p;

	if (s->off && s->len + WGW_CAPTURE_CHUNK_HDR + len > CAP_OUT_BYTES) {
		memmove(s->out, s->out + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len + WGW_CAPTURE_CHUNK_HDR + len > CAP_OUT_BYTES)
		return NULL;
	p = s->out + s->len;
	p[0] = (uint8_t)type;
	p[1] = (uint8_t)(len >> 24);
	p[2] = (uint8_t)(len >> 16);
	p[3] = (uint8_t)(len >> 8);
	p[4] = (uint8_t)len;
	s->len += WGW_CAPTURE_CHUNK_HDR + len;
	return p + WGW_CAPTURE_CHUNK_HDR;
}

/* A chunk from out_chunk(p, reserved bytes) that used only used bytes. */
static void out_trim(struct cap_session *s, uint8_t *p, size_t reserved, size_t used)
{
	s->len -= reserved - used;
	p[-4] = (uint8_t)(used >> 24);
	p[-3] = (uint8_t)(used >> 16);
	p[-2] = (uint8_t)(used >> 8);
	p[-1] = (uint8_t)used;
}

/* The IDB index of (ifname, side) in s's section, written first if new;
 * -1: no room. */
static int sess_iface(struct cap_session *s, const char *ifname, uint8_t side)
{
	char name[17], descr[48];
	uint8_t *p;
	int n;

	for (unsigned i = 0; i < s->nifs; i++)
		if (s->ifs[i].side == side && !strncmp(s->ifs[i].name, ifname, 16))
			return (int)i;
	if (s->nifs == CAP_IFS_MAX)
		return -1;
	snprintf(name, sizeof(name), "%.16s", ifname);
	snprintf(descr, sizeof(descr), "%s side of the gateway",
		 side == WGW_SIDE_LAN ? "LAN (backends)" : "WAN (clients)");
	p = out_chunk(s, WGW_CAPTURE_CHUNK_DATA, 256);
	if (!p)
		return -1;
	n = wgw_pcapng_idb(p, 256, WGW_PCAPNG_LINKTYPE_ETHERNET, s->f.snaplen, name, descr);
	out_trim(s, p, 256, (size_t)n);	/* names are at most 16 bytes: it fits */
	memcpy(s->ifs[s->nifs].name, ifname, 16);
	s->ifs[s->nifs].side = side;
	return (int)s->nifs++;
}

/* A comment being built: appends that stop at the end (the capture
 * thread writes hundreds of thousands a second; printf would be its
 * largest cost). */
struct cbuf {
	char *p, *end;
};

static void cb_str(struct cbuf *b, const char *s, size_t max)
{
	while (*s && max-- && b->p < b->end)
		*b->p++ = *s++;
}

static void cb_u(struct cbuf *b, unsigned v)
{
	char d[10];
	size_t n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n && b->p < b->end)
		*b->p++ = d[--n];
}

/* a:port, IPv6 in brackets */
static void cb_addr_port(struct cbuf *b, const union wgw_addr *a, unsigned port)
{
	char s[INET6_ADDRSTRLEN];

	if (wgw_addr_is_v4(a)) {	/* glibc's inet_ntop() prints each byte with sprintf */
		for (unsigned i = 12; i < 16; i++) {
			cb_u(b, a->b[i]);
			cb_str(b, i < 15 ? "." : ":", 1);
		}
	} else {
		cb_str(b, "[", 1);
		wgw_addr_str(a, s, sizeof(s));
		cb_str(b, s, sizeof(s));
		cb_str(b, "]:", 2);
	}
	cb_u(b, port);
}

static void rec_comment(const struct cap_rec *r, char *c, size_t len)
{
	static const char *const fate_names[WGW_FATE_MAX] = {
		[WGW_FATE_SENT] = "sent",
		[WGW_FATE_HELD] = "held",
		[WGW_FATE_DROP_ENGINE] = "engine",
		[WGW_FATE_NO_EGRESS] = "no_egress",
		[WGW_FATE_TOO_BIG] = "tx_too_big",
		[WGW_FATE_NH_UNREACHABLE] = "nh_unreachable",
		[WGW_FATE_NH_WRONG_IF] = "nh_wrong_if",
		[WGW_FATE_NH_HOLD_FULL] = "nh_hold_full",
	};
	struct cbuf b = { c, c + len - 1 };
	const char *why;

	switch (r->kind) {
	case CAP_REC_IN:	/* in wan0 q1 */
		cb_str(&b, "in ", 3);
		break;
	case CAP_REC_OUT:	/* out lan0 to 10.0.0.12:8420 NAT 10.0.0.100:20011 */
		cb_str(&b, "out ", 4);
		cb_str(&b, r->ifname, sizeof(r->ifname));
		cb_str(&b, " to ", 4);
		cb_addr_port(&b, &r->to, r->to_port);
		cb_str(&b, " NAT ", 5);
		cb_addr_port(&b, &r->nat, r->nat_port);
		if (r->fate == WGW_FATE_HELD)
			cb_str(&b, " (held for its next hop)", 32);
		*b.p = '\0';
		return;
	case CAP_REC_DROP:	/* drop: cid-zero (in wan0 q0) */
	case CAP_REC_XDP_DROP:	/* drop: vip_drop_short (xdp wan0 q0) */
		if (r->kind == CAP_REC_XDP_DROP)
			why = wgw_xdp_counter_name(r->reason);
		else if (r->fate == WGW_FATE_DROP_ENGINE)
			why = wgw_drop_reason_name((enum wgw_drop_reason)r->reason);
		else
			why = r->fate < WGW_FATE_MAX ? fate_names[r->fate] : NULL;
		cb_str(&b, "drop: ", 6);
		cb_str(&b, why ? why : "?", 64);
		cb_str(&b, r->kind == CAP_REC_XDP_DROP ? " (xdp " : " (in ", 6);
		break;
	default:
		cb_str(&b, "?", 1);
		*b.p = '\0';
		return;
	}
	cb_str(&b, r->ifname, sizeof(r->ifname));
	cb_str(&b, " q", 2);
	cb_u(&b, r->queue);
	if (r->kind != CAP_REC_IN)
		cb_str(&b, ")", 1);
	*b.p = '\0';
}

/* One record into s's output as an EPB (and its IDB, first time). */
static void sess_emit(struct cap_session *s, const struct cap_rec *r, const uint8_t *data)
{
	char comment[CAP_COMMENT_MAX];
	uint32_t caplen = r->caplen < s->f.snaplen ? r->caplen : s->f.snaplen;
	uint32_t flags = r->kind == CAP_REC_OUT ? WGW_PCAPNG_FLAG_OUTBOUND :
			 WGW_PCAPNG_FLAG_INBOUND;
	size_t need;
	uint8_t *p;
	int ifid, n;

	if (s->st != SESS_RUN)
		return;
	ifid = sess_iface(s, r->ifname, r->side);
	rec_comment(r, comment, sizeof(comment));
	need = wgw_pcapng_epb_size(caplen, comment);
	p = ifid < 0 ? NULL : out_chunk(s, WGW_CAPTURE_CHUNK_DATA, need);
	if (!p) {
		s->lost_slow++;
		return;
	}
	n = wgw_pcapng_epb(p, need, (uint32_t)ifid, r->ts_ns, data, caplen, r->len, flags,
			   comment);
	if (n < 0 || (size_t)n != need) {	/* cannot happen: sized above */
		s->len -= need + WGW_CAPTURE_CHUNK_HDR;
		s->lost_slow++;
		return;
	}
	if (++s->packets == s->count && s->count)
		s->why_end = "count reached";
}

/* ------------------------------------------------------------- sessions */

static void publish_state(struct wgw_capture *c)
{
	c->epoch++;
	atomic_store_explicit(&wgw_capture_state, c->epoch << 8 | c->mask, memory_order_release);
}

static uint64_t rings_lost(const struct wgw_capture *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < c->nworkers; i++)
		n += atomic_load_explicit(&c->rings[i]->lost, memory_order_relaxed);
	return n;
}

/* Turn the XDP programs' copies on or off. */
static void xdp_flags(struct wgw_capture *c, bool on)
{
	for (unsigned i = 0; i < c->nxdp; i++) {
		int err = wgw_xdp_capture_flag(c->xdp_flag_fd[i], on, WGW_XDP_CAP_SNAP, NULL);

		if (err)
			wgw_log_ratelimited(LOG_WARNING, "capture: XDP flag: %s", strerror(-err));
	}
}

/* The records the XDP programs lost to a full ring so far. */
static uint64_t xdp_lost(const struct wgw_capture *c)
{
	struct wgw_xdp_capture v;
	uint64_t sum = 0;
	uint32_t key = 0;

	for (unsigned i = 0; i < c->nxdp; i++)
		if (!bpf_map_lookup_elem(c->xdp_flag_fd[i], &key, &v))
			sum += v.lost;
	return sum;
}

static void xdp_release(struct wgw_capture *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
	for (unsigned i = 0; i < c->nxdp; i++) {
		close(c->xdp_flag_fd[i]);
		close(c->xdp_ring_fd[i]);
	}
	c->nxdp = 0;
}

/* Stop capturing for s (from here on its records are ignored) and queue
 * the end of its stream. */
static void sess_end(struct wgw_capture *c, struct cap_session *s, unsigned slot)
{
	uint64_t ring_lost = rings_lost(c) - s->ring_lost0;
	uint64_t xlost = xdp_lost(c) - s->xdp_lost0;
	char line[256];
	uint8_t *p;
	int n;

	c->mask &= ~(1u << slot);
	publish_state(c);
	if (!c->mask)
		xdp_flags(c, false);
	n = snprintf(line, sizeof(line), "%" PRIu64 " packets captured (%s); records lost: "
		     "%" PRIu64 " (worker rings full), %" PRIu64 " (client too slow), %" PRIu64
		     " (XDP ring full)\n",
		     s->packets, s->why_end ? s->why_end : "ended", ring_lost, s->lost_slow, xlost);
	s->st = SESS_CLOSING;
	s->close_ms = now_ms() + CAP_CLOSE_MS;
	p = out_chunk(s, WGW_CAPTURE_CHUNK_END, (size_t)n);
	if (p)
		memcpy(p, line, (size_t)n);
	wgw_notice("capture %u: %s", slot, line);
}

static void sess_free(struct cap_session *s)
{
	close(s->fd);
	free(s->out);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* The client of slot went away (or cannot be written to). */
static void sess_gone(struct wgw_capture *c, struct cap_session *s, unsigned slot)
{
	if (s->st == SESS_RUN) {
		c->mask &= ~(1u << slot);
		publish_state(c);
		if (!c->mask)
			xdp_flags(c, false);
	}
	wgw_notice("capture %u: the client went away after %" PRIu64 " packets", slot,
		 s->packets);
	sess_free(s);
}

/* Write what s has; false when the client is gone. */
static bool sess_flush(struct cap_session *s)
{
	while (s->off < s->len) {
		ssize_t n = send(s->fd, s->out + s->off, s->len - s->off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN;
		}
		s->off += (size_t)n;
	}
	s->off = s->len = 0;
	return true;
}

/* ------------------------------------------------------- the rings */

static void deliver(struct wgw_capture *c, const struct cap_rec *r, const uint8_t *data)
{
	for (unsigned i = 0; i < WGW_CAPTURE_MAX; i++) {
		struct cap_session *s = &c->s[i];

		if ((r->mask & (1u << i)) && s->st == SESS_RUN && r->epoch >= s->start_epoch)
			sess_emit(s, r, data);
	}
}

static void drain_ring(struct wgw_capture *c, struct wgw_capture_ring *ring)
{
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);

	while (tail < head) {
		const struct cap_rec *r = (const struct cap_rec *)
			(ring->data + (tail & (WGW_CAPTURE_RING_BYTES - 1)));

		if (r->kind != CAP_REC_PAD && r->mask)
			deliver(c, r, (const uint8_t *)(r + 1));
		tail += r->size;
	}
	atomic_store_explicit(&ring->tail, tail, memory_order_release);
}

/* A drop of an XDP program (libbpf ring_buffer callback). */
static int xdp_record(void *ctx, void *data, size_t size)
{
	struct wgw_capture *c = ctx;
	const struct wgw_xdp_cap_rec *x = data;
	struct cap_rec r = { .kind = CAP_REC_XDP_DROP };
	struct cap_tuple t;
	struct cap_view v = { 0 };
	char ifname[IF_NAMESIZE] = "";
	bool nat;

	if (size < sizeof(*x) || x->caplen > WGW_XDP_CAP_SNAP)
		return 0;
	r.ts_ns = x->ts_ns + c->mono_to_real_ns;
	r.len = x->len;
	r.caplen = x->caplen;
	r.reason = (uint16_t)x->reason;
	r.queue = (uint16_t)x->rx_queue;
	r.epoch = c->epoch;
	if (!if_indextoname(x->ifindex, ifname))
		snprintf(ifname, sizeof(ifname), "#%u", x->ifindex);
	memcpy(r.ifname, ifname, sizeof(r.ifname));
	nat = !strncmp(wgw_xdp_counter_name(x->reason) ? wgw_xdp_counter_name(x->reason) : "",
		       "nat_", 4);
	r.side = (uint8_t)(nat ? WGW_SIDE_LAN : WGW_SIDE_WAN);
	if (wgw_cap_peek(x->data, x->caplen, &t)) {
		v.has_cid = t.has_cid;
		v.cid = t.cid;
		if (nat) {
			v.has_backend = true;
			v.backend = t.src;
			v.backend_port = t.sport;
		} else {
			v.has_client = true;
			v.client = t.src;
			v.client_port = t.sport;
		}
	}
	for (unsigned i = 0; i < WGW_CAPTURE_MAX; i++)
		if (c->s[i].st == SESS_RUN && wgw_cap_match(&c->s[i].f, &v, r.ifname))
			r.mask |= 1u << i;
	if (r.mask)
		deliver(c, &r, x->data);
	return 0;
}

/* One pass: records out of the rings, output to the clients, ends. */
static void capture_pass(struct wgw_capture *c, const struct pollfd *fds, const int *slot_of,
			 int nfds)
{
	uint64_t now = now_ms();

	for (int i = 0; i < nfds; i++) {
		struct cap_session *s = &c->s[slot_of[i]];

		if (s->st != SESS_FREE && (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL)))
			sess_gone(c, s, (unsigned)slot_of[i]);
	}
	if (c->mask) {
		c->mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
		for (unsigned i = 0; i < c->nworkers; i++)
			drain_ring(c, c->rings[i]);
		if (c->rb)
			ring_buffer__consume(c->rb);
	} else if (c->rb) {
		ring_buffer__consume(c->rb);	/* stale: thrown away */
	}
	for (unsigned i = 0; i < WGW_CAPTURE_MAX; i++) {
		struct cap_session *s = &c->s[i];

		if (s->st == SESS_RUN && s->end_ms && now >= s->end_ms && !s->why_end)
			s->why_end = "duration reached";
		if (s->st == SESS_RUN && s->why_end)
			sess_end(c, s, i);
		if (s->st == SESS_FREE)
			continue;
		if (!sess_flush(s)) {
			sess_gone(c, s, i);
			continue;
		}
		if (s->st == SESS_CLOSING && (s->off == s->len || now >= s->close_ms))
			sess_free(s);
	}
}

static void *capture_main(void *arg)
{
	struct wgw_capture *c = arg;

	pthread_setname_np(pthread_self(), "wgw-capture");
	while (!atomic_load(&c->stop)) {
		struct pollfd fds[WGW_CAPTURE_MAX];
		int slot_of[WGW_CAPTURE_MAX], n = 0;
		bool busy;

		pthread_mutex_lock(&c->lock);
		for (unsigned i = 0; i < WGW_CAPTURE_MAX; i++) {
			if (c->s[i].st == SESS_FREE)
				continue;
			slot_of[n] = (int)i;
			fds[n++] = (struct pollfd){
				.fd = c->s[i].fd,
				.events = c->s[i].off < c->s[i].len ? POLLOUT : 0,
			};
		}
		busy = n > 0;
		pthread_mutex_unlock(&c->lock);
		if (poll(fds, (nfds_t)n, busy ? CAP_POLL_MS : CAP_IDLE_POLL_MS) < 0 &&
		    errno != EINTR)
			wgw_log_ratelimited(LOG_WARNING, "capture: poll: %s", strerror(errno));
		pthread_mutex_lock(&c->lock);
		capture_pass(c, fds, slot_of, n);
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

/* ------------------------------------------------------------ lifecycle */

struct wgw_capture *wgw_capture_create(unsigned nworkers, const char *wan, const char *lan)
{
	struct wgw_capture *c;

	if (nworkers > CAP_RINGS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->nworkers = nworkers;
	snprintf(wgw_capture_ifnames[0], sizeof(wgw_capture_ifnames[0]), "%s", wan);
	snprintf(wgw_capture_ifnames[1], sizeof(wgw_capture_ifnames[1]), "%s", lan);
	for (unsigned i = 0; i < WGW_CAPTURE_MAX; i++)
		c->s[i].fd = -1;
	return c;
}

/* The rings, made on the first capture and kept: 0 or -ENOMEM. */
static int rings_make(struct wgw_capture *c)
{
	for (unsigned i = 0; i < c->nworkers; i++) {
		if (c->rings[i])
			continue;
		c->rings[i] = aligned_alloc(64, sizeof(struct wgw_capture_ring) +
					    WGW_CAPTURE_RING_BYTES);
		if (!c->rings[i])
			return -ENOMEM;
		memset(c->rings[i], 0, sizeof(struct wgw_capture_ring));
		atomic_store_explicit(&wgw_capture_rings[i], c->rings[i], memory_order_release);
	}
	return 0;
}

/* Descriptors of our own for the XDP programs' flag and ring. */
static void xdp_take(struct wgw_capture *c, struct wgw_xdp *const *xdp, unsigned nxdp)
{
	for (unsigned i = 0; i < nxdp && c->nxdp < CAP_XDP_MAX; i++) {
		int ffd, rfd;

		if (!xdp[i])
			continue;
		ffd = dup(wgw_xdp_capture_flag_fd(xdp[i]));
		rfd = ffd < 0 ? -1 : dup(wgw_xdp_capture_ring_fd(xdp[i]));
		if (rfd < 0) {
			if (ffd >= 0)
				close(ffd);
			wgw_warn("capture: no XDP drops: %s", strerror(errno));
			continue;
		}
		if (!c->rb)
			c->rb = ring_buffer__new(rfd, xdp_record, c, NULL);
		else if (ring_buffer__add(c->rb, rfd, xdp_record, c))
			errno = ENOMEM;
		c->xdp_flag_fd[c->nxdp] = ffd;
		c->xdp_ring_fd[c->nxdp++] = rfd;
	}
}

int wgw_capture_open(struct wgw_capture *c, int fd, const char *const *argv, unsigned argc,
		     struct wgw_xdp *const *xdp, unsigned nxdp, char *why, size_t whylen)
{
	struct cap_session tmp = { .fd = -1 };
	struct cap_session *s = NULL;
	unsigned slot;
	uint8_t *p;
	int err;

	err = parse_args(&tmp, argv, argc, why, whylen);
	if (err)
		return err;
	pthread_mutex_lock(&c->lock);
	for (slot = 0; slot < WGW_CAPTURE_MAX; slot++)
		if (c->s[slot].st == SESS_FREE) {
			s = &c->s[slot];
			break;
		}
	if (!s) {
		snprintf(why, whylen, "%u captures are running already", WGW_CAPTURE_MAX);
		err = -EBUSY;
		goto err_unlock;
	}
	err = rings_make(c);
	if (err) {
		snprintf(why, whylen, "no memory for the capture rings");
		goto err_unlock;
	}
	tmp.out = malloc(CAP_OUT_BYTES);
	if (!tmp.out) {
		snprintf(why, whylen, "no memory for the capture");
		err = -ENOMEM;
		goto err_unlock;
	}
	if (!c->thread_started) {
		err = -pthread_create(&c->thread, NULL, capture_main, c);
		if (err) {
			snprintf(why, whylen, "cannot start the capture thread");
			goto err_free;
		}
		c->thread_started = true;
	}
	if (!c->mask) {
		xdp_release(c);
		xdp_take(c, xdp, nxdp);
		xdp_flags(c, true);
	}
	*s = tmp;
	s->fd = fd;
	s->st = SESS_RUN;
	s->ring_lost0 = rings_lost(c);
	s->xdp_lost0 = xdp_lost(c);
	memcpy(s->out, WGW_CAPTURE_REPLY_OK, strlen(WGW_CAPTURE_REPLY_OK));
	s->len = strlen(WGW_CAPTURE_REPLY_OK);
	p = out_chunk(s, WGW_CAPTURE_CHUNK_DATA, 64);
	err = wgw_pcapng_shb(p, 64, "wraith-gatewayd " PACKAGE_VERSION);
	out_trim(s, p, 64, (size_t)err);
	for (unsigned i = 0; i < CAP_FILTER_WORDS; i++) {
		uint64_t w;

		memcpy(&w, (const uint8_t *)&s->f + i * 8, 8);
		atomic_store_explicit(&wgw_capture_filters[slot][i], w, memory_order_relaxed);
	}
	c->mask |= 1u << slot;
	publish_state(c);
	s->start_epoch = c->epoch;
	pthread_mutex_unlock(&c->lock);
	wgw_notice("capture %u: started", slot);
	return 0;

err_free:
	free(tmp.out);
err_unlock:
	pthread_mutex_unlock(&c->lock);
	return err;
}

unsigned wgw_capture_running(struct wgw_capture *c)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = (unsigned)__builtin_popcount(c->mask);
	pthread_mutex_unlock(&c->lock);
	return n;
}

void wgw_capture_destroy(struct wgw_capture *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < WGW_CAPTURE_MAX; i++) {
		struct cap_session *s = &c->s[i];

		if (s->st == SESS_RUN) {
			s->why_end = "the daemon stops";
			sess_end(c, s, i);
		}
		if (s->st != SESS_FREE) {
			sess_flush(s);
			sess_free(s);
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (c->thread_started) {
		atomic_store(&c->stop, true);
		pthread_join(c->thread, NULL);
	}
	xdp_release(c);
	atomic_store(&wgw_capture_state, 0);
	for (unsigned i = 0; i < c->nworkers; i++) {
		atomic_store(&wgw_capture_rings[i], NULL);
		free(c->rings[i]);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}
