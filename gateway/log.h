/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One logger for the whole daemon: stderr in the foreground, syslog as a
 * service.  libbpf and libxdp output is routed through it by the XDP module
 * (wgw_xdp_log_init() in gateway/xdp.h).  Levels are the syslog(3) ones
 * (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG).
 */
#ifndef WGW_LOG_H
#define WGW_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <syslog.h>

void wgw_log_init(const char *ident, int to_syslog, int verbosity);
void wgw_log_set_verbosity(int verbosity);
int wgw_log_enabled(int level);
void wgw_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void wgw_vlog(int level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#define wgw_err(...)	wgw_log(LOG_ERR, __VA_ARGS__)
#define wgw_warn(...)	wgw_log(LOG_WARNING, __VA_ARGS__)
#define wgw_notice(...)	wgw_log(LOG_NOTICE, __VA_ARGS__)
#define wgw_info(...)	wgw_log(LOG_INFO, __VA_ARGS__)
#define wgw_dbg(...)	wgw_log(LOG_DEBUG, __VA_ARGS__)

/*
 * Rate limit for messages from the data path: at most WGW_RL_BURST messages
 * per WGW_RL_INTERVAL_S seconds per call site; the number suppressed is
 * reported with the next message that gets through, or by
 * wgw_ratelimit_flush() once the window has passed without one (a flood
 * that stopped).  Safe from any thread.
 */
#define WGW_RL_INTERVAL_S 5 /* seconds */
#define WGW_RL_BURST 10	    /* messages */

struct wgw_ratelimit {
	_Atomic uint64_t window; /* start of the current window, seconds */
	_Atomic uint32_t count;	 /* messages in the window */
	_Atomic uint32_t missed; /* suppressed since the last one printed */
	/* For the flush: the call site, listed once it first suppresses. */
	int site_level;
	const char *site_fmt;
	_Atomic int listed;
	struct wgw_ratelimit *next;
};

/* Returns the number suppressed before this one + 1, or 0 to suppress. */
uint32_t wgw_ratelimit_ok(struct wgw_ratelimit *rl);

/* Log "N similar suppressed" for every call site whose window passed with
 * suppressed messages not yet reported; for a thread that runs anyway
 * (the daemon's control loop).  Returns how many lines it logged. */
unsigned wgw_ratelimit_flush(void);

#define wgw_log_ratelimited(level, fmt, ...)                                   \
	do {                                                                   \
		static struct wgw_ratelimit _wgw_rl = {                        \
			.site_level = (level), .site_fmt = (fmt) };            \
		uint32_t _n;                                                   \
		if (wgw_log_enabled(level) &&                                  \
		    (_n = wgw_ratelimit_ok(&_wgw_rl)) != 0) {                  \
			if (_n > 1)                                            \
				wgw_log(level, fmt " (%u similar suppressed)", \
					##__VA_ARGS__, _n - 1);                \
			else                                                   \
				wgw_log(level, fmt, ##__VA_ARGS__);            \
		}                                                              \
	} while (0)

#endif
