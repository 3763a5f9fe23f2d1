/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A document described once and written as text or JSON: the control
 * socket's replies (gateway/ctlproto.h), stats, and wgw-probe's JSON.  Text
 * is "key: value" lines, indented by two spaces per level; JSON is one
 * object on one line, keys as in the text.  No I/O: output goes to a
 * growing buffer with a hard limit.
 */
#ifndef WGW_DOC_H
#define WGW_DOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum wgw_ctl_fmt {
	WGW_CTL_FMT_TEXT = 0,
	WGW_CTL_FMT_JSON,
	WGW_CTL_FMT_PROM,		/* Prometheus text exposition 0.0.4 */
};
#define WGW_CTL_FMTF(f) (1u << (f))

/* Growing output buffer with a hard limit; a write past the limit sets
 * overflow and is dropped (the caller then replies E2BIG). */
struct wgw_strbuf {
	char *p;
	size_t len, cap, max;
	bool overflow;			/* also set when malloc failed */
};

void wgw_strbuf_init(struct wgw_strbuf *sb, size_t max);
void wgw_strbuf_free(struct wgw_strbuf *sb);
void wgw_strbuf_reset(struct wgw_strbuf *sb);
void wgw_strbuf_add(struct wgw_strbuf *sb, const void *data, size_t len);
void wgw_strbuf_printf(struct wgw_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void wgw_strbuf_vprintf(struct wgw_strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/*
 * A reply body described once and written as text or JSON.  Keys are
 * identifiers ([a-z0-9_]).  Inside an array, the key of an object is a label
 * shown only in text (e.g. the backend's address as a heading); the key of
 * a scalar is ignored.  Nesting deeper than WGW_DOC_DEPTH is a bug and is
 * flattened silently.
 */
#define WGW_DOC_DEPTH 12

struct wgw_doc {
	struct wgw_strbuf *sb;
	enum wgw_ctl_fmt fmt;		/* TEXT or JSON */
	unsigned depth;
	bool first[WGW_DOC_DEPTH + 1];	/* no element yet at this depth */
	bool array[WGW_DOC_DEPTH + 1];
};

void wgw_doc_begin(struct wgw_doc *d, struct wgw_strbuf *sb, enum wgw_ctl_fmt fmt);
void wgw_doc_end(struct wgw_doc *d);
void wgw_doc_obj(struct wgw_doc *d, const char *key);
void wgw_doc_arr(struct wgw_doc *d, const char *key);
void wgw_doc_close(struct wgw_doc *d);	/* the innermost object or array */
void wgw_doc_str(struct wgw_doc *d, const char *key, const char *val);
void wgw_doc_u64(struct wgw_doc *d, const char *key, uint64_t val);
void wgw_doc_i64(struct wgw_doc *d, const char *key, int64_t val);
void wgw_doc_dbl(struct wgw_doc *d, const char *key, double val);	/* %.1f */
void wgw_doc_bool(struct wgw_doc *d, const char *key, bool val);
void wgw_doc_strf(struct wgw_doc *d, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A run of unsigned members, written in order: { "key", value } pairs. */
struct wgw_doc_kv {
	const char *key;
	uint64_t val;
};
void wgw_doc_u64s(struct wgw_doc *d, const struct wgw_doc_kv *kv, size_t n);
#define WGW_DOC_U64S(d, ...)							\
	do {									\
		const struct wgw_doc_kv kv_[] = { __VA_ARGS__ };		\
		wgw_doc_u64s((d), kv_, sizeof(kv_) / sizeof(kv_[0]));		\
	} while (0)

/* JSON null; "-" in text. */
void wgw_doc_null(struct wgw_doc *d, const char *key);

/* JSON string literal of s (with quotes) appended to sb. */
void wgw_json_str(struct wgw_strbuf *sb, const char *s);

#endif
