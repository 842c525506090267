"""The JSON Schema printed by `mtaroute schema`: a valid draft-07 schema that accepts every
example and every good lint policy, and rejects unknown keys where lint does.

Uses Debian's python3-jsonschema (Draft7Validator).
"""
import copy
import json
import os
import subprocess
import unittest
from pathlib import Path

from jsonschema import Draft7Validator

SOURCE_DIR = Path(os.environ.get("MTAROUTE_SOURCE_DIR", Path(__file__).resolve().parents[2])).resolve()
MTAROUTE = str(Path(os.environ.get("MTAROUTE", SOURCE_DIR / "build" / "mtaroute")).resolve())
EXAMPLES = sorted((SOURCE_DIR / "examples").glob("*.json"))
GOOD = sorted((SOURCE_DIR / "tests" / "lint" / "good").glob("*.json"))


def strip_comments(text):
    """Removes // and /* */ comments outside JSON strings (a comment opener inside a string
    is text; an unterminated block comment runs to the end)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j  # keep the newline
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load_policy(path):
    text = path.read_text(encoding="utf-8-sig")
    return json.loads(strip_comments(text))


MINIMAL = {
    "version": 1,
    "relays": {"clean-relay": {"host": "relay.example.net", "port": 587, "tls": "encrypt",
                               "auth": {"username": "mailer", "password_env": "RELAY_PASS"},
                               "egress": ["153.122.10.40"]}},
    "routes": [{"domains": ["gmail.com"], "subdomains": True, "relay": "clean-relay",
                "note": "Gmail bounces"}],
    "default": "direct",
    "origins": [{"name": "web01", "networks": ["153.122.10.20"]}],
    "spf": [{"domain": "example.com", "include": ["_spf.google.com"], "mechanisms": ["mx"],
             "all": "~all", "ttl": 3600}],
}

# Where an object of the policy sits, for adding keys to it.
PLACES = {
    "top level": lambda p: p,
    "relay": lambda p: p["relays"]["clean-relay"],
    "auth": lambda p: p["relays"]["clean-relay"]["auth"],
    "route": lambda p: p["routes"][0],
    "origin": lambda p: p["origins"][0],
    "spf": lambda p: p["spf"][0],
}


class SchemaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        proc = subprocess.run([MTAROUTE, "schema"], capture_output=True, timeout=30)
        if proc.returncode != 0:
            raise AssertionError(f"mtaroute schema failed: {proc.stderr.decode()}")
        cls.schema = json.loads(proc.stdout)
        cls.validator = Draft7Validator(cls.schema)

    def errors(self, policy):
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in self.validator.iter_errors(policy)]

    def assertValid(self, policy, what):
        self.assertEqual(self.errors(policy), [], f"{what} should validate")

    def assertInvalid(self, policy, what):
        self.assertNotEqual(self.errors(policy), [], f"{what} should be rejected")

    def test_schema_is_valid_draft7(self):
        Draft7Validator.check_schema(self.schema)
        self.assertEqual(self.schema.get("$schema"), "http://json-schema.org/draft-07/schema#")

    def test_printed_schema_is_the_checked_in_one(self):
        checked_in = json.loads((SOURCE_DIR / "schema" / "policy.schema.json").read_text())
        self.assertEqual(self.schema, checked_in)

    def test_comment_stripper(self):
        text = '// a\n{ "a": "x // y /* z */", /* "b": 1, */ "c": "\\"//" } /* open'
        self.assertEqual(json.loads(strip_comments(text)), {"a": "x // y /* z */", "c": '"//'})

    def test_examples_validate(self):
        self.assertTrue(EXAMPLES, "no examples found")
        for example in EXAMPLES:
            with self.subTest(example=example.name):
                self.assertValid(load_policy(example), example.name)

    def test_examples_reference_the_published_schema(self):
        # Editors follow "$schema"; it must lead to the schema with the stable $id.
        self.assertEqual(self.schema["$id"], "urn:mtaroute:schema:policy:1")
        for example in EXAMPLES:
            with self.subTest(example=example.name):
                reference = load_policy(example).get("$schema")
                self.assertIsNotNone(reference, "no $schema")
                target = (example.parent / reference).resolve()
                self.assertEqual(target, (SOURCE_DIR / "schema" / "policy.schema.json").resolve())

    def test_good_lint_policies_validate(self):
        self.assertTrue(GOOD, "no good lint policies found")
        for good in GOOD:
            with self.subTest(policy=good.name):
                self.assertValid(load_policy(good), good.name)

    def test_minimal_policies_validate(self):
        self.assertValid(MINIMAL, "the full policy")
        self.assertValid({"version": 1}, "a version alone")

    def test_unknown_keys_are_rejected(self):
        for place, get in PLACES.items():
            for key in ("bogus", "hots", "X-upper-is-not-x", "$schema-ish"):
                with self.subTest(place=place, key=key):
                    policy = copy.deepcopy(MINIMAL)
                    get(policy)[key] = 1
                    self.assertInvalid(policy, f"key {key!r} in the {place}")

    def test_inline_password_is_rejected(self):
        policy = copy.deepcopy(MINIMAL)
        policy["relays"]["clean-relay"]["auth"]["password"] = "hunter2"
        self.assertInvalid(policy, "an inline password")

    def test_x_keys_are_accepted_everywhere(self):
        for place, get in PLACES.items():
            with self.subTest(place=place):
                policy = copy.deepcopy(MINIMAL)
                get(policy)["x-note"] = {"any": ["value", 1, None]}
                get(policy)["x-"] = "even an empty suffix"
                self.assertValid(policy, f"x- keys in the {place}")

    def test_dollar_schema_is_accepted_at_the_top_only(self):
        policy = copy.deepcopy(MINIMAL)
        policy["$schema"] = "../schema/policy.schema.json"
        self.assertValid(policy, "$schema at the top")
        for place, get in PLACES.items():
            if place == "top level":
                continue
            with self.subTest(place=place):
                policy = copy.deepcopy(MINIMAL)
                get(policy)["$schema"] = "x"
                self.assertInvalid(policy, f"$schema in the {place}")

    def test_missing_required_keys_are_rejected(self):
        cases = {
            "version": lambda p: p.pop("version"),
            "relay host": lambda p: p["relays"]["clean-relay"].pop("host"),
            "auth username": lambda p: p["relays"]["clean-relay"]["auth"].pop("username"),
            "auth secret source": lambda p: p["relays"]["clean-relay"]["auth"].pop("password_env"),
            "route domains": lambda p: p["routes"][0].pop("domains"),
            "route relay": lambda p: p["routes"][0].pop("relay"),
            "origin name": lambda p: p["origins"][0].pop("name"),
            "origin networks": lambda p: p["origins"][0].pop("networks"),
            "spf domain": lambda p: p["spf"][0].pop("domain"),
        }
        for what, remove in cases.items():
            with self.subTest(missing=what):
                policy = copy.deepcopy(MINIMAL)
                remove(policy)
                self.assertInvalid(policy, f"a policy without {what}")

    def test_values_lint_rejects_are_rejected(self):
        cases = {
            "version 2": lambda p: p.update(version=2),
            "relay named direct": lambda p: p["relays"].update(direct={"host": "a.example"}),
            "upper-case relay name": lambda p: p["relays"].update(Relay={"host": "a.example"}),
            "port 0": lambda p: p["relays"]["clean-relay"].update(port=0),
            "port 65536": lambda p: p["relays"]["clean-relay"].update(port=65536),
            "port as a string": lambda p: p["relays"]["clean-relay"].update(port="587"),
            "unknown tls": lambda p: p["relays"]["clean-relay"].update(tls="encrpyt"),
            "both secret sources": lambda p: p["relays"]["clean-relay"]["auth"].update(
                password_file="/etc/mtaroute/x.secret"),
            "wildcard domain": lambda p: p["routes"][0].update(domains=["*.gmail.com"]),
            "domain with a newline": lambda p: p["routes"][0].update(domains=["a.example\nb"]),
            "no domains": lambda p: p["routes"][0].update(domains=[]),
            "note with a newline": lambda p: p["routes"][0].update(note="a\nb"),
            "origin name with a space": lambda p: p["origins"][0].update(name="web 01"),
            "network with a space": lambda p: p["origins"][0].update(networks=["192.0.2.1 "]),
            "+all": lambda p: p["spf"][0].update(all="+all"),
            "negative ttl": lambda p: p["spf"][0].update(ttl=-1),
        }
        for what, change in cases.items():
            with self.subTest(value=what):
                policy = copy.deepcopy(MINIMAL)
                change(policy)
                self.assertInvalid(policy, what)


if __name__ == "__main__":
    unittest.main(verbosity=1)
