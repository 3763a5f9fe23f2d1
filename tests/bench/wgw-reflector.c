// SPDX-License-Identifier: GPL-2.0-only
/*
 * wgw-reflector: the smallest useful AF_XDP program.  Receives UDP frames
 * for the given destinations on one interface, swaps Ethernet, IP and UDP
 * source and destination, and sends each frame back out of the interface
 * it came in on, from the same UMEM frame (RX ring -> TX ring, no copy in
 * userspace).  Swapping addresses leaves both checksums valid; the few
 * payload bytes it changes are folded into the UDP checksum incrementally.
 *
 * Two roles in the benchmark lab:
 *  - the ceiling: on the gateway's WAN veth, answering clients directly
 *    from the VIP, it is what AF_XDP in copy mode can do on this box;
 *  - the backends: on the backend veth, answering for every backend
 *    address at once, so that backends never limit the systems under test
 *    and cost little CPU.
 * It answers the test payload of tests/tools/proto.h as wraith-backend
 * does: handshake-init -> handshake-resp (outer CID := session CID),
 * data -> data-reply, backend id := the last byte of the address it
 * answered for minus 10 (10.0.0.11 -> 1), or --id.
 *
 * It spins while traffic flows and sleeps in poll() after BX_IDLE_SPINS
 * empty loops, so that an idle reflector leaves the CPU to others.
 * SIGTERM/SIGINT: print counters ("key: value") and exit.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "gateway/packet.h"
#include "tests/bench/bench_xsk.h"
#include "tests/tools/proto.h"

#define RF_BATCH 64		/* descriptors per RX peek */
#define RF_IDLE_SPINS 1000	/* empty loops before sleeping in poll() */
#define RF_POLL_MS 100
#define RF_MAX_DSTS 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int fixed_id = -1;
static uint64_t n_rx, n_tx, n_bad, n_tx_full, n_proto;

/* Fold a changed 16-bit word of the UDP datagram into its checksum. */
static inline void csum_word(uint16_t *check, const uint8_t *oldw, const uint8_t *neww)
{
	uint16_t o, n;

	memcpy(&o, oldw, 2);
	memcpy(&n, neww, 2);
	if (o != n)
		wgw_csum_replace2(check, o, n);
}

/* Rewrite one frame into its answer in place; false to drop it. */
static bool reflect(uint8_t *f, uint32_t len)
{
	struct wgw_pkt p;
	struct wgw_tp t;
	uint8_t tmp[16], old[16], *pl;
	uint16_t check, port, id;
	bool partial;
	unsigned i;

	if (wgw_pkt_parse(&p, f, len) != WGW_PKT_UDP || p.family != AF_INET)
		return false;
	partial = wgw_pkt_udp_csum_is_partial(&p);
	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	memcpy(tmp, f + p.l3_off + 12, 4);
	memcpy(f + p.l3_off + 12, f + p.l3_off + 16, 4);
	memcpy(f + p.l3_off + 16, tmp, 4);
	memcpy(&port, f + p.l4_off, 2);
	memcpy(f + p.l4_off, f + p.l4_off + 2, 2);
	memcpy(f + p.l4_off + 2, &port, 2);

	pl = f + p.payload_off;
	if (!wgw_tp_parse(&t, pl, p.payload_len) || t.bare || p.payload_len < 16) {
		/* Not ours to answer: mirror it as it is. */
		if (partial)
			wgw_pkt_udp_csum_full(&p);
		return true;
	}
	n_proto++;
	/* f + l3_off + 12 now holds the address we answered for. */
	id = fixed_id >= 0 ? (uint16_t)fixed_id : (uint16_t)(f[p.l3_off + 15] - 10);
	memcpy(old, pl, 16);
	if (t.type == WGW_TP_HS_INIT)
		wgw_tp_make_reply(pl, &t, WGW_TP_HS_RESP, id, t.cid);
	else if (t.type == WGW_TP_DATA)
		wgw_tp_make_reply(pl, &t, WGW_TP_DATA_REPLY, id, t.outer_cid);
	else
		return true;
	if (partial) {
		/* A datagram from a local socket over veth carries only the
		 * pseudo-header sum (CHECKSUM_PARTIAL): its receiver would drop
		 * an incrementally updated one.  Compute it in full. */
		wgw_pkt_udp_csum_full(&p);
		return true;
	}
	memcpy(&check, f + p.l4_off + 6, 2);
	if (check) {
		for (i = 0; i < 16; i += 2)
			csum_word(&check, old + i, pl + i);
		if (!check)
			check = 0xffff;
		memcpy(f + p.l4_off + 6, &check, 2);
	}
	return true;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wgw-reflector [OPTIONS] IFNAME ADDR:PORT[-PORT]...\n"
		"Answer UDP to the given IPv4 destinations on IFNAME over AF_XDP (copy\n"
		"mode): swap the addresses, turn WRAITH test requests into replies.\n\n"
		"      --id N     backend id in replies (default: last address byte - 10)\n"
		"  -h, --help\n");
}

