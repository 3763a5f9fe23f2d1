/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Addresses shared by every part of the gateway (engine, netlink, ports):
 * one type for IPv4 and IPv6.
 */
#ifndef WGW_ADDR_H
#define WGW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>

/* An IPv4 or IPv6 address; IPv4 is stored as an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) so one type serves both families. */
union wgw_addr {
	uint8_t b[16];
	uint32_t w[4];
	uint64_t q[2];
	struct in6_addr in6;
};

/* Address helpers. */
static inline bool wgw_addr_is_v4(const union wgw_addr *a)
{
	return a->w[0] == 0 && a->w[1] == 0 && a->w[2] == htonl(0xffff);
}
void wgw_addr_from_v4(union wgw_addr *a, uint32_t be_addr);
/* Parse "a.b.c.d" or an IPv6 literal (no brackets, no zone id), strictly
 * as inet_pton() does.  0, or -EINVAL with *a untouched.  "::ffff:a.b.c.d"
 * yields the IPv4 address a.b.c.d. */
int wgw_addr_parse(union wgw_addr *a, const char *s);
/* Format into buf (INET6_ADDRSTRLEN bytes); IPv4 as dotted quad.  Returns
 * buf, or NULL with errno ENOSPC when len is too small. */
const char *wgw_addr_str(const union wgw_addr *a, char *buf, size_t len);
/* "1.2.3.4:80", "[fd00::1]:80", with a range "...:80-90" (hi > lo), into
 * buf (truncated if short); returns buf. */
const char *wgw_addr_port_str(const union wgw_addr *a, uint16_t lo, uint16_t hi,
			      char *buf, size_t len);

/* Equality of two addresses (all 16 bytes). */
static inline bool wgw_addr_eq(const union wgw_addr *a, const union wgw_addr *b)
{
	return a->q[0] == b->q[0] && a->q[1] == b->q[1];
}
/* The IPv4 address in network order (valid when wgw_addr_is_v4()). */
static inline uint32_t wgw_addr_v4(const union wgw_addr *a)
{
	return a->w[3];
}

#endif
