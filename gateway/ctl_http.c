// SPDX-License-Identifier: GPL-2.0-only
/*
 * The metrics HTTP listener (see ctl.h): TCP, read-only, one resource
 * (GET or HEAD /metrics, the Prometheus text format), served from a pool
 * of slots of its own by the control socket's state machine (ctl.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "gateway/ctl_internal.h"
#include "gateway/log.h"
#include "gateway/stats.h"

static void http_reply(struct ctl_client *cl, const char *status, const char *type)
{
	int n = snprintf(cl->head, sizeof(cl->head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n%s\r\n", status, type, cl->body.len,
			 !strncmp(status, "405", 3) ? "Allow: GET, HEAD\r\n" : "");

	cl->head_len = n > 0 && (size_t)n < sizeof(cl->head) ? (size_t)n : 0;
	/* HEAD: the headers GET would send, Content-Length included
	 * (RFC 9110 9.3.2), and no body. */
	if (cl->head_only)
		wgw_strbuf_reset(&cl->body);
	cl->off = 0;
	cl->state = CL_WRITE;
}

void wgw_ctl_http_text(struct ctl_client *cl, const char *status, const char *text)
{
	wgw_strbuf_init(&cl->body, 256);
	wgw_strbuf_printf(&cl->body, "%s\n", text);
	http_reply(cl, status, "text/plain; charset=utf-8");
}

void wgw_ctl_http_serve(struct wgw_ctl *c, struct ctl_client *cl)
{
	char method[8], target[64], version[16];
	struct wgw_stats *st;
	int n = 0;

	cl->in[cl->inlen < sizeof(cl->in) ? cl->inlen : sizeof(cl->in) - 1] = '\0';
	if (sscanf(cl->in, "%7s %63s %15s%n", method, target, version, &n) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		wgw_ctl_http_text(cl, "400 Bad Request", "bad request");
		return;
	}
	cl->head_only = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !cl->head_only) {
		wgw_ctl_http_text(cl, "405 Method Not Allowed", "only GET and HEAD");
		return;
	}
	if (strcmp(target, "/metrics")) {
		wgw_ctl_http_text(cl, "404 Not Found", "not found: the metrics are at /metrics");
		return;
	}
	st = wgw_stats_collect(c->d);
	if (!st) {
		wgw_ctl_http_text(cl, "503 Service Unavailable", "out of memory");
		return;
	}
	wgw_strbuf_init(&cl->body, WGW_CTL_REPLY_MAX);
	wgw_stats_prometheus(&cl->body, st);
	wgw_stats_free(st);
	if (cl->body.overflow) {
		wgw_strbuf_free(&cl->body);
		wgw_ctl_http_text(cl, "500 Internal Server Error", "too many metrics");
		return;
	}
	http_reply(cl, "200 OK", "text/plain; version=0.0.4; charset=utf-8");
}

/*
 * A metrics slot: a free one, else the one of the oldest connection that
 * has not completed its request (idle, or trickling), closed for the
 * newcomer.  Holding the pool then takes a steady stream of new
 * connections, and a scraper that sends its request at once still gets
 * through.  NULL when every slot is answering a request.
 */
struct ctl_client *wgw_ctl_http_slot(struct wgw_ctl *c)
{
	struct ctl_client *oldest = NULL;

	for (unsigned i = WGW_CTL_MAX_CLIENTS; i < NCLIENTS; i++) {
		struct ctl_client *cl = &c->cl[i];

		if (cl->state == CL_FREE)
			return cl;
		if (cl->state == CL_READ &&
		    (!oldest || cl->accepted_ms < oldest->accepted_ms))
			oldest = cl;
	}
	if (oldest) {
		wgw_log_ratelimited(LOG_INFO,
				    "metrics: %u connections open: closed the oldest idle one",
				    WGW_CTL_HTTP_MAX_CLIENTS);
		wgw_ctl_client_close(oldest);
	}
	return oldest;
}

int wgw_ctl_http_listen(struct wgw_ctl *c, const struct wgw_endpoint *ep)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(ep->port) };
	struct sockaddr_in sa4 = { .sin_family = AF_INET, .sin_port = htons(ep->port) };
	bool v4 = wgw_addr_is_v4(&ep->addr);
	int fd, one = 1;

	fd = socket(v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v4) {
		sa4.sin_addr.s_addr = wgw_addr_v4(&ep->addr);
	} else {
		sa.sin6_addr = ep->addr.in6;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if ((v4 ? bind(fd, (struct sockaddr *)&sa4, sizeof(sa4))
		: bind(fd, (struct sockaddr *)&sa, sizeof(sa))) ||
	    listen(fd, LISTEN_BACKLOG)) {
		int err = -errno;

		close(fd);
		return err;
	}
	c->mfd = fd;
	return 0;
}
