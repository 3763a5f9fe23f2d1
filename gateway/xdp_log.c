// SPDX-License-Identifier: GPL-2.0-only
/*
 * libbpf's and libxdp's messages through the daemon's logger.  Here, in the
 * XDP module, so that only what loads BPF programs or AF_XDP sockets pulls
 * in the two libraries: gateway/log.c needs nothing but libc.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "gateway/log.h"
#include "gateway/xdp.h"

/* libbpf and libxdp print through callbacks of this shape. */
static int bpf_lib_print(int lvl, const char *fmt, va_list ap)
{
	char buf[512];
	size_t n;
	int level;

	switch (lvl) {
	case LIBBPF_WARN:
		level = LOG_WARNING;
		break;
	case LIBBPF_INFO:
		level = LOG_INFO;
		break;
	default:
		level = LOG_DEBUG;
		break;
	}
	if (!wgw_log_enabled(level))
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	/* libbpf 1.1 warns about libxdp's own section in every libxdp object. */
	if (strstr(buf, "skipping unrecognized data section") &&
	    strstr(buf, ".xdp_run_config"))
		level = LOG_DEBUG;
	wgw_log(level, "bpf: %s", buf);
	return 0;
}

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	return bpf_lib_print((int)lvl, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level lvl, const char *fmt, va_list ap)
{
	return bpf_lib_print((int)lvl, fmt, ap);
}

static void route_logs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void wgw_xdp_log_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, route_logs);
}
