// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

#include "gateway/log.h"
#include "gateway/privs.h"

int wgw_privs_drop(void)
{
	capng_select_t sel = CAPNG_SELECT_CAPS;
	int rc;

	if (capng_get_caps_process())
		return -EIO;
	/* Clearing the bounding set needs CAP_SETPCAP; without it the
	 * service manager has bounded us already. */
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
		sel = CAPNG_SELECT_BOTH;
	if (!capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN)) {
		wgw_err("privileges: CAP_NET_ADMIN is not permitted: cannot run");
		return -EPERM;
	}
	capng_clear(sel);
	if (capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED |
			 (sel == CAPNG_SELECT_BOTH ? CAPNG_BOUNDING_SET : 0),
			 CAP_NET_ADMIN)) {
		wgw_err("privileges: libcap-ng refused the set");
		return -EINVAL;
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
	/* Trust, but verify: exactly the documented set is left. */
	if (capng_get_caps_process() ||
	    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_PARTIAL ||
	    !capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_ADMIN)) {
		wgw_err("privileges: the capabilities left are not the expected ones");
		return -EPERM;
	}
	for (unsigned cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap != CAP_NET_ADMIN && capng_have_capability(CAPNG_EFFECTIVE, cap)) {
			wgw_err("privileges: %s is still effective",
				capng_capability_to_name(cap));
			return -EPERM;
		}
	wgw_info("privileges: kept only " WGW_PRIVS_KEEP_NAMES);
	return 0;
}
