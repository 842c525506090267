"""What stock qmail cannot do stops gen qmail, route by route, and is only a warning in lint.

Which routes stock qmail-remote cannot carry out is computed here from the policy JSON alone:
a relay with "auth", with "tls" encrypt/dane/verify/secure, with an IPv6 host, or with "mx":
true; and every IPv6 origin network (tcp.smtp has no IPv6). For every example and for policies
written here, gen qmail must then: exit 1 with exactly one error per such route (and for the
default, and per IPv6 network), each pointing at the right place in the file; write nothing
(--out leaves an existing directory byte for byte and mtime for mtime as it was; --only and
--check print no file); and lint must give the same findings as warnings (exit 0, exit 1 with
--strict). Policies without such routes generate with no qmail finding at all.
"""
import json
import os
import re
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import EXAMPLES, load_policy, run, runnable_copy  # noqa: E402

DIAGNOSTIC = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<severity>\w+): "
                        r"(?P<message>.*) \[(?P<rule>[a-z0-9-]+)\]$", re.M)
MANDATORY_TLS = {"encrypt", "dane", "verify", "secure"}

# Three routes, only the middle one through a relay qmail cannot use, and one IPv6 origin.
MIXED = """{
  "version": 1,
  "relays": {
    "plain": { "host": "relay.example.net", "port": 2525 },
    "authed": { "host": "smtp.provider.example", "port": 587, "tls": "secure",
                "auth": { "username": "u", "password_env": "NOT_READ" } }
  },
  "routes": [
    { "domains": ["gmail.com"], "subdomains": true, "relay": "plain" },
    { "domains": ["icloud.com", "me.com"], "relay": "authed" },
    { "domains": ["partner.example"], "relay": "direct" }
  ],
  "origins": [ { "name": "web", "networks": ["192.0.2.0/24", "2001:db8::/32"] } ]
}
"""

# The default through a relay with an IPv6 host; the routes themselves are fine.
V6_DEFAULT = """{
  "version": 1,
  "relays": { "v6": { "host": "2001:db8::25" }, "ok": { "host": "192.0.2.25" } },
  "routes": [ { "domains": ["gmail.com"], "relay": "ok" } ],
  "default": "v6"
}
"""


def limitation(policy, relay_name):
    relay = policy.get("relays", {}).get(relay_name)
    if relay is None:
        return False
    return ("auth" in relay or relay.get("tls") in MANDATORY_TLS or ":" in relay["host"]
            or relay.get("mx") is True)


def expected_findings(policy):
    """(pointer-like label, JSON text expected at the reported position) for each finding."""
    out = []
    for i, route in enumerate(policy.get("routes", [])):
        if limitation(policy, route["relay"]):
            out.append((f"route {i + 1} uses relay", json.dumps(route["relay"])))
    if limitation(policy, policy.get("default", "direct")):
        out.append(("the default route uses relay", json.dumps(policy["default"])))
    for origin in policy.get("origins", []):
        for network in origin["networks"]:
            if ":" in network:
                out.append((f"origin network {network} is IPv6", json.dumps(network)))
    return out


def text_at(text, line, column):
    """The text from a 1-based line and column (in characters)."""
    return text.split("\n")[line - 1][column - 1:]


def snapshot(directory):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_mode)
            for p in sorted(Path(directory).iterdir())}


class UnsupportedTest(unittest.TestCase):
    def policies(self, workdir):
        """(name, policy dict, policy file name, env) for every example and the policies here."""
        for example in EXAMPLES:
            name, env = runnable_copy(example, workdir)
            yield name, load_policy(example), name, env
        for name, text in {"mixed.json": MIXED, "v6-default.json": V6_DEFAULT}.items():
            (Path(workdir) / name).write_text(text, encoding="utf-8")
            yield name, json.loads(text), name, {}

    def check_findings(self, stderr, severity, policy, text):
        found = [m for m in DIAGNOSTIC.finditer(stderr) if m["rule"] == "qmail-unsupported"]
        expected = expected_findings(policy)
        self.assertEqual(len(found), len(expected), stderr)
        for label, value in expected:
            matches = [m for m in found if m["message"].startswith(label)]
            self.assertEqual(len(matches), 1, f"{label}: one finding expected\n{stderr}")
            match = matches[0]
            self.assertEqual(match["severity"], severity, match[0])
            # The position is the offending value itself.
            at = text_at(text, int(match["line"]), int(match["column"]))
            self.assertTrue(at.startswith(value), f"{match[0]}\n  points at: {at!r}")
        return expected

    def test_gen_refuses_and_writes_nothing_lint_warns(self):
        refused = 0
        with tempfile.TemporaryDirectory() as workdir:
            for name, policy, file, env in self.policies(workdir):
                with self.subTest(policy=name):
                    refused += self.check_policy(policy, file, env, Path(workdir))
        self.assertGreaterEqual(refused, 6)  # 4 examples and the 2 policies written here

    def check_policy(self, policy, file, env, workdir):
        text = (workdir / file).read_text(encoding="utf-8")
        out = workdir / "out"
        out.mkdir(exist_ok=True)
        (out / "smtproutes").write_text("deployed.example:old.example:25\n")
        os.utime(out / "smtproutes", ns=(10**18, 10**18))
        before = snapshot(out)
        gen = run(["gen", "qmail", file, "--out", "out"], cwd=workdir, env_extra=env)
        expected = self.check_findings(gen.stderr.decode(), "error", policy, text)
        lint = run(["lint", file], cwd=workdir, env_extra=env)
        self.check_findings(lint.stderr.decode() + lint.stdout.decode(), "warning", policy, text)
        if not expected:
            self.assertEqual(gen.returncode, 0, gen.stderr.decode())
            return 0
        self.assertEqual(gen.returncode, 1, gen.stderr.decode())
        self.assertEqual(gen.stdout, b"", "nothing is written, so no install steps")
        self.assertEqual(snapshot(out), before, "gen qmail changed --out although it refused")
        self.assertEqual(lint.returncode, 0, lint.stderr.decode())
        strict = run(["lint", "--strict", file], cwd=workdir, env_extra=env)
        self.assertEqual(strict.returncode, 1)
        for args in (["--only", "smtproutes"], ["--only", "tcp.smtp"],
                     ["--out", "out", "--check"], []):
            other = run(["gen", "qmail", file, *args], cwd=workdir, env_extra=env)
            self.assertEqual(other.returncode, 1, args)
            self.assertEqual(other.stdout, b"", f"{args} printed a file")
        self.assertEqual(snapshot(out), before)
        # Other targets do not mention what only qmail cannot do.
        spf = run(["gen", "spf", file], cwd=workdir, env_extra=env)
        self.assertNotIn(b"qmail-unsupported", spf.stderr)
        return 1


if __name__ == "__main__":
    unittest.main(verbosity=2)
