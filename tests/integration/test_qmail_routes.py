"""gen qmail's smtproutes sends each domain where the policy says, as qmail-remote reads it.

For the examples that gen qmail accepts and for policies written here (a relay default with
exemptions, nested subdomain routes, IDN and trailing-dot domains, an IPv4 relay), every routed
domain, its subdomains, its case variants, look-alikes and unrouted domains are looked up in the
generated smtproutes with lib/qmail_lookup.py (qmail-remote's documented lookup) and compared
with the destination computed from the policy JSON alone. Also: the resolver's own rules, the
file's syntax (LF, no spaces, whole-line comments, each key once, always a port), and that every
route of the policy has its lines (nothing silently dropped).
"""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import oracle  # noqa: E402
from lib.mtaroute_cli import EXAMPLES, load_policy, run  # noqa: E402
from lib.qmail_lookup import (MX_DELIVERY, Destination, SmtpRoutes, expected_route,  # noqa: E402
                              normalise_domain, qmail_route)

POLICIES = {
    "default-with-exemptions": {
        "version": 1,
        "relays": {"smart": {"host": "smtp.provider.example", "port": 587},
                   "byip": {"host": "198.51.100.25"}},
        "routes": [
            {"domains": ["partner.example"], "relay": "direct", "note": "deliver directly"},
            {"domains": ["intern.example"], "subdomains": True, "relay": "direct"},
            {"domains": ["outlook.com", "hotmail.com"], "relay": "byip"},
        ],
        "default": "smart",
    },
    "nested-subdomains": {
        "version": 1,
        "relays": {"a": {"host": "relay-a.example.net", "port": 2525},
                   "b": {"host": "relay-b.example.net"}},
        "routes": [
            {"domains": ["gmail.com"], "subdomains": True, "relay": "a"},
            {"domains": ["corp.gmail.com"], "subdomains": True, "relay": "direct"},
            {"domains": ["mail.gmail.com"], "relay": "b"},
            {"domains": ["yahoo.co.jp"], "subdomains": True, "relay": "b"},
        ],
    },
    "names-normalised": {
        "version": 1,
        "relays": {"r": {"host": "RELAY.Example.NET.", "port": 26},
                   "s": {"host": "192.0.2.25", "port": 10025}},
        "routes": [
            {"domains": ["Bücher.example", "Example.ORG."], "subdomains": True, "relay": "r"},
            {"domains": ["icloud.com", "me.com", "mac.com"], "relay": "s"},
        ],
        "default": "s",
    },
}

UNROUTED = ["unrouted.example", "example", "com", "jp", "co.jp", "example.net"]


def generate_smtproutes(policy_path, workdir):
    return run(["gen", "qmail", Path(policy_path).name, "--only", "smtproutes"], cwd=workdir)


def queries(policy):
    """Recipient domains to look up: routed ones, their subdomains and look-alikes, others."""
    out = set(UNROUTED)
    for route in policy.get("routes", []):
        for name in route["domains"]:
            domain = normalise_domain(name)
            out.update({domain, "mail." + domain, "a.b." + domain, "x" + domain,
                        domain.upper(), "MAIL." + domain.upper()})
            parent = domain.partition(".")[2]
            if parent:
                out.add(parent)
    return sorted(out)


class ResolverTest(unittest.TestCase):
    """lib/qmail_lookup.py follows qmail-remote's documented lookup."""

    TEXT = ("# comment: x.example:wrong:1\n"
            "\n"
            "gmail.com:relay.example.net:587\n"
            ".gmail.com:other.example.net:2525  \t\n"
            "GoogleMail.COM:[192.0.2.1]:25\n"
            "dup.example:first.example:25\n"
            "dup.example:last.example:26\n"
            " lead.example:x.example:25\n"
            "cr.example:y.example\r\n"
            "noport.example:z.example\n"
            "emptyport.example:z.example:\n"
            "direct.gmail.com:\n"
            "no colon line\n"
            ":smart.example:465\n")

    def test_lookup_rules(self):
        routes = SmtpRoutes(self.TEXT)
        cases = {
            "gmail.com": (Destination("relay.example.net", 587), "gmail.com", 3),
            "a.b.gmail.com": (Destination("other.example.net", 2525), ".gmail.com", 4),
            "GMAIL.com": (Destination("relay.example.net", 587), "gmail.com", 3),
            "googlemail.com": (Destination("192.0.2.1", 25), "googlemail.com", 5),
            "dup.example": (Destination("last.example", 26), "dup.example", 7),
            "lead.example": (Destination("smart.example", 465), "", 14),
            "cr.example": (Destination("y.example\r", 25), "cr.example", 9),
            "noport.example": (Destination("z.example", 25), "noport.example", 10),
            "emptyport.example": (Destination("z.example", 0), "emptyport.example", 11),
            "direct.gmail.com": (MX_DELIVERY, "direct.gmail.com", 12),
            "x.direct.gmail.com": (Destination("other.example.net", 2525), ".gmail.com", 4),
            "notgmail.com": (Destination("smart.example", 465), "", 14),
            "gmail.com.": (Destination("smart.example", 465), "", 14),
            "x.example": (Destination("smart.example", 465), "", 14),
        }
        for domain, (destination, key, number) in cases.items():
            with self.subTest(domain=domain):
                decision = routes.lookup(domain)
                self.assertEqual(decision.destination, destination)
                self.assertEqual(decision.key, key)
                self.assertEqual(decision.line_number, number)
        self.assertEqual(routes.keys_tried("a.b.gmail.com"),
                         ["a.b.gmail.com", ".b.gmail.com", ".gmail.com", ".com", ""])

    def test_no_default_means_mx_and_addresses_use_their_domain(self):
        text = "gmail.com:relay.example.net:587\n"
        self.assertEqual(qmail_route(text, "other.example").destination, MX_DELIVERY)
        self.assertIsNone(qmail_route(text, "other.example").key)
        decision = qmail_route(text, "Some.One@GMAIL.COM")
        self.assertEqual(decision.destination, Destination("relay.example.net", 587))
        self.assertEqual(decision.line, "gmail.com:relay.example.net:587")


