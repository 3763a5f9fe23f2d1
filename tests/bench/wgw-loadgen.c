// SPDX-License-Identifier: GPL-2.0-only
/*
 * wgw-loadgen: the benchmark's load generator.  WRAITH-shaped UDP from
 * many client sessions, sent and received over one AF_XDP socket on the
 * client's veth (copy mode: the kernel's UDP stack is not in the way, and
 * sendmmsg would cap the rate far below what the systems under test carry).
 *
 * Sessions (1 to 1M) are spread over client endpoints: endpoint e is
 * source address src[e % n_src], port LG_PORT_BASE + e / n_src, and
 * session s lives on endpoint s % E, as WRAITH multiplexes sessions over a
 * client's sockets.  Each session handshakes (handshake-init with CID
 * 0xFF..FF, the session CID in the test header), then sends data packets
 * carrying its CID.  Every request carries its send time (CLOCK_MONOTONIC);
 * replies are timestamped on receipt for the latency histogram.  With
 * --migrate, halfway through the data phase every endpoint moves to a new
 * source port (port + LG_MIGRATE_SHIFT) and the report says how many
 * sessions are still answered by the backend that answered before.
 *
 * Frames are pre-built in the UMEM (padding written once); per packet only
 * the source, the test header and both checksums are rewritten, the UDP
 * checksum from a precomputed sum of the constant bytes.  Replies are
 * steered to the socket by the project's XDP program (destinations: the
 * client addresses, ports LG_PORT_BASE..65535), so ARP and everything else
 * stay with the client's kernel.
 *
 * CPU accounting for the "CPU per packet" figure: over the data phase it
 * reports the whole machine's busy time (/proc/stat), the busy time the
 * machine had without our traffic (--baseline: an idle window just before;
 * the box is shared), its own user time and the user time of the
 * --watch-pid processes (the backends), so that the driver can attribute
 * the rest to the system under test.
 *
 * Output: "key: value" lines on stdout.  Exit 0 when the run completed
 * (whatever the traffic did), 1 on error, 2 on bad usage.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <netinet/in.h>

#include "gateway/packet.h"
#include "tests/bench/bench_xsk.h"
#include "tests/tools/proto.h"

#define LG_MAX_SRC 32
#define LG_PORT_BASE 10000
#define LG_MIGRATE_SHIFT 27000	/* ports: phase-1 port of an endpoint */
#define LG_MAX_EP_PER_SRC (LG_MIGRATE_SHIFT - 1)
#define LG_BATCH 64		/* frames per TX burst / RX peek */
#define LG_TX_FRAMES 4096	/* UMEM frames kept for TX */
#define LG_HIST_US 200000	/* latency histogram: 1 us buckets up to 200 ms */
#define LG_MAX_WATCH 8

struct lg_sess {
	uint64_t cid;
	uint8_t backend[2];	/* backend id per phase, 0: none seen */
	uint8_t hs_ok;
	uint8_t changed;	/* a second backend answered within a phase */
};

static struct {
	const char *ifname;
	uint8_t dst_mac[6];
	bool dst_mac_set;
	union wgw_addr src[LG_MAX_SRC];
	unsigned n_src;
	union wgw_addr vip;
	uint16_t vport;
	uint32_t sessions, endpoints;
	uint16_t size;
	uint64_t pps, hs_pps;
	double duration_s, drain_s, hs_timeout_s, baseline_s;
	bool migrate, no_handshake;
	int watch[LG_MAX_WATCH];
	unsigned n_watch;
	int sut[LG_MAX_WATCH];		/* the system under test's processes */
	unsigned n_sut;
	uint64_t seed;
	unsigned hs_rounds;	/* passes over the sessions not answered yet */
} cfg = {
	.hs_rounds = 4,
	.n_src = 0,
	.vport = 8420,
	.sessions = 1024,
	.size = 64,
	.duration_s = 2,
	.drain_s = 0.3,
	.hs_timeout_s = 0.5,
	.baseline_s = 0,
	.seed = 1,
};

static struct bx bx;
static struct lg_sess *sess;
static uint32_t *hist;
static uint64_t hist_over;
static unsigned phase;
static volatile sig_atomic_t interrupted;
static uint8_t tmpl[BX_FRAME];
static uint32_t tmpl_len;
static uint32_t const_sum;		/* UDP checksum: the bytes that never change */

