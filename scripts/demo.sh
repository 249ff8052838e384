#!/usr/bin/env bash
# The first thing to run: installs what is missing, builds the library and
# the demo in Release, and runs it. The demo generates 200,000 FIX 4.4
# messages, stream-parses and validates them, times it, and shows the
# parser recovering from hostile bytes. Everything it prints is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

B=${FIXGW_DEMO_BUILD_DIR:-build/release}
JOBS=$(nproc)
mkdir -p "$B"
echo "demo: configuring and building $B (Release) ..."
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >"$B.configure.log" 2>&1 || {
  cat "$B.configure.log"
  exit 1
}
cmake --build "$B" -j"$JOBS" --target fixgw demo >"$B.build.log" 2>&1 || {
  cat "$B.build.log"
  exit 1
}
echo
exec "$B/examples/demo/demo"
