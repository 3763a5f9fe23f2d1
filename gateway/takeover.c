// SPDX-License-Identifier: GPL-2.0-only
/* Live takeover (takeover.h): both sides, on the control thread. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fallback/tun.h"
#include "fallback/udp.h"
#include "gateway/daemon.h"
#include "gateway/daemon_internal.h"
#include "gateway/log.h"
#include "gateway/nexthop.h"
#include "gateway/takeover.h"
#include "gateway/worker.h"
#include "gateway/xdp.h"
#include "netlink/rtnl.h"

#define TK_MAGIC 0x58544757u	/* "WGTX" */
#define TK_VERSION 2u
#define TK_FDS_PER_MSG 200u	/* under the kernel's SCM_MAX_FD (253) */
#define TK_MSG_MAX (1u << 30)	/* bytes: a state of many million sessions */
#define TK_MAX_FDS 8192u
#define TK_BIND_RETRY_MS 3000	/* AF_XDP queues released by the other side */
#define TK_DRAIN_MS 20		/* our AF_XDP rings, after the successor's
				 * program stopped filling them */

enum tk_type {
	TK_HELLO = 1,
	TK_INFO,
	TK_FDS,
	TK_COMMIT,
	TK_STATE,
	TK_DONE,
	TK_BYE,
	TK_ERR,
	TK_NEXTHOPS,
};

struct tk_hdr {
	uint32_t magic;
	uint32_t type;
	uint32_t len;		/* payload bytes after the header */
	uint32_t nfds;		/* descriptors carried with the header */
};

struct tk_hello {
	uint32_t version;
	int32_t pid;
	/* followed by the configuration, as wgw_config_print() writes it */
};

struct tk_info {
	uint32_t version;
	uint32_t nworkers, nifs;
	int32_t rung[2], ifindex[2];
	uint32_t has_link[2];
	uint32_t has_pidfd;
	uint32_t ntun, udp_per_worker;
	uint32_t nfds;		/* carried by the FDS messages that follow */
	char notify_socket[108];
	uint32_t journal_len;
	/* followed by the undo journal (journal.c) */
};

struct tk_done {
	int32_t pid;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Blocking, each read or write bounded by WGW_TAKEOVER_STEP_MS. */
static int tk_sock_setup(int fd)
{
	struct timeval tv = {
		.tv_sec = WGW_TAKEOVER_STEP_MS / 1000,
		.tv_usec = (WGW_TAKEOVER_STEP_MS % 1000) * 1000,
	};
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

static int io_err(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
}

static int tk_send(int fd, uint32_t type, const void *p, size_t len, const int *fds,
		   unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * TK_FDS_PER_MSG)];
		struct cmsghdr align;
	} u;
	struct tk_hdr h = { .magic = TK_MAGIC, .type = type, .len = (uint32_t)len,
			    .nfds = nfds };
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)p, .iov_len = len },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (nfds > TK_FDS_PER_MSG || len > TK_MSG_MAX)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* The descriptors go with the first bytes; the rest as it fits. */
	while (mh.msg_iovlen) {
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return io_err();
		}
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int read_full(int fd, void *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, (char *)p + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return io_err();
		if (n == 0)
			return -ECONNRESET;
		off += (size_t)n;
	}
	return 0;
}

/*
 * One message: its type, payload (malloc'd, NUL-terminated, *len bytes)
 * and descriptors (at most maxfds).  An ERR from the other side is logged
 * and returns -ECANCELED.  Descriptors of a refused message are closed.
 */
