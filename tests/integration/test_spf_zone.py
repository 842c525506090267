"""gen spf --format zone against the real named-checkzone (bind9-utils).

For every example with "spf" entries, and for test policies whose records need three
character-strings (many origin networks) or hold several records: a zone made of an SOA, an
NS and the generated spf.zone, verbatim (header comments included), must pass
named-checkzone; the TXT strings that named-checkzone reads back (-D dump) must be exactly the
"strings" of gen spf --format json, each at most 255 bytes, concatenating to the "value" with
nothing added. A control shows the check has teeth: the same record as one long string is
rejected. Also: the txt format, and a policy without "spf" entries.

Helpers here (generate, THREE_STRING_POLICY, ...) are shared with test_spf_pyspf.py.
"""
import json
import os
import re
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import dns_harness as dns  # noqa: E402
from lib.mtaroute_cli import EXAMPLES, load_policy, run, runnable_copy  # noqa: E402

# 28 origin networks of /24 and a few IPv6 networks: a record of three strings (> 510 bytes).
THREE_STRING_POLICY = {
    "version": 1,
    "relays": {
        "out": {"host": "relay.spf3.example", "egress": ["153.122.200.10", "2001:db8:77::25"]},
        "v4": {"host": "153.122.201.25"},
        # A host name and no egress: the record says a:HOST (and lint warns); pyspf must
        # pass the address that name resolves to.
        "named": {"host": "smtp.spf3.example"},
    },
    "routes": [{"domains": ["gmail.com"], "relay": "out"},
               {"domains": ["icloud.com"], "relay": "v4"},
               {"domains": ["me.com"], "relay": "named"}],
    "origins": [
        {"name": "farm", "networks": [f"153.122.{i}.0/24" for i in range(28)]},
        {"name": "v6", "networks": ["2001:db8:100::/56", "2001:db8:200::7", "153.122.7.9"]},
    ],
    "spf": [
        {"domain": "spf3.example", "include": ["_spf.partner.example"], "all": "-all", "ttl": 300},
        {"domain": "mail.spf3.example", "mechanisms": ["ip4:153.122.250.0/24"]},
    ],
}

# Characters that must be escaped in zone files, in a record lint accepts: none can appear
# (lint refuses quotes and backslashes in mechanisms), so only the splitting is exercised here;
# the escaping is covered by tests/unit/spf_test.cc.


def write_policy(directory, policy, name="policy.json"):
    path = Path(directory) / name
    path.write_text(json.dumps(policy, indent=2), encoding="utf-8")
    return path.name


def generate(directory, policy_name, fmt, env=None):
    """Runs gen spf --format FMT --out out in directory; returns (file text, stderr)."""
    out = Path(directory) / f"out-{fmt}"
    proc = run(["gen", "spf", "--format", fmt, policy_name, "--out", out.name], cwd=directory,
               env_extra=env or {})
    if proc.returncode != 0:
        raise AssertionError(f"gen spf --format {fmt} failed ({proc.returncode}):\n"
                             + proc.stderr.decode())
    files = sorted(p.name for p in out.iterdir())
    expected = {"zone": "spf.zone", "txt": "spf.txt", "json": "spf.json"}[fmt]
    if files != [expected]:
        raise AssertionError(f"gen spf --format {fmt} wrote {files}, expected [{expected}]")
    return (out / expected).read_text(encoding="utf-8"), proc.stderr.decode()


def generate_all(directory, policy_name, env=None):
    """The zone text, the txt text and the parsed json of one policy."""
    zone, _ = generate(directory, policy_name, "zone", env)
    txt, _ = generate(directory, policy_name, "txt", env)
    records = json.loads(generate(directory, policy_name, "json", env)[0])
    return zone, txt, records


def spf_examples():
    return [e for e in EXAMPLES if load_policy(e).get("spf")]


def unescape_strings(rdata):
    """The character-strings of presentation-format TXT rdata: "..." "..." with \\X and \\DDD."""
    strings, i = [], 0
    while i < len(rdata):
        if rdata[i] == " ":
            i += 1
            continue
        assert rdata[i] == '"', rdata
        i += 1
        s = bytearray()
        while rdata[i] != '"':
            if rdata[i] == "\\":
                if rdata[i + 1].isdigit():
                    s.append(int(rdata[i + 1:i + 4]))
                    i += 4
                    continue
                i += 1
            s.extend(rdata[i].encode())
            i += 1
        strings.append(bytes(s))
        i += 1
    return strings


