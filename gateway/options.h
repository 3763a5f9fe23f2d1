/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's configuration: one plain-data struct, filled from defaults, an
 * INI file and the command line through ONE declarative option table
 * (wgw_options[]).  getopt_long's options, --help, the config file keys and
 * wgw_config_print() are all generated from that table, so they cannot
 * disagree.
 *
 * (The public header is gateway/options.h, not gateway/config.h: a
 * gateway/config.h would shadow the autoconf "config.h" that every gateway
 * source file includes first, because #include "..." searches the including
 * file's directory before -I.)
 *
 * No global state: a reload builds a fresh struct the way the start did,
 * wgw_config_defaults() then wgw_config_parse_args() on the saved argv (it
 * re-reads -c FILE and re-applies the command-line overrides), and
 * validates it as a whole with wgw_config_validate() before anything is
 * swapped; the running struct is untouched if any step fails.
 *
 * Errors: every function returns 0 or a negative errno and, on error, writes
 * one line into err (no trailing newline) that quotes the bad value, says
 * what was expected and where, e.g.
 *   config /etc/x.conf:12: backend '10.0.0.1:70000': port must be 1-65535
 *   --mode 'fast': expected one of auto, xdp-zerocopy, xdp-copy, ...
 * WGW_CONFIG_ERRLEN bytes are always enough.
 */
#ifndef WGW_OPTIONS_H
#define WGW_OPTIONS_H

#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/addr.h"
#include "gateway/engine.h"	/* struct wgw_vip: one type for config and engine */
#include "netlink/rtnl.h"	/* WGW_XDP_PACKET_HEADROOM: the frame geometry's */

#define WGW_MAX_VIPS 16
#define WGW_MAX_BACKENDS 256
#define WGW_MAX_NAT 256		/* NAT addresses (--nat) */
#define WGW_MAX_QUEUES 1024
#define WGW_CONFIG_ERRLEN 512		/* bytes, for the err buffers below */
#define WGW_PATH_LEN 4096		/* bytes incl. NUL, = PATH_MAX */
#define WGW_SUN_PATH_LEN 108		/* bytes incl. NUL, sizeof(sun_path) */
#define WGW_BACKEND_WEIGHT_DEFAULT 100
#define WGW_MAX_STORES 16		/* --session-store shards */
#define WGW_STORE_HOST_LEN 256		/* bytes incl. NUL: a DNS name's 253 */

/* Largest frame a port must hold: 1500-byte MTU + Ethernet + one VLAN tag
 * + FCS. */
#define WGW_MAX_L2_FRAME 1518		/* bytes */

/* The mode ladder, best first.  AUTO walks it; anything else is forced and
 * fails at start instead of degrading. */
enum wgw_mode {
	WGW_MODE_AUTO,
	WGW_MODE_XDP_ZEROCOPY,
	WGW_MODE_XDP_COPY,
	WGW_MODE_XDP_GENERIC,
	WGW_MODE_FALLBACK,
	WGW_MODE_INHERIT,	/* --wan-mode/--lan-mode not given: use --mode */
};

enum wgw_wait {
	WGW_WAIT_POLL,		/* poll(2) on the sockets */
	WGW_WAIT_SPIN,		/* spin on the rings, never sleep */
	WGW_WAIT_BUSY_POLL,	/* SO_PREFER_BUSY_POLL + SO_BUSY_POLL(_BUDGET) */
};

/* How the XDP program goes on an interface (gateway/xdp.h, enum
 * wgw_xdp_share: the same values). */
enum wgw_xdp_attach {
	WGW_XDP_ATTACH_AUTO,		/* join a libxdp dispatcher, else alone */
	WGW_XDP_ATTACH_EXCLUSIVE,	/* alone, through a bpf_link */
	WGW_XDP_ATTACH_SHARED,		/* through libxdp's dispatcher */
};

enum wgw_coalesce {
	WGW_COALESCE_NONE,	/* leave the NIC's interrupt coalescing alone */
	WGW_COALESCE_LOW_LATENCY,
	WGW_COALESCE_HIGH_THROUGHPUT,
};

struct wgw_backend {
	union wgw_addr addr;
	uint16_t port;
	uint16_t weight;	/* 1-65535 */
};

/* --session-store redis://HOST:PORT: HOST as given (an IPv6 address
 * without its brackets), resolved by the store thread when it connects. */
struct wgw_store_ep {
	char host[WGW_STORE_HOST_LEN];
	uint16_t port;
};

struct wgw_endpoint {
	union wgw_addr addr;
	uint16_t port;
	bool set;
};

struct wgw_config {
	/* Interfaces.  lan[0] == '\0' means the same as wan:
	 * use wgw_config_lan(). */
	char wan[IFNAMSIZ];
	char lan[IFNAMSIZ];

	/* Service. */
	struct wgw_vip vips[WGW_MAX_VIPS];
	unsigned int n_vips;
	struct wgw_backend backends[WGW_MAX_BACKENDS];
	unsigned int n_backends;
	union wgw_addr nat;		/* the first --nat address */
	bool nat_set;
	union wgw_addr nat_pool[WGW_MAX_NAT - 1]; /* the pool's others, in order */
	unsigned int n_nat_pool;
	uint16_t nat_port_lo, nat_port_hi;

	/* Data path. */
	enum wgw_mode mode;
	enum wgw_mode wan_mode;	/* WGW_MODE_INHERIT: use mode */
	enum wgw_mode lan_mode;
	uint32_t queues;	/* 0 = all of the interface's queues */
	cpu_set_t cpus;		/* CPUs to pin workers to */
	unsigned int n_cpus;	/* 0 = not given (no pinning policy) */

	/* Engine tables. */
	uint32_t max_sessions;		/* CID table entries */
	uint32_t max_mappings;		/* NAT mappings */
	uint32_t session_timeout_s;	/* seconds */
	uint32_t mapping_timeout_s;	/* seconds */
	uint32_t handshake_rate;	/* per second per source, 0 = off */
	uint32_t handshake_burst;	/* handshakes */
	uint32_t max_mappings_per_source; /* per source (IPv6: /64), 0 = off */
	uint32_t max_cids_per_source;	/* per source (IPv6: /64), 0 = off */
	unsigned int health_check;	/* enum wgw_health_check */
	uint32_t health_interval_s;	/* seconds */
	uint32_t health_fall, health_rise; /* consecutive results */
	uint32_t health_passive_timeout_s; /* seconds, 0 = off */

	/* Session store (Redis), shared by several gateways. */
	struct wgw_store_ep stores[WGW_MAX_STORES];
	unsigned int n_stores;		/* 0 = no store */
	char store_password_file[WGW_PATH_LEN]; /* "" = no AUTH */
	uint32_t store_timeout_ms;	/* lookup answer, milliseconds */
	uint32_t store_lookup_rate;	/* lookups per second per worker */

	/* AF_XDP and UMEM. */
	uint32_t frame_size;		/* bytes */
	uint32_t headroom;		/* bytes */
	uint32_t fill_ring, comp_ring, rx_ring, tx_ring; /* descriptors */
	uint32_t umem_frames;		/* 0 = computed from the rings */
	uint32_t batch;			/* descriptors per loop */
	enum wgw_wait wait;
	enum wgw_xdp_attach xdp_attach;
	uint32_t xdp_priority;		/* in libxdp's dispatcher, lower first */
	uint32_t busy_poll_budget;	/* packets */
	uint32_t busy_poll_usecs;	/* microseconds */

	/* NIC preparation. */
	uint32_t nic_rx_ring, nic_tx_ring;	/* 0 = leave as is */
	enum wgw_coalesce coalesce;
	bool keep_offloads;

	/* Control, logging, process. */
	char control_socket[WGW_SUN_PATH_LEN];
	uint32_t control_mode;		/* permission bits of the socket */
	char pidfile[WGW_PATH_LEN];	/* "" = none */
	char state_file[WGW_PATH_LEN];	/* "none" = none */
	uint32_t state_interval_s;
	bool syslog;
	struct wgw_endpoint metrics_listen;	/* !set = off */
	bool foreground;
	unsigned int verbose;

	/* Actions (command line only). */
	char config_file[WGW_PATH_LEN];	/* -c; "" = none */
	char probe[IFNAMSIZ];		/* --probe IFACE; "" = run */
	bool json;
	bool check_config;
	bool takeover;		/* --takeover: replace the running daemon */
};

/* Return values of wgw_config_parse_args() besides 0 and -errno: the user
 * asked for --help or --version; the caller prints and exits 0. */
#define WGW_CONFIG_HELP 1
#define WGW_CONFIG_VERSION 2

/* Fill cfg with every option's default (from the table).  0, or -EINVAL if
 * the table itself is inconsistent (a bug, caught by the unit test). */
int wgw_config_defaults(struct wgw_config *cfg);

/*
 * Parse the command line into cfg, which must hold defaults.  If -c FILE is
 * given (anywhere), the file is loaded first and the other options then
 * override it.  Scalar options: the last one wins.  Repeatable options
 * (--vip, --backend): given on the command line they REPLACE the file's
 * list, and repeat to build a list.  -v on the command line replaces the
 * file's verbose level with the number of -v given.
 * Returns 0, WGW_CONFIG_HELP, WGW_CONFIG_VERSION (nothing else is parsed
 * then, not even the file) or -errno with err filled.  Does not validate:
 * call wgw_config_validate() next.  Uses getopt_long(): not reentrant.
 */
int wgw_config_parse_args(struct wgw_config *cfg, int argc, char **argv,
			  char *err, size_t errlen);

/*
 * Load an INI file into cfg (which holds defaults, or earlier values).
 * Keys are the long option names; sections are optional and ignored
 * ([gateway] by convention); comments start with '#' or ';' at the start of
 * a line, or after whitespace within one.  vip and backend may repeat and
 * append; any other key given twice is an error, as is an unknown key.
 * -ENOENT/-EACCES/... if the file cannot be read, -EINVAL on bad content
 * or when it is not a regular file, -EFBIG above WGW_CONFIG_MAX_BYTES (see
 * wgw_config_open()).
 */
int wgw_config_load_file(struct wgw_config *cfg, const char *path,
			 char *err, size_t errlen);

/* The largest configuration file read, in bytes. */
#define WGW_CONFIG_MAX_BYTES (1 << 20)

/*
 * Open path for reading as a configuration: a regular file (after
 * symlinks) of at most WGW_CONFIG_MAX_BYTES, read whole into *buf and
 * served from memory.  A FIFO, device, directory or socket is refused
 * before anything is read, and opening never blocks.  The caller fcloses
 * the stream, then frees *buf.  NULL with errno and err filled (naming the
 * file): the open error, EINVAL for the wrong kind of file, EFBIG.
 */
FILE *wgw_config_open(const char *path, char **buf, char *err, size_t errlen);

/*
 * Whether addr:port may be a backend of cfg: a unicast peer (not
 * unspecified, multicast, broadcast, loopback, link-local or written as
 * IPv4-mapped IPv6), not the NAT address nor any VIP's address (the
 * gateway owns those: a backend there loops traffic back into the
 * gateway), port 1-65535.  The one check for the file, the command line,
 * reload and the control socket's "backends add".  0, or -EINVAL with why
 * saying what is wrong (without the value, which the caller names).
 */
int wgw_backend_check(const struct wgw_config *cfg, const union wgw_addr *addr,
		      uint16_t port, char *why, size_t whylen);

/* Check the options against each other (required ones, one address family,
 * port overlaps, duplicates, ring and frame geometry).  0 or -EINVAL. */
int wgw_config_validate(const struct wgw_config *cfg, char *err,
			size_t errlen);

/* The generated --help text. */
void wgw_config_usage(FILE *out, const char *progname);

/* The effective configuration in config-file syntax (it loads back into
 * the same configuration), for -v, --check-config and status. */
void wgw_config_print(const struct wgw_config *cfg, FILE *out);

struct wgw_option;

/* The value of option o in cfg as its config-file syntax writes it
 * (repeatable options: the values joined by ", "), in buf. */
const char *wgw_option_value(const struct wgw_config *cfg,
			     const struct wgw_option *o, char *buf, size_t len);

/* How many values option o has in cfg (repeatable options: one per
 * entry), and value i of them as the file writes it, in buf. */
unsigned int wgw_option_nvalues(const struct wgw_config *cfg,
				const struct wgw_option *o);
const char *wgw_option_value_at(const struct wgw_config *cfg,
				const struct wgw_option *o, unsigned int i,
				char *buf, size_t len);

/* The option named name, or NULL. */
const struct wgw_option *wgw_option_find(const char *name);

/* The RELOAD section's key lists of wraith-gatewayctl(8), in roff, from
 * the option table (the unit test keeps the man page equal to it). */
void wgw_config_reload_man(FILE *out);

/* Effective per-interface values. */
static inline const char *wgw_config_lan(const struct wgw_config *cfg)
{
	return cfg->lan[0] ? cfg->lan : cfg->wan;
}

static inline enum wgw_mode wgw_config_wan_mode(const struct wgw_config *cfg)
{
	return cfg->wan_mode == WGW_MODE_INHERIT ? cfg->mode : cfg->wan_mode;
}

static inline enum wgw_mode wgw_config_lan_mode(const struct wgw_config *cfg)
{
	return cfg->lan_mode == WGW_MODE_INHERIT ? cfg->mode : cfg->lan_mode;
}

/* "auto", "xdp-zerocopy", ...; "?" if out of range. */
const char *wgw_mode_name(enum wgw_mode mode);
const char *wgw_wait_name(enum wgw_wait wait);
const char *wgw_coalesce_name(enum wgw_coalesce coalesce);

/*
 * Value parsers, also for the control socket.  On error they return
 * -EINVAL and write into why what was expected (without the value or the
 * option name, which the caller adds), e.g. "port must be 1-65535".
 */
/* "ADDR:PORT", "[V6]:PORT"; with allow_range also "...:LO-HI" (else
 * *port_hi = *port_lo). */
int wgw_parse_addr_port(const char *s, bool allow_range, union wgw_addr *addr,
			uint16_t *port_lo, uint16_t *port_hi,
			char *why, size_t whylen);
/* "ADDR:PORT[@WEIGHT]" */
int wgw_parse_backend(const char *s, struct wgw_backend *b,
		      char *why, size_t whylen);
/* "redis://HOST:PORT", "redis://[V6]:PORT" */
int wgw_parse_store(const char *s, struct wgw_store_ep *ep, char *why, size_t whylen);
/* "0-3,6": CPUs into set (cleared first), count into *n. */
int wgw_parse_cpulist(const char *s, cpu_set_t *set, unsigned int *n,
		      char *why, size_t whylen);
/* "LO-HI" */
int wgw_parse_port_range(const char *s, uint16_t *lo, uint16_t *hi,
			 char *why, size_t whylen);
/* Decimal, min..max, no sign, no junk. */
int wgw_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
		  char *why, size_t whylen);
