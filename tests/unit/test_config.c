// SPDX-License-Identifier: GPL-2.0-only
/*
 * Options and configuration: every option type good and bad (the message
 * quotes the bad value and says what was expected), the INI file (comments,
 * sections, line numbers, duplicate and unknown keys), the command line over
 * the file, checks across options, the generated --help, a print/load round
 * trip, and the man pages and sample config against the option table.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/options.h"

#define MAX_ARGS 64

static char err[WGW_CONFIG_ERRLEN];

/* parse_args() on a NULL-terminated list of arguments, from defaults. */
static int run_args(struct wgw_config *c, ...)
{
	char *argv[MAX_ARGS];
	int argc = 0;
	va_list ap;
	char *a;

	ck_assert_int_eq(wgw_config_defaults(c), 0);
	argv[argc++] = "wraith-gatewayd";
	va_start(ap, c);
	while ((a = va_arg(ap, char *)) && argc < MAX_ARGS - 1)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return wgw_config_parse_args(c, argc, argv, err, sizeof(err));
}

#define ARGS(c, ...) run_args(c, __VA_ARGS__, (char *)NULL)

#define assert_err_has(s)						\
	ck_assert_msg(strstr(err, (s)) != NULL,				\
		      "error '%s' does not contain '%s'", err, (s))

/* One option value that must be refused: the message must quote the value
 * and contain the expectation. */
static void bad1(const char *opt, const char *val, const char *expect)
{
	struct wgw_config c;
	char quoted[256];

	ck_assert_int_eq(ARGS(&c, (char *)opt, (char *)val), -EINVAL);
	snprintf(quoted, sizeof(quoted), "%s '%s': ", opt, val);
	assert_err_has(quoted);
	assert_err_has(expect);
}

static char tmpdir[] = "/tmp/wgw-test-config.XXXXXX";
static int nfiles;

static void setup_tmp(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/wgw-test-config.XXXXXX");
}

/* Write text to a new file in the test directory; returns its path. */
static const char *write_file(const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/f%d.conf", tmpdir, nfiles++);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

static int load(struct wgw_config *c, const char *text)
{
	ck_assert_int_eq(wgw_config_defaults(c), 0);
	err[0] = '\0';
	return wgw_config_load_file(c, write_file(text), err, sizeof(err));
}

static bool addr_is(const union wgw_addr *a, const char *s)
{
	union wgw_addr b;

	ck_assert_int_eq(wgw_addr_parse(&b, s), 0);
	return wgw_addr_eq(a, &b);
}

#define GOOD_V4 "--wan", "wan0", "--vip", "203.0.113.10:8420",		\
		"--backend", "10.0.0.11:8420", "--nat", "10.0.0.2"

/* ---- defaults ---- */

START_TEST(test_defaults)
{
	struct wgw_config c;

	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	ck_assert_str_eq(c.wan, "");
	ck_assert_str_eq(wgw_config_lan(&c), "");
	ck_assert_uint_eq(c.n_vips, 0);
	ck_assert_uint_eq(c.n_backends, 0);
	ck_assert(!c.nat_set);
	ck_assert_uint_eq(c.nat_port_lo, 20000);
	ck_assert_uint_eq(c.nat_port_hi, 59999);
	ck_assert_int_eq(c.mode, WGW_MODE_AUTO);
	ck_assert_int_eq(c.wan_mode, WGW_MODE_INHERIT);
	ck_assert_int_eq(c.lan_mode, WGW_MODE_INHERIT);
	ck_assert_uint_eq(c.queues, 0);
	ck_assert_uint_eq(c.n_cpus, 0);
	ck_assert_uint_eq(c.max_sessions, 1048576);
	ck_assert_uint_eq(c.max_mappings, 262144);
	ck_assert_uint_eq(c.session_timeout_s, 300);
	ck_assert_uint_eq(c.mapping_timeout_s, 120);
	ck_assert_uint_eq(c.frame_size, 2048);
	ck_assert_uint_eq(c.headroom, 256);
	ck_assert_uint_eq(c.fill_ring, 2048);
	ck_assert_uint_eq(c.comp_ring, 2048);
	ck_assert_uint_eq(c.rx_ring, 2048);
	ck_assert_uint_eq(c.tx_ring, 2048);
	ck_assert_uint_eq(c.umem_frames, 0);
	ck_assert_uint_eq(c.batch, 64);
	ck_assert_int_eq(c.wait, WGW_WAIT_POLL);
	ck_assert_uint_eq(c.busy_poll_budget, 64);
	ck_assert_uint_eq(c.busy_poll_usecs, 20);
	ck_assert_uint_eq(c.nic_rx_ring, 0);
	ck_assert_uint_eq(c.nic_tx_ring, 0);
	ck_assert_int_eq(c.coalesce, WGW_COALESCE_NONE);
	ck_assert(!c.keep_offloads);
	ck_assert_str_eq(c.control_socket, WGW_RUNDIR "/wraith-gateway/control.sock");
	ck_assert_uint_eq(c.control_mode, 0600);
	ck_assert_str_eq(c.pidfile, WGW_RUNDIR "/wraith-gatewayd.pid");
	ck_assert(!c.syslog);
	ck_assert(!c.metrics_listen.set);
	ck_assert(!c.foreground);
	ck_assert_uint_eq(c.verbose, 0);
	ck_assert_str_eq(c.config_file, "");
	ck_assert_str_eq(c.probe, "");
	ck_assert(!c.json && !c.check_config);
	/* Defaults alone are incomplete: the service must be described. */
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("--wan");
}
END_TEST

/* ---- every option type ---- */

START_TEST(test_uint)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--batch", "32", "--max-sessions", "2048",
			      "--session-timeout", "10", "--umem-frames", "0"),
			 0);
	ck_assert_uint_eq(c.batch, 32);
	ck_assert_uint_eq(c.max_sessions, 2048);
	ck_assert_uint_eq(c.session_timeout_s, 10);
	bad1("--batch", "0", "expected an integer 1-256");
	bad1("--batch", "257", "expected an integer 1-256");
	bad1("--batch", "12x", "expected an integer 1-256");
	bad1("--batch", "-1", "expected an integer 1-256");
	bad1("--batch", "+5", "expected an integer 1-256");
	bad1("--batch", " 5", "expected an integer 1-256");
	bad1("--batch", "", "expected an integer 1-256");
	bad1("--batch", "99999999999999999999999", "expected an integer");
	bad1("--max-sessions", "1023", "expected an integer 1024-67108864");
	bad1("--session-timeout", "9", "expected an integer 10-86400");
	bad1("--busy-poll-budget", "65536", "expected an integer 1-65535");
}
END_TEST

START_TEST(test_pow2)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--rx-ring", "4096", "--tx-ring", "16",
			      "--fill-ring", "65536", "--comp-ring", "1024",
			      "--frame-size", "4096"), 0);
	ck_assert_uint_eq(c.rx_ring, 4096);
	ck_assert_uint_eq(c.tx_ring, 16);
	ck_assert_uint_eq(c.fill_ring, 65536);
	ck_assert_uint_eq(c.comp_ring, 1024);
	ck_assert_uint_eq(c.frame_size, 4096);
	bad1("--rx-ring", "1000", "expected a power of two 16-65536");
	bad1("--fill-ring", "131072", "expected a power of two 16-65536");
	bad1("--comp-ring", "8", "expected a power of two");
	bad1("--tx-ring", "0", "expected a power of two");
	bad1("--frame-size", "3072", "expected a power of two 2048-4096");
	bad1("--frame-size", "8192", "expected a power of two 2048-4096");
	bad1("--frame-size", "1024", "expected a power of two 2048-4096");
}
END_TEST

START_TEST(test_octal)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--control-mode", "0660"), 0);
	ck_assert_uint_eq(c.control_mode, 0660);
	ck_assert_int_eq(ARGS(&c, "--control-mode", "600"), 0);
	ck_assert_uint_eq(c.control_mode, 0600);
	bad1("--control-mode", "0800", "expected an octal mode 0000-0777");
	bad1("--control-mode", "1777", "expected an octal mode");
	bad1("--control-mode", "rw", "expected an octal mode");
	bad1("--control-mode", "-600", "expected an octal mode");
}
END_TEST