static int tk_recv(int fd, uint32_t *type, uint8_t **buf, size_t *len, int *fds,
		   unsigned maxfds, unsigned *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * TK_FDS_PER_MSG)];
		struct cmsghdr align;
	} u;
	struct tk_hdr h;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	unsigned got = 0;
	ssize_t n;
	int err;

	*buf = NULL;
	*len = 0;
	*nfds = 0;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return io_err();
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		unsigned k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < maxfds)
				fds[got++] = f;
			else
				close(f);
		}
	}
	err = (mh.msg_flags & MSG_CTRUNC) ? -EPROTO : 0;
	if (!err && (size_t)n < sizeof(h))
		err = read_full(fd, (char *)&h + n, sizeof(h) - (size_t)n);
	if (!err && (h.magic != TK_MAGIC || h.len > TK_MSG_MAX || h.nfds != got))
		err = -EPROTO;
	if (!err) {
		*buf = malloc((size_t)h.len + 1);
		err = *buf ? read_full(fd, *buf, h.len) : -ENOMEM;
	}
	if (!err) {
		(*buf)[h.len] = '\0';
		*len = h.len;
		*type = h.type;
		*nfds = got;
		if (h.type != TK_ERR)
			return 0;
		wgw_err("takeover: the other daemon says: %s", (char *)*buf);
		err = -ECANCELED;
	}
	close_fds(fds, got);
	free(*buf);
	*buf = NULL;
	*len = 0;
	return err;
}

/* A message of the type wanted, without descriptors unless maxfds. */
static int tk_expect(int fd, uint32_t want, uint8_t **buf, size_t *len, int *fds,
		     unsigned maxfds, unsigned *nfds)
{
	unsigned none;
	uint32_t type;
	int err;

	err = tk_recv(fd, &type, buf, len, fds, maxfds, nfds ? nfds : &none);
	if (!err && type != want) {
		close_fds(fds, nfds ? *nfds : none);
		free(*buf);
		*buf = NULL;
		err = -EPROTO;
	}
	return err;
}

static void tk_send_err(int fd, const char *why)
{
	tk_send(fd, TK_ERR, why, strlen(why) + 1, NULL, 0);
}

