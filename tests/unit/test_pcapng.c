// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pcapng writer: blocks read back field by field, options found by
 * walking them as a reader does, lengths and padding, and refusal when the
 * buffer is too small.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/pcapng.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The value of option code in the options at [p, end), or NULL. */
static const uint8_t *find_opt(const uint8_t *p, const uint8_t *end, uint16_t code,
			       uint16_t *len)
{
	while (p + 4 <= end) {
		uint16_t c = rd16(p), l = rd16(p + 2);

		if (c == 0)
			return NULL;
		if (c == code) {
			*len = l;
			return p + 4;
		}
		p += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

/* Common framing: the type, both lengths equal, a multiple of 4. */
static void check_frame(const uint8_t *b, int n, uint32_t type)
{
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(n % 4, 0);
	ck_assert_uint_eq(rd32(b), type);
	ck_assert_uint_eq(rd32(b + 4), (uint32_t)n);
	ck_assert_uint_eq(rd32(b + n - 4), (uint32_t)n);
}

START_TEST(test_shb)
{
	uint8_t b[256];
	uint16_t len;
	const uint8_t *v;
	int n = wgw_pcapng_shb(b, sizeof(b), "wraith-gatewayd");
	uint64_t slen;

	check_frame(b, n, 0x0A0D0D0A);
	ck_assert_uint_eq(rd32(b + 8), 0x1A2B3C4D);
	ck_assert_uint_eq(rd16(b + 12), 1);
	ck_assert_uint_eq(rd16(b + 14), 0);
	memcpy(&slen, b + 16, 8);
	ck_assert(slen == UINT64_MAX);
	v = find_opt(b + 24, b + n - 4, 4, &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, strlen("wraith-gatewayd"));
	ck_assert(!memcmp(v, "wraith-gatewayd", len));
	ck_assert_int_eq(wgw_pcapng_shb(b, (size_t)n - 1, "wraith-gatewayd"), -ENOSPC);
}
END_TEST

START_TEST(test_idb)
{
	uint8_t b[256];
	uint16_t len;
	const uint8_t *v;
	int n = wgw_pcapng_idb(b, sizeof(b), WGW_PCAPNG_LINKTYPE_ETHERNET, 9216, "wan0",
			       "wan side");

	check_frame(b, n, 1);
	ck_assert_uint_eq(rd16(b + 8), 1);
	ck_assert_uint_eq(rd32(b + 12), 9216);
	v = find_opt(b + 16, b + n - 4, 2, &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 4);
	ck_assert(!memcmp(v, "wan0", 4));
	v = find_opt(b + 16, b + n - 4, 3, &len);
	ck_assert_ptr_nonnull(v);
	ck_assert(!memcmp(v, "wan side", len));
	v = find_opt(b + 16, b + n - 4, 9, &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 1);
	ck_assert_uint_eq(v[0], 9);
	/* No description: no option for it. */
	n = wgw_pcapng_idb(b, sizeof(b), 1, 0, "lan0", NULL);
	check_frame(b, n, 1);
	ck_assert_ptr_null(find_opt(b + 16, b + n - 4, 3, &len));
}
END_TEST

START_TEST(test_epb)
{
	uint8_t b[512], pkt[61];
	const char *comment = "out lan0 to 10.0.0.12:8420 NAT port 20011";
	uint16_t len;
	const uint8_t *v;
	uint32_t flags;
	int n;

	for (unsigned i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	n = wgw_pcapng_epb(b, sizeof(b), 3, 0x123456789abcdef0ULL, pkt, 61, 1500,
			   WGW_PCAPNG_FLAG_OUTBOUND, comment);
	check_frame(b, n, 6);
	ck_assert_uint_eq((size_t)n, wgw_pcapng_epb_size(61, comment));
	ck_assert_uint_eq(rd32(b + 8), 3);
	ck_assert_uint_eq(rd32(b + 12), 0x12345678);
	ck_assert_uint_eq(rd32(b + 16), 0x9abcdef0);
	ck_assert_uint_eq(rd32(b + 20), 61);
	ck_assert_uint_eq(rd32(b + 24), 1500);
	ck_assert(!memcmp(b + 28, pkt, 61));
	ck_assert_uint_eq(b[28 + 61], 0);	/* padding */
	v = find_opt(b + 28 + 64, b + n - 4, 1, &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, strlen(comment));
	ck_assert(!memcmp(v, comment, len));
	v = find_opt(b + 28 + 64, b + n - 4, 2, &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 4);
	memcpy(&flags, v, 4);
	ck_assert_uint_eq(flags, WGW_PCAPNG_FLAG_OUTBOUND);

	/* Neither comment nor flags: only the end of options. */
	n = wgw_pcapng_epb(b, sizeof(b), 0, 1, pkt, 4, 4, 0, NULL);
	check_frame(b, n, 6);
	ck_assert_int_eq(n, 28 + 4 + 4 + 4);
	ck_assert_int_eq(wgw_pcapng_epb(b, 40, 0, 1, pkt, 61, 61, 0, NULL), -ENOSPC);
}
END_TEST

static Suite *pcapng_suite(void)
{
	Suite *s = suite_create("pcapng");
	TCase *tc = tcase_create("blocks");

	tcase_add_test(tc, test_shb);
	tcase_add_test(tc, test_idb);
	tcase_add_test(tc, test_epb);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pcapng_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
