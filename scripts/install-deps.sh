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
  man-db groff-base dpkg-dev binutils zsh bash python3-yaml
  libidn12 libgnutls-dane0 libnsl2 libpcre2-8-0 libdb5.3 libcrypt1"
# clang and libclang-rt-14-dev (libFuzzer, clang's sanitizer runtimes): scripts/fuzz.sh.
# man-db, groff-base, dpkg-dev, binutils, zsh, bash: test_install.py (man -l, cpack's
# dpkg-shlibdeps, readelf, the completion scripts); python3-yaml: the pre-commit hook test.
# libidn12 ... libcrypt1: what Debian's exim4 binary links; that binary is unpacked, never
# installed (exim4-daemon-light conflicts with postfix): see install_exim below.
# Not here on purpose: pflogsumm and time, for scripts/bench-triage.sh only (not a test); that
# script installs them when missing.

case "${1:-test}" in
  build) packages="$BUILD_PACKAGES" ;;
  test) packages="$BUILD_PACKAGES $TEST_PACKAGES" ;;
  *) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

# The real Exim for test_triage_exim.py: Debian's exim4-daemon-light cannot be installed
# beside postfix (both are the mail-transport-agent), so its .deb is unpacked into a cache
# directory and run from there with a private configuration (-C); it needs the user it was
# built for, Debian-exim, which the package would have created.
EXIM_DIR=/var/cache/mtaroute-tests/exim
install_exim() {
  if [ -x "$EXIM_DIR/usr/sbin/exim4" ] && id Debian-exim >/dev/null 2>&1; then
    return 0
  fi
  echo "install-deps: unpacking exim4-daemon-light into $EXIM_DIR (not installed)"
  debs="$EXIM_DIR.debs"
  rm -rf "$debs" "$EXIM_DIR"
  mkdir -p "$debs"
  chown _apt "$debs" 2>/dev/null || true
  (cd "$debs" && { apt-get download -qq exim4-daemon-light exim4-base 2>/dev/null ||
    { apt-get update -qq && apt-get download -qq exim4-daemon-light exim4-base; }; })
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$EXIM_DIR"; done
  id Debian-exim >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      Debian-exim
}

missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ] || { [ "${1:-test}" = test ] && ! [ -x "$EXIM_DIR/usr/sbin/exim4" ]; }; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing:$missing${missing:+ and }the unpacked exim; run this script as" \
      "root (or with sudo)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
else
  # Postfix must not configure or start a system instance: tests run private instances only.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "install-deps: installing:$missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing
fi
if [ "${1:-test}" = test ]; then
  install_exim
fi
