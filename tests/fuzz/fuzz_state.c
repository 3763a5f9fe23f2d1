// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the state file loader (gateway/statefile.c) and the restore
 * (gateway/engine_state.c).  The input is a state file.  A refused file
 * says why; an accepted one is restored into a small engine, whose tables
 * must then pass the full consistency check (pools, chains, counters), and
 * encodes back to the same bytes.  The checksum would keep a fuzzer from
 * ever getting past it, so the harness fixes it up first: what it tests is
 * everything behind the checksum.
 */
#include "config.h"

#include <errno.h>

#include "gateway/engine.h"
#include "gateway/state.h"
#include "tests/fuzz/fuzz_common.h"

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct wgw_engine *engine(void)
{
	static struct wgw_vip vip;
	struct wgw_engine_cfg cfg = { 0 };
	static const char *const be[] = { "10.0.0.11", "10.0.0.12", "10.0.0.13" };
	struct wgw_engine *e;

	wgw_addr_parse(&vip.addr, "203.0.113.10");
	vip.port_lo = vip.port_hi = 8420;
	cfg.vips = &vip;
	cfg.n_vips = 1;
	wgw_addr_parse(&cfg.nat_addr, "10.0.0.1");
	cfg.nat_port_lo = 20000;
	cfg.nat_port_hi = 20063;
	cfg.n_threads = 1;
	cfg.max_cids = 1024;
	cfg.max_mappings = 1024;
	cfg.cid_idle_s = 300;
	cfg.map_idle_s = 60;
	e = wgw_engine_create(&cfg);
	fz_assert(e, "engine");
	for (unsigned i = 0; i < 3; i++) {
		union wgw_addr a;

		wgw_addr_parse(&a, be[i]);
		fz_assert(wgw_engine_backend_add(e, &a, 8420, 1) >= 0, "backend");
	}
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wgw_state st;
	struct wgw_state_result res;
	struct wgw_engine *e;
	uint8_t *buf, *again;
	size_t len;
	char why[256];
	uint64_t sum;
	int ret;

	buf = malloc(size ? size : 1);
	fz_assert(buf, "malloc");
	memcpy(buf, data, size);
	if (size >= 72) {
		sum = fnv1a(buf, size - 8);
		memcpy(buf + size - 8, &sum, 8);	/* little-endian hosts */
	}
	why[0] = '\0';
	ret = wgw_state_decode(buf, size, 1024, 1024, &st, why, sizeof(why));
	if (ret) {
		fz_assert(ret == -EINVAL || ret == -ENOMEM, "ret %d", ret);
		fz_assert(why[0], "refused without a reason");
		free(buf);
		return 0;
	}
	fz_assert(wgw_state_encode(&st, &again, &len) == 0, "encode");
	fz_assert(len == size && !memcmp(again, buf, size), "does not encode back");
	free(again);
	e = engine();
	fz_assert(wgw_engine_state_restore(e, 1000, 0, &st, &res) == 0, "restore");
	fz_assert(res.maps + res.maps_expired + res.maps_no_backend + res.maps_nat_changed +
		  res.maps_refused == st.n_maps, "mappings unaccounted for");
	fz_assert(res.cids + res.cids_expired + res.cids_no_backend + res.cids_refused ==
		  st.n_cids, "CIDs unaccounted for");
	fz_assert(wgw_engine_check(e, why, sizeof(why)) == 0, "%s", why);
	wgw_engine_destroy(e);
	wgw_state_free(&st);
	free(buf);
	return 0;
}
