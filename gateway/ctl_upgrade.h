/* SPDX-License-Identifier: GPL-2.0-only */
/* wraith-gatewayctl upgrade (ctl_upgrade.c). */
#ifndef WGW_CTL_UPGRADE_H
#define WGW_CTL_UPGRADE_H

/* Start binary with the arguments of the daemon answering on sock, plus
 * --takeover, and wait up to timeout_s seconds until it answers there in
 * its place.  The exit code of wraith-gatewayctl: 0 upgraded, 1 the new
 * daemon failed (the old one serves on), 2 bad usage, 3 no daemon. */
int wgw_ctl_upgrade(const char *sock, const char *binary, int timeout_s);

#endif