def checkzone_dump(origin, zone_text):
    """(ok, output, {owner: [strings...]}) from named-checkzone -D (the zone as BIND reads it)."""
    with tempfile.TemporaryDirectory(prefix="mtaroute-spfzone-") as d:
        path = os.path.join(d, "zone.db")
        Path(path).write_text(zone_text, encoding="utf-8")
        import subprocess
        cp = subprocess.run([dns.NAMED_CHECKZONE, "-D", "-o", "-", origin, path],
                            capture_output=True, text=True, timeout=30)
    txt = {}
    for line in cp.stdout.splitlines():
        m = re.match(r"^(\S+)\s+\d+\s+IN\s+TXT\s+(.*)$", line)
        if m:
            txt.setdefault(m.group(1), []).append(unescape_strings(m.group(2)))
    return cp.returncode == 0, cp.stdout + cp.stderr, txt


class SpfZoneTest(unittest.TestCase):
    def check_policy(self, directory, policy_name, env=None, want_strings=None):
        zone, txt, records = generate_all(directory, policy_name, env)
        self.assertTrue(records, "no records")
        origin = records[0]["name"] + "."
        for record in records:  # all records must live in the first one's zone
            self.assertTrue((record["name"] + ".").endswith(origin), record["name"])
        zone_text = dns.make_zone(origin, zone.splitlines())
        ok, output, served = checkzone_dump(origin, zone_text)
        self.assertTrue(ok, f"named-checkzone rejected:\n{output}\n--- zone ---\n{zone_text}")
        for record in records:
            with self.subTest(record=record["name"]):
                strings = [s.encode() for s in record["strings"]]
                value = record["value"].encode()
                self.assertEqual(served.get(record["name"] + "."), [strings],
                                 "named-checkzone read other strings than spf.json's")
                self.assertEqual(b"".join(strings), value)
                self.assertTrue(all(len(s) <= 255 for s in strings), [len(s) for s in strings])
                self.assertTrue(all(len(s) == 255 for s in strings[:-1]),
                                "strings are cut at 255 bytes")
                self.assertTrue(value.startswith(b"v=spf1 "))
                self.assertIn(f"{record['name']}. {record['ttl']} IN TXT ", zone)
        # txt: the value alone for one record, NAME<TAB>VALUE lines for several.
        if len(records) == 1:
            self.assertEqual(txt, records[0]["value"] + "\n")
        else:
            self.assertEqual(txt, "".join(f"{r['name']}\t{r['value']}\n" for r in records))
        if want_strings:
            self.assertEqual([len(r["strings"]) for r in records], want_strings)
        return zone, records, zone_text

    def test_examples(self):
        examples = spf_examples()
        self.assertGreaterEqual(len(examples), 4)
        for example in examples:
            with self.subTest(example=example.name), tempfile.TemporaryDirectory() as d:
                name, env = runnable_copy(example, d)
                zone, records, _ = self.check_policy(d, name, env)
                policy = load_policy(example)
                self.assertEqual([r["name"] for r in records],
                                 [e["domain"] for e in policy["spf"]])
                self.assertTrue(zone.startswith("; Generated by mtaroute "), zone)

    def test_three_strings(self):
        with tempfile.TemporaryDirectory() as d:
            name = write_policy(d, THREE_STRING_POLICY)
            zone, records, zone_text = self.check_policy(d, name, want_strings=[3, 3])
            print(f"\n  three-string record: {len(records[0]['value'])} bytes, strings of "
                  f"{[len(s) for s in records[0]['strings']]}", file=sys.stderr)
            # Control: the same record as one string is rejected by named-checkzone.
            record = records[0]
            one = f'{record["name"]}. 300 IN TXT "{record["value"]}"'
            bad = dns.make_zone(record["name"], [one])
            ok, output, _ = checkzone_dump(record["name"] + ".", bad)
            self.assertFalse(ok, "named-checkzone accepted a string over 255 bytes")

    def test_lint_warns_about_the_long_record(self):
        with tempfile.TemporaryDirectory() as d:
            name = write_policy(d, THREE_STRING_POLICY)
            _, stderr = generate(d, name, "zone")
            self.assertIn("[spf-record-too-long]", stderr)
            self.assertIn("policy.json", stderr)

    def test_no_spf_entries(self):
        with tempfile.TemporaryDirectory() as d:
            policy = {"version": 1, "origins": [{"name": "o", "networks": ["153.122.1.0/24"]}]}
            name = write_policy(d, policy)
            zone, txt, records = generate_all(d, name)
            self.assertEqual(records, [])
            self.assertEqual(txt, "")
            self.assertTrue(zone.endswith('; the policy has no "spf" entries: no records\n'), zone)
            ok, output = dns.named_checkzone("example.test.",
                                             dns.make_zone("example.test.", zone.splitlines()))
            self.assertTrue(ok, output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
