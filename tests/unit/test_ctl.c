// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control protocol: request parsing (good, malformed, oversized,
 * unknown), status lines, the text/JSON document writer (every JSON reply is
 * run through a strict validator), the Prometheus exposition format, reload
 * checks, and the server itself end to end: a daemon built by hand around a
 * real engine, served from a control thread of its own, with real clients
 * on a UNIX socket (concurrency, busy, timeouts, stale sockets) and the
 * metrics listener on loopback.  Built twice: test_ctl runs everything that
 * needs no privilege; test_ctl_root (-DWGW_TEST_CTL_ROOT) runs the peer
 * credential check and the privilege drop, and skips (77) when not root.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gateway/ctl.h"
#include "gateway/ctlproto.h"
#include "gateway/daemon.h"
#include "gateway/engine.h"
#include "gateway/log.h"
#include "gateway/privs.h"
#include "gateway/reload.h"
#include "gateway/stats.h"
#include "tests/unit/test_engine_util.h"

/* ------------------------------------------------ a strict JSON checker */

static const char *js_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *js_value(const char *p, int depth);

static const char *js_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const char *js_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = js_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = js_string(js_ws(p));
				if (!p)
					return NULL;
				p = js_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = js_value(p, depth + 1);
			if (!p)
				return NULL;
			p = js_ws(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == close ? p + 1 : NULL;
		}
	}
	if (*p == '"')
		return js_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;

		strtod(p, &end);
		return end > p ? end : NULL;
	}
	return NULL;
}

static bool json_valid(const char *s)
{
	const char *p = js_value(s, 0);

	return p && !*js_ws(p);
}

START_TEST(test_json_checker)
{
	ck_assert(json_valid("{\"a\":[1,2,{\"b\":\"x\\u0001\"}],\"c\":true}\n"));
	ck_assert(!json_valid("{\"a\":1,}"));
	ck_assert(!json_valid("{\"a\":1"));
	ck_assert(!json_valid("{\"a\":\"\x01\"}"));
	ck_assert(!json_valid("{} {}"));
}
END_TEST

/* ------------------------------------------------------------ requests */

static int parse(struct wgw_ctl_req *r, const char *s)
{
	char why[256];

	return wgw_ctl_req_parse(r, s, strlen(s), why, sizeof(why));
}

START_TEST(test_req_good)
{
	struct wgw_ctl_req r;

	ck_assert_int_eq(parse(&r, "status\n"), 0);
	ck_assert_int_eq(r.cmd->id, WGW_CTL_STATUS);
	ck_assert_int_eq(r.fmt, WGW_CTL_FMT_TEXT);
	ck_assert_int_eq(r.argc, 0);
	ck_assert_int_eq(parse(&r, "stats format=prometheus"), 0);
	ck_assert_int_eq(r.fmt, WGW_CTL_FMT_PROM);
	ck_assert_int_eq(parse(&r, "  backends\tadd  10.0.0.1:8420@5 format=json\r\n"), 0);
	ck_assert_int_eq(r.cmd->id, WGW_CTL_BACKENDS);
	ck_assert_int_eq(r.argc, 2);
	ck_assert_str_eq(r.argv[0], "add");
	ck_assert_str_eq(r.argv[1], "10.0.0.1:8420@5");
	ck_assert_int_eq(r.fmt, WGW_CTL_FMT_JSON);
	ck_assert_int_eq(parse(&r, "sessions format=json list 10"), 0);
	ck_assert_int_eq(r.argc, 2);
	ck_assert_str_eq(r.argv[1], "10");
	for (unsigned i = 0; i < wgw_ctl_n_cmds; i++) {
		ck_assert_int_eq(parse(&r, wgw_ctl_cmds[i].name), 0);
		ck_assert_ptr_eq(wgw_ctl_cmd_find(wgw_ctl_cmds[i].name), &wgw_ctl_cmds[i]);
		ck_assert_int_eq(wgw_ctl_cmds[i].id, i);
	}
}
END_TEST

