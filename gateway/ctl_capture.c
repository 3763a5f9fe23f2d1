// SPDX-License-Identifier: GPL-2.0-only
/*
 * The capture command on the control socket: the connection is handed to
 * the capture module (gateway/capture.h), which streams the reply.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "gateway/capture.h"
#include "gateway/ctl_internal.h"
#include "gateway/daemon.h"

int wgw_ctl_capture(struct wgw_ctl *c, int fd, const struct wgw_ctl_req *r, char *why,
		    size_t whylen)
{
	struct wgw_daemon *d = c->d;
	struct wgw_xdp *xdp[2] = { NULL, NULL };

	if (!d->capture) {
		snprintf(why, whylen, "capture is not available in this daemon");
		return -EOPNOTSUPP;
	}
	for (unsigned i = 0; i < d->nifs && i < 2; i++)
		xdp[i] = d->ifs[i].xdp;
	return wgw_capture_open(d->capture, fd, r->argv, r->argc, xdp, d->nifs, why, whylen);
}
