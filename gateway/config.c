// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a valid configuration is: the value parsers (addresses with ports,
 * backends, CPU lists, numbers) and the checks across options.  The option
 * table and its front ends (command line, INI file, --help, printing) are in
 * options.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/options_internal.h"

/* Strict decimal: digits only (no sign, no space, no 0x), no overflow. */
static int parse_dec(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int wgw_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
		  char *why, size_t whylen)
{
	uint64_t v;

	if (parse_dec(s, strlen(s), &v) < 0 || v < min || v > max)
		return wgw_opt_fail(why, whylen, "expected an integer %u-%u", min, max);
	*out = (uint32_t)v;
	return 0;
}

static int parse_port(const char *s, size_t n, uint16_t *port)
{
	uint64_t v;

	if (parse_dec(s, n, &v) < 0 || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int wgw_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi,
			 char *why, size_t whylen)
{
	const char *dash = strchr(s, '-');

	if (!dash || parse_port(s, (size_t)(dash - s), lo) < 0 ||
	    parse_port(dash + 1, strlen(dash + 1), hi) < 0)
		return wgw_opt_fail(why, whylen,
			    "expected a port range LO-HI, ports 1-65535");
	if (*lo > *hi)
		return wgw_opt_fail(why, whylen, "range is reversed (%u > %u)", *lo,
			    *hi);
	return 0;
}

/* An address literal of n bytes (not NUL-terminated). */
static int parse_addr_n(const char *s, size_t n, union wgw_addr *addr)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return wgw_addr_parse(addr, buf);
}

int wgw_parse_addr_port(const char *s, bool allow_range, union wgw_addr *addr,
			uint16_t *port_lo, uint16_t *port_hi,
			char *why, size_t whylen)
{
	const char *expect = allow_range ?
		"expected ADDR:PORT[-PORT], IPv6 as [ADDR]:PORT[-PORT]" :
		"expected ADDR:PORT, IPv6 as [ADDR]:PORT";
	const char *host, *port, *dash;
	size_t hostlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return wgw_opt_fail(why, whylen, "%s", expect);
		host = s + 1;
		hostlen = (size_t)(close - host);
		port = close + 2;
		if (memchr(host, ':', hostlen) == NULL)
			return wgw_opt_fail(why, whylen,
				    "brackets are for IPv6 addresses only");
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon)
			return wgw_opt_fail(why, whylen, "%s", expect);
		host = s;
		hostlen = (size_t)(colon - s);
		port = colon + 1;
		if (memchr(host, ':', hostlen))
			return wgw_opt_fail(why, whylen,
				    "an IPv6 address needs brackets: [ADDR]:PORT");
	}
	if (parse_addr_n(host, hostlen, addr) < 0)
		return wgw_opt_fail(why, whylen, "'%.*s' is not an IPv4 or IPv6 address",
			    (int)hostlen, host);
	if (*port == '\0')
		return wgw_opt_fail(why, whylen, "%s", expect);
	dash = allow_range ? strchr(port, '-') : NULL;
	if (dash) {
		if (parse_port(port, (size_t)(dash - port), port_lo) < 0 ||
		    parse_port(dash + 1, strlen(dash + 1), port_hi) < 0)
			return wgw_opt_fail(why, whylen, "ports must be 1-65535");
		if (*port_lo > *port_hi)
			return wgw_opt_fail(why, whylen,
				    "port range is reversed (%u > %u)",
				    *port_lo, *port_hi);
		return 0;
	}
	if (parse_port(port, strlen(port), port_lo) < 0)
		return wgw_opt_fail(why, whylen, "port must be 1-65535");
	*port_hi = *port_lo;
	return 0;
}

int wgw_parse_backend(const char *s, struct wgw_backend *b,
		      char *why, size_t whylen)
{
	char hostport[INET6_ADDRSTRLEN + 16];
	const char *at = strrchr(s, '@');
	size_t n = at ? (size_t)(at - s) : strlen(s);
	uint16_t hi;
	uint64_t w;
	int ret;

	if (n >= sizeof(hostport))
		return wgw_opt_fail(why, whylen,
			    "expected ADDR:PORT[@WEIGHT], IPv6 as [ADDR]:PORT");
	memcpy(hostport, s, n);
	hostport[n] = '\0';
	ret = wgw_parse_addr_port(hostport, false, &b->addr, &b->port, &hi,
				  why, whylen);
	if (ret < 0)
		return ret;
	/* "[::ffff:a.b.c.d]" parses as IPv4: say which address is meant
	 * rather than keep a backend that reads as IPv6 and is not. */
	if (hostport[0] == '[' && wgw_addr_is_v4(&b->addr))
		return wgw_opt_fail(why, whylen,
			    "an IPv4-mapped IPv6 address: write the IPv4 address itself");
	b->weight = WGW_BACKEND_WEIGHT_DEFAULT;
	if (at) {
		if (parse_dec(at + 1, strlen(at + 1), &w) < 0 || w < 1 ||
		    w > 65535)
			return wgw_opt_fail(why, whylen, "weight must be 1-65535");
		b->weight = (uint16_t)w;
	}
	return 0;
}

