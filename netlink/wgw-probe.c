// SPDX-License-Identifier: GPL-2.0-only
/*
 * wgw-probe IFACE [--json]: the capability probe on its own, for tests and
 * for operators before the daemon's --probe is wired.  Exit 0 after
 * printing, 1 when the interface cannot be probed, 2 on usage errors.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/options.h"
#include "netlink/probe.h"

int main(int argc, char **argv)
{
	static struct wgw_config cfg;
	const char *ifname = NULL;
	struct wgw_probe p;
	bool json = false;
	int i, err;

	wgw_log_init("wgw-probe", 0, LOG_WARNING);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-v"))
			wgw_log_set_verbosity(LOG_DEBUG);
		else if (argv[i][0] != '-' && !ifname)
			ifname = argv[i];
		else
			goto usage;
	}
	if (!ifname)
		goto usage;
	/* The daemon's default frame geometry: the rung it would choose
	 * with no --frame-size or --headroom of its own. */
	if (wgw_config_defaults(&cfg)) {
		fprintf(stderr, "wgw-probe: the defaults do not parse\n");
		return 1;
	}
	err = wgw_probe(ifname, cfg.frame_size, cfg.headroom, &p);
	if (err) {
		fprintf(stderr, "wgw-probe: %s: %s\n", ifname, strerror(-err));
		return 1;
	}
	return wgw_probe_print(&p, stdout, json) ? 1 : 0;
usage:
	fprintf(stderr, "usage: wgw-probe IFACE [--json] [-v]\n");
	return 2;
}