static char *config_text(const struct wgw_config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	wgw_config_print(cfg, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The first setting of ours that the successor's configuration lacks, or
 * of its that we lack (among the keys we know: a newer version may print
 * more): "" when they agree.  Comments and blank lines do not count.
 */
static void config_diff(const char *ours, const char *theirs, char *why, size_t whylen)
{
	const char *a[2] = { ours, theirs };

	why[0] = '\0';
	for (int side = 0; side < 2 && !why[0]; side++) {
		const char *p = a[side];

		while (*p && !why[0]) {
			size_t n = strcspn(p, "\n"), k = strcspn(p, " \t=\n");
			const char *q = a[!side];
			bool found = false, key_known = side == 0;

			if (n && p[0] != '#') {
				while (*q && !found) {
					size_t m = strcspn(q, "\n");

					found = m == n && !memcmp(p, q, n);
					if (!found && side == 1 && m >= k && !memcmp(p, q, k) &&
					    strchr(" \t=\n", q[k] ? q[k] : '\n'))
						key_known = true;
					q += m + (q[m] == '\n');
				}
				if (!found && key_known)
					snprintf(why, whylen, "%s \"%.*s\"",
						 side ? "the new daemon has" : "the new daemon lacks",
						 (int)n, p);
			}
			p += n + (p[n] == '\n');
		}
	}
}

/* Test hooks (tests/netns/takeover.sh): WGW_TAKEOVER_TEST_KILL=STEP kills
 * the new daemon at STEP, as an operator's kill -9 would;
 * WGW_TAKEOVER_TEST_STOP=bye stops the old one before its goodbye, as a
 * scheduler that does not run it would, until SIGCONT. */
static void test_hook(const char *var, const char *step, int sig)
{
	const char *v = getenv(var);

	if (v && !strcmp(v, step)) {
		wgw_warn("takeover: %s at step \"%s\" (%s)", sig == SIGKILL ? "killed" : "stopped",
			 step, var);
		raise(sig);
	}
}

static void test_kill(const char *step)
{
	test_hook("WGW_TAKEOVER_TEST_KILL", step, SIGKILL);
}

/* ================================================================ old side */

/* Why the daemon cannot hand over now, or NULL. */
static const char *cannot_hand_over(const struct wgw_daemon *d, char *buf, size_t len)
{
	if (!d->workers_running)
		return "the workers are not running";
	for (unsigned i = 0; i < d->nifs; i++) {
		const struct wgw_iface *ifc = &d->ifs[i];

		if (ifc->gone || ifc->degraded) {
			snprintf(buf, len, "interface %s is %s", ifc->name,
				 ifc->gone ? "gone" : "degraded to the fallback path");
			return buf;
		}
		if (ifc->rung != WGW_RUNG_FALLBACK && (!ifc->xdp || wgw_xdp_link_fd(ifc->xdp) < 0)) {
			snprintf(buf, len, "interface %s: the XDP program is not attached "
				 "through a bpf_link (xdp-attach shared or a libxdp "
				 "dispatcher): it cannot change hands", ifc->name);
			return buf;
		}
	}
	if (!d->tun)
		return "no TUN device";
	return NULL;
}

struct udp_collect {
	int *fds;
	unsigned n, max;
};

static void collect_udp(struct wgw_port *port, void *arg)
{
	struct udp_collect *uc = arg;

	uc->n += wgw_udp_port_fds(port, uc->fds + uc->n, uc->max - uc->n);
}

/*
 * The next hops our workers use, resolved: the successor's workers send
 * from their first packet.  Its control loop, which resolves what a worker
 * asks for, only runs once we have said goodbye; without them its workers
 * would hold every reply until then.  The table does not change during the
 * exchange: its writer is this thread.
 */
static int send_nexthops(struct wgw_daemon *d, int fd)
{
	uint32_t n = wgw_nh_count(&d->nh);
	struct wgw_nh_entry *e = calloc(n ? n : 1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	n = wgw_nh_export(&d->nh, e, n);
	err = tk_send(fd, TK_NEXTHOPS, e, (size_t)n * sizeof(*e), NULL, 0);
	free(e);
	return err;
}

/* INFO, the descriptors and the next hops.  0 or -errno with why. */
static int send_info(struct wgw_daemon *d, int fd, char *why, size_t whylen)
{
	struct tk_info info = { .version = TK_VERSION, .nworkers = d->nworkers,
				.nifs = d->nifs };
	const char *ns = getenv("NOTIFY_SOCKET");
	int *fds = NULL;
	unsigned n = 0, per = 0;
	uint8_t *msg = NULL;
	void *j = NULL;
	size_t jlen = 0;
	int err = -ENOMEM;

	fds = calloc(TK_MAX_FDS, sizeof(*fds));
	j = wgw_journal_pack(d, &jlen);
	if (!fds || !j)
		goto out;
	if (d->pidfd >= 0) {
		info.has_pidfd = 1;
		fds[n++] = d->pidfd;
	}
	for (unsigned i = 0; i < d->nifs; i++) {
		const struct wgw_iface *ifc = &d->ifs[i];

		info.rung[i] = (int32_t)ifc->rung;
		info.ifindex[i] = ifc->ifindex;
		if (ifc->xdp && wgw_xdp_link_fd(ifc->xdp) >= 0) {
			info.has_link[i] = 1;
			fds[n++] = wgw_xdp_link_fd(ifc->xdp);
		}
	}
	fds[n++] = STDERR_FILENO;
	info.ntun = wgw_tun_nqueues(d->tun);
	if (info.ntun > TK_MAX_FDS / 2) {
		err = -E2BIG;
		goto out;
	}
	memcpy(fds + n, wgw_tun_fds(d->tun), info.ntun * sizeof(int));
	n += info.ntun;
	for (unsigned w = 0; w < d->nworkers; w++) {
		struct udp_collect uc = { .fds = fds + n, .max = TK_MAX_FDS - n };

		wgw_worker_visit_ports(&d->workers[w], collect_udp, &uc);
		if (w == 0)
			per = uc.n;
		if (uc.n != per || uc.n == uc.max) {
			snprintf(why, whylen, "worker %u has %u VIP sockets, worker 0 has %u",
				 w, uc.n, per);
			err = -EPROTO;
			goto out;
		}
		n += uc.n;
	}
	info.udp_per_worker = per;
	info.nfds = n;
	if (ns)
		snprintf(info.notify_socket, sizeof(info.notify_socket), "%s", ns);
	info.journal_len = (uint32_t)jlen;
	msg = malloc(sizeof(info) + jlen);
	if (!msg)
		goto out;
	memcpy(msg, &info, sizeof(info));
	memcpy(msg + sizeof(info), j, jlen);
	err = tk_send(fd, TK_INFO, msg, sizeof(info) + jlen, NULL, 0);
	for (unsigned off = 0; !err && off < n; off += TK_FDS_PER_MSG) {
		unsigned k = n - off < TK_FDS_PER_MSG ? n - off : TK_FDS_PER_MSG;

		err = tk_send(fd, TK_FDS, NULL, 0, fds + off, k);
	}
	if (err)
		snprintf(why, whylen, "sending the descriptors: %s", strerror(-err));
	else if ((err = send_nexthops(d, fd)))
		snprintf(why, whylen, "sending the next hops: %s", strerror(-err));
out:
	if (err == -ENOMEM)
		snprintf(why, whylen, "out of memory");
	free(msg);
	free(j);
	free(fds);
	return err;
}

/* Our programs back on our links. */
static void relink(struct wgw_daemon *d)
{
	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];
		int err;

		if (!ifc->xdp || wgw_xdp_link_fd(ifc->xdp) < 0)
			continue;
		err = wgw_xdp_relink(ifc->xdp);
		if (err)
			wgw_err("takeover: interface %s: putting our XDP program back: %s",
				ifc->name, strerror(-err));
	}
}

/* The ports again after the successor failed past COMMIT. */
static int ports_again(struct wgw_daemon *d)
{
	uint64_t until = mono_ms() + TK_BIND_RETRY_MS;
	int err;

	for (;;) {
		err = wgw_dp_ports_up(d);
		if (err != -EBUSY || mono_ms() >= until)
			break;
		usleep(20000);
	}
	if (err) {
		wgw_err("takeover: rebuilding the ports: %s; walking the ladder again",
			strerror(-err));
		wgw_dp_down(d);
		err = wgw_dp_ladder(d);
	}
	if (!err) {
		wgw_ports_follow_mtu(d);
		err = wgw_workers_start(d);
	}
	return err;
}

void wgw_takeover_serve(struct wgw_daemon *d, int fd)
{
	enum { NOTHING, SWAPPABLE, STOPPED, PORTS_DOWN } stage = NOTHING;
	char why[320] = "", buf[256];
	struct ucred cr;
	socklen_t crlen = sizeof(cr);
	const struct tk_hello *hello;
	uint8_t *msg = NULL, *state = NULL;
	size_t len = 0, slen = 0, clen = 0;
	char *ours = NULL;
	const char *no;
	int err, peer = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) || cr.uid != 0) {
		wgw_warn("takeover: refused a client that is not root");
		return;
	}
	peer = cr.pid;
	err = tk_sock_setup(fd);
	if (!err && write(fd, "OK 0\n", 5) != 5)
		err = -errno;
	if (!err)
		err = tk_expect(fd, TK_HELLO, &msg, &len, NULL, 0, NULL);
	if (err) {
		wgw_warn("takeover: by pid %d: no hello: %s", peer, strerror(-err));
		goto out;
	}
	wgw_notice("takeover: pid %d asks to take over", peer);
	d->tk.attempts++;
	hello = (const struct tk_hello *)msg;
	ours = config_text(&d->cfg, &clen);
	if (len < sizeof(*hello) || hello->version != TK_VERSION)
		snprintf(why, sizeof(why), "protocol version %u, this daemon speaks %u",
			 len < sizeof(*hello) ? 0 : hello->version, TK_VERSION);
	else if (!ours)
		snprintf(why, sizeof(why), "out of memory");
	else if (d->handed_over)
		snprintf(why, sizeof(why), "already handed over");
	else if ((no = cannot_hand_over(d, buf, sizeof(buf))))
		snprintf(why, sizeof(why), "%s", no);
	else
		config_diff(ours, (const char *)msg + sizeof(*hello), why, sizeof(why));
	if (why[0]) {
		wgw_warn("takeover by pid %d refused: %s", peer, why);
		tk_send_err(fd, why);
		d->tk.refused++;
		snprintf(d->tk.last, sizeof(d->tk.last), "pid %d refused: %s", peer, why);
		goto out;
	}
	free(msg);
	msg = NULL;

	stage = SWAPPABLE;	/* from the INFO on, our links may carry its programs */
	err = send_info(d, fd, why, sizeof(why));
	if (err)
		goto fail;
	err = tk_expect(fd, TK_COMMIT, &msg, &len, NULL, 0, NULL);
	if (err) {
		snprintf(why, sizeof(why), "waiting for its programs: %s", strerror(-err));
		goto fail;
	}
	/* Its programs pass to the kernel path (our workers serve it); what
	 * ours had redirected is still in our AF_XDP rings: let the workers
	 * empty them.  Then the tables rest: what the workers learnt so far
	 * is in the snapshot, what arrives waits in the sockets' and the
	 * TUN's buffers for the successor's workers. */
	usleep(TK_DRAIN_MS * 1000);
	wgw_workers_stop(d);
	stage = STOPPED;
	err = wgw_daemon_state_pack(d, (uint32_t)(mono_ms() / 1000), &state, &slen);
	if (err) {
		snprintf(why, sizeof(why), "snapshot: %s", strerror(-err));
		tk_send_err(fd, why);
		goto fail;
	}
	err = tk_send(fd, TK_STATE, state, slen, NULL, 0);
	if (err) {
		snprintf(why, sizeof(why), "sending the sessions: %s", strerror(-err));
		goto fail;
	}
	/* Its AF_XDP sockets need our queues. */
	wgw_dp_ports_down(d);
	stage = PORTS_DOWN;
	free(msg);
	msg = NULL;
	err = tk_expect(fd, TK_DONE, &msg, &len, NULL, 0, NULL);
	if (err || len < sizeof(struct tk_done)) {
		snprintf(why, sizeof(why), "waiting for it to serve: %s",
			 strerror(err ? -err : EPROTO));
		goto fail;
	}
	d->successor_pid = ((const struct tk_done *)msg)->pid;
	d->tk_fd = dup(fd);
	d->handed_over = true;
	wgw_notice("takeover: pid %d serves (%zu bytes of sessions handed over); "
		   "this daemon leaves", d->successor_pid, slen);
	goto out;

