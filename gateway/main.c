// SPDX-License-Identifier: GPL-2.0-only
/*
 * wraith-gatewayd: parse the options, then either probe an interface,
 * check a configuration, or run the daemon.  Only this file turns errors
 * into exit codes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/daemon.h"
#include "gateway/log.h"
#include "gateway/options.h"
#include "gateway/xdp.h"
#include "netlink/probe.h"

static int do_probe(const struct wgw_config *cfg)
{
	struct wgw_probe p;
	int err;

	err = wgw_probe(cfg->probe, cfg->frame_size, cfg->headroom, &p);
	if (err) {
		fprintf(stderr, "wraith-gatewayd: --probe %s: %s\n", cfg->probe,
			err == -ENODEV ? "no such interface" : strerror(-err));
		return 1;
	}
	return wgw_probe_print(&p, stdout, cfg->json) ? 1 : 0;
}

int main(int argc, char **argv)
{
	char err[WGW_CONFIG_ERRLEN];
	struct wgw_config *cfg;
	int rc;

	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || wgw_config_defaults(cfg)) {
		fprintf(stderr, "wraith-gatewayd: cannot set up the configuration\n");
		free(cfg);
		return 1;
	}
	rc = wgw_config_parse_args(cfg, argc, argv, err, sizeof(err));
	if (rc == WGW_CONFIG_HELP || rc == WGW_CONFIG_VERSION || rc < 0) {
		if (rc == WGW_CONFIG_HELP)
			wgw_config_usage(stdout, "wraith-gatewayd");
		else if (rc == WGW_CONFIG_VERSION)
			printf("wraith-gatewayd %s\n", PACKAGE_VERSION);
		else
			fprintf(stderr, "wraith-gatewayd: %s\nTry 'wraith-gatewayd --help'.\n",
				err);
		free(cfg);
		return rc < 0 ? 1 : 0;
	}
	wgw_log_init("wraith-gatewayd", cfg->syslog,
		     LOG_NOTICE + (int)(cfg->verbose > 2 ? 2 : cfg->verbose));
	wgw_xdp_log_init();
	if (cfg->probe[0]) {
		rc = do_probe(cfg);
		free(cfg);
		return rc;
	}
	if (wgw_config_validate(cfg, err, sizeof(err))) {
		fprintf(stderr, "wraith-gatewayd: %s\n", err);
		free(cfg);
		return 1;
	}
	if (cfg->check_config) {
		wgw_config_print(cfg, stdout);
		printf("# configuration OK\n");
		free(cfg);
		return 0;
	}
	if (!cfg->foreground)
		wgw_notice("running in the foreground (use a service manager to "
			   "supervise the daemon; -f is implied)");
	rc = wgw_daemon_run(cfg, argc, argv);
	free(cfg);
	return rc;
}