int wgw_parse_store(const char *s, struct wgw_store_ep *ep, char *why, size_t whylen)
{
	static const char scheme[] = "redis://";
	const char *h = s + sizeof(scheme) - 1, *colon, *end;
	size_t n;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(s, scheme, sizeof(scheme) - 1))
		return wgw_opt_fail(why, whylen,
			    "expected redis://HOST:PORT (HOST: IPv4, [IPv6] or a name)");
	if (*h == '[') {
		struct in6_addr a6;
		char a[INET6_ADDRSTRLEN];

		end = strchr(h, ']');
		if (!end || end[1] != ':' || (size_t)(end - h - 1) >= sizeof(a))
			return wgw_opt_fail(why, whylen, "expected redis://[IPv6]:PORT");
		n = (size_t)(end - h - 1);
		memcpy(a, h + 1, n);
		a[n] = '\0';
		if (inet_pton(AF_INET6, a, &a6) != 1)
			return wgw_opt_fail(why, whylen, "not an IPv6 address between [ ]");
		colon = end + 1;
		memcpy(ep->host, a, n + 1);
	} else {
		colon = strrchr(h, ':');
		if (!colon || colon == h || memchr(h, ':', (size_t)(colon - h)))
			return wgw_opt_fail(why, whylen,
				    "expected redis://HOST:PORT, an IPv6 address as [ADDR]");
		n = (size_t)(colon - h);
		if (n >= sizeof(ep->host))
			return wgw_opt_fail(why, whylen, "host name too long");
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-' &&
			    h[i] != '_')
				return wgw_opt_fail(why, whylen,
					    "a host name has letters, digits, '.', '-' and '_' only");
		memcpy(ep->host, h, n);
		ep->host[n] = '\0';
	}
	if (strchr(colon + 1, '/') || parse_port(colon + 1, strlen(colon + 1), &ep->port) < 0)
		return wgw_opt_fail(why, whylen, "port must be 1-65535 (and no path)");
	return 0;
}

