/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test payload carried by wraith-client and wraith-backend.
 *
 * On the wire the tools send what a gateway sees from real WRAITH nodes
 * (architecture.md, protocol v1): an 8-byte big-endian CID, then
 * "ciphertext", then a 16-byte "tag", 24 bytes at least.  The gateway never
 * looks past the CID, so the tools put a small cleartext test header where
 * the ciphertext (and, for the smallest packets, the tag) would be, and pad
 * the rest with a pattern:
 *
 *   framed:  | CID (8) | test header (16..32) | padding ... |   >= 24 bytes
 *   bare:    | test header (16..32) | padding ... |    32 / 96 / 64 bytes
 *
 * "Bare" packets are the Noise XX handshake messages that today's reference
 * implementation sends without a CID prefix (32, 96 and 64 bytes); a
 * gateway reads their first 8 bytes as an unknown CID and routes them by
 * client endpoint.
 *
 * Test header, all integers big-endian, offsets from its start:
 *
 *   0  magic    u32  WGW_TP_MAGIC
 *   4  type     u8   enum wgw_tp_type
 *   5  flags    u8   WGW_TP_F_*
 *   6  backend  u16  backend id; 0 from the client, set by the backend
 *   8  session  u32  the client's session index
 *  12  seq      u32  per-session sequence number (data), attempt (handshake)
 *  --- 16 bytes: the core, present in every packet (fits a 24-byte one)
 *  16  ts_ns    u64  client send time, CLOCK_MONOTONIC, nanoseconds
 *  24  cid      u64  the session CID (handshakes carry it here, since their
 *                    outer CID is WRAITH_CID_HANDSHAKE or absent)
 *  --- 32 bytes: the full header
 *
 * Fields past the core are present when the packet is long enough: a
 * 24-byte data packet carries the core only (no latency sample; the outer
 * CID is the session's), 32 bytes adds ts_ns, 40 bytes and more carry
 * everything.  Handshake packets always carry the full header.
 *
 * Replies are the request with type, backend and the outer CID rewritten
 * (the backend answers in place): a reply has the request's length, and
 * its outer CID is the session CID, so a gateway sees the CID on the reply
 * path too.  Bare NOISE1 (32 bytes) is answered with a bare NOISE2 of 96
 * bytes; bare NOISE3 (64 bytes) gets no answer.
 */
#ifndef WGW_TOOLS_PROTO_H
#define WGW_TOOLS_PROTO_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/packet.h"

#define WGW_TP_MAGIC 0x57545031U	/* "WTP1" */
#define WGW_TP_CORE_LEN 16		/* bytes: magic .. seq */
#define WGW_TP_TS_END 24		/* bytes: header up to and with ts_ns */
#define WGW_TP_HDR_LEN 32		/* bytes: full header */
#define WGW_TP_TAG_LEN 16		/* bytes: the Poly1305 tag stand-in */
#define WGW_TP_MAX_PAYLOAD 9000		/* bytes: WRAITH's MTU ceiling */

/* Framed handshakes carry the full header after the CID. */
#define WGW_TP_HS_MIN (WRAITH_CID_LEN + WGW_TP_HDR_LEN)	/* 40 bytes */

/* Bare Noise XX message sizes (reference implementation). */
#define WGW_TP_NOISE1_LEN 32	/* -> e */
#define WGW_TP_NOISE2_LEN 96	/* <- e, ee, s, es */
#define WGW_TP_NOISE3_LEN 64	/* -> s, se */

enum wgw_tp_type {
	WGW_TP_HS_INIT = 1,	/* framed, outer CID 0xFF..FF */
	WGW_TP_HS_RESP = 2,	/* framed, outer CID = session CID */
	WGW_TP_DATA = 3,	/* framed, outer CID = session CID */
	WGW_TP_DATA_REPLY = 4,	/* framed, outer CID = session CID */
	WGW_TP_NOISE1 = 5,	/* bare, client -> backend, 32 bytes */
	WGW_TP_NOISE2 = 6,	/* bare, backend -> client, 96 bytes */
	WGW_TP_NOISE3 = 7,	/* bare, client -> backend, 64 bytes, no reply */
	WGW_TP_TYPE_MAX
};

/* flags */
#define WGW_TP_F_MIGRATED 0x01	/* sent after the client's migration */

/* A parsed test packet. */
struct wgw_tp {
	uint64_t outer_cid;	/* 0 for bare packets */
	uint64_t ts_ns;		/* 0 when not carried */
	uint64_t cid;		/* header cid; 0 when not carried */
	uint32_t session;
	uint32_t seq;
	uint16_t backend;
	uint8_t type;
	uint8_t flags;
	uint16_t hdr_off;	/* where the test header starts: 8 or 0 */
	uint16_t len;		/* the whole payload */
	bool bare;
	bool has_ts;
	bool has_cid;
};

static inline uint64_t wgw_tp_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static inline uint32_t wgw_tp_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline uint16_t wgw_tp_get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return be16toh(v);
}

