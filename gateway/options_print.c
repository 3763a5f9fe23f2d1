// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the option table prints: --help, and the effective configuration in
 * config-file syntax (for -v, --check-config, status and the reload check).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gateway/options_internal.h"

/* ---- --help ---- */

#define HELP_COL 32	/* column where the help text starts */
#define HELP_WIDTH 79	/* columns */

/* Print text word-wrapped from column col (the cursor is at column *at);
 * with whole, text is one word that is not broken. */
static void wrap(FILE *out, const char *text, bool whole, int col, int *at)
{
	const char *p = text;

	while (*p) {
		size_t w = whole ? strlen(p) : strcspn(p, " ");

		if (*at > col && *at + 1 + (int)w > HELP_WIDTH) {
			fprintf(out, "\n%*s", col, "");
			*at = col;
		} else if (*at > col) {
			fputc(' ', out);
			(*at)++;
		}
		fwrite(p, 1, w, out);
		*at += (int)w;
		p += w;
		p += strspn(p, " ");
	}
}

void wgw_config_usage(FILE *out, const char *progname)
{
	const char *group = NULL;
	size_t i;

	fprintf(out,
		"Usage: %s [-c FILE] [options]\n"
		"Route WRAITH datagrams from clients to a pool of backend nodes by\n"
		"connection ID, with NAT, over AF_XDP or the kernel's sockets.\n"
		"Config file keys are the long option names (wraith-gateway.conf(5)).\n",
		progname);
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		char head[256], meta[160], def[160];
		int at;

		if (!group || strcmp(group, o->group)) {
			group = o->group;
			fprintf(out, "\n%s:\n", group);
		}
		meta[0] = '\0';
		if (o->type == WGW_OPT_ENUM)
			wgw_opt_enum_list(o, "|", meta, sizeof(meta));
		else if (o->metavar)
			snprintf(meta, sizeof(meta), "%s", o->metavar);
		if (o->short_name)
			at = snprintf(head, sizeof(head), "  -%c, --%s%s%s",
				      o->short_name, o->name,
				      meta[0] ? " " : "", meta);
		else
			at = snprintf(head, sizeof(head), "      --%s%s%s",
				      o->name, meta[0] ? " " : "", meta);
		fputs(head, out);
		if (at + 2 > HELP_COL) {
			fprintf(out, "\n%*s", HELP_COL, "");
		} else {
			fprintf(out, "%*s", HELP_COL - at, "");
		}
		at = HELP_COL;
		wrap(out, o->help, false, HELP_COL, &at);
		if (o->def && o->def[0] && o->type != WGW_OPT_BOOL &&
		    o->type != WGW_OPT_COUNT) {
			/* "(default: X)" stays on one line where it fits; a long
			 * path goes to the next line after "(default:". */
			snprintf(def, sizeof(def), "(default: %s)", o->def);
			wrap(out, def, HELP_COL + (int)strlen(def) <= HELP_WIDTH, HELP_COL, &at);
		}
		fputc('\n', out);
	}
}

/* ---- Effective configuration ---- */

static void print_kv(FILE *out, const char *name, const char *value)
{
	if (value[0])
		fprintf(out, "%s = %s\n", name, value);
	else
		fprintf(out, "%s =\n", name);
}

/* How many values option o has in cfg: the entries of a repeatable
 * option, none for --help and --version, else one. */
static unsigned int value_count(const struct wgw_config *cfg,
				const struct wgw_option *o)
{
	switch (o->type) {
	case WGW_OPT_VIP:
		return cfg->n_vips;
	case WGW_OPT_BACKEND:
		return cfg->n_backends;
	case WGW_OPT_STORE:
		return cfg->n_stores;
	case WGW_OPT_ADDR:
		return cfg->nat_set ? cfg->n_nat_pool + 1 : 1;
	case WGW_OPT_HELP:
	case WGW_OPT_VERSION:
		return 0;
	default:
		return 1;
	}
}