class GeneratedRoutesTest(unittest.TestCase):
    def cases(self):
        """(name, policy dict, policy path) for every policy gen qmail accepts here."""
        with tempfile.TemporaryDirectory() as workdir:
            for example in EXAMPLES:
                proc = generate_smtproutes(example, example.parent)
                if proc.returncode == 0:
                    yield example.name, load_policy(example), example, proc.stdout.decode()
            for name, policy in POLICIES.items():
                path = Path(workdir) / f"{name}.json"
                path.write_text(json.dumps(policy, ensure_ascii=False), encoding="utf-8")
                proc = generate_smtproutes(path, workdir)
                self.assertEqual(proc.returncode, 0, f"{name}: {proc.stderr.decode()}")
                yield name, policy, path, proc.stdout.decode()

    def test_every_domain_goes_where_the_policy_says(self):
        checked = 0
        for name, policy, _, text in self.cases():
            for domain in queries(policy):
                with self.subTest(policy=name, domain=domain):
                    decision = qmail_route(text, domain)
                    self.assertEqual(decision.destination, expected_route(policy, domain),
                                     f"line {decision.line_number}: {decision.line!r}")
                    checked += 1
        self.assertGreater(checked, 100)

    def test_every_route_has_its_lines(self):
        for name, policy, _, text in self.cases():
            routes = SmtpRoutes(text)
            for route in policy.get("routes", []):
                for domain in map(normalise_domain, route["domains"]):
                    keys = [domain, "." + domain] if route.get("subdomains") else [domain]
                    for key in keys:
                        with self.subTest(policy=name, key=key):
                            self.assertIn(key, routes.routes, "route silently dropped")
                    if not route.get("subdomains"):
                        self.assertNotIn("." + domain, routes.routes)
            default = policy.get("default", "direct")
            self.assertEqual("" in routes.routes, default != "direct", name)

    def test_output_oracle_holds(self):
        """The project's output oracle (lib/oracle.py) accepts every file gen qmail writes."""
        for name, _, path, _ in self.cases():
            with self.subTest(policy=name), tempfile.TemporaryDirectory() as workdir:
                local = Path(workdir) / Path(path).name
                local.write_bytes(Path(path).read_bytes())
                proc = run(["gen", "qmail", local.name, "--out", "out"], cwd=workdir)
                self.assertEqual(proc.returncode, 0, proc.stderr.decode())
                oracle.assert_holds(self, local.name, Path(workdir) / "out", cwd=workdir)

    def test_file_syntax(self):
        for name, _, _, text in self.cases():
            with self.subTest(policy=name):
                self.assertTrue(text.endswith("\n"))
                self.assertNotIn("\r", text)
                keys = []
                for line in text.split("\n"):
                    if not line or line.startswith("#"):
                        continue
                    self.assertNotRegex(line, r"[\s#\[\]]", line)
                    key, _, relay = line.partition(":")
                    self.assertEqual(key, key.lower(), line)
                    self.assertTrue(key.isascii(), line)
                    keys.append(key)
                    if relay:  # host:port, the port always written and in range
                        host, colon, port = relay.partition(":")
                        self.assertTrue(host and colon and port.isdigit(), line)
                        self.assertTrue(1 <= int(port) <= 65535, line)
                self.assertEqual(len(keys), len(set(keys)), "a key written twice")


if __name__ == "__main__":
    unittest.main(verbosity=2)
