/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Counters of the whole gateway, collected into one snapshot (engine,
 * backends, interfaces and their XDP program, every port of every worker
 * with its AF_XDP ring statistics, the workers' own counters) and written
 * out as text, JSON (through struct wgw_doc) or the Prometheus text
 * exposition format.
 *
 * Collection reads the daemon's structures from the control thread: the
 * engine's stats calls belong there, and the per-worker and per-port
 * counters are 64-bit words written by one worker each and read racily,
 * which gives a consistent-enough snapshot (each value is one the worker
 * wrote).  Formatting works on the snapshot alone, so the unit tests build
 * one by hand.
 */
#ifndef WGW_STATS_H
#define WGW_STATS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/if_xdp.h>

#include "bpf/wraith_shared.h"
#include "gateway/ctlproto.h"
#include "gateway/engine.h"
#include "gateway/health.h"
#include "gateway/port.h"
#include "gateway/store.h"

struct wgw_daemon;

#define WGW_STATS_WORKER_CTRS 32	/* >= wgw_worker_counter_count() */

struct wgw_stats_iface {
	char name[IFNAMSIZ];
	const char *sides;		/* "wan", "lan", "wan+lan" */
	const char *mode;		/* rung name */
	bool has_xdp;
	uint64_t xdp[WGW_XDP_CNT_MAX];
};

struct wgw_stats_port {
	unsigned worker;
	char ifname[IFNAMSIZ];
	uint32_t queue;
	const char *kind;		/* "xsk", "udp", "tun" */
	struct wgw_port_stats st;
	bool has_ring;
	struct xdp_statistics ring;
	unsigned nx;				/* the port kind's own counters */
	const char *xname[WGW_PORT_XSTATS_MAX];	/* static strings */
	uint64_t xval[WGW_PORT_XSTATS_MAX];
};

/* The daemon process's own figures (the usual process_* metrics). */
struct wgw_stats_proc {
	bool valid;
	double start_time;		/* seconds since the epoch */
	double cpu_seconds;		/* user + system */
	double resident_bytes, virtual_bytes;
	double open_fds, max_fds;
};

struct wgw_stats {
	uint64_t mono_ns;		/* CLOCK_MONOTONIC when collected */
	uint64_t uptime_s;
	struct wgw_engine_stats eng;
	unsigned nbackends;
	struct wgw_backend_info be[WGW_ENGINE_MAX_BACKENDS];
	bool health_on;			/* the daemon judges health */
	bool be_health_known[WGW_ENGINE_MAX_BACKENDS];
	struct wgw_health_info be_health[WGW_ENGINE_MAX_BACKENDS]; /* [i]: be[i]'s */
	struct wgw_health_stats health;
	unsigned nifs;
	struct wgw_stats_iface ifs[2];
	unsigned nworkers, nworker_ctrs;
	uint64_t (*wctr)[WGW_STATS_WORKER_CTRS];	/* [nworkers] */
	unsigned nports;
	struct wgw_stats_port *ports;			/* [nports] */
	struct wgw_stats_proc proc;
	bool store_on;			/* a session store is configured */
	struct wgw_store_stats store;
	unsigned nstores;
	struct wgw_store_info stores[16];	/* WGW_MAX_STORES */
};

/*
 * The metrics model: every metric the gateway exports is one struct
 * wgw_metric, defined once in stats.c, and every rendering (Prometheus,
 * the SIGUSR1 dump, the METRICS section of the manual) walks the same
 * table.
 */
struct wgw_metric;
struct wgw_metric_sink {
	/* Called before a family's samples (may be NULL). */
	void (*family)(struct wgw_metric_sink *s, const struct wgw_metric *m);
	/* labels: NULL-ended name, value pairs; NULL for none. */
	void (*sample)(struct wgw_metric_sink *s, const struct wgw_metric *m,
		       const char *const *labels, double v);
};

struct wgw_metric_ctr {
	unsigned idx;			/* engine counter (WGW_CTR_*) */
	const char *name;		/* its label value; a worker counter's name */
};

struct wgw_metric {
	const char *name;		/* full name, "wraith_gateway_..." */
	const char *type;		/* "counter" or "gauge" */
	const char *unit;		/* "packets", "bytes", "seconds"... or "" */
	const char *labels;		/* label names, comma-separated, or "" */
	const char *help;		/* what it counts, how to read it */
	void (*fn)(const struct wgw_metric *m, const struct wgw_stats *st,
		   struct wgw_metric_sink *s);	/* its samples in a snapshot */
	size_t arg, arg2;
	int wide;
	const struct wgw_metric_ctr *ctrs;
};

/* The table: n metrics. */
const struct wgw_metric *wgw_metrics(unsigned *n);
/* Every family of the table in order, with its samples in st. */
void wgw_stats_visit(const struct wgw_stats *st, struct wgw_metric_sink *s);
/* The METRICS list of wraith-gatewayctl(8), in troff (a test compares). */
void wgw_metrics_man(struct wgw_strbuf *sb);
/* The SIGUSR1 dump: every series that is not zero, one notice each. */
void wgw_stats_log(const struct wgw_stats *st);

/* A snapshot, or NULL and errno (ENOMEM). */
struct wgw_stats *wgw_stats_collect(struct wgw_daemon *d);
/* An empty snapshot with room for the given workers and ports (tests). */
struct wgw_stats *wgw_stats_alloc(unsigned nworkers, unsigned nports);
void wgw_stats_free(struct wgw_stats *st);

/*
 * Write st as a document.  Rates are per second since prev (an earlier
 * snapshot; NULL: since the start, from zero); entities that are not in
 * prev (a backend added since) count from zero too.
 */
void wgw_stats_doc(struct wgw_doc *d, const struct wgw_stats *st,
		   const struct wgw_stats *prev);

/*
 * The rates of `stats` come from the daemon's own clock, not from the
 * previous caller: the control loop calls wgw_stats_sample() on every pass
 * and it takes a snapshot once a second; wgw_stats_rate_base() is the one
 * taken one to two seconds ago (NULL in the first seconds: rates since
 * the start).  No caller moves another's interval.
 */
#define WGW_STATS_SAMPLE_MS 1000
struct wgw_stats_sampler {
	struct wgw_stats *cur, *old;
	uint64_t next_ms;
};
void wgw_stats_sample(struct wgw_stats_sampler *s, struct wgw_daemon *d, uint64_t now_ms);
const struct wgw_stats *wgw_stats_rate_base(const struct wgw_stats_sampler *s);
void wgw_stats_sampler_free(struct wgw_stats_sampler *s);

/* Prometheus text exposition format 0.0.4; every family with HELP and TYPE. */
void wgw_stats_prometheus(struct wgw_strbuf *sb, const struct wgw_stats *st);

/* "addr:port" or "[v6]:port". */
const char *wgw_stats_endpoint(const union wgw_addr *a, uint16_t port, char *buf, size_t len);

/* Document keys and label values are identifiers: "rx-client" becomes
 * "rx_client", so that scripts can write .engine.counters.rx_client. */
const char *wgw_stats_key(const char *name, char *buf, size_t len);

/* Open backend b's object in d (named by its endpoint) with its admin
 * view: endpoint, slot (with slot), state, weight, sessions, mappings and
 * packet counts.  The caller adds what it has and closes the object. */
void wgw_stats_doc_backend(struct wgw_doc *d, const struct wgw_backend_info *b, bool slot);

#endif
