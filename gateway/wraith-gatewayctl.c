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
#include <fcntl.h>
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

#include "gateway/capture.h"
#include "gateway/ctl_upgrade.h"
#include "gateway/ctlproto.h"

#define DEFAULT_SOCKET "/run/wraith-gateway/control.sock"
#define DEFAULT_TIMEOUT_S 10	/* seconds, connect + request + reply */
#define UPGRADE_TIMEOUT_S 30	/* seconds, for the new daemon to serve */

static const char *prog = "wraith-gatewayctl";

/* A usage error: one line saying what, one saying where to look; 2. */
static int usage_error(const char *what)
{
	if (what)
		fprintf(stderr, "%s: %s\n", prog, what);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	return 2;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [-s SOCKET] [-j | -p] [-t SECONDS] COMMAND [ARGS...]\n"
		"\n"
		"  -s, --socket PATH    control socket (default " DEFAULT_SOCKET ")\n"
		"  -j, --json           JSON output\n"
		"  -p, --prometheus     Prometheus text format (stats)\n"
		"  -t, --timeout SECS   give up after SECS seconds (default %d)\n"
		"      --force          backends remove: even with live sessions\n"
		"      --raw            send standard input as the request, as it is,\n"
		"                       and print the reply, status line included\n"
		"  -h, --help           this text\n"
		"  -V, --version        print the version\n"
		"\nCommands:\n", prog, DEFAULT_TIMEOUT_S);
	fprintf(out, "  capture [-c COUNT] [-w FILE|-] [-s SNAPLEN] [--duration SECONDS] [--drops]"
		" [FILTER]\n      pcapng of the packets received, sent and dropped; FILTER:"
		" cid CID, client ADDR[:PORT],\n      backend ADDR[:PORT], iface NAME,"
		" joined by 'and'\n");
	fprintf(out, "  upgrade [--binary PATH]\n      start the installed wraith-gatewayd "
		"(default " WGW_SBINDIR "/wraith-gatewayd)\n      with the running daemon's "
		"arguments and --takeover; wait until it serves\n");
	for (unsigned i = 0; i < wgw_ctl_n_cmds; i++)
		if (wgw_ctl_cmds[i].id != WGW_CTL_CAPTURE && wgw_ctl_cmds[i].id != WGW_CTL_TAKEOVER)
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

/* The reply's status line, byte by byte (it is short, and what follows
 * must not be read into it), without its LF.  0, or -1 with a message. */
static int read_status(int fd, char *status, size_t size)
{
	size_t got;

	for (got = 0; got < size - 1; got++) {
		ssize_t n = read(fd, status + got, 1);

		if (n < 0 && errno == EINTR) {
			got--;
			continue;
		}
		if (n <= 0) {
			fprintf(stderr, "%s: %s\n", prog, n < 0 ? strerror(errno) :
				"the daemon closed the connection without a reply");
			return -1;
		}
		if (status[got] == '\n')
			break;
	}
	if (got == size - 1) {
		fprintf(stderr, "%s: reply status line too long\n", prog);
		return -1;
	}
	status[got] = '\0';
	return 0;
}

/* ------------------------------------------------------------- capture */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The index of the command word in argv (after the global options and
 * their values), or argc. */
static int command_index(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return i + 1;
		if (a[0] != '-' || !a[1])
			return i;
		if (!strcmp(a, "-s") || !strcmp(a, "-t") || !strcmp(a, "--socket") ||
		    !strcmp(a, "--timeout"))
			i++;
	}
	return argc;
}

/* Parse capture's own options (argv[0] is "capture") into the request
 * line req.  0, or 2 (usage) with a message. */
static int capture_request(int argc, char **argv, char *req, size_t reqlen, size_t *len,
			   const char **outpath)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "write", required_argument, NULL, 'w' },
		{ "snaplen", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "drops", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*len = (size_t)snprintf(req, reqlen, "capture");
	optind = 0;	/* glibc: start over */
	while ((c = getopt_long(argc, argv, "+c:w:s:", opts, NULL)) != -1) {
		const char *key = c == 'c' ? "count" : c == 's' ? "snaplen" : "duration";

		switch (c) {
		case 'c':
		case 's':
		case 'd':
			/* The daemon checks the value and quotes it back. */
			*len += (size_t)snprintf(req + *len, reqlen - *len, " %s=%s", key, optarg);
			break;
		case 'w':
			*outpath = optarg;
			break;
		case 'D':
			*len += (size_t)snprintf(req + *len, reqlen - *len, " drops=1");
			break;
		default:
			fprintf(stderr, "%s: capture [-c COUNT] [-w FILE|-] [-s SNAPLEN] "
				"[--duration SECONDS] [--drops] [FILTER]\n", prog);
			return 2;
		}
	}
	for (int i = optind; i < argc; i++)
		*len += (size_t)snprintf(req + *len, reqlen - *len, " %s", argv[i]);
	if (*len + 1 >= WGW_CTL_REQ_MAX) {
		fprintf(stderr, "%s: request too long\n", prog);
		return 2;
	}
	req[(*len)++] = '\n';
	return 0;
}

