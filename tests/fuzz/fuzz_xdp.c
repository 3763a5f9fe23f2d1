// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the XDP classifier (bpf/wraith_xdp.bpf.c), run by the
 * kernel through BPF_PROG_TEST_RUN on mutated frames: the real verifier's
 * program on the real JIT.  Needs root (CAP_BPF): without it the target
 * prints why and exits 77 before fuzzing.
 *
 * The program is not compiled by clang for the host, so libFuzzer sees no
 * coverage inside it.  Its counters stand in: every run sets one libFuzzer
 * "extra counter" for the reason the program gave, combined with the
 * frame's shape (family, VLAN), so inputs reaching a new reason are kept.
 *
 * Invariants:
 *  - the program writes nothing into the frame;
 *  - exactly one verdict counter and one reason counter move, by one, and
 *    the reason belongs to the verdict returned;
 *  - the userspace codec agrees: whatever is steered (or dropped as a
 *    WRAITH packet) parses as UDP with the WRAITH header the program saw,
 *    and what the program passes or drops as malformed the codec refuses
 *    too (the same table as tests/bpf/test_xdp.c).
 * The destinations are those of tests/bpf/test_xdp.c (see the seeds); the
 * handshake limit is on (1000/s, burst 4), so its drops are reached too.
 * The loopback interface, BPF_PROG_TEST_RUN's ingress, has the MAC the
 * seeds are sent to (02:00:00:00:00:02): other destinations reach the
 * program's L2 reasons.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "gateway/log.h"
#include "gateway/packet.h"
#include "gateway/xdp.h"
#include "tests/bpf/xdp_codec.h"
#include "tests/fuzz/fuzz_common.h"

#define FRAME_MAX 1600		/* bytes */
#define SHAPES 8		/* family x VLAN x role, see shape() */

/* libFuzzer reads (and clears before every run) this section as extra
 * coverage counters. */
__attribute__((section("__libfuzzer_extra_counters")))
static uint8_t extra[WGW_XDP_CNT_MAX * SHAPES];

static struct wgw_xdp *x;

static void add(enum wgw_xdp_role role, const char *a, uint16_t lo, uint16_t hi)
{
	union wgw_addr addr;
	int err;

	fz_assert(wgw_addr_parse(&addr, a) == 0, "address %s", a);
	err = wgw_xdp_add_dst(x, role, &addr, lo, hi);
	fz_assert(err == 0, "add_dst %s: %s", a, strerror(-err));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int err;

	wgw_log_init("fuzz_xdp", 0, LOG_CRIT);
	wgw_xdp_log_init();
	if (geteuid() != 0) {
		fprintf(stderr, "fuzz_xdp: needs root (loads a BPF program)\n");
		exit(77);
	}
	err = wgw_xdp_open(&x, 0);
	if (err == -EPERM || err == -ENOSYS) {
		fprintf(stderr, "fuzz_xdp: BPF is not available here: %s\n", strerror(-err));
		exit(77);
	}
	fz_assert(err == 0, "wgw_xdp_open: %s", strerror(-err));
	{
		static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 2 };

		err = wgw_xdp_set_if_mac(x, 1, mac);	/* the loopback */
		fz_assert(err == 0, "set_if_mac: %s", strerror(-err));
	}
	add(WGW_XDP_ROLE_VIP, "192.0.2.10", 8420, 8420);
	add(WGW_XDP_ROLE_VIP, "198.51.100.1", 40000, 50000);
	add(WGW_XDP_ROLE_VIP, "2001:db8::10", 8420, 8420);
	add(WGW_XDP_ROLE_NAT, "10.0.0.2", 20000, 29999);
	add(WGW_XDP_ROLE_NAT, "fd00::2", 20000, 29999);
	fz_assert(wgw_xdp_set_handshake_limit(x, 1000, 4) == 0, "handshake limit");
	return 0;
}

/* The codec's view must be compatible with the program's reason
 * (tests/bpf/xdp_codec.h): any rejection will do for a malformed frame. */
static void codec_agrees(const uint8_t *f, uint32_t len, unsigned int reason)
{
	enum wgw_pkt_kind k = WGW_PKT_NOT_IP;
	bool ok = xdp_codec_agrees(f, len, reason, false, &k);

	fz_assert(ok, "program says %s, codec says %s (len %u)",
		  wgw_xdp_counter_name(reason), wgw_pkt_kind_name(k), len);
}

/* 0-7: IPv4/IPv6/other x tagged or not, coarse. */
static unsigned int shape(const uint8_t *f, uint32_t len)
{
	unsigned int tagged = len >= 14 && (f[12] == 0x81 || f[12] == 0x88);
	unsigned int off = tagged ? 16 : 12;
	unsigned int fam = 2;

	if (len >= off + 2 && f[off] == 0x08 && f[off + 1] == 0x00)
		fam = 0;
	else if (len >= off + 2 && f[off] == 0x86 && f[off + 1] == 0xdd)
		fam = 1;
	return fam * 2 + tagged;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t before[WGW_XDP_CNT_MAX], after[WGW_XDP_CNT_MAX];
	uint8_t out[FRAME_MAX + 256];
	unsigned int i, reason = WGW_XDP_CNT_MAX, verdicts = 0, reasons = 0;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data,
		    .data_size_in = (uint32_t)size, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err;

	/* BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header. */
	if (size < 14 || size > FRAME_MAX)
		return 0;
	fz_assert(wgw_xdp_read_counters(x, before) == 0, "counters");
	err = bpf_prog_test_run_opts(wgw_xdp_prog_fd(x), &o);
	fz_assert(err == 0, "test run: %s", strerror(errno));
	fz_assert(wgw_xdp_read_counters(x, after) == 0, "counters");

	fz_assert(o.data_size_out == size && !memcmp(out, data, size),
		  "the program changed the frame");
	for (i = 0; i < WGW_XDP_CNT_MAX; i++) {
		uint64_t d = after[i] - before[i];
		bool is_verdict = i == WGW_XDP_CNT_PASS || i == WGW_XDP_CNT_DROP ||
				  i == WGW_XDP_CNT_REDIRECT;

		fz_assert(d <= 1, "counter %s moved by %llu", wgw_xdp_counter_name(i),
			  (unsigned long long)d);
		if (!d)
			continue;
		if (is_verdict) {
			verdicts++;
		} else {
			reasons++;
			reason = i;
		}
	}
	fz_assert(verdicts == 1 && reasons == 1, "%u verdicts, %u reasons moved",
		  verdicts, reasons);
	{
		unsigned int v = wgw_xdp_counter_verdict(reason);
		int act = v == WGW_XDP_CNT_PASS ? XDP_PASS :
			  v == WGW_XDP_CNT_DROP ? XDP_DROP : XDP_REDIRECT;

		fz_assert(after[v] - before[v] == 1, "reason %s, verdict counter %s did "
			  "not move", wgw_xdp_counter_name(reason), wgw_xdp_counter_name(v));
		fz_assert((int)o.retval == act, "returned %u for %s", o.retval,
			  wgw_xdp_counter_name(reason));
	}
	codec_agrees(data, (uint32_t)size, reason);
	extra[reason * SHAPES + shape(data, (uint32_t)size)] = 1;
	return 0;
}