START_TEST(test_queues)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--queues", "4"), 0);
	ck_assert_uint_eq(c.queues, 4);
	ck_assert_int_eq(ARGS(&c, "--queues", "4", "--queues", "all"), 0);
	ck_assert_uint_eq(c.queues, 0);
	bad1("--queues", "0", "expected all or 1-1024");
	bad1("--queues", "1025", "expected all or 1-1024");
	bad1("--queues", "ALL", "expected all or 1-1024");
}
END_TEST

START_TEST(test_enum)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--mode", "xdp-copy"), 0);
	ck_assert_int_eq(c.mode, WGW_MODE_XDP_COPY);
	ck_assert_int_eq(wgw_config_wan_mode(&c), WGW_MODE_XDP_COPY);
	ck_assert_int_eq(wgw_config_lan_mode(&c), WGW_MODE_XDP_COPY);
	ck_assert_int_eq(ARGS(&c, "--mode", "xdp-zerocopy", "--lan-mode",
			      "fallback"), 0);
	ck_assert_int_eq(wgw_config_wan_mode(&c), WGW_MODE_XDP_ZEROCOPY);
	ck_assert_int_eq(wgw_config_lan_mode(&c), WGW_MODE_FALLBACK);
	ck_assert_int_eq(ARGS(&c, "--wan-mode", "xdp-generic"), 0);
	ck_assert_int_eq(wgw_config_wan_mode(&c), WGW_MODE_XDP_GENERIC);
	ck_assert_int_eq(wgw_config_lan_mode(&c), WGW_MODE_AUTO);
	ck_assert_int_eq(ARGS(&c, "--wait", "busy-poll", "--coalesce",
			      "low-latency"), 0);
	ck_assert_int_eq(c.wait, WGW_WAIT_BUSY_POLL);
	ck_assert_int_eq(c.coalesce, WGW_COALESCE_LOW_LATENCY);

	ck_assert_int_eq(ARGS(&c, "--mode", "fast"), -EINVAL);
	ck_assert_str_eq(err, "--mode 'fast': expected one of auto, "
			 "xdp-zerocopy, xdp-copy, xdp-generic, fallback");
	bad1("--wan-mode", "zerocopy", "expected one of auto, xdp-zerocopy");
	bad1("--wait", "sleep", "expected one of poll, spin, busy-poll");
	bad1("--coalesce", "max", "expected one of none, low-latency, high-throughput");
	bad1("--mode", "AUTO", "expected one of");
	ck_assert_str_eq(wgw_mode_name(WGW_MODE_XDP_GENERIC), "xdp-generic");
	ck_assert_str_eq(wgw_wait_name(WGW_WAIT_SPIN), "spin");
	ck_assert_str_eq(wgw_coalesce_name(WGW_COALESCE_HIGH_THROUGHPUT),
			 "high-throughput");
}
END_TEST

START_TEST(test_strings)
{
	struct wgw_config c;
	char longpath[200];

	ck_assert_int_eq(ARGS(&c, "--wan", "enp1s0f0", "--lan", "bond0.100",
			      "--control-socket", "/tmp/x.sock", "--pidfile",
			      ""), 0);
	ck_assert_str_eq(c.wan, "enp1s0f0");
	ck_assert_str_eq(wgw_config_lan(&c), "bond0.100");
	ck_assert_str_eq(c.control_socket, "/tmp/x.sock");
	ck_assert_str_eq(c.pidfile, "");
	ck_assert_int_eq(ARGS(&c, "--wan", "eth0"), 0);
	ck_assert_str_eq(wgw_config_lan(&c), "eth0");

	bad1("--wan", "averyveryverylongname", "expected an interface name of 1-15");
	bad1("--lan", "a/b", "cannot contain '/'");
	bad1("--lan", "eth0:1", "cannot contain");
	bad1("--wan", "..", "not a valid interface name");
	/* The kernel takes them; the configuration file could not carry them
	 * (a comment start after "wan = "; found by fuzz_config). */
	bad1("--wan", "#e", "not starting with '#' or ';'");
	bad1("--lan", ";x", "not starting with '#' or ';'");
	bad1("--wan", "a\x01b", "without control characters");
	bad1("--probe", "a b", "cannot contain");
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	bad1("--control-socket", longpath, "path too long (at most 107 bytes)");
	bad1("--control-socket", "", "expected a path");
	bad1("--pidfile", "/run/x.pid ", "without whitespace at either end");
	bad1("--pidfile", " /run/x.pid", "without whitespace at either end");
	bad1("--pidfile", "/run/x ;y", "without '#' or ';' at its start or after a space");
	bad1("--pidfile", "#x", "without '#' or ';' at its start or after a space");
	bad1("--pidfile", "/run/x\ty", "without control characters");
	ck_assert_int_eq(ARGS(&c, "--pidfile", "/run/my dir/x#1;2.pid"), 0);
}
END_TEST

START_TEST(test_addr)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--nat", "10.0.0.2"), 0);
	ck_assert(c.nat_set && addr_is(&c.nat, "10.0.0.2"));
	ck_assert_int_eq(ARGS(&c, "--nat", "fd00::2"), 0);
	ck_assert(c.nat_set && addr_is(&c.nat, "fd00::2"));
	bad1("--nat", "10.0.0.2:80", "expected an IPv4 or IPv6 address");
	bad1("--nat", "[fd00::2]", "no brackets");
	bad1("--nat", "10.0.0.256", "expected an IPv4 or IPv6 address");
	bad1("--nat", "gateway.example", "expected an IPv4 or IPv6 address");

	/* a pool: ranges, repeated, the first address first */
	ck_assert_int_eq(ARGS(&c, "--nat", "10.0.0.100-10.0.0.103"), 0);
	ck_assert(c.nat_set && addr_is(&c.nat, "10.0.0.100"));
	ck_assert_uint_eq(c.n_nat_pool, 3);
	ck_assert(addr_is(&c.nat_pool[2], "10.0.0.103"));
	ck_assert_int_eq(ARGS(&c, "--nat", "10.0.0.2", "--nat", "10.0.0.255-10.0.1.0"), 0);
	ck_assert(addr_is(&c.nat, "10.0.0.2"));
	ck_assert_uint_eq(c.n_nat_pool, 2);
	ck_assert(addr_is(&c.nat_pool[1], "10.0.1.0"));
	ck_assert_int_eq(ARGS(&c, "--nat", "fd00::ff-fd00::101"), 0);
	ck_assert(addr_is(&c.nat, "fd00::ff"));
	ck_assert_uint_eq(c.n_nat_pool, 2);
	ck_assert(addr_is(&c.nat_pool[1], "fd00::101"));
	bad1("--nat", "10.0.0.5-10.0.0.4", "from low to high");
	bad1("--nat", "10.0.0.5-fd00::4", "in one address family");
	bad1("--nat", "10.0.0.5-", "expected an IPv4 or IPv6 address or a range");
	bad1("--nat", "10.0.0.0-10.0.1.0", "at most 256 NAT addresses");
	ck_assert_int_eq(ARGS(&c, "--nat", "10.0.0.2", "--nat", "10.0.0.1-10.0.0.3"), -EINVAL);
	assert_err_has("a NAT address given before it again");

	ck_assert_int_eq(ARGS(&c, "--metrics-listen", "[::1]:9100"), 0);
	ck_assert(c.metrics_listen.set);
	ck_assert(addr_is(&c.metrics_listen.addr, "::1"));
	ck_assert_uint_eq(c.metrics_listen.port, 9100);
	ck_assert_int_eq(ARGS(&c, "--metrics-listen", "127.0.0.1:9100",
			      "--metrics-listen", ""), 0);
	ck_assert(!c.metrics_listen.set);
	bad1("--metrics-listen", "127.0.0.1", "expected ADDR:PORT");
	bad1("--metrics-listen", "127.0.0.1:9100-9200", "port must be 1-65535");
}
END_TEST

