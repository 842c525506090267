#!/bin/sh
# Benchmark at scale (not a test): generates policies of 10,000, 100,000 and 1,000,000
# domains (two relays, half the routes with subdomains, 2% IDNs) and measures, in one run on
# this machine: mtaroute lint, gen postfix --only transport, gen qmail --only smtproutes, a
# jq one-liner doing the bare transform without validation, and postmap on the generated
# table. Median wall time of RUNS runs, peak RSS from /usr/bin/time. Writes the table into
# docs/benchmarks.md (section "## policies at scale").
#   usage: scripts/bench.sh [SIZES...]      (default: 10000 100000 1000000; RUNS=3)
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
M="$ROOT/build/mtaroute"
RUNS="${RUNS:-3}"
SIZES="${*:-10000 100000 1000000}"
missing=""
command -v jq >/dev/null || missing="$missing jq"
[ -x /usr/bin/time ] || missing="$missing time"
command -v postmap >/dev/null || missing="$missing postfix"
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] || { echo "bench: needs:$missing (apt-get install$missing)" >&2; exit 2; }
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
[ -x "$M" ] || { echo "bench: build first (scripts/build.sh)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# postmap reads main.cf; a private one, so that the machine needs no Postfix configuration.
mkdir -p "$WORK/conf"
printf 'compatibility_level = 3.6\nsetgid_group = postdrop\n' > "$WORK/conf/main.cf"

gen_policy() {  # $1 = number of domains, $2 = output file
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
per = 1000
routes = []
for r in range(max(1, n // per)):
    domains = [f"customer{r * per + i:07d}.example" if i % 50 else f"bücher{r * per + i}.example"
               for i in range(min(per, n))]
    routes.append({"domains": domains, "subdomains": r % 2 == 0,
                   "relay": ("relay-a", "relay-b")[r % 2]})
policy = {"version": 1,
          "relays": {"relay-a": {"host": "relay-a.example.net", "port": 587},
                     "relay-b": {"host": "192.0.2.25"}},
          "routes": routes}
with open(path, "w", encoding="utf-8") as f:
    json.dump(policy, f, ensure_ascii=False, indent=1)
PY
}

# Runs "$@" RUNS times with stdout to a file; prints "median_seconds peak_rss_kb" (wall time
# from perf_counter, peak RSS from /usr/bin/time).
measure() {
  /usr/bin/python3 - "$WORK" "$RUNS" "$@" <<'PY'
import os, subprocess, sys, time
work, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
walls, rss = [], 0
for _ in range(runs):
    with open(os.path.join(work, "stdout"), "wb") as out, \
            open(os.path.join(work, "stderr"), "wb") as err:
        report = os.path.join(work, "rss")
        start = time.perf_counter()
        # /usr/bin/time for the RSS: a child forked from this Python would start at its size.
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report, *cmd], stdout=out, stderr=err)
        walls.append(time.perf_counter() - start)
    rss = max(rss, int(open(report).read().split()[-1]))
print("%.4f %d" % (sorted(walls)[(runs - 1) // 2], rss))
PY
}

JQ='.relays as $rel | .routes[] | .relay as $n | .domains[] | "\(.) smtp:[\($rel[$n].host)]:\($rel[$n].port // 25)"'
TABLE="$WORK/table"
printf '| domains | policy MB | command | median s | peak RSS MB | RSS / policy | vs jq |\n' > "$TABLE"
printf '|---:|---:|---|---:|---:|---:|---:|\n' >> "$TABLE"
for n in $SIZES; do
  p="$WORK/policy-$n.json"
  gen_policy "$n" "$p"
  size=$(stat -c %s "$p")
  mb=$(awk -v s="$size" 'BEGIN {printf "%.1f", s / 1048576}')
  "$M" gen postfix "$p" --only transport > "$WORK/transport"
  set -- \
    "lint" "$M lint $p" \
    "gen postfix --only transport" "$M gen postfix $p --only transport" \
    "gen qmail --only smtproutes" "$M gen qmail $p --only smtproutes" \
    "jq one-liner" "jq -r '$JQ' $p" \
    "postmap hash:transport" "postmap -c $WORK/conf hash:$WORK/transport"
  jq_time=""
  rows=""
  while [ "$#" -gt 0 ]; do
    name=$1; cmd=$2; shift 2
    result=$(measure sh -c "$cmd")
    t=${result% *}; rss=${result#* }
    [ "$name" = "jq one-liner" ] && jq_time=$t
    rows="$rows$name|$t|$rss
"
    echo "bench: $n domains: $name: ${t}s, $((rss / 1024)) MB" >&2
  done
  printf '%s' "$rows" | while IFS='|' read -r name t rss; do
    [ -n "$name" ] || continue
    awk -v n="$n" -v mb="$mb" -v name="$name" -v t="$t" -v rss="$rss" -v size="$size" -v jq="$jq_time" \
      'BEGIN {ratio = (name == "jq one-liner" || t == 0) ? "" : sprintf("%.1fx", jq / t);
              printf "| %d | %s | %s | %.3f | %.0f | %.2f | %s |\n", n, mb, name, t, rss / 1024,
                     rss * 1024 / size, ratio}' >> "$TABLE"
  done
done

# Growth: each command's time at N divided by its time at N/10 (linear: about 10x; the
# target is at most 12x).
GROWTH="$WORK/growth"
/usr/bin/python3 - "$TABLE" > "$GROWTH" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]).read().splitlines()[2:]:
    cells = [c.strip() for c in line.strip("|").split("|")]
    rows[(int(cells[0]), cells[2])] = float(cells[3])
sizes = sorted({n for n, _ in rows})
names = list(dict.fromkeys(name for _, name in rows))
print("| command | " + " | ".join(f"{a} -> {b}" for a, b in zip(sizes, sizes[1:])) + " |")
print("|---|" + "---:|" * (len(sizes) - 1))
for name in names:
    cells = []
    for a, b in zip(sizes, sizes[1:]):
        ta, tb = rows.get((a, name)), rows.get((b, name))
        cells.append(f"{tb / ta:.1f}x" if ta and tb else "")
    print(f"| {name} | " + " | ".join(cells) + " |")
PY
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
SECTION="$WORK/section"
{
  echo "## policies at scale"
  echo
  echo "Measured by \`scripts/bench.sh\` on $(date -u +%Y-%m-%d): $(nproc) cores ($CPU), $MEM,"
  echo "mtaroute $("$M" --version | cut -d' ' -f2) (RelWithDebInfo), jq $(jq --version), median of $RUNS runs."
  echo "\"vs jq\" is jq's time divided by mtaroute's (higher is faster); RSS / policy is peak RSS"
  echo "divided by the policy file's size."
  echo
  cat "$TABLE"
  echo
  echo "Time growth from one size to the next (10x the domains; linear is 10x):"
  echo
  cat "$GROWTH"
} > "$SECTION"
DOC=docs/benchmarks.md
mkdir -p docs
[ -f "$DOC" ] || printf '# Benchmarks\n\n' > "$DOC"
# Replace our section (up to the next "## " heading), keep the others.
/usr/bin/python3 - "$DOC" "$SECTION" <<'PY'
import re, sys
doc, section = open(sys.argv[1]).read(), open(sys.argv[2]).read()
pattern = re.compile(r"^## policies at scale\n.*?(?=^## |\Z)", re.S | re.M)
doc = pattern.sub(lambda _: section + "\n", doc) if pattern.search(doc) else doc.rstrip("\n") + "\n\n" + section
open(sys.argv[1], "w").write(doc)
PY
cat "$SECTION"
