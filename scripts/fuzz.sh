#!/bin/sh
# Fuzzes the whole pipeline (fuzz/fuzz_pipeline.cc: parse, decode, validate, every emitter of
# every target, the output oracle) with libFuzzer under ASan+UBSan for a bounded time. Builds
# build-fuzz/ with clang (-DMTAROUTE_FUZZ=ON), gathers the seeds (examples/, tests/lint/,
# fuzz/seeds/, fuzz/regressions/), keeps the growing corpus in build-fuzz/corpus, and exits 1
# when libFuzzer found anything (crash, sanitizer report, oracle finding, leak, timeout, OOM):
# the input is in build-fuzz/artifacts/; copy it to fuzz/regressions/ once fixed.
# usage: scripts/fuzz.sh [SECONDS] [more libFuzzer flags...]   (default 600; CI runs 60)
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-600}"
[ $# -gt 0 ] && shift
build="${FUZZ_BUILD_DIR:-build-fuzz}"

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMTAROUTE_FUZZ=ON -DMTAROUTE_SANITIZE=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" --target fuzz_pipeline

seeds="$build/seeds"
corpus="$build/corpus"
artifacts="$build/artifacts"
rm -rf "$seeds" "$artifacts"
mkdir -p "$seeds" "$corpus" "$artifacts"
find examples tests/lint fuzz/seeds fuzz/regressions -type f ! -name 'README*' ! -name '*.md' \
  2>/dev/null | while read -r file; do
  cp "$file" "$seeds/$(echo "$file" | tr / _)"
done

log="$build/fuzz.log"
status=0
# -timeout: one input taking 10 s is a hang; -rss_limit_mb: bounded memory per input.
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
  "$build/fuzz/fuzz_pipeline" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=8192 -dict=fuzz/policy.dict -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "$@" "$corpus" "$seeds" >"$log" 2>&1 || status=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
units=$(find "$corpus" -type f | wc -l)
found=$(find "$artifacts" -type f | wc -l)
echo "fuzz: ${execs:-?} executions in ${seconds} s (${rate:-?}/s), corpus ${units} inputs," \
  "${found} findings (log: $log)"
if [ "$status" != 0 ] || [ "$found" != 0 ]; then
  tail -n 80 "$log"
  echo "fuzz: FAILED (status $status); inputs in $artifacts/:" >&2
  ls -l "$artifacts" >&2
  exit 1
fi
