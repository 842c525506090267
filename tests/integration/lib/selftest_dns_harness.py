#!/usr/bin/python3
"""Self-test for dns_harness.py (run with Debian's /usr/bin/python3).

    /usr/bin/python3 tests/integration/lib/selftest_dns_harness.py

Starts a private NSD on 127.0.0.1 (unprivileged, temp dir, free port),
checks zone validation, what NSD really serves, and pyspf's verdicts on
literal and published records.  Exits 0 when every check passes, 1 otherwise.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dns.resolver  # noqa: E402

import dns_harness as h  # noqa: E402

FAILURES = []


def check(desc, got, want):
    ok = got == want
    print(f"{'ok  ' if ok else 'FAIL'} {desc}: got {got!r}" + ("" if ok else f", want {want!r}"))
    if not ok:
        FAILURES.append(desc)
    return ok


# --------------------------------------------------------------------------
# test data
# --------------------------------------------------------------------------

EXAMPLE_SPF = ("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 "
               "include:_spf.provider.test ~all")
PROVIDER_SPF = "v=spf1 ip4:198.51.100.7 -all"
BAD_SPLIT = ['v=spf1 ip4:203.0.113.10', '-all']   # no space at the join


def _filler_pool():
    """Distinct, never-matching ip4 terms (10/8) bucketed by length 12..21."""
    pool = {}
    for x in range(256):
        for y in (0, 2, 22, 222):
            for z in (3, 33, 233):
                for suf in ("", "/32"):
                    t = f"ip4:10.{x}.{y}.{z}{suf}"
                    pool.setdefault(len(t), []).append(t)
    return pool


def _padding(n, pool):
    """Exactly n characters of ' term' pieces (n == 0 or n >= 26 or 13 <= n <= 22)."""
    if n == 0:
        return ""
    k = max(1, round(n / 17))            # number of terms (each 13..22 chars incl. space)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    assert all(13 <= s <= 22 for s in sizes), (n, sizes)
    return "".join(" " + pool[s - 1].pop() for s in sizes)


def build_long_record():
    """Three strings; the first two exactly 255 bytes; both splits inside a term.

    The 255/256 split falls in 'ip4:203.0.1|13.10' and the 510/511 split
    inside 'ip6:2001:db8:cafe::/48'.  The last string ends with
    'ip4:203.0.113.128/26 -all'.
    """
    pool = _filler_pool()
    split1_term, split1_at = "ip4:203.0.113.10", len("ip4:203.0.1")
    split2_term, split2_at = "ip6:2001:db8:cafe::/48", len("ip6:2001:db")
    tail = " ip4:203.0.113.128/26 -all"

    text = "v=spf1"
    text += _padding(255 - split1_at - len(text) - 1, pool) + " " + split1_term
    text += _padding(510 - split2_at - len(text) - 1, pool) + " " + split2_term
    text += tail
    raw = text.encode("ascii")
    strings = [raw[0:255], raw[255:510], raw[510:]]
    assert len(strings[0]) == 255 and len(strings[1]) == 255, [len(s) for s in strings]
    assert strings[0].endswith(b"ip4:203.0.1") and strings[1].startswith(b"13.10 "), strings
    assert b"ip6:2001:db8:cafe::/48" not in strings[1] + b"|" + strings[2]
    assert b"ip4:203.0.113.128/26" in strings[2]
    return text, strings


def txt_line(name, strings, ttl=3600):
    parts = " ".join('"' + (s.decode() if isinstance(s, bytes) else s) + '"' for s in strings)
    return f"{name} {ttl} IN TXT {parts}"


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------

def main():
    t0 = time.monotonic()
    resolver_before = dns.resolver.default_resolver
    if not h._PYSPF_USES_DNSPYTHON:
        print("FAIL pyspf does not use dnspython; harness cannot redirect it")
        return 1

    long_text, long_strings = build_long_record()
    print(f"long record: {len(long_text)} bytes in strings of "
          f"{[len(s) for s in long_strings]}; split 1 at "
          f"{long_strings[0][-11:]!r}|{long_strings[1][:6]!r}")

    example_zone = h.make_zone("example.test.", [
        f'example.test. 3600 IN TXT "{EXAMPLE_SPF}"',
        txt_line("long.example.test.", long_strings),
        txt_line("split.example.test.", BAD_SPLIT),
    ])
    provider_zone = h.make_zone("provider.test.", [
        f'_spf.provider.test. IN TXT "{PROVIDER_SPF}"',
    ])

    # --- offline zone validation ------------------------------------------
    for origin, text in (("example.test.", example_zone), ("provider.test.", provider_zone)):
        ok, out = h.named_checkzone(origin, text)
        if not check(f"named-checkzone accepts {origin}", ok, True):
            print(out)

    too_long = ("v=spf1 " + " ".join(f"ip4:10.0.{i}.0/24" for i in range(30)))[:295] + " -all"
    assert len(too_long) == 300
    bad_zone = h.make_zone("example.test.", [f'bad.example.test. 3600 IN TXT "{too_long}"'])
    ok, out = h.named_checkzone("example.test.", bad_zone)
    check("named-checkzone rejects a single 300-byte string", ok, False)
    print("     named-checkzone said: " + " | ".join(out.strip().splitlines()))
    ok, out = h.nsd_checkzone("example.test.", bad_zone)
    check("nsd-checkzone rejects a single 300-byte string", ok, False)

    # --- pyspf on literal records without DNS ------------------------------
    check("literal, no DNS: include gives temperror (DNS isolated)",
          h.spf_literal(EXAMPLE_SPF, "198.51.100.7"), "temperror")
    joined_bad = "".join(BAD_SPLIT)
    check("wrong split concatenates to '...203.0.113.10-all'",
          joined_bad, "v=spf1 ip4:203.0.113.10-all")
    for ip in ("203.0.113.10", "192.0.2.1"):
        check(f"literal '{joined_bad}' {ip} -> permerror",
              h.spf_literal(joined_bad, ip), "permerror")
    print("     pyspf said: " + h.spf_literal_full(joined_bad, "203.0.113.10")[2])
    check("literal control 'v=spf1 ip4:203.0.113.10 -all' 203.0.113.10 -> pass",
          h.spf_literal("v=spf1 ip4:203.0.113.10 -all", "203.0.113.10"), "pass")

    # --- served by NSD -----------------------------------------------------
    nsd_pid = None
    with h.Nsd({"example.test.": example_zone, "provider.test.": provider_zone}) as nsd:
        nsd_pid = nsd.pid
        print(f"     nsd pid {nsd.pid} on {nsd.host}:{nsd.port}, workdir {nsd.workdir}")
        p = nsd.port

        check("served example.test TXT", nsd.query_txt("example.test."),
              [EXAMPLE_SPF.encode()])
        check("served _spf.provider.test TXT", nsd.query_txt("_spf.provider.test"),
              [PROVIDER_SPF.encode()])
        served_long = nsd.query_txt("long.example.test.")
        check("long record served as 3 strings", len(served_long), 3)
        check("long record string lengths", [len(s) for s in served_long],
              [255, 255, len(long_strings[2])])
        check("long record strings identical to the zone's", served_long, long_strings)
        served_split = nsd.query_txt("split.example.test.")
        check("wrong split served as 2 strings", served_split,
              [s.encode() for s in BAD_SPLIT])
        check("wrong split concatenates (as pyspf does) to '...10-all'",
              b"".join(served_split), b"v=spf1 ip4:203.0.113.10-all")
        check("query_txt of a name without TXT", nsd.query_txt("nothing.example.test."), [])

        cases = [
            ("192.0.2.5", "pass"),
            ("2001:db8::1", "pass"),
            ("198.51.100.7", "pass"),      # through include:_spf.provider.test
            ("203.0.113.99", "softfail"),  # ~all
        ]
        for ip, want in cases:
            check(f"literal example.test SPF {ip}",
                  h.spf_literal(EXAMPLE_SPF, ip, nsd_port=p), want)
            check(f"published example.test {ip}",
                  h.spf_published("example.test", ip, p), want)

        long_cases = [
            ("203.0.113.130", "pass"),   # ip4:203.0.113.128/26 in the last string
            ("203.0.113.10", "pass"),    # term split across strings 1|2
            ("2001:db8:cafe::1", "pass"),  # term split across strings 2|3
            ("203.0.113.99", "fail"),    # outside -> -all
            ("192.0.2.5", "fail"),
        ]
        for ip, want in long_cases:
            check(f"published long.example.test {ip}",
                  h.spf_published("long.example.test", ip, p), want)
            check(f"literal long record {ip}",
                  h.spf_literal(long_text, ip, nsd_port=p,
                                domain="long.example.test"), want)

        for ip in ("203.0.113.10", "192.0.2.1"):
            res, exp = h.spf_published_full("split.example.test", ip, p)
            check(f"published wrong split {ip} -> permerror", res, "permerror")
        print("     pyspf said: " + exp)

        check("published, unknown domain -> none",
              h.spf_published("nothing.example.test", "192.0.2.5", p), "none")

    # --- cleanup -----------------------------------------------------------
    check("nsd stopped (Popen pid gone)",
          h._proc_state(nsd_pid) in (None, "Z", "X"), True)
    check("nsd workdir removed", nsd.workdir, None)
    check("dns.resolver.default_resolver restored",
          dns.resolver.default_resolver is resolver_before, True)

    dt = time.monotonic() - t0
    print(f"\n{len(FAILURES)} failure(s) in {dt:.2f}s")
    for f in FAILURES:
        print("  FAILED: " + f)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
