/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The WRAITH protocol v1 outer header, as the gateway sees it: the one
 * definition the XDP program (wraith_xdp.bpf.c) and userspace (the packet
 * codec, the engine, the handshake limiter, the tools) share.  Macros only,
 * so that both the BPF target and the host compiler take it as is.
 *
 * A datagram's UDP payload begins with the 8-byte cleartext connection ID
 * (big-endian), and every record carries at least a 16-byte Poly1305 tag.
 * Three CID values are reserved (a session CID is random, BLAKE3 of the
 * chain key, and never one of them), and 0 is invalid.
 */
#ifndef WGW_BPF_WRAITH_PROTO_H
#define WGW_BPF_WRAITH_PROTO_H

#define WRAITH_CID_LEN 8		/* bytes, cleartext, big-endian */
#define WRAITH_MIN_PAYLOAD 24		/* bytes: CID + Poly1305 tag */
#define WRAITH_CID_INVALID 0x0000000000000000ULL
#define WRAITH_CID_HANDSHAKE 0xFFFFFFFFFFFFFFFFULL
#define WRAITH_CID_VERSION 0xFFFFFFFFFFFFFFFEULL
#define WRAITH_CID_RESET 0xFFFFFFFFFFFFFFFDULL

#endif