static struct {
	uint64_t tx_hs, tx_data, tx_full, rx_total, rx_hs, rx_data, rx_other, rx_late;
	uint64_t rx_data_phase[2], tx_data_phase[2];
	uint64_t hs_ok, hs_ok_first, hs_last_ns;
	double hs_s, hs_first_s;
} st;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Our own user time, ns. */
static uint64_t self_user_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000000ULL + (uint64_t)ru.ru_utime.tv_usec * 1000;
}

static uint64_t rng(void)
{
	uint64_t z = (cfg.seed += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---------------------------------------------------------------- CPU */

/* Busy and total jiffies of the whole machine. */
static void proc_stat(uint64_t *busy, uint64_t *total)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "re");
	int i;

	*busy = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) >= 8) {
		/* user nice system idle iowait irq softirq steal (guest is in user) */
		for (i = 0; i < 8; i++)
			*total += v[i];
		*busy = *total - v[3] - v[4];
	}
	fclose(f);
}

/* utime of a process (all its threads), in jiffies; 0 if gone.  Only
 * user time: a process's system time here is mostly softirq work done on
 * its behalf by the kernel (a veth transmit runs the receiving side's
 * stack, i.e. the system under test) and belongs to the figure. */
static uint64_t pid_jiffies(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, stt = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &stt) != 2)
		return 0;
	(void)stt;
	return ut;
}

/*
 * CPU time of every thread of process pid so far, in ns, from the
 * scheduler's own accounting (/proc/PID/task/TID/schedstat, first field:
 * time on a CPU), which is exact where /proc/PID/stat counts clock ticks.
 * A thread that exits during the window takes its time with it: the
 * systems measured keep their threads.
 */
static uint64_t pid_runtime_ns(int pid)
{
	char path[96];
	struct dirent *de;
	uint64_t s = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long long ns;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			s += ns;
		fclose(f);
	}
	closedir(d);
	return s;
}

static uint64_t sut_runtime_ns(void)
{
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < cfg.n_sut; i++)
		s += pid_runtime_ns(cfg.sut[i]);
	return s;
}

static uint64_t watch_jiffies(void)
{
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < cfg.n_watch; i++)
		s += pid_jiffies(cfg.watch[i]);
	return s;
}

/* ---------------------------------------------------------------- frames */

static inline uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	uint16_t w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		s += w;
	}
	if (len & 1) {
		w = 0;
		memcpy(&w, p + len - 1, 1);
		s += w;
	}
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

#define L3 14U
#define L4 (L3 + 20U)
#define PL (L4 + 8U)
#define VAR_LEN (WRAITH_CID_LEN + WGW_TP_HDR_LEN)	/* payload bytes rewritten */

static int build_template(void)
{
	uint8_t payload[WGW_TP_MAX_PAYLOAD];
	struct wgw_pkt_spec sp;
	struct wgw_tp t = { .type = WGW_TP_DATA };
	uint16_t w;
	int len;

	wgw_tp_build(payload, cfg.size, false, 1, &t);
	memset(&sp, 0, sizeof(sp));
	memcpy(sp.eth_dst, cfg.dst_mac, 6);
	memcpy(sp.eth_src, bx.mac, 6);
	sp.saddr = cfg.src[0];
	sp.daddr = cfg.vip;
	sp.sport = LG_PORT_BASE;
	sp.dport = cfg.vport;
	sp.payload = payload;
	sp.payload_len = cfg.size;
	sp.frame_min = 60;
	len = wgw_pkt_build(tmpl, sizeof(tmpl), &sp);
	if (len < 0)
		return len;
	tmpl_len = (uint32_t)len;
	/* Constant part of the UDP checksum: pseudo-header daddr, protocol
	 * and length, the UDP dport and length, and the padding after the
	 * rewritten bytes.  VAR_LEN is even, so word alignment holds. */
	const_sum = sum16(tmpl + L3 + 16, 4, 0);
	w = htons(IPPROTO_UDP);
	const_sum += w;
	memcpy(&w, tmpl + L4 + 4, 2);	/* UDP length, pseudo-header */
	const_sum += w;
	const_sum = sum16(tmpl + L4 + 2, 4, const_sum);	/* dport, length */
	const_sum = sum16(tmpl + PL + VAR_LEN, cfg.size - VAR_LEN, const_sum);
	return 0;
}