/* Value i of option o in cfg, as the config file writes it. */
static const char *value_str(const struct wgw_config *cfg,
			     const struct wgw_option *o, unsigned int i,
			     char *buf, size_t len)
{
	const struct wgw_backend *b;
	unsigned int e;
	size_t n;

	buf[0] = '\0';
	switch (o->type) {
	case WGW_OPT_BOOL:
		return *(const bool *)wgw_opt_cfield(cfg, o) ? "yes" : "no";
	case WGW_OPT_COUNT:
	case WGW_OPT_UINT:
		snprintf(buf, len, "%u", *(const uint32_t *)wgw_opt_cfield(cfg, o));
		break;
	case WGW_OPT_OCTAL:
		snprintf(buf, len, "%04o", *(const uint32_t *)wgw_opt_cfield(cfg, o));
		break;
	case WGW_OPT_QUEUES:
		if (!cfg->queues)
			return "all";
		snprintf(buf, len, "%u", cfg->queues);
		break;
	case WGW_OPT_ENUM:
		e = wgw_opt_load_enum(cfg, o);
		return e < wgw_opt_enum_count(o) ? o->names[e] : "";
	case WGW_OPT_STRING:
	case WGW_OPT_IFNAME:
	case WGW_OPT_CONFIG:
		return wgw_opt_cfield(cfg, o);
	case WGW_OPT_ADDR:
		if (cfg->nat_set)
			wgw_addr_str(i ? &cfg->nat_pool[i - 1] : &cfg->nat, buf, len);
		break;
	case WGW_OPT_ENDPOINT:
		if (cfg->metrics_listen.set)
			wgw_addr_port_str(&cfg->metrics_listen.addr, cfg->metrics_listen.port,
					  cfg->metrics_listen.port, buf, len);
		break;
	case WGW_OPT_PORT_RANGE:
		snprintf(buf, len, "%u-%u", cfg->nat_port_lo, cfg->nat_port_hi);
		break;
	case WGW_OPT_VIP:
		return wgw_addr_port_str(&cfg->vips[i].addr, cfg->vips[i].port_lo,
					 cfg->vips[i].port_hi, buf, len);
	case WGW_OPT_BACKEND:
		b = &cfg->backends[i];
		wgw_addr_port_str(&b->addr, b->port, b->port, buf, len);
		n = strlen(buf);
		snprintf(buf + n, len - n, "@%u", b->weight);
		break;
	case WGW_OPT_STORE:
		snprintf(buf, len, strchr(cfg->stores[i].host, ':') ? "redis://[%s]:%u" :
			 "redis://%s:%u", cfg->stores[i].host, cfg->stores[i].port);
		break;
	case WGW_OPT_CPULIST:
		return wgw_cpulist_str(&cfg->cpus, buf, len);
	case WGW_OPT_HELP:
	case WGW_OPT_VERSION:
		break;
	}
	return buf;
}

unsigned int wgw_option_nvalues(const struct wgw_config *cfg,
				const struct wgw_option *o)
{
	return value_count(cfg, o);
}

const char *wgw_option_value_at(const struct wgw_config *cfg,
				const struct wgw_option *o, unsigned int i,
				char *buf, size_t len)
{
	return value_str(cfg, o, i, buf, len);
}

const char *wgw_option_value(const struct wgw_config *cfg,
			     const struct wgw_option *o, char *buf, size_t len)
{
	char one[512];
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < value_count(cfg, o) && used < len; i++) {
		int r = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
				 value_str(cfg, o, i, one, sizeof(one)));

		if (r < 0)
			break;
		used += (size_t)r;
	}
	return buf;
}

void wgw_config_print(const struct wgw_config *cfg, FILE *out)
{
	char buf[512];
	const char *group = NULL;
	size_t i;

	fputs("# wraith-gatewayd effective configuration\n", out);
	if (cfg->config_file[0])
		fprintf(out, "# read from %s and the command line\n",
			cfg->config_file);
	fputs("[gateway]\n", out);
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		if (o->flags & WGW_OPTF_CLI)
			continue;
		if (!group || strcmp(group, o->group)) {
			group = o->group;
			fprintf(out, "\n# %s\n", group);
		}
		for (unsigned int k = 0; k < value_count(cfg, o); k++)
			print_kv(out, o->name, value_str(cfg, o, k, buf, sizeof(buf)));
	}
}

/* One ".BR name ," line per option of class cls, the last one ending in
 * ".". */
static void man_keys(FILE *out, enum wgw_reload_class cls)
{
	const struct wgw_option *last = NULL;

	for (size_t i = 0; i < wgw_n_options; i++)
		if (wgw_options[i].reload == cls)
			last = &wgw_options[i];
	for (size_t i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		if (o->reload != cls)
			continue;
		fputs(".BR ", out);
		for (const char *p = o->name; *p; p++)
			fputs(*p == '-' ? "\\-" : (char[]){ *p, 0 }, out);
		fputs(o == last ? " .\n" : " ,\n", out);
	}
}

void wgw_config_reload_man(FILE *out)
{
	fputs(".PP\nKeys a reload applies:\n", out);
	man_keys(out, WGW_RELOAD_LIVE);
	fputs(".PP\nKeys that need a restart (a reload that changes one is refused):\n", out);
	man_keys(out, WGW_RELOAD_RESTART);
}
