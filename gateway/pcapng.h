/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pcapng writer (draft-ietf-opsawg-pcapng): the Section Header Block,
 * Interface Description Blocks and Enhanced Packet Blocks with the two
 * options a capture needs, a packet comment (opt_comment) and the
 * direction flag (epb_flags), written in host byte order as the format
 * allows (readers learn it from the byte-order magic).  Every function
 * writes one whole block into buf, or nothing: no allocation, no I/O, so
 * the unit test checks the bytes and the capture code decides where they
 * go.
 */
#ifndef WGW_PCAPNG_H
#define WGW_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define WGW_PCAPNG_LINKTYPE_ETHERNET 1
/* epb_flags, bits 0-1: the direction */
#define WGW_PCAPNG_FLAG_INBOUND 1u
#define WGW_PCAPNG_FLAG_OUTBOUND 2u

/* Bytes an Enhanced Packet Block takes, for room checks. */
size_t wgw_pcapng_epb_size(uint32_t caplen, const char *comment);

/*
 * Each returns the block's length in bytes, or -ENOSPC when it does not
 * fit in cap (nothing written).
 *
 * shb: a section of unknown length, userappl (may be NULL) as shb_userappl.
 * idb: linktype, snaplen (0: none); name and descr (either may be NULL) as
 *      if_name and if_description; timestamps in nanoseconds (if_tsresol 9).
 * epb: if_id counts the IDBs of the section from 0; ts_ns since the epoch;
 *      caplen bytes of data out of a packet of origlen; flags as epb_flags
 *      (0: none written); comment (NULL: none) as opt_comment.
 */
int wgw_pcapng_shb(uint8_t *buf, size_t cap, const char *userappl);
int wgw_pcapng_idb(uint8_t *buf, size_t cap, uint16_t linktype, uint32_t snaplen,
		   const char *name, const char *descr);
int wgw_pcapng_epb(uint8_t *buf, size_t cap, uint32_t if_id, uint64_t ts_ns,
		   const void *data, uint32_t caplen, uint32_t origlen, uint32_t flags,
		   const char *comment);

#endif
