#!/bin/bash
# Configure and build in ./build (out of tree).  Extra arguments go to
# configure.  Re-running reuses the existing build directory.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
	autoreconf -fi
fi
mkdir -p build
cd build
if [ ! -f Makefile ]; then
	../configure --enable-werror "$@"
fi
make -j"$(nproc)"
