/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Handshake limiter of the kernel path: the XDP program's per-source
 * handshake bucket (bpf/wraith_shared.h, "Handshake flood protection")
 * for the datagrams that reach the VIP UDP sockets instead of an AF_XDP
 * socket: every client datagram in fallback mode, and in fast-path mode
 * what the XDP program passed to the kernel (IP fragments it cannot
 * parse, reassembled by the kernel).  Same options, same semantics:
 *
 *  - a handshake is a payload whose CID is 0xFFFFFFFFFFFFFFFF, or a bare
 *    Noise first message of exactly WGW_XDP_NOISE_MSG1_LEN bytes;
 *  - GCRA per source: interval = 1e9 / rate ns, tolerance = (burst - 1) *
 *    interval, so a quiet source may send burst handshakes at once, then
 *    rate per second;
 *  - sources are IPv4 addresses and IPv6 /64 prefixes.
 *
 * One table shared by every worker, without locks: a fixed array of slots
 * (a 64-bit source tag and a 64-bit TAT, both atomics, updated with
 * compare-and-swap), each source with two candidate sets of four slots
 * (a cache line each) from a hash keyed with a random key per table, so
 * that nobody outside can aim sources at one set.  A source uses the slot
 * carrying its tag; a new source takes, among its eight candidates, the
 * slot whose bucket is full soonest: an unused one, then an idle one
 * (whose bucket is full anyway, so nothing is lost), then the busy one
 * closest to idle.  What a collision does: nothing while any of the eight
 * is unused or idle; when all are busy with other sources (a flood from
 * more sources than the table holds), the newcomer takes one over and
 * both sources start again from a full bucket, as the XDP program's LRU
 * map evicts.  A collision therefore never makes a source share another
 * one's empty bucket: it can only hand out tokens, never starve anybody.
 * Two sources whose 64-bit tags are equal would share a bucket: with a
 * keyed hash, a 2^-64 chance.  A race between workers on one slot retries
 * a few times, then lets the packet through (one token at most).
 *
 * Nothing is limited twice: the XDP program redirects what it limited to
 * AF_XDP and passes to the kernel only what it could not classify
 * (fragments), with one exception: a whole handshake on a queue without
 * an AF_XDP socket (a NIC with more queues than workers) has passed the
 * program's bucket and meets this one too, so such a source may get less
 * than its rate there.
 *
 * No allocation and no system call per packet: the caller passes the time.
 */
#ifndef WGW_HSLIMIT_H
#define WGW_HSLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/addr.h"

#define WGW_HSLIMIT_SLOTS 65536	/* sources tracked (2 x the XDP LRU map) */

struct wgw_hslimit;

/*
 * A table with the limit rate handshakes per second per source (0: off)
 * and burst (0: rate, as the XDP loader takes it).  Returns NULL with errno set (ENOMEM, EIO when no
 * random key could be drawn).
 */
struct wgw_hslimit *wgw_hslimit_create(uint32_t rate, uint32_t burst);
void wgw_hslimit_destroy(struct wgw_hslimit *hs);

/*
 * Change the limit (reload).  Takes effect at the next packet; a source
 * that got ahead under a slower rate owes no more than the new burst, as
 * in the XDP program.  Safe while workers call wgw_hslimit_allow().
 */
void wgw_hslimit_set(struct wgw_hslimit *hs, uint32_t rate, uint32_t burst);

/* Whether the limiter is on (rate > 0). */
bool wgw_hslimit_enabled(const struct wgw_hslimit *hs);

/*
 * Whether a UDP payload of len bytes is a handshake under the rule above
 * (a CID-prefixed handshake record or a bare Noise first message).
 */
bool wgw_hslimit_is_handshake(const uint8_t *payload, uint32_t len);

/*
 * Account one handshake from src at now_ns (CLOCK_MONOTONIC).  Returns
 * true when it conforms (and takes a token), false when it must be
 * dropped.  Always true when the limiter is off.
 */
bool wgw_hslimit_allow(struct wgw_hslimit *hs, const union wgw_addr *src,
		       uint64_t now_ns);

#endif
