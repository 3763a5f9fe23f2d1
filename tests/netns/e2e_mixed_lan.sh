#!/bin/bash
# The end-to-end matrix with the WAN on XDP and the LAN on the fallback path.
WGW_E2E_MODE="wan=auto,lan=fallback" exec bash "$(dirname "$0")/gateway_e2e.sh" "$@"