static void endpoint(uint32_t e, unsigned ph, const union wgw_addr **a, uint16_t *port)
{
	*a = &cfg.src[e % cfg.n_src];
	*port = (uint16_t)(LG_PORT_BASE + e / cfg.n_src + (ph ? LG_MIGRATE_SHIFT : 0));
}

/* Write a request for session s into frame f (which holds the template). */
static void fill(uint8_t *f, uint32_t s, uint8_t type, uint32_t seq)
{
	const union wgw_addr *a;
	struct wgw_tp t = {
		.type = type, .session = s, .seq = seq, .ts_ns = now_ns(),
		.cid = sess[s].cid, .flags = phase ? WGW_TP_F_MIGRATED : 0,
	};
	uint16_t port, c;
	uint32_t sum, v4;

	endpoint(s % cfg.endpoints, phase, &a, &port);
	v4 = wgw_addr_v4(a);
	memcpy(f + L3 + 12, &v4, 4);
	f[L3 + 10] = f[L3 + 11] = 0;
	c = fold(sum16(f + L3, 20, 0));
	memcpy(f + L3 + 10, &c, 2);
	port = htons(port);
	memcpy(f + L4, &port, 2);
	wgw_tp_write_hdr(f + PL, cfg.size, false,
			 type == WGW_TP_HS_INIT ? WRAITH_CID_HANDSHAKE : sess[s].cid, &t);
	sum = const_sum;
	sum = sum16(f + L3 + 12, 4, sum);
	sum += port;
	sum = sum16(f + PL, VAR_LEN, sum);
	c = fold(sum);
	if (!c)
		c = 0xffff;
	memcpy(f + L4 + 6, &c, 2);
}

/* ---------------------------------------------------------------- rings */

static void rx_one(const uint8_t *f, uint32_t len, uint64_t now)
{
	struct wgw_pkt p;
	struct wgw_tp t;
	struct lg_sess *s;
	unsigned ph;

	st.rx_total++;
	if (wgw_pkt_parse(&p, (uint8_t *)f, len) != WGW_PKT_UDP ||
	    !wgw_tp_parse(&t, f + p.payload_off, p.payload_len) || t.session >= cfg.sessions) {
		st.rx_other++;
		return;
	}
	s = &sess[t.session];
	ph = t.flags & WGW_TP_F_MIGRATED ? 1 : 0;
	if (t.backend && t.backend < 256) {
		if (s->backend[ph] && s->backend[ph] != t.backend)
			s->changed = 1;
		s->backend[ph] = (uint8_t)t.backend;
	}
	if (t.type == WGW_TP_HS_RESP) {
		st.rx_hs++;
		if (!s->hs_ok) {
			s->hs_ok = 1;
			st.hs_ok++;
			st.hs_last_ns = now;
		}
	} else if (t.type == WGW_TP_DATA_REPLY) {
		st.rx_data++;
		st.rx_data_phase[ph]++;
		if (t.has_ts && now > t.ts_ns) {
			uint64_t us = (now - t.ts_ns) / 1000;

			if (us < LG_HIST_US)
				hist[us]++;
			else
				hist_over++;
		}
	} else {
		st.rx_other++;
	}
}

static unsigned rx_poll(void)
{
	uint32_t idx, fidx, n, i;
	uint64_t now;

	n = xsk_ring_cons__peek(&bx.rx, LG_BATCH, &idx);
	if (!n)
		return 0;
	now = now_ns();
	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&bx.rx, idx + i);

		rx_one(bx_data(&bx, xsk_umem__add_offset_to_addr(d->addr)), d->len, now);
	}
	while (xsk_ring_prod__reserve(&bx.fq, n, &fidx) != n)
		;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&bx.fq, fidx + i) =
			xsk_umem__extract_addr(xsk_ring_cons__rx_desc(&bx.rx, idx + i)->addr);
	xsk_ring_prod__submit(&bx.fq, n);
	xsk_ring_cons__release(&bx.rx, n);
	return n;
}

/* Send up to n requests; next() gives the session of each (false: none
 * left).  Returns how many were queued. */
