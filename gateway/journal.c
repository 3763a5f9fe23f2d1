// SPDX-License-Identifier: GPL-2.0-only
/* The pid file and the undo journal beside it (daemon_internal.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "gateway/daemon.h"
#include "gateway/daemon_internal.h"
#include "gateway/log.h"

/* ------------------------------------------------------------ pid file */

/*
 * One gateway per pid file: the lock is held for the daemon's life, so a
 * second start fails at once with the first one's pid, and a pid file left
 * by a killed daemon is simply taken over.
 */
int wgw_pidfile_open(struct wgw_daemon *d)
{
	char buf[32];
	ssize_t n;
	int fd;

	d->pidfd = -1;
	if (!d->cfg.pidfile[0])
		return 0;
	fd = open(d->cfg.pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		wgw_err("pid file %s: %s", d->cfg.pidfile, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (err == EWOULDBLOCK)
			wgw_err("another wraith-gatewayd is running (pid %s, pid file %s)",
				buf[0] ? buf : "?", d->cfg.pidfile);
		else
			wgw_err("pid file %s: lock: %s", d->cfg.pidfile, strerror(err));
		close(fd);
		return -EBUSY;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		wgw_err("pid file %s: write: %s", d->cfg.pidfile, strerror(errno));
		close(fd);
		return -EIO;
	}
	d->pidfd = fd;
	return 0;
}

void wgw_pidfile_close(struct wgw_daemon *d)
{
	if (d->pidfd < 0)
		return;
	/* Handed over: the successor holds the lock and owns the file. */
	if (!d->keep_kernel)
		unlink(d->cfg.pidfile);
	close(d->pidfd);
	d->pidfd = -1;
}

/* ------------------------------------------------------- undo journal */

/*
 * What the gateway changed in the kernel that does not go away with the
 * process (sysctls, the NAT address's route and proxy entry, NIC settings)
 * is written to a journal next to the pid file before it matters, and the
 * journal is removed after a clean exit.  A daemon that was SIGKILLed
 * leaves it behind; the next start (which holds the pid-file lock, so the
 * old one is gone) puts everything back first.  The XDP program needs no
 * entry: a bpf_link dies with its process.
 */
#define JOURNAL_MAGIC 0x57474a32u /* "WGJ2": with the NAT pool */

struct journal {
	uint32_t magic;
	uint32_t size;		/* sizeof(struct journal): layout check */
	struct wgw_sysctls sysctls;
	struct wgw_nl_claim claim;
	uint32_t claimed;
	struct wgw_nl_claim pool_claim[WGW_MAX_NAT - 1];
	uint32_t n_pool_claimed;
	struct wgw_nl_confine confine;
	uint32_t nprep;
	struct wgw_ifprep prep[2];
};

static void journal_path(const struct wgw_daemon *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s.state", d->cfg.pidfile);
}

static void journal_fill(const struct wgw_daemon *d, struct journal *j)
{
	j->magic = JOURNAL_MAGIC;
	j->size = sizeof(*j);
	j->sysctls = d->sysctls;
	j->claim = d->claim;
	j->claimed = d->claimed;
	memcpy(j->pool_claim, d->pool_claim, sizeof(j->pool_claim));
	j->n_pool_claimed = d->n_pool_claimed;
	j->confine = d->confine;
	for (unsigned i = 0; i < d->nifs; i++)
		if (d->ifs[i].prep_applied)
			j->prep[j->nprep++] = d->ifs[i].prep;
}

/* A journal that this version wrote and whose counts are in bounds. */
static bool journal_valid(const struct journal *j, size_t len)
{
	return len == sizeof(*j) && j->magic == JOURNAL_MAGIC && j->size == sizeof(*j) &&
	       j->nprep <= 2 && j->sysctls.n <= WGW_SYSCTL_MAX &&
	       j->n_pool_claimed <= WGW_MAX_NAT - 1;
}

void *wgw_journal_pack(const struct wgw_daemon *d, size_t *len)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (j)
		journal_fill(d, j);
	*len = sizeof(*j);
	return j;
}