START_TEST(test_port_range)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--nat-ports", "1024-2047"), 0);
	ck_assert_uint_eq(c.nat_port_lo, 1024);
	ck_assert_uint_eq(c.nat_port_hi, 2047);
	ck_assert_int_eq(ARGS(&c, "--nat-ports", "5000-5000"), 0);
	bad1("--nat-ports", "30000-20000", "range is reversed (30000 > 20000)");
	bad1("--nat-ports", "0-10", "expected a port range LO-HI");
	bad1("--nat-ports", "1000-70000", "ports 1-65535");
	bad1("--nat-ports", "20000", "expected a port range LO-HI");
	bad1("--nat-ports", "-5", "expected a port range LO-HI");
}
END_TEST

START_TEST(test_vip)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--vip", "203.0.113.10:8420", "--vip",
			      "203.0.113.10:40000-50000", "--vip",
			      "[2001:db8::1]:9000-9001", "--vip",
			      "[::ffff:198.51.100.1]:1"), 0);
	ck_assert_uint_eq(c.n_vips, 4);
	ck_assert(addr_is(&c.vips[0].addr, "203.0.113.10"));
	ck_assert_uint_eq(c.vips[0].port_lo, 8420);
	ck_assert_uint_eq(c.vips[0].port_hi, 8420);
	ck_assert_uint_eq(c.vips[1].port_lo, 40000);
	ck_assert_uint_eq(c.vips[1].port_hi, 50000);
	ck_assert(addr_is(&c.vips[2].addr, "2001:db8::1"));
	ck_assert_uint_eq(c.vips[2].port_lo, 9000);
	ck_assert_uint_eq(c.vips[2].port_hi, 9001);
	/* An IPv4-mapped literal is IPv4. */
	ck_assert(wgw_addr_is_v4(&c.vips[3].addr));

	bad1("--vip", "2001:db8::1:8420", "an IPv6 address needs brackets");
	bad1("--vip", "203.0.113.10", "expected ADDR:PORT[-PORT]");
	bad1("--vip", "203.0.113.10:", "expected ADDR:PORT[-PORT]");
	bad1("--vip", "203.0.113.10:0", "port must be 1-65535");
	bad1("--vip", "203.0.113.10:65536", "port must be 1-65535");
	bad1("--vip", "203.0.113.10:http", "port must be 1-65535");
	bad1("--vip", "203.0.113.10:9-8", "port range is reversed (9 > 8)");
	bad1("--vip", "203.0.113.10:9-", "ports must be 1-65535");
	bad1("--vip", "203.0.113.300:80", "'203.0.113.300' is not an IPv4 or IPv6 address");
	bad1("--vip", "[203.0.113.1]:80", "brackets are for IPv6 addresses only");
	bad1("--vip", "[2001:db8::1:80", "IPv6 as [ADDR]:PORT");
	bad1("--vip", "[2001:db8::1]80", "IPv6 as [ADDR]:PORT");
	bad1("--vip", "[]:80", "brackets are for IPv6 addresses only");
	bad1("--vip", ":80", "is not an IPv4 or IPv6 address");

	/* Overlap with a VIP given before. */
	ck_assert_int_eq(ARGS(&c, "--vip", "203.0.113.10:8000-8500", "--vip",
			      "203.0.113.10:8420"), -EINVAL);
	assert_err_has("--vip '203.0.113.10:8420': overlaps");
}
END_TEST

START_TEST(test_vip_max)
{
	struct wgw_config c;
	char *argv[2 * WGW_MAX_VIPS + 4];
	char vals[WGW_MAX_VIPS + 1][32];
	int argc = 0, i;

	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	argv[argc++] = "wraith-gatewayd";
	for (i = 0; i <= WGW_MAX_VIPS; i++) {
		snprintf(vals[i], sizeof(vals[i]), "192.0.2.1:%d", 1000 + i);
		argv[argc++] = "--vip";
		argv[argc++] = vals[i];
	}
	argv[argc] = NULL;
	/* 16 fit ... */
	ck_assert_int_eq(wgw_config_parse_args(&c, argc - 2, argv, err,
					       sizeof(err)), 0);
	ck_assert_uint_eq(c.n_vips, WGW_MAX_VIPS);
	/* ... the 17th does not. */
	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	ck_assert_int_eq(wgw_config_parse_args(&c, argc, argv, err,
					       sizeof(err)), -EINVAL);
	assert_err_has("--vip '192.0.2.1:1016': at most 16 service addresses");
}
END_TEST

START_TEST(test_backend)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--backend", "10.0.0.11:8420", "--backend",
			      "10.0.0.12:8420@50", "--backend",
			      "[fd00::12]:8421@65535", "--backend",
			      "10.0.0.11:8421@1"), 0);
	ck_assert_uint_eq(c.n_backends, 4);
	ck_assert(addr_is(&c.backends[0].addr, "10.0.0.11"));
	ck_assert_uint_eq(c.backends[0].port, 8420);
	ck_assert_uint_eq(c.backends[0].weight, WGW_BACKEND_WEIGHT_DEFAULT);
	ck_assert_uint_eq(c.backends[0].weight, 100);
	ck_assert_uint_eq(c.backends[1].weight, 50);
	ck_assert(addr_is(&c.backends[2].addr, "fd00::12"));
	ck_assert_uint_eq(c.backends[2].port, 8421);
	ck_assert_uint_eq(c.backends[2].weight, 65535);
	ck_assert_uint_eq(c.backends[3].weight, 1);

	bad1("--backend", "10.0.0.1:70000", "port must be 1-65535");
	bad1("--backend", "10.0.0.1:8420@0", "weight must be 1-65535");
	bad1("--backend", "10.0.0.1:8420@65536", "weight must be 1-65535");
	bad1("--backend", "10.0.0.1:8420@", "weight must be 1-65535");
	bad1("--backend", "10.0.0.1:8420@x", "weight must be 1-65535");
	bad1("--backend", "10.0.0.1:8420-8421", "port must be 1-65535");
	bad1("--backend", "fd00::1:8420", "needs brackets");
	bad1("--backend", "10.0.0.1", "expected ADDR:PORT");
	bad1("--backend", "[::ffff:10.0.0.1]:8420",
	     "an IPv4-mapped IPv6 address: write the IPv4 address itself");

	ck_assert_int_eq(ARGS(&c, "--backend", "10.0.0.1:8420", "--backend",
			      "10.0.0.1:8420@7"), -EINVAL);
	assert_err_has("--backend '10.0.0.1:8420@7': backend given twice");
}
END_TEST

START_TEST(test_session_store)
{
	struct wgw_config c;
	char buf[512];
	const struct wgw_option *o = wgw_option_find("session-store");

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(ARGS(&c, "--session-store", "redis://10.0.0.5:6379", "--session-store",
			      "redis://[2001:db8::5]:6380", "--session-store",
			      "redis://redis-a.example.net:6381"), 0);
	ck_assert_uint_eq(c.n_stores, 3);
	ck_assert_str_eq(c.stores[0].host, "10.0.0.5");
	ck_assert_uint_eq(c.stores[0].port, 6379);
	ck_assert_str_eq(c.stores[1].host, "2001:db8::5");
	ck_assert_uint_eq(c.stores[1].port, 6380);
	ck_assert_str_eq(c.stores[2].host, "redis-a.example.net");
	/* printed as given, IPv6 in brackets again */
	ck_assert_str_eq(wgw_option_value_at(&c, o, 1, buf, sizeof(buf)),
			 "redis://[2001:db8::5]:6380");
	ck_assert_uint_eq(c.store_timeout_ms, 50);
	ck_assert_uint_eq(c.store_lookup_rate, 10000);

	bad1("--session-store", "10.0.0.5:6379", "expected redis://HOST:PORT");
	bad1("--session-store", "rediss://10.0.0.5:6379", "expected redis://HOST:PORT");
	bad1("--session-store", "redis://10.0.0.5", "expected redis://HOST:PORT");
	bad1("--session-store", "redis://10.0.0.5:0", "port must be 1-65535");
	bad1("--session-store", "redis://10.0.0.5:6379/0", "port must be 1-65535 (and no path)");
	bad1("--session-store", "redis://2001:db8::5:6379", "an IPv6 address as [ADDR]");
	bad1("--session-store", "redis://[2001:db8::5:6379", "expected redis://[IPv6]:PORT");
	bad1("--session-store", "redis://[10.0.0.5]:6379", "not an IPv6 address");
	bad1("--session-store", "redis://a b:6379", "letters, digits");
	ck_assert_int_eq(ARGS(&c, "--session-store", "redis://10.0.0.5:6379", "--session-store",
			      "redis://10.0.0.5:6379"), -EINVAL);
	assert_err_has("session store given twice");
	bad1("--session-store-timeout", "0", "expected an integer 1-10000");
}
END_TEST

