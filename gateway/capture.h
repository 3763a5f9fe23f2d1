/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Capture (wraith-gatewayctl capture): copies of the frames the workers
 * receive, send and drop, and of the XDP program's drops, written out by
 * the daemon as pcapng to a control client.
 *
 * Cost.  Off, a worker tests one word per batch (wgw_capture_poll()) and
 * the XDP program one array per drop.  On, a worker copies each frame
 * that may match a running capture into its own ring (one per worker,
 * single producer, single consumer) as it came in, and again as it goes
 * out after the rewrite, and publishes the batch with one store.  The
 * capture thread empties the rings into each capture's output buffer and
 * writes that to the client without blocking.  A full ring or a full
 * buffer loses records, counted and reported at the end of the capture:
 * nothing a capture or its client does slows a worker down.
 *
 * Up to WGW_CAPTURE_MAX captures run at once, each with its own filter,
 * snap length, count and duration.
 */
#ifndef WGW_CAPTURE_H
#define WGW_CAPTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/addr.h"

#define WGW_CAPTURE_MAX 8		/* captures at once */
#define WGW_CAPTURE_SNAP_MAX 65535	/* bytes, largest snap length asked */
#define WGW_CAPTURE_COPY_MAX 10240	/* bytes of a frame a worker copies */
#define WGW_CAPTURE_RING_BYTES (4u << 20) /* per worker, a power of 2 */
#define WGW_CAPTURE_ON_MASK 0xffu	/* bits of wgw_capture_state: slots */

/*
 * Bit s (s < WGW_CAPTURE_MAX): capture slot s runs; the bits above count
 * the starts and stops (the epoch), so that a record a worker made under
 * an older filter is never given to a capture started since.
 */
extern _Atomic uint64_t wgw_capture_state;

static inline uint64_t wgw_capture_poll(void)
{
	return atomic_load_explicit(&wgw_capture_state, memory_order_acquire);
}

/* ---- the worker's side (capture_ring.c) ---------------------------------- */

struct wgw_buf;
struct wgw_frame;
struct wgw_port;
struct wgw_capture_ring;

/* What became of a frame after the engine: the worker's own outcomes. */
enum wgw_capture_fate {
	WGW_FATE_SENT = 0,		/* queued for TX */
	WGW_FATE_HELD,			/* queued, waiting for a next hop */
	WGW_FATE_DROP_ENGINE,		/* the engine's verdict (its reason) */
	WGW_FATE_NO_EGRESS,
	WGW_FATE_TOO_BIG,
	WGW_FATE_NH_UNREACHABLE,
	WGW_FATE_NH_WRONG_IF,
	WGW_FATE_NH_HOLD_FULL,
	WGW_FATE_MAX
};

/*
 * One burst, when wgw_capture_poll() & WGW_CAPTURE_ON_MASK: before the
 * engine sees the n frames of bufs (received on in), copy those a running
 * capture may want.  Returns the worker's ring to pass to the two calls
 * below, or NULL (no ring: nothing more to do).
 */
struct wgw_capture_ring *wgw_capture_burst_in(unsigned worker, uint64_t state,
					      const struct wgw_port *in,
					      const struct wgw_buf *bufs, unsigned n);
/* Frame k of the burst: its route (f), the frame as it leaves (b, valid
 * for SENT and HELD), the port it leaves by (out, NULL if none) and the
 * worker's fate for it. */
void wgw_capture_burst_fate(struct wgw_capture_ring *r, unsigned k, const struct wgw_frame *f,
			    const struct wgw_buf *b, const struct wgw_port *out,
			    enum wgw_capture_fate fate);
/* Publish the burst's records to the capture thread. */
void wgw_capture_burst_end(struct wgw_capture_ring *r);

/* ---- the control side (capture.c) --------------------------------------- */

struct wgw_capture;
struct wgw_xdp;

/* For nworkers workers (ids 0..nworkers-1), the gateway's WAN and LAN
 * interfaces named wan and lan (records are named by them, whatever port
 * of that side carried the frame).  Before the workers start.  NULL and
 * errno. */
struct wgw_capture *wgw_capture_create(unsigned nworkers, const char *wan, const char *lan);
/* Ends every capture (their clients get the summary) and frees the rings:
 * the workers must have stopped. */
void wgw_capture_destroy(struct wgw_capture *c);

/*
 * Start a capture for a control client (its request's arguments, see
 * wraith-gatewayctl(8)): on success the capture owns fd and streams the
 * reply to it (WGW_CAPTURE_REPLY_OK, then chunks).  xdp: the XDP programs
 * whose drops to copy (NULL entries skipped).  0, or a negative errno with
 * the reason in why (-EINVAL bad arguments, -EBUSY every slot taken).
 * From the control thread.
 */
int wgw_capture_open(struct wgw_capture *c, int fd, const char *const *argv, unsigned argc,
		     struct wgw_xdp *const *xdp, unsigned nxdp, char *why, size_t whylen);
/* Captures running now. */
unsigned wgw_capture_running(struct wgw_capture *c);

/*
 * The reply stream: the status line below, then chunks of one type byte,
 * a 32-bit big-endian length and that many bytes: WGW_CAPTURE_CHUNK_DATA
 * (pcapng, in order) until the capture ends, then one
 * WGW_CAPTURE_CHUNK_END (a line of text: what was captured and lost).
 */
#define WGW_CAPTURE_REPLY_OK "OK stream\n"
#define WGW_CAPTURE_CHUNK_DATA 'D'
#define WGW_CAPTURE_CHUNK_END 'E'
#define WGW_CAPTURE_CHUNK_HDR 5

#endif
