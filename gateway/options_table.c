// SPDX-License-Identifier: GPL-2.0-only
/*
 * The option table: every option of wraith-gatewayd once, with its type,
 * default, reload class and help.  Everything else (defaults, the command
 * line, the config file, --help, the printed configuration, the reload
 * check, the man-page checks) is generated from it.  Adding an option is one
 * entry here and one field in struct wgw_config.
 */
#include "config.h"

#include <stddef.h>

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
static const char *const health_check_names[] = { "udp", "none", NULL }; /* health.h */

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
#define G_HEALTH	"Backend health"
#define G_STORE		"Session store (several gateways)"
#define G_XDP		"AF_XDP sockets and UMEM"
#define G_NIC		"NIC preparation"
#define G_CONTROL	"Control, logging and process"
#define G_ACTION	"Actions (command line only)"

const struct wgw_option wgw_options[] = {
	/* Service */
	{ .name = "wan", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_IFNAME, .flags = WGW_OPTF_EMPTY,
	  FIELD(wan), .metavar = "IFACE", .group = G_SERVICE,
	  .help = "interface facing clients (required)" },
	{ .name = "lan", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_IFNAME, .flags = WGW_OPTF_EMPTY,
	  FIELD(lan), .metavar = "IFACE", .group = G_SERVICE,
	  .help = "interface facing backends (default: same as --wan)" },
	{ .name = "vip", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_VIP, .flags = WGW_OPTF_REPEAT,
	  FIELD(vips), .metavar = "ADDR:PORT[-PORT]", .group = G_SERVICE,
	  .help = "service address clients send to, one port or a range; "
		  "IPv6 as [ADDR]:PORT; repeatable (at least one)" },
	{ .name = "backend", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_BACKEND, .flags = WGW_OPTF_REPEAT,
	  FIELD(backends), .metavar = "ADDR:PORT[@W]", .group = G_SERVICE,
	  .help = "backend WRAITH node, weight W 1-65535 (default 100); "
		  "repeatable (at least one)" },
	{ .name = "nat", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ADDR, .flags = WGW_OPTF_EMPTY | WGW_OPTF_REPEAT,
	  FIELD(nat), .metavar = "ADDR[-ADDR]", .group = G_SERVICE,
	  .help = "inside address the gateway owns for NAT, answered by "
		  "proxy ARP/NDP (required); a range or repeated: a pool, "
		  "each backend gets addresses x ports mappings" },
	{ .name = "nat-ports", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_PORT_RANGE, FIELD(nat_port_lo),
	  .def = "20000-59999", .metavar = "LO-HI", .group = G_SERVICE,
	  .help = "source ports on each NAT address for NAT mappings" },

	/* Data path */
	{ .name = "mode", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ENUM, FIELD(mode),
	  .names = mode_names, .def = "auto", .group = G_PATH,
	  .help = "data path: auto walks the ladder xdp-zerocopy, xdp-copy, "
		  "xdp-generic, fallback; any other value forces that mode "
		  "and fails at start if it cannot be had" },
	{ .name = "wan-mode", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ENUM, .flags = WGW_OPTF_EMPTY,
	  FIELD(wan_mode), .names = mode_names, .group = G_PATH,
	  .help = "--mode for the WAN interface only" },
	{ .name = "lan-mode", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ENUM, .flags = WGW_OPTF_EMPTY,
	  FIELD(lan_mode), .names = mode_names, .group = G_PATH,
	  .help = "--mode for the LAN interface only" },
	{ .name = "queues", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_QUEUES, FIELD(queues),
	  .def = "all", .metavar = "all|N", .group = G_PATH,
	  .help = "receive queues to serve, one worker each" },
	{ .name = "cpus", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_CPULIST, .flags = WGW_OPTF_EMPTY,
	  FIELD(cpus), .metavar = "LIST", .group = G_PATH,
	  .help = "CPUs to pin the workers to, e.g. 0-3,6 (default: the NIC's NUMA node)" },

	/* Engine */
	{ .name = "max-sessions", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT, FIELD(max_sessions),
	  .min = 1024, .max = 1u << 26, .def = "1048576", .metavar = "N",
	  .group = G_ENGINE, .help = "capacity of the connection-ID table" },
	{ .name = "max-mappings", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT, FIELD(max_mappings),
	  .min = 1024, .max = 1u << 24, .def = "262144", .metavar = "N",
	  .group = G_ENGINE, .help = "capacity of the NAT mapping table" },
	{ .name = "session-timeout", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT,
	  FIELD(session_timeout_s), .min = 10, .max = 86400, .def = "300",
	  .metavar = "SECONDS", .group = G_ENGINE,
	  .help = "idle time after which a connection ID is forgotten" },
	{ .name = "mapping-timeout", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT,
	  FIELD(mapping_timeout_s), .min = 5, .max = 86400, .def = "120",
	  .metavar = "SECONDS", .group = G_ENGINE,
	  .help = "idle time after which a NAT mapping is freed" },
	{ .name = "handshake-rate", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT,
	  FIELD(handshake_rate), .min = 0, .max = 10000000, .def = "0",
	  .metavar = "N", .group = G_ENGINE,
	  .help = "handshakes per second accepted from one source address "
		  "(IPv6: one /64), dropped in XDP beyond that; 0 = no limit" },
	{ .name = "handshake-burst", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT,
	  FIELD(handshake_burst), .min = 1, .max = 10000000, .def = "64",
	  .metavar = "N", .group = G_ENGINE,
	  .help = "handshakes one source may send at once before "
		  "--handshake-rate applies" },
	{ .name = "max-mappings-per-source", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT,
	  FIELD(max_mappings_per_source), .min = 0, .max = 1u << 24,
	  .def = "4096", .metavar = "N", .group = G_ENGINE,
	  .help = "NAT mappings one source address (IPv6: one /64) may hold; "
		  "a new endpoint beyond that is dropped; 0 = no limit" },
	{ .name = "max-cids-per-source", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT,
	  FIELD(max_cids_per_source), .min = 0, .max = 1u << 26,
	  .def = "16384", .metavar = "N", .group = G_ENGINE,
	  .help = "connection IDs one source address (IPv6: one /64) may "
		  "have learned; beyond that they are routed, not learned; "
		  "0 = no limit" },

	/* Backend health (gateway/health.h) */
	{ .name = "health-check", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_ENUM, FIELD(health_check),
	  .names = health_check_names, .def = "udp", .group = G_HEALTH,
	  .help = "active check of every backend each --health-interval: a "
		  "probe datagram a WRAITH node drops (udp), or none" },
	{ .name = "health-interval", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT, FIELD(health_interval_s),
	  .min = 1, .max = 3600, .def = "2", .metavar = "SECONDS",
	  .group = G_HEALTH, .help = "one health round per backend this often" },
	{ .name = "health-fall", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT, FIELD(health_fall),
	  .min = 1, .max = 100, .def = "2", .metavar = "N", .group = G_HEALTH,
	  .help = "failed rounds in a row that make a backend down" },
	{ .name = "health-rise", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT, FIELD(health_rise),
	  .min = 1, .max = 100, .def = "2", .metavar = "N", .group = G_HEALTH,
	  .help = "passed rounds in a row that make a down backend healthy" },
	{ .name = "health-passive-timeout", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT, FIELD(health_passive_timeout_s),
	  .min = 0, .max = 3600, .def = "3", .metavar = "SECONDS", .group = G_HEALTH,
	  .help = "traffic sent to a backend this long without one packet "
		  "back fails its round; 0 = off" },

	/* AF_XDP and UMEM: defaults from the WRAITH AF_XDP transport design */
	{ .name = "frame-size", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(frame_size), .min = 2048, .max = 4096, .def = "2048",
	  .metavar = "BYTES", .group = G_XDP,
	  .help = "UMEM frame size, 2048 or 4096" },
	{ .name = "headroom", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(headroom),
	  .min = 0, .max = 4096 - WGW_XDP_PACKET_HEADROOM - WGW_MAX_L2_FRAME,
	  .def = "256", .metavar = "BYTES", .group = G_XDP,
	  .help = "UMEM headroom in front of each packet; frame size minus "
		  "headroom minus 256 must hold a 1518-byte frame" },
	{ .name = "fill-ring", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(fill_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "fill ring descriptors, a power of two" },
	{ .name = "comp-ring", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(comp_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "completion ring descriptors, a power of two" },
	{ .name = "rx-ring", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(rx_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "RX ring descriptors, a power of two" },
	{ .name = "tx-ring", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, .flags = WGW_OPTF_POW2,
	  FIELD(tx_ring), .min = 16, .max = 65536, .def = "2048",
	  .metavar = "N", .group = G_XDP,
	  .help = "TX ring descriptors, a power of two" },
	{ .name = "umem-frames", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(umem_frames),
	  .min = 0, .max = 1u << 22, .def = "0", .metavar = "N",
	  .group = G_XDP,
	  .help = "UMEM frames per socket set; 0 = computed from the rings" },
	{ .name = "batch", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(batch), .min = 1,
	  .max = 256, .def = "64", .metavar = "N", .group = G_XDP,
	  .help = "descriptors handled per loop, 1-256" },
	{ .name = "wait", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ENUM, FIELD(wait),
	  .names = wait_names, .def = "poll", .group = G_XDP,
	  .help = "how an idle worker waits: poll(2), spin on the rings, or "
		  "preferred busy polling" },
	{ .name = "busy-poll-budget", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT,
	  FIELD(busy_poll_budget), .min = 1, .max = 65535, .def = "64",
	  .metavar = "N", .group = G_XDP,
	  .help = "packets per busy poll (SO_BUSY_POLL_BUDGET), "
		  "with --wait busy-poll" },
	{ .name = "busy-poll-usecs", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT,
	  FIELD(busy_poll_usecs), .min = 1, .max = 1000000, .def = "20",
	  .metavar = "USECS", .group = G_XDP,
	  .help = "busy poll time (SO_BUSY_POLL), with --wait busy-poll" },
	{ .name = "xdp-attach", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ENUM, FIELD(xdp_attach),
	  .names = xdp_attach_names, .def = "auto", .group = G_XDP,
	  .help = "how the XDP program goes on an interface: alone through a "
		  "bpf_link (exclusive), into libxdp's multi-program dispatcher "
		  "next to other libxdp programs (shared), or shared only where "
		  "the interface already has a dispatcher (auto)" },
	{ .name = "xdp-priority", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(xdp_priority),
	  .min = 0, .max = 10000, .def = "50", .metavar = "N", .group = G_XDP,
	  .help = "run priority in libxdp's dispatcher, lower runs first" },

	/* NIC preparation */
	{ .name = "nic-rx-ring", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(nic_rx_ring),
	  .min = 0, .max = 65536, .def = "0", .metavar = "N", .group = G_NIC,
	  .help = "set the NIC's RX ring size; 0 = leave it" },
	{ .name = "nic-tx-ring", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(nic_tx_ring),
	  .min = 0, .max = 65536, .def = "0", .metavar = "N", .group = G_NIC,
	  .help = "set the NIC's TX ring size; 0 = leave it" },
	{ .name = "coalesce", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ENUM, FIELD(coalesce),
	  .names = coalesce_names, .def = "none", .group = G_NIC,
	  .help = "interrupt coalescing profile to apply; none = leave it" },
	{ .name = "keep-offloads", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_BOOL, FIELD(keep_offloads),
	  .def = "no", .group = G_NIC,
	  .help = "do not turn GRO and LRO off on the interfaces" },

	/* Control, logging, process */
	{ .name = "control-socket", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_STRING,
	  FIELD(control_socket), .def = WGW_RUNDIR "/wraith-gateway/control.sock",
	  .metavar = "PATH", .group = G_CONTROL,
	  .help = "control socket for wraith-gatewayctl" },
	{ .name = "control-mode", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_OCTAL, FIELD(control_mode),
	  .min = 0, .max = 0777, .def = "0600", .metavar = "OCTAL",
	  .group = G_CONTROL, .help = "permissions of the control socket" },
	{ .name = "pidfile", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_STRING, .flags = WGW_OPTF_EMPTY,
	  FIELD(pidfile), .def = WGW_RUNDIR "/wraith-gatewayd.pid",
	  .metavar = "PATH", .group = G_CONTROL,
	  .help = "PID file; empty = none" },
	{ .name = "state-file", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_STRING, FIELD(state_file),
	  .def = WGW_STATEDIR "/wraith-gateway/sessions.state",
	  .metavar = "PATH|none", .group = G_CONTROL,
	  .help = "sessions, NAT mappings and backend changes kept across a "
		  "restart: read at start, written every --state-interval and "
		  "at stop; none = keep nothing" },
	{ .name = "state-interval", .reload = WGW_RELOAD_LIVE,
	  .type = WGW_OPT_UINT, FIELD(state_interval_s), .min = 1,
	  .max = 3600, .def = "5", .metavar = "SECONDS", .group = G_CONTROL,
	  .help = "how often the state file is written" },
	{ .name = "syslog", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_BOOL, FIELD(syslog), .def = "no",
	  .group = G_CONTROL,
	  .help = "log to syslog even in the foreground" },
	{ .name = "metrics-listen", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_ENDPOINT,
	  .flags = WGW_OPTF_EMPTY, FIELD(metrics_listen),
	  .metavar = "ADDR:PORT", .group = G_CONTROL,
	  .help = "serve Prometheus metrics over HTTP on this address (off when empty)" },
	{ .name = "foreground", .reload = WGW_RELOAD_RESTART,
	  .short_name = 'f', .type = WGW_OPT_BOOL,
	  FIELD(foreground), .def = "no", .group = G_CONTROL,
	  .help = "accepted; the daemon never detaches" },
	{ .name = "verbose", .reload = WGW_RELOAD_LIVE,
	  .short_name = 'v', .type = WGW_OPT_COUNT,
	  FIELD(verbose), .min = 0, .max = 4, .def = "0", .group = G_CONTROL,
	  .help = "more log detail: -v info, -vv debug (file: a level 0-4)" },

	/* Session store */
	{ .name = "session-store", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_STORE, .flags = WGW_OPTF_REPEAT,
	  FIELD(stores), .metavar = "redis://HOST:PORT", .group = G_STORE,
	  .help = "Redis server that shares CID bindings with the other gateways "
		  "(HOST: IPv4, [IPv6] or a name); repeat to shard by a fixed "
		  "hash of the CID; none = standalone" },
	{ .name = "session-store-password-file", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_STRING, .flags = WGW_OPTF_EMPTY,
	  FIELD(store_password_file), .metavar = "PATH", .group = G_STORE,
	  .help = "file whose first line is the session store's AUTH password; "
		  "empty = no AUTH" },
	{ .name = "session-store-timeout", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(store_timeout_ms), .min = 1, .max = 10000,
	  .def = "50", .metavar = "MS", .group = G_STORE,
	  .help = "longest wait for a lookup's answer; then the packet is routed "
		  "as if the CID were unknown everywhere" },
	{ .name = "session-store-lookup-rate", .reload = WGW_RELOAD_RESTART,
	  .type = WGW_OPT_UINT, FIELD(store_lookup_rate), .min = 1, .max = 1000000,
	  .def = "10000", .metavar = "PER_SECOND", .group = G_STORE,
	  .help = "session store lookups per second and worker at most (token "
		  "bucket); past it, unknown CIDs are routed at once" },

	/* Actions */
	{ .name = "config", .reload = WGW_RELOAD_ACTION,
	  .short_name = 'c', .type = WGW_OPT_CONFIG,
	  .flags = WGW_OPTF_CLI, FIELD(config_file), .metavar = "FILE",
	  .group = G_ACTION,
	  .help = "read this config file first; options given here override "
		  "it" },
	{ .name = "check-config", .reload = WGW_RELOAD_ACTION,
	  .type = WGW_OPT_BOOL, .flags = WGW_OPTF_CLI,
	  FIELD(check_config), .group = G_ACTION,
	  .help = "validate the configuration and exit: 0 valid, 1 not" },
	{ .name = "takeover", .reload = WGW_RELOAD_ACTION,
	  .type = WGW_OPT_BOOL, .flags = WGW_OPTF_CLI,
	  FIELD(takeover), .group = G_ACTION,
	  .help = "take over from the wraith-gatewayd running with the same "
		  "configuration (an upgrade in place): its sessions, sockets "
		  "and XDP link pass to this process, which serves from then on; "
		  "if anything fails the running daemon goes on serving" },
	{ .name = "probe", .reload = WGW_RELOAD_ACTION,
	  .type = WGW_OPT_IFNAME,
	  .flags = WGW_OPTF_CLI | WGW_OPTF_EMPTY, FIELD(probe),
	  .metavar = "IFACE", .group = G_ACTION,
	  .help = "print the interface's capabilities (XDP modes, queues, "
		  "rings, offloads) and exit" },
	{ .name = "json", .reload = WGW_RELOAD_ACTION,
	  .type = WGW_OPT_BOOL, .flags = WGW_OPTF_CLI,
	  FIELD(json), .group = G_ACTION,
	  .help = "with --probe: print JSON" },
	{ .name = "help", .reload = WGW_RELOAD_ACTION,
	  .short_name = 'h', .type = WGW_OPT_HELP,
	  .flags = WGW_OPTF_CLI, .group = G_ACTION,
	  .help = "print this help and exit" },
	{ .name = "version", .reload = WGW_RELOAD_ACTION,
	  .short_name = 'V', .type = WGW_OPT_VERSION,
	  .flags = WGW_OPTF_CLI, .group = G_ACTION,
	  .help = "print the version and exit" },
};

const size_t wgw_n_options = sizeof(wgw_options) / sizeof(wgw_options[0]);
