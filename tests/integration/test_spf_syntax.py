"""mtaroute lint's SPF term syntax against the real pyspf (Debian python3-spf).

Every term mtaroute accepts in "mechanisms" must be accepted by pyspf (the record
"v=spf1 ip4:192.0.2.1 TERM -all" passes 192.0.2.1, no permerror); every term pyspf rejects
(permerror while parsing the record) must be an error in `mtaroute lint`, at the term's line.
Some terms pyspf lets through are errors for mtaroute on purpose (RFC 7208 says they are
invalid, or they are accepted but never do what was meant); they are listed with the reason
and only mtaroute's verdict is asserted.
"""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib import dns_harness as dns  # noqa: E402
from lib.mtaroute_cli import run  # noqa: E402

GOOD = [
    "a", "+a", "-a", "~a", "?a", "a:example.com", "a:example.com.", "a/24", "a//64", "a/24//64",
    "a:example.com/0//128", "A:Example.COM", "mx", "mx:mail.example.com/30", "-mx:example.net",
    "include:_spf.google.com", "?include:spf.example.net", "exists:%{i}.spf.example.com",
    "exists:%{ir}.%{v}._spf.%{d2}", "include:%{d1}.example.net", "a:%{l1r-}.example.com",
    "a:%{o}.example.com", "a:%{s}.example.com", "a:%{p}.example.com", "a:%{h}.example.com",
    "a:%{D}.example.com", "a:%{d128r.-+,/_=}.example.com", "a:x%%y.example.com",
    "a:x%_y.example.com", "a:x%-y.example.com", "a:1-2.3-4", "a:example.xn--p1ai",
    "ip4:153.122.10.1", "ip4:153.122.10.0/24", "-ip4:153.122.0.0/16", "ip4:153.122.10.1/32",
    "ip6:2a00:1450::1", "ip6:2a00:1450::/32", "ip6:2A00:1450::/128", "~ip6:2a00:1450:4001::/48",
    "exp=explain.%{d}", "exp=explain.example.com",
]

# (term, rule) that pyspf rejects with a permerror when it parses the record.
BAD_FOR_BOTH = [
    ("ip4:192.0.2.300", "bad-spf-mechanism"), ("ip4:203.0.113", "bad-spf-mechanism"),
    ("ip4:203.0.113.010", "bad-spf-mechanism"), ("ip4:192.0.2.0/33", "bad-spf-mechanism"),
    ("ip4:2001:db8::1", "bad-spf-mechanism"), ("ip6:192.0.2.1", "bad-spf-mechanism"),
    ("ip6:2001:db8::/129", "bad-spf-mechanism"), ("ip4:%{i}", "bad-spf-mechanism"),
    ("a/33", "bad-spf-mechanism"), ("a//129", "bad-spf-mechanism"), ("mx/", "bad-spf-mechanism"),
    ("a:example", "bad-spf-mechanism"), ("a:example.123", "bad-spf-mechanism"),
    ("a:example.-com", "bad-spf-mechanism"), ("a:example.com//", "bad-spf-mechanism"),
    ("include:example.com/24", "bad-spf-mechanism"), ("ptr/24", "bad-spf-mechanism"),
    ("include:", "bad-spf-mechanism"), ("exists", "bad-spf-mechanism"),
    ("a:%{x}.example.com", "bad-spf-mechanism"), ("a:%{c}.example.com", "bad-spf-mechanism"),
    ("a:100%.example.com", "bad-spf-mechanism"), ("-redirect=x.example.com", "bad-spf-mechanism"),
    ("includ:example.com", "bad-spf-mechanism"), ("ip:192.0.2.1", "bad-spf-mechanism"),
    ("include:%{d}", "spf-include-loop"), ("a:%{d}.", "bad-spf-mechanism"),
]

# (term, rule, why mtaroute refuses what pyspf lets through)
STRICTER = [
    ("a:%{d0}.example.com", "bad-spf-mechanism", "RFC 7208 7.3: the digit transformer MUST be nonzero"),
    ("a:%{d.example.com", "bad-spf-mechanism", "unclosed macro: pyspf only fails when it expands it"),
    ("a:%{d2!}.example.com", "bad-spf-mechanism", "'!' is no delimiter (RFC 7208 7.1)"),
    ("a:example..com", "bad-spf-mechanism", "empty label: fails only when looked up"),
    ("a:.example.com", "bad-spf-mechanism", "empty label: fails only when looked up"),
    ("a:" + "x" * 64 + ".example.com", "bad-spf-mechanism", "label over 63 bytes"),
    ("redirct=x.example.com", "bad-spf-mechanism", "unknown modifier: ignored, surely a typo"),
    ("all", "bad-spf-mechanism", "the \"all\" key writes it, last"),
    ("-all", "bad-spf-mechanism", "the \"all\" key writes it, last"),
    ("v=spf1", "bad-spf-mechanism", "mtaroute writes v=spf1 itself"),
    ("ip4:192.0.2.77/24", "host-bits-set", "host bits: everywhere in a policy an error"),
    ("ip4:0.0.0.0/0", "spf-plus-all", "passes every IPv4 address like +all"),
    ("redirect=_spf.example.net", "spf-redirect-ignored", "ignored when an all term is present"),
    ("include:EXAMPLE.com.", "spf-include-loop", "loops; pyspf sees it only when it gets there"),
]


