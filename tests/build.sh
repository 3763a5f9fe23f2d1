#!/bin/bash
# Configure and build out of tree, in ./build or in $WGW_BUILD_DIR (the
# sanitizer builds use their own).  Extra arguments go to configure, which
# gets --enable-werror unless WGW_WERROR=0.  Re-running reuses the existing
# build directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bdir=${WGW_BUILD_DIR:-$top/build}
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
mkdir -p "$bdir"
cd "$bdir"
if [ ! -f Makefile ]; then
	[ "${WGW_WERROR:-1}" = 0 ] || set -- --enable-werror "$@"
	"$top/configure" "$@"
fi
make -j"$(nproc)"
