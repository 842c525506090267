#!/usr/bin/python3
"""gen --check: drift between a directory and what the policy generates.

- an unchanged tree: exit 0, nothing on stdout or stderr, and nothing written (names, bytes,
  modes and mtimes identical, no temporary file);
- one entry edited by hand: exit 1 and exactly one unified diff (`--- DIR/transport`,
  `+++ generated`) that GNU patch applies to the deployed file to give the generated one;
- a missing file, a missing directory, a file with the wrong mode: exit 1;
- secrets: with a distinctive password deployed and another one generated, neither appears in
  any output of --check, but the sasl_passwd line still shows as removed and added (masked),
  also when the deployed file was edited by hand (extra spaces, the password in a comment, an
  old password in lines the entry mask cannot parse).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lib.mtaroute_cli import run  # noqa: E402

OLD_PASSWORD = "Old-Pw:Xq7#zz 19"
NEW_PASSWORD = "New-Pw:Kj4%yy 83"

POLICY = {
    "version": 1,
    "relays": {"clean": {"host": "relay.example.net", "port": 587, "tls": "encrypt",
                         "auth": {"username": "mailer", "password_env": "RELAY_PASSWORD"}}},
    "routes": [{"domains": ["gmail.com", "googlemail.com"], "subdomains": True,
                "relay": "clean"},
               {"domains": ["me.com", "mac.com", "icloud.com"], "relay": "clean"}],
    "origins": [{"name": "web", "networks": ["192.0.2.0/28"]}],
}


def snapshot(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        st = os.stat(os.path.join(directory, name))
        out[name] = (Path(directory, name).read_bytes(), st.st_mode & 0o7777, st.st_mtime_ns)
    return out


class Check(unittest.TestCase):
    def setUp(self):
        self.work = Path(tempfile.mkdtemp(prefix="mtaroute-check-"))
        self.addCleanup(shutil.rmtree, self.work, True)
        (self.work / "p.json").write_text(json.dumps(POLICY))
        self.out = self.work / "out"
        proc = self.gen("--out", "out", password=OLD_PASSWORD)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())

    def gen(self, *args, password=OLD_PASSWORD, target="postfix"):
        return run(["gen", target, "p.json", *args], cwd=self.work,
                   env_extra={"RELAY_PASSWORD": password})

    def check(self, password=OLD_PASSWORD, target="postfix"):
        before = snapshot(self.out) if self.out.exists() else None
        proc = self.gen("--out", self.out.name, "--check", password=password, target=target)
        if before is not None:
            self.assertEqual(snapshot(self.out), before, "--check wrote something")
        for secret in (OLD_PASSWORD, NEW_PASSWORD, "Xq7#zz", "Kj4%yy"):
            self.assertNotIn(secret.encode(), proc.stdout + proc.stderr)
        return proc

    def test_unchanged_tree(self):
        proc = self.check()
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, b"", b""))

    def test_qmail_target(self):
        qmail = {"version": 1, "relays": {"r": {"host": "192.0.2.25", "port": 2525}},
                 "routes": [{"domains": ["gmail.com"], "subdomains": True, "relay": "r"}],
                 "origins": [{"name": "web", "networks": ["198.51.100.0/24"]}]}
        (self.work / "p.json").write_text(json.dumps(qmail))
        self.out = self.work / "qout"
        self.assertEqual(self.gen("--out", "qout", target="qmail").returncode, 0)
        proc = self.check(target="qmail")
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, b"", b""))
        routes = self.out / "smtproutes"
        routes.write_text(routes.read_text().replace(".gmail.com:", ".gmail.com:x"))
        proc = self.check(target="qmail")
        self.assertEqual(proc.returncode, 1)
        self.assertTrue(proc.stdout.startswith(b"--- qout/smtproutes\n+++ generated\n@@ "))
        self.assertIn(b"\n-.gmail.com:x192.0.2.25:2525\n+.gmail.com:192.0.2.25:2525\n",
                      proc.stdout)

    def test_one_edited_entry(self):
        transport = self.out / "transport"
        original = transport.read_text()
        edited = original.replace("me.com smtp:[relay.example.net]:587",
                                  "me.com smtp:[old-relay.example.net]:25")
        self.assertNotEqual(edited, original)
        transport.write_text(edited)
        proc = self.check()
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        self.assertEqual(proc.stderr, b"")
        diff = proc.stdout.decode()
        self.assertTrue(diff.startswith(f"--- out/transport\n+++ generated\n@@ -"), diff)
        self.assertEqual(diff.count("\n--- ") + diff.startswith("--- "), 1, "one file differs")
        self.assertIn("\n-me.com smtp:[old-relay.example.net]:25\n", diff)
        self.assertIn("\n+me.com smtp:[relay.example.net]:587\n", diff)
        self.assertEqual(sum(line[:1] in "+-" for line in diff.splitlines()[2:]), 2)
        patched = self.work / "patched"
        subprocess.run(["patch", "-s", "-o", str(patched), str(transport)], input=proc.stdout,
                       check=True)
        self.assertEqual(patched.read_text(), original)

    def test_missing_file_and_directory(self):
        os.unlink(self.out / "tls_policy")
        proc = self.check()
        self.assertEqual(proc.returncode, 1)
        diff = proc.stdout.decode()
        self.assertTrue(diff.startswith("--- out/tls_policy (missing)\n+++ generated\n@@ -0,0 +1,"),
                        diff)
        shutil.rmtree(self.out)
        proc = self.check()
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout.decode().count("(missing)\n+++ generated"), 5)
        self.assertFalse(self.out.exists(), "--check created the directory")

    def test_trailing_slash_names_the_file_once(self):
        transport = self.out / "transport"
        transport.write_text(transport.read_text().replace("gmail.com smtp", "gmail.com  smtp"))
        proc = self.gen("--out", "out/", "--check")
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        self.assertTrue(proc.stdout.decode().startswith("--- out/transport\n+++ generated\n"),
                        proc.stdout.decode())

    def test_wrong_mode(self):
        os.chmod(self.out / "sasl_passwd", 0o644)
        proc = self.check()
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout.decode(), "out/sasl_passwd: mode 0644, generated 0600\n")

    def test_password_masked_but_change_shown(self):
        proc = self.check(password=NEW_PASSWORD)
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        diff = proc.stdout.decode()
        self.assertTrue(diff.startswith("--- out/sasl_passwd\n+++ generated\n"), diff)
        self.assertIn("\n-[relay.example.net]:587 mailer:********\n", diff)
        self.assertIn("\n+[relay.example.net]:587 mailer:********\n", diff)

    def test_hand_edited_secret_file_stays_masked(self):
        sasl = self.out / "sasl_passwd"
        text = sasl.read_text()
        sasl.write_text(f"# current: {OLD_PASSWORD}\n" + text.replace(
            "[relay.example.net]:587 mailer:", "[relay.example.net]:587    mailer:"))
        proc = self.check()
        self.assertEqual(proc.returncode, 1)
        self.assertIn("\n-# ******** (a comment mtaroute did not write)\n", proc.stdout.decode())

    def test_old_password_in_hand_written_lines_never_shown(self):
        # The deployed file holds the OLD password in places the entry mask does not parse:
        # a comment, a commented-out entry, a line without white space, a continuation line.
        # gen has read only the NEW one, so it cannot search for the old one: every such line
        # must be masked as a whole.
        sasl = self.out / "sasl_passwd"
        sasl.write_text(sasl.read_text() + f"# old: {OLD_PASSWORD}\n"
                        f"#[relay.example.net]:587 mailer:{OLD_PASSWORD}\n"
                        f"[relay.example.net]:587:mailer:{OLD_PASSWORD.replace(' ', '')}\n"
                        f"\t{OLD_PASSWORD}\n")
        proc = self.check(password=NEW_PASSWORD)
        self.assertEqual(proc.returncode, 1, proc.stderr.decode())
        out = proc.stdout.decode() + proc.stderr.decode()
        for secret in (OLD_PASSWORD, NEW_PASSWORD, "Xq7#zz", "Kj4%yy", "Old-Pw", "New-Pw"):
            self.assertNotIn(secret, out)
        # Still a useful diff: the header lines gen writes stay readable, the entry shows.
        self.assertIn("-[relay.example.net]:587 mailer:********\n", out)
        self.assertEqual(out.count("-# ******** (a comment mtaroute did not write)\n"), 2, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
