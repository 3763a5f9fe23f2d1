// SPDX-License-Identifier: GPL-2.0-only
/* One address type for IPv4 and IPv6: parsing and formatting. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/addr.h"

void wgw_addr_from_v4(union wgw_addr *a, uint32_t be_addr)
{
	a->w[0] = 0;
	a->w[1] = 0;
	a->w[2] = htonl(0xffff);
	a->w[3] = be_addr;
}

int wgw_addr_parse(union wgw_addr *a, const char *s)
{
	struct in_addr in4;
	union wgw_addr tmp;

	/* inet_pton() is strict where inet_aton() is not: no "1.2.3", no
	 * octal or hex parts, no trailing garbage, no zone ids ("%eth0"). */
	if (!s || strnlen(s, INET6_ADDRSTRLEN) >= INET6_ADDRSTRLEN)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &in4) == 1) {
		wgw_addr_from_v4(a, in4.s_addr);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &tmp.in6) == 1) {
		*a = tmp;
		return 0;
	}
	return -EINVAL;
}

const char *wgw_addr_str(const union wgw_addr *a, char *buf, size_t len)
{
	/* inet_ntop() sets errno (ENOSPC) and returns NULL when buf is short. */
	if (wgw_addr_is_v4(a))
		return inet_ntop(AF_INET, &a->w[3], buf, (socklen_t)len);
	return inet_ntop(AF_INET6, &a->in6, buf, (socklen_t)len);
}

const char *wgw_addr_port_str(const union wgw_addr *a, uint16_t lo, uint16_t hi,
			      char *buf, size_t len)
{
	char ab[INET6_ADDRSTRLEN];
	bool v4 = wgw_addr_is_v4(a);
	int n;

	if (!wgw_addr_str(a, ab, sizeof(ab)))
		snprintf(ab, sizeof(ab), "?");
	n = snprintf(buf, len, "%s%s%s:%u", v4 ? "" : "[", ab, v4 ? "" : "]", lo);
	if (hi > lo && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "-%u", hi);
	return buf;
}
