// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control socket server (see ctl.h): the listeners, each client's
 * state machine (read a request, write the reply, close), deadlines and
 * access.  The commands are in ctl_cmds.c, the metrics HTTP exchange in
 * ctl_http.c; both are served from the same slots and poll loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "gateway/ctl_internal.h"
#include "gateway/daemon.h"
#include "gateway/log.h"
#include "gateway/takeover.h"
#include "gateway/stats.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ----------------------------------------------------------- clients */

void wgw_ctl_client_close(struct ctl_client *cl)
{
	if (cl->state == CL_FREE)
		return;
	close(cl->fd);
	wgw_strbuf_free(&cl->body);
	cl->state = CL_FREE;
	cl->fd = -1;
}

static void reply_err(struct ctl_client *cl, int err, const char *msg)
{
	wgw_strbuf_reset(&cl->body);
	cl->head_len = (size_t)wgw_ctl_err_line(cl->head, sizeof(cl->head), err, msg);
	cl->off = 0;
	cl->state = CL_WRITE;
}

static void serve_request(struct wgw_ctl *c, struct ctl_client *cl, size_t len)
{
	struct wgw_ctl_req *req;
	char why[WGW_CONFIG_ERRLEN];
	struct wgw_doc doc;
	int err;

	req = malloc(sizeof(*req));
	if (!req) {
		reply_err(cl, -ENOMEM, "out of memory");
		return;
	}
	why[0] = '\0';
	err = wgw_ctl_req_parse(req, cl->in, len, why, sizeof(why));
	if (err) {
		wgw_dbg("control: bad request: %s", why);
		reply_err(cl, err, why);
		free(req);
		return;
	}
	if (req->cmd->id == WGW_CTL_TAKEOVER) {
		free(req);
		/* Synchronous: the workers serve on while the control loop
		 * talks to the successor (a second at most, bounded). */
		wgw_takeover_serve(c->d, cl->fd);
		close(cl->fd);
		cl->fd = -1;
		cl->state = CL_FREE;
		return;
	}
	if (req->cmd->id == WGW_CTL_CAPTURE) {
		err = wgw_ctl_capture(c, cl->fd, req, why, sizeof(why));
		free(req);
		if (err) {
			reply_err(cl, err, why);
			return;
		}
		/* The capture writes the reply and closes the connection. */
		cl->fd = -1;
		cl->state = CL_FREE;
		return;
	}
	wgw_strbuf_init(&cl->body, WGW_CTL_REPLY_MAX);
	if (req->fmt != WGW_CTL_FMT_PROM)
		wgw_doc_begin(&doc, &cl->body, req->fmt);
	else
		memset(&doc, 0, sizeof(doc)), doc.sb = &cl->body;
	err = wgw_ctl_run(c, req, &doc, why, sizeof(why));
	if (!err && req->fmt != WGW_CTL_FMT_PROM)
		wgw_doc_end(&doc);
	if (!err && cl->body.overflow) {
		err = -E2BIG;
		snprintf(why, sizeof(why), "reply larger than %u bytes%s", WGW_CTL_REPLY_MAX,
			 req->cmd->id == WGW_CTL_SESSIONS ? ": give a smaller limit" : "");
	}
	free(req);
	if (err) {
		reply_err(cl, err, why[0] ? why : strerror(-err));
		return;
	}
	cl->head_len = (size_t)wgw_ctl_ok_line(cl->head, sizeof(cl->head), cl->body.len);
	cl->off = 0;
	cl->state = CL_WRITE;
}

/* After a read or write that failed: true to retry at once (EINTR);
 * otherwise the client is closed, unless it only has to wait (EAGAIN). */
static bool io_again(struct ctl_client *cl)
{
	if (errno == EINTR)
		return true;
	if (errno != EAGAIN)
		wgw_ctl_client_close(cl);
	return false;
}

static void client_write(struct ctl_client *cl)
{
	for (;;) {
		size_t total = cl->head_len + cl->body.len;
		struct iovec iov[2];
		struct msghdr mh = { .msg_iov = iov };
		ssize_t n;

		if (cl->off >= total) {
			wgw_ctl_client_close(cl);
			return;
		}
		if (cl->off < cl->head_len) {
			iov[0] = (struct iovec){ cl->head + cl->off, cl->head_len - cl->off };
			iov[1] = (struct iovec){ cl->body.p, cl->body.len };
			mh.msg_iovlen = cl->body.len ? 2 : 1;
		} else {
			iov[0] = (struct iovec){ cl->body.p + (cl->off - cl->head_len),
						 total - cl->off };
			mh.msg_iovlen = 1;
		}
		/* MSG_NOSIGNAL: a client that went away is no signal. */
		n = sendmsg(cl->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (io_again(cl))
				continue;
			return;
		}
		cl->off += (size_t)n;
	}
}

