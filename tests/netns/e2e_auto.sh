#!/bin/bash
# The end-to-end matrix with the mode ladder walked automatically (on veth:
# native XDP, AF_XDP copy mode).
WGW_E2E_MODE=auto exec bash "$(dirname "$0")/gateway_e2e.sh" "$@"
