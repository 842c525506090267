"""gen spf records evaluated by pyspf (Debian python3-spf), literally and as published by NSD.

For every example with "spf" entries and for the three-string test policy of
test_spf_zone.py, the expected verdicts are derived from the POLICY, not from the record:
  - every origin network and every egress network of a used relay (and the IP-literal host
    of a used relay without egress): its first and last address give "pass";
  - the DNS terms get test data in a private NSD: each include: names a test record that
    passes one test network, each mx/a term a test host; their addresses give "pass"
    (so "through an include" is tested);
  - an IPv4 and an IPv6 address outside all of these give the "all" result: softfail for
    ~all, fail for -all, neutral for ?all.
Step 3 (literal): spf.query(...).check(spf=VALUE) with VALUE from gen spf --format json, DNS
for the terms from the NSD. Step 4 (published): NSD serves a zone made of an SOA, an NS, the
generated spf.zone verbatim and the test data; spf.check2 must give the same verdicts, and
NSD must serve exactly the character-strings of spf.json (three of them for the long record).
"""
import ipaddress
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import dns_harness as dns  # noqa: E402
from lib.mtaroute_cli import load_policy, runnable_copy  # noqa: E402
from test_spf_zone import (THREE_STRING_POLICY, generate_all, spf_examples,  # noqa: E402
                           write_policy)

ALL_RESULT = {"~all": "softfail", "-all": "fail", "?all": "neutral"}
OUTSIDE = ["93.184.216.34", "2a00:1450:4001:80b::2005"]


def used_relays(policy):
    relays = policy.get("relays", {})
    used = {route["relay"] for route in policy.get("routes", [])}
    used.add(policy.get("default", "direct"))
    return [relays[name] for name in sorted(used) if name in relays]


def policy_networks(policy):
    """The networks the policy says may send: origins, egress, IP-literal relay hosts."""
    texts = [n for origin in policy.get("origins", []) for n in origin["networks"]]
    for relay in used_relays(policy):
        if relay.get("egress"):
            texts.extend(relay["egress"])
        else:
            try:
                texts.append(str(ipaddress.ip_address(relay["host"])))
            except ValueError:
                pass  # a host name: its a:/mx: term gets test DNS data below
    return [ipaddress.ip_network(t) for t in texts]


def probe_addresses(network):
    """The first and last address of a network (one address for a host)."""
    return sorted({str(network.network_address), str(network.broadcast_address)})


class TestDns:
    """Zones for NSD: the generated records plus test data for every DNS term they use."""

    def __init__(self):
        self.zones = {}        # origin -> list of record lines
        self.next_net = 1
        self.passing = {}      # spf domain -> [(address, why)] that pass through DNS terms

    def zone_for(self, name):
        name = name.rstrip(".") + "."
        best = max((o for o in self.zones if name == o or name.endswith("." + o)),
                   key=len, default=None)
        if best:
            return best
        origin = name.split(".", 1)[1] if name.startswith("_") else name
        self.zones[origin] = []
        return origin

    def test_network(self):
        net = ipaddress.ip_network(f"100.64.{self.next_net}.0/24")
        self.next_net += 1
        return net

    def add_record(self, name, rtype, data):
        self.zones[self.zone_for(name)].append(f"{name.rstrip('.')}. 300 IN {rtype} {data}")

    def serve_terms(self, domain, value):
        """Adds test data for the DNS terms of a record; returns the addresses they pass."""
        passing = []
        for term in value.split()[1:]:
            term = term.lstrip("+")
            kind, _, arg = term.partition(":")
            if kind == "include":
                net = self.test_network()
                self.add_record(arg, "TXT", f'"v=spf1 ip4:{net} -all"')
                passing.append((str(net.network_address + 7), term))
            elif kind in ("mx", "a"):
                target = arg or domain
                net = self.test_network()
                host = f"host{self.next_net}.{target}"
                if kind == "mx":
                    self.add_record(target, "MX", f"10 {host}.")
                    self.add_record(host, "A", str(net.network_address + 25))
                else:
                    self.add_record(target, "A", str(net.network_address + 25))
                passing.append((str(net.network_address + 25), term))
            elif kind in ("ptr", "exists") or term.startswith("redirect="):
                raise AssertionError(f"no test data for {term!r}")
        return passing


