// SPDX-License-Identifier: GPL-2.0-only
/*
 * The INI config file (libinih): keys are the option table's long names,
 * one [gateway] section, errors as file:line with the key and value.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/options_internal.h"

struct file_ctx {
	struct wgw_config *cfg;
	const char *path;
	FILE *f;
	char *line;		/* getline() buffer */
	size_t cap;
	int lineno;		/* lines handed to inih so far */
	int io_errno;
	int err_line;		/* first error found by us, 0 = none */
	char err[WGW_CONFIG_ERRLEN];
	int set_line[OPTIONS_MAX];	/* where a scalar key was set */
};

__attribute__((format(printf, 2, 3)))
static void file_error(struct file_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err_line)
		return;		/* report the first problem only */
	ctx->err_line = ctx->lineno;
	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
}

/*
 * inih's reader: one line per call, so inih's line numbers are ours.  Two
 * rewrites keep the format unsurprising: leading whitespace is dropped
 * (otherwise inih would take an indented line for the continuation of the
 * previous value), and a '#' at the start or after whitespace starts a
 * comment, like ';' does inside inih.
 */
static char *file_reader(char *str, int num, void *stream)
{
	struct file_ctx *ctx = stream;
	ssize_t n;
	char *p, *q;
	size_t len;

	errno = 0;
	n = getline(&ctx->line, &ctx->cap, ctx->f);
	if (n < 0) {
		if (ferror(ctx->f))
			ctx->io_errno = errno ? errno : EIO;
		return NULL;
	}
	ctx->lineno++;
	if (memchr(ctx->line, '\0', (size_t)n)) {
		file_error(ctx, "NUL byte in line");
		str[0] = '\0';
		return str;
	}
	p = ctx->line + strspn(ctx->line, " \t");
	for (q = p; (q = strchr(q, '#')); q++) {
		if (q == p || q[-1] == ' ' || q[-1] == '\t') {
			*q = '\0';
			break;
		}
	}
	len = strcspn(p, "\r\n");
	/* inih's own limit for a line, less the room it wants for "\r\n"
	 * and the NUL. */
	if (num < 4 || len > (size_t)num - 3) {
		file_error(ctx, "line too long (at most %d characters)",
			   num - 3);
		len = 0;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	return str;
}

/* Edit distance (insert, delete, substitute one character) between a and
 * b, both under 64 bytes, case and '_'/'-' ignored. */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int row[64], i, j, la = (unsigned int)strlen(a), lb = (unsigned int)strlen(b);

	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		unsigned int diag = row[0], ca = (unsigned char)tolower(a[i - 1]);

		row[0] = i;
		if (ca == '_')
			ca = '-';
		for (j = 1; j <= lb; j++) {
			unsigned int up = row[j], best = diag + (ca != (unsigned char)b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

/* The option a mistyped key most likely meant: the nearest file key by
 * edit distance (max_sessions, Max-Sessions, sesion-timeout), at most 2
 * edits away and nearer than any other, else NULL. */
static const struct wgw_option *find_similar(const char *name)
{
	const struct wgw_option *best = NULL;
	unsigned int dbest = 3;
	bool tie = false;

	if (strlen(name) >= 64)
		return NULL;
	for (size_t i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		unsigned int d;

		if ((o->flags & WGW_OPTF_CLI) || strlen(o->name) >= 64)
			continue;
		d = edit_distance(name, o->name);
		if (d < dbest) {
			dbest = d;
			best = o;
			tie = false;
		} else if (d == dbest) {
			tie = true;
		}
	}
	return tie ? NULL : best;
}

static int file_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct file_ctx *ctx = user;
	const struct wgw_option *o;
	char why[WGW_CONFIG_ERRLEN];
	size_t idx;

	if (section[0] && strcmp(section, "gateway")) {
		file_error(ctx, "unknown section [%s] (expected [gateway] or none)",
			   section);
		return 0;
	}
	o = wgw_option_find(name);
	if (!o) {
		const struct wgw_option *hint = find_similar(name);

		if (hint)
			file_error(ctx, "unknown key '%s' (did you mean '%s'?)",
				   name, hint->name);
		else
			file_error(ctx, "unknown key '%s' (see wraith-gateway.conf(5))",
				   name);
		return 0;
	}
	if (o->flags & WGW_OPTF_CLI) {
		file_error(ctx, "'%s' is valid on the command line only",
			   name);
		return 0;
	}
	idx = (size_t)(o - wgw_options);
	if (!(o->flags & WGW_OPTF_REPEAT) && ctx->set_line[idx]) {
		file_error(ctx, "%s given twice (first on line %d)", name,
			   ctx->set_line[idx]);
		return 0;
	}
	ctx->set_line[idx] = ctx->lineno;
	if (wgw_opt_set(o, ctx->cfg, value, false, why, sizeof(why)) < 0) {
		file_error(ctx, "%s '%s': %s", name, value, why);
		return 0;
	}
	return 1;
}

int wgw_config_load_file(struct wgw_config *cfg, const char *path,
			 char *err, size_t errlen)
{
	struct file_ctx *ctx;
	char *text = NULL;
	int ret, line;

	/* The context holds a line buffer and per-key state: heap, so that
	 * a reload from a small thread stack is fine too. */
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		snprintf(err, errlen, "config %s: out of memory", path);
		return -ENOMEM;
	}
	ctx->cfg = cfg;
	ctx->path = path;
	ctx->f = wgw_config_open(path, &text, err, errlen);
	if (!ctx->f) {
		ret = -errno;
		goto out_free;
	}

	line = ini_parse_stream(file_reader, ctx, file_handler, ctx);
	if (ctx->io_errno) {
		ret = -ctx->io_errno;
		snprintf(err, errlen, "config %s:%d: read error: %s", path,
			 ctx->lineno, strerror(ctx->io_errno));
	} else if (ctx->err_line && (line <= 0 || ctx->err_line <= line)) {
		ret = -EINVAL;
		snprintf(err, errlen, "config %s:%d: %s", path, ctx->err_line,
			 ctx->err);
	} else if (line > 0) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "config %s:%d: expected 'key = value', '[section]' or a comment",
			 path, line);
	} else if (line < 0) {
		ret = -ENOMEM;
		snprintf(err, errlen, "config %s: out of memory", path);
	} else {
		ret = 0;
	}

	fclose(ctx->f);
out_free:
	free(text);
	free(ctx->line);
	free(ctx);
	return ret;
}

