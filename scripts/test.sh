#!/bin/sh
# README command 2 (and CI): install every package the build and the tests need, build, and
# run every test (unit, lint suite, golden files, and the real programs: Postfix, postmap,
# tcprules, named-checkzone, NSD, pyspf). A missing program is a failure, never a skip.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900 -j "$(nproc)"
