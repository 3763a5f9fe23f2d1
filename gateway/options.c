// SPDX-License-Identifier: GPL-2.0-only
/*
 * Option values and the command line, from the option table
 * (options_table.c): parsing and storing one value, the table check,
 * defaults, getopt_long().  The config file is options_file.c; --help and
 * the printed configuration options_print.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/options_internal.h"

const struct wgw_option *wgw_option_find(const char *name)
{
	size_t i;

	for (i = 0; i < wgw_n_options; i++)
		if (!strcmp(wgw_options[i].name, name))
			return &wgw_options[i];
	return NULL;
}

/* "auto, xdp-zerocopy, ..." or with sep "|" for the metavar. */
void wgw_opt_enum_list(const struct wgw_option *o, const char *sep,
		       char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; o->names[i] && used < len; i++) {
		int r = snprintf(buf + used, len - used, "%s%s",
				 i ? sep : "", o->names[i]);

		if (r < 0)
			break;
		used += (size_t)r;
	}
}

static void store_enum(struct wgw_config *cfg, const struct wgw_option *o,
		       unsigned int v)
{
	/* Every enum field is an int-sized enum (checked by table_check). */
	memcpy(wgw_opt_field(cfg, o), &v, sizeof(v));
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_uint(const struct wgw_option *o, uint32_t *out, const char *val,
		    char *why, size_t whylen)
{
	uint32_t v;

	if (o->type == WGW_OPT_OCTAL) {
		char *end;
		unsigned long l;

		errno = 0;
		l = strtoul(val, &end, 8);
		if (!*val || *end || errno || val[0] == '-' ||
		    val[0] == '+' || val[0] == ' ' || l < o->min || l > o->max)
			return wgw_opt_fail(why, whylen,
				    "expected an octal mode %04o-%04o, e.g. 0600",
				    o->min, o->max);
		*out = (uint32_t)l;
		return 0;
	}
	if (o->flags & WGW_OPTF_POW2) {
		if (wgw_parse_u32(val, o->min, o->max, &v, NULL, 0) < 0 ||
		    !wgw_is_pow2(v))
			return wgw_opt_fail(why, whylen,
				    "expected a power of two %u-%u", o->min,
				    o->max);
	} else if (wgw_parse_u32(val, o->min, o->max, &v, why, whylen) < 0) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int append_vip(struct wgw_config *cfg, const char *val, char *why,
		      size_t whylen)
{
	struct wgw_vip v;
	unsigned int i;
	int ret;

	ret = wgw_parse_addr_port(val, true, &v.addr, &v.port_lo, &v.port_hi,
				  why, whylen);
	if (ret < 0)
		return ret;
	if (cfg->n_vips >= WGW_MAX_VIPS)
		return wgw_opt_fail(why, whylen, "at most %d service addresses",
			    WGW_MAX_VIPS);
	for (i = 0; i < cfg->n_vips; i++) {
		const struct wgw_vip *w = &cfg->vips[i];

		if (wgw_addr_eq(&w->addr, &v.addr) &&
		    v.port_lo <= w->port_hi && w->port_lo <= v.port_hi)
			return wgw_opt_fail(why, whylen,
				    "overlaps the service address given before it");
	}
	cfg->vips[cfg->n_vips++] = v;
	return 0;
}

static void nat_clear(struct wgw_config *cfg)
{
	memset(&cfg->nat, 0, sizeof(cfg->nat));
	cfg->nat_set = false;
	memset(cfg->nat_pool, 0, sizeof(cfg->nat_pool));
	cfg->n_nat_pool = 0;
}

/* a + 1 within its family; false past the last address. */
static bool addr_next(union wgw_addr *a)
{
	for (int i = 15; i >= (wgw_addr_is_v4(a) ? 12 : 0); i--)
		if (++a->b[i])
			return true;
	return false;
}

/* Compare a and b as numbers (same family). */
static int addr_cmp(const union wgw_addr *a, const union wgw_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}

/* --nat ADDR or ADDR-ADDR (inclusive, low to high), appended to the pool:
 * the first address given is cfg->nat. */
static int append_nat(struct wgw_config *cfg, const char *val, char *why, size_t whylen)
{
	const char *dash = strchr(val, '-');
	char lo_s[INET6_ADDRSTRLEN];
	union wgw_addr lo, hi, a;
	unsigned int n;

	if (dash && (size_t)(dash - val) < sizeof(lo_s)) {
		memcpy(lo_s, val, (size_t)(dash - val));
		lo_s[dash - val] = '\0';
	} else {
		snprintf(lo_s, sizeof(lo_s), "%s", val);
	}
	if (wgw_addr_parse(&lo, lo_s) < 0 || (dash && wgw_addr_parse(&hi, dash + 1) < 0))
		return wgw_opt_fail(why, whylen,
			    "expected an IPv4 or IPv6 address or a range ADDR-ADDR (no port, no brackets)");
	if (!dash)
		hi = lo;
	if (wgw_addr_is_v4(&lo) != wgw_addr_is_v4(&hi) || addr_cmp(&lo, &hi) > 0)
		return wgw_opt_fail(why, whylen,
			    "expected a range from low to high in one address family");
	n = cfg->nat_set ? cfg->n_nat_pool + 1 : 0;
	for (a = lo;;) {
		if (n >= WGW_MAX_NAT)
			return wgw_opt_fail(why, whylen, "at most %d NAT addresses", WGW_MAX_NAT);
		for (unsigned int i = 0; i < n; i++)
			if (wgw_addr_eq(&a, i ? &cfg->nat_pool[i - 1] : &cfg->nat))
				return wgw_opt_fail(why, whylen,
					    "a NAT address given before it again");
		if (n++)
			cfg->nat_pool[cfg->n_nat_pool++] = a;
		else
			cfg->nat = a;
		cfg->nat_set = true;
		if (!addr_cmp(&a, &hi) || !addr_next(&a))
			break;
	}
	return 0;
}

static int append_backend(struct wgw_config *cfg, const char *val, char *why,
			  size_t whylen)
{
	struct wgw_backend b;
	unsigned int i;
	int ret;

	ret = wgw_parse_backend(val, &b, why, whylen);
	if (ret < 0)
		return ret;
	if (cfg->n_backends >= WGW_MAX_BACKENDS)
		return wgw_opt_fail(why, whylen, "at most %d backends",
			    WGW_MAX_BACKENDS);
	for (i = 0; i < cfg->n_backends; i++)
		if (wgw_addr_eq(&cfg->backends[i].addr, &b.addr) &&
		    cfg->backends[i].port == b.port)
			return wgw_opt_fail(why, whylen, "backend given twice");
	cfg->backends[cfg->n_backends++] = b;
	return 0;
}

static int append_store(struct wgw_config *cfg, const char *val, char *why,
			size_t whylen)
{
	struct wgw_store_ep ep;
	int ret = wgw_parse_store(val, &ep, why, whylen);

	if (ret < 0)
		return ret;
	if (cfg->n_stores >= WGW_MAX_STORES)
		return wgw_opt_fail(why, whylen, "at most %d session stores", WGW_MAX_STORES);
	for (unsigned int i = 0; i < cfg->n_stores; i++)
		if (!strcmp(cfg->stores[i].host, ep.host) && cfg->stores[i].port == ep.port)
			return wgw_opt_fail(why, whylen, "session store given twice");
	cfg->stores[cfg->n_stores++] = ep;
	return 0;
}

/* A path or name the config file can carry: wgw_config_print()'s output
 * must load back as the same value, so no whitespace at the ends (inih
 * trims it), no comment starts, no control characters. */
static bool file_printable(const char *s)
{
	size_t n = strlen(s), i;

	if (n && (isspace((unsigned char)s[0]) ||
		  isspace((unsigned char)s[n - 1])))
		return false;
	for (i = 0; i < n; i++) {
		if (iscntrl((unsigned char)s[i]))
			return false;
		/* The printer writes "key = value": a first character
		 * follows a space there too. */
		if ((s[i] == '#' || s[i] == ';') &&
		    (i == 0 || isspace((unsigned char)s[i - 1])))
			return false;
	}
	return true;
}

int wgw_opt_set(const struct wgw_option *o, struct wgw_config *cfg,
		const char *val, bool cli, char *why, size_t whylen)
{
	uint16_t lo, hi;
	int ret;

	if (val && !*val && (o->flags & WGW_OPTF_EMPTY)) {
		/* "" = not set */
		switch (o->type) {
		case WGW_OPT_ENUM:
			store_enum(cfg, o, wgw_opt_enum_count(o));
			return 0;
		case WGW_OPT_ADDR:
			nat_clear(cfg);
			return 0;
		case WGW_OPT_ENDPOINT:
			memset(&cfg->metrics_listen, 0,
			       sizeof(cfg->metrics_listen));
			return 0;
		case WGW_OPT_CPULIST:
			CPU_ZERO(&cfg->cpus);
			cfg->n_cpus = 0;
			return 0;
		case WGW_OPT_STRING:
		case WGW_OPT_IFNAME:
			memset(wgw_opt_field(cfg, o), 0, o->size);
			return 0;
		default:
			break;
		}
	}

	switch (o->type) {
	case WGW_OPT_BOOL: {
		bool b = true;

		if (val && parse_bool(val, &b) < 0)
			return wgw_opt_fail(why, whylen,
				    "expected yes or no (true/false, on/off, 1/0)");
		*(bool *)wgw_opt_field(cfg, o) = b;
		return 0;
	}
	case WGW_OPT_COUNT: {
		unsigned int *n = wgw_opt_field(cfg, o);

		if (cli && !val) {
			if (*n < o->max)
				(*n)++;
			return 0;
		}
		return set_uint(o, n, val, why, whylen);
	}
	case WGW_OPT_UINT:
	case WGW_OPT_OCTAL:
		return set_uint(o, wgw_opt_field(cfg, o), val, why, whylen);
	case WGW_OPT_QUEUES: {
		uint32_t q;

		if (!strcmp(val, "all")) {
			cfg->queues = 0;
			return 0;
		}
		if (wgw_parse_u32(val, 1, WGW_MAX_QUEUES, &q, NULL, 0) < 0)
			return wgw_opt_fail(why, whylen, "expected all or 1-%d",
				    WGW_MAX_QUEUES);
		cfg->queues = q;
		return 0;
	}
	case WGW_OPT_ENUM: {
		unsigned int i;
		char list[160];

		for (i = 0; o->names[i]; i++) {
			if (!strcmp(val, o->names[i])) {
				store_enum(cfg, o, i);
				return 0;
			}
		}
		wgw_opt_enum_list(o, ", ", list, sizeof(list));
		return wgw_opt_fail(why, whylen, "expected one of %s", list);
	}
	case WGW_OPT_STRING:
	case WGW_OPT_CONFIG:
		if (!*val)
			return wgw_opt_fail(why, whylen, "expected a path");
		if (!file_printable(val))
			return wgw_opt_fail(why, whylen,
				    "expected a path without control characters, without whitespace at either end, and without '#' or ';' at its start or after a space");
		if (strlen(val) >= o->size)
			return wgw_opt_fail(why, whylen,
				    "path too long (at most %zu bytes)",
				    o->size - 1);
		memset(wgw_opt_field(cfg, o), 0, o->size);
		memcpy(wgw_opt_field(cfg, o), val, strlen(val));
		return 0;
	case WGW_OPT_IFNAME:
		memset(wgw_opt_field(cfg, o), 0, o->size);
		if (wgw_parse_ifname(val, wgw_opt_field(cfg, o), o->size, why, whylen) < 0)
			return -EINVAL;
		if (!file_printable(val)) {
			memset(wgw_opt_field(cfg, o), 0, o->size);
			return wgw_opt_fail(why, whylen,
				    "expected an interface name without control characters and not starting with '#' or ';'");
		}
		return 0;
	case WGW_OPT_ADDR:
		return append_nat(cfg, val, why, whylen);
	case WGW_OPT_ENDPOINT: {
		struct wgw_endpoint ep = { .set = true };

		ret = wgw_parse_addr_port(val, false, &ep.addr, &ep.port, &hi,
					  why, whylen);
		if (ret < 0)
			return ret;
		cfg->metrics_listen = ep;
		return 0;
	}
	case WGW_OPT_PORT_RANGE:
		ret = wgw_parse_port_range(val, &lo, &hi, why, whylen);
		if (ret < 0)
			return ret;
		cfg->nat_port_lo = lo;
		cfg->nat_port_hi = hi;
		return 0;
	case WGW_OPT_VIP:
		return append_vip(cfg, val, why, whylen);
	case WGW_OPT_BACKEND:
		return append_backend(cfg, val, why, whylen);
	case WGW_OPT_STORE:
		return append_store(cfg, val, why, whylen);
	case WGW_OPT_CPULIST:
		return wgw_parse_cpulist(val, &cfg->cpus, &cfg->n_cpus, why,
					 whylen);
	case WGW_OPT_HELP:
	case WGW_OPT_VERSION:
		return 0;
	}
	return wgw_opt_fail(why, whylen, "internal error: unknown option type");
}

/* Clear a repeatable option's list (the command line replaces the file's). */
static void opt_clear(const struct wgw_option *o, struct wgw_config *cfg)
{
	if (o->type == WGW_OPT_VIP) {
		memset(cfg->vips, 0, sizeof(cfg->vips));
		cfg->n_vips = 0;
	} else if (o->type == WGW_OPT_BACKEND) {
		memset(cfg->backends, 0, sizeof(cfg->backends));
		cfg->n_backends = 0;
	} else if (o->type == WGW_OPT_STORE) {
		memset(cfg->stores, 0, sizeof(cfg->stores));
		cfg->n_stores = 0;
	} else if (o->type == WGW_OPT_ADDR) {
		nat_clear(cfg);
	} else if (o->type == WGW_OPT_COUNT) {
		*(unsigned int *)wgw_opt_field(cfg, o) = 0;
	}
}

int wgw_opt_table_check(void)
{
	size_t i, j;

	if (wgw_n_options > OPTIONS_MAX)
		return -EINVAL;
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		size_t want = 0;

		switch (o->type) {
		case WGW_OPT_BOOL:
			want = sizeof(bool);
			break;
		case WGW_OPT_COUNT:
			want = sizeof(unsigned int);
			break;
		case WGW_OPT_UINT:
		case WGW_OPT_OCTAL:
		case WGW_OPT_QUEUES:
			want = sizeof(uint32_t);
			break;
		case WGW_OPT_ENUM:
			want = sizeof(unsigned int);
			if (!o->names)
				return -EINVAL;
			break;
		case WGW_OPT_IFNAME:
			want = IFNAMSIZ;
			break;
		case WGW_OPT_STRING:
		case WGW_OPT_CONFIG:
			if (o->size < 2)
				return -EINVAL;
			want = o->size;
			break;
		default:
			want = o->size;	/* fixed fields, by type */
			break;
		}
		if (o->size != want || !o->name || !o->help || !o->group)
			return -EINVAL;
		/* A reload class for each; the command-line actions, and only
		 * they, are not running state. */
		if (o->reload == WGW_RELOAD_UNSET ||
		    (o->reload == WGW_RELOAD_ACTION) != !!(o->flags & WGW_OPTF_CLI))
			return -EINVAL;
		if ((o->type == WGW_OPT_VIP || o->type == WGW_OPT_BACKEND ||
		     o->type == WGW_OPT_STORE || o->type == WGW_OPT_ADDR) != !!(o->flags & WGW_OPTF_REPEAT))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(o->name, wgw_options[j].name) ||
			    (o->short_name &&
			     o->short_name == wgw_options[j].short_name))
				return -EINVAL;
	}
	return 0;
}