static unsigned tx_burst(unsigned n, bool (*next)(uint32_t *s, uint8_t *type, uint32_t *seq))
{
	uint32_t idx, i, s, seq;
	uint8_t type;

	if (n > bx.n_free_tx)
		n = bx.n_free_tx;
	if (!n)
		return 0;
	n = xsk_ring_prod__reserve(&bx.tx, n, &idx);
	for (i = 0; i < n; i++) {
		struct xdp_desc *d;
		uint64_t a;

		if (!next(&s, &type, &seq))
			break;
		a = bx.free_tx[--bx.n_free_tx];
		fill(bx_data(&bx, a), s, type, seq);
		d = xsk_ring_prod__tx_desc(&bx.tx, idx + i);
		d->addr = a;
		d->len = tmpl_len;
		d->options = 0;
		if (type == WGW_TP_HS_INIT) {
			st.tx_hs++;
		} else {
			st.tx_data++;
			st.tx_data_phase[phase]++;
		}
	}
	if (i < n)
		bx.tx.cached_prod -= n - i;
	if (i)
		xsk_ring_prod__submit(&bx.tx, i);
	bx.outstanding += i;
	return i;
}

static void service(void)
{
	bx_complete(&bx, false);
	bx_kick(&bx);
	if (xsk_ring_prod__needs_wakeup(&bx.fq))
		(void)recvfrom(bx.fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/*
 * At a fixed rate, sleep until the next packet is due or a reply arrives,
 * whichever comes first, instead of spinning: the generator then costs the
 * machine what its packets cost, and leaves the rest to the system under
 * test (two CPUs here).  Short gaps are spun through: a wake-up costs more
 * than it saves under LG_SPIN_NS.
 */
#define LG_SPIN_NS 20000

static void idle_wait(uint64_t t0, uint64_t sent, uint64_t pps)
{
	uint64_t next = t0 + (uint64_t)((double)(sent + 1) * 1e9 / (double)pps), now = now_ns();
	struct pollfd pfd = { .fd = bx.fd, .events = POLLIN };
	struct timespec ts;

	if (next <= now + LG_SPIN_NS || bx.outstanding > 0)
		return;
	if (next - now > 1000000)
		next = now + 1000000;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(next - now - LG_SPIN_NS / 2);
	(void)ppoll(&pfd, 1, &ts, NULL);
}

/* Run for dur_ns (0: until next() runs dry) at rate pps (0: flat out),
 * receiving all the while. */
static void pump(uint64_t pps, uint64_t dur_ns,
		 bool (*next)(uint32_t *s, uint8_t *type, uint32_t *seq),
		 uint64_t migrate_at_ns)
{
	uint64_t t0 = now_ns(), sent = 0, now, due;
	bool dry = false;

	while (!interrupted) {
		now = now_ns();
		if (dur_ns && now - t0 >= dur_ns)
			break;
		if (!dur_ns && dry)
			break;
		if (migrate_at_ns && !phase && now - t0 >= migrate_at_ns)
			phase = 1;
		due = pps ? (uint64_t)((double)(now - t0) * (double)pps / 1e9) - sent : LG_BATCH;
		if (due > LG_BATCH)
			due = LG_BATCH;
		if (due && !dry) {
			unsigned k = tx_burst((unsigned)due, next);

			sent += k;
			if (!k && bx.n_free_tx && !dur_ns)
				dry = true;
			if (k < due)
				st.tx_full++;
		}
		service();
		if (!rx_poll() && pps && !dry)
			idle_wait(t0, sent, pps);
	}
}

static void drain(double s)
{
	uint64_t end = now_ns() + (uint64_t)(s * 1e9);

	while (!interrupted && now_ns() < end) {
		service();
		if (!rx_poll() && !bx.outstanding) {
			struct pollfd pfd = { .fd = bx.fd, .events = POLLIN };

			(void)poll(&pfd, 1, 1);
		}
	}
}

/* Session iterators. */
static uint32_t it_pos, it_round;
static uint32_t data_seq;

static bool next_hs(uint32_t *s, uint8_t *type, uint32_t *seq)
{
	while (it_pos < cfg.sessions && sess[it_pos].hs_ok)
		it_pos++;
	if (it_pos >= cfg.sessions)
		return false;
	*s = it_pos++;
	*type = WGW_TP_HS_INIT;
	*seq = it_round;
	return true;
}

static bool next_data(uint32_t *s, uint8_t *type, uint32_t *seq)
{
	*s = it_pos;
	if (++it_pos == cfg.sessions) {
		it_pos = 0;
		data_seq++;
	}
	*type = WGW_TP_DATA;
	*seq = data_seq;
	return true;
}

/* ---------------------------------------------------------------- report */

static double hist_pct(double q)
{
	uint64_t n = hist_over, c = 0, want;
	uint32_t i;

	for (i = 0; i < LG_HIST_US; i++)
		n += hist[i];
	if (!n)
		return NAN;
	want = (uint64_t)ceil(q * (double)n);
	if (!want)
		want = 1;
	for (i = 0; i < LG_HIST_US; i++) {
		c += hist[i];
		if (c >= want)
			return i + 0.5;
	}
	return LG_HIST_US;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wgw-loadgen [OPTIONS] IFNAME VIP:PORT\n"
		"Send WRAITH-shaped sessions from IFNAME over AF_XDP and measure the replies.\n\n"
		"      --dst-mac MAC        next hop's Ethernet address (required)\n"
		"      --src ADDR           client source address, repeatable (IPv4; at least one,\n"
		"                           each must be an address of IFNAME's host)\n"
		"  -n, --sessions N         sessions, 1..1048576 (default 1024)\n"
		"  -e, --endpoints N        client endpoints the sessions share (default: sessions,\n"
		"                           at most %u per source address)\n"
		"  -s, --size BYTES         data payload, 40..1400 (default 64)\n"
		"      --pps N              data packets per second (default 0: flat out)\n"
		"      --hs-pps N           handshakes per second (default 0: flat out)\n"
		"  -d, --duration S         data phase seconds (default 2)\n"
		"      --no-handshake       data at once (sessions the system has seen before)\n"
		"      --hs-rounds N        handshake passes over unanswered sessions (default 4)\n"
		"      --migrate            move every endpoint to a new port halfway through\n"
		"      --drain S            wait for replies after sending (default 0.3)\n"
		"      --watch-pid PID      report the user CPU time of PID (the backends)\n"
		"      --sut-pid PID        report the CPU time of every thread of PID (the system\n"
		"                           under test; repeatable) over the data phase\n"
		"      --baseline S         idle seconds before the data phase that measure the\n"
		"                           machine's busy time without our traffic (default 0)\n"
		"      --seed N             CID seed (default 1)\n", LG_MAX_EP_PER_SRC);
}

static int parse_mac(uint8_t m[6], const char *s)
{
	unsigned v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (v[i] > 255)
			return -EINVAL;
		m[i] = (uint8_t)v[i];
	}
	return 0;
}

