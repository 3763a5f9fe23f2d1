// SPDX-License-Identifier: GPL-2.0-only
/*
 * wraith-gatewayctl: ask a running wraith-gatewayd over its control socket.
 * One request per connection (gateway/ctlproto.h); the daemon renders the
 * reply as text, JSON or Prometheus text, and this tool copies it to
 * standard output.  It stays this thin on purpose: every formatting
 * decision lives in the daemon, once, for every client.
 *
 * Exit status: 0 done, 1 the daemon refused or failed the request (its
 * message on stderr), 2 bad usage, 3 no daemon or a broken reply.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "gateway/ctlproto.h"

#define DEFAULT_SOCKET "/run/wraith-gateway/control.sock"
#define DEFAULT_TIMEOUT_S 10	/* seconds, connect + request + reply */

static const char *prog = "wraith-gatewayctl";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [-s SOCKET] [-j | -p] [-t SECONDS] COMMAND [ARGS...]\n"
		"\n"
		"  -s, --socket PATH    control socket (default " DEFAULT_SOCKET ")\n"
		"  -j, --json           JSON output\n"
		"  -p, --prometheus     Prometheus text format (stats)\n"
		"  -t, --timeout SECS   give up after SECS seconds (default %d)\n"
		"      --raw            send standard input as the request, as it is,\n"
		"                       and print the reply, status line included\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n"
		"\nCommands:\n", prog, DEFAULT_TIMEOUT_S);
	for (unsigned i = 0; i < wgw_ctl_n_cmds; i++)
		fprintf(out, "  %s %s\n      %s\n", wgw_ctl_cmds[i].name, wgw_ctl_cmds[i].usage,
			wgw_ctl_cmds[i].help);
	fprintf(out, "\nSee wraith-gatewayctl(8).\n");
}

static int read_full(int fd, char *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = read(fd, buf + *got, len - *got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int connect_to(const char *path, const struct timeval *tv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, sizeof(*tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, sizeof(*tv));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr, "%s: %s: %s%s\n", prog, path, strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED ?
			" (is wraith-gatewayd running? -s names its socket)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * --raw: standard input goes to the daemon as it is, whatever it holds, and
 * the reply comes back as it is, until the daemon closes.  For speaking the
 * protocol by hand and for testing the daemon against bad requests.
 */
static int raw_exchange(int fd, int timeout_s)
{
	struct pollfd p[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};
	char buf[4096];

	for (;;) {
		int n = poll(p, 2, timeout_s * 1000);
		ssize_t r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "%s: %s\n", prog, n ? strerror(errno) : "timed out");
			close(fd);
			return 3;
		}
		if (p[1].revents) {
			r = read(fd, buf, sizeof(buf));
			if (r <= 0) {
				close(fd);
				return r < 0 ? 3 : 0;
			}
			if (write_full(STDOUT_FILENO, buf, (size_t)r)) {
				close(fd);
				return 3;
			}
		}
		if (p[0].revents) {
			r = read(STDIN_FILENO, buf, sizeof(buf));
			if (r <= 0) {
				shutdown(fd, SHUT_WR);
				p[0].fd = -1;
			} else if (write_full(fd, buf, (size_t)r)) {
				/* The daemon may close first (a bad request):
				 * read what it said. */
				shutdown(fd, SHUT_WR);
				p[0].fd = -1;
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "raw", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sun;
	const char *path = DEFAULT_SOCKET, *fmt = NULL, *msg;
	char req[WGW_CTL_REQ_MAX + 32], status[WGW_CTL_STATUS_MAX];
	struct timeval tv = { .tv_sec = DEFAULT_TIMEOUT_S };
	size_t len = 0, body_len, got;
	char *body;
	bool raw = false;
	int c, fd, rc;

	/* A daemon that closed first is an answer, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "s:jpt:hV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'j':
			fmt = "json";
			break;
		case 'p':
			fmt = "prometheus";
			break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 3600) {
				fprintf(stderr, "%s: --timeout '%s': expected 1-3600 seconds\n",
					prog, optarg);
				return 2;
			}
			tv.tv_sec = v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s %s\n", prog, PACKAGE_VERSION);
			return 0;
		case 'R':
			raw = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (raw ? optind != argc : optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path '%s' is too long\n", prog, path);
		return 2;
	}
	if (raw) {
		fd = connect_to(path, &tv);
		return fd < 0 ? 3 : raw_exchange(fd, (int)tv.tv_sec);
	}
	/* The request line: words that cannot break the protocol. */
	for (int i = optind; i < argc; i++) {
		for (const char *p = argv[i]; *p; p++)
			if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
				fprintf(stderr, "%s: argument '%s': only printable ASCII "
					"without spaces\n", prog, argv[i]);
				return 2;
			}
		if (!argv[i][0] || len + strlen(argv[i]) + 1 >= WGW_CTL_REQ_MAX) {
			fprintf(stderr, "%s: %s\n", prog, argv[i][0] ? "request too long" :
				"empty argument");
			return 2;
		}
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s",
					i > optind ? " " : "", argv[i]);
	}
	if (fmt)
		len += (size_t)snprintf(req + len, sizeof(req) - len, " format=%s", fmt);
	req[len++] = '\n';

	fd = connect_to(path, &tv);
	if (fd < 0)
		return 3;
	rc = write_full(fd, req, len);
	if (rc) {
		fprintf(stderr, "%s: sending the request: %s\n", prog, strerror(-rc));
		close(fd);
		return 3;
	}
	shutdown(fd, SHUT_WR);

	/* The status line, byte by byte: it is short, and the body that
	 * follows must not be read into it. */
	for (got = 0; got < sizeof(status) - 1; got++) {
		ssize_t n = read(fd, status + got, 1);

		if (n < 0 && errno == EINTR) {
			got--;
			continue;
		}
		if (n <= 0) {
			fprintf(stderr, "%s: %s\n", prog, n < 0 ? strerror(errno) :
				"the daemon closed the connection without a reply");
			close(fd);
			return 3;
		}
		if (status[got] == '\n')
			break;
	}
	if (got == sizeof(status) - 1) {
		fprintf(stderr, "%s: reply status line too long\n", prog);
		close(fd);
		return 3;
	}
	status[got] = '\0';
	rc = wgw_ctl_status_parse(status, &body_len, &msg);
	if (rc == -EPROTO) {
		fprintf(stderr, "%s: not a reply of wraith-gatewayd: '%.80s'\n", prog, status);
		close(fd);
		return 3;
	}
	if (rc) {
		const char *code = wgw_ctl_errname(rc);

		fprintf(stderr, "%s: %s (%s)\n", prog, msg, code ? code : "EIO");
		close(fd);
		return 1;
	}
	body = malloc(body_len + 1);
	if (!body) {
		fprintf(stderr, "%s: out of memory\n", prog);
		close(fd);
		return 3;
	}
	rc = read_full(fd, body, body_len, &got);
	close(fd);
	if (rc || got != body_len) {
		fprintf(stderr, "%s: reply cut short: %zu of %zu bytes%s%s\n", prog, got,
			body_len, rc ? ": " : "", rc ? strerror(-rc) : "");
		free(body);
		return 3;
	}
	rc = write_full(STDOUT_FILENO, body, body_len);
	free(body);
	if (rc) {
		fprintf(stderr, "%s: writing the reply: %s\n", prog, strerror(-rc));
		return 3;
	}
	return 0;
}
