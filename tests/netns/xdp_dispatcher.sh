#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The gateway in libxdp's multi-program dispatcher next to another libxdp
# program (xdp_shared.sh's dispatcher part).  Skips where the kernel gives
# libxdp no dispatcher, with libxdp's reason.
WGW_XDP_SHARED_PART=dispatcher exec bash "$(dirname "$0")/xdp_shared.sh" "$@"
