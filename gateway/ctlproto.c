// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ctlproto.h"

#define FMT_TJ (WGW_CTL_FMTF(WGW_CTL_FMT_TEXT) | WGW_CTL_FMTF(WGW_CTL_FMT_JSON))

const struct wgw_ctl_cmd wgw_ctl_cmds[] = {
	{ "status", WGW_CTL_STATUS, 0, 0, FMT_TJ, "",
	  "interfaces, mode in use and why, queues, workers, uptime" },
	{ "stats", WGW_CTL_STATS, 0, 0, FMT_TJ | WGW_CTL_FMTF(WGW_CTL_FMT_PROM), "",
	  "counters per interface, queue, backend and drop reason; rates since the last call" },
	{ "sessions", WGW_CTL_SESSIONS, 0, 2, FMT_TJ,
	  "[count | cid CID | client ADDR:PORT | list [LIMIT]]",
	  "session and NAT mapping tables" },
	{ "backends", WGW_CTL_BACKENDS, 0, 3, FMT_TJ,
	  "[list | add ADDR:PORT[@WEIGHT] | remove ADDR:PORT [force] | drain ADDR:PORT |"
	  " undrain ADDR:PORT | weight ADDR:PORT WEIGHT | up ADDR:PORT | down ADDR:PORT]",
	  "list or change the backends (until the next reload)" },
	{ "reload", WGW_CTL_RELOAD, 0, 0, FMT_TJ, "",
	  "read the configuration file again and apply it, or refuse it whole" },
	{ "ping", WGW_CTL_PING, 0, 0, FMT_TJ, "", "check that the daemon answers" },
	{ "help", WGW_CTL_HELP, 0, 0, FMT_TJ, "", "list the commands" },
	{ "capture", WGW_CTL_CAPTURE, 0, 15, WGW_CTL_FMTF(WGW_CTL_FMT_TEXT),
	  "[count=N] [snaplen=N] [duration=S] [drops=1] [cid CID | client ADDR[:PORT] |"
	  " backend ADDR[:PORT] | iface NAME] [and ...]",
	  "pcapng of the packets received, sent and dropped (wraith-gatewayctl capture)" },
	{ "trace", WGW_CTL_TRACE, 0, 6, FMT_TJ,
	  "SRC_ADDR:PORT DST_ADDR:PORT [cid CID] [from wan|lan]",
	  "what the engine would do with such a packet, changing nothing" },
	{ "config", WGW_CTL_CONFIG, 0, 0, FMT_TJ, "",
	  "the running configuration (after reloads and backends changes), in the "
	  "file's syntax or as JSON" },
	{ "takeover", WGW_CTL_TAKEOVER, 0, 0, WGW_CTL_FMTF(WGW_CTL_FMT_TEXT), "",
	  "hand the data path to a new daemon (wraith-gatewayd --takeover; "
	  "wraith-gatewayctl upgrade)" },
};
const unsigned wgw_ctl_n_cmds = sizeof(wgw_ctl_cmds) / sizeof(wgw_ctl_cmds[0]);

const struct wgw_ctl_cmd *wgw_ctl_cmd_find(const char *name)
{
	for (unsigned i = 0; i < wgw_ctl_n_cmds; i++)
		if (!strcmp(wgw_ctl_cmds[i].name, name))
			return &wgw_ctl_cmds[i];
	return NULL;
}

static const char *const fmt_names[] = {
	[WGW_CTL_FMT_TEXT] = "text",
	[WGW_CTL_FMT_JSON] = "json",
	[WGW_CTL_FMT_PROM] = "prometheus",
};

/* ------------------------------------------------------------- requests */