START_TEST(test_req_bad)
{
	char line[WGW_CTL_REQ_MAX + 16], why[256];
	struct wgw_ctl_req r;

	ck_assert_int_eq(parse(&r, ""), -EINVAL);
	ck_assert_int_eq(parse(&r, "\n"), -EINVAL);
	ck_assert_int_eq(parse(&r, " \t \r\n"), -EINVAL);
	ck_assert_int_eq(parse(&r, "bogus"), -ENOSYS);
	ck_assert_int_eq(parse(&r, "STATUS"), -ENOSYS);
	ck_assert_int_eq(parse(&r, "status\x01"), -EINVAL);
	ck_assert_int_eq(parse(&r, "status \xc3\xa9"), -EINVAL);
	ck_assert_int_eq(wgw_ctl_req_parse(&r, "ping\0x\n", 7, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(parse(&r, "status\nping\n"), -EINVAL);	/* one line only */
	ck_assert_int_eq(parse(&r, "status extra"), -EINVAL);
	ck_assert_int_eq(parse(&r, "sessions list 1 2"), -EINVAL);
	ck_assert_int_eq(parse(&r, "stats format=xml"), -EINVAL);
	ck_assert_int_eq(parse(&r, "stats format="), -EINVAL);
	ck_assert_int_eq(parse(&r, "stats format=json format=json"), -EINVAL);
	ck_assert_int_eq(parse(&r, "status format=prometheus"), -EINVAL);
	ck_assert_int_eq(parse(&r, "backends a b c d e f g h i j k l m n o p q"), -E2BIG);
	memset(line, 'a', sizeof(line));
	line[WGW_CTL_REQ_MAX] = '\n';
	ck_assert_int_eq(wgw_ctl_req_parse(&r, line, WGW_CTL_REQ_MAX + 1, why, sizeof(why)),
			 -E2BIG);
	ck_assert(strstr(why, "longer") != NULL);
	/* The longest line that fits still parses (as an unknown command). */
	ck_assert_int_eq(wgw_ctl_req_parse(&r, line, WGW_CTL_REQ_MAX - 1, why, sizeof(why)),
			 -ENOSYS);
	/* The message quotes a bounded part of what was sent. */
	ck_assert_uint_lt(strlen(why), 128);
}
END_TEST

/* Random bytes never crash the parser or escape its buffer. */
START_TEST(test_req_random)
{
	char buf[WGW_CTL_REQ_MAX + 64], why[256];
	struct wgw_ctl_req r;
	unsigned seed = 12345;

	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand_r(&seed) % sizeof(buf);

		for (size_t k = 0; k < len; k++) {
			int c = rand_r(&seed);

			buf[k] = (char)(c % 5 == 0 ? ' ' : c % 7 == 0 ? 's' : c);
		}
		int err = wgw_ctl_req_parse(&r, buf, len, why, sizeof(why));

		ck_assert(err == 0 || err == -EINVAL || err == -E2BIG || err == -ENOSYS);
		ck_assert_uint_lt(strlen(why), sizeof(why));
	}
}
END_TEST

START_TEST(test_status_lines)
{
	char line[WGW_CTL_STATUS_MAX];
	const char *msg;
	size_t len;

	ck_assert_int_gt(wgw_ctl_ok_line(line, sizeof(line), 1234), 0);
	ck_assert_str_eq(line, "OK 1234\n");
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(wgw_ctl_status_parse(line, &len, &msg), 0);
	ck_assert_uint_eq(len, 1234);

	ck_assert_int_gt(wgw_ctl_err_line(line, sizeof(line), -ENOENT, "no such\nbackend"), 0);
	ck_assert_str_eq(line, "ERR ENOENT no such backend\n");
	line[strlen(line) - 1] = '\0';
	ck_assert_int_eq(wgw_ctl_status_parse(line, &len, &msg), -ENOENT);
	ck_assert_str_eq(msg, "no such backend");

	ck_assert_int_eq(wgw_ctl_status_parse("ERR EWHAT x", &len, &msg), -EIO);
	ck_assert_int_eq(wgw_ctl_status_parse("OK", &len, &msg), -EPROTO);
	ck_assert_int_eq(wgw_ctl_status_parse("OK -1", &len, &msg), -EPROTO);
	ck_assert_int_eq(wgw_ctl_status_parse("OK 12x", &len, &msg), -EPROTO);
	ck_assert_int_eq(wgw_ctl_status_parse("OK 99999999999999", &len, &msg), -EPROTO);
	ck_assert_int_eq(wgw_ctl_status_parse("HTTP/1.1 200 OK", &len, &msg), -EPROTO);
	ck_assert_str_eq(wgw_ctl_errname(-E2BIG), "E2BIG");
	ck_assert_int_eq(wgw_ctl_errno("ENOSYS"), ENOSYS);
	/* A long message is cut, never overflows, and still ends the line. */
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_lt(wgw_ctl_err_line(line, sizeof(line), -EINVAL, big), (int)sizeof(line));
	ck_assert_int_eq(line[strlen(line) - 1], '\n');
}
END_TEST

/* ------------------------------------------------------------ documents */

static void sample_doc(struct wgw_doc *d)
{
	wgw_doc_str(d, "name", "a \"q\" \\ \x01 \xff");
	wgw_doc_u64(d, "n", 18446744073709551615ull);
	wgw_doc_i64(d, "neg", -5);
	wgw_doc_dbl(d, "rate", 2.25);
	wgw_doc_bool(d, "up", true);
	wgw_doc_obj(d, "engine");
	wgw_doc_u64(d, "sessions", 3);
	wgw_doc_close(d);
	wgw_doc_arr(d, "list");
	wgw_doc_str(d, NULL, "x");
	wgw_doc_obj(d, "first");
	wgw_doc_u64(d, "k", 1);
	wgw_doc_close(d);
	wgw_doc_close(d);
	wgw_doc_arr(d, "empty");
	wgw_doc_close(d);
}

START_TEST(test_doc_json)
{
	struct wgw_strbuf sb;
	struct wgw_doc d;

	wgw_strbuf_init(&sb, 1 << 20);
	wgw_doc_begin(&d, &sb, WGW_CTL_FMT_JSON);
	sample_doc(&d);
	wgw_doc_end(&d);
	ck_assert(!sb.overflow);
	ck_assert_str_eq(sb.p, "{\"name\":\"a \\\"q\\\" \\\\ \\u0001 \\u00ff\","
			 "\"n\":18446744073709551615,\"neg\":-5,\"rate\":2.2,\"up\":true,"
			 "\"engine\":{\"sessions\":3},\"list\":[\"x\",{\"k\":1}],"
			 "\"empty\":[]}\n");
	ck_assert(json_valid(sb.p));
	wgw_strbuf_free(&sb);
}
END_TEST

START_TEST(test_doc_text)
{
	struct wgw_strbuf sb;
	struct wgw_doc d;

	wgw_strbuf_init(&sb, 1 << 20);
	wgw_doc_begin(&d, &sb, WGW_CTL_FMT_TEXT);
	wgw_doc_str(&d, "line", "two\nlines");
	wgw_doc_obj(&d, "engine");
	wgw_doc_u64(&d, "sessions", 3);
	wgw_doc_close(&d);
	wgw_doc_arr(&d, "list");
	wgw_doc_str(&d, NULL, "x");
	wgw_doc_obj(&d, "10.0.0.1:8420");
	wgw_doc_str(&d, "state", "up");
	wgw_doc_close(&d);
	wgw_doc_close(&d);
	wgw_doc_arr(&d, "empty");
	wgw_doc_close(&d);
	wgw_doc_end(&d);
	ck_assert_str_eq(sb.p, "line: two lines\n"
			 "engine:\n  sessions: 3\n"
			 "list:\n  - x\n  10.0.0.1:8420:\n    state: up\n"
			 "empty:\n  (none)\n");
	wgw_strbuf_free(&sb);
}
END_TEST

START_TEST(test_strbuf_limit)
{
	struct wgw_strbuf sb;

	wgw_strbuf_init(&sb, 10);
	wgw_strbuf_printf(&sb, "%s", "12345");
	ck_assert(!sb.overflow);
	wgw_strbuf_printf(&sb, "%s", "123456");
	ck_assert(sb.overflow);
	ck_assert_uint_eq(sb.len, 5);
	ck_assert_str_eq(sb.p, "12345");
	wgw_strbuf_add(&sb, "1", 1);		/* nothing more after overflow */
	ck_assert_uint_eq(sb.len, 5);
	wgw_strbuf_reset(&sb);
	ck_assert(!sb.overflow);
	wgw_strbuf_add(&sb, "0123456789", 10);
	ck_assert(!sb.overflow);
	ck_assert_uint_eq(sb.len, 10);
	wgw_strbuf_free(&sb);
}
END_TEST

/* ------------------------------------------------------------ Prometheus */

static struct wgw_stats *sample_stats(void)
{
	struct wgw_stats *st = wgw_stats_alloc(1, 1);

	ck_assert_ptr_nonnull(st);
	st->uptime_s = 7;
	st->eng.ctr[WGW_CTR_TO_LAN] = 42;
	st->eng.drop[WGW_DROP_NO_BACKEND] = 3;
	st->eng.n_cids = 5;
	st->nbackends = 2;
	st->be[0] = (struct wgw_backend_info){ .addr = A("10.0.0.11"), .port = 8420,
		.state = WGW_BACKEND_DRAIN, .weight = 100, .pkts_to = 40, .pkts_from = 39 };
	st->be[1] = (struct wgw_backend_info){ .addr = A("2001:db8::1"), .port = 8420,
		.slot = 1, .state = WGW_BACKEND_UP, .weight = 5, .pkts_to = 2 };
	st->nifs = 1;
	snprintf(st->ifs[0].name, sizeof(st->ifs[0].name), "we\"ird\\0");
	st->ifs[0].sides = "wan+lan";
	st->ifs[0].mode = "xdp-copy";
	st->ifs[0].has_xdp = true;
	st->ifs[0].xdp[WGW_XDP_CNT_VIP_REDIRECT] = 11;
	snprintf(st->ports[0].ifname, sizeof(st->ports[0].ifname), "wan0");
	st->ports[0].queue = 3;
	st->ports[0].kind = "xsk";
	st->ports[0].st.rx_packets = 99;
	st->ports[0].has_ring = true;
	st->ports[0].ring.rx_fill_ring_empty_descs = 4;
	st->wctr[0][3] = 17;
	return st;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

START_TEST(test_prometheus)
{
	struct wgw_stats *st = sample_stats();
	char fam[128], *save, *copy;
	struct wgw_strbuf sb;
	bool histogram = false;

	/* a session store: its counters, its state and the latency histogram */
	st->store_on = true;
	st->store.writes = 7;
	st->store.lat_bucket[3] = 2;	/* <= 1 ms */
	st->store.lat_bucket[WGW_STORE_LAT_BUCKETS - 1] = 1;
	st->store.lat_count = 3;
	st->store.lat_sum_us = 301500;
	st->nstores = 1;
	snprintf(st->stores[0].address, sizeof(st->stores[0].address), "redis://10.0.0.5:6379");
	st->stores[0].state = WGW_STORE_CONNECTED;
	wgw_strbuf_init(&sb, 1 << 20);
	wgw_stats_prometheus(&sb, st);
	ck_assert(strstr(sb.p, "\nwraith_gateway_store_writes_total 7\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_store_state{store=\"redis://10.0.0.5:6379\","
			 "state=\"connected\"} 1\n"));
	ck_assert(strstr(sb.p, "\n# TYPE wraith_gateway_store_lookup_latency_seconds histogram\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_store_lookup_latency_seconds_bucket{le=\"0.0005\"} 0\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_store_lookup_latency_seconds_bucket{le=\"0.001\"} 2\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_store_lookup_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_store_lookup_latency_seconds_sum 0.3015\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_store_lookup_latency_seconds_count 3\n"));
	ck_assert(!sb.overflow);
	ck_assert(strstr(sb.p, "\nwraith_gateway_engine_forwarded_packets_total{direction=\"to_lan\"} 42\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_engine_dropped_packets_total{reason=\"no_backend\"} 3\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_sessions 5\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_backend_packets_total{backend=\"10.0.0.11:8420\","
			 "direction=\"to\"} 40\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_backend_packets_total{backend=\"[2001:db8::1]:8420\","
			 "direction=\"to\"} 2\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_backend_state{backend=\"10.0.0.11:8420\","
			 "state=\"drain\"} 1\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_backend_state{backend=\"10.0.0.11:8420\","
			 "state=\"up\"} 0\n"));
	/* Label values are escaped. */
	ck_assert(strstr(sb.p, "{interface=\"we\\\"ird\\\\0\",verdict=\"redirect\",reason=\"vip_redirect\"} 11\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_port_packets_total{interface=\"wan0\",queue=\"3\","
			 "worker=\"0\",kind=\"xsk\",direction=\"rx\"} 99\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_xsk_rx_fill_ring_empty_total{interface=\"wan0\","
			 "queue=\"3\",worker=\"0\"} 4\n"));
	ck_assert(strstr(sb.p, "\nwraith_gateway_worker_forwarded_packets_total{worker=\"0\"} 17\n"));

	/* Every sample belongs to the family announced last, every family is
	 * announced once with HELP then TYPE, and every line is well formed. */
	copy = strdup(sb.p);
	fam[0] = '\0';
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# HELP ", 7)) {
			char *sp = strchr(line + 7, ' ');

			ck_assert_ptr_nonnull(sp);
			snprintf(fam, sizeof(fam), "%.*s", (int)(sp - line - 7), line + 7);
			char want[160];

			snprintf(want, sizeof(want), "# HELP %s ", fam);
			ck_assert_uint_eq(count(sb.p, want), 1);
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			ck_assert(!strncmp(line + 7, fam, strlen(fam)));
			ck_assert(!strcmp(line + 7 + strlen(fam), " counter") ||
				  !strcmp(line + 7 + strlen(fam), " gauge") ||
				  !strcmp(line + 7 + strlen(fam), " histogram"));
			histogram = !strcmp(line + 7 + strlen(fam), " histogram");
			continue;
		}
		{
			const char *rest = line + strlen(fam);

			/* a histogram's series: _bucket{le=...}, _sum, _count */
			if (histogram && !strncmp(line, fam, strlen(fam)))
				rest += !strncmp(rest, "_bucket{", 8) ? 7 :
					!strncmp(rest, "_sum ", 5) ? 4 :
					!strncmp(rest, "_count ", 7) ? 6 : 0;
			ck_assert_msg(!strncmp(line, fam, strlen(fam)) &&
				      (*rest == ' ' || *rest == '{'),
				      "sample outside its family %s: %s", fam, line);
		}
		ck_assert_msg(!strncmp(fam, "wraith_gateway_", 15) ||
			      !strncmp(fam, "process_", 8), "namespace: %s", fam);
		char *val = strrchr(line, ' ');

		ck_assert_ptr_nonnull(val);
		for (char *p = val + 1; *p; p++)
			ck_assert_msg((*p >= '0' && *p <= '9') ||
				      (histogram && (*p == '.' || *p == 'e' || *p == '-')),
				      "value in: %s", line);
		if (!strcmp(fam + strlen(fam) - 6, "_total"))
			ck_assert(strstr(sb.p, "counter\n"));
	}
	free(copy);
	wgw_strbuf_free(&sb);
	wgw_stats_free(st);
}
END_TEST

