/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to gateway/ctl*.c: the server's state and what its parts share.
 *
 *   ctl.c       the control socket: listeners, the client state machine,
 *               request framing and replies
 *   ctl_cmds.c  the command handlers (status, stats, sessions, ...)
 *   ctl_http.c  the metrics HTTP listener: its slots and its one resource
 */
#ifndef WGW_CTL_INTERNAL_H
#define WGW_CTL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "gateway/ctl.h"
#include "gateway/ctlproto.h"
#include "gateway/options.h"
#include "gateway/stats.h"

#define HTTP_REQ_MAX 4096		/* bytes, request line + headers */
#define LISTEN_BACKLOG 16
/* Every slot: the control clients first, then the metrics pool. */
#define NCLIENTS (WGW_CTL_MAX_CLIENTS + WGW_CTL_HTTP_MAX_CLIENTS)

enum cl_state {
	CL_FREE = 0,
	CL_READ,
	CL_WRITE,
};

struct ctl_client {
	enum cl_state state;
	int fd;
	bool http;
	bool head_only;			/* HTTP HEAD: headers, no body */
	uint64_t accepted_ms;
	uint64_t accepted_pass;		/* wgw_ctl.pass when accepted */
	uint64_t deadline_ms;
	size_t inlen;
	char in[HTTP_REQ_MAX];
	char head[WGW_CTL_STATUS_MAX > 256 ? WGW_CTL_STATUS_MAX : 256];
	size_t head_len;
	struct wgw_strbuf body;
	size_t off;			/* bytes of head + body written */
};

struct wgw_ctl {
	struct wgw_daemon *d;
	int ufd, mfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;			/* the socket file we created */
	ino_t ino;
	uid_t uid;
	struct wgw_stats_sampler rates;	/* the daemon's samples, for rates */
	uint64_t pass;			/* wgw_ctl_handle() calls */
	struct ctl_client cl[NCLIENTS];
};

/*
 * Run the handler of r's command, which fills doc (or, for Prometheus,
 * doc->sb) on success.  0, or a negative errno with the reason in why.
 */
int wgw_ctl_run(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		char *why, size_t whylen);

/* Close a client's connection and free its slot (a free slot is ignored). */
void wgw_ctl_client_close(struct ctl_client *cl);

/* The metrics listener: listen on ep (c->mfd); 0 or a negative errno. */
int wgw_ctl_http_listen(struct wgw_ctl *c, const struct wgw_endpoint *ep);
/* A slot for a new metrics connection, or NULL (see ctl_http.c). */
struct ctl_client *wgw_ctl_http_slot(struct wgw_ctl *c);
/* Answer a complete HTTP request in cl->in; cl is then CL_WRITE. */
void wgw_ctl_http_serve(struct wgw_ctl *c, struct ctl_client *cl);
/* Answer with status and a one-line text body; cl is then CL_WRITE. */
void wgw_ctl_http_text(struct ctl_client *cl, const char *status, const char *text);

/* capture: hand fd to the capture module, which streams the reply
 * (ctl_capture.c).  0 (the connection is no longer the server's), or a
 * negative errno with the reason in why. */
int wgw_ctl_capture(struct wgw_ctl *c, int fd, const struct wgw_ctl_req *r, char *why,
		    size_t whylen);
/* trace: the handler (ctl_trace.c). */
int wgw_ctl_trace(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		  char *why, size_t whylen);

#endif
