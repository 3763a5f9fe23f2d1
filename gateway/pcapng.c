// SPDX-License-Identifier: GPL-2.0-only
/*
 * pcapng blocks (see pcapng.h).  Layout of every block: type, total
 * length, body, options, total length again; every field and option
 * padded to 32 bits.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "gateway/pcapng.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2

#define OPT_VALUE_MAX 0xfffcu	/* longest option value written, bytes */

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Bytes an option with a value of len bytes takes (header + padded value). */
static size_t opt_size(size_t len)
{
	return 4 + pad4(len);
}

static size_t str_opt_size(const char *s)
{
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	return opt_size(n < OPT_VALUE_MAX ? n : OPT_VALUE_MAX);
}

struct wbuf {
	uint8_t *p;
	size_t off;
};

static void put32(struct wbuf *w, uint32_t v)
{
	memcpy(w->p + w->off, &v, 4);
	w->off += 4;
}

static void put16(struct wbuf *w, uint16_t v)
{
	memcpy(w->p + w->off, &v, 2);
	w->off += 2;
}

/* len bytes, then zeros up to a multiple of 4. */
static void put_padded(struct wbuf *w, const void *data, size_t len)
{
	if (len)
		memcpy(w->p + w->off, data, len);
	memset(w->p + w->off + len, 0, pad4(len) - len);
	w->off += pad4(len);
}

static void put_opt(struct wbuf *w, uint16_t code, const void *val, size_t len)
{
	put16(w, code);
	put16(w, (uint16_t)len);
	put_padded(w, val, len);
}

static void put_str_opt(struct wbuf *w, uint16_t code, const char *s)
{
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	put_opt(w, code, s, n < OPT_VALUE_MAX ? n : OPT_VALUE_MAX);
}

/* The end of the options and the trailing total length. */
static int finish(struct wbuf *w, size_t total)
{
	put_opt(w, OPT_ENDOFOPT, NULL, 0);
	put32(w, (uint32_t)total);
	return (int)total;
}

int wgw_pcapng_shb(uint8_t *buf, size_t cap, const char *userappl)
{
	size_t total = 4 + 4 + 4 + 2 + 2 + 8 + str_opt_size(userappl) + opt_size(0) + 4;
	struct wbuf w = { buf, 0 };
	uint64_t section_len = UINT64_MAX;	/* -1: not known */

	if (total > cap)
		return -ENOSPC;
	put32(&w, BT_SHB);
	put32(&w, (uint32_t)total);
	put32(&w, BYTE_ORDER_MAGIC);
	put16(&w, 1);	/* major */
	put16(&w, 0);	/* minor */
	memcpy(buf + w.off, &section_len, 8);
	w.off += 8;
	put_str_opt(&w, OPT_SHB_USERAPPL, userappl);
	return finish(&w, total);
}

int wgw_pcapng_idb(uint8_t *buf, size_t cap, uint16_t linktype, uint32_t snaplen,
		   const char *name, const char *descr)
{
	size_t total = 4 + 4 + 2 + 2 + 4 + str_opt_size(name) + str_opt_size(descr) +
		       opt_size(1) + opt_size(0) + 4;
	struct wbuf w = { buf, 0 };
	uint8_t tsresol = 9;	/* 10^-9 s */

	if (total > cap)
		return -ENOSPC;
	put32(&w, BT_IDB);
	put32(&w, (uint32_t)total);
	put16(&w, linktype);
	put16(&w, 0);
	put32(&w, snaplen);
	put_str_opt(&w, OPT_IF_NAME, name);
	put_str_opt(&w, OPT_IF_DESCRIPTION, descr);
	put_opt(&w, OPT_IF_TSRESOL, &tsresol, 1);
	return finish(&w, total);
}

size_t wgw_pcapng_epb_size(uint32_t caplen, const char *comment)
{
	return 4 + 4 + 4 + 4 + 4 + 4 + 4 + pad4(caplen) + str_opt_size(comment) +
	       opt_size(4) + opt_size(0) + 4;
}

int wgw_pcapng_epb(uint8_t *buf, size_t cap, uint32_t if_id, uint64_t ts_ns,
		   const void *data, uint32_t caplen, uint32_t origlen, uint32_t flags,
		   const char *comment)
{
	size_t total = wgw_pcapng_epb_size(caplen, comment);
	struct wbuf w = { buf, 0 };

	if (!flags)
		total -= opt_size(4);
	if (total > cap || total > UINT32_MAX)
		return -ENOSPC;
	put32(&w, BT_EPB);
	put32(&w, (uint32_t)total);
	put32(&w, if_id);
	put32(&w, (uint32_t)(ts_ns >> 32));
	put32(&w, (uint32_t)ts_ns);
	put32(&w, caplen);
	put32(&w, origlen);
	put_padded(&w, data, caplen);
	put_str_opt(&w, OPT_COMMENT, comment);
	if (flags)
		put_opt(&w, OPT_EPB_FLAGS, &flags, 4);
	return finish(&w, total);
}
