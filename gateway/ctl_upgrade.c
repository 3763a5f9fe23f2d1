// SPDX-License-Identifier: GPL-2.0-only
/*
 * wraith-gatewayctl upgrade: start the installed wraith-gatewayd with the
 * running daemon's own arguments and --takeover, and wait until it serves
 * (takeover.h).  The running daemon cannot start it itself: it gave up the
 * capabilities a new daemon needs, and keeps none to give.
 *
 * The new process runs in the running daemon's control group (moved there
 * when it differs from ours: under systemd, the unit's), so that the
 * service manager, told MAINPID by the old daemon, keeps following the
 * service.  Its first log lines come back here; from the hand-over on it
 * logs where the old daemon did.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/ctl_upgrade.h"

#define UPGRADE_ARGS_MAX 256

static const char *prog = "wraith-gatewayctl";

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pid of the daemon answering on path, or -errno. */
static int daemon_pid(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd, pid;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		pid = -errno;
		close(fd);
		return pid;
	}
	/* Say something the daemon expects, so that it logs nothing. */
	if (write(fd, "ping\n", 5) == 5) {
		char b[64];

		shutdown(fd, SHUT_WR);
		while (read(fd, b, sizeof(b)) > 0)
			;
	}
	close(fd);
	return cr.pid;
}

/* Read a whole small /proc file; NULL with errno. */
static char *slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (!buf || fd < 0)
		goto err;
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap) {
			char *nb = cap < (1u << 20) ? realloc(buf, cap * 2 + 1) : NULL;

			if (!nb) {
				errno = E2BIG;
				goto err;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (r < 0)
		goto err;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
err:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* The cgroup v2 path of pid ("0::/system.slice/x.service"), or "". */
static void cgroup_of(int pid, char *out, size_t outlen)
{
	char path[64], *buf, *p;
	size_t len;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	buf = slurp(path, &len);
	if (!buf)
		return;
	p = strstr(buf, "0::");
	if (p && (p == buf || p[-1] == '\n')) {
		p += 3;
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, outlen, "%s", p);
	}
	free(buf);
}

/* In the child: join the daemon's cgroup when it is not ours. */
static void join_cgroup(int pid)
{
	char theirs[512], ours[512], path[600];
	int fd;

	cgroup_of(pid, theirs, sizeof(theirs));
	cgroup_of(getpid(), ours, sizeof(ours));
	if (!theirs[0] || !strcmp(theirs, ours))
		return;
	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.procs", theirs);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		fprintf(stderr, "%s: upgrade: cannot join control group %s: %s (the "
			"service manager may not follow the new daemon)\n", prog, theirs,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

int wgw_ctl_upgrade(const char *sock, const char *binary, int timeout_s)
{
	char path[64], *cmd, *argv[UPGRADE_ARGS_MAX + 2];
	int pid, npid, argc = 0, pfd[2], status, rc = 1;
	size_t len;
	long deadline;
	pid_t child;

	pid = daemon_pid(sock);
	if (pid < 0) {
		fprintf(stderr, "%s: %s: %s (is wraith-gatewayd running?)\n", prog, sock,
			strerror(-pid));
		return 3;
	}
	if (access(binary, X_OK)) {
		fprintf(stderr, "%s: upgrade: %s: %s\n", prog, binary, strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	cmd = slurp(path, &len);
	if (!cmd) {
		fprintf(stderr, "%s: upgrade: the arguments of pid %d: %s\n", prog, pid,
			strerror(errno));
		return 1;
	}
	/* Its arguments after its program name, then --takeover. */
	argv[argc++] = (char *)binary;
	for (size_t off = strlen(cmd) + 1; off < len; off += strlen(cmd + off) + 1) {
		if (!strcmp(cmd + off, "--takeover"))
			continue;
		if (argc == UPGRADE_ARGS_MAX) {
			fprintf(stderr, "%s: upgrade: pid %d has more than %d arguments\n",
				prog, pid, UPGRADE_ARGS_MAX);
			free(cmd);
			return 1;
		}
		argv[argc++] = cmd + off;
	}
	argv[argc++] = "--takeover";
	argv[argc] = NULL;
	if (pipe2(pfd, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe: %s\n", prog, strerror(errno));
		free(cmd);
		return 1;
	}
	fprintf(stderr, "%s: upgrade: starting %s to take over from pid %d\n", prog, binary,
		pid);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		free(cmd);
		return 1;
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		setsid();
		join_cgroup(pid);
		signal(SIGPIPE, SIG_DFL);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(pfd[1], STDOUT_FILENO) < 0 || dup2(pfd[1], STDERR_FILENO) < 0)
			_exit(127);
		execv(binary, argv);
		fprintf(stderr, "%s: upgrade: exec %s: %s\n", prog, binary, strerror(errno));
		_exit(127);
	}
	free(cmd);
	close(pfd[1]);
	/* Its words until it takes the old daemon's log (or ends). */
	for (;;) {
		char b[4096];
		ssize_t n = read(pfd[0], b, sizeof(b));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (write(STDERR_FILENO, b, (size_t)n) < 0)
			break;
	}
	close(pfd[0]);
	deadline = now_ms() + (long)timeout_s * 1000;
	for (;;) {
		pid_t w = waitpid(child, &status, WNOHANG);

		if (w == child) {
			fprintf(stderr, "%s: upgrade: the new daemon %s %d; pid %d serves on\n",
				prog, WIFEXITED(status) ? "exited with status" : "died of signal",
				WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), pid);
			return 1;
		}
		npid = kill(pid, 0) && errno == ESRCH ? daemon_pid(sock) : -1;
		if (npid == child) {
			printf("upgraded: pid %d -> pid %d\n", pid, (int)child);
			return 0;
		}
		if (now_ms() > deadline) {
			fprintf(stderr, "%s: upgrade: no answer from pid %d after %d s\n", prog,
				(int)child, timeout_s);
			return rc;
		}
		usleep(50000);
	}
}