int wgw_config_defaults(struct wgw_config *cfg)
{
	char why[WGW_CONFIG_ERRLEN];
	size_t i;
	int ret;

	ret = wgw_opt_table_check();
	if (ret < 0)
		return ret;
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		ret = 0;
		if (o->def)
			ret = wgw_opt_set(o, cfg, o->def, false, why, sizeof(why));
		else if (o->flags & WGW_OPTF_EMPTY)
			ret = wgw_opt_set(o, cfg, "", false, why, sizeof(why));
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- Command line ---- */

static int longopt_val(size_t idx)
{
	return wgw_options[idx].short_name ? wgw_options[idx].short_name :
					     256 + (int)idx;
}

static const struct wgw_option *opt_by_val(int c)
{
	size_t i;

	if (c >= 256 && (size_t)(c - 256) < wgw_n_options)
		return &wgw_options[c - 256];
	for (i = 0; i < wgw_n_options; i++)
		if (wgw_options[i].short_name == c)
			return &wgw_options[i];
	return NULL;
}

static bool takes_arg(const struct wgw_option *o)
{
	return o->type != WGW_OPT_BOOL && o->type != WGW_OPT_COUNT &&
	       o->type != WGW_OPT_HELP && o->type != WGW_OPT_VERSION;
}

static void build_getopt(struct option *lo, char *so)
{
	size_t i;
	char *s = so;

	*s++ = ':';	/* report a missing argument as ':' */
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		lo[i].name = o->name;
		/* Flags accept --flag=no on the long form, to turn off
		 * what the config file turned on. */
		lo[i].has_arg = takes_arg(o) ? required_argument :
				o->type == WGW_OPT_BOOL ? optional_argument :
				no_argument;
		lo[i].flag = NULL;
		lo[i].val = longopt_val(i);
		if (o->short_name) {
			*s++ = (char)o->short_name;
			if (takes_arg(o))
				*s++ = ':';
		}
	}
	memset(&lo[wgw_n_options], 0, sizeof(lo[0]));
	*s = '\0';
}

