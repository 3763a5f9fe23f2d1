// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include "gateway/log.h"
#include "gateway/options.h"
#include "gateway/privs.h"

#define PRIVILEGED_PORTS 1024	/* ports below need CAP_NET_BIND_SERVICE */

uint64_t wgw_privs_keep_mask(const struct wgw_config *cfg, bool dispatcher)
{
	uint64_t m = 1ull << CAP_NET_ADMIN | 1ull << CAP_BPF | 1ull << CAP_PERFMON |
		     1ull << CAP_NET_RAW | 1ull << CAP_IPC_LOCK;

	for (unsigned i = 0; i < cfg->n_vips; i++)
		if (cfg->vips[i].port_lo < PRIVILEGED_PORTS)
			m |= 1ull << CAP_NET_BIND_SERVICE;
	if (dispatcher || cfg->xdp_attach == WGW_XDP_ATTACH_SHARED)
		m |= 1ull << CAP_SYS_ADMIN;
	return m;
}

int wgw_privs_drop(const struct wgw_config *cfg, bool dispatcher)
{
	capng_select_t sel = CAPNG_SELECT_CAPS;
	uint64_t keep = wgw_privs_keep_mask(cfg, dispatcher), permitted = 0;
	char names[256] = "";
	int rc;

	if (capng_get_caps_process())
		return -EIO;
	/* Reducing the bounding set needs CAP_SETPCAP; without it the
	 * service manager has bounded us already. */
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		sel = CAPNG_SELECT_BOTH;
	for (unsigned cap = 0; cap <= CAP_LAST_CAP && cap < 64; cap++)
		if (capng_have_capability(CAPNG_PERMITTED, cap))
			permitted |= 1ull << cap;
	capng_clear(sel);
	for (unsigned cap = 0; cap <= CAP_LAST_CAP && cap < 64; cap++) {
		if (!(keep & 1ull << cap))
			continue;
		if (!(permitted & 1ull << cap)) {
			/* Not ours to keep: the service manager withheld
			 * it.  The step that needs it will say so. */
			wgw_warn("privileges: %s is not permitted; keeping the rest",
				 capng_capability_to_name(cap));
			keep &= ~(1ull << cap);
			continue;
		}
		if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
				 (sel == CAPNG_SELECT_BOTH ? CAPNG_BOUNDING_SET : 0), cap)) {
			wgw_err("privileges: libcap-ng refused %s", capng_capability_to_name(cap));
			return -EINVAL;
		}
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 names[0] ? " " : "", capng_capability_to_name(cap));
	}
	rc = capng_apply(sel);
	if (rc) {
		wgw_err("privileges: dropping capabilities failed (libcap-ng %d)", rc);
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		wgw_err("privileges: no_new_privs: %s", strerror(errno));
		return -errno;
	}
	/* Trust, but verify: exactly that set is left. */
	if (capng_get_caps_process())
		return -EIO;
	for (unsigned cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool want = cap < 64 && (keep & 1ull << cap);

		if (capng_have_capability(CAPNG_EFFECTIVE, cap) != want) {
			wgw_err("privileges: %s is %s", capng_capability_to_name(cap),
				want ? "missing" : "still effective");
			return -EPERM;
		}
	}
	wgw_info("privileges: kept only %s", names);
	return 0;
}