fail:
	wgw_err("takeover by pid %d failed: %s; this daemon serves on", peer, why);
	d->tk.failed++;
	snprintf(d->tk.last, sizeof(d->tk.last), "pid %d failed: %s", peer, why);
	if (stage >= SWAPPABLE)
		relink(d);
	if (stage == STOPPED)
		err = wgw_workers_start(d);
	else if (stage == PORTS_DOWN)
		err = ports_again(d);
	else
		err = 0;
	if (err) {
		wgw_err("takeover: the data path cannot be rebuilt: %s", strerror(-err));
		d->tk_fatal = true;
	}
out:
	free(ours);
	free(state);
	free(msg);
}

void wgw_takeover_bye(struct wgw_daemon *d)
{
	if (d->tk_fd < 0)
		return;
	/* systemd follows the successor (NotifyAccess=main: us, still). */
	if (d->successor_pid > 0)
		sd_notifyf(0, "MAINPID=%d\nSTATUS=handed over to pid %d", d->successor_pid,
			   d->successor_pid);
	test_hook("WGW_TAKEOVER_TEST_STOP", "bye", SIGSTOP);
	tk_send(d->tk_fd, TK_BYE, NULL, 0, NULL, 0);
	close(d->tk_fd);
	d->tk_fd = -1;
}