START_TEST(test_cpulist)
{
	struct wgw_config c;
	char buf[128];
	int i;

	ck_assert_int_eq(ARGS(&c, "--cpus", "0-3,6"), 0);
	ck_assert_uint_eq(c.n_cpus, 5);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(!!CPU_ISSET(i, &c.cpus), i <= 3 || i == 6);
	ck_assert_str_eq(wgw_cpulist_str(&c.cpus, buf, sizeof(buf)), "0-3,6");
	ck_assert_int_eq(ARGS(&c, "--cpus", "5,1,1,2"), 0);
	ck_assert_uint_eq(c.n_cpus, 3);
	ck_assert_str_eq(wgw_cpulist_str(&c.cpus, buf, sizeof(buf)), "1-2,5");
	ck_assert_int_eq(ARGS(&c, "--cpus", "1023"), 0);
	ck_assert_str_eq(wgw_cpulist_str(&c.cpus, buf, sizeof(buf)), "1023");

	bad1("--cpus", "3-1", "CPU range 3-1 is reversed");
	bad1("--cpus", "0,,1", "expected CPU numbers and ranges");
	bad1("--cpus", "a", "expected CPU numbers and ranges");
	bad1("--cpus", "1-", "expected CPU numbers and ranges");
	bad1("--cpus", "0-3,", "expected CPU numbers and ranges");
	bad1("--cpus", "1024", "CPU numbers must be 0-1023");
}
END_TEST

START_TEST(test_bool_count)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--syslog", "-f", "--keep-offloads"), 0);
	ck_assert(c.syslog && c.foreground && c.keep_offloads);
	ck_assert_int_eq(ARGS(&c, "--foreground=no", "--syslog=yes"), 0);
	ck_assert(!c.foreground && c.syslog);
	ck_assert_int_eq(ARGS(&c, "--syslog=maybe"), -EINVAL);
	assert_err_has("--syslog 'maybe': expected yes or no");

	ck_assert_int_eq(ARGS(&c, "-vvv"), 0);
	ck_assert_uint_eq(c.verbose, 3);
	ck_assert_int_eq(ARGS(&c, "-v", "--verbose", "-fv"), 0);
	ck_assert_uint_eq(c.verbose, 3);
	ck_assert(c.foreground);
	ck_assert_int_eq(ARGS(&c, "-vvvvvvvv"), 0);
	ck_assert_uint_eq(c.verbose, 4);	/* saturates */
}
END_TEST

START_TEST(test_cli_errors)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, "--bogus"), -EINVAL);
	assert_err_has("unknown option '--bogus'");
	ck_assert_int_eq(ARGS(&c, "-x"), -EINVAL);
	assert_err_has("unknown option '-x'");
	ck_assert_int_eq(ARGS(&c, "--wan"), -EINVAL);
	assert_err_has("option '--wan' needs a value: IFACE");
	ck_assert_int_eq(ARGS(&c, "-c"), -EINVAL);
	assert_err_has("needs a value: FILE");
	ck_assert_int_eq(ARGS(&c, "--wan", "eth0", "stray"), -EINVAL);
	assert_err_has("unexpected argument 'stray'");
	ck_assert_int_eq(ARGS(&c, "--syslog=1", "--json=2"), -EINVAL);
	assert_err_has("--json '2'");

	/* --help and --version win over everything, without reading -c. */
	ck_assert_int_eq(ARGS(&c, "--bogus", "-c", "/nonexistent", "--help"),
			 WGW_CONFIG_HELP);
	ck_assert_int_eq(ARGS(&c, "-h"), WGW_CONFIG_HELP);
	ck_assert_int_eq(ARGS(&c, "-V", "-c", "/nonexistent"),
			 WGW_CONFIG_VERSION);
	ck_assert_int_eq(ARGS(&c, "--version", "--help"), WGW_CONFIG_HELP);

	/* Actions */
	ck_assert_int_eq(ARGS(&c, "--probe", "eth9", "--json"), 0);
	ck_assert_str_eq(c.probe, "eth9");
	ck_assert(c.json);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(ARGS(&c, "--check-config"), 0);
	ck_assert(c.check_config);
}
END_TEST

/* ---- config file ---- */

START_TEST(test_file_basic)
{
	struct wgw_config c;

	ck_assert_int_eq(load(&c,
		"# wraith-gateway\n"
		"; another comment\n"
		"\n"
		"[gateway]\n"
		"wan = eth0\n"
		"  lan=eth1   # inline comment\n"
		"\tvip = 203.0.113.10:8420 ; inline comment\n"
		"vip = 203.0.113.10:40000-50000\n"
		"backend = 10.0.0.11:8420@10\n"
		"    backend = 10.0.0.12:8420\n"
		"nat = 10.0.0.2\n"
		"mode = xdp-copy\n"
		"keep-offloads = yes\n"
		"syslog = off\n"
		"verbose = 2\n"
		"cpus = 0\n"
		"pidfile =\n"
		"control-socket = /run/x#y.sock\n"), 0);
	ck_assert_str_eq(c.wan, "eth0");
	ck_assert_str_eq(c.lan, "eth1");
	ck_assert_uint_eq(c.n_vips, 2);
	ck_assert_uint_eq(c.vips[1].port_hi, 50000);
	ck_assert_uint_eq(c.n_backends, 2);
	ck_assert_uint_eq(c.backends[0].weight, 10);
	ck_assert_uint_eq(c.backends[1].weight, 100);
	ck_assert(addr_is(&c.nat, "10.0.0.2"));
	ck_assert_int_eq(c.mode, WGW_MODE_XDP_COPY);
	ck_assert(c.keep_offloads && !c.syslog);
	ck_assert_uint_eq(c.verbose, 2);
	ck_assert_uint_eq(c.n_cpus, 1);
	ck_assert_str_eq(c.pidfile, "");
	/* '#' not after whitespace is part of the value */
	ck_assert_str_eq(c.control_socket, "/run/x#y.sock");
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);

	/* No section at all is fine too; an empty file is fine. */
	ck_assert_int_eq(load(&c, "wan = eth0\n"), 0);
	ck_assert_str_eq(c.wan, "eth0");
	ck_assert_int_eq(load(&c, ""), 0);
	/* CRLF line ends */
	ck_assert_int_eq(load(&c, "[gateway]\r\nwan = eth3\r\n"), 0);
	ck_assert_str_eq(c.wan, "eth3");
}
END_TEST

