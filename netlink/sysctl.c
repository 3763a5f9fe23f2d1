// SPDX-License-Identifier: GPL-2.0-only
/* Per-interface sysctls, set and restored. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>

#include "gateway/log.h"
#include "netlink/sysctl.h"

int wgw_sysctl_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (len == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int wgw_sysctl_write(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

static bool name_ok(const char *s, size_t max, bool is_ifname)
{
	size_t len = strnlen(s, max);
	size_t i;

	if (len == 0 || len >= max)
		return false;
	if (is_ifname)
		return !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

int wgw_sysctl_if_path(char *buf, size_t len, const char *proto,
		       const char *ifname, const char *key)
{
	int n;

	if (strcmp(proto, "ipv4") && strcmp(proto, "ipv6"))
		return -EINVAL;
	/* "all" and "default" are valid here too: they are directories. */
	if (!name_ok(ifname, IF_NAMESIZE, true) || !name_ok(key, 64, false))
		return -EINVAL;
	n = snprintf(buf, len, "/proc/sys/net/%s/conf/%s/%s", proto, ifname,
		     key);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

int wgw_sysctl_if_set(struct wgw_sysctls *s, const char *proto,
		      const char *ifname, const char *key, const char *value)
{
	char path[WGW_SYSCTL_PATH_LEN];
	int err;

	err = wgw_sysctl_if_path(path, sizeof(path), proto, ifname, key);
	if (err)
		return err;
	return wgw_sysctl_path_set(s, path, value);
}

int wgw_sysctl_path_set(struct wgw_sysctls *s, const char *path,
			const char *value)
{
	static const char prefix[] = "/proc/sys/net/";
	struct wgw_sysctl_saved *e;
	char old[WGW_SYSCTL_VAL_LEN];
	int err;

	if (strncmp(path, prefix, sizeof(prefix) - 1) || strstr(path, "..") ||
	    strlen(path) >= WGW_SYSCTL_PATH_LEN)
		return -EINVAL;
	if (strlen(value) >= WGW_SYSCTL_VAL_LEN)
		return -EINVAL;
	err = wgw_sysctl_read(path, old, sizeof(old));
	if (err)
		return err;
	if (!strcmp(old, value))
		return 0;
	if (s->n >= WGW_SYSCTL_MAX)
		return -ENOSPC;
	err = wgw_sysctl_write(path, value);
	if (err) {
		wgw_err("sysctl %s=%s: %s", path, value, strerror(-err));
		return err;
	}
	e = &s->e[s->n++];
	snprintf(e->path, sizeof(e->path), "%s", path);
	snprintf(e->old, sizeof(e->old), "%s", old);
	wgw_dbg("sysctl %s: %s -> %s", path, old, value);
	return 0;
}

int wgw_sysctl_restore(struct wgw_sysctls *s)
{
	int ret = 0, err;

	while (s->n > 0) {
		struct wgw_sysctl_saved *e = &s->e[--s->n];

		err = wgw_sysctl_write(e->path, e->old);
		/* The interface may be gone already (a TUN closed first):
		 * nothing left to restore then. */
		if (err && err != -ENOENT) {
			wgw_err("restore %s=%s: %s", e->path, e->old,
				strerror(-err));
			if (!ret)
				ret = err;
		}
	}
	return ret;
}

int wgw_sysctl_inside_owner(struct wgw_sysctls *s, const char *lan,
			    const char *tun, bool ipv4, bool ipv6)
{
	unsigned mark = s->n;
	bool no_force = false;
	int err = 0;

	if (ipv4) {
		err = wgw_sysctl_if_set(s, "ipv4", lan, "forwarding", "1");
		if (!err)
			err = wgw_sysctl_if_set(s, "ipv4", tun, "forwarding",
						"1");
		if (err)
			goto err_restore;
	}
	if (ipv6) {
		/* Proxy NDP answers only on a router interface. */
		err = wgw_sysctl_if_set(s, "ipv6", lan, "forwarding", "1");
		if (!err)
			err = wgw_sysctl_if_set(s, "ipv6", lan, "proxy_ndp",
						"1");
		if (err)
			goto err_restore;
		err = wgw_sysctl_if_set(s, "ipv6", lan, "force_forwarding",
					"1");
		if (!err)
			err = wgw_sysctl_if_set(s, "ipv6", tun,
						"force_forwarding", "1");
		if (err == -ENOENT) {
			no_force = true;
			err = 0;
		}
		if (err)
			goto err_restore;
	}
	if (no_force) {
		wgw_warn("this kernel has no net.ipv6.conf.*.force_forwarding (Linux < 6.17): IPv6 inside addresses need net.ipv6.conf.all.forwarding=1");
		return -EOPNOTSUPP;
	}
	return 0;

err_restore:
	/* Undo only what this call recorded. */
	while (s->n > mark) {
		struct wgw_sysctl_saved *e = &s->e[--s->n];

		wgw_sysctl_write(e->path, e->old);
	}
	return err;
}
