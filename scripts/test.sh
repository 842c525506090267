#!/bin/sh
# README command 2 (and CI): install every package the build and the tests need, build, and
# run every test (unit, lint suite, golden files, and the real programs: Postfix, postmap,
# tcprules, named-checkzone, NSD, pyspf). A missing program is a failure, never a skip.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
start=$(date +%s)
scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 -j "$(nproc)")
built=$(date +%s)

# Issue 7 (docs/hardening.md): every test again against an ASan+UBSan build. Any sanitizer
# report aborts the process (also UBSan's, which would otherwise exit 1 like "errors found"),
# and the tests treat a signal death as a failure.
BUILD_DIR=build-asan CMAKE_ARGS="-DMTAROUTE_SANITIZE=ON" scripts/build.sh
(cd build-asan && ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:abort_on_error=1 \
  ctest --output-on-failure --timeout 900 -j "$(nproc)")
sanitized=$(date +%s)
# One minute of libFuzzer over the whole pipeline with the output oracle (clang, build-fuzz/).
scripts/fuzz.sh 60
fuzzed=$(date +%s)
echo "test.sh: build and tests $((built - start)) s; sanitizer build and tests" \
  "$((sanitized - built)) s; fuzz build and run $((fuzzed - sanitized)) s"