START_TEST(test_file_errors)
{
	struct wgw_config c;
	const char *path;
	char want[512];
	char longline[300];

	/* A value the printer could not write back ("key = ;" is a comment):
	 * found by the config fuzz target. */
	ck_assert_int_eq(load(&c, "control-socket =;\n"), -EINVAL);
	assert_err_has(":1: control-socket ';': expected a path");
	ck_assert_int_eq(load(&c, "pidfile =#x\n"), -EINVAL);
	assert_err_has(":1: pidfile '#x': expected a path");

	/* Unknown key: line number */
	ck_assert_int_eq(load(&c, "[gateway]\nwan = eth0\n\nbogus = 1\n"),
			 -EINVAL);
	assert_err_has(":4: unknown key 'bogus' (see wraith-gateway.conf(5))");
	ck_assert_int_eq(load(&c, "max_sessions = 4096\n"), -EINVAL);
	assert_err_has(":1: unknown key 'max_sessions' (did you mean 'max-sessions'?)");
	ck_assert_int_eq(load(&c, "WAN = eth0\n"), -EINVAL);
	assert_err_has("(did you mean 'wan'?)");
	/* Typos by edit distance; nothing when two keys are as near. */
	ck_assert_int_eq(load(&c, "sesion-timeout = 60\n"), -EINVAL);
	assert_err_has("unknown key 'sesion-timeout' (did you mean 'session-timeout'?)");
	ck_assert_int_eq(load(&c, "headrom = 0\n"), -EINVAL);
	assert_err_has("(did you mean 'headroom'?)");
	ck_assert_int_eq(load(&c, "xx-ring = 64\n"), -EINVAL);
	assert_err_has("unknown key 'xx-ring' (see wraith-gateway.conf(5))");
	/* A command-line action is never suggested for a file key. */
	ck_assert_int_eq(load(&c, "prob = eth0\n"), -EINVAL);
	assert_err_has("unknown key 'prob' (see wraith-gateway.conf(5))");

	/* The exact message for a bad value, with file and line. */
	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	path = write_file("# x\n#\n#\n#\n#\n#\n#\n#\n#\n#\n[gateway]\n"
			  "backend = 10.0.0.1:70000\n");
	ck_assert_int_eq(wgw_config_load_file(&c, path, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "config %s:12: backend '10.0.0.1:70000': port must be 1-65535",
		 path);
	ck_assert_str_eq(err, want);

	/* A scalar key twice is an error (not silently last-wins). */
	ck_assert_int_eq(load(&c, "wan = eth0\nlan = eth1\nwan = eth2\n"),
			 -EINVAL);
	assert_err_has(":3: wan given twice (first on line 1)");
	/* Repeatables append. */
	ck_assert_int_eq(load(&c, "vip = 192.0.2.1:1\nvip = 192.0.2.1:2\n"
				  "vip = 192.0.2.1:3\n"), 0);
	ck_assert_uint_eq(c.n_vips, 3);

	/* Indented lines are not continuations of the previous value. */
	ck_assert_int_eq(load(&c, "[gateway]\n  wan = eth0\n  lan = eth1\n"),
			 0);
	ck_assert_str_eq(c.wan, "eth0");
	ck_assert_str_eq(c.lan, "eth1");

	ck_assert_int_eq(load(&c, "[gateway]\nwan = eth0\n[backends]\n"
				  "backend = 10.0.0.1:1\n"), -EINVAL);
	assert_err_has(":4: unknown section [backends]");

	ck_assert_int_eq(load(&c, "wan = eth0\nprobe = eth0\n"), -EINVAL);
	assert_err_has(":2: 'probe' is valid on the command line only");
	ck_assert_int_eq(load(&c, "config = /etc/x\n"), -EINVAL);
	assert_err_has(":1: 'config' is valid on the command line only");

	/* Syntax errors found by inih carry its line number. */
	ck_assert_int_eq(load(&c, "wan = eth0\n\njust some words\n"), -EINVAL);
	assert_err_has(":3: expected 'key = value'");
	ck_assert_int_eq(load(&c, "[gateway\nwan = eth0\n"), -EINVAL);
	assert_err_has(":1: expected 'key = value'");

	/* Whichever comes first is reported. */
	ck_assert_int_eq(load(&c, "mode = fast\nwords\n"), -EINVAL);
	assert_err_has(":1: mode 'fast': expected one of auto");
	ck_assert_int_eq(load(&c, "words\nmode = fast\n"), -EINVAL);
	assert_err_has(":1: expected 'key = value'");

	ck_assert_int_eq(load(&c, "mode =\n"), -EINVAL);
	assert_err_has(":1: mode '': expected one of");
	ck_assert_int_eq(load(&c, "syslog = sometimes\n"), -EINVAL);
	assert_err_has(":1: syslog 'sometimes': expected yes or no");
	ck_assert_int_eq(load(&c, "verbose = 9\n"), -EINVAL);
	assert_err_has(":1: verbose '9': expected an integer 0-4");

	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "pidfile = /", 11);
	{
		char text[400];

		snprintf(text, sizeof(text), "wan = eth0\n%s\nlan = eth1\n",
			 longline);
		ck_assert_int_eq(load(&c, text), -EINVAL);
		assert_err_has(":2: line too long");
	}

	/* Missing file */
	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	ck_assert_int_eq(wgw_config_load_file(&c, "/nonexistent/wgw.conf",
					      err, sizeof(err)), -ENOENT);
	assert_err_has("config /nonexistent/wgw.conf: cannot open:");
}
END_TEST

/*
 * Regular files only, of bounded size: a FIFO is refused without blocking
 * (the test's timeout catches a hang), a symlink to /dev/zero without a
 * read, a directory and an oversized file with the reason.  --check-config
 * and reload go through the same loader.
 */
START_TEST(test_file_kinds)
{
	struct wgw_config c;
	char path[256], want[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	ck_assert_int_eq(wgw_config_load_file(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "config %s: a FIFO: expected a regular file", path);
	ck_assert_str_eq(err, want);

	snprintf(path, sizeof(path), "%s/zero.conf", tmpdir);
	ck_assert_int_eq(symlink("/dev/zero", path), 0);
	ck_assert_int_eq(wgw_config_load_file(&c, path, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "config %s: a character device: expected a regular file", path);
	ck_assert_str_eq(err, want);

	ck_assert_int_eq(wgw_config_load_file(&c, tmpdir, err, sizeof(err)), -EINVAL);
	assert_err_has(": a directory: expected a regular file");

	/* Exactly the bound is read; one byte more is refused. */
	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("wan = eth0\n", f);
	for (long n = 11; n < WGW_CONFIG_MAX_BYTES; n += 64)
		fprintf(f, "%.*s\n", (int)(WGW_CONFIG_MAX_BYTES - n < 64 ?
					    WGW_CONFIG_MAX_BYTES - n - 1 : 63),
			"#..............................................................");
	ck_assert_int_eq(ftell(f), WGW_CONFIG_MAX_BYTES);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	ck_assert_msg(wgw_config_load_file(&c, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.wan, "eth0");
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("#", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	ck_assert_int_eq(wgw_config_load_file(&c, path, err, sizeof(err)), -EFBIG);
	snprintf(want, sizeof(want),
		 "config %s: larger than %d bytes: not a configuration file", path,
		 WGW_CONFIG_MAX_BYTES);
	ck_assert_str_eq(err, want);

	/* Through the command line (what --check-config runs) as well. */
	snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
	ck_assert_int_eq(ARGS(&c, "-c", path), -EINVAL);
	assert_err_has(": a FIFO: expected a regular file");
}
END_TEST

START_TEST(test_cli_over_file)
{
	struct wgw_config c;
	const char *path;

	path = write_file("[gateway]\n"
			  "wan = eth0\n"
			  "mode = xdp-copy\n"
			  "vip = 203.0.113.10:8420\n"
			  "vip = 203.0.113.11:8420\n"
			  "backend = 10.0.0.11:8420\n"
			  "nat = 10.0.0.2\n"
			  "verbose = 3\n"
			  "syslog = yes\n");
	/* -c anywhere: the file is read first, the options override it. */
	ck_assert_int_eq(ARGS(&c, "--wan", "eth1", "--vip", "198.51.100.1:9000",
			      "-c", (char *)path, "-v", "--syslog=no"), 0);
	ck_assert_str_eq(c.config_file, path);
	ck_assert_str_eq(c.wan, "eth1");
	ck_assert_int_eq(c.mode, WGW_MODE_XDP_COPY);	/* from the file */
	ck_assert_uint_eq(c.n_vips, 1);			/* replaced */
	ck_assert(addr_is(&c.vips[0].addr, "198.51.100.1"));
	ck_assert_uint_eq(c.n_backends, 1);		/* kept */
	ck_assert_uint_eq(c.verbose, 1);		/* replaced */
	ck_assert(!c.syslog);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);

	/* A relative -c is remembered as an absolute path (for SIGHUP after
	 * the daemon has changed to /). */
	{
		char cwd[1024];

		ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
		ck_assert_int_eq(chdir(tmpdir), 0);
		ck_assert_int_eq(ARGS(&c, "-c", (char *)strrchr(path, '/') + 1),
				 0);
		ck_assert_str_eq(c.config_file, path);
		ck_assert_int_eq(chdir(cwd), 0);
	}

	/* Without command-line VIPs the file's list stays. */
	ck_assert_int_eq(ARGS(&c, "-c", (char *)path), 0);
	ck_assert_uint_eq(c.n_vips, 2);
	ck_assert_uint_eq(c.verbose, 3);

	/* Errors in the file come back from parse_args. */
	path = write_file("wan = eth0\nqueues = many\n");
	ck_assert_int_eq(ARGS(&c, "--config", (char *)path), -EINVAL);
	assert_err_has(":2: queues 'many': expected all or 1-1024");
	ck_assert_int_eq(ARGS(&c, "-c", "/nonexistent/x.conf"), -ENOENT);
	assert_err_has("/nonexistent/x.conf: cannot open");
}
END_TEST

/* ---- checks across options ---- */

START_TEST(test_validate_good)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, GOOD_V4), 0);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(ARGS(&c, "--wan", "wan0", "--lan", "lan0", "--vip",
			      "[2001:db8::10]:8420", "--vip",
			      "[2001:db8::10]:40000-50000", "--backend",
			      "[fd00::11]:8420@3", "--backend", "[fd00::12]:8420",
			      "--nat", "fd00::2", "--nat-ports", "1024-1999"),
			 0);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);
	/* A VIP on the NAT address is fine outside the NAT ports. */
	ck_assert_int_eq(ARGS(&c, GOOD_V4, "--vip", "10.0.0.2:8420"), 0);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);
	/* CPU 0 is always there; CPU 1023 is not (no test box has 1024). */
	ck_assert_int_eq(ARGS(&c, GOOD_V4, "--cpus", "0"), 0);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);
}
END_TEST

