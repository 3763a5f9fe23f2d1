// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gateway/log.h"

static int log_to_syslog;
static _Atomic int log_verbosity = LOG_NOTICE;

void wgw_log_init(const char *ident, int to_syslog, int verbosity)
{
	log_to_syslog = to_syslog;
	atomic_store(&log_verbosity, verbosity);
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void wgw_log_set_verbosity(int verbosity)
{
	atomic_store(&log_verbosity, verbosity);
}

int wgw_log_enabled(int level)
{
	return level <= atomic_load_explicit(&log_verbosity, memory_order_relaxed);
}

void wgw_vlog(int level, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emerg", "alert", "crit", "error",
		"warning", "notice", "info", "debug",
	};
	char buf[1024];

	if (!wgw_log_enabled(level))
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_to_syslog) {
		syslog(level, "%s", buf);
		return;
	}
	/* One write per line so lines from different threads do not mix. */
	fprintf(stderr, "%s: %s\n", names[level & 7], buf);
}

void wgw_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wgw_vlog(level, fmt, ap);
	va_end(ap);
}

/* Every call site that ever suppressed a message (for the flush). */
static struct wgw_ratelimit *_Atomic rl_sites;

uint32_t wgw_ratelimit_ok(struct wgw_ratelimit *rl)
{
	struct timespec ts;
	uint64_t now, win;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (uint64_t)ts.tv_sec;
	win = atomic_load_explicit(&rl->window, memory_order_relaxed);
	if (now - win >= WGW_RL_INTERVAL_S &&
	    atomic_compare_exchange_strong(&rl->window, &win, now))
		atomic_store(&rl->count, 0);
	if (atomic_fetch_add(&rl->count, 1) < WGW_RL_BURST)
		return atomic_exchange(&rl->missed, 0) + 1;
	atomic_fetch_add(&rl->missed, 1);
	if (!atomic_exchange(&rl->listed, 1)) {
		/* Pushed once, never removed: the call sites are static. */
		struct wgw_ratelimit *head = atomic_load(&rl_sites);

		do
			rl->next = head;
		while (!atomic_compare_exchange_weak(&rl_sites, &head, rl));
	}
	return 0;
}

unsigned wgw_ratelimit_flush(void)
{
	struct timespec ts;
	unsigned lines = 0;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	for (struct wgw_ratelimit *rl = atomic_load(&rl_sites); rl; rl = rl->next) {
		uint64_t win = atomic_load_explicit(&rl->window, memory_order_relaxed);
		uint32_t n;

		if ((uint64_t)ts.tv_sec - win < WGW_RL_INTERVAL_S ||
		    !atomic_load_explicit(&rl->missed, memory_order_relaxed))
			continue;
		n = atomic_exchange(&rl->missed, 0);
		if (!n)
			continue;
		wgw_log(rl->site_level, "%u similar to \"%s\" suppressed", n,
			rl->site_fmt ? rl->site_fmt : "?");
		lines++;
	}
	return lines;
}
