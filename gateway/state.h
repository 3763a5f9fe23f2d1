/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The session state a gateway keeps across a restart: the backends as the
 * control socket left them, the NAT mappings with their NAT ports, and the
 * learned CID bindings with their idle clocks.  Three parts:
 *
 *  - struct wgw_state: plain records, no pointers into the engine;
 *  - the engine's side (engine_state.c): a snapshot from the live tables
 *    (control thread, while the workers route) and the restore into a
 *    fresh engine (before any worker runs);
 *  - the file (statefile.c): a versioned binary format with a checksum,
 *    written atomically and read with every length and value checked, so
 *    a truncated, corrupt or hostile file is refused as a whole.
 *
 * Backends are named by address and port, never by slot: the next daemon
 * may number them differently.
 */
#ifndef WGW_STATE_H
#define WGW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/addr.h"

#define WGW_STATE_VERSION 1

/* What the control socket changed on a backend since the start. */
#define WGW_STATE_BE_RUNTIME	(1u << 0) /* added with "backends add" */
#define WGW_STATE_BE_DRAIN	(1u << 1) /* drained */
#define WGW_STATE_BE_WEIGHT	(1u << 2) /* weight changed from the config's */
#define WGW_STATE_BE_FORCED	(1u << 3) /* forced down ("backends down") */

struct wgw_state_backend {
	union wgw_addr addr;
	uint16_t port;
	uint8_t flags;			/* WGW_STATE_BE_* */
	uint32_t weight;
};

struct wgw_state_map {
	union wgw_addr client, vip;
	uint16_t cport, vport;
	uint16_t nat_port;
	uint16_t nat_k;			/* its NAT address: 0 nat, k nat_pool[k - 1] */
	uint32_t backend;		/* index into backends */
	uint32_t idle_s;		/* since its last packet, at the snapshot */
	uint32_t age_s;			/* since it was made */
};

struct wgw_state_cid {
	uint64_t cid;
	uint32_t backend;		/* index into backends */
	uint32_t map;			/* 1 + index into maps it was last used
					 * with (its quota's source), 0: none */
	uint32_t idle_s;
};

struct wgw_state {
	uint64_t written_s;		/* wall clock (CLOCK_REALTIME) */
	union wgw_addr nat;		/* the NAT address and ports the */
	uint16_t nat_port_lo, nat_port_hi; /* mappings' ports belong to */
	union wgw_addr *nat_pool;	/* the pool's other addresses, in order */
	uint32_t n_nat_pool;		/* < 256 */
	uint32_t n_backends, n_maps, n_cids;
	struct wgw_state_backend *backends;
	struct wgw_state_map *maps;
	struct wgw_state_cid *cids;
};

/* What a restore kept and dropped. */
struct wgw_state_result {
	uint32_t maps, cids;		/* restored */
	uint32_t maps_expired, cids_expired;	/* idle past their timeout */
	uint32_t maps_no_backend, cids_no_backend; /* backend not configured */
	uint32_t maps_nat_changed;	/* NAT address or port range differs */
	uint32_t maps_refused, cids_refused;	/* table full, duplicate */
};

void wgw_state_free(struct wgw_state *st);

/* The file.  Encode: a malloc'd buffer in *buf, its size in *len; 0 or
 * -ENOMEM.  Decode: 0 and *st filled (free with wgw_state_free), or
 * -EINVAL with why (the first problem found); nothing is kept then.
 * max_maps / max_cids bound what is accepted (the tables' capacity). */
int wgw_state_encode(const struct wgw_state *st, uint8_t **buf, size_t *len);
int wgw_state_decode(const uint8_t *buf, size_t len, uint32_t max_maps, uint32_t max_cids,
		     struct wgw_state *st, char *why, size_t whylen);

/* Write path atomically: a temporary file beside it, fsync, rename, fsync
 * of the directory.  0 or a negative errno. */
int wgw_state_write(const char *path, const struct wgw_state *st);
/* Read and decode path: 0, -ENOENT (no file: a first start), or another
 * negative errno with why. */
int wgw_state_read(const char *path, uint32_t max_maps, uint32_t max_cids,
		   struct wgw_state *st, char *why, size_t whylen);

#endif