int wgw_parse_cpulist(const char *s, cpu_set_t *set, unsigned int *n,
		      char *why, size_t whylen)
{
	const char *p = s;

	CPU_ZERO(set);
	*n = 0;
	for (;;) {
		const char *end = p + strcspn(p, ",");
		const char *dash = memchr(p, '-', (size_t)(end - p));
		uint64_t lo, hi;

		if (dash) {
			if (parse_dec(p, (size_t)(dash - p), &lo) < 0 ||
			    parse_dec(dash + 1, (size_t)(end - dash - 1), &hi) < 0)
				goto syntax;
		} else {
			if (parse_dec(p, (size_t)(end - p), &lo) < 0)
				goto syntax;
			hi = lo;
		}
		if (lo > hi)
			return wgw_opt_fail(why, whylen,
				    "CPU range %llu-%llu is reversed",
				    (unsigned long long)lo,
				    (unsigned long long)hi);
		if (hi >= CPU_SETSIZE)
			return wgw_opt_fail(why, whylen, "CPU numbers must be 0-%d",
				    CPU_SETSIZE - 1);
		for (; lo <= hi; lo++) {
			if (!CPU_ISSET(lo, set)) {
				CPU_SET(lo, set);
				(*n)++;
			}
		}
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
syntax:
	return wgw_opt_fail(why, whylen,
		    "expected CPU numbers and ranges separated by commas, e.g. 0-3,6");
}

const char *wgw_cpulist_str(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	int cpu = 0;

	if (len)
		buf[0] = '\0';
	while (cpu < CPU_SETSIZE) {
		int first;
		int r;

		if (!CPU_ISSET(cpu, set)) {
			cpu++;
			continue;
		}
		first = cpu;
		while (cpu + 1 < CPU_SETSIZE && CPU_ISSET(cpu + 1, set))
			cpu++;
		if (first == cpu)
			r = snprintf(buf + used, len - used, "%s%d",
				     used ? "," : "", first);
		else
			r = snprintf(buf + used, len - used, "%s%d-%d",
				     used ? "," : "", first, cpu);
		if (r < 0 || (size_t)r >= len - used)
			break;	/* truncated: buf is still terminated */
		used += (size_t)r;
		cpu++;
	}
	return buf;
}

int wgw_parse_ifname(const char *s, char *out, size_t outlen,
		     char *why, size_t whylen)
{
	size_t n = strlen(s), i;

	/* The kernel's dev_valid_name(): 1..IFNAMSIZ-1 bytes, not "." or
	 * "..", no '/', ':' or whitespace. */
	if (n == 0 || n >= IFNAMSIZ || n >= outlen)
		return wgw_opt_fail(why, whylen,
			    "expected an interface name of 1-%d characters",
			    IFNAMSIZ - 1);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return wgw_opt_fail(why, whylen, "not a valid interface name");
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return wgw_opt_fail(why, whylen,
				    "an interface name cannot contain '/', ':' or whitespace");
	memcpy(out, s, n + 1);
	return 0;
}

/* ---- Checks across options ---- */

static bool addr_unspecified(const union wgw_addr *a)
{
	if (wgw_addr_is_v4(a))
		return wgw_addr_v4(a) == 0;
	return a->q[0] == 0 && a->q[1] == 0;
}

/* Addresses that can never be a unicast peer: multicast, IPv4 broadcast. */
static bool addr_not_unicast(const union wgw_addr *a)
{
	if (wgw_addr_is_v4(a)) {
		uint32_t v = ntohl(wgw_addr_v4(a));

		return (v >> 28) == 0xe || v == 0xffffffffu;
	}
	return a->b[0] == 0xff;
}

static bool addr_loopback(const union wgw_addr *a)
{
	static const uint8_t v6_loopback[16] = { [15] = 1 };

	if (wgw_addr_is_v4(a))
		return (ntohl(wgw_addr_v4(a)) >> 24) == 127;
	return !memcmp(a->b, v6_loopback, sizeof(v6_loopback));
}

/* 169.254/16, fe80::/10: valid only with an interface (a scope), which a
 * backend's address does not carry. */
static bool addr_link_local(const union wgw_addr *a)
{
	if (wgw_addr_is_v4(a))
		return (ntohl(wgw_addr_v4(a)) >> 16) == 0xa9fe;
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

int wgw_backend_check(const struct wgw_config *cfg, const union wgw_addr *addr,
		      uint16_t port, char *why, size_t whylen)
{
	unsigned int i;

	if (addr_unspecified(addr))
		return wgw_opt_fail(why, whylen,
			    "expected a unicast address, not the unspecified address");
	if (addr_not_unicast(addr))
		return wgw_opt_fail(why, whylen, "expected a unicast address, not %s",
			    wgw_addr_is_v4(addr) && wgw_addr_v4(addr) == 0xffffffffu ?
			    "the broadcast address" : "a multicast address");
	if (addr_loopback(addr))
		return wgw_opt_fail(why, whylen,
			    "a loopback address: a backend must be reachable on the LAN");
	if (addr_link_local(addr))
		return wgw_opt_fail(why, whylen,
			    "a link-local address: a backend needs a routable unicast address");
	if (port == 0)
		return wgw_opt_fail(why, whylen, "port must be 1-65535");
	/* The gateway's own addresses: a backend there hands every datagram
	 * back to the gateway, which maps it anew, until the NAT ports are
	 * spent. */
	if (cfg->nat_set && wgw_addr_eq(addr, &cfg->nat))
		return wgw_opt_fail(why, whylen,
			    "the NAT address: the gateway owns that address");
	for (i = 0; i < cfg->n_nat_pool; i++)
		if (wgw_addr_eq(addr, &cfg->nat_pool[i]))
			return wgw_opt_fail(why, whylen,
				    "a NAT address: the gateway owns that address");
	for (i = 0; i < cfg->n_vips; i++)
		if (wgw_addr_eq(addr, &cfg->vips[i].addr))
			return wgw_opt_fail(why, whylen,
				    "a VIP address: the gateway owns that address");
	return 0;
}

static const char *family(const union wgw_addr *a)
{
	return wgw_addr_is_v4(a) ? "IPv4" : "IPv6";
}

static int validate_family(const struct wgw_config *cfg, char *err,
			   size_t errlen)
{
	char a[64], b[64];
	const char *what, *first_what = "--nat";
	const union wgw_addr *first = &cfg->nat;
	unsigned int i;

	wgw_addr_str(&cfg->nat, a, sizeof(a));
	for (i = 0; i < cfg->n_vips + cfg->n_backends; i++) {
		const union wgw_addr *x;

		if (i < cfg->n_vips) {
			x = &cfg->vips[i].addr;
			what = "--vip";
			wgw_addr_port_str(x, cfg->vips[i].port_lo, cfg->vips[i].port_hi,
			       b, sizeof(b));
		} else {
			const struct wgw_backend *be =
				&cfg->backends[i - cfg->n_vips];

			x = &be->addr;
			what = "--backend";
			wgw_addr_port_str(x, be->port, be->port, b, sizeof(b));
		}
		if (wgw_addr_is_v4(x) != wgw_addr_is_v4(first))
			return wgw_opt_fail(err, errlen,
				    "mixed address families: %s %s is %s but %s %s is %s; every VIP, backend and the NAT address must be of one family",
				    first_what, a, family(first), what, b,
				    family(x));
	}
	return 0;
}

static int validate_service(const struct wgw_config *cfg, char *err,
			    size_t errlen)
{
	char a[64], b[64], why[128];
	unsigned int i, j;
	int ret;

	if (!cfg->wan[0])
		return wgw_opt_fail(err, errlen,
			    "no --wan interface: the interface facing clients is required");
	if (cfg->n_vips == 0)
		return wgw_opt_fail(err, errlen,
			    "no --vip: at least one service address ADDR:PORT[-PORT] is required");
	if (cfg->n_backends == 0)
		return wgw_opt_fail(err, errlen,
			    "no --backend: at least one backend ADDR:PORT[@WEIGHT] is required");
	if (!cfg->nat_set)
		return wgw_opt_fail(err, errlen,
			    "no --nat address: the inside address the gateway owns for NAT is required");
	ret = validate_family(cfg, err, errlen);
	if (ret < 0)
		return ret;

	wgw_addr_str(&cfg->nat, a, sizeof(a));
	if (addr_unspecified(&cfg->nat) || addr_not_unicast(&cfg->nat))
		return wgw_opt_fail(err, errlen,
			    "--nat '%s': expected a unicast address", a);
	if (cfg->nat_port_lo > cfg->nat_port_hi)
		return wgw_opt_fail(err, errlen, "--nat-ports %u-%u: range is reversed",
			    cfg->nat_port_lo, cfg->nat_port_hi);
	for (i = 0; i < cfg->n_nat_pool; i++) {
		const union wgw_addr *x = &cfg->nat_pool[i];

		wgw_addr_str(x, b, sizeof(b));
		if (addr_unspecified(x) || addr_not_unicast(x))
			return wgw_opt_fail(err, errlen,
				    "--nat '%s': expected a unicast address", b);
		if (wgw_addr_is_v4(x) != wgw_addr_is_v4(&cfg->nat))
			return wgw_opt_fail(err, errlen,
				    "mixed address families: --nat %s is %s but --nat %s is %s; the NAT pool must be of one family",
				    a, family(&cfg->nat), b, family(x));
		for (j = 0; j < cfg->n_vips; j++)
			if (wgw_addr_eq(x, &cfg->vips[j].addr))
				return wgw_opt_fail(err, errlen,
					    "--nat '%s' is also a --vip address: the pool's addresses take replies on every port", b);
	}

	for (i = 0; i < cfg->n_vips; i++) {
		const struct wgw_vip *v = &cfg->vips[i];

		wgw_addr_port_str(&v->addr, v->port_lo, v->port_hi, a, sizeof(a));
		if (addr_unspecified(&v->addr) || addr_not_unicast(&v->addr))
			return wgw_opt_fail(err, errlen,
				    "--vip '%s': expected a unicast address", a);
		if (v->port_lo > v->port_hi || v->port_lo == 0)
			return wgw_opt_fail(err, errlen,
				    "--vip '%s': ports must be 1-65535, low to high",
				    a);
		if (wgw_addr_eq(&v->addr, &cfg->nat) &&
		    v->port_lo <= cfg->nat_port_hi &&
		    cfg->nat_port_lo <= v->port_hi)
			return wgw_opt_fail(err, errlen,
				    "--vip '%s' overlaps --nat-ports %u-%u on the NAT address: replies to the NAT ports would be taken for client traffic",
				    a, cfg->nat_port_lo, cfg->nat_port_hi);
		for (j = 0; j < i; j++) {
			const struct wgw_vip *w = &cfg->vips[j];

			if (wgw_addr_eq(&v->addr, &w->addr) &&
			    v->port_lo <= w->port_hi &&
			    w->port_lo <= v->port_hi)
				return wgw_opt_fail(err, errlen,
					    "--vip '%s' overlaps --vip '%s'", a,
					    wgw_addr_port_str(&w->addr, w->port_lo,
						   w->port_hi, b, sizeof(b)));
		}
	}

	for (i = 0; i < cfg->n_backends; i++) {
		const struct wgw_backend *be = &cfg->backends[i];

		wgw_addr_port_str(&be->addr, be->port, be->port, a, sizeof(a));
		if (wgw_backend_check(cfg, &be->addr, be->port, why,
				      sizeof(why)))
			return wgw_opt_fail(err, errlen, "--backend '%s': %s", a, why);
		if (be->weight == 0)
			return wgw_opt_fail(err, errlen,
				    "--backend '%s': weight must be 1-65535", a);
		for (j = 0; j < i; j++) {
			const struct wgw_backend *o = &cfg->backends[j];

			if (wgw_addr_eq(&be->addr, &o->addr) &&
			    be->port == o->port)
				return wgw_opt_fail(err, errlen,
					    "--backend '%s' is given twice", a);
		}
	}
	return 0;
}

static int validate_xdp(const struct wgw_config *cfg, char *err,
			size_t errlen)
{
	const struct {
		const char *name;
		uint32_t v;
	} rings[] = {
		{ "--fill-ring", cfg->fill_ring },
		{ "--comp-ring", cfg->comp_ring },
		{ "--rx-ring", cfg->rx_ring },
		{ "--tx-ring", cfg->tx_ring },
	};
	uint32_t room;
	size_t i;

	if (cfg->frame_size != 2048 && cfg->frame_size != 4096)
		return wgw_opt_fail(err, errlen,
			    "--frame-size %u: expected 2048 or 4096",
			    cfg->frame_size);
	/* The kernel puts XDP_PACKET_HEADROOM after our headroom in every
	 * frame; what is left must hold a full-size Ethernet frame.  The
	 * interface's real MTU is checked when the port is opened. */
	room = cfg->frame_size - WGW_XDP_PACKET_HEADROOM - WGW_MAX_L2_FRAME;
	if (cfg->headroom > room)
		return wgw_opt_fail(err, errlen,
			    "--headroom %u: with --frame-size %u at most %u bytes fit (frame size - %d bytes kernel XDP headroom - %d-byte Ethernet frame)",
			    cfg->headroom, cfg->frame_size, room,
			    WGW_XDP_PACKET_HEADROOM, WGW_MAX_L2_FRAME);
	for (i = 0; i < sizeof(rings) / sizeof(rings[0]); i++) {
		if (!wgw_is_pow2(rings[i].v))
			return wgw_opt_fail(err, errlen,
				    "%s %u: expected a power of two",
				    rings[i].name, rings[i].v);
		if (cfg->batch > rings[i].v)
			return wgw_opt_fail(err, errlen,
				    "--batch %u is larger than %s %u",
				    cfg->batch, rings[i].name, rings[i].v);
	}
	/* An explicit UMEM must at least fill the fill ring and leave a
	 * batch in flight on TX (platform notes: a short UMEM starves RX). */
	if (cfg->umem_frames &&
	    cfg->umem_frames < cfg->fill_ring + cfg->batch)
		return wgw_opt_fail(err, errlen,
			    "--umem-frames %u: expected 0 (computed) or at least --fill-ring + --batch = %u",
			    cfg->umem_frames, cfg->fill_ring + cfg->batch);
	return 0;
}

/* A worker pinned to a CPU the daemon may not run on would only warn at
 * start and then run anywhere: refuse the list before that. */
static int validate_cpus(const struct wgw_config *cfg, char *err,
			 size_t errlen)
{
	cpu_set_t allowed;

	if (!cfg->n_cpus || sched_getaffinity(0, sizeof(allowed), &allowed))
		return 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &cfg->cpus) && !CPU_ISSET(c, &allowed))
			return wgw_opt_fail(err, errlen,
				    "--cpus: CPU %d is not available (this process may use %d CPU%s)",
				    c, CPU_COUNT(&allowed),
				    CPU_COUNT(&allowed) == 1 ? "" : "s");
	return 0;
}

