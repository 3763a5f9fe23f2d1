#!/bin/bash
# The end-to-end matrix with the WAN on the fallback path and the LAN on XDP.
WGW_E2E_MODE="wan=fallback,lan=auto" exec bash "$(dirname "$0")/gateway_e2e.sh" "$@"