static void client_read(struct wgw_ctl *c, struct ctl_client *cl)
{
	size_t cap = cl->http ? sizeof(cl->in) - 1 : WGW_CTL_REQ_MAX;

	for (;;) {
		ssize_t n = read(cl->fd, cl->in + cl->inlen, cap - cl->inlen);
		char *lf;

		if (n < 0) {
			if (io_again(cl))
				continue;
			return;
		}
		if (n == 0) {
			/* End of input ends the request too; nothing at all
			 * was a probe (wgw_ctl_open() of another daemon). */
			if (!cl->inlen)
				wgw_ctl_client_close(cl);
			else if (cl->http)
				wgw_ctl_http_text(cl, "400 Bad Request", "incomplete request");
			else
				serve_request(c, cl, cl->inlen);
			break;
		}
		cl->inlen += (size_t)n;
		if (cl->http) {
			cl->in[cl->inlen] = '\0';
			if (strstr(cl->in, "\r\n\r\n") || strstr(cl->in, "\n\n")) {
				wgw_ctl_http_serve(c, cl);
				break;
			}
			if (cl->inlen == cap) {
				wgw_ctl_http_text(cl, "431 Request Header Fields Too Large", "request too large");
				break;
			}
			continue;
		}
		lf = memchr(cl->in + cl->inlen - (size_t)n, '\n', (size_t)n);
		if (lf) {
			serve_request(c, cl, (size_t)(lf - cl->in) + 1);
			break;
		}
		if (cl->inlen == cap) {
			char why[64];

			snprintf(why, sizeof(why), "request longer than %u bytes",
				 WGW_CTL_REQ_MAX - 1);
			reply_err(cl, -E2BIG, why);
			break;
		}
	}
	if (cl->state == CL_WRITE)
		client_write(cl);
}

static bool peer_allowed(struct wgw_ctl *c, int fd, char *why, size_t whylen)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) || len != sizeof(cr)) {
		snprintf(why, whylen, "cannot tell who is asking");
		return false;
	}
	if (cr.uid == 0 || cr.uid == c->uid)
		return true;
	snprintf(why, whylen, "uid %u may not use the control socket", (unsigned)cr.uid);
	wgw_log_ratelimited(LOG_WARNING, "control: refused a client with uid %u (pid %d)",
			    (unsigned)cr.uid, (int)cr.pid);
	return false;
}

/* A free control slot, or NULL. */
static struct ctl_client *ctl_slot(struct wgw_ctl *c)
{
	for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++)
		if (c->cl[i].state == CL_FREE)
			return &c->cl[i];
	return NULL;
}

