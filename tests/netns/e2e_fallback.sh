#!/bin/bash
# The end-to-end matrix on the fallback path: UDP sockets on the VIPs, the
# TUN device on the NAT side.
WGW_E2E_MODE=fallback exec bash "$(dirname "$0")/gateway_e2e.sh" "$@"
