#!/usr/bin/env bash
# Installs the Debian packages libfixgw needs to build, test and benchmark,
# skipping those already present. Needs root (or sudo) only when something
# is missing; otherwise it says exactly what to install and fails.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git   # toolchain
  clang llvm libclang-rt-14-dev          # second compiler, sanitizers, libFuzzer
  libck-dev                              # Concurrency Kit: rings, atomics
  libcmocka-dev                          # unit tests
  libbenchmark-dev                       # micro-benchmarks
  libquickfix-dev                        # peer engine: interop tests, side-by-side benches
  libexpat1-dev                          # dictionary loader (XML)
  libsqlite3-dev libssl-dev              # optional store and TLS
  libuv1-dev                             # libuv example
  python3                                # table generator (regeneration only)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "deps: missing packages and not root (no sudo). As root, run:" >&2
    echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "deps: apt-get could not install: ${missing[*]}" >&2
  exit 1
fi
