#!/bin/sh
# Installs every Debian 12 package mtaroute needs: `build` for the build alone, `test` (the
# default) for the build and every test, real programs included. Idempotent; run as root.
set -eu
BUILD_PACKAGES="cmake ninja-build g++ pkg-config libcli11-dev libfmt-dev nlohmann-json3-dev
  catch2 libidn2-dev zlib1g-dev"
# Real programs the tests run (never mocked), and what the tests themselves use.
TEST_PACKAGES="postfix postfix-lmdb postfix-cdb libsasl2-modules ucspi-tcp bind9-utils nsd
  python3 python3-spf python3-dnspython python3-aiosmtpd python3-jsonschema openssl
  util-linux iproute2 procps
  clang libclang-rt-14-dev
  man-db groff-base dpkg-dev binutils zsh bash python3-yaml"
# clang and libclang-rt-14-dev (libFuzzer, clang's sanitizer runtimes): scripts/fuzz.sh.
# man-db, groff-base, dpkg-dev, binutils, zsh, bash: test_install.py (man -l, cpack's
# dpkg-shlibdeps, readelf, the completion scripts); python3-yaml: the pre-commit hook test.
# Not here on purpose: pflogsumm and time, for scripts/bench-triage.sh only (not a test); that
# script installs them when missing.

case "${1:-test}" in
  build) packages="$BUILD_PACKAGES" ;;
  test) packages="$BUILD_PACKAGES $TEST_PACKAGES" ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing:$missing; run this script as root (or with sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix must not configure or start a system instance: tests run private instances only.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "install-deps: installing:$missing"
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing
