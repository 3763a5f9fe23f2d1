// SPDX-License-Identifier: GPL-2.0-only
/*
 * The option table and everything generated from it: defaults, the
 * getopt_long() command line, the INI config file (libinih), --help and the
 * printed effective configuration.  Adding an option is one table entry and
 * one struct field; the man pages are checked against the table by the unit
 * test.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/options.h"
#include "netlink/ethtool.h"	/* the coalescing profiles' names */
#include "netlink/probe.h"	/* the rungs' names: the modes' */

/* Enum value names: index = enum value; an EMPTY-flagged enum option uses
 * the index one past the last name for "not set". */
static const char *const mode_names[] = { "auto", WGW_RUNG_NAME_LIST, NULL };
static const char *const wait_names[] = { "poll", "spin", "busy-poll", NULL };
static const char *const xdp_attach_names[] = {
	"auto", "exclusive", "shared", NULL,
};
static const char *const coalesce_names[] = { WGW_COALESCE_PROFILE_NAME_LIST, NULL };

#define NAMES_COUNT(a) (sizeof(a) / sizeof((a)[0]) - 1)	/* less the NULL */

/* The modes past auto are the rungs, in their order; the coalescing
 * settings are netlink's profiles. */
_Static_assert(WGW_MODE_XDP_ZEROCOPY == WGW_MODE_AUTO + 1 + WGW_RUNG_XDP_ZEROCOPY &&
	       WGW_MODE_XDP_COPY == WGW_MODE_AUTO + 1 + WGW_RUNG_XDP_COPY &&
	       WGW_MODE_XDP_GENERIC == WGW_MODE_AUTO + 1 + WGW_RUNG_XDP_GENERIC &&
	       WGW_MODE_FALLBACK == WGW_MODE_AUTO + 1 + WGW_RUNG_FALLBACK &&
	       NAMES_COUNT(mode_names) == WGW_MODE_INHERIT, "mode names are the rungs'");
_Static_assert(NAMES_COUNT(wait_names) == WGW_WAIT_BUSY_POLL + 1, "a name for every wait");
_Static_assert((int)WGW_COALESCE_NONE == (int)WGW_COALESCE_PROFILE_NONE &&
	       (int)WGW_COALESCE_LOW_LATENCY == (int)WGW_COALESCE_PROFILE_LOW_LATENCY &&
	       (int)WGW_COALESCE_HIGH_THROUGHPUT == (int)WGW_COALESCE_PROFILE_HIGH_THROUGHPUT &&
	       NAMES_COUNT(coalesce_names) == WGW_COALESCE_HIGH_THROUGHPUT + 1,
	       "the coalescing settings are netlink's profiles");

const char *wgw_mode_name(enum wgw_mode mode)
{
	if (mode == WGW_MODE_INHERIT)
		return "inherit";
	return (unsigned int)mode < NAMES_COUNT(mode_names) ? mode_names[mode] : "?";
}

const char *wgw_wait_name(enum wgw_wait wait)
{
	return (unsigned int)wait < NAMES_COUNT(wait_names) ? wait_names[wait] : "?";
}

const char *wgw_coalesce_name(enum wgw_coalesce coalesce)
{
	return (unsigned int)coalesce < NAMES_COUNT(coalesce_names) ?
		       coalesce_names[coalesce] : "?";
}

#define FIELD(f)							\
	.off = offsetof(struct wgw_config, f),				\
	.size = sizeof(((struct wgw_config *)0)->f)

#define G_SERVICE	"Service"
#define G_PATH		"Data path"
#define G_ENGINE	"Sessions and NAT mappings"
#define G_XDP		"AF_XDP sockets and UMEM"
#define G_NIC		"NIC preparation"
#define G_CONTROL	"Control, logging and process"
#define G_ACTION	"Actions (command line only)"