/*
 * Copy the capture stream's pcapng to out until the daemon ends it (its
 * summary goes to stderr), the user interrupts, or out is closed.
 */
static int capture_flush(int out, const uint8_t *buf, size_t *len)
{
	if (*len && write_full(out, (const char *)buf, *len)) {
		fprintf(stderr, "%s: writing the capture: %s\n", prog, strerror(errno));
		return -1;
	}
	*len = 0;
	return 0;
}

static int capture_stream(int fd, int out)
{
	/* Large reads, and one write of the pcapng of every chunk a read
	 * brought: a few system calls for thousands of packets. */
	static uint8_t in[1 << 20], ob[1 << 20];
	struct sigaction sa = { .sa_handler = on_interrupt };
	size_t have = 0, olen = 0;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!interrupted) {
		ssize_t r = read(fd, in + have, sizeof(in) - have);
		size_t off = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		have += (size_t)r;
		while (have - off >= WGW_CAPTURE_CHUNK_HDR) {
			const uint8_t *h = in + off, *p = h + WGW_CAPTURE_CHUNK_HDR;
			uint32_t n = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 |
				     (uint32_t)h[3] << 8 | h[4];

			if (n > sizeof(in) - WGW_CAPTURE_CHUNK_HDR || n > sizeof(ob)) {
				fprintf(stderr, "%s: bad capture stream (chunk of %u bytes)\n",
					prog, n);
				return 3;
			}
			if (have - off - WGW_CAPTURE_CHUNK_HDR < n)
				break;
			off += WGW_CAPTURE_CHUNK_HDR + n;
			if (h[0] == WGW_CAPTURE_CHUNK_END) {
				if (capture_flush(out, ob, &olen))
					return 3;
				fprintf(stderr, "%s: %.*s", prog, (int)n, (const char *)p);
				return 0;
			}
			if (h[0] != WGW_CAPTURE_CHUNK_DATA)
				continue;
			if (olen + n > sizeof(ob) && capture_flush(out, ob, &olen))
				return 3;
			memcpy(ob + olen, p, n);
			olen += n;
		}
		memmove(in, in + off, have - off);
		have -= off;
		if (capture_flush(out, ob, &olen))
			return 3;
	}
	if (interrupted) {
		fprintf(stderr, "%s: capture interrupted\n", prog);
		return 0;
	}
	fprintf(stderr, "%s: the daemon ended the capture stream early\n", prog);
	return 3;
}

static int capture_main(const char *path, struct timeval *tv, int argc, char **argv)
{
	char req[WGW_CTL_REQ_MAX + 64], status[WGW_CTL_STATUS_MAX];
	const char *outpath = NULL, *msg;
	struct timeval none = { 0 };
	size_t len, body_len;
	int fd, out, rc;

	rc = capture_request(argc, argv, req, sizeof(req), &len, &outpath);
	if (rc)
		return rc;
	if (!outpath && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s: capture writes pcapng: give -w FILE, or pipe it "
			"(| tshark -r -)\n", prog);
		return 2;
	}
	if (!outpath || !strcmp(outpath, "-")) {
		out = STDOUT_FILENO;
	} else {
		out = open(outpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, outpath, strerror(errno));
			return 2;
		}
	}
	fd = connect_to(path, tv);
	if (fd < 0)
		return 3;
	if (write_full(fd, req, len)) {
		fprintf(stderr, "%s: sending the request: %s\n", prog, strerror(errno));
		close(fd);
		return 3;
	}
	/* The status line, then a stream without a deadline. */
	if (read_status(fd, status, sizeof(status))) {
		close(fd);
		return 3;
	}
	if (strncmp(status, WGW_CAPTURE_REPLY_OK, strlen(WGW_CAPTURE_REPLY_OK) - 1)) {
		rc = wgw_ctl_status_parse(status, &body_len, &msg);
		if (rc && rc != -EPROTO) {
			const char *code = wgw_ctl_errname(rc);

			fprintf(stderr, "%s: %s (%s)\n", prog, msg, code ? code : "EIO");
			close(fd);
			return 1;
		}
		fprintf(stderr, "%s: not a capture reply: '%.80s'\n", prog, status);
		close(fd);
		return 3;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	rc = capture_stream(fd, out);
	close(fd);
	if (out != STDOUT_FILENO && close(out)) {
		fprintf(stderr, "%s: %s: %s\n", prog, outpath, strerror(errno));
		return 3;
	}
	return rc;
}

