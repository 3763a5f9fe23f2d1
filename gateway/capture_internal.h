/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to gateway/capture*.c: the filter, the records in a worker's
 * ring, and what a record is matched on.
 *
 *   capture_ring.c  the worker's side: copy, match, publish
 *   capture.c       the control side: captures, the capture thread, pcapng
 */
#ifndef WGW_CAPTURE_INTERNAL_H
#define WGW_CAPTURE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "gateway/addr.h"
#include "gateway/capture.h"

#define CAP_F_CID 0x01u
#define CAP_F_CLIENT 0x02u
#define CAP_F_CLIENT_PORT 0x04u
#define CAP_F_BACKEND 0x08u
#define CAP_F_BACKEND_PORT 0x10u
#define CAP_F_IFACE 0x20u
#define CAP_F_DROPS 0x40u	/* drops only */

/* A capture's filter, read by the workers word by word (relaxed atomic
 * loads of wgw_capture_filters[slot]): a multiple of 8 bytes. */
struct cap_filter {
	uint32_t flags;		/* CAP_F_* */
	uint32_t snaplen;
	uint64_t cid;
	union wgw_addr client, backend;
	uint16_t client_port, backend_port;
	uint32_t pad;
	char ifname[16];
};
#define CAP_FILTER_WORDS (sizeof(struct cap_filter) / 8)
_Static_assert(sizeof(struct cap_filter) % 8 == 0, "filter copied by words");

extern _Atomic uint64_t wgw_capture_filters[WGW_CAPTURE_MAX][CAP_FILTER_WORDS];
extern struct wgw_capture_ring *_Atomic wgw_capture_rings[];
/* The gateway's interface of each side ([0] WAN, [1] LAN), set before the
 * workers start: records are named by it whatever port carried the frame
 * (the fallback path's VIP sockets and TUN device stand for them). */
extern char wgw_capture_ifnames[2][16];
#define CAP_RINGS_MAX 256	/* worker ids (WGW_ENGINE_MAX_THREADS) */

enum cap_rec_kind {
	CAP_REC_PAD = 0,	/* skip to the end of the ring */
	CAP_REC_IN,
	CAP_REC_OUT,
	CAP_REC_DROP,		/* as it came in, then dropped */
	CAP_REC_XDP_DROP,	/* the XDP program's (never in a ring) */
};

/* A record in a worker's ring, followed by caplen bytes of frame; size
 * is a multiple of 8. */
struct cap_rec {
	uint32_t size;
	uint32_t mask;		/* captures it is for (bit = slot); 0: none */
	uint64_t epoch;		/* wgw_capture_state >> 8 when made */
	uint64_t ts_ns;		/* CLOCK_REALTIME */
	uint32_t len, caplen;
	uint16_t reason;	/* engine drop reason, or XDP counter */
	uint8_t kind;		/* enum cap_rec_kind */
	uint8_t fate;		/* enum wgw_capture_fate */
	uint8_t side;		/* WGW_SIDE_* of the record's interface */
	uint8_t pad;
	uint16_t queue;
	uint16_t nat_port;	/* OUT: the mapping's NAT port */
	uint16_t to_port;	/* OUT: destination port */
	union wgw_addr to;	/* OUT: destination address */
	union wgw_addr nat;	/* OUT: the mapping's NAT address */
	char ifname[16];
};

/* The addresses, ports and CID of a frame, read leniently (a truncated
 * copy still has its headers).  False when it is not UDP over IP. */
struct cap_tuple {
	union wgw_addr src, dst;
	uint16_t sport, dport;
	bool has_cid;
	uint64_t cid;
};
struct wgw_capture_ring {
	_Atomic uint64_t head;	/* published by the worker */
	char pad0[56];
	_Atomic uint64_t tail;	/* consumed by the capture thread */
	char pad1[56];
	_Atomic uint64_t lost;	/* records lost: ring full */
	/* The worker's own, for the burst in progress. */
	uint64_t whead;
	uint64_t epoch;
	unsigned nf;
	uint8_t slot[WGW_CAPTURE_MAX];
	struct cap_filter f[WGW_CAPTURE_MAX];
	uint32_t snap;
	uint64_t ts_ns;
	const struct wgw_port *in;
	uint64_t in_off[256];	/* WGW_BATCH_MAX: record of frame k, or CAP_NONE */
	struct cap_tuple in_t[256]; /* frame k as it came in (has_cid false and
				     * ports 0 when it was not UDP) */
	uint8_t data[];		/* WGW_CAPTURE_RING_BYTES */
};
#define CAP_NONE UINT64_MAX

/* What a frame is matched on, as far as it is known. */
struct cap_view {
	bool has_cid, has_client, has_backend;
	uint64_t cid;
	union wgw_addr client, backend;
	uint16_t client_port, backend_port;
};

bool wgw_cap_peek(const uint8_t *d, uint32_t len, struct cap_tuple *t);

/* Whether f takes a record on interface ifname of a frame seen as v
 * (unknown parts of v match nothing they are asked for). */
bool wgw_cap_match(const struct cap_filter *f, const struct cap_view *v, const char *ifname);

#endif