class SpfPyspfTest(unittest.TestCase):
    """One NSD for all policies: their zones do not overlap."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cases = []  # (label, policy, records, zone_text)
        dns_data = TestDns()
        policies = []
        for example in spf_examples():
            d = Path(cls.tmp.name) / example.stem
            d.mkdir()
            name, env = runnable_copy(example, d)
            policies.append((example.name, load_policy(example), d, name, env))
        d = Path(cls.tmp.name) / "three-strings"
        d.mkdir()
        policies.append(("three-strings", THREE_STRING_POLICY, d,
                         write_policy(d, THREE_STRING_POLICY), {}))
        for label, policy, d, name, env in policies:
            zone, _, records = generate_all(d, name, env)
            origin = dns_data.zone_for(records[0]["name"])
            dns_data.zones[origin].extend(zone.splitlines())
            for record in records:
                assert dns_data.zone_for(record["name"]) == origin, record["name"]
            cls.cases.append((label, policy, records))
        for _, _, records in cls.cases:
            for record in records:
                dns_data.passing[record["name"]] = dns_data.serve_terms(record["name"],
                                                                        record["value"])
        cls.dns = dns_data
        started = time.monotonic()
        cls.nsd = dns.Nsd({origin: dns.make_zone(origin, lines)
                           for origin, lines in dns_data.zones.items()})
        print(f"\n  NSD pid {cls.nsd.pid} on 127.0.0.1:{cls.nsd.port} serving "
              f"{len(dns_data.zones)} zones (up in {time.monotonic() - started:.2f}s)",
              file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.nsd.stop()
        cls.tmp.cleanup()

    def expectations(self, policy, record, entry):
        """[(address, expected result, why)] for one record."""
        want = []
        for net in policy_networks(policy):
            for ip in probe_addresses(net):
                want.append((ip, "pass", f"policy network {net}"))
        for net in [ipaddress.ip_network(m.split(":", 1)[1]) for m in entry.get("mechanisms", [])
                    if m.startswith(("ip4:", "ip6:"))]:
            want.append((str(net.network_address), "pass", f"mechanism {net}"))
        for ip, why in self.dns.passing[record["name"]]:
            want.append((ip, "pass", f"through {why}"))
        all_result = ALL_RESULT[entry.get("all", "~all")]
        for ip in OUTSIDE:
            want.append((ip, all_result, "outside: the all term"))
        return want

    def each_case(self):
        for label, policy, records in self.cases:
            for entry, record in zip(policy["spf"], records):
                self.assertEqual(record["name"], entry["domain"].lower().rstrip("."))
                yield label, policy, record, entry

    def test_outside_addresses_are_outside(self):
        for label, policy, record, entry in self.each_case():
            networks = policy_networks(policy) + [ipaddress.ip_network(ip) for ip, _ in
                                                  self.dns.passing[record["name"]]]
            for ip in OUTSIDE:
                self.assertFalse(any(ipaddress.ip_address(ip) in n for n in networks), (label, ip))

    def test_literal_record(self):
        """Step 3: pyspf evaluates the generated value as the domain's record."""
        checked = 0
        for label, policy, record, entry in self.each_case():
            for ip, want, why in self.expectations(policy, record, entry):
                with self.subTest(policy=label, domain=record["name"], ip=ip, why=why):
                    got = dns.spf_literal_full(record["value"], ip, nsd_port=self.nsd.port,
                                               domain=record["name"])
                    self.assertEqual(got[0], want, got)
                    checked += 1
        print(f"\n  literal: {checked} verdicts", file=sys.stderr)

    def test_published_record(self):
        """Step 4: NSD serves the generated zone; spf.check2 looks the record up."""
        checked = 0
        for label, policy, record, entry in self.each_case():
            with self.subTest(policy=label, domain=record["name"], check="served strings"):
                served = self.nsd.query_txt(record["name"])
                self.assertEqual(served, [s.encode() for s in record["strings"]])
            for ip, want, why in self.expectations(policy, record, entry):
                with self.subTest(policy=label, domain=record["name"], ip=ip, why=why):
                    got = dns.spf_published_full(record["name"], ip, self.nsd.port)
                    self.assertEqual(got[0], want, got)
                    checked += 1
        print(f"\n  published: {checked} verdicts", file=sys.stderr)

    def test_three_strings_served_and_split_inside_terms(self):
        records = [c for c in self.cases if c[0] == "three-strings"][0][2]
        for record in records:
            served = self.nsd.query_txt(record["name"])
            self.assertEqual([len(s) for s in served[:2]], [255, 255])
            self.assertEqual(len(served), 3)
            # The cuts fall inside terms: only a concatenation with nothing added is valid.
            for left, right in zip(served, served[1:]):
                self.assertFalse(left.endswith(b" ") or right.startswith(b" "), (left, right))
            self.assertEqual(b"".join(served).decode(), record["value"])

    def test_controls(self):
        """The checks have teeth: a wrong split, and an address the record does not list."""
        label, policy, records = [c for c in self.cases if c[0] == "three-strings"][0]
        value = records[0]["value"]
        wrong = " ".join(records[0]["strings"])  # what a tool that adds spaces would see
        self.assertNotEqual(dns.spf_literal(wrong, "153.122.13.1", nsd_port=self.nsd.port,
                                            domain=records[0]["name"]),
                            dns.spf_literal(value, "153.122.13.1", nsd_port=self.nsd.port,
                                            domain=records[0]["name"]))
        self.assertEqual(dns.spf_published("spf3.example", "153.122.250.1", self.nsd.port),
                         "fail")  # listed only in mail.spf3.example's record


if __name__ == "__main__":
    unittest.main(verbosity=2)
