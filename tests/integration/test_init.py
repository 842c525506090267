"""`mtaroute init`: the starter policy is what the common case needs (Gmail's domains with
subdomains through one relay with TLS and AUTH, a password file, direct for the rest), lints
without errors as written and with every commented-out suggestion switched on, takes its
relay, port and domains from the flags (canonical, validated: exit 2 on bad ones), goes to
stdout, or to a new file that it never replaces without --force.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import MTAROUTE, assert_not_crashed, strip_comments  # noqa: E402


def run(args, cwd=None, input_bytes=None):
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NO_COLOR")}
    proc = subprocess.run([MTAROUTE, *args], capture_output=True, cwd=cwd, env=env,
                          input=input_bytes, timeout=60)
    assert_not_crashed(proc, args)
    return proc


def init(*args):
    proc = run(["init", *args])
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b"", proc.stderr.decode()
    return proc.stdout.decode()


def lint(text, *args):
    """Runs lint on text; returns (status, [(severity, rule), ...])."""
    proc = run(["lint", "--format", "json", *args, "-"], input_bytes=text.encode())
    return proc.returncode, [(d["severity"], d["rule"]) for d in json.loads(proc.stdout)]


def uncomment_suggestions(text):
    """Switches on every commented-out JSON line ("// {..." or "// \"key\": ...")."""
    return re.sub(r'^(\s*)// (?=[{"])', r"\1", text, flags=re.M)


class StarterPolicyTest(unittest.TestCase):
    def test_default_is_the_gmail_case(self):
        text = init()
        policy = json.loads(strip_comments(text))
        self.assertEqual(policy["version"], 1)
        self.assertEqual(list(policy["relays"]), ["clean-relay"])
        relay = policy["relays"]["clean-relay"]
        self.assertEqual(relay["host"], "relay.example.net")
        self.assertEqual(relay["port"], 587)
        self.assertEqual(relay["tls"], "encrypt")
        self.assertEqual(relay["auth"]["password_file"], "/etc/mtaroute/clean-relay.secret")
        self.assertNotIn("password", relay["auth"])
        self.assertEqual(len(policy["routes"]), 1)
        route = policy["routes"][0]
        self.assertEqual(route["domains"], ["gmail.com", "googlemail.com"])
        self.assertIs(route["subdomains"], True)
        self.assertEqual(route["relay"], "clean-relay")
        self.assertEqual(policy["default"], "direct")
        # Documentation addresses in SPF would only make warnings: left out (as comments).
        self.assertNotIn("spf", policy)
        self.assertNotIn("egress", relay)
        self.assertIn("// ", text, "the starter is commented")

    def test_lints_clean_also_with_strict(self):
        # The starter says "mtas": ["postfix"] (its relay needs AUTH and TLS, which stock
        # qmail cannot do), so lint has nothing to say, and --strict passes.
        self.assertEqual(json.loads(strip_comments(init()))["mtas"], ["postfix"])
        status, diags = lint(init())
        self.assertEqual((status, diags), (0, []))
        status, diags = lint(init(), "--strict")
        self.assertEqual((status, diags), (0, []))
        # Naming qmail too brings back the warning that stock qmail cannot do it.
        both = init().replace('"mtas": ["postfix"]', '"mtas": ["postfix", "qmail"]')
        status, diags = lint(both, "--strict")
        self.assertEqual(status, 1)
        self.assertEqual({rule for _, rule in diags}, {"qmail-unsupported"})

    def test_suggestions_in_comments_lint_too(self):
        text = uncomment_suggestions(init())
        policy = json.loads(strip_comments(text))
        for key in ("origins", "spf"):
            self.assertIn(key, policy)
        self.assertIn("egress", policy["relays"]["clean-relay"])
        self.assertEqual(len(policy["routes"]), 2)
        status, diags = lint(text)
        self.assertEqual(status, 0, diags)
        self.assertNotIn("error", {severity for severity, _ in diags})

    def test_postfix_routes_gmail_through_the_relay(self):
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "p.json").write_text(init("--relay", "smtp.example.org"))
            proc = run(["gen", "postfix", "p.json", "--only", "transport"], cwd=tmp)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            lines = proc.stdout.decode().splitlines()
            for key in ("gmail.com", ".gmail.com", "googlemail.com", ".googlemail.com"):
                self.assertIn(f"{key} smtp:[smtp.example.org]:587", lines)

    def test_flags(self):
        text = init("--relay", "SMTP.Example.ORG.", "--port", "2525", "--domains",
                    "Example.COM,bücher.example,example.com")
        policy = json.loads(strip_comments(text))
        relay = policy["relays"]["clean-relay"]
        self.assertEqual(relay["host"], "smtp.example.org")
        self.assertEqual(relay["port"], 2525)
        self.assertEqual(policy["routes"][0]["domains"],
                         ["example.com", "xn--bcher-kva.example"])
        self.assertNotIn("note", policy["routes"][0], "the Gmail note is for Gmail only")
        status, diags = lint(text)
        self.assertEqual(status, 0, diags)

    def test_ip_relay(self):
        for given, canonical in (("2001:DB8::0:1", "2001:db8::1"), ("192.0.2.7", "192.0.2.7")):
            with self.subTest(relay=given):
                policy = json.loads(strip_comments(init("--relay", given)))
                self.assertEqual(policy["relays"]["clean-relay"]["host"], canonical)
                self.assertEqual(lint(init("--relay", given))[0], 0)

    def test_bad_flags_exit_2(self):
        cases = {
            ("--domains", "*.gmail.com"): "subdomains",
            ("--domains", "gmail"): "gmail",
            ("--domains", ","): "--domains",
            ("--relay", "relay example"): "--relay",
            ("--relay", "-relay.example.net"): "--relay",
            ("--relay", "[192.0.2.1]"): "--relay",
            ("--port", "0"): "--port",
            ("--port", "65536"): "--port",
        }
        for args, mention in cases.items():
            with self.subTest(args=args):
                proc = run(["init", *args])
                self.assertEqual(proc.returncode, 2)
                self.assertEqual(proc.stdout, b"")
                self.assertIn(mention, proc.stderr.decode())

    def test_deterministic(self):
        self.assertEqual(init(), init())


class OutFileTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.path = self.dir / "policy.json"

    def tearDown(self):
        self.tmp.cleanup()

    def test_writes_a_new_file(self):
        proc = run(["init", "--out", str(self.path)])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.path.read_text(), init())
        self.assertEqual(self.path.stat().st_mode & 0o777, 0o644 & ~current_umask())
        self.assertIn(str(self.path), proc.stdout.decode())
        self.assertEqual(proc.stderr, b"")
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), ["policy.json"])
        status, _ = lint(self.path.read_text())
        self.assertEqual(status, 0)

    def test_refuses_to_overwrite(self):
        self.path.write_text("mine\n")
        proc = run(["init", "--out", str(self.path)])
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout, b"")
        self.assertIn(b"--force", proc.stderr)
        self.assertEqual(self.path.read_text(), "mine\n")

    def test_refuses_to_follow_into_an_existing_symlink(self):
        target = self.dir / "elsewhere.json"
        target.write_text("precious\n")
        self.path.symlink_to(target)
        proc = run(["init", "--out", str(self.path)])
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(target.read_text(), "precious\n")

    def test_force_replaces(self):
        self.path.write_text("mine\n")
        proc = run(["init", "--out", str(self.path), "--force", "--port", "465"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.path.read_text(), init("--port", "465"))
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), ["policy.json"])

    def test_unwritable_place(self):
        for path in (self.dir / "no" / "such" / "dir.json", self.dir):
            with self.subTest(path=path):
                proc = run(["init", "--out", str(path)])
                self.assertEqual(proc.returncode, 1)
                self.assertIn(b"cannot write", proc.stderr)
        proc = run(["init", "--out", str(self.dir), "--force"])
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(sorted(p.name for p in self.dir.iterdir()), [], "no temporary left")


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


if __name__ == "__main__":
    unittest.main()