int wgw_journal_adopt(struct wgw_daemon *d, const void *buf, size_t len)
{
	const struct journal *j = buf;

	if (!journal_valid(j, len))
		return -EPROTO;
	d->sysctls = j->sysctls;
	d->claim = j->claim;
	d->claimed = j->claimed;
	memcpy(d->pool_claim, j->pool_claim, sizeof(d->pool_claim));
	d->n_pool_claimed = j->n_pool_claimed;
	d->confine = j->confine;
	d->confine.ifname[sizeof(d->confine.ifname) - 1] = '\0';
	for (unsigned k = 0; k < j->nprep; k++)
		for (unsigned i = 0; i < d->nifs; i++)
			if (d->ifs[i].ifindex == j->prep[k].ifindex) {
				d->ifs[i].prep = j->prep[k];
				d->ifs[i].prep_applied = true;
			}
	return 0;
}

void wgw_journal_write(struct wgw_daemon *d)
{
	char path[WGW_PATH_LEN + 16], tmp[WGW_PATH_LEN + 32];
	struct journal *j;
	int fd;

	if (!d->cfg.pidfile[0])
		return;
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	journal_fill(d, j);
	journal_path(d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, j, sizeof(*j)) != (ssize_t)sizeof(*j) ||
	    fsync(fd) || rename(tmp, path))
		wgw_warn("undo journal %s: %s (a crash would leave settings behind)",
			 path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(j);
}

void wgw_journal_remove(struct wgw_daemon *d)
{
	char path[WGW_PATH_LEN + 16];

	if (!d->cfg.pidfile[0] || d->keep_kernel)
		return;
	journal_path(d, path, sizeof(path));
	unlink(path);
}

int wgw_pidfile_take(struct wgw_daemon *d)
{
	char buf[32];
	int n;

	if (d->pidfd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(d->pidfd, 0) || pwrite(d->pidfd, buf, (size_t)n, 0) != n) {
		wgw_err("pid file %s: write: %s", d->cfg.pidfile, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Undo what a gateway that died without cleaning up left behind. */
void wgw_journal_recover(struct wgw_daemon *d)
{
	char path[WGW_PATH_LEN + 16];
	struct journal *j;
	ssize_t n;
	int fd;

	if (!d->cfg.pidfile[0])
		return;
	journal_path(d, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	j = calloc(1, sizeof(*j));
	n = j ? read(fd, j, sizeof(*j)) : -1;
	close(fd);
	if (!j || n < 0 || !journal_valid(j, (size_t)n)) {
		wgw_warn("undo journal %s is not one this version wrote: ignored", path);
		free(j);
		unlink(path);
		return;
	}
	wgw_notice("a previous gateway did not stop cleanly: undoing what it left "
		   "(%u sysctls, %s, %u more NAT addresses, %u interface settings)",
		   j->sysctls.n, j->claimed ? "the NAT address" : "no NAT address",
		   j->n_pool_claimed, j->nprep);
	for (unsigned i = j->n_pool_claimed; i-- > 0;)
		wgw_nl_release(d->nl, &j->pool_claim[i]);
	if (j->claimed)
		wgw_nl_release(d->nl, &j->claim);
	wgw_sysctl_restore(&j->sysctls);
	/* After the forwarding switches: the rules are what kept the host
	 * from being a router while they were on. */
	j->confine.ifname[sizeof(j->confine.ifname) - 1] = '\0';
	if (j->confine.added && j->confine.ifname[0])
		wgw_nl_unconfine(d->nl, &j->confine);
	for (unsigned i = j->nprep; i-- > 0;)
		wgw_ifprep_restore(&d->genl, &j->prep[i]);
	free(j);
	unlink(path);
}