static void accept_all(struct wgw_ctl *c, int lfd, bool http)
{
	for (;;) {
		struct ctl_client *cl = NULL;
		char why[128];
		int fd;

		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				wgw_log_ratelimited(LOG_WARNING, "control: accept: %s",
						    strerror(errno));
			return;
		}
		cl = http ? wgw_ctl_http_slot(c) : ctl_slot(c);
		if (!cl) {
			/* Say why, best effort, and let the client retry. */
			static const char busy[] = "ERR EBUSY too many control clients\n";
			static const char hbusy[] = "HTTP/1.1 503 Service Unavailable\r\n"
						    "Content-Length: 0\r\nConnection: close\r\n\r\n";

			if (send(fd, http ? hbusy : busy, http ? sizeof(hbusy) - 1 : sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				wgw_dbg("control: busy reply: %s", strerror(errno));
			close(fd);
			wgw_log_ratelimited(LOG_WARNING, "%s: too many clients",
					    http ? "metrics" : "control");
			continue;
		}
		memset(cl, 0, sizeof(*cl));
		cl->fd = fd;
		cl->http = http;
		cl->state = CL_READ;
		cl->accepted_ms = now_ms();
		cl->accepted_pass = c->pass;
		cl->deadline_ms = cl->accepted_ms +
				  (http ? WGW_CTL_HTTP_TIMEOUT_MS : WGW_CTL_TIMEOUT_MS);
		if (!http && !peer_allowed(c, fd, why, sizeof(why))) {
			reply_err(cl, -EPERM, why);
			client_write(cl);
			continue;
		}
		/* The request is often there already. */
		client_read(c, cl);
	}
}

int wgw_ctl_fill_pollfds(struct wgw_ctl *c, struct pollfd *fds, int max)
{
	int n = 0;

	if (n < max)
		fds[n++] = (struct pollfd){ .fd = c->ufd, .events = POLLIN };
	if (c->mfd >= 0 && n < max)
		fds[n++] = (struct pollfd){ .fd = c->mfd, .events = POLLIN };
	for (unsigned i = 0; i < NCLIENTS && n < max; i++) {
		struct ctl_client *cl = &c->cl[i];

		if (cl->state == CL_FREE)
			continue;
		fds[n++] = (struct pollfd){
			.fd = cl->fd,
			.events = cl->state == CL_READ ? POLLIN : POLLOUT,
		};
	}
	return n;
}

void wgw_ctl_handle(struct wgw_ctl *c, const struct pollfd *fds, int n)
{
	uint64_t now;

	c->pass++;
	for (int i = 0; i < n; i++) {
		short re = fds[i].revents;

		if (!re)
			continue;
		if (fds[i].fd == c->ufd) {
			accept_all(c, c->ufd, false);
			continue;
		}
		if (fds[i].fd == c->mfd && c->mfd >= 0) {
			accept_all(c, c->mfd, true);
			continue;
		}
		for (unsigned k = 0; k < NCLIENTS; k++) {
			struct ctl_client *cl = &c->cl[k];

			/* A client accepted in this pass may reuse the number of
			 * one closed in it: these revents are not its own. */
			if (cl->state == CL_FREE || cl->fd != fds[i].fd ||
			    cl->accepted_pass == c->pass)
				continue;
			if (cl->state == CL_READ && (re & (POLLIN | POLLHUP | POLLERR)))
				client_read(c, cl);
			else if (cl->state == CL_WRITE && (re & POLLOUT))
				client_write(cl);
			else if (re & (POLLHUP | POLLERR | POLLNVAL))
				wgw_ctl_client_close(cl);
			break;
		}
	}
	now = now_ms();
	wgw_stats_sample(&c->rates, c->d, now);
	for (unsigned k = 0; k < NCLIENTS; k++) {
		struct ctl_client *cl = &c->cl[k];

		if (cl->state != CL_FREE && now >= cl->deadline_ms) {
			wgw_log_ratelimited(LOG_INFO, "%s: client timed out after %u ms",
					    cl->http ? "metrics" : "control",
					    cl->http ? WGW_CTL_HTTP_TIMEOUT_MS : WGW_CTL_TIMEOUT_MS);
			wgw_ctl_client_close(cl);
		}
	}
}

/* ----------------------------------------------------------- listeners */

/* A daemon answers on path: its socket is not ours to replace. */
static int socket_in_use(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat sb;
	int fd, rc;

	if (lstat(path, &sb))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(sb.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (!rc)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED && errno != ENOENT)
		return -errno;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	wgw_info("control: replaced the stale socket %s", path);
	return 0;
}

static int unix_listen(struct wgw_ctl *c, const char *path, unsigned mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[sizeof(sun.sun_path)];
	struct stat sb;
	mode_t old;
	int fd, err;

	if (!path[0] || strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0750) && errno != EEXIST)
		return -errno;
	err = socket_in_use(path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* Created with the right mode, so no one connects in the window
	 * before the chmod; the chmod makes the mode exact. */
	old = umask(~(mode_t)mode & 0777);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old);
	if (!err && chmod(path, (mode_t)mode))
		err = -errno;
	if (!err && stat(path, &sb))
		err = -errno;
	if (!err && listen(fd, LISTEN_BACKLOG))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->ufd = fd;
	return 0;
}

struct wgw_ctl *wgw_ctl_open(struct wgw_daemon *d, const char *path, unsigned mode)
{
	struct wgw_ctl *c;
	char ep[INET6_ADDRSTRLEN + 8];
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->d = d;
	c->ufd = -1;
	c->mfd = -1;
	c->uid = geteuid();
	for (unsigned i = 0; i < NCLIENTS; i++)
		c->cl[i].fd = -1;
	err = unix_listen(c, path, mode);
	if (err) {
		wgw_err("control socket %s: %s", path, err == -EADDRINUSE ?
			"a running daemon answers on it" : err == -EEXIST ?
			"exists and is not a socket" : strerror(-err));
		goto err_free;
	}
	if (d->cfg.metrics_listen.set) {
		wgw_stats_endpoint(&d->cfg.metrics_listen.addr, d->cfg.metrics_listen.port,
				   ep, sizeof(ep));
		err = wgw_ctl_http_listen(c, &d->cfg.metrics_listen);
		if (err) {
			wgw_err("metrics listener %s: %s", ep, strerror(-err));
			goto err_unix;
		}
		wgw_info("metrics at http://%s/metrics", ep);
	}
	return c;

err_unix:
	close(c->ufd);
	unlink(c->path);
err_free:
	free(c);
	errno = -err;
	return NULL;
}

void wgw_ctl_close(struct wgw_ctl *c)
{
	struct stat sb;

	if (!c)
		return;
	for (unsigned i = 0; i < NCLIENTS; i++)
		wgw_ctl_client_close(&c->cl[i]);
	if (c->mfd >= 0)
		close(c->mfd);
	if (c->ufd >= 0) {
		close(c->ufd);
		/* Only the file we made: a successor may own the path now. */
		if (!stat(c->path, &sb) && sb.st_dev == c->dev && sb.st_ino == c->ino)
			unlink(c->path);
	}
	wgw_stats_sampler_free(&c->rates);
	free(c);
}
