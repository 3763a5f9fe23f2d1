/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-interface sysctls with set-and-restore: every value written is
 * recorded with the value it replaced, and put back, newest first.  For the
 * TUN fallback's inside address (platform-notes: "Owning an inside address
 * through a TUN device"): net.ipv4.conf.IF.forwarding,
 * net.ipv6.conf.IF.forwarding, proxy_ndp, force_forwarding (Linux >= 6.17),
 * rp_filter.  Values are read and written under /proc/sys/net, which shows
 * the calling thread's network namespace.
 */
#ifndef WGW_NETLINK_SYSCTL_H
#define WGW_NETLINK_SYSCTL_H

#include <stdbool.h>
#include <stddef.h>

#define WGW_SYSCTL_MAX 32		/* recorded changes */
#define WGW_SYSCTL_PATH_LEN 128		/* bytes */
#define WGW_SYSCTL_VAL_LEN 32		/* bytes */

struct wgw_sysctl_saved {
	char path[WGW_SYSCTL_PATH_LEN];
	char old[WGW_SYSCTL_VAL_LEN];
};

struct wgw_sysctls {
	unsigned n;
	struct wgw_sysctl_saved e[WGW_SYSCTL_MAX];
};

/* Read a sysctl file into buf without the trailing newline: 0 or -errno
 * (-ENOENT when this kernel has no such key). */
int wgw_sysctl_read(const char *path, char *buf, size_t len);
/* Write a value: 0 or -errno. */
int wgw_sysctl_write(const char *path, const char *value);

/* The path of net.<proto>.conf.<ifname>.<key>: 0, or -EINVAL for a name
 * that is not an interface name or a key, or proto not ipv4/ipv6. */
int wgw_sysctl_if_path(char *buf, size_t len, const char *proto,
		       const char *ifname, const char *key);

/*
 * Set net.<proto>.conf.<ifname>.<key> = value and record the old value.
 * Returns 0; -ENOENT when the key does not exist on this kernel (nothing
 * recorded; e.g. force_forwarding before 6.17); -ENOSPC when the record is
 * full; -EINVAL for bad names; other -errno.  An unchanged value is not
 * written and not recorded.
 */
int wgw_sysctl_if_set(struct wgw_sysctls *s, const char *proto,
		      const char *ifname, const char *key, const char *value);

/*
 * The same for any path under /proc/sys/net/ (e.g. a neighbour table's
 * proxy_delay): 0, -EINVAL for another path or one with "..", else as
 * wgw_sysctl_if_set().
 */
int wgw_sysctl_path_set(struct wgw_sysctls *s, const char *path,
			const char *value);

/* Restore every recorded value, newest first; the record is emptied.
 * Returns 0 or the first -errno (the others are still attempted). */
int wgw_sysctl_restore(struct wgw_sysctls *s);

/*
 * The settings that let the TUN device own an inside address with
 * conf.all.forwarding left at 0: for IPv4 forwarding on lan and tun; for
 * IPv6 forwarding and proxy_ndp on lan, force_forwarding on lan and tun.
 * rp_filter is left alone: in either direction the reverse route of the
 * source (G via tun, a backend via lan) is the interface the packet came
 * in on, so even strict mode passes; wgw_sysctl_if_set() can still set it.
 * Returns 0; -EOPNOTSUPP when IPv6 was asked and the kernel has no
 * force_forwarding (reported: IPv6 then needs conf.all.forwarding=1, which
 * this function does not turn on); other -errno after restoring what it
 * set.
 */
int wgw_sysctl_inside_owner(struct wgw_sysctls *s, const char *lan,
			    const char *tun, bool ipv4, bool ipv6);

#endif
