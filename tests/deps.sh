#!/bin/bash
# Install the Debian 12 packages that building, testing, the demo and the
# benchmark need.  Idempotent: installs only what is missing.
set -euo pipefail

PKGS=(
	build-essential autoconf automake libtool pkg-config
	clang llvm bpftool gcc-multilib libelf-dev zlib1g-dev
	libxdp-dev xdp-tools libbpf-dev
	libnl-3-dev libnl-route-3-dev libmnl-dev
	libinih-dev libcap-ng-dev libsystemd-dev libhiredis-dev
	check
	iproute2 ethtool procps kmod jq tcpdump perl python3 python3-prometheus-client
	tshark redis-server redis-tools
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root (sudo) to install them" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture: no.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