/* cpus = 5 on a 2-CPU machine used to pass --check-config and only warn
 * when the worker failed to pin itself. */
START_TEST(test_validate_cpus)
{
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, GOOD_V4, "--cpus", "0,1023"), 0);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("--cpus: CPU 1023 is not available");
}
END_TEST

static void bad_config(const char *expect, ...)
{
	struct wgw_config c;
	char *argv[MAX_ARGS];
	int argc = 0;
	va_list ap;
	char *a;

	ck_assert_int_eq(wgw_config_defaults(&c), 0);
	argv[argc++] = "wraith-gatewayd";
	va_start(ap, expect);
	while ((a = va_arg(ap, char *)) && argc < MAX_ARGS - 1)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	ck_assert_int_eq(wgw_config_parse_args(&c, argc, argv, err,
					       sizeof(err)), 0);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has(expect);
}

#define BAD(expect, ...) bad_config(expect, __VA_ARGS__, (char *)NULL)

START_TEST(test_validate_bad)
{
	BAD("no --wan interface", "--vip", "192.0.2.1:1", "--backend",
	    "10.0.0.1:1", "--nat", "10.0.0.2");
	BAD("no --vip", "--wan", "e0", "--backend", "10.0.0.1:1", "--nat",
	    "10.0.0.2");
	BAD("no --backend", "--wan", "e0", "--vip", "192.0.2.1:1", "--nat",
	    "10.0.0.2");
	BAD("no --nat address", "--wan", "e0", "--vip", "192.0.2.1:1",
	    "--backend", "10.0.0.1:1");

	/* One address family for everything. */
	BAD("mixed address families: --nat 10.0.0.2 is IPv4 but --backend [fd00::11]:8420 is IPv6",
	    GOOD_V4, "--backend", "[fd00::11]:8420");
	BAD("mixed address families: --nat 10.0.0.2 is IPv4 but --vip [2001:db8::1]:80 is IPv6",
	    GOOD_V4, "--vip", "[2001:db8::1]:80");
	BAD("mixed address families: --nat fd00::2 is IPv6 but --vip 203.0.113.10:8420 is IPv4",
	    "--wan", "e0", "--vip", "203.0.113.10:8420", "--backend", "10.0.0.11:8420",
	    "--nat", "fd00::2");
	BAD("mixed address families: --nat 10.0.0.2 is IPv4 but --nat fd00::2 is IPv6; the NAT pool must be of one family",
	    GOOD_V4, "--nat", "fd00::2");
	BAD("--backend '10.0.0.5:8420': a NAT address", GOOD_V4, "--nat", "10.0.0.4-10.0.0.6",
	    "--backend", "10.0.0.5:8420");
	BAD("--nat '203.0.113.10' is also a --vip address", GOOD_V4, "--nat", "203.0.113.10");

	/* Ports */
	BAD("--vip '10.0.0.2:30000' overlaps --nat-ports 20000-59999",
	    GOOD_V4, "--vip", "10.0.0.2:30000");
	BAD("--vip '10.0.0.2:1000-20000' overlaps --nat-ports",
	    GOOD_V4, "--vip", "10.0.0.2:1000-20000");
	BAD("overlaps --nat-ports 100-200", GOOD_V4, "--vip", "10.0.0.2:200",
	    "--nat-ports", "100-200");

	/* Addresses that cannot be peers */
	BAD("--vip '0.0.0.0:80': expected a unicast address", GOOD_V4,
	    "--vip", "0.0.0.0:80");
	BAD("--backend '224.0.0.1:80': expected a unicast address", GOOD_V4,
	    "--backend", "224.0.0.1:80");
	BAD("--nat '255.255.255.255': expected a unicast address", GOOD_V4,
	    "--nat", "255.255.255.255");
	BAD("--backend '[ff02::1]:80': expected a unicast address",
	    "--wan", "e0", "--vip", "[2001:db8::1]:1", "--nat", "fd00::2",
	    "--backend", "[ff02::1]:80");
	BAD("--backend '10.0.0.2:8420': the NAT address", GOOD_V4,
	    "--backend", "10.0.0.2:8420");
	/* The gateway's own addresses, loopback, link-local, broadcast: a
	 * backend there would loop or go nowhere. */
	BAD("--backend '203.0.113.10:8420': a VIP address", GOOD_V4,
	    "--backend", "203.0.113.10:8420");
	BAD("--backend '203.0.113.10:1': a VIP address", GOOD_V4,
	    "--backend", "203.0.113.10:1");
	BAD("--backend '[2001:db8::1]:9': a VIP address",
	    "--wan", "e0", "--vip", "[2001:db8::1]:1", "--nat", "fd00::2",
	    "--backend", "[2001:db8::1]:9");
	BAD("--backend '255.255.255.255:80': expected a unicast address, not the broadcast address",
	    GOOD_V4, "--backend", "255.255.255.255:80");
	BAD("--backend '0.0.0.0:80': expected a unicast address, not the unspecified address",
	    GOOD_V4, "--backend", "0.0.0.0:80");
	BAD("--backend '127.0.0.1:80': a loopback address", GOOD_V4,
	    "--backend", "127.0.0.1:80");
	BAD("--backend '[::1]:80': a loopback address",
	    "--wan", "e0", "--vip", "[2001:db8::1]:1", "--nat", "fd00::2",
	    "--backend", "[::1]:80");
	BAD("--backend '169.254.0.7:80': a link-local address", GOOD_V4,
	    "--backend", "169.254.0.7:80");
	BAD("--backend '[fe80::1]:80': a link-local address",
	    "--wan", "e0", "--vip", "[2001:db8::1]:1", "--nat", "fd00::2",
	    "--backend", "[fe80::1]:80");

	/* Frame and ring geometry */
	BAD("--headroom 275: with --frame-size 2048 at most 274 bytes fit",
	    GOOD_V4, "--headroom", "275");
	BAD("--batch 64 is larger than --rx-ring 32", GOOD_V4, "--rx-ring",
	    "32");
	BAD("--umem-frames 100: expected 0 (computed) or at least --fill-ring + --batch = 2112",
	    GOOD_V4, "--umem-frames", "100");
	BAD("--json is only meaningful with --probe", GOOD_V4, "--json");
	BAD("--control-socket 'rel.sock': expected an absolute path",
	    GOOD_V4, "--control-socket", "rel.sock");
	BAD("--pidfile 'x.pid': expected an absolute path", GOOD_V4,
	    "--pidfile", "x.pid");
}
END_TEST

