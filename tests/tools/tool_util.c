// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers shared by the traffic tools: options, endpoints, histogram, time,
 * random numbers.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/tools/tool_util.h"

/* ------------------------------------------------------------ options */

void wgw_tool_getopt_tables(const struct wgw_tool_opt *opts, size_t n,
			    struct option *longopts, char *shortopts)
{
	char *s = shortopts;
	size_t i;

	for (i = 0; i < n; i++) {
		longopts[i] = (struct option){ opts[i].name, opts[i].has_arg, NULL, opts[i].val };
		if (opts[i].val > 0 && opts[i].val < 256) {
			*s++ = (char)opts[i].val;
			if (opts[i].has_arg == required_argument)
				*s++ = ':';
		}
	}
	longopts[n] = (struct option){ NULL, 0, NULL, 0 };
	*s = '\0';
}

void wgw_tool_usage(FILE *f, const char *synopsis, const char *intro,
		    const struct wgw_tool_opt *opts, size_t n)
{
	char left[64];
	size_t i;

	fprintf(f, "Usage: %s\n\n%s\n\nOptions:\n", synopsis, intro);
	for (i = 0; i < n; i++) {
		char shortname[8] = "    ";

		if (opts[i].val > 0 && opts[i].val < 256)
			snprintf(shortname, sizeof(shortname), "-%c, ", opts[i].val);
		snprintf(left, sizeof(left), "%s--%s%s%s", shortname, opts[i].name,
			 opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		fprintf(f, "  %-28s %s\n", left, opts[i].help);
	}
}

int wgw_tool_parse_u64(const char *s, uint64_t min, uint64_t max,
		       const char *what, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end != '\0' || *s == '-' || v < min || v > max) {
		fprintf(stderr, "invalid %s '%s': expected an integer from %" PRIu64
			" to %" PRIu64 "\n", what, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int wgw_tool_parse_double(const char *s, double min, double max,
			  const char *what, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || isnan(v) || v < min || v > max) {
		fprintf(stderr, "invalid %s '%s': expected a number from %g to %g\n",
			what, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* ------------------------------------------------------------ endpoints */

int wgw_tool_parse_addr(const char *s, union wgw_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, s, &sa->in.sin_addr) == 1) {
		sa->in.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sa->in6.sin6_addr) == 1) {
		sa->in6.sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int wgw_tool_parse_endpoint(const char *s, union wgw_sa *sa)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hlen;
	uint64_t port;
	char *end;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) /* bare IPv6 needs brackets */
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (wgw_tool_parse_addr(host, sa))
		return -EINVAL;
	errno = 0;
	port = strtoull(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port == 0 || port > 65535)
		return -EINVAL;
	if (sa->sa.sa_family == AF_INET)
		sa->in.sin_port = htons((uint16_t)port);
	else
		sa->in6.sin6_port = htons((uint16_t)port);
	return 0;
}

socklen_t wgw_sa_len(const union wgw_sa *sa)
{
	return sa->sa.sa_family == AF_INET ? sizeof(sa->in) : sizeof(sa->in6);
}

bool wgw_sa_eq(const union wgw_sa *a, const union wgw_sa *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	return a->in6.sin6_port == b->in6.sin6_port &&
	       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(struct in6_addr));
}

const char *wgw_sa_str(const union wgw_sa *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &sa->in.sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sa->in.sin_port));
	} else if (sa->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sa->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sa->in6.sin6_port));
	} else {
		snprintf(buf, len, "(family %u)", sa->sa.sa_family);
	}
	return buf;
}

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t wgw_sa_hash(const union wgw_sa *sa)
{
	uint64_t h = sa->sa.sa_family;
	uint64_t q[2];

	if (sa->sa.sa_family == AF_INET) {
		h = mix64(h ^ ((uint64_t)sa->in.sin_addr.s_addr << 16) ^ sa->in.sin_port);
	} else {
		memcpy(q, &sa->in6.sin6_addr, sizeof(q));
		h = mix64(h ^ q[0]);
		h = mix64(h ^ q[1] ^ ((uint64_t)sa->in6.sin6_port << 48));
	}
	return h;
}

/* ------------------------------------------------------------ time */

uint64_t wgw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ histogram */

void wgw_hist_init(struct wgw_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

static unsigned int hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < WGW_HIST_SUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	shift = msb - WGW_HIST_SUB_BITS;
	return (shift + 1) * WGW_HIST_SUB + (unsigned int)((v >> shift) & (WGW_HIST_SUB - 1));
}

/* The largest value that falls into bucket i. */
static uint64_t hist_upper(unsigned int i)
{
	unsigned int shift, sub;

	if (i < WGW_HIST_SUB)
		return i;
	shift = i / WGW_HIST_SUB - 1;
	sub = i % WGW_HIST_SUB;
	return ((uint64_t)(WGW_HIST_SUB + sub) << shift) + (((uint64_t)1 << shift) - 1);
}

void wgw_hist_add(struct wgw_hist *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void wgw_hist_merge(struct wgw_hist *dst, const struct wgw_hist *src)
{
	unsigned int i;

	for (i = 0; i < WGW_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t wgw_hist_percentile(const struct wgw_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	unsigned int i;

	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min;
	rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (i = 0; i < WGW_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			v = hist_upper(i);
			if (v > h->max)
				v = h->max;
			if (v < h->min)
				v = h->min;
			return v;
		}
	}
	return h->max;
}

/* ------------------------------------------------------------ random */

uint64_t wgw_rand64(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix64(*state);
}

uint64_t wgw_rand_seed(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == sizeof(s))
		return s;
	return wgw_now_ns() ^ ((uint64_t)getpid() << 32);
}

/* ------------------------------------------------------------ misc */

void wgw_tool_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void wgw_tool_set_bufs(int fd, int bytes)
{
	/* The FORCE variants ignore net.core.[rw]mem_max (root only); the
	 * plain ones are the fallback, capped by the sysctl. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}