static inline void wgw_tp_put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static inline void wgw_tp_put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void wgw_tp_put16(uint8_t *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, sizeof(v));
}

static inline bool wgw_tp_type_is_bare(uint8_t type)
{
	return type >= WGW_TP_NOISE1 && type <= WGW_TP_NOISE3;
}

/*
 * A session CID the tools may use: not special, and not one whose first
 * four bytes read as the magic (a framed packet must never parse as a bare
 * one).
 */
static inline bool wgw_tp_cid_ok(uint64_t cid)
{
	return !wraith_cid_is_special(cid) && (uint32_t)(cid >> 32) != WGW_TP_MAGIC;
}

/*
 * Parse a payload of len bytes.  A framed packet is recognised by the magic
 * after the CID, a bare one by the magic at offset 0 with a bare type.
 * Returns false for anything else (too short, wrong magic, unknown type,
 * a handshake without its full header).
 */
static inline bool wgw_tp_parse(struct wgw_tp *t, const uint8_t *buf, size_t len)
{
	const uint8_t *h;
	size_t avail;

	if (len < WRAITH_MIN_PAYLOAD || len > WGW_TP_MAX_PAYLOAD)
		return false;
	memset(t, 0, sizeof(*t));
	if (wgw_tp_get32(buf + WRAITH_CID_LEN) == WGW_TP_MAGIC) {
		t->hdr_off = WRAITH_CID_LEN;
		t->outer_cid = wgw_tp_get64(buf);
	} else if (wgw_tp_get32(buf) == WGW_TP_MAGIC) {
		t->hdr_off = 0;
		t->bare = true;
	} else {
		return false;
	}
	h = buf + t->hdr_off;
	avail = len - t->hdr_off;
	t->len = (uint16_t)len;
	t->type = h[4];
	t->flags = h[5];
	t->backend = wgw_tp_get16(h + 6);
	t->session = wgw_tp_get32(h + 8);
	t->seq = wgw_tp_get32(h + 12);
	if (t->type == 0 || t->type >= WGW_TP_TYPE_MAX ||
	    wgw_tp_type_is_bare(t->type) != t->bare)
		return false;
	if (avail >= WGW_TP_TS_END) {
		t->ts_ns = wgw_tp_get64(h + 16);
		t->has_ts = true;
	}
	if (avail >= WGW_TP_HDR_LEN) {
		t->cid = wgw_tp_get64(h + 24);
		t->has_cid = true;
	}
	/* Handshakes exist to tell the backend the session CID. */
	if (t->type != WGW_TP_DATA && t->type != WGW_TP_DATA_REPLY && !t->has_cid)
		return false;
	return true;
}

/* The padding byte at payload offset i: a pattern, so that a gateway that
 * touches the payload is caught, and a corrupted copy is visible in a
 * capture. */