int wgw_config_validate(const struct wgw_config *cfg, char *err,
			size_t errlen)
{
	int ret;

	if (cfg->probe[0])
		return 0;	/* --probe needs nothing else */

	ret = validate_service(cfg, err, errlen);
	if (ret < 0)
		return ret;
	ret = validate_xdp(cfg, err, errlen);
	if (ret < 0)
		return ret;
	if (cfg->json)
		return wgw_opt_fail(err, errlen, "--json is only meaningful with --probe");
	if (cfg->control_socket[0] != '/')
		return wgw_opt_fail(err, errlen,
			    "--control-socket '%s': expected an absolute path",
			    cfg->control_socket);
	if (cfg->pidfile[0] && cfg->pidfile[0] != '/')
		return wgw_opt_fail(err, errlen,
			    "--pidfile '%s': expected an absolute path (or empty for none)",
			    cfg->pidfile);
	if (strcmp(cfg->state_file, "none") && cfg->state_file[0] != '/')
		return wgw_opt_fail(err, errlen,
			    "--state-file '%s': expected an absolute path or none",
			    cfg->state_file);
	if (cfg->metrics_listen.set && cfg->metrics_listen.port == 0)
		return wgw_opt_fail(err, errlen,
			    "--metrics-listen: port must be 1-65535");
	if (cfg->store_password_file[0] && cfg->store_password_file[0] != '/')
		return wgw_opt_fail(err, errlen,
			    "--session-store-password-file '%s': expected an absolute path",
			    cfg->store_password_file);
	if (cfg->store_password_file[0] && !cfg->n_stores)
		return wgw_opt_fail(err, errlen,
			    "--session-store-password-file without a --session-store");
	return validate_cpus(cfg, err, errlen);
}