/* ================================================================ new side */

static int tk_connect(const char *path, int *peer)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[512];
	size_t n = 0;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		wgw_err("takeover: no daemon answers on %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	err = tk_sock_setup(fd);
	if (!err) {
		struct ucred cr;
		socklen_t crlen = sizeof(cr);

		*peer = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) ? 0 : cr.pid;
	}
	if (!err && write(fd, "takeover\n", 9) != 9)
		err = -errno;
	/* The status line, byte by byte: what follows is the protocol's. */
	while (!err && n < sizeof(line) - 1) {
		err = read_full(fd, line + n, 1);
		if (!err && line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (!err && strncmp(line, "OK", 2)) {
		wgw_err("takeover: the running daemon refused: %s%s", line,
			strstr(line, "unknown command") ? " (a version without takeover: "
			"restart it instead)" : "");
		err = -EPROTO;
	}
	if (err) {
		if (err != -EPROTO)
			wgw_err("takeover: %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

static struct tk_info hinfo;	/* the INFO, kept for the later steps */

int wgw_takeover_connect(struct wgw_daemon *d)
{
	struct wgw_handover *h;
	struct tk_hello *hello;
	uint8_t *msg = NULL;
	char *cfg;
	size_t clen = 0, len;
	int *fds = NULL, err = -ENOMEM;
	unsigned n = 0, k = 0;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->sock = -1;
	h->link_fds[0] = h->link_fds[1] = -1;
	d->handed = h;
	cfg = config_text(&d->cfg, &clen);
	hello = cfg ? malloc(sizeof(*hello) + clen + 1) : NULL;
	if (!hello)
		goto out;
	hello->version = TK_VERSION;
	hello->pid = getpid();
	memcpy(hello + 1, cfg, clen);
	((char *)(hello + 1))[clen] = '\0';
	err = tk_connect(d->cfg.control_socket, &d->tk.from_pid);
	if (err < 0)
		goto out;
	h->sock = err;
	err = tk_send(h->sock, TK_HELLO, hello, sizeof(*hello) + clen + 1, NULL, 0);
	if (!err)
		err = tk_expect(h->sock, TK_INFO, &msg, &len, NULL, 0, NULL);
	if (err)
		goto out;
	memcpy(&hinfo, msg, len < sizeof(hinfo) ? len : sizeof(hinfo));
	if (len < sizeof(hinfo) || hinfo.version != TK_VERSION || hinfo.nifs < 1 ||
	    hinfo.nifs > 2 || hinfo.nfds > TK_MAX_FDS ||
	    hinfo.journal_len != len - sizeof(hinfo) ||
	    hinfo.has_pidfd + hinfo.has_link[0] + hinfo.has_link[1] + 1 + hinfo.ntun +
	    (uint64_t)hinfo.nworkers * hinfo.udp_per_worker != hinfo.nfds) {
		wgw_err("takeover: the running daemon's INFO does not add up");
		err = -EPROTO;
		goto out;
	}
	h->journal = malloc(hinfo.journal_len ? hinfo.journal_len : 1);
	fds = calloc(hinfo.nfds, sizeof(*fds));
	if (!h->journal || !fds) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(h->journal, msg + sizeof(hinfo), hinfo.journal_len);
	h->journal_len = hinfo.journal_len;
	while (n < hinfo.nfds) {
		free(msg);
		msg = NULL;
		err = tk_expect(h->sock, TK_FDS, &msg, &len, fds + n, hinfo.nfds - n, &k);
		if (err)
			goto out_fds;
		if (!k) {
			err = -EPROTO;
			goto out_fds;
		}
		n += k;
	}
	/* Sort them out: pid file, links, stderr, TUN queues, VIP sockets. */
	k = 0;
	if (hinfo.has_pidfd)
		d->pidfd = fds[k++];
	for (unsigned i = 0; i < hinfo.nifs; i++)
		if (hinfo.has_link[i])
			h->link_fds[i] = fds[k++];
	/* Log where the old daemon logged (under systemd: the unit's
	 * journal stream), and tell its service manager what we become. */
	dup2(fds[k], STDERR_FILENO);
	dup2(fds[k], STDOUT_FILENO);
	close(fds[k++]);
	hinfo.notify_socket[sizeof(hinfo.notify_socket) - 1] = '\0';
	if (hinfo.notify_socket[0])
		setenv("NOTIFY_SOCKET", hinfo.notify_socket, 1);
	h->tun_fds = malloc(hinfo.ntun * sizeof(int) + 1);
	h->nudp = hinfo.nworkers * hinfo.udp_per_worker;
	h->udp_fds = malloc(h->nudp * sizeof(int) + 1);
	if (!h->tun_fds || !h->udp_fds) {
		close_fds(fds + k, n - k);
		err = -ENOMEM;
		goto out;
	}
	memcpy(h->tun_fds, fds + k, hinfo.ntun * sizeof(int));
	h->ntun = hinfo.ntun;
	k += hinfo.ntun;
	memcpy(h->udp_fds, fds + k, h->nudp * sizeof(int));
	h->udp_per_worker = hinfo.udp_per_worker;
	free(msg);
	msg = NULL;
	err = tk_expect(h->sock, TK_NEXTHOPS, &msg, &len, NULL, 0, NULL);
	if (err)
		goto out;
	if (len % sizeof(struct wgw_nh_entry)) {
		wgw_err("takeover: the running daemon's next hops do not add up");
		err = -EPROTO;
		goto out;
	}
	h->nexthops = (struct wgw_nh_entry *)msg;	/* malloc'd: aligned */
	h->nnexthops = len / sizeof(struct wgw_nh_entry);
	msg = NULL;
	wgw_notice("takeover: the running daemon hands over %u workers' sockets",
		   hinfo.nworkers);
	test_kill("info");
	err = 0;
	goto out;
out_fds:
	close_fds(fds, n);
out:
	if (err && err != -ECANCELED && err != -EPROTO)
		wgw_err("takeover: %s", strerror(-err));
	free(fds);
	free(msg);
	free(hello);
	free(cfg);
	return err;
}

int wgw_takeover_adopt(struct wgw_daemon *d)
{
	struct wgw_handover *h = d->handed;
	int err;

	if (hinfo.nifs != d->nifs) {
		wgw_err("takeover: the running daemon serves %u interfaces, this one %u",
			hinfo.nifs, d->nifs);
		return -EPROTO;
	}
	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];

		if (hinfo.ifindex[i] != ifc->ifindex || hinfo.rung[i] < 0 ||
		    hinfo.rung[i] > WGW_RUNG_FALLBACK) {
			wgw_err("takeover: interface %s is not the running daemon's", ifc->name);
			return -EPROTO;
		}
		ifc->rung = (enum wgw_rung)hinfo.rung[i];
	}
	err = wgw_journal_adopt(d, h->journal, h->journal_len);
	if (err)
		wgw_err("takeover: the running daemon's undo journal is not this version's");
	return err;
}

/*
 * The running daemon's next hops, for our workers' first packets (our
 * control loop only runs after its goodbye).  Only entries through one of
 * our interfaces; they are followed from here on like any other: our
 * netlink subscription is older than the running daemon's table.
 */
static void import_nexthops(struct wgw_daemon *d, const struct wgw_handover *h)
{
	uint32_t now = (uint32_t)(mono_ms() / 1000), added = 0, foreign = 0, full = 0;

	for (size_t i = 0; i < h->nnexthops; i++) {
		const struct wgw_nh_entry *e = &h->nexthops[i];
		bool ours = false;
		int rc;

		for (unsigned k = 0; k < d->nifs && !ours; k++)
			ours = e->ifindex == d->ifs[k].ifindex;
		if (!ours) {
			foreign++;
			continue;
		}
		rc = wgw_nh_import(&d->nh, e, now);
		if (rc > 0)
			added++;
		else if (rc < 0)
			full++;
	}
	wgw_info("takeover: %u next hops taken over", added);
	if (foreign || full)
		wgw_warn("takeover: %u of the running daemon's next hops ignored (%u through "
			 "another interface, %u beyond the table's size): resolved on "
			 "demand", foreign + full, foreign, full);
}

int wgw_takeover_dp(struct wgw_daemon *d)
{
	struct wgw_handover *h = d->handed;
	uint8_t *msg = NULL;
	uint64_t until;
	size_t len;
	int err;

	if (hinfo.nworkers != d->nworkers || h->ntun != d->nworkers) {
		wgw_err("takeover: the running daemon has %u workers, this one would have %u",
			hinfo.nworkers, d->nworkers);
		return -EPROTO;
	}
	import_nexthops(d, h);
	d->tun = wgw_tun_adopt(h->tun_fds, h->ntun);
	h->ntun = 0;	/* the TUN owns them, also on failure */
	if (!d->tun) {
		err = -errno;
		wgw_err("takeover: the TUN device: %s", strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < d->nifs; i++) {
		struct wgw_iface *ifc = &d->ifs[i];

		if (ifc->rung == WGW_RUNG_FALLBACK)
			continue;
		if (h->link_fds[i] < 0) {
			wgw_err("takeover: interface %s: the running daemon handed over no "
				"XDP link", ifc->name);
			return -EPROTO;
		}
		err = wgw_dp_attach(d, ifc, h->link_fds[i]);
		if (err) {
			wgw_err("takeover: interface %s: our XDP program: %s", ifc->name,
				strerror(-err));
			return err;
		}
		h->link_fds[i] = -1;	/* the program's now */
	}
	test_kill("swap");
	err = tk_send(h->sock, TK_COMMIT, NULL, 0, NULL, 0);
	if (!err)
		err = tk_expect(h->sock, TK_STATE, &msg, &len, NULL, 0, NULL);
	if (err) {
		wgw_err("takeover: the sessions: %s", strerror(-err));
		return err;
	}
	err = wgw_daemon_state_unpack(d, (uint32_t)(mono_ms() / 1000), msg, len);
	free(msg);
	if (err)
		return err;
	test_kill("state");
	/* The previous daemon closes its AF_XDP sockets after sending the
	 * state; the kernel may take a moment to free the queues. */
	until = mono_ms() + TK_BIND_RETRY_MS;
	for (;;) {
		err = wgw_dp_ports_up(d);
		if (err != -EBUSY || mono_ms() >= until)
			break;
		usleep(10000);
	}
	if (err) {
		wgw_err("takeover: our ports: %s", strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < d->nifs; i++)
		d->ifs[i].rung_best = d->ifs[i].rung;
	return 0;
}

/* Until sock is readable (0) or for a step at most (-ETIMEDOUT), serving
 * the workers' requests. */
static int wait_bye(struct wgw_daemon *d, int sock)
{
	uint64_t until = mono_ms() + WGW_TAKEOVER_STEP_MS, now;
	struct pollfd p[3] = {
		{ .fd = sock, .events = POLLIN },
		{ .fd = wgw_nh_wake_fd(&d->nh), .events = POLLIN },
		{ .fd = wgw_nl_watcher_fd(d->nl), .events = POLLIN },
	};

	while ((now = mono_ms()) < until) {
		int n = poll(p, 3, (int)(until - now));

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		if (p[1].revents || p[2].revents)
			wgw_daemon_serve_workers(d, p[2].revents != 0, p[1].revents & POLLIN);
		if (p[0].revents)
			return 0;
	}
	return -ETIMEDOUT;
}

int wgw_takeover_finish(struct wgw_daemon *d)
{
	struct wgw_handover *h = d->handed;
	struct tk_done done = { .pid = getpid() };
	uint8_t *msg = NULL;
	size_t len;
	int err;

	test_kill("done");
	err = tk_send(h->sock, TK_DONE, &done, sizeof(done), NULL, 0);
	if (err) {
		wgw_err("takeover: telling the running daemon: %s", strerror(-err));
		return err;
	}
	/* From here we serve whatever it says: it closes its control socket
	 * before BYE, so ours can take the path.  Meanwhile our workers may
	 * meet destinations the running daemon had not resolved: what our
	 * control loop would do for them is done here. */
	err = wait_bye(d, h->sock);
	if (!err)
		err = tk_expect(h->sock, TK_BYE, &msg, &len, NULL, 0, NULL);
	free(msg);
	if (err)
		wgw_warn("takeover: no goodbye from the previous daemon: %s", strerror(-err));
	return 0;
}

void wgw_takeover_free(struct wgw_daemon *d)
{
	struct wgw_handover *h = d->handed;

	if (!h)
		return;
	if (h->sock >= 0)
		close(h->sock);
	close_fds(h->link_fds, 2);
	if (h->tun_fds)
		close_fds(h->tun_fds, h->ntun);
	if (h->udp_fds)
		close_fds(h->udp_fds, h->nudp);
	free(h->tun_fds);
	free(h->udp_fds);
	free(h->journal);
	free(h->nexthops);
	free(h);
	d->handed = NULL;
}