/* An interface name the kernel could accept (1-15 bytes, no '/', ':' or
 * whitespace, not "." or ".."). */
int wgw_parse_ifname(const char *s, char *out, size_t outlen,
		     char *why, size_t whylen);
/* The CPU list as "0-3,6" into buf. */
const char *wgw_cpulist_str(const cpu_set_t *set, char *buf, size_t len);

/* ---- The option table (exported for the unit test and the man-page
 * check; nothing else should need it). ---- */

enum wgw_opt_type {
	WGW_OPT_BOOL,		/* flag; file: yes/no/true/false/on/off/1/0 */
	WGW_OPT_COUNT,		/* -v -v ...; file: a number */
	WGW_OPT_UINT,		/* uint32_t, min..max */
	WGW_OPT_OCTAL,		/* uint32_t, octal, min..max */
	WGW_OPT_QUEUES,		/* "all" or 1..WGW_MAX_QUEUES; all = 0 */
	WGW_OPT_ENUM,		/* one of names[] */
	WGW_OPT_STRING,		/* char[size], a path */
	WGW_OPT_IFNAME,		/* char[IFNAMSIZ] */
	WGW_OPT_ADDR,		/* --nat */
	WGW_OPT_ENDPOINT,	/* ADDR:PORT, --metrics-listen */
	WGW_OPT_PORT_RANGE,	/* --nat-ports */
	WGW_OPT_VIP,		/* ADDR:PORT[-PORT], repeatable */
	WGW_OPT_BACKEND,	/* ADDR:PORT[@W], repeatable */
	WGW_OPT_STORE,		/* redis://HOST:PORT, repeatable */
	WGW_OPT_CPULIST,
	WGW_OPT_CONFIG,		/* -c FILE */
	WGW_OPT_HELP,
	WGW_OPT_VERSION,
};

