/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the option modules share (options.c: values and the command line;
 * options_file.c: the config file; options_print.c: --help and the printed
 * configuration; config.c: validation).  Not for use outside them.
 */
#ifndef WGW_OPTIONS_INTERNAL_H
#define WGW_OPTIONS_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/options.h"

/* Per-option bookkeeping while parsing is sized by this. */
#define OPTIONS_MAX 64

/* Format a refusal into buf (if any); always -EINVAL. */
__attribute__((format(printf, 3, 4)))
static inline int wgw_opt_fail(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static inline bool wgw_is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static inline void *wgw_opt_field(struct wgw_config *cfg, const struct wgw_option *o)
{
	return (char *)cfg + o->off;
}

static inline const void *wgw_opt_cfield(const struct wgw_config *cfg,
					 const struct wgw_option *o)
{
	return (const char *)cfg + o->off;
}

static inline unsigned int wgw_opt_enum_count(const struct wgw_option *o)
{
	unsigned int n = 0;

	while (o->names[n])
		n++;
	return n;
}

/* Every enum field is an int-sized enum (checked by the table check). */
static inline unsigned int wgw_opt_load_enum(const struct wgw_config *cfg,
					     const struct wgw_option *o)
{
	unsigned int v;

	memcpy(&v, wgw_opt_cfield(cfg, o), sizeof(v));
	return v;
}

/* "auto, xdp-zerocopy, ..." or with sep "|" for the metavar. */
void wgw_opt_enum_list(const struct wgw_option *o, const char *sep,
		       char *buf, size_t len);

/*
 * Apply one value.  val is NULL for a flag given without "=VALUE" on the
 * command line.  On error why says what was expected.
 */
int wgw_opt_set(const struct wgw_option *o, struct wgw_config *cfg,
		const char *val, bool cli, char *why, size_t whylen);

/* The table describes fields of the right type and size and every option
 * has a reload class: 0, or -EINVAL for a programming error that the unit
 * test catches through wgw_config_defaults(). */
int wgw_opt_table_check(void);

#endif