START_TEST(test_validate_struct)
{
	/* validate() holds on its own for structs built another way (e.g. a
	 * reload or the control socket), not only through the parsers. */
	struct wgw_config c;

	ck_assert_int_eq(ARGS(&c, GOOD_V4, "--backend", "10.0.0.12:1"), 0);
	c.backends[1] = c.backends[0];
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("--backend '10.0.0.11:8420' is given twice");

	ck_assert_int_eq(ARGS(&c, GOOD_V4, "--vip", "203.0.113.10:1-10"), 0);
	c.vips[1].port_lo = 8000;
	c.vips[1].port_hi = 9000;
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("overlaps --vip '203.0.113.10:8420'");

	/* Port 0 and a VIP address, set behind the parsers' back. */
	ck_assert_int_eq(ARGS(&c, GOOD_V4), 0);
	c.backends[0].port = 0;
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("--backend '10.0.0.11:0': port must be 1-65535");
	ck_assert_int_eq(ARGS(&c, GOOD_V4), 0);
	c.backends[0].addr = c.vips[0].addr;
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("--backend '203.0.113.10:8420': a VIP address");

	ck_assert_int_eq(ARGS(&c, GOOD_V4), 0);
	c.backends[0].weight = 0;
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("weight must be 1-65535");

	ck_assert_int_eq(ARGS(&c, GOOD_V4), 0);
	c.rx_ring = 1000;
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("--rx-ring 1000: expected a power of two");

	ck_assert_int_eq(ARGS(&c, GOOD_V4), 0);
	c.frame_size = 3000;
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("--frame-size 3000: expected 2048 or 4096");

	ck_assert_int_eq(ARGS(&c, GOOD_V4, "--frame-size", "4096",
			      "--headroom", "2322"), 0);
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), 0);
	c.headroom = 2323;
	ck_assert_int_eq(wgw_config_validate(&c, err, sizeof(err)), -EINVAL);
	assert_err_has("at most 2322 bytes fit");
}
END_TEST

/* ---- generated help, printing ---- */

static char *capture_usage(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	ck_assert_ptr_nonnull(f);
	wgw_config_usage(f, "wraith-gatewayd");
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(test_usage)
{
	size_t len, i;
	char *buf = capture_usage(&len);
	char want[64];
	const char *line;

	ck_assert(strstr(buf, "Usage: wraith-gatewayd [-c FILE]") == buf);
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		snprintf(want, sizeof(want), "--%s", o->name);
		ck_assert_msg(strstr(buf, want), "--help lacks %s", want);
		if (o->short_name) {
			snprintf(want, sizeof(want), "-%c, --%s",
				 o->short_name, o->name);
			ck_assert_msg(strstr(buf, want), "--help lacks %s",
				      want);
		}
	}
	ck_assert(strstr(buf, "--mode auto|xdp-zerocopy|xdp-copy|xdp-generic|fallback"));
	ck_assert(strstr(buf, "--vip ADDR:PORT[-PORT]"));
	ck_assert(strstr(buf, "(default: 20000-59999)"));
	ck_assert(strstr(buf, "(default: 1048576)"));
	/* Every line fits in 79 columns. */
	for (line = buf; *line;) {
		const char *nl = strchr(line, '\n');

		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(nl - line <= 79, "long help line: %.*s",
			      (int)(nl - line), line);
		line = nl + 1;
	}
	free(buf);
}
END_TEST

static char *print_config(const struct wgw_config *c)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	wgw_config_print(c, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

START_TEST(test_print_roundtrip)
{
	struct wgw_config a, b;
	char *pa, *pb;

	ck_assert_int_eq(ARGS(&a, "--wan", "wan0", "--lan", "lan0", "--vip",
			      "[2001:db8::10]:8420", "--vip",
			      "[2001:db8::10]:40000-50000", "--backend",
			      "[fd00::11]:8420@3", "--backend", "[fd00::12]:8420",
			      "--nat", "fd00::2", "--nat-ports", "1024-1999",
			      "--mode", "xdp-copy", "--lan-mode", "fallback",
			      "--queues", "2", "--cpus", "0",
			      "--max-sessions", "4096", "--wait", "spin",
			      "--coalesce", "high-throughput",
			      "--keep-offloads", "--control-mode", "0640",
			      "--pidfile", "", "--syslog", "--metrics-listen",
			      "[::1]:9100", "-vv", "-f"), 0);
	pa = print_config(&a);
	ck_assert(strstr(pa, "\nvip = [2001:db8::10]:40000-50000\n"));
	ck_assert(strstr(pa, "\nbackend = [fd00::11]:8420@3\n"));
	ck_assert(strstr(pa, "\ncpus = 0\n"));
	ck_assert(strstr(pa, "\ncontrol-mode = 0640\n"));
	ck_assert(strstr(pa, "\nwan-mode =\n"));
	ck_assert(!strstr(pa, "probe"));	/* command-line only */

	ck_assert_int_eq(load(&b, pa), 0);
	pb = print_config(&b);
	ck_assert_str_eq(pa, pb);
	ck_assert_int_eq(wgw_config_validate(&b, err, sizeof(err)), 0);
	ck_assert_int_eq(b.lan_mode, WGW_MODE_FALLBACK);
	ck_assert_int_eq(b.wan_mode, WGW_MODE_INHERIT);
	free(pa);
	free(pb);

	/* Defaults round-trip too. */
	ck_assert_int_eq(wgw_config_defaults(&a), 0);
	pa = print_config(&a);
	ck_assert_int_eq(load(&b, pa), 0);
	pb = print_config(&b);
	ck_assert_str_eq(pa, pb);
	free(pa);
	free(pb);
}
END_TEST

/*
 * Random values for every option: nothing crashes (run under ASan/valgrind
 * in CI), a refused value always gets a message that quotes it, and an
 * accepted one survives print -> load -> print unchanged.
 */
START_TEST(test_random_values)
{
	static const char alphabet[] = "0123456789.:[]-@,abcdefx/ ";
	struct wgw_config a, b;
	const char *env = getenv("WGW_TEST_SEED");
	unsigned int seed = env ? (unsigned int)strtoul(env, NULL, 0) : 12345;
	unsigned int accepted = 0;
	size_t i;
	int round;

	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		char opt[64];

		if ((o->flags & WGW_OPTF_CLI) || o->type == WGW_OPT_BOOL ||
		    o->type == WGW_OPT_COUNT)
			continue;
		snprintf(opt, sizeof(opt), "--%s", o->name);
		for (round = 0; round < 400; round++) {
			char val[24], quoted[128];
			int n = rand_r(&seed) % 20, k, ret;
			char *pa, *pb;

			for (k = 0; k < n; k++)
				val[k] = alphabet[rand_r(&seed) %
						  (sizeof(alphabet) - 1)];
			val[n] = '\0';
			ret = ARGS(&a, opt, val);
			if (ret < 0) {
				snprintf(quoted, sizeof(quoted), "%s '%s': ",
					 opt, val);
				assert_err_has(quoted);
				continue;
			}
			ck_assert_int_eq(ret, 0);
			accepted++;
			pa = print_config(&a);
			ck_assert_msg(load(&b, pa) == 0, "%s %s: %s", opt, val,
				      err);
			pb = print_config(&b);
			ck_assert_str_eq(pa, pb);
			free(pa);
			free(pb);
		}
	}
	/* The alphabet makes valid values common enough to mean something. */
	ck_assert_uint_gt(accepted, 100);
}
END_TEST

/* ---- the documentation against the table ---- */