#define WGW_OPTF_REPEAT	(1u << 0) /* may repeat; appends */
#define WGW_OPTF_CLI	(1u << 1) /* command line only, not a file key */
#define WGW_OPTF_EMPTY	(1u << 2) /* "" is accepted and means "not set" */
#define WGW_OPTF_POW2	(1u << 3) /* UINT must be a power of two */
#define WGW_OPTF_ZERO	(1u << 4) /* UINT: 0 is also accepted (off) */

/* What a reload (SIGHUP, wraith-gatewayctl reload) does with a changed
 * value.  Every option has one: the table check refuses an entry without. */
enum wgw_reload_class {
	WGW_RELOAD_UNSET,	/* a table error */
	WGW_RELOAD_LIVE,	/* applied to the running daemon */
	WGW_RELOAD_RESTART,	/* refused: only a restart applies it */
	WGW_RELOAD_ACTION,	/* a command-line action, not running state */
};

struct wgw_option {
	const char *name;	/* long option and config key */
	enum wgw_reload_class reload;
	int short_name;		/* 0 = none */
	enum wgw_opt_type type;
	unsigned int flags;
	size_t off;		/* the field in struct wgw_config */
	size_t size;		/* its size (strings) */
	uint32_t min, max;	/* UINT, OCTAL, COUNT */
	const char *const *names; /* ENUM: value names, index = value, NULL-ended */
	const char *def;	/* default, parsed like user input; NULL = none */
	const char *metavar;	/* NULL: generated (enum) or none (flags) */
	const char *group;	/* --help section heading */
	const char *help;
};

extern const struct wgw_option wgw_options[];
extern const size_t wgw_n_options;

#endif