/* upgrade [--binary PATH] (argv[0] is "upgrade"). */
static int upgrade_main(const char *path, const struct timeval *tv, int argc, char **argv)
{
	const char *binary = WGW_SBINDIR "/wraith-gatewayd";
	int timeout_s = tv->tv_sec > UPGRADE_TIMEOUT_S ? (int)tv->tv_sec : UPGRADE_TIMEOUT_S;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--binary") && i + 1 < argc)
			binary = argv[++i];
		else if (!strncmp(argv[i], "--binary=", 9))
			binary = argv[i] + 9;
		else
			return usage_error("upgrade takes only --binary PATH");
	}
	if (binary[0] != '/')
		return usage_error("upgrade: --binary needs an absolute path");
	return wgw_ctl_upgrade(path, binary, timeout_s);
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
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sun;
	const char *path = DEFAULT_SOCKET, *fmt = NULL, *msg;
	char req[WGW_CTL_REQ_MAX + 32], status[WGW_CTL_STATUS_MAX];
	struct timeval tv = { .tv_sec = DEFAULT_TIMEOUT_S };
	size_t len = 0, body_len, got;
	char *body;
	bool raw = false, force = false;
	int c, fd, rc, cmd, nopts;

	/* A daemon that closed first is an answer, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	/* capture has options of its own (-s is its snap length): the global
	 * ones stop at its name. */
	cmd = command_index(argc, argv);
	nopts = cmd < argc && (!strcmp(argv[cmd], "capture") || !strcmp(argv[cmd], "upgrade")) ?
		cmd : argc;
	while ((c = getopt_long(nopts, argv, "s:jpt:hV", opts, NULL)) != -1) {
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
		case 'F':
			/* backends remove ... --force: the daemon's word for
			 * it is "force", last on the line. */
			force = true;
			break;
		default:
			/* getopt said what was wrong: one line more, not
			 * the whole help. */
			return usage_error(NULL);
		}
	}
	if (raw ? optind != argc : optind >= argc)
		return usage_error(raw ? "--raw takes no command" : "no command given");
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path '%s' is too long\n", prog, path);
		return 2;
	}
	if (!raw && nopts < argc && !strcmp(argv[nopts], "upgrade"))
		return upgrade_main(path, &tv, argc - nopts, argv + nopts);
	if (!raw && nopts < argc)
		return capture_main(path, &tv, argc - nopts, argv + nopts);
	if (!raw && !strcmp(argv[optind], "takeover"))
		return usage_error("takeover is spoken by wraith-gatewayd --takeover: "
				   "use \"upgrade\"");
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
	if (force)
		len += (size_t)snprintf(req + len, sizeof(req) - len, " force");
	if (fmt)
		len += (size_t)snprintf(req + len, sizeof(req) - len, " format=%s", fmt);
	req[len++] = '\n';
	{
		/* The daemon's own parser, before connecting: an unknown
		 * command or a wrong argument count is bad usage (2), not a
		 * refusal by the daemon (1). */
		struct wgw_ctl_req pr;
		char why[256];

		if (wgw_ctl_req_parse(&pr, req, len, why, sizeof(why))) {
			fprintf(stderr, "%s: %s\n", prog, why);
			return 2;
		}
	}

	fd = connect_to(path, &tv);
	if (fd < 0)
		return 3;
	/* A daemon with all its control slots taken says EBUSY and closes
	 * without reading: its status line is the answer, a broken pipe
	 * only the consequence. */
	rc = write_full(fd, req, len);
	if (!rc)
		shutdown(fd, SHUT_WR);
	if (read_status(fd, status, sizeof(status))) {
		if (rc)
			fprintf(stderr, "%s: sending the request: %s\n", prog,
				strerror(-rc));
		close(fd);
		return 3;
	}
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