/*
 * The metrics model: names carry their unit, every name is unique, and
 * the METRICS section of wraith-gatewayctl(8) lists the table as it is
 * (between its "metrics:" markers; on a difference the expected text is
 * written to metrics.8.expected).
 */
START_TEST(test_metrics_model)
{
	static const char begin[] = ".\\\" metrics: begin\n", end[] = ".\\\" metrics: end\n";
	const char *top = getenv("WGW_TOP_SRCDIR");
	const struct wgw_metric *m = NULL;
	char path[4096], *man, *a, *b;
	struct wgw_strbuf sb;
	unsigned n = 0;
	size_t len;
	FILE *f;

	m = wgw_metrics(&n);
	ck_assert_uint_gt(n, 40);
	for (unsigned i = 0; i < n; i++) {
		char u[64];

		ck_assert_msg(!strcmp(m[i].type, "counter") || !strcmp(m[i].type, "gauge") ||
			      !strcmp(m[i].type, "histogram"),
			      "%s: type %s", m[i].name, m[i].type);
		ck_assert_msg(strcmp(m[i].type, "counter") ||
			      !strcmp(m[i].name + strlen(m[i].name) - 6, "_total"),
			      "counter %s without _total", m[i].name);
		if (!strcmp(m[i].unit, "seconds") || !strcmp(m[i].unit, "bytes")) {
			snprintf(u, sizeof(u), "_%s", m[i].unit);
			ck_assert_msg(strstr(m[i].name, u), "%s: no %s in the name", m[i].name, u);
		}
		ck_assert_msg(m[i].help[0] && m[i].fn, "%s: no help or reader", m[i].name);
		for (unsigned k = 0; k < i; k++)
			ck_assert_msg(strcmp(m[i].name, m[k].name), "%s twice", m[i].name);
	}

	snprintf(path, sizeof(path), "%s/gateway/wraith-gatewayctl.8", top ? top : "..");
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	man = malloc(1 << 20);
	ck_assert_ptr_nonnull(man);
	len = fread(man, 1, (1 << 20) - 1, f);
	fclose(f);
	man[len] = '\0';
	a = strstr(man, begin);
	b = a ? strstr(a, end) : NULL;
	ck_assert_msg(a && b, "%s: no metrics: begin/end markers", path);
	a += strlen(begin);
	*b = '\0';
	wgw_strbuf_init(&sb, 1 << 20);
	wgw_metrics_man(&sb);
	ck_assert(!sb.overflow);
	if (strcmp(a, sb.p)) {
		f = fopen("metrics.8.expected", "w");
		if (f) {
			fputs(sb.p, f);
			fclose(f);
		}
	}
	ck_assert_msg(!strcmp(a, sb.p), "the METRICS list of %s is not the table's "
		      "(expected text in metrics.8.expected)", path);
	wgw_strbuf_free(&sb);
	free(man);
}
END_TEST

START_TEST(test_stats_doc_rates)
{
	struct wgw_stats *a = sample_stats(), *b = sample_stats();
	struct wgw_strbuf sb;
	struct wgw_doc d;

	a->mono_ns = 1000000000ull;
	b->mono_ns = 3000000000ull;		/* 2 s later */
	b->eng.ctr[WGW_CTR_TO_LAN] = 42 + 2000;
	b->be[0].pkts_to = 40 + 600;
	b->ports[0].st.rx_packets = 99 + 10;
	wgw_strbuf_init(&sb, 1 << 20);
	wgw_doc_begin(&d, &sb, WGW_CTL_FMT_JSON);
	wgw_stats_doc(&d, b, a);
	wgw_doc_end(&d);
	ck_assert(json_valid(sb.p));
	ck_assert(strstr(sb.p, "\"interval_s\":2.0"));
	ck_assert(strstr(sb.p, "\"to_lan_pps\":1000.0"));
	ck_assert(strstr(sb.p, "\"to_pps\":300.0"));
	ck_assert(strstr(sb.p, "\"rx_pps\":5.0"));
	ck_assert(strstr(sb.p, "\"to_lan\":2042"));	/* keys are identifiers */
	ck_assert(strstr(sb.p, "\"rx_fill_ring_empty_descs\":4"));
	wgw_strbuf_free(&sb);
	wgw_stats_free(a);
	wgw_stats_free(b);
}
END_TEST

/* ------------------------------------------------- a daemon, by hand */

struct fake {
	struct wgw_daemon *d;
	struct wgw_ctl *ctl;
	pthread_t thr;
	_Atomic bool stop;
	char dir[32], sock[96], conf[96];
	char *argv[4];
};

static void *ctl_thread(void *arg)
{
	struct fake *f = arg;
	struct pollfd fds[WGW_CTL_MAX_POLLFDS];

	while (!atomic_load(&f->stop)) {
		int n = wgw_ctl_fill_pollfds(f->ctl, fds, WGW_CTL_MAX_POLLFDS);

		if (poll(fds, (nfds_t)n, 10) < 0)
			for (int i = 0; i < n; i++)
				fds[i].revents = 0;
		wgw_ctl_handle(f->ctl, fds, n);
	}
	return NULL;
}

