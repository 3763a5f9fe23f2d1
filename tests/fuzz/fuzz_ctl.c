// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the control protocol (gateway/ctlproto.c), both ends.
 * Byte 0 of the input picks the part, the rest is its input:
 *  0: a request line, as the server reads it from a client.  An accepted
 *     request names a command, has an argument count the command allows
 *     and a format it has, and every argument is a non-empty printable
 *     ASCII word inside the request's own buffer; a refused one says why.
 *  1: a status line, as the client reads it from a server.  Lines the
 *     server writes (wgw_ctl_ok_line / wgw_ctl_err_line) parse back to what
 *     was written.
 *  2: a reply document (struct wgw_doc) driven by the input, written as
 *     JSON, which must then be valid JSON (checked by a small recursive
 *     validator here); strings carry the input's raw bytes.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>

#include "gateway/ctlproto.h"
#include "tests/fuzz/fuzz_common.h"

/* ------------------------------------------------------------ requests */

static void fuzz_request(const uint8_t *data, size_t size)
{
	static struct wgw_ctl_req r;
	char why[256];
	int ret;
	unsigned i;

	why[0] = '\0';
	ret = wgw_ctl_req_parse(&r, (const char *)data, size, why, sizeof(why));
	if (ret) {
		fz_assert(ret == -E2BIG || ret == -EINVAL || ret == -ENOSYS, "ret %d", ret);
		fz_assert(why[0] != '\0', "refused without a reason");
		return;
	}
	fz_assert(r.cmd != NULL, "no command");
	fz_assert(wgw_ctl_cmd_find(r.cmd->name) == r.cmd, "command table");
	fz_assert(r.argc >= r.cmd->min_args && r.argc <= r.cmd->max_args &&
		  r.argc <= WGW_CTL_ARGS_MAX, "argc %u for %s", r.argc, r.cmd->name);
	fz_assert(r.cmd->formats & WGW_CTL_FMTF(r.fmt), "format %d", r.fmt);
	for (i = 0; i < r.argc; i++) {
		const char *a = r.argv[i];
		size_t n, j;

		fz_assert(a >= r.buf && a < r.buf + sizeof(r.buf), "argument outside buf");
		n = strnlen(a, (size_t)(r.buf + sizeof(r.buf) - a));
		fz_assert(n > 0 && a + n < r.buf + sizeof(r.buf), "argument %u length", i);
		for (j = 0; j < n; j++)
			fz_assert(a[j] >= 0x21 && a[j] <= 0x7e, "byte 0x%02x in argument",
				  (unsigned char)a[j]);
		fz_assert(memmem(data, size, a, n) != NULL, "argument not from the input");
		fz_assert(strncmp(a, "format=", 7), "format= left among the arguments");
	}
}

/* ------------------------------------------------------------ status lines */

static void fuzz_status(const uint8_t *data, size_t size)
{
	char line[WGW_CTL_STATUS_MAX + 1], buf[WGW_CTL_STATUS_MAX];
	const char *msg;
	size_t n = size < WGW_CTL_STATUS_MAX ? size : WGW_CTL_STATUS_MAX, body;
	int ret, len;

	memcpy(line, data, n);
	line[n] = '\0';
	ret = wgw_ctl_status_parse(line, &body, &msg);
	fz_assert(ret <= 0, "ret %d", ret);
	if (ret == 0) {
		fz_assert(body <= WGW_CTL_REPLY_MAX, "body %zu", body);
		len = wgw_ctl_ok_line(buf, sizeof(buf), body);
		fz_assert(len > 0 && (size_t)len < sizeof(buf), "ok_line %d", len);
		return;
	}
	fz_assert(msg != NULL, "no message");
	if (ret != -EPROTO) {
		fz_assert(!*msg || (msg > line && msg < line + n), "message outside the line");
		fz_assert(wgw_ctl_errname(ret) != NULL || ret == -EIO, "errno %d", ret);
	}

	/* What the server writes parses back, as one line whatever bytes
	 * the message holds. */
	{
		char m[128];
		size_t k;
		int e = -(int)(1 + ((n ? (unsigned char)line[0] : 0) % 130));
		const char *back;
		size_t b2;

		for (k = 0; k < n && k < sizeof(m) - 1 && line[k]; k++)
			m[k] = line[k];
		m[k] = '\0';
		len = wgw_ctl_err_line(buf, sizeof(buf), e, m);
		fz_assert(len > 0 && (size_t)len < sizeof(buf) && buf[len - 1] == '\n',
			  "err_line %d", len);
		buf[len - 1] = '\0';
		fz_assert(!strchr(buf, '\n'), "err_line wrote a second line");
		ret = wgw_ctl_status_parse(buf, &b2, &back);
		fz_assert(ret == (wgw_ctl_errname(e) ? e : -EIO),
			  "'%s' parsed back as %d, not %d", buf, ret, e);
	}
}

