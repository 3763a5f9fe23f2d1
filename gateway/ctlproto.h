/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol spoken by wraith-gatewayd's control socket and
 * wraith-gatewayctl(8): request parsing, the command table, reply framing
 * and the document writer that renders one reply as text or JSON.  Shared by
 * the server (gateway/ctl.c) and the client; no I/O here, so the unit tests
 * drive it with byte strings.
 *
 * One request per connection, over a SOCK_STREAM UNIX socket:
 *
 *   request = COMMAND *( SP ARG ) LF          at most WGW_CTL_REQ_MAX bytes
 *   reply   = "OK" SP LENGTH LF BODY          BODY is exactly LENGTH bytes
 *           / "ERR" SP CODE SP MESSAGE LF     CODE is an errno name (EINVAL)
 *
 * then the server closes the connection.  Tokens are printable ASCII
 * (0x21-0x7e) separated by spaces or tabs; a CR before the LF is ignored, so
 * is end of input in place of the LF (a client that shuts down its writing
 * side).  The argument "format=text|json|prometheus", anywhere after the
 * command, selects the body's format (default text); not every command has
 * every format.  Everything else is positional.
 *
 * The server renders text and JSON alike from one description of the reply
 * (struct wgw_doc), so the two cannot disagree, the client needs no JSON
 * parser, and `socat - UNIX:/run/wraith-gateway/control.sock` is a usable
 * client.  Text is "key: value" lines, indented by two spaces per level;
 * JSON is one object, keys as in the text.
 */
#ifndef WGW_CTLPROTO_H
#define WGW_CTLPROTO_H

#include "gateway/doc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WGW_CTL_REQ_MAX 1024		/* bytes, request line including LF */
#define WGW_CTL_ARGS_MAX 16		/* arguments after the command */
#define WGW_CTL_STATUS_MAX 512		/* bytes, reply status line including LF */
#define WGW_CTL_REPLY_MAX (16u << 20)	/* bytes, largest reply body */
#define WGW_CTL_TIMEOUT_MS 5000		/* a whole exchange, milliseconds */


enum wgw_ctl_cmd_id {
	WGW_CTL_STATUS,
	WGW_CTL_STATS,
	WGW_CTL_SESSIONS,
	WGW_CTL_BACKENDS,
	WGW_CTL_RELOAD,
	WGW_CTL_PING,
	WGW_CTL_HELP,
	WGW_CTL_CAPTURE,	/* streams its reply (gateway/capture.h) */
	WGW_CTL_TRACE,
	WGW_CTL_CONFIG,
	WGW_CTL_TAKEOVER,	/* speaks its own protocol (gateway/takeover.h) */
	WGW_CTL_CMD_MAX
};

struct wgw_ctl_cmd {
	const char *name;
	enum wgw_ctl_cmd_id id;
	unsigned min_args, max_args;	/* positional, format= excluded */
	unsigned formats;		/* WGW_CTL_FMTF() bits */
	const char *usage;		/* arguments, for help */
	const char *help;
};

extern const struct wgw_ctl_cmd wgw_ctl_cmds[];
extern const unsigned wgw_ctl_n_cmds;

/* The command named name (case-sensitive), or NULL. */
const struct wgw_ctl_cmd *wgw_ctl_cmd_find(const char *name);

struct wgw_ctl_req {
	char buf[WGW_CTL_REQ_MAX];	/* the tokens point into it */
	const struct wgw_ctl_cmd *cmd;
	const char *argv[WGW_CTL_ARGS_MAX];
	unsigned argc;
	enum wgw_ctl_fmt fmt;
};

/*
 * Parse one request (the bytes up to and including the LF, or all of them
 * when the client ended its input without one).  0, or a negative errno
 * with a message for the client in why: -E2BIG (line too long, too many
 * arguments), -EINVAL (empty, bad bytes, bad format=, wrong argument
 * count, a format the command does not have), -ENOSYS (unknown command).
 */
int wgw_ctl_req_parse(struct wgw_ctl_req *r, const char *line, size_t len,
		      char *why, size_t whylen);

/* The status lines.  wgw_ctl_err_line() takes a negative errno. */
int wgw_ctl_ok_line(char *buf, size_t len, size_t body_len);
int wgw_ctl_err_line(char *buf, size_t len, int err, const char *msg);

/*
 * Parse a status line (without its LF).  Returns 0 with *body_len for OK,
 * the negative errno named by CODE (-EIO when unknown) with the message
 * pointer for ERR, or -EPROTO when the line is neither.
 */
int wgw_ctl_status_parse(const char *line, size_t *body_len, const char **msg);

/* "EINVAL" for -EINVAL or EINVAL; NULL if unknown. */
const char *wgw_ctl_errname(int err);
/* The errno for a name; 0 if unknown. */
int wgw_ctl_errno(const char *name);

/* A CID as the commands take it: up to 16 hex digits, "0x" allowed.
 * 0 or -EINVAL. */
int wgw_ctl_parse_cid(const char *s, uint64_t *cid);

#endif