const struct wgw_option wgw_options[] = {
	/* Service */
	{ .name = "wan", .type = WGW_OPT_IFNAME, .flags = WGW_OPTF_EMPTY,
	  FIELD(wan), .metavar = "IFACE", .group = G_SERVICE,
	  .help = "interface facing clients (required)" },
	{ .name = "lan", .type = WGW_OPT_IFNAME, .flags = WGW_OPTF_EMPTY,
	  FIELD(lan), .metavar = "IFACE", .group = G_SERVICE,
	  .help = "interface facing backends (default: same as --wan)" },
	{ .name = "vip", .type = WGW_OPT_VIP, .flags = WGW_OPTF_REPEAT,
	  FIELD(vips), .metavar = "ADDR:PORT[-PORT]", .group = G_SERVICE,
	  .help = "service address clients send to, one port or a range; "
		  "IPv6 as [ADDR]:PORT; repeatable (at least one)" },
	{ .name = "backend", .type = WGW_OPT_BACKEND, .flags = WGW_OPTF_REPEAT,
	  FIELD(backends), .metavar = "ADDR:PORT[@W]", .group = G_SERVICE,
	  .help = "backend WRAITH node, weight W 1-65535 (default 100); "
		  "repeatable (at least one)" },
	{ .name = "nat", .type = WGW_OPT_ADDR, .flags = WGW_OPTF_EMPTY,
	  FIELD(nat), .metavar = "ADDR", .group = G_SERVICE,
	  .help = "inside address the gateway owns for NAT, answered by "
		  "proxy ARP/NDP (required)" },
	{ .name = "nat-ports", .type = WGW_OPT_PORT_RANGE, FIELD(nat_port_lo),
	  .def = "20000-59999", .metavar = "LO-HI", .group = G_SERVICE,
	  .help = "source ports on the NAT address for NAT mappings" },

	/* Data path */
	{ .name = "mode", .type = WGW_OPT_ENUM, FIELD(mode),
	  .names = mode_names, .def = "auto", .group = G_PATH,
	  .help = "data path: auto walks the ladder xdp-zerocopy, xdp-copy, "
		  "xdp-generic, fallback; any other value forces that mode "
		  "and fails at start if it cannot be had" },
	{ .name = "wan-mode", .type = WGW_OPT_ENUM, .flags = WGW_OPTF_EMPTY,
	  FIELD(wan_mode), .names = mode_names, .group = G_PATH,
	  .help = "--mode for the WAN interface only" },
	{ .name = "lan-mode", .type = WGW_OPT_ENUM, .flags = WGW_OPTF_EMPTY,
	  FIELD(lan_mode), .names = mode_names, .group = G_PATH,
	  .help = "--mode for the LAN interface only" },
	{ .name = "queues", .type = WGW_OPT_QUEUES, FIELD(queues),
	  .def = "all", .metavar = "all|N", .group = G_PATH,
	  .help = "receive queues to serve, one worker each" },
	{ .name = "cpus", .type = WGW_OPT_CPULIST, .flags = WGW_OPTF_EMPTY,
	  FIELD(cpus), .metavar = "LIST", .group = G_PATH,
	  .help = "CPUs to pin the workers to, e.g. 0-3,6" },

	/* Engine */
	{ .name = "max-sessions", .type = WGW_OPT_UINT, FIELD(max_sessions),
	  .min = 1024, .max = 1u << 26, .def = "1048576", .metavar = "N",
	  .group = G_ENGINE, .help = "capacity of the connection-ID table" },
	{ .name = "max-mappings", .type = WGW_OPT_UINT, FIELD(max_mappings),
	  .min = 1024, .max = 1u << 24, .def = "262144", .metavar = "N",
	  .group = G_ENGINE, .help = "capacity of the NAT mapping table" },
	{ .name = "session-timeout", .type = WGW_OPT_UINT,
	  FIELD(session_timeout_s), .min = 10, .max = 86400, .def = "300",
	  .metavar = "SECONDS", .group = G_ENGINE,
	  .help = "idle time after which a connection ID is forgotten" },
	{ .name = "mapping-timeout", .type = WGW_OPT_UINT,
	  FIELD(mapping_timeout_s), .min = 5, .max = 86400, .def = "120",
	  .metavar = "SECONDS", .group = G_ENGINE,
	  .help = "idle time after which a NAT mapping is freed" },
	{ .name = "handshake-rate", .type = WGW_OPT_UINT,
	  FIELD(handshake_rate), .min = 0, .max = 10000000, .def = "0",
	  .metavar = "N", .group = G_ENGINE,
	  .help = "handshakes per second accepted from one source address "
		  "(IPv6: one /64), dropped in XDP beyond that; 0 = no limit" },
	{ .name = "handshake-burst", .type = WGW_OPT_UINT,
	  FIELD(handshake_burst), .min = 1, .max = 10000000, .def = "64",
	  .metavar = "N", .group = G_ENGINE,
	  .help = "handshakes one source may send at once before "
		  "--handshake-rate applies" },
	{ .name = "max-mappings-per-source", .type = WGW_OPT_UINT,
	  FIELD(max_mappings_per_source), .min = 0, .max = 1u << 24,
	  .def = "4096", .metavar = "N", .group = G_ENGINE,
	  .help = "NAT mappings one source address (IPv6: one /64) may hold; "
		  "a new endpoint beyond that is dropped; 0 = no limit" },
	{ .name = "max-cids-per-source", .type = WGW_OPT_UINT,
	  FIELD(max_cids_per_source), .min = 0, .max = 1u << 26,
	  .def = "16384", .metavar = "N", .group = G_ENGINE,
	  .help = "connection IDs one source address (IPv6: one /64) may "
		  "have learned; beyond that they are routed, not learned; "
		  "0 = no limit" },

	/* AF_XDP and UMEM: defaults from the WRAITH AF_XDP transport design */
	{ .name = "frame-size", .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(frame_size), .min = 2048, .max = 4096, .def = "2048",
	  .metavar = "BYTES", .group = G_XDP,
	  .help = "UMEM frame size, 2048 or 4096" },
	{ .name = "headroom", .type = WGW_OPT_UINT, FIELD(headroom),
	  .min = 0, .max = 4096 - WGW_XDP_PACKET_HEADROOM - WGW_MAX_L2_FRAME,
	  .def = "256", .metavar = "BYTES", .group = G_XDP,
	  .help = "UMEM headroom in front of each packet; frame size minus "
		  "headroom minus 256 must hold a 1518-byte frame" },
	{ .name = "fill-ring", .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(fill_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "fill ring descriptors, a power of two" },
	{ .name = "comp-ring", .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(comp_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "completion ring descriptors, a power of two" },
	{ .name = "rx-ring", .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(rx_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "RX ring descriptors, a power of two" },
	{ .name = "tx-ring", .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(tx_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "TX ring descriptors, a power of two" },
	{ .name = "umem-frames", .type = WGW_OPT_UINT, FIELD(umem_frames),
	  .min = 0, .max = 1u << 22, .def = "0", .metavar = "N",
	  .group = G_XDP,
	  .help = "UMEM frames per socket set; 0 = computed from the rings" },
	{ .name = "batch", .type = WGW_OPT_UINT, FIELD(batch), .min = 1,
	  .max = 256, .def = "64", .metavar = "N", .group = G_XDP,
	  .help = "descriptors handled per loop, 1-256" },
	{ .name = "wait", .type = WGW_OPT_ENUM, FIELD(wait),
	  .names = wait_names, .def = "poll", .group = G_XDP,
	  .help = "how an idle worker waits: poll(2), spin on the rings, or "
		  "preferred busy polling" },
	{ .name = "busy-poll-budget", .type = WGW_OPT_UINT,
	  FIELD(busy_poll_budget), .min = 1, .max = 65535, .def = "64",
	  .metavar = "N", .group = G_XDP,
	  .help = "packets per busy poll (SO_BUSY_POLL_BUDGET), "
		  "with --wait busy-poll" },
	{ .name = "busy-poll-usecs", .type = WGW_OPT_UINT,
	  FIELD(busy_poll_usecs), .min = 1, .max = 1000000, .def = "20",
	  .metavar = "USECS", .group = G_XDP,
	  .help = "busy poll time (SO_BUSY_POLL), with --wait busy-poll" },
	{ .name = "xdp-attach", .type = WGW_OPT_ENUM, FIELD(xdp_attach),
	  .names = xdp_attach_names, .def = "auto", .group = G_XDP,
	  .help = "how the XDP program goes on an interface: alone through a "
		  "bpf_link (exclusive), into libxdp's multi-program dispatcher "
		  "next to other libxdp programs (shared), or shared only where "
		  "the interface already has a dispatcher (auto)" },
	{ .name = "xdp-priority", .type = WGW_OPT_UINT, FIELD(xdp_priority),
	  .min = 0, .max = 10000, .def = "50", .metavar = "N", .group = G_XDP,
	  .help = "run priority in libxdp's dispatcher, lower runs first" },

	/* NIC preparation */
	{ .name = "nic-rx-ring", .type = WGW_OPT_UINT, FIELD(nic_rx_ring),
	  .min = 0, .max = 65536, .def = "0", .metavar = "N", .group = G_NIC,
	  .help = "set the NIC's RX ring size; 0 = leave it" },
	{ .name = "nic-tx-ring", .type = WGW_OPT_UINT, FIELD(nic_tx_ring),
	  .min = 0, .max = 65536, .def = "0", .metavar = "N", .group = G_NIC,
	  .help = "set the NIC's TX ring size; 0 = leave it" },
	{ .name = "coalesce", .type = WGW_OPT_ENUM, FIELD(coalesce),
	  .names = coalesce_names, .def = "none", .group = G_NIC,
	  .help = "interrupt coalescing profile to apply; none = leave it" },
	{ .name = "keep-offloads", .type = WGW_OPT_BOOL, FIELD(keep_offloads),
	  .def = "no", .group = G_NIC,
	  .help = "do not turn GRO and LRO off on the interfaces" },

	/* Control, logging, process */
	{ .name = "control-socket", .type = WGW_OPT_STRING,
	  FIELD(control_socket), .def = WGW_RUNDIR "/wraith-gateway/control.sock",
	  .metavar = "PATH", .group = G_CONTROL,
	  .help = "control socket for wraith-gatewayctl" },
	{ .name = "control-mode", .type = WGW_OPT_OCTAL, FIELD(control_mode),
	  .min = 0, .max = 0777, .def = "0600", .metavar = "OCTAL",
	  .group = G_CONTROL, .help = "permissions of the control socket" },
	{ .name = "pidfile", .type = WGW_OPT_STRING, .flags = WGW_OPTF_EMPTY,
	  FIELD(pidfile), .def = WGW_RUNDIR "/wraith-gatewayd.pid",
	  .metavar = "PATH", .group = G_CONTROL,
	  .help = "PID file; empty = none" },
	{ .name = "syslog", .type = WGW_OPT_BOOL, FIELD(syslog), .def = "no",
	  .group = G_CONTROL,
	  .help = "log to syslog even in the foreground" },
	{ .name = "metrics-listen", .type = WGW_OPT_ENDPOINT,
	  .flags = WGW_OPTF_EMPTY, FIELD(metrics_listen),
	  .metavar = "ADDR:PORT", .group = G_CONTROL,
	  .help = "serve Prometheus metrics over HTTP on this address (off when empty)" },
	{ .name = "foreground", .short_name = 'f', .type = WGW_OPT_BOOL,
	  FIELD(foreground), .def = "no", .group = G_CONTROL,
	  .help = "do not detach; log to stderr" },
	{ .name = "verbose", .short_name = 'v', .type = WGW_OPT_COUNT,
	  FIELD(verbose), .min = 0, .max = 4, .def = "0", .group = G_CONTROL,
	  .help = "more log detail; repeat for more (file: a level 0-4)" },

	/* Actions */
	{ .name = "config", .short_name = 'c', .type = WGW_OPT_CONFIG,
	  .flags = WGW_OPTF_CLI, FIELD(config_file), .metavar = "FILE",
	  .group = G_ACTION,
	  .help = "read this config file first; options given here override "
		  "it" },
	{ .name = "check-config", .type = WGW_OPT_BOOL, .flags = WGW_OPTF_CLI,
	  FIELD(check_config), .group = G_ACTION,
	  .help = "validate the configuration and exit: 0 valid, 1 not" },
	{ .name = "probe", .type = WGW_OPT_IFNAME,
	  .flags = WGW_OPTF_CLI | WGW_OPTF_EMPTY, FIELD(probe),
	  .metavar = "IFACE", .group = G_ACTION,
	  .help = "print the interface's capabilities (XDP modes, queues, "
		  "rings, offloads) and exit" },
	{ .name = "json", .type = WGW_OPT_BOOL, .flags = WGW_OPTF_CLI,
	  FIELD(json), .group = G_ACTION,
	  .help = "with --probe: print JSON" },
	{ .name = "help", .short_name = 'h', .type = WGW_OPT_HELP,
	  .flags = WGW_OPTF_CLI, .group = G_ACTION,
	  .help = "print this help and exit" },
	{ .name = "version", .short_name = 'V', .type = WGW_OPT_VERSION,
	  .flags = WGW_OPTF_CLI, .group = G_ACTION,
	  .help = "print the version and exit" },
};

const size_t wgw_n_options = sizeof(wgw_options) / sizeof(wgw_options[0]);

/* Per-option bookkeeping while parsing is sized by this. */
#define OPTIONS_MAX 64

__attribute__((format(printf, 3, 4)))
static int fail(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf && len) {
		va_start(ap, fmt);
		vsnprintf(buf, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void *field(struct wgw_config *cfg, const struct wgw_option *o)
{
	return (char *)cfg + o->off;
}

static const void *cfield(const struct wgw_config *cfg,
			  const struct wgw_option *o)
{
	return (const char *)cfg + o->off;
}

static unsigned int enum_count(const struct wgw_option *o)
{
	unsigned int n = 0;

	while (o->names[n])
		n++;
	return n;
}

/* "auto, xdp-zerocopy, ..." or with sep "|" for the metavar. */
static void enum_list(const struct wgw_option *o, const char *sep,
		      char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; o->names[i] && used < len; i++) {
		int r = snprintf(buf + used, len - used, "%s%s",
				 i ? sep : "", o->names[i]);

		if (r < 0)
			break;
		used += (size_t)r;
	}
}

static void store_enum(struct wgw_config *cfg, const struct wgw_option *o,
		       unsigned int v)
{
	/* Every enum field is an int-sized enum (checked by table_check). */
	memcpy(field(cfg, o), &v, sizeof(v));
}

static unsigned int load_enum(const struct wgw_config *cfg,
			      const struct wgw_option *o)
{
	unsigned int v;

	memcpy(&v, cfield(cfg, o), sizeof(v));
	return v;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static int set_uint(const struct wgw_option *o, uint32_t *out, const char *val,
		    char *why, size_t whylen)
{
	uint32_t v;

	if (o->type == WGW_OPT_OCTAL) {
		char *end;
		unsigned long l;

		errno = 0;
		l = strtoul(val, &end, 8);
		if (!*val || *end || errno || val[0] == '-' ||
		    val[0] == '+' || val[0] == ' ' || l < o->min || l > o->max)
			return fail(why, whylen,
				    "expected an octal mode %04o-%04o, e.g. 0600",
				    o->min, o->max);
		*out = (uint32_t)l;
		return 0;
	}
	if (o->flags & WGW_OPTF_POW2) {
		if (wgw_parse_u32(val, o->min, o->max, &v, NULL, 0) < 0 ||
		    !is_pow2(v))
			return fail(why, whylen,
				    "expected a power of two %u-%u", o->min,
				    o->max);
	} else if (wgw_parse_u32(val, o->min, o->max, &v, why, whylen) < 0) {
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int append_vip(struct wgw_config *cfg, const char *val, char *why,
		      size_t whylen)
{
	struct wgw_vip v;
	unsigned int i;
	int ret;

	ret = wgw_parse_addr_port(val, true, &v.addr, &v.port_lo, &v.port_hi,
				  why, whylen);
	if (ret < 0)
		return ret;
	if (cfg->n_vips >= WGW_MAX_VIPS)
		return fail(why, whylen, "at most %d service addresses",
			    WGW_MAX_VIPS);
	for (i = 0; i < cfg->n_vips; i++) {
		const struct wgw_vip *w = &cfg->vips[i];

		if (wgw_addr_eq(&w->addr, &v.addr) &&
		    v.port_lo <= w->port_hi && w->port_lo <= v.port_hi)
			return fail(why, whylen,
				    "overlaps the service address given before it");
	}
	cfg->vips[cfg->n_vips++] = v;
	return 0;
}

static int append_backend(struct wgw_config *cfg, const char *val, char *why,
			  size_t whylen)
{
	struct wgw_backend b;
	unsigned int i;
	int ret;

	ret = wgw_parse_backend(val, &b, why, whylen);
	if (ret < 0)
		return ret;
	if (cfg->n_backends >= WGW_MAX_BACKENDS)
		return fail(why, whylen, "at most %d backends",
			    WGW_MAX_BACKENDS);
	for (i = 0; i < cfg->n_backends; i++)
		if (wgw_addr_eq(&cfg->backends[i].addr, &b.addr) &&
		    cfg->backends[i].port == b.port)
			return fail(why, whylen, "backend given twice");
	cfg->backends[cfg->n_backends++] = b;
	return 0;
}

/* A path or name the config file can carry: wgw_config_print()'s output
 * must load back as the same value, so no whitespace at the ends (inih
 * trims it), no comment starts, no control characters. */
static bool file_printable(const char *s)
{
	size_t n = strlen(s), i;

	if (n && (isspace((unsigned char)s[0]) ||
		  isspace((unsigned char)s[n - 1])))
		return false;
	for (i = 0; i < n; i++) {
		if (iscntrl((unsigned char)s[i]))
			return false;
		/* The printer writes "key = value": a first character
		 * follows a space there too. */
		if ((s[i] == '#' || s[i] == ';') &&
		    (i == 0 || isspace((unsigned char)s[i - 1])))
			return false;
	}
	return true;
}

/*
 * Apply one value.  val is NULL for a flag given without "=VALUE" on the
 * command line.  On error why says what was expected.
 */
static int opt_set(const struct wgw_option *o, struct wgw_config *cfg,
		   const char *val, bool cli, char *why, size_t whylen)
{
	uint16_t lo, hi;
	int ret;

	if (val && !*val && (o->flags & WGW_OPTF_EMPTY)) {
		/* "" = not set */
		switch (o->type) {
		case WGW_OPT_ENUM:
			store_enum(cfg, o, enum_count(o));
			return 0;
		case WGW_OPT_ADDR:
			memset(&cfg->nat, 0, sizeof(cfg->nat));
			cfg->nat_set = false;
			return 0;
		case WGW_OPT_ENDPOINT:
			memset(&cfg->metrics_listen, 0,
			       sizeof(cfg->metrics_listen));
			return 0;
		case WGW_OPT_CPULIST:
			CPU_ZERO(&cfg->cpus);
			cfg->n_cpus = 0;
			return 0;
		case WGW_OPT_STRING:
		case WGW_OPT_IFNAME:
			memset(field(cfg, o), 0, o->size);
			return 0;
		default:
			break;
		}
	}

	switch (o->type) {
	case WGW_OPT_BOOL: {
		bool b = true;

		if (val && parse_bool(val, &b) < 0)
			return fail(why, whylen,
				    "expected yes or no (true/false, on/off, 1/0)");
		*(bool *)field(cfg, o) = b;
		return 0;
	}
	case WGW_OPT_COUNT: {
		unsigned int *n = field(cfg, o);

		if (cli && !val) {
			if (*n < o->max)
				(*n)++;
			return 0;
		}
		return set_uint(o, n, val, why, whylen);
	}
	case WGW_OPT_UINT:
	case WGW_OPT_OCTAL:
		return set_uint(o, field(cfg, o), val, why, whylen);
	case WGW_OPT_QUEUES: {
		uint32_t q;

		if (!strcmp(val, "all")) {
			cfg->queues = 0;
			return 0;
		}
		if (wgw_parse_u32(val, 1, WGW_MAX_QUEUES, &q, NULL, 0) < 0)
			return fail(why, whylen, "expected all or 1-%d",
				    WGW_MAX_QUEUES);
		cfg->queues = q;
		return 0;
	}
	case WGW_OPT_ENUM: {
		unsigned int i;
		char list[160];

		for (i = 0; o->names[i]; i++) {
			if (!strcmp(val, o->names[i])) {
				store_enum(cfg, o, i);
				return 0;
			}
		}
		enum_list(o, ", ", list, sizeof(list));
		return fail(why, whylen, "expected one of %s", list);
	}
	case WGW_OPT_STRING:
	case WGW_OPT_CONFIG:
		if (!*val)
			return fail(why, whylen, "expected a path");
		if (!file_printable(val))
			return fail(why, whylen,
				    "expected a path without control characters, without whitespace at either end, and without '#' or ';' at its start or after a space");
		if (strlen(val) >= o->size)
			return fail(why, whylen,
				    "path too long (at most %zu bytes)",
				    o->size - 1);
		memset(field(cfg, o), 0, o->size);
		memcpy(field(cfg, o), val, strlen(val));
		return 0;
	case WGW_OPT_IFNAME:
		memset(field(cfg, o), 0, o->size);
		if (wgw_parse_ifname(val, field(cfg, o), o->size, why, whylen) < 0)
			return -EINVAL;
		if (!file_printable(val)) {
			memset(field(cfg, o), 0, o->size);
			return fail(why, whylen,
				    "expected an interface name without control characters and not starting with '#' or ';'");
		}
		return 0;
	case WGW_OPT_ADDR: {
		union wgw_addr a;

		if (wgw_addr_parse(&a, val) < 0)
			return fail(why, whylen,
				    "expected an IPv4 or IPv6 address (no port, no brackets)");
		cfg->nat = a;
		cfg->nat_set = true;
		return 0;
	}
	case WGW_OPT_ENDPOINT: {
		struct wgw_endpoint ep = { .set = true };

		ret = wgw_parse_addr_port(val, false, &ep.addr, &ep.port, &hi,
					  why, whylen);
		if (ret < 0)
			return ret;
		cfg->metrics_listen = ep;
		return 0;
	}
	case WGW_OPT_PORT_RANGE:
		ret = wgw_parse_port_range(val, &lo, &hi, why, whylen);
		if (ret < 0)
			return ret;
		cfg->nat_port_lo = lo;
		cfg->nat_port_hi = hi;
		return 0;
	case WGW_OPT_VIP:
		return append_vip(cfg, val, why, whylen);
	case WGW_OPT_BACKEND:
		return append_backend(cfg, val, why, whylen);
	case WGW_OPT_CPULIST:
		return wgw_parse_cpulist(val, &cfg->cpus, &cfg->n_cpus, why,
					 whylen);
	case WGW_OPT_HELP:
	case WGW_OPT_VERSION:
		return 0;
	}
	return fail(why, whylen, "internal error: unknown option type");
}

/* Clear a repeatable option's list (the command line replaces the file's). */
static void opt_clear(const struct wgw_option *o, struct wgw_config *cfg)
{
	if (o->type == WGW_OPT_VIP) {
		memset(cfg->vips, 0, sizeof(cfg->vips));
		cfg->n_vips = 0;
	} else if (o->type == WGW_OPT_BACKEND) {
		memset(cfg->backends, 0, sizeof(cfg->backends));
		cfg->n_backends = 0;
	} else if (o->type == WGW_OPT_COUNT) {
		*(unsigned int *)field(cfg, o) = 0;
	}
}

/* The table describes fields of the right type and size: a wrong entry is a
 * programming error that the unit test catches through defaults(). */
static int table_check(void)
{
	size_t i, j;

	if (wgw_n_options > OPTIONS_MAX)
		return -EINVAL;
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		size_t want = 0;

		switch (o->type) {
		case WGW_OPT_BOOL:
			want = sizeof(bool);
			break;
		case WGW_OPT_COUNT:
			want = sizeof(unsigned int);
			break;
		case WGW_OPT_UINT:
		case WGW_OPT_OCTAL:
		case WGW_OPT_QUEUES:
			want = sizeof(uint32_t);
			break;
		case WGW_OPT_ENUM:
			want = sizeof(unsigned int);
			if (!o->names)
				return -EINVAL;
			break;
		case WGW_OPT_IFNAME:
			want = IFNAMSIZ;
			break;
		case WGW_OPT_STRING:
		case WGW_OPT_CONFIG:
			if (o->size < 2)
				return -EINVAL;
			want = o->size;
			break;
		default:
			want = o->size;	/* fixed fields, by type */
			break;
		}
		if (o->size != want || !o->name || !o->help || !o->group)
			return -EINVAL;
		if ((o->type == WGW_OPT_VIP || o->type == WGW_OPT_BACKEND) !=
		    !!(o->flags & WGW_OPTF_REPEAT))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (!strcmp(o->name, wgw_options[j].name) ||
			    (o->short_name &&
			     o->short_name == wgw_options[j].short_name))
				return -EINVAL;
	}
	return 0;
}

int wgw_config_defaults(struct wgw_config *cfg)
{
	char why[WGW_CONFIG_ERRLEN];
	size_t i;
	int ret;

	ret = table_check();
	if (ret < 0)
		return ret;
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		ret = 0;
		if (o->def)
			ret = opt_set(o, cfg, o->def, false, why, sizeof(why));
		else if (o->flags & WGW_OPTF_EMPTY)
			ret = opt_set(o, cfg, "", false, why, sizeof(why));
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- INI file ---- */

struct file_ctx {
	struct wgw_config *cfg;
	const char *path;
	FILE *f;
	char *line;		/* getline() buffer */
	size_t cap;
	int lineno;		/* lines handed to inih so far */
	int io_errno;
	int err_line;		/* first error found by us, 0 = none */
	char err[WGW_CONFIG_ERRLEN];
	int set_line[OPTIONS_MAX];	/* where a scalar key was set */
};

__attribute__((format(printf, 2, 3)))
static void file_error(struct file_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err_line)
		return;		/* report the first problem only */
	ctx->err_line = ctx->lineno;
	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
}

/*
 * inih's reader: one line per call, so inih's line numbers are ours.  Two
 * rewrites keep the format unsurprising: leading whitespace is dropped
 * (otherwise inih would take an indented line for the continuation of the
 * previous value), and a '#' at the start or after whitespace starts a
 * comment, like ';' does inside inih.
 */
static char *file_reader(char *str, int num, void *stream)
{
	struct file_ctx *ctx = stream;
	ssize_t n;
	char *p, *q;
	size_t len;

	errno = 0;
	n = getline(&ctx->line, &ctx->cap, ctx->f);
	if (n < 0) {
		if (ferror(ctx->f))
			ctx->io_errno = errno ? errno : EIO;
		return NULL;
	}
	ctx->lineno++;
	if (memchr(ctx->line, '\0', (size_t)n)) {
		file_error(ctx, "NUL byte in line");
		str[0] = '\0';
		return str;
	}
	p = ctx->line + strspn(ctx->line, " \t");
	for (q = p; (q = strchr(q, '#')); q++) {
		if (q == p || q[-1] == ' ' || q[-1] == '\t') {
			*q = '\0';
			break;
		}
	}
	len = strcspn(p, "\r\n");
	/* inih's own limit for a line, less the room it wants for "\r\n"
	 * and the NUL. */
	if (num < 4 || len > (size_t)num - 3) {
		file_error(ctx, "line too long (at most %d characters)",
			   num - 3);
		len = 0;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	return str;
}

static const struct wgw_option *find_long(const char *name)
{
	size_t i;

	for (i = 0; i < wgw_n_options; i++)
		if (!strcmp(wgw_options[i].name, name))
			return &wgw_options[i];
	return NULL;
}

/* The option a mistyped key most likely meant: the same name with '_' for
 * '-' or in another case (max_sessions, Max-Sessions), else NULL. */
static const struct wgw_option *find_similar(const char *name)
{
	char norm[64];
	size_t i, n = strlen(name);

	if (n >= sizeof(norm))
		return NULL;
	for (i = 0; i <= n; i++)
		norm[i] = name[i] == '_' ? '-' : name[i];
	for (i = 0; i < wgw_n_options; i++)
		if (!strcasecmp(wgw_options[i].name, norm))
			return &wgw_options[i];
	return NULL;
}

static int file_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct file_ctx *ctx = user;
	const struct wgw_option *o;
	char why[WGW_CONFIG_ERRLEN];
	size_t idx;

	if (section[0] && strcmp(section, "gateway")) {
		file_error(ctx, "unknown section [%s] (expected [gateway] or none)",
			   section);
		return 0;
	}
	o = find_long(name);
	if (!o) {
		const struct wgw_option *hint = find_similar(name);

		if (hint)
			file_error(ctx, "unknown key '%s' (did you mean '%s'?)",
				   name, hint->name);
		else
			file_error(ctx, "unknown key '%s' (see wraith-gateway.conf(5))",
				   name);
		return 0;
	}
	if (o->flags & WGW_OPTF_CLI) {
		file_error(ctx, "'%s' is valid on the command line only",
			   name);
		return 0;
	}
	idx = (size_t)(o - wgw_options);
	if (!(o->flags & WGW_OPTF_REPEAT) && ctx->set_line[idx]) {
		file_error(ctx, "%s given twice (first on line %d)", name,
			   ctx->set_line[idx]);
		return 0;
	}
	ctx->set_line[idx] = ctx->lineno;
	if (opt_set(o, ctx->cfg, value, false, why, sizeof(why)) < 0) {
		file_error(ctx, "%s '%s': %s", name, value, why);
		return 0;
	}
	return 1;
}

int wgw_config_load_file(struct wgw_config *cfg, const char *path,
			 char *err, size_t errlen)
{
	struct file_ctx *ctx;
	char *text = NULL;
	int ret, line;

	/* The context holds a line buffer and per-key state: heap, so that
	 * a reload from a small thread stack is fine too. */
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		snprintf(err, errlen, "config %s: out of memory", path);
		return -ENOMEM;
	}
	ctx->cfg = cfg;
	ctx->path = path;
	ctx->f = wgw_config_open(path, &text, err, errlen);
	if (!ctx->f) {
		ret = -errno;
		goto out_free;
	}

	line = ini_parse_stream(file_reader, ctx, file_handler, ctx);
	if (ctx->io_errno) {
		ret = -ctx->io_errno;
		snprintf(err, errlen, "config %s:%d: read error: %s", path,
			 ctx->lineno, strerror(ctx->io_errno));
	} else if (ctx->err_line && (line <= 0 || ctx->err_line <= line)) {
		ret = -EINVAL;
		snprintf(err, errlen, "config %s:%d: %s", path, ctx->err_line,
			 ctx->err);
	} else if (line > 0) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "config %s:%d: expected 'key = value', '[section]' or a comment",
			 path, line);
	} else if (line < 0) {
		ret = -ENOMEM;
		snprintf(err, errlen, "config %s: out of memory", path);
	} else {
		ret = 0;
	}

	fclose(ctx->f);
out_free:
	free(text);
	free(ctx->line);
	free(ctx);
	return ret;
}

/* ---- Command line ---- */

static int longopt_val(size_t idx)
{
	return wgw_options[idx].short_name ? wgw_options[idx].short_name :
					     256 + (int)idx;
}

static const struct wgw_option *opt_by_val(int c)
{
	size_t i;

	if (c >= 256 && (size_t)(c - 256) < wgw_n_options)
		return &wgw_options[c - 256];
	for (i = 0; i < wgw_n_options; i++)
		if (wgw_options[i].short_name == c)
			return &wgw_options[i];
	return NULL;
}

static bool takes_arg(const struct wgw_option *o)
{
	return o->type != WGW_OPT_BOOL && o->type != WGW_OPT_COUNT &&
	       o->type != WGW_OPT_HELP && o->type != WGW_OPT_VERSION;
}

static void build_getopt(struct option *lo, char *so)
{
	size_t i;
	char *s = so;

	*s++ = ':';	/* report a missing argument as ':' */
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		lo[i].name = o->name;
		/* Flags accept --flag=no on the long form, to turn off
		 * what the config file turned on. */
		lo[i].has_arg = takes_arg(o) ? required_argument :
				o->type == WGW_OPT_BOOL ? optional_argument :
				no_argument;
		lo[i].flag = NULL;
		lo[i].val = longopt_val(i);
		if (o->short_name) {
			*s++ = (char)o->short_name;
			if (takes_arg(o))
				*s++ = ':';
		}
	}
	memset(&lo[wgw_n_options], 0, sizeof(lo[0]));
	*s = '\0';
}

/* The option getopt just complained about, as the user wrote it. */
static const char *bad_arg(int argc, char **argv, char *buf, size_t len)
{
	int i = optind - 1;

	if (optopt > 0 && optopt < 256) {
		snprintf(buf, len, "-%c", optopt);
		return buf;
	}
	if (i >= 0 && i < argc && argv[i])
		return argv[i];
	return "?";
}

int wgw_config_parse_args(struct wgw_config *cfg, int argc, char **argv,
			  char *err, size_t errlen)
{
	struct option lo[OPTIONS_MAX + 1];
	char so[2 * OPTIONS_MAX + 2];
	char why[WGW_CONFIG_ERRLEN], bad[8];
	bool seen[OPTIONS_MAX] = { false };
	const char *config = NULL;
	int c, idx, ret, result = 0;

	ret = table_check();
	if (ret < 0)
		return fail(err, errlen, "internal error: bad option table");
	build_getopt(lo, so);

	/* Pass 1: --help, --version and -c, wherever they are, so that the
	 * file is loaded before the options that override it. */
	opterr = 0;
	optind = 0;	/* full reset of glibc's getopt state */
	while ((c = getopt_long(argc, argv, so, lo, &idx)) != -1) {
		const struct wgw_option *o = opt_by_val(c);

		if (!o)
			continue;	/* reported in pass 2 */
		if (o->type == WGW_OPT_HELP)
			return WGW_CONFIG_HELP;
		if (o->type == WGW_OPT_VERSION)
			result = WGW_CONFIG_VERSION;
		else if (o->type == WGW_OPT_CONFIG)
			config = optarg;
	}
	if (result)
		return result;

	if (config) {
		ret = opt_set(find_long("config"), cfg, config, true, why,
			      sizeof(why));
		if (ret < 0)
			return fail(err, errlen, "--config '%s': %s", config,
				    why);
		ret = wgw_config_load_file(cfg, config, err, errlen);
		if (ret < 0)
			return ret;
		/* Remember the file by its absolute name: the daemon changes
		 * to / when it detaches and re-reads the file on SIGHUP. */
		if (config[0] != '/') {
			char *abs = realpath(config, NULL);

			if (abs && strlen(abs) < sizeof(cfg->config_file))
				snprintf(cfg->config_file,
					 sizeof(cfg->config_file), "%s", abs);
			free(abs);
		}
	}

	/* Pass 2: everything else, overriding the file. */
	optind = 0;
	while ((c = getopt_long(argc, argv, so, lo, &idx)) != -1) {
		const struct wgw_option *o;
		size_t i;

		if (c == '?')
			return fail(err, errlen,
				    "unknown option '%s' (see --help)",
				    bad_arg(argc, argv, bad, sizeof(bad)));
		if (c == ':') {
			const char *name = bad_arg(argc, argv, bad,
						   sizeof(bad));

			o = NULL;
			if (optopt)
				o = opt_by_val(optopt);
			return fail(err, errlen,
				    "option '%s' needs a value%s%s",
				    name, o && o->metavar ? ": " : "",
				    o && o->metavar ? o->metavar : "");
		}
		o = opt_by_val(c);
		if (!o)
			return fail(err, errlen, "internal error: option %d",
				    c);
		if (o->type == WGW_OPT_CONFIG)
			continue;
		i = (size_t)(o - wgw_options);
		if (!seen[i]) {
			seen[i] = true;
			opt_clear(o, cfg);
		}
		if (opt_set(o, cfg, optarg, true, why, sizeof(why)) < 0)
			return fail(err, errlen, "--%s '%s': %s", o->name,
				    optarg ? optarg : "", why);
	}
	if (optind < argc)
		return fail(err, errlen,
			    "unexpected argument '%s' (options start with --; see --help)",
			    argv[optind]);
	return 0;
}

/* ---- --help ---- */

#define HELP_COL 32	/* column where the help text starts */
#define HELP_WIDTH 79	/* columns */

/* Print text word-wrapped from column col (the cursor is at column *at);
 * with whole, text is one word that is not broken. */
static void wrap(FILE *out, const char *text, bool whole, int col, int *at)
{
	const char *p = text;

	while (*p) {
		size_t w = whole ? strlen(p) : strcspn(p, " ");

		if (*at > col && *at + 1 + (int)w > HELP_WIDTH) {
			fprintf(out, "\n%*s", col, "");
			*at = col;
		} else if (*at > col) {
			fputc(' ', out);
			(*at)++;
		}
		fwrite(p, 1, w, out);
		*at += (int)w;
		p += w;
		p += strspn(p, " ");
	}
}

void wgw_config_usage(FILE *out, const char *progname)
{
	const char *group = NULL;
	size_t i;

	fprintf(out,
		"Usage: %s [-c FILE] [options]\n"
		"Route WRAITH datagrams from clients to a pool of backend nodes by\n"
		"connection ID, with NAT, over AF_XDP or the kernel's sockets.\n"
		"Config file keys are the long option names (wraith-gateway.conf(5)).\n",
		progname);
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		char head[256], meta[160], def[160];
		int at;

		if (!group || strcmp(group, o->group)) {
			group = o->group;
			fprintf(out, "\n%s:\n", group);
		}
		meta[0] = '\0';
		if (o->type == WGW_OPT_ENUM)
			enum_list(o, "|", meta, sizeof(meta));
		else if (o->metavar)
			snprintf(meta, sizeof(meta), "%s", o->metavar);
		if (o->short_name)
			at = snprintf(head, sizeof(head), "  -%c, --%s%s%s",
				      o->short_name, o->name,
				      meta[0] ? " " : "", meta);
		else
			at = snprintf(head, sizeof(head), "      --%s%s%s",
				      o->name, meta[0] ? " " : "", meta);
		fputs(head, out);
		if (at + 2 > HELP_COL) {
			fprintf(out, "\n%*s", HELP_COL, "");
		} else {
			fprintf(out, "%*s", HELP_COL - at, "");
		}
		at = HELP_COL;
		wrap(out, o->help, false, HELP_COL, &at);
		if (o->def && o->def[0] && o->type != WGW_OPT_BOOL &&
		    o->type != WGW_OPT_COUNT) {
			snprintf(def, sizeof(def), "(default: %s)", o->def);
			wrap(out, def, true, HELP_COL, &at);
		}
		fputc('\n', out);
	}
}

/* ---- Effective configuration ---- */

/* "ADDR:PORT[-PORT]", IPv6 in brackets */
static const char *ep_str(const union wgw_addr *a, uint16_t lo, uint16_t hi,
			  char *buf, size_t len)
{
	char ab[INET6_ADDRSTRLEN];
	bool v4 = wgw_addr_is_v4(a);
	int n;

	wgw_addr_str(a, ab, sizeof(ab));
	n = snprintf(buf, len, "%s%s%s:%u", v4 ? "" : "[", ab, v4 ? "" : "]",
		     lo);
	if (hi != lo && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "-%u", hi);
	return buf;
}

static void print_kv(FILE *out, const char *name, const char *value)
{
	if (value[0])
		fprintf(out, "%s = %s\n", name, value);
	else
		fprintf(out, "%s =\n", name);
}

static void print_value(const struct wgw_config *cfg,
			const struct wgw_option *o, FILE *out)
{
	char buf[512];
	const char *v = buf;
	unsigned int i;

	buf[0] = '\0';
	switch (o->type) {
	case WGW_OPT_BOOL:
		v = *(const bool *)cfield(cfg, o) ? "yes" : "no";
		break;
	case WGW_OPT_COUNT:
	case WGW_OPT_UINT:
		snprintf(buf, sizeof(buf), "%u",
			 *(const uint32_t *)cfield(cfg, o));
		break;
	case WGW_OPT_OCTAL:
		snprintf(buf, sizeof(buf), "%04o",
			 *(const uint32_t *)cfield(cfg, o));
		break;
	case WGW_OPT_QUEUES:
		if (cfg->queues)
			snprintf(buf, sizeof(buf), "%u", cfg->queues);
		else
			v = "all";
		break;
	case WGW_OPT_ENUM:
		i = load_enum(cfg, o);
		v = i < enum_count(o) ? o->names[i] : "";
		break;
	case WGW_OPT_STRING:
	case WGW_OPT_IFNAME:
	case WGW_OPT_CONFIG:
		v = cfield(cfg, o);
		break;
	case WGW_OPT_ADDR:
		if (cfg->nat_set)
			wgw_addr_str(&cfg->nat, buf, sizeof(buf));
		break;
	case WGW_OPT_ENDPOINT:
		if (cfg->metrics_listen.set)
			ep_str(&cfg->metrics_listen.addr,
			       cfg->metrics_listen.port,
			       cfg->metrics_listen.port, buf, sizeof(buf));
		break;
	case WGW_OPT_PORT_RANGE:
		snprintf(buf, sizeof(buf), "%u-%u", cfg->nat_port_lo,
			 cfg->nat_port_hi);
		break;
	case WGW_OPT_VIP:
		for (i = 0; i < cfg->n_vips; i++)
			print_kv(out, o->name,
				 ep_str(&cfg->vips[i].addr,
					cfg->vips[i].port_lo,
					cfg->vips[i].port_hi, buf,
					sizeof(buf)));
		return;
	case WGW_OPT_BACKEND:
		for (i = 0; i < cfg->n_backends; i++) {
			const struct wgw_backend *b = &cfg->backends[i];
			size_t n;

			ep_str(&b->addr, b->port, b->port, buf, sizeof(buf));
			n = strlen(buf);
			snprintf(buf + n, sizeof(buf) - n, "@%u", b->weight);
			print_kv(out, o->name, buf);
		}
		return;
	case WGW_OPT_CPULIST:
		wgw_cpulist_str(&cfg->cpus, buf, sizeof(buf));
		break;
	case WGW_OPT_HELP:
	case WGW_OPT_VERSION:
		return;
	}
	print_kv(out, o->name, v);
}

void wgw_config_print(const struct wgw_config *cfg, FILE *out)
{
	const char *group = NULL;
	size_t i;

	fputs("# wraith-gatewayd effective configuration\n", out);
	if (cfg->config_file[0])
		fprintf(out, "# read from %s and the command line\n",
			cfg->config_file);
	fputs("[gateway]\n", out);
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		if (o->flags & WGW_OPTF_CLI)
			continue;
		if (!group || strcmp(group, o->group)) {
			group = o->group;
			fprintf(out, "\n# %s\n", group);
		}
		print_value(cfg, o, out);
	}
}