static char *slurp_src(const char *rel)
{
	const char *top = getenv("WGW_TOP_SRCDIR");
	char path[1024];
	char *buf;
	FILE *f;
	long n;

	if (!top)
		top = WGW_SRCDIR;
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert(n > 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* "nat-ports" -> "nat\-ports" (roff) */
static void roff_name(const char *name, char *out, size_t len)
{
	size_t o = 0;

	for (; *name && o + 3 < len; name++) {
		if (*name == '-')
			out[o++] = '\\';
		out[o++] = *name;
	}
	out[o] = '\0';
}

START_TEST(test_man_daemon)
{
	char *man = slurp_src("gateway/wraith-gatewayd.8");
	char name[64], want[80];
	const char *p;
	size_t i;

	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		roff_name(o->name, name, sizeof(name));
		snprintf(want, sizeof(want), "\\-\\-%s", name);
		ck_assert_msg(strstr(man, want),
			      "wraith-gatewayd.8 does not document --%s",
			      o->name);
		if (o->short_name) {
			snprintf(want, sizeof(want), "\\-%c", o->short_name);
			ck_assert_msg(strstr(man, want),
				      "wraith-gatewayd.8 lacks -%c",
				      o->short_name);
		}
	}
	/* ... and documents no option the daemon does not have. */
	for (p = man; (p = strstr(p, "\\-\\-"));) {
		size_t n = 0;

		p += 4;
		while (p[0] && n + 1 < sizeof(name)) {
			if (p[0] == '\\' && p[1] == '-') {
				name[n++] = '-';
				p += 2;
			} else if ((*p >= 'a' && *p <= 'z') ||
				   (*p >= '0' && *p <= '9')) {
				name[n++] = *p++;
			} else {
				break;
			}
		}
		name[n] = '\0';
		if (n == 0)
			continue;
		ck_assert_msg(wgw_option_find(name),
			      "wraith-gatewayd.8 mentions --%s, which is not an option",
			      name);
	}
	for (i = 0; i < 5; i++)
		ck_assert(strstr(man, (const char *[]){ "auto", "xdp\\-zerocopy",
				"xdp\\-copy", "xdp\\-generic", "fallback" }[i]));
	ck_assert(strstr(man, "SIGHUP") && strstr(man, "SIGTERM") &&
		  strstr(man, "SIGINT"));
	free(man);
}
END_TEST

/* wraith-gatewayctl(8)'s RELOAD key lists are the option table's reload
 * classes (between the "reload classes" markers). */
START_TEST(test_man_reload_classes)
{
	char *man = slurp_src("gateway/wraith-gatewayctl.8");
	const char *begin = ".\\\" reload classes: begin";
	const char *end = ".\\\" reload classes: end";
	char *a, *b, *gen = NULL;
	size_t genlen = 0;
	FILE *f;

	a = strstr(man, begin);
	ck_assert_msg(a, "wraith-gatewayctl.8: no reload classes marker");
	a = strchr(a, '\n') + 1;
	b = strstr(a, end);
	ck_assert_ptr_nonnull(b);
	*b = '\0';
	f = open_memstream(&gen, &genlen);
	ck_assert_ptr_nonnull(f);
	wgw_config_reload_man(f);
	fclose(f);
	ck_assert_msg(!strcmp(a, gen), "wraith-gatewayctl.8 RELOAD lists differ from the "
		      "option table; expected:\n%s", gen);
	free(gen);
	free(man);
}
END_TEST

START_TEST(test_man_conf)
{
	char *man = slurp_src("gateway/wraith-gateway.conf.5");
	char name[64], want[80];
	struct wgw_config c;
	size_t i;

	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		if (o->flags & WGW_OPTF_CLI)
			continue;
		roff_name(o->name, name, sizeof(name));
		snprintf(want, sizeof(want), "\n.B %s\n", name);
		ck_assert_msg(strstr(man, want) != NULL,
			      "wraith-gateway.conf.5 has no '.B %s' entry",
			      name);
	}

	/* The EXAMPLE section is a valid configuration. */
	{
		const char *ex = strstr(man, ".SH EXAMPLE\n.EX\n");
		const char *end;
		char *text, *w;

		ck_assert_ptr_nonnull(ex);
		ex += strlen(".SH EXAMPLE\n.EX\n");
		end = strstr(ex, ".EE\n");
		ck_assert_ptr_nonnull(end);
		text = calloc(1, (size_t)(end - ex) + 1);
		ck_assert_ptr_nonnull(text);
		for (w = text; ex < end; ex++) {
			if (ex[0] == '\\' && ex[1] == '-')
				continue;	/* roff "\-" is "-" */
			*w++ = *ex;
		}
		ck_assert_msg(load(&c, text) == 0, "EXAMPLE: %s", err);
		ck_assert_msg(wgw_config_validate(&c, err, sizeof(err)) == 0,
			      "EXAMPLE: %s", err);
		ck_assert_uint_eq(c.n_vips, 2);
		ck_assert_uint_eq(c.backends[1].weight, 200);
		free(text);
	}
	free(man);
}
END_TEST

/*
 * The sample: valid as shipped, every key is shown (commented out but the
 * required ones), each example value is valid, and with the examples
 * switched on the whole file validates.
 */
START_TEST(test_sample)
{
	char *sample = slurp_src("gateway/wraith-gateway.conf.sample");
	char *on = malloc(strlen(sample) + 1);
	char *line, *save = NULL, *w = on;
	struct wgw_config c;
	size_t i;

	ck_assert_ptr_nonnull(on);
	/* As shipped: the README's "copy it, then --check-config" works,
	 * the required keys set to examples marked EDIT. */
	ck_assert_msg(load(&c, sample) == 0, "sample: %s", err);
	ck_assert_msg(wgw_config_validate(&c, err, sizeof(err)) == 0,
		      "sample as shipped: %s", err);
	ck_assert(strstr(sample, "\nwan = eth0 ") && strstr(sample, "# EDIT\n"));

	for (line = strtok_r(sample, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;
		char key[64];
		size_t n;

		if (*p == '#') {
			p++;
			p += strspn(p, " ");
			n = strcspn(p, " =");
			if (n < sizeof(key)) {
				memcpy(key, p, n);
				key[n] = '\0';
				if (wgw_option_find(key) && !strncmp(p + n, " =", 2))
					line = (char *)p; /* switch it on */
			}
		}
		w += sprintf(w, "%s\n", line);
	}
	for (i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];
		char want[80];

		if (o->flags & WGW_OPTF_CLI)
			continue;
		snprintf(want, sizeof(want), "\n%s =", o->name);
		ck_assert_msg(strstr(on, want),
			      "the sample does not show '%s'", o->name);
	}
	ck_assert_msg(load(&c, on) == 0, "sample: %s", err);
	ck_assert_msg(wgw_config_validate(&c, err, sizeof(err)) == 0,
		      "sample: %s", err);
	ck_assert_uint_ge(c.n_vips, 1);
	ck_assert_uint_ge(c.n_backends, 1);
	free(sample);
	free(on);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("types");
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_uint);
	tcase_add_test(tc, test_pow2);
	tcase_add_test(tc, test_octal);
	tcase_add_test(tc, test_queues);
	tcase_add_test(tc, test_enum);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_addr);
	tcase_add_test(tc, test_port_range);
	tcase_add_test(tc, test_vip);
	tcase_add_test(tc, test_vip_max);
	tcase_add_test(tc, test_backend);
	tcase_add_test(tc, test_session_store);
	tcase_add_test(tc, test_cpulist);
	tcase_add_test(tc, test_bool_count);
	tcase_add_test(tc, test_cli_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_test(tc, test_file_basic);
	tcase_add_test(tc, test_file_errors);
	tcase_add_test(tc, test_file_kinds);
	tcase_add_test(tc, test_cli_over_file);
	tcase_add_test(tc, test_print_roundtrip);
	tcase_add_test(tc, test_sample);
	tcase_add_test(tc, test_man_conf);
	tcase_add_test(tc, test_random_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_test(tc, test_validate_good);
	tcase_add_test(tc, test_validate_cpus);
	tcase_add_test(tc, test_validate_bad);
	tcase_add_test(tc, test_validate_struct);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_add_test(tc, test_usage);
	tcase_add_test(tc, test_man_daemon);
	tcase_add_test(tc, test_man_reload_classes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
