// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target: the configuration file parser (gateway/options.c through
 * inih, the value parsers of gateway/config.c) and the checks across
 * options.  The input is the file's content, handed over as a memfd so no
 * disk is touched.  Invariants:
 *  - a refused file leaves an error message that names the file;
 *  - an accepted file survives a round trip: wgw_config_print() of it loads
 *    back without error and prints the same text again (the printer's
 *    promise: "it loads back into the same configuration");
 *  - validation of whatever was loaded never crashes, and either accepts
 *    or explains;
 *  - an accepted configuration has only backends a naive restatement of
 *    the rule allows (unicast, not loopback or link-local, port 1-65535,
 *    neither the NAT address nor a VIP's): wgw_backend_check() is the
 *    one gate for the file and the control socket alike.
 * Run with -dict=tests/fuzz/config.dict (run.sh does).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gateway/log.h"
#include "gateway/options.h"
#include "tests/fuzz/fuzz_common.h"

/* Load text of length len; returns the loader's result. */
static int load(struct wgw_config *cfg, const void *text, size_t len, char *err)
{
	char path[64];
	int fd, ret;

	fd = memfd_create("wgw-fuzz-config", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (len && write(fd, text, len) != (ssize_t)len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err[0] = '\0';
	ret = wgw_config_load_file(cfg, path, err, WGW_CONFIG_ERRLEN);
	close(fd);
	return ret;
}

/* The backend rule, restated byte by byte, independently of config.c. */
static bool backend_ok(const struct wgw_config *cfg, const struct wgw_backend *b)
{
	const uint8_t *a = b->addr.b;
	static const uint8_t zero[16], v4map[12] = { [10] = 0xff, [11] = 0xff };
	unsigned i;

	if (b->port == 0)
		return false;
	if (!memcmp(a, v4map, 12)) {
		if (a[12] == 0 && a[13] == 0 && a[14] == 0 && a[15] == 0)
			return false;			/* 0.0.0.0 */
		if ((a[12] & 0xf0) == 0xe0)
			return false;			/* 224/4 */
		if (a[12] == 255 && a[13] == 255 && a[14] == 255 && a[15] == 255)
			return false;			/* broadcast */
		if (a[12] == 127 || (a[12] == 169 && a[13] == 254))
			return false;
	} else {
		if (!memcmp(a, zero, 16) || a[0] == 0xff)
			return false;
		if (!memcmp(a, zero, 15) && a[15] == 1)
			return false;			/* ::1 */
		if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
			return false;
	}
	if (cfg->nat_set && !memcmp(a, cfg->nat.b, 16))
		return false;
	for (i = 0; i < cfg->n_vips; i++)
		if (!memcmp(a, cfg->vips[i].addr.b, 16))
			return false;
	return true;
}

static char *print(const struct wgw_config *cfg, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	wgw_config_print(cfg, f);
	fclose(f);
	return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Parse errors are the normal case here: keep them off stderr. */
	wgw_log_init("fuzz_config", 0, LOG_CRIT);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wgw_config cfg, again;
	char err[WGW_CONFIG_ERRLEN];
	char *text1, *text2;
	size_t len1, len2;
	int ret;

	if (size > 64 * 1024)
		return 0;
	fz_assert(wgw_config_defaults(&cfg) == 0, "defaults");
	ret = load(&cfg, data, size, err);
	if (ret) {
		fz_assert(ret < 0, "load returned %d", ret);
		fz_assert(strstr(err, "/proc/self/fd/") != NULL,
			  "error without the file's name: '%s'", err);
		return 0;
	}
	if (wgw_config_validate(&cfg, err, sizeof(err))) {
		fz_assert(err[0] != '\0', "validation refused without a message");
	} else {
		for (unsigned i = 0; i < cfg.n_backends; i++)
			fz_assert(backend_ok(&cfg, &cfg.backends[i]),
				  "an accepted backend breaks the rule (#%u)", i);
	}

	text1 = print(&cfg, &len1);
	fz_assert(wgw_config_defaults(&again) == 0, "defaults");
	ret = load(&again, text1, len1, err);
	fz_assert(ret == 0, "printed configuration does not load back: %s\n%s",
		  err, text1);
	text2 = print(&again, &len2);
	fz_assert(len1 == len2 && !memcmp(text1, text2, len1),
		  "round trip changed the configuration:\n%s\n---\n%s", text1, text2);
	free(text1);
	free(text2);
	return 0;
}
