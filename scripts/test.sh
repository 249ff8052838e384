#!/usr/bin/env bash
# The whole test suite, as the README and CI run it:
#   gcc and clang plain builds with -Werror, all tests;
#   gcc ASan+UBSan build, all tests;
#   clang TSan build, the concurrent tests (label "concurrent");
#   clang libFuzzer targets, a bounded run each (FIXGW_FUZZ_SECONDS, 60).
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

# Where ../shared/spec is present (CI), the tests that need it must not
# skip: a skip there means a dictionary failed to load, and fails. A clone
# without it still passes, with those tests shown as skipped.
if [ -d ../shared/spec ]; then
  export FIXGW_REQUIRE_SPEC=${FIXGW_REQUIRE_SPEC:-1}
fi
JOBS=$(nproc)
FUZZ_SECONDS=${FIXGW_FUZZ_SECONDS:-60}
B=${FIXGW_BUILD_ROOT:-build/test}

step() { printf '\n=== %s\n' "$*"; }

build() { # dir cc cxx extra-cmake-args...
  local dir=$1 cc=$2 cxx=$3
  shift 3
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DFIXGW_WERROR=ON "$@" >"$dir.configure.log" 2>&1 || {
    cat "$dir.configure.log"
    return 1
  }
  cmake --build "$dir" -j"$JOBS"
}

mkdir -p "$B"

step "gcc, plain (RelWithDebInfo)"
build "$B/gcc" gcc g++
ctest --test-dir "$B/gcc" --output-on-failure -j"$JOBS"

step "clang, plain (RelWithDebInfo)"
build "$B/clang" clang clang++ -DFIXGW_BUILD_FUZZ=ON
ctest --test-dir "$B/clang" --output-on-failure -j"$JOBS"

step "gcc, AddressSanitizer + UndefinedBehaviorSanitizer"
build "$B/asan" gcc g++ -DFIXGW_SANITIZE=address,undefined -DFIXGW_BUILD_BENCH=OFF
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$B/asan" --output-on-failure -j"$JOBS"

step "clang, ThreadSanitizer (concurrent tests)"
build "$B/tsan" clang clang++ -DFIXGW_SANITIZE=thread -DFIXGW_BUILD_BENCH=OFF
if ctest --test-dir "$B/tsan" -N -L concurrent | grep -q 'Total Tests: [1-9]'; then
  TSAN_OPTIONS=halt_on_error=1 ctest --test-dir "$B/tsan" --output-on-failure -L concurrent
else
  echo "no concurrent tests yet"
fi

step "libFuzzer, ${FUZZ_SECONDS}s per target"
shopt -s nullglob
fuzzers=("$B"/clang/fuzz/fuzz_*)
for f in "${fuzzers[@]}"; do
  case "$f" in *.seeds) continue ;; esac
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus="$B/fuzz-corpus/$name"
  mkdir -p "$corpus"
  # Seed directories are listed by the build next to the binary; libFuzzer
  # reads them and writes new inputs only to the first directory given.
  seeds=()
  if [ -f "$f.seeds" ]; then
    while IFS= read -r d; do [ -d "$d" ] && seeds+=("$d"); done <"$f.seeds"
  fi
  echo "--- $name (${#seeds[@]} seed dirs)"
  "$f" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$B/fuzz-corpus/$name-" -print_final_stats=1 \
    "$corpus" "${seeds[@]}" 2>&1 | tail -n 12
done

step "all test builds passed"
