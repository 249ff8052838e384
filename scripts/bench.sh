#!/usr/bin/env bash
# Builds Release and runs the benchmarks the README quotes, each with
# repetitions so medians can be read off. Output: the console tables, and
# Google Benchmark JSON in build/bench/<name>.json.
#   bash scripts/bench.sh            # all
#   bash scripts/bench.sh codec      # only bench_codec (likewise validate, dict, pool, ring, rt, metrics, thread, session, store, log, tls, gateway, e2e, scale)
# Environment: FIXGW_BENCH_REPS (default 5), FIXGW_BENCH_MIN_TIME (0.3).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

B=build/release
OUT=build/bench
REPS=${FIXGW_BENCH_REPS:-5}
MIN_TIME=${FIXGW_BENCH_MIN_TIME:-0.3}
mkdir -p "$B" "$OUT"
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >"$B.configure.log" 2>&1 || {
  cat "$B.configure.log"
  exit 1
}
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(codec validate dict pool ring rt metrics thread session store log tls gateway e2e scale)
targets=()
for w in "${want[@]}"; do
  case "$w" in
  e2e) ;;                                          # bench/e2e/e2e.sh builds its programs
  scale) targets+=(fixgw-executor fixgw-scale) ;;  # bench/scale/scale.sh
  *) targets+=("bench_$w") ;;
  esac
done
cmake --build "$B" -j"$(nproc)" --target "${targets[@]}" fixgw-gen >"$B.build.log" 2>&1 || {
  cat "$B.build.log"
  exit 1
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Repetitions of all rows in a random order, so a change in the host's speed
# during the run (this VM's vCPUs move) falls on both rows of a ratio.
common=(--benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true
        --benchmark_min_time="$MIN_TIME" --benchmark_enable_random_interleaving=true)
for w in "${want[@]}"; do
  if [ "$w" = e2e ]; then # two processes over loopback: bench/e2e/e2e.sh
    echo
    echo "=== bench/e2e/e2e.sh $B $OUT"
    bash bench/e2e/e2e.sh "$B" "$OUT"
    continue
  fi
  if [ "$w" = scale ]; then # 10 000 sessions in one acceptor: bench/scale/scale.sh
    echo
    echo "=== bench/scale/scale.sh $B $OUT"
    bash bench/scale/scale.sh "$B" "$OUT"
    continue
  fi
  bin=$(find "$B/bench" -type f -name "bench_$w" -perm -u+x | head -n 1)
  [ -n "$bin" ] || { echo "bench_$w not built"; exit 1; }
  extra=()
  if [ "$w" = codec ]; then
    corpus=$OUT/corpus.fix
    [ -f "$corpus" ] || "$B/examples/gen/fixgw-gen" -o "$corpus" --count 200000 --seed 7 >/dev/null
    extra=(--corpus="$corpus")
  fi
  echo
  echo "=== $bin ${extra[*]}"
  "$bin" "${extra[@]}" "${common[@]}" --benchmark_out="$OUT/$w.json" --benchmark_out_format=json
done
