// SPDX-License-Identifier: GPL-2.0-only
/* The document writer: text or JSON from one description (doc.h). */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/doc.h"

/* -------------------------------------------------------------- strbuf */

void wgw_strbuf_init(struct wgw_strbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void wgw_strbuf_free(struct wgw_strbuf *sb)
{
	free(sb->p);
	memset(sb, 0, sizeof(*sb));
}

void wgw_strbuf_reset(struct wgw_strbuf *sb)
{
	sb->len = 0;
	sb->overflow = false;
	if (sb->p)
		sb->p[0] = '\0';
}

/* Room for need more bytes plus a NUL; false (and overflow) if not. */
static bool sb_reserve(struct wgw_strbuf *sb, size_t need)
{
	size_t cap;
	char *p;

	if (sb->overflow)
		return false;
	if (need > sb->max || sb->len + need > sb->max) {
		sb->overflow = true;
		return false;
	}
	if (sb->len + need + 1 <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 4096;
	while (cap < sb->len + need + 1)
		cap *= 2;
	if (cap > sb->max + 1)
		cap = sb->max + 1;
	p = realloc(sb->p, cap);
	if (!p) {
		sb->overflow = true;
		return false;
	}
	sb->p = p;
	sb->cap = cap;
	return true;
}

void wgw_strbuf_add(struct wgw_strbuf *sb, const void *data, size_t len)
{
	if (!sb_reserve(sb, len))
		return;
	memcpy(sb->p + sb->len, data, len);
	sb->len += len;
	sb->p[sb->len] = '\0';
}

void wgw_strbuf_vprintf(struct wgw_strbuf *sb, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || !sb_reserve(sb, (size_t)n))
		return;
	vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void wgw_strbuf_printf(struct wgw_strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wgw_strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------- documents */

void wgw_json_str(struct wgw_strbuf *sb, const char *s)
{
	wgw_strbuf_add(sb, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };

			wgw_strbuf_add(sb, e, 2);
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* Bytes outside ASCII are escaped one by one, so the
			 * output is valid JSON whatever an interface name or
			 * a kernel message holds. */
			wgw_strbuf_printf(sb, "\\u%04x", *p);
		} else {
			wgw_strbuf_add(sb, p, 1);
		}
	}
	wgw_strbuf_add(sb, "\"", 1);
}

void wgw_doc_begin(struct wgw_doc *d, struct wgw_strbuf *sb, enum wgw_ctl_fmt fmt)
{
	memset(d, 0, sizeof(*d));
	d->sb = sb;
	d->fmt = fmt == WGW_CTL_FMT_JSON ? WGW_CTL_FMT_JSON : WGW_CTL_FMT_TEXT;
	d->first[0] = true;
	if (d->fmt == WGW_CTL_FMT_JSON)
		wgw_strbuf_add(sb, "{", 1);
}

static void indent(struct wgw_doc *d, unsigned depth)
{
	static const char sp[] = "                                                ";

	wgw_strbuf_add(d->sb, sp, 2 * depth < sizeof(sp) - 1 ? 2 * depth : sizeof(sp) - 1);
}

/* Start an element; in JSON its key (outside arrays), in text the line's
 * beginning.  Returns the depth the element is at. */
static void elem_start(struct wgw_doc *d, const char *key)
{
	unsigned dep = d->depth;

	if (d->fmt == WGW_CTL_FMT_JSON) {
		if (!d->first[dep])
			wgw_strbuf_add(d->sb, ",", 1);
		if (!d->array[dep] && key) {
			wgw_json_str(d->sb, key);
			wgw_strbuf_add(d->sb, ":", 1);
		}
	} else {
		indent(d, dep);
		if (d->array[dep])
			wgw_strbuf_add(d->sb, "- ", 2);
		if (!d->array[dep] && key)
			wgw_strbuf_printf(d->sb, "%s: ", key);
	}
	d->first[dep] = false;
}

static void open_level(struct wgw_doc *d, const char *key, bool array)
{
	unsigned dep = d->depth;

	if (d->fmt == WGW_CTL_FMT_JSON) {
		elem_start(d, key);
		wgw_strbuf_add(d->sb, array ? "[" : "{", 1);
	} else {
		indent(d, dep);
		if (d->array[dep])
			wgw_strbuf_printf(d->sb, "%s:\n", key ? key : "-");
		else
			wgw_strbuf_printf(d->sb, "%s:\n", key ? key : "?");
		d->first[dep] = false;
	}
	if (d->depth < WGW_DOC_DEPTH) {
		d->depth++;
		d->first[d->depth] = true;
		d->array[d->depth] = array;
	}
}

void wgw_doc_obj(struct wgw_doc *d, const char *key)
{
	open_level(d, key, false);
}

void wgw_doc_arr(struct wgw_doc *d, const char *key)
{
	open_level(d, key, true);
}

void wgw_doc_close(struct wgw_doc *d)
{
	if (!d->depth)
		return;
	if (d->fmt == WGW_CTL_FMT_JSON)
		wgw_strbuf_add(d->sb, d->array[d->depth] ? "]" : "}", 1);
	else if (d->first[d->depth] && d->array[d->depth])
		/* An empty list says so, rather than showing nothing. */
		indent(d, d->depth), wgw_strbuf_add(d->sb, "(none)\n", 7);
	d->depth--;
}

void wgw_doc_end(struct wgw_doc *d)
{
	while (d->depth)
		wgw_doc_close(d);
	if (d->fmt == WGW_CTL_FMT_JSON)
		wgw_strbuf_add(d->sb, "}\n", 2);
}

void wgw_doc_str(struct wgw_doc *d, const char *key, const char *val)
{
	elem_start(d, key);
	if (d->fmt == WGW_CTL_FMT_JSON) {
		wgw_json_str(d->sb, val);
	} else {
		/* Text is line-based: a value never breaks a line. */
		for (const char *p = val; *p; p++) {
			char c = *p == '\n' || *p == '\r' ? ' ' : *p;

			wgw_strbuf_add(d->sb, &c, 1);
		}
		wgw_strbuf_add(d->sb, "\n", 1);
	}
}

void wgw_doc_strf(struct wgw_doc *d, const char *key, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	wgw_doc_str(d, key, buf);
}

void wgw_doc_u64(struct wgw_doc *d, const char *key, uint64_t val)
{
	elem_start(d, key);
	wgw_strbuf_printf(d->sb, d->fmt == WGW_CTL_FMT_JSON ? "%" PRIu64 : "%" PRIu64 "\n", val);
}

void wgw_doc_i64(struct wgw_doc *d, const char *key, int64_t val)
{
	elem_start(d, key);
	wgw_strbuf_printf(d->sb, d->fmt == WGW_CTL_FMT_JSON ? "%" PRId64 : "%" PRId64 "\n", val);
}

void wgw_doc_dbl(struct wgw_doc *d, const char *key, double val)
{
	if (!isfinite(val))
		val = 0;
	elem_start(d, key);
	wgw_strbuf_printf(d->sb, d->fmt == WGW_CTL_FMT_JSON ? "%.1f" : "%.1f\n", val);
}

void wgw_doc_bool(struct wgw_doc *d, const char *key, bool val)
{
	elem_start(d, key);
	if (d->fmt == WGW_CTL_FMT_JSON)
		wgw_strbuf_printf(d->sb, "%s", val ? "true" : "false");
	else
		wgw_strbuf_printf(d->sb, "%s\n", val ? "yes" : "no");
}

void wgw_doc_null(struct wgw_doc *d, const char *key)
{
	elem_start(d, key);
	wgw_strbuf_add(d->sb, d->fmt == WGW_CTL_FMT_JSON ? "null" : "-\n",
		       d->fmt == WGW_CTL_FMT_JSON ? 4 : 2);
}

void wgw_doc_u64s(struct wgw_doc *d, const struct wgw_doc_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wgw_doc_u64(d, kv[i].key, kv[i].val);
}