static bool is_token_byte(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

int wgw_ctl_req_parse(struct wgw_ctl_req *r, const char *line, size_t len,
		      char *why, size_t whylen)
{
	const char *toks[WGW_CTL_ARGS_MAX + 2];
	unsigned ntok = 0;
	bool fmt_set = false;
	char *p, *end;

	memset(r, 0, sizeof(*r));
	if (len && line[len - 1] == '\n')
		len--;
	if (len && line[len - 1] == '\r')
		len--;
	if (len >= WGW_CTL_REQ_MAX) {
		snprintf(why, whylen, "request longer than %u bytes", WGW_CTL_REQ_MAX - 1);
		return -E2BIG;
	}
	memcpy(r->buf, line, len);
	r->buf[len] = '\0';
	end = r->buf + len;
	for (p = r->buf; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ' || c == '\t') {
			*p = '\0';
		} else if (!is_token_byte(c)) {
			snprintf(why, whylen, "byte 0x%02x at offset %zu: requests are "
				 "printable ASCII words separated by spaces",
				 c, (size_t)(p - r->buf));
			return -EINVAL;
		} else if (p == r->buf || p[-1] == '\0') {
			if (ntok == sizeof(toks) / sizeof(toks[0])) {
				snprintf(why, whylen, "more than %u arguments", WGW_CTL_ARGS_MAX);
				return -E2BIG;
			}
			if (!strncmp(p, "format=", 7) && ntok > 0) {
				if (fmt_set) {
					snprintf(why, whylen, "format= given twice");
					return -EINVAL;
				}
				fmt_set = true;
			}
			toks[ntok++] = p;
		}
	}
	if (!ntok) {
		snprintf(why, whylen, "empty request");
		return -EINVAL;
	}
	r->cmd = wgw_ctl_cmd_find(toks[0]);
	if (!r->cmd) {
		snprintf(why, whylen, "unknown command '%.64s' (try 'help')", toks[0]);
		return -ENOSYS;
	}
	for (unsigned i = 1; i < ntok; i++) {
		if (strncmp(toks[i], "format=", 7)) {
			if (r->argc == WGW_CTL_ARGS_MAX) {
				snprintf(why, whylen, "more than %u arguments", WGW_CTL_ARGS_MAX);
				return -E2BIG;
			}
			r->argv[r->argc++] = toks[i];
			continue;
		}
		unsigned f;

		for (f = 0; f < sizeof(fmt_names) / sizeof(fmt_names[0]); f++)
			if (!strcmp(toks[i] + 7, fmt_names[f]))
				break;
		if (f == sizeof(fmt_names) / sizeof(fmt_names[0])) {
			snprintf(why, whylen, "'%.64s': expected format=text, format=json "
				 "or format=prometheus", toks[i]);
			return -EINVAL;
		}
		r->fmt = (enum wgw_ctl_fmt)f;
	}
	if (!(r->cmd->formats & WGW_CTL_FMTF(r->fmt))) {
		snprintf(why, whylen, "%s has no %s format", r->cmd->name, fmt_names[r->fmt]);
		return -EINVAL;
	}
	if (r->argc < r->cmd->min_args || r->argc > r->cmd->max_args) {
		snprintf(why, whylen, "usage: %s %s", r->cmd->name, r->cmd->usage);
		return -EINVAL;
	}
	return 0;
}

/* -------------------------------------------------------- status lines */

static const struct {
	int err;
	const char *name;
} errnames[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
	{ E2BIG, "E2BIG" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
	{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOSPC, "ENOSPC" },
	{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { EPROTO, "EPROTO" },
	{ EMSGSIZE, "EMSGSIZE" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ETIMEDOUT, "ETIMEDOUT" },
	{ EALREADY, "EALREADY" }, { ENOBUFS, "ENOBUFS" }, { EUCLEAN, "EUCLEAN" },
};

const char *wgw_ctl_errname(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return NULL;
}

int wgw_ctl_errno(const char *name)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, name))
			return errnames[i].err;
	return 0;
}

int wgw_ctl_ok_line(char *buf, size_t len, size_t body_len)
{
	return snprintf(buf, len, "OK %zu\n", body_len);
}

int wgw_ctl_err_line(char *buf, size_t len, int err, const char *msg)
{
	const char *name = wgw_ctl_errname(err);
	int n;

	n = snprintf(buf, len, "ERR %s ", name ? name : "EIO");
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	/* One line: the message loses line breaks and control bytes. */
	for (const char *p = msg; *p && (size_t)n + 2 < len; p++)
		buf[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p;
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

int wgw_ctl_status_parse(const char *line, size_t *body_len, const char **msg)
{
	char code[24];
	size_t i;

	*body_len = 0;
	*msg = "";
	if (!strncmp(line, "OK ", 3)) {
		const char *p = line + 3;
		char *end;
		unsigned long long v;

		if (*p < '0' || *p > '9')
			return -EPROTO;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || *end || v > WGW_CTL_REPLY_MAX)
			return -EPROTO;
		*body_len = (size_t)v;
		return 0;
	}
	if (strncmp(line, "ERR ", 4))
		return -EPROTO;
	line += 4;
	for (i = 0; line[i] && line[i] != ' ' && i < sizeof(code) - 1; i++)
		code[i] = line[i];
	code[i] = '\0';
	if (line[i] != ' ' && line[i] != '\0')
		return -EPROTO;
	*msg = line[i] ? line + i + 1 : "";
	i = (size_t)wgw_ctl_errno(code);
	return i ? -(int)i : -EIO;
}

int wgw_ctl_parse_cid(const char *s, uint64_t *cid)
{
	uint64_t v = 0;
	size_t n = 0;

	if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
		s += 2;
	for (; *s; s++, n++) {
		unsigned dgt;

		if (*s >= '0' && *s <= '9')
			dgt = (unsigned)(*s - '0');
		else if ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			dgt = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			return -EINVAL;
		if (n == 16)
			return -EINVAL;
		v = v << 4 | dgt;
	}
	if (!n)
		return -EINVAL;
	*cid = v;
	return 0;
}
