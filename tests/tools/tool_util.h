/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the traffic tools (wraith-client, wraith-backend):
 * option table and usage text, endpoint parsing and printing, a latency
 * histogram, monotonic time, a small PRNG.  Nothing here allocates per
 * packet.
 */
#ifndef WGW_TOOLS_UTIL_H
#define WGW_TOOLS_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <getopt.h>
#include <sys/socket.h>
#include <netinet/in.h>

/* ------------------------------------------------------------ options */

/* One row of a tool's option table: getopt_long() and --help both come
 * from it, so the help cannot drift from what is parsed. */
struct wgw_tool_opt {
	const char *name;	/* long name, without "--" */
	int has_arg;		/* no_argument / required_argument */
	int val;		/* short option char or a value >= 256 */
	const char *arg;	/* argument name in the help, e.g. "N" */
	const char *help;	/* one line; default in it when there is one */
};

/* Fill longopts (n + 1 entries) and shortopts (3 * n + 1 bytes). */
void wgw_tool_getopt_tables(const struct wgw_tool_opt *opts, size_t n,
			    struct option *longopts, char *shortopts);
void wgw_tool_usage(FILE *f, const char *synopsis, const char *intro,
		    const struct wgw_tool_opt *opts, size_t n);

/* Numbers from the command line.  They print what was wrong with the value
 * and what was expected, and return -EINVAL. */
int wgw_tool_parse_u64(const char *s, uint64_t min, uint64_t max,
		       const char *what, uint64_t *out);
int wgw_tool_parse_double(const char *s, double min, double max,
			  const char *what, double *out);

/* ------------------------------------------------------------ endpoints */

/* An IPv4 or IPv6 socket address. */
union wgw_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* "a.b.c.d:port" or "[v6]:port" (port 1..65535).  0 or -EINVAL. */
int wgw_tool_parse_endpoint(const char *s, union wgw_sa *sa);
/* "a.b.c.d" or "v6" (no port; port set to 0).  0 or -EINVAL. */
int wgw_tool_parse_addr(const char *s, union wgw_sa *sa);
socklen_t wgw_sa_len(const union wgw_sa *sa);
/* Same family, address and port. */
bool wgw_sa_eq(const union wgw_sa *a, const union wgw_sa *b);
/* "a.b.c.d:p" / "[v6]:p" into buf (at least WGW_SA_STRLEN bytes). */
#define WGW_SA_STRLEN (INET6_ADDRSTRLEN + 8)
const char *wgw_sa_str(const union wgw_sa *sa, char *buf, size_t len);
/* A 64-bit hash of address and port (for telling endpoints apart). */
uint64_t wgw_sa_hash(const union wgw_sa *sa);

/* ------------------------------------------------------------ time */

uint64_t wgw_now_ns(void); /* CLOCK_MONOTONIC */

/* ------------------------------------------------------------ histogram */

/*
 * Log-linear histogram of nanosecond values, HdrHistogram style: values
 * below 2^WGW_HIST_SUB_BITS ns are exact; above, each power of two is split
 * into 2^WGW_HIST_SUB_BITS buckets, so a percentile is within 1/32 (about
 * 3%) of the true value.  Fixed size, no allocation.
 */
#define WGW_HIST_SUB_BITS 5
#define WGW_HIST_SUB (1U << WGW_HIST_SUB_BITS)
#define WGW_HIST_BUCKETS ((64 - WGW_HIST_SUB_BITS + 1) * WGW_HIST_SUB)

struct wgw_hist {
	uint64_t count;
	uint64_t min, max;	/* ns */
	uint64_t sum;		/* ns */
	uint64_t bucket[WGW_HIST_BUCKETS];
};

void wgw_hist_init(struct wgw_hist *h);
void wgw_hist_add(struct wgw_hist *h, uint64_t v);
/* Merge src into dst. */
void wgw_hist_merge(struct wgw_hist *dst, const struct wgw_hist *src);
/* The value at percentile p (0..100): the upper bound of its bucket, capped
 * by the maximum.  0 when empty. */
uint64_t wgw_hist_percentile(const struct wgw_hist *h, double p);

/* ------------------------------------------------------------ random */

/* splitmix64: seeds and fills, not cryptography. */
uint64_t wgw_rand64(uint64_t *state);
/* A seed from getrandom(), or the time when that fails. */
uint64_t wgw_rand_seed(void);

/* ------------------------------------------------------------ misc */

/* Raise RLIMIT_NOFILE's soft limit to the hard limit (many sockets). */
void wgw_tool_raise_nofile(void);
/* Set SO_RCVBUF/SO_SNDBUF to bytes, with the *FORCE variants when root. */
void wgw_tool_set_bufs(int fd, int bytes);

#endif