static inline uint8_t wgw_tp_pad_byte(size_t i)
{
	return (uint8_t)(0xa5 ^ i);
}

/* Padding starts after the full header, wherever that ends. */
static inline size_t wgw_tp_pad_start(bool bare)
{
	return (bare ? 0 : WRAITH_CID_LEN) + WGW_TP_HDR_LEN;
}

static inline void wgw_tp_fill_padding(uint8_t *buf, size_t start, size_t len)
{
	size_t i;

	for (i = start; i < len; i++)
		buf[i] = wgw_tp_pad_byte(i);
}

/* True when bytes [start, len) hold the padding pattern. */
static inline bool wgw_tp_padding_ok(const uint8_t *buf, size_t start, size_t len)
{
	uint8_t bad = 0;
	size_t i;

	for (i = start; i < len; i++)
		bad |= buf[i] ^ wgw_tp_pad_byte(i);
	return bad == 0;
}

/*
 * Write the outer CID (framed only) and the test header of a len-byte
 * packet into buf, leaving the padding alone (senders that reuse buffers
 * write it once).  Fields that do not fit are left out, see the table
 * above.  len must be within [WRAITH_MIN_PAYLOAD, WGW_TP_MAX_PAYLOAD].
 */
static inline void wgw_tp_write_hdr(uint8_t *buf, size_t len, bool bare,
				    uint64_t outer_cid, const struct wgw_tp *t)
{
	size_t off = bare ? 0 : WRAITH_CID_LEN, avail = len - off;
	uint8_t *h = buf + off;

	if (!bare)
		wgw_tp_put64(buf, outer_cid);
	wgw_tp_put32(h, WGW_TP_MAGIC);
	h[4] = t->type;
	h[5] = t->flags;
	wgw_tp_put16(h + 6, t->backend);
	wgw_tp_put32(h + 8, t->session);
	wgw_tp_put32(h + 12, t->seq);
	if (avail >= WGW_TP_TS_END)
		wgw_tp_put64(h + 16, t->ts_ns);
	if (avail >= WGW_TP_HDR_LEN)
		wgw_tp_put64(h + 24, t->cid);
}

/*
 * Write a whole packet of len bytes into buf: header and padding.  bare
 * selects the unframed layout (outer_cid ignored).  Returns len, or 0 when
 * len is out of range.
 */
static inline size_t wgw_tp_build(uint8_t *buf, size_t len, bool bare,
				  uint64_t outer_cid, const struct wgw_tp *t)
{
	if (len < WRAITH_MIN_PAYLOAD || len > WGW_TP_MAX_PAYLOAD)
		return 0;
	wgw_tp_write_hdr(buf, len, bare, outer_cid, t);
	wgw_tp_fill_padding(buf, wgw_tp_pad_start(bare), len);
	return len;
}

/* Rewrite a received packet in place into its reply (the backend's job):
 * type, backend id and, for framed packets, the outer CID. */
static inline void wgw_tp_make_reply(uint8_t *buf, const struct wgw_tp *t,
				     uint8_t type, uint16_t backend, uint64_t outer_cid)
{
	uint8_t *h = buf + t->hdr_off;

	if (!t->bare)
		wgw_tp_put64(buf, outer_cid);
	h[4] = type;
	wgw_tp_put16(h + 6, backend);
}

static inline const char *wgw_tp_type_name(uint8_t type)
{
	static const char *const names[WGW_TP_TYPE_MAX] = {
		[WGW_TP_HS_INIT] = "handshake-init",
		[WGW_TP_HS_RESP] = "handshake-resp",
		[WGW_TP_DATA] = "data",
		[WGW_TP_DATA_REPLY] = "data-reply",
		[WGW_TP_NOISE1] = "noise1",
		[WGW_TP_NOISE2] = "noise2",
		[WGW_TP_NOISE3] = "noise3",
	};

	return type < WGW_TP_TYPE_MAX && names[type] ? names[type] : "unknown";
}

#endif