/* The option getopt just complained about, as the user wrote it. */
static const char *bad_arg(int argc, char **argv, char *buf, size_t len)
{
	int i = optind - 1;

	if (optopt > 0 && optopt < 256) {
		snprintf(buf, len, "-%c", optopt);
		return buf;
	}
	if (i >= 0 && i < argc && argv[i])
		return argv[i];
	return "?";
}

int wgw_config_parse_args(struct wgw_config *cfg, int argc, char **argv,
			  char *err, size_t errlen)
{
	struct option lo[OPTIONS_MAX + 1];
	char so[2 * OPTIONS_MAX + 2];
	char why[WGW_CONFIG_ERRLEN], bad[8];
	bool seen[OPTIONS_MAX] = { false };
	const char *config = NULL;
	int c, idx, ret, result = 0;

	ret = wgw_opt_table_check();
	if (ret < 0)
		return wgw_opt_fail(err, errlen, "internal error: bad option table");
	build_getopt(lo, so);

	/* Pass 1: --help, --version and -c, wherever they are, so that the
	 * file is loaded before the options that override it. */
	opterr = 0;
	optind = 0;	/* full reset of glibc's getopt state */
	while ((c = getopt_long(argc, argv, so, lo, &idx)) != -1) {
		const struct wgw_option *o = opt_by_val(c);

		if (!o)
			continue;	/* reported in pass 2 */
		if (o->type == WGW_OPT_HELP)
			return WGW_CONFIG_HELP;
		if (o->type == WGW_OPT_VERSION)
			result = WGW_CONFIG_VERSION;
		else if (o->type == WGW_OPT_CONFIG)
			config = optarg;
	}
	if (result)
		return result;

	if (config) {
		ret = wgw_opt_set(wgw_option_find("config"), cfg, config, true, why,
			      sizeof(why));
		if (ret < 0)
			return wgw_opt_fail(err, errlen, "--config '%s': %s", config,
				    why);
		ret = wgw_config_load_file(cfg, config, err, errlen);
		if (ret < 0)
			return ret;
		/* Remember the file by its absolute name: the daemon changes
		 * to / when it detaches and re-reads the file on SIGHUP. */
		if (config[0] != '/') {
			char *abs = realpath(config, NULL);

			if (abs && strlen(abs) < sizeof(cfg->config_file))
				snprintf(cfg->config_file,
					 sizeof(cfg->config_file), "%s", abs);
			free(abs);
		}
	}

	/* Pass 2: everything else, overriding the file. */
	optind = 0;
	while ((c = getopt_long(argc, argv, so, lo, &idx)) != -1) {
		const struct wgw_option *o;
		size_t i;

		if (c == '?')
			return wgw_opt_fail(err, errlen,
				    "unknown option '%s' (see --help)",
				    bad_arg(argc, argv, bad, sizeof(bad)));
		if (c == ':') {
			const char *name = bad_arg(argc, argv, bad,
						   sizeof(bad));

			o = NULL;
			if (optopt)
				o = opt_by_val(optopt);
			return wgw_opt_fail(err, errlen,
				    "option '%s' needs a value%s%s",
				    name, o && o->metavar ? ": " : "",
				    o && o->metavar ? o->metavar : "");
		}
		o = opt_by_val(c);
		if (!o)
			return wgw_opt_fail(err, errlen, "internal error: option %d",
				    c);
		if (o->type == WGW_OPT_CONFIG)
			continue;
		i = (size_t)(o - wgw_options);
		if (!seen[i]) {
			seen[i] = true;
			opt_clear(o, cfg);
		}
		if (wgw_opt_set(o, cfg, optarg, true, why, sizeof(why)) < 0)
			return wgw_opt_fail(err, errlen, "--%s '%s': %s", o->name,
				    optarg ? optarg : "", why);
	}
	if (optind < argc)
		return wgw_opt_fail(err, errlen,
			    "unexpected argument '%s' (options start with --; see --help)",
			    argv[optind]);
	return 0;
}