static uint64_t arg_u64(const char *s, uint64_t lo, uint64_t hi, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "wgw-loadgen: %s: '%s' is not in %" PRIu64 "..%" PRIu64 "\n",
			what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "src", required_argument, NULL, 'S' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "endpoints", required_argument, NULL, 'e' },
		{ "size", required_argument, NULL, 's' },
		{ "pps", required_argument, NULL, 'p' },
		{ "hs-pps", required_argument, NULL, 'H' },
		{ "duration", required_argument, NULL, 'd' },
		{ "no-handshake", no_argument, NULL, 'N' },
		{ "migrate", no_argument, NULL, 'm' },
		{ "drain", required_argument, NULL, 'D' },
		{ "watch-pid", required_argument, NULL, 'w' },
		{ "sut-pid", required_argument, NULL, 'P' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "hs-rounds", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wgw_xdp_dst dsts[LG_MAX_SRC];
	uint64_t t0, busy0, busy1, tot0, tot1, self0, self1, w0, w1, sut0, sut1;
	uint32_t i, kept = 0, both = 0, changed = 0, per_be[256] = { 0 };
	char *colon;
	long hz = sysconf(_SC_CLK_TCK);
	double base_rate = 0;
	int c, r;

	while ((c = getopt_long(argc, argv, "n:e:s:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'M':
			if (parse_mac(cfg.dst_mac, optarg)) {
				fprintf(stderr, "wgw-loadgen: bad MAC '%s'\n", optarg);
				return 2;
			}
			cfg.dst_mac_set = true;
			break;
		case 'S':
			if (cfg.n_src == LG_MAX_SRC || wgw_addr_parse(&cfg.src[cfg.n_src], optarg) ||
			    !wgw_addr_is_v4(&cfg.src[cfg.n_src])) {
				fprintf(stderr, "wgw-loadgen: bad --src '%s' (IPv4, at most %d)\n",
					optarg, LG_MAX_SRC);
				return 2;
			}
			cfg.n_src++;
			break;
		case 'n': cfg.sessions = (uint32_t)arg_u64(optarg, 1, 1U << 20, "--sessions"); break;
		case 'e': cfg.endpoints = (uint32_t)arg_u64(optarg, 1, 1U << 20, "--endpoints"); break;
		case 's': cfg.size = (uint16_t)arg_u64(optarg, VAR_LEN, 1400, "--size"); break;
		case 'p': cfg.pps = arg_u64(optarg, 0, 100000000, "--pps"); break;
		case 'H': cfg.hs_pps = arg_u64(optarg, 0, 100000000, "--hs-pps"); break;
		case 'd': cfg.duration_s = strtod(optarg, NULL); break;
		case 'N': cfg.no_handshake = true; break;
		case 'm': cfg.migrate = true; break;
		case 'D': cfg.drain_s = strtod(optarg, NULL); break;
		case 'w':
			if (cfg.n_watch < LG_MAX_WATCH)
				cfg.watch[cfg.n_watch++] = atoi(optarg);
			break;
		case 'P':
			if (cfg.n_sut < LG_MAX_WATCH)
				cfg.sut[cfg.n_sut++] = atoi(optarg);
			break;
		case 'r': cfg.hs_rounds = (unsigned)arg_u64(optarg, 1, 1000, "--hs-rounds"); break;
		case 'B': cfg.baseline_s = strtod(optarg, NULL); break;
		case 'R': cfg.seed = arg_u64(optarg, 0, UINT64_MAX, "--seed"); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2 || !cfg.dst_mac_set || !cfg.n_src || cfg.duration_s <= 0) {
		usage(stderr);
		return 2;
	}
	cfg.ifname = argv[optind];
	colon = strrchr(argv[optind + 1], ':');
	if (!colon) {
		fprintf(stderr, "wgw-loadgen: VIP:PORT expected, not '%s'\n", argv[optind + 1]);
		return 2;
	}
	*colon = 0;
	if (wgw_addr_parse(&cfg.vip, argv[optind + 1]) || !wgw_addr_is_v4(&cfg.vip)) {
		fprintf(stderr, "wgw-loadgen: bad VIP '%s'\n", argv[optind + 1]);
		return 2;
	}
	cfg.vport = (uint16_t)arg_u64(colon + 1, 1, 65535, "VIP port");
	if (!cfg.endpoints || cfg.endpoints > cfg.sessions)
		cfg.endpoints = cfg.sessions;
	if (cfg.endpoints > cfg.n_src * LG_MAX_EP_PER_SRC) {
		fprintf(stderr, "wgw-loadgen: %u endpoints need more than %u source addresses\n",
			cfg.endpoints, cfg.n_src);
		return 2;
	}

	sess = calloc(cfg.sessions, sizeof(*sess));
	hist = calloc(LG_HIST_US, sizeof(*hist));
	if (!sess || !hist) {
		perror("calloc");
		return 1;
	}
	for (i = 0; i < cfg.sessions; i++) {
		do
			sess[i].cid = rng();
		while (!wgw_tp_cid_ok(sess[i].cid));
	}
	for (i = 0; i < cfg.n_src; i++)
		dsts[i] = (struct wgw_xdp_dst){ .addr = cfg.src[i], .port_lo = LG_PORT_BASE,
						.port_hi = 65535 };
	if (bx_open(&bx, cfg.ifname, dsts, cfg.n_src, BX_RING, LG_TX_FRAMES))
		return 1;
	r = build_template();
	if (r) {
		fprintf(stderr, "wgw-loadgen: cannot build a frame: %s\n", strerror(-r));
		return 1;
	}
	for (i = 0; i < LG_TX_FRAMES; i++)
		memcpy(bx_data(&bx, bx.free_tx[i]), tmpl, tmpl_len);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* Handshakes: passes over the sessions not answered yet. */
	if (!cfg.no_handshake) {
		t0 = now_ns();
		for (it_round = 0; it_round < cfg.hs_rounds && st.hs_ok < cfg.sessions &&
		     !interrupted; it_round++) {
			it_pos = 0;
			pump(cfg.hs_pps, 0, next_hs, 0);
			drain(cfg.hs_timeout_s);
			if (!it_round) {
				/* Set-up rate: the first pass, sent flat out (or at
				 * --hs-pps), until its last answer. */
				st.hs_ok_first = st.hs_ok;
				st.hs_first_s = st.hs_last_ns > t0 ? (double)(st.hs_last_ns - t0) / 1e9 : 0;
			}
		}
		st.hs_s = (double)(now_ns() - t0) / 1e9 - cfg.hs_timeout_s;
		if (st.hs_s <= 0)
			st.hs_s = 1e-9;
	}

	/* The machine's busy time without our traffic: others share it. */
	if (cfg.baseline_s > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)cfg.baseline_s,
			.tv_nsec = (long)((cfg.baseline_s - (double)(time_t)cfg.baseline_s) * 1e9),
		};

		t0 = now_ns();
		proc_stat(&busy0, &tot0);
		nanosleep(&ts, NULL);
		proc_stat(&busy1, &tot1);
		base_rate = (double)(busy1 - busy0) / (double)hz / ((double)(now_ns() - t0) / 1e9);
	}

	/* Data. */
	it_pos = 0;
	proc_stat(&busy0, &tot0);
	self0 = self_user_ns();
	w0 = watch_jiffies();
	sut0 = sut_runtime_ns();
	t0 = now_ns();
	pump(cfg.pps, (uint64_t)(cfg.duration_s * 1e9), next_data,
	     cfg.migrate ? (uint64_t)(cfg.duration_s * 0.5e9) : 0);
	{
		double el = (double)(now_ns() - t0) / 1e9;

		proc_stat(&busy1, &tot1);
		self1 = self_user_ns();
		w1 = watch_jiffies();
		sut1 = sut_runtime_ns();
		drain(cfg.drain_s);

		for (i = 0; i < cfg.sessions; i++) {
			if (sess[i].backend[0])
				per_be[sess[i].backend[0]]++;
			if (sess[i].changed)
				changed++;
			if (sess[i].backend[0] && sess[i].backend[1]) {
				both++;
				kept += sess[i].backend[0] == sess[i].backend[1];
			}
		}
		printf("sessions: %u\nendpoints: %u\nsize: %u\n", cfg.sessions, cfg.endpoints,
		       cfg.size);
		printf("xdp_mode: %s\n", wgw_xdp_mode_name(bx.mode));
		if (!cfg.no_handshake)
			printf("handshakes_ok: %" PRIu64 "\nhandshake_s: %.3f\n"
			       "handshakes_first_pass: %" PRIu64 "\nsetup_rate: %.0f\n",
			       st.hs_ok, st.hs_s, st.hs_ok_first,
			       st.hs_first_s > 0 ? (double)st.hs_ok_first / st.hs_first_s : 0.0);
		printf("duration_s: %.3f\ntx_data: %" PRIu64 "\nrx_data: %" PRIu64 "\n", el,
		       st.tx_data, st.rx_data);
		printf("tx_pps: %.0f\nrx_pps: %.0f\n", (double)st.tx_data / el,
		       (double)st.rx_data / el);
		printf("loss_pct: %.4f\n", st.tx_data ?
		       100.0 * (double)(st.tx_data - (st.rx_data < st.tx_data ? st.rx_data : st.tx_data)) /
		       (double)st.tx_data : 100.0);
		printf("tx_ring_full: %" PRIu64 "\nrx_other: %" PRIu64 "\n", st.tx_full, st.rx_other);
		printf("lat_p50_us: %.1f\nlat_p99_us: %.1f\nlat_over_200ms: %" PRIu64 "\n",
		       hist_pct(0.5), hist_pct(0.99), hist_over);
		for (i = 1; i < 256; i++)
			if (per_be[i])
				printf("backend.%u.sessions: %u\n", i, per_be[i]);
		printf("sessions_backend_changed: %u\n", changed);
		if (cfg.migrate)
			printf("migration_sessions: %u\nmigration_kept: %u\nmigration_kept_pct: %.2f\n",
			       both, kept, both ? 100.0 * kept / both : 0.0);
		/* CPU over the data phase, in seconds. */
		printf("cpu_busy_s: %.3f\ncpu_total_s: %.3f\ncpu_base_s: %.3f\n"
		       "cpu_self_user_s: %.3f\ncpu_watch_user_s: %.3f\n",
		       (double)(busy1 - busy0) / (double)hz, (double)(tot1 - tot0) / (double)hz,
		       base_rate * el, (double)(self1 - self0) / 1e9, (double)(w1 - w0) / (double)hz);
		if (cfg.n_sut)
			printf("cpu_sut_s: %.6f\n", (double)(sut1 - sut0) / 1e9);
	}
	bx_close(&bx);
	free(sess);
	free(hist);
	return 0;
}