static int parse_dst(struct wgw_xdp_dst *d, const char *s)
{
	char buf[64], *colon, *dash, *end;
	unsigned long lo, hi;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	colon = strrchr(buf, ':');
	if (!colon)
		return -EINVAL;
	*colon++ = 0;
	if (wgw_addr_parse(&d->addr, buf) || !wgw_addr_is_v4(&d->addr))
		return -EINVAL;
	dash = strchr(colon, '-');
	if (dash)
		*dash++ = 0;
	lo = strtoul(colon, &end, 10);
	if (*end || !lo || lo > 65535)
		return -EINVAL;
	hi = lo;
	if (dash) {
		hi = strtoul(dash, &end, 10);
		if (*end || hi < lo || hi > 65535)
			return -EINVAL;
	}
	d->port_lo = (uint16_t)lo;
	d->port_hi = (uint16_t)hi;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wgw_xdp_dst dsts[RF_MAX_DSTS];
	struct bx b;
	unsigned n = 0, idle = 0;
	int c, i;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': fixed_id = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 2) {
		usage(stderr);
		return 2;
	}
	for (i = optind + 1; i < argc; i++) {
		if (n == RF_MAX_DSTS || parse_dst(&dsts[n], argv[i])) {
			fprintf(stderr, "wgw-reflector: bad destination '%s' (IPv4 ADDR:PORT[-PORT])\n",
				argv[i]);
			return 2;
		}
		n++;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* Every frame is an RX frame: TX sends received frames back. */
	if (bx_open(&b, argv[optind], dsts, n, BX_RING, 0))
		return 1;
	printf("running: %s %s mode\n", argv[optind], wgw_xdp_mode_name(b.mode));
	fflush(stdout);

	while (!stop) {
		uint32_t idx, tidx, got, k, sent = 0;

		got = xsk_ring_cons__peek(&b.rx, RF_BATCH, &idx);
		if (got) {
			idle = 0;
			if (xsk_ring_prod__reserve(&b.tx, got, &tidx) != got) {
				/* TX ring full: leave them on RX for the next round. */
				n_tx_full++;
				bx_complete(&b, true);
				bx_kick(&b);
				continue;
			}
			for (k = 0; k < got; k++) {
				const struct xdp_desc *d = xsk_ring_cons__rx_desc(&b.rx, idx + k);
				uint64_t a = xsk_umem__add_offset_to_addr(d->addr);

				struct xdp_desc *td;
				uint32_t fi;

				if (!reflect(bx_data(&b, a), d->len)) {
					/* Not IPv4/UDP: sending it back would loop
					 * junk; give the frame back to the fill ring. */
					n_bad++;
					while (xsk_ring_prod__reserve(&b.fq, 1, &fi) != 1)
						;
					*xsk_ring_prod__fill_addr(&b.fq, fi) =
						xsk_umem__extract_addr(d->addr);
					xsk_ring_prod__submit(&b.fq, 1);
					continue;
				}
				td = xsk_ring_prod__tx_desc(&b.tx, tidx + sent);
				td->addr = d->addr;
				td->len = d->len;
				td->options = 0;
				sent++;
			}
			/* Reserved got, used sent: the ring takes what was filled. */
			if (sent < got)
				b.tx.cached_prod -= got - sent;
			xsk_ring_prod__submit(&b.tx, sent);
			xsk_ring_cons__release(&b.rx, got);
			b.outstanding += sent;
			n_rx += got;
			n_tx += sent;
		}
		bx_complete(&b, true);
		bx_kick(&b);
		if (!got && !b.outstanding && ++idle > RF_IDLE_SPINS) {
			struct pollfd pfd = { .fd = b.fd, .events = POLLIN };

			(void)poll(&pfd, 1, RF_POLL_MS);
			idle = 0;
		}
	}
	printf("rx_packets: %" PRIu64 "\ntx_packets: %" PRIu64 "\nrx_bad: %" PRIu64
	       "\nanswered: %" PRIu64 "\ntx_ring_full: %" PRIu64 "\nkicks: %" PRIu64 "\n",
	       n_rx, n_tx, n_bad, n_proto, n_tx_full, b.kicks);
	bx_close(&b);
	return 0;
}