def pyspf_verdict(term):
    return dns.spf_literal_full(f"v=spf1 ip4:192.0.2.1 {term} -all", "192.0.2.1",
                                domain="example.com")  # the domain lint_errors uses


def lint_errors(terms):
    """{index of the term: [error rules]} from `mtaroute lint --format json`."""
    policy = {"version": 1, "spf": [{"domain": "example.com", "mechanisms": terms}]}
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "p.json").write_text(json.dumps(policy, indent=1), encoding="utf-8")
        proc = run(["lint", "--format", "json", "p.json"], cwd=d)
    diagnostics = json.loads(proc.stdout)
    errors = {}
    prefix = "/spf/0/mechanisms/"
    for diag in diagnostics:
        if diag["severity"] == "error" and diag["pointer"].startswith(prefix):
            errors.setdefault(int(diag["pointer"][len(prefix):]), []).append(diag["rule"])
        elif diag["severity"] == "error":
            errors.setdefault("record", []).append(diag["rule"])
    return errors, proc.returncode


class SpfSyntaxTest(unittest.TestCase):
    def test_good_terms_pass_both(self):
        mechanisms = [t for t in GOOD if "=" not in t]
        errors, _ = lint_errors(mechanisms)
        errors.pop("record", None)  # so many a/mx/include terms exceed the lookup limit
        self.assertEqual(errors, {})
        for term in [t for t in GOOD if "=" in t]:  # modifiers: at most one exp= per record
            self.assertEqual(lint_errors([term])[0], {}, term)
        for term in GOOD:
            with self.subTest(term=term):
                result = pyspf_verdict(term)
                # pyspf expands %{p} (a PTR lookup) before matching; DNS is isolated here.
                allowed = ("pass", "temperror") if "%{p}" in term else ("pass",)
                self.assertIn(result[0], allowed, result)

    def test_bad_terms_fail_both(self):
        terms = [t for t, _ in BAD_FOR_BOTH]
        errors, status = lint_errors(terms)
        self.assertEqual(status, 1)
        for i, (term, rule) in enumerate(BAD_FOR_BOTH):
            with self.subTest(term=term):
                self.assertIn(rule, errors.get(i, []), errors.get(i))
                result = pyspf_verdict(term)
                self.assertEqual(result[0], "permerror", result)

    def test_stricter_than_pyspf(self):
        terms = [t for t, _, _ in STRICTER]
        errors, status = lint_errors(terms)
        self.assertEqual(status, 1)
        for i, (term, rule, why) in enumerate(STRICTER):
            with self.subTest(term=term, why=why):
                self.assertIn(rule, errors.get(i, []), errors.get(i))
                print(f"\n  {term!r}: mtaroute {rule}; pyspf {pyspf_verdict(term)[0]} ({why})",
                      end="", file=sys.stderr)

    def test_redirect_is_ignored_with_all(self):
        """Why redirect= is an error: with an all term, pyspf never follows it."""
        zone = dns.make_zone("example.net", ['_spf IN TXT "v=spf1 ip4:100.64.9.0/24 -all"'])
        with dns.Nsd({"example.net": zone}) as nsd:
            with_all = dns.spf_literal("v=spf1 redirect=_spf.example.net ~all", "100.64.9.1",
                                       nsd_port=nsd.port, domain="example.com")
            alone = dns.spf_literal("v=spf1 redirect=_spf.example.net", "100.64.9.1",
                                    nsd_port=nsd.port, domain="example.com")
        self.assertEqual((with_all, alone), ("softfail", "pass"))

    def test_lookup_limit_is_what_pyspf_enforces(self):
        """11 DNS terms: lint's error; pyspf's permerror once evaluation reaches the 11th."""
        eleven = [f"a:h{i}.example.com" for i in range(11)]
        errors, status = lint_errors(eleven)
        self.assertEqual(errors, {"record": ["spf-too-many-lookups"]})
        ten_errors, _ = lint_errors(eleven[:10])
        self.assertEqual(ten_errors, {})
        zone = dns.make_zone("example.com", [f"h{i} IN A 100.64.0.{i}" for i in range(11)])
        with dns.Nsd({"example.com": zone}) as nsd:
            record = "v=spf1 " + " ".join(eleven) + " -all"
            early = dns.spf_literal(record, "100.64.0.0", nsd_port=nsd.port, domain="example.com")
            late = dns.spf_literal_full(record, "100.64.0.99", nsd_port=nsd.port,
                                        domain="example.com")
            ten = dns.spf_literal("v=spf1 " + " ".join(eleven[:10]) + " -all", "100.64.0.99",
                                  nsd_port=nsd.port, domain="example.com")
        self.assertEqual(early, "pass")  # an over-limit record still passes early matches
        self.assertEqual(late[0], "permerror", late)
        self.assertEqual(ten, "fail")


if __name__ == "__main__":
    unittest.main(verbosity=2)
