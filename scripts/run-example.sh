#!/bin/sh
# README command 1: install what the build needs, build, and run the main job on the example
# policy: lint it, then print the Postfix, qmail and SPF configuration it generates.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh
m=build/mtaroute
policy=examples/gmail-relay.json

echo "== mtaroute lint $policy"
$m lint "$policy"
# The example's relay password lives in /etc/mtaroute/clean-relay.secret on a real server;
# --only prints one file and reads no secret, so every file but sasl_passwd is shown here.
for file in transport main.cf tls_policy mynetworks; do
  echo
  echo "== mtaroute gen postfix $policy --only $file"
  $m gen postfix "$policy" --only "$file"
done
echo
echo "== mtaroute gen qmail examples/qmail-relay.json"
$m gen qmail examples/qmail-relay.json
echo
echo "== mtaroute gen spf $policy"
$m gen spf "$policy"