static void write_conf(struct fake *f, const char *body)
{
	FILE *fp = fopen(f->conf, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(body, fp);
	fclose(fp);
}

#define BASE_CONF "wan = lo\nvip = 192.0.2.1:8420\nnat = 10.0.0.100\n" \
		  "max-sessions = 4096\nmax-mappings = 4096\n"

static void fake_up(struct fake *f, unsigned mode, const struct wgw_endpoint *metrics)
{
	char err[WGW_CONFIG_ERRLEN];
	char *argv[] = { "wraith-gatewayd", "-c", f->conf, NULL };
	struct wgw_engine_cfg ec = { 0 };

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/wgw-test-ctl.XXXXXX");
	f->argv[0] = "wraith-gatewayd";
	f->argv[1] = "-c";
	f->argv[2] = f->conf;
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/run/control.sock", f->dir);
	snprintf(f->conf, sizeof(f->conf), "%s/gw.conf", f->dir);
	write_conf(f, BASE_CONF "backend = 10.0.0.11:8420\nbackend = 10.0.0.12:8420@200\n");
	f->d = calloc(1, sizeof(*f->d));
	ck_assert_ptr_nonnull(f->d);
	f->d->argc = 3;
	f->d->argv = f->argv;
	ck_assert_int_eq(wgw_config_defaults(&f->d->cfg), 0);
	ck_assert_int_eq(wgw_config_parse_args(&f->d->cfg, 3, argv, err, sizeof(err)), 0);
	ck_assert_int_eq(wgw_config_validate(&f->d->cfg, err, sizeof(err)), 0);
	if (metrics)
		f->d->cfg.metrics_listen = *metrics;
	clock_gettime(CLOCK_MONOTONIC, &f->d->started_mono);
	f->d->started = time(NULL);
	ec.vips = f->d->cfg.vips;
	ec.n_vips = f->d->cfg.n_vips;
	ec.nat_addr = f->d->cfg.nat;
	ec.nat_port_lo = f->d->cfg.nat_port_lo;
	ec.nat_port_hi = f->d->cfg.nat_port_hi;
	ec.n_threads = 1;
	ec.max_cids = f->d->cfg.max_sessions;
	ec.max_mappings = f->d->cfg.max_mappings;
	f->d->engine = wgw_engine_create(&ec);
	ck_assert_ptr_nonnull(f->d->engine);
	for (unsigned i = 0; i < f->d->cfg.n_backends; i++)
		ck_assert_int_ge(wgw_engine_backend_add(f->d->engine, &f->d->cfg.backends[i].addr,
							f->d->cfg.backends[i].port,
							f->d->cfg.backends[i].weight), 0);
	f->ctl = wgw_ctl_open(f->d, f->sock, mode);
	ck_assert_msg(f->ctl != NULL, "wgw_ctl_open: %s", strerror(errno));
	ck_assert_int_eq(pthread_create(&f->thr, NULL, ctl_thread, f), 0);
}

static void fake_down(struct fake *f)
{
	struct stat sb;
	char cmd[128];

	atomic_store(&f->stop, true);
	pthread_join(f->thr, NULL);
	wgw_ctl_close(f->ctl);
	ck_assert_int_eq(stat(f->sock, &sb), -1);	/* unlinked */
	wgw_engine_destroy(f->d->engine);
	free(f->d);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Read until EOF (or 10 s); returns the bytes read, NUL-terminated. */
static size_t read_all(int fd, char *out, size_t max)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got + 1 < max && poll(&p, 1, 10000) == 1) {
		ssize_t n = read(fd, out + got, max - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	out[got] = '\0';
	return got;
}

static char reply_buf[1 << 20];

/* One exchange: req (len bytes) in, the whole reply out. */
static const char *xchg_n(struct fake *f, const char *req, size_t len)
{
	int fd = connect_unix(f->sock);

	ck_assert_int_ge(fd, 0);
	if (len)
		ck_assert_int_eq(send(fd, req, len, MSG_NOSIGNAL), (ssize_t)len);
	shutdown(fd, SHUT_WR);
	read_all(fd, reply_buf, sizeof(reply_buf));
	close(fd);
	return reply_buf;
}

static const char *xchg(struct fake *f, const char *req)
{
	return xchg_n(f, req, strlen(req));
}

/*
 * The same when the server may refuse at once: it writes "ERR EBUSY" and
 * closes without reading, so our send() may meet the closed socket
 * (EPIPE/ECONNRESET); the reply is what counts.
 */
static const char *xchg_busy(struct fake *f, const char *req)
{
	int fd = connect_unix(f->sock);

	ck_assert_int_ge(fd, 0);
	(void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	read_all(fd, reply_buf, sizeof(reply_buf));
	close(fd);
	return reply_buf;
}

/* An OK reply's body, after checking the announced length. */
static const char *ok_body(const char *reply)
{
	const char *nl = strchr(reply, '\n');
	unsigned long len;

	ck_assert_msg(!strncmp(reply, "OK ", 3) && nl, "not OK: %.200s", reply);
	len = strtoul(reply + 3, NULL, 10);
	ck_assert_uint_eq(strlen(nl + 1), len);
	return nl + 1;
}

START_TEST(test_server_commands)
{
	struct fake f;
	const char *b;
	struct stat sb;

	fake_up(&f, 0600, NULL);
	ck_assert_int_eq(stat(f.sock, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert(S_ISSOCK(sb.st_mode));

	b = ok_body(xchg(&f, "ping\n"));
	ck_assert(strstr(b, "pong: " PACKAGE_VERSION));
	/* No line feed: end of input ends the request. */
	ok_body(xchg(&f, "ping"));

	static const char *const json_reqs[] = {
		"status", "stats", "stats", "sessions", "sessions count", "sessions list",
		"sessions list 5", "backends", "backends list", "help", "ping",
	};
	for (unsigned i = 0; i < sizeof(json_reqs) / sizeof(json_reqs[0]); i++) {
		char req[128];

		snprintf(req, sizeof(req), "%s format=json\n", json_reqs[i]);
		b = ok_body(xchg(&f, req));
		ck_assert_msg(json_valid(b), "%s: invalid JSON: %.300s", json_reqs[i], b);
		snprintf(req, sizeof(req), "%s\n", json_reqs[i]);
		ok_body(xchg(&f, req));
	}
	b = ok_body(xchg(&f, "status\n"));
	ck_assert(strstr(b, "vips:\n  - 192.0.2.1:8420\n"));
	ck_assert(strstr(b, "backends_up: 2\n"));
	b = ok_body(xchg(&f, "stats format=prometheus\n"));
	ck_assert(strstr(b, "# TYPE wraith_gateway_backend_packets_total counter\n"));
	ck_assert(b[0] == '#');
	b = ok_body(xchg(&f, "help\n"));
	for (unsigned i = 0; i < wgw_ctl_n_cmds; i++)
		ck_assert(strstr(b, wgw_ctl_cmds[i].name));

	/* Backends: add, drain, undrain, weight, remove; errors. */
	b = ok_body(xchg(&f, "backends add 10.0.0.13:8420@50\n"));
	ck_assert(strstr(b, "state: up\n    weight: 50\n"));
	b = ok_body(xchg(&f, "backends drain 10.0.0.13:8420 format=json\n"));
	ck_assert(json_valid(b));
	ck_assert(strstr(b, "\"state\":\"drain\""));
	b = ok_body(xchg(&f, "backends undrain 10.0.0.13:8420\n"));
	ck_assert(strstr(b, "state: up\n"));
	b = ok_body(xchg(&f, "backends weight 10.0.0.13:8420 77\n"));
	ck_assert(strstr(b, "weight: 77\n"));
	ok_body(xchg(&f, "backends remove 10.0.0.13:8420\n"));
	b = ok_body(xchg(&f, "backends\n"));
	ck_assert(!strstr(b, "10.0.0.13"));
	ck_assert(strstr(b, "10.0.0.12:8420"));
	ck_assert_str_eq(xchg(&f, "backends remove 10.0.0.13:8420\n"),
			 "ERR ENOENT backends remove 10.0.0.13:8420: no such backend\n");
	ck_assert(!strncmp(xchg(&f, "backends add 10.0.0.12:8420\n"), "ERR EEXIST ", 11));
	ck_assert(!strncmp(xchg(&f, "backends add [2001:db8::1]:8420\n"), "ERR EAFNOSUPPORT ", 17));
	ck_assert(!strncmp(xchg(&f, "backends add nonsense\n"), "ERR EINVAL backend 'nonsense'", 29));
	ck_assert(!strncmp(xchg(&f, "backends add 10.0.0.1:0\n"), "ERR EINVAL ", 11));
	ck_assert(!strncmp(xchg(&f, "backends weight 10.0.0.12:8420 0\n"), "ERR EINVAL ", 11));
	ck_assert(!strncmp(xchg(&f, "backends frob 10.0.0.12:8420\n"), "ERR EINVAL usage", 16));
	ck_assert(!strncmp(xchg(&f, "backends drain\n"), "ERR EINVAL usage", 16));

	/* Sessions: route a few packets through the engine, then look. */
	struct wgw_engine_thread *t = wgw_engine_thread_attach(f.d->engine, 0);
	union wgw_addr cl = A("198.51.100.2"), vip = A("192.0.2.1");
	struct wgw_route rt;
	struct tpkt p;
	struct timespec ts;

	ck_assert_ptr_nonnull(t);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	for (uint16_t i = 0; i < 3; i++) {
		tpkt_make(&p, &cl, 40000 + i, &vip, 8420, 0x1122334455667700ull + i, 0);
		ck_assert_int_eq(wgw_engine_from_client(t, &p.p, (uint32_t)ts.tv_sec, &rt),
				 WGW_TO_LAN);
	}
	/* Offline: backend removal (another thread) must not wait for us. */
	wgw_engine_thread_offline(t);
	b = ok_body(xchg(&f, "sessions\n"));
	ck_assert(strstr(b, "sessions: 3\nmappings: 3\n"));
	b = ok_body(xchg(&f, "sessions cid 0x1122334455667701\n"));
	ck_assert(strstr(b, "cid: 0x1122334455667701\n"));
	ok_body(xchg(&f, "sessions cid 1122334455667702\n"));
	ck_assert(!strncmp(xchg(&f, "sessions cid 0x1\n"), "ERR ENOENT ", 11));
	ck_assert(!strncmp(xchg(&f, "sessions cid 0x11223344556677001\n"), "ERR EINVAL ", 11));
	ck_assert(!strncmp(xchg(&f, "sessions cid zz\n"), "ERR EINVAL ", 11));
	b = ok_body(xchg(&f, "sessions client 198.51.100.2:40001 format=json\n"));
	ck_assert(json_valid(b));
	ck_assert(strstr(b, "\"mappings\":1"));
	ck_assert(strstr(b, "\"client\":\"198.51.100.2:40001\""));
	ck_assert(!strncmp(xchg(&f, "sessions client 198.51.100.2:1\n"), "ERR ENOENT ", 11));
	ck_assert(!strncmp(xchg(&f, "sessions client 198.51.100.2\n"), "ERR EINVAL ", 11));
	b = ok_body(xchg(&f, "sessions list 2\n"));
	ck_assert(strstr(b, "shown: 2\n"));
	b = ok_body(xchg(&f, "sessions list\n"));
	ck_assert(strstr(b, "shown: 3\n"));
	ck_assert(!strncmp(xchg(&f, "sessions list 0\n"), "ERR EINVAL ", 11));
	ck_assert(!strncmp(xchg(&f, "sessions list 100001\n"), "ERR EINVAL ", 11));
	ck_assert(!strncmp(xchg(&f, "sessions frob\n"), "ERR EINVAL ", 11));
	/* Counters agree with what was routed. */
	b = ok_body(xchg(&f, "stats\n"));
	ck_assert(strstr(b, "    rx_client: 3\n"));
	ck_assert(strstr(b, "    to_lan: 3\n"));
	b = ok_body(xchg(&f, "stats format=prometheus\n"));
	ck_assert(strstr(b, "wraith_gateway_engine_forwarded_packets_total{direction=\"to_lan\"} 3\n"));
	wgw_engine_thread_detach(t);
	fake_down(&f);
}
END_TEST

START_TEST(test_server_bad_requests)
{
	char big[3 * WGW_CTL_REQ_MAX];
	struct fake f;

	fake_up(&f, 0600, NULL);
	ck_assert(!strncmp(xchg(&f, "bogus\n"), "ERR ENOSYS unknown command 'bogus'", 34));
	ck_assert(!strncmp(xchg(&f, "\x01\x02\x03\n"), "ERR EINVAL byte 0x01", 20));
	ck_assert(!strncmp(xchg(&f, "\n"), "ERR EINVAL empty request", 24));
	ck_assert(!strncmp(xchg(&f, "stats format=xml\n"), "ERR EINVAL ", 11));
	ck_assert(!strncmp(xchg(&f, "status format=prometheus\n"), "ERR EINVAL ", 11));
	ck_assert(!strncmp(xchg_n(&f, "ping\0\n", 6), "ERR EINVAL ", 11));
	/* Too long, with or without a line feed at the end. */
	memset(big, 'a', sizeof(big));
	ck_assert(!strncmp(xchg_n(&f, big, sizeof(big)), "ERR E2BIG request longer", 24));
	big[sizeof(big) - 1] = '\n';
	ck_assert(!strncmp(xchg_n(&f, big, sizeof(big)), "ERR E2BIG ", 10));
	/* Nothing at all: closed without a word. */
	ck_assert_str_eq(xchg_n(&f, "", 0), "");
	/* Only the first line counts; what follows is ignored. */
	ok_body(xchg(&f, "ping\nbogus\n"));
	/* Still serving. */
	ok_body(xchg(&f, "ping\n"));
	fake_down(&f);
}
END_TEST

START_TEST(test_server_concurrency)
{
	int idle[WGW_CTL_MAX_CLIENTS], fds[40];
	char buf[8192];
	struct fake f;

	fake_up(&f, 0600, NULL);
	/* Many clients at once, requests interleaved byte-wise: all served. */
	for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++) {
		fds[i] = connect_unix(f.sock);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(send(fds[i], "pi", 2, MSG_NOSIGNAL), 2);
	}
	for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++)
		ck_assert_int_eq(send(fds[i], "ng\n", 3, MSG_NOSIGNAL), 3);
	for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++) {
		read_all(fds[i], buf, sizeof(buf));
		ok_body(buf);
		close(fds[i]);
	}
	/* Every slot held by a silent client: the next one is told, not hung. */
	for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++) {
		idle[i] = connect_unix(f.sock);
		ck_assert_int_ge(idle[i], 0);
	}
	ck_assert_str_eq(xchg_busy(&f, "ping\n"), "ERR EBUSY too many control clients\n");
	for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++)
		close(idle[i]);
	/* The server frees the slots when it sees the hang-ups: poll for it
	 * (a loaded machine may take a while), never sleep and hope. */
	for (int tries = 0; tries < 500; tries++) {
		const char *r = xchg_busy(&f, "ping\n");

		if (strncmp(r, "ERR EBUSY", 9))
			break;
		usleep(10 * 1000);
	}
	ok_body(xchg(&f, "ping\n"));

	/* A slow client is cut off at the deadline and frees its slot. */
	int slow = connect_unix(f.sock);
	struct timespec t0, t1;

	ck_assert_int_eq(send(slow, "pin", 3, MSG_NOSIGNAL), 3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok_body(xchg(&f, "ping\n"));	/* others are served meanwhile */
	ck_assert_uint_eq(read_all(slow, buf, sizeof(buf)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	ck_assert_msg(s > WGW_CTL_TIMEOUT_MS / 1000.0 - 0.5 && s < WGW_CTL_TIMEOUT_MS / 1000.0 + 2,
		      "slow client closed after %.1f s", s);
	close(slow);
	fake_down(&f);
}
END_TEST

START_TEST(test_server_peer_uid)
{
	struct fake f;
	pid_t pid;
	int st;

	/* 0666 so that the connection itself succeeds: the uid check must
	 * refuse it in code too. */
	fake_up(&f, 0666, NULL);
	{
		char run[128];

		snprintf(run, sizeof(run), "%s/run", f.dir);
		ck_assert_int_eq(chmod(f.dir, 0755), 0);
		ck_assert_int_eq(chmod(run, 0755), 0);
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char buf[256];
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		fd = connect_unix(f.sock);
		if (fd < 0)
			_exit(3);
		/* The daemon may have refused and closed already. */
		(void)!send(fd, "ping\n", 5, MSG_NOSIGNAL);
		read_all(fd, buf, sizeof(buf));
		_exit(!strncmp(buf, "ERR EPERM uid 65534 ", 20) ? 0 : 5);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
	ok_body(xchg(&f, "ping\n"));
	fake_down(&f);
}
END_TEST

START_TEST(test_server_socket_file)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct wgw_ctl *c2;
	struct fake f;
	int fd;

	fake_up(&f, 0600, NULL);
	/* A live daemon answers: a second one does not take the socket. */
	c2 = wgw_ctl_open(f.d, f.sock, 0600);
	ck_assert_ptr_null(c2);
	ck_assert_int_eq(errno, EADDRINUSE);
	ok_body(xchg(&f, "ping\n"));
	fake_down(&f);

	/* A stale socket (nobody listening) is replaced. */
	fake_up(&f, 0600, NULL);
	atomic_store(&f.stop, true);
	pthread_join(f.thr, NULL);
	wgw_ctl_close(f.ctl);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f.sock);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	f.ctl = wgw_ctl_open(f.d, f.sock, 0600);
	ck_assert_ptr_nonnull(f.ctl);
	atomic_store(&f.stop, false);
	ck_assert_int_eq(pthread_create(&f.thr, NULL, ctl_thread, &f), 0);
	ok_body(xchg(&f, "ping\n"));
	/* Not a socket: left alone. */
	c2 = wgw_ctl_open(f.d, f.conf, 0600);
	ck_assert_ptr_null(c2);
	ck_assert_int_eq(errno, EEXIST);
	fake_down(&f);
}
END_TEST

static int tcp_connect(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void http_get(uint16_t port, const char *req, char *out, size_t max)
{
	int fd = tcp_connect(port);

	send(fd, req, strlen(req), MSG_NOSIGNAL);
	read_all(fd, out, max);
	close(fd);
}

/* The metrics listener on a free loopback port: bind 0, read, release. */
static struct wgw_endpoint metrics_ep(void)
{
	struct wgw_endpoint ep = { .set = true };
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int probe = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_eq(bind(probe, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(probe, (struct sockaddr *)&sa, &sl), 0);
	close(probe);
	ep.addr = A("127.0.0.1");
	ep.port = ntohs(sa.sin_port);
	return ep;
}

START_TEST(test_server_metrics_http)
{
	struct wgw_endpoint ep = metrics_ep();
	char big[8192];
	struct fake f;

	fake_up(&f, 0600, &ep);
	http_get(ep.port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", reply_buf, sizeof(reply_buf));
	ck_assert(!strncmp(reply_buf, "HTTP/1.1 200 OK\r\n", 17));
	ck_assert(strstr(reply_buf, "Content-Type: text/plain; version=0.0.4"));
	ck_assert(strstr(reply_buf, "\r\n\r\n# HELP wraith_gateway_info "));
	{
		const char *cl = strstr(reply_buf, "Content-Length: ");
		const char *body = strstr(reply_buf, "\r\n\r\n") + 4;

		ck_assert_ptr_nonnull(cl);
		ck_assert_uint_eq(strtoul(cl + 16, NULL, 10), strlen(body));
	}
	/* HEAD: GET's headers, its Content-Length too, and no body. */
	{
		const char *cl = strstr(reply_buf, "Content-Length: ");
		unsigned long get_len = strtoul(cl + 16, NULL, 10);
		const char *hcl, *end;

		http_get(ep.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", big,
			 sizeof(big));
		ck_assert_msg(!strncmp(big, "HTTP/1.1 200 OK\r\n", 17), "%.200s", big);
		hcl = strstr(big, "Content-Length: ");
		end = strstr(big, "\r\n\r\n");
		ck_assert_ptr_nonnull(hcl);
		ck_assert_ptr_nonnull(end);
		ck_assert_str_eq(end, "\r\n\r\n");
		/* The counters may have moved by a few digits in between. */
		ck_assert_uint_gt(strtoul(hcl + 16, NULL, 10), get_len / 2);
	}
	http_get(ep.port, "HEAD / HTTP/1.0\r\n\r\n", big, sizeof(big));
	ck_assert(!strncmp(big, "HTTP/1.1 404 ", 13));
	ck_assert_str_eq(strstr(big, "\r\n\r\n"), "\r\n\r\n");
	http_get(ep.port, "GET / HTTP/1.0\r\n\r\n", big, sizeof(big));
	ck_assert(!strncmp(big, "HTTP/1.1 404 ", 13));
	http_get(ep.port, "POST /metrics HTTP/1.0\r\n\r\n", big, sizeof(big));
	ck_assert(!strncmp(big, "HTTP/1.1 405 ", 13));
	ck_assert(strstr(big, "\r\nAllow: GET, HEAD\r\n"));
	http_get(ep.port, "hello\r\n\r\n", big, sizeof(big));
	ck_assert(!strncmp(big, "HTTP/1.1 400 ", 13));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	http_get(ep.port, big, big, sizeof(big));
	ck_assert(!strncmp(big, "HTTP/1.1 431 ", 13));
	/* The control socket is served alongside. */
	ok_body(xchg(&f, "ping\n"));
	fake_down(&f);
}
END_TEST

/*
 * Idle TCP connections to the metrics port, renewed faster than any
 * deadline, never cost a control client its slot: every ping is served.
 * A scraper still gets through the full pool, and an idle metrics
 * connection is closed at its own short deadline.
 */
START_TEST(test_server_metrics_pool)
{
	enum { FLOOD = WGW_CTL_MAX_CLIENTS + 2 * WGW_CTL_HTTP_MAX_CLIENTS };
	struct wgw_endpoint ep = metrics_ep();
	int idle[FLOOD];
	char buf[8192];
	struct timespec t0, t1;
	struct fake f;
	double s;

	fake_up(&f, 0600, &ep);
	for (unsigned i = 0; i < FLOOD; i++)
		idle[i] = -1;
	for (unsigned round = 0; round < 4; round++) {
		for (unsigned i = 0; i < FLOOD; i++) {
			if (idle[i] >= 0)
				close(idle[i]);
			idle[i] = tcp_connect(ep.port);
		}
		/* Let the server accept them all before the control client. */
		usleep(50 * 1000);
		for (unsigned k = 0; k < 4; k++)
			ok_body(xchg(&f, "ping\n"));
		http_get(ep.port, "GET /metrics HTTP/1.1\r\n\r\n", reply_buf,
			 sizeof(reply_buf));
		ck_assert_msg(!strncmp(reply_buf, "HTTP/1.1 200 OK\r\n", 17),
			      "round %u: scraper refused: %.100s", round, reply_buf);
	}
	/* Every control slot can still be taken at once. */
	{
		int fds[WGW_CTL_MAX_CLIENTS];

		for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++) {
			fds[i] = connect_unix(f.sock);
			ck_assert_int_ge(fds[i], 0);
			ck_assert_int_eq(send(fds[i], "ping\n", 5, MSG_NOSIGNAL), 5);
		}
		for (unsigned i = 0; i < WGW_CTL_MAX_CLIENTS; i++) {
			read_all(fds[i], buf, sizeof(buf));
			ok_body(buf);
			close(fds[i]);
		}
	}
	for (unsigned i = 0; i < FLOOD; i++)
		close(idle[i]);

	/* A lone idle metrics connection: closed at the HTTP deadline, well
	 * before the control socket's. */
	idle[0] = tcp_connect(ep.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_uint_eq(read_all(idle[0], buf, sizeof(buf)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(idle[0]);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(s > WGW_CTL_HTTP_TIMEOUT_MS / 1000.0 - 0.5 &&
		      s < WGW_CTL_HTTP_TIMEOUT_MS / 1000.0 + 1.5,
		      "idle metrics connection closed after %.1f s", s);
	fake_down(&f);
}
END_TEST

/*
 * "backends add" takes what the configuration file takes, no more: each
 * refusal names the value and the reason, and the running set is unchanged.
 */
START_TEST(test_server_backends_add_invalid)
{
	static const struct {
		const char *arg, *why;
	} bad[] = {
		{ "224.0.0.1:8420", "not a multicast address" },
		{ "239.255.255.250:1900", "not a multicast address" },
		{ "255.255.255.255:8420", "not the broadcast address" },
		{ "0.0.0.0:8420", "not the unspecified address" },
		{ "127.0.0.1:8420", "a loopback address" },
		{ "127.8.9.10:8420", "a loopback address" },
		{ "169.254.1.1:8420", "a link-local address" },
		{ "10.0.0.100:8420", "the NAT address" },
		{ "10.0.0.100:1", "the NAT address" },
		{ "192.0.2.1:8420", "a VIP address" },
		{ "192.0.2.1:9999", "a VIP address" },
		{ "[::ffff:10.0.0.14]:8420", "IPv4-mapped" },
		{ "10.0.0.14:0", "port must be 1-65535" },
	};
	char before[8192], want[256];
	struct fake f;

	fake_up(&f, 0600, NULL);
	snprintf(before, sizeof(before), "%s", ok_body(xchg(&f, "backends\n")));
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char req[128];
		const char *r;

		snprintf(req, sizeof(req), "backends add %s\n", bad[i].arg);
		r = xchg(&f, req);
		snprintf(want, sizeof(want), "ERR EINVAL backend '%s': ", bad[i].arg);
		ck_assert_msg(!strncmp(r, want, strlen(want)) && strstr(r, bad[i].why),
			      "%s: %s", bad[i].arg, r);
		ck_assert_str_eq(ok_body(xchg(&f, "backends\n")), before);
	}
	/* The same check lets a good one through. */
	ok_body(xchg(&f, "backends add 10.0.0.14:8420\n"));
	ck_assert(strstr(ok_body(xchg(&f, "backends\n")), "10.0.0.14:8420"));
	fake_down(&f);
}
END_TEST

/* --------------------------------------------------------------- reload */

static unsigned backend_weight(struct wgw_engine *e, const char *addr, uint16_t port)
{
	struct wgw_backend_info bi[WGW_ENGINE_MAX_BACKENDS];
	union wgw_addr a = A(addr);
	unsigned n = wgw_engine_backends(e, bi, WGW_ENGINE_MAX_BACKENDS);

	for (unsigned i = 0; i < n; i++)
		if (bi[i].port == port && wgw_addr_eq(&bi[i].addr, &a))
			return bi[i].weight;
	return 0;
}

START_TEST(test_reload)
{
	char *argv[4];
	char msg[WGW_CONFIG_ERRLEN];
	struct wgw_engine_stats es;
	struct fake f;

	fake_up(&f, 0600, NULL);
	argv[0] = "wraith-gatewayd";
	argv[1] = "-c";
	argv[2] = f.conf;
	argv[3] = NULL;

	/* Valid: a backend goes, one comes, a weight changes, a VIP is
	 * added, the limits change; a drained backend stays drained. */
	ck_assert_int_eq(wgw_engine_backend_drain(f.d->engine, &f.d->cfg.backends[1].addr, 8420), 0);
	write_conf(&f, "wan = lo\nvip = 192.0.2.1:8420\nvip = 192.0.2.2:9000-9010\n"
		   "nat = 10.0.0.100\nmax-sessions = 2048\nmax-mappings = 4096\n"
		   "session-timeout = 60\n"
		   "backend = 10.0.0.12:8420@300\nbackend = 10.0.0.13:8420\n");
	ck_assert_int_eq(wgw_daemon_reload_args(f.d, 3, argv, msg, sizeof(msg)), 0);
	ck_assert_msg(strstr(msg, "1 added, 1 removed, 1 reweighted"), "%s", msg);
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.11", 8420), 0);
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.12", 8420), 300);
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.13", 8420), 100);
	ck_assert_uint_eq(f.d->cfg.n_vips, 2);
	ck_assert_uint_eq(f.d->cfg.session_timeout_s, 60);
	wgw_engine_get_stats(f.d->engine, &es);
	ck_assert_uint_eq(es.lim_cids, 2048);
	ok_body(xchg(&f, "backends\n"));
	ck_assert(strstr(reply_buf, "10.0.0.12:8420:\n    backend: 10.0.0.12:8420\n    slot: 1\n"
			 "    state: drain\n    weight: 300\n"));

	/* Invalid: refused whole, with the reason; nothing changes. */
	write_conf(&f, BASE_CONF "backend = 10.0.0.11:70000\n");
	ck_assert_int_eq(wgw_daemon_reload_args(f.d, 3, argv, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "70000") && strstr(msg, "running configuration stays"), "%s", msg);
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.13", 8420), 100);
	ck_assert_uint_eq(f.d->cfg.n_vips, 2);

	/* Keys that need a restart: named, refused. */
	write_conf(&f, "wan = eth7\nvip = 192.0.2.1:8420\nnat = 10.0.0.101\n"
		   "max-sessions = 4096\nmax-mappings = 4096\nbackend = 10.0.0.11:8420\n");
	ck_assert_int_eq(wgw_daemon_reload_args(f.d, 3, argv, msg, sizeof(msg)), -EINVAL);
	/* lan follows wan when it is not given. */
	ck_assert_msg(strstr(msg, "need a restart: wan, lan, nat;"), "%s", msg);
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.11", 8420), 0);

	/* Above the capacity of the start. */
	write_conf(&f, "wan = lo\nvip = 192.0.2.1:8420\nnat = 10.0.0.100\n"
		   "max-sessions = 8192\nmax-mappings = 4096\nbackend = 10.0.0.11:8420\n");
	ck_assert_int_eq(wgw_daemon_reload_args(f.d, 3, argv, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "capacity"), "%s", msg);

	/* A missing file. */
	unlink(f.conf);
	ck_assert_int_lt(wgw_daemon_reload_args(f.d, 3, argv, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(f.d->cfg.n_vips, 2);

	/* Not a regular file: refused before any read (a FIFO would block
	 * the control thread, /dev/zero would be read until memory runs
	 * out); the running configuration stays. */
	ck_assert_int_eq(symlink("/dev/zero", f.conf), 0);
	ck_assert_int_eq(wgw_daemon_reload_args(f.d, 3, argv, msg, sizeof(msg)), -EINVAL);
	ck_assert_msg(strstr(msg, "a character device: expected a regular file") &&
		      strstr(msg, "running configuration stays"), "%s", msg);
	ck_assert_uint_eq(f.d->cfg.n_vips, 2);
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.12", 8420), 300);
	unlink(f.conf);
	ck_assert_int_eq(mkfifo(f.conf, 0600), 0);
	ck_assert(!strncmp(xchg(&f, "reload\n"), "ERR EINVAL ", 11));
	ck_assert_msg(strstr(reply_buf, "a FIFO: expected a regular file"), "%s", reply_buf);
	ok_body(xchg(&f, "ping\n"));
	ck_assert_uint_eq(f.d->cfg.n_vips, 2);
	unlink(f.conf);

	/* Through the socket: the refusal comes back as the reply, and a
	 * good file is applied. */
	write_conf(&f, BASE_CONF "backend = 10.0.0.11:70000\n");
	ck_assert(!strncmp(xchg(&f, "reload\n"), "ERR EINVAL ", 11));
	ck_assert(strstr(reply_buf, "70000"));
	write_conf(&f, BASE_CONF "backend = 10.0.0.11:8420\n");
	ck_assert(strstr(ok_body(xchg(&f, "reload\n")), "1 added, 2 removed"));
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.11", 8420), 100);
	ck_assert_uint_eq(backend_weight(f.d->engine, "10.0.0.13", 8420), 0);
	fake_down(&f);
}
END_TEST

START_TEST(test_reload_check_keys)
{
	struct wgw_config *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char msg[WGW_CONFIG_ERRLEN];

	ck_assert_int_eq(wgw_config_defaults(a), 0);
	*b = *a;
	ck_assert_int_eq(wgw_reload_check(a, b, msg, sizeof(msg)), 0);
	b->session_timeout_s++;
	b->verbose = 2;
	b->n_backends = 3;
	ck_assert_int_eq(wgw_reload_check(a, b, msg, sizeof(msg)), 0);
	b->frame_size = 4096;
	b->queues = 2;
	b->metrics_listen.set = true;
	ck_assert_int_eq(wgw_reload_check(a, b, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "changed keys need a restart: queues, frame-size, metrics-listen");
	free(a);
	free(b);
}
END_TEST

/* Change option o's value in c to another valid-looking one. */
static void opt_change(struct wgw_config *c, const struct wgw_option *o)
{
	char *f = (char *)c + o->off;
	unsigned int v;

	switch (o->type) {
	case WGW_OPT_BOOL:
		*(bool *)f = !*(bool *)f;
		break;
	case WGW_OPT_COUNT:
	case WGW_OPT_UINT:
	case WGW_OPT_OCTAL:
	case WGW_OPT_QUEUES:
	case WGW_OPT_PORT_RANGE:	/* its first field: the low port */
		if (o->type == WGW_OPT_PORT_RANGE)
			c->nat_port_lo++;
		else
			(*(uint32_t *)f)++;
		break;
	case WGW_OPT_ENUM:
		memcpy(&v, f, sizeof(v));
		v = v == 1 ? 2 : 1;	/* not 0: "inherit" may mean auto */
		memcpy(f, &v, sizeof(v));
		break;
	case WGW_OPT_STRING:
	case WGW_OPT_IFNAME:
		snprintf(f, o->size, "changed0");
		break;
	case WGW_OPT_ADDR:
		c->nat_set = !c->nat_set;
		break;
	case WGW_OPT_ENDPOINT:
		c->metrics_listen.set = !c->metrics_listen.set;
		break;
	case WGW_OPT_CPULIST:
		if (CPU_ISSET(0, &c->cpus))
			CPU_CLR(0, &c->cpus);
		else
			CPU_SET(0, &c->cpus);
		break;
	case WGW_OPT_VIP:
		c->n_vips++;
		break;
	case WGW_OPT_BACKEND:
		c->n_backends++;
		break;
	case WGW_OPT_STORE:
		c->n_stores++;
		break;
	default:
		ck_abort_msg("option %s: no change for its type", o->name);
	}
}

/* Every option's reload class is what a reload does with it: a change to
 * a restart-only key is refused naming just that key (foreground too), a
 * change to a live key passes the check. */
START_TEST(test_reload_classes)
{
	struct wgw_config *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	char msg[WGW_CONFIG_ERRLEN], want[128];
	unsigned int nrestart = 0, nlive = 0;

	ck_assert_int_eq(wgw_config_defaults(a), 0);
	/* An explicit lan and per-interface modes: a changed wan or mode then
	 * changes only itself, not what inherits it. */
	snprintf(a->lan, sizeof(a->lan), "lan0");
	a->wan_mode = a->lan_mode = WGW_MODE_FALLBACK;
	for (size_t i = 0; i < wgw_n_options; i++) {
		const struct wgw_option *o = &wgw_options[i];

		ck_assert_msg(o->reload != WGW_RELOAD_UNSET, "%s: no reload class", o->name);
		if (o->reload == WGW_RELOAD_ACTION)
			continue;
		*b = *a;
		opt_change(b, o);
		if (o->reload == WGW_RELOAD_RESTART) {
			ck_assert_msg(wgw_reload_check(a, b, msg, sizeof(msg)) == -EINVAL,
				      "%s: a change passed the reload check", o->name);
			snprintf(want, sizeof(want), "changed keys need a restart: %s", o->name);
			ck_assert_str_eq(msg, want);
			nrestart++;
		} else {
			ck_assert_msg(wgw_reload_check(a, b, msg, sizeof(msg)) == 0,
				      "%s: %s", o->name, msg);
			nlive++;
		}
	}
	ck_assert_uint_ge(nrestart, 30);
	ck_assert_uint_ge(nlive, 10);
	*b = *a;
	b->foreground = !a->foreground;
	ck_assert_int_eq(wgw_reload_check(a, b, msg, sizeof(msg)), -EINVAL);
	ck_assert_str_eq(msg, "changed keys need a restart: foreground");
	free(a);
	free(b);
}
END_TEST

/* --------------------------------------------------------- privileges */

static uint64_t status_mask(const char *key)
{
	char line[256];
	uint64_t v = ~0ull;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 16);
	fclose(f);
	return v;
}

/* In a child (the drop is for good): exactly the documented set is left,
 * in the effective, permitted and bounding sets, with no_new_privs. */
static int drop_in_child(uint16_t vip_port, enum wgw_xdp_attach xa, uint64_t want)
{
	struct wgw_config *cfg = calloc(1, sizeof(*cfg));
	pid_t pid;
	int st;

	ck_assert_int_eq(wgw_config_defaults(cfg), 0);
	cfg->n_vips = 1;
	cfg->vips[0].addr = A("192.0.2.1");
	cfg->vips[0].port_lo = cfg->vips[0].port_hi = vip_port;
	cfg->xdp_attach = xa;
	ck_assert_uint_eq(wgw_privs_keep_mask(cfg, false), want);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (wgw_privs_drop(cfg, false))
			_exit(2);
		if (status_mask("CapEff:") != want || status_mask("CapPrm:") != want)
			_exit(3);
		if (status_mask("CapBnd:") != want)
			_exit(4);
		if (status_mask("NoNewPrivs:") != 1)
			_exit(5);
		_exit(0);
	}
	free(cfg);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

START_TEST(test_privs_drop)
{
	uint64_t base = 1ull << CAP_NET_ADMIN | 1ull << CAP_NET_RAW | 1ull << CAP_IPC_LOCK |
			1ull << CAP_PERFMON | 1ull << CAP_BPF;

	ck_assert_int_eq(drop_in_child(8420, WGW_XDP_ATTACH_AUTO, base), 0);
	ck_assert_int_eq(drop_in_child(443, WGW_XDP_ATTACH_EXCLUSIVE,
				       base | 1ull << CAP_NET_BIND_SERVICE), 0);
	/* libxdp reads the dispatcher by program id. */
	ck_assert_int_eq(drop_in_child(8420, WGW_XDP_ATTACH_SHARED,
				       base | 1ull << CAP_SYS_ADMIN), 0);
}
END_TEST

/* A flood that stops still says how many messages it hid: the flush
 * reports them once the window has passed, not only with the next one. */
START_TEST(test_ratelimit_flush)
{
	static struct wgw_ratelimit rl = { .site_level = LOG_WARNING,
					   .site_fmt = "test flood %d" };
	char path[] = "/tmp/wgw-test-log-XXXXXX", buf[4096];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), n = 0;
	ssize_t len;

	ck_assert_int_ge(fd, 0);
	wgw_log_init("test_ctl", 0, LOG_NOTICE);
	for (int i = 0; i < WGW_RL_BURST + 5; i++)
		n += wgw_ratelimit_ok(&rl) != 0;
	ck_assert_int_eq(n, WGW_RL_BURST);
	ck_assert_uint_eq(atomic_load(&rl.missed), 5);

	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	wgw_ratelimit_flush();		/* the window has not passed */
	ck_assert_uint_eq(atomic_load(&rl.missed), 5);
	atomic_fetch_sub(&rl.window, WGW_RL_INTERVAL_S);
	wgw_ratelimit_flush();
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ck_assert_uint_eq(atomic_load(&rl.missed), 0);
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(len, 0);
	buf[len] = '\0';
	ck_assert_msg(strstr(buf, "warning: 5 similar to \"test flood %d\" suppressed\n"),
		      "flushed: %s", buf);
	close(fd);
	unlink(path);
}
END_TEST

static Suite *ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("proto");

	tcase_add_test(tc, test_json_checker);
	tcase_add_test(tc, test_req_good);
	tcase_add_test(tc, test_req_bad);
	tcase_add_test(tc, test_req_random);
	tcase_add_test(tc, test_status_lines);
	tcase_add_test(tc, test_doc_json);
	tcase_add_test(tc, test_doc_text);
	tcase_add_test(tc, test_strbuf_limit);
	tcase_add_test(tc, test_prometheus);
	tcase_add_test(tc, test_stats_doc_rates);
	tcase_add_test(tc, test_metrics_model);
	tcase_add_test(tc, test_reload_check_keys);
	tcase_add_test(tc, test_reload_classes);
	tcase_add_test(tc, test_ratelimit_flush);
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_server_commands);
	tcase_add_test(tc, test_server_bad_requests);
	tcase_add_test(tc, test_server_concurrency);
	tcase_add_test(tc, test_server_socket_file);
	tcase_add_test(tc, test_server_metrics_http);
	tcase_add_test(tc, test_server_metrics_pool);
	tcase_add_test(tc, test_server_backends_add_invalid);
	tcase_add_test(tc, test_reload);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * What only root can test: another uid at the socket, and the capability
 * drop.  Built into test_ctl_root, which reports SKIP (77) with the reason
 * when it cannot run them, rather than passing without running.
 */
static Suite *ctl_root_suite(void)
{
	Suite *s = suite_create("ctl-root");
	TCase *tc = tcase_create("root");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_server_peer_uid);
	tcase_add_test(tc, test_privs_drop);
	suite_add_tcase(s, tc);
	return s;
}

/* Why the root-only tests cannot run here, or NULL. */
static const char *root_missing(void)
{
	if (geteuid() != 0)
		return "not root: cannot connect as another uid or drop capabilities";
	if (!(status_mask("CapEff:") & 1ull << CAP_SETPCAP))
		return "root without CAP_SETPCAP: cannot drop the bounding set";
	return NULL;
}

int main(void)
{
	SRunner *sr;
	int failed;

#ifdef WGW_TEST_CTL_ROOT
	const char *why = root_missing();

	(void)ctl_suite;
	if (why) {
		fprintf(stderr, "SKIP: test_ctl_root: %s\n", why);
		return 77;
	}
	sr = srunner_create(ctl_root_suite());
#else
	/* Referenced, so both builds compile every test. */
	(void)ctl_root_suite;
	(void)root_missing;
	sr = srunner_create(ctl_suite());
#endif

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