/* ---- Reading the file ---- */

static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a regular file";
}

/* Read at most max + 1 bytes of fd into a fresh buffer: one byte more than
 * allowed tells "too large" without trusting st_size (a file that grows
 * while we read, or a /proc file that claims size 0). */
static ssize_t read_bounded(int fd, size_t max, char **out)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *nb;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			if (cap > max)
				break;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			int err = errno;

			if (err == EINTR)
				continue;
			free(buf);
			return -err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	return (ssize_t)len;
}

FILE *wgw_config_open(const char *path, char **buf, char *err, size_t errlen)
{
	struct stat sb;
	ssize_t len;
	FILE *f;
	int fd, ret;

	*buf = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it would
	 * hang the control loop and SIGTERM with it); what is not a regular
	 * file is refused below, before any read. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno;
		snprintf(err, errlen, "config %s: cannot open: %s", path,
			 strerror(ret));
		errno = ret;
		return NULL;
	}
	if (fstat(fd, &sb)) {
		ret = errno;
		snprintf(err, errlen, "config %s: cannot stat: %s", path,
			 strerror(ret));
		goto err_close;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = EINVAL;
		snprintf(err, errlen,
			 "config %s: %s: expected a regular file", path,
			 file_kind(sb.st_mode));
		goto err_close;
	}
	if (sb.st_size > WGW_CONFIG_MAX_BYTES)
		goto err_big;
	len = read_bounded(fd, WGW_CONFIG_MAX_BYTES, buf);
	if (len < 0) {
		ret = (int)-len;
		snprintf(err, errlen, "config %s: read error: %s", path,
			 strerror(ret));
		goto err_close;
	}
	if (len > WGW_CONFIG_MAX_BYTES)
		goto err_big;
	close(fd);
	f = fmemopen(*buf, (size_t)len, "r");
	if (!f) {
		ret = errno;
		snprintf(err, errlen, "config %s: %s", path, strerror(ret));
		free(*buf);
		*buf = NULL;
		errno = ret;
	}
	return f;

err_big:
	ret = EFBIG;
	snprintf(err, errlen,
		 "config %s: larger than %d bytes: not a configuration file",
		 path, WGW_CONFIG_MAX_BYTES);
err_close:
	close(fd);
	free(*buf);
	*buf = NULL;
	errno = ret;
	return NULL;
}
