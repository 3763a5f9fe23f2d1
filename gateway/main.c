// SPDX-License-Identifier: GPL-2.0-only
/* wraith-gatewayd: placeholder until the daemon lands. */
#include "config.h"
#include "gateway/log.h"

int main(void)
{
	wgw_log_init("wraith-gatewayd", 0, LOG_NOTICE);
	return 0;
}