/* ------------------------------------------------------------ documents */

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_value(const char *p, int depth);

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p++;

		if (c == '"')
			return p;
		if (c < 0x20)
			return NULL;	/* includes the NUL at the end */
		if (c == '\\') {
			c = (unsigned char)*p++;
			if (c == 'u') {
				int i;

				for (i = 0; i < 4; i++, p++)
					if (!strchr("0123456789abcdefABCDEF", *p) || !*p)
						return NULL;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return NULL;
			}
		}
	}
}

static const char *json_number(const char *p)
{
	const char *s = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > s ? p : NULL;
}

static const char *json_value(const char *p, int depth)
{
	p = json_ws(p);
	if (depth > 64)
		return NULL;
	switch (*p) {
	case '{':
		p = json_ws(p + 1);
		if (*p == '}')
			return p + 1;
		for (;;) {
			p = json_string(json_ws(p));
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
			p = json_value(p, depth + 1);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == '}')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '[':
		p = json_ws(p + 1);
		if (*p == ']')
			return p + 1;
		for (;;) {
			p = json_value(p, depth + 1);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == ']')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '"':
		return json_string(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return json_number(p);
	}
}

static void fuzz_doc(const uint8_t *data, size_t size, enum wgw_ctl_fmt fmt)
{
	static const char *const keys[] = { "a", "backends", "rx_packets", "x_1", "" };
	struct fz f = { data, size };
	struct wgw_strbuf sb;
	struct wgw_doc d;
	unsigned open = 0, ops = 0;
	char val[64];
	const char *end;

	wgw_strbuf_init(&sb, 1u << 20);
	wgw_doc_begin(&d, &sb, fmt);
	while (f.n && ops++ < 256) {
		uint8_t op = fz_u8(&f);
		const char *key = keys[(op >> 4) % 5];
		size_t n;

		switch (op & 15) {
		case 0:
		case 1:
			if (open < WGW_DOC_DEPTH - 1) {
				if (op & 1)
					wgw_doc_arr(&d, key);
				else
					wgw_doc_obj(&d, key);
				open++;
			}
			break;
		case 2:
			if (open) {
				wgw_doc_close(&d);
				open--;
			}
			break;
		case 3:
			n = fz_bytes(&f, val, (size_t)(fz_u8(&f) % (sizeof(val) - 1)));
			val[n] = '\0';
			wgw_doc_str(&d, key, val);
			break;
		case 4:
			wgw_doc_u64(&d, key, fz_u64(&f));
			break;
		case 5:
			wgw_doc_i64(&d, key, (int64_t)fz_u64(&f));
			break;
		case 6: {
			uint64_t bits = fz_u64(&f);
			double v;

			memcpy(&v, &bits, sizeof(v));
			wgw_doc_dbl(&d, key, v);
			break;
		}
		case 7:
			wgw_doc_bool(&d, key, op & 0x80);
			break;
		case 8:
			n = fz_bytes(&f, val, (size_t)(fz_u8(&f) % (sizeof(val) - 1)));
			val[n] = '\0';
			wgw_doc_strf(&d, key, "%s/%u", val, (unsigned)n);
			break;
		default:
			wgw_doc_u64(&d, key, op);
			break;
		}
	}
	while (open--)
		wgw_doc_close(&d);
	wgw_doc_end(&d);
	fz_assert(!sb.overflow, "1 MiB overflowed");
	wgw_strbuf_add(&sb, "", 1);	/* NUL for the validator */
	if (fmt == WGW_CTL_FMT_JSON) {
		end = json_value(sb.p, 0);
		fz_assert(end && *json_ws(end) == '\0', "invalid JSON:\n%s", sb.p);
	} else {
		fz_assert(strlen(sb.p) == sb.len - 1, "NUL inside the text");
	}
	wgw_strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_request(data + 1, size - 1);
		break;
	case 1:
		fuzz_status(data + 1, size - 1);
		break;
	case 2:
		fuzz_doc(data + 1, size - 1, WGW_CTL_FMT_JSON);
		break;
	default:
		fuzz_doc(data + 1, size - 1, WGW_CTL_FMT_TEXT);
		break;
	}
	return 0;
}
