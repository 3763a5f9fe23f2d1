// SPDX-License-Identifier: GPL-2.0-only
/*
 * The trace command: what the engine would do with a packet, changing
 * nothing (wgw_engine_trace()), as text or JSON, like ovs-appctl
 * ofproto/trace.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gateway/ctl_internal.h"
#include "gateway/daemon.h"
#include "gateway/engine.h"

static int trace_endpoint(const char *s, const char *what, union wgw_addr *a, uint16_t *port,
			  char *why, size_t whylen)
{
	char sub[128];
	uint16_t hi;

	if (wgw_parse_addr_port(s, false, a, port, &hi, sub, sizeof(sub))) {
		snprintf(why, whylen, "%s '%.64s': %s", what, s, sub);
		return -EINVAL;
	}
	return 0;
}

static void doc_endpoint(struct wgw_doc *doc, const char *key, const union wgw_addr *a,
			 uint16_t port)
{
	char b[INET6_ADDRSTRLEN];

	wgw_addr_str(a, b, sizeof(b));
	wgw_doc_strf(doc, key, wgw_addr_is_v4(a) ? "%s:%u" : "[%s]:%u", b, port);
}

static int trace_args(const struct wgw_ctl_req *r, struct wgw_trace_in *in, char *why,
		      size_t whylen)
{
	static const char usage[] = "usage: trace SRC_ADDR:PORT DST_ADDR:PORT [cid CID] [from wan|lan]";

	memset(in, 0, sizeof(*in));
	in->dir = WGW_DIR_ANY;
	if (r->argc < 2 || r->argc % 2) {
		snprintf(why, whylen, "%s", usage);
		return -EINVAL;
	}
	if (trace_endpoint(r->argv[0], "source", &in->src, &in->sport, why, whylen) ||
	    trace_endpoint(r->argv[1], "destination", &in->dst, &in->dport, why, whylen))
		return -EINVAL;
	for (unsigned i = 2; i < r->argc; i += 2) {
		const char *k = r->argv[i], *v = r->argv[i + 1];

		if (!strcmp(k, "cid") && !wgw_ctl_parse_cid(v, &in->cid)) {
			in->has_cid = true;
		} else if (!strcmp(k, "from") && (!strcmp(v, "wan") || !strcmp(v, "lan"))) {
			in->dir = v[0] == 'w' ? WGW_DIR_CLIENT : WGW_DIR_BACKEND;
		} else {
			snprintf(why, whylen, "bad '%.32s %.64s': %s", k, v, usage);
			return -EINVAL;
		}
	}
	return 0;
}

int wgw_ctl_trace(struct wgw_ctl *c, const struct wgw_ctl_req *r, struct wgw_doc *doc,
		  char *why, size_t whylen)
{
	static const char *const verdicts[] = {
		[WGW_DROP] = "drop", [WGW_TO_LAN] = "to_lan", [WGW_TO_WAN] = "to_wan",
	};
	static const char *const maps[] = {
		[WGW_TRACE_MAP_NONE] = "none", [WGW_TRACE_MAP_EXISTING] = "existing",
		[WGW_TRACE_MAP_NEW] = "new",
	};
	struct wgw_trace_in in;
	struct wgw_trace t;

	if (trace_args(r, &in, why, whylen))
		return -EINVAL;
	wgw_engine_trace(c->d->engine, &in, &t);

	wgw_doc_obj(doc, "packet");
	wgw_doc_str(doc, "from", t.dir == WGW_DIR_BACKEND ? "lan" : "wan");
	doc_endpoint(doc, "src", &in.src, in.sport);
	doc_endpoint(doc, "dst", &in.dst, in.dport);
	if (in.has_cid)
		wgw_doc_strf(doc, "cid", "0x%016" PRIx64, in.cid);
	wgw_doc_close(doc);
	wgw_doc_str(doc, "verdict", verdicts[t.verdict]);
	if (t.verdict == WGW_DROP)
		wgw_doc_str(doc, "drop_reason", wgw_drop_reason_name(t.reason));
	if (t.rule)
		wgw_doc_u64(doc, "rule", t.rule);
	wgw_doc_str(doc, "why", t.why ? t.why : "");
	if (t.backend >= 0) {
		wgw_doc_obj(doc, "backend");
		doc_endpoint(doc, "address", &t.backend_addr, t.backend_port);
		wgw_doc_u64(doc, "slot", (uint64_t)t.backend);
		wgw_doc_str(doc, "state", wgw_backend_state_name(t.backend_state));
		wgw_doc_close(doc);
	}
	wgw_doc_obj(doc, "mapping");
	wgw_doc_str(doc, "state", maps[t.map]);
	if (t.map != WGW_TRACE_MAP_NONE) {
		char nat[INET6_ADDRSTRLEN];

		wgw_doc_str(doc, "nat", wgw_addr_str(&t.nat_addr, nat, sizeof(nat)) ? nat : "?");
		wgw_doc_u64(doc, "nat_port", t.nat_port);
	}
	wgw_doc_close(doc);
	if (in.has_cid) {
		wgw_doc_obj(doc, "cid");
		wgw_doc_bool(doc, "known", t.cid_known);
		if (t.cid_known)
			wgw_doc_u64(doc, "backend_slot", (uint64_t)t.cid_backend);
		wgw_doc_bool(doc, "would_learn", t.cid_learn);
		wgw_doc_close(doc);
	}
	if (t.verdict != WGW_DROP) {
		wgw_doc_obj(doc, "rewritten");
		doc_endpoint(doc, "src", &t.out_src, t.out_sport);
		doc_endpoint(doc, "dst", &t.out_dst, t.out_dport);
		wgw_doc_close(doc);
	}
	return 0;
}
